//! Root-to-tip regression with best-root search and the residual clock
//! filter, as `treetime clock` does it (TreeTime 0.12.1,
//! `treetime/treeregression.py`, `clock_tree.py`, `clock_filter_methods.py`;
//! Sagulenko, Puller & Neher 2018, Virus Evolution 4:vex042).
//!
//! For every node six running sums over the tips below it are kept
//! (`Σt/σ², Σd/σ², Σt²/σ², Σdt/σ², Σd²/σ², Σ1/σ²`, t = tip date, d =
//! root-to-tip distance). A post-order pass gives the sums of each subtree,
//! a pre-order pass the sums of its complement, so the residual sum of
//! squares of the regression for a root anywhere on any branch costs O(1)
//! and a full search O(n). TreeTime's default (no covariation) variance
//! model is used: every tip has unit variance, internal branches none.
//! On internal branches the residual is then a quadratic in the root
//! position and its minimum is found in closed form; on terminal branches
//! (where the split tip's variance changes with the position) the minimum is
//! bracketed on TreeTime's six-point grid and refined by golden-section
//! search to 1e-10. The clock filter marks tips whose residual exceeds
//! `n_iqd` interquartile distances of all residuals (TreeTime default 4),
//! except children of the root, then searches the root again.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dates::SampleDate;
use crate::tree::{NodeId, Tree};

type Sums = [f64; 6];
const TAVG: usize = 0;
const DAVG: usize = 1;
const TSQ: usize = 2;
const DTAVG: usize = 3;
const DSQ: usize = 4;
const S: usize = 5;

/// How the root is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reroot {
    /// The position on any branch minimising the residual sum of squares
    /// (TreeTime `--reroot best` / `least-squares`, its default).
    Best,
    /// Keep the root of the input tree (TreeTime `--keep-root`).
    None,
}

/// Parameters of the clock analysis; recorded in every result.
#[derive(Debug, Clone, Serialize)]
pub struct ClockParams {
    /// Root choice.
    pub reroot: Reroot,
    /// Residual filter in interquartile distances; 0 switches it off
    /// (TreeTime `--clock-filter`, default 4.0).
    pub clock_filter: f64,
    /// Only accept roots giving a non-negative rate (TreeTime default;
    /// `--allow-negative-rate` turns it off).
    pub force_positive: bool,
    /// Sequence length (sites): used to express the rate per genome; the
    /// tree's branch lengths are substitutions per site.
    pub sequence_length: Option<usize>,
}

impl Default for ClockParams {
    fn default() -> Self {
        ClockParams {
            reroot: Reroot::Best,
            clock_filter: 4.0,
            force_positive: true,
            sequence_length: None,
        }
    }
}

/// Errors of the clock analysis.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClockError {
    #[error("clock: only {found} tips of the tree have a usable date; at least 3 are needed")]
    TooFewDates { found: usize },
    #[error("clock: all usable tip dates are equal; the rate cannot be estimated")]
    NoDateVariation,
    #[error("clock: no root position gives a non-negative rate")]
    NoValidRoot,
}

/// A tip the clock filter set aside.
#[derive(Debug, Clone, Serialize)]
pub struct Outlier {
    pub name: String,
    /// The date given in the metadata (midpoint of a range).
    pub given_date: f64,
    /// The date its root-to-tip distance implies on the fitted clock.
    pub apparent_date: f64,
    /// Residual in interquartile distances (signed: positive = more
    /// divergent than its date predicts).
    pub residual_iqd: f64,
}

/// One tip in the final regression.
#[derive(Debug, Clone, Serialize)]
pub struct TipRecord {
    pub name: String,
    pub date: Option<SampleDate>,
    /// Root-to-tip distance on the final tree (substitutions per site).
    pub dist_to_root: f64,
    /// Residual `d - (rate·t + intercept)`, when dated.
    pub residual: Option<f64>,
    /// Set aside by the clock filter.
    pub outlier: bool,
}

/// Where the root was placed.
#[derive(Debug, Clone, Serialize)]
pub struct RootPlacement {
    /// Name of the node below the chosen branch (if it has one).
    pub below: Option<String>,
    /// Fraction of the branch between the root and the node below
    /// (0 = at that node, 1 = at its parent).
    pub fraction: f64,
    /// Half the residual sum of squares at this root (TreeTime's `chisq`).
    pub chisq: f64,
}

