//! `Store::create_and_submit_declaration` on SQLite (one transaction):
//! it stores exactly what `save_draft` followed by `submit_declaration`
//! stores, and refuses a draft that already has an id without writing.

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_store::conformance::at;
use bwcv_store::{
    AuditFilter, AuditOutcome, DeclarationDraft, DeclarationRecord, NewAuditRecord, NewLedgerEntry,
    NewUser, Role, Store, StoreError, UserId,
};
use bwcv_store_sqlite::SqliteStore;
use serde_json::json;

async fn store_with_officer() -> (SqliteStore, UserId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("portal.db"))
        .await
        .unwrap();
    let user = store
        .create_user(NewUser {
            username: "officer".into(),
            display_name: "officer".into(),
            role: Role::NationalAuthority,
            state_party: Some(StatePartyCode::new("ARC").unwrap()),
            password_hash: "$argon2id$x".into(),
            created_at: at(0),
        })
        .await
        .unwrap();
    (store, user.id, dir)
}

fn draft(actor: UserId, year: i32) -> DeclarationDraft {
    DeclarationDraft {
        id: None,
        expected_version: 0,
        state_party: StatePartyCode::new("ARC").unwrap(),
        reporting_year: year,
        visibility: Visibility::Public,
        classification: Classification::Restricted,
        body: json!({"forms": {"a_part_1": {"n": 1.25}}, "reporting_year": year}),
        digest: format!("{year:064x}"),
        actor,
        at: at(20),
    }
}

fn audit(actor: UserId, action: &str) -> NewAuditRecord {
    NewAuditRecord {
        at: at(20),
        actor: Some(actor),
        actor_role: Some(Role::NationalAuthority),
        action: action.into(),
        object_kind: "declaration".into(),
        object_id: None,
        classification: Classification::Restricted,
        justification: "annual return".into(),
        outcome: AuditOutcome::Success,
        detail: json!({}),
    }
}

fn entry(year: i32) -> NewLedgerEntry {
    NewLedgerEntry {
        kind: "declaration-submitted/v1".into(),
        body: format!("return {year}").into_bytes(),
        sample_id: None,
        appended_at: at(20),
    }
}

/// The fields that do not depend on which declaration it is.
fn comparable(record: &DeclarationRecord) -> serde_json::Value {
    json!({
        "status": record.status.as_str(),
        "version": record.version,
        "visibility": record.visibility.as_str(),
        "classification": record.classification.as_str(),
        "body": record.body,
        "created_by": record.created_by.0,
        "created_at": record.created_at.to_rfc3339(),
        "updated_at": record.updated_at.to_rfc3339(),
        "submitted_by": record.submitted_by.map(|u| u.0),
        "submitted_at": record.submitted_at.map(|t| t.to_rfc3339()),
        "acknowledged_at": record.acknowledged_at.map(|t| t.to_rfc3339()),
    })
}

