//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, verifier keys
//! ("vkeys") and signer keys, plus the timestamped Ed25519 cosignature type
//! 0x04 of c2sp.org/tlog-cosignature.
//!
//! A signed note is a text ending in a newline, a blank line, and one or more
//! signature lines `— <key name> base64(key ID ‖ signature)` (em dash U+2014).
//! Parsing is strict and never panics.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Verifiers must accept at least 16 signatures (signed-note §Format); this
/// implementation accepts up to 100 and refuses more.
pub const MAX_SIGNATURES: usize = 100;

/// Em dash and space that open a signature line (signed-note §Format).
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The signature types this crate implements (signed-note §Signature types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureType {
    /// `0x01`: Ed25519 over the note text.
    Ed25519,
    /// `0x04`: timestamped Ed25519 witness cosignature (tlog-cosignature).
    CosignatureV1,
}

impl SignatureType {
    /// The identifier byte.
    pub fn byte(self) -> u8 {
        match self {
            SignatureType::Ed25519 => 0x01,
            SignatureType::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(SignatureType::Ed25519),
            0x04 => Some(SignatureType::CosignatureV1),
            _ => None,
        }
    }
}

/// Why a note, key or signature is malformed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note contains an ASCII control character (byte 0x{0:02x}) other than newline")]
    ControlCharacter(u8),
    #[error("the note is not valid UTF-8")]
    NotUtf8,
    #[error("the note has no blank line separating text and signatures")]
    NoSignatureBlock,
    #[error("the note text must be non-empty and end with a newline")]
    BadText,
    #[error("signature line {line} is malformed: {reason}")]
    BadSignatureLine { line: usize, reason: String },
    #[error("the note has {0} signatures; at most {MAX_SIGNATURES} are accepted")]
    TooManySignatures(usize),
    #[error("key name {0:?} must be non-empty and contain neither spaces nor '+'")]
    BadKeyName(String),
    #[error("verifier key {0:?} is malformed: {1}")]
    BadVerifierKey(String, String),
    #[error("signer key is malformed: {0}")]
    BadSignerKey(String),
    #[error("the signature by {name} (key ID {key_id}) does not verify")]
    InvalidSignature { name: String, key_id: String },
    #[error("no signature by a known key")]
    NoKnownSignature,
}

/// SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]
/// (signed-note §Signatures, tlog-cosignature §Format).
pub fn key_id(name: &str, signature_type: SignatureType, public_key: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([0x0A, signature_type.byte()]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Key names are non-empty and contain no Unicode spaces and no plus
/// (signed-note §Format).
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(NoteError::BadKeyName(name.to_owned()));
    }
    Ok(())
}

/// One signature line of a note, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub key_name: String,
    pub key_id: [u8; 4],
    /// The bytes after the key ID (64 for Ed25519, 8 + 64 for a cosignature).
    pub bytes: Vec<u8>,
}

impl Signature {
    /// The signature line without the final newline.
    pub fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.bytes.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.bytes);
        format!("{SIGNATURE_PREFIX}{} {}", self.key_name, BASE64.encode(raw))
    }

    fn parse_line(line_number: usize, line: &str) -> Result<Self, NoteError> {
        let bad = |reason: &str| NoteError::BadSignatureLine {
            line: line_number,
            reason: reason.to_owned(),
        };
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| bad("does not start with an em dash (U+2014) and a space"))?;
        let (name, encoded) = rest
            .split_once(' ')
            .ok_or_else(|| bad("no space between key name and signature"))?;
        check_key_name(name).map_err(|_| bad("key name is empty or contains spaces or '+'"))?;
        let raw = BASE64
            .decode(encoded)
            .map_err(|_| bad("signature is not standard base64"))?;
        if raw.len() < 5 {
            return Err(bad("signature is shorter than a key ID and one byte"));
        }
        Ok(Signature {
            key_name: name.to_owned(),
            key_id: [raw[0], raw[1], raw[2], raw[3]],
            bytes: raw[4..].to_vec(),
        })
    }

    /// The cosignature timestamp, for a type-0x04 signature.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        let bytes: [u8; 8] = self.bytes.get(..8)?.try_into().ok()?;
        Some(u64::from_be_bytes(bytes))
    }
}

/// A note: its text and signature lines (c2sp.org/signed-note §Format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<Signature>,
}

fn check_characters(text: &str) -> Result<(), NoteError> {
    match text.bytes().find(|&b| b < 0x20 && b != b'\n') {
        Some(byte) => Err(NoteError::ControlCharacter(byte)),
        None => Ok(()),
    }
}

