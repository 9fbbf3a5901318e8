//! Chain of custody over the JSON API (issue 4, "Chain of custody"):
//! register an event already signed by the acting person, list a sample's
//! chain, download a custody bundle that a third party verifies offline
//! (`bwcv custody verify --bundle FILE`).
//!
//! Invariants: the server never signs custody events (it checks the
//! actor's Ed25519 signature and the `previous` link against
//! `bwcv_ledger::custody::chain_head`); access goes through
//! `bwcv_core::access::decide` with `RecordKind::Custody`; custody records
//! are Protected, so every read and write carries a justification and
//! leaves an audit record.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bwcv_core::access::{self, Action, Decision, RecordKind, RecordMeta, Stage};
use bwcv_core::{Classification, Visibility};
use bwcv_ledger::bundle::{Bundle, BundleCheckpoint, BundleKey, KeyRole};
use bwcv_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use bwcv_ledger::custody::{self, LoggedEntry, SignedCustodyEvent};
use bwcv_ledger::entry::Entry;
use bwcv_ledger::merkle::{self, Hash};
use bwcv_ledger::note::{SignatureType, SignerKey, VerifierKey};
use bwcv_store::{AuditOutcome, NewCheckpoint, NewLedgerEntry, Store};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{ApiAuth, Auth, WebAuth};
use crate::error::{ApiError, Failure, FieldProblem, WebError};
use crate::pages::{Nav, audit, justification, render};

/// Custody records are Protected (Secretariat roles, inspectors,
/// laboratories; see `bwcv_core::access`).
const CLASSIFICATION: Classification = Classification::Protected;

/// The ledger kind of custody entries (`Entry::CustodyV1::tag()`; stored
/// entries carry their tag as kind).
const CUSTODY_TAG: &str = bwcv_ledger::entry::KNOWN_TYPES[2];

/// Largest sample identifier accepted, characters.
const MAX_SAMPLE_CHARS: usize = 200;

/// What the access rules see of a sample's custody record. Events do not
/// name the inspected State Party yet, so `owner` is `None`.
fn record_meta(sample: &str) -> RecordMeta {
    RecordMeta {
        id: format!("custody:{sample}"),
        kind: RecordKind::Custody,
        owner: None,
        classification: CLASSIFICATION,
        visibility: Visibility::StatesPartiesOnly,
        stage: Stage::Final,
    }
}

/// Decides; a refusal is audited and returned as 403.
async fn require<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    action: Action,
    sample: &str,
    what: &str,
    why: &str,
) -> Result<(), Failure> {
    let decision = access::decide(
        &auth.principal(),
        action,
        &record_meta(sample),
        &[],
        Utc::now().timestamp(),
    );
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => {
            audit(
                state,
                Some(auth),
                what,
                "custody",
                Some(sample.to_owned()),
                CLASSIFICATION,
                why,
                AuditOutcome::Denied,
                json!({ "reason": reason.to_string() }),
            )
            .await?;
            Err(Failure::Forbidden(reason.to_string()))
        }
    }
}

fn problem(path: &str, rule: &str, message: impl Into<String>) -> Failure {
    let message = message.into();
    Failure::BadRequest {
        problems: vec![FieldProblem {
            path: path.to_owned(),
            rule: rule.to_owned(),
            message: message.clone(),
        }],
        message,
    }
}

fn check_sample(sample: &str, path: &str) -> Result<(), Failure> {
    if sample.trim().is_empty()
        || sample.chars().count() > MAX_SAMPLE_CHARS
        || sample.chars().any(char::is_control)
    {
        return Err(problem(
            path,
            "custody.sample",
            format!(
                "the sample identifier must be 1 to {MAX_SAMPLE_CHARS} characters without control characters"
            ),
        ));
    }
    Ok(())
}

/// Every custody entry of the log `(leaf_index, bytes)` in log order.
/// A full scan: aliquots' chains start at their parent's split, which is
/// stored under the parent's sample id.
async fn custody_entries<S: Store>(state: &AppState<S>) -> Result<Vec<(u64, Vec<u8>)>, Failure> {
    custody_entries_of(&state.store).await
}

async fn custody_entries_of<S: Store>(store: &S) -> Result<Vec<(u64, Vec<u8>)>, Failure> {
    let size = store.ledger_size().await?;
    Ok(store
        .ledger_entries(0, size)
        .await?
        .into_iter()
        .filter(|entry| entry.kind == CUSTODY_TAG)
        .map(|entry| (entry.index, entry.body))
        .collect())
}

