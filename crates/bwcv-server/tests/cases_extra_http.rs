//! HTTP tests of the Executive Council voting pages, the draw publication
//! pages, the deadlines calendar and the notifications, through
//! `app().oneshot(...)` on a temporary SQLite store.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bwcv_cases::case::{Actor, Case, CaseEvent, CaseId, CaseKind, Subject, Transition};
use bwcv_cases::drand::{self, QUICKNET_CHAIN_HASH};
use bwcv_cases::draw::{
    self, DrawAnnouncement, DrawRecord, DrawRules, PoolEntry, RandomnessSource,
};
use bwcv_cases::investigation::{
    Evidence, FieldGround, InvestigationKind, InvestigationRequest, Location, Period,
};
use bwcv_core::access::Role as AccessRole;
use bwcv_core::params::ParameterSet;
use bwcv_core::{Classification, FacilityId, StatePartyCode, Visibility};
use bwcv_store::cases::{CaseEntryKind, CaseStore, NewCase, NewCaseEntry};
use bwcv_store::{
    AuditFilter, AuditOutcome, DeclarationDraft, NewAuditRecord, NewLedgerEntry, NewUser, Role,
    Store, UserId,
};
use chrono::{DateTime, Duration, TimeDelta, Utc};
use common::{Client, Harness, demo_store, get, text};
use sha2::{Digest, Sha256};

fn sp(code: &str) -> StatePartyCode {
    StatePartyCode::new(code).unwrap()
}

/// The harness plus four Council seats: ARC (the requesting State Party in
/// every case here, so an interested member), CYR, DUN and ELM.
async fn harness() -> Harness {
    let h = Harness::new().await;
    for (username, party) in [
        ("council-arc", "ARC"),
        ("council-cyr", "CYR"),
        ("council-dun", "DUN"),
        ("council-elm", "ELM"),
    ] {
        h.store
            .create_user(NewUser {
                username: username.into(),
                display_name: username.into(),
                role: Role::CouncilMember,
                state_party: Some(sp(party)),
                password_hash: bwcv_server::hash_password_blocking(common::PASSWORD).unwrap(),
                created_at: Utc::now(),
            })
            .await
            .unwrap();
    }
    h
}

