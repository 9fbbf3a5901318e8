//! End-to-end tests of `bwcv custody` and `bwcv ledger`.

use assert_cmd::Command;
use predicates::prelude::*;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").expect("bwcv binary")
}

/// Writes the demo bundle into `dir`; returns its path and the printed vkeys.
fn demo(dir: &tempfile::TempDir) -> (std::path::PathBuf, Vec<String>) {
    let path = dir.path().join("demo.json");
    let output = bwcv()
        .args(["custody", "demo-bundle", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let keys = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (path, keys)
}

fn trusted_args(keys: &[String]) -> Vec<String> {
    keys.iter().map(|k| format!("--trusted-key={k}")).collect()
}

#[test]
fn valid_bundle_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (path, keys) = demo(&dir);
    assert_eq!(keys.len(), 6);
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&path)
        .args(trusted_args(&keys))
        .args(["--require-cosigner", "arc.example/cosigner"])
        .assert()
        .code(0)
        .stdout("severity\tcheck\tevent\tleaf_index\tsample\treason\n")
        .stderr(predicate::str::contains("0 breaks"));
    // The same keys from a file.
    let keys_file = dir.path().join("trusted.txt");
    std::fs::write(&keys_file, format!("# demo keys\n\n{}\n", keys.join("\n"))).unwrap();
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&path)
        .arg("--trusted-keys-file")
        .arg(&keys_file)
        .assert()
        .code(0)
        .stdout("severity\tcheck\tevent\tleaf_index\tsample\treason\n");
    // Without trusted keys: still no break, one warning.
    bwcv()
        .args(["custody", "verify", "--format", "json", "--bundle"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"severity\": \"warning\""))
        .stdout(predicate::str::contains("\"final_states\""));
}

#[test]
fn tampered_bundle_exits_1_naming_the_break() {
    let dir = tempfile::tempdir().unwrap();
    let (path, keys) = demo(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    // One changed letter in the receipt's note (event 5 of the bundle).
    let tampered = text.replacen("container and seal intact", "container and seal intakt", 1);
    assert_ne!(tampered, text);
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, tampered).unwrap();
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&bad)
        .args(trusted_args(&keys))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("break\tinclusion\t5\t"))
        .stdout(predicate::str::contains("break\tsignature\t5\t"));
}

#[test]
fn garbage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("garbage.json");
    std::fs::write(&bad, "this is not a bundle").unwrap();
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("garbage.json"));
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2);
    let (path, _) = demo(&dir);
    bwcv()
        .args([
            "custody",
            "verify",
            "--trusted-key",
            "not-a-vkey",
            "--bundle",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("trusted key"));
}

#[test]
fn keygen_and_verify_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("log.key");
    let output = bwcv()
        .args([
            "ledger",
            "keygen",
            "--name",
            "ledger.bwcv.example/demo",
            "--out",
        ])
        .arg(&secret)
        .output()
        .unwrap();
    assert!(output.status.success());
    let vkey = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(vkey.starts_with("ledger.bwcv.example/demo+"));
    let secret_text = std::fs::read_to_string(&secret).unwrap();
    assert!(secret_text.starts_with("PRIVATE+KEY+ledger.bwcv.example/demo+"));
    // Refuses to overwrite.
    bwcv()
        .args(["ledger", "keygen", "--name", "x.example", "--out"])
        .arg(&secret)
        .assert()
        .code(2);
    // The demo bundle's checkpoint verifies with the demo log key.
    let (path, keys) = demo(&dir);
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let note = bundle["checkpoints"][1]["note"].as_str().unwrap();
    let note_path = dir.path().join("checkpoint.txt");
    std::fs::write(&note_path, note).unwrap();
    bwcv()
        .args(["ledger", "verify-checkpoint"])
        .arg(&note_path)
        .args([
            "--key",
            &keys[0],
            "--cosigner",
            &keys[1],
            "--cosigner",
            &keys[2],
        ])
        .args(["--require-cosigner", "ec.bwcv.example/witness"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ledger.bwcv.example/demo\t"))
        .stdout(predicate::str::contains("arc.example/cosigner@"));
    // With another key: exit 1.
    bwcv()
        .args(["ledger", "verify-checkpoint"])
        .arg(&note_path)
        .args(["--key", &vkey])
        .assert()
        .code(1);
    // Unreadable note: exit 2.
    std::fs::write(&note_path, "garbage").unwrap();
    bwcv()
        .args(["ledger", "verify-checkpoint"])
        .arg(&note_path)
        .args(["--key", &keys[0]])
        .assert()
        .code(2);
}

#[test]
fn show_lists_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = demo(&dir);
    bwcv()
        .args(["custody", "show", "--bundle"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "event\tleaf_index\tsample\ttime_utc\tactor\taction\n",
        ))
        .stdout(predicate::str::contains(
            "S-2026-0001\t2026-12-04T08:00:00Z\tinspector-1.bwcv.example\tcollected",
        ))
        .stdout(predicate::str::contains("\tconsumed\n"));
}

