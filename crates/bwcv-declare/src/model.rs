//! The typed model of a State Party's yearly CBM submission: every form of
//! the confidence-building measures as revised by the Seventh Review
//! Conference (2011, BWC/CONF.VII/7, Annex I), field by field.
//!
//! Numbering in the doc comments follows the forms ("CBM Form A part 2 (iii)
//! 4 (ii)" is question 4 (ii) of that form). Where the paper form asks for
//! free text that bwcv needs to check (agents studied, containment units,
//! funding), the model adds a structured field next to the free text and says
//! so. Numbers are stored as the State Party wrote them (a negative area is
//! representable so that validation can report it instead of the parser
//! rejecting the whole file).
//!
//! Measure D ("Active promotion of contacts") was deleted by the Seventh
//! Review Conference; there is deliberately no Form D here (see
//! [`crate::parse`], which reports a submitted Form D).

use std::collections::BTreeSet;

use bwcv_core::{FacilityId, StatePartyCode, Visibility};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of this JSON format, written in every submission.
pub const FORMAT_VERSION: u32 = 1;

/// One State Party's CBM return for one calendar year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Version of the bwcv JSON format; currently always `1`.
    pub format_version: u32,
    /// The submitting State Party (ISO 3166-1 style code, e.g. `"XAR"`).
    #[schemars(schema_with = "crate::schema::state_party_code")]
    pub state_party: StatePartyCode,
    /// The calendar year the information covers. CBM returns are due by the
    /// deadline (parameter `cbm.deadline`) of the following year.
    pub reporting_year: i32,
    /// Date the return was submitted to the Implementation Support Unit
    /// (ISO 8601); absent for a draft.
    #[serde(default)]
    pub submitted: Option<NaiveDate>,
    /// Who may read the return: `public` or `states_parties_only` (CBM
    /// modalities: returns go to all States Parties; a State Party may make
    /// its return public).
    #[schemars(schema_with = "crate::schema::visibility")]
    pub visibility: Visibility,
    /// The forms of the return.
    pub forms: Forms,
    /// Explanations accompanying the return (a bwcv addition, not a CBM
    /// form): why a facility declared earlier is no longer declared, etc.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<Explanation>,
}

/// A note from the State Party about one facility (bwcv addition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// The facility the note is about.
    #[schemars(schema_with = "crate::schema::facility_id")]
    pub facility_id: FacilityId,
    /// The explanation, e.g. "closed in March 2024, decommissioned".
    pub text: String,
}

/// The forms of one return. A form that is absent was not filled in; Form 0
/// then says whether there is nothing (new) to declare.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forms {
    /// Form 0: declaration form on nothing to declare or nothing new to declare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_0: Option<Form0>,
    /// CBM Form A part 1: exchange of data on research centres and laboratories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_part_1: Option<FormAPart1>,
    /// CBM Form A part 2 (i): national biological defence R&D programmes, declaration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_part_2_i: Option<FormAPart2i>,
    /// CBM Form A part 2 (ii): national biological defence R&D programmes, description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_part_2_ii: Option<FormAPart2ii>,
    /// CBM Form A part 2 (iii): national biological defence R&D programmes, facilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_part_2_iii: Option<FormAPart2iii>,
    /// CBM Form B: information on outbreaks of infectious diseases and
    /// similar occurrences caused by toxins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<FormB>,
    /// CBM Form C: encouragement of publication of results and promotion of
    /// use of knowledge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<FormC>,
    /// CBM Form E: declaration of legislation, regulations and other measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<FormE>,
    /// CBM Form F: declaration of past activities in offensive and/or
    /// defensive biological research and development programmes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<FormF>,
    /// CBM Form G: declaration of vaccine production facilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g: Option<FormG>,
}

/// The measures listed on Form 0, in the form's order. Also used to name
/// forms in validation, comparison and the overview.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    APart1,
    APart2I,
    APart2Ii,
    APart2Iii,
    B,
    C,
    E,
    F,
    G,
}

