//! Placement of new genomes on a reference tree by parsimony.
//!
//! Fitch state sets (Fitch 1971; for multifurcations the states found in
//! the most children) are computed for every node from below (post-order)
//! and from the rest of the tree (pre-order); the set of a branch combines
//! both. Attaching a query to a branch adds one substitution at each site
//! where the query's base is not in the branch's set — the quantity UShER
//! minimises (Turakhia et al. 2021). Every branch of minimal cost is
//! reported (ties). Nearest relatives are the reference sequences with the
//! fewest differences over sites both have.
//!
//! Where the query falls on the clock: divergence from the root (the
//! fraction of comparable sites at which its base is not in the root's
//! state set) is compared with a line fitted to the same measure of the
//! dated reference tips. A query far below the line has too few
//! substitutions for its sampling date (the signal of a strain kept in a
//! laboratory); far above, too many. These are findings with numbers only.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dates::SampleDate;
use crate::seqio::Record;
use crate::tree::{NodeId, Tree};

/// Placement knobs; recorded in results.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceParams {
    /// Number of nearest relatives listed.
    pub n_relatives: usize,
    /// Residuals beyond this many interquartile distances of the reference
    /// tips' residuals are reported as a finding (as the clock filter).
    pub clock_iqd: f64,
}

impl Default for PlaceParams {
    fn default() -> Self {
        PlaceParams {
            n_relatives: 5,
            clock_iqd: 4.0,
        }
    }
}

/// Errors placing.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlaceError {
    #[error("place: tree tip {name:?} has no sequence in the alignment")]
    MissingSequence { name: String },
    #[error("place: query {name:?} has length {found}; the alignment has {expected} columns")]
    Length {
        name: String,
        found: usize,
        expected: usize,
    },
    #[error("place: the tree has no branch")]
    NoBranch,
}

/// A branch of minimal added cost.
#[derive(Debug, Clone, Serialize)]
pub struct Branch {
    /// Name of the node below the branch, or `node<N>` for unnamed ones.
    pub below: String,
    /// Tips under the branch (up to 5 names, sorted).
    pub example_tips: Vec<String>,
    pub n_tips_below: usize,
}

/// A reference sequence close to the query.
#[derive(Debug, Clone, Serialize)]
pub struct Relative {
    pub name: String,
    pub differences: usize,
    pub sites: usize,
    pub p_distance: f64,
}

/// Where the query sits relative to the clock of the reference tips.
#[derive(Debug, Clone, Serialize)]
pub struct ClockPosition {
    pub sampling_date: f64,
    /// Query divergence from the root state sets (per comparable site).
    pub observed_divergence: f64,
    /// Divergence the reference tips' line predicts for the sampling date.
    pub expected_divergence: f64,
    /// Slope of that line (per site per year).
    pub rate: f64,
    /// `observed - expected`.
    pub residual: f64,
    /// Residual in interquartile distances of the reference residuals.
    pub residual_iqd: f64,
    /// Date at which the line reaches the observed divergence.
    pub apparent_date: f64,
    /// Substitutions per genome fewer (negative) or more than expected.
    pub substitution_excess: f64,
    /// A sentence when the residual exceeds the threshold; no judgement.
    pub finding: Option<String>,
}

/// The placement of one query.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub query: String,
    /// Substitutions the best attachment adds.
    pub added_substitutions: usize,
    /// Sites where the query has a base.
    pub comparable_sites: usize,
    /// All branches with that minimal cost.
    pub branches: Vec<Branch>,
    pub relatives: Vec<Relative>,
    pub clock: Option<ClockPosition>,
}

fn code(c: u8) -> u8 {
    match c {
        b'A' => 1,
        b'G' => 2,
        b'C' => 4,
        b'T' | b'U' => 8,
        _ => 15,
    }
}

fn known(c: u8) -> bool {
    matches!(c, b'A' | b'C' | b'G' | b'T' | b'U')
}

