//! A submission as a readable document laid out like the official forms:
//! form titles, numbered questions, tables for facilities, personnel and
//! Form 0 / Form E. Two outputs from one layout: self-contained HTML (inline
//! CSS, no scripts, print-friendly) and Markdown. Every text from the
//! submission is escaped.

use std::fmt::Write as _;

use crate::model::*;

/// Output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderFormat {
    Html,
    Markdown,
}

/// Renders `submission` as a document.
pub fn render(submission: &Submission, format: RenderFormat) -> String {
    let blocks = layout(submission);
    match format {
        RenderFormat::Html => to_html(submission, &blocks),
        RenderFormat::Markdown => to_markdown(&blocks),
    }
}

/// One piece of the document, independent of the output format.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    /// A heading of level 1 to 4.
    Heading(u8, String),
    /// Numbered questions of a form: (number, question, answer).
    Fields(Vec<(String, String, String)>),
    /// A table with a header row.
    Table(Vec<String>, Vec<Vec<String>>),
    Paragraph(String),
}

fn yes_no(value: bool) -> String {
    if value { "Yes" } else { "No" }.to_owned()
}

fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(text) if !text.trim().is_empty() => text.to_owned(),
        _ => "—".to_owned(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "—".to_owned()
    } else {
        items.join("; ")
    }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

fn field(number: &str, question: &str, answer: String) -> (String, String, String) {
    (number.to_owned(), question.to_owned(), answer)
}

fn form_heading(blocks: &mut Vec<Block>, measure: Measure) {
    blocks.push(Block::Heading(
        2,
        format!("Form {}: {}", measure.label(), measure.title()),
    ));
}

