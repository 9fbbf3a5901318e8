//! Ledger storage benchmark on PostgreSQL: `cargo run -p
//! bwcv-store-postgres --example postgres_ledger_bench -- URL [--entries N]
//! [--batch B] [--single S] [--proofs P] [--entry-bytes E]`. The database
//! at URL must have an empty ledger. Prints TSV.

use std::process::ExitCode;

use bwcv_store::bench;
use bwcv_store_postgres::PgStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((url, options)) = args.split_first() else {
        eprintln!(
            "usage: postgres_ledger_bench URL [--entries N] [--batch B] [--single S] [--proofs P]"
        );
        return ExitCode::from(2);
    };
    let plan = match bench::parse_plan(options) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("postgres_ledger_bench: {message}");
            return ExitCode::from(2);
        }
    };
    let store = match PgStore::open(url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("postgres_ledger_bench: {error}");
            return ExitCode::from(2);
        }
    };
    let step = (plan.n_entries / 10).max(1);
    let result = bench::run(&store, plan, |size| {
        if size % step < plan.batch_size as u64 {
            eprintln!("postgres: {size} entries");
        }
    })
    .await;
    match result {
        Ok(report) => {
            print!("{}", report.to_tsv("postgres"));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "postgres_ledger_bench: {error} {}",
                error.backend_detail().unwrap_or("")
            );
            ExitCode::from(2)
        }
    }
}