#[tokio::test]
async fn one_transaction_stores_what_the_two_steps_store() {
    let (store, officer, _dir) = store_with_officer().await;

    // Two steps.
    let saved = store
        .save_draft(draft(officer, 2021), audit(officer, "declaration.create"))
        .await
        .unwrap();
    let (two_steps, first_index) = store
        .submit_declaration(
            saved.id,
            saved.version,
            officer,
            at(20),
            entry(2021),
            audit(officer, "declaration.submit"),
        )
        .await
        .unwrap();

    // One call.
    let (combined, second_index) = store
        .create_and_submit_declaration(
            draft(officer, 2022),
            audit(officer, "declaration.create"),
            entry(2022),
            audit(officer, "declaration.submit"),
        )
        .await
        .unwrap();
    assert_eq!(second_index, first_index + 1);
    assert_eq!(combined.ledger_index, Some(second_index));
    assert_eq!(combined.reporting_year, 2022);
    let mut expected = comparable(&two_steps);
    expected["body"] = json!({"forms": {"a_part_1": {"n": 1.25}}, "reporting_year": 2022});
    assert_eq!(comparable(&combined), expected);
    // What it returned is what is stored.
    assert_eq!(
        store.get_declaration(combined.id).await.unwrap().as_ref(),
        Some(&combined)
    );
    let stored_entry = store.ledger_entry(second_index).await.unwrap().unwrap();
    assert_eq!(stored_entry.body, b"return 2022");

    // The same audit trail: create then submit, both naming the record.
    for record in [&two_steps, &combined] {
        let trail = store
            .list_audit(AuditFilter {
                object_kind: Some("declaration".into()),
                object_id: Some(record.id.to_string()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = trail.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["declaration.create", "declaration.submit"]);
    }
}

#[tokio::test]
async fn a_draft_with_an_id_is_refused_and_nothing_is_written() {
    let (store, officer, _dir) = store_with_officer().await;
    let saved = store
        .save_draft(draft(officer, 2021), audit(officer, "declaration.create"))
        .await
        .unwrap();
    let audit_before = store.export_audit().await.unwrap().len();
    let mut again = draft(officer, 2021);
    again.id = Some(saved.id);
    again.expected_version = 1;
    let result = store
        .create_and_submit_declaration(
            again,
            audit(officer, "declaration.create"),
            entry(2021),
            audit(officer, "declaration.submit"),
        )
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert_eq!(store.ledger_size().await.unwrap(), 0);
    assert_eq!(store.export_audit().await.unwrap().len(), audit_before);
    let unchanged = store.get_declaration(saved.id).await.unwrap().unwrap();
    assert_eq!(unchanged, saved);
}

/// The writer never checkpoints inside a commit (`wal_autocheckpoint =
/// 0`); the background task moves committed pages into the main file.
#[tokio::test]
async fn the_write_ahead_log_is_checkpointed_in_the_background() {
    let (store, officer, dir) = store_with_officer().await;
    let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(autocheckpoint, 0);
    let file = dir.path().join("portal.db");
    let before = std::fs::metadata(&file).unwrap().len();
    let mut big = draft(officer, 2021);
    big.body = json!({ "padding": "x".repeat(400_000) });
    store
        .save_draft(big, audit(officer, "declaration.create"))
        .await
        .unwrap();
    let mut grown = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // 400 kB of body; freed pages of the migrations take some of it.
        if std::fs::metadata(&file).unwrap().len() >= before + 300_000 {
            grown = true;
            break;
        }
    }
    assert!(grown, "the committed pages never reached the database file");
}

/// One query for token and account gives what the two look-ups give.
#[tokio::test]
async fn a_token_finds_its_account_only_while_active() {
    let (store, officer, _dir) = store_with_officer().await;
    let token = |hash: &str, expires: Option<i64>| bwcv_store::NewApiToken {
        token_hash: hash.into(),
        user_id: officer,
        name: "script".into(),
        created_at: at(0),
        expires_at: expires.map(at),
    };
    let forever = store.create_api_token(token("aa", None)).await.unwrap();
    store.create_api_token(token("bb", Some(50))).await.unwrap();
    let revoked = store.create_api_token(token("cc", None)).await.unwrap();
    store.revoke_api_token(revoked.id, at(10)).await.unwrap();
    let user = store.get_user(officer).await.unwrap();
    for (hash, now, expected) in [
        ("aa", 100, user.clone()),
        ("bb", 40, user.clone()),
        ("bb", 50, None),
        ("cc", 20, None),
        ("zz", 20, None),
    ] {
        let found = store.find_api_token_user(hash, at(now)).await.unwrap();
        assert_eq!(found, expected, "{hash} at {now}");
        let two_steps = match store.find_api_token(hash, at(now)).await.unwrap() {
            Some(token) => store.get_user(token.user_id).await.unwrap(),
            None => None,
        };
        assert_eq!(found, two_steps, "{hash} at {now}");
    }
    assert_eq!(forever.user_id, officer);
}

/// Listing without bodies is the listing with every body `null`.
#[tokio::test]
async fn listing_without_bodies_matches_the_full_listing() {
    let (store, officer, _dir) = store_with_officer().await;
    for year in [2021, 2022, 2023] {
        store
            .save_draft(draft(officer, year), audit(officer, "declaration.create"))
            .await
            .unwrap();
    }
    for filter in [
        bwcv_store::DeclarationFilter::default(),
        bwcv_store::DeclarationFilter {
            reporting_year: Some(2022),
            ..bwcv_store::DeclarationFilter::default()
        },
    ] {
        let mut full = store.list_declarations(filter.clone()).await.unwrap();
        assert!(full.iter().all(|r| !r.body.is_null()));
        for record in &mut full {
            record.body = serde_json::Value::Null;
        }
        let heads = store.list_declarations_without_body(filter).await.unwrap();
        assert_eq!(heads, full);
    }
}
