//! Cases as explicit state machines.
//!
//! Five kinds of case share one set of [`State`]s and [`Step`]s; the
//! [`TABLE`] lists every legal `(kind, from, step, to)`; anything else is
//! refused with the list of steps that are legal at that point. Every
//! accepted transition records who (user, role, State Party), when (UTC,
//! passed in), and why (a non-empty justification), and yields a
//! [`CaseEvent`] whose canonical JSON the server appends to the ledger.
//! [`Case::replay`] rebuilds a case from its events and checks each one.
//!
//! - Consultation and clarification: `raised → awaiting_reply →
//!   reply_received → consultation_scheduled → consultation_held →
//!   visit_proposed → team_appointed → notified → in_progress →
//!   visit_completed → report_issued → closed` (with shortcuts: a
//!   satisfactory reply closes the case; no reply leads to consultations).
//! - Randomly selected transparency visit: `selected → team_appointed →
//!   notified → in_progress → visit_completed → report_issued → closed`.
//! - Voluntary assistance visit: `requested → approved | declined`, then as
//!   a visit without formal notice.
//! - Field and facility investigations: `drafted → filed → approved |
//!   stopped` (by Executive Council decision), then `team_appointed →
//!   notified → in_progress → visit_completed →
//!   preliminary_report_issued → report_issued → closed`.
//!
//! A case closes with its outcome recorded in words: facts, never a ruling.

use std::fmt;

use bwcv_core::access::Role;
use bwcv_core::params::ParameterSet;
use bwcv_core::{FacilityId, StatePartyCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::council::{Outcome, Tally};
use crate::deadline::{self, Bound};
use crate::investigation::{InvestigationKind, InvestigationRequest, MissingField};
use crate::team::Team;

/// A case's identifier (`"CL-2027-0001"`), assigned by the server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseId(pub String);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! names {
    ($type:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $name),+ }
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Clarification,
    TransparencyVisit,
    AssistanceVisit,
    FieldInvestigation,
    FacilityInvestigation,
}

names!(CaseKind {
    Clarification => "clarification",
    TransparencyVisit => "transparency_visit",
    AssistanceVisit => "assistance_visit",
    FieldInvestigation => "field_investigation",
    FacilityInvestigation => "facility_investigation",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Raised,
    AwaitingReply,
    ReplyReceived,
    ConsultationScheduled,
    ConsultationHeld,
    VisitProposed,
    Selected,
    Requested,
    Drafted,
    Filed,
    Approved,
    TeamAppointed,
    Notified,
    InProgress,
    VisitCompleted,
    PreliminaryReportIssued,
    ReportIssued,
    Closed,
    Withdrawn,
    Declined,
    Stopped,
}

names!(State {
    Raised => "raised",
    AwaitingReply => "awaiting_reply",
    ReplyReceived => "reply_received",
    ConsultationScheduled => "consultation_scheduled",
    ConsultationHeld => "consultation_held",
    VisitProposed => "visit_proposed",
    Selected => "selected",
    Requested => "requested",
    Drafted => "drafted",
    Filed => "filed",
    Approved => "approved",
    TeamAppointed => "team_appointed",
    Notified => "notified",
    InProgress => "in_progress",
    VisitCompleted => "visit_completed",
    PreliminaryReportIssued => "preliminary_report_issued",
    ReportIssued => "report_issued",
    Closed => "closed",
    Withdrawn => "withdrawn",
    Declined => "declined",
    Stopped => "stopped",
});

impl State {
    /// No step leads out of a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Closed | State::Withdrawn | State::Declined | State::Stopped
        )
    }
}

/// The kind of a [`Transition`], without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    SendRequest,
    RecordReply,
    ScheduleConsultation,
    HoldConsultation,
    ProposeVisit,
    Accept,
    Decline,
    AmendRequest,
    File,
    CouncilDecision,
    AppointTeam,
    Notify,
    BeginVisit,
    EndVisit,
    IssuePreliminaryReport,
    IssueReport,
    AppendComments,
    Close,
    Withdraw,
}

names!(Step {
    SendRequest => "send_request",
    RecordReply => "record_reply",
    ScheduleConsultation => "schedule_consultation",
    HoldConsultation => "hold_consultation",
    ProposeVisit => "propose_visit",
    Accept => "accept",
    Decline => "decline",
    AmendRequest => "amend_request",
    File => "file",
    CouncilDecision => "council_decision",
    AppointTeam => "appoint_team",
    Notify => "notify",
    BeginVisit => "begin_visit",
    EndVisit => "end_visit",
    IssuePreliminaryReport => "issue_preliminary_report",
    IssueReport => "issue_report",
    AppendComments => "append_comments",
    Close => "close",
    Withdraw => "withdraw",
});

