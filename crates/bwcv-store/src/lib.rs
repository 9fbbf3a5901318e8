//! bwcv-store: the storage layer of the bwcv portal, without a database.
//!
//! [`Store`] is the one interface the server (bwcv-server) uses to keep
//! state; the row types in [`model`] are what it stores. Two backends
//! implement it, each with its own migrations and knowing nothing of the
//! other: `bwcv-store-sqlite` (the default, one file) and
//! `bwcv-store-postgres`. The generic test suite in [`conformance`]
//! (cargo feature `conformance`) runs against both.
//!
//! Guarantees every backend gives (and the conformance suite checks):
//! - every acknowledged write is durable (committed before the method
//!   returns);
//! - composite writes ([`Store::submit_declaration`] and friends) are one
//!   transaction: they happen completely or not at all;
//! - the ledger tables, the audit log and the need-to-know grants are
//!   append-only, enforced by database triggers that refuse UPDATE and
//!   DELETE;
//! - so are the case store's ([`cases::CaseStore`]) case entries, parameter
//!   sets and draws (a draw's result is set once, its announcement never
//!   changes); every case or draw write appends its ledger entry and its
//!   audit record in the same transaction, and the store knows nothing of
//!   `bwcv-cases` (bodies are JSON text it keeps byte for byte);
//! - ledger indices are dense and unique under concurrent appends, and the
//!   Merkle node cache (bwcv-ledger [`merkle`](bwcv_ledger::merkle)) lets a
//!   proof cost one query of O(log n) rows;
//! - times keep microsecond precision ([`truncate_time`]);
//! - text never contains NUL characters (refused as [`StoreError::Invalid`]
//!   by [`check_text`], the same on every backend).
//!
//! The store filters by the criteria it is given; who may see what is
//! decided by `bwcv_core::access::decide`, which the server applies.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

use std::future::Future;

use bwcv_ledger::merkle::{self, Hash, SubtreeId};
use chrono::SubsecRound;

pub mod cases;
pub mod model;

#[cfg(feature = "conformance")]
pub mod conformance;

#[cfg(feature = "bench")]
pub mod bench;

pub use cases::{
    CaseEntry, CaseEntryKind, CaseFilter, CaseRecord, CaseStore, CaseWrite, DrawRecord, NewCase,
    NewCaseEntry, NewDraw, NewNotification, Notification,
};
pub use model::*;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object to change does not exist.
    #[error("not found")]
    NotFound,
    /// The write collides with stored state: a unique value already taken
    /// (username, session, token), a stale draft version, a workflow step
    /// out of order (submitting twice), a checkpoint contradicting another.
    #[error("conflict with the stored state")]
    Conflict,
    /// The request itself is wrong (the text says which field and why).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database failed. The text is for logs: it is not shown to users
    /// (the `Display` output does not include it).
    #[error("storage backend failure")]
    Backend(String),
}

impl StoreError {
    /// The backend detail for logs, if any.
    pub fn backend_detail(&self) -> Option<&str> {
        match self {
            StoreError::Backend(detail) => Some(detail),
            _ => None,
        }
    }
}

/// Refuses text the store cannot keep identically on every backend (NUL
/// characters: PostgreSQL text cannot hold them).
pub fn check_text(field: &str, value: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        return Err(StoreError::Invalid(format!(
            "{field} contains a NUL character"
        )));
    }
    Ok(())
}

/// The precision every backend keeps: whole microseconds.
pub fn truncate_time(at: Timestamp) -> Timestamp {
    at.trunc_subsecs(6)
}

impl NewUser {
    /// Checks the fields every backend checks before storing.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.username.trim().is_empty() {
            return Err(StoreError::Invalid("username is empty".into()));
        }
        check_text("username", &self.username)?;
        check_text("display_name", &self.display_name)?;
        check_text("password_hash", &self.password_hash)?;
        if self.role == Role::NationalAuthority && self.state_party.is_none() {
            return Err(StoreError::Invalid(
                "state_party is required for a national authority account".into(),
            ));
        }
        Ok(())
    }
}

impl Session {
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.id_hash.is_empty() {
            return Err(StoreError::Invalid("session id_hash is empty".into()));
        }
        check_text("id_hash", &self.id_hash)?;
        check_text("csrf_token", &self.csrf_token)
    }
}

