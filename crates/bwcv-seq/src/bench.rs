//! Seeded benchmark generator: synthesis-order-like fragments cut from
//! concern and background genomes, with substitution divergence (random, or
//! synonymous-only in the fragment's open reading frame), some embedded in
//! background flanks, and truth labels.
//!
//! Same seed and same genomes give the same orders, byte for byte.

#![forbid(unsafe_code)]

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::alphabet::{self, AA_STOP};
use crate::db::Origin;

/// How substitutions are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mutation {
    /// Uniformly random positions, each changed to another base.
    Random,
    /// Only synonymous codon changes in the fragment's stop-free frame.
    Synonymous,
    /// Random substitutions plus one insertion or deletion of 1–3 nt per
    /// started 50 nt ([`mutate_indels`]).
    Indel,
}

impl Mutation {
    /// Name in the truth table.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutation::Random => "random",
            Mutation::Synonymous => "synonymous",
            Mutation::Indel => "indel",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    /// RNG seed.
    pub seed: u64,
    /// Orders per (origin, length, divergence, mutation) bin.
    pub per_bin: usize,
    /// Fragment lengths in nt.
    pub lengths: Vec<usize>,
    /// Divergences in percent.
    pub divergences_pct: Vec<u32>,
    /// Every n-th order of a bin is embedded in background flanks (0: never).
    pub embed_every: usize,
    /// Total background flank length around an embedded fragment.
    pub flank_nt: usize,
    /// Also orders with insertions and deletions ([`Mutation::Indel`]),
    /// generated after all others from their own random stream, so that
    /// the other orders stay the same with or without them.
    pub indels: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            seed: 1,
            per_bin: 20,
            lengths: vec![50, 150, 500],
            divergences_pct: vec![0, 2, 5, 10, 15],
            embed_every: 4,
            flank_nt: 1000,
            indels: false,
        }
    }
}

/// A genome the generator cuts from.
#[derive(Debug, Clone)]
pub struct Source {
    /// Name (FASTA id).
    pub name: String,
    /// Concern or background.
    pub origin: Origin,
    /// ASCII sequence.
    pub sequence: Vec<u8>,
}

/// The truth label of one order.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// Order id.
    pub id: String,
    /// Origin of the fragment.
    pub origin: Origin,
    /// Source genome.
    pub source: String,
    /// 0-based start in the source.
    pub source_start: usize,
    /// Fragment length.
    pub length: usize,
    /// Whether the fragment was reverse-complemented.
    pub reverse: bool,
    /// Requested divergence (percent).
    pub divergence_pct: u32,
    /// Achieved divergence (fraction of the fragment's nt changed).
    pub divergence_actual: f64,
    /// Mutation mode.
    pub mutation: Mutation,
    /// Whether embedded in background flanks.
    pub embedded: bool,
    /// 0-based start of the fragment in the order.
    pub insert_start: usize,
    /// End of the fragment in the order (exclusive).
    pub insert_end: usize,
    /// "flag" for concern fragments, "pass" for background.
    pub expected: &'static str,
}

/// An order with its truth.
#[derive(Debug, Clone)]
pub struct Order {
    /// ASCII sequence.
    pub sequence: Vec<u8>,
    /// Truth label.
    pub truth: Truth,
}

/// Substitutes exactly `round(fraction × len)` distinct positions.
pub fn mutate_random(sequence: &mut [u8], fraction: f64, rng: &mut impl Rng) -> usize {
    let n_changes = ((fraction * sequence.len() as f64).round() as usize).min(sequence.len());
    let mut positions: Vec<usize> = (0..sequence.len()).collect();
    positions.shuffle(rng);
    for &position in &positions[..n_changes] {
        let current = alphabet::nt_code(sequence[position]);
        let mut replacement = rng.gen_range(0..4u8);
        while replacement == current {
            replacement = rng.gen_range(0..4u8);
        }
        sequence[position] = alphabet::nt_letter(replacement);
    }
    n_changes
}

