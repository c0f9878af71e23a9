//! The router: every route of API.md, the JSON 404 / 405 fallbacks, and the middleware stack
//! (outermost first: request metrics, the body-size limit, authentication).

pub mod admin;
pub mod backup;
pub mod console;
pub mod influx;
pub mod meta;
pub mod prometheus;
pub mod query;
pub mod status;
pub mod write;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::databases::Database;
use crate::error::ServerError;
use crate::state::AppState;
use crate::{auth, body, metrics};

/// The application: every route with its middleware, over `state`.
pub fn router(state: AppState) -> Router {
    let max_body = state.limits().max_body_bytes.as_usize();
    Router::new()
        .route("/write", post(write::write))
        .route("/api/v2/write", post(write::write_v2))
        .route("/api/v1/write", post(write::remote_write))
        .route("/query", get(influx::query).post(influx::query))
        .route("/ping", get(influx::ping).head(influx::ping))
        .route("/", get(console::index))
        .route("/console/{*name}", get(console::asset))
        .route("/api/v1/databases", get(meta::databases))
        .route("/api/v1/fields", get(meta::fields))
        .route("/api/v1/cardinality", get(meta::cardinality))
        .route("/api/v1/status", get(status::status))
        .route("/api/v1/measurements", get(meta::measurements))
        .route("/api/v1/tags", get(meta::tag_keys))
        .route("/api/v1/tags/{key}/values", get(meta::tag_values))
        .route(
            "/api/v1/series",
            get(prometheus::series).post(prometheus::series),
        )
        .route("/api/v1/read", post(prometheus::read))
        .route(
            "/api/v1/query",
            get(prometheus::query).post(prometheus::query),
        )
        .route(
            "/api/v1/query_range",
            get(prometheus::query_range).post(prometheus::query_range),
        )
        .route(
            "/api/v1/labels",
            get(prometheus::labels).post(prometheus::labels),
        )
        .route("/api/v1/label/{name}/values", get(prometheus::label_values))
        .route("/api/v1/status/buildinfo", get(prometheus::build_info))
        .route("/api/v1/status/tsdb", get(prometheus::tsdb_status))
        .route("/api/v1/metadata", get(prometheus::metadata))
        .route("/api/v1/rules", get(prometheus::rules))
        .route(
            "/api/v1/query_exemplars",
            get(prometheus::query_exemplars).post(prometheus::query_exemplars),
        )
        .route(
            "/api/v1/format_query",
            get(prometheus::format_query).post(prometheus::format_query),
        )
        .route("/api/v1/delete", post(admin::delete))
        .route("/api/v1/admin/compact", post(admin::compact))
        .route("/api/v1/admin/export", post(admin::export))
        .route("/api/v1/admin/backup", post(backup::start))
        .route(
            "/api/v1/admin/backup/{id}/{database}/{table}",
            get(backup::table),
        )
        .route(
            "/api/v1/admin/backup/{id}",
            axum::routing::delete(backup::finish),
        )
        .route("/health", get(admin::health))
        .route("/ready", get(admin::ready))
        .route("/metrics", get(metrics::handler))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Refuses a declared `Content-Length` over `max_body_bytes` before any handler runs (bodies
/// without one are cut off while being read, in [`body::read`]).
async fn limit_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.limits().max_body_bytes.as_usize();
    if body::content_length(req.headers()).is_some_and(|n| n > max as u64) {
        return body::body_too_large(max).into_response();
    }
    next.run(req).await
}

async fn not_found(method: Method, uri: Uri) -> ServerError {
    ServerError::NotFound(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ServerError {
    ServerError::MethodNotAllowed(format!("method {method} is not allowed on {}", uri.path()))
}

/// The query-string parameters (a malformed query string is a 400).
pub(crate) fn query_params(uri: &Uri) -> Result<HashMap<String, String>, ServerError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ServerError::bad("invalid_query_string", format!("invalid query string: {e}")))
}

/// The database a read names with `?db=` (the default database without it), or a 404.
pub(crate) fn database(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<Arc<Database>, ServerError> {
    state.databases().get(params.get("db").map(String::as_str))
}

/// A required query-string parameter.
pub(crate) fn required_param<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, ServerError> {
    match params.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ServerError::bad(
            "missing_parameter",
            format!("missing query parameter {name:?}"),
        )),
    }
}

/// Runs `f` on the blocking pool (engine writes wait for fsync; parsing and queries are CPU
/// work); a panic in `f` becomes a 500.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, ServerError>
where
    F: FnOnce() -> Result<T, ServerError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServerError::Internal(format!("request task failed: {e}")))?
}

/// A request body read whole (size-bounded), then, on the blocking pool, decompressed
/// (`Content-Encoding: gzip`, bounded too) and handed to `f` with the state: the shared
/// first steps of every route that takes a JSON body.
pub(crate) async fn with_body<T, F>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    f: F,
) -> Result<T, ServerError>
where
    F: FnOnce(&AppState, &[u8]) -> Result<T, ServerError> + Send + 'static,
    T: Send + 'static,
{
    let encoding = body::content_encoding(headers)?;
    let bytes = body::read(body, headers, state.limits()).await?;
    let st = state.clone();
    blocking(move || {
        let bytes = body::decode(bytes, encoding.as_deref(), st.limits())?;
        f(&st, &bytes)
    })
    .await
}

/// Parses a JSON request body into `T`; serde's message (with line and column) on error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ServerError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ServerError::bad("invalid_json", format!("invalid JSON body: {e}")))
}
