//! Concatenated reference texts and their spaced-seed k-mer indexes.
//!
//! Every reference (or translated frame of a reference) is a *segment* of
//! one text; a sentinel code separates segments. A spaced seed (Ma, Tromp &
//! Li 2002, "PatternHunter", Bioinformatics 18:440) names the positions that
//! must match; its key is the base-`alphabet` number of the codes at those
//! positions. The index is a direct-address table (of two levels, see
//! [`KmerIndex`]): `start(key)..start(key + 1)` are the text positions of
//! that key, ascending. Keys that occur more than
//! `max_occurrences` times are left out (repeats, low complexity).

#![forbid(unsafe_code)]

use std::ops::Range;
use std::sync::Arc;

use crate::alphabet::{self, AA_ALPHABET, AA_SENTINEL, NT_ALPHABET, NT_SENTINEL};
use crate::db::{Database, Molecule, Reference};

/// Errors in seed patterns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// Not a pattern of '1' and '0' starting and ending with '1'.
    #[error("seed '{0}' must consist of '1' and '0' and start and end with '1'")]
    Pattern(String),
    /// The seed is longer than the packed rolling window allows.
    #[error("seed '{0}' is too long (at most 32 nt or 12 amino acids)")]
    TooLong(String),
    /// The direct-address table would be too large.
    #[error("seed '{pattern}' has weight {weight}: the table would exceed 2^28 entries")]
    TooHeavy {
        /// The pattern.
        pattern: String,
        /// Its weight.
        weight: usize,
    },
}

