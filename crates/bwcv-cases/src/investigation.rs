//! What a request for an investigation must carry before it can be filed.
//!
//! A request names the requesting State Party, the State Party whose
//! territory or facility is concerned, the alleged facts, where and when
//! they happened, the evidence offered, and for a facility investigation the
//! facility concerned. [`InvestigationRequest::missing`] lists every field
//! that is still missing, not just the first.

use bwcv_core::{FacilityId, StatePartyCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Field investigation (alleged use, or an outbreak suspected to be linked
/// to a breach) or facility investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationKind {
    Field,
    Facility,
}

/// Why a field investigation is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGround {
    /// Alleged use of biological or toxin weapons.
    AllegedUse,
    /// An outbreak of disease suspected to be linked to a breach.
    SuspiciousOutbreak,
}

/// Where the alleged events took place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub description: String,
    /// WGS 84 decimal degrees, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// When the alleged events took place (a single moment when `from == to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One piece of evidence offered with the request, referenced by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub description: String,
    /// Hex SHA-256 of the evidence file as held in the evidence store.
    pub sha256: String,
}

/// A request for an investigation, as drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestigationRequest {
    pub kind: InvestigationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_ground: Option<FieldGround>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requesting_state_party: Option<StatePartyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigated_state_party: Option<StatePartyCode>,
    #[serde(default)]
    pub alleged_facts: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Required for a facility investigation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
}

/// A field the request still lacks, or has in a form that cannot be filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingField {
    /// The field's name in the request (`"location.description"`).
    pub field: String,
    pub reason: String,
}

impl InvestigationRequest {
    /// An empty draft of `kind`.
    pub fn draft(kind: InvestigationKind) -> Self {
        Self {
            kind,
            field_ground: None,
            requesting_state_party: None,
            investigated_state_party: None,
            alleged_facts: String::new(),
            location: None,
            period: None,
            evidence: Vec::new(),
            facility: None,
        }
    }

