//! Concatenated reference texts and their spaced-seed k-mer indexes.
//!
//! Every reference (or translated frame of a reference) is a *segment* of
//! one text; a sentinel code separates segments. A spaced seed (Ma, Tromp &
//! Li 2002, "PatternHunter", Bioinformatics 18:440) names the positions that
//! must match; its key is the base-`alphabet` number of the codes at those
//! positions. The index is a direct-address table: `offsets[key]..offsets[key+1]`
//! are the text positions of that key, ascending. Keys that occur more than
//! `max_occurrences` times are left out (repeats, low complexity).

use crate::alphabet::{self, AA_SENTINEL, NT_SENTINEL};
use crate::db::{Database, Molecule};

/// Errors in seed patterns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// Not a pattern of '1' and '0' starting and ending with '1'.
    #[error("seed '{0}' must consist of '1' and '0' and start and end with '1'")]
    Pattern(String),
    /// The direct-address table would be too large.
    #[error("seed '{pattern}' has weight {weight}: the table would exceed 2^28 entries")]
    TooHeavy {
        /// The pattern.
        pattern: String,
        /// Its weight.
        weight: usize,
    },
}

/// A spaced seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The pattern as given.
    pub pattern: String,
    /// Offsets of the '1' positions.
    pub offsets: Vec<usize>,
    /// Length of the pattern.
    pub span: usize,
}

impl Seed {
    /// Parses a pattern such as `111010010100110111` for an alphabet of `alphabet` letters.
    pub fn parse(pattern: &str, alphabet: usize) -> Result<Self, SeedError> {
        let bytes = pattern.as_bytes();
        if bytes.is_empty()
            || bytes.first() != Some(&b'1')
            || bytes.last() != Some(&b'1')
            || bytes.iter().any(|byte| *byte != b'0' && *byte != b'1')
        {
            return Err(SeedError::Pattern(pattern.into()));
        }
        let offsets: Vec<usize> = bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'1')
            .map(|(offset, _)| offset)
            .collect();
        let table = (alphabet as f64).powi(offsets.len() as i32);
        if table > f64::from(1u32 << 28) {
            return Err(SeedError::TooHeavy {
                pattern: pattern.into(),
                weight: offsets.len(),
            });
        }
        Ok(Self {
            pattern: pattern.into(),
            offsets,
            span: bytes.len(),
        })
    }

    /// Key of the word starting at `position`, or `None` if it runs off the
    /// end or contains a code outside the alphabet.
    #[inline]
    pub fn key(&self, codes: &[u8], position: usize, alphabet: usize) -> Option<u32> {
        if position + self.span > codes.len() {
            return None;
        }
        let mut key: u32 = 0;
        for offset in &self.offsets {
            let code = codes[position + offset] as usize;
            if code >= alphabet {
                return None;
            }
            key = key * alphabet as u32 + code as u32;
        }
        Some(key)
    }

    fn table_size(&self, alphabet: usize) -> usize {
        alphabet.pow(self.offsets.len() as u32)
    }
}

/// A piece of a text: one reference, or one translated frame of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Index of the reference in the database.
    pub reference: u32,
    /// 0 for untranslated; +1..+3 forward frames, −1..−3 reverse frames.
    pub frame: i8,
    /// Start of the segment in the text.
    pub start: u32,
    /// Length in residues.
    pub length: u32,
}

/// A concatenated text with its segments.
#[derive(Debug, Clone)]
pub struct Text {
    /// Codes, segments separated by a sentinel.
    pub codes: Vec<u8>,
    /// Segments in text order.
    pub segments: Vec<Segment>,
}

impl Text {
    /// Nucleotide references at DNA level.
    pub fn nucleotide(database: &Database) -> Self {
        let mut text = Text {
            codes: vec![NT_SENTINEL],
            segments: Vec::new(),
        };
        for (index, reference) in database.meta.references.iter().enumerate() {
            if reference.molecule == Molecule::Nucleotide {
                text.push(index as u32, 0, &database.sequences[index], NT_SENTINEL);
            }
        }
        text
    }

    /// Six translated frames of nucleotide references and protein references.
    pub fn protein(database: &Database) -> Self {
        let mut text = Text {
            codes: vec![AA_SENTINEL],
            segments: Vec::new(),
        };
        for (index, reference) in database.meta.references.iter().enumerate() {
            let sequence = &database.sequences[index];
            match reference.molecule {
                Molecule::Protein => text.push(index as u32, 0, sequence, AA_SENTINEL),
                Molecule::Nucleotide => {
                    let reverse = alphabet::reverse_complement(sequence);
                    for offset in 0..3 {
                        let frame = offset as i8 + 1;
                        let forward = alphabet::translate(sequence, offset);
                        text.push(index as u32, frame, &forward, AA_SENTINEL);
                        let backward = alphabet::translate(&reverse, offset);
                        text.push(index as u32, -frame, &backward, AA_SENTINEL);
                    }
                }
            }
        }
        text
    }

