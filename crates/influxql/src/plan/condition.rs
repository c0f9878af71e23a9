//! A `WHERE` clause taken apart, as InfluxDB does: every comparison of `time` becomes the
//! statement's time range (intersected, wherever it sits: InfluxDB pulls it out of an `OR`
//! too), top-level conjuncts that only compare tags select series on the postings, and what
//! remains (field comparisons, and tags mixed with fields) is tested row by row. Pure.

use chrono::DateTime;

use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{BinOp, Cast, Expr};

/// Earliest and latest times InfluxDB accepts (its `MinTime`/`MaxTime`).
pub const MIN_TIME: i64 = i64::MIN + 2;
pub const MAX_TIME: i64 = i64::MAX - 1;

/// An inclusive time range; `has_min`/`has_max` say whether the query bounded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub min: i64,
    pub max: i64,
    pub has_min: bool,
    pub has_max: bool,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange {
            min: MIN_TIME,
            max: MAX_TIME,
            has_min: false,
            has_max: false,
        }
    }
}

impl TimeRange {
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }
}

/// A `WHERE` clause taken apart.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub range: TimeRange,
    /// Conjuncts on tags only: the series they select.
    pub tags: Vec<Expr>,
    /// What is tested per row (fields, or tags mixed with fields).
    pub rows: Option<Expr>,
}

/// Splits `cond`; `is_tag` says whether a name is a tag key of the measurement.
pub fn split(cond: Option<&Expr>, now: i64, is_tag: &dyn Fn(&str) -> bool) -> Result<Condition> {
    let mut out = Condition::default();
    let Some(cond) = cond else {
        return Ok(out);
    };
    let rest = extract_time(cond, now, &mut out.range)?;
    let mut conjuncts = Vec::new();
    if let Some(rest) = rest {
        flatten_and(rest, &mut conjuncts);
    }
    let mut rows: Vec<Expr> = Vec::new();
    for c in conjuncts {
        if tags_only(&c, is_tag) {
            out.tags.push(c);
        } else {
            rows.push(c);
        }
    }
    out.rows = rows
        .into_iter()
        .reduce(|a, b| Expr::binary(BinOp::And, a, b));
    Ok(out)
}

/// Removes the comparisons of `time` from `e`, narrowing `range`; `None` if nothing remains.
fn extract_time(e: &Expr, now: i64, range: &mut TimeRange) -> Result<Option<Expr>> {
    match e {
        Expr::Paren(inner) => extract_time(inner, now, range),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinOp::And | BinOp::Or) => {
            let l = extract_time(lhs, now, range)?;
            let r = extract_time(rhs, now, range)?;
            Ok(match (l, r) {
                (Some(l), Some(r)) => Some(Expr::binary(*op, l, r)),
                (l, r) => l.or(r),
            })
        }
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            let (value, op) = if is_time(lhs) {
                (rhs, *op)
            } else if is_time(rhs) {
                (lhs, flip(*op))
            } else {
                return Ok(Some(e.clone()));
            };
            let t = time_value(value, now)?;
            match op {
                BinOp::Ge => narrow_min(range, t),
                BinOp::Gt => narrow_min(range, t.saturating_add(1)),
                BinOp::Le => narrow_max(range, t),
                BinOp::Lt => narrow_max(range, t.saturating_sub(1)),
                BinOp::Eq => {
                    narrow_min(range, t);
                    narrow_max(range, t);
                }
                o => {
                    return Err(InfluxqlError::invalid(format!(
                        "invalid time comparison operator: {}",
                        o.text()
                    )));
                }
            }
            Ok(None)
        }
        e => Ok(Some(e.clone())),
    }
}

fn narrow_min(r: &mut TimeRange, t: i64) {
    r.min = if r.has_min { r.min.max(t) } else { t };
    r.has_min = true;
}

fn narrow_max(r: &mut TimeRange, t: i64) {
    r.max = if r.has_max { r.max.min(t) } else { t };
    r.has_max = true;
}