/// A step with the data it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Transition {
    /// The written request for clarification goes to the State Party.
    SendRequest {
        request_sha256: String,
    },
    /// The State Party's written reply.
    RecordReply {
        reply_sha256: String,
    },
    ScheduleConsultation {
        meeting_at: DateTime<Utc>,
    },
    /// The consultation meeting took place; its minutes by digest.
    HoldConsultation {
        minutes_sha256: String,
    },
    ProposeVisit,
    Accept,
    Decline,
    /// Replaces the draft investigation request.
    AmendRequest {
        request: InvestigationRequest,
    },
    File,
    /// The Executive Council's tally, once it is final.
    CouncilDecision {
        tally: Tally,
    },
    AppointTeam {
        team: Team,
    },
    Notify,
    BeginVisit,
    EndVisit,
    IssuePreliminaryReport {
        report_sha256: String,
    },
    IssueReport {
        report_sha256: String,
    },
    AppendComments {
        report_sha256: String,
    },
    /// Closes the case with its outcome, in words (what was established).
    Close {
        outcome: String,
    },
    Withdraw,
}

impl Transition {
    pub fn step(&self) -> Step {
        match self {
            Transition::SendRequest { .. } => Step::SendRequest,
            Transition::RecordReply { .. } => Step::RecordReply,
            Transition::ScheduleConsultation { .. } => Step::ScheduleConsultation,
            Transition::HoldConsultation { .. } => Step::HoldConsultation,
            Transition::ProposeVisit => Step::ProposeVisit,
            Transition::Accept => Step::Accept,
            Transition::Decline => Step::Decline,
            Transition::AmendRequest { .. } => Step::AmendRequest,
            Transition::File => Step::File,
            Transition::CouncilDecision { .. } => Step::CouncilDecision,
            Transition::AppointTeam { .. } => Step::AppointTeam,
            Transition::Notify => Step::Notify,
            Transition::BeginVisit => Step::BeginVisit,
            Transition::EndVisit => Step::EndVisit,
            Transition::IssuePreliminaryReport { .. } => Step::IssuePreliminaryReport,
            Transition::IssueReport { .. } => Step::IssueReport,
            Transition::AppendComments { .. } => Step::AppendComments,
            Transition::Close { .. } => Step::Close,
            Transition::Withdraw => Step::Withdraw,
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_party: Option<StatePartyCode>,
}

impl From<&bwcv_core::access::Principal> for Actor {
    fn from(principal: &bwcv_core::access::Principal) -> Self {
        Self {
            user: principal.username.clone(),
            role: principal.role,
            state_party: principal.state_party.clone(),
        }
    }
}

/// The four kinds of concern about a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    Ambiguity,
    Uncertainty,
    Anomaly,
    Omission,
}

/// The exact place in a declaration a clarification is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationPoint {
    /// The declaring State Party.
    pub state_party: StatePartyCode,
    pub year: i32,
    /// The form, e.g. `"A1"`.
    pub form: String,
    /// JSON path into the submission, e.g. `"$.form_a1.facilities[2].bsl"`.
    pub json_path: String,
    pub concern: Concern,
    pub description: String,
}

/// What a case is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum Subject {
    Declaration(DeclarationPoint),
    /// A facility selected by a published draw.
    DrawnFacility {
        facility: FacilityId,
        draw_id: String,
        draw_record_sha256: String,
    },
    AssistanceRequest {
        state_party: StatePartyCode,
        purpose: String,
    },
    Investigation(InvestigationRequest),
}

impl Subject {
    /// The State Party whose declaration, facility or territory is concerned.
    pub fn inspected(&self) -> Option<StatePartyCode> {
        match self {
            Subject::Declaration(point) => Some(point.state_party.clone()),
            Subject::DrawnFacility { facility, .. } => Some(facility.state_party()),
            Subject::AssistanceRequest { state_party, .. } => Some(state_party.clone()),
            Subject::Investigation(request) => request.investigated_state_party.clone(),
        }
    }
}

/// What an event changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Opened {
        kind: CaseKind,
        subject: Subject,
        state: State,
        parameter_set_version: String,
        parameter_set_digest: String,
    },
    Transitioned {
        from: State,
        to: State,
        transition: Transition,
    },
    ParametersChanged {
        old_version: String,
        old_digest: String,
        new_version: String,
        new_digest: String,
        affected_deadlines: Vec<deadline::DeadlineChange>,
    },
}

/// One entry of a case's history, ready for the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: CaseId,
    /// 0 for the opening event, then 1, 2, ...
    pub sequence: u32,
    /// [`CaseEvent::digest`] of the previous event of this case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sha256: Option<String>,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub justification: String,
    pub change: Change,
}

