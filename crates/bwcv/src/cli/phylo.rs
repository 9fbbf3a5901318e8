//! `bwcv phylo tree|clock|place`: phylogeny, molecular-clock dating and
//! placement of new genomes (engine: `bwcv-phylo`).
//!
//! Exit codes: 0 ok and nothing to report; 1 a finding (the clock filter set
//! tips aside, or a placed genome is off the clock); 2 error.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bwcv_phylo::clock::{self, ClockParams, Reroot};
use bwcv_phylo::dates::{self, SampleDate};
use bwcv_phylo::distance::{self, Model};
use bwcv_phylo::seqio::{self, Record};
use bwcv_phylo::tree::Tree;
use bwcv_phylo::{align, newick, place, plot};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::output::{EXIT_FOUND, EXIT_OK, Format, write_json, write_tsv};

/// Phylogeny: trees, molecular clock (TreeTime-compatible) and placement.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: PhyloCommand,
}

#[derive(Debug, Subcommand)]
pub enum PhyloCommand {
    /// Build a neighbour-joining tree from an alignment (or genomes aligned
    /// to a reference); Newick out.
    Tree(TreeArgs),
    /// Root-to-tip regression with best root and clock filter (as
    /// `treetime clock`): rate, r², root date.
    Clock(ClockArgs),
    /// Place new genomes on a reference tree by parsimony; nearest
    /// relatives; expected vs observed divergence for the sampling date.
    Place(PlaceArgs),
}

/// Sequence input shared by the verbs.
#[derive(Debug, clap::Args)]
pub struct SeqInput {
    /// Aligned sequences (FASTA; all rows of equal length).
    #[arg(long, value_name = "FILE")]
    pub aln: Option<PathBuf>,
    /// Unaligned genomes (FASTA), aligned to --reference.
    #[arg(
        long,
        value_name = "FILE",
        requires = "reference",
        conflicts_with = "aln"
    )]
    pub genomes: Option<PathBuf>,
    /// Reference genome (FASTA or GenBank) for --genomes / --query.
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelArg {
    Jc69,
    K80,
}

