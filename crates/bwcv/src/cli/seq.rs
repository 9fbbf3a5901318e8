//! `bwcv seq`: sequence screening against sequences of concern (`bwcv-seq`).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use bwcv_seq::bench;
use bwcv_seq::db::{self, BuildParams, Builder, Database, ListEntry, Molecule, Origin};
use bwcv_seq::fastx::{self, OnError};
use bwcv_seq::report::{self, ProtocolParameters, Report, ReportMeta, SkippedRecord, Summary};
use bwcv_seq::screen::{ScreenParams, Screener};
use bwcv_seq::search::SearchParams;

use crate::output::{EXIT_FOUND, EXIT_OK};

/// Screen sequences against sequences of concern.
#[derive(Debug, clap::Args)]
#[command(after_help = SEQ_HELP)]
pub struct Args {
    #[command(subcommand)]
    command: SeqCommand,
}

const SEQ_HELP: &str = "\
A reference database holds sequences of concern (each labelled with its NCBI
taxid, regulated when it or an ancestor is listed in bwcv's controlled lists)
and background sequences from unregulated organisms. Screening aligns every
record on both strands at DNA level and in six translated frames, and flags a
region only when its best match is to a regulated taxon and background does
not explain it equally well. Every report carries the engine version, the
database digest and all parameters.

Examples:
  bwcv seq db build --concern agents.fa --background bg.fa --taxonomy taxdump/ --output screen.db
  bwcv seq screen order.fa --db screen.db
  bwcv seq screen reads.fq.gz --db screen.db --format html > report.html";

#[derive(Debug, clap::Subcommand)]
enum SeqCommand {
    /// Build or inspect a reference database
    Db(DbArgs),
    /// Screen FASTA/FASTQ records (plain or gzip) against a database
    ///
    /// Every record is searched on both strands at DNA level and in six
    /// translated frames. A region is flagged when its best match is to a
    /// regulated taxon and background explains it less well by more than the
    /// margin; regions equally well explained by background are reported as
    /// "common". Record status: flag (a flagged region), warn (weak evidence,
    /// or shorter than the minimum fragment length and not screened), pass.
    ///
    /// TSV (default): '#' lines with engine, database digest and parameters,
    /// a header line, then one row per region (or one row per record without
    /// regions); skipped malformed records follow as '# skipped' lines.
    /// JSON: one document with meta, summary, records and skipped. HTML: a
    /// self-contained report for a biosafety officer.
    ///
    /// Exit codes: 0 no record flagged; 1 at least one record flagged;
    /// 2 error (unreadable input or database, malformed record with
    /// --on-error fail, bad parameters).
    ///
    /// Examples:
    ///   bwcv seq screen order.fa --db screen.db
    ///   bwcv seq screen a.fq.gz b.fa --db screen.db --format json --on-error skip
    #[command(verbatim_doc_comment)]
    Screen(ScreenArgs),
    /// Generate benchmark orders with truth labels (seeded, reproducible)
    ///
    /// Cuts fragments from concern and background genomes, applies
    /// substitution divergence (random, or synonymous only in an open frame),
    /// reverse-complements half of them and embeds every n-th in background
    /// flanks. Writes FASTA and a truth TSV.
    ///
    /// Exit codes: 0 written; 2 error.
    ///
    /// Example:
    ///   bwcv seq bench-orders --concern c.fa --background b.fa --fasta orders.fa --truth truth.tsv
    #[command(verbatim_doc_comment)]
    BenchOrders(BenchArgs),
}

#[derive(Debug, clap::Args)]
struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

