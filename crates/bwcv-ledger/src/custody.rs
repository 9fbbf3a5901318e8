//! The chain of custody of a sample: signed lifecycle events, appended to
//! the log as `custody/v1` entries, and [`verify`], which checks a whole
//! chain and lists every break with the event and the reason.
//!
//! The report is a list of findings; it never states a conclusion about
//! anyone's conduct.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, ConsistencyEvidence, Observation};
use crate::entry::{self, Entry};
use crate::merkle::{self, Hash};
use crate::note::{NoteError, SignerKey, VerifierKey};

/// Domain separation of custody-event signatures.
pub const SIGNATURE_CONTEXT: &[u8] = b"bwcv custody/v1 event\n";

/// A child sample made by a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aliquot {
    /// The child's sample identifier.
    pub sample: String,
    /// Who holds the child after the split (key name; e.g. the inspected
    /// State Party's representative keeping its split).
    pub holder: String,
    pub container: String,
    pub seals: Vec<String>,
}

/// What happened to the sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Taken at the site: where, how, in which container under which seals,
    /// with digests of the photographs.
    Collected {
        location: String,
        method: String,
        container: String,
        seals: Vec<String>,
        photo_digests: Vec<Hash>,
    },
    /// New seals applied.
    Sealed { seals: Vec<String> },
    /// Divided into aliquots; the parent keeps its own chain.
    Split { children: Vec<Aliquot> },
    /// Handed over to `to` (key name) via `carrier`; the seals checked
    /// intact at handover.
    Transferred {
        to: String,
        carrier: String,
        seals_checked: Vec<String>,
    },
    /// Taken over from `from`; the seals observed and whether they were intact.
    Received {
        from: String,
        seals_intact: bool,
        seals_observed: Vec<String>,
        note: String,
    },
    /// Analysed at `laboratory` by `method`.
    Analysed {
        laboratory: String,
        method: String,
        report_digest: Option<Hash>,
    },
    /// Put into storage.
    Stored { location: String },
    /// Used up by analysis.
    Consumed { note: String },
    /// Destroyed.
    Destroyed { method: String, note: String },
}

impl Action {
    /// Short name, as in the JSON `kind` member.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Collected { .. } => "collected",
            Action::Sealed { .. } => "sealed",
            Action::Split { .. } => "split",
            Action::Transferred { .. } => "transferred",
            Action::Received { .. } => "received",
            Action::Analysed { .. } => "analysed",
            Action::Stored { .. } => "stored",
            Action::Consumed { .. } => "consumed",
            Action::Destroyed { .. } => "destroyed",
        }
    }
}

/// One lifecycle event of one sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyEvent {
    pub sample: String,
    /// POSIX seconds, UTC.
    pub time: i64,
    /// The acting person: the name of their Ed25519 key.
    pub actor: String,
    /// Leaf hash of the previous event of this sample's chain (for the
    /// first event of an aliquot: of the split); `None` only for collection.
    pub previous: Option<Hash>,
    pub action: Action,
}

/// A custody event with its actor's signature: the body of a `custody/v1`
/// entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCustodyEvent {
    pub event: CustodyEvent,
    /// Key ID of the actor's key, 8 hex digits (as in a vkey).
    pub key_id: String,
    /// Ed25519 signature, standard base64, over [`SIGNATURE_CONTEXT`] ‖
    /// canonical JSON of `event`.
    pub signature: String,
}

/// The bytes a custody signature covers.
pub fn signed_message(event: &CustodyEvent) -> Vec<u8> {
    let value = serde_json::to_value(event).unwrap_or(serde_json::Value::Null);
    let mut message = SIGNATURE_CONTEXT.to_vec();
    message.extend_from_slice(&entry::canonical::to_vec(&value).unwrap_or_default());
    message
}

/// Signing failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("event actor {actor:?} is not the key's name {key:?}")]
    ActorIsNotKey { actor: String, key: String },
}