fn funding_sources(sources: &[FundingSource]) -> String {
    if sources.is_empty() {
        return "—".to_owned();
    }
    sources
        .iter()
        .map(|s| {
            let mut text = s.source.clone();
            if let Some(amount) = s.amount {
                let _ = write!(text, " ({})", number(amount));
            }
            if s.ministry_of_defence {
                text.push_str(" [Ministry of Defence]");
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn status_marks(status: &MeasureStatus) -> [String; 3] {
    let tick = |b: bool| if b { "✓".to_owned() } else { String::new() };
    [
        tick(status.nothing_to_declare),
        tick(status.nothing_new_to_declare),
        status
            .year_of_last_declaration
            .map(|y| y.to_string())
            .unwrap_or_default(),
    ]
}

fn layout(submission: &Submission) -> Vec<Block> {
    let mut blocks = Vec::new();
    let forms = &submission.forms;
    blocks.push(Block::Heading(
        1,
        format!(
            "Confidence-Building Measures return of {} for {}",
            submission.state_party, submission.reporting_year
        ),
    ));
    blocks.push(Block::Fields(vec![
        field("", "State Party", submission.state_party.to_string()),
        field(
            "",
            "Reporting year (information covers)",
            submission.reporting_year.to_string(),
        ),
        field(
            "",
            "Submitted",
            submission
                .submitted
                .map(|d| d.to_string())
                .unwrap_or_else(|| "draft (not submitted)".into()),
        ),
        field(
            "",
            "Visibility",
            match submission.visibility {
                bwcv_core::Visibility::Public => "Public".to_owned(),
                bwcv_core::Visibility::StatesPartiesOnly => {
                    "Restricted to States Parties".to_owned()
                }
            },
        ),
    ]));

    // Form 0
    blocks.push(Block::Heading(
        2,
        "Form 0: Declaration form on Nothing to Declare or Nothing New to Declare".into(),
    ));
    match &forms.form_0 {
        None => blocks.push(Block::Paragraph("Form 0 was not submitted.".into())),
        Some(form_0) => {
            let rows = Measure::ALL
                .iter()
                .map(|m| {
                    let [a, b, c] = status_marks(form_0.measures.get(*m));
                    vec![m.label().to_owned(), a, b, c]
                })
                .collect();
            blocks.push(Block::Table(
                vec![
                    "Measure".into(),
                    "Nothing to declare".into(),
                    "Nothing new to declare".into(),
                    "Year of last declaration if nothing new to declare".into(),
                ],
                rows,
            ));
            blocks.push(Block::Fields(vec![
                field(
                    "",
                    "Date",
                    or_dash(form_0.date.map(|d| d.to_string()).as_deref()),
                ),
                field(
                    "",
                    "Date of ratification/accession to the Convention",
                    or_dash(
                        form_0
                            .date_of_ratification_or_accession
                            .map(|d| d.to_string())
                            .as_deref(),
                    ),
                ),
                field(
                    "",
                    "National point of contact",
                    or_dash(form_0.national_point_of_contact.as_deref()),
                ),
            ]));
        }
    }

    // A part 1
    form_heading(&mut blocks, Measure::APart1);
    match &forms.a_part_1 {
        None => not_submitted(&mut blocks, submission, Measure::APart1),
        Some(a1) => {
            blocks.push(Block::Heading(
                3,
                "Part 1 (i): research centres and laboratories with maximum containment (BSL-4) units"
                    .into(),
            ));
            if a1.maximum_containment.is_empty() {
                blocks.push(Block::Paragraph("None declared.".into()));
            }
            for facility in &a1.maximum_containment {
                research_facility(&mut blocks, facility);
            }
            if let Some(facility) = &a1.highest_biosafety_level {
                blocks.push(Block::Heading(
                    3,
                    "Part 1 (ii): facility with the highest biosafety level (no BSL-4 facility)"
                        .into(),
                ));
                research_facility(&mut blocks, facility);
            }
        }
    }

    // A part 2 (i)
    form_heading(&mut blocks, Measure::APart2I);
    match &forms.a_part_2_i {
        None => not_submitted(&mut blocks, submission, Measure::APart2I),
        Some(a2i) => blocks.push(Block::Fields(vec![field(
            "",
            "Are there any national programmes to conduct biological defence research and development within the territory of the State Party, under its jurisdiction or control anywhere?",
            yes_no(a2i.programme_exists),
        )])),
    }

    // A part 2 (ii)
    form_heading(&mut blocks, Measure::APart2Ii);
    match &forms.a_part_2_ii {
        None => not_submitted(&mut blocks, submission, Measure::APart2Ii),
        Some(a2ii) => {
            for programme in &a2ii.programmes {
                blocks.push(Block::Heading(3, format!("Programme: {}", programme.name)));
                let areas: Vec<String> = programme
                    .research_areas
                    .iter()
                    .map(|a| area_label(*a).to_owned())
                    .collect();
                let facilities: Vec<String> =
                    programme.facilities.iter().map(|f| f.to_string()).collect();
                blocks.push(Block::Fields(vec![
                    field("1.", "Objectives and principal research and development activities", programme.objectives.clone()),
                    field("1.", "Areas addressed", list(&areas)),
                    field("2.", "Total funding", format!("{} {}", number(programme.total_funding.amount), programme.total_funding.currency)),
                    field("2.", "Sources of funding", funding_sources(&programme.funding_sources)),
                    field("2.", "Share from the Ministry of Defence (%)", or_dash(programme.ministry_of_defence_share_percent.map(number).as_deref())),
                    field("3.", "Are aspects of the programme conducted under contract with industry, academic institutions, or in other non-defence facilities?", yes_no(programme.contracted_out)),
                    field("4.", "Proportion of total funds expended in these contracted or other facilities (%)", or_dash(programme.contracted_share_percent.map(number).as_deref())),
                    field("5.", "Objectives and research areas of the work performed by contractors and in other facilities", or_dash(programme.contractor_summary.as_deref())),
                    field("6.", "Organizational structure (chart)", or_dash(programme.organisation_chart_reference.as_deref())),
                    field("7.", "Facilities declared in Form A, part 2 (iii)", list(&facilities)),
                ]));
            }
            if a2ii.programmes.is_empty() {
                blocks.push(Block::Paragraph("No programme described.".into()));
            }
        }
    }

    // A part 2 (iii)
    form_heading(&mut blocks, Measure::APart2Iii);
    match &forms.a_part_2_iii {
        None => not_submitted(&mut blocks, submission, Measure::APart2Iii),
        Some(a2iii) => {
            for facility in &a2iii.facilities {
                defence_facility(&mut blocks, facility);
            }
            if a2iii.facilities.is_empty() {
                blocks.push(Block::Paragraph("No facility declared.".into()));
            }
        }
    }

    // B
    form_heading(&mut blocks, Measure::B);
    match &forms.b {
        None => not_submitted(&mut blocks, submission, Measure::B),
        Some(b) => {
            for (i, outbreak) in b.outbreaks.iter().enumerate() {
                blocks.push(Block::Heading(
                    3,
                    format!("Outbreak {}: {}", i + 1, outbreak.disease),
                ));
                let s = &outbreak.symptoms;
                let symptoms: Vec<String> = [
                    ("respiratory", &s.respiratory),
                    ("circulatory", &s.circulatory),
                    ("neurological/behavioural", &s.neurological_behavioural),
                    ("intestinal", &s.intestinal),
                    ("dermatological", &s.dermatological),
                    ("nephrological", &s.nephrological),
                    ("other", &s.other),
                ]
                .iter()
                .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}: {v}")))
                .collect();
                let deviations: Vec<String> = outbreak
                    .deviations
                    .iter()
                    .map(|d| deviation_label(*d).to_owned())
                    .collect();
                let count = |n: Option<i64>| or_dash(n.map(|n| n.to_string()).as_deref());
                blocks.push(Block::Fields(vec![
                    field(
                        "1.",
                        "Time of cognizance of the outbreak",
                        outbreak.time_of_cognizance.to_string(),
                    ),
                    field(
                        "2.",
                        "Location and approximate area affected",
                        match outbreak.area_affected_km2 {
                            Some(area) => {
                                format!("{} (about {} km²)", outbreak.location, number(area))
                            }
                            None => outbreak.location.clone(),
                        },
                    ),
                    field(
                        "3.",
                        "Type of disease/intoxication",
                        outbreak.disease.clone(),
                    ),
                    field(
                        "4.",
                        "Suspected source of disease/intoxication",
                        or_dash(outbreak.suspected_source.as_deref()),
                    ),
                    field(
                        "5.",
                        "Possible causative agent(s)",
                        list(&outbreak.causative_agents),
                    ),
                    field(
                        "6.",
                        "Main characteristics of systems",
                        or_dash(outbreak.main_characteristics.as_deref()),
                    ),
                    field("7.", "Detailed symptoms, when applicable", list(&symptoms)),
                    field(
                        "8.",
                        "Deviation(s) from the normal pattern as regards",
                        match &outbreak.deviation_details {
                            Some(details) => format!("{} — {details}", list(&deviations)),
                            None => list(&deviations),
                        },
                    ),
                    field(
                        "9.",
                        "Approximate number of primary cases",
                        count(outbreak.primary_cases),
                    ),
                    field(
                        "10.",
                        "Approximate number of total cases",
                        count(outbreak.total_cases),
                    ),
                    field("11.", "Number of deaths", count(outbreak.deaths)),
                    field(
                        "12.",
                        "Development of the outbreak",
                        or_dash(outbreak.development.as_deref()),
                    ),
                    field(
                        "13.",
                        "Measures taken",
                        or_dash(outbreak.measures_taken.as_deref()),
                    ),
                ]));
            }
            if b.outbreaks.is_empty() {
                blocks.push(Block::Paragraph("No outbreak reported.".into()));
            }
        }
    }

    // C
    form_heading(&mut blocks, Measure::C);
    match &forms.c {
        None => not_submitted(&mut blocks, submission, Measure::C),
        Some(c) => blocks.push(Block::Fields(vec![
            field("", "Publication policy", c.publication_policy.clone()),
            field("", "References", list(&c.references)),
        ])),
    }

    // E
    form_heading(&mut blocks, Measure::E);
    match &forms.e {
        None => not_submitted(&mut blocks, submission, Measure::E),
        Some(e) => {
            let rows = e
                .rows()
                .iter()
                .map(|(_, label, row)| {
                    vec![
                        (*label).to_owned(),
                        yes_no(row.legislation),
                        yes_no(row.regulations),
                        yes_no(row.other_measures),
                        yes_no(row.amended_since_last_year),
                        list(&row.references),
                    ]
                })
                .collect();
            blocks.push(Block::Table(
                vec![
                    "Relating to".into(),
                    "Legislation".into(),
                    "Regulations".into(),
                    "Other measures".into(),
                    "Amended since last year".into(),
                    "References".into(),
                ],
                rows,
            ));
        }
    }

    // F
    form_heading(&mut blocks, Measure::F);
    match &forms.f {
        None => not_submitted(&mut blocks, submission, Measure::F),
        Some(f) => {
            let periods = |periods: &[Period]| -> String {
                let texts: Vec<String> = periods
                    .iter()
                    .map(|p| match p.to_year {
                        Some(to) => format!("{}–{to}", p.from_year),
                        None => format!("{}–", p.from_year),
                    })
                    .collect();
                list(&texts)
            };
            let activities: Vec<String> = f
                .offensive
                .activities
                .iter()
                .map(|a| offensive_label(*a).to_owned())
                .collect();
            let areas: Vec<String> = f
                .defensive
                .areas
                .iter()
                .map(|a| area_label(*a).to_owned())
                .collect();
            blocks.push(Block::Fields(vec![
                field(
                    "1.",
                    "Date of entry into force of the Convention for the State Party",
                    or_dash(f.entry_into_force.map(|d| d.to_string()).as_deref()),
                ),
                field(
                    "2.",
                    "Past offensive biological research and development programmes",
                    yes_no(f.offensive.conducted),
                ),
                field(
                    "2.",
                    "Period(s) of activities",
                    periods(&f.offensive.periods),
                ),
                field(
                    "2.",
                    "Summary of the research and development activities",
                    or_dash(f.offensive.summary.as_deref()),
                ),
                field("2.", "Work performed concerning", list(&activities)),
                field(
                    "3.",
                    "Past defensive biological research and development programmes",
                    yes_no(f.defensive.conducted),
                ),
                field(
                    "3.",
                    "Period(s) of activities",
                    periods(&f.defensive.periods),
                ),
                field(
                    "3.",
                    "Summary of the research and development activities",
                    or_dash(f.defensive.summary.as_deref()),
                ),
                field("3.", "Areas of work", list(&areas)),
            ]));
        }
    }

    // G
    form_heading(&mut blocks, Measure::G);
    match &forms.g {
        None => not_submitted(&mut blocks, submission, Measure::G),
        Some(g) => {
            let rows = g
                .facilities
                .iter()
                .map(|f| {
                    vec![
                        f.facility_id.to_string(),
                        f.name.clone(),
                        f.location.clone(),
                        f.diseases_covered.clone(),
                    ]
                })
                .collect();
            blocks.push(Block::Table(
                vec![
                    "Facility id".into(),
                    "1. Name of facility".into(),
                    "2. Location (mailing address)".into(),
                    "3. General description of the types of diseases covered".into(),
                ],
                rows,
            ));
        }
    }

    if !submission.explanations.is_empty() {
        blocks.push(Block::Heading(2, "Explanations".into()));
        blocks.push(Block::Table(
            vec!["Facility".into(), "Explanation".into()],
            submission
                .explanations
                .iter()
                .map(|e| vec![e.facility_id.to_string(), e.text.clone()])
                .collect(),
        ));
    }
    blocks
}

fn not_submitted(blocks: &mut Vec<Block>, submission: &Submission, measure: Measure) {
    let status = submission.form_0_status(measure);
    let text = if status.nothing_to_declare {
        "Nothing to declare (Form 0).".to_owned()
    } else if status.nothing_new_to_declare {
        match status.year_of_last_declaration {
            Some(year) => format!("Nothing new to declare since {year} (Form 0)."),
            None => "Nothing new to declare (Form 0).".to_owned(),
        }
    } else {
        "Not filled in.".to_owned()
    };
    blocks.push(Block::Paragraph(text));
}

fn research_facility(blocks: &mut Vec<Block>, facility: &ResearchFacility) {
    blocks.push(Block::Heading(
        4,
        format!("{} ({})", facility.name, facility.facility_id),
    ));
    let mut name = facility.name.clone();
    if facility.declared_in_a_part_2_iii {
        name.push_str(" [Declared in accordance with Form A, part 2 (iii)]");
    }
    let financing = format!(
        "{} (Ministry of Defence: {})",
        facility.financing.sources,
        match facility.financing.ministry_of_defence {
            DefenceFinancing::None => "no",
            DefenceFinancing::Partly => "partly",
            DefenceFinancing::Wholly => "wholly",
        }
    );
    let units: Vec<String> = facility
        .containment_units
        .iter()
        .map(|u| {
            let mut text = format!(
                "{}{}, {} m²",
                if u.animal { "A" } else { "" },
                u.level.label(),
                number(u.area_m2)
            );
            if let Some(remark) = &u.remark {
                let _ = write!(text, " ({remark})");
            }
            text
        })
        .collect();
    let mut scope = facility.scope.clone();
    if !facility.agents.is_empty() {
        let _ = write!(scope, " Agents: {}.", facility.agents.join("; "));
    }
    blocks.push(Block::Fields(vec![
        field("1.", "Name(s) of facility", name),
        field(
            "2.",
            "Responsible public or private organization or company",
            facility.responsible_organisation.clone(),
        ),
        field("3.", "Location and postal address", facility.location.clone()),
        field(
            "4.",
            "Source(s) of financing of the reported activity, including indication if the activity is wholly or partly financed by the Ministry of Defence",
            financing,
        ),
        field(
            "5.",
            "Number of maximum containment units within the research centre and/or laboratory, with an indication of their respective size (m²)",
            format!("{}: {}", facility.containment_units.len(), list(&units)),
        ),
        field(
            "6.",
            "Scope and general description of activities, including type(s) of micro-organisms and/or toxins as appropriate",
            scope,
        ),
    ]));
}

fn defence_facility(blocks: &mut Vec<Block>, facility: &DefenceFacility) {
    blocks.push(Block::Heading(
        3,
        format!("{} ({})", facility.name, facility.facility_id),
    ));
    let location = match facility.coordinates {
        Some(c) => format!("{} ({}, {})", facility.location, c.latitude, c.longitude),
        None => facility.location.clone(),
    };
    blocks.push(Block::Fields(vec![
        field(
            "1.",
            "What is the name of the facility?",
            facility.name.clone(),
        ),
        field(
            "2.",
            "Where is it located (include both address and geographical location)?",
            location,
        ),
        field(
            "3.",
            "Floor area of laboratory areas by containment level",
            "see table".into(),
        ),
    ]));
    let area = facility.floor_area;
    blocks.push(Block::Table(
        vec![
            "BL2 (m²)".into(),
            "BL3 (m²)".into(),
            "BL4 (m²)".into(),
            "Total laboratory floor area (m²)".into(),
        ],
        vec![vec![
            number(area.bl2_m2),
            number(area.bl3_m2),
            number(area.bl4_m2),
            number(area.total_laboratory_m2),
        ]],
    ));
    let p = &facility.personnel;
    blocks.push(Block::Paragraph(
        "4. The organizational structure of the facility: personnel".into(),
    ));
    blocks.push(Block::Table(
        vec!["Personnel".into(), "Number".into()],
        vec![
            vec!["(i) Total number of personnel".into(), p.total.to_string()],
            vec!["(ii) Military".into(), p.military.to_string()],
            vec!["(ii) Civilian".into(), p.civilian.to_string()],
            vec!["(iii) Scientists".into(), p.scientists.to_string()],
            vec!["(iii) Engineers".into(), p.engineers.to_string()],
            vec!["(iii) Technicians".into(), p.technicians.to_string()],
            vec![
                "(iii) Administrative and support staff".into(),
                p.administrative_and_support.to_string(),
            ],
            vec![
                "(v) Contractor staff (approximate)".into(),
                or_dash(p.contractor_staff.map(|n| n.to_string()).as_deref()),
            ],
        ],
    ));
    let levels = &facility.funding_levels;
    let publications: Vec<String> = facility
        .publications
        .iter()
        .map(|p| format!("{}: {}. {}", p.authors, p.title, p.reference))
        .collect();
    let mut work = facility.work_description.clone();
    if !facility.agents.is_empty() {
        let _ = write!(work, " Agents: {}.", facility.agents.join("; "));
    }
    blocks.push(Block::Fields(vec![
        field(
            "4 (iv)",
            "Scientific disciplines represented in the scientific/engineering staff",
            list(&p.scientific_disciplines),
        ),
        field(
            "4 (vi)",
            "Source(s) of funding for the work conducted in the facility",
            funding_sources(&facility.funding_sources),
        ),
        field(
            "4 (vii)",
            "Funding levels: research / development / test and evaluation",
            format!(
                "{} / {} / {} {}",
                number(levels.research),
                number(levels.development),
                number(levels.test_and_evaluation),
                levels.currency
            ),
        ),
        field(
            "4 (viii)",
            "Publication policy of the facility",
            facility.publication_policy.clone(),
        ),
        field(
            "4 (ix)",
            "Publicly available papers and reports published during the previous 12 months",
            list(&publications),
        ),
        field(
            "5.",
            "Biological defence work carried out at the facility, including type(s) of micro-organisms and/or toxins studied, as well as outdoor studies of biological aerosols",
            work,
        ),
    ]));
}

fn area_label(area: ResearchArea) -> &'static str {
    match area {
        ResearchArea::Prophylaxis => "prophylaxis",
        ResearchArea::PathogenicityAndVirulence => "studies on pathogenicity and virulence",
        ResearchArea::DiagnosticTechniques => "diagnostic techniques",
        ResearchArea::Aerobiology => "aerobiology",
        ResearchArea::Detection => "detection",
        ResearchArea::Treatment => "treatment",
        ResearchArea::Toxinology => "toxinology",
        ResearchArea::PhysicalProtection => "physical protection",
        ResearchArea::Decontamination => "decontamination",
        ResearchArea::OtherRelatedResearch => "other related research",
    }
}

fn offensive_label(activity: OffensiveActivity) -> &'static str {
    match activity {
        OffensiveActivity::Production => "production",
        OffensiveActivity::TestAndEvaluation => "test and evaluation",
        OffensiveActivity::Weaponization => "weaponization",
        OffensiveActivity::Stockpiling => "stockpiling of biological agents",
        OffensiveActivity::DestructionProgramme => {
            "the destruction programme of such agents and weapons"
        }
        OffensiveActivity::OtherRelatedResearch => "other related research",
    }
}

fn deviation_label(deviation: Deviation) -> &'static str {
    match deviation {
        Deviation::Type => "type",
        Deviation::Development => "development",
        Deviation::PlaceOfOccurrence => "place of occurrence",
        Deviation::TimeOfOccurrence => "time of occurrence",
        Deviation::Symptoms => "symptoms",
        Deviation::VirulencePattern => "virulence pattern",
        Deviation::DrugResistancePattern => "drug resistance pattern",
        Deviation::AgentsDifficultToDiagnose => "agent(s) difficult to diagnose",
        Deviation::PresenceOfUnusualVectors => "presence of unusual vectors",
        Deviation::Other => "other",
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Escapes text for Markdown (inline, and inside table cells): Markdown
/// punctuation is backslash-escaped, HTML is neutralised, line breaks are
/// folded into spaces.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

const CSS: &str = "body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.4}\
h1{font-size:1.5rem;border-bottom:2px solid #333}\
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #999;page-break-after:avoid}\
h3{font-size:1.05rem;page-break-after:avoid}h4{font-size:1rem;font-style:italic}\
table{border-collapse:collapse;width:100%;margin:0.5rem 0 1rem;page-break-inside:avoid}\
th,td{border:1px solid #666;padding:0.25rem 0.5rem;vertical-align:top;text-align:left}\
th{background:#eee}td.num{width:4rem;white-space:nowrap}td.q{width:40%}\
@media print{body{margin:0;max-width:none}a{color:inherit}}";

fn to_html(submission: &Submission, blocks: &[Block]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape_html(&format!(
            "CBM return {} {}",
            submission.state_party, submission.reporting_year
        ))
    );
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape_html(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape_html(text));
            }
            Block::Fields(fields) => {
                out.push_str("<table class=\"fields\">\n");
                for (number, question, answer) in fields {
                    let _ = writeln!(
                        out,
                        "<tr><td class=\"num\">{}</td><td class=\"q\">{}</td><td>{}</td></tr>",
                        escape_html(number),
                        escape_html(question),
                        escape_html(answer)
                    );
                }
                out.push_str("</table>\n");
            }
            Block::Table(header, rows) => {
                out.push_str("<table>\n<tr>");
                for cell in header {
                    let _ = write!(out, "<th>{}</th>", escape_html(cell));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", escape_html(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn md_row(cells: &[String]) -> String {
    let escaped: Vec<String> = cells.iter().map(|c| escape_markdown(c)).collect();
    format!("| {} |", escaped.join(" | "))
}

fn to_markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let hashes = "#".repeat(usize::from(*level));
                let _ = writeln!(out, "{hashes} {}\n", escape_markdown(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{}\n", escape_markdown(text));
            }
            Block::Fields(fields) => {
                out.push_str("| No. | Question | Answer |\n|---|---|---|\n");
                for (number, question, answer) in fields {
                    let _ = writeln!(
                        out,
                        "{}",
                        md_row(&[number.clone(), question.clone(), answer.clone()])
                    );
                }
                out.push('\n');
            }
            Block::Table(header, rows) => {
                let _ = writeln!(out, "{}", md_row(header));
                let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    let _ = writeln!(out, "{}", md_row(row));
                }
                out.push('\n');
            }
        }
    }
    out
}
