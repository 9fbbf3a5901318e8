//! The Secretariat's overview of one reporting year: who submitted what and
//! when, how complete each return is per form, and the consistency flags
//! that validation ([`crate::validate`]) and comparison ([`crate::diff`])
//! raise over each State Party's record.
//!
//! Pure: it takes the returns, the roster of States Parties, the parameter
//! set, the lists and the "as of" date, and records the engine version,
//! parameter-set digest and list versions it used, so that anyone can re-run
//! it and get the same result.

use std::collections::BTreeMap;

use bwcv_core::StatePartyCode;
use bwcv_core::lists::Catalogue;
use bwcv_core::params::{ParamError, ParameterSet};
use chrono::NaiveDate;
use serde::Serialize;

use crate::diff::diff_history;
use crate::model::{Measure, Submission};
use crate::problem::Severity;
use crate::validate::{Context, validate};

/// A State Party of the roster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StateParty {
    pub code: StatePartyCode,
    pub name: String,
}

/// Why an overview could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OverviewError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("parameter cbm.deadline ({month:02}-{day:02}) is not a date in {year}")]
    Deadline { year: i32, month: u8, day: u8 },
}

/// Where a return stands with respect to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Submitted on or before the deadline.
    OnTime,
    /// Submitted after the deadline.
    Late,
    /// Not submitted, and the deadline has passed.
    Overdue,
    /// Not submitted, the deadline has not passed yet.
    NotYetDue,
    /// A draft without submission date.
    Draft,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::OnTime => "on_time",
            SubmissionStatus::Late => "late",
            SubmissionStatus::Overdue => "overdue",
            SubmissionStatus::NotYetDue => "not_yet_due",
            SubmissionStatus::Draft => "draft",
        }
    }
}

/// How a return answers one measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FormStatus {
    /// The form is filled in.
    Declared,
    /// Form 0: nothing to declare.
    NothingToDeclare,
    /// Form 0: nothing new to declare since the given year.
    NothingNew { since: Option<i32> },
    /// Not applicable (Form A part 2 (ii)/(iii) when part 2 (i) says "no").
    NotApplicable,
    /// Neither filled in nor marked on Form 0.
    Missing,
}

impl FormStatus {
    /// Short label for tables: `declared`, `nothing`, `nothing_new:2021`, `n/a`, `missing`.
    pub fn label(self) -> String {
        match self {
            FormStatus::Declared => "declared".into(),
            FormStatus::NothingToDeclare => "nothing".into(),
            FormStatus::NothingNew { since: Some(year) } => format!("nothing_new:{year}"),
            FormStatus::NothingNew { since: None } => "nothing_new".into(),
            FormStatus::NotApplicable => "n/a".into(),
            FormStatus::Missing => "missing".into(),
        }
    }

    /// Whether the measure is answered (anything but missing).
    pub fn is_answered(self) -> bool {
        self != FormStatus::Missing
    }
}

/// Which check raised a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagSource {
    /// A rule of [`crate::validate`].
    Validation,
    /// A comparison of consecutive returns or of the history ([`crate::diff`]).
    Comparison,
    /// The deadline (parameter `cbm.deadline`).
    Deadline,
}

impl FlagSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagSource::Validation => "validation",
            FlagSource::Comparison => "comparison",
            FlagSource::Deadline => "deadline",
        }
    }
}

/// One consistency flag on a State Party's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub source: FlagSource,
    /// The reporting year of the return concerned.
    pub year: i32,
    /// Stable rule or finding id (`form0.both_ticked`, `diff.facility_disappeared`, `deadline.late`).
    pub rule: String,
    pub severity: Severity,
    /// JSON pointer into the return, for validation flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

/// One row of the overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateOverview {
    pub code: StatePartyCode,
    pub name: String,
    /// Submission date of the year's return, if any.
    pub submitted: Option<NaiveDate>,
    pub status: SubmissionStatus,
    /// Days after the deadline, for late returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_late: Option<i64>,
    /// Per measure, how the year's return answers it (empty without a return).
    pub forms: BTreeMap<Measure, FormStatus>,
    /// Measures answered, of the nine of Form 0 (0 without a return).
    pub answered: usize,
    /// Errors and warnings of validation for the year's return.
    pub errors: usize,
    pub warnings: usize,
    /// Every flag on the record up to and including the year, oldest first.
    pub flags: Vec<Flag>,
}

/// What the overview was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// `bwcv-declare <version>`.
    pub engine: String,
    pub parameter_set: String,
    pub parameter_version: String,
    /// SHA-256 of the parameter set's canonical form.
    pub parameter_digest: String,
    /// `cbm.deadline` as `MM-DD`.
    pub deadline_month_day: String,
    /// `cbm.validity_years_last_declaration`.
    pub validity_years: i64,
    /// Lists used for agent names: `id@version_date`.
    pub lists: Vec<String>,
}

/// The Secretariat's overview of one reporting year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub year: i32,
    pub as_of: NaiveDate,
    /// The deadline for the year's returns.
    pub deadline: NaiveDate,
    pub provenance: Provenance,
    /// One row per State Party, by code.
    pub states: Vec<StateOverview>,
}

