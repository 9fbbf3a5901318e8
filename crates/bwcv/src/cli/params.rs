//! `bwcv params`: the protocol parameter set in force (`bwcv_core::params`),
//! and [`load`], which every verb uses to honour the global `--params FILE`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use bwcv_core::params::{Parameter, ParameterSet};
use serde::Serialize;

use crate::output::{self, EXIT_OK, Format};

/// Show the protocol parameters (long help: `PARAMS_HELP`).
#[derive(Debug, clap::Args)]
#[command(after_help = PARAMS_HELP)]
pub struct Args {
    #[command(subcommand)]
    command: ParamsCommand,
}

const PARAMS_HELP: &str = "\
Every number bwcv takes from a treaty text is a named parameter with a unit,
a source and a verification flag: verified = true only where the value was
checked against the cited text (the CBM deadline, the visit caps, the
screening window); the others are marked working assumptions. The set has a
version and a digest (SHA-256 of its canonical form) that results record.

The global option --params FILE replaces the built-in set with a TOML file of
the same layout (copy crates/bwcv-core/data/params/protocol.toml, edit it and
bump its version). The file must be complete and valid, or bwcv stops with an
error naming the file, the parameter and the field at fault (exit code 2).

Examples:
  bwcv params show
  bwcv --params my-params.toml params show --format json";

#[derive(Debug, clap::Subcommand)]
enum ParamsCommand {
    /// Print every parameter: value, unit, verification status, source
    ///
    /// TSV: the first line is a comment identifying the set,
    ///   # set=NAME version=VERSION digest=SHA256HEX from=built-in|FILE
    /// then a header and one row per parameter: name, value, unit, verified,
    /// source, description. Month-days print as MM-DD (04-15 is 15 April).
    /// JSON: one document with name, version, description, digest, from and
    /// parameters (value as number or string, plus its kind).
    ///
    /// Exit codes: 0 shown; 2 the --params file cannot be read or is not a
    /// valid, complete parameter set.
    ///
    /// Examples:
    ///   bwcv params show
    ///   bwcv params show --format json
    ///   bwcv --params my-params.toml params show
    #[command(verbatim_doc_comment)]
    Show {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
}

/// The parameter set in force: the file named by `--params`, or the
/// built-in set. Errors name the file and, for invalid content, the
/// parameter and field.
pub fn load(global: &super::Global) -> anyhow::Result<ParameterSet> {
    match &global.params {
        None => Ok(ParameterSet::builtin().clone()),
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading parameter file {shown}"))?;
            ParameterSet::from_toml_str_named(&shown, &text)
                .with_context(|| format!("parameter file {shown} is not a valid parameter set"))
        }
    }
}

/// Where the set in force comes from, as printed in `from=`.
fn origin(global: &super::Global) -> String {
    match &global.params {
        None => "built-in".to_owned(),
        Some(path) => path.display().to_string(),
    }
}

#[derive(Debug, Serialize)]
struct ShowJson<'a> {
    name: &'a str,
    version: &'a str,
    description: &'a str,
    digest: String,
    from: String,
    parameters: Vec<ParameterJson<'a>>,
}

#[derive(Debug, Serialize)]
struct ParameterJson<'a> {
    #[serde(flatten)]
    parameter: &'a Parameter,
    kind: &'static str,
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    let set = load(global)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.command {
        ParamsCommand::Show { format } => show(&set, &origin(global), format, &mut out)?,
    }
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::from(EXIT_OK))
}

fn show(set: &ParameterSet, from: &str, format: Format, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Tsv => {
            writeln!(
                out,
                "# set={} version={} digest={} from={}",
                set.name(),
                set.version(),
                set.digest(),
                from
            )
            .context("writing to stdout")?;
            let rows: Vec<Vec<String>> = set
                .iter()
                .map(|parameter| {
                    vec![
                        parameter.name.clone(),
                        parameter.value.to_string(),
                        parameter.unit.clone(),
                        parameter.verified.to_string(),
                        parameter.source.clone(),
                        parameter.description.clone(),
                    ]
                })
                .collect();
            output::write_tsv(
                out,
                &["name", "value", "unit", "verified", "source", "description"],
                &rows,
            )?;
        }
        Format::Json => {
            let document = ShowJson {
                name: set.name(),
                version: set.version(),
                description: set.description(),
                digest: set.digest(),
                from: from.to_owned(),
                parameters: set
                    .iter()
                    .map(|parameter| ParameterJson {
                        parameter,
                        kind: parameter.value.kind(),
                    })
                    .collect(),
            };
            output::write_json(out, &document)?;
        }
    }
    Ok(())
}
