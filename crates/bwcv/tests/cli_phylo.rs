//! End-to-end tests of `bwcv phylo tree|clock|place` on small generated data.

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("binary")
}

/// A strict clock at 0.01 subst/site/year from 2000, written with a wrong root.
const CLOCK_TREE: &str = "(A:0.06,(B:0.04,(C:0.10,D:0.04):0.06):0.0);\n";
const CLOCK_DATES: &str = "name,date\nA,2010\nB,2008\nC,2012-XX-XX\nD,2006.0\n";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn clock_tsv_and_json_on_a_perfect_clock() {
    let dir = tempfile::tempdir().expect("tmp");
    let tree = write(&dir, "t.nwk", CLOCK_TREE);
    // C's date is a range whose midpoint is 2012.5 - a tiny bit: use exact 2012 instead
    let dates = write(&dir, "d.csv", &CLOCK_DATES.replace("2012-XX-XX", "2012"));
    let svg = dir.path().join("rtt.svg");
    let out_tree = dir.path().join("rooted.nwk");
    bwcv()
        .args(["phylo", "clock", "--sequence-length", "1000", "--tree"])
        .arg(&tree)
        .arg("--dates")
        .arg(&dates)
        .arg("--plot")
        .arg(&svg)
        .arg("--out-tree")
        .arg(&out_tree)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("rate\tr2\troot_date"))
        .stdout(predicate::str::contains("1.000000e-2\t1.0000\t2000.0000"));
    let svg_text = std::fs::read_to_string(&svg).expect("svg");
    assert!(svg_text.starts_with("<svg") && svg_text.contains("<circle"));
    let rooted = std::fs::read_to_string(&out_tree).expect("tree");
    assert!(rooted.trim_end().ends_with(';'));

    let output = bwcv()
        .args([
            "phylo",
            "clock",
            "--format",
            "json",
            "--sequence-length",
            "1000",
            "--tree",
        ])
        .arg(&tree)
        .arg("--dates")
        .arg(&dates)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert!((json["rate"].as_f64().expect("rate") - 0.01).abs() < 1e-9);
    assert!((json["r2"].as_f64().expect("r2") - 1.0).abs() < 1e-9);
    assert!((json["root_date"].as_f64().expect("root") - 2000.0).abs() < 1e-6);
    assert!(
        json["engine"]
            .as_str()
            .expect("engine")
            .starts_with("bwcv-phylo")
    );
    assert_eq!(json["parameters"]["clock_filter"], 4.0);
    assert_eq!(json["inputs"][0]["role"], "tree");
    assert_eq!(json["inputs"][0]["sha256"].as_str().expect("sha").len(), 64);
}

#[test]
fn clock_reports_outliers_with_exit_1() {
    // two clades of cherries on a 0.001/yr clock from 1990; "odd" has 20
    // years' worth of extra substitutions
    let mut clades = Vec::new();
    let mut dates = String::from("strain\tdate\n");
    for c in 0..2 {
        let mut cherries = Vec::new();
        for pair in 0..5 {
            let mut tips = Vec::new();
            for k in 0..2 {
                let i = 2 * pair + k;
                let year = 2000.0 + 2.0 * i as f64 + c as f64;
                let odd = c == 0 && i == 3;
                let name = if odd {
                    "odd".to_string()
                } else {
                    format!("t{c}_{i}")
                };
                let extra = if odd { 0.02 } else { 0.0 };
                tips.push(format!("{name}:{}", (year - 1997.0) * 0.001 + extra));
                dates.push_str(&format!("{name}\t{year}\n"));
            }
            cherries.push(format!("({}):0.002", tips.join(",")));
        }
        clades.push(format!("({}):0.005", cherries.join(",")));
    }
    let dir = tempfile::tempdir().expect("tmp");
    let tree = write(&dir, "t.nwk", &format!("({});", clades.join(",")));
    let dates = write(&dir, "d.tsv", &dates);
    bwcv()
        .args(["phylo", "clock", "--sequence-length", "1000", "--tree"])
        .arg(&tree)
        .arg("--dates")
        .arg(&dates)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\t1\todd"));
}

fn simulated_alignment() -> (String, String) {
    // root sequence and four tips with mutations at distinct sites;
    // tip i sampled in 2000 + 2i carries 5·i + 5 substitutions
    let mut x: u64 = 11;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let root: Vec<u8> = (0..1200).map(|_| b"ACGT"[next() % 4]).collect();
    let mut fasta = String::new();
    let mut dates = String::from("name,date\n");
    let mut site = 0usize;
    let mut shared = root.clone();
    for s in shared.iter_mut().take(10) {
        *s = if *s == b'A' { b'G' } else { b'A' };
        site += 1;
    }
    for i in 0..6 {
        let mut seq = if i < 3 { shared.clone() } else { root.clone() };
        let base = if i < 3 { 10 } else { 0 };
        for _ in 0..(6 * i + 4 + 10 - base) {
            seq[site] = if seq[site] == b'C' { b'T' } else { b'C' };
            site += 1;
        }
        fasta.push_str(&format!(">s{i}\n{}\n", String::from_utf8_lossy(&seq)));
        dates.push_str(&format!("s{i},{}\n", 2000 + 3 * i));
    }
    (fasta, dates)
}

#[test]
fn tree_from_alignment_is_newick() {
    let dir = tempfile::tempdir().expect("tmp");
    let (fasta, _) = simulated_alignment();
    let aln = write(&dir, "a.fasta", &fasta);
    let output = bwcv()
        .args(["phylo", "tree", "--model", "jc69", "--aln"])
        .arg(&aln)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).expect("utf8");
    let tree = bwcv_phylo_parse(&text);
    assert_eq!(tree, 6);
}

fn bwcv_phylo_parse(text: &str) -> usize {
    // count tip names s0..s5 in the Newick text
    (0..6).filter(|i| text.contains(&format!("s{i}:"))).count()
}

#[test]
fn place_reports_a_genome_with_too_few_substitutions() {
    let dir = tempfile::tempdir().expect("tmp");
    let (fasta, dates) = simulated_alignment();
    let aln = write(&dir, "a.fasta", &fasta);
    // the query is s0 itself (sampled 2000) claimed to be from 2016
    let s0 = fasta.lines().nth(1).expect("seq").to_string();
    let query = write(&dir, "q.fasta", &format!(">lab\n{s0}\n"));
    let dates = write(&dir, "d.csv", &format!("{dates}lab,2016\n"));
    bwcv()
        .args(["phylo", "place", "--aln"])
        .arg(&aln)
        .arg("--query")
        .arg(&query)
        .arg("--dates")
        .arg(&dates)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "too few substitutions for its sampling date",
        ))
        .stdout(predicate::str::contains("lab\t0\t"));
    let output = bwcv()
        .args(["phylo", "place", "--format", "json", "--aln"])
        .arg(&aln)
        .arg("--query")
        .arg(&query)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["placements"][0]["relatives"][0]["name"], "s0");
    assert_eq!(json["placements"][0]["relatives"][0]["differences"], 0);
}

#[test]
fn bad_input_is_exit_2_with_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let tree = write(&dir, "bad.nwk", "((A:1,B:2),\nC:x);");
    let dates = write(&dir, "d.csv", CLOCK_DATES);
    bwcv()
        .args(["phylo", "clock", "--sequence-length", "100", "--tree"])
        .arg(&tree)
        .arg("--dates")
        .arg(&dates)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2, column 3"));
    bwcv()
        .args(["phylo", "clock", "--dates"])
        .arg(&dates)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--sequence-length"));
}
