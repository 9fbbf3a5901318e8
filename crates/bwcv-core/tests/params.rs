//! The built-in parameter set, its validation and its typed accessors.

use bwcv_core::params::{ParamError, ParameterSet, REQUIRED, Value};

fn builtin() -> &'static ParameterSet {
    ParameterSet::builtin()
}

const BUILTIN_TEXT: &str = include_str!("../data/params/protocol.toml");

#[test]
fn builtin_has_every_required_parameter() {
    for name in REQUIRED {
        assert!(builtin().get(name).is_ok(), "{name} missing");
    }
    assert_eq!(builtin().version(), "2026.1");
    assert_eq!(builtin().len(), builtin().iter().count());
}

/// The values the issue fixes, and which of them have a source.
#[test]
fn issue_values_and_verification_flags() {
    let set = builtin();
    assert_eq!(set.month_day("cbm.deadline").unwrap(), (4, 15));
    assert_eq!(
        set.integer("visits.random.max_per_state_party_per_year")
            .unwrap(),
        7
    );
    assert_eq!(
        set.integer("visits.random.max_per_facility_in_window")
            .unwrap(),
        3
    );
    assert_eq!(set.years("visits.random.facility_window_years").unwrap(), 5);
    assert_eq!(set.integer("visits.random.total_per_year").unwrap(), 120);
    assert_eq!(
        set.years("cbm.validity_years_last_declaration").unwrap(),
        15
    );
    assert_eq!(set.integer("seq.screen.min_fragment_nt").unwrap(), 50);
    assert_eq!(set.float("council.majority_fraction").unwrap(), 0.5);
    let verified: Vec<&str> = set
        .iter()
        .filter(|p| p.verified)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        verified,
        [
            "cbm.deadline",
            "visits.random.max_per_state_party_per_year",
            "visits.random.max_per_facility_in_window",
            "visits.random.facility_window_years",
            "visits.random.total_per_year",
            "seq.screen.min_fragment_nt",
        ]
    );
    for parameter in set.iter().filter(|p| !p.verified) {
        assert!(
            parameter
                .source
                .starts_with("bwcv working assumption, pending the protocol text"),
            "{} is unverified but its source does not say so",
            parameter.name
        );
    }
}

#[test]
fn typed_accessors_refuse_the_wrong_type_or_unit() {
    let set = builtin();
    assert_eq!(set.hours("investigation.notice_hours").unwrap(), 12);
    assert_eq!(set.days("visits.random.report_days").unwrap(), 30);
    assert!(matches!(
        set.days("investigation.notice_hours"),
        Err(ParamError::WrongUnit { .. })
    ));
    assert!(matches!(
        set.integer("cbm.deadline"),
        Err(ParamError::WrongType { .. })
    ));
    assert!(matches!(
        set.float("team.min_size"),
        Err(ParamError::WrongType { .. })
    ));
    assert!(matches!(
        set.month_day("team.min_size"),
        Err(ParamError::WrongType { .. })
    ));
    let error = set.get("no.such.parameter").unwrap_err();
    assert!(error.to_string().contains("no.such.parameter"));
}

#[test]
fn digest_is_stable_and_sensitive() {
    let reparsed = ParameterSet::from_toml_str(BUILTIN_TEXT).unwrap();
    assert_eq!(reparsed.digest(), builtin().digest());
    assert_eq!(builtin().digest().len(), 64);
    assert!(builtin().digest().bytes().all(|b| b.is_ascii_hexdigit()));

    // Comments and layout do not count...
    let commented = format!("# a comment\n\n{BUILTIN_TEXT}\n# trailing\n");
    assert_eq!(
        ParameterSet::from_toml_str(&commented).unwrap().digest(),
        builtin().digest()
    );
    // ...a value does.
    let changed = BUILTIN_TEXT.replace("value = 120", "value = 121");
    assert_ne!(
        ParameterSet::from_toml_str(&changed).unwrap().digest(),
        builtin().digest()
    );
    // ...and so does the version.
    let bumped = BUILTIN_TEXT.replace("version = \"2026.1\"", "version = \"2026.2\"");
    assert_ne!(
        ParameterSet::from_toml_str(&bumped).unwrap().digest(),
        builtin().digest()
    );
}

