//! `bwcv lists`: the controlled lists of agents, toxins, genetic elements and
//! dual-use equipment (`bwcv_core::lists`), shown and searched.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use bwcv_core::lists::{Catalogue, Category, Entry, ListInfo, Lookup};
use serde::Serialize;

use crate::output::{self, EXIT_ERROR, EXIT_FOUND, EXIT_OK, Format};

/// Show and search the controlled lists (long help: `LISTS_HELP`).
#[derive(Debug, clap::Args)]
#[command(after_help = LISTS_HELP)]
pub struct Args {
    #[command(subcommand)]
    command: ListsCommand,
}

const LISTS_HELP: &str = "\
bwcv uses the Australia Group common control lists as the stand-in for the
protocol's annex of agents and toxins:
  ag-hap        List of Human and Animal Pathogens and Toxins for Export Control
                (viruses, bacteria, fungi, toxins, genetic elements and GMOs)
  ag-plant      List of Plant Pathogens for Export Control
  ag-equipment  Control List of Dual-Use Biological Equipment and Related
                Technology and Software
Every entry has a stable id (e.g. ag-hap-v-ebola), a category, a name,
synonyms and, for organisms, its NCBI Taxonomy ID; every list has a version
date and a source (see `bwcv lists show --format json`).

Examples:
  bwcv lists show --category toxin
  bwcv lists find anthracis";