fn is_time(e: &Expr) -> bool {
    matches!(e.unparen(), Expr::Var { name, .. } if name.eq_ignore_ascii_case("time"))
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}

/// A time literal: nanoseconds (integer or duration), an RFC 3339 string, `now()` and
/// arithmetic of durations on them.
pub fn time_value(e: &Expr, now: i64) -> Result<i64> {
    match e.unparen() {
        Expr::Int(n) | Expr::Duration(n) => Ok(*n),
        Expr::Float(f) if f.is_finite() => Ok(*f as i64),
        Expr::Str(s) => parse_time_string(s).ok_or_else(|| {
            InfluxqlError::invalid(
                "invalid operation: time and *influxql.StringLiteral are not compatible",
            )
        }),
        Expr::Call { name, args } if name == "now" && args.is_empty() => Ok(now),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinOp::Add | BinOp::Sub) => {
            let l = time_value(lhs, now)?;
            let r = time_value(rhs, now)?;
            let v = if *op == BinOp::Add {
                l.checked_add(r)
            } else {
                l.checked_sub(r)
            };
            v.ok_or_else(|| InfluxqlError::invalid("time overflows"))
        }
        _ => Err(InfluxqlError::invalid(
            "invalid time condition: compare time with a number, a duration, an RFC 3339 string or now()",
        )),
    }
}

/// `2023-11-14T22:13:20Z`, with fractions and offsets, or `2023-11-14 22:13:20`, or a date.
fn parse_time_string(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt();
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return t.and_utc().timestamp_nanos_opt();
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp_nanos_opt()
}

fn flatten_and(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Paren(inner) => flatten_and(*inner, out),
        Expr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => {
            flatten_and(*lhs, out);
            flatten_and(*rhs, out);
        }
        e => out.push(e),
    }
}

/// Whether `e` compares only tags with strings or regexes (joined by `AND`/`OR`).
fn tags_only(e: &Expr, is_tag: &dyn Fn(&str) -> bool) -> bool {
    match e.unparen() {
        Expr::Binary {
            op: BinOp::And | BinOp::Or,
            lhs,
            rhs,
        } => tags_only(lhs, is_tag) && tags_only(rhs, is_tag),
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            let tag = |e: &Expr| match e.unparen() {
                Expr::Var { name, cast } => {
                    *cast == Some(Cast::Tag) || (cast.is_none() && is_tag(name))
                }
                _ => false,
            };
            let literal = |e: &Expr| matches!(e.unparen(), Expr::Str(_) | Expr::Regex(_));
            matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Match | BinOp::NotMatch)
                && ((tag(lhs) && literal(rhs)) || (literal(lhs) && tag(rhs)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parser::parse_expr;

    fn cond(s: &str) -> Condition {
        split(Some(&parse_expr(s).unwrap()), 1_000, &|k| k == "host").unwrap()
    }

    #[test]
    fn time_is_pulled_out_everywhere() {
        let c = cond("time >= 10 AND time < 20 AND host = 'a' AND v > 1");
        assert_eq!((c.range.min, c.range.max), (10, 19));
        assert_eq!(c.tags.len(), 1);
        assert!(c.rows.is_some());
        let c = cond("time > now() - 100ns OR host = 'a'");
        assert_eq!(c.range.min, 901);
        assert!(!c.range.has_max);
        assert_eq!(c.tags.len(), 1);
        let c = cond("'2023-11-14T22:13:20Z' <= time");
        assert_eq!(c.range.min, 1_700_000_000_000_000_000);
        assert!(split(Some(&parse_expr("time != 3").unwrap()), 0, &|_| false).is_err());
        assert!(split(Some(&parse_expr("time > 'x'").unwrap()), 0, &|_| false).is_err());
    }

    #[test]
    fn tags_mixed_with_fields_are_row_tests() {
        let c = cond("host = 'a' OR v > 1");
        assert!(c.tags.is_empty());
        assert!(c.rows.is_some());
        let c = cond("(host =~ /a/ OR host != 'b')");
        assert_eq!(c.tags.len(), 1);
        assert!(c.rows.is_none());
    }
}
