//! `bwcv custody`: offline verification of a sample's chain of custody from
//! a custody bundle (`bwcv_ledger::bundle`), and a demo bundle to try it on.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bwcv_ledger::bundle::{self, Bundle, Trust};
use bwcv_ledger::custody::{CustodyReport, Severity};
use bwcv_ledger::note::{SignerKey, VerifierKey};

use crate::output::{self, EXIT_FOUND, EXIT_OK, Format};

/// Verify the chain of custody of a sample, offline, from a custody bundle.
///
/// A custody bundle is one JSON file with the sample's signed custody
/// events (and its aliquots'), their inclusion proofs in the evidence
/// ledger, the ledger's signed and cosigned checkpoints, and public keys.
/// Verification needs no network and no access to the portal.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CustodyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CustodyCommand {
    /// Check a custody bundle: signatures of every event, inclusion of every
    /// event under a signed (and cosigned, if required) checkpoint, split
    /// views between checkpoints, log order, the previous-event hash chain,
    /// continuity of holders, seal continuity, monotonic times, and that
    /// every aliquot is accounted for.
    ///
    /// Trust: pass the keys you trust with --trusted-key (vkey text,
    /// `name+keyid+base64`, repeatable): the log key (named like the log's
    /// origin), cosigner keys, and actor keys. Without any, the bundle's own
    /// keys are used and a warning says so (that shows internal consistency
    /// only). Actor keys missing from the trusted set are taken from the
    /// bundle, with a warning.
    ///
    /// Output: one row per finding (severity break|warning, check, event
    /// position in the bundle, leaf index in the log, sample, reason), or
    /// with --format json the whole report (events, samples and their final
    /// state, checkpoints, findings). A summary goes to stderr. Findings
    /// describe the evidence; they are not a conclusion about anyone.
    ///
    /// Exit codes: 0 no break found; 1 at least one break; 2 the bundle
    /// cannot be read (not JSON, wrong format, malformed key).
    ///
    /// Examples:
    ///   bwcv custody demo-bundle --out demo.json > trusted.txt
    ///   bwcv custody verify --bundle demo.json --trusted-keys-file trusted.txt
    ///   bwcv custody verify --bundle demo.json --format json
    ///
    /// Or, against the portal's database directly: `bwcv custody verify
    /// SAMPLE --database URL --log-key FILE` assembles the bundle as
    /// `export` does (without writing it) and verifies it.
    Verify {
        /// The sample to assemble from --database (instead of --bundle).
        #[arg(value_name = "SAMPLE", conflicts_with = "bundle", requires_all = ["database", "log_key"])]
        sample: Option<String>,
        /// The custody bundle (JSON).
        #[arg(long, value_name = "FILE", required_unless_present = "sample")]
        bundle: Option<PathBuf>,
        /// With SAMPLE: the database, `sqlite://FILE` or `postgres://...`.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// With SAMPLE: the log's signing key (PRIVATE+KEY text, its name is
        /// the log origin); its public key is trusted.
        #[arg(long, value_name = "FILE")]
        log_key: Option<PathBuf>,
        /// A trusted key in vkey form (repeatable).
        #[arg(long = "trusted-key", value_name = "VKEY")]
        trusted_keys: Vec<String>,
        /// A file of trusted keys: one vkey per line; blank lines and lines
        /// starting with '#' are ignored (repeatable).
        #[arg(long = "trusted-keys-file", value_name = "FILE")]
        trusted_keys_files: Vec<PathBuf>,
        /// A cosigner whose cosignature every checkpoint must carry
        /// (repeatable; key name, e.g. the inspected State Party's).
        #[arg(long = "require-cosigner", value_name = "NAME")]
        required_cosigners: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Export the custody bundle of a sample (and its aliquots) from the
    /// portal's database: every custody event with its inclusion proof, a
    /// checkpoint over the current ledger size signed with --log-key (and
    /// stored in the database), and the log's public key. Actor keys are
    /// not in the bundle: the verifier supplies them with --trusted-key.
    ///
    /// Exit codes: 0 written; 2 the sample has no custody event, or the
    /// database, key or output file cannot be used.
    ///
    /// Example:
    ///   bwcv custody export S-2026-0001 --database sqlite://bwcv.db --log-key log.key --out S-2026-0001.json
    Export {
        /// The sample identifier.
        #[arg(value_name = "SAMPLE")]
        sample: String,
        /// Database: `sqlite://FILE` or `postgres://...`.
        #[arg(long, value_name = "URL")]
        database: String,
        /// The log's signing key (PRIVATE+KEY text; its name is the log origin).
        #[arg(long, value_name = "FILE")]
        log_key: PathBuf,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the events of a custody bundle as recorded (no trust decision:
    /// use `verify` to check them): one row per event with its position,
    /// leaf index, sample, time (UTC), actor and action. JSON adds each
    /// sample's final state.
    ///
    /// Exit codes: 0 listed; 2 the bundle cannot be read.
    ///
    /// Example:
    ///   bwcv custody show --bundle demo.json
    Show {
        /// The custody bundle (JSON).
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Write a small, realistic demo custody bundle built in memory with
    /// keys derived from a seed phrase (never use them for real evidence),
    /// and print its public keys (vkeys, one per line) to stdout.
    ///
    /// The demo: a swab collected at a facility of the fictional State
    /// Party ARC, split into two aliquots (one kept by ARC's
    /// representative), one carried to a laboratory, received, analysed and
    /// consumed; two checkpoints cosigned by ARC and a Council witness.
    ///
    /// Exit codes: 0 written; 2 the file cannot be written.
    ///
    /// Example:
    ///   bwcv custody demo-bundle --out demo.json
    DemoBundle {
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Seed phrase for the demo keys.
        #[arg(long, default_value = "bwcv demo")]
        seed: String,
    },
}

pub fn run(args: Args, _global: &super::Global) -> anyhow::Result<ExitCode> {
    match args.command {
        CustodyCommand::Verify {
            sample,
            bundle,
            database,
            log_key,
            mut trusted_keys,
            trusted_keys_files,
            required_cosigners,
            format,
        } => {
            for path in &trusted_keys_files {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading trusted keys {}", path.display()))?;
                trusted_keys.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty() && !line.starts_with('#'))
                        .map(str::to_owned),
                );
            }
            match (sample, bundle, database, log_key) {
                (_, Some(bundle), _, _) => {
                    verify(&bundle, &trusted_keys, required_cosigners, format)
                }
                (Some(sample), None, Some(database), Some(log_key)) => {
                    let key = read_log_key(&log_key)?;
                    let bundle = export_from(&database, &sample, &key)?;
                    trusted_keys.push(key.verifier().to_string());
                    let source = PathBuf::from(format!("{database} sample {sample}"));
                    verify_bundle(&bundle, &source, &trusted_keys, required_cosigners, format)
                }
                _ => anyhow::bail!("give --bundle FILE, or SAMPLE with --database and --log-key"),
            }
        }
        CustodyCommand::Export {
            sample,
            database,
            log_key,
            out,
        } => {
            let key = read_log_key(&log_key)?;
            let bundle = export_from(&database, &sample, &key)?;
            std::fs::write(&out, bundle.to_json())
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "{}: sample {sample}, {} events, checkpoint signed by {}",
                out.display(),
                bundle.events.len(),
                key.name()
            );
            Ok(ExitCode::from(EXIT_OK))
        }
        CustodyCommand::Show { bundle, format } => show(&bundle, format),
        CustodyCommand::DemoBundle { out, seed } => demo_bundle(&out, &seed),
    }
}

