//! Custody bundles: one self-contained JSON file with a sample's custody
//! events (exact entry bytes), their inclusion proofs, the signed and
//! cosigned checkpoints, consistency proofs between checkpoints, and the
//! public keys, which a third party verifies offline
//! (FORMAT.md §Custody bundle).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, ConsistencyEvidence, Observation, SignedCheckpoint, Witness};
use crate::custody::{
    self, Action, Aliquot, Check, CustodyEvent, CustodyInputs, CustodyReport, Finding, LoggedEntry,
    Severity, SignedCustodyEvent,
};
use crate::entry::{AnalysisResultV1, DeclarationSubmittedV1, Entry};
use crate::merkle::{self, Hash, MemoryLog, NodeReader, ProveError};
use crate::note::{NoteError, SignatureType, SignerKey, VerifierKey};

/// The `format` member of every bundle of this version.
pub const FORMAT: &str = "bwcv-custody-bundle/v1";

/// What a key in a bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// Signs the log's checkpoints.
    Log,
    /// Cosigns checkpoints (witness, inspected State Party).
    Cosigner,
    /// A person acting on samples.
    Actor,
}

/// A public key carried in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleKey {
    pub role: KeyRole,
    /// vkey text form (`name+keyid+base64`).
    pub vkey: String,
    /// Who this is, for people reading the bundle.
    pub description: String,
}

/// A signed checkpoint note and where it was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleCheckpoint {
    pub source: String,
    /// The whole signed note text.
    pub note: String,
}

/// A consistency proof between two checkpoint sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleConsistency {
    pub old_size: u64,
    pub new_size: u64,
    pub proof: Vec<Hash>,
}

/// A custody bundle (FORMAT.md §Custody bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    /// The sample whose chain (with its aliquots) the bundle carries.
    pub sample: String,
    /// The log's origin line.
    pub origin: String,
    pub keys: Vec<BundleKey>,
    pub checkpoints: Vec<BundleCheckpoint>,
    pub consistency: Vec<BundleConsistency>,
    /// Events in log order.
    pub events: Vec<LoggedEntry>,
}

/// A bundle that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a custody bundle: {0}")]
    Json(#[from] serde_json::Error),
    #[error("bundle format {0:?} is not {FORMAT:?}")]
    Format(String),
    #[error("bundle key #{index} ({vkey:?}): {error}")]
    Key {
        index: usize,
        vkey: String,
        error: NoteError,
    },
}

/// Why a bundle cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError<E> {
    #[error(transparent)]
    Proof(#[from] ProveError<E>),
    #[error("entry at leaf {leaf_index} is not UTF-8 text (not a canonical entry)")]
    NotText { leaf_index: u64 },
}

/// Which keys the verifier trusts, and which cosigners it requires.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Trusted keys (any type). Empty: the bundle's own keys are used, with
    /// a warning in the report.
    pub trusted_keys: Vec<VerifierKey>,
    /// Names of cosigners every checkpoint used must carry.
    pub required_cosigners: Vec<String>,
}

impl Bundle {
    /// Puts the parts together (the portal's export calls this).
    pub fn assemble(
        sample: &str,
        origin: &str,
        events: Vec<LoggedEntry>,
        checkpoints: Vec<BundleCheckpoint>,
        consistency: Vec<BundleConsistency>,
        keys: Vec<BundleKey>,
    ) -> Self {
        Self {
            format: FORMAT.to_owned(),
            sample: sample.to_owned(),
            origin: origin.to_owned(),
            keys,
            checkpoints,
            consistency,
            events,
        }
    }

