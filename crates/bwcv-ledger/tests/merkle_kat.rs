//! Known-answer tests with the Certificate Transparency vectors (RFC 6962
//! test data) and property tests of proofs against a naive reference.

use bwcv_ledger::merkle::{
    self, Frontier, Hash, MemoryLog, NodeReader, SubtreeId, completed_by_append, empty_root,
    frontier_ids, leaf_hash, naive, plan_consistency, plan_inclusion, verify_consistency,
    verify_inclusion,
};
use proptest::prelude::*;

fn ct_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).expect("test vector hex"))
    .collect()
}

const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(text: &str) -> Hash {
    Hash::from_hex(text).expect("test vector hash")
}

fn ct_log() -> MemoryLog {
    let mut log = MemoryLog::new();
    for leaf in ct_leaves() {
        log.append(&leaf);
    }
    log
}

#[test]
fn empty_tree_root() {
    assert_eq!(
        empty_root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(MemoryLog::new().root(), empty_root());
    assert_eq!(naive::root(&[]), empty_root());
}

#[test]
fn roots_of_sizes_1_to_8() {
    let leaves = ct_leaves();
    let log = ct_log();
    for size in 1..=8u64 {
        let expected = h(CT_ROOTS[size as usize - 1]);
        assert_eq!(log.root_at(size).unwrap(), expected, "size {size}");
        let refs: Vec<&[u8]> = leaves[..size as usize].iter().map(Vec::as_slice).collect();
        assert_eq!(naive::root(&refs), expected, "naive size {size}");
    }
    assert_eq!(log.root(), h(CT_ROOTS[7]));
}

#[test]
fn inclusion_of_leaf_0_in_tree_of_8() {
    let log = ct_log();
    let proof = log.inclusion_proof(0, 8).unwrap();
    let expected = [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    .map(h);
    assert_eq!(proof, expected);
    verify_inclusion(&leaf_hash(b""), 0, 8, &proof, &h(CT_ROOTS[7])).unwrap();
}

#[test]
fn consistency_3_to_7() {
    let log = ct_log();
    let proof = log.consistency_proof(3, 7).unwrap();
    let expected = [
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
    ]
    .map(h);
    assert_eq!(proof, expected);
    verify_consistency(3, 7, &proof, &h(CT_ROOTS[2]), &h(CT_ROOTS[6])).unwrap();
}

/// Every inclusion and consistency proof over the CT leaves equals the naive
/// RFC 6962 recursion and verifies.
#[test]
fn all_small_proofs_match_the_naive_reference() {
    let leaves = ct_leaves();
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let log = ct_log();
    for size in 1..=8usize {
        let root = naive::root(&refs[..size]);
        for index in 0..size {
            let proof = log.inclusion_proof(index as u64, size as u64).unwrap();
            assert_eq!(
                proof,
                naive::path(index, &refs[..size]),
                "path {index} in {size}"
            );
            verify_inclusion(
                &leaf_hash(refs[index]),
                index as u64,
                size as u64,
                &proof,
                &root,
            )
            .unwrap();
        }
        for old in 0..=size {
            let proof = log.consistency_proof(old as u64, size as u64).unwrap();
            assert_eq!(
                proof,
                naive::proof(old, &refs[..size]),
                "proof {old}->{size}"
            );
            let old_root = naive::root(&refs[..old]);
            verify_consistency(old as u64, size as u64, &proof, &old_root, &root).unwrap();
        }
    }
}

#[test]
fn planner_reads_are_logarithmic() {
    let size = 1_000_003u64;
    for index in [0, 1, 524_287, 999_999, size - 1] {
        let plan = plan_inclusion(index, size).unwrap();
        assert!(plan.ids.len() <= 2 * 20 + 2, "{} reads", plan.ids.len());
    }
    let plan = plan_consistency(333_333, size).unwrap();
    assert!(plan.ids.len() <= 2 * 20 + 2, "{} reads", plan.ids.len());
}

#[test]
fn completed_subtrees_on_append() {
    assert_eq!(completed_by_append(0), vec![SubtreeId::new(0, 0)]);
    assert_eq!(
        completed_by_append(3),
        vec![
            SubtreeId::new(0, 3),
            SubtreeId::new(1, 1),
            SubtreeId::new(2, 0)
        ]
    );
    assert_eq!(completed_by_append(4), vec![SubtreeId::new(0, 4)]);
    let mut frontier = Frontier::new();
    let log = ct_log();
    for (index, leaf) in ct_leaves().iter().enumerate() {
        let rows = frontier.append(leaf_hash(leaf));
        let ids: Vec<SubtreeId> = rows.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, completed_by_append(index as u64));
        let hashes: Vec<Hash> = rows.iter().map(|(_, hash)| *hash).collect();
        assert_eq!(log.subtree_hashes(&ids).unwrap(), hashes);
        assert_eq!(frontier.root(), h(CT_ROOTS[index]));
    }
    // A frontier restored from storage continues identically.
    let ids = frontier_ids(5);
    let restored = Frontier::from_hashes(5, &log.subtree_hashes(&ids).unwrap()).unwrap();
    assert_eq!(restored.root(), h(CT_ROOTS[4]));
}

#[test]
fn bad_requests_are_errors() {
    let log = ct_log();
    assert!(log.inclusion_proof(8, 8).is_err());
    assert!(log.inclusion_proof(0, 9).is_err());
    assert!(log.consistency_proof(5, 4).is_err());
    assert!(verify_inclusion(&leaf_hash(b""), 8, 8, &[], &h(CT_ROOTS[7])).is_err());
    assert!(verify_consistency(3, 3, &[h(CT_ROOTS[0])], &h(CT_ROOTS[2]), &h(CT_ROOTS[2])).is_err());
    assert!(verify_consistency(0, 3, &[], &h(CT_ROOTS[0]), &h(CT_ROOTS[2])).is_err());
    assert!(verify_consistency(0, 3, &[], &empty_root(), &h(CT_ROOTS[2])).is_ok());
    assert!(verify_consistency(3, 7, &[], &h(CT_ROOTS[2]), &h(CT_ROOTS[6])).is_err());
}

fn random_log(n_leaves: usize, seed: u8) -> (MemoryLog, Vec<Vec<u8>>) {
    let leaves: Vec<Vec<u8>> = (0..n_leaves)
        .map(|i| format!("entry {seed} {i}").into_bytes())
        .collect();
    let mut log = MemoryLog::new();
    for leaf in &leaves {
        log.append(leaf);
    }
    (log, leaves)
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipByte {
        element: usize,
        byte: usize,
        bit: u8,
    },
    Drop {
        element: usize,
    },
    Add {
        position: usize,
        hash: [u8; 32],
    },
    Swap {
        a: usize,
        b: usize,
    },
    ShiftIndex(i64),
    ShiftSize(i64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..32usize, 0..8u8).prop_map(|(element, byte, bit)| Mutation::FlipByte {
            element,
            byte,
            bit
        }),
        any::<usize>().prop_map(|element| Mutation::Drop { element }),
        (any::<usize>(), any::<[u8; 32]>())
            .prop_map(|(position, hash)| Mutation::Add { position, hash }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
        prop_oneof![(-5i64..0), (1i64..6)].prop_map(Mutation::ShiftIndex),
        prop_oneof![(-5i64..0), (1i64..6)].prop_map(Mutation::ShiftSize),
    ]
}

/// Applies a mutation; returns None if it would leave everything unchanged.
fn mutate(proof: &[Hash], index: u64, size: u64, m: &Mutation) -> Option<(Vec<Hash>, u64, u64)> {
    let mut proof = proof.to_vec();
    let (mut index, mut size) = (index, size);
    match *m {
        Mutation::FlipByte { element, byte, bit } => {
            if proof.is_empty() {
                return None;
            }
            let e = element % proof.len();
            proof[e].0[byte] ^= 1 << bit;
        }
        Mutation::Drop { element } => {
            if proof.is_empty() {
                return None;
            }
            proof.remove(element % proof.len());
        }
        Mutation::Add { position, hash } => {
            proof.insert(position % (proof.len() + 1), Hash(hash));
        }
        Mutation::Swap { a, b } => {
            if proof.len() < 2 {
                return None;
            }
            let (a, b) = (a % proof.len(), b % proof.len());
            if proof[a] == proof[b] {
                return None;
            }
            proof.swap(a, b);
        }
        Mutation::ShiftIndex(delta) => index = index.checked_add_signed(delta)?,
        Mutation::ShiftSize(delta) => size = size.checked_add_signed(delta)?,
    }
    Some((proof, index, size))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A mutated claim (proof, index, size) is checked against the root the
    /// log really has at the claimed size: an inclusion proof does not commit
    /// to the size by itself, the signed checkpoint binds root and size.
    #[test]
    fn inclusion_proofs_verify_and_mutations_fail(
        n_leaves in 1usize..300, pick in any::<usize>(), seed in any::<u8>(), m in mutation()
    ) {
        let (log, leaves) = random_log(n_leaves, seed);
        let size = (pick % n_leaves) as u64 + 1;
        let index = (pick / 7) as u64 % size;
        let root = log.root_at(size).unwrap();
        let leaf = leaf_hash(&leaves[index as usize]);
        let proof = log.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        let refs: Vec<&[u8]> = leaves[..size as usize].iter().map(Vec::as_slice).collect();
        prop_assert_eq!(&proof, &naive::path(index as usize, &refs));
        if let Some((bad_proof, bad_index, bad_size)) = mutate(&proof, index, size, &m) {
            if bad_size <= log.size() {
                let claimed_root = log.root_at(bad_size).unwrap();
                let genuine = log.inclusion_proof(bad_index, bad_size).ok();
                if genuine.as_ref() != Some(&bad_proof) {
                    prop_assert!(
                        verify_inclusion(&leaf, bad_index, bad_size, &bad_proof, &claimed_root).is_err(),
                        "mutation {:?} accepted", m);
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_mutations_fail(
        n_leaves in 1usize..300, a in any::<usize>(), b in any::<usize>(), seed in any::<u8>(), m in mutation()
    ) {
        let (log, leaves) = random_log(n_leaves, seed);
        let new_size = (b % n_leaves) as u64 + 1;
        let old_size = (a as u64) % (new_size + 1);
        let old_root = log.root_at(old_size).unwrap();
        let new_root = log.root_at(new_size).unwrap();
        let proof = log.consistency_proof(old_size, new_size).unwrap();
        prop_assert!(verify_consistency(old_size, new_size, &proof, &old_root, &new_root).is_ok());
        let refs: Vec<&[u8]> = leaves[..new_size as usize].iter().map(Vec::as_slice).collect();
        prop_assert_eq!(&proof, &naive::proof(old_size as usize, &refs));
        if let Some((bad_proof, bad_old, bad_new)) = mutate(&proof, old_size, new_size, &m) {
            // Sizes shifted: the roots are those of the claimed sizes.
            let roots = (log.root_at(bad_old), log.root_at(bad_new));
            if let (Ok(claimed_old), Ok(claimed_new)) = roots {
                let genuine = log.consistency_proof(bad_old, bad_new).ok();
                if genuine.as_ref() != Some(&bad_proof) {
                    prop_assert!(
                        verify_consistency(bad_old, bad_new, &bad_proof, &claimed_old, &claimed_new).is_err(),
                        "mutation {:?} accepted", m);
                }
            }
            // The original roots with the mutated proof and sizes never verify
            // unless the claim is unchanged.
            if (bad_old, bad_new) == (old_size, new_size) && bad_proof != proof {
                prop_assert!(verify_consistency(bad_old, bad_new, &bad_proof, &old_root, &new_root).is_err());
            }
        }
        // A wrong old root never verifies.
        let mut wrong = old_root;
        wrong.0[0] ^= 1;
        prop_assert!(verify_consistency(old_size, new_size, &proof, &wrong, &new_root).is_err());
    }
}

#[test]
fn root_hash_of_reader() {
    let log = ct_log();
    for size in 0..=8 {
        assert_eq!(
            merkle::root_hash(&log, size).unwrap(),
            log.root_at(size).unwrap()
        );
    }
}
