//! Classification levels of stored records and visibility of submissions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How sensitive a stored record is. Ordered: a higher level needs more.
///
/// The draft protocol (2001) knows three protected levels; `Unclassified`
/// is for material that is public by nature (published lists, public CBMs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    Unclassified,
    Restricted,
    Protected,
    HighlyProtected,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Unclassified,
        Classification::Restricted,
        Classification::Protected,
        Classification::HighlyProtected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Unclassified => "unclassified",
            Classification::Restricted => "restricted",
            Classification::Protected => "protected",
            Classification::HighlyProtected => "highly_protected",
        }
    }

    /// The label shown to people ("Highly Protected").
    pub fn label(self) -> &'static str {
        match self {
            Classification::Unclassified => "Unclassified",
            Classification::Restricted => "Restricted",
            Classification::Protected => "Protected",
            Classification::HighlyProtected => "Highly Protected",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown classification {0:?}: expected unclassified, restricted, protected or highly_protected"
)]
pub struct UnknownClassification(pub String);

impl FromStr for Classification {
    type Err = UnknownClassification;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownClassification(s.to_owned()))
    }
}

/// Who may read a CBM submission, as chosen by the submitting State Party
/// (CBM modalities: the Secretariat distributes to all States Parties; a
/// State Party may make its CBMs public).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Published: anyone may read it.
    Public,
    /// Only States Parties (and the Secretariat) may read it.
    #[default]
    StatesPartiesOnly,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::StatesPartiesOnly => "states_parties_only",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_and_round_trips() {
        assert!(Classification::Restricted < Classification::HighlyProtected);
        for c in Classification::ALL {
            assert_eq!(c.as_str().parse::<Classification>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert!("secret".parse::<Classification>().is_err());
    }
}
