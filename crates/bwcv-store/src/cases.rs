//! The case store: clarification requests, visits and investigations
//! (their entries), the yearly transparency-visit draws, in-app
//! notifications and the parameter sets cases were computed with.
//!
//! The store knows nothing of `bwcv-cases`: an entry's body is JSON text
//! produced and read by the server with `bwcv-cases` types. The store only
//! keeps it unchanged (checking that `body_sha256` is its SHA-256), keeps
//! the summary columns of [`CaseRecord`] for lists, and appends the
//! ledger entry and the audit record in the same transaction.
//!
//! Append-only (database triggers refuse UPDATE and DELETE): case entries,
//! draws (the announcement never changes; the result columns may be set
//! once, from empty), parameter sets, and, as before, the ledger and the
//! audit log. The case summary row and the notifications' read marks are
//! the only rows that change.

use std::future::Future;

use bwcv_core::{Classification, StatePartyCode};
use bwcv_ledger::merkle::Hash;
use serde::{Deserialize, Serialize};

use crate::{NewAuditRecord, NewLedgerEntry, StoreError, Timestamp, UserId, check_text};

/// Longest case or draw id the store accepts (ids are short codes such as
/// `CL-2026-0003`).
pub const MAX_ID_LEN: usize = 64;

/// Largest page [`CaseStore::list_notifications`] returns.
pub const MAX_NOTIFICATIONS: u32 = 1000;

/// The audit object kind the store sets on case writes.
pub const CASE_OBJECT: &str = "case";
/// The audit object kind the store sets on draw writes.
pub const DRAW_OBJECT: &str = "draw";

// ------------------------------------------------------------------ cases

/// One row per case: the summary the server keeps current (after replaying
/// the case's entries with `bwcv-cases`), for lists, the deadline calendar
/// and reminders. The entries are the record; this row is derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// `bwcv_cases::case::CaseId` text, e.g. `"CL-2026-0003"`; unique.
    pub case_id: String,
    /// The `bwcv_cases` case kind, its serde string.
    pub kind: String,
    /// The current `bwcv_cases` state (serde string) after the last entry.
    pub state: String,
    pub classification: Classification,
    /// The State Party that raised or requested the case.
    pub requesting: Option<StatePartyCode>,
    /// The State Party asked, visited or investigated.
    pub inspected: Option<StatePartyCode>,
    /// One line for lists.
    pub title: String,
    pub opened_by: UserId,
    pub opened_at: Timestamp,
    /// The time (`at`) of the latest entry.
    pub updated_at: Timestamp,
    /// Number of [`CaseEntry`] rows so far (the next entry's `sequence`).
    pub n_records: u32,
    /// Computed by the server from the protocol parameters.
    pub next_deadline: Option<Timestamp>,
    /// What is due at `next_deadline`, e.g. `"reply due"`.
    pub next_deadline_label: Option<String>,
}

/// A case to open: every [`CaseRecord`] field except those the store keeps
/// (`updated_at`, `n_records`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub case_id: String,
    pub kind: String,
    /// The state after the first entry; must equal `first.state_after`.
    pub state: String,
    pub classification: Classification,
    pub requesting: Option<StatePartyCode>,
    pub inspected: Option<StatePartyCode>,
    pub title: String,
    pub opened_by: UserId,
    pub opened_at: Timestamp,
    /// Must equal `first.next_deadline`.
    pub next_deadline: Option<Timestamp>,
    /// Must equal `first.next_deadline_label`.
    pub next_deadline_label: Option<String>,
}

/// What a case entry's body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseEntryKind {
    /// A `bwcv_cases::case::CaseEvent` (a transition).
    Event,
    /// A `bwcv_cases::council::Vote` of an Executive Council member.
    Vote,
    /// A report (findings).
    Report,
    /// A comment (e.g. the inspected State Party's, appended unedited).
    Comment,
}

impl CaseEntryKind {
    /// Every value, in declaration order.
    pub const ALL: &'static [CaseEntryKind] = &[
        CaseEntryKind::Event,
        CaseEntryKind::Vote,
        CaseEntryKind::Report,
        CaseEntryKind::Comment,
    ];

    /// The stored and serialised spelling (lowercase).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseEntryKind::Event => "event",
            CaseEntryKind::Vote => "vote",
            CaseEntryKind::Report => "report",
            CaseEntryKind::Comment => "comment",
        }
    }

    /// The kind of the `case-event/v2` ledger entry that binds a stored
    /// entry of this kind (the ledger has more kinds: documents and draws).
    pub fn ledger_kind(self) -> bwcv_ledger::entry::CaseEntryKind {
        use bwcv_ledger::entry::CaseEntryKind as Ledger;
        match self {
            CaseEntryKind::Event => Ledger::Event,
            CaseEntryKind::Vote => Ledger::Vote,
            CaseEntryKind::Report => Ledger::Report,
            CaseEntryKind::Comment => Ledger::Comment,
        }
    }
}

