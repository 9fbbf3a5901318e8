//! The Executive Council's voting pages (issue 5, "Executive Council
//! decisions"; `bwcv_cases::council`).
//!
//! - `GET /council`: the decisions open for the Council (investigation
//!   cases in state `filed`, whose kind has a rule in
//!   `bwcv_cases::council::RuleBook`), and the decided ones.
//! - `GET /council/{case_id}`: the question, the rule that applies with its
//!   parameter names, the decision window, who has voted, and the tally.
//! - `POST /council/{case_id}/vote`: a Council member's vote, checked with
//!   `bwcv_cases::council::check_vote` (one vote per seat; interested
//!   members as the rule says), stored with `append_case_entry` as a
//!   `vote` entry (ledger entry and audit record in the same transaction).
//! - `POST /council/{case_id}/decide`: once the tally is final (the window
//!   has closed, or a majority of the whole membership has been reached),
//!   a Secretariat analyst records it as the case's `council_decision`
//!   transition (the state machine lets only the Secretariat take that
//!   step); the case's parties and the Council members are notified.
//!
//! Who sits: one seat per State Party, held by the active accounts with the
//! Executive Council member role and a State Party; a seat that has voted
//! stays counted even if its account is disabled later.
//!
//! Visibility of votes (a decision of this module): every vote is recorded
//! openly (case entry, ledger, audit), but while the outcome is pending the
//! page shows only which seats have voted and the counts that decide the
//! quorum; the choices and the tally appear once the outcome is final, so
//! that no member votes knowing how the others voted. A member always sees
//! their own vote. Once the outcome is final no further vote is taken.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use bwcv_cases::case::{Actor, Case, CaseEvent, CaseKind, State as CaseState, Transition};
use bwcv_cases::council::{
    self, Choice, InterestedMember, MajorityBase, Outcome, Procedure, Rule, RuleBook, Session,
    Tally, Vote,
};
use bwcv_core::StatePartyCode;
use bwcv_core::access::{self, Action, Decision};
use bwcv_core::params::ParameterSet;
use bwcv_store::cases::{CaseEntry, CaseEntryKind, CaseFilter, CaseRecord, NewCaseEntry};
use bwcv_store::{AuditOutcome, Role, Store, User, UserId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::{Auth, WebAuth};
use crate::calendar::{self, next_deadline};
use crate::cases::{LoadedCase, case_meta, load_visible_case};
use crate::error::{Failure, WebError};
use crate::pages::{Nav, audit, justification, new_audit, render};

/// The Council pages are for Council members and the Secretariat.
fn require_council_pages(auth: &Auth) -> Result<(), Failure> {
    match auth.user.role {
        Role::CouncilMember | Role::SecretariatAnalyst => Ok(()),
        _ => Err(Failure::Forbidden(
            "the Executive Council pages are for Council members and the Secretariat".into(),
        )),
    }
}

fn is_council_kind(kind: &str) -> Option<CaseKind> {
    [
        CaseKind::FieldInvestigation,
        CaseKind::FacilityInvestigation,
    ]
    .into_iter()
    .find(|k| k.as_str() == kind)
}

/// The parameter that sets the decision window of `kind`.
fn window_parameter(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::FacilityInvestigation => "investigation.facility.council_decision_hours",
        _ => "investigation.field.council_decision_hours",
    }
}

fn votes_of(entries: &[CaseEntry]) -> Result<Vec<(Vote, UserId)>, Failure> {
    entries
        .iter()
        .filter(|entry| entry.kind == CaseEntryKind::Vote)
        .map(|entry| {
            serde_json::from_str::<Vote>(&entry.body_json)
                .map(|vote| (vote, entry.actor))
                .map_err(|error| {
                    Failure::Internal(format!(
                        "vote entry {} of {} does not parse: {error}",
                        entry.sequence, entry.case_id
                    ))
                })
        })
        .collect()
}

/// The seats: one per State Party of an active Council member account,
/// plus every seat that has already voted.
async fn council_members<S: Store>(
    state: &AppState<S>,
    votes: &[Vote],
) -> Result<Vec<StatePartyCode>, Failure> {
    let mut seats: BTreeSet<StatePartyCode> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|user| user.role == Role::CouncilMember && !user.is_disabled())
        .filter_map(|user| user.state_party)
        .collect();
    seats.extend(votes.iter().map(|vote| vote.member.clone()));
    Ok(seats.into_iter().collect())
}

