//! Shared test harness: the real app on a temporary SQLite file, driven
//! through `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use bwcv_core::StatePartyCode;
use bwcv_server::{AppState, Config, app};
use bwcv_store::{NewUser, Role, Store};
use bwcv_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Harness {
    pub app: Router,
    pub store: SqliteStore,
    _dir: tempfile::TempDir,
}

pub fn config() -> Config {
    Config::from_params(bwcv_core::params::ParameterSet::builtin()).unwrap()
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_config(config()).await
    }

    pub async fn with_config(config: Config) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("portal.db"))
            .await
            .unwrap();
        for (username, role, party) in [
            ("arc-officer", Role::NationalAuthority, Some("ARC")),
            ("bor-officer", Role::NationalAuthority, Some("BOR")),
            ("analyst", Role::SecretariatAnalyst, None),
            ("inspector", Role::Inspector, None),
            ("lab", Role::Laboratory, None),
            ("council", Role::CouncilMember, None),
            ("admin", Role::Administrator, None),
        ] {
            store
                .create_user(NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    state_party: party.map(|p| StatePartyCode::new(p).unwrap()),
                    password_hash: bwcv_server::hash_password_blocking(PASSWORD).unwrap(),
                    created_at: chrono::Utc::now(),
                })
                .await
                .unwrap();
        }
        let state = AppState::new(store.clone(), config).unwrap();
        Harness {
            app: app(state),
            store,
            _dir: dir,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.app.clone().oneshot(request).await.unwrap()
    }

    /// Logs in through the login form; returns the client.
    pub async fn login(&self, username: &str) -> Client {
        self.try_login(username, PASSWORD).await.unwrap()
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Result<Client, StatusCode> {
        let page = self.send(get("/login", None)).await;
        let login_cookie = set_cookie(&page, "bwcv_login").unwrap();
        let html = text(page).await;
        let token = hidden(&html, "login_token").unwrap();
        let body = form_body(&[
            ("username", username),
            ("password", password),
            ("login_token", &token),
        ]);
        let response = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("bwcv_login={login_cookie}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        if response.status() != StatusCode::SEE_OTHER {
            return Err(response.status());
        }
        let session = set_cookie(&response, "bwcv_session").unwrap();
        let cookie = format!("bwcv_session={session}");
        let home = text(self.send(get("/", Some(&cookie))).await).await;
        let csrf = hidden(&home, "csrf").unwrap();
        Ok(Client { cookie, csrf })
    }

    pub async fn get_html(&self, path: &str, client: &Client) -> (StatusCode, String) {
        let response = self.send(get(path, Some(&client.cookie))).await;
        let status = response.status();
        (status, text(response).await)
    }

    pub async fn post_form(
        &self,
        path: &str,
        client: &Client,
        fields: &[(&str, &str)],
    ) -> Response<Body> {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &client.csrf)];
        all.extend_from_slice(fields);
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &client.cookie)
                .body(Body::from(form_body(&all)))
                .unwrap(),
        )
        .await
    }

    /// Creates a draft through the multipart form; returns its id.
    pub async fn create_draft(
        &self,
        client: &Client,
        year: &str,
        classification: &str,
        visibility: &str,
        file: Option<&str>,
    ) -> i64 {
        let response = self
            .send(multipart_request(
                client,
                year,
                classification,
                visibility,
                file,
            ))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "create draft");
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        location.rsplit('/').next().unwrap().parse().unwrap()
    }

    pub async fn api_token(&self, client: &Client) -> String {
        let response = self
            .post_form(
                "/account/tokens",
                client,
                &[("name", "script"), ("days", "30")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = text(response).await;
        let start = html.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
        html[start..].split('<').next().unwrap().to_owned()
    }
}

pub fn multipart_request(
    client: &Client,
    year: &str,
    classification: &str,
    visibility: &str,
    file: Option<&str>,
) -> Request<Body> {
    let boundary = "XbwcvBoundaryX";
    let mut body = String::new();
    for (name, value) in [
        ("csrf", client.csrf.as_str()),
        ("reporting_year", year),
        ("classification", classification),
        ("visibility", visibility),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cbm.json\"\r\nContent-Type: application/json\r\n\r\n{}\r\n",
        file.unwrap_or("")
    ));
    body.push_str(&format!("--{boundary}--\r\n"));
    Request::post("/declarations")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, &client.cookie)
        .body(Body::from(body))
        .unwrap()
}

#[derive(Debug, Clone)]
pub struct Client {
    pub cookie: String,
    pub csrf: String,
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).unwrap()
}