impl CaseEvent {
    /// The canonical serialisation (compact JSON, fixed field order).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self)
    }

    /// Hex SHA-256 of [`CaseEvent::canonical_bytes`].
    pub fn digest(&self) -> String {
        canonical::digest(self)
    }
}

/// Why a transition (or opening) is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    #[error("a justification is required")]
    EmptyJustification,
    #[error(
        "{step} is not a legal step of a {kind} case in state {state}; legal now: {}",
        list(legal)
    )]
    Illegal {
        kind: CaseKind,
        state: State,
        step: Step,
        legal: Vec<Step>,
    },
    #[error("{role} {user} may not {action}: {reason}")]
    NotPermitted {
        /// The step's name, `open` or `change_parameters`.
        action: String,
        role: Role,
        user: String,
        reason: String,
    },
    #[error("event time {at} is before the case's last event ({last})")]
    TimeGoesBackwards {
        at: DateTime<Utc>,
        last: DateTime<Utc>,
    },
    #[error("the request cannot be filed; missing: {}", missing_list(.0))]
    IncompleteRequest(Vec<MissingField>),
    #[error("the Executive Council decision is still pending")]
    DecisionPending,
    #[error("{field}: {reason}")]
    BadData { field: String, reason: String },
    #[error("a {kind} case cannot be about this subject: {reason}")]
    SubjectMismatch { kind: CaseKind, reason: String },
    #[error("{step} may not happen before {earliest} ({parameter} in parameter set {version})")]
    TooEarly {
        step: Step,
        earliest: DateTime<Utc>,
        parameter: String,
        version: String,
    },
    #[error("the case runs under parameter set {case_digest}, not the one given ({given_digest})")]
    ParameterSetMismatch {
        case_digest: String,
        given_digest: String,
    },
    #[error("parameter: {0}")]
    Parameter(#[from] bwcv_core::params::ParamError),
}