impl SignedCustodyEvent {
    /// Signs `event` with the actor's key (its name must be the actor).
    pub fn sign(event: CustodyEvent, key: &SignerKey) -> Result<Self, SignError> {
        if event.actor != key.name() {
            return Err(SignError::ActorIsNotKey {
                actor: event.actor,
                key: key.name().to_owned(),
            });
        }
        let signature = key.sign_bytes(&signed_message(&event));
        Ok(Self {
            event,
            key_id: key.verifier().key_id_hex(),
            signature: BASE64.encode(signature),
        })
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &VerifierKey) -> Result<(), NoteError> {
        let invalid = || NoteError::InvalidSignature {
            name: key.name.clone(),
            key_id: key.key_id_hex(),
        };
        let bytes = BASE64.decode(&self.signature).map_err(|_| invalid())?;
        let signature = ed25519_dalek::Signature::from_slice(&bytes).map_err(|_| invalid())?;
        key.public_key
            .verify_strict(&signed_message(&self.event), &signature)
            .map_err(|_| invalid())
    }

    /// The ledger entry.
    pub fn to_entry(&self) -> Entry {
        Entry::CustodyV1(self.clone())
    }
}

/// An entry as logged: its bytes, position, and an inclusion proof in the
/// tree of `tree_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedEntry {
    pub leaf_index: u64,
    /// The exact entry bytes (canonical JSON text).
    pub entry: String,
    pub tree_size: u64,
    pub inclusion_proof: Vec<Hash>,
}

/// Everything [`verify`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct CustodyInputs<'a> {
    /// The sample whose chain is checked (the collected one).
    pub sample: &'a str,
    /// The sample's events and its aliquots', in log order.
    pub events: &'a [LoggedEntry],
    /// Signed checkpoints the proofs refer to (and any others seen).
    pub checkpoints: &'a [Observation],
    /// Consistency proofs between checkpoints, if any.
    pub consistency: &'a [ConsistencyEvidence],
    /// Keys of the log (type 0x01).
    pub log_keys: &'a [VerifierKey],
    /// Keys of cosigners (type 0x04).
    pub cosigner_keys: &'a [VerifierKey],
    /// Cosigners whose cosignature every checkpoint used needs.
    pub required_cosigners: &'a [String],
    /// Keys of the persons acting on samples.
    pub actor_keys: &'a [VerifierKey],
}

/// How serious a finding is for the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The chain of custody or its proof is broken here.
    Break,
    /// Worth knowing; does not break the chain.
    Warning,
}

/// Which check a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Entry,
    Signature,
    Key,
    Checkpoint,
    Cosignature,
    SplitView,
    Inclusion,
    Order,
    HashChain,
    Holder,
    Seal,
    Time,
    Aliquot,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Entry => "entry",
            Check::Signature => "signature",
            Check::Key => "key",
            Check::Checkpoint => "checkpoint",
            Check::Cosignature => "cosignature",
            Check::SplitView => "split_view",
            Check::Inclusion => "inclusion",
            Check::Order => "order",
            Check::HashChain => "hash_chain",
            Check::Holder => "holder",
            Check::Seal => "seal",
            Check::Time => "time",
            Check::Aliquot => "aliquot",
        }
    }
}

/// One finding: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: Check,
    /// Position of the event in the inputs (0-based), if about one event.
    pub event: Option<usize>,
    /// Leaf index of that event in the log.
    pub leaf_index: Option<u64>,
    /// The sample concerned.
    pub sample: Option<String>,
    pub reason: String,
    /// For split views: both signed notes and who signed each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_view: Option<Box<checkpoint::SplitView>>,
}

/// One event as understood by the verifier (for display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    pub event: usize,
    pub leaf_index: u64,
    pub sample: String,
    pub time: i64,
    /// `time` as RFC 3339 UTC, for people.
    pub time_utc: String,
    pub actor: String,
    pub action: String,
}

