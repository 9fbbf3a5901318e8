//! `bwcv`: the command-line entry point of the BWC verification system.
//!
//! This binary is glue. Every verb parses its arguments with clap, calls a
//! library crate, and writes results to stdout (TSV by default, JSON with
//! `--format json`). Logs and progress bars go to stderr.
//!
//! Exit codes (shared by every verb unless its help says more):
//! - 0: success (for checks: nothing found / valid)
//! - 1: the check ran and found something (invalid file, flagged sequence, broken chain)
//! - 2: usage error or input that cannot be read

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(cli.global.verbose);
    match cli::run(cli) {
        Ok(code) => code,
        // A reader that stops early (`bwcv lists show | head`) is not an
        // error of ours: leave quietly, as the classic Unix tools do.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(output::EXIT_OK),
        Err(error) => {
            // anyhow's alternate format prints the whole context chain on one line.
            eprintln!("error: {error:#}");
            ExitCode::from(output::EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
