//! The deadlines calendar (issue 5, "Portal": deadlines calendar) and the
//! case helpers the Council, calendar and notification pages share.
//!
//! - `GET /calendar?month=YYYY-MM[&all=1]`: a month grid, and beneath it
//!   the same events as an accessible list, of the deadlines of the open
//!   cases the user may list (`bwcv_core::access::decide`, `Action::List`).
//!   By default each case shows its row's next deadline (kept current by
//!   the server after every entry); with `all=1` every open case is
//!   replayed and every time limit in force is shown
//!   (`bwcv_cases::deadline::deadlines`: "due by" and "not before" limits,
//!   with the parameter each comes from). A "due by" limit in the past is
//!   marked overdue.
//! - `GET /calendar.ics`: the same events (every month) as an RFC 5545
//!   iCalendar file.
//!
//! Listing Protected cases is audited (one record per view naming them).

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bwcv_cases::case::{Case, CaseKind, State as CaseState};
use bwcv_cases::deadline::{self, Bound};
use bwcv_core::Classification;
use bwcv_core::access::{self, Action};
use bwcv_core::params::ParameterSet;
use bwcv_store::cases::{CaseFilter, CaseRecord};
use bwcv_store::{AuditOutcome, Store};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Auth, WebAuth};
use crate::error::{Failure, WebError};
use crate::pages::{Nav, audit, render};

// ----------------------------------------------------- shared case helpers

/// The label of a time limit: what is due (or allowed) when.
pub(crate) fn deadline_label(limit: &deadline::Deadline) -> String {
    let step = limit.step.as_str().replace('_', " ");
    match limit.bound {
        Bound::NotAfter => format!("{step} due"),
        Bound::NotBefore => format!("{step} not before"),
    }
}

/// The earliest "due by" limit in force, for the case row (as the case
/// pages keep it).
pub(crate) fn next_deadline(
    case: &Case,
    params: &ParameterSet,
) -> (Option<DateTime<Utc>>, Option<String>) {
    let limits = deadline::deadlines(case, params).unwrap_or_default();
    match limits
        .iter()
        .filter(|limit| limit.bound == Bound::NotAfter)
        .min_by_key(|limit| limit.due)
    {
        Some(limit) => (Some(limit.due), Some(deadline_label(limit))),
        None => (None, None),
    }
}

#[derive(Template)]
#[template(path = "justify.html")]
struct JustifyPage {
    nav: Nav,
    action: String,
}

/// The page asking for a justification before Protected material is shown.
pub(crate) fn justify_page(auth: &Auth, action: String) -> Result<Response, WebError> {
    render(&JustifyPage {
        nav: Nav::of(auth),
        action,
    })
}

/// The open cases `auth` may list; listing Protected ones is audited with
/// `purpose`.
pub(crate) async fn visible_open_cases<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    purpose: &str,
) -> Result<Vec<CaseRecord>, Failure> {
    let filter = CaseFilter {
        open_only: true,
        terminal_states: CaseState::ALL
            .iter()
            .filter(|state| state.is_terminal())
            .map(|state| state.as_str().to_owned())
            .collect(),
        ..CaseFilter::default()
    };
    let now = Utc::now().timestamp();
    let visible: Vec<CaseRecord> = state
        .store
        .list_cases(filter)
        .await?
        .into_iter()
        .filter(|record| {
            // Open cases: the summary row tells the access rules enough.
            let Some(kind) = CaseKind::ALL.iter().find(|k| k.as_str() == record.kind) else {
                return false;
            };
            crate::cases::case_meta(record, *kind, None).is_some_and(|meta| {
                access::decide(&auth.principal(), Action::List, &meta, &[], now).is_allowed()
            })
        })
        .collect();
    let protected: Vec<&str> = visible
        .iter()
        .filter(|record| access::requires_audit(Action::List, record.classification))
        .map(|record| record.case_id.as_str())
        .collect();
    if !protected.is_empty() {
        audit(
            state,
            Some(auth),
            "case.list",
            "case",
            None,
            Classification::Protected,
            purpose,
            AuditOutcome::Success,
            serde_json::json!({"cases": protected}),
        )
        .await?;
    }
    Ok(visible)
}

// ------------------------------------------------------------ the events

/// One deadline shown in the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub due: DateTime<Utc>,
    pub case_id: String,
    pub title: String,
    pub what: String,
    /// "due by" limit in the past.
    pub overdue: bool,
    /// A parameter-derived limit: its parameter and value.
    pub source: String,
}

