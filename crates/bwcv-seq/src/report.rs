//! Screening reports: TSV (streamed), JSON and a self-contained HTML page.
//!
//! Every report carries the engine version, the database digest and the
//! build and screening parameters, so that a result can be reproduced.
//! Reports contain findings only; no report decides anything about anyone.

#![forbid(unsafe_code)]

use std::io::{self, Write};

use serde::Serialize;

use crate::db::{BuildParams, Database, InputFile};
use crate::screen::{ParamsError, RecordReport, Region, ScreenParams, Status};

/// The protocol parameter set a screen ran under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolParameters {
    /// Set name.
    pub name: String,
    /// Set version.
    pub version: String,
    /// Set digest.
    pub digest: String,
}

/// What every report records about how it was produced.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMeta {
    /// Engine name and version.
    pub engine: String,
    /// SHA-256 of the database file.
    pub database_digest: String,
    /// Where the database's regulated taxids came from.
    pub database_list_source: String,
    /// Inputs of the database build, with digests.
    pub database_inputs: Vec<InputFile>,
    /// Build parameters of the database.
    pub build_params: BuildParams,
    /// Screening parameters.
    pub screen_params: ScreenParams,
    /// Protocol parameter set, when one was used.
    pub protocol_parameters: Option<ProtocolParameters>,
    /// Files screened.
    pub inputs: Vec<String>,
}

impl ReportMeta {
    /// Metadata for a screen of `inputs` against `database`.
    pub fn new(
        database: &Database,
        screen_params: &ScreenParams,
        protocol_parameters: Option<ProtocolParameters>,
        inputs: Vec<String>,
    ) -> Self {
        Self {
            engine: crate::db::ENGINE.into(),
            database_digest: database.digest_hex(),
            database_list_source: database.meta.list_source.clone(),
            database_inputs: database.meta.inputs.clone(),
            build_params: database.meta.params.clone(),
            screen_params: screen_params.clone(),
            protocol_parameters,
            inputs,
        }
    }
}

/// A malformed input record that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRecord {
    /// Input file.
    pub file: String,
    /// Line number.
    pub line: u64,
    /// What was wrong.
    pub reason: String,
}

/// Counts over a screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records screened or examined.
    pub n_records: u64,
    /// Records with status flag.
    pub n_flag: u64,
    /// Records with status warn.
    pub n_warn: u64,
    /// Records with status pass.
    pub n_pass: u64,
    /// Malformed records skipped.
    pub n_skipped: u64,
    /// Nucleotides screened.
    pub n_nt: u64,
}

impl Summary {
    /// Counts one record.
    pub fn add(&mut self, record: &RecordReport) {
        self.n_records += 1;
        self.n_nt += record.length as u64;
        match record.status {
            Status::Flag => self.n_flag += 1,
            Status::Warn => self.n_warn += 1,
            Status::Pass => self.n_pass += 1,
        }
    }
}

/// A whole report (JSON and HTML).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Provenance.
    pub meta: ReportMeta,
    /// Counts.
    pub summary: Summary,
    /// Per-record results in input order.
    pub records: Vec<RecordReport>,
    /// Malformed records skipped.
    pub skipped: Vec<SkippedRecord>,
}

/// TSV columns.
pub const TSV_HEADER: &[&str] = &[
    "file",
    "record",
    "length",
    "status",
    "region",
    "start",
    "end",
    "strand",
    "frame",
    "level",
    "reference",
    "reference_start",
    "reference_end",
    "taxid",
    "taxon",
    "list_entry",
    "identity",
    "aligned_length",
    "bits",
    "evalue",
    "background_reference",
    "background_identity",
    "note",
];

fn optional<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn cell(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ")
}