#[test]
fn digest_ignores_parameter_order() {
    let a = ParameterSet::from_toml_str(BUILTIN_TEXT).unwrap();
    // Move the first [[parameter]] table to the end.
    let start = BUILTIN_TEXT.find("[[parameter]]").unwrap();
    let second = start + 1 + BUILTIN_TEXT[start + 1..].find("[[parameter]]").unwrap();
    let moved = format!(
        "{}{}\n{}",
        &BUILTIN_TEXT[..start],
        &BUILTIN_TEXT[second..],
        &BUILTIN_TEXT[start..second]
    );
    let b = ParameterSet::from_toml_str(&moved).unwrap();
    assert_ne!(a.iter().next().unwrap().name, b.iter().next().unwrap().name);
    assert_eq!(a.digest(), b.digest());
}

/// Each invalid variant of the built-in text, and words the error must
/// contain (the parameter and the field at fault).
#[test]
fn invalid_sets_are_rejected_naming_parameter_and_field() {
    let cbm = "name = \"cbm.deadline\"\nvalue = \"04-15\"";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            BUILTIN_TEXT.replace(cbm, "name = \"cbm.deadline\"\nvalue = \"02-30\""),
            vec!["cbm.deadline", "value", "02-30"],
        ),
        (
            BUILTIN_TEXT.replace(cbm, "name = \"cbm.deadline\"\nvalue = 415"),
            vec!["cbm.deadline", "value", "month-day"],
        ),
        (
            BUILTIN_TEXT.replace(
                "value = 7\nunit = \"visits\"",
                "value = -7\nunit = \"visits\"",
            ),
            vec![
                "visits.random.max_per_state_party_per_year",
                "value",
                "out of range",
            ],
        ),
        (
            BUILTIN_TEXT.replace(
                "value = 7\nunit = \"visits\"",
                "value = 7\nunit = \"fortnights\"",
            ),
            vec![
                "visits.random.max_per_state_party_per_year",
                "unit",
                "fortnights",
            ],
        ),
        (
            BUILTIN_TEXT.replace("value = 0.667", "value = 1.5"),
            vec!["council.quorum_fraction", "value", "out of range"],
        ),
        (
            BUILTIN_TEXT.replace("value = 0.667", "value = \"two thirds\""),
            vec!["council.quorum_fraction", "value", "float"],
        ),
        (
            BUILTIN_TEXT.replacen(
                "unit = \"month-day\"\nverified = true",
                "unit = \"month-day\"\nverified = \"yes\"",
                1,
            ),
            vec!["cbm.deadline", "verified"],
        ),
        (
            BUILTIN_TEXT.replacen(
                "unit = \"month-day\"\nverified = true\n",
                "unit = \"month-day\"\n",
                1,
            ),
            vec!["cbm.deadline", "verified", "missing"],
        ),
        (
            BUILTIN_TEXT.replacen(
                "unit = \"month-day\"\n",
                "unit = \"month-day\"\ncolour = \"red\"\n",
                1,
            ),
            vec!["cbm.deadline", "colour", "unknown field"],
        ),
        (
            BUILTIN_TEXT.replace(
                "name = \"team.max_size\"\nvalue = 20",
                "name = \"team.max_size\"\nvalue = 1",
            ),
            vec!["team.min_size", "team.max_size"],
        ),
        (
            BUILTIN_TEXT.replace(
                "name = \"seq.screen.min_fragment_nt\"",
                "name = \"cbm.deadline\"",
            ),
            vec!["cbm.deadline", "more than once"],
        ),
        (
            BUILTIN_TEXT.replace(
                "name = \"seq.screen.min_fragment_nt\"",
                "name = \"seq.screen.other\"",
            ),
            vec!["seq.screen.min_fragment_nt", "missing"],
        ),
        (
            BUILTIN_TEXT.replace(
                "name = \"seq.screen.min_fragment_nt\"",
                "name = \"Seq Screen\"",
            ),
            vec!["parameter #", "name"],
        ),
        (
            BUILTIN_TEXT.replace("version = \"2026.1\"\n", ""),
            vec!["version", "missing"],
        ),
        (
            BUILTIN_TEXT.replace("version = \"2026.1\"", "version = 2026"),
            vec!["version", "string"],
        ),
        (
            format!("{BUILTIN_TEXT}\nextra = 1\n"),
            vec!["extra", "unknown field"],
        ),
        (
            BUILTIN_TEXT.replacen(
                "unit = \"hours\"\nverified = false",
                "unit = \"hours\"\nverified = true",
                1,
            ),
            vec![
                "visits.random.notice_hours",
                "verified",
                "working assumption",
            ],
        ),
        (
            "name = \"x\"\nversion = \"1\"\ndescription = \"d\"\n".to_owned(),
            vec!["required parameter", "cbm.deadline"],
        ),
        ("[[parameter]\nname =".to_owned(), vec!["not valid TOML"]),
    ];
    for (text, words) in cases {
        let error = ParameterSet::from_toml_str(&text).expect_err(&words.join(" "));
        let message = error.to_string();
        for word in &words {
            assert!(
                message.contains(word),
                "{message:?} should mention {word:?}"
            );
        }
    }
}

