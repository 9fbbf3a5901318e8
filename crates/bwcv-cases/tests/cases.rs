//! Every legal and illegal transition of every case kind, permissions,
//! required data, events and replay, deadlines against the parameters.

mod common;

use bwcv_cases::case::{
    Case, CaseKind, Change, ReplayError, State, Step, Subject, Transition, TransitionError,
};
use bwcv_cases::council::{Basis, Outcome, Tally};
use bwcv_cases::deadline::{self, Bound};
use bwcv_cases::investigation::InvestigationKind;
use bwcv_cases::team::{InspectorId, Team};
use bwcv_core::params::ParameterSet;
use chrono::TimeDelta;
use common::*;

/// The specification, written out independently of the code's table:
/// kind, from, step, to.
const SPEC: &str = "
clarification raised send_request awaiting_reply
clarification raised withdraw withdrawn
clarification awaiting_reply record_reply reply_received
clarification awaiting_reply schedule_consultation consultation_scheduled
clarification awaiting_reply withdraw withdrawn
clarification reply_received close closed
clarification reply_received schedule_consultation consultation_scheduled
clarification reply_received withdraw withdrawn
clarification consultation_scheduled hold_consultation consultation_held
clarification consultation_scheduled withdraw withdrawn
clarification consultation_held close closed
clarification consultation_held propose_visit visit_proposed
clarification consultation_held withdraw withdrawn
clarification visit_proposed appoint_team team_appointed
clarification team_appointed notify notified
clarification notified begin_visit in_progress
clarification in_progress end_visit visit_completed
clarification visit_completed issue_report report_issued
clarification report_issued append_comments report_issued
clarification report_issued close closed
transparency_visit selected appoint_team team_appointed
transparency_visit team_appointed notify notified
transparency_visit notified begin_visit in_progress
transparency_visit in_progress end_visit visit_completed
transparency_visit visit_completed issue_report report_issued
transparency_visit report_issued append_comments report_issued
transparency_visit report_issued close closed
assistance_visit requested accept approved
assistance_visit requested decline declined
assistance_visit requested withdraw withdrawn
assistance_visit approved appoint_team team_appointed
assistance_visit approved withdraw withdrawn
assistance_visit team_appointed begin_visit in_progress
assistance_visit team_appointed withdraw withdrawn
assistance_visit in_progress end_visit visit_completed
assistance_visit visit_completed issue_report report_issued
assistance_visit report_issued append_comments report_issued
assistance_visit report_issued close closed
field_investigation drafted amend_request drafted
field_investigation drafted file filed
field_investigation drafted withdraw withdrawn
field_investigation filed council_decision approved
field_investigation filed withdraw withdrawn
field_investigation approved appoint_team team_appointed
field_investigation approved withdraw withdrawn
field_investigation team_appointed notify notified
field_investigation team_appointed withdraw withdrawn
field_investigation notified begin_visit in_progress
field_investigation in_progress end_visit visit_completed
field_investigation visit_completed issue_preliminary_report preliminary_report_issued
field_investigation preliminary_report_issued issue_report report_issued
field_investigation report_issued append_comments report_issued
field_investigation report_issued close closed
facility_investigation drafted amend_request drafted
facility_investigation drafted file filed
facility_investigation drafted withdraw withdrawn
facility_investigation filed council_decision approved
facility_investigation filed withdraw withdrawn
facility_investigation approved appoint_team team_appointed
facility_investigation approved withdraw withdrawn
facility_investigation team_appointed notify notified
facility_investigation team_appointed withdraw withdrawn
facility_investigation notified begin_visit in_progress
facility_investigation in_progress end_visit visit_completed
facility_investigation visit_completed issue_preliminary_report preliminary_report_issued
facility_investigation preliminary_report_issued issue_report report_issued
facility_investigation report_issued append_comments report_issued
facility_investigation report_issued close closed
";

fn spec() -> Vec<(CaseKind, State, Step, State)> {
    let kind = |s: &str| *CaseKind::ALL.iter().find(|k| k.as_str() == s).unwrap();
    let state = |s: &str| *State::ALL.iter().find(|k| k.as_str() == s).unwrap();
    let step = |s: &str| *Step::ALL.iter().find(|k| k.as_str() == s).unwrap();
    SPEC.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (kind(f[0]), state(f[1]), step(f[2]), state(f[3]))
        })
        .collect()
}

