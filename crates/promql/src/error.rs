//! The crate's one error type, classified as Prometheus' HTTP API reports errors: a query or
//! parameter the client got wrong (`bad_data`, 400), a query that parsed but cannot be
//! evaluated (`execution`, 422), one that ran out of time (`timeout`, 503), storage that
//! cannot be reached now (the cold tier's object store: `unavailable`, 503), and a storage
//! failure (`internal`, 500).

use thiserror::Error;

/// A failed PromQL request.
#[derive(Debug, Error)]
pub enum PromqlError {
    /// Unparsable query or invalid parameter.
    #[error("{0}")]
    BadData(String),
    /// The query is valid but its evaluation failed (wrong types at run time, duplicate
    /// series, too many samples).
    #[error("{0}")]
    Execution(String),
    /// The evaluation passed its deadline.
    #[error("{0}")]
    Timeout(String),
    /// Reading the engine failed.
    #[error("storage: {0}")]
    Storage(#[from] strata_engine::Error),
}

impl PromqlError {
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        PromqlError::BadData(msg.into())
    }

    pub(crate) fn exec(msg: impl Into<String>) -> Self {
        PromqlError::Execution(msg.into())
    }

    /// Prometheus' `errorType` for this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            PromqlError::BadData(_) => "bad_data",
            PromqlError::Execution(_) => "execution",
            PromqlError::Timeout(_) => "timeout",
            PromqlError::Storage(e) if e.is_unavailable() => "unavailable",
            PromqlError::Storage(_) => "internal",
        }
    }

    /// The HTTP status Prometheus answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            PromqlError::BadData(_) => 400,
            PromqlError::Execution(_) => 422,
            PromqlError::Timeout(_) => 503,
            PromqlError::Storage(e) if e.is_unavailable() => 503,
            PromqlError::Storage(_) => 500,
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, PromqlError>;