impl Note {
    /// A note with `text` and no signatures yet. The text must be non-empty,
    /// end with a newline and contain no control character but newline.
    pub fn new(text: &str) -> Result<Self, NoteError> {
        check_characters(text)?;
        if text.is_empty() || !text.ends_with('\n') {
            return Err(NoteError::BadText);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note from bytes (must be UTF-8).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, NoteError> {
        let text = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        Self::parse(text)
    }

    /// Parses a signed note; the text is separated from the signatures by
    /// the last blank line.
    pub fn parse(message: &str) -> Result<Self, NoteError> {
        check_characters(message)?;
        let split = message.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let text = &message[..=split];
        let block = &message[split + 2..];
        if !block.ends_with('\n') {
            return Err(NoteError::BadSignatureLine {
                line: 1,
                reason: "the signature block must end with a newline".to_owned(),
            });
        }
        let lines: Vec<&str> = block[..block.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(lines.len()));
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, line)| Signature::parse_line(i + 1, line))
            .collect::<Result<Vec<_>, _>>()?;
        let mut note = Self::new(text)?;
        note.signatures = signatures;
        Ok(note)
    }

    /// The note text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Adds a signature line (no check; see [`Note::verify`]).
    pub fn push_signature(&mut self, signature: Signature) -> Result<(), NoteError> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(self.signatures.len() + 1));
        }
        self.signatures.push(signature);
        Ok(())
    }

    /// Verifies the note against the known `keys` (signed-note §Signatures):
    /// signatures from unknown keys (name and key ID not both matching) are
    /// ignored; a signature by a known key that fails rejects the whole note;
    /// if no known key signed, the note is rejected. Returns the keys that
    /// signed, in signature order.
    pub fn verify<'k>(&self, keys: &'k [VerifierKey]) -> Result<Vec<Verified<'k>>, NoteError> {
        let mut verified = Vec::new();
        for signature in &self.signatures {
            let Some(key) = keys
                .iter()
                .find(|k| k.name == signature.key_name && k.key_id == signature.key_id)
            else {
                continue;
            };
            let timestamp = key.verify_note_signature(&self.text, signature)?;
            verified.push(Verified { key, timestamp });
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }
}

impl fmt::Display for Note {
    /// The note as text: text, blank line, signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            writeln!(f, "{}", signature.line())?;
        }
        Ok(())
    }
}

/// A signature that verified: by which key, and the cosignature time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified<'k> {
    pub key: &'k VerifierKey,
    /// Seconds since the epoch, for a type-0x04 cosignature.
    pub timestamp: Option<u64>,
}

/// tlog-cosignature §Ed25519 signed message: `cosignature/v1`, `time T`,
/// then the whole note body.
pub fn cosignature_message(timestamp: u64, text: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// A public key with its name: the "vkey" text form
/// `<name>+<hex key ID>+<base64(type ‖ public key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature_type: SignatureType,
    pub public_key: VerifyingKey,
}

impl VerifierKey {
    pub fn new(
        name: &str,
        signature_type: SignatureType,
        public_key: VerifyingKey,
    ) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, signature_type, public_key.as_bytes()),
            signature_type,
            public_key,
        })
    }

    /// Parses a vkey; the key ID must match the name and key.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |reason: &str| NoteError::BadVerifierKey(text.to_owned(), reason.to_owned());
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected name+keyid+key"));
        };
        check_key_name(name).map_err(|_| bad("bad key name"))?;
        let mut id = [0u8; 4];
        if id_hex.len() != 8 || hex::decode_to_slice(id_hex, &mut id).is_err() {
            return Err(bad("the key ID must be 8 hexadecimal digits"));
        }
        let raw = BASE64
            .decode(encoded)
            .map_err(|_| bad("the key is not standard base64"))?;
        let (&type_byte, key_bytes) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let signature_type = SignatureType::from_byte(type_byte)
            .ok_or_else(|| bad("signature type must be 0x01 (Ed25519) or 0x04 (cosignature/v1)"))?;
        let key_bytes: [u8; 32] = key_bytes
            .try_into()
            .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        let public_key =
            VerifyingKey::from_bytes(&key_bytes).map_err(|_| bad("not an Ed25519 public key"))?;
        let key = Self::new(name, signature_type, public_key)?;
        if key.key_id != id {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(key)
    }

    /// The key ID as 8 lower-case hex digits.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }

    /// Checks one signature line made by this key over `text`; returns the
    /// cosignature timestamp for type 0x04.
    pub fn verify_note_signature(
        &self,
        text: &str,
        signature: &Signature,
    ) -> Result<Option<u64>, NoteError> {
        let invalid = || NoteError::InvalidSignature {
            name: self.name.clone(),
            key_id: self.key_id_hex(),
        };
        match self.signature_type {
            SignatureType::Ed25519 => {
                let sig = ed25519_dalek::Signature::from_slice(&signature.bytes)
                    .map_err(|_| invalid())?;
                self.public_key
                    .verify_strict(text.as_bytes(), &sig)
                    .map_err(|_| invalid())?;
                Ok(None)
            }
            SignatureType::CosignatureV1 => {
                if signature.bytes.len() != 8 + 64 {
                    return Err(invalid());
                }
                let timestamp = signature.cosignature_timestamp().ok_or_else(invalid)?;
                if timestamp > i64::MAX as u64 {
                    return Err(invalid());
                }
                let sig = ed25519_dalek::Signature::from_slice(&signature.bytes[8..])
                    .map_err(|_| invalid())?;
                let message = cosignature_message(timestamp, text);
                self.public_key
                    .verify_strict(message.as_bytes(), &sig)
                    .map_err(|_| invalid())?;
                Ok(Some(timestamp))
            }
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.signature_type.byte()];
        raw.extend_from_slice(self.public_key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            self.key_id_hex(),
            BASE64.encode(raw)
        )
    }
}