impl Measure {
    /// Every measure of Form 0, in the form's order.
    pub const ALL: [Measure; 9] = [
        Measure::APart1,
        Measure::APart2I,
        Measure::APart2Ii,
        Measure::APart2Iii,
        Measure::B,
        Measure::C,
        Measure::E,
        Measure::F,
        Measure::G,
    ];

    /// The JSON key of the measure (in `forms` and in Form 0's `measures`).
    pub fn key(self) -> &'static str {
        match self {
            Measure::APart1 => "a_part_1",
            Measure::APart2I => "a_part_2_i",
            Measure::APart2Ii => "a_part_2_ii",
            Measure::APart2Iii => "a_part_2_iii",
            Measure::B => "b",
            Measure::C => "c",
            Measure::E => "e",
            Measure::F => "f",
            Measure::G => "g",
        }
    }

    /// The label printed on Form 0 ("A, part 2 (iii)").
    pub fn label(self) -> &'static str {
        match self {
            Measure::APart1 => "A, part 1",
            Measure::APart2I => "A, part 2 (i)",
            Measure::APart2Ii => "A, part 2 (ii)",
            Measure::APart2Iii => "A, part 2 (iii)",
            Measure::B => "B",
            Measure::C => "C",
            Measure::E => "E",
            Measure::F => "F",
            Measure::G => "G",
        }
    }

    /// The form's title.
    pub fn title(self) -> &'static str {
        match self {
            Measure::APart1 => "Exchange of data on research centres and laboratories",
            Measure::APart2I => {
                "National biological defence research and development programmes: declaration"
            }
            Measure::APart2Ii => {
                "National biological defence research and development programmes: description"
            }
            Measure::APart2Iii => {
                "National biological defence research and development programmes: facilities"
            }
            Measure::B => {
                "Information on outbreaks of infectious diseases and similar occurrences caused by toxins"
            }
            Measure::C => {
                "Encouragement of publication of results and promotion of use of knowledge"
            }
            Measure::E => "Declaration of legislation, regulations and other measures",
            Measure::F => {
                "Declaration of past activities in offensive and/or defensive biological research and development programmes"
            }
            Measure::G => "Declaration of vaccine production facilities",
        }
    }

    pub fn from_key(key: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.key() == key)
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

impl Forms {
    /// Whether the form of `measure` is present and holds any content.
    pub fn is_filled(&self, measure: Measure) -> bool {
        match measure {
            Measure::APart1 => self.a_part_1.as_ref().is_some_and(|f| {
                !f.maximum_containment.is_empty() || f.highest_biosafety_level.is_some()
            }),
            Measure::APart2I => self.a_part_2_i.as_ref().is_some_and(|f| f.programme_exists),
            Measure::APart2Ii => self
                .a_part_2_ii
                .as_ref()
                .is_some_and(|f| !f.programmes.is_empty()),
            Measure::APart2Iii => self
                .a_part_2_iii
                .as_ref()
                .is_some_and(|f| !f.facilities.is_empty()),
            Measure::B => self.b.as_ref().is_some_and(|f| !f.outbreaks.is_empty()),
            Measure::C => self.c.is_some(),
            Measure::E => self.e.is_some(),
            Measure::F => self.f.is_some(),
            Measure::G => self.g.as_ref().is_some_and(|f| !f.facilities.is_empty()),
        }
    }

    /// Replaces the form of `measure` by the one in `from` (carrying a
    /// "nothing new to declare" form over from an earlier return).
    pub fn copy_form(&mut self, measure: Measure, from: &Forms) {
        match measure {
            Measure::APart1 => self.a_part_1.clone_from(&from.a_part_1),
            Measure::APart2I => self.a_part_2_i.clone_from(&from.a_part_2_i),
            Measure::APart2Ii => self.a_part_2_ii.clone_from(&from.a_part_2_ii),
            Measure::APart2Iii => self.a_part_2_iii.clone_from(&from.a_part_2_iii),
            Measure::B => self.b.clone_from(&from.b),
            Measure::C => self.c.clone_from(&from.c),
            Measure::E => self.e.clone_from(&from.e),
            Measure::F => self.f.clone_from(&from.f),
            Measure::G => self.g.clone_from(&from.g),
        }
    }