fn proceeds() -> Tally {
    Tally {
        outcome: Outcome::Proceeds,
        basis: Basis::NoMajority,
        votes_for: 0,
        votes_against: 1,
        abstentions: 0,
        voting_members: 10,
        quorum_members: 10,
        present: 1,
        quorum_needed: 7,
        quorum_reached: false,
        majority_threshold: 5.0,
        closed: true,
    }
}

/// A well-formed transition of `step` for a case of `kind`.
fn sample(kind: CaseKind, step: Step) -> Transition {
    let digest = "ab".repeat(32);
    let request_kind = if kind == CaseKind::FieldInvestigation {
        InvestigationKind::Field
    } else {
        InvestigationKind::Facility
    };
    match step {
        Step::SendRequest => Transition::SendRequest {
            request_sha256: digest,
        },
        Step::RecordReply => Transition::RecordReply {
            reply_sha256: digest,
        },
        Step::ScheduleConsultation => Transition::ScheduleConsultation {
            meeting_at: t0() + TimeDelta::days(30),
        },
        Step::HoldConsultation => Transition::HoldConsultation {
            minutes_sha256: digest,
        },
        Step::ProposeVisit => Transition::ProposeVisit,
        Step::Accept => Transition::Accept,
        Step::Decline => Transition::Decline,
        Step::AmendRequest => Transition::AmendRequest {
            request: complete_request(request_kind),
        },
        Step::File => Transition::File,
        Step::CouncilDecision => Transition::CouncilDecision { tally: proceeds() },
        Step::AppointTeam => Transition::AppointTeam {
            team: Team {
                members: vec![
                    InspectorId("INS-1".to_owned()),
                    InspectorId("INS-2".to_owned()),
                ],
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
            outcome: "The reply explains the entry; the declaration is amended".to_owned(),
        },
        Step::Withdraw => Transition::Withdraw,
    }
}

/// The actor entitled to take `step` in the fixture cases.
fn actor(kind: CaseKind, step: Step) -> bwcv_cases::case::Actor {
    match step {
        Step::RecordReply | Step::AppendComments => bor(),
        Step::AmendRequest | Step::File => arc(),
        Step::BeginVisit | Step::EndVisit | Step::IssuePreliminaryReport | Step::IssueReport => {
            inspector()
        }
        Step::Withdraw => match kind {
            CaseKind::AssistanceVisit => bor(),
            CaseKind::TransparencyVisit => secretariat(),
            _ => arc(),
        },
        _ => secretariat(),
    }
}

/// Every (kind, state, step): legal ones lead where the spec says, the
/// others are refused with the spec's list of legal steps.
#[test]
fn every_transition_of_every_kind() {
    let spec = spec();
    let params = ParameterSet::builtin();
    let mut legal_seen = 0;
    let mut illegal_seen = 0;
    for &kind in CaseKind::ALL {
        for &state in State::ALL {
            let legal_here: Vec<Step> = spec
                .iter()
                .filter(|(k, from, _, _)| *k == kind && *from == state)
                .map(|(_, _, step, _)| *step)
                .collect();
            for &step in Step::ALL {
                let mut case = open(kind, params);
                case.state = state;
                let before = case.clone();
                let result = case.apply(
                    sample(kind, step),
                    actor(kind, step),
                    t0() + hours(1),
                    "test",
                );
                let expected = spec
                    .iter()
                    .find(|(k, from, s, _)| *k == kind && *from == state && *s == step);
                match (expected, result) {
                    (Some((_, _, _, to)), Ok(event)) => {
                        legal_seen += 1;
                        assert_eq!(case.state, *to, "{kind} {state} {step}");
                        assert!(matches!(
                            event.change,
                            Change::Transitioned { from, to: reached, .. } if from == state && reached == *to
                        ));
                        assert_eq!(case.events.last(), Some(&event));
                    }
                    (None, Err(TransitionError::Illegal { legal, .. })) => {
                        illegal_seen += 1;
                        assert_eq!(legal, legal_here, "{kind} {state} {step}");
                        assert_eq!(case, before, "a refused step changes nothing");
                    }
                    (expected, result) => {
                        panic!("{kind} {state} {step}: expected {expected:?}, got {result:?}")
                    }
                }
            }
        }
    }
    assert_eq!(legal_seen, spec.len());
    assert_eq!(
        legal_seen + illegal_seen,
        CaseKind::ALL.len() * State::ALL.len() * Step::ALL.len()
    );
    // The code's table and the spec agree as sets too.
    let mut table = bwcv_cases::case::TABLE.to_vec();
    let mut written = spec.clone();
    table.sort();
    written.sort();
    assert_eq!(table, written);
}

#[test]
fn terminal_states_have_no_way_out() {
    for &(_, from, _, _) in bwcv_cases::case::TABLE {
        assert!(!from.is_terminal(), "{from} is terminal but has a step");
    }
}

#[test]
fn illegal_step_message_names_what_is_legal() {
    let mut case = open(CaseKind::Clarification, ParameterSet::builtin());
    let error = case
        .apply(Transition::BeginVisit, inspector(), t0(), "x")
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "begin_visit is not a legal step of a clarification case in state raised; legal now: send_request, withdraw"
    );
    case.state = State::Closed;
    let error = case
        .apply(Transition::Withdraw, arc(), t0(), "x")
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("legal now: none (the case is finished)")
    );
}

