//! `bwcv admin`: accounts of the portal.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bwcv_core::StatePartyCode;
use bwcv_store::{NewUser, Role, Store, StoreError};

use crate::output::{EXIT_OK, Format, write_json, write_tsv};

/// Administer the portal's accounts.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an account. Without --password-stdin a random password is
    /// generated and printed once.
    CreateUser(CreateUser),
    /// Create an API token (Bearer) for an account, for scripts and the
    /// CLI; the token is printed once, the portal keeps only its hash.
    CreateToken(CreateToken),
}

#[derive(Debug, clap::Args)]
pub struct CreateToken {
    /// The account the token acts for.
    #[arg(long)]
    pub username: String,
    /// What the token is for.
    #[arg(long, default_value = "cli")]
    pub name: String,
    /// Validity in days (1 to 366).
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, value_name = "URL", default_value = "sqlite://bwcv.db")]
    pub database: String,
}

#[derive(Debug, clap::Args)]
pub struct CreateUser {
    /// Login name (stored in lower case).
    #[arg(long)]
    pub username: String,
    /// national_authority, secretariat_analyst, inspector, laboratory,
    /// council_member or administrator.
    #[arg(long)]
    pub role: String,
    /// The State Party a national authority officer acts for (e.g. XAR).
    #[arg(long, value_name = "CODE")]
    pub state_party: Option<String>,
    /// Name shown in the portal (default: the username).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, value_name = "URL", default_value = "sqlite://bwcv.db")]
    pub database: String,
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
}

pub fn run(args: Args, _global: &super::Global) -> anyhow::Result<ExitCode> {
    match args.command {
        AdminCommand::CreateUser(create) => create_user(create),
        AdminCommand::CreateToken(create) => create_token(create),
    }
}

fn create_token(args: CreateToken) -> anyhow::Result<ExitCode> {
    if !(1..=366).contains(&args.days) {
        bail!("--days must be between 1 and 366");
    }
    let token = bwcv_server::auth::random_secret();
    let hash = bwcv_server::auth::secret_hash(&token);
    let username = args.username.trim().to_lowercase();
    let runtime = super::serve::runtime()?;
    runtime.block_on(async {
        super::serve::with_store!(&args.database, |store| insert_token(
            store,
            username.clone(),
            args.name.clone(),
            hash.clone(),
            args.days
        ))
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}").context("writing to stdout")?;
    Ok(ExitCode::from(EXIT_OK))
}

async fn insert_token<S: Store>(
    store: S,
    username: String,
    name: String,
    token_hash: String,
    days: i64,
) -> anyhow::Result<()> {
    let user = store
        .find_user_by_username(&username)
        .await
        .map_err(|e| anyhow::anyhow!("looking up {username:?}: {e}"))?
        .ok_or_else(|| anyhow::anyhow!("no account {username:?}"))?;
    let now = chrono::Utc::now();
    store
        .create_api_token(bwcv_store::NewApiToken {
            token_hash,
            user_id: user.id,
            name,
            created_at: now,
            expires_at: Some(now + chrono::Duration::days(days)),
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating the token: {e}"))?;
    cli_audit(&store, "token.create", user.id).await
}

/// The audit record of an account change made with this CLI (no portal
/// session: the actor is the operator at the server's console).
async fn cli_audit<S: Store>(
    store: &S,
    action: &str,
    user: bwcv_store::UserId,
) -> anyhow::Result<()> {
    store
        .append_audit(bwcv_store::NewAuditRecord {
            at: chrono::Utc::now(),
            actor: None,
            actor_role: None,
            action: action.to_owned(),
            object_kind: "account".into(),
            object_id: Some(user.to_string()),
            classification: bwcv_core::Classification::Unclassified,
            justification: "bwcv admin (server console)".into(),
            outcome: bwcv_store::AuditOutcome::Success,
            detail: serde_json::Value::Null,
        })
        .await
        .map_err(|e| anyhow::anyhow!("writing the audit record: {e}"))?;
    Ok(())
}

async fn insert_user<S: Store>(store: S, user: NewUser) -> anyhow::Result<()> {
    let username = user.username.clone();
    match store.create_user(user).await {
        Ok(created) => cli_audit(&store, "account.create", created.id).await,
        Err(StoreError::Conflict) => bail!("username {username:?} is already taken"),
        Err(error) => Err(anyhow::anyhow!("creating the account: {error}")),
    }
}

fn create_user(args: CreateUser) -> anyhow::Result<ExitCode> {
    let username = args.username.trim().to_lowercase();
    if username.is_empty() {
        bail!("--username is empty");
    }
    let role: Role = args
        .role
        .parse()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let state_party = args
        .state_party
        .as_deref()
        .map(StatePartyCode::new)
        .transpose()
        .context("--state-party")?;
    if role == Role::NationalAuthority && state_party.is_none() {
        bail!("--state-party is required for a national_authority account");
    }
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.chars().count() < 12 {
            bail!("the password must have at least 12 characters");
        }
        (password, false)
    } else {
        (bwcv_server::auth::random_secret(), true)
    };
    let password_hash = bwcv_server::hash_password_blocking(&password)
        .map_err(|failure| anyhow::anyhow!("{}", failure.message()))?;
    let user = NewUser {
        username: username.clone(),
        display_name: args.display_name.unwrap_or_else(|| username.clone()),
        role,
        state_party: state_party.clone(),
        password_hash,
        created_at: chrono::Utc::now(),
    };
    let runtime = super::serve::runtime()?;
    runtime.block_on(async {
        super::serve::with_store!(&args.database, |store| insert_user(store, user))
    })?;
    let shown_password = if generated { password } else { String::new() };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Tsv => write_tsv(
            &mut out,
            &["username", "role", "state_party", "password"],
            &[vec![
                args.username.trim().to_lowercase(),
                role.to_string(),
                state_party.map(|s| s.to_string()).unwrap_or_default(),
                shown_password,
            ]],
        )?,
        Format::Json => write_json(
            &mut out,
            &serde_json::json!({
                "username": args.username.trim().to_lowercase(),
                "role": role.as_str(),
                "state_party": state_party.map(|s| s.to_string()),
                "password": if generated { Some(shown_password) } else { None },
            }),
        )?,
    }
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::from(EXIT_OK))
}
