//! Login, the start page, the administrator's audit log and grants pages,
//! API tokens, and the helpers every page shares.

use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use bwcv_core::Classification;
use bwcv_core::access::{self, Action, RecordKind, RecordMeta, Stage};
use bwcv_store::{
    AuditFilter, AuditOutcome, AuditRecord, GrantTarget, NewApiToken, NewAuditRecord, NewGrant,
    Session, Store, UserId,
};
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, Auth, LOGIN_COOKIE, MaybeAuth, SESSION_COOKIE, WebAuth};
use crate::error::{ErrorBody, Failure, WebError};

/// What the page frame shows about the person logged in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nav {
    pub logged_in: bool,
    pub username: String,
    pub role: String,
    pub state_party: String,
    pub csrf: String,
    pub is_admin: bool,
    pub is_secretariat: bool,
    pub is_national: bool,
}

impl Nav {
    pub fn of(auth: &Auth) -> Nav {
        use bwcv_store::Role as R;
        let role = auth.role();
        Nav {
            logged_in: true,
            username: auth.user.username.clone(),
            role: role.label().to_owned(),
            state_party: auth
                .user
                .state_party
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            csrf: auth.csrf_token().to_owned(),
            is_admin: role == R::Administrator,
            is_secretariat: matches!(
                role,
                R::SecretariatAnalyst | R::Inspector | R::CouncilMember
            ),
            is_national: role == R::NationalAuthority,
        }
    }
}

pub(crate) fn render<T: Template>(template: &T) -> Result<Response, WebError> {
    Ok(Html(template.render().map_err(Failure::from)?).into_response())
}

/// The justification a request carries: the form or query field, else the
/// `X-Justification` header. Blank counts as none.
pub(crate) fn justification(headers: &HeaderMap, field: Option<&str>) -> Option<String> {
    field
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get("x-justification")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        })
        .map(|text| text.trim().chars().take(2000).collect::<String>())
        .filter(|text| !text.is_empty() && !text.contains('\0'))
}

/// Appends one audit record for `auth`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit<S: Store>(
    state: &AppState<S>,
    auth: Option<&Auth>,
    action: &str,
    object_kind: &str,
    object_id: Option<String>,
    classification: Classification,
    justification: &str,
    outcome: AuditOutcome,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    state
        .store
        .append_audit(new_audit(
            auth,
            action,
            object_kind,
            object_id,
            classification,
            justification,
            outcome,
            detail,
        ))
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn new_audit(
    auth: Option<&Auth>,
    action: &str,
    object_kind: &str,
    object_id: Option<String>,
    classification: Classification,
    justification: &str,
    outcome: AuditOutcome,
    detail: serde_json::Value,
) -> NewAuditRecord {
    NewAuditRecord {
        at: Utc::now(),
        actor: auth.map(|a| a.user.id),
        actor_role: auth.map(|a| a.user.role),
        action: action.to_owned(),
        object_kind: object_kind.to_owned(),
        object_id,
        classification,
        justification: justification.to_owned(),
        outcome,
        detail,
    }
}

/// The metadata of a system record of `kind` (audit log, grants, accounts).
pub(crate) fn system_record(kind: RecordKind, classification: Classification) -> RecordMeta {
    RecordMeta {
        id: "system".into(),
        kind,
        owner: None,
        classification,
        visibility: bwcv_core::Visibility::StatesPartiesOnly,
        stage: Stage::Final,
    }
}

/// Refuses unless the access rules allow `action` on the system record.
pub(crate) fn require_system(
    auth: &Auth,
    kind: RecordKind,
    action: Action,
    classification: Classification,
) -> Result<(), Failure> {
    let record = system_record(kind, classification);
    match access::decide(
        &auth.principal(),
        action,
        &record,
        &[],
        Utc::now().timestamp(),
    ) {
        access::Decision::Allow => Ok(()),
        access::Decision::Deny(reason) => Err(Failure::Forbidden(reason.to_string())),
    }
}