fn verify(
    path: &std::path::Path,
    trusted: &[String],
    required_cosigners: Vec<String>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let bundle = read_bundle(path)?;
    verify_bundle(&bundle, path, trusted, required_cosigners, format)
}

fn verify_bundle(
    bundle: &Bundle,
    path: &std::path::Path,
    trusted: &[String],
    required_cosigners: Vec<String>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let trusted_keys = trusted
        .iter()
        .map(|text| VerifierKey::parse(text).with_context(|| format!("trusted key {text:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let trust = Trust {
        trusted_keys,
        required_cosigners,
    };
    let report = bundle
        .verify(&trust)
        .with_context(|| format!("verifying custody bundle {}", path.display()))?;
    write_report(&report, format)?;
    let n_breaks = report.n_breaks();
    eprintln!(
        "{}: sample {}, {} events, {} samples, {} checkpoints; {} breaks, {} warnings",
        path.display(),
        report.sample,
        report.events.len(),
        report.samples.len(),
        report.checkpoints.len(),
        n_breaks,
        report.findings.len() - n_breaks
    );
    Ok(ExitCode::from(if n_breaks == 0 {
        EXIT_OK
    } else {
        EXIT_FOUND
    }))
}

pub(crate) fn read_log_key(path: &std::path::Path) -> anyhow::Result<SignerKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading log key {}", path.display()))?;
    SignerKey::parse(text.trim()).with_context(|| format!("reading log key {}", path.display()))
}

/// The sample's bundle assembled from the store (`bwcv_server::export_bundle`).
fn export_from(database: &str, sample: &str, key: &SignerKey) -> anyhow::Result<Bundle> {
    let runtime = super::serve::runtime()?;
    let bundle = runtime.block_on(async {
        super::serve::with_store!(database, |store| export_async(store, sample, key))
    })?;
    bundle.with_context(|| format!("sample {sample:?} has no custody event in {database}"))
}

async fn export_async<S: bwcv_store::Store>(
    store: S,
    sample: &str,
    key: &SignerKey,
) -> anyhow::Result<Option<Bundle>> {
    bwcv_server::export_bundle(&store, sample, key.name(), key)
        .await
        .map_err(|failure| anyhow::anyhow!("exporting the custody bundle: {}", failure.message()))
}

fn read_bundle(path: &std::path::Path) -> anyhow::Result<Bundle> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading custody bundle {}", path.display()))?;
    Bundle::from_json(&text).with_context(|| format!("reading custody bundle {}", path.display()))
}

