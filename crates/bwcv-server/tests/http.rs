//! HTTP tests of every route, through `app().oneshot(...)` on a real
//! SQLite database in a temporary directory.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bwcv_store::{AuditFilter, Store};
use common::*;

const MEASURES: [&str; 9] = [
    "a_part_1",
    "a_part_2_i",
    "a_part_2_ii",
    "a_part_2_iii",
    "b",
    "c",
    "e",
    "f",
    "g",
];

/// Form 0 fields: nothing to declare for every measure but `except`.
fn form_0_fields(except: &str) -> Vec<(String, String)> {
    MEASURES
        .iter()
        .map(|m| {
            (
                format!("/forms/form_0/measures/{m}/nothing_to_declare"),
                if *m == except { "false" } else { "true" }.to_owned(),
            )
        })
        .collect()
}

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn anonymous_requests_are_sent_to_login_or_get_401_json() {
    let h = Harness::new().await;
    for path in [
        "/",
        "/declarations",
        "/declarations/1",
        "/dashboard",
        "/admin/audit",
        "/admin/grants",
        "/account/tokens",
        "/history/ARC",
    ] {
        let response = h.send(get(path, None)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[header::LOCATION], "/login", "{path}");
    }
    for path in [
        "/api/v1/declarations",
        "/api/v1/declarations/1",
        "/api/v1/whoami",
    ] {
        let response = h.send(get(path, None)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body = json(response).await;
        assert_eq!(body["error"], "unauthenticated");
    }
    let response = h
        .send(
            Request::post("/api/v1/declarations")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(response).await["error"], "unauthenticated");
    // A forged bearer token is the same as none.
    let response = h
        .send(
            Request::get("/api/v1/declarations")
                .header(header::AUTHORIZATION, "Bearer not-a-token")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn static_assets_openapi_and_not_found() {
    let h = Harness::new().await;
    for (path, kind) in [
        ("/static/style.css", "text/css"),
        ("/static/vendor/htmx.min.js", "text/javascript"),
        ("/static/vendor/htmx-LICENSE", "text/plain"),
        ("/api/v1/openapi.json", "application/json"),
    ] {
        let response = h.send(get(path, None)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
    let page = h.send(get("/nowhere", None)).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(text(page).await.contains("<html"));
    let api = h.send(get("/api/v1/nowhere", None)).await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(api).await["error"], "not_found");
    // Wrong method on an API path: JSON, not plain text.
    let response = h
        .send(
            Request::delete("/api/v1/declarations")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json(response).await["error"], "method_not_allowed");
}

#[tokio::test]
async fn every_documented_path_responds() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let token = h.api_token(&officer).await;
    let id = h
        .create_draft(&officer, "2024", "restricted", "states_parties_only", None)
        .await;
    let doc: serde_json::Value = serde_json::from_str(bwcv_server::OPENAPI_JSON).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 5);
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = format!("/api/v1{}", path.replace("{id}", &id.to_string()));
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(if method == "post" { "{}" } else { "" }))
                .unwrap();
            let response = h.send(request).await;
            let status = response.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {concrete}: {status}"
            );
            assert!(!status.is_server_error(), "{method} {concrete}: {status}");
            let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
            assert!(content_type.starts_with("application/json"), "{concrete}");
        }
    }
}

