//! In-app notifications (issue 5, "Portal": notifications of deadlines and
//! decisions).
//!
//! - Decisions are stored notifications (`CaseStore::add_notifications`),
//!   written when they happen (an Executive Council decision recorded in a
//!   case, a Council outcome that became final) for the users concerned.
//! - Deadline reminders are computed at each page load, never stored: the
//!   open cases the user may list whose next deadline falls within
//!   [`crate::Config::reminder_days`] days, or has passed.
//! - `GET /notifications`: both, newest first; `POST /notifications/read`
//!   marks the user's notifications read up to an id (CSRF as every form);
//!   `GET /notifications/count`: the unread count as a link, the fragment
//!   the navigation loads with htmx (without JavaScript the navigation
//!   keeps its plain link to the page).

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use bwcv_store::cases::{CaseRecord, NewNotification};
use bwcv_store::{Role, Store, UserId};
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybeAuth, WebAuth};
use crate::calendar::visible_open_cases;
use crate::error::{Failure, WebError};
use crate::pages::{Nav, render};

/// How many stored notifications the page shows.
const PAGE_SIZE: u32 = 200;

/// The active accounts with `role`.
pub(crate) async fn users_with_role<S: Store>(
    state: &AppState<S>,
    role: Role,
) -> Result<Vec<UserId>, Failure> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|user| user.role == role && !user.is_disabled())
        .map(|user| user.id)
        .collect())
}

/// The national authority accounts of the case's requesting and inspected
/// State Parties.
pub(crate) async fn case_party_users<S: Store>(
    state: &AppState<S>,
    record: &CaseRecord,
) -> Result<Vec<UserId>, Failure> {
    let parties: BTreeSet<_> = record
        .requesting
        .iter()
        .chain(record.inspected.iter())
        .cloned()
        .collect();
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|user| {
            user.role == Role::NationalAuthority
                && !user.is_disabled()
                && user
                    .state_party
                    .as_ref()
                    .is_some_and(|party| parties.contains(party))
        })
        .map(|user| user.id)
        .collect())
}

/// Stores one notification for each of `users` (each once).
pub(crate) async fn notify<S: Store>(
    state: &AppState<S>,
    users: Vec<UserId>,
    case_id: Option<&str>,
    text: &str,
    link: &str,
) -> Result<(), Failure> {
    let users: BTreeSet<UserId> = users.into_iter().collect();
    let at = Utc::now();
    let notifications = users
        .into_iter()
        .map(|user_id| NewNotification {
            user_id,
            at,
            case_id: case_id.map(str::to_owned),
            text: text.to_owned(),
            link: link.to_owned(),
        })
        .collect::<Vec<_>>();
    state.store.add_notifications(notifications).await?;
    Ok(())
}

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    at: String,
    text: String,
    link: String,
    unread: bool,
}

#[derive(Debug, Clone)]
struct Reminder {
    due: String,
    case_id: String,
    title: String,
    what: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct Page {
    nav: Nav,
    rows: Vec<Row>,
    reminders: Vec<Reminder>,
    reminder_days: i64,
    unread: u64,
    newest_id: i64,
}

/// `GET /notifications`.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let stored = state
        .store
        .list_notifications(auth.user.id, false, PAGE_SIZE)
        .await?;
    let unread = state.store.count_unread_notifications(auth.user.id).await?;
    let days = state.config.reminder_days;
    let horizon = now + Duration::days(days);
    let cases = visible_open_cases(&state, &auth, "deadline reminders").await?;
    let mut reminders: Vec<(chrono::DateTime<Utc>, Reminder)> = cases
        .iter()
        .filter_map(|record| {
            let due = record.next_deadline.filter(|due| *due <= horizon)?;
            let what = record
                .next_deadline_label
                .clone()
                .unwrap_or_else(|| "next step due".into());
            Some((
                due,
                Reminder {
                    due: due.format("%Y-%m-%d %H:%M UTC").to_string(),
                    case_id: record.case_id.clone(),
                    title: record.title.clone(),
                    overdue: due < now && !what.contains("not before"),
                    what,
                },
            ))
        })
        .collect();
    reminders.sort_by(|a, b| (a.0, &a.1.case_id).cmp(&(b.0, &b.1.case_id)));
    render(&Page {
        nav: Nav::of(&auth),
        newest_id: stored.first().map_or(0, |n| n.id),
        rows: stored
            .iter()
            .map(|n| Row {
                id: n.id,
                at: n.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                text: n.text.clone(),
                link: if n.link.starts_with('/') {
                    n.link.clone()
                } else {
                    String::new()
                },
                unread: n.read_at.is_none(),
            })
            .collect(),
        reminders: reminders.into_iter().map(|(_, r)| r).collect(),
        reminder_days: days,
        unread,
    })
}

/// `GET /notifications/count`: the navigation's link with the unread
/// count (an htmx fragment; also a plain HTML link). Without a session
/// (expired meanwhile) it is the plain link, so that the navigation never
/// receives a login page.
pub(crate) async fn count<S: Store>(
    State(state): State<AppState<S>>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, WebError> {
    let unread = match auth {
        Some(auth) => state.store.count_unread_notifications(auth.user.id).await?,
        None => 0,
    };
    let html = if unread == 0 {
        "<a href=\"/notifications\" id=\"nav-notifications\">Notifications</a>".to_owned()
    } else {
        format!(
            "<a href=\"/notifications\" id=\"nav-notifications\">Notifications <span class=\"tag problem\" id=\"unread-count\">{unread}<span class=\"visually-hidden\"> unread</span></span></a>"
        )
    };
    Ok(Html(html).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    up_to_id: String,
}

/// `POST /notifications/read`: marks the user's notifications with an id
/// up to `up_to_id` read.
pub(crate) async fn mark_read<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(form): Form<ReadForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let up_to_id: i64 = form
        .up_to_id
        .trim()
        .parse()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(|| {
            Failure::bad_request("up_to_id", "the notification number is a whole number")
        })?;
    state
        .store
        .mark_notifications_read(auth.user.id, up_to_id, Utc::now())
        .await?;
    Ok(Redirect::to("/notifications").into_response())
}
