//! The state every handler shares: the databases, the limits, the auth token and the metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backups::Backups;
use crate::cold::ColdTier;
use crate::config::{Limits, ServerConfig};
use crate::databases::Databases;
use crate::error::ServerError;
use crate::metrics::Metrics;

/// Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    databases: Arc<Databases>,
    limits: Limits,
    allow_nan: bool,
    auth_token: Option<String>,
    metrics: Metrics,
    promql: strata_promql::PromqlOptions,
    started: Instant,
    cold: Option<Arc<ColdTier>>,
    backups: Backups,
}

impl AppState {
    /// State over the open databases; reads the auth token (file) named by `config`.
    pub fn new(databases: Arc<Databases>, config: &ServerConfig) -> Result<AppState, ServerError> {
        let cold = ColdTier::open(config)?;
        if let Some(tier) = &cold {
            let tier = tier.clone();
            databases.set_on_open(move |db| tier.attach(db));
        }
        Ok(AppState {
            inner: Arc::new(Inner {
                databases,
                limits: config.limits,
                allow_nan: config.allow_nan,
                auth_token: config.resolve_auth_token()?,
                metrics: Metrics::default(),
                promql: strata_promql::PromqlOptions {
                    lookback_delta: config.query_lookback_delta.0,
                    timeout: config.query_timeout.0,
                    max_samples: config.query_max_samples,
                    max_series: config.query_max_series,
                    ..Default::default()
                },
                started: Instant::now(),
                cold,
                backups: Backups::default(),
            }),
        })
    }

    pub fn databases(&self) -> &Arc<Databases> {
        &self.inner.databases
    }

    /// How PromQL queries are evaluated.
    pub fn promql(&self) -> &strata_promql::PromqlOptions {
        &self.inner.promql
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Whether JSON and line protocol may carry NaN / infinite floats.
    pub fn allow_nan(&self) -> bool {
        self.inner.allow_nan
    }

    pub fn auth_token(&self) -> Option<&str> {
        self.inner.auth_token.as_deref()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The cold tier, when an object store is configured.
    pub fn cold(&self) -> Option<&Arc<ColdTier>> {
        self.inner.cold.as_ref()
    }

    /// Backups in progress.
    pub fn backups(&self) -> &Backups {
        &self.inner.backups
    }

    /// How long the server has been serving.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }
}