/// The result of a clock analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ClockResult {
    /// Substitutions per site per year (regression slope).
    pub rate: f64,
    /// Regression intercept (root-to-tip distance at year 0).
    pub intercept: f64,
    /// Squared Pearson correlation of tip date and root-to-tip distance.
    pub r2: f64,
    /// Date of the root: the x-intercept `-intercept / rate` (tMRCA).
    pub root_date: f64,
    /// Standard error of the rate from ordinary least squares
    /// (TreeTime reports none without `--covariation`).
    pub rate_sd: f64,
    /// Standard error of the root date by the delta method on the OLS
    /// covariance (same formula TreeTime uses with `--covariation`).
    pub root_date_sd: f64,
    /// Substitutions per genome per year, when the sequence length is known.
    pub rate_per_genome: Option<f64>,
    /// Tips used in the final regression.
    pub n_tips_used: usize,
    /// Tips of the tree.
    pub n_tips: usize,
    /// Tips with a usable date.
    pub n_tips_dated: usize,
    /// Interquartile distance of the residuals when the filter ran.
    pub residual_iqd: Option<f64>,
    pub outliers: Vec<Outlier>,
    pub root: Option<RootPlacement>,
    pub tips: Vec<TipRecord>,
}

#[derive(Debug, Clone, Copy)]
struct Fit {
    slope: f64,
    intercept: f64,
    chisq: f64,
}

/// TreeTime `base_regression` on the six sums.
fn base_regression(q: &Sums) -> Option<Fit> {
    if q.iter().any(|v| !v.is_finite()) || q[S] <= 0.0 {
        return None;
    }
    let t_var = q[TSQ] - q[TAVG] * q[TAVG] / q[S];
    if t_var <= 0.0 {
        return None;
    }
    let cov = q[DTAVG] - q[TAVG] * q[DAVG] / q[S];
    let slope = cov / t_var;
    let intercept = (q[DAVG] - q[TAVG] * slope) / q[S];
    let chisq = 0.5 * (q[DSQ] - q[DAVG] * q[DAVG] / q[S] - cov * cov / t_var);
    Some(Fit {
        slope,
        intercept,
        chisq,
    })
}

fn chisq_of(q: &Sums) -> f64 {
    base_regression(q).map(|f| f.chisq).unwrap_or(f64::INFINITY)
}

/// Sums of a single tip seen through a branch of value `bv`, variance `var`.
fn tip_sums(tv: Option<f64>, bv: f64, var: f64) -> Sums {
    match tv {
        None => [0.0; 6],
        Some(t) => [
            t / var,
            bv / var,
            t * t / var,
            bv * t / var,
            bv * bv / var,
            1.0 / var,
        ],
    }
}

/// TreeTime `propagate_averages` for a set of tips (sums `q`) seen through a
/// branch adding `bv` to every distance and `var` shared variance.
fn through_branch(q: &Sums, bv: f64, var: f64) -> Sums {
    let denom = 1.0 / (1.0 + var * q[S]);
    [
        q[TAVG] * denom,
        (q[DAVG] + bv * q[S]) * denom,
        q[TSQ] - var * q[TAVG] * q[TAVG] * denom,
        q[DTAVG] + q[TAVG] * bv - var * q[TAVG] * (q[DAVG] + bv * q[S]) * denom,
        q[DSQ] + 2.0 * bv * q[DAVG] + bv * bv * q[S]
            - var * (q[DAVG] * q[DAVG] + 2.0 * bv * q[DAVG] * q[S] + bv * bv * q[S] * q[S]) * denom,
        q[S] * denom,
    ]
}

fn add(a: &Sums, b: &Sums) -> Sums {
    let mut out = *a;
    for (o, v) in out.iter_mut().zip(b.iter()) {
        *o += v;
    }
    out
}

/// Running sums over one rooting of the tree.
struct Regression<'a> {
    tree: &'a Tree,
    /// Tip date used in the regression (`None` for internal, undated or
    /// set-aside tips).
    tip_value: Vec<Option<f64>>,
    bad: Vec<bool>,
    below: Vec<Sums>,
    outside: Vec<Sums>,
    total: Vec<Sums>,
}

