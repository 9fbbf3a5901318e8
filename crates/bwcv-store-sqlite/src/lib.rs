//! bwcv-store-sqlite: the SQLite backend of [`bwcv_store::Store`] (sqlx).
//!
//! The default database of the portal: one file (`sqlite://bwcv.db`),
//! created and migrated (migrations in `migrations/`) on [`SqliteStore::open`].
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous = FULL`: every commit
//! syncs the write-ahead log before the call returns, so an acknowledged
//! write survives a crash of the process (SIGKILL) *and* of the machine
//! (power loss). `synchronous = NORMAL`, the usual WAL companion, would
//! survive a process crash but may lose the last commits on power loss;
//! the portal keeps evidence, so it pays the extra fsync. Foreign keys are
//! enforced; a busy timeout of 5 s lets other processes (the CLI) share
//! the file.
//!
//! # Concurrency
//!
//! All writes go through one writer connection (SQLite has one writer at a
//! time anyway) and start with `BEGIN IMMEDIATE`, so a transaction never
//! fails half-way on a lock upgrade; reads use a pool of read-only
//! connections that see every committed write (WAL readers do not block
//! the writer). An in-memory database (`sqlite::memory:`) uses a single
//! connection for both. The pools hand out connections without pinging
//! them first (sqlx's `test_before_acquire`, a useless extra round trip to
//! the connection's thread for a local file).
//!
//! # Checkpoints
//!
//! The writer does not checkpoint (`wal_autocheckpoint = 0`): a checkpoint
//! inside a commit copies and syncs up to a thousand pages and held every
//! queued write behind it (the submission p99 of `bench/portal`). A
//! background task on its own connection runs `PRAGMA
//! wal_checkpoint(PASSIVE)` every 250 ms instead, which neither waits for
//! nor blocks the writer and the readers. Durability does not depend on
//! it: a commit is durable once its WAL frames are synced; a checkpoint
//! only moves them into the main file (SQLite also checkpoints when the
//! last connection closes, and replays the log after a crash).

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use bwcv_ledger::merkle::{self, Hash, SubtreeId};
use bwcv_store::{
    ApiToken, ApiTokenId, AuditFilter, AuditRecord, DeclarationDraft, DeclarationFilter,
    DeclarationId, DeclarationRecord, DeclarationStatus, Grant, GrantId, GrantTarget,
    LedgerAppended, LedgerEntry, NewApiToken, NewAuditRecord, NewCheckpoint, NewGrant,
    NewLedgerEntry, NewUser, Session, Store, StoreError, StoredCheckpoint, Timestamp, User, UserId,
    check_text, plan_append,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

mod cases;
mod rows;

use rows::{
    ApiTokenRow, AuditRow, CheckpointRow, DeclarationRow, GrantRow, LedgerEntryRow, SessionRow,
    UserRow, convert_all, opt_time_text, parse_hash, time_text,
};

/// Read connections: SQLite reads are CPU-bound on the connection's own
/// thread; a few more than the machine's 2 cores keep them busy while
/// others wait on I/O.
const READ_CONNECTIONS: u32 = 4;
/// How often the background checkpointer copies the write-ahead log into
/// the database file (see "Checkpoints" above).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// Rows per multi-row INSERT (well below SQLite's 32766 variables).
const INSERT_CHUNK: usize = 500;
/// Subtree ids per look-up query.
const LOOKUP_CHUNK: usize = 2000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid SQLite database URL {url:?}: {source}")]
    Url {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot open the SQLite database {path}: {source}")]
    Connect {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate the SQLite database {path}: {source}")]
    Migrate {
        path: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// The SQLite store. Cloning is cheap (the pools are shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// The background checkpointer's connection (file databases only);
    /// its task ends when the last clone of the store is dropped.
    checkpointer: Option<SqlitePool>,
    _alive: std::sync::Arc<()>,
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url`,
    /// e.g. `sqlite://bwcv.db` or `sqlite::memory:`.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| OpenError::Url {
            url: url.to_owned(),
            source,
        })?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        Self::open_with(options, in_memory).await
    }

    /// Opens (creating if missing) and migrates the database file at `path`.
    pub async fn open_path(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(SqliteConnectOptions::new().filename(path), false).await
    }

    async fn open_with(options: SqliteConnectOptions, in_memory: bool) -> Result<Self, OpenError> {
        let path = options.get_filename().display().to_string();
        let connect_error = |source| OpenError::Connect {
            path: path.clone(),
            source,
        };
        let base = options
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // INSERT OR REPLACE then fires the DELETE triggers of the rows it
            // would remove, so it cannot rewrite an append-only row
            // (migration 0004 refuses it for any connection).
            .pragma("recursive_triggers", "ON")
            .synchronous(SqliteSynchronous::Full);
        let writer_options = if in_memory {
            base.clone()
        } else {
            base.clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // Checkpoints run in the background, not inside a commit.
                .pragma("wal_autocheckpoint", "0")
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // sqlx pings a pooled connection before handing it out by
            // default: one more round trip to the connection's worker
            // thread per query, useless for a local file.
            .test_before_acquire(false)
            // Keep the in-memory database alive: it dies with its connection.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(writer_options)
            .await
            .map_err(connect_error)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|source| OpenError::Migrate {
                path: path.clone(),
                source,
            })?;
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .test_before_acquire(false)
                .connect_with(base.clone().read_only(true))
                .await
                .map_err(connect_error)?
        };
        let alive = std::sync::Arc::new(());
        let checkpointer = if in_memory {
            None
        } else {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(base)
                .await
                .map_err(connect_error)?;
            tokio::spawn(checkpoint_loop(
                pool.clone(),
                std::sync::Arc::downgrade(&alive),
            ));
            Some(pool)
        };
        tracing::debug!(path, "SQLite store open (WAL, synchronous=FULL)");
        Ok(Self {
            writer,
            reader,
            checkpointer,
            _alive: alive,
        })
    }

    /// The writer pool, for backend-specific tests and maintenance. Writes
    /// through it bypass the store's checks (the triggers still hold).
    pub fn pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes the pools, waiting for running queries.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error)
    }
}

