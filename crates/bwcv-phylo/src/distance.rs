//! Evolutionary distances between aligned sequences and neighbour joining.
//!
//! Sites where either sequence has no base (gap, `N`, other ambiguity
//! codes) are left out of that pair's comparison (pairwise deletion).
//! JC69: `d = -3/4 ln(1 - 4p/3)` (Jukes & Cantor 1969). K80: with
//! transition proportion `P` and transversion proportion `Q`,
//! `d = -1/2 ln(1 - 2P - Q) - 1/4 ln(1 - 2Q)` (Kimura 1980). Neighbour
//! joining as Saitou & Nei 1987 with the Studier & Keppler 1988 Q-matrix;
//! negative branch lengths are set to 0.

use serde::Serialize;

use crate::seqio::Record;
use crate::tree::{NodeId, Tree};

/// Substitution model for distances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// Jukes–Cantor 1969.
    Jc69,
    /// Kimura 1980 two-parameter (transitions vs transversions).
    K80,
}

/// Errors computing distances.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DistanceError {
    #[error("alignment: sequence {name:?} has length {found}, the first has {expected}")]
    Ragged {
        name: String,
        found: usize,
        expected: usize,
    },
    #[error("alignment: sequences {a:?} and {b:?} share no comparable site")]
    NoOverlap { a: String, b: String },
    #[error(
        "alignment: {a:?} and {b:?} are too divergent for the {model:?} correction (saturated)"
    )]
    Saturated { a: String, b: String, model: Model },
    #[error("neighbour joining needs at least 2 sequences, got {found}")]
    TooFew { found: usize },
}

fn base_code(c: u8) -> Option<u8> {
    match c {
        b'A' => Some(0),
        b'G' => Some(1),
        b'C' => Some(2),
        b'T' | b'U' => Some(3),
        _ => None,
    }
}

/// A/G and C/T pairs are transitions.
fn is_transition(a: u8, b: u8) -> bool {
    (a < 2) == (b < 2)
}

/// Distance between two aligned sequences under `model`.
pub fn pair_distance(a: &Record, b: &Record, model: Model) -> Result<f64, DistanceError> {
    let mut sites = 0usize;
    let mut transitions = 0usize;
    let mut transversions = 0usize;
    for (&x, &y) in a.seq.iter().zip(b.seq.iter()) {
        let (Some(x), Some(y)) = (base_code(x), base_code(y)) else {
            continue;
        };
        sites += 1;
        if x != y {
            if is_transition(x, y) {
                transitions += 1;
            } else {
                transversions += 1;
            }
        }
    }
    if sites == 0 {
        return Err(DistanceError::NoOverlap {
            a: a.name.clone(),
            b: b.name.clone(),
        });
    }
    let n = sites as f64;
    let saturated = || DistanceError::Saturated {
        a: a.name.clone(),
        b: b.name.clone(),
        model,
    };
    match model {
        Model::Jc69 => {
            let p = (transitions + transversions) as f64 / n;
            let arg = 1.0 - 4.0 * p / 3.0;
            if arg <= 0.0 {
                return Err(saturated());
            }
            Ok(-0.75 * arg.ln())
        }
        Model::K80 => {
            let p = transitions as f64 / n;
            let q = transversions as f64 / n;
            let arg1 = 1.0 - 2.0 * p - q;
            let arg2 = 1.0 - 2.0 * q;
            if arg1 <= 0.0 || arg2 <= 0.0 {
                return Err(saturated());
            }
            Ok(-0.5 * arg1.ln() - 0.25 * arg2.ln())
        }
    }
}

/// Checks that all sequences have the same length.
pub fn check_aligned(records: &[Record]) -> Result<usize, DistanceError> {
    let expected = records.first().map(|r| r.seq.len()).unwrap_or(0);
    for r in records {
        if r.seq.len() != expected {
            return Err(DistanceError::Ragged {
                name: r.name.clone(),
                found: r.seq.len(),
                expected,
            });
        }
    }
    Ok(expected)
}

/// The symmetric distance matrix (row-major, `n × n`).
pub fn matrix(records: &[Record], model: Model) -> Result<Vec<Vec<f64>>, DistanceError> {
    check_aligned(records)?;
    let n = records.len();
    let mut d = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let v = pair_distance(&records[i], &records[j], model)?;
            d[i][j] = v;
            d[j][i] = v;
        }
    }
    Ok(d)
}

