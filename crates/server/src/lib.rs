//! Strata's HTTP server: the routes of API.md over the storage engine.
//!
//! [`serve`] opens the databases (an engine each, recovering its WAL), binds the listener, prints
//! `listening on ADDR` (stdout and log) and serves [`router`] until SIGINT/SIGTERM, then
//! drains in-flight requests and closes the engines. Modules, one job each: [`connections`]
//! (accepting, connection limits and timeouts), [`config`]
//! (options), [`databases`] (namespaces, an engine each), [`args`] (flags and precedence), [`units`] (sizes and durations), [`error`] (the error
//! type and its HTTP mapping), [`auth`], [`body`] (size cap, gzip), [`limits`], [`ingest`]
//! (parse, check, convert, write), [`routes`], [`metrics`], [`shutdown`], [`logging`].

pub mod args;
pub mod auth;
pub mod backups;
pub mod body;
pub mod cold;
pub mod config;
pub mod connections;
pub mod databases;
pub mod error;
pub mod ingest;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod routes;
pub mod series_cache;
pub mod shutdown;
pub mod state;
pub mod units;

use std::io::Write as _;
use std::sync::Arc;

use databases::Databases;

pub use args::ServeArgs;
pub use config::{Limits, ServerConfig};
pub use error::ServerError;
pub use routes::router;
pub use state::AppState;

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(config: ServerConfig) -> Result<(), ServerError> {
    config.validate()?;
    let opts = config.engine_options()?;
    tracing::info!(data_dir = %config.data_dir.display(), wal_sync = %opts.wal_sync, "opening the engine");
    let databases = tokio::task::spawn_blocking(move || Databases::open(opts))
        .await
        .map_err(|e| ServerError::Internal(format!("engine open task failed: {e}")))??;
    let databases = Arc::new(databases);
    let result = run(&config, databases.clone()).await;
    let closing = databases.clone();
    let closed = tokio::task::spawn_blocking(move || closing.close())
        .await
        .map_err(|e| ServerError::Internal(format!("engine close task failed: {e}")))?;
    match (&result, closed) {
        (_, Err(e)) => {
            tracing::error!(error = %e, "closing the engine failed");
            result.and(Err(e))
        }
        (Ok(()), Ok(())) => {
            tracing::info!("engine closed; bye");
            result
        }
        (Err(_), Ok(())) => result,
    }
}

async fn run(config: &ServerConfig, databases: Arc<Databases>) -> Result<(), ServerError> {
    let state = AppState::new(databases, config)?;
    let listener = tokio::net::TcpListener::bind(&config.http_addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.http_addr.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    tracing::info!(auth = state.auth_token().is_some(), "listening on {addr}");
    // Tests and scripts read the bound port from this line.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {addr}");
    let _ = stdout.flush();

    let (tx, mut rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        let _ = tx.send(true);
    });
    if let Some(cold) = state.cold() {
        cold.clone().spawn(state.databases().clone(), rx.clone());
    }
    let l = &config.limits;
    let limits = connections::ConnectionLimits {
        header_timeout: l.header_timeout.0,
        idle_timeout: l.idle_timeout.0,
        max_connections: l.max_connections,
    };
    let server = connections::serve(listener, router(state), limits, rx.clone());
    let drain_timeout = config.shutdown_timeout.0;
    let watchdog = async move {
        let _ = rx.wait_for(|stop| *stop).await;
        tokio::time::sleep(drain_timeout).await;
    };
    tokio::select! {
        () = server => Ok(()),
        () = watchdog => {
            tracing::warn!(timeout = ?drain_timeout, "requests still in flight after the shutdown timeout: closing anyway");
            Ok(())
        }
    }
}