impl From<ModelArg> for Model {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Jc69 => Model::Jc69,
            ModelArg::K80 => Model::K80,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct TreeArgs {
    #[command(flatten)]
    pub input: SeqInput,
    /// Distance model.
    #[arg(long, value_enum, default_value = "k80")]
    pub model: ModelArg,
    /// Write the Newick tree here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RerootArg {
    /// Best root by least squares (TreeTime `--reroot best`).
    Best,
    /// Keep the input root (TreeTime `--keep-root`).
    None,
}

#[derive(Debug, clap::Args)]
pub struct ClockArgs {
    /// Tree (Newick, branch lengths in substitutions/site); built by
    /// neighbour joining from the sequences when absent.
    #[arg(long, value_name = "FILE")]
    pub tree: Option<PathBuf>,
    #[command(flatten)]
    pub input: SeqInput,
    /// Sampling dates (CSV or TSV with a name/strain/accession column and a
    /// date column).
    #[arg(long, value_name = "FILE")]
    pub dates: PathBuf,
    /// Name column of the dates table (default: chosen automatically).
    #[arg(long, value_name = "NAME")]
    pub name_column: Option<String>,
    /// Date column of the dates table (default: first containing "date").
    #[arg(long, value_name = "NAME")]
    pub date_column: Option<String>,
    /// Sequence length (sites); required without --aln/--genomes.
    #[arg(long, value_name = "N")]
    pub sequence_length: Option<usize>,
    /// Distance model when the tree is built here.
    #[arg(long, value_enum, default_value = "k80")]
    pub model: ModelArg,
    #[arg(long, value_enum, default_value = "best")]
    pub reroot: RerootArg,
    /// Clock filter: interquartile distances (0 = off; TreeTime default 4).
    #[arg(long, value_name = "IQD", default_value_t = 4.0)]
    pub clock_filter: f64,
    /// Accept roots with a negative rate.
    #[arg(long)]
    pub allow_negative_rate: bool,
    /// Root-to-tip regression plot (SVG).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Tree in calendar time (SVG).
    #[arg(long, value_name = "FILE.svg")]
    pub plot_tree: Option<PathBuf>,
    /// Rerooted tree (Newick).
    #[arg(long, value_name = "FILE")]
    pub out_tree: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "tsv")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct PlaceArgs {
    /// Reference tree (Newick); built by neighbour joining when absent.
    #[arg(long, value_name = "FILE")]
    pub tree: Option<PathBuf>,
    #[command(flatten)]
    pub input: SeqInput,
    /// Genomes to place (FASTA): aligned to the alignment's columns, or
    /// aligned here to --reference.
    #[arg(long, value_name = "FILE")]
    pub query: PathBuf,
    /// Sampling dates of reference and query genomes (CSV/TSV).
    #[arg(long, value_name = "FILE")]
    pub dates: Option<PathBuf>,
    /// Nearest relatives listed per query.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub relatives: usize,
    /// Report a query whose clock residual exceeds this many interquartile
    /// distances of the reference tips' residuals.
    #[arg(long, value_name = "IQD", default_value_t = 4.0)]
    pub clock_iqd: f64,
    #[arg(long, value_enum, default_value = "tsv")]
    pub format: Format,
}

pub fn run(args: Args, _global: &super::Global) -> anyhow::Result<ExitCode> {
    match args.command {
        PhyloCommand::Tree(a) => run_tree(a),
        PhyloCommand::Clock(a) => run_clock(a),
        PhyloCommand::Place(a) => run_place(a),
    }
}

/// An input file with its SHA-256, as recorded in results.
#[derive(Debug, Serialize)]
struct InputDigest {
    role: &'static str,
    path: String,
    sha256: String,
}

fn read_input(
    path: &Path,
    role: &'static str,
    digests: &mut Vec<InputDigest>,
) -> anyhow::Result<Vec<u8>> {
    let bytes =
        fs::read(path).with_context(|| format!("reading {role} file {}", path.display()))?;
    digests.push(InputDigest {
        role,
        path: path.display().to_string(),
        sha256: bwcv_phylo::sha256_hex(&bytes),
    });
    Ok(bytes)
}

fn read_reference(path: &Path, digests: &mut Vec<InputDigest>) -> anyhow::Result<Record> {
    let bytes = read_input(path, "reference", digests)?;
    let text_start = bytes
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(0);
    if bytes[text_start..].starts_with(b"LOCUS") {
        seqio::read_genbank(BufReader::new(&bytes[..]))
            .with_context(|| format!("reading {}", path.display()))
    } else {
        let mut records = seqio::read_fasta(BufReader::new(&bytes[..]))
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(records.remove(0))
    }
}

fn align_all(reference: &Record, genomes: Vec<Record>) -> anyhow::Result<Vec<Record>> {
    let params = align::AlignParams::default();
    let mut out = Vec::with_capacity(genomes.len());
    for g in genomes {
        let aligned = align::to_reference(&reference.seq, &g.seq, &g.name, &params)?;
        tracing::info!(
            genome = %g.name,
            covered = aligned.covered,
            inserted = aligned.inserted,
            "aligned to reference {}",
            reference.name
        );
        out.push(Record {
            name: g.name,
            seq: aligned.row,
        });
    }
    Ok(out)
}

/// Reads the alignment (or aligns genomes), or `None` when neither given.
fn load_alignment(
    input: &SeqInput,
    digests: &mut Vec<InputDigest>,
) -> anyhow::Result<Option<Vec<Record>>> {
    if let Some(path) = &input.aln {
        let bytes = read_input(path, "alignment", digests)?;
        let records = seqio::read_fasta(BufReader::new(&bytes[..]))
            .with_context(|| format!("reading {}", path.display()))?;
        distance::check_aligned(&records)
            .with_context(|| format!("checking {}", path.display()))?;
        return Ok(Some(records));
    }
    if let Some(path) = &input.genomes {
        let reference_path = input
            .reference
            .as_ref()
            .context("--genomes needs --reference")?;
        let reference = read_reference(reference_path, digests)?;
        let bytes = read_input(path, "genomes", digests)?;
        let genomes = seqio::read_fasta(BufReader::new(&bytes[..]))
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok(Some(align_all(&reference, genomes)?));
    }
    Ok(None)
}

fn nj_tree(records: &[Record], model: Model) -> anyhow::Result<Tree> {
    let names: Vec<String> = records.iter().map(|r| r.name.clone()).collect();
    let d = distance::matrix(records, model)?;
    Ok(distance::neighbour_joining(&names, &d)?)
}

fn load_tree(path: &Path, digests: &mut Vec<InputDigest>) -> anyhow::Result<Tree> {
    let bytes = read_input(path, "tree", digests)?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    newick::parse(&text).with_context(|| format!("reading tree {}", path.display()))
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn run_tree(args: TreeArgs) -> anyhow::Result<ExitCode> {
    let mut digests = Vec::new();
    let Some(records) = load_alignment(&args.input, &mut digests)? else {
        bail!("give --aln FILE, or --genomes FILE with --reference FILE");
    };
    let tree = nj_tree(&records, args.model.into())?;
    let text = newick::write(&tree);
    match &args.out {
        Some(path) => write_file(path, &format!("{text}\n"))?,
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}").context("writing to stdout")?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn load_dates(
    path: &Path,
    name_column: Option<&str>,
    date_column: Option<&str>,
    taxa: &[String],
    digests: &mut Vec<InputDigest>,
) -> anyhow::Result<dates::DateMap> {
    let bytes = read_input(path, "dates", digests)?;
    let separator = match path.extension().and_then(|e| e.to_str()) {
        Some("tsv") => Some(dates::Separator::Tab),
        Some("csv") => Some(dates::Separator::Comma),
        _ => None,
    };
    let table = dates::read_table(BufReader::new(&bytes[..]), separator)
        .with_context(|| format!("reading {}", path.display()))?;
    table
        .dates(name_column, date_column, taxa)
        .with_context(|| format!("reading dates from {}", path.display()))
}

#[derive(Debug, Serialize)]
struct ClockReport<'a> {
    engine: &'static str,
    parameters: ClockReportParams<'a>,
    inputs: &'a [InputDigest],
    tree_source: &'static str,
    name_column: &'a str,
    date_column: &'a str,
    #[serde(flatten)]
    result: &'a clock::ClockResult,
}

#[derive(Debug, Serialize)]
struct ClockReportParams<'a> {
    #[serde(flatten)]
    clock: &'a ClockParams,
    model: Option<Model>,
    align: Option<align::AlignParams>,
}

