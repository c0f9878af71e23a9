//! `POST /api/v1/read`: Prometheus remote read, so a Prometheus server can use Strata as
//! long-term storage for queries as well as for writes. Answers raw samples
//! (`SAMPLES`). An undecodable body or one over the decompression bound gets remote write's
//! answers (400, 413, in Strata's JSON error shape); a bad matcher is a plain-text 400 and an
//! over-limit read a plain-text 422, as Prometheus answers them.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use strata_promql::PromqlError;
use strata_promql::select::raw::{MatchKind, matcher, raw_samples};
use strata_protocol::remote_read::{self, MatchType, QueryResult, ReadRequest, ReadResponse};
use strata_protocol::remote_write::{Label, Sample, TimeSeries};

use crate::body;
use crate::databases::Database;
use crate::error::{BodyFormat, ServerError};
use crate::routes::database;
use crate::state::AppState;

fn text(status: StatusCode, msg: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

/// `POST /api/v1/read`.
pub async fn read(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body_in: Body,
) -> Response {
    let db = match crate::routes::query_params(&uri).and_then(|p| database(&state, &p)) {
        Ok(db) => db,
        Err(e) => return e.into_response(),
    };
    let bytes = match body::read(body_in, &headers, state.limits()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let max = state.limits().max_decompressed_bytes.as_usize();
    let request = match remote_read::decode(&bytes, max) {
        Ok(r) => r,
        // Undecodable or over the bound: the same answers as remote write's.
        Err(error) => {
            return ServerError::Protocol {
                format: BodyFormat::RemoteWrite,
                error,
            }
            .into_response();
        }
    };
    let max_samples = state.promql().max_samples;
    let task = tokio::task::spawn_blocking(move || answer(&db, max_samples, &request));
    match task.await {
        Ok(Ok(body)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/x-protobuf"),
                (header::CONTENT_ENCODING, "snappy"),
            ],
            body,
        )
            .into_response(),
        Ok(Err(e)) => text(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.to_string(),
        ),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("read task failed: {e}"),
        ),
    }
}

fn answer(
    db: &Database,
    max_samples: usize,
    request: &ReadRequest,
) -> Result<Vec<u8>, PromqlError> {
    let snapshot = db.engine().snapshot();
    let mut results = Vec::with_capacity(request.queries.len());
    for q in &request.queries {
        let matchers = q
            .matchers
            .iter()
            .map(|m| {
                let kind = match MatchType::try_from(m.r#type) {
                    Ok(MatchType::Eq) => MatchKind::Equal,
                    Ok(MatchType::Neq) => MatchKind::NotEqual,
                    Ok(MatchType::Re) => MatchKind::Regex,
                    Ok(MatchType::Nre) => MatchKind::NotRegex,
                    Err(_) => {
                        return Err(PromqlError::BadData(format!(
                            "unknown matcher type {}",
                            m.r#type
                        )));
                    }
                };
                matcher(kind, &m.name, &m.value)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ms = |t: i64| t.saturating_mul(1_000_000);
        let series = raw_samples(
            &snapshot,
            &matchers,
            ms(q.start_timestamp_ms),
            ms(q.end_timestamp_ms),
            max_samples,
        )?;
        results.push(QueryResult {
            timeseries: series
                .into_iter()
                .map(|(labels, samples)| TimeSeries {
                    labels: labels
                        .iter()
                        .map(|(k, v)| Label {
                            name: k.to_string(),
                            value: v.to_string(),
                        })
                        .collect(),
                    samples: samples
                        .iter()
                        .map(|s| Sample {
                            value: s.v,
                            timestamp: s.t.div_euclid(1_000_000),
                        })
                        .collect(),
                })
                .collect(),
        });
    }
    remote_read::encode_response(&ReadResponse { results })
        .map_err(|e| PromqlError::Execution(e.to_string()))
}