async fn user_id(h: &Harness, username: &str) -> UserId {
    h.store
        .find_user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn request(kind: InvestigationKind) -> InvestigationRequest {
    InvestigationRequest {
        kind,
        field_ground: (kind == InvestigationKind::Field).then_some(FieldGround::SuspiciousOutbreak),
        requesting_state_party: Some(sp("ARC")),
        investigated_state_party: Some(sp("BOR")),
        alleged_facts: "Cluster of unusual illness downwind of the site".into(),
        location: Some(Location {
            description: "Northern district".into(),
            latitude: None,
            longitude: None,
        }),
        period: Some(Period {
            from: Utc::now() - TimeDelta::days(40),
            to: Utc::now() - TimeDelta::days(30),
        }),
        evidence: vec![Evidence {
            description: "Epidemiological summary".into(),
            sha256: "cd".repeat(32),
        }],
        facility: (kind == InvestigationKind::Facility)
            .then(|| FacilityId::new("BOR-F0007").unwrap()),
    }
}

fn ledger(case_id: &str, at: DateTime<Utc>) -> NewLedgerEntry {
    bwcv_server::draws::case_event_entry(
        case_id,
        bwcv_server::draws::LedgerEntryKind::Event,
        "test",
        "{}",
        "a",
        "b",
        "tester",
        "test",
        at,
    )
}

fn audit_record(at: DateTime<Utc>) -> NewAuditRecord {
    NewAuditRecord {
        at,
        actor: None,
        actor_role: None,
        action: "case.test".into(),
        object_kind: "case".into(),
        object_id: None,
        classification: Classification::Restricted,
        justification: "test fixture".into(),
        outcome: AuditOutcome::Success,
        detail: serde_json::Value::Null,
    }
}

fn entry(
    case_id: &str,
    sequence: u32,
    event: &CaseEvent,
    actor: UserId,
    state_after: &str,
    deadline: Option<DateTime<Utc>>,
) -> NewCaseEntry {
    let body = String::from_utf8(event.canonical_bytes()).unwrap();
    NewCaseEntry {
        case_id: case_id.into(),
        sequence,
        kind: CaseEntryKind::Event,
        at: event.at,
        actor,
        body_sha256: hex::encode(Sha256::digest(body.as_bytes())),
        body_json: body,
        state_after: state_after.into(),
        next_deadline: deadline,
        next_deadline_label: deadline.map(|_| "council decision due".into()),
    }
}

/// Stores an investigation requested by ARC against BOR and filed at
/// `filed_at`, the way the case pages store one (opening and filing events
/// of `bwcv_cases`, the row's next deadline the Council's window).
async fn seed_filed(
    h: &Harness,
    case_id: &str,
    kind: CaseKind,
    filed_at: DateTime<Utc>,
    classification: Classification,
) {
    let params = ParameterSet::builtin();
    let officer = user_id(h, "arc-officer").await;
    let actor = Actor {
        user: "arc-officer".into(),
        role: AccessRole::NationalAuthority,
        state_party: Some(sp("ARC")),
    };
    let investigation = if kind == CaseKind::FieldInvestigation {
        InvestigationKind::Field
    } else {
        InvestigationKind::Facility
    };
    let opened_at = filed_at - Duration::minutes(5);
    let (mut case, opened) = Case::open(
        CaseId(case_id.into()),
        kind,
        Subject::Investigation(request(investigation)),
        actor.clone(),
        opened_at,
        "request drafted",
        params,
    )
    .unwrap();
    let filed = case
        .apply(Transition::File, actor, filed_at, "request filed")
        .unwrap();
    let hours = if kind == CaseKind::FieldInvestigation {
        params
            .hours("investigation.field.council_decision_hours")
            .unwrap()
    } else {
        params
            .hours("investigation.facility.council_decision_hours")
            .unwrap()
    };
    let closes = filed_at + Duration::hours(hours);
    h.store
        .open_case(
            NewCase {
                case_id: case_id.into(),
                kind: kind.as_str().into(),
                state: "drafted".into(),
                classification,
                requesting: Some(sp("ARC")),
                inspected: Some(sp("BOR")),
                title: format!("Investigation request {case_id}"),
                opened_by: officer,
                opened_at,
                next_deadline: None,
                next_deadline_label: None,
            },
            entry(case_id, 0, &opened, officer, "drafted", None),
            ledger(case_id, opened_at),
            audit_record(opened_at),
        )
        .await
        .unwrap();
    h.store
        .append_case_entry(
            entry(case_id, 1, &filed, officer, "filed", Some(closes)),
            ledger(case_id, filed_at),
            audit_record(filed_at),
        )
        .await
        .unwrap();
}

async fn vote(h: &Harness, client: &Client, case_id: &str, choice: &str) -> StatusCode {
    h.post_form(
        &format!("/council/{case_id}/vote"),
        client,
        &[
            ("choice", choice),
            ("justification", "instructions from capital"),
        ],
    )
    .await
    .status()
}

async fn audit_actions(h: &Harness) -> Vec<String> {
    h.store
        .export_audit()
        .await
        .unwrap()
        .into_iter()
        .map(|record| format!("{} {}", record.action, record.outcome))
        .collect()
}

// ------------------------------------------------------------- council

#[tokio::test]
async fn council_pages_are_for_council_members_and_the_secretariat() {
    let h = harness().await;
    seed_filed(
        &h,
        "FI-2026-0001",
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(1),
        Classification::Restricted,
    )
    .await;
    for (username, expected) in [
        ("council-cyr", StatusCode::OK),
        ("analyst", StatusCode::OK),
        ("council", StatusCode::OK),
        ("arc-officer", StatusCode::FORBIDDEN),
        ("inspector", StatusCode::FORBIDDEN),
        ("lab", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
    ] {
        let client = h.login(username).await;
        let (status, page) = h.get_html("/council", &client).await;
        assert_eq!(status, expected, "{username}");
        if expected == StatusCode::OK {
            assert!(page.contains("FI-2026-0001"), "{username}: {page}");
        }
        let (status, _) = h.get_html("/council/FI-2026-0001", &client).await;
        assert_eq!(status, expected, "{username} case page");
    }
    let anonymous = h.send(get("/council", None)).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let council = h.login("council-cyr").await;
    for path in [
        "/council/FI-2026-9999",
        "/council/NOPE-1",
        "/council/%00",
        "/council/..%2F",
    ] {
        let (status, _) = h.get_html(path, &council).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
    }
}

#[tokio::test]
async fn the_rule_is_shown_with_its_parameters_and_votes_stay_hidden_until_final() {
    let h = harness().await;
    let case_id = "FI-2026-0002";
    seed_filed(
        &h,
        case_id,
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(1),
        Classification::Restricted,
    )
    .await;
    let cyr = h.login("council-cyr").await;
    let (status, page) = h.get_html(&format!("/council/{case_id}"), &cyr).await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "council.quorum_fraction",
        "council.majority_fraction",
        "investigation.field.council_decision_hours",
        "red light",
        "counts for the quorum when present, but the vote is not counted",
        "id=\"cast-vote\"",
        "none has voted yet",
    ] {
        assert!(page.contains(needle), "{needle} missing: {page}");
    }
    // The requesting State Party's member votes: recorded, quorum only.
    let arc = h.login("council-arc").await;
    assert_eq!(
        vote(&h, &arc, case_id, "against").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        vote(&h, &cyr, case_id, "against").await,
        StatusCode::SEE_OTHER
    );
    // A member votes once.
    assert_eq!(vote(&h, &cyr, case_id, "for").await, StatusCode::CONFLICT);
    let (_, page) = h.get_html(&format!("/council/{case_id}"), &cyr).await;
    assert!(page.contains("id=\"votes-hidden\""), "{page}");
    assert!(page.contains("ARC, CYR"), "{page}");
    assert!(page.contains("id=\"own-vote\""), "{page}");
    assert!(
        !page.contains("id=\"votes\""),
        "choices hidden while pending"
    );
    assert!(page.contains("<strong>pending"), "{page}");
    // Quorum 3 of 4 seats; 2 counted votes to stop out of 3 entitled: final.
    let dun = h.login("council-dun").await;
    assert_eq!(
        vote(&h, &dun, case_id, "against").await,
        StatusCode::SEE_OTHER
    );
    let elm = h.login("council-elm").await;
    assert_eq!(vote(&h, &elm, case_id, "for").await, StatusCode::CONFLICT);
    let (_, page) = h.get_html(&format!("/council/{case_id}"), &elm).await;
    assert!(page.contains("id=\"votes\""), "{page}");
    assert!(
        page.contains("quorum only (interested State Party)"),
        "{page}"
    );
    assert!(
        page.contains("the request does not proceed (a majority voted against it)"),
        "{page}"
    );
    assert!(page.contains("0 for, 2 against, 0 abstentions"), "{page}");
    // Three vote entries after the two events; each in the ledger.
    let entries = h.store.case_entries(case_id).await.unwrap();
    let votes: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == CaseEntryKind::Vote)
        .collect();
    assert_eq!(votes.len(), 3);
    let indices: std::collections::BTreeSet<u64> = entries.iter().map(|e| e.ledger_index).collect();
    assert_eq!(indices.len(), entries.len());
    let actions = audit_actions(&h).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "case.vote success").count(),
        3
    );
    assert!(
        actions.iter().any(|a| a == "case.vote denied"),
        "{actions:?}"
    );
    // The Secretariat is told the outcome is final.
    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html("/notifications", &analyst).await;
    assert!(page.contains("is final"), "{page}");
}