#[test]
fn justification_is_required() {
    let mut case = open(CaseKind::Clarification, ParameterSet::builtin());
    for blank in ["", "   ", "\n\t"] {
        assert_eq!(
            case.apply(
                sample(case.kind, Step::SendRequest),
                secretariat(),
                t0(),
                blank
            ),
            Err(TransitionError::EmptyJustification)
        );
    }
    let (subject, opener) = subject(CaseKind::Clarification);
    assert_eq!(
        Case::open(
            bwcv_cases::case::CaseId("x".to_owned()),
            CaseKind::Clarification,
            subject,
            opener,
            t0(),
            " ",
            ParameterSet::builtin()
        )
        .unwrap_err(),
        TransitionError::EmptyJustification
    );
}

#[test]
fn only_the_right_actor_may_act() {
    let params = ParameterSet::builtin();
    // (kind, state, step, actor who may not)
    let cases = [
        (
            CaseKind::Clarification,
            State::Raised,
            Step::SendRequest,
            arc(),
        ),
        (
            CaseKind::Clarification,
            State::AwaitingReply,
            Step::RecordReply,
            arc(),
        ),
        (
            CaseKind::Clarification,
            State::AwaitingReply,
            Step::RecordReply,
            secretariat(),
        ),
        (
            CaseKind::Clarification,
            State::Raised,
            Step::Withdraw,
            bor(),
        ),
        (
            CaseKind::Clarification,
            State::Raised,
            Step::Withdraw,
            secretariat(),
        ),
        (
            CaseKind::TransparencyVisit,
            State::Notified,
            Step::BeginVisit,
            secretariat(),
        ),
        (
            CaseKind::TransparencyVisit,
            State::ReportIssued,
            Step::AppendComments,
            arc(),
        ),
        (
            CaseKind::TransparencyVisit,
            State::ReportIssued,
            Step::Close,
            inspector(),
        ),
        (
            CaseKind::AssistanceVisit,
            State::Requested,
            Step::Accept,
            bor(),
        ),
        (
            CaseKind::AssistanceVisit,
            State::Requested,
            Step::Withdraw,
            arc(),
        ),
        (
            CaseKind::FieldInvestigation,
            State::Drafted,
            Step::File,
            bor(),
        ),
        (
            CaseKind::FieldInvestigation,
            State::Drafted,
            Step::File,
            secretariat(),
        ),
        (
            CaseKind::FieldInvestigation,
            State::Filed,
            Step::CouncilDecision,
            arc(),
        ),
        (
            CaseKind::FacilityInvestigation,
            State::InProgress,
            Step::EndVisit,
            arc(),
        ),
        (
            CaseKind::FacilityInvestigation,
            State::Filed,
            Step::Withdraw,
            bor(),
        ),
    ];
    for (kind, state, step, who) in cases {
        let mut case = open(kind, params);
        case.state = state;
        let result = case.apply(sample(kind, step), who.clone(), t0(), "x");
        assert!(
            matches!(result, Err(TransitionError::NotPermitted { .. })),
            "{kind} {state} {step} by {}: {result:?}",
            who.user
        );
    }
    // Openers.
    let refused_openers = [
        (CaseKind::TransparencyVisit, arc()),
        (CaseKind::AssistanceVisit, arc()),
        (CaseKind::FieldInvestigation, bor()),
        (CaseKind::FacilityInvestigation, secretariat()),
        (CaseKind::Clarification, inspector()),
    ];
    for (kind, who) in refused_openers {
        let (subject, _) = subject(kind);
        let result = Case::open(
            bwcv_cases::case::CaseId("x".to_owned()),
            kind,
            subject,
            who,
            t0(),
            "x",
            params,
        );
        assert!(
            matches!(result, Err(TransitionError::NotPermitted { .. })),
            "{kind}: {result:?}"
        );
    }
}

