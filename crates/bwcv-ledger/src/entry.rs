//! Canonical, versioned encodings of the entries the ledger records
//! (crates/bwcv-ledger/FORMAT.md). Every entry is one canonical JSON object
//! with a `"type"` member naming kind and version (`"custody/v1"`); the
//! Merkle leaf is exactly these bytes.
//!
//! Adding a version means adding a variant and a tag: existing tags keep
//! their struct and so keep decoding and verifying byte for byte.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::custody::SignedCustodyEvent;
use crate::merkle::{self, Hash};

/// Why bytes are not a canonical entry of a known type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry is not JSON: {0}")]
    NotJson(String),
    #[error(
        "entry is not in canonical form (sorted keys, no whitespace, integers only; see FORMAT.md)"
    )]
    NotCanonical,
    #[error("entry contains a non-integer number; entries use integers only")]
    NonInteger,
    #[error("entry is not a JSON object with a string \"type\" member")]
    NoType,
    #[error("entry type {tag:?} is unknown to this bwcv (known: {known})")]
    UnknownType { tag: String, known: String },
    #[error(
        "entry kind {kind:?} has no version {version:?} in this bwcv (known: {known}); a newer bwcv may read it"
    )]
    UnknownVersion {
        kind: String,
        version: String,
        known: String,
    },
    #[error("entry of type {tag}: {reason}")]
    Fields { tag: String, reason: String },
    #[error("entry body must serialise to a JSON object without a \"type\" member")]
    BadBody,
}

/// Canonical JSON (FORMAT.md §Canonical JSON): objects with members sorted by
/// the UTF-8 bytes of their keys, no insignificant whitespace, strings
/// escaped as `serde_json` does (RFC 8785 §3.2.2.2 rules), integers only.
pub mod canonical {
    use super::{EntryError, Value};

    /// The canonical bytes of a JSON value.
    pub fn to_vec(value: &Value) -> Result<Vec<u8>, EntryError> {
        let mut out = Vec::new();
        write(value, &mut out)?;
        Ok(out)
    }

    fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), EntryError> {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(number) => {
                if let Some(n) = number.as_u64() {
                    out.extend_from_slice(n.to_string().as_bytes());
                } else if let Some(n) = number.as_i64() {
                    out.extend_from_slice(n.to_string().as_bytes());
                } else {
                    return Err(EntryError::NonInteger);
                }
            }
            Value::String(text) => write_string(text, out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out)?;
                }
                out.push(b']');
            }
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                out.push(b'{');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(key, out);
                    out.push(b':');
                    write(&members[key.as_str()], out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }

    fn write_string(text: &str, out: &mut Vec<u8>) {
        // serde_json's string escaping: \" \\ \b \f \n \r \t, other control
        // characters as \u00XX (lower-case hex), everything else verbatim.
        let encoded = serde_json::to_string(text).unwrap_or_default();
        out.extend_from_slice(encoded.as_bytes());
    }

    /// Parses bytes that must already be canonical JSON.
    pub fn parse(bytes: &[u8]) -> Result<Value, EntryError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| EntryError::NotJson(e.to_string()))?;
        if to_vec(&value)? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(value)
    }
}

/// A State Party submitted a declaration (CBM or other form): the digest of
/// the exact submitted bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationSubmittedV1 {
    /// State Party code (as `bwcv_core::StatePartyCode`, e.g. "NOR").
    pub state_party: String,
    /// Reporting year.
    pub year: u16,
    /// Which form or submission kind, e.g. "cbm".
    pub form: String,
    /// SHA-256 of the submission as received.
    pub submission_digest: Hash,
    /// POSIX seconds, UTC.
    pub time: i64,
}

/// A state transition of a case (consultation, investigation, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEventV1 {
    pub case_id: String,
    /// Event kind as named by the case workflow.
    pub kind: String,
    /// State before the transition.
    pub from_state: String,
    /// State after the transition.
    pub to_state: String,
    /// Who acted (account or key name).
    pub actor: String,
    /// POSIX seconds, UTC.
    pub time: i64,
    /// SHA-256 of the written justification that came with the request.
    pub justification_digest: Hash,
}

/// What a `case-event/v2` entry records: the kind of the stored case (or
/// draw) entry whose body it binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseEntryKind {
    /// A state machine event of the case (opening, a transition, a
    /// parameter change).
    Event,
    /// An Executive Council member's vote.
    Vote,
    /// A report held by the case.
    Report,
    /// A State Party's comments.
    Comment,
    /// A document's text kept with the case (request, reply, minutes).
    Document,
    /// The publication of a draw's method, pool and future randomness.
    DrawAnnouncement,
    /// The result of a draw, with the randomness it used.
    DrawResult,
}

impl CaseEntryKind {
    /// Every kind, in declaration order.
    pub const ALL: [CaseEntryKind; 7] = [
        CaseEntryKind::Event,
        CaseEntryKind::Vote,
        CaseEntryKind::Report,
        CaseEntryKind::Comment,
        CaseEntryKind::Document,
        CaseEntryKind::DrawAnnouncement,
        CaseEntryKind::DrawResult,
    ];

    /// The name as written in the entry (`"draw_result"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseEntryKind::Event => "event",
            CaseEntryKind::Vote => "vote",
            CaseEntryKind::Report => "report",
            CaseEntryKind::Comment => "comment",
            CaseEntryKind::Document => "document",
            CaseEntryKind::DrawAnnouncement => "draw_announcement",
            CaseEntryKind::DrawResult => "draw_result",
        }
    }
}

