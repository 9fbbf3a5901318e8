//! bwcv-server: the verification portal over HTTP.
//!
//! [`app`] builds the axum router over any [`bwcv_store::Store`]: the
//! server-rendered pages (askama templates, htmx vendored and served from
//! the binary; every flow works without JavaScript) and the JSON API under
//! `/api/v1` (OpenAPI 3.1 document at `/api/v1/openapi.json`).
//!
//! Invariants:
//! - every access decision goes through `bwcv_core::access::decide`;
//! - every write, and every read of Protected or Highly Protected material,
//!   appends an audit record with the request's justification
//!   (`bwcv_core::access::requires_audit`);
//! - every state-changing request authenticated by cookie carries the
//!   session's CSRF token;
//! - no client input produces a 500: failures are [`error::Failure`]s
//!   shown as a page or as JSON with field paths; internals are logged.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use bwcv_store::Store;

mod api;
pub mod auth;
mod calendar;
pub mod case_ledger;
mod cases;
pub mod cbmform;
mod council;
mod custody;
pub mod demo;
pub mod draws;
pub mod error;
mod notifications;
mod pages;
mod validation_cache;
mod workflow;

pub use auth::{hash_password, hash_password_blocking};
pub use custody::export_bundle;

/// Settings of one portal instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (set when served over TLS).
    pub secure_cookies: bool,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Largest accepted request body, bytes (larger: 413).
    pub body_limit_bytes: usize,
    /// Failed logins counted over this window…
    pub login_window_minutes: i64,
    /// …at most this many per username…
    pub max_failures_per_username: u64,
    /// …and this many per client address.
    pub max_failures_per_address: u64,
    /// CBM deadline (month, day), parameter `cbm.deadline`.
    pub cbm_deadline: (u8, u8),
    /// Parameter `cbm.validity_years_last_declaration`.
    pub validity_years: i64,
    /// Origin line of the ledger's checkpoints (the log's name).
    pub log_origin: String,
    /// The key that signs ledger checkpoints (custody bundles). Limitation:
    /// [`Config::from_params`] draws a fresh key at every start; a
    /// deployment must load a persistent key and publish its vkey.
    pub log_key: Arc<bwcv_ledger::note::SignerKey>,
    /// Deadline reminders on the notifications page cover the next
    /// deadlines within this many days (a server setting: the protocol
    /// parameters set no reminder period).
    pub reminder_days: i64,
}

impl Config {
    /// Defaults, with the treaty numbers taken from the built-in parameter
    /// set of `bwcv_core::params`.
    pub fn from_params(params: &bwcv_core::params::ParameterSet) -> Result<Config, String> {
        let cbm_deadline = params
            .month_day("cbm.deadline")
            .map_err(|error| error.to_string())?;
        let validity_years = params
            .integer("cbm.validity_years_last_declaration")
            .map_err(|error| error.to_string())?;
        Ok(Config {
            secure_cookies: false,
            session_hours: 8,
            body_limit_bytes: 2 * 1024 * 1024,
            login_window_minutes: 15,
            max_failures_per_username: 5,
            max_failures_per_address: 20,
            cbm_deadline,
            validity_years,
            log_origin: LOG_ORIGIN.to_owned(),
            log_key: Arc::new(ephemeral_log_key(LOG_ORIGIN)?),
            reminder_days: 7,
        })
    }
}

/// Default origin of the portal's ledger checkpoints.
pub const LOG_ORIGIN: &str = "bwcv.portal/ledger";

/// A log signing key drawn from the operating system's random source
/// (not persisted: see [`Config::log_key`]).
pub fn ephemeral_log_key(origin: &str) -> Result<bwcv_ledger::note::SignerKey, String> {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    bwcv_ledger::note::SignerKey::from_seed(origin, bwcv_ledger::note::SignatureType::Ed25519, seed)
        .map_err(|error| error.to_string())
}

/// What every handler shares.
#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    pub config: Arc<Config>,
    /// A valid argon2 hash of nothing anyone knows: verifying against it
    /// for unknown usernames keeps login time the same.
    dummy_hash: Arc<String>,
    /// Serialises custody appends so that each event's `previous` link is
    /// checked against the chain head it is appended after.
    custody_lock: Arc<tokio::sync::Mutex<()>>,
    /// Validation problems per stored declaration version
    /// (`validation_cache`: reads do not re-validate an unchanged body).
    problem_cache: Arc<validation_cache::ProblemCache>,
}

impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            config: Arc::clone(&self.config),
            dummy_hash: Arc::clone(&self.dummy_hash),
            custody_lock: Arc::clone(&self.custody_lock),
            problem_cache: Arc::clone(&self.problem_cache),
        }
    }
}

impl<S: Store> AppState<S> {
    pub fn new(store: S, config: Config) -> Result<AppState<S>, error::Failure> {
        let dummy_hash = auth::hash_password_blocking(&auth::random_secret())?;
        Ok(AppState {
            store,
            config: Arc::new(config),
            dummy_hash: Arc::new(dummy_hash),
            custody_lock: Arc::new(tokio::sync::Mutex::new(())),
            problem_cache: Arc::default(),
        })
    }

