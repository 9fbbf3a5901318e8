//! Canonical, versioned entry encodings.

use bwcv_ledger::custody::{Action, CustodyEvent, SignedCustodyEvent};
use bwcv_ledger::entry::{
    AnalysisResultV1, CaseEntryKind, CaseEventV1, CaseEventV2, DeclarationSubmittedV1, Entry,
    EntryError, canonical,
};
use bwcv_ledger::merkle::Hash;
use bwcv_ledger::note::{SignatureType, SignerKey, VerifierKey};
use proptest::prelude::*;

fn h(tag: &str) -> Hash {
    Hash::digest(tag.as_bytes())
}

fn samples() -> Vec<Entry> {
    let key = SignerKey::derive_for_demo(
        "inspector-1.bwcv.example",
        SignatureType::Ed25519,
        "fixture",
    )
    .unwrap();
    let event = CustodyEvent {
        sample: "S-1".into(),
        time: 1_796_371_200,
        actor: "inspector-1.bwcv.example".into(),
        previous: None,
        action: Action::Collected {
            location: "ARC-F0003 \"lab\" \u{e9}".into(),
            method: "swab".into(),
            container: "C-1".into(),
            seals: vec!["SEAL-1".into()],
            photo_digests: vec![h("photo")],
        },
    };
    vec![
        Entry::DeclarationSubmittedV1(DeclarationSubmittedV1 {
            state_party: "ARC".into(),
            year: 2026,
            form: "cbm".into(),
            submission_digest: h("submission"),
            time: 1_796_000_000,
        }),
        Entry::CaseEventV1(CaseEventV1 {
            case_id: "CASE-2026-7".into(),
            kind: "consultation-opened".into(),
            from_state: "none".into(),
            to_state: "open".into(),
            actor: "ts.bwcv.example/officer-3".into(),
            time: 1_796_000_100,
            justification_digest: h("justification"),
        }),
        Entry::CustodyV1(SignedCustodyEvent::sign(event, &key).unwrap()),
        Entry::CaseEventV2(CaseEventV2 {
            case_id: "FI-2026-0001".into(),
            entry_kind: CaseEntryKind::Vote,
            step: "council_vote".into(),
            from_state: "filed".into(),
            to_state: "filed".into(),
            actor: "council-cyr".into(),
            time: 1_796_000_200,
            justification_digest: h("justification"),
            body_sha256: h("vote body"),
        }),
        Entry::AnalysisResultV1(AnalysisResultV1 {
            sample: "S-1-A".into(),
            report_digest: h("report"),
            engine: "bwcv-seq".into(),
            engine_version: "0.1.0".into(),
            reference_db_digest: h("refdb"),
            parameters_digest: h("params"),
            time: 1_796_500_000,
        }),
    ]
}

#[test]
fn roundtrip_every_kind() {
    for entry in samples() {
        let bytes = entry.encode();
        assert_eq!(Entry::decode(&bytes).unwrap(), entry);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('{') && !text.contains(": ") && !text.contains('\n'));
        assert!(text.contains(&format!("\"type\":\"{}\"", entry.tag())));
    }
}

/// A custody/v1 entry committed as bytes (made with the demo key of
/// `fixture_key`): it must keep decoding, its signature keep verifying and
/// its leaf hash stay the same whatever versions are added later.
const CUSTODY_V1_FIXTURE: &[u8] = br#"{"event":{"action":{"container":"C-1","kind":"collected","location":"ARC-F0003","method":"swab","photo_digests":["0000000000000000000000000000000000000000000000000000000000000001"],"seals":["SEAL-1"]},"actor":"inspector-1.bwcv.example","previous":null,"sample":"S-1","time":1796371200},"key_id":"30229b2b","signature":"CixAzX3oqfJ4R/3CagmB7Xr/x45tEQ4/ZsLfZZsu8AeQP2O1SFOr3bfAOIr1MjImdmzml06cEQ1bXo8qlffcBA==","type":"custody/v1"}"#;
const FIXTURE_VKEY: &str =
    "inspector-1.bwcv.example+30229b2b+AbAtfOcHsYZg4tqneRHnVlCOBCN/bRZZ/YZ5J17MXMJf";
const FIXTURE_LEAF_HASH: &str = "7dcc8295b1a60a0e90a5de0242da56f4ec25aa2b66c0230c8cf9097b6b319800";

#[test]
fn v1_fixture_keeps_decoding_and_verifying() {
    let entry = Entry::decode(CUSTODY_V1_FIXTURE).expect("v1 fixture decodes");
    let Entry::CustodyV1(signed) = &entry else {
        panic!("fixture is not a custody entry")
    };
    let vkey = VerifierKey::parse(FIXTURE_VKEY).unwrap();
    signed.verify(&vkey).expect("v1 fixture signature verifies");
    assert_eq!(entry.encode(), CUSTODY_V1_FIXTURE);
    assert_eq!(entry.leaf_hash().to_hex(), FIXTURE_LEAF_HASH);
    let key = SignerKey::derive_for_demo(
        "inspector-1.bwcv.example",
        SignatureType::Ed25519,
        "fixture",
    )
    .unwrap();
    assert_eq!(key.verifier(), &vkey);
}

