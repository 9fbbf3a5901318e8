//! Who may do what with which record: the access rules of bwcv, in one place.
//!
//! Every part of bwcv that shows, lists, creates or changes a stored record
//! asks [`decide`] first; nothing else in the code base decides access. The
//! function is pure: it sees the principal, the action, the record's
//! metadata, the principal's need-to-know grants and the current time, and
//! nothing else (no database, no clock).
//!
//! # Rule table
//!
//! Terms: *own* means the record belongs to the principal's State Party;
//! *other* means it belongs to another State Party; *final* means the record
//! is no longer a draft (submitted or acknowledged); "≤ R" means
//! classification Unclassified or Restricted, "≤ P" means up to and
//! including Protected; HP is Highly Protected.
//!
//! ## Declarations (CBM submissions)
//!
//! | role | read / list | create | change |
//! |---|---|---|---|
//! | National authority | own: everything, drafts included, every classification (the originating State Party always sees its own information); other: final only, ≤ R, visibility public or States Parties only | own State Party only, any classification | own drafts only |
//! | Secretariat analyst | final of every State Party, ≤ P (CBM compilation and analysis) | never (States Parties declare) | final ≤ P (acknowledging receipt) |
//! | Inspector | final of every State Party, ≤ P (preparing on-site work) | never | never |
//! | Designated laboratory | final, visibility public, Unclassified only (a laboratory works on samples, not on declarations) | never | never |
//! | Executive Council member | final, ≤ R, any visibility (the Council reads what States Parties read) | never | never |
//! | Administrator | final, visibility public, Unclassified only (runs the system, not the analysis) | never | never |
//!
//! ## Operational records
//!
//! | kind | read / list | create / change |
//! |---|---|---|
//! | Audit log | Administrator only, ≤ P | nobody (the system appends audit records itself) |
//! | Need-to-know grants | Administrator | Administrator (grant, revoke) |
//! | Accounts | Administrator | Administrator |
//!
//! ## Cases (clarification, visits, investigations)
//!
//! A case record's `owner` is the *inspected* State Party (whose
//! declaration is questioned, whose facility is visited or investigated);
//! its [`CaseScope`] names the *requesting* State Party (that raised or
//! requested it), whether it involves field work and whether it goes to
//! the Executive Council. A case is a *draft* while an investigation
//! request has not been filed. "Change" means appending an event to the
//! case; which step a person may take is then decided by the case's state
//! machine (`bwcv_cases::case`), which offers each role only its own steps.
//!
//! | role | read / list | create | change |
//! |---|---|---|---|
//! | National authority | the inspected State Party: its case at every classification (its own information); the requesting State Party: ≤ P; any other State Party: nothing | as the requesting State Party, ≤ P | as for read |
//! | Secretariat analyst | every case, ≤ P (the Secretariat runs the cases) | ≤ P | ≤ P |
//! | Inspector | cases with field work (visit and investigation kinds, and a clarification once a visit is proposed), ≤ P; when the case names its team's accounts, only an inspector named there | never | as for read (visit and report steps) |
//! | Designated laboratory | nothing (a laboratory sees samples, not cases) | never | never |
//! | Executive Council member | cases that need or had a Council decision (investigations), ≤ P | never | as for read (casting a vote) |
//! | Administrator | nothing (runs the system, not the cases) | never | never |
//!
//! An investigation request not yet filed (a draft) is seen and changed by
//! the requesting State Party's national authority alone, at every
//! classification. Highly Protected case material is otherwise readable
//! only through a named need-to-know grant, as below.
//!
//! ## Draws (the yearly transparency-visit draw)
//!
//! A draw's announcement (method, pool digest, future randomness) and its
//! result are public, so every State Party can re-run the selection.
//!
//! | role | read / list | create (announce) | change (run) |
//! |---|---|---|---|
//! | Secretariat analyst | ≤ P | ≤ P | ≤ P |
//! | every other role | Unclassified | never | never |
//!
//! A draw is Unclassified by design; the rows above Unclassified only say
//! that nothing but the Secretariat may see a draw that is not.
//!
//! ## Need-to-know grants and Highly Protected
//!
//! Highly Protected material of another State Party is never readable by
//! role alone: only through a [`Grant`] that names the principal's account
//! and the record, opens the record's classification, is not revoked and
//! has not expired (`now < expires_at`).
//! A valid grant allows [`Action::Read`] and [`Action::List`] of that one
//! final record, at any classification and for any role; it never allows
//! creating or changing anything, and never opens another State Party's
//! draft. Drafts are seen by their own State Party only.
//!
//! ## Audit
//!
//! [`requires_audit`]: every create and change, and every read or list of
//! Protected or Highly Protected material, leaves an audit record (who,
//! what, when, why), so such requests carry a justification.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Classification, StatePartyCode, Visibility};

