//! End-to-end tests of `bwcv lists show` and `bwcv lists find`.

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("the bwcv binary is built")
}

fn stdout_of(args: &[&str]) -> (i32, String, String) {
    let output = bwcv().args(args).output().expect("bwcv runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    )
}

#[test]
fn show_prints_a_tsv_table_of_every_entry() {
    let (code, stdout, _) = stdout_of(&["lists", "show"]);
    assert_eq!(code, 0);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("id\tcategory\tgroup\tname\tsynonyms\ttaxid\tlist_id")
    );
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split('\t').collect()).collect();
    assert!(rows.len() > 100, "only {} rows", rows.len());
    assert!(rows.iter().all(|row| row.len() == 7));
    let anthracis = rows
        .iter()
        .find(|row| row[0] == "ag-hap-b-anthracis")
        .expect("Bacillus anthracis is listed");
    assert_eq!(anthracis[1], "human_animal_pathogen");
    assert_eq!(anthracis[2], "bacterium");
    assert_eq!(anthracis[3], "Bacillus anthracis");
    assert_eq!(anthracis[5], "1392");
    assert_eq!(anthracis[6], "ag-hap");
    let ebola = rows.iter().find(|row| row[0] == "ag-hap-v-ebola").unwrap();
    assert_eq!(ebola[5], "186536");
    assert!(ebola[4].contains("Orthoebolavirus; "));
}

#[test]
fn show_filters_by_category_and_list() {
    let (code, stdout, _) = stdout_of(&["lists", "show", "--category", "toxin"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|row| row.split('\t').nth(1) == Some("toxin"))
    );
    assert!(rows.iter().any(|row| row.starts_with("ag-hap-t-ricin\t")));

    let (code, stdout, _) = stdout_of(&["lists", "show", "--list", "ag-plant"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|row| row.ends_with("\tag-plant")));

    // Both filters at once; plant genetic elements only.
    let (code, stdout, _) = stdout_of(&[
        "lists",
        "show",
        "--list",
        "ag-plant",
        "--category",
        "genetic_element",
    ]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 3);
}

#[test]
fn show_json_includes_list_info_and_parses() {
    let (code, stdout, _) = stdout_of(&["lists", "show", "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let lists = json["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 3);
    for list in lists {
        for field in ["id", "title", "version_date", "source"] {
            assert!(list[field].is_string(), "list field {field}");
        }
    }
    let entries = json["entries"].as_array().unwrap();
    let variola = entries
        .iter()
        .find(|entry| entry["name"] == "Variola virus")
        .unwrap();
    assert_eq!(variola["taxid"], 10255);
    assert_eq!(variola["category"], "human_animal_pathogen");

    let (_, stdout, _) = stdout_of(&[
        "lists",
        "show",
        "--list",
        "ag-equipment",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["lists"].as_array().unwrap().len(), 1);
    assert!(
        json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["category"] == "equipment")
    );
}

#[test]
fn show_rejects_unknown_category_and_list() {
    bwcv()
        .args(["lists", "show", "--category", "weapons"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown category"));
    bwcv()
        .args(["lists", "show", "--list", "ag-nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown list \"ag-nope\""))
        .stderr(predicate::str::contains("ag-hap"));
}

#[test]
fn find_unique_by_substring_name_and_taxid() {
    for query in [
        "anthracis",
        "Bacillus anthracis",
        "  BACILLUS   anthracis ",
        "1392",
        "ag-hap-b-anthracis",
    ] {
        let (code, stdout, _) = stdout_of(&["lists", "find", query]);
        assert_eq!(code, 0, "{query:?}");
        let rows: Vec<&str> = stdout.lines().skip(1).collect();
        assert_eq!(rows.len(), 1, "{query:?}");
        assert!(rows[0].starts_with("ag-hap-b-anthracis\t"), "{query:?}");
    }
    let (code, stdout, _) = stdout_of(&["lists", "find", "SARS-CoV-2", "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["status"], "unique");
    assert_eq!(json["entry"]["taxid"], 694009);
}

#[test]
fn find_ambiguous_lists_every_candidate_and_exits_1() {
    bwcv()
        .args(["lists", "find", "brucella"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "ambiguous: 3 entries match; use an exact name or taxid",
        ))
        .stdout(predicate::str::contains("ag-hap-b-brucella-abortus"))
        .stdout(predicate::str::contains("ag-hap-b-brucella-melitensis"))
        .stdout(predicate::str::contains("ag-hap-b-brucella-suis"));

    let (code, stdout, _) = stdout_of(&["lists", "find", "brucella", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["status"], "ambiguous");
    assert_eq!(json["candidates"].as_array().unwrap().len(), 3);
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .starts_with("ambiguous: 3 entries")
    );
}

#[test]
fn find_unknown_suggests_without_matching() {
    let (code, stdout, stderr) = stdout_of(&["lists", "find", "antracis"]);
    assert_eq!(code, 1);
    // stdout holds matches: none, only the header.
    assert_eq!(stdout.lines().count(), 1);
    assert!(stderr.contains("not found"));
    assert!(stderr.contains("Bacillus anthracis"));

    let (code, stdout, _) = stdout_of(&["lists", "find", "antracis", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["status"], "not_found");
    assert_eq!(json["suggestions"][0]["id"], "ag-hap-b-anthracis");

    let (code, _, stderr) = stdout_of(&["lists", "find", "9606"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not found: no entry matches \"9606\""));
}

#[test]
fn find_empty_query_is_a_usage_error() {
    bwcv()
        .args(["lists", "find", "   "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("query is empty"));
    bwcv().args(["lists", "find"]).assert().code(2);
}

#[test]
fn help_explains_the_verbs() {
    bwcv()
        .args(["lists", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Australia Group"))
        .stdout(predicate::str::contains("find"))
        .stdout(predicate::str::contains("show"));
    bwcv()
        .args(["lists", "find", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("never"))
        .stdout(predicate::str::contains("Exit codes"));
}