/// TSV rows of one record: one per region, or one without region fields.
pub fn tsv_rows(record: &RecordReport) -> Vec<Vec<String>> {
    let prefix = || {
        vec![
            record.file.clone(),
            record.record.clone(),
            record.length.to_string(),
            record.status.as_str().to_string(),
        ]
    };
    if record.regions.is_empty() {
        let mut row = prefix();
        row.extend(std::iter::repeat_n(String::new(), TSV_HEADER.len() - 5));
        row.push(record.note.clone().unwrap_or_default());
        return vec![row];
    }
    record
        .regions
        .iter()
        .map(|region| {
            let mut row = prefix();
            row.extend(region_cells(region));
            row.push(record.note.clone().unwrap_or_default());
            row
        })
        .collect()
}

fn region_cells(region: &Region) -> Vec<String> {
    vec![
        region.kind.as_str().into(),
        region.start.to_string(),
        region.end.to_string(),
        region.strand.to_string(),
        if region.frame == 0 {
            String::new()
        } else {
            format!("{:+}", region.frame)
        },
        region.level.as_str().into(),
        region.reference.clone(),
        region.reference_start.to_string(),
        region.reference_end.to_string(),
        optional(&region.taxid),
        optional(&region.taxon),
        optional(&region.list_entry),
        format!("{:.4}", region.identity),
        region.aligned_length.to_string(),
        format!("{:.1}", region.bits),
        format!("{:.3e}", region.evalue),
        region
            .background
            .as_ref()
            .map(|background| background.reference.clone())
            .unwrap_or_default(),
        region
            .background
            .as_ref()
            .map(|background| format!("{:.4}", background.identity))
            .unwrap_or_default(),
    ]
}

/// Writes the `#` provenance lines and the header line of a TSV report.
pub fn write_tsv_header(out: &mut dyn Write, meta: &ReportMeta) -> io::Result<()> {
    writeln!(out, "# engine\t{}", meta.engine)?;
    writeln!(out, "# database_digest\tsha256:{}", meta.database_digest)?;
    writeln!(
        out,
        "# build_params\t{}",
        serde_json::to_string(&meta.build_params).map_err(io::Error::other)?
    )?;
    writeln!(
        out,
        "# screen_params\t{}",
        serde_json::to_string(&meta.screen_params).map_err(io::Error::other)?
    )?;
    if let Some(protocol) = &meta.protocol_parameters {
        writeln!(
            out,
            "# protocol_parameters\t{} {} {}",
            protocol.name, protocol.version, protocol.digest
        )?;
    }
    writeln!(out, "{}", TSV_HEADER.join("\t"))
}