/// Marks a position without a valid key in [`Seed::keys`].
pub const NO_KEY: u32 = u32::MAX;

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
        let bits = if alphabet <= 4 { 2 } else { 5 };
        if bytes.len() * bits > 64 {
            return Err(SeedError::TooLong(pattern.into()));
        }
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
    /// end or any position of its span holds a code outside the alphabet.
    #[inline]
    pub fn key(&self, codes: &[u8], position: usize, alphabet: usize) -> Option<u32> {
        if position + self.span > codes.len()
            || codes[position..position + self.span]
                .iter()
                .any(|code| *code as usize >= alphabet)
        {
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

    /// Keys of every position of `codes` (`NO_KEY` where the word runs off
    /// the end or holds a code outside the alphabet), computed with a
    /// rolling window of packed codes, in parallel over chunks.
    pub fn keys(&self, codes: &[u8], alphabet: usize) -> Vec<u32> {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        let n_positions = codes.len();
        let mut keys = vec![NO_KEY; n_positions];
        keys.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(chunk_index, out)| {
                let start = chunk_index * CHUNK;
                self.keys_into(codes, start, alphabet, out);
            });
        keys
    }

    /// Keys of the positions `range` of `codes` (serial).
    pub fn keys_range(
        &self,
        codes: &[u8],
        range: std::ops::Range<usize>,
        alphabet: usize,
    ) -> Vec<u32> {
        let mut out = vec![NO_KEY; range.len()];
        self.keys_into(codes, range.start, alphabet, &mut out);
        out
    }

    /// [`Seed::nt_keys_into`] for nucleotides; otherwise a rolling window of
    /// packed codes (5 bits each) whose key is built code by code.
    fn keys_into(&self, codes: &[u8], start: usize, alphabet: usize, out: &mut [u32]) {
        if alphabet == 4 {
            self.nt_keys_into(codes, start, out);
            return;
        }
        let bits: u32 = if alphabet <= 4 { 2 } else { 5 };
        let code_mask: u64 = (1 << bits) - 1;
        let span = self.span;
        // shift of each seed offset inside the window (oldest code highest)
        let shifts: Vec<u32> = self
            .offsets
            .iter()
            .map(|offset| (span - 1 - offset) as u32 * bits)
            .collect();
        let window_mask: u64 = if span as u32 * bits >= 64 {
            u64::MAX
        } else {
            (1u64 << (span as u32 * bits)) - 1
        };
        let mut window: u64 = 0;
        // position of the last invalid code seen (so a word is valid when it starts after it)
        let mut last_invalid: Option<usize> = None;
        let first = start.saturating_sub(span - 1);
        let last = (start + out.len() + span - 1).min(codes.len());
        for (position, &code) in codes.iter().enumerate().take(last).skip(first) {
            let value = if (code as usize) < alphabet {
                u64::from(code)
            } else {
                last_invalid = Some(position);
                0
            };
            window = ((window << bits) | value) & window_mask;
            if position + 1 < span {
                continue;
            }
            let word_start = position + 1 - span;
            if word_start < start || word_start >= start + out.len() {
                continue;
            }
            if last_invalid.is_some_and(|invalid| invalid >= word_start) {
                continue;
            }
            let mut key: u32 = 0;
            for shift in &shifts {
                key = key * alphabet as u32 + ((window >> shift) & code_mask) as u32;
            }
            out[word_start - start] = key;
        }
    }

    /// [`Seed::keys_into`] for nucleotides, in passes that the compiler
    /// vectorises: the packed window of every word (a rolling shift), then
    /// one pass per run of consecutive '1's of the pattern appending that
    /// run's codes to every key (base 4 is bit concatenation), then
    /// `NO_KEY` for the words that cover an ambiguity code.
    fn nt_keys_into(&self, codes: &[u8], start: usize, out: &mut [u32]) {
        let span = self.span;
        let n_words = codes
            .len()
            .saturating_sub(span - 1)
            .saturating_sub(start)
            .min(out.len());
        // words that run off the end have no key
        out[n_words..].fill(NO_KEY);
        if n_words == 0 {
            return;
        }
        let window_mask: u64 = if span >= 32 {
            u64::MAX
        } else {
            (1u64 << (2 * span)) - 1
        };
        let word_codes = &codes[start..start + n_words + span - 1];
        let mut windows: Vec<u64> = Vec::with_capacity(n_words);
        let mut window = word_codes[..span - 1]
            .iter()
            .fold(0u64, |window, &code| (window << 2) | u64::from(code & 3));
        for &code in &word_codes[span - 1..] {
            window = ((window << 2) | u64::from(code & 3)) & window_mask;
            windows.push(window);
        }
        // the runs of '1's as (shift of the run's last code, bit width, mask)
        let mut runs: Vec<(u32, u32, u64)> = Vec::new();
        let mut previous: Option<usize> = None;
        for &offset in &self.offsets {
            let shift = (span - 1 - offset) as u32 * 2;
            match (previous, runs.last_mut()) {
                (Some(last), Some(run)) if last + 1 == offset => {
                    run.0 = shift;
                    run.1 += 2;
                    run.2 = (run.2 << 2) | 3;
                }
                _ => runs.push((shift, 2, 3)),
            }
            previous = Some(offset);
        }
        let out = &mut out[..n_words];
        out.fill(0);
        for &(shift, width, mask) in &runs {
            for (key, &window) in out.iter_mut().zip(&windows) {
                *key = (*key << width) | ((window >> shift) & mask) as u32;
            }
        }
        // ambiguity codes are rare: find them in one vectorised scan first
        if word_codes.iter().any(|&code| code > 3) {
            for (index, _) in word_codes.iter().enumerate().filter(|&(_, &code)| code > 3) {
                // the words of `out` whose span covers this code
                let first = index.saturating_sub(span - 1);
                let last = index.min(n_words - 1);
                if first <= last {
                    out[first..=last].fill(NO_KEY);
                }
            }
        }
    }

    /// Size of the direct-address table for `alphabet`.
    pub fn table_size(&self, alphabet: usize) -> usize {
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
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// Codes, segments separated by a sentinel.
    pub codes: Vec<u8>,
    /// Segments in text order.
    pub segments: Vec<Segment>,
}

impl Text {
    /// Nucleotide references at DNA level (`sequences[i]` holds the codes of `references[i]`).
    pub fn nucleotide(references: &[Reference], sequences: &[Vec<u8>]) -> Self {
        let mut text = Text {
            codes: Vec::with_capacity(Self::nucleotide_len(references)),
            segments: Vec::new(),
        };
        text.codes.push(NT_SENTINEL);
        for (index, reference) in references.iter().enumerate() {
            if reference.molecule == Molecule::Nucleotide {
                text.push(index as u32, 0, &sequences[index], NT_SENTINEL);
            }
        }
        text
    }

    /// Six translated frames of nucleotide references and protein references.
    pub fn protein(references: &[Reference], sequences: &[Vec<u8>]) -> Self {
        let mut text = Text {
            codes: Vec::with_capacity(Self::protein_len(references)),
            segments: Vec::new(),
        };
        text.codes.push(AA_SENTINEL);
        for (index, reference) in references.iter().enumerate() {
            let sequence = &sequences[index];
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

    /// Length of [`Text::nucleotide`] for these references.
    pub fn nucleotide_len(references: &[Reference]) -> usize {
        1 + references
            .iter()
            .filter(|reference| reference.molecule == Molecule::Nucleotide && reference.length > 0)
            .map(|reference| reference.length as usize + 1)
            .sum::<usize>()
    }

    /// Length of [`Text::protein`] for these references.
    pub fn protein_len(references: &[Reference]) -> usize {
        let mut total = 1;
        for reference in references {
            let length = reference.length as usize;
            match reference.molecule {
                Molecule::Protein if length > 0 => total += length + 1,
                Molecule::Protein => {}
                Molecule::Nucleotide => {
                    for offset in 0..3 {
                        if length >= offset + 3 {
                            total += 2 * ((length - offset) / 3 + 1);
                        }
                    }
                }
            }
        }
        total
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

/// A run of `u32` or `u16` values inside a shared buffer: the parts of an
/// index, either built in memory or lying in place in the database file's
/// buffer (so that opening a database does not copy its largest part).
#[derive(Debug, Clone)]
pub struct SharedSlice<T> {
    buffer: Arc<WordBuffer>,
    /// Range in values of `T`.
    range: Range<usize>,
    values: std::marker::PhantomData<T>,
}

/// Shared `u32` values (positions, block starts).
pub type SharedWords = SharedSlice<u32>;
/// Shared `u16` values (key starts within their block).
pub type SharedHalves = SharedSlice<u16>;

/// Memory holding `u32` words: a vector, an anonymous memory map (which
/// may be backed by huge pages), or a read-only map of the database file.
#[derive(Debug)]
pub enum WordBuffer {
    /// Words in a vector.
    Vec(Vec<u32>),
    /// Words in an anonymous map whose length is a multiple of 4 bytes.
    Map(memmap2::MmapMut),
    /// The database file, mapped read-only (see [`crate::db::Database::open`]);
    /// its length need not be a multiple of 4.
    File(memmap2::Mmap),
}

impl WordBuffer {
    /// The words (for a mapped file, the whole words it holds).
    pub fn words(&self) -> &[u32] {
        match self {
            WordBuffer::Vec(words) => words,
            // a map is page-aligned, so the cast of a multiple of 4 bytes
            // cannot fail
            WordBuffer::Map(map) => bytemuck::try_cast_slice(&map[..]).unwrap_or(&[]),
            WordBuffer::File(map) => {
                bytemuck::try_cast_slice(&map[..map.len() / 4 * 4]).unwrap_or(&[])
            }
        }
    }

    /// Every byte of the buffer.
    pub fn bytes(&self) -> &[u8] {
        match self {
            WordBuffer::File(map) => &map[..],
            _ => bytemuck::cast_slice(self.words()),
        }
    }
}

impl<T: bytemuck::Pod> SharedSlice<T> {
    /// The buffer's words as values of `T` (`u32` or `u16`: a size that
    /// divides 4, so the view covers every word).
    fn values(buffer: &WordBuffer) -> &[T] {
        bytemuck::try_cast_slice(buffer.words()).unwrap_or(&[])
    }

    /// `range` (in values of `T`) of `buffer`; `None` if it lies outside.
    pub fn new(buffer: Arc<WordBuffer>, range: Range<usize>) -> Option<Self> {
        (range.start <= range.end && range.end <= Self::values(&buffer).len()).then_some(Self {
            buffer,
            range,
            values: std::marker::PhantomData,
        })
    }

    /// The values.
    pub fn as_slice(&self) -> &[T] {
        &Self::values(&self.buffer)[self.range.clone()]
    }
}

impl<T: bytemuck::Pod> From<Vec<T>> for SharedSlice<T> {
    /// Takes the vector as it is when `T` is `u32`, otherwise copies it
    /// into words.
    fn from(values: Vec<T>) -> Self {
        let n_values = values.len();
        let words =
            bytemuck::allocation::try_cast_vec::<T, u32>(values).unwrap_or_else(|(_, values)| {
                let bytes: &[u8] = bytemuck::cast_slice(&values);
                let mut words = vec![0u32; bytes.len().div_ceil(4)];
                bytemuck::cast_slice_mut::<u32, u8>(&mut words)[..bytes.len()]
                    .copy_from_slice(bytes);
                words
            });
        Self {
            buffer: Arc::new(WordBuffer::Vec(words)),
            range: 0..n_values,
            values: std::marker::PhantomData,
        }
    }
}

impl<T: bytemuck::Pod + PartialEq> PartialEq for SharedSlice<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: bytemuck::Pod + Eq> Eq for SharedSlice<T> {}

/// A spaced-seed index of a text.
///
/// The offsets table has two levels so that it takes about half the memory
/// (and half the cache) of a `u32` per key: keys come in blocks of
/// 2^`block_shift` ([`block_shift_for`]: 64 keys at the default
/// `max_occurrences` of 512); `block_starts[b]` is the first position of
/// block `b` and `key_starts[key]` the start of `key` relative to its block,
/// which fits 16 bits because no key holds more than `max_occurrences`
/// positions.
/// The positions of `key` are
/// `start(key)..start(key + 1)` with
/// `start(key) = block_starts[key >> block_shift] + key_starts[key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmerIndex {
    /// The seed.
    pub seed: Seed,
    /// Alphabet size.
    pub alphabet: usize,
    /// log2 of the keys per block.
    block_shift: u32,
    /// First position of each block; `(table_size >> block_shift) + 1` entries.
    block_starts: SharedWords,
    /// Start of each key within its block; `table_size + 1` entries.
    key_starts: SharedHalves,
    positions: SharedWords,
    /// Number of keys left out because they were too frequent.
    pub n_masked_keys: u64,
}

/// The stored parts of a [`KmerIndex`] (what the database file holds).
#[derive(Debug, Clone)]
pub struct IndexParts {
    /// log2 of the keys per block.
    pub block_shift: u32,
    /// First position of each block.
    pub block_starts: SharedWords,
    /// Start of each key within its block.
    pub key_starts: SharedHalves,
    /// The positions, ascending within a key.
    pub positions: SharedWords,
    /// Keys left out.
    pub n_masked_keys: u64,
}

/// The largest block of keys whose relative starts fit 16 bits when no
/// key holds more than `max_occurrences` positions (at most 64 keys).
pub fn block_shift_for(max_occurrences: u32) -> u32 {
    (0..=6u32)
        .rev()
        .find(|shift| ((1u64 << shift) - 1) * u64::from(max_occurrences) <= u64::from(u16::MAX))
        .unwrap_or(0)
}

/// A borrowed view of the offsets table, taken once per search.
#[derive(Debug, Clone, Copy)]
pub struct KeyTable<'a> {
    block_shift: u32,
    block_starts: &'a [u32],
    key_starts: &'a [u16],
}

impl KeyTable<'_> {
    #[inline]
    fn start(&self, key: usize) -> usize {
        self.block_starts[key >> self.block_shift] as usize + self.key_starts[key] as usize
    }

    /// The range of positions of `key`.
    #[inline]
    pub fn range(&self, key: u32) -> (usize, usize) {
        let key = key as usize;
        (self.start(key), self.start(key + 1))
    }

    /// Hints that the table entries of `key` will be read soon (`NO_KEY`: nothing).
    #[inline]
    pub fn prefetch(&self, key: u32) {
        if key != NO_KEY {
            let key = key as usize;
            crate::prefetch::prefetch(self.key_starts, key);
            crate::prefetch::prefetch(self.block_starts, key >> self.block_shift);
        }
    }
}

/// The reference texts the indexes cover: deterministic functions of the
/// database's references, derived when it is built or opened (in parallel
/// with the digest check), never stored.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    /// [`Text::nucleotide`].
    pub dna: Text,
    /// [`Text::protein`], when the database has the protein level.
    pub protein: Option<Text>,
}

impl Texts {
    /// Both texts (in parallel); the protein text only if `protein_level`.
    pub fn build(references: &[Reference], sequences: &[Vec<u8>], protein_level: bool) -> Self {
        let (dna, protein) = rayon::join(
            || Text::nucleotide(references, sequences),
            || protein_level.then(|| Text::protein(references, sequences)),
        );
        Self { dna, protein }
    }
}

/// The indexes a database stores: one per DNA seed over the nucleotide
/// text, and the amino-acid index over the translated text (when the
/// database is built with the protein level).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Indexes {
    /// One index per DNA seed, in the order of `BuildParams::dna_seeds`.
    pub dna: Vec<KmerIndex>,
    /// The amino-acid index.
    pub protein: Option<KmerIndex>,
}

