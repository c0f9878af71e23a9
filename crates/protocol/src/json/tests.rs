//! Tests of the JSON point parser: accepted shapes and every error class.

use std::borrow::Cow;

use super::*;
use crate::error::ProtocolError as E;

fn ok(body: &str) -> PointBatch<'_> {
    parse(body.as_bytes(), Precision::Milliseconds).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn err(body: &str) -> ProtocolError {
    match parse(body.as_bytes(), Precision::Milliseconds) {
        Ok(batch) => panic!("{body} parsed: {batch:?}"),
        Err(e) => e,
    }
}

const EXAMPLE: &str = r#"{"measurement": "cpu_usage", "tags": {"host": "server01"},
    "fields": {"value": 75.5, "up": true, "note": "x"}, "timestamp": 1696789234567}"#;

#[test]
fn documented_example() {
    let b = ok(EXAMPLE);
    assert_eq!(b.len(), 1);
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "cpu_usage");
    assert_eq!(p.tag("host"), Some("server01"));
    assert_eq!(
        p.fields(),
        &[
            ("value".into(), FieldValue::Float(75.5)),
            ("up".into(), FieldValue::Boolean(true)),
            ("note".into(), FieldValue::String("x".into())),
        ]
    );
    assert_eq!(p.timestamp(), Some(1_696_789_234_567_000_000));
}

#[test]
fn array_of_points() {
    let b = ok(r#"[
        {"measurement": "a", "fields": {"v": 1}},
        {"fields": {"v": 2}, "measurement": "b", "timestamp": -5},
        {"measurement": "c", "tags": null, "fields": {"v": 3}, "timestamp": null}
    ]"#);
    assert_eq!(b.len(), 3);
    let names: Vec<_> = b.iter().map(|p| p.measurement()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(b.get(0).unwrap().timestamp(), None);
    assert_eq!(b.get(1).unwrap().timestamp(), Some(-5_000_000));
    assert_eq!(b.get(2).unwrap().timestamp(), None);
    assert!(ok("[]").is_empty());
}

#[test]
fn numbers_are_floats() {
    let b = ok(
        r#"{"measurement": "m", "fields": {"i": 3, "n": -3, "big": 18446744073709551615, "e": 1e3, "f": 0.1}}"#,
    );
    let p = b.get(0).unwrap();
    assert_eq!(p.field("i"), Some(&FieldValue::Float(3.0)));
    assert_eq!(p.field("n"), Some(&FieldValue::Float(-3.0)));
    assert_eq!(p.field("big"), Some(&FieldValue::Float(u64::MAX as f64)));
    assert_eq!(p.field("e"), Some(&FieldValue::Float(1000.0)));
    assert_eq!(p.field("f"), Some(&FieldValue::Float(0.1)));
}

#[test]
fn strings_borrow_unless_escaped() {
    let b = ok(
        r#"{"measurement": "c\u00e9", "tags": {"h": "a\"b", "plain": "x"},
        "fields": {"s": "plain", "t": "tab\there", "k\n": false}}"#,
    );
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "cé");
    assert!(matches!(p.measurement_cow(), Cow::Owned(_)));
    assert_eq!(p.tag("h"), Some("a\"b"));
    assert!(matches!(
        p.tags()[1],
        (Cow::Borrowed("plain"), Cow::Borrowed("x"))
    ));
    assert!(matches!(
        p.field("s"),
        Some(FieldValue::String(Cow::Borrowed("plain")))
    ));
    assert_eq!(p.field("t"), Some(&FieldValue::String("tab\there".into())));
    assert_eq!(p.field("k\n"), Some(&FieldValue::Boolean(false)));
    let b = ok(r#"{"measurement": "plain", "fields": {"v": 1}}"#);
    assert!(matches!(
        b.get(0).unwrap().measurement_cow(),
        Cow::Borrowed(_)
    ));
}

#[test]
fn duplicate_fields_are_an_error_like_duplicate_tags() {
    let e = parse(
        br#"[{"measurement": "m", "fields": {"v": 1}}, {"measurement": "m", "fields": {"a": 1, "b": 2, "a": "x"}}]"#,
        Precision::Milliseconds,
    )
    .unwrap_err();
    assert_eq!(
        e,
        ProtocolError::JsonDuplicateField {
            index: 1,
            field: "a".into()
        }
    );
}