/// The function a person has in the system (one per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// National authority officer, bound to one State Party.
    NationalAuthority,
    /// Analyst of the Secretariat (Implementation Support Unit).
    SecretariatAnalyst,
    /// Inspector of the Secretariat.
    Inspector,
    /// Designated laboratory.
    Laboratory,
    /// Member of the Executive Council.
    CouncilMember,
    /// Administrator of this bwcv installation.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::NationalAuthority,
        Role::SecretariatAnalyst,
        Role::Inspector,
        Role::Laboratory,
        Role::CouncilMember,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::NationalAuthority => "national_authority",
            Role::SecretariatAnalyst => "secretariat_analyst",
            Role::Inspector => "inspector",
            Role::Laboratory => "laboratory",
            Role::CouncilMember => "council_member",
            Role::Administrator => "administrator",
        }
    }

    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::NationalAuthority => "National authority",
            Role::SecretariatAnalyst => "Secretariat analyst",
            Role::Inspector => "Inspector",
            Role::Laboratory => "Designated laboratory",
            Role::CouncilMember => "Executive Council member",
            Role::Administrator => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}: expected national_authority, secretariat_analyst, inspector, laboratory, council_member or administrator"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Who is asking: an authenticated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account name; need-to-know grants name it.
    pub username: String,
    pub role: Role,
    /// The State Party a national authority officer acts for (`None` for
    /// every other role).
    pub state_party: Option<StatePartyCode>,
}

/// What the principal wants to do with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open one record.
    Read,
    /// See that the record exists (its title line in a list).
    List,
    /// Store a new record.
    Create,
    /// Change a stored record (edit a draft, submit, acknowledge, revoke).
    Change,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Read, Action::List, Action::Create, Action::Change];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::List => "list",
            Action::Create => "create",
            Action::Change => "change",
        }
    }

    fn is_write(self) -> bool {
        matches!(self, Action::Create | Action::Change)
    }
}

/// What the access rules need to know about a case besides its owner
/// (the inspected State Party): never its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseScope {
    /// The State Party that raised or requested the case, if any (a
    /// clarification raised by the Secretariat has none).
    pub requesting: Option<StatePartyCode>,
    /// Inspectors work on it: a visit or investigation, or a clarification
    /// once a clarification visit is proposed.
    pub field_work: bool,
    /// It needs or had an Executive Council decision.
    pub council: bool,
    /// The accounts of the inspectors assigned to it, when the case names
    /// them; `None` while no team data links the case to accounts (then
    /// every inspector sees the cases with field work).
    pub team: Option<Vec<String>>,
}

/// What kind of record is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A CBM submission of one State Party for one year.
    Declaration,
    /// The audit log.
    AuditLog,
    /// A need-to-know grant.
    Grant,
    /// A sample's chain-of-custody event (append-only ledger entry).
    /// `owner` is the inspected State Party when the record names it.
    Custody,
    /// A user account or API token.
    Account,
    /// A case (clarification, visit, investigation); `owner` is the
    /// inspected State Party.
    Case(CaseScope),
    /// A random selection (the yearly transparency-visit draw): its
    /// announcement and result are public so anyone can verify it.
    Draw,
}

/// Where a record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Still being prepared by its owner; seen by nobody else.
    Draft,
    /// Submitted (and possibly acknowledged): part of the record.
    Final,
}

/// What the rules need to know about a record (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeta {
    /// The record's identifier, as need-to-know grants name it.
    pub id: String,
    pub kind: RecordKind,
    /// The State Party the record belongs to (`None` for system records).
    pub owner: Option<StatePartyCode>,
    pub classification: Classification,
    pub visibility: Visibility,
    pub stage: Stage,
}

/// A named need-to-know grant: one account may read one record until it
/// expires or is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The account the grant is for.
    pub grantee: String,
    /// The record it opens ([`RecordMeta::id`]).
    pub record_id: String,
    /// The highest classification it opens.
    pub classification: Classification,
    /// End of validity, seconds since the Unix epoch (exclusive).
    pub expires_at: i64,
    /// Seconds since the Unix epoch when it was revoked, if it was. A
    /// revoked grant opens nothing, whatever the time.
    pub revoked_at: Option<i64>,
}

impl Grant {
    /// Whether the grant opens `record` for `principal` at time `now`
    /// (seconds since the Unix epoch).
    pub fn opens(&self, principal: &Principal, record: &RecordMeta, now: i64) -> bool {
        self.grantee == principal.username
            && self.record_id == record.id
            && record.classification <= self.classification
            && now < self.expires_at
            && self.revoked_at.is_none()
    }
}

/// Why access was refused. The message is safe to show to the principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    #[error("this record is a draft of another State Party")]
    ForeignDraft,
    #[error("records of another State Party can only be read, never created or changed")]
    ForeignWrite,
    #[error("this classification needs a named need-to-know grant")]
    NeedToKnow,
    #[error("the submitting State Party did not make this record visible to your role")]
    Visibility,
    #[error("your role does not give access to this kind of record")]
    RoleFunction,
    #[error("a final record cannot be changed; submit a new version instead")]
    Final,
    #[error("your account is not bound to a State Party")]
    NoStateParty,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decides whether `principal` may perform `action` on `record`, given the
