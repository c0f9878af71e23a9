//! Administration: `POST /api/v1/delete` (tombstones for the matching series over a time
//! range), `POST /api/v1/admin/compact` (flush and compact now), `POST /api/v1/admin/export`
//! (export to the cold tier now), `GET /health` (the process
//! is up) and `GET /ready` (whether writes are accepted, and the background jobs failing).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use serde_json::{Value, json};
use strata_query::Filter;
use strata_query::time::range_to_ns;

use crate::error::ServerError;
use crate::routes::query::precision_param;
use crate::routes::{blocking, database, parse_json, query_params, with_body};
use crate::state::AppState;

/// The `POST /api/v1/delete` body; `start` (inclusive) and `end` (exclusive) in the request
/// precision (`?precision=`, default ms).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    pub measurement: String,
    pub start: i64,
    pub end: i64,
    #[serde(default)]
    pub filters: BTreeMap<String, Filter>,
}

/// `POST /api/v1/delete` -> `200 {"matched_series": N}`.
pub async fn delete(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let precision_ns = precision_param(&params)?;
    let db = database(&state, &params)?;
    with_body(&state, &headers, body, move |_, bytes| {
        let req: DeleteRequest = parse_json(bytes)?;
        if req.measurement.is_empty() {
            return Err(ServerError::bad(
                "invalid_delete",
                "\"measurement\" must not be empty",
            ));
        }
        // A range is a filter: bounds past what a timestamp can hold are clamped.
        let start = range_to_ns(req.start, precision_ns);
        let end = range_to_ns(req.end, precision_ns);
        if start >= end {
            return Err(ServerError::bad(
                "invalid_delete",
                format!(
                    "\"start\" ({}) must be before \"end\" ({})",
                    req.start, req.end
                ),
            ));
        }
        let engine = db.engine();
        let ids: Vec<u32> =
            strata_query::match_series(engine.catalog(), &req.measurement, &req.filters)?
                .iter()
                .collect();
        engine.delete(&ids, start, end)?;
        tracing::info!(measurement = %req.measurement, series = ids.len(), start, end, "deleted");
        Ok(Json(json!({ "matched_series": ids.len() })))
    })
    .await
}

/// `POST /api/v1/admin/compact` (an extension of API.md): flushes the MemTables and compacts
/// every partition of every database to one file now, instead of waiting for the idle timers; returns the
/// resulting file counts. For operators and benchmarks that measure settled disk usage.
pub async fn compact(State(state): State<AppState>) -> Result<Json<Value>, ServerError> {
    let st = state.clone();
    blocking(move || {
        let dbs = st.databases().all();
        for db in &dbs {
            db.engine().flush()?;
            db.engine().compact()?;
        }
        let mut stats = dbs[0].engine().stats();
        for db in &dbs[1..] {
            stats.add(&db.engine().stats());
        }
        let files: Vec<u64> = stats.levels.iter().map(|l| l.files).collect();
        let bytes: Vec<u64> = stats.levels.iter().map(|l| l.bytes).collect();
        Ok(Json(
            json!({ "files_per_level": files, "bytes_per_level": bytes }),
        ))
    })
    .await
}

/// `POST /api/v1/admin/export` (an extension of API.md): exports every partition of every
/// database that is eligible for the cold tier now, and answers what it wrote:
/// `{"databases": [{"database", "generation", "partitions", "files": [...], "expired",
/// "deleted"}]}`. Without an object store it is a 400; with the store unreachable, a 503
/// naming it (nothing local changes either way).
pub async fn export(State(state): State<AppState>) -> Result<Json<Value>, ServerError> {
    let cold = state.cold().ok_or(ServerError::NoObjectStore)?;
    let reports = cold.export_all(state.databases()).await?;
    Ok(Json(json!({ "databases": reports })))
}

/// `GET /health`: 200 while the process serves requests.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: whether writes are accepted. The listener opens only after recovery, so
/// the states are: `200 {"status": "ready"}`; `200 {"status": "degraded",
/// "background_failures": [...]}` when writes are accepted but a background job's last run
/// failed (flush, compaction, rollup, retention; each entry names the job, its error and how
/// many runs failed in a row, and clears when the job next succeeds); `503 read_only` once a
/// failed WAL fsync made the engine refuse writes for good.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ServerError> {
    let dbs = state.databases().all();
    if let Some(reason) = dbs.iter().find_map(|d| d.engine().read_only_reason()) {
        return Err(ServerError::Engine(strata_engine::Error::ReadOnly {
            reason,
        }));
    }
    let failures: Vec<_> = dbs
        .iter()
        .flat_map(|d| d.engine().background_failures())
        .collect();
    if failures.is_empty() {
        return Ok(Json(json!({ "status": "ready" })));
    }
    let failures: Vec<Value> = failures
        .iter()
        .map(|f| json!({ "job": f.job.name(), "error": f.error, "consecutive": f.consecutive }))
        .collect();
    Ok(Json(
        json!({ "status": "degraded", "background_failures": failures }),
    ))
}
