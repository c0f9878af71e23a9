//! The state every handler shares: the engine, the limits, the auth token and the metrics.

use std::sync::Arc;

use strata_engine::Engine;

use crate::config::{Limits, ServerConfig};
use crate::error::ServerError;
use crate::metrics::Metrics;
use crate::series_cache::SeriesCache;

/// Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Arc<Engine>,
    limits: Limits,
    allow_nan: bool,
    auth_token: Option<String>,
    metrics: Metrics,
    rw_series: SeriesCache,
    lp_series: SeriesCache,
    promql: strata_promql::PromqlOptions,
}

/// Bytes each series cache (remote write, line protocol) may hold (about 100,000 series of
/// Prometheus-sized label sets).
const SERIES_CACHE_BYTES: usize = 64 << 20;

impl AppState {
    /// State over an open engine; reads the auth token (file) named by `config`.
    pub fn new(engine: Arc<Engine>, config: &ServerConfig) -> Result<AppState, ServerError> {
        Ok(AppState {
            inner: Arc::new(Inner {
                engine,
                limits: config.limits,
                allow_nan: config.allow_nan,
                auth_token: config.resolve_auth_token()?,
                metrics: Metrics::default(),
                rw_series: SeriesCache::new(SERIES_CACHE_BYTES),
                lp_series: SeriesCache::new(SERIES_CACHE_BYTES),
                promql: strata_promql::PromqlOptions {
                    lookback_delta: config.query_lookback_delta.0,
                    timeout: config.query_timeout.0,
                    max_samples: config.query_max_samples,
                    max_series: config.query_max_series,
                    ..Default::default()
                },
            }),
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.inner.engine
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

    /// Remote-write label sets already turned into series.
    pub fn rw_series(&self) -> &SeriesCache {
        &self.inner.rw_series
    }

    /// Line-protocol series texts already turned into series.
    pub fn lp_series(&self) -> &SeriesCache {
        &self.inner.lp_series
    }
}