/// Writes the TSV rows of one record.
pub fn write_tsv_record(out: &mut dyn Write, record: &RecordReport) -> io::Result<()> {
    for row in tsv_rows(record) {
        let cells: Vec<String> = row.iter().map(|text| cell(text)).collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}

/// Writes skipped records as `#` lines after a TSV report.
pub fn write_tsv_skipped(out: &mut dyn Write, skipped: &[SkippedRecord]) -> io::Result<()> {
    for record in skipped {
        writeln!(
            out,
            "# skipped\t{}\tline {}\t{}",
            cell(&record.file),
            record.line,
            cell(&record.reason)
        )?;
    }
    Ok(())
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.flag{background:#fbd5d5}.warn{background:#fdf0c4}.pass{background:#dcf2dc}\
.common{color:#555}.bar{position:relative;height:14px;background:#eee;border:1px solid #bbb;min-width:20em}\
.seg{position:absolute;top:0;height:14px}.seg.concern{background:#c62828}.seg.weak{background:#f9a825}\
.seg.common{background:#90a4ae}code{font-size:.85em;word-break:break-all}.small{font-size:.85em;color:#555}";

/// Writes the HTML report (one file, no external resources).
pub fn write_html(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let summary = &report.summary;
    let meta = &report.meta;
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>bwcv sequence screening report</title><style>{STYLE}</style></head><body>"
    )?;
    writeln!(out, "<h1>Sequence screening report</h1>")?;
    writeln!(
        out,
        "<p>This report lists the regions of the screened sequences that match sequences of concern on the controlled lists. It records findings only; what follows from them is for the responsible officer to decide.</p>"
    )?;
    writeln!(
        out,
        "<table><tr><th>Records</th><th class=\"flag\">Flagged</th><th class=\"warn\">Warning</th><th class=\"pass\">Passed</th><th>Malformed, skipped</th><th>Nucleotides</th></tr>\
<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        summary.n_records,
        summary.n_flag,
        summary.n_warn,
        summary.n_pass,
        summary.n_skipped,
        summary.n_nt
    )?;
    writeln!(
        out,
        "<p class=\"small\"><b>flag</b>: a region is best explained by a regulated organism (listed taxon) and not equally well by unregulated organisms. \
<b>warn</b>: weak evidence of such a region, or the record is shorter than the minimum fragment length and was not screened. \
<b>pass</b>: no such region. Regions marked <i>common</i> match sequences of concern but are equally well explained by unregulated organisms (vectors, markers, shared genes) and are not flagged.</p>"
    )?;
    for status in [Status::Flag, Status::Warn] {
        let records: Vec<&RecordReport> = report
            .records
            .iter()
            .filter(|record| record.status == status)
            .collect();
        if records.is_empty() {
            continue;
        }
        writeln!(
            out,
            "<h2>{} ({})</h2>",
            if status == Status::Flag {
                "Flagged records"
            } else {
                "Records with warnings"
            },
            records.len()
        )?;
        for record in records {
            write_html_record(out, record)?;
        }
    }
    let passed: Vec<&RecordReport> = report
        .records
        .iter()
        .filter(|record| record.status == Status::Pass)
        .collect();
    if !passed.is_empty() {
        writeln!(
            out,
            "<h2>Passed records ({})</h2><table><tr><th>File</th><th>Record</th><th>Length</th><th>Common regions</th></tr>",
            passed.len()
        )?;
        for record in passed.iter().take(1000) {
            writeln!(
                out,
                "<tr class=\"pass\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&record.file),
                escape(&record.record),
                record.length,
                record.regions.len()
            )?;
        }
        if passed.len() > 1000 {
            writeln!(
                out,
                "<tr><td colspan=\"4\">… {} more (see the TSV or JSON report)</td></tr>",
                passed.len() - 1000
            )?;
        }
        writeln!(out, "</table>")?;
    }
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "<h2>Malformed records skipped ({})</h2><table><tr><th>File</th><th>Line</th><th>Problem</th></tr>",
            report.skipped.len()
        )?;
        for skipped in &report.skipped {
            writeln!(
                out,
                "<tr class=\"warn\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&skipped.file),
                skipped.line,
                escape(&skipped.reason)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "<h2>How this report was produced</h2><table>")?;
    let row = |out: &mut dyn Write, key: &str, value: &str| -> io::Result<()> {
        writeln!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(key),
            escape(value)
        )
    };
    row(out, "Engine", &meta.engine)?;
    row(out, "Reference database (SHA-256)", &meta.database_digest)?;
    row(out, "Regulated taxa from", &meta.database_list_source)?;
    for input in &meta.database_inputs {
        row(
            out,
            &format!("Database input ({})", input.role),
            &format!(
                "{} sha256:{} ({} records)",
                input.name, input.sha256, input.n_records
            ),
        )?;
    }
    row(
        out,
        "Build parameters",
        &serde_json::to_string(&meta.build_params).map_err(io::Error::other)?,
    )?;
    row(
        out,
        "Screening parameters",
        &serde_json::to_string(&meta.screen_params).map_err(io::Error::other)?,
    )?;
    if let Some(protocol) = &meta.protocol_parameters {
        row(
            out,
            "Protocol parameters",
            &format!("{} {} {}", protocol.name, protocol.version, protocol.digest),
        )?;
    }
    row(out, "Screened files", &meta.inputs.join(", "))?;
    writeln!(out, "</table>")?;
    // the same provenance for programs: `bwcv seq screen --screen-params`
    // reads the parameters back from this block
    let provenance = serde_json::json!({
        "engine": meta.engine,
        "database_digest": meta.database_digest,
        "screen_params": meta.screen_params,
    });
    writeln!(
        out,
        "{HTML_PROVENANCE_OPEN}{}</script>",
        script_json(&provenance).map_err(io::Error::other)?
    )?;
    writeln!(out, "</body></html>")
}

/// Opens the HTML report's machine-readable provenance: a JSON object with
/// `engine`, `database_digest` and `screen_params`, as in the JSON report's
/// `meta` (HTML Living Standard §4.12.1.2, data blocks).
const HTML_PROVENANCE_OPEN: &str = "<script type=\"application/json\" id=\"bwcv-provenance\">";

/// `value` as JSON that cannot end a `<script>` element early: every `<`
/// (which JSON allows only inside strings) is written as `\u003c`.
fn script_json(value: &serde_json::Value) -> serde_json::Result<String> {
    Ok(serde_json::to_string(value)?.replace('<', "\\u003c"))
}

fn write_html_record(out: &mut dyn Write, record: &RecordReport) -> io::Result<()> {
    let class = record.status.as_str();
    writeln!(
        out,
        "<h3 class=\"{class}\">{} <span class=\"small\">({} nt, {}, file {})</span></h3>",
        escape(&record.record),
        record.length,
        class,
        escape(&record.file)
    )?;
    if let Some(note) = &record.note {
        writeln!(out, "<p>{}</p>", escape(note))?;
    }
    if record.regions.is_empty() {
        return Ok(());
    }
    // a map of the record with its regions
    write!(out, "<div class=\"bar\" title=\"record map\">")?;
    for region in &record.regions {
        let left = 100.0 * (region.start - 1) as f64 / record.length.max(1) as f64;
        let width = (100.0 * region.aligned_length as f64 / record.length.max(1) as f64).max(0.4);
        write!(
            out,
            "<span class=\"seg {}\" style=\"left:{left:.2}%;width:{width:.2}%\" title=\"{}..{}\"></span>",
            region.kind.as_str(),
            region.start,
            region.end
        )?;
    }
    writeln!(out, "</div>")?;
    writeln!(
        out,
        "<table><tr><th>Region</th><th>Position</th><th>Strand / frame</th><th>Matched reference</th><th>Taxon</th><th>List entry</th><th>Identity</th><th>Length</th><th>Evidence</th><th>Best unregulated match</th></tr>"
    )?;
    for region in &record.regions {
        let frame = if region.frame == 0 {
            String::new()
        } else {
            format!(" / frame {:+}", region.frame)
        };
        let taxon = match (&region.taxon, region.taxid) {
            (Some(name), Some(taxid)) => format!("{name} (taxid {taxid})"),
            (None, Some(taxid)) => format!("taxid {taxid}"),
            _ => String::new(),
        };
        let entry = match (&region.list_entry, &region.list_entry_name) {
            (Some(id), Some(name)) => format!("{name} ({id})"),
            (Some(id), None) => id.clone(),
            _ => String::new(),
        };
        let background = region
            .background
            .as_ref()
            .map(|background| {
                format!(
                    "{} ({}, {:.1} % identity, {:.2} bits/nt)",
                    background.reference,
                    background.level.as_str(),
                    100.0 * background.identity,
                    background.bits_per_nt
                )
            })
            .unwrap_or_else(|| "none".into());
        writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}–{}</td><td>{}{}</td><td>{} {}–{}</td><td>{}</td><td>{}</td><td>{:.1} %</td><td>{} nt</td><td>{} level, {:.1} bits, E = {:.2e}, {:.2} bits/nt</td><td>{}</td></tr>",
            region.kind.as_str(),
            region.kind.as_str(),
            region.start,
            region.end,
            region.strand,
            frame,
            escape(&region.reference),
            region.reference_start,
            region.reference_end,
            escape(&taxon),
            escape(&entry),
            100.0 * region.identity,
            region.aligned_length,
            region.level.as_str(),
            region.bits,
            region.evalue,
            region.concern_bits_per_nt,
            escape(&background)
        )?;
    }
    writeln!(out, "</table>")
}

/// Screening parameters read back from a file (see [`screen_params_from`]),
/// with what the file says about the screen it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedParams {
    /// The parameters: the file's over the base given.
    pub params: ScreenParams,
    /// The database digest the file records (hex), if it is a report.
    pub database_digest: Option<String>,
    /// The engine the file records, if it is a report.
    pub engine: Option<String>,
}

/// Why screening parameters could not be read from a file.
#[derive(Debug, thiserror::Error)]
pub enum ParamsFileError {
    /// The JSON does not parse, or a field has the wrong type or is unknown.
    #[error("{}screen parameters: {source}", line.map(|line| format!("line {line}: ")).unwrap_or_default())]
    Json {
        /// Line of the file, when known.
        line: Option<usize>,
        /// The parser's message (names the field).
        source: serde_json::Error,
    },
    /// The screen parameters are not a JSON object.
    #[error("{}screen parameters must be a JSON object", line.map(|line| format!("line {line}: ")).unwrap_or_default())]
    NotAnObject {
        /// Line of the file, when known.
        line: Option<usize>,
    },
    /// Neither JSON, nor a TSV report with a `# screen_params` line, nor an
    /// HTML report with its provenance block.
    #[error(
        "no screen parameters found: expected a JSON object of screen parameters, or a JSON, \
         TSV or HTML report of `bwcv seq screen` (TSV: a '# screen_params' line before the \
         header; HTML: its 'bwcv-provenance' block)"
    )]
    NotFound,
    /// A value is out of range.
    #[error(transparent)]
    Invalid(#[from] ParamsError),
}