pub async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub async fn json(response: Response<Body>) -> serde_json::Value {
    let body = text(response).await;
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub fn set_cookie(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

/// The value of the first hidden input called `name`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A return without errors: Form 0 says "nothing to declare" for every
/// measure.
pub fn valid_submission(code: &str, year: i32) -> serde_json::Value {
    let mut measures = serde_json::Map::new();
    for key in [
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
        measures.insert(key.into(), serde_json::json!({"nothing_to_declare": true}));
    }
    serde_json::json!({
        "format_version": 1,
        "state_party": code,
        "reporting_year": year,
        "visibility": "states_parties_only",
        "forms": {"form_0": {"measures": measures}}
    })
}

/// The fields of a complete Form A part 1 entry (one BSL-4 laboratory) as
/// the generated form names them.
pub fn form_a1_fields(code: &str) -> Vec<(String, String)> {
    let p = "/forms/a_part_1/maximum_containment/0";
    vec![
        (format!("{p}/facility_id"), format!("{code}-F0001")),
        (format!("{p}/name"), "National Institute of Virology".into()),
        (
            format!("{p}/responsible_organisation"),
            "Ministry of Health".into(),
        ),
        (format!("{p}/location"), "Capital City".into()),
        (
            format!("{p}/financing/sources"),
            "Ministry of Health".into(),
        ),
        (format!("{p}/financing/ministry_of_defence"), "none".into()),
        (format!("{p}/containment_units/0/level"), "bl4".into()),
        (format!("{p}/containment_units/0/area_m2"), "120".into()),
        (format!("{p}/containment_units/0/animal"), "false".into()),
        (
            format!("{p}/scope"),
            "Diagnostics of viral haemorrhagic fevers".into(),
        ),
    ]
}

/// `method path` with a Bearer `token` and an optional JSON body: the
/// status and the JSON answer (`Null` when the answer is not JSON).
pub async fn api(
    h: &Harness,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let response = h
        .send(
            builder
                .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
                .unwrap(),
        )
        .await;
    let status = response.status();
    let text = text(response).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// `officer` submits a valid return of `code` for `year` with
/// `classification` through the API; its id.
pub async fn submitted(
    h: &Harness,
    officer: &str,
    code: &str,
    year: i32,
    classification: &str,
) -> i64 {
    let token = h.api_token(&h.login(officer).await).await;
    let (status, body) = api(
        h,
        &token,
        "POST",
        "/api/v1/declarations",
        Some(serde_json::json!({
            "submission": valid_submission(code, year),
            "classification": classification,
            "submit": true,
            "justification": "annual CBM return"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// A fresh SQLite store seeded with the demo world of `bwcv demo` (seed 7),
/// with the folder that holds it and the seeded accounts.
pub async fn demo_store() -> (
    tempfile::TempDir,
    SqliteStore,
    Vec<bwcv_server::demo::DemoAccount>,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("demo.db"))
        .await
        .unwrap();
    let world = bwcv_declare::demo::generate(7);
    let accounts = bwcv_server::demo::seed(&store, &world).await.unwrap();
    (dir, store, accounts)
}

/// The JSON of an investigation request from ARC against BOR of `kind`
/// (`field` or `facility`), with every element the protocol asks for.
pub fn investigation_request(kind: &str, classification: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": format!("{kind}_investigation"),
        "subject": {
            "subject": "investigation",
            "kind": kind,
            "field_ground": "suspicious_outbreak",
            "requesting_state_party": "ARC",
            "investigated_state_party": "BOR",
            "alleged_facts": "An outbreak of anthrax near the BOR-F0002 facility.",
            "location": {"description": "Northern province"},
            "period": {"from": "2026-10-01T00:00:00Z", "to": "2026-10-20T00:00:00Z"},
            "evidence": [{"description": "hospital records", "sha256": "ef".repeat(32)}]
        },
        "classification": classification,
        "justification": "alleged outbreak linked to a facility"
    })
}

/// The JSON of a clarification request about BOR's 2025 Form B (an anomaly).
pub fn clarification(
    description: &str,
    classification: &str,
    justification: &str,
) -> serde_json::Value {
    serde_json::json!({
        "kind": "clarification",
        "subject": {
            "subject": "declaration",
            "state_party": "BOR",
            "year": 2025,
            "form": "b",
            "json_path": "$.forms.b",
            "concern": "anomaly",
            "description": description
        },
        "classification": classification,
        "justification": justification
    })
}
