//! `bwcv demo`: the main job. Starts the demo portal, or (with --overview or
//! --dir) loads the demo CBM returns, validates and compares them, and
//! prints the Secretariat's overview.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bwcv_core::lists::Catalogue;
use chrono::NaiveDate;

use crate::output::{EXIT_OK, Format};

/// What `bwcv demo --help` explains after the options.
const DEMO_HELP: &str = "\
By default `bwcv demo` starts the portal on a temporary SQLite database,
seeded with the demo returns and one account per role, and prints the
address and the accounts. With --overview (or --dir) it prints the
Secretariat's overview instead (see `bwcv declare overview --help`).

The demo States Parties are clearly fictional (XAR Republic of Arcadia, XLI
Kingdom of Lilliput, XUT Commonwealth of Utopia, XER Grand Duchy of Erewhon,
XFR Federated States of Freedonia: ISO 3166 user-assigned codes) with CBM
returns for 2021-2025 generated from --seed. Their returns hold deliberate
inconsistencies for the overview to find: a facility that disappears, a
\"nothing new\" that changed, a missing year, agents not on the lists or
ambiguous, a BSL-4 area missing from Form A part 1, a late and an overdue
return.

Exit codes: 0 overview printed (or portal stopped); 2 --dir cannot be read.";

/// Run the demonstration: fictional States Parties, five years of CBM
/// returns, and the Secretariat's overview of the latest year.
///
/// By default `bwcv demo` starts the portal (http://127.0.0.1:8080/) on a
/// SQLite file in a temporary directory, seeded with the demo returns and
/// one account per role, and prints the address and the accounts with
/// their passwords. With --overview (or --dir) it prints the overview
/// instead, as described below.
///
/// The demo world is generated in memory from --seed (the same seed always
/// gives the same returns), or read from --dir (files written by
/// `bwcv declare demo-data --out DIR`, or your own returns). The States
/// Parties are clearly fictional (codes XAR, XLI, XUT, XER, XFR: ISO 3166
/// user-assigned codes) and their returns hold deliberate inconsistencies:
/// a facility that disappears, a "nothing new" that changed, a missing year,
/// agents not on the lists or ambiguous, a BSL-4 area missing from Form A
/// part 1, a late and an overdue return.
///
/// Output: see `bwcv declare overview --help` (TSV tables, or --format json).
///
/// Exit codes: 0 overview printed; 2 --dir cannot be read.
///
/// Examples:
///   bwcv demo
///   bwcv demo --overview --format json
///   bwcv declare demo-data --out demo && bwcv demo --dir demo
#[derive(Debug, clap::Args)]
#[command(after_help = DEMO_HELP)]
pub struct Args {
    /// Read the returns from this directory (*.json, plus states.json as the
    /// roster) instead of generating them.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Seed of the demo generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Reporting year to look at (default: the demo's latest year).
    #[arg(long)]
    year: Option<i32>,
    /// Date the overview is computed for (default: 30 June after the
    /// deadline of the demo's latest year, so that the output is the same
    /// every day).
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    format: Format,
    /// Print the Secretariat's overview instead of starting the portal
    /// (implied by --dir).
    #[arg(long)]
    overview: bool,
    /// Address the demo portal listens on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    if !args.overview && args.dir.is_none() {
        return super::serve::run_demo(args.seed, args.listen, global);
    }
    let params = super::params::load(global)?;
    let world = bwcv_declare::demo::generate(args.seed);
    let (roster, submissions) = match &args.dir {
        None => (world.states.clone(), world.submissions.clone()),
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("reading directory {}", dir.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            super::declare::read_files(&files)?
        }
    };
    let year = args
        .year
        .or_else(|| submissions.iter().map(|s| s.reporting_year).max())
        .unwrap_or(world.year);
    let overview = bwcv_declare::overview::build(
        &submissions,
        &roster,
        &params,
        Catalogue::builtin(),
        year,
        args.as_of.unwrap_or(world.as_of),
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    super::declare::write_overview(&overview, args.format, &mut out)?;
    Ok(ExitCode::from(EXIT_OK))
}
