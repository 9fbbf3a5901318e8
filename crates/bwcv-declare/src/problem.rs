//! Problems found in a submission: where (JSON pointer), which rule, how bad.

use serde::{Serialize, Serializer};

/// How serious a problem is. A submission with any `Error` is invalid; a
/// `Warning` is reported but does not make it invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! rules {
    ($( $(#[doc = $doc:literal])* $variant:ident = $id:literal, $severity:ident; )*) => {
        /// The rules a submission is checked against. Each has a stable id
        /// (`form0.both_ticked`) that tools and tests may rely on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable rule id.
            pub fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            /// How serious a breach of the rule is.
            pub fn severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// One sentence saying what the rule requires.
            pub fn description(self) -> &'static str {
                match self { $( Rule::$variant => concat!($($doc),*).trim_ascii(), )* }
            }
        }
    };
}

rules! {
    /// The file is valid JSON.
    ParseSyntax = "parse.syntax", Error;
    /// The JSON has the structure of a submission (fields, types, identifiers).
    ParseStructure = "parse.structure", Error;
    /// No Form D: measure D was deleted by the Seventh Review Conference (2011).
    FormDDeleted = "form_d.deleted", Error;
    /// `format_version` is a version this bwcv reads.
    SubmissionFormatVersion = "submission.format_version", Error;
    /// A return is submitted after the end of the year it covers.
    SubmissionBeforeYearEnd = "submission.submitted_before_year_end", Error;
    /// Every return carries Form 0.
    Form0Missing = "form0.missing", Error;
    /// A measure is not marked both "nothing to declare" and "nothing new to declare".
    Form0BothTicked = "form0.both_ticked", Error;
    /// "Nothing new to declare" gives the year of the last declaration.
    Form0NothingNewWithoutYear = "form0.nothing_new_without_year", Error;
    /// A year of last declaration is only given with "nothing new to declare".
    Form0YearWithoutNothingNew = "form0.year_without_nothing_new", Warning;
    /// The year of last declaration lies within the validity window (parameter cbm.validity_years_last_declaration).
    Form0YearOutOfRange = "form0.year_out_of_range", Error;
    /// The year of last declaration is earlier than the reporting year.
    Form0YearNotBefore = "form0.year_not_before_reporting_year", Error;
    /// A measure marked "nothing to declare" has no filled-in form.
    Form0NothingToDeclareButFilled = "form0.nothing_to_declare_but_filled", Error;
    /// Every measure is either declared on its form or marked on Form 0.
    Form0MeasureUnanswered = "form0.measure_unanswered", Warning;
    /// A facility identifier appears once per form.
    FacilityDuplicateId = "facility.duplicate_id", Error;
    /// A facility identifier starts with the submitting State Party's code.
    FacilityForeignId = "facility.foreign_id", Error;
    /// One facility identifier carries one name across the forms of a return.
    FacilityNameMismatch = "facility.name_mismatch", Warning;
    /// A required text field is not empty.
    FieldEmpty = "field.empty", Error;
    /// Areas, personnel numbers, case numbers and funding are not negative.
    NumberNegative = "number.negative", Error;
    /// A percentage lies between 0 and 100.
    NumberPercentRange = "number.percent_range", Error;
    /// Coordinates are latitude -90..90 and longitude -180..180.
    NumberCoordinates = "number.coordinates", Error;
    /// A named micro-organism or toxin is on the controlled lists.
    AgentNotListed = "agent.not_listed", Error;
    /// A named micro-organism or toxin names exactly one list entry.
    AgentAmbiguous = "agent.ambiguous", Error;
    /// A Form A part 1 (i) facility has at least one BL4 unit.
    A1NoBsl4Unit = "a1.no_bsl4_unit", Error;
    /// Form A part 1 (ii) is used only when there is no BSL-4 facility.
    A1HighestLevelWithBsl4 = "a1.highest_level_with_bsl4", Error;
    /// A facility marked "Declared in accordance with Form A, part 2 (iii)" is declared there.
    A1MissingFromA2iii = "a1.missing_from_a2iii", Error;
    /// A Form A part 1 facility that is also in Form A part 2 (iii) carries the mark.
    A1A2iiiMarkMissing = "a1.a2iii_mark_missing", Warning;
    /// Form A part 2 (i) "no" comes without programme descriptions or facilities.
    A2iNoButDescribed = "a2i.no_but_described", Error;
    /// Form A part 2 (i) "yes" comes with Form A part 2 (ii) (or "nothing new").
    A2iYesButNotDescribed = "a2i.yes_but_not_described", Error;
    /// A contracted share is only given when work is contracted out.
    A2iiShareWithoutContract = "a2ii.share_without_contract", Error;
    /// Work contracted out states the proportion of funds (question 4).
    A2iiShareMissing = "a2ii.share_missing", Warning;
    /// The amounts of the funding sources do not exceed the total funding.
    A2iiSourcesExceedTotal = "a2ii.sources_exceed_total", Error;
    /// Each facility of a programme is declared in Form A part 2 (iii).
    A2iiFacilityNotDeclared = "a2ii.facility_not_declared", Error;
    /// Each Form A part 2 (iii) facility belongs to a programme of Form A part 2 (ii).
    A2iiiNotInProgramme = "a2iii.not_in_programme", Warning;
    /// A Form A part 2 (iii) facility with BL4 floor area is declared in Form A part 1 (i).
    A2iiiBsl4MissingFromA1 = "a2iii.bsl4_missing_from_a1", Error;
    /// The BL4 floor area in Form A part 2 (iii) does not exceed the BL4 units of Form A part 1.
    A2iiiBsl4ExceedsA1 = "a2iii.bsl4_exceeds_a1", Warning;
    /// BL2 + BL3 + BL4 floor areas do not exceed the total laboratory floor area.
    A2iiiFloorAreaSum = "a2iii.floor_area_sum", Error;
    /// Military + civilian personnel equal the total personnel.
    A2iiiPersonnelDivisionSum = "a2iii.personnel_division_sum", Error;
    /// Scientists + engineers + technicians + administrative and support staff equal the total.
    A2iiiPersonnelCategorySum = "a2iii.personnel_category_sum", Error;
    /// Primary cases do not exceed total cases.
    BPrimaryExceedsTotal = "b.primary_exceeds_total", Error;
    /// Deaths do not exceed total cases.
    BDeathsExceedTotal = "b.deaths_exceed_total", Error;
    /// An outbreak was known in the reporting year (time of cognizance).
    BOutsideReportingYear = "b.outside_reporting_year", Warning;
    /// A row marked "amended since last year" has legislation, regulations or other measures.
    EAmendedWithoutMeasure = "e.amended_without_measure", Error;
    /// A row with legislation, regulations or other measures gives references.
    EReferencesMissing = "e.references_missing", Warning;
    /// Form F periods start on or after 1 January 1946.
    FPeriodBefore1946 = "f.period_before_1946", Error;
    /// A period does not end before it starts.
    FPeriodReversed = "f.period_reversed", Error;
    /// A past period does not start after the reporting year.
    FPeriodAfterReportingYear = "f.period_after_reporting_year", Error;
    /// Periods are only given for programmes marked "yes".
    FPeriodsWithoutConducted = "f.periods_without_conducted", Error;
    /// A programme marked "yes" gives its period(s) of activities.
    FConductedWithoutPeriod = "f.conducted_without_period", Warning;
    /// A past offensive programme has ended (it has an end year).
    FOffensiveNotEnded = "f.offensive_not_ended", Error;
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// One problem: where, which rule, what exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON pointer (RFC 6901) of the offending value, e.g.
    /// `/forms/form_0/measures/a_part_1`; `""` is the whole document.
    pub path: String,
    pub rule: Rule,
    pub severity: Severity,
    /// What is wrong, for a person.
    pub message: String,
    /// Line (1-based) in the file, for parse problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column (1-based) in the file, for parse problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Problem {
    pub fn new(path: impl Into<String>, rule: Rule, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            rule,
            severity: rule.severity(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// Whether any of `problems` is an error.
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// Appends one JSON-pointer segment, escaping `~` and `/` (RFC 6901 §3).
pub fn pointer_push(base: &str, segment: &str) -> String {
    let escaped = segment.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}
