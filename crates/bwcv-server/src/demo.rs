//! Seeding a portal with the demo world of `bwcv_declare::demo`: one
//! account per role (a national authority officer per fictional State
//! Party), and every demo return stored and submitted through the same
//! store calls the portal uses (ledger entry and audit record included).

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_declare::demo::DemoWorld;
use bwcv_store::{AuditOutcome, DeclarationDraft, NewUser, Role, Store, UserId};
use chrono::{NaiveTime, Utc};

use crate::error::Failure;
use crate::pages::new_audit;
use crate::workflow::{declaration_ledger_entry, digest};

/// An account created for the demo, with its password (printed once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub state_party: Option<StatePartyCode>,
    pub password: String,
}

/// Creates the demo accounts (fresh random passwords) and stores every
/// return of `world`: all submitted (at their recorded submission date)
/// except the latest year of the first State Party, left as a draft to edit.
pub async fn seed<S: Store>(store: &S, world: &DemoWorld) -> Result<Vec<DemoAccount>, Failure> {
    let now = Utc::now();
    let mut accounts = Vec::new();
    let mut plan: Vec<(String, Role, Option<StatePartyCode>)> = world
        .states
        .iter()
        .map(|s| {
            (
                format!("{}-officer", s.code.as_str().to_lowercase()),
                Role::NationalAuthority,
                Some(s.code.clone()),
            )
        })
        .collect();
    for (name, role) in [
        ("analyst", Role::SecretariatAnalyst),
        ("inspector", Role::Inspector),
        ("laboratory", Role::Laboratory),
        ("council", Role::CouncilMember),
        ("admin", Role::Administrator),
    ] {
        plan.push((name.to_owned(), role, None));
    }
    let mut officers: Vec<(StatePartyCode, UserId)> = Vec::new();
    for (username, role, state_party) in plan {
        let password = crate::auth::random_secret()[..16].to_owned();
        let user = store
            .create_user(NewUser {
                username: username.clone(),
                display_name: username.clone(),
                role,
                state_party: state_party.clone(),
                password_hash: crate::auth::hash_password(password.clone()).await?,
                created_at: now,
            })
            .await?;
        if let Some(code) = &state_party {
            officers.push((code.clone(), user.id));
        }
        accounts.push(DemoAccount {
            username,
            role,
            state_party,
            password,
        });
    }
    let first = world.states.first().map(|s| s.code.clone());
    let last_year = world
        .submissions
        .iter()
        .map(|s| s.reporting_year)
        .max()
        .unwrap_or(world.year);
    for submission in &world.submissions {
        let Some((_, officer)) = officers
            .iter()
            .find(|(code, _)| *code == submission.state_party)
        else {
            continue;
        };
        let officer = *officer;
        let body = serde_json::to_value(submission)
            .map_err(|e| Failure::Internal(format!("demo submission: {e}")))?;
        let classification = match submission.visibility {
            Visibility::Public => Classification::Unclassified,
            Visibility::StatesPartiesOnly => Classification::Restricted,
        };
        let body_digest = digest(&body);
        let record = store
            .save_draft(
                DeclarationDraft {
                    id: None,
                    expected_version: 0,
                    state_party: submission.state_party.clone(),
                    reporting_year: submission.reporting_year,
                    visibility: submission.visibility,
                    classification,
                    body,
                    digest: body_digest.clone(),
                    actor: officer,
                    at: now,
                },
                demo_audit("declaration.create", classification),
            )
            .await?;
        let keep_draft = Some(&submission.state_party) == first.as_ref()
            && submission.reporting_year == last_year;
        let Some(date) = submission.submitted.filter(|_| !keep_draft) else {
            continue;
        };
        let at = date
            .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
            .and_utc();
        store
            .submit_declaration(
                record.id,
                record.version,
                officer,
                at,
                declaration_ledger_entry(&record, at)?,
                demo_audit("declaration.submit", classification),
            )
            .await?;
    }
    Ok(accounts)
}

fn demo_audit(action: &str, classification: Classification) -> bwcv_store::NewAuditRecord {
    let mut record = new_audit(
        None,
        action,
        "declaration",
        None,
        classification,
        "demo data seeded at start",
        AuditOutcome::Success,
        serde_json::json!({"seed": "bwcv_declare::demo"}),
    );
    record.actor = None;
    record
}
