//! SQLite-specific checks: the append-only triggers refuse raw UPDATE and
//! DELETE, the durability settings are in force, the file is created and
//! migrated on first open and keeps its data across reopening.

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_store::conformance::at;
use bwcv_store::{
    AuditOutcome, DeclarationDraft, GrantTarget, NewAuditRecord, NewCheckpoint, NewGrant,
    NewLedgerEntry, NewUser, Role, Store,
};
use bwcv_store_sqlite::SqliteStore;
use serde_json::json;

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

/// A store with one row in every append-only table and one submitted
/// declaration.
async fn populated() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("bwcv.db"))
        .await
        .unwrap();
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
    (store, dir)
}

#[tokio::test]
async fn append_only_tables_refuse_update_and_delete() {
    let (store, _dir) = populated().await;
    let refused = [
        "UPDATE ledger_entries SET body = x'ff' WHERE idx = 0",
        "UPDATE ledger_entries SET kind = 'other'",
        "DELETE FROM ledger_entries WHERE idx = 3",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_nodes SET hash = zeroblob(32)",
        "DELETE FROM ledger_nodes",
        "UPDATE ledger_checkpoints SET note = 'forged'",
        "DELETE FROM ledger_checkpoints",
        "UPDATE audit_log SET justification = 'none'",
        "DELETE FROM audit_log",
        "UPDATE grants SET expires_at = '9999-01-01T00:00:00.000000Z'",
        "DELETE FROM grants",
        "UPDATE grant_revocations SET revoked_at = '9999-01-01T00:00:00.000000Z'",
        "DELETE FROM grant_revocations",
        "UPDATE declarations SET body = '{}' WHERE status = 'submitted'",
        "UPDATE declarations SET status = 'draft'",
        "DELETE FROM declarations",
        // A gap in the ledger indices.
        "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
         VALUES (10, 't', x'00', zeroblob(32), '2026-01-01T00:00:00.000000Z')",
        // Rewriting history by replacing a row.
        "INSERT OR REPLACE INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
         VALUES (0, 't', x'00', zeroblob(32), '2026-01-01T00:00:00.000000Z')",
    ];
    let refused: Vec<&str> = refused.into_iter().chain(REPLACEMENTS).collect();
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

/// Regression: INSERT OR REPLACE deletes the row in the way without firing
/// its DELETE trigger unless recursive_triggers is on, so these rewrote an
/// audit justification, a grant, a revocation, a submitted return, a node
/// and a checkpoint before migration 0004 and the pragma.
const REPLACEMENTS: [&str; 6] = [
    "INSERT OR REPLACE INTO audit_log SELECT id, at, actor, actor_role, action, object_kind, \
     object_id, classification, 'forged', outcome, detail FROM audit_log WHERE id = 1",
    "INSERT OR REPLACE INTO grants SELECT * FROM grants",
    "INSERT OR REPLACE INTO grant_revocations SELECT grant_id, revoked_by, \
     '9999-01-01T00:00:00.000000Z', reason FROM grant_revocations",
    "INSERT OR REPLACE INTO declarations SELECT * FROM declarations WHERE status = 'submitted'",
    "INSERT OR REPLACE INTO ledger_nodes SELECT level, idx, zeroblob(32) FROM ledger_nodes",
    "INSERT OR REPLACE INTO ledger_checkpoints SELECT * FROM ledger_checkpoints",
];

#[tokio::test]
async fn replacing_rows_is_refused_even_without_the_pragma() {
    use sqlx::ConnectOptions;
    let (store, dir) = populated().await;
    let audit_rows = store.export_audit().await.unwrap();
    let size = store.ledger_size().await.unwrap();
    let root = store.ledger_root(size).await.unwrap();
    // Another program's connection (the sqlite3 shell, say) has
    // recursive_triggers off: the triggers of migration 0004 still hold
    // where a key would be reused.
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("bwcv.db"))
        .connect()
        .await
        .unwrap();
    let recursive: i64 = sqlx::query_scalar("PRAGMA recursive_triggers")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(recursive, 0);
    for statement in &REPLACEMENTS[..2] {
        let result = sqlx::query(statement).execute(&mut other).await;
        assert!(result.is_err(), "{statement} was not refused");
    }
    for statement in &REPLACEMENTS[3..5] {
        let result = sqlx::query(statement).execute(&mut other).await;
        assert!(result.is_err(), "{statement} was not refused");
    }
    drop(other);
    assert_eq!(store.export_audit().await.unwrap(), audit_rows);
    assert_eq!(store.ledger_root(size).await.unwrap(), root);
}

