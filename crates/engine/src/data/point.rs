//! A point to write: a series (measurement + sorted tags, see [`SeriesKey`]), a timestamp in
//! nanoseconds, and one or more typed fields. Each field of a series is its own column.

use crate::index::SeriesKey;

pub use strata_codec::ValueType;

/// One field value. A field keeps one type per measurement.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(String),
}

impl FieldValue {
    pub fn value_type(&self) -> ValueType {
        match self {
            FieldValue::Float(_) => ValueType::Float,
            FieldValue::Integer(_) => ValueType::Integer,
            FieldValue::Unsigned(_) => ValueType::Unsigned,
            FieldValue::Boolean(_) => ValueType::Boolean,
            FieldValue::String(_) => ValueType::String,
        }
    }

    /// Bit-exact equality (NaN equals NaN with the same payload), as storage sees values.
    pub fn same_as(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Float(a), FieldValue::Float(b)) => a.to_bits() == b.to_bits(),
            _ => self == other,
        }
    }
}

/// One point to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub series: SeriesKey,
    /// Field name and value; at least one.
    pub fields: Vec<(String, FieldValue)>,
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
}
