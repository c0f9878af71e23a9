//! The write routes: `POST /write` (JSON, line protocol or remote write by `Content-Type`;
//! with `?db=` it is the InfluxDB 1.x path), `POST /api/v2/write` (InfluxDB 2.x) and
//! `POST /api/v1/write` (Prometheus remote write). Each takes the database to write to
//! (`db`, or `bucket` on 2.x; created on first write; the default database without one).
//! Success is `204 No Content`, once the points are in the WAL under the sync policy.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use strata_protocol::Precision;

use crate::body;
use crate::error::{BodyFormat, ServerError};
use crate::routes::{blocking, query_params};
use crate::state::AppState;

/// Which write path a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePath {
    /// `/write` without `db`: the Strata API, strict about `Content-Type`.
    Native,
    /// `/write?db=` and `/api/v2/write`: InfluxDB clients, which send line protocol under
    /// whatever type their HTTP library picks (octet-stream, ...).
    Influx,
}

/// The body format for a `Content-Type` media type (parameters already dropped).
pub fn format_for(media_type: Option<&str>, path: WritePath) -> Result<BodyFormat, ServerError> {
    match media_type {
        // curl's `-d`/`--data-binary` default type means "the client did not choose": read it as
        // line protocol everywhere, as InfluxDB does.
        None | Some("" | "text/plain" | "application/x-www-form-urlencoded") => {
            Ok(BodyFormat::LineProtocol)
        }
        Some("application/json") => Ok(BodyFormat::Json),
        Some("application/x-protobuf") => Ok(BodyFormat::RemoteWrite),
        Some(_) if path == WritePath::Influx => Ok(BodyFormat::LineProtocol),
        Some(other) => Err(ServerError::UnsupportedMediaType(format!(
            "unsupported Content-Type {other:?}: use application/json, text/plain (line protocol) or application/x-protobuf (remote write)"
        ))),
    }
}

/// The `precision` parameter (`ns`/`n`, `us`/`u`, `ms`, `s`), or `default` when absent.
pub fn parse_precision(value: Option<&str>, default: Precision) -> Result<Precision, ServerError> {
    match value {
        None | Some("") => Ok(default),
        Some("n") => Ok(Precision::Nanoseconds),
        Some(v) => {
            Precision::parse(v).map_err(|e| ServerError::bad("invalid_precision", e.to_string()))
        }
    }
}

/// `POST /write`.
pub async fn write(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ServerError> {
    let params = query_params(&uri)?;
    let path = if params.contains_key("db") {
        WritePath::Influx
    } else {
        WritePath::Native
    };
    let format = format_for(body::media_type(&headers).as_deref(), path)?;
    write_format(state, &params, headers, body, format).await
}

/// `POST /api/v2/write?bucket=&org=&precision=` (precision defaults to ns, as in InfluxDB).
pub async fn write_v2(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ServerError> {
    let params = query_params(&uri)?;
    let format = format_for(body::media_type(&headers).as_deref(), WritePath::Influx)?;
    write_format(state, &params, headers, body, format).await
}

/// The database a write names: `db` (1.x, the Strata API, remote write) or `bucket` (2.x,
/// where `db/rp` names a 1.x database and its retention policy); `None` for the default.
fn database_param(params: &HashMap<String, String>) -> Option<String> {
    if let Some(db) = params.get("db") {
        return Some(db.clone());
    }
    let bucket = params.get("bucket")?;
    let db = bucket
        .split_once('/')
        .map_or(bucket.as_str(), |(db, _rp)| db);
    Some(db.to_string())
}

/// `POST /api/v1/write[?db=]`: Prometheus remote write 1.0 (snappy-compressed protobuf).
pub async fn remote_write(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ServerError> {
    match body::media_type(&headers).as_deref() {
        None | Some("application/x-protobuf") => {}
        Some(other) => {
            return Err(ServerError::UnsupportedMediaType(format!(
                "unsupported Content-Type {other:?}: remote write is application/x-protobuf"
            )));
        }
    }
    let mut params = query_params(&uri)?;
    // Remote write has no precision: its samples are milliseconds.
    params.remove("precision");
    write_format(state, &params, headers, body, BodyFormat::RemoteWrite).await
}

async fn write_format(
    state: AppState,
    params: &HashMap<String, String>,
    headers: HeaderMap,
    body: Body,
    format: BodyFormat,
) -> Result<StatusCode, ServerError> {
    let default = match format {
        BodyFormat::Json => Precision::Milliseconds,
        BodyFormat::LineProtocol => Precision::Nanoseconds,
        BodyFormat::RemoteWrite => Precision::Milliseconds,
    };
    let precision = parse_precision(params.get("precision").map(String::as_str), default)?;
    let encoding = body::content_encoding(&headers)?;
    let encoding = match (format, encoding) {
        // Remote write bodies are snappy block data whether or not the header says so.
        (BodyFormat::RemoteWrite, None) => None,
        (BodyFormat::RemoteWrite, Some(e)) if e == "snappy" => None,
        (BodyFormat::RemoteWrite, Some(e)) => {
            return Err(ServerError::UnsupportedMediaType(format!(
                "unsupported Content-Encoding {e:?}: remote write bodies are snappy"
            )));
        }
        (_, Some(e)) if e != "gzip" && e != "x-gzip" => {
            return Err(ServerError::UnsupportedMediaType(format!(
                "unsupported Content-Encoding {e:?}: send gzip or no encoding"
            )));
        }
        (_, e) => e,
    };
    let name = database_param(params);
    let bytes = body::read(body, &headers, state.limits()).await?;
    let st = state.clone();
    let points = blocking(move || {
        let db = st.databases().get_or_create(name.as_deref())?;
        crate::ingest::ingest(&st, &db, format, bytes, encoding.as_deref(), precision)
    })
    .await?;
    state.metrics().record_write(points);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_dispatch() {
        use BodyFormat::*;
        use WritePath::*;
        assert_eq!(format_for(None, Native).unwrap(), LineProtocol);
        assert_eq!(
            format_for(Some("text/plain"), Native).unwrap(),
            LineProtocol
        );
        assert_eq!(format_for(Some("application/json"), Native).unwrap(), Json);
        assert_eq!(
            format_for(Some("application/x-protobuf"), Native).unwrap(),
            RemoteWrite
        );
        let e = format_for(Some("application/xml"), Native).unwrap_err();
        assert_eq!(e.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(e.to_string().contains("application/xml"));
        let form = Some("application/x-www-form-urlencoded");
        assert_eq!(format_for(form, Native).unwrap(), LineProtocol);
        assert_eq!(format_for(form, Influx).unwrap(), LineProtocol);
        let octets = Some("application/octet-stream");
        assert_eq!(format_for(octets, Influx).unwrap(), LineProtocol);
        assert!(format_for(octets, Native).is_err());
        assert_eq!(format_for(Some("application/json"), Influx).unwrap(), Json);
    }

    #[test]
    fn precision_parameter() {
        assert_eq!(
            parse_precision(None, Precision::Milliseconds).unwrap(),
            Precision::Milliseconds
        );
        assert_eq!(
            parse_precision(Some("n"), Precision::Milliseconds).unwrap(),
            Precision::Nanoseconds
        );
        assert_eq!(
            parse_precision(Some("u"), Precision::Nanoseconds).unwrap(),
            Precision::Microseconds
        );
        assert_eq!(
            parse_precision(Some("s"), Precision::Nanoseconds).unwrap(),
            Precision::Seconds
        );
        let e = parse_precision(Some("h"), Precision::Nanoseconds).unwrap_err();
        assert_eq!(e.code(), "invalid_precision");
    }
}