/// Orders shorter than this get no indel variant (an event must lie at
/// least 5 nt from both ends, and the order must keep its nominal length).
pub const MIN_INDEL_ORDER_NT: usize = 20;

/// Indel events of an order of `length` nt: one per started 50 nt, each
/// an insertion or a deletion of 1–3 nt: (inserted, deleted) sizes.
fn indel_events(length: usize, rng: &mut impl Rng) -> Vec<(bool, usize)> {
    (0..length.div_ceil(50))
        .map(|_| (rng.gen_bool(0.5), rng.gen_range(1..=3)))
        .collect()
}

/// Applies `events` (insertion?, size) to `sequence` at distinct interior
/// positions (at least 5 nt from either end), then substitutes
/// `round(fraction × final length)` positions ([`mutate_random`]); returns
/// the number of nt changed (substituted, inserted or deleted).
pub fn mutate_indels(
    sequence: &mut Vec<u8>,
    events: &[(bool, usize)],
    fraction: f64,
    rng: &mut impl Rng,
) -> usize {
    let mut changed = 0;
    for &(insertion, size) in events {
        let (low, high) = (5, sequence.len().saturating_sub(5 + size));
        if high <= low {
            continue;
        }
        let at = rng.gen_range(low..high);
        if insertion {
            let bases: Vec<u8> = (0..size).map(|_| b"ACGT"[rng.gen_range(0..4)]).collect();
            sequence.splice(at..at, bases);
        } else {
            sequence.drain(at..at + size);
        }
        changed += size;
    }
    changed + mutate_random(sequence, fraction, rng)
}

/// Synonymous codon changes in frame `offset` until `fraction × len` nt
/// differ (or no codon can change further). Returns the nt changed.
pub fn mutate_synonymous(
    sequence: &mut [u8],
    offset: usize,
    fraction: f64,
    rng: &mut impl Rng,
) -> usize {
    let synonymous = alphabet::synonymous_codons();
    let target = (fraction * sequence.len() as f64).round() as usize;
    let n_codons = sequence.len().saturating_sub(offset) / 3;
    let mut codons: Vec<usize> = (0..n_codons).collect();
    codons.shuffle(rng);
    let mut changed = 0;
    for codon in codons {
        if changed >= target {
            break;
        }
        let start = offset + 3 * codon;
        let original = [
            alphabet::nt_code(sequence[start]),
            alphabet::nt_code(sequence[start + 1]),
            alphabet::nt_code(sequence[start + 2]),
        ];
        if original.iter().any(|code| *code > 3) {
            continue;
        }
        let amino_acid = alphabet::translate_codon(original[0], original[1], original[2]);
        let room = target - changed;
        let choices: Vec<&[u8; 3]> = synonymous[amino_acid as usize]
            .iter()
            .filter(|candidate| {
                let differences = candidate
                    .iter()
                    .zip(&original)
                    .filter(|(a, b)| a != b)
                    .count();
                differences > 0 && differences <= room
            })
            .collect();
        let Some(choice) = choices.choose(rng) else {
            continue;
        };
        for (index, code) in choice.iter().enumerate() {
            if *code != original[index] {
                changed += 1;
            }
            sequence[start + index] = alphabet::nt_letter(*code);
        }
    }
    changed
}

/// A frame offset (0..3) in which `sequence` translates without a stop.
fn open_frame(sequence: &[u8]) -> Option<usize> {
    let codes = alphabet::encode_nt(sequence);
    (0..3).find(|&offset| !alphabet::translate(&codes, offset).contains(&AA_STOP))
}

