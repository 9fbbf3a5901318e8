//! Cases in the portal (issue 5, "Portal"): the case list per role, raising
//! a clarification request that points at the exact declaration, form and
//! field, the case page (subject, state, timeline with ledger indices,
//! deadlines from the protocol parameters, the legal next steps for the
//! person looking), applying a step, and the same over the JSON API.
//!
//! For the other portal modules (council, draws, calendar, notifications):
//!
//! ```text
//! pub(crate) async fn load_visible_case<S: Store>(
//!     state: &AppState<S>,
//!     auth: &Auth,
//!     case_id: &str,
//!     why: Option<&str>,
//! ) -> Result<LoadedCase, Failure>
//! ```
//!
//! returns the case row, the case rebuilt from its events
//! (`bwcv_cases::case::Case::replay`), every stored entry and the parameter
//! set it runs under, after `bwcv_core::access::decide(Read)`; it audits the
//! read of Protected or Highly Protected cases with `why` and returns
//! `Failure::JustificationRequired` when such a read carries none; a case
//! the person may not even list is `Failure::NotFound`. Also
//! [`case_meta`] (what the access rules see of a case) and
//! [`notify_concerned`].
//!
//! Invariants:
//! - every case event is on the evidence ledger: the store appends the
//!   `case-event/v2` entry in the same transaction as the case entry, and
//!   the case entry keeps the event's canonical JSON and its SHA-256, which
//!   the ledger entry's `body_sha256` binds (see [`crate::case_ledger::verify_case_ledger`]);
//! - every transition goes through `bwcv_cases` (`Case::open`,
//!   `Case::apply_checked`), so an illegal step, a step by the wrong role or
//!   a missing justification is refused whatever the client sends;
//! - the parameter set a case runs under is stored (`put_parameter_set`),
//!   so a case always replays;
//! - writes are optimistic: a step names the number of entries the person
//!   saw; if someone wrote first the step is refused as a conflict.

use std::collections::BTreeSet;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use bwcv_cases::case::{
    Actor, Case, CaseEvent, CaseId, CaseKind, Change, Concern, DeclarationPoint,
    State as CaseState, Step, Subject, Transition, TransitionError, legal_steps,
};
use bwcv_cases::deadline::{self, Bound};
use bwcv_core::access::{self, Action, CaseScope, Decision, RecordKind, RecordMeta, Stage};
use bwcv_core::params::ParameterSet;
use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_ledger::merkle::Hash;
use bwcv_store::{
    AuditOutcome, CaseEntry, CaseEntryKind, CaseFilter, CaseRecord, CaseWrite, DeclarationFilter,
    DeclarationStatus, GrantTarget, NewCase, NewCaseEntry, NewLedgerEntry, NewNotification, Role,
    Store, StoreError,
};
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{ApiAuth, Auth, WebAuth};
use crate::error::{ApiError, Failure, FieldProblem, WebError};
use crate::pages::{Nav, audit, justification, new_audit, render};

/// Longest free text accepted in a case form field (characters).
const MAX_TEXT: usize = 20_000;

/// The message of a write that lost the race.
const CHANGED_MEANWHILE: &str =
    "Someone changed this case meanwhile; reload the page to see the change, then try again.";

// ------------------------------------------------------------ the model

/// A case the person may see, loaded and replayed.
#[derive(Debug, Clone)]
pub(crate) struct LoadedCase {
    pub record: CaseRecord,
    pub case: Case,
    /// Every stored entry (events, votes, reports, comments), in order.
    pub entries: Vec<CaseEntry>,
    /// The parameter set the case runs under now.
    pub params: ParameterSet,
}

/// The prefix of a kind's case ids (`CL-2027-0001`).
fn id_prefix(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Clarification => "CL",
        CaseKind::TransparencyVisit => "RV",
        CaseKind::AssistanceVisit => "AV",
        CaseKind::FieldInvestigation => "FI",
        CaseKind::FacilityInvestigation => "FC",
    }
}

/// Whether `text` looks like a case id: two capital letters, a year and a
/// number (`CL-2027-0001`).
fn check_case_id(text: &str) -> Result<(), Failure> {
    let parts: Vec<&str> = text.split('-').collect();
    let ok = parts.len() == 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_uppercase())
        && parts[1].len() == 4
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && (4..=8).contains(&parts[2].len())
        && parts[2].bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(problem(
            "id",
            "case.id",
            format!("{text:?} is not a case id such as CL-2027-0001"),
        ))
    }
}

fn problem(path: &str, rule: &str, message: impl Into<String>) -> Failure {
    let message = message.into();
    Failure::BadRequest {
        problems: vec![FieldProblem {
            path: path.to_owned(),
            rule: rule.to_owned(),
            message: message.clone(),
        }],
        message,
    }
}

fn parse_kind(text: &str) -> Option<CaseKind> {
    CaseKind::ALL.iter().copied().find(|k| k.as_str() == text)
}

fn parse_state(text: &str) -> Option<CaseState> {
    CaseState::ALL.iter().copied().find(|s| s.as_str() == text)
}

fn parse_step(text: &str) -> Option<Step> {
    Step::ALL.iter().copied().find(|s| s.as_str() == text)
}

/// What happened in a case that its summary row does not say.
#[derive(Debug, Clone, Copy, Default)]
struct History {
    visit_proposed: bool,
    filed: bool,
}

fn history_of(case: &Case) -> History {
    History {
        visit_proposed: case.entered_at(CaseState::VisitProposed).is_some(),
        filed: case.entered_at(CaseState::Filed).is_some(),
    }
}

fn is_investigation(kind: CaseKind) -> bool {
    matches!(
        kind,
        CaseKind::FieldInvestigation | CaseKind::FacilityInvestigation
    )
}

/// The history, when the summary alone tells it (non-terminal states).
fn history_from_summary(kind: CaseKind, state: CaseState) -> Option<History> {
    use CaseState as S;
    if state.is_terminal() && (kind == CaseKind::Clarification || is_investigation(kind)) {
        return None;
    }
    Some(History {
        visit_proposed: matches!(
            state,
            S::VisitProposed
                | S::TeamAppointed
                | S::Notified
                | S::InProgress
                | S::VisitCompleted
                | S::ReportIssued
        ),
        filed: is_investigation(kind) && state != S::Drafted,
    })
}

/// Whether the Executive Council decides on cases of `kind` (the rule book
/// of `bwcv_cases::council` under the built-in parameters).
fn goes_to_council(kind: CaseKind) -> bool {
    bwcv_cases::council::RuleBook::from_params(ParameterSet::builtin())
        .map(|book| book.rule_for(kind).is_some())
        .unwrap_or_else(|_| is_investigation(kind))
}

/// What the access rules see of a case. Inspectors are not linked to
/// accounts in team data yet, so `team` is `None` (every inspector sees the
/// cases with field work).
pub(crate) fn case_meta(
    record: &CaseRecord,
    kind: CaseKind,
    history: Option<&Case>,
) -> Option<RecordMeta> {
    let state = parse_state(&record.state)?;
    let history = match history {
        Some(case) => history_of(case),
        None => history_from_summary(kind, state)?,
    };
    Some(RecordMeta {
        id: record.case_id.clone(),
        kind: RecordKind::Case(CaseScope {
            requesting: record.requesting.clone(),
            field_work: kind != CaseKind::Clarification || history.visit_proposed,
            council: goes_to_council(kind),
            team: None,
        }),
        owner: record.inspected.clone(),
        classification: record.classification,
        visibility: Visibility::StatesPartiesOnly,
        stage: if is_investigation(kind) && !history.filed {
            Stage::Draft
        } else {
            Stage::Final
        },
    })
}