/// principal's need-to-know `grants` and the time `now` (seconds since the
/// Unix epoch). The rules are the table in this module's documentation.
pub fn decide(
    principal: &Principal,
    action: Action,
    record: &RecordMeta,
    grants: &[Grant],
    now: i64,
) -> Decision {
    let by_role = decide_by_role(principal, action, record);
    if by_role == Decision::Allow {
        return by_role;
    }
    // A named, valid grant opens one final record for reading.
    let reading = matches!(action, Action::Read | Action::List);
    if reading
        && record.stage == Stage::Final
        && grants
            .iter()
            .any(|grant| grant.opens(principal, record, now))
    {
        return Decision::Allow;
    }
    by_role
}

fn decide_by_role(principal: &Principal, action: Action, record: &RecordMeta) -> Decision {
    use Classification as C;
    use Decision::{Allow, Deny};
    let class = record.classification;
    match &record.kind {
        RecordKind::AuditLog => match (principal.role, action) {
            (Role::Administrator, Action::Read | Action::List) if class <= C::Protected => Allow,
            (Role::Administrator, Action::Read | Action::List) => Deny(DenyReason::NeedToKnow),
            _ => Deny(DenyReason::RoleFunction),
        },
        RecordKind::Grant | RecordKind::Account => match principal.role {
            Role::Administrator => Allow,
            _ => Deny(DenyReason::RoleFunction),
        },
        RecordKind::Declaration => decide_declaration(principal, action, record),
        RecordKind::Custody => decide_custody(principal, action, record),
        RecordKind::Case(scope) => decide_case(principal, action, record, scope),
        RecordKind::Draw => decide_draw(principal, action, record),
    }
}

/// Draws: the table "Draws" in this module's documentation. Announcing
/// (create) and running (change: the result is set once) are the
/// Secretariat's function; the record is public so that every State Party
/// can re-run the selection.
fn decide_draw(principal: &Principal, action: Action, record: &RecordMeta) -> Decision {
    use Classification as C;
    use Decision::{Allow, Deny};
    let class = record.classification;
    match (principal.role, action) {
        (_, Action::Read | Action::List) if class == C::Unclassified => Allow,
        (Role::SecretariatAnalyst, _) if class <= C::Protected => Allow,
        (Role::SecretariatAnalyst, _) => Deny(DenyReason::NeedToKnow),
        (_, Action::Read | Action::List) => Deny(DenyReason::NeedToKnow),
        _ => Deny(DenyReason::RoleFunction),
    }
}

/// Cases: the table "Cases" in this module's documentation.
fn decide_case(
    principal: &Principal,
    action: Action,
    record: &RecordMeta,
    scope: &CaseScope,
) -> Decision {
    use Classification as C;
    use Decision::{Allow, Deny};
    let class = record.classification;
    let up_to_protected = || {
        if class <= C::Protected {
            Allow
        } else {
            Deny(DenyReason::NeedToKnow)
        }
    };
    if principal.role == Role::NationalAuthority {
        let Some(own_party) = principal.state_party.as_ref() else {
            return Deny(DenyReason::NoStateParty);
        };
        let requesting = scope.requesting.as_ref() == Some(own_party);
        let inspected = record.owner.as_ref() == Some(own_party);
        if record.stage == Stage::Draft {
            return if requesting {
                Allow
            } else {
                Deny(DenyReason::ForeignDraft)
            };
        }
        return match action {
            Action::Create if requesting => up_to_protected(),
            Action::Create => Deny(DenyReason::ForeignWrite),
            _ if inspected => Allow,
            _ if requesting => up_to_protected(),
            _ => Deny(DenyReason::RoleFunction),
        };
    }
    if record.stage == Stage::Draft {
        return Deny(DenyReason::ForeignDraft);
    }
    match principal.role {
        Role::NationalAuthority => unreachable_role(),
        Role::SecretariatAnalyst => up_to_protected(),
        Role::Inspector => {
            let assigned = scope.field_work
                && scope
                    .team
                    .as_ref()
                    .is_none_or(|team| team.contains(&principal.username));
            if action == Action::Create || !assigned {
                Deny(DenyReason::RoleFunction)
            } else {
                up_to_protected()
            }
        }
        Role::CouncilMember => {
            if action == Action::Create || !scope.council {
                Deny(DenyReason::RoleFunction)
            } else {
                up_to_protected()
            }
        }
        Role::Laboratory | Role::Administrator => Deny(DenyReason::RoleFunction),
    }
}