/// Generates the orders of `spec` from `sources` (at least one concern and
/// one background source longer than the longest fragment).
pub fn generate(sources: &[Source], spec: &Spec) -> Vec<Order> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let usable = |origin: Origin, length: usize| -> Vec<&Source> {
        sources
            .iter()
            .filter(|source| source.origin == origin && source.sequence.len() > length + 3)
            .collect()
    };
    let flanks = usable(Origin::Background, spec.flank_nt);
    let mut orders = Vec::new();
    for origin in [Origin::Concern, Origin::Background] {
        for &length in &spec.lengths {
            let candidates = usable(origin, length);
            if candidates.is_empty() {
                continue;
            }
            for &divergence_pct in &spec.divergences_pct {
                for mutation in [Mutation::Random, Mutation::Synonymous] {
                    for index in 0..spec.per_bin {
                        let source = candidates[rng.gen_range(0..candidates.len())];
                        let mut start = rng.gen_range(0..source.sequence.len() - length);
                        let mut frame = None;
                        if mutation == Mutation::Synonymous {
                            for _ in 0..200 {
                                if let Some(offset) =
                                    open_frame(&source.sequence[start..start + length])
                                {
                                    frame = Some(offset);
                                    break;
                                }
                                start = rng.gen_range(0..source.sequence.len() - length);
                            }
                        }
                        let mut fragment =
                            source.sequence[start..start + length].to_ascii_uppercase();
                        let fraction = f64::from(divergence_pct) / 100.0;
                        let changed = match mutation {
                            Mutation::Random | Mutation::Indel => {
                                mutate_random(&mut fragment, fraction, &mut rng)
                            }
                            Mutation::Synonymous => mutate_synonymous(
                                &mut fragment,
                                frame.unwrap_or(0),
                                fraction,
                                &mut rng,
                            ),
                        };
                        let cut = Cut {
                            origin,
                            source,
                            start,
                            length,
                            divergence_pct,
                            mutation,
                            changed,
                            index,
                        };
                        push_order(&mut orders, &mut rng, spec, &flanks, cut, fragment);
                    }
                }
            }
        }
    }
    if spec.indels {
        // their own stream: the orders above do not change
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x1d_e1);
        for origin in [Origin::Concern, Origin::Background] {
            for &length in &spec.lengths {
                // room for up to 3 nt deleted per started 50 nt; orders
                // too short for an indel 5 nt from both ends get none
                let candidates = usable(origin, length + 3 * length.div_ceil(50));
                if candidates.is_empty() || length < MIN_INDEL_ORDER_NT {
                    continue;
                }
                for &divergence_pct in &spec.divergences_pct {
                    for index in 0..spec.per_bin {
                        let source = candidates[rng.gen_range(0..candidates.len())];
                        let events = indel_events(length, &mut rng);
                        let deleted: usize = events.iter().filter(|e| !e.0).map(|e| e.1).sum();
                        let inserted: usize = events.iter().filter(|e| e.0).map(|e| e.1).sum();
                        // cut so that the order ends up `length` nt long
                        let cut_length = length + deleted - inserted;
                        let start = rng.gen_range(0..source.sequence.len() - cut_length);
                        let mut fragment =
                            source.sequence[start..start + cut_length].to_ascii_uppercase();
                        let fraction = f64::from(divergence_pct) / 100.0;
                        let changed = mutate_indels(&mut fragment, &events, fraction, &mut rng);
                        let cut = Cut {
                            origin,
                            source,
                            start,
                            length,
                            divergence_pct,
                            mutation: Mutation::Indel,
                            changed,
                            index,
                        };
                        push_order(&mut orders, &mut rng, spec, &flanks, cut, fragment);
                    }
                }
            }
        }
    }
    orders
}

/// Where a fragment came from and what was done to it.
struct Cut<'a> {
    origin: Origin,
    source: &'a Source,
    start: usize,
    length: usize,
    divergence_pct: u32,
    mutation: Mutation,
    changed: usize,
    /// Index within its bin.
    index: usize,
}