    /// The form of `measure` as JSON (`null` when absent), for comparison
    /// and rendering of unknown content.
    pub fn form_value(&self, measure: Measure) -> serde_json::Value {
        fn to<T: Serialize>(value: &Option<T>) -> serde_json::Value {
            // Serializing plain data structs cannot fail.
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
        }
        match measure {
            Measure::APart1 => to(&self.a_part_1),
            Measure::APart2I => to(&self.a_part_2_i),
            Measure::APart2Ii => to(&self.a_part_2_ii),
            Measure::APart2Iii => to(&self.a_part_2_iii),
            Measure::B => to(&self.b),
            Measure::C => to(&self.c),
            Measure::E => to(&self.e),
            Measure::F => to(&self.f),
            Measure::G => to(&self.g),
        }
    }
}

impl Submission {
    /// Every facility identifier the return declares, in any form.
    pub fn facility_ids(&self) -> BTreeSet<FacilityId> {
        self.facilities().map(|(_, id, _)| id.clone()).collect()
    }

    /// Every declared facility: (form, identifier, name), in form order.
    pub fn facilities(&self) -> impl Iterator<Item = (Measure, &FacilityId, &str)> {
        let forms = &self.forms;
        let a1 = forms.a_part_1.iter().flat_map(|f| {
            f.maximum_containment
                .iter()
                .chain(f.highest_biosafety_level.iter())
                .map(|r| (Measure::APart1, &r.facility_id, r.name.as_str()))
        });
        let a2 = forms.a_part_2_iii.iter().flat_map(|f| {
            f.facilities
                .iter()
                .map(|d| (Measure::APart2Iii, &d.facility_id, d.name.as_str()))
        });
        let g = forms.g.iter().flat_map(|f| {
            f.facilities
                .iter()
                .map(|v| (Measure::G, &v.facility_id, v.name.as_str()))
        });
        a1.chain(a2).chain(g)
    }

    /// How Form 0 marks `measure` (unmarked when there is no Form 0).
    pub fn form_0_status(&self, measure: Measure) -> MeasureStatus {
        self.forms
            .form_0
            .as_ref()
            .map(|f| f.measures.get(measure).clone())
            .unwrap_or_default()
    }
}

/// Form 0: "Declaration form on Nothing to Declare or Nothing New to Declare
/// for use in the information exchange" (Third Review Conference, amended by
/// the Seventh).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Form0 {
    /// Form 0 "Date:".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Form 0 "Date of ratification/accession to the Convention:".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_ratification_or_accession: Option<NaiveDate>,
    /// Form 0 "National point of contact:" (office, address, telephone, e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_point_of_contact: Option<String>,
    /// The table of measures: one row per measure.
    #[serde(default)]
    pub measures: Form0Measures,
}

/// Form 0 table rows, one per measure, in the form's order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Form0Measures {
    /// Row "A, part 1".
    #[serde(default)]
    pub a_part_1: MeasureStatus,
    /// Row "A, part 2 (i)".
    #[serde(default)]
    pub a_part_2_i: MeasureStatus,
    /// Row "A, part 2 (ii)".
    #[serde(default)]
    pub a_part_2_ii: MeasureStatus,
    /// Row "A, part 2 (iii)".
    #[serde(default)]
    pub a_part_2_iii: MeasureStatus,
    /// Row "B".
    #[serde(default)]
    pub b: MeasureStatus,
    /// Row "C".
    #[serde(default)]
    pub c: MeasureStatus,
    /// Row "E".
    #[serde(default)]
    pub e: MeasureStatus,
    /// Row "F".
    #[serde(default)]
    pub f: MeasureStatus,
    /// Row "G".
    #[serde(default)]
    pub g: MeasureStatus,
}

