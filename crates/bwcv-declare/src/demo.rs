//! Demo data: clearly fictional States Parties (ISO 3166 user-assigned codes
//! starting with X) and their CBM returns for several years, generated from
//! a seed. The same seed always gives the same world.
//!
//! The numbers (personnel, areas, funding, submission dates) vary with the
//! seed; the deliberate inconsistencies below are present for every seed, so
//! that the overview has something to find:
//!
//! | State Party | Inconsistency |
//! |---|---|
//! | XAR Republic of Arcadia | facility XAR-F0002 (BSL-4) disappears from the 2024 return without explanation; the 2023 return names an agent that is not on the lists |
//! | XLI Kingdom of Lilliput | the 2023 return marks Form A part 1 "nothing new" but its content changed; the 2025 return is submitted after the 15 April deadline |
//! | XUT Commonwealth of Utopia | no 2023 return; the 2024 return says "nothing new since 2023" for Form E |
//! | XER Grand Duchy of Erewhon | from 2024, an A part 2 (iii) facility has BL4 area but is missing from A part 1 (i); an ambiguous agent name in 2022; no 2025 return |
//! | XFR Federated States of Freedonia | none: a complete, consistent, public record |

use bwcv_core::{FacilityId, StatePartyCode, Visibility};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::*;
pub use crate::overview::StateParty as DemoStateParty;

/// First reporting year of the demo returns.
pub const FIRST_YEAR: i32 = 2021;
/// Last reporting year of the demo returns.
pub const LAST_YEAR: i32 = 2025;

/// The generated world: who the States Parties are and what they submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoWorld {
    /// The States Parties, by code.
    pub states: Vec<DemoStateParty>,
    /// Every return, ordered by State Party then reporting year.
    pub submissions: Vec<Submission>,
    /// The reporting year the demo overview looks at (the latest).
    pub year: i32,
    /// The "as of" date of the demo overview (after the deadline for `year`).
    pub as_of: NaiveDate,
}

/// Generates the demo world from `seed`.
pub fn generate(seed: u64) -> DemoWorld {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let states = vec![
        state("XAR", "Republic of Arcadia"),
        state("XLI", "Kingdom of Lilliput"),
        state("XUT", "Commonwealth of Utopia"),
        state("XER", "Grand Duchy of Erewhon"),
        state("XFR", "Federated States of Freedonia"),
    ];
    let mut submissions = Vec::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        submissions.push(arcadia(year, &mut rng));
    }
    for year in FIRST_YEAR..=LAST_YEAR {
        submissions.push(lilliput(year, &mut rng));
    }
    for year in FIRST_YEAR..=LAST_YEAR {
        if year != 2023 {
            submissions.push(utopia(year, &mut rng));
        }
    }
    for year in FIRST_YEAR..LAST_YEAR {
        submissions.push(erewhon(year, &mut rng));
    }
    for year in FIRST_YEAR..=LAST_YEAR {
        submissions.push(freedonia(year, &mut rng));
    }
    DemoWorld {
        states,
        submissions,
        year: LAST_YEAR,
        as_of: date(LAST_YEAR + 1, 6, 30),
    }
}

fn state(code: &str, name: &str) -> DemoStateParty {
    DemoStateParty {
        code: code_of(code),
        name: name.to_owned(),
    }
}

fn code_of(code: &str) -> StatePartyCode {
    StatePartyCode::new(code).unwrap_or_else(|_| unreachable!("demo codes are valid"))
}

fn fid(id: &str) -> FacilityId {
    FacilityId::new(id).unwrap_or_else(|_| unreachable!("demo facility ids are valid"))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .unwrap_or_else(|| unreachable!("demo dates are valid"))
}

/// A submission date between 1 February and 10 April of the following year.
fn on_time(year: i32, rng: &mut ChaCha8Rng) -> NaiveDate {
    let month = rng.gen_range(2..=4);
    let last_day = if month == 4 { 10 } else { 28 };
    date(year + 1, month, rng.gen_range(1..=last_day))
}