/// Turns a mutated fragment into the next order: reverse-complemented half of
/// the time, every `embed_every`-th of a bin embedded in background flanks,
/// named and labelled.
fn push_order(
    orders: &mut Vec<Order>,
    rng: &mut ChaCha8Rng,
    spec: &Spec,
    flanks: &[&Source],
    cut: Cut<'_>,
    mut fragment: Vec<u8>,
) {
    let reverse = rng.gen_bool(0.5);
    if reverse {
        let codes = alphabet::reverse_complement(&alphabet::encode_nt(&fragment));
        fragment = codes.into_iter().map(alphabet::nt_letter).collect();
    }
    let embedded = spec.embed_every > 0
        && cut.index % spec.embed_every == spec.embed_every - 1
        && !flanks.is_empty();
    let (sequence, insert_start) = if embedded {
        let flank_source = flanks[rng.gen_range(0..flanks.len())];
        let flank_start = rng.gen_range(0..flank_source.sequence.len() - spec.flank_nt);
        let flank = &flank_source.sequence[flank_start..flank_start + spec.flank_nt];
        let left = spec.flank_nt / 2;
        let mut sequence = flank[..left].to_ascii_uppercase();
        sequence.extend_from_slice(&fragment);
        sequence.extend(flank[left..].to_ascii_uppercase());
        (sequence, left)
    } else {
        (fragment, 0)
    };
    let id = format!(
        "order{:05}_{}_{}nt_d{}_{}{}",
        orders.len() + 1,
        match cut.origin {
            Origin::Concern => "concern",
            Origin::Background => "background",
        },
        cut.length,
        cut.divergence_pct,
        cut.mutation.as_str(),
        if embedded { "_embedded" } else { "" }
    );
    orders.push(Order {
        truth: Truth {
            id,
            origin: cut.origin,
            source: cut.source.name.clone(),
            source_start: cut.start,
            length: cut.length,
            reverse,
            divergence_pct: cut.divergence_pct,
            divergence_actual: cut.changed as f64 / cut.length as f64,
            mutation: cut.mutation,
            embedded,
            insert_start,
            insert_end: insert_start + cut.length,
            expected: match cut.origin {
                Origin::Concern => "flag",
                Origin::Background => "pass",
            },
        },
        sequence,
    });
}

/// Header of the truth TSV.
pub const TRUTH_HEADER: &[&str] = &[
    "id",
    "origin",
    "source",
    "source_start",
    "length",
    "reverse",
    "divergence_pct",
    "divergence_actual",
    "mutation",
    "embedded",
    "insert_start",
    "insert_end",
    "expected",
];