impl Form0Measures {
    pub fn get(&self, measure: Measure) -> &MeasureStatus {
        match measure {
            Measure::APart1 => &self.a_part_1,
            Measure::APart2I => &self.a_part_2_i,
            Measure::APart2Ii => &self.a_part_2_ii,
            Measure::APart2Iii => &self.a_part_2_iii,
            Measure::B => &self.b,
            Measure::C => &self.c,
            Measure::E => &self.e,
            Measure::F => &self.f,
            Measure::G => &self.g,
        }
    }

    pub fn get_mut(&mut self, measure: Measure) -> &mut MeasureStatus {
        match measure {
            Measure::APart1 => &mut self.a_part_1,
            Measure::APart2I => &mut self.a_part_2_i,
            Measure::APart2Ii => &mut self.a_part_2_ii,
            Measure::APart2Iii => &mut self.a_part_2_iii,
            Measure::B => &mut self.b,
            Measure::C => &mut self.c,
            Measure::E => &mut self.e,
            Measure::F => &mut self.f,
            Measure::G => &mut self.g,
        }
    }
}

/// One row of Form 0: the two tick boxes and the year column.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureStatus {
    /// Form 0 column "Nothing to declare".
    #[serde(default)]
    pub nothing_to_declare: bool,
    /// Form 0 column "Nothing new to declare".
    #[serde(default)]
    pub nothing_new_to_declare: bool,
    /// Form 0 column "Year of last declaration if nothing new to declare":
    /// the `reporting_year` of the earlier return that declared the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_of_last_declaration: Option<i32>,
}

/// A biosafety (containment) level, "in accordance with the latest edition
/// of the WHO Laboratory Biosafety Manual, or equivalent" (CBM Form A part 1
/// footnote).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BiosafetyLevel {
    Bl1,
    Bl2,
    Bl3,
    Bl4,
}

impl BiosafetyLevel {
    pub fn label(self) -> &'static str {
        match self {
            BiosafetyLevel::Bl1 => "BL1",
            BiosafetyLevel::Bl2 => "BL2",
            BiosafetyLevel::Bl3 => "BL3",
            BiosafetyLevel::Bl4 => "BL4",
        }
    }
}

/// CBM Form A part 1: exchange of data on research centres and laboratories.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormAPart1 {
    /// CBM Form A part 1 (i): each research centre or laboratory with
    /// maximum containment (BSL-4) units.
    #[serde(default)]
    pub maximum_containment: Vec<ResearchFacility>,
    /// CBM Form A part 1 (ii): if the State Party has no BSL-4 facility, the
    /// facility with the highest biosafety level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highest_biosafety_level: Option<ResearchFacility>,
}

/// One facility of CBM Form A part 1 (i) or (ii).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResearchFacility {
    /// Stable identifier of the facility (bwcv addition), the same in every
    /// year and form.
    #[schemars(schema_with = "crate::schema::facility_id")]
    pub facility_id: FacilityId,
    /// CBM Form A part 1, 1. Name(s) of facility.
    pub name: String,
    /// CBM Form A part 1, footnote to 1: the facility participates in the
    /// national biological defence R&D programme and is "Declared in
    /// accordance with Form A, part 2 (iii)".
    #[serde(default)]
    pub declared_in_a_part_2_iii: bool,
    /// CBM Form A part 1, 2. Responsible public or private organization or company.
    pub responsible_organisation: String,
    /// CBM Form A part 1, 3. Location and postal address.
    pub location: String,
    /// CBM Form A part 1, 4. Source(s) of financing of the reported activity,
    /// including indication if the activity is wholly or partly financed by
    /// the Ministry of Defence.
    pub financing: Financing,
    /// CBM Form A part 1, 5. Number of maximum containment units within the
    /// research centre and/or laboratory, with an indication of their
    /// respective size (m²). For part 1 (ii), the units at the highest level.
    #[serde(default)]
    pub containment_units: Vec<ContainmentUnit>,
    /// CBM Form A part 1, 6. Scope and general description of activities,
    /// including type(s) of micro-organisms and/or toxins as appropriate.
    pub scope: String,
    /// The micro-organisms and toxins named in 6., one name each (bwcv
    /// addition, checked against the controlled lists).
    #[serde(default)]
    pub agents: Vec<String>,
}

