//! In-memory benchmark of the Merkle log (bench/ledger/run.sh runs it):
//! appends per second, inclusion and consistency proof generation and
//! verification at N entries (default 10^6), against the anchor of a naive
//! recompute-from-leaves RFC 6962 implementation on the same data.
//!
//! Run: `cargo run --release -p bwcv-ledger --example ledger_bench -- [N]`

use std::time::Instant;

use bwcv_ledger::merkle::{self, MemoryLog, leaf_hash, naive};

/// SplitMix64: a small deterministic generator for picking indexes.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn entry(i: u64) -> Vec<u8> {
    // About the size of a custody/v1 entry (~450 bytes).
    format!(
        "{{\"event\":{{\"action\":{{\"kind\":\"stored\",\"location\":\"store {i}\"}},\"actor\":\"inspector-{}.bwcv.example\",\"previous\":\"{:064x}\",\"sample\":\"S-2026-{i:07}\",\"time\":{}}},\"key_id\":\"30229b2b\",\"signature\":\"{}\",\"type\":\"custody/v1\"}}",
        i % 17,
        i.wrapping_mul(0x9E37_79B9),
        1_796_371_200 + i,
        "A".repeat(88)
    )
    .into_bytes()
}

fn main() {
    let n_entries: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let n_proofs: u64 = 10_000;
    println!("entries\t{n_entries}");

    let entries: Vec<Vec<u8>> = (0..n_entries).map(entry).collect();

    // Append (leaf hashing + node cache), everything in memory.
    let start = Instant::now();
    let mut log = MemoryLog::new();
    for data in &entries {
        log.append(data);
    }
    let append_s = start.elapsed().as_secs_f64();
    println!(
        "append\t{:.0} entries/s\t({append_s:.3} s total)",
        n_entries as f64 / append_s
    );
    let root = log.root();

    let mut rng = SplitMix(42);
    let picks: Vec<u64> = (0..n_proofs).map(|_| rng.next() % n_entries).collect();

    let start = Instant::now();
    let proofs: Vec<Vec<merkle::Hash>> = picks
        .iter()
        .map(|&i| log.inclusion_proof(i, n_entries).expect("proof"))
        .collect();
    let gen_us = start.elapsed().as_secs_f64() * 1e6 / n_proofs as f64;
    let start = Instant::now();
    for (&i, proof) in picks.iter().zip(&proofs) {
        let leaf = leaf_hash(&entries[i as usize]);
        merkle::verify_inclusion(&leaf, i, n_entries, proof, &root).expect("verifies");
    }
    let verify_us = start.elapsed().as_secs_f64() * 1e6 / n_proofs as f64;
    println!("inclusion_proof_generation\t{gen_us:.2} us/proof");
    println!("inclusion_proof_verification\t{verify_us:.2} us/proof (leaf hash included)");

    let olds: Vec<u64> = (0..n_proofs)
        .map(|_| 1 + rng.next() % (n_entries - 1))
        .collect();
    let old_roots: Vec<merkle::Hash> = olds
        .iter()
        .map(|&m| log.root_at(m).expect("root"))
        .collect();
    let start = Instant::now();
    let consistency: Vec<Vec<merkle::Hash>> = olds
        .iter()
        .map(|&m| log.consistency_proof(m, n_entries).expect("proof"))
        .collect();
    let cgen_us = start.elapsed().as_secs_f64() * 1e6 / n_proofs as f64;
    let start = Instant::now();
    for ((&m, proof), old_root) in olds.iter().zip(&consistency).zip(&old_roots) {
        merkle::verify_consistency(m, n_entries, proof, old_root, &root).expect("verifies");
    }
    let cverify_us = start.elapsed().as_secs_f64() * 1e6 / n_proofs as f64;
    println!("consistency_proof_generation\t{cgen_us:.2} us/proof");
    println!("consistency_proof_verification\t{cverify_us:.2} us/proof");

    // Anchor: the naive recursion of RFC 6962 §2.1.1 over the leaf data.
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let n_naive = 3;
    let start = Instant::now();
    for &i in &picks[..n_naive] {
        let proof = naive::path(i as usize, &refs);
        assert_eq!(proof, log.inclusion_proof(i, n_entries).expect("proof"));
    }
    let naive_us = start.elapsed().as_secs_f64() * 1e6 / n_naive as f64;
    assert_eq!(naive::root(&refs), root, "naive and cached roots agree");
    println!("anchor_naive_inclusion_proof_generation\t{naive_us:.0} us/proof");
    println!(
        "ratio_naive_over_cached_generation\t{:.0}x",
        naive_us / gen_us
    );
}
