//! Canonical serialisation of the records this crate produces.
//!
//! Every record is a struct or enum with a fixed field order and no maps, so
//! `serde_json`'s compact output is deterministic: the same value always
//! gives the same bytes. Timestamps are chrono's RFC 3339 UTC form.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The canonical bytes of `value`: compact JSON.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising these plain data types cannot fail (no maps with
    // non-string keys, no custom serialisers that error).
    serde_json::to_vec(value).unwrap_or_default()
}

/// Hex SHA-256 of [`to_bytes`].
pub fn digest<T: Serialize + ?Sized>(value: &T) -> String {
    hex::encode(Sha256::digest(to_bytes(value)))
}