/// CBM Form A part 1, 4. Sources of financing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Financing {
    /// The sources, as free text.
    pub sources: String,
    /// Whether the Ministry of Defence finances the activity.
    pub ministry_of_defence: DefenceFinancing,
}

/// CBM Form A part 1, 4: "wholly or partly financed by the Ministry of Defence".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefenceFinancing {
    None,
    Partly,
    Wholly,
}

/// CBM Form A part 1, 5: one containment unit and its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainmentUnit {
    pub level: BiosafetyLevel,
    /// Size of the unit in m².
    pub area_m2: f64,
    /// Whether this is an animal facility (ABL) unit.
    #[serde(default)]
    pub animal: bool,
    /// Free-text remark ("fixed patient treatment module", ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// CBM Form A part 2 (i): "Are there any national programmes to conduct
/// biological defence research and development within the territory of the
/// State Party, under its jurisdiction or control anywhere?"
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormAPart2i {
    /// Yes / No. If yes, Form A part 2 (ii) describes each programme.
    pub programme_exists: bool,
}

/// CBM Form A part 2 (ii): description of each national biological defence
/// research and development programme.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormAPart2ii {
    #[serde(default)]
    pub programmes: Vec<DefenceProgramme>,
}

/// The research areas the CBM forms enumerate (Form A part 2 (i) and (ii) 1,
/// Form F 3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResearchArea {
    Prophylaxis,
    PathogenicityAndVirulence,
    DiagnosticTechniques,
    Aerobiology,
    Detection,
    Treatment,
    Toxinology,
    PhysicalProtection,
    Decontamination,
    OtherRelatedResearch,
}

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: f64,
    /// ISO 4217 style currency code (fictional demo currencies allowed).
    pub currency: String,
}

/// One source of funding and, where stated, its amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingSource {
    /// Who pays ("Ministry of Defence", "Research Council").
    pub source: String,
    /// The amount from this source, in the programme's or facility's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Whether this source is the Ministry of Defence.
    #[serde(default)]
    pub ministry_of_defence: bool,
}

/// One programme of CBM Form A part 2 (ii).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefenceProgramme {
    /// The programme's name.
    pub name: String,
    /// CBM Form A part 2 (ii) 1. Objectives and funding of the programme and
    /// summary of its principal research and development activities.
    pub objectives: String,
    /// CBM Form A part 2 (ii) 1. Areas addressed (prophylaxis, pathogenicity
    /// and virulence, diagnostic techniques, ...).
    #[serde(default)]
    pub research_areas: Vec<ResearchArea>,
    /// CBM Form A part 2 (ii) 2. Total funding for the programme.
    pub total_funding: Money,
    /// CBM Form A part 2 (ii) 2. Sources of the funding.
    #[serde(default)]
    pub funding_sources: Vec<FundingSource>,
    /// Share of the total funding that comes from the Ministry of Defence, in
    /// percent (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ministry_of_defence_share_percent: Option<f64>,
    /// CBM Form A part 2 (ii) 3. Are aspects of the programme conducted under
    /// contract with industry, academic institutions, or in other
    /// non-defence facilities?
    pub contracted_out: bool,
    /// CBM Form A part 2 (ii) 4. If yes, what proportion of the total funds
    /// is expended in these contracted or other facilities (percent, 0–100)?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracted_share_percent: Option<f64>,
    /// CBM Form A part 2 (ii) 5. Objectives and research areas of the work
    /// performed by contractors and in other facilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor_summary: Option<String>,
    /// CBM Form A part 2 (ii) 6. Diagram of the organizational structure and
    /// reporting relationships: a reference to the attached chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_chart_reference: Option<String>,
    /// CBM Form A part 2 (ii) 7. The facilities of the programme, each
    /// declared in Form A part 2 (iii).
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::facility_ids")]
    pub facilities: Vec<FacilityId>,
}

