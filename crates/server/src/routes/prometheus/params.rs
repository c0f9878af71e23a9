//! Request parameters as Prometheus reads them: the query string and, for a form-encoded
//! POST, the body (the body wins, as Go's `FormValue`); times as RFC 3339 or float seconds;
//! durations as float seconds or Prometheus durations (`1m0s`, `5m`, `1h30m`).

use std::time::Duration;

use axum::http::{HeaderMap, Uri, header};
use strata_promql::PromqlError;

/// A request's parameters, repeated ones (`match[]`) kept.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The query string, then a form body if the request has one.
    pub fn from_request(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Params {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if is_form(headers) {
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        if let Some(q) = uri.query() {
            pairs.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        Params(pairs)
    }

    /// The first value of `name` (the body's before the query string's).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Whether the body is a form (`application/x-www-form-urlencoded`).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

fn invalid(name: &str, msg: String) -> PromqlError {
    PromqlError::BadData(format!("invalid parameter {name:?}: {msg}"))
}

/// A time parameter in ns, `default` when absent. Float seconds are rounded to the
/// millisecond, as Prometheus does.
pub fn time_param(params: &Params, name: &str, default: i64) -> Result<i64, PromqlError> {
    match params.get(name) {
        None | Some("") => Ok(default),
        Some(s) => parse_time(s)
            .ok_or_else(|| invalid(name, format!("cannot parse {s:?} to a valid timestamp"))),
    }
}

/// Prometheus' `parseTime`: float seconds or RFC 3339 (its min and max times included).
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<f64>() {
        if !t.is_finite() {
            return None;
        }
        let whole = t.trunc();
        let ms = whole * 1000.0 + ((t - whole) * 1000.0).round();
        if ms.abs() >= 9.2e15 {
            // Beyond what nanoseconds hold: clamp, as such times are "from the beginning" or
            // "until the end" in practice.
            return Some(if ms < 0.0 { i64::MIN } else { i64::MAX });
        }
        return (ms as i64).checked_mul(1_000_000);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        let ms = t.timestamp_millis();
        return Some(ms.saturating_mul(1_000_000));
    }
    match s {
        // Prometheus' minTime and maxTime, which Grafana and client libraries send.
        "-292273086-05-16T16:47:06Z" => Some(i64::MIN),
        "292277025-08-18T07:12:54.999999999Z" => Some(i64::MAX),
        _ => None,
    }
}

pub use strata_promql::parse_duration;

/// A duration parameter, `None` when absent.
pub fn duration_param(params: &Params, name: &str) -> Result<Option<Duration>, PromqlError> {
    match params.get(name) {
        None | Some("") => Ok(None),
        Some(s) => parse_duration(s)
            .map(Some)
            .ok_or_else(|| invalid(name, format!("cannot parse {s:?} to a valid duration"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(parse_time("1.5"), Some(1_500_000_000));
        assert_eq!(
            parse_time("1700000000.1234"),
            Some(1_700_000_000_123_000_000)
        );
        assert_eq!(
            parse_time("2016-01-01T00:00:00Z"),
            Some(1_451_606_400_000_000_000)
        );
        assert_eq!(
            parse_time("2016-01-01T00:00:00.5+01:00"),
            Some(1_451_602_800_500_000_000)
        );
        assert_eq!(parse_time("x"), None);
        assert_eq!(parse_time("NaN"), None);
        assert_eq!(parse_time("1e300"), Some(i64::MAX));
        assert_eq!(parse_duration("15"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m0s"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("1 m"), None);
    }

    #[test]
    fn body_before_query_string() {
        let uri: Uri = "/api/v1/query?query=a&match%5B%5D=x".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let p = Params::from_request(&uri, &h, b"query=b&match[]=y");
        assert_eq!(p.get("query"), Some("b"));
        assert_eq!(p.all("match[]"), vec!["y".to_string(), "x".to_string()]);
    }
}