/// The chain of `sample` and its aliquots, `(leaf_index, bytes)`.
async fn chain_of<S: Store>(
    state: &AppState<S>,
    sample: &str,
) -> Result<Vec<(u64, Vec<u8>)>, Failure> {
    let all = custody_entries(state).await?;
    Ok(custody::select_chain(
        sample,
        all.iter().map(|(index, bytes)| (*index, bytes.as_slice())),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    /// A `SignedCustodyEvent` (event, key_id, signature).
    event: Value,
    /// The actor's public key, C2SP vkey text form.
    actor_key: String,
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Debug, Serialize)]
struct Registered {
    sample: String,
    leaf_index: u64,
    leaf_hash: Hash,
    tree_size: u64,
}

/// `POST /api/v1/custody/events`: `{"event": {signed custody event},
/// "actor_key": "name+keyid+base64", "justification": "..."}`. 201 with
/// the leaf index; 400 naming the field when the signature does not
/// verify or `previous` is not the chain head.
pub(crate) async fn register<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    auth.check_csrf(&headers, None)?;
    let request: RegisterRequest = serde_json::from_slice(&body).map_err(|e| {
        problem(
            "",
            "request.json",
            format!(
                "the request is not a valid registration (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let why = justification(&headers, request.justification.as_deref())
        .ok_or(Failure::JustificationRequired)?;
    let signed: SignedCustodyEvent = serde_json::from_value(request.event).map_err(|e| {
        problem(
            "/event",
            "custody.event",
            format!("not a signed custody event: {e}"),
        )
    })?;
    let sample = signed.event.sample.clone();
    check_sample(&sample, "/event/event/sample")?;
    require(
        &state,
        &auth,
        Action::Create,
        &sample,
        "custody.register",
        &why,
    )
    .await?;

    let key = VerifierKey::parse(request.actor_key.trim())
        .map_err(|e| problem("/actor_key", "custody.key", format!("not a vkey: {e}")))?;
    if key.signature_type != SignatureType::Ed25519 {
        return Err(problem(
            "/actor_key",
            "custody.key",
            "the actor key must be an Ed25519 key",
        )
        .into());
    }
    if key.name != signed.event.actor {
        return Err(problem(
            "/event/event/actor",
            "custody.actor",
            format!(
                "the event's actor {:?} is not the name of actor_key {:?}",
                signed.event.actor, key.name
            ),
        )
        .into());
    }
    if key.key_id_hex() != signed.key_id {
        return Err(problem(
            "/event/key_id",
            "custody.key_id",
            format!(
                "key_id {:?} is not the ID of actor_key ({})",
                signed.key_id,
                key.key_id_hex()
            ),
        )
        .into());
    }
    if signed.verify(&key).is_err() {
        return Err(problem(
            "/event/signature",
            "custody.signature",
            "the signature does not verify with actor_key over the event",
        )
        .into());
    }

    let entry = signed.to_entry();
    let bytes = entry.encode();
    let now = Utc::now();
    let appended = {
        let _guard = state.custody_lock.lock().await;
        let all = custody_entries(&state).await?;
        let head = custody::chain_head(&sample, &all);
        if signed.event.previous != head {
            let expected = head.map_or_else(|| "null (no event yet)".to_owned(), |h| h.to_hex());
            return Err(problem(
                "/event/event/previous",
                "custody.previous",
                format!("previous must be the leaf hash of the sample's last event: {expected}"),
            )
            .into());
        }
        state
            .store
            .ledger_append(vec![NewLedgerEntry {
                kind: entry.tag().to_owned(),
                body: bytes.clone(),
                sample_id: Some(sample.clone()),
                appended_at: now,
            }])
            .await?
    };
    let leaf_index = appended.first_index;
    audit(
        &state,
        Some(&auth),
        "custody.register",
        "custody",
        Some(sample.clone()),
        CLASSIFICATION,
        &why,
        AuditOutcome::Success,
        json!({
            "leaf_index": leaf_index,
            "action": signed.event.action.name(),
            "actor": signed.event.actor,
            "actor_key": request.actor_key.trim(),
        }),
    )
    .await?;
    let shown = Registered {
        sample: sample.clone(),
        leaf_index,
        leaf_hash: merkle::leaf_hash(&bytes),
        tree_size: appended.new_size,
    };
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/custody/samples/{sample}"),
        )],
        Json(shown),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadQuery {
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChainEvent {
    leaf_index: u64,
    leaf_hash: Hash,
    sample: String,
    action: &'static str,
    time: i64,
    time_utc: String,
    actor: String,
    signed: SignedCustodyEvent,
}

#[derive(Debug, Serialize)]
struct ChainView {
    sample: String,
    events: Vec<ChainEvent>,
}

/// Access check, justification and audit shared by the read endpoints.
async fn readable_chain<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    headers: &HeaderMap,
    sample: &str,
    field: Option<&str>,
    what: &str,
) -> Result<Vec<(u64, Vec<u8>)>, Failure> {
    check_sample(sample, "sample")?;
    let why = justification(headers, field);
    let shown_why = why.clone().unwrap_or_default();
    require(state, auth, Action::Read, sample, what, &shown_why).await?;
    let why = match why {
        Some(why) => why,
        None if access::requires_audit(Action::Read, CLASSIFICATION) => {
            return Err(Failure::JustificationRequired);
        }
        None => String::new(),
    };
    let chain = chain_of(state, sample).await?;
    if chain.is_empty() {
        return Err(Failure::NotFound);
    }
    audit(
        state,
        Some(auth),
        what,
        "custody",
        Some(sample.to_owned()),
        CLASSIFICATION,
        &why,
        AuditOutcome::Success,
        json!({ "n_events": chain.len() }),
    )
    .await?;
    Ok(chain)
}

/// `GET /api/v1/custody/samples/{sample}`: the chain of the sample and its
/// aliquots, in log order.
pub(crate) async fn chain<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(sample): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Json<Value>, ApiError> {
    let chain = readable_chain(
        &state,
        &auth,
        &headers,
        &sample,
        query.justification.as_deref(),
        "custody.read",
    )
    .await?;
    let view = ChainView {
        sample: sample.clone(),
        events: chain_events(&chain),
    };
    Ok(Json(serde_json::to_value(view).unwrap_or(Value::Null)))
}

fn chain_events(chain: &[(u64, Vec<u8>)]) -> Vec<ChainEvent> {
    chain
        .iter()
        .filter_map(|(leaf_index, bytes)| match Entry::decode(bytes) {
            Ok(Entry::CustodyV1(signed)) => Some(ChainEvent {
                leaf_index: *leaf_index,
                leaf_hash: merkle::leaf_hash(bytes),
                sample: signed.event.sample.clone(),
                action: signed.event.action.name(),
                time: signed.event.time,
                time_utc: custody::format_utc(signed.event.time),
                actor: signed.event.actor.clone(),
                signed,
            }),
            _ => None,
        })
        .collect()
}

/// `GET /api/v1/custody/samples/{sample}/bundle`: a custody bundle with a
/// checkpoint over the current tree size signed by the portal's log key.
/// Actor keys are not in the bundle (the portal keeps no key registry
/// yet): the verifier supplies them as trusted keys.
pub(crate) async fn bundle<S: Store>(
    State(state): State<AppState<S>>,
    ApiAuth(auth): ApiAuth,
    headers: HeaderMap,
    Path(sample): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    let chain = readable_chain(
        &state,
        &auth,
        &headers,
        &sample,
        query.justification.as_deref(),
        "custody.bundle",
    )
    .await?;
    let bundle = assemble_bundle(
        &state.store,
        &sample,
        chain,
        &state.config.log_origin,
        &state.config.log_key,
    )
    .await?;
    let filename = format!(
        "attachment; filename=\"custody-{}.json\"",
        sample
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            })
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        bundle.to_json(),
    )
        .into_response())
}

