//! Protocol parameters: every deadline, cap, notice period and threshold
//! that bwcv applies, as one named, versioned set.
//!
//! Numbers from treaty texts are never literals in code: code asks a
//! [`ParameterSet`] by name (`params.days("visits.random.report_days")`), and
//! every result records the set's [`ParameterSet::version`] and
//! [`ParameterSet::digest`]. Each [`Parameter`] carries its unit, its source
//! and whether that source was checked (`verified`); working assumptions are
//! marked `verified = false`.
//!
//! The built-in set is `crates/bwcv-core/data/params/protocol.toml`, compiled
//! in. A replacement set (the CLI's `--params FILE`) is parsed with
//! [`ParameterSet::from_toml_str`] and must be complete and valid: unique
//! names, every [required](REQUIRED) parameter present, known units, values
//! of the unit's type and in its range, valid month-days, no
//! `verified = true` on a source that calls itself a
//! [working assumption](WORKING_ASSUMPTION), and `team.min_size <=
//! team.max_size`.
//!
//! ## File layout
//! ```toml
//! name = "bwcv-protocol"
//! version = "2026.1"
//! description = "..."
//!
//! [[parameter]]
//! name = "cbm.deadline"
//! value = "04-15"          # month-day as "MM-DD"
//! unit = "month-day"
//! verified = true
//! source = "..."
//! description = "..."
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The compiled-in parameter set.
const BUILTIN_TEXT: &str = include_str!("../data/params/protocol.toml");
const BUILTIN_FILE: &str = "data/params/protocol.toml";

/// Parameters every set must define, because bwcv code asks for them by name.
pub const REQUIRED: &[&str] = &[
    "cbm.deadline",
    "cbm.validity_years_last_declaration",
    "visits.random.max_per_state_party_per_year",
    "visits.random.max_per_facility_in_window",
    "visits.random.facility_window_years",
    "visits.random.total_per_year",
    "visits.random.notice_hours",
    "visits.random.duration_days",
    "visits.random.report_days",
    "visits.clarification.notice_days",
    "visits.clarification.report_days",
    "visits.voluntary.report_days",
    "clarification.request_reply_days",
    "clarification.consultation_days",
    "investigation.field.council_decision_hours",
    "investigation.facility.council_decision_hours",
    "investigation.notice_hours",
    "investigation.field.duration_days",
    "investigation.facility.duration_hours",
    "investigation.preliminary_report_hours",
    "investigation.final_report_days",
    "council.quorum_fraction",
    "council.majority_fraction",
    "team.min_size",
    "team.max_size",
    "draw.publication_lead_days",
    "seq.screen.min_fragment_nt",
];

/// Pairs `(lower, upper)` of parameters where `lower <= upper` must hold.
const ORDERED_PAIRS: &[(&str, &str)] = &[
    ("team.min_size", "team.max_size"),
    (
        "visits.random.max_per_state_party_per_year",
        "visits.random.total_per_year",
    ),
];

/// A parameter's value. The unit decides which variant a value must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Float(f64),
    Text(String),
    /// A day of the year without a year (a yearly deadline).
    MonthDay {
        month: u8,
        day: u8,
    },
}

impl Value {
    /// `"integer"`, `"float"`, `"text"` or `"month-day"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Integer(_) => "integer",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::MonthDay { .. } => "month-day",
        }
    }
}

impl fmt::Display for Value {
    /// Integers and floats as numbers (floats in the shortest form that
    /// reads back exactly), text as is, month-days as `MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(value) => write!(f, "{value}"),
            Value::Float(value) => write!(f, "{value:?}"),
            Value::Text(value) => f.write_str(value),
            Value::MonthDay { month, day } => write!(f, "{month:02}-{day:02}"),
        }
    }
}

impl Serialize for Value {
    /// Numbers as JSON numbers; text and month-days (`"04-15"`) as strings.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Integer(value) => serializer.serialize_i64(*value),
            Value::Float(value) => serializer.serialize_f64(*value),
            Value::Text(value) => serializer.serialize_str(value),
            Value::MonthDay { .. } => serializer.collect_str(self),
        }
    }
}

/// One named parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    /// Dotted name, e.g. `"visits.random.max_per_state_party_per_year"`.
    pub name: String,
    pub value: Value,
    /// One of the [known units](UNITS).
    pub unit: String,
    /// Where the value comes from (document, article, paragraph), or why it
    /// is a working assumption.
    pub source: String,
    /// True only when the value was checked against the cited source.
    pub verified: bool,
    /// What the parameter means, in words a newcomer understands.
    pub description: String,
}

