//! Seed-and-extend search of one query against the reference texts: spaced
//! seeds at DNA level on both strands, and amino-acid seeds between the six
//! frames of the query and the six frames of every nucleotide reference
//! (plus protein references), each hit extended without gaps with an X-drop
//! rule (Altschul et al. 1990, J Mol Biol 215:403; Zhang et al. 2000,
//! J Comput Biol 7:203 for the X-drop) and scored with Karlin–Altschul
//! statistics (Karlin & Altschul 1990, PNAS 87:2264).
//!
//! DNA alignments separated by an insertion or deletion are joined through
//! a gapped alignment of the short stretch between them (affine gaps,
//! blastn's 5/2); a joined alignment is scored with the ungapped λ and K,
//! slightly optimistic for a gapped score.
//!
//! Scoring is fixed so that the statistics are exact: DNA +2/−3 (the
//! `blastn -task blastn` scores, ungapped λ = 0.634, K = 0.408 for uniform
//! base composition) and BLOSUM62 (ungapped λ = 0.3176, K = 0.134).

#![forbid(unsafe_code)]

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::alphabet::{self, NT_SENTINEL};
use crate::db::{Database, Molecule};
use crate::index::{KmerIndex, NO_KEY, SeedError, Text};
use crate::prefetch::prefetch;

/// How many elements ahead the search loops prefetch the key table, the
/// positions and the reference windows. 16 was faster than 8 and 32 on the
/// benchmark's small and large sets (bench/RESULTS.md); it does not change
/// any result.
const PREFETCH_AHEAD: usize = 16;

/// DNA match score.
pub const DNA_REWARD: i32 = 2;
/// DNA mismatch score (negative).
pub const DNA_PENALTY: i32 = -3;

/// Level at which a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nucleotide against nucleotide.
    Dna,
    /// Translated query against translated or protein reference.
    Protein,
}

impl Level {
    /// Karlin–Altschul λ (nats per raw score unit).
    pub fn lambda(self) -> f64 {
        match self {
            Level::Dna => 0.634,
            Level::Protein => 0.3176,
        }
    }

    /// Karlin–Altschul K.
    pub fn k(self) -> f64 {
        match self {
            Level::Dna => 0.408,
            Level::Protein => 0.134,
        }
    }

    /// Bit score of a raw score.
    pub fn bits(self, score: f64) -> f64 {
        (self.lambda() * score - self.k().ln()) / std::f64::consts::LN_2
    }

    /// Bits per nt of a raw `score` over `length` nt, without the K term
    /// (λS/ln2 divided by the length; a length of 0 counts as 1).
    pub fn bits_per_nt(self, score: i32, length: usize) -> f64 {
        self.lambda() * f64::from(score) / std::f64::consts::LN_2 / length.max(1) as f64
    }

    /// Raw score needed for `bits`.
    pub fn score_for_bits(self, bits: f64) -> f64 {
        (bits * std::f64::consts::LN_2 + self.k().ln()) / self.lambda()
    }

    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Dna => "dna",
            Level::Protein => "protein",
        }
    }
}

/// Largest X-drop [`crate::screen::ScreenParams::validate`] accepts (raw
/// score): far beyond any useful value, and `best - x_drop` stays inside `i32`.
pub const MAX_X_DROP: i32 = 10_000;

/// Largest gap opening or extension cost accepted (raw score), so that a
/// gapped join's scores stay inside `i32`.
pub const MAX_GAP_COST: i32 = 1_000;

/// Longest stretch a gapped join may bridge (nt): its alignment keeps three
/// tables of (stretch + 1)² cells, 36 MB at this length.
pub const MAX_JOIN_GAP_NT: usize = 1_000;

/// Search knobs (recorded in every report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// X-drop of the ungapped DNA extension (raw score).
    pub x_drop_dna: i32,
    /// X-drop of the ungapped protein extension (raw score).
    pub x_drop_protein: i32,
    /// Queries are cut into windows of this many nt for parallel search.
    pub window_nt: usize,
    /// Extensions may run this far past a window's ends.
    pub window_overlap_nt: usize,
    /// Whether the translated search runs.
    pub protein_level: bool,
    /// DNA seed hits are first scored without extension over the seed span
    /// and this many nt on each side (clipped to the query and reference);
    /// hits scoring below `dna_prefilter_min_score` there are dropped
    /// before the X-drop extension. A chance hit scores about −18 over
    /// 34 nt, a true hit at 15 % divergence about +51 (P(score < 0) ≈ 0.2 %,
    /// and a real homology yields many seed hits).
    pub dna_prefilter_flank_nt: usize,
    /// Minimum raw score (+2/−3) of the prefilter window.
    pub dna_prefilter_min_score: i32,
    /// The DNA seeds after the first skip the query words that lie wholly
    /// inside alignments found by the first seed, on either strand (each
    /// seed runs on both strands before the next), that count in the
    /// best-match rule (E ≤ `max_evalue`) and score at least this many bits
    /// per nt (1.6 ≈ 95 % identity at +2/−3). A heuristic for speed, not an
    /// equivalence: at those positions another alignment, on either strand,
    /// changes the
    /// decision only if it comes within the screen's margin (0.25 bits per
    /// nt by default) of this one, so at ≥ 1.35 bits per nt (≈ 89.5 %
    /// identity), where the first seed alone is usually sensitive
    /// (simulated, random substitutions at 89.5 %: it hits 98.9 % of
    /// 50-nt stretches, 93 % of 35-nt and all of 100-nt ones); and an
    /// alignment missed there that matters is either background inside a
    /// concern alignment (the region is flagged rather than called common:
    /// over-flagging) or concern of ≥ 1.85 bits per nt (≈ 98.5 % identity)
    /// inside a background one, which the first seed finds. What can be
    /// lost is an alignment that only the later seeds would find, all of
    /// whose later-seed hits fall inside the dense one, reaching beyond it.
    /// Divergent queries, which the later seeds exist for, score below the
    /// threshold and get every seed. The first seed must be the sensitive
    /// one (the default PatternHunter seed), and it runs on both strands
    /// everywhere. On the 4,500 benchmark orders no status changed, with
    /// the skip on the same strand only and with it on both strands
    /// (bench/RESULTS.md).
    pub dna_seed_skip_bits_per_nt: f64,
    /// DNA alignments of one strand and reference that are separated by a
    /// short gap on nearby diagonals (an insertion or deletion) are joined
    /// through a gapped alignment of the stretch between them when that
    /// scores more than either alone.
    pub join_gaps: bool,
    /// Gap opening cost of the join (raw score; a gap of length L costs
    /// `gap_open + gap_extend × L`, blastn's 5/2 for +2/−3).
    pub gap_open: i32,
    /// Gap extension cost per residue.
    pub gap_extend: i32,
    /// Longest stretch (nt, on the query or the reference) between two
    /// alignments that a join bridges.
    pub join_max_gap_nt: usize,
    /// Amino-acid seed hits are first scored with BLOSUM62 over the seed
    /// span and this many residues on each side (clipped to the query and
    /// reference); hits scoring below `protein_prefilter_min_score` there
    /// are dropped before the X-drop extension. Five identical residues
    /// score about 27 and eight unrelated ones about −8, so a chance hit
    /// scores about 19 ± 6 over the window and a homologous one (70 %
    /// amino-acid identity) about 50.
    pub protein_prefilter_flank_aa: usize,
    /// Minimum BLOSUM62 score of the protein prefilter window.
    pub protein_prefilter_min_score: i32,
    /// The translated search skips seeds where a DNA-level alignment of at
    /// least this density (bits per nt) already explains the query. An
    /// identical protein alignment scores about 5.3 BLOSUM62 units per
    /// codon, 0.3176 × 5.3 / ln 2 / 3 ≈ 0.81 bits per nt, so where DNA
    /// reaches 1.0 bits per nt (≈ 82 % identity at +2/−3) no protein
    /// alignment can change the best-match decision: the protein path runs
    /// only where DNA does not explain the query.
    pub protein_skip_bits_per_nt: f64,
}

