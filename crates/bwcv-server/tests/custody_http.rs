//! Chain of custody over the API: signed events are registered (and bad
//! signatures or wrong links refused, naming the field), the chain is
//! listed, and the downloaded bundle verifies offline; tampering breaks it.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bwcv_ledger::bundle::{Bundle, KeyRole, Trust};
use bwcv_ledger::custody::{Action, CustodyEvent, Severity, SignedCustodyEvent};
use bwcv_ledger::merkle::Hash;
use bwcv_ledger::note::{SignatureType, SignerKey, VerifierKey};
use common::{Harness, json, text};
use serde_json::{Value, json};

const SAMPLE: &str = "S-2026-0042";
const INSPECTOR: &str = "inspector-1.bwcv.example";
const LAB: &str = "lab-1.bwcv.example";
const T0: i64 = 1_796_371_200;

fn key(name: &str) -> SignerKey {
    SignerKey::derive_for_demo(name, SignatureType::Ed25519, "custody_http").unwrap()
}

fn signed(actor: &SignerKey, time: i64, previous: Option<Hash>, action: Action) -> Value {
    let event = CustodyEvent {
        sample: SAMPLE.to_owned(),
        time,
        actor: actor.name().to_owned(),
        previous,
        action,
    };
    serde_json::to_value(SignedCustodyEvent::sign(event, actor).unwrap()).unwrap()
}

fn collected() -> Action {
    Action::Collected {
        location: "building 4, room 12".into(),
        method: "swab".into(),
        container: "C-77".into(),
        seals: vec!["SEAL-1".into()],
        photo_digests: vec![],
    }
}

fn transferred() -> Action {
    Action::Transferred {
        to: LAB.into(),
        carrier: "courier".into(),
        seals_checked: vec!["SEAL-1".into()],
    }
}

fn received() -> Action {
    Action::Received {
        from: INSPECTOR.into(),
        seals_intact: true,
        seals_observed: vec!["SEAL-1".into()],
        note: String::new(),
    }
}