// ------------------------------------------------------------ templates

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    token: String,
    username: String,
    error: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    rows: Vec<AuditRow>,
    next_after: String,
    filter_action: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    role: String,
    action: String,
    object: String,
    classification: String,
    justification: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "grants.html")]
struct GrantsPage {
    nav: Nav,
    rows: Vec<GrantRow>,
    message: String,
}

#[derive(Debug, Clone)]
struct GrantRow {
    id: i64,
    grantee: String,
    target: String,
    classification: String,
    reason: String,
    expires: String,
    state: String,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    nav: Nav,
    rows: Vec<TokenRow>,
    new_token: String,
}

#[derive(Debug, Clone)]
struct TokenRow {
    name: String,
    created: String,
    expires: String,
    state: String,
}

// ------------------------------------------------------------- handlers

pub(crate) async fn home(MaybeAuth(auth): MaybeAuth) -> Result<Response, WebError> {
    let Some(auth) = auth else {
        return Ok(Redirect::to("/login").into_response());
    };
    render(&HomePage {
        nav: Nav::of(&auth),
    })
}

fn login_form(token: String, username: String, error: String, status: StatusCode) -> Response {
    let page = LoginPage {
        nav: Nav::default(),
        token: token.clone(),
        username,
        error,
    };
    match page.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if let Ok(value) =
                HeaderValue::from_str(&auth::set_cookie(LOGIN_COOKIE, &token, 3600, false))
            {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => WebError(Failure::from(error)).into_response(),
    }
}

pub(crate) async fn login_page() -> Response {
    login_form(
        auth::random_secret(),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    login_token: String,
}

pub(crate) async fn login<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    connect: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let presented = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if form.login_token.is_empty() || !auth::constant_time_eq(&form.login_token, presented) {
        return Err(WebError(Failure::Csrf));
    }
    let username = form.username.trim().to_lowercase();
    if username.is_empty() || username.len() > 200 || username.contains('\0') {
        return Ok(login_form(
            auth::random_secret(),
            String::new(),
            "Enter your username and password.".into(),
            StatusCode::BAD_REQUEST,
        ));
    }
    let now = Utc::now();
    let since = now - Duration::minutes(state.config.login_window_minutes);
    let user_key = format!("user:{username}");
    let address_key = connect
        .map(|Extension(info)| format!("addr:{}", info.0.ip()))
        .unwrap_or_else(|| "addr:unknown".into());
    let user_failures = state.store.count_login_failures(&user_key, since).await?;
    let address_failures = state
        .store
        .count_login_failures(&address_key, since)
        .await?;
    if user_failures >= state.config.max_failures_per_username
        || address_failures >= state.config.max_failures_per_address
    {
        audit(
            &state,
            None,
            "session.login",
            "account",
            Some(username.clone()),
            Classification::Unclassified,
            "login",
            AuditOutcome::Denied,
            serde_json::json!({"reason": "rate limited"}),
        )
        .await?;
        return Ok(login_form(
            auth::random_secret(),
            username,
            Failure::TooManyAttempts.message(),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let user = state.store.find_user_by_username(&username).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |u| u.password_hash.clone());
    let password_ok = auth::verify_password(form.password, hash).await;
    let user = match user {
        Some(user) if password_ok && !user.is_disabled() => user,
        _ => {
            state
                .store
                .record_login_attempt(&user_key, now, false)
                .await?;
            state
                .store
                .record_login_attempt(&address_key, now, false)
                .await?;
            audit(
                &state,
                None,
                "session.login",
                "account",
                Some(username.clone()),
                Classification::Unclassified,
                "login",
                AuditOutcome::Denied,
                serde_json::json!({"reason": "wrong username or password"}),
            )
            .await?;
            return Ok(login_form(
                auth::random_secret(),
                username,
                "Wrong username or password.".into(),
                StatusCode::UNAUTHORIZED,
            ));
        }
    };
    state
        .store
        .record_login_attempt(&user_key, now, true)
        .await?;
    // Rotation: the id the browser had (if any) dies, a new one is made.
    if let Some(old) = auth::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&auth::secret_hash(old)).await?;
    }
    let session_id = auth::random_secret();
    let session = Session {
        id_hash: auth::secret_hash(&session_id),
        user_id: user.id,
        csrf_token: auth::random_secret(),
        created_at: now,
        expires_at: now + Duration::hours(state.config.session_hours),
    };
    state.store.create_session(session).await?;
    let logged_in = Auth {
        user: user.clone(),
        session: None,
    };
    audit(
        &state,
        Some(&logged_in),
        "session.login",
        "account",
        Some(user.id.to_string()),
        Classification::Unclassified,
        "login",
        AuditOutcome::Success,
        serde_json::Value::Null,
    )
    .await?;
    let mut response = Redirect::to("/").into_response();
    let cookie = auth::set_cookie(
        SESSION_COOKIE,
        &session_id,
        state.config.session_hours * 3600,
        state.config.secure_cookies,
    );
    let clear_login = auth::set_cookie(LOGIN_COOKIE, "", 0, state.config.secure_cookies);
    for value in [cookie, clear_login] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: Option<String>,
}

