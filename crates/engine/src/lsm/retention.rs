//! Retention: raw files (L0/L1) of every partition whose last timestamp is older than
//! `now - retention` are dropped whole, and rollup files (L2) of those older than
//! `now - rollup_retention`. [`plan`] picks them (pure); [`run`] commits their removal.

use std::sync::Arc;
use std::time::Duration;

use super::manifest::ROLLUP_LEVEL;
use super::partition::partition_last;
use super::tables::{Change, Tables};
use super::version::{TableHandle, Version};
use crate::error::Result;
use crate::options::EngineOptions;

/// `now - age`, saturating (ns).
pub fn cutoff(now: i64, age: Duration) -> i64 {
    now.saturating_sub(i64::try_from(age.as_nanos()).unwrap_or(i64::MAX))
}

/// The tables whose partition ended before its level's cutoff at `now` (ns).
pub fn plan(version: &Version, opts: &EngineOptions, now: i64) -> Vec<Arc<TableHandle>> {
    let raw = opts.retention.map(|a| cutoff(now, a));
    let rollups = opts.rollup_retention.map(|a| cutoff(now, a));
    version
        .tables
        .iter()
        .filter(|t| {
            let limit = if t.meta.level == ROLLUP_LEVEL {
                rollups
            } else {
                raw
            };
            limit.is_some_and(|c| partition_last(t.meta.partition, opts.partition_width) < c)
        })
        .cloned()
        .collect()
}

/// Drops `expired`; returns how many files went.
pub fn run(tables: &Tables, expired: Vec<Arc<TableHandle>>) -> Result<usize> {
    let n = expired.len();
    if n > 0 {
        tables.commit(Change {
            removed: expired,
            ..Change::default()
        })?;
        tracing::info!(files = n, "retention dropped expired partitions");
    }
    Ok(n)
}
