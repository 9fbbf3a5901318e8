//! `bwcv ledger`: keys and checkpoints of the evidence ledger
//! (`bwcv_ledger::note`, `bwcv_ledger::checkpoint`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use std::collections::BTreeMap;

use bwcv_ledger::checkpoint::{SignedCheckpoint, Witness};
use bwcv_ledger::merkle::Hash;
use bwcv_ledger::note::{SignatureType, SignerKey, VerifierKey};
use rand::RngCore;

use crate::output::{self, EXIT_FOUND, EXIT_OK, Format};

/// Keys and signed checkpoints of the evidence ledger (C2SP signed notes
/// with Ed25519, tlog-checkpoint, tlog-cosignature/v1).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LedgerCommand {
    /// Generate an Ed25519 key: writes the secret key
    /// (`PRIVATE+KEY+name+keyid+base64`) to --out (mode 0600 on Unix) and
    /// prints the public verifier key (vkey, `name+keyid+base64`) to stdout.
    ///
    /// Key names are non-empty and contain no spaces and no '+'; use a
    /// schema-less URL (`ledger.example.org/log`, `inspector-7.example.org`).
    ///
    /// Exit codes: 0 written; 2 bad name, or the file exists or cannot be
    /// written.
    ///
    /// Example:
    ///   bwcv ledger keygen --name witness.example.org/ec --cosigner --out ec.key
    Keygen {
        /// Key name.
        #[arg(long)]
        name: String,
        /// Make a cosigner key (signature type 0x04, tlog-cosignature/v1)
        /// instead of a note signing key (type 0x01).
        #[arg(long)]
        cosigner: bool,
        /// Where to write the secret key (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Cosign a checkpoint as a witness (tlog-cosignature/v1), e.g. as the
    /// inspected State Party or an Executive Council witness.
    ///
    /// The checkpoint's log signature is checked with --log-key, and its
    /// consistency with the last checkpoint this witness cosigned for the
    /// same origin (kept in --state, a JSON file created on first use) with
    /// the consistency proof in --proof (hex hashes, one per line; empty or
    /// absent for the first checkpoint). A roll-back, a different root for
    /// a size already cosigned, or a failing proof is refused with the
    /// reason. On success the note with the cosignature appended is printed
    /// and the state file updated.
    ///
    /// Exit codes: 0 cosigned; 1 refused (reason on stderr); 2 a file or
    /// key cannot be read.
    ///
    /// Example:
    ///   bwcv ledger cosign --key arc.key --log-key 'ledger.example.org/log+…' --state arc-witness.json --note cp.txt --proof proof.txt
    Cosign {
        /// The witness's secret key file (from `keygen --cosigner`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The log's verifier key (vkey); its name is the log's origin.
        #[arg(long = "log-key", value_name = "VKEY")]
        log_key: String,
        /// The witness state file (JSON).
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// The signed checkpoint note to cosign.
        #[arg(long, value_name = "FILE")]
        note: PathBuf,
        /// Consistency proof from the last cosigned size (hex, one per line).
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// Cosignature time, POSIX seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
    },
    /// Verify a signed checkpoint (a C2SP signed note, tlog-checkpoint
    /// body) against the log's key and, optionally, cosigner keys.
    ///
    /// Output: one row: origin, size, root (hex), log signers, cosigners
    /// (name@timestamp). Exit codes: 0 the log signature (and every
    /// --require-cosigner) verifies; 1 it does not; 2 the note or a key
    /// cannot be read.
    ///
    /// Example:
    ///   bwcv ledger verify-checkpoint checkpoint.txt --key 'ledger.example.org/log+1a2b3c4d+AR...'
    VerifyCheckpoint {
        /// File with the signed checkpoint note.
        note: PathBuf,
        /// The log's verifier key (vkey, repeatable).
        #[arg(long = "key", value_name = "VKEY", required = true)]
        keys: Vec<String>,
        /// A cosigner's verifier key (vkey, type 0x04, repeatable).
        #[arg(long = "cosigner", value_name = "VKEY")]
        cosigners: Vec<String>,
        /// A cosigner name whose valid cosignature is required (repeatable).
        #[arg(long = "require-cosigner", value_name = "NAME")]
        required: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tsv)]
        format: Format,
    },
}

pub fn run(args: Args, _global: &super::Global) -> anyhow::Result<ExitCode> {
    match args.command {
        LedgerCommand::Keygen {
            name,
            cosigner,
            out,
        } => keygen(&name, cosigner, &out),
        LedgerCommand::Cosign {
            key,
            log_key,
            state,
            note,
            proof,
            time,
        } => cosign(&key, &log_key, &state, &note, proof.as_deref(), time),
        LedgerCommand::VerifyCheckpoint {
            note,
            keys,
            cosigners,
            required,
            format,
        } => verify_checkpoint(&note, &keys, &cosigners, &required, format),
    }
}