/// The events of `cases`: each row's next deadline, or (`all`) every time
/// limit in force after replaying the case. Sorted by due time, then case.
pub(crate) async fn events<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    cases: &[CaseRecord],
    all: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Failure> {
    let mut events = Vec::new();
    for record in cases {
        if all {
            // Every limit needs the history: read through the one loading
            // path (access decided again; a Protected read audited).
            let loaded = match crate::cases::load_visible_case(
                state,
                auth,
                &record.case_id,
                Some("deadlines calendar: every time limit"),
            )
            .await
            {
                Ok(loaded) => loaded,
                Err(Failure::NotFound | Failure::Forbidden(_)) => continue,
                Err(other) => return Err(other),
            };
            let limits = deadline::deadlines(&loaded.case, &loaded.params)
                .map_err(|error| Failure::Internal(format!("deadlines: {error}")))?;
            for limit in limits {
                events.push(Event {
                    due: limit.due,
                    case_id: record.case_id.clone(),
                    title: record.title.clone(),
                    what: deadline_label(&limit),
                    overdue: limit.bound == Bound::NotAfter && limit.due < now,
                    source: format!(
                        "{} = {} {} (parameter set {})",
                        limit.parameter_name,
                        limit.parameter_value,
                        limit.parameter_unit,
                        limit.parameter_version
                    ),
                });
            }
        } else if let Some(due) = record.next_deadline {
            let what = record
                .next_deadline_label
                .clone()
                .unwrap_or_else(|| "next step due".to_owned());
            events.push(Event {
                due,
                case_id: record.case_id.clone(),
                title: record.title.clone(),
                overdue: due < now && !what.contains("not before"),
                what,
                source: String::new(),
            });
        }
    }
    events.sort_by(|a, b| (a.due, &a.case_id, &a.what).cmp(&(b.due, &b.case_id, &b.what)));
    Ok(events)
}

/// The first day of the month `YYYY-MM`, or `None` when it is not one.
pub(crate) fn parse_month(text: &str) -> Option<NaiveDate> {
    let (year, month) = text.trim().split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn add_months(first: NaiveDate, months: i32) -> Option<NaiveDate> {
    let index = first.year() * 12 + first.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
}

/// The weeks (Monday first) of the month starting at `first`: each day is
/// `Some(date)` inside the month, `None` outside.
pub(crate) fn month_weeks(first: NaiveDate) -> Vec<Vec<Option<NaiveDate>>> {
    let lead = first.weekday().num_days_from_monday() as i64;
    let next = add_months(first, 1).unwrap_or(first);
    let mut weeks = Vec::new();
    let mut day = first - Duration::days(lead);
    while day < next {
        let week = (0..7)
            .map(|offset| {
                let date = day + Duration::days(offset);
                (date.month() == first.month() && date.year() == first.year()).then_some(date)
            })
            .collect();
        weeks.push(week);
        day += Duration::days(7);
    }
    weeks
}

// ---------------------------------------------------------- iCalendar

/// RFC 5545 §3.3.11: backslash, semicolon, comma and new lines escaped.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF + space),
/// never inside a UTF-8 character.
fn ics_line(out: &mut String, line: &str) {
    let mut width = 0;
    for character in line.chars() {
        let size = character.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(character);
        width += size;
    }
    out.push_str("\r\n");
}

fn ics_time(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The events as an RFC 5545 VCALENDAR (one VEVENT each, zero duration).
pub(crate) fn icalendar(events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bwcv//deadlines calendar//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:bwcv case deadlines",
    ] {
        ics_line(&mut out, line);
    }
    for event in events {
        let mut uid = String::new();
        let _ = write!(
            uid,
            "{}-{}-{}@bwcv",
            event.case_id,
            event.what.replace(' ', "-"),
            event.due.timestamp()
        );
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(&mut out, &format!("UID:{}", ics_text(&uid)));
        ics_line(&mut out, &format!("DTSTAMP:{}", ics_time(now)));
        ics_line(&mut out, &format!("DTSTART:{}", ics_time(event.due)));
        ics_line(&mut out, &format!("DTEND:{}", ics_time(event.due)));
        let overdue = if event.overdue { " (overdue)" } else { "" };
        ics_line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                ics_text(&format!("{}: {}{overdue}", event.case_id, event.what))
            ),
        );
        let mut description = format!("{} (portal page /cases/{})", event.title, event.case_id);
        if !event.source.is_empty() {
            description.push_str(&format!("\n{}", event.source));
        }
        ics_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&description)));
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

// ------------------------------------------------------------ templates

#[derive(Debug, Clone)]
struct DayEvent {
    case_id: String,
    what: String,
    overdue: bool,
}

#[derive(Debug, Clone)]
struct Day {
    number: u32,
    in_month: bool,
    today: bool,
    label: String,
    events: Vec<DayEvent>,
}

#[derive(Debug, Clone)]
struct ListRow {
    due: String,
    case_id: String,
    title: String,
    what: String,
    overdue: bool,
    source: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    nav: Nav,
    month: String,
    month_label: String,
    previous: String,
    next: String,
    all: bool,
    weeks: Vec<Vec<Day>>,
    rows: Vec<ListRow>,
    earlier_overdue: Vec<ListRow>,
    error: String,
}

