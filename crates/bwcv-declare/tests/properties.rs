//! No input, however malformed, makes parsing, validation, comparison or
//! rendering panic.

use bwcv_declare::render::{RenderFormat, render};
use bwcv_declare::{Context, check, demo, diff};
use proptest::prelude::*;
use serde_json::Value;

fn context() -> Context<'static> {
    Context::builtin().expect("built-in parameters")
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "XAR",
            "XAR-F0001",
            "XLI-F0009",
            "2024-04-15",
            "bl4",
            "public",
            "Brucella",
            "Ricin",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "format_version",
                    "state_party",
                    "reporting_year",
                    "forms",
                    "form_0",
                    "d",
                    "measures",
                    "a_part_1",
                    "maximum_containment",
                    "facility_id",
                    "name",
                    "bl4_m2",
                    "agents",
                    "nothing_new_to_declare",
                    "year_of_last_declaration",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer of `value`.
fn pointers(value: &Value, base: String, out: &mut Vec<String>) {
    out.push(base.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{base}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{base}/{index}"), out);
            }
        }
        _ => {}
    }
}

fn exercise(bytes: &[u8]) {
    let context = context();
    let parsed = check(bytes, &context);
    if let Some(submission) = &parsed.submission {
        let _ = render(submission, RenderFormat::Html);
        let _ = render(submission, RenderFormat::Markdown);
        let reference = &demo::generate(3).submissions[0];
        let _ = diff::diff(reference, submission);
        let _ = diff::diff(submission, reference);
        let _ = diff::diff_history(&[submission.clone(), reference.clone()]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_json(value in json_value()) {
        exercise(&serde_json::to_vec(&value).expect("serializes"));
    }

    #[test]
    fn mutated_valid_returns(
        which in 0usize..24,
        picks in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4),
        delete in any::<bool>(),
    ) {
        let world = demo::generate(5);
        let submission = &world.submissions[which % world.submissions.len()];
        let mut value = serde_json::to_value(submission).expect("serializes");
        for (index, replacement) in picks {
            let mut all = Vec::new();
            pointers(&value, String::new(), &mut all);
            let pointer = index.get(&all).clone();
            if delete && !pointer.is_empty() {
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                if let Some(Value::Object(map)) = value.pointer_mut(parent) {
                    map.remove(key);
                    continue;
                }
            }
            if let Some(slot) = value.pointer_mut(&pointer) {
                *slot = replacement;
            }
        }
        exercise(&serde_json::to_vec(&value).expect("serializes"));
    }
}

#[test]
fn huge_inputs() {
    // A long string, a long array, deep nesting and a huge number.
    let long_name = format!(
        "{{\"format_version\": 1, \"state_party\": \"{}\"}}",
        "X".repeat(1_000_000)
    );
    exercise(long_name.as_bytes());
    let long_array = format!("[{}0]", "0,".repeat(200_000));
    exercise(long_array.as_bytes());
    exercise(&"{\"a\":".repeat(50_000).into_bytes());
    exercise(b"{\"format_version\": 1e999999}");
    let mut value = serde_json::to_value(&demo::generate(1).submissions[0]).expect("json");
    value["forms"]["a_part_1"]["maximum_containment"][0]["agents"] =
        Value::Array(vec![Value::String("Brucella".into()); 5_000]);
    value["reporting_year"] = Value::from(i64::from(i32::MAX));
    exercise(&serde_json::to_vec(&value).expect("json"));
    value["reporting_year"] = Value::from(i64::from(i32::MIN));
    exercise(&serde_json::to_vec(&value).expect("json"));
}

/// Regression: a reporting year of i32::MAX made diff_history list every
/// year up to it (gigabytes) and overflow `year + 1`.
#[test]
fn extreme_years_do_not_explode() {
    let world = demo::generate(1);
    let mut far = world.submissions[0].clone();
    far.reporting_year = i32::MAX;
    let mut early = world.submissions[0].clone();
    early.reporting_year = i32::MIN;
    let history = diff::diff_history(&[early.clone(), world.submissions[0].clone(), far.clone()])
        .expect("history");
    let gaps = history
        .findings
        .iter()
        .filter(|f| f.kind == diff::FindingKind::YearMissing)
        .count();
    assert_eq!(gaps, 2);
    let overview = bwcv_declare::overview::build(
        &[early, far],
        &world.states,
        bwcv_core::params::ParameterSet::builtin(),
        bwcv_core::lists::Catalogue::builtin(),
        2025,
        world.as_of,
    )
    .expect("overview");
    assert_eq!(overview.states.len(), world.states.len());
}