/// What a unit's values look like.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Integer { min: i64, max: i64 },
    Float { min: f64, max: f64 },
    Text,
    MonthDay,
}

/// A unit a parameter may have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub name: &'static str,
    kind: Kind,
}

impl Unit {
    /// The value kind the unit requires (`"integer"`, `"float"`, ...).
    pub fn kind(&self) -> &'static str {
        match self.kind {
            Kind::Integer { .. } => "integer",
            Kind::Float { .. } => "float",
            Kind::Text => "text",
            Kind::MonthDay => "month-day",
        }
    }
}

/// The units parameters may use, with their value kind and range.
pub const UNITS: &[Unit] = &[
    Unit {
        name: "month-day",
        kind: Kind::MonthDay,
    },
    Unit {
        name: "days",
        kind: Kind::Integer { min: 0, max: 3650 },
    },
    Unit {
        name: "hours",
        kind: Kind::Integer { min: 0, max: 8784 },
    },
    Unit {
        name: "years",
        kind: Kind::Integer { min: 1, max: 100 },
    },
    Unit {
        name: "visits",
        kind: Kind::Integer {
            min: 0,
            max: 100_000,
        },
    },
    Unit {
        name: "persons",
        kind: Kind::Integer { min: 1, max: 1000 },
    },
    Unit {
        name: "nucleotides",
        kind: Kind::Integer {
            min: 1,
            max: 1_000_000,
        },
    },
    Unit {
        name: "fraction",
        kind: Kind::Float { min: 0.0, max: 1.0 },
    },
    Unit {
        name: "text",
        kind: Kind::Text,
    },
];

fn unit(name: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|unit| unit.name == name)
}

/// Why a parameter set was rejected, or a parameter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("{file}: not valid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: field `{field}` of the set: {reason}")]
    Header {
        file: String,
        field: String,
        reason: String,
    },
    #[error("{file}: {parameter}, field `{field}`: {reason}")]
    Field {
        file: String,
        /// `parameter "name"`, or `parameter #N` when it has no usable name.
        parameter: String,
        field: String,
        reason: String,
    },
    #[error("{file}: parameter {name:?} is defined more than once")]
    Duplicate { file: String, name: String },
    #[error("{file}: required parameter {name:?} is missing")]
    MissingRequired { file: String, name: String },
    #[error("{file}: {lower:?} ({lower_value}) must not exceed {upper:?} ({upper_value})")]
    Inconsistent {
        file: String,
        lower: String,
        lower_value: String,
        upper: String,
        upper_value: String,
    },
    #[error("no parameter named {name:?} in set {version}")]
    Unknown { name: String, version: String },
    #[error("parameter {name:?} is a {found}, not a {expected}")]
    WrongType {
        name: String,
        expected: String,
        found: String,
    },
    #[error("parameter {name:?} is in {found}, not in {expected}")]
    WrongUnit {
        name: String,
        expected: String,
        found: String,
    },
}

/// A complete, validated, versioned set of protocol parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterSet {
    name: String,
    version: String,
    description: String,
    parameters: Vec<Parameter>,
}