/// Generalised Fitch: states present in the most of the given sets.
fn combine(sets: &[u8]) -> u8 {
    let mut counts = [0u8; 4];
    for &s in sets {
        for (b, count) in counts.iter_mut().enumerate() {
            if s & (1 << b) != 0 {
                *count += 1;
            }
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let mut out = 0u8;
    for (b, &count) in counts.iter().enumerate() {
        if count == max && max > 0 {
            out |= 1 << b;
        }
    }
    if out == 0 { 15 } else { out }
}

/// Fitch sets of a tree and alignment, ready to place many queries.
#[derive(Debug)]
pub struct Reference<'a> {
    tree: &'a Tree,
    sites: usize,
    /// Per node: set of the branch above it (root: its own set).
    branch_sets: Vec<Vec<u8>>,
    root_set: Vec<u8>,
    sequences: BTreeMap<String, &'a [u8]>,
}

impl<'a> Reference<'a> {
    /// Computes the state sets. Every tip needs a sequence.
    pub fn new(tree: &'a Tree, alignment: &'a [Record]) -> Result<Self, PlaceError> {
        let sequences: BTreeMap<String, &[u8]> = alignment
            .iter()
            .map(|r| (r.name.clone(), r.seq.as_slice()))
            .collect();
        let sites = alignment.first().map(|r| r.seq.len()).unwrap_or(0);
        let n = tree.nodes.len();
        let mut down: Vec<Vec<u8>> = vec![Vec::new(); n];
        for id in tree.postorder() {
            let node = &tree.nodes[id];
            if node.is_tip() {
                let name = node.name.clone().unwrap_or_default();
                let seq = sequences
                    .get(&name)
                    .ok_or(PlaceError::MissingSequence { name: name.clone() })?;
                if seq.len() != sites {
                    return Err(PlaceError::Length {
                        name,
                        found: seq.len(),
                        expected: sites,
                    });
                }
                down[id] = seq.iter().map(|&c| code(c)).collect();
            } else {
                let mut set = vec![0u8; sites];
                let mut scratch = Vec::with_capacity(node.children.len());
                for (s, slot) in set.iter_mut().enumerate() {
                    scratch.clear();
                    scratch.extend(node.children.iter().map(|&c| down[c][s]));
                    *slot = combine(&scratch);
                }
                down[id] = set;
            }
        }
        let mut up: Vec<Vec<u8>> = vec![Vec::new(); n];
        let mut branch_sets: Vec<Vec<u8>> = vec![Vec::new(); n];
        let mut scratch = Vec::new();
        for id in tree.preorder() {
            let Some(parent) = tree.nodes[id].parent else {
                branch_sets[id] = down[id].clone();
                continue;
            };
            let mut set = vec![0u8; sites];
            for (s, slot) in set.iter_mut().enumerate() {
                scratch.clear();
                if tree.nodes[parent].parent.is_some() {
                    scratch.push(up[parent][s]);
                }
                for &sib in &tree.nodes[parent].children {
                    if sib != id {
                        scratch.push(down[sib][s]);
                    }
                }
                *slot = if scratch.is_empty() {
                    15
                } else {
                    combine(&scratch)
                };
            }
            branch_sets[id] = down[id]
                .iter()
                .zip(set.iter())
                .map(|(&a, &b)| combine(&[a, b]))
                .collect();
            up[id] = set;
        }
        let root_set = down[tree.root].clone();
        Ok(Reference {
            tree,
            sites,
            branch_sets,
            root_set,
            sequences,
        })
    }

    /// Divergence of a sequence from the root state sets.
    fn divergence(&self, seq: &[u8]) -> Option<f64> {
        let mut sites = 0usize;
        let mut diff = 0usize;
        for (s, &c) in seq.iter().enumerate() {
            if known(c) {
                sites += 1;
                if code(c) & self.root_set[s] == 0 {
                    diff += 1;
                }
            }
        }
        (sites > 0).then(|| diff as f64 / sites as f64)
    }

    fn branch_label(&self, id: NodeId) -> Branch {
        let below = self.tree.nodes[id]
            .name
            .clone()
            .unwrap_or_else(|| format!("node{id}"));
        let mut tips: Vec<String> = Vec::new();
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if self.tree.nodes[x].is_tip() {
                tips.push(self.tree.nodes[x].name.clone().unwrap_or_default());
            }
            stack.extend(self.tree.nodes[x].children.iter().copied());
        }
        tips.sort();
        let n_tips_below = tips.len();
        tips.truncate(5);
        Branch {
            below,
            example_tips: tips,
            n_tips_below,
        }
    }

    /// Places `query` (aligned to the alignment's columns). With `dates`
    /// (reference tip dates) and the query's own date, also reports where
    /// it falls on the clock.
    pub fn place(
        &self,
        query: &Record,
        query_date: Option<SampleDate>,
        dates: Option<&BTreeMap<String, SampleDate>>,
        params: &PlaceParams,
    ) -> Result<Placement, PlaceError> {
        if query.seq.len() != self.sites {
            return Err(PlaceError::Length {
                name: query.name.clone(),
                found: query.seq.len(),
                expected: self.sites,
            });
        }
        let comparable_sites = query.seq.iter().filter(|&&c| known(c)).count();
        let mut best = usize::MAX;
        let mut best_ids: Vec<NodeId> = Vec::new();
        for id in self.tree.preorder() {
            if self.tree.nodes[id].parent.is_none() {
                continue;
            }
            let set = &self.branch_sets[id];
            let cost = query
                .seq
                .iter()
                .zip(set.iter())
                .filter(|&(&c, &s)| known(c) && code(c) & s == 0)
                .count();
            if cost < best {
                best = cost;
                best_ids.clear();
            }
            if cost == best {
                best_ids.push(id);
            }
        }
        if best_ids.is_empty() {
            return Err(PlaceError::NoBranch);
        }
        let mut relatives: Vec<Relative> = self
            .sequences
            .iter()
            .map(|(name, seq)| {
                let mut sites = 0usize;
                let mut differences = 0usize;
                for (&a, &b) in query.seq.iter().zip(seq.iter()) {
                    if known(a) && known(b) {
                        sites += 1;
                        if code(a) != code(b) {
                            differences += 1;
                        }
                    }
                }
                Relative {
                    name: name.clone(),
                    differences,
                    sites,
                    p_distance: if sites > 0 {
                        differences as f64 / sites as f64
                    } else {
                        f64::NAN
                    },
                }
            })
            .filter(|r| r.sites > 0)
            .collect();
        relatives.sort_by(|a, b| {
            a.p_distance
                .total_cmp(&b.p_distance)
                .then_with(|| a.name.cmp(&b.name))
        });
        relatives.truncate(params.n_relatives);
        let clock = match (query_date, dates) {
            (Some(date), Some(dates)) => self.clock_position(query, date.mean(), dates, params),
            _ => None,
        };
        Ok(Placement {
            query: query.name.clone(),
            added_substitutions: best,
            comparable_sites,
            branches: best_ids
                .into_iter()
                .map(|id| self.branch_label(id))
                .collect(),
            relatives,
            clock,
        })
    }

    fn clock_position(
        &self,
        query: &Record,
        date: f64,
        dates: &BTreeMap<String, SampleDate>,
        params: &PlaceParams,
    ) -> Option<ClockPosition> {
        let points: Vec<(f64, f64)> = self
            .sequences
            .iter()
            .filter_map(|(name, seq)| {
                let t = dates.get(name)?.mean();
                Some((t, self.divergence(seq)?))
            })
            .collect();
        if points.len() < 3 {
            return None;
        }
        let n = points.len() as f64;
        let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_d = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_d)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let rate = sxy / sxx;
        let intercept = mean_d - rate * mean_t;
        let mut residuals: Vec<f64> = points
            .iter()
            .map(|p| p.1 - rate * p.0 - intercept)
            .collect();
        residuals.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (residuals.len() - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            residuals[lo] + (residuals[hi] - residuals[lo]) * (pos - lo as f64)
        };
        let iqd = q(0.75) - q(0.25);
        let observed = self.divergence(&query.seq)?;
        let expected = rate * date + intercept;
        let residual = observed - expected;
        let residual_iqd = if iqd > 0.0 {
            residual / iqd
        } else {
            f64::INFINITY * residual.signum()
        };
        let apparent_date = if rate > 0.0 {
            (observed - intercept) / rate
        } else {
            f64::NAN
        };
        let sites = query.seq.iter().filter(|&&c| known(c)).count() as f64;
        let substitution_excess = residual * sites;
        let finding = if residual_iqd < -params.clock_iqd {
            Some(format!(
                "too few substitutions for its sampling date: divergence {observed:.3e} observed vs {expected:.3e} expected for {date:.2} (about {:.0} substitutions fewer; the clock places it at {apparent_date:.2}, {:.1} years earlier); residual {residual_iqd:.1} interquartile distances",
                -substitution_excess,
                date - apparent_date
            ))
        } else if residual_iqd > params.clock_iqd {
            Some(format!(
                "more substitutions than its sampling date predicts: divergence {observed:.3e} observed vs {expected:.3e} expected for {date:.2} (about {substitution_excess:.0} more); residual {residual_iqd:.1} interquartile distances"
            ))
        } else {
            None
        };
        Some(ClockPosition {
            sampling_date: date,
            observed_divergence: observed,
            expected_divergence: expected,
            rate,
            residual,
            residual_iqd,
            apparent_date,
            substitution_excess,
            finding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newick;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    /// Sequences evolved along a tree: each branch gets `years × 2`
    /// substitutions at fresh sites; 8 tips sampled 2000–2014.
    fn simulate() -> (Tree, Vec<Record>, BTreeMap<String, SampleDate>, Vec<u8>) {
        let text = "(((t0:4,t1:6):2,(t2:8,t3:10):2):2,((t4:5,t5:7):3,(t6:9,t7:11):3):1);";
        let tree = newick::parse(text).expect("valid");
        let mut rng = Rng(42);
        let sites = 2000;
        let root: Vec<u8> = (0..sites)
            .map(|_| b"ACGT"[(rng.next() % 4) as usize])
            .collect();
        let mut seqs: Vec<Vec<u8>> = vec![Vec::new(); tree.nodes.len()];
        let mut used = vec![false; sites];
        seqs[tree.root] = root.clone();
        for id in tree.preorder() {
            if let Some(p) = tree.nodes[id].parent {
                let mut s = seqs[p].clone();
                let n_mut = (tree.length(id) * 2.0) as usize;
                let mut done = 0;
                while done < n_mut {
                    let site = (rng.next() as usize) % sites;
                    if used[site] {
                        continue;
                    }
                    used[site] = true;
                    s[site] = match s[site] {
                        b'A' => b'G',
                        b'G' => b'A',
                        b'C' => b'T',
                        _ => b'C',
                    };
                    done += 1;
                }
                seqs[id] = s;
            }
        }
        let dist = tree.dist_to_root();
        let mut records = Vec::new();
        let mut dates = BTreeMap::new();
        for id in tree.tips() {
            let name = tree.nodes[id].name.clone().expect("named");
            dates.insert(
                name.clone(),
                SampleDate::Exact {
                    year: 2000.0 + dist[id],
                },
            );
            records.push(Record {
                name,
                seq: seqs[id].clone(),
            });
        }
        (tree, records, dates, root)
    }

    #[test]
    fn query_near_a_tip_lands_on_its_branch() {
        let (tree, records, dates, _) = simulate();
        let reference = Reference::new(&tree, &records).expect("reference");
        let mut seq = records[2].seq.clone(); // t2
        let site = seq.iter().position(|&c| c == b'A').expect("an A");
        seq[site] = b'T';
        let query = Record {
            name: "q".to_string(),
            seq,
        };
        let placement = reference
            .place(
                &query,
                Some(SampleDate::Exact { year: 2012.5 }),
                Some(&dates),
                &PlaceParams::default(),
            )
            .expect("placed");
        assert_eq!(placement.added_substitutions, 1);
        assert_eq!(placement.branches.len(), 1);
        assert_eq!(placement.branches[0].below, "t2");
        assert_eq!(placement.relatives[0].name, "t2");
        assert_eq!(placement.relatives[0].differences, 1);
        let clock = placement.clock.expect("clock");
        assert!(clock.finding.is_none(), "{clock:?}");
    }

    #[test]
    fn ancient_genome_with_a_recent_date_is_reported() {
        let (tree, records, dates, root) = simulate();
        let reference = Reference::new(&tree, &records).expect("reference");
        let query = Record {
            name: "old".to_string(),
            seq: root,
        };
        let placement = reference
            .place(
                &query,
                Some(SampleDate::Exact { year: 2014.0 }),
                Some(&dates),
                &PlaceParams::default(),
            )
            .expect("placed");
        let clock = placement.clock.expect("clock");
        assert!(clock.residual < 0.0);
        let finding = clock.finding.clone().expect("finding");
        assert!(finding.starts_with("too few substitutions"), "{finding}");
        assert!(clock.apparent_date < 2003.0, "{clock:?}");
        // the root sequence fits equally on both branches at the root
        assert!(placement.branches.len() >= 2, "{:?}", placement.branches);
    }

    #[test]
    fn missing_and_wrong_length_sequences_are_errors() {
        let (tree, records, _, _) = simulate();
        let err = Reference::new(&tree, &records[1..]).expect_err("missing t0");
        assert!(matches!(err, PlaceError::MissingSequence { .. }));
        let reference = Reference::new(&tree, &records).expect("reference");
        let query = Record {
            name: "short".to_string(),
            seq: b"ACGT".to_vec(),
        };
        assert!(matches!(
            reference.place(&query, None, None, &PlaceParams::default()),
            Err(PlaceError::Length { .. })
        ));
    }
}
