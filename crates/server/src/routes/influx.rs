//! InfluxDB 1.x's query API: `GET|POST /query` with `q` (query string or form body) is
//! InfluxQL ([`strata_influxql`]) with the parameters `db`, `rp`, `epoch`, `pretty`,
//! `chunked`, `chunk_size`; `GET|HEAD /ping`. A POST without `q` in its query string and
//! without a form body is the JSON query API of API.md ([`super::query`]).
//!
//! Answers are InfluxDB's: a query that does not parse is `400 {"error":"error parsing
//! query: ..."}` (also in `X-Influxdb-Error`); a statement that fails answers inside its
//! result (`200`, `{"statement_id":N,"error":"..."}`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use strata_engine::Engine;
use strata_influxql::{Epoch, Limits, Request};

use super::prometheus::params::{Params, is_form};
use crate::databases::{Databases, check_name};
use crate::routes::with_body;
use crate::state::AppState;

/// The version `/ping` and every answer report (the InfluxDB API Strata speaks).
const VERSION: &str = "1.6.7-strata";

/// Most `GROUP BY time` buckets of one statement.
const MAX_BUCKETS: usize = 1_000_000;

fn influx_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("X-Influxdb-Version", HeaderValue::from_static(VERSION));
    h.insert("X-Influxdb-Build", HeaderValue::from_static("OSS"));
}

/// `GET|HEAD /ping`: 204.
pub async fn ping() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    influx_headers(&mut resp);
    resp
}

/// `GET|POST /query`: InfluxQL, or (a POST with neither `q` in the query string nor a form
/// body) the JSON query API.
pub async fn query(
    state: State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let has_q = uri
        .query()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "q"));
    if method == Method::POST && !has_q && !is_form(&headers) {
        return super::query::query(state, uri, headers, body)
            .await
            .into_response();
    }
    let State(state) = state;
    let request_headers = headers.clone();
    let result = with_body(&state, &headers, body, move |st, bytes| {
        let params = Params::from_request(&uri, &request_headers, bytes);
        let started = std::time::Instant::now();
        let out = answer(st, &params);
        st.metrics().record_query(started.elapsed());
        Ok(out)
    })
    .await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    influx_headers(&mut resp);
    resp
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string() + "\n";
    let mut resp = json_response(status, body);
    if let Ok(v) = HeaderValue::from_str(message) {
        resp.headers_mut().insert("X-Influxdb-Error", v);
    }
    resp
}

fn answer(st: &AppState, p: &Params) -> Response {
    let q = p.get("q").unwrap_or_default();
    if q.trim().is_empty() {
        return error_response(StatusCode::BAD_REQUEST, "missing required parameter \"q\"");
    }
    let statements = match strata_influxql::parse_query(q) {
        Ok(s) => s,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("error parsing query: {e}"),
            );
        }
    };
    let server = ServerView(st.databases().clone());
    let max_points = st.limits().max_query_points.saturating_mul(10);
    let req = Request {
        db: p.get("db"),
        rp: p.get("rp"),
        now: strata_engine::now_ns(),
        limits: Limits {
            max_points,
            max_buckets: MAX_BUCKETS,
        },
    };
    let results = strata_influxql::execute(&server, &statements, &req);
    if let Some(failed) = results.iter().find(|r| r.unavailable) {
        // Never a partial answer: the whole request fails, as InfluxDB answers a server error.
        let mut resp = error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            failed.error.as_deref().unwrap_or("storage unavailable"),
        );
        resp.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("10"),
        );
        return resp;
    }
    let epoch = Epoch::parse(p.get("epoch"));
    let pretty = p.get("pretty") == Some("true");
    if p.get("chunked") == Some("true") {
        let size = p
            .get("chunk_size")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(10_000);
        let lines = strata_influxql::render_chunked(&results, epoch, pretty, size);
        return json_response(StatusCode::OK, lines.concat());
    }
    json_response(
        StatusCode::OK,
        strata_influxql::render(&results, epoch, pretty),
    )
}

/// The databases as the InfluxQL executor sees them.
struct ServerView(Arc<Databases>);

impl strata_influxql::Server for ServerView {
    fn database_names(&self) -> Vec<String> {
        self.0.all().iter().map(|d| d.name().to_string()).collect()
    }

    fn create_database(&self, name: &str) -> Result<(), String> {
        check_name(name).map_err(|e| e.to_string())?;
        self.0
            .get_or_create(Some(name))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn drop_database(&self, name: &str) -> Result<(), String> {
        self.0
            .drop_database(name)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn engine(&self, name: &str) -> Option<Arc<Engine>> {
        self.0.find(Some(name)).map(|d| d.engine().clone())
    }

    fn retention(&self) -> Option<Duration> {
        self.0.retention()
    }
}
