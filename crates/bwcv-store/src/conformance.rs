//! The conformance suite: generic tests every [`Store`] backend must pass.
//!
//! Each case is a `pub async fn case<S: Store>(store: &S)` that panics on
//! a failure and expects a fresh, empty store. A backend's test file
//! generates one `#[tokio::test]` per case with [`conformance_tests!`]:
//!
//! ```text
//! async fn fresh() -> Option<(MyStore, Guard)> { ... }   // None: skip
//! bwcv_store::conformance_tests!(fresh);
//! ```
//!
//! Backend-specific checks (the triggers refusing UPDATE and DELETE, raw
//! SQL) live in the backend crates.

use std::collections::BTreeSet;

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_ledger::merkle::{self, Hash, MemoryLog, SubtreeId};
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use crate::{
    ApiTokenId, AuditFilter, AuditId, AuditOutcome, DeclarationDraft, DeclarationFilter,
    DeclarationId, DeclarationStatus, GrantId, GrantTarget, NewApiToken, NewAuditRecord,
    NewCheckpoint, NewGrant, NewLedgerEntry, NewUser, Role, Session, Store, StoreError, Timestamp,
    User, UserId,
};

/// Generates one `#[tokio::test]` per conformance case. `$fresh` is an
/// async function returning `Option<(store, guard)>`: a fresh, empty store
/// and whatever must live as long as the test (a temporary directory);
/// `None` skips the case (no database server configured).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@cases $fresh;
            users,
            user_validation,
            sessions,
            api_tokens,
            login_attempts,
            drafts_and_versions,
            submit_and_acknowledge,
            failed_submit_leaves_nothing,
            failed_draft_leaves_nothing,
            list_declarations_filters,
            audit_log,
            grants,
            ledger_append_and_proofs,
            ledger_errors,
            checkpoints,
            custody_by_sample,
            unicode_and_huge_values,
            concurrent_appends,
            concurrent_submissions,
            time_precision,
            // CaseStore (conformance_cases.rs)
            cases_open_and_list,
            case_entries_append,
            case_refusals,
            failed_case_writes_leave_nothing,
            case_entries_in_one_transaction,
            concurrent_case_appends,
            concurrent_case_opens_and_results,
            case_bodies_verbatim,
            draws,
            notifications,
            parameter_sets,
        );
    };
    (@cases $fresh:path; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some((store, _guard)) = $fresh().await else {
                    return;
                };
                $crate::conformance::$case(&store).await;
            }
        )*
    };
}

// The CaseStore cases live in their own file.
#[path = "conformance_cases.rs"]
mod cases;
pub use cases::*;

/// A fixed instant plus `seconds`.
pub fn at(seconds: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 4, 15, 12, 0, 0)
        .single()
        .expect("valid fixed date")
        + Duration::seconds(seconds)
}

fn party(code: &str) -> StatePartyCode {
    StatePartyCode::new(code).expect("valid test State Party code")
}

fn new_user(username: &str, role: Role, state_party: Option<&str>) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("{username} (test)"),
        role,
        state_party: state_party.map(party),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
        created_at: at(0),
    }
}

async fn make_user<S: Store>(store: &S, username: &str, role: Role) -> User {
    let state_party = (role == Role::NationalAuthority).then_some("ARC");
    store
        .create_user(new_user(username, role, state_party))
        .await
        .expect("create user")
}

fn audit(actor: Option<UserId>, action: &str) -> NewAuditRecord {
    NewAuditRecord {
        at: at(10),
        actor,
        actor_role: actor.map(|_| Role::NationalAuthority),
        action: action.to_owned(),
        object_kind: "test".to_owned(),
        object_id: None,
        classification: Classification::Restricted,
        justification: "conformance test".to_owned(),
        outcome: AuditOutcome::Success,
        detail: json!({ "note": "test" }),
    }
}

fn draft(actor: UserId, code: &str, year: i32, body: serde_json::Value) -> DeclarationDraft {
    DeclarationDraft {
        id: None,
        expected_version: 0,
        state_party: party(code),
        reporting_year: year,
        visibility: Visibility::StatesPartiesOnly,
        classification: Classification::Restricted,
        digest: format!("{:064x}", year),
        body,
        actor,
        at: at(20),
    }
}

fn entry(kind: &str, body: &[u8], sample_id: Option<&str>) -> NewLedgerEntry {
    NewLedgerEntry {
        kind: kind.to_owned(),
        body: body.to_vec(),
        sample_id: sample_id.map(str::to_owned),
        appended_at: at(30),
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "{what}: expected Conflict, got {result:?}"
    );
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "{what}: expected NotFound, got {result:?}"
    );
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "{what}: expected Invalid, got {result:?}"
    );
}

// ------------------------------------------------------------------- users

/// Create, look up, list, disable, change password; unique usernames.
pub async fn users<S: Store>(store: &S) {
    store.ping().await.expect("ping");
    let alice = store
        .create_user(new_user("alice", Role::NationalAuthority, Some("ARC")))
        .await
        .expect("create alice");
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.role, Role::NationalAuthority);
    assert_eq!(alice.state_party, Some(party("ARC")));
    assert_eq!(alice.created_at, at(0));
    assert!(!alice.is_disabled());
    let bob = store
        .create_user(new_user("bob", Role::SecretariatAnalyst, None))
        .await
        .expect("create bob");
    assert_ne!(alice.id, bob.id);

    assert_eq!(store.get_user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        store.find_user_by_username("bob").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.find_user_by_username("carol").await.unwrap(), None);
    assert_eq!(store.find_user_by_username("Alice").await.unwrap(), None);
    assert_eq!(store.get_user(UserId(999_999)).await.unwrap(), None);
    assert_eq!(
        store.list_users().await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );

    assert_conflict(
        store
            .create_user(new_user("alice", Role::Inspector, None))
            .await,
        "duplicate username",
    );

    store
        .set_password_hash(bob.id, "$argon2id$new")
        .await
        .expect("set password");
    assert_eq!(
        store.get_user(bob.id).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert_not_found(
        store.set_password_hash(UserId(999_999), "x").await,
        "password of missing user",
    );

    // Disabling is idempotent (the first time is kept) and ends sessions.
    store
        .create_session(session("s-bob", bob.id, 0, 3600))
        .await
        .unwrap();
    let disabled = store.disable_user(bob.id, at(100)).await.expect("disable");
    assert_eq!(disabled.disabled_at, Some(at(100)));
    assert!(disabled.is_disabled());
    let again = store.disable_user(bob.id, at(200)).await.unwrap();
    assert_eq!(again.disabled_at, Some(at(100)));
    assert_eq!(store.find_session("s-bob", at(1)).await.unwrap(), None);
    assert_not_found(
        store.disable_user(UserId(999_999), at(0)).await,
        "disable missing user",
    );
}

