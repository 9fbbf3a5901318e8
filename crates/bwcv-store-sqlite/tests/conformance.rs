//! The bwcv-store conformance suite on SQLite: a fresh database file in a
//! temporary directory per test.

use bwcv_store_sqlite::SqliteStore;

async fn fresh() -> Option<(SqliteStore, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open_path(&dir.path().join("bwcv.db"))
        .await
        .expect("open a fresh SQLite store");
    Some((store, dir))
}

bwcv_store::conformance_tests!(fresh);
