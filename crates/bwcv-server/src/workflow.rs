//! The declarations workflow: drafts (uploaded JSON or the generated CBM
//! forms), validation problems at their fields, submission (recorded in
//! the evidence ledger), acknowledgement by the Secretariat, history with
//! the year-to-year diff, and the Secretariat dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, http::header};
use bwcv_core::access::{self, Action, Decision, RecordKind, RecordMeta, Stage};
use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_declare::{Measure, Problem, Severity, Submission};
use bwcv_store::{
    AuditOutcome, DeclarationDraft, DeclarationFilter, DeclarationId, DeclarationRecord,
    DeclarationStatus, GrantTarget, NewLedgerEntry, Role, Store,
};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::{Auth, WebAuth};
use crate::cbmform::{self, ProblemMap};
use crate::error::{Failure, WebError};
use crate::pages::{Nav, audit, justification, new_audit, render};

// ----------------------------------------------------- shared with the API

/// What the access rules see of a declaration.
pub(crate) fn record_meta(record: &DeclarationRecord) -> RecordMeta {
    RecordMeta {
        id: record.id.to_string(),
        kind: RecordKind::Declaration,
        owner: Some(record.state_party.clone()),
        classification: record.classification,
        visibility: record.visibility,
        stage: match record.status {
            DeclarationStatus::Draft => Stage::Draft,
            DeclarationStatus::Submitted | DeclarationStatus::Acknowledged => Stage::Final,
        },
    }
}

/// The principal's need-to-know grants on declarations, in force now.
pub(crate) async fn access_grants<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
) -> Result<Vec<access::Grant>, Failure> {
    let now = Utc::now();
    let grants = state.store.active_grants(auth.user.id, now).await?;
    Ok(grants
        .into_iter()
        .filter_map(|grant| match grant.target {
            GrantTarget::Object { kind, id } if kind == "declaration" => Some(access::Grant {
                grantee: auth.user.username.clone(),
                record_id: id,
                classification: grant.classification,
                expires_at: grant.expires_at.timestamp(),
                revoked_at: grant.revoked_at.map(|at| at.timestamp()),
            }),
            _ => None,
        })
        .collect())
}

pub(crate) fn decide(
    auth: &Auth,
    action: Action,
    record: &DeclarationRecord,
    grants: &[access::Grant],
) -> Decision {
    access::decide(
        &auth.principal(),
        action,
        &record_meta(record),
        grants,
        Utc::now().timestamp(),
    )
}

fn is_own(auth: &Auth, record: &DeclarationRecord) -> bool {
    auth.user.role == Role::NationalAuthority
        && auth.user.state_party.as_ref() == Some(&record.state_party)
}

/// Loads a declaration the principal may read, auditing where the rules
/// ask. `why` is the justification the request carried.
pub(crate) async fn load_readable<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    id: &str,
    why: Option<String>,
) -> Result<DeclarationRecord, Failure> {
    let id: i64 = id.parse().map_err(|_| Failure::NotFound)?;
    let record = state
        .store
        .get_declaration(DeclarationId(id))
        .await?
        .ok_or(Failure::NotFound)?;
    let grants = access_grants(state, auth).await?;
    let decision = decide(auth, Action::Read, &record, &grants);
    let audited = access::requires_audit(Action::Read, record.classification);
    if let Decision::Deny(reason) = decision {
        if audited {
            audit(
                state,
                Some(auth),
                "declaration.read",
                "declaration",
                Some(record.id.to_string()),
                record.classification,
                why.as_deref().unwrap_or(""),
                AuditOutcome::Denied,
                serde_json::json!({"reason": reason.to_string()}),
            )
            .await?;
        }
        // Someone who may not even list it is not told it exists.
        return Err(
            if decide(auth, Action::List, &record, &grants).is_allowed() {
                Failure::Forbidden(reason.to_string())
            } else {
                Failure::NotFound
            },
        );
    }
    if audited {
        let why = match why {
            Some(why) => why,
            None if is_own(auth, &record) => "own State Party's declaration".into(),
            None => return Err(Failure::JustificationRequired),
        };
        audit(
            state,
            Some(auth),
            "declaration.read",
            "declaration",
            Some(record.id.to_string()),
            record.classification,
            &why,
            AuditOutcome::Success,
            Value::Null,
        )
        .await?;
    }
    Ok(record)
}

/// The declarations the principal may list, with optional criteria.
pub(crate) async fn listable<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    filter: DeclarationFilter,
) -> Result<Vec<DeclarationRecord>, Failure> {
    let grants = access_grants(state, auth).await?;
    let records = state.store.list_declarations(filter).await?;
    Ok(may_list(auth, records, &grants))
}

/// The records the access rules let `auth` list.
fn may_list(
    auth: &Auth,
    records: Vec<DeclarationRecord>,
    grants: &[access::Grant],
) -> Vec<DeclarationRecord> {
    records
        .into_iter()
        .filter(|record| decide(auth, Action::List, record, grants).is_allowed())
        .collect()
}