#[test]
fn named_errors_carry_the_file_name() {
    let error =
        ParameterSet::from_toml_str_named("/tmp/my-params.toml", "nonsense = = 1").unwrap_err();
    assert!(error.to_string().starts_with("/tmp/my-params.toml:"));
}

#[test]
fn values_serialise_as_json_numbers_and_strings() {
    let deadline = builtin().get("cbm.deadline").unwrap();
    assert_eq!(deadline.value, Value::MonthDay { month: 4, day: 15 });
    let json = serde_json::to_value(deadline).unwrap();
    assert_eq!(json["value"], "04-15");
    let visits =
        serde_json::to_value(builtin().get("visits.random.total_per_year").unwrap()).unwrap();
    assert_eq!(visits["value"], 120);
    assert_eq!(visits["verified"], true);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary text never makes the parser panic.
        #[test]
        fn from_toml_str_never_panics(text in ".{0,300}") {
            let _ = ParameterSet::from_toml_str(&text);
        }

        /// Any in-range value of the per-State cap parses and reads back;
        /// out-of-range values are rejected with the parameter named.
        #[test]
        fn visit_cap_round_trips(value in -10i64..200_000) {
            let text = BUILTIN_TEXT.replace("value = 7\nunit = \"visits\"", &format!("value = {value}\nunit = \"visits\""));
            match ParameterSet::from_toml_str(&text) {
                Ok(set) => {
                    prop_assert!((0..=120).contains(&value));
                    prop_assert_eq!(set.integer("visits.random.max_per_state_party_per_year").unwrap(), value);
                }
                Err(error) => {
                    prop_assert!(!(0..=120).contains(&value));
                    prop_assert!(error.to_string().contains("visits.random.max_per_state_party_per_year"));
                }
            }
        }

        /// Every month-day string either parses to a real day or is refused.
        #[test]
        fn month_days(month in 0u8..15, day in 0u8..35) {
            let text = BUILTIN_TEXT.replace("value = \"04-15\"", &format!("value = \"{month:02}-{day:02}\""));
            let days_in = [31u8, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let real = (1..=12).contains(&month) && day >= 1 && day <= days_in[usize::from(month) - 1];
            match ParameterSet::from_toml_str(&text) {
                Ok(set) => {
                    prop_assert!(real);
                    prop_assert_eq!(set.month_day("cbm.deadline").unwrap(), (month, day));
                }
                Err(_) => prop_assert!(!real),
            }
        }
    }
}
