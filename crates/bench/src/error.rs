//! The one error type of the tool.

use std::path::PathBuf;

/// Everything that can stop a benchmark command.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A command-line value that makes no sense.
    #[error("{0}")]
    Usage(String),
    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A request could not be sent or its answer not read.
    #[error("HTTP request to {url} failed: {message}")]
    Http { url: String, message: String },
    /// The server answered with an error status.
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// A response body was not what the tool expected.
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
    /// Encoding a remote-write body failed.
    #[error("remote-write encoding: {0}")]
    Protocol(#[from] strata_protocol::ProtocolError),
    /// A server the tool runs did not start or stop as expected.
    #[error("{name}: {message}")]
    Server { name: String, message: String },
    /// A path that must exist does not.
    #[error("not found: {0}")]
    Missing(PathBuf),
}

impl BenchError {
    /// An [`BenchError::Io`] with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> BenchError {
        BenchError::Io {
            context: context.into(),
            source,
        }
    }

    /// A [`BenchError::Server`].
    pub fn server(name: &str, message: impl Into<String>) -> BenchError {
        BenchError::Server {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// The tool's result type.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
