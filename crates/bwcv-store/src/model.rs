//! The rows the store keeps, as domain types. Backends map them to tables;
//! nothing here knows SQL.
//!
//! Times are [`Timestamp`]s (UTC). Backends keep microsecond precision:
//! what is read back is the written time truncated to whole microseconds
//! ([`crate::truncate_time`]).

use std::fmt;
use std::str::FromStr;

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_ledger::merkle::Hash;
use serde::{Deserialize, Serialize};

/// A point in time, UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

id_type!(
    /// A user account's number, assigned by the store, never reused.
    UserId
);
id_type!(
    /// A declaration's number, assigned by the store, never reused.
    DeclarationId
);
id_type!(
    /// An API token's number (not the token: the store only knows its hash).
    ApiTokenId
);
id_type!(
    /// An audit record's sequence number: increasing in insertion order.
    AuditId
);
id_type!(
    /// A need-to-know grant's number.
    GrantId
);

/// A string the store does not know: names the kind of value and the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised spelling (snake_case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| UnknownValue { kind: $kind, value: s.to_owned() })
            }
        }
    };
}

/// What a user account may do: the one role type of bwcv, defined beside
/// the access rules that decide what each role sees (`bwcv_core::access`).
pub use bwcv_core::access::Role;

// ---------------------------------------------------------------- users

/// A user account to create. Hashing the password (argon2id, PHC string)
/// is the caller's job; the store keeps the string as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Unique, compared exactly (normalise case before calling).
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Required for [`Role::NationalAuthority`] (the State Party the
    /// officer acts for); for other roles the person's nationality, if
    /// recorded.
    pub state_party: Option<StatePartyCode>,
    /// An argon2 PHC string.
    pub password_hash: String,
    pub created_at: Timestamp,
}

/// A stored user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub state_party: Option<StatePartyCode>,
    /// Never serialised (so that it cannot leak through an API response).
    #[serde(skip_serializing, default)]
    pub password_hash: String,
    pub created_at: Timestamp,
    /// Set once when the account is disabled; a disabled account cannot
    /// log in (the server checks).
    pub disabled_at: Option<Timestamp>,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

// ------------------------------------------------------------- sessions

/// A login session. The cookie carries a random session id; the store only
/// sees its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Hash of the session id (hex), unique.
    pub id_hash: String,
    pub user_id: UserId,
    /// The CSRF token bound to this session.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An API token for scripts and the CLI. The store only sees its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    /// Hash of the token (hex), unique.
    pub token_hash: String,
    pub user_id: UserId,
    /// What the token is for, chosen by its owner.
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// A stored API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    #[serde(skip_serializing, default)]
    pub token_hash: String,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }
}

// --------------------------------------------------------- declarations

str_enum!(
    /// Where a declaration is in its workflow.
    DeclarationStatus, "declaration status" {
        /// Being prepared by the national authority; may change.
        Draft => "draft",
        /// Submitted: frozen, recorded in the evidence ledger.
        Submitted => "submitted",
        /// Acknowledged by the Secretariat.
        Acknowledged => "acknowledged",
    }
);

/// A draft to create (`id: None`) or to update (`id: Some`, with the
/// version the editor last read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclarationDraft {
    pub id: Option<DeclarationId>,
    /// For an update: the `version` of the record the change is based on.
    /// Ignored when creating.
    pub expected_version: i64,
    /// The declaring State Party; cannot change once the draft exists.
    pub state_party: StatePartyCode,
    pub reporting_year: i32,
    pub visibility: Visibility,
    pub classification: Classification,
    /// The submission JSON.
    pub body: serde_json::Value,
    /// Hex SHA-256 of the canonical body (computed by the caller).
    pub digest: String,
    /// Who saves the draft.
    pub actor: UserId,
    pub at: Timestamp,
}

/// A stored declaration (a set of CBM forms of one State Party for one
/// reporting year).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclarationRecord {
    pub id: DeclarationId,
    pub state_party: StatePartyCode,
    pub reporting_year: i32,
    pub status: DeclarationStatus,
    pub visibility: Visibility,
    pub classification: Classification,
    pub body: serde_json::Value,
    /// Hex SHA-256 of the canonical body.
    pub digest: String,
    /// Starts at 1, increases by one with every saved change of a draft.
    pub version: i64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_by: Option<UserId>,
    pub submitted_at: Option<Timestamp>,
    /// The ledger index of the "declaration submitted" entry.
    pub ledger_index: Option<u64>,
    pub acknowledged_by: Option<UserId>,
    pub acknowledged_at: Option<Timestamp>,
}

/// Criteria of [`crate::Store::list_declarations`]; `None` matches all.
/// Results are ordered by State Party, reporting year, then id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeclarationFilter {
    pub state_party: Option<StatePartyCode>,
    pub reporting_year: Option<i32>,
    pub status: Option<DeclarationStatus>,
}

// ------------------------------------------------------------ audit log