fn list(steps: &[Step]) -> String {
    if steps.is_empty() {
        return "none (the case is finished)".to_owned();
    }
    steps
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing_list(missing: &[MissingField]) -> String {
    missing
        .iter()
        .map(|m| format!("{} ({})", m.field, m.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a list of events does not rebuild a case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("no events")]
    Empty,
    #[error("event {sequence}: {reason}")]
    Inconsistent { sequence: u32, reason: String },
    #[error("event {sequence}: {error}")]
    Refused {
        sequence: u32,
        error: TransitionError,
    },
}

use CaseKind as K;
use State as S;
use Step as T;

/// Every legal transition: (kind, from, step, to). The one data-dependent
/// edge: a [`Transition::CouncilDecision`] whose tally says the request is
/// stopped leads to [`State::Stopped`] instead of `to`.
#[rustfmt::skip]
pub const TABLE: &[(CaseKind, State, Step, State)] = &[
    // Consultation and clarification
    (K::Clarification, S::Raised, T::SendRequest, S::AwaitingReply),
    (K::Clarification, S::Raised, T::Withdraw, S::Withdrawn),
    (K::Clarification, S::AwaitingReply, T::RecordReply, S::ReplyReceived),
    (K::Clarification, S::AwaitingReply, T::ScheduleConsultation, S::ConsultationScheduled),
    (K::Clarification, S::AwaitingReply, T::Withdraw, S::Withdrawn),
    (K::Clarification, S::ReplyReceived, T::Close, S::Closed),
    (K::Clarification, S::ReplyReceived, T::ScheduleConsultation, S::ConsultationScheduled),
    (K::Clarification, S::ReplyReceived, T::Withdraw, S::Withdrawn),
    (K::Clarification, S::ConsultationScheduled, T::HoldConsultation, S::ConsultationHeld),
    (K::Clarification, S::ConsultationScheduled, T::Withdraw, S::Withdrawn),
    (K::Clarification, S::ConsultationHeld, T::Close, S::Closed),
    (K::Clarification, S::ConsultationHeld, T::ProposeVisit, S::VisitProposed),
    (K::Clarification, S::ConsultationHeld, T::Withdraw, S::Withdrawn),
    (K::Clarification, S::VisitProposed, T::AppointTeam, S::TeamAppointed),
    (K::Clarification, S::TeamAppointed, T::Notify, S::Notified),
    (K::Clarification, S::Notified, T::BeginVisit, S::InProgress),
    (K::Clarification, S::InProgress, T::EndVisit, S::VisitCompleted),
    (K::Clarification, S::VisitCompleted, T::IssueReport, S::ReportIssued),
    (K::Clarification, S::ReportIssued, T::AppendComments, S::ReportIssued),
    (K::Clarification, S::ReportIssued, T::Close, S::Closed),
    // Randomly selected transparency visit
    (K::TransparencyVisit, S::Selected, T::AppointTeam, S::TeamAppointed),
    (K::TransparencyVisit, S::TeamAppointed, T::Notify, S::Notified),
    (K::TransparencyVisit, S::Notified, T::BeginVisit, S::InProgress),
    (K::TransparencyVisit, S::InProgress, T::EndVisit, S::VisitCompleted),
    (K::TransparencyVisit, S::VisitCompleted, T::IssueReport, S::ReportIssued),
    (K::TransparencyVisit, S::ReportIssued, T::AppendComments, S::ReportIssued),
    (K::TransparencyVisit, S::ReportIssued, T::Close, S::Closed),
    // Voluntary assistance visit
    (K::AssistanceVisit, S::Requested, T::Accept, S::Approved),
    (K::AssistanceVisit, S::Requested, T::Decline, S::Declined),
    (K::AssistanceVisit, S::Requested, T::Withdraw, S::Withdrawn),
    (K::AssistanceVisit, S::Approved, T::AppointTeam, S::TeamAppointed),
    (K::AssistanceVisit, S::Approved, T::Withdraw, S::Withdrawn),
    (K::AssistanceVisit, S::TeamAppointed, T::BeginVisit, S::InProgress),
    (K::AssistanceVisit, S::TeamAppointed, T::Withdraw, S::Withdrawn),
    (K::AssistanceVisit, S::InProgress, T::EndVisit, S::VisitCompleted),
    (K::AssistanceVisit, S::VisitCompleted, T::IssueReport, S::ReportIssued),
    (K::AssistanceVisit, S::ReportIssued, T::AppendComments, S::ReportIssued),
    (K::AssistanceVisit, S::ReportIssued, T::Close, S::Closed),
    // Field investigation
    (K::FieldInvestigation, S::Drafted, T::AmendRequest, S::Drafted),
    (K::FieldInvestigation, S::Drafted, T::File, S::Filed),
    (K::FieldInvestigation, S::Drafted, T::Withdraw, S::Withdrawn),
    (K::FieldInvestigation, S::Filed, T::CouncilDecision, S::Approved),
    (K::FieldInvestigation, S::Filed, T::Withdraw, S::Withdrawn),
    (K::FieldInvestigation, S::Approved, T::AppointTeam, S::TeamAppointed),
    (K::FieldInvestigation, S::Approved, T::Withdraw, S::Withdrawn),
    (K::FieldInvestigation, S::TeamAppointed, T::Notify, S::Notified),
    (K::FieldInvestigation, S::TeamAppointed, T::Withdraw, S::Withdrawn),
    (K::FieldInvestigation, S::Notified, T::BeginVisit, S::InProgress),
    (K::FieldInvestigation, S::InProgress, T::EndVisit, S::VisitCompleted),
    (K::FieldInvestigation, S::VisitCompleted, T::IssuePreliminaryReport, S::PreliminaryReportIssued),
    (K::FieldInvestigation, S::PreliminaryReportIssued, T::IssueReport, S::ReportIssued),
    (K::FieldInvestigation, S::ReportIssued, T::AppendComments, S::ReportIssued),
    (K::FieldInvestigation, S::ReportIssued, T::Close, S::Closed),
    // Facility investigation
    (K::FacilityInvestigation, S::Drafted, T::AmendRequest, S::Drafted),
    (K::FacilityInvestigation, S::Drafted, T::File, S::Filed),
    (K::FacilityInvestigation, S::Drafted, T::Withdraw, S::Withdrawn),
    (K::FacilityInvestigation, S::Filed, T::CouncilDecision, S::Approved),
    (K::FacilityInvestigation, S::Filed, T::Withdraw, S::Withdrawn),
    (K::FacilityInvestigation, S::Approved, T::AppointTeam, S::TeamAppointed),
    (K::FacilityInvestigation, S::Approved, T::Withdraw, S::Withdrawn),
    (K::FacilityInvestigation, S::TeamAppointed, T::Notify, S::Notified),
    (K::FacilityInvestigation, S::TeamAppointed, T::Withdraw, S::Withdrawn),
    (K::FacilityInvestigation, S::Notified, T::BeginVisit, S::InProgress),
    (K::FacilityInvestigation, S::InProgress, T::EndVisit, S::VisitCompleted),
    (K::FacilityInvestigation, S::VisitCompleted, T::IssuePreliminaryReport, S::PreliminaryReportIssued),
    (K::FacilityInvestigation, S::PreliminaryReportIssued, T::IssueReport, S::ReportIssued),
    (K::FacilityInvestigation, S::ReportIssued, T::AppendComments, S::ReportIssued),
    (K::FacilityInvestigation, S::ReportIssued, T::Close, S::Closed),
];

impl CaseKind {
    /// The state a new case of this kind starts in.
    pub fn initial_state(self) -> State {
        match self {
            CaseKind::Clarification => State::Raised,
            CaseKind::TransparencyVisit => State::Selected,
            CaseKind::AssistanceVisit => State::Requested,
            CaseKind::FieldInvestigation | CaseKind::FacilityInvestigation => State::Drafted,
        }
    }
}

/// The steps legal in `state` for `kind`, in table order.
pub fn legal_steps(kind: CaseKind, state: State) -> Vec<Step> {
    TABLE
        .iter()
        .filter(|(k, from, _, _)| *k == kind && *from == state)
        .map(|(_, _, step, _)| *step)
        .collect()
}

fn target(kind: CaseKind, state: State, step: Step) -> Option<State> {
    TABLE
        .iter()
        .find(|(k, from, s, _)| *k == kind && *from == state && *s == step)
        .map(|(_, _, _, to)| *to)
}

/// One case and its full history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub kind: CaseKind,
    pub subject: Subject,
    pub state: State,
    pub parameter_set_version: String,
    pub parameter_set_digest: String,
    pub events: Vec<CaseEvent>,
}

fn digest_field(field: &str, value: &str) -> Result<(), TransitionError> {
    let ok = value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(TransitionError::BadData {
            field: field.to_owned(),
            reason: "must be 64 hex digits of SHA-256".to_owned(),
        })
    }
}