/// Custody records: inspectors and laboratories (who hold samples) and
/// Secretariat analysts register and read them up to Protected; nobody
/// changes one (the ledger is append-only); the national authority of the
/// inspected State Party reads them when the record names its party.
fn decide_custody(principal: &Principal, action: Action, record: &RecordMeta) -> Decision {
    use Classification as C;
    use Decision::{Allow, Deny};
    let class = record.classification;
    if action == Action::Change {
        return Deny(DenyReason::Final);
    }
    match principal.role {
        Role::SecretariatAnalyst | Role::Inspector | Role::Laboratory => {
            if class <= C::Protected {
                Allow
            } else {
                Deny(DenyReason::NeedToKnow)
            }
        }
        Role::NationalAuthority => {
            let Some(own_party) = principal.state_party.as_ref() else {
                return Deny(DenyReason::NoStateParty);
            };
            if record.owner.as_ref() != Some(own_party) || action.is_write() {
                Deny(DenyReason::RoleFunction)
            } else if class <= C::Protected {
                Allow
            } else {
                Deny(DenyReason::NeedToKnow)
            }
        }
        Role::CouncilMember | Role::Administrator => Deny(DenyReason::RoleFunction),
    }
}

fn decide_declaration(principal: &Principal, action: Action, record: &RecordMeta) -> Decision {
    use Classification as C;
    use Decision::{Allow, Deny};
    let class = record.classification;
    let reading = !action.is_write();

    if principal.role == Role::NationalAuthority {
        let Some(own_party) = principal.state_party.as_ref() else {
            return Deny(DenyReason::NoStateParty);
        };
        let own = record.owner.as_ref() == Some(own_party);
        if own {
            return match action {
                Action::Read | Action::List | Action::Create => Allow,
                Action::Change if record.stage == Stage::Draft => Allow,
                Action::Change => Deny(DenyReason::Final),
            };
        }
        if !reading {
            return Deny(DenyReason::ForeignWrite);
        }
        if record.stage == Stage::Draft {
            return Deny(DenyReason::ForeignDraft);
        }
        // Both visibilities include States Parties.
        return if class <= C::Restricted {
            Allow
        } else {
            Deny(DenyReason::NeedToKnow)
        };
    }

    // Every other role: drafts belong to their State Party alone.
    if record.stage == Stage::Draft {
        return Deny(DenyReason::ForeignDraft);
    }
    match principal.role {
        Role::NationalAuthority => unreachable_role(),
        Role::SecretariatAnalyst => match action {
            Action::Create => Deny(DenyReason::RoleFunction),
            _ if class <= C::Protected => Allow,
            _ => Deny(DenyReason::NeedToKnow),
        },
        Role::Inspector => match action {
            Action::Create | Action::Change => Deny(DenyReason::RoleFunction),
            _ if class <= C::Protected => Allow,
            _ => Deny(DenyReason::NeedToKnow),
        },
        Role::CouncilMember => match action {
            Action::Create | Action::Change => Deny(DenyReason::RoleFunction),
            _ if class <= C::Restricted => Allow,
            _ => Deny(DenyReason::NeedToKnow),
        },
        Role::Laboratory | Role::Administrator => {
            if !reading {
                Deny(DenyReason::RoleFunction)
            } else if record.visibility != Visibility::Public {
                Deny(DenyReason::Visibility)
            } else if class == C::Unclassified {
                Allow
            } else {
                Deny(DenyReason::NeedToKnow)
            }
        }
    }
}

/// National authorities are decided before the match; kept total without a panic.
fn unreachable_role() -> Decision {
    Decision::Deny(DenyReason::RoleFunction)
}

