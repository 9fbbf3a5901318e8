//! Regression tests of the portal's fast paths (bench/portal): the
//! validation problems cached per stored version are never stale after a
//! save or a submission, and create-and-submit in one request
//! (`"submit": true`, one store transaction) writes exactly what the two
//! separate steps write.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bwcv_store::{AuditFilter, DeclarationFilter, DeclarationStatus, Store};
use common::*;
use serde_json::Value;

fn api_get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

fn api_post(path: &str, token: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The rule ids of the problems the API reports for a declaration.
async fn api_problems(h: &Harness, token: &str, id: i64) -> (i64, String, Vec<String>) {
    let response = h
        .send(api_get(&format!("/api/v1/declarations/{id}"), token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let shown = json(response).await;
    let rules = shown["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["rule"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect();
    (
        shown["version"].as_i64().unwrap(),
        shown["status"].as_str().unwrap().to_owned(),
        rules,
    )
}

/// A complete, consistent demo return (Freedonia's), declared as ARC.
fn valid_body(year: i32) -> Value {
    let world = bwcv_declare::demo::generate(1);
    let submission = world
        .submissions
        .iter()
        .find(|s| s.state_party.as_str() == "XFR" && s.reporting_year == year)
        .unwrap();
    let mut body = serde_json::to_value(submission).unwrap();
    body["state_party"] = Value::from("ARC");
    body
}

#[tokio::test]
async fn problems_follow_every_save_and_submission() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let token = h.api_token(&officer).await;
    let id = h
        .create_draft(&officer, "2024", "restricted", "states_parties_only", None)
        .await;

    // The empty draft lacks Form 0; reading twice (the second from the
    // cache) says the same.
    let first = api_problems(&h, &token, id).await;
    assert_eq!(first.0, 1);
    assert!(
        first.2.iter().any(|p| p.starts_with("form0.missing")),
        "{first:?}"
    );
    assert_eq!(api_problems(&h, &token, id).await, first);

    // Save Form 0 through the web form: the next read shows the problems
    // of version 2, not the cached ones of version 1.
    let mut fields = vec![("version".to_owned(), "1".to_owned())];
    for m in [
        "a_part_1",
        "a_part_2_i",
        "a_part_2_ii",
        "a_part_2_iii",
        "b",
        "c",
        "e",
        "f",
        "g",
    ] {
        fields.push((
            format!("/forms/form_0/measures/{m}/nothing_to_declare"),
            "true".to_owned(),
        ));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/form_0"),
            &officer,
            &fields,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let second = api_problems(&h, &token, id).await;
    assert_eq!(second.0, 2);
    assert!(
        !second.2.iter().any(|p| p.starts_with("form0.missing")),
        "stale problems after a save: {second:?}"
    );
    // The web page of the draft agrees with the API.
    let (_, page) = h.get_html(&format!("/declarations/{id}"), &officer).await;
    assert!(!page.contains("form0.missing"), "{page}");

    // Whatever the cache holds, it is what a fresh validation of the
    // stored body finds.
    let stored = h
        .store
        .get_declaration(bwcv_store::DeclarationId(id))
        .await
        .unwrap()
        .unwrap();
    let bytes = serde_json::to_vec(&stored.body).unwrap();
    let context = bwcv_declare::Context {
        catalogue: bwcv_core::lists::Catalogue::builtin(),
        validity_years: config().validity_years,
    };
    let fresh: Vec<String> = bwcv_declare::check(&bytes, &context)
        .problems
        .iter()
        .map(|p| format!("{} {}", p.rule.id(), p.path))
        .collect();
    assert_eq!(second.2, fresh);
}

#[tokio::test]
async fn a_submission_is_read_back_with_its_own_problems_and_status() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let token = h.api_token(&officer).await;

    // Create a draft by API, read it (caching its problems), submit it:
    // the read after the submission shows the new status.
    let response = h
        .send(api_post(
            "/api/v1/declarations",
            &token,
            &serde_json::json!({"submission": valid_body(2022)}),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = json(response).await["id"].as_i64().unwrap();
    let draft = api_problems(&h, &token, id).await;
    assert_eq!(draft.1, "draft");
    assert!(
        draft.2.iter().all(|p| !p.starts_with("parse.")),
        "{draft:?}"
    );
    let response = h
        .send(api_post(
            &format!("/api/v1/declarations/{id}/submit"),
            &token,
            &serde_json::json!({"version": 1}),
        ))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    let submitted = api_problems(&h, &token, id).await;
    assert_eq!(submitted.1, "submitted");
    assert_eq!(submitted.2, draft.2);
}

#[tokio::test]
async fn create_and_submit_in_one_request_writes_what_the_two_steps_write() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let token = h.api_token(&officer).await;
    let ledger_before = h.store.ledger_size().await.unwrap();

    let response = h
        .send(api_post(
            "/api/v1/declarations",
            &token,
            &serde_json::json!({"submission": valid_body(2021), "submit": true,
                                "justification": "annual CBM return"}),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let shown = json(response).await;
    let id = shown["id"].as_i64().unwrap();
    assert_eq!(shown["status"], "submitted");
    assert_eq!(shown["version"], 1);
    assert_eq!(
        shown["ledger_index"].as_u64(),
        Some(ledger_before),
        "{shown}"
    );

    // The stored record is the one the response showed.
    let stored = h
        .store
        .get_declaration(bwcv_store::DeclarationId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, DeclarationStatus::Submitted);
    assert_eq!(stored.version, 1);
    assert_eq!(stored.ledger_index, Some(ledger_before));
    assert_eq!(shown["digest"].as_str(), Some(stored.digest.as_str()));
    assert_eq!(h.store.ledger_size().await.unwrap(), ledger_before + 1);
    let read = api_problems(&h, &token, id).await;
    assert_eq!(read.1, "submitted");

    // Both audit records, naming the declaration and the justification.
    let audit = h
        .store
        .list_audit(AuditFilter {
            object_kind: Some("declaration".into()),
            object_id: Some(id.to_string()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["declaration.create", "declaration.submit"]);
    assert!(audit.iter().all(|a| a.justification == "annual CBM return"));
    assert!(audit.iter().all(|a| a.object_kind == "declaration"));

    // With errors: the draft is kept and the submission refused (400 with
    // field paths), as when the two steps are separate requests.
    let mut broken = valid_body(2023);
    broken["forms"]
        .as_object_mut()
        .unwrap()
        .remove("form_0")
        .unwrap();
    let response = h
        .send(api_post(
            "/api/v1/declarations",
            &token,
            &serde_json::json!({"submission": broken, "submit": true}),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = json(response).await;
    assert!(error.to_string().contains("form0.missing"), "{error}");
    let drafts = h
        .store
        .list_declarations(DeclarationFilter {
            reporting_year: Some(2023),
            ..DeclarationFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].status, DeclarationStatus::Draft);
    assert_eq!(h.store.ledger_size().await.unwrap(), ledger_before + 1);
}