/// The result of [`verify`]: what was checked and every finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyReport {
    pub sample: String,
    /// Samples in the chain: the collected one and every aliquot.
    pub samples: Vec<String>,
    pub events: Vec<EventSummary>,
    /// Checkpoints whose log signature verified: (size, root, cosigners).
    pub checkpoints: Vec<CheckpointSummary>,
    /// Where each sample stands at the end of the chain as presented.
    pub final_states: Vec<SampleStatus>,
    pub findings: Vec<Finding>,
}

/// The state of one sample after its last event in the inputs. A chain can
/// be cut after any event without a break showing in a bundle alone; the
/// last event of each sample is listed here for the reader to compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleStatus {
    pub sample: String,
    pub parent: Option<String>,
    /// "held by X", "in transit from X to Y", "consumed", "destroyed".
    pub state: String,
    pub seals: Vec<String>,
    /// Events of this sample itself (a split counts for the parent).
    pub n_events: usize,
    pub last_event_time: i64,
}

/// A checkpoint whose log signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    pub source: String,
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub cosigners: Vec<String>,
}

impl CustodyReport {
    /// Number of findings of severity [`Severity::Break`].
    pub fn n_breaks(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Break)
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Holding {
    Held(String),
    InTransit { from: String, to: String },
    Ended(&'static str),
}

#[derive(Debug)]
struct SampleState {
    holding: Holding,
    seals: BTreeSet<String>,
    last_hash: Hash,
    /// The last event's bytes are not in the log (already reported): a
    /// hash-chain mismatch at the next event is a consequence, not news.
    last_not_in_log: bool,
    last_time: i64,
    n_own_events: usize,
    /// Sample it was split from, for aliquots.
    parent: Option<String>,
}

struct Verifier<'a> {
    findings: Vec<Finding>,
    inputs: &'a CustodyInputs<'a>,
}

impl Verifier<'_> {
    fn add(
        &mut self,
        severity: Severity,
        check: Check,
        event: Option<(usize, u64)>,
        sample: Option<&str>,
        reason: String,
    ) {
        self.findings.push(Finding {
            severity,
            check,
            event: event.map(|(i, _)| i),
            leaf_index: event.map(|(_, l)| l),
            sample: sample.map(str::to_owned),
            reason,
            split_view: None,
        });
    }

    fn brk(&mut self, check: Check, event: (usize, u64), sample: &str, reason: String) {
        self.add(Severity::Break, check, Some(event), Some(sample), reason);
    }

    /// Verifies every checkpoint; returns (size -> root) of those whose log
    /// signature verified and that have the required cosignatures.
    fn checkpoints(&mut self) -> (BTreeMap<u64, Hash>, Vec<CheckpointSummary>) {
        let mut usable = BTreeMap::new();
        let mut summaries = Vec::new();
        for observation in self.inputs.checkpoints {
            let signed = &observation.checkpoint;
            let size = signed.checkpoint.size;
            match signed.verify(self.inputs.log_keys, self.inputs.cosigner_keys) {
                Err(error) => self.add(
                    Severity::Break,
                    Check::Checkpoint,
                    None,
                    None,
                    format!(
                        "checkpoint of size {size} from {}: signatures: {error}",
                        observation.source
                    ),
                ),
                Ok(signers) => {
                    let cosigners: Vec<String> =
                        signers.cosigners.iter().map(|c| c.name.clone()).collect();
                    let missing: Vec<&String> = self
                        .inputs
                        .required_cosigners
                        .iter()
                        .filter(|name| !cosigners.contains(name))
                        .collect();
                    for name in &missing {
                        self.add(
                            Severity::Break,
                            Check::Cosignature,
                            None,
                            None,
                            format!(
                                "checkpoint of size {size} from {} has no valid cosignature by {name}",
                                observation.source
                            ),
                        );
                    }
                    if missing.is_empty() {
                        usable.entry(size).or_insert(signed.checkpoint.root);
                    }
                    summaries.push(CheckpointSummary {
                        source: observation.source.clone(),
                        origin: signed.checkpoint.origin.clone(),
                        size,
                        root: signed.checkpoint.root,
                        cosigners,
                    });
                }
            }
        }
        let mut all_keys: Vec<VerifierKey> = self.inputs.log_keys.to_vec();
        all_keys.extend_from_slice(self.inputs.cosigner_keys);
        for split in checkpoint::detect_split_views(
            self.inputs.checkpoints,
            self.inputs.consistency,
            &all_keys,
        ) {
            self.add(
                Severity::Break,
                Check::SplitView,
                None,
                None,
                split.to_string(),
            );
            if let Some(finding) = self.findings.last_mut() {
                finding.split_view = Some(Box::new(split.clone()));
            }
            // Neither side of a split view can anchor a proof.
            if split.first.size == split.second.size {
                usable.remove(&split.first.size);
            }
        }
        (usable, summaries)
    }
}

