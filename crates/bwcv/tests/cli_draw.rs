//! End to end: `bwcv draw announce | run | verify` with recorded drand
//! quicknet rounds (round 1000 and round 123, as published by the League of
//! Entropy and recorded in public drand client test suites).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const ROUND_1000_SIGNATURE: &str = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";
const ROUND_1000_RANDOMNESS: &str =
    "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd";
const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A pool of 4 State Parties x 12 facilities, and one earlier selection.
fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut pool = Vec::new();
    for party in ["ARC", "BOR", "CYR", "DUN"] {
        for serial in 1..=12 {
            let kind = if serial % 3 == 0 { "A2" } else { "A1" };
            pool.push(format!(
                r#"{{"facility":"{party}-F{serial:04}","declaration_type":"{kind}"}}"#
            ));
        }
    }
    let pool = write(dir, "pool.json", &format!("[{}]", pool.join(",")));
    let history = write(
        dir,
        "history.json",
        r#"[{"year":2021,"facility":"ARC-F0001"},{"year":2022,"facility":"ARC-F0001"},{"year":2020,"facility":"ARC-F0001"}]"#,
    );
    (pool, history)
}

fn announce(dir: &Path, extra: &[&str]) -> PathBuf {
    let (pool, history) = inputs(dir);
    let out = dir.join("announcement.json");
    bwcv()
        .args(["draw", "announce", "--pool"])
        .arg(&pool)
        .arg("--history")
        .arg(&history)
        .args([
            "--year",
            "2023",
            "--draw-id",
            "draw-2023",
            "--announced-at",
            "2023-07-01T00:00:00Z",
            "--drand-round",
            "1000",
        ])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "draw_id\tyear\tfacilities\tpool_digest\tannouncement_digest\tsources\n",
        ))
        .stdout(predicate::str::contains("drand quicknet round 1000"));
    out
}

fn beacon_file(dir: &Path) -> PathBuf {
    write(
        dir,
        "round1000.json",
        &format!(
            r#"{{"round":1000,"randomness":"{ROUND_1000_RANDOMNESS}","signature":"{ROUND_1000_SIGNATURE}"}}"#
        ),
    )
}

fn run_draw(dir: &Path, announcement: &Path, beacons: &[String], out: &str) -> PathBuf {
    let record = dir.join(out);
    let mut command = bwcv();
    command
        .args(["draw", "run", "--announcement"])
        .arg(announcement);
    for beacon in beacons {
        command.arg("--beacon").arg(beacon);
    }
    command
        .arg("--out")
        .arg(&record)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "order\tfacility\tstate_party\tdeclaration_type\tcounter\tdigest\ttickets_remaining\tticket\n",
        ));
    record
}

#[test]
fn announce_run_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let announcement = announce(
        dir.path(),
        &[
            "--lottery",
            "Lotto|2023-09-01T20:00:00Z|3",
            "--weight",
            "A2=2",
        ],
    );
    let beacons = [
        beacon_file(dir.path()).display().to_string(),
        "lottery:42,3,17".to_owned(),
    ];
    let record = run_draw(dir.path(), &announcement, &beacons, "draw.json");
    bwcv()
        .args(["draw", "verify"])
        .arg(&record)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "draw_id\tstatus\tdetail\ndraw-2023\tsame\t",
        ))
        .stdout(predicate::str::contains("/3.17.42./"));

    // Anyone re-running gets the same record, byte for byte.
    let again = run_draw(dir.path(), &announcement, &beacons, "again.json");
    assert_eq!(
        std::fs::read(&record).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // The facility already selected three times in the window is excluded.
    let text = std::fs::read_to_string(&record).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let picks = value["result"]["picks"].as_array().unwrap();
    assert!(picks.iter().all(|p| p["facility"] != "ARC-F0001"));
    assert_eq!(value["result"]["excluded"][0]["facility"], "ARC-F0001");
    // At most 7 per State Party (the built-in parameter), 28 in all here.
    assert_eq!(picks.len(), 28);

    // The explanation names the digests and the key string.
    bwcv()
        .args(["draw", "explain"])
        .arg(&record)
        .assert()
        .success()
        .stdout(predicate::str::contains("How to check draw draw-2023"))
        .stdout(predicate::str::contains("/3.17.42./"));

    // JSON output of verify.
    let output = bwcv()
        .args(["draw", "verify", "--format", "json"])
        .arg(&record)
        .output()
        .unwrap();
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["status"], "same");
    assert_eq!(summary["differences"].as_array().unwrap().len(), 0);
}

