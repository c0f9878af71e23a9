//! The crate's one error type, [`ServerError`]: startup failures and every way a request can
//! fail, with the mapping onto the HTTP contract of API.md (status, `Retry-After`, and the
//! body `{"error": {"code": "...", "message": "...", "index": N}}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use strata_protocol::ProtocolError;
use strata_query::QueryError;

/// A body format, to name parser errors (`invalid_json`, `invalid_line_protocol`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    LineProtocol,
    RemoteWrite,
}

/// Everything that can go wrong, at startup or in a request.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Bad configuration (startup).
    #[error("{0}")]
    Config(String),
    /// The listener could not be bound (startup).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server failed while running.
    #[error("HTTP server: {0}")]
    Serve(#[source] std::io::Error),
    /// The storage engine refused or failed.
    #[error("{0}")]
    Engine(#[from] strata_engine::Error),
    /// A write body that does not parse.
    #[error("{error}")]
    Protocol {
        format: BodyFormat,
        error: ProtocolError,
    },
    /// A query (or metadata request) the query layer rejected or could not run.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// Invalid input (400): `code` names the kind, `index` the point at fault if known.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        index: Option<usize>,
    },
    /// A body or result over a limit (413).
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// A `Content-Type` or `Content-Encoding` this route does not read (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Missing or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// No such route (404).
    #[error("{0}")]
    NotFound(String),
    /// A request names a database that does not exist (404).
    #[error("database not found: {0:?}")]
    DatabaseNotFound(String),
    /// The route exists but not with this method (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The client was too slow sending the request (408).
    #[error("{0}")]
    RequestTimeout(String),
    /// The cold tier (object store) failed or is not configured.
    #[error("{0}")]
    Cold(#[from] strata_cold::ColdError),
    /// A request needs the object store, and none is configured (400).
    #[error(
        "no object store is configured: start the server with --object-store s3://bucket/prefix or file:///dir"
    )]
    NoObjectStore,
    /// A bug or an unexpected failure (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServerError {
    /// A 400 with a code and message, no point index.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ServerError::BadRequest {
            code,
            message: message.into(),
            index: None,
        }
    }

    /// A 400 about point `index` of the request.
    pub fn bad_point(index: usize, message: impl Into<String>) -> Self {
        ServerError::BadRequest {
            code: "invalid_point",
            message: message.into(),
            index: Some(index),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Engine(e) => match e {
                strata_engine::Error::FieldType { .. }
                | strata_engine::Error::SeriesLimit { .. }
                | strata_engine::Error::InvalidArgument(_) => StatusCode::BAD_REQUEST,
                strata_engine::Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                strata_engine::Error::Backpressure(_)
                | strata_engine::Error::ReadOnly { .. }
                | strata_engine::Error::Closed(_)
                // The disk failed or is full: not a bug, and retrying later may work.
                | strata_engine::Error::Io { .. }
                | strata_engine::Error::Rename { .. }
                | strata_engine::Error::ColdUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ServerError::Protocol {
                error: ProtocolError::RemoteWriteTooLarge { .. },
                ..
            } => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::Protocol { .. } | ServerError::BadRequest { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServerError::Query(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ServerError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServerError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServerError::NotFound(_) | ServerError::DatabaseNotFound(_) => StatusCode::NOT_FOUND,
            ServerError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ServerError::Cold(e) => match e {
                strata_cold::ColdError::Store { .. } => StatusCode::SERVICE_UNAVAILABLE,
                strata_cold::ColdError::ManifestConflict { .. } => StatusCode::CONFLICT,
                strata_cold::ColdError::Config { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ServerError::NoObjectStore => StatusCode::BAD_REQUEST,
            ServerError::Config(_)
            | ServerError::Bind { .. }
            | ServerError::Serve(_)
            | ServerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `code` of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::Engine(e) => match e {
                strata_engine::Error::FieldType { .. } => "field_type_conflict",
                strata_engine::Error::SeriesLimit { .. } => "series_limit",
                strata_engine::Error::InvalidArgument(_) => "invalid_point",
                strata_engine::Error::TooLarge { .. } => "too_large",
                strata_engine::Error::Backpressure(_) => "backpressure",
                strata_engine::Error::ReadOnly { .. } => "read_only",
                strata_engine::Error::Closed(_) => "shutting_down",
                strata_engine::Error::Io { .. } | strata_engine::Error::Rename { .. } => {
                    "storage_error"
                }
                strata_engine::Error::Corrupt { .. } => "corrupt_data",
                strata_engine::Error::ColdUnavailable(_) => "object_store_unavailable",
                _ => "internal",
            },
            ServerError::Protocol { error, format } => match (error, format) {
                (ProtocolError::RemoteWriteTooLarge { .. }, _) => "body_too_large",
                (ProtocolError::InvalidPrecision { .. }, _) => "invalid_precision",
                (_, BodyFormat::Json) => "invalid_json",
                (_, BodyFormat::LineProtocol) => "invalid_line_protocol",
                (_, BodyFormat::RemoteWrite) => "invalid_remote_write",
            },
            ServerError::Query(e) => e.code(),
            ServerError::BadRequest { code, .. } | ServerError::TooLarge { code, .. } => code,
            ServerError::UnsupportedMediaType(_) => "unsupported_media_type",
            ServerError::Unauthorized(_) => "unauthorized",
            ServerError::NotFound(_) => "not_found",
            ServerError::DatabaseNotFound(_) => "database_not_found",
            ServerError::MethodNotAllowed(_) => "method_not_allowed",
            ServerError::RequestTimeout(_) => "request_timeout",
            ServerError::Cold(e) => match e {
                strata_cold::ColdError::Store { .. } => "object_store_unavailable",
                strata_cold::ColdError::ManifestConflict { .. } => "manifest_conflict",
                strata_cold::ColdError::BadManifest { .. } => "corrupt_data",
                strata_cold::ColdError::Config { .. } => "invalid_object_store",
                _ => "internal",
            },
            ServerError::NoObjectStore => "object_store_not_configured",
            ServerError::Config(_)
            | ServerError::Bind { .. }
            | ServerError::Serve(_)
            | ServerError::Internal(_) => "internal",
        }
    }

    /// The index of the point at fault, when known.
    pub fn index(&self) -> Option<usize> {
        match self {
            ServerError::BadRequest { index, .. } => *index,
            ServerError::Engine(strata_engine::Error::SeriesLimit { point, .. }) => Some(*point),
            ServerError::Protocol { error, .. } => protocol_index(error),
            _ => None,
        }
    }

    /// The JSON error body.
    pub fn body(&self) -> serde_json::Value {
        let mut err = serde_json::json!({"code": self.code(), "message": self.to_string()});
        if let (Some(i), Some(obj)) = (self.index(), err.as_object_mut()) {
            obj.insert("index".into(), i.into());
        }
        serde_json::json!({ "error": err })
    }
}

/// The point index a JSON parser error names.
fn protocol_index(e: &ProtocolError) -> Option<usize> {
    use ProtocolError as P;
    match e {
        P::JsonInvalidPoint { index, .. }
        | P::JsonMissingMeasurement { index }
        | P::JsonEmptyMeasurement { index }
        | P::JsonMissingFields { index }
        | P::JsonUnknownKey { index, .. }
        | P::JsonDuplicateKey { index, .. }
        | P::JsonEmptyTagKey { index }
        | P::JsonEmptyTagValue { index, .. }
        | P::JsonInvalidTagValue { index, .. }
        | P::JsonDuplicateTag { index, .. }
        | P::JsonDuplicateField { index, .. }
        | P::JsonEmptyFieldKey { index }
        | P::JsonInvalidFieldValue { index, .. }
        | P::JsonInvalidTimestamp { index, .. }
        | P::JsonTimestampOutOfRange { index, .. } => Some(*index),
        _ => None,
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), code = self.code(), error = %self, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), code = self.code(), error = %self, "request rejected");
        }
        let mut resp = (status, axum::Json(self.body())).into_response();
        let headers = resp.headers_mut();
        match &self {
            ServerError::Engine(strata_engine::Error::Backpressure(_)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ServerError::Cold(strata_cold::ColdError::Store { .. })
            | ServerError::Engine(strata_engine::Error::ColdUnavailable(_))
            | ServerError::Query(QueryError::Engine(strata_engine::Error::ColdUnavailable(_))) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            }
            ServerError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The rest of a late body may still come, or the rest of a body over the limit
            // was never read: the connection cannot be reused, and the client must know it
            // (a client reusing it would see the connection drop under its next request).
            ServerError::RequestTimeout(_)
            | ServerError::TooLarge {
                code: "body_too_large",
                ..
            } => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let e = ServerError::Engine(strata_engine::Error::Backpressure("slow".into()));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "backpressure")
        );
        let resp = e.into_response();
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");

        let e = ServerError::Engine(strata_engine::Error::FieldType {
            measurement: "m".into(),
            field: "value".into(),
            existing: "float",
            written: "string",
        });
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(e.to_string().contains("\"value\""));

        let e = ServerError::Protocol {
            format: BodyFormat::Json,
            error: ProtocolError::JsonMissingFields { index: 3 },
        };
        assert_eq!(e.body()["error"]["index"], 3);
        assert_eq!(e.body()["error"]["code"], "invalid_json");

        let e = ServerError::Query(QueryError::TooLarge("big".into()));
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let e = ServerError::Engine(strata_engine::Error::Config("x".into()));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            ServerError::bad("x", "y").body()["error"]
                .get("index")
                .is_none()
        );
    }
}
