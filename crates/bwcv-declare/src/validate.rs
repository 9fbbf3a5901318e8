//! Checking one submission against the rules of the forms: every problem
//! at once, each with its JSON path and rule ([`crate::problem::Rule`]).
//!
//! Validation establishes facts about the paperwork (a sum that does not
//! add up, a box ticked twice, an agent that is not on the lists). It never
//! judges the State Party.

use std::collections::{BTreeMap, BTreeSet};

use bwcv_core::FacilityId;
use bwcv_core::lists::{Catalogue, Lookup};
use bwcv_core::params::{ParamError, ParameterSet};
use chrono::Datelike;

use crate::model::*;
use crate::problem::{Problem, Rule, pointer_push};

/// First year Form F covers: "past activities ... since 1 January 1946"
/// (CBM Form F title; part of the form's definition, not a tunable).
pub const FORM_F_FIRST_YEAR: i32 = 1946;

/// Tolerance for sums of decimal areas and amounts (m², currency units).
const SUM_TOLERANCE: f64 = 0.005;

/// What validation needs besides the submission: the controlled lists and
/// the protocol parameters it applies.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The controlled lists agents are looked up in.
    pub catalogue: &'a Catalogue,
    /// Parameter `cbm.validity_years_last_declaration`: how many years back
    /// Form 0's "year of last declaration" may point.
    pub validity_years: i64,
}

impl<'a> Context<'a> {
    /// The context of the parameter set `params` (reads
    /// `cbm.validity_years_last_declaration`) and the lists `catalogue`.
    pub fn from_params(
        params: &ParameterSet,
        catalogue: &'a Catalogue,
    ) -> Result<Self, ParamError> {
        Ok(Context {
            catalogue,
            validity_years: params.integer("cbm.validity_years_last_declaration")?,
        })
    }

    /// The built-in lists and parameter set.
    pub fn builtin() -> Result<Context<'static>, ParamError> {
        Context::from_params(ParameterSet::builtin(), Catalogue::builtin())
    }
}

/// Checks `submission` and returns every problem found, in document order.
pub fn validate(submission: &Submission, context: &Context<'_>) -> Vec<Problem> {
    let mut checker = Checker {
        submission,
        context,
        problems: Vec::new(),
        agent_answers: BTreeMap::new(),
    };
    checker.submission_level();
    checker.form_0();
    checker.facility_ids();
    checker.a_part_1();
    checker.a_part_2();
    checker.b();
    checker.c();
    checker.e();
    checker.f();
    checker.g();
    checker.problems
}

struct Checker<'s, 'c> {
    submission: &'s Submission,
    context: &'c Context<'c>,
    problems: Vec<Problem>,
    /// Look-up answers by agent name: a return may repeat a name many times.
    agent_answers: BTreeMap<String, Option<(Rule, String)>>,
}

/// The problem with agent `name`, if any: not on the lists, or ambiguous.
fn look_up(catalogue: &Catalogue, name: &str) -> Option<(Rule, String)> {
    match catalogue.find(name) {
        Lookup::Unique(_) => None,
        Lookup::Ambiguous(candidates) => {
            let names: Vec<&str> = candidates.iter().map(|e| e.name.as_str()).collect();
            Some((
                Rule::AgentAmbiguous,
                format!(
                    "ambiguous agent name {name:?}: it matches {} list entries ({}); give the exact name or NCBI taxid",
                    names.len(),
                    names.join("; ")
                ),
            ))
        }
        Lookup::NotFound { suggestions } => {
            let message = if suggestions.is_empty() {
                format!("agent {name:?} is not on the controlled lists")
            } else {
                let names: Vec<&str> = suggestions.iter().map(|e| e.name.as_str()).collect();
                format!(
                    "agent {name:?} is not on the controlled lists (close spellings: {})",
                    names.join("; ")
                )
            };
            Some((Rule::AgentNotListed, message))
        }
    }
}

fn at(base: &str, segments: &[&str]) -> String {
    segments.iter().fold(base.to_owned(), |path, segment| {
        pointer_push(&path, segment)
    })
}

impl Checker<'_, '_> {
    fn push(&mut self, path: String, rule: Rule, message: String) {
        self.problems.push(Problem::new(path, rule, message));
    }

    fn nothing_new(&self, measure: Measure) -> bool {
        self.submission
            .form_0_status(measure)
            .nothing_new_to_declare
    }