/// [`listable`] without the bodies (`null`): for listings that show no
/// content, so the store neither reads nor parses them.
pub(crate) async fn listable_without_body<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    filter: DeclarationFilter,
) -> Result<Vec<DeclarationRecord>, Failure> {
    let grants = access_grants(state, auth).await?;
    let records = state.store.list_declarations_without_body(filter).await?;
    Ok(may_list(auth, records, &grants))
}

/// Canonical JSON (object keys sorted, no spaces): what the digest covers.
pub(crate) fn canonical_json(value: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Object(map) => {
                out.push(b'{');
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                for (index, (key, child)) in sorted.into_iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(key).unwrap_or_default());
                    out.push(b':');
                    write(child, out);
                }
                out.push(b'}');
            }
            Value::Array(list) => {
                out.push(b'[');
                for (index, child) in list.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write(child, out);
                }
                out.push(b']');
            }
            scalar => out.extend(serde_json::to_vec(scalar).unwrap_or_default()),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

pub(crate) fn digest(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(value)))
}

/// The ledger entry that records a submission: `declaration-submitted/v1`
/// of bwcv-ledger's canonical, versioned encodings (crates/bwcv-ledger/FORMAT.md),
/// carrying the digest of the submitted body.
pub(crate) fn declaration_ledger_entry(
    record: &DeclarationRecord,
    at: chrono::DateTime<Utc>,
) -> Result<NewLedgerEntry, Failure> {
    ledger_entry_of(
        &record.state_party,
        record.reporting_year,
        &record.digest,
        &format!("declaration {}", record.id),
        at,
    )
}

/// [`declaration_ledger_entry`] from the parts it records (`what` names
/// the declaration in error messages).
fn ledger_entry_of(
    state_party: &StatePartyCode,
    reporting_year: i32,
    digest: &str,
    what: &str,
    at: chrono::DateTime<Utc>,
) -> Result<NewLedgerEntry, Failure> {
    let submission_digest = bwcv_ledger::merkle::Hash::from_hex(digest)
        .map_err(|error| Failure::Internal(format!("stored digest of {what}: {error}")))?;
    let year = u16::try_from(reporting_year)
        .map_err(|_| Failure::Internal(format!("reporting year {reporting_year} out of range")))?;
    let entry = bwcv_ledger::entry::Entry::DeclarationSubmittedV1(
        bwcv_ledger::entry::DeclarationSubmittedV1 {
            state_party: state_party.as_str().to_owned(),
            year,
            form: "cbm".to_owned(),
            submission_digest,
            time: at.timestamp(),
        },
    );
    Ok(NewLedgerEntry {
        kind: entry.tag().to_owned(),
        body: entry.encode(),
        sample_id: None,
        appended_at: at,
    })
}

/// Parse and validation problems of a body.
pub(crate) fn check_body<S: Store>(
    state: &AppState<S>,
    body: &Value,
) -> (Option<Submission>, Vec<Problem>) {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let parsed = bwcv_declare::check(&bytes, &state.validation_context());
    (parsed.submission, parsed.problems)
}

/// Validation problems of a stored declaration's body, validated once per
/// stored version (`crate::validation_cache`).
pub(crate) fn stored_problems<S: Store>(
    state: &AppState<S>,
    record: &DeclarationRecord,
) -> std::sync::Arc<[Problem]> {
    state
        .problem_cache
        .get_or_compute(record, || check_body(state, &record.body).1)
}

/// A new, empty return of `state_party` for `year`.
pub(crate) fn skeleton(state_party: &StatePartyCode, year: i32, visibility: Visibility) -> Value {
    serde_json::json!({
        "format_version": bwcv_declare::FORMAT_VERSION,
        "state_party": state_party.as_str(),
        "reporting_year": year,
        "visibility": visibility.as_str(),
        "forms": {}
    })
}

fn visibility_of(body: &Value) -> Option<Visibility> {
    match body.get("visibility")?.as_str()? {
        "public" => Some(Visibility::Public),
        "states_parties_only" => Some(Visibility::StatesPartiesOnly),
        _ => None,
    }
}

pub(crate) fn parse_visibility(text: &str) -> Result<Visibility, Failure> {
    match text.trim() {
        "public" => Ok(Visibility::Public),
        "" | "states_parties_only" => Ok(Visibility::StatesPartiesOnly),
        _ => Err(Failure::bad_request(
            "visibility",
            "visibility must be public or states_parties_only",
        )),
    }
}

pub(crate) fn parse_classification(text: &str) -> Result<Classification, Failure> {
    if text.trim().is_empty() {
        return Ok(Classification::Restricted);
    }
    text.trim()
        .parse()
        .map_err(|e: bwcv_core::classification::UnknownClassification| {
            Failure::bad_request("classification", e.to_string())
        })
}

