//! A rooted phylogenetic tree stored as an arena of nodes.
//!
//! Nodes are addressed by [`NodeId`] (an index into the arena). Every node
//! except the root has a parent; branch lengths belong to the branch above
//! a node. Iteration orders are deterministic (children in insertion order).

use serde::Serialize;

/// Index of a node in [`Tree::nodes`].
pub type NodeId = usize;

/// One node of a tree: a tip when it has no children.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Label (tip name, or internal label such as a support value).
    pub name: Option<String>,
    /// Length of the branch above this node (substitutions per site).
    pub branch_length: Option<f64>,
    /// Comment text found in `[...]` after the node, without brackets.
    pub comment: Option<String>,
    /// The parent node, `None` for the root.
    pub parent: Option<NodeId>,
    /// Children in the order they were read.
    pub children: Vec<NodeId>,
}

impl Node {
    fn empty() -> Self {
        Node {
            name: None,
            branch_length: None,
            comment: None,
            parent: None,
            children: Vec::new(),
        }
    }

    /// True for a node without children.
    pub fn is_tip(&self) -> bool {
        self.children.is_empty()
    }
}

/// A rooted tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tree {
    /// The arena; detached nodes (after rerooting) are never referenced.
    pub nodes: Vec<Node>,
    /// The root node.
    pub root: NodeId,
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

impl Tree {
    /// A tree with only a root node.
    pub fn new() -> Self {
        Tree {
            nodes: vec![Node::empty()],
            root: 0,
        }
    }

    /// Adds a new node below `parent` and returns it.
    pub fn add_child(&mut self, parent: NodeId) -> NodeId {
        let id = self.nodes.len();
        let mut node = Node::empty();
        node.parent = Some(parent);
        self.nodes.push(node);
        self.nodes[parent].children.push(id);
        id
    }

    /// Branch length above `id`, missing lengths read as 0.
    pub fn length(&self, id: NodeId) -> f64 {
        self.nodes[id].branch_length.unwrap_or(0.0)
    }