#[test]
fn precision_scales_timestamps() {
    let body = br#"{"measurement": "m", "fields": {"v": 1}, "timestamp": 7}"#;
    for (p, want) in [
        (Precision::Nanoseconds, 7),
        (Precision::Microseconds, 7_000),
        (Precision::Milliseconds, 7_000_000),
        (Precision::Seconds, 7_000_000_000),
    ] {
        assert_eq!(
            parse(body, p).unwrap().get(0).unwrap().timestamp(),
            Some(want)
        );
    }
}

#[test]
fn parse_into_appends_and_rolls_back() {
    let mut batch = PointBatch::new();
    let first = br#"{"measurement": "a", "fields": {"v": 1}}"#.to_vec();
    let bad = br#"[{"measurement": "b", "fields": {"v": 1}}, {"measurement": "c"}]"#.to_vec();
    parse_into(&first, Precision::Milliseconds, &mut batch).unwrap();
    let before = batch.clone();
    assert!(parse_into(&bad, Precision::Milliseconds, &mut batch).is_err());
    assert_eq!(batch, before);
}

// ---- errors ------------------------------------------------------------------

#[test]
fn invalid_body() {
    for body in [
        "", "   ", "nul", "42", "\"cpu\"", "true", "null", "[] []", "[] x",
    ] {
        assert!(matches!(err(body), E::JsonInvalidBody { .. }), "{body:?}");
    }
    // A truncated object is a truncated point 0.
    assert!(matches!(err("{"), E::JsonInvalidPoint { index: 0, .. }));
    let e = err("42");
    assert!(
        e.to_string()
            .contains("expected a point object or an array of point objects"),
        "{e}"
    );
    assert!(matches!(
        parse(b"\xff", Precision::Milliseconds),
        Err(E::JsonInvalidBody { .. })
    ));
}