/// Everything about one Council decision.
#[derive(Debug)]
pub(crate) struct Standing {
    pub record: CaseRecord,
    pub case: Case,
    pub params: ParameterSet,
    pub rule: Rule,
    pub session: Session,
    pub votes: Vec<(Vote, UserId)>,
    /// `Err` holds why recorded votes do not tally (should not happen).
    pub tally: Result<Tally, String>,
}

/// The decision of a loaded Council case: `None` when the case is not of a
/// kind the Council decides, or has not been filed yet.
pub(crate) async fn standing<S: Store>(
    state: &AppState<S>,
    loaded: LoadedCase,
    now: DateTime<Utc>,
) -> Result<Option<Standing>, Failure> {
    let LoadedCase {
        record,
        case,
        entries,
        params,
    } = loaded;
    let Some(kind) = is_council_kind(&record.kind) else {
        return Ok(None);
    };
    let book = RuleBook::from_params(&params)
        .map_err(|error| Failure::Internal(format!("council rules: {error}")))?;
    let Some(rule) = book.rule_for(kind).cloned() else {
        return Ok(None);
    };
    let votes = votes_of(&entries)?;
    let plain: Vec<Vote> = votes.iter().map(|(vote, _)| vote.clone()).collect();
    let members = council_members(state, &plain).await?;
    let Some(session) = council::session_for(&case, members, &params)
        .map_err(|error| Failure::Internal(format!("council window: {error}")))?
    else {
        return Ok(None);
    };
    let tally = council::tally(&rule, &session, &plain, now).map_err(|error| error.to_string());
    Ok(Some(Standing {
        record,
        case,
        params,
        rule,
        session,
        votes,
        tally,
    }))
}

/// Loads a Council case the principal may read (`load_visible_case`:
/// access decided, a Protected read audited with `why`).
async fn load_readable<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    case_id: &str,
    why: Option<&str>,
) -> Result<LoadedCase, Failure> {
    let loaded = load_visible_case(state, auth, case_id, why).await?;
    if is_council_kind(&loaded.record.kind).is_none() {
        return Err(Failure::NotFound);
    }
    Ok(loaded)
}

/// Whether the access rules allow `action` on the loaded case.
fn decide(auth: &Auth, action: Action, loaded: &LoadedCase) -> Decision {
    match case_meta(&loaded.record, loaded.case.kind, Some(&loaded.case)) {
        Some(meta) => access::decide(
            &auth.principal(),
            action,
            &meta,
            &[],
            Utc::now().timestamp(),
        ),
        None => Decision::Deny(access::DenyReason::RoleFunction),
    }
}

// ------------------------------------------------------------ templates

fn procedure_text(procedure: Procedure) -> &'static str {
    match procedure {
        Procedure::RedLight => {
            "red light: the request proceeds unless a majority votes to stop it within the window (silence means it proceeds)"
        }
        Procedure::GreenLight => {
            "green light: the request proceeds only if a majority votes for it, with a quorum present"
        }
    }
}

fn base_text(base: MajorityBase) -> &'static str {
    match base {
        MajorityBase::VotingMembers => "all members entitled to vote",
        MajorityBase::VotesCast => "votes cast for and against (abstentions excluded)",
    }
}

fn interested_text(how: InterestedMember) -> &'static str {
    match how {
        InterestedMember::MayVote => "votes like any member",
        InterestedMember::MayNotVote => "takes no part (not counted; a vote is refused)",
        InterestedMember::QuorumOnly => {
            "counts for the quorum when present, but the vote is not counted"
        }
    }
}

fn choice_text(choice: Choice, procedure: Procedure) -> &'static str {
    match (choice, procedure) {
        (Choice::For, Procedure::GreenLight) => "for the request",
        (Choice::Against, Procedure::GreenLight) => "against the request",
        (Choice::For, Procedure::RedLight) => "not to stop the request",
        (Choice::Against, Procedure::RedLight) => "to stop the request",
        (Choice::Abstain, _) => "abstains",
    }
}

pub(crate) fn outcome_text(tally: &Tally) -> String {
    let outcome = match tally.outcome {
        Outcome::Pending => "pending",
        Outcome::Proceeds => "the request proceeds",
        Outcome::Stopped => "the request does not proceed",
    };
    let basis = match tally.basis {
        council::Basis::WindowOpen => "the window is open",
        council::Basis::MajorityFor => "a majority voted for it",
        council::Basis::MajorityAgainst => "a majority voted against it",
        council::Basis::NoMajority => "no majority was reached",
        council::Basis::NoQuorum => "the quorum was not reached",
    };
    format!("{outcome} ({basis})")
}

