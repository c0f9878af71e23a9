//! Strata's ingest wire formats: bytes in, typed points out.
//!
//! Every decoder is a pure function over a byte slice (no I/O) that either
//! fills a [`PointBatch`] or returns a [`ProtocolError`] naming what is wrong
//! and where. Nothing in here panics on any input.
//!
//! - [`line`](mod@line): InfluxDB line protocol (parser and writer).
//! - [`json`]: the `/write` JSON body (one point object or an array of them).
//! - [`remote_write`]: Prometheus remote write 1.0 (snappy + protobuf).
//! - [`remote_read`]: Prometheus remote read 1.0 (samples responses).
//! - [`point`]: the parsed point types shared by all formats.
//! - [`precision`]: timestamp precision and checked conversion to nanoseconds.
//! - [`error`]: the crate's single error type.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![warn(missing_docs)]

pub mod error;
pub mod json;
pub mod line;
pub mod point;
pub mod precision;
pub mod remote_read;
pub mod remote_write;

pub use error::ProtocolError;
pub use point::{Field, FieldValue, PointBatch, PointRef, Points, Tag};
pub use precision::Precision;