/// The principal's need-to-know grants on cases, in force now.
async fn case_grants<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
) -> Result<Vec<access::Grant>, Failure> {
    let grants = state.store.active_grants(auth.user.id, Utc::now()).await?;
    Ok(grants
        .into_iter()
        .filter_map(|grant| match grant.target {
            GrantTarget::Object { kind, id } if kind == "case" => Some(access::Grant {
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

fn decide(auth: &Auth, action: Action, meta: &RecordMeta, grants: &[access::Grant]) -> Decision {
    access::decide(
        &auth.principal(),
        action,
        meta,
        grants,
        Utc::now().timestamp(),
    )
}

/// The parameter set with `digest`: the built-in one, or one kept in the
/// store.
async fn parameter_set<S: Store>(
    state: &AppState<S>,
    digest: &str,
) -> Result<Option<ParameterSet>, Failure> {
    let builtin = ParameterSet::builtin();
    if digest == builtin.digest() {
        return Ok(Some(builtin.clone()));
    }
    match state.store.get_parameter_set(digest).await? {
        Some((_, text)) => {
            let set = ParameterSet::from_toml_str(&text)
                .map_err(|e| Failure::Internal(format!("stored parameter set {digest}: {e}")))?;
            // The key is the digest of the canonical form: the text kept
            // under it must be that set.
            if !set.digest().eq_ignore_ascii_case(digest) {
                return Err(Failure::Internal(format!(
                    "stored parameter set {digest}: its text is set {} (digest {})",
                    set.version(),
                    set.digest()
                )));
            }
            Ok(Some(set))
        }
        None => Ok(None),
    }
}

/// Keeps `params` (whose TOML text is `text`) in the store for replay,
/// under its digest. The digest is over the canonical form
/// (`ParameterSet::canonical`), the text kept is TOML: a set stored earlier
/// under the same digest with another layout (comments, order, spacing) is
/// the same set and is kept as it is. Only a stored text that is not that
/// set is an error.
pub(crate) async fn keep_parameter_set<S: Store>(
    store: &S,
    params: &ParameterSet,
    text: &str,
) -> Result<(), Failure> {
    let digest = params.digest();
    match store
        .put_parameter_set(&digest, params.version(), text)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => {
            let stored = store.get_parameter_set(&digest).await?;
            let same = stored.as_ref().is_some_and(|(version, stored_text)| {
                version == params.version()
                    && ParameterSet::from_toml_str(stored_text)
                        .is_ok_and(|set| set.digest() == digest)
            });
            if same {
                Ok(())
            } else {
                Err(Failure::Internal(format!(
                    "the parameter set stored under digest {digest} is not parameter set {} (its text does not parse to that digest)",
                    params.version()
                )))
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// Replays the events among `entries`.
async fn replay<S: Store>(
    state: &AppState<S>,
    case_id: &str,
    entries: &[CaseEntry],
) -> Result<(Case, ParameterSet), Failure> {
    let mut events = Vec::new();
    for entry in entries.iter().filter(|e| e.kind == CaseEntryKind::Event) {
        let event: CaseEvent = serde_json::from_str(&entry.body_json).map_err(|e| {
            Failure::Internal(format!(
                "case {case_id} entry {}: not a case event: {e}",
                entry.sequence
            ))
        })?;
        events.push(event);
    }
    let mut digests = BTreeSet::new();
    for event in &events {
        match &event.change {
            Change::Opened {
                parameter_set_digest,
                ..
            } => {
                digests.insert(parameter_set_digest.clone());
            }
            Change::ParametersChanged {
                old_digest,
                new_digest,
                ..
            } => {
                digests.insert(old_digest.clone());
                digests.insert(new_digest.clone());
            }
            Change::Transitioned { .. } => {}
        }
    }
    let mut sets = Vec::new();
    for digest in &digests {
        if let Some(set) = parameter_set(state, digest).await? {
            sets.push((digest.clone(), set));
        }
    }
    let lookup = |digest: &str| {
        sets.iter()
            .find(|(d, _)| d == digest)
            .map(|(_, set)| set.clone())
    };
    let case = Case::replay(&events, &lookup)
        .map_err(|e| Failure::Internal(format!("case {case_id} does not replay: {e}")))?;
    let params = lookup(&case.parameter_set_digest).ok_or_else(|| {
        Failure::Internal(format!(
            "case {case_id}: parameter set {} is not kept",
            case.parameter_set_digest
        ))
    })?;
    Ok((case, params))
}

/// Loads and replays a case, without any access check.
async fn load_unchecked<S: Store>(
    state: &AppState<S>,
    case_id: &str,
) -> Result<LoadedCase, Failure> {
    check_case_id(case_id)?;
    let record = state
        .store
        .get_case(case_id)
        .await?
        .ok_or(Failure::NotFound)?;
    let entries = state.store.case_entries(case_id).await?;
    let (case, params) = replay(state, case_id, &entries).await?;
    Ok(LoadedCase {
        record,
        case,
        entries,
        params,
    })
}

/// Loads a case the principal may read (see the module documentation).
pub(crate) async fn load_visible_case<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    case_id: &str,
    why: Option<&str>,
) -> Result<LoadedCase, Failure> {
    let loaded = load_unchecked(state, case_id).await?;
    let meta = case_meta(&loaded.record, loaded.case.kind, Some(&loaded.case))
        .ok_or_else(|| Failure::Internal(format!("case {case_id}: unknown state")))?;
    let grants = case_grants(state, auth).await?;
    let audited = access::requires_audit(Action::Read, meta.classification);
    let why = why.map(str::trim).filter(|w| !w.is_empty());
    if let Decision::Deny(reason) = decide(auth, Action::Read, &meta, &grants) {
        if audited {
            audit(
                state,
                Some(auth),
                "case.read",
                "case",
                Some(case_id.to_owned()),
                meta.classification,
                why.unwrap_or(""),
                AuditOutcome::Denied,
                json!({"reason": reason.to_string()}),
            )
            .await?;
        }
        return Err(if decide(auth, Action::List, &meta, &grants).is_allowed() {
            Failure::Forbidden(reason.to_string())
        } else {
            Failure::NotFound
        });
    }
    if audited {
        let Some(why) = why else {
            return Err(Failure::JustificationRequired);
        };
        audit(
            state,
            Some(auth),
            "case.read",
            "case",
            Some(case_id.to_owned()),
            meta.classification,
            why,
            AuditOutcome::Success,
            json!({"n_records": loaded.record.n_records}),
        )
        .await?;
    }
    Ok(loaded)
}

/// The cases the principal may list, newest first.
async fn listable<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    query: &ListQuery,
) -> Result<Vec<(CaseRecord, CaseKind)>, Failure> {
    let kind = match query.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            Some(parse_kind(text).ok_or_else(|| problem("kind", "case.kind", unknown_kind(text)))?)
        }
    };
    let wanted_state = match query.state.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_state(text).ok_or_else(|| {
            problem(
                "state",
                "case.state",
                format!("{text:?} is not a case state"),
            )
        })?),
    };
    let state_party = match query.state_party.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            StatePartyCode::new(code)
                .map_err(|e| problem("state_party", "case.state_party", e.to_string()))?,
        ),
    };
    let open_only = matches!(query.open.as_deref(), Some("1" | "true" | "on" | "yes"));
    let records = state
        .store
        .list_cases(CaseFilter {
            kind: kind.map(|k| k.as_str().to_owned()),
            state_party,
            open_only,
            terminal_states: CaseState::ALL
                .iter()
                .filter(|s| s.is_terminal())
                .map(|s| s.as_str().to_owned())
                .collect(),
            deadline_before: None,
        })
        .await?;
    let grants = case_grants(state, auth).await?;
    let mut shown = Vec::new();
    for record in records {
        if wanted_state.is_some_and(|s| s.as_str() != record.state) {
            continue;
        }
        let Some(kind) = parse_kind(&record.kind) else {
            continue;
        };
        let meta = match case_meta(&record, kind, None) {
            Some(meta) => meta,
            None => {
                // A finished case whose summary does not tell whether it
                // had a visit or was filed: ask its history.
                let Ok(loaded) = load_unchecked(state, &record.case_id).await else {
                    continue;
                };
                match case_meta(&record, kind, Some(&loaded.case)) {
                    Some(meta) => meta,
                    None => continue,
                }
            }
        };
        if decide(auth, Action::List, &meta, &grants).is_allowed() {
            shown.push((record, kind));
        }
    }
    let protected: Vec<&str> = shown
        .iter()
        .filter(|(r, _)| access::requires_audit(Action::List, r.classification))
        .map(|(r, _)| r.case_id.as_str())
        .collect();
    if !protected.is_empty() {
        let why = query
            .justification
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .unwrap_or("case list");
        audit(
            state,
            Some(auth),
            "case.list",
            "case",
            None,
            Classification::Protected,
            why,
            AuditOutcome::Success,
            json!({"protected_cases": protected}),
        )
        .await?;
    }
    Ok(shown)
}

fn unknown_kind(text: &str) -> String {
    format!(
        "{text:?} is not a case kind: {}",
        CaseKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

// ------------------------------------------------------------ the steps

/// A step's name as people read it.
fn step_label(step: Step) -> &'static str {
    match step {
        Step::SendRequest => "Send the written request",
        Step::RecordReply => "Record the reply",
        Step::ScheduleConsultation => "Schedule the consultation meeting",
        Step::HoldConsultation => "Record the consultation meeting",
        Step::ProposeVisit => "Propose a clarification visit",
        Step::Accept => "Accept the request",
        Step::Decline => "Decline the request",
        Step::AmendRequest => "Amend the request",
        Step::File => "File the request",
        Step::CouncilDecision => "Record the Executive Council's decision",
        Step::AppointTeam => "Appoint the team",
        Step::Notify => "Notify the State Party",
        Step::BeginVisit => "Begin the visit",
        Step::EndVisit => "End the visit",
        Step::IssuePreliminaryReport => "Issue the preliminary report",
        Step::IssueReport => "Issue the report",
        Step::AppendComments => "Append the State Party's comments",
        Step::Close => "Close the case with its outcome",
        Step::Withdraw => "Withdraw the case",
    }
}

/// What is due, for deadline labels ("reply due").
fn due_label(step: Step) -> String {
    let noun = match step {
        Step::RecordReply => "reply",
        Step::HoldConsultation => "consultation meeting",
        Step::CouncilDecision => "Executive Council decision",
        Step::EndVisit => "end of the visit",
        Step::IssuePreliminaryReport => "preliminary report",
        Step::IssueReport => "report",
        Step::BeginVisit => "start of the visit",
        other => other.as_str(),
    };
    format!("{noun} due")
}

/// What data a step's form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    None,
    /// A document whose SHA-256 the event records.
    Document,
    /// A date and time (UTC).
    MeetingAt,
    /// The outcome in words.
    Outcome,
    /// JSON (an investigation request, a team, a tally).
    Json,
}

fn input_of(step: Step) -> Input {
    match step {
        Step::SendRequest
        | Step::RecordReply
        | Step::HoldConsultation
        | Step::IssuePreliminaryReport
        | Step::IssueReport
        | Step::AppendComments => Input::Document,
        Step::ScheduleConsultation => Input::MeetingAt,
        Step::Close => Input::Outcome,
        Step::AmendRequest | Step::AppointTeam | Step::CouncilDecision => Input::Json,
        Step::ProposeVisit
        | Step::Accept
        | Step::Decline
        | Step::File
        | Step::Notify
        | Step::BeginVisit
        | Step::EndVisit
        | Step::Withdraw => Input::None,
    }
}

fn document_label(step: Step) -> &'static str {
    match step {
        Step::SendRequest => "Text of the written request",
        Step::RecordReply => "Text of the reply",
        Step::HoldConsultation => "Minutes of the meeting",
        Step::AppendComments => "The report with the State Party's comments",
        _ => "Text of the report",
    }
}

pub(crate) fn json_hint(step: Step) -> &'static str {
    match step {
        Step::AppointTeam => {
            "The team: {\"members\": [\"INS-0001\", \"INS-0002\"]} (inspector ids of the roster)."
        }
        Step::AmendRequest => {
            "The whole investigation request as JSON (kind, requesting_state_party, investigated_state_party, alleged_facts, location, period, evidence, facility)."
        }
        Step::CouncilDecision => {
            "The final tally of the Executive Council's vote, as the Council page gives it."
        }
        _ => "",
    }
}

pub(crate) fn sha256_hex(text: &str) -> String {
    Hash::digest(text.as_bytes()).to_hex()
}