impl<'a> Regression<'a> {
    fn new(tree: &'a Tree, tip_value: Vec<Option<f64>>) -> Self {
        let n = tree.nodes.len();
        let mut bad = vec![false; n];
        for id in tree.postorder() {
            let node = &tree.nodes[id];
            bad[id] = if node.is_tip() {
                tip_value[id].is_none()
            } else {
                node.children.iter().all(|&c| bad[c])
            };
        }
        bad[tree.root] = false;
        let mut reg = Regression {
            tree,
            tip_value,
            bad,
            below: vec![[0.0; 6]; n],
            outside: vec![[0.0; 6]; n],
            total: vec![[0.0; 6]; n],
        };
        reg.calculate();
        reg
    }

    /// TreeTime's variance without covariation: 1 on terminal branches.
    fn variance(&self, id: NodeId) -> f64 {
        if self.tree.nodes[id].is_tip() {
            1.0
        } else {
            0.0
        }
    }

    /// Sums of the tips below `id` seen from above its branch, with the
    /// branch scaled by `x`.
    fn subtree_sums(&self, id: NodeId, x: f64) -> Sums {
        let bv = self.tree.length(id) * x;
        let var = self.variance(id) * x;
        if self.tree.nodes[id].is_tip() {
            tip_sums(self.tip_value[id], bv, var)
        } else {
            through_branch(&self.below[id], bv, var)
        }
    }

    fn calculate(&mut self) {
        let tree = self.tree;
        for id in tree.postorder() {
            if tree.nodes[id].is_tip() {
                continue;
            }
            let mut q = [0.0; 6];
            for &c in &tree.nodes[id].children {
                q = add(&q, &self.subtree_sums(c, 1.0));
            }
            self.below[id] = q;
        }
        for id in tree.preorder() {
            let Some(parent) = tree.nodes[id].parent else {
                self.total[id] = self.below[id];
                continue;
            };
            let mut o = [0.0; 6];
            for &sibling in &tree.nodes[parent].children {
                if sibling != id {
                    o = add(&o, &self.subtree_sums(sibling, 1.0));
                }
            }
            if parent != tree.root {
                let up = through_branch(
                    &self.outside[parent],
                    tree.length(parent),
                    self.variance(parent),
                );
                o = add(&o, &up);
            }
            self.outside[id] = o;
            if !tree.nodes[id].is_tip() {
                self.total[id] = add(
                    &self.below[id],
                    &through_branch(&o, tree.length(id), self.variance(id)),
                );
            }
        }
    }

    /// Sums with the root on the branch above `id`, a fraction `x` of the
    /// branch from `id`.
    fn sums_at(&self, id: NodeId, x: f64) -> Sums {
        let bv = self.tree.length(id);
        let var = self.variance(id);
        add(
            &self.subtree_sums(id, x),
            &through_branch(&self.outside[id], bv * (1.0 - x), var * (1.0 - x)),
        )
    }

    fn chisq_at(&self, id: NodeId, x: f64) -> f64 {
        chisq_of(&self.sums_at(id, x))
    }