/// Neighbour joining on a distance matrix; tips are named by `names`.
/// The result is rooted at the last join (a trifurcation), as unrooted
/// trees are conventionally written.
pub fn neighbour_joining(names: &[String], distances: &[Vec<f64>]) -> Result<Tree, DistanceError> {
    let n = names.len();
    if n < 2 {
        return Err(DistanceError::TooFew { found: n });
    }
    // Build bottom-up in a scratch list of (children, lengths) then convert.
    struct Scratch {
        name: Option<String>,
        children: Vec<(usize, f64)>,
    }
    let mut nodes: Vec<Scratch> = names
        .iter()
        .map(|name| Scratch {
            name: Some(name.clone()),
            children: Vec::new(),
        })
        .collect();
    let mut active: Vec<usize> = (0..n).collect();
    let mut d: Vec<Vec<f64>> = distances.to_vec();
    while active.len() > 3 {
        let m = active.len();
        let sums: Vec<f64> = (0..m).map(|i| (0..m).map(|j| d[i][j]).sum()).collect();
        let mut best = (0usize, 1usize, f64::INFINITY);
        for i in 0..m {
            for j in i + 1..m {
                let q = (m as f64 - 2.0) * d[i][j] - sums[i] - sums[j];
                if q < best.2 {
                    best = (i, j, q);
                }
            }
        }
        let (i, j, _) = best;
        let li = 0.5 * d[i][j] + (sums[i] - sums[j]) / (2.0 * (m as f64 - 2.0));
        let lj = d[i][j] - li;
        let new = nodes.len();
        nodes.push(Scratch {
            name: None,
            children: vec![(active[i], li.max(0.0)), (active[j], lj.max(0.0))],
        });
        let new_row: Vec<f64> = (0..m)
            .map(|k| 0.5 * (d[i][k] + d[j][k] - d[i][j]))
            .collect();
        // Replace i by the new node, remove j.
        for k in 0..m {
            d[i][k] = new_row[k];
            d[k][i] = new_row[k];
        }
        d[i][i] = 0.0;
        active[i] = new;
        active.remove(j);
        d.remove(j);
        for row in d.iter_mut() {
            row.remove(j);
        }
    }
    let root = nodes.len();
    let mut root_children = Vec::new();
    if active.len() == 3 {
        let (a, b, c) = (d[0][1], d[0][2], d[1][2]);
        root_children.push((active[0], (0.5 * (a + b - c)).max(0.0)));
        root_children.push((active[1], (0.5 * (a + c - b)).max(0.0)));
        root_children.push((active[2], (0.5 * (b + c - a)).max(0.0)));
    } else {
        root_children.push((active[0], 0.5 * d[0][1]));
        root_children.push((active[1], 0.5 * d[0][1]));
    }
    nodes.push(Scratch {
        name: None,
        children: root_children,
    });
    let mut tree = Tree::new();
    fn build(tree: &mut Tree, at: NodeId, scratch: &[Scratch], index: usize) {
        tree.nodes[at].name = scratch[index].name.clone();
        for &(child, length) in &scratch[index].children {
            let id = tree.add_child(at);
            tree.nodes[id].branch_length = Some(length);
            build(tree, id, scratch, child);
        }
    }
    let tree_root = tree.root;
    build(&mut tree, tree_root, &nodes, root);
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newick;

    fn rec(name: &str, seq: &str) -> Record {
        Record {
            name: name.to_string(),
            seq: seq.as_bytes().to_vec(),
        }
    }

    #[test]
    fn jc69_and_k80_known_values() {
        let a = rec("a", "AAAAAAAAAA");
        let b = rec("b", "GAAAAAAAAA"); // one transition in 10
        let c = rec("c", "CAAAAAAA-N"); // one transversion in 8
        let jc = pair_distance(&a, &b, Model::Jc69).expect("d");
        assert!((jc - (-0.75 * (1.0f64 - 4.0 * 0.1 / 3.0).ln())).abs() < 1e-12);
        let k80 = pair_distance(&a, &b, Model::K80).expect("d");
        assert!((k80 - (-0.5 * 0.8f64.ln())).abs() < 1e-12);
        let k80c = pair_distance(&a, &c, Model::K80).expect("d");
        let q: f64 = 1.0 / 8.0;
        let expect = -0.5 * (1.0 - q).ln() - 0.25 * (1.0f64 - 2.0 * q).ln();
        assert!((k80c - expect).abs() < 1e-12);
        let far = rec("far", "CGTCGTCGTC");
        assert!(matches!(
            pair_distance(&a, &far, Model::Jc69),
            Err(DistanceError::Saturated { .. })
        ));
        assert!(matches!(
            pair_distance(&rec("x", "--"), &rec("y", "AC"), Model::Jc69),
            Err(DistanceError::NoOverlap { .. })
        ));
    }

    #[test]
    fn nj_recovers_additive_tree() {
        // ((A:1,B:2):1,C:3,(D:1,E:4):2)
        let names: Vec<String> = ["A", "B", "C", "D", "E"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let tree_text = "((A:1,B:2):1,C:3,(D:1,E:4):2);";
        let truth = newick::parse(tree_text).expect("valid");
        let dist = truth.dist_to_root();
        let path = |x: &str, y: &str| {
            let a = truth.tip_by_name(x).expect("tip");
            let b = truth.tip_by_name(y).expect("tip");
            // lowest common ancestor by walking up
            let mut up = vec![a];
            while let Some(p) = truth.nodes[*up.last().expect("nonempty")].parent {
                up.push(p);
            }
            let mut cur = b;
            while !up.contains(&cur) {
                cur = truth.nodes[cur].parent.expect("same tree");
            }
            dist[a] + dist[b] - 2.0 * dist[cur]
        };
        let d: Vec<Vec<f64>> = names
            .iter()
            .map(|x| {
                names
                    .iter()
                    .map(|y| if x == y { 0.0 } else { path(x, y) })
                    .collect()
            })
            .collect();
        let tree = neighbour_joining(&names, &d).expect("nj");
        let total: f64 = (0..tree.nodes.len()).map(|id| tree.length(id)).sum();
        assert!((total - 14.0).abs() < 1e-9, "{}", newick::write(&tree));
        for x in &names {
            for y in &names {
                let a = tree.tip_by_name(x).expect("tip");
                let b = tree.tip_by_name(y).expect("tip");
                let mut up = vec![a];
                while let Some(p) = tree.nodes[*up.last().expect("nonempty")].parent {
                    up.push(p);
                }
                let mut cur = b;
                while !up.contains(&cur) {
                    cur = tree.nodes[cur].parent.expect("same tree");
                }
                let dd = tree.dist_to_root();
                let got = dd[a] + dd[b] - 2.0 * dd[cur];
                assert!((got - path(x, y)).abs() < 1e-9);
            }
        }
    }
}
