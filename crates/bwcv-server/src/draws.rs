//! The publication pages of the yearly transparency-visit draw (issue 5,
//! "Verifiable random selection"; `bwcv_cases::draw`).
//!
//! - `GET /draws`, `GET /draws/{draw_id}`: public, anonymous visitors
//!   included. They show exactly what the published record holds (the
//!   announcement with its rules, pool of facility identifiers and their
//!   declaration form, the pool digest, the history the facility cap looks
//!   back on, the future randomness sources; then the beacon values with
//!   their check against the pinned drand key, the selection and the
//!   verification instructions) and nothing else.
//! - `GET /draws/{draw_id}/announcement.json` and `/record.json`: the
//!   files `bwcv draw run --announcement` and `bwcv draw verify` read, byte
//!   for byte as the CLI writes them.
//! - `POST /draws` (announce) and `POST /draws/{draw_id}/run`: Secretariat
//!   analysts only, CSRF-checked, with a justification; each goes through
//!   `announce_draw` / `record_draw_result`, which append the ledger entry
//!   and the audit record in the same transaction.
//!
//! The pool is built from the declared facilities of every State Party's
//! latest final CBM return (reporting year before the draw's year), through
//! `bwcv_declare::Submission::facilities`: a facility declared in several
//! forms counts once, under the first form in Form 0 order (A part 1,
//! A part 2 (iii), G). Every final return counts whatever its
//! classification (the draw must not depend on who runs it); only the
//! facility identifier and form are taken, and reading a Protected or
//! Highly Protected return for this is audited with the announcement's
//! justification.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use bwcv_cases::drand::{self, QUICKNET_CHAIN_HASH, QUICKNET_PUBLIC_KEY};
use bwcv_cases::draw::{
    self, BeaconValue, DrawAnnouncement, DrawRecord, DrawRules, ExclusionReason, PastSelection,
    PoolEntry, RandomnessSource, TypeWeight,
};
use bwcv_cases::rfc3797::Number;
use bwcv_core::Classification;
use bwcv_core::access::{self, Action, RecordKind, RecordMeta, Stage};
use bwcv_core::params::ParameterSet;
use bwcv_declare::Submission;
pub use bwcv_ledger::entry::CaseEntryKind as LedgerEntryKind;
use bwcv_store::cases::{DrawRecord as StoredDraw, NewDraw};
use bwcv_store::{
    AuditOutcome, DeclarationFilter, DeclarationStatus, NewAuditRecord, NewLedgerEntry, Store, User,
};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Timelike, Utc};

use crate::AppState;
use crate::auth::{Auth, MaybeAuth, WebAuth};
use crate::error::{Failure, WebError};
use crate::pages::{Nav, justification, new_audit, render};

/// Largest draw identifier accepted, characters.
const MAX_DRAW_ID_CHARS: usize = 40;

// ------------------------------------------------------------ pure parts

/// The pool of a draw from the final returns it is built on: every
/// declared facility once, under the first form that declares it.
pub fn pool_from_submissions<'a>(
    submissions: impl IntoIterator<Item = &'a Submission>,
) -> Vec<PoolEntry> {
    let mut pool: BTreeMap<bwcv_core::FacilityId, String> = BTreeMap::new();
    for submission in submissions {
        for (measure, facility, _name) in submission.facilities() {
            pool.entry(facility.clone())
                .or_insert_with(|| measure.key().to_owned());
        }
    }
    pool.into_iter()
        .map(|(facility, declaration_type)| PoolEntry {
            facility,
            declaration_type,
        })
        .collect()
}

/// The selections of earlier published draws, for the facility cap.
pub fn history_from_draws(draws: &[StoredDraw]) -> Vec<PastSelection> {
    let mut history = Vec::new();
    for stored in draws {
        let Some(record) = stored_record(stored) else {
            continue;
        };
        for pick in &record.result.picks {
            history.push(PastSelection {
                year: record.announcement.year,
                facility: pick.facility.clone(),
            });
        }
    }
    history
}

/// The draw record of a run draw, if it parses.
fn stored_record(stored: &StoredDraw) -> Option<DrawRecord> {
    serde_json::from_str(stored.result_json.as_deref()?).ok()
}

fn stored_announcement(stored: &StoredDraw) -> Result<DrawAnnouncement, Failure> {
    serde_json::from_str(&stored.announcement_json).map_err(|error| {
        Failure::Internal(format!(
            "stored announcement of {} does not parse: {error}",
            stored.draw_id
        ))
    })
}

/// The file as `bwcv draw` writes it: pretty JSON and a final newline.
fn cli_file<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| Failure::Internal(format!("serialising draw file: {error}")))?;
    text.push('\n');
    Ok(text)
}

