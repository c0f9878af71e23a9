//! The crate's errors: [`ParseError`] (a query that does not parse: InfluxDB answers it with
//! a 400 naming the position) and [`InfluxqlError`] (a statement that parsed but cannot run:
//! InfluxDB answers it inside that statement's result).

use crate::parse::lexer::Pos;

/// A query that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {}, char {}", pos.line, pos.col)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

impl ParseError {
    pub fn at(pos: Pos, message: String) -> Self {
        ParseError { message, pos }
    }
}

/// A statement that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum InfluxqlError {
    /// Invalid in what it asks (types, functions, arguments, time conditions).
    #[error("{0}")]
    Invalid(String),
    /// The statement names a database that does not exist.
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    /// No database was named (no `db` parameter and none in the statement).
    #[error("database name required")]
    DatabaseRequired,
    /// Over a limit of the server (points read or returned, buckets).
    #[error("{0}")]
    TooLarge(String),
    /// Reading the engine failed.
    #[error("storage: {0}")]
    Storage(#[from] strata_engine::Error),
}

impl InfluxqlError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        InfluxqlError::Invalid(msg.into())
    }
}

pub type Result<T, E = InfluxqlError> = std::result::Result<T, E>;