/// One entry of a case or draw (FORMAT.md §case-event/v2): as v1, plus the
/// kind of the stored entry and the SHA-256 of its exact stored body, so
/// the ledger binds the whole entry (document digests, outcome text,
/// votes, draw records), not only its state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEventV2 {
    /// Case id (`CL-2027-0001`) or draw id (`TV-2027`).
    pub case_id: String,
    /// What kind of stored entry this binds.
    pub entry_kind: CaseEntryKind,
    /// The step as named by the case workflow (`send_request`, `open`,
    /// `council_vote`, `draw_announced`, ...).
    pub step: String,
    /// State before the entry.
    pub from_state: String,
    /// State after the entry (equal to `from_state` when it changes none).
    pub to_state: String,
    /// Who acted (account or key name).
    pub actor: String,
    /// POSIX seconds, UTC.
    pub time: i64,
    /// SHA-256 of the written justification that came with the request.
    pub justification_digest: Hash,
    /// SHA-256 of the stored entry body (the exact bytes the case store
    /// keeps, e.g. the canonical JSON of the event).
    pub body_sha256: Hash,
}

/// An analysis result: what was run, on what reference data, with which
/// parameters, and the digest of the report it produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisResultV1 {
    /// Sample (or aliquot) analysed.
    pub sample: String,
    pub report_digest: Hash,
    pub engine: String,
    pub engine_version: String,
    pub reference_db_digest: Hash,
    pub parameters_digest: Hash,
    /// POSIX seconds, UTC.
    pub time: i64,
}

/// One ledger entry, any kind, any known version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    DeclarationSubmittedV1(DeclarationSubmittedV1),
    CaseEventV1(CaseEventV1),
    CustodyV1(SignedCustodyEvent),
    AnalysisResultV1(AnalysisResultV1),
    CaseEventV2(CaseEventV2),
}

/// Every type tag this version of bwcv reads.
pub const KNOWN_TYPES: [&str; 5] = [
    "declaration-submitted/v1",
    "case-event/v1",
    "custody/v1",
    "analysis-result/v1",
    "case-event/v2",
];

fn encode_body<T: Serialize>(tag: &str, body: &T) -> Result<Vec<u8>, EntryError> {
    let value = serde_json::to_value(body).map_err(|_| EntryError::BadBody)?;
    let Value::Object(mut members) = value else {
        return Err(EntryError::BadBody);
    };
    if members
        .insert("type".to_owned(), Value::String(tag.to_owned()))
        .is_some()
    {
        return Err(EntryError::BadBody);
    }
    canonical::to_vec(&Value::Object(members))
}

fn decode_body<T: DeserializeOwned>(tag: &str, value: Value) -> Result<T, EntryError> {
    serde_json::from_value(value).map_err(|e| EntryError::Fields {
        tag: tag.to_owned(),
        reason: e.to_string(),
    })
}

impl Entry {
    /// The type tag, kind and version (`"custody/v1"`).
    pub fn tag(&self) -> &'static str {
        match self {
            Entry::DeclarationSubmittedV1(_) => KNOWN_TYPES[0],
            Entry::CaseEventV1(_) => KNOWN_TYPES[1],
            Entry::CustodyV1(_) => KNOWN_TYPES[2],
            Entry::AnalysisResultV1(_) => KNOWN_TYPES[3],
            Entry::CaseEventV2(_) => KNOWN_TYPES[4],
        }
    }

    /// The canonical bytes: the Merkle leaf data.
    pub fn encode(&self) -> Vec<u8> {
        let tag = self.tag();
        let encoded = match self {
            Entry::DeclarationSubmittedV1(body) => encode_body(tag, body),
            Entry::CaseEventV1(body) => encode_body(tag, body),
            Entry::CustodyV1(body) => encode_body(tag, body),
            Entry::AnalysisResultV1(body) => encode_body(tag, body),
            Entry::CaseEventV2(body) => encode_body(tag, body),
        };
        // The bodies are plain structs of strings, integers and hashes; they
        // always serialise to objects without a "type" member.
        encoded.unwrap_or_default()
    }

    /// RFC 6962 leaf hash of the canonical bytes.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.encode())
    }

    /// Decodes canonical bytes; refuses non-canonical input and unknown
    /// types or versions with a clear error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let value = canonical::parse(bytes)?;
        let Value::Object(mut members) = value else {
            return Err(EntryError::NoType);
        };
        let Some(Value::String(tag)) = members.remove("type") else {
            return Err(EntryError::NoType);
        };
        let body = Value::Object(members);
        let entry = Self::decode_known(&tag, body)?;
        // Strictness: the decoded entry re-encodes to exactly the input, so
        // absent optional members, upper-case hex and the like are refused.
        if entry.encode() != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }

    fn decode_known(tag: &str, body: Value) -> Result<Self, EntryError> {
        match tag {
            "declaration-submitted/v1" => {
                Ok(Entry::DeclarationSubmittedV1(decode_body(tag, body)?))
            }
            "case-event/v1" => Ok(Entry::CaseEventV1(decode_body(tag, body)?)),
            "custody/v1" => Ok(Entry::CustodyV1(decode_body(tag, body)?)),
            "analysis-result/v1" => Ok(Entry::AnalysisResultV1(decode_body(tag, body)?)),
            "case-event/v2" => Ok(Entry::CaseEventV2(decode_body(tag, body)?)),
            _ => Err(unknown(tag)),
        }
    }
}

fn unknown(tag: &str) -> EntryError {
    let known = KNOWN_TYPES.join(", ");
    if let Some((kind, version)) = tag.split_once('/') {
        if KNOWN_TYPES
            .iter()
            .any(|t| t.split_once('/').map(|(k, _)| k) == Some(kind))
        {
            return EntryError::UnknownVersion {
                kind: kind.to_owned(),
                version: version.to_owned(),
                known,
            };
        }
    }
    EntryError::UnknownType {
        tag: tag.to_owned(),
        known,
    }
}