/// The `case-event/v2` ledger entry (crates/bwcv-ledger/FORMAT.md) of one
/// stored case or draw entry: `entry_kind` what is stored, `step` the step
/// as the workflow names it, `body` the exact stored body (its SHA-256 is
/// the entry's `body_sha256`). For a draw, `case_id` is the draw id and the
/// states are `none → announced → run`. Every case, vote, decision and draw
/// write goes through here, so the ledger has one convention.
#[allow(clippy::too_many_arguments)]
pub fn case_event_entry(
    case_id: &str,
    entry_kind: LedgerEntryKind,
    step: &str,
    body: &str,
    from_state: &str,
    to_state: &str,
    actor: &str,
    justification: &str,
    at: DateTime<Utc>,
) -> NewLedgerEntry {
    let entry = bwcv_ledger::entry::Entry::CaseEventV2(bwcv_ledger::entry::CaseEventV2 {
        case_id: case_id.to_owned(),
        entry_kind,
        step: step.to_owned(),
        from_state: from_state.to_owned(),
        to_state: to_state.to_owned(),
        actor: actor.to_owned(),
        time: at.timestamp(),
        justification_digest: bwcv_ledger::merkle::Hash::digest(justification.as_bytes()),
        body_sha256: bwcv_ledger::merkle::Hash::digest(body.as_bytes()),
    });
    NewLedgerEntry {
        kind: entry.tag().to_owned(),
        body: entry.encode(),
        sample_id: None,
        appended_at: at,
    }
}

fn draw_audit(
    actor: &User,
    action: &str,
    draw_id: &str,
    justification: &str,
    at: DateTime<Utc>,
    detail: serde_json::Value,
) -> NewAuditRecord {
    NewAuditRecord {
        at,
        actor: Some(actor.id),
        actor_role: Some(actor.role),
        action: action.to_owned(),
        object_kind: "draw".to_owned(),
        object_id: Some(draw_id.to_owned()),
        classification: Classification::Unclassified,
        justification: justification.to_owned(),
        outcome: AuditOutcome::Success,
        detail,
    }
}

/// Stores an announcement (ledger entry and audit record in the same
/// transaction). Used by the announce form, the demo and tests that
/// publish an announcement made elsewhere (e.g. by `bwcv draw announce`).
pub async fn publish_announcement<S: Store>(
    store: &S,
    announcement: &DrawAnnouncement,
    actor: &User,
    justification: &str,
) -> Result<StoredDraw, Failure> {
    announcement
        .check()
        .map_err(|error| Failure::bad_request("announcement", error.to_string()))?;
    let digest = announcement.digest();
    let at = Utc::now();
    let body = String::from_utf8(bwcv_cases::canonical::to_bytes(announcement))
        .map_err(|error| Failure::Internal(format!("announcement JSON: {error}")))?;
    let ledger = case_event_entry(
        &announcement.draw_id,
        LedgerEntryKind::DrawAnnouncement,
        "draw_announced",
        &body,
        "none",
        "announced",
        &actor.username,
        justification,
        at,
    );
    let audit = draw_audit(
        actor,
        "draw.announce",
        &announcement.draw_id,
        justification,
        at,
        serde_json::json!({
            "year": announcement.year,
            "announcement_sha256": digest,
            "pool_digest": announcement.pool_digest,
            "facilities": announcement.pool.len(),
        }),
    );
    Ok(store
        .announce_draw(
            NewDraw {
                draw_id: announcement.draw_id.clone(),
                year: announcement.year,
                announcement_json: body,
                announcement_sha256: digest,
                announced_at: at,
                announced_by: actor.id,
            },
            ledger,
            audit,
        )
        .await?)
}

/// Runs a stored draw with the beacon values (checked against the
/// announcement and, for drand, the pinned quicknet key) and stores the
/// record. A beacon that does not verify is a 400 naming the source.
pub async fn run_draw<S: Store>(
    store: &S,
    draw_id: &str,
    beacons: &[BeaconValue],
    actor: &User,
    justification: &str,
) -> Result<(StoredDraw, DrawRecord), Failure> {
    let stored = store.get_draw(draw_id).await?.ok_or(Failure::NotFound)?;
    if stored.result_json.is_some() {
        return Err(Failure::Conflict(format!(
            "draw {draw_id} has already been run; its record is published"
        )));
    }
    let announcement = stored_announcement(&stored)?;
    let record = draw::run(&announcement, beacons)
        .map_err(|error| Failure::bad_request("beacon", error.to_string()))?;
    let digest = record.digest();
    let at = Utc::now();
    let body = String::from_utf8(bwcv_cases::canonical::to_bytes(&record))
        .map_err(|error| Failure::Internal(format!("record JSON: {error}")))?;
    let ledger = case_event_entry(
        draw_id,
        LedgerEntryKind::DrawResult,
        "draw_run",
        &body,
        "announced",
        "run",
        &actor.username,
        justification,
        at,
    );
    let audit = draw_audit(
        actor,
        "draw.run",
        draw_id,
        justification,
        at,
        serde_json::json!({
            "record_sha256": digest,
            "key_string": record.result.key_string,
            "selected": record.result.picks.len(),
        }),
    );
    let stored = store
        .record_draw_result(draw_id, &body, &digest, at, actor.id, ledger, audit)
        .await?;
    Ok((stored, record))
}

