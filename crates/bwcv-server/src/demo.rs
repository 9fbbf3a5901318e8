//! Seeding a portal with the demo world of `bwcv_declare::demo`: one
//! account per role (a national authority officer per fictional State
//! Party), and every demo return stored and submitted through the same
//! store calls the portal uses (ledger entry and audit record included).

use bwcv_core::{Classification, StatePartyCode, Visibility};
use bwcv_declare::demo::DemoWorld;
use bwcv_store::{AuditOutcome, DeclarationDraft, NewUser, Role, Store, UserId};
use chrono::{NaiveTime, SubsecRound, Utc};

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
    seed_draw(store, world).await?;
    accounts.extend(seed_council(store, world).await?);
    seed_cases(store, world).await?;
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

/// The recorded quicknet round 1000 (the drand test vector bwcv-cases'
/// tests use), so the demo draw verifies offline.
const DEMO_ROUND: u64 = 1000;
const DEMO_SIGNATURE: &str = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";

/// A published and run transparency-visit draw over the facilities of each
/// demo State Party's latest return, for the draw pages. Fictional: it is
/// dated 2023-07-01 (before quicknet round 1000 existed) and run with that
/// round's recorded beacon, so that `bwcv draw verify` re-runs it offline;
/// the ledger entries carry the time the demo was seeded.
pub async fn seed_draw<S: Store>(store: &S, world: &DemoWorld) -> Result<(), Failure> {
    use bwcv_cases::draw::{BeaconValue, DrawAnnouncement, DrawRules, RandomnessSource};
    let Some(analyst) = store.find_user_by_username("analyst").await? else {
        return Ok(());
    };
    let mut latest: std::collections::BTreeMap<&StatePartyCode, &bwcv_declare::Submission> =
        std::collections::BTreeMap::new();
    for submission in &world.submissions {
        let kept = latest.entry(&submission.state_party).or_insert(submission);
        if kept.reporting_year < submission.reporting_year {
            *kept = submission;
        }
    }
    let pool = crate::draws::pool_from_submissions(latest.values().copied());
    if pool.is_empty() {
        return Ok(());
    }
    let internal =
        |error: bwcv_cases::draw::DrawError| Failure::Internal(format!("demo draw: {error}"));
    let rules =
        DrawRules::from_params(bwcv_core::params::ParameterSet::builtin()).map_err(internal)?;
    let announced_at = chrono::DateTime::from_timestamp(1_688_169_600, 0).unwrap_or_default();
    let announcement = DrawAnnouncement::new(
        "DEMO-2024",
        2024,
        announced_at,
        rules,
        pool,
        Vec::new(),
        vec![RandomnessSource::Drand {
            chain_hash: bwcv_cases::drand::QUICKNET_CHAIN_HASH.to_owned(),
            round: DEMO_ROUND,
        }],
    )
    .map_err(internal)?;
    let why = "demo data: a fictional draw announced 2023-07-01 for drand quicknet round 1000";
    crate::draws::publish_announcement(store, &announcement, &analyst, why).await?;
    let beacon = BeaconValue::Drand(bwcv_cases::drand::Beacon {
        round: DEMO_ROUND,
        signature: DEMO_SIGNATURE.to_owned(),
        randomness: None,
    });
    crate::draws::run_draw(store, "DEMO-2024", &[beacon], &analyst, why).await?;
    Ok(())
}

/// Three clarification cases for the case pages, dated relative to `now`
/// (`bwcv_cases` checks every step): one awaiting the reply (due in 11
/// days), one closed with its outcome, one whose reply is overdue.
pub async fn seed_cases<S: Store>(store: &S, world: &DemoWorld) -> Result<(), Failure> {
    use bwcv_cases::case::{CaseKind, Concern, DeclarationPoint, Subject, Transition};
    use chrono::TimeDelta;
    let codes: Vec<&StatePartyCode> = world.states.iter().map(|s| &s.code).collect();
    let user = |name: String| async move { store.find_user_by_username(&name).await };
    let officer = |code: &StatePartyCode| format!("{}-officer", code.as_str().to_lowercase());
    let (Some(analyst), [first, second, third, fourth, fifth, ..]) =
        (user("analyst".into()).await?, codes.as_slice())
    else {
        return Ok(());
    };
    let (Some(requester), Some(replier), Some(raiser)) = (
        user(officer(second)).await?,
        user(officer(fourth)).await?,
        user(officer(first)).await?,
    ) else {
        return Ok(());
    };
    let point = |code: &StatePartyCode, year: i32, form: &str, path: &str, concern, text: &str| {
        Subject::Declaration(DeclarationPoint {
            state_party: code.clone(),
            year,
            form: form.to_owned(),
            json_path: path.to_owned(),
            concern,
            description: text.to_owned(),
        })
    };
    let digest = |text: &str| crate::cases::sha256_hex(text);
    let now = Utc::now().trunc_subsecs(0);
    let days = TimeDelta::days;
    let year = world.year;
    // In progress: the written request went out 3 days ago.
    crate::cases::seed_case(
        store,
        &requester,
        CaseKind::Clarification,
        point(
            third,
            year,
            "b",
            "$.forms.b.outbreaks[0].number_of_cases",
            Concern::Anomaly,
            "The number of cases reported differs from the figure in the national surveillance bulletin.",
        ),
        Classification::Restricted,
        now - days(4),
        "demo data: a State Party asks about an outbreak count",
        vec![(
            &analyst,
            Transition::SendRequest {
                request_sha256: digest("Please explain the outbreak count in Form B."),
            },
            now - days(3),
            "the discrepancy is material to the compilation",
        )],
        &[
            "Please explain the outbreak count in Form B.",
        ],
    )
    .await?;
    // Closed: request, reply, closure with the outcome.
    crate::cases::seed_case(
        store,
        &analyst,
        CaseKind::Clarification,
        point(
            fourth,
            year - 1,
            "a_part_1",
            "$.forms.a_part_1.maximum_containment[0].containment_units[0].level",
            Concern::Ambiguity,
            "The containment level of the first unit is given as BSL-3 here and BSL-4 in the previous year.",
        ),
        Classification::Restricted,
        now - days(60),
        "demo data: the Secretariat checks a year-to-year change",
        vec![
            (
                &analyst,
                Transition::SendRequest {
                    request_sha256: digest("Please confirm the containment level."),
                },
                now - days(59),
                "year-to-year change found in the history",
            ),
            (
                &replier,
                Transition::RecordReply {
                    reply_sha256: digest("The unit was downgraded to BSL-3 after renovation."),
                },
                now - days(50),
                "our reply to the written request",
            ),
            (
                &analyst,
                Transition::Close {
                    outcome: "The unit was downgraded to BSL-3 after its renovation; both returns are consistent with that.".to_owned(),
                },
                now - days(45),
                "the reply answers the question",
            ),
        ],
        &[
            "Please confirm the containment level.",
            "The unit was downgraded to BSL-3 after renovation.",
        ],
    )
    .await?;
    // Overdue: no reply 30 days after the request.
    crate::cases::seed_case(
        store,
        &raiser,
        CaseKind::Clarification,
        point(
            fifth,
            year,
            "a_part_2_i",
            "$.forms.a_part_2_i",
            Concern::Omission,
            "No national biological defence programme is declared, while the programme was declared until last year.",
        ),
        Classification::Restricted,
        now - days(31),
        "demo data: a State Party asks about an omitted programme",
        vec![(
            &analyst,
            Transition::SendRequest {
                request_sha256: digest("Please explain the omission in Form A part 2 (i)."),
            },
            now - days(30),
            "a declared programme disappeared from the return",
        )],
        &[
            "Please explain the omission in Form A part 2 (i).",
        ],
    )
    .await?;
    Ok(())
}