impl std::fmt::Display for CaseEntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CaseEntryKind {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseEntryKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| crate::UnknownValue {
                kind: "case entry kind",
                value: s.to_owned(),
            })
    }
}

/// An entry to append to a case, with the case's summary after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCaseEntry {
    pub case_id: String,
    /// Must equal the case's `n_records` (optimistic concurrency: a stale
    /// sequence is [`StoreError::Conflict`]); 0 for the first entry.
    pub sequence: u32,
    pub kind: CaseEntryKind,
    pub at: Timestamp,
    pub actor: UserId,
    /// Canonical JSON of the `bwcv-cases` value, kept byte for byte.
    pub body_json: String,
    /// Hex SHA-256 of `body_json` (checked by the store).
    pub body_sha256: String,
    /// The case's state after this entry (written to the case row).
    pub state_after: String,
    /// The case's next deadline after this entry (written to the case row).
    pub next_deadline: Option<Timestamp>,
    pub next_deadline_label: Option<String>,
}

/// A stored case entry. Entries are append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEntry {
    pub case_id: String,
    pub sequence: u32,
    pub kind: CaseEntryKind,
    pub at: Timestamp,
    pub actor: UserId,
    pub body_json: String,
    pub body_sha256: String,
    /// The evidence-ledger index of the entry appended with it.
    pub ledger_index: u64,
}

/// Criteria of [`CaseStore::list_cases`]; all optional and ANDed. Results
/// are ordered by `opened_at` descending, then `case_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseFilter {
    pub kind: Option<String>,
    /// Cases where this State Party is the requesting OR the inspected one.
    pub state_party: Option<StatePartyCode>,
    /// Only cases whose state is not in `terminal_states`.
    pub open_only: bool,
    /// The terminal states (from `bwcv-cases`); used by `open_only`.
    pub terminal_states: Vec<String>,
    /// Only cases with a `next_deadline` strictly before this time.
    pub deadline_before: Option<Timestamp>,
}

// ------------------------------------------------------------------ draws

/// A transparency-visit draw to announce (before its randomness exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDraw {
    /// e.g. `"TV-2027"`; unique.
    pub draw_id: String,
    pub year: i32,
    /// `bwcv_cases::draw::DrawAnnouncement` as JSON.
    pub announcement_json: String,
    /// Hex SHA-256 of `announcement_json` (checked by the store).
    pub announcement_sha256: String,
    pub announced_at: Timestamp,
    pub announced_by: UserId,
}

/// A stored draw. Public. The announcement never changes; the result
/// columns are set once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    pub draw_id: String,
    pub year: i32,
    pub announcement_json: String,
    pub announcement_sha256: String,
    pub announced_at: Timestamp,
    pub announced_by: UserId,
    pub announcement_ledger_index: u64,
    pub result_json: Option<String>,
    pub result_sha256: Option<String>,
    pub run_at: Option<Timestamp>,
    pub run_by: Option<UserId>,
    pub result_ledger_index: Option<u64>,
}

// ---------------------------------------------------------- notifications

/// An in-app notification to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotification {
    pub user_id: UserId,
    pub at: Timestamp,
    pub case_id: Option<String>,
    pub text: String,
    /// A portal path, e.g. `/cases/CL-2026-0003`.
    pub link: String,
}

/// A stored notification. Only `read_at` ever changes (once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Increasing in insertion order.
    pub id: i64,
    pub user_id: UserId,
    pub at: Timestamp,
    pub case_id: Option<String>,
    pub text: String,
    pub link: String,
    pub read_at: Option<Timestamp>,
}

// ------------------------------------------------------------- validation

/// Refuses an empty, overlong or NUL-holding id.
pub fn check_id(field: &str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{field} is empty")));
    }
    if value.len() > MAX_ID_LEN {
        return Err(StoreError::Invalid(format!(
            "{field} is longer than {MAX_ID_LEN} bytes"
        )));
    }
    check_text(field, value)
}

fn check_nonempty(field: &str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{field} is empty")));
    }
    check_text(field, value)
}