    /// Nodes reachable from the root, parents before children.
    pub fn preorder(&self) -> Vec<NodeId> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![self.root];
        while let Some(id) = stack.pop() {
            order.push(id);
            for &child in self.nodes[id].children.iter().rev() {
                stack.push(child);
            }
        }
        order
    }

    /// Nodes reachable from the root, children before parents.
    pub fn postorder(&self) -> Vec<NodeId> {
        let mut order = self.preorder();
        order.reverse();
        order
    }

    /// Tips in left-to-right order.
    pub fn tips(&self) -> Vec<NodeId> {
        self.preorder()
            .into_iter()
            .filter(|&id| self.nodes[id].is_tip())
            .collect()
    }

    /// Distance from the root to every node (indexed by `NodeId`).
    pub fn dist_to_root(&self) -> Vec<f64> {
        let mut dist = vec![0.0; self.nodes.len()];
        for id in self.preorder() {
            if let Some(parent) = self.nodes[id].parent {
                dist[id] = dist[parent] + self.length(id);
            }
        }
        dist
    }

    /// Finds a tip by name.
    pub fn tip_by_name(&self, name: &str) -> Option<NodeId> {
        self.tips()
            .into_iter()
            .find(|&id| self.nodes[id].name.as_deref() == Some(name))
    }

    /// The most recent common ancestor of `ids` (the root for an empty set).
    pub fn mrca(&self, ids: &[NodeId]) -> NodeId {
        let Some((&first, rest)) = ids.split_first() else {
            return self.root;
        };
        let mut chain = vec![first];
        while let Some(p) = self.nodes[*chain.last().unwrap_or(&first)].parent {
            chain.push(p);
        }
        let mut deepest = 0usize;
        for &id in rest {
            let mut cur = id;
            loop {
                if let Some(pos) = chain.iter().position(|&c| c == cur) {
                    deepest = deepest.max(pos);
                    break;
                }
                match self.nodes[cur].parent {
                    Some(p) => cur = p,
                    None => {
                        deepest = chain.len() - 1;
                        break;
                    }
                }
            }
        }
        chain[deepest]
    }

    /// Splits the branch above `child` at fraction `x` (measured from
    /// `child`: the child keeps `x` of the length) and returns the new node.
    pub fn split_branch(&mut self, child: NodeId, x: f64) -> NodeId {
        let parent = self.nodes[child]
            .parent
            .expect("split_branch is only called on non-root nodes");
        let length = self.length(child);
        let id = self.nodes.len();
        let mut node = Node::empty();
        node.parent = Some(parent);
        node.branch_length = Some(length * (1.0 - x));
        node.children = vec![child];
        self.nodes.push(node);
        for slot in self.nodes[parent].children.iter_mut() {
            if *slot == child {
                *slot = id;
            }
        }
        self.nodes[child].parent = Some(id);
        self.nodes[child].branch_length = Some(length * x);
        id
    }

    /// Makes `new_root` the root by reversing the branches on its path to
    /// the old root. An old root left with a single child is spliced out
    /// (its two branches merge), so no degree-two node remains.
    pub fn reroot_at(&mut self, new_root: NodeId) {
        if new_root == self.root {
            return;
        }
        let old_root = self.root;
        let mut path = vec![new_root];
        while let Some(parent) = self.nodes[*path.last().unwrap_or(&new_root)].parent {
            path.push(parent);
        }
        // Reverse every branch on the path: the length above path[k] moves to
        // the branch above path[k+1], which becomes a child of path[k].
        let lengths: Vec<Option<f64>> = path
            .iter()
            .map(|&id| self.nodes[id].branch_length)
            .collect();
        for k in 0..path.len() - 1 {
            let child = path[k];
            let parent = path[k + 1];
            self.nodes[parent].children.retain(|&c| c != child);
            self.nodes[child].children.push(parent);
            self.nodes[parent].parent = Some(child);
            self.nodes[parent].branch_length = lengths[k];
        }
        self.nodes[new_root].parent = None;
        self.nodes[new_root].branch_length = None;
        self.root = new_root;
        if self.nodes[old_root].children.len() == 1 {
            let only = self.nodes[old_root].children[0];
            let up = self.nodes[old_root]
                .parent
                .expect("the old root is not the new root");
            let merged = self.length(old_root) + self.length(only);
            self.nodes[only].branch_length = Some(merged);
            self.nodes[only].parent = Some(up);
            for slot in self.nodes[up].children.iter_mut() {
                if *slot == old_root {
                    *slot = only;
                }
            }
            self.nodes[old_root].children.clear();
            self.nodes[old_root].parent = None;
        }
    }

    /// Orders children so that smaller subtrees come first (deterministic
    /// ties by first tip name), like `ladderize` in Bio.Phylo.
    pub fn ladderize(&mut self) {
        let mut sizes = vec![0usize; self.nodes.len()];
        let mut first_name: Vec<String> = vec![String::new(); self.nodes.len()];
        for id in self.postorder() {
            if self.nodes[id].is_tip() {
                sizes[id] = 1;
                first_name[id] = self.nodes[id].name.clone().unwrap_or_default();
            } else {
                sizes[id] = self.nodes[id].children.iter().map(|&c| sizes[c]).sum();
                first_name[id] = self.nodes[id]
                    .children
                    .iter()
                    .map(|&c| first_name[c].clone())
                    .min()
                    .unwrap_or_default();
            }
        }
        for id in 0..self.nodes.len() {
            let mut children = std::mem::take(&mut self.nodes[id].children);
            children.sort_by(|&a, &b| {
                sizes[a]
                    .cmp(&sizes[b])
                    .then_with(|| first_name[a].cmp(&first_name[b]))
            });
            self.nodes[id].children = children;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newick;

    #[test]
    fn reroot_keeps_pairwise_distances() {
        let mut tree = newick::parse("((A:1,B:2):3,(C:4,D:5):6);").expect("valid");
        let before = pair_distances(&tree);
        let c = tree.tip_by_name("C").expect("C");
        let mid = tree.split_branch(c, 0.25);
        tree.reroot_at(mid);
        assert_eq!(tree.tips().len(), 4);
        let after = pair_distances(&tree);
        for (x, y) in before.iter().zip(after.iter()) {
            assert!((x - y).abs() < 1e-12, "{before:?} vs {after:?}");
        }
        let dist = tree.dist_to_root();
        assert!((dist[c] - 1.0).abs() < 1e-12);
    }

    fn pair_distances(tree: &Tree) -> Vec<f64> {
        let mut names: Vec<(String, NodeId)> = tree
            .tips()
            .into_iter()
            .map(|id| (tree.nodes[id].name.clone().unwrap_or_default(), id))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                out.push(path_length(tree, names[i].1, names[j].1));
            }
        }
        out
    }

    fn path_length(tree: &Tree, a: NodeId, b: NodeId) -> f64 {
        let ancestors = |mut id: NodeId| {
            let mut chain = vec![id];
            while let Some(p) = tree.nodes[id].parent {
                chain.push(p);
                id = p;
            }
            chain
        };
        let chain_a = ancestors(a);
        let chain_b = ancestors(b);
        let common = *chain_a
            .iter()
            .find(|id| chain_b.contains(id))
            .expect("same tree");
        let dist = tree.dist_to_root();
        dist[a] + dist[b] - 2.0 * dist[common]
    }
}