/// Copies committed frames of the write-ahead log into the database file
/// every [`CHECKPOINT_INTERVAL`] (`PRAGMA wal_checkpoint(PASSIVE)`: it
/// never waits for, nor blocks, the writer or the readers), until the
/// store is dropped or closed.
async fn checkpoint_loop(pool: SqlitePool, alive: std::sync::Weak<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.strong_count() == 0 || pool.is_closed() {
            break;
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(%error, "SQLite checkpoint failed; retrying");
        }
    }
    pool.close().await;
}

/// Maps a database error to the store's vocabulary; details go to the
/// `Backend` text (for logs), never to users.
fn db_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error {
        if database_error.is_unique_violation() {
            return StoreError::Conflict;
        }
        if database_error.is_foreign_key_violation() {
            return StoreError::NotFound;
        }
        if database_error.is_check_violation() {
            return StoreError::Invalid("a value is outside what the database accepts".to_owned());
        }
    }
    StoreError::Backend(error.to_string())
}

fn to_i64(field: &str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("{field} {value} is too large")))
}

fn json_text(value: &serde_json::Value) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Backend(error.to_string()))
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, state_party, password_hash, created_at, disabled_at";
const TOKEN_COLUMNS: &str = "id, token_hash, user_id, name, created_at, expires_at, revoked_at";
const DECLARATION_COLUMNS: &str = "id, state_party, reporting_year, status, visibility, \
     classification, body, digest, version, created_by, created_at, updated_at, submitted_by, \
     submitted_at, ledger_index, acknowledged_by, acknowledged_at";
/// [`DECLARATION_COLUMNS`] with a `null` body (listings without content).
const DECLARATION_HEAD_COLUMNS: &str = "id, state_party, reporting_year, status, visibility, \
     classification, 'null' AS body, digest, version, created_by, created_at, updated_at, \
     submitted_by, submitted_at, ledger_index, acknowledged_by, acknowledged_at";
const AUDIT_COLUMNS: &str = "id, at, actor, actor_role, action, object_kind, object_id, \
     classification, justification, outcome, detail";
const GRANT_SELECT: &str = "SELECT g.id, g.user_id, g.target_type, g.object_kind, g.object_id, \
     g.scope, g.classification, g.reason, g.granted_by, g.granted_at, g.expires_at, \
     r.revoked_by, r.revoked_at, r.reason AS revoke_reason \
     FROM grants g LEFT JOIN grant_revocations r ON r.grant_id = g.id";
