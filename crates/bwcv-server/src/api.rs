//! The JSON API under `/api/v1` (documented in `openapi.json`). Bearer
//! tokens or the session cookie (then with `X-CSRF-Token` on writes).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_store::{DeclarationFilter, DeclarationRecord, DeclarationStatus, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::ApiAuth;
use crate::error::{ApiError, Failure, FieldProblem};
use crate::pages::justification;
use crate::workflow::{self, load_readable, stored_problems};
use crate::{AppState, OPENAPI_JSON};

/// A declaration as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct DeclarationView {
    id: i64,
    state_party: String,
    reporting_year: i32,
    status: DeclarationStatus,
    visibility: Visibility,
    classification: Classification,
    version: i64,
    digest: String,
    ledger_index: Option<u64>,
    created_at: String,
    updated_at: String,
    submitted_at: Option<String>,
    acknowledged_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<Vec<FieldProblem>>,
}

fn view(record: &DeclarationRecord, body: Option<Value>) -> DeclarationView {
    DeclarationView {
        id: record.id.0,
        state_party: record.state_party.to_string(),
        reporting_year: record.reporting_year,
        status: record.status,
        visibility: record.visibility,
        classification: record.classification,
        version: record.version,
        digest: record.digest.clone(),
        ledger_index: record.ledger_index,
        created_at: record.created_at.to_rfc3339(),
        updated_at: record.updated_at.to_rfc3339(),
        submitted_at: record.submitted_at.map(|t| t.to_rfc3339()),
        acknowledged_at: record.acknowledged_at.map(|t| t.to_rfc3339()),
        body,
        problems: None,
    }
}

fn field_problems(problems: &[bwcv_declare::Problem]) -> Vec<FieldProblem> {
    problems
        .iter()
        .map(|p| FieldProblem {
            path: p.path.clone(),
            rule: p.rule.id().to_owned(),
            message: p.message.clone(),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    state_party: Option<String>,
    #[serde(default)]
    reporting_year: Option<i32>,
    #[serde(default)]
    status: Option<String>,
}

pub(crate) async fn list_declarations<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<DeclarationView>>, ApiError> {
    let state_party = match query.state_party.as_deref() {
        None | Some("") => None,
        Some(code) => Some(
            StatePartyCode::new(code)
                .map_err(|e| Failure::bad_request("state_party", e.to_string()))?,
        ),
    };
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<DeclarationStatus>()
                .map_err(|e| Failure::bad_request("status", e.to_string()))?,
        ),
    };
    let records = workflow::listable_without_body(
        &state,
        &auth,
        DeclarationFilter {
            state_party,
            reporting_year: query.reporting_year,
            status,
        },
    )
    .await?;
    Ok(Json(records.iter().map(|r| view(r, None)).collect()))
}

#[derive(Debug, Deserialize)]
struct CreateRequest {
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    classification: Option<String>,
    #[serde(default)]
    submit: bool,
    #[serde(default)]
    justification: Option<String>,
    submission: Value,
}

/// `POST /api/v1/declarations`: `{"submission": {...}, "classification":
/// "restricted", "submit": false}`. Creates a draft (201); with
/// `"submit": true` submits it at once when it has no errors.
pub(crate) async fn create_declaration<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    auth.check_csrf(&headers, None)?;
    let request: CreateRequest =
        serde_json::from_slice(&body).map_err(|e| Failure::BadRequest {
            message: format!(
                "the request is not a valid JSON object (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
            problems: vec![FieldProblem {
                path: String::new(),
                rule: "request.json".into(),
                message: e.to_string(),
            }],
        })?;
    let visibility = workflow::parse_visibility(request.visibility.as_deref().unwrap_or(""))?;
    let classification =
        workflow::parse_classification(request.classification.as_deref().unwrap_or(""))?;
    let why = justification(&headers, request.justification.as_deref())
        .unwrap_or_else(|| "CBM return of own State Party".into());
    let (record, problems) = if request.submit {
        workflow::create_and_submit(
            &state,
            &auth,
            request.submission,
            visibility,
            classification,
            &why,
        )
        .await?
    } else {
        let record = workflow::create_draft(
            &state,
            &auth,
            Some(request.submission),
            None,
            visibility,
            classification,
            &why,
        )
        .await?;
        let problems = stored_problems(&state, &record);
        (record, problems)
    };
    let mut shown = view(&record, None);
    shown.problems = Some(field_problems(&problems));
    let location = format!("/api/v1/declarations/{}", record.id);
    Ok((
        axum::http::StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(shown),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadQuery {
    #[serde(default)]
    justification: Option<String>,
}

pub(crate) async fn get_declaration<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Json<DeclarationView>, ApiError> {
    let why = justification(&headers, query.justification.as_deref());
    let record = load_readable(&state, &auth, &id, why).await?;
    let problems = stored_problems(&state, &record);
    let mut shown = view(&record, Some(record.body.clone()));
    shown.problems = Some(field_problems(&problems));
    Ok(Json(shown))
}

#[derive(Debug, Deserialize, Default)]
struct SubmitRequest {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    justification: Option<String>,
}

pub(crate) async fn submit_declaration<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DeclarationView>, ApiError> {
    auth.check_csrf(&headers, None)?;
    let request: SubmitRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SubmitRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Failure::bad_request("", format!("the request is not valid JSON: {e}")))?
    };
    let why = justification(&headers, request.justification.as_deref())
        .unwrap_or_else(|| "CBM return of own State Party".into());
    let record = load_readable(&state, &auth, &id, Some(why.clone())).await?;
    let version = request.version.unwrap_or(record.version);
    let (submitted, _) = workflow::submit_draft(&state, &auth, &record, version, &why).await?;
    Ok(Json(view(&submitted, None)))
}

#[derive(Debug, Serialize)]
pub(crate) struct WhoAmI {
    username: String,
    role: String,
    state_party: Option<String>,
}

pub(crate) async fn whoami(ApiAuth(auth): ApiAuth) -> Json<WhoAmI> {
    Json(WhoAmI {
        username: auth.user.username.clone(),
        role: auth.user.role.to_string(),
        state_party: auth.user.state_party.as_ref().map(|s| s.to_string()),
    })
}

pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

pub(crate) async fn not_found() -> ApiError {
    ApiError(Failure::NotFound)
}