fn run_clock(args: ClockArgs) -> anyhow::Result<ExitCode> {
    let mut digests = Vec::new();
    let alignment = load_alignment(&args.input, &mut digests)?;
    let sequence_length = match (args.sequence_length, &alignment) {
        (Some(n), _) => n,
        (None, Some(records)) => records.first().map(|r| r.seq.len()).unwrap_or(0),
        (None, None) => bail!("one of --aln, --genomes or --sequence-length is required"),
    };
    let (mut tree, tree_source) = match (&args.tree, &alignment) {
        (Some(path), _) => (load_tree(path, &mut digests)?, "input"),
        (None, Some(records)) => (nj_tree(records, args.model.into())?, "neighbour_joining"),
        (None, None) => bail!("give --tree FILE, or sequences (--aln or --genomes) to build one"),
    };
    let taxa: Vec<String> = tree
        .tips()
        .into_iter()
        .filter_map(|id| tree.nodes[id].name.clone())
        .collect();
    let date_map = load_dates(
        &args.dates,
        args.name_column.as_deref(),
        args.date_column.as_deref(),
        &taxa,
        &mut digests,
    )?;
    let params = ClockParams {
        reroot: match args.reroot {
            RerootArg::Best => Reroot::Best,
            RerootArg::None => Reroot::None,
        },
        clock_filter: args.clock_filter,
        force_positive: !args.allow_negative_rate,
        sequence_length: Some(sequence_length),
    };
    let result = clock::run(&mut tree, &date_map.dates, &params)?;
    if let Some(path) = &args.out_tree {
        write_file(path, &format!("{}\n", newick::write(&tree)))?;
    }
    if let Some(path) = &args.plot {
        write_file(path, &plot::root_to_tip_svg(&result))?;
    }
    if let Some(path) = &args.plot_tree {
        write_file(path, &plot::dated_tree_svg(&tree, &result))?;
    }
    let built_here = tree_source == "neighbour_joining";
    let report = ClockReport {
        engine: bwcv_phylo::ENGINE_VERSION,
        parameters: ClockReportParams {
            clock: &params,
            model: built_here.then(|| args.model.into()),
            align: args
                .input
                .genomes
                .is_some()
                .then(align::AlignParams::default),
        },
        inputs: &digests,
        tree_source,
        name_column: &date_map.name_column,
        date_column: &date_map.date_column,
        result: &result,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Tsv => {
            let header = [
                "rate",
                "r2",
                "root_date",
                "root_date_sd",
                "rate_sd",
                "n_tips",
                "n_tips_used",
                "n_outliers",
                "outliers",
            ];
            let outliers: Vec<&str> = result.outliers.iter().map(|o| o.name.as_str()).collect();
            let row = vec![
                format!("{:.6e}", result.rate),
                format!("{:.4}", result.r2),
                format!("{:.4}", result.root_date),
                format!("{:.4}", result.root_date_sd),
                format!("{:.3e}", result.rate_sd),
                result.n_tips.to_string(),
                result.n_tips_used.to_string(),
                result.outliers.len().to_string(),
                outliers.join(","),
            ];
            write_tsv(&mut out, &header, &[row])?;
        }
    }
    Ok(ExitCode::from(if result.outliers.is_empty() {
        EXIT_OK
    } else {
        EXIT_FOUND
    }))
}

#[derive(Debug, Serialize)]
struct PlaceReport<'a> {
    engine: &'static str,
    parameters: &'a place::PlaceParams,
    inputs: &'a [InputDigest],
    tree_source: &'static str,
    clock: Option<&'a clock::ClockResult>,
    placements: &'a [place::Placement],
}

