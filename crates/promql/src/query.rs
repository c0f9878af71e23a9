//! The two queries of Prometheus' API: an instant query at one time and a range query at
//! `start + k * step` up to `end`, parsed by `promql-parser`, evaluated over one snapshot.

use std::time::{Duration, Instant};

use promql_parser::parser::{self, Expr};
use strata_engine::Snapshot;

use crate::error::{PromqlError, Result};
use crate::eval::Evaluator;
use crate::eval::value::{Steps, Value};
use crate::model::labels::Labels;
use crate::options::{MAX_POINTS_PER_SERIES, PromqlOptions};

/// A query's answer, in the shapes of Prometheus' `resultType`s. Times in ns.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Scalar(i64, f64),
    String(i64, String),
    /// `(labels, time, value)`, in evaluation order.
    Vector(Vec<(Labels, i64, f64)>),
    /// `(labels, [(time, value)])`, sorted by labels.
    Matrix(Vec<(Labels, Vec<(i64, f64)>)>),
}

/// Functions of Prometheus 2.42 the parser does not know (it follows 3.x, where
/// `holt_winters` became `double_exponential_smoothing`), registered once.
fn register_2x_functions() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use promql_parser::parser::Function;
        use promql_parser::parser::value::ValueType;
        let holt_winters = Function::new(
            "holt_winters",
            vec![ValueType::Matrix, ValueType::Scalar, ValueType::Scalar],
            0,
            ValueType::Vector,
            false,
        );
        // Only fails on a clash with a built-in, which this name is not.
        let _ = promql_parser::parser::register_extra_functions(vec![holt_winters]);
    });
}

/// Refuses numbers used as durations or times (after `[`, a subquery's `:`, `offset` or
/// `@`) that no duration holds: the parser turns them into a `Duration` with a function that
/// panics on overflow (found by the `promql_eval` fuzz target).
fn check_time_literals(query: &str) -> Result<()> {
    let bytes = query.as_bytes();
    let mut i = 0;
    let mut prev_word = "";
    let mut prev_char = b' ';
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            // Skip a string literal (escapes included).
            let quote = c;
            i += 1;
            while i < bytes.len() && bytes[i] != quote {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            prev_char = quote;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
            {
                i += 1;
            }
            prev_word = &query[start..i];
            prev_char = b'a';
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            while i < bytes.len() {
                let b = bytes[i];
                let exp_sign = (b == b'+' || b == b'-') && matches!(bytes[i - 1], b'e' | b'E');
                if b.is_ascii_alphanumeric() || b == b'.' || exp_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            let timed = matches!(prev_char, b'[' | b':' | b'@' | b'-')
                || prev_word.eq_ignore_ascii_case("offset");
            if timed {
                if let Ok(v) = query[start..i].parse::<f64>() {
                    if !v.is_finite() || v.abs() > 1e15 {
                        return Err(PromqlError::bad(format!(
                            "parse error: {:?} is out of range for a duration or time",
                            &query[start..i]
                        )));
                    }
                }
            }
            prev_char = b'0';
            prev_word = "";
            continue;
        }
        if !c.is_ascii_whitespace() {
            prev_char = c;
            if c != b'-' {
                prev_word = "";
            }
        }
        i += 1;
    }
    Ok(())
}

/// Parses `query`; a syntax error is `bad_data`.
pub fn parse(query: &str) -> Result<Expr> {
    register_2x_functions();
    check_time_literals(query)?;
    // The parser is a dependency: a panic inside it must not take the request down.
    match std::panic::catch_unwind(|| parser::parse(query)) {
        Ok(Ok(expr)) => Ok(expr),
        Ok(Err(e)) => Err(PromqlError::bad(format!("parse error: {e}"))),
        Err(_) => Err(PromqlError::bad(
            "parse error: the query could not be parsed",
        )),
    }
}

/// Prometheus' `parseDuration`: float seconds or a duration string (`1m0s`, `5m`, `1h30m`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    if let Ok(d) = s.parse::<f64>() {
        if !d.is_finite() || d < 0.0 || d * 1e9 > 9.2e18 {
            return None;
        }
        return Some(Duration::from_nanos((d * 1e9) as u64));
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    std::panic::catch_unwind(|| promql_parser::util::parse_duration(s))
        .ok()?
        .ok()
}

