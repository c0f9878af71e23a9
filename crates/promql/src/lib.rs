//! PromQL over Strata, with the semantics of Prometheus 2.42 (the version Debian ships and the
//! differential tests compare against).
//!
//! # The metric model
//! Tags are labels. A measurement's numeric field is a metric: the field `value` (what
//! Prometheus remote write stores) is the metric `<measurement>`, any other field `f` is
//! `<measurement>_<f>` (VictoriaMetrics' convention for line protocol): `cpu,host=a
//! usage_user=3` is `cpu_usage_user{host="a"}`. Integers and booleans read as floats (booleans
//! 0 and 1); string fields are not metrics. Staleness markers written by remote write are
//! stored bit for bit and end a series in instant selectors, as in Prometheus.
//!
//! # Layout
//! - [`model`]: label sets, metric names, number formatting.
//! - [`select`]: matchers on the postings, selected series, their samples.
//! - [`eval`]: the evaluator (selectors, range windows, subqueries, functions, aggregations,
//!   binary operators), over all steps of a query at once.
//! - [`query`]: instant and range queries; [`metadata`]: series, label names and values,
//!   cardinality.

pub mod error;
pub mod eval;
pub mod metadata;
pub mod model;
pub mod options;
pub mod query;
pub mod select;
#[doc(hidden)]
pub mod testdata;

pub use error::{PromqlError, Result};
pub use model::labels::{Labels, METRIC_NAME};
pub use model::number::format_value;
pub use options::PromqlOptions;
pub use query::{QueryResult, instant_query, parse, parse_duration, range_query};