    fn text(&mut self, value: &str, path: String, what: &str) {
        if value.trim().is_empty() {
            self.push(path, Rule::FieldEmpty, format!("{what} is empty"));
        }
    }

    fn non_negative(&mut self, value: f64, path: String, what: &str) {
        if value < 0.0 {
            self.push(
                path,
                Rule::NumberNegative,
                format!("{what} is negative ({value})"),
            );
        }
    }

    fn non_negative_count(&mut self, value: i64, path: String, what: &str) {
        if value < 0 {
            self.push(
                path,
                Rule::NumberNegative,
                format!("{what} is negative ({value})"),
            );
        }
    }

    fn percent(&mut self, value: Option<f64>, path: String, what: &str) {
        if let Some(value) = value
            && !(0.0..=100.0).contains(&value)
        {
            self.push(
                path,
                Rule::NumberPercentRange,
                format!("{what} is {value}%, outside 0–100%"),
            );
        }
    }

    fn agent(&mut self, name: &str, path: String) {
        if name.trim().is_empty() {
            self.push(path, Rule::FieldEmpty, "agent name is empty".into());
            return;
        }
        let answer = match self.agent_answers.get(name) {
            Some(answer) => answer.clone(),
            None => {
                let answer = look_up(self.context.catalogue, name);
                self.agent_answers.insert(name.to_owned(), answer.clone());
                answer
            }
        };
        if let Some((rule, message)) = answer {
            self.push(path, rule, message);
        }
    }

    fn funding_sources(&mut self, sources: &[FundingSource], base: &str) {
        for (index, source) in sources.iter().enumerate() {
            let i = index.to_string();
            self.text(
                &source.source,
                at(base, &[&i, "source"]),
                "funding source name",
            );
            if let Some(amount) = source.amount {
                self.non_negative(amount, at(base, &[&i, "amount"]), "funding amount");
            }
        }
    }

    fn submission_level(&mut self) {
        let submission = self.submission;
        if submission.format_version != FORMAT_VERSION {
            self.push(
                "/format_version".into(),
                Rule::SubmissionFormatVersion,
                format!(
                    "format_version {} is not supported: this bwcv reads version {FORMAT_VERSION}",
                    submission.format_version
                ),
            );
        }
        if let Some(submitted) = submission.submitted
            && submitted.year() <= submission.reporting_year
        {
            self.push(
                "/submitted".into(),
                Rule::SubmissionBeforeYearEnd,
                format!(
                    "submitted on {submitted}, before the end of the reporting year {}",
                    submission.reporting_year
                ),
            );
        }
    }

