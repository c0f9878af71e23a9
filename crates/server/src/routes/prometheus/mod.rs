//! Prometheus' HTTP API over PromQL ([`strata_promql`]), so Grafana's Prometheus data source
//! and Prometheus tooling read Strata unchanged: GET and form-encoded POST alike, Prometheus'
//! parameters, response shapes and error types.
//!
//! Every route takes an optional `db` parameter (the default database without it).
//!
//! `POST /api/v1/series` is shared with Strata's JSON metadata route: a JSON body
//! (`Content-Type: application/json`) is Strata's, anything else (a form, or parameters in
//! the query string) is Prometheus'.

mod meta;
pub(crate) mod params;
mod query;
mod remote_read;
mod response;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use strata_engine::Engine;
use strata_promql::PromqlError;

pub use meta::{
    build_info, format_query, label_values, labels, metadata, query_exemplars, rules, series,
    tsdb_status,
};
pub use query::{query, query_range};
pub use remote_read::read;

use crate::routes::with_body;
use crate::state::AppState;
use params::Params;
use response::PromResponse;

/// The engine of the database the request names (`db`, in the query string or the form;
/// the default database without it); an unknown database is `bad_data`.
pub(crate) fn engine(st: &AppState, p: &Params) -> Result<Arc<Engine>, PromqlError> {
    let name = p.get("db");
    st.databases()
        .find(name)
        .map(|db| db.engine().clone())
        .ok_or_else(|| {
            PromqlError::BadData(format!(
                "database not found: {:?}",
                name.unwrap_or_default()
            ))
        })
}

/// The shape of every route here: the request's parameters (query string and form body, read
/// and decompressed by [`with_body`] like every route's body) handed to `f` on the blocking
/// pool, the answer in Prometheus' envelope. Body errors keep the server's own answers (413).
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
    let request_headers = headers.clone();
    let result = with_body(&state, &headers, body, move |st, bytes| {
        let params = Params::from_request(&uri, &request_headers, bytes);
        let started = Instant::now();
        let out = f(st, &params);
        st.metrics().record_query(started.elapsed());
        Ok(out)
    })
    .await;
    match result {
        Ok(Ok(data)) => PromResponse::Success(data).into_response(),
        Ok(Err(e)) => PromResponse::Error(e).into_response(),
        Err(e) => e.into_response(),
    }
}
