//! Executive Council decisions: configurable rules and a pure tally.
//!
//! - **Red light**: the request proceeds unless more than the majority
//!   fraction of the Council's voting members vote to stop it within the
//!   window (silence means it proceeds).
//! - **Green light**: the request proceeds only if more than the majority
//!   fraction of the base (members present and voting, or all voting
//!   members, as the rule says) vote for it, with a quorum present.
//!
//! Members from the requesting or the inspected State Party are handled as
//! the rule says: they may vote, may not vote at all, or count for the
//! quorum only. Quorum and majority fractions come from the protocol
//! parameters (`council.quorum_fraction`, `council.majority_fraction`).
//!
//! Counting conventions (documented and tested):
//! - "more than the majority fraction": `votes > fraction × base`, so with
//!   0.5 exactly half is not a majority;
//! - the quorum needs `present ≥ ⌈fraction × members counted for quorum⌉`;
//!   a member is present when they cast any vote, abstentions included;
//! - a member votes once; a second vote, a vote outside the window, a vote
//!   by a non-member or by a member the rule bars are refused.

use bwcv_core::StatePartyCode;
use bwcv_core::params::{ParamError, ParameterSet};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const PARAM_QUORUM: &str = "council.quorum_fraction";
pub const PARAM_MAJORITY: &str = "council.majority_fraction";

/// How a decision is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    RedLight,
    GreenLight,
}

/// What the majority is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MajorityBase {
    /// Every member entitled to vote.
    VotingMembers,
    /// Members present and voting: for + against, abstentions excluded.
    VotesCast,
}

/// How a member from an interested State Party takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestedMember {
    MayVote,
    /// Takes no part: not counted anywhere, a vote is refused.
    MayNotVote,
    /// Counted for the quorum when present, but the vote is not counted.
    QuorumOnly,
}

/// The decision rule of one case kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub procedure: Procedure,
    pub majority_base: MajorityBase,
    pub quorum_fraction: f64,
    pub majority_fraction: f64,
    pub requesting_member: InterestedMember,
    pub inspected_member: InterestedMember,
}

impl Rule {
    /// A rule with fractions from the parameters in force.
    pub fn from_params(
        procedure: Procedure,
        majority_base: MajorityBase,
        requesting_member: InterestedMember,
        inspected_member: InterestedMember,
        params: &ParameterSet,
    ) -> Result<Self, ParamError> {
        Ok(Self {
            procedure,
            majority_base,
            quorum_fraction: params.float(PARAM_QUORUM)?,
            majority_fraction: params.float(PARAM_MAJORITY)?,
            requesting_member,
            inspected_member,
        })
    }
}

/// The decision rule of each kind of case that needs the Executive Council.
///
/// Defaults (bwcv working assumptions, replaceable per installation): a
/// field investigation proceeds unless stopped (red light, majority of all
/// voting members, interested members count for the quorum only); a
/// facility investigation needs approval (green light, majority of the
/// votes cast, interested members count for the quorum only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleBook {
    pub field_investigation: Rule,
    pub facility_investigation: Rule,
}

impl RuleBook {
    pub fn from_params(params: &ParameterSet) -> Result<Self, ParamError> {
        Ok(Self {
            field_investigation: Rule::from_params(
                Procedure::RedLight,
                MajorityBase::VotingMembers,
                InterestedMember::QuorumOnly,
                InterestedMember::QuorumOnly,
                params,
            )?,
            facility_investigation: Rule::from_params(
                Procedure::GreenLight,
                MajorityBase::VotesCast,
                InterestedMember::QuorumOnly,
                InterestedMember::QuorumOnly,
                params,
            )?,
        })
    }

    /// The rule for a case kind, if that kind goes to the Council.
    pub fn rule_for(&self, kind: crate::case::CaseKind) -> Option<&Rule> {
        match kind {
            crate::case::CaseKind::FieldInvestigation => Some(&self.field_investigation),
            crate::case::CaseKind::FacilityInvestigation => Some(&self.facility_investigation),
            _ => None,
        }
    }
}

/// The decision window of a filed investigation: it opens when the request
/// is filed and lasts `investigation.field.council_decision_hours` or
/// `investigation.facility.council_decision_hours`.
pub fn session_for(
    case: &crate::case::Case,
    members: Vec<StatePartyCode>,
    params: &ParameterSet,
) -> Result<Option<Session>, ParamError> {
    let parameter = match case.kind {
        crate::case::CaseKind::FieldInvestigation => "investigation.field.council_decision_hours",
        crate::case::CaseKind::FacilityInvestigation => {
            "investigation.facility.council_decision_hours"
        }
        _ => return Ok(None),
    };
    let Some(opens_at) = case.entered_at(crate::case::State::Filed) else {
        return Ok(None);
    };
    let hours = params.hours(parameter)?;
    Ok(Some(Session {
        members,
        requesting: case.requesting(),
        inspected: case.inspected(),
        opens_at,
        closes_at: opens_at + chrono::TimeDelta::hours(hours),
    }))
}

