//! Every validation rule on a valid and an invalid example: a complete valid
//! return (every form filled), and a table of (mutation, expected rule id,
//! expected JSON path). A meta-test checks that the table covers every rule.

use std::collections::BTreeSet;

use bwcv_declare::{Context, Rule, Submission, check, demo};
use serde_json::{Value, json};

/// The Arcadia return for 2022 of the demo: every form filled, no problem.
fn valid() -> Submission {
    demo::generate(1)
        .submissions
        .into_iter()
        .find(|s| s.state_party.as_str() == "XAR" && s.reporting_year == 2022)
        .expect("demo has XAR 2022")
}

fn valid_json() -> Value {
    serde_json::to_value(valid()).expect("serializes")
}

fn context() -> Context<'static> {
    Context::builtin().expect("built-in parameters")
}

/// Sets the value at `pointer`, adding the last key to its object if needed.
fn set(value: &mut Value, pointer: &str, new: Value) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = new;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no {parent} in the fixture"))
        .insert(key.to_owned(), new);
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no {parent} in the fixture"))
        .remove(key)
        .unwrap_or_else(|| panic!("no {pointer} in the fixture"));
}

fn bump(value: &mut Value, pointer: &str, by: i64) {
    let old = value
        .pointer(pointer)
        .and_then(Value::as_i64)
        .expect("integer");
    set(value, pointer, json!(old + by));
}

type Mutation = fn(&mut Value);

const A1: &str = "/forms/a_part_1/maximum_containment";
const A2II: &str = "/forms/a_part_2_ii/programmes/0";
const A2III: &str = "/forms/a_part_2_iii/facilities";
const F0: &str = "/forms/form_0/measures";