impl Default for SearchParams {
    fn default() -> Self {
        Self {
            // BLAST's ungapped X-drop defaults: 20 bits (blastn), 7 bits (protein)
            x_drop_dna: 22,
            x_drop_protein: 16,
            window_nt: 100_000,
            window_overlap_nt: 5_000,
            protein_level: true,
            dna_prefilter_flank_nt: 8,
            dna_prefilter_min_score: 0,
            protein_skip_bits_per_nt: 1.0,
            dna_seed_skip_bits_per_nt: 1.6,
            join_gaps: true,
            gap_open: 5,
            gap_extend: 2,
            join_max_gap_nt: 30,
            protein_prefilter_flank_aa: 4,
            protein_prefilter_min_score: 24,
        }
    }
}

/// An ungapped alignment between the query and one reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hsp {
    /// DNA or protein level.
    pub level: Level,
    /// Whether query and reference align on opposite strands.
    pub reverse: bool,
    /// Query frame (+1..+3, −1..−3) at protein level, 0 at DNA level.
    pub query_frame: i8,
    /// Start on the query's forward strand (0-based, inclusive).
    pub query_start: usize,
    /// End on the query's forward strand (exclusive).
    pub query_end: usize,
    /// Reference index in the database.
    pub reference: u32,
    /// Start on the reference's forward strand (residues of the reference).
    pub reference_start: u64,
    /// End on the reference (exclusive).
    pub reference_end: u64,
    /// Raw score.
    pub score: i32,
    /// Identical residues at the level of the alignment.
    pub matches: u32,
    /// Aligned residues at the level of the alignment.
    pub columns: u32,
}

impl Hsp {
    /// Bit score.
    pub fn bits(&self) -> f64 {
        self.level.bits(f64::from(self.score))
    }

    /// Length on the query in nt.
    pub fn query_length(&self) -> usize {
        self.query_end - self.query_start
    }

    /// Bits per query nt without the K term: λS/ln2 divided by the span.
    pub fn density(&self) -> f64 {
        self.level.bits_per_nt(self.score, self.query_length())
    }

    /// Identity (identical residues / aligned residues).
    pub fn identity(&self) -> f64 {
        f64::from(self.matches) / f64::from(self.columns.max(1))
    }
}

/// The reference texts and the indexes of a database, as one search sees them.
#[derive(Debug)]
pub struct SearchIndex<'a> {
    /// Nucleotide text.
    pub dna_text: &'a Text,
    /// One index per DNA seed.
    pub dna: &'a [KmerIndex],
    /// Translated and protein text.
    pub protein_text: Option<&'a Text>,
    /// Amino-acid index.
    pub protein: Option<&'a KmerIndex>,
}

impl<'a> SearchIndex<'a> {
    /// The texts and stored indexes of `database`; the protein level only
    /// when `protein_level` and the database has the protein index.
    pub fn build(database: &'a Database, protein_level: bool) -> Result<Self, SeedError> {
        let protein = database
            .index
            .protein
            .as_ref()
            .filter(|_| protein_level && database.meta.params.protein_level);
        let protein_text = protein.and(database.texts.protein.as_ref());
        Ok(Self {
            dna_text: &database.texts.dna,
            dna: &database.index.dna,
            protein_text,
            protein: protein_text.and(protein),
        })
    }

    /// Search-space length of the DNA text (residues).
    pub fn dna_length(&self) -> f64 {
        self.dna_text.codes.len() as f64
    }

    /// Search-space length of the protein text (residues).
    pub fn protein_length(&self) -> f64 {
        self.protein_text
            .as_ref()
            .map_or(1.0, |text| text.codes.len() as f64)
    }
}

#[inline]
fn dna_score(query: u8, target: u8) -> i32 {
    if target == NT_SENTINEL {
        -1_000_000
    } else if query == target && query < 4 {
        DNA_REWARD
    } else {
        DNA_PENALTY
    }
}

#[inline]
fn protein_score(query: u8, target: u8) -> i32 {
    alphabet::blosum62(query, target)
}

/// A hit in strand/frame coordinates before conversion.
#[derive(Debug, Clone, Copy)]
struct RawHit {
    query_start: usize,
    query_end: usize,
    text_start: usize,
    score: i32,
}

/// A DNA alignment in strand coordinates, ungapped or joined across gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Joined {
    query_start: usize,
    query_end: usize,
    text_start: usize,
    text_end: usize,
    score: i32,
    matches: u32,
    columns: u32,
}

impl Joined {
    fn ungapped(hit: &RawHit, query: &[u8], text: &[u8]) -> Self {
        let span = hit.query_end - hit.query_start;
        let matches = query[hit.query_start..hit.query_end]
            .iter()
            .zip(&text[hit.text_start..hit.text_start + span])
            .filter(|(left, right)| **left < 4 && left == right)
            .count() as u32;
        Self {
            query_start: hit.query_start,
            query_end: hit.query_end,
            text_start: hit.text_start,
            text_end: hit.text_start + span,
            score: hit.score,
            matches,
            columns: span as u32,
        }
    }

    fn diagonal_at_end(&self) -> i64 {
        self.text_end as i64 - self.query_end as i64
    }
}

