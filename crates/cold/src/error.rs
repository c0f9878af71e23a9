//! The cold tier's errors: one enum, with the object path or URL in every store error and
//! the file in every Parquet error.

/// A cold-tier result.
pub type Result<T, E = ColdError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ColdError {
    /// `--object-store` is malformed or names an unsupported scheme.
    #[error("invalid object store URL {url:?}: {reason}")]
    Config { url: String, reason: String },

    /// The store refused or could not be reached: `op` on `path` of store `store`.
    #[error("object store {store}: {op} {path}: {source}")]
    Store {
        store: String,
        op: &'static str,
        path: String,
        #[source]
        source: Box<object_store::Error>,
    },

    /// Another writer committed this manifest generation first.
    #[error(
        "object store {store}: manifest generation {generation} of database {database:?} already exists (is another Strata exporting to the same prefix?)"
    )]
    ManifestConflict {
        store: String,
        database: String,
        generation: u64,
    },

    /// A manifest in the store is not one this version reads.
    #[error("manifest {path}: {reason}")]
    BadManifest { path: String, reason: String },

    /// Encoding a Parquet file failed.
    #[error("writing {path}: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building the Arrow columns of a file failed.
    #[error("building the columns of {path}: {source}")]
    Arrow {
        path: String,
        #[source]
        source: arrow_schema::ArrowError,
    },

    /// A cold file or cache entry failed its checks (size, checksum, layout): reported,
    /// never read as data.
    #[error("cold file {path} is damaged: {reason}")]
    Corrupt { path: String, reason: String },

    /// Decoding a Parquet file failed.
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// The manifest lacks a partition a local cold listing names.
    #[error(
        "the object store {store} has no partition starting at {partition} of database {database:?} in manifest generation {generation}, though the local data directory lists it as exported"
    )]
    MissingPartition {
        store: String,
        database: String,
        partition: i64,
        generation: u64,
    },

    /// Reading the partition from the engine failed.
    #[error("reading partition {partition} of measurement {measurement:?}: {source}")]
    Engine {
        measurement: String,
        partition: i64,
        #[source]
        source: strata_engine::Error,
    },

    /// A blocking task (Parquet encoding) panicked or was cancelled.
    #[error("export task failed: {0}")]
    Task(String),
}

impl ColdError {
    /// The engine error a read of the cold tier fails with: an unreachable store (or any
    /// failure a retry may cure) is [`strata_engine::Error::ColdUnavailable`] (503), a damaged
    /// file or manifest [`strata_engine::Error::Corrupt`].
    pub fn into_engine(self) -> strata_engine::Error {
        use strata_engine::Error as E;
        match self {
            ColdError::Corrupt { path, reason } | ColdError::BadManifest { path, reason } => {
                E::Corrupt {
                    path: path.into(),
                    offset: 0,
                    reason,
                }
            }
            ColdError::Read { path, source } => E::Corrupt {
                path: path.into(),
                offset: 0,
                reason: source.to_string(),
            },
            other => E::ColdUnavailable(other.to_string()),
        }
    }

    /// True when the store could not be reached or failed (retry later); false for errors
    /// a retry cannot fix.
    pub fn is_store_unavailable(&self) -> bool {
        matches!(self, ColdError::Store { source, .. } if !matches!(**source, object_store::Error::NotFound { .. }))
    }
}