/// Reads screening parameters from `text`: a JSON object of (some)
/// screening parameters, a JSON report of `bwcv seq screen` (its
/// `meta.screen_params`), a TSV report (its `# screen_params` line) or an
/// HTML report (its `bwcv-provenance` block), so
/// that a screen can be re-run with the parameters a report records. Fields
/// the file does not name keep their value in `base`; unknown fields are
/// refused; the result is checked with [`ScreenParams::validate`].
pub fn screen_params_from(
    text: &str,
    base: &ScreenParams,
) -> Result<RecordedParams, ParamsFileError> {
    let text_field = |value: &serde_json::Value, key: &str| {
        value
            .get(key)
            .and_then(|field| field.as_str())
            .map(str::to_string)
    };
    let from_meta = |meta: &serde_json::Value, line: Option<usize>| {
        meta.get("screen_params").map(|params| {
            (
                params.clone(),
                line,
                text_field(meta, "database_digest"),
                text_field(meta, "engine"),
            )
        })
    };
    let trimmed = text.trim_start();
    let (overlay, line, database_digest, engine) = if trimmed.starts_with('<') {
        // an HTML report: its provenance block
        let start = text
            .find(HTML_PROVENANCE_OPEN)
            .ok_or(ParamsFileError::NotFound)?;
        let line = text[..start].matches('\n').count() + 1;
        let block = &text[start + HTML_PROVENANCE_OPEN.len()..];
        let block = &block[..block.find("</script>").ok_or(ParamsFileError::NotFound)?];
        let value: serde_json::Value =
            serde_json::from_str(block).map_err(|source| ParamsFileError::Json {
                line: Some(line + source.line() - 1),
                source,
            })?;
        from_meta(&value, Some(line)).ok_or(ParamsFileError::NotFound)?
    } else if trimmed.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| ParamsFileError::Json {
                line: Some(source.line()),
                source,
            })?;
        match value.get("meta") {
            // a JSON report
            Some(meta) => from_meta(meta, None).ok_or(ParamsFileError::NotFound)?,
            // an object of parameters
            None => (value, None, None, None),
        }
    } else {
        let (mut found, mut database_digest, mut engine) = (None, None, None);
        for (index, row) in text.lines().enumerate() {
            let Some(provenance) = row.strip_prefix("# ") else {
                break;
            };
            let line = index + 1;
            let (key, field) = provenance.split_once('\t').unwrap_or((provenance, ""));
            match key {
                "engine" => engine = Some(field.to_string()),
                "database_digest" => {
                    database_digest =
                        Some(field.strip_prefix("sha256:").unwrap_or(field).to_string());
                }
                "screen_params" => {
                    let value: serde_json::Value =
                        serde_json::from_str(field).map_err(|source| ParamsFileError::Json {
                            line: Some(line),
                            source,
                        })?;
                    found = Some((value, line));
                }
                _ => {}
            }
        }
        let (value, line) = found.ok_or(ParamsFileError::NotFound)?;
        (value, Some(line), database_digest, engine)
    };
    if !overlay.is_object() {
        return Err(ParamsFileError::NotAnObject { line });
    }
    let mut merged = serde_json::to_value(base)
        .map_err(|source| ParamsFileError::Json { line: None, source })?;
    merge_json(&mut merged, overlay);
    let params: ScreenParams =
        serde_json::from_value(merged).map_err(|source| ParamsFileError::Json { line, source })?;
    params.validate()?;
    Ok(RecordedParams {
        params,
        database_digest,
        engine,
    })
}