/// One truth row as TSV cells.
pub fn truth_row(truth: &Truth) -> Vec<String> {
    vec![
        truth.id.clone(),
        match truth.origin {
            Origin::Concern => "concern".into(),
            Origin::Background => "background".into(),
        },
        truth.source.clone(),
        truth.source_start.to_string(),
        truth.length.to_string(),
        truth.reverse.to_string(),
        truth.divergence_pct.to_string(),
        format!("{:.4}", truth.divergence_actual),
        truth.mutation.as_str().into(),
        truth.embedded.to_string(),
        truth.insert_start.to_string(),
        truth.insert_end.to_string(),
        truth.expected.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_genome(rng: &mut ChaCha8Rng, length: usize) -> Vec<u8> {
        (0..length).map(|_| b"ACGT"[rng.gen_range(0..4)]).collect()
    }

    /// A random 5,000-nt concern genome "c" and background genome "b".
    fn two_sources(seed: u64) -> Vec<Source> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        vec![
            Source {
                name: "c".into(),
                origin: Origin::Concern,
                sequence: random_genome(&mut rng, 5000),
            },
            Source {
                name: "b".into(),
                origin: Origin::Background,
                sequence: random_genome(&mut rng, 5000),
            },
        ]
    }

    #[test]
    fn generation_is_deterministic_and_labelled() {
        let sources = two_sources(3);
        let spec = Spec {
            per_bin: 4,
            ..Spec::default()
        };
        let first = generate(&sources, &spec);
        let second = generate(&sources, &spec);
        assert_eq!(first.len(), 2 * 3 * 5 * 2 * 4);
        assert!(
            first
                .iter()
                .zip(&second)
                .all(|(a, b)| a.sequence == b.sequence)
        );
        for order in &first {
            let truth = &order.truth;
            assert_eq!(
                order.sequence.len(),
                truth.length + if truth.embedded { 1000 } else { 0 }
            );
            if truth.mutation == Mutation::Random {
                let expected =
                    (f64::from(truth.divergence_pct) / 100.0 * truth.length as f64).round();
                assert!((truth.divergence_actual * truth.length as f64 - expected).abs() < 0.5);
            } else {
                let target =
                    (f64::from(truth.divergence_pct) / 100.0 * truth.length as f64).round();
                assert!(truth.divergence_actual * truth.length as f64 <= target + 1e-9);
            }
        }
        assert!(first.iter().any(|order| order.truth.embedded));
    }

    /// Orders with indels come after the others, which stay the same; each
    /// is the nominal length, and differs from its source by insertions
    /// and deletions as well as substitutions.
    #[test]
    fn indel_orders_leave_the_others_unchanged() {
        let sources = two_sources(4);
        let spec = Spec {
            per_bin: 4,
            ..Spec::default()
        };
        let without = generate(&sources, &spec);
        let with = generate(
            &sources,
            &Spec {
                indels: true,
                ..spec.clone()
            },
        );
        assert_eq!(with.len(), without.len() * 3 / 2);
        for (old, new) in without.iter().zip(&with) {
            assert_eq!(old.sequence, new.sequence);
            assert_eq!(old.truth.id, new.truth.id);
        }
        let indels = &with[without.len()..];
        assert!(
            indels
                .iter()
                .all(|order| order.truth.mutation == Mutation::Indel)
        );
        for order in indels {
            let truth = &order.truth;
            let insert = &order.sequence[truth.insert_start..truth.insert_end];
            assert_eq!(insert.len(), truth.length);
            assert_eq!(
                order.sequence.len(),
                truth.length + if truth.embedded { 1000 } else { 0 }
            );
            // at least one nt per started 50 changed by an indel
            assert!(
                truth.divergence_actual * truth.length as f64 >= truth.length.div_ceil(50) as f64
            );
        }
        // an order without substitutions is its source with a few nt
        // inserted or deleted: not the source itself, and not a shifted copy
        let plain = indels
            .iter()
            .find(|order| {
                order.truth.divergence_pct == 0
                    && !order.truth.embedded
                    && !order.truth.reverse
                    && order.truth.origin == Origin::Concern
            })
            .expect("an order without substitutions");
        let source = &sources[0].sequence[plain.truth.source_start..];
        assert_ne!(&plain.sequence[..], &source[..plain.truth.length]);
        assert_eq!(&plain.sequence[..5], &source[..5]);
    }

    /// Regression: `--lengths 1 --indels` underflowed the cut length (one
    /// nt long, two inserted) and panicked; short lengths get no indel
    /// orders, and every indel order keeps its nominal length.
    #[test]
    fn short_lengths_get_no_indel_orders() {
        let sources = two_sources(5);
        for length in [1, 5, 19, 20, 21, 60] {
            let spec = Spec {
                per_bin: 3,
                lengths: vec![length],
                embed_every: 0,
                indels: true,
                ..Spec::default()
            };
            let orders = generate(&sources, &spec);
            let n_indel = orders
                .iter()
                .filter(|order| order.truth.mutation == Mutation::Indel)
                .count();
            assert_eq!(
                n_indel,
                if length < MIN_INDEL_ORDER_NT {
                    0
                } else {
                    2 * 5 * 3
                }
            );
            assert!(orders.iter().all(|order| order.sequence.len() == length));
        }
    }

    #[test]
    fn synonymous_mutation_keeps_the_protein() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let original: Vec<u8> = b"ATGGCTCTGAGCCGTAAAGGTCTGCTGGAAACCTTCTCTGCGGTTATCCGT".to_vec();
        let mut mutated = original.clone();
        let changed = mutate_synonymous(&mut mutated, 0, 0.15, &mut rng);
        assert!(changed > 0);
        let differing = original
            .iter()
            .zip(&mutated)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differing, changed);
        assert_eq!(
            alphabet::translate(&alphabet::encode_nt(&original), 0),
            alphabet::translate(&alphabet::encode_nt(&mutated), 0)
        );
    }
}
