//! Signed notes, checkpoints, cosignatures, the witness and split views.

use bwcv_ledger::checkpoint::{
    Checkpoint, ConsistencyEvidence, Observation, Refusal, SignedCheckpoint, SplitKind, Witness,
    detect_split_views,
};
use bwcv_ledger::merkle::{Hash, MemoryLog};
use bwcv_ledger::note::{Note, NoteError, SignatureType, SignerKey, VerifierKey, key_id};
use proptest::prelude::*;

/// Known answer from the Go `golang.org/x/mod/sumdb/note` documentation
/// (also used by c2sp signed-note implementations).
#[test]
fn go_note_known_answer() {
    let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let signer = SignerKey::parse(skey).unwrap();
    assert_eq!(signer.verifier().key_id_hex(), "c74f20a3");
    let mut note = Note::new(text).unwrap();
    signer.sign(&mut note, 0).unwrap();
    let want = format!(
        "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    assert_eq!(note.to_string(), want);
    let vkey = signer.verifier().to_string();
    assert!(vkey.starts_with("PeterNeumann+c74f20a3+"));
    let parsed = VerifierKey::parse(&vkey).unwrap();
    let opened = Note::parse(&want).unwrap();
    assert_eq!(opened.text(), text);
    opened.verify(std::slice::from_ref(&parsed)).unwrap();
    assert_eq!(signer.to_secret_text(), skey);
}

fn key(name: &str, kind: SignatureType) -> SignerKey {
    SignerKey::derive_for_demo(name, kind, "tests").unwrap()
}

#[test]
fn key_id_is_sha256_prefix() {
    let k = key("log.example/a", SignatureType::Ed25519);
    let id = key_id(
        "log.example/a",
        SignatureType::Ed25519,
        k.verifier().public_key.as_bytes(),
    );
    assert_eq!(id, k.verifier().key_id);
    let w = key("log.example/a", SignatureType::CosignatureV1);
    assert_ne!(
        w.verifier().key_id,
        key_id(
            "log.example/a",
            SignatureType::Ed25519,
            w.verifier().public_key.as_bytes()
        )
    );
}

#[test]
fn note_verification_rules() {
    let a = key("a.example", SignatureType::Ed25519);
    let b = key("b.example", SignatureType::Ed25519);
    let mut note = Note::new("hello\n").unwrap();
    a.sign(&mut note, 0).unwrap();
    let text = note.to_string();
    let parsed = Note::parse(&text).unwrap();
    // Unknown keys are ignored; no known key is an error.
    assert_eq!(
        parsed.verify(&[b.verifier().clone()]),
        Err(NoteError::NoKnownSignature)
    );
    assert_eq!(parsed.verify(&[a.verifier().clone()]).unwrap().len(), 1);
    // Tampered text: the known key's signature fails and rejects the note.
    let tampered = text.replacen("hello", "hellp", 1);
    let parsed = Note::parse(&tampered).unwrap();
    assert!(matches!(
        parsed.verify(&[a.verifier().clone()]),
        Err(NoteError::InvalidSignature { .. })
    ));
    // Malformed notes.
    for bad in [
        "",
        "hello\n",
        "hello\n\n",
        "hello\n\n- a.example AAAAAAA=\n",
        "hello\n\n\u{2014} a.example AAAAAAA=",
        "hello\n\n\u{2014} a.example !!!\n",
        "hello\n\n\u{2014} a+b AAAAAAA=\n",
        "hel\tlo\n\n\u{2014} a.example AAAAAAA=\n",
    ] {
        assert!(Note::parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn checkpoint_text_roundtrip_and_strictness() {
    let root = Hash::digest(b"x");
    let mut checkpoint = Checkpoint::new("bwcv.example/ledger", 42, root);
    checkpoint.extensions.push("ext line".to_owned());
    let text = checkpoint.text();
    assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
    let good_root = checkpoint.text().lines().nth(2).unwrap().to_owned();
    for bad in [
        "o\n42\n".to_owned(),
        format!("\n42\n{good_root}\n"),
        format!("o\n042\n{good_root}\n"),
        format!("o\n-1\n{good_root}\n"),
        format!("o\n4 2\n{good_root}\n"),
        "o\n42\nAAAA\n".to_owned(),
        format!("o\n42\n{good_root}\n\n"),
        format!("o\n42\n{good_root}"),
        format!("o\n99999999999999999999\n{good_root}\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(
        Checkpoint::parse(&format!("o\n0\n{good_root}\n"))
            .unwrap()
            .size,
        0
    );
}

fn log_of(n: usize, tag: &str) -> MemoryLog {
    let mut log = MemoryLog::new();
    for i in 0..n {
        log.append(format!("{tag} {i}").as_bytes());
    }
    log
}

const ORIGIN: &str = "bwcv.example/ledger";

#[test]
fn checkpoint_with_cosignatures() {
    let log_key = key(ORIGIN, SignatureType::Ed25519);
    let party = key("party.example/NOR", SignatureType::CosignatureV1);
    let log = log_of(10, "e");
    let mut signed =
        SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 10, log.root()), &log_key).unwrap();
    signed.cosign(&party, 1_790_000_000).unwrap();
    let text = signed.to_text();
    let parsed = SignedCheckpoint::parse(&text).unwrap();
    let signers = parsed
        .verify(&[log_key.verifier().clone()], &[party.verifier().clone()])
        .unwrap();
    assert_eq!(signers.log, vec![ORIGIN.to_owned()]);
    assert_eq!(signers.cosigners.len(), 1);
    assert_eq!(signers.cosigners[0].timestamp, 1_790_000_000);
    // A cosignature line's timestamp is signed: changing it breaks it.
    let mut forged = parsed.clone();
    let mut sig = forged.note.signatures()[1].clone();
    sig.bytes[7] ^= 1;
    forged.note = Note::new(forged.note.text()).unwrap();
    forged
        .note
        .push_signature(parsed.note.signatures()[0].clone())
        .unwrap();
    forged.note.push_signature(sig).unwrap();
    assert!(
        forged
            .verify(&[log_key.verifier().clone()], &[party.verifier().clone()])
            .is_err()
    );
}

#[test]
fn witness_refuses_rollback_fork_and_inconsistency() {
    let log_key = key(ORIGIN, SignatureType::Ed25519);
    let mut witness = Witness::new(key("witness.example/ec", SignatureType::CosignatureV1));
    witness.follow(ORIGIN, log_key.verifier().clone());
    let log = log_of(20, "e");
    let sign = |size: u64, root: Hash| {
        SignedCheckpoint::sign(Checkpoint::new(ORIGIN, size, root), &log_key)
            .unwrap()
            .to_text()
    };
    // First checkpoint: consistency from the empty tree.
    let cp8 = sign(8, log.root_at(8).unwrap());
    let cosigned = witness.cosign(&cp8, &[], 100).unwrap();
    assert_eq!(cosigned.note.signatures().len(), 2);
    // Growth with a proof.
    let cp12 = sign(12, log.root_at(12).unwrap());
    assert!(matches!(
        witness.cosign(&cp12, &[], 101),
        Err(Refusal::Inconsistent { last_size: 8, .. })
    ));
    let proof = log.consistency_proof(8, 12).unwrap();
    witness.cosign(&cp12, &proof, 102).unwrap();
    assert_eq!(
        witness.last_cosigned(ORIGIN),
        Some((12, log.root_at(12).unwrap()))
    );
    // Rollback.
    assert!(matches!(
        witness.cosign(&cp8, &[], 103),
        Err(Refusal::RolledBack {
            last_size: 12,
            offered_size: 8
        })
    ));
    // A fork: different root at the same size.
    let other = log_of(20, "forked");
    let fork12 = sign(12, other.root_at(12).unwrap());
    assert!(matches!(
        witness.cosign(&fork12, &[], 104),
        Err(Refusal::DifferentRootSameSize { size: 12, .. })
    ));
    // A fork at a larger size: the other log's proof does not connect.
    let fork16 = sign(16, other.root_at(16).unwrap());
    let other_proof = other.consistency_proof(12, 16).unwrap();
    assert!(matches!(
        witness.cosign(&fork16, &other_proof, 105),
        Err(Refusal::Inconsistent { .. })
    ));
    // A checkpoint not signed by the log.
    let impostor = key(ORIGIN, SignatureType::Ed25519);
    let _ = impostor;
    let stranger =
        SignerKey::derive_for_demo(ORIGIN, SignatureType::Ed25519, "someone else").unwrap();
    let forged = SignedCheckpoint::sign(
        Checkpoint::new(ORIGIN, 16, log.root_at(16).unwrap()),
        &stranger,
    )
    .unwrap()
    .to_text();
    assert!(matches!(
        witness.cosign(&forged, &log.consistency_proof(12, 16).unwrap(), 106),
        Err(Refusal::LogSignature(_))
    ));
    // State unchanged after refusals.
    assert_eq!(
        witness.last_cosigned(ORIGIN),
        Some((12, log.root_at(12).unwrap()))
    );
    // Unknown origin.
    let other_origin = SignedCheckpoint::sign(
        Checkpoint::new("x.example", 1, log.root_at(1).unwrap()),
        &log_key,
    )
    .unwrap()
    .to_text();
    assert!(matches!(
        witness.cosign(&other_origin, &[], 107),
        Err(Refusal::UnknownOrigin { .. })
    ));
}

#[test]
fn split_views_are_detected_with_signers() {
    let log_key = key(ORIGIN, SignatureType::Ed25519);
    let party = key("party.example/NOR", SignatureType::CosignatureV1);
    let council = key("witness.example/ec", SignatureType::CosignatureV1);
    let honest = log_of(12, "e");
    let forked = log_of(12, "f");
    let mut a =
        SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 12, honest.root()), &log_key).unwrap();
    a.cosign(&party, 5).unwrap();
    let mut b =
        SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 12, forked.root()), &log_key).unwrap();
    b.cosign(&council, 6).unwrap();
    let c = SignedCheckpoint::sign(
        Checkpoint::new(ORIGIN, 8, forked.root_at(8).unwrap()),
        &log_key,
    )
    .unwrap();
    let keys = vec![
        log_key.verifier().clone(),
        party.verifier().clone(),
        council.verifier().clone(),
    ];
    let observations = vec![
        Observation {
            source: "party mirror".into(),
            checkpoint: a.clone(),
        },
        Observation {
            source: "council mirror".into(),
            checkpoint: b,
        },
        Observation {
            source: "portal".into(),
            checkpoint: c,
        },
    ];
    // The forked size-8 checkpoint is consistent with the forked 12 but the
    // honest log's proof from 8 to 12 does not connect it to the honest 12.
    let evidence = vec![ConsistencyEvidence {
        origin: ORIGIN.into(),
        old_size: 8,
        new_size: 12,
        proof: honest.consistency_proof(8, 12).unwrap(),
    }];
    let found = detect_split_views(&observations, &evidence, &keys);
    // Same size, different roots; and both size-12 checkpoints fail the
    // offered 8 -> 12 proof against the size-8 one.
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].kind, SplitKind::SameSizeDifferentRoots);
    assert_eq!(found[0].first.source, "party mirror");
    assert_eq!(
        found[0].first.verified_signers,
        vec![ORIGIN.to_owned(), "party.example/NOR".to_owned()]
    );
    assert_eq!(
        found[0].second.verified_signers,
        vec![ORIGIN.to_owned(), "witness.example/ec".to_owned()]
    );
    assert!(matches!(found[1].kind, SplitKind::InconsistentProof { .. }));
    assert_eq!(found[1].first.source, "portal");
    assert_eq!(found[1].second.source, "party mirror");
    assert!(found[0].to_string().contains("two different roots"));
    // Consistent observations: nothing.
    let d = SignedCheckpoint::sign(
        Checkpoint::new(ORIGIN, 8, honest.root_at(8).unwrap()),
        &log_key,
    )
    .unwrap();
    let fine = vec![
        Observation {
            source: "x".into(),
            checkpoint: a,
        },
        Observation {
            source: "y".into(),
            checkpoint: d,
        },
    ];
    assert!(detect_split_views(&fine, &evidence, &keys).is_empty());
}