async fn post(h: &Harness, token: &str, body: Value) -> (StatusCode, Value) {
    let response = h
        .send(
            Request::post("/api/v1/custody/events")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    let status = response.status();
    (status, json(response).await)
}

fn registration(event: Value, actor: &SignerKey) -> Value {
    json!({
        "event": event,
        "actor_key": actor.verifier().to_string(),
        "justification": "inspection 2026-7 sample handling",
    })
}

async fn get_with(h: &Harness, token: &str, path: &str, why: Option<&str>) -> (StatusCode, String) {
    let mut builder = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(why) = why {
        builder = builder.header("x-justification", why);
    }
    let response = h.send(builder.body(Body::empty()).unwrap()).await;
    let status = response.status();
    (status, text(response).await)
}

fn hash(value: &Value) -> Hash {
    Hash::from_hex(value.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn register_list_bundle_verify_and_tamper() {
    let h = Harness::new().await;
    let inspector_token = h.api_token(&h.login("inspector").await).await;
    let lab_token = h.api_token(&h.login("lab").await).await;
    let council_token = h.api_token(&h.login("council").await).await;
    let inspector = key(INSPECTOR);
    let lab = key(LAB);

    // Collected.
    let (status, first) = post(
        &h,
        &inspector_token,
        registration(signed(&inspector, T0, None, collected()), &inspector),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let h1 = hash(&first["leaf_hash"]);

    // A second collection (previous null) is not the chain head any more.
    let (status, refused) = post(
        &h,
        &inspector_token,
        registration(signed(&inspector, T0 + 1, None, collected()), &inspector),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["problems"][0]["path"], "/event/event/previous");

    // Transferred.
    let (status, second) = post(
        &h,
        &inspector_token,
        registration(
            signed(&inspector, T0 + 3_600, Some(h1), transferred()),
            &inspector,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let h2 = hash(&second["leaf_hash"]);

    // Wrong previous link: points at the collection, not the transfer.
    let (status, refused) = post(
        &h,
        &lab_token,
        registration(signed(&lab, T0 + 7_200, Some(h1), received()), &lab),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["problems"][0]["path"], "/event/event/previous");
    assert!(refused["message"].as_str().unwrap().contains(&h2.to_hex()));

    // Bad signature: the event was changed after signing.
    let mut forged = signed(&lab, T0 + 7_200, Some(h2), received());
    forged["event"]["time"] = json!(T0 + 7_201);
    let (status, refused) = post(&h, &lab_token, registration(forged, &lab)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["problems"][0]["path"], "/event/signature");

    // Signed by another key than the one named as actor key.
    let (status, refused) = post(
        &h,
        &lab_token,
        registration(signed(&lab, T0 + 7_200, Some(h2), received()), &inspector),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["problems"][0]["path"], "/event/event/actor");

    // Council members do not register custody events.
    let (status, refused) = post(
        &h,
        &council_token,
        registration(signed(&lab, T0 + 7_200, Some(h2), received()), &lab),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // A write needs its justification.
    let mut unjustified = registration(signed(&lab, T0 + 7_200, Some(h2), received()), &lab);
    unjustified.as_object_mut().unwrap().remove("justification");
    let (status, refused) = post(&h, &lab_token, unjustified).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["error"], "justification_required");

    // Received.
    let (status, third) = post(
        &h,
        &lab_token,
        registration(signed(&lab, T0 + 7_200, Some(h2), received()), &lab),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{third}");

    // The chain.
    let chain_path = format!("/api/v1/custody/samples/{SAMPLE}");
    let (status, _) = get_with(&h, &lab_token, &chain_path, None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "Protected reads need a justification"
    );
    let (status, _) = get_with(&h, &council_token, &chain_path, Some("curious")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get_with(
        &h,
        &lab_token,
        "/api/v1/custody/samples/S-unknown",
        Some("check"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get_with(&h, &lab_token, &chain_path, Some("analysis intake")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let chain: Value = serde_json::from_str(&body).unwrap();
    let actions: Vec<&str> = chain["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["collected", "transferred", "received"]);
    assert_eq!(chain["events"][2]["actor"], LAB);

    // The bundle verifies offline with the log key and the actors' keys.
    let (status, body) = get_with(
        &h,
        &inspector_token,
        &format!("{chain_path}/bundle"),
        Some("export for the inspected State Party"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bundle = Bundle::from_json(&body).unwrap();
    assert_eq!(bundle.events.len(), 3);
    let log_key = bundle
        .keys
        .iter()
        .find(|k| k.role == KeyRole::Log)
        .map(|k| VerifierKey::parse(&k.vkey).unwrap())
        .unwrap();
    let trust = Trust {
        trusted_keys: vec![
            log_key,
            inspector.verifier().clone(),
            lab.verifier().clone(),
        ],
        required_cosigners: vec![],
    };
    let report = bundle.verify(&trust).unwrap();
    let breaks: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Break)
        .collect();
    assert!(breaks.is_empty(), "{breaks:#?}");
    assert_eq!(report.events.len(), 3);

    // Tamper: change the carrier of the transfer.
    let mut tampered = bundle.clone();
    tampered.events[1].entry = tampered.events[1].entry.replace("courier", "courieR");
    assert_ne!(tampered, bundle);
    let report = tampered.verify(&trust).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.severity == Severity::Break
                && f.leaf_index == Some(bundle.events[1].leaf_index)),
        "{:#?}",
        report.findings
    );
    // Drop an event.
    let mut dropped = bundle.clone();
    dropped.events.remove(1);
    assert!(dropped.verify(&trust).unwrap().n_breaks() > 0);
}

#[tokio::test]
async fn custody_page_asks_for_justification_then_shows_the_chain() {
    let h = Harness::new().await;
    let inspector_client = h.login("inspector").await;
    let inspector_token = h.api_token(&inspector_client).await;
    let inspector = key(INSPECTOR);
    let (status, first) = post(
        &h,
        &inspector_token,
        registration(signed(&inspector, T0, None, collected()), &inspector),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let h1 = hash(&first["leaf_hash"]);
    let (status, _) = post(
        &h,
        &inspector_token,
        registration(
            signed(&inspector, T0 + 60, Some(h1), transferred()),
            &inspector,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let path = format!("/custody/{SAMPLE}");
    let (status, html) = h.get_html(&path, &inspector_client).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Justification required"), "{html}");

    let (status, html) = h
        .get_html(
            &format!("{path}?justification=handover+check"),
            &inspector_client,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for expected in [
        "collected",
        "transferred",
        "SEAL-1",
        "to lab-1.bwcv.example via courier",
        "2026-12-04T08:00:00Z",
        "Download the custody bundle",
        "value=\"handover check\"",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }

    let council = h.login("council").await;
    let (status, _) = h
        .get_html(&format!("{path}?justification=curious"), &council)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .get_html("/custody/S-unknown?justification=check", &inspector_client)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