#[derive(Debug, Clone)]
struct DecisionRow {
    case_id: String,
    title: String,
    kind: String,
    state: String,
    closes: String,
    voted: String,
    you_voted: bool,
}

#[derive(Template)]
#[template(path = "council.html")]
struct ListPage {
    nav: Nav,
    open: Vec<DecisionRow>,
    decided: Vec<DecisionRow>,
    is_member: bool,
    seat: String,
}

#[derive(Debug, Clone)]
struct RuleRow {
    name: String,
    value: String,
}

#[derive(Debug, Clone)]
struct VoteRow {
    member: String,
    choice: String,
    at: String,
    counted: String,
}

#[derive(Template)]
#[template(path = "council_case.html")]
struct CasePage {
    nav: Nav,
    case_id: String,
    title: String,
    kind: String,
    state: String,
    classification: String,
    requesting: String,
    inspected: String,
    question: String,
    facts: String,
    rules: Vec<RuleRow>,
    opens: String,
    closes: String,
    window_open: bool,
    seats: String,
    voted_seats: String,
    show_choices: bool,
    votes: Vec<VoteRow>,
    own_vote: String,
    tally_rows: Vec<RuleRow>,
    outcome: String,
    final_outcome: bool,
    tally_error: String,
    can_vote: bool,
    vote_note: String,
    can_decide: bool,
    decided: bool,
    message: String,
    justification: String,
}

fn seat_of(auth: &Auth) -> Option<StatePartyCode> {
    (auth.user.role == Role::CouncilMember)
        .then(|| auth.user.state_party.clone())
        .flatten()
}

fn standing_of(seat: &StatePartyCode, rule: &Rule, session: &Session) -> &'static str {
    let mut how = None;
    if session.requesting.as_ref() == Some(seat) {
        how = Some(rule.requesting_member);
    }
    if session.inspected.as_ref() == Some(seat) {
        how = match (how, rule.inspected_member) {
            (Some(InterestedMember::MayNotVote), _) | (_, InterestedMember::MayNotVote) => {
                Some(InterestedMember::MayNotVote)
            }
            (Some(InterestedMember::QuorumOnly), _) | (_, InterestedMember::QuorumOnly) => {
                Some(InterestedMember::QuorumOnly)
            }
            _ => Some(InterestedMember::MayVote),
        };
    }
    match how {
        None | Some(InterestedMember::MayVote) => "counted",
        Some(InterestedMember::QuorumOnly) => "quorum only (interested State Party)",
        Some(InterestedMember::MayNotVote) => "not counted (interested State Party)",
    }
}

