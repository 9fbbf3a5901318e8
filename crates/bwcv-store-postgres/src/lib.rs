//! bwcv-store-postgres: the PostgreSQL backend of [`bwcv_store::Store`]
//! (sqlx), for the portal at scale (`--database postgres://...`).
//!
//! [`PgStore::open`] connects and runs the migrations in `migrations/`
//! (in the first schema of the connection's `search_path`).
//!
//! # Durability and concurrency
//!
//! PostgreSQL's default durability (`fsync = on`, `synchronous_commit =
//! on`): a commit has reached the WAL on disk when the call returns.
//! Transactions run at READ COMMITTED; a draft being changed, submitted or
//! acknowledged is locked with `SELECT ... FOR UPDATE`, and appenders to
//! the ledger take `LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE`
//! (one appender at a time, readers never blocked), so indices stay dense
//! under concurrent appends. The pool holds up to [`MAX_CONNECTIONS`]
//! connections.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use bwcv_ledger::merkle::{self, Hash, SubtreeId};
use bwcv_store::{
    ApiToken, ApiTokenId, AuditFilter, AuditRecord, DeclarationDraft, DeclarationFilter,
    DeclarationId, DeclarationRecord, DeclarationStatus, Grant, GrantId, GrantTarget,
    LedgerAppended, LedgerEntry, NewApiToken, NewAuditRecord, NewCheckpoint, NewGrant,
    NewLedgerEntry, NewUser, Session, Store, StoreError, StoredCheckpoint, Timestamp, User, UserId,
    check_text, plan_append, truncate_time,
};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, QueryBuilder, Row};

mod cases;
mod rows;

use rows::{
    ApiTokenRow, AuditRow, CheckpointRow, DeclarationRow, GrantRow, LedgerEntryRow, SessionRow,
    UserRow, convert_all, parse_hash,
};

/// Pool size: on a 2-core server PostgreSQL runs best with a handful of
/// active connections; more only queue inside the database.
pub const MAX_CONNECTIONS: u32 = 10;
/// Rows per multi-row INSERT (UNNEST of arrays).
const INSERT_CHUNK: usize = 1000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid PostgreSQL database URL: {source}")]
    Url {
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot connect to PostgreSQL at {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate the PostgreSQL database: {source}")]
    Migrate {
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// The PostgreSQL store. Cloning is cheap (the pool is shared).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`) and
    /// migrates. The URL (which may hold a password) is not repeated in
    /// errors.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|source| OpenError::Url { source })?;
        Self::open_with(options).await
    }

    /// Connects with explicit options (e.g. a `search_path`) and migrates.
    pub async fn open_with(options: PgConnectOptions) -> Result<Self, OpenError> {
        let host = options.get_host().to_owned();
        let port = options.get_port();
        // One direct connection first: a wrong address or password fails
        // at once instead of after the pool's retries.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(|source| OpenError::Connect {
                host: host.clone(),
                port,
                source,
            })?;
        probe.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| OpenError::Connect { host, port, source })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| OpenError::Migrate { source })?;
        tracing::debug!("PostgreSQL store open");
        Ok(Self { pool })
    }

    /// The pool, for backend-specific tests and maintenance. Writes through
    /// it bypass the store's checks (the triggers still hold).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool, waiting for running queries.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(db_error)
    }
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
const AUDIT_COLUMNS: &str = "id, at, actor, actor_role, action, object_kind, object_id, \
     classification, justification, outcome, detail";
const GRANT_SELECT: &str = "SELECT g.id, g.user_id, g.target_type, g.object_kind, g.object_id, \
     g.scope, g.classification, g.reason, g.granted_by, g.granted_at, g.expires_at, \
     r.revoked_by, r.revoked_at, r.reason AS revoke_reason \
     FROM grants g LEFT JOIN grant_revocations r ON r.grant_id = g.id";