    pub(crate) fn validation_context(&self) -> bwcv_declare::Context<'static> {
        bwcv_declare::Context {
            catalogue: bwcv_core::lists::Catalogue::builtin(),
            validity_years: self.config.validity_years,
        }
    }
}

const STYLE_CSS: &[u8] = include_bytes!("../static/style.css");
const HTMX_JS: &[u8] = include_bytes!("../static/vendor/htmx.min.js");
const HTMX_LICENSE: &[u8] = include_bytes!("../static/vendor/htmx-LICENSE");
/// The OpenAPI 3.1 document of `/api/v1` (hand-written; a test checks it
/// against the routes).
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

fn static_file(
    content_type: &'static str,
    body: &'static [u8],
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone + Send + 'static {
    move || {
        let response = (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            body,
        );
        std::future::ready(axum::response::IntoResponse::into_response(response))
    }
}

/// Headers every response carries: no framing, no sniffing, no referrer,
/// scripts and styles from this origin only.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        // A handler may set a narrower policy of its own.
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    response
}

/// The portal's router. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that login
/// rate limiting sees client addresses.
pub fn app<S: Store>(state: AppState<S>) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route(
            "/declarations",
            get(api::list_declarations::<S>).post(api::create_declaration::<S>),
        )
        .route("/declarations/{id}", get(api::get_declaration::<S>))
        .route(
            "/declarations/{id}/submit",
            post(api::submit_declaration::<S>),
        )
        .route("/custody/events", post(custody::register::<S>))
        .route("/custody/samples/{sample}", get(custody::chain::<S>))
        .route(
            "/custody/samples/{sample}/bundle",
            get(custody::bundle::<S>),
        )
        .route(
            "/cases",
            get(cases::api_list::<S>).post(cases::api_open::<S>),
        )
        .route("/cases/{id}", get(cases::api_get::<S>))
        .route("/cases/{id}/steps", post(cases::api_step::<S>))
        .route("/draws", get(draws::api_list::<S>))
        .route("/whoami", get(api::whoami))
        .route("/openapi.json", get(api::openapi))
        .fallback(api::not_found);
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login::<S>))
        .route("/logout", post(pages::logout::<S>))
        .route(
            "/declarations",
            get(workflow::list::<S>).post(workflow::create::<S>),
        )
        .route("/declarations/{id}", get(workflow::show::<S>))
        .route("/declarations/{id}/json", get(workflow::download::<S>))
        .route("/declarations/{id}/document", get(workflow::document::<S>))
        .route(
            "/declarations/{id}/forms/{key}",
            get(workflow::form_page::<S>).post(workflow::save_form::<S>),
        )
        .route("/declarations/{id}/submit", post(workflow::submit::<S>))
        .route(
            "/declarations/{id}/acknowledge",
            post(workflow::acknowledge::<S>),
        )
        .route("/history/{state_party}", get(workflow::history::<S>))
        .route("/dashboard", get(workflow::dashboard::<S>))
        .route("/custody/{sample}", get(custody::page::<S>))
        .route("/cases", get(cases::list::<S>))
        .route(
            "/cases/new",
            get(cases::new_form::<S>).post(cases::create::<S>),
        )
        .route("/cases/{id}", get(cases::show::<S>))
        .route("/cases/{id}/steps", post(cases::step::<S>))
        .route("/council", get(council::list::<S>))
        .route("/council/{case_id}", get(council::show::<S>))
        .route("/council/{case_id}/vote", post(council::vote::<S>))
        .route(
            "/council/{case_id}/decide",
            post(council::record_decision::<S>),
        )
        .route("/draws", get(draws::list::<S>).post(draws::announce::<S>))
        .route("/draws/{draw_id}", get(draws::show::<S>))
        .route("/draws/{draw_id}/run", post(draws::run::<S>))
        .route("/draws/{draw_id}/record.json", get(draws::record_json::<S>))
        .route(
            "/draws/{draw_id}/announcement.json",
            get(draws::announcement_json::<S>),
        )
        .route("/calendar", get(calendar::page::<S>))
        .route("/calendar.ics", get(calendar::ics::<S>))
        .route("/notifications", get(notifications::page::<S>))
        .route("/notifications/count", get(notifications::count::<S>))
        .route("/notifications/read", post(notifications::mark_read::<S>))
        .route("/admin/audit", get(pages::audit_log::<S>))
        .route(
            "/admin/grants",
            get(pages::grants::<S>).post(pages::create_grant::<S>),
        )
        .route("/admin/grants/{id}/revoke", post(pages::revoke_grant::<S>))
        .route(
            "/account/tokens",
            get(pages::tokens::<S>).post(pages::create_token::<S>),
        )
        .route(
            "/static/style.css",
            get(static_file("text/css; charset=utf-8", STYLE_CSS)),
        )
        .route(
            "/static/vendor/htmx.min.js",
            get(static_file("text/javascript; charset=utf-8", HTMX_JS)),
        )
        .route(
            "/static/vendor/htmx-LICENSE",
            get(static_file("text/plain; charset=utf-8", HTMX_LICENSE)),
        )
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(pages::normalize_errors))
        .layer(axum::middleware::map_response(security_headers))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Serves the portal on `listener` until `shutdown` completes (in-flight
/// requests finish first).
pub async fn serve<S: Store>(
    state: AppState<S>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
