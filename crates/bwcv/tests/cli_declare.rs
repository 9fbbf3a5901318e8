//! End-to-end tests of `bwcv declare ...`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("the bwcv binary is built")
}

/// Writes the demo returns into a temporary directory.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    bwcv()
        .args(["declare", "demo-data", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("states.json"));
    dir
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn stdout_of(command: &mut Command) -> (Option<i32>, String) {
    let output = command.output().expect("runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8"),
    )
}

#[test]
fn demo_data_writes_one_file_per_return_and_the_roster() {
    let dir = demo_dir();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"states.json".to_owned()));
    assert!(names.contains(&"XAR-2021.json".to_owned()));
    assert!(
        !names.contains(&"XUT-2023.json".to_owned()),
        "Utopia's 2023 return is missing on purpose"
    );
    assert_eq!(names.len(), 23 + 1);
}

#[test]
fn validate_a_valid_return_exits_0() {
    let dir = demo_dir();
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "validate"])
            .arg(file(dir.path(), "XAR-2022.json")),
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(
        stdout.trim(),
        "file\tpath\trule\tseverity\tline\tcolumn\tmessage"
    );
}

#[test]
fn validate_reports_rule_and_path_and_exits_1() {
    let dir = demo_dir();
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "validate"])
            .arg(file(dir.path(), "XAR-2022.json"))
            .arg(file(dir.path(), "XAR-2023.json")),
    );
    assert_eq!(code, Some(1));
    let row = stdout
        .lines()
        .find(|l| l.contains("agent.not_listed"))
        .expect("the unlisted agent is reported");
    let cells: Vec<&str> = row.split('\t').collect();
    assert!(cells[0].ends_with("XAR-2023.json"));
    assert_eq!(cells[1], "/forms/a_part_2_iii/facilities/1/agents/2");
    assert_eq!(cells[3], "error");
}

#[test]
fn validate_json_lists_every_file() {
    let dir = demo_dir();
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "validate", "--format", "json"])
            .arg(file(dir.path(), "XER-2024.json"))
            .arg(file(dir.path(), "XFR-2024.json")),
    );
    assert_eq!(code, Some(1));
    let reports: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(reports.as_array().map(Vec::len), Some(2));
    assert_eq!(reports[0]["valid"], false);
    assert_eq!(
        reports[0]["problems"][0]["rule"],
        "a2iii.bsl4_missing_from_a1"
    );
    assert_eq!(reports[1]["valid"], true);
}

#[test]
fn validate_broken_json_gives_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"format_version\": 1,\n  \"state_party\": XAR\n}\n",
    )
    .expect("write");
    let (code, stdout) = stdout_of(bwcv().args(["declare", "validate"]).arg(&path));
    assert_eq!(code, Some(1));
    let row = stdout.lines().nth(1).expect("a problem row");
    let cells: Vec<&str> = row.split('\t').collect();
    assert_eq!(cells[2], "parse.syntax");
    assert_eq!(cells[4], "3");
}