/// Creates a draft for the principal's own State Party (web and API).
pub(crate) async fn create_draft<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    body: Option<Value>,
    year: Option<i32>,
    visibility: Visibility,
    classification: Classification,
    why: &str,
) -> Result<DeclarationRecord, Failure> {
    let (draft, audit) = new_draft(auth, body, year, visibility, classification, why)?;
    Ok(state.store.save_draft(draft, audit).await?)
}

/// Creates a draft and submits it in one request (the API's
/// `"submit": true`), with the same checks, audit records and ledger
/// entry as [`create_draft`] followed by [`submit_draft`]; when the body
/// has no errors both are written in one store transaction
/// ([`Store::create_and_submit_declaration`]). With errors the draft is
/// saved and the submission refused, as the two steps would.
pub(crate) async fn create_and_submit<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    body: Value,
    visibility: Visibility,
    classification: Classification,
    why: &str,
) -> Result<(DeclarationRecord, std::sync::Arc<[Problem]>), Failure> {
    let (draft, create_audit) = new_draft(auth, Some(body), None, visibility, classification, why)?;
    let problems: std::sync::Arc<[Problem]> = check_body(state, &draft.body).1.into();
    let meta = RecordMeta {
        id: String::new(),
        kind: RecordKind::Declaration,
        owner: Some(draft.state_party.clone()),
        classification: draft.classification,
        visibility: draft.visibility,
        stage: Stage::Draft,
    };
    let grants = access_grants(state, auth).await?;
    let change = access::decide(
        &auth.principal(),
        Action::Change,
        &meta,
        &grants,
        Utc::now().timestamp(),
    );
    if matches!(change, Decision::Deny(_)) || bwcv_declare::problem::has_errors(&problems) {
        // Not submittable: keep the draft, refuse as submit_draft does.
        let record = state.store.save_draft(draft, create_audit).await?;
        let (submitted, _) = submit_draft(state, auth, &record, record.version, why).await?;
        return Ok((submitted, problems));
    }
    let ledger_entry = ledger_entry_of(
        &draft.state_party,
        draft.reporting_year,
        &draft.digest,
        "a new declaration",
        draft.at,
    )?;
    let submit_audit = new_audit(
        Some(auth),
        "declaration.submit",
        "declaration",
        None,
        draft.classification,
        why,
        AuditOutcome::Success,
        serde_json::json!({"digest": draft.digest}),
    );
    let (record, _) = state
        .store
        .create_and_submit_declaration(draft, create_audit, ledger_entry, submit_audit)
        .await?;
    let cached = Arc::clone(&problems);
    state
        .problem_cache
        .get_or_compute(&record, move || cached.to_vec());
    Ok((record, problems))
}

/// The draft and audit record [`create_draft`] stores, after its checks.
fn new_draft(
    auth: &Auth,
    body: Option<Value>,
    year: Option<i32>,
    visibility: Visibility,
    classification: Classification,
    why: &str,
) -> Result<(DeclarationDraft, bwcv_store::NewAuditRecord), Failure> {
    let state_party = match (&auth.user.role, &auth.user.state_party) {
        (Role::NationalAuthority, Some(code)) => code.clone(),
        _ => {
            return Err(Failure::Forbidden(
                "only a national authority declares, for its own State Party".into(),
            ));
        }
    };
    let body = match body {
        Some(body) => {
            if !body.is_object() {
                return Err(Failure::bad_request(
                    "",
                    "the submission must be a JSON object",
                ));
            }
            if let Some(declared) = body.get("state_party").and_then(Value::as_str)
                && declared != state_party.as_str()
            {
                return Err(Failure::bad_request(
                    "/state_party",
                    format!("you declare for {state_party}, the file says {declared}"),
                ));
            }
            body
        }
        None => {
            let year = year
                .ok_or_else(|| Failure::bad_request("reporting_year", "give the reporting year"))?;
            skeleton(&state_party, year, visibility)
        }
    };
    let reporting_year = body
        .get("reporting_year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
        .or(year)
        .filter(|y| (1975..=9999).contains(y))
        .ok_or_else(|| {
            Failure::bad_request("/reporting_year", "reporting year missing or out of range")
        })?;
    let visibility = visibility_of(&body).unwrap_or(visibility);
    let meta = RecordMeta {
        id: String::new(),
        kind: RecordKind::Declaration,
        owner: Some(state_party.clone()),
        classification,
        visibility,
        stage: Stage::Draft,
    };
    if let Decision::Deny(reason) = access::decide(
        &auth.principal(),
        Action::Create,
        &meta,
        &[],
        Utc::now().timestamp(),
    ) {
        return Err(Failure::Forbidden(reason.to_string()));
    }
    let now = Utc::now();
    let draft = DeclarationDraft {
        id: None,
        expected_version: 0,
        state_party,
        reporting_year,
        visibility,
        classification,
        digest: digest(&body),
        body,
        actor: auth.user.id,
        at: now,
    };
    let audit = new_audit(
        Some(auth),
        "declaration.create",
        "declaration",
        None,
        classification,
        why,
        AuditOutcome::Success,
        serde_json::json!({"reporting_year": reporting_year}),
    );
    Ok((draft, audit))
}

/// Saves a changed body of a draft the principal may change.
async fn update_draft<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    record: &DeclarationRecord,
    expected_version: i64,
    body: Value,
    why: &str,
) -> Result<DeclarationRecord, Failure> {
    let grants = access_grants(state, auth).await?;
    if let Decision::Deny(reason) = decide(auth, Action::Change, record, &grants) {
        return Err(Failure::Forbidden(reason.to_string()));
    }
    let visibility = visibility_of(&body).unwrap_or(record.visibility);
    let draft = DeclarationDraft {
        id: Some(record.id),
        expected_version,
        state_party: record.state_party.clone(),
        reporting_year: record.reporting_year,
        visibility,
        classification: record.classification,
        digest: digest(&body),
        body,
        actor: auth.user.id,
        at: Utc::now(),
    };
    Ok(state
        .store
        .save_draft(
            draft,
            new_audit(
                Some(auth),
                "declaration.save_draft",
                "declaration",
                Some(record.id.to_string()),
                record.classification,
                why,
                AuditOutcome::Success,
                Value::Null,
            ),
        )
        .await?)
}

