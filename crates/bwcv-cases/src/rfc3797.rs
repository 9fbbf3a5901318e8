//! Publicly verifiable random selection, exactly as RFC 3797 §4 and §6
//! describe it (the IETF NomCom method).
//!
//! 1. Every source of randomness is a list of non-negative numbers. Each
//!    number is written in decimal without leading zeros (a lone `0` stays),
//!    an integer followed by a period (`"12."`), a real with a period between
//!    its whole and fractional part and no trailing zeros (`"2.5"`).
//! 2. The values of one source are sorted from smallest to largest,
//!    concatenated and followed by `/`.
//! 3. The sources, in their published order, are concatenated into the key
//!    string (`"9319./2.5.8.10.12./9.18.26.34.41.45./"`).
//! 4. The `i`-th derived value (counting from 0) is the MD5 of the key string
//!    with the two-byte big-endian counter `i` both before and after it,
//!    read as an unsigned 128-bit big-endian integer.
//! 5. The `i`-th selection is that value modulo the number of candidates
//!    still unselected; the remainder, counted from zero over the
//!    unselected candidates in their published order, picks one.

use std::cmp::Ordering;
use std::fmt;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// Why a value, a key string or a selection request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rfc3797Error {
    #[error(
        "randomness value {0:?} is not a non-negative decimal number (digits, optionally one '.' and more digits)"
    )]
    BadNumber(String),
    #[error("source {0} has no values; RFC 3797 sources produce at least one number")]
    EmptySource(usize),
    #[error("cannot select {wanted} from a pool of {pool}")]
    PoolTooSmall { wanted: usize, pool: usize },
    #[error(
        "cannot derive more than 65536 values: the RFC 3797 counter is two bytes (asked for {0})"
    )]
    CounterOverflow(usize),
}

/// One canonical number of a randomness source (RFC 3797 §4 step 1).
///
/// Stored as its canonical decimal digits, so numbers of any size (a drand
/// beacon's 256-bit randomness, a lottery ball) are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Number {
    /// The whole part without leading zeros (`"0"` for zero).
    whole: String,
    /// The fractional part without trailing zeros; empty for an integer.
    fraction: String,
}

impl Number {
    /// Parses `"0012"`, `"2.50"`, `"9319"`; refuses signs, exponents, blanks.
    pub fn parse(text: &str) -> Result<Self, Rfc3797Error> {
        let bad = || Rfc3797Error::BadNumber(text.to_owned());
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err(bad());
        }
        if text.ends_with('.') {
            return Err(bad());
        }
        let whole = whole.trim_start_matches('0');
        let whole = if whole.is_empty() { "0" } else { whole };
        let fraction = fraction.trim_end_matches('0');
        Ok(Self {
            whole: whole.to_owned(),
            fraction: fraction.to_owned(),
        })
    }

    /// An integer.
    pub fn integer(value: u128) -> Self {
        Self {
            whole: value.to_string(),
            fraction: String::new(),
        }
    }

    /// A big-endian unsigned integer of any length (e.g. 32 bytes of drand
    /// randomness) as its decimal value.
    pub fn from_be_bytes(bytes: &[u8]) -> Self {
        Self {
            whole: be_bytes_to_decimal(bytes),
            fraction: String::new(),
        }
    }

    /// The canonical form used in the key string: `"12."` or `"2.5"`.
    pub fn canonical(&self) -> String {
        if self.fraction.is_empty() {
            format!("{}.", self.whole)
        } else {
            format!("{}.{}", self.whole, self.fraction)
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        // Canonical whole parts have no leading zeros: a longer one is larger.
        self.whole
            .len()
            .cmp(&other.whole.len())
            .then_with(|| self.whole.cmp(&other.whole))
            // Fractions without trailing zeros compare digit by digit.
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fraction.is_empty() {
            f.write_str(&self.whole)
        } else {
            write!(f, "{}.{}", self.whole, self.fraction)
        }
    }
}

