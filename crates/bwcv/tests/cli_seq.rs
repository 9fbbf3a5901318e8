//! End-to-end tests of `bwcv seq` on generated sequences.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

/// Deterministic pseudo-random DNA (SplitMix64), so that the test needs no RNG crate.
fn dna(seed: u64, length: usize) -> String {
    let mut state = seed;
    (0..length)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ['A', 'C', 'G', 'T'][(z % 4) as usize]
        })
        .collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    concern: String,
    background: String,
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("binary")
}

/// A database with one concern genome (SARS-related coronavirus taxid, listed
/// in the built-in catalogue) and one background genome (phage lambda taxid).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let fixture = Fixture {
        _dir: dir,
        root,
        concern: dna(1, 8000),
        background: dna(2, 8000),
    };
    fixture.write(
        "concern.fa",
        &format!(">c1 taxid|694009| generated\n{}\n", fixture.concern),
    );
    fixture.write(
        "background.fa",
        &format!(">b1 taxid=10710\n{}\n", fixture.background),
    );
    bwcv()
        .args(["seq", "db", "build", "--concern"])
        .arg(fixture.path("concern.fa"))
        .arg("--background")
        .arg(fixture.path("background.fa"))
        .arg("--output")
        .arg(fixture.path("screen.db"))
        .assert()
        .success()
        .stderr(predicate::str::contains("sha256:"));
    fixture
}

fn screen(fixture: &Fixture, input: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    bwcv()
        .args(["seq", "screen"])
        .arg(input)
        .arg("--db")
        .arg(fixture.path("screen.db"))
        .args(extra)
        .assert()
}

#[test]
fn flagged_orders_exit_one_and_background_exits_zero() {
    let fixture = fixture();
    let order = fixture.write(
        "order.fa",
        &format!(
            ">insert\n{}{}{}\n",
            &fixture.background[0..500],
            &fixture.concern[3000..3060],
            &fixture.background[500..1000]
        ),
    );
    let output = screen(&fixture, &order, &[])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).expect("utf8");
    assert!(text.starts_with("# engine\tbwcv-seq"), "{text}");
    assert!(text.contains("# database_digest\tsha256:"));
    let row = text
        .lines()
        .find(|line| line.contains("\tconcern\t"))
        .expect("a concern row");
    assert!(
        row.contains("\tflag\t") && row.contains("ag-hap-v-sars") && row.contains("c1"),
        "{row}"
    );

    let clean = fixture.write(
        "clean.fa",
        &format!(">bg\n{}\n", &fixture.background[2000..2600]),
    );
    screen(&fixture, &clean, &[])
        .code(0)
        .stdout(predicate::str::contains("\tpass\t"));

    // JSON and HTML
    let output = screen(&fixture, &order, &["--format", "json"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).expect("json");
    assert_eq!(json["summary"]["n_flag"], 1);
    assert_eq!(json["records"][0]["regions"][0]["kind"], "concern");
    assert_eq!(
        json["records"][0]["regions"][0]["list_entry"],
        "ag-hap-v-sars"
    );
    assert!(
        json["meta"]["database_digest"]
            .as_str()
            .expect("digest")
            .len()
            == 64
    );
    screen(&fixture, &order, &["--format", "html"])
        .code(1)
        .stdout(
            predicate::str::contains("<!DOCTYPE html>")
                .and(predicate::str::contains("Flagged records")),
        );

    // short records are not screened unless the minimum is lowered
    let short = fixture.write("short.fa", &format!(">s\n{}\n", &fixture.concern[100..140]));
    screen(&fixture, &short, &[])
        .code(0)
        .stdout(predicate::str::contains("\twarn\t"));
    screen(&fixture, &short, &["--min-fragment", "40"]).code(1);
}

