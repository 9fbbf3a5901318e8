//! SQLite-specific checks of the case tables: the triggers refuse raw
//! UPDATE, DELETE and row replacement (INSERT OR REPLACE) of case entries,
//! draw announcements and results once set, parameter sets and the case
//! rows' identity; the summary row and a draw's first result stay
//! writable; the tables survive reopening.

use bwcv_store::conformance::{at, populate_cases};
use bwcv_store::{CaseStore, Store, UserId};
use bwcv_store_sqlite::SqliteStore;

async fn populated() -> (SqliteStore, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("bwcv.db"))
        .await
        .unwrap();
    let digest = populate_cases(&store).await;
    (store, dir, digest)
}

const ENTRY_COLUMNS: &str =
    "case_id, sequence, kind, at, actor, body_json, body_sha256, ledger_index";

#[tokio::test]
async fn case_tables_refuse_changes() {
    let (store, _dir, digest) = populated().await;
    let replace_entry = format!(
        "INSERT OR REPLACE INTO case_entries ({ENTRY_COLUMNS}) SELECT case_id, sequence, kind, \
         at, actor, '{{}}', body_sha256, ledger_index FROM case_entries WHERE sequence = 0"
    );
    // The next sequence, but the ledger index of entry 0: REPLACE would
    // delete entry 0 to make room.
    let steal_ledger_index = format!(
        "INSERT OR REPLACE INTO case_entries ({ENTRY_COLUMNS}) SELECT case_id, 2, kind, at, \
         actor, '{{}}', body_sha256, ledger_index FROM case_entries WHERE sequence = 0"
    );
    let gap = format!(
        "INSERT INTO case_entries ({ENTRY_COLUMNS}) SELECT case_id, 7, kind, at, actor, \
         body_json, body_sha256, 4 FROM case_entries WHERE sequence = 0"
    );
    let refused: Vec<String> = [
        "UPDATE case_entries SET body_json = '{}'",
        "UPDATE case_entries SET sequence = sequence",
        "DELETE FROM case_entries WHERE sequence = 1",
        "DELETE FROM case_entries",
        replace_entry.as_str(),
        steal_ledger_index.as_str(),
        gap.as_str(),
        "UPDATE cases SET kind = 'other'",
        "UPDATE cases SET title = 'renamed'",
        "UPDATE cases SET requesting = 'CAS'",
        "UPDATE cases SET classification = 'unclassified'",
        "UPDATE cases SET opened_at = '2000-01-01T00:00:00.000000Z'",
        "UPDATE cases SET n_records = 5",
        "UPDATE cases SET n_records = 1",
        "DELETE FROM cases",
        "INSERT OR REPLACE INTO cases SELECT * FROM cases",
        "UPDATE draws SET announcement_json = '{}'",
        "UPDATE draws SET announcement_sha256 = upper(announcement_sha256)",
        "UPDATE draws SET year = 2000",
        "UPDATE draws SET announced_at = '2000-01-01T00:00:00.000000Z'",
        "UPDATE draws SET result_json = '{}' WHERE draw_id = 'TV-2027'",
        "UPDATE draws SET run_at = '2000-01-01T00:00:00.000000Z' WHERE draw_id = 'TV-2027'",
        "UPDATE draws SET result_json = NULL, result_sha256 = NULL, run_at = NULL, \
         run_by = NULL, result_ledger_index = NULL WHERE draw_id = 'TV-2027'",
        // Half a result.
        "UPDATE draws SET result_json = '{}' WHERE draw_id = 'TV-2026'",
        // A result pointing at the other draw's result ledger entry.
        "UPDATE OR REPLACE draws SET result_json = '{}', result_sha256 = announcement_sha256, \
         run_at = announced_at, run_by = announced_by, \
         result_ledger_index = (SELECT result_ledger_index FROM draws WHERE draw_id = 'TV-2027') \
         WHERE draw_id = 'TV-2026'",
        "DELETE FROM draws",
        "INSERT OR REPLACE INTO draws SELECT * FROM draws",
        "UPDATE parameter_sets SET text = 'changed'",
        "DELETE FROM parameter_sets",
        "INSERT OR REPLACE INTO parameter_sets SELECT digest, version, 'changed' \
         FROM parameter_sets",
        "UPDATE notifications SET text = 'changed'",
        "UPDATE notifications SET read_at = NULL WHERE read_at IS NOT NULL",
        "UPDATE notifications SET read_at = '2030-01-01T00:00:00.000000Z' \
         WHERE read_at IS NOT NULL",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();

    let case = store.get_case("CL-2026-0001").await.unwrap();
    let entries = store.case_entries("CL-2026-0001").await.unwrap();
    let draws = store.list_draws().await.unwrap();
    let parameters = store.get_parameter_set(&digest).await.unwrap();
    let notifications = store
        .list_notifications(UserId(1), false, 10)
        .await
        .unwrap();
    let ledger_size = store.ledger_size().await.unwrap();
    for statement in &refused {
        let result = sqlx::query(statement).execute(store.pool()).await;
        assert!(result.is_err(), "{statement} was not refused");
    }
    assert_eq!(store.get_case("CL-2026-0001").await.unwrap(), case);
    assert_eq!(store.case_entries("CL-2026-0001").await.unwrap(), entries);
    assert_eq!(store.list_draws().await.unwrap(), draws);
    assert_eq!(store.get_parameter_set(&digest).await.unwrap(), parameters);
    assert_eq!(
        store
            .list_notifications(UserId(1), false, 10)
            .await
            .unwrap(),
        notifications
    );
    assert_eq!(store.ledger_size().await.unwrap(), ledger_size);
}

#[tokio::test]
async fn summary_and_first_result_stay_writable() {
    let (store, _dir, _digest) = populated().await;
    sqlx::query("UPDATE cases SET state = 'consultation', next_deadline = NULL")
        .execute(store.pool())
        .await
        .expect("the summary row is a summary: it may change");
    assert_eq!(
        store.get_case("CL-2026-0001").await.unwrap().unwrap().state,
        "consultation"
    );
    // A draw's result columns may be set once, from empty.
    let appended = store
        .ledger_append(vec![bwcv_store::NewLedgerEntry {
            kind: "draw_run".into(),
            body: b"raw".to_vec(),
            sample_id: None,
            appended_at: at(9),
        }])
        .await
        .unwrap();
    sqlx::query(
        "UPDATE draws SET result_json = '{}', result_sha256 = announcement_sha256, \
         run_at = announced_at, run_by = announced_by, result_ledger_index = ? \
         WHERE draw_id = 'TV-2026'",
    )
    .bind(i64::try_from(appended.first_index).unwrap())
    .execute(store.pool())
    .await
    .expect("setting a result from empty is allowed");
    let draw = store.get_draw("TV-2026").await.unwrap().unwrap();
    assert_eq!(draw.result_json.as_deref(), Some("{}"));
    assert!(
        sqlx::query("UPDATE draws SET result_json = '[]' WHERE draw_id = 'TV-2026'")
            .execute(store.pool())
            .await
            .is_err(),
        "a second result"
    );
}

#[tokio::test]
async fn cases_kept_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bwcv.db");
    let store = SqliteStore::open_path(&path).await.unwrap();
    let digest = populate_cases(&store).await;
    let entries = store.case_entries("CL-2026-0001").await.unwrap();
    store.close().await;
    drop(store);
    let reopened = SqliteStore::open_path(&path).await.expect("reopen");
    assert_eq!(
        reopened.case_entries("CL-2026-0001").await.unwrap(),
        entries
    );
    assert!(reopened.get_parameter_set(&digest).await.unwrap().is_some());
    assert_eq!(reopened.list_draws().await.unwrap().len(), 2);
}