/// Required and refused fields of a new account.
pub async fn user_validation<S: Store>(store: &S) {
    assert_invalid(
        store
            .create_user(new_user("officer", Role::NationalAuthority, None))
            .await,
        "national authority without State Party",
    );
    assert_invalid(
        store.create_user(new_user("", Role::Inspector, None)).await,
        "empty username",
    );
    assert_invalid(
        store
            .create_user(new_user("nul\0byte", Role::Inspector, None))
            .await,
        "NUL in username",
    );
    assert!(store.list_users().await.unwrap().is_empty());
    // Every role round-trips; a nationality is optional for other roles.
    for (i, role) in Role::ALL.iter().enumerate() {
        let state_party = (*role == Role::NationalAuthority || i % 2 == 0).then_some("BOR");
        let user = store
            .create_user(new_user(&format!("user{i}"), *role, state_party))
            .await
            .expect("create user of every role");
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.role, *role);
        assert_eq!(read.state_party, state_party.map(party));
    }
}

fn session(id_hash: &str, user_id: UserId, created: i64, lifetime: i64) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        user_id,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: at(created),
        expires_at: at(created + lifetime),
    }
}

// ---------------------------------------------------------------- sessions

/// Create, find unexpired, logout, rotation, purge.
pub async fn sessions<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let bob = make_user(store, "bob", Role::Inspector).await;
    let first = store
        .create_session(session("h1", alice.id, 0, 100))
        .await
        .expect("create session");
    assert_eq!(first, session("h1", alice.id, 0, 100));
    store
        .create_session(session("h2", alice.id, 0, 1000))
        .await
        .unwrap();
    store
        .create_session(session("h3", bob.id, 0, 1000))
        .await
        .unwrap();
    assert_conflict(
        store.create_session(session("h1", bob.id, 0, 100)).await,
        "duplicate session id",
    );
    assert_not_found(
        store
            .create_session(session("h9", UserId(999_999), 0, 100))
            .await,
        "session of missing user",
    );

    assert_eq!(store.find_session("h1", at(50)).await.unwrap(), Some(first));
    assert_eq!(store.find_session("h1", at(100)).await.unwrap(), None);
    assert_eq!(store.find_session("nope", at(0)).await.unwrap(), None);

    store.delete_session("h3").await.expect("logout");
    store.delete_session("h3").await.expect("logout twice");
    assert_eq!(store.find_session("h3", at(1)).await.unwrap(), None);

    assert_eq!(store.purge_expired_sessions(at(500)).await.unwrap(), 1);
    assert!(store.find_session("h2", at(1)).await.unwrap().is_some());
    assert_eq!(store.delete_user_sessions(alice.id).await.unwrap(), 1);
    assert_eq!(store.find_session("h2", at(1)).await.unwrap(), None);
    assert_eq!(store.delete_user_sessions(alice.id).await.unwrap(), 0);
}

// -------------------------------------------------------------- API tokens

/// Create, find active, list, revoke.
pub async fn api_tokens<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let forever = store
        .create_api_token(NewApiToken {
            token_hash: "t1".into(),
            user_id: alice.id,
            name: "CLI on the laptop".into(),
            created_at: at(0),
            expires_at: None,
        })
        .await
        .expect("create token");
    assert_eq!(forever.name, "CLI on the laptop");
    assert!(forever.is_active(at(1_000_000)));
    let short = store
        .create_api_token(NewApiToken {
            token_hash: "t2".into(),
            user_id: alice.id,
            name: "script".into(),
            created_at: at(0),
            expires_at: Some(at(60)),
        })
        .await
        .unwrap();
    assert_conflict(
        store
            .create_api_token(NewApiToken {
                token_hash: "t1".into(),
                user_id: alice.id,
                name: "again".into(),
                created_at: at(0),
                expires_at: None,
            })
            .await,
        "duplicate token hash",
    );
    assert_not_found(
        store
            .create_api_token(NewApiToken {
                token_hash: "t3".into(),
                user_id: UserId(999_999),
                name: "orphan".into(),
                created_at: at(0),
                expires_at: None,
            })
            .await,
        "token of missing user",
    );

    assert_eq!(
        store.find_api_token("t1", at(5)).await.unwrap(),
        Some(forever.clone())
    );
    assert_eq!(
        store.find_api_token("t2", at(59)).await.unwrap(),
        Some(short.clone())
    );
    assert_eq!(store.find_api_token("t2", at(60)).await.unwrap(), None);
    assert_eq!(store.find_api_token("t9", at(0)).await.unwrap(), None);

    let revoked = store
        .revoke_api_token(forever.id, at(10))
        .await
        .expect("revoke");
    assert_eq!(revoked.revoked_at, Some(at(10)));
    let again = store.revoke_api_token(forever.id, at(20)).await.unwrap();
    assert_eq!(again.revoked_at, Some(at(10)));
    assert_eq!(store.find_api_token("t1", at(11)).await.unwrap(), None);
    assert_not_found(
        store.revoke_api_token(ApiTokenId(999_999), at(0)).await,
        "revoke missing token",
    );

    let listed = store.list_api_tokens(alice.id).await.unwrap();
    assert_eq!(listed, vec![again, short]);
}

// ---------------------------------------------------------- login attempts

