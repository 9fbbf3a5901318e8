//! The ledger storage benchmark, generic over [`Store`]: batched and
//! single-entry appends, then inclusion and consistency proofs read from
//! the store (one query of O(log n) rows each) and verified with
//! bwcv-ledger. Run by each backend's `ledger_bench` example and by
//! `bench/ledger-store/run.sh`. Not a test: it asserts only correctness
//! (every proof verifies), never timings.

use std::time::{Duration, Instant};

use bwcv_ledger::merkle;

use crate::{NewLedgerEntry, Store, StoreError};

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Entries appended in batches (the log size the proofs run at).
    pub n_entries: u64,
    /// Entries per batch (one transaction each).
    pub batch_size: usize,
    /// Single-entry appends (one transaction each), measured after the
    /// batches.
    pub n_single: u64,
    /// Inclusion and consistency proofs to read and verify.
    pub n_proofs: u64,
    /// Bytes per entry body (bwcv-ledger's bench uses ~450, the size of a
    /// custody event).
    pub entry_bytes: usize,
}

/// Timings of one run.
#[derive(Debug, Clone)]
pub struct Report {
    pub plan: Plan,
    pub batched: Duration,
    pub single: Duration,
    pub inclusion: Latencies,
    pub consistency: Latencies,
    /// Mean proof-verification time (pure, bwcv-ledger).
    pub verify_inclusion: Duration,
    pub verify_consistency: Duration,
    /// Subtree hashes one inclusion proof reads, at most.
    pub max_rows_per_proof: usize,
}

/// Mean and 99th percentile.
#[derive(Debug, Clone, Copy)]
pub struct Latencies {
    pub mean: Duration,
    pub p99: Duration,
}

impl Latencies {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let total: Duration = samples.iter().sum();
        let n = samples.len().max(1);
        let p99 = samples
            .get((n * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or_default();
        Self {
            mean: total / n as u32,
            p99,
        }
    }
}

impl Report {
    pub fn batched_per_second(&self) -> f64 {
        self.plan.n_entries as f64 / self.batched.as_secs_f64()
    }

    pub fn single_per_second(&self) -> f64 {
        self.plan.n_single as f64 / self.single.as_secs_f64()
    }