    fn form_0(&mut self) {
        let submission = self.submission;
        let Some(form_0) = &submission.forms.form_0 else {
            self.push(
                "/forms/form_0".into(),
                Rule::Form0Missing,
                "Form 0 (nothing to declare / nothing new to declare) is missing".into(),
            );
            return;
        };
        let reporting_year = i64::from(submission.reporting_year);
        let a2_answered_no = submission
            .forms
            .a_part_2_i
            .as_ref()
            .is_some_and(|f| !f.programme_exists);
        for measure in Measure::ALL {
            let status = form_0.measures.get(measure);
            let path = at("/forms/form_0/measures", &[measure.key()]);
            let label = measure.label();
            if status.nothing_to_declare && status.nothing_new_to_declare {
                self.push(
                    path.clone(),
                    Rule::Form0BothTicked,
                    format!("{label}: both \"nothing to declare\" and \"nothing new to declare\" are ticked"),
                );
            }
            match (status.nothing_new_to_declare, status.year_of_last_declaration) {
                (true, None) => self.push(
                    at(&path, &["year_of_last_declaration"]),
                    Rule::Form0NothingNewWithoutYear,
                    format!("{label}: \"nothing new to declare\" is ticked without the year of last declaration"),
                ),
                (false, Some(year)) => self.push(
                    at(&path, &["year_of_last_declaration"]),
                    Rule::Form0YearWithoutNothingNew,
                    format!("{label}: year of last declaration {year} is given but \"nothing new to declare\" is not ticked"),
                ),
                _ => {}
            }
            if let Some(year) = status.year_of_last_declaration {
                let year = i64::from(year);
                let oldest = reporting_year - self.context.validity_years;
                if year >= reporting_year {
                    self.push(
                        at(&path, &["year_of_last_declaration"]),
                        Rule::Form0YearNotBefore,
                        format!("{label}: year of last declaration {year} is not before the reporting year {reporting_year}"),
                    );
                } else if year < oldest {
                    self.push(
                        at(&path, &["year_of_last_declaration"]),
                        Rule::Form0YearOutOfRange,
                        format!(
                            "{label}: year of last declaration {year} is more than {} years before the reporting year {reporting_year} (earliest accepted: {oldest})",
                            self.context.validity_years
                        ),
                    );
                }
            }
            let filled = submission.forms.is_filled(measure);
            if status.nothing_to_declare && filled {
                self.push(
                    at("/forms", &[measure.key()]),
                    Rule::Form0NothingToDeclareButFilled,
                    format!(
                        "{label}: Form 0 says \"nothing to declare\" but the form is filled in"
                    ),
                );
            }
            let present = match measure {
                Measure::APart2I => submission.forms.a_part_2_i.is_some(),
                Measure::C => submission.forms.c.is_some(),
                Measure::E => submission.forms.e.is_some(),
                Measure::F => submission.forms.f.is_some(),
                _ => filled,
            };
            let not_applicable =
                matches!(measure, Measure::APart2Ii | Measure::APart2Iii) && a2_answered_no;
            if !present
                && !status.nothing_to_declare
                && !status.nothing_new_to_declare
                && !not_applicable
            {
                self.push(
                    path,
                    Rule::Form0MeasureUnanswered,
                    format!("{label}: the form is not filled in and Form 0 marks neither \"nothing to declare\" nor \"nothing new to declare\""),
                );
            }
        }
    }