/// Verifies a chain of custody: signatures, inclusion of every event under a
/// signed (and, if required, cosigned) checkpoint, log order, the hash chain
/// of previous-event digests, continuity of holders, seal continuity,
/// monotonic times, and that every aliquot is accounted for.
pub fn verify(inputs: &CustodyInputs<'_>) -> CustodyReport {
    let mut v = Verifier {
        findings: Vec::new(),
        inputs,
    };
    let (roots, checkpoint_summaries) = v.checkpoints();
    let mut states: BTreeMap<String, SampleState> = BTreeMap::new();
    let mut sample_order: Vec<String> = vec![inputs.sample.to_owned()];
    let mut summaries = Vec::new();
    let mut last_leaf: Option<u64> = None;

    for (position, logged) in inputs.events.iter().enumerate() {
        let at = (position, logged.leaf_index);
        let bytes = logged.entry.as_bytes();
        let leaf = merkle::leaf_hash(bytes);

        // Inclusion under a checkpoint.
        let mut included = false;
        match roots.get(&logged.tree_size) {
            None => v.add(
                Severity::Break,
                Check::Inclusion,
                Some(at),
                None,
                format!(
                    "no verified checkpoint of tree size {} to check the inclusion proof against",
                    logged.tree_size
                ),
            ),
            Some(root) => {
                let verified = merkle::verify_inclusion(
                    &leaf,
                    logged.leaf_index,
                    logged.tree_size,
                    &logged.inclusion_proof,
                    root,
                );
                included = verified.is_ok();
                if let Err(error) = verified {
                    v.add(
                        Severity::Break,
                        Check::Inclusion,
                        Some(at),
                        None,
                        format!(
                            "entry is not in the log at leaf {} of the checkpoint of size {}: {error}",
                            logged.leaf_index, logged.tree_size
                        ),
                    );
                }
            }
        }
        // Log order.
        if let Some(previous) = last_leaf {
            if logged.leaf_index <= previous {
                v.add(
                    Severity::Break,
                    Check::Order,
                    Some(at),
                    None,
                    format!(
                        "leaf index {} does not come after the previous event's leaf {previous}: events out of log order",
                        logged.leaf_index
                    ),
                );
            }
        }
        last_leaf = Some(last_leaf.map_or(logged.leaf_index, |p| p.max(logged.leaf_index)));

        // Decoding.
        let signed = match Entry::decode(bytes) {
            Ok(Entry::CustodyV1(signed)) => signed,
            Ok(other) => {
                v.add(
                    Severity::Break,
                    Check::Entry,
                    Some(at),
                    None,
                    format!("entry of type {} is not a custody event", other.tag()),
                );
                continue;
            }
            Err(error) => {
                v.add(
                    Severity::Break,
                    Check::Entry,
                    Some(at),
                    None,
                    format!("entry cannot be read: {error}"),
                );
                continue;
            }
        };
        let event = &signed.event;
        let sample = event.sample.as_str();
        summaries.push(EventSummary {
            event: position,
            leaf_index: logged.leaf_index,
            sample: sample.to_owned(),
            time: event.time,
            time_utc: format_utc(event.time),
            actor: event.actor.clone(),
            action: event.action.name().to_owned(),
        });

        // Signature.
        let key = inputs
            .actor_keys
            .iter()
            .find(|k| k.name == event.actor && k.key_id_hex() == signed.key_id);
        match key {
            None => v.brk(
                Check::Key,
                at,
                sample,
                format!(
                    "no public key for actor {} (key ID {}): the signature cannot be checked",
                    event.actor, signed.key_id
                ),
            ),
            Some(key) => {
                if signed.verify(key).is_err() {
                    v.brk(
                        Check::Signature,
                        at,
                        sample,
                        format!("the signature of {} does not verify", event.actor),
                    );
                }
            }
        }

        step(
            &mut v,
            &mut states,
            &mut sample_order,
            at,
            leaf,
            included,
            event,
        );
    }

    // Every aliquot accounted for; open transfers.
    let mut final_states = Vec::new();
    for name in &sample_order {
        let Some(state) = states.get(name) else {
            v.add(
                Severity::Break,
                Check::Aliquot,
                None,
                Some(name),
                "no custody event of this sample was found".to_owned(),
            );
            continue;
        };
        final_states.push(SampleStatus {
            sample: name.clone(),
            parent: state.parent.clone(),
            state: match &state.holding {
                Holding::Held(holder) => format!("held by {holder}"),
                Holding::InTransit { from, to } => format!("in transit from {from} to {to}"),
                Holding::Ended(how) => (*how).to_owned(),
            },
            seals: state.seals.iter().cloned().collect(),
            n_events: state.n_own_events,
            last_event_time: state.last_time,
        });
        if state.parent.is_some() && state.n_own_events == 0 {
            let holder = match &state.holding {
                Holding::Held(holder) => holder.clone(),
                _ => String::new(),
            };
            v.add(
                Severity::Break,
                Check::Aliquot,
                None,
                Some(name),
                format!(
                    "aliquot has no custody event after the split (assigned to {holder}): not accounted for"
                ),
            );
        }
        if let Holding::InTransit { from, to } = &state.holding {
            v.add(
                Severity::Warning,
                Check::Holder,
                None,
                Some(name),
                format!("in transit from {from} to {to}: no receipt recorded"),
            );
        }
    }

    CustodyReport {
        sample: inputs.sample.to_owned(),
        samples: sample_order,
        events: summaries,
        checkpoints: checkpoint_summaries,
        final_states,
        findings: v.findings,
    }
}