proptest! {
    #[test]
    fn note_parser_never_panics(text in "\\PC{0,200}") {
        let _ = Note::parse(&text);
        let _ = SignedCheckpoint::parse(&text);
        let _ = VerifierKey::parse(&text);
        let _ = SignerKey::parse(&text);
    }

    #[test]
    fn note_parser_never_panics_on_near_valid(cut in 0usize..400, byte in any::<u8>(), pos in any::<usize>()) {
        let log_key = key(ORIGIN, SignatureType::Ed25519);
        let signed = SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 3, Hash::digest(b"r")), &log_key).unwrap();
        let mut bytes = signed.to_text().into_bytes();
        let p = pos % bytes.len();
        bytes[p] = byte;
        bytes.truncate(cut.max(1).min(bytes.len()));
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Ok(parsed) = SignedCheckpoint::parse(text) {
                // Whatever parses re-serialises to a note that parses again.
                let again = SignedCheckpoint::parse(&parsed.to_text()).unwrap();
                prop_assert_eq!(again.checkpoint, parsed.checkpoint);
            }
        }
        let _ = Note::parse_bytes(&bytes);
    }

    #[test]
    fn signed_checkpoints_roundtrip(size in any::<u64>(), root in any::<[u8; 32]>(), origin in "[a-z./]{1,30}") {
        let log_key = key(ORIGIN, SignatureType::Ed25519);
        let signed = SignedCheckpoint::sign(Checkpoint::new(&origin, size, Hash(root)), &log_key).unwrap();
        let parsed = SignedCheckpoint::parse(&signed.to_text()).unwrap();
        prop_assert_eq!(&parsed.checkpoint, &signed.checkpoint);
        prop_assert!(parsed.verify(&[log_key.verifier().clone()], &[]).is_ok());
    }
}