#[test]
fn a_clarification_raised_by_the_secretariat_is_withdrawn_by_it() {
    let (subject, _) = subject(CaseKind::Clarification);
    let (mut case, _) = Case::open(
        bwcv_cases::case::CaseId("c".to_owned()),
        CaseKind::Clarification,
        subject,
        secretariat(),
        t0(),
        "Found in the annual analysis",
        ParameterSet::builtin(),
    )
    .unwrap();
    assert!(case.apply(Transition::Withdraw, arc(), t0(), "x").is_err());
    case.apply(
        Transition::Withdraw,
        secretariat(),
        t0(),
        "Resolved informally",
    )
    .unwrap();
    assert_eq!(case.state, State::Withdrawn);
}

#[test]
fn subjects_must_fit_the_kind() {
    let params = ParameterSet::builtin();
    let (declaration, _) = subject(CaseKind::Clarification);
    let result = Case::open(
        bwcv_cases::case::CaseId("x".to_owned()),
        CaseKind::TransparencyVisit,
        declaration.clone(),
        secretariat(),
        t0(),
        "x",
        params,
    );
    assert!(matches!(
        result,
        Err(TransitionError::SubjectMismatch { .. })
    ));
    let Subject::Declaration(mut point) = declaration else {
        unreachable!()
    };
    point.json_path = "form_a1.facilities".to_owned();
    let result = Case::open(
        bwcv_cases::case::CaseId("x".to_owned()),
        CaseKind::Clarification,
        Subject::Declaration(point),
        arc(),
        t0(),
        "x",
        params,
    );
    assert!(matches!(
        result,
        Err(TransitionError::SubjectMismatch { .. })
    ));
    let (field, _) = subject(CaseKind::FieldInvestigation);
    let result = Case::open(
        bwcv_cases::case::CaseId("x".to_owned()),
        CaseKind::FacilityInvestigation,
        field,
        arc(),
        t0(),
        "x",
        params,
    );
    assert!(matches!(
        result,
        Err(TransitionError::SubjectMismatch { .. })
    ));
}

#[test]
fn an_incomplete_request_is_not_filed_and_every_gap_is_named() {
    let params = ParameterSet::builtin();
    let mut draft =
        bwcv_cases::investigation::InvestigationRequest::draft(InvestigationKind::Facility);
    draft.requesting_state_party = Some(sp("ARC"));
    let (mut case, _) = Case::open(
        bwcv_cases::case::CaseId("inv".to_owned()),
        CaseKind::FacilityInvestigation,
        Subject::Investigation(draft),
        arc(),
        t0(),
        "Draft started",
        params,
    )
    .unwrap();
    let Err(TransitionError::IncompleteRequest(missing)) =
        case.apply(Transition::File, arc(), t0(), "File it")
    else {
        panic!("filed an incomplete request");
    };
    let fields: Vec<String> = missing.into_iter().map(|m| m.field).collect();
    assert_eq!(
        fields,
        [
            "investigated_state_party",
            "alleged_facts",
            "location",
            "period",
            "evidence",
            "facility"
        ]
    );
    assert_eq!(case.state, State::Drafted);
    case.apply(
        Transition::AmendRequest {
            request: complete_request(InvestigationKind::Facility),
        },
        arc(),
        t0() + hours(1),
        "Completed the request",
    )
    .unwrap();
    case.apply(Transition::File, arc(), t0() + hours(2), "File it")
        .unwrap();
    assert_eq!(case.state, State::Filed);
}

#[test]
fn council_decision_outcomes() {
    let params = ParameterSet::builtin();
    let mut stopped = proceeds();
    stopped.outcome = Outcome::Stopped;
    let mut pending = proceeds();
    pending.outcome = Outcome::Pending;
    for (tally, expected) in [
        (proceeds(), Ok(State::Approved)),
        (stopped, Ok(State::Stopped)),
        (pending, Err(TransitionError::DecisionPending)),
    ] {
        let mut case = open(CaseKind::FieldInvestigation, params);
        case.state = State::Filed;
        let result = case
            .apply(
                Transition::CouncilDecision { tally },
                secretariat(),
                t0(),
                "Tally of the Council",
            )
            .map(|_| case.state);
        assert_eq!(result, expected);
    }
}