/// Parses what the operator typed for one announced source: for drand the
/// signature hex, or the relay's JSON (`{"round":..,"signature":..}`); for a
/// lottery the numbers, separated by commas or spaces.
pub fn parse_beacon(
    source: &RandomnessSource,
    text: &str,
    field: &str,
) -> Result<BeaconValue, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Failure::bad_request(
            field,
            "enter the value of this source",
        ));
    }
    match source {
        RandomnessSource::Drand { round, .. } => {
            if text.starts_with('{') {
                let beacon: drand::Beacon = serde_json::from_str(text).map_err(|error| {
                    Failure::bad_request(
                        field,
                        format!("not a drand beacon (JSON with round and signature): {error}"),
                    )
                })?;
                return Ok(BeaconValue::Drand(beacon));
            }
            Ok(BeaconValue::Drand(drand::Beacon {
                round: *round,
                signature: text.to_owned(),
                randomness: None,
            }))
        }
        RandomnessSource::Lottery { .. } => {
            let numbers = text
                .split([',', ' ', ';'])
                .filter(|part| !part.trim().is_empty())
                .map(|part| {
                    Number::parse(part.trim()).map_err(|error| {
                        Failure::bad_request(field, format!("{:?}: {error}", part.trim()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(BeaconValue::Lottery { numbers })
        }
    }
}

/// Parses `TYPE=N` weights separated by commas, spaces or new lines.
pub fn parse_weights(text: &str) -> Result<Vec<TypeWeight>, Failure> {
    let mut weights = Vec::new();
    for spec in text.split([',', '\n', ' ', ';']).map(str::trim) {
        if spec.is_empty() {
            continue;
        }
        let Some((declaration_type, tickets)) = spec.split_once('=') else {
            return Err(Failure::bad_request(
                "weights",
                format!("{spec:?}: write TYPE=N, e.g. a_part_1=2"),
            ));
        };
        let tickets: u32 = tickets.trim().parse().map_err(|_| {
            Failure::bad_request("weights", format!("{spec:?}: N must be a whole number"))
        })?;
        if declaration_type.trim().is_empty() {
            return Err(Failure::bad_request(
                "weights",
                format!("{spec:?}: name the declaration type"),
            ));
        }
        weights.push(TypeWeight {
            declaration_type: declaration_type.trim().to_owned(),
            tickets,
        });
    }
    weights.sort_by(|a, b| a.declaration_type.cmp(&b.declaration_type));
    Ok(weights)
}

fn check_draw_id(draw_id: &str) -> Result<(), Failure> {
    let ok = !draw_id.is_empty()
        && draw_id.chars().count() <= MAX_DRAW_ID_CHARS
        && draw_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Failure::bad_request(
            "draw_id",
            format!(
                "the draw identifier is 1 to {MAX_DRAW_ID_CHARS} letters, digits, '-', '_' or '.'"
            ),
        ))
    }
}

/// A time from a form: RFC 3339, or `YYYY-MM-DDTHH:MM` (a
/// `datetime-local` input) read as UTC.
fn parse_time(text: &str, field: &str) -> Result<DateTime<Utc>, Failure> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(time.and_utc());
        }
    }
    Err(Failure::bad_request(
        field,
        "write the time as YYYY-MM-DDTHH:MM (UTC) or RFC 3339",
    ))
}

fn describe_source(source: &RandomnessSource) -> String {
    match source {
        RandomnessSource::Drand { chain_hash, round } => {
            let at = drand::round_time(*round).format("%Y-%m-%d %H:%M:%S UTC");
            if chain_hash.eq_ignore_ascii_case(QUICKNET_CHAIN_HASH) {
                format!("drand quicknet round {round} (published {at})")
            } else {
                format!("drand chain {chain_hash} round {round} (published {at})")
            }
        }
        RandomnessSource::Lottery {
            name,
            draw_date,
            numbers,
        } => format!(
            "lottery {name}, draw of {} ({numbers} numbers)",
            draw_date.format("%Y-%m-%d %H:%M UTC")
        ),
    }
}

