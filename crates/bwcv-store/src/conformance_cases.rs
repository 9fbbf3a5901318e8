//! Conformance cases of [`crate::cases::CaseStore`] (part of
//! [`crate::conformance`]; run by the same `conformance_tests!` runner on
//! every backend). Each case expects a fresh, empty store.

use std::collections::BTreeSet;

use bwcv_core::Classification;
use bwcv_ledger::merkle::Hash;
use serde_json::json;

use super::{
    assert_conflict, assert_invalid, assert_not_found, at, audit, entry, make_user, party,
};
use crate::cases::{
    CASE_OBJECT, CaseEntryKind, CaseFilter, CaseWrite, DRAW_OBJECT, MAX_ID_LEN, NewCase,
    NewCaseEntry, NewDraw, NewNotification,
};
use crate::{AuditFilter, Role, Store, Timestamp, UserId};

fn sha256_hex(text: &str) -> String {
    Hash::digest(text.as_bytes()).to_hex()
}

fn new_case(
    case_id: &str,
    kind: &str,
    requesting: Option<&str>,
    inspected: Option<&str>,
    opened_by: UserId,
    opened_at: Timestamp,
) -> NewCase {
    NewCase {
        case_id: case_id.to_owned(),
        kind: kind.to_owned(),
        state: "filed".to_owned(),
        classification: Classification::Restricted,
        requesting: requesting.map(party),
        inspected: inspected.map(party),
        title: format!("{kind} {case_id}"),
        opened_by,
        opened_at,
        next_deadline: None,
        next_deadline_label: None,
    }
}

fn new_entry(
    case_id: &str,
    sequence: u32,
    actor: UserId,
    state_after: &str,
    seconds: i64,
) -> NewCaseEntry {
    let body_json =
        format!("{{\"case\":\"{case_id}\",\"sequence\":{sequence},\"to\":\"{state_after}\"}}");
    NewCaseEntry {
        case_id: case_id.to_owned(),
        sequence,
        kind: CaseEntryKind::Event,
        at: at(seconds),
        actor,
        body_sha256: sha256_hex(&body_json),
        body_json,
        state_after: state_after.to_owned(),
        next_deadline: None,
        next_deadline_label: None,
    }
}

/// Opens `case` with a first entry that agrees with it.
async fn open<S: Store>(store: &S, case: NewCase) -> crate::cases::CaseRecord {
    let mut first = new_entry(&case.case_id, 0, case.opened_by, &case.state, 100);
    first.next_deadline = case.next_deadline;
    first.next_deadline_label = case.next_deadline_label.clone();
    let ledger_entry = entry(
        "case_event",
        format!("open {}", case.case_id).as_bytes(),
        None,
    );
    store
        .open_case(
            case.clone(),
            first,
            ledger_entry,
            audit(Some(case.opened_by), "case.open"),
        )
        .await
        .expect("open case")
        .0
}

fn ids(records: &[crate::cases::CaseRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|record| record.case_id.as_str())
        .collect()
}

// ------------------------------------------------------------------ cases

