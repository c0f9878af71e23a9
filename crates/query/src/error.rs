//! The crate's one error type, [`QueryError`], and how it maps onto the HTTP contract
//! (status code and the `code` string of the error body).

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request is malformed or invalid (unknown key, bad filter, `start >= end`, a
    /// timestamp that overflows in nanoseconds, ...). The message is meant for the client.
    #[error("{0}")]
    BadRequest(String),
    /// The result would hold more points than the configured cap; the message suggests
    /// narrowing the range or using `aggregate` or `limit`.
    #[error("{0}")]
    TooLarge(String),
    /// A query thread failed (a bug, never the request's fault).
    #[error("{0}")]
    Internal(String),
    /// The storage engine failed while reading (I/O error, corruption).
    #[error("storage engine: {0}")]
    Engine(#[from] strata_engine::Error),
}

impl QueryError {
    /// The HTTP status: 400, 413, 500, or 503 when the cold tier's store is unreachable.
    pub fn status(&self) -> u16 {
        match self {
            QueryError::BadRequest(_) => 400,
            QueryError::TooLarge(_) => 413,
            QueryError::Internal(_) => 500,
            QueryError::Engine(e) if e.is_unavailable() => 503,
            QueryError::Engine(_) => 500,
        }
    }

    /// The `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::BadRequest(_) => "invalid_query",
            QueryError::TooLarge(_) => "result_too_large",
            QueryError::Internal(_) => "internal",
            QueryError::Engine(e) if e.is_unavailable() => "object_store_unavailable",
            QueryError::Engine(strata_engine::Error::Corrupt { .. }) => "corrupt_data",
            QueryError::Engine(_) => "internal",
        }
    }

    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        QueryError::BadRequest(msg.into())
    }

    /// The error of a query thread that panicked.
    pub(crate) fn thread_failed() -> Self {
        QueryError::Internal("a query thread failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_code() {
        let e = QueryError::bad("x");
        assert_eq!(
            (e.status(), e.code(), e.to_string().as_str()),
            (400, "invalid_query", "x")
        );
        let e = QueryError::TooLarge("big".into());
        assert_eq!((e.status(), e.code()), (413, "result_too_large"));
        let e = QueryError::from(strata_engine::Error::Config("c".into()));
        assert_eq!((e.status(), e.code()), (500, "internal"));
        assert!(e.to_string().contains("invalid configuration: c"));
    }
}