#[test]
fn step_data_is_checked() {
    let params = ParameterSet::builtin();
    let mut case = open(CaseKind::Clarification, params);
    let bad_digest = Transition::SendRequest {
        request_sha256: "abc".to_owned(),
    };
    assert!(matches!(
        case.apply(bad_digest, secretariat(), t0(), "x"),
        Err(TransitionError::BadData { .. })
    ));
    case.state = State::ReplyReceived;
    let no_outcome = Transition::Close {
        outcome: " ".to_owned(),
    };
    assert!(matches!(
        case.apply(no_outcome, secretariat(), t0(), "x"),
        Err(TransitionError::BadData { .. })
    ));
    let past_meeting = Transition::ScheduleConsultation {
        meeting_at: t0() - hours(1),
    };
    assert!(matches!(
        case.apply(past_meeting, secretariat(), t0(), "x"),
        Err(TransitionError::BadData { .. })
    ));
    let mut visit = open(CaseKind::TransparencyVisit, params);
    let empty_team = Transition::AppointTeam {
        team: Team { members: vec![] },
    };
    assert!(matches!(
        visit.apply(empty_team, secretariat(), t0(), "x"),
        Err(TransitionError::BadData { .. })
    ));
}

#[test]
fn time_does_not_go_backwards() {
    let mut case = open(CaseKind::Clarification, ParameterSet::builtin());
    let result = case.apply(
        sample(CaseKind::Clarification, Step::SendRequest),
        secretariat(),
        t0() - TimeDelta::seconds(1),
        "x",
    );
    assert!(matches!(
        result,
        Err(TransitionError::TimeGoesBackwards { .. })
    ));
}

/// A clarification from filing to closure, with its events chained and
/// replayable.
fn walked_clarification() -> Case {
    let params = ParameterSet::builtin();
    let mut case = open(CaseKind::Clarification, params);
    let steps = [
        (Step::SendRequest, 1),
        (Step::ScheduleConsultation, 24 * 20),
        (Step::HoldConsultation, 24 * 25),
        (Step::Close, 24 * 26),
    ];
    for (step, at_hours) in steps {
        case.apply(
            sample(CaseKind::Clarification, step),
            actor(CaseKind::Clarification, step),
            t0() + hours(at_hours),
            &format!("Step {step}"),
        )
        .unwrap();
    }
    case
}

#[test]
fn events_are_canonical_chained_and_replayable() {
    let case = walked_clarification();
    assert_eq!(case.state, State::Closed);
    assert_eq!(case.events.len(), 5);
    for (index, pair) in case.events.windows(2).enumerate() {
        assert_eq!(pair[1].sequence as usize, index + 1);
        assert_eq!(
            pair[1].previous_sha256.as_deref(),
            Some(pair[0].digest().as_str())
        );
    }
    for event in &case.events {
        let bytes = event.canonical_bytes();
        let back: bwcv_cases::case::CaseEvent = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(&back, event);
        assert_eq!(back.canonical_bytes(), bytes, "serialisation is stable");
    }
    let known = |digest: &str| {
        (digest == ParameterSet::builtin().digest()).then(|| ParameterSet::builtin().clone())
    };
    let rebuilt = Case::replay(&case.events, &known).unwrap();
    assert_eq!(rebuilt, case);

    let mut tampered = case.events.clone();
    tampered[2].justification = "edited afterwards".to_owned();
    assert!(matches!(
        Case::replay(&tampered, &known),
        Err(ReplayError::Inconsistent { sequence: 3, .. })
    ));
    let mut reordered = case.events.clone();
    reordered.swap(1, 2);
    assert!(Case::replay(&reordered, &known).is_err());
    assert_eq!(Case::replay(&[], &known), Err(ReplayError::Empty));
    assert!(Case::replay(&case.events[1..], &known).is_err());
}

#[test]
fn deadlines_follow_the_parameters() {
    let params = ParameterSet::builtin();
    let mut case = open(CaseKind::Clarification, params);
    assert!(deadline::deadlines(&case, params).unwrap().is_empty());
    let sent = t0() + hours(2);
    case.apply(
        sample(case.kind, Step::SendRequest),
        secretariat(),
        sent,
        "Sent",
    )
    .unwrap();
    let deadlines = deadline::deadlines(&case, params).unwrap();
    assert_eq!(deadlines.len(), 1);
    let reply = &deadlines[0];
    let reply_days = params.days("clarification.request_reply_days").unwrap();
    assert_eq!(reply.step, Step::RecordReply);
    assert_eq!(reply.bound, Bound::NotAfter);
    assert_eq!(reply.due, sent + TimeDelta::days(reply_days));
    assert_eq!(reply.parameter_name, "clarification.request_reply_days");
    assert_eq!(reply.parameter_version, params.version());
    // Overdue strictly after the due time.
    assert!(
        deadline::overdue(&case, params, reply.due)
            .unwrap()
            .is_empty()
    );
    let late = deadline::overdue(&case, params, reply.due + TimeDelta::seconds(1)).unwrap();
    assert_eq!(late, deadlines);
}

