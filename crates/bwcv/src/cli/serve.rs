//! `bwcv serve`: the verification portal (bwcv-server) on SQLite (default)
//! or PostgreSQL.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use bwcv_server::{AppState, Config};
use bwcv_store::Store;

use crate::output::EXIT_OK;

/// Serve the portal: server-rendered pages and the JSON API under /api/v1.
///
/// The database is created and migrated on first start. Create accounts
/// with `bwcv admin create-user`. Stop with Ctrl-C (in-flight requests
/// finish first).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Database: `sqlite://FILE` (default, in the working directory) or
    /// `postgres://...`.
    #[arg(long, value_name = "URL", default_value = "sqlite://bwcv.db")]
    pub database: String,
    /// Mark session cookies `Secure` (set when a TLS proxy fronts the portal).
    #[arg(long)]
    pub secure_cookies: bool,
    /// The evidence ledger's signing key (a secret key file from
    /// `bwcv ledger keygen --name ORIGIN --out FILE`; its name is the log
    /// origin). Without it a fresh key is drawn at every start, and
    /// checkpoints signed before a restart no longer verify against the
    /// running portal's key: use it in every real deployment.
    #[arg(long, value_name = "FILE")]
    pub log_key: Option<std::path::PathBuf>,
}

pub fn run(args: Args, global: &super::Global) -> anyhow::Result<ExitCode> {
    let mut config = portal_config(global)?;
    config.secure_cookies = args.secure_cookies;
    match &args.log_key {
        Some(path) => {
            let key = super::custody::read_log_key(path)?;
            config.log_origin = key.name().to_owned();
            config.log_key = std::sync::Arc::new(key);
        }
        None => eprintln!(
            "bwcv portal: no --log-key given: ledger checkpoints are signed with a key drawn for this run only"
        ),
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        eprintln!(
            "bwcv portal: http://{address}/ (database {})",
            args.database
        );
        with_store!(&args.database, |store| serve_on(store, config, listener))
    })?;
    Ok(ExitCode::from(EXIT_OK))
}

/// The portal's settings: defaults plus the treaty parameters (built-in,
/// or the `--params` file).
pub(crate) fn portal_config(global: &super::Global) -> anyhow::Result<Config> {
    let params = match &global.params {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading parameter set {}", path.display()))?;
            bwcv_core::params::ParameterSet::from_toml_str(&text)
                .with_context(|| format!("parameter set {}", path.display()))?
        }
        None => bwcv_core::params::ParameterSet::builtin().clone(),
    };
    Config::from_params(&params).map_err(|error| anyhow::anyhow!("parameters: {error}"))
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Opens the store named by `$url` (`sqlite:...` or `postgres://...`) as
/// `$store` and evaluates the future `$body` with it (the body is written
/// once and compiled for each backend).
macro_rules! with_store {
    ($url:expr, |$store:ident| $body:expr) => {{
        let url: &str = $url;
        if url.starts_with("sqlite:") {
            let $store = bwcv_store_sqlite::SqliteStore::open(url)
                .await
                .with_context(|| format!("opening {url}"))?;
            $body.await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let $store = bwcv_store_postgres::PgStore::open(url)
                .await
                .with_context(|| format!("opening {url}"))?;
            $body.await
        } else {
            Err(anyhow::anyhow!(
                "unknown database URL {url:?}: expected sqlite://FILE or postgres://..."
            ))
        }
    }};
}
pub(crate) use with_store;

pub(crate) async fn serve_on<S: Store>(
    store: S,
    config: Config,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<()> {
    let state =
        AppState::new(store, config).map_err(|failure| anyhow::anyhow!("{}", failure.message()))?;
    bwcv_server::serve(state, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving HTTP")
}

/// `bwcv demo`: the portal on a SQLite file in a temporary directory,
/// seeded with the demo world of `seed`; prints the address and accounts.
pub(crate) fn run_demo(
    seed: u64,
    listen: SocketAddr,
    global: &super::Global,
) -> anyhow::Result<ExitCode> {
    let config = portal_config(global)?;
    let dir = tempfile::Builder::new()
        .prefix("bwcv-demo-")
        .tempdir()
        .context("creating the demo's temporary directory")?;
    let database = dir.path().join("bwcv-demo.db");
    let world = bwcv_declare::demo::generate(seed);
    let runtime = runtime()?;
    runtime.block_on(async {
        let store = bwcv_store_sqlite::SqliteStore::open_path(&database)
            .await
            .with_context(|| format!("opening {}", database.display()))?;
        let accounts = bwcv_server::demo::seed(&store, &world)
            .await
            .map_err(|failure| anyhow::anyhow!("seeding the demo: {}", failure.message()))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen} (choose another with --listen)"))?;
        let address = listener.local_addr().context("reading the bound address")?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "bwcv demo portal: http://{address}/  (database {}, deleted on exit; Ctrl-C stops)",
            database.display()
        )?;
        let rows: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    a.username.clone(),
                    a.password.clone(),
                    a.role.to_string(),
                    a.state_party
                        .as_ref()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        crate::output::write_tsv(
            &mut out,
            &["username", "password", "role", "state_party"],
            &rows,
        )?;
        out.flush().context("writing to stdout")?;
        drop(out);
        serve_on(store, config, listener).await
    })?;
    drop(dir);
    Ok(ExitCode::from(EXIT_OK))
}
