//! Chain of custody verification and custody bundles: the demo verifies,
//! and every tampering is found and located.

use bwcv_ledger::bundle::{self, Bundle, BundleCheckpoint, Demo, Trust, demo_names::*};
use bwcv_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use bwcv_ledger::custody::{
    Action, Check, CustodyEvent, CustodyReport, LoggedEntry, Severity, SignedCustodyEvent,
};
use bwcv_ledger::entry::Entry;
use bwcv_ledger::merkle::{Hash, MemoryLog, leaf_hash};
use bwcv_ledger::note::{SignatureType, SignerKey};

fn demo() -> Demo {
    bundle::demo("tests").unwrap()
}

fn trust(demo: &Demo) -> Trust {
    Trust {
        trusted_keys: demo.trusted_keys(),
        required_cosigners: vec![PARTY_COSIGNER.to_owned(), WITNESS.to_owned()],
    }
}

fn breaks(report: &CustodyReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Break)
        .map(|f| {
            format!(
                "{:?} event={:?} leaf={:?} {}",
                f.check, f.event, f.leaf_index, f.reason
            )
        })
        .collect()
}

fn has_break(report: &CustodyReport, check: Check, event: Option<usize>) -> bool {
    report.findings.iter().any(|f| {
        f.severity == Severity::Break && f.check == check && (event.is_none() || f.event == event)
    })
}

#[test]
fn demo_bundle_verifies_without_breaks() {
    let demo = demo();
    let report = demo.bundle.verify(&trust(&demo)).unwrap();
    assert!(breaks(&report).is_empty(), "{:#?}", report.findings);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.events.len(), 8);
    assert_eq!(
        report.samples,
        vec![
            SAMPLE.to_owned(),
            format!("{SAMPLE}-A"),
            format!("{SAMPLE}-B")
        ]
    );
    assert_eq!(report.checkpoints.len(), 2);
    assert_eq!(
        report.checkpoints[1].cosigners,
        vec![PARTY_COSIGNER.to_owned(), WITNESS.to_owned()]
    );
    let states: Vec<&str> = report
        .final_states
        .iter()
        .map(|s| s.state.as_str())
        .collect();
    assert_eq!(
        states,
        vec![
            &format!("held by {INSPECTOR}") as &str,
            "consumed",
            &format!("held by {PARTY_REP}")
        ]
    );
    // JSON round trip.
    let again = Bundle::from_json(&demo.bundle.to_json()).unwrap();
    assert_eq!(again, demo.bundle);
    // Deterministic.
    assert_eq!(bundle::demo("tests").unwrap().bundle, demo.bundle);
}

#[test]
fn untrusted_verification_warns() {
    let demo = demo();
    let report = demo.bundle.verify(&Trust::default()).unwrap();
    assert!(breaks(&report).is_empty(), "{:#?}", report.findings);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert!(report.findings[0].reason.contains("bundle's own keys"));
}

#[test]
fn wrong_trusted_log_key_breaks_every_inclusion() {
    let demo = demo();
    let mut trust = trust(&demo);
    trust.trusted_keys[0] = SignerKey::derive_for_demo(ORIGIN, SignatureType::Ed25519, "impostor")
        .unwrap()
        .verifier()
        .clone();
    let report = demo.bundle.verify(&trust).unwrap();
    assert!(has_break(&report, Check::Checkpoint, None));
    for event in 0..8 {
        assert!(
            has_break(&report, Check::Inclusion, Some(event)),
            "event {event}"
        );
    }
}

#[test]
fn missing_required_cosignature_is_a_break() {
    let demo = demo();
    let mut trust = trust(&demo);
    trust
        .required_cosigners
        .push("someone.example/else".to_owned());
    let report = demo.bundle.verify(&trust).unwrap();
    assert!(has_break(&report, Check::Cosignature, None));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.reason.contains("someone.example/else"))
    );
}

/// Change one byte (an ASCII character to another) anywhere in any entry:
/// always found, at that event.
#[test]
fn one_changed_byte_in_any_entry_is_found() {
    let demo = demo();
    let trust = trust(&demo);
    for event in 0..demo.bundle.events.len() {
        let len = demo.bundle.events[event].entry.len();
        for position in (0..len).step_by(7) {
            let mut bundle = demo.bundle.clone();
            let mut bytes = bundle.events[event].entry.clone().into_bytes();
            bytes[position] = if bytes[position] == b'0' { b'1' } else { b'0' };
            bundle.events[event].entry = String::from_utf8(bytes).unwrap();
            let report = bundle.verify(&trust).unwrap();
            assert!(
                has_break(&report, Check::Inclusion, Some(event)),
                "event {event} byte {position}: {:#?}",
                breaks(&report)
            );
        }
    }
}