    /// Adds the chain's entries `(leaf_index, bytes)` (see
    /// [`custody::select_chain`]) with inclusion proofs read from `reader`
    /// for the tree of `tree_size` leaves (the size of a checkpoint in the
    /// bundle). A portal export is
    /// `Bundle::assemble(sample, origin, vec![], checkpoints, consistency, keys).with_proofs(&chain, size, &reader)`.
    pub fn with_proofs<R: NodeReader>(
        mut self,
        chain: &[(u64, Vec<u8>)],
        tree_size: u64,
        reader: &R,
    ) -> Result<Self, ExportError<R::Error>> {
        for (leaf_index, bytes) in chain {
            let inclusion_proof = merkle::prove_inclusion(reader, *leaf_index, tree_size)?;
            let entry = String::from_utf8(bytes.clone()).map_err(|_| ExportError::NotText {
                leaf_index: *leaf_index,
            })?;
            self.events.push(LoggedEntry {
                leaf_index: *leaf_index,
                entry,
                tree_size,
                inclusion_proof,
            });
        }
        Ok(self)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Parses a bundle; unknown members and formats are refused.
    pub fn from_json(text: &str) -> Result<Self, BundleError> {
        let bundle: Bundle = serde_json::from_str(text)?;
        if bundle.format != FORMAT {
            return Err(BundleError::Format(bundle.format));
        }
        Ok(bundle)
    }

    fn parsed_keys(&self) -> Result<Vec<(KeyRole, VerifierKey)>, BundleError> {
        self.keys
            .iter()
            .enumerate()
            .map(|(index, key)| {
                VerifierKey::parse(&key.vkey)
                    .map(|parsed| (key.role, parsed))
                    .map_err(|error| BundleError::Key {
                        index,
                        vkey: key.vkey.clone(),
                        error,
                    })
            })
            .collect()
    }

    /// Verifies the bundle offline (see [`custody::verify`]), after deciding
    /// which keys to use; key decisions appear as warnings in the report.
    pub fn verify(&self, trust: &Trust) -> Result<CustodyReport, BundleError> {
        let bundle_keys = self.parsed_keys()?;
        let mut notes: Vec<Finding> = Vec::new();
        let warn = |reason: String| Finding {
            severity: Severity::Warning,
            check: Check::Key,
            event: None,
            leaf_index: None,
            sample: None,
            reason,
            split_view: None,
        };
        let (log_keys, cosigner_keys, actor_keys) = if trust.trusted_keys.is_empty() {
            notes.push(warn(
                "no trusted keys were given: the bundle's own keys were used, so this shows the bundle is internally consistent, not who signed it".to_owned(),
            ));
            let by_role = |role: KeyRole| -> Vec<VerifierKey> {
                bundle_keys
                    .iter()
                    .filter(|(r, _)| *r == role)
                    .map(|(_, k)| k.clone())
                    .collect()
            };
            (
                by_role(KeyRole::Log),
                by_role(KeyRole::Cosigner),
                by_role(KeyRole::Actor),
            )
        } else {
            let trusted = &trust.trusted_keys;
            let log_keys: Vec<VerifierKey> = trusted
                .iter()
                .filter(|k| k.signature_type == SignatureType::Ed25519 && k.name == self.origin)
                .cloned()
                .collect();
            let cosigner_keys: Vec<VerifierKey> = trusted
                .iter()
                .filter(|k| k.signature_type == SignatureType::CosignatureV1)
                .cloned()
                .collect();
            let mut actor_keys: Vec<VerifierKey> = trusted
                .iter()
                .filter(|k| k.signature_type == SignatureType::Ed25519 && k.name != self.origin)
                .cloned()
                .collect();
            if log_keys.is_empty() {
                notes.push(warn(format!(
                    "no trusted key is named like the log origin {}: no checkpoint can verify",
                    self.origin
                )));
            }
            for (role, key) in &bundle_keys {
                let same_name = trusted.iter().find(|t| t.name == key.name);
                match (role, same_name) {
                    (_, Some(t)) if t == key => {}
                    (_, Some(_)) => notes.push(warn(format!(
                        "the bundle's key for {} differs from the trusted key; the trusted key was used",
                        key.name
                    ))),
                    (KeyRole::Actor, None) => {
                        notes.push(warn(format!(
                            "actor key {} was taken from the bundle (it is not among the trusted keys)",
                            key.name
                        )));
                        actor_keys.push(key.clone());
                    }
                    (_, None) => {}
                }
            }
            (log_keys, cosigner_keys, actor_keys)
        };

        let mut observations = Vec::new();
        for (index, checkpoint) in self.checkpoints.iter().enumerate() {
            match SignedCheckpoint::parse(&checkpoint.note) {
                Ok(parsed) => {
                    if parsed.checkpoint.origin != self.origin {
                        notes.push(Finding {
                            severity: Severity::Break,
                            check: Check::Checkpoint,
                            event: None,
                            leaf_index: None,
                            sample: None,
                            reason: format!(
                                "checkpoint #{index} from {} is for log {:?}, not the bundle's log {:?}",
                                checkpoint.source, parsed.checkpoint.origin, self.origin
                            ),
                            split_view: None,
                        });
                        continue;
                    }
                    observations.push(Observation {
                        source: checkpoint.source.clone(),
                        checkpoint: parsed,
                    });
                }
                Err(error) => notes.push(Finding {
                    severity: Severity::Break,
                    check: Check::Checkpoint,
                    event: None,
                    leaf_index: None,
                    sample: None,
                    reason: format!(
                        "checkpoint #{index} from {} cannot be read: {error}",
                        checkpoint.source
                    ),
                    split_view: None,
                }),
            }
        }
        let consistency: Vec<ConsistencyEvidence> = self
            .consistency
            .iter()
            .map(|c| ConsistencyEvidence {
                origin: self.origin.clone(),
                old_size: c.old_size,
                new_size: c.new_size,
                proof: c.proof.clone(),
            })
            .collect();
        let inputs = CustodyInputs {
            sample: &self.sample,
            events: &self.events,
            checkpoints: &observations,
            consistency: &consistency,
            log_keys: &log_keys,
            cosigner_keys: &cosigner_keys,
            required_cosigners: &trust.required_cosigners,
            actor_keys: &actor_keys,
        };
        let mut report = custody::verify(&inputs);
        notes.append(&mut report.findings);
        report.findings = notes;
        Ok(report)
    }
}

/// A demo bundle with the keys that made it (derived from a seed phrase;
/// never use such keys for real evidence).
#[derive(Debug)]
pub struct Demo {
    pub bundle: Bundle,
    pub log_key: SignerKey,
    pub cosigners: Vec<SignerKey>,
    /// Actor keys by name.
    pub actors: BTreeMap<String, SignerKey>,
    /// The in-memory log the bundle was cut from.
    pub log: MemoryLog,
}

impl Demo {
    /// Every public key of the demo (log, cosigners, actors).
    pub fn trusted_keys(&self) -> Vec<VerifierKey> {
        let mut keys = vec![self.log_key.verifier().clone()];
        keys.extend(self.cosigners.iter().map(|k| k.verifier().clone()));
        keys.extend(self.actors.values().map(|k| k.verifier().clone()));
        keys
    }
}

/// The demo could not be built (a bug: its inputs are fixed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("building the demo bundle: {0}")]
pub struct DemoError(pub String);

impl From<NoteError> for DemoError {
    fn from(error: NoteError) -> Self {
        DemoError(error.to_string())
    }
}

/// Names used by the demo.
pub mod demo_names {
    pub const ORIGIN: &str = "ledger.bwcv.example/demo";
    pub const SAMPLE: &str = "S-2026-0001";
    pub const INSPECTOR: &str = "inspector-1.bwcv.example";
    pub const LAB: &str = "lab-1.bwcv.example";
    pub const PARTY_REP: &str = "rep.arc.example";
    pub const PARTY_COSIGNER: &str = "arc.example/cosigner";
    pub const WITNESS: &str = "ec.bwcv.example/witness";
}

/// Builds a small realistic custody bundle in memory: a swab collected at
/// a facility of the fictional State Party ARC, split in two (one aliquot
/// kept by ARC's representative), the other carried to a laboratory,
/// received, analysed and consumed; other ledger entries interleaved; two
/// checkpoints cosigned by ARC and an Executive Council witness.
pub fn demo(seed_phrase: &str) -> Result<Demo, DemoError> {
    use demo_names::*;
    let ed = SignatureType::Ed25519;
    let co = SignatureType::CosignatureV1;
    let log_key = SignerKey::derive_for_demo(ORIGIN, ed, seed_phrase)?;
    let party_cosigner = SignerKey::derive_for_demo(PARTY_COSIGNER, co, seed_phrase)?;
    let witness_key = SignerKey::derive_for_demo(WITNESS, co, seed_phrase)?;
    let mut actors = BTreeMap::new();
    for name in [INSPECTOR, LAB, PARTY_REP] {
        actors.insert(
            name.to_owned(),
            SignerKey::derive_for_demo(name, ed, seed_phrase)?,
        );
    }
    let digest = |what: &str| Hash::digest(format!("{seed_phrase}: {what}").as_bytes());
    let aliquot_a = format!("{SAMPLE}-A");
    let aliquot_b = format!("{SAMPLE}-B");
    let t0: i64 = 1_796_371_200; // 2026-12-04T08:00:00Z

    let mut log = MemoryLog::new();
    let mut logged: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut last: BTreeMap<String, Hash> = BTreeMap::new();
    let filler = |log: &mut MemoryLog, i: i64| {
        let entry = if i % 2 == 0 {
            Entry::DeclarationSubmittedV1(DeclarationSubmittedV1 {
                state_party: "BOR".to_owned(),
                year: 2026,
                form: "cbm".to_owned(),
                submission_digest: digest(&format!("declaration {i}")),
                time: t0 - 86_400 + i,
            })
        } else {
            Entry::AnalysisResultV1(AnalysisResultV1 {
                sample: format!("S-2026-{:04}", 100 + i),
                report_digest: digest(&format!("report {i}")),
                engine: "bwcv-seq".to_owned(),
                engine_version: "0.1.0".to_owned(),
                reference_db_digest: digest("refdb"),
                parameters_digest: digest("params"),
                time: t0 - 3_600 + i,
            })
        };
        log.append(&entry.encode());
    };
    let mut add = |log: &mut MemoryLog,
                   logged: &mut Vec<(u64, Vec<u8>)>,
                   sample: &str,
                   previous_of: &str,
                   time: i64,
                   actor: &str,
                   action: Action|
     -> Result<(), DemoError> {
        let event = CustodyEvent {
            sample: sample.to_owned(),
            time,
            actor: actor.to_owned(),
            previous: last.get(previous_of).copied(),
            action,
        };
        let key = &actors[actor];
        let signed = SignedCustodyEvent::sign(event, key).map_err(|e| DemoError(e.to_string()))?;
        let bytes = signed.to_entry().encode();
        let index = log.append(&bytes);
        let leaf = crate::merkle::leaf_hash(&bytes);
        last.insert(sample.to_owned(), leaf);
        if let Action::Split { children } = &signed.event.action {
            for child in children {
                last.insert(child.sample.clone(), leaf);
            }
        }
        logged.push((index, bytes));
        Ok(())
    };

    for i in 0..5 {
        filler(&mut log, i);
    }
    add(
        &mut log,
        &mut logged,
        SAMPLE,
        SAMPLE,
        t0,
        INSPECTOR,
        Action::Collected {
            location: "ARC-F0003, building 2, room 114, bench surface".to_owned(),
            method: "dry swab, sterile, 10 cm x 10 cm template".to_owned(),
            container: "C-1001".to_owned(),
            seals: vec!["SEAL-0001".to_owned()],
            photo_digests: vec![digest("photo 1"), digest("photo 2")],
        },
    )?;
    filler(&mut log, 5);
    add(
        &mut log,
        &mut logged,
        SAMPLE,
        SAMPLE,
        t0 + 1_800,
        INSPECTOR,
        Action::Split {
            children: vec![
                Aliquot {
                    sample: aliquot_a.clone(),
                    holder: INSPECTOR.to_owned(),
                    container: "C-1002".to_owned(),
                    seals: vec!["SEAL-0002".to_owned()],
                },
                Aliquot {
                    sample: aliquot_b.clone(),
                    holder: PARTY_REP.to_owned(),
                    container: "C-1003".to_owned(),
                    seals: vec!["SEAL-0003".to_owned()],
                },
            ],
        },
    )?;
    add(
        &mut log,
        &mut logged,
        &aliquot_b,
        &aliquot_b,
        t0 + 2_400,
        PARTY_REP,
        Action::Stored {
            location: "ARC national authority, cold store 2".to_owned(),
        },
    )?;
    add(
        &mut log,
        &mut logged,
        SAMPLE,
        SAMPLE,
        t0 + 3_000,
        INSPECTOR,
        Action::Stored {
            location: "inspection team field store, locked case 7".to_owned(),
        },
    )?;
    let middle_size = log.size();
    filler(&mut log, 6);
    add(
        &mut log,
        &mut logged,
        &aliquot_a,
        &aliquot_a,
        t0 + 7_200,
        INSPECTOR,
        Action::Transferred {
            to: LAB.to_owned(),
            carrier: "Secretariat courier, consignment K-55".to_owned(),
            seals_checked: vec!["SEAL-0002".to_owned()],
        },
    )?;
    filler(&mut log, 7);
    add(
        &mut log,
        &mut logged,
        &aliquot_a,
        &aliquot_a,
        t0 + 93_600,
        LAB,
        Action::Received {
            from: INSPECTOR.to_owned(),
            seals_intact: true,
            seals_observed: vec!["SEAL-0002".to_owned()],
            note: "container and seal intact, temperature logger within range".to_owned(),
        },
    )?;
    add(
        &mut log,
        &mut logged,
        &aliquot_a,
        &aliquot_a,
        t0 + 180_000,
        LAB,
        Action::Analysed {
            laboratory: "designated laboratory 1".to_owned(),
            method: "DNA extraction, shotgun sequencing, bwcv-seq classification".to_owned(),
            report_digest: Some(digest("lab report")),
        },
    )?;
    add(
        &mut log,
        &mut logged,
        &aliquot_a,
        &aliquot_a,
        t0 + 180_060,
        LAB,
        Action::Consumed {
            note: "entire aliquot used in extraction".to_owned(),
        },
    )?;
    filler(&mut log, 8);

    // Checkpoints: the middle one, then the final one, both cosigned by a
    // witness that checks consistency.
    let size = log.size();
    let mut party_witness = Witness::new(party_cosigner);
    let mut council_witness = Witness::new(witness_key);
    let mut cosigned = Vec::new();
    for (checkpoint_size, time) in [(middle_size, t0 + 3_600), (size, t0 + 180_600)] {
        let root = log
            .root_at(checkpoint_size)
            .map_err(|e| DemoError(e.to_string()))?;
        let signed =
            SignedCheckpoint::sign(Checkpoint::new(ORIGIN, checkpoint_size, root), &log_key)
                .map_err(|e| DemoError(e.to_string()))?;
        let mut text = signed.to_text();
        for witness in [&mut party_witness, &mut council_witness] {
            witness.follow(ORIGIN, log_key.verifier().clone());
            let previous = witness.last_cosigned(ORIGIN).map_or(0, |(s, _)| s);
            let proof = log
                .consistency_proof(previous, checkpoint_size)
                .map_err(|e| DemoError(e.to_string()))?;
            text = witness
                .cosign(&text, &proof, time as u64)
                .map_err(|e| DemoError(e.to_string()))?
                .to_text();
        }
        cosigned.push(text);
    }
    let cosigner_keys = vec![
        SignerKey::derive_for_demo(PARTY_COSIGNER, co, seed_phrase)?,
        SignerKey::derive_for_demo(WITNESS, co, seed_phrase)?,
    ];

    let events = logged
        .into_iter()
        .map(|(leaf_index, bytes)| {
            let inclusion_proof = log.inclusion_proof(leaf_index, size).unwrap_or_default();
            LoggedEntry {
                leaf_index,
                entry: String::from_utf8(bytes).unwrap_or_default(),
                tree_size: size,
                inclusion_proof,
            }
        })
        .collect();
    let mut keys = vec![BundleKey {
        role: KeyRole::Log,
        vkey: log_key.verifier().to_string(),
        description: "Technical Secretariat evidence ledger (demo)".to_owned(),
    }];
    keys.push(BundleKey {
        role: KeyRole::Cosigner,
        vkey: cosigner_keys[0].verifier().to_string(),
        description: "inspected State Party ARC (fictional), cosigner".to_owned(),
    });
    keys.push(BundleKey {
        role: KeyRole::Cosigner,
        vkey: cosigner_keys[1].verifier().to_string(),
        description: "Executive Council witness (demo)".to_owned(),
    });
    for (name, description) in [
        (INSPECTOR, "inspector 1 (demo)"),
        (LAB, "designated laboratory 1 (demo)"),
        (
            PARTY_REP,
            "representative of the inspected State Party ARC (demo)",
        ),
    ] {
        keys.push(BundleKey {
            role: KeyRole::Actor,
            vkey: actors[name].verifier().to_string(),
            description: description.to_owned(),
        });
    }
    let consistency_proof = log
        .consistency_proof(middle_size, size)
        .map_err(|e| DemoError(e.to_string()))?;
    let bundle = Bundle::assemble(
        SAMPLE,
        ORIGIN,
        events,
        vec![
            BundleCheckpoint {
                source: "portal (earlier checkpoint)".to_owned(),
                note: cosigned[0].clone(),
            },
            BundleCheckpoint {
                source: "portal".to_owned(),
                note: cosigned[1].clone(),
            },
        ],
        vec![BundleConsistency {
            old_size: middle_size,
            new_size: size,
            proof: consistency_proof,
        }],
        keys,
    );
    Ok(Demo {
        bundle,
        log_key,
        cosigners: cosigner_keys,
        actors,
        log,
    })
}