#[test]
fn cosign_keeps_state_and_refuses_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let (path, keys) = demo(&dir);
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let key = dir.path().join("w.key");
    let output = bwcv()
        .args([
            "ledger",
            "keygen",
            "--cosigner",
            "--name",
            "w.example/witness",
            "--out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(output.status.success());
    let witness_vkey = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let state = dir.path().join("state.json");
    let mut notes = Vec::new();
    for i in 0..2 {
        let note = dir.path().join(format!("cp{i}.txt"));
        std::fs::write(&note, bundle["checkpoints"][i]["note"].as_str().unwrap()).unwrap();
        notes.push(note);
    }
    let cosign = |note: &std::path::Path, proof: Option<&std::path::Path>| {
        let mut command = bwcv();
        command
            .args(["ledger", "cosign", "--time", "1796500000", "--key"])
            .arg(&key)
            .args(["--log-key", &keys[0], "--state"])
            .arg(&state)
            .arg("--note")
            .arg(note);
        if let Some(proof) = proof {
            command.arg("--proof").arg(proof);
        }
        command.assert()
    };
    // First checkpoint: cosigned; the output verifies with the witness key.
    let out = cosign(&notes[0], None).code(0).get_output().stdout.clone();
    let cosigned = dir.path().join("cosigned.txt");
    std::fs::write(&cosigned, &out).unwrap();
    bwcv()
        .args(["ledger", "verify-checkpoint"])
        .arg(&cosigned)
        .args(["--key", &keys[0], "--cosigner", &witness_vkey])
        .args(["--require-cosigner", "w.example/witness"])
        .assert()
        .code(0);
    // The later one without a proof: refused; with the bundle's proof: cosigned.
    cosign(&notes[1], None)
        .code(1)
        .stderr(predicate::str::contains("inconsistent"));
    let proof = dir.path().join("proof.txt");
    let hashes: Vec<&str> = bundle["consistency"][0]["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    std::fs::write(&proof, hashes.join("\n")).unwrap();
    cosign(&notes[1], Some(&proof)).code(0);
    // Going back: refused, state kept.
    cosign(&notes[0], None)
        .code(1)
        .stderr(predicate::str::contains("rolled back"));
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("ledger.bwcv.example/demo")
    );
}

/// A portal database with a collected → transferred → received chain of
/// sample S-DB-1 (and an unrelated entry); returns the URL, the log key
/// file and the actors' vkeys.
fn custody_database(dir: &tempfile::TempDir) -> (String, std::path::PathBuf, Vec<String>) {
    use bwcv_ledger::custody::{Action, CustodyEvent, SignedCustodyEvent};
    use bwcv_ledger::merkle::{Hash, leaf_hash};
    use bwcv_ledger::note::{SignatureType, SignerKey};
    use bwcv_store::{NewLedgerEntry, Store};

    let path = dir.path().join("portal.db");
    let inspector =
        SignerKey::derive_for_demo("inspector-1.bwcv.example", SignatureType::Ed25519, "cli")
            .unwrap();
    let lab =
        SignerKey::derive_for_demo("lab-1.bwcv.example", SignatureType::Ed25519, "cli").unwrap();
    let log =
        SignerKey::derive_for_demo("bwcv.portal/ledger", SignatureType::Ed25519, "cli").unwrap();
    let key_file = dir.path().join("log.key");
    std::fs::write(&key_file, log.to_secret_text()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = bwcv_store_sqlite::SqliteStore::open_path(&path)
            .await
            .unwrap();
        let mut previous: Option<Hash> = None;
        let steps = [
            (
                &inspector,
                Action::Collected {
                    location: "site".into(),
                    method: "swab".into(),
                    container: "C-1".into(),
                    seals: vec!["SEAL-9".into()],
                    photo_digests: vec![],
                },
            ),
            (
                &inspector,
                Action::Transferred {
                    to: "lab-1.bwcv.example".into(),
                    carrier: "courier".into(),
                    seals_checked: vec!["SEAL-9".into()],
                },
            ),
            (
                &lab,
                Action::Received {
                    from: "inspector-1.bwcv.example".into(),
                    seals_intact: true,
                    seals_observed: vec!["SEAL-9".into()],
                    note: String::new(),
                },
            ),
        ];
        for (n, (key, action)) in steps.into_iter().enumerate() {
            let event = CustodyEvent {
                sample: "S-DB-1".into(),
                time: 1_796_371_200 + 3_600 * n as i64,
                actor: key.name().to_owned(),
                previous,
                action,
            };
            let entry = SignedCustodyEvent::sign(event, key).unwrap().to_entry();
            let body = entry.encode();
            previous = Some(leaf_hash(&body));
            store
                .ledger_append(vec![NewLedgerEntry {
                    kind: entry.tag().to_owned(),
                    body,
                    sample_id: Some("S-DB-1".into()),
                    appended_at: chrono::Utc::now(),
                }])
                .await
                .unwrap();
        }
    });
    (
        format!("sqlite://{}", path.display()),
        key_file,
        vec![inspector.verifier().to_string(), lab.verifier().to_string()],
    )
}

