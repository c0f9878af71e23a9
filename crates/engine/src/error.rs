//! The crate-wide error type.
//!
//! Every fallible function of the engine returns [`Result`]. I/O failures always
//! carry the operation and the path they concern, so a log line or an error shown
//! to an operator says *what* failed *where*. Corruption names the file and the
//! byte offset. The enum is `#[non_exhaustive]`: other parts of the engine add
//! their own variants here.

use std::io;
use std::path::PathBuf;

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O call failed. `op` names the operation
    /// (`"open"`, `"write"`, `"fsync"`, ...), `path` the file or directory.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A rename failed (it has two paths, so it is not an [`Error::Io`]).
    #[error("rename {} -> {}: {source}", from.display(), to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Data read from disk failed validation (bad magic, bad checksum,
    /// impossible length, ...). `offset` is the byte offset in `path` where the
    /// bad structure starts.
    #[error("corrupt data in {} at offset {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    /// A file was written by a format version this build does not understand.
    #[error(
        "unsupported format version {found} in {} (this build reads version {supported})",
        path.display()
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u16,
        supported: u16,
    },

    /// The engine stopped accepting writes, typically after a failed fsync
    /// (which is never retried: the kernel may already have dropped the data).
    /// Reads may still work; restart the process to recover from disk.
    #[error("read-only: {reason}")]
    ReadOnly { reason: String },

    /// Invalid configuration value.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// A caller passed an argument the API does not accept.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A value exceeds a configured size limit.
    #[error("{what} of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        size: u64,
        limit: u64,
    },

    /// A field was written with a type other than the one its measurement already has.
    #[error(
        "field {field:?} of measurement {measurement:?} is {existing}, cannot write a {written} value"
    )]
    FieldType {
        measurement: String,
        field: String,
        existing: &'static str,
        written: &'static str,
    },

    /// A write would give a measurement more series than allowed.
    #[error(
        "measurement {measurement:?} has {existing} series; this request would add {added}, over max_series_per_measurement ({limit})"
    )]
    SeriesLimit {
        measurement: String,
        existing: usize,
        added: usize,
        limit: usize,
        /// The first point of the batch with a new series of that measurement.
        point: usize,
    },

    /// The MemTables are over their hard cap (flushes are behind): retry later.
    #[error("write backpressure: {0}")]
    Backpressure(String),

    /// The cold tier holds data a read needs and cannot give it now: the object store is
    /// unreachable or failing, or not configured (retry later, or configure it).
    #[error("cold tier unavailable: {0}")]
    ColdUnavailable(String),

    /// The component (named) was closed.
    #[error("{0} is closed")]
    Closed(&'static str),

    /// A background job panicked or its thread died (a bug; the log has the details).
    #[error("background work failed: {0}")]
    Background(String),
}

impl Error {
    /// True when the data is there but cannot be reached now (the cold tier's store): the
    /// front ends answer 503, in their protocol.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::ColdUnavailable(_))
    }

    /// Builds an [`Error::Io`].
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Corrupt`].
    pub fn corrupt(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }

    /// The underlying OS error kind, if this is an I/O error.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Error::Io { source, .. } | Error::Rename { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    /// The raw OS error code (`errno`), if this is an I/O error that has one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } | Error::Rename { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_op_and_path() {
        let e = Error::io(
            "fsync",
            "/data/wal/1.wal",
            io::Error::from_raw_os_error(libc::EIO),
        );
        let s = e.to_string();
        assert!(s.starts_with("fsync /data/wal/1.wal: "), "{s}");
        assert_eq!(e.raw_os_error(), Some(libc::EIO));
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn corrupt_names_file_and_offset() {
        let e = Error::corrupt("/d/x.wal", 42, "checksum mismatch");
        assert_eq!(
            e.to_string(),
            "corrupt data in /d/x.wal at offset 42: checksum mismatch"
        );
        assert_eq!(e.io_kind(), None);
    }

    #[test]
    fn error_is_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