/// A changed entry is reported at that event; the next event of the same
/// sample is not blamed for the changed entry's new hash.
#[test]
fn a_changed_entry_does_not_cascade_into_the_hash_chain() {
    let demo = demo();
    let trust = trust(&demo);
    let mut bundle = demo.bundle.clone();
    let receipt = 5;
    assert!(
        bundle.events[receipt]
            .entry
            .contains("temperature logger within range")
    );
    bundle.events[receipt].entry = bundle.events[receipt]
        .entry
        .replace("within range", "out of range");
    let report = bundle.verify(&trust).unwrap();
    assert!(has_break(&report, Check::Inclusion, Some(receipt)));
    assert!(has_break(&report, Check::Signature, Some(receipt)));
    assert_eq!(
        breaks(&report).len(),
        2,
        "only the changed event is named: {:#?}",
        breaks(&report)
    );
}

#[test]
fn a_changed_proof_or_index_is_found() {
    let demo = demo();
    let trust = trust(&demo);
    let mut bundle = demo.bundle.clone();
    bundle.events[3].inclusion_proof[0].0[5] ^= 0x10;
    assert!(has_break(
        &bundle.verify(&trust).unwrap(),
        Check::Inclusion,
        Some(3)
    ));
    let mut bundle = demo.bundle.clone();
    bundle.events[3].leaf_index += 1;
    assert!(has_break(
        &bundle.verify(&trust).unwrap(),
        Check::Inclusion,
        Some(3)
    ));
}

/// Drop each event in turn: found, except the very last event of a chain,
/// which a bundle alone cannot reveal (its final state is listed instead).
#[test]
fn a_dropped_event_is_found() {
    let demo = demo();
    let trust = trust(&demo);
    let n = demo.bundle.events.len();
    let original = demo.bundle.verify(&trust).unwrap();
    for dropped in 0..n {
        let mut bundle = demo.bundle.clone();
        bundle.events.remove(dropped);
        let report = bundle.verify(&trust).unwrap();
        let summary = &original.events[dropped];
        let later_same_sample = original.events[dropped + 1..]
            .iter()
            .any(|e| e.sample == summary.sample);
        let is_split = summary.action == "split";
        if later_same_sample || is_split || summary.action == "collected" {
            assert!(
                !breaks(&report).is_empty(),
                "dropping event {dropped} ({}) not found",
                summary.action
            );
        } else {
            // The tail of a chain: no break, but the final state shows it.
            assert_ne!(
                report.final_states, original.final_states,
                "dropping tail {dropped}"
            );
        }
    }
    // Dropping the receipt names the next event (the analysis) as a break
    // of holder continuity and of the hash chain.
    let mut bundle = demo.bundle.clone();
    let receipt = original
        .events
        .iter()
        .position(|e| e.action == "received")
        .unwrap();
    bundle.events.remove(receipt);
    let report = bundle.verify(&trust).unwrap();
    assert!(
        has_break(&report, Check::Holder, Some(receipt)),
        "{:#?}",
        breaks(&report)
    );
    assert!(
        has_break(&report, Check::HashChain, Some(receipt)),
        "{:#?}",
        breaks(&report)
    );
}

#[test]
fn two_reordered_events_are_found() {
    let demo = demo();
    let trust = trust(&demo);
    let n = demo.bundle.events.len();
    for first in 0..n - 1 {
        let mut bundle = demo.bundle.clone();
        bundle.events.swap(first, first + 1);
        let report = bundle.verify(&trust).unwrap();
        assert!(
            has_break(&report, Check::Order, Some(first + 1)),
            "swap {first}: {:#?}",
            breaks(&report)
        );
        // Swapping the entry bytes but keeping positions and proofs.
        let mut bundle = demo.bundle.clone();
        let a = bundle.events[first].entry.clone();
        bundle.events[first].entry = bundle.events[first + 1].entry.clone();
        bundle.events[first + 1].entry = a;
        let report = bundle.verify(&trust).unwrap();
        assert!(has_break(&report, Check::Inclusion, Some(first)));
        assert!(has_break(&report, Check::Inclusion, Some(first + 1)));
    }
}