pub(crate) async fn logout<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    if let Some(session) = &auth.session {
        state.store.delete_session(&session.id_hash).await?;
    }
    audit(
        &state,
        Some(&auth),
        "session.logout",
        "account",
        Some(auth.user.id.to_string()),
        Classification::Unclassified,
        "logout",
        AuditOutcome::Success,
        serde_json::Value::Null,
    )
    .await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = HeaderValue::from_str(&auth::set_cookie(
        SESSION_COOKIE,
        "",
        0,
        state.config.secure_cookies,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

// ------------------------------------------------------------ audit log

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    after: Option<i64>,
}

fn audit_row(record: &AuditRecord, names: &std::collections::BTreeMap<UserId, String>) -> AuditRow {
    AuditRow {
        id: record.id.0,
        at: record.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        actor: record
            .actor
            .map(|id| names.get(&id).cloned().unwrap_or_else(|| id.to_string()))
            .unwrap_or_else(|| "(anonymous)".into()),
        role: record.actor_role.map(|r| r.to_string()).unwrap_or_default(),
        action: record.action.clone(),
        object: format!(
            "{} {}",
            record.object_kind,
            record.object_id.clone().unwrap_or_default()
        )
        .trim()
        .to_owned(),
        classification: record.classification.label().to_owned(),
        justification: record.justification.clone(),
        outcome: record.outcome.to_string(),
    }
}

fn csv_cell(text: &str) -> String {
    // Cells that a spreadsheet would run as a formula get a leading quote.
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub(crate) async fn audit_log<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Result<Response, WebError> {
    require_system(
        &auth,
        RecordKind::AuditLog,
        Action::Read,
        Classification::Restricted,
    )?;
    let users = state.store.list_users().await?;
    let names: std::collections::BTreeMap<UserId, String> =
        users.into_iter().map(|u| (u.id, u.username)).collect();
    match query.format.as_deref() {
        Some(format @ ("csv" | "json")) => {
            let records = state.store.export_audit().await?;
            let why = justification(&headers, None).unwrap_or_else(|| "audit export".into());
            audit(
                &state,
                Some(&auth),
                "audit.export",
                "audit_log",
                None,
                Classification::Restricted,
                &why,
                AuditOutcome::Success,
                serde_json::json!({"format": format, "records": records.len()}),
            )
            .await?;
            let rows: Vec<AuditRow> = records.iter().map(|r| audit_row(r, &names)).collect();
            let (body, content_type, file) = if format == "csv" {
                let mut out = String::from(
                    "id,at,actor,role,action,object,classification,justification,outcome\n",
                );
                for row in &rows {
                    let cells = [
                        row.id.to_string(),
                        row.at.clone(),
                        row.actor.clone(),
                        row.role.clone(),
                        row.action.clone(),
                        row.object.clone(),
                        row.classification.clone(),
                        row.justification.clone(),
                        row.outcome.clone(),
                    ];
                    let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                    out.push_str(&cells.join(","));
                    out.push('\n');
                }
                (out, "text/csv; charset=utf-8", "bwcv-audit.csv")
            } else {
                let body = serde_json::to_string_pretty(&records)
                    .map_err(|e| Failure::Internal(format!("audit json: {e}")))?;
                (body, "application/json", "bwcv-audit.json")
            };
            let disposition = format!("attachment; filename=\"{file}\"");
            Ok((
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response())
        }
        Some(_) => Err(WebError(Failure::bad_request(
            "format",
            "format must be csv or json",
        ))),
        None => {
            let filter = AuditFilter {
                action: query.action.clone().filter(|a| !a.is_empty()),
                after: query.after.map(bwcv_store::AuditId),
                limit: Some(200),
                ..AuditFilter::default()
            };
            let records = state.store.list_audit(filter).await?;
            let next_after = if records.len() == 200 {
                records
                    .last()
                    .map(|r| r.id.0.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            render(&AuditPage {
                nav: Nav::of(&auth),
                rows: records.iter().map(|r| audit_row(r, &names)).collect(),
                next_after,
                filter_action: query.action.unwrap_or_default(),
            })
        }
    }
}

// --------------------------------------------------------------- grants

async fn grants_page<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    message: String,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let users = state.store.list_users().await?;
    let mut rows = Vec::new();
    for user in &users {
        for grant in state.store.list_grants(user.id).await? {
            let target = match &grant.target {
                GrantTarget::Object { kind, id } => format!("{kind} {id}"),
                GrantTarget::Scope { scope } => format!("scope {scope}"),
            };
            let state_text = if grant.revoked_at.is_some() {
                "revoked"
            } else if grant.is_active(now) {
                "active"
            } else {
                "expired"
            };
            rows.push(GrantRow {
                id: grant.id.0,
                grantee: user.username.clone(),
                target,
                classification: grant.classification.label().to_owned(),
                reason: grant.reason.clone(),
                expires: grant.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                state: state_text.into(),
                revocable: grant.revoked_at.is_none() && grant.is_active(now),
            });
        }
    }
    rows.sort_by_key(|row| row.id);
    render(&GrantsPage {
        nav: Nav::of(auth),
        rows,
        message,
    })
}

pub(crate) async fn grants<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
) -> Result<Response, WebError> {
    require_system(
        &auth,
        RecordKind::Grant,
        Action::List,
        Classification::Restricted,
    )?;
    grants_page(&state, &auth, String::new()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct GrantForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    declaration_id: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn create_grant<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(form): Form<GrantForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    require_system(
        &auth,
        RecordKind::Grant,
        Action::Create,
        Classification::Restricted,
    )?;
    let reason = justification(&headers, Some(&form.reason))
        .ok_or_else(|| Failure::bad_request("reason", "give the need-to-know reason"))?;
    let user = state
        .store
        .find_user_by_username(form.username.trim())
        .await?
        .ok_or_else(|| Failure::bad_request("username", "no such account"))?;
    let declaration_id: i64 = form
        .declaration_id
        .trim()
        .parse()
        .map_err(|_| Failure::bad_request("declaration_id", "a declaration number"))?;
    if state
        .store
        .get_declaration(bwcv_store::DeclarationId(declaration_id))
        .await?
        .is_none()
    {
        return Err(WebError(Failure::bad_request(
            "declaration_id",
            "no such declaration",
        )));
    }
    let classification: Classification = form.classification.trim().parse().map_err(
        |e: bwcv_core::classification::UnknownClassification| {
            Failure::bad_request("classification", e.to_string())
        },
    )?;
    let days: i64 = form
        .days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=366).contains(d))
        .ok_or_else(|| Failure::bad_request("days", "validity in days, 1 to 366"))?;
    let now = Utc::now();
    let grant = state
        .store
        .create_grant(NewGrant {
            user_id: user.id,
            target: GrantTarget::Object {
                kind: "declaration".into(),
                id: declaration_id.to_string(),
            },
            classification,
            reason: reason.clone(),
            granted_by: auth.user.id,
            granted_at: now,
            expires_at: now + Duration::days(days),
        })
        .await?;
    audit(
        &state,
        Some(&auth),
        "grant.create",
        "grant",
        Some(grant.id.to_string()),
        classification,
        &reason,
        AuditOutcome::Success,
        serde_json::json!({"grantee": user.username, "declaration": declaration_id, "days": days}),
    )
    .await?;
    grants_page(&state, &auth, format!("Grant {} created.", grant.id)).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn revoke_grant<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    require_system(
        &auth,
        RecordKind::Grant,
        Action::Change,
        Classification::Restricted,
    )?;
    let id: i64 = id.parse().map_err(|_| Failure::NotFound)?;
    let reason = justification(&headers, Some(&form.reason))
        .ok_or_else(|| Failure::bad_request("reason", "say why the grant is revoked"))?;
    let grant = state
        .store
        .revoke_grant(bwcv_store::GrantId(id), auth.user.id, Utc::now(), &reason)
        .await?;
    audit(
        &state,
        Some(&auth),
        "grant.revoke",
        "grant",
        Some(grant.id.to_string()),
        grant.classification,
        &reason,
        AuditOutcome::Success,
        serde_json::Value::Null,
    )
    .await?;
    grants_page(&state, &auth, format!("Grant {id} revoked.")).await
}

// ----------------------------------------------------------- API tokens

async fn tokens_page<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    new_token: String,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let rows = state
        .store
        .list_api_tokens(auth.user.id)
        .await?
        .into_iter()
        .map(|token| TokenRow {
            name: token.name.clone(),
            created: token.created_at.format("%Y-%m-%d").to_string(),
            expires: token
                .expires_at
                .map(|e| e.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "never".into()),
            state: if token.is_active(now) {
                "active".into()
            } else {
                "inactive".into()
            },
        })
        .collect();
    render(&TokensPage {
        nav: Nav::of(auth),
        rows,
        new_token,
    })
}

pub(crate) async fn tokens<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
) -> Result<Response, WebError> {
    tokens_page(&state, &auth, String::new()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

pub(crate) async fn create_token<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let name = form.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(WebError(Failure::bad_request(
            "name",
            "name the token (what it is for), at most 100 characters",
        )));
    }
    let days: i64 = form
        .days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=366).contains(d))
        .ok_or_else(|| Failure::bad_request("days", "validity in days, 1 to 366"))?;
    let token = auth::random_secret();
    let now = Utc::now();
    let stored = state
        .store
        .create_api_token(NewApiToken {
            token_hash: auth::secret_hash(&token),
            user_id: auth.user.id,
            name: name.to_owned(),
            created_at: now,
            expires_at: Some(now + Duration::days(days)),
        })
        .await?;
    audit(
        &state,
        Some(&auth),
        "token.create",
        "account",
        Some(stored.id.to_string()),
        Classification::Unclassified,
        "API token for scripts",
        AuditOutcome::Success,
        serde_json::json!({"name": name, "days": days}),
    )
    .await?;
    tokens_page(&state, &auth, token).await
}

// --------------------------------------------------------------- errors

pub(crate) async fn not_found() -> WebError {
    WebError(Failure::NotFound)
}

/// Rewrites the plain-text rejections of extractors and the router (bad
/// form body, 413, 405, ...) into this portal's error page or JSON error.
pub(crate) async fn normalize_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Failure::PayloadTooLarge.message(),
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that method.".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported content type.".into(),
        _ if status.is_server_error() => Failure::Internal(String::new()).message(),
        _ => "The request could not be read.".into(),
    };
    if status.is_server_error() {
        tracing::error!(%status, "internal error response normalised");
    }
    let mut normalized = if is_api {
        let body = ErrorBody {
            error: match status {
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                _ => "bad_request",
            },
            message,
            problems: Vec::new(),
        };
        (status, axum::Json(body)).into_response()
    } else {
        (status, Html(crate::error::error_page(status, &message))).into_response()
    };
    if let Some(allow) = response.headers().get(header::ALLOW) {
        normalized
            .headers_mut()
            .insert(header::ALLOW, allow.clone());
    }
    normalized
}
