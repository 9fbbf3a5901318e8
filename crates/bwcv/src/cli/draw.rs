//! `bwcv draw`: the publicly verifiable yearly draw of transparency visits
//! (`bwcv_cases::draw`): announce it, run it when the randomness exists,
//! and let anyone verify the published record.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bwcv_cases::drand::{self, QUICKNET_CHAIN_HASH};
use bwcv_cases::draw::{
    self, BeaconValue, DrawAnnouncement, DrawRecord, DrawRules, PastSelection, PoolEntry,
    RandomnessSource, TypeWeight,
};
use bwcv_cases::rfc3797::Number;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::output::{self, EXIT_FOUND, EXIT_OK, Format};

/// The yearly random draw of transparency visits, verifiable by anyone.
///
/// 1. `announce` publishes the pool of declared facilities (sorted, with its
///    digest), the rules (caps and weights from the parameter set in force)
///    and the future randomness: a drand quicknet round and/or a lottery.
///    Log the announcement digest before the randomness exists.
/// 2. `run` takes the beacon values once they exist, checks a drand round
///    against the pinned quicknet public key, and draws by RFC 3797.
/// 3. `verify` re-runs a published draw record and says exactly what
///    differs, if anything.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DrawCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DrawCommand {
    /// Make a draw announcement from a pool of declared facilities.
    ///
    /// POOL.json: a JSON array of {"facility": "ARC-F0001",
    /// "declaration_type": "A1"}. HISTORY.json (optional): a JSON array of
    /// {"year": 2025, "facility": "ARC-F0001"}, the facilities selected in
    /// earlier years (only the years inside the facility window count).
    /// Caps and the publication lead time come from the parameters
    /// (visits.random.*, draw.publication_lead_days; see `bwcv params show`).
    ///
    /// Writes the announcement (JSON) to --out and prints its summary:
    /// draw_id, year, facilities, pool_digest, announcement_digest, sources.
    ///
    /// Exit codes: 0 written; 2 unreadable input or an invalid announcement
    /// (duplicate facility, randomness too soon after the announcement).
    ///
    /// Examples:
    ///   bwcv draw announce --pool pool.json --year 2027 --draw-id draw-2027 \
    ///     --announced-at 2026-11-01T00:00:00Z --drand-round 1000000 --out announcement.json
    ///   bwcv draw announce --pool pool.json --year 2027 --draw-id draw-2027 \
    ///     --announced-at 2026-11-01T00:00:00Z --drand-at 2027-01-15T12:00:00Z \
    ///     --lottery 'State Lotto|2027-01-16T20:00:00Z|6' --weight A2=2 --out a.json
    #[command(verbatim_doc_comment)]
    Announce {
        /// The pool of declared facilities (JSON array).
        #[arg(long, value_name = "POOL.json")]
        pool: PathBuf,
        /// Earlier selections for the facility cap (JSON array).
        #[arg(long, value_name = "HISTORY.json")]
        history: Option<PathBuf>,
        /// The year the visits are for.
        #[arg(long)]
        year: i32,
        /// The draw's identifier.
        #[arg(long)]
        draw_id: String,
        /// When the announcement is published (RFC 3339, UTC).
        #[arg(long, value_name = "TIME")]
        announced_at: DateTime<Utc>,
        /// A future drand quicknet round as source of randomness.
        #[arg(long, value_name = "ROUND")]
        drand_round: Option<u64>,
        /// The first quicknet round at or after this time (RFC 3339).
        #[arg(long, value_name = "TIME", conflicts_with = "drand_round")]
        drand_at: Option<DateTime<Utc>>,
        /// A future lottery as source: 'NAME|DRAW-TIME|NUMBERS' (repeatable).
        #[arg(long, value_name = "SPEC")]
        lottery: Vec<String>,
        /// Tickets per facility of a declaration type: TYPE=N (repeatable;
        /// others have 1).
        #[arg(long, value_name = "TYPE=N")]
        weight: Vec<String>,
        /// Where to write the announcement (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Run an announced draw with the beacon values, in announced order.
    ///
    /// --beacon takes, for each announced source in order:
    ///   drand:ROUND:SIGNATURE_HEX   a quicknet round (checked against the
    ///                               pinned public key)
    ///   FILE.json                   a quicknet round as the drand HTTP API
    ///                               prints it: {"round":..,"signature":..}
    ///   lottery:N,N,N               the numbers of an announced lottery
    ///
    /// Writes the draw record (announcement, its digest, beacons, result) to
    /// --out and prints the selection: order, facility, state_party,
    /// declaration_type, counter, digest, tickets_remaining, ticket.
    ///
    /// Exit codes: 0 drawn; 2 unreadable input, or a beacon that does not
    /// match the announcement or does not verify.
    ///
    /// Example:
    ///   bwcv draw run --announcement announcement.json \
    ///     --beacon drand:1000:b44679b9...5e39 --out draw.json
    #[command(verbatim_doc_comment)]
    Run {
        /// The announcement made by `bwcv draw announce`.
        #[arg(long, value_name = "FILE")]
        announcement: PathBuf,
        /// A beacon value (repeatable, in announced order).
        #[arg(long, value_name = "VALUE", required = true)]
        beacon: Vec<String>,
        /// Where to write the draw record (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Output format of the selection.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
    /// Print plain-language instructions for checking a draw record: the
    /// digests, the beacons and where to check them, the key string and
    /// how the selection follows from it.
    ///
    /// Exit codes: 0 printed; 2 the file cannot be read.
    ///
    /// Example:
    ///   bwcv draw explain draw.json
    #[command(verbatim_doc_comment)]
    Explain {
        /// The draw record written by `bwcv draw run`.
        #[arg(value_name = "DRAW.json")]
        record: PathBuf,
    },
    /// Re-run a published draw record and compare.
    ///
    /// Recomputes the announcement and pool digests, checks the beacons
    /// (drand against the pinned quicknet key), rebuilds the RFC 3797 key
    /// string and the whole selection, and lists every difference from the
    /// record. TSV: draw_id, status (same|differs), detail; one row per
    /// difference, or one "same" row.
    ///
    /// Exit codes: 0 the record is exactly what the method gives; 1 it
    /// differs; 2 the file cannot be read.
    ///
    /// Example:
    ///   bwcv draw verify draw.json
    #[command(verbatim_doc_comment)]
    Verify {
        /// The draw record written by `bwcv draw run`.
        #[arg(value_name = "DRAW.json")]
        record: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match args.command {
        DrawCommand::Announce {
            pool,
            history,
            year,
            draw_id,
            announced_at,
            drand_round,
            drand_at,
            lottery,
            weight,
            out: out_path,
            format,
        } => {
            let params = super::params::load(global)?;
            let mut rules = DrawRules::from_params(&params)
                .context("the parameter set does not give the draw's rules")?;
            rules.weights = parse_weights(&weight)?;
            let pool: Vec<PoolEntry> = read_json(&pool, "pool")?;
            let history: Vec<PastSelection> = match history {
                Some(path) => read_json(&path, "history")?,
                None => Vec::new(),
            };
            let mut sources = Vec::new();
            if let Some(round) = drand_round.or(drand_at.map(drand::first_round_at_or_after)) {
                sources.push(RandomnessSource::Drand {
                    chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
                    round,
                });
            }
            for spec in &lottery {
                sources.push(parse_lottery(spec)?);
            }
            if sources.is_empty() {
                bail!(
                    "name at least one future source of randomness (--drand-round, --drand-at or --lottery)"
                );
            }
            let announcement =
                DrawAnnouncement::new(&draw_id, year, announced_at, rules, pool, history, sources)
                    .context("invalid announcement")?;
            write_json_file(&out_path, &announcement)?;
            write_announcement_summary(&mut out, &announcement, format)?;
            EXIT_OK
        }
        DrawCommand::Run {
            announcement,
            beacon,
            out: out_path,
            format,
        } => {
            let announcement: DrawAnnouncement = read_json(&announcement, "announcement")?;
            let beacons = beacon
                .iter()
                .map(|value| parse_beacon(value))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let record = draw::run(&announcement, &beacons).context("the draw cannot be run")?;
            write_json_file(&out_path, &record)?;
            write_selection(&mut out, &record, format)?;
            EXIT_OK
        }
        DrawCommand::Explain { record } => {
            let record: DrawRecord = read_json(&record, "draw record")?;
            out.write_all(draw::verification_instructions(&record).as_bytes())
                .context("writing to stdout")?;
            EXIT_OK
        }
        DrawCommand::Verify { record, format } => {
            let record: DrawRecord = read_json(&record, "draw record")?;
            let differences = draw::verify(&record);
            write_verification(&mut out, &record, &differences, format)?;
            if differences.is_empty() {
                EXIT_OK
            } else {
                EXIT_FOUND
            }
        }
    };
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::from(code))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {what} file {shown}"))?;
    serde_json::from_str(&text).with_context(|| format!("{shown} is not a valid {what} (JSON)"))
}

fn write_json_file<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("serialising JSON")?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn parse_weights(specs: &[String]) -> anyhow::Result<Vec<TypeWeight>> {
    let mut weights = Vec::new();
    for spec in specs {
        let Some((declaration_type, tickets)) = spec.split_once('=') else {
            bail!("--weight {spec:?}: expected TYPE=N");
        };
        let tickets: u32 = tickets
            .trim()
            .parse()
            .with_context(|| format!("--weight {spec:?}: N must be a whole number"))?;
        weights.push(TypeWeight {
            declaration_type: declaration_type.trim().to_owned(),
            tickets,
        });
    }
    weights.sort_by(|a, b| a.declaration_type.cmp(&b.declaration_type));
    Ok(weights)
}

fn parse_lottery(spec: &str) -> anyhow::Result<RandomnessSource> {
    let parts: Vec<&str> = spec.split('|').collect();
    let [name, draw_date, numbers] = parts.as_slice() else {
        bail!("--lottery {spec:?}: expected 'NAME|DRAW-TIME|NUMBERS'");
    };
    let draw_date = DateTime::parse_from_rfc3339(draw_date.trim())
        .with_context(|| format!("--lottery {spec:?}: DRAW-TIME must be RFC 3339"))?
        .with_timezone(&Utc);
    let numbers: usize = numbers
        .trim()
        .parse()
        .with_context(|| format!("--lottery {spec:?}: NUMBERS must be a whole number"))?;
    if name.trim().is_empty() || numbers == 0 {
        bail!("--lottery {spec:?}: give the lottery's name and how many numbers it draws");
    }
    Ok(RandomnessSource::Lottery {
        name: name.trim().to_owned(),
        draw_date,
        numbers,
    })
}

fn parse_beacon(value: &str) -> anyhow::Result<BeaconValue> {
    if let Some(rest) = value.strip_prefix("drand:") {
        let Some((round, signature)) = rest.split_once(':') else {
            bail!("--beacon {value:?}: expected drand:ROUND:SIGNATURE_HEX");
        };
        let round: u64 = round
            .parse()
            .with_context(|| format!("--beacon {value:?}: ROUND must be a whole number"))?;
        return Ok(BeaconValue::Drand(drand::Beacon {
            round,
            signature: signature.to_owned(),
            randomness: None,
        }));
    }
    if let Some(rest) = value.strip_prefix("lottery:") {
        let numbers = rest
            .split(',')
            .map(|n| Number::parse(n.trim()).with_context(|| format!("--beacon {value:?}: {n:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        return Ok(BeaconValue::Lottery { numbers });
    }
    if value.ends_with(".json") {
        let beacon: drand::Beacon = read_json(Path::new(value), "drand beacon")?;
        return Ok(BeaconValue::Drand(beacon));
    }
    bail!("--beacon {value:?}: expected drand:ROUND:SIGNATURE_HEX, FILE.json or lottery:N,N,...")
}

fn describe_source(source: &RandomnessSource) -> String {
    match source {
        RandomnessSource::Drand { chain_hash, round } => {
            let at = drand::round_time(*round).to_rfc3339();
            if chain_hash == QUICKNET_CHAIN_HASH {
                format!("drand quicknet round {round} ({at})")
            } else {
                format!("drand chain {chain_hash} round {round}")
            }
        }
        RandomnessSource::Lottery {
            name,
            draw_date,
            numbers,
        } => format!(
            "lottery {name} on {} ({numbers} numbers)",
            draw_date.to_rfc3339()
        ),
    }
}

#[derive(Debug, Serialize)]
struct AnnouncementSummary<'a> {
    draw_id: &'a str,
    year: i32,
    facilities: usize,
    pool_digest: &'a str,
    announcement_digest: String,
    sources: Vec<String>,
    parameter_set_version: &'a str,
    parameter_set_digest: &'a str,
}

fn write_announcement_summary(
    out: &mut dyn Write,
    announcement: &DrawAnnouncement,
    format: Format,
) -> anyhow::Result<()> {
    let summary = AnnouncementSummary {
        draw_id: &announcement.draw_id,
        year: announcement.year,
        facilities: announcement.pool.len(),
        pool_digest: &announcement.pool_digest,
        announcement_digest: announcement.digest(),
        sources: announcement.sources.iter().map(describe_source).collect(),
        parameter_set_version: &announcement.rules.parameter_set_version,
        parameter_set_digest: &announcement.rules.parameter_set_digest,
    };
    match format {
        Format::Json => output::write_json(out, &summary),
        Format::Tsv => output::write_tsv(
            out,
            &[
                "draw_id",
                "year",
                "facilities",
                "pool_digest",
                "announcement_digest",
                "sources",
            ],
            &[vec![
                summary.draw_id.to_owned(),
                summary.year.to_string(),
                summary.facilities.to_string(),
                summary.pool_digest.to_owned(),
                summary.announcement_digest.clone(),
                summary.sources.join("; "),
            ]],
        ),
    }
}

fn write_selection(out: &mut dyn Write, record: &DrawRecord, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::write_json(out, &record.result),
        Format::Tsv => {
            let rows: Vec<Vec<String>> = record
                .result
                .picks
                .iter()
                .map(|pick| {
                    vec![
                        pick.order.to_string(),
                        pick.facility.to_string(),
                        pick.state_party.to_string(),
                        pick.declaration_type.clone(),
                        pick.counter.to_string(),
                        pick.digest_hex.clone(),
                        pick.tickets_remaining.to_string(),
                        pick.ticket.to_string(),
                    ]
                })
                .collect();
            output::write_tsv(
                out,
                &[
                    "order",
                    "facility",
                    "state_party",
                    "declaration_type",
                    "counter",
                    "digest",
                    "tickets_remaining",
                    "ticket",
                ],
                &rows,
            )
        }
    }
}

#[derive(Debug, Serialize)]
struct Verification<'a> {
    draw_id: &'a str,
    announcement_digest: &'a str,
    status: &'static str,
    selected: usize,
    key_string: &'a str,
    differences: Vec<DifferenceJson>,
}

#[derive(Debug, Serialize)]
struct DifferenceJson {
    detail: String,
    #[serde(flatten)]
    difference: draw::Difference,
}

fn write_verification(
    out: &mut dyn Write,
    record: &DrawRecord,
    differences: &[draw::Difference],
    format: Format,
) -> anyhow::Result<()> {
    let status = if differences.is_empty() {
        "same"
    } else {
        "differs"
    };
    match format {
        Format::Json => output::write_json(
            out,
            &Verification {
                draw_id: &record.announcement.draw_id,
                announcement_digest: &record.announcement_digest,
                status,
                selected: record.result.picks.len(),
                key_string: &record.result.key_string,
                differences: differences
                    .iter()
                    .map(|d| DifferenceJson {
                        detail: d.to_string(),
                        difference: d.clone(),
                    })
                    .collect(),
            },
        ),
        Format::Tsv => {
            let draw_id = record.announcement.draw_id.clone();
            let rows: Vec<Vec<String>> = if differences.is_empty() {
                vec![vec![
                    draw_id,
                    status.to_owned(),
                    format!(
                        "{} facilities selected from key string {}",
                        record.result.picks.len(),
                        record.result.key_string
                    ),
                ]]
            } else {
                differences
                    .iter()
                    .map(|d| vec![draw_id.clone(), status.to_owned(), d.to_string()])
                    .collect()
            };
            output::write_tsv(out, &["draw_id", "status", "detail"], &rows)
        }
    }
}