/// Global alignment of `query` against `text` (both short) with +2/−3 and
/// affine gaps (Gotoh 1982, J Mol Biol 162:705): (score, matches, columns).
/// A sentinel in `text` scores far below zero only when aligned to a
/// residue; callers keep sentinels out of `text`.
fn bridge(query: &[u8], text: &[u8], gap_open: i32, gap_extend: i32) -> (i32, u32, u32) {
    const NONE: i32 = i32::MIN / 4;
    #[derive(Clone, Copy)]
    struct Cell {
        score: i32,
        matches: u32,
        columns: u32,
    }
    let none = Cell {
        score: NONE,
        matches: 0,
        columns: 0,
    };
    let better = |left: Cell, right: Cell| {
        if (right.score, right.matches) > (left.score, left.matches) {
            right
        } else {
            left
        }
    };
    let step = |cell: Cell, delta: i32, matched: bool| Cell {
        score: if cell.score == NONE {
            NONE
        } else {
            cell.score + delta
        },
        matches: cell.matches + u32::from(matched),
        columns: cell.columns + 1,
    };
    let (n, m) = (query.len(), text.len());
    // diagonal (ending in a column of two residues), and ending in a gap
    // in the text (query residue against nothing) or in the query
    let mut diagonal = vec![vec![none; m + 1]; n + 1];
    let mut gap_in_text = vec![vec![none; m + 1]; n + 1];
    let mut gap_in_query = vec![vec![none; m + 1]; n + 1];
    diagonal[0][0] = Cell {
        score: 0,
        matches: 0,
        columns: 0,
    };
    for i in 0..=n {
        for j in 0..=m {
            if i > 0 && j > 0 {
                let previous = better(
                    better(diagonal[i - 1][j - 1], gap_in_text[i - 1][j - 1]),
                    gap_in_query[i - 1][j - 1],
                );
                let (left, right) = (query[i - 1], text[j - 1]);
                diagonal[i][j] = step(previous, dna_score(left, right), left < 4 && left == right);
            }
            if i > 0 {
                let open = better(diagonal[i - 1][j], gap_in_query[i - 1][j]);
                gap_in_text[i][j] = better(
                    step(open, -(gap_open + gap_extend), false),
                    step(gap_in_text[i - 1][j], -gap_extend, false),
                );
            }
            if j > 0 {
                let open = better(diagonal[i][j - 1], gap_in_text[i][j - 1]);
                gap_in_query[i][j] = better(
                    step(open, -(gap_open + gap_extend), false),
                    step(gap_in_query[i][j - 1], -gap_extend, false),
                );
            }
        }
    }
    let end = better(
        better(diagonal[n][m], gap_in_text[n][m]),
        gap_in_query[n][m],
    );
    (end.score, end.matches, end.columns)
}

/// Joins alignments of one strand that follow each other on nearby
/// diagonals with at most `join_max_gap_nt` between them, through a gapped
/// alignment of the stretch between them ([`bridge`]), when the joined
/// score beats both parts. Alignments are taken in query order; an
/// overlapping later part is first cut back along its diagonal. Greedy and
/// deterministic: each alignment joins the best-scoring of the recent
/// chains it can reach, or starts a chain. Returns the alignments as given
/// and, after them, every chain of two or more parts: the parts keep their
/// own score density, so a join only adds evidence.
fn join_across_gaps(
    mut alignments: Vec<Joined>,
    query: &[u8],
    text: &[u8],
    params: &SearchParams,
) -> Vec<Joined> {
    const LOOK_BACK: usize = 16;
    alignments.sort_by_key(|alignment| {
        (
            alignment.query_start,
            alignment.text_start,
            alignment.query_end,
        )
    });
    let max_gap = params.join_max_gap_nt;
    let mut chains: Vec<Joined> = Vec::with_capacity(alignments.len());
    let mut n_parts: Vec<usize> = Vec::with_capacity(alignments.len());
    for &next in &alignments {
        let mut best: Option<(usize, Joined)> = None;
        let first = chains.len().saturating_sub(LOOK_BACK);
        for (chain_index, chain) in chains.iter().enumerate().skip(first) {
            let shift =
                (next.text_start as i64 - next.query_start as i64) - chain.diagonal_at_end();
            if shift == 0
                || shift.unsigned_abs() as usize > max_gap
                || next.query_end <= chain.query_end
                || next.text_end <= chain.text_end
            {
                continue;
            }
            // cut the next part back to start after the chain on both axes
            let cut = chain
                .query_end
                .saturating_sub(next.query_start)
                .max(chain.text_end.saturating_sub(next.text_start));
            let (query_from, text_from) = (next.query_start + cut, next.text_start + cut);
            if query_from >= next.query_end
                || query_from - chain.query_end > max_gap
                || text_from - chain.text_end > max_gap
                // never across the end of a reference (a gap could skip
                // the sentinel)
                || text[chain.text_end..text_from].contains(&NT_SENTINEL)
            {
                continue;
            }
            let cut_columns = query[next.query_start..query_from]
                .iter()
                .zip(&text[next.text_start..text_from]);
            let (cut_score, cut_matches) =
                cut_columns.fold((0, 0u32), |(score, matches), (&left, &right)| {
                    (
                        score + dna_score(left, right),
                        matches + u32::from(left < 4 && left == right),
                    )
                });
            let (gap_score, gap_matches, gap_columns) = bridge(
                &query[chain.query_end..query_from],
                &text[chain.text_end..text_from],
                params.gap_open,
                params.gap_extend,
            );
            let score = chain.score + gap_score + next.score - cut_score;
            if score <= chain.score.max(next.score) {
                continue;
            }
            let joined = Joined {
                query_start: chain.query_start,
                query_end: next.query_end,
                text_start: chain.text_start,
                text_end: next.text_end,
                score,
                matches: chain.matches + gap_matches + next.matches - cut_matches,
                columns: chain.columns + gap_columns + next.columns - cut as u32,
            };
            if best.is_none_or(|(_, current)| joined.score > current.score) {
                best = Some((chain_index, joined));
            }
        }
        match best {
            Some((chain_index, joined)) => {
                chains[chain_index] = joined;
                n_parts[chain_index] += 1;
            }
            None => {
                chains.push(next);
                n_parts.push(1);
            }
        }
    }
    alignments.extend(
        chains
            .into_iter()
            .zip(n_parts)
            .filter(|(_, n_parts)| *n_parts > 1)
            .map(|(chain, _)| chain),
    );
    alignments
}

/// Multiplicative hasher for diagonal numbers (no DoS concern: keys come
/// from the engine, not from an adversary choosing hash collisions).
#[derive(Debug, Default, Clone, Copy)]
struct DiagonalHasher(u64);

