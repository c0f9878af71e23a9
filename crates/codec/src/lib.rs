//! Strata's time-series codecs: pure functions from columns to bytes and back, no I/O.
//!
//! A [`block`] holds the timestamps and values of one series column. Each column is encoded
//! by trying several schemes and keeping the smallest, announced by a one-byte header:
//! [`timestamp`] (scaled delta integers or Gorilla delta-of-delta), [`float`] (Gorilla XOR,
//! exact decimals, or raw bits with run-length), [`integer`] (delta / delta-of-delta with
//! frame-of-reference bit-packing, run-length or [`huffman`] codes), [`boolean`] and [`string`]. Decoders never
//! panic on arbitrary bytes: they return [`CodecError`]. The byte layouts are specified in
//! `docs/format.md`.

pub mod bitpack;
pub mod bits;
pub mod block;
pub mod boolean;
pub mod decimal;
pub mod error;
pub mod float;
pub mod gorilla;
pub mod huffman;
pub mod integer;
pub mod rle;
pub mod string;
pub mod timestamp;
pub mod varint;

pub use block::{
    BLOCK_VERSION, BlockDecoder, BlockEncoder, BlockSchemes, Column, ColumnRef,
    SHARED_TIMESTAMPS_VERSION, TimestampsAt, ValueType, decode_block, encode_block,
    share_timestamps, shared_timestamps, timestamp_section,
};
pub use error::{CodecError, Result};

/// The most points a block may hold; decoders reject larger counts before allocating.
pub const MAX_BLOCK_POINTS: usize = 1 << 16;

/// The default number of points per block the SSTable writer cuts a series column into.
pub const DEFAULT_BLOCK_POINTS: usize = 2048;