impl Indexes {
    /// Builds the indexes of `database` from its sequences and build
    /// parameters (DNA and protein in parallel). Deterministic.
    pub fn build(database: &Database) -> Result<Self, SeedError> {
        let params = &database.meta.params;
        let dna_seeds: Vec<Seed> = params
            .dna_seeds
            .iter()
            .map(|pattern| Seed::parse(pattern, NT_ALPHABET))
            .collect::<Result<_, _>>()?;
        let protein_seed = Seed::parse(&params.protein_seed, AA_ALPHABET)?;
        let max_occurrences = params.max_occurrences;
        let texts = &database.texts;
        let (dna, protein) = rayon::join(
            || {
                dna_seeds
                    .into_iter()
                    .map(|seed| {
                        KmerIndex::build(&texts.dna.codes, seed, NT_ALPHABET, max_occurrences)
                    })
                    .collect()
            },
            || {
                params.protein_level.then(|| {
                    let empty = Text::default();
                    let text = texts.protein.as_ref().unwrap_or(&empty);
                    KmerIndex::build(&text.codes, protein_seed, AA_ALPHABET, max_occurrences)
                })
            },
        );
        Ok(Self { dna, protein })
    }
}

impl KmerIndex {
    /// Indexes every position of `codes` (keys in parallel, then count and
    /// fill). `max_occurrences` is clamped to 65,535 (a key's count must fit
    /// the 16-bit relative starts).
    pub fn build(codes: &[u8], seed: Seed, alphabet: usize, max_occurrences: u32) -> Self {
        let max_occurrences = max_occurrences.min(u32::from(u16::MAX));
        let table_size = seed.table_size(alphabet);
        let keys = seed.keys(codes, alphabet);
        let mut counts = vec![0u32; table_size + 1];
        for &key in &keys {
            if key != NO_KEY {
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
        for (position, &key) in keys.iter().enumerate() {
            if key == NO_KEY || counts[key as usize] == 0 {
                continue;
            }
            let key = key as usize;
            positions[fill[key] as usize] = position as u32;
            fill[key] += 1;
        }
        let block_shift = block_shift_for(max_occurrences);
        let block_starts: Vec<u32> = (0..=table_size >> block_shift)
            .map(|block| offsets[block << block_shift])
            .collect();
        let key_starts: Vec<u16> = offsets
            .iter()
            .enumerate()
            .map(|(key, &offset)| (offset - block_starts[key >> block_shift]) as u16)
            .collect();
        Self {
            seed,
            alphabet,
            block_shift,
            block_starts: block_starts.into(),
            key_starts: key_starts.into(),
            positions: positions.into(),
            n_masked_keys,
        }
    }

    /// An index from its stored parts (see [`IndexParts`]), checked so that
    /// no look-up can fall outside the positions or the text: `text_len` is
    /// the length of the text the positions point into.
    pub fn from_parts(
        seed: Seed,
        alphabet: usize,
        parts: IndexParts,
        text_len: usize,
    ) -> Result<Self, String> {
        let table_size = seed.table_size(alphabet);
        let IndexParts {
            block_shift,
            block_starts,
            key_starts,
            positions,
            n_masked_keys,
        } = parts;
        if block_shift > 16 {
            return Err(format!("block shift {block_shift} is larger than 16"));
        }
        let (blocks, starts, words) = (
            block_starts.as_slice(),
            key_starts.as_slice(),
            positions.as_slice(),
        );
        if blocks.len() != (table_size >> block_shift) + 1 || starts.len() != table_size + 1 {
            return Err(format!(
                "seed '{}' needs {} block and {} key entries, the file has {} and {}",
                seed.pattern,
                (table_size >> block_shift) + 1,
                table_size + 1,
                blocks.len(),
                starts.len()
            ));
        }
        if blocks.first() != Some(&0) {
            return Err("the offsets table does not start at 0".into());
        }
        // every key's start: 0 at the first key, never decreasing, relative
        // starts 0 at each block's first key, the positions' count at the end
        if !Self::offsets_ascend(block_shift, blocks, starts) {
            // the serial check names the first key out of order
            let mut previous: u64 = 0;
            for (key, &relative) in starts.iter().enumerate() {
                let start = u64::from(blocks[key >> block_shift]) + u64::from(relative);
                if (key & ((1 << block_shift) - 1) == 0 && relative != 0) || start < previous {
                    return Err(format!("the offsets table is not ascending at key {key}"));
                }
                previous = start;
            }
        }
        let previous = u64::from(blocks[(starts.len() - 1) >> block_shift])
            + u64::from(starts[starts.len() - 1]);
        if previous != words.len() as u64 {
            return Err(format!(
                "the offsets table ends at {previous}, the file has {} positions",
                words.len()
            ));
        }
        // a position must leave room for a whole word of the seed
        if let Some(largest) = words.iter().copied().max() {
            let fits = text_len
                .checked_sub(seed.span)
                .is_some_and(|limit| largest as usize <= limit);
            if !fits {
                let bad = words
                    .iter()
                    .find(|&&position| (position as usize).saturating_add(seed.span) > text_len)
                    .copied()
                    .unwrap_or(largest);
                return Err(format!(
                    "position {bad} lies outside the text of {text_len} residues (seed span {})",
                    seed.span
                ));
            }
        }
        Ok(Self {
            seed,
            alphabet,
            block_shift,
            block_starts,
            key_starts,
            positions,
            n_masked_keys,
        })
    }

    /// Whether the two-level offsets table ascends: within each block the
    /// relative starts begin at 0 and never decrease, and each block's last
    /// start is at most the next block's. The same condition as the serial
    /// check in [`KmerIndex::from_parts`], in a form the compiler
    /// vectorises (about 12 million entries are checked at every opening).
    fn offsets_ascend(block_shift: u32, blocks: &[u32], starts: &[u16]) -> bool {
        let block_len = 1usize << block_shift;
        starts
            .chunks(block_len)
            .enumerate()
            .fold(true, |ok, (block, chunk)| {
                let descents = chunk
                    .windows(2)
                    .fold(0u16, |acc, pair| acc | u16::from(pair[1] < pair[0]));
                let end = u64::from(blocks[block]) + u64::from(chunk[chunk.len() - 1]);
                let next = blocks
                    .get(block + 1)
                    .map_or(u64::MAX, |&next| u64::from(next));
                ok & (chunk[0] == 0) & (descents == 0) & (end <= next)
            })
    }

    /// The stored parts (what [`KmerIndex::from_parts`] takes).
    pub fn parts(&self) -> IndexParts {
        IndexParts {
            block_shift: self.block_shift,
            block_starts: self.block_starts.clone(),
            key_starts: self.key_starts.clone(),
            positions: self.positions.clone(),
            n_masked_keys: self.n_masked_keys,
        }
    }

    /// The offsets table, borrowed for a search.
    #[inline]
    pub fn table(&self) -> KeyTable<'_> {
        KeyTable {
            block_shift: self.block_shift,
            block_starts: self.block_starts.as_slice(),
            key_starts: self.key_starts.as_slice(),
        }
    }

    /// Number of positions of each key.
    pub fn counts(&self) -> impl Iterator<Item = u32> + '_ {
        let table = self.table();
        let table_size = self.key_starts.as_slice().len() - 1;
        (0..table_size).map(move |key| {
            let (from, to) = table.range(key as u32);
            (to - from) as u32
        })
    }

