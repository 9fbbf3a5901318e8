//! Comparing returns: what changed from one year to the next (per form and
//! per facility, by [`FacilityId`]), and inconsistencies across a State
//! Party's history of returns.
//!
//! Findings are facts about the returns ("facility XAR-F0002 is no longer
//! declared and no explanation is given"); they are not judgements.

use std::collections::{BTreeMap, BTreeSet};

use bwcv_core::{FacilityId, StatePartyCode};
use serde::Serialize;
use serde_json::Value;

use crate::model::{Measure, Submission};
use crate::problem::pointer_push;

/// What happened to a value between the two returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One change from the old to the new return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub measure: Measure,
    /// The facility the change is about, for facility lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<FacilityId>,
    pub kind: ChangeKind,
    /// JSON pointer into the form (`/forms/a_part_1/...`); facility list
    /// elements are named by facility id, not index (`.../facilities/XAR-F0001/name`).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// Kinds of inconsistency between returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FindingKind {
    /// Form 0 marks a measure "nothing new to declare", yet the content
    /// declared for it differs from the earlier return.
    #[serde(rename = "diff.nothing_new_but_changed")]
    NothingNewButChanged,
    /// A facility declared earlier is no longer declared in any form, the
    /// forms it was in are not marked "nothing new", and no explanation is given.
    #[serde(rename = "diff.facility_disappeared")]
    FacilityDisappeared,
    /// A year between two returns of the history has no return.
    #[serde(rename = "history.year_missing")]
    YearMissing,
    /// Two returns of the history cover the same year.
    #[serde(rename = "history.duplicate_year")]
    DuplicateYear,
    /// "Nothing new to declare" points to a year for which the history holds
    /// no declaration of that measure.
    #[serde(rename = "history.nothing_new_unknown_year")]
    NothingNewUnknownYear,
    /// The returns compared belong to different States Parties.
    #[serde(rename = "diff.different_state_party")]
    DifferentStateParty,
}

impl FindingKind {
    /// The stable id, as serialized.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::NothingNewButChanged => "diff.nothing_new_but_changed",
            FindingKind::FacilityDisappeared => "diff.facility_disappeared",
            FindingKind::YearMissing => "history.year_missing",
            FindingKind::DuplicateYear => "history.duplicate_year",
            FindingKind::NothingNewUnknownYear => "history.nothing_new_unknown_year",
            FindingKind::DifferentStateParty => "diff.different_state_party",
        }
    }
}

/// One inconsistency between returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub state_party: StatePartyCode,
    /// The reporting year of the return the finding is attached to.
    pub year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<FacilityId>,
    pub message: String,
}

/// The comparison of two returns of one State Party.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub state_party: StatePartyCode,
    pub old_year: i32,
    pub new_year: i32,
    /// Changes, ordered by measure, then path.
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
}

/// Compares two returns (normally consecutive years of one State Party).
pub fn diff(old: &Submission, new: &Submission) -> Diff {
    let mut changes = Vec::new();
    let mut findings = Vec::new();
    if old.state_party != new.state_party {
        findings.push(Finding {
            kind: FindingKind::DifferentStateParty,
            state_party: new.state_party.clone(),
            year: new.reporting_year,
            measure: None,
            facility_id: None,
            message: format!(
                "comparing returns of different States Parties ({} and {})",
                old.state_party, new.state_party
            ),
        });
    }
    let effective = carry_over(old, new);
    for measure in Measure::ALL {
        let old_value = old.forms.form_value(measure);
        let base = pointer_push("/forms", measure.key());
        let status = new.form_0_status(measure);
        let submitted_value = new.forms.form_value(measure);
        if status.nothing_new_to_declare && !submitted_value.is_null() {
            let mut differences = Vec::new();
            diff_form(
                measure,
                &keyed(&old_value),
                &keyed(&submitted_value),
                &base,
                &mut differences,
            );
            if !differences.is_empty() {
                findings.push(Finding {
                    kind: FindingKind::NothingNewButChanged,
                    state_party: new.state_party.clone(),
                    year: new.reporting_year,
                    measure: Some(measure),
                    facility_id: None,
                    message: format!(
                        "Form 0 marks {} \"nothing new to declare\" but its content differs from the {} return in {} place(s)",
                        measure.label(),
                        old.reporting_year,
                        differences.len()
                    ),
                });
            }
        }
        diff_form(
            measure,
            &keyed(&old_value),
            &keyed(&effective.forms.form_value(measure)),
            &base,
            &mut changes,
        );
    }
    findings.extend(disappeared(old, &effective));
    Diff {
        state_party: new.state_party.clone(),
        old_year: old.reporting_year,
        new_year: new.reporting_year,
        changes,
        findings,
    }
}

