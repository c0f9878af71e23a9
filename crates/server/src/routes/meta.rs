//! Metadata from the catalog: `GET /api/v1/measurements`, `GET /api/v1/tags?measurement=M`
//! (tag keys), `GET /api/v1/tags/{key}/values?measurement=M`, and `POST /api/v1/series`
//! (the series matching `measurement` + `filters`, and their count). An unknown measurement
//! has no tags and no series (200 with empty lists). Each takes `?db=` (default database
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
