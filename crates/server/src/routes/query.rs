//! `POST /query?precision=ms[&db=]`: decodes a `QueryRequest`, runs it on a snapshot on the
//! blocking pool, and answers `200` with the `points` or `series` JSON shape. A result over
//! `max_query_points` is a 413 (never a truncated answer).

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use strata_query::{Format, QueryOptions, QueryRequest};

use crate::error::ServerError;
use crate::routes::{database, query_params, with_body};
use crate::state::AppState;

/// Nanoseconds per unit of the `precision` parameter (default milliseconds).
pub fn precision_param(params: &HashMap<String, String>) -> Result<i64, ServerError> {
    match params.get("precision").map(String::as_str) {
        None | Some("") => Ok(1_000_000),
        Some(p) => strata_query::precision_ns(p).ok_or_else(|| {
            ServerError::bad(
                "invalid_precision",
                format!("invalid precision {p:?}: expected one of \"ns\", \"us\", \"ms\", \"s\""),
            )
        }),
    }
}

/// `POST /query`.
pub async fn query(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ServerError> {
    let params = query_params(&uri)?;
    let db = database(&state, &params)?;
    let opts = QueryOptions {
        precision_ns: precision_param(&params)?,
        max_points: state.limits().max_query_points,
    };
    let json = with_body(&state, &headers, body, move |st, bytes| {
        let request = QueryRequest::from_json(bytes)?;
        let started = Instant::now();
        let snapshot = db.engine().snapshot();
        let result = strata_query::execute(&snapshot, &request, &opts);
        st.metrics().record_query(started.elapsed());
        let result = result?;
        Ok(match request.format {
            Format::Points => result.to_points_json(),
            Format::Series => result.to_series_json(),
        })
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}
