//! `bwcv declare`: CBM declarations (`bwcv_declare`): validate, compare,
//! render, schema, overview and demo data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bwcv_core::lists::Catalogue;
use bwcv_core::params::ParameterSet;
use bwcv_declare::diff::Diff;
use bwcv_declare::overview::{Overview, StateParty};
use bwcv_declare::render::RenderFormat;
use bwcv_declare::{Measure, Submission, problem};
use chrono::NaiveDate;
use serde::Serialize;

use crate::output::{self, EXIT_ERROR, EXIT_FOUND, EXIT_OK, Format};

/// What `bwcv declare --help` explains after the list of verbs.
const FORMS_HELP: &str = "\
Confidence-building measures (CBMs) are the yearly declarations of the BWC.
Every year, by 15 April (parameter cbm.deadline), each State Party sends the
Implementation Support Unit a \"CBM return\" covering the previous calendar
year. Since the Seventh Review Conference (2011) a return has these forms:

  Form 0        nothing to declare / nothing new to declare, per measure
  A part 1      (i) maximum containment (BSL-4) laboratories;
                (ii) the highest-level laboratory if there is no BSL-4
  A part 2      (i) is there a biological defence R&D programme? (yes/no)
                (ii) description of each programme (funding, contracts)
                (iii) each facility of the programme (floor areas,
                personnel, funding, publications)
  B             unusual outbreaks of infectious diseases or intoxications
  C             publication policy
  E             legislation, regulations and other measures
  F             past offensive/defensive programmes since 1 January 1946
  G             vaccine production facilities

Measure D was deleted in 2011. bwcv reads returns as JSON files (one State
Party, one year each; see `bwcv declare schema` and
crates/bwcv-declare/FORMAT.md). Every facility carries a stable id such as
XAR-F0001, so the same facility is recognised across forms and years.
Try `bwcv declare demo-data --out demo` for examples.

The checks report facts about the paperwork; they never decide compliance.";