/// What the access rules see of a draw: a public, Unclassified record
/// (`bwcv_core::access`, "Draws").
fn draw_meta(draw_id: &str) -> RecordMeta {
    RecordMeta {
        id: draw_id.to_owned(),
        kind: RecordKind::Draw,
        owner: None,
        classification: Classification::Unclassified,
        visibility: bwcv_core::Visibility::Public,
        stage: Stage::Final,
    }
}

/// Whether the access rules let `auth` do `action` to draw `draw_id`
/// (announce: `Create`; run: `Change`).
fn may(auth: Option<&Auth>, action: Action, draw_id: &str) -> bool {
    auth.is_some_and(|auth| {
        access::decide(
            &auth.principal(),
            action,
            &draw_meta(draw_id),
            &[],
            Utc::now().timestamp(),
        )
        .is_allowed()
    })
}

/// Announcing and running draws is the Secretariat's function (issue 5:
/// the Secretariat publishes the draw; anyone verifies it), as the access
/// rules decide for [`RecordKind::Draw`].
fn require(auth: &Auth, action: Action, draw_id: &str) -> Result<(), Failure> {
    if may(Some(auth), action, draw_id) {
        Ok(())
    } else {
        Err(Failure::Forbidden(
            "only a Secretariat analyst announces or runs a draw".into(),
        ))
    }
}

// ------------------------------------------------------------ templates

#[derive(Debug, Clone)]
struct DrawRow {
    draw_id: String,
    year: i32,
    announced_at: String,
    status: String,
    selected: String,
}

#[derive(Template)]
#[template(path = "draws.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<DrawRow>,
    can_announce: bool,
    default_year: i32,
    default_drand_at: String,
    lead_days: u32,
    error: String,
    form_year: String,
    form_drand_at: String,
    form_weights: String,
}

#[derive(Debug, Clone)]
struct ParamRow {
    name: String,
    value: String,
    meaning: String,
}

#[derive(Debug, Clone)]
struct PoolRow {
    number: usize,
    facility: String,
    state_party: String,
    declaration_type: String,
    tickets: u32,
}

#[derive(Debug, Clone)]
struct SourceRow {
    position: usize,
    description: String,
    field: String,
    is_drand: bool,
    round: u64,
    value: String,
    check: String,
    check_ok: bool,
}

#[derive(Debug, Clone)]
struct PickRow {
    order: usize,
    facility: String,
    state_party: String,
    declaration_type: String,
    counter: u16,
    digest: String,
    tickets_remaining: u64,
    ticket: u64,
}

#[derive(Template)]
#[template(path = "draws_show.html")]
struct ShowPage {
    nav: Nav,
    draw_id: String,
    year: i32,
    announced_at: String,
    announcement_digest: String,
    announcement_ledger_index: u64,
    pool_digest: String,
    params: Vec<ParamRow>,
    parameter_set: String,
    weights: String,
    pool: Vec<PoolRow>,
    history: Vec<String>,
    sources: Vec<SourceRow>,
    run: bool,
    run_at: String,
    record_digest: String,
    result_ledger_index: String,
    key_string: String,
    picks: Vec<PickRow>,
    excluded: Vec<String>,
    capped: Vec<String>,
    differences: Vec<String>,
    instructions: String,
    can_run: bool,
    error: String,
    drand_key: String,
}

fn rule_rows(rules: &DrawRules) -> Vec<ParamRow> {
    vec![
        ParamRow {
            name: draw::PARAM_TOTAL.into(),
            value: rules.total_per_year.to_string(),
            meaning: "visits drawn this year, at most".into(),
        },
        ParamRow {
            name: draw::PARAM_MAX_PER_STATE_PARTY.into(),
            value: rules.max_per_state_party_per_year.to_string(),
            meaning: "visits per State Party this year, at most".into(),
        },
        ParamRow {
            name: draw::PARAM_MAX_PER_FACILITY.into(),
            value: rules.max_per_facility_in_window.to_string(),
            meaning: "selections of one facility within the window, at most".into(),
        },
        ParamRow {
            name: draw::PARAM_WINDOW_YEARS.into(),
            value: rules.facility_window_years.to_string(),
            meaning: "years in the facility window (this year included)".into(),
        },
        ParamRow {
            name: draw::PARAM_LEAD_DAYS.into(),
            value: rules.publication_lead_days.to_string(),
            meaning: "days between the announcement and the earliest source of randomness".into(),
        },
    ]
}