#[test]
fn two_checkpoints_for_one_size_are_found_with_their_signers() {
    let demo = demo();
    let trust = trust(&demo);
    let mut bundle = demo.bundle.clone();
    let size = bundle.events[0].tree_size;
    let mut forked = SignedCheckpoint::sign(
        Checkpoint::new(ORIGIN, size, Hash::digest(b"other history")),
        &demo.log_key,
    )
    .unwrap();
    forked.cosign(&demo.cosigners[1], 1_796_600_000).unwrap();
    bundle.checkpoints.push(BundleCheckpoint {
        source: "mirror seen by the inspected State Party".to_owned(),
        note: forked.to_text(),
    });
    let report = bundle.verify(&trust).unwrap();
    let split = report
        .findings
        .iter()
        .find(|f| {
            f.check == Check::SplitView && f.reason.contains("two different roots for one size")
        })
        .expect("split view found");
    assert!(split.reason.contains("portal"));
    assert!(
        split
            .reason
            .contains("mirror seen by the inspected State Party")
    );
    assert!(split.reason.contains(WITNESS));
    // The finding carries both signed notes and their signers.
    let view = split.split_view.as_ref().expect("split view details");
    assert!(view.first.note.contains('\u{2014}') && view.second.note.contains('\u{2014}'));
    assert_ne!(view.first.root, view.second.root);
    assert!(view.second.verified_signers.contains(&WITNESS.to_owned()));
    // The earlier checkpoint's consistency proof does not lead to the fork.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.check == Check::SplitView && f.reason.contains("inconsistent"))
    );
    // Neither root anchors inclusion any more.
    assert!(has_break(&report, Check::Inclusion, Some(0)));
}

#[test]
fn a_tampered_checkpoint_is_found() {
    let demo = demo();
    let trust = trust(&demo);
    let mut bundle = demo.bundle.clone();
    let note = bundle.checkpoints[1].note.clone();
    let mut lines: Vec<&str> = note.split('\n').collect();
    let new_size = format!("{}", lines[1].parse::<u64>().unwrap() + 1);
    lines[1] = &new_size;
    bundle.checkpoints[1].note = lines.join("\n");
    let report = bundle.verify(&trust).unwrap();
    assert!(
        has_break(&report, Check::Checkpoint, None),
        "{:#?}",
        breaks(&report)
    );
    assert!(has_break(&report, Check::Inclusion, Some(0)));
    // Garbage note.
    let mut bundle = demo.bundle.clone();
    bundle.checkpoints[0].note = "not a note".to_owned();
    assert!(has_break(
        &bundle.verify(&trust).unwrap(),
        Check::Checkpoint,
        None
    ));
}

#[test]
fn garbage_bundles_are_errors() {
    assert!(Bundle::from_json("{}").is_err());
    assert!(Bundle::from_json("not json").is_err());
    let demo = demo();
    let text = demo
        .bundle
        .to_json()
        .replace("bwcv-custody-bundle/v1", "bwcv-custody-bundle/v9");
    assert!(Bundle::from_json(&text).is_err());
}

// ---- custody rules on hand-made chains -------------------------------------

struct Chain {
    log: MemoryLog,
    entries: Vec<(u64, Vec<u8>)>,
    keys: Vec<SignerKey>,
    last: std::collections::BTreeMap<String, Hash>,
}

impl Chain {
    fn new() -> Self {
        let keys = ["a.example", "b.example", "c.example"]
            .iter()
            .map(|n| SignerKey::derive_for_demo(n, SignatureType::Ed25519, "chain").unwrap())
            .collect();
        Self {
            log: MemoryLog::new(),
            entries: Vec::new(),
            keys,
            last: Default::default(),
        }
    }

    fn key(&self, name: &str) -> &SignerKey {
        self.keys.iter().find(|k| k.name() == name).unwrap()
    }

