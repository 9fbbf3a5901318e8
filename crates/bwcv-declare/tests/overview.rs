//! The demo world and the Secretariat's overview.

use std::collections::BTreeSet;

use bwcv_core::lists::Catalogue;
use bwcv_core::params::ParameterSet;
use bwcv_declare::overview::{FormStatus, Overview, SubmissionStatus, build};
use bwcv_declare::{Context, Measure, demo, validate};
use chrono::NaiveDate;

fn overview(seed: u64, as_of: Option<NaiveDate>) -> Overview {
    let world = demo::generate(seed);
    build(
        &world.submissions,
        &world.states,
        ParameterSet::builtin(),
        Catalogue::builtin(),
        world.year,
        as_of.unwrap_or(world.as_of),
    )
    .expect("overview")
}

fn state<'a>(overview: &'a Overview, code: &str) -> &'a bwcv_declare::overview::StateOverview {
    overview
        .states
        .iter()
        .find(|s| s.code.as_str() == code)
        .unwrap_or_else(|| panic!("{code} in the overview"))
}

fn rules(overview: &Overview, code: &str) -> BTreeSet<String> {
    state(overview, code)
        .flags
        .iter()
        .map(|f| f.rule.clone())
        .collect()
}

#[test]
fn the_demo_is_deterministic_and_fictional() {
    assert_eq!(demo::generate(42), demo::generate(42));
    assert_ne!(demo::generate(1).submissions, demo::generate(2).submissions);
    let world = demo::generate(1);
    for state in &world.states {
        assert!(state.code.as_str().starts_with('X'), "{}", state.code);
    }
    let years: BTreeSet<i32> = world.submissions.iter().map(|s| s.reporting_year).collect();
    assert_eq!(years, (demo::FIRST_YEAR..=demo::LAST_YEAR).collect());
}

#[test]
fn the_demo_names_are_unique_on_the_lists_except_the_deliberate_ones() {
    let context = Context::builtin().expect("params");
    let world = demo::generate(1);
    let agent_rules: BTreeSet<(String, i32, &str)> = world
        .submissions
        .iter()
        .flat_map(|s| {
            validate(s, &context)
                .into_iter()
                .filter(|p| p.rule.id().starts_with("agent."))
                .map(move |p| (s.state_party.to_string(), s.reporting_year, p.rule.id()))
        })
        .collect();
    let expected: BTreeSet<(String, i32, &str)> = [
        ("XAR".to_owned(), 2023, "agent.not_listed"),
        ("XER".to_owned(), 2022, "agent.ambiguous"),
    ]
    .into_iter()
    .collect();
    assert_eq!(agent_rules, expected);
}

#[test]
fn the_overview_finds_every_deliberate_inconsistency() {
    for seed in [1, 7, 1234] {
        let overview = overview(seed, None);
        let arcadia = rules(&overview, "XAR");
        assert!(arcadia.contains("diff.facility_disappeared"), "{seed}");
        assert!(arcadia.contains("agent.not_listed"));
        let lilliput = rules(&overview, "XLI");
        assert!(lilliput.contains("diff.nothing_new_but_changed"));
        assert!(lilliput.contains("deadline.late"));
        let utopia = rules(&overview, "XUT");
        assert!(utopia.contains("history.year_missing"));
        assert!(utopia.contains("history.nothing_new_unknown_year"));
        let erewhon = rules(&overview, "XER");
        assert!(erewhon.contains("a2iii.bsl4_missing_from_a1"));
        assert!(erewhon.contains("agent.ambiguous"));
        assert!(
            rules(&overview, "XFR").is_empty(),
            "Freedonia is consistent"
        );
    }
}

#[test]
fn submission_status_against_the_deadline() {
    let overview = overview(1, None);
    assert_eq!(
        overview.deadline,
        NaiveDate::from_ymd_opt(2026, 4, 15).expect("date")
    );
    assert_eq!(state(&overview, "XAR").status, SubmissionStatus::OnTime);
    let lilliput = state(&overview, "XLI");
    assert_eq!(lilliput.status, SubmissionStatus::Late);
    assert_eq!(lilliput.days_late, Some(35));
    let erewhon = state(&overview, "XER");
    assert_eq!(erewhon.status, SubmissionStatus::Overdue);
    assert!(erewhon.forms.is_empty());
    assert_eq!(erewhon.answered, 0);
    // Before the deadline, a missing return is not yet due, and a return
    // submitted after the "as of" date is not yet received.
    let early = overview_at(2026, 3, 1);
    assert_eq!(state(&early, "XER").status, SubmissionStatus::NotYetDue);
    assert_eq!(state(&early, "XLI").status, SubmissionStatus::NotYetDue);
}

fn overview_at(year: i32, month: u32, day: u32) -> Overview {
    overview(1, NaiveDate::from_ymd_opt(year, month, day))
}

#[test]
fn completeness_per_form() {
    let overview = overview(1, None);
    let freedonia = state(&overview, "XFR");
    assert_eq!(freedonia.answered, 9);
    assert_eq!(
        freedonia.forms[&Measure::APart1],
        FormStatus::NothingToDeclare
    );
    assert_eq!(
        freedonia.forms[&Measure::E],
        FormStatus::NothingNew { since: Some(2021) }
    );
    assert_eq!(freedonia.forms[&Measure::APart2I], FormStatus::Declared);
    let arcadia = state(&overview, "XAR");
    assert!(
        arcadia
            .forms
            .values()
            .all(|f| *f == FormStatus::Declared || *f == FormStatus::NothingToDeclare)
    );
}

#[test]
fn the_overview_records_what_it_used() {
    let overview = overview(1, None);
    let params = ParameterSet::builtin();
    assert_eq!(overview.provenance.parameter_digest, params.digest());
    assert_eq!(overview.provenance.deadline_month_day, "04-15");
    assert!(overview.provenance.engine.starts_with("bwcv-declare "));
    assert!(!overview.provenance.lists.is_empty());
    // Same inputs, same output.
    assert_eq!(overview, self::overview(1, None));
}

#[test]
fn the_deadline_is_a_parameter() {
    let world = demo::generate(1);
    let text = include_str!("../../bwcv-core/data/params/protocol.toml")
        .replace("value = \"04-15\"", "value = \"06-30\"");
    let params = ParameterSet::from_toml_str(&text).expect("params");
    let overview = build(
        &world.submissions,
        &world.states,
        &params,
        Catalogue::builtin(),
        world.year,
        world.as_of,
    )
    .expect("overview");
    assert_eq!(state(&overview, "XLI").status, SubmissionStatus::OnTime);
    assert_eq!(overview.provenance.deadline_month_day, "06-30");
}

#[test]
fn no_word_of_judgement_in_the_output() {
    let text = serde_json::to_string(&overview(1, None))
        .expect("json")
        .to_lowercase();
    for word in ["complian", "violation", "verdict"] {
        assert!(!text.contains(word), "{word}");
    }
}
