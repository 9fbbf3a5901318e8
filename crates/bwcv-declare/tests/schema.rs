//! The printed JSON Schema validates every demo return and rejects broken
//! ones. The check is a small hand-rolled validator for the keywords the
//! schema uses ($ref, anyOf, type, properties, required,
//! additionalProperties, items, enum, minimum, pattern, format); it fails
//! on any keyword it does not know, so it cannot silently accept.

use bwcv_core::{FacilityId, StatePartyCode};
use bwcv_declare::demo;
use bwcv_declare::schema::{FACILITY_ID_PATTERN, STATE_PARTY_PATTERN, submission_schema};
use serde_json::{Value, json};

const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "default",
    "anyOf",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minimum",
    "pattern",
    "format",
];

fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let name = reference
        .strip_prefix("#/$defs/")
        .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
    &root["$defs"][name]
}

fn type_ok(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    }
}

fn check(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{path}: not allowed"));
        }
        return;
    };
    for key in schema.keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "validator does not know keyword {key}"
        );
    }
    if let Some(Value::String(reference)) = schema.get("$ref") {
        check(root, resolve(root, reference), value, path, errors);
    }
    if let Some(Value::Array(options)) = schema.get("anyOf") {
        let any = options.iter().any(|option| {
            let mut sub = Vec::new();
            check(root, option, value, path, &mut sub);
            sub.is_empty()
        });
        if !any {
            errors.push(format!("{path}: matches no anyOf option"));
        }
    }
    match schema.get("type") {
        Some(Value::String(kind)) if !type_ok(kind, value) => {
            errors.push(format!("{path}: not of type {kind}"));
            return;
        }
        Some(Value::Array(kinds))
            if !kinds
                .iter()
                .any(|k| type_ok(k.as_str().unwrap_or(""), value)) =>
        {
            errors.push(format!("{path}: not of types {kinds:?}"));
            return;
        }
        _ => {}
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        errors.push(format!("{path}: {value} not in {options:?}"));
    }
    if let (Some(minimum), Some(number)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && number < minimum
    {
        errors.push(format!("{path}: {number} < {minimum}"));
    }
    if let (Some(Value::String(pattern)), Some(text)) = (schema.get("pattern"), value.as_str()) {
        let ok = match pattern.as_str() {
            p if p == FACILITY_ID_PATTERN => FacilityId::new(text).is_ok(),
            p if p == STATE_PARTY_PATTERN => StatePartyCode::new(text).is_ok(),
            other => panic!("validator does not know pattern {other}"),
        };
        if !ok {
            errors.push(format!("{path}: {text:?} does not match {pattern}"));
        }
    }
    if let (Some(Value::String(format)), Some(text)) = (schema.get("format"), value.as_str())
        && format == "date"
        && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
    {
        errors.push(format!("{path}: {text:?} is not a date"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    errors.push(format!("{path}: missing {name}"));
                }
            }
        }
        for (key, child) in object {
            let child_path = format!("{path}/{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => check(root, child_schema, child, &child_path, errors),
                None => {
                    if let Some(extra) = schema.get("additionalProperties") {
                        check(root, extra, child, &child_path, errors);
                    }
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{path}/{index}"), errors);
        }
    }
}

type Mutation = Box<dyn Fn(&mut Value)>;

fn errors_of(value: &Value) -> Vec<String> {
    let schema = submission_schema();
    let mut errors = Vec::new();
    check(&schema, &schema, value, "", &mut errors);
    errors
}

#[test]
fn schema_is_a_2020_12_document() {
    let schema = submission_schema();
    assert_eq!(
        schema["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert!(
        schema["$defs"]
            .as_object()
            .is_some_and(|d| d.contains_key("Form0"))
    );
    let required = schema["required"].as_array().expect("required");
    for name in [
        "format_version",
        "state_party",
        "reporting_year",
        "visibility",
        "forms",
    ] {
        assert!(required.contains(&json!(name)), "{name}");
    }
    // Form D does not exist in the format.
    assert!(schema["$defs"]["Forms"]["properties"].get("d").is_none());
}

#[test]
fn every_demo_return_validates_against_the_schema() {
    for seed in [1, 2] {
        for submission in demo::generate(seed).submissions {
            let value = serde_json::to_value(&submission).expect("json");
            let errors = errors_of(&value);
            assert!(
                errors.is_empty(),
                "{} {}: {errors:#?}",
                submission.state_party,
                submission.reporting_year
            );
        }
    }
}

#[test]
fn the_schema_rejects_broken_returns() {
    let base = serde_json::to_value(&demo::generate(1).submissions[0]).expect("json");
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "unknown field",
            Box::new(|v| v["forms"]["c"]["policy"] = json!("x")),
        ),
        ("Form D", Box::new(|v| v["forms"]["d"] = json!({}))),
        (
            "wrong type",
            Box::new(|v| v["reporting_year"] = json!("2021")),
        ),
        (
            "missing field",
            Box::new(|v| {
                v.as_object_mut().expect("object").remove("visibility");
            }),
        ),
        (
            "bad facility id",
            Box::new(|v| v["forms"]["g"]["facilities"][0]["facility_id"] = json!("F1")),
        ),
        ("bad enum", Box::new(|v| v["visibility"] = json!("secret"))),
        (
            "bad date",
            Box::new(|v| v["submitted"] = json!("15 April 2022")),
        ),
        (
            "bad level",
            Box::new(|v| {
                v["forms"]["a_part_1"]["maximum_containment"][0]["containment_units"][0]["level"] =
                    json!("bl5")
            }),
        ),
    ];
    for (what, mutate) in cases {
        let mut value = base.clone();
        mutate(&mut value);
        assert!(
            !errors_of(&value).is_empty(),
            "{what} accepted by the schema"
        );
    }
}
