//! The result of a query: series, each with its tags, its timestamps (request precision) and
//! one column of optional values per field, aligned with the timestamps.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use strata_codec::ColumnRef;

/// Every series (or group) of a result, in tag order.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct QueryResult {
    pub series: Vec<SeriesResult>,
}

/// One output series: a stored series, or with `group_by` a group of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesResult {
    pub measurement: String,
    /// The series' tags; with `group_by`, only the group keys the group has.
    pub tags: BTreeMap<String, String>,
    /// In the request's precision, in the requested order.
    pub timestamps: Vec<i64>,
    /// Field name -> values aligned with `timestamps`; `None` where the field has no value
    /// at that time. A field appears only if it has data at one of the timestamps at least.
    pub fields: BTreeMap<String, Vec<Option<FieldOut>>>,
}

/// One output value. NaN and infinite floats serialize as `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldOut {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(String),
}

impl FieldOut {
    /// The value at `i` of a column slice (`None` if out of bounds).
    pub(crate) fn at(values: ColumnRef<'_>, i: usize) -> Option<FieldOut> {
        Some(match values {
            ColumnRef::Float(v) => FieldOut::Float(*v.get(i)?),
            ColumnRef::Integer(v) => FieldOut::Integer(*v.get(i)?),
            ColumnRef::Unsigned(v) => FieldOut::Unsigned(*v.get(i)?),
            ColumnRef::Boolean(v) => FieldOut::Boolean(*v.get(i)?),
            ColumnRef::String(v) => FieldOut::String(v.get(i)?.clone()),
        })
    }
}

impl Serialize for FieldOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldOut::Float(v) if v.is_finite() => s.serialize_f64(*v),
            FieldOut::Float(_) => s.serialize_none(),
            FieldOut::Integer(v) => s.serialize_i64(*v),
            FieldOut::Unsigned(v) => s.serialize_u64(*v),
            FieldOut::Boolean(v) => s.serialize_bool(*v),
            FieldOut::String(v) => s.serialize_str(v),
        }
    }
}

impl QueryResult {
    /// Number of points (rows: timestamps summed over the series).
    pub fn point_count(&self) -> usize {
        self.series.iter().map(|s| s.timestamps.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows() {
        let s = SeriesResult {
            measurement: "m".into(),
            tags: BTreeMap::new(),
            timestamps: vec![1, 2, 3],
            fields: BTreeMap::from([(
                "a".to_string(),
                vec![None, None, Some(FieldOut::Integer(1))],
            )]),
        };
        let r = QueryResult {
            series: vec![s.clone(), s],
        };
        assert_eq!(r.point_count(), 6);
        assert_eq!(QueryResult::default().point_count(), 0);
    }

    #[test]
    fn value_at() {
        let v = vec!["a".to_string()];
        assert_eq!(
            FieldOut::at(ColumnRef::String(&v), 0),
            Some(FieldOut::String("a".into()))
        );
        assert_eq!(FieldOut::at(ColumnRef::Boolean(&[true]), 1), None);
    }
}