const ENTRY_COLUMNS: &str = "idx, kind, body, leaf_hash, sample_id, appended_at";
const CHECKPOINT_COLUMNS: &str = "seq, size, root, note, created_at";

async fn user_on(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> =
        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(conn)
            .await
            .map_err(db_error)?;
    row.map(User::try_from).transpose()
}

/// The declaration, locked for the rest of the transaction when `lock`.
async fn declaration_on(
    conn: &mut PgConnection,
    id: DeclarationId,
    lock: bool,
) -> Result<Option<DeclarationRecord>, StoreError> {
    let row: Option<DeclarationRow> = sqlx::query_as(&format!(
        "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(DeclarationRecord::try_from).transpose()
}

async fn grant_on(conn: &mut PgConnection, id: GrantId) -> Result<Option<Grant>, StoreError> {
    let row: Option<GrantRow> = sqlx::query_as(&format!("{GRANT_SELECT} WHERE g.id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .map_err(db_error)?;
    row.map(Grant::try_from).transpose()
}

async fn insert_audit(
    conn: &mut PgConnection,
    record: &NewAuditRecord,
) -> Result<AuditRecord, StoreError> {
    record.validate()?;
    let row: AuditRow = sqlx::query_as(&format!(
        "INSERT INTO audit_log (at, actor, actor_role, action, object_kind, object_id, \
         classification, justification, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {AUDIT_COLUMNS}"
    ))
    .bind(truncate_time(record.at))
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

async fn ledger_size_on(conn: &mut PgConnection) -> Result<u64, StoreError> {
    let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries")
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    u64::try_from(size).map_err(|_| StoreError::Backend(format!("ledger size {size} negative")))
}

/// `(level, index)` as stored; ids that cannot exist are NotFound.
fn subtree_key(id: &SubtreeId) -> Result<(i32, i64), StoreError> {
    let index = i64::try_from(id.index).map_err(|_| StoreError::NotFound)?;
    if id.level > 63 {
        return Err(StoreError::NotFound);
    }
    Ok((i32::from(id.level), index))
}

/// One query on the node cache (`ledger_nodes`, level 0 included), keys
/// passed as arrays and answered from its primary key.
async fn subtree_hashes_on(
    conn: &mut PgConnection,
    ids: &[SubtreeId],
) -> Result<Vec<Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys = ids.iter().map(subtree_key).collect::<Result<Vec<_>, _>>()?;
    let levels: Vec<i32> = keys.iter().map(|(level, _)| *level).collect();
    let indices: Vec<i64> = keys.iter().map(|(_, index)| *index).collect();
    let rows = sqlx::query(
        "SELECT n.level, n.idx, n.hash FROM ledger_nodes n \
         JOIN UNNEST($1::int4[], $2::int8[]) AS q(level, idx) \
         ON n.level = q.level AND n.idx = q.idx",
    )
    .bind(&levels)
    .bind(&indices)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut found = std::collections::BTreeMap::new();
    for row in rows {
        let level: i32 = row.try_get("level").map_err(db_error)?;
        let index: i64 = row.try_get("idx").map_err(db_error)?;
        let hash: Vec<u8> = row.try_get("hash").map_err(db_error)?;
        found.insert((level, index), parse_hash("ledger_nodes.hash", &hash)?);
    }
    keys.iter()
        .map(|key| found.get(key).copied().ok_or(StoreError::NotFound))
        .collect()
}

/// Appends a batch inside the caller's transaction, holding the appenders'
/// lock until it ends.
async fn append_on(
    conn: &mut PgConnection,
    entries: &[NewLedgerEntry],
) -> Result<LedgerAppended, StoreError> {
    for entry in entries {
        entry.validate()?;
    }
    sqlx::query("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let size = ledger_size_on(conn).await?;
    let frontier_hashes = subtree_hashes_on(conn, &merkle::frontier_ids(size)).await?;
    let mut frontier = merkle::Frontier::from_hashes(size, &frontier_hashes)
        .map_err(|error| StoreError::Backend(error.to_string()))?;
    let plan = plan_append(
        &mut frontier,
        entries.iter().map(|entry| entry.body.as_slice()),
    );
    let first_index = to_i64("ledger index", size)?;
    for (chunk_number, chunk) in entries.chunks(INSERT_CHUNK).enumerate() {
        let offset = chunk_number * INSERT_CHUNK;
        let indices: Vec<i64> = (0..chunk.len())
            .map(|i| first_index + (offset + i) as i64)
            .collect();
        let kinds: Vec<&str> = chunk.iter().map(|entry| entry.kind.as_str()).collect();
        let bodies: Vec<&[u8]> = chunk.iter().map(|entry| entry.body.as_slice()).collect();
        let leaves: Vec<&[u8]> = plan.leaf_hashes[offset..offset + chunk.len()]
            .iter()
            .map(|hash| hash.0.as_slice())
            .collect();
        let samples: Vec<Option<&str>> = chunk
            .iter()
            .map(|entry| entry.sample_id.as_deref())
            .collect();
        let times: Vec<Timestamp> = chunk
            .iter()
            .map(|entry| truncate_time(entry.appended_at))
            .collect();
        sqlx::query(
            "INSERT INTO ledger_entries (idx, kind, body, leaf_hash, sample_id, appended_at) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::bytea[], $4::bytea[], \
             $5::text[], $6::timestamptz[]) ORDER BY 1",
        )
        .bind(&indices)
        .bind(&kinds)
        .bind(&bodies)
        .bind(&leaves)
        .bind(&samples)
        .bind(&times)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for chunk in plan.nodes.chunks(INSERT_CHUNK) {
        let levels: Vec<i32> = chunk.iter().map(|(id, _)| i32::from(id.level)).collect();
        let mut indices = Vec::with_capacity(chunk.len());
        for (id, _) in chunk {
            indices.push(to_i64("subtree index", id.index)?);
        }
        let hashes: Vec<&[u8]> = chunk.iter().map(|(_, hash)| hash.0.as_slice()).collect();
        sqlx::query(
            "INSERT INTO ledger_nodes (level, idx, hash) \
             SELECT * FROM UNNEST($1::int4[], $2::int8[], $3::bytea[])",
        )
        .bind(&levels)
        .bind(&indices)
        .bind(&hashes)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(LedgerAppended {
        first_index: size,
        new_size: size + entries.len() as u64,
        root: plan.root,
    })
}

impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    // ------------------------------------------------------------- users

    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        user.validate()?;
        let row: UserRow = sqlx::query_as(&format!(
            "INSERT INTO users (username, display_name, role, state_party, password_hash, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
        ))
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(user.state_party.as_ref().map(|code| code.as_str()))
        .bind(&user.password_hash)
        .bind(truncate_time(user.created_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        User::try_from(row)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        user_on(&mut conn, id).await
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        check_text("username", username)?;
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        convert_all(rows)
    }

    async fn disable_user(&self, id: UserId, at: Timestamp) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let changed =
            sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2")
                .bind(truncate_time(at))
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
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
        let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&self.pool)
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
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id_hash, user_id, csrf_token, created_at, expires_at",
        )
        .bind(&session.id_hash)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(truncate_time(session.created_at))
        .bind(truncate_time(session.expires_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(Session::from(row))
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        check_text("id_hash", id_hash)?;
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, created_at, expires_at FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(truncate_time(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(Session::from))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        check_text("id_hash", id_hash)?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id.0)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(truncate_time(now))
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    // -------------------------------------------------------- API tokens

    async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken, StoreError> {
        token.validate()?;
        let row: ApiTokenRow = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(&token.token_hash)
        .bind(token.user_id.0)
        .bind(&token.name)
        .bind(truncate_time(token.created_at))
        .bind(token.expires_at.map(truncate_time))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(ApiToken::from(row))
    }

    async fn find_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<ApiToken>, StoreError> {
        check_text("token_hash", token_hash)?;
        let row: Option<ApiTokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        ))
        .bind(token_hash)
        .bind(truncate_time(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(ApiToken::from))
    }

    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        at: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let row: Option<ApiTokenRow> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
             RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(truncate_time(at))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(ApiToken::from).ok_or(StoreError::NotFound)
    }

    // ---------------------------------------------------- login attempts

    async fn record_login_attempt(
        &self,
        key: &str,
        at: Timestamp,
        success: bool,
    ) -> Result<(), StoreError> {
        check_text("key", key)?;
        sqlx::query("INSERT INTO login_attempts (key, at, success) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(truncate_time(at))
            .bind(success)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn count_login_failures(&self, key: &str, since: Timestamp) -> Result<u64, StoreError> {
        check_text("key", key)?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE key = $1 AND at >= $2 AND NOT success",
        )
        .bind(key)
        .bind(truncate_time(since))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn purge_login_attempts(&self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
            .bind(truncate_time(before))
            .execute(&self.pool)
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
        let at = truncate_time(draft.at);
        let mut tx = self.begin().await?;
        let id = match draft.id {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO declarations (state_party, reporting_year, status, visibility, \
                     classification, body, digest, version, created_by, created_at, updated_at) \
                     VALUES ($1, $2, 'draft', $3, $4, $5, $6, 1, $7, $8, $8) RETURNING id",
                )
                .bind(draft.state_party.as_str())
                .bind(draft.reporting_year)
                .bind(draft.visibility.as_str())
                .bind(draft.classification.as_str())
                .bind(&body)
                .bind(&draft.digest)
                .bind(draft.actor.0)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                DeclarationId(id)
            }
            Some(id) => {
                let current = declaration_on(&mut tx, id, true)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if current.state_party != draft.state_party {
                    return Err(StoreError::Invalid(format!(
                        "declaration {id} belongs to State Party {}, not {}",
                        current.state_party, draft.state_party
                    )));
                }
                if current.status != DeclarationStatus::Draft
                    || current.version != draft.expected_version
                {
                    return Err(StoreError::Conflict);
                }
                sqlx::query(
                    "UPDATE declarations SET reporting_year = $1, visibility = $2, \
                     classification = $3, body = $4, digest = $5, version = version + 1, \
                     updated_at = $6 WHERE id = $7 AND status = 'draft' AND version = $8",
                )
                .bind(draft.reporting_year)
                .bind(draft.visibility.as_str())
                .bind(draft.classification.as_str())
                .bind(&body)
                .bind(&draft.digest)
                .bind(at)
                .bind(id.0)
                .bind(draft.expected_version)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                id
            }
        };
        insert_audit(&mut tx, &declaration_audit(audit, id)).await?;
        let record = declaration_on(&mut tx, id, false)
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
        let current = declaration_on(&mut tx, id, true)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.status != DeclarationStatus::Draft || current.version != expected_version {
            return Err(StoreError::Conflict);
        }
        let appended = append_on(&mut tx, std::slice::from_ref(&ledger_entry)).await?;
        let ledger_index = appended.first_index;
        sqlx::query(
            "UPDATE declarations SET status = 'submitted', submitted_by = $1, \
             submitted_at = $2, ledger_index = $3, updated_at = $2 \
             WHERE id = $4 AND status = 'draft' AND version = $5",
        )
        .bind(by.0)
        .bind(truncate_time(at))
        .bind(to_i64("ledger index", ledger_index)?)
        .bind(id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        insert_audit(&mut tx, &declaration_audit(audit, id)).await?;
        let record = declaration_on(&mut tx, id, false)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
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
        let current = declaration_on(&mut tx, id, true)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.status != DeclarationStatus::Submitted {
            return Err(StoreError::Conflict);
        }
        sqlx::query(
            "UPDATE declarations SET status = 'acknowledged', acknowledged_by = $1, \
             acknowledged_at = $2, updated_at = $2 WHERE id = $3 AND status = 'submitted'",
        )
        .bind(by.0)
        .bind(truncate_time(at))
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        insert_audit(&mut tx, &declaration_audit(audit, id)).await?;
        let record = declaration_on(&mut tx, id, false)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn get_declaration(
        &self,
        id: DeclarationId,
    ) -> Result<Option<DeclarationRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        declaration_on(&mut conn, id, false).await
    }

    async fn list_declarations(
        &self,
        filter: DeclarationFilter,
    ) -> Result<Vec<DeclarationRecord>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE TRUE"
        ));
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
        query.push(" ORDER BY state_party COLLATE \"C\", reporting_year, id");
        let rows: Vec<DeclarationRow> = query
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        convert_all(rows)
    }

    // --------------------------------------------------------- audit log

    async fn append_audit(&self, record: NewAuditRecord) -> Result<AuditRecord, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        insert_audit(&mut conn, &record).await
    }

    async fn list_audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE TRUE"
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
            query.push(" AND at >= ").push_bind(truncate_time(since));
        }
        if let Some(until) = filter.until {
            query.push(" AND at < ").push_bind(truncate_time(until));
        }
        if let Some(after) = filter.after {
            query.push(" AND id > ").push_bind(after.0);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(filter.effective_limit()));
        let rows: Vec<AuditRow> = query
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        convert_all(rows)
    }

    async fn export_audit(&self) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"
        ))
        .fetch_all(&self.pool)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(grant.user_id.0)
        .bind(target_type)
        .bind(object_kind)
        .bind(object_id)
        .bind(scope)
        .bind(grant.classification.as_str())
        .bind(&grant.reason)
        .bind(grant.granted_by.0)
        .bind(truncate_time(grant.granted_at))
        .bind(truncate_time(grant.expires_at))
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
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        grant_on(&mut conn, id).await
    }

    async fn list_grants(&self, user_id: UserId) -> Result<Vec<Grant>, StoreError> {
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "{GRANT_SELECT} WHERE g.user_id = $1 ORDER BY g.id"
        ))
        .bind(user_id.0)
        .fetch_all(&self.pool)
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
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(by.0)
        .bind(truncate_time(at))
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
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "{GRANT_SELECT} WHERE g.user_id = $1 AND g.granted_at <= $2 AND g.expires_at > $2 \
             AND (r.revoked_at IS NULL OR r.revoked_at > $2) ORDER BY g.id"
        ))
        .bind(user_id.0)
        .bind(truncate_time(at))
        .fetch_all(&self.pool)
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
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        ledger_size_on(&mut conn).await
    }

    async fn ledger_entry(&self, index: u64) -> Result<Option<LedgerEntry>, StoreError> {
        let Ok(index) = i64::try_from(index) else {
            return Ok(None);
        };
        let row: Option<LedgerEntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idx = $1"
        ))
        .bind(index)
        .fetch_optional(&self.pool)
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
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idx >= $1 AND idx < $2 \
             ORDER BY idx"
        ))
        .bind(start)
        .bind(end)
        .fetch_all(&self.pool)
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
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE sample_id = $1 ORDER BY idx"
        ))
        .bind(sample_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn ledger_subtree_hashes(&self, ids: &[SubtreeId]) -> Result<Vec<Hash>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
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
            "INSERT INTO ledger_checkpoints (size, root, note, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (size, md5(note)) DO NOTHING",
        )
        .bind(size)
        .bind(checkpoint.root.0.as_slice())
        .bind(&checkpoint.note)
        .bind(truncate_time(checkpoint.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let row: CheckpointRow = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints \
             WHERE size = $1 AND note = $2 ORDER BY seq LIMIT 1"
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
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredCheckpoint::try_from).transpose()
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE size = $1 \
             ORDER BY seq DESC LIMIT 1"
        ))
        .bind(size)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredCheckpoint::try_from).transpose()
    }
}