const ENTRY_COLUMNS: &str = "idx, kind, body, leaf_hash, sample_id, appended_at";
const CHECKPOINT_COLUMNS: &str = "seq, size, root, note, created_at";

async fn user_on(conn: &mut SqliteConnection, id: UserId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> =
        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(conn)
            .await
            .map_err(db_error)?;
    row.map(User::try_from).transpose()
}

async fn declaration_on(
    conn: &mut SqliteConnection,
    id: DeclarationId,
) -> Result<Option<DeclarationRecord>, StoreError> {
    let row: Option<DeclarationRow> = sqlx::query_as(&format!(
        "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE id = ?"
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(DeclarationRecord::try_from).transpose()
}

async fn grant_on(conn: &mut SqliteConnection, id: GrantId) -> Result<Option<Grant>, StoreError> {
    let row: Option<GrantRow> = sqlx::query_as(&format!("{GRANT_SELECT} WHERE g.id = ?"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .map_err(db_error)?;
    row.map(Grant::try_from).transpose()
}

async fn insert_audit(
    conn: &mut SqliteConnection,
    record: &NewAuditRecord,
) -> Result<AuditRecord, StoreError> {
    record.validate()?;
    let row: AuditRow = sqlx::query_as(&format!(
        "INSERT INTO audit_log (at, actor, actor_role, action, object_kind, object_id, \
         classification, justification, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         RETURNING {AUDIT_COLUMNS}"
    ))
    .bind(time_text(record.at))
    .bind(record.actor.map(|id| id.0))
    .bind(record.actor_role.map(|role| role.as_str()))
    .bind(&record.action)
    .bind(&record.object_kind)
    .bind(&record.object_id)
    .bind(record.classification.as_str())
    .bind(&record.justification)
    .bind(record.outcome.as_str())
    .bind(json_text(&record.detail)?)
    .fetch_one(conn)
    .await
    .map_err(db_error)?;
    AuditRecord::try_from(row)
}

/// The audit record of a declaration write: the store names the object.
fn declaration_audit(mut audit: NewAuditRecord, id: DeclarationId) -> NewAuditRecord {
    audit.object_kind = "declaration".to_owned();
    audit.object_id = Some(id.to_string());
    audit
}

async fn ledger_size_on(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries")
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    u64::try_from(size).map_err(|_| StoreError::Backend(format!("ledger size {size} negative")))
}

/// One query per [`LOOKUP_CHUNK`] ids on the node cache (`ledger_nodes`,
/// level 0 included), answered from its primary key.
async fn subtree_hashes_on(
    conn: &mut SqliteConnection,
    ids: &[SubtreeId],
) -> Result<Vec<Hash>, StoreError> {
    let mut found = std::collections::BTreeMap::new();
    let keys = ids.iter().map(subtree_key).collect::<Result<Vec<_>, _>>()?;
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT level, idx, hash FROM ledger_nodes WHERE (level, idx) IN (VALUES ",
        );
        for (position, (level, index)) in chunk.iter().enumerate() {
            if position > 0 {
                query.push(", ");
            }
            query.push("(");
            query.push_bind(*level);
            query.push(", ");
            query.push_bind(*index);
            query.push(")");
        }
        query.push(")");
        let rows = query
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
        for row in rows {
            let level: i64 = row.try_get("level").map_err(db_error)?;
            let index: i64 = row.try_get("idx").map_err(db_error)?;
            let hash: Vec<u8> = row.try_get("hash").map_err(db_error)?;
            found.insert((level, index), parse_hash("ledger_nodes.hash", &hash)?);
        }
    }
    keys.iter()
        .map(|key| found.get(key).copied().ok_or(StoreError::NotFound))
        .collect()
}

/// `(level, index)` as stored; ids that cannot exist are NotFound.
fn subtree_key(id: &SubtreeId) -> Result<(i64, i64), StoreError> {
    let index = i64::try_from(id.index).map_err(|_| StoreError::NotFound)?;
    if id.level > 63 {
        return Err(StoreError::NotFound);
    }
    Ok((i64::from(id.level), index))
}

/// Appends a batch inside the caller's transaction.
async fn append_on(
    conn: &mut SqliteConnection,
    entries: &[NewLedgerEntry],
) -> Result<LedgerAppended, StoreError> {
    for entry in entries {
        entry.validate()?;
    }
    let size = ledger_size_on(conn).await?;
    let frontier_hashes = subtree_hashes_on(conn, &merkle::frontier_ids(size)).await?;
    let mut frontier = merkle::Frontier::from_hashes(size, &frontier_hashes)
        .map_err(|error| StoreError::Backend(error.to_string()))?;
    let plan = plan_append(
        &mut frontier,
        entries.iter().map(|entry| entry.body.as_slice()),
    );
    let first_index = to_i64("ledger index", size)?;
    let rows: Vec<(i64, &NewLedgerEntry, &Hash)> = entries
        .iter()
        .zip(&plan.leaf_hashes)
        .zip(first_index..)
        .map(|((entry, leaf), index)| (index, entry, leaf))
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, sample_id, appended_at) ",
        );
        query.push_values(chunk, |mut row, (index, entry, leaf)| {
            row.push_bind(*index)
                .push_bind(entry.kind.as_str())
                .push_bind(entry.body.as_slice())
                .push_bind(leaf.0.as_slice())
                .push_bind(entry.sample_id.as_deref())
                .push_bind(time_text(entry.appended_at));
        });
        query.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    let mut nodes = Vec::with_capacity(plan.nodes.len());
    for (id, hash) in &plan.nodes {
        nodes.push((
            i64::from(id.level),
            to_i64("subtree index", id.index)?,
            hash,
        ));
    }
    for chunk in nodes.chunks(INSERT_CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO ledger_nodes (level, idx, hash) ");
        query.push_values(chunk, |mut row, (level, index, hash)| {
            row.push_bind(*level)
                .push_bind(*index)
                .push_bind(hash.0.as_slice());
        });
        query.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    Ok(LedgerAppended {
        first_index: size,
        new_size: size + entries.len() as u64,
        root: plan.root,
    })
}

/// The writes of [`Store::save_draft`] inside the caller's transaction;
/// returns the declaration's id.
async fn save_draft_on(
    conn: &mut SqliteConnection,
    draft: &DeclarationDraft,
    body: &str,
    audit: NewAuditRecord,
) -> Result<DeclarationId, StoreError> {
    let at = time_text(draft.at);
    let id = match draft.id {
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO declarations (state_party, reporting_year, status, visibility, \
                 classification, body, digest, version, created_by, created_at, updated_at) \
                 VALUES (?, ?, 'draft', ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id",
            )
            .bind(draft.state_party.as_str())
            .bind(draft.reporting_year)
            .bind(draft.visibility.as_str())
            .bind(draft.classification.as_str())
            .bind(body)
            .bind(&draft.digest)
            .bind(draft.actor.0)
            .bind(&at)
            .bind(&at)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
            DeclarationId(id)
        }
        Some(id) => {
            let (state_party, status, version) = declaration_state_on(conn, id).await?;
            if state_party != draft.state_party.as_str() {
                return Err(StoreError::Invalid(format!(
                    "declaration {id} belongs to State Party {state_party}, not {}",
                    draft.state_party
                )));
            }
            if status != DeclarationStatus::Draft.as_str() || version != draft.expected_version {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "UPDATE declarations SET reporting_year = ?, visibility = ?, \
                 classification = ?, body = ?, digest = ?, version = version + 1, \
                 updated_at = ? WHERE id = ? AND status = 'draft' AND version = ?",
            )
            .bind(draft.reporting_year)
            .bind(draft.visibility.as_str())
            .bind(draft.classification.as_str())
            .bind(body)
            .bind(&draft.digest)
            .bind(&at)
            .bind(id.0)
            .bind(draft.expected_version)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
            id
        }
    };
    insert_audit(conn, &declaration_audit(audit, id)).await?;
    Ok(id)
}

/// The writes of [`Store::submit_declaration`] inside the caller's
/// transaction; returns the ledger index.
async fn submit_on(
    conn: &mut SqliteConnection,
    id: DeclarationId,
    expected_version: i64,
    by: UserId,
    at: Timestamp,
    ledger_entry: &NewLedgerEntry,
    audit: NewAuditRecord,
) -> Result<u64, StoreError> {
    let (_, status, version) = declaration_state_on(conn, id).await?;
    if status != DeclarationStatus::Draft.as_str() || version != expected_version {
        return Err(StoreError::Conflict);
    }
    submit_draft_on(conn, id, expected_version, by, at, ledger_entry, audit).await
}

/// [`submit_on`] for a declaration known to be a draft at
/// `expected_version` (the UPDATE still only matches one).
async fn submit_draft_on(
    conn: &mut SqliteConnection,
    id: DeclarationId,
    expected_version: i64,
    by: UserId,
    at: Timestamp,
    ledger_entry: &NewLedgerEntry,
    audit: NewAuditRecord,
) -> Result<u64, StoreError> {
    let appended = append_on(conn, std::slice::from_ref(ledger_entry)).await?;
    let ledger_index = appended.first_index;
    let at = time_text(at);
    let done = sqlx::query(
        "UPDATE declarations SET status = 'submitted', submitted_by = ?, submitted_at = ?, \
         ledger_index = ?, updated_at = ? WHERE id = ? AND status = 'draft' AND version = ?",
    )
    .bind(by.0)
    .bind(&at)
    .bind(to_i64("ledger index", ledger_index)?)
    .bind(&at)
    .bind(id.0)
    .bind(expected_version)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    insert_audit(conn, &declaration_audit(audit, id)).await?;
    Ok(ledger_index)
}

/// `(state_party, status, version)` of a declaration, without its body;
/// NotFound if there is none.
async fn declaration_state_on(
    conn: &mut SqliteConnection,
    id: DeclarationId,
) -> Result<(String, String, i64), StoreError> {
    sqlx::query_as("SELECT state_party, status, version FROM declarations WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)
}

/// The declarations matching `filter`, selecting `columns`
/// ([`DECLARATION_COLUMNS`] or [`DECLARATION_HEAD_COLUMNS`]).
async fn list_declarations_on(
    reader: &SqlitePool,
    columns: &str,
    filter: DeclarationFilter,
) -> Result<Vec<DeclarationRecord>, StoreError> {
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("SELECT {columns} FROM declarations WHERE 1 = 1"));
    if let Some(state_party) = &filter.state_party {
        query
            .push(" AND state_party = ")
            .push_bind(state_party.as_str().to_owned());
    }
    if let Some(year) = filter.reporting_year {
        query.push(" AND reporting_year = ").push_bind(year);
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    query.push(" ORDER BY state_party, reporting_year, id");
    let rows: Vec<DeclarationRow> = query
        .build_query_as()
        .fetch_all(reader)
        .await
        .map_err(db_error)?;
    convert_all(rows)
}

impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    // ------------------------------------------------------------- users

    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        user.validate()?;
        let row: UserRow = sqlx::query_as(&format!(
            "INSERT INTO users (username, display_name, role, state_party, password_hash, \
             created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
        ))
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(user.state_party.as_ref().map(|code| code.as_str()))
        .bind(&user.password_hash)
        .bind(time_text(user.created_at))
        .fetch_one(&self.writer)
        .await
        .map_err(db_error)?;
        User::try_from(row)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        user_on(&mut conn, id).await
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        check_text("username", username)?;
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
        convert_all(rows)
    }

    async fn disable_user(&self, id: UserId, at: Timestamp) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let changed =
            sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?")
                .bind(time_text(at))
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let user = user_on(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(user)
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<(), StoreError> {
        check_text("password_hash", password_hash)?;
        let changed = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id.0)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ---------------------------------------------------------- sessions

    async fn create_session(&self, session: Session) -> Result<Session, StoreError> {
        session.validate()?;
        let row: SessionRow = sqlx::query_as(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?) \
             RETURNING id_hash, user_id, csrf_token, created_at, expires_at",
        )
        .bind(&session.id_hash)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(time_text(session.created_at))
        .bind(time_text(session.expires_at))
        .fetch_one(&self.writer)
        .await
        .map_err(db_error)?;
        Session::try_from(row)
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        check_text("id_hash", id_hash)?;
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, created_at, expires_at FROM sessions \
             WHERE id_hash = ? AND expires_at > ?",
        )
        .bind(id_hash)
        .bind(time_text(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(Session::try_from).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        check_text("id_hash", id_hash)?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id.0)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(time_text(now))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    // -------------------------------------------------------- API tokens

    async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken, StoreError> {
        token.validate()?;
        let row: ApiTokenRow = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(&token.token_hash)
        .bind(token.user_id.0)
        .bind(&token.name)
        .bind(time_text(token.created_at))
        .bind(opt_time_text(token.expires_at))
        .fetch_one(&self.writer)
        .await
        .map_err(db_error)?;
        ApiToken::try_from(row)
    }

    async fn find_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<ApiToken>, StoreError> {
        check_text("token_hash", token_hash)?;
        let row: Option<ApiTokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
        ))
        .bind(token_hash)
        .bind(time_text(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(ApiToken::try_from).transpose()
    }

    async fn find_api_token_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        check_text("token_hash", token_hash)?;
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.state_party, u.password_hash, \
             u.created_at, u.disabled_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ? AND t.revoked_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > ?)",
        )
        .bind(token_hash)
        .bind(time_text(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id"
        ))
        .bind(user_id.0)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        at: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let row: Option<ApiTokenRow> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? \
             RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(time_text(at))
        .bind(id.0)
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error)?;
        row.map(ApiToken::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    // ---------------------------------------------------- login attempts

    async fn record_login_attempt(
        &self,
        key: &str,
        at: Timestamp,
        success: bool,
    ) -> Result<(), StoreError> {
        check_text("key", key)?;
        sqlx::query("INSERT INTO login_attempts (key, at, success) VALUES (?, ?, ?)")
            .bind(key)
            .bind(time_text(at))
            .bind(i64::from(success))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn count_login_failures(&self, key: &str, since: Timestamp) -> Result<u64, StoreError> {
        check_text("key", key)?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE key = ? AND at >= ? AND success = 0",
        )
        .bind(key)
        .bind(time_text(since))
        .fetch_one(&self.reader)
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn purge_login_attempts(&self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM login_attempts WHERE at < ?")
            .bind(time_text(before))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    // ------------------------------------------------------ declarations

    async fn save_draft(
        &self,
        draft: DeclarationDraft,
        audit: NewAuditRecord,
    ) -> Result<DeclarationRecord, StoreError> {
        draft.validate()?;
        audit.validate()?;
        let body = json_text(&draft.body)?;
        let mut tx = self.begin().await?;
        let id = save_draft_on(&mut tx, &draft, &body, audit).await?;
        let record = declaration_on(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn submit_declaration(
        &self,
        id: DeclarationId,
        expected_version: i64,
        by: UserId,
        at: Timestamp,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> Result<(DeclarationRecord, u64), StoreError> {
        audit.validate()?;
        ledger_entry.validate()?;
        let mut tx = self.begin().await?;
        let ledger_index =
            submit_on(&mut tx, id, expected_version, by, at, &ledger_entry, audit).await?;
        let record = declaration_on(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok((record, ledger_index))
    }

    /// One transaction (one durable commit) for both steps.
    async fn create_and_submit_declaration(
        &self,
        draft: DeclarationDraft,
        create_audit: NewAuditRecord,
        ledger_entry: NewLedgerEntry,
        submit_audit: NewAuditRecord,
    ) -> Result<(DeclarationRecord, u64), StoreError> {
        if draft.id.is_some() {
            return Err(StoreError::Invalid(
                "create_and_submit_declaration creates: the draft has an id".to_owned(),
            ));
        }
        draft.validate()?;
        create_audit.validate()?;
        submit_audit.validate()?;
        ledger_entry.validate()?;
        let body = json_text(&draft.body)?;
        let mut tx = self.begin().await?;
        // Just inserted: a draft at version 1.
        let id = save_draft_on(&mut tx, &draft, &body, create_audit).await?;
        let ledger_index = submit_draft_on(
            &mut tx,
            id,
            1,
            draft.actor,
            draft.at,
            &ledger_entry,
            submit_audit,
        )
        .await?;
        tx.commit().await.map_err(db_error)?;
        // Exactly the row just written (times as stored: microseconds),
        // without reading the body back.
        let at = bwcv_store::truncate_time(draft.at);
        let record = DeclarationRecord {
            id,
            state_party: draft.state_party,
            reporting_year: draft.reporting_year,
            status: DeclarationStatus::Submitted,
            visibility: draft.visibility,
            classification: draft.classification,
            body: draft.body,
            digest: draft.digest,
            version: 1,
            created_by: draft.actor,
            created_at: at,
            updated_at: at,
            submitted_by: Some(draft.actor),
            submitted_at: Some(at),
            ledger_index: Some(ledger_index),
            acknowledged_by: None,
            acknowledged_at: None,
        };
        Ok((record, ledger_index))
    }

    async fn acknowledge_declaration(
        &self,
        id: DeclarationId,
        by: UserId,
        at: Timestamp,
        audit: NewAuditRecord,
    ) -> Result<DeclarationRecord, StoreError> {
        audit.validate()?;
        let mut tx = self.begin().await?;
        let current = declaration_on(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.status != DeclarationStatus::Submitted {
            return Err(StoreError::Conflict);
        }
        let at = time_text(at);
        sqlx::query(
            "UPDATE declarations SET status = 'acknowledged', acknowledged_by = ?, \
             acknowledged_at = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
        )
        .bind(by.0)
        .bind(&at)
        .bind(&at)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        insert_audit(&mut tx, &declaration_audit(audit, id)).await?;
        let record = declaration_on(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn get_declaration(
        &self,
        id: DeclarationId,
    ) -> Result<Option<DeclarationRecord>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        declaration_on(&mut conn, id).await
    }

    async fn list_declarations(
        &self,
        filter: DeclarationFilter,
    ) -> Result<Vec<DeclarationRecord>, StoreError> {
        list_declarations_on(&self.reader, DECLARATION_COLUMNS, filter).await
    }

    async fn list_declarations_without_body(
        &self,
        filter: DeclarationFilter,
    ) -> Result<Vec<DeclarationRecord>, StoreError> {
        list_declarations_on(&self.reader, DECLARATION_HEAD_COLUMNS, filter).await
    }

    // --------------------------------------------------------- audit log

    async fn append_audit(&self, record: NewAuditRecord) -> Result<AuditRecord, StoreError> {
        let mut conn = self.writer.acquire().await.map_err(db_error)?;
        insert_audit(&mut conn, &record).await
    }

    async fn list_audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"
        ));
        if let Some(actor) = filter.actor {
            query.push(" AND actor = ").push_bind(actor.0);
        }
        if let Some(action) = &filter.action {
            check_text("action", action)?;
            query.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(object_kind) = &filter.object_kind {
            check_text("object_kind", object_kind)?;
            query
                .push(" AND object_kind = ")
                .push_bind(object_kind.clone());
        }
        if let Some(object_id) = &filter.object_id {
            check_text("object_id", object_id)?;
            query.push(" AND object_id = ").push_bind(object_id.clone());
        }
        if let Some(since) = filter.since {
            query.push(" AND at >= ").push_bind(time_text(since));
        }
        if let Some(until) = filter.until {
            query.push(" AND at < ").push_bind(time_text(until));
        }
        if let Some(after) = filter.after {
            query.push(" AND id > ").push_bind(after.0);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(filter.effective_limit()));
        let rows: Vec<AuditRow> = query
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        convert_all(rows)
    }

    async fn export_audit(&self) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    // ----------------------------------------------- need-to-know grants

    async fn create_grant(&self, grant: NewGrant) -> Result<Grant, StoreError> {
        grant.validate()?;
        let (target_type, object_kind, object_id, scope) = match &grant.target {
            GrantTarget::Object { kind, id } => ("object", Some(kind), Some(id), None),
            GrantTarget::Scope { scope } => ("scope", None, None, Some(scope)),
        };
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grants (user_id, target_type, object_kind, object_id, scope, \
             classification, reason, granted_by, granted_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(grant.user_id.0)
        .bind(target_type)
        .bind(object_kind)
        .bind(object_id)
        .bind(scope)
        .bind(grant.classification.as_str())
        .bind(&grant.reason)
        .bind(grant.granted_by.0)
        .bind(time_text(grant.granted_at))
        .bind(time_text(grant.expires_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let stored = grant_on(&mut tx, GrantId(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }

    async fn get_grant(&self, id: GrantId) -> Result<Option<Grant>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        grant_on(&mut conn, id).await
    }

    async fn list_grants(&self, user_id: UserId) -> Result<Vec<Grant>, StoreError> {
        let rows: Vec<GrantRow> =
            sqlx::query_as(&format!("{GRANT_SELECT} WHERE g.user_id = ? ORDER BY g.id"))
                .bind(user_id.0)
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
        convert_all(rows)
    }

    async fn revoke_grant(
        &self,
        id: GrantId,
        by: UserId,
        at: Timestamp,
        reason: &str,
    ) -> Result<Grant, StoreError> {
        check_text("reason", reason)?;
        let mut tx = self.begin().await?;
        if grant_on(&mut tx, id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO grant_revocations (grant_id, revoked_by, revoked_at, reason) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(by.0)
        .bind(time_text(at))
        .bind(reason)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let grant = grant_on(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(grant)
    }

    async fn active_grants(
        &self,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<Vec<Grant>, StoreError> {
        let at = time_text(at);
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "{GRANT_SELECT} WHERE g.user_id = ? AND g.granted_at <= ? AND g.expires_at > ? \
             AND (r.revoked_at IS NULL OR r.revoked_at > ?) ORDER BY g.id"
        ))
        .bind(user_id.0)
        .bind(&at)
        .bind(&at)
        .bind(&at)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    // ------------------------------------------------------------ ledger

    async fn ledger_append(
        &self,
        entries: Vec<NewLedgerEntry>,
    ) -> Result<LedgerAppended, StoreError> {
        let mut tx = self.begin().await?;
        let appended = append_on(&mut tx, &entries).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(appended)
    }

    async fn ledger_size(&self) -> Result<u64, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        ledger_size_on(&mut conn).await
    }

    async fn ledger_entry(&self, index: u64) -> Result<Option<LedgerEntry>, StoreError> {
        let Ok(index) = i64::try_from(index) else {
            return Ok(None);
        };
        let row: Option<LedgerEntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idx = ?"
        ))
        .bind(index)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(LedgerEntry::try_from).transpose()
    }

    async fn ledger_entries(&self, start: u64, end: u64) -> Result<Vec<LedgerEntry>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let start = i64::try_from(start).unwrap_or(i64::MAX);
        let end = i64::try_from(end).unwrap_or(i64::MAX);
        let rows: Vec<LedgerEntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx"
        ))
        .bind(start)
        .bind(end)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn ledger_entries_by_sample(
        &self,
        sample_id: &str,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        check_text("sample_id", sample_id)?;
        let rows: Vec<LedgerEntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE sample_id = ? ORDER BY idx"
        ))
        .bind(sample_id)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn ledger_subtree_hashes(&self, ids: &[SubtreeId]) -> Result<Vec<Hash>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        subtree_hashes_on(&mut conn, ids).await
    }

    async fn put_checkpoint(
        &self,
        checkpoint: NewCheckpoint,
    ) -> Result<StoredCheckpoint, StoreError> {
        checkpoint.validate()?;
        let size = to_i64("checkpoint size", checkpoint.size)?;
        let mut tx = self.begin().await?;
        let log_size = ledger_size_on(&mut tx).await?;
        if checkpoint.size > log_size {
            return Err(StoreError::Invalid(format!(
                "checkpoint size {} is beyond the ledger's size {log_size}",
                checkpoint.size
            )));
        }
        let plan = merkle::plan_root(checkpoint.size);
        let hashes = subtree_hashes_on(&mut tx, &plan.ids).await?;
        let root = plan
            .assemble(&hashes)
            .map_err(|error| StoreError::Backend(error.to_string()))?
            .first()
            .copied()
            .unwrap_or_else(merkle::empty_root);
        if root != checkpoint.root {
            return Err(StoreError::Invalid(format!(
                "checkpoint root {} is not the ledger's root {root} at size {}",
                checkpoint.root, checkpoint.size
            )));
        }
        sqlx::query(
            "INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (size, note) DO NOTHING",
        )
        .bind(size)
        .bind(checkpoint.root.0.as_slice())
        .bind(&checkpoint.note)
        .bind(time_text(checkpoint.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let row: CheckpointRow = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE size = ? AND note = ?"
        ))
        .bind(size)
        .bind(&checkpoint.note)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        StoredCheckpoint::try_from(row)
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints \
             ORDER BY size DESC, seq DESC LIMIT 1"
        ))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(StoredCheckpoint::try_from).transpose()
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE size = ? \
             ORDER BY seq DESC LIMIT 1"
        ))
        .bind(size)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.map(StoredCheckpoint::try_from).transpose()
    }
}
