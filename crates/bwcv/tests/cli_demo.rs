//! End-to-end tests of `bwcv demo --overview` (plain `bwcv demo` starts the
//! portal; its tests live with the portal's).

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("the bwcv binary is built")
}

#[test]
fn demo_prints_the_overview_with_every_deliberate_inconsistency() {
    let output = bwcv().args(["demo", "--overview"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(stdout.starts_with("# overview year=2025 as_of=2026-06-30"));
    for code in ["XAR", "XLI", "XUT", "XER", "XFR"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{code}\t"))),
            "{code}"
        );
    }
    for rule in [
        "diff.facility_disappeared",
        "diff.nothing_new_but_changed",
        "history.year_missing",
        "history.nothing_new_unknown_year",
        "agent.not_listed",
        "agent.ambiguous",
        "a2iii.bsl4_missing_from_a1",
        "deadline.late",
    ] {
        assert!(stdout.contains(rule), "{rule} not flagged");
    }
    assert!(stdout.contains("\toverdue\t"));
}

#[test]
fn demo_is_deterministic() {
    let first = bwcv()
        .args(["demo", "--overview"])
        .output()
        .expect("runs")
        .stdout;
    let second = bwcv()
        .args(["demo", "--overview"])
        .output()
        .expect("runs")
        .stdout;
    assert_eq!(first, second);
}

#[test]
fn demo_json_and_from_a_directory() {
    let output = bwcv()
        .args(["demo", "--overview", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let generated: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(generated["states"].as_array().map(Vec::len), Some(5));
    assert!(generated["provenance"]["parameter_digest"].is_string());

    let dir = tempfile::tempdir().expect("tempdir");
    bwcv()
        .args(["declare", "demo-data", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let output = bwcv()
        .args(["demo", "--format", "json", "--dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let loaded: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(loaded, generated, "files round-trip to the same overview");
}

#[test]
fn demo_with_a_missing_directory_exits_2() {
    bwcv()
        .args(["demo", "--dir", "/nonexistent/bwcv-demo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/bwcv-demo"));
}

#[test]
fn demo_help_is_for_newcomers() {
    bwcv()
        .args(["demo", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("fictional"));
}
