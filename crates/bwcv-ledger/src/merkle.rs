//! The Merkle log: RFC 6962 §2.1 tree hash, inclusion and consistency proofs,
//! verified with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
//!
//! # Storage model (node cache)
//!
//! Every hash a proof needs is the hash of a *perfect, aligned subtree*
//! ([`SubtreeId`]: `level`, `index`, covering leaves
//! `index·2^level .. (index+1)·2^level`) or the hash of a right-edge partial
//! subtree, which is the fold of at most ⌈log₂ n⌉ perfect subtrees. A
//! storage backend therefore keeps one append-only table of perfect-subtree
//! hashes keyed by `(level, index)`; level 0 holds the leaf hashes. Appending
//! leaf `i` completes exactly the subtrees listed by [`completed_by_append`],
//! and [`Frontier`] computes their hashes without re-reading the table.
//!
//! A proof is produced in two pure steps around one storage read:
//! [`plan_inclusion`] / [`plan_consistency`] / [`plan_root`] return a
//! [`ProofPlan`] listing the subtree ids to fetch (O(log n) of them);
//! the backend answers them through [`NodeReader::subtree_hashes`]; and
//! [`ProofPlan::assemble`] folds the fetched hashes into the RFC 6962 proof.
//! [`prove_inclusion`], [`prove_consistency`] and [`root_hash`] do the three
//! steps for any [`NodeReader`]. [`MemoryLog`] is the in-memory reference
//! backend used by tests and benchmarks.
//!
//! # Contract for a storage backend
//!
//! Tables (append-only; UPDATE and DELETE refused by triggers):
//! - `entries(leaf_index u64 PRIMARY KEY, bytes BLOB)`: the canonical entry
//!   bytes ([`crate::entry::Entry::encode`]); leaf indexes 0, 1, 2, … with no gaps.
//! - `nodes(level u8, index u64, hash 32 bytes, PRIMARY KEY (level, index))`:
//!   one row per *complete* perfect subtree, level 0 = `leaf_hash(bytes)`.
//! - `checkpoints(size, note text)`: every signed checkpoint issued, with
//!   cosignatures as they arrive (a witness's cosigned note replaces
//!   nothing: store each note text).
//!
//! Appending a batch in one transaction: load the frontier once
//! (`Frontier::from_hashes(size, &hashes_of(frontier_ids(size)))`), then
//! for each entry `rows = frontier.append(leaf_hash(&bytes))` and insert
//! the entry and every `(id, hash)` of `rows` (exactly
//! [`completed_by_append`]`(leaf_index)`); `frontier.root()` is the new root
//! to put in the next checkpoint. Reading: implement [`NodeReader`] as one
//! `SELECT … WHERE (level, index) IN (…)` returning the hashes in the order
//! asked; [`prove_inclusion`], [`prove_consistency`] and [`root_hash`] then
//! cost one query of at most 2·⌈log₂ n⌉ rows.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, node hash or tree root.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// Length of a hash in bytes.
    pub const LEN: usize = 32;

    /// SHA-256 of `data` (not a leaf hash: no domain-separation prefix).
    pub fn digest(data: &[u8]) -> Self {
        Self(Sha256::digest(data).into())
    }

    /// Lower-case hexadecimal, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hexadecimal characters (either case).
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| HashParseError(text.to_owned()))?;
        Ok(Self(bytes))
    }

    /// The 32 bytes of the hash, or `None` if `bytes` is not 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
}

/// A string that is not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a SHA-256 hash (64 hexadecimal digits)")]
pub struct HashParseError(pub String);

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// RFC 6962 §2.1: the hash of the empty tree, `SHA-256()`.
pub fn empty_root() -> Hash {
    Hash::digest(b"")
}

/// RFC 6962 §2.1: leaf hash `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// RFC 6962 §2.1: interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// A perfect, aligned subtree: `2^level` leaves starting at leaf
/// `index · 2^level`. `(0, i)` is leaf `i`. This is the key of the node
/// cache a storage backend keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubtreeId {
    /// Height above the leaves: 0 for a leaf.
    pub level: u8,
    /// Position among the subtrees of this level, counted from the left.
    pub index: u64,
}

impl SubtreeId {
    pub fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// First leaf covered.
    pub fn first_leaf(&self) -> u64 {
        self.index << self.level
    }

    /// Number of leaves covered, `2^level`.
    pub fn n_leaves(&self) -> u64 {
        1u64 << self.level
    }