/// `new` with every form it marks "nothing new to declare" and leaves
/// empty replaced by the form of `old`: what `new` effectively declares.
pub fn carry_over(old: &Submission, new: &Submission) -> Submission {
    let mut effective = new.clone();
    for measure in Measure::ALL {
        let status = new.form_0_status(measure);
        if status.nothing_new_to_declare && new.forms.form_value(measure).is_null() {
            effective.forms.copy_form(measure, &old.forms);
        }
    }
    effective
}

/// Facilities of `old` that `new` (carried over) no longer declares, without explanation.
fn disappeared(old: &Submission, new: &Submission) -> Vec<Finding> {
    let new_ids = new.facility_ids();
    let explained: BTreeSet<&FacilityId> =
        new.explanations.iter().map(|e| &e.facility_id).collect();
    let mut by_id: BTreeMap<&FacilityId, (BTreeSet<Measure>, &str)> = BTreeMap::new();
    for (measure, id, name) in old.facilities() {
        by_id
            .entry(id)
            .or_insert((BTreeSet::new(), name))
            .0
            .insert(measure);
    }
    let mut findings = Vec::new();
    for (id, (measures, name)) in by_id {
        if new_ids.contains(id) || explained.contains(id) {
            continue;
        }
        let labels: Vec<&str> = measures.iter().map(|m| m.label()).collect();
        findings.push(Finding {
            kind: FindingKind::FacilityDisappeared,
            state_party: new.state_party.clone(),
            year: new.reporting_year,
            measure: measures.iter().next().copied(),
            facility_id: Some(id.clone()),
            message: format!(
                "facility {id} ({name}), declared in {} in the {} return, is not declared in the {} return and no explanation is given",
                labels.join(", "),
                old.reporting_year,
                new.reporting_year
            ),
        });
    }
    findings
}

/// Replaces arrays of objects carrying a `facility_id` by objects keyed by
/// that id, so facilities are compared as themselves, not by position.
fn keyed(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), keyed(v))).collect())
        }
        Value::Array(items) => {
            let ids: Vec<Option<&str>> = items
                .iter()
                .map(|item| item.get("facility_id").and_then(Value::as_str))
                .collect();
            let unique: BTreeSet<&str> = ids.iter().flatten().copied().collect();
            if !items.is_empty() && ids.iter().all(Option::is_some) && unique.len() == items.len() {
                Value::Object(
                    items
                        .iter()
                        .zip(ids)
                        .map(|(item, id)| (id.unwrap_or_default().to_owned(), keyed(item)))
                        .collect(),
                )
            } else {
                Value::Array(items.iter().map(keyed).collect())
            }
        }
        other => other.clone(),
    }
}

fn facility_of(path: &str) -> Option<FacilityId> {
    path.split('/')
        .find_map(|segment| FacilityId::new(segment).ok())
}

fn diff_form(measure: Measure, old: &Value, new: &Value, path: &str, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = pointer_push(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_form(measure, x, y, &child, out),
                    (Some(x), None) => {
                        out.push(change(measure, &child, ChangeKind::Removed, Some(x), None))
                    }
                    (None, Some(y)) => {
                        out.push(change(measure, &child, ChangeKind::Added, None, Some(y)))
                    }
                    (None, None) => {}
                }
            }
        }
        (Value::Null, Value::Null) => {}
        (Value::Null, y) => out.push(change(measure, path, ChangeKind::Added, None, Some(y))),
        (x, Value::Null) => out.push(change(measure, path, ChangeKind::Removed, Some(x), None)),
        (x, y) if x != y => out.push(change(measure, path, ChangeKind::Changed, Some(x), Some(y))),
        _ => {}
    }
}