#[test]
fn invalid_point_shapes_carry_the_index() {
    let valid = r#"{"measurement": "m", "fields": {"v": 1}}"#;
    for (bad, needle) in [
        ("1", "expected a point object"),
        ("[]", "expected a point object"),
        (
            r#"{"measurement": 5, "fields": {"v": 1}}"#,
            "measurement name",
        ),
        (
            r#"{"measurement": "m", "tags": [], "fields": {"v": 1}}"#,
            "\"tags\"",
        ),
        (
            r#"{"measurement": "m", "tags": "h", "fields": {"v": 1}}"#,
            "\"tags\"",
        ),
        (r#"{"measurement": "m", "fields": 3}"#, "\"fields\""),
        (r#"{"measurement": "m", "fields": {"v": 1"#, "line 1 column"),
    ] {
        let body = format!("[{valid}, {valid}, {bad}]");
        match err(&body) {
            E::JsonInvalidPoint { index, message } => {
                assert_eq!(index, 2, "{body}");
                assert!(message.contains(needle), "{body}: {message}");
            }
            other => panic!("{body}: {other}"),
        }
    }
}

#[test]
fn missing_measurement() {
    assert_eq!(
        err(r#"{"fields": {"v": 1}}"#),
        E::JsonMissingMeasurement { index: 0 }
    );
    assert_eq!(
        err(r#"[{"measurement": "m", "fields": {"v": 1}}, {"fields": {"v": 1}}]"#),
        E::JsonMissingMeasurement { index: 1 }
    );
    assert!(matches!(
        err(r#"{"measurement": null, "fields": {"v": 1}}"#),
        E::JsonInvalidPoint { index: 0, .. }
    ));
}

#[test]
fn empty_measurement() {
    assert_eq!(
        err(r#"{"measurement": "", "fields": {"v": 1}}"#),
        E::JsonEmptyMeasurement { index: 0 }
    );
}

#[test]
fn missing_fields() {
    for body in [
        r#"{"measurement": "m"}"#,
        r#"{"measurement": "m", "fields": {}}"#,
        r#"{"measurement": "m", "fields": null}"#,
        "{}",
    ] {
        let e = err(body);
        let want = if body == "{}" {
            E::JsonMissingMeasurement { index: 0 }
        } else {
            E::JsonMissingFields { index: 0 }
        };
        assert_eq!(e, want, "{body}");
    }
}

#[test]
fn unknown_and_duplicate_keys() {
    assert_eq!(
        err(r#"{"measurement": "m", "field": {"v": 1}}"#),
        E::JsonUnknownKey {
            index: 0,
            key: "field".into()
        }
    );
    assert_eq!(
        err(r#"{"measurement": "m", "measurement": "n", "fields": {"v": 1}}"#),
        E::JsonDuplicateKey {
            index: 0,
            key: "measurement"
        }
    );
    assert_eq!(
        err(r#"{"measurement": "m", "fields": {"v": 1}, "fields": {"w": 1}}"#),
        E::JsonDuplicateKey {
            index: 0,
            key: "fields"
        }
    );
}

#[test]
fn tag_errors() {
    let with_tags =
        |tags: &str| format!(r#"{{"measurement": "m", "tags": {tags}, "fields": {{"v": 1}}}}"#);
    assert_eq!(
        err(&with_tags(r#"{"": "a"}"#)),
        E::JsonEmptyTagKey { index: 0 }
    );
    assert_eq!(
        err(&with_tags(r#"{"host": ""}"#)),
        E::JsonEmptyTagValue {
            index: 0,
            tag: "host".into()
        }
    );
    assert_eq!(
        err(&with_tags(r#"{"host": "a", "host": "b"}"#)),
        E::JsonDuplicateTag {
            index: 0,
            tag: "host".into()
        }
    );
    for (value, found) in [
        ("1", "number"),
        ("1.5", "number"),
        ("true", "boolean"),
        ("null", "null"),
        ("[\"a\"]", "array"),
        ("{\"a\": 1}", "object"),
    ] {
        assert_eq!(
            err(&with_tags(&format!(r#"{{"host": {value}}}"#))),
            E::JsonInvalidTagValue {
                index: 0,
                tag: "host".into(),
                found
            },
            "{value}"
        );
    }
}

#[test]
fn field_errors() {
    let e = err(r#"[{"measurement": "m", "fields": {"v": 1}},
        {"measurement": "m", "fields": {"v": 1}},
        {"measurement": "m", "fields": {"v": 1}},
        {"measurement": "m", "fields": {"ok": 1, "value": null}}]"#);
    assert_eq!(
        e,
        E::JsonInvalidFieldValue {
            index: 3,
            field: "value".into(),
            found: "null"
        }
    );
    assert_eq!(
        e.to_string(),
        "point 3: field \"value\" must be a number, boolean or string, found null"
    );
    for (value, found) in [("[1, 2]", "array"), (r#"{"nested": [{}]}"#, "object")] {
        assert_eq!(
            err(&format!(
                r#"{{"measurement": "m", "fields": {{"v": {value}}}}}"#
            )),
            E::JsonInvalidFieldValue {
                index: 0,
                field: "v".into(),
                found
            },
        );
    }
    assert_eq!(
        err(r#"{"measurement": "m", "fields": {"": 1}}"#),
        E::JsonEmptyFieldKey { index: 0 }
    );
}

#[test]
fn timestamp_errors() {
    for (value, found) in [
        ("1.5", "float"),
        ("1e3", "float"),
        ("\"1696789234567\"", "string"),
        ("true", "boolean"),
        ("[1]", "array"),
        ("{}", "object"),
    ] {
        assert_eq!(
            err(&format!(
                r#"{{"measurement": "m", "fields": {{"v": 1}}, "timestamp": {value}}}"#
            )),
            E::JsonInvalidTimestamp { index: 0, found },
            "{value}"
        );
    }
    for value in [
        "9223372036854776",
        "-9223372036854776",
        "9223372036854775808",
        "18446744073709551615",
    ] {
        assert_eq!(
            err(&format!(
                r#"{{"measurement": "m", "fields": {{"v": 1}}, "timestamp": {value}}}"#
            )),
            E::JsonTimestampOutOfRange {
                index: 0,
                timestamp: value.into(),
                precision: Precision::Milliseconds
            },
            "{value}"
        );
    }
    let b = parse(
        br#"{"measurement": "m", "fields": {"v": 1}, "timestamp": 9223372036854775807}"#,
        Precision::Nanoseconds,
    )
    .unwrap();
    assert_eq!(b.get(0).unwrap().timestamp(), Some(i64::MAX));
}

#[test]
fn numbers_out_of_json_range_are_rejected() {
    assert!(matches!(
        err(r#"{"measurement": "m", "fields": {"v": 1e400}}"#),
        E::JsonInvalidPoint { index: 0, .. }
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        r#"{{"measurement": "m", "fields": {{"v": {}1{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(
        err(&deep),
        E::JsonInvalidFieldValue {
            index: 0,
            field: "v".into(),
            found: "array"
        }
    );
    let deep_body = "[".repeat(100_000);
    assert!(matches!(
        err(&deep_body),
        E::JsonInvalidPoint { index: 0, .. }
    ));
}
