//! The `POST /query` request body ([`QueryRequest`]) and its JSON decoding.
//!
//! Decoding is strict: an unknown key (at the top level, in `aggregate`, or an unknown filter
//! operator) is an error naming the key, so a typo never silently widens a query. Semantic
//! checks (`start < end`, `q` in `[0, 1]`, ...) live in [`crate::validate`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::derive::DeriveFn;
use crate::error::QueryError;
use crate::fill::Fill;
use crate::value_filter::ValueFilter;

/// One query, as the client sent it. Times are in the request's precision (see
/// [`crate::QueryOptions::precision_ns`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    pub measurement: String,
    /// Inclusive.
    pub start: i64,
    /// Exclusive.
    pub end: i64,
    /// Tag key -> condition; every entry must match (AND).
    #[serde(default)]
    pub filters: BTreeMap<String, Filter>,
    /// Field names to return; `None` means every field of the measurement.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Conditions on field values, ANDed: only rows where all hold are returned or folded
    /// (see [`crate::value_filter`]).
    #[serde(default, rename = "where")]
    pub value_filters: Vec<ValueFilter>,
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// Empty windows of an aggregate with `every` filled (default: left out, `"none"`).
    #[serde(default)]
    pub fill: Option<Fill>,
    /// A derived function of each field's values (after aggregation).
    #[serde(default)]
    pub derive: Option<Derive>,
    /// Tag keys to aggregate series together by; needs `aggregate`.
    #[serde(default)]
    pub group_by: Option<Vec<String>>,
    /// Points per series (after aggregation).
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub format: Format,
}

impl QueryRequest {
    /// Decodes a JSON body. Any decoding error is a [`QueryError::BadRequest`] whose message
    /// names the offending key or value (serde's message, with line and column).
    pub fn from_json(body: &[u8]) -> Result<QueryRequest, QueryError> {
        serde_json::from_slice(body)
            .map_err(|e| QueryError::bad(format!("invalid query body: {e}")))
    }
}

/// `derive`: a derived function of each field's values; `unit` (request time units) is the
/// time unit of derivatives (default one second) and `elapsed` (default one request unit);
/// `window` is the moving average's number of values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    pub function: DeriveFn,
    #[serde(default)]
    pub unit: Option<i64>,
    #[serde(default)]
    pub window: Option<usize>,
}

/// A condition on one tag key. JSON: `"x"` (equality), `{"ne": "x"}`, `{"in": ["a", "b"]}`,
/// `{"regex": "^web-[0-9]+$"}`, `{"exists": false}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Regex(String),
    Exists(bool),
}

/// `aggregate`: a function, an optional window width (request time units) and, for
/// `quantile`, `q`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub function: AggFunction,
    #[serde(default)]
    pub every: Option<i64>,
    #[serde(default)]
    pub q: Option<f64>,
}

/// The aggregate functions (lower-case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AggFunction {
    Count,
    Sum,
    Mean,
    Min,
    Max,
    First,
    Last,
    Stddev,
    Quantile,
}

impl AggFunction {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunction::Count => "count",
            AggFunction::Sum => "sum",
            AggFunction::Mean => "mean",
            AggFunction::Min => "min",
            AggFunction::Max => "max",
            AggFunction::First => "first",
            AggFunction::Last => "last",
            AggFunction::Stddev => "stddev",
            AggFunction::Quantile => "quantile",
        }
    }

    /// True for the functions that take any field type (the others need a numeric field).
    pub fn any_type(self) -> bool {
        matches!(
            self,
            AggFunction::Count | AggFunction::First | AggFunction::Last
        )
    }
}

/// Time order of the points of each series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// Response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `{"data_points": [...]}`, one object per point.
    #[default]
    Points,
    /// `{"series": [...]}`, columns per series.
    Series,
}

impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FilterVisitor)
    }
}

const OPERATORS: &[&str] = &["ne", "in", "regex", "exists"];