fn pick_rows(record: &DrawRecord) -> Vec<PickRow> {
    record
        .result
        .picks
        .iter()
        .map(|pick| PickRow {
            order: pick.order,
            facility: pick.facility.to_string(),
            state_party: pick.state_party.to_string(),
            declaration_type: pick.declaration_type.clone(),
            counter: pick.counter,
            digest: pick.digest_hex.clone(),
            tickets_remaining: pick.tickets_remaining,
            ticket: pick.ticket,
        })
        .collect()
}

/// The check of one entered beacon, in words.
fn beacon_check(source: &RandomnessSource, beacon: &BeaconValue) -> (String, bool) {
    match (source, beacon) {
        (RandomnessSource::Drand { chain_hash, .. }, BeaconValue::Drand(value)) => {
            match drand::verify(chain_hash, value) {
                Ok(randomness) => (
                    format!(
                        "signature verified against the pinned quicknet public key; randomness (SHA-256 of the signature) {}",
                        hex::encode(randomness)
                    ),
                    true,
                ),
                Err(error) => (error.to_string(), false),
            }
        }
        (RandomnessSource::Lottery { .. }, BeaconValue::Lottery { .. }) => (
            "lottery numbers as entered by the operator; check them against the lottery's official results".into(),
            true,
        ),
        _ => ("the value does not match the announced kind of source".into(), false),
    }
}

