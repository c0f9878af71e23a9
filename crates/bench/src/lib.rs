//! strata-bench: the benchmark tool of Strata.
//!
//! - [`data`]: the TSBS `cpu-only` data set (deterministic in a seed), [`encode`]d as line
//!   protocol, JSON or Prometheus remote write, pre-generated into [`batches`].
//! - [`ingest`]: concurrent keep-alive writers, throughput, latency and server memory.
//! - [`query`]: TSBS query types for Strata, InfluxQL and PromQL, run by [`query_run`].
//! - [`size`]: bytes on disk per field value and per series.
//! - [`compare`]: Strata, InfluxDB and Prometheus side by side, answers cross-checked.

pub mod batches;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod data;
pub mod encode;
pub mod error;
pub mod http;
pub mod ingest;
pub mod procmem;
pub mod progress;
pub mod query;
pub mod query_run;
pub mod report;
pub mod rng;
pub mod servers;
pub mod sink;
pub mod size;
pub mod stats;
pub mod timefmt;

pub use error::{BenchError, Result};