/// One decision: who sits, who is interested, when the window closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Council members by State Party, one seat each.
    pub members: Vec<StatePartyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requesting: Option<StatePartyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspected: Option<StatePartyCode>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// For the request (green light) / against stopping it (red light).
    For,
    /// Against the request (green light) / to stop it (red light).
    Against,
    Abstain,
}

/// One recorded vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub member: StatePartyCode,
    pub choice: Choice,
    pub at: DateTime<Utc>,
}

/// Why a vote is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("{0} is not a member of the Executive Council for this decision")]
    NotMember(StatePartyCode),
    #[error("{0} has already voted; a member votes once")]
    DoubleVote(StatePartyCode),
    #[error(
        "{member} may not vote on this decision (the rule bars members of an interested State Party)"
    )]
    Barred { member: StatePartyCode },
    #[error("vote by {member} at {at} is outside the window {opens_at} – {closes_at}")]
    OutsideWindow {
        member: StatePartyCode,
        at: DateTime<Utc>,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    },
}

/// Where a decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The window is open and the result can still change.
    Pending,
    /// The request goes ahead.
    Proceeds,
    /// The request does not go ahead.
    Stopped,
}

/// Why the outcome is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    WindowOpen,
    MajorityFor,
    MajorityAgainst,
    NoMajority,
    NoQuorum,
}

/// The result of [`tally`], with every count it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub outcome: Outcome,
    pub basis: Basis,
    pub votes_for: u32,
    pub votes_against: u32,
    pub abstentions: u32,
    /// Members entitled to vote.
    pub voting_members: u32,
    /// Members counted for the quorum (voting + quorum-only).
    pub quorum_members: u32,
    pub present: u32,
    pub quorum_needed: u32,
    pub quorum_reached: bool,
    /// The number that must be exceeded for a majority.
    pub majority_threshold: f64,
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Votes,
    QuorumOnly,
    Excluded,
}

fn standing(rule: &Rule, session: &Session, member: &StatePartyCode) -> Standing {
    let mut standing = Standing::Votes;
    for (interested, how) in [
        (&session.requesting, rule.requesting_member),
        (&session.inspected, rule.inspected_member),
    ] {
        if interested.as_ref() == Some(member) {
            standing = match (standing, how) {
                (_, InterestedMember::MayNotVote) | (Standing::Excluded, _) => Standing::Excluded,
                (_, InterestedMember::QuorumOnly) | (Standing::QuorumOnly, _) => {
                    Standing::QuorumOnly
                }
                (Standing::Votes, InterestedMember::MayVote) => Standing::Votes,
            };
        }
    }
    standing
}

/// Checks `vote` against the rule, the session and the votes already
/// recorded.
pub fn check_vote(
    rule: &Rule,
    session: &Session,
    recorded: &[Vote],
    vote: &Vote,
) -> Result<(), VoteError> {
    if !session.members.contains(&vote.member) {
        return Err(VoteError::NotMember(vote.member.clone()));
    }
    if standing(rule, session, &vote.member) == Standing::Excluded {
        return Err(VoteError::Barred {
            member: vote.member.clone(),
        });
    }
    if vote.at < session.opens_at || vote.at > session.closes_at {
        return Err(VoteError::OutsideWindow {
            member: vote.member.clone(),
            at: vote.at,
            opens_at: session.opens_at,
            closes_at: session.closes_at,
        });
    }
    if recorded.iter().any(|other| other.member == vote.member) {
        return Err(VoteError::DoubleVote(vote.member.clone()));
    }
    Ok(())
}