    /// The position on the branch above `id` minimising the residual.
    fn optimal_on_branch(&self, id: NodeId) -> (f64, f64) {
        let parent = self.tree.nodes[id].parent.expect("non-root");
        let proximal = if self.tree.nodes[id].is_tip() {
            f64::INFINITY
        } else {
            chisq_of(&self.total[id])
        };
        let distal = chisq_of(&self.total[parent]);
        if self.variance(id) == 0.0 {
            // Quadratic in x: exact minimum from three evaluations.
            let f0 = proximal;
            let fh = self.chisq_at(id, 0.5);
            let f1 = distal;
            let a = 2.0 * f0 - 4.0 * fh + 2.0 * f1;
            let b = 4.0 * fh - 3.0 * f0 - f1;
            let mut best = if f0 <= f1 { (0.0, f0) } else { (1.0, f1) };
            if a > 0.0 && a.is_finite() {
                let x = (-b / (2.0 * a)).clamp(0.0, 1.0);
                let fx = self.chisq_at(id, x);
                if fx < best.1 {
                    best = (x, fx);
                }
            }
            return best;
        }
        let grid: Vec<f64> = (0..6).map(|i| 0.001 + 0.998 * f64::from(i) / 5.0).collect();
        let values: Vec<f64> = grid.iter().map(|&x| self.chisq_at(id, x)).collect();
        let (best_index, min_grid) =
            values
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |acc, (i, &v)| if v < acc.1 { (i, v) } else { acc },
                );
        if proximal <= min_grid {
            return (0.0, proximal);
        }
        if distal <= min_grid {
            return (1.0, distal);
        }
        let mut lo = if best_index == 0 {
            0.0
        } else {
            grid[best_index - 1]
        };
        let mut hi = if best_index == grid.len() - 1 {
            1.0
        } else {
            grid[best_index + 1]
        };
        let ratio = 0.5 * (5.0f64.sqrt() - 1.0);
        let mut c = hi - ratio * (hi - lo);
        let mut d = lo + ratio * (hi - lo);
        let mut fc = self.chisq_at(id, c);
        let mut fd = self.chisq_at(id, d);
        while hi - lo > 1e-10 {
            if fc < fd {
                hi = d;
                d = c;
                fd = fc;
                c = hi - ratio * (hi - lo);
                fc = self.chisq_at(id, c);
            } else {
                lo = c;
                c = d;
                fc = fd;
                d = lo + ratio * (hi - lo);
                fd = self.chisq_at(id, d);
            }
        }
        let x = 0.5 * (lo + hi);
        let fx = self.chisq_at(id, x);
        if fx <= min_grid {
            (x, fx)
        } else {
            (grid[best_index], min_grid)
        }
    }

    /// TreeTime `find_best_root`: the best accepted branch and position.
    fn find_best_root(&self, force_positive: bool) -> Option<(NodeId, f64, f64)> {
        let mut best: Option<(NodeId, f64, f64)> = None;
        for id in self.tree.preorder() {
            let Some(parent) = self.tree.nodes[id].parent else {
                continue;
            };
            if self.bad[id] || self.bad[parent] {
                continue;
            }
            let (x, chisq) = self.optimal_on_branch(id);
            if !chisq.is_finite() || best.is_some_and(|(_, _, c)| chisq >= c) {
                continue;
            }
            let Some(fit) = base_regression(&self.sums_at(id, x)) else {
                continue;
            };
            if fit.slope >= 0.0 || !force_positive {
                best = Some((id, x, chisq));
            }
        }
        best
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    // numpy's default linear interpolation
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn tip_values(
    tree: &Tree,
    dates: &BTreeMap<String, SampleDate>,
    set_aside: &[bool],
) -> Vec<Option<f64>> {
    (0..tree.nodes.len())
        .map(|id| {
            let node = &tree.nodes[id];
            if !node.is_tip() || set_aside.get(id).copied().unwrap_or(false) {
                return None;
            }
            node.name
                .as_ref()
                .and_then(|n| dates.get(n))
                .map(|d| d.mean())
        })
        .collect()
}

/// Reroots `tree` at the best position; returns where, or `None` when the
/// tree already has the best root.
fn reroot_best(
    tree: &mut Tree,
    dates: &BTreeMap<String, SampleDate>,
    set_aside: &mut Vec<bool>,
    force_positive: bool,
) -> Result<RootPlacement, ClockError> {
    let values = tip_values(tree, dates, set_aside);
    let (id, x, chisq) = {
        let reg = Regression::new(tree, values);
        reg.find_best_root(force_positive)
            .ok_or(ClockError::NoValidRoot)?
    };
    let placement = RootPlacement {
        below: tree.nodes[id].name.clone(),
        fraction: x,
        chisq,
    };
    let new_root = if x < 1e-5 {
        id
    } else if x > 1.0 - 1e-5 {
        tree.nodes[id].parent.expect("non-root")
    } else {
        tree.split_branch(id, x)
    };
    tree.reroot_at(new_root);
    tree.ladderize();
    set_aside.resize(tree.nodes.len(), false);
    Ok(placement)
}

/// Ordinary least squares on the tips used (TreeTime `get_clock_model`
/// without covariation), with r² and standard errors.
fn final_fit(
    tree: &Tree,
    dates: &BTreeMap<String, SampleDate>,
    set_aside: &[bool],
) -> Result<(Fit, f64, f64, f64, usize), ClockError> {
    let values = tip_values(tree, dates, set_aside);
    let dist = tree.dist_to_root();
    let points: Vec<(f64, f64)> = tree
        .tips()
        .into_iter()
        .filter_map(|id| values[id].map(|t| (t, dist[id])))
        .collect();
    let n = points.len();
    if n < 3 {
        return Err(ClockError::TooFewDates { found: n });
    }
    let reg = Regression::new(tree, values);
    let fit = base_regression(&reg.below[tree.root]).ok_or(ClockError::NoDateVariation)?;
    let nf = n as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let mean_d = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - mean_d).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_d)).sum();
    let r2 = if syy > 0.0 {
        sxy * sxy / (sxx * syy)
    } else {
        0.0
    };
    let rss: f64 = points
        .iter()
        .map(|p| (p.1 - fit.slope * p.0 - fit.intercept).powi(2))
        .sum();
    let sigma2 = rss / (nf - 2.0);
    let var_slope = sigma2 / sxx;
    // covariance matrix sigma² · inv([[Σt², Σt], [Σt, n]])
    let sum_t = nf * mean_t;
    let sum_t2: f64 = points.iter().map(|p| p.0 * p.0).sum();
    let det = sum_t2 * nf - sum_t * sum_t;
    let c_ss = sigma2 * nf / det;
    let c_si = -sigma2 * sum_t / det;
    let c_ii = sigma2 * sum_t2 / det;
    let dp0 = fit.intercept / (fit.slope * fit.slope);
    let dp1 = -1.0 / fit.slope;
    let var_root = dp0 * dp0 * c_ss + 2.0 * dp0 * dp1 * c_si + dp1 * dp1 * c_ii;
    Ok((
        fit,
        r2,
        var_slope.max(0.0).sqrt(),
        var_root.max(0.0).sqrt(),
        n,
    ))
}

