//! Property test: a generated point structure serialized with serde_json
//! parses back to the same points.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Serialize;
use strata_protocol::{FieldValue, Precision, json};

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Value {
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(String),
}

#[derive(Debug, Clone, Serialize)]
struct Point {
    measurement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
    fields: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
}

fn name() -> impl Strategy<Value = String> {
    // Any non-empty string: JSON escapes whatever needs escaping.
    prop_oneof![
        "[a-z_]{1,10}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty())
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(Value::Float),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        any::<String>().prop_map(Value::Str),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    let ms = i64::MIN / 1_000_000..=i64::MAX / 1_000_000;
    (
        name(),
        prop::option::of(prop::collection::btree_map(name(), name(), 0..4)),
        prop::collection::btree_map(name(), value(), 1..6),
        prop::option::of(ms),
    )
        .prop_map(|(measurement, tags, fields, timestamp)| Point {
            measurement,
            tags,
            fields,
            timestamp,
        })
}

fn expected(v: &Value) -> FieldValue<'_> {
    match v {
        Value::Float(f) => FieldValue::Float(*f),
        Value::Int(i) => FieldValue::Float(*i as f64),
        Value::Bool(b) => FieldValue::Boolean(*b),
        Value::Str(s) => FieldValue::String(s.as_str().into()),
    }
}

fn check(points: &[Point], body: &str) -> Result<(), TestCaseError> {
    let batch = json::parse(body.as_bytes(), Precision::Milliseconds)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
    prop_assert_eq!(batch.len(), points.len());
    for (p, got) in points.iter().zip(&batch) {
        prop_assert_eq!(got.measurement(), p.measurement.as_str());
        let want_tags: Vec<(&str, &str)> = p
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let got_tags: Vec<(&str, &str)> = got
            .tags()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        prop_assert_eq!(got_tags, want_tags);
        let want_fields: Vec<(&str, FieldValue<'_>)> = p
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), expected(v)))
            .collect();
        let got_fields: Vec<(&str, FieldValue<'_>)> = got
            .fields()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.clone()))
            .collect();
        prop_assert_eq!(got_fields, want_fields);
        prop_assert_eq!(got.timestamp(), p.timestamp.map(|ms| ms * 1_000_000));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn array_round_trip(points in prop::collection::vec(point(), 0..6)) {
        let body = serde_json::to_string(&points).unwrap();
        check(&points, &body)?;
        let pretty = serde_json::to_string_pretty(&points).unwrap();
        check(&points, &pretty)?;
    }

    #[test]
    fn single_object_round_trip(p in point()) {
        let body = serde_json::to_string(&p).unwrap();
        check(std::slice::from_ref(&p), &body)?;
    }
}