/// A placeholder transition of `step`, to ask the state machine whether
/// the person may take it (its data is never stored).
fn probe(step: Step, at: DateTime<Utc>) -> Transition {
    let digest = "0".repeat(64);
    match step {
        Step::SendRequest => Transition::SendRequest {
            request_sha256: digest,
        },
        Step::RecordReply => Transition::RecordReply {
            reply_sha256: digest,
        },
        Step::ScheduleConsultation => Transition::ScheduleConsultation { meeting_at: at },
        Step::HoldConsultation => Transition::HoldConsultation {
            minutes_sha256: digest,
        },
        Step::ProposeVisit => Transition::ProposeVisit,
        Step::Accept => Transition::Accept,
        Step::Decline => Transition::Decline,
        Step::AmendRequest | Step::File => Transition::File,
        Step::CouncilDecision => Transition::Withdraw,
        Step::AppointTeam => Transition::AppointTeam {
            team: bwcv_cases::team::Team {
                members: Vec::new(),
            },
        },
        Step::Notify => Transition::Notify,
        Step::BeginVisit => Transition::BeginVisit,
        Step::EndVisit => Transition::EndVisit,
        Step::IssuePreliminaryReport => Transition::IssuePreliminaryReport {
            report_sha256: digest,
        },
        Step::IssueReport => Transition::IssueReport {
            report_sha256: digest,
        },
        Step::AppendComments => Transition::AppendComments {
            report_sha256: digest,
        },
        Step::Close => Transition::Close {
            outcome: "probe".to_owned(),
        },
        Step::Withdraw => Transition::Withdraw,
    }
}

/// Whether the state machine lets `actor` take `step` (legal now and the
/// actor's role and State Party fit; the data is checked when it is sent).
fn may_take(case: &Case, step: Step, actor: &Actor, at: DateTime<Utc>) -> bool {
    let transition = probe(step, at);
    if transition.step() != step {
        // Steps whose probe would need real data: decide on the role the
        // same way `Case::apply` does, through a step of the same family.
        return match step {
            Step::AmendRequest => may_take(case, Step::File, actor, at),
            // Recorded only from the stored votes on the Council page.
            Step::CouncilDecision => false,
            _ => false,
        };
    }
    let mut trial = case.clone();
    !matches!(
        trial.apply(transition, actor.clone(), at, "probe"),
        Err(TransitionError::Illegal { .. } | TransitionError::NotPermitted { .. })
    )
}

/// The steps `auth` may take on the case now (legal, permitted by role,
/// and the access rules allow changing the case).
fn steps_for(loaded: &LoadedCase, auth: &Auth, grants: &[access::Grant]) -> Vec<Step> {
    let Some(meta) = case_meta(&loaded.record, loaded.case.kind, Some(&loaded.case)) else {
        return Vec::new();
    };
    if !decide(auth, Action::Change, &meta, grants).is_allowed() {
        return Vec::new();
    }
    let actor = Actor::from(&auth.principal());
    let now = now();
    legal_steps(loaded.case.kind, loaded.case.state)
        .into_iter()
        .filter(|step| may_take(&loaded.case, *step, &actor, now))
        .collect()
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// How a refusal of the state machine reaches the client.
fn transition_failure(error: TransitionError, path: &str) -> Failure {
    match error {
        TransitionError::EmptyJustification => Failure::JustificationRequired,
        TransitionError::NotPermitted { .. } => Failure::Forbidden(error.to_string()),
        TransitionError::Illegal { .. } => problem(
            &format!("{path}/step"),
            "case.illegal_step",
            error.to_string(),
        ),
        TransitionError::TimeGoesBackwards { .. } => Failure::Conflict(error.to_string()),
        TransitionError::IncompleteRequest(ref missing) => Failure::BadRequest {
            message: error.to_string(),
            problems: missing
                .iter()
                .map(|m| FieldProblem {
                    path: format!("/subject/{}", m.field.replace('.', "/")),
                    rule: "case.request_incomplete".to_owned(),
                    message: m.reason.to_string(),
                })
                .collect(),
        },
        TransitionError::BadData { ref field, .. } => problem(
            &format!("{path}/{}", field.replace('.', "/")),
            "case.data",
            error.to_string(),
        ),
        TransitionError::SubjectMismatch { .. } => {
            problem("/subject", "case.subject", error.to_string())
        }
        TransitionError::DecisionPending | TransitionError::TooEarly { .. } => {
            problem(path, "case.not_now", error.to_string())
        }
        TransitionError::ParameterSetMismatch { .. } | TransitionError::Parameter(_) => {
            Failure::Internal(error.to_string())
        }
    }
}

/// The next "not after" deadline of a case (for its summary row).
fn next_deadline(case: &Case, params: &ParameterSet) -> (Option<DateTime<Utc>>, Option<String>) {
    let Ok(limits) = deadline::deadlines(case, params) else {
        return (None, None);
    };
    limits
        .into_iter()
        .filter(|d| d.bound == Bound::NotAfter)
        .min_by_key(|d| d.due)
        .map_or((None, None), |d| (Some(d.due), Some(due_label(d.step))))
}

/// The `case-event/v2` ledger entry of `event` (crates/bwcv-ledger/FORMAT.md):
/// entry kind `event`, the step, the states and the SHA-256 of the event's
/// canonical JSON, the body the case entry stores; `state` is the case's
/// state after it (for an event that changes no state, both states are it).
fn ledger_entry(event: &CaseEvent, state: CaseState) -> NewLedgerEntry {
    let (step, from, to) = match &event.change {
        Change::Opened { state, .. } => ("open", *state, *state),
        Change::Transitioned {
            from,
            to,
            transition,
        } => (transition.step().as_str(), *from, *to),
        Change::ParametersChanged { .. } => ("change_parameters", state, state),
    };
    let body = String::from_utf8_lossy(&event.canonical_bytes()).into_owned();
    crate::draws::case_event_entry(
        &event.case_id.0,
        bwcv_ledger::entry::CaseEntryKind::Event,
        step,
        &body,
        from.as_str(),
        to.as_str(),
        &event.actor.user,
        &event.justification,
        event.at,
    )
}

fn case_entry(
    event: &CaseEvent,
    sequence: u32,
    actor: bwcv_store::UserId,
    case: &Case,
    params: &ParameterSet,
) -> NewCaseEntry {
    let body_json = String::from_utf8_lossy(&event.canonical_bytes()).into_owned();
    let (next_deadline, next_deadline_label) = next_deadline(case, params);
    NewCaseEntry {
        case_id: event.case_id.0.clone(),
        sequence,
        kind: CaseEntryKind::Event,
        at: event.at,
        actor,
        body_sha256: sha256_hex(&body_json),
        body_json,
        state_after: case.state.as_str().to_owned(),
        next_deadline,
        next_deadline_label,
    }
}

/// Adds in-app notifications about `case_id` for the national authority
/// officers of the requesting and inspected State Parties and the
/// Secretariat analysts who acted on the case, except `actor`. A failure
/// is logged: the step itself is already recorded.
pub(crate) async fn notify_concerned<S: Store>(
    state: &AppState<S>,
    actor: &Auth,
    case: &Case,
    text: &str,
) {
    let parties = [case.requesting(), case.inspected()];
    let analysts: BTreeSet<&str> = case
        .events
        .iter()
        .filter(|e| e.actor.role == Role::SecretariatAnalyst)
        .map(|e| e.actor.user.as_str())
        .collect();
    let users = match state.store.list_users().await {
        Ok(users) => users,
        Err(error) => {
            tracing::warn!(%error, "case notifications: listing users");
            return;
        }
    };
    let at = Utc::now();
    let notifications: Vec<NewNotification> = users
        .into_iter()
        .filter(|user| user.id != actor.user.id && !user.is_disabled())
        .filter(|user| match user.role {
            Role::NationalAuthority => {
                user.state_party.is_some() && parties.contains(&user.state_party)
            }
            Role::SecretariatAnalyst => analysts.contains(user.username.as_str()),
            _ => false,
        })
        .map(|user| NewNotification {
            user_id: user.id,
            at,
            case_id: Some(case.id.0.clone()),
            text: text.to_owned(),
            link: format!("/cases/{}", case.id),
        })
        .collect();
    if let Err(error) = state.store.add_notifications(notifications).await {
        tracing::warn!(%error, case = %case.id, "case notifications");
    }
}

/// The one line a list shows for a case.
fn title_of(kind: CaseKind, subject: &Subject) -> String {
    let text = match subject {
        Subject::Declaration(point) => format!(
            "{} {} form {} at {}: {}",
            point.state_party,
            point.year,
            point.form,
            point.json_path,
            concern_label(point.concern)
        ),
        Subject::DrawnFacility {
            facility, draw_id, ..
        } => format!("{facility} selected by draw {draw_id}"),
        Subject::AssistanceRequest { state_party, .. } => {
            format!("Assistance visit requested by {state_party}")
        }
        Subject::Investigation(request) => format!(
            "{} investigation{}",
            if kind == CaseKind::FieldInvestigation {
                "Field"
            } else {
                "Facility"
            },
            request
                .investigated_state_party
                .as_ref()
                .map(|p| format!(" concerning {p}"))
                .unwrap_or_default()
        ),
    };
    text.chars().take(300).collect()
}

fn concern_label(concern: Concern) -> &'static str {
    match concern {
        Concern::Ambiguity => "ambiguity",
        Concern::Uncertainty => "uncertainty",
        Concern::Anomaly => "anomaly",
        Concern::Omission => "omission",
    }
}

fn parse_concern(text: &str) -> Option<Concern> {
    [
        Concern::Ambiguity,
        Concern::Uncertainty,
        Concern::Anomaly,
        Concern::Omission,
    ]
    .into_iter()
    .find(|c| concern_label(*c) == text)
}