impl std::hash::Hasher for DiagonalHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, value: i64) {
        self.0 = (value as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// Remembers, per diagonal, how far the last extension reached, so that
/// seeds inside an extended stretch are skipped; the seed passes over one
/// strand (one per DNA seed) share it, so the second seed skips what the
/// first extended. A diagonal's reach only grows. Within a pass positions
/// only grow, so entries that end before the current position can skip
/// nothing more in that pass; they are pruned only in the last pass over a
/// strand or frame, because an earlier pass's leftovers still serve the
/// passes after it (which start again at the window's first position).
/// Which hits are skipped therefore never depends on when pruning ran.
#[derive(Debug)]
struct DiagonalTable {
    reached: std::collections::HashMap<i64, usize, std::hash::BuildHasherDefault<DiagonalHasher>>,
    /// One bit per diagonal modulo its length, set for every diagonal with
    /// an entry (pruning rebuilds it from the entries left): a clear bit
    /// proves that a diagonal has no entry, so most chance hits skip the
    /// hash look-up.
    seen: Box<[u64; DIAGONAL_FILTER_WORDS]>,
    next_prune: usize,
    pruning: bool,
}

/// Words of [`DiagonalTable::seen`] (4,096 bits, 512 bytes).
const DIAGONAL_FILTER_WORDS: usize = 64;

impl DiagonalTable {
    fn new() -> Self {
        Self {
            reached: std::collections::HashMap::default(),
            seen: Box::new([0; DIAGONAL_FILTER_WORDS]),
            next_prune: 0,
            pruning: true,
        }
    }

    /// Empties the table for the next strand or frame, keeping its
    /// allocation (a frame's chance hits grow it to thousands of entries).
    fn clear(&mut self) {
        self.reached.clear();
        self.seen.fill(0);
        self.next_prune = 0;
    }

    #[inline]
    fn filter_bit(diagonal: i64) -> (usize, u64) {
        let bit = (diagonal as u64) % (64 * DIAGONAL_FILTER_WORDS as u64);
        ((bit / 64) as usize, 1 << (bit % 64))
    }

    /// Whether [`DiagonalTable::prune`] drops entries: only in the last
    /// pass over a strand or frame.
    fn set_last_pass(&mut self, last_pass: bool) {
        self.pruning = last_pass;
    }

    #[inline]
    fn reached(&self, diagonal: i64) -> Option<usize> {
        let (word, bit) = Self::filter_bit(diagonal);
        if self.seen[word] & bit == 0 {
            return None;
        }
        self.reached.get(&diagonal).copied()
    }

    #[inline]
    fn set(&mut self, diagonal: i64, end: usize) {
        let (word, bit) = Self::filter_bit(diagonal);
        self.seen[word] |= bit;
        self.reached.insert(diagonal, end);
    }

    /// Drops entries that end at or before `position` (positions only grow),
    /// in the last pass.
    fn prune(&mut self, position: usize) {
        if self.pruning && position >= self.next_prune {
            self.reached.retain(|_, end| *end > position);
            // the filter again holds only the entries left
            self.seen.fill(0);
            for &diagonal in self.reached.keys() {
                let (word, bit) = Self::filter_bit(diagonal);
                self.seen[word] |= bit;
            }
            self.next_prune = position + 1024.max(self.reached.len());
        }
    }
}

/// Prefilter score of the hit at (`query_position`, `text_position`): the
/// seed span and `flank` residues on each side, clipped to `bounds` and the
/// text; +2/−3 from the count of equal codes for nucleotides (a
/// vectorisable loop; equal ambiguity codes count as matches, which only
/// lets a hit through to the exact extension), `score` otherwise.
#[allow(clippy::too_many_arguments)]
#[inline]
fn window_score(
    query: &[u8],
    text: &[u8],
    query_position: usize,
    text_position: usize,
    span: usize,
    flank: usize,
    bounds: &Range<usize>,
    nucleotide: bool,
    score: impl Fn(u8, u8) -> i32,
) -> i32 {
    let back = flank.min(query_position - bounds.start).min(text_position);
    let forward = (query_position + span + flank)
        .min(bounds.end)
        .min(query_position + text.len() - text_position);
    let window = &query[query_position - back..forward];
    let target = &text[text_position - back..];
    if nucleotide {
        let n_equal = window
            .iter()
            .zip(target)
            .map(|(&left, &right)| i32::from(left == right))
            .sum::<i32>();
        let n_columns = window.len() as i32;
        DNA_REWARD * n_equal + DNA_PENALTY * (n_columns - n_equal)
    } else {
        window
            .iter()
            .zip(target)
            .map(|(&left, &right)| score(left, right))
            .sum::<i32>()
    }
}

/// Ungapped X-drop extension of the seed at (`query_position`,
/// `text_position`) to the right, then to the left, within `bounds`:
/// (query start, query end, score) of the best-scoring stretch.
#[allow(clippy::too_many_arguments)]
#[inline]
fn extend(
    query: &[u8],
    text: &[u8],
    query_position: usize,
    text_position: usize,
    span: usize,
    bounds: &Range<usize>,
    score: impl Fn(u8, u8) -> i32,
    x_drop: i32,
) -> (usize, usize, i32) {
    // score of the seed span itself
    let mut running: i32 = query[query_position..query_position + span]
        .iter()
        .zip(&text[text_position..text_position + span])
        .map(|(&left, &right)| score(left, right))
        .sum();
    // right extension
    let mut best = running;
    let mut best_end = query_position + span;
    let (mut query_index, mut text_index) = (query_position + span, text_position + span);
    while query_index < bounds.end && text_index < text.len() {
        running += score(query[query_index], text[text_index]);
        query_index += 1;
        text_index += 1;
        if running > best {
            best = running;
            best_end = query_index;
        } else if running < best - x_drop {
            break;
        }
    }
    // left extension
    running = best;
    let mut best_start = query_position;
    let (mut query_index, mut text_index) = (query_position, text_position);
    while query_index > bounds.start && text_index > 0 {
        query_index -= 1;
        text_index -= 1;
        running += score(query[query_index], text[text_index]);
        if running > best {
            best = running;
            best_start = query_index;
        } else if running < best - x_drop {
            break;
        }
    }
    (best_start, best_end, best)
}

/// Seeds from `seed_positions` of `query`, prefiltered on a window of the
/// seed span and `prefilter.0` residues each side (kept at a score of at
/// least `prefilter.1`), then extended within `bounds`.
#[allow(clippy::too_many_arguments)]
fn seed_and_extend(
    query: &[u8],
    seed_positions: Range<usize>,
    bounds: Range<usize>,
    text: &[u8],
    index: &KmerIndex,
    score: impl Fn(u8, u8) -> i32 + Copy,
    x_drop: i32,
    min_score: i32,
    extended_to: &mut DiagonalTable,
    skip: Option<&[bool]>,
    prefilter: (usize, i32),
    hits: &mut Vec<RawHit>,
) {
    let seed = &index.seed;
    let span = seed.span;
    let last = seed_positions
        .end
        .min((bounds.end + 1).saturating_sub(span));
    if last <= seed_positions.start {
        return;
    }
    let mut keys = seed.keys_range(query, seed_positions.start..last, index.alphabet);
    // skipped positions are never looked up, nor touched
    if let Some(mask) = skip {
        for (key, skipped) in keys.iter_mut().zip(mask) {
            if *skipped {
                *key = NO_KEY;
            }
        }
    }
    // Blocks of query positions go through three passes (key ranges, text
    // positions, prefilter windows), each prefetching the random reads of
    // the element `PREFETCH_AHEAD` places further on, so that many cache
    // misses are in flight while the loop works; only then do the surviving
    // hits, in the same order as a direct loop, meet the diagonal table
    // and the branchy X-drop extension. Results do not depend on the block size.
    const BLOCK: usize = 1024;
    let positions = index.positions();
    let table = index.table();
    let mut ranges: Vec<(usize, usize, usize)> = Vec::with_capacity(BLOCK);
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for block_start in (0..keys.len()).step_by(BLOCK) {
        let block_end = (block_start + BLOCK).min(keys.len());
        ranges.clear();
        for key_index in block_start..block_end {
            if let Some(&ahead) = keys.get(key_index + PREFETCH_AHEAD) {
                table.prefetch(ahead);
            }
            let key = keys[key_index];
            if key == NO_KEY {
                continue;
            }
            let (from, to) = table.range(key);
            if from < to {
                ranges.push((seed_positions.start + key_index, from, to));
            }
        }
        candidates.clear();
        for range_index in 0..ranges.len() {
            if let Some(&(_, ahead, _)) = ranges.get(range_index + PREFETCH_AHEAD) {
                prefetch(positions, ahead);
            }
            let (query_position, from, to) = ranges[range_index];
            candidates.extend(
                positions[from..to]
                    .iter()
                    .map(|&text_position| (query_position, text_position as usize)),
            );
        }
        // hits inside a stretch this diagonal's last extension already
        // reached are skipped now rather than after their reference bytes
        // are fetched: the loop below would skip them too, since a
        // diagonal's reach only grows and pruning (last pass only) drops
        // only entries that can skip nothing more
        if !extended_to.reached.is_empty() {
            candidates.retain(|&(query_position, text_position)| {
                let diagonal = text_position as i64 - query_position as i64;
                extended_to
                    .reached(diagonal)
                    .is_none_or(|end| query_position >= end)
            });
        }
        let (flank, min_window_score) = prefilter;
        // fixed work per hit: the seed span and `flank` on each side;
        // both ends of a later hit's window are fetched meanwhile (it
        // may straddle two cache lines)
        let reach = span + flank;
        let nucleotide = index.alphabet == alphabet::NT_ALPHABET;
        let mut n_kept = 0;
        for candidate_index in 0..candidates.len() {
            if let Some(&(_, ahead)) = candidates.get(candidate_index + PREFETCH_AHEAD) {
                prefetch(text, ahead.saturating_sub(flank));
                prefetch(text, ahead + reach);
            }
            let (query_position, text_position) = candidates[candidate_index];
            if window_score(
                query,
                text,
                query_position,
                text_position,
                span,
                flank,
                &bounds,
                nucleotide,
                score,
            ) >= min_window_score
            {
                candidates[n_kept] = (query_position, text_position);
                n_kept += 1;
            }
        }
        candidates.truncate(n_kept);
        for &(query_position, text_position) in &candidates {
            extended_to.prune(query_position);
            let diagonal = text_position as i64 - query_position as i64;
            if let Some(end) = extended_to.reached(diagonal) {
                if query_position < end {
                    continue;
                }
            }
            let (best_start, best_end, best) = extend(
                query,
                text,
                query_position,
                text_position,
                span,
                &bounds,
                score,
                x_drop,
            );
            extended_to.set(diagonal, best_end);
            if best >= min_score {
                hits.push(RawHit {
                    query_start: best_start,
                    query_end: best_end,
                    text_start: (diagonal + best_start as i64) as usize,
                    score: best,
                });
            }
        }
    }
}

/// The alignments of `this_strand` and those of `other_strand` (of a query
/// of `length` nt) in this strand's coordinates: a query stretch is the
/// same stretch on both strands, counted from opposite ends.
fn on_both_strands(this_strand: &[RawHit], other_strand: &[RawHit], length: usize) -> Vec<RawHit> {
    let mut hits = this_strand.to_vec();
    hits.extend(other_strand.iter().map(|hit| RawHit {
        query_start: length - hit.query_end,
        query_end: length - hit.query_start,
        ..*hit
    }));
    hits
}

/// The seed positions (of `seed_positions`, strand coordinates) whose
/// whole word of `span` nt lies inside alignments of the first DNA seed's
/// pass that count in the best-match rule (at least `min_bits` bits) and
/// score at least `min_bits_per_nt`: the later seeds skip them (see
/// [`SearchParams::dna_seed_skip_bits_per_nt`]). `None` if no such
/// alignment overlaps the positions.
fn explained_by_first_seed(
    hits: &[RawHit],
    seed_positions: Range<usize>,
    span: usize,
    min_bits_per_nt: f64,
    min_bits: f64,
) -> Option<Vec<bool>> {
    let (first, end) = (seed_positions.start, seed_positions.end + span);
    let mut explained = vec![false; end - first];
    let mut any = false;
    for hit in hits {
        let density = Level::Dna.bits_per_nt(hit.score, hit.query_end - hit.query_start);
        if density < min_bits_per_nt || Level::Dna.bits(f64::from(hit.score)) < min_bits {
            continue;
        }
        let (from, to) = (hit.query_start.max(first), hit.query_end.min(end));
        if from < to {
            explained[from - first..to - first].fill(true);
            any = true;
        }
    }
    if !any {
        return None;
    }
    // a word is skipped only if every one of its positions is explained:
    // count the unexplained positions in each window of `span`
    let mut skip = vec![false; seed_positions.len()];
    let mut unexplained = explained[..span.min(explained.len())]
        .iter()
        .filter(|&&is| !is)
        .count();
    for (offset, skipped) in skip.iter_mut().enumerate() {
        if offset + span > explained.len() {
            break;
        }
        if offset > 0 {
            unexplained += usize::from(!explained[offset + span - 1]);
            unexplained -= usize::from(!explained[offset - 1]);
        }
        *skipped = unexplained == 0;
    }
    Some(skip)
}

/// A query prepared for searching: both strands and six frames.
#[derive(Debug, Clone)]
pub struct Query {
    /// Forward strand codes.
    pub forward: Vec<u8>,
    /// Reverse complement codes.
    pub reverse: Vec<u8>,
    /// Frames +1, +2, +3, −1, −2, −3 translated.
    pub frames: Vec<Vec<u8>>,
}

impl Query {
    /// Encodes and translates an ASCII nucleotide sequence.
    pub fn new(sequence: &[u8], protein_level: bool) -> Self {
        let forward = alphabet::encode_nt(sequence);
        let reverse = alphabet::reverse_complement(&forward);
        let frames = if protein_level {
            let mut frames: Vec<Vec<u8>> = (0..3)
                .map(|offset| alphabet::translate(&forward, offset))
                .collect();
            frames.extend((0..3).map(|offset| alphabet::translate(&reverse, offset)));
            frames
        } else {
            Vec::new()
        };
        Self {
            forward,
            reverse,
            frames,
        }
    }

    /// Length in nt.
    pub fn len(&self) -> usize {
        self.forward.len()
    }

    /// The codes of one strand: the reverse complement if `reverse`.
    pub fn strand(&self, reverse: bool) -> &[u8] {
        if reverse {
            &self.reverse
        } else {
            &self.forward
        }
    }

    /// Whether the query is empty.
    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }
}

/// Searches the window `window` (forward nt coordinates) of `query`.
/// `min_bits_dna`/`min_bits_protein`: HSPs below are dropped.
/// `min_bits_counted_dna`: the bits at which a DNA alignment counts in the
/// best-match rule (E ≤ `max_evalue`); only such alignments of the first
/// seed let the later seeds skip words
/// ([`SearchParams::dna_seed_skip_bits_per_nt`]).
#[allow(clippy::too_many_arguments)]
pub fn search_window(
    database: &Database,
    index: &SearchIndex,
    query: &Query,
    window: Range<usize>,
    params: &SearchParams,
    min_bits_dna: f64,
    min_bits_protein: f64,
    min_bits_counted_dna: f64,
) -> Vec<Hsp> {
    let length = query.len();
    let mut hsps = Vec::new();
    let lower = window.start.saturating_sub(params.window_overlap_nt);
    let upper = (window.end + params.window_overlap_nt).min(length);
    let min_score_dna = Level::Dna.score_for_bits(min_bits_dna).ceil() as i32;
    // DNA level: each seed on both strands before the next seed, so that
    // the later seeds skip what the first seed's dense alignments on either
    // strand explain; one diagonal table per strand, shared by its passes
    let strand_ranges = |reverse: bool| {
        if reverse {
            (
                length - window.end..length - window.start,
                length - upper..length - lower,
            )
        } else {
            (window.clone(), lower..upper)
        }
    };
    let mut tables = [DiagonalTable::new(), DiagonalTable::new()];
    let mut strand_hits: [Vec<RawHit>; 2] = [Vec::new(), Vec::new()];
    let mut n_first_seed_hits = [0usize; 2];
    for (seed_number, kmer_index) in index.dna.iter().enumerate() {
        if seed_number == 1 {
            n_first_seed_hits = [strand_hits[0].len(), strand_hits[1].len()];
        }
        for reverse in [false, true] {
            let strand = usize::from(reverse);
            let codes = query.strand(reverse);
            let (seeds, bounds) = strand_ranges(reverse);
            tables[strand].set_last_pass(seed_number + 1 == index.dna.len());
            let skip = (seed_number >= 1)
                .then(|| {
                    let other = 1 - strand;
                    let first_seed = on_both_strands(
                        &strand_hits[strand][..n_first_seed_hits[strand]],
                        &strand_hits[other][..n_first_seed_hits[other]],
                        length,
                    );
                    // each later seed's own span: a word is skipped only if
                    // all of it lies inside the first seed's alignments
                    explained_by_first_seed(
                        &first_seed,
                        seeds.clone(),
                        kmer_index.seed.span,
                        params.dna_seed_skip_bits_per_nt,
                        min_bits_counted_dna,
                    )
                })
                .flatten();
            seed_and_extend(
                codes,
                seeds,
                bounds,
                &index.dna_text.codes,
                kmer_index,
                dna_score,
                params.x_drop_dna,
                min_score_dna,
                &mut tables[strand],
                skip.as_deref(),
                (
                    params.dna_prefilter_flank_nt,
                    params.dna_prefilter_min_score,
                ),
                &mut strand_hits[strand],
            );
        }
    }
    // the protein level reuses a table's allocation
    let [mut extended_to, _] = tables;
    for reverse in [false, true] {
        let codes = query.strand(reverse);
        let hits = &strand_hits[usize::from(reverse)];
        let text = &index.dna_text.codes;
        let mut alignments: Vec<Joined> = hits
            .iter()
            .map(|hit| Joined::ungapped(hit, codes, text))
            .collect();
        if params.join_gaps {
            alignments = join_across_gaps(alignments, codes, text, params);
        }
        for alignment in alignments {
            let Some(segment) = index.dna_text.segment_at(alignment.text_start as u32) else {
                continue;
            };
            // a join never crosses a sentinel (it scores far below zero),
            // so both ends lie in one reference
            let reference_start = (alignment.text_start - segment.start as usize) as u64;
            let (query_start, query_end) = if reverse {
                (length - alignment.query_end, length - alignment.query_start)
            } else {
                (alignment.query_start, alignment.query_end)
            };
            hsps.push(Hsp {
                level: Level::Dna,
                reverse,
                query_frame: 0,
                query_start,
                query_end,
                reference: segment.reference,
                reference_start,
                reference_end: reference_start + (alignment.text_end - alignment.text_start) as u64,
                score: alignment.score,
                matches: alignment.matches,
                columns: alignment.columns,
            });
        }
    }
    // protein level, six query frames
    let (Some(protein_text), Some(protein_index)) = (index.protein_text, index.protein) else {
        return hsps;
    };
    if !params.protein_level {
        return hsps;
    }
    let min_score_protein = Level::Protein.score_for_bits(min_bits_protein).ceil() as i32;
    // forward positions already explained at DNA level
    let mut explained = vec![false; length];
    for hsp in hsps
        .iter()
        .filter(|hsp| hsp.density() >= params.protein_skip_bits_per_nt)
    {
        explained[hsp.query_start..hsp.query_end].fill(true);
    }
    for (frame_index, frame_codes) in query.frames.iter().enumerate() {
        let offset = frame_index % 3;
        let reverse_frame = frame_index >= 3;
        // window in this frame's nt coordinates, then in amino acids
        let (nt_window, nt_bounds) = if reverse_frame {
            (
                length - window.end..length - window.start,
                length - upper..length - lower,
            )
        } else {
            (window.clone(), lower..upper)
        };
        let to_aa = |nt: usize, round_up: bool| {
            let shifted = nt.saturating_sub(offset);
            let aa = if round_up {
                shifted.div_ceil(3)
            } else {
                shifted / 3
            };
            aa.min(frame_codes.len())
        };
        let seeds = to_aa(nt_window.start, true)..to_aa(nt_window.end, true);
        let skip: Vec<bool> = seeds
            .clone()
            .map(|aa| {
                let nt = offset + 3 * aa + 1;
                let forward = if reverse_frame {
                    length.saturating_sub(nt + 1)
                } else {
                    nt
                };
                explained.get(forward).copied().unwrap_or(false)
            })
            .collect();
        if skip.iter().all(|skipped| *skipped) {
            // DNA explains the whole window in this frame
            continue;
        }
        let bounds = to_aa(nt_bounds.start, true)..to_aa(nt_bounds.end, false);
        extended_to.clear();
        extended_to.set_last_pass(true);
        let mut hits = Vec::new();
        seed_and_extend(
            frame_codes,
            seeds,
            bounds,
            &protein_text.codes,
            protein_index,
            protein_score,
            params.x_drop_protein,
            min_score_protein,
            &mut extended_to,
            Some(&skip),
            (
                params.protein_prefilter_flank_aa,
                params.protein_prefilter_min_score,
            ),
            &mut hits,
        );
        let query_frame = (offset as i8 + 1) * if reverse_frame { -1 } else { 1 };
        for hit in hits {
            let Some(segment) = protein_text.segment_at(hit.text_start as u32) else {
                continue;
            };
            let span = hit.query_end - hit.query_start;
            let matches = (0..span)
                .filter(|position| {
                    let code = frame_codes[hit.query_start + position];
                    code < 20 && code == protein_text.codes[hit.text_start + position]
                })
                .count() as u32;
            let nt_start = offset + 3 * hit.query_start;
            let nt_end = offset + 3 * hit.query_end;
            let (query_start, query_end) = if reverse_frame {
                (length - nt_end, length - nt_start)
            } else {
                (nt_start, nt_end)
            };
            let aa_start = (hit.text_start - segment.start as usize) as u64;
            let aa_end = aa_start + span as u64;
            let reference = &database.meta.references[segment.reference as usize];
            let (reference_start, reference_end, reference_reverse) = match reference.molecule {
                Molecule::Protein => (aa_start, aa_end, false),
                Molecule::Nucleotide => {
                    let frame_offset = u64::from(segment.frame.unsigned_abs()) - 1;
                    let start = frame_offset + 3 * aa_start;
                    let end = frame_offset + 3 * aa_end;
                    if segment.frame < 0 {
                        (reference.length - end, reference.length - start, true)
                    } else {
                        (start, end, false)
                    }
                }
            };
            hsps.push(Hsp {
                level: Level::Protein,
                reverse: reverse_frame != reference_reverse,
                query_frame,
                query_start,
                query_end,
                reference: segment.reference,
                reference_start,
                reference_end,
                score: hit.score,
                matches,
                columns: span as u32,
            });
        }
    }
    hsps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Seed;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The search's result is defined by a plain loop: seed passes in
    /// order, query positions ascending, each key's text positions
    /// ascending; a hit is prefiltered, skipped when its diagonal's last
    /// extension reached past it (one table for all passes over the
    /// strand), else extended. The engine's blocks, prefetch passes,
    /// diagonal pre-check and pruning must give exactly those hits, on a
    /// query long enough for many blocks and extensions that cross them.
    #[test]
    fn the_blocked_search_gives_the_hits_of_the_plain_loop() {
        let mut state = ChaCha8Rng::seed_from_u64(7);
        let reference: Vec<u8> = (0..30_000).map(|_| (state.next_u64() % 4) as u8).collect();
        let mut text = vec![NT_SENTINEL];
        text.extend_from_slice(&reference);
        text.push(NT_SENTINEL);
        // a query of 6,000 nt: three pieces of the reference with 6 %, 12 %
        // and 0 % substitutions, and 1,000 random nt
        let mut query = Vec::new();
        for (start, divergence) in [(1_000usize, 6u64), (12_000, 12), (25_000, 0)] {
            for &code in &reference[start..start + 1_666] {
                query.push(if state.next_u64() % 100 < divergence {
                    (code + 1 + (state.next_u64() % 3) as u8) % 4
                } else {
                    code
                });
            }
        }
        query.extend((0..1_000).map(|_| (state.next_u64() % 4) as u8));
        let seeds = ["111010010100110111", "1101101101101101"];
        let indexes: Vec<KmerIndex> = seeds
            .iter()
            .map(|pattern| KmerIndex::build(&text, Seed::parse(pattern, 4).expect("seed"), 4, 512))
            .collect();
        // every seed hit is extended and every extension is a hit, so that
        // chance hits count too
        let (x_drop, min_score, flank, min_window) = (22, 0, 8, -1_000);
        let bounds = 0..query.len();
        // as search_window calls it, and with the later seed skipping a
        // mask of positions as explained_by_first_seed makes it
        let mask: Vec<bool> = (0..query.len()).map(|at| (at / 37) % 3 == 0).collect();
        for skip_later in [None, Some(mask.as_slice())] {
            // the engine, as search_window calls it
            let mut engine = Vec::new();
            let mut table = DiagonalTable::new();
            for (seed_number, index) in indexes.iter().enumerate() {
                table.set_last_pass(seed_number + 1 == indexes.len());
                seed_and_extend(
                    &query,
                    bounds.clone(),
                    bounds.clone(),
                    &text,
                    index,
                    dna_score,
                    x_drop,
                    min_score,
                    &mut table,
                    skip_later.filter(|_| seed_number > 0),
                    (flank, min_window),
                    &mut engine,
                );
            }
            // the plain loop
            let mut plain = Vec::new();
            let mut reached: std::collections::HashMap<i64, usize> = Default::default();
            for (seed_number, index) in indexes.iter().enumerate() {
                let span = index.seed.span;
                for query_position in 0..=query.len() - span {
                    if seed_number > 0 && skip_later.is_some_and(|mask| mask[query_position]) {
                        continue;
                    }
                    let Some(key) = index.seed.key(&query, query_position, 4) else {
                        continue;
                    };
                    for &text_position in index.lookup(key) {
                        let text_position = text_position as usize;
                        let window = window_score(
                            &query,
                            &text,
                            query_position,
                            text_position,
                            span,
                            flank,
                            &bounds,
                            true,
                            dna_score,
                        );
                        if window < min_window {
                            continue;
                        }
                        let diagonal = text_position as i64 - query_position as i64;
                        if reached
                            .get(&diagonal)
                            .is_some_and(|&end| query_position < end)
                        {
                            continue;
                        }
                        let (start, end, score) = extend(
                            &query,
                            &text,
                            query_position,
                            text_position,
                            span,
                            &bounds,
                            dna_score,
                            x_drop,
                        );
                        reached.insert(diagonal, end);
                        if score >= min_score {
                            plain.push((start, end, (diagonal + start as i64) as usize, score));
                        }
                    }
                }
            }
            let engine: Vec<(usize, usize, usize, i32)> = engine
                .iter()
                .map(|hit| (hit.query_start, hit.query_end, hit.text_start, hit.score))
                .collect();
            assert!(plain.len() > 20, "{} hits", plain.len());
            assert!(
                plain.iter().any(|hit| hit.1 - hit.0 > 1_024),
                "an extension longer than a block"
            );
            assert_eq!(engine, plain);
        }
    }

    /// The diagonal filter only short-cuts look-ups: diagonals sharing a
    /// filter bit, negative diagonals, pruned entries and clearing all
    /// give what the map alone gives.
    #[test]
    fn the_diagonal_filter_never_changes_what_the_table_answers() {
        let n_bits = 64 * DIAGONAL_FILTER_WORDS as i64;
        let mut table = DiagonalTable::new();
        assert_eq!(table.reached(5), None);
        table.set(5, 100);
        assert_eq!(table.reached(5), Some(100));
        // same filter bit, no entry
        assert_eq!(table.reached(5 + n_bits), None);
        assert_eq!(table.reached(5 - n_bits), None);
        table.set(-3, 40);
        assert_eq!(table.reached(-3), Some(40));
        assert_eq!(table.reached(-3 + n_bits), None);
        // pruning drops the entry and its bit; the others stay
        table.prune(50);
        assert_eq!(table.reached(-3), None);
        assert_eq!(table.reached(5), Some(100));
        let (word, bit) = DiagonalTable::filter_bit(-3);
        assert_eq!(table.seen[word] & bit, 0);
        // against a plain map, over random operations
        let mut state = ChaCha8Rng::seed_from_u64(3);
        let mut plain: std::collections::HashMap<i64, usize> = Default::default();
        let mut table = DiagonalTable::new();
        for step in 0..20_000usize {
            let diagonal = (state.next_u64() % 20_000) as i64 - 10_000;
            match state.next_u64() % 4 {
                0 => {
                    table.set(diagonal, step);
                    plain.insert(diagonal, step);
                }
                1 if step % 97 == 0 => {
                    let position = step.saturating_sub(500);
                    table.next_prune = 0;
                    table.prune(position);
                    plain.retain(|_, end| *end > position);
                }
                _ => assert_eq!(table.reached(diagonal), plain.get(&diagonal).copied()),
            }
        }
        table.clear();
        assert_eq!(table.reached(5), None);
        assert!(table.seen.iter().all(|word| *word == 0));
    }

    /// The first seed's alignments of the other strand explain the same
    /// query stretch in this strand's coordinates, so the later seeds skip
    /// the same words on both strands.
    #[test]
    fn first_seed_alignments_of_the_other_strand_explain_the_same_stretch() {
        let hit = |query_start: usize, query_end: usize| RawHit {
            query_start,
            query_end,
            text_start: 7,
            score: 200,
        };
        // a 300-nt query: forward 20..120 is reverse 180..280
        let both = on_both_strands(&[hit(0, 10)], &[hit(20, 120)], 300);
        let spans: Vec<(usize, usize, usize, i32)> = both
            .iter()
            .map(|hit| (hit.query_start, hit.query_end, hit.text_start, hit.score))
            .collect();
        assert_eq!(spans, vec![(0, 10, 7, 200), (180, 280, 7, 200)]);
        // the words skipped on each strand are the same stretch
        let forward =
            explained_by_first_seed(&[hit(20, 120)], 0..284, 16, 1.6, 40.0).expect("dense");
        let reverse = explained_by_first_seed(
            &on_both_strands(&[], &[hit(20, 120)], 300),
            0..284,
            16,
            1.6,
            40.0,
        )
        .expect("dense");
        let covered = |skip: &[bool]| -> (usize, usize) {
            let first = skip.iter().position(|&skipped| skipped).expect("some");
            let last = skip.iter().rposition(|&skipped| skipped).expect("some");
            (first, last + 16)
        };
        let (forward_start, forward_end) = covered(&forward);
        let (reverse_start, reverse_end) = covered(&reverse);
        assert_eq!((forward_start, forward_end), (20, 120));
        assert_eq!((300 - reverse_end, 300 - reverse_start), (20, 120));
    }

    /// Later DNA seeds skip a word only when all of it lies inside
    /// alignments of the first seed at the skip density; other alignments
    /// skip nothing.
    #[test]
    fn later_seeds_skip_only_words_inside_dense_first_seed_alignments() {
        let hit = |query_start: usize, query_end: usize, score: i32| RawHit {
            query_start,
            query_end,
            text_start: 0,
            score,
        };
        let bits_per_nt = 1.6;
        // 100 identical nt score 200 (1.83 bits per nt); 100 nt at 90 %
        // identity score 150 (1.37 bits per nt)
        assert_eq!(
            explained_by_first_seed(&[hit(10, 110, 150)], 0..200, 16, bits_per_nt, 0.0),
            None
        );
        // an exact 18-nt chance match is dense but does not count in the
        // rule (34 bits, below what E <= max_evalue needs)
        assert_eq!(
            explained_by_first_seed(&[hit(10, 28, 36)], 0..200, 16, bits_per_nt, 40.0),
            None
        );
        let skip = explained_by_first_seed(&[hit(10, 110, 200)], 0..200, 16, bits_per_nt, 40.0)
            .expect("a dense alignment");
        assert_eq!(skip.len(), 200);
        let skipped: Vec<usize> = (0..200).filter(|&at| skip[at]).collect();
        // words 10..=94 lie wholly inside 10..110
        assert_eq!(skipped, (10..=94).collect::<Vec<_>>());
        // seed positions that do not start at 0, and two alignments with a
        // gap between them: a word over the gap is not skipped
        let skip = explained_by_first_seed(
            &[hit(100, 150, 100), hit(152, 200, 96)],
            90..190,
            16,
            bits_per_nt,
            0.0,
        )
        .expect("dense alignments");
        let skipped: Vec<usize> = (0..100).filter(|&at| skip[at]).map(|at| at + 90).collect();
        let expected: Vec<usize> = (100..=134).chain(152..=184).collect();
        assert_eq!(skipped, expected);
    }

    /// The bridge of a join is a global alignment with affine gaps:
    /// (score, identical columns, columns).
    #[test]
    fn bridges_score_gaps_as_blastn_does() {
        let codes = |text: &[u8]| alphabet::encode_nt(text);
        assert_eq!(bridge(&[], &[], 5, 2), (0, 0, 0));
        // a gap of 3 costs 5 + 3 × 2
        assert_eq!(bridge(&[], &codes(b"ACG"), 5, 2), (-11, 0, 3));
        assert_eq!(bridge(&codes(b"ACG"), &[], 5, 2), (-11, 0, 3));
        assert_eq!(bridge(&codes(b"ACGT"), &codes(b"ACGT"), 5, 2), (8, 4, 4));
        // one mismatch (−3) is cheaper than two gaps (−14)
        assert_eq!(bridge(&codes(b"ACGT"), &codes(b"AGGT"), 5, 2), (3, 3, 4));
        // one deleted base: 4 matches and a gap of 1
        assert_eq!(bridge(&codes(b"ACGT"), &codes(b"ACCGT"), 5, 2), (1, 4, 5));
        // a join never crosses the end of a reference, even where a gap
        // over the sentinel would score well: two references ACGT… and
        // …, and a query that continues from the first into the second
        let first = codes(b"GATTACAGATTACAGGCCTTAAGC");
        let second = codes(b"CTTGAAGGCTTCCAGATGCAACGT");
        let mut text = vec![NT_SENTINEL];
        text.extend_from_slice(&first);
        text.push(NT_SENTINEL);
        text.extend_from_slice(&second);
        text.push(NT_SENTINEL);
        let mut query = first.clone();
        query.extend_from_slice(&second);
        let part = |query_start: usize, text_start: usize, length: usize| Joined {
            query_start,
            query_end: query_start + length,
            text_start,
            text_end: text_start + length,
            score: 2 * length as i32,
            matches: length as u32,
            columns: length as u32,
        };
        let parts = vec![part(0, 1, 24), part(24, 26, 24)];
        let joined = join_across_gaps(parts.clone(), &query, &text, &SearchParams::default());
        assert_eq!(joined, parts);
        // the same parts inside one reference are joined across the gap
        let mut one = vec![NT_SENTINEL];
        one.extend_from_slice(&first);
        one.push(0);
        one.extend_from_slice(&second);
        one.push(NT_SENTINEL);
        let joined = join_across_gaps(parts.clone(), &query, &one, &SearchParams::default());
        assert_eq!(joined.len(), 3);
        assert_eq!(
            (
                joined[2].query_start,
                joined[2].query_end,
                joined[2].text_end
            ),
            (0, 48, 50)
        );
        assert_eq!((joined[2].score, joined[2].columns), (96 - 7, 49));
    }

    #[test]
    fn bit_scores_follow_karlin_altschul() {
        // 50 identical nt at +2: S = 100
        let bits = Level::Dna.bits(100.0);
        assert!((bits - (0.634 * 100.0 - 0.408f64.ln()) / std::f64::consts::LN_2).abs() < 1e-9);
        let score = Level::Protein.score_for_bits(40.0);
        assert!((Level::Protein.bits(score) - 40.0).abs() < 1e-9);
    }
}