/// Refuses text that is not JSON, and a digest that is not its SHA-256.
pub fn check_json_digest(
    field: &str,
    json: &str,
    digest_field: &str,
    digest: &str,
) -> Result<(), StoreError> {
    check_text(field, json)?;
    if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
        return Err(StoreError::Invalid(format!("{field} is not JSON")));
    }
    let stated = Hash::from_hex(digest).map_err(|_| {
        StoreError::Invalid(format!("{digest_field} is not 64 hexadecimal characters"))
    })?;
    if stated != Hash::digest(json.as_bytes()) {
        return Err(StoreError::Invalid(format!(
            "{digest_field} is not the SHA-256 of {field}"
        )));
    }
    Ok(())
}

fn check_deadline_label(
    deadline: Option<Timestamp>,
    label: Option<&str>,
    field: &str,
) -> Result<(), StoreError> {
    if let Some(label) = label {
        check_text(field, label)?;
    }
    if deadline.is_none() && label.is_some() {
        return Err(StoreError::Invalid(format!(
            "{field} is given without a next_deadline"
        )));
    }
    Ok(())
}

impl NewCase {
    /// Checks the fields, and that the first entry belongs to this case and
    /// agrees with its summary.
    pub fn validate(&self, first: &NewCaseEntry) -> Result<(), StoreError> {
        check_id("case_id", &self.case_id)?;
        check_nonempty("kind", &self.kind)?;
        check_nonempty("state", &self.state)?;
        check_text("title", &self.title)?;
        check_deadline_label(
            self.next_deadline,
            self.next_deadline_label.as_deref(),
            "next_deadline_label",
        )?;
        first.validate()?;
        if first.case_id != self.case_id {
            return Err(StoreError::Invalid(format!(
                "first entry's case_id {:?} is not the case's {:?}",
                first.case_id, self.case_id
            )));
        }
        if first.state_after != self.state {
            return Err(StoreError::Invalid(format!(
                "first entry's state_after {:?} is not the case's state {:?}",
                first.state_after, self.state
            )));
        }
        if first.next_deadline != self.next_deadline
            || first.next_deadline_label != self.next_deadline_label
        {
            return Err(StoreError::Invalid(
                "first entry's next_deadline and label are not the case's".to_owned(),
            ));
        }
        Ok(())
    }
}

impl NewCaseEntry {
    pub fn validate(&self) -> Result<(), StoreError> {
        check_id("case_id", &self.case_id)?;
        check_json_digest(
            "body_json",
            &self.body_json,
            "body_sha256",
            &self.body_sha256,
        )?;
        check_nonempty("state_after", &self.state_after)?;
        check_deadline_label(
            self.next_deadline,
            self.next_deadline_label.as_deref(),
            "next_deadline_label",
        )
    }
}

impl CaseFilter {
    pub fn validate(&self) -> Result<(), StoreError> {
        if let Some(kind) = &self.kind {
            check_text("kind", kind)?;
        }
        for state in &self.terminal_states {
            check_text("terminal_states", state)?;
        }
        Ok(())
    }
}

impl NewDraw {
    pub fn validate(&self) -> Result<(), StoreError> {
        check_id("draw_id", &self.draw_id)?;
        check_json_digest(
            "announcement_json",
            &self.announcement_json,
            "announcement_sha256",
            &self.announcement_sha256,
        )
    }
}

/// Checks the result arguments of [`CaseStore::record_draw_result`].
pub fn validate_draw_result(
    draw_id: &str,
    result_json: &str,
    result_sha256: &str,
) -> Result<(), StoreError> {
    check_id("draw_id", draw_id)?;
    check_json_digest("result_json", result_json, "result_sha256", result_sha256)
}

impl NewNotification {
    pub fn validate(&self) -> Result<(), StoreError> {
        if let Some(case_id) = &self.case_id {
            check_id("case_id", case_id)?;
        }
        check_text("text", &self.text)?;
        check_text("link", &self.link)
    }
}

/// Checks the arguments of [`CaseStore::put_parameter_set`].
pub fn validate_parameter_set(digest: &str, version: &str, text: &str) -> Result<(), StoreError> {
    if Hash::from_hex(digest).is_err() {
        return Err(StoreError::Invalid(
            "parameter set digest is not 64 hexadecimal characters".to_owned(),
        ));
    }
    check_text("version", version)?;
    check_text("text", text)
}

/// The audit record of a case write: the store names the object.
pub fn case_audit(mut audit: NewAuditRecord, case_id: &str) -> NewAuditRecord {
    audit.object_kind = CASE_OBJECT.to_owned();
    audit.object_id = Some(case_id.to_owned());
    audit
}