/// (description, mutation, expected rule, expected path).
fn table() -> Vec<(&'static str, Mutation, Rule, String)> {
    vec![
        (
            "wrong type",
            |v| set(v, "/reporting_year", json!("2022")),
            Rule::ParseStructure,
            "/reporting_year".into(),
        ),
        (
            "unknown field",
            |v| set(v, "/forms/c/policy", json!("x")),
            Rule::ParseStructure,
            "/forms/c/policy".into(),
        ),
        (
            "Form D",
            |v| set(v, "/forms/d", json!({"conferences": []})),
            Rule::FormDDeleted,
            "/forms/d".into(),
        ),
        (
            "format version",
            |v| set(v, "/format_version", json!(2)),
            Rule::SubmissionFormatVersion,
            "/format_version".into(),
        ),
        (
            "submitted early",
            |v| set(v, "/submitted", json!("2022-12-01")),
            Rule::SubmissionBeforeYearEnd,
            "/submitted".into(),
        ),
        (
            "no Form 0",
            |v| remove(v, "/forms/form_0"),
            Rule::Form0Missing,
            "/forms/form_0".into(),
        ),
        (
            "both ticked",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/g",
                    json!({"nothing_to_declare": true, "nothing_new_to_declare": true, "year_of_last_declaration": 2021}),
                )
            },
            Rule::Form0BothTicked,
            format!("{F0}/g"),
        ),
        (
            "nothing new without year",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/c",
                    json!({"nothing_new_to_declare": true}),
                )
            },
            Rule::Form0NothingNewWithoutYear,
            format!("{F0}/c/year_of_last_declaration"),
        ),
        (
            "year without nothing new",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/c",
                    json!({"year_of_last_declaration": 2020}),
                )
            },
            Rule::Form0YearWithoutNothingNew,
            format!("{F0}/c/year_of_last_declaration"),
        ),
        (
            "year too old",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/c",
                    json!({"nothing_new_to_declare": true, "year_of_last_declaration": 2000}),
                )
            },
            Rule::Form0YearOutOfRange,
            format!("{F0}/c/year_of_last_declaration"),
        ),
        (
            "year not before",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/c",
                    json!({"nothing_new_to_declare": true, "year_of_last_declaration": 2022}),
                )
            },
            Rule::Form0YearNotBefore,
            format!("{F0}/c/year_of_last_declaration"),
        ),
        (
            "nothing to declare but filled",
            |v| {
                set(
                    v,
                    "/forms/form_0/measures/g",
                    json!({"nothing_to_declare": true}),
                )
            },
            Rule::Form0NothingToDeclareButFilled,
            "/forms/g".into(),
        ),
        (
            "measure unanswered",
            |v| remove(v, "/forms/c"),
            Rule::Form0MeasureUnanswered,
            format!("{F0}/c"),
        ),
        (
            "duplicate id",
            |v| set(v, &format!("{A1}/1/facility_id"), json!("XAR-F0001")),
            Rule::FacilityDuplicateId,
            format!("{A1}/1/facility_id"),
        ),
        (
            "foreign id",
            |v| set(v, "/forms/g/facilities/0/facility_id", json!("XLI-F0004")),
            Rule::FacilityForeignId,
            "/forms/g/facilities/0/facility_id".into(),
        ),
        (
            "name mismatch",
            |v| set(v, &format!("{A2III}/0/name"), json!("Another name")),
            Rule::FacilityNameMismatch,
            format!("{A2III}/0/facility_id"),
        ),
        (
            "empty name (G)",
            |v| set(v, "/forms/g/facilities/0/name", json!("  ")),
            Rule::FieldEmpty,
            "/forms/g/facilities/0/name".into(),
        ),
        (
            "empty policy (C)",
            |v| set(v, "/forms/c/publication_policy", json!("")),
            Rule::FieldEmpty,
            "/forms/c/publication_policy".into(),
        ),
        (
            "negative area",
            |v| set(v, &format!("{A2III}/1/floor_area/bl2_m2"), json!(-5.0)),
            Rule::NumberNegative,
            format!("{A2III}/1/floor_area/bl2_m2"),
        ),
        (
            "negative unit size (A1)",
            |v| {
                set(
                    v,
                    &format!("{A1}/0/containment_units/0/area_m2"),
                    json!(-1.0),
                )
            },
            Rule::NumberNegative,
            format!("{A1}/0/containment_units/0/area_m2"),
        ),
        (
            "negative personnel",
            |v| set(v, &format!("{A2III}/0/personnel/engineers"), json!(-1)),
            Rule::NumberNegative,
            format!("{A2III}/0/personnel/engineers"),
        ),
        (
            "negative funding",
            |v| set(v, &format!("{A2II}/total_funding/amount"), json!(-1.0)),
            Rule::NumberNegative,
            format!("{A2II}/total_funding/amount"),
        ),
        (
            "negative cases (B)",
            |v| set(v, "/forms/b/outbreaks/0/deaths", json!(-2)),
            Rule::NumberNegative,
            "/forms/b/outbreaks/0/deaths".into(),
        ),
        (
            "percent > 100",
            |v| set(v, &format!("{A2II}/contracted_share_percent"), json!(120.0)),
            Rule::NumberPercentRange,
            format!("{A2II}/contracted_share_percent"),
        ),
        (
            "percent < 0",
            |v| {
                set(
                    v,
                    &format!("{A2II}/ministry_of_defence_share_percent"),
                    json!(-3.0),
                )
            },
            Rule::NumberPercentRange,
            format!("{A2II}/ministry_of_defence_share_percent"),
        ),
        (
            "latitude",
            |v| set(v, &format!("{A2III}/0/coordinates/latitude"), json!(95.0)),
            Rule::NumberCoordinates,
            format!("{A2III}/0/coordinates"),
        ),
        (
            "agent not listed",
            |v| set(v, &format!("{A1}/0/agents/0"), json!("Unobtainium virus")),
            Rule::AgentNotListed,
            format!("{A1}/0/agents/0"),
        ),
        (
            "agent ambiguous",
            |v| set(v, &format!("{A2III}/0/agents/0"), json!("Brucella")),
            Rule::AgentAmbiguous,
            format!("{A2III}/0/agents/0"),
        ),
        (
            "A1 (i) without BL4",
            |v| {
                set(
                    v,
                    &format!("{A1}/1/containment_units/0/level"),
                    json!("bl3"),
                )
            },
            Rule::A1NoBsl4Unit,
            format!("{A1}/1/containment_units"),
        ),
        (
            "A1 (ii) with BSL-4 present",
            |v| {
                let mut facility = v.pointer(&format!("{A1}/1")).cloned().expect("facility");
                facility["facility_id"] = json!("XAR-F0009");
                set(v, "/forms/a_part_1/highest_biosafety_level", facility);
            },
            Rule::A1HighestLevelWithBsl4,
            "/forms/a_part_1/highest_biosafety_level".into(),
        ),
        (
            "A1 marked but not in A2(iii)",
            |v| set(v, &format!("{A1}/1/declared_in_a_part_2_iii"), json!(true)),
            Rule::A1MissingFromA2iii,
            format!("{A1}/1/declared_in_a_part_2_iii"),
        ),
        (
            "A1 in A2(iii) but unmarked",
            |v| set(v, &format!("{A1}/0/declared_in_a_part_2_iii"), json!(false)),
            Rule::A1A2iiiMarkMissing,
            format!("{A1}/0/declared_in_a_part_2_iii"),
        ),
        (
            "A2(i) no, but described",
            |v| set(v, "/forms/a_part_2_i/programme_exists", json!(false)),
            Rule::A2iNoButDescribed,
            "/forms/a_part_2_i/programme_exists".into(),
        ),
        (
            "A2(i) yes, not described",
            |v| remove(v, "/forms/a_part_2_ii"),
            Rule::A2iYesButNotDescribed,
            "/forms/a_part_2_i/programme_exists".into(),
        ),
        (
            "share without contract",
            |v| set(v, &format!("{A2II}/contracted_out"), json!(false)),
            Rule::A2iiShareWithoutContract,
            format!("{A2II}/contracted_out"),
        ),
        (
            "share missing",
            |v| remove(v, &format!("{A2II}/contracted_share_percent")),
            Rule::A2iiShareMissing,
            format!("{A2II}/contracted_share_percent"),
        ),
        (
            "sources exceed total",
            |v| set(v, &format!("{A2II}/funding_sources/0/amount"), json!(1e12)),
            Rule::A2iiSourcesExceedTotal,
            format!("{A2II}/funding_sources"),
        ),
        (
            "programme facility undeclared",
            |v| {
                v.pointer_mut(&format!("{A2II}/facilities"))
                    .and_then(Value::as_array_mut)
                    .expect("array")
                    .push(json!("XAR-F0077"));
            },
            Rule::A2iiFacilityNotDeclared,
            format!("{A2II}/facilities/2"),
        ),
        (
            "A2(iii) facility outside programmes",
            |v| set(v, &format!("{A2II}/facilities"), json!(["XAR-F0001"])),
            Rule::A2iiiNotInProgramme,
            format!("{A2III}/1/facility_id"),
        ),
        (
            "BSL-4 area missing from A1",
            |v| {
                set(v, &format!("{A2III}/1/floor_area/bl4_m2"), json!(20.0));
                set(
                    v,
                    &format!("{A2III}/1/floor_area/total_laboratory_m2"),
                    json!(460.0),
                );
            },
            Rule::A2iiiBsl4MissingFromA1,
            format!("{A2III}/1/floor_area/bl4_m2"),
        ),
        (
            "BSL-4 area exceeds A1 units",
            |v| {
                set(v, &format!("{A2III}/0/floor_area/bl4_m2"), json!(400.0));
                set(
                    v,
                    &format!("{A2III}/0/floor_area/total_laboratory_m2"),
                    json!(3000.0),
                );
            },
            Rule::A2iiiBsl4ExceedsA1,
            format!("{A2III}/0/floor_area/bl4_m2"),
        ),
        (
            "floor areas exceed total",
            |v| {
                set(
                    v,
                    &format!("{A2III}/0/floor_area/total_laboratory_m2"),
                    json!(10.0),
                )
            },
            Rule::A2iiiFloorAreaSum,
            format!("{A2III}/0/floor_area/total_laboratory_m2"),
        ),
        (
            "military + civilian != total",
            |v| bump(v, &format!("{A2III}/0/personnel/military"), 1),
            Rule::A2iiiPersonnelDivisionSum,
            format!("{A2III}/0/personnel/total"),
        ),
        (
            "categories != total",
            |v| bump(v, &format!("{A2III}/0/personnel/scientists"), 1),
            Rule::A2iiiPersonnelCategorySum,
            format!("{A2III}/0/personnel/total"),
        ),
        (
            "primary > total cases",
            |v| set(v, "/forms/b/outbreaks/0/primary_cases", json!(1000)),
            Rule::BPrimaryExceedsTotal,
            "/forms/b/outbreaks/0/primary_cases".into(),
        ),
        (
            "deaths > total cases",
            |v| set(v, "/forms/b/outbreaks/0/deaths", json!(1000)),
            Rule::BDeathsExceedTotal,
            "/forms/b/outbreaks/0/deaths".into(),
        ),
        (
            "outbreak in another year",
            |v| {
                set(
                    v,
                    "/forms/b/outbreaks/0/time_of_cognizance",
                    json!("2019-05-01"),
                )
            },
            Rule::BOutsideReportingYear,
            "/forms/b/outbreaks/0/time_of_cognizance".into(),
        ),
        (
            "amended without measure",
            |v| {
                set(
                    v,
                    "/forms/e/exports",
                    json!({"legislation": false, "regulations": false, "other_measures": false, "amended_since_last_year": true}),
                )
            },
            Rule::EAmendedWithoutMeasure,
            "/forms/e/exports/amended_since_last_year".into(),
        ),
        (
            "references missing",
            |v| set(v, "/forms/e/imports/references", json!([])),
            Rule::EReferencesMissing,
            "/forms/e/imports/references".into(),
        ),
        (
            "period before 1946",
            |v| set(v, "/forms/f/defensive/periods/0/from_year", json!(1930)),
            Rule::FPeriodBefore1946,
            "/forms/f/defensive/periods/0/from_year".into(),
        ),
        (
            "period reversed",
            |v| set(v, "/forms/f/defensive/periods/0/to_year", json!(1950)),
            Rule::FPeriodReversed,
            "/forms/f/defensive/periods/0/to_year".into(),
        ),
        (
            "period in the future",
            |v| set(v, "/forms/f/defensive/periods/0/from_year", json!(2030)),
            Rule::FPeriodAfterReportingYear,
            "/forms/f/defensive/periods/0/from_year".into(),
        ),
        (
            "periods without yes",
            |v| set(v, "/forms/f/defensive/conducted", json!(false)),
            Rule::FPeriodsWithoutConducted,
            "/forms/f/defensive/periods".into(),
        ),
        (
            "yes without periods",
            |v| set(v, "/forms/f/defensive/periods", json!([])),
            Rule::FConductedWithoutPeriod,
            "/forms/f/defensive/periods".into(),
        ),
        (
            "offensive not ended",
            |v| {
                set(
                    v,
                    "/forms/f/offensive",
                    json!({"conducted": true, "periods": [{"from_year": 1950}], "activities": ["production"]}),
                )
            },
            Rule::FOffensiveNotEnded,
            "/forms/f/offensive/periods/0/to_year".into(),
        ),
    ]
}