    /// The two halves of a subtree of level ≥ 1.
    pub fn children(&self) -> Option<(SubtreeId, SubtreeId)> {
        let level = self.level.checked_sub(1)?;
        Some((
            SubtreeId::new(level, self.index * 2),
            SubtreeId::new(level, self.index * 2 + 1),
        ))
    }
}

/// Why a proof cannot be planned, assembled or produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "consistency from size {old_size} to size {new_size}: the old size must not exceed the new one"
    )]
    SizesReversed { old_size: u64, new_size: u64 },
    #[error("tree size {size} is beyond the log's size {log_size}")]
    BeyondLog { size: u64, log_size: u64 },
    #[error("the plan needs {expected} subtree hashes but {got} were supplied")]
    WrongHashCount { expected: usize, got: usize },
}

/// Storage failed to answer, or the plan was impossible.
#[derive(Debug, thiserror::Error)]
pub enum ProveError<E> {
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("node storage: {0}")]
    Storage(E),
}

/// What a storage backend provides so that proofs cost O(log n) reads:
/// the hashes of perfect aligned subtrees, in the order asked.
pub trait NodeReader {
    type Error;
    /// The hash of every id, in order. Every id asked is below the size the
    /// caller passed to the planner, so it is complete in an append-only log.
    fn subtree_hashes(&self, ids: &[SubtreeId]) -> Result<Vec<Hash>, Self::Error>;
}

/// The subtrees to fetch for one proof and how to fold them into proof
/// elements (each proof element is one perfect subtree or the fold of a
/// right-edge partial subtree's decomposition).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProofPlan {
    /// Every subtree whose hash is needed, in the order `assemble` wants them.
    pub ids: Vec<SubtreeId>,
    /// For each proof element, how many consecutive `ids` it folds.
    element_sizes: Vec<usize>,
}

impl ProofPlan {
    fn push_range(&mut self, start: u64, end: u64) {
        let before = self.ids.len();
        decompose(start, end, &mut self.ids);
        self.element_sizes.push(self.ids.len() - before);
    }

    /// Number of elements of the resulting proof.
    pub fn n_elements(&self) -> usize {
        self.element_sizes.len()
    }

    /// Folds `hashes` (one per id in `self.ids`, same order) into the proof
    /// elements: a right-edge partial subtree decomposed into perfect
    /// subtrees `s1, s2, …, sk` (left to right) has hash
    /// `node(s1, node(s2, … node(sk-1, sk)))` by RFC 6962 §2.1.
    pub fn assemble(&self, hashes: &[Hash]) -> Result<Vec<Hash>, ProofError> {
        if hashes.len() != self.ids.len() {
            return Err(ProofError::WrongHashCount {
                expected: self.ids.len(),
                got: hashes.len(),
            });
        }
        let mut proof = Vec::with_capacity(self.element_sizes.len());
        let mut offset = 0;
        for &n_parts in &self.element_sizes {
            let parts = &hashes[offset..offset + n_parts];
            offset += n_parts;
            proof.push(fold_right(parts));
        }
        Ok(proof)
    }
}

fn fold_right(parts: &[Hash]) -> Hash {
    match parts.split_last() {
        None => empty_root(),
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(*last, |acc, left| node_hash(left, &acc)),
    }
}

/// Perfect aligned subtrees covering leaves `start..end`, left to right,
/// largest first. `start` is aligned to the largest power of two not above
/// `end - start`, as every range of the RFC 6962 recursion is.
fn decompose(start: u64, end: u64, out: &mut Vec<SubtreeId>) {
    let mut position = start;
    let n_leaves = end - start;
    for level in (0..64u8).rev() {
        if n_leaves & (1u64 << level) != 0 {
            debug_assert_eq!(position % (1u64 << level), 0, "unaligned range");
            out.push(SubtreeId::new(level, position >> level));
            position += 1u64 << level;
        }
    }
}

/// RFC 6962 §2.1: the largest power of two smaller than `n` (n ≥ 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Plan of the root hash MTH(D[0:size]): one element.
pub fn plan_root(size: u64) -> ProofPlan {
    let mut plan = ProofPlan::default();
    plan.push_range(0, size);
    plan
}

/// The perfect subtrees that make up a tree of `size` leaves (one per set
/// bit of `size`, largest first): the state a [`Frontier`] starts from.
pub fn frontier_ids(size: u64) -> Vec<SubtreeId> {
    let mut ids = Vec::new();
    decompose(0, size, &mut ids);
    ids
}

