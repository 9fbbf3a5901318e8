//! Inspection teams: the roster, refusals, and the composition rules.
//!
//! A team for a visit or investigation of a State Party must have no
//! national of that State Party, no inspector that State Party has refused,
//! a size within `team.min_size ..= team.max_size`, and between its members
//! every qualification the case requires. [`check`] lists every problem;
//! [`propose`] builds a team deterministically from the roster.

use std::collections::BTreeSet;

use bwcv_core::StatePartyCode;
use bwcv_core::params::{ParamError, ParameterSet};
use serde::{Deserialize, Serialize};

pub const PARAM_MIN_SIZE: &str = "team.min_size";
pub const PARAM_MAX_SIZE: &str = "team.max_size";

/// An inspector's stable identifier in the roster (`"INS-0042"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InspectorId(pub String);

impl std::fmt::Display for InspectorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One inspector of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    pub id: InspectorId,
    pub name: String,
    pub nationality: StatePartyCode,
    /// Controlled terms, e.g. `"microbiology"`, `"sampling"`, `"biosafety-3"`.
    pub qualifications: BTreeSet<String>,
    /// False while suspended or on leave.
    pub available: bool,
}

/// An inspector a State Party has refused to receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub state_party: StatePartyCode,
    pub inspector: InspectorId,
}

/// What the team is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The State Party visited or investigated.
    pub inspected: StatePartyCode,
    pub min_size: usize,
    pub max_size: usize,
    pub required_qualifications: BTreeSet<String>,
}

impl Context {
    /// Sizes from the parameters in force.
    pub fn from_params(
        inspected: StatePartyCode,
        required_qualifications: BTreeSet<String>,
        params: &ParameterSet,
    ) -> Result<Self, ParamError> {
        let size = |name: &str| -> Result<usize, ParamError> {
            Ok(usize::try_from(params.integer(name)?.max(0)).unwrap_or(0))
        };
        Ok(Self {
            inspected,
            min_size: size(PARAM_MIN_SIZE)?,
            max_size: size(PARAM_MAX_SIZE)?,
            required_qualifications,
        })
    }
}

/// A proposed or appointed team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<InspectorId>,
}

/// One reason a team cannot be appointed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TeamProblem {
    #[error("{inspector} is not on the roster")]
    UnknownInspector { inspector: InspectorId },
    #[error("{inspector} is listed twice")]
    Duplicate { inspector: InspectorId },
    #[error("{inspector} is not available")]
    Unavailable { inspector: InspectorId },
    #[error("{inspector} is a national of {state_party}, the inspected State Party")]
    NationalOfInspected {
        inspector: InspectorId,
        state_party: StatePartyCode,
    },
    #[error("{inspector} has been refused by {state_party}")]
    Refused {
        inspector: InspectorId,
        state_party: StatePartyCode,
    },
    #[error("team of {size} is smaller than the minimum {min}")]
    TooSmall { size: usize, min: usize },
    #[error("team of {size} is larger than the maximum {max}")]
    TooLarge { size: usize, max: usize },
    #[error("no member has the qualification {qualification:?}")]
    MissingQualification { qualification: String },
}

/// Why `inspector` may not serve on this team, if they may not.
fn ineligibility(
    inspector: &Inspector,
    refusals: &[Refusal],
    context: &Context,
) -> Option<TeamProblem> {
    if !inspector.available {
        return Some(TeamProblem::Unavailable {
            inspector: inspector.id.clone(),
        });
    }
    if inspector.nationality == context.inspected {
        return Some(TeamProblem::NationalOfInspected {
            inspector: inspector.id.clone(),
            state_party: context.inspected.clone(),
        });
    }
    if refusals
        .iter()
        .any(|r| r.state_party == context.inspected && r.inspector == inspector.id)
    {
        return Some(TeamProblem::Refused {
            inspector: inspector.id.clone(),
            state_party: context.inspected.clone(),
        });
    }
    None
}

