//! The codec crate's single error type: every way a byte buffer can fail to decode.

use thiserror::Error;

/// Why a buffer could not be decoded (or, rarely, a column could not be encoded).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The buffer ended before the structure it describes was complete.
    #[error("truncated {what}: needed {needed} more byte(s) at offset {offset}")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
    },
    /// A scheme or type byte that this version of the format does not define.
    #[error("unknown {what} tag {tag:#04x}")]
    UnknownTag { what: &'static str, tag: u8 },
    /// A block written by a newer (or garbage) format version.
    #[error("unsupported block format version {0}")]
    UnsupportedVersion(u8),
    /// A count or length field larger than the format allows.
    #[error("{what} {value} exceeds the limit of {limit}")]
    TooLarge {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    /// A varint longer than 10 bytes or overflowing 64 bits.
    #[error("malformed varint at offset {0}")]
    BadVarint(usize),
    /// Structurally valid bytes that contradict each other (counts that disagree, bytes left over).
    #[error("inconsistent {what}: {detail}")]
    Inconsistent { what: &'static str, detail: String },
}

/// Result alias for the codec crate.
pub type Result<T> = std::result::Result<T, CodecError>;