fn case_page(
    auth: &Auth,
    standing: &Standing,
    message: String,
    justification: String,
) -> Result<Response, WebError> {
    let Standing {
        record,
        case,
        params,
        rule,
        session,
        votes,
        tally,
    } = standing;
    let kind = case.kind;
    let now = Utc::now();
    let final_outcome = tally
        .as_ref()
        .is_ok_and(|tally| tally.outcome != Outcome::Pending);
    let filed = case.state == CaseState::Filed;
    let seat = seat_of(auth);
    let own = seat
        .as_ref()
        .and_then(|seat| votes.iter().find(|(vote, _)| &vote.member == seat));
    let window_hours = params.hours(window_parameter(kind)).unwrap_or_default();
    let rules = vec![
        RuleRow {
            name: "procedure".into(),
            value: procedure_text(rule.procedure).into(),
        },
        RuleRow {
            name: "majority base".into(),
            value: base_text(rule.majority_base).into(),
        },
        RuleRow {
            name: council::PARAM_MAJORITY.into(),
            value: format!(
                "{}: a majority is more than this fraction of the base",
                rule.majority_fraction
            ),
        },
        RuleRow {
            name: council::PARAM_QUORUM.into(),
            value: format!(
                "{}: at least this fraction of the members counted for the quorum must vote (abstaining counts as present)",
                rule.quorum_fraction
            ),
        },
        RuleRow {
            name: window_parameter(kind).into(),
            value: format!("{window_hours} hours from filing"),
        },
        RuleRow {
            name: "member of the requesting State Party".into(),
            value: interested_text(rule.requesting_member).into(),
        },
        RuleRow {
            name: "member of the inspected State Party".into(),
            value: interested_text(rule.inspected_member).into(),
        },
        RuleRow {
            name: "parameter set".into(),
            value: format!("{} (digest {})", params.version(), params.digest()),
        },
    ];
    let (question, facts) = match &case.subject {
        bwcv_cases::case::Subject::Investigation(request) => (
            format!(
                "Shall the {} requested by {} {} proceed?",
                kind.as_str().replace('_', " "),
                request
                    .requesting_state_party
                    .as_ref()
                    .map_or("the requesting State Party".to_owned(), ToString::to_string),
                request
                    .investigated_state_party
                    .as_ref()
                    .map_or(String::new(), |p| format!("concerning {p}")),
            ),
            request.alleged_facts.clone(),
        ),
        _ => (format!("Shall case {} proceed?", case.id), String::new()),
    };
    let vote_rows = votes
        .iter()
        .map(|(vote, _)| VoteRow {
            member: vote.member.to_string(),
            choice: choice_text(vote.choice, rule.procedure).into(),
            at: vote.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            counted: standing_of(&vote.member, rule, session).into(),
        })
        .collect();
    let (tally_rows, outcome, tally_error) = match tally {
        Ok(tally) => {
            let mut rows = vec![
                RuleRow {
                    name: "seats present (voted, abstentions included)".into(),
                    value: format!("{} of {}", tally.present, session.members.len()),
                },
                RuleRow {
                    name: "quorum".into(),
                    value: format!(
                        "{} needed of {} counted for the quorum: {}",
                        tally.quorum_needed,
                        tally.quorum_members,
                        if tally.quorum_reached {
                            "reached"
                        } else {
                            "not reached"
                        }
                    ),
                },
                RuleRow {
                    name: "members entitled to vote".into(),
                    value: tally.voting_members.to_string(),
                },
            ];
            if final_outcome {
                rows.push(RuleRow {
                    name: "votes".into(),
                    value: format!(
                        "{} for, {} against, {} abstentions (counted votes only)",
                        tally.votes_for, tally.votes_against, tally.abstentions
                    ),
                });
                rows.push(RuleRow {
                    name: "majority threshold".into(),
                    value: format!("more than {}", tally.majority_threshold),
                });
            }
            (rows, outcome_text(tally), String::new())
        }
        Err(error) => (Vec::new(), String::new(), error.clone()),
    };
    let window_open = now >= session.opens_at && now <= session.closes_at;
    let (can_vote, vote_note) = match &seat {
        None => (false, String::new()),
        Some(_) if !filed => (false, "The case is no longer before the Council.".into()),
        Some(_) if own.is_some() => (false, "Your seat has voted; a member votes once.".into()),
        Some(_) if final_outcome => (
            false,
            "The outcome is final; no further vote is taken.".into(),
        ),
        Some(_) if !window_open => (false, "The decision window is closed.".into()),
        Some(seat) if standing_of(seat, rule, session).starts_with("not counted") => (
            false,
            "Your State Party is interested in this case; under the rule it takes no part.".into(),
        ),
        Some(_) => (true, String::new()),
    };
    render(&CasePage {
        nav: Nav::of(auth),
        case_id: record.case_id.clone(),
        title: record.title.clone(),
        kind: kind.as_str().replace('_', " "),
        state: case.state.as_str().replace('_', " "),
        classification: record.classification.label().to_owned(),
        requesting: session
            .requesting
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        inspected: session
            .inspected
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        question,
        facts,
        rules,
        opens: session.opens_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        closes: session.closes_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        window_open,
        seats: session
            .members
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        voted_seats: votes
            .iter()
            .map(|(vote, _)| vote.member.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        show_choices: final_outcome,
        votes: vote_rows,
        own_vote: own
            .map(|(vote, _)| {
                format!(
                    "{} ({})",
                    choice_text(vote.choice, rule.procedure),
                    vote.at.format("%Y-%m-%d %H:%M UTC")
                )
            })
            .unwrap_or_default(),
        tally_rows,
        outcome,
        final_outcome,
        tally_error,
        can_vote,
        vote_note,
        can_decide: auth.user.role == Role::SecretariatAnalyst && filed && final_outcome,
        decided: !filed,
        message,
        justification,
    })
}

/// Stores a vote already checked with `council::check_vote`: a `vote`
/// entry (canonical JSON of the `bwcv_cases` value), its `case-event/v2`
/// ledger entry (entry kind `vote`, step `council_vote`, the vote's
/// `body_sha256`, the state unchanged) and the audit record, in the store's one transaction.
pub(crate) async fn append_vote<S: Store>(
    store: &S,
    record: &CaseRecord,
    vote: &Vote,
    actor: &User,
    why: &str,
) -> Result<(), Failure> {
    let body = String::from_utf8(bwcv_cases::canonical::to_bytes(vote))
        .map_err(|error| Failure::Internal(format!("vote JSON: {error}")))?;
    let body_sha256 = hex::encode(Sha256::digest(body.as_bytes()));
    let ledger = crate::draws::case_event_entry(
        &record.case_id,
        bwcv_ledger::entry::CaseEntryKind::Vote,
        "council_vote",
        &body,
        &record.state,
        &record.state,
        &actor.username,
        why,
        vote.at,
    );
    let audit_record = bwcv_store::NewAuditRecord {
        at: vote.at,
        actor: Some(actor.id),
        actor_role: Some(actor.role),
        action: "case.vote".to_owned(),
        object_kind: "case".to_owned(),
        object_id: Some(record.case_id.clone()),
        classification: record.classification,
        justification: why.to_owned(),
        outcome: AuditOutcome::Success,
        detail: serde_json::json!({"member": vote.member.to_string(), "vote_sha256": body_sha256}),
    };
    store
        .append_case_entry(
            NewCaseEntry {
                case_id: record.case_id.clone(),
                sequence: record.n_records,
                kind: CaseEntryKind::Vote,
                at: vote.at,
                actor: actor.id,
                body_json: body,
                body_sha256,
                state_after: record.state.clone(),
                next_deadline: record.next_deadline,
                next_deadline_label: record.next_deadline_label.clone(),
            },
            ledger,
            audit_record,
        )
        .await?;
    Ok(())
}

// ------------------------------------------------------------- handlers

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The justification recorded when the Council list reads Protected cases.
const LIST_PURPOSE: &str = "Executive Council decisions list";

/// `GET /council`: the decisions before the Council.
pub(crate) async fn list<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
) -> Result<Response, WebError> {
    require_council_pages(&auth)?;
    let now = Utc::now();
    let seat = seat_of(&auth);
    let cases = state.store.list_cases(CaseFilter::default()).await?;
    let mut open = Vec::new();
    let mut decided = Vec::new();
    for record in cases {
        if is_council_kind(&record.kind).is_none() || record.state == CaseState::Drafted.as_str() {
            continue;
        }
        let is_open = record.state == CaseState::Filed.as_str();
        let case_id = record.case_id.clone();
        let title = record.title.clone();
        let kind = record.kind.replace('_', " ");
        let state_text = record.state.replace('_', " ");
        // The list shows votes and windows, so each case is read through
        // the one loading path (access decided; a Protected read audited).
        let loaded = match load_visible_case(&state, &auth, &case_id, Some(LIST_PURPOSE)).await {
            Ok(loaded) => loaded,
            Err(Failure::NotFound | Failure::Forbidden(_) | Failure::BadRequest { .. }) => {
                continue;
            }
            Err(failure) => {
                // One case that does not replay does not hide the others.
                tracing::warn!(case = %case_id, ?failure, "council list: case skipped");
                continue;
            }
        };
        let standing = match standing(&state, loaded, now).await {
            Ok(Some(standing)) => standing,
            Ok(None) => continue,
            Err(failure) => {
                tracing::warn!(case = %case_id, ?failure, "council list: case skipped");
                continue;
            }
        };
        let row = DecisionRow {
            case_id,
            title,
            kind,
            state: state_text,
            closes: standing
                .session
                .closes_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            voted: format!(
                "{} of {} seats",
                standing.votes.len(),
                standing.session.members.len()
            ),
            you_voted: seat
                .as_ref()
                .is_some_and(|seat| standing.votes.iter().any(|(v, _)| &v.member == seat)),
        };
        if is_open {
            open.push(row);
        } else {
            decided.push(row);
        }
    }
    render(&ListPage {
        nav: Nav::of(&auth),
        open,
        decided,
        is_member: auth.user.role == Role::CouncilMember,
        seat: seat.map(|s| s.to_string()).unwrap_or_default(),
    })
}