/// For each kind, a path through its states, and the deadline each state
/// must show, computed from the parameter values.
#[test]
fn every_deadline_rule_against_the_parameters() {
    let params = ParameterSet::builtin();
    let day = |name: &str| TimeDelta::days(params.days(name).unwrap());
    let hour = |name: &str| TimeDelta::hours(params.hours(name).unwrap());
    type Expect = Vec<(Step, Bound, TimeDelta, &'static str)>;
    // (kind, steps to take (each one hour after the previous), expected deadlines after each)
    let walks: Vec<(CaseKind, Vec<(Step, Expect)>)> = vec![
        (
            CaseKind::Clarification,
            vec![
                (
                    Step::SendRequest,
                    vec![(
                        Step::RecordReply,
                        Bound::NotAfter,
                        day("clarification.request_reply_days"),
                        "clarification.request_reply_days",
                    )],
                ),
                (
                    Step::RecordReply,
                    vec![(
                        Step::HoldConsultation,
                        Bound::NotAfter,
                        day("clarification.consultation_days"),
                        "clarification.consultation_days",
                    )],
                ),
                // Still measured from the reply.
                (
                    Step::ScheduleConsultation,
                    vec![(
                        Step::HoldConsultation,
                        Bound::NotAfter,
                        day("clarification.consultation_days") + hours(-1),
                        "clarification.consultation_days",
                    )],
                ),
                (Step::HoldConsultation, vec![]),
                (Step::ProposeVisit, vec![]),
                (Step::AppointTeam, vec![]),
                (
                    Step::Notify,
                    vec![(
                        Step::BeginVisit,
                        Bound::NotBefore,
                        day("visits.clarification.notice_days"),
                        "visits.clarification.notice_days",
                    )],
                ),
            ],
        ),
        (
            CaseKind::TransparencyVisit,
            vec![
                (Step::AppointTeam, vec![]),
                (
                    Step::Notify,
                    vec![(
                        Step::BeginVisit,
                        Bound::NotBefore,
                        hour("visits.random.notice_hours"),
                        "visits.random.notice_hours",
                    )],
                ),
            ],
        ),
        (
            CaseKind::FieldInvestigation,
            vec![
                (
                    Step::File,
                    vec![(
                        Step::CouncilDecision,
                        Bound::NotAfter,
                        hour("investigation.field.council_decision_hours"),
                        "investigation.field.council_decision_hours",
                    )],
                ),
                (Step::CouncilDecision, vec![]),
                (Step::AppointTeam, vec![]),
                (
                    Step::Notify,
                    vec![(
                        Step::BeginVisit,
                        Bound::NotBefore,
                        hour("investigation.notice_hours"),
                        "investigation.notice_hours",
                    )],
                ),
            ],
        ),
        (
            CaseKind::FacilityInvestigation,
            vec![(
                Step::File,
                vec![(
                    Step::CouncilDecision,
                    Bound::NotAfter,
                    hour("investigation.facility.council_decision_hours"),
                    "investigation.facility.council_decision_hours",
                )],
            )],
        ),
    ];
    for (kind, steps) in walks {
        let mut case = open(kind, params);
        let mut at = t0();
        for (step, expected) in steps {
            at += hours(1);
            case.apply(sample(kind, step), actor(kind, step), at, "walk")
                .unwrap();
            let got: Vec<_> = deadline::deadlines(&case, params)
                .unwrap()
                .into_iter()
                .map(|d| (d.step, d.bound, d.due - at, d.parameter_name))
                .collect();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(s, b, span, name)| (s, b, span, name.to_owned()))
                .collect();
            assert_eq!(got, expected, "{kind} after {step}");
        }
    }
    // Visits in progress and after: set the state directly, measured from
    // the entry into the state (entered at t0 + 1h below).
    type Limits = Vec<(Step, TimeDelta, &'static str)>;
    let after_visit: Vec<(CaseKind, State, Limits)> = vec![
        (
            CaseKind::TransparencyVisit,
            State::InProgress,
            vec![(
                Step::EndVisit,
                day("visits.random.duration_days"),
                "visits.random.duration_days",
            )],
        ),
        (
            CaseKind::TransparencyVisit,
            State::VisitCompleted,
            vec![(
                Step::IssueReport,
                day("visits.random.report_days"),
                "visits.random.report_days",
            )],
        ),
        (
            CaseKind::Clarification,
            State::VisitCompleted,
            vec![(
                Step::IssueReport,
                day("visits.clarification.report_days"),
                "visits.clarification.report_days",
            )],
        ),
        (
            CaseKind::AssistanceVisit,
            State::VisitCompleted,
            vec![(
                Step::IssueReport,
                day("visits.voluntary.report_days"),
                "visits.voluntary.report_days",
            )],
        ),
        (
            CaseKind::FieldInvestigation,
            State::InProgress,
            vec![(
                Step::EndVisit,
                day("investigation.field.duration_days"),
                "investigation.field.duration_days",
            )],
        ),
        (
            CaseKind::FacilityInvestigation,
            State::InProgress,
            vec![(
                Step::EndVisit,
                hour("investigation.facility.duration_hours"),
                "investigation.facility.duration_hours",
            )],
        ),
        (
            CaseKind::FacilityInvestigation,
            State::VisitCompleted,
            vec![
                (
                    Step::IssuePreliminaryReport,
                    hour("investigation.preliminary_report_hours"),
                    "investigation.preliminary_report_hours",
                ),
                (
                    Step::IssueReport,
                    day("investigation.final_report_days"),
                    "investigation.final_report_days",
                ),
            ],
        ),
    ];
    for (kind, state, expected) in after_visit {
        let mut case = open(kind, params);
        // Enter the state one step before, then take the step into it.
        let (from, step) = bwcv_cases::case::TABLE
            .iter()
            .find(|(k, _, _, to)| *k == kind && *to == state)
            .map(|(_, from, step, _)| (*from, *step))
            .unwrap();
        case.state = from;
        let entered = t0() + hours(1);
        case.apply(sample(kind, step), actor(kind, step), entered, "enter")
            .unwrap();
        let got: Vec<_> = deadline::deadlines(&case, params)
            .unwrap()
            .into_iter()
            .map(|d| (d.step, d.due - entered, d.parameter_name))
            .collect();
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(s, span, name)| (s, span, name.to_owned()))
            .collect();
        assert_eq!(got, expected, "{kind} in {state}");
    }
    // The final investigation report stays measured from the end of the visit.
    let mut case = open(CaseKind::FieldInvestigation, params);
    case.state = State::InProgress;
    let ended = t0() + hours(1);
    case.apply(Transition::EndVisit, inspector(), ended, "left")
        .unwrap();
    case.apply(
        sample(case.kind, Step::IssuePreliminaryReport),
        inspector(),
        ended + hours(5),
        "prelim",
    )
    .unwrap();
    let remaining = deadline::deadlines(&case, params).unwrap();
    assert_eq!(remaining.len(), 1);
    assert_eq!(
        remaining[0].due,
        ended + day("investigation.final_report_days")
    );
}

