//! The case routes through `app().oneshot(...)`: the list per role, raising
//! a clarification request from a declaration, the case page and its steps
//! (illegal, unpermitted, unjustified and stale steps refused; every step on
//! the ledger and in the audit log), and the JSON API.

mod common;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use bwcv_cases::case::{Case, CaseEvent};
use bwcv_store::{AuditFilter, CaseEntryKind, CaseStore, Store};
use common::*;
use serde_json::{Value, json};

/// A submitted return of `code` for `year`; returns its id.
fn location(response: &Response<Body>) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn case_id_of(location: &str) -> String {
    location
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn ledger_size(h: &Harness) -> u64 {
    h.store.ledger_size().await.unwrap()
}

async fn audits(h: &Harness, action: &str) -> Vec<bwcv_store::AuditRecord> {
    h.store
        .list_audit(AuditFilter {
            action: Some(action.into()),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

async fn step(
    h: &Harness,
    client: &Client,
    case_id: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = h
        .post_form(&format!("/cases/{case_id}/steps"), client, fields)
        .await;
    let status = response.status();
    let body = if status == StatusCode::SEE_OTHER {
        location(&response)
    } else {
        text(response).await
    };
    (status, body)
}

async fn n_records(h: &Harness, case_id: &str) -> String {
    h.store
        .get_case(case_id)
        .await
        .unwrap()
        .unwrap()
        .n_records
        .to_string()
}

fn raise_fields(justification: &str) -> Vec<(&str, &str)> {
    vec![
        ("state_party", "BOR"),
        ("year", "2025"),
        ("form", "a_part_1"),
        ("json_path", "$.forms.a_part_1.maximum_containment[0].name"),
        ("concern", "omission"),
        (
            "description",
            "Form 0 declares nothing for A part 1, yet BOR reported a BSL-4 laboratory in 2024.",
        ),
        ("classification", "restricted"),
        ("justification", justification),
    ]
}

#[tokio::test]
async fn a_clarification_from_filing_to_closure_over_the_pages() {
    let h = Harness::new().await;
    let declaration = submitted(&h, "bor-officer", "BOR", 2025, "restricted").await;
    let arc = h.login("arc-officer").await;

    // The declaration page links to a prefilled request.
    let (status, page) = h
        .get_html(&format!("/declarations/{declaration}"), &arc)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"raise-clarification\""), "{page}");
    let (status, form) = h
        .get_html(
            &format!(
                "/cases/new?declaration={declaration}&state_party=BOR&year=2025&form=a_part_1"
            ),
            &arc,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"BOR\""));
    assert!(form.contains("value=\"$.forms.a_part_1\""));
    assert!(form.contains("<label for=\"justification\">"));

    // Without a justification nothing is opened; the field says why.
    let before = ledger_size(&h).await;
    let response = h.post_form("/cases/new", &arc, &raise_fields("")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = text(response).await;
    assert!(page.contains("id=\"justification-error\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(ledger_size(&h).await, before);
    // A declaration that does not exist cannot be pointed at.
    let mut fields = raise_fields("checking the 2025 returns");
    fields[1] = ("year", "2019");
    let response = h.post_form("/cases/new", &arc, &fields).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("no submitted declaration"));

    // BOR does not raise a clarification of its own return.
    let bor = h.login("bor-officer").await;
    let response = h
        .post_form("/cases/new", &bor, &raise_fields("our own return"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(text(response).await.contains("not of its own"));

    // Raised.
    let response = h
        .post_form(
            "/cases/new",
            &arc,
            &raise_fields("BOR's Form A part 1 omits a laboratory declared before"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let case_id = case_id_of(&location(&response));
    assert!(case_id.starts_with("CL-"), "{case_id}");
    assert_eq!(ledger_size(&h).await, before + 1);
    assert_eq!(audits(&h, "case.open").await.len(), 1);
    let (status, page) = h.get_html(&format!("/cases/{case_id}"), &arc).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"case-state\">raised"));
    assert!(page.contains("$.forms.a_part_1.maximum_containment[0].name"));
    // The officer who raised it may only withdraw it.
    assert!(page.contains("id=\"step-withdraw\""));
    assert!(!page.contains("id=\"step-send_request\""));

    // Who sees it.
    for (user, sees) in [
        ("arc-officer", true),
        ("bor-officer", true),
        ("analyst", true),
        ("inspector", false),
        ("lab", false),
        ("council", false),
        ("admin", false),
    ] {
        let client = h.login(user).await;
        let (status, list) = h.get_html("/cases", &client).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(list.contains(&case_id), sees, "{user} list");
        let (status, _) = h.get_html(&format!("/cases/{case_id}"), &client).await;
        let want = if sees {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, want, "{user} page");
    }

    let analyst = h.login("analyst").await;
    let (_, page) = h.get_html(&format!("/cases/{case_id}"), &analyst).await;
    assert!(page.contains("id=\"step-send_request\""));
    assert!(page.contains("name=\"sequence\" value=\"1\""));

    // Refusals: another role's step, an illegal step, no justification,
    // a stale page. None changes the case or the ledger.
    let size = ledger_size(&h).await;
    let (status, page) = step(
        &h,
        &arc,
        &case_id,
        &[
            ("step", "send_request"),
            ("sequence", "1"),
            ("document", "x"),
            ("justification", "j"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("only the Secretariat does this"), "{page}");
    let (status, page) = step(
        &h,
        &analyst,
        &case_id,
        &[
            ("step", "close"),
            ("sequence", "1"),
            ("outcome", "nothing"),
            ("justification", "j"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("is not a legal step"), "{page}");
    let (status, page) = step(
        &h,
        &analyst,
        &case_id,
        &[
            ("step", "send_request"),
            ("sequence", "1"),
            ("document", "Please explain."),
            ("justification", "  "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Give a justification"), "{page}");
    // The refusal is tied to the field of the form it concerns.
    assert!(
        page.contains("justification-send_request-hint case-error\" aria-invalid=\"true\""),
        "{page}"
    );
    let (status, page) = step(
        &h,
        &analyst,
        &case_id,
        &[
            ("step", "send_request"),
            ("sequence", "0"),
            ("document", "Please explain."),
            ("justification", "j"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Someone changed this case"), "{page}");
    assert_eq!(ledger_size(&h).await, size);
    assert!(
        !audits(&h, "case.step").await.is_empty(),
        "denials are audited"
    );

    // The walk: request, reply, consultation, closure.
    let walk: Vec<(&Client, Vec<(&str, &str)>)> = vec![
        (
            &analyst,
            vec![
                ("step", "send_request"),
                ("document", "Please explain the omission in Form A part 1."),
                (
                    "justification",
                    "the omission is material to the CBM compilation",
                ),
            ],
        ),
        (
            &bor,
            vec![
                ("step", "record_reply"),
                ("document", "The laboratory was decommissioned in 2024."),
                ("justification", "our reply to the written request"),
            ],
        ),
        (
            &analyst,
            vec![
                ("step", "schedule_consultation"),
                ("meeting_at", "2099-01-15T10:00"),
                (
                    "justification",
                    "the reply leaves the decommissioning date open",
                ),
            ],
        ),
        (
            &analyst,
            vec![
                ("step", "hold_consultation"),
                ("document", "Minutes: decommissioning certificate shown."),
                (
                    "justification",
                    "meeting held with BOR's national authority",
                ),
            ],
        ),
        (
            &analyst,
            vec![
                ("step", "close"),
                (
                    "outcome",
                    "BOR showed the decommissioning certificate of 2024-03-01; the 2025 return is consistent with it.",
                ),
                ("justification", "the consultation resolved the question"),
            ],
        ),
    ];
    for (client, fields) in walk {
        let sequence = n_records(&h, &case_id).await;
        let mut all = fields.clone();
        all.push(("sequence", &sequence));
        let size = ledger_size(&h).await;
        let (status, body) = step(&h, client, &case_id, &all).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{fields:?}: {body}");
        assert!(body.contains("message=step"));
        // A step that records a document's digest keeps its text too: a
        // second entry, on the ledger as well.
        let documents = fields
            .iter()
            .filter(|(name, _)| *name == "document")
            .count() as u64;
        assert_eq!(ledger_size(&h).await, size + 1 + documents, "{fields:?}");
    }

    // The requesting State Party sees the closed case with its timeline.
    let (status, page) = h.get_html(&format!("/cases/{case_id}"), &arc).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"case-state\">closed"));
    assert!(page.contains("decommissioning certificate of 2024-03-01"));
    assert!(page.contains("our reply to the written request"));
    assert!(page.contains("The case is finished"));
    let (_, open_list) = h.get_html("/cases?open=1", &arc).await;
    assert!(!open_list.contains(&case_id));

    // The history replays; every event is on the ledger as case-event/v2,
    // which binds the stored body.
    let entries = h.store.case_entries(&case_id).await.unwrap();
    // Six events and the texts of the request, the reply and the minutes.
    assert_eq!(entries.len(), 9);
    let events: Vec<CaseEvent> = entries
        .iter()
        .filter(|e| e.kind == CaseEntryKind::Event)
        .map(|e| serde_json::from_str(&e.body_json).unwrap())
        .collect();
    let builtin = bwcv_core::params::ParameterSet::builtin();
    let case = Case::replay(&events, &|digest: &str| {
        (digest == builtin.digest()).then(|| builtin.clone())
    })
    .unwrap();
    assert_eq!(case.state.as_str(), "closed");
    for entry in &entries {
        let stored = h
            .store
            .ledger_entries(entry.ledger_index, entry.ledger_index + 1)
            .await
            .unwrap();
        let decoded = bwcv_ledger::entry::Entry::decode(&stored[0].body).unwrap();
        let bwcv_ledger::entry::Entry::CaseEventV2(body) = decoded else {
            panic!("not a case-event/v2 entry");
        };
        assert_eq!(body.case_id, case_id);
        assert_eq!(body.body_sha256.to_hex(), entry.body_sha256);
    }
    assert_eq!(audits(&h, "case.step").await.len(), 4 + 5);

    // The officers concerned were notified.
    let arc_user = h
        .store
        .find_user_by_username("arc-officer")
        .await
        .unwrap()
        .unwrap();
    let notes = h
        .store
        .list_notifications(arc_user.id, false, 100)
        .await
        .unwrap();
    assert!(notes.len() >= 5, "{notes:?}");
    assert!(notes.iter().all(|n| n.link == format!("/cases/{case_id}")));
}

#[tokio::test]
async fn the_api_opens_reads_and_steps_with_field_paths() {
    let h = Harness::new().await;
    submitted(&h, "bor-officer", "BOR", 2025, "restricted").await;
    let mut tokens = std::collections::BTreeMap::new();
    for user in ["arc-officer", "bor-officer", "analyst", "inspector", "lab"] {
        let client = h.login(user).await;
        tokens.insert(user, h.api_token(&client).await);
    }
    let analyst = &tokens["analyst"];

    // Bad requests name the field.
    let (status, body) = api(&h, analyst, "POST", "/api/v1/cases", Some(json!("x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["problems"][0]["path"], "");
    let mut unknown = clarification("d", "restricted", "j");
    unknown["kind"] = json!("tribunal");
    let (status, body) = api(&h, analyst, "POST", "/api/v1/cases", Some(unknown)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["problems"][0]["path"], "/kind");
    let mut bad_path = clarification("d", "restricted", "j");
    bad_path["subject"]["json_path"] = json!("forms.b");
    let (status, body) = api(&h, analyst, "POST", "/api/v1/cases", Some(bad_path)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["problems"][0]["path"], "/subject");
    let (status, body) = api(
        &h,
        analyst,
        "POST",
        "/api/v1/cases",
        Some(clarification("d", "restricted", "")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "justification_required");
    for user in ["inspector", "lab"] {
        let (status, _) = api(
            &h,
            &tokens[user],
            "POST",
            "/api/v1/cases",
            Some(clarification("d", "restricted", "j")),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }

    // A Protected clarification raised by the Secretariat.
    let size = ledger_size(&h).await;
    let (status, opened) = api(
        &h,
        analyst,
        "POST",
        "/api/v1/cases",
        Some(clarification(
            "The Form B outbreak count differs from the WHO report",
            "protected",
            "consistency check of the 2025 returns",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();
    assert_eq!(opened["state"], "raised");
    assert_eq!(opened["entries"][0]["ledger_index"], json!(size));
    assert_eq!(opened["next_steps"], json!(["send_request", "withdraw"]));
    assert_eq!(ledger_size(&h).await, size + 1);

    // Reading it needs a justification and is audited.
    let path = format!("/api/v1/cases/{case_id}");
    let (status, body) = api(&h, analyst, "GET", &path, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "justification_required");
    let (status, body) = api(
        &h,
        analyst,
        "GET",
        &format!("{path}?justification=preparing+the+request"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entries"].as_array().unwrap().len(), 1);
    let reads = audits(&h, "case.read").await;
    assert!(
        reads
            .iter()
            .any(|r| r.justification == "preparing the request"
                && r.object_id.as_deref() == Some(case_id.as_str()))
    );
    // Listing a Protected case is audited too.
    let response = h
        .send(
            Request::get("/api/v1/cases")
                .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
                .header("x-justification", "weekly case review")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        audits(&h, "case.list")
            .await
            .iter()
            .any(|r| r.justification == "weekly case review")
    );
    // The inspected State Party sees it; ARC (not concerned) does not.
    let (status, list) = api(&h, &tokens["bor-officer"], "GET", "/api/v1/cases", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, list) = api(&h, &tokens["arc-officer"], "GET", "/api/v1/cases", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.as_array().unwrap().is_empty());
    let (status, _) = api(
        &h,
        &tokens["arc-officer"],
        "GET",
        &format!("{path}?justification=x"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Steps.
    let steps = format!("{path}/steps");
    let send = json!({"step": "send_request", "request_sha256": "ab".repeat(32)});
    for (body, want, field) in [
        (
            json!({"transition": send, "expected_sequence": 0, "justification": "j"}),
            StatusCode::CONFLICT,
            None,
        ),
        (
            json!({"transition": {"step": "close", "outcome": "x"}, "expected_sequence": 1, "justification": "j"}),
            StatusCode::BAD_REQUEST,
            Some("/transition/step"),
        ),
        (
            json!({"transition": {"step": "fly"}, "expected_sequence": 1, "justification": "j"}),
            StatusCode::BAD_REQUEST,
            Some("/transition"),
        ),
        (
            json!({"transition": {"step": "send_request", "request_sha256": "zz"}, "expected_sequence": 1, "justification": "j"}),
            StatusCode::BAD_REQUEST,
            Some("/transition/request_sha256"),
        ),
        (
            json!({"transition": send, "expected_sequence": 1}),
            StatusCode::BAD_REQUEST,
            Some("justification"),
        ),
        (
            json!({"transition": send}),
            StatusCode::BAD_REQUEST,
            Some(""),
        ),
    ] {
        let (status, response) = api(&h, analyst, "POST", &steps, Some(body.clone())).await;
        assert_eq!(status, want, "{body}: {response}");
        if let Some(field) = field {
            assert_eq!(response["problems"][0]["path"], field, "{body}: {response}");
        }
    }
    let (status, _) = api(
        &h,
        &tokens["bor-officer"],
        "POST",
        &steps,
        Some(json!({"transition": send, "expected_sequence": 1, "justification": "j"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = api(
        &h,
        analyst,
        "POST",
        &steps,
        Some(json!({"transition": send, "expected_sequence": 1, "justification": "sending the written request"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "awaiting_reply");
    assert_eq!(
        body["deadlines"][0]["parameter"],
        "clarification.request_reply_days"
    );
    assert_eq!(body["next_deadline_label"], "reply due");
    let (status, body) = api(
        &h,
        &tokens["bor-officer"],
        "POST",
        &steps,
        Some(json!({"transition": {"step": "record_reply", "reply_sha256": "cd".repeat(32)}, "expected_sequence": 2, "justification": "our reply"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reply_received");
    assert_eq!(body["entries"].as_array().unwrap().len(), 3);

    // Ids that are not case ids, and cases that do not exist.
    let (status, body) = api(&h, analyst, "GET", "/api/v1/cases/1", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["problems"][0]["path"], "id");
    let (status, _) = api(&h, analyst, "GET", "/api/v1/cases/CL-2000-9999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api(&h, analyst, "GET", "/api/v1/cases?kind=nope", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, list) = api(
        &h,
        analyst,
        "GET",
        "/api/v1/cases?kind=clarification&state=reply_received&state_party=BOR&open=1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

fn investigation(kind: &str) -> Value {
    investigation_request(kind, "protected")
}

#[tokio::test]
async fn investigations_are_drafts_of_the_requester_until_filed() {
    let h = Harness::new().await;
    let mut tokens = std::collections::BTreeMap::new();
    for user in [
        "arc-officer",
        "bor-officer",
        "analyst",
        "inspector",
        "lab",
        "council",
    ] {
        let client = h.login(user).await;
        tokens.insert(user, h.api_token(&client).await);
    }
    let (status, opened) = api(
        &h,
        &tokens["arc-officer"],
        "POST",
        "/api/v1/cases",
        Some(investigation("field")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();
    assert!(case_id.starts_with("FI-"));
    let path = format!("/api/v1/cases/{case_id}?justification=review");
    let sees = |who: &'static str| {
        let token = tokens[who].clone();
        let path = path.clone();
        let h = &h;
        async move { api(h, &token, "GET", &path, None).await.0 }
    };
    for user in ["bor-officer", "analyst", "inspector", "lab", "council"] {
        assert_eq!(sees(user).await, StatusCode::NOT_FOUND, "{user} (draft)");
    }
    assert_eq!(sees("arc-officer").await, StatusCode::OK);
    let (status, body) = api(
        &h,
        &tokens["arc-officer"],
        "POST",
        &format!("/api/v1/cases/{case_id}/steps"),
        Some(json!({"transition": {"step": "file"}, "expected_sequence": 1, "justification": "filing the request"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "filed");
    for (user, want) in [
        ("arc-officer", StatusCode::OK),
        ("bor-officer", StatusCode::OK),
        ("analyst", StatusCode::OK),
        ("inspector", StatusCode::OK),
        ("council", StatusCode::OK),
        ("lab", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(sees(user).await, want, "{user} (filed)");
    }
    // An incomplete request cannot be filed: every missing field is named.
    let mut incomplete = investigation("facility");
    incomplete["subject"]["alleged_facts"] = json!("");
    let (status, opened) = api(
        &h,
        &tokens["arc-officer"],
        "POST",
        "/api/v1/cases",
        Some(incomplete),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let (status, body) = api(
        &h,
        &tokens["arc-officer"],
        "POST",
        &format!("/api/v1/cases/{}/steps", opened["case_id"].as_str().unwrap()),
        Some(json!({"transition": {"step": "file"}, "expected_sequence": 1, "justification": "filing"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let paths: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/subject/alleged_facts"), "{paths:?}");
    assert!(paths.contains(&"/subject/facility"), "{paths:?}");
}

#[tokio::test]
async fn hostile_case_input_is_a_4xx_never_a_500() {
    let h = Harness::new().await;
    submitted(&h, "bor-officer", "BOR", 2025, "restricted").await;
    let analyst = h.login("analyst").await;
    let token = h.api_token(&analyst).await;
    let response = h
        .post_form("/cases/new", &analyst, &raise_fields("checking"))
        .await;
    let case_id = case_id_of(&location(&response));
    let long = "x".repeat(30_000);
    let nul = "a\0b";
    for fields in [
        vec![("step", nul), ("sequence", "1"), ("justification", "j")],
        vec![
            ("step", "send_request"),
            ("sequence", "-1"),
            ("justification", "j"),
        ],
        vec![
            ("step", "send_request"),
            ("sequence", "99999999999"),
            ("justification", "j"),
        ],
        vec![
            ("step", "schedule_consultation"),
            ("sequence", "1"),
            ("meeting_at", "yesterday"),
            ("justification", "j"),
        ],
        vec![
            ("step", "appoint_team"),
            ("sequence", "1"),
            ("data", "{\"members\": 5}"),
            ("justification", "j"),
        ],
        vec![
            ("step", "close"),
            ("sequence", "1"),
            ("outcome", nul),
            ("justification", nul),
        ],
    ] {
        let (status, body) = step(&h, &analyst, &case_id, &fields).await;
        assert!(status.is_client_error(), "{fields:?}: {status} {body}");
    }
    // Overlong text is clipped, not a failure.
    let sequence = n_records(&h, &case_id).await;
    let (status, _) = step(
        &h,
        &analyst,
        &case_id,
        &[
            ("step", "send_request"),
            ("sequence", &sequence),
            ("document", &long),
            ("justification", &long),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for fields in [
        vec![("state_party", "bor"), ("year", "20x5")],
        vec![
            ("state_party", nul),
            ("year", "-1"),
            ("form", nul),
            ("json_path", nul),
            ("concern", nul),
            ("description", nul),
            ("classification", "highly_protected"),
            ("justification", nul),
        ],
        vec![
            ("state_party", &long),
            ("year", "99999999999999"),
            ("json_path", &long),
            ("description", &long),
            ("justification", &long),
        ],
    ] {
        let response = h.post_form("/cases/new", &analyst, &fields).await;
        assert!(
            response.status().is_client_error(),
            "{fields:?}: {}",
            response.status()
        );
    }
    for path in [
        "/cases/..%2F..%2Fetc",
        "/cases/CL-2026-0001%00",
        "/cases/%E2%80%AE",
        "/cases?kind=%00&state=x&state_party=toolong",
        "/cases/new?state_party=%00&year=%FF&form=%3Cscript%3E&path=%22",
    ] {
        let (status, _) = h.get_html(path, &analyst).await;
        assert!(!status.is_server_error(), "{path}: {status}");
    }
    for (path, body) in [
        ("/api/v1/cases", "{\"kind\": 5}".to_owned()),
        ("/api/v1/cases", "[]".to_owned()),
        ("/api/v1/cases", format!("{{\"kind\": \"clarification\", \"subject\": {{\"subject\": \"declaration\", \"state_party\": \"{long}\"}}}}")),
        (&format!("/api/v1/cases/{case_id}/steps"), "{\"transition\": {\"step\": \"schedule_consultation\", \"meeting_at\": \"not a time\"}, \"expected_sequence\": 1, \"justification\": \"j\"}".to_owned()),
        (&format!("/api/v1/cases/{case_id}/steps"), "{\"transition\": {\"step\": \"send_request\", \"request_sha256\": \"aa\"}, \"expected_sequence\": 4294967296, \"justification\": \"j\"}".to_owned()),
        ("/api/v1/cases/CL-2026-0001/steps", "\u{0}".to_owned()),
    ] {
        let response = h
            .send(
                Request::post(path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.clone()))
                    .unwrap(),
            )
            .await;
        let status = response.status();
        assert!(status.is_client_error(), "{path} {body}: {status}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with("application/json"));
    }
    // Anonymous: the pages send to the login, the API answers 401.
    let response = h.send(get("/cases", None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = h.send(get("/api/v1/cases", None)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_demo_has_a_clarification_in_progress_one_closed_and_one_overdue() {
    let (_dir, store, _accounts) = demo_store().await;
    let cases = store
        .list_cases(bwcv_store::CaseFilter::default())
        .await
        .unwrap();
    let clarifications: Vec<_> = cases.iter().filter(|c| c.kind == "clarification").collect();
    assert_eq!(clarifications.len(), 3, "{cases:?}");
    let now = chrono::Utc::now();
    let states: Vec<(&str, bool)> = clarifications
        .iter()
        .map(|c| (c.state.as_str(), c.next_deadline.is_some_and(|t| t < now)))
        .collect();
    assert!(states.contains(&("awaiting_reply", false)), "{states:?}");
    assert!(states.contains(&("awaiting_reply", true)), "{states:?}");
    assert!(states.contains(&("closed", false)), "{states:?}");
    for case in clarifications {
        let entries = store.case_entries(&case.case_id).await.unwrap();
        assert_eq!(entries.len() as u32, case.n_records);
    }
}

#[tokio::test]
async fn inspectors_see_a_clarification_once_a_visit_is_proposed() {
    let h = Harness::new().await;
    submitted(&h, "bor-officer", "BOR", 2025, "restricted").await;
    let mut tokens = std::collections::BTreeMap::new();
    for user in ["bor-officer", "analyst", "inspector", "council"] {
        let client = h.login(user).await;
        tokens.insert(user, h.api_token(&client).await);
    }
    let (status, opened) = api(
        &h,
        &tokens["analyst"],
        "POST",
        "/api/v1/cases",
        Some(clarification(
            "Form B count",
            "restricted",
            "consistency check",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/cases/{case_id}");
    let steps = format!("{path}/steps");
    let digest = "ab".repeat(32);
    let walk = [
        (
            "analyst",
            json!({"step": "send_request", "request_sha256": digest}),
        ),
        (
            "bor-officer",
            json!({"step": "record_reply", "reply_sha256": digest}),
        ),
        (
            "analyst",
            json!({"step": "schedule_consultation", "meeting_at": "2099-01-01T10:00:00Z"}),
        ),
        (
            "analyst",
            json!({"step": "hold_consultation", "minutes_sha256": digest}),
        ),
        ("analyst", json!({"step": "propose_visit"})),
    ];
    for (sequence, (user, transition)) in (1u32..).zip(walk) {
        for who in ["inspector", "council"] {
            let (status, _) = api(&h, &tokens[who], "GET", &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who} before {transition}");
        }
        let (status, body) = api(
            &h,
            &tokens[user],
            "POST",
            &steps,
            Some(json!({"transition": transition, "expected_sequence": sequence, "justification": "next step"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{transition}: {body}");
    }
    let (status, body) = api(&h, &tokens["inspector"], "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "visit_proposed");
    // An inspector has no step before the team is appointed.
    assert_eq!(body["next_steps"], json!([]));
    let (status, list) = api(&h, &tokens["inspector"], "GET", "/api/v1/cases", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = api(&h, &tokens["council"], "GET", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