str_enum!(
    /// How an audited action ended.
    AuditOutcome, "audit outcome" {
        /// Allowed and done.
        Success => "success",
        /// Refused by the access rules.
        Denied => "denied",
        /// Allowed but failed (bad input, storage error).
        Failed => "failed",
    }
);

/// One audit record to append: who did what, when, why, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditRecord {
    pub at: Timestamp,
    /// `None` for anonymous requests.
    pub actor: Option<UserId>,
    pub actor_role: Option<Role>,
    /// What was done, e.g. `"declaration.read"`.
    pub action: String,
    /// The kind of object acted on, e.g. `"declaration"`.
    pub object_kind: String,
    pub object_id: Option<String>,
    /// Classification of the material touched.
    pub classification: Classification,
    /// The justification the request carried.
    pub justification: String,
    pub outcome: AuditOutcome,
    /// Anything else worth keeping (JSON).
    pub detail: serde_json::Value,
}

/// A stored audit record. The audit log is append-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub actor_role: Option<Role>,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub classification: Classification,
    pub justification: String,
    pub outcome: AuditOutcome,
    pub detail: serde_json::Value,
}

/// Criteria and paging of [`crate::Store::list_audit`]; `None` matches all.
/// Results are in id order; page with `after` = the last id seen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records strictly before this time.
    pub until: Option<Timestamp>,
    /// Records with an id greater than this.
    pub after: Option<AuditId>,
    /// At most this many records (the store caps it at
    /// [`AuditFilter::MAX_LIMIT`]; `None` means the cap).
    pub limit: Option<u32>,
}

impl AuditFilter {
    /// Largest page [`crate::Store::list_audit`] returns.
    pub const MAX_LIMIT: u32 = 1000;

    /// The page size to use: `limit` capped at [`AuditFilter::MAX_LIMIT`].
    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(Self::MAX_LIMIT).min(Self::MAX_LIMIT)
    }
}

// ------------------------------------------------- need-to-know grants

/// What a need-to-know grant opens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum GrantTarget {
    /// One object, e.g. kind `"declaration"`, id `"42"`.
    Object { kind: String, id: String },
    /// A named scope whose meaning the access rules define (e.g.
    /// `"state_party:ARC"`).
    Scope { scope: String },
}

/// A need-to-know grant to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGrant {
    pub user_id: UserId,
    pub target: GrantTarget,
    /// The highest classification the grant opens.
    pub classification: Classification,
    pub reason: String,
    pub granted_by: UserId,
    pub granted_at: Timestamp,
    /// Grants always expire.
    pub expires_at: Timestamp,
}

/// A stored grant. Grants are never changed or deleted: a revocation is a
/// new fact recorded beside the grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: GrantId,
    pub user_id: UserId,
    pub target: GrantTarget,
    pub classification: Classification,
    pub reason: String,
    pub granted_by: UserId,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<UserId>,
    pub revoke_reason: Option<String>,
}

impl Grant {
    /// In force at `at`: granted at or before, not yet expired, not revoked
    /// at or before.
    pub fn is_active(&self, at: Timestamp) -> bool {
        self.granted_at <= at
            && at < self.expires_at
            && self.revoked_at.is_none_or(|revoked| revoked > at)
    }
}

// --------------------------------------------------------------- ledger

/// An entry to append to the evidence ledger.
///
/// The leaf hash is RFC 6962 `SHA-256(0x00 ‖ body)`: `body` is the entry's
/// canonical encoding (bwcv-ledger `entry`), which itself names its kind
/// and version. `kind` and `sample_id` are index columns derived from it by
/// the caller, for look-ups; they are not part of the hashed data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLedgerEntry {
    /// The event kind, e.g. `"declaration_submitted"`, `"custody"`.
    pub kind: String,
    /// The canonical encoding; the Merkle leaf data.
    pub body: Vec<u8>,
    /// For custody events: the sample the event concerns.
    pub sample_id: Option<String>,
    pub appended_at: Timestamp,
}

/// A stored ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// 0-based leaf index; indices are dense.
    pub index: u64,
    pub kind: String,
    pub body: Vec<u8>,
    pub leaf_hash: Hash,
    pub sample_id: Option<String>,
    pub appended_at: Timestamp,
}

/// The outcome of an append: the batch got indices
/// `first_index .. new_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAppended {
    pub first_index: u64,
    pub new_size: u64,
    /// RFC 6962 root of the tree of `new_size` leaves.
    pub root: Hash,
}

impl LedgerAppended {
    /// The indices the batch got.
    pub fn indices(&self) -> std::ops::Range<u64> {
        self.first_index..self.new_size
    }
}

/// A checkpoint to keep: the C2SP signed note as text, with the size and
/// root it commits to (the store checks the root against its own tree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note (checkpoint body and signature lines).
    pub note: String,
    pub created_at: Timestamp,
}

/// A stored checkpoint. Several notes may be kept for one size (the same
/// checkpoint with more cosignatures); they all commit to the same root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheckpoint {
    /// Insertion sequence number.
    pub seq: i64,
    pub size: u64,
    pub root: Hash,
    pub note: String,
    pub created_at: Timestamp,
}