#[test]
fn every_parameter_the_rules_read_exists() {
    let params = ParameterSet::builtin();
    for name in deadline::parameter_names() {
        assert!(
            params.get(name).is_ok(),
            "{name} missing from the built-in set"
        );
    }
}

#[test]
fn notice_periods_are_enforced() {
    let params = ParameterSet::builtin();
    let mut case = open(CaseKind::TransparencyVisit, params);
    case.apply_checked(
        sample(case.kind, Step::AppointTeam),
        secretariat(),
        t0(),
        "team",
        params,
    )
    .unwrap();
    let notified = t0() + hours(1);
    case.apply_checked(
        Transition::Notify,
        secretariat(),
        notified,
        "notice",
        params,
    )
    .unwrap();
    let notice = TimeDelta::hours(params.hours("visits.random.notice_hours").unwrap());
    let early = case.apply_checked(
        Transition::BeginVisit,
        inspector(),
        notified + notice - TimeDelta::seconds(1),
        "arrived",
        params,
    );
    assert!(
        matches!(early, Err(TransitionError::TooEarly { .. })),
        "{early:?}"
    );
    case.apply_checked(
        Transition::BeginVisit,
        inspector(),
        notified + notice,
        "arrived",
        params,
    )
    .unwrap();
    // Another parameter set than the case's is refused.
    let other = params_with("test.2", &[("visits.random.duration_days", 9)]);
    assert!(matches!(
        case.apply_checked(
            Transition::EndVisit,
            inspector(),
            notified + notice,
            "left",
            &other
        ),
        Err(TransitionError::ParameterSetMismatch { .. })
    ));
}