/// The custody bundle of `sample` (and its aliquots) from `store`, or
/// `None` when the sample has no event: a checkpoint over the current
/// tree size signed with `log_key` (stored unless one for that size is
/// already the latest), each event with its inclusion proof in that tree,
/// and the log key. The portal's download and `bwcv custody export` both
/// use this. Actor keys are not included (no key registry yet).
pub async fn export_bundle<S: Store>(
    store: &S,
    sample: &str,
    origin: &str,
    log_key: &SignerKey,
) -> Result<Option<Bundle>, Failure> {
    let all = custody_entries_of(store).await?;
    let chain = custody::select_chain(
        sample,
        all.iter().map(|(index, bytes)| (*index, bytes.as_slice())),
    );
    if chain.is_empty() {
        return Ok(None);
    }
    assemble_bundle(store, sample, chain, origin, log_key)
        .await
        .map(Some)
}

async fn assemble_bundle<S: Store>(
    store: &S,
    sample: &str,
    chain: Vec<(u64, Vec<u8>)>,
    origin: &str,
    log_key: &SignerKey,
) -> Result<Bundle, Failure> {
    let size = store.ledger_size().await?;
    let root = store.ledger_root(size).await?;
    let signed = SignedCheckpoint::sign(Checkpoint::new(origin, size, root), log_key)
        .map_err(|e| Failure::Internal(format!("signing checkpoint: {e}")))?;
    let note = signed.to_text();
    let latest = store.latest_checkpoint().await?;
    if latest.is_none_or(|c| c.size != size) {
        store
            .put_checkpoint(NewCheckpoint {
                size,
                root,
                note: note.clone(),
                created_at: Utc::now(),
            })
            .await?;
    }
    let mut events = Vec::with_capacity(chain.len());
    for (leaf_index, bytes) in chain {
        let inclusion_proof = store.ledger_inclusion_proof(leaf_index, size).await?;
        let entry = String::from_utf8(bytes)
            .map_err(|_| Failure::Internal(format!("ledger entry {leaf_index} is not UTF-8")))?;
        events.push(LoggedEntry {
            leaf_index,
            entry,
            tree_size: size,
            inclusion_proof,
        });
    }
    Ok(Bundle::assemble(
        sample,
        origin,
        events,
        vec![BundleCheckpoint {
            source: "portal".to_owned(),
            note,
        }],
        vec![],
        vec![BundleKey {
            role: KeyRole::Log,
            vkey: log_key.verifier().to_string(),
            description: "the portal's ledger checkpoint key".to_owned(),
        }],
    ))
}

