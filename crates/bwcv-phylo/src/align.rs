//! Pairwise alignment of a genome to a reference, for closely related
//! genomes (the reference-based alignment of `augur align`/Nextalign).
//!
//! Method: unique k-mers of the reference anchor the query; the band of
//! diagonals they span (plus a margin) bounds a semi-global alignment with
//! affine gaps (Gotoh 1982), free end gaps on both sequences. The result is
//! one row of the reference's length: aligned bases, `-` for reference
//! positions the query lacks (deletions and unsequenced ends). Insertions
//! relative to the reference are dropped (and counted), as reference-based
//! alignment tools do, so all rows share the reference's coordinates.

use std::collections::HashMap;

use serde::Serialize;

/// Alignment knobs; recorded in results.
#[derive(Debug, Clone, Serialize)]
pub struct AlignParams {
    /// Anchor k-mer length.
    pub k: usize,
    /// Extra diagonals on each side of the anchored band.
    pub band_margin: usize,
    pub match_score: i32,
    pub mismatch: i32,
    /// Score of a gap's first position.
    pub gap_open: i32,
    /// Score of each further gap position.
    pub gap_extend: i32,
}

impl Default for AlignParams {
    fn default() -> Self {
        AlignParams {
            k: 15,
            band_margin: 64,
            match_score: 2,
            mismatch: -3,
            gap_open: -6,
            gap_extend: -1,
        }
    }
}

/// Errors aligning.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AlignError {
    #[error(
        "align: {name:?} shares no {k}-mer with the reference; it is not close enough to align"
    )]
    NoAnchor { name: String, k: usize },
    #[error("align: empty sequence {name:?}")]
    Empty { name: String },
}

/// One query aligned to the reference.
#[derive(Debug, Clone, Serialize)]
pub struct Aligned {
    /// Row of the reference's length.
    #[serde(skip)]
    pub row: Vec<u8>,
    /// Bases of the query inserted relative to the reference (dropped).
    pub inserted: usize,
    /// Reference positions covered by a query base.
    pub covered: usize,
    pub score: i32,
}

const NEG: i32 = i32::MIN / 4;

fn score_pair(a: u8, b: u8, p: &AlignParams) -> i32 {
    let known = |c: u8| matches!(c, b'A' | b'C' | b'G' | b'T' | b'U');
    if !known(a) || !known(b) {
        0
    } else if a == b || (a == b'T' && b == b'U') || (a == b'U' && b == b'T') {
        p.match_score
    } else {
        p.mismatch
    }
}