/// Plan of the audit path PATH(index, D[0:size]) of RFC 6962 §2.1.1.
pub fn plan_inclusion(index: u64, size: u64) -> Result<ProofPlan, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Walk the recursion top-down, collecting the sibling ranges; the path
    // lists them bottom-up (PATH(m, D[0:k]) : MTH(D[k:n])).
    let mut ranges = Vec::new();
    let (mut start, mut end, mut m) = (0u64, size, index);
    while end - start > 1 {
        let k = split_point(end - start);
        if m < k {
            ranges.push((start + k, end));
            end = start + k;
        } else {
            ranges.push((start, start + k));
            start += k;
            m -= k;
        }
    }
    let mut plan = ProofPlan::default();
    for (range_start, range_end) in ranges.into_iter().rev() {
        plan.push_range(range_start, range_end);
    }
    Ok(plan)
}

/// Plan of the consistency proof PROOF(old_size, D[0:new_size]) of
/// RFC 6962 §2.1.2 (SUBPROOF). Empty when `old_size` is 0 or equals
/// `new_size`.
pub fn plan_consistency(old_size: u64, new_size: u64) -> Result<ProofPlan, ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesReversed { old_size, new_size });
    }
    let mut plan = ProofPlan::default();
    if old_size == 0 || old_size == new_size {
        return Ok(plan);
    }
    let mut ranges = Vec::new();
    let (mut start, mut end, mut m, mut whole_old_tree) = (0u64, new_size, old_size, true);
    loop {
        let n = end - start;
        if m == n {
            // SUBPROOF(m, D[m], b): [] if b, else [MTH(D[m])].
            if !whole_old_tree {
                ranges.push((start, end));
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            ranges.push((start + k, end));
            end = start + k;
        } else {
            // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            ranges.push((start, start + k));
            start += k;
            m -= k;
            whole_old_tree = false;
        }
    }
    for (range_start, range_end) in ranges.into_iter().rev() {
        plan.push_range(range_start, range_end);
    }
    Ok(plan)
}

/// The perfect subtrees completed by appending leaf `leaf_index` (0-based):
/// `(0, leaf_index)` and, for each level `l ≥ 1` with `2^l` dividing
/// `leaf_index + 1`, the subtree `(l, (leaf_index + 1) / 2^l − 1)`. A
/// backend inserts exactly these rows when it appends the leaf.
pub fn completed_by_append(leaf_index: u64) -> Vec<SubtreeId> {
    let n_after = leaf_index + 1;
    let mut ids = vec![SubtreeId::new(0, leaf_index)];
    let mut level = 1u8;
    while level < 64 && n_after % (1u64 << level) == 0 {
        ids.push(SubtreeId::new(level, (n_after >> level) - 1));
        level += 1;
    }
    ids
}

/// The right edge of the tree: one perfect subtree hash per set bit of the
/// size (largest first). Appending a leaf yields the new node-cache rows
/// without reading storage, so a backend loads the frontier once
/// ([`frontier_ids`]) and appends a whole batch in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// (subtree, hash), largest first.
    nodes: Vec<(SubtreeId, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of a tree of `size` leaves from the hashes of
    /// [`frontier_ids`]`(size)`, in that order.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Result<Self, ProofError> {
        let ids = frontier_ids(size);
        if ids.len() != hashes.len() {
            return Err(ProofError::WrongHashCount {
                expected: ids.len(),
                got: hashes.len(),
            });
        }
        Ok(Self {
            size,
            nodes: ids.into_iter().zip(hashes.iter().copied()).collect(),
        })
    }

    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the node-cache rows it completes
    /// (exactly the ids of [`completed_by_append`], with their hashes).
    pub fn append(&mut self, leaf: Hash) -> Vec<(SubtreeId, Hash)> {
        let index = self.size;
        let mut completed = Vec::with_capacity(4);
        let mut current = (SubtreeId::new(0, index), leaf);
        completed.push(current);
        while let Some(&(left_id, left_hash)) = self.nodes.last() {
            if left_id.level != current.0.level {
                break;
            }
            self.nodes.pop();
            current = (
                SubtreeId::new(left_id.level + 1, left_id.index / 2),
                node_hash(&left_hash, &current.1),
            );
            completed.push(current);
        }
        self.nodes.push(current);
        self.size += 1;
        completed
    }

    /// MTH of the whole tree so far (RFC 6962 §2.1).
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, hash)| *hash).collect();
        fold_right(&hashes)
    }
}

/// MTH(D[0:size]) read from a node cache.
pub fn root_hash<R: NodeReader>(reader: &R, size: u64) -> Result<Hash, ProveError<R::Error>> {
    let plan = plan_root(size);
    let hashes = reader
        .subtree_hashes(&plan.ids)
        .map_err(ProveError::Storage)?;
    Ok(plan.assemble(&hashes)?[0])
}

