//! End-to-end tests of `bwcv params show` and the global `--params FILE`.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("the bwcv binary is built")
}

fn builtin_text() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bwcv-core/data/params/protocol.toml");
    std::fs::read_to_string(&path).expect("the built-in parameter file is in the repository")
}

fn write_params(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("params.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn show_prints_identity_line_header_and_every_parameter() {
    let output = bwcv().args(["params", "show"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    let identity = lines.next().unwrap();
    assert!(
        identity.starts_with("# set=bwcv-protocol version=2026.1 digest="),
        "{identity}"
    );
    assert!(identity.ends_with(" from=built-in"));
    let digest = identity
        .split("digest=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(digest.len(), 64);
    assert_eq!(
        lines.next(),
        Some("name\tvalue\tunit\tverified\tsource\tdescription")
    );
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split('\t').collect()).collect();
    assert!(rows.iter().all(|row| row.len() == 6));
    let get = |name: &str| {
        rows.iter()
            .find(|row| row[0] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(&get("cbm.deadline")[1..4], ["04-15", "month-day", "true"]);
    assert_eq!(
        &get("visits.random.max_per_state_party_per_year")[1..4],
        ["7", "visits", "true"]
    );
    assert_eq!(
        &get("visits.random.max_per_facility_in_window")[1..4],
        ["3", "visits", "true"]
    );
    assert_eq!(
        &get("visits.random.facility_window_years")[1..4],
        ["5", "years", "true"]
    );
    assert_eq!(
        &get("visits.random.total_per_year")[1..4],
        ["120", "visits", "true"]
    );
    assert_eq!(get("investigation.notice_hours")[3], "false");
    assert!(get("investigation.notice_hours")[4].starts_with("bwcv working assumption"));
}

#[test]
fn show_json_parses_and_carries_version_and_digest() {
    let output = bwcv()
        .args(["params", "show", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["version"], "2026.1");
    assert_eq!(json["from"], "built-in");
    assert_eq!(json["digest"].as_str().unwrap().len(), 64);
    let parameters = json["parameters"].as_array().unwrap();
    let deadline = parameters
        .iter()
        .find(|p| p["name"] == "cbm.deadline")
        .unwrap();
    assert_eq!(deadline["value"], "04-15");
    assert_eq!(deadline["kind"], "month-day");
    assert_eq!(deadline["verified"], true);
    let quorum = parameters
        .iter()
        .find(|p| p["name"] == "council.quorum_fraction")
        .unwrap();
    assert_eq!(quorum["value"], 0.667);
    assert_eq!(quorum["kind"], "float");
}

#[test]
fn params_file_replaces_the_builtin_set() {
    let dir = tempfile::tempdir().unwrap();
    let text = builtin_text()
        .replace("version = \"2026.1\"", "version = \"test.1\"")
        .replace("value = 120", "value = 100");
    let path = write_params(&dir, &text);
    let output = bwcv()
        .arg("--params")
        .arg(&path)
        .args(["params", "show", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["version"], "test.1");
    assert_eq!(json["from"], path.display().to_string());
    let total = json["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "visits.random.total_per_year")
        .unwrap();
    assert_eq!(total["value"], 100);

    // The option is global: it may also follow the verb.
    bwcv()
        .args(["params", "show"])
        .arg("--params")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("version=test.1"));
}

#[test]
fn digest_of_an_identical_file_equals_the_builtin_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_params(&dir, &builtin_text());
    let digest_of = |output: std::process::Output| -> String {
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["digest"].as_str().unwrap().to_owned()
    };
    let builtin = digest_of(
        bwcv()
            .args(["params", "show", "--format", "json"])
            .output()
            .unwrap(),
    );
    let from_file = digest_of(
        bwcv()
            .arg("--params")
            .arg(&path)
            .args(["params", "show", "--format", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(builtin, from_file);
}

#[test]
fn invalid_params_file_is_a_clear_error_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            builtin_text().replace("value = \"04-15\"", "value = \"04-31\""),
            vec![
                "is not a valid parameter set",
                "cbm.deadline",
                "value",
                "04-31",
            ],
        ),
        (
            builtin_text().replace("unit = \"fraction\"", "unit = \"percent\""),
            vec!["council.quorum_fraction", "unit", "percent"],
        ),
        (
            builtin_text().replace("name = \"team.max_size\"", "name = \"team.maximum\""),
            vec!["required parameter", "team.max_size"],
        ),
        ("not toml at all = = =".to_owned(), vec!["not valid TOML"]),
    ];
    for (text, words) in cases {
        let path = write_params(&dir, &text);
        let output = bwcv()
            .arg("--params")
            .arg(&path)
            .args(["params", "show"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        for word in words {
            assert!(stderr.contains(word), "{stderr:?} should mention {word:?}");
        }
    }
}

#[test]
fn missing_params_file_names_the_file() {
    bwcv()
        .args([
            "--params",
            "/nonexistent/bwcv-params.toml",
            "params",
            "show",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "reading parameter file /nonexistent/bwcv-params.toml",
        ));
}

#[test]
fn help_explains_verification_and_the_params_option() {
    bwcv()
        .args(["params", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("verified"))
        .stdout(predicate::str::contains("--params"));
    bwcv()
        .args(["params", "show", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("digest"));
}