fn run_place(args: PlaceArgs) -> anyhow::Result<ExitCode> {
    let mut digests = Vec::new();
    let Some(alignment) = load_alignment(&args.input, &mut digests)? else {
        bail!(
            "place needs the reference alignment: --aln FILE, or --genomes FILE with --reference FILE"
        );
    };
    let (mut tree, tree_source) = match &args.tree {
        Some(path) => (load_tree(path, &mut digests)?, "input"),
        None => (nj_tree(&alignment, Model::K80)?, "neighbour_joining"),
    };
    let query_bytes = read_input(&args.query, "query", &mut digests)?;
    let mut queries = seqio::read_fasta(BufReader::new(&query_bytes[..]))
        .with_context(|| format!("reading {}", args.query.display()))?;
    let columns = alignment.first().map(|r| r.seq.len()).unwrap_or(0);
    if queries.iter().any(|q| q.seq.len() != columns) {
        let Some(reference_path) = &args.input.reference else {
            bail!(
                "query genomes are not aligned to the {columns} alignment columns; give --reference FILE (the alignment's reference) to align them"
            );
        };
        let reference = read_reference(reference_path, &mut digests)?;
        if reference.seq.len() != columns {
            bail!(
                "reference {} has {} bases but the alignment has {columns} columns",
                reference.name,
                reference.seq.len()
            );
        }
        queries = align_all(&reference, queries)?;
    }
    let mut date_map: Option<BTreeMap<String, SampleDate>> = None;
    let mut clock_result = None;
    if let Some(path) = &args.dates {
        let mut taxa: Vec<String> = alignment.iter().map(|r| r.name.clone()).collect();
        taxa.extend(queries.iter().map(|q| q.name.clone()));
        let map = load_dates(path, None, None, &taxa, &mut digests)?;
        let params = ClockParams {
            sequence_length: Some(columns),
            ..ClockParams::default()
        };
        clock_result = Some(clock::run(&mut tree, &map.dates, &params)?);
        date_map = Some(map.dates);
    }
    let reference = place::Reference::new(&tree, &alignment)?;
    let params = place::PlaceParams {
        n_relatives: args.relatives,
        clock_iqd: args.clock_iqd,
    };
    let mut placements = Vec::new();
    for q in &queries {
        let date = date_map.as_ref().and_then(|m| m.get(&q.name).copied());
        placements.push(reference.place(q, date, date_map.as_ref(), &params)?);
    }
    let any_finding = placements
        .iter()
        .any(|p| p.clock.as_ref().is_some_and(|c| c.finding.is_some()));
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => write_json(
            &mut out,
            &PlaceReport {
                engine: bwcv_phylo::ENGINE_VERSION,
                parameters: &params,
                inputs: &digests,
                tree_source,
                clock: clock_result.as_ref(),
                placements: &placements,
            },
        )?,
        Format::Tsv => {
            let header = [
                "query",
                "added_substitutions",
                "n_branches",
                "branches",
                "nearest",
                "nearest_differences",
                "observed_divergence",
                "expected_divergence",
                "apparent_date",
                "residual_iqd",
                "finding",
            ];
            let rows: Vec<Vec<String>> = placements
                .iter()
                .map(|p| {
                    let nearest = p.relatives.first();
                    let clock = p.clock.as_ref();
                    vec![
                        p.query.clone(),
                        p.added_substitutions.to_string(),
                        p.branches.len().to_string(),
                        p.branches
                            .iter()
                            .map(|b| {
                                if b.n_tips_below > 1 {
                                    format!(
                                        "clade of {} tips incl. {}",
                                        b.n_tips_below,
                                        b.example_tips.first().map(String::as_str).unwrap_or("")
                                    )
                                } else {
                                    b.below.clone()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(","),
                        nearest.map(|r| r.name.clone()).unwrap_or_default(),
                        nearest
                            .map(|r| r.differences.to_string())
                            .unwrap_or_default(),
                        clock
                            .map(|c| format!("{:.4e}", c.observed_divergence))
                            .unwrap_or_default(),
                        clock
                            .map(|c| format!("{:.4e}", c.expected_divergence))
                            .unwrap_or_default(),
                        clock
                            .map(|c| format!("{:.2}", c.apparent_date))
                            .unwrap_or_default(),
                        clock
                            .map(|c| format!("{:.2}", c.residual_iqd))
                            .unwrap_or_default(),
                        clock.and_then(|c| c.finding.clone()).unwrap_or_default(),
                    ]
                })
                .collect();
            write_tsv(&mut out, &header, &rows)?;
        }
    }
    Ok(ExitCode::from(if any_finding {
        EXIT_FOUND
    } else {
        EXIT_OK
    }))
}