fn show_page(
    auth: Option<&Auth>,
    stored: &StoredDraw,
    error: String,
    entered: &BTreeMap<String, String>,
) -> Result<Response, WebError> {
    let announcement = stored_announcement(stored)?;
    let record = stored_record(stored);
    let rules = &announcement.rules;
    let pool = announcement
        .pool
        .iter()
        .enumerate()
        .map(|(index, entry)| PoolRow {
            number: index + 1,
            facility: entry.facility.to_string(),
            state_party: entry.facility.state_party().to_string(),
            declaration_type: entry.declaration_type.clone(),
            tickets: rules.tickets(&entry.declaration_type),
        })
        .collect();
    let sources = announcement
        .sources
        .iter()
        .enumerate()
        .map(|(index, source)| {
            let field = format!("beacon_{}", index + 1);
            let beacon = record.as_ref().and_then(|r| r.beacons.get(index));
            let (value, (check, check_ok)) = match beacon {
                Some(entered @ BeaconValue::Drand(value)) => (
                    format!("round {}, signature {}", value.round, value.signature),
                    beacon_check(source, entered),
                ),
                Some(lottery @ BeaconValue::Lottery { numbers }) => (
                    numbers
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    beacon_check(source, lottery),
                ),
                None => (
                    entered.get(&field).cloned().unwrap_or_default(),
                    (String::new(), false),
                ),
            };
            SourceRow {
                position: index + 1,
                description: describe_source(source),
                is_drand: matches!(source, RandomnessSource::Drand { .. }),
                round: match source {
                    RandomnessSource::Drand { round, .. } => *round,
                    RandomnessSource::Lottery { .. } => 0,
                },
                field,
                value,
                check,
                check_ok,
            }
        })
        .collect();
    let weights = if rules.weights.is_empty() {
        format!("every facility {} ticket(s)", rules.default_tickets)
    } else {
        let listed = rules
            .weights
            .iter()
            .map(|w| format!("{} = {}", w.declaration_type, w.tickets))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{listed}; any other type {}", rules.default_tickets)
    };
    let (picks, excluded, capped, differences, instructions, key_string, record_digest) =
        match &record {
            Some(record) => (
                pick_rows(record),
                record
                    .result
                    .excluded
                    .iter()
                    .map(|exclusion| match &exclusion.reason {
                        ExclusionReason::FacilityCap { count } => format!(
                            "{}: selected {count} time(s) in the window already",
                            exclusion.facility
                        ),
                        ExclusionReason::NoTickets => {
                            format!(
                                "{}: its declaration type has no tickets",
                                exclusion.facility
                            )
                        }
                    })
                    .collect(),
                record
                    .result
                    .state_parties_capped
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                draw::verify(record)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                draw::verification_instructions(record),
                record.result.key_string.clone(),
                record.digest(),
            ),
            None => (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
    render(&ShowPage {
        nav: auth.map(Nav::of).unwrap_or_default(),
        draw_id: stored.draw_id.clone(),
        year: stored.year,
        announced_at: announcement
            .announced_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        announcement_digest: stored.announcement_sha256.clone(),
        announcement_ledger_index: stored.announcement_ledger_index,
        pool_digest: announcement.pool_digest.clone(),
        params: rule_rows(rules),
        parameter_set: format!(
            "{} (digest {})",
            rules.parameter_set_version, rules.parameter_set_digest
        ),
        weights,
        pool,
        history: announcement
            .history
            .iter()
            .map(|past| format!("{} in {}", past.facility, past.year))
            .collect(),
        sources,
        run: record.is_some(),
        run_at: stored
            .run_at
            .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default(),
        record_digest,
        result_ledger_index: stored
            .result_ledger_index
            .map(|index| index.to_string())
            .unwrap_or_default(),
        key_string,
        picks,
        excluded,
        capped,
        differences,
        instructions,
        can_run: record.is_none() && may(auth, Action::Change, &stored.draw_id),
        error,
        drand_key: QUICKNET_PUBLIC_KEY.to_owned(),
    })
}

// ------------------------------------------------------------- handlers

async fn list_page<S: Store>(
    state: &AppState<S>,
    auth: Option<&Auth>,
    error: String,
    form: &BTreeMap<String, String>,
) -> Result<Response, WebError> {
    let draws = state.store.list_draws().await?;
    let rows = draws
        .iter()
        .map(|stored| {
            let record = stored_record(stored);
            DrawRow {
                draw_id: stored.draw_id.clone(),
                year: stored.year,
                announced_at: stored.announced_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                status: if record.is_some() { "run" } else { "announced" }.into(),
                selected: record
                    .map(|r| r.result.picks.len().to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let rules = DrawRules::from_params(ParameterSet::builtin())
        .map_err(|error| Failure::Internal(format!("draw rules: {error}")))?;
    let now = Utc::now();
    let suggested = (now + TimeDelta::days(i64::from(rules.publication_lead_days) + 1))
        .with_second(0)
        .unwrap_or(now);
    let year = now.format("%Y").to_string().parse::<i32>().unwrap_or(2026) + 1;
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    let mut response = render(&ListPage {
        nav: auth.map(Nav::of).unwrap_or_default(),
        rows,
        can_announce: may(auth, Action::Create, ""),
        default_year: year,
        default_drand_at: suggested.format("%Y-%m-%dT%H:%M").to_string(),
        lead_days: rules.publication_lead_days,
        error,
        form_year: field("year"),
        form_drand_at: field("drand_at"),
        form_weights: field("weights"),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /draws`: every announced draw, newest year first (public).
pub(crate) async fn list<S: Store>(
    State(state): State<AppState<S>>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, WebError> {
    list_page(&state, auth.as_ref(), String::new(), &BTreeMap::new()).await
}

/// `POST /draws`: announce the draw of a year (Secretariat).
pub(crate) async fn announce<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form: BTreeMap<String, String> = fields.into_iter().collect();
    auth.check_csrf(&headers, form.get("csrf").map(String::as_str))?;
    require(
        &auth,
        Action::Create,
        form.get("draw_id").map(String::as_str).unwrap_or(""),
    )?;
    match announce_from_form(&state, &auth, &headers, &form).await {
        Ok(draw_id) => Ok(Redirect::to(&format!("/draws/{draw_id}")).into_response()),
        Err(Failure::BadRequest { message, .. }) => {
            list_page(&state, Some(&auth), message, &form).await
        }
        Err(other) => Err(WebError(other)),
    }
}

async fn announce_from_form<S: Store>(
    state: &AppState<S>,
    auth: &Auth,
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<String, Failure> {
    let field = |name: &str| form.get(name).map_or("", |v| v.trim());
    let why = justification(headers, form.get("justification").map(String::as_str))
        .ok_or_else(|| Failure::bad_request("justification", "give the justification"))?;
    let year: i32 = field("year")
        .parse()
        .ok()
        .filter(|year| (1975..=9999).contains(year))
        .ok_or_else(|| Failure::bad_request("year", "the year is a number, e.g. 2027"))?;
    let draw_id = match field("draw_id") {
        "" => format!("TV-{year}"),
        given => given.to_owned(),
    };
    check_draw_id(&draw_id)?;
    let mut sources = Vec::new();
    match (field("drand_round"), field("drand_at")) {
        ("", "") => {}
        ("", at) => sources.push(RandomnessSource::Drand {
            chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
            round: drand::first_round_at_or_after(parse_time(at, "drand_at")?),
        }),
        (round, _) => sources.push(RandomnessSource::Drand {
            chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
            round: round
                .parse()
                .ok()
                .filter(|round| *round > 0)
                .ok_or_else(|| {
                    Failure::bad_request("drand_round", "the round is a whole number from 1")
                })?,
        }),
    }
    if !field("lottery_name").is_empty() {
        let numbers: usize = field("lottery_numbers")
            .parse()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                Failure::bad_request(
                    "lottery_numbers",
                    "how many numbers the lottery draws (1 to 100)",
                )
            })?;
        sources.push(RandomnessSource::Lottery {
            name: field("lottery_name").chars().take(200).collect(),
            draw_date: parse_time(field("lottery_at"), "lottery_at")?,
            numbers,
        });
    }
    if sources.is_empty() {
        return Err(Failure::bad_request(
            "drand_at",
            "name at least one future source of randomness (a drand round or time, or a lottery)",
        ));
    }
    if state.store.get_draw(&draw_id).await?.is_some() {
        return Err(Failure::bad_request(
            "draw_id",
            format!("draw {draw_id} is already announced"),
        ));
    }
    let mut rules = DrawRules::from_params(ParameterSet::builtin())
        .map_err(|error| Failure::Internal(format!("draw rules: {error}")))?;
    rules.weights = parse_weights(field("weights"))?;
    // The pool: each State Party's latest final return before the year.
    let mut latest: BTreeMap<String, bwcv_store::DeclarationRecord> = BTreeMap::new();
    for record in state
        .store
        .list_declarations(DeclarationFilter::default())
        .await?
    {
        if record.status == DeclarationStatus::Draft || record.reporting_year >= year {
            continue;
        }
        let key = record.state_party.to_string();
        let newer = latest
            .get(&key)
            .is_none_or(|kept| (record.reporting_year, record.id) > (kept.reporting_year, kept.id));
        if newer {
            latest.insert(key, record);
        }
    }
    let mut submissions = Vec::new();
    for record in latest.values() {
        if let Ok(submission) = serde_json::from_value::<Submission>(record.body.clone()) {
            submissions.push(submission);
        }
        if bwcv_core::access::requires_audit(bwcv_core::access::Action::Read, record.classification)
        {
            state
                .store
                .append_audit(new_audit(
                    Some(auth),
                    "declaration.read",
                    "declaration",
                    Some(record.id.to_string()),
                    record.classification,
                    &why,
                    AuditOutcome::Success,
                    serde_json::json!({"purpose": "facility identifiers for the draw pool", "draw_id": draw_id}),
                ))
                .await?;
        }
    }
    let pool = pool_from_submissions(&submissions);
    let history = history_from_draws(&state.store.list_draws().await?);
    let announced_at = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
    let announcement =
        DrawAnnouncement::new(&draw_id, year, announced_at, rules, pool, history, sources)
            .map_err(|error| Failure::bad_request("announcement", error.to_string()))?;
    publish_announcement(&state.store, &announcement, &auth.user, &why).await?;
    Ok(draw_id)
}

/// `GET /draws/{draw_id}`: the publication page (public).
pub(crate) async fn show<S: Store>(
    State(state): State<AppState<S>>,
    MaybeAuth(auth): MaybeAuth,
    Path(draw_id): Path<String>,
) -> Result<Response, WebError> {
    check_draw_id(&draw_id).map_err(|_| Failure::NotFound)?;
    let stored = state
        .store
        .get_draw(&draw_id)
        .await?
        .ok_or(Failure::NotFound)?;
    show_page(auth.as_ref(), &stored, String::new(), &BTreeMap::new())
}

/// `POST /draws/{draw_id}/run`: enter the beacon values and run the draw
/// (Secretariat).
pub(crate) async fn run<S: Store>(
    State(state): State<AppState<S>>,
    WebAuth(auth): WebAuth,
    headers: HeaderMap,
    Path(draw_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form: BTreeMap<String, String> = fields.into_iter().collect();
    auth.check_csrf(&headers, form.get("csrf").map(String::as_str))?;
    require(&auth, Action::Change, &draw_id)?;
    check_draw_id(&draw_id).map_err(|_| Failure::NotFound)?;
    let stored = state
        .store
        .get_draw(&draw_id)
        .await?
        .ok_or(Failure::NotFound)?;
    let outcome = async {
        let why = justification(&headers, form.get("justification").map(String::as_str))
            .ok_or_else(|| Failure::bad_request("justification", "give the justification"))?;
        let announcement = stored_announcement(&stored)?;
        let beacons = announcement
            .sources
            .iter()
            .enumerate()
            .map(|(index, source)| {
                let field = format!("beacon_{}", index + 1);
                parse_beacon(source, form.get(&field).map_or("", String::as_str), &field)
            })
            .collect::<Result<Vec<_>, _>>()?;
        run_draw(&state.store, &draw_id, &beacons, &auth.user, &why).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/draws/{draw_id}")).into_response()),
        Err(Failure::BadRequest { message, .. }) => {
            let mut response = show_page(Some(&auth), &stored, message, &form)?;
            *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(other) => Err(WebError(other)),
    }
}

fn json_download(text: String, filename: &str) -> Response {
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /draws/{draw_id}/record.json`: the draw record `bwcv draw verify`
/// checks, as `bwcv draw run` writes it (public; 404 before the run).
pub(crate) async fn record_json<S: Store>(
    State(state): State<AppState<S>>,
    Path(draw_id): Path<String>,
) -> Result<Response, WebError> {
    check_draw_id(&draw_id).map_err(|_| Failure::NotFound)?;
    let stored = state
        .store
        .get_draw(&draw_id)
        .await?
        .ok_or(Failure::NotFound)?;
    let record = stored_record(&stored).ok_or(Failure::NotFound)?;
    Ok(json_download(
        cli_file(&record)?,
        &format!("{draw_id}-record.json"),
    ))
}

/// `GET /draws/{draw_id}/announcement.json`: the announcement as
/// `bwcv draw announce` writes it (public).
pub(crate) async fn announcement_json<S: Store>(
    State(state): State<AppState<S>>,
    Path(draw_id): Path<String>,
) -> Result<Response, WebError> {
    check_draw_id(&draw_id).map_err(|_| Failure::NotFound)?;
    let stored = state
        .store
        .get_draw(&draw_id)
        .await?
        .ok_or(Failure::NotFound)?;
    let announcement = stored_announcement(&stored)?;
    Ok(json_download(
        cli_file(&announcement)?,
        &format!("{draw_id}-announcement.json"),
    ))
}

/// One draw as `GET /api/v1/draws` lists it.
#[derive(Debug, serde::Serialize)]
struct ApiDraw {
    draw_id: String,
    year: i32,
    announced_at: DateTime<Utc>,
    announcement_sha256: String,
    announcement_ledger_index: u64,
    announcement: serde_json::Value,
    run_at: Option<DateTime<Utc>>,
    record_sha256: Option<String>,
    result_ledger_index: Option<u64>,
    /// The draw record `bwcv draw verify` checks (`null` before the run).
    record: Option<serde_json::Value>,
}

/// `GET /api/v1/draws`: every draw with its announcement and, once run,
/// its record (public, like the pages).
pub(crate) async fn api_list<S: Store>(
    State(state): State<AppState<S>>,
) -> Result<Response, crate::error::ApiError> {
    let parse = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|error| Failure::Internal(format!("stored draw JSON: {error}")))
    };
    let mut draws = Vec::new();
    for stored in state.store.list_draws().await? {
        draws.push(ApiDraw {
            announcement: parse(&stored.announcement_json)?,
            record: stored.result_json.as_deref().map(parse).transpose()?,
            draw_id: stored.draw_id,
            year: stored.year,
            announced_at: stored.announced_at,
            announcement_sha256: stored.announcement_sha256,
            announcement_ledger_index: stored.announcement_ledger_index,
            run_at: stored.run_at,
            record_sha256: stored.result_sha256,
            result_ledger_index: stored.result_ledger_index,
        });
    }
    Ok(axum::Json(serde_json::json!({ "draws": draws })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_refuse_cleanly() {
        let weights = parse_weights("g=1, a_part_1=2\n").unwrap();
        assert_eq!(weights.len(), 2);
        assert_eq!(weights[0].declaration_type, "a_part_1");
        assert!(parse_weights("").unwrap().is_empty());
        for bad in ["a_part_1", "a=x", "=2", "a=-1"] {
            assert!(parse_weights(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn draw_ids_are_checked() {
        assert!(check_draw_id("TV-2027").is_ok());
        for bad in ["", "a/b", "x y", &"x".repeat(41)] {
            assert!(check_draw_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_from_forms() {
        assert!(parse_time("2027-01-15T12:00", "t").is_ok());
        assert!(parse_time("2027-01-15T12:00:00Z", "t").is_ok());
        assert!(parse_time("tomorrow", "t").is_err());
    }

    #[test]
    fn beacons_from_forms() {
        let drand_source = RandomnessSource::Drand {
            chain_hash: QUICKNET_CHAIN_HASH.into(),
            round: 1000,
        };
        let BeaconValue::Drand(beacon) = parse_beacon(&drand_source, " abcd ", "b").unwrap() else {
            panic!("not drand");
        };
        assert_eq!((beacon.round, beacon.signature.as_str()), (1000, "abcd"));
        assert!(parse_beacon(&drand_source, "{\"round\": 5}", "b").is_err());
        assert!(parse_beacon(&drand_source, "", "b").is_err());
        let lottery = RandomnessSource::Lottery {
            name: "L".into(),
            draw_date: Utc::now(),
            numbers: 3,
        };
        let BeaconValue::Lottery { numbers } = parse_beacon(&lottery, "17, 3 42", "b").unwrap()
        else {
            panic!("not lottery");
        };
        assert_eq!(numbers.len(), 3);
        assert!(parse_beacon(&lottery, "x", "b").is_err());
    }
}
