//! Property test: any representable point survives `write_line` -> `parse`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use proptest::prelude::*;
use strata_protocol::{FieldValue, PointBatch, Precision, line};

/// Characters that need escaping somewhere, plus ordinary and non-ASCII ones.
const ALPHABET: &[char] = &[
    'a', 'b', 'z', 'A', '0', '9', '_', '-', '.', ',', '=', ' ', '\\', '"', '#', '\t', '\r', 'é',
    '😀', '\'',
];

fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), min..=max)
        .prop_map(|chars| chars.into_iter().collect())
}

/// A measurement: non-empty, and not starting with `#` (a comment) or a tab
/// (skipped as leading whitespace); see `write_line`'s documentation.
fn measurement() -> impl Strategy<Value = String> {
    text(1, 12).prop_filter("not representable", |m| {
        !m.starts_with('#') && !m.starts_with('\t')
    })
}

fn field_value() -> impl Strategy<Value = FieldValue<'static>> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(FieldValue::Float),
        any::<i64>().prop_map(FieldValue::Integer),
        any::<u64>().prop_map(FieldValue::Unsigned),
        any::<bool>().prop_map(FieldValue::Boolean),
        // Strings may hold anything, newlines included.
        prop_oneof![text(0, 16), any::<String>(), Just("\n\r\n".to_owned())]
            .prop_map(|s| FieldValue::String(Cow::Owned(s))),
    ]
}

#[derive(Debug, Clone)]
struct Point {
    measurement: String,
    tags: BTreeMap<String, String>,
    fields: BTreeMap<String, FieldValue<'static>>,
    timestamp: Option<i64>,
}

fn point() -> impl Strategy<Value = Point> {
    (
        measurement(),
        prop::collection::btree_map(text(1, 8), text(1, 8), 0..5),
        prop::collection::btree_map(text(1, 8), field_value(), 1..6),
        prop::option::of(any::<i64>()),
    )
        .prop_map(|(measurement, tags, fields, timestamp)| Point {
            measurement,
            tags,
            fields,
            timestamp,
        })
}

fn to_batch(points: &[Point]) -> PointBatch<'_> {
    let mut batch = PointBatch::new();
    for p in points {
        batch.push(
            p.measurement.as_str(),
            p.tags
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()))),
            p.fields
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), v.clone())),
            p.timestamp,
        );
    }
    batch
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn write_then_parse_is_identity(points in prop::collection::vec(point(), 1..8)) {
        let batch = to_batch(&points);
        let mut body = String::new();
        line::write_batch(&batch, &mut body);
        let parsed = line::parse(body.as_bytes(), Precision::Nanoseconds)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
        prop_assert_eq!(&parsed, &batch, "body: {:?}", body);

        // Written again, the parsed batch gives the same text.
        let mut again = String::new();
        line::write_batch(&parsed, &mut again);
        prop_assert_eq!(again, body);
    }

    #[test]
    fn crlf_line_endings_parse_the_same(points in prop::collection::vec(point(), 1..4)) {
        // Only when no string field holds a newline, which `\r\n` would change.
        let plain = points.iter().all(|p| p.fields.values().all(|v| match v {
            FieldValue::String(s) => !s.contains('\n') && !s.contains('\r'),
            _ => true,
        }));
        prop_assume!(plain);
        let batch = to_batch(&points);
        let mut body = String::new();
        line::write_batch(&batch, &mut body);
        let crlf = body.replace('\n', "\r\n");
        let parsed = line::parse(crlf.as_bytes(), Precision::Nanoseconds)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{crlf:?}")))?;
        prop_assert_eq!(&parsed, &batch);
    }
}