/// Runs the clock analysis on `tree` (rerooted in place when asked) with
/// tip dates by name. Dates for names not in the tree are ignored.
pub fn run(
    tree: &mut Tree,
    dates: &BTreeMap<String, SampleDate>,
    params: &ClockParams,
) -> Result<ClockResult, ClockError> {
    let mut set_aside = vec![false; tree.nodes.len()];
    let n_tips = tree.tips().len();
    let n_tips_dated = tree
        .tips()
        .iter()
        .filter(|&&id| {
            tree.nodes[id]
                .name
                .as_ref()
                .is_some_and(|n| dates.contains_key(n))
        })
        .count();
    if n_tips_dated < 3 {
        return Err(ClockError::TooFewDates {
            found: n_tips_dated,
        });
    }
    let mut root: Option<RootPlacement> = None;
    if params.reroot == Reroot::Best {
        root = Some(reroot_best(
            tree,
            dates,
            &mut set_aside,
            params.force_positive,
        )?);
    }
    let (mut fit, mut r2, mut rate_sd, mut root_sd, mut n_used) =
        final_fit(tree, dates, &set_aside)?;
    let mut residual_iqd = None;
    let mut outliers = Vec::new();
    if params.clock_filter > 0.0 {
        let dist = tree.dist_to_root();
        let mut residuals: Vec<(NodeId, f64, f64)> = Vec::new();
        for id in tree.tips() {
            if let Some(date) = tree.nodes[id].name.as_ref().and_then(|n| dates.get(n)) {
                let t = date.mean();
                residuals.push((id, t, dist[id] - fit.slope * t - fit.intercept));
            }
        }
        let mut sorted: Vec<f64> = residuals.iter().map(|r| r.2).collect();
        sorted.sort_by(f64::total_cmp);
        let iqd = percentile(&sorted, 75.0) - percentile(&sorted, 25.0);
        residual_iqd = Some(iqd);
        for &(id, t, r) in &residuals {
            let parent = tree.nodes[id].parent;
            let child_of_root = parent.is_some_and(|p| tree.nodes[p].parent.is_none());
            if r.abs() > params.clock_filter * iqd && !child_of_root {
                set_aside[id] = true;
                outliers.push(Outlier {
                    name: tree.nodes[id].name.clone().unwrap_or_default(),
                    given_date: t,
                    apparent_date: (dist[id] - fit.intercept) / fit.slope,
                    residual_iqd: if iqd > 0.0 { r / iqd } else { f64::INFINITY },
                });
            }
        }
        if params.reroot == Reroot::Best {
            // TreeTime reroots once more inside clock_filter and once in
            // `treetime clock` itself; the second search confirms the first.
            reroot_best(tree, dates, &mut set_aside, params.force_positive)?;
            root = Some(reroot_best(
                tree,
                dates,
                &mut set_aside,
                params.force_positive,
            )?);
        }
        (fit, r2, rate_sd, root_sd, n_used) = final_fit(tree, dates, &set_aside)?;
    }
    let dist = tree.dist_to_root();
    let tips = tree
        .tips()
        .into_iter()
        .map(|id| {
            let name = tree.nodes[id].name.clone().unwrap_or_default();
            let date = dates.get(&name).copied();
            TipRecord {
                residual: date.map(|d| dist[id] - fit.slope * d.mean() - fit.intercept),
                date,
                dist_to_root: dist[id],
                outlier: set_aside[id],
                name,
            }
        })
        .collect();
    Ok(ClockResult {
        rate: fit.slope,
        intercept: fit.intercept,
        r2,
        root_date: -fit.intercept / fit.slope,
        rate_sd,
        root_date_sd: root_sd,
        rate_per_genome: params.sequence_length.map(|l| fit.slope * l as f64),
        n_tips_used: n_used,
        n_tips,
        n_tips_dated,
        residual_iqd,
        outliers,
        root,
        tips,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newick;

    fn exact_dates(pairs: &[(&str, f64)]) -> BTreeMap<String, SampleDate> {
        pairs
            .iter()
            .map(|&(n, y)| (n.to_string(), SampleDate::Exact { year: y }))
            .collect()
    }

    /// A strict clock: rate 0.01/yr, root in 2000, rooted wrongly at tip A's
    /// parent side. Distances are exact, so the best root recovers it.
    #[test]
    fn perfect_clock_gives_exact_rate_and_root() {
        // true root R at 2000; internal X at 2004 (0.04), Y at 2002 (0.02)
        // tips: A 2010 under X, B 2008 under X, C 2012 under Y, D 2006 under Y
        // Written rooted at X's branch to A (wrong root).
        let text = "(A:0.06,(B:0.04,(C:0.10,D:0.04):0.06):0.0);";
        let mut tree = newick::parse(text).expect("valid");
        let dates = exact_dates(&[("A", 2010.0), ("B", 2008.0), ("C", 2012.0), ("D", 2006.0)]);
        let params = ClockParams {
            clock_filter: 0.0,
            ..ClockParams::default()
        };
        let result = run(&mut tree, &dates, &params).expect("clock");
        assert!((result.rate - 0.01).abs() < 1e-9, "{result:?}");
        assert!((result.root_date - 2000.0).abs() < 1e-6, "{result:?}");
        assert!((result.r2 - 1.0).abs() < 1e-12);
        assert!(result.root_date_sd < 1e-6);
        let dist = tree.dist_to_root();
        let c = tree.tip_by_name("C").expect("C");
        assert!((dist[c] - 0.12).abs() < 1e-9);
    }

    /// Brute force over many root positions agrees with the exact search.
    #[test]
    fn best_root_matches_brute_force() {
        let text = "((A:0.031,B:0.052):0.013,(C:0.044,(D:0.021,E:0.067):0.018):0.009,F:0.071);";
        let dates = exact_dates(&[
            ("A", 2001.0),
            ("B", 2007.5),
            ("C", 2004.0),
            ("D", 2000.0),
            ("E", 2010.0),
            ("F", 2011.0),
        ]);
        let tree = newick::parse(text).expect("valid");
        let values = tip_values(&tree, &dates, &[]);
        let reg = Regression::new(&tree, values);
        let (_, _, best) = reg.find_best_root(true).expect("root");
        let mut brute = f64::INFINITY;
        for id in tree.preorder() {
            if tree.nodes[id].parent.is_none() {
                continue;
            }
            for k in 1..2000 {
                let x = f64::from(k) / 2000.0;
                let q = reg.sums_at(id, x);
                if let Some(fit) = base_regression(&q) {
                    if fit.slope >= 0.0 {
                        brute = brute.min(fit.chisq);
                    }
                }
            }
        }
        assert!(best <= brute + 1e-12, "exact {best} vs brute {brute}");
        assert!(best > brute - 1e-6, "exact {best} vs brute {brute}");
    }

    /// The subtree sums equal a direct computation for every rooting.
    #[test]
    fn sums_match_direct_regression_after_reroot() {
        let text = "((A:0.031,B:0.052):0.013,(C:0.044,(D:0.021,E:0.067):0.018):0.009,F:0.071);";
        let dates = exact_dates(&[
            ("A", 2001.0),
            ("B", 2007.5),
            ("C", 2004.0),
            ("D", 2000.0),
            ("E", 2010.0),
            ("F", 2011.0),
        ]);
        let mut tree = newick::parse(text).expect("valid");
        let params = ClockParams {
            clock_filter: 0.0,
            ..ClockParams::default()
        };
        let result = run(&mut tree, &dates, &params).expect("clock");
        let root_chisq = result.root.as_ref().expect("rerooted").chisq;
        let dist = tree.dist_to_root();
        let rss: f64 = tree
            .tips()
            .iter()
            .map(|&id| {
                let t = dates[tree.nodes[id].name.as_deref().unwrap_or_default()].mean();
                (dist[id] - result.rate * t - result.intercept).powi(2)
            })
            .sum();
        assert!((0.5 * rss - root_chisq).abs() < 1e-12, "{rss} {root_chisq}");
    }

    /// A tip with far too many substitutions for its date is set aside.
    #[test]
    fn planted_outlier_is_found() {
        // 20 tips on a clock of 0.001/yr from 1990 in two clades of cherries
        // (clade nodes at 1995, cherry nodes at 1997); tip "odd" carries
        // 0.05 extra substitutions/site (20 years' worth).
        let mut clades = [Vec::new(), Vec::new()];
        let mut dates = Vec::new();
        for (c, clade) in clades.iter_mut().enumerate() {
            for pair in 0..5 {
                let mut cherry = Vec::new();
                for k in 0..2 {
                    let i = 2 * pair + k;
                    let year = 2000.0 + 2.0 * f64::from(i as u32) + c as f64;
                    let odd = c == 0 && i == 3;
                    let name = if odd {
                        "odd".to_string()
                    } else {
                        format!("t{c}_{i}")
                    };
                    let extra = if odd { 0.02 } else { 0.0 };
                    cherry.push(format!("{name}:{}", (year - 1997.0) * 0.001 + extra));
                    dates.push((name, year));
                }
                clade.push(format!("({}):0.002", cherry.join(",")));
            }
        }
        let text = format!(
            "(({}):0.005,({}):0.005);",
            clades[0].join(","),
            clades[1].join(",")
        );
        let mut tree = newick::parse(&text).expect("valid");
        let dates: BTreeMap<String, SampleDate> = dates
            .into_iter()
            .map(|(n, y)| (n, SampleDate::Exact { year: y }))
            .collect();
        let result = run(&mut tree, &dates, &ClockParams::default()).expect("clock");
        let names: Vec<&str> = result.outliers.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, vec!["odd"]);
        // TreeTime 0.12.1 `treetime clock` on this tree and these dates
        // reports odd with residual 9.2857 IQD, apparent date 2025.5.
        assert!((result.outliers[0].residual_iqd - 9.285_714).abs() < 1e-3);
        assert!((result.outliers[0].apparent_date - 2025.5).abs() < 1e-6);
        assert!((result.rate - 0.001).abs() < 1e-9, "{}", result.rate);
        assert!(
            (result.root_date - 1990.0).abs() < 1e-6,
            "{}",
            result.root_date
        );
        assert_eq!(result.n_tips_used, 19);
    }

    #[test]
    fn too_few_dates_is_an_error() {
        let mut tree = newick::parse("(A:1,B:1,C:1);").expect("valid");
        let dates = exact_dates(&[("A", 2000.0)]);
        let err = run(&mut tree, &dates, &ClockParams::default()).expect_err("too few");
        assert_eq!(err, ClockError::TooFewDates { found: 1 });
    }
}