impl std::str::FromStr for VerifierKey {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A named Ed25519 private key that signs notes (type 0x01) or cosigns
/// checkpoints (type 0x04). Its text form is
/// `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ 32-byte seed)>`.
pub struct SignerKey {
    name: String,
    signature_type: SignatureType,
    signing_key: SigningKey,
    verifier: VerifierKey,
}

impl fmt::Debug for SignerKey {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("verifier", &self.verifier.to_string())
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    /// The key of `name` from a 32-byte Ed25519 seed (the caller draws it
    /// from a secure random source, or derives it for demos and tests).
    pub fn from_seed(
        name: &str,
        signature_type: SignatureType,
        seed: [u8; 32],
    ) -> Result<Self, NoteError> {
        let signing_key = SigningKey::from_bytes(&seed);
        let verifier = VerifierKey::new(name, signature_type, signing_key.verifying_key())?;
        Ok(Self {
            name: name.to_owned(),
            signature_type,
            signing_key,
            verifier,
        })
    }

    /// A demo/test key derived deterministically from a seed phrase and the
    /// name: never use for real evidence.
    pub fn derive_for_demo(
        name: &str,
        signature_type: SignatureType,
        seed_phrase: &str,
    ) -> Result<Self, NoteError> {
        let seed: [u8; 32] =
            Sha256::digest(format!("bwcv demo key\n{seed_phrase}\n{name}").as_bytes()).into();
        Self::from_seed(name, signature_type, seed)
    }

    /// Parses the `PRIVATE+KEY+…` text form.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |reason: &str| NoteError::BadSignerKey(reason.to_owned());
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected PRIVATE+KEY+name+keyid+key"));
        };
        let raw = BASE64
            .decode(encoded)
            .map_err(|_| bad("key is not base64"))?;
        let (&type_byte, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let signature_type =
            SignatureType::from_byte(type_byte).ok_or_else(|| bad("unknown signature type"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("the seed is 32 bytes"))?;
        let key = Self::from_seed(name, signature_type, seed)?;
        if key.verifier.key_id_hex() != id_hex {
            return Err(bad("the key ID does not match"));
        }
        Ok(key)
    }

    /// The secret text form. Handle with care.
    pub fn to_secret_text(&self) -> String {
        let mut raw = vec![self.signature_type.byte()];
        raw.extend_from_slice(&self.signing_key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            self.verifier.key_id_hex(),
            BASE64.encode(raw)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Raw Ed25519 signature of `message` (for custody events).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.signing_key.sign(message).to_bytes()
    }

    /// The signature line this key makes over `note` (the text only). For a
    /// type-0x01 key `timestamp` is ignored; a type-0x04 key signs
    /// [`cosignature_message`] with it.
    pub fn signature_for(&self, note: &Note, timestamp: u64) -> Signature {
        let bytes = match self.signature_type {
            SignatureType::Ed25519 => self.sign_bytes(note.text().as_bytes()).to_vec(),
            SignatureType::CosignatureV1 => {
                let message = cosignature_message(timestamp, note.text());
                let mut bytes = timestamp.to_be_bytes().to_vec();
                bytes.extend_from_slice(&self.sign_bytes(message.as_bytes()));
                bytes
            }
        };
        Signature {
            key_name: self.name.clone(),
            key_id: self.verifier.key_id,
            bytes,
        }
    }

    /// Adds this key's signature to `note`.
    pub fn sign(&self, note: &mut Note, timestamp: u64) -> Result<(), NoteError> {
        let signature = self.signature_for(note, timestamp);
        note.push_signature(signature)
    }
}