/// RFC 6962 §2.1.1 audit path of leaf `index` in the tree of `size`, read
/// from a node cache.
pub fn prove_inclusion<R: NodeReader>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    let plan = plan_inclusion(index, size)?;
    let hashes = reader
        .subtree_hashes(&plan.ids)
        .map_err(ProveError::Storage)?;
    Ok(plan.assemble(&hashes)?)
}

/// RFC 6962 §2.1.2 consistency proof from `old_size` to `new_size`, read
/// from a node cache.
pub fn prove_consistency<R: NodeReader>(
    reader: &R,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    let plan = plan_consistency(old_size, new_size)?;
    let hashes = reader
        .subtree_hashes(&plan.ids)
        .map_err(ProveError::Storage)?;
    Ok(plan.assemble(&hashes)?)
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the proof has more elements than the tree sizes allow")]
    ProofTooLong,
    #[error("the proof has fewer elements than the tree sizes need")]
    ProofTooShort,
    #[error("the proof leads to root {computed}, not the expected root {expected}")]
    RootMismatch { computed: Hash, expected: Hash },
    #[error("the proof does not reproduce the old root {expected} (it leads to {computed})")]
    OldRootMismatch { computed: Hash, expected: Hash },
    #[error("old size {old_size} is larger than new size {new_size}")]
    SizesReversed { old_size: u64, new_size: u64 },
    #[error("a consistency proof between equal sizes or from the empty tree must be empty")]
    ProofNotEmpty,
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` (a leaf hash) is at `index` in
/// the tree of `size` leaves whose root is `root`, following the RFC's
/// algorithm step by step.
///
/// The proof alone does not bind `size`: for some sizes the same path also
/// verifies against the same root with a neighbouring size. Take `size` and
/// `root` together from one signed checkpoint, as [`crate::custody::verify`]
/// does.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    // 1. leaf_index must be below tree_size.
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    // 2. fn = leaf_index, sn = tree_size - 1.
    let mut fn_ = index;
    let mut sn = size - 1;
    // 3. r = hash.
    let mut r = *leaf;
    // 4. For each value p in the inclusion_path array:
    for p in proof {
        // a. If sn is 0, stop and fail.
        if sn == 0 {
            return Err(VerifyError::ProofTooLong);
        }
        // b. If LSB(fn) is set, or if fn is equal to sn:
        if fn_ & 1 == 1 || fn_ == sn {
            // i. r = HASH(0x01 || p || r)
            r = node_hash(p, &r);
            // ii. If LSB(fn) is not set, right-shift fn and sn equally until
            //     either LSB(fn) is set or fn is 0.
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: r = HASH(0x01 || r || p)
            r = node_hash(&r, p);
        }
        // c. Right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. sn must be 0 and r must equal root_hash.
    if sn != 0 {
        return Err(VerifyError::ProofTooShort);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch {
            computed: r,
            expected: *root,
        });
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `old_size` leaves with root
/// `old_root` is a prefix of the tree of `new_size` leaves with root
/// `new_root`. Outside the RFC's `0 < first < second`: equal sizes are
/// consistent iff the proof is empty and the roots are equal; the empty tree
/// is consistent with every tree iff the proof is empty and `old_root` is the
/// empty-tree hash.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::SizesReversed { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(VerifyError::ProofNotEmpty);
        }
        if old_size == 0 && *old_root != empty_root() {
            return Err(VerifyError::OldRootMismatch {
                computed: empty_root(),
                expected: *old_root,
            });
        }
        if new_size == 0 && *new_root != empty_root() {
            return Err(VerifyError::RootMismatch {
                computed: empty_root(),
                expected: *new_root,
            });
        }
        if old_size == new_size && old_root != new_root {
            return Err(VerifyError::RootMismatch {
                computed: *old_root,
                expected: *new_root,
            });
        }
        return Ok(());
    }
    // 1. If consistency_path is empty, fail.
    if proof.is_empty() {
        return Err(VerifyError::ProofTooShort);
    }
    // 2. If first is an exact power of 2, prepend first_hash.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    // 3. fn = first - 1, sn = second - 1.
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    // 4. If LSB(fn) is set, right-shift fn and sn equally until it is not.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. fr = sr = first value of consistency_path.
    let mut fr = path[0];
    let mut sr = path[0];
    // 6. For each subsequent value c:
    for c in &path[1..] {
        // a. If sn is 0, stop and fail.
        if sn == 0 {
            return Err(VerifyError::ProofTooLong);
        }
        // b. If LSB(fn) is set, or fn equals sn:
        if fn_ & 1 == 1 || fn_ == sn {
            // i. fr = HASH(0x01 || c || fr); ii. sr = HASH(0x01 || c || sr)
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // iii. If LSB(fn) is not set, right-shift fn and sn equally until
            //      either LSB(fn) is set or fn is 0.
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: sr = HASH(0x01 || sr || c)
            sr = node_hash(&sr, c);
        }
        // c. Right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. fr == first_hash, sr == second_hash, sn == 0.
    if sn != 0 {
        return Err(VerifyError::ProofTooShort);
    }
    if fr != *old_root {
        return Err(VerifyError::OldRootMismatch {
            computed: fr,
            expected: *old_root,
        });
    }
    if sr != *new_root {
        return Err(VerifyError::RootMismatch {
            computed: sr,
            expected: *new_root,
        });
    }
    Ok(())
}

/// A node the in-memory log does not have (beyond its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("subtree (level {}, index {}) is not complete in this log", .0.level, .0.index)]
pub struct MissingNode(pub SubtreeId);

/// An in-memory append-only log with a full node cache (every perfect
/// subtree hash, level by level): the reference [`NodeReader`].
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    /// `levels[l][i]` is the hash of `SubtreeId(l, i)`.
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Appends an entry (its bytes); returns its leaf index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends an already computed leaf hash; returns its leaf index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.frontier.size();
        for (id, hash) in self.frontier.append(leaf) {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(hash);
        }
        index
    }

    /// Root of the whole log.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Root of the log's prefix of `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        root_hash(self, size).map_err(Self::flatten)
    }

    /// Leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.node(SubtreeId::new(0, index))
    }

    fn node(&self, id: SubtreeId) -> Option<Hash> {
        let level = self.levels.get(usize::from(id.level))?;
        level.get(usize::try_from(id.index).ok()?).copied()
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size() {
            return Err(ProofError::BeyondLog {
                size,
                log_size: self.size(),
            });
        }
        Ok(())
    }

    fn flatten(error: ProveError<MissingNode>) -> ProofError {
        match error {
            ProveError::Proof(error) => error,
            // Unreachable after check_size: every planned id is complete.
            ProveError::Storage(MissingNode(id)) => ProofError::BeyondLog {
                size: id.first_leaf() + id.n_leaves(),
                log_size: 0,
            },
        }
    }

    /// Inclusion proof of leaf `index` in the prefix of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        prove_inclusion(self, index, size).map_err(Self::flatten)
    }

    /// Consistency proof between the prefixes of `old_size` and `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new_size)?;
        prove_consistency(self, old_size, new_size).map_err(Self::flatten)
    }
}