fn deadline(options: &PromqlOptions, timeout: Option<Duration>) -> Instant {
    let limit = timeout.map_or(options.timeout, |t| t.min(options.timeout));
    Instant::now() + limit
}

/// `query` at `time` (ns).
pub fn instant_query(
    snapshot: &Snapshot,
    options: &PromqlOptions,
    query: &str,
    time: i64,
    timeout: Option<Duration>,
) -> Result<QueryResult> {
    let expr = parse(query)?;
    let steps = Steps::instant(time);
    let ev = Evaluator::new(snapshot, options, steps, deadline(options, timeout));
    Ok(match ev.eval(&expr, &steps)? {
        Value::Scalar(v) => QueryResult::Scalar(time, v.first().copied().unwrap_or(f64::NAN)),
        Value::String(s) => QueryResult::String(time, s),
        Value::Vector(series) => QueryResult::Vector(
            series
                .into_iter()
                .filter_map(|s| s.points.first().map(|&(_, v)| (s.labels, time, v)))
                .collect(),
        ),
        Value::Matrix(series) => QueryResult::Matrix(
            series
                .into_iter()
                .map(|s| {
                    (
                        s.labels,
                        s.samples.into_iter().map(|x| (x.t, x.v)).collect(),
                    )
                })
                .collect(),
        ),
    })
}

/// `query` at every `start + k * step <= end` (ns); always a matrix.
pub fn range_query(
    snapshot: &Snapshot,
    options: &PromqlOptions,
    query: &str,
    start: i64,
    end: i64,
    step: i64,
    timeout: Option<Duration>,
) -> Result<QueryResult> {
    if end < start {
        return Err(PromqlError::bad(
            "end timestamp must not be before start time",
        ));
    }
    if step <= 0 {
        return Err(PromqlError::bad(
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (i128::from(end) - i128::from(start)) / i128::from(step) > i128::from(MAX_POINTS_PER_SERIES)
    {
        return Err(PromqlError::bad(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let expr = parse(query)?;
    match expr.value_type() {
        parser::value::ValueType::Vector | parser::value::ValueType::Scalar => {}
        other => {
            return Err(PromqlError::bad(format!(
                "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                type_word(other)
            )));
        }
    }
    let steps = Steps {
        start,
        step,
        count: ((end - start) / step) as usize + 1,
    };
    let ev = Evaluator::new(snapshot, options, steps, deadline(options, timeout));
    let mut out = match ev.eval(&expr, &steps)? {
        Value::Scalar(v) => vec![(
            Labels::default(),
            v.into_iter()
                .enumerate()
                .map(|(k, v)| (steps.at(k), v))
                .collect(),
        )],
        Value::Vector(series) => series
            .into_iter()
            .filter(|s| !s.points.is_empty())
            .map(|s| {
                let points = s
                    .points
                    .iter()
                    .map(|&(k, v)| (steps.at(k as usize), v))
                    .collect();
                (s.labels, points)
            })
            .collect(),
        other => {
            return Err(PromqlError::bad(format!(
                "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                other.type_name()
            )));
        }
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(QueryResult::Matrix(out))
}

fn type_word(t: parser::value::ValueType) -> &'static str {
    match t {
        parser::value::ValueType::Matrix => "range vector",
        parser::value::ValueType::String => "string",
        parser::value::ValueType::Scalar => "scalar",
        parser::value::ValueType::Vector => "instant vector",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_time_literals_are_refused_not_panicked_on() {
        for q in [
            "sum(su[2000000000000000000000000000000000000000000000001834101687])",
            "x offset 1e30",
            "x offset -1e30",
            "x @ 1e300",
            "rate(x[5m:1e40])",
        ] {
            let e = parse(q).unwrap_err();
            assert_eq!(e.error_type(), "bad_data", "{q}");
        }
        for q in [
            "x > 1e30",
            "job:rate5m:1e3",
            "x[5m] offset 1h",
            "x @ 1700000000",
            "\"[1e99]\"",
        ] {
            assert!(check_time_literals(q).is_ok(), "{q}");
        }
    }
}