/// Opens a case (web form and API). `why` is the request's justification.
async fn open<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    kind: CaseKind,
    subject: Subject,
    classification: Classification,
    why: &str,
) -> Result<LoadedCase, Failure> {
    if why.trim().is_empty() {
        return Err(Failure::JustificationRequired);
    }
    if kind == CaseKind::Clarification
        && auth.user.role == Role::NationalAuthority
        && auth.user.state_party.is_some()
        && subject.inspected() == auth.user.state_party
    {
        return Err(Failure::Forbidden(
            "a State Party asks for clarification of another State Party's declaration, not of its own"
                .into(),
        ));
    }
    let params = ParameterSet::builtin().clone();
    let actor = Actor::from(&auth.principal());
    let at = now();
    let prefix = format!("{}-{}-", id_prefix(kind), chrono::Datelike::year(&at));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let number = state.store.count_cases(&prefix).await? + 1;
        let case_id = CaseId(format!("{prefix}{number:04}"));
        let (case, event) = Case::open(
            case_id.clone(),
            kind,
            subject.clone(),
            actor.clone(),
            at,
            why,
            &params,
        )
        .map_err(|e| transition_failure(e, "/transition"))?;
        let record = CaseRecord {
            case_id: case_id.0.clone(),
            kind: kind.as_str().to_owned(),
            state: case.state.as_str().to_owned(),
            classification,
            requesting: case.requesting(),
            inspected: case.inspected(),
            title: title_of(kind, &case.subject),
            opened_by: auth.user.id,
            opened_at: at,
            updated_at: at,
            n_records: 0,
            next_deadline: None,
            next_deadline_label: None,
        };
        let meta = case_meta(&record, kind, Some(&case))
            .ok_or_else(|| Failure::Internal("new case: unknown state".into()))?;
        if let Decision::Deny(reason) = decide(auth, Action::Create, &meta, &[]) {
            return Err(Failure::Forbidden(reason.to_string()));
        }
        if let (1, Subject::Declaration(point)) = (attempt, &subject) {
            check_declaration_exists(state, auth, point).await?;
        }
        keep_parameter_set(&state.store, &params, ParameterSet::builtin_source()).await?;
        let first = case_entry(&event, 0, auth.user.id, &case, &params);
        let new_case = NewCase {
            case_id: record.case_id.clone(),
            kind: record.kind.clone(),
            state: record.state.clone(),
            classification,
            requesting: record.requesting.clone(),
            inspected: record.inspected.clone(),
            title: record.title.clone(),
            opened_by: auth.user.id,
            opened_at: at,
            next_deadline: first.next_deadline,
            next_deadline_label: first.next_deadline_label.clone(),
        };
        let audit_record = new_audit(
            Some(auth),
            "case.open",
            "case",
            Some(record.case_id.clone()),
            classification,
            why,
            AuditOutcome::Success,
            json!({"kind": kind.as_str(), "event_sha256": first.body_sha256}),
        );
        match state
            .store
            .open_case(
                new_case,
                first,
                ledger_entry(&event, case.state),
                audit_record,
            )
            .await
        {
            Ok((record, entry)) => {
                notify_concerned(
                    state,
                    auth,
                    &case,
                    &format!("{}: {} opened case {}", record.title, actor.user, case.id),
                )
                .await;
                return Ok(LoadedCase {
                    record,
                    case,
                    entries: vec![entry],
                    params,
                });
            }
            Err(StoreError::Conflict) if attempt < 5 => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

/// A clarification points at a declaration the person may see: some
/// submitted return of that State Party for that year.
async fn check_declaration_exists<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    point: &DeclarationPoint,
) -> Result<(), Failure> {
    let found = crate::workflow::listable(
        state,
        auth,
        DeclarationFilter {
            state_party: Some(point.state_party.clone()),
            reporting_year: Some(point.year),
            status: None,
        },
    )
    .await?;
    if found
        .iter()
        .any(|record| record.status != DeclarationStatus::Draft)
    {
        Ok(())
    } else {
        Err(problem(
            "/subject/year",
            "case.declaration",
            format!(
                "no submitted declaration of {} for {} that you may see",
                point.state_party, point.year
            ),
        ))
    }
}

/// The refusal of a `council_decision` sent to the generic step paths: the
/// Council's decision is the tally the server computes from the stored
/// votes (`POST /council/{id}/decide`), never a tally a client types in.
fn council_decision_refused() -> Failure {
    problem(
        "/transition/step",
        "case.council_decision",
        "the Executive Council's decision is recorded on the Council page (/council/{case id}), from the votes stored there; it is not a step of this form",
    )
}

/// Applies a step (web form and API). `expected` is the number of entries
/// the person saw.
async fn apply_step<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    case_id: &str,
    expected: u32,
    transition: Transition,
    why: &str,
    document: Option<String>,
) -> Result<LoadedCase, Failure> {
    let document = match document {
        Some(text) => Some(check_document(&transition, text)?),
        None => None,
    };
    let mut loaded = load_unchecked(state, case_id).await?;
    let meta = case_meta(&loaded.record, loaded.case.kind, Some(&loaded.case))
        .ok_or_else(|| Failure::Internal(format!("case {case_id}: unknown state")))?;
    let grants = case_grants(state, auth).await?;
    if let Decision::Deny(reason) = decide(auth, Action::Change, &meta, &grants) {
        let listable = decide(auth, Action::List, &meta, &grants).is_allowed();
        audit(
            state,
            Some(auth),
            "case.step",
            "case",
            Some(case_id.to_owned()),
            meta.classification,
            why,
            AuditOutcome::Denied,
            json!({"reason": reason.to_string(), "step": transition.step().as_str()}),
        )
        .await?;
        return Err(if listable {
            Failure::Forbidden(reason.to_string())
        } else {
            Failure::NotFound
        });
    }
    let step = transition.step();
    let actor = Actor::from(&auth.principal());
    let applied = if step == Step::CouncilDecision {
        Err(council_decision_refused())
    } else if why.trim().is_empty() {
        Err(Failure::JustificationRequired)
    } else if expected != loaded.record.n_records {
        Err(Failure::Conflict(CHANGED_MEANWHILE.into()))
    } else {
        loaded
            .case
            .apply_checked(transition, actor.clone(), now(), why, &loaded.params)
            .map_err(|e| transition_failure(e, "/transition"))
    };
    let event = match applied {
        Ok(event) => event,
        Err(failure) => {
            // Every refused attempt is on the audit log too.
            audit(
                state,
                Some(auth),
                "case.step",
                "case",
                Some(case_id.to_owned()),
                meta.classification,
                why,
                AuditOutcome::Denied,
                json!({"reason": failure.message(), "step": step.as_str()}),
            )
            .await?;
            return Err(failure);
        }
    };
    let entry = case_entry(&event, expected, auth.user.id, &loaded.case, &loaded.params);
    let audit_record = new_audit(
        Some(auth),
        "case.step",
        "case",
        Some(case_id.to_owned()),
        loaded.record.classification,
        why,
        AuditOutcome::Success,
        json!({"step": step.as_str(), "state": loaded.case.state.as_str(), "event_sha256": entry.body_sha256}),
    );
    // The event and the text of the document it records (if any) are one
    // transaction: the event never stands without its document.
    let document_write = document
        .as_ref()
        .map(|document| document_write(auth, &entry, &loaded.record, step, document, why))
        .transpose()?;
    let mut writes = vec![CaseWrite {
        entry,
        ledger_entry: ledger_entry(&event, loaded.case.state),
        audit: audit_record,
    }];
    writes.extend(document_write);
    let (record, stored) = state
        .store
        .append_case_entries(writes)
        .await
        .map_err(|error| match error {
            StoreError::Conflict => Failure::Conflict(CHANGED_MEANWHILE.into()),
            other => other.into(),
        })?;
    notify_concerned(
        state,
        auth,
        &loaded.case,
        &format!(
            "{}: {} by {} (now {})",
            record.case_id,
            step_label(step),
            actor.user,
            loaded.case.state.as_str().replace('_', " ")
        ),
    )
    .await;
    loaded.record = record;
    loaded.entries.extend(stored);
    Ok(loaded)
}

/// The text of a document whose SHA-256 a step records (the written
/// request, the reply, the minutes, a report), kept as a case entry.
#[derive(Debug, Clone)]
struct Document {
    /// `request`, `reply`, `minutes`, `preliminary_report`, `report`,
    /// `report_with_comments`.
    name: &'static str,
    sha256: String,
    text: String,
}

/// The document a transition records by digest, if any: its name, the
/// entry kind it is kept as (the State Party's reply and comments are
/// comments, the Secretariat's request, minutes and reports are reports)
/// and the digest.
fn document_of(transition: &Transition) -> Option<(&'static str, CaseEntryKind, &str)> {
    match transition {
        Transition::SendRequest { request_sha256 } => {
            Some(("request", CaseEntryKind::Report, request_sha256))
        }
        Transition::RecordReply { reply_sha256 } => {
            Some(("reply", CaseEntryKind::Comment, reply_sha256))
        }
        Transition::HoldConsultation { minutes_sha256 } => {
            Some(("minutes", CaseEntryKind::Report, minutes_sha256))
        }
        Transition::IssuePreliminaryReport { report_sha256 } => {
            Some(("preliminary_report", CaseEntryKind::Report, report_sha256))
        }
        Transition::IssueReport { report_sha256 } => {
            Some(("report", CaseEntryKind::Report, report_sha256))
        }
        Transition::AppendComments { report_sha256 } => Some((
            "report_with_comments",
            CaseEntryKind::Comment,
            report_sha256,
        )),
        _ => None,
    }
}

/// A document's text must be the one whose SHA-256 the step records.
fn check_document(transition: &Transition, text: String) -> Result<Document, Failure> {
    let Some((name, _, digest)) = document_of(transition) else {
        return Err(problem(
            "/document",
            "case.document",
            format!(
                "step {} records no document; send no document text with it",
                transition.step()
            ),
        ));
    };
    let sha256 = sha256_hex(&text);
    if !sha256.eq_ignore_ascii_case(digest) {
        return Err(problem(
            "/document",
            "case.document",
            format!("the document's SHA-256 is {sha256}, the step records {digest}"),
        ));
    }
    Ok(Document { name, sha256, text })
}

/// The stored body of a kept document (canonical JSON): which document,
/// the sequence of the event that records its digest, the digest and the
/// text.
fn document_body(document: &Document, event_sequence: u32) -> Result<String, Failure> {
    let value = json!({
        "document": document.name,
        "event_sequence": event_sequence,
        "sha256": document.sha256,
        "text": document.text,
    });
    bwcv_ledger::entry::canonical::to_vec(&value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Failure::Internal("document JSON".into()))
}

