//! Time limits of cases, derived from the protocol parameters.
//!
//! Each [`RULES`] row says: while a case of this kind is in one of these
//! states, this step is due *not after* (or may happen *not before*) the
//! time the case entered the reference state, plus the named parameter.
//! Only steps not yet taken have a deadline, so moving a case to a new
//! parameter set moves exactly the deadlines still ahead of it.

use bwcv_core::params::{ParamError, ParameterSet};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseKind, State, Step};

/// Which side of the limit is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The step is due by `due` (late after it: overdue).
    NotAfter,
    /// The step may not happen before `due` (a notice period).
    NotBefore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Days,
    Hours,
}

/// One time limit rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    kind: CaseKind,
    /// States in which the limit applies.
    while_in: &'static [State],
    /// Measured from the latest entry into the first of these states the
    /// case has entered.
    from: &'static [State],
    step: Step,
    parameter: &'static str,
    unit: Unit,
    bound: Bound,
}

use Bound::{NotAfter, NotBefore};
use CaseKind as K;
use State as S;
use Step as T;
use Unit::{Days, Hours};

const fn rule(
    kind: CaseKind,
    while_in: &'static [State],
    from: &'static [State],
    step: Step,
    parameter: &'static str,
    unit: Unit,
    bound: Bound,
) -> Rule {
    Rule {
        kind,
        while_in,
        from,
        step,
        parameter,
        unit,
        bound,
    }
}

/// Every time limit of every kind of case.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Clarification
    rule(K::Clarification, &[S::AwaitingReply], &[S::AwaitingReply], T::RecordReply, "clarification.request_reply_days", Days, NotAfter),
    rule(K::Clarification, &[S::ReplyReceived, S::ConsultationScheduled], &[S::ReplyReceived, S::ConsultationScheduled], T::HoldConsultation, "clarification.consultation_days", Days, NotAfter),
    rule(K::Clarification, &[S::Notified], &[S::Notified], T::BeginVisit, "visits.clarification.notice_days", Days, NotBefore),
    rule(K::Clarification, &[S::VisitCompleted], &[S::VisitCompleted], T::IssueReport, "visits.clarification.report_days", Days, NotAfter),
    // Transparency visit
    rule(K::TransparencyVisit, &[S::Notified], &[S::Notified], T::BeginVisit, "visits.random.notice_hours", Hours, NotBefore),
    rule(K::TransparencyVisit, &[S::InProgress], &[S::InProgress], T::EndVisit, "visits.random.duration_days", Days, NotAfter),
    rule(K::TransparencyVisit, &[S::VisitCompleted], &[S::VisitCompleted], T::IssueReport, "visits.random.report_days", Days, NotAfter),
    // Assistance visit
    rule(K::AssistanceVisit, &[S::VisitCompleted], &[S::VisitCompleted], T::IssueReport, "visits.voluntary.report_days", Days, NotAfter),
    // Field investigation
    rule(K::FieldInvestigation, &[S::Filed], &[S::Filed], T::CouncilDecision, "investigation.field.council_decision_hours", Hours, NotAfter),
    rule(K::FieldInvestigation, &[S::Notified], &[S::Notified], T::BeginVisit, "investigation.notice_hours", Hours, NotBefore),
    rule(K::FieldInvestigation, &[S::InProgress], &[S::InProgress], T::EndVisit, "investigation.field.duration_days", Days, NotAfter),
    rule(K::FieldInvestigation, &[S::VisitCompleted], &[S::VisitCompleted], T::IssuePreliminaryReport, "investigation.preliminary_report_hours", Hours, NotAfter),
    rule(K::FieldInvestigation, &[S::VisitCompleted, S::PreliminaryReportIssued], &[S::VisitCompleted], T::IssueReport, "investigation.final_report_days", Days, NotAfter),
    // Facility investigation
    rule(K::FacilityInvestigation, &[S::Filed], &[S::Filed], T::CouncilDecision, "investigation.facility.council_decision_hours", Hours, NotAfter),
    rule(K::FacilityInvestigation, &[S::Notified], &[S::Notified], T::BeginVisit, "investigation.notice_hours", Hours, NotBefore),
    rule(K::FacilityInvestigation, &[S::InProgress], &[S::InProgress], T::EndVisit, "investigation.facility.duration_hours", Hours, NotAfter),
    rule(K::FacilityInvestigation, &[S::VisitCompleted], &[S::VisitCompleted], T::IssuePreliminaryReport, "investigation.preliminary_report_hours", Hours, NotAfter),
    rule(K::FacilityInvestigation, &[S::VisitCompleted, S::PreliminaryReportIssued], &[S::VisitCompleted], T::IssueReport, "investigation.final_report_days", Days, NotAfter),
];

