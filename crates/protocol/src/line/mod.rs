//! InfluxDB line protocol (1.x/2.x): parsing a body into a [`PointBatch`]
//! and writing points back out.
//!
//! ```text
//! measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//! ```
//!
//! One point per line; lines end in `\n` or `\r\n`. Blank lines and lines
//! whose first non-blank character is `#` are skipped; spaces and tabs
//! before the measurement are ignored.
//!
//! Escaping, as InfluxDB documents it:
//! - measurement: `\,` and `\ `;
//! - tag keys, tag values and field keys: `\,`, `\=` and `\ `;
//! - string field values (double-quoted): `\"` and `\\`;
//! - everywhere, `\\` is one backslash; a backslash before any other
//!   character is kept literally (`a\b` is `a\b`).
//!
//! Field values: floats (`1`, `-1.5`, `1e-3`, `-1.5E10`; no `inf`/`nan`, no
//! leading `+`), integers `1i` (`i64`), unsigned `1u` (`u64`), booleans
//! (`t T true True TRUE f F false False FALSE`) and strings `"..."`, which
//! may span lines. The optional timestamp is a signed decimal integer in the
//! request [`Precision`](crate::Precision), converted to nanoseconds with an
//! overflow check.
//!
//! Choices where the spec leaves room:
//! - a repeated field key in one point: the last value wins (as InfluxDB),
//!   kept at the position of the first occurrence;
//! - a repeated tag key in one point is an error (as InfluxDB 1.x);
//! - an unescaped `=` in a tag value is an error;
//! - tags are kept in input order (see [`PointBatch::sort_tags`]).
//!
//! [`PointBatch`]: crate::PointBatch
//! [`PointBatch::sort_tags`]: crate::PointBatch::sort_tags

mod cursor;
mod parser;
mod value;
mod writer;

pub use parser::{parse, parse_into};
pub use writer::{escape_key, escape_measurement, write_batch, write_line};
