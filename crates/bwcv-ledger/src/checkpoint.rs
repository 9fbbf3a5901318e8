//! C2SP tlog-checkpoints (c2sp.org/tlog-checkpoint) signed as notes,
//! tlog-cosignature/v1 cosignatures by other parties (the inspected State
//! Party, an Executive Council witness), the [`Witness`] state machine, and
//! split-view detection ([`detect_split_views`]).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::merkle::{self, Hash};
use crate::note::{Note, NoteError, SignatureType, SignerKey, VerifierKey};

/// Why a checkpoint body is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("the checkpoint has fewer than three lines (origin, tree size, root hash)")]
    TooShort,
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// The note text of a checkpoint (tlog-checkpoint §Note text): origin, tree
/// size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a checkpoint note text (ending in a newline). Strict: tree
    /// size in ASCII decimal without leading zeroes, root hash in standard
    /// base64 of 32 bytes, extension lines non-empty.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let line_error = |line: usize, reason: &str| CheckpointError::Line {
            line,
            reason: reason.to_owned(),
        };
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| line_error(1, "the checkpoint text must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooShort);
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(line_error(1, "the origin is empty"));
        }
        let size_text = lines[1];
        let digits_ok = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        if !digits_ok {
            return Err(line_error(
                2,
                "the tree size must be ASCII decimal without leading zeroes",
            ));
        }
        let size: u64 = size_text
            .parse()
            .map_err(|_| line_error(2, "the tree size does not fit in 64 bits"))?;
        let root_bytes = BASE64
            .decode(lines[2])
            .map_err(|_| line_error(3, "the root hash is not standard base64"))?;
        let root = Hash::from_slice(&root_bytes)
            .ok_or_else(|| line_error(3, "the root hash is not 32 bytes"))?;
        let mut extensions = Vec::new();
        for (i, line) in lines[3..].iter().enumerate() {
            if line.is_empty() {
                return Err(line_error(4 + i, "extension lines must be non-empty"));
            }
            extensions.push((*line).to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.0)
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// An unsigned note of this checkpoint.
    pub fn to_note(&self) -> Result<Note, CheckpointError> {
        Ok(Note::new(&self.text())?)
    }
}

/// A checkpoint as a signed note: the parsed body and the whole note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub note: Note,
}

impl SignedCheckpoint {
    /// Parses a signed checkpoint note (signatures not yet verified).
    pub fn parse(message: &str) -> Result<Self, CheckpointError> {
        let note = Note::parse(message)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(Self { checkpoint, note })
    }

    /// A checkpoint signed by the log key (tlog-checkpoint §Signatures).
    pub fn sign(checkpoint: Checkpoint, log_key: &SignerKey) -> Result<Self, CheckpointError> {
        let mut note = checkpoint.to_note()?;
        log_key.sign(&mut note, 0)?;
        Ok(Self { checkpoint, note })
    }

    /// Adds a cosignature at `timestamp` (tlog-cosignature §Format).
    pub fn cosign(&mut self, cosigner: &SignerKey, timestamp: u64) -> Result<(), CheckpointError> {
        cosigner.sign(&mut self.note, timestamp)?;
        Ok(())
    }

    /// The note text with signatures.
    pub fn to_text(&self) -> String {
        self.note.to_string()
    }

    /// Verifies the log's signature and the cosignatures it can.
    ///
    /// `log_keys` are the log's (type 0x01) keys: one must have signed.
    /// `cosigner_keys` are type-0x04 keys; each one with a signature line is
    /// checked. Returns the verified signers (log first, then cosigners).
    pub fn verify(
        &self,
        log_keys: &[VerifierKey],
        cosigner_keys: &[VerifierKey],
    ) -> Result<CheckpointSigners, NoteError> {
        let log = self.note.verify(log_keys)?;
        let mut cosigners = Vec::new();
        for signature in self.note.signatures() {
            let Some(key) = cosigner_keys
                .iter()
                .find(|k| k.name == signature.key_name && k.key_id == signature.key_id)
            else {
                continue;
            };
            let timestamp = key.verify_note_signature(self.note.text(), signature)?;
            cosigners.push(Cosigned {
                name: key.name.clone(),
                timestamp: timestamp.unwrap_or(0),
            });
        }
        Ok(CheckpointSigners {
            log: log.into_iter().map(|v| v.key.name.clone()).collect(),
            cosigners,
        })
    }

    /// Names of every signature line, verified or not.
    pub fn signature_names(&self) -> Vec<String> {
        self.note
            .signatures()
            .iter()
            .map(|s| s.key_name.clone())
            .collect()
    }
}

