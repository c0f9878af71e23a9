//! Metadata from the catalog: `GET /api/v1/measurements`, `GET /api/v1/tags?measurement=M`
//! (tag keys), `GET /api/v1/tags/{key}/values?measurement=M`, and `POST /api/v1/series`
//! (the series matching `measurement` + `filters`, and their count). An unknown measurement
//! has no tags and no series (200 with empty lists). The console's extensions: `GET
//! /api/v1/databases`, `GET /api/v1/fields?measurement=M` (fields and types) and `GET
//! /api/v1/cardinality` (series counts). Each takes `?db=` (default database
//! without it; an unknown one is a 404).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use serde_json::{Value, json};
use strata_query::Filter;

use crate::error::ServerError;
use crate::routes::{database, parse_json, query_params, required_param, with_body};
use crate::state::AppState;

/// `GET /api/v1/measurements` -> `{"measurements": [...]}` (sorted).
pub async fn measurements(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<Value>, ServerError> {
    let db = database(&state, &query_params(&uri)?)?;
    Ok(Json(
        json!({ "measurements": db.engine().catalog().measurements() }),
    ))
}

/// `GET /api/v1/tags?measurement=M` -> `{"measurement": M, "tags": [keys...]}` (sorted).
pub async fn tag_keys(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let m = required_param(&params, "measurement")?;
    let keys: Vec<String> = database(&state, &params)?
        .engine()
        .catalog()
        .with_measurement(m, |idx| idx.tag_keys().map(str::to_string).collect())
        .unwrap_or_default();
    Ok(Json(json!({ "measurement": m, "tags": keys })))
}

/// `GET /api/v1/tags/{key}/values?measurement=M` -> `{"measurement": M, "tag": K,
/// "values": [...]}` (sorted).
pub async fn tag_values(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let m = required_param(&params, "measurement")?;
    let values: Vec<String> = database(&state, &params)?
        .engine()
        .catalog()
        .with_measurement(m, |idx| {
            idx.tag_values(&key).map(|(v, _)| v.to_string()).collect()
        })
        .unwrap_or_default();
    Ok(Json(
        json!({ "measurement": m, "tag": key, "values": values }),
    ))
}

/// The `POST /api/v1/series` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesRequest {
    pub measurement: String,
    #[serde(default)]
    pub filters: BTreeMap<String, Filter>,
    /// List at most this many series (the count is always the full count).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `POST /api/v1/series` -> `{"measurement": M, "count": N, "series": [{"measurement": M,
/// "tags": {...}}, ...]}`, series sorted by their tags.
pub async fn series(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ServerError> {
    let db = database(&state, &query_params(&uri)?)?;
    with_body(&state, &headers, body, move |st, bytes| {
        let req: SeriesRequest = parse_json(bytes)?;
        let catalog = db.engine().catalog();
        let ids = strata_query::match_series(catalog, &req.measurement, &req.filters)?;
        let count = ids.len();
        let shown = req.limit.unwrap_or(usize::MAX).min(count as usize);
        let max = st.limits().max_query_points;
        if shown > max {
            return Err(ServerError::TooLarge {
                code: "result_too_large",
                message: format!(
                    "{count} series match, over the limit of {max} listed series (max_query_points): add filters or a \"limit\""
                ),
            });
        }
        let mut keys: Vec<_> = ids.iter().filter_map(|id| catalog.key(id)).collect();
        keys.sort();
        let series: Vec<Value> = keys
            .iter()
            .take(shown)
            .map(|k| {
                let tags: BTreeMap<&str, &str> = k.tags().iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                json!({ "measurement": k.measurement(), "tags": tags })
            })
            .collect();
        Ok(Json(json!({ "measurement": req.measurement, "count": count, "series": series })))
    })
    .await
}

/// `GET /api/v1/databases` -> `{"databases": [...]}`: the default database first, then the
/// others by name.
pub async fn databases(State(state): State<AppState>) -> Json<Value> {
    let names: Vec<String> = state
        .databases()
        .all()
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    Json(json!({ "databases": names }))
}

/// `GET /api/v1/fields?measurement=M` -> `{"measurement": M, "fields": [{"name": F,
/// "type": "float"|"integer"|"unsigned"|"boolean"|"string"}, ...]}` (sorted by name).
pub async fn fields(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let m = required_param(&params, "measurement")?;
    let fields: Vec<Value> = database(&state, &params)?
        .engine()
        .catalog()
        .with_measurement(m, |idx| {
            idx.fields()
                .iter()
                .map(|(name, ty)| json!({ "name": name, "type": ty.name() }))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({ "measurement": m, "fields": fields })))
}

/// How many entries a cardinality list holds without `?top=`.
const DEFAULT_TOP: usize = 10;

/// `GET /api/v1/cardinality[?measurement=M][&top=N]` -> the series count of the database,
/// its measurements by series count (`"measurements"`, the `N` largest, default 10, with
/// `"measurement_count"` the number of all), and with `measurement`, each of its tag keys with
/// the number of values and the `N` values that have the most series (`"tags"`). Ties are
/// broken by name. The same question as Prometheus' `/api/v1/status/tsdb`, in Strata's terms.
pub async fn cardinality(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<Value>, ServerError> {
    let params = query_params(&uri)?;
    let top = match params.get("top") {
        None => DEFAULT_TOP,
        Some(v) => v.parse::<usize>().map_err(|_| {
            ServerError::bad(
                "invalid_parameter",
                format!("\"top\" must be a non-negative integer, not {v:?}"),
            )
        })?,
    };
    let db = database(&state, &params)?;
    let catalog = db.engine().catalog();
    let names = catalog.measurements();
    let counted: Vec<(String, u64)> = names
        .iter()
        .map(|m| (m.clone(), catalog.series_count(m) as u64))
        .collect();
    let measurements: Vec<Value> = largest(counted, top)
        .into_iter()
        .map(|(m, n)| json!({ "measurement": m, "series": n }))
        .collect();
    let mut out = json!({
        "series": catalog.len(),
        "measurement_count": names.len(),
        "measurements": measurements,
    });
    if let Some(m) = params.get("measurement") {
        let tags: Vec<Value> = catalog
            .with_measurement(m, |idx| {
                idx.tag_keys()
                    .map(|key| {
                        let values: Vec<(String, u64)> = idx
                            .tag_values(key)
                            .map(|(v, ids)| (v.to_string(), ids.len()))
                            .collect();
                        let count = values.len();
                        let top: Vec<Value> = largest(values, top)
                            .into_iter()
                            .map(|(v, n)| json!({ "value": v, "series": n }))
                            .collect();
                        json!({ "key": key, "values": count, "top": top })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out["measurement"] = json!(m);
        out["measurement_series"] = json!(catalog.series_count(m));
        out["tags"] = json!(tags);
    }
    Ok(Json(out))
}

/// The `n` entries with the largest counts, largest first, ties by name.
fn largest(mut v: Vec<(String, u64)>, n: usize) -> Vec<(String, u64)> {
    let order = |a: &(String, u64), b: &(String, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0));
    if v.len() > n && n > 0 {
        v.select_nth_unstable_by(n - 1, order);
    }
    v.truncate(n);
    v.sort_unstable_by(order);
    v
}

#[cfg(test)]
mod tests {
    use super::largest;

    #[test]
    fn largest_keeps_the_top_by_count_then_name() {
        let v = |s: &[(&str, u64)]| -> Vec<(String, u64)> {
            s.iter().map(|(a, b)| (a.to_string(), *b)).collect()
        };
        let all = v(&[("b", 2), ("a", 2), ("c", 9), ("d", 1)]);
        assert_eq!(largest(all.clone(), 2), v(&[("c", 9), ("a", 2)]));
        assert_eq!(
            largest(all.clone(), 10),
            v(&[("c", 9), ("a", 2), ("b", 2), ("d", 1)])
        );
        assert_eq!(largest(all, 0), v(&[]));
    }
}
