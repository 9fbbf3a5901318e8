//! `bwcv cases`: check a case's history (its events as appended to the
//! ledger) offline, and list its time limits (`bwcv_cases`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bwcv_cases::case::{Case, CaseEvent};
use bwcv_cases::deadline::{self, Bound, Deadline};
use bwcv_core::params::ParameterSet;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::output::{self, EXIT_FOUND, EXIT_OK, Format};

/// Cases (clarification, visits, investigations): check histories and deadlines.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CasesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CasesCommand {
    /// Rebuild a case from its events and list its time limits.
    ///
    /// EVENTS.json: a JSON array of the case's events in order (the
    /// canonical case events the portal appends to the ledger). Every event
    /// is re-applied: sequence numbers, the digest chain, permissions, legal
    /// steps and required data are checked. The parameter sets the case ran
    /// under must be known: the one in force (built-in or --params) and any
    /// given with --also-params.
    ///
    /// TSV: a comment line '# case=ID kind=KIND state=STATE events=N
    /// parameter_set=VERSION', then one row per time limit of a step not yet
    /// taken: step, bound (not_after|not_before), due, parameter, value,
    /// unit, overdue (yes|no, at --now; "-" without --now).
    ///
    /// Exit codes: 0 consistent and nothing overdue; 1 the history does not
    /// replay (the reason is printed) or a step is overdue at --now; 2 the
    /// file cannot be read.
    ///
    /// Example:
    ///   bwcv cases check events.json --now 2027-04-01T00:00:00Z
    #[command(verbatim_doc_comment)]
    Check {
        /// The case's events (JSON array).
        #[arg(value_name = "EVENTS.json")]
        events: PathBuf,
        /// Report overdue steps as of this time (RFC 3339, UTC).
        #[arg(long, value_name = "TIME")]
        now: Option<DateTime<Utc>>,
        /// Another parameter set the case ran under (repeatable).
        #[arg(long = "also-params", value_name = "FILE")]
        also_params: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match args.command {
        CasesCommand::Check {
            events,
            now,
            also_params,
            format,
        } => {
            let mut sets = vec![
                super::params::load(global)?,
                ParameterSet::builtin().clone(),
            ];
            for path in &also_params {
                sets.push(read_params(path)?);
            }
            let events = read_events(&events)?;
            let known = |digest: &str| sets.iter().find(|set| set.digest() == digest).cloned();
            match Case::replay(&events, &known) {
                Err(error) => {
                    writeln!(out, "# history does not replay: {error}")
                        .context("writing to stdout")?;
                    eprintln!("the case history does not replay: {error}");
                    EXIT_FOUND
                }
                Ok(case) => {
                    let params = known(&case.parameter_set_digest).with_context(|| {
                        format!(
                            "parameter set {} of the case is not known",
                            case.parameter_set_digest
                        )
                    })?;
                    let deadlines = deadline::deadlines(&case, &params)
                        .context("computing the case's time limits")?;
                    let overdue: Vec<bool> = deadlines
                        .iter()
                        .map(|d| now.is_some_and(|now| d.bound == Bound::NotAfter && d.due < now))
                        .collect();
                    write_check(&mut out, &case, &deadlines, &overdue, now.is_some(), format)?;
                    if overdue.iter().any(|late| *late) {
                        EXIT_FOUND
                    } else {
                        EXIT_OK
                    }
                }
            }
        }
    };
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::from(code))
}

fn read_events(path: &Path) -> anyhow::Result<Vec<CaseEvent>> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading events file {shown}"))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{shown} is not a JSON array of case events"))
}

fn read_params(path: &Path) -> anyhow::Result<ParameterSet> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading parameter file {shown}"))?;
    ParameterSet::from_toml_str_named(&shown, &text)
        .with_context(|| format!("parameter file {shown} is not a valid parameter set"))
}

#[derive(Debug, Serialize)]
struct CheckJson<'a> {
    case_id: &'a str,
    kind: &'static str,
    state: &'static str,
    events: usize,
    parameter_set_version: &'a str,
    parameter_set_digest: &'a str,
    deadlines: Vec<DeadlineJson<'a>>,
}

#[derive(Debug, Serialize)]
struct DeadlineJson<'a> {
    #[serde(flatten)]
    deadline: &'a Deadline,
    #[serde(skip_serializing_if = "Option::is_none")]
    overdue: Option<bool>,
}

fn write_check(
    out: &mut dyn Write,
    case: &Case,
    deadlines: &[Deadline],
    overdue: &[bool],
    has_now: bool,
    format: Format,
) -> anyhow::Result<()> {
    match format {
        Format::Json => output::write_json(
            out,
            &CheckJson {
                case_id: &case.id.0,
                kind: case.kind.as_str(),
                state: case.state.as_str(),
                events: case.events.len(),
                parameter_set_version: &case.parameter_set_version,
                parameter_set_digest: &case.parameter_set_digest,
                deadlines: deadlines
                    .iter()
                    .zip(overdue)
                    .map(|(deadline, late)| DeadlineJson {
                        deadline,
                        overdue: has_now.then_some(*late),
                    })
                    .collect(),
            },
        ),
        Format::Tsv => {
            writeln!(
                out,
                "# case={} kind={} state={} events={} parameter_set={}",
                case.id,
                case.kind,
                case.state,
                case.events.len(),
                case.parameter_set_version
            )
            .context("writing to stdout")?;
            let rows: Vec<Vec<String>> = deadlines
                .iter()
                .zip(overdue)
                .map(|(d, late)| {
                    vec![
                        d.step.to_string(),
                        match d.bound {
                            Bound::NotAfter => "not_after",
                            Bound::NotBefore => "not_before",
                        }
                        .to_owned(),
                        d.due.to_rfc3339(),
                        d.parameter_name.clone(),
                        d.parameter_value.to_string(),
                        d.parameter_unit.clone(),
                        if !has_now {
                            "-"
                        } else if *late {
                            "yes"
                        } else {
                            "no"
                        }
                        .to_owned(),
                    ]
                })
                .collect();
            output::write_tsv(
                out,
                &[
                    "step",
                    "bound",
                    "due",
                    "parameter",
                    "value",
                    "unit",
                    "overdue",
                ],
                &rows,
            )
        }
    }
}
