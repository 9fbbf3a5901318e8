//! [`CaseStore`] on SQLite (tables of `migrations/0003_cases.sql`).
//!
//! Every composite write is one `BEGIN IMMEDIATE` transaction on the
//! writer connection, so the sequence check of an append cannot race
//! another writer; the ledger append and the audit insertion are the
//! store's own ([`crate::append_on`], [`crate::insert_audit`]).

use bwcv_core::{Classification, StatePartyCode};
use bwcv_store::cases::{
    CaseEntry, CaseEntryKind, CaseFilter, CaseRecord, CaseStore, CaseWrite, DrawRecord, NewCase,
    NewCaseEntry, NewDraw, NewNotification, Notification, case_audit, draw_audit,
    notification_limit, validate_draw_result, validate_parameter_set,
};
use bwcv_store::{NewAuditRecord, NewLedgerEntry, StoreError, Timestamp, UserId, check_text};
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Sqlite};

use crate::rows::{
    convert_all, corrupt, opt_time_text, parse, parse_opt_time, parse_time, time_text, to_u64,
};
use crate::{SqliteStore, append_on, db_error, insert_audit, to_i64};

const CASE_COLUMNS: &str = "case_id, kind, state, classification, requesting, inspected, title, \
     opened_by, opened_at, updated_at, n_records, next_deadline, next_deadline_label";
const CASE_ENTRY_COLUMNS: &str =
    "case_id, sequence, kind, at, actor, body_json, body_sha256, ledger_index";
const DRAW_COLUMNS: &str = "draw_id, year, announcement_json, announcement_sha256, announced_at, \
     announced_by, announcement_ledger_index, result_json, result_sha256, run_at, run_by, \
     result_ledger_index";
const NOTIFICATION_COLUMNS: &str = "id, user_id, at, case_id, text, link, read_at";

#[derive(Debug, sqlx::FromRow)]
struct CaseRow {
    case_id: String,
    kind: String,
    state: String,
    classification: String,
    requesting: Option<String>,
    inspected: Option<String>,
    title: String,
    opened_by: i64,
    opened_at: String,
    updated_at: String,
    n_records: i64,
    next_deadline: Option<String>,
    next_deadline_label: Option<String>,
}

fn party(column: &str, code: Option<&str>) -> Result<Option<StatePartyCode>, StoreError> {
    code.map(|code| parse::<StatePartyCode>(column, code))
        .transpose()
}