/// CBM declarations: validate, compare, render, schema, overview, demo data.
#[derive(Debug, clap::Args)]
#[command(after_help = FORMS_HELP)]
pub struct Args {
    #[command(subcommand)]
    command: DeclareCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RenderAs {
    /// A self-contained HTML page (inline CSS, no scripts, print-friendly).
    Html,
    /// Markdown.
    Md,
}

#[derive(Debug, clap::Subcommand)]
enum DeclareCommand {
    /// Check returns against the rules of the forms and report every problem.
    ///
    /// Each problem names the JSON path of the offending value (for example
    /// /forms/form_0/measures/a_part_1), the rule broken (a stable id such as
    /// form0.both_ticked or agent.not_listed), its severity and a message.
    /// Files that are not JSON, or not shaped like a return, get one problem
    /// with line and column. Errors make a return invalid; warnings do not.
    ///
    /// TSV columns: file, path, rule, severity, line, column, message.
    ///
    /// Exit codes: 0 every file valid (warnings allowed); 1 some file
    /// invalid; 2 some file cannot be read.
    ///
    /// Examples:
    ///   bwcv declare validate XAR-2024.json
    ///   bwcv declare validate returns/*.json --format json
    Validate {
        /// Return files (JSON).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Compare two returns of one State Party: what changed, and what does
    /// not fit together.
    ///
    /// Changes are listed per form and, in facility lists, per facility id
    /// (added, removed, changed; with the old and new value). A form that the
    /// new return marks "nothing new to declare" and leaves empty counts as
    /// unchanged. Findings: a "nothing new" form whose content changed; a
    /// facility that is no longer declared without an explanation; returns
    /// of different States Parties; years missing between OLD and NEW.
    ///
    /// TSV: a table of changes (measure, facility, kind, path, old, new; old
    /// and new as JSON), a blank line, then a table of findings (finding,
    /// year, measure, facility, message).
    ///
    /// Exit codes: 0 no findings (changes alone are normal); 1 findings;
    /// 2 a file cannot be read or is not a return.
    ///
    /// Example:
    ///   bwcv declare diff XAR-2023.json XAR-2024.json
    Diff {
        /// The earlier return.
        old: PathBuf,
        /// The later return.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Print a return as a readable document laid out like the official
    /// forms (titles, numbered questions, tables).
    ///
    /// Exit codes: 0 rendered; 2 the file cannot be read or is not a return
    /// (rendering does not require the return to be valid).
    ///
    /// Examples:
    ///   bwcv declare render XAR-2024.json --format html > XAR-2024.html
    ///   bwcv declare render XAR-2024.json --format md
    Render {
        /// Return file (JSON).
        file: PathBuf,
        /// Document format.
        #[arg(long, value_enum, default_value_t = RenderAs::Html)]
        format: RenderAs,
    },
    /// Print the JSON Schema (draft 2020-12) of the return format.
    ///
    /// Example:
    ///   bwcv declare schema > cbm-submission.schema.json
    Schema,
    /// The Secretariat's overview of a reporting year: who submitted what
    /// and when, completeness per form, and consistency flags over each
    /// State Party's record (validation, comparison between years, late
    /// returns).
    ///
    /// Give all returns of all years (so that years can be compared). The
    /// overview looks at --year (default: the latest reporting year among
    /// the files) as of --as-of (default: today, UTC); returns submitted
    /// after --as-of are treated as not yet received. A return is late after
    /// the deadline (parameter cbm.deadline, 15 April of the following year)
    /// and overdue when missing after it.
    ///
    /// TSV: a comment line with year, as-of date, deadline and the parameter
    /// set's version and digest; a table with one row per State Party
    /// (code, name, submitted, status, days_late, answered (of 9 measures),
    /// errors, warnings, one column per measure: declared, nothing,
    /// nothing_new:YEAR, n/a or missing); a blank line; a table of flags
    /// (code, year, source, rule, severity, path, message).
    ///
    /// Exit codes: 0 overview printed (flags are findings, not failures);
    /// 2 a file cannot be read or is not a return.
    ///
    /// Example:
    ///   bwcv declare overview returns/*.json --year 2025 --as-of 2026-06-30
    Overview {
        /// Return files (JSON). A file named states.json, if given, is read
        /// as the roster: [{"code": "XAR", "name": "Republic of Arcadia"}, ...].
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Reporting year to look at.
        #[arg(long)]
        year: Option<i32>,
        /// Date the overview is computed for (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Write the demo returns (clearly fictional States Parties, several
    /// years, with deliberate inconsistencies) as JSON files: one file per
    /// return (CODE-YEAR.json) and states.json with the roster.
    ///
    /// Example:
    ///   bwcv declare demo-data --out demo-returns
    ///   bwcv declare overview demo-returns/*.json --as-of 2026-06-30
    DemoData {
        /// Directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Seed of the generator (same seed, same files).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.command {
        DeclareCommand::Validate { files, format } => {
            let params = super::params::load(global)?;
            validate(&files, format, &params, &mut out)
        }
        DeclareCommand::Diff { old, new, format } => diff(&old, &new, format, &mut out),
        DeclareCommand::Render { file, format } => {
            let submission = read_submission(&file)?;
            let format = match format {
                RenderAs::Html => RenderFormat::Html,
                RenderAs::Md => RenderFormat::Markdown,
            };
            out.write_all(bwcv_declare::render::render(&submission, format).as_bytes())
                .context("writing to stdout")?;
            Ok(ExitCode::from(EXIT_OK))
        }
        DeclareCommand::Schema => {
            output::write_json(&mut out, &bwcv_declare::schema::submission_schema())?;
            Ok(ExitCode::from(EXIT_OK))
        }
        DeclareCommand::Overview {
            files,
            year,
            as_of,
            format,
        } => {
            let params = super::params::load(global)?;
            let (roster, submissions) = read_files(&files)?;
            let Some(latest) = submissions.iter().map(|s| s.reporting_year).max() else {
                bail!("no returns among the files given");
            };
            let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let overview = bwcv_declare::overview::build(
                &submissions,
                &roster,
                &params,
                Catalogue::builtin(),
                year.unwrap_or(latest),
                as_of,
            )?;
            write_overview(&overview, format, &mut out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        DeclareCommand::DemoData { out: dir, seed } => {
            let world = bwcv_declare::demo::generate(seed);
            write_demo_data(&world, &dir)?;
            eprintln!(
                "wrote {} returns of {} States Parties and states.json to {}",
                world.submissions.len(),
                world.states.len(),
                dir.display()
            );
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}

/// Reads and parses one return; any parse problem is an error naming the file.
pub fn read_submission(path: &Path) -> anyhow::Result<Submission> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
    let parsed = bwcv_declare::parse(&bytes);
    match (parsed.submission, parsed.problems.first()) {
        (Some(submission), None) => Ok(submission),
        (_, Some(problem)) => bail!("{shown}: {}", describe(problem)),
        (None, None) => bail!("{shown}: not a CBM return"),
    }
}

fn describe(problem: &problem::Problem) -> String {
    let mut text = String::new();
    if let (Some(line), Some(column)) = (problem.line, problem.column) {
        text.push_str(&format!("line {line} column {column}: "));
    }
    if !problem.path.is_empty() {
        text.push_str(&format!("at {}: ", problem.path));
    }
    text.push_str(&format!("{} ({})", problem.message, problem.rule));
    text
}

/// Reads return files and an optional roster (`states.json`).
pub fn read_files(files: &[PathBuf]) -> anyhow::Result<(Vec<StateParty>, Vec<Submission>)> {
    let mut roster = Vec::new();
    let mut submissions = Vec::new();
    for path in files {
        if path.file_name().is_some_and(|n| n == "states.json") {
            roster = read_roster(path)?;
        } else {
            submissions.push(read_submission(path)?);
        }
    }
    Ok((roster, submissions))
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct RosterEntry {
    code: bwcv_core::StatePartyCode,
    name: String,
}

fn read_roster(path: &Path) -> anyhow::Result<Vec<StateParty>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {shown}"))?;
    let entries: Vec<RosterEntry> = serde_json::from_str(&text)
        .with_context(|| format!("{shown}: not a roster ([{{\"code\": ..., \"name\": ...}}])"))?;
    Ok(entries
        .into_iter()
        .map(|e| StateParty {
            code: e.code,
            name: e.name,
        })
        .collect())
}

/// Writes the demo world as files into `dir`.
pub fn write_demo_data(world: &bwcv_declare::demo::DemoWorld, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for submission in &world.submissions {
        let path = dir.join(format!(
            "{}-{}.json",
            submission.state_party, submission.reporting_year
        ));
        let text = serde_json::to_string_pretty(submission).context("serializing a return")?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let roster: Vec<RosterEntry> = world
        .states
        .iter()
        .map(|s| RosterEntry {
            code: s.code.clone(),
            name: s.name.clone(),
        })
        .collect();
    let path = dir.join("states.json");
    let text = serde_json::to_string_pretty(&roster).context("serializing the roster")?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct FileReport {
    file: String,
    /// false when the file could not be read at all.
    readable: bool,
    valid: bool,
    problems: Vec<problem::Problem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn validate(
    files: &[PathBuf],
    format: Format,
    params: &ParameterSet,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let context = bwcv_declare::Context::from_params(params, Catalogue::builtin())
        .context("the parameter set lacks a parameter validation needs")?;
    let mut reports = Vec::new();
    for path in files {
        let file = path.display().to_string();
        match std::fs::read(path) {
            Err(error) => {
                eprintln!("error: reading {file}: {error}");
                reports.push(FileReport {
                    file,
                    readable: false,
                    valid: false,
                    problems: Vec::new(),
                    error: Some(error.to_string()),
                });
            }
            Ok(bytes) => {
                let parsed = bwcv_declare::check(&bytes, &context);
                let valid = parsed.submission.is_some() && !problem::has_errors(&parsed.problems);
                reports.push(FileReport {
                    file,
                    readable: true,
                    valid,
                    problems: parsed.problems,
                    error: None,
                });
            }
        }
    }
    match format {
        Format::Json => output::write_json(out, &reports)?,
        Format::Tsv => {
            let mut rows = Vec::new();
            for report in &reports {
                if let Some(error) = &report.error {
                    rows.push(vec![
                        report.file.clone(),
                        String::new(),
                        "file.unreadable".into(),
                        "error".into(),
                        String::new(),
                        String::new(),
                        error.clone(),
                    ]);
                }
                for p in &report.problems {
                    rows.push(vec![
                        report.file.clone(),
                        p.path.clone(),
                        p.rule.id().to_owned(),
                        p.severity.as_str().to_owned(),
                        p.line.map(|l| l.to_string()).unwrap_or_default(),
                        p.column.map(|c| c.to_string()).unwrap_or_default(),
                        p.message.clone(),
                    ]);
                }
            }
            output::write_tsv(
                out,
                &[
                    "file", "path", "rule", "severity", "line", "column", "message",
                ],
                &rows,
            )?;
        }
    }
    let code = if reports.iter().any(|r| !r.readable) {
        EXIT_ERROR
    } else if reports.iter().any(|r| !r.valid) {
        EXIT_FOUND
    } else {
        EXIT_OK
    };
    Ok(ExitCode::from(code))
}

fn compact(value: &Option<serde_json::Value>) -> String {
    value
        .as_ref()
        .map(|v| serde_json::to_string(v).unwrap_or_default())
        .unwrap_or_default()
}

fn diff(old: &Path, new: &Path, format: Format, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let old = read_submission(old)?;
    let new = read_submission(new)?;
    // Two returns: a history of two, which also reports the years between.
    let mut result: Diff = bwcv_declare::diff::diff(&old, &new);
    if let Some(history) = bwcv_declare::diff::diff_history(&[old.clone(), new.clone()]) {
        result.findings.extend(
            history
                .findings
                .into_iter()
                .filter(|f| f.kind == bwcv_declare::diff::FindingKind::YearMissing),
        );
    }
    match format {
        Format::Json => output::write_json(out, &result)?,
        Format::Tsv => {
            let rows: Vec<Vec<String>> = result
                .changes
                .iter()
                .map(|c| {
                    vec![
                        c.measure.key().to_owned(),
                        c.facility_id
                            .as_ref()
                            .map(|f| f.to_string())
                            .unwrap_or_default(),
                        c.kind.as_str().to_owned(),
                        c.path.clone(),
                        compact(&c.old),
                        compact(&c.new),
                    ]
                })
                .collect();
            output::write_tsv(
                out,
                &["measure", "facility", "kind", "path", "old", "new"],
                &rows,
            )?;
            writeln!(out).context("writing to stdout")?;
            let rows: Vec<Vec<String>> = result
                .findings
                .iter()
                .map(|f| {
                    vec![
                        f.kind.id().to_owned(),
                        f.year.to_string(),
                        f.measure.map(|m| m.key().to_owned()).unwrap_or_default(),
                        f.facility_id
                            .as_ref()
                            .map(|f| f.to_string())
                            .unwrap_or_default(),
                        f.message.clone(),
                    ]
                })
                .collect();
            output::write_tsv(
                out,
                &["finding", "year", "measure", "facility", "message"],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::from(if result.findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FOUND
    }))
}

/// Prints an overview as TSV tables or one JSON document.
pub fn write_overview(
    overview: &Overview,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if format == Format::Json {
        return output::write_json(out, overview);
    }
    let p = &overview.provenance;
    writeln!(
        out,
        "# overview year={} as_of={} deadline={} engine={} params={}@{} digest={} lists={}",
        overview.year,
        overview.as_of,
        overview.deadline,
        p.engine.replace(' ', "/"),
        p.parameter_set,
        p.parameter_version,
        p.parameter_digest,
        p.lists.join(",")
    )
    .context("writing to stdout")?;
    let mut header: Vec<&str> = vec![
        "code",
        "name",
        "submitted",
        "status",
        "days_late",
        "answered",
        "errors",
        "warnings",
    ];
    header.extend(Measure::ALL.iter().map(|m| m.key()));
    let rows: Vec<Vec<String>> = overview
        .states
        .iter()
        .map(|s| {
            let mut row = vec![
                s.code.to_string(),
                s.name.clone(),
                s.submitted.map(|d| d.to_string()).unwrap_or_default(),
                s.status.as_str().to_owned(),
                s.days_late.map(|d| d.to_string()).unwrap_or_default(),
                format!("{}/{}", s.answered, Measure::ALL.len()),
                s.errors.to_string(),
                s.warnings.to_string(),
            ];
            row.extend(Measure::ALL.iter().map(|m| {
                s.forms
                    .get(m)
                    .map(|f| f.label())
                    .unwrap_or_else(|| "-".into())
            }));
            row
        })
        .collect();
    output::write_tsv(out, &header, &rows)?;
    writeln!(out).context("writing to stdout")?;
    let rows: Vec<Vec<String>> = overview
        .states
        .iter()
        .flat_map(|s| {
            s.flags.iter().map(move |f| {
                vec![
                    s.code.to_string(),
                    f.year.to_string(),
                    f.source.as_str().to_owned(),
                    f.rule.clone(),
                    f.severity.as_str().to_owned(),
                    f.path.clone().unwrap_or_default(),
                    f.message.clone(),
                ]
            })
        })
        .collect();
    output::write_tsv(
        out,
        &[
            "code", "year", "source", "rule", "severity", "path", "message",
        ],
        &rows,
    )?;
    Ok(())
}