async fn page_or_justify<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    case_id: &str,
    why: Option<String>,
    message: String,
) -> Result<Response, WebError> {
    let loaded = match load_readable(state, auth, case_id, why.as_deref()).await {
        Ok(loaded) => loaded,
        Err(Failure::JustificationRequired) => {
            return calendar::justify_page(auth, format!("/council/{case_id}"));
        }
        Err(other) => return Err(WebError(other)),
    };
    let standing = standing(state, loaded, Utc::now())
        .await?
        .ok_or(Failure::NotFound)?;
    case_page(auth, &standing, message, why.unwrap_or_default())
}

/// `GET /council/{case_id}`.
pub(crate) async fn show<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    require_council_pages(&auth)?;
    let why = justification(&headers, query.justification.as_deref());
    page_or_justify(
        &state,
        &auth,
        &case_id,
        why,
        query
            .message
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct VoteForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    justification: Option<String>,
    /// The justification the page was opened with (Protected cases).
    #[serde(default)]
    read_justification: Option<String>,
}

fn parse_choice(text: &str) -> Result<Choice, Failure> {
    match text.trim() {
        "for" => Ok(Choice::For),
        "against" => Ok(Choice::Against),
        "abstain" => Ok(Choice::Abstain),
        _ => Err(Failure::bad_request(
            "choice",
            "choose for, against or abstain",
        )),
    }
}