impl TryFrom<CaseRow> for CaseRecord {
    type Error = StoreError;
    fn try_from(row: CaseRow) -> Result<Self, StoreError> {
        Ok(CaseRecord {
            classification: parse::<Classification>("cases.classification", &row.classification)?,
            requesting: party("cases.requesting", row.requesting.as_deref())?,
            inspected: party("cases.inspected", row.inspected.as_deref())?,
            opened_by: UserId(row.opened_by),
            opened_at: parse_time("cases.opened_at", &row.opened_at)?,
            updated_at: parse_time("cases.updated_at", &row.updated_at)?,
            n_records: u32::try_from(row.n_records)
                .map_err(|_| corrupt("cases.n_records", &row.n_records.to_string()))?,
            next_deadline: parse_opt_time("cases.next_deadline", row.next_deadline.as_deref())?,
            next_deadline_label: row.next_deadline_label,
            case_id: row.case_id,
            kind: row.kind,
            state: row.state,
            title: row.title,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct CaseEntryRow {
    case_id: String,
    sequence: i64,
    kind: String,
    at: String,
    actor: i64,
    body_json: String,
    body_sha256: String,
    ledger_index: i64,
}

impl TryFrom<CaseEntryRow> for CaseEntry {
    type Error = StoreError;
    fn try_from(row: CaseEntryRow) -> Result<Self, StoreError> {
        Ok(CaseEntry {
            sequence: u32::try_from(row.sequence)
                .map_err(|_| corrupt("case_entries.sequence", &row.sequence.to_string()))?,
            kind: parse::<CaseEntryKind>("case_entries.kind", &row.kind)?,
            at: parse_time("case_entries.at", &row.at)?,
            actor: UserId(row.actor),
            ledger_index: to_u64("case_entries.ledger_index", row.ledger_index)?,
            case_id: row.case_id,
            body_json: row.body_json,
            body_sha256: row.body_sha256,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct DrawRow {
    draw_id: String,
    year: i64,
    announcement_json: String,
    announcement_sha256: String,
    announced_at: String,
    announced_by: i64,
    announcement_ledger_index: i64,
    result_json: Option<String>,
    result_sha256: Option<String>,
    run_at: Option<String>,
    run_by: Option<i64>,
    result_ledger_index: Option<i64>,
}

impl TryFrom<DrawRow> for DrawRecord {
    type Error = StoreError;
    fn try_from(row: DrawRow) -> Result<Self, StoreError> {
        Ok(DrawRecord {
            year: i32::try_from(row.year)
                .map_err(|_| corrupt("draws.year", &row.year.to_string()))?,
            announced_at: parse_time("draws.announced_at", &row.announced_at)?,
            announced_by: UserId(row.announced_by),
            announcement_ledger_index: to_u64(
                "draws.announcement_ledger_index",
                row.announcement_ledger_index,
            )?,
            run_at: parse_opt_time("draws.run_at", row.run_at.as_deref())?,
            run_by: row.run_by.map(UserId),
            result_ledger_index: row
                .result_ledger_index
                .map(|index| to_u64("draws.result_ledger_index", index))
                .transpose()?,
            draw_id: row.draw_id,
            announcement_json: row.announcement_json,
            announcement_sha256: row.announcement_sha256,
            result_json: row.result_json,
            result_sha256: row.result_sha256,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    user_id: i64,
    at: String,
    case_id: Option<String>,
    text: String,
    link: String,
    read_at: Option<String>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(row: NotificationRow) -> Result<Self, StoreError> {
        Ok(Notification {
            id: row.id,
            user_id: UserId(row.user_id),
            at: parse_time("notifications.at", &row.at)?,
            read_at: parse_opt_time("notifications.read_at", row.read_at.as_deref())?,
            case_id: row.case_id,
            text: row.text,
            link: row.link,
        })
    }
}

async fn case_on(
    conn: &mut SqliteConnection,
    case_id: &str,
) -> Result<Option<CaseRecord>, StoreError> {
    let row: Option<CaseRow> = sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE case_id = ?"
    ))
    .bind(case_id)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(CaseRecord::try_from).transpose()
}

async fn draw_on(
    conn: &mut SqliteConnection,
    draw_id: &str,
) -> Result<Option<DrawRecord>, StoreError> {
    let row: Option<DrawRow> = sqlx::query_as(&format!(
        "SELECT {DRAW_COLUMNS} FROM draws WHERE draw_id = ?"
    ))
    .bind(draw_id)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(DrawRecord::try_from).transpose()
}

/// Inserts the entry (after its ledger entry got `ledger_index`) and
/// returns it as stored.
async fn insert_entry(
    conn: &mut SqliteConnection,
    entry: &NewCaseEntry,
    ledger_index: u64,
) -> Result<CaseEntry, StoreError> {
    let row: CaseEntryRow = sqlx::query_as(&format!(
        "INSERT INTO case_entries ({CASE_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         RETURNING {CASE_ENTRY_COLUMNS}"
    ))
    .bind(&entry.case_id)
    .bind(i64::from(entry.sequence))
    .bind(entry.kind.as_str())
    .bind(time_text(entry.at))
    .bind(entry.actor.0)
    .bind(&entry.body_json)
    .bind(&entry.body_sha256)
    .bind(to_i64("ledger index", ledger_index)?)
    .fetch_one(conn)
    .await
    .map_err(db_error)?;
    CaseEntry::try_from(row)
}

/// Writes the summary after `entry` to the case row, which must still be
/// at `entry.sequence` records (Conflict otherwise).
async fn update_summary(
    conn: &mut SqliteConnection,
    entry: &NewCaseEntry,
) -> Result<CaseRecord, StoreError> {
    let row: Option<CaseRow> = sqlx::query_as(&format!(
        "UPDATE cases SET state = ?, updated_at = ?, n_records = n_records + 1, \
         next_deadline = ?, next_deadline_label = ? WHERE case_id = ? AND n_records = ? \
         RETURNING {CASE_COLUMNS}"
    ))
    .bind(&entry.state_after)
    .bind(time_text(entry.at))
    .bind(opt_time_text(entry.next_deadline))
    .bind(&entry.next_deadline_label)
    .bind(&entry.case_id)
    .bind(i64::from(entry.sequence))
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(CaseRecord::try_from)
        .transpose()?
        .ok_or(StoreError::Conflict)
}

impl CaseStore for SqliteStore {
    async fn open_case(
        &self,
        case: NewCase,
        first: NewCaseEntry,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> Result<(CaseRecord, CaseEntry), StoreError> {
        case.validate(&first)?;
        ledger_entry.validate()?;
        let audit = case_audit(audit, &case.case_id);
        audit.validate()?;
        if first.sequence != 0 {
            return Err(StoreError::Conflict);
        }
        let mut tx = self.begin().await?;
        // Checked here (the writer holds the lock): the no-replace trigger
        // would refuse a taken id with a generic error.
        if case_on(&mut tx, &case.case_id).await?.is_some() {
            return Err(StoreError::Conflict);
        }
        sqlx::query(
            "INSERT INTO cases (case_id, kind, state, classification, requesting, inspected, \
             title, opened_by, opened_at, updated_at, n_records, next_deadline, \
             next_deadline_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        )
        .bind(&case.case_id)
        .bind(&case.kind)
        .bind(&case.state)
        .bind(case.classification.as_str())
        .bind(case.requesting.as_ref().map(|code| code.as_str()))
        .bind(case.inspected.as_ref().map(|code| code.as_str()))
        .bind(&case.title)
        .bind(case.opened_by.0)
        .bind(time_text(case.opened_at))
        .bind(time_text(first.at))
        .bind(opt_time_text(case.next_deadline))
        .bind(&case.next_deadline_label)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let appended = append_on(&mut tx, std::slice::from_ref(&ledger_entry)).await?;
        let entry = insert_entry(&mut tx, &first, appended.first_index).await?;
        let record = update_summary(&mut tx, &first).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok((record, entry))
    }

    async fn append_case_entry(
        &self,
        entry: NewCaseEntry,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> Result<(CaseRecord, CaseEntry), StoreError> {
        entry.validate()?;
        ledger_entry.validate()?;
        let audit = case_audit(audit, &entry.case_id);
        audit.validate()?;
        let mut tx = self.begin().await?;
        let current = case_on(&mut tx, &entry.case_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.n_records != entry.sequence {
            return Err(StoreError::Conflict);
        }
        let appended = append_on(&mut tx, std::slice::from_ref(&ledger_entry)).await?;
        let stored = insert_entry(&mut tx, &entry, appended.first_index).await?;
        let record = update_summary(&mut tx, &entry).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok((record, stored))
    }

    async fn append_case_entries(
        &self,
        writes: Vec<CaseWrite>,
    ) -> Result<(CaseRecord, Vec<CaseEntry>), StoreError> {
        let (case_id, audits) = bwcv_store::cases::check_case_writes(&writes)?;
        let case_id = case_id.as_str();
        let mut tx = self.begin().await?;
        let current = case_on(&mut tx, case_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.n_records != writes[0].entry.sequence {
            return Err(StoreError::Conflict);
        }
        let mut record = current;
        let mut stored = Vec::with_capacity(writes.len());
        for (write, audit) in writes.iter().zip(&audits) {
            let appended = append_on(&mut tx, std::slice::from_ref(&write.ledger_entry)).await?;
            stored.push(insert_entry(&mut tx, &write.entry, appended.first_index).await?);
            record = update_summary(&mut tx, &write.entry).await?;
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok((record, stored))
    }

    async fn get_case(&self, case_id: &str) -> Result<Option<CaseRecord>, StoreError> {
        check_text("case_id", case_id)?;
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        case_on(&mut conn, case_id).await
    }

    async fn list_cases(&self, filter: CaseFilter) -> Result<Vec<CaseRecord>, StoreError> {
        filter.validate()?;
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
        if let Some(kind) = &filter.kind {
            query.push(" AND kind = ").push_bind(kind.clone());
        }
        if let Some(state_party) = &filter.state_party {
            let code = state_party.as_str().to_owned();
            query
                .push(" AND (requesting = ")
                .push_bind(code.clone())
                .push(" OR inspected = ")
                .push_bind(code)
                .push(")");
        }
        if filter.open_only && !filter.terminal_states.is_empty() {
            query.push(" AND state NOT IN (");
            let mut states = query.separated(", ");
            for state in &filter.terminal_states {
                states.push_bind(state.clone());
            }
            query.push(")");
        }
        if let Some(before) = filter.deadline_before {
            query
                .push(" AND next_deadline IS NOT NULL AND next_deadline < ")
                .push_bind(time_text(before));
        }
        query.push(" ORDER BY opened_at DESC, case_id");
        let rows: Vec<CaseRow> = query
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        convert_all(rows)
    }

    async fn case_entries(&self, case_id: &str) -> Result<Vec<CaseEntry>, StoreError> {
        check_text("case_id", case_id)?;
        let rows: Vec<CaseEntryRow> = sqlx::query_as(&format!(
            "SELECT {CASE_ENTRY_COLUMNS} FROM case_entries WHERE case_id = ? ORDER BY sequence"
        ))
        .bind(case_id)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn count_cases(&self, id_prefix: &str) -> Result<u64, StoreError> {
        check_text("id_prefix", id_prefix)?;
        // substr/length count characters on both sides: an exact prefix
        // test, without LIKE's wildcards.
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE substr(case_id, 1, length(?1)) = ?1",
        )
        .bind(id_prefix)
        .fetch_one(&self.reader)
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    // -------------------------------------------------------------- draws

    async fn announce_draw(
        &self,
        draw: NewDraw,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> Result<DrawRecord, StoreError> {
        draw.validate()?;
        ledger_entry.validate()?;
        let audit = draw_audit(audit, &draw.draw_id);
        audit.validate()?;
        let mut tx = self.begin().await?;
        if draw_on(&mut tx, &draw.draw_id).await?.is_some() {
            return Err(StoreError::Conflict);
        }
        let appended = append_on(&mut tx, std::slice::from_ref(&ledger_entry)).await?;
        let row: DrawRow = sqlx::query_as(&format!(
            "INSERT INTO draws (draw_id, year, announcement_json, announcement_sha256, \
             announced_at, announced_by, announcement_ledger_index) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {DRAW_COLUMNS}"
        ))
        .bind(&draw.draw_id)
        .bind(draw.year)
        .bind(&draw.announcement_json)
        .bind(&draw.announcement_sha256)
        .bind(time_text(draw.announced_at))
        .bind(draw.announced_by.0)
        .bind(to_i64("ledger index", appended.first_index)?)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let record = DrawRecord::try_from(row)?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn record_draw_result(
        &self,
        draw_id: &str,
        result_json: &str,
        result_sha256: &str,
        run_at: Timestamp,
        run_by: UserId,
        ledger_entry: NewLedgerEntry,
        audit: NewAuditRecord,
    ) -> Result<DrawRecord, StoreError> {
        validate_draw_result(draw_id, result_json, result_sha256)?;
        ledger_entry.validate()?;
        let audit = draw_audit(audit, draw_id);
        audit.validate()?;
        let mut tx = self.begin().await?;
        let current = draw_on(&mut tx, draw_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.result_json.is_some() {
            return Err(StoreError::Conflict);
        }
        let appended = append_on(&mut tx, std::slice::from_ref(&ledger_entry)).await?;
        let row: Option<DrawRow> = sqlx::query_as(&format!(
            "UPDATE draws SET result_json = ?, result_sha256 = ?, run_at = ?, run_by = ?, \
             result_ledger_index = ? WHERE draw_id = ? AND result_json IS NULL \
             RETURNING {DRAW_COLUMNS}"
        ))
        .bind(result_json)
        .bind(result_sha256)
        .bind(time_text(run_at))
        .bind(run_by.0)
        .bind(to_i64("ledger index", appended.first_index)?)
        .bind(draw_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let record = row
            .map(DrawRecord::try_from)
            .transpose()?
            .ok_or(StoreError::Conflict)?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn get_draw(&self, draw_id: &str) -> Result<Option<DrawRecord>, StoreError> {
        check_text("draw_id", draw_id)?;
        let mut conn = self.reader.acquire().await.map_err(db_error)?;
        draw_on(&mut conn, draw_id).await
    }

    async fn list_draws(&self) -> Result<Vec<DrawRecord>, StoreError> {
        let rows: Vec<DrawRow> = sqlx::query_as(&format!(
            "SELECT {DRAW_COLUMNS} FROM draws ORDER BY year DESC, draw_id"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    // ------------------------------------------------------ notifications

    async fn add_notifications(
        &self,
        notifications: Vec<NewNotification>,
    ) -> Result<(), StoreError> {
        for notification in &notifications {
            notification.validate()?;
        }
        if notifications.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for notification in &notifications {
            sqlx::query(
                "INSERT INTO notifications (user_id, at, case_id, text, link) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(notification.user_id.0)
            .bind(time_text(notification.at))
            .bind(&notification.case_id)
            .bind(&notification.text)
            .bind(&notification.link)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = ?{} \
             ORDER BY id DESC LIMIT ?",
            if unread_only {
                " AND read_at IS NULL"
            } else {
                ""
            }
        ))
        .bind(user_id.0)
        .bind(i64::from(notification_limit(limit)))
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        convert_all(rows)
    }

    async fn count_unread_notifications(&self, user_id: UserId) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
        )
        .bind(user_id.0)
        .fetch_one(&self.reader)
        .await
        .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn mark_notifications_read(
        &self,
        user_id: UserId,
        up_to_id: i64,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = ? \
             WHERE user_id = ? AND id <= ? AND read_at IS NULL",
        )
        .bind(time_text(at))
        .bind(user_id.0)
        .bind(up_to_id)
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    // ----------------------------------------------------- parameter sets

    async fn put_parameter_set(
        &self,
        digest: &str,
        version: &str,
        text: &str,
    ) -> Result<(), StoreError> {
        validate_parameter_set(digest, version, text)?;
        let digest = digest.to_ascii_lowercase();
        let mut tx = self.begin().await?;
        let stored: Option<(String, String)> =
            sqlx::query_as("SELECT version, text FROM parameter_sets WHERE digest = ?")
                .bind(&digest)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        if let Some((stored_version, stored_text)) = stored {
            // Idempotent: the same set again is fine (nothing to write).
            return if stored_version == version && stored_text == text {
                Ok(())
            } else {
                Err(StoreError::Conflict)
            };
        }
        sqlx::query("INSERT INTO parameter_sets (digest, version, text) VALUES (?, ?, ?)")
            .bind(&digest)
            .bind(version)
            .bind(text)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(())
    }

    async fn get_parameter_set(
        &self,
        digest: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        check_text("digest", digest)?;
        sqlx::query_as("SELECT version, text FROM parameter_sets WHERE digest = ?")
            .bind(digest.to_ascii_lowercase())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)
    }
}