/// Failures are counted per key since a time; purging forgets old ones.
pub async fn login_attempts<S: Store>(store: &S) {
    for (seconds, success) in [(0, false), (10, false), (20, true), (30, false)] {
        store
            .record_login_attempt("alice", at(seconds), success)
            .await
            .expect("record attempt");
    }
    store
        .record_login_attempt("127.0.0.1", at(15), false)
        .await
        .unwrap();
    assert_eq!(store.count_login_failures("alice", at(0)).await.unwrap(), 3);
    assert_eq!(
        store.count_login_failures("alice", at(10)).await.unwrap(),
        2
    );
    assert_eq!(
        store.count_login_failures("alice", at(31)).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .count_login_failures("127.0.0.1", at(0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.count_login_failures("bob", at(0)).await.unwrap(), 0);
    assert_eq!(store.purge_login_attempts(at(15)).await.unwrap(), 2);
    assert_eq!(store.count_login_failures("alice", at(0)).await.unwrap(), 1);
}

// ------------------------------------------------------------ declarations

/// Drafts: created at version 1, updated only from the current version.
pub async fn drafts_and_versions<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let created = store
        .save_draft(
            draft(alice.id, "ARC", 2025, json!({ "form_a": { "part": 1 } })),
            audit(Some(alice.id), "declaration.save_draft"),
        )
        .await
        .expect("create draft");
    assert_eq!(created.version, 1);
    assert_eq!(created.status, DeclarationStatus::Draft);
    assert_eq!(created.state_party, party("ARC"));
    assert_eq!(created.reporting_year, 2025);
    assert_eq!(created.body, json!({ "form_a": { "part": 1 } }));
    assert_eq!(created.created_by, alice.id);
    assert_eq!(created.created_at, at(20));
    assert_eq!(created.updated_at, at(20));
    assert_eq!(created.submitted_at, None);
    assert_eq!(created.ledger_index, None);
    assert_eq!(
        store.get_declaration(created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.get_declaration(DeclarationId(999_999)).await.unwrap(),
        None
    );

    let mut update = draft(alice.id, "ARC", 2025, json!({ "form_a": { "part": 2 } }));
    update.id = Some(created.id);
    update.expected_version = 1;
    update.visibility = Visibility::Public;
    update.at = at(25);
    let updated = store
        .save_draft(
            update.clone(),
            audit(Some(alice.id), "declaration.save_draft"),
        )
        .await
        .expect("update draft");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.visibility, Visibility::Public);
    assert_eq!(updated.body, json!({ "form_a": { "part": 2 } }));
    assert_eq!(updated.created_at, at(20));
    assert_eq!(updated.updated_at, at(25));

    // The same base version again is stale.
    assert_conflict(
        store
            .save_draft(update.clone(), audit(Some(alice.id), "x"))
            .await,
        "stale draft version",
    );
    let mut other_party = update.clone();
    other_party.expected_version = 2;
    other_party.state_party = party("BOR");
    assert_invalid(
        store
            .save_draft(other_party, audit(Some(alice.id), "x"))
            .await,
        "changing the State Party of a draft",
    );
    let mut missing = update.clone();
    missing.id = Some(DeclarationId(999_999));
    assert_not_found(
        store.save_draft(missing, audit(Some(alice.id), "x")).await,
        "updating a missing draft",
    );
    assert_eq!(
        store.get_declaration(created.id).await.unwrap(),
        Some(updated)
    );

    // Every saved draft left one audit record naming the declaration.
    let records = store.export_audit().await.unwrap();
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record.object_kind, "declaration");
        assert_eq!(record.object_id, Some(created.id.to_string()));
    }
}

/// Submission: frozen, in the ledger, audited; then acknowledged.
pub async fn submit_and_acknowledge<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let analyst = make_user(store, "sam", Role::SecretariatAnalyst).await;
    let created = store
        .save_draft(
            draft(alice.id, "ARC", 2025, json!({ "forms": ["A1"] })),
            audit(Some(alice.id), "declaration.save_draft"),
        )
        .await
        .unwrap();
    // Something already in the ledger: the submission gets the next index.
    store
        .ledger_append(vec![entry("other", b"earlier", None)])
        .await
        .unwrap();

    let body = b"declaration_submitted v1 ...".to_vec();
    let (submitted, index) = store
        .submit_declaration(
            created.id,
            1,
            alice.id,
            at(40),
            entry("declaration_submitted", &body, None),
            audit(Some(alice.id), "declaration.submit"),
        )
        .await
        .expect("submit");
    assert_eq!(index, 1);
    assert_eq!(submitted.status, DeclarationStatus::Submitted);
    assert_eq!(submitted.submitted_by, Some(alice.id));
    assert_eq!(submitted.submitted_at, Some(at(40)));
    assert_eq!(submitted.ledger_index, Some(1));
    assert_eq!(submitted.version, 1);
    assert_eq!(submitted.body, created.body);
    let stored_entry = store.ledger_entry(1).await.unwrap().expect("ledger entry");
    assert_eq!(stored_entry.kind, "declaration_submitted");
    assert_eq!(stored_entry.body, body);
    assert_eq!(stored_entry.leaf_hash, merkle::leaf_hash(&body));
    assert_eq!(store.ledger_size().await.unwrap(), 2);

    // Frozen: no second submission, no more draft saves.
    assert_conflict(
        store
            .submit_declaration(
                created.id,
                1,
                alice.id,
                at(41),
                entry("declaration_submitted", b"again", None),
                audit(Some(alice.id), "declaration.submit"),
            )
            .await,
        "submitting twice",
    );
    let mut late_edit = draft(alice.id, "ARC", 2025, json!({}));
    late_edit.id = Some(created.id);
    late_edit.expected_version = 1;
    assert_conflict(
        store
            .save_draft(late_edit, audit(Some(alice.id), "x"))
            .await,
        "editing a submitted declaration",
    );
    assert_not_found(
        store
            .submit_declaration(
                DeclarationId(999_999),
                1,
                alice.id,
                at(41),
                entry("declaration_submitted", b"x", None),
                audit(Some(alice.id), "declaration.submit"),
            )
            .await,
        "submitting a missing declaration",
    );
    assert_eq!(store.ledger_size().await.unwrap(), 2);

    let acknowledged = store
        .acknowledge_declaration(
            created.id,
            analyst.id,
            at(50),
            audit(Some(analyst.id), "declaration.acknowledge"),
        )
        .await
        .expect("acknowledge");
    assert_eq!(acknowledged.status, DeclarationStatus::Acknowledged);
    assert_eq!(acknowledged.acknowledged_by, Some(analyst.id));
    assert_eq!(acknowledged.acknowledged_at, Some(at(50)));
    assert_eq!(acknowledged.ledger_index, Some(1));
    assert_conflict(
        store
            .acknowledge_declaration(created.id, analyst.id, at(51), audit(None, "x"))
            .await,
        "acknowledging twice",
    );
    let other = store
        .save_draft(
            draft(alice.id, "ARC", 2026, json!({})),
            audit(Some(alice.id), "x"),
        )
        .await
        .unwrap();
    assert_conflict(
        store
            .acknowledge_declaration(other.id, analyst.id, at(51), audit(None, "x"))
            .await,
        "acknowledging a draft",
    );
    assert_not_found(
        store
            .acknowledge_declaration(DeclarationId(999_999), analyst.id, at(51), audit(None, "x"))
            .await,
        "acknowledging a missing declaration",
    );

    let actions: Vec<String> = store
        .export_audit()
        .await
        .unwrap()
        .into_iter()
        .filter(|record| record.object_id == Some(created.id.to_string()))
        .map(|record| record.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "declaration.save_draft",
            "declaration.submit",
            "declaration.acknowledge"
        ]
    );
}