/// Tallies `votes` at time `now`. Every vote is checked in order as if
/// recorded one by one; the first refused vote is the error.
pub fn tally(
    rule: &Rule,
    session: &Session,
    votes: &[Vote],
    now: DateTime<Utc>,
) -> Result<Tally, VoteError> {
    for (index, vote) in votes.iter().enumerate() {
        check_vote(rule, session, &votes[..index], vote)?;
    }
    let mut members: Vec<&StatePartyCode> = session.members.iter().collect();
    members.sort();
    members.dedup();
    let voting_members = members
        .iter()
        .filter(|m| standing(rule, session, m) == Standing::Votes)
        .count() as u32;
    let quorum_members = members
        .iter()
        .filter(|m| standing(rule, session, m) != Standing::Excluded)
        .count() as u32;
    let (mut votes_for, mut votes_against, mut abstentions) = (0_u32, 0_u32, 0_u32);
    let present = votes.len() as u32;
    for vote in votes {
        if standing(rule, session, &vote.member) != Standing::Votes {
            continue;
        }
        match vote.choice {
            Choice::For => votes_for += 1,
            Choice::Against => votes_against += 1,
            Choice::Abstain => abstentions += 1,
        }
    }
    let quorum_needed = (rule.quorum_fraction * f64::from(quorum_members) - 1e-9)
        .ceil()
        .max(0.0) as u32;
    let quorum_reached = present >= quorum_needed;
    let closed = now >= session.closes_at;
    let base = match rule.majority_base {
        MajorityBase::VotingMembers => voting_members,
        MajorityBase::VotesCast => votes_for + votes_against,
    };
    let majority_threshold = rule.majority_fraction * f64::from(base);
    // Against the whole membership a majority, once reached, cannot be
    // undone (no member votes twice), so it decides before the window ends.
    let whole_threshold = rule.majority_fraction * f64::from(voting_members);
    let (outcome, basis) = match rule.procedure {
        Procedure::RedLight => {
            if quorum_reached && f64::from(votes_against) > whole_threshold {
                (Outcome::Stopped, Basis::MajorityAgainst)
            } else if !closed {
                (Outcome::Pending, Basis::WindowOpen)
            } else if !quorum_reached {
                (Outcome::Proceeds, Basis::NoQuorum)
            } else if f64::from(votes_against) > majority_threshold {
                (Outcome::Stopped, Basis::MajorityAgainst)
            } else {
                (Outcome::Proceeds, Basis::NoMajority)
            }
        }
        Procedure::GreenLight => {
            if quorum_reached && f64::from(votes_for) > whole_threshold {
                (Outcome::Proceeds, Basis::MajorityFor)
            } else if !closed {
                (Outcome::Pending, Basis::WindowOpen)
            } else if !quorum_reached {
                (Outcome::Stopped, Basis::NoQuorum)
            } else if f64::from(votes_for) > majority_threshold {
                (Outcome::Proceeds, Basis::MajorityFor)
            } else {
                (Outcome::Stopped, Basis::NoMajority)
            }
        }
    };
    Ok(Tally {
        outcome,
        basis,
        votes_for,
        votes_against,
        abstentions,
        voting_members,
        quorum_members,
        present,
        quorum_needed,
        quorum_reached,
        majority_threshold,
        closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn sp(code: &str) -> StatePartyCode {
        StatePartyCode::new(code).unwrap()
    }

    const CODES: [&str; 10] = ["AA", "BB", "CC", "DD", "EE", "FF", "GG", "HH", "II", "JJ"];

    fn session(members: usize) -> Session {
        let opens_at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Session {
            members: CODES[..members].iter().map(|c| sp(c)).collect(),
            requesting: Some(sp("AA")),
            inspected: Some(sp("BB")),
            opens_at,
            closes_at: opens_at + TimeDelta::hours(24),
        }
    }

    fn rule(procedure: Procedure, base: MajorityBase, interested: InterestedMember) -> Rule {
        Rule::from_params(
            procedure,
            base,
            interested,
            interested,
            ParameterSet::builtin(),
        )
        .unwrap()
    }

    /// Votes by the members in `pattern` order: 'f' for, 'a' against,
    /// 's' abstain, '-' no vote.
    fn votes(session: &Session, pattern: &str) -> Vec<Vote> {
        session
            .members
            .iter()
            .zip(pattern.chars())
            .filter(|(_, c)| *c != '-')
            .map(|(member, c)| Vote {
                member: member.clone(),
                choice: match c {
                    'f' => Choice::For,
                    'a' => Choice::Against,
                    _ => Choice::Abstain,
                },
                at: session.opens_at + TimeDelta::hours(1),
            })
            .collect()
    }

    #[test]
    fn parameters_are_used() {
        let rule = rule(
            Procedure::GreenLight,
            MajorityBase::VotesCast,
            InterestedMember::MayVote,
        );
        let params = ParameterSet::builtin();
        assert_eq!(rule.quorum_fraction, params.float(PARAM_QUORUM).unwrap());
        assert_eq!(
            rule.majority_fraction,
            params.float(PARAM_MAJORITY).unwrap()
        );
    }

    /// (procedure, base, interested, members, pattern, closed?, outcome, basis)
    #[test]
    fn tally_table() {
        use Basis::*;
        use InterestedMember::*;
        use MajorityBase::*;
        use Outcome::*;
        use Procedure::*;
        // Builtin: quorum 0.667, majority "more than 0.5".
        // 10 members: quorum needs 7 present (6.67 rounded up).
        let table: Vec<(
            Procedure,
            MajorityBase,
            InterestedMember,
            &str,
            bool,
            Outcome,
            Basis,
        )> = vec![
            // red light: silence proceeds
            (
                RedLight,
                VotingMembers,
                MayVote,
                "----------",
                true,
                Proceeds,
                NoQuorum,
            ),
            (
                RedLight,
                VotingMembers,
                MayVote,
                "----------",
                false,
                Pending,
                WindowOpen,
            ),
            // 6 of 10 against: more than half, quorum 6 < 7 -> no quorum
            (
                RedLight,
                VotingMembers,
                MayVote,
                "aaaaaa----",
                true,
                Proceeds,
                NoQuorum,
            ),
            // 6 against + 1 abstain: quorum 7, decided early
            (
                RedLight,
                VotingMembers,
                MayVote,
                "aaaaaas---",
                false,
                Stopped,
                MajorityAgainst,
            ),
            // exactly half against is not a majority
            (
                RedLight,
                VotingMembers,
                MayVote,
                "aaaaafff--",
                true,
                Proceeds,
                NoMajority,
            ),
            (
                RedLight,
                VotingMembers,
                MayVote,
                "aaaaassss-",
                true,
                Proceeds,
                NoMajority,
            ),
            // tie among votes cast, with VotesCast base: 4 vs 4 -> not stopped
            (
                RedLight,
                VotesCast,
                MayVote,
                "aaaaffffss",
                true,
                Proceeds,
                NoMajority,
            ),
            (
                RedLight,
                VotesCast,
                MayVote,
                "aaaaafffss",
                true,
                Stopped,
                MajorityAgainst,
            ),
            // green light
            (
                GreenLight,
                VotesCast,
                MayVote,
                "fffffaa---",
                true,
                Proceeds,
                MajorityFor,
            ),
            (
                GreenLight,
                VotesCast,
                MayVote,
                "ffffaaaa--",
                true,
                Stopped,
                NoMajority,
            ),
            (
                GreenLight,
                VotesCast,
                MayVote,
                "fffff-----",
                true,
                Stopped,
                NoQuorum,
            ),
            (
                GreenLight,
                VotesCast,
                MayVote,
                "ffff------",
                false,
                Pending,
                WindowOpen,
            ),
            (
                GreenLight,
                VotingMembers,
                MayVote,
                "ffffffs---",
                false,
                Proceeds,
                MajorityFor,
            ),
            (
                GreenLight,
                VotingMembers,
                MayVote,
                "fffffsss--",
                true,
                Stopped,
                NoMajority,
            ),
            // abstentions count for the quorum, not the majority
            (
                GreenLight,
                VotesCast,
                MayVote,
                "fsssssss--",
                true,
                Proceeds,
                MajorityFor,
            ),
            // interested members (AA requesting, BB inspected) quorum-only:
            // their votes don't count. 8 voting members, 10 for quorum.
            (
                GreenLight,
                VotesCast,
                QuorumOnly,
                "aaffffs---",
                true,
                Proceeds,
                MajorityFor,
            ),
            (
                RedLight,
                VotingMembers,
                QuorumOnly,
                "ffaaaas---",
                true,
                Proceeds,
                NoMajority,
            ),
            (
                RedLight,
                VotingMembers,
                QuorumOnly,
                "ffaaaas--a",
                true,
                Stopped,
                MajorityAgainst,
            ),
            // may not vote: excluded everywhere; 8 members, quorum 6 (5.34)
            (
                GreenLight,
                VotesCast,
                MayNotVote,
                "--ffffa---",
                true,
                Stopped,
                NoQuorum,
            ),
            (
                GreenLight,
                VotesCast,
                MayNotVote,
                "--ffffaa--",
                true,
                Proceeds,
                MajorityFor,
            ),
            (
                GreenLight,
                VotesCast,
                MayNotVote,
                "--fffaaa--",
                true,
                Stopped,
                NoMajority,
            ),
        ];
        let session = session(10);
        for (index, (procedure, base, interested, pattern, closed, outcome, basis)) in
            table.into_iter().enumerate()
        {
            let rule = rule(procedure, base, interested);
            let now = if closed {
                session.closes_at
            } else {
                session.opens_at + TimeDelta::hours(2)
            };
            let tally = tally(&rule, &session, &votes(&session, pattern), now).unwrap();
            assert_eq!(
                (tally.outcome, tally.basis),
                (outcome, basis),
                "row {index}: {procedure:?} {base:?} {interested:?} {pattern}: {tally:?}"
            );
        }
    }

    #[test]
    fn quorum_counts() {
        let session = session(10);
        let with = |interested| {
            tally(
                &rule(Procedure::GreenLight, MajorityBase::VotesCast, interested),
                &session,
                &[],
                session.closes_at,
            )
            .unwrap()
        };
        let may = with(InterestedMember::MayVote);
        assert_eq!(
            (may.voting_members, may.quorum_members, may.quorum_needed),
            (10, 10, 7)
        );
        let quorum_only = with(InterestedMember::QuorumOnly);
        assert_eq!(
            (quorum_only.voting_members, quorum_only.quorum_members),
            (8, 10)
        );
        let barred = with(InterestedMember::MayNotVote);
        assert_eq!(
            (
                barred.voting_members,
                barred.quorum_members,
                barred.quorum_needed
            ),
            (8, 8, 6)
        );
    }

    #[test]
    fn refused_votes() {
        let session = session(4);
        let rule = rule(
            Procedure::GreenLight,
            MajorityBase::VotesCast,
            InterestedMember::MayNotVote,
        );
        let at = session.opens_at + TimeDelta::hours(1);
        let vote = |code: &str, at| Vote {
            member: sp(code),
            choice: Choice::For,
            at,
        };
        let cases = [
            (
                vec![vote("CC", at), vote("CC", at)],
                VoteError::DoubleVote(sp("CC")),
            ),
            (vec![vote("ZZ", at)], VoteError::NotMember(sp("ZZ"))),
            (vec![vote("AA", at)], VoteError::Barred { member: sp("AA") }),
        ];
        for (votes, expected) in cases {
            assert_eq!(tally(&rule, &session, &votes, at), Err(expected));
        }
        let late = vote("CC", session.closes_at + TimeDelta::seconds(1));
        assert!(matches!(
            tally(&rule, &session, &[late], session.closes_at),
            Err(VoteError::OutsideWindow { .. })
        ));
        let early = vote("CC", session.opens_at - TimeDelta::seconds(1));
        assert!(matches!(
            check_vote(&rule, &session, &[], &early),
            Err(VoteError::OutsideWindow { .. })
        ));
        // A vote at the closing instant still counts.
        let last = vote("CC", session.closes_at);
        assert!(check_vote(&rule, &session, &[], &last).is_ok());
    }

    proptest::proptest! {
        /// Any sequence of votes either is refused for a stated reason or
        /// tallies consistently: counts add up, a decided outcome never goes
        /// back to pending as the window runs out, and silence lets a red
        /// light request proceed and a green light one fail.
        #[test]
        fn tally_invariants(
            pattern in proptest::collection::vec(0u8..5, 0..12),
            procedure_green: bool,
            votes_cast_base: bool,
            interested in 0u8..3,
            closed: bool,
        ) {
            let session = session(10);
            let procedure = if procedure_green { Procedure::GreenLight } else { Procedure::RedLight };
            let base = if votes_cast_base { MajorityBase::VotesCast } else { MajorityBase::VotingMembers };
            let interested = [InterestedMember::MayVote, InterestedMember::MayNotVote, InterestedMember::QuorumOnly][interested as usize];
            let rule = rule(procedure, base, interested);
            let text: String = pattern
                .iter()
                .map(|c| ['f', 'a', 's', '-', 'f'][*c as usize])
                .collect();
            let votes = votes(&session, &text);
            let now = if closed { session.closes_at } else { session.opens_at + TimeDelta::hours(1) };
            match tally(&rule, &session, &votes, now) {
                Err(error) => proptest::prop_assert!(!error.to_string().is_empty()),
                Ok(result) => {
                    proptest::prop_assert!(result.votes_for + result.votes_against + result.abstentions <= result.present);
                    proptest::prop_assert!(result.voting_members <= result.quorum_members);
                    proptest::prop_assert!(result.quorum_members <= 10);
                    if closed {
                        proptest::prop_assert_ne!(result.outcome, Outcome::Pending);
                    } else if result.outcome != Outcome::Pending {
                        let later = tally(&rule, &session, &votes, session.closes_at).unwrap();
                        proptest::prop_assert_eq!(later.outcome, result.outcome);
                    }
                    if votes.is_empty() && closed {
                        let expected = if procedure_green { Outcome::Stopped } else { Outcome::Proceeds };
                        proptest::prop_assert_eq!(result.outcome, expected);
                    }
                }
            }
        }
    }
}