    /// Duplicates within a form, identifiers of another State Party, and one
    /// identifier with different names.
    fn facility_ids(&mut self) {
        let submission = self.submission;
        let forms = &submission.forms;
        let mut lists: Vec<Vec<(String, &FacilityId, &str)>> = Vec::new();
        if let Some(a1) = &forms.a_part_1 {
            let mut list = Vec::new();
            for (i, f) in a1.maximum_containment.iter().enumerate() {
                list.push((
                    at(
                        "/forms/a_part_1/maximum_containment",
                        &[&i.to_string(), "facility_id"],
                    ),
                    &f.facility_id,
                    f.name.as_str(),
                ));
            }
            if let Some(f) = &a1.highest_biosafety_level {
                list.push((
                    "/forms/a_part_1/highest_biosafety_level/facility_id".into(),
                    &f.facility_id,
                    f.name.as_str(),
                ));
            }
            lists.push(list);
        }
        if let Some(a2) = &forms.a_part_2_iii {
            lists.push(
                a2.facilities
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        (
                            at(
                                "/forms/a_part_2_iii/facilities",
                                &[&i.to_string(), "facility_id"],
                            ),
                            &f.facility_id,
                            f.name.as_str(),
                        )
                    })
                    .collect(),
            );
        }
        if let Some(g) = &forms.g {
            lists.push(
                g.facilities
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        (
                            at("/forms/g/facilities", &[&i.to_string(), "facility_id"]),
                            &f.facility_id,
                            f.name.as_str(),
                        )
                    })
                    .collect(),
            );
        }
        let mut names: BTreeMap<&FacilityId, (&str, String)> = BTreeMap::new();
        for list in &lists {
            let mut seen: BTreeMap<&FacilityId, &str> = BTreeMap::new();
            for (path, id, name) in list {
                if let Some(first) = seen.get(id) {
                    self.push(
                        path.clone(),
                        Rule::FacilityDuplicateId,
                        format!("facility {id} appears twice in this form (first as {first:?})"),
                    );
                } else {
                    seen.insert(id, name);
                }
                if id.state_party() != submission.state_party {
                    self.push(
                        path.clone(),
                        Rule::FacilityForeignId,
                        format!(
                            "facility {id} carries the code of State Party {}, not of the submitting State Party {}",
                            id.state_party(),
                            submission.state_party
                        ),
                    );
                }
                match names.get(id) {
                    Some((first_name, first_path))
                        if !first_name.trim().eq_ignore_ascii_case(name.trim()) =>
                    {
                        self.push(
                            path.clone(),
                            Rule::FacilityNameMismatch,
                            format!("facility {id} is named {name:?} here but {first_name:?} at {first_path}"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        names.insert(id, (name, path.clone()));
                    }
                }
            }
        }
        for (p, programme) in forms
            .a_part_2_ii
            .iter()
            .flat_map(|f| f.programmes.iter())
            .enumerate()
        {
            for (i, id) in programme.facilities.iter().enumerate() {
                if id.state_party() != submission.state_party {
                    self.push(
                        at(
                            "/forms/a_part_2_ii/programmes",
                            &[&p.to_string(), "facilities", &i.to_string()],
                        ),
                        Rule::FacilityForeignId,
                        format!(
                            "facility {id} carries the code of State Party {}, not of the submitting State Party {}",
                            id.state_party(),
                            submission.state_party
                        ),
                    );
                }
            }
        }
    }

    fn research_facility(&mut self, facility: &ResearchFacility, base: &str) {
        self.text(&facility.name, at(base, &["name"]), "1. name of facility");
        self.text(
            &facility.responsible_organisation,
            at(base, &["responsible_organisation"]),
            "2. responsible organisation",
        );
        self.text(
            &facility.location,
            at(base, &["location"]),
            "3. location and postal address",
        );
        self.text(
            &facility.financing.sources,
            at(base, &["financing", "sources"]),
            "4. sources of financing",
        );
        self.text(
            &facility.scope,
            at(base, &["scope"]),
            "6. scope and general description of activities",
        );
        for (i, unit) in facility.containment_units.iter().enumerate() {
            self.non_negative(
                unit.area_m2,
                at(base, &["containment_units", &i.to_string(), "area_m2"]),
                "containment unit size",
            );
        }
        for (i, agent) in facility.agents.iter().enumerate() {
            self.agent(agent, at(base, &["agents", &i.to_string()]));
        }
    }

    fn a_part_1(&mut self) {
        let forms = &self.submission.forms;
        let Some(a1) = &forms.a_part_1 else {
            return;
        };
        let a2iii_ids: BTreeSet<&FacilityId> = forms
            .a_part_2_iii
            .iter()
            .flat_map(|f| f.facilities.iter().map(|d| &d.facility_id))
            .collect();
        let a2iii_carried_over = self.nothing_new(Measure::APart2Iii);
        let all = a1
            .maximum_containment
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    at("/forms/a_part_1/maximum_containment", &[&i.to_string()]),
                    f,
                )
            })
            .chain(
                a1.highest_biosafety_level
                    .iter()
                    .map(|f| ("/forms/a_part_1/highest_biosafety_level".to_owned(), f)),
            );
        for (base, facility) in all {
            self.research_facility(facility, &base);
            let in_a2iii = a2iii_ids.contains(&facility.facility_id);
            if facility.declared_in_a_part_2_iii && !in_a2iii && !a2iii_carried_over {
                self.push(
                    at(&base, &["declared_in_a_part_2_iii"]),
                    Rule::A1MissingFromA2iii,
                    format!(
                        "facility {} is marked \"Declared in accordance with Form A, part 2 (iii)\" but Form A part 2 (iii) does not declare it",
                        facility.facility_id
                    ),
                );
            }
            if !facility.declared_in_a_part_2_iii && in_a2iii {
                self.push(
                    at(&base, &["declared_in_a_part_2_iii"]),
                    Rule::A1A2iiiMarkMissing,
                    format!(
                        "facility {} is declared in Form A part 2 (iii) but not marked so here",
                        facility.facility_id
                    ),
                );
            }
        }
        for (i, facility) in a1.maximum_containment.iter().enumerate() {
            let has_bl4 = facility
                .containment_units
                .iter()
                .any(|u| u.level == BiosafetyLevel::Bl4);
            if !has_bl4 {
                self.push(
                    at(
                        "/forms/a_part_1/maximum_containment",
                        &[&i.to_string(), "containment_units"],
                    ),
                    Rule::A1NoBsl4Unit,
                    format!(
                        "facility {} is declared under Form A part 1 (i) (maximum containment) but lists no BL4 unit",
                        facility.facility_id
                    ),
                );
            }
        }
        if let Some(highest) = &a1.highest_biosafety_level {
            let has_bl4 = highest
                .containment_units
                .iter()
                .any(|u| u.level == BiosafetyLevel::Bl4);
            if !a1.maximum_containment.is_empty() || has_bl4 {
                self.push(
                    "/forms/a_part_1/highest_biosafety_level".into(),
                    Rule::A1HighestLevelWithBsl4,
                    "Form A part 1 (ii) is only for States Parties without a BSL-4 facility; BSL-4 facilities go in part 1 (i)".into(),
                );
            }
        }
    }

    fn a_part_2(&mut self) {
        let forms = &self.submission.forms;
        let programmes: &[DefenceProgramme] = forms
            .a_part_2_ii
            .as_ref()
            .map(|f| f.programmes.as_slice())
            .unwrap_or_default();
        let facilities: &[DefenceFacility] = forms
            .a_part_2_iii
            .as_ref()
            .map(|f| f.facilities.as_slice())
            .unwrap_or_default();
        if let Some(a2i) = &forms.a_part_2_i {
            if !a2i.programme_exists && (!programmes.is_empty() || !facilities.is_empty()) {
                self.push(
                    "/forms/a_part_2_i/programme_exists".into(),
                    Rule::A2iNoButDescribed,
                    "Form A part 2 (i) answers \"no\" (no national biological defence R&D programme) but Form A part 2 (ii) or (iii) describes programmes or facilities".into(),
                );
            }
            if a2i.programme_exists && programmes.is_empty() && !self.nothing_new(Measure::APart2Ii)
            {
                self.push(
                    "/forms/a_part_2_i/programme_exists".into(),
                    Rule::A2iYesButNotDescribed,
                    "Form A part 2 (i) answers \"yes\" but no programme is described in Form A part 2 (ii) and Form 0 does not mark it \"nothing new to declare\"".into(),
                );
            }
        }
        let a2iii_ids: BTreeSet<&FacilityId> = facilities.iter().map(|f| &f.facility_id).collect();
        let a2iii_carried_over = self.nothing_new(Measure::APart2Iii);
        for (p, programme) in programmes.iter().enumerate() {
            let base = at("/forms/a_part_2_ii/programmes", &[&p.to_string()]);
            self.text(&programme.name, at(&base, &["name"]), "programme name");
            self.text(
                &programme.objectives,
                at(&base, &["objectives"]),
                "1. objectives of the programme",
            );
            self.non_negative(
                programme.total_funding.amount,
                at(&base, &["total_funding", "amount"]),
                "2. total funding",
            );
            self.text(
                &programme.total_funding.currency,
                at(&base, &["total_funding", "currency"]),
                "2. currency of the total funding",
            );
            self.funding_sources(&programme.funding_sources, &at(&base, &["funding_sources"]));
            let stated: f64 = programme
                .funding_sources
                .iter()
                .filter_map(|s| s.amount)
                .filter(|a| *a > 0.0)
                .sum();
            if programme.total_funding.amount >= 0.0
                && stated > programme.total_funding.amount + SUM_TOLERANCE
            {
                self.push(
                    at(&base, &["funding_sources"]),
                    Rule::A2iiSourcesExceedTotal,
                    format!(
                        "the funding sources add up to {stated}, more than the total funding {}",
                        programme.total_funding.amount
                    ),
                );
            }
            self.percent(
                programme.ministry_of_defence_share_percent,
                at(&base, &["ministry_of_defence_share_percent"]),
                "the Ministry of Defence share",
            );
            self.percent(
                programme.contracted_share_percent,
                at(&base, &["contracted_share_percent"]),
                "4. the contracted share",
            );
            let contract_details = programme.contracted_share_percent.is_some_and(|s| s > 0.0)
                || programme
                    .contractor_summary
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty());
            if !programme.contracted_out && contract_details {
                self.push(
                    at(&base, &["contracted_out"]),
                    Rule::A2iiShareWithoutContract,
                    "3. says no work is contracted out, but 4./5. give a contracted share or contractor work".into(),
                );
            }
            if programme.contracted_out && programme.contracted_share_percent.is_none() {
                self.push(
                    at(&base, &["contracted_share_percent"]),
                    Rule::A2iiShareMissing,
                    "3. says work is contracted out, but 4. (proportion of total funds) is not given".into(),
                );
            }
            if !a2iii_carried_over {
                for (i, id) in programme.facilities.iter().enumerate() {
                    if !a2iii_ids.contains(id) {
                        self.push(
                            at(&base, &["facilities", &i.to_string()]),
                            Rule::A2iiFacilityNotDeclared,
                            format!("7. facility {id} of the programme is not declared in Form A part 2 (iii)"),
                        );
                    }
                }
            }
        }
        let in_programmes: BTreeSet<&FacilityId> = programmes
            .iter()
            .flat_map(|p| p.facilities.iter())
            .collect();
        let a1 = forms.a_part_1.as_ref();
        let a1_bl4: BTreeMap<&FacilityId, f64> = a1
            .iter()
            .flat_map(|f| f.maximum_containment.iter())
            .map(|f| {
                let area = f
                    .containment_units
                    .iter()
                    .filter(|u| u.level == BiosafetyLevel::Bl4 && u.area_m2 > 0.0)
                    .map(|u| u.area_m2)
                    .sum();
                (&f.facility_id, area)
            })
            .collect();
        let a1_carried_over = a1.is_none() && self.nothing_new(Measure::APart1);
        for (d, facility) in facilities.iter().enumerate() {
            let base = at("/forms/a_part_2_iii/facilities", &[&d.to_string()]);
            self.defence_facility(facility, &base);
            if !programmes.is_empty() && !in_programmes.contains(&facility.facility_id) {
                self.push(
                    at(&base, &["facility_id"]),
                    Rule::A2iiiNotInProgramme,
                    format!(
                        "facility {} is not listed under 7. of any programme in Form A part 2 (ii)",
                        facility.facility_id
                    ),
                );
            }
            let bl4 = facility.floor_area.bl4_m2;
            if bl4 > 0.0 && !a1_carried_over {
                match a1_bl4.get(&facility.facility_id) {
                    None => self.push(
                        at(&base, &["floor_area", "bl4_m2"]),
                        Rule::A2iiiBsl4MissingFromA1,
                        format!(
                            "facility {} has {bl4} m² of BL4 laboratory area but is not declared in Form A part 1 (i) (maximum containment)",
                            facility.facility_id
                        ),
                    ),
                    Some(units) if bl4 > units + SUM_TOLERANCE => self.push(
                        at(&base, &["floor_area", "bl4_m2"]),
                        Rule::A2iiiBsl4ExceedsA1,
                        format!(
                            "facility {} has {bl4} m² of BL4 area here but its BL4 units in Form A part 1 (i) add up to {units} m²",
                            facility.facility_id
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    fn defence_facility(&mut self, facility: &DefenceFacility, base: &str) {
        self.text(
            &facility.name,
            at(base, &["name"]),
            "1. name of the facility",
        );
        self.text(&facility.location, at(base, &["location"]), "2. location");
        if let Some(c) = facility.coordinates
            && (!(-90.0..=90.0).contains(&c.latitude) || !(-180.0..=180.0).contains(&c.longitude))
        {
            self.push(
                at(base, &["coordinates"]),
                Rule::NumberCoordinates,
                format!(
                    "coordinates ({}, {}) are outside latitude -90..90 / longitude -180..180",
                    c.latitude, c.longitude
                ),
            );
        }
        let area = facility.floor_area;
        let area_base = at(base, &["floor_area"]);
        for (key, value) in [
            ("bl2_m2", area.bl2_m2),
            ("bl3_m2", area.bl3_m2),
            ("bl4_m2", area.bl4_m2),
            ("total_laboratory_m2", area.total_laboratory_m2),
        ] {
            self.non_negative(value, at(&area_base, &[key]), "3. floor area");
        }
        let by_level = area.bl2_m2.max(0.0) + area.bl3_m2.max(0.0) + area.bl4_m2.max(0.0);
        if area.total_laboratory_m2 >= 0.0 && by_level > area.total_laboratory_m2 + SUM_TOLERANCE {
            self.push(
                at(&area_base, &["total_laboratory_m2"]),
                Rule::A2iiiFloorAreaSum,
                format!(
                    "3. BL2 + BL3 + BL4 = {by_level} m² exceeds the total laboratory floor area {} m²",
                    area.total_laboratory_m2
                ),
            );
        }
        let staff = &facility.personnel;
        let staff_base = at(base, &["personnel"]);
        for (key, value) in [
            ("total", staff.total),
            ("military", staff.military),
            ("civilian", staff.civilian),
            ("scientists", staff.scientists),
            ("engineers", staff.engineers),
            ("technicians", staff.technicians),
            (
                "administrative_and_support",
                staff.administrative_and_support,
            ),
        ] {
            self.non_negative_count(value, at(&staff_base, &[key]), "4. number of personnel");
        }
        if let Some(contractors) = staff.contractor_staff {
            self.non_negative_count(
                contractors,
                at(&staff_base, &["contractor_staff"]),
                "4 (v) number of contractor staff",
            );
        }
        let division = staff.military.saturating_add(staff.civilian);
        if division != staff.total {
            self.push(
                at(&staff_base, &["total"]),
                Rule::A2iiiPersonnelDivisionSum,
                format!(
                    "4 (ii) military {} + civilian {} = {division}, but 4 (i) total personnel is {}",
                    staff.military, staff.civilian, staff.total
                ),
            );
        }
        let categories = staff
            .scientists
            .saturating_add(staff.engineers)
            .saturating_add(staff.technicians)
            .saturating_add(staff.administrative_and_support);
        if categories != staff.total {
            self.push(
                at(&staff_base, &["total"]),
                Rule::A2iiiPersonnelCategorySum,
                format!(
                    "4 (iii) scientists + engineers + technicians + administrative and support staff = {categories}, but 4 (i) total personnel is {}",
                    staff.total
                ),
            );
        }
        self.funding_sources(&facility.funding_sources, &at(base, &["funding_sources"]));
        let levels = &facility.funding_levels;
        let levels_base = at(base, &["funding_levels"]);
        self.text(
            &levels.currency,
            at(&levels_base, &["currency"]),
            "4 (vii) currency",
        );
        for (key, value) in [
            ("research", levels.research),
            ("development", levels.development),
            ("test_and_evaluation", levels.test_and_evaluation),
        ] {
            self.non_negative(value, at(&levels_base, &[key]), "4 (vii) funding level");
        }
        self.text(
            &facility.publication_policy,
            at(base, &["publication_policy"]),
            "4 (viii) publication policy",
        );
        for (i, publication) in facility.publications.iter().enumerate() {
            self.text(
                &publication.title,
                at(base, &["publications", &i.to_string(), "title"]),
                "4 (ix) title of the publication",
            );
        }
        self.text(
            &facility.work_description,
            at(base, &["work_description"]),
            "5. description of the biological defence work",
        );
        for (i, agent) in facility.agents.iter().enumerate() {
            self.agent(agent, at(base, &["agents", &i.to_string()]));
        }
    }

    fn b(&mut self) {
        let Some(b) = &self.submission.forms.b else {
            return;
        };
        let reporting_year = self.submission.reporting_year;
        for (i, outbreak) in b.outbreaks.iter().enumerate() {
            let base = at("/forms/b/outbreaks", &[&i.to_string()]);
            self.text(&outbreak.location, at(&base, &["location"]), "2. location");
            self.text(
                &outbreak.disease,
                at(&base, &["disease"]),
                "3. type of disease/intoxication",
            );
            if let Some(area) = outbreak.area_affected_km2 {
                self.non_negative(area, at(&base, &["area_affected_km2"]), "2. area affected");
            }
            for (key, value) in [
                ("primary_cases", outbreak.primary_cases),
                ("total_cases", outbreak.total_cases),
                ("deaths", outbreak.deaths),
            ] {
                if let Some(value) = value {
                    self.non_negative_count(value, at(&base, &[key]), "number of cases or deaths");
                }
            }
            if let (Some(primary), Some(total)) = (outbreak.primary_cases, outbreak.total_cases)
                && primary > total
            {
                self.push(
                    at(&base, &["primary_cases"]),
                    Rule::BPrimaryExceedsTotal,
                    format!("9. primary cases ({primary}) exceed 10. total cases ({total})"),
                );
            }
            if let (Some(deaths), Some(total)) = (outbreak.deaths, outbreak.total_cases)
                && deaths > total
            {
                self.push(
                    at(&base, &["deaths"]),
                    Rule::BDeathsExceedTotal,
                    format!("11. deaths ({deaths}) exceed 10. total cases ({total})"),
                );
            }
            if outbreak.time_of_cognizance.year() != reporting_year {
                self.push(
                    at(&base, &["time_of_cognizance"]),
                    Rule::BOutsideReportingYear,
                    format!(
                        "1. time of cognizance {} is outside the reporting year {reporting_year}",
                        outbreak.time_of_cognizance
                    ),
                );
            }
        }
    }

    fn c(&mut self) {
        if let Some(c) = &self.submission.forms.c {
            self.text(
                &c.publication_policy,
                "/forms/c/publication_policy".into(),
                "publication policy",
            );
        }
    }

    fn e(&mut self) {
        let Some(e) = &self.submission.forms.e else {
            return;
        };
        for (key, label, row) in e.rows() {
            let base = at("/forms/e", &[key]);
            let any = row.legislation || row.regulations || row.other_measures;
            if row.amended_since_last_year && !any {
                self.push(
                    at(&base, &["amended_since_last_year"]),
                    Rule::EAmendedWithoutMeasure,
                    format!("{label}: marked \"amended since last year\" but no legislation, regulation or other measure is ticked"),
                );
            }
            if any && row.references.iter().all(|r| r.trim().is_empty()) {
                self.push(
                    at(&base, &["references"]),
                    Rule::EReferencesMissing,
                    format!("{label}: measures are ticked but no reference to the texts is given"),
                );
            }
        }
    }

    fn periods(&mut self, periods: &[Period], base: &str, offensive: bool) {
        let reporting_year = self.submission.reporting_year;
        for (i, period) in periods.iter().enumerate() {
            let path = at(base, &[&i.to_string()]);
            if period.from_year < FORM_F_FIRST_YEAR {
                self.push(
                    at(&path, &["from_year"]),
                    Rule::FPeriodBefore1946,
                    format!(
                        "period starts in {}, before 1 January {FORM_F_FIRST_YEAR} (Form F covers activities since then)",
                        period.from_year
                    ),
                );
            }
            if period.from_year > reporting_year {
                self.push(
                    at(&path, &["from_year"]),
                    Rule::FPeriodAfterReportingYear,
                    format!(
                        "a past period starts in {}, after the reporting year {reporting_year}",
                        period.from_year
                    ),
                );
            }
            match period.to_year {
                Some(to) if to < period.from_year => self.push(
                    at(&path, &["to_year"]),
                    Rule::FPeriodReversed,
                    format!(
                        "period ends in {to}, before it starts in {}",
                        period.from_year
                    ),
                ),
                Some(to) if to > reporting_year => self.push(
                    at(&path, &["to_year"]),
                    Rule::FPeriodAfterReportingYear,
                    format!(
                        "a past period ends in {to}, after the reporting year {reporting_year}"
                    ),
                ),
                None if offensive => self.push(
                    at(&path, &["to_year"]),
                    Rule::FOffensiveNotEnded,
                    "a period of a past offensive programme has no end year".into(),
                ),
                _ => {}
            }
        }
    }

    fn f(&mut self) {
        let Some(f) = &self.submission.forms.f else {
            return;
        };
        let parts = [
            (
                "offensive",
                "2. past offensive programmes",
                f.offensive.conducted,
                &f.offensive.periods,
            ),
            (
                "defensive",
                "3. past defensive programmes",
                f.defensive.conducted,
                &f.defensive.periods,
            ),
        ];
        for (key, label, conducted, periods) in parts {
            let base = at("/forms/f", &[key]);
            self.periods(periods, &at(&base, &["periods"]), key == "offensive");
            if !conducted && !periods.is_empty() {
                self.push(
                    at(&base, &["periods"]),
                    Rule::FPeriodsWithoutConducted,
                    format!("{label}: answered \"no\" but periods of activities are given"),
                );
            }
            if conducted && periods.is_empty() {
                self.push(
                    at(&base, &["periods"]),
                    Rule::FConductedWithoutPeriod,
                    format!("{label}: answered \"yes\" but no period of activities is given"),
                );
            }
        }
    }

    fn g(&mut self) {
        let Some(g) = &self.submission.forms.g else {
            return;
        };
        for (i, facility) in g.facilities.iter().enumerate() {
            let base = at("/forms/g/facilities", &[&i.to_string()]);
            self.text(&facility.name, at(&base, &["name"]), "1. name of facility");
            self.text(&facility.location, at(&base, &["location"]), "2. location");
            self.text(
                &facility.diseases_covered,
                at(&base, &["diseases_covered"]),
                "3. types of diseases covered",
            );
        }
    }
}