/// CBM Form A part 2 (iii): one form per facility declared under Form A
/// part 2 (ii) 7. "In shared facilities, provide the information for the
/// biological defence research and development portion only."
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormAPart2iii {
    #[serde(default)]
    pub facilities: Vec<DefenceFacility>,
}

/// One facility of CBM Form A part 2 (iii).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefenceFacility {
    /// Stable identifier of the facility (bwcv addition).
    #[schemars(schema_with = "crate::schema::facility_id")]
    pub facility_id: FacilityId,
    /// CBM Form A part 2 (iii) 1. What is the name of the facility?
    pub name: String,
    /// CBM Form A part 2 (iii) 2. Where is it located (address)?
    pub location: String,
    /// CBM Form A part 2 (iii) 2. Geographical location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// CBM Form A part 2 (iii) 3. Floor area of laboratory areas by
    /// containment level.
    pub floor_area: FloorArea,
    /// CBM Form A part 2 (iii) 4 (i)–(v). The organizational structure: personnel.
    pub personnel: Personnel,
    /// CBM Form A part 2 (iii) 4 (vi). Source(s) of funding for the work
    /// conducted in the facility, including indication if activity is wholly
    /// or partly financed by the Ministry of Defence.
    #[serde(default)]
    pub funding_sources: Vec<FundingSource>,
    /// CBM Form A part 2 (iii) 4 (vii). Funding levels for the programme
    /// areas research, development, test and evaluation.
    pub funding_levels: FundingLevels,
    /// CBM Form A part 2 (iii) 4 (viii). Publication policy of the facility.
    pub publication_policy: String,
    /// CBM Form A part 2 (iii) 4 (ix). Publicly available papers and reports
    /// resulting from the work, published during the previous 12 months.
    #[serde(default)]
    pub publications: Vec<Publication>,
    /// CBM Form A part 2 (iii) 5. The biological defence work carried out at
    /// the facility, including type(s) of micro-organisms and/or toxins
    /// studied, as well as outdoor studies of biological aerosols.
    pub work_description: String,
    /// The micro-organisms and toxins studied, one name each (bwcv addition,
    /// checked against the controlled lists).
    #[serde(default)]
    pub agents: Vec<String>,
}

/// A geographical position in decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// CBM Form A part 2 (iii) 3. Floor area of laboratory areas by containment
/// level, in m².
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FloorArea {
    /// BL2 (m²).
    #[serde(default)]
    pub bl2_m2: f64,
    /// BL3 (m²).
    #[serde(default)]
    pub bl3_m2: f64,
    /// BL4 (m²).
    #[serde(default)]
    pub bl4_m2: f64,
    /// Total laboratory floor area (m²).
    pub total_laboratory_m2: f64,
}

/// CBM Form A part 2 (iii) 4. The organizational structure of the facility.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Personnel {
    /// 4 (i) Total number of personnel.
    pub total: i64,
    /// 4 (ii) Division of personnel: military.
    pub military: i64,
    /// 4 (ii) Division of personnel: civilian.
    pub civilian: i64,
    /// 4 (iii) Division of personnel by category: scientists.
    pub scientists: i64,
    /// 4 (iii) engineers.
    pub engineers: i64,
    /// 4 (iii) technicians.
    pub technicians: i64,
    /// 4 (iii) administrative and support staff.
    pub administrative_and_support: i64,
    /// 4 (iv) Scientific disciplines represented in the scientific/engineering staff.
    #[serde(default)]
    pub scientific_disciplines: Vec<String>,
    /// 4 (v) Approximate number of contractor staff working in the facility
    /// (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor_staff: Option<i64>,
}

