//! A fresh schema per test on the PostgreSQL server named by
//! `BWCV_TEST_POSTGRES_URL`. Without it: fail when `CI` is set, otherwise
//! print a note and skip.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use bwcv_store_postgres::PgStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server's URL, or `None` (after a note) when tests should skip.
pub fn server_url() -> Option<String> {
    match std::env::var("BWCV_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "BWCV_TEST_POSTGRES_URL is not set but CI is: the PostgreSQL suite must run"
                );
            }
            eprintln!("note: BWCV_TEST_POSTGRES_URL is not set; skipping a PostgreSQL test");
            None
        }
    }
}

/// A store on a new, empty schema. The schema is dropped on the next run
/// of the suite at the earliest; the CI server is thrown away anyway.
pub async fn fresh_store() -> Option<(PgStore, String)> {
    let url = server_url()?;
    let schema = format!(
        "bwcv_test_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() % 1_000_000_000)
            .unwrap_or(0),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let options = PgConnectOptions::from_str(&url).expect("BWCV_TEST_POSTGRES_URL is a URL");
    let mut admin = PgConnection::connect_with(&options)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create the test schema");
    admin.close().await.ok();
    let store = PgStore::open_with(options.options([("search_path", schema.as_str())]))
        .await
        .expect("open the store on the test schema");
    Some((store, schema))
}