/// Builds the overview of reporting `year` as of `as_of`. Returns submitted
/// after `as_of` are treated as not yet received. States Parties that appear
/// in `submissions` but not in `roster` are added (with an empty name).
pub fn build(
    submissions: &[Submission],
    roster: &[StateParty],
    params: &ParameterSet,
    catalogue: &Catalogue,
    year: i32,
    as_of: NaiveDate,
) -> Result<Overview, OverviewError> {
    let context = Context::from_params(params, catalogue)?;
    let (month, day) = params.month_day("cbm.deadline")?;
    // None for years without a calendar date (untrusted reporting years).
    let deadline_of = |reporting_year: i32| {
        let due_year = reporting_year.checked_add(1)?;
        NaiveDate::from_ymd_opt(due_year, u32::from(month), u32::from(day))
    };
    let deadline = deadline_of(year).ok_or(OverviewError::Deadline {
        year: year.saturating_add(1),
        month,
        day,
    })?;
    let mut names: BTreeMap<StatePartyCode, String> = roster
        .iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let received: Vec<&Submission> = submissions
        .iter()
        .filter(|s| s.submitted.is_none_or(|d| d <= as_of) && s.reporting_year <= year)
        .collect();
    let mut by_state: BTreeMap<StatePartyCode, Vec<Submission>> = BTreeMap::new();
    for submission in &received {
        names.entry(submission.state_party.clone()).or_default();
        by_state
            .entry(submission.state_party.clone())
            .or_default()
            .push((*submission).clone());
    }
    let mut states = Vec::new();
    for (code, name) in names {
        let record = by_state.remove(&code).unwrap_or_default();
        let mut flags = Vec::new();
        let mut this_year: Option<&Submission> = None;
        for submission in &record {
            if submission.reporting_year == year {
                // With duplicates, the later-submitted return counts.
                if this_year.is_none_or(|t| t.submitted <= submission.submitted) {
                    this_year = Some(submission);
                }
            }
            for problem in validate(submission, &context) {
                flags.push(Flag {
                    source: FlagSource::Validation,
                    year: submission.reporting_year,
                    rule: problem.rule.id().to_owned(),
                    severity: problem.severity,
                    path: Some(problem.path),
                    message: problem.message,
                });
            }
            if let (Some(submitted), Some(due)) =
                (submission.submitted, deadline_of(submission.reporting_year))
                && submitted > due
            {
                flags.push(Flag {
                    source: FlagSource::Deadline,
                    year: submission.reporting_year,
                    rule: "deadline.late".into(),
                    severity: Severity::Warning,
                    path: None,
                    message: format!(
                        "submitted on {submitted}, {} day(s) after the deadline {due}",
                        (submitted - due).num_days()
                    ),
                });
            }
        }
        if let Some(history) = diff_history(&record) {
            let diff_findings = history.diffs.iter().flat_map(|d| d.findings.iter());
            for finding in history.findings.iter().chain(diff_findings) {
                flags.push(Flag {
                    source: FlagSource::Comparison,
                    year: finding.year,
                    rule: finding.kind.id().to_owned(),
                    severity: Severity::Warning,
                    path: None,
                    message: finding.message.clone(),
                });
            }
        }
        // Overdue returns of the year itself appear in `status`; earlier
        // missing years are history findings.
        flags.sort_by(|a, b| (a.year, a.source, &a.rule).cmp(&(b.year, b.source, &b.rule)));
        let (status, submitted, days_late) = match this_year {
            Some(s) => match s.submitted {
                None => (SubmissionStatus::Draft, None, None),
                Some(d) if d > deadline => (
                    SubmissionStatus::Late,
                    Some(d),
                    Some((d - deadline).num_days()),
                ),
                Some(d) => (SubmissionStatus::OnTime, Some(d), None),
            },
            None if as_of > deadline => (SubmissionStatus::Overdue, None, None),
            None => (SubmissionStatus::NotYetDue, None, None),
        };
        let forms: BTreeMap<Measure, FormStatus> = match this_year {
            Some(s) => Measure::ALL
                .into_iter()
                .map(|m| (m, form_status(s, m)))
                .collect(),
            None => BTreeMap::new(),
        };
        let (errors, warnings) = match this_year {
            Some(s) => {
                let problems = validate(s, &context);
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .count();
                (errors, problems.len() - errors)
            }
            None => (0, 0),
        };
        states.push(StateOverview {
            code,
            name,
            submitted,
            status,
            days_late,
            answered: forms.values().filter(|f| f.is_answered()).count(),
            forms,
            errors,
            warnings,
            flags,
        });
    }
    Ok(Overview {
        year,
        as_of,
        deadline,
        provenance: Provenance {
            engine: format!("bwcv-declare {}", env!("CARGO_PKG_VERSION")),
            parameter_set: params.name().to_owned(),
            parameter_version: params.version().to_owned(),
            parameter_digest: params.digest(),
            deadline_month_day: format!("{month:02}-{day:02}"),
            validity_years: context.validity_years,
            lists: catalogue
                .lists()
                .iter()
                .map(|l| format!("{}@{}", l.id, l.version_date))
                .collect(),
        },
        states,
    })
}

/// How `submission` answers `measure`.
pub fn form_status(submission: &Submission, measure: Measure) -> FormStatus {
    let forms = &submission.forms;
    let present = match measure {
        Measure::APart2I => forms.a_part_2_i.is_some(),
        Measure::C => forms.c.is_some(),
        Measure::E => forms.e.is_some(),
        Measure::F => forms.f.is_some(),
        other => forms.is_filled(other),
    };
    let status = submission.form_0_status(measure);
    if present {
        FormStatus::Declared
    } else if status.nothing_to_declare {
        FormStatus::NothingToDeclare
    } else if status.nothing_new_to_declare {
        FormStatus::NothingNew {
            since: status.year_of_last_declaration,
        }
    } else if matches!(measure, Measure::APart2Ii | Measure::APart2Iii)
        && forms
            .a_part_2_i
            .as_ref()
            .is_some_and(|f| !f.programme_exists)
    {
        FormStatus::NotApplicable
    } else {
        FormStatus::Missing
    }
}