/// The entry keeping the text of the document that `event` (the entry
/// about to be appended) records by digest: a report entry for the
/// Secretariat's documents, a comment entry for the State Party's reply and
/// comments, right after the event, with the case summary the event leaves.
fn document_write(
    auth: &Auth,
    event: &NewCaseEntry,
    record: &CaseRecord,
    step: Step,
    document: &Document,
    why: &str,
) -> Result<CaseWrite, Failure> {
    let kind = match step {
        Step::RecordReply | Step::AppendComments => CaseEntryKind::Comment,
        _ => CaseEntryKind::Report,
    };
    let ledger_kind = kind.ledger_kind();
    let body = document_body(document, event.sequence)?;
    let entry = NewCaseEntry {
        case_id: event.case_id.clone(),
        sequence: event.sequence + 1,
        kind,
        at: event.at,
        actor: auth.user.id,
        body_sha256: sha256_hex(&body),
        body_json: body,
        state_after: event.state_after.clone(),
        next_deadline: event.next_deadline,
        next_deadline_label: event.next_deadline_label.clone(),
    };
    let ledger_entry = crate::draws::case_event_entry(
        &event.case_id,
        ledger_kind,
        step.as_str(),
        &entry.body_json,
        &event.state_after,
        &event.state_after,
        &auth.user.username,
        why,
        event.at,
    );
    let audit = new_audit(
        Some(auth),
        "case.document",
        "case",
        Some(event.case_id.clone()),
        record.classification,
        why,
        AuditOutcome::Success,
        json!({"document": document.name, "sha256": document.sha256, "event_sequence": event.sequence}),
    );
    Ok(CaseWrite {
        entry,
        ledger_entry,
        audit,
    })
}

/// Writes a case with a given history straight through the store (for the
/// demo: times in the past), every event checked by `bwcv_cases` like any
/// other and appended to the ledger with its audit record. `steps` are
/// `(actor, transition, time, justification)` in order. Returns the case id.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn seed_case<S: Store>(
    store: &S,
    opener: &bwcv_store::User,
    kind: CaseKind,
    subject: Subject,
    classification: Classification,
    opened_at: DateTime<Utc>,
    why: &str,
    steps: Vec<(&bwcv_store::User, Transition, DateTime<Utc>, &str)>,
    documents: &[&str],
) -> Result<String, Failure> {
    let params = ParameterSet::builtin().clone();
    let as_auth = |user: &bwcv_store::User| Auth {
        user: user.clone(),
        session: None,
    };
    let opener_auth = as_auth(opener);
    let prefix = format!(
        "{}-{}-",
        id_prefix(kind),
        chrono::Datelike::year(&opened_at)
    );
    let number = store.count_cases(&prefix).await? + 1;
    let case_id = CaseId(format!("{prefix}{number:04}"));
    let internal = |e: TransitionError| Failure::Internal(format!("seeded case: {e}"));
    let (mut case, event) = Case::open(
        case_id.clone(),
        kind,
        subject,
        Actor::from(&opener_auth.principal()),
        opened_at,
        why,
        &params,
    )
    .map_err(internal)?;
    keep_parameter_set(store, &params, ParameterSet::builtin_source()).await?;
    let first = case_entry(&event, 0, opener.id, &case, &params);
    let new_case = NewCase {
        case_id: case_id.0.clone(),
        kind: kind.as_str().to_owned(),
        state: case.state.as_str().to_owned(),
        classification,
        requesting: case.requesting(),
        inspected: case.inspected(),
        title: title_of(kind, &case.subject),
        opened_by: opener.id,
        opened_at,
        next_deadline: first.next_deadline,
        next_deadline_label: first.next_deadline_label.clone(),
    };
    let audit_record = new_audit(
        Some(&opener_auth),
        "case.open",
        "case",
        Some(case_id.0.clone()),
        classification,
        why,
        AuditOutcome::Success,
        json!({"kind": kind.as_str(), "seed": "demo"}),
    );
    let (record, _) = store
        .open_case(
            new_case,
            first,
            ledger_entry(&event, case.state),
            audit_record,
        )
        .await?;
    let mut sequence = 1u32;
    for (user, transition, at, justification) in steps {
        let actor_auth = as_auth(user);
        // The text of the document this step records, when it is given.
        let document = documents
            .iter()
            .find_map(|text| check_document(&transition, (*text).to_owned()).ok());
        let step = transition.step();
        let event = case
            .apply_checked(
                transition,
                Actor::from(&actor_auth.principal()),
                at,
                justification,
                &params,
            )
            .map_err(internal)?;
        let entry = case_entry(&event, sequence, user.id, &case, &params);
        let audit_record = new_audit(
            Some(&actor_auth),
            "case.step",
            "case",
            Some(case_id.0.clone()),
            classification,
            justification,
            AuditOutcome::Success,
            json!({"state": case.state.as_str(), "seed": "demo"}),
        );
        let document_write = document
            .as_ref()
            .map(|document| {
                document_write(&actor_auth, &entry, &record, step, document, justification)
            })
            .transpose()?;
        let mut writes = vec![CaseWrite {
            entry,
            ledger_entry: ledger_entry(&event, case.state),
            audit: audit_record,
        }];
        writes.extend(document_write);
        sequence += writes.len() as u32;
        store.append_case_entries(writes).await?;
    }
    Ok(case_id.0)
}

// ------------------------------------------------------------ views

/// A case as the API and the list show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CaseView {
    case_id: String,
    kind: String,
    state: String,
    classification: Classification,
    requesting: Option<String>,
    inspected: Option<String>,
    title: String,
    opened_at: String,
    updated_at: String,
    n_records: u32,
    next_deadline: Option<String>,
    next_deadline_label: Option<String>,
    overdue: bool,
}

fn case_view(record: &CaseRecord) -> CaseView {
    CaseView {
        case_id: record.case_id.clone(),
        kind: record.kind.clone(),
        state: record.state.clone(),
        classification: record.classification,
        requesting: record.requesting.as_ref().map(|p| p.to_string()),
        inspected: record.inspected.as_ref().map(|p| p.to_string()),
        title: record.title.clone(),
        opened_at: record.opened_at.to_rfc3339(),
        updated_at: record.updated_at.to_rfc3339(),
        n_records: record.n_records,
        next_deadline: record.next_deadline.map(|t| t.to_rfc3339()),
        next_deadline_label: record.next_deadline_label.clone(),
        overdue: record.next_deadline.is_some_and(|t| t < Utc::now()),
    }
}

#[derive(Debug, Clone, Serialize)]
struct EntryView {
    sequence: u32,
    kind: CaseEntryKind,
    at: String,
    actor: String,
    ledger_index: u64,
    body_sha256: String,
    body: Value,
}

#[derive(Debug, Clone, Serialize)]
struct DeadlineView {
    step: String,
    bound: Bound,
    due: String,
    overdue: bool,
    parameter: String,
    value: i64,
    unit: String,
    parameter_set_version: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CaseDetail {
    #[serde(flatten)]
    summary: CaseView,
    subject: Subject,
    parameter_set_version: String,
    parameter_set_digest: String,
    deadlines: Vec<DeadlineView>,
    /// The steps the requesting account may take now.
    next_steps: Vec<String>,
    entries: Vec<EntryView>,
}

fn deadline_views(loaded: &LoadedCase) -> Vec<DeadlineView> {
    let now = Utc::now();
    deadline::deadlines(&loaded.case, &loaded.params)
        .unwrap_or_default()
        .into_iter()
        .map(|d| DeadlineView {
            step: d.step.as_str().to_owned(),
            bound: d.bound,
            due: d.due.to_rfc3339(),
            overdue: d.bound == Bound::NotAfter && d.due < now,
            parameter: d.parameter_name,
            value: d.parameter_value,
            unit: d.parameter_unit,
            parameter_set_version: d.parameter_version,
        })
        .collect()
}

async fn detail<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    loaded: &LoadedCase,
) -> Result<CaseDetail, Failure> {
    let names = user_names(state).await?;
    let grants = case_grants(state, auth).await?;
    Ok(CaseDetail {
        summary: case_view(&loaded.record),
        subject: loaded.case.subject.clone(),
        parameter_set_version: loaded.case.parameter_set_version.clone(),
        parameter_set_digest: loaded.case.parameter_set_digest.clone(),
        deadlines: deadline_views(loaded),
        next_steps: steps_for(loaded, auth, &grants)
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        entries: loaded
            .entries
            .iter()
            .map(|e| EntryView {
                sequence: e.sequence,
                kind: e.kind,
                at: e.at.to_rfc3339(),
                actor: names
                    .iter()
                    .find(|(id, _)| *id == e.actor)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_else(|| e.actor.to_string()),
                ledger_index: e.ledger_index,
                body_sha256: e.body_sha256.clone(),
                body: serde_json::from_str(&e.body_json).unwrap_or(Value::Null),
            })
            .collect(),
    })
}

async fn user_names<S: Store>(
    state: &AppState<S>,
) -> Result<Vec<(bwcv_store::UserId, String)>, Failure> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

// ------------------------------------------------------------ the pages

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    state_party: Option<String>,
    #[serde(default)]
    open: Option<String>,
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Debug, Clone)]
struct ListRow {
    case_id: String,
    kind: String,
    title: String,
    state: String,
    requesting: String,
    inspected: String,
    classification: String,
    deadline: String,
    overdue: bool,
    updated: String,
}

#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<ListRow>,
    kinds: Vec<Choice>,
    states: Vec<Choice>,
    state_party: String,
    open_only: bool,
    can_raise: bool,
}

fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn humanize(text: &str) -> String {
    let text = text.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn may_raise(auth: &Auth) -> bool {
    match auth.user.role {
        Role::NationalAuthority => auth.user.state_party.is_some(),
        Role::SecretariatAnalyst => true,
        _ => false,
    }
}

/// `GET /cases`: the cases the person may see, with filters.
pub(crate) async fn list<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let shown = listable(&state, &auth, &query).await?;
    let now = Utc::now();
    let rows = shown
        .iter()
        .map(|(r, kind)| ListRow {
            case_id: r.case_id.clone(),
            kind: humanize(kind.as_str()),
            title: r.title.clone(),
            state: r.state.clone(),
            requesting: r
                .requesting
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "Secretariat".into()),
            inspected: r
                .inspected
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            classification: r.classification.label().to_owned(),
            deadline: match (&r.next_deadline, &r.next_deadline_label) {
                (Some(at), Some(label)) => format!("{label} {}", format_time(*at)),
                (Some(at), None) => format_time(*at),
                _ => String::new(),
            },
            overdue: r.next_deadline.is_some_and(|t| t < now),
            updated: format_time(r.updated_at),
        })
        .collect();
    let kind = query.kind.clone().unwrap_or_default();
    let wanted_state = query.state.clone().unwrap_or_default();
    render(&ListPage {
        nav: Nav::of(&auth),
        rows,
        kinds: CaseKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                label: humanize(k.as_str()),
                selected: k.as_str() == kind,
            })
            .collect(),
        states: CaseState::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: humanize(s.as_str()),
                selected: s.as_str() == wanted_state,
            })
            .collect(),
        state_party: query.state_party.clone().unwrap_or_default(),
        open_only: matches!(query.open.as_deref(), Some("1" | "true" | "on" | "yes")),
        can_raise: may_raise(&auth),
    })
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct NewQuery {
    #[serde(default)]
    declaration: Option<String>,
    #[serde(default)]
    state_party: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(crate) struct NewForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    declaration: String,
    #[serde(default)]
    state_party: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    json_path: String,
    #[serde(default)]
    concern: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    justification: String,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage {
    nav: Nav,
    form: NewForm,
    forms: Vec<Choice>,
    concerns: Vec<Choice>,
    classifications: Vec<Choice>,
    problems: Vec<FieldProblem>,
    message: String,
}

impl NewPage {
    /// The problem at `field`, if any ("" when none).
    fn problem_at(&self, field: &str) -> String {
        self.problems
            .iter()
            .filter(|p| p.path == field)
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn new_page(auth: &Auth, form: NewForm, problems: Vec<FieldProblem>, message: String) -> NewPage {
    let forms = crate::cbmform::forms()
        .iter()
        .map(|f| Choice {
            value: f.key.clone(),
            label: f.title.clone(),
            selected: f.key == form.form,
        })
        .collect();
    let concerns = ["ambiguity", "uncertainty", "anomaly", "omission"]
        .into_iter()
        .map(|c| Choice {
            value: c.to_owned(),
            label: humanize(c),
            selected: c == form.concern,
        })
        .collect();
    let classifications = [
        Classification::Restricted,
        Classification::Unclassified,
        Classification::Protected,
    ]
    .into_iter()
    .map(|c| Choice {
        value: c.as_str().to_owned(),
        label: c.label().to_owned(),
        selected: c.as_str() == form.classification,
    })
    .collect();
    NewPage {
        nav: Nav::of(auth),
        form,
        forms,
        concerns,
        classifications,
        problems,
        message,
    }
}

fn clip(text: &str) -> String {
    text.trim().chars().take(MAX_TEXT).collect()
}

/// `GET /cases/new`: the form to raise a clarification request, prefilled
/// from the declaration page's link.
pub(crate) async fn new_form<S: Store>(
    State(_state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    Query(query): Query<NewQuery>,
) -> Result<Response, WebError> {
    if !may_raise(&auth) {
        return Err(WebError(Failure::Forbidden(
            "a clarification is raised by a State Party's national authority or the Secretariat"
                .into(),
        )));
    }
    let form_key = clip(query.form.as_deref().unwrap_or(""));
    let path = match query.path.as_deref() {
        Some(path) if !path.trim().is_empty() => clip(path),
        _ if !form_key.is_empty() => format!("$.forms.{form_key}"),
        _ => "$.forms.".to_owned(),
    };
    let form = NewForm {
        declaration: clip(query.declaration.as_deref().unwrap_or("")),
        state_party: clip(query.state_party.as_deref().unwrap_or("")),
        year: clip(query.year.as_deref().unwrap_or("")),
        form: form_key,
        json_path: path,
        classification: "restricted".into(),
        ..NewForm::default()
    };
    render(&new_page(&auth, form, Vec::new(), String::new()))
}

/// The subject a new-case form describes, or the problems at its fields.
fn subject_of(form: &NewForm) -> Result<(Subject, Classification), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut at = |path: &str, message: String| {
        problems.push(FieldProblem {
            path: path.to_owned(),
            rule: "case.field".to_owned(),
            message,
        });
    };
    let state_party = StatePartyCode::new(form.state_party.trim());
    if let Err(e) = &state_party {
        at("state_party", e.to_string());
    }
    let year = form
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1975..=9999).contains(y));
    if year.is_none() {
        at("year", "give the reporting year (e.g. 2025)".into());
    }
    if !crate::cbmform::forms().iter().any(|f| f.key == form.form) {
        at("form", "choose the form concerned".into());
    }
    let json_path = clip(&form.json_path);
    if !json_path.starts_with('$') || json_path.len() < 2 {
        at(
            "json_path",
            "give the field as a JSON path starting with '$', e.g. $.forms.a_part_1.maximum_containment[0].name".into(),
        );
    }
    let concern = parse_concern(form.concern.trim());
    if concern.is_none() {
        at(
            "concern",
            "choose ambiguity, uncertainty, anomaly or omission".into(),
        );
    }
    let description = clip(&form.description);
    if description.is_empty() {
        at("description", "describe what needs clarifying".into());
    }
    let classification = match form.classification.trim() {
        "" => Some(Classification::Restricted),
        text => text
            .parse::<Classification>()
            .ok()
            .filter(|c| *c <= Classification::Protected),
    };
    if classification.is_none() {
        at(
            "classification",
            "choose Unclassified, Restricted or Protected".into(),
        );
    }
    if clip(&form.justification).is_empty() {
        at(
            "justification",
            "state why the clarification is needed (recorded with the case)".into(),
        );
    }
    match (state_party, year, concern, classification) {
        (Ok(state_party), Some(year), Some(concern), Some(classification))
            if problems.is_empty() =>
        {
            Ok((
                Subject::Declaration(DeclarationPoint {
                    state_party,
                    year,
                    form: form.form.clone(),
                    json_path,
                    concern,
                    description,
                }),
                classification,
            ))
        }
        _ => Err(problems),
    }
}

/// `POST /cases/new`: raises the clarification request.
pub(crate) async fn create<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(form): Form<NewForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let failed = |problems: Vec<FieldProblem>, message: String, status: StatusCode| {
        let page = new_page(&auth, form.clone(), problems, message);
        match page.render() {
            Ok(html) => Ok((status, Html(html)).into_response()),
            Err(e) => Err(WebError(Failure::from(e))),
        }
    };
    let (subject, classification) = match subject_of(&form) {
        Ok(parts) => parts,
        Err(problems) => {
            return failed(
                problems,
                "The request is not complete; see the fields marked below.".into(),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let why = clip(&form.justification);
    match open(
        &state,
        &auth,
        CaseKind::Clarification,
        subject,
        classification,
        &why,
    )
    .await
    {
        Ok(loaded) => Ok(Redirect::to(&format!(
            "/cases/{}?message=opened{}",
            loaded.record.case_id,
            carry_justification(loaded.record.classification, &why)
        ))
        .into_response()),
        Err(Failure::BadRequest { message, problems }) => {
            let problems = problems
                .into_iter()
                .map(|p| FieldProblem {
                    path: match p.path.as_str() {
                        "/subject/year" => "year".into(),
                        "/subject" => "json_path".into(),
                        _ => p.path,
                    },
                    ..p
                })
                .collect();
            failed(problems, message, StatusCode::BAD_REQUEST)
        }
        Err(Failure::Forbidden(reason)) => failed(
            Vec::new(),
            format!("Refused: {reason}."),
            StatusCode::FORBIDDEN,
        ),
        Err(other) => Err(WebError(other)),
    }
}

/// `&justification=...` for a redirect to a case page, when reading it
/// needs one: the justification of the write that led there.
fn carry_justification(classification: Classification, why: &str) -> String {
    if access::requires_audit(Action::Read, classification) {
        format!("&justification={}", url_encode(why))
    } else {
        String::new()
    }
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[derive(Debug, Clone)]
struct TimelineRow {
    /// The text of a kept document (shown escaped, preformatted).
    document: String,
    sequence: u32,
    at: String,
    actor: String,
    entry_kind: String,
    change: String,
    justification: String,
    ledger_index: u64,
    digest: String,
    digest_short: String,
}

#[derive(Debug, Clone)]
struct DeadlineRow {
    what: String,
    bound: &'static str,
    due: String,
    overdue: bool,
    parameter: String,
}

#[derive(Debug, Clone)]
struct StepForm {
    step: String,
    label: String,
    input: &'static str,
    document_label: &'static str,
    json_hint: &'static str,
    /// The field of this form a refusal concerns ("" when none).
    invalid: String,
}

#[derive(Debug, Clone)]
struct Fact {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct ShowPage {
    nav: Nav,
    case_id: String,
    title: String,
    kind: String,
    state: String,
    classification: String,
    subject: Vec<Fact>,
    declaration_link: String,
    parameter_set: String,
    timeline: Vec<TimelineRow>,
    deadlines: Vec<DeadlineRow>,
    steps: Vec<StepForm>,
    sequence: u32,
    message: String,
    error: String,
    closed: bool,
}

fn subject_facts(subject: &Subject) -> Vec<Fact> {
    let fact = |label: &str, value: String| Fact {
        label: label.to_owned(),
        value,
    };
    match subject {
        Subject::Declaration(point) => vec![
            fact("Declaring State Party", point.state_party.to_string()),
            fact("Reporting year", point.year.to_string()),
            fact("Form", point.form.clone()),
            fact("Field", point.json_path.clone()),
            fact("Concern", concern_label(point.concern).to_owned()),
            fact("Description", point.description.clone()),
        ],
        Subject::DrawnFacility {
            facility,
            draw_id,
            draw_record_sha256,
        } => vec![
            fact("Facility", facility.to_string()),
            fact("Draw", draw_id.clone()),
            fact("Draw record (SHA-256)", draw_record_sha256.clone()),
        ],
        Subject::AssistanceRequest {
            state_party,
            purpose,
        } => vec![
            fact("Requesting State Party", state_party.to_string()),
            fact("Purpose", purpose.clone()),
        ],
        Subject::Investigation(request) => {
            let mut facts = vec![
                fact(
                    "Requesting State Party",
                    request
                        .requesting_state_party
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "(missing)".into()),
                ),
                fact(
                    "State Party concerned",
                    request
                        .investigated_state_party
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "(missing)".into()),
                ),
                fact("Alleged facts", request.alleged_facts.clone()),
            ];
            if let Some(location) = &request.location {
                facts.push(fact("Location", location.description.clone()));
            }
            if let Some(period) = &request.period {
                facts.push(fact(
                    "Period",
                    format!("{} to {}", format_time(period.from), format_time(period.to)),
                ));
            }
            facts.push(fact(
                "Evidence",
                format!("{} item(s)", request.evidence.len()),
            ));
            if let Some(facility) = &request.facility {
                facts.push(fact("Facility", facility.to_string()));
            }
            facts
        }
    }
}

/// The first 12 hex digits of a digest, for tables (the full digest is in
/// the JSON API and the title attribute).
fn short(digest: &str) -> String {
    let head: String = digest.chars().take(12).collect();
    if head.len() < digest.len() {
        format!("{head}…")
    } else {
        head
    }
}

fn describe_change(change: &Change) -> String {
    match change {
        Change::Opened { kind, state, .. } => {
            format!("Opened as a {} case ({})", humanize(kind.as_str()), state)
        }
        Change::Transitioned {
            from,
            to,
            transition,
        } => {
            let data = match transition {
                Transition::SendRequest { request_sha256 } => {
                    format!("; request SHA-256 {}", short(request_sha256))
                }
                Transition::RecordReply { reply_sha256 } => {
                    format!("; reply SHA-256 {}", short(reply_sha256))
                }
                Transition::ScheduleConsultation { meeting_at } => {
                    format!("; meeting at {}", format_time(*meeting_at))
                }
                Transition::HoldConsultation { minutes_sha256 } => {
                    format!("; minutes SHA-256 {}", short(minutes_sha256))
                }
                Transition::IssuePreliminaryReport { report_sha256 }
                | Transition::IssueReport { report_sha256 }
                | Transition::AppendComments { report_sha256 } => {
                    format!("; report SHA-256 {}", short(report_sha256))
                }
                Transition::Close { outcome } => format!("; outcome: {outcome}"),
                Transition::AppointTeam { team } => format!(
                    "; team: {}",
                    team.members
                        .iter()
                        .map(|m| m.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Transition::CouncilDecision { tally } => format!(
                    "; {:?}: {} for, {} against, {} abstaining",
                    tally.outcome, tally.votes_for, tally.votes_against, tally.abstentions
                ),
                _ => String::new(),
            };
            format!(
                "{}: {} → {}{}",
                step_label(transition.step()),
                from,
                to,
                data
            )
        }
        Change::ParametersChanged {
            old_version,
            new_version,
            affected_deadlines,
            ..
        } => format!(
            "Parameter set {old_version} → {new_version}; {} deadline(s) moved",
            affected_deadlines.len()
        ),
    }
}

/// A kept document entry: its name, the sequence of the event recording
/// its digest, and its text.
fn kept_document(entry: &CaseEntry) -> Option<(String, u64, String)> {
    if !matches!(entry.kind, CaseEntryKind::Report | CaseEntryKind::Comment) {
        return None;
    }
    let value: Value = serde_json::from_str(&entry.body_json).ok()?;
    Some((
        value.get("document")?.as_str()?.to_owned(),
        value.get("event_sequence")?.as_u64()?,
        value.get("text")?.as_str()?.to_owned(),
    ))
}

/// Renders the case page (after a refusal too: `error` and `status`).
/// A refused step, shown on the case page: the reason, and the form and
/// field it concerns (marked `aria-invalid` there).
#[derive(Debug, Clone, Default)]
struct StepError {
    message: String,
    step: String,
    field: String,
}

/// The form field a refusal concerns.
fn field_of(failure: &Failure) -> String {
    let path = match failure {
        Failure::JustificationRequired => return "justification".to_owned(),
        Failure::BadRequest { problems, .. } => {
            problems.first().map(|p| p.path.as_str()).unwrap_or("")
        }
        _ => return String::new(),
    };
    match path {
        "document" | "meeting_at" | "outcome" | "data" | "justification" => path.to_owned(),
        "/transition/meeting_at" => "meeting_at".to_owned(),
        "/transition/outcome" => "outcome".to_owned(),
        p if p.ends_with("_sha256") => "document".to_owned(),
        p if p.starts_with("/transition/") && p != "/transition/step" => "data".to_owned(),
        _ => String::new(),
    }
}

async fn show_page<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    loaded: &LoadedCase,
    message: String,
    error: StepError,
    status: StatusCode,
) -> Result<Response, WebError> {
    let names = user_names(state).await?;
    let grants = case_grants(state, auth).await?;
    let timeline = loaded
        .entries
        .iter()
        .map(|entry| {
            let (actor, change, justification) = match entry.kind {
                CaseEntryKind::Event => match serde_json::from_str::<CaseEvent>(&entry.body_json) {
                    Ok(event) => (
                        format!(
                            "{} ({}{})",
                            event.actor.user,
                            event.actor.role.label(),
                            event
                                .actor
                                .state_party
                                .as_ref()
                                .map(|p| format!(", {p}"))
                                .unwrap_or_default()
                        ),
                        describe_change(&event.change),
                        event.justification,
                    ),
                    Err(_) => (String::new(), "(unreadable event)".into(), String::new()),
                },
                other => (
                    names
                        .iter()
                        .find(|(id, _)| *id == entry.actor)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                    match kept_document(entry) {
                        Some((name, sequence, _)) => format!(
                            "Text of the {} (SHA-256 recorded by entry {sequence})",
                            name.replace('_', " ")
                        ),
                        None => format!("{} recorded", humanize(other.as_str())),
                    },
                    String::new(),
                ),
            };
            let document = kept_document(entry)
                .map(|(_, _, text)| text)
                .unwrap_or_default();
            TimelineRow {
                sequence: entry.sequence,
                at: format_time(entry.at),
                actor,
                entry_kind: entry.kind.as_str().to_owned(),
                change,
                justification,
                ledger_index: entry.ledger_index,
                digest: entry.body_sha256.clone(),
                digest_short: short(&entry.body_sha256),
                document,
            }
        })
        .collect();
    let now = Utc::now();
    let deadlines = deadline::deadlines(&loaded.case, &loaded.params)
        .unwrap_or_default()
        .into_iter()
        .map(|d| DeadlineRow {
            what: step_label(d.step).to_owned(),
            bound: match d.bound {
                Bound::NotAfter => "due by",
                Bound::NotBefore => "not before",
            },
            due: format_time(d.due),
            overdue: d.bound == Bound::NotAfter && d.due < now,
            parameter: format!(
                "{} = {} {} (parameter set {})",
                d.parameter_name, d.parameter_value, d.parameter_unit, d.parameter_version
            ),
        })
        .collect();
    let steps = steps_for(loaded, auth, &grants)
        .into_iter()
        .map(|step| StepForm {
            step: step.as_str().to_owned(),
            label: step_label(step).to_owned(),
            input: match input_of(step) {
                Input::None => "none",
                Input::Document => "document",
                Input::MeetingAt => "meeting_at",
                Input::Outcome => "outcome",
                Input::Json => "json",
            },
            document_label: document_label(step),
            json_hint: json_hint(step),
            invalid: if error.step == step.as_str() {
                error.field.clone()
            } else {
                String::new()
            },
        })
        .collect();
    let declaration_link = match &loaded.case.subject {
        Subject::Declaration(point) => format!("/history/{}", point.state_party),
        _ => String::new(),
    };
    let page = ShowPage {
        nav: Nav::of(auth),
        case_id: loaded.record.case_id.clone(),
        title: loaded.record.title.clone(),
        kind: humanize(loaded.case.kind.as_str()),
        state: loaded.case.state.as_str().to_owned(),
        classification: loaded.record.classification.label().to_owned(),
        subject: subject_facts(&loaded.case.subject),
        declaration_link,
        parameter_set: format!(
            "{} (SHA-256 {})",
            loaded.case.parameter_set_version, loaded.case.parameter_set_digest
        ),
        timeline,
        deadlines,
        steps,
        sequence: loaded.record.n_records,
        message,
        error: error.message,
        closed: loaded.case.state.is_terminal(),
    };
    let html = page.render().map_err(Failure::from)?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "justify.html")]
struct JustifyPage {
    nav: Nav,
    action: String,
}

/// `GET /cases/{id}`: the case page.
pub(crate) async fn show<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let why = justification(&headers, query.justification.as_deref());
    let loaded = match load_visible_case(&state, &auth, &id, why.as_deref()).await {
        Ok(loaded) => loaded,
        Err(Failure::JustificationRequired) => {
            return render(&JustifyPage {
                nav: Nav::of(&auth),
                action: format!("/cases/{id}"),
            });
        }
        Err(Failure::BadRequest { .. }) => return Err(WebError(Failure::NotFound)),
        Err(other) => return Err(WebError(other)),
    };
    let message = match query.message.as_deref() {
        Some("opened") => "The case is opened and recorded in the evidence ledger.".to_owned(),
        Some("step") => "Done. The step is recorded in the evidence ledger.".to_owned(),
        _ => String::new(),
    };
    show_page(
        &state,
        &auth,
        &loaded,
        message,
        StepError::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(crate) struct StepFormData {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    step: String,
    #[serde(default)]
    sequence: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    meeting_at: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    data: String,
}

/// The transition a step form describes.
fn transition_of(form: &StepFormData) -> Result<Transition, Failure> {
    let step = parse_step(form.step.trim())
        .ok_or_else(|| problem("step", "case.step", "choose one of the offered steps"))?;
    let document = || {
        let text = clip(&form.document);
        if text.is_empty() {
            Err(problem(
                "document",
                "case.document",
                "give the document's text (its SHA-256 is recorded)",
            ))
        } else {
            Ok(sha256_hex(&text))
        }
    };
    let json = |what: &str| -> Result<Value, Failure> {
        serde_json::from_str::<Value>(form.data.trim())
            .map_err(|e| problem("data", "case.data", format!("{what} as JSON: {e}")))
    };
    let from_value = |value: Value| -> Result<Transition, Failure> {
        let mut object = match value {
            Value::Object(object) => object,
            _ => return Err(problem("data", "case.data", "give a JSON object")),
        };
        object.insert("step".into(), Value::String(step.as_str().to_owned()));
        serde_json::from_value(Value::Object(object))
            .map_err(|e| problem("data", "case.data", e.to_string()))
    };
    Ok(match step {
        Step::SendRequest => Transition::SendRequest {
            request_sha256: document()?,
        },
        Step::RecordReply => Transition::RecordReply {
            reply_sha256: document()?,
        },
        Step::HoldConsultation => Transition::HoldConsultation {
            minutes_sha256: document()?,
        },
        Step::IssuePreliminaryReport => Transition::IssuePreliminaryReport {
            report_sha256: document()?,
        },
        Step::IssueReport => Transition::IssueReport {
            report_sha256: document()?,
        },
        Step::AppendComments => Transition::AppendComments {
            report_sha256: document()?,
        },
        Step::ScheduleConsultation => {
            let text = form.meeting_at.trim();
            let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| {
                    problem(
                        "meeting_at",
                        "case.meeting_at",
                        "give the meeting's date and time (UTC) as YYYY-MM-DDTHH:MM",
                    )
                })?;
            Transition::ScheduleConsultation {
                meeting_at: parsed.and_utc(),
            }
        }
        Step::Close => {
            let outcome = clip(&form.outcome);
            if outcome.is_empty() {
                return Err(problem(
                    "outcome",
                    "case.outcome",
                    "record the outcome: what was established",
                ));
            }
            Transition::Close { outcome }
        }
        Step::AmendRequest => from_value(json!({"request": json("the request")?}))?,
        Step::AppointTeam => from_value(json!({"team": json("the team")?}))?,
        Step::CouncilDecision => return Err(council_decision_refused()),
        Step::ProposeVisit => Transition::ProposeVisit,
        Step::Accept => Transition::Accept,
        Step::Decline => Transition::Decline,
        Step::File => Transition::File,
        Step::Notify => Transition::Notify,
        Step::BeginVisit => Transition::BeginVisit,
        Step::EndVisit => Transition::EndVisit,
        Step::Withdraw => Transition::Withdraw,
    })
}

/// `POST /cases/{id}/steps`: applies one step; refusals re-render the case
/// page with the reason.
pub(crate) async fn step<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StepFormData>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    let why = clip(&form.justification);
    let result = async {
        let expected: u32 = form
            .sequence
            .trim()
            .parse()
            .map_err(|_| problem("sequence", "case.sequence", "reload the page"))?;
        let transition = transition_of(&form)?;
        let document = document_of(&transition).map(|_| clip(&form.document));
        apply_step(&state, &auth, &id, expected, transition, &why, document).await
    }
    .await;
    match result {
        Ok(loaded) => Ok(Redirect::to(&format!(
            "/cases/{}?message=step{}",
            loaded.record.case_id,
            carry_justification(loaded.record.classification, &why)
        ))
        .into_response()),
        Err(failure @ (Failure::NotFound | Failure::Csrf | Failure::Internal(_))) => {
            Err(WebError(failure))
        }
        Err(failure) => {
            // Re-render the case as it is now, with the reason.
            let status = match &failure {
                Failure::Conflict(_) => StatusCode::CONFLICT,
                Failure::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            let error = StepError {
                message: match &failure {
                    Failure::JustificationRequired => {
                        "Give a justification for this step: it is recorded with the step."
                            .to_owned()
                    }
                    other => other.message(),
                },
                step: form.step.trim().to_owned(),
                field: field_of(&failure),
            };
            let reread = if why.is_empty() {
                None
            } else {
                Some(why.as_str())
            };
            match load_visible_case(
                &state,
                &auth,
                &id,
                reread.or(Some("re-reading the case after a refused step")),
            )
            .await
            {
                Ok(loaded) => show_page(&state, &auth, &loaded, String::new(), error, status).await,
                Err(_) => Err(WebError(failure)),
            }
        }
    }
}

// ------------------------------------------------------------ the API

/// `GET /api/v1/cases`: the cases the caller may see.
pub(crate) async fn api_list<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Query(mut query): Query<ListQuery>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    if query.justification.is_none() {
        query.justification = justification(&headers, None);
    }
    let shown = listable(&state, &auth, &query).await?;
    Ok(Json(shown.iter().map(|(r, _)| case_view(r)).collect()))
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ReadQuery {
    #[serde(default)]
    justification: Option<String>,
}

/// `GET /api/v1/cases/{id}`: the case with its entries, deadlines and the
/// caller's next steps.
pub(crate) async fn api_get<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Json<CaseDetail>, ApiError> {
    check_case_id(&id)?;
    let why = justification(&headers, query.justification.as_deref());
    let loaded = load_visible_case(&state, &auth, &id, why.as_deref()).await?;
    Ok(Json(detail(&state, &auth, &loaded).await?))
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| {
        problem(
            "",
            "request.json",
            format!(
                "the request is not valid (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenRequest {
    kind: String,
    subject: Value,
    #[serde(default)]
    classification: Option<String>,
    #[serde(default)]
    justification: Option<String>,
}

/// `POST /api/v1/cases`: opens a case of any kind (the subject as
/// `bwcv_cases::case::Subject` JSON).
pub(crate) async fn api_open<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    auth.check_csrf(&headers, None)?;
    let request: OpenRequest = json_body(&body)?;
    let kind = parse_kind(request.kind.trim())
        .ok_or_else(|| problem("/kind", "case.kind", unknown_kind(&request.kind)))?;
    let subject: Subject = serde_json::from_value(request.subject)
        .map_err(|e| problem("/subject", "case.subject", e.to_string()))?;
    let classification = match request.classification.as_deref().map(str::trim) {
        None | Some("") => Classification::Restricted,
        Some(text) => text
            .parse::<Classification>()
            .map_err(|e| problem("/classification", "case.classification", e.to_string()))?,
    };
    let why = justification(&headers, request.justification.as_deref())
        .ok_or(Failure::JustificationRequired)?;
    let loaded = open(&state, &auth, kind, subject, classification, &why).await?;
    let detail = detail(&state, &auth, &loaded).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/cases/{}", loaded.record.case_id),
        )],
        Json(detail),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    /// A `bwcv_cases::case::Transition` (`{"step": "send_request", ...}`).
    transition: Value,
    /// The case's `n_records` the caller saw.
    expected_sequence: u32,
    #[serde(default)]
    justification: Option<String>,
    /// The text of the document whose SHA-256 the transition records
    /// (request, reply, minutes, report); kept with the case when given.
    #[serde(default)]
    document: Option<String>,
}

/// `POST /api/v1/cases/{id}/steps`: applies one transition.
pub(crate) async fn api_step<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseDetail>, ApiError> {
    auth.check_csrf(&headers, None)?;
    check_case_id(&id)?;
    let request: StepRequest = json_body(&body)?;
    let transition: Transition = serde_json::from_value(request.transition)
        .map_err(|e| problem("/transition", "case.transition", e.to_string()))?;
    let why = justification(&headers, request.justification.as_deref())
        .ok_or(Failure::JustificationRequired)?;
    let loaded = apply_step(
        &state,
        &auth,
        &id,
        request.expected_sequence,
        transition,
        &why,
        request.document,
    )
    .await?;
    Ok(Json(detail(&state, &auth, &loaded).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids_are_checked() {
        for good in ["CL-2027-0001", "FI-2026-12345"] {
            assert!(check_case_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1",
            "cl-2027-0001",
            "CL-27-0001",
            "CL-2027-1",
            "CL-2027-0001-2",
            "../x",
        ] {
            assert!(check_case_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_step_has_a_probe_of_its_own_kind_or_a_rule() {
        let at = Utc::now();
        for step in Step::ALL {
            let probe = probe(*step, at);
            assert!(
                probe.step() == *step || matches!(step, Step::AmendRequest | Step::CouncilDecision),
                "{step}"
            );
        }
    }

    #[test]
    fn summaries_tell_history_except_for_finished_cases() {
        assert!(history_from_summary(CaseKind::Clarification, CaseState::Closed).is_none());
        assert!(history_from_summary(CaseKind::FieldInvestigation, CaseState::Withdrawn).is_none());
        let visit = history_from_summary(CaseKind::Clarification, CaseState::Notified).unwrap();
        assert!(visit.visit_proposed);
        let draft =
            history_from_summary(CaseKind::FacilityInvestigation, CaseState::Drafted).unwrap();
        assert!(!draft.filed);
        assert!(history_from_summary(CaseKind::TransparencyVisit, CaseState::Closed).is_some());
    }

    #[test]
    fn step_forms_build_transitions_and_name_bad_fields() {
        let form = |step: &str| StepFormData {
            step: step.into(),
            sequence: "1".into(),
            justification: "why".into(),
            ..StepFormData::default()
        };
        let mut send = form("send_request");
        assert!(matches!(
            transition_of(&send),
            Err(Failure::BadRequest { ref problems, .. }) if problems[0].path == "document"
        ));
        send.document = "Please explain the BSL of facility 2".into();
        assert!(matches!(
            transition_of(&send),
            Ok(Transition::SendRequest { request_sha256 }) if request_sha256.len() == 64
        ));
        let mut meeting = form("schedule_consultation");
        meeting.meeting_at = "2027-02-30T10:00".into();
        assert!(transition_of(&meeting).is_err());
        meeting.meeting_at = "2027-02-03T10:00".into();
        assert!(transition_of(&meeting).is_ok());
        assert!(transition_of(&form("close")).is_err());
        assert!(transition_of(&form("fly")).is_err());
        let mut team = form("appoint_team");
        team.data = "[1,2".into();
        assert!(transition_of(&team).is_err());
        team.data = r#"{"members": ["INS-0001"]}"#.into();
        assert!(matches!(
            transition_of(&team),
            Ok(Transition::AppointTeam { .. })
        ));
    }
}