// ------------------------------------------------------------- the page

#[derive(askama::Template)]
#[template(path = "justify.html")]
struct JustifyPage {
    nav: Nav,
    action: String,
}

#[derive(Debug, Clone)]
struct EventRow {
    leaf_index: u64,
    time_utc: String,
    sample: String,
    action: &'static str,
    actor: String,
    details: String,
    seals: String,
}

#[derive(askama::Template)]
#[template(path = "custody.html")]
struct CustodyPage {
    nav: Nav,
    sample: String,
    events: Vec<EventRow>,
    justification: String,
}

/// Holder and details, and the seals, of one event as a person reads them.
fn describe(action: &custody::Action) -> (String, Vec<String>) {
    use custody::Action as A;
    match action {
        A::Collected {
            location,
            method,
            container,
            seals,
            photo_digests,
        } => (
            format!(
                "at {location} by {method}, container {container}, {} photo(s)",
                photo_digests.len()
            ),
            seals.clone(),
        ),
        A::Sealed { seals } => ("new seals applied".to_owned(), seals.clone()),
        A::Split { children } => (
            children
                .iter()
                .map(|c| format!("{} held by {} in {}", c.sample, c.holder, c.container))
                .collect::<Vec<_>>()
                .join("; "),
            children.iter().flat_map(|c| c.seals.clone()).collect(),
        ),
        A::Transferred {
            to,
            carrier,
            seals_checked,
        } => (format!("to {to} via {carrier}"), seals_checked.clone()),
        A::Received {
            from,
            seals_intact,
            seals_observed,
            note,
        } => (
            format!(
                "from {from}; seals {}{}{note}",
                if *seals_intact { "intact" } else { "BROKEN" },
                if note.is_empty() { "" } else { "; " }
            ),
            seals_observed.clone(),
        ),
        A::Analysed {
            laboratory,
            method,
            report_digest,
        } => (
            format!(
                "at {laboratory} by {method}{}",
                report_digest.map_or_else(String::new, |d| format!(", report {}", d.to_hex()))
            ),
            vec![],
        ),
        A::Stored { location } => (format!("at {location}"), vec![]),
        A::Consumed { note } => (note.clone(), vec![]),
        A::Destroyed { method, note } => (format!("by {method}; {note}"), vec![]),
    }
}

/// `GET /custody/{sample}`: the chain as a table, with the bundle download.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(sample): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Response, WebError> {
    let chain = match readable_chain(
        &state,
        &auth,
        &headers,
        &sample,
        query.justification.as_deref(),
        "custody.read",
    )
    .await
    {
        Ok(chain) => chain,
        Err(Failure::JustificationRequired) => {
            return render(&JustifyPage {
                nav: Nav::of(&auth),
                action: format!("/custody/{sample}"),
            });
        }
        Err(failure) => return Err(WebError(failure)),
    };
    let events = chain_events(&chain)
        .into_iter()
        .map(|e| {
            let (details, seals) = describe(&e.signed.event.action);
            EventRow {
                leaf_index: e.leaf_index,
                time_utc: e.time_utc,
                sample: e.sample,
                action: e.action,
                actor: e.actor,
                details,
                seals: seals.join(", "),
            }
        })
        .collect();
    render(&CustodyPage {
        nav: Nav::of(&auth),
        sample,
        events,
        justification: justification(&headers, query.justification.as_deref()).unwrap_or_default(),
    })
}