// Parsed once per process: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
enum DbCommand {
    /// Build a database from FASTA (plain or gzip) and an NCBI taxonomy dump
    ///
    /// Concern sequences need a taxid: a header tag 'taxid|N|' or 'taxid=N',
    /// or a line 'ID TAXID' in --taxid-map. A concern taxid must be listed
    /// (or descend from a listed taxid) in the built-in controlled lists or
    /// be given with --list-taxid; a background taxid must not be regulated.
    ///
    /// The file (format version 4) stores the seed indexes next to the
    /// sequences, under the same SHA-256 digest, aligned so that screening
    /// maps the file and uses them in place without rebuilding or copying;
    /// files of versions 1 to 3 must be rebuilt. The file is written next
    /// to OUTPUT and renamed over it when complete, so a failed build keeps
    /// the old database and a running screen keeps reading the old file.
    ///
    /// Exit codes: 0 built; 2 error (unreadable or malformed input,
    /// unlabelled or unregulated concern sequence, regulated background).
    ///
    /// Example:
    ///   bwcv seq db build --concern SARS.fa --background Lambda.fa --taxonomy viral/ --output s.db
    #[command(verbatim_doc_comment)]
    Build(BuildArgs),
    /// Print a database's digest, inputs, parameters and references (JSON)
    ///
    /// Exit codes: 0 shown; 2 unreadable, corrupt or wrong-version file.
    Info {
        /// Database file.
        db: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// FASTA of sequences of concern (repeatable).
    #[arg(long, value_name = "FASTA", num_args = 1.., required = true)]
    concern: Vec<PathBuf>,
    /// FASTA of background sequences from unregulated organisms (repeatable).
    #[arg(long, value_name = "FASTA", num_args = 1..)]
    background: Vec<PathBuf>,
    /// Protein FASTA of toxins and virulence factors of concern (taxids as for --concern).
    #[arg(long, value_name = "FASTA", num_args = 1..)]
    protein: Vec<PathBuf>,
    /// Folder with the NCBI taxonomy dump (nodes.dmp, optional names.dmp).
    #[arg(long, value_name = "DIR")]
    taxonomy: Option<PathBuf>,
    /// Two-column file: sequence id, taxid.
    #[arg(long, value_name = "FILE")]
    taxid_map: Option<PathBuf>,
    /// Additional listed taxid (e.g. from a national list), repeatable.
    #[arg(long, value_name = "TAXID")]
    list_taxid: Vec<u32>,
    /// Spaced seed(s) of the DNA index ('1' match, '0' don't care).
    #[arg(long, value_name = "PATTERN")]
    dna_seed: Vec<String>,
    /// Spaced seed of the amino-acid index.
    #[arg(long, value_name = "PATTERN")]
    protein_seed: Option<String>,
    /// Words more frequent than this are not indexed.
    #[arg(long, value_name = "N")]
    max_occurrences: Option<u32>,
    /// Do not build the translated (protein-level) index.
    #[arg(long)]
    no_protein: bool,
    /// Database file to write.
    #[arg(long, short, value_name = "DB")]
    output: PathBuf,
}

/// Report format of `seq screen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum ScreenFormat {
    /// Tab-separated values.
    #[default]
    Tsv,
    /// One JSON document.
    Json,
    /// A self-contained HTML report.
    Html,
}

/// What to do with a malformed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum ErrorMode {
    /// Report it with its line number and go on.
    Skip,
    /// Stop with exit code 2.
    #[default]
    Fail,
}