/// Writes the fields of `overlay` over `base`, object by object.
fn merge_json(base: &mut serde_json::Value, overlay: serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(base), serde_json::Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(slot) => merge_json(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn rows_without_regions_have_every_column() {
        let record = RecordReport {
            record: "r\t1".into(),
            file: "f".into(),
            length: 10,
            status: Status::Warn,
            regions: Vec::new(),
            note: Some("short".into()),
        };
        let rows = tsv_rows(&record);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), TSV_HEADER.len());
        let mut out = Vec::new();
        write_tsv_record(&mut out, &record).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text.matches('\t').count(), TSV_HEADER.len() - 1);
    }
}

#[cfg(test)]
mod params_tests {
    use super::*;

    fn changed() -> ScreenParams {
        let mut params = ScreenParams {
            min_fragment_nt: 40,
            max_evalue: 1e-5,
            ..ScreenParams::default()
        };
        params.search.x_drop_dna = 30;
        params.search.protein_level = false;
        params
    }

    fn meta(params: &ScreenParams) -> ReportMeta {
        ReportMeta {
            engine: "bwcv-seq test".into(),
            database_digest: "ab".repeat(32),
            database_list_source: "list".into(),
            database_inputs: Vec::new(),
            build_params: BuildParams::default(),
            screen_params: params.clone(),
            protocol_parameters: None,
            inputs: vec!["orders.fa".into()],
        }
    }