fn vary(rng: &mut ChaCha8Rng, base: i64, spread: i64) -> i64 {
    base + rng.gen_range(-spread..=spread)
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn submission(
    code: &str,
    year: i32,
    submitted: Option<NaiveDate>,
    visibility: Visibility,
) -> Submission {
    Submission {
        format_version: FORMAT_VERSION,
        state_party: code_of(code),
        reporting_year: year,
        submitted,
        visibility,
        forms: Forms::default(),
        explanations: Vec::new(),
    }
}

fn form_0(submitted: Option<NaiveDate>, contact: &str, ratified: NaiveDate) -> Form0 {
    Form0 {
        date: submitted,
        date_of_ratification_or_accession: Some(ratified),
        national_point_of_contact: Some(contact.to_owned()),
        measures: Form0Measures::default(),
    }
}

fn nothing(form_0: &mut Form0, measure: Measure) {
    form_0.measures.get_mut(measure).nothing_to_declare = true;
}

fn nothing_new(form_0: &mut Form0, measure: Measure, since: i32) {
    let status = form_0.measures.get_mut(measure);
    status.nothing_new_to_declare = true;
    status.year_of_last_declaration = Some(since);
}

fn unit(level: BiosafetyLevel, area_m2: f64) -> ContainmentUnit {
    ContainmentUnit {
        level,
        area_m2,
        animal: false,
        remark: None,
    }
}

/// Personnel of `total`, divided consistently.
fn personnel(total: i64, military_share: i64, disciplines: &[&str]) -> Personnel {
    let military = total * military_share / 100;
    let scientists = total * 40 / 100;
    let engineers = total * 10 / 100;
    let technicians = total * 30 / 100;
    Personnel {
        total,
        military,
        civilian: total - military,
        scientists,
        engineers,
        technicians,
        administrative_and_support: total - scientists - engineers - technicians,
        scientific_disciplines: texts(disciplines),
        contractor_staff: None,
    }
}

fn legislation(references: &[&str]) -> LegislationRow {
    LegislationRow {
        legislation: true,
        regulations: true,
        other_measures: false,
        amended_since_last_year: false,
        references: texts(references),
    }
}

fn no_past_programmes(entry_into_force: NaiveDate) -> FormF {
    FormF {
        entry_into_force: Some(entry_into_force),
        offensive: PastOffensiveProgrammes {
            conducted: false,
            periods: Vec::new(),
            summary: None,
            activities: Vec::new(),
        },
        defensive: PastDefensiveProgrammes {
            conducted: false,
            periods: Vec::new(),
            summary: None,
            areas: Vec::new(),
        },
    }
}

// ---------------------------------------------------------------------------
// XAR: Republic of Arcadia. A large biodefence programme.

fn arcadia(year: i32, rng: &mut ChaCha8Rng) -> Submission {
    let submitted = Some(on_time(year, rng));
    let mut s = submission("XAR", year, submitted, Visibility::StatesPartiesOnly);
    let mut f0 = form_0(
        submitted,
        "Directorate for Arms Control, Ministry of Foreign Affairs, 1 Treaty Square, Meridian City, Arcadia; cbm@mfa.arcadia.example",
        date(1975, 3, 26),
    );
    let institute = ResearchFacility {
        facility_id: fid("XAR-F0001"),
        name: "Arcadia Institute for Biodefence Research".into(),
        declared_in_a_part_2_iii: true,
        responsible_organisation: "Ministry of Defence".into(),
        location: "12 Citadel Road, Meridian City 10400, Arcadia".into(),
        financing: Financing {
            sources: "Ministry of Defence".into(),
            ministry_of_defence: DefenceFinancing::Wholly,
        },
        containment_units: vec![
            unit(BiosafetyLevel::Bl4, 160.0),
            unit(BiosafetyLevel::Bl4, 175.0),
        ],
        scope: "Research and development into protective measures against the hostile use of micro-organisms and toxins: detection, diagnostics, medical countermeasures.".into(),
        agents: texts(&["Bacillus anthracis", "Variola virus", "Francisella tularensis"]),
    };
    let viral_centre = ResearchFacility {
        facility_id: fid("XAR-F0002"),
        name: "National Centre for Emerging Viral Diseases".into(),
        declared_in_a_part_2_iii: false,
        responsible_organisation: "Ministry of Health".into(),
        location: "4 Harbour Avenue, Port Meridian 20210, Arcadia".into(),
        financing: Financing {
            sources: "Ministry of Health; National Research Council".into(),
            ministry_of_defence: DefenceFinancing::None,
        },
        containment_units: vec![unit(BiosafetyLevel::Bl4, 210.0)],
        scope: "Diagnosis and reference services for viral haemorrhagic fevers; research on vaccines and antivirals.".into(),
        agents: texts(&["Lassa virus", "Crimean-Congo hemorrhagic fever virus", "Marburgvirus"]),
    };
    let mut a1 = vec![institute];
    // Deliberate: XAR-F0002 is no longer declared from 2024 on, without explanation.
    if year < 2024 {
        a1.push(viral_centre);
    }
    s.forms.a_part_1 = Some(FormAPart1 {
        maximum_containment: a1,
        highest_biosafety_level: None,
    });
    s.forms.a_part_2_i = Some(FormAPart2i {
        programme_exists: true,
    });
    let total_funding = (vary(rng, 4_200, 300) * 10_000) as f64;
    let mod_share = 92.0;
    s.forms.a_part_2_ii = Some(FormAPart2ii {
        programmes: vec![DefenceProgramme {
            name: "Arcadian National Biodefence Programme".into(),
            objectives: "To protect the armed forces and the population of Arcadia against biological weapons: detection and identification, medical countermeasures, physical protection and decontamination.".into(),
            research_areas: vec![
                ResearchArea::Prophylaxis,
                ResearchArea::DiagnosticTechniques,
                ResearchArea::Detection,
                ResearchArea::Treatment,
                ResearchArea::PhysicalProtection,
                ResearchArea::Decontamination,
            ],
            total_funding: Money {
                amount: total_funding,
                currency: "XAD".into(),
            },
            funding_sources: vec![
                FundingSource {
                    source: "Ministry of Defence".into(),
                    amount: Some(total_funding * mod_share / 100.0),
                    ministry_of_defence: true,
                },
                FundingSource {
                    source: "Ministry of the Interior (civil protection)".into(),
                    amount: Some(total_funding * (100.0 - mod_share) / 100.0),
                    ministry_of_defence: false,
                },
            ],
            ministry_of_defence_share_percent: Some(mod_share),
            contracted_out: true,
            contracted_share_percent: Some(f64::from(rng.gen_range(8..=14))),
            contractor_summary: Some("Detector prototypes with industry; immunology studies with the University of Meridian.".into()),
            organisation_chart_reference: Some("Annex XAR-1: organisation chart of the programme".into()),
            facilities: vec![fid("XAR-F0001"), fid("XAR-F0003")],
        }],
    });
    let mut detachment_agents = texts(&["Yersinia pestis", "Coxiella burnetii"]);
    // Deliberate: an agent that is not on the controlled lists.
    if year == 2023 {
        detachment_agents.push("Arcadian marsh fever virus".into());
    }
    s.forms.a_part_2_iii = Some(FormAPart2iii {
        facilities: vec![
            DefenceFacility {
                facility_id: fid("XAR-F0001"),
                name: "Arcadia Institute for Biodefence Research".into(),
                location: "12 Citadel Road, Meridian City 10400, Arcadia".into(),
                coordinates: Some(Coordinates {
                    latitude: 41.2,
                    longitude: 12.7,
                }),
                floor_area: FloorArea {
                    bl2_m2: 1_450.0,
                    bl3_m2: 820.0,
                    bl4_m2: 335.0,
                    total_laboratory_m2: 2_605.0,
                },
                personnel: personnel(vary(rng, 410, 12), 30, &["microbiology", "virology", "immunology", "aerobiology", "chemical engineering"]),
                funding_sources: vec![FundingSource {
                    source: "Ministry of Defence".into(),
                    amount: None,
                    ministry_of_defence: true,
                }],
                funding_levels: FundingLevels {
                    currency: "XAD".into(),
                    research: (vary(rng, 1_800, 100) * 10_000) as f64,
                    development: (vary(rng, 900, 80) * 10_000) as f64,
                    test_and_evaluation: (vary(rng, 300, 40) * 10_000) as f64,
                },
                publication_policy: "Results are published in the open literature unless classified for national security reasons; publications are reviewed before submission.".into(),
                publications: vec![Publication {
                    authors: "Varga L., Okafor N.".into(),
                    title: format!("Field evaluation of a portable aerosol detector ({year})"),
                    reference: format!("Arcadian Journal of Applied Microbiology {}, 114–121", year - 1990),
                }],
                work_description: "Detection and identification of biological agents, medical countermeasures, decontamination; no outdoor studies of biological aerosols.".into(),
                agents: texts(&["Bacillus anthracis", "Francisella tularensis", "Botulinum toxins"]),
            },
            DefenceFacility {
                facility_id: fid("XAR-F0003"),
                name: "Army Medical Research Detachment".into(),
                location: "Barracks 7, Port Meridian 20240, Arcadia".into(),
                coordinates: None,
                floor_area: FloorArea {
                    bl2_m2: 300.0,
                    bl3_m2: 140.0,
                    bl4_m2: 0.0,
                    total_laboratory_m2: 440.0,
                },
                personnel: personnel(vary(rng, 60, 4), 70, &["medicine", "epidemiology"]),
                funding_sources: vec![FundingSource {
                    source: "Ministry of Defence".into(),
                    amount: None,
                    ministry_of_defence: true,
                }],
                funding_levels: FundingLevels {
                    currency: "XAD".into(),
                    research: (vary(rng, 200, 20) * 10_000) as f64,
                    development: 0.0,
                    test_and_evaluation: (vary(rng, 50, 10) * 10_000) as f64,
                },
                publication_policy: "As the Ministry of Defence policy.".into(),
                publications: Vec::new(),
                work_description: "Diagnostics and field epidemiology for deployed forces.".into(),
                agents: detachment_agents,
            },
        ],
    });
    if year == 2022 {
        s.forms.b = Some(FormB {
            outbreaks: vec![Outbreak {
                time_of_cognizance: date(2022, 8, 14),
                location: "Valley of Orrin, northern province".into(),
                area_affected_km2: Some(120.0),
                disease: "Tularaemia".into(),
                suspected_source: Some("Contaminated stream water; hares".into()),
                causative_agents: texts(&["Francisella tularensis"]),
                main_characteristics: Some(
                    "Oropharyngeal form, clustered in three villages".into(),
                ),
                symptoms: Symptoms {
                    respiratory: Some("cough in a minority of cases".into()),
                    other: Some("fever, cervical lymphadenopathy, pharyngitis".into()),
                    ..Symptoms::default()
                },
                deviations: vec![Deviation::PlaceOfOccurrence, Deviation::TimeOfOccurrence],
                deviation_details: Some(
                    "No tularaemia reported in the province for twenty years; late-summer peak."
                        .into(),
                ),
                primary_cases: Some(23),
                total_cases: Some(31),
                deaths: Some(0),
                development: Some("Declined after six weeks".into()),
                measures_taken: Some(
                    "Water treatment, public information, antibiotic treatment".into(),
                ),
            }],
        });
    } else {
        nothing(&mut f0, Measure::B);
    }
    s.forms.c = Some(FormC {
        publication_policy: "Publication of results of biological research directly related to the Convention is encouraged; government-funded research is published unless classified.".into(),
        references: texts(&["Research Publication Policy of Arcadia (2015)"]),
    });
    s.forms.e = Some(FormE {
        development_production_stockpiling: legislation(&["Biological Weapons Act 1976"]),
        exports: legislation(&[
            "Strategic Goods Export Act 2004",
            "Export Control Regulations 2019",
        ]),
        imports: legislation(&["Import of Pathogens Regulations 2011"]),
        biosafety_and_biosecurity: legislation(&["Biosafety and Biosecurity Act 2013"]),
    });
    s.forms.f = Some(FormF {
        entry_into_force: Some(date(1975, 3, 26)),
        offensive: PastOffensiveProgrammes {
            conducted: false,
            periods: Vec::new(),
            summary: None,
            activities: Vec::new(),
        },
        defensive: PastDefensiveProgrammes {
            conducted: true,
            periods: vec![Period {
                from_year: 1958,
                to_year: None,
            }],
            summary: Some(
                "Defensive research since 1958 at the Citadel Road establishment (now XAR-F0001)."
                    .into(),
            ),
            areas: vec![
                ResearchArea::Prophylaxis,
                ResearchArea::Detection,
                ResearchArea::PhysicalProtection,
            ],
        },
    });
    s.forms.g = Some(FormG {
        facilities: vec![VaccineFacility {
            facility_id: fid("XAR-F0004"),
            name: "Meridian Vaccine Works".into(),
            location: "PO Box 88, Meridian City 10480, Arcadia".into(),
            diseases_covered: "Influenza, measles, tetanus, rabies".into(),
        }],
    });
    s.forms.form_0 = Some(f0);
    s
}

// ---------------------------------------------------------------------------
// XLI: Kingdom of Lilliput. No BSL-4, no programme.

fn lilliput(year: i32, rng: &mut ChaCha8Rng) -> Submission {
    // Deliberate: the 2025 return comes after the deadline.
    let submitted = if year == 2025 {
        Some(date(2026, 5, 20))
    } else {
        Some(on_time(year, rng))
    };
    let mut s = submission("XLI", year, submitted, Visibility::StatesPartiesOnly);
    let mut f0 = form_0(
        submitted,
        "Office of the Permanent Mission, 3 Blefuscu Street, Mildendo, Lilliput",
        date(1976, 10, 5),
    );
    let laboratory = |area: f64| ResearchFacility {
        facility_id: fid("XLI-F0001"),
        name: "Lilliput Public Health Reference Laboratory".into(),
        declared_in_a_part_2_iii: false,
        responsible_organisation: "Ministry of Health".into(),
        location: "21 Palace Lane, Mildendo 1100, Lilliput".into(),
        financing: Financing {
            sources: "Ministry of Health".into(),
            ministry_of_defence: DefenceFinancing::None,
        },
        containment_units: vec![unit(BiosafetyLevel::Bl3, area)],
        scope: "Reference diagnostics for notifiable diseases.".into(),
        agents: texts(&["Brucella melitensis", "Coxiella burnetii"]),
    };
    match year {
        2021 => {
            s.forms.a_part_1 = Some(FormAPart1 {
                maximum_containment: Vec::new(),
                highest_biosafety_level: Some(laboratory(120.0)),
            });
        }
        2022 => nothing_new(&mut f0, Measure::APart1, 2021),
        2023 => {
            // Deliberate: "nothing new" is ticked, yet the declared area changed.
            nothing_new(&mut f0, Measure::APart1, 2021);
            s.forms.a_part_1 = Some(FormAPart1 {
                maximum_containment: Vec::new(),
                highest_biosafety_level: Some(laboratory(150.0)),
            });
        }
        _ => {
            s.forms.a_part_1 = Some(FormAPart1 {
                maximum_containment: Vec::new(),
                highest_biosafety_level: Some(laboratory(150.0)),
            });
        }
    }
    s.forms.a_part_2_i = Some(FormAPart2i {
        programme_exists: false,
    });
    nothing(&mut f0, Measure::APart2Ii);
    nothing(&mut f0, Measure::APart2Iii);
    nothing(&mut f0, Measure::B);
    if year == FIRST_YEAR {
        s.forms.c = Some(FormC {
            publication_policy: "Research results are published freely; there is no restriction."
                .into(),
            references: Vec::new(),
        });
    } else {
        nothing_new(&mut f0, Measure::C, FIRST_YEAR);
    }
    s.forms.e = Some(FormE {
        development_production_stockpiling: legislation(&["Penal Code, Art. 211"]),
        exports: legislation(&["Customs and Export Act 1999"]),
        imports: legislation(&["Customs and Export Act 1999"]),
        biosafety_and_biosecurity: LegislationRow {
            legislation: false,
            regulations: true,
            other_measures: true,
            amended_since_last_year: year == 2024,
            references: texts(&["Laboratory Biosafety Decree 2017"]),
        },
    });
    if year == FIRST_YEAR {
        s.forms.f = Some(no_past_programmes(date(1976, 10, 5)));
    } else {
        nothing_new(&mut f0, Measure::F, FIRST_YEAR);
    }
    nothing(&mut f0, Measure::G);
    s.forms.form_0 = Some(f0);
    s
}

// ---------------------------------------------------------------------------
// XUT: Commonwealth of Utopia. One civilian BSL-4, a vaccine maker; 2023 missing.

fn utopia(year: i32, rng: &mut ChaCha8Rng) -> Submission {
    let submitted = Some(on_time(year, rng));
    let mut s = submission("XUT", year, submitted, Visibility::Public);
    let mut f0 = form_0(
        submitted,
        "CBM National Contact, Department of External Affairs, Amaurot, Utopia",
        date(1979, 6, 1),
    );
    s.forms.a_part_1 = Some(FormAPart1 {
        maximum_containment: vec![ResearchFacility {
            facility_id: fid("XUT-F0001"),
            name: "Utopia Federal Institute of Virology".into(),
            declared_in_a_part_2_iii: false,
            responsible_organisation: "Federal Ministry of Science".into(),
            location: "1 Hythloday Way, Amaurot 3300, Utopia".into(),
            financing: Financing {
                sources: "Federal Ministry of Science; competitive grants".into(),
                ministry_of_defence: DefenceFinancing::None,
            },
            containment_units: vec![unit(
                BiosafetyLevel::Bl4,
                f64::from(rng.gen_range(90..=110)),
            )],
            scope: "Basic research on the replication of haemorrhagic fever viruses; diagnostics."
                .into(),
            agents: texts(&["Ebolavirus", "Nipah virus", "Hendra virus"]),
        }],
        highest_biosafety_level: None,
    });
    s.forms.a_part_2_i = Some(FormAPart2i {
        programme_exists: false,
    });
    nothing(&mut f0, Measure::APart2Ii);
    nothing(&mut f0, Measure::APart2Iii);
    nothing(&mut f0, Measure::B);
    s.forms.c = Some(FormC {
        publication_policy: "All publicly funded research is published open access.".into(),
        references: texts(&["Open Science Act 2018"]),
    });
    if year == 2024 {
        // Deliberate: points to 2023, for which there is no return.
        nothing_new(&mut f0, Measure::E, 2023);
    } else {
        s.forms.e = Some(FormE {
            development_production_stockpiling: legislation(&[
                "Biological and Toxin Weapons (Prohibition) Act 1979",
            ]),
            exports: legislation(&["Dual-Use Export Act 2008"]),
            imports: legislation(&["Animal and Human Pathogens Import Order 2010"]),
            biosafety_and_biosecurity: legislation(&["Biosafety Act 2012"]),
        });
    }
    s.forms.f = Some(no_past_programmes(date(1979, 6, 1)));
    s.forms.g = Some(FormG {
        facilities: vec![VaccineFacility {
            facility_id: fid("XUT-F0002"),
            name: "Amaurot Biologicals".into(),
            location: "77 Anemolian Road, Amaurot 3310, Utopia".into(),
            diseases_covered: "Yellow fever, rabies, seasonal influenza".into(),
        }],
    });
    s.forms.form_0 = Some(f0);
    s
}

// ---------------------------------------------------------------------------
// XER: Grand Duchy of Erewhon. A defence establishment; a second lab grows a BL4 suite.

fn erewhon(year: i32, rng: &mut ChaCha8Rng) -> Submission {
    let submitted = Some(on_time(year, rng));
    let mut s = submission("XER", year, submitted, Visibility::StatesPartiesOnly);
    let mut f0 = form_0(
        submitted,
        "Arms Control Unit, Ministry of Foreign Affairs, Erewhon City, Erewhon",
        date(1973, 2, 12),
    );
    s.forms.a_part_1 = Some(FormAPart1 {
        maximum_containment: vec![ResearchFacility {
            facility_id: fid("XER-F0001"),
            name: "Erewhon Defence Science Establishment".into(),
            declared_in_a_part_2_iii: true,
            responsible_organisation: "Ministry of Defence".into(),
            location: "Range Road, Nosnibor 4400, Erewhon".into(),
            financing: Financing {
                sources: "Ministry of Defence".into(),
                ministry_of_defence: DefenceFinancing::Wholly,
            },
            containment_units: vec![unit(BiosafetyLevel::Bl4, 80.0)],
            scope: "Protection against biological agents: detection, decontamination, protective equipment.".into(),
            agents: texts(&["Bacillus anthracis", "Ricin"]),
        }],
        highest_biosafety_level: None,
    });
    s.forms.a_part_2_i = Some(FormAPart2i {
        programme_exists: true,
    });
    let total = (vary(rng, 900, 60) * 10_000) as f64;
    s.forms.a_part_2_ii = Some(FormAPart2ii {
        programmes: vec![DefenceProgramme {
            name: "Erewhon Biological Defence Programme".into(),
            objectives: "Protection of the armed forces against biological agents.".into(),
            research_areas: vec![
                ResearchArea::Detection,
                ResearchArea::Decontamination,
                ResearchArea::PhysicalProtection,
            ],
            total_funding: Money {
                amount: total,
                currency: "XEK".into(),
            },
            funding_sources: vec![FundingSource {
                source: "Ministry of Defence".into(),
                amount: Some(total),
                ministry_of_defence: true,
            }],
            ministry_of_defence_share_percent: Some(100.0),
            contracted_out: true,
            contracted_share_percent: Some(f64::from(rng.gen_range(15..=25))),
            contractor_summary: Some(
                "Laboratory studies at the Erewhon Institute of Microbiology (XER-F0002).".into(),
            ),
            organisation_chart_reference: Some("Annex XER-A".into()),
            facilities: vec![fid("XER-F0001"), fid("XER-F0002")],
        }],
    });
    let mut institute_agents = texts(&["Burkholderia pseudomallei"]);
    // Deliberate: "Brucella" matches several list entries.
    if year == 2022 {
        institute_agents.push("Brucella".into());
    }
    // Deliberate: from 2024 the institute has a BL4 suite, but Form A part 1 (i) does not list it.
    let institute_bl4 = if year >= 2024 { 45.0 } else { 0.0 };
    s.forms.a_part_2_iii = Some(FormAPart2iii {
        facilities: vec![
            DefenceFacility {
                facility_id: fid("XER-F0001"),
                name: "Erewhon Defence Science Establishment".into(),
                location: "Range Road, Nosnibor 4400, Erewhon".into(),
                coordinates: Some(Coordinates {
                    latitude: -43.5,
                    longitude: 171.2,
                }),
                floor_area: FloorArea {
                    bl2_m2: 400.0,
                    bl3_m2: 200.0,
                    bl4_m2: 80.0,
                    total_laboratory_m2: 680.0,
                },
                personnel: personnel(vary(rng, 120, 6), 50, &["microbiology", "biochemistry", "physics"]),
                funding_sources: vec![FundingSource {
                    source: "Ministry of Defence".into(),
                    amount: None,
                    ministry_of_defence: true,
                }],
                funding_levels: FundingLevels {
                    currency: "XEK".into(),
                    research: (vary(rng, 400, 30) * 10_000) as f64,
                    development: (vary(rng, 200, 20) * 10_000) as f64,
                    test_and_evaluation: (vary(rng, 100, 10) * 10_000) as f64,
                },
                publication_policy: "Unclassified results are published.".into(),
                publications: Vec::new(),
                work_description: "Detection, decontamination and protective equipment; no outdoor aerosol studies.".into(),
                agents: texts(&["Bacillus anthracis", "Ricin"]),
            },
            DefenceFacility {
                facility_id: fid("XER-F0002"),
                name: "Erewhon Institute of Microbiology".into(),
                location: "Northern Campus, Erewhon City 4100, Erewhon".into(),
                coordinates: None,
                floor_area: FloorArea {
                    bl2_m2: 250.0,
                    bl3_m2: 90.0,
                    bl4_m2: institute_bl4,
                    total_laboratory_m2: 340.0 + institute_bl4,
                },
                personnel: personnel(vary(rng, 35, 3), 0, &["microbiology"]),
                funding_sources: vec![FundingSource {
                    source: "Ministry of Defence (contract)".into(),
                    amount: None,
                    ministry_of_defence: true,
                }],
                funding_levels: FundingLevels {
                    currency: "XEK".into(),
                    research: (vary(rng, 150, 20) * 10_000) as f64,
                    development: 0.0,
                    test_and_evaluation: 0.0,
                },
                publication_policy: "University policy: open publication.".into(),
                publications: vec![Publication {
                    authors: "Higgs J.".into(),
                    title: "Survival of Burkholderia in soil".into(),
                    reference: format!("Erewhon Microbiology Letters {year}; 7: 33–40"),
                }],
                work_description: "Contracted laboratory studies on environmental persistence.".into(),
                agents: institute_agents,
            },
        ],
    });
    nothing(&mut f0, Measure::B);
    s.forms.c = Some(FormC {
        publication_policy: "Publication is encouraged.".into(),
        references: Vec::new(),
    });
    s.forms.e = Some(FormE {
        development_production_stockpiling: legislation(&["Weapons of Mass Destruction Act 1990"]),
        exports: legislation(&["Export Control Act 2001"]),
        imports: legislation(&["Biosecurity Act 1993"]),
        biosafety_and_biosecurity: legislation(&["Biosecurity Act 1993"]),
    });
    s.forms.f = Some(FormF {
        entry_into_force: Some(date(1975, 3, 26)),
        offensive: PastOffensiveProgrammes {
            conducted: false,
            periods: Vec::new(),
            summary: None,
            activities: Vec::new(),
        },
        defensive: PastDefensiveProgrammes {
            conducted: true,
            periods: vec![Period {
                from_year: 1962,
                to_year: None,
            }],
            summary: Some("At Range Road since 1962.".into()),
            areas: vec![ResearchArea::Detection, ResearchArea::PhysicalProtection],
        },
    });
    nothing(&mut f0, Measure::G);
    s.forms.form_0 = Some(f0);
    s
}

// ---------------------------------------------------------------------------
// XFR: Federated States of Freedonia. Small, complete, consistent, public.

fn freedonia(year: i32, rng: &mut ChaCha8Rng) -> Submission {
    let submitted = Some(on_time(year, rng));
    let mut s = submission("XFR", year, submitted, Visibility::Public);
    let mut f0 = form_0(
        submitted,
        "Treaty Office, Ministry of Foreign Affairs, Fredonia City, Freedonia",
        date(1983, 9, 1),
    );
    nothing(&mut f0, Measure::APart1);
    s.forms.a_part_2_i = Some(FormAPart2i {
        programme_exists: false,
    });
    nothing(&mut f0, Measure::APart2Ii);
    nothing(&mut f0, Measure::APart2Iii);
    nothing(&mut f0, Measure::B);
    if year == FIRST_YEAR {
        s.forms.c = Some(FormC {
            publication_policy: "No restrictions on publication.".into(),
            references: Vec::new(),
        });
        s.forms.e = Some(FormE {
            development_production_stockpiling: legislation(&[
                "Prohibition of Biological Weapons Act 1983",
            ]),
            exports: legislation(&["Export Licensing Act 1995"]),
            imports: legislation(&["Export Licensing Act 1995"]),
            biosafety_and_biosecurity: legislation(&["Health Protection Regulations 2009"]),
        });
        s.forms.f = Some(no_past_programmes(date(1983, 9, 1)));
    } else {
        nothing_new(&mut f0, Measure::C, FIRST_YEAR);
        nothing_new(&mut f0, Measure::E, FIRST_YEAR);
        nothing_new(&mut f0, Measure::F, FIRST_YEAR);
    }
    nothing(&mut f0, Measure::G);
    s.forms.form_0 = Some(f0);
    s
}