#[test]
fn the_valid_example_has_no_problem() {
    let text = serde_json::to_vec(&valid()).expect("serializes");
    let parsed = check(&text, &context());
    assert!(parsed.submission.is_some());
    assert!(parsed.problems.is_empty(), "{:#?}", parsed.problems);
}

#[test]
fn every_mutation_breaks_its_rule_at_its_path() {
    let context = context();
    for (what, mutate, rule, path) in table() {
        let mut value = valid_json();
        mutate(&mut value);
        let text = serde_json::to_vec(&value).expect("serializes");
        let parsed = check(&text, &context);
        assert!(
            parsed
                .problems
                .iter()
                .any(|p| p.rule == rule && p.path == path),
            "{what}: expected {rule} at {path}, got {:#?}",
            parsed.problems
        );
        assert_eq!(
            parsed
                .problems
                .iter()
                .find(|p| p.rule == rule)
                .map(|p| p.severity),
            Some(rule.severity()),
            "{what}"
        );
    }
}

#[test]
fn the_table_covers_every_rule() {
    let covered: BTreeSet<Rule> = table().into_iter().map(|(_, _, rule, _)| rule).collect();
    // parse.syntax needs bytes that are not JSON: see `syntax_errors` below.
    let missing: Vec<&Rule> = Rule::ALL
        .iter()
        .filter(|r| **r != Rule::ParseSyntax && !covered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without an invalid example: {missing:?}"
    );
}