#[test]
fn validate_form_d_is_invalid_with_a_clear_message() {
    let dir = demo_dir();
    let path = file(dir.path(), "XFR-2021.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    value["forms"]["d"] = serde_json::json!({"conferences": []});
    std::fs::write(&path, value.to_string()).expect("write");
    bwcv()
        .args(["declare", "validate"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("form_d.deleted"))
        .stdout(predicate::str::contains(
            "deleted by the Seventh Review Conference",
        ));
}

#[test]
fn validate_unreadable_file_exits_2() {
    let dir = demo_dir();
    bwcv()
        .args(["declare", "validate"])
        .arg(file(dir.path(), "XAR-2022.json"))
        .arg(file(dir.path(), "does-not-exist.json"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("file.unreadable"))
        .stderr(predicate::str::contains("does-not-exist.json"));
}

#[test]
fn validate_honours_the_params_file() {
    let dir = demo_dir();
    // XFR 2025 says "nothing new since 2021": 4 years back.
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bwcv-core/data/params/protocol.toml"),
    )
    .expect("built-in params");
    let narrow = text.replacen("value = 15", "value = 2", 1);
    assert_ne!(narrow, text);
    let params = dir.path().join("narrow.toml");
    std::fs::write(&params, narrow).expect("write");
    bwcv()
        .args(["declare", "validate"])
        .arg(file(dir.path(), "XFR-2025.json"))
        .assert()
        .code(0);
    bwcv()
        .arg("--params")
        .arg(&params)
        .args(["declare", "validate"])
        .arg(file(dir.path(), "XFR-2025.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("form0.year_out_of_range"));
}

#[test]
fn diff_finds_the_disappearing_facility() {
    let dir = demo_dir();
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "diff"])
            .arg(file(dir.path(), "XAR-2023.json"))
            .arg(file(dir.path(), "XAR-2024.json")),
    );
    assert_eq!(code, Some(1));
    assert!(stdout.starts_with("measure\tfacility\tkind\tpath\told\tnew\n"));
    assert!(
        stdout.contains(
            "a_part_1\tXAR-F0002\tremoved\t/forms/a_part_1/maximum_containment/XAR-F0002"
        )
    );
    assert!(stdout.contains("finding\tyear\tmeasure\tfacility\tmessage"));
    assert!(stdout.contains("diff.facility_disappeared\t2024\ta_part_1\tXAR-F0002"));
}

#[test]
fn diff_of_consistent_years_exits_0_and_json_works() {
    let dir = demo_dir();
    bwcv()
        .args(["declare", "diff"])
        .arg(file(dir.path(), "XFR-2022.json"))
        .arg(file(dir.path(), "XFR-2023.json"))
        .assert()
        .code(0);
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "diff", "--format", "json"])
            .arg(file(dir.path(), "XUT-2022.json"))
            .arg(file(dir.path(), "XUT-2024.json")),
    );
    assert_eq!(code, Some(1));
    let diff: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(diff["old_year"], 2022);
    let kinds: Vec<&str> = diff["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"history.year_missing"), "{kinds:?}");
}

#[test]
fn render_html_and_markdown() {
    let dir = demo_dir();
    let (code, html) = stdout_of(
        bwcv()
            .args(["declare", "render"])
            .arg(file(dir.path(), "XAR-2022.json"))
            .args(["--format", "html"]),
    );
    assert_eq!(code, Some(0));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Form A, part 2 (iii)"));
    assert!(!html.contains("<script"));
    let (code, md) = stdout_of(
        bwcv()
            .args(["declare", "render"])
            .arg(file(dir.path(), "XAR-2022.json"))
            .args(["--format", "md"]),
    );
    assert_eq!(code, Some(0));
    assert!(md.starts_with("# Confidence-Building Measures return of XAR for 2022"));
}

#[test]
fn render_of_a_non_return_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.json");
    std::fs::write(&path, "[1, 2, 3]").expect("write");
    bwcv()
        .args(["declare", "render"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("x.json"));
}

#[test]
fn schema_is_printed() {
    let (code, stdout) = stdout_of(bwcv().args(["declare", "schema"]));
    assert_eq!(code, Some(0));
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["$defs"]["FormAPart2iii"].is_object());
}

#[test]
fn overview_of_files() {
    let dir = demo_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let (code, stdout) = stdout_of(
        bwcv()
            .args(["declare", "overview", "--as-of", "2026-06-30"])
            .args(&files),
    );
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("# overview year=2025 as_of=2026-06-30 deadline=2026-04-15"));
    assert!(stdout.contains("XER\tGrand Duchy of Erewhon\t\toverdue"));
    assert!(stdout.contains("XLI\tKingdom of Lilliput\t2026-05-20\tlate\t35"));
    assert!(stdout.contains("code\tyear\tsource\trule\tseverity\tpath\tmessage"));
    let (code, stdout) = stdout_of(
        bwcv()
            .args([
                "declare",
                "overview",
                "--year",
                "2023",
                "--as-of",
                "2026-06-30",
                "--format",
                "json",
            ])
            .args(&files),
    );
    assert_eq!(code, Some(0));
    let overview: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(overview["year"], 2023);
    let utopia = overview["states"]
        .as_array()
        .expect("states")
        .iter()
        .find(|s| s["code"] == "XUT")
        .expect("XUT");
    assert_eq!(utopia["status"], "overdue");
}

#[test]
fn help_explains_the_forms() {
    bwcv()
        .args(["declare", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Form 0"))
        .stdout(predicate::str::contains("Measure D was deleted in 2011"))
        .stdout(predicate::str::contains("never decide compliance"));
    bwcv()
        .args(["declare", "validate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
}
