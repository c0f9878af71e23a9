//! Writing points as line protocol, the inverse of the parser.

use std::fmt::Write as _;

use crate::point::{FieldValue, PointBatch, PointRef};

/// Appends `point` to `out` as one line of line protocol, ending in `\n`,
/// with the timestamp (if any) in nanoseconds: parse it back with
/// [`Precision::Nanoseconds`](crate::Precision::Nanoseconds).
///
/// Names and values are escaped so that [`parse`](super::parse) returns the
/// same point. Not representable in line protocol, and so not round-tripping:
/// empty names or tag values, newlines in names or tag values, a measurement
/// starting with `#` or a tab, and non-finite floats (written as `NaN`,
/// `inf`, `-inf`, which the parser rejects).
pub fn write_line(point: &PointRef<'_, '_>, out: &mut String) {
    escape_measurement(out, point.measurement());
    for (key, value) in point.tags() {
        out.push(',');
        escape_key(out, key);
        out.push('=');
        escape_key(out, value);
    }
    out.push(' ');
    for (i, (key, value)) in point.fields().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        escape_key(out, key);
        out.push('=');
        write_value(value, out);
    }
    if let Some(ts) = point.timestamp() {
        // Writing into a String cannot fail.
        let _ = write!(out, " {ts}");
    }
    out.push('\n');
}

/// Appends every point of `batch` to `out`, one line each.
pub fn write_batch(batch: &PointBatch<'_>, out: &mut String) {
    for point in batch {
        write_line(&point, out);
    }
}

fn write_value(value: &FieldValue<'_>, out: &mut String) {
    // Writing into a String cannot fail.
    let _ = match value {
        // `{:?}` is the shortest representation that parses back to the same
        // f64 and uses an exponent for very large or small magnitudes.
        FieldValue::Float(v) => write!(out, "{v:?}"),
        FieldValue::Integer(v) => write!(out, "{v}i"),
        FieldValue::Unsigned(v) => write!(out, "{v}u"),
        FieldValue::Boolean(v) => {
            out.push_str(if *v { "true" } else { "false" });
            Ok(())
        }
        FieldValue::String(s) => {
            out.push('"');
            escape_into(out, s, |c| c == '"' || c == '\\');
            out.push('"');
            Ok(())
        }
    };
}

/// Appends a measurement name with line-protocol escaping (`,`, space, `\`).
pub fn escape_measurement(out: &mut String, name: &str) {
    escape_into(out, name, is_measurement_special);
}

/// Appends a tag key, tag value or field key with line-protocol escaping (`,`, `=`, space,
/// `\`).
pub fn escape_key(out: &mut String, key: &str) {
    escape_into(out, key, is_key_special);
}

fn is_measurement_special(c: char) -> bool {
    matches!(c, ',' | ' ' | '\\')
}

fn is_key_special(c: char) -> bool {
    matches!(c, ',' | '=' | ' ' | '\\')
}

fn escape_into(out: &mut String, text: &str, special: impl Fn(char) -> bool) {
    if !text.chars().any(&special) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if special(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::line::parse;
    use crate::precision::Precision;

    fn batch_of(
        measurement: &'static str,
        tags: &[(&'static str, &'static str)],
        fields: Vec<(&'static str, FieldValue<'static>)>,
        ts: Option<i64>,
    ) -> PointBatch<'static> {
        let mut batch = PointBatch::new();
        batch.push(
            measurement,
            tags.iter().map(|&(k, v)| (Cow::from(k), Cow::from(v))),
            fields.into_iter().map(|(k, v)| (Cow::from(k), v)),
            ts,
        );
        batch
    }

    fn written(batch: &PointBatch<'_>) -> String {
        let mut out = String::new();
        write_batch(batch, &mut out);
        out
    }

    #[test]
    fn writes_all_value_types() {
        let batch = batch_of(
            "cpu",
            &[("host", "a"), ("dc", "eu")],
            vec![
                ("f", FieldValue::Float(1.0)),
                ("g", FieldValue::Float(-2.5e-10)),
                ("i", FieldValue::Integer(-3)),
                ("u", FieldValue::Unsigned(4)),
                ("b", FieldValue::Boolean(true)),
                ("c", FieldValue::Boolean(false)),
                ("s", FieldValue::String("hi".into())),
            ],
            Some(1_700_000_000_000_000_000),
        );
        assert_eq!(
            written(&batch),
            "cpu,host=a,dc=eu f=1.0,g=-2.5e-10,i=-3i,u=4u,b=true,c=false,s=\"hi\" 1700000000000000000\n"
        );
    }

    #[test]
    fn escapes_each_element_its_own_way() {
        let batch = batch_of(
            "my meas,ure=ment\\",
            &[("tag key,=", "tag value,= \\")],
            vec![(
                "field key,= \\",
                FieldValue::String("say \"hi\" \\ , = ".into()),
            )],
            None,
        );
        let line = written(&batch);
        assert_eq!(
            line,
            "my\\ meas\\,ure=ment\\\\,tag\\ key\\,\\==tag\\ value\\,\\=\\ \\\\ \
             field\\ key\\,\\=\\ \\\\=\"say \\\"hi\\\" \\\\ , = \"\n"
        );
        let parsed = parse(line.as_bytes(), Precision::Nanoseconds).unwrap();
        assert_eq!(parsed, batch);
    }

    #[test]
    fn round_trips_tricky_values() {
        let batch = batch_of(
            " leading space",
            &[("t", "ends with backslash\\"), ("#", "\"quoted\"")],
            vec![
                ("max", FieldValue::Float(f64::MAX)),
                ("tiny", FieldValue::Float(5e-324)),
                ("negzero", FieldValue::Float(-0.0)),
                ("imin", FieldValue::Integer(i64::MIN)),
                ("umax", FieldValue::Unsigned(u64::MAX)),
                ("multi", FieldValue::String("line one\nline two\r\n".into())),
                ("empty", FieldValue::String("".into())),
            ],
            Some(-1),
        );
        let line = written(&batch);
        let parsed = parse(line.as_bytes(), Precision::Nanoseconds).unwrap();
        assert_eq!(parsed, batch, "{line}");
    }

    #[test]
    fn appends_one_line_per_point() {
        let mut batch = batch_of("a", &[], vec![("v", FieldValue::Integer(1))], None);
        batch.push("b", [], [("v".into(), FieldValue::Integer(2))], Some(3));
        assert_eq!(written(&batch), "a v=1i\nb v=2i 3\n");
    }

    #[test]
    fn non_finite_floats_are_written_but_do_not_parse() {
        let batch = batch_of("m", &[], vec![("v", FieldValue::Float(f64::NAN))], None);
        let line = written(&batch);
        assert_eq!(line, "m v=NaN\n");
        assert!(parse(line.as_bytes(), Precision::Nanoseconds).is_err());
    }
}