/// The audit record of a draw write: the store names the object.
pub fn draw_audit(mut audit: NewAuditRecord, draw_id: &str) -> NewAuditRecord {
    audit.object_kind = DRAW_OBJECT.to_owned();
    audit.object_id = Some(draw_id.to_owned());
    audit
}

/// The page size of a notification list: `limit` capped at
/// [`MAX_NOTIFICATIONS`].
pub fn notification_limit(limit: u32) -> u32 {
    limit.min(MAX_NOTIFICATIONS)
}

// ------------------------------------------------------------------ trait

/// One entry to append with its ledger entry and audit record
/// ([`CaseStore::append_case_entries`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseWrite {
    pub entry: NewCaseEntry,
    pub ledger_entry: NewLedgerEntry,
    pub audit: NewAuditRecord,
}

/// Checks a batch of [`CaseWrite`]s before a transaction starts: not empty,
/// one case, consecutive sequences; each entry, ledger entry and audit
/// record valid. Returns the case id and the audit records as the store
/// writes them ([`case_audit`]: the case named as their object).
pub fn check_case_writes(
    writes: &[CaseWrite],
) -> Result<(String, Vec<NewAuditRecord>), StoreError> {
    let first = writes
        .first()
        .ok_or_else(|| StoreError::Invalid("writes: at least one entry is needed".into()))?;
    for (offset, write) in writes.iter().enumerate() {
        write.entry.validate()?;
        write.ledger_entry.validate()?;
        if write.entry.case_id != first.entry.case_id {
            return Err(StoreError::Invalid(format!(
                "writes[{offset}].entry.case_id: {} is not {}, the batch's case",
                write.entry.case_id, first.entry.case_id
            )));
        }
        let expected = u64::from(first.entry.sequence) + offset as u64;
        if u64::from(write.entry.sequence) != expected {
            return Err(StoreError::Invalid(format!(
                "writes[{offset}].entry.sequence: {} where {expected} follows",
                write.entry.sequence
            )));
        }
    }
    let case_id = first.entry.case_id.clone();
    let audits = writes
        .iter()
        .map(|write| {
            let audit = case_audit(write.audit.clone(), &case_id);
            audit.validate().map(|()| audit)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((case_id, audits))
}

/// The case store. A supertrait of [`crate::Store`]: every store keeps
/// cases. Conventions as for [`crate::Store`]: `get_*` return `Ok(None)`
/// when nothing matches; every write has committed when it returns `Ok`;
/// composite writes are one transaction.
pub trait CaseStore: Send + Sync {
    /// Opens a case: in ONE transaction inserts the case row and its entry
    /// 0, appends `ledger_entry` to the evidence ledger (its index is kept
    /// with the entry) and the audit record (object set by the store to
    /// (`"case"`, case id)). Conflict if the case id exists or
    /// `first.sequence != 0`; Invalid if a field is wrong (see
    /// [`NewCase::validate`]); NotFound if a user id does not exist.
    fn open_case(
        &self,
        case: NewCase,
        first: NewCaseEntry,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<(CaseRecord, CaseEntry), StoreError>> + Send;

    /// Appends an entry: in ONE transaction checks `entry.sequence` against
    /// the case's `n_records` (Conflict if someone else wrote first),
    /// appends the ledger entry, inserts the case entry, updates the case
    /// row (state, updated_at = `entry.at`, n_records, next deadline and
    /// label) and appends the audit record (object (`"case"`, case id)).
    /// NotFound if there is no such case.
    fn append_case_entry(
        &self,
        entry: NewCaseEntry,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<(CaseRecord, CaseEntry), StoreError>> + Send;

    /// Appends several entries of one case (an event and the text of the
    /// document it records, say) in ONE transaction, in order, each with its
    /// ledger entry and audit record exactly as
    /// [`CaseStore::append_case_entry`] does for one: the first entry's
    /// sequence must be the case's `n_records` and each next one the
    /// following number (Conflict otherwise); all are written or none.
    /// Invalid if `writes` is empty or names more than one case. Returns the
    /// case row after the last entry and the stored entries in order.
    fn append_case_entries(
        &self,
        writes: Vec<CaseWrite>,
    ) -> impl Future<Output = Result<(CaseRecord, Vec<CaseEntry>), StoreError>> + Send;

    fn get_case(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Option<CaseRecord>, StoreError>> + Send;

    /// Cases matching every criterion, by `opened_at` descending, then id.
    fn list_cases(
        &self,
        filter: CaseFilter,
    ) -> impl Future<Output = Result<Vec<CaseRecord>, StoreError>> + Send;

    /// A case's entries in sequence order (empty if there is no such case).
    fn case_entries(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Vec<CaseEntry>, StoreError>> + Send;

    /// How many case ids start with `id_prefix` (exactly, case-sensitive),
    /// for numbering new cases `PREFIX-YEAR-NNNN` (retry on Conflict).
    fn count_cases(&self, id_prefix: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // ------------------------------------------------------------ draws

    /// Announces a draw: in ONE transaction inserts it, appends the ledger
    /// entry (its index is `announcement_ledger_index`) and the audit
    /// record (object (`"draw"`, draw id)). Conflict if the id exists.
    fn announce_draw(
        &self,
        draw: NewDraw,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<DrawRecord, StoreError>> + Send;

    /// Records a draw's result once (`result_json`: the
    /// `bwcv_cases::draw::DrawResult` with the beacon values; `result_sha256`
    /// its hex SHA-256, checked): in ONE transaction sets the result
    /// columns, appends the ledger entry (`result_ledger_index`) and the
    /// audit record (object (`"draw"`, draw id)). NotFound if there is no
    /// such draw; Conflict if it already has a result. The announcement
    /// never changes.
    #[allow(clippy::too_many_arguments)]
    fn record_draw_result(
        &self,
        draw_id: &str,
        result_json: &str,
        result_sha256: &str,
        run_at: Timestamp,
        run_by: UserId,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> impl Future<Output = Result<DrawRecord, StoreError>> + Send;

    fn get_draw(
        &self,
        draw_id: &str,
    ) -> impl Future<Output = Result<Option<DrawRecord>, StoreError>> + Send;

    /// Every draw, by year descending, then id.
    fn list_draws(&self) -> impl Future<Output = Result<Vec<DrawRecord>, StoreError>> + Send;

    // ---------------------------------------------------- notifications

    /// Adds notifications in one transaction (all or none). NotFound if a
    /// user does not exist. An empty list changes nothing.
    fn add_notifications(
        &self,
        notifications: Vec<NewNotification>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A user's notifications, newest first (id descending), at most
    /// `limit` (capped at [`MAX_NOTIFICATIONS`]).
    fn list_notifications(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;

    fn count_unread_notifications(
        &self,
        user_id: UserId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Marks the user's unread notifications with `id <= up_to_id` read at
    /// `at`; returns how many. Other users' notifications are untouched;
    /// already read ones keep their first read time.
    fn mark_notifications_read(
        &self,
        user_id: UserId,
        up_to_id: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // --------------------------------------------------- parameter sets

    /// Keeps a parameter set for replay (idempotent). Conflict if the
    /// digest is stored with a different version or text.
    fn put_parameter_set(
        &self,
        digest: &str,
        version: &str,
        text: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `(version, text)` of the set with this digest.
    fn get_parameter_set(
        &self,
        digest: &str,
    ) -> impl Future<Output = Result<Option<(String, String)>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> NewCaseEntry {
        NewCaseEntry {
            case_id: "CL-2026-0001".into(),
            sequence: 0,
            kind: CaseEntryKind::Event,
            at: Timestamp::default(),
            actor: UserId(1),
            body_json: body.into(),
            body_sha256: Hash::digest(body.as_bytes()).to_hex(),
            state_after: "filed".into(),
            next_deadline: None,
            next_deadline_label: None,
        }
    }

    #[test]
    fn entry_digest_is_checked() {
        assert!(entry("{\"a\":1}").validate().is_ok());
        let mut wrong = entry("{\"a\":1}");
        wrong.body_sha256 = Hash::digest(b"other").to_hex();
        assert!(matches!(wrong.validate(), Err(StoreError::Invalid(_))));
        wrong.body_sha256 = "xyz".into();
        assert!(matches!(wrong.validate(), Err(StoreError::Invalid(_))));
        assert!(matches!(
            entry("not json").validate(),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            entry("\"a\\u0000\"").validate(),
            Ok(()) // escaped NUL is JSON text without a NUL character
        ));
    }

    #[test]
    fn ids_and_labels() {
        assert!(check_id("case_id", "").is_err());
        assert!(check_id("case_id", &"x".repeat(MAX_ID_LEN + 1)).is_err());
        assert!(check_id("case_id", "CL\0").is_err());
        let mut labelled = entry("{}");
        labelled.next_deadline_label = Some("reply due".into());
        assert!(labelled.validate().is_err());
        for kind in CaseEntryKind::ALL {
            assert_eq!(kind.as_str().parse::<CaseEntryKind>().unwrap(), *kind);
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}