/// CBM Form A part 2 (iii) 4 (vii). Funding levels by programme area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingLevels {
    /// ISO 4217 style currency code of the three amounts.
    pub currency: String,
    pub research: f64,
    pub development: f64,
    pub test_and_evaluation: f64,
}

/// CBM Form A part 2 (iii) 4 (ix): a paper or report ("to include authors,
/// titles and full references").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub authors: String,
    pub title: String,
    pub reference: String,
}

/// CBM Form B: outbreaks of infectious diseases and similar occurrences
/// caused by toxins that seem to deviate from the normal pattern.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormB {
    #[serde(default)]
    pub outbreaks: Vec<Outbreak>,
}

/// One outbreak of CBM Form B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outbreak {
    /// CBM Form B 1. Time of cognizance of the outbreak.
    pub time_of_cognizance: NaiveDate,
    /// CBM Form B 2. Location and approximate area affected.
    pub location: String,
    /// CBM Form B 2. Approximate area affected, in km².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_affected_km2: Option<f64>,
    /// CBM Form B 3. Type of disease/intoxication.
    pub disease: String,
    /// CBM Form B 4. Suspected source of disease/intoxication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_source: Option<String>,
    /// CBM Form B 5. Possible causative agent(s).
    #[serde(default)]
    pub causative_agents: Vec<String>,
    /// CBM Form B 6. Main characteristics of systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_characteristics: Option<String>,
    /// CBM Form B 7. Detailed symptoms, when applicable.
    #[serde(default)]
    pub symptoms: Symptoms,
    /// CBM Form B 8. Deviation(s) from the normal pattern as regards ...
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    /// CBM Form B 8. Details of the deviation(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation_details: Option<String>,
    /// CBM Form B 9. Approximate number of primary cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_cases: Option<i64>,
    /// CBM Form B 10. Approximate number of total cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cases: Option<i64>,
    /// CBM Form B 11. Number of deaths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deaths: Option<i64>,
    /// CBM Form B 12. Development of the outbreak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development: Option<String>,
    /// CBM Form B 13. Measures taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measures_taken: Option<String>,
}

/// CBM Form B 7. Detailed symptoms, by system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Symptoms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respiratory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circulatory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neurological_behavioural: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intestinal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dermatological: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nephrological: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

/// CBM Form B 8. The aspects in which an outbreak deviates from the normal pattern.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Deviation {
    Type,
    Development,
    PlaceOfOccurrence,
    TimeOfOccurrence,
    Symptoms,
    VirulencePattern,
    DrugResistancePattern,
    AgentsDifficultToDiagnose,
    PresenceOfUnusualVectors,
    Other,
}

/// CBM Form C: encouragement of publication of results and promotion of use
/// of knowledge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormC {
    /// The State Party's policy on publication of results of biological
    /// research directly related to the Convention, in scientific journals
    /// and otherwise, and on promotion of the use of the knowledge gained.
    pub publication_policy: String,
    /// References to the policy documents.
    #[serde(default)]
    pub references: Vec<String>,
}

/// CBM Form E: declaration of legislation, regulations and other measures.
/// The table's rows; each row has the columns legislation / regulations /
/// other measures / amended since last year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormE {
    /// CBM Form E row (a): development, production, stockpiling, acquisition
    /// or retention of microbial or other biological agents, or toxins,
    /// weapons, equipment and means of delivery specified in Article I.
    pub development_production_stockpiling: LegislationRow,
    /// CBM Form E row (b): exports of micro-organisms and toxins.
    pub exports: LegislationRow,
    /// CBM Form E row (c): imports of micro-organisms and toxins.
    pub imports: LegislationRow,
    /// CBM Form E row (d): biosafety and biosecurity.
    pub biosafety_and_biosecurity: LegislationRow,
}