impl NodeReader for MemoryLog {
    type Error = MissingNode;
    fn subtree_hashes(&self, ids: &[SubtreeId]) -> Result<Vec<Hash>, MissingNode> {
        ids.iter()
            .map(|id| self.node(*id).ok_or(MissingNode(*id)))
            .collect()
    }
}

/// Naive reference implementation of RFC 6962 §2.1 straight from the
/// recursive definitions, recomputing from the leaf data every time (O(n)
/// per call). Used as the anchor of tests and benchmarks, never by the log.
pub mod naive {
    use super::{Hash, empty_root, leaf_hash, node_hash, split_point};

    /// MTH(D[n]).
    pub fn root(leaves: &[&[u8]]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(leaves[0]),
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
            }
        }
    }

    /// PATH(m, D[n]) of RFC 6962 §2.1.1.
    pub fn path(m: usize, leaves: &[&[u8]]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split_point(n as u64) as usize;
        if m < k {
            let mut proof = path(m, &leaves[..k]);
            proof.push(root(&leaves[k..]));
            proof
        } else {
            let mut proof = path(m - k, &leaves[k..]);
            proof.push(root(&leaves[..k]));
            proof
        }
    }

    /// PROOF(m, D[n]) of RFC 6962 §2.1.2.
    pub fn proof(m: usize, leaves: &[&[u8]]) -> Vec<Hash> {
        if m == 0 || m == leaves.len() {
            return Vec::new();
        }
        subproof(m, leaves, true)
    }

    fn subproof(m: usize, leaves: &[&[u8]], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![root(leaves)]
            };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut proof = subproof(m, &leaves[..k], whole);
            proof.push(root(&leaves[k..]));
            proof
        } else {
            let mut proof = subproof(m - k, &leaves[k..], false);
            proof.push(root(&leaves[..k]));
            proof
        }
    }
}
