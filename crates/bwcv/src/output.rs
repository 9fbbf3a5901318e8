//! Output conventions shared by every verb: result formats, exit codes, logging.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

/// The check ran and found nothing to report (valid, nothing flagged).
pub const EXIT_OK: u8 = 0;
/// The check ran and found something (invalid, flagged, broken).
pub const EXIT_FOUND: u8 = 1;
/// Usage error or unreadable input.
pub const EXIT_ERROR: u8 = 2;

/// How a verb writes its results to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Tab-separated values with one header line.
    #[default]
    Tsv,
    /// One JSON document.
    Json,
}

/// Logs go to stderr; `RUST_LOG` overrides the level chosen by `-v`.
pub fn init_logging(verbose: u8) {
    let default_level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Writes `value` as pretty JSON followed by a newline.
pub fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).context("writing JSON to stdout")?;
    writeln!(out).context("writing to stdout")?;
    Ok(())
}

/// Writes a TSV table: one header line, then rows. Tabs and newlines inside
/// cells are replaced by spaces so that every row stays one line.
pub fn write_tsv(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    writeln!(out, "{}", header.join("\t")).context("writing to stdout")?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|cell| tsv_cell(cell)).collect();
        writeln!(out, "{}", cells.join("\t")).context("writing to stdout")?;
    }
    Ok(())
}

fn tsv_cell(cell: &str) -> String {
    cell.replace(['\t', '\n', '\r'], " ")
}