/// Submits a draft: refused while validation finds errors; appends the
/// "declaration submitted" ledger entry with the digest.
pub(crate) async fn submit_draft<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    record: &DeclarationRecord,
    expected_version: i64,
    why: &str,
) -> Result<(DeclarationRecord, u64), Failure> {
    let grants = access_grants(state, auth).await?;
    if let Decision::Deny(reason) = decide(auth, Action::Change, record, &grants) {
        return Err(Failure::Forbidden(reason.to_string()));
    }
    let problems = stored_problems(state, record);
    if bwcv_declare::problem::has_errors(&problems) {
        return Err(Failure::BadRequest {
            message: "The declaration has errors; correct them before submitting.".into(),
            problems: problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| crate::error::FieldProblem {
                    path: p.path.clone(),
                    rule: p.rule.id().to_owned(),
                    message: p.message.clone(),
                })
                .collect(),
        });
    }
    let now = Utc::now();
    let ledger_entry = declaration_ledger_entry(record, now)?;
    Ok(state
        .store
        .submit_declaration(
            record.id,
            expected_version,
            auth.user.id,
            now,
            ledger_entry,
            new_audit(
                Some(auth),
                "declaration.submit",
                "declaration",
                Some(record.id.to_string()),
                record.classification,
                why,
                AuditOutcome::Success,
                serde_json::json!({"digest": record.digest}),
            ),
        )
        .await?)
}

// ------------------------------------------------------------ templates

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    state_party: String,
    year: i32,
    status: String,
    visibility: String,
    classification: String,
    updated: String,
}