    fn add(&mut self, sample: &str, time: i64, actor: &str, action: Action) -> &mut Self {
        let event = CustodyEvent {
            sample: sample.into(),
            time,
            actor: actor.into(),
            previous: self.last.get(sample).copied(),
            action,
        };
        let signed = SignedCustodyEvent::sign(event, self.key(actor)).unwrap();
        let bytes = Entry::CustodyV1(signed.clone()).encode();
        let index = self.log.append(&bytes);
        self.last.insert(sample.into(), leaf_hash(&bytes));
        if let Action::Split { children } = &signed.event.action {
            for child in children {
                self.last.insert(child.sample.clone(), leaf_hash(&bytes));
            }
        }
        self.entries.push((index, bytes));
        self
    }

    fn verify(&self) -> CustodyReport {
        let log_key =
            SignerKey::derive_for_demo("log.example", SignatureType::Ed25519, "chain").unwrap();
        let size = self.log.size();
        let signed = SignedCheckpoint::sign(
            Checkpoint::new("log.example", size, self.log.root()),
            &log_key,
        )
        .unwrap();
        let events: Vec<LoggedEntry> = self
            .entries
            .iter()
            .map(|(index, bytes)| LoggedEntry {
                leaf_index: *index,
                entry: String::from_utf8(bytes.clone()).unwrap(),
                tree_size: size,
                inclusion_proof: self.log.inclusion_proof(*index, size).unwrap(),
            })
            .collect();
        let bundle = Bundle::assemble(
            "S",
            "log.example",
            events,
            vec![BundleCheckpoint {
                source: "test".into(),
                note: signed.to_text(),
            }],
            vec![],
            vec![],
        );
        let mut trusted = vec![log_key.verifier().clone()];
        trusted.extend(self.keys.iter().map(|k| k.verifier().clone()));
        bundle
            .verify(&Trust {
                trusted_keys: trusted,
                required_cosigners: vec![],
            })
            .unwrap()
    }
}

fn collected(seal: &str) -> Action {
    Action::Collected {
        location: "site".into(),
        method: "swab".into(),
        container: "C".into(),
        seals: vec![seal.into()],
        photo_digests: vec![],
    }
}

fn transfer(to: &str, seals: &[&str]) -> Action {
    Action::Transferred {
        to: to.into(),
        carrier: "courier".into(),
        seals_checked: seals.iter().map(|s| s.to_string()).collect(),
    }
}

fn receive(from: &str, intact: bool, seals: &[&str]) -> Action {
    Action::Received {
        from: from.into(),
        seals_intact: intact,
        seals_observed: seals.iter().map(|s| s.to_string()).collect(),
        note: if intact {
            "ok".into()
        } else {
            "tape lifted at corner".into()
        },
    }
}

#[test]
fn a_clean_transfer_has_no_findings() {
    let mut chain = Chain::new();
    chain
        .add("S", 10, "a.example", collected("X1"))
        .add("S", 20, "a.example", transfer("b.example", &["X1"]))
        .add("S", 30, "b.example", receive("a.example", true, &["X1"]))
        .add(
            "S",
            40,
            "b.example",
            Action::Destroyed {
                method: "autoclave".into(),
                note: String::new(),
            },
        );
    let report = chain.verify();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn holder_seal_time_and_aliquot_breaks_are_named() {
    let mut chain = Chain::new();
    chain
        .add("S", 10, "a.example", collected("X1"))
        // 1: acted on by someone who does not hold it
        .add(
            "S",
            20,
            "b.example",
            Action::Stored {
                location: "shelf".into(),
            },
        )
        // 2: transfer without checking the seal
        .add("S", 30, "a.example", transfer("b.example", &[]))
        // 3: received by the wrong person, seal broken and missing
        .add("S", 25, "c.example", receive("a.example", false, &[]))
        // 4: split with one aliquot never seen again
        .add(
            "S",
            50,
            "c.example",
            Action::Split {
                children: vec![bwcv_ledger::custody::Aliquot {
                    sample: "S-A".into(),
                    holder: "c.example".into(),
                    container: "C2".into(),
                    seals: vec!["X2".into()],
                }],
            },
        )
        .add(
            "S",
            60,
            "c.example",
            Action::Consumed {
                note: String::new(),
            },
        )
        // 6: event after consumption
        .add(
            "S",
            70,
            "c.example",
            Action::Stored {
                location: "shelf".into(),
            },
        );
    let report = chain.verify();
    let b = breaks(&report);
    assert!(has_break(&report, Check::Holder, Some(1)), "{b:#?}");
    assert!(has_break(&report, Check::Seal, Some(2)), "{b:#?}");
    assert!(has_break(&report, Check::Holder, Some(3)), "{b:#?}");
    assert!(has_break(&report, Check::Seal, Some(3)), "{b:#?}");
    assert!(has_break(&report, Check::Time, Some(3)), "{b:#?}");
    assert!(has_break(&report, Check::Holder, Some(6)), "{b:#?}");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.check == Check::Aliquot && f.sample.as_deref() == Some("S-A")),
        "{b:#?}"
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.reason.contains("tape lifted at corner"))
    );
}