/// Who signed a checkpoint, after verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSigners {
    pub log: Vec<String>,
    pub cosigners: Vec<Cosigned>,
}

/// One verified cosignature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cosigned {
    pub name: String,
    /// POSIX seconds.
    pub timestamp: u64,
}

/// Why a witness refuses to cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the checkpoint is malformed: {0}")]
    Malformed(String),
    #[error("the log's signature does not verify: {0}")]
    LogSignature(String),
    #[error("origin {origin:?} is not a log this witness follows")]
    UnknownOrigin { origin: String },
    #[error(
        "rolled back: the witness already cosigned size {last_size}, this checkpoint has size {offered_size}"
    )]
    RolledBack { last_size: u64, offered_size: u64 },
    #[error(
        "split view: the witness cosigned root {cosigned} for size {size}, this checkpoint has root {offered}"
    )]
    DifferentRootSameSize {
        size: u64,
        cosigned: Hash,
        offered: Hash,
    },
    #[error("inconsistent with the last cosigned checkpoint (size {last_size}): {reason}")]
    Inconsistent { last_size: u64, reason: String },
}

/// A witness (tlog-cosignature §Ed25519 signed message semantics): it
/// cosigns a checkpoint only after verifying the log's signature and the
/// consistency with the last checkpoint it cosigned for that origin. Keeps
/// the last size and root per origin.
#[derive(Debug)]
pub struct Witness {
    key: SignerKey,
    /// Log keys by origin: which logs this witness follows.
    logs: BTreeMap<String, VerifierKey>,
    last: BTreeMap<String, (u64, Hash)>,
}

impl Witness {
    /// A witness cosigning with `key` (type 0x04).
    pub fn new(key: SignerKey) -> Self {
        Self {
            key,
            logs: BTreeMap::new(),
            last: BTreeMap::new(),
        }
    }

    /// Follow the log of `origin`, whose checkpoints `log_key` signs.
    pub fn follow(&mut self, origin: &str, log_key: VerifierKey) {
        self.logs.insert(origin.to_owned(), log_key);
    }

    /// The last cosigned (size, root) of `origin`.
    pub fn last_cosigned(&self, origin: &str) -> Option<(u64, Hash)> {
        self.last.get(origin).copied()
    }

    /// Restores the last cosigned (size, root) of `origin`, e.g. from the
    /// witness's state file. Only for state this witness produced itself.
    pub fn restore(&mut self, origin: &str, size: u64, root: Hash) {
        self.last.insert(origin.to_owned(), (size, root));
    }

    /// Every origin with its last cosigned (size, root), by origin.
    pub fn state(&self) -> impl Iterator<Item = (&str, u64, Hash)> {
        self.last
            .iter()
            .map(|(origin, (size, root))| (origin.as_str(), *size, *root))
    }

    /// The witness's verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        self.key.verifier()
    }

    /// Checks `message` (a signed checkpoint note) and, with
    /// `consistency_proof` from the last cosigned size, cosigns it at
    /// `timestamp`. Returns the checkpoint with the cosignature appended.
    pub fn cosign(
        &mut self,
        message: &str,
        consistency_proof: &[Hash],
        timestamp: u64,
    ) -> Result<SignedCheckpoint, Refusal> {
        let mut signed =
            SignedCheckpoint::parse(message).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let origin = signed.checkpoint.origin.clone();
        let log_key = self
            .logs
            .get(&origin)
            .ok_or_else(|| Refusal::UnknownOrigin {
                origin: origin.clone(),
            })?;
        signed
            .note
            .verify(std::slice::from_ref(log_key))
            .map_err(|e| Refusal::LogSignature(e.to_string()))?;
        let (size, root) = (signed.checkpoint.size, signed.checkpoint.root);
        let (last_size, last_root) = self
            .last
            .get(&origin)
            .copied()
            .unwrap_or((0, merkle::empty_root()));
        if size < last_size {
            return Err(Refusal::RolledBack {
                last_size,
                offered_size: size,
            });
        }
        if size == last_size && root != last_root {
            return Err(Refusal::DifferentRootSameSize {
                size,
                cosigned: last_root,
                offered: root,
            });
        }
        merkle::verify_consistency(last_size, size, consistency_proof, &last_root, &root).map_err(
            |e| Refusal::Inconsistent {
                last_size,
                reason: e.to_string(),
            },
        )?;
        signed
            .cosign(&self.key, timestamp)
            .map_err(|e| Refusal::Malformed(e.to_string()))?;
        self.last.insert(origin, (size, root));
        Ok(signed)
    }
}