#[derive(Debug, clap::Args)]
struct ScreenArgs {
    /// FASTA or FASTQ files, plain or gzip ('-' for stdin).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Database built with `bwcv seq db build`. It is mapped, not copied:
    /// replace a database by renaming a new file over it (`mv`, as `bwcv
    /// seq db build` does), never by writing over it (`cp`, `rsync
    /// --inplace`) while a screen may be running.
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ScreenFormat::Tsv)]
    format: ScreenFormat,
    /// Malformed records: skip (reported) or fail.
    #[arg(long, value_enum, default_value_t = ErrorMode::Fail)]
    on_error: ErrorMode,
    /// Screening parameters to start from, to re-run a screen exactly: a
    /// report of `bwcv seq screen` (TSV, JSON or HTML; its recorded
    /// screen_params), or a JSON object naming some of the parameters
    /// (`{"search": {"x_drop_dna": 25}}`; the others keep their defaults).
    /// Unknown or out-of-range fields are refused; --min-fragment,
    /// --max-evalue, --margin and --no-protein override the file. (The
    /// global --params is the protocol parameter set, not this.)
    #[arg(long, value_name = "FILE")]
    screen_params: Option<PathBuf>,
    /// Minimum fragment length screened (default: protocol parameter seq.screen.min_fragment_nt).
    #[arg(long, value_name = "NT")]
    min_fragment: Option<usize>,
    /// E-value at or below which a concern-specific region is flagged.
    #[arg(long, value_name = "E")]
    max_evalue: Option<f64>,
    /// Bits per nt by which concern must beat background to be flagged.
    #[arg(long, value_name = "BITS")]
    margin: Option<f64>,
    /// Skip the six-frame protein-level search.
    #[arg(long)]
    no_protein: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Concern genomes (FASTA, plain or gzip).
    #[arg(long, value_name = "FASTA", num_args = 1.., required = true)]
    concern: Vec<PathBuf>,
    /// Background genomes.
    #[arg(long, value_name = "FASTA", num_args = 1.., required = true)]
    background: Vec<PathBuf>,
    /// RNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Orders per (origin, length, divergence, mutation) bin.
    #[arg(long, default_value_t = 20)]
    per_bin: usize,
    /// Fragment lengths (nt), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "50,150,500")]
    lengths: Vec<usize>,
    /// Divergences (percent), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,2,5,10,15")]
    divergences: Vec<u32>,
    /// Every n-th order of a bin is embedded in 1,000 nt of background (0: none).
    #[arg(long, default_value_t = 4)]
    embed_every: usize,
    /// Also orders with insertions and deletions (one of 1-3 nt per started
    /// 50 nt, plus the bin's substitutions), after all others; lengths under
    /// 20 nt get none.
    #[arg(long)]
    indels: bool,
    /// FASTA of the orders to write.
    #[arg(long, value_name = "FILE")]
    fasta: PathBuf,
    /// Truth TSV to write.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    match args.command {
        SeqCommand::Db(DbArgs {
            command: DbCommand::Build(build),
        }) => build_database(build),
        SeqCommand::Db(DbArgs {
            command: DbCommand::Info { db },
        }) => {
            let database = open_database(&db)?;
            let info = serde_json::json!({
                "digest": database.digest_hex(),
                "meta": database.meta,
            });
            let stdout = std::io::stdout();
            crate::output::write_json(&mut stdout.lock(), &info)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        SeqCommand::Screen(screen) => screen_inputs(screen, global),
        SeqCommand::BenchOrders(bench_args) => bench_orders(bench_args),
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("opening {}", path.display()))
}

fn open_database(path: &Path) -> anyhow::Result<Database> {
    // mapped read-only (a pipe or special file is read): the stored index
    // is used in place, never copied
    let file = open(path)?;
    Database::open(&file).with_context(|| format!("reading sequence database {}", path.display()))
}

