//! The Parquet schema of one measurement's partition (format version 1, documented in
//! docs/format.md): `time` (TIMESTAMP, nanoseconds, UTC), then one string column per tag key
//! (sorted), then one column per field (sorted) in its native type: float64, int64, boolean,
//! string, and unsigned as DECIMAL(20, 0) (Spark reads no unsigned type; the decimal holds
//! every u64 exactly). A field whose name is taken by `time` or a tag column is suffixed
//! `_field`; a tag key `time` becomes `time_tag`. The key-value metadata names which column
//! is which, so a reader never guesses.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, TimeUnit};
use serde::Serialize;
use strata_engine::ValueType;

/// The version of the file layout below (key-value metadata `strata.format_version`).
pub const FORMAT_VERSION: u32 = 1;

/// The time column's name.
pub const TIME: &str = "time";

/// What one column holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    /// The column's name in the file.
    pub column: String,
    /// The tag key or field name it holds.
    pub name: String,
    /// `None` for a tag column.
    #[serde(skip)]
    pub field_type: Option<ValueType>,
}

/// The columns of one file, in order after `time`.
#[derive(Debug, Clone)]
pub struct FileSchema {
    pub measurement: String,
    pub tags: Vec<ColumnSpec>,
    pub fields: Vec<ColumnSpec>,
    pub arrow: Arc<Schema>,
}

impl FileSchema {
    /// The schema for `tag_keys` and `fields` (both sorted by name).
    pub fn new(measurement: &str, tag_keys: &[String], fields: &[(String, ValueType)]) -> Self {
        let tags: Vec<ColumnSpec> = tag_keys
            .iter()
            .map(|k| ColumnSpec {
                column: if k == TIME {
                    format!("{k}_tag")
                } else {
                    k.clone()
                },
                name: k.clone(),
                field_type: None,
            })
            .collect();
        let taken = |n: &str| n == TIME || tags.iter().any(|t| t.column == n);
        let fields: Vec<ColumnSpec> = fields
            .iter()
            .map(|(name, ty)| ColumnSpec {
                column: if taken(name) {
                    format!("{name}_field")
                } else {
                    name.clone()
                },
                name: name.clone(),
                field_type: Some(*ty),
            })
            .collect();
        let mut columns = vec![Field::new(
            TIME,
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        )];
        columns.extend(
            tags.iter()
                .map(|t| Field::new(&t.column, DataType::Utf8, true)),
        );
        columns.extend(fields.iter().map(|f| {
            Field::new(
                &f.column,
                arrow_type(f.field_type.unwrap_or(ValueType::Float)),
                true,
            )
        }));
        FileSchema {
            measurement: measurement.to_string(),
            tags,
            fields,
            arrow: Arc::new(Schema::new(columns)),
        }
    }

    /// The key-value metadata every file carries.
    pub fn metadata(&self, partition_start: i64, partition_end: i64) -> Vec<(String, String)> {
        let fields: Vec<serde_json::Value> = self
            .fields
            .iter()
            .map(|f| {
                serde_json::json!({
                    "column": f.column,
                    "name": f.name,
                    "type": f.field_type.map_or("float", |t| t.name()),
                })
            })
            .collect();
        vec![
            ("strata.format_version".into(), FORMAT_VERSION.to_string()),
            ("strata.measurement".into(), self.measurement.clone()),
            (
                "strata.tags".into(),
                serde_json::to_string(&self.tags).unwrap_or_default(),
            ),
            (
                "strata.fields".into(),
                serde_json::Value::Array(fields).to_string(),
            ),
            (
                "strata.partition_start_ns".into(),
                partition_start.to_string(),
            ),
            ("strata.partition_end_ns".into(), partition_end.to_string()),
            (
                "strata.sorted_by".into(),
                "tags (in column order, nulls first), then time".into(),
            ),
        ]
    }
}

/// The Arrow type a field type is stored as.
pub fn arrow_type(t: ValueType) -> DataType {
    match t {
        ValueType::Float => DataType::Float64,
        ValueType::Integer => DataType::Int64,
        ValueType::Unsigned => DataType::Decimal128(20, 0),
        ValueType::Boolean => DataType::Boolean,
        ValueType::String => DataType::Utf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_collide_are_renamed() {
        let s = FileSchema::new(
            "m",
            &["host".into(), "time".into()],
            &[
                ("host".into(), ValueType::Float),
                ("time".into(), ValueType::Integer),
                ("v".into(), ValueType::Unsigned),
            ],
        );
        let names: Vec<&str> = s.arrow.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            ["time", "host", "time_tag", "host_field", "time_field", "v"]
        );
        assert_eq!(s.arrow.field(5).data_type(), &DataType::Decimal128(20, 0));
        let meta = s.metadata(0, 10);
        assert!(
            meta.iter()
                .any(|(k, v)| k == "strata.tags" && v.contains("\"time_tag\""))
        );
    }
}