#[test]
fn malformed_input_is_refused_or_skipped_with_line_numbers() {
    let fixture = fixture();
    let input = fixture.write(
        "mixed.fq",
        &format!(
            "@r1\n{}\n+\n{}\n@r2\nACGT\n+\nII\n@r3\n{}\n+\n{}\n",
            &fixture.concern[0..100],
            "I".repeat(100),
            &fixture.background[0..100],
            "I".repeat(100)
        ),
    );
    screen(&fixture, &input, &[]).code(2).stderr(
        predicate::str::contains("line 7").and(predicate::str::contains("quality length 2")),
    );
    screen(&fixture, &input, &["--on-error", "skip"])
        .code(1)
        .stdout(predicate::str::contains("# skipped").and(predicate::str::contains("line 7")));
}

#[test]
fn bad_databases_and_labels_are_errors() {
    let fixture = fixture();
    let mut bytes = std::fs::read(fixture.path("screen.db")).expect("db");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(fixture.path("corrupt.db"), &bytes).expect("write");
    let order = fixture.write("o.fa", &format!(">o\n{}\n", &fixture.concern[0..200]));
    bwcv()
        .args(["seq", "screen"])
        .arg(&order)
        .arg("--db")
        .arg(fixture.path("corrupt.db"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corrupt"));
    // a database of format version 1 (sequences only, no stored index) is
    // refused with a request to rebuild it
    let mut old = std::fs::read(fixture.path("screen.db")).expect("db");
    old[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(fixture.path("v1.db"), &old).expect("write");
    bwcv()
        .args(["seq", "screen"])
        .arg(&order)
        .arg("--db")
        .arg(fixture.path("v1.db"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("format version 1 is not supported").and(
                predicate::str::contains("rebuild the database with `bwcv seq db build`"),
            ),
        );
    bwcv()
        .args(["seq", "db", "info"])
        .arg(fixture.path("screen.db"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"digest\"").and(predicate::str::contains("bwcv-seq")));

    fixture.write("unlisted.fa", ">u taxid|10710|\nACGTACGTACGT\n");
    bwcv()
        .args(["seq", "db", "build", "--concern"])
        .arg(fixture.path("unlisted.fa"))
        .arg("--output")
        .arg(fixture.path("x.db"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "neither is nor descends from a listed taxid",
        ));
    // a failed build leaves the database at its output path as it was,
    // and a build that cannot rename its file into place leaves no partial file
    let before = std::fs::read(fixture.path("screen.db")).expect("db");
    bwcv()
        .args(["seq", "db", "build", "--concern"])
        .arg(fixture.path("unlisted.fa"))
        .arg("--output")
        .arg(fixture.path("screen.db"))
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read(fixture.path("screen.db")).expect("db"),
        before
    );
    std::fs::create_dir(fixture.path("folder.db")).expect("folder");
    bwcv()
        .args(["seq", "db", "build", "--concern"])
        .arg(fixture.path("concern.fa"))
        .arg("--output")
        .arg(fixture.path("folder.db"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("renaming"));
    let leftovers: Vec<String> = std::fs::read_dir(&fixture.root)
        .expect("folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // a national list taxid given on the command line makes it a concern
    bwcv()
        .args(["seq", "db", "build", "--list-taxid", "10710", "--concern"])
        .arg(fixture.path("unlisted.fa"))
        .arg("--output")
        .arg(fixture.path("x.db"))
        .assert()
        .success();
}

#[test]
fn help_documents_exit_codes_and_orders_are_reproducible() {
    bwcv()
        .args(["seq", "screen", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Exit codes: 0 no record flagged; 1 at least one record flagged",
        ));
    let fixture = fixture();
    let mut outputs = Vec::new();
    for run in 0..2 {
        let fasta = fixture.path(&format!("orders{run}.fa"));
        let truth = fixture.path(&format!("truth{run}.tsv"));
        bwcv()
            .args([
                "seq",
                "bench-orders",
                "--per-bin",
                "2",
                "--seed",
                "7",
                "--concern",
            ])
            .arg(fixture.path("concern.fa"))
            .arg("--background")
            .arg(fixture.path("background.fa"))
            .arg("--fasta")
            .arg(&fasta)
            .arg("--truth")
            .arg(&truth)
            .assert()
            .success();
        outputs.push((
            std::fs::read(&fasta).expect("fasta"),
            std::fs::read_to_string(&truth).expect("truth"),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    let truth = &outputs[0].1;
    assert!(truth.starts_with("id\torigin\tsource"));
    assert_eq!(truth.lines().count(), 1 + 2 * 3 * 5 * 2 * 2);
}

/// A path as an argument.
fn path_text(path: &Path) -> String {
    path.to_str().expect("utf8 path").to_string()
}

/// Stdout of a screen that flags (exit code 1).
fn flagged_stdout(fixture: &Fixture, input: &Path, extra: &[&str]) -> String {
    let output = screen(fixture, input, extra)
        .code(1)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("utf8")
}

#[test]
fn a_report_re_runs_with_its_recorded_parameters() {
    let fixture = fixture();
    let order = fixture.write(
        "order.fa",
        &format!(
            ">insert\n{}{}{}\n>bg\n{}\n",
            &fixture.background[0..400],
            &fixture.concern[3000..3080],
            &fixture.background[400..800],
            &fixture.background[2000..2600]
        ),
    );
    // a screen with knobs that are not the defaults
    let knobs = fixture.write(
        "knobs.json",
        r#"{"margin_bits_per_nt": 0.4, "search": {"x_drop_dna": 30, "join_gaps": false}}"#,
    );
    let first_text = flagged_stdout(
        &fixture,
        &order,
        &[
            "--screen-params",
            &path_text(&knobs),
            "--max-evalue",
            "1e-4",
        ],
    );
    let recorded = first_text
        .lines()
        .find_map(|line| line.strip_prefix("# screen_params\t"))
        .expect("screen_params line");
    let recorded: serde_json::Value = serde_json::from_str(recorded).expect("json");
    assert_eq!(recorded["margin_bits_per_nt"], 0.4);
    assert_eq!(recorded["max_evalue"], 1e-4);
    assert_eq!(recorded["search"]["x_drop_dna"], 30);
    assert_eq!(recorded["search"]["join_gaps"], false);
    // the options left alone keep their defaults
    assert_eq!(recorded["min_fragment_nt"], 50);
    assert_eq!(recorded["search"]["gap_open"], 5);

    // the TSV, JSON and HTML reports each give the same screen back
    let report = fixture.write("first.tsv", &first_text);
    let again = flagged_stdout(&fixture, &order, &["--screen-params", &path_text(&report)]);
    assert_eq!(again, first_text);
    // (the HTML report too: it is often all a biosafety officer was given)
    for format in ["json", "html"] {
        let other = flagged_stdout(
            &fixture,
            &order,
            &["--screen-params", &path_text(&report), "--format", format],
        );
        let other_report = fixture.write(&format!("first.{format}"), &other);
        let again = flagged_stdout(
            &fixture,
            &order,
            &["--screen-params", &path_text(&other_report)],
        );
        assert_eq!(again, first_text, "re-run from the {format} report");
    }

    // bad files are errors that name the field or line, and exit 2
    for (name, text, expected) in [
        (
            "typo.json",
            r#"{"search": {"xdrop": 3}}"#,
            "unknown field `xdrop`",
        ),
        (
            "range.json",
            r#"{"search": {"window_nt": 0}}"#,
            "search.window_nt = 0",
        ),
        (
            "broken.tsv",
            "# engine\tx\n# screen_params\t{oops\n",
            "line 2",
        ),
        ("none.tsv", "file\trecord\n", "no screen parameters found"),
    ] {
        let path = fixture.write(name, text);
        screen(&fixture, &order, &["--screen-params", &path_text(&path)])
            .code(2)
            .stderr(predicate::str::contains(expected).and(predicate::str::contains(name)));
    }
    screen(
        &fixture,
        &order,
        &["--screen-params", &path_text(&fixture.path("missing.json"))],
    )
    .code(2)
    .stderr(predicate::str::contains("missing.json"));
}
