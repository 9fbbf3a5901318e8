//! Checking a drand beacon entered by an operator against the pinned public
//! key of the League of Entropy's quicknet chain.
//!
//! quicknet (scheme `bls-unchained-g1-rfc9380`): BLS12-381 signatures on G1,
//! the group public key on G2, unchained rounds. The signed message of round
//! `r` is SHA-256 of `r` as 8 big-endian bytes, hashed to G1 per RFC 9380 with
//! the domain separation tag `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`.
//! The round's randomness is SHA-256 of the 48-byte compressed signature.
//! The pairing check itself is done by the `drand-verify` crate
//! (`G2PubkeyRfc`), which implements exactly this scheme.

use chrono::{DateTime, TimeDelta, Utc};
use drand_verify::{G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Chain hash of quicknet (its `/info` `hash`).
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
/// The pinned group public key of quicknet (compressed G2, hex).
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
/// Unix time of round 1 of quicknet.
pub const QUICKNET_GENESIS_UNIX: i64 = 1_692_803_367;
/// Seconds between rounds of quicknet.
pub const QUICKNET_PERIOD_SECONDS: i64 = 3;
/// The scheme identifier quicknet publishes.
pub const QUICKNET_SCHEME: &str = "bls-unchained-g1-rfc9380";

/// Why a beacon is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrandError {
    #[error("drand chain {0:?} is not pinned; bwcv verifies quicknet ({QUICKNET_CHAIN_HASH}) only")]
    UnknownChain(String),
    #[error("round 0 does not exist; drand rounds start at 1")]
    RoundZero,
    #[error("signature is not hex: {0}")]
    SignatureNotHex(String),
    #[error("signature has {0} bytes; a quicknet signature is a 48-byte compressed G1 point")]
    SignatureLength(usize),
    #[error("signature is not a valid G1 point: {0}")]
    SignatureNotOnCurve(String),
    #[error("the signature of round {round} does not verify against the pinned quicknet key")]
    BadSignature { round: u64 },
    #[error(
        "randomness {given} is not SHA-256 of the signature (which is {expected}) for round {round}"
    )]
    RandomnessMismatch {
        round: u64,
        given: String,
        expected: String,
    },
    #[error("the pinned public key does not decode: {0}")]
    PinnedKey(String),
}

/// One drand round as published at `/public/<round>` (JSON field names as
/// drand prints them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beacon {
    pub round: u64,
    /// Hex of the 48-byte compressed G1 signature.
    pub signature: String,
    /// Hex of SHA-256(signature); optional on input, checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub randomness: Option<String>,
}

/// Verifies `beacon` against the pinned quicknet key of chain `chain_hash`
/// and returns its 32 bytes of randomness.
pub fn verify(chain_hash: &str, beacon: &Beacon) -> Result<[u8; 32], DrandError> {
    if !chain_hash.eq_ignore_ascii_case(QUICKNET_CHAIN_HASH) {
        return Err(DrandError::UnknownChain(chain_hash.to_owned()));
    }
    if beacon.round == 0 {
        return Err(DrandError::RoundZero);
    }
    let signature = hex::decode(beacon.signature.trim())
        .map_err(|error| DrandError::SignatureNotHex(error.to_string()))?;
    if signature.len() != 48 {
        return Err(DrandError::SignatureLength(signature.len()));
    }
    let key_bytes: [u8; 96] = hex::decode(QUICKNET_PUBLIC_KEY)
        .map_err(|error| DrandError::PinnedKey(error.to_string()))?
        .try_into()
        .map_err(|_| DrandError::PinnedKey("not 96 bytes".to_owned()))?;
    let public_key = G2PubkeyRfc::from_fixed(key_bytes)
        .map_err(|error| DrandError::PinnedKey(error.to_string()))?;
    let valid = public_key
        .verify(beacon.round, b"", &signature)
        .map_err(|error| DrandError::SignatureNotOnCurve(error.to_string()))?;
    if !valid {
        return Err(DrandError::BadSignature {
            round: beacon.round,
        });
    }
    let randomness: [u8; 32] = Sha256::digest(&signature).into();
    if let Some(given) = &beacon.randomness {
        let expected = hex::encode(randomness);
        if !given.trim().eq_ignore_ascii_case(&expected) {
            return Err(DrandError::RandomnessMismatch {
                round: beacon.round,
                given: given.clone(),
                expected,
            });
        }
    }
    Ok(randomness)
}

