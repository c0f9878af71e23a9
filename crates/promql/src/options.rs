//! Evaluation limits and defaults, with Prometheus 2.42's values.

use std::time::Duration;

/// How queries are evaluated.
#[derive(Debug, Clone)]
pub struct PromqlOptions {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`).
    pub lookback_delta: Duration,
    /// Most samples one query may hold in memory at once (`--query.max-samples`).
    pub max_samples: usize,
    /// Most series one selector may select.
    pub max_series: usize,
    /// Longest a query may run unless the request asks for less (`--query.timeout`).
    pub timeout: Duration,
    /// Step of a subquery written without one (`global.evaluation_interval`).
    pub default_subquery_step: Duration,
}

impl Default for PromqlOptions {
    fn default() -> Self {
        PromqlOptions {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            max_series: 1_000_000,
            timeout: Duration::from_secs(120),
            default_subquery_step: Duration::from_secs(60),
        }
    }
}

/// Most points one series of a range query may have (Prometheus' fixed limit).
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;
