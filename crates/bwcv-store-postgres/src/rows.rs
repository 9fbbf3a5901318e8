//! Table rows as sqlx sees them, and their conversion to the domain types
//! of bwcv-store. A stored value that cannot be read back (a corrupted or
//! hand-edited database) is a [`StoreError::Backend`] naming the column.

use std::str::FromStr;

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_ledger::merkle::Hash;
use bwcv_store::{
    ApiToken, ApiTokenId, AuditId, AuditOutcome, AuditRecord, DeclarationId, DeclarationRecord,
    DeclarationStatus, Grant, GrantId, GrantTarget, LedgerEntry, Role, Session, StoreError,
    StoredCheckpoint, Timestamp, User, UserId,
};

pub(crate) fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("stored {column} {value:?} cannot be read"))
}

pub(crate) fn parse<T: FromStr>(column: &str, text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| corrupt(column, text))
}

fn parse_visibility(text: &str) -> Result<Visibility, StoreError> {
    match text {
        "public" => Ok(Visibility::Public),
        "states_parties_only" => Ok(Visibility::StatesPartiesOnly),
        _ => Err(corrupt("visibility", text)),
    }
}

pub(crate) fn parse_hash(column: &str, bytes: &[u8]) -> Result<Hash, StoreError> {
    Hash::from_slice(bytes).ok_or_else(|| corrupt(column, &format!("{} bytes", bytes.len())))
}

pub(crate) fn to_u64(column: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(column, &value.to_string()))
}

fn parse_json(column: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(column, text))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    state_party: Option<String>,
    password_hash: String,
    created_at: Timestamp,
    disabled_at: Option<Timestamp>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: UserId(row.id),
            role: parse::<Role>("users.role", &row.role)?,
            state_party: row
                .state_party
                .as_deref()
                .map(|code| parse::<StatePartyCode>("users.state_party", code))
                .transpose()?,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            username: row.username,
            display_name: row.display_name,
            password_hash: row.password_hash,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    id_hash: String,
    user_id: i64,
    csrf_token: String,
    created_at: Timestamp,
    expires_at: Timestamp,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            user_id: UserId(row.user_id),
            created_at: row.created_at,
            expires_at: row.expires_at,
            id_hash: row.id_hash,
            csrf_token: row.csrf_token,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    token_hash: String,
    user_id: i64,
    name: String,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        ApiToken {
            id: ApiTokenId(row.id),
            user_id: UserId(row.user_id),
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            token_hash: row.token_hash,
            name: row.name,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeclarationRow {
    id: i64,
    state_party: String,
    reporting_year: i32,
    status: String,
    visibility: String,
    classification: String,
    body: String,
    digest: String,
    version: i64,
    created_by: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
    submitted_by: Option<i64>,
    submitted_at: Option<Timestamp>,
    ledger_index: Option<i64>,
    acknowledged_by: Option<i64>,
    acknowledged_at: Option<Timestamp>,
}

impl TryFrom<DeclarationRow> for DeclarationRecord {
    type Error = StoreError;
    fn try_from(row: DeclarationRow) -> Result<Self, StoreError> {
        Ok(DeclarationRecord {
            id: DeclarationId(row.id),
            state_party: parse("declarations.state_party", &row.state_party)?,
            reporting_year: row.reporting_year,
            status: parse::<DeclarationStatus>("declarations.status", &row.status)?,
            visibility: parse_visibility(&row.visibility)?,
            classification: parse::<Classification>(
                "declarations.classification",
                &row.classification,
            )?,
            body: parse_json("declarations.body", &row.body)?,
            digest: row.digest,
            version: row.version,
            created_by: UserId(row.created_by),
            created_at: row.created_at,
            updated_at: row.updated_at,
            submitted_by: row.submitted_by.map(UserId),
            submitted_at: row.submitted_at,
            ledger_index: row
                .ledger_index
                .map(|index| to_u64("declarations.ledger_index", index))
                .transpose()?,
            acknowledged_by: row.acknowledged_by.map(UserId),
            acknowledged_at: row.acknowledged_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: Timestamp,
    actor: Option<i64>,
    actor_role: Option<String>,
    action: String,
    object_kind: String,
    object_id: Option<String>,
    classification: String,
    justification: String,
    outcome: String,
    detail: String,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditRecord {
            id: AuditId(row.id),
            at: row.at,
            actor: row.actor.map(UserId),
            actor_role: row
                .actor_role
                .as_deref()
                .map(|role| parse::<Role>("audit_log.actor_role", role))
                .transpose()?,
            classification: parse("audit_log.classification", &row.classification)?,
            outcome: parse::<AuditOutcome>("audit_log.outcome", &row.outcome)?,
            detail: parse_json("audit_log.detail", &row.detail)?,
            action: row.action,
            object_kind: row.object_kind,
            object_id: row.object_id,
            justification: row.justification,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: i64,
    user_id: i64,
    target_type: String,
    object_kind: Option<String>,
    object_id: Option<String>,
    scope: Option<String>,
    classification: String,
    reason: String,
    granted_by: i64,
    granted_at: Timestamp,
    expires_at: Timestamp,
    revoked_by: Option<i64>,
    revoked_at: Option<Timestamp>,
    revoke_reason: Option<String>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = StoreError;
    fn try_from(row: GrantRow) -> Result<Self, StoreError> {
        let target = match (
            row.target_type.as_str(),
            row.object_kind,
            row.object_id,
            row.scope,
        ) {
            ("object", Some(kind), Some(id), None) => GrantTarget::Object { kind, id },
            ("scope", None, None, Some(scope)) => GrantTarget::Scope { scope },
            _ => return Err(corrupt("grants.target_type", &row.target_type)),
        };
        Ok(Grant {
            id: GrantId(row.id),
            user_id: UserId(row.user_id),
            target,
            classification: parse("grants.classification", &row.classification)?,
            reason: row.reason,
            granted_by: UserId(row.granted_by),
            granted_at: row.granted_at,
            expires_at: row.expires_at,
            revoked_by: row.revoked_by.map(UserId),
            revoked_at: row.revoked_at,
            revoke_reason: row.revoke_reason,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct LedgerEntryRow {
    idx: i64,
    kind: String,
    body: Vec<u8>,
    leaf_hash: Vec<u8>,
    sample_id: Option<String>,
    appended_at: Timestamp,
}

impl TryFrom<LedgerEntryRow> for LedgerEntry {
    type Error = StoreError;
    fn try_from(row: LedgerEntryRow) -> Result<Self, StoreError> {
        Ok(LedgerEntry {
            index: to_u64("ledger_entries.idx", row.idx)?,
            leaf_hash: parse_hash("ledger_entries.leaf_hash", &row.leaf_hash)?,
            appended_at: row.appended_at,
            kind: row.kind,
            body: row.body,
            sample_id: row.sample_id,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CheckpointRow {
    seq: i64,
    size: i64,
    root: Vec<u8>,
    note: String,
    created_at: Timestamp,
}

impl TryFrom<CheckpointRow> for StoredCheckpoint {
    type Error = StoreError;
    fn try_from(row: CheckpointRow) -> Result<Self, StoreError> {
        Ok(StoredCheckpoint {
            seq: row.seq,
            size: to_u64("ledger_checkpoints.size", row.size)?,
            root: parse_hash("ledger_checkpoints.root", &row.root)?,
            created_at: row.created_at,
            note: row.note,
        })
    }
}

/// Converts rows, failing on the first unreadable one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