#[test]
fn syntax_errors() {
    for bad in [
        &b""[..],
        b"{",
        b"not json",
        b"{\"a\": 1,}",
        b"\xff\xfe",
        b"{} trailing",
    ] {
        let parsed = check(bad, &context());
        assert!(parsed.submission.is_none());
        assert_eq!(parsed.problems.len(), 1, "{bad:?}");
        assert_eq!(parsed.problems[0].rule, Rule::ParseSyntax, "{bad:?}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut value = valid_json();
    set(&mut value, "/submitted", json!("2022-12-01"));
    remove(&mut value, "/forms/form_0");
    set(
        &mut value,
        &format!("{A1}/0/agents/0"),
        json!("Unobtainium virus"),
    );
    set(
        &mut value,
        &format!("{A2III}/0/floor_area/total_laboratory_m2"),
        json!(10.0),
    );
    let parsed = check(&serde_json::to_vec(&value).expect("json"), &context());
    let rules: BTreeSet<&str> = parsed.problems.iter().map(|p| p.rule.id()).collect();
    for expected in [
        "submission.submitted_before_year_end",
        "form0.missing",
        "agent.not_listed",
        "a2iii.floor_area_sum",
    ] {
        assert!(
            rules.contains(expected),
            "{expected} missing from {rules:?}"
        );
    }
}

#[test]
fn form_d_does_not_hide_other_problems() {
    let mut value = valid_json();
    set(&mut value, "/forms/d", json!({}));
    set(&mut value, "/format_version", json!(9));
    let parsed = check(&serde_json::to_vec(&value).expect("json"), &context());
    let rules: Vec<Rule> = parsed.problems.iter().map(|p| p.rule).collect();
    assert!(rules.contains(&Rule::FormDDeleted));
    assert!(rules.contains(&Rule::SubmissionFormatVersion));
    assert!(
        parsed.problems[0]
            .message
            .contains("Seventh Review Conference")
    );
}

#[test]
fn validity_window_comes_from_the_parameter() {
    let mut value = valid_json();
    set(
        &mut value,
        "/forms/form_0/measures/c",
        json!({"nothing_new_to_declare": true, "year_of_last_declaration": 2017}),
    );
    remove(&mut value, "/forms/c");
    let text = serde_json::to_vec(&value).expect("json");
    let wide = check(&text, &context());
    assert!(wide.problems.is_empty(), "{:#?}", wide.problems);
    let narrow = Context {
        validity_years: 3,
        ..context()
    };
    let parsed = check(&text, &narrow);
    assert!(
        parsed
            .problems
            .iter()
            .any(|p| p.rule == Rule::Form0YearOutOfRange)
    );
}

#[test]
fn rule_ids_are_unique_and_described() {
    let ids: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert!(!rule.description().is_empty(), "{rule}");
        assert!(!rule.description().starts_with(' '), "{rule}");
    }
}

#[test]
fn the_words_of_judgement_are_absent() {
    for rule in Rule::ALL {
        let text = format!("{} {}", rule.id(), rule.description()).to_lowercase();
        for word in ["complian", "violation", "verdict"] {
            assert!(!text.contains(word), "{rule}");
        }
    }
}
