//! Shared fixtures of the bwcv-cases integration tests.
#![allow(dead_code)]

use bwcv_cases::case::{Actor, Case, CaseId, CaseKind, Concern, DeclarationPoint, Subject};
use bwcv_cases::investigation::{
    Evidence, FieldGround, InvestigationKind, InvestigationRequest, Location, Period,
};
use bwcv_core::access::Role;
use bwcv_core::params::{ParameterSet, Value};
use bwcv_core::{FacilityId, StatePartyCode};
use chrono::{DateTime, TimeDelta, Utc};

pub fn sp(code: &str) -> StatePartyCode {
    StatePartyCode::new(code).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

pub fn secretariat() -> Actor {
    Actor {
        user: "analyst.one".to_owned(),
        role: Role::SecretariatAnalyst,
        state_party: None,
    }
}

pub fn inspector() -> Actor {
    Actor {
        user: "inspector.one".to_owned(),
        role: Role::Inspector,
        state_party: None,
    }
}

/// National authority of ARC: raises clarifications, requests investigations.
pub fn arc() -> Actor {
    Actor {
        user: "na.arc".to_owned(),
        role: Role::NationalAuthority,
        state_party: Some(sp("ARC")),
    }
}

/// National authority of BOR: the State Party concerned in every fixture.
pub fn bor() -> Actor {
    Actor {
        user: "na.bor".to_owned(),
        role: Role::NationalAuthority,
        state_party: Some(sp("BOR")),
    }
}

pub fn complete_request(kind: InvestigationKind) -> InvestigationRequest {
    InvestigationRequest {
        kind,
        field_ground: (kind == InvestigationKind::Field).then_some(FieldGround::SuspiciousOutbreak),
        requesting_state_party: Some(sp("ARC")),
        investigated_state_party: Some(sp("BOR")),
        alleged_facts: "Cluster of unusual illness downwind of the site".to_owned(),
        location: Some(Location {
            description: "Northern district".to_owned(),
            latitude: None,
            longitude: None,
        }),
        period: Some(Period {
            from: t0() - TimeDelta::days(20),
            to: t0() - TimeDelta::days(10),
        }),
        evidence: vec![Evidence {
            description: "Epidemiological summary".to_owned(),
            sha256: "cd".repeat(32),
        }],
        facility: (kind == InvestigationKind::Facility)
            .then(|| FacilityId::new("BOR-F0007").unwrap()),
    }
}

/// The subject and the opener of each kind's fixture case.
pub fn subject(kind: CaseKind) -> (Subject, Actor) {
    match kind {
        CaseKind::Clarification => (
            Subject::Declaration(DeclarationPoint {
                state_party: sp("BOR"),
                year: 2026,
                form: "A1".to_owned(),
                json_path: "$.form_a1.facilities[0].biosafety_level".to_owned(),
                concern: Concern::Ambiguity,
                description: "BSL-4 declared, but the floor area of the BSL-4 suite is absent"
                    .to_owned(),
            }),
            arc(),
        ),
        CaseKind::TransparencyVisit => (
            Subject::DrawnFacility {
                facility: FacilityId::new("BOR-F0007").unwrap(),
                draw_id: "draw-2027".to_owned(),
                draw_record_sha256: "ef".repeat(32),
            },
            secretariat(),
        ),
        CaseKind::AssistanceVisit => (
            Subject::AssistanceRequest {
                state_party: sp("BOR"),
                purpose: "Help with preparing the Form A part 2 declaration".to_owned(),
            },
            bor(),
        ),
        CaseKind::FieldInvestigation => (
            Subject::Investigation(complete_request(InvestigationKind::Field)),
            arc(),
        ),
        CaseKind::FacilityInvestigation => (
            Subject::Investigation(complete_request(InvestigationKind::Facility)),
            arc(),
        ),
    }
}

pub fn open(kind: CaseKind, params: &ParameterSet) -> Case {
    let (subject, opener) = subject(kind);
    let (case, _) = Case::open(
        CaseId(format!("{}-1", kind.as_str())),
        kind,
        subject,
        opener,
        t0(),
        "Opened for the test",
        params,
    )
    .unwrap();
    case
}

/// The built-in parameter set with some values replaced and a new version.
pub fn params_with(version: &str, changes: &[(&str, i64)]) -> ParameterSet {
    let builtin = ParameterSet::builtin();
    let quote = |s: &str| serde_json::to_string(s).unwrap();
    let mut text = format!(
        "name = {}\nversion = {}\ndescription = {}\n",
        quote(builtin.name()),
        quote(version),
        quote(builtin.description())
    );
    for parameter in builtin.iter() {
        let value = match changes.iter().find(|(name, _)| *name == parameter.name) {
            Some((_, value)) => value.to_string(),
            None => match &parameter.value {
                Value::Integer(v) => v.to_string(),
                Value::Float(v) => format!("{v:?}"),
                other => quote(&other.to_string()),
            },
        };
        text.push_str(&format!(
            "\n[[parameter]]\nname = {}\nvalue = {}\nunit = {}\nverified = {}\nsource = {}\ndescription = {}\n",
            quote(&parameter.name),
            value,
            quote(&parameter.unit),
            parameter.verified,
            quote(&parameter.source),
            quote(&parameter.description),
        ));
    }
    ParameterSet::from_toml_str(&text).unwrap()
}