    /// Every field that must be completed before filing; empty when the
    /// request is complete.
    pub fn missing(&self) -> Vec<MissingField> {
        let mut missing = Vec::new();
        let mut lack = |field: &str, reason: &str| {
            missing.push(MissingField {
                field: field.to_owned(),
                reason: reason.to_owned(),
            });
        };
        if self.requesting_state_party.is_none() {
            lack(
                "requesting_state_party",
                "the State Party making the request",
            );
        }
        if self.investigated_state_party.is_none() {
            lack(
                "investigated_state_party",
                "the State Party whose territory or facility is concerned",
            );
        }
        if self.alleged_facts.trim().is_empty() {
            lack("alleged_facts", "the facts alleged, in words");
        }
        match &self.location {
            None => lack("location", "where the events took place"),
            Some(location) => {
                if location.description.trim().is_empty() {
                    lack("location.description", "the place, in words");
                }
                match (location.latitude, location.longitude) {
                    (Some(latitude), _) if !(-90.0..=90.0).contains(&latitude) => {
                        lack("location.latitude", "must be between -90 and 90 degrees");
                    }
                    (_, Some(longitude)) if !(-180.0..=180.0).contains(&longitude) => {
                        lack("location.longitude", "must be between -180 and 180 degrees");
                    }
                    (Some(_), None) | (None, Some(_)) => {
                        lack("location", "give both latitude and longitude, or neither");
                    }
                    _ => {}
                }
            }
        }
        match &self.period {
            None => lack("period", "when the events took place"),
            Some(period) if period.to < period.from => {
                lack("period", "ends before it begins");
            }
            Some(_) => {}
        }
        if self.evidence.is_empty() {
            lack("evidence", "at least one piece of evidence");
        }
        for (index, evidence) in self.evidence.iter().enumerate() {
            if evidence.description.trim().is_empty() {
                lack(
                    &format!("evidence[{index}].description"),
                    "what the evidence is",
                );
            }
            let is_digest = evidence.sha256.len() == 64
                && evidence.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !is_digest {
                lack(
                    &format!("evidence[{index}].sha256"),
                    "64 hex digits of SHA-256",
                );
            }
        }
        match self.kind {
            InvestigationKind::Field => {
                if self.field_ground.is_none() {
                    lack(
                        "field_ground",
                        "alleged use, or an outbreak suspected to be linked to a breach",
                    );
                }
            }
            InvestigationKind::Facility => match &self.facility {
                None => lack("facility", "the facility concerned"),
                Some(facility) => {
                    if let Some(investigated) = &self.investigated_state_party
                        && facility.state_party() != *investigated
                    {
                        lack(
                            "facility",
                            "the facility is not declared by the investigated State Party",
                        );
                    }
                }
            },
        }
        if let (Some(requesting), Some(investigated)) =
            (&self.requesting_state_party, &self.investigated_state_party)
            && requesting == investigated
            && self.kind == InvestigationKind::Facility
        {
            lack(
                "investigated_state_party",
                "a State Party does not request a facility investigation of itself",
            );
        }
        missing
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn complete(kind: InvestigationKind) -> InvestigationRequest {
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        InvestigationRequest {
            kind,
            field_ground: (kind == InvestigationKind::Field).then_some(FieldGround::AllegedUse),
            requesting_state_party: Some(StatePartyCode::new("ARC").unwrap()),
            investigated_state_party: Some(StatePartyCode::new("BOR").unwrap()),
            alleged_facts: "Unusual cluster of cases near the harbour".to_owned(),
            location: Some(Location {
                description: "Harbour district".to_owned(),
                latitude: Some(12.5),
                longitude: Some(-3.25),
            }),
            period: Some(Period { from: at, to: at }),
            evidence: vec![Evidence {
                description: "Hospital admission summary".to_owned(),
                sha256: "ab".repeat(32),
            }],
            facility: (kind == InvestigationKind::Facility)
                .then(|| FacilityId::new("BOR-F0001").unwrap()),
        }
    }

    #[test]
    fn complete_requests_have_nothing_missing() {
        assert_eq!(complete(InvestigationKind::Field).missing(), Vec::new());
        assert_eq!(complete(InvestigationKind::Facility).missing(), Vec::new());
    }

    #[test]
    fn an_empty_draft_lists_every_missing_field() {
        let fields = |request: &InvestigationRequest| -> Vec<String> {
            request.missing().into_iter().map(|m| m.field).collect()
        };
        assert_eq!(
            fields(&InvestigationRequest::draft(InvestigationKind::Field)),
            [
                "requesting_state_party",
                "investigated_state_party",
                "alleged_facts",
                "location",
                "period",
                "evidence",
                "field_ground"
            ]
        );
        assert_eq!(
            fields(&InvestigationRequest::draft(InvestigationKind::Facility)),
            [
                "requesting_state_party",
                "investigated_state_party",
                "alleged_facts",
                "location",
                "period",
                "evidence",
                "facility"
            ]
        );
    }

    #[test]
    fn malformed_fields_are_named() {
        type Change = Box<dyn Fn(&mut InvestigationRequest)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|r| r.alleged_facts = "   ".to_owned()),
                "alleged_facts",
            ),
            (
                Box::new(|r| r.location.as_mut().unwrap().latitude = Some(91.0)),
                "location.latitude",
            ),
            (
                Box::new(|r| r.location.as_mut().unwrap().longitude = None),
                "location",
            ),
            (
                Box::new(|r| r.location.as_mut().unwrap().description.clear()),
                "location.description",
            ),
            (
                Box::new(|r| {
                    let period = r.period.as_mut().unwrap();
                    period.to = period.from - chrono::TimeDelta::hours(1);
                }),
                "period",
            ),
            (
                Box::new(|r| r.evidence[0].sha256 = "xyz".to_owned()),
                "evidence[0].sha256",
            ),
            (
                Box::new(|r| r.evidence[0].description.clear()),
                "evidence[0].description",
            ),
            (
                Box::new(|r| r.facility = Some(FacilityId::new("ARC-F0001").unwrap())),
                "facility",
            ),
            (
                Box::new(|r| r.investigated_state_party = r.requesting_state_party.clone()),
                "investigated_state_party",
            ),
        ];
        for (change, field) in cases {
            let mut request = complete(InvestigationKind::Facility);
            change(&mut request);
            let missing = request.missing();
            assert!(
                missing.iter().any(|m| m.field == field),
                "{field} not reported: {missing:?}"
            );
        }
    }
}