fn row(record: &DeclarationRecord) -> Row {
    Row {
        id: record.id.0,
        state_party: record.state_party.to_string(),
        year: record.reporting_year,
        status: record.status.to_string(),
        visibility: record.visibility.as_str().replace('_', " "),
        classification: record.classification.label().to_owned(),
        updated: record.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

#[derive(Template)]
#[template(path = "declarations.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<Row>,
    can_create: bool,
    default_year: i32,
}

#[derive(Debug, Clone)]
struct FormLink {
    key: String,
    title: String,
    filled: bool,
    problems: usize,
}

#[derive(Debug, Clone)]
struct ProblemRow {
    path: String,
    anchor: String,
    rule: String,
    severity: String,
    message: String,
}

fn problem_rows(problems: &[Problem], link_base: &str) -> Vec<ProblemRow> {
    problems
        .iter()
        .map(|p| {
            let form = p
                .path
                .strip_prefix("/forms/")
                .and_then(|rest| rest.split('/').next());
            let anchor = match form {
                Some(key) if cbmform::forms().iter().any(|f| f.key == key) => {
                    format!("{link_base}/forms/{key}#{}", cbmform::field_id(&p.path))
                }
                _ => String::new(),
            };
            ProblemRow {
                path: if p.path.is_empty() {
                    "(whole document)".into()
                } else {
                    p.path.clone()
                },
                anchor,
                rule: p.rule.id().to_owned(),
                severity: p.severity.as_str().to_owned(),
                message: p.message.clone(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "declaration.html")]
struct ShowPage {
    nav: Nav,
    row: Row,
    version: i64,
    digest: String,
    ledger_index: String,
    forms: Vec<FormLink>,
    problems: Vec<ProblemRow>,
    has_errors: bool,
    can_edit: bool,
    can_acknowledge: bool,
    json: String,
    message: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    nav: Nav,
    row: Row,
    key: String,
    title: String,
    version: i64,
    fields: String,
    editable: bool,
    summary: Vec<ProblemRow>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "justify.html")]
struct JustifyPage {
    nav: Nav,
    action: String,
}

#[derive(Debug, Clone)]
struct ChangeRow {
    kind: String,
    path: String,
    old: String,
    new: String,
}

#[derive(Debug, Clone)]
struct DiffBlock {
    old_year: i32,
    new_year: i32,
    changes: Vec<ChangeRow>,
    findings: Vec<String>,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    nav: Nav,
    state_party: String,
    rows: Vec<Row>,
    diffs: Vec<DiffBlock>,
    findings: Vec<String>,
}

#[derive(Debug, Clone)]
struct DashRow {
    state_party: String,
    status: String,
    declaration_id: i64,
    submitted: String,
    forms: String,
    completeness: String,
    errors: usize,
    warnings: usize,
    flags: Vec<String>,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    year: i32,
    deadline: String,
    past_deadline: bool,
    rows: Vec<DashRow>,
    submitted_count: usize,
    total: usize,
}

// ------------------------------------------------------------- handlers

pub(crate) async fn list<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
) -> Result<Response, WebError> {
    let records = listable_without_body(&state, &auth, DeclarationFilter::default()).await?;
    render(&ListPage {
        nav: Nav::of(&auth),
        rows: records.iter().map(row).collect(),
        can_create: auth.user.role == Role::NationalAuthority,
        default_year: Utc::now().year() - 1,
    })
}

pub(crate) async fn create<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| Failure::bad_request("", format!("the form could not be read: {e}")))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| Failure::bad_request(&name, format!("could not be read: {e}")))?;
        if name == "file" {
            if !bytes.is_empty() {
                file = Some(bytes.to_vec());
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    auth.check_csrf(&headers, fields.get("csrf").map(String::as_str))?;
    let visibility = parse_visibility(fields.get("visibility").map_or("", String::as_str))?;
    let classification =
        parse_classification(fields.get("classification").map_or("", String::as_str))?;
    let year = match fields.get("reporting_year").map(|y| y.trim()) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<i32>().map_err(|_| {
            Failure::bad_request(
                "reporting_year",
                "the reporting year is a number, e.g. 2025",
            )
        })?),
    };
    let body = match file {
        Some(bytes) => Some(serde_json::from_slice::<Value>(&bytes).map_err(|e| {
            Failure::bad_request(
                "file",
                format!(
                    "the file is not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?),
        None => None,
    };
    let why = justification(&headers, fields.get("justification").map(String::as_str))
        .unwrap_or_else(|| "CBM return of own State Party".into());
    let record = create_draft(&state, &auth, body, year, visibility, classification, &why).await?;
    Ok(Redirect::to(&format!("/declarations/{}", record.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// The justification page when a read needs one.
fn justify_or(auth: &Auth, failure: Failure, action: String) -> Result<Response, WebError> {
    match failure {
        Failure::JustificationRequired => render(&JustifyPage {
            nav: Nav::of(auth),
            action,
        }),
        other => Err(WebError(other)),
    }
}

fn forms_of(body: &Value, problems: &[Problem]) -> Vec<FormLink> {
    cbmform::forms()
        .iter()
        .map(|form| {
            let prefix = cbmform::form_pointer(&form.key);
            FormLink {
                key: form.key.clone(),
                title: form.title.clone(),
                filled: body
                    .get("forms")
                    .and_then(|f| f.get(&form.key))
                    .is_some_and(|v| !v.is_null()),
                problems: problems
                    .iter()
                    .filter(|p| p.path == prefix || p.path.starts_with(&format!("{prefix}/")))
                    .count(),
            }
        })
        .collect()
}

pub(crate) async fn show<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let why = justification(&headers, query.justification.as_deref());
    let record = match load_readable(&state, &auth, &id, why).await {
        Ok(record) => record,
        Err(failure) => return justify_or(&auth, failure, format!("/declarations/{id}")),
    };
    let grants = access_grants(&state, &auth).await?;
    let problems = stored_problems(&state, &record);
    let base = format!("/declarations/{}", record.id);
    render(&ShowPage {
        nav: Nav::of(&auth),
        row: row(&record),
        version: record.version,
        digest: record.digest.clone(),
        ledger_index: record
            .ledger_index
            .map(|i| i.to_string())
            .unwrap_or_default(),
        forms: forms_of(&record.body, &problems),
        has_errors: bwcv_declare::problem::has_errors(&problems),
        problems: problem_rows(&problems, &base),
        can_edit: record.status == DeclarationStatus::Draft
            && decide(&auth, Action::Change, &record, &grants).is_allowed(),
        can_acknowledge: record.status == DeclarationStatus::Submitted
            && auth.user.role == Role::SecretariatAnalyst
            && decide(&auth, Action::Change, &record, &grants).is_allowed(),
        json: serde_json::to_string_pretty(&record.body).unwrap_or_default(),
        message: match (query.message.as_deref(), query.saved.is_some()) {
            (Some("submitted"), _) => {
                "Submitted. The submission is recorded in the evidence ledger.".into()
            }
            (Some("acknowledged"), _) => "Acknowledged.".into(),
            (_, true) => "Saved.".into(),
            _ => String::new(),
        },
    })
}

pub(crate) async fn download<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let why = justification(&headers, query.justification.as_deref());
    let record = match load_readable(&state, &auth, &id, why).await {
        Ok(record) => record,
        Err(failure) => return justify_or(&auth, failure, format!("/declarations/{id}/json")),
    };
    let body = serde_json::to_string_pretty(&record.body)
        .map_err(|e| Failure::Internal(format!("json: {e}")))?;
    let disposition = format!(
        "attachment; filename=\"cbm-{}-{}.json\"",
        record.state_party, record.reporting_year
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// The return laid out like the paper forms (`bwcv_declare::render`).
pub(crate) async fn document<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let why = justification(&headers, query.justification.as_deref());
    let record = match load_readable(&state, &auth, &id, why).await {
        Ok(record) => record,
        Err(failure) => {
            return justify_or(&auth, failure, format!("/declarations/{id}/document"));
        }
    };
    let bytes = serde_json::to_vec(&record.body).unwrap_or_default();
    let Some(submission) = bwcv_declare::parse(&bytes).submission else {
        return Err(WebError(Failure::bad_request(
            "",
            "this return cannot be laid out: it does not have the structure of a submission yet (see its problems)",
        )));
    };
    // The document carries its own style sheet inline.
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )],
        axum::response::Html(bwcv_declare::render::render(
            &submission,
            bwcv_declare::render::RenderFormat::Html,
        )),
    )
        .into_response())
}

fn problem_map(problems: &[Problem]) -> ProblemMap {
    let mut map = ProblemMap::new();
    for problem in problems {
        map.entry(problem.path.clone()).or_default().push((
            problem.severity.as_str().to_owned(),
            problem.message.clone(),
        ));
    }
    map
}

pub(crate) async fn form_page<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let why = justification(&headers, query.justification.as_deref());
    let record = match load_readable(&state, &auth, &id, why).await {
        Ok(record) => record,
        Err(failure) => {
            return justify_or(&auth, failure, format!("/declarations/{id}/forms/{key}"));
        }
    };
    let Some(info) = cbmform::forms().iter().find(|f| f.key == key) else {
        return Err(WebError(Failure::NotFound));
    };
    let grants = access_grants(&state, &auth).await?;
    let problems = stored_problems(&state, &record);
    let prefix = cbmform::form_pointer(&key);
    let mine: Vec<Problem> = problems
        .iter()
        .filter(|p| p.path == prefix || p.path.starts_with(&format!("{prefix}/")))
        .cloned()
        .collect();
    let value = record.body.get("forms").and_then(|f| f.get(&key));
    let (fields, _shown) = cbmform::render_form(&key, value, &problem_map(&mine))
        .ok_or(WebError(Failure::NotFound))?;
    render(&FormPage {
        nav: Nav::of(&auth),
        row: row(&record),
        key: key.clone(),
        title: info.title.clone(),
        version: record.version,
        fields,
        editable: record.status == DeclarationStatus::Draft
            && decide(&auth, Action::Change, &record, &grants).is_allowed(),
        summary: problem_rows(&mine, &format!("/declarations/{}", record.id)),
        saved: query.saved.is_some(),
    })
}

pub(crate) async fn save_form<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    auth.check_csrf(&headers, field("csrf"))?;
    if !cbmform::forms().iter().any(|f| f.key == key) {
        return Err(WebError(Failure::NotFound));
    }
    let why = justification(&headers, field("justification"))
        .unwrap_or_else(|| "CBM return of own State Party".into());
    let record = load_readable(&state, &auth, &id, Some(why.clone())).await?;
    let expected_version: i64 = field("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Failure::bad_request("version", "the form's version is missing"))?;
    let mut body = record.body.clone();
    let value = cbmform::collect(&key, &fields);
    let Some(forms) = body
        .as_object_mut()
        .map(|o| {
            o.entry("forms")
                .or_insert_with(|| Value::Object(Default::default()))
        })
        .and_then(Value::as_object_mut)
    else {
        return Err(WebError(Failure::bad_request(
            "/forms",
            "the stored document has no forms object; upload a corrected file",
        )));
    };
    match value {
        Some(value) => {
            forms.insert(key.clone(), value);
        }
        None => {
            forms.remove(&key);
        }
    }
    let updated = update_draft(&state, &auth, &record, expected_version, body, &why).await?;
    Ok(Redirect::to(&format!(
        "/declarations/{}/forms/{key}?saved=1{}",
        updated.id,
        carry_justification(&updated, &why)
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    justification: Option<String>,
}

pub(crate) async fn submit<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let why = justification(&headers, form.justification.as_deref())
        .unwrap_or_else(|| "CBM return of own State Party".into());
    let record = load_readable(&state, &auth, &id, Some(why.clone())).await?;
    let version = form.version.unwrap_or(record.version);
    let (submitted, _) = submit_draft(&state, &auth, &record, version, &why).await?;
    Ok(Redirect::to(&format!(
        "/declarations/{}?message=submitted{}",
        submitted.id,
        carry_justification(&submitted, &why)
    ))
    .into_response())
}

pub(crate) async fn acknowledge<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let why = justification(&headers, form.justification.as_deref())
        .unwrap_or_else(|| "acknowledging receipt of a CBM return".into());
    let record = load_readable(&state, &auth, &id, Some(why.clone())).await?;
    let grants = access_grants(&state, &auth).await?;
    if auth.user.role != Role::SecretariatAnalyst {
        return Err(WebError(Failure::Forbidden(
            "the Secretariat acknowledges returns".into(),
        )));
    }
    if let Decision::Deny(reason) = decide(&auth, Action::Change, &record, &grants) {
        return Err(WebError(Failure::Forbidden(reason.to_string())));
    }
    let acknowledged = state
        .store
        .acknowledge_declaration(
            record.id,
            auth.user.id,
            Utc::now(),
            new_audit(
                Some(&auth),
                "declaration.acknowledge",
                "declaration",
                Some(record.id.to_string()),
                record.classification,
                &why,
                AuditOutcome::Success,
                Value::Null,
            ),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/declarations/{}?message=acknowledged{}",
        acknowledged.id,
        carry_justification(&acknowledged, &why)
    ))
    .into_response())
}

/// `&justification=...` for a redirect to a page of `record`, when reading
/// it needs one: the justification of the write that led there.
fn carry_justification(record: &DeclarationRecord, why: &str) -> String {
    if !access::requires_audit(Action::Read, record.classification) {
        return String::new();
    }
    let mut out = String::from("&justification=");
    for byte in why.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn value_text(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let text = other.to_string();
            if text.len() > 200 {
                format!("{}…", text.chars().take(200).collect::<String>())
            } else {
                text
            }
        }
    }
}