#[tokio::test]
async fn durability_settings_are_in_force() {
    let (store, _dir) = populated().await;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    // 2 = FULL.
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(synchronous, 2);
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
    let recursive_triggers: i64 = sqlx::query_scalar("PRAGMA recursive_triggers")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(recursive_triggers, 1);
}

#[tokio::test]
async fn created_on_first_open_and_kept_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub dir é").join("bwcv.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url).await.expect("create on first open");
    let alice = store.create_user(user("alice")).await.unwrap();
    store.close().await;
    drop(store);
    assert!(path.exists());
    let reopened = SqliteStore::open(&url).await.expect("reopen and migrate");
    assert_eq!(
        reopened.get_user(alice.id).await.unwrap().unwrap().username,
        "alice"
    );
}

#[tokio::test]
async fn in_memory_database_works() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    let alice = store.create_user(user("alice")).await.unwrap();
    assert_eq!(store.get_user(alice.id).await.unwrap(), Some(alice));
    store
        .ledger_append(vec![NewLedgerEntry {
            kind: "t".into(),
            body: vec![1],
            sample_id: None,
            appended_at: at(0),
        }])
        .await
        .unwrap();
    assert_eq!(store.ledger_size().await.unwrap(), 1);
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let error = SqliteStore::open("sqlite://x.db?mode=sideways")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid SQLite database URL"));
    let error = SqliteStore::open("sqlite:///nonexistent-dir-bwcv/x/y.db")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot open"), "{error}");
}

/// A database written by schema version 1 (leaf hashes only in
/// `ledger_entries`) is upgraded by migration 2, which copies them into
/// the node cache: proofs over the old entries verify afterwards.
#[tokio::test]
async fn migration_2_backfills_leaf_nodes() {
    use bwcv_ledger::merkle;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
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

    // Write 13 entries the way schema version 1 did.
    let bodies: Vec<Vec<u8>> = (0..13u8).map(|i| vec![i; 3]).collect();
    let mut frontier = merkle::Frontier::new();
    let plan = bwcv_store::plan_append(&mut frontier, bodies.iter().map(Vec::as_slice));
    for (index, (body, leaf)) in bodies.iter().zip(&plan.leaf_hashes).enumerate() {
        sqlx::query(
            "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, appended_at) \
             VALUES (?, 't', ?, ?, '2026-01-01T00:00:00.000000Z')",
        )
        .bind(index as i64)
        .bind(body.as_slice())
        .bind(leaf.0.as_slice())
        .execute(&pool)
        .await
        .unwrap();
    }
    for (id, hash) in plan.nodes.iter().filter(|(id, _)| id.level > 0) {
        sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)")
            .bind(i64::from(id.level))
            .bind(id.index as i64)
            .bind(hash.0.as_slice())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let store = SqliteStore::open_path(&path).await.expect("migrate to v2");
    assert_eq!(store.ledger_size().await.unwrap(), 13);
    assert_eq!(store.ledger_root(13).await.unwrap(), plan.root);
    let proof = store.ledger_inclusion_proof(4, 13).await.unwrap();
    merkle::verify_inclusion(&plan.leaf_hashes[4], 4, 13, &proof, &plan.root).unwrap();
    // Appending continues on the migrated tree; the triggers are back.
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
    assert!(
        sqlx::query("DELETE FROM ledger_nodes")
            .execute(store.pool())
            .await
            .is_err()
    );
}
