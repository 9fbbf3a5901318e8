//! Year-to-year comparison and history findings.

use bwcv_core::FacilityId;
use bwcv_declare::diff::{ChangeKind, FindingKind, diff, diff_history};
use bwcv_declare::model::Explanation;
use bwcv_declare::{Measure, Submission, demo};

fn ret(code: &str, year: i32) -> Submission {
    demo::generate(1)
        .submissions
        .into_iter()
        .find(|s| s.state_party.as_str() == code && s.reporting_year == year)
        .unwrap_or_else(|| panic!("demo has {code} {year}"))
}

fn kinds(findings: &[bwcv_declare::diff::Finding]) -> Vec<FindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

#[test]
fn identical_returns_have_no_changes() {
    let a = ret("XAR", 2021);
    let d = diff(&a, &a);
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    assert!(d.findings.is_empty());
}

#[test]
fn a_changed_field_is_named_by_facility_with_old_and_new_values() {
    let old = ret("XAR", 2021);
    let mut new = old.clone();
    new.reporting_year = 2022;
    let facility = &mut new.forms.a_part_2_iii.as_mut().expect("A2(iii)").facilities[0];
    let before = facility.floor_area.bl3_m2;
    facility.floor_area.bl3_m2 = before + 10.0;
    facility.floor_area.total_laboratory_m2 += 10.0;
    let d = diff(&old, &new);
    let change = d
        .changes
        .iter()
        .find(|c| c.path.ends_with("/floor_area/bl3_m2"))
        .expect("bl3 change");
    assert_eq!(change.kind, ChangeKind::Changed);
    assert_eq!(change.measure, Measure::APart2Iii);
    assert_eq!(
        change.facility_id,
        Some(FacilityId::new("XAR-F0001").expect("id"))
    );
    assert_eq!(
        change.path,
        "/forms/a_part_2_iii/facilities/XAR-F0001/floor_area/bl3_m2"
    );
    assert_eq!(change.old, Some(serde_json::json!(before)));
    assert_eq!(change.new, Some(serde_json::json!(before + 10.0)));
    assert_eq!(d.changes.len(), 2);
}

#[test]
fn facilities_are_matched_by_id_not_position() {
    let old = ret("XAR", 2021);
    let mut new = old.clone();
    new.forms
        .a_part_2_iii
        .as_mut()
        .expect("A2(iii)")
        .facilities
        .reverse();
    assert!(diff(&old, &new).changes.is_empty());
}

#[test]
fn added_and_removed_facilities() {
    let old = ret("XAR", 2023);
    let new = ret("XAR", 2024);
    let d = diff(&old, &new);
    let removed = d
        .changes
        .iter()
        .find(|c| {
            c.kind == ChangeKind::Removed
                && c.facility_id
                    .as_ref()
                    .is_some_and(|f| f.as_str() == "XAR-F0002")
        })
        .expect("XAR-F0002 removed");
    assert_eq!(
        removed.path,
        "/forms/a_part_1/maximum_containment/XAR-F0002"
    );
    let back = diff(&new, &old);
    assert!(
        back.changes
            .iter()
            .any(|c| c.kind == ChangeKind::Added && c.path.ends_with("XAR-F0002"))
    );
}

#[test]
fn a_facility_that_disappears_without_explanation() {
    let d = diff(&ret("XAR", 2023), &ret("XAR", 2024));
    assert_eq!(kinds(&d.findings), vec![FindingKind::FacilityDisappeared]);
    assert_eq!(
        d.findings[0].facility_id.as_ref().map(|f| f.as_str()),
        Some("XAR-F0002")
    );
    // With an explanation, it is a change but no finding.
    let mut explained = ret("XAR", 2024);
    explained.explanations.push(Explanation {
        facility_id: FacilityId::new("XAR-F0002").expect("id"),
        text: "Decommissioned in 2024; the BSL-4 unit was dismantled.".into(),
    });
    assert!(diff(&ret("XAR", 2023), &explained).findings.is_empty());
}

#[test]
fn nothing_new_that_changed() {
    // XLI 2023 marks A part 1 "nothing new" but declares a larger area.
    let d = diff(&ret("XLI", 2022), &ret("XLI", 2023));
    assert!(kinds(&d.findings).contains(&FindingKind::NothingNewButChanged));
    let finding = d
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NothingNewButChanged)
        .expect("finding");
    assert_eq!(finding.measure, Some(Measure::APart1));
}

#[test]
fn nothing_new_left_empty_carries_the_form_over() {
    // XLI 2022 leaves A part 1 empty with "nothing new": no removal, no disappearance.
    let d = diff(&ret("XLI", 2021), &ret("XLI", 2022));
    assert!(
        d.changes.iter().all(|c| c.measure != Measure::APart1),
        "{:#?}",
        d.changes
    );
    assert!(d.findings.is_empty(), "{:#?}", d.findings);
}

#[test]
fn history_finds_the_missing_year_and_the_unknown_year() {
    let world = demo::generate(1);
    let utopia: Vec<Submission> = world
        .submissions
        .iter()
        .filter(|s| s.state_party.as_str() == "XUT")
        .cloned()
        .collect();
    let history = diff_history(&utopia).expect("history");
    assert_eq!(history.years, vec![2021, 2022, 2024, 2025]);
    assert_eq!(history.diffs.len(), 3);
    let found = kinds(&history.findings);
    assert!(found.contains(&FindingKind::YearMissing));
    assert!(found.contains(&FindingKind::NothingNewUnknownYear));
    let missing = history
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::YearMissing)
        .expect("gap");
    assert_eq!(missing.year, 2023);
}

#[test]
fn a_consistent_history_has_no_findings() {
    let world = demo::generate(1);
    let freedonia: Vec<Submission> = world
        .submissions
        .iter()
        .filter(|s| s.state_party.as_str() == "XFR")
        .rev()
        .cloned()
        .collect();
    let history = diff_history(&freedonia).expect("history");
    assert_eq!(history.years, (2021..=2025).collect::<Vec<_>>());
    assert!(history.findings.is_empty(), "{:#?}", history.findings);
    assert!(history.diffs.iter().all(|d| d.findings.is_empty()));
}

#[test]
fn duplicate_years_and_different_states() {
    let a = ret("XFR", 2021);
    let history = diff_history(&[a.clone(), a.clone()]).expect("history");
    assert_eq!(kinds(&history.findings), vec![FindingKind::DuplicateYear]);
    let d = diff(&ret("XFR", 2021), &ret("XAR", 2022));
    assert!(kinds(&d.findings).contains(&FindingKind::DifferentStateParty));
    assert!(diff_history(&[]).is_none());
}
