//! `GET /api/v1/status[?db=NAME]` (an extension of API.md, what the console's status page
//! shows): the engine's own statistics as JSON, per database (all of them without `?db=`):
//! counters (points and batches written, flushes, compactions, backpressure), the WAL, the
//! MemTables, the block cache, SSTables with bytes and points per level and per partition
//! and level, background jobs (failures, panics, what is failing now) and the read-only
//! state. Counters are totals since the server started; a reader derives rates from two
//! readings and `uptime_seconds`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use serde_json::{Value, json};
use strata_engine::{BackgroundJob, LevelStats};

use crate::databases::Database;
use crate::error::ServerError;
use crate::routes::query_params;
use crate::state::AppState;

/// Level names, by level number.
const LEVELS: [&str; 3] = ["L0", "L1", "L2"];

/// See the module documentation.
pub async fn status(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let dbs = match params.get("db") {
        Some(name) => vec![state.databases().get(Some(name))?],
        None => state.databases().all(),
    };
    let databases: Vec<Value> = dbs.iter().map(|d| database_status(d)).collect();
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.uptime().as_secs_f64(),
        "databases": databases,
        "cold": state.cold().map(|c| c.status()),
    })))
}

fn database_status(db: &Database) -> Value {
    let engine = db.engine();
    let s = engine.stats();
    let levels: Vec<Value> = s
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| level_json(i, l))
        .collect();
    // Partition start -> per-level totals of its tables.
    let mut partitions: BTreeMap<i64, [LevelStats; 3]> = BTreeMap::new();
    // Partitions whose data is in the cold tier only (a cold listing stands for it).
    let mut cold: BTreeSet<i64> = BTreeSet::new();
    for t in engine.tables() {
        if t.level == strata_engine::COLD_LEVEL {
            cold.insert(t.partition);
            partitions.entry(t.partition).or_default();
            continue;
        }
        let l = &mut partitions.entry(t.partition).or_default()[usize::from(t.level).min(2)];
        l.files += 1;
        l.bytes += t.size;
        l.points += t.points;
    }
    let partitions: Vec<Value> = partitions
        .iter()
        .map(|(start, levels)| {
            let levels: Vec<Value> = levels
                .iter()
                .enumerate()
                .filter(|(_, l)| l.files > 0)
                .map(|(i, l)| level_json(i, l))
                .collect();
            json!({ "start_ns": start, "levels": levels, "cold": cold.contains(start) })
        })
        .collect();
    let mut jobs = serde_json::Map::new();
    for job in BackgroundJob::ALL {
        let c = engine.background_counts(job);
        jobs.insert(
            job.name().into(),
            json!({ "failures": c.failures, "panics": c.panics }),
        );
    }
    let failing: Vec<Value> = engine
        .background_failures()
        .iter()
        .map(|f| json!({ "job": f.job.name(), "error": f.error, "consecutive": f.consecutive }))
        .collect();
    json!({
        "name": db.name(),
        "read_only": engine.read_only_reason(),
        "points_written": s.points_written,
        "batches_written": s.batches_written,
        "flushes": s.flushes,
        "compactions": s.compactions,
        "backpressure": s.backpressure,
        "series": s.series,
        "tombstones": s.tombstones,
        "memtable": { "active_bytes": s.memtable_bytes, "frozen_bytes": s.frozen_memtable_bytes },
        "wal": {
            "bytes_written": s.wal.bytes_written,
            "records": s.wal.records,
            "batches": s.wal.batches,
            "fsyncs": s.wal.fsyncs,
            "segments_created": s.wal.segments_created,
        },
        "cache": { "hits": s.cache_hits, "misses": s.cache_misses, "bytes": s.cache_bytes },
        "levels": levels,
        "cold_partitions": s.cold_partitions,
        "partitions": partitions,
        "jobs": jobs,
        "background_failures": failing,
    })
}

fn level_json(level: usize, l: &LevelStats) -> Value {
    json!({
        "level": LEVELS.get(level).copied().unwrap_or("L?"),
        "files": l.files,
        "bytes": l.bytes,
        "points": l.points,
    })
}