impl NewApiToken {
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.token_hash.is_empty() {
            return Err(StoreError::Invalid("token_hash is empty".into()));
        }
        check_text("token_hash", &self.token_hash)?;
        check_text("name", &self.name)
    }
}

impl DeclarationDraft {
    pub fn validate(&self) -> Result<(), StoreError> {
        check_text("digest", &self.digest)
    }
}

impl NewAuditRecord {
    pub fn validate(&self) -> Result<(), StoreError> {
        check_text("action", &self.action)?;
        check_text("object_kind", &self.object_kind)?;
        if let Some(object_id) = &self.object_id {
            check_text("object_id", object_id)?;
        }
        check_text("justification", &self.justification)
    }
}

impl NewGrant {
    pub fn validate(&self) -> Result<(), StoreError> {
        match &self.target {
            GrantTarget::Object { kind, id } => {
                check_text("target.kind", kind)?;
                check_text("target.id", id)?;
            }
            GrantTarget::Scope { scope } => check_text("target.scope", scope)?,
        }
        check_text("reason", &self.reason)?;
        if self.expires_at <= self.granted_at {
            return Err(StoreError::Invalid(
                "expires_at must be after granted_at".into(),
            ));
        }
        Ok(())
    }
}

impl NewLedgerEntry {
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.kind.is_empty() {
            return Err(StoreError::Invalid("ledger entry kind is empty".into()));
        }
        check_text("kind", &self.kind)?;
        if let Some(sample_id) = &self.sample_id {
            check_text("sample_id", sample_id)?;
        }
        Ok(())
    }
}

impl NewCheckpoint {
    pub fn validate(&self) -> Result<(), StoreError> {
        check_text("note", &self.note)
    }
}