impl Case {
    /// Opens a case; the opening is the case's first event.
    pub fn open(
        id: CaseId,
        kind: CaseKind,
        subject: Subject,
        actor: Actor,
        at: DateTime<Utc>,
        justification: &str,
        params: &ParameterSet,
    ) -> Result<(Case, CaseEvent), TransitionError> {
        if justification.trim().is_empty() {
            return Err(TransitionError::EmptyJustification);
        }
        check_subject(kind, &subject)?;
        check_opener(kind, &subject, &actor)?;
        let state = kind.initial_state();
        let event = CaseEvent {
            case_id: id.clone(),
            sequence: 0,
            previous_sha256: None,
            at,
            actor,
            justification: justification.to_owned(),
            change: Change::Opened {
                kind,
                subject: subject.clone(),
                state,
                parameter_set_version: params.version().to_owned(),
                parameter_set_digest: params.digest(),
            },
        };
        let case = Case {
            id,
            kind,
            subject,
            state,
            parameter_set_version: params.version().to_owned(),
            parameter_set_digest: params.digest(),
            events: vec![event.clone()],
        };
        Ok((case, event))
    }

    /// Who opened the case.
    pub fn opened_by(&self) -> Option<&Actor> {
        self.events.first().map(|event| &event.actor)
    }

    /// The State Party on whose behalf the case was raised or requested.
    pub fn requesting(&self) -> Option<StatePartyCode> {
        match &self.subject {
            Subject::Investigation(request) => request.requesting_state_party.clone(),
            Subject::AssistanceRequest { state_party, .. } => Some(state_party.clone()),
            _ => self.opened_by().and_then(|actor| actor.state_party.clone()),
        }
    }

    /// The State Party visited, investigated or asked to clarify.
    pub fn inspected(&self) -> Option<StatePartyCode> {
        self.subject.inspected()
    }