/// A checkpoint as observed from one source (a server, a witness, a bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Where it came from, for the report.
    pub source: String,
    pub checkpoint: SignedCheckpoint,
}

/// A consistency proof offered between two observed sizes of one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyEvidence {
    pub origin: String,
    pub old_size: u64,
    pub new_size: u64,
    pub proof: Vec<Hash>,
}

/// One side of a split view: the note and who signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitSide {
    pub source: String,
    pub size: u64,
    pub root: Hash,
    /// The whole signed note.
    pub note: String,
    /// Names of the keys that verifiably signed (log and cosigners).
    pub verified_signers: Vec<String>,
    /// Names on signature lines that could not be checked (unknown keys).
    pub unverified_signers: Vec<String>,
}

/// What kind of disagreement was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SplitKind {
    /// Two different roots for one tree size.
    SameSizeDifferentRoots,
    /// A consistency proof between the two fails.
    InconsistentProof { reason: String },
}

/// Two checkpoints of one log that cannot both be true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitView {
    pub origin: String,
    #[serde(flatten)]
    pub kind: SplitKind,
    pub first: SplitSide,
    pub second: SplitSide,
}

impl fmt::Display for SplitView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            SplitKind::SameSizeDifferentRoots => "two different roots for one size".to_owned(),
            SplitKind::InconsistentProof { reason } => format!("inconsistent: {reason}"),
        };
        write!(
            f,
            "log {}: {what}: size {} root {} from {} signed by [{}] vs size {} root {} from {} signed by [{}]",
            self.origin,
            self.first.size,
            self.first.root,
            self.first.source,
            self.first.verified_signers.join(", "),
            self.second.size,
            self.second.root,
            self.second.source,
            self.second.verified_signers.join(", "),
        )
    }
}

fn side(observation: &Observation, keys: &[VerifierKey]) -> SplitSide {
    let note = &observation.checkpoint.note;
    let mut verified = Vec::new();
    let mut unverified = Vec::new();
    for signature in note.signatures() {
        let key = keys
            .iter()
            .find(|k| k.name == signature.key_name && k.key_id == signature.key_id);
        match key.map(|k| k.verify_note_signature(note.text(), signature)) {
            Some(Ok(_)) => verified.push(signature.key_name.clone()),
            _ => unverified.push(signature.key_name.clone()),
        }
    }
    SplitSide {
        source: observation.source.clone(),
        size: observation.checkpoint.checkpoint.size,
        root: observation.checkpoint.checkpoint.root,
        note: observation.checkpoint.to_text(),
        verified_signers: verified,
        unverified_signers: unverified,
    }
}

/// Finds every pair of observations of one origin that cannot both be
/// true: equal sizes with different roots, and pairs for which a supplied
/// consistency proof fails. `keys` (log and cosigner keys, any type) are
/// used to name who signed each side. Deterministic order: by origin, then
/// by position of the observations.
pub fn detect_split_views(
    observations: &[Observation],
    consistency: &[ConsistencyEvidence],
    keys: &[VerifierKey],
) -> Vec<SplitView> {
    let mut found = Vec::new();
    for (i, a) in observations.iter().enumerate() {
        for b in &observations[i + 1..] {
            let (ca, cb) = (&a.checkpoint.checkpoint, &b.checkpoint.checkpoint);
            if ca.origin != cb.origin {
                continue;
            }
            if ca.size == cb.size && ca.root != cb.root {
                found.push(SplitView {
                    origin: ca.origin.clone(),
                    kind: SplitKind::SameSizeDifferentRoots,
                    first: side(a, keys),
                    second: side(b, keys),
                });
                continue;
            }
            let (old, new, old_obs, new_obs) = if ca.size <= cb.size {
                (ca, cb, a, b)
            } else {
                (cb, ca, b, a)
            };
            for evidence in consistency.iter().filter(|e| {
                e.origin == old.origin && e.old_size == old.size && e.new_size == new.size
            }) {
                if let Err(error) = merkle::verify_consistency(
                    old.size,
                    new.size,
                    &evidence.proof,
                    &old.root,
                    &new.root,
                ) {
                    found.push(SplitView {
                        origin: old.origin.clone(),
                        kind: SplitKind::InconsistentProof {
                            reason: error.to_string(),
                        },
                        first: side(old_obs, keys),
                        second: side(new_obs, keys),
                    });
                }
            }
        }
    }
    found.sort_by(|x, y| x.origin.cmp(&y.origin));
    found
}

/// Is `key` a cosigner key (type 0x04)?
pub fn is_cosigner_key(key: &VerifierKey) -> bool {
    key.signature_type == SignatureType::CosignatureV1
}