struct FilterVisitor;

impl<'de> Visitor<'de> for FilterVisitor {
    type Value = Filter;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a tag value string or one of {"ne": ..}, {"in": [..]}, {"regex": ..}, {"exists": ..}"#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Filter, E> {
        Ok(Filter::Eq(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Filter, E> {
        Ok(Filter::Eq(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Filter, A::Error> {
        let Some(op) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "empty filter object: expected one of ne, in, regex, exists",
            ));
        };
        let filter = match op.as_str() {
            "ne" => Filter::Ne(map.next_value()?),
            "in" => Filter::In(map.next_value()?),
            "regex" => Filter::Regex(map.next_value()?),
            "exists" => Filter::Exists(map.next_value()?),
            _ => return Err(de::Error::unknown_field(&op, OPERATORS)),
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "filter object has more than one operator (`{op}` and `{extra}`); use one per tag key"
            )));
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<QueryRequest, QueryError> {
        QueryRequest::from_json(s.as_bytes())
    }

    #[test]
    fn minimal_request_gets_defaults() {
        let r = parse(r#"{"measurement":"cpu","start":1,"end":2}"#).unwrap();
        assert_eq!(r.measurement, "cpu");
        assert!(r.filters.is_empty() && r.fields.is_none() && r.aggregate.is_none());
        assert!(r.group_by.is_none() && r.limit.is_none());
        assert_eq!((r.order, r.format), (Order::Asc, Format::Points));
    }

    #[test]
    fn full_request() {
        let r = parse(
            r#"{"measurement":"cpu","start":-5,"end":2,
                "filters":{"a":"x","b":{"ne":"y"},"c":{"in":["1","2"]},"d":{"regex":"^w"},"e":{"exists":false}},
                "fields":["v"],"aggregate":{"function":"quantile","every":60,"q":0.5},
                "group_by":["a"],"limit":3,"order":"desc","format":"series"}"#,
        )
        .unwrap();
        assert_eq!(r.filters["a"], Filter::Eq("x".into()));
        assert_eq!(r.filters["b"], Filter::Ne("y".into()));
        assert_eq!(r.filters["c"], Filter::In(vec!["1".into(), "2".into()]));
        assert_eq!(r.filters["d"], Filter::Regex("^w".into()));
        assert_eq!(r.filters["e"], Filter::Exists(false));
        assert_eq!(
            r.aggregate,
            Some(Aggregate {
                function: AggFunction::Quantile,
                every: Some(60),
                q: Some(0.5)
            })
        );
        assert_eq!(
            (r.limit, r.order, r.format),
            (Some(3), Order::Desc, Format::Series)
        );
        assert_eq!(r.group_by, Some(vec!["a".to_string()]));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse(r#"{"measurement":"cpu","start":1,"end":2,"limt":3}"#).unwrap_err();
        assert!(e.to_string().contains("`limt`"), "{e}");
        let e = parse(
            r#"{"measurement":"cpu","start":1,"end":2,"aggregate":{"function":"mean","evry":1}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("`evry`"), "{e}");
        let e = parse(r#"{"measurement":"cpu","start":1,"end":2,"filters":{"h":{"eq":"x"}}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("`eq`"), "{e}");
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn malformed_values_are_rejected() {
        for body in [
            r#"{"measurement":"cpu","start":1.5,"end":2}"#,
            r#"{"measurement":"cpu","end":2}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"filters":{"h":{}}}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"filters":{"h":{"ne":"a","in":[]}}}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"filters":{"h":3}}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"filters":{"h":{"exists":"yes"}}}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"aggregate":{"function":"median"}}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"order":"up"}"#,
            r#"{"measurement":"cpu","start":1,"end":2,"limit":-1}"#,
            r#"[1]"#,
            r#"{"measurement":"cpu","start":1,"end":2"#,
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.code(), "invalid_query", "{body}");
        }
    }
}