fn change(
    measure: Measure,
    path: &str,
    kind: ChangeKind,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Change {
    Change {
        measure,
        facility_id: facility_of(path),
        kind,
        path: path.to_owned(),
        old: old.cloned(),
        new: new.cloned(),
    }
}

/// The comparison of a State Party's returns over several years.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub state_party: StatePartyCode,
    /// The reporting years present, ascending.
    pub years: Vec<i32>,
    /// One comparison per pair of consecutive returns present.
    pub diffs: Vec<Diff>,
    /// Findings over the whole history: missing years, duplicate years,
    /// "nothing new" pointing to a year without a declaration.
    pub findings: Vec<Finding>,
}

/// Compares the returns of one State Party over several years. The returns
/// may come in any order; returns of other States Parties than the first
/// are ignored (call once per State Party).
pub fn diff_history(submissions: &[Submission]) -> Option<History> {
    let state_party = submissions.first()?.state_party.clone();
    let mut mine: Vec<&Submission> = submissions
        .iter()
        .filter(|s| s.state_party == state_party)
        .collect();
    mine.sort_by_key(|s| (s.reporting_year, s.submitted));
    let mut findings = Vec::new();
    let mut by_year: BTreeMap<i32, &Submission> = BTreeMap::new();
    for submission in &mine {
        if by_year
            .insert(submission.reporting_year, submission)
            .is_some()
        {
            findings.push(Finding {
                kind: FindingKind::DuplicateYear,
                state_party: state_party.clone(),
                year: submission.reporting_year,
                measure: None,
                facility_id: None,
                message: format!(
                    "two returns cover {}; the later-submitted one is used",
                    submission.reporting_year
                ),
            });
        }
    }
    let years: Vec<i32> = by_year.keys().copied().collect();
    for pair in years.windows(2) {
        // One finding per gap, however long (years are untrusted input).
        let (first, last) = (i64::from(pair[0]) + 1, i64::from(pair[1]) - 1);
        if first <= last {
            let span = if first == last {
                format!("no return covers {first}")
            } else {
                format!("no returns cover {first}–{last}")
            };
            findings.push(Finding {
                kind: FindingKind::YearMissing,
                state_party: state_party.clone(),
                year: pair[0].saturating_add(1),
                measure: None,
                facility_id: None,
                message: format!("{span} (returns exist for {} and {})", pair[0], pair[1]),
            });
        }
    }
    for submission in by_year.values() {
        for measure in Measure::ALL {
            let status = submission.form_0_status(measure);
            let Some(year) = status.year_of_last_declaration else {
                continue;
            };
            if !status.nothing_new_to_declare {
                continue;
            }
            let declared = by_year.get(&year).is_some_and(|earlier| {
                earlier.forms.is_filled(measure)
                    || earlier.forms.form_value(measure) != Value::Null
                    || earlier.form_0_status(measure).nothing_to_declare
            });
            if !declared {
                let reason = if by_year.contains_key(&year) {
                    format!("the {year} return does not declare {}", measure.label())
                } else {
                    format!("there is no {year} return")
                };
                findings.push(Finding {
                    kind: FindingKind::NothingNewUnknownYear,
                    state_party: state_party.clone(),
                    year: submission.reporting_year,
                    measure: Some(measure),
                    facility_id: None,
                    message: format!(
                        "{}: \"nothing new to declare\" since {year}, but {reason}",
                        measure.label()
                    ),
                });
            }
        }
    }
    let mut diffs = Vec::new();
    let mut previous: Option<Submission> = None;
    for submission in by_year.values() {
        previous = Some(match previous {
            None => (*submission).clone(),
            Some(earlier) => {
                diffs.push(diff(&earlier, submission));
                carry_over(&earlier, submission)
            }
        });
    }
    findings.sort_by_key(|a| (a.year, a.kind));
    Some(History {
        state_party,
        years,
        diffs,
        findings,
    })
}
