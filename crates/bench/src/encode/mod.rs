//! Write bodies for the three formats Strata accepts, built from generated rows.

pub mod json;
pub mod lp;
pub mod remote_write;

use crate::data::{HostTags, Row};
use crate::error::Result;

/// A write format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// InfluxDB line protocol, nanosecond timestamps (`POST /write`).
    Lp,
    /// Strata's JSON points, millisecond timestamps (`POST /write`).
    Json,
    /// Prometheus remote write 1.0: snappy protobuf, one series per host and field,
    /// metric `cpu_<field>` (`POST /api/v1/write`).
    RemoteWrite,
}

impl Format {
    /// The `Content-Type` of a body.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Lp => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::RemoteWrite => "application/x-protobuf",
        }
    }

    /// The `Content-Encoding` of a body, if any.
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Format::RemoteWrite => Some("snappy"),
            _ => None,
        }
    }

    /// The path Strata takes this format on.
    pub fn strata_path(self) -> &'static str {
        match self {
            Format::Lp | Format::Json => "/write",
            Format::RemoteWrite => "/api/v1/write",
        }
    }

    /// Short name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Lp => "lp",
            Format::Json => "json",
            Format::RemoteWrite => "remote-write",
        }
    }
}

/// Turns rows into request bodies; holds what is computed once per host.
#[derive(Debug, Clone)]
pub enum Encoder {
    /// Line protocol.
    Lp(lp::LpEncoder),
    /// JSON.
    Json(json::JsonEncoder),
    /// Remote write.
    RemoteWrite(remote_write::RemoteWriteEncoder),
}

impl Encoder {
    /// An encoder for `format` over these hosts.
    pub fn new(format: Format, hosts: &[HostTags]) -> Encoder {
        match format {
            Format::Lp => Encoder::Lp(lp::LpEncoder::new(hosts)),
            Format::Json => Encoder::Json(json::JsonEncoder::new(hosts)),
            Format::RemoteWrite => {
                Encoder::RemoteWrite(remote_write::RemoteWriteEncoder::new(hosts))
            }
        }
    }

    /// One request body holding `rows`.
    pub fn encode(&self, rows: &[Row]) -> Result<Vec<u8>> {
        match self {
            Encoder::Lp(e) => {
                let mut out = Vec::with_capacity(rows.len() * 420);
                e.encode(rows, &mut out);
                Ok(out)
            }
            Encoder::Json(e) => {
                let mut out = Vec::with_capacity(rows.len() * 520);
                e.encode(rows, &mut out);
                Ok(out)
            }
            Encoder::RemoteWrite(e) => e.encode(rows),
        }
    }
}

/// Appends the shortest decimal that reads back as `v` (never exponent notation: Rust's
/// `Display` for `f64`), valid in line protocol and JSON alike.
pub(crate) fn push_f64(out: &mut Vec<u8>, v: f64) {
    use std::io::Write as _;
    let _ = write!(out, "{v}");
}

/// Appends a decimal integer.
pub(crate) fn push_i64(out: &mut Vec<u8>, v: i64) {
    use std::io::Write as _;
    let _ = write!(out, "{v}");
}