fn keygen(name: &str, cosigner: bool, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signature_type = if cosigner {
        SignatureType::CosignatureV1
    } else {
        SignatureType::Ed25519
    };
    let key = SignerKey::from_seed(name, signature_type, seed).context("--name")?;
    write_secret(out, &(key.to_secret_text() + "\n"))
        .with_context(|| format!("writing secret key {}", out.display()))?;
    let stdout = std::io::stdout();
    writeln!(stdout.lock(), "{}", key.verifier()).context("writing to stdout")?;
    Ok(ExitCode::from(EXIT_OK))
}

fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())
}

/// The witness state file: last cosigned size and root per origin.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessState {
    logs: BTreeMap<String, CosignedHead>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CosignedHead {
    size: u64,
    root: Hash,
}

fn cosign(
    key_path: &std::path::Path,
    log_key: &str,
    state_path: &std::path::Path,
    note_path: &std::path::Path,
    proof_path: Option<&std::path::Path>,
    time: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let key_text = std::fs::read_to_string(key_path)
        .with_context(|| format!("reading secret key {}", key_path.display()))?;
    let key = SignerKey::parse(&key_text)
        .with_context(|| format!("reading secret key {}", key_path.display()))?;
    if key.verifier().signature_type != SignatureType::CosignatureV1 {
        anyhow::bail!(
            "{} is not a cosigner key (make one with `bwcv ledger keygen --cosigner`)",
            key_path.display()
        );
    }
    let log_key = VerifierKey::parse(log_key).context("--log-key")?;
    let state: WitnessState = match std::fs::read_to_string(state_path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("reading witness state {}", state_path.display()))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => WitnessState::default(),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("reading witness state {}", state_path.display()));
        }
    };
    let note = std::fs::read_to_string(note_path)
        .with_context(|| format!("reading checkpoint {}", note_path.display()))?;
    let proof = match proof_path {
        None => Vec::new(),
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading proof {}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(i, line)| {
                Hash::from_hex(line)
                    .with_context(|| format!("proof {} line {}", path.display(), i + 1))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    };
    let time = match time {
        Some(time) => time,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("system clock before 1970")?
            .as_secs(),
    };
    let mut witness = Witness::new(key);
    witness.follow(&log_key.name, log_key.clone());
    for (origin, head) in &state.logs {
        witness.restore(origin, head.size, head.root);
    }
    match witness.cosign(&note, &proof, time) {
        Err(refusal) => {
            eprintln!("refused: {refusal}");
            Ok(ExitCode::from(EXIT_FOUND))
        }
        Ok(cosigned) => {
            let state = WitnessState {
                logs: witness
                    .state()
                    .map(|(origin, size, root)| (origin.to_owned(), CosignedHead { size, root }))
                    .collect(),
            };
            let text = serde_json::to_string_pretty(&state).context("witness state")? + "\n";
            std::fs::write(state_path, text)
                .with_context(|| format!("writing witness state {}", state_path.display()))?;
            let stdout = std::io::stdout();
            write!(stdout.lock(), "{}", cosigned.to_text()).context("writing to stdout")?;
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}

#[derive(Debug, serde::Serialize)]
struct CheckpointRow {
    origin: String,
    size: u64,
    root: String,
    log_signers: Vec<String>,
    cosigners: Vec<String>,
    problem: Option<String>,
}

fn verify_checkpoint(
    path: &std::path::Path,
    keys: &[String],
    cosigners: &[String],
    required: &[String],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let parse = |texts: &[String], what: &str| {
        texts
            .iter()
            .map(|t| VerifierKey::parse(t).with_context(|| format!("{what} {t:?}")))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let log_keys = parse(keys, "--key")?;
    let cosigner_keys = parse(cosigners, "--cosigner")?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading checkpoint {}", path.display()))?;
    let signed = SignedCheckpoint::parse(&text)
        .with_context(|| format!("reading checkpoint {}", path.display()))?;
    let mut row = CheckpointRow {
        origin: signed.checkpoint.origin.clone(),
        size: signed.checkpoint.size,
        root: signed.checkpoint.root.to_hex(),
        log_signers: Vec::new(),
        cosigners: Vec::new(),
        problem: None,
    };
    match signed.verify(&log_keys, &cosigner_keys) {
        Ok(signers) => {
            row.log_signers = signers.log;
            row.cosigners = signers
                .cosigners
                .iter()
                .map(|c| format!("{}@{}", c.name, c.timestamp))
                .collect();
            let missing: Vec<&String> = required
                .iter()
                .filter(|name| !signers.cosigners.iter().any(|c| &c.name == *name))
                .collect();
            if !missing.is_empty() {
                row.problem = Some(format!(
                    "no valid cosignature by {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Err(error) => row.problem = Some(error.to_string()),
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => output::write_json(&mut out, &row)?,
        Format::Tsv => output::write_tsv(
            &mut out,
            &[
                "origin",
                "size",
                "root",
                "log_signers",
                "cosigners",
                "problem",
            ],
            &[vec![
                row.origin.clone(),
                row.size.to_string(),
                row.root.clone(),
                row.log_signers.join(","),
                row.cosigners.join(","),
                row.problem.clone().unwrap_or_default(),
            ]],
        )?,
    }
    Ok(ExitCode::from(if row.problem.is_none() {
        EXIT_OK
    } else {
        EXIT_FOUND
    }))
}