/// Executive Council seats for the Council pages (one account per seat,
/// passwords printed with the others) and a field investigation filed two
/// hours ago, one seat having voted, so the voting page is live.
pub async fn seed_council<S: Store>(
    store: &S,
    world: &DemoWorld,
) -> Result<Vec<DemoAccount>, Failure> {
    use bwcv_cases::case::{CaseKind, Subject, Transition};
    use bwcv_cases::council::{Choice, Vote};
    use bwcv_cases::investigation::{
        Evidence, FieldGround, InvestigationKind, InvestigationRequest, Location, Period,
    };
    let codes: Vec<&StatePartyCode> = world.states.iter().map(|s| &s.code).collect();
    let [first, second, third, fourth, ..] = codes.as_slice() else {
        return Ok(Vec::new());
    };
    let officer = format!("{}-officer", second.as_str().to_lowercase());
    let Some(requester) = store.find_user_by_username(&officer).await? else {
        return Ok(Vec::new());
    };
    let now = Utc::now();
    let mut accounts = Vec::new();
    let mut seats = Vec::new();
    for code in [first, second, fourth] {
        let username = format!("council-{}", code.as_str().to_lowercase());
        let password = crate::auth::random_secret()[..16].to_owned();
        let user = store
            .create_user(NewUser {
                username: username.clone(),
                display_name: format!("Executive Council member ({code})"),
                role: Role::CouncilMember,
                state_party: Some((*code).clone()),
                password_hash: crate::auth::hash_password(password.clone()).await?,
                created_at: now,
            })
            .await?;
        seats.push(user);
        accounts.push(DemoAccount {
            username,
            role: Role::CouncilMember,
            state_party: Some((*code).clone()),
            password,
        });
    }
    let request = InvestigationRequest {
        kind: InvestigationKind::Field,
        field_ground: Some(FieldGround::SuspiciousOutbreak),
        requesting_state_party: Some((*second).clone()),
        investigated_state_party: Some((*third).clone()),
        alleged_facts: "An unusual cluster of anthrax cases in livestock and farm workers near the border, outside the usual season.".to_owned(),
        location: Some(Location {
            description: "Border district, river valley".to_owned(),
            latitude: None,
            longitude: None,
        }),
        period: Some(Period {
            from: now - chrono::TimeDelta::days(30),
            to: now - chrono::TimeDelta::days(20),
        }),
        evidence: vec![Evidence {
            description: "Veterinary and hospital case reports".to_owned(),
            sha256: crate::cases::sha256_hex("demo evidence: case reports"),
        }],
        facility: None,
    };
    let filed_at = now - chrono::TimeDelta::hours(2);
    let case_id = crate::cases::seed_case(
        store,
        &requester,
        CaseKind::FieldInvestigation,
        Subject::Investigation(request),
        Classification::Restricted,
        now - chrono::TimeDelta::hours(3),
        "demo data: a State Party requests a field investigation",
        vec![(
            &requester,
            Transition::File,
            filed_at,
            "the request is complete",
        )],
        &[],
    )
    .await?;
    let Some(record) = store.get_case(&case_id).await? else {
        return Ok(accounts);
    };
    if let Some(voter) = seats.first() {
        let vote = Vote {
            member: (*first).clone(),
            choice: Choice::For,
            at: filed_at + chrono::TimeDelta::minutes(30),
        };
        crate::council::append_vote(store, &record, &vote, voter, "demo data: an early vote")
            .await?;
    }
    Ok(accounts)
}
