//! End to end: `bwcv cases check` on a case history made with bwcv-cases.

use assert_cmd::Command;
use bwcv_cases::case::{
    Actor, Case, CaseEvent, CaseId, CaseKind, Concern, DeclarationPoint, Subject, Transition,
};
use bwcv_core::StatePartyCode;
use bwcv_core::access::Role;
use bwcv_core::params::ParameterSet;
use chrono::{DateTime, TimeDelta, Utc};
use predicates::prelude::*;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A clarification raised by ARC about BOR's declaration, request sent.
fn events() -> Vec<CaseEvent> {
    let params = ParameterSet::builtin();
    let arc = Actor {
        user: "na.arc".to_owned(),
        role: Role::NationalAuthority,
        state_party: Some(StatePartyCode::new("ARC").unwrap()),
    };
    let secretariat = Actor {
        user: "analyst".to_owned(),
        role: Role::SecretariatAnalyst,
        state_party: None,
    };
    let (mut case, _) = Case::open(
        CaseId("CL-2027-0001".to_owned()),
        CaseKind::Clarification,
        Subject::Declaration(DeclarationPoint {
            state_party: StatePartyCode::new("BOR").unwrap(),
            year: 2026,
            form: "A1".to_owned(),
            json_path: "$.form_a1.facilities[0].biosafety_level".to_owned(),
            concern: Concern::Omission,
            description: "Floor area of the BSL-4 suite missing".to_owned(),
        }),
        arc,
        t0(),
        "Raised after reading the 2026 return",
        params,
    )
    .unwrap();
    case.apply(
        Transition::SendRequest {
            request_sha256: "ab".repeat(32),
        },
        secretariat,
        t0() + TimeDelta::hours(2),
        "Written request sent",
    )
    .unwrap();
    case.events
}

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").unwrap()
}

#[test]
fn check_replays_and_lists_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    std::fs::write(&path, serde_json::to_string(&events()).unwrap()).unwrap();
    let reply_days = ParameterSet::builtin()
        .days("clarification.request_reply_days")
        .unwrap();
    let due = t0() + TimeDelta::hours(2) + TimeDelta::days(reply_days);
    bwcv()
        .args(["cases", "check"])
        .arg(&path)
        .args(["--now", "2027-03-02T00:00:00Z"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "# case=CL-2027-0001 kind=clarification state=awaiting_reply events=2",
        ))
        .stdout(predicate::str::contains(format!(
            "record_reply\tnot_after\t{}\tclarification.request_reply_days\t{reply_days}\tdays\tno",
            due.to_rfc3339()
        )));
    let late = (due + TimeDelta::seconds(1)).to_rfc3339();
    bwcv()
        .args(["cases", "check"])
        .arg(&path)
        .args(["--now", &late, "--format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"overdue\": true"));
}

#[test]
fn a_tampered_history_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = events();
    events[0].justification = "rewritten afterwards".to_owned();
    let path = dir.path().join("events.json");
    std::fs::write(&path, serde_json::to_string(&events).unwrap()).unwrap();
    bwcv()
        .args(["cases", "check"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("history does not replay: event 1"));
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "[{]").unwrap();
    bwcv()
        .args(["cases", "check"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not a JSON array of case events",
        ));
}
