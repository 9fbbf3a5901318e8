//! PostgreSQL-specific checks: the append-only triggers refuse raw UPDATE,
//! DELETE and TRUNCATE; migrations are idempotent on reconnect.

mod common;

use std::str::FromStr;

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_store::conformance::at;
use bwcv_store::{
    AuditOutcome, DeclarationDraft, GrantTarget, NewAuditRecord, NewCheckpoint, NewGrant,
    NewLedgerEntry, NewUser, Role, Store,
};
use bwcv_store_postgres::PgStore;
use serde_json::json;
use sqlx::postgres::PgConnectOptions;

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        role: Role::NationalAuthority,
        state_party: Some(StatePartyCode::new("ARC").unwrap()),
        password_hash: "$argon2id$x".into(),
        created_at: at(0),
    }
}

fn audit() -> NewAuditRecord {
    NewAuditRecord {
        at: at(1),
        actor: None,
        actor_role: None,
        action: "test".into(),
        object_kind: "test".into(),
        object_id: None,
        classification: Classification::Unclassified,
        justification: "test".into(),
        outcome: AuditOutcome::Success,
        detail: json!({}),
    }
}

/// One row in every append-only table and one submitted declaration.
async fn populate(store: &PgStore) {
    let alice = store.create_user(user("alice")).await.unwrap();
    let entries = (0..4u8)
        .map(|i| NewLedgerEntry {
            kind: "t".into(),
            body: vec![i],
            sample_id: None,
            appended_at: at(2),
        })
        .collect();
    let appended = store.ledger_append(entries).await.unwrap();
    store
        .put_checkpoint(NewCheckpoint {
            size: 4,
            root: appended.root,
            note: "note".into(),
            created_at: at(3),
        })
        .await
        .unwrap();
    let grant = store
        .create_grant(NewGrant {
            user_id: alice.id,
            target: GrantTarget::Scope { scope: "s".into() },
            classification: Classification::HighlyProtected,
            reason: "r".into(),
            granted_by: alice.id,
            granted_at: at(0),
            expires_at: at(100),
        })
        .await
        .unwrap();
    store
        .revoke_grant(grant.id, alice.id, at(5), "done")
        .await
        .unwrap();
    let draft = store
        .save_draft(
            DeclarationDraft {
                id: None,
                expected_version: 0,
                state_party: StatePartyCode::new("ARC").unwrap(),
                reporting_year: 2025,
                visibility: Visibility::Public,
                classification: Classification::Unclassified,
                body: json!({ "a": 1 }),
                digest: "00".into(),
                actor: alice.id,
                at: at(6),
            },
            audit(),
        )
        .await
        .unwrap();
    store
        .submit_declaration(
            draft.id,
            1,
            alice.id,
            at(7),
            NewLedgerEntry {
                kind: "declaration_submitted".into(),
                body: b"d".to_vec(),
                sample_id: None,
                appended_at: at(7),
            },
            audit(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn append_only_tables_refuse_update_delete_and_truncate() {
    let Some((store, _schema)) = common::fresh_store().await else {
        return;
    };
    populate(&store).await;
    let refused = [
        "UPDATE ledger_entries SET body = '\\xff' WHERE idx = 0",
        "UPDATE ledger_entries SET kind = 'other'",
        "DELETE FROM ledger_entries WHERE idx = 3",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries CASCADE",
        "UPDATE ledger_nodes SET hash = hash",
        "DELETE FROM ledger_nodes",
        "TRUNCATE ledger_nodes",
        "UPDATE ledger_checkpoints SET note = 'forged'",
        "DELETE FROM ledger_checkpoints",
        "TRUNCATE ledger_checkpoints",
        "UPDATE audit_log SET justification = 'none'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE grants SET expires_at = now() + interval '100 years'",
        "DELETE FROM grants",
        "TRUNCATE grants CASCADE",
        "UPDATE grant_revocations SET revoked_at = now()",
        "DELETE FROM grant_revocations",
        "TRUNCATE grant_revocations",
        "UPDATE declarations SET body = '{}' WHERE status = 'submitted'",
        "UPDATE declarations SET status = 'draft'",
        "DELETE FROM declarations",
        "TRUNCATE declarations",
        // A gap in the ledger indices.
        "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
         VALUES (10, 't', '\\x00', decode(repeat('00', 32), 'hex'), now())",
        // Rewriting an index that exists.
        "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
         VALUES (0, 't', '\\x00', decode(repeat('00', 32), 'hex'), now()) \
         ON CONFLICT (idx) DO UPDATE SET body = EXCLUDED.body",
    ];
    let size = store.ledger_size().await.unwrap();
    let root = store.ledger_root(size).await.unwrap();
    let audit_rows = store.export_audit().await.unwrap();
    for statement in refused {
        let result = sqlx::query(statement).execute(store.pool()).await;
        assert!(result.is_err(), "{statement} was not refused");
    }
    assert_eq!(store.ledger_size().await.unwrap(), size);
    assert_eq!(store.ledger_root(size).await.unwrap(), root);
    assert_eq!(store.export_audit().await.unwrap(), audit_rows);
    assert!(store.latest_checkpoint().await.unwrap().is_some());
    // Mutable tables stay mutable.
    sqlx::query("DELETE FROM sessions")
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn reconnecting_keeps_data_and_migrations_are_idempotent() {
    let Some((store, schema)) = common::fresh_store().await else {
        return;
    };
    populate(&store).await;
    store.close().await;
    let url = common::server_url().expect("set when fresh_store succeeded");
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let reopened = PgStore::open_with(options).await.expect("reconnect");
    assert_eq!(reopened.ledger_size().await.unwrap(), 5);
    assert_eq!(reopened.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let error = PgStore::open("postgres://user:secret@127.0.0.1:1/none")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("cannot connect"), "{text}");
    assert!(!text.contains("secret"), "password leaked: {text}");
    assert!(PgStore::open("mysql://nope").await.is_err());
}

/// A database written by schema version 1 (leaf hashes only in
/// `ledger_entries`) is upgraded by migration 2, which copies them into
/// the node cache: proofs over the old entries verify afterwards.
#[tokio::test]
async fn migration_2_backfills_leaf_nodes() {
    use bwcv_ledger::merkle;
    use sqlx::Connection;

    let Some(url) = common::server_url() else {
        return;
    };
    let schema = format!("bwcv_test_migrate_{}", std::process::id());
    let options = PgConnectOptions::from_str(&url).unwrap();
    let mut admin = sqlx::postgres::PgConnection::connect_with(&options)
        .await
        .unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.ok();
    let options = options.options([("search_path", schema.as_str())]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .unwrap();
    let mut version_1 = sqlx::migrate::Migrator::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
    )
    .await
    .unwrap();
    version_1.migrations = version_1
        .migrations
        .iter()
        .filter(|migration| migration.version == 1)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    version_1.run(&pool).await.unwrap();

    let bodies: Vec<Vec<u8>> = (0..13u8).map(|i| vec![i; 3]).collect();
    let mut frontier = merkle::Frontier::new();
    let plan = bwcv_store::plan_append(&mut frontier, bodies.iter().map(Vec::as_slice));
    for (index, (body, leaf)) in bodies.iter().zip(&plan.leaf_hashes).enumerate() {
        sqlx::query(
            "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
             VALUES ($1, 't', $2, $3, now())",
        )
        .bind(index as i64)
        .bind(body.as_slice())
        .bind(leaf.0.as_slice())
        .execute(&pool)
        .await
        .unwrap();
    }
    for (id, hash) in plan.nodes.iter().filter(|(id, _)| id.level > 0) {
        sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)")
            .bind(i32::from(id.level))
            .bind(id.index as i64)
            .bind(hash.0.as_slice())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let store = PgStore::open_with(options).await.expect("migrate to v2");
    assert_eq!(store.ledger_size().await.unwrap(), 13);
    assert_eq!(store.ledger_root(13).await.unwrap(), plan.root);
    let proof = store.ledger_inclusion_proof(4, 13).await.unwrap();
    merkle::verify_inclusion(&plan.leaf_hashes[4], 4, 13, &proof, &plan.root).unwrap();
    let appended = store
        .ledger_append(vec![NewLedgerEntry {
            kind: "t".into(),
            body: b"after".to_vec(),
            sample_id: None,
            appended_at: at(0),
        }])
        .await
        .unwrap();
    assert_eq!(appended.first_index, 13);
}
