//! Regression tests of the case portal's review findings: a Council
//! decision only from the stored votes, the ledger binding each case entry's
//! body (`case-event/v2`), parameter sets stored with another layout, and
//! draw writes decided by the access rules.

mod common;

use axum::http::StatusCode;
use bwcv_cases::council::{Basis, Outcome, Tally};
use bwcv_store::{CaseStore, Store};
use common::*;
use serde_json::{Value, json};

fn investigation() -> Value {
    investigation_request("field", "restricted")
}

/// A tally nobody voted for: the request goes ahead by a majority.
fn typed_in_tally() -> Value {
    serde_json::to_value(Tally {
        outcome: Outcome::Proceeds,
        basis: Basis::MajorityFor,
        votes_for: 15,
        votes_against: 0,
        abstentions: 0,
        voting_members: 15,
        quorum_members: 15,
        present: 15,
        quorum_needed: 10,
        quorum_reached: true,
        majority_threshold: 7.5,
        closed: true,
    })
    .unwrap()
}

/// A field investigation filed by ARC against BOR; returns its id.
async fn filed_investigation(h: &Harness, arc: &str) -> String {
    let (status, opened) = api(h, arc, "POST", "/api/v1/cases", Some(investigation())).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();
    let (status, body) = api(
        h,
        arc,
        "POST",
        &format!("/api/v1/cases/{case_id}/steps"),
        Some(json!({"transition": {"step": "file"}, "expected_sequence": 1, "justification": "filing the request"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "filed");
    case_id
}

#[tokio::test]
async fn a_council_decision_is_refused_on_the_generic_step_paths() {
    let h = Harness::new().await;
    let arc = h.api_token(&h.login("arc-officer").await).await;
    let analyst_client = h.login("analyst").await;
    let analyst = h.api_token(&analyst_client).await;
    let case_id = filed_investigation(&h, &arc).await;
    let ledger_before = h.store.ledger_size().await.unwrap();

    // The API: a well-formed tally typed in by an analyst is refused.
    let (status, body) = api(
        &h,
        &analyst,
        "POST",
        &format!("/api/v1/cases/{case_id}/steps"),
        Some(json!({
            "transition": {"step": "council_decision", "tally": typed_in_tally()},
            "expected_sequence": 2,
            "justification": "the Council decided"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["problems"][0]["rule"], "case.council_decision",
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("Council page"),
        "{body}"
    );

    // The page: the step is not offered, and posting it anyway is refused.
    let (status, page) = h
        .get_html(&format!("/cases/{case_id}"), &analyst_client)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("value=\"council_decision\""), "{page}");
    let response = h
        .post_form(
            &format!("/cases/{case_id}/steps"),
            &analyst_client,
            &[
                ("step", "council_decision"),
                ("sequence", "2"),
                ("data", &typed_in_tally().to_string()),
                ("justification", "the Council decided"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = text(response).await;
    assert!(page.contains("Council page"), "{page}");

    // Nothing was recorded.
    let record = h.store.get_case(&case_id).await.unwrap().unwrap();
    assert_eq!(record.state, "filed");
    assert_eq!(record.n_records, 2);
    assert_eq!(h.store.case_entries(&case_id).await.unwrap().len(), 2);
    assert_eq!(h.store.ledger_size().await.unwrap(), ledger_before);
}

#[tokio::test]
async fn every_case_vote_decision_and_draw_write_is_bound_by_a_case_event_v2_entry() {
    let (_dir, store, _accounts) = demo_store().await;
    let cases = store
        .list_cases(bwcv_store::CaseFilter::default())
        .await
        .unwrap();
    assert!(!cases.is_empty());
    let mut kinds = std::collections::BTreeSet::new();
    for case in &cases {
        let check = bwcv_server::case_ledger::verify_case_ledger(&store, &case.case_id)
            .await
            .unwrap()
            .unwrap();
        assert!(check.is_ok(), "{check:?}");
        assert_eq!(
            (check.checked, check.unbound),
            (case.n_records, 0),
            "{check:?}"
        );
        for entry in store.case_entries(&case.case_id).await.unwrap() {
            let stored = store
                .ledger_entry(entry.ledger_index)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.kind, "case-event/v2");
            let bwcv_ledger::entry::Entry::CaseEventV2(body) =
                bwcv_ledger::entry::Entry::decode(&stored.body).unwrap()
            else {
                panic!("not v2");
            };
            // One convention: no digest squeezed into the step.
            assert!(!body.step.contains(':'), "{}", body.step);
            kinds.insert(body.entry_kind);
        }
    }
    assert!(
        kinds.contains(&bwcv_ledger::entry::CaseEntryKind::Vote),
        "{kinds:?}"
    );
    // The demo keeps the texts of its requests (report entries) and of
    // its reply (a comment entry), beside the events naming their digests.
    for kind in [
        bwcv_ledger::entry::CaseEntryKind::Report,
        bwcv_ledger::entry::CaseEntryKind::Comment,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
    let draws = store.list_draws().await.unwrap();
    assert!(draws.iter().any(|d| d.result_json.is_some()));
    for draw in draws {
        let check = bwcv_server::case_ledger::verify_draw_ledger(&store, &draw.draw_id)
            .await
            .unwrap()
            .unwrap();
        assert!(check.is_ok(), "{check:?}");
        assert_eq!(
            check.checked,
            1 + u32::from(draw.result_json.is_some()),
            "{check:?}"
        );
    }
    assert!(
        bwcv_server::case_ledger::verify_case_ledger(&store, "CL-1999-0001")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_stored_entry_the_ledger_does_not_bind_is_reported() {
    let h = Harness::new().await;
    let arc = h.api_token(&h.login("arc-officer").await).await;
    let case_id = filed_investigation(&h, &arc).await;
    let record = h.store.get_case(&case_id).await.unwrap().unwrap();
    let officer = h
        .store
        .find_user_by_username("arc-officer")
        .await
        .unwrap()
        .unwrap();
    // A comment whose ledger entry binds another body.
    let body = r#"{"text":"our comments"}"#.to_owned();
    let at = chrono::Utc::now();
    let ledger = bwcv_server::draws::case_event_entry(
        &case_id,
        bwcv_server::draws::LedgerEntryKind::Comment,
        "append_comments",
        r#"{"text":"other comments"}"#,
        "filed",
        "filed",
        "arc-officer",
        "comments",
        at,
    );
    h.store
        .append_case_entry(
            bwcv_store::NewCaseEntry {
                case_id: case_id.clone(),
                sequence: record.n_records,
                kind: bwcv_store::CaseEntryKind::Comment,
                at,
                actor: officer.id,
                body_sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes())),
                body_json: body,
                state_after: record.state.clone(),
                next_deadline: record.next_deadline,
                next_deadline_label: record.next_deadline_label.clone(),
            },
            ledger,
            bwcv_store::NewAuditRecord {
                at,
                actor: Some(officer.id),
                actor_role: Some(officer.role),
                action: "case.test".into(),
                object_kind: "case".into(),
                object_id: None,
                classification: bwcv_core::Classification::Restricted,
                justification: "test fixture".into(),
                outcome: bwcv_store::AuditOutcome::Success,
                detail: Value::Null,
            },
        )
        .await
        .unwrap();
    let check = bwcv_server::case_ledger::verify_case_ledger(&h.store, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.checked, 2, "{check:?}");
    assert_eq!(check.problems.len(), 1, "{check:?}");
    assert_eq!(check.problems[0].entry, "entry 2");
    assert!(
        check.problems[0]
            .reason
            .contains("the ledger binds body SHA-256"),
        "{check:?}"
    );
}

#[tokio::test]
async fn a_parameter_set_stored_with_another_layout_does_not_break_opening_cases() {
    let h = Harness::new().await;
    let params = bwcv_core::params::ParameterSet::builtin();
    // As an earlier bwcv stored it: same canonical content, other layout.
    let older = format!(
        "# parameter set as shipped by an earlier build\n\n{}\n# end\n",
        bwcv_core::params::ParameterSet::builtin_source()
    );
    assert_ne!(older, bwcv_core::params::ParameterSet::builtin_source());
    assert_eq!(
        bwcv_core::params::ParameterSet::from_toml_str(&older)
            .unwrap()
            .digest(),
        params.digest()
    );
    h.store
        .put_parameter_set(&params.digest(), params.version(), &older)
        .await
        .unwrap();
    let arc = h.api_token(&h.login("arc-officer").await).await;
    // Opening (and stepping) a case works; the stored text is left as it was.
    let case_id = filed_investigation(&h, &arc).await;
    let (status, body) = api(
        &h,
        &arc,
        "GET",
        &format!("/api/v1/cases/{case_id}?justification=review"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, kept) = h
        .store
        .get_parameter_set(&params.digest())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, older);
}

#[tokio::test]
async fn draws_are_announced_and_run_by_secretariat_analysts_only_as_the_access_rules_decide() {
    let h = Harness::new().await;
    let analyst = h.login("analyst").await;
    let (status, page) = h.get_html("/draws", &analyst).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Announce a draw"), "{page}");
    for username in ["arc-officer", "inspector", "lab", "council", "admin"] {
        let client = h.login(username).await;
        let (status, page) = h.get_html("/draws", &client).await;
        assert_eq!(status, StatusCode::OK, "{username}");
        assert!(!page.contains("Announce a draw"), "{username}");
        let response = h
            .post_form(
                "/draws",
                &client,
                &[("draw_id", "TV-2027"), ("justification", "yearly draw")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{username}");
        let response = h
            .post_form(
                "/draws/TV-2027/run",
                &client,
                &[("justification", "the beacon is out")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{username}");
    }
    assert!(h.store.list_draws().await.unwrap().is_empty());
}

fn sha256_hex(text: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
}

#[tokio::test]
async fn document_texts_are_kept_with_the_case_for_those_who_may_see_it() {
    let h = Harness::new().await;
    submitted(&h, "bor-officer", "BOR", 2025, "restricted").await;
    let arc = h.api_token(&h.login("arc-officer").await).await;
    let bor = h.api_token(&h.login("bor-officer").await).await;
    let analyst_client = h.login("analyst").await;
    let analyst = h.api_token(&analyst_client).await;
    let (status, opened) = api(
        &h,
        &arc,
        "POST",
        "/api/v1/cases",
        Some(clarification(
            "Form B reports no outbreak, the WHO reported one.",
            "restricted",
            "consistency of the 2025 returns",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();

    // The page: the written request's text is kept beside its digest.
    let request = "Please explain <b>Form B</b> & the outbreak of 2025-03.";
    let response = h
        .post_form(
            &format!("/cases/{case_id}/steps"),
            &analyst_client,
            &[
                ("step", "send_request"),
                ("sequence", "1"),
                ("document", request),
                ("justification", "sending the written request"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let escaped = "Please explain &#60;b&#62;Form B&#60;/b&#62; &#38; the outbreak of 2025-03.";

    // The API: a reply whose text is not the one its digest names is
    // refused; the right one is kept as the State Party's comment.
    let steps = format!("/api/v1/cases/{case_id}/steps");
    let reply = "The outbreak was natural; see the attached report.";
    let (status, body) = api(
        &h,
        &bor,
        "POST",
        &steps,
        Some(json!({
            "transition": {"step": "record_reply", "reply_sha256": sha256_hex("another text")},
            "expected_sequence": 3,
            "justification": "our reply",
            "document": reply
        })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["problems"][0]["path"], "/document", "{body}");
    let (status, body) = api(
        &h,
        &bor,
        "POST",
        &steps,
        Some(json!({
            "transition": {"step": "record_reply", "reply_sha256": sha256_hex(reply)},
            "expected_sequence": 3,
            "justification": "our reply",
            "document": reply
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reply_received");

    // The parties and the analyst read both texts; the digests match the events.
    for (username, token) in [
        ("arc-officer", &arc),
        ("bor-officer", &bor),
        ("analyst", &analyst),
    ] {
        let client = h.login(username).await;
        let (status, page) = h.get_html(&format!("/cases/{case_id}"), &client).await;
        assert_eq!(status, StatusCode::OK, "{username}");
        assert!(
            page.contains(&format!("<pre class=\"document\">{escaped}</pre>")),
            "{username}: {page}"
        );
        assert!(!page.contains("<b>Form B</b>"), "{username}: unescaped");
        assert!(page.contains(reply), "{username}");
        let (status, detail) = api(
            &h,
            token,
            "GET",
            &format!("/api/v1/cases/{case_id}?justification=review"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{username}: {detail}");
        let entries = detail["entries"].as_array().unwrap();
        let kinds: Vec<&str> = entries
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["event", "event", "report", "event", "comment"],
            "{username}"
        );
        for (document, event, text, field) in [
            (&entries[2], &entries[1], request, "request_sha256"),
            (&entries[4], &entries[3], reply, "reply_sha256"),
        ] {
            assert_eq!(document["body"]["text"], text);
            assert_eq!(document["body"]["sha256"], sha256_hex(text));
            assert_eq!(document["body"]["event_sequence"], event["sequence"]);
            assert_eq!(
                event["body"]["change"]["transition"][field],
                sha256_hex(text),
                "{event}"
            );
        }
    }
    // Nobody else does.
    for username in ["inspector", "lab", "council", "admin"] {
        let client = h.login(username).await;
        let (status, page) = h.get_html(&format!("/cases/{case_id}"), &client).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{username}");
        assert!(!page.contains("Form B"), "{username}");
    }
    // The kept texts are bound by the ledger like every entry.
    let check = bwcv_server::case_ledger::verify_case_ledger(&h.store, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert!(check.is_ok() && check.checked == 5, "{check:?}");
}
