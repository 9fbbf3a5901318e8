//! The verbs of `bwcv`. One module per verb group; each has an `Args` type
//! (clap derive) and a `run` function returning the process exit code.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

// verb modules (one line each, keep this marker)
pub mod admin;
pub mod cases;
pub mod custody;
pub mod declare;
pub mod demo;
pub mod draw;
pub mod ledger;
pub mod lists;
pub mod params;
pub mod phylo;
pub mod seq;
pub mod serve;

/// bwcv: the verification system of the Biological Weapons Convention.
///
/// Declarations and confidence-building measures, the evidence ledger and
/// chain of custody, cases and random draws, and the laboratory engines.
/// bwcv establishes facts; it never decides compliance.
#[derive(Debug, Parser)]
#[command(name = "bwcv", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every verb accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Protocol parameter set (TOML) replacing the built-in one.
    #[arg(long, value_name = "FILE", global = true)]
    pub params: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // variants (keep this marker)
    /// Cases: check a case history (its ledger events) and its time limits.
    Cases(cases::Args),
    /// Phylogeny: NJ trees, TreeTime-style molecular clock, placement of new genomes.
    Phylo(phylo::Args),
    /// Serve the verification portal (pages and JSON API) on SQLite or PostgreSQL.
    Serve(serve::Args),
    /// Administer portal accounts (create-user).
    Admin(admin::Args),
    /// Random draw of transparency visits: announce, run (RFC 3797, drand), verify.
    Draw(draw::Args),
    /// Sequence screening: reference databases of sequences of concern, screening, benchmarks.
    Seq(seq::Args),
    /// CBM declarations: validate, compare, render, schema, overview, demo data.
    Declare(declare::Args),
    /// Run the demonstration: demo CBM returns, validated, compared, overview.
    Demo(demo::Args),
    /// Chain of custody of samples: verify custody bundles offline.
    Custody(custody::Args),
    /// Evidence ledger keys and signed checkpoints.
    Ledger(ledger::Args),
    /// Show and search the controlled lists of agents, toxins and equipment.
    Lists(lists::Args),
    /// Show the protocol parameters (deadlines, caps, thresholds) in force.
    Params(params::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { global, command } = cli;
    let _ = &global;
    match command {
        // arms (keep this marker)
        Command::Cases(args) => cases::run(args, &global),
        Command::Phylo(args) => phylo::run(args, &global),
        Command::Serve(args) => serve::run(args, &global),
        Command::Admin(args) => admin::run(args, &global),
        Command::Draw(args) => draw::run(args, &global),
        Command::Seq(args) => seq::run(args, &global),
        Command::Declare(args) => declare::run(args, &global),
        Command::Demo(args) => demo::run(args, &global),
        Command::Custody(args) => custody::run(args, &global),
        Command::Ledger(args) => ledger::run(args, &global),
        Command::Lists(args) => lists::run(args, &global),
        Command::Params(args) => params::run(args, &global),
    }
}