/// Everything the portal keeps, behind one interface.
///
/// Conventions: `get_*`/`find_*` return `Ok(None)` when nothing matches;
/// methods that change an object return [`StoreError::NotFound`] when it
/// does not exist. Every method that writes has committed when it returns
/// `Ok`.
///
/// Methods return `impl Future + Send` so that the server can call them
/// from any tokio task.
pub trait Store: cases::CaseStore + Clone + Send + Sync + 'static {
    /// A cheap round trip to the database (health check).
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    // ----------------------------------------------------------- users

    /// Creates an account. [`StoreError::Conflict`] if the username is
    /// taken; [`StoreError::Invalid`] if a national authority account has
    /// no State Party.
    fn create_user(&self, user: NewUser) -> impl Future<Output = Result<User, StoreError>> + Send;

    fn get_user(&self, id: UserId)
    -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    fn find_user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// All accounts, by id.
    fn list_users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// Disables an account (idempotent: the first time is kept) and deletes
    /// its sessions. Returns the updated account.
    fn disable_user(
        &self,
        id: UserId,
        at: Timestamp,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// Replaces the password hash (a PHC string).
    fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    // -------------------------------------------------------- sessions

    /// [`StoreError::Conflict`] if the id hash exists; NotFound if the user
    /// does not.
    fn create_session(
        &self,
        session: Session,
    ) -> impl Future<Output = Result<Session, StoreError>> + Send;

    /// The session with this id hash if it has not expired at `now`.
    fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Logout. Deleting a missing session is not an error.
    fn delete_session(&self, id_hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes every session of a user (rotation, disabling); returns how
    /// many.
    fn delete_user_sessions(
        &self,
        user_id: UserId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes sessions expired at `now`; returns how many.
    fn purge_expired_sessions(
        &self,
        now: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // ------------------------------------------------------ API tokens

    /// [`StoreError::Conflict`] if the hash exists; NotFound if the user
    /// does not.
    fn create_api_token(
        &self,
        token: NewApiToken,
    ) -> impl Future<Output = Result<ApiToken, StoreError>> + Send;

    /// The token with this hash if it is active (not revoked, not expired)
    /// at `now`.
    fn find_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<ApiToken>, StoreError>> + Send;

    /// The account of the token with this hash if the token is active at
    /// `now` ([`Store::find_api_token`] then [`Store::get_user`]; backends
    /// answer it with one query). Disabled accounts are returned too: the
    /// caller decides.
    fn find_api_token_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        async move {
            match self.find_api_token(token_hash, now).await? {
                Some(token) => self.get_user(token.user_id).await,
                None => Ok(None),
            }
        }
    }

    /// A user's tokens, active or not, by id.
    fn list_api_tokens(
        &self,
        user_id: UserId,
    ) -> impl Future<Output = Result<Vec<ApiToken>, StoreError>> + Send;

    /// Revokes a token (idempotent: the first revocation time is kept).
    fn revoke_api_token(
        &self,
        id: ApiTokenId,
        at: Timestamp,
    ) -> impl Future<Output = Result<ApiToken, StoreError>> + Send;

    // -------------------------------------------------- login attempts

    /// Records a login attempt under `key` (a username or a client address).
    fn record_login_attempt(
        &self,
        key: &str,
        at: Timestamp,
        success: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Failed attempts under `key` at or after `since`.
    fn count_login_failures(
        &self,
        key: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Forgets attempts before `before`; returns how many.
    fn purge_login_attempts(
        &self,
        before: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // ---------------------------------------------------- declarations

    /// Creates a draft (`draft.id == None`, version 1) or updates one
    /// (version + 1), together with its audit record, in one transaction.
    /// The store sets the audit record's object to
    /// (`"declaration"`, the id). Errors: NotFound (no such id),
    /// Conflict (stale `expected_version`, or no longer a draft), Invalid
    /// (the State Party differs from the stored one).
    fn save_draft(
        &self,
        draft: DeclarationDraft,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<DeclarationRecord, StoreError>> + Send;

    /// Submits a draft: in ONE transaction, checks it is a draft at
    /// `expected_version`, appends `ledger_entry` to the evidence ledger,
    /// marks the declaration submitted (by, at, ledger index) and appends
    /// the audit record (object set by the store as in
    /// [`Store::save_draft`]). Nothing is written if any step fails.
    /// Returns the record and the ledger index.
    fn submit_declaration(
        &self,
        id: DeclarationId,
        expected_version: i64,
        by: UserId,
        at: Timestamp,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<(DeclarationRecord, u64), StoreError>> + Send;

    /// Creates a draft and submits it (`POST /api/v1/declarations` with
    /// `"submit": true`): the writes of [`Store::save_draft`] (with
    /// `create_audit`) followed by those of [`Store::submit_declaration`]
    /// at version 1, by `draft.actor` at `draft.at` (with `ledger_entry`
    /// and `submit_audit`). `draft.id` must be `None` (Invalid otherwise).
    /// Backends override this to do it in ONE transaction, so that the
    /// pair costs one durable commit and nothing of it is left on
    /// failure; this default makes the two calls in turn.
    fn create_and_submit_declaration(
        &self,
        draft: DeclarationDraft,
        create_audit: NewAuditRecord,
        ledger_entry: NewLedgerEntry,
        submit_audit: NewAuditRecord,
    ) -> impl Future<Output = Result<(DeclarationRecord, u64), StoreError>> + Send {
        async move {
            if draft.id.is_some() {
                return Err(StoreError::Invalid(
                    "create_and_submit_declaration creates: the draft has an id".to_owned(),
                ));
            }
            let (by, at) = (draft.actor, draft.at);
            let record = self.save_draft(draft, create_audit).await?;
            self.submit_declaration(
                record.id,
                record.version,
                by,
                at,
                ledger_entry,
                submit_audit,
            )
            .await
        }
    }

    /// Submitted → acknowledged, with its audit record, in one transaction.
    /// Conflict if the declaration is not in status submitted.
    fn acknowledge_declaration(
        &self,
        id: DeclarationId,
        by: UserId,
        at: Timestamp,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<DeclarationRecord, StoreError>> + Send;

    fn get_declaration(
        &self,
        id: DeclarationId,
    ) -> impl Future<Output = Result<Option<DeclarationRecord>, StoreError>> + Send;

    /// Declarations matching every given criterion, ordered by State Party,
    /// reporting year, id.
    fn list_declarations(
        &self,
        filter: DeclarationFilter,
    ) -> impl Future<Output = Result<Vec<DeclarationRecord>, StoreError>> + Send;

    /// [`Store::list_declarations`] for listings that show no content:
    /// every record's `body` is `null`, so backends need not read nor
    /// parse the bodies (this default drops them after reading).
    fn list_declarations_without_body(
        &self,
        filter: DeclarationFilter,
    ) -> impl Future<Output = Result<Vec<DeclarationRecord>, StoreError>> + Send {
        async move {
            let mut records = self.list_declarations(filter).await?;
            for record in &mut records {
                record.body = serde_json::Value::Null;
            }
            Ok(records)
        }
    }

    // ------------------------------------------------------- audit log

    fn append_audit(
        &self,
        record: NewAuditRecord,
    ) -> impl Future<Output = Result<AuditRecord, StoreError>> + Send;

    /// One page of matching records in id order (see [`AuditFilter`]).
    fn list_audit(
        &self,
        filter: AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>, StoreError>> + Send;

    /// The whole audit log in id order.
    fn export_audit(&self) -> impl Future<Output = Result<Vec<AuditRecord>, StoreError>> + Send;

    // --------------------------------------------- need-to-know grants

    /// NotFound if the user or the granting user does not exist.
    fn create_grant(
        &self,
        grant: NewGrant,
    ) -> impl Future<Output = Result<Grant, StoreError>> + Send;

    fn get_grant(
        &self,
        id: GrantId,
    ) -> impl Future<Output = Result<Option<Grant>, StoreError>> + Send;

    /// Every grant of a user (active, expired, revoked), by id.
    fn list_grants(
        &self,
        user_id: UserId,
    ) -> impl Future<Output = Result<Vec<Grant>, StoreError>> + Send;

    /// Records the revocation of a grant (a new fact; the grant row is not
    /// changed). Conflict if it is already revoked.
    fn revoke_grant(
        &self,
        id: GrantId,
        by: UserId,
        at: Timestamp,
        reason: &str,
    ) -> impl Future<Output = Result<Grant, StoreError>> + Send;

    /// The user's grants in force at `at` ([`Grant::is_active`]), by id.
    fn active_grants(
        &self,
        user_id: UserId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<Grant>, StoreError>> + Send;

    // ---------------------------------------------------------- ledger

    /// Appends a batch atomically: the entries get consecutive indices
    /// from the current size; leaf hashes and the perfect subtrees the
    /// batch completes are stored with them. An empty batch changes
    /// nothing.
    fn ledger_append(
        &self,
        entries: Vec<NewLedgerEntry>,
    ) -> impl Future<Output = Result<LedgerAppended, StoreError>> + Send;

    /// Number of entries.
    fn ledger_size(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn ledger_entry(
        &self,
        index: u64,
    ) -> impl Future<Output = Result<Option<LedgerEntry>, StoreError>> + Send;

    /// Entries with `start <= index < end`, in index order (fewer if the
    /// log is shorter).
    fn ledger_entries(
        &self,
        start: u64,
        end: u64,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, StoreError>> + Send;

    /// Custody: every entry whose `sample_id` is this one, in index order.
    fn ledger_entries_by_sample(
        &self,
        sample_id: &str,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, StoreError>> + Send;

    /// The hashes of perfect subtrees (level 0: leaf hashes), in the order
    /// asked, in one query. NotFound if any is not complete in the log.
    fn ledger_subtree_hashes(
        &self,
        ids: &[SubtreeId],
    ) -> impl Future<Output = Result<Vec<Hash>, StoreError>> + Send;

    /// Keeps a checkpoint note. Invalid if `size` exceeds the log or `root`
    /// is not the log's root at `size` (so two different checkpoints for
    /// one size cannot both be stored). Storing the same note twice stores
    /// it once.
    fn put_checkpoint(
        &self,
        checkpoint: NewCheckpoint,
    ) -> impl Future<Output = Result<StoredCheckpoint, StoreError>> + Send;

    /// The checkpoint of the largest size (the most recent note for it).
    fn latest_checkpoint(
        &self,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, StoreError>> + Send;

    /// The most recent note kept for this size.
    fn checkpoint_at(
        &self,
        size: u64,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, StoreError>> + Send;

    // ----------------------------- ledger proofs (provided, generic)

    /// RFC 6962 root of the first `size` entries (one query).
    fn ledger_root(&self, size: u64) -> impl Future<Output = Result<Hash, StoreError>> + Send {
        async move {
            check_size(self.ledger_size().await?, size)?;
            let plan = merkle::plan_root(size);
            let hashes = self.ledger_subtree_hashes(&plan.ids).await?;
            let elements = plan.assemble(&hashes).map_err(proof_error)?;
            elements
                .first()
                .copied()
                .ok_or_else(|| StoreError::Backend("root plan assembled no element".into()))
        }
    }

    /// RFC 6962 §2.1.1 inclusion proof of entry `index` in the tree of the
    /// first `size` entries (one query of O(log n) rows).
    fn ledger_inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, StoreError>> + Send {
        async move {
            check_size(self.ledger_size().await?, size)?;
            let plan = merkle::plan_inclusion(index, size).map_err(proof_error)?;
            let hashes = self.ledger_subtree_hashes(&plan.ids).await?;
            plan.assemble(&hashes).map_err(proof_error)
        }
    }

    /// RFC 6962 §2.1.2 consistency proof between the trees of `old_size`
    /// and `new_size` entries (one query of O(log n) rows).
    fn ledger_consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, StoreError>> + Send {
        async move {
            check_size(self.ledger_size().await?, new_size)?;
            let plan = merkle::plan_consistency(old_size, new_size).map_err(proof_error)?;
            let hashes = self.ledger_subtree_hashes(&plan.ids).await?;
            plan.assemble(&hashes).map_err(proof_error)
        }
    }
}

fn check_size(log_size: u64, size: u64) -> Result<(), StoreError> {
    if size > log_size {
        return Err(StoreError::Invalid(format!(
            "tree size {size} is beyond the ledger's size {log_size}"
        )));
    }
    Ok(())
}

fn proof_error(error: merkle::ProofError) -> StoreError {
    StoreError::Invalid(error.to_string())
}

/// Pure helper for backends: leaf hashes and node-cache rows of a batch
/// appended to a log whose frontier is `frontier`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppendPlan {
    /// One leaf hash per entry, in order.
    pub leaf_hashes: Vec<Hash>,
    /// Every perfect subtree the batch completes, level 0 (the leaves)
    /// included: the node-cache rows to insert, so that every proof reads
    /// one compact table.
    pub nodes: Vec<(SubtreeId, Hash)>,
    /// Root after the batch.
    pub root: Hash,
}

/// Computes the [`AppendPlan`] of appending `bodies` to the tree whose
/// frontier is `frontier` (advanced in place). Backends load the frontier
/// with one [`Store::ledger_subtree_hashes`]-style query of
/// [`merkle::frontier_ids`]`(size)`.
pub fn plan_append<'a>(
    frontier: &mut merkle::Frontier,
    bodies: impl IntoIterator<Item = &'a [u8]>,
) -> AppendPlan {
    let mut plan = AppendPlan::default();
    for body in bodies {
        let leaf = merkle::leaf_hash(body);
        plan.leaf_hashes.push(leaf);
        plan.nodes.extend(frontier.append(leaf));
    }
    plan.root = frontier.root();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_plan_matches_memory_log() {
        let bodies: Vec<Vec<u8>> = (0u32..37).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut frontier = merkle::Frontier::new();
        let first = plan_append(&mut frontier, bodies[..10].iter().map(Vec::as_slice));
        let second = plan_append(&mut frontier, bodies[10..].iter().map(Vec::as_slice));
        let mut log = merkle::MemoryLog::new();
        for body in &bodies {
            log.append(body);
        }
        assert_eq!(second.root, log.root());
        assert_eq!(first.leaf_hashes.len() + second.leaf_hashes.len(), 37);
        // Every stored node is the memory log's node, and all are there.
        let all: Vec<_> = first.nodes.iter().chain(&second.nodes).collect();
        let expected: usize = (0..37u64)
            .map(|i| merkle::completed_by_append(i).len())
            .sum();
        assert_eq!(all.len(), expected);
        for (id, hash) in all {
            assert_eq!(
                merkle::NodeReader::subtree_hashes(&log, &[*id]).unwrap(),
                vec![*hash]
            );
        }
    }

    #[test]
    fn errors_hide_backend_detail() {
        let error = StoreError::Backend("syntax error near SELECT".into());
        assert_eq!(error.to_string(), "storage backend failure");
        assert_eq!(error.backend_detail(), Some("syntax error near SELECT"));
    }

    #[test]
    fn validation() {
        let user = NewUser {
            username: "alice".into(),
            display_name: "Alice".into(),
            role: Role::NationalAuthority,
            state_party: None,
            password_hash: "$argon2id$...".into(),
            created_at: chrono::Utc::now(),
        };
        assert!(matches!(user.validate(), Err(StoreError::Invalid(_))));
        assert!(check_text("x", "a\0b").is_err());
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }
}