impl FormE {
    /// The rows with their JSON keys and the form's row labels.
    pub fn rows(&self) -> [(&'static str, &'static str, &LegislationRow); 4] {
        [
            (
                "development_production_stockpiling",
                "(a) Development, production, stockpiling, acquisition or retention of microbial or other biological agents, or toxins, weapons, equipment and means of delivery specified in Article I",
                &self.development_production_stockpiling,
            ),
            (
                "exports",
                "(b) Exports of micro-organisms and toxins",
                &self.exports,
            ),
            (
                "imports",
                "(c) Imports of micro-organisms and toxins",
                &self.imports,
            ),
            (
                "biosafety_and_biosecurity",
                "(d) Biosafety and biosecurity",
                &self.biosafety_and_biosecurity,
            ),
        ]
    }
}

/// One row of CBM Form E: yes/no per column, and references.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegislationRow {
    /// Column "Legislation".
    pub legislation: bool,
    /// Column "Regulations".
    pub regulations: bool,
    /// Column "Other measures".
    pub other_measures: bool,
    /// Column "Amended since last year".
    pub amended_since_last_year: bool,
    /// Titles and references of the texts (copies available on request).
    #[serde(default)]
    pub references: Vec<String>,
}

/// CBM Form F: declaration of past activities in offensive and/or defensive
/// biological research and development programmes, since 1 January 1946.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormF {
    /// CBM Form F 1. Date of entry into force of the Convention for the State Party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_into_force: Option<NaiveDate>,
    /// CBM Form F 2. Past offensive biological research and development programmes.
    pub offensive: PastOffensiveProgrammes,
    /// CBM Form F 3. Past defensive biological research and development programmes.
    pub defensive: PastDefensiveProgrammes,
}

/// A period of activity, in calendar years (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from_year: i32,
    /// Absent while the activity continues (defensive programmes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_year: Option<i32>,
}

/// CBM Form F 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PastOffensiveProgrammes {
    /// Yes / No.
    pub conducted: bool,
    /// Period(s) of activities.
    #[serde(default)]
    pub periods: Vec<Period>,
    /// Summary of the research and development activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Whether work was performed concerning production, test and
    /// evaluation, weaponization, stockpiling, destruction of agents and
    /// weapons, and other related research.
    #[serde(default)]
    pub activities: Vec<OffensiveActivity>,
}

/// CBM Form F 2: kinds of work of a past offensive programme.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OffensiveActivity {
    Production,
    TestAndEvaluation,
    Weaponization,
    Stockpiling,
    DestructionProgramme,
    OtherRelatedResearch,
}

/// CBM Form F 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PastDefensiveProgrammes {
    /// Yes / No.
    pub conducted: bool,
    /// Period(s) of activities.
    #[serde(default)]
    pub periods: Vec<Period>,
    /// Summary of the research and development activities, with location if possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Areas in which work was conducted (prophylaxis, ...).
    #[serde(default)]
    pub areas: Vec<ResearchArea>,
}

/// CBM Form G: declaration of vaccine production facilities licensed by the
/// State Party for the protection of humans.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormG {
    #[serde(default)]
    pub facilities: Vec<VaccineFacility>,
}

/// One facility of CBM Form G.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaccineFacility {
    /// Stable identifier of the facility (bwcv addition).
    #[schemars(schema_with = "crate::schema::facility_id")]
    pub facility_id: FacilityId,
    /// CBM Form G 1. Name of facility.
    pub name: String,
    /// CBM Form G 2. Location (mailing address).
    pub location: String,
    /// CBM Form G 3. General description of the types of diseases covered.
    pub diseases_covered: String,
}