#[tokio::test]
async fn votes_are_refused_for_bad_input_non_members_and_without_csrf() {
    let h = harness().await;
    let case_id = "FI-2026-0003";
    seed_filed(
        &h,
        case_id,
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(1),
        Classification::Restricted,
    )
    .await;
    let cyr = h.login("council-cyr").await;
    assert_eq!(
        vote(&h, &cyr, case_id, "maybe").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(vote(&h, &cyr, case_id, "").await, StatusCode::BAD_REQUEST);
    let response = h
        .post_form(
            &format!("/council/{case_id}/vote"),
            &cyr,
            &[("choice", "for"), ("justification", "  ")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let forged = Client {
        cookie: cyr.cookie.clone(),
        csrf: "forged".into(),
    };
    assert_eq!(
        vote(&h, &forged, case_id, "for").await,
        StatusCode::FORBIDDEN
    );
    // No seat, or not a Council member at all.
    for username in ["council", "arc-officer", "analyst"] {
        let client = h.login(username).await;
        assert_eq!(
            vote(&h, &client, case_id, "for").await,
            StatusCode::FORBIDDEN,
            "{username}"
        );
    }
    assert_eq!(
        vote(&h, &cyr, "FI-2026-9999", "for").await,
        StatusCode::NOT_FOUND
    );
    // A body that is not a form.
    let response = h
        .send(
            Request::post(format!("/council/{case_id}/vote"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, &cyr.cookie)
                .body(Body::from("{\"choice\": 1}"))
                .unwrap(),
        )
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(h.store.case_entries(case_id).await.unwrap().len() == 2);
}

#[tokio::test]
async fn the_secretariat_records_the_final_tally_as_the_council_decision() {
    let h = harness().await;
    // Window long closed, nobody voted: a red light request proceeds.
    let case_id = "FI-2026-0004";
    seed_filed(
        &h,
        case_id,
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(100),
        Classification::Restricted,
    )
    .await;
    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html(&format!("/council/{case_id}"), &analyst).await;
    assert!(
        page.contains("the request proceeds (the quorum was not reached)"),
        "{page}"
    );
    assert!(page.contains("id=\"record-decision\""), "{page}");
    // A Council member does not record it; a vote after the window is refused.
    let cyr = h.login("council-cyr").await;
    let response = h
        .post_form(
            &format!("/council/{case_id}/decide"),
            &cyr,
            &[("justification", "x")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        vote(&h, &cyr, case_id, "against").await,
        StatusCode::CONFLICT
    );
    let response = h
        .post_form(
            &format!("/council/{case_id}/decide"),
            &analyst,
            &[("justification", "the window has closed")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let record = h.store.get_case(case_id).await.unwrap().unwrap();
    assert_eq!(record.state, "approved");
    let last = h.store.case_entries(case_id).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, CaseEntryKind::Event);
    let event: CaseEvent = serde_json::from_str(&last.body_json).unwrap();
    assert!(matches!(
        event.change,
        bwcv_cases::case::Change::Transitioned {
            transition: Transition::CouncilDecision { .. },
            ..
        }
    ));
    // Recording twice is refused (the case has moved on).
    let response = h
        .post_form(
            &format!("/council/{case_id}/decide"),
            &analyst,
            &[("justification", "again")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // The parties and the Council are notified.
    for username in ["arc-officer", "bor-officer", "council-dun"] {
        let client = h.login(username).await;
        let (_, page) = h.get_html("/notifications", &client).await;
        assert!(
            page.contains(&format!("Executive Council decision on {case_id}")),
            "{username}: {page}"
        );
    }
    let (_, page) = h.get_html("/council", &analyst).await;
    assert!(page.contains("id=\"council-decided\""), "{page}");
}

#[tokio::test]
async fn a_pending_outcome_is_not_recorded() {
    let h = harness().await;
    let case_id = "FA-2026-0001";
    seed_filed(
        &h,
        case_id,
        CaseKind::FacilityInvestigation,
        Utc::now() - Duration::hours(1),
        Classification::Restricted,
    )
    .await;
    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html(&format!("/council/{case_id}"), &analyst).await;
    assert!(page.contains("green light"), "{page}");
    assert!(page.contains("investigation.facility.council_decision_hours"));
    let response = h
        .post_form(
            &format!("/council/{case_id}/decide"),
            &analyst,
            &[("justification", "too soon")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        h.store.get_case(case_id).await.unwrap().unwrap().state,
        "filed"
    );
}

#[tokio::test]
async fn a_protected_case_needs_a_justification_and_its_read_is_audited() {
    let h = harness().await;
    let case_id = "FI-2026-0005";
    seed_filed(
        &h,
        case_id,
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(1),
        Classification::Protected,
    )
    .await;
    let cyr = h.login("council-cyr").await;
    let (status, page) = h.get_html(&format!("/council/{case_id}"), &cyr).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Justification required"), "{page}");
    let (status, page) = h
        .get_html(
            &format!("/council/{case_id}?justification=preparing+the+vote"),
            &cyr,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("council.quorum_fraction"), "{page}");
    let records = h
        .store
        .list_audit(AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "case.read" && r.object_id.as_deref() == Some(case_id))
        .collect::<Vec<_>>();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].justification, "preparing the vote");
    // The vote carries the page's justification back; an oversized one is
    // clipped as every justification is, never a 500.
    let long = "x".repeat(100_000);
    let response = h
        .post_form(
            &format!("/council/{case_id}/vote"),
            &cyr,
            &[
                ("choice", "for"),
                ("justification", "instructions from capital"),
                ("read_justification", &long),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let reads = h
        .store
        .list_audit(AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "case.read" && r.object_id.as_deref() == Some(case_id))
        .map(|r| r.justification.chars().count())
        .collect::<Vec<_>>();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(reads.iter().max(), Some(&2000));
}

// --------------------------------------------------------------- draws

/// The submitted CBM returns of the demo world, stored as the portal
/// does; returns the pool expected for a draw of 2027 (each State Party's
/// latest return).
async fn seed_declarations(h: &Harness) -> Vec<PoolEntry> {
    let world = bwcv_declare::demo::generate(7);
    let officer = user_id(h, "arc-officer").await;
    let mut latest: std::collections::BTreeMap<String, &bwcv_declare::Submission> =
        std::collections::BTreeMap::new();
    for submission in world.submissions.iter().filter(|s| s.reporting_year < 2027) {
        let body = serde_json::to_value(submission).unwrap();
        let digest = hex::encode(Sha256::digest(body.to_string().as_bytes()));
        let record = h
            .store
            .save_draft(
                DeclarationDraft {
                    id: None,
                    expected_version: 0,
                    state_party: submission.state_party.clone(),
                    reporting_year: submission.reporting_year,
                    visibility: Visibility::StatesPartiesOnly,
                    classification: Classification::Restricted,
                    body,
                    digest: digest.clone(),
                    actor: officer,
                    at: Utc::now(),
                },
                audit_record(Utc::now()),
            )
            .await
            .unwrap();
        h.store
            .submit_declaration(
                record.id,
                record.version,
                officer,
                Utc::now(),
                ledger("declaration", Utc::now()),
                audit_record(Utc::now()),
            )
            .await
            .unwrap();
        let kept = latest
            .entry(submission.state_party.to_string())
            .or_insert(submission);
        if kept.reporting_year < submission.reporting_year {
            *kept = submission;
        }
    }
    bwcv_server::draws::pool_from_submissions(latest.values().copied())
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// quicknet round 1000 (recorded in bwcv-cases' drand tests).
const ROUND_1000_SIGNATURE: &str = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";
/// quicknet round 123: a genuine signature, of another round.
const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

/// An announcement made before quicknet round 1000 existed, published
/// through the same store call the announce form uses.
async fn publish_2023(h: &Harness) -> DrawAnnouncement {
    let pool: Vec<PoolEntry> = ["ARC", "BOR", "CYR"]
        .iter()
        .flat_map(|code| {
            (1..=4).map(move |n| PoolEntry {
                facility: FacilityId::new(&format!("{code}-F{n:04}")).unwrap(),
                declaration_type: if n % 2 == 0 { "a_part_1" } else { "g" }.into(),
            })
        })
        .collect();
    let announcement = DrawAnnouncement::new(
        "TV-2024",
        2024,
        at("2023-07-01T00:00:00Z"),
        DrawRules::from_params(ParameterSet::builtin()).unwrap(),
        pool,
        Vec::new(),
        vec![RandomnessSource::Drand {
            chain_hash: QUICKNET_CHAIN_HASH.into(),
            round: 1000,
        }],
    )
    .unwrap();
    let analyst = h
        .store
        .find_user_by_username("analyst")
        .await
        .unwrap()
        .unwrap();
    bwcv_server::draws::publish_announcement(&h.store, &announcement, &analyst, "test draw")
        .await
        .unwrap();
    announcement
}

#[tokio::test]
async fn the_secretariat_announces_a_draw_over_the_declared_facilities() {
    let h = harness().await;
    let expected_pool = seed_declarations(&h).await;
    assert!(!expected_pool.is_empty());
    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html("/draws", &analyst).await;
    assert!(page.contains("id=\"announce\""), "{page}");
    let drand_at = (Utc::now() + Duration::days(60))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let response = h
        .post_form(
            "/draws",
            &analyst,
            &[
                ("year", "2027"),
                ("drand_at", &drand_at),
                ("weights", "a_part_1=2"),
                ("justification", "yearly draw"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/draws/TV-2027");
    // Anyone reads the publication page, anonymous visitors included.
    let response = h.send(get("/draws/TV-2027", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    let stored = h.store.get_draw("TV-2027").await.unwrap().unwrap();
    let announcement: DrawAnnouncement = serde_json::from_str(&stored.announcement_json).unwrap();
    assert_eq!(announcement.pool, expected_pool);
    for needle in [
        announcement.pool_digest.as_str(),
        stored.announcement_sha256.as_str(),
        "visits.random.max_per_state_party_per_year",
        "draw.publication_lead_days",
        "drand quicknet round",
        "a_part_1 = 2",
    ] {
        assert!(page.contains(needle), "{needle} missing: {page}");
    }
    assert!(
        !page.contains("id=\"run-draw\""),
        "no run form for anonymous"
    );
    // The announcement downloads as `bwcv draw run --announcement` reads it.
    let response = h.send(get("/draws/TV-2027/announcement.json", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let downloaded: DrawAnnouncement = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(downloaded.digest(), stored.announcement_sha256);
    // Before the run there is no record.
    let response = h.send(get("/draws/TV-2027/record.json", None)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Announcing the same year twice, or too close to the randomness.
    for fields in [
        vec![("year", "2027"), ("drand_at", drand_at.as_str())],
        vec![("year", "2028"), ("drand_round", "1000")],
        vec![("year", "2028")],
        vec![("year", "soon"), ("drand_round", "99999999999")],
        vec![("year", "2028"), ("drand_at", "tomorrow")],
        vec![
            ("year", "2028"),
            ("drand_round", "99999999999"),
            ("weights", "a=b"),
        ],
        vec![
            ("year", "2028"),
            ("draw_id", "../x"),
            ("drand_round", "99999999999"),
        ],
    ] {
        let mut fields = fields;
        fields.push(("justification", "x"));
        let response = h.post_form("/draws", &analyst, &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(text(response).await.contains("id=\"announce-error\""));
    }
    assert_eq!(h.store.list_draws().await.unwrap().len(), 1);
    let actions = audit_actions(&h).await;
    assert!(
        actions.iter().any(|a| a == "draw.announce success"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn only_the_secretariat_announces_or_runs_a_draw() {
    let h = harness().await;
    publish_2023(&h).await;
    for username in ["council-cyr", "arc-officer", "admin", "inspector"] {
        let client = h.login(username).await;
        let response = h
            .post_form(
                "/draws",
                &client,
                &[
                    ("year", "2029"),
                    ("drand_round", "99999999999"),
                    ("justification", "x"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{username}");
        let response = h
            .post_form(
                "/draws/TV-2024/run",
                &client,
                &[("beacon_1", ROUND_1000_SIGNATURE), ("justification", "x")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{username}");
        let (status, page) = h.get_html("/draws/TV-2024", &client).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("id=\"run-draw\""));
    }
    let anonymous = h
        .send(
            Request::post("/draws")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("year=2029"))
                .unwrap(),
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.store.list_draws().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_draw_runs_with_a_verified_beacon_and_its_record_verifies() {
    let h = harness().await;
    let announcement = publish_2023(&h).await;
    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html("/draws/TV-2024", &analyst).await;
    assert!(page.contains("id=\"run-draw\""), "{page}");
    // A genuine signature of another round, garbage, nothing: refused.
    for (beacon, needle) in [
        (ROUND_123_SIGNATURE, "pinned quicknet key"),
        ("zz", "not hex"),
        ("abcd", "48-byte"),
        ("{\"round\": 1001, \"signature\": \"ab\"}", "round 1001"),
        ("", "enter the value"),
    ] {
        let response = h
            .post_form(
                "/draws/TV-2024/run",
                &analyst,
                &[("beacon_1", beacon), ("justification", "the round is out")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{beacon}");
        let page = text(response).await;
        assert!(page.contains("id=\"run-error\""), "{page}");
        assert!(page.contains(needle), "{needle}: {page}");
    }
    assert!(
        h.store
            .get_draw("TV-2024")
            .await
            .unwrap()
            .unwrap()
            .result_json
            .is_none()
    );
    let ledger_before = h.store.ledger_size().await.unwrap();
    let response = h
        .post_form(
            "/draws/TV-2024/run",
            &analyst,
            &[
                ("beacon_1", ROUND_1000_SIGNATURE),
                ("justification", "the round is out"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.store.ledger_size().await.unwrap(), ledger_before + 1);
    let response = h.send(get("/draws/TV-2024", None)).await;
    let page = text(response).await;
    assert!(page.contains("id=\"verified\""), "{page}");
    assert!(page.contains("signature verified against the pinned quicknet public key"));
    assert!(page.contains("bwcv draw verify DRAW.json"));
    // record.json is the file `bwcv draw verify` checks, as `bwcv draw run`
    // writes it, and it re-verifies.
    let response = h.send(get("/draws/TV-2024/record.json", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let file = text(response).await;
    let record: DrawRecord = serde_json::from_str(&file).unwrap();
    assert!(draw::verify(&record).is_empty());
    assert_eq!(
        file,
        format!("{}\n", serde_json::to_string_pretty(&record).unwrap())
    );
    assert_eq!(record.announcement, announcement);
    let expected = draw::run(
        &announcement,
        &[draw::BeaconValue::Drand(drand::Beacon {
            round: 1000,
            signature: ROUND_1000_SIGNATURE.into(),
            randomness: None,
        })],
    )
    .unwrap();
    assert_eq!(record.result, expected.result);
    for pick in &record.result.picks {
        assert!(page.contains(pick.facility.as_str()));
    }
    // A draw runs once.
    let response = h
        .post_form(
            "/draws/TV-2024/run",
            &analyst,
            &[
                ("beacon_1", ROUND_1000_SIGNATURE),
                ("justification", "again"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // The list shows it as run.
    let page = text(h.send(get("/draws", None)).await).await;
    assert!(page.contains("TV-2024") && page.contains(">run<"), "{page}");
    for path in ["/draws/NOPE", "/draws/a%20b", "/draws/NOPE/record.json"] {
        let response = h.send(get(path, None)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

// ------------------------------------------------- calendar, notifications

#[tokio::test]
async fn the_calendar_shows_the_deadlines_of_visible_cases() {
    let h = harness().await;
    let filed_at = Utc::now() - Duration::hours(1);
    seed_filed(
        &h,
        "FI-2026-0010",
        CaseKind::FieldInvestigation,
        filed_at,
        Classification::Restricted,
    )
    .await;
    seed_filed(
        &h,
        "FI-2026-0011",
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::days(3),
        Classification::Restricted,
    )
    .await;
    let due = filed_at + Duration::hours(24);
    let month = due.format("%Y-%m").to_string();
    let cyr = h.login("council-cyr").await;
    let (status, page) = h.get_html(&format!("/calendar?month={month}"), &cyr).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"month-grid\""), "{page}");
    assert!(page.contains("FI-2026-0010"), "{page}");
    assert!(page.contains("council decision due"), "{page}");
    // The case filed three days ago is past its Council window: overdue.
    let overdue_month = (Utc::now() - Duration::days(2)).format("%Y-%m").to_string();
    let (_, page) = h
        .get_html(&format!("/calendar?month={overdue_month}&all=1"), &cyr)
        .await;
    assert!(page.contains("FI-2026-0011"), "{page}");
    assert!(page.contains("overdue"), "{page}");
    assert!(page.contains("investigation.field.council_decision_hours = 24 hours"));
    // A laboratory sees no case.
    let lab = h.login("lab").await;
    let (_, page) = h.get_html(&format!("/calendar?month={month}"), &lab).await;
    assert!(!page.contains("FI-2026-0010"));
    // iCalendar.
    let response = h.send(get("/calendar.ics", Some(&cyr.cookie))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    let ics = text(response).await;
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("FI-2026-0010"));
    // Bad months are a 400 with the page, never a 500.
    for bad in ["2026-13", "soon", "%00", "99999-01"] {
        let (status, page) = h.get_html(&format!("/calendar?month={bad}"), &cyr).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.contains("id=\"month-error\""));
    }
    let anonymous = h.send(get("/calendar", None)).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn notifications_count_mark_read_and_remind_of_deadlines() {
    let h = harness().await;
    seed_filed(
        &h,
        "FI-2026-0020",
        CaseKind::FieldInvestigation,
        Utc::now() - Duration::hours(2),
        Classification::Restricted,
    )
    .await;
    let cyr = h.login("council-cyr").await;
    // Reminder of the Council window (within the reminder period).
    let (status, page) = h.get_html("/notifications", &cyr).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"reminders\""), "{page}");
    assert!(page.contains("FI-2026-0020"), "{page}");
    assert!(page.contains("id=\"no-notifications\""));
    let (_, fragment) = h.get_html("/notifications/count", &cyr).await;
    assert!(!fragment.contains("unread-count"), "{fragment}");
    // Two stored notifications.
    let id = user_id(&h, "council-cyr").await;
    let other = user_id(&h, "council-dun").await;
    h.store
        .add_notifications(
            [(id, "first"), (id, "second"), (other, "not yours")]
                .into_iter()
                .map(|(user_id, text)| bwcv_store::cases::NewNotification {
                    user_id,
                    at: Utc::now(),
                    case_id: None,
                    text: text.into(),
                    link: "/council".into(),
                })
                .collect(),
        )
        .await
        .unwrap();
    let (_, fragment) = h.get_html("/notifications/count", &cyr).await;
    assert!(fragment.contains("id=\"unread-count\">2<"), "{fragment}");
    let (_, page) = h.get_html("/notifications", &cyr).await;
    assert!(page.contains("first") && page.contains("second"));
    assert!(!page.contains("not yours"));
    assert!(
        page.find("second").unwrap() < page.find("first").unwrap(),
        "newest first"
    );
    let newest = common::hidden(&page, "up_to_id").unwrap();
    // Bad input and a missing token are refused.
    for bad in ["", "x", "-1", "99999999999999999999"] {
        let response = h
            .post_form("/notifications/read", &cyr, &[("up_to_id", bad)])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let forged = Client {
        cookie: cyr.cookie.clone(),
        csrf: String::new(),
    };
    let response = h
        .post_form("/notifications/read", &forged, &[("up_to_id", &newest)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = h
        .post_form("/notifications/read", &cyr, &[("up_to_id", &newest)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, fragment) = h.get_html("/notifications/count", &cyr).await;
    assert!(!fragment.contains("unread-count"), "{fragment}");
    assert_eq!(h.store.count_unread_notifications(other).await.unwrap(), 1);
    let anonymous = h.send(get("/notifications/count", None)).await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    let fragment = text(anonymous).await;
    assert!(fragment.contains("href=\"/notifications\"") && !fragment.contains("unread-count"));
    let anonymous = h.send(get("/notifications", None)).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_navigation_links_the_new_pages() {
    let h = harness().await;
    let cyr = h.login("council-cyr").await;
    let (_, page) = h.get_html("/", &cyr).await;
    for link in [
        "href=\"/council\"",
        "href=\"/draws\"",
        "href=\"/calendar\"",
        "hx-get=\"/notifications/count\"",
    ] {
        assert!(page.contains(link), "{link}: {page}");
    }
}

#[tokio::test]
async fn the_demo_draw_is_published_run_and_verifies() {
    let h = harness().await;
    let world = bwcv_declare::demo::generate(7);
    bwcv_server::demo::seed_draw(&h.store, &world)
        .await
        .unwrap();
    let page = text(h.send(get("/draws/DEMO-2024", None)).await).await;
    assert!(page.contains("id=\"verified\""), "{page}");
    let file = text(h.send(get("/draws/DEMO-2024/record.json", None)).await).await;
    let record: DrawRecord = serde_json::from_str(&file).unwrap();
    assert!(draw::verify(&record).is_empty());
    assert!(!record.result.picks.is_empty());
    // The API lists it for scripts, anonymous requests included.
    let response = h.send(get("/api/v1/draws", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let listed = common::json(response).await;
    assert_eq!(listed["draws"][0]["draw_id"], "DEMO-2024");
    let from_api: DrawRecord =
        serde_json::from_value(listed["draws"][0]["record"].clone()).unwrap();
    assert_eq!(from_api, record);
}

#[tokio::test]
async fn the_demo_has_council_seats_and_a_request_before_the_council() {
    let (_dir, store, accounts) = demo_store().await;
    let seats: Vec<_> = accounts
        .iter()
        .filter(|a| a.role == Role::CouncilMember && a.state_party.is_some())
        .collect();
    assert_eq!(seats.len(), 3, "{accounts:?}");
    let cases = store
        .list_cases(bwcv_store::CaseFilter::default())
        .await
        .unwrap();
    let request = cases
        .iter()
        .find(|c| c.kind == "field_investigation")
        .unwrap();
    assert_eq!(request.state, "filed");
    let entries = store.case_entries(&request.case_id).await.unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.kind == CaseEntryKind::Vote)
            .count(),
        1
    );
    // A seat that has not voted votes through the page (Bearer token: no
    // CSRF token needed).
    let voter = store
        .find_user_by_username(&seats[2].username)
        .await
        .unwrap()
        .unwrap();
    store
        .create_api_token(bwcv_store::NewApiToken {
            token_hash: bwcv_server::auth::secret_hash("demo-council-token"),
            user_id: voter.id,
            name: "test".into(),
            created_at: Utc::now(),
            expires_at: None,
        })
        .await
        .unwrap();
    let app =
        bwcv_server::app(bwcv_server::AppState::new(store.clone(), common::config()).unwrap());
    let send = |request: Request<Body>| {
        let app = app.clone();
        async move { tower::ServiceExt::oneshot(app, request).await.unwrap() }
    };
    let page = text(
        send(
            Request::get(format!("/council/{}", request.case_id))
                .header(header::AUTHORIZATION, "Bearer demo-council-token")
                .body(Body::empty())
                .unwrap(),
        )
        .await,
    )
    .await;
    assert!(page.contains("id=\"cast-vote\""), "{page}");
    let response = send(
        Request::post(format!("/council/{}/vote", request.case_id))
            .header(header::AUTHORIZATION, "Bearer demo-council-token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("choice=against&justification=instructions"))
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        store.case_entries(&request.case_id).await.unwrap().len(),
        entries.len() + 1
    );
}