/// When quicknet publishes `round` (round 1 at genesis).
pub fn round_time(round: u64) -> DateTime<Utc> {
    let offset = i64::try_from(round.saturating_sub(1))
        .unwrap_or(i64::MAX / QUICKNET_PERIOD_SECONDS)
        .saturating_mul(QUICKNET_PERIOD_SECONDS);
    DateTime::from_timestamp(QUICKNET_GENESIS_UNIX, 0).unwrap_or_default()
        + TimeDelta::seconds(offset.min(i64::MAX / 1000))
}

/// The first quicknet round published at or after `time`.
pub fn first_round_at_or_after(time: DateTime<Utc>) -> u64 {
    let since = time.timestamp() - QUICKNET_GENESIS_UNIX;
    if since <= 0 {
        return 1;
    }
    let periods = (since + QUICKNET_PERIOD_SECONDS - 1) / QUICKNET_PERIOD_SECONDS;
    u64::try_from(periods).unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// quicknet round 123, as recorded in the test suite of the
    /// `drand-verify` crate (noislabs/drand-verify, src/verify.rs, taken from
    /// the drand HTTP API `/52db…e971/public/123`).
    pub(crate) fn round_123() -> Beacon {
        Beacon {
            round: 123,
            signature: "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92".to_owned(),
            randomness: None,
        }
    }

    /// quicknet round 1000 with its randomness, as recorded in public
    /// drand client test suites (the `/public/1000` body of quicknet).
    pub(crate) fn round_1000() -> Beacon {
        Beacon {
            round: 1000,
            signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39".to_owned(),
            randomness: Some("fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd".to_owned()),
        }
    }

    #[test]
    fn recorded_rounds_verify() {
        verify(QUICKNET_CHAIN_HASH, &round_123()).unwrap();
        let randomness = verify(QUICKNET_CHAIN_HASH, &round_1000()).unwrap();
        assert_eq!(
            hex::encode(randomness),
            "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
        );
    }

    #[test]
    fn wrong_round_or_tampering_is_refused() {
        let mut moved = round_1000();
        moved.round = 1001;
        moved.randomness = None;
        assert_eq!(
            verify(QUICKNET_CHAIN_HASH, &moved),
            Err(DrandError::BadSignature { round: 1001 })
        );
        let mut tampered = round_1000();
        tampered.randomness =
            Some("0e290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd".to_owned());
        assert!(matches!(
            verify(QUICKNET_CHAIN_HASH, &tampered),
            Err(DrandError::RandomnessMismatch { .. })
        ));
        // The signature of round 123 presented as round 1000's.
        let mut swapped = round_1000();
        swapped.signature = round_123().signature;
        swapped.randomness = None;
        assert!(verify(QUICKNET_CHAIN_HASH, &swapped).is_err());
    }

    #[test]
    fn malformed_input_is_refused_without_panic() {
        let mut beacon = round_123();
        assert!(matches!(
            verify("00ff", &beacon),
            Err(DrandError::UnknownChain(_))
        ));
        beacon.signature = "zz".to_owned();
        assert!(matches!(
            verify(QUICKNET_CHAIN_HASH, &beacon),
            Err(DrandError::SignatureNotHex(_))
        ));
        beacon.signature = "abcd".to_owned();
        assert_eq!(
            verify(QUICKNET_CHAIN_HASH, &beacon),
            Err(DrandError::SignatureLength(2))
        );
        beacon.signature = "ff".repeat(48);
        assert!(verify(QUICKNET_CHAIN_HASH, &beacon).is_err());
        beacon.round = 0;
        assert_eq!(
            verify(QUICKNET_CHAIN_HASH, &beacon),
            Err(DrandError::RoundZero)
        );
    }

    #[test]
    fn round_times() {
        assert_eq!(round_time(1).timestamp(), QUICKNET_GENESIS_UNIX);
        assert_eq!(
            round_time(1000).timestamp(),
            QUICKNET_GENESIS_UNIX + 999 * 3
        );
        for round in [1_u64, 2, 1000, 12_345_678] {
            assert_eq!(first_round_at_or_after(round_time(round)), round);
        }
        let between = round_time(10) + TimeDelta::seconds(1);
        assert_eq!(first_round_at_or_after(between), 11);
    }

    proptest::proptest! {
        /// Operator input never panics the check, and only the genuine
        /// signature of the round passes.
        #[test]
        fn arbitrary_beacons_are_refused_cleanly(round: u64, signature in "[0-9a-fA-Fx ]{0,100}") {
            let beacon = Beacon { round, signature, randomness: None };
            let result = verify(QUICKNET_CHAIN_HASH, &beacon);
            proptest::prop_assert!(result.is_err());
        }
    }
}