/// Every problem with `team`, in a stable order: members in team order, then
/// size, then qualifications (sorted).
pub fn check(
    team: &Team,
    roster: &[Inspector],
    refusals: &[Refusal],
    context: &Context,
) -> Vec<TeamProblem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut covered = BTreeSet::new();
    for id in &team.members {
        if !seen.insert(id) {
            problems.push(TeamProblem::Duplicate {
                inspector: id.clone(),
            });
            continue;
        }
        match roster.iter().find(|inspector| &inspector.id == id) {
            None => problems.push(TeamProblem::UnknownInspector {
                inspector: id.clone(),
            }),
            Some(inspector) => {
                if let Some(problem) = ineligibility(inspector, refusals, context) {
                    problems.push(problem);
                }
                covered.extend(inspector.qualifications.iter().cloned());
            }
        }
    }
    let size = seen.len();
    if size < context.min_size {
        problems.push(TeamProblem::TooSmall {
            size,
            min: context.min_size,
        });
    }
    if size > context.max_size {
        problems.push(TeamProblem::TooLarge {
            size,
            max: context.max_size,
        });
    }
    for qualification in &context.required_qualifications {
        if !covered.contains(qualification) {
            problems.push(TeamProblem::MissingQualification {
                qualification: qualification.clone(),
            });
        }
    }
    problems
}

