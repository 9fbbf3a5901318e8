//! The JSON Schema (draft 2020-12) of the submission format, generated from
//! the model so that the two cannot drift apart (`bwcv declare schema`).
//!
//! The identifier types of `bwcv-core` do not implement `JsonSchema`; the
//! functions here describe them (with the patterns their constructors check).

use schemars::{Schema, SchemaGenerator, json_schema};

use crate::model::Submission;

/// Pattern of a `bwcv_core::StatePartyCode`.
pub const STATE_PARTY_PATTERN: &str = "^[A-Z]{2,3}$";
/// Pattern of a `bwcv_core::FacilityId`.
pub const FACILITY_ID_PATTERN: &str = "^[A-Z]{2,3}-F[0-9]{4,8}$";

/// The schema of [`Submission`], as a JSON value with `$schema`, `$id`,
/// title and description set.
pub fn submission_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Submission);
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "$id".into(),
            "https://example.invalid/bwcv/cbm-submission-1.schema.json".into(),
        );
        object.insert(
            "title".into(),
            "bwcv CBM submission (format_version 1)".into(),
        );
        object.insert(
            "description".into(),
            "One State Party's yearly return of the BWC confidence-building measures, forms as revised by the Seventh Review Conference (2011). See crates/bwcv-declare/FORMAT.md.".into(),
        );
    }
    value
}

pub(crate) fn state_party_code(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": STATE_PARTY_PATTERN,
        "description": "State Party code: 2 or 3 upper-case letters (ISO 3166-1 style; the demo uses user-assigned X.. codes)"
    })
}

pub(crate) fn facility_id(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": FACILITY_ID_PATTERN,
        "description": "Stable facility identifier: State Party code, '-F', 4 to 8 digits (e.g. XAR-F0001)"
    })
}

pub(crate) fn facility_ids(generator: &mut SchemaGenerator) -> Schema {
    let item = facility_id(generator);
    json_schema!({
        "type": "array",
        "items": item
    })
}

pub(crate) fn visibility(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": ["public", "states_parties_only"],
        "description": "public: anyone may read the return; states_parties_only: only States Parties and the Secretariat"
    })
}