/// Whether the action leaves an audit record: every write, and every read
/// or list of Protected or Highly Protected material.
pub fn requires_audit(action: Action, classification: Classification) -> bool {
    action.is_write() || classification >= Classification::Protected
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn principal(role: Role) -> Principal {
        Principal {
            username: format!("{}-user", role.as_str()),
            role,
            state_party: (role == Role::NationalAuthority).then(|| party("ARC")),
        }
    }

    fn party(code: &str) -> StatePartyCode {
        StatePartyCode::new(code).unwrap()
    }

    fn declaration(
        owner: &str,
        classification: Classification,
        visibility: Visibility,
        stage: Stage,
    ) -> RecordMeta {
        RecordMeta {
            id: format!("decl-{owner}-{}", classification.as_str()),
            kind: RecordKind::Declaration,
            owner: Some(party(owner)),
            classification,
            visibility,
            stage,
        }
    }

    fn role_code(code: &str) -> Role {
        match code {
            "NA" => Role::NationalAuthority,
            "SA" => Role::SecretariatAnalyst,
            "IN" => Role::Inspector,
            "LB" => Role::Laboratory,
            "CM" => Role::CouncilMember,
            "AD" => Role::Administrator,
            other => panic!("bad role code {other:?} in table"),
        }
    }

    fn class_code(code: &str) -> Classification {
        match code {
            "U" => Classification::Unclassified,
            "R" => Classification::Restricted,
            "P" => Classification::Protected,
            "HP" => Classification::HighlyProtected,
            other => panic!("bad classification code {other:?} in table"),
        }
    }

    /// Checks one table: each row is `role class read list create change`
    /// with `A` (allow) or `D` (deny) per action. The table must cover
    /// every role × classification exactly once.
    fn check_table(name: &str, table: &str, record_for: impl Fn(Classification) -> RecordMeta) {
        let mut seen = std::collections::BTreeSet::new();
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cells.len(), 6, "{name}: bad row {line:?}");
            let role = role_code(cells[0]);
            let class = class_code(cells[1]);
            assert!(seen.insert((role, class)), "{name}: duplicate row {line:?}");
            let record = record_for(class);
            for (action, expected) in Action::ALL.into_iter().zip(&cells[2..]) {
                let decision = decide(&principal(role), action, &record, &[], NOW);
                let want_allow = match *expected {
                    "A" => true,
                    "D" => false,
                    other => panic!("{name}: bad cell {other:?}"),
                };
                assert_eq!(
                    decision.is_allowed(),
                    want_allow,
                    "{name}: {role} {class:?} {action:?}: got {decision:?}"
                );
            }
        }
        assert_eq!(seen.len(), 24, "{name}: every role × classification");
    }

    /// A submitted declaration of another State Party (BOR), visible to
    /// States Parties only. The national authority acts for ARC.
    const FOREIGN_FINAL_STATES_PARTIES: &str = "
        NA U  A A D D
        NA R  A A D D
        NA P  D D D D
        NA HP D D D D
        SA U  A A D A
        SA R  A A D A
        SA P  A A D A
        SA HP D D D D
        IN U  A A D D
        IN R  A A D D
        IN P  A A D D
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  A A D D
        CM R  A A D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    /// The same, made public by the submitting State Party.
    const FOREIGN_FINAL_PUBLIC: &str = "
        NA U  A A D D
        NA R  A A D D
        NA P  D D D D
        NA HP D D D D
        SA U  A A D A
        SA R  A A D A
        SA P  A A D A
        SA HP D D D D
        IN U  A A D D
        IN R  A A D D
        IN P  A A D D
        IN HP D D D D
        LB U  A A D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  A A D D
        CM R  A A D D
        CM P  D D D D
        CM HP D D D D
        AD U  A A D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    /// A draft of another State Party: nobody but its owner sees it.
    const FOREIGN_DRAFT: &str = "
        NA U  D D D D
        NA R  D D D D
        NA P  D D D D
        NA HP D D D D
        SA U  D D D D
        SA R  D D D D
        SA P  D D D D
        SA HP D D D D
        IN U  D D D D
        IN R  D D D D
        IN P  D D D D
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  D D D D
        CM R  D D D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    #[test]
    fn matrix_foreign_final_states_parties_only() {
        check_table("foreign final", FOREIGN_FINAL_STATES_PARTIES, |class| {
            declaration("BOR", class, Visibility::StatesPartiesOnly, Stage::Final)
        });
    }

    #[test]
    fn matrix_foreign_final_public() {
        check_table("foreign public", FOREIGN_FINAL_PUBLIC, |class| {
            declaration("BOR", class, Visibility::Public, Stage::Final)
        });
    }

    #[test]
    fn matrix_foreign_draft() {
        check_table("foreign draft", FOREIGN_DRAFT, |class| {
            declaration("BOR", class, Visibility::Public, Stage::Draft)
        });
    }

    /// A national authority and its own State Party's declarations:
    /// `stage class read list create change`.
    #[test]
    fn matrix_own_state_party() {
        let table = "
            final U  A A A D
            final R  A A A D
            final P  A A A D
            final HP A A A D
            draft U  A A A A
            draft R  A A A A
            draft P  A A A A
            draft HP A A A A
        ";
        let officer = principal(Role::NationalAuthority);
        let mut rows = 0;
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let stage = if cells[0] == "final" {
                Stage::Final
            } else {
                Stage::Draft
            };
            let class = class_code(cells[1]);
            for visibility in [Visibility::Public, Visibility::StatesPartiesOnly] {
                let record = declaration("ARC", class, visibility, stage);
                for (action, expected) in Action::ALL.into_iter().zip(&cells[2..]) {
                    let decision = decide(&officer, action, &record, &[], NOW);
                    assert_eq!(
                        decision.is_allowed(),
                        *expected == "A",
                        "{line}: {action:?}"
                    );
                }
            }
            rows += 1;
        }
        assert_eq!(rows, 8);
    }

    /// Custody records naming the inspected State Party ARC (the national
    /// authority in these tables is ARC's): `role class read list create change`.
    const CUSTODY_OWN: &str = "
        NA U  A A D D
        NA R  A A D D
        NA P  A A D D
        NA HP D D D D
        SA U  A A A D
        SA R  A A A D
        SA P  A A A D
        SA HP D D D D
        IN U  A A A D
        IN R  A A A D
        IN P  A A A D
        IN HP D D D D
        LB U  A A A D
        LB R  A A A D
        LB P  A A A D
        LB HP D D D D
        CM U  D D D D
        CM R  D D D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    fn custody(owner: Option<&str>, classification: Classification) -> RecordMeta {
        RecordMeta {
            id: "S-1".into(),
            kind: RecordKind::Custody,
            owner: owner.map(party),
            classification,
            visibility: Visibility::StatesPartiesOnly,
            stage: Stage::Final,
        }
    }

    #[test]
    fn matrix_custody() {
        check_table("custody own", CUSTODY_OWN, |class| {
            custody(Some("ARC"), class)
        });
        // Another State Party's samples, or samples naming none: the
        // national authority sees nothing; the other rows are unchanged.
        for owner in [Some("BOR"), None] {
            for class in [Classification::Unclassified, Classification::Protected] {
                for action in Action::ALL {
                    let decision = decide(
                        &principal(Role::NationalAuthority),
                        action,
                        &custody(owner, class),
                        &[],
                        NOW,
                    );
                    assert!(!decision.is_allowed(), "{owner:?} {class:?} {action:?}");
                }
            }
        }
    }

    fn case_record(
        inspected: Option<&str>,
        requesting: Option<&str>,
        field_work: bool,
        council: bool,
        stage: Stage,
        classification: Classification,
    ) -> RecordMeta {
        RecordMeta {
            id: "CL-2027-0001".into(),
            kind: RecordKind::Case(CaseScope {
                requesting: requesting.map(party),
                field_work,
                council,
                team: None,
            }),
            owner: inspected.map(party),
            classification,
            visibility: Visibility::StatesPartiesOnly,
            stage,
        }
    }

    /// A clarification ARC raised about BOR's declaration (the national
    /// authority in these tables is ARC's): `role class read list create change`.
    const CASE_CLARIFICATION_REQUESTING: &str = "
        NA U  A A A A
        NA R  A A A A
        NA P  A A A A
        NA HP D D D D
        SA U  A A A A
        SA R  A A A A
        SA P  A A A A
        SA HP D D D D
        IN U  D D D D
        IN R  D D D D
        IN P  D D D D
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  D D D D
        CM R  D D D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    /// A clarification BOR raised about ARC's declaration, now with a
    /// clarification visit proposed (field work).
    const CASE_CLARIFICATION_INSPECTED_VISIT: &str = "
        NA U  A A D A
        NA R  A A D A
        NA P  A A D A
        NA HP A A D A
        SA U  A A A A
        SA R  A A A A
        SA P  A A A A
        SA HP D D D D
        IN U  A A D A
        IN R  A A D A
        IN P  A A D A
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  D D D D
        CM R  D D D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    /// A filed facility investigation CRO requested of BOR: ARC's national
    /// authority is not concerned; the Council decides on it.
    const CASE_INVESTIGATION_OTHERS: &str = "
        NA U  D D D D
        NA R  D D D D
        NA P  D D D D
        NA HP D D D D
        SA U  A A A A
        SA R  A A A A
        SA P  A A A A
        SA HP D D D D
        IN U  A A D A
        IN R  A A D A
        IN P  A A D A
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  A A D A
        CM R  A A D A
        CM P  A A D A
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    /// An investigation request ARC is still drafting (of BOR): nobody but
    /// ARC's national authority sees it.
    const CASE_DRAFT_REQUEST: &str = "
        NA U  A A A A
        NA R  A A A A
        NA P  A A A A
        NA HP A A A A
        SA U  D D D D
        SA R  D D D D
        SA P  D D D D
        SA HP D D D D
        IN U  D D D D
        IN R  D D D D
        IN P  D D D D
        IN HP D D D D
        LB U  D D D D
        LB R  D D D D
        LB P  D D D D
        LB HP D D D D
        CM U  D D D D
        CM R  D D D D
        CM P  D D D D
        CM HP D D D D
        AD U  D D D D
        AD R  D D D D
        AD P  D D D D
        AD HP D D D D
    ";

    #[test]
    fn matrix_cases() {
        check_table(
            "case raised by ARC",
            CASE_CLARIFICATION_REQUESTING,
            |class| case_record(Some("BOR"), Some("ARC"), false, false, Stage::Final, class),
        );
        check_table(
            "case about ARC with a visit",
            CASE_CLARIFICATION_INSPECTED_VISIT,
            |class| case_record(Some("ARC"), Some("BOR"), true, false, Stage::Final, class),
        );
        check_table(
            "investigation of others",
            CASE_INVESTIGATION_OTHERS,
            |class| case_record(Some("BOR"), Some("CRO"), true, true, Stage::Final, class),
        );
        check_table("draft request by ARC", CASE_DRAFT_REQUEST, |class| {
            case_record(Some("BOR"), Some("ARC"), true, true, Stage::Draft, class)
        });
    }

    #[test]
    fn cases_of_other_parties_and_of_nobody_stay_closed() {
        // A clarification raised by the Secretariat (no requesting State
        // Party) about BOR: ARC sees nothing; BOR's authority sees it.
        let mut bor = principal(Role::NationalAuthority);
        bor.state_party = Some(party("BOR"));
        for class in Classification::ALL {
            let record = case_record(Some("BOR"), None, false, false, Stage::Final, class);
            for action in Action::ALL {
                let arc = decide(
                    &principal(Role::NationalAuthority),
                    action,
                    &record,
                    &[],
                    NOW,
                );
                assert!(!arc.is_allowed(), "ARC {class:?} {action:?}");
                let own = decide(&bor, action, &record, &[], NOW);
                assert_eq!(
                    own.is_allowed(),
                    action != Action::Create,
                    "BOR {class:?} {action:?}"
                );
            }
        }
        // A national authority without a State Party sees no case.
        let mut officer = principal(Role::NationalAuthority);
        officer.state_party = None;
        let record = case_record(
            Some("ARC"),
            Some("ARC"),
            false,
            false,
            Stage::Final,
            Classification::Unclassified,
        );
        assert_eq!(
            decide(&officer, Action::Read, &record, &[], NOW),
            Decision::Deny(DenyReason::NoStateParty)
        );
    }

    #[test]
    fn cases_naming_their_team_open_to_its_inspectors_only() {
        let named = principal(Role::Inspector);
        let other = Principal {
            username: "another-inspector".into(),
            ..named.clone()
        };
        let mut record = case_record(
            Some("BOR"),
            Some("CRO"),
            true,
            true,
            Stage::Final,
            Classification::Protected,
        );
        if let RecordKind::Case(scope) = &mut record.kind {
            scope.team = Some(vec![named.username.clone()]);
        }
        for (action, want) in Action::ALL.into_iter().zip([true, true, false, true]) {
            assert_eq!(decide(&named, action, &record, &[], NOW).is_allowed(), want);
            assert!(!decide(&other, action, &record, &[], NOW).is_allowed());
        }
    }

    #[test]
    fn grants_open_highly_protected_cases_for_reading_only() {
        for role in Role::ALL {
            let who = principal(role);
            let record = case_record(
                Some("BOR"),
                Some("CRO"),
                true,
                true,
                Stage::Final,
                Classification::HighlyProtected,
            );
            let grant = grant_for(&who, &record);
            let grants = std::slice::from_ref(&grant);
            for (action, want) in Action::ALL.into_iter().zip([true, true, false, false]) {
                assert_eq!(
                    decide(&who, action, &record, grants, NOW).is_allowed(),
                    want,
                    "{role} {action:?}"
                );
            }
            let draft = RecordMeta {
                stage: Stage::Draft,
                ..record
            };
            assert!(!decide(&who, Action::Read, &draft, grants, NOW).is_allowed());
        }
    }

    /// Operational records: `kind role class read list create change`.
    #[test]
    fn matrix_operational_records() {
        let kinds = [
            (RecordKind::AuditLog, "audit"),
            (RecordKind::Grant, "grant"),
            (RecordKind::Account, "account"),
        ];
        // Administrator rows; every other role is denied everything.
        let table = "
            audit   U  A A D D
            audit   R  A A D D
            audit   P  A A D D
            audit   HP D D D D
            grant   U  A A A A
            grant   R  A A A A
            grant   P  A A A A
            grant   HP A A A A
            account U  A A A A
            account R  A A A A
            account P  A A A A
            account HP A A A A
        ";
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let kind = kinds
                .iter()
                .find(|(_, name)| *name == cells[0])
                .unwrap()
                .0
                .clone();
            let record = RecordMeta {
                id: "system".into(),
                kind,
                owner: None,
                classification: class_code(cells[1]),
                visibility: Visibility::StatesPartiesOnly,
                stage: Stage::Final,
            };
            for role in Role::ALL {
                for (action, expected) in Action::ALL.into_iter().zip(&cells[2..]) {
                    let decision = decide(&principal(role), action, &record, &[], NOW);
                    let want = role == Role::Administrator && *expected == "A";
                    assert_eq!(decision.is_allowed(), want, "{line}: {role} {action:?}");
                }
            }
        }
    }

    /// Draws: `role class read list create change` (public read;
    /// announce and run by Secretariat analysts only).
    #[test]
    fn matrix_draws() {
        let table = "
            national_authority   U  A A D D
            national_authority   R  D D D D
            secretariat_analyst  U  A A A A
            secretariat_analyst  R  A A A A
            secretariat_analyst  P  A A A A
            secretariat_analyst  HP D D D D
            inspector            U  A A D D
            inspector            P  D D D D
            laboratory           U  A A D D
            council_member       U  A A D D
            council_member       HP D D D D
            administrator        U  A A D D
            administrator        R  D D D D
        ";
        let mut seen = std::collections::BTreeSet::new();
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let role: Role = cells[0].parse().unwrap();
            seen.insert(role);
            let record = RecordMeta {
                id: "TV-2027".into(),
                kind: RecordKind::Draw,
                owner: None,
                classification: class_code(cells[1]),
                visibility: Visibility::Public,
                stage: Stage::Final,
            };
            for (action, expected) in Action::ALL.into_iter().zip(&cells[2..]) {
                let decision = decide(&principal(role), action, &record, &[], NOW);
                assert_eq!(
                    decision.is_allowed(),
                    *expected == "A",
                    "{line}: {action:?}"
                );
            }
        }
        assert_eq!(seen.len(), Role::ALL.len(), "every role has a row");
        // A grant never opens writing a draw.
        let record = RecordMeta {
            id: "TV-2027".into(),
            kind: RecordKind::Draw,
            owner: None,
            classification: Classification::Unclassified,
            visibility: Visibility::Public,
            stage: Stage::Final,
        };
        let inspector = principal(Role::Inspector);
        assert_eq!(
            decide(&inspector, Action::Create, &record, &[], NOW),
            Decision::Deny(DenyReason::RoleFunction)
        );
    }

    #[test]
    fn national_authority_without_state_party_is_denied() {
        let mut officer = principal(Role::NationalAuthority);
        officer.state_party = None;
        let record = declaration(
            "ARC",
            Classification::Unclassified,
            Visibility::Public,
            Stage::Final,
        );
        assert_eq!(
            decide(&officer, Action::Read, &record, &[], NOW),
            Decision::Deny(DenyReason::NoStateParty)
        );
    }

    fn highly_protected() -> RecordMeta {
        declaration(
            "BOR",
            Classification::HighlyProtected,
            Visibility::StatesPartiesOnly,
            Stage::Final,
        )
    }

    fn grant_for(principal: &Principal, record: &RecordMeta) -> Grant {
        Grant {
            grantee: principal.username.clone(),
            record_id: record.id.clone(),
            classification: Classification::HighlyProtected,
            expires_at: NOW + 3600,
            revoked_at: None,
        }
    }

    /// Grant cases: `case read list create change` for an inspector and a
    /// Highly Protected declaration of BOR.
    #[test]
    fn grants_expiry_and_revocation() {
        let inspector = principal(Role::Inspector);
        let record = highly_protected();
        let valid = grant_for(&inspector, &record);
        let cases: Vec<(&str, Vec<Grant>, i64, &str)> = vec![
            ("no grant", vec![], NOW, "D D D D"),
            ("valid", vec![valid.clone()], NOW, "A A D D"),
            ("expired", vec![valid.clone()], valid.expires_at, "D D D D"),
            (
                "one second before expiry",
                vec![valid.clone()],
                valid.expires_at - 1,
                "A A D D",
            ),
            (
                "revoked",
                vec![Grant {
                    revoked_at: Some(NOW - 10),
                    ..valid.clone()
                }],
                NOW,
                "D D D D",
            ),
            (
                "other account",
                vec![Grant {
                    grantee: "someone-else".into(),
                    ..valid.clone()
                }],
                NOW,
                "D D D D",
            ),
            (
                "other record",
                vec![Grant {
                    record_id: "decl-other".into(),
                    ..valid.clone()
                }],
                NOW,
                "D D D D",
            ),
            (
                "ceiling below the record",
                vec![Grant {
                    classification: Classification::Protected,
                    ..valid.clone()
                }],
                NOW,
                "D D D D",
            ),
            (
                "revoked beside valid",
                vec![
                    Grant {
                        revoked_at: Some(NOW - 10),
                        ..valid.clone()
                    },
                    valid.clone(),
                ],
                NOW,
                "A A D D",
            ),
        ];
        for (case, grants, now, expected) in cases {
            let expected: Vec<&str> = expected.split_whitespace().collect();
            for (action, want) in Action::ALL.into_iter().zip(expected) {
                let decision = decide(&inspector, action, &record, &grants, now);
                assert_eq!(decision.is_allowed(), want == "A", "{case}: {action:?}");
            }
        }
    }

    #[test]
    fn grants_open_highly_protected_for_every_role_but_never_drafts() {
        for role in Role::ALL {
            let who = principal(role);
            let record = highly_protected();
            let grant = grant_for(&who, &record);
            assert!(
                decide(
                    &who,
                    Action::Read,
                    &record,
                    std::slice::from_ref(&grant),
                    NOW
                )
                .is_allowed()
            );
            assert!(
                !decide(
                    &who,
                    Action::Change,
                    &record,
                    std::slice::from_ref(&grant),
                    NOW
                )
                .is_allowed()
            );
            let draft = RecordMeta {
                stage: Stage::Draft,
                ..record
            };
            assert!(!decide(&who, Action::Read, &draft, &[grant], NOW).is_allowed());
        }
    }

    #[test]
    fn audit_table() {
        // action: U R P HP
        let table = [
            (Action::Read, [false, false, true, true]),
            (Action::List, [false, false, true, true]),
            (Action::Create, [true, true, true, true]),
            (Action::Change, [true, true, true, true]),
        ];
        for (action, expected) in table {
            for (class, want) in Classification::ALL.into_iter().zip(expected) {
                assert_eq!(requires_audit(action, class), want, "{action:?} {class:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("king".parse::<Role>().is_err());
    }
}