    /// The positions of every key, in key order.
    pub fn positions(&self) -> &[u32] {
        self.positions.as_slice()
    }

    /// The range of positions of `key`.
    #[inline]
    pub fn range(&self, key: u32) -> (usize, usize) {
        self.table().range(key)
    }

    /// Text positions of `key`, ascending.
    #[inline]
    pub fn lookup(&self, key: u32) -> &[u32] {
        let (from, to) = self.range(key);
        &self.positions()[from..to]
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.positions().len()
    }

    /// Whether no position is indexed.
    pub fn is_empty(&self) -> bool {
        self.positions().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

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
        assert_eq!(seed.key(&[1, 4, 2], 0, 4), None);
        assert_eq!(seed.key(&[4, 0, 2], 0, 4), None);
        assert_eq!(seed.key(&[1, 3], 0, 4), None);
    }

    #[test]
    fn rolling_keys_match_direct_keys() {
        let codes = alphabet::encode_nt(b"ACGTTGCANNACGTACGGTACCATGACGTTTGACNACGTAGCATGCATCGAT");
        for pattern in ["1", "11", "1101", "111010010100110111"] {
            let seed = Seed::parse(pattern, 4).expect("seed");
            let keys = seed.keys(&codes, 4);
            for (position, key) in keys.iter().enumerate() {
                let expected = seed.key(&codes, position, 4).unwrap_or(NO_KEY);
                assert_eq!(*key, expected, "{pattern} at {position}");
            }
        }
        // across parallel chunk boundaries
        let long: Vec<u8> = (0..200_000u32)
            .map(|index| ((index * 7 + index / 13) % 5) as u8)
            .collect();
        let seed = Seed::parse("111010010100110111", 4).expect("seed");
        let keys = seed.keys(&long, 4);
        for position in (0..long.len()).step_by(97).chain(65_500..65_600) {
            assert_eq!(
                keys[position],
                seed.key(&long, position, 4).unwrap_or(NO_KEY),
                "{position}"
            );
        }
        let part = seed.keys_range(&long, 1000..1100, 4);
        assert_eq!(&part[..], &keys[1000..1100]);
        let proteins = alphabet::encode_aa(b"MKVLAAGIWXRRTEESLLKQ*DDGHKLMNPQRSTVWY");
        for pattern in ["11111", "1101011"] {
            let seed = Seed::parse(pattern, 20).expect("seed");
            let keys = seed.keys(&proteins, 20);
            for (position, key) in keys.iter().enumerate() {
                assert_eq!(*key, seed.key(&proteins, position, 20).unwrap_or(NO_KEY));
            }
        }
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

    #[test]
    fn block_shift_keeps_relative_starts_in_16_bits() {
        assert_eq!(block_shift_for(1), 6);
        assert_eq!(block_shift_for(512), 6);
        assert_eq!(block_shift_for(1040), 6, "63 × 1040 = 65,520");
        assert_eq!(block_shift_for(1041), 5);
        assert_eq!(block_shift_for(32_768), 1);
        assert_eq!(block_shift_for(65_535), 1, "1 × 65,535 fits");
        // a table of two keys per block round-trips too
        let codes = alphabet::encode_nt(b"ACGTTGCAACGGTACCATGA");
        let seed = Seed::parse("111", 4).expect("seed");
        let index = KmerIndex::build(&codes, seed.clone(), 4, 65_535);
        assert_eq!(index.parts().block_shift, 1);
        let rebuilt =
            KmerIndex::from_parts(seed.clone(), 4, index.parts(), codes.len()).expect("parts");
        assert_eq!(rebuilt, index);
        for position in 0..codes.len() - 2 {
            let key = seed.key(&codes, position, 4).expect("key");
            assert!(rebuilt.lookup(key).contains(&(position as u32)));
        }
    }

    /// Stored parts that would let a look-up fall outside the positions or
    /// the text are refused, each with what is wrong.
    #[test]
    fn stored_parts_that_do_not_fit_are_refused() {
        let codes = alphabet::encode_nt(b"ACGTTGCAACGGTACCATGAGGCTTACA");
        let seed = Seed::parse("1101", 4).expect("seed");
        let index = KmerIndex::build(&codes, seed.clone(), 4, 8);
        let parts = index.parts();
        let refuse = |parts: IndexParts, text_len: usize| {
            KmerIndex::from_parts(seed.clone(), 4, parts, text_len).expect_err("refused")
        };
        let with_blocks = |blocks: Vec<u32>| IndexParts {
            block_starts: blocks.into(),
            ..parts.clone()
        };
        let with_starts = |starts: Vec<u16>| IndexParts {
            key_starts: starts.into(),
            ..parts.clone()
        };
        let blocks = parts.block_starts.as_slice().to_vec();
        let starts = parts.key_starts.as_slice().to_vec();
        // entry counts
        let error = refuse(
            with_blocks(blocks[..blocks.len() - 1].to_vec()),
            codes.len(),
        );
        assert!(error.contains("block and"), "{error}");
        let error = refuse(
            with_starts(starts[..starts.len() - 1].to_vec()),
            codes.len(),
        );
        assert!(error.contains("key entries"), "{error}");
        // block shift
        let error = refuse(
            IndexParts {
                block_shift: 17,
                ..parts.clone()
            },
            codes.len(),
        );
        assert!(error.contains("block shift"), "{error}");
        // a table that does not start at 0
        let mut shifted = blocks.clone();
        shifted[0] = 1;
        let error = refuse(with_blocks(shifted), codes.len());
        assert!(error.contains("start at 0"), "{error}");
        // a relative start that is not 0 at a block's first key
        let mut first_nonzero = starts.clone();
        first_nonzero[64] = 1;
        let error = refuse(with_starts(first_nonzero), codes.len());
        assert!(error.contains("not ascending"), "{error}");
        // a dip inside a block
        let key = (1..63)
            .find(|&key| starts[key] > 0)
            .expect("a key with positions before it");
        let mut dip = starts.clone();
        dip[key + 1..64].fill(0);
        let error = refuse(with_starts(dip), codes.len());
        assert!(error.contains("not ascending"), "{error}");
        // positions that leave no room for a whole word, down to a text
        // shorter than the seed
        let largest = *index.positions().iter().max().expect("positions") as usize;
        let error = refuse(parts.clone(), largest + seed.span - 1);
        assert!(error.contains("outside the text"), "{error}");
        let error = refuse(parts.clone(), seed.span - 1);
        assert!(error.contains("outside the text"), "{error}");
        assert!(KmerIndex::from_parts(seed.clone(), 4, parts, largest + seed.span).is_ok());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The keys of any range of a text are the direct keys of its
            /// words (`NO_KEY` for words over ambiguity codes, sentinels or
            /// the end), for any pattern up to the longest allowed span.
            #[test]
            fn range_keys_are_direct_keys(
                codes in proptest::collection::vec(prop_oneof![8 => 0u8..4, 1 => 4u8..6], 0..300),
                pattern in "1[01]{0,30}1|1",
                from in 0usize..320,
                length in 0usize..320,
            ) {
                // patterns heavier than the table allows are refused
                let Ok(seed) = Seed::parse(&pattern, 4) else {
                    return Ok(());
                };
                let from = from.min(codes.len());
                let range = from..(from + length).min(codes.len() + 40);
                let keys = seed.keys_range(&codes, range.clone(), 4);
                prop_assert_eq!(keys.len(), range.len());
                for (position, key) in range.zip(&keys) {
                    prop_assert_eq!(*key, seed.key(&codes, position, 4).unwrap_or(NO_KEY), "at {}", position);
                }
            }

            /// The vectorised ascent check of the offsets table agrees with
            /// the serial one on any table, ascending or not.
            #[test]
            fn the_fast_ascent_check_is_the_serial_one(
                block_shift in 0u32..4,
                n_keys in 1usize..80,
                blocks_seed in proptest::collection::vec(0u32..6, 1..40),
                starts_seed in proptest::collection::vec(0u16..5, 1..100),
                sorted in any::<bool>(),
            ) {
                let n_blocks = (n_keys >> block_shift) + 1;
                let mut blocks: Vec<u32> = (0..n_blocks).map(|index| blocks_seed[index % blocks_seed.len()]).collect();
                let mut starts: Vec<u16> = (0..=n_keys).map(|index| starts_seed[index % starts_seed.len()]).collect();
                if sorted {
                    // an ascending table: running sums, cut into blocks
                    let mut total = 0u32;
                    let absolute: Vec<u32> = starts.iter().map(|&step| { total += u32::from(step); total }).collect();
                    for (key, start) in starts.iter_mut().enumerate() {
                        let block_start = absolute[key >> block_shift << block_shift];
                        *start = (absolute[key] - block_start) as u16;
                    }
                    for (block, start) in blocks.iter_mut().enumerate() {
                        *start = absolute[block << block_shift];
                    }
                }
                let mut serial = true;
                let mut previous = 0u64;
                for (key, &relative) in starts.iter().enumerate() {
                    let start = u64::from(blocks[key >> block_shift]) + u64::from(relative);
                    if (key & ((1 << block_shift) - 1) == 0 && relative != 0) || start < previous {
                        serial = false;
                    }
                    previous = start;
                }
                prop_assert_eq!(KmerIndex::offsets_ascend(block_shift, &blocks, &starts), serial);
                if sorted {
                    prop_assert!(serial);
                }
            }

            /// Every valid word of a random text is found under its key, the
            /// positions of a key are ascending and carry that key, and the
            /// stored parts (counts, positions) rebuild the same index.
            #[test]
            fn the_index_holds_exactly_the_words_of_the_text(
                codes in proptest::collection::vec(0u8..6, 0..600),
                pattern in "1[01]{0,8}1",
                max_occurrences in 1u32..12,
            ) {
                let seed = Seed::parse(&pattern, 4).expect("pattern");
                let index = KmerIndex::build(&codes, seed.clone(), 4, max_occurrences);
                let mut expected: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
                for position in 0..codes.len() {
                    if let Some(key) = seed.key(&codes, position, 4) {
                        expected.entry(key).or_default().push(position as u32);
                    }
                }
                let mut n_indexed = 0;
                let mut n_masked = 0;
                for (key, positions) in &expected {
                    if positions.len() > max_occurrences as usize {
                        prop_assert!(index.lookup(*key).is_empty());
                        n_masked += 1;
                    } else {
                        prop_assert_eq!(index.lookup(*key), &positions[..]);
                        n_indexed += positions.len();
                    }
                }
                prop_assert_eq!(index.len(), n_indexed);
                prop_assert_eq!(index.n_masked_keys, n_masked);
                let rebuilt = KmerIndex::from_parts(seed, 4, index.parts(), codes.len())
                    .expect("parts");
                let counts: Vec<u32> = index.counts().collect();
                prop_assert_eq!(counts.iter().map(|count| *count as usize).sum::<usize>(), n_indexed);
                prop_assert_eq!(rebuilt, index);
            }
        }
    }
}