    /// TSV lines: `backend  measure  value  unit`.
    pub fn to_tsv(&self, backend: &str) -> String {
        let micros = |duration: Duration| format!("{:.1}", duration.as_secs_f64() * 1e6);
        let rows = [
            (
                format!("append_batched_{}", self.plan.batch_size),
                format!("{:.0}", self.batched_per_second()),
                "entries/s",
            ),
            (
                "append_single".to_owned(),
                format!("{:.0}", self.single_per_second()),
                "entries/s",
            ),
            (
                "inclusion_proof_read_mean".to_owned(),
                micros(self.inclusion.mean),
                "us",
            ),
            (
                "inclusion_proof_read_p99".to_owned(),
                micros(self.inclusion.p99),
                "us",
            ),
            (
                "consistency_proof_read_mean".to_owned(),
                micros(self.consistency.mean),
                "us",
            ),
            (
                "consistency_proof_read_p99".to_owned(),
                micros(self.consistency.p99),
                "us",
            ),
            (
                "inclusion_verify_mean".to_owned(),
                micros(self.verify_inclusion),
                "us",
            ),
            (
                "consistency_verify_mean".to_owned(),
                micros(self.verify_consistency),
                "us",
            ),
            (
                "subtree_rows_per_inclusion_proof_max".to_owned(),
                self.max_rows_per_proof.to_string(),
                "rows",
            ),
        ];
        let mut out = String::new();
        for (measure, value, unit) in rows {
            out.push_str(&format!(
                "{backend}\t{measure}\t{value}\t{unit}\tn={}\n",
                self.plan.n_entries
            ));
        }
        out
    }
}

/// Deterministic pseudo-random numbers (SplitMix64), so that every run
/// asks the same proofs.
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn body(index: u64, entry_bytes: usize) -> Vec<u8> {
    let mut body = format!("custody/v1 bench entry {index:012} ").into_bytes();
    let mut filler = SplitMix(index);
    while body.len() < entry_bytes {
        body.extend_from_slice(&filler.next().to_le_bytes());
    }
    body.truncate(entry_bytes.max(1));
    body
}

fn entry(index: u64, entry_bytes: usize) -> NewLedgerEntry {
    NewLedgerEntry {
        kind: "bench".to_owned(),
        body: body(index, entry_bytes),
        sample_id: Some(format!("S-{:06}", index % 100_000)),
        appended_at: chrono::Utc::now(),
    }
}

/// Runs the plan on an empty store; `progress` is called after each batch
/// with the log size.
pub async fn run<S: Store>(
    store: &S,
    plan: Plan,
    mut progress: impl FnMut(u64),
) -> Result<Report, StoreError> {
    if store.ledger_size().await? != 0 {
        return Err(StoreError::Invalid(
            "the benchmark needs an empty ledger".into(),
        ));
    }
    let batch_size = plan.batch_size.max(1) as u64;
    let started = Instant::now();
    let mut size = 0;
    while size < plan.n_entries {
        let end = (size + batch_size).min(plan.n_entries);
        let batch = (size..end).map(|i| entry(i, plan.entry_bytes)).collect();
        size = store.ledger_append(batch).await?.new_size;
        progress(size);
    }
    let batched = started.elapsed();

    let started = Instant::now();
    for i in 0..plan.n_single {
        store
            .ledger_append(vec![entry(plan.n_entries + i, plan.entry_bytes)])
            .await?;
    }
    let single = started.elapsed();
    // Proofs run at the batched size, as the plan says.
    let tree_size = plan.n_entries;
    let root = store.ledger_root(tree_size).await?;

    let mut random = SplitMix(2026);
    let mut inclusion = Vec::new();
    let mut verify_inclusion = Duration::ZERO;
    let mut max_rows_per_proof = 0;
    for _ in 0..plan.n_proofs {
        let index = random.below(tree_size);
        let leaf = merkle::leaf_hash(&body(index, plan.entry_bytes));
        let started = Instant::now();
        let proof = store.ledger_inclusion_proof(index, tree_size).await?;
        inclusion.push(started.elapsed());
        let started = Instant::now();
        merkle::verify_inclusion(&leaf, index, tree_size, &proof, &root)
            .map_err(|error| StoreError::Backend(format!("inclusion proof: {error}")))?;
        verify_inclusion += started.elapsed();
        let plan_ids = merkle::plan_inclusion(index, tree_size)
            .map(|plan| plan.ids.len())
            .unwrap_or(0);
        max_rows_per_proof = max_rows_per_proof.max(plan_ids);
    }

    let mut consistency = Vec::new();
    let mut verify_consistency = Duration::ZERO;
    for _ in 0..plan.n_proofs {
        let old_size = 1 + random.below(tree_size);
        let old_root = store.ledger_root(old_size).await?;
        let started = Instant::now();
        let proof = store.ledger_consistency_proof(old_size, tree_size).await?;
        consistency.push(started.elapsed());
        let started = Instant::now();
        merkle::verify_consistency(old_size, tree_size, &proof, &old_root, &root)
            .map_err(|error| StoreError::Backend(format!("consistency proof: {error}")))?;
        verify_consistency += started.elapsed();
    }
    let n_proofs = plan.n_proofs.max(1) as u32;
    Ok(Report {
        plan,
        batched,
        single,
        inclusion: Latencies::of(inclusion),
        consistency: Latencies::of(consistency),
        verify_inclusion: verify_inclusion / n_proofs,
        verify_consistency: verify_consistency / n_proofs,
        max_rows_per_proof,
    })
}

/// Reads the plan from command-line style arguments:
/// `[--entries N] [--batch B] [--single S] [--proofs P] [--entry-bytes E]`.
pub fn parse_plan(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan {
        n_entries: 1_000_000,
        batch_size: 1000,
        n_single: 2000,
        n_proofs: 1000,
        entry_bytes: 450,
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a whole number"))?;
        match flag.as_str() {
            "--entries" => plan.n_entries = number,
            "--batch" => plan.batch_size = number as usize,
            "--single" => plan.n_single = number,
            "--proofs" => plan.n_proofs = number,
            "--entry-bytes" => plan.entry_bytes = number as usize,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if plan.n_entries == 0 {
        return Err("--entries must be at least 1".into());
    }
    Ok(plan)
}
