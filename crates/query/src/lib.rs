//! Strata's query layer: plans and executes a `POST /query` request (API.md) over an engine
//! [`Snapshot`](strata_engine::Snapshot).
//!
//! Flow: [`QueryRequest::from_json`] decodes the body strictly (an unknown key is an error
//! naming it); [`execute`] validates it ([`QueryRequest::validate`]), converts its times to
//! nanoseconds ([`time`]), matches series on the tag postings ([`match_series()`]), plans the
//! fields and the output series, then builds one output series at a time — raw points, or
//! per-window aggregates merged across a `group_by` group — while enforcing
//! [`QueryOptions::max_points`]. [`QueryResult`] renders the `points` or `series` JSON shape.
//!
//! # Semantics (where API.md leaves a choice)
//! - **Time**: `start` inclusive, `end` exclusive, in the request precision
//!   ([`QueryOptions::precision_ns`]); the conversion to nanoseconds is checked (an overflow is
//!   a 400). Returned timestamps are converted back by flooring division, so a point is
//!   reported inside the range that selected it, also before 1970.
//! - **Filters**: see [`match_series()`]: `ne` matches series without the tag (as InfluxDB);
//!   regexes use the `regex` crate's syntax, are unanchored (`web` matches `old-web-1`) and
//!   never match a missing tag.
//! - **Fields**: the requested names the measurement has; an unknown name is simply absent
//!   (as a field without data would be). Default: every field of the measurement. A result
//!   series lists only the fields that have data at one of its rows.
//! - **Series**: only series (or groups) with data in range are returned, ordered by their
//!   tags compared as sorted `(key, value)` lists; points by time. `order: desc` reverses the
//!   time order per series and `limit` counts points per series, after aggregation.
//! - **Aggregates**: windows of `every` aligned to the epoch (floor division); a window is
//!   stamped with its start, or the whole range with `start` when `every` is absent. Rows are
//!   the windows where at least one field has data; a field without data in a window is
//!   `null` there (`count` included). `count`, `first`, `last` take any type; `sum`, `mean`,
//!   `min`, `max`, `stddev`, `quantile` need a numeric field: naming a non-numeric field in
//!   `fields` is a 400, while with the default field list such fields are skipped. `count`
//!   is an integer; `min`/`max`/`first`/`last` keep the field's type; `sum` of integers
//!   (unsigned) is exact and stays an integer (unsigned) when it fits 64 bits, else becomes
//!   a float, never a wrapped value; `mean`, `stddev`, `quantile` are floats. `stddev` is the
//!   sample standard deviation (n - 1), `null` below two values. `quantile` interpolates
//!   linearly between closest ranks (R-7, as NumPy and Prometheus). On equal timestamps
//!   within a group, `first` takes the series first in tag order and `last` the one last.
//! - **Group by**: series sharing the values of the listed keys are aggregated together; the
//!   output tags hold only those keys (a series without a key groups under its absence), and
//!   `[]` folds every matching series into one.
//! - **Cap**: a result with more than `max_points` rows (timestamps summed over series) is a
//!   [`QueryError::TooLarge`], detected while building — never a truncated answer.
//! - **Memory**: one output series (or group) is built at a time; an aggregate holds one
//!   (series, field) column at a time plus the group's window states (for `quantile`, the
//!   window's values). With `limit`, raw reads probe growing windows from the `order` end.

mod aggregate;
mod align;
mod budget;
pub mod derive;
mod error;
mod execute;
pub mod fill;
mod finish;
mod grouped;
mod json;
mod match_series;
mod options;
mod plan;
mod raw;
mod request;
mod result;
mod rollups;
pub mod time;
mod validate;
pub mod value_filter;
mod window;

#[cfg(test)]
mod testutil;

pub use error::QueryError;
pub use execute::execute;
pub use match_series::match_series;
pub use options::{DEFAULT_MAX_POINTS, QueryOptions, precision_ns};
pub use request::{AggFunction, Aggregate, Derive, Filter, Format, Order, QueryRequest};
pub use result::{FieldOut, QueryResult, SeriesResult};
pub use value_filter::{CmpOp, ValueFilter};
