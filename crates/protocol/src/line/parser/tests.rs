//! Tests of the line-protocol parser: accepted syntax and every error class.

use std::borrow::Cow;

use super::*;
use crate::error::ProtocolError as E;

fn ok(body: &str) -> PointBatch<'_> {
    parse(body.as_bytes(), Precision::Nanoseconds).unwrap_or_else(|e| panic!("{body:?}: {e}"))
}

fn err(body: &str) -> ProtocolError {
    match parse(body.as_bytes(), Precision::Nanoseconds) {
        Ok(batch) => panic!("{body:?} parsed: {batch:?}"),
        Err(e) => e,
    }
}

fn tags<'s>(batch: &'s PointBatch<'_>, i: usize) -> Vec<(&'s str, &'s str)> {
    batch
        .get(i)
        .unwrap()
        .tags()
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}

fn fields<'s, 'a>(batch: &'s PointBatch<'a>, i: usize) -> Vec<(&'s str, FieldValue<'a>)> {
    batch
        .get(i)
        .unwrap()
        .fields()
        .iter()
        .map(|(k, v)| (k.as_ref(), v.clone()))
        .collect()
}

// ---- accepted input ------------------------------------------------------

#[test]
fn minimal_point() {
    let b = ok("cpu value=1");
    assert_eq!(b.len(), 1);
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "cpu");
    assert!(p.tags().is_empty());
    assert_eq!(fields(&b, 0), [("value", FieldValue::Float(1.0))]);
    assert_eq!(p.timestamp(), None);
}

#[test]
fn full_point() {
    let b = ok(
        "cpu,host=server01,region=eu usage=75.5,count=3i,ok=t,label=\"x y\" 1696789234567000000\n",
    );
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "cpu");
    assert_eq!(tags(&b, 0), [("host", "server01"), ("region", "eu")]);
    assert_eq!(
        fields(&b, 0),
        [
            ("usage", FieldValue::Float(75.5)),
            ("count", FieldValue::Integer(3)),
            ("ok", FieldValue::Boolean(true)),
            ("label", FieldValue::String("x y".into())),
        ]
    );
    assert_eq!(p.timestamp(), Some(1_696_789_234_567_000_000));
}

#[test]
fn every_value_type() {
    let b = ok("m f=-1.5e10,g=1e-3,h=.5,i=-7i,u=7u,t=TRUE,T=True,f2=F,s=\"\",x=0");
    assert_eq!(
        fields(&b, 0),
        [
            ("f", FieldValue::Float(-1.5e10)),
            ("g", FieldValue::Float(1e-3)),
            ("h", FieldValue::Float(0.5)),
            ("i", FieldValue::Integer(-7)),
            ("u", FieldValue::Unsigned(7)),
            ("t", FieldValue::Boolean(true)),
            ("T", FieldValue::Boolean(true)),
            ("f2", FieldValue::Boolean(false)),
            ("s", FieldValue::String("".into())),
            ("x", FieldValue::Float(0.0)),
        ]
    );
}

#[test]
fn many_lines_crlf_blank_and_comments() {
    let body = "# comment line\n\
                \n\
                cpu v=1 1\r\n\
                \r\n\
                   \t  \n\
                  # indented comment, with = and \"quotes\n\
                \t mem v=2 2\n\
                disk v=3 3";
    let b = ok(body);
    assert_eq!(b.len(), 3);
    let names: Vec<_> = b.iter().map(|p| p.measurement()).collect();
    assert_eq!(names, ["cpu", "mem", "disk"]);
    let ts: Vec<_> = b.iter().map(|p| p.timestamp()).collect();
    assert_eq!(ts, [Some(1), Some(2), Some(3)]);
}

#[test]
fn empty_and_blank_bodies() {
    assert!(ok("").is_empty());
    assert!(ok("\n\n\r\n").is_empty());
    assert!(ok("# only a comment").is_empty());
    assert!(ok("   ").is_empty());
}

#[test]
fn crlf_after_each_element() {
    let b = ok("a v=1\r\nb,t=x v=\"s\"\r\nc v=t 5\r\n");
    assert_eq!(b.len(), 3);
    assert_eq!(fields(&b, 0), [("v", FieldValue::Float(1.0))]);
    assert_eq!(fields(&b, 1), [("v", FieldValue::String("s".into()))]);
    assert_eq!(tags(&b, 1), [("t", "x")]);
    assert_eq!(b.get(2).unwrap().timestamp(), Some(5));
}