impl TryFrom<String> for Number {
    type Error = Rfc3797Error;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Number> for String {
    fn from(number: Number) -> Self {
        number.to_string()
    }
}

/// Decimal digits of a big-endian unsigned integer (schoolbook division).
fn be_bytes_to_decimal(bytes: &[u8]) -> String {
    let mut value: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if value.is_empty() {
        return "0".to_owned();
    }
    let mut digits = Vec::new();
    while !value.is_empty() {
        let mut remainder: u32 = 0;
        let mut quotient = Vec::with_capacity(value.len());
        for byte in &value {
            let current = (remainder << 8) | u32::from(*byte);
            let digit = current / 10;
            remainder = current % 10;
            if !(quotient.is_empty() && digit == 0) {
                quotient.push(digit as u8);
            }
        }
        digits.push(b'0' + remainder as u8);
        value = quotient;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// The key string of RFC 3797 §4 steps 1–3 from sources in published order.
pub fn key_string(sources: &[Vec<Number>]) -> Result<String, Rfc3797Error> {
    let mut key = String::new();
    for (position, source) in sources.iter().enumerate() {
        if source.is_empty() {
            return Err(Rfc3797Error::EmptySource(position + 1));
        }
        let mut sorted = source.clone();
        sorted.sort();
        for number in &sorted {
            key.push_str(&number.canonical());
        }
        key.push('/');
    }
    Ok(key)
}

/// The `counter`-th derived value: MD5 of the key string with the two-byte
/// big-endian counter before and after it (RFC 3797 §4).
pub fn digest(key: &str, counter: u16) -> [u8; 16] {
    let affix = counter.to_be_bytes();
    let mut hasher = Md5::new();
    hasher.update(affix);
    hasher.update(key.as_bytes());
    hasher.update(affix);
    hasher.finalize().into()
}

/// One pick of [`select`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    /// 0-based position of the pick (the MD5 counter).
    pub counter: u16,
    /// The derived value, upper-case hex as the RFC prints it.
    pub digest_hex: String,
    /// How many candidates were still unselected (the divisor).
    pub remaining: usize,
    /// The selected candidate, 1-based in the published numbering.
    pub selected: usize,
}

/// RFC 3797 §4 selection of `count` distinct candidates from `pool_size`
/// numbered 1..=pool_size.
pub fn select(key: &str, pool_size: usize, count: usize) -> Result<Vec<Pick>, Rfc3797Error> {
    if count > pool_size {
        return Err(Rfc3797Error::PoolTooSmall {
            wanted: count,
            pool: pool_size,
        });
    }
    if count > usize::from(u16::MAX) + 1 {
        return Err(Rfc3797Error::CounterOverflow(count));
    }
    let mut unselected: Vec<usize> = (1..=pool_size).collect();
    let mut picks = Vec::with_capacity(count);
    for counter in 0..count {
        let counter = u16::try_from(counter).map_err(|_| Rfc3797Error::CounterOverflow(count))?;
        let derived = digest(key, counter);
        let remaining = unselected.len();
        let position = pick_index(&derived, remaining as u128) as usize;
        let selected = unselected.remove(position);
        picks.push(Pick {
            counter,
            digest_hex: hex::encode_upper(derived),
            remaining,
            selected,
        });
    }
    Ok(picks)
}

/// The derived value modulo `divisor` (`divisor > 0`).
pub fn pick_index(derived: &[u8; 16], divisor: u128) -> u128 {
    u128::from_be_bytes(*derived) % divisor.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(values: &[&str]) -> Vec<Number> {
        values.iter().map(|v| Number::parse(v).unwrap()).collect()
    }

    /// RFC 3797 §6, "Fully Worked Example".
    #[test]
    fn rfc3797_section_6_example() {
        let candidates = [
            "John",
            "Mary",
            "Bashful",
            "Dopey",
            "Sleepy",
            "Grouchy",
            "Doc",
            "Sneazy",
            "Handsome",
            "Cassandra",
            "Pollyanna",
            "Pendragon",
            "Pandora",
            "Faith",
            "Hope",
            "Charity",
            "Lee",
            "Longsuffering",
            "Chastity",
            "Smith",
            "Pride",
            "Sloth",
            "Envy",
            "Anger",
            "Kasczynski",
        ];
        let sources = vec![
            numbers(&["9319"]),
            numbers(&["2", "5", "12", "8", "10"]),
            numbers(&["9", "18", "26", "34", "41", "45"]),
        ];
        let key = key_string(&sources).unwrap();
        assert_eq!(key, "9319./2.5.8.10.12./9.18.26.34.41.45./");
        assert_eq!(
            hex::encode_upper(digest(&key, 0)),
            "990DD0A5692A029A98B5E01AA28F3459"
        );
        let picks = select(&key, candidates.len(), 10).unwrap();
        let names: Vec<&str> = picks.iter().map(|p| candidates[p.selected - 1]).collect();
        assert_eq!(
            names,
            [
                "Lee",
                "Doc",
                "Mary",
                "Charity",
                "Kasczynski",
                "Envy",
                "Sneazy",
                "Anger",
                "Chastity",
                "Pandora"
            ]
        );
        assert_eq!(picks[0].remaining, 25);
        assert_eq!(picks[9].remaining, 16);
        // The later digests the RFC prints for this key.
        assert_eq!(picks[1].digest_hex, "3691E55CB63FCC37914430B2F70B5EC6");
        assert_eq!(picks[9].digest_hex, "31CB111C4A4EBE9287CEAE16FE51B909");
    }

    #[test]
    fn canonical_numbers() {
        let cases = [
            ("0", "0."),
            ("000", "0."),
            ("0012", "12."),
            ("2.50", "2.5"),
            ("0.25", "0.25"),
            ("3.000", "3."),
            ("00.5", "0.5"),
        ];
        for (input, canonical) in cases {
            assert_eq!(
                Number::parse(input).unwrap().canonical(),
                canonical,
                "{input}"
            );
        }
        for bad in ["", "-1", "+1", "1e5", ".5", "5.", "1.2.3", " 1", "1 ", "x"] {
            assert!(Number::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sorting_is_numeric_not_lexicographic() {
        let key = key_string(&[numbers(&["10", "9", "0.75", "0.5", "100"])]).unwrap();
        assert_eq!(key, "0.50.759.10.100./");
    }

    #[test]
    fn big_endian_decimal() {
        assert_eq!(Number::from_be_bytes(&[]).canonical(), "0.");
        assert_eq!(Number::from_be_bytes(&[0, 0, 1, 0]).canonical(), "256.");
        let max = [0xff_u8; 16];
        assert_eq!(
            Number::from_be_bytes(&max).to_string(),
            u128::MAX.to_string()
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(key_string(&[vec![]]), Err(Rfc3797Error::EmptySource(1)));
        assert!(matches!(
            select("x/", 3, 4),
            Err(Rfc3797Error::PoolTooSmall { .. })
        ));
        assert!(select("x/", 3, 0).unwrap().is_empty());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,30}") {
            let _ = Number::parse(&text);
        }

        #[test]
        fn decimal_matches_u128(value: u128) {
            proptest::prop_assert_eq!(Number::from_be_bytes(&value.to_be_bytes()).to_string(), value.to_string());
        }

        #[test]
        fn selection_is_a_permutation_prefix(seed in 0u64..1000, pool in 1usize..60) {
            let key = format!("{seed}./");
            let picks = select(&key, pool, pool).unwrap();
            let mut chosen: Vec<usize> = picks.iter().map(|p| p.selected).collect();
            chosen.sort_unstable();
            proptest::prop_assert_eq!(chosen, (1..=pool).collect::<Vec<_>>());
        }
    }
}
