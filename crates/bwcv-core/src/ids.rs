//! Identifiers of States Parties and facilities.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "State Party code {0:?} must be 2 or 3 upper-case ASCII letters (ISO 3166-1 style, e.g. \"NOR\")"
    )]
    StateParty(String),
    #[error(
        "facility identifier {0:?} must look like \"NOR-F0001\": a State Party code, '-', 'F' and 4 to 8 digits"
    )]
    Facility(String),
}

/// A State Party, by an ISO 3166-1 alpha-3 style code (`"NOR"`); the demo
/// uses fictional codes that no real State has (`"ARC"`, `"BOR"`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatePartyCode(String);

impl StatePartyCode {
    pub fn new(code: &str) -> Result<Self, IdError> {
        let ok = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase());
        if ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(IdError::StateParty(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StatePartyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StatePartyCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for StatePartyCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<StatePartyCode> for String {
    fn from(code: StatePartyCode) -> Self {
        code.0
    }
}

/// A declared facility's stable identifier, the same across years and forms:
/// the declaring State Party's code, `-F`, and a serial number
/// (`"NOR-F0001"`). The State Party assigns the serial once and never reuses it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FacilityId(String);

impl FacilityId {
    pub fn new(id: &str) -> Result<Self, IdError> {
        let err = || IdError::Facility(id.to_owned());
        let (state_party, serial) = id.split_once("-F").ok_or_else(err)?;
        StatePartyCode::new(state_party).map_err(|_| err())?;
        let serial_ok =
            (4..=8).contains(&serial.len()) && serial.bytes().all(|b| b.is_ascii_digit());
        if !serial_ok {
            return Err(err());
        }
        Ok(Self(id.to_owned()))
    }

    /// The State Party that declared the facility.
    pub fn state_party(&self) -> StatePartyCode {
        let (code, _) = self.0.split_once("-F").expect("validated at construction");
        StatePartyCode(code.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FacilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for FacilityId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for FacilityId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<FacilityId> for String {
    fn from(id: FacilityId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_party_codes() {
        assert!(StatePartyCode::new("NOR").is_ok());
        assert!(StatePartyCode::new("NO").is_ok());
        for bad in ["", "N", "nor", "NORW", "N0R", "NÖR"] {
            assert!(StatePartyCode::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn facility_ids() {
        let id = FacilityId::new("ARC-F0001").unwrap();
        assert_eq!(id.state_party().as_str(), "ARC");
        for bad in [
            "ARC-F01",
            "ARC0001",
            "arc-F0001",
            "ARC-F0001x",
            "ARC-F123456789",
            "-F0001",
        ] {
            assert!(FacilityId::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn serde_validates() {
        let ok: FacilityId = serde_json::from_str("\"BOR-F0042\"").unwrap();
        assert_eq!(ok.as_str(), "BOR-F0042");
        assert!(serde_json::from_str::<FacilityId>("\"nonsense\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = StatePartyCode::new(&s);
            let _ = FacilityId::new(&s);
        }
    }
}