fn show(path: &std::path::Path, format: Format) -> anyhow::Result<ExitCode> {
    let bundle = read_bundle(path)?;
    let report = bundle
        .verify(&Trust::default())
        .with_context(|| format!("reading custody bundle {}", path.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => output::write_json(
            &mut out,
            &serde_json::json!({
                "sample": report.sample,
                "events": report.events,
                "final_states": report.final_states,
            }),
        )?,
        Format::Tsv => {
            let rows: Vec<Vec<String>> = report
                .events
                .iter()
                .map(|e| {
                    vec![
                        e.event.to_string(),
                        e.leaf_index.to_string(),
                        e.sample.clone(),
                        e.time_utc.clone(),
                        e.actor.clone(),
                        e.action.clone(),
                    ]
                })
                .collect();
            output::write_tsv(
                &mut out,
                &[
                    "event",
                    "leaf_index",
                    "sample",
                    "time_utc",
                    "actor",
                    "action",
                ],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn write_report(report: &CustodyReport, format: Format) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => output::write_json(&mut out, report),
        Format::Tsv => {
            let rows: Vec<Vec<String>> = report
                .findings
                .iter()
                .map(|f| {
                    vec![
                        match f.severity {
                            Severity::Break => "break".to_owned(),
                            Severity::Warning => "warning".to_owned(),
                        },
                        f.check.name().to_owned(),
                        f.event.map(|e| e.to_string()).unwrap_or_default(),
                        f.leaf_index.map(|l| l.to_string()).unwrap_or_default(),
                        f.sample.clone().unwrap_or_default(),
                        f.reason.clone(),
                    ]
                })
                .collect();
            output::write_tsv(
                &mut out,
                &[
                    "severity",
                    "check",
                    "event",
                    "leaf_index",
                    "sample",
                    "reason",
                ],
                &rows,
            )
        }
    }
}

fn demo_bundle(out: &std::path::Path, seed: &str) -> anyhow::Result<ExitCode> {
    let demo = bundle::demo(seed).context("building the demo bundle")?;
    std::fs::write(out, demo.bundle.to_json())
        .with_context(|| format!("writing {}", out.display()))?;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    for key in demo.trusted_keys() {
        writeln!(stdout, "{key}").context("writing to stdout")?;
    }
    Ok(ExitCode::from(EXIT_OK))
}
