//! The two JSON shapes of a result (API.md): `points` (`{"data_points": [...]}`, one object
//! per point, fields without a value omitted) and `series` (`{"series": [...]}`, columns with
//! `null` for missing values). Both are written by serde_json from borrowed structs, without
//! building a `serde_json::Value` per point.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::request::Format;
use crate::result::{FieldOut, QueryResult, SeriesResult};

impl QueryResult {
    /// The JSON body for the request's `format`.
    pub fn to_json(&self, format: Format) -> String {
        match format {
            Format::Points => self.to_points_json(),
            Format::Series => self.to_series_json(),
        }
    }

    /// `{"data_points":[{"timestamp":..,"tags":{..},"fields":{..}}, ...]}`.
    pub fn to_points_json(&self) -> String {
        to_string(&PointsDoc {
            data_points: Points(&self.series),
        })
    }

    /// `{"series":[{"measurement":..,"tags":{..},"timestamps":[..],"fields":{"f":[..]}}]}`.
    pub fn to_series_json(&self) -> String {
        to_string(self)
    }
}

/// Serializing these types cannot fail (string keys, no I/O); should it ever, the result is a
/// JSON error object rather than a panic.
fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({"error": {"code": "internal", "message": format!("serializing the result: {e}")}})
            .to_string()
    })
}

#[derive(Serialize)]
struct PointsDoc<'a> {
    data_points: Points<'a>,
}

struct Points<'a>(&'a [SeriesResult]);

impl Serialize for Points<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let total = self.0.iter().map(|s| s.timestamps.len()).sum();
        let mut seq = s.serialize_seq(Some(total))?;
        for series in self.0 {
            for (row, &timestamp) in series.timestamps.iter().enumerate() {
                seq.serialize_element(&PointRef {
                    timestamp,
                    tags: &series.tags,
                    fields: FieldsAt {
                        fields: &series.fields,
                        row,
                    },
                })?;
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct PointRef<'a> {
    timestamp: i64,
    tags: &'a BTreeMap<String, String>,
    fields: FieldsAt<'a>,
}

/// The fields of one row that have a value.
struct FieldsAt<'a> {
    fields: &'a BTreeMap<String, Vec<Option<FieldOut>>>,
    row: usize,
}

impl Serialize for FieldsAt<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (name, column) in self.fields {
            if let Some(Some(v)) = column.get(self.row) {
                map.serialize_entry(name, v)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> QueryResult {
        QueryResult {
            series: vec![
                SeriesResult {
                    measurement: "cpu".into(),
                    tags: BTreeMap::from([("host".to_string(), "a".to_string())]),
                    timestamps: vec![10, 20],
                    fields: BTreeMap::from([
                        (
                            "v".to_string(),
                            vec![Some(FieldOut::Float(1.5)), Some(FieldOut::Float(f64::NAN))],
                        ),
                        ("n".to_string(), vec![None, Some(FieldOut::Integer(-3))]),
                    ]),
                },
                SeriesResult {
                    measurement: "cpu".into(),
                    tags: BTreeMap::new(),
                    timestamps: vec![5],
                    fields: BTreeMap::from([
                        ("s".to_string(), vec![Some(FieldOut::String("x\"y".into()))]),
                        ("b".to_string(), vec![Some(FieldOut::Boolean(true))]),
                        ("u".to_string(), vec![Some(FieldOut::Unsigned(u64::MAX))]),
                        ("i".to_string(), vec![Some(FieldOut::Float(f64::INFINITY))]),
                    ]),
                },
            ],
        }
    }

    #[test]
    fn points_shape() {
        let json: serde_json::Value = serde_json::from_str(&result().to_points_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"data_points": [
                {"timestamp": 10, "tags": {"host": "a"}, "fields": {"v": 1.5}},
                {"timestamp": 20, "tags": {"host": "a"}, "fields": {"n": -3, "v": null}},
                {"timestamp": 5, "tags": {}, "fields": {"b": true, "i": null, "s": "x\"y", "u": 18446744073709551615u64}},
            ]})
        );
    }

    #[test]
    fn series_shape() {
        let json: serde_json::Value = serde_json::from_str(&result().to_series_json()).unwrap();
        assert_eq!(
            json["series"][0],
            serde_json::json!({"measurement": "cpu", "tags": {"host": "a"}, "timestamps": [10, 20],
                "fields": {"n": [null, -3], "v": [1.5, null]}})
        );
        assert_eq!(
            json["series"][1]["fields"]["u"],
            serde_json::json!([18446744073709551615u64])
        );
    }

    #[test]
    fn empty_results() {
        let r = QueryResult::default();
        assert_eq!(r.to_points_json(), r#"{"data_points":[]}"#);
        assert_eq!(r.to_series_json(), r#"{"series":[]}"#);
        assert_eq!(r.to_json(Format::Points), r.to_points_json());
        assert_eq!(r.to_json(Format::Series), r.to_series_json());
    }
}