/// A time limit of a step not yet taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub step: Step,
    pub bound: Bound,
    pub due: DateTime<Utc>,
    /// The state whose entry the limit is measured from, and when.
    pub measured_from: State,
    pub measured_from_at: DateTime<Utc>,
    pub parameter_name: String,
    pub parameter_value: i64,
    /// `"days"` or `"hours"`.
    pub parameter_unit: String,
    pub parameter_version: String,
}

/// How one deadline moved when the parameter set changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineChange {
    pub step: Step,
    pub bound: Bound,
    pub parameter_name: String,
    pub old_due: DateTime<Utc>,
    pub new_due: DateTime<Utc>,
    pub old_value: i64,
    pub new_value: i64,
}

/// The time limits in force for `case` now, under `params`.
pub fn deadlines(case: &Case, params: &ParameterSet) -> Result<Vec<Deadline>, ParamError> {
    let mut result = Vec::new();
    for rule in RULES {
        if rule.kind != case.kind || !rule.while_in.contains(&case.state) {
            continue;
        }
        let Some((measured_from, measured_from_at)) = rule
            .from
            .iter()
            .find_map(|state| case.entered_at(*state).map(|at| (*state, at)))
        else {
            continue;
        };
        let (value, span, unit) = match rule.unit {
            Unit::Days => {
                let value = params.days(rule.parameter)?;
                (value, TimeDelta::days(value), "days")
            }
            Unit::Hours => {
                let value = params.hours(rule.parameter)?;
                (value, TimeDelta::hours(value), "hours")
            }
        };
        result.push(Deadline {
            step: rule.step,
            bound: rule.bound,
            due: measured_from_at + span,
            measured_from,
            measured_from_at,
            parameter_name: rule.parameter.to_owned(),
            parameter_value: value,
            parameter_unit: unit.to_owned(),
            parameter_version: params.version().to_owned(),
        });
    }
    Ok(result)
}

/// The "not after" deadlines of `case` that have passed at `now`.
pub fn overdue(
    case: &Case,
    params: &ParameterSet,
    now: DateTime<Utc>,
) -> Result<Vec<Deadline>, ParamError> {
    Ok(deadlines(case, params)?
        .into_iter()
        .filter(|deadline| deadline.bound == Bound::NotAfter && deadline.due < now)
        .collect())
}

/// The deadlines whose due time differs between `before` and `after` (the
/// same case under two parameter sets).
pub fn changes(before: &[Deadline], after: &[Deadline]) -> Vec<DeadlineChange> {
    before
        .iter()
        .filter_map(|old| {
            let new = after
                .iter()
                .find(|new| new.step == old.step && new.bound == old.bound)?;
            (new.due != old.due).then(|| DeadlineChange {
                step: old.step,
                bound: old.bound,
                parameter_name: old.parameter_name.clone(),
                old_due: old.due,
                new_due: new.due,
                old_value: old.parameter_value,
                new_value: new.parameter_value,
            })
        })
        .collect()
}

/// The parameter names the rules read (for documentation and checks).
pub fn parameter_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = RULES.iter().map(|rule| rule.parameter).collect();
    names.sort_unstable();
    names.dedup();
    names
}
