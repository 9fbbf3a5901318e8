//! Ledger storage benchmark on SQLite: `cargo run -p bwcv-store-sqlite
//! --example sqlite_ledger_bench -- PATH.db [--entries N] [--batch B] [--single S]
//! [--proofs P] [--entry-bytes E]`. PATH must not exist yet. Prints TSV.

use std::process::ExitCode;

use bwcv_store::bench;
use bwcv_store_sqlite::SqliteStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((path, options)) = args.split_first() else {
        eprintln!(
            "usage: sqlite_ledger_bench PATH.db [--entries N] [--batch B] [--single S] [--proofs P]"
        );
        return ExitCode::from(2);
    };
    let plan = match bench::parse_plan(options) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("sqlite_ledger_bench: {message}");
            return ExitCode::from(2);
        }
    };
    let path = std::path::Path::new(path);
    if path.exists() {
        eprintln!(
            "sqlite_ledger_bench: {} exists; give a new file",
            path.display()
        );
        return ExitCode::from(2);
    }
    let store = match SqliteStore::open_path(path).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("sqlite_ledger_bench: {error}");
            return ExitCode::from(2);
        }
    };
    let step = (plan.n_entries / 10).max(1);
    let result = bench::run(&store, plan, |size| {
        if size % step < plan.batch_size as u64 {
            eprintln!("sqlite: {size} entries");
        }
    })
    .await;
    match result {
        Ok(report) => {
            print!("{}", report.to_tsv("sqlite"));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "sqlite_ledger_bench: {error} {}",
                error.backend_detail().unwrap_or("")
            );
            ExitCode::from(2)
        }
    }
}
