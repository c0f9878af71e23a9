//! Prometheus' metadata routes: `/api/v1/labels`, `/api/v1/label/<name>/values`,
//! `/api/v1/series` (each with `match[]`, `start`, `end`, `limit`), `/api/v1/status/tsdb`
//! (cardinality), `/api/v1/status/buildinfo`, `/api/v1/format_query`, and the valid empty
//! answers of `/api/v1/metadata`, `/api/v1/rules` and `/api/v1/query_exemplars`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use strata_promql::{PromqlError, metadata};

use super::params::{Params, time_param};
use super::response::{quoted, string_array, write_labels};
use super::{engine, handle};
use crate::state::AppState;

/// `limit`: at most this many entries (0 or absent: all).
fn limit(p: &Params) -> Result<usize, PromqlError> {
    match p.get("limit") {
        None | Some("") => Ok(usize::MAX),
        Some(s) => match s.parse::<usize>() {
            Ok(0) => Ok(usize::MAX),
            Ok(n) => Ok(n),
            Err(_) => Err(PromqlError::BadData(format!(
                "invalid parameter \"limit\": cannot parse {s:?} to a valid limit"
            ))),
        },
    }
}

/// `start`/`end` are validated like Prometheus' (the series index is not bounded by time).
fn check_times(p: &Params) -> Result<(), PromqlError> {
    time_param(p, "start", i64::MIN)?;
    time_param(p, "end", i64::MAX)?;
    Ok(())
}

fn truncated(mut v: Vec<String>, n: usize) -> Vec<String> {
    v.truncate(n);
    v
}

/// `GET|POST /api/v1/labels`.
pub async fn labels(state: State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    handle(state, uri, headers, body, |st, p| {
        check_times(p)?;
        let names = metadata::label_names(engine(st, p)?.catalog(), &p.all("match[]"))?;
        Ok(string_array(&truncated(names, limit(p)?)))
    })
    .await
}

/// `GET /api/v1/label/<name>/values`.
pub async fn label_values(
    state: State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, move |st, p| {
        check_times(p)?;
        let values = metadata::label_values(engine(st, p)?.catalog(), &name, &p.all("match[]"))?;
        Ok(string_array(&truncated(values, limit(p)?)))
    })
    .await
}

/// `GET|POST /api/v1/series`; a JSON-bodied POST is Strata's own route.
pub async fn series(
    state: State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let json = method == Method::POST
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
    if json {
        return crate::routes::meta::series(state, uri, headers, body)
            .await
            .into_response();
    }
    handle(state, uri, headers, body, |st, p| {
        check_times(p)?;
        let matches = p.all("match[]");
        if matches.is_empty() {
            return Err(PromqlError::BadData("no match[] parameter provided".into()));
        }
        let all = metadata::series(engine(st, p)?.catalog(), &matches)?;
        let mut out = String::from("[");
        for (i, labels) in all.iter().take(limit(p)?).enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_labels(&mut out, labels);
        }
        out.push(']');
        Ok(out)
    })
    .await
}

/// `GET /api/v1/status/tsdb`: series count and the top 10 metric names, label names (by
/// distinct values) and label pairs by series count.
pub async fn tsdb_status(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |st, p| {
        let n = match p.get("limit") {
            Some(s) if !s.is_empty() => s
                .parse::<usize>()
                .map_err(|_| PromqlError::BadData(format!("invalid parameter \"limit\": {s:?}")))?,
            _ => 10,
        };
        let c = metadata::cardinality(engine(st, p)?.catalog(), n)?;
        let list = |v: &[(String, usize)]| {
            let items: Vec<String> = v.iter().map(|(k, n)| format!("{{\"name\":{},\"value\":{n}}}", quoted(k))).collect();
            format!("[{}]", items.join(","))
        };
        Ok(format!(
            "{{\"headStats\":{{\"numSeries\":{},\"numLabelPairs\":{},\"chunkCount\":0,\"minTime\":0,\"maxTime\":0}},\"seriesCountByMetricName\":{},\"labelValueCountByLabelName\":{},\"memoryInBytesByLabelName\":[],\"seriesCountByLabelValuePair\":{}}}",
            c.num_series,
            c.by_label_pair.len(),
            list(&c.by_metric),
            list(&c.label_value_counts),
            list(&c.by_label_pair)
        ))
    })
    .await
}

/// `GET /api/v1/status/buildinfo`: the Prometheus version whose semantics Strata follows.
pub async fn build_info(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |_, _| {
        Ok(format!(
            "{{\"version\":\"2.42.0\",\"revision\":{},\"branch\":\"strata\",\"buildUser\":\"strata\",\"buildDate\":\"\",\"goVersion\":\"\"}}",
            quoted(&format!("strata-{}", env!("CARGO_PKG_VERSION")))
        ))
    })
    .await
}

/// `GET|POST /api/v1/format_query`.
pub async fn format_query(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |_, p| {
        let expr = strata_promql::parse(p.get("query").unwrap_or_default())?;
        Ok(quoted(&expr.prettify()))
    })
    .await
}

/// `GET /api/v1/metadata`: no metric metadata is kept.
pub async fn metadata(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |_, _| Ok("{}".into())).await
}

/// `GET /api/v1/rules`: Strata evaluates no rules.
pub async fn rules(state: State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    handle(state, uri, headers, body, |_, _| {
        Ok("{\"groups\":[]}".into())
    })
    .await
}

/// `GET|POST /api/v1/query_exemplars`: no exemplars are kept.
pub async fn query_exemplars(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(state, uri, headers, body, |_, p| {
        strata_promql::parse(p.get("query").unwrap_or_default())?;
        Ok("[]".into())
    })
    .await
}