/// A submission failing inside its transaction (the audit record names an
/// actor that does not exist, so its insert fails after the ledger append
/// and the status change) leaves nothing behind.
pub async fn failed_submit_leaves_nothing<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let created = store
        .save_draft(
            draft(alice.id, "ARC", 2025, json!({ "forms": [] })),
            audit(Some(alice.id), "declaration.save_draft"),
        )
        .await
        .unwrap();
    store
        .ledger_append(vec![entry("other", b"first", None)])
        .await
        .unwrap();
    let root_before = store.ledger_root(1).await.unwrap();
    let audit_before = store.export_audit().await.unwrap();

    let failed = store
        .submit_declaration(
            created.id,
            1,
            alice.id,
            at(40),
            entry("declaration_submitted", b"never stored", None),
            audit(Some(UserId(999_999)), "declaration.submit"),
        )
        .await;
    assert!(failed.is_err(), "submission with a missing actor succeeded");
    assert_eq!(store.ledger_size().await.unwrap(), 1, "ledger entry kept");
    assert_eq!(store.ledger_root(1).await.unwrap(), root_before);
    assert_eq!(
        store.get_declaration(created.id).await.unwrap(),
        Some(created.clone()),
        "declaration changed"
    );
    assert_eq!(store.export_audit().await.unwrap(), audit_before);

    // Stale version: refused before anything is written.
    assert_conflict(
        store
            .submit_declaration(
                created.id,
                7,
                alice.id,
                at(40),
                entry("declaration_submitted", b"never stored", None),
                audit(Some(alice.id), "declaration.submit"),
            )
            .await,
        "submitting a stale version",
    );
    // Invalid ledger entry: refused as a whole.
    assert_invalid(
        store
            .submit_declaration(
                created.id,
                1,
                alice.id,
                at(40),
                entry("", b"no kind", None),
                audit(Some(alice.id), "declaration.submit"),
            )
            .await,
        "submitting with an invalid ledger entry",
    );
    assert_eq!(store.ledger_size().await.unwrap(), 1);
    assert_eq!(store.export_audit().await.unwrap(), audit_before);

    // The log still appends densely after the failures.
    let (submitted, index) = store
        .submit_declaration(
            created.id,
            1,
            alice.id,
            at(41),
            entry("declaration_submitted", b"stored", None),
            audit(Some(alice.id), "declaration.submit"),
        )
        .await
        .expect("submit after failures");
    assert_eq!(index, 1);
    assert_eq!(submitted.ledger_index, Some(1));
}