/// Open, read back, list with every filter and count by prefix.
pub async fn cases_open_and_list<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let mut clarification = new_case(
        "CL-2026-0001",
        "clarification",
        Some("ARC"),
        Some("BOR"),
        alice.id,
        at(1),
    );
    clarification.next_deadline = Some(at(5_000));
    clarification.next_deadline_label = Some("reply due".to_owned());
    let mut first = new_entry("CL-2026-0001", 0, alice.id, "filed", 2);
    first.next_deadline = Some(at(5_000));
    first.next_deadline_label = Some("reply due".to_owned());
    let (record, stored) = store
        .open_case(
            clarification.clone(),
            first.clone(),
            entry("case_event", b"open CL-2026-0001", None),
            audit(Some(alice.id), "case.open"),
        )
        .await
        .expect("open case");
    assert_eq!(record.case_id, "CL-2026-0001");
    assert_eq!(record.kind, "clarification");
    assert_eq!(record.state, "filed");
    assert_eq!(record.classification, Classification::Restricted);
    assert_eq!(record.requesting, Some(party("ARC")));
    assert_eq!(record.inspected, Some(party("BOR")));
    assert_eq!(record.title, clarification.title);
    assert_eq!(record.opened_by, alice.id);
    assert_eq!(record.opened_at, at(1));
    assert_eq!(record.updated_at, at(2), "updated_at is the entry's time");
    assert_eq!(record.n_records, 1);
    assert_eq!(record.next_deadline, Some(at(5_000)));
    assert_eq!(record.next_deadline_label.as_deref(), Some("reply due"));
    assert_eq!(stored.case_id, "CL-2026-0001");
    assert_eq!(stored.sequence, 0);
    assert_eq!(stored.kind, CaseEntryKind::Event);
    assert_eq!(stored.at, at(2));
    assert_eq!(stored.actor, alice.id);
    assert_eq!(stored.body_json, first.body_json);
    assert_eq!(stored.body_sha256, first.body_sha256);
    assert_eq!(stored.ledger_index, 0);
    assert_eq!(
        store.get_case("CL-2026-0001").await.unwrap(),
        Some(record.clone())
    );
    assert_eq!(
        store.case_entries("CL-2026-0001").await.unwrap(),
        vec![stored]
    );
    assert_eq!(store.get_case("CL-2026-0099").await.unwrap(), None);
    assert!(store.case_entries("CL-2026-0099").await.unwrap().is_empty());

    let mut visit = new_case(
        "TV-2026-0001",
        "transparency_visit",
        None,
        Some("ARC"),
        alice.id,
        at(3),
    );
    visit.next_deadline = Some(at(1_000));
    visit.next_deadline_label = Some("visit starts".to_owned());
    open(store, visit).await;
    open(
        store,
        new_case(
            "FI-2026-0001",
            "field_investigation",
            Some("CAS"),
            Some("BOR"),
            alice.id,
            at(4),
        ),
    )
    .await;
    let mut closed = new_case(
        "CL-2026-0002",
        "clarification",
        Some("BOR"),
        Some("CAS"),
        alice.id,
        at(2),
    );
    closed.state = "closed".to_owned();
    open(store, closed).await;

    let all = store.list_cases(CaseFilter::default()).await.unwrap();
    assert_eq!(
        ids(&all),
        [
            "FI-2026-0001",
            "TV-2026-0001",
            "CL-2026-0002",
            "CL-2026-0001"
        ],
        "opened_at descending"
    );
    let by_kind = store
        .list_cases(CaseFilter {
            kind: Some("clarification".to_owned()),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&by_kind), ["CL-2026-0002", "CL-2026-0001"]);
    let arc = store
        .list_cases(CaseFilter {
            state_party: Some(party("ARC")),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids(&arc),
        ["TV-2026-0001", "CL-2026-0001"],
        "ARC as inspected and as requesting"
    );
    let cas = store
        .list_cases(CaseFilter {
            state_party: Some(party("CAS")),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&cas), ["FI-2026-0001", "CL-2026-0002"]);
    let open_only = store
        .list_cases(CaseFilter {
            open_only: true,
            terminal_states: vec!["closed".to_owned(), "withdrawn".to_owned()],
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids(&open_only),
        ["FI-2026-0001", "TV-2026-0001", "CL-2026-0001"]
    );
    let open_no_terminal = store
        .list_cases(CaseFilter {
            open_only: true,
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(open_no_terminal.len(), 4, "no terminal states: all open");
    let due = store
        .list_cases(CaseFilter {
            deadline_before: Some(at(5_000)),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids(&due),
        ["TV-2026-0001"],
        "strictly before, with a deadline"
    );
    let due_later = store
        .list_cases(CaseFilter {
            deadline_before: Some(at(5_001)),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&due_later), ["TV-2026-0001", "CL-2026-0001"]);
    let combined = store
        .list_cases(CaseFilter {
            kind: Some("clarification".to_owned()),
            state_party: Some(party("BOR")),
            open_only: true,
            terminal_states: vec!["closed".to_owned()],
            deadline_before: Some(at(10_000)),
        })
        .await
        .unwrap();
    assert_eq!(ids(&combined), ["CL-2026-0001"], "criteria are ANDed");

    assert_eq!(store.count_cases("CL-2026-").await.unwrap(), 2);
    assert_eq!(store.count_cases("TV-").await.unwrap(), 1);
    assert_eq!(store.count_cases("CL-2027-").await.unwrap(), 0);
    assert_eq!(store.count_cases("").await.unwrap(), 4);
    assert_eq!(
        store.count_cases("CL-2026-000_").await.unwrap(),
        0,
        "no LIKE wildcards"
    );
    assert_eq!(store.count_cases("CL%").await.unwrap(), 0);
    assert_eq!(store.count_cases("cl-").await.unwrap(), 0, "case-sensitive");

    // Every case write got its ledger entry and its audit row.
    assert_eq!(store.ledger_size().await.unwrap(), 4);
    let audits = store
        .list_audit(AuditFilter {
            object_kind: Some(CASE_OBJECT.to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audits.len(), 4);
    assert_eq!(audits[0].object_id.as_deref(), Some("CL-2026-0001"));
    assert_eq!(audits[0].action, "case.open");
}

/// Appending entries: sequence checks, the summary row, ledger indices
/// (one new ledger entry per case entry) and audit rows.
pub async fn case_entries_append<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let bob = make_user(store, "bob", Role::SecretariatAnalyst).await;
    store
        .ledger_append(vec![entry("other", b"before", None)])
        .await
        .unwrap();
    open(
        store,
        new_case(
            "CL-2026-0001",
            "clarification",
            Some("ARC"),
            Some("BOR"),
            alice.id,
            at(1),
        ),
    )
    .await;
    assert_eq!(store.ledger_size().await.unwrap(), 2);

    let mut expected_entries = store.case_entries("CL-2026-0001").await.unwrap();
    assert_eq!(expected_entries[0].ledger_index, 1);
    for (sequence, state) in [(1u32, "request_sent"), (2, "replied"), (3, "closed")] {
        let size_before = store.ledger_size().await.unwrap();
        let mut next = new_entry(
            "CL-2026-0001",
            sequence,
            bob.id,
            state,
            200 + i64::from(sequence),
        );
        next.kind = if sequence == 2 {
            CaseEntryKind::Comment
        } else {
            CaseEntryKind::Event
        };
        if sequence < 3 {
            next.next_deadline = Some(at(10_000 + i64::from(sequence)));
            next.next_deadline_label = Some(format!("step {sequence} due"));
        }
        let body = format!("ledger body {sequence}");
        let (record, stored) = store
            .append_case_entry(
                next.clone(),
                entry("case_event", body.as_bytes(), None),
                audit(Some(bob.id), "case.append"),
            )
            .await
            .expect("append entry");
        assert_eq!(store.ledger_size().await.unwrap(), size_before + 1);
        assert_eq!(stored.ledger_index, size_before);
        let ledger_entry = store.ledger_entry(size_before).await.unwrap().unwrap();
        assert_eq!(ledger_entry.body, body.as_bytes());
        assert_eq!(stored.sequence, sequence);
        assert_eq!(stored.kind, next.kind);
        assert_eq!(stored.actor, bob.id);
        assert_eq!(stored.body_json, next.body_json);
        assert_eq!(record.state, state);
        assert_eq!(record.n_records, sequence + 1);
        assert_eq!(record.updated_at, next.at);
        assert_eq!(record.next_deadline, next.next_deadline);
        assert_eq!(record.next_deadline_label, next.next_deadline_label);
        assert_eq!(record.opened_at, at(1), "identity columns stay");
        assert_eq!(record.opened_by, alice.id);
        assert_eq!(store.get_case("CL-2026-0001").await.unwrap(), Some(record));
        expected_entries.push(stored);
    }
    assert_eq!(
        store.case_entries("CL-2026-0001").await.unwrap(),
        expected_entries,
        "sequence order"
    );
    let closed = store.get_case("CL-2026-0001").await.unwrap().unwrap();
    assert_eq!(closed.next_deadline, None, "a deadline can be cleared");
    assert_eq!(closed.next_deadline_label, None);

    // Stale and future sequences are conflicts; nothing is written.
    let size = store.ledger_size().await.unwrap();
    let audit_count = store.export_audit().await.unwrap().len();
    for sequence in [0u32, 3, 5] {
        assert_conflict(
            store
                .append_case_entry(
                    new_entry("CL-2026-0001", sequence, bob.id, "x", 300),
                    entry("case_event", b"stale", None),
                    audit(Some(bob.id), "case.append"),
                )
                .await,
            "append at a wrong sequence",
        );
    }
    assert_not_found(
        store
            .append_case_entry(
                new_entry("CL-2026-0404", 0, bob.id, "x", 300),
                entry("case_event", b"missing", None),
                audit(Some(bob.id), "case.append"),
            )
            .await,
        "append to a missing case",
    );
    assert_eq!(store.ledger_size().await.unwrap(), size);
    assert_eq!(store.export_audit().await.unwrap().len(), audit_count);
    assert_eq!(store.case_entries("CL-2026-0001").await.unwrap().len(), 4);

    // One audit row per write, object ("case", id), as given otherwise.
    let audits = store
        .list_audit(AuditFilter {
            object_kind: Some(CASE_OBJECT.to_owned()),
            object_id: Some("CL-2026-0001".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audits.len(), 4);
    assert_eq!(audits[0].actor, Some(alice.id));
    for record in &audits[1..] {
        assert_eq!(record.action, "case.append");
        assert_eq!(record.actor, Some(bob.id));
        assert_eq!(record.justification, "conformance test");
    }
}

/// Refusals of `open_case`: duplicate id, first sequence, inconsistent or
/// invalid fields, unknown users.
pub async fn case_refusals<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let case = new_case(
        "CL-2026-0001",
        "clarification",
        Some("ARC"),
        None,
        alice.id,
        at(1),
    );
    open(store, case.clone()).await;
    let try_open = |case: NewCase, first: NewCaseEntry| {
        store.open_case(
            case,
            first,
            entry("case_event", b"refused", None),
            audit(Some(alice.id), "case.open"),
        )
    };
    let first = |case_id: &str| new_entry(case_id, 0, alice.id, "filed", 2);
    assert_conflict(
        try_open(case.clone(), first("CL-2026-0001")).await,
        "duplicate case id",
    );
    let other = new_case("CL-2026-0002", "clarification", None, None, alice.id, at(1));
    assert_conflict(
        try_open(
            other.clone(),
            new_entry("CL-2026-0002", 1, alice.id, "filed", 2),
        )
        .await,
        "first entry at sequence 1",
    );
    assert_invalid(
        try_open(other.clone(), first("CL-2026-0003")).await,
        "first entry of another case",
    );
    assert_invalid(
        try_open(
            other.clone(),
            new_entry("CL-2026-0002", 0, alice.id, "replied", 2),
        )
        .await,
        "first entry's state differs",
    );
    let mut with_deadline = first("CL-2026-0002");
    with_deadline.next_deadline = Some(at(9));
    assert_invalid(
        try_open(other.clone(), with_deadline).await,
        "first entry's deadline differs",
    );
    let mut wrong_digest = first("CL-2026-0002");
    wrong_digest.body_sha256 = sha256_hex("something else");
    assert_invalid(
        try_open(other.clone(), wrong_digest).await,
        "digest of another body",
    );
    let mut not_hex = first("CL-2026-0002");
    not_hex.body_sha256 = "not a digest".to_owned();
    assert_invalid(try_open(other.clone(), not_hex).await, "digest not hex");
    let mut not_json = first("CL-2026-0002");
    not_json.body_json = "{not json".to_owned();
    not_json.body_sha256 = sha256_hex(&not_json.body_json);
    assert_invalid(try_open(other.clone(), not_json).await, "body not JSON");
    let mut nul_title = other.clone();
    nul_title.title = "a\0b".to_owned();
    assert_invalid(
        try_open(nul_title, first("CL-2026-0002")).await,
        "NUL in title",
    );
    let mut label_only = other.clone();
    label_only.next_deadline_label = Some("due".to_owned());
    let mut label_first = first("CL-2026-0002");
    label_first.next_deadline_label = Some("due".to_owned());
    assert_invalid(
        try_open(label_only, label_first).await,
        "label without deadline",
    );
    for bad_id in [String::new(), " ".to_owned(), "x".repeat(MAX_ID_LEN + 1)] {
        let mut bad = other.clone();
        bad.case_id = bad_id.clone();
        assert_invalid(try_open(bad, first(&bad_id)).await, "bad case id");
    }
    let mut empty_kind = other.clone();
    empty_kind.kind = String::new();
    assert_invalid(
        try_open(empty_kind, first("CL-2026-0002")).await,
        "empty kind",
    );
    let mut stranger = other.clone();
    stranger.opened_by = UserId(999_999);
    assert_not_found(
        try_open(stranger, first("CL-2026-0002")).await,
        "unknown opening user",
    );
    let mut unknown_actor = first("CL-2026-0002");
    unknown_actor.actor = UserId(999_999);
    assert_not_found(
        try_open(other.clone(), unknown_actor).await,
        "unknown entry actor",
    );
    assert_invalid(
        store
            .open_case(
                other.clone(),
                first("CL-2026-0002"),
                entry("", b"no kind", None),
                audit(Some(alice.id), "case.open"),
            )
            .await,
        "invalid ledger entry",
    );
    // Nothing of the refused attempts was kept.
    assert_eq!(store.get_case("CL-2026-0002").await.unwrap(), None);
    assert_eq!(store.count_cases("").await.unwrap(), 1);
    assert_eq!(store.ledger_size().await.unwrap(), 1);
    assert_eq!(store.export_audit().await.unwrap().len(), 1);
    // Refused look-ups of text the store cannot keep.
    assert_invalid(store.get_case("a\0").await, "NUL in a looked-up id");
    // The id is free again for a correct attempt.
    open(store, other).await;
}

/// A case write failing inside its transaction (after the ledger append:
/// the audit row names a user that does not exist) leaves nothing: no
/// case, no entry, no ledger entry, no audit row. An audit record that
/// fails validation is refused before anything is written.
pub async fn failed_case_writes_leave_nothing<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let case = new_case("CL-2026-0001", "clarification", None, None, alice.id, at(1));
    let first = new_entry("CL-2026-0001", 0, alice.id, "filed", 2);
    assert_not_found(
        store
            .open_case(
                case.clone(),
                first.clone(),
                entry("case_event", b"never stored", None),
                audit(Some(UserId(999_999)), "case.open"),
            )
            .await,
        "open with a missing audit actor",
    );
    let mut bad_audit = audit(Some(alice.id), "case.open");
    bad_audit.justification = "why\0".to_owned();
    assert_invalid(
        store
            .open_case(
                case.clone(),
                first.clone(),
                entry("case_event", b"never stored", None),
                bad_audit.clone(),
            )
            .await,
        "open with an invalid audit record",
    );
    assert_eq!(store.get_case("CL-2026-0001").await.unwrap(), None);
    assert!(store.case_entries("CL-2026-0001").await.unwrap().is_empty());
    assert_eq!(store.ledger_size().await.unwrap(), 0);
    assert!(store.export_audit().await.unwrap().is_empty());

    let opened = open(store, case).await;
    let audit_before = store.export_audit().await.unwrap();
    let root_before = store.ledger_root(1).await.unwrap();
    assert_not_found(
        store
            .append_case_entry(
                new_entry("CL-2026-0001", 1, alice.id, "replied", 3),
                entry("case_event", b"never stored", None),
                audit(Some(UserId(999_999)), "case.append"),
            )
            .await,
        "append with a missing audit actor",
    );
    assert_invalid(
        store
            .append_case_entry(
                new_entry("CL-2026-0001", 1, alice.id, "replied", 3),
                entry("case_event", b"never stored", None),
                bad_audit,
            )
            .await,
        "append with an invalid audit record",
    );
    assert_not_found(
        store
            .append_case_entry(
                new_entry("CL-2026-0001", 1, UserId(999_999), "replied", 3),
                entry("case_event", b"never stored", None),
                audit(Some(alice.id), "case.append"),
            )
            .await,
        "append by a missing actor",
    );
    assert_eq!(store.get_case("CL-2026-0001").await.unwrap(), Some(opened));
    assert_eq!(store.case_entries("CL-2026-0001").await.unwrap().len(), 1);
    assert_eq!(store.ledger_size().await.unwrap(), 1);
    assert_eq!(store.ledger_root(1).await.unwrap(), root_before);
    assert_eq!(store.export_audit().await.unwrap(), audit_before);

    // The case goes on after the failures, at the next sequence.
    let (record, stored) = store
        .append_case_entry(
            new_entry("CL-2026-0001", 1, alice.id, "replied", 3),
            entry("case_event", b"stored", None),
            audit(Some(alice.id), "case.append"),
        )
        .await
        .expect("append after failures");
    assert_eq!(record.n_records, 2);
    assert_eq!(stored.ledger_index, 1);
}

fn write(entry_: NewCaseEntry, ledger_text: &str, actor: Option<UserId>) -> CaseWrite {
    CaseWrite {
        entry: entry_,
        ledger_entry: entry("case_event", ledger_text.as_bytes(), None),
        audit: audit(actor, "case.append"),
    }
}

/// An event and the document it records, appended together: one
/// transaction, consecutive sequences, all or nothing.
pub async fn case_entries_in_one_transaction<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    open(
        store,
        new_case("CL-2026-0001", "clarification", None, None, alice.id, at(1)),
    )
    .await;
    let mut document = new_entry("CL-2026-0001", 2, alice.id, "replied", 4);
    document.kind = CaseEntryKind::Comment;
    let (record, stored) = store
        .append_case_entries(vec![
            write(
                new_entry("CL-2026-0001", 1, alice.id, "replied", 3),
                "event",
                Some(alice.id),
            ),
            write(document, "document", Some(alice.id)),
        ])
        .await
        .expect("append two entries");
    assert_eq!(record.n_records, 3);
    assert_eq!(record.state, "replied");
    assert_eq!(record.updated_at, at(4));
    assert_eq!(
        stored
            .iter()
            .map(|entry| (entry.sequence, entry.ledger_index))
            .collect::<Vec<_>>(),
        vec![(1, 1), (2, 2)]
    );
    assert_eq!(stored[1].kind, CaseEntryKind::Comment);
    assert_eq!(store.ledger_size().await.unwrap(), 3);
    let audits = store.export_audit().await.unwrap();
    assert_eq!(audits.len(), 3);
    assert!(
        audits
            .iter()
            .all(|record| record.object_kind == CASE_OBJECT)
    );

    // Refused before anything is written: empty, two cases, a gap, stale.
    // `by(case, sequence, audit actor)`: one of alice's entries.
    let by = |case_id: &str, sequence: u32, audit_actor: UserId| {
        write(
            new_entry(case_id, sequence, alice.id, "a", 5),
            "x",
            Some(audit_actor),
        )
    };
    let before = store.export_audit().await.unwrap();
    assert_invalid(store.append_case_entries(Vec::new()).await, "no entries");
    assert_invalid(
        store
            .append_case_entries(vec![
                by("CL-2026-0001", 3, alice.id),
                by("CL-2026-0002", 4, alice.id),
            ])
            .await,
        "two cases",
    );
    assert_invalid(
        store
            .append_case_entries(vec![
                by("CL-2026-0001", 3, alice.id),
                by("CL-2026-0001", 5, alice.id),
            ])
            .await,
        "a gap in the sequences",
    );
    assert_conflict(
        store
            .append_case_entries(vec![by("CL-2026-0001", 2, alice.id)])
            .await,
        "a stale sequence",
    );
    assert_not_found(
        store
            .append_case_entries(vec![by("CL-2026-0009", 0, alice.id)])
            .await,
        "no such case",
    );
    // The second write fails inside the transaction (its audit actor does
    // not exist): the first is not kept either.
    assert_not_found(
        store
            .append_case_entries(vec![
                by("CL-2026-0001", 3, alice.id),
                by("CL-2026-0001", 4, UserId(999_999)),
            ])
            .await,
        "a failing second write",
    );
    assert_eq!(store.case_entries("CL-2026-0001").await.unwrap().len(), 3);
    assert_eq!(
        store
            .get_case("CL-2026-0001")
            .await
            .unwrap()
            .unwrap()
            .n_records,
        3
    );
    assert_eq!(store.ledger_size().await.unwrap(), 3);
    assert_eq!(store.export_audit().await.unwrap(), before);
}

/// Several writers appending to one case at once: each reads the case,
/// appends at its `n_records` and retries on Conflict. Sequences stay dense,
/// every entry has its own ledger entry.
pub async fn concurrent_case_appends<S: Store>(store: &S) {
    const N_TASKS: usize = 4;
    const N_PER_TASK: usize = 5;
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    open(
        store,
        new_case("CL-2026-0001", "clarification", None, None, alice.id, at(1)),
    )
    .await;
    let mut tasks = Vec::new();
    for task in 0..N_TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0u32;
            for step in 0..N_PER_TASK {
                loop {
                    let current = store
                        .get_case("CL-2026-0001")
                        .await
                        .expect("read case")
                        .expect("case exists");
                    let state = format!("t{task}s{step}");
                    let result = store
                        .append_case_entry(
                            new_entry("CL-2026-0001", current.n_records, alice.id, &state, 10),
                            entry("case_event", state.as_bytes(), None),
                            audit(Some(alice.id), "case.append"),
                        )
                        .await;
                    match result {
                        Ok(_) => break,
                        Err(crate::StoreError::Conflict) => conflicts += 1,
                        Err(other) => panic!("concurrent append failed: {other:?}"),
                    }
                    assert!(conflicts < 1000, "no progress");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("task panicked");
    }
    let total = 1 + N_TASKS * N_PER_TASK;
    let entries = store.case_entries("CL-2026-0001").await.unwrap();
    assert_eq!(entries.len(), total);
    assert_eq!(
        entries.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (0..total as u32).collect::<Vec<_>>()
    );
    let ledger_indices: BTreeSet<u64> = entries.iter().map(|e| e.ledger_index).collect();
    assert_eq!(ledger_indices.len(), total, "one ledger entry each");
    assert_eq!(store.ledger_size().await.unwrap(), total as u64);
    let record = store.get_case("CL-2026-0001").await.unwrap().unwrap();
    assert_eq!(record.n_records as usize, total);
}

/// Bodies are kept byte for byte (key order, spacing, escapes, non-ASCII).
pub async fn case_bodies_verbatim<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let case = NewCase {
        title: "Ambiguïté du formulaire A — « partie 1 » 漢字 🦠".to_owned(),
        ..new_case("CL-2026-0001", "clarification", None, None, alice.id, at(1))
    };
    let body_json = "{ \"z\": 1, \"a\": \"é\\u0000\\n\", \"big\": 12345678901234567890123 }";
    let first = NewCaseEntry {
        body_json: body_json.to_owned(),
        body_sha256: sha256_hex(body_json).to_uppercase(),
        ..new_entry("CL-2026-0001", 0, alice.id, "filed", 2)
    };
    let (record, stored) = store
        .open_case(
            case.clone(),
            first.clone(),
            entry("case_event", b"open", None),
            audit(Some(alice.id), "case.open"),
        )
        .await
        .expect("open with an unusual body");
    assert_eq!(record.title, case.title);
    assert_eq!(stored.body_json, body_json);
    assert_eq!(stored.body_sha256, first.body_sha256);
    // Times come back at microsecond precision, like every stored time.
    let odd_time = at(3) + chrono::Duration::nanoseconds(123_456_789);
    let mut timed = new_case(
        "CL-2026-0002",
        "clarification",
        None,
        None,
        alice.id,
        odd_time,
    );
    timed.next_deadline = Some(odd_time);
    timed.next_deadline_label = Some("due".to_owned());
    let timed_first = NewCaseEntry {
        at: odd_time,
        next_deadline: Some(odd_time),
        next_deadline_label: Some("due".to_owned()),
        ..new_entry("CL-2026-0002", 0, alice.id, "filed", 0)
    };
    let (timed_record, timed_entry) = store
        .open_case(
            timed,
            timed_first,
            entry("case_event", b"timed", None),
            audit(Some(alice.id), "case.open"),
        )
        .await
        .expect("open with sub-microsecond times");
    let truncated = crate::truncate_time(odd_time);
    assert_eq!(timed_record.opened_at, truncated);
    assert_eq!(timed_record.updated_at, truncated);
    assert_eq!(timed_record.next_deadline, Some(truncated));
    assert_eq!(timed_entry.at, truncated);
    assert_eq!(
        store.get_case("CL-2026-0002").await.unwrap(),
        Some(timed_record)
    );
    let big = "x".repeat(200_000);
    let big_body = json!({ "text": big }).to_string();
    let mut next = new_entry("CL-2026-0001", 1, alice.id, "replied", 3);
    next.kind = CaseEntryKind::Report;
    next.body_sha256 = sha256_hex(&big_body);
    next.body_json = big_body.clone();
    store
        .append_case_entry(
            next,
            entry("case_event", b"report", None),
            audit(Some(alice.id), "case.append"),
        )
        .await
        .expect("append a large report");
    let entries = store.case_entries("CL-2026-0001").await.unwrap();
    assert_eq!(entries[0].body_json, body_json);
    assert_eq!(entries[1].body_json, big_body);
    assert_eq!(entries[1].kind, CaseEntryKind::Report);
}

// ------------------------------------------------------------------ draws

fn new_draw(draw_id: &str, year: i32, by: UserId) -> NewDraw {
    let announcement_json = format!("{{\"draw\":\"{draw_id}\",\"pool_digest\":\"00ff\"}}");
    NewDraw {
        draw_id: draw_id.to_owned(),
        year,
        announcement_sha256: sha256_hex(&announcement_json),
        announcement_json,
        announced_at: at(100),
        announced_by: by,
    }
}

async fn record_result<S: Store>(
    store: &S,
    draw_id: &str,
    result_json: &str,
    result_sha256: &str,
    by: UserId,
) -> Result<crate::cases::DrawRecord, crate::StoreError> {
    store
        .record_draw_result(
            draw_id,
            result_json,
            result_sha256,
            at(200),
            by,
            entry("draw_run", result_json.as_bytes(), None),
            audit(Some(by), "draw.run"),
        )
        .await
}

/// Announce, refuse a duplicate, record the result once, list by year.
pub async fn draws<S: Store>(store: &S) {
    let sec = make_user(store, "sec", Role::SecretariatAnalyst).await;
    let draw = new_draw("TV-2027", 2027, sec.id);
    let announced = store
        .announce_draw(
            draw.clone(),
            entry("draw_announced", b"announce TV-2027", None),
            audit(Some(sec.id), "draw.announce"),
        )
        .await
        .expect("announce");
    assert_eq!(announced.draw_id, "TV-2027");
    assert_eq!(announced.year, 2027);
    assert_eq!(announced.announcement_json, draw.announcement_json);
    assert_eq!(announced.announcement_sha256, draw.announcement_sha256);
    assert_eq!(announced.announced_at, at(100));
    assert_eq!(announced.announced_by, sec.id);
    assert_eq!(announced.announcement_ledger_index, 0);
    assert_eq!(announced.result_json, None);
    assert_eq!(announced.result_sha256, None);
    assert_eq!(announced.run_at, None);
    assert_eq!(announced.run_by, None);
    assert_eq!(announced.result_ledger_index, None);
    assert_eq!(
        store.get_draw("TV-2027").await.unwrap(),
        Some(announced.clone())
    );
    assert_eq!(store.get_draw("TV-2099").await.unwrap(), None);

    assert_conflict(
        store
            .announce_draw(
                new_draw("TV-2027", 2027, sec.id),
                entry("draw_announced", b"again", None),
                audit(Some(sec.id), "draw.announce"),
            )
            .await,
        "duplicate draw id",
    );
    let mut wrong = new_draw("TV-2028", 2028, sec.id);
    wrong.announcement_sha256 = sha256_hex("other");
    assert_invalid(
        store
            .announce_draw(
                wrong,
                entry("draw_announced", b"wrong", None),
                audit(Some(sec.id), "draw.announce"),
            )
            .await,
        "announcement digest of another text",
    );
    assert_eq!(store.ledger_size().await.unwrap(), 1);

    let result_json = "{\"selected\":[\"F-ARC-001\",\"F-BOR-007\"],\"beacon\":\"abcd\"}";
    let result_sha256 = sha256_hex(result_json);
    assert_invalid(
        record_result(store, "TV-2027", result_json, &sha256_hex("x"), sec.id).await,
        "result digest of another text",
    );
    assert_not_found(
        record_result(store, "TV-2099", result_json, &result_sha256, sec.id).await,
        "result of a missing draw",
    );
    let run = record_result(store, "TV-2027", result_json, &result_sha256, sec.id)
        .await
        .expect("record result");
    assert_eq!(run.result_json.as_deref(), Some(result_json));
    assert_eq!(run.result_sha256.as_deref(), Some(result_sha256.as_str()));
    assert_eq!(run.run_at, Some(at(200)));
    assert_eq!(run.run_by, Some(sec.id));
    assert_eq!(run.result_ledger_index, Some(1));
    assert_eq!(
        store.ledger_entry(1).await.unwrap().unwrap().body,
        result_json.as_bytes()
    );
    // The announcement is untouched.
    assert_eq!(run.announcement_json, announced.announcement_json);
    assert_eq!(run.announcement_sha256, announced.announcement_sha256);
    assert_eq!(run.announced_at, announced.announced_at);
    assert_eq!(run.announcement_ledger_index, 0);
    let audit_count = store.export_audit().await.unwrap().len();
    let other_result = "{\"selected\":[]}";
    assert_conflict(
        record_result(
            store,
            "TV-2027",
            other_result,
            &sha256_hex(other_result),
            sec.id,
        )
        .await,
        "second result",
    );
    assert_eq!(store.get_draw("TV-2027").await.unwrap(), Some(run.clone()));
    assert_eq!(store.ledger_size().await.unwrap(), 2);
    assert_eq!(store.export_audit().await.unwrap().len(), audit_count);

    // A result whose audit row fails leaves the draw without a result.
    store
        .announce_draw(
            new_draw("TV-2026", 2026, sec.id),
            entry("draw_announced", b"announce TV-2026", None),
            audit(Some(sec.id), "draw.announce"),
        )
        .await
        .unwrap();
    let failed = store
        .record_draw_result(
            "TV-2026",
            result_json,
            &result_sha256,
            at(300),
            sec.id,
            entry("draw_run", b"never stored", None),
            audit(Some(UserId(999_999)), "draw.run"),
        )
        .await;
    assert!(failed.is_err(), "result with a missing audit actor stored");
    let unrun = store.get_draw("TV-2026").await.unwrap().unwrap();
    assert_eq!(unrun.result_json, None);
    assert_eq!(store.ledger_size().await.unwrap(), 3);

    store
        .announce_draw(
            new_draw("TV-2027-B", 2027, sec.id),
            entry("draw_announced", b"announce TV-2027-B", None),
            audit(Some(sec.id), "draw.announce"),
        )
        .await
        .unwrap();
    let listed = store.list_draws().await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|d| d.draw_id.as_str())
            .collect::<Vec<_>>(),
        ["TV-2027", "TV-2027-B", "TV-2026"],
        "year descending, then id"
    );
    assert_eq!(listed[0], run);

    let audits = store
        .list_audit(AuditFilter {
            object_kind: Some(DRAW_OBJECT.to_owned()),
            object_id: Some("TV-2027".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        audits.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["draw.announce", "draw.run"]
    );
}

// ---------------------------------------------------------- notifications

fn notification(user_id: UserId, seconds: i64, text: &str) -> NewNotification {
    NewNotification {
        user_id,
        at: at(seconds),
        case_id: Some("CL-2026-0001".to_owned()),
        text: text.to_owned(),
        link: "/cases/CL-2026-0001".to_owned(),
    }
}

/// Add, list newest first, count unread, mark read up to an id; each
/// user sees only their own.
pub async fn notifications<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let bob = make_user(store, "bob", Role::SecretariatAnalyst).await;
    store
        .add_notifications(Vec::new())
        .await
        .expect("empty batch");
    store
        .add_notifications(vec![
            notification(alice.id, 1, "a1"),
            notification(bob.id, 2, "b1"),
            notification(alice.id, 3, "a2"),
            NewNotification {
                case_id: None,
                ..notification(alice.id, 4, "a3")
            },
        ])
        .await
        .expect("add");
    let listed = store.list_notifications(alice.id, false, 50).await.unwrap();
    assert_eq!(
        listed.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["a3", "a2", "a1"],
        "newest first, only alice's"
    );
    assert!(listed.windows(2).all(|pair| pair[0].id > pair[1].id));
    assert_eq!(listed[0].case_id, None);
    assert_eq!(listed[1].case_id.as_deref(), Some("CL-2026-0001"));
    assert_eq!(listed[1].link, "/cases/CL-2026-0001");
    assert_eq!(listed[1].at, at(3));
    assert_eq!(listed[1].user_id, alice.id);
    assert!(listed.iter().all(|n| n.read_at.is_none()));
    assert_eq!(
        store
            .list_notifications(alice.id, false, 2)
            .await
            .unwrap()
            .len(),
        2,
        "limit"
    );
    assert!(
        store
            .list_notifications(alice.id, false, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_unread_notifications(alice.id).await.unwrap(), 3);
    assert_eq!(store.count_unread_notifications(bob.id).await.unwrap(), 1);

    // Marking up to a2's id reads a1 and a2, not bob's b1 (whose id is in
    // the range) nor a3.
    let a2 = listed[1].id;
    assert_eq!(
        store
            .mark_notifications_read(alice.id, a2, at(10))
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.count_unread_notifications(alice.id).await.unwrap(), 1);
    assert_eq!(store.count_unread_notifications(bob.id).await.unwrap(), 1);
    let unread = store.list_notifications(alice.id, true, 50).await.unwrap();
    assert_eq!(
        unread.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["a3"]
    );
    // Marking again keeps the first read time.
    assert_eq!(
        store
            .mark_notifications_read(alice.id, i64::MAX, at(20))
            .await
            .unwrap(),
        1
    );
    let all = store.list_notifications(alice.id, false, 50).await.unwrap();
    assert_eq!(all[0].read_at, Some(at(20)));
    assert_eq!(all[1].read_at, Some(at(10)));
    assert_eq!(all[2].read_at, Some(at(10)));
    assert_eq!(store.count_unread_notifications(alice.id).await.unwrap(), 0);
    assert_eq!(
        store
            .mark_notifications_read(alice.id, i64::MAX, at(30))
            .await
            .unwrap(),
        0
    );
    let bobs = store.list_notifications(bob.id, false, 50).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].read_at, None);
    assert!(
        store
            .list_notifications(UserId(999_999), false, 50)
            .await
            .unwrap()
            .is_empty()
    );

    // A batch with an unknown user or bad text adds nothing.
    assert_not_found(
        store
            .add_notifications(vec![
                notification(bob.id, 5, "b2"),
                notification(UserId(999_999), 5, "nobody"),
            ])
            .await,
        "notification for an unknown user",
    );
    assert_invalid(
        store
            .add_notifications(vec![
                notification(bob.id, 5, "b2"),
                notification(bob.id, 5, "nul\0"),
            ])
            .await,
        "notification text with NUL",
    );
    assert_eq!(
        store
            .list_notifications(bob.id, false, 50)
            .await
            .unwrap()
            .len(),
        1
    );
}

// --------------------------------------------------------- parameter sets

/// Idempotent put; a different text or version under one digest is a
/// conflict.
pub async fn parameter_sets<S: Store>(store: &S) {
    let text = "name = \"protocol\"\nversion = \"2026.1\"\n[reply_days]\nvalue = 30\n";
    let digest = sha256_hex("canonical form");
    assert_eq!(store.get_parameter_set(&digest).await.unwrap(), None);
    store
        .put_parameter_set(&digest, "2026.1", text)
        .await
        .expect("put");
    store
        .put_parameter_set(&digest, "2026.1", text)
        .await
        .expect("put again (idempotent)");
    store
        .put_parameter_set(&digest.to_uppercase(), "2026.1", text)
        .await
        .expect("put with the digest in upper case");
    assert_eq!(
        store.get_parameter_set(&digest).await.unwrap(),
        Some(("2026.1".to_owned(), text.to_owned()))
    );
    assert_eq!(
        store
            .get_parameter_set(&digest.to_uppercase())
            .await
            .unwrap(),
        Some(("2026.1".to_owned(), text.to_owned()))
    );
    assert_conflict(
        store
            .put_parameter_set(&digest, "2026.1", "changed text")
            .await,
        "same digest, other text",
    );
    assert_conflict(
        store.put_parameter_set(&digest, "2026.2", text).await,
        "same digest, other version",
    );
    assert_invalid(
        store.put_parameter_set("abc", "1", text).await,
        "digest not 64 hex characters",
    );
    assert_invalid(
        store.put_parameter_set(&sha256_hex("x"), "1", "a\0").await,
        "NUL in the text",
    );
    let other = sha256_hex("other canonical form");
    store
        .put_parameter_set(&other, "2026.2", "other text")
        .await
        .unwrap();
    assert_eq!(
        store.get_parameter_set(&digest).await.unwrap(),
        Some(("2026.1".to_owned(), text.to_owned())),
        "unchanged by the refused puts"
    );
    assert_eq!(
        store.get_parameter_set(&other).await.unwrap(),
        Some(("2026.2".to_owned(), "other text".to_owned()))
    );
}

// ------------------------------------------- for the backends' raw tests

/// Fills a fresh store with one row of every case table, for the
/// backends' raw-SQL tests of the triggers: case `CL-2026-0001` with
/// entries 0 and 1, draw `TV-2027` with its result, draw `TV-2026`
/// without, two notifications of `alice` (the first read), one parameter
/// set (digest returned). The ledger has 5 entries.
pub async fn populate_cases<S: Store>(store: &S) -> String {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    open(
        store,
        new_case(
            "CL-2026-0001",
            "clarification",
            Some("ARC"),
            Some("BOR"),
            alice.id,
            at(1),
        ),
    )
    .await;
    store
        .append_case_entry(
            new_entry("CL-2026-0001", 1, alice.id, "replied", 3),
            entry("case_event", b"entry 1", None),
            audit(Some(alice.id), "case.append"),
        )
        .await
        .expect("append");
    for (draw_id, year) in [("TV-2027", 2027), ("TV-2026", 2026)] {
        store
            .announce_draw(
                new_draw(draw_id, year, alice.id),
                entry("draw_announced", draw_id.as_bytes(), None),
                audit(Some(alice.id), "draw.announce"),
            )
            .await
            .expect("announce");
    }
    let result_json = "{\"selected\":[]}";
    record_result(
        store,
        "TV-2027",
        result_json,
        &sha256_hex(result_json),
        alice.id,
    )
    .await
    .expect("result");
    store
        .add_notifications(vec![
            notification(alice.id, 1, "first"),
            notification(alice.id, 2, "second"),
        ])
        .await
        .expect("notify");
    let first = store.list_notifications(alice.id, false, 10).await.unwrap()[1].id;
    store
        .mark_notifications_read(alice.id, first, at(5))
        .await
        .unwrap();
    let digest = sha256_hex("parameters");
    store
        .put_parameter_set(&digest, "2026.1", "reply_days = 30\n")
        .await
        .expect("parameter set");
    assert_eq!(store.ledger_size().await.unwrap(), 5);
    digest
}

/// Racing writers of one new case id, or of one draw's result: exactly one
/// wins, the others get Conflict, and only the winner's writes are kept.
pub async fn concurrent_case_opens_and_results<S: Store>(store: &S) {
    const N_TASKS: usize = 6;
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    store
        .announce_draw(
            new_draw("TV-2027", 2027, alice.id),
            entry("draw_announced", b"announce", None),
            audit(Some(alice.id), "draw.announce"),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for task in 0..N_TASKS {
        let store = store.clone();
        let user = alice.id;
        tasks.push(tokio::spawn(async move {
            let state = format!("filed by {task}");
            let case = NewCase {
                state: state.clone(),
                ..new_case("CL-2026-0001", "clarification", None, None, user, at(1))
            };
            let opened = store
                .open_case(
                    case,
                    new_entry("CL-2026-0001", 0, user, &state, 2),
                    entry("case_event", state.as_bytes(), None),
                    audit(Some(user), "case.open"),
                )
                .await
                .map(|(record, _)| record.state);
            let result_json = format!("{{\"run\":{task}}}");
            let run = store
                .record_draw_result(
                    "TV-2027",
                    &result_json,
                    &sha256_hex(&result_json),
                    at(5),
                    user,
                    entry("draw_run", result_json.as_bytes(), None),
                    audit(Some(user), "draw.run"),
                )
                .await
                .map(|record| record.result_json);
            (opened, run)
        }));
    }
    let mut opened_states = Vec::new();
    let mut results = Vec::new();
    for task in tasks {
        let (opened, run) = task.await.expect("task panicked");
        match opened {
            Ok(state) => opened_states.push(state),
            Err(crate::StoreError::Conflict) => {}
            Err(other) => panic!("racing open failed: {other:?}"),
        }
        match run {
            Ok(result) => results.push(result),
            Err(crate::StoreError::Conflict) => {}
            Err(other) => panic!("racing result failed: {other:?}"),
        }
    }
    assert_eq!(opened_states.len(), 1, "one opener wins");
    assert_eq!(results.len(), 1, "one result is recorded");
    let case = store.get_case("CL-2026-0001").await.unwrap().unwrap();
    assert_eq!(case.state, opened_states[0]);
    assert_eq!(store.case_entries("CL-2026-0001").await.unwrap().len(), 1);
    assert_eq!(
        store
            .get_draw("TV-2027")
            .await
            .unwrap()
            .unwrap()
            .result_json,
        results[0]
    );
    // The announcement, one opening and one result: nothing of the losers.
    assert_eq!(store.ledger_size().await.unwrap(), 3);
    assert_eq!(store.export_audit().await.unwrap().len(), 3);
}