#[test]
fn unknown_versions_and_types_are_refused_clearly() {
    let v2 = String::from_utf8(CUSTODY_V1_FIXTURE.to_vec())
        .unwrap()
        .replace("custody/v1", "custody/v2");
    match Entry::decode(v2.as_bytes()) {
        Err(EntryError::UnknownVersion { kind, version, .. }) => {
            assert_eq!((kind.as_str(), version.as_str()), ("custody", "v2"));
        }
        other => panic!("{other:?}"),
    }
    let error = Entry::decode(br#"{"type":"weather/v1"}"#).unwrap_err();
    assert!(matches!(error, EntryError::UnknownType { .. }));
    assert!(error.to_string().contains("custody/v1"));
}

#[test]
fn non_canonical_and_malformed_entries_are_refused() {
    let text = String::from_utf8(CUSTODY_V1_FIXTURE.to_vec()).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (text.replacen(':', ": ", 1).into_bytes(), "whitespace"),
        (format!("{text}\n").into_bytes(), "trailing newline"),
        (
            text.replacen(r#""key_id":"30229b2b","signature""#, r#""signature""#, 1)
                .replacen(
                    r#""type":"custody/v1""#,
                    r#""key_id":"30229b2b","type":"custody/v1""#,
                    1,
                )
                .into_bytes(),
            "unsorted keys",
        ),
        (
            text.replace("1796371200", "1796371200.0").into_bytes(),
            "float",
        ),
        (text.replace("1796371200", "1.7e9").into_bytes(), "exponent"),
        (
            text.replace(r#""previous":null,"#, "").into_bytes(),
            "missing field",
        ),
        (
            text.replace(r#""previous":null,"#, r#""previous":null,"extra":1,"#)
                .into_bytes(),
            "unknown field",
        ),
        (b"[]".to_vec(), "array"),
        (b"{}".to_vec(), "no type"),
        (b"\xff".to_vec(), "not utf-8"),
    ];
    for (bytes, what) in cases {
        assert!(Entry::decode(&bytes).is_err(), "{what} accepted");
    }
}

#[test]
fn canonical_json_rules() {
    let value: serde_json::Value =
        serde_json::from_str(r#"{"b":[1,-2,"x\ny\u0001"],"a":{"z":true,"y":null}}"#).unwrap();
    assert_eq!(
        String::from_utf8(canonical::to_vec(&value).unwrap()).unwrap(),
        r#"{"a":{"y":null,"z":true},"b":[1,-2,"x\ny\u0001"]}"#
    );
    let float: serde_json::Value = serde_json::from_str("1.5").unwrap();
    assert_eq!(canonical::to_vec(&float), Err(EntryError::NonInteger));
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Entry::decode(&bytes);
    }

    #[test]
    fn decode_never_panics_near_valid(pos in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = CUSTODY_V1_FIXTURE.to_vec();
        let p = pos % bytes.len();
        bytes[p] = byte;
        if let Ok(entry) = Entry::decode(&bytes) {
            // Whatever decodes is canonical: re-encoding gives the input.
            prop_assert_eq!(entry.encode(), bytes);
        }
    }

    #[test]
    fn strings_roundtrip(text in "\\PC{0,40}", ctl in 0u8..0x20) {
        let mut entry = samples().remove(1);
        if let Entry::CaseEventV1(body) = &mut entry {
            body.kind = format!("{text}{}", ctl as char);
        }
        prop_assert_eq!(Entry::decode(&entry.encode()).unwrap(), entry);
    }
}

/// A `case-event/v1` entry as session-1 servers wrote it (a vote, the body
/// digest inside `kind`): it keeps decoding and keeps its bytes now that
/// `case-event/v2` exists.
const CASE_EVENT_V1_FIXTURE: &[u8] = br#"{"actor":"council-cyr","case_id":"FI-2026-0001","from_state":"filed","justification_digest":"0000000000000000000000000000000000000000000000000000000000000002","kind":"council_vote:00000000000000000000000000000000000000000000000000000000000000aa","time":1796000200,"to_state":"filed","type":"case-event/v1"}"#;

#[test]
fn case_event_v1_keeps_decoding_and_v2_binds_the_body() {
    let old = Entry::decode(CASE_EVENT_V1_FIXTURE).expect("v1 case event decodes");
    assert!(matches!(old, Entry::CaseEventV1(ref body) if body.kind.starts_with("council_vote:")));
    assert_eq!(old.encode(), CASE_EVENT_V1_FIXTURE);

    let entry = Entry::CaseEventV2(CaseEventV2 {
        case_id: "TV-2027".into(),
        entry_kind: CaseEntryKind::DrawResult,
        step: "draw_run".into(),
        from_state: "announced".into(),
        to_state: "run".into(),
        actor: "analyst".into(),
        time: 1_796_000_300,
        justification_digest: h("why"),
        body_sha256: h("result"),
    });
    let text = String::from_utf8(entry.encode()).unwrap();
    assert!(text.contains("\"entry_kind\":\"draw_result\""), "{text}");
    assert!(text.contains(&format!("\"body_sha256\":\"{}\"", h("result").to_hex())));
    assert!(text.ends_with("\"type\":\"case-event/v2\"}"), "{text}");
    assert_eq!(Entry::decode(text.as_bytes()).unwrap(), entry);
    for kind in CaseEntryKind::ALL {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
    // An unknown entry kind or a missing body digest is refused.
    let unknown = text.replace("draw_result", "draw_undone");
    assert!(matches!(
        Entry::decode(unknown.as_bytes()),
        Err(EntryError::Fields { .. })
    ));
    let without: String = text.replace(
        &format!("\"body_sha256\":\"{}\",", h("result").to_hex()),
        "",
    );
    assert!(Entry::decode(without.as_bytes()).is_err());
}
