//! Prometheus' JSON envelopes: `{"status":"success","data":...}` and
//! `{"status":"error","errorType":"...","error":"..."}` with its status code; sample values
//! as strings (`"NaN"`, `"+Inf"`), times as seconds with millisecond decimals. Large results
//! are written straight into one buffer.

use std::fmt::Write as _;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use strata_promql::{Labels, PromqlError, QueryResult, format_value};

/// A Prometheus API answer.
pub enum PromResponse {
    /// `data` already rendered as JSON.
    Success(String),
    Error(PromqlError),
}

impl From<PromqlError> for PromResponse {
    fn from(e: PromqlError) -> Self {
        PromResponse::Error(e)
    }
}

impl IntoResponse for PromResponse {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            PromResponse::Success(data) => (
                StatusCode::OK,
                format!("{{\"status\":\"success\",\"data\":{data}}}"),
            ),
            PromResponse::Error(e) => {
                let status =
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = format!(
                    "{{\"status\":\"error\",\"errorType\":\"{}\",\"error\":{}}}",
                    e.error_type(),
                    quoted(&e.to_string())
                );
                (status, body)
            }
        };
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// A JSON string literal.
pub fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A list of strings as a JSON array.
pub fn string_array(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// Prometheus' `marshalTimestamp`: seconds, and the milliseconds as three decimals when not 0.
pub fn write_time(out: &mut String, ns: i64) {
    let ms = ns.div_euclid(1_000_000);
    let (sign, ms) = if ms < 0 {
        ("-", ms.unsigned_abs())
    } else {
        ("", ms.unsigned_abs())
    };
    let (secs, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        let _ = write!(out, "{sign}{secs}");
    } else {
        let _ = write!(out, "{sign}{secs}.{frac:03}");
    }
}

fn write_point(out: &mut String, ns: i64, v: f64) {
    out.push('[');
    write_time(out, ns);
    out.push_str(",\"");
    out.push_str(&format_value(v));
    out.push_str("\"]");
}

/// A label set as a JSON object.
pub fn write_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quoted(k));
        out.push(':');
        out.push_str(&quoted(v));
    }
    out.push('}');
}

/// The `data` of a query answer.
pub fn query_data(result: &QueryResult) -> String {
    let mut out = String::new();
    match result {
        QueryResult::Scalar(t, v) => {
            out.push_str("{\"resultType\":\"scalar\",\"result\":");
            write_point(&mut out, *t, *v);
        }
        QueryResult::String(t, s) => {
            out.push_str("{\"resultType\":\"string\",\"result\":[");
            write_time(&mut out, *t);
            out.push(',');
            out.push_str(&quoted(s));
            out.push(']');
        }
        QueryResult::Vector(samples) => {
            out.push_str("{\"resultType\":\"vector\",\"result\":[");
            for (i, (labels, t, v)) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                write_labels(&mut out, labels);
                out.push_str(",\"value\":");
                write_point(&mut out, *t, *v);
                out.push('}');
            }
            out.push(']');
        }
        QueryResult::Matrix(series) => {
            out.push_str("{\"resultType\":\"matrix\",\"result\":[");
            for (i, (labels, points)) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                write_labels(&mut out, labels);
                out.push_str(",\"values\":[");
                for (j, (t, v)) in points.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    write_point(&mut out, *t, *v);
                }
                out.push_str("]}");
            }
            out.push(']');
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut t = String::new();
        write_time(&mut t, 1_500_000_000);
        assert_eq!(t, "1.500");
        t.clear();
        write_time(&mut t, -1_500_000_000);
        assert_eq!(t, "-1.500");
        t.clear();
        write_time(&mut t, 2_000_000_000);
        assert_eq!(t, "2");
        let l = Labels::from_pairs([
            ("__name__".to_string(), "up".to_string()),
            ("q".to_string(), "a\"b".to_string()),
        ]);
        let data = query_data(&QueryResult::Vector(vec![(
            l,
            1_000_000_000,
            f64::INFINITY,
        )]));
        assert_eq!(
            data,
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"up","q":"a\"b"},"value":[1,"+Inf"]}]}"#
        );
        assert_eq!(
            query_data(&QueryResult::Scalar(0, 1.5)),
            r#"{"resultType":"scalar","result":[0,"1.5"]}"#
        );
    }
}