fn sorted(seals: &[String]) -> BTreeSet<String> {
    seals.iter().cloned().collect()
}

fn join(seals: &BTreeSet<String>) -> String {
    seals.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// Applies one decoded event to the per-sample state, recording breaks.
fn step(
    v: &mut Verifier<'_>,
    states: &mut BTreeMap<String, SampleState>,
    sample_order: &mut Vec<String>,
    at: (usize, u64),
    leaf: Hash,
    included: bool,
    event: &CustodyEvent,
) {
    let sample = event.sample.as_str();
    let actor = event.actor.as_str();

    let Some(state) = states.get_mut(sample) else {
        // The first event of a sample must be its collection (root sample).
        match &event.action {
            Action::Collected { seals, .. } if sample == v.inputs.sample => {
                if event.previous.is_some() {
                    v.brk(
                        Check::HashChain,
                        at,
                        sample,
                        "the collection event names a previous event".to_owned(),
                    );
                }
                states.insert(
                    sample.to_owned(),
                    SampleState {
                        holding: Holding::Held(actor.to_owned()),
                        seals: sorted(seals),
                        last_hash: leaf,
                        last_not_in_log: !included,
                        last_time: event.time,
                        n_own_events: 1,
                        parent: None,
                    },
                );
            }
            _ if sample == v.inputs.sample => v.brk(
                Check::HashChain,
                at,
                sample,
                format!(
                    "the first event of the sample is '{}', not its collection: earlier events are missing",
                    event.action.name()
                ),
            ),
            _ => v.brk(
                Check::Aliquot,
                at,
                sample,
                "event for a sample that is neither this sample nor one of its aliquots (was the split dropped?)"
                    .to_owned(),
            ),
        }
        return;
    };

    // Hash chain: the previous event of this sample.
    if event.previous != Some(state.last_hash) && !state.last_not_in_log {
        let named = event
            .previous
            .map_or_else(|| "none".to_owned(), |h| h.to_hex());
        v.brk(
            Check::HashChain,
            at,
            sample,
            format!(
                "previous-event digest {named} is not the preceding event of this sample ({}): an event was dropped, inserted or reordered",
                state.last_hash
            ),
        );
    }
    // Monotonic time.
    if event.time < state.last_time {
        v.brk(
            Check::Time,
            at,
            sample,
            format!(
                "time {} is earlier than the sample's previous event at {}",
                format_utc(event.time),
                format_utc(state.last_time)
            ),
        );
    }
    state.last_hash = leaf;
    state.last_not_in_log = !included;
    state.last_time = state.last_time.max(event.time);
    state.n_own_events += 1;

    // Holder continuity.
    match (&state.holding, &event.action) {
        (Holding::Ended(how), _) => {
            v.brk(
                Check::Holder,
                at,
                sample,
                format!(
                    "'{}' by {actor} after the sample was {how}",
                    event.action.name()
                ),
            );
            return;
        }
        (
            Holding::InTransit { from, to },
            Action::Received {
                from: said_from, ..
            },
        ) => {
            if actor != to {
                v.brk(
                    Check::Holder,
                    at,
                    sample,
                    format!("received by {actor}, but the transfer from {from} was to {to}"),
                );
            }
            if said_from != from {
                v.brk(
                    Check::Holder,
                    at,
                    sample,
                    format!("receipt names {said_from} as sender, but {from} transferred it"),
                );
            }
        }
        (Holding::InTransit { from, to }, action) => {
            v.brk(
                Check::Holder,
                at,
                sample,
                format!(
                    "'{}' by {actor} while the sample is in transit from {from} to {to}",
                    action.name()
                ),
            );
        }
        (Holding::Held(holder), Action::Received { .. }) => {
            v.brk(
                Check::Holder,
                at,
                sample,
                format!("received by {actor}, but no transfer is open (held by {holder})"),
            );
        }
        (Holding::Held(holder), action) => {
            if holder != actor {
                v.brk(
                    Check::Holder,
                    at,
                    sample,
                    format!(
                        "'{}' by {actor}, who does not hold the sample (held by {holder})",
                        action.name()
                    ),
                );
            }
        }
    }

    let mut new_children = Vec::new();
    match &event.action {
        Action::Collected { .. } => v.brk(
            Check::Holder,
            at,
            sample,
            "a second collection event for a sample already in custody".to_owned(),
        ),
        Action::Sealed { seals } => {
            state.seals.extend(seals.iter().cloned());
        }
        Action::Split { children } => {
            for child in children {
                new_children.push(child.clone());
            }
        }
        Action::Transferred {
            to, seals_checked, ..
        } => {
            let checked = sorted(seals_checked);
            let unchecked: BTreeSet<String> = state.seals.difference(&checked).cloned().collect();
            let unknown: BTreeSet<String> = checked.difference(&state.seals).cloned().collect();
            if !unchecked.is_empty() {
                v.brk(
                    Check::Seal,
                    at,
                    sample,
                    format!("seal(s) {} not checked at transfer", join(&unchecked)),
                );
            }
            if !unknown.is_empty() {
                v.brk(
                    Check::Seal,
                    at,
                    sample,
                    format!(
                        "seal(s) {} checked at transfer are not on record for the sample",
                        join(&unknown)
                    ),
                );
            }
            state.holding = Holding::InTransit {
                from: actor.to_owned(),
                to: to.clone(),
            };
        }
        Action::Received {
            seals_intact,
            seals_observed,
            note,
            ..
        } => {
            let observed = sorted(seals_observed);
            let missing: BTreeSet<String> = state.seals.difference(&observed).cloned().collect();
            let extra: BTreeSet<String> = observed.difference(&state.seals).cloned().collect();
            if !missing.is_empty() {
                v.brk(
                    Check::Seal,
                    at,
                    sample,
                    format!("seal(s) {} missing on receipt", join(&missing)),
                );
            }
            if !extra.is_empty() {
                v.brk(
                    Check::Seal,
                    at,
                    sample,
                    format!("unexpected seal(s) {} on receipt", join(&extra)),
                );
            }
            if !seals_intact {
                v.brk(
                    Check::Seal,
                    at,
                    sample,
                    format!("seal reported broken on receipt by {actor}: {note}"),
                );
            }
            state.seals = observed;
            state.holding = Holding::Held(actor.to_owned());
        }
        Action::Analysed { .. } | Action::Stored { .. } => {}
        Action::Consumed { .. } => state.holding = Holding::Ended("consumed"),
        Action::Destroyed { .. } => state.holding = Holding::Ended("destroyed"),
    }

    for child in new_children {
        if states.contains_key(&child.sample) || sample_order.contains(&child.sample) {
            v.brk(
                Check::Aliquot,
                at,
                sample,
                format!("aliquot {} is created twice", child.sample),
            );
            continue;
        }
        sample_order.push(child.sample.clone());
        states.insert(
            child.sample.clone(),
            SampleState {
                holding: Holding::Held(child.holder.clone()),
                seals: sorted(&child.seals),
                last_hash: leaf,
                last_not_in_log: !included,
                last_time: event.time,
                n_own_events: 0,
                parent: Some(sample.to_owned()),
            },
        );
    }
}

/// The entries of `sample`'s chain of custody and of all its aliquots
/// (transitively, through split events), in log order, from a scan of log
/// entries `(leaf_index, bytes)` in log order. Entries that are not
/// custody events, or do not decode, are skipped. This is what a portal
/// export puts in a bundle; a storage index by sample can replace the scan.
pub fn select_chain<'a, I>(sample: &str, entries: I) -> Vec<(u64, Vec<u8>)>
where
    I: IntoIterator<Item = (u64, &'a [u8])>,
{
    let mut members: BTreeSet<String> = BTreeSet::from([sample.to_owned()]);
    let mut chain = Vec::new();
    for (leaf_index, bytes) in entries {
        let Ok(Entry::CustodyV1(signed)) = Entry::decode(bytes) else {
            continue;
        };
        if !members.contains(&signed.event.sample) {
            continue;
        }
        if let Action::Split { children } = &signed.event.action {
            members.extend(children.iter().map(|c| c.sample.clone()));
        }
        chain.push((leaf_index, bytes.to_vec()));
    }
    chain
}

/// The `previous` value for the next event of `sample`: the leaf hash of
/// its last event in `chain` (as returned by [`select_chain`]), or of the
/// split that created it. `None` if the sample has no event yet.
pub fn chain_head(sample: &str, chain: &[(u64, Vec<u8>)]) -> Option<Hash> {
    chain.iter().rev().find_map(|(_, bytes)| {
        let Ok(Entry::CustodyV1(signed)) = Entry::decode(bytes) else {
            return None;
        };
        let creates = matches!(&signed.event.action, Action::Split { children } if children.iter().any(|c| c.sample == sample));
        (signed.event.sample == sample || creates).then(|| merkle::leaf_hash(bytes))
    })
}

/// POSIX seconds as RFC 3339 UTC (`2026-12-04T08:00:00Z`), proleptic
/// Gregorian calendar (days-from-civil inverse, as in Howard Hinnant's
/// `civil_from_days`).
pub fn format_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}