/// A team built deterministically: among eligible inspectors (sorted by
/// id), repeatedly take the one covering the most still-missing required
/// qualifications (ties: fewest nationalities already on the team, then
/// smallest id), then fill up to the minimum size preferring nationalities
/// not yet on the team. Returns the problems of the best team found when no
/// valid team exists.
pub fn propose(
    roster: &[Inspector],
    refusals: &[Refusal],
    context: &Context,
) -> Result<Team, Vec<TeamProblem>> {
    let mut eligible: Vec<&Inspector> = roster
        .iter()
        .filter(|inspector| ineligibility(inspector, refusals, context).is_none())
        .collect();
    eligible.sort_by(|a, b| a.id.cmp(&b.id));
    eligible.dedup_by(|a, b| a.id == b.id);
    let mut chosen: Vec<&Inspector> = Vec::new();
    let mut missing: BTreeSet<&String> = context.required_qualifications.iter().collect();
    let nationality_count = |chosen: &[&Inspector], nationality: &StatePartyCode| {
        chosen
            .iter()
            .filter(|c| &c.nationality == nationality)
            .count()
    };
    while !missing.is_empty() && chosen.len() < context.max_size {
        let best = eligible
            .iter()
            .filter(|candidate| !chosen.iter().any(|c| c.id == candidate.id))
            .map(|candidate| {
                let gain = candidate
                    .qualifications
                    .iter()
                    .filter(|q| missing.contains(q))
                    .count();
                (candidate, gain)
            })
            .filter(|(_, gain)| *gain > 0)
            .max_by(|(a, gain_a), (b, gain_b)| {
                gain_a
                    .cmp(gain_b)
                    .then_with(|| {
                        nationality_count(&chosen, &b.nationality)
                            .cmp(&nationality_count(&chosen, &a.nationality))
                    })
                    .then_with(|| b.id.cmp(&a.id))
            })
            .map(|(candidate, _)| *candidate);
        let Some(best) = best else { break };
        for qualification in &best.qualifications {
            missing.remove(qualification);
        }
        chosen.push(best);
    }
    while chosen.len() < context.min_size {
        let next = eligible
            .iter()
            .filter(|candidate| !chosen.iter().any(|c| c.id == candidate.id))
            .min_by(|a, b| {
                nationality_count(&chosen, &a.nationality)
                    .cmp(&nationality_count(&chosen, &b.nationality))
                    .then_with(|| a.id.cmp(&b.id))
            })
            .copied();
        let Some(next) = next else { break };
        chosen.push(next);
    }
    let team = Team {
        members: chosen
            .iter()
            .map(|inspector| inspector.id.clone())
            .collect(),
    };
    let problems = check(&team, roster, refusals, context);
    if problems.is_empty() {
        Ok(team)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(code: &str) -> StatePartyCode {
        StatePartyCode::new(code).unwrap()
    }

    fn inspector(id: &str, nationality: &str, qualifications: &[&str]) -> Inspector {
        Inspector {
            id: InspectorId(id.to_owned()),
            name: format!("Inspector {id}"),
            nationality: sp(nationality),
            qualifications: qualifications.iter().map(|q| (*q).to_owned()).collect(),
            available: true,
        }
    }

    fn roster() -> Vec<Inspector> {
        vec![
            inspector("I1", "ARC", &["microbiology", "sampling"]),
            inspector("I2", "BOR", &["microbiology"]),
            inspector("I3", "CYR", &["sampling"]),
            inspector("I4", "DUN", &["biosafety-3"]),
            inspector("I5", "CYR", &["microbiology", "biosafety-3"]),
            inspector("I6", "ELM", &[]),
        ]
    }

    fn context(required: &[&str]) -> Context {
        Context::from_params(
            sp("ARC"),
            required.iter().map(|q| (*q).to_owned()).collect(),
            ParameterSet::builtin(),
        )
        .unwrap()
    }

    fn team(ids: &[&str]) -> Team {
        Team {
            members: ids.iter().map(|id| InspectorId((*id).to_owned())).collect(),
        }
    }

    #[test]
    fn sizes_come_from_parameters() {
        let context = context(&[]);
        let params = ParameterSet::builtin();
        assert_eq!(
            context.min_size as i64,
            params.integer(PARAM_MIN_SIZE).unwrap()
        );
        assert_eq!(
            context.max_size as i64,
            params.integer(PARAM_MAX_SIZE).unwrap()
        );
    }

    #[test]
    fn check_lists_every_problem() {
        let mut roster = roster();
        roster[3].available = false;
        let refusals = vec![
            Refusal {
                state_party: sp("ARC"),
                inspector: InspectorId("I2".to_owned()),
            },
            // A refusal by another State Party does not bind this team.
            Refusal {
                state_party: sp("BOR"),
                inspector: InspectorId("I3".to_owned()),
            },
        ];
        let wanted = context(&["microbiology", "sampling", "virology"]);
        let problems = check(
            &team(&["I1", "I2", "I3", "I3", "I4", "I9"]),
            &roster,
            &refusals,
            &wanted,
        );
        let id = |s: &str| InspectorId(s.to_owned());
        assert_eq!(
            problems,
            vec![
                TeamProblem::NationalOfInspected {
                    inspector: id("I1"),
                    state_party: sp("ARC")
                },
                TeamProblem::Refused {
                    inspector: id("I2"),
                    state_party: sp("ARC")
                },
                TeamProblem::Duplicate {
                    inspector: id("I3")
                },
                TeamProblem::Unavailable {
                    inspector: id("I4")
                },
                TeamProblem::UnknownInspector {
                    inspector: id("I9")
                },
                TeamProblem::MissingQualification {
                    qualification: "virology".to_owned()
                },
            ]
        );
        assert!(
            check(&team(&["I3"]), &roster, &[], &wanted)
                .contains(&TeamProblem::TooSmall { size: 1, min: 2 })
        );
        let mut small = wanted.clone();
        small.max_size = 2;
        assert!(
            check(&team(&["I2", "I3", "I6"]), &roster, &[], &small)
                .contains(&TeamProblem::TooLarge { size: 3, max: 2 })
        );
        assert_eq!(
            check(&team(&["I2", "I3"]), &roster, &[], &context(&["sampling"])),
            Vec::new()
        );
    }

    #[test]
    fn proposer_is_deterministic_and_valid() {
        let roster = roster();
        let context = context(&["microbiology", "sampling", "biosafety-3"]);
        let proposed = propose(&roster, &[], &context).unwrap();
        // I5 covers two missing qualifications; sampling is then left, and
        // I3 is the only eligible inspector with it (I1 is a national of ARC).
        assert_eq!(proposed, team(&["I5", "I3"]));
        let mut reversed = roster.clone();
        reversed.reverse();
        assert_eq!(propose(&reversed, &[], &context).unwrap(), proposed);
        assert!(check(&proposed, &roster, &[], &context).is_empty());
    }

    #[test]
    fn proposer_fills_to_minimum_with_new_nationalities() {
        let roster = roster();
        let proposed = propose(&roster, &[], &context(&[])).unwrap();
        assert_eq!(proposed, team(&["I2", "I3"]));
        let refusals = vec![Refusal {
            state_party: sp("ARC"),
            inspector: InspectorId("I2".to_owned()),
        }];
        assert_eq!(
            propose(&roster, &refusals, &context(&[])).unwrap(),
            team(&["I3", "I4"])
        );
    }

    #[test]
    fn proposer_reports_what_cannot_be_met() {
        let problems = propose(&roster(), &[], &context(&["virology"])).unwrap_err();
        assert!(problems.contains(&TeamProblem::MissingQualification {
            qualification: "virology".to_owned()
        }));
    }
}