pub(crate) async fn history<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Path(state_party): Path<String>,
) -> Result<Response, WebError> {
    let code = StatePartyCode::new(&state_party).map_err(|_| Failure::NotFound)?;
    let grants = access_grants(&state, &auth).await?;
    let records = listable(
        &state,
        &auth,
        DeclarationFilter {
            state_party: Some(code.clone()),
            ..DeclarationFilter::default()
        },
    )
    .await?;
    // The diff reads content: only returns the principal may read, final
    // ones, and without a justification prompt only below Protected.
    let mut submissions = Vec::new();
    for record in &records {
        let readable = decide(&auth, Action::Read, record, &grants).is_allowed()
            && record.status != DeclarationStatus::Draft
            && (!access::requires_audit(Action::Read, record.classification)
                || is_own(&auth, record));
        if readable {
            if access::requires_audit(Action::Read, record.classification) {
                audit(
                    &state,
                    Some(&auth),
                    "declaration.read",
                    "declaration",
                    Some(record.id.to_string()),
                    record.classification,
                    "own State Party's history",
                    AuditOutcome::Success,
                    serde_json::json!({"view": "history"}),
                )
                .await?;
            }
            let bytes = serde_json::to_vec(&record.body).unwrap_or_default();
            if let Some(submission) = bwcv_declare::parse(&bytes).submission {
                submissions.push(submission);
            }
        }
    }
    let history = bwcv_declare::diff::diff_history(&submissions);
    let (diffs, findings) = match history {
        Some(history) => (
            history
                .diffs
                .iter()
                .map(|diff| DiffBlock {
                    old_year: diff.old_year,
                    new_year: diff.new_year,
                    changes: diff
                        .changes
                        .iter()
                        .map(|c| ChangeRow {
                            kind: c.kind.as_str().to_owned(),
                            path: c.path.clone(),
                            old: value_text(c.old.as_ref()),
                            new: value_text(c.new.as_ref()),
                        })
                        .collect(),
                    findings: diff.findings.iter().map(|f| f.message.clone()).collect(),
                })
                .collect(),
            history.findings.iter().map(|f| f.message.clone()).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    render(&HistoryPage {
        nav: Nav::of(&auth),
        state_party: code.to_string(),
        rows: records.iter().map(row).collect(),
        diffs,
        findings,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    #[serde(default)]
    year: Option<i32>,
}

pub(crate) async fn dashboard<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    if !matches!(
        auth.user.role,
        Role::SecretariatAnalyst | Role::Inspector | Role::CouncilMember | Role::Administrator
    ) {
        return Err(WebError(Failure::Forbidden(
            "the dashboard is for the Secretariat and the Council".into(),
        )));
    }
    let today = Utc::now().date_naive();
    let year = query
        .year
        .filter(|y| (1975..=9999).contains(y))
        .unwrap_or(today.year() - 1);
    let (month, day) = state.config.cbm_deadline;
    let deadline = NaiveDate::from_ymd_opt(year + 1, u32::from(month), u32::from(day))
        .ok_or_else(|| Failure::Internal("cbm.deadline is not a date".into()))?;
    let past_deadline = today > deadline;
    let grants = access_grants(&state, &auth).await?;
    let all = state
        .store
        .list_declarations(DeclarationFilter::default())
        .await?;
    // Every State Party the portal knows: accounts and declarations.
    let mut parties: BTreeSet<StatePartyCode> = all.iter().map(|r| r.state_party.clone()).collect();
    for user in state.store.list_users().await? {
        if user.role == Role::NationalAuthority
            && let Some(code) = user.state_party
        {
            parties.insert(code);
        }
    }
    let by_party: BTreeMap<StatePartyCode, Vec<&DeclarationRecord>> =
        all.iter().fold(BTreeMap::new(), |mut map, record| {
            map.entry(record.state_party.clone())
                .or_default()
                .push(record);
            map
        });
    let mut rows = Vec::new();
    for party in &parties {
        let mine = by_party.get(party).map_or(&[][..], Vec::as_slice);
        let this_year = mine
            .iter()
            .filter(|r| r.reporting_year == year && r.status != DeclarationStatus::Draft)
            .filter(|r| decide(&auth, Action::List, r, &grants).is_allowed())
            .max_by_key(|r| r.id);
        let Some(record) = this_year else {
            rows.push(DashRow {
                state_party: party.to_string(),
                status: "not submitted".into(),
                declaration_id: 0,
                submitted: String::new(),
                forms: String::new(),
                completeness: String::new(),
                errors: 0,
                warnings: 0,
                flags: Vec::new(),
                overdue: past_deadline,
            });
            continue;
        };
        // Content-derived columns only where the principal may read it
        // without a justification prompt.
        let readable = decide(&auth, Action::Read, record, &grants).is_allowed()
            && !access::requires_audit(Action::Read, record.classification);
        let (forms, completeness, errors, warnings, flags) = if readable {
            let (submission, problems) = check_body(&state, &record.body);
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            match submission {
                Some(submission) => {
                    let filled: Vec<&str> = Measure::ALL
                        .iter()
                        .filter(|m| submission.forms.is_filled(**m))
                        .map(|m| m.label())
                        .collect();
                    let accounted = Measure::ALL
                        .iter()
                        .filter(|m| {
                            let status = submission.form_0_status(**m);
                            submission.forms.is_filled(**m)
                                || status.nothing_to_declare
                                || status.nothing_new_to_declare
                        })
                        .count();
                    let previous = mine
                        .iter()
                        .filter(|r| {
                            r.reporting_year == year - 1
                                && r.status != DeclarationStatus::Draft
                                && decide(&auth, Action::Read, r, &grants).is_allowed()
                                && !access::requires_audit(Action::Read, r.classification)
                        })
                        .max_by_key(|r| r.id)
                        .and_then(|r| {
                            let bytes = serde_json::to_vec(&r.body).unwrap_or_default();
                            bwcv_declare::parse(&bytes).submission
                        });
                    let flags = previous
                        .map(|old| {
                            bwcv_declare::diff::diff(&old, &submission)
                                .findings
                                .iter()
                                .map(|f| f.message.clone())
                                .collect()
                        })
                        .unwrap_or_default();
                    (
                        filled.join(", "),
                        format!("{accounted} of {} measures", Measure::ALL.len()),
                        errors,
                        warnings,
                        flags,
                    )
                }
                None => (
                    String::new(),
                    "unreadable".into(),
                    errors,
                    warnings,
                    Vec::new(),
                ),
            }
        } else {
            (
                "(needs justification)".into(),
                String::new(),
                0,
                0,
                Vec::new(),
            )
        };
        let submitted_date = record.submitted_at.map(|at| at.date_naive());
        rows.push(DashRow {
            state_party: party.to_string(),
            status: record.status.to_string(),
            declaration_id: record.id.0,
            submitted: submitted_date.map(|d| d.to_string()).unwrap_or_default(),
            forms,
            completeness,
            errors,
            warnings,
            flags,
            overdue: submitted_date.is_some_and(|d| d > deadline),
        });
    }
    let submitted_count = rows.iter().filter(|r| r.declaration_id != 0).count();
    render(&DashboardPage {
        nav: Nav::of(&auth),
        year,
        deadline: deadline.to_string(),
        past_deadline,
        total: rows.len(),
        submitted_count,
        rows,
    })
}
