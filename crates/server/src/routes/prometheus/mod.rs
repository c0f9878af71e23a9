//! Prometheus' HTTP API over PromQL ([`strata_promql`]), so Grafana's Prometheus data source
//! and Prometheus tooling read Strata unchanged: GET and form-encoded POST alike, Prometheus'
//! parameters, response shapes and error types.
//!
//! `POST /api/v1/series` is shared with Strata's JSON metadata route: a JSON body
//! (`Content-Type: application/json`) is Strata's, anything else (a form, or parameters in
//! the query string) is Prometheus'.

mod meta;
mod params;
mod query;
mod remote_read;
mod response;

use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use strata_promql::PromqlError;

pub use meta::{
    build_info, format_query, label_values, labels, metadata, query_exemplars, rules, series,
    tsdb_status,
};
pub use query::{query, query_range};
pub use remote_read::read;

use crate::body;
use crate::state::AppState;
use params::Params;
use response::PromResponse;

/// Reads the request's parameters (query string and form body), runs `f` with them on the
/// blocking pool, and answers in Prometheus' envelope.
async fn run<F>(state: AppState, uri: Uri, headers: HeaderMap, body_in: Body, f: F) -> Response
where
    F: FnOnce(&AppState, &Params) -> Result<String, PromqlError> + Send + 'static,
{
    let bytes = match body::read(body_in, &headers, state.limits()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let encoding = match body::content_encoding(&headers) {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let task = tokio::task::spawn_blocking(move || {
        // A body over the decompression bound is the server's 413, as on every route.
        let bytes = body::decode(bytes, encoding.as_deref(), state.limits())?;
        let params = Params::from_request(&uri, &headers, &bytes);
        let started = Instant::now();
        let out = f(&state, &params);
        state.metrics().record_query(started.elapsed());
        Ok::<_, crate::error::ServerError>(out)
    });
    let result = match task.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return e.into_response(),
        Err(e) => Err(PromqlError::Execution(format!("query task failed: {e}"))),
    };
    match result {
        Ok(data) => PromResponse::Success(data),
        Err(e) => PromResponse::Error(e),
    }
    .into_response()
}

/// Handler shape shared by every route here.
pub(crate) async fn handle<F>(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    f: F,
) -> Response
where
    F: FnOnce(&AppState, &Params) -> Result<String, PromqlError> + Send + 'static,
{
    run(state, uri, headers, body, f).await
}
