//! Per-request limits on a parsed write, checked before anything is written so a rejected
//! request stores nothing: points per request, tags per point, key and value lengths, empty
//! measurements, non-finite floats, and series per measurement.

use strata_protocol::{FieldValue, PointRef};

use crate::config::Limits;
use crate::error::ServerError;

/// Whether non-finite floats (NaN, ±inf) are acceptable in this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanPolicy {
    Reject,
    Allow,
}

/// 413 when a request holds more points than allowed.
pub fn check_point_count(count: usize, limits: &Limits) -> Result<(), ServerError> {
    if count > limits.max_points_per_request {
        return Err(ServerError::TooLarge {
            code: "too_many_points",
            message: format!(
                "request holds {count} points, over the limit of {} (max_points_per_request): split it",
                limits.max_points_per_request
            ),
        });
    }
    Ok(())
}

/// Checks one parsed point (index `i` in the request) against the per-point limits.
pub fn check_point(
    i: usize,
    p: &PointRef<'_, '_>,
    limits: &Limits,
    nan: NanPolicy,
) -> Result<(), ServerError> {
    check_series_key(
        i,
        p.measurement(),
        p.tags().iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        limits,
    )?;
    check_fields(i, p, limits, nan)
}

/// Checks a point's measurement and tags (`i` names the point) against the limits: what a
/// series key may be, the same for every point of the series.
pub fn check_series_key<'t>(
    i: usize,
    m: &str,
    tags: impl ExactSizeIterator<Item = (&'t str, &'t str)>,
    limits: &Limits,
) -> Result<(), ServerError> {
    if m.is_empty() {
        return Err(ServerError::bad_point(
            i,
            format!("point {i}: empty measurement name"),
        ));
    }
    if m.len() > limits.max_key_len {
        return Err(ServerError::bad_point(
            i,
            format!(
                "point {i}: measurement name of {} bytes exceeds max_key_len ({})",
                m.len(),
                limits.max_key_len
            ),
        ));
    }
    if tags.len() > limits.max_tags_per_point {
        return Err(ServerError::bad_point(
            i,
            format!(
                "point {i}: {} tags exceed max_tags_per_point ({})",
                tags.len(),
                limits.max_tags_per_point
            ),
        ));
    }
    for (k, v) in tags {
        if k.is_empty() {
            return Err(ServerError::bad_point(
                i,
                format!("point {i}: empty tag key"),
            ));
        }
        if k.len() > limits.max_key_len {
            return Err(ServerError::bad_point(
                i,
                format!(
                    "point {i}: tag key of {} bytes exceeds max_key_len ({})",
                    k.len(),
                    limits.max_key_len
                ),
            ));
        }
        if v.len() > limits.max_value_len {
            return Err(ServerError::bad_point(
                i,
                format!(
                    "point {i}: value of tag {:?} is {} bytes, over max_value_len ({})",
                    excerpt(k),
                    v.len(),
                    limits.max_value_len
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a point's fields against the limits.
pub fn check_fields(
    i: usize,
    p: &PointRef<'_, '_>,
    limits: &Limits,
    nan: NanPolicy,
) -> Result<(), ServerError> {
    if p.fields().is_empty() {
        return Err(ServerError::bad_point(i, format!("point {i}: no fields")));
    }
    for (k, v) in p.fields() {
        if k.is_empty() {
            return Err(ServerError::bad_point(
                i,
                format!("point {i}: empty field key"),
            ));
        }
        if k.len() > limits.max_key_len {
            return Err(ServerError::bad_point(
                i,
                format!(
                    "point {i}: field key of {} bytes exceeds max_key_len ({})",
                    k.len(),
                    limits.max_key_len
                ),
            ));
        }
        match v {
            FieldValue::String(s) if s.len() > limits.max_value_len => {
                return Err(ServerError::bad_point(
                    i,
                    format!(
                        "point {i}: string field {:?} is {} bytes, over max_value_len ({})",
                        excerpt(k),
                        s.len(),
                        limits.max_value_len
                    ),
                ));
            }
            FieldValue::Float(f) if !f.is_finite() && nan == NanPolicy::Reject => {
                return Err(ServerError::bad_point(
                    i,
                    format!(
                        "point {i}: field {:?} is {f} (non-finite floats are rejected unless allow_nan is set)",
                        excerpt(k)
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A user-supplied name shortened for an error message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_protocol::PointBatch;

    fn limits() -> Limits {
        Limits {
            max_tags_per_point: 2,
            max_key_len: 8,
            max_value_len: 16,
            max_points_per_request: 3,
            ..Limits::default()
        }
    }

    fn one(
        m: &'static str,
        tags: Vec<(&'static str, String)>,
        fields: Vec<(&'static str, FieldValue<'static>)>,
    ) -> PointBatch<'static> {
        let mut b = PointBatch::new();
        b.push(
            m,
            tags.into_iter().map(|(k, v)| (k.into(), v.into())),
            fields.into_iter().map(|(k, v)| (k.into(), v)),
            None,
        );
        b
    }

    fn check(b: &PointBatch<'_>, nan: NanPolicy) -> Result<(), ServerError> {
        check_point(0, &b.get(0).unwrap(), &limits(), nan)
    }

    #[test]
    fn per_point_limits() {
        let ok = one(
            "cpu",
            vec![("host", "a".into())],
            vec![("v", FieldValue::Float(1.0))],
        );
        check(&ok, NanPolicy::Reject).unwrap();
        let cases = [
            one("", vec![], vec![("v", FieldValue::Float(1.0))]),
            one(
                "very_long_name",
                vec![],
                vec![("v", FieldValue::Float(1.0))],
            ),
            one(
                "cpu",
                vec![("a", "1".into()), ("b", "2".into()), ("c", "3".into())],
                vec![("v", FieldValue::Float(1.0))],
            ),
            one(
                "cpu",
                vec![("long_tag_key", "1".into())],
                vec![("v", FieldValue::Float(1.0))],
            ),
            one(
                "cpu",
                vec![("host", "x".repeat(17))],
                vec![("v", FieldValue::Float(1.0))],
            ),
            one(
                "cpu",
                vec![],
                vec![("long_field_key", FieldValue::Float(1.0))],
            ),
            one(
                "cpu",
                vec![],
                vec![("s", FieldValue::String("y".repeat(17).into()))],
            ),
            one("cpu", vec![], vec![("v", FieldValue::Float(f64::NAN))]),
            one("cpu", vec![], vec![("v", FieldValue::Float(f64::INFINITY))]),
            one("cpu", vec![], vec![]),
        ];
        for b in &cases {
            let e = check(b, NanPolicy::Reject).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST, "{e}");
            assert_eq!(e.index(), Some(0));
        }
        let nan = one("cpu", vec![], vec![("v", FieldValue::Float(f64::NAN))]);
        check(&nan, NanPolicy::Allow).unwrap();
        let msg = check(&cases[4], NanPolicy::Reject).unwrap_err().to_string();
        assert!(
            msg.contains("\"host\"") && msg.contains("max_value_len"),
            "{msg}"
        );
    }

    #[test]
    fn point_count() {
        check_point_count(3, &limits()).unwrap();
        let e = check_point_count(4, &limits()).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    }
}