fn build_database(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let catalogue = bwcv_core::lists::Catalogue::builtin();
    let mut listed = db::listed_from_catalogue(catalogue);
    let list_ids: Vec<&str> = catalogue
        .lists()
        .iter()
        .map(|list| list.id.as_str())
        .collect();
    let mut list_source = format!("bwcv-core built-in catalogue ({})", list_ids.join(", "));
    for taxid in &args.list_taxid {
        listed.entry(*taxid).or_insert_with(|| ListEntry {
            taxid: *taxid,
            id: format!("cli-taxid-{taxid}"),
            name: format!("taxid {taxid} (given with --list-taxid)"),
            category: "additional".into(),
        });
    }
    if !args.list_taxid.is_empty() {
        let extra: Vec<String> = args.list_taxid.iter().map(u32::to_string).collect();
        list_source.push_str(&format!(" + --list-taxid {}", extra.join(",")));
    }
    let mut params = BuildParams::default();
    if !args.dna_seed.is_empty() {
        params.dna_seeds = args.dna_seed.clone();
    }
    if let Some(seed) = &args.protein_seed {
        params.protein_seed = seed.clone();
    }
    if let Some(max) = args.max_occurrences {
        params.max_occurrences = max;
    }
    params.protein_level = !args.no_protein;
    let mut builder = Builder::new(params, listed, &list_source);
    if let Some(folder) = &args.taxonomy {
        let nodes = folder.join("nodes.dmp");
        let names = folder.join("names.dmp");
        let names_file = if names.exists() {
            Some(open(&names)?)
        } else {
            None
        };
        builder
            .taxonomy(
                BufReader::new(open(&nodes)?),
                names_file.map(BufReader::new),
                (&nodes.display().to_string(), &names.display().to_string()),
            )
            .context("reading the taxonomy dump")?;
    }
    if let Some(map) = &args.taxid_map {
        builder.taxid_map(&map.display().to_string(), BufReader::new(open(map)?))?;
    }
    let groups = [
        (&args.concern, Origin::Concern, Molecule::Nucleotide),
        (&args.protein, Origin::Concern, Molecule::Protein),
        (&args.background, Origin::Background, Molecule::Nucleotide),
    ];
    for (paths, origin, molecule) in groups {
        for path in paths {
            let n_records = builder
                .add(&path.display().to_string(), open(path)?, origin, molecule)
                .with_context(|| format!("adding {}", path.display()))?;
            tracing::info!(file = %path.display(), n_records, "added");
        }
    }
    let database = builder.finish()?;
    write_replacing(&args.output, |file| {
        database
            .write(BufWriter::new(file))
            .map_err(anyhow::Error::from)
    })?;
    let n_concern = database
        .meta
        .references
        .iter()
        .filter(|reference| reference.origin == Origin::Concern)
        .count();
    eprintln!(
        "wrote {} ({} references: {} concern, {} background; {} nt) sha256:{} in {:.2} s",
        args.output.display(),
        database.meta.references.len(),
        n_concern,
        database.meta.references.len() - n_concern,
        database.nucleotide_length(),
        database.digest_hex(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::from(EXIT_OK))
}

/// Writes `path` through a temporary file in the same folder, renamed over
/// `path` once complete: a failed build leaves the old database as it was,
/// and a screen that has the old file mapped keeps reading it unchanged
/// (see `Database::open`).
fn write_replacing(
    path: &Path,
    write: impl FnOnce(&mut File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(file_name);
    partial_name.push(format!(".partial-{}", std::process::id()));
    let partial = path.with_file_name(partial_name);
    let result = (|| {
        // a leftover of an earlier run with the same process id goes first;
        // then the file is created new (never through a planted link)
        let _ = std::fs::remove_file(&partial);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        write(&mut file).with_context(|| format!("writing {}", partial.display()))?;
        file.sync_all()
            .with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, path)
            .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Records per parallel batch, and nucleotides per batch.
const BATCH_RECORDS: usize = 4096;
const BATCH_NT: usize = 8_000_000;

fn screen_inputs(args: ScreenArgs, global: &super::Global) -> anyhow::Result<ExitCode> {
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("starting the worker threads")?;
    }
    let protocol = super::params::load(global)?;
    let min_fragment = match args.min_fragment {
        Some(value) => value,
        None => {
            let value = protocol
                .integer("seq.screen.min_fragment_nt")
                .context("protocol parameter seq.screen.min_fragment_nt")?;
            usize::try_from(value).context("seq.screen.min_fragment_nt must not be negative")?
        }
    };
    let database = open_database(&args.db)?;
    let mut params = ScreenParams {
        min_fragment_nt: min_fragment,
        search: SearchParams {
            protein_level: database.meta.params.protein_level,
            ..SearchParams::default()
        },
        ..ScreenParams::default()
    };
    if let Some(path) = &args.screen_params {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading screen parameters from {}", path.display()))?;
        let recorded = report::screen_params_from(&text, &params)
            .with_context(|| format!("screen parameters in {}", path.display()))?;
        let digest = database.digest_hex();
        if let Some(recorded_digest) = &recorded.database_digest {
            if *recorded_digest != digest {
                tracing::warn!(
                    file = %path.display(),
                    recorded = %recorded_digest,
                    database = %digest,
                    "the parameters come from a screen of another database: results will differ"
                );
            }
        }
        if let Some(engine) = &recorded.engine {
            if engine != db::ENGINE {
                tracing::warn!(file = %path.display(), recorded = %engine, running = db::ENGINE,
                    "the parameters come from another engine version: results may differ");
            }
        }
        params = recorded.params;
        if args.min_fragment.is_some() {
            params.min_fragment_nt = min_fragment;
        }
        if params.search.protein_level && !database.meta.params.protein_level {
            tracing::warn!(
                file = %path.display(),
                "the parameters ask for the protein level, but the database has no protein index"
            );
            params.search.protein_level = false;
        }
    }
    if args.no_protein {
        params.search.protein_level = false;
    }
    if let Some(value) = args.max_evalue {
        if value.is_nan() || value <= 0.0 {
            bail!("--max-evalue must be positive");
        }
        params.max_evalue = value;
        params.warn_evalue = params.warn_evalue.max(value);
        params.search_evalue = params.search_evalue.max(value);
    }
    if let Some(value) = args.margin {
        if value.is_nan() || value < 0.0 {
            bail!("--margin must not be negative");
        }
        params.margin_bits_per_nt = value;
    }
    let started = std::time::Instant::now();
    // checks the parameters (after the options' overrides), then builds the indexes
    let screener = Screener::new(&database, params.clone())
        .context("preparing the screen (the parameters, then the indexes)")?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "indexes built");
    let input_names: Vec<String> = args
        .inputs
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let meta = ReportMeta::new(
        &database,
        &params,
        Some(ProtocolParameters {
            name: protocol.name().to_string(),
            version: protocol.version().to_string(),
            digest: protocol.digest(),
        }),
        input_names,
    );
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == ScreenFormat::Tsv {
        report::write_tsv_header(&mut out, &meta).context("writing to stdout")?;
    }
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    progress.enable_steady_tick(Duration::from_millis(200));
    let on_error = match args.on_error {
        ErrorMode::Skip => OnError::Skip,
        ErrorMode::Fail => OnError::Fail,
    };
    let mut summary = Summary::default();
    let mut all_records = Vec::new();
    let mut skipped = Vec::new();
    for path in &args.inputs {
        let name = path.display().to_string();
        let raw: Box<dyn std::io::Read> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(open(path)?)
        };
        let input = fastx::decompress(raw).with_context(|| format!("opening {name}"))?;
        let mut reader = fastx::Reader::new(input, on_error);
        let mut batch: Vec<(fastx::Record, String)> = Vec::new();
        let mut batch_nt = 0;
        loop {
            let next = reader.next();
            let finished = next.is_none();
            if let Some(item) = next {
                let record = item.with_context(|| format!("reading {name}"))?;
                batch_nt += record.sequence.len();
                batch.push((record, name.clone()));
            }
            if finished || batch.len() >= BATCH_RECORDS || batch_nt >= BATCH_NT {
                for record_report in screener.screen_batch(&batch) {
                    summary.add(&record_report);
                    if args.format == ScreenFormat::Tsv {
                        report::write_tsv_record(&mut out, &record_report)
                            .context("writing to stdout")?;
                    } else {
                        all_records.push(record_report);
                    }
                }
                batch.clear();
                batch_nt = 0;
                let seconds = started.elapsed().as_secs_f64().max(1e-9);
                progress.set_message(format!(
                    "{} records, {} nt screened ({:.0} nt/s), {} flagged",
                    summary.n_records,
                    summary.n_nt,
                    summary.n_nt as f64 / seconds,
                    summary.n_flag
                ));
            }
            if finished {
                break;
            }
        }
        for problem in reader.take_skipped() {
            tracing::warn!(file = %name, line = problem.line, reason = %problem.reason, "skipped malformed record");
            skipped.push(SkippedRecord {
                file: name.clone(),
                line: problem.line,
                reason: problem.reason,
            });
        }
    }
    progress.finish_and_clear();
    summary.n_skipped = skipped.len() as u64;
    match args.format {
        ScreenFormat::Tsv => {
            report::write_tsv_skipped(&mut out, &skipped).context("writing to stdout")?;
        }
        ScreenFormat::Json | ScreenFormat::Html => {
            let full = Report {
                meta,
                summary: summary.clone(),
                records: all_records,
                skipped,
            };
            if args.format == ScreenFormat::Json {
                crate::output::write_json(&mut out, &full)?;
            } else {
                report::write_html(&mut out, &full).context("writing to stdout")?;
            }
        }
    }
    out.flush().context("writing to stdout")?;
    tracing::info!(
        records = summary.n_records,
        nt = summary.n_nt,
        flagged = summary.n_flag,
        seconds = started.elapsed().as_secs_f64(),
        "screen finished"
    );
    let flagged = summary.n_flag > 0;
    Ok(ExitCode::from(if flagged { EXIT_FOUND } else { EXIT_OK }))
}

fn read_sources(
    paths: &[PathBuf],
    origin: Origin,
    sources: &mut Vec<bench::Source>,
) -> anyhow::Result<()> {
    for path in paths {
        let input = fastx::decompress(open(path)?)
            .with_context(|| format!("opening {}", path.display()))?;
        for record in fastx::Reader::new(input, OnError::Fail) {
            let record = record.with_context(|| format!("reading {}", path.display()))?;
            sources.push(bench::Source {
                name: record.id,
                origin,
                sequence: record.sequence,
            });
        }
    }
    Ok(())
}

fn bench_orders(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut sources = Vec::new();
    read_sources(&args.concern, Origin::Concern, &mut sources)?;
    read_sources(&args.background, Origin::Background, &mut sources)?;
    let spec = bench::Spec {
        seed: args.seed,
        per_bin: args.per_bin,
        lengths: args.lengths,
        divergences_pct: args.divergences,
        embed_every: args.embed_every,
        indels: args.indels,
        ..bench::Spec::default()
    };
    let orders = bench::generate(&sources, &spec);
    if orders.is_empty() {
        bail!("no orders generated: the genomes are shorter than the fragment lengths");
    }
    let mut fasta = BufWriter::new(
        File::create(&args.fasta).with_context(|| format!("creating {}", args.fasta.display()))?,
    );
    for order in &orders {
        writeln!(fasta, ">{}", order.truth.id)?;
        for line in order.sequence.chunks(80) {
            fasta.write_all(line)?;
            fasta.write_all(b"\n")?;
        }
    }
    fasta.flush()?;
    let mut truth = BufWriter::new(
        File::create(&args.truth).with_context(|| format!("creating {}", args.truth.display()))?,
    );
    let rows: Vec<Vec<String>> = orders
        .iter()
        .map(|order| bench::truth_row(&order.truth))
        .collect();
    crate::output::write_tsv(&mut truth, bench::TRUTH_HEADER, &rows)?;
    truth.flush()?;
    eprintln!(
        "wrote {} orders to {} and {}",
        orders.len(),
        args.fasta.display(),
        args.truth.display()
    );
    Ok(ExitCode::from(EXIT_OK))
}