fn list_row(event: &Event) -> ListRow {
    ListRow {
        due: event.due.format("%Y-%m-%d %H:%M UTC").to_string(),
        case_id: event.case_id.clone(),
        title: event.title.clone(),
        what: event.what.clone(),
        overdue: event.overdue,
        source: event.source.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CalendarQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    all: Option<String>,
}

fn wants_all(query: &CalendarQuery) -> bool {
    matches!(query.all.as_deref(), Some("1" | "true" | "on" | "yes"))
}

/// `GET /calendar`.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let today = now.date_naive();
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let (first, error) = match query.month.as_deref().map(str::trim) {
        None | Some("") => (this_month, String::new()),
        Some(text) => match parse_month(text) {
            Some(first) => (first, String::new()),
            None => (
                this_month,
                format!("{text:?} is not a month; write YYYY-MM, e.g. 2027-03"),
            ),
        },
    };
    let all = wants_all(&query);
    let cases = visible_open_cases(&state, &auth, "deadlines calendar").await?;
    let events = events(&state, &auth, &cases, all, now).await?;
    let next_first = add_months(first, 1).unwrap_or(first);
    let in_month: Vec<&Event> = events
        .iter()
        .filter(|event| {
            let date = event.due.date_naive();
            date >= first && date < next_first
        })
        .collect();
    let weeks = month_weeks(first)
        .into_iter()
        .map(|week| {
            week.into_iter()
                .map(|day| match day {
                    Some(date) => Day {
                        number: date.day(),
                        in_month: true,
                        today: date == today,
                        label: date.format("%A %-d %B %Y").to_string(),
                        events: in_month
                            .iter()
                            .filter(|event| event.due.date_naive() == date)
                            .map(|event| DayEvent {
                                case_id: event.case_id.clone(),
                                what: event.what.clone(),
                                overdue: event.overdue,
                            })
                            .collect(),
                    },
                    None => Day {
                        number: 0,
                        in_month: false,
                        today: false,
                        label: String::new(),
                        events: Vec::new(),
                    },
                })
                .collect()
        })
        .collect();
    let earlier_overdue = events
        .iter()
        .filter(|event| event.overdue && event.due.date_naive() < first)
        .map(list_row)
        .collect();
    let mut response = render(&CalendarPage {
        nav: Nav::of(&auth),
        month: first.format("%Y-%m").to_string(),
        month_label: first.format("%B %Y").to_string(),
        previous: add_months(first, -1)
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_default(),
        next: next_first.format("%Y-%m").to_string(),
        all,
        weeks,
        rows: in_month.iter().map(|event| list_row(event)).collect(),
        earlier_overdue,
        error: error.clone(),
    })?;
    if !error.is_empty() {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /calendar.ics`: every deadline of the visible open cases.
pub(crate) async fn ics<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let cases = visible_open_cases(&state, &auth, "deadlines calendar (iCalendar)").await?;
    let events = events(&state, &auth, &cases, wants_all(&query), now).await?;
    let mut response = icalendar(&events, now).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"bwcv-deadlines.ics\""),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2027-03"), NaiveDate::from_ymd_opt(2027, 3, 1));
        for bad in [
            "2027-13", "2027-3", "27-03", "march", "", "2027-00", "0000-01",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn month_grid_starts_on_monday_and_covers_the_month() {
        // 1 February 2027 is a Monday; 28 days: exactly four weeks.
        let weeks = month_weeks(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
        assert_eq!(weeks.len(), 4);
        assert_eq!(weeks[0][0], NaiveDate::from_ymd_opt(2027, 2, 1));
        // 1 December 2026 is a Tuesday; 31 days.
        let weeks = month_weeks(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(weeks[0][0], None);
        assert_eq!(weeks[0][1], NaiveDate::from_ymd_opt(2026, 12, 1));
        let days: usize = weeks.iter().flatten().filter(|d| d.is_some()).count();
        assert_eq!(days, 31);
        assert_eq!(
            add_months(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), 1),
            NaiveDate::from_ymd_opt(2027, 1, 1)
        );
        assert_eq!(
            add_months(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), -1),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
    }

    #[test]
    fn icalendar_escapes_and_folds() {
        let due = DateTime::parse_from_rfc3339("2027-03-04T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = Event {
            due,
            case_id: "CL-2027-0001".into(),
            title: "Clarification; about, Form A\nline two ".repeat(4),
            what: "record reply due".into(),
            overdue: true,
            source: String::new(),
        };
        let text = icalendar(&[event], due);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART:20270304T120000Z\r\n"));
        assert!(text.contains("SUMMARY:CL-2027-0001: record reply due (overdue)\r\n"));
        assert!(text.contains("Clarification\\; about\\, Form A\\nline two"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        assert!(!text.replace("\r\n", "").contains('\n'));
    }
}