    /// When the case last entered `state` (the opening counts).
    pub fn entered_at(&self, state: State) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .rev()
            .find(|event| match &event.change {
                Change::Opened { state: opened, .. } => *opened == state,
                Change::Transitioned { from, to, .. } => *to == state && from != to,
                Change::ParametersChanged { .. } => false,
            })
            .map(|event| event.at)
    }

    fn last_at(&self) -> Option<DateTime<Utc>> {
        self.events.last().map(|event| event.at)
    }

    fn next_event(
        &self,
        actor: Actor,
        at: DateTime<Utc>,
        justification: &str,
        change: Change,
    ) -> CaseEvent {
        CaseEvent {
            case_id: self.id.clone(),
            sequence: self.events.len() as u32,
            previous_sha256: self.events.last().map(CaseEvent::digest),
            at,
            actor,
            justification: justification.to_owned(),
            change,
        }
    }

    /// Applies `transition`, or says precisely why it is refused. On success
    /// the case has changed and the returned event is also in its history.
    pub fn apply(
        &mut self,
        transition: Transition,
        actor: Actor,
        at: DateTime<Utc>,
        justification: &str,
    ) -> Result<CaseEvent, TransitionError> {
        if justification.trim().is_empty() {
            return Err(TransitionError::EmptyJustification);
        }
        let step = transition.step();
        let Some(mut to) = target(self.kind, self.state, step) else {
            return Err(TransitionError::Illegal {
                kind: self.kind,
                state: self.state,
                step,
                legal: legal_steps(self.kind, self.state),
            });
        };
        self.check_permitted(step, &actor)?;
        if let Some(last) = self.last_at()
            && at < last
        {
            return Err(TransitionError::TimeGoesBackwards { at, last });
        }
        match &transition {
            Transition::SendRequest { request_sha256 } => {
                digest_field("request_sha256", request_sha256)?;
            }
            Transition::RecordReply { reply_sha256 } => digest_field("reply_sha256", reply_sha256)?,
            Transition::HoldConsultation { minutes_sha256 } => {
                digest_field("minutes_sha256", minutes_sha256)?;
            }
            Transition::IssuePreliminaryReport { report_sha256 }
            | Transition::IssueReport { report_sha256 }
            | Transition::AppendComments { report_sha256 } => {
                digest_field("report_sha256", report_sha256)?;
            }
            Transition::ScheduleConsultation { meeting_at } => {
                if *meeting_at < at {
                    return Err(TransitionError::BadData {
                        field: "meeting_at".to_owned(),
                        reason: format!(
                            "the meeting ({meeting_at}) is before the scheduling ({at})"
                        ),
                    });
                }
            }
            Transition::AmendRequest { request } => {
                let expected = investigation_kind(self.kind);
                if Some(request.kind) != expected {
                    return Err(TransitionError::BadData {
                        field: "request.kind".to_owned(),
                        reason: format!("a {} case needs a matching request", self.kind),
                    });
                }
                if request.requesting_state_party != self.requesting() {
                    return Err(TransitionError::BadData {
                        field: "request.requesting_state_party".to_owned(),
                        reason: "the requesting State Party does not change".to_owned(),
                    });
                }
            }
            Transition::File => {
                if let Subject::Investigation(request) = &self.subject {
                    let missing = request.missing();
                    if !missing.is_empty() {
                        return Err(TransitionError::IncompleteRequest(missing));
                    }
                }
            }
            Transition::CouncilDecision { tally } => match tally.outcome {
                Outcome::Pending => return Err(TransitionError::DecisionPending),
                Outcome::Proceeds => {}
                Outcome::Stopped => to = State::Stopped,
            },
            Transition::AppointTeam { team } => {
                if team.members.is_empty() {
                    return Err(TransitionError::BadData {
                        field: "team.members".to_owned(),
                        reason: "a team has members".to_owned(),
                    });
                }
            }
            Transition::Close { outcome } => {
                if outcome.trim().is_empty() {
                    return Err(TransitionError::BadData {
                        field: "outcome".to_owned(),
                        reason: "a case closes with its outcome recorded".to_owned(),
                    });
                }
            }
            Transition::ProposeVisit
            | Transition::Accept
            | Transition::Decline
            | Transition::Notify
            | Transition::BeginVisit
            | Transition::EndVisit
            | Transition::Withdraw => {}
        }
        let from = self.state;
        if let Transition::AmendRequest { request } = &transition {
            self.subject = Subject::Investigation(request.clone());
        }
        let event = self.next_event(
            actor,
            at,
            justification,
            Change::Transitioned {
                from,
                to,
                transition,
            },
        );
        self.state = to;
        self.events.push(event.clone());
        Ok(event)
    }

    /// [`Case::apply`], after checking that `params` is the set the case
    /// runs under and that no "not before" time limit is broken (e.g. a
    /// visit beginning before the notice period has run).
    pub fn apply_checked(
        &mut self,
        transition: Transition,
        actor: Actor,
        at: DateTime<Utc>,
        justification: &str,
        params: &ParameterSet,
    ) -> Result<CaseEvent, TransitionError> {
        self.check_parameter_set(params)?;
        let step = transition.step();
        for limit in deadline::deadlines(self, params)? {
            if limit.step == step && limit.bound == Bound::NotBefore && at < limit.due {
                return Err(TransitionError::TooEarly {
                    step,
                    earliest: limit.due,
                    parameter: limit.parameter_name,
                    version: limit.parameter_version,
                });
            }
        }
        self.apply(transition, actor, at, justification)
    }

    fn check_parameter_set(&self, params: &ParameterSet) -> Result<(), TransitionError> {
        let given = params.digest();
        if given != self.parameter_set_digest {
            return Err(TransitionError::ParameterSetMismatch {
                case_digest: self.parameter_set_digest.clone(),
                given_digest: given,
            });
        }
        Ok(())
    }

    /// Moves the case to a new parameter set. Deadlines of steps not yet
    /// taken are recomputed; the event lists every one that moved.
    pub fn change_parameters(
        &mut self,
        old: &ParameterSet,
        new: &ParameterSet,
        actor: Actor,
        at: DateTime<Utc>,
        justification: &str,
    ) -> Result<CaseEvent, TransitionError> {
        if justification.trim().is_empty() {
            return Err(TransitionError::EmptyJustification);
        }
        self.check_parameter_set(old)?;
        if actor.role != Role::SecretariatAnalyst && actor.role != Role::Administrator {
            return Err(TransitionError::NotPermitted {
                action: "change_parameters".to_owned(),
                role: actor.role,
                user: actor.user,
                reason:
                    "only the Secretariat or an administrator moves a case to a new parameter set"
                        .to_owned(),
            });
        }
        if let Some(last) = self.last_at()
            && at < last
        {
            return Err(TransitionError::TimeGoesBackwards { at, last });
        }
        let before = deadline::deadlines(self, old)?;
        let after = deadline::deadlines(self, new)?;
        let affected = deadline::changes(&before, &after);
        let event = self.next_event(
            actor,
            at,
            justification,
            Change::ParametersChanged {
                old_version: old.version().to_owned(),
                old_digest: old.digest(),
                new_version: new.version().to_owned(),
                new_digest: new.digest(),
                affected_deadlines: affected,
            },
        );
        self.parameter_set_version = new.version().to_owned();
        self.parameter_set_digest = new.digest();
        self.events.push(event.clone());
        Ok(event)
    }

    fn check_permitted(&self, step: Step, actor: &Actor) -> Result<(), TransitionError> {
        let refuse = |reason: &str| TransitionError::NotPermitted {
            action: step.as_str().to_owned(),
            role: actor.role,
            user: actor.user.clone(),
            reason: reason.to_owned(),
        };
        let national_of = |party: Option<StatePartyCode>| {
            actor.role == Role::NationalAuthority
                && actor.state_party.is_some()
                && actor.state_party == party
        };
        match step {
            Step::RecordReply | Step::AppendComments => {
                if !national_of(self.inspected()) {
                    return Err(refuse(
                        "only the national authority of the State Party concerned does this",
                    ));
                }
            }
            Step::AmendRequest | Step::File => {
                if !national_of(self.requesting()) {
                    return Err(refuse(
                        "only the national authority of the requesting State Party does this",
                    ));
                }
            }
            Step::BeginVisit
            | Step::EndVisit
            | Step::IssuePreliminaryReport
            | Step::IssueReport => {
                if actor.role != Role::Inspector {
                    return Err(refuse("only an inspector of the team does this"));
                }
            }
            Step::Withdraw => {
                let allowed = match self.kind {
                    CaseKind::Clarification => match self.opened_by() {
                        Some(opener) if opener.role == Role::NationalAuthority => {
                            national_of(opener.state_party.clone())
                        }
                        _ => actor.role == Role::SecretariatAnalyst,
                    },
                    _ => national_of(self.requesting()),
                };
                if !allowed {
                    return Err(refuse(
                        "only the party that raised or requested the case withdraws it",
                    ));
                }
            }
            Step::SendRequest
            | Step::ScheduleConsultation
            | Step::HoldConsultation
            | Step::ProposeVisit
            | Step::Accept
            | Step::Decline
            | Step::CouncilDecision
            | Step::AppointTeam
            | Step::Notify
            | Step::Close => {
                if actor.role != Role::SecretariatAnalyst {
                    return Err(refuse("only the Secretariat does this"));
                }
            }
        }
        Ok(())
    }

    /// Rebuilds a case from its events, re-applying and checking each.
    pub fn replay(
        events: &[CaseEvent],
        params_by_digest: &dyn Fn(&str) -> Option<ParameterSet>,
    ) -> Result<Case, ReplayError> {
        let first = events.first().ok_or(ReplayError::Empty)?;
        let Change::Opened {
            kind,
            subject,
            parameter_set_digest,
            ..
        } = &first.change
        else {
            return Err(ReplayError::Inconsistent {
                sequence: first.sequence,
                reason: "the first event must open the case".to_owned(),
            });
        };
        let params =
            params_by_digest(parameter_set_digest).ok_or_else(|| ReplayError::Inconsistent {
                sequence: 0,
                reason: format!("parameter set {parameter_set_digest} is not known"),
            })?;
        let (mut case, opened) = Case::open(
            first.case_id.clone(),
            *kind,
            subject.clone(),
            first.actor.clone(),
            first.at,
            &first.justification,
            &params,
        )
        .map_err(|error| ReplayError::Refused { sequence: 0, error })?;
        if &opened != first {
            return Err(ReplayError::Inconsistent {
                sequence: 0,
                reason: "the opening event does not match its own content".to_owned(),
            });
        }
        for recorded in &events[1..] {
            let sequence = recorded.sequence;
            let rebuilt = match &recorded.change {
                Change::Transitioned { transition, .. } => case
                    .apply(
                        transition.clone(),
                        recorded.actor.clone(),
                        recorded.at,
                        &recorded.justification,
                    )
                    .map_err(|error| ReplayError::Refused { sequence, error })?,
                Change::ParametersChanged {
                    old_digest,
                    new_digest,
                    ..
                } => {
                    let unknown = |digest: &str| ReplayError::Inconsistent {
                        sequence,
                        reason: format!("parameter set {digest} is not known"),
                    };
                    let old = params_by_digest(old_digest).ok_or_else(|| unknown(old_digest))?;
                    let new = params_by_digest(new_digest).ok_or_else(|| unknown(new_digest))?;
                    case.change_parameters(
                        &old,
                        &new,
                        recorded.actor.clone(),
                        recorded.at,
                        &recorded.justification,
                    )
                    .map_err(|error| ReplayError::Refused { sequence, error })?
                }
                Change::Opened { .. } => {
                    return Err(ReplayError::Inconsistent {
                        sequence,
                        reason: "a case opens once".to_owned(),
                    });
                }
            };
            if &rebuilt != recorded {
                return Err(ReplayError::Inconsistent {
                    sequence,
                    reason: "the recorded event differs from the one its content produces (sequence, previous digest or outcome)".to_owned(),
                });
            }
        }
        Ok(case)
    }
}