#[test]
fn export_from_database_then_verify_offline_and_directly() {
    let dir = tempfile::tempdir().unwrap();
    let (database, key_file, actor_keys) = custody_database(&dir);
    let out = dir.path().join("bundle.json");
    bwcv()
        .args([
            "custody",
            "export",
            "S-DB-1",
            "--database",
            &database,
            "--log-key",
        ])
        .arg(&key_file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("3 events"));
    // Offline: the bundle's log key plus the actors' keys.
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let log_vkey = bundle["keys"][0]["vkey"].as_str().unwrap().to_owned();
    let mut keys = actor_keys.clone();
    keys.push(log_vkey);
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&out)
        .args(trusted_args(&keys))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 breaks"));
    // Directly against the database.
    bwcv()
        .args([
            "custody",
            "verify",
            "S-DB-1",
            "--database",
            &database,
            "--log-key",
        ])
        .arg(&key_file)
        .args(trusted_args(&actor_keys))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("3 events").and(predicate::str::contains("0 breaks")));
    // Tampered bundle: a changed carrier breaks.
    let text = std::fs::read_to_string(&out).unwrap();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replace("courier", "courieR")).unwrap();
    bwcv()
        .args(["custody", "verify", "--bundle"])
        .arg(&tampered)
        .args(trusted_args(&keys))
        .assert()
        .code(1);
    // Unknown sample: error.
    bwcv()
        .args([
            "custody",
            "export",
            "S-NONE",
            "--database",
            &database,
            "--log-key",
        ])
        .arg(&key_file)
        .arg("--out")
        .arg(dir.path().join("none.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no custody event"));
}