/// Aligns `query` to `reference`.
pub fn to_reference(
    reference: &[u8],
    query: &[u8],
    name: &str,
    p: &AlignParams,
) -> Result<Aligned, AlignError> {
    let m = reference.len();
    let n = query.len();
    if m == 0 || n == 0 {
        return Err(AlignError::Empty {
            name: name.to_string(),
        });
    }
    let k = p.k.min(m).min(n);
    let mut kmers: HashMap<&[u8], Option<usize>> = HashMap::new();
    for j in 0..=m - k {
        kmers
            .entry(&reference[j..j + k])
            .and_modify(|slot| *slot = None)
            .or_insert(Some(j));
    }
    let mut diagonals: Vec<i64> = Vec::new();
    for i in 0..=n - k {
        if let Some(Some(j)) = kmers.get(&query[i..i + k]) {
            diagonals.push(*j as i64 - i as i64);
        }
    }
    if diagonals.is_empty() {
        return Err(AlignError::NoAnchor {
            name: name.to_string(),
            k,
        });
    }
    diagonals.sort_unstable();
    let median = diagonals[diagonals.len() / 2];
    // Ignore stray anchors far from the main diagonal (repeats, chance hits).
    let spread = 2000i64;
    let kept: Vec<i64> = diagonals
        .iter()
        .copied()
        .filter(|d| (d - median).abs() <= spread)
        .collect();
    let margin = p.band_margin as i64;
    let dlo = kept[0] - margin;
    let dhi = kept[kept.len() - 1] + margin;
    let width = (dhi - dlo + 1) as usize;

    // traceback byte: bits 0-1 source of H (0 diag, 1 E, 2 F, 3 start),
    // bit 2: E extended, bit 3: F extended
    let mut trace = vec![0u8; (n + 1) * width];
    let mut h_prev = vec![NEG; width];
    let mut f_prev = vec![NEG; width];
    let mut h_cur = vec![NEG; width];
    let mut f_cur = vec![NEG; width];
    let mut best = (NEG, 0usize, 0usize);
    let column = |i: usize, kk: usize| -> i64 { i as i64 + dlo + kk as i64 };
    for i in 0..=n {
        let mut e = NEG;
        for kk in 0..width {
            let j = column(i, kk);
            if j < 0 || j > m as i64 {
                h_cur[kk] = NEG;
                f_cur[kk] = NEG;
                e = NEG;
                continue;
            }
            let j = j as usize;
            let cell = i * width + kk;
            if i == 0 || j == 0 {
                h_cur[kk] = 0;
                f_cur[kk] = NEG;
                e = NEG;
                trace[cell] = 3;
            } else {
                // E: gap in the query (consumes reference), from (i, j-1)
                let mut bits = 0u8;
                let (h_left, e_left) = if kk > 0 {
                    (h_cur[kk - 1], e)
                } else {
                    (NEG, NEG)
                };
                let open_e = h_left.saturating_add(p.gap_open);
                let ext_e = e_left.saturating_add(p.gap_extend);
                e = if ext_e > open_e {
                    bits |= 4;
                    ext_e
                } else {
                    open_e
                };
                // F: gap in the reference (query insertion), from (i-1, j)
                let (h_up, f_up) = if kk + 1 < width {
                    (h_prev[kk + 1], f_prev[kk + 1])
                } else {
                    (NEG, NEG)
                };
                let open_f = h_up.saturating_add(p.gap_open);
                let ext_f = f_up.saturating_add(p.gap_extend);
                let f = if ext_f > open_f {
                    bits |= 8;
                    ext_f
                } else {
                    open_f
                };
                let diag = h_prev[kk].saturating_add(score_pair(reference[j - 1], query[i - 1], p));
                let (h, src) = if diag >= e && diag >= f {
                    (diag, 0)
                } else if e >= f {
                    (e, 1)
                } else {
                    (f, 2)
                };
                h_cur[kk] = h.max(NEG);
                f_cur[kk] = f.max(NEG);
                e = e.max(NEG);
                trace[cell] = bits | src;
            }
            if (i == n || j == m) && h_cur[kk] > best.0 {
                best = (h_cur[kk], i, j);
            }
        }
        std::mem::swap(&mut h_prev, &mut h_cur);
        std::mem::swap(&mut f_prev, &mut f_cur);
    }
    let (score, mut i, mut j) = best;
    let mut row = vec![b'-'; m];
    let mut inserted = n - i; // trailing query overhang
    let mut covered = 0usize;
    let mut state = 0u8; // 0 = H, 1 = E, 2 = F
    loop {
        let kk = (j as i64 - i as i64 - dlo) as usize;
        let t = trace[i * width + kk];
        match state {
            0 => match t & 3 {
                3 => break,
                0 => {
                    row[j - 1] = query[i - 1];
                    covered += 1;
                    i -= 1;
                    j -= 1;
                }
                1 => state = 1,
                _ => state = 2,
            },
            1 => {
                state = if t & 4 != 0 { 1 } else { 0 };
                j -= 1;
            }
            _ => {
                state = if t & 8 != 0 { 2 } else { 0 };
                inserted += 1;
                i -= 1;
            }
        }
        if (i == 0 || j == 0) && state != 0 {
            break;
        }
    }
    inserted += i; // leading query overhang
    Ok(Aligned {
        row,
        inserted,
        covered,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b"ACGT"[(x >> 62) as usize]
            })
            .collect()
    }

    #[test]
    fn substitutions_deletions_insertions_and_partial_ends() {
        let reference = pseudo_random(3000, 7);
        let mut query = reference[100..2900].to_vec(); // missing both ends
        query[500] = if query[500] == b'A' { b'C' } else { b'A' }; // ref pos 600
        query.drain(1000..1010); // deletion of ref 1100..1110
        let insert_at = 2000; // after removal: ref position 2110
        query.splice(insert_at..insert_at, b"GGGGGGG".iter().copied());
        let aligned =
            to_reference(&reference, &query, "q", &AlignParams::default()).expect("aligns");
        assert_eq!(aligned.row.len(), 3000);
        assert!(aligned.row[..100].iter().all(|&c| c == b'-'));
        assert!(aligned.row[2900..].iter().all(|&c| c == b'-'));
        assert!(aligned.row[1100..1110].iter().all(|&c| c == b'-'));
        assert_eq!(aligned.inserted, 7);
        let mismatches: Vec<usize> = (0..3000)
            .filter(|&j| aligned.row[j] != b'-' && aligned.row[j] != reference[j])
            .collect();
        assert_eq!(mismatches, vec![600]);
        assert_eq!(aligned.covered, 2800 - 10);
    }

    #[test]
    fn unrelated_query_is_an_error() {
        let reference = pseudo_random(500, 1);
        let query = pseudo_random(500, 2);
        assert!(matches!(
            to_reference(&reference, &query, "x", &AlignParams::default()),
            Err(AlignError::NoAnchor { .. })
        ));
    }
}
