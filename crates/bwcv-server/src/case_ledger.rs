//! Checks that the evidence ledger binds every stored entry of a case or a
//! draw (crates/bwcv-ledger/FORMAT.md §case-event/v2): the ledger entry at
//! the stored `ledger_index` is a `case-event/v2` entry of the same case and
//! entry kind whose `body_sha256` is the SHA-256 of the stored body. A
//! stored body changed behind the store's back, or a ledger entry that does
//! not belong to the stored entry, is reported with the entry it concerns.
//!
//! Entries written before `case-event/v2` (`case-event/v1`) carry no body
//! digest of their own; they are counted as `unbound`, never as checked.

use bwcv_ledger::entry::{CaseEntryKind as LedgerEntryKind, Entry};
use bwcv_ledger::merkle::Hash;
use bwcv_store::{Store, StoreError};
use serde::Serialize;

/// One stored entry the ledger does not bind as it should.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerProblem {
    /// What was checked: `entry 3` of a case, `announcement` or `result` of
    /// a draw.
    pub entry: String,
    pub ledger_index: u64,
    pub reason: String,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LedgerCheck {
    /// Case or draw id.
    pub id: String,
    /// Stored entries whose body the ledger binds and which matched.
    pub checked: u32,
    /// Stored entries recorded as `case-event/v1` (no body digest to check).
    pub unbound: u32,
    pub problems: Vec<LedgerProblem>,
}

impl LedgerCheck {
    /// No problem found (unbound v1 entries are not problems).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks one stored body against the ledger entry at `ledger_index`.
async fn check_one<S: Store>(
    store: &S,
    check: &mut LedgerCheck,
    what: String,
    ledger_index: u64,
    want_kind: LedgerEntryKind,
    body: &str,
    stored_sha256: &str,
) -> Result<(), StoreError> {
    let mut problem = |reason: String| {
        check.problems.push(LedgerProblem {
            entry: what.clone(),
            ledger_index,
            reason,
        })
    };
    let body_sha256 = Hash::digest(body.as_bytes());
    if !body_sha256.to_hex().eq_ignore_ascii_case(stored_sha256) {
        problem(format!(
            "the stored body's SHA-256 is {}, the stored digest says {stored_sha256}",
            body_sha256.to_hex()
        ));
        return Ok(());
    }
    let Some(stored) = store.ledger_entry(ledger_index).await? else {
        problem("no ledger entry at this index".to_owned());
        return Ok(());
    };
    match Entry::decode(&stored.body) {
        Ok(Entry::CaseEventV2(entry)) => {
            if entry.case_id != check.id {
                problem(format!("the ledger entry is of {:?}", entry.case_id));
            } else if entry.entry_kind != want_kind {
                problem(format!(
                    "the ledger entry binds a {} entry, the store holds a {}",
                    entry.entry_kind.as_str(),
                    want_kind.as_str()
                ));
            } else if entry.body_sha256 != body_sha256 {
                problem(format!(
                    "the ledger binds body SHA-256 {}, the stored body's is {}",
                    entry.body_sha256.to_hex(),
                    body_sha256.to_hex()
                ));
            } else {
                check.checked += 1;
            }
        }
        Ok(Entry::CaseEventV1(entry)) if entry.case_id == check.id => check.unbound += 1,
        Ok(other) => problem(format!("the ledger entry is a {} entry", other.tag())),
        Err(error) => problem(format!("the ledger entry does not decode: {error}")),
    }
    Ok(())
}

/// Checks every stored entry of case `case_id` against the ledger.
/// `Ok(None)` when there is no such case.
pub async fn verify_case_ledger<S: Store>(
    store: &S,
    case_id: &str,
) -> Result<Option<LedgerCheck>, StoreError> {
    if store.get_case(case_id).await?.is_none() {
        return Ok(None);
    }
    let mut check = LedgerCheck {
        id: case_id.to_owned(),
        ..LedgerCheck::default()
    };
    for entry in store.case_entries(case_id).await? {
        check_one(
            store,
            &mut check,
            format!("entry {}", entry.sequence),
            entry.ledger_index,
            entry.kind.ledger_kind(),
            &entry.body_json,
            &entry.body_sha256,
        )
        .await?;
    }
    Ok(Some(check))
}

/// Checks a stored draw's announcement and result against the ledger.
/// `Ok(None)` when there is no such draw.
pub async fn verify_draw_ledger<S: Store>(
    store: &S,
    draw_id: &str,
) -> Result<Option<LedgerCheck>, StoreError> {
    let Some(draw) = store.get_draw(draw_id).await? else {
        return Ok(None);
    };
    let mut check = LedgerCheck {
        id: draw_id.to_owned(),
        ..LedgerCheck::default()
    };
    check_one(
        store,
        &mut check,
        "announcement".to_owned(),
        draw.announcement_ledger_index,
        LedgerEntryKind::DrawAnnouncement,
        &draw.announcement_json,
        &draw.announcement_sha256,
    )
    .await?;
    if let (Some(index), Some(body), Some(sha256)) = (
        draw.result_ledger_index,
        draw.result_json.as_deref(),
        draw.result_sha256.as_deref(),
    ) {
        check_one(
            store,
            &mut check,
            "result".to_owned(),
            index,
            LedgerEntryKind::DrawResult,
            body,
            sha256,
        )
        .await?;
    }
    Ok(Some(check))
}