#[test]
fn changing_parameters_moves_pending_deadlines_and_is_recorded() {
    let old = ParameterSet::builtin();
    let old_reply = old.days("clarification.request_reply_days").unwrap();
    let new = params_with(
        "test.2",
        &[
            ("clarification.request_reply_days", old_reply + 7),
            // A step already passed or not yet reached: no effect now.
            ("visits.clarification.report_days", 99),
        ],
    );
    let mut case = open(CaseKind::Clarification, old);
    let sent = t0() + hours(1);
    case.apply(
        sample(case.kind, Step::SendRequest),
        secretariat(),
        sent,
        "Sent",
    )
    .unwrap();
    let event = case
        .change_parameters(
            old,
            &new,
            secretariat(),
            sent + hours(1),
            "Protocol amended",
        )
        .unwrap();
    let Change::ParametersChanged {
        old_digest,
        new_digest,
        affected_deadlines,
        ..
    } = &event.change
    else {
        panic!("not a parameter change: {event:?}");
    };
    assert_eq!(old_digest, &old.digest());
    assert_eq!(new_digest, &new.digest());
    assert_eq!(affected_deadlines.len(), 1);
    let moved = &affected_deadlines[0];
    assert_eq!(moved.step, Step::RecordReply);
    assert_eq!(moved.old_due, sent + TimeDelta::days(old_reply));
    assert_eq!(moved.new_due, sent + TimeDelta::days(old_reply + 7));
    assert_eq!(case.parameter_set_digest, new.digest());
    assert_eq!(
        deadline::deadlines(&case, &new).unwrap()[0].due,
        sent + TimeDelta::days(old_reply + 7)
    );
    // The old set no longer applies; the change cannot be made twice.
    assert!(matches!(
        case.change_parameters(old, &new, secretariat(), sent + hours(2), "again"),
        Err(TransitionError::ParameterSetMismatch { .. })
    ));
    assert!(matches!(
        case.change_parameters(&new, old, arc(), sent + hours(2), "by a State Party"),
        Err(TransitionError::NotPermitted { .. })
    ));
    // Replay needs both sets and reproduces the change.
    let sets = [old.clone(), new.clone()];
    let known = |digest: &str| sets.iter().find(|s| s.digest() == digest).cloned();
    assert_eq!(Case::replay(&case.events, &known).unwrap(), case);
}

/// A facility investigation from filing through the Executive Council's
/// decision, with the window from the parameters.
#[test]
fn council_decides_a_filed_investigation() {
    use bwcv_cases::council::{self, Choice, RuleBook, Vote};
    let params = ParameterSet::builtin();
    let book = RuleBook::from_params(params).unwrap();
    let members: Vec<_> = ["ARC", "BOR", "CYR", "DUN", "ELM", "FEN"]
        .iter()
        .map(|c| sp(c))
        .collect();
    for (votes, expected) in [
        // Green light: no votes at the end of the window -> no quorum -> stopped.
        (vec![], State::Stopped),
        // CYR, DUN, ELM, FEN for; ARC and BOR present (quorum only).
        (
            vec![
                ("ARC", Choice::Against),
                ("BOR", Choice::Against),
                ("CYR", Choice::For),
                ("DUN", Choice::For),
                ("ELM", Choice::For),
                ("FEN", Choice::Against),
            ],
            State::Approved,
        ),
    ] {
        let mut case = open(CaseKind::FacilityInvestigation, params);
        let filed = t0() + hours(1);
        case.apply(Transition::File, arc(), filed, "Filed").unwrap();
        let session = council::session_for(&case, members.clone(), params)
            .unwrap()
            .unwrap();
        let window = params
            .hours("investigation.facility.council_decision_hours")
            .unwrap();
        assert_eq!(session.closes_at, filed + hours(window));
        assert_eq!(session.requesting, Some(sp("ARC")));
        assert_eq!(session.inspected, Some(sp("BOR")));
        let votes: Vec<Vote> = votes
            .into_iter()
            .map(|(member, choice)| Vote {
                member: sp(member),
                choice,
                at: filed + hours(2),
            })
            .collect();
        let rule = book.rule_for(case.kind).unwrap();
        let tally = council::tally(rule, &session, &votes, session.closes_at).unwrap();
        case.apply(
            Transition::CouncilDecision { tally },
            secretariat(),
            session.closes_at,
            "Council decision recorded",
        )
        .unwrap();
        assert_eq!(case.state, expected);
    }
    assert!(book.rule_for(CaseKind::Clarification).is_none());
}
