//! `/api/v1/query` (instant: `query`, `time` default now, `timeout`) and
//! `/api/v1/query_range` (`query`, `start`, `end`, `step`, `timeout`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use strata_promql::{PromqlError, instant_query, range_query};

use super::params::{duration_param, parse_duration, time_param};
use super::response::query_data;
use super::{engine, handle};
use crate::state::AppState;

/// `GET|POST /api/v1/query`.
pub async fn query(state: State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    handle(state, uri, headers, body, |st, p| {
        let now = strata_engine::now_ns().div_euclid(1_000_000) * 1_000_000;
        let time = time_param(p, "time", now)?;
        let timeout = duration_param(p, "timeout")?;
        let q = p.get("query").unwrap_or_default();
        let snapshot = engine(st, p)?.snapshot();
        let result = instant_query(&snapshot, st.promql(), q, time, timeout)?;
        Ok(query_data(&result))
    })
    .await
}

/// `GET|POST /api/v1/query_range`.
pub async fn query_range(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |st, p| {
        let start = required_time(p, "start")?;
        let end = required_time(p, "end")?;
        let step_text = p.get("step").unwrap_or_default();
        let step = parse_duration(step_text).ok_or_else(|| {
            PromqlError::BadData(format!(
                "invalid parameter \"step\": cannot parse {step_text:?} to a valid duration"
            ))
        })?;
        let step_ns = i64::try_from(step.as_nanos()).unwrap_or(i64::MAX);
        // Prometheus' step is whole milliseconds.
        let step_ns = step_ns.div_euclid(1_000_000) * 1_000_000;
        let timeout = duration_param(p, "timeout")?;
        let q = p.get("query").unwrap_or_default();
        let snapshot = engine(st, p)?.snapshot();
        let result = range_query(&snapshot, st.promql(), q, start, end, step_ns, timeout)?;
        Ok(query_data(&result))
    })
    .await
}

fn required_time(p: &super::params::Params, name: &str) -> Result<i64, PromqlError> {
    match p.get(name) {
        Some(s) if !s.is_empty() => time_param(p, name, 0),
        _ => Err(PromqlError::BadData(format!(
            "invalid parameter {name:?}: cannot parse \"\" to a valid timestamp"
        ))),
    }
}