    fn empty_report(params: &ScreenParams) -> Report {
        Report {
            meta: meta(params),
            summary: Summary::default(),
            records: Vec::new(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn a_tsv_report_gives_back_its_parameters() {
        let params = changed();
        let mut out = Vec::new();
        write_tsv_header(&mut out, &meta(&params)).expect("header");
        out.extend_from_slice(b"orders.fa\tr1\t50\tpass\n");
        let text = String::from_utf8(out).expect("utf8");
        let recorded = screen_params_from(&text, &ScreenParams::default()).expect("read");
        assert_eq!(recorded.params, params);
        assert_eq!(
            recorded.database_digest.as_deref(),
            Some("ab".repeat(32).as_str())
        );
        assert_eq!(recorded.engine.as_deref(), Some("bwcv-seq test"));
    }

    #[test]
    fn a_json_report_gives_back_its_parameters() {
        let params = changed();
        let report = empty_report(&params);
        let text = serde_json::to_string_pretty(&report).expect("json");
        let recorded = screen_params_from(&text, &ScreenParams::default()).expect("read");
        assert_eq!(recorded.params, params);
        assert_eq!(recorded.database_digest, Some("ab".repeat(32)));
    }

    #[test]
    fn an_html_report_gives_back_its_parameters() {
        let params = changed();
        let report = empty_report(&params);
        let mut out = Vec::new();
        write_html(&mut out, &report).expect("html");
        let text = String::from_utf8(out).expect("utf8");
        let recorded = screen_params_from(&text, &ScreenParams::default()).expect("read");
        assert_eq!(recorded.params, params);
        assert_eq!(recorded.database_digest, Some("ab".repeat(32)));
        assert_eq!(recorded.engine.as_deref(), Some("bwcv-seq test"));
        // the block is the report's last element but one, on its own line
        let block_line = text
            .lines()
            .position(|line| line.starts_with(HTML_PROVENANCE_OPEN))
            .expect("provenance block")
            + 1;
        // a bad field in the block is named with the block's line
        let edited = text.replace("\"x_drop_dna\":30", "\"x_drop_dna\":-30");
        let error = screen_params_from(&edited, &ScreenParams::default()).expect_err("range");
        assert!(
            error.to_string().contains("search.x_drop_dna = -30"),
            "{error}"
        );
        let edited = text.replace("\"x_drop_dna\":30", "\"x_drop_dna\":oops");
        let error = screen_params_from(&edited, &ScreenParams::default()).expect_err("syntax");
        assert!(
            error
                .to_string()
                .starts_with(&format!("line {block_line}: ")),
            "{error}"
        );
        // a block without its end, or without parameters, is not found
        let unterminated = text.replace("</script>", "");
        let error = screen_params_from(&unterminated, &ScreenParams::default()).expect_err("end");
        assert!(matches!(error, ParamsFileError::NotFound), "{error}");
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let value = serde_json::json!({"note": "</script><b>x</b>"});
        let text = script_json(&value).expect("json");
        assert!(!text.contains('<'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, value);
    }

    #[test]
    fn a_partial_object_changes_only_what_it_names() {
        let base = ScreenParams {
            min_fragment_nt: 60,
            ..ScreenParams::default()
        };
        let text = r#"{"margin_bits_per_nt": 0.5, "search": {"x_drop_dna": 25}}"#;
        let recorded = screen_params_from(text, &base).expect("read");
        let mut expected = base.clone();
        expected.margin_bits_per_nt = 0.5;
        expected.search.x_drop_dna = 25;
        assert_eq!(recorded.params, expected);
        assert_eq!(recorded.database_digest, None);
    }

    #[test]
    fn bad_files_are_refused_with_the_line_or_field() {
        let base = ScreenParams::default();
        let cases: &[(&str, &str)] = &[
            (
                r#"{"search": {"x_drp_dna": 25}}"#,
                "unknown field `x_drp_dna`",
            ),
            (r#"{"max_evalue": "small"}"#, "invalid type"),
            ("{\n  \"max_evalue\": 1e-3,\n  oops\n}", "line 3"),
            (
                "# engine\tx\n# screen_params\t{\"merge_gap_nt\": -1}\nfile\n",
                "line 2",
            ),
            (
                "# engine\tx\n# screen_params\t[1, 2]\n",
                "line 2: screen parameters must be a JSON object",
            ),
            ("file\trecord\n", "no screen parameters found"),
            // a JSON report without its parameters, an HTML page without the block
            (r#"{"meta": {"engine": "x"}}"#, "no screen parameters found"),
            (
                "<!DOCTYPE html>\n<p>report</p>\n",
                "no screen parameters found",
            ),
            ("", "no screen parameters found"),
            (
                r#"{"search": {"x_drop_dna": -4}}"#,
                "search.x_drop_dna = -4",
            ),
            (r#"{"warn_evalue": 1e-9}"#, "warn_evalue = 0.000000001"),
        ];
        for (text, expected) in cases {
            let error = screen_params_from(text, &base).expect_err(text);
            assert!(
                error.to_string().contains(expected),
                "{text:?}: {error} (expected {expected:?})"
            );
        }
    }
}