#[test]
fn extra_spaces_between_sections_and_at_end() {
    let b = ok("cpu,h=a   v=1   17   \nmem v=2  \n");
    assert_eq!(b.get(0).unwrap().timestamp(), Some(17));
    assert_eq!(b.get(1).unwrap().timestamp(), None);
}

#[test]
fn plain_tokens_are_borrowed() {
    let b = ok("cpu,host=a v=1,s=\"text\"");
    let p = b.get(0).unwrap();
    assert!(matches!(p.measurement_cow(), Cow::Borrowed(_)));
    for (k, v) in p.tags() {
        assert!(matches!(k, Cow::Borrowed(_)));
        assert!(matches!(v, Cow::Borrowed(_)));
    }
    for (k, _) in p.fields() {
        assert!(matches!(k, Cow::Borrowed(_)));
    }
    assert!(matches!(
        p.field("s"),
        Some(FieldValue::String(Cow::Borrowed("text")))
    ));
}

#[test]
fn escapes_in_every_element() {
    let body = r#"my\ meas\,ure=x,tag\ k\=\,=v\ a\,l\=ue f\=i\ e\,ld="q\"uo\\te" 1"#;
    let b = ok(body);
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "my meas,ure=x");
    assert!(matches!(p.measurement_cow(), Cow::Owned(_)));
    assert_eq!(tags(&b, 0), [("tag k=,", "v a,l=ue")]);
    assert_eq!(
        fields(&b, 0),
        [("f=i e,ld", FieldValue::String(r#"q"uo\te"#.into()))]
    );
    assert!(matches!(p.fields()[0].1, FieldValue::String(Cow::Owned(_))));
}

#[test]
fn backslashes_follow_the_documented_table() {
    // `\` -> `\`, `\\` -> `\`, `\\\` -> `\\`, `\\\\` -> `\\`.
    let b = ok(r"m,a=x\y,b=x\\y,c=x\\\y,d=x\\\\y v=1");
    assert_eq!(
        tags(&b, 0),
        [("a", r"x\y"), ("b", r"x\y"), ("c", r"x\\y"), ("d", r"x\\y")]
    );
    // In the measurement, `\=` is not an escape.
    assert_eq!(ok(r"m\=n v=1").get(0).unwrap().measurement(), r"m\=n");
    // In strings, only `\"` and `\\` are escapes.
    assert_eq!(
        fields(&ok(r#"m s="a\nb\\c""#), 0),
        [("s", FieldValue::String(r"a\nb\c".into()))]
    );
}

#[test]
fn special_characters_need_no_escape_where_not_special() {
    let b = ok("m=x,t=\"q\" f\"=\"a,b c=d\"");
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "m=x");
    assert_eq!(tags(&b, 0), [("t", "\"q\"")]);
    assert_eq!(
        fields(&b, 0),
        [("f\"", FieldValue::String("a,b c=d".into()))]
    );
}

#[test]
fn unicode_names_and_values() {
    let b = ok("température,ville=Zürich valeur=1.5,note=\"été 🌞\"");
    let p = b.get(0).unwrap();
    assert_eq!(p.measurement(), "température");
    assert_eq!(p.tag("ville"), Some("Zürich"));
    assert_eq!(p.field("note"), Some(&FieldValue::String("été 🌞".into())));
}

#[test]
fn strings_may_span_lines() {
    let b = ok("a s=\"one\ntwo\" 1\nb v=1\n");
    assert_eq!(b.len(), 2);
    assert_eq!(
        fields(&b, 0),
        [("s", FieldValue::String("one\ntwo".into()))]
    );
    // Line numbers count the newline inside the string.
    let e = err("a s=\"one\ntwo\" 1\nb v=x\n");
    assert_eq!(
        e,
        E::LineInvalidFieldValue {
            line: 3,
            column: 5,
            field: "v".into(),
            value: "x".into()
        }
    );
    // Columns after a string's newline count from that newline.
    let e = err("a s=\"one\ntwo\"x");
    assert_eq!(
        e,
        E::LineUnexpectedCharacter {
            line: 2,
            column: 5,
            found: 'x',
            expected: "\",\", \" \" or end of line after a field value"
        }
    );
}

#[test]
fn hash_inside_a_line_is_not_a_comment() {
    let b = ok("m,t=#x #f=1");
    assert_eq!(b.get(0).unwrap().tag("t"), Some("#x"));
    assert_eq!(fields(&b, 0), [("#f", FieldValue::Float(1.0))]);
    // A trailing `# ...` is not a comment either: it is read as the timestamp.
    assert_eq!(
        err("m v=1 # note"),
        E::LineInvalidTimestamp {
            line: 1,
            column: 7,
            value: "#".into()
        }
    );
}

#[test]
fn duplicate_field_is_an_error_like_a_duplicate_tag() {
    assert_eq!(
        err("m a=1,b=2,a=\"three\""),
        E::LineDuplicateField {
            line: 1,
            column: 11,
            field: "a".into()
        }
    );
    assert!(matches!(err("m v=1,v=\"s\""), E::LineDuplicateField { .. }));
    // Keys alike only before unescaping are distinct.
    assert_eq!(fields(&ok(r"m a\ b=1,a=2"), 0).len(), 2);
}

#[test]
fn tags_keep_input_order_until_sorted() {
    let mut b = ok("m,z=1,a=2,m=3 v=1");
    assert_eq!(tags(&b, 0), [("z", "1"), ("a", "2"), ("m", "3")]);
    b.sort_tags();
    assert_eq!(tags(&b, 0), [("a", "2"), ("m", "3"), ("z", "1")]);
}

#[test]
fn precision_scales_timestamps() {
    let body = b"m v=1 -3";
    for (p, want) in [
        (Precision::Nanoseconds, -3),
        (Precision::Microseconds, -3_000),
        (Precision::Milliseconds, -3_000_000),
        (Precision::Seconds, -3_000_000_000),
    ] {
        let b = parse(body, p).unwrap();
        assert_eq!(b.get(0).unwrap().timestamp(), Some(want), "{p}");
    }
}

#[test]
fn timestamp_extremes() {
    let b = ok("m v=1 9223372036854775807\nm v=1 -9223372036854775808");
    assert_eq!(b.get(0).unwrap().timestamp(), Some(i64::MAX));
    assert_eq!(b.get(1).unwrap().timestamp(), Some(i64::MIN));
}

#[test]
fn parse_into_appends_and_rolls_back() {
    let first = b"a v=1\nb v=2".to_vec();
    let bad = b"c v=3\nd v=oops".to_vec();
    let good = b"e,t=x v=5".to_vec();
    let mut batch = PointBatch::new();
    parse_into(&first, Precision::Nanoseconds, &mut batch).unwrap();
    let before = batch.clone();
    assert!(parse_into(&bad, Precision::Nanoseconds, &mut batch).is_err());
    assert_eq!(batch, before, "failed parse must leave the batch untouched");
    parse_into(&good, Precision::Nanoseconds, &mut batch).unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!(batch.get(2).unwrap().tag("t"), Some("x"));
}

// ---- errors ----------------------------------------------------------------

#[test]
fn error_message_names_line_column_value_and_field() {
    let e = err("cpu v=1\n\ncpu,h=abc usage=abc\n");
    assert_eq!(
        e.to_string(),
        "line 3, column 17: invalid field value \"abc\" for field \"usage\""
    );
}

#[test]
fn invalid_utf8() {
    let e = parse(b"a v=1\nb,t=\xff v=1", Precision::Nanoseconds).unwrap_err();
    assert_eq!(e, E::LineInvalidUtf8 { line: 2, column: 5 });
    let e = parse(b"m s=\"\xc3\x28\"", Precision::Nanoseconds).unwrap_err();
    assert_eq!(e, E::LineInvalidUtf8 { line: 1, column: 6 });
}

#[test]
fn empty_measurement() {
    assert_eq!(
        err(",t=a v=1"),
        E::LineEmptyMeasurement { line: 1, column: 1 }
    );
    assert_eq!(
        err("a v=1\n  ,t=a v=1"),
        E::LineEmptyMeasurement { line: 2, column: 3 }
    );
}

#[test]
fn missing_fields() {
    assert_eq!(err("cpu"), E::LineMissingFields { line: 1, column: 4 });
    assert_eq!(err("cpu\r\n"), E::LineMissingFields { line: 1, column: 4 });
    assert_eq!(
        err("cpu,host=a"),
        E::LineMissingFields {
            line: 1,
            column: 11
        }
    );
    assert_eq!(err("cpu   "), E::LineMissingFields { line: 1, column: 7 });
    assert_eq!(
        err("cpu,host=a \n"),
        E::LineMissingFields {
            line: 1,
            column: 12
        }
    );
}

#[test]
fn empty_tag_key() {
    assert_eq!(err("cpu,=a v=1"), E::LineEmptyTagKey { line: 1, column: 5 });
    assert_eq!(
        err("cpu,a=b, v=1"),
        E::LineEmptyTagKey { line: 1, column: 9 }
    );
    assert_eq!(err("cpu, v=1"), E::LineEmptyTagKey { line: 1, column: 5 });
}

#[test]
fn tag_missing_equals() {
    assert_eq!(
        err("cpu,host v=1"),
        E::LineTagMissingEquals {
            line: 1,
            column: 9,
            tag: "host".into()
        }
    );
    assert_eq!(
        err("cpu,host,dc=a v=1"),
        E::LineTagMissingEquals {
            line: 1,
            column: 9,
            tag: "host".into()
        }
    );
    assert_eq!(
        err("cpu,host"),
        E::LineTagMissingEquals {
            line: 1,
            column: 9,
            tag: "host".into()
        }
    );
}

#[test]
fn empty_tag_value() {
    assert_eq!(
        err("cpu,host= v=1"),
        E::LineEmptyTagValue {
            line: 1,
            column: 10,
            tag: "host".into()
        }
    );
    assert_eq!(
        err("cpu,host=,dc=a v=1"),
        E::LineEmptyTagValue {
            line: 1,
            column: 10,
            tag: "host".into()
        }
    );
}

#[test]
fn unescaped_equals_in_tag_value() {
    assert_eq!(
        err("cpu,host=a=b v=1"),
        E::LineUnescapedEquals {
            line: 1,
            column: 11,
            tag: "host".into()
        }
    );
    assert_eq!(
        ok(r"cpu,host=a\=b v=1").get(0).unwrap().tag("host"),
        Some("a=b")
    );
}

#[test]
fn duplicate_tag() {
    assert_eq!(
        err("cpu,a=1,b=2,a=3 v=1"),
        E::LineDuplicateTag {
            line: 1,
            column: 13,
            tag: "a".into()
        }
    );
    // Same key after unescaping.
    assert_eq!(
        err(r"cpu,a\ b=1,a b=2 v=1"),
        E::LineTagMissingEquals {
            line: 1,
            column: 13,
            tag: "a".into()
        }
    );
    assert_eq!(
        err(r"cpu,a\,b=1,a\,b=2 v=1"),
        E::LineDuplicateTag {
            line: 1,
            column: 12,
            tag: "a,b".into()
        }
    );
}

#[test]
fn empty_field_key() {
    assert_eq!(err("cpu =1"), E::LineEmptyFieldKey { line: 1, column: 5 });
    assert_eq!(
        err("cpu a=1,,b=2"),
        E::LineEmptyFieldKey { line: 1, column: 9 }
    );
    assert_eq!(err("cpu a=1,"), E::LineEmptyFieldKey { line: 1, column: 9 });
    assert_eq!(
        err("cpu a=1, b=2"),
        E::LineEmptyFieldKey { line: 1, column: 9 }
    );
}

#[test]
fn field_missing_equals() {
    assert_eq!(
        err("cpu usage"),
        E::LineFieldMissingEquals {
            line: 1,
            column: 10,
            field: "usage".into()
        }
    );
    assert_eq!(
        err("cpu usage 123"),
        E::LineFieldMissingEquals {
            line: 1,
            column: 10,
            field: "usage".into()
        }
    );
    assert_eq!(
        err("cpu a=1,usage,b=2"),
        E::LineFieldMissingEquals {
            line: 1,
            column: 14,
            field: "usage".into()
        }
    );
}

#[test]
fn missing_field_value() {
    assert_eq!(
        err("cpu a="),
        E::LineMissingFieldValue {
            line: 1,
            column: 7,
            field: "a".into()
        }
    );
    assert_eq!(
        err("cpu a=,b=1"),
        E::LineMissingFieldValue {
            line: 1,
            column: 7,
            field: "a".into()
        }
    );
    assert_eq!(
        err("cpu a= 123"),
        E::LineMissingFieldValue {
            line: 1,
            column: 7,
            field: "a".into()
        }
    );
}

#[test]
fn invalid_field_values() {
    for (value, column) in [
        ("abc", 7),
        ("inf", 7),
        ("nan", 7),
        ("NaN", 7),
        ("+1", 7),
        ("1.5i", 7),
        ("-1u", 7),
        ("1x", 7),
        ("yes", 7),
        ("1\t2", 7),
        ("'single'", 7),
    ] {
        let body = format!("cpu a={value}");
        assert_eq!(
            err(&body),
            E::LineInvalidFieldValue {
                line: 1,
                column,
                field: "a".into(),
                value: value.into()
            },
            "{body:?}"
        );
    }
}

#[test]
fn long_values_are_shortened_in_errors() {
    let body = format!("cpu a={}", "x".repeat(1000));
    match err(&body) {
        E::LineInvalidFieldValue { value, .. } => {
            assert!(value.len() < 100 && value.ends_with("..."));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn field_values_out_of_range() {
    for (value, kind) in [
        ("9223372036854775808i", "integer"),
        ("-9223372036854775809i", "integer"),
        ("18446744073709551616u", "unsigned"),
        ("1e309", "float"),
        ("-1e309", "float"),
    ] {
        let body = format!("cpu a=1,b={value}");
        assert_eq!(
            err(&body),
            E::LineFieldValueOutOfRange {
                line: 1,
                column: 11,
                field: "b".into(),
                value: value.into(),
                kind
            },
            "{body:?}"
        );
    }
}

#[test]
fn unterminated_string() {
    assert_eq!(
        err("cpu s=\"abc"),
        E::LineUnterminatedString {
            line: 1,
            column: 7,
            field: "s".into()
        }
    );
    assert_eq!(
        err("ok v=1\ncpu s=\"abc\nnext v=1\n"),
        E::LineUnterminatedString {
            line: 2,
            column: 7,
            field: "s".into()
        }
    );
    assert_eq!(
        err(r#"cpu s="abc\""#),
        E::LineUnterminatedString {
            line: 1,
            column: 7,
            field: "s".into()
        }
    );
}

#[test]
fn invalid_timestamps() {
    for ts in ["12a", "1.5", "+5", "-", "0x10", "1e9", "\"5\""] {
        let body = format!("cpu a=1 {ts}");
        assert_eq!(
            err(&body),
            E::LineInvalidTimestamp {
                line: 1,
                column: 9,
                value: ts.into()
            },
            "{body:?}"
        );
    }
}

#[test]
fn timestamps_out_of_range() {
    assert_eq!(
        err("cpu a=1 9223372036854775808"),
        E::LineTimestampOutOfRange {
            line: 1,
            column: 9,
            value: "9223372036854775808".into(),
            precision: Precision::Nanoseconds
        }
    );
    let e = parse(b"cpu a=1 9223372036854776", Precision::Milliseconds).unwrap_err();
    assert_eq!(
        e,
        E::LineTimestampOutOfRange {
            line: 1,
            column: 9,
            value: "9223372036854776".into(),
            precision: Precision::Milliseconds
        }
    );
    assert!(e.to_string().contains("precision ms"), "{e}");
    // The largest second count that fits still parses.
    let b = parse(b"cpu a=1 9223372036", Precision::Seconds).unwrap();
    assert_eq!(
        b.get(0).unwrap().timestamp(),
        Some(9_223_372_036_000_000_000)
    );
    assert!(parse(b"cpu a=1 9223372037", Precision::Seconds).is_err());
}

#[test]
fn unexpected_characters() {
    assert_eq!(
        err("cpu s=\"a\"x"),
        E::LineUnexpectedCharacter {
            line: 1,
            column: 10,
            found: 'x',
            expected: "\",\", \" \" or end of line after a field value"
        }
    );
    assert_eq!(
        err("cpu a=1 123 456"),
        E::LineUnexpectedCharacter {
            line: 1,
            column: 13,
            found: '4',
            expected: "end of line"
        }
    );
    // A lone `\r` (not followed by `\n`) is not a line end.
    assert_eq!(
        err("cpu a=1 123 \r x"),
        E::LineUnexpectedCharacter {
            line: 1,
            column: 13,
            found: '\r',
            expected: "end of line"
        }
    );
}

#[test]
fn first_error_wins_and_nothing_is_returned() {
    let e = err("a v=1\nb v=x\nc v=y\n");
    assert!(matches!(e, E::LineInvalidFieldValue { line: 2, .. }), "{e}");
}

#[test]
fn many_keys_saturating_the_duplicate_filter() {
    // 300 distinct tags and fields (the filter saturates: every key may be a repeat), then
    // one repeated field and one repeated tag.
    let tags: Vec<String> = (0..300).map(|i| format!("t{i}=v{i}")).collect();
    let fields: Vec<String> = (0..300).map(|i| format!("f{i}={i}i")).collect();
    let body = format!("m,{} {}", tags.join(","), fields.join(","));
    let b = ok(&body);
    let p = b.get(0).unwrap();
    assert_eq!(p.tags().len(), 300);
    assert_eq!(p.fields().len(), 300);
    for i in 0..300 {
        assert_eq!(p.fields()[i].0, format!("f{i}"));
        assert_eq!(p.fields()[i].1, FieldValue::Integer(i as i64));
    }
    let dup = format!("{body},f7=1i");
    assert!(matches!(err(&dup), E::LineDuplicateField { .. }));
    let dup = format!("m,{},t7=x v=1", tags.join(","));
    assert!(matches!(err(&dup), E::LineDuplicateTag { .. }));
}