#[test]
fn the_drand_signature_form_of_a_beacon() {
    let dir = tempfile::tempdir().unwrap();
    let announcement = announce(dir.path(), &[]);
    let record = run_draw(
        dir.path(),
        &announcement,
        &[format!("drand:1000:{ROUND_1000_SIGNATURE}")],
        "draw.json",
    );
    bwcv()
        .args(["draw", "verify"])
        .arg(&record)
        .assert()
        .code(0);
}

#[test]
fn verify_states_precisely_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let announcement = announce(dir.path(), &[]);
    let record = run_draw(
        dir.path(),
        &announcement,
        &[beacon_file(dir.path()).display().to_string()],
        "draw.json",
    );
    let text = std::fs::read_to_string(&record).unwrap();
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();

    // Swap the first two selections.
    let mut swapped = original.clone();
    let picks = swapped["result"]["picks"].as_array_mut().unwrap();
    picks.swap(0, 1);
    let first = picks[0]["facility"].as_str().unwrap().to_owned();
    let second = picks[1]["facility"].as_str().unwrap().to_owned();
    let path = write(dir.path(), "swapped.json", &swapped.to_string());
    bwcv()
        .args(["draw", "verify"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "differs\tselection #1: recorded {first}, re-run gives {second}"
        )));

    // Quietly drop a facility from the pool after the announcement.
    let mut shrunk = original.clone();
    shrunk["announcement"]["pool"]
        .as_array_mut()
        .unwrap()
        .remove(5);
    let path = write(dir.path(), "shrunk.json", &shrunk.to_string());
    bwcv()
        .args(["draw", "verify"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("announcement digest: recorded"))
        .stdout(predicate::str::contains("pool digest: recorded"));

    // Replace the beacon by another genuine round.
    let mut other_round = original.clone();
    other_round["beacons"][0]["signature"] = ROUND_123_SIGNATURE.into();
    other_round["beacons"][0]["randomness"] = serde_json::Value::Null;
    let path = write(dir.path(), "other.json", &other_round.to_string());
    bwcv()
        .args(["draw", "verify"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "does not verify against the pinned quicknet key",
        ));
}

#[test]
fn bad_beacons_and_announcements_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let announcement = announce(dir.path(), &[]);
    let out = dir.path().join("x.json");
    // Round 123's genuine signature presented as round 1000.
    bwcv()
        .args(["draw", "run", "--announcement"])
        .arg(&announcement)
        .arg("--beacon")
        .arg(format!("drand:1000:{ROUND_123_SIGNATURE}"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not verify"));
    // Round 123 where round 1000 was announced.
    bwcv()
        .args(["draw", "run", "--announcement"])
        .arg(&announcement)
        .arg("--beacon")
        .arg(format!("drand:123:{ROUND_123_SIGNATURE}"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("announced drand round 1000"));
    for bad in ["drand:x:ab", "lottery:1,two", "nonsense"] {
        bwcv()
            .args(["draw", "run", "--announcement"])
            .arg(&announcement)
            .args(["--beacon", bad, "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--beacon"));
    }
    assert!(!out.exists());

    // Randomness that already exists (or too soon) cannot be announced.
    let (pool, _) = inputs(dir.path());
    bwcv()
        .args(["draw", "announce", "--pool"])
        .arg(&pool)
        .args([
            "--year",
            "2023",
            "--draw-id",
            "late",
            "--announced-at",
            "2023-08-20T00:00:00Z",
            "--drand-round",
            "1000",
            "--out",
        ])
        .arg(dir.path().join("late.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "less than 30 days after the announcement",
        ));

    // Unreadable files.
    let garbage = write(dir.path(), "garbage.json", "{ not json");
    bwcv()
        .args(["draw", "verify"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "garbage.json is not a valid draw record",
        ));
    let bad_pool = write(
        dir.path(),
        "bad-pool.json",
        r#"[{"facility":"nope","declaration_type":"A1"}]"#,
    );
    bwcv()
        .args(["draw", "announce", "--pool"])
        .arg(&bad_pool)
        .args([
            "--year",
            "2023",
            "--draw-id",
            "d",
            "--announced-at",
            "2023-07-01T00:00:00Z",
            "--drand-round",
            "1000",
            "--out",
        ])
        .arg(dir.path().join("a.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad-pool.json is not a valid pool",
        ));
}