#[test]
fn an_unknown_actor_key_or_foreign_sample_is_named() {
    let mut chain = Chain::new();
    chain
        .add("S", 10, "a.example", collected("X1"))
        .add("T", 20, "a.example", collected("X9"));
    let report = chain.verify();
    assert!(
        has_break(&report, Check::Aliquot, Some(1)),
        "{:#?}",
        breaks(&report)
    );
}

#[test]
fn export_from_a_node_reader_equals_the_demo_and_select_chain_finds_it() {
    let demo = demo();
    let entries: Vec<(u64, Vec<u8>)> = (0..demo.log.size())
        .filter_map(|i| {
            demo.bundle
                .events
                .iter()
                .find(|e| e.leaf_index == i)
                .map(|e| (i, e.entry.clone().into_bytes()))
        })
        .collect();
    // Add foreign custody entries and other entries: select_chain skips them.
    let mut scan: Vec<(u64, &[u8])> = entries.iter().map(|(i, b)| (*i, b.as_slice())).collect();
    let other = br#"{"type":"weather/v1"}"#;
    scan.insert(1, (999, other));
    let chain = bwcv_ledger::custody::select_chain(SAMPLE, scan);
    assert_eq!(chain, entries);
    let size = demo.bundle.events[0].tree_size;
    let exported = Bundle::assemble(
        SAMPLE,
        ORIGIN,
        vec![],
        demo.bundle.checkpoints.clone(),
        demo.bundle.consistency.clone(),
        demo.bundle.keys.clone(),
    )
    .with_proofs(&chain, size, &demo.log)
    .unwrap();
    assert_eq!(exported, demo.bundle);
    // chain_head: the aliquot B's last event is its 'stored'; a fresh
    // aliquot's head is its split.
    let head_b = bwcv_ledger::custody::chain_head(&format!("{SAMPLE}-B"), &chain).unwrap();
    let stored_b = demo
        .bundle
        .events
        .iter()
        .find(|e| e.entry.contains("cold store 2"))
        .unwrap();
    assert_eq!(head_b, leaf_hash(stored_b.entry.as_bytes()));
    assert_eq!(bwcv_ledger::custody::chain_head("S-unknown", &chain), None);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A bundle with any one byte changed either fails to parse (an
        /// error) or verifies to a report; it never panics, and a change
        /// inside an entry or checkpoint is never silently accepted.
        #[test]
        fn mutated_bundles_never_panic(pos in any::<usize>(), byte in 0x20u8..0x7f) {
            let demo = bundle::demo("fuzz").unwrap();
            let trust = Trust { trusted_keys: demo.trusted_keys(), required_cosigners: vec![] };
            let mut bytes = demo.bundle.to_json().into_bytes();
            let p = pos % bytes.len();
            if bytes[p] == byte {
                return Ok(());
            }
            bytes[p] = byte;
            let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
            if let Ok(bundle) = Bundle::from_json(&text) {
                if let Ok(report) = bundle.verify(&trust) {
                    let changed_evidence = bundle.events != demo.bundle.events
                        || bundle.checkpoints != demo.bundle.checkpoints;
                    if changed_evidence && bundle.events.iter().map(|e| &e.entry).ne(demo.bundle.events.iter().map(|e| &e.entry)) {
                        prop_assert!(report.n_breaks() > 0);
                    }
                }
            }
        }
    }
}

#[test]
fn utc_formatting() {
    use bwcv_ledger::custody::format_utc;
    assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_utc(1_796_371_200), "2026-12-04T08:00:00Z");
    assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
    assert_eq!(format_utc(4_107_542_399), "2100-02-28T23:59:59Z");
    let _ = format_utc(i64::MAX);
    let _ = format_utc(i64::MIN);
}