/// The justification the page was read with, as `pages::justification`
/// keeps one (trimmed, at most 2000 characters, no NUL); `None` if blank.
fn clip(text: Option<&str>) -> Option<String> {
    text.map(|w| w.trim().chars().take(2000).collect::<String>())
        .filter(|w| !w.is_empty() && !w.contains('\0'))
}

fn back(case_id: &str, message: &str, read_justification: Option<&str>) -> Response {
    let mut url = format!("/council/{case_id}?message={}", url_encode(message));
    if let Some(why) = clip(read_justification) {
        url.push_str(&format!("&justification={}", url_encode(&why)));
    }
    Redirect::to(&url).into_response()
}

pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `POST /council/{case_id}/vote`: a Council member's vote.
pub(crate) async fn vote<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Form(form): Form<VoteForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    require_council_pages(&auth)?;
    let Some(seat) = seat_of(&auth) else {
        return Err(WebError(Failure::Forbidden(
            "only an Executive Council member holding a State Party's seat votes".into(),
        )));
    };
    let choice = parse_choice(&form.choice)?;
    let why = justification(&headers, form.justification.as_deref())
        .ok_or(Failure::JustificationRequired)?;
    let read_why = clip(form.read_justification.as_deref()).unwrap_or_else(|| why.clone());
    let loaded = load_readable(&state, &auth, &case_id, Some(&read_why)).await?;
    if let Decision::Deny(reason) = decide(&auth, Action::Change, &loaded) {
        return Err(WebError(Failure::Forbidden(reason.to_string())));
    }
    let now = Utc::now();
    let standing = standing(&state, loaded, now)
        .await?
        .ok_or(Failure::NotFound)?;
    if standing.case.state != CaseState::Filed {
        return Err(WebError(Failure::Conflict(format!(
            "case {case_id} is no longer before the Council (state {})",
            standing.case.state
        ))));
    }
    if let Ok(tally) = &standing.tally
        && tally.outcome != Outcome::Pending
    {
        return Err(WebError(Failure::Conflict(format!(
            "the outcome is final ({}); no further vote is taken",
            outcome_text(tally)
        ))));
    }
    let vote = Vote {
        member: seat,
        choice,
        at: now,
    };
    let recorded: Vec<Vote> = standing.votes.iter().map(|(v, _)| v.clone()).collect();
    if let Err(error) = council::check_vote(&standing.rule, &standing.session, &recorded, &vote) {
        let failure = match error {
            council::VoteError::NotMember(_) | council::VoteError::Barred { .. } => {
                Failure::Forbidden(error.to_string())
            }
            council::VoteError::DoubleVote(_) | council::VoteError::OutsideWindow { .. } => {
                Failure::Conflict(error.to_string())
            }
        };
        audit(
            &state,
            Some(&auth),
            "case.vote",
            "case",
            Some(case_id.clone()),
            standing.record.classification,
            &why,
            AuditOutcome::Denied,
            serde_json::json!({"reason": error.to_string()}),
        )
        .await?;
        return Err(WebError(failure));
    }
    append_vote(&state.store, &standing.record, &vote, &auth.user, &why).await?;
    // When this vote makes the outcome final, the Secretariat is told to
    // record it.
    let mut all = recorded;
    all.push(vote);
    if let Ok(tally) = council::tally(&standing.rule, &standing.session, &all, now)
        && tally.outcome != Outcome::Pending
    {
        let analysts =
            crate::notifications::users_with_role(&state, Role::SecretariatAnalyst).await?;
        crate::notifications::notify(
            &state,
            analysts,
            Some(&case_id),
            &format!(
                "The Executive Council's outcome on {case_id} is final: {}; record the decision.",
                outcome_text(&tally)
            ),
            &format!("/council/{case_id}"),
        )
        .await?;
    }
    Ok(back(
        &case_id,
        "Your vote is recorded.",
        form.read_justification.as_deref(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecideForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    read_justification: Option<String>,
}

/// `POST /council/{case_id}/decide`: the Secretariat records the final
/// tally as the case's `council_decision` transition.
pub(crate) async fn record_decision<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, WebError> {
    auth.check_csrf(&headers, form.csrf.as_deref())?;
    if auth.user.role != Role::SecretariatAnalyst {
        return Err(WebError(Failure::Forbidden(
            "only the Secretariat records the Council's decision in the case".into(),
        )));
    }
    let why = justification(&headers, form.justification.as_deref())
        .ok_or(Failure::JustificationRequired)?;
    let read_why = clip(form.read_justification.as_deref()).unwrap_or_else(|| why.clone());
    let loaded = load_readable(&state, &auth, &case_id, Some(&read_why)).await?;
    if let Decision::Deny(reason) = decide(&auth, Action::Change, &loaded) {
        return Err(WebError(Failure::Forbidden(reason.to_string())));
    }
    let now = Utc::now();
    let Standing {
        record,
        mut case,
        params,
        tally,
        ..
    } = standing(&state, loaded, now)
        .await?
        .ok_or(Failure::NotFound)?;
    let tally = tally.map_err(Failure::Internal)?;
    if tally.outcome == Outcome::Pending {
        return Err(WebError(Failure::Conflict(
            "the Council's outcome is still pending: record it once the window has closed or a majority of the whole Council is reached".into(),
        )));
    }
    let from = case.state;
    let event: CaseEvent = case
        .apply_checked(
            Transition::CouncilDecision {
                tally: tally.clone(),
            },
            Actor::from(&auth.principal()),
            now,
            &why,
            &params,
        )
        .map_err(|error| Failure::Conflict(error.to_string()))?;
    let (deadline, label) = next_deadline(&case, &params);
    let body = String::from_utf8(event.canonical_bytes())
        .map_err(|error| Failure::Internal(format!("event JSON: {error}")))?;
    let body_sha256 = hex::encode(Sha256::digest(body.as_bytes()));
    let ledger = crate::draws::case_event_entry(
        &case_id,
        bwcv_ledger::entry::CaseEntryKind::Event,
        "council_decision",
        &body,
        from.as_str(),
        case.state.as_str(),
        &auth.user.username,
        &why,
        now,
    );
    let audit_record = new_audit(
        Some(&auth),
        "case.transition",
        "case",
        Some(case_id.clone()),
        record.classification,
        &why,
        AuditOutcome::Success,
        serde_json::json!({"step": "council_decision", "outcome": outcome_text(&tally)}),
    );
    state
        .store
        .append_case_entry(
            NewCaseEntry {
                case_id: case_id.clone(),
                sequence: record.n_records,
                kind: CaseEntryKind::Event,
                at: now,
                actor: auth.user.id,
                body_json: body,
                body_sha256,
                state_after: case.state.as_str().to_owned(),
                next_deadline: deadline,
                next_deadline_label: label,
            },
            ledger,
            audit_record,
        )
        .await?;
    let mut recipients = crate::notifications::case_party_users(&state, &record).await?;
    recipients.extend(crate::notifications::users_with_role(&state, Role::CouncilMember).await?);
    crate::notifications::notify(
        &state,
        recipients,
        Some(&case_id),
        &format!(
            "Executive Council decision on {case_id} ({}): {}.",
            record.title,
            outcome_text(&tally)
        ),
        &format!("/council/{case_id}"),
    )
    .await?;
    Ok(back(
        &case_id,
        "The decision is recorded in the case.",
        form.read_justification.as_deref(),
    ))
}