fn investigation_kind(kind: CaseKind) -> Option<InvestigationKind> {
    match kind {
        CaseKind::FieldInvestigation => Some(InvestigationKind::Field),
        CaseKind::FacilityInvestigation => Some(InvestigationKind::Facility),
        _ => None,
    }
}

fn check_subject(kind: CaseKind, subject: &Subject) -> Result<(), TransitionError> {
    let mismatch = |reason: &str| TransitionError::SubjectMismatch {
        kind,
        reason: reason.to_owned(),
    };
    match (kind, subject) {
        (CaseKind::Clarification, Subject::Declaration(point)) => {
            if point.form.trim().is_empty() || point.json_path.trim().is_empty() {
                return Err(mismatch(
                    "name the form and the field (JSON path) concerned",
                ));
            }
            if !point.json_path.starts_with('$') {
                return Err(mismatch("the field is a JSON path starting with '$'"));
            }
            if point.description.trim().is_empty() {
                return Err(mismatch("describe the concern"));
            }
            Ok(())
        }
        (
            CaseKind::TransparencyVisit,
            Subject::DrawnFacility {
                draw_id,
                draw_record_sha256,
                ..
            },
        ) => {
            if draw_id.trim().is_empty() {
                return Err(mismatch("name the draw that selected the facility"));
            }
            digest_field("draw_record_sha256", draw_record_sha256)
        }
        (CaseKind::AssistanceVisit, Subject::AssistanceRequest { purpose, .. }) => {
            if purpose.trim().is_empty() {
                return Err(mismatch("state the purpose of the assistance visit"));
            }
            Ok(())
        }
        (
            CaseKind::FieldInvestigation | CaseKind::FacilityInvestigation,
            Subject::Investigation(request),
        ) => {
            if Some(request.kind) != investigation_kind(kind) {
                return Err(mismatch(
                    "the request is for the other kind of investigation",
                ));
            }
            Ok(())
        }
        _ => Err(mismatch("the subject belongs to another kind of case")),
    }
}

fn check_opener(kind: CaseKind, subject: &Subject, actor: &Actor) -> Result<(), TransitionError> {
    let national = actor.role == Role::NationalAuthority && actor.state_party.is_some();
    let (allowed, reason) = match (kind, subject) {
        (CaseKind::Clarification, _) => (
            national || actor.role == Role::SecretariatAnalyst,
            "a clarification is raised by a State Party or the Secretariat",
        ),
        (CaseKind::TransparencyVisit, _) => (
            actor.role == Role::SecretariatAnalyst,
            "the Secretariat opens the visits the draw selected",
        ),
        (CaseKind::AssistanceVisit, Subject::AssistanceRequest { state_party, .. }) => (
            national && actor.state_party.as_ref() == Some(state_party),
            "a State Party requests assistance for itself",
        ),
        (_, Subject::Investigation(request)) => (
            national && actor.state_party == request.requesting_state_party,
            "an investigation is requested by the national authority of the requesting State Party",
        ),
        _ => (true, ""),
    };
    if allowed {
        Ok(())
    } else {
        Err(TransitionError::NotPermitted {
            action: "open".to_owned(),
            role: actor.role,
            user: actor.user.clone(),
            reason: reason.to_owned(),
        })
    }
}