#[tokio::test]
async fn login_failures_rate_limit_and_rotation() {
    let h = Harness::new().await;
    assert_eq!(
        h.try_login("arc-officer", "wrong").await.unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.try_login("nobody", "wrong").await.unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    // Login without the login form's token is refused.
    let response = h
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form_body(&[
                    ("username", "arc-officer"),
                    ("password", PASSWORD),
                ])))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Rotation: logging in again with the old cookie kills the old session.
    let first = h.login("analyst").await;
    let page = h.send(get("/login", None)).await;
    let login_cookie = set_cookie(&page, "bwcv_login").unwrap();
    let token = hidden(&text(page).await, "login_token").unwrap();
    let response = h
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!("{}; bwcv_login={login_cookie}", first.cookie),
                )
                .body(Body::from(form_body(&[
                    ("username", "analyst"),
                    ("password", PASSWORD),
                    ("login_token", &token),
                ])))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie_header = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("bwcv_session="))
        .unwrap();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Strict"));
    let second = set_cookie(&response, "bwcv_session").unwrap();
    assert_ne!(format!("bwcv_session={second}"), first.cookie);
    let old = h.send(get("/declarations", Some(&first.cookie))).await;
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "old session still valid"
    );

    // Five failures for one username lock it, even with the right password.
    for _ in 0..5 {
        assert!(h.try_login("bor-officer", "guess").await.is_err());
    }
    assert_eq!(
        h.try_login("bor-officer", PASSWORD).await.unwrap_err(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Logout ends the session.
    let client = h.login("council").await;
    let response = h.post_form("/logout", &client, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = h.send(get("/declarations", Some(&client.cookie))).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn csrf_is_checked_on_every_state_changing_request() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let id = h
        .create_draft(&officer, "2024", "restricted", "states_parties_only", None)
        .await;
    let forged = Client {
        cookie: officer.cookie.clone(),
        csrf: "forged".into(),
    };
    let admin = h.login("admin").await;
    let forged_admin = Client {
        cookie: admin.cookie.clone(),
        csrf: "forged".into(),
    };
    for (path, client) in [
        (format!("/declarations/{id}/forms/form_0"), &forged),
        (format!("/declarations/{id}/submit"), &forged),
        (format!("/declarations/{id}/acknowledge"), &forged),
        ("/logout".to_owned(), &forged),
        ("/account/tokens".to_owned(), &forged),
        ("/admin/grants".to_owned(), &forged_admin),
        ("/admin/grants/1/revoke".to_owned(), &forged_admin),
    ] {
        let response = h.post_form(&path, client, &[("version", "1")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = h
        .send(multipart_request(
            &forged,
            "2024",
            "restricted",
            "public",
            None,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The session cookie on the API also needs the header.
    let response = h
        .send(
            Request::post("/api/v1/declarations")
                .header(header::COOKIE, &officer.cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"submission": {}}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(json(response).await["error"], "csrf");
}

#[tokio::test]
async fn national_authority_fills_form_a1_submits_and_the_secretariat_acknowledges() {
    let h = Harness::new().await;
    let officer = h.login("arc-officer").await;
    let id = h
        .create_draft(&officer, "2024", "restricted", "states_parties_only", None)
        .await;
    let (status, page) = h.get_html(&format!("/declarations/{id}"), &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("form0.missing"), "empty draft lacks Form 0");
    assert!(page.contains("disabled"), "submit disabled while errors");

    // Every form page of the model renders.
    for key in [
        "form_0",
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
        let (status, page) = h
            .get_html(&format!("/declarations/{id}/forms/{key}"), &officer)
            .await;
        assert_eq!(status, StatusCode::OK, "{key}");
        assert!(page.contains("<label for="), "{key}");
    }
    let (status, _) = h
        .get_html(&format!("/declarations/{id}/forms/d"), &officer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Form 0.
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/form_0"),
            &officer,
            &[&[("version", "1")][..], &refs(&form_0_fields("a_part_1"))].concat(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Form A part 1 with a missing name: the problem appears at the field.
    let mut fields = form_a1_fields("ARC");
    fields.retain(|(k, _)| !k.ends_with("/name"));
    fields.push((
        "/forms/a_part_1/maximum_containment/0/name".into(),
        String::new(),
    ));
    fields.push(("version".into(), "2".into()));
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/a_part_1"),
            &officer,
            &refs(&fields),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = h
        .get_html(&format!("/declarations/{id}/forms/a_part_1"), &officer)
        .await;
    assert!(page.contains("problem(s) in this form"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));

    // Stale version: conflict.
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/a_part_1"),
            &officer,
            &refs(&fields),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // Complete it.
    let mut fields = form_a1_fields("ARC");
    fields.push(("version".into(), "3".into()));
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/a_part_1"),
            &officer,
            &refs(&fields),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_html(&format!("/declarations/{id}"), &officer).await;
    assert!(!page.contains("sev-error"), "errors remain: {page}");

    let response = h
        .post_form(
            &format!("/declarations/{id}/submit"),
            &officer,
            &[("version", "4")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_html(&format!("/declarations/{id}"), &officer).await;
    assert!(page.contains("id=\"status\">submitted"));
    assert!(page.contains("Ledger entry"));
    // Submitted: no more changes.
    let response = h
        .post_form(
            &format!("/declarations/{id}/forms/a_part_1"),
            &officer,
            &refs(&fields),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The Secretariat sees it on the dashboard and acknowledges.
    let analyst = h.login("analyst").await;
    let (status, page) = h.get_html("/dashboard?year=2024", &analyst).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ARC") && page.contains("submitted"), "{page}");
    assert!(page.contains("BOR") && page.contains("not submitted"));
    // The officer cannot acknowledge; the analyst can.
    let response = h
        .post_form(&format!("/declarations/{id}/acknowledge"), &officer, &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = h
        .post_form(&format!("/declarations/{id}/acknowledge"), &analyst, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_html(&format!("/declarations/{id}"), &analyst).await;
    assert!(page.contains("id=\"status\">acknowledged"));

    // Every write left an audit record.
    let audit = h.store.export_audit().await.unwrap();
    for action in [
        "declaration.create",
        "declaration.save_draft",
        "declaration.submit",
        "declaration.acknowledge",
        "session.login",
    ] {
        assert!(
            audit.iter().any(|r| r.action == action),
            "{action} not audited"
        );
    }
    // The document view, the security headers, the tokens page.
    let response = h
        .send(get(
            &format!("/declarations/{id}/document"),
            Some(&officer.cookie),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        text(response)
            .await
            .contains("National Institute of Virology")
    );
    let response = h.send(get("/declarations", Some(&officer.cookie))).await;
    for name in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
    ] {
        assert!(response.headers().contains_key(name), "{name}");
    }
    let (status, _) = h.get_html("/account/tokens", &officer).await;
    assert_eq!(status, StatusCode::OK);
    // Download.
    let response = h
        .send(get(
            &format!("/declarations/{id}/json"),
            Some(&officer.cookie),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(
        body["forms"]["a_part_1"]["maximum_containment"][0]["facility_id"],
        "ARC-F0001"
    );
}

#[tokio::test]
async fn other_states_parties_see_only_what_visibility_and_classification_allow() {
    let h = Harness::new().await;
    let arc = h.login("arc-officer").await;
    let token = h.api_token(&arc).await;
    let mut ids = Vec::new();
    for (classification, year) in [("restricted", 2023), ("protected", 2024)] {
        let body = serde_json::json!({
            "submission": valid_submission("ARC", year),
            "classification": classification,
            "submit": true
        });
        let response = h
            .send(
                Request::post("/api/v1/declarations")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created = json(response).await;
        assert_eq!(created["status"], "submitted");
        ids.push(created["id"].as_i64().unwrap());
    }
    let draft = h
        .create_draft(&arc, "2025", "restricted", "public", None)
        .await;
    let (restricted, protected) = (ids[0], ids[1]);

    let bor = h.login("bor-officer").await;
    let (_, list) = h.get_html("/declarations", &bor).await;
    assert!(list.contains(&format!("/declarations/{restricted}\"")));
    assert!(!list.contains(&format!("/declarations/{protected}\"")));
    assert!(!list.contains(&format!("/declarations/{draft}\"")));
    let (status, _) = h
        .get_html(&format!("/declarations/{protected}"), &bor)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not even its existence");
    let (status, _) = h.get_html(&format!("/declarations/{draft}"), &bor).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .get_html(&format!("/declarations/{restricted}"), &bor)
        .await;
    assert_eq!(status, StatusCode::OK);

    // The analyst reads Protected only with a justification, audited.
    let analyst = h.login("analyst").await;
    let (status, page) = h
        .get_html(&format!("/declarations/{protected}"), &analyst)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Justification required"));
    let (status, page) = h
        .get_html(
            &format!("/declarations/{protected}?justification=CBM+compilation"),
            &analyst,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("CBM return of ARC"));
    let reads = h
        .store
        .list_audit(AuditFilter {
            action: Some("declaration.read".into()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(reads.iter().any(|r| r.justification == "CBM compilation"
        && r.object_id.as_deref() == Some(&protected.to_string())));

    // The laboratory sees nothing of a States-Parties-only return.
    let lab = h.login("lab").await;
    let (status, _) = h
        .get_html(&format!("/declarations/{restricted}"), &lab)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // History with the diff.
    let (status, page) = h.get_html("/history/ARC", &arc).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2023 → 2024"), "{page}");

    // API list filtered by access.
    let bor_token = h.api_token(&bor).await;
    let response = h
        .send(
            Request::get("/api/v1/declarations?state_party=ARC")
                .header(header::AUTHORIZATION, format!("Bearer {bor_token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let list = json(response).await;
    let seen: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, vec![restricted]);
}

#[tokio::test]
async fn grants_open_highly_protected_until_revoked() {
    let h = Harness::new().await;
    let arc = h.login("arc-officer").await;
    let token = h.api_token(&arc).await;
    let body = serde_json::json!({
        "submission": valid_submission("ARC", 2024),
        "classification": "highly_protected",
        "submit": true
    });
    let response = h
        .send(
            Request::post("/api/v1/declarations")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    let id = json(response).await["id"].as_i64().unwrap();
    let inspector = h.login("inspector").await;
    let path = format!("/declarations/{id}?justification=inspection+preparation");
    let (status, _) = h.get_html(&path, &inspector).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let admin = h.login("admin").await;
    let (status, _) = h.get_html("/admin/grants", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let response = h
        .post_form(
            "/admin/grants",
            &admin,
            &[
                ("username", "inspector"),
                ("declaration_id", &id.to_string()),
                ("classification", "highly_protected"),
                ("days", "7"),
                ("reason", "inspection of ARC-F0001"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = h.get_html(&path, &inspector).await;
    assert_eq!(status, StatusCode::OK);

    let grant_id = h
        .store
        .list_grants(
            h.store
                .find_user_by_username("inspector")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap()[0]
        .id;
    let response = h
        .post_form(
            &format!("/admin/grants/{grant_id}/revoke"),
            &admin,
            &[("reason", "inspection over")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = h.get_html(&path, &inspector).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Only the administrator manages grants and reads the audit log.
    let (status, _) = h.get_html("/admin/grants", &inspector).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h.get_html("/admin/audit", &inspector).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = h.get_html("/admin/audit", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("grant.revoke"));
    for (format, kind) in [("csv", "text/csv"), ("json", "application/json")] {
        let response = h
            .send(get(
                &format!("/admin/audit?format={format}"),
                Some(&admin.cookie),
            ))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(
            response.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let body = text(response).await;
        assert!(body.contains("grant.create"));
    }
    let response = h
        .send(get("/admin/audit?format=xml", Some(&admin.cookie)))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uploads_and_api_errors_carry_field_paths() {
    let h = Harness::new().await;
    let arc = h.login("arc-officer").await;
    // A JSON upload for another State Party is refused at /state_party.
    let response = h
        .send(multipart_request(
            &arc,
            "",
            "restricted",
            "public",
            Some(&valid_submission("BOR", 2024).to_string()),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Not JSON at all.
    let response = h
        .send(multipart_request(
            &arc,
            "",
            "restricted",
            "public",
            Some("{oops"),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("line 1"));
    // A valid upload becomes a draft without errors.
    let id = h
        .create_draft(
            &arc,
            "",
            "restricted",
            "public",
            Some(&valid_submission("ARC", 2024).to_string()),
        )
        .await;
    let (_, page) = h.get_html(&format!("/declarations/{id}"), &arc).await;
    assert!(page.contains("No problems found"), "{page}");

    let token = h.api_token(&arc).await;
    let bearer = format!("Bearer {token}");
    let post = |body: String| {
        Request::post("/api/v1/declarations")
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    // Malformed JSON.
    let response = h.send(post("{not json".into())).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(response).await["error"], "bad_request");
    // Submitting a return with errors: refused, problems with paths.
    let mut broken = valid_submission("ARC", 2022);
    broken["forms"]["form_0"]["measures"]["b"]["nothing_new_to_declare"] = true.into();
    let response = h
        .send(post(
            serde_json::json!({"submission": broken, "submit": true}).to_string(),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json(response).await;
    let paths: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/forms/form_0/measures/b")),
        "{body}"
    );
    // Unknown classification.
    let response = h
        .send(post(
            serde_json::json!({"submission": valid_submission("ARC", 2021), "classification": "secret"})
                .to_string(),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json(response).await["problems"][0]["path"],
        "classification"
    );
    // A body over the limit: 413 as JSON.
    let huge = format!("{{\"submission\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let response = h.send(post(huge)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(response).await["error"], "payload_too_large");
    // Non-numeric ids are 404, never 500.
    let response = h
        .send(
            Request::get("/api/v1/declarations/%00abc")
                .header(header::AUTHORIZATION, &bearer)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Another role cannot create.
    let analyst = h.login("analyst").await;
    let analyst_token = h.api_token(&analyst).await;
    let response = h
        .send(
            Request::post("/api/v1/declarations")
                .header(header::AUTHORIZATION, format!("Bearer {analyst_token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    serde_json::json!({"submission": valid_submission("ARC", 2020)}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // API submit of the uploaded draft, and whoami.
    let response = h
        .send(
            Request::post(format!("/api/v1/declarations/{id}/submit"))
                .header(header::AUTHORIZATION, &bearer)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["status"], "submitted");
    let response = h
        .send(
            Request::get("/api/v1/whoami")
                .header(header::AUTHORIZATION, &bearer)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(json(response).await["state_party"], "ARC");
}

#[tokio::test]
async fn hostile_form_input_never_produces_a_500() {
    let h = Harness::new().await;
    let arc = h.login("arc-officer").await;
    let id = h
        .create_draft(&arc, "2024", "restricted", "public", None)
        .await;
    let inputs: Vec<Vec<(&str, &str)>> = vec![
        vec![("version", "x")],
        vec![
            ("version", "1"),
            (
                "/forms/a_part_1/maximum_containment/0/containment_units/0/area_m2",
                "NaN",
            ),
        ],
        vec![
            ("version", "1"),
            ("/forms/a_part_1/maximum_containment/999999999999/name", "x"),
        ],
        vec![("version", "1"), ("/forms/a_part_1", "\u{0}")],
        vec![("version", "1"), ("remove:/forms", "1")],
        vec![("version", "99")],
    ];
    for fields in inputs {
        let response = h
            .post_form(&format!("/declarations/{id}/forms/a_part_1"), &arc, &fields)
            .await;
        assert!(
            !response.status().is_server_error(),
            "{fields:?}: {}",
            response.status()
        );
    }
    for path in [
        "/declarations/abc",
        "/declarations/99999999999999999999999",
        "/history/lowercase",
        "/dashboard?year=abc",
        "/admin/audit?after=abc",
    ] {
        let response = h.send(get(path, Some(&arc.cookie))).await;
        assert!(
            !response.status().is_server_error(),
            "{path}: {}",
            response.status()
        );
    }
    // Garbage bodies on every POST route.
    for path in [
        "/login",
        "/logout",
        "/declarations",
        "/account/tokens",
        "/admin/grants",
    ] {
        let response = h
            .send(
                Request::post(path)
                    .header(header::COOKIE, &arc.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("%%%&&&=\u{0}"))
                    .unwrap(),
            )
            .await;
        assert!(
            !response.status().is_server_error(),
            "{path}: {}",
            response.status()
        );
    }
}