    fn push(&mut self, reference: u32, frame: i8, codes: &[u8], sentinel: u8) {
        if codes.is_empty() {
            return;
        }
        self.segments.push(Segment {
            reference,
            frame,
            start: self.codes.len() as u32,
            length: codes.len() as u32,
        });
        self.codes.extend_from_slice(codes);
        self.codes.push(sentinel);
    }

    /// The segment containing text position `position`.
    pub fn segment_at(&self, position: u32) -> Option<&Segment> {
        let index = self
            .segments
            .partition_point(|segment| segment.start <= position)
            .checked_sub(1)?;
        let segment = &self.segments[index];
        (position < segment.start + segment.length).then_some(segment)
    }
}

/// A spaced-seed index of a text.
#[derive(Debug, Clone)]
pub struct KmerIndex {
    /// The seed.
    pub seed: Seed,
    /// Alphabet size.
    pub alphabet: usize,
    offsets: Vec<u32>,
    positions: Vec<u32>,
    /// Number of keys left out because they were too frequent.
    pub n_masked_keys: u64,
}

impl KmerIndex {
    /// Indexes every position of `codes` (two passes: count, then fill).
    pub fn build(codes: &[u8], seed: Seed, alphabet: usize, max_occurrences: u32) -> Self {
        let table_size = seed.table_size(alphabet);
        let mut counts = vec![0u32; table_size + 1];
        let n_positions = codes.len().saturating_sub(seed.span - 1);
        for position in 0..n_positions {
            if let Some(key) = seed.key(codes, position, alphabet) {
                counts[key as usize] = counts[key as usize].saturating_add(1);
            }
        }
        let mut n_masked_keys = 0;
        for count in counts.iter_mut() {
            if *count > max_occurrences {
                *count = 0;
                n_masked_keys += 1;
            }
        }
        let mut offsets = vec![0u32; table_size + 1];
        let mut total: u32 = 0;
        for key in 0..table_size {
            offsets[key] = total;
            total += counts[key];
        }
        offsets[table_size] = total;
        let mut fill = offsets.clone();
        let mut positions = vec![0u32; total as usize];
        for position in 0..n_positions {
            if let Some(key) = seed.key(codes, position, alphabet) {
                let key = key as usize;
                if counts[key] == 0 {
                    continue;
                }
                positions[fill[key] as usize] = position as u32;
                fill[key] += 1;
            }
        }
        Self {
            seed,
            alphabet,
            offsets,
            positions,
            n_masked_keys,
        }
    }

    /// Text positions where `key` occurs.
    #[inline]
    pub fn lookup(&self, key: u32) -> &[u32] {
        let key = key as usize;
        &self.positions[self.offsets[key] as usize..self.offsets[key + 1] as usize]
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_and_key() {
        assert!(Seed::parse("1101", 4).is_ok());
        assert!(Seed::parse("0110", 4).is_err());
        assert!(Seed::parse("12", 4).is_err());
        assert!(matches!(
            Seed::parse("1111111111111111", 4),
            Err(SeedError::TooHeavy { .. })
        ));
        let seed = Seed::parse("101", 4).expect("seed");
        assert_eq!(seed.key(&[1, 3, 2], 0, 4), Some(6));
        assert_eq!(seed.key(&[1, 4, 2], 0, 4), Some(6));
        assert_eq!(seed.key(&[4, 0, 2], 0, 4), None);
        assert_eq!(seed.key(&[1, 3], 0, 4), None);
    }

    #[test]
    fn index_finds_every_occurrence_and_masks_repeats() {
        let codes = alphabet::encode_nt(b"ACGTACGTAAAAAAAA");
        let seed = Seed::parse("1111", 4).expect("seed");
        let index = KmerIndex::build(&codes, seed.clone(), 4, 3);
        let key = seed.key(&codes, 0, 4).expect("key");
        assert_eq!(index.lookup(key), &[0, 4]);
        let poly_a = seed.key(&codes, 9, 4).expect("key");
        assert!(index.lookup(poly_a).is_empty(), "AAAA occurs 9 times > 3");
        assert_eq!(index.n_masked_keys, 1);
    }
}