/// A draft whose audit record cannot be written is not saved; a ledger
/// batch with one bad entry appends nothing.
pub async fn failed_draft_leaves_nothing<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let failed = store
        .save_draft(
            draft(alice.id, "ARC", 2025, json!({})),
            audit(Some(UserId(999_999)), "declaration.save_draft"),
        )
        .await;
    assert!(failed.is_err());
    assert!(
        store
            .list_declarations(DeclarationFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    let mut bad_audit = audit(Some(alice.id), "declaration.save_draft");
    bad_audit.justification = "NUL \0 inside".into();
    assert_invalid(
        store
            .save_draft(draft(alice.id, "ARC", 2025, json!({})), bad_audit)
            .await,
        "NUL in justification",
    );
    assert!(store.export_audit().await.unwrap().is_empty());

    assert_invalid(
        store
            .ledger_append(vec![
                entry("custody", b"fine", Some("S-1")),
                entry("custody", b"bad sample id", Some("S\0")),
            ])
            .await,
        "batch with a bad entry",
    );
    assert_eq!(store.ledger_size().await.unwrap(), 0);
    assert!(
        store
            .ledger_entries_by_sample("S-1")
            .await
            .unwrap()
            .is_empty()
    );
}

/// Filters by State Party, year and status; ordered.
pub async fn list_declarations_filters<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let mut ids = Vec::new();
    for (code, year) in [("BOR", 2024), ("ARC", 2025), ("ARC", 2024), ("BOR", 2025)] {
        let record = store
            .save_draft(
                draft(alice.id, code, year, json!({ "year": year })),
                audit(None, "x"),
            )
            .await
            .unwrap();
        ids.push(record.id);
    }
    store
        .submit_declaration(
            ids[1],
            1,
            alice.id,
            at(40),
            entry("declaration_submitted", b"arc 2025", None),
            audit(None, "x"),
        )
        .await
        .unwrap();

    let listed = |filter: DeclarationFilter| async move {
        store
            .list_declarations(filter)
            .await
            .unwrap()
            .into_iter()
            .map(|record| (record.state_party.to_string(), record.reporting_year))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(DeclarationFilter::default()).await,
        vec![
            ("ARC".to_owned(), 2024),
            ("ARC".to_owned(), 2025),
            ("BOR".to_owned(), 2024),
            ("BOR".to_owned(), 2025)
        ]
    );
    assert_eq!(
        listed(DeclarationFilter {
            state_party: Some(party("BOR")),
            ..Default::default()
        })
        .await,
        vec![("BOR".to_owned(), 2024), ("BOR".to_owned(), 2025)]
    );
    assert_eq!(
        listed(DeclarationFilter {
            reporting_year: Some(2025),
            status: Some(DeclarationStatus::Submitted),
            ..Default::default()
        })
        .await,
        vec![("ARC".to_owned(), 2025)]
    );
    assert_eq!(
        listed(DeclarationFilter {
            state_party: Some(party("ARC")),
            status: Some(DeclarationStatus::Draft),
            ..Default::default()
        })
        .await,
        vec![("ARC".to_owned(), 2024)]
    );
    assert!(
        listed(DeclarationFilter {
            state_party: Some(party("CYR")),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

// --------------------------------------------------------------- audit log

/// Append, filter, page, export.
pub async fn audit_log<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let admin = make_user(store, "root", Role::Administrator).await;
    let mut appended = Vec::new();
    for i in 0..12i64 {
        let mut record = audit(
            Some(if i % 3 == 0 { admin.id } else { alice.id }),
            if i % 2 == 0 { "read" } else { "write" },
        );
        record.at = at(i * 10);
        record.object_kind = "declaration".into();
        record.object_id = Some(format!("{}", i % 4));
        record.classification = Classification::ALL[(i % 4) as usize];
        record.outcome = AuditOutcome::ALL[(i % 3) as usize];
        record.detail = json!({ "i": i, "nested": { "list": [1, 2, 3] } });
        appended.push(
            store
                .append_audit(record.clone())
                .await
                .expect("append audit"),
        );
        let stored = appended.last().unwrap();
        assert_eq!(stored.at, record.at);
        assert_eq!(stored.actor, record.actor);
        assert_eq!(stored.actor_role, record.actor_role);
        assert_eq!(stored.action, record.action);
        assert_eq!(stored.classification, record.classification);
        assert_eq!(stored.outcome, record.outcome);
        assert_eq!(stored.detail, record.detail);
    }
    let ids: Vec<AuditId> = appended.iter().map(|record| record.id).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids increase");
    assert_eq!(store.export_audit().await.unwrap(), appended);

    let anonymous = store
        .append_audit(NewAuditRecord {
            actor: None,
            actor_role: None,
            object_id: None,
            ..audit(None, "login")
        })
        .await
        .unwrap();
    assert_eq!(anonymous.actor, None);
    assert_eq!(anonymous.object_id, None);

    let count = |filter: AuditFilter| async move { store.list_audit(filter).await.unwrap().len() };
    assert_eq!(count(AuditFilter::default()).await, 13);
    assert_eq!(
        count(AuditFilter {
            actor: Some(admin.id),
            ..Default::default()
        })
        .await,
        4
    );
    assert_eq!(
        count(AuditFilter {
            action: Some("read".into()),
            actor: Some(alice.id),
            ..Default::default()
        })
        .await,
        4
    );
    assert_eq!(
        count(AuditFilter {
            object_kind: Some("declaration".into()),
            object_id: Some("1".into()),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(AuditFilter {
            since: Some(at(30)),
            until: Some(at(60)),
            ..Default::default()
        })
        .await,
        3
    );
    // Paging: pages of 5 after the last id seen cover everything once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_audit(AuditFilter {
                after,
                limit: Some(5),
                ..Default::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        after = page.last().map(|record| record.id);
        seen.extend(page.into_iter().map(|record| record.id));
    }
    let mut expected = ids.clone();
    expected.push(anonymous.id);
    assert_eq!(seen, expected);
    assert_eq!(
        count(AuditFilter {
            limit: Some(u32::MAX),
            ..Default::default()
        })
        .await,
        13
    );
}

// ----------------------------------------------------- need-to-know grants

/// Grants are created, listed, active in their window, revoked as a new
/// fact (once).
pub async fn grants<S: Store>(store: &S) {
    let inspector = make_user(store, "ines", Role::Inspector).await;
    let admin = make_user(store, "root", Role::Administrator).await;
    let object = store
        .create_grant(NewGrant {
            user_id: inspector.id,
            target: GrantTarget::Object {
                kind: "declaration".into(),
                id: "42".into(),
            },
            classification: Classification::HighlyProtected,
            reason: "investigation 2026-01".into(),
            granted_by: admin.id,
            granted_at: at(0),
            expires_at: at(1000),
        })
        .await
        .expect("create object grant");
    assert_eq!(object.revoked_at, None);
    assert_eq!(
        object.target,
        GrantTarget::Object {
            kind: "declaration".into(),
            id: "42".into()
        }
    );
    let scope = store
        .create_grant(NewGrant {
            user_id: inspector.id,
            target: GrantTarget::Scope {
                scope: "state_party:ARC".into(),
            },
            classification: Classification::Protected,
            reason: "inspection team".into(),
            granted_by: admin.id,
            granted_at: at(100),
            expires_at: at(200),
        })
        .await
        .expect("create scope grant");
    assert_eq!(
        store.get_grant(scope.id).await.unwrap(),
        Some(scope.clone())
    );
    assert_eq!(store.get_grant(GrantId(999_999)).await.unwrap(), None);
    assert_eq!(
        store.list_grants(inspector.id).await.unwrap(),
        vec![object.clone(), scope.clone()]
    );
    assert!(store.list_grants(admin.id).await.unwrap().is_empty());

    let active = |seconds: i64| async move {
        store
            .active_grants(inspector.id, at(seconds))
            .await
            .unwrap()
            .into_iter()
            .map(|grant| grant.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(active(-1).await, vec![]);
    assert_eq!(active(0).await, vec![object.id]);
    assert_eq!(active(150).await, vec![object.id, scope.id]);
    assert_eq!(active(200).await, vec![object.id]);
    assert_eq!(active(1000).await, vec![]);

    let revoked = store
        .revoke_grant(object.id, admin.id, at(500), "investigation closed")
        .await
        .expect("revoke");
    assert_eq!(revoked.revoked_at, Some(at(500)));
    assert_eq!(revoked.revoked_by, Some(admin.id));
    assert_eq!(
        revoked.revoke_reason.as_deref(),
        Some("investigation closed")
    );
    assert_eq!(revoked.granted_at, object.granted_at);
    assert!(!revoked.is_active(at(500)));
    assert!(revoked.is_active(at(499)));
    assert_eq!(active(499).await, vec![object.id]);
    assert_eq!(active(500).await, vec![]);
    assert_conflict(
        store
            .revoke_grant(object.id, admin.id, at(600), "again")
            .await,
        "revoking twice",
    );
    assert_not_found(
        store
            .revoke_grant(GrantId(999_999), admin.id, at(600), "missing")
            .await,
        "revoking a missing grant",
    );
    assert_eq!(store.list_grants(inspector.id).await.unwrap()[0], revoked);

    assert_invalid(
        store
            .create_grant(NewGrant {
                user_id: inspector.id,
                target: GrantTarget::Scope { scope: "x".into() },
                classification: Classification::Protected,
                reason: "backwards".into(),
                granted_by: admin.id,
                granted_at: at(10),
                expires_at: at(10),
            })
            .await,
        "grant expiring when granted",
    );
    assert_not_found(
        store
            .create_grant(NewGrant {
                user_id: UserId(999_999),
                target: GrantTarget::Scope { scope: "x".into() },
                classification: Classification::Protected,
                reason: "nobody".into(),
                granted_by: admin.id,
                granted_at: at(10),
                expires_at: at(20),
            })
            .await,
        "grant to a missing user",
    );
}

// ------------------------------------------------------------------ ledger

/// Batches of many sizes; every root, inclusion and consistency proof
/// read from the store verifies with bwcv-ledger and matches the
/// in-memory reference log.
pub async fn ledger_append_and_proofs<S: Store>(store: &S) {
    assert_eq!(store.ledger_size().await.unwrap(), 0);
    assert_eq!(store.ledger_root(0).await.unwrap(), merkle::empty_root());
    let empty = store.ledger_append(Vec::new()).await.expect("empty batch");
    assert_eq!(
        (empty.first_index, empty.new_size, empty.root),
        (0, 0, merkle::empty_root())
    );

    let mut reference = MemoryLog::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut roots = vec![merkle::empty_root()];
    for batch_size in [1usize, 1, 2, 3, 5, 8, 13, 1, 30, 7, 0, 4] {
        let batch: Vec<Vec<u8>> = (0..batch_size)
            .map(|i| format!("entry {} of batch {batch_size}", bodies.len() + i).into_bytes())
            .collect();
        let appended = store
            .ledger_append(batch.iter().map(|body| entry("test", body, None)).collect())
            .await
            .expect("append batch");
        assert_eq!(appended.first_index, bodies.len() as u64);
        assert_eq!(appended.new_size, (bodies.len() + batch_size) as u64);
        assert_eq!(
            appended.indices().count(),
            batch_size,
            "indices of the batch"
        );
        for body in &batch {
            reference.append(body);
            roots.push(reference.root());
        }
        bodies.extend(batch);
        assert_eq!(appended.root, reference.root());
    }
    let size = bodies.len() as u64;
    assert_eq!(size, 75);
    assert_eq!(store.ledger_size().await.unwrap(), size);

    let entries = store.ledger_entries(0, size + 10).await.unwrap();
    assert_eq!(entries.len() as u64, size);
    for (index, stored) in entries.iter().enumerate() {
        assert_eq!(stored.index, index as u64);
        assert_eq!(stored.body, bodies[index]);
        assert_eq!(stored.kind, "test");
        assert_eq!(stored.leaf_hash, merkle::leaf_hash(&bodies[index]));
        assert_eq!(stored.appended_at, at(30));
    }
    assert_eq!(
        store.ledger_entry(17).await.unwrap().as_ref(),
        entries.get(17)
    );
    assert_eq!(store.ledger_entry(size).await.unwrap(), None);
    assert_eq!(store.ledger_entry(u64::MAX).await.unwrap(), None);
    assert_eq!(
        store.ledger_entries(10, 13).await.unwrap(),
        entries[10..13].to_vec()
    );
    assert!(store.ledger_entries(13, 10).await.unwrap().is_empty());

    for tree_size in 0..=size {
        let root = store.ledger_root(tree_size).await.unwrap();
        assert_eq!(root, roots[tree_size as usize], "root at size {tree_size}");
    }
    for (index, tree_size) in [
        (0, 1),
        (0, 8),
        (5, 8),
        (7, 8),
        (3, 7),
        (0, 75),
        (74, 75),
        (40, 64),
        (63, 65),
    ] {
        let proof = store
            .ledger_inclusion_proof(index, tree_size)
            .await
            .unwrap();
        assert_eq!(
            proof,
            reference.inclusion_proof(index, tree_size).unwrap(),
            "inclusion proof ({index}, {tree_size})"
        );
        merkle::verify_inclusion(
            &merkle::leaf_hash(&bodies[index as usize]),
            index,
            tree_size,
            &proof,
            &roots[tree_size as usize],
        )
        .expect("inclusion proof verifies");
        assert!(
            proof.len() <= 7,
            "proof of a 75-leaf tree has at most 7 elements"
        );
    }
    for (old_size, new_size) in [
        (0, 5),
        (1, 2),
        (3, 7),
        (4, 8),
        (7, 75),
        (64, 75),
        (75, 75),
        (1, 75),
    ] {
        let proof = store
            .ledger_consistency_proof(old_size, new_size)
            .await
            .unwrap();
        assert_eq!(
            proof,
            reference.consistency_proof(old_size, new_size).unwrap(),
            "consistency proof ({old_size}, {new_size})"
        );
        merkle::verify_consistency(
            old_size,
            new_size,
            &proof,
            &roots[old_size as usize],
            &roots[new_size as usize],
        )
        .expect("consistency proof verifies");
    }

    // Subtree look-ups: in the order asked, duplicates allowed.
    let ids = [
        SubtreeId::new(6, 0),
        SubtreeId::new(0, 74),
        SubtreeId::new(3, 8),
        SubtreeId::new(0, 74),
    ];
    let hashes = store.ledger_subtree_hashes(&ids).await.unwrap();
    assert_eq!(
        hashes,
        merkle::NodeReader::subtree_hashes(&reference, &ids).unwrap()
    );
    assert!(store.ledger_subtree_hashes(&[]).await.unwrap().is_empty());
}

/// Out-of-range proofs and incomplete subtrees are refused.
pub async fn ledger_errors<S: Store>(store: &S) {
    store
        .ledger_append((0..5).map(|i| entry("t", &[i], None)).collect())
        .await
        .unwrap();
    assert_invalid(store.ledger_root(6).await, "root beyond the log");
    assert_invalid(
        store.ledger_inclusion_proof(5, 5).await,
        "inclusion of a leaf outside the tree",
    );
    assert_invalid(
        store.ledger_inclusion_proof(0, 6).await,
        "inclusion in a tree beyond the log",
    );
    assert_invalid(
        store.ledger_consistency_proof(4, 3).await,
        "consistency with reversed sizes",
    );
    assert_invalid(
        store.ledger_consistency_proof(2, 9).await,
        "consistency beyond the log",
    );
    // (2, 1) covers leaves 4..8: not complete in a log of 5.
    assert_not_found(
        store.ledger_subtree_hashes(&[SubtreeId::new(2, 1)]).await,
        "incomplete subtree",
    );
    assert_not_found(
        store.ledger_subtree_hashes(&[SubtreeId::new(0, 5)]).await,
        "missing leaf",
    );
    assert_not_found(
        store
            .ledger_subtree_hashes(&[SubtreeId::new(0, u64::MAX)])
            .await,
        "leaf index beyond i64",
    );
    assert_not_found(
        store.ledger_subtree_hashes(&[SubtreeId::new(70, 0)]).await,
        "level beyond 63",
    );
    assert_invalid(
        store.ledger_append(vec![entry("", b"x", None)]).await,
        "entry without kind",
    );
    assert_eq!(store.ledger_size().await.unwrap(), 5);
}

fn checkpoint_note(size: u64, root: &Hash, signers: &[&str]) -> String {
    let mut note = format!("bwcv.example/ledger\n{size}\n{root}\n\n");
    for signer in signers {
        note.push_str(&format!("— {signer} c2lnbmF0dXJl\n"));
    }
    note
}

/// Checkpoints must match the log; one root per size; latest and by size.
pub async fn checkpoints<S: Store>(store: &S) {
    assert_eq!(store.latest_checkpoint().await.unwrap(), None);
    let empty_root = merkle::empty_root();
    let at_zero = store
        .put_checkpoint(NewCheckpoint {
            size: 0,
            root: empty_root,
            note: checkpoint_note(0, &empty_root, &["log"]),
            created_at: at(1),
        })
        .await
        .expect("checkpoint of the empty log");
    assert_eq!(at_zero.size, 0);

    store
        .ledger_append((0..10u8).map(|i| entry("t", &[i], None)).collect())
        .await
        .unwrap();
    let root7 = store.ledger_root(7).await.unwrap();
    let root10 = store.ledger_root(10).await.unwrap();
    let signed = store
        .put_checkpoint(NewCheckpoint {
            size: 7,
            root: root7,
            note: checkpoint_note(7, &root7, &["log"]),
            created_at: at(2),
        })
        .await
        .expect("checkpoint at 7");
    assert_eq!(signed.root, root7);
    assert_eq!(signed.created_at, at(2));
    // The same note again is stored once.
    let again = store
        .put_checkpoint(NewCheckpoint {
            size: 7,
            root: root7,
            note: checkpoint_note(7, &root7, &["log"]),
            created_at: at(3),
        })
        .await
        .unwrap();
    assert_eq!(again, signed);
    // The same checkpoint with a cosignature is a new note for the size.
    let cosigned = store
        .put_checkpoint(NewCheckpoint {
            size: 7,
            root: root7,
            note: checkpoint_note(7, &root7, &["log", "witness"]),
            created_at: at(4),
        })
        .await
        .unwrap();
    assert!(cosigned.seq > signed.seq);
    assert_eq!(
        store.checkpoint_at(7).await.unwrap(),
        Some(cosigned.clone())
    );
    assert_eq!(store.latest_checkpoint().await.unwrap(), Some(cosigned));

    // A different root for a size (a split view) cannot be stored.
    assert_invalid(
        store
            .put_checkpoint(NewCheckpoint {
                size: 7,
                root: root10,
                note: checkpoint_note(7, &root10, &["log"]),
                created_at: at(5),
            })
            .await,
        "checkpoint with a wrong root",
    );
    assert_invalid(
        store
            .put_checkpoint(NewCheckpoint {
                size: 11,
                root: root10,
                note: checkpoint_note(11, &root10, &["log"]),
                created_at: at(5),
            })
            .await,
        "checkpoint beyond the log",
    );
    let latest = store
        .put_checkpoint(NewCheckpoint {
            size: 10,
            root: root10,
            note: checkpoint_note(10, &root10, &["log"]),
            created_at: at(6),
        })
        .await
        .unwrap();
    assert_eq!(store.latest_checkpoint().await.unwrap(), Some(latest));
    assert_eq!(store.checkpoint_at(0).await.unwrap(), Some(at_zero));
    assert_eq!(store.checkpoint_at(5).await.unwrap(), None);
    assert_eq!(store.checkpoint_at(u64::MAX).await.unwrap(), None);
}

/// Custody events are found by sample id, in log order.
pub async fn custody_by_sample<S: Store>(store: &S) {
    store
        .ledger_append(vec![
            entry("custody", b"S-1 collected", Some("S-1")),
            entry("custody", b"S-2 collected", Some("S-2")),
            entry("declaration_submitted", b"unrelated", None),
        ])
        .await
        .unwrap();
    store
        .ledger_append(vec![entry("custody", b"S-1 sealed", Some("S-1"))])
        .await
        .unwrap();
    let chain = store.ledger_entries_by_sample("S-1").await.unwrap();
    let indices: Vec<u64> = chain.iter().map(|entry| entry.index).collect();
    assert_eq!(indices, vec![0, 3]);
    assert_eq!(chain[1].body, b"S-1 sealed");
    assert_eq!(chain[0].sample_id.as_deref(), Some("S-1"));
    assert_eq!(
        store.ledger_entries_by_sample("S-2").await.unwrap().len(),
        1
    );
    assert!(
        store
            .ledger_entries_by_sample("S-3")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.ledger_entry(2).await.unwrap().unwrap().sample_id,
        None
    );
}

/// Unicode everywhere, JSON with escapes, large bodies and entries.
pub async fn unicode_and_huge_values<S: Store>(store: &S) {
    let name = "Zoë Ångström-Øvergård — 日本語 العربية 🧫 e\u{301}";
    let user = store
        .create_user(NewUser {
            username: "zoë@例え.jp".into(),
            display_name: name.into(),
            ..new_user("x", Role::Laboratory, Some("NOR"))
        })
        .await
        .expect("unicode user");
    let read = store
        .find_user_by_username("zoë@例え.jp")
        .await
        .unwrap()
        .expect("found by unicode name");
    assert_eq!(read.display_name, name);
    assert_eq!(read.id, user.id);

    // About 2 MB of JSON with every kind of string content, including an
    // escaped NUL, which JSON allows.
    let big_text: String = "Ⅻ 🦠 \"quoted\" \\ back\tslash\n".repeat(60_000);
    let body = json!({
        "name": name,
        "nul": "a\u{0}b",
        "control": "\u{1}\u{1f}",
        "numbers": [0, -1, 1.5, 1e300, 9_007_199_254_740_993u64, i64::MIN],
        "nested": { "deep": [[[[{ "x": null, "t": true }]]]] },
        "big": big_text,
    });
    let saved = store
        .save_draft(
            DeclarationDraft {
                visibility: Visibility::Public,
                classification: Classification::Unclassified,
                ..draft(user.id, "NOR", 2025, body.clone())
            },
            NewAuditRecord {
                justification: "ünïcödé justification 🧾".into(),
                detail: json!({ "text": name }),
                ..audit(Some(user.id), "declaration.save_draft")
            },
        )
        .await
        .expect("big unicode draft");
    let read = store.get_declaration(saved.id).await.unwrap().unwrap();
    assert_eq!(read.body, body);
    assert_eq!(read.visibility, Visibility::Public);
    let records = store.export_audit().await.unwrap();
    assert_eq!(records[0].justification, "ünïcödé justification 🧾");
    assert_eq!(records[0].detail, json!({ "text": name }));

    // A 4 MiB binary entry with every byte value.
    let huge: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let appended = store
        .ledger_append(vec![
            entry("analysis_result", &huge, Some("S-ß-🧪")),
            entry("tiny", &[], None),
        ])
        .await
        .expect("huge entry");
    assert_eq!(appended.new_size, 2);
    let stored = store.ledger_entry(0).await.unwrap().unwrap();
    assert_eq!(stored.body.len(), huge.len());
    assert!(stored.body == huge);
    assert_eq!(stored.leaf_hash, merkle::leaf_hash(&huge));
    assert_eq!(
        store
            .ledger_entries_by_sample("S-ß-🧪")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.ledger_entry(1).await.unwrap().unwrap().body,
        Vec::<u8>::new()
    );
}

/// Several tasks appending at once: indices stay dense and unique and the
/// stored tree is the tree of the stored entries.
pub async fn concurrent_appends<S: Store>(store: &S) {
    const N_TASKS: usize = 8;
    const N_BATCHES: usize = 12;
    let mut tasks = Vec::new();
    for task in 0..N_TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut indices = Vec::new();
            for batch in 0..N_BATCHES {
                let batch_size = 1 + (task + batch) % 3;
                let entries = (0..batch_size)
                    .map(|i| entry("t", format!("{task}/{batch}/{i}").as_bytes(), None))
                    .collect();
                let appended = store
                    .ledger_append(entries)
                    .await
                    .expect("concurrent append");
                assert_eq!(appended.new_size - appended.first_index, batch_size as u64);
                indices.extend(appended.indices());
            }
            indices
        }));
    }
    let mut all = BTreeSet::new();
    let mut total = 0;
    for task in tasks {
        let indices = task.await.expect("task panicked");
        total += indices.len();
        all.extend(indices);
    }
    assert_eq!(all.len(), total, "indices unique");
    assert_eq!(
        all.iter().copied().collect::<Vec<_>>(),
        (0..total as u64).collect::<Vec<_>>(),
        "indices dense"
    );
    let size = store.ledger_size().await.unwrap();
    assert_eq!(size, total as u64);
    let mut reference = MemoryLog::new();
    for stored in store.ledger_entries(0, size).await.unwrap() {
        reference.append(&stored.body);
    }
    assert_eq!(store.ledger_root(size).await.unwrap(), reference.root());
    for index in [0, size / 2, size - 1] {
        assert_eq!(
            store.ledger_inclusion_proof(index, size).await.unwrap(),
            reference.inclusion_proof(index, size).unwrap()
        );
    }
}

/// Concurrent submissions and plain appends interleave without gaps; each
/// submitted declaration points at its own ledger entry.
pub async fn concurrent_submissions<S: Store>(store: &S) {
    let alice = make_user(store, "alice", Role::NationalAuthority).await;
    let mut drafts = Vec::new();
    for year in 2000..2016 {
        drafts.push(
            store
                .save_draft(
                    draft(alice.id, "ARC", year, json!({ "year": year })),
                    audit(None, "x"),
                )
                .await
                .unwrap(),
        );
    }
    let mut tasks = Vec::new();
    for record in drafts {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!("submitted {}", record.id).into_bytes();
            let (submitted, index) = store
                .submit_declaration(
                    record.id,
                    1,
                    alice.id,
                    at(40),
                    entry("declaration_submitted", &body, None),
                    audit(Some(alice.id), "declaration.submit"),
                )
                .await
                .expect("concurrent submit");
            assert_eq!(submitted.ledger_index, Some(index));
            (index, body)
        }));
    }
    let appender = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..16u8 {
                store
                    .ledger_append(vec![entry("t", &[i], None)])
                    .await
                    .unwrap();
            }
        })
    };
    let mut submitted = Vec::new();
    for task in tasks {
        submitted.push(task.await.expect("task panicked"));
    }
    appender.await.expect("appender panicked");
    assert_eq!(store.ledger_size().await.unwrap(), 32);
    for (index, body) in submitted {
        assert_eq!(store.ledger_entry(index).await.unwrap().unwrap().body, body);
    }
    assert_eq!(
        store
            .list_declarations(DeclarationFilter {
                status: Some(DeclarationStatus::Submitted),
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        16
    );
}

/// Times come back truncated to whole microseconds, the same on every
/// backend.
pub async fn time_precision<S: Store>(store: &S) {
    let precise = at(0) + Duration::nanoseconds(123_456_789);
    let user = store
        .create_user(NewUser {
            created_at: precise,
            ..new_user("precise", Role::Inspector, None)
        })
        .await
        .unwrap();
    let expected = at(0) + Duration::nanoseconds(123_456_000);
    assert_eq!(user.created_at, expected);
    assert_eq!(crate::truncate_time(precise), expected);
    assert_eq!(
        store.get_user(user.id).await.unwrap().unwrap().created_at,
        expected
    );
    // Comparisons use the stored precision: a session expiring at the
    // precise instant has expired at the truncated one plus a nanosecond.
    store
        .create_session(Session {
            expires_at: precise,
            ..session("p", user.id, 0, 0)
        })
        .await
        .unwrap();
    assert!(
        store
            .find_session("p", expected - Duration::microseconds(1))
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.find_session("p", expected).await.unwrap().is_none());
}