impl ParameterSet {
    /// The compiled-in set, parsed and validated once.
    ///
    /// # Panics
    /// Only if the compiled-in data is invalid, which the crate's tests rule
    /// out (it is not user input).
    pub fn builtin() -> &'static ParameterSet {
        static BUILTIN: OnceLock<ParameterSet> = OnceLock::new();
        BUILTIN.get_or_init(|| match ParameterSet::parse(BUILTIN_FILE, BUILTIN_TEXT) {
            Ok(set) => set,
            Err(error) => panic!("bwcv-core built-in parameter set is invalid: {error}"),
        })
    }

    /// The TOML text of [`ParameterSet::builtin`], e.g. to keep it beside
    /// the records computed under it (parse it back with
    /// [`ParameterSet::from_toml_str`]).
    pub fn builtin_source() -> &'static str {
        BUILTIN_TEXT
    }

    /// Parses and validates a complete parameter set. Errors name the
    /// parameter and the field at fault.
    pub fn from_toml_str(text: &str) -> Result<ParameterSet, ParamError> {
        ParameterSet::parse("parameter set", text)
    }

    /// As [`ParameterSet::from_toml_str`], with `file` (e.g. a path) named
    /// in errors.
    pub fn from_toml_str_named(file: &str, text: &str) -> Result<ParameterSet, ParamError> {
        ParameterSet::parse(file, text)
    }

    fn parse(file: &str, text: &str) -> Result<ParameterSet, ParamError> {
        let table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| ParamError::Toml {
                    file: file.to_owned(),
                    message: error.to_string(),
                })?;
        let header = |field: &str, reason: String| ParamError::Header {
            file: file.to_owned(),
            field: field.to_owned(),
            reason,
        };
        for key in table.keys() {
            if !["name", "version", "description", "parameter"].contains(&key.as_str()) {
                return Err(header(key, "unknown field".to_owned()));
            }
        }
        let header_text = |field: &str| -> Result<String, ParamError> {
            match table.get(field) {
                None => Err(header(field, "missing".to_owned())),
                Some(toml::Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
                Some(toml::Value::String(_)) => Err(header(field, "must not be empty".to_owned())),
                Some(other) => Err(header(
                    field,
                    format!("must be a string, found {}", other.type_str()),
                )),
            }
        };
        let name = header_text("name")?;
        let version = header_text("version")?;
        let description = header_text("description")?;
        let raw_parameters = match table.get("parameter") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items.clone(),
            Some(other) => {
                return Err(header(
                    "parameter",
                    format!(
                        "must be an array of tables ([[parameter]]), found {}",
                        other.type_str()
                    ),
                ));
            }
        };

        let mut parameters = Vec::with_capacity(raw_parameters.len());
        let mut names = BTreeSet::new();
        for (index, raw) in raw_parameters.iter().enumerate() {
            let parameter = parse_parameter(file, index, raw)?;
            if !names.insert(parameter.name.clone()) {
                return Err(ParamError::Duplicate {
                    file: file.to_owned(),
                    name: parameter.name,
                });
            }
            parameters.push(parameter);
        }
        for required in REQUIRED {
            if !names.contains(*required) {
                return Err(ParamError::MissingRequired {
                    file: file.to_owned(),
                    name: (*required).to_owned(),
                });
            }
        }

        let set = ParameterSet {
            name,
            version,
            description,
            parameters,
        };
        for (lower, upper) in ORDERED_PAIRS {
            let (Ok(lower_value), Ok(upper_value)) = (set.integer(lower), set.integer(upper))
            else {
                continue;
            };
            if lower_value > upper_value {
                return Err(ParamError::Inconsistent {
                    file: file.to_owned(),
                    lower: (*lower).to_owned(),
                    lower_value: lower_value.to_string(),
                    upper: (*upper).to_owned(),
                    upper_value: upper_value.to_string(),
                });
            }
        }
        Ok(set)
    }

    /// The set's name, e.g. `"bwcv-protocol"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The set's version, e.g. `"2026.1"`; results record it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// What the set is and where its values come from.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The parameters in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.parameters.len()
    }

    /// True when the set has no parameters (never for a valid set).
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Result<&Parameter, ParamError> {
        self.parameters
            .iter()
            .find(|parameter| parameter.name == name)
            .ok_or_else(|| ParamError::Unknown {
                name: name.to_owned(),
                version: self.version.clone(),
            })
    }

    /// The integer value of `name`.
    pub fn integer(&self, name: &str) -> Result<i64, ParamError> {
        let parameter = self.get(name)?;
        match parameter.value {
            Value::Integer(value) => Ok(value),
            ref other => Err(wrong_type(name, "integer", other)),
        }
    }

    /// The float value of `name`.
    pub fn float(&self, name: &str) -> Result<f64, ParamError> {
        let parameter = self.get(name)?;
        match parameter.value {
            Value::Float(value) => Ok(value),
            ref other => Err(wrong_type(name, "float", other)),
        }
    }

    /// The text value of `name`.
    pub fn text(&self, name: &str) -> Result<&str, ParamError> {
        let parameter = self.get(name)?;
        match &parameter.value {
            Value::Text(value) => Ok(value),
            other => Err(wrong_type(name, "text", other)),
        }
    }

    /// The `(month, day)` value of `name`.
    pub fn month_day(&self, name: &str) -> Result<(u8, u8), ParamError> {
        let parameter = self.get(name)?;
        match parameter.value {
            Value::MonthDay { month, day } => Ok((month, day)),
            ref other => Err(wrong_type(name, "month-day", other)),
        }
    }

    /// The value of `name`, an integer in unit `days`.
    pub fn days(&self, name: &str) -> Result<i64, ParamError> {
        self.integer_in(name, "days")
    }

    /// The value of `name`, an integer in unit `hours`.
    pub fn hours(&self, name: &str) -> Result<i64, ParamError> {
        self.integer_in(name, "hours")
    }

    /// The value of `name`, an integer in unit `years`.
    pub fn years(&self, name: &str) -> Result<i64, ParamError> {
        self.integer_in(name, "years")
    }

    fn integer_in(&self, name: &str, expected_unit: &str) -> Result<i64, ParamError> {
        let value = self.integer(name)?;
        let parameter = self.get(name)?;
        if parameter.unit != expected_unit {
            return Err(ParamError::WrongUnit {
                name: name.to_owned(),
                expected: expected_unit.to_owned(),
                found: parameter.unit.clone(),
            });
        }
        Ok(value)
    }

    /// Hex SHA-256 of the set's canonical serialisation; results record it
    /// next to the version so that anyone can tell exactly which set was in
    /// force.
    ///
    /// Canonical serialisation (UTF-8): the line `bwcv-params/1`, then
    /// `name`, `version`, `description` lines as `key=value`, then one line
    /// per parameter, sorted by name, with the tab-separated fields name,
    /// value kind, value (as [`Value`]'s `Display`), unit, verified
    /// (`true`/`false`), source, description. In every field `\` is written
    /// `\\`, tab `\t`, newline `\n` and carriage return `\r`; every line ends
    /// with `\n`. So the digest changes with any value, unit, flag or text,
    /// but not with the order of parameters in the file, comments or TOML
    /// layout.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }

    /// The canonical serialisation that [`ParameterSet::digest`] hashes.
    pub fn canonical(&self) -> String {
        let mut text = String::from("bwcv-params/1\n");
        for (key, value) in [
            ("name", &self.name),
            ("version", &self.version),
            ("description", &self.description),
        ] {
            text.push_str(key);
            text.push('=');
            text.push_str(&escape(value));
            text.push('\n');
        }
        let mut sorted: Vec<&Parameter> = self.parameters.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for parameter in sorted {
            let fields = [
                escape(&parameter.name),
                parameter.value.kind().to_owned(),
                escape(&parameter.value.to_string()),
                escape(&parameter.unit),
                parameter.verified.to_string(),
                escape(&parameter.source),
                escape(&parameter.description),
            ];
            text.push_str(&fields.join("\t"));
            text.push('\n');
        }
        text
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn wrong_type(name: &str, expected: &str, found: &Value) -> ParamError {
    ParamError::WrongType {
        name: name.to_owned(),
        expected: expected.to_owned(),
        found: found.kind().to_owned(),
    }
}

/// How the source of an unverified working assumption begins.
pub const WORKING_ASSUMPTION: &str = "bwcv working assumption";

const PARAMETER_FIELDS: &[&str] = &["name", "value", "unit", "verified", "source", "description"];

fn parse_parameter(file: &str, index: usize, raw: &toml::Value) -> Result<Parameter, ParamError> {
    let numbered = format!("parameter #{}", index + 1);
    let field_error = |parameter: &str, field: &str, reason: String| ParamError::Field {
        file: file.to_owned(),
        parameter: parameter.to_owned(),
        field: field.to_owned(),
        reason,
    };
    let toml::Value::Table(table) = raw else {
        return Err(field_error(
            &numbered,
            "parameter",
            format!("must be a table, found {}", raw.type_str()),
        ));
    };

    // The name first, so that every later error can name the parameter.
    let name = match table.get("name") {
        None => return Err(field_error(&numbered, "name", "missing".to_owned())),
        Some(toml::Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(field_error(
                &numbered,
                "name",
                format!("must be a string, found {}", other.type_str()),
            ));
        }
    };
    if !is_valid_name(&name) {
        return Err(field_error(
            &numbered,
            "name",
            format!(
                "{name:?} is not a dotted name of lower-case letters, digits and '_' (e.g. \"visits.random.report_days\")"
            ),
        ));
    }
    let label = format!("parameter {name:?}");
    let error = |field: &str, reason: String| field_error(&label, field, reason);

    for key in table.keys() {
        if !PARAMETER_FIELDS.contains(&key.as_str()) {
            return Err(error(
                key,
                format!("unknown field; expected {}", PARAMETER_FIELDS.join(", ")),
            ));
        }
    }
    let text_field = |field: &str| -> Result<String, ParamError> {
        match table.get(field) {
            None => Err(error(field, "missing".to_owned())),
            Some(toml::Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
            Some(toml::Value::String(_)) => Err(error(field, "must not be empty".to_owned())),
            Some(other) => Err(error(
                field,
                format!("must be a string, found {}", other.type_str()),
            )),
        }
    };
    let unit_name = text_field("unit")?;
    let source = text_field("source")?;
    let description = text_field("description")?;
    let verified = match table.get("verified") {
        None => return Err(error("verified", "missing".to_owned())),
        Some(toml::Value::Boolean(flag)) => *flag,
        Some(other) => {
            return Err(error(
                "verified",
                format!("must be true or false, found {}", other.type_str()),
            ));
        }
    };
    if verified && source.starts_with(WORKING_ASSUMPTION) {
        return Err(error(
            "verified",
            format!(
                "is true, but the source says {WORKING_ASSUMPTION:?}; cite the text that was checked"
            ),
        ));
    }
    let Some(unit) = unit(&unit_name) else {
        let known: Vec<&str> = UNITS.iter().map(|unit| unit.name).collect();
        return Err(error(
            "unit",
            format!("unknown unit {unit_name:?}; known: {}", known.join(", ")),
        ));
    };
    let Some(raw_value) = table.get("value") else {
        return Err(error("value", "missing".to_owned()));
    };
    let value = parse_value(unit, raw_value).map_err(|reason| error("value", reason))?;

    Ok(Parameter {
        name,
        value,
        unit: unit_name,
        source,
        verified,
        description,
    })
}

fn parse_value(unit: &Unit, raw: &toml::Value) -> Result<Value, String> {
    match (unit.kind, raw) {
        (Kind::Integer { min, max }, toml::Value::Integer(value)) => {
            if (min..=max).contains(value) {
                Ok(Value::Integer(*value))
            } else {
                Err(format!(
                    "{value} is out of range for unit {:?} ({min} to {max})",
                    unit.name
                ))
            }
        }
        (Kind::Float { min, max }, toml::Value::Float(value)) => {
            if value.is_finite() && *value >= min && *value <= max {
                Ok(Value::Float(*value))
            } else {
                Err(format!(
                    "{value} is out of range for unit {:?} ({min} to {max})",
                    unit.name
                ))
            }
        }
        (Kind::Text, toml::Value::String(text)) => Ok(Value::Text(text.clone())),
        (Kind::MonthDay, toml::Value::String(text)) => parse_month_day(text),
        (_, other) => Err(format!(
            "unit {:?} needs a {} value, found {}",
            unit.name,
            unit.kind(),
            other.type_str()
        )),
    }
}

/// `MM-DD` with a day that exists in every year (so not 02-29).
fn parse_month_day(text: &str) -> Result<Value, String> {
    let invalid = || format!("{text:?} is not a month-day \"MM-DD\" that exists every year");
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b'-' {
        return Err(invalid());
    }
    let two_digits = |part: &str| -> Option<u8> {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(month), Some(day)) = (two_digits(&text[0..2]), two_digits(&text[3..5])) else {
        return Err(invalid());
    };
    // 2023 is not a leap year: a yearly deadline must exist in every year.
    let last_day = crate::lists::days_in_month(2023, u32::from(month));
    if !(1..=12).contains(&month) || day == 0 || u32::from(day) > last_day {
        return Err(invalid());
    }
    Ok(Value::MonthDay { month, day })
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_source_parses_back_to_the_builtin_set() {
        let parsed = ParameterSet::from_toml_str(ParameterSet::builtin_source()).unwrap();
        assert_eq!(parsed.digest(), ParameterSet::builtin().digest());
    }

    #[test]
    fn month_days() {
        assert_eq!(
            parse_month_day("04-15"),
            Ok(Value::MonthDay { month: 4, day: 15 })
        );
        for bad in [
            "02-29", "13-01", "00-10", "04-31", "4-15", "04/15", "04-1a", "ab-cd",
        ] {
            assert!(parse_month_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(is_valid_name("visits.random.report_days"));
        assert!(is_valid_name("seq.screen.min_fragment_nt"));
        for bad in ["", "Visits", "a..b", ".a", "a.", "a-b", "a b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn escaping_keeps_one_line() {
        assert_eq!(escape("a\tb\nc\\d\r"), "a\\tb\\nc\\\\d\\r");
    }

    #[test]
    fn value_display() {
        assert_eq!(Value::Integer(7).to_string(), "7");
        assert_eq!(Value::Float(0.5).to_string(), "0.5");
        assert_eq!(Value::MonthDay { month: 4, day: 15 }.to_string(), "04-15");
    }
}