#[derive(Debug, clap::Subcommand)]
enum ListsCommand {
    /// Print the entries of the lists, one per row
    ///
    /// Columns: id, category, group, name, synonyms (joined by "; "),
    /// taxid (empty when none), list_id. With --format json the output
    /// also holds each list's title, version date and source, and every
    /// entry's notes and covered_taxids.
    ///
    /// Examples:
    ///   bwcv lists show
    ///   bwcv lists show --category toxin
    ///   bwcv lists show --list ag-plant --format json
    #[command(verbatim_doc_comment)]
    Show {
        /// Only entries of this category: human_animal_pathogen, toxin,
        /// plant_pathogen, genetic_element or equipment.
        #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
        category: Option<Category>,
        /// Only entries of this list: ag-hap (human and animal pathogens and
        /// toxins), ag-plant (plant pathogens) or ag-equipment.
        #[arg(long = "list", value_name = "LIST_ID")]
        list_id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Look an agent, toxin or item up by name, synonym, entry id or taxid
    ///
    /// Case and extra spaces do not matter. An exact name, synonym, id or
    /// taxid is a match; otherwise a name containing QUERY is. bwcv never
    /// guesses: when several entries match it lists them all, and when none
    /// does it offers close spellings as suggestions, not as a match.
    ///
    /// Exit codes: 0 exactly one entry matches (printed to stdout); 1
    /// several entries match (all printed to stdout, "ambiguous: ..." on
    /// stderr; use an exact name or the taxid) or none does ("not found"
    /// and close spellings on stderr, only the header on stdout; with
    /// --format json all of it is in the JSON document, field "status"
    /// being unique, ambiguous or not_found); 2 usage error.
    ///
    /// Examples:
    ///   bwcv lists find anthracis
    ///   bwcv lists find 1392
    ///   bwcv lists find "Brucella" --format json
    #[command(verbatim_doc_comment)]
    Find {
        /// A name, synonym, entry id (e.g. ag-hap-v-ebola) or NCBI taxid.
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
}

fn parse_category(text: &str) -> Result<Category, String> {
    text.parse::<Category>().map_err(|error| error.to_string())
}

const HEADER: [&str; 7] = [
    "id", "category", "group", "name", "synonyms", "taxid", "list_id",
];

fn row(entry: &Entry) -> Vec<String> {
    vec![
        entry.id.clone(),
        entry.category.as_str().to_owned(),
        entry.group.clone(),
        entry.name.clone(),
        entry.synonyms.join("; "),
        entry
            .taxid
            .map(|taxid| taxid.to_string())
            .unwrap_or_default(),
        entry.list_id.clone(),
    ]
}

fn rows(entries: &[&Entry]) -> Vec<Vec<String>> {
    entries.iter().map(|entry| row(entry)).collect()
}

#[derive(Debug, Serialize)]
struct ShowJson<'a> {
    lists: Vec<&'a ListInfo>,
    entries: Vec<&'a Entry>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum FindJson<'a> {
    Unique {
        query: &'a str,
        entry: &'a Entry,
    },
    Ambiguous {
        query: &'a str,
        message: String,
        candidates: Vec<&'a Entry>,
    },
    NotFound {
        query: &'a str,
        message: String,
        suggestions: Vec<&'a Entry>,
    },
}

pub fn run(args: Args, _global: &super::Global) -> anyhow::Result<ExitCode> {
    let catalogue = Catalogue::builtin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match args.command {
        ListsCommand::Show {
            category,
            list_id,
            format,
        } => show(catalogue, category, list_id.as_deref(), format, &mut out)?,
        ListsCommand::Find { query, format } => find(catalogue, &query, format, &mut out)?,
    };
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::from(code))
}

fn show(
    catalogue: &Catalogue,
    category: Option<Category>,
    list_id: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    if let Some(wanted) = list_id {
        if catalogue.list(wanted).is_none() {
            let known: Vec<&str> = catalogue.lists().iter().map(|l| l.id.as_str()).collect();
            anyhow::bail!(
                "unknown list {wanted:?}; the lists are: {}",
                known.join(", ")
            );
        }
    }
    let entries: Vec<&Entry> = catalogue
        .entries()
        .iter()
        .filter(|entry| category.is_none_or(|wanted| entry.category == wanted))
        .filter(|entry| list_id.is_none_or(|wanted| entry.list_id == wanted))
        .collect();
    match format {
        Format::Tsv => output::write_tsv(out, &HEADER, &rows(&entries))?,
        Format::Json => {
            let lists = catalogue
                .lists()
                .iter()
                .filter(|info| list_id.is_none_or(|wanted| info.id == wanted))
                .collect();
            output::write_json(out, &ShowJson { lists, entries })?;
        }
    }
    Ok(EXIT_OK)
}

fn find(
    catalogue: &Catalogue,
    query: &str,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    if query.trim().is_empty() {
        eprintln!("error: the query is empty; give a name, synonym, entry id or taxid");
        return Ok(EXIT_ERROR);
    }
    match catalogue.find(query) {
        Lookup::Unique(entry) => {
            match format {
                Format::Tsv => output::write_tsv(out, &HEADER, &[row(entry)])?,
                Format::Json => output::write_json(out, &FindJson::Unique { query, entry })?,
            }
            Ok(EXIT_OK)
        }
        Lookup::Ambiguous(candidates) => {
            let message = format!(
                "ambiguous: {} entries match; use an exact name or taxid",
                candidates.len()
            );
            match format {
                Format::Tsv => {
                    eprintln!("{message}");
                    output::write_tsv(out, &HEADER, &rows(&candidates))?;
                }
                Format::Json => output::write_json(
                    out,
                    &FindJson::Ambiguous {
                        query,
                        message,
                        candidates,
                    },
                )?,
            }
            Ok(EXIT_FOUND)
        }
        Lookup::NotFound { suggestions } => {
            let message = if suggestions.is_empty() {
                format!("not found: no entry matches {query:?}")
            } else {
                let names: Vec<&str> = suggestions.iter().map(|e| e.name.as_str()).collect();
                format!(
                    "not found: no entry matches {query:?}; did you mean: {}?",
                    names.join(" | ")
                )
            };
            match format {
                Format::Tsv => {
                    // Suggestions go to stderr only: stdout holds matches,
                    // and there are none.
                    eprintln!("{message}");
                    for suggestion in &suggestions {
                        eprintln!("  suggestion: {}\t{}", suggestion.id, suggestion.name);
                    }
                    output::write_tsv(out, &HEADER, &[])?;
                }
                Format::Json => output::write_json(
                    out,
                    &FindJson::NotFound {
                        query,
                        message,
                        suggestions,
                    },
                )?,
            }
            Ok(EXIT_FOUND)
        }
    }
}
