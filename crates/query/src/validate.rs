//! Semantic checks of a decoded [`QueryRequest`], done before touching any data: every rule
//! the JSON shape cannot express. Each failure is a [`QueryError::BadRequest`] saying which
//! part of the request is wrong.

use crate::error::QueryError;
use crate::match_series::compile_regex;
use crate::request::{AggFunction, Filter, QueryRequest};

impl QueryRequest {
    /// Checks the request:
    /// - `measurement` is non-empty and `start < end`;
    /// - `fields`, when given, names at least one field, none empty;
    /// - `aggregate.every`, when given, is positive; `quantile` needs `q` in `[0, 1]`, and the
    ///   other functions take no `q`;
    /// - `group_by` needs `aggregate`;
    /// - `limit`, when given, is positive;
    /// - every `regex` filter compiles.
    ///
    /// Range checks that depend on the precision (overflow in nanoseconds) are done by
    /// [`crate::execute`].
    pub fn validate(&self) -> Result<(), QueryError> {
        if self.measurement.is_empty() {
            return Err(QueryError::bad("measurement must not be empty"));
        }
        if self.start >= self.end {
            return Err(QueryError::bad(format!(
                "start ({}) must be before end ({}); start is inclusive, end exclusive",
                self.start, self.end
            )));
        }
        if let Some(fill) = self.fill {
            if fill != crate::fill::Fill::None
                && self.aggregate.as_ref().and_then(|a| a.every).is_none()
            {
                return Err(QueryError::bad(
                    "fill needs an aggregate with \"every\" (it fills the windows without data)",
                ));
            }
        }
        if let Some(d) = &self.derive {
            if d.unit.is_some_and(|u| u <= 0) {
                return Err(QueryError::bad("derive.unit must be positive"));
            }
            match (d.function, d.window) {
                (crate::derive::DeriveFn::MovingAverage, Some(w)) if w >= 1 => {}
                (crate::derive::DeriveFn::MovingAverage, _) => {
                    return Err(QueryError::bad(
                        "derive moving_average needs \"window\": a number of values, at least 1",
                    ));
                }
                (_, Some(_)) => {
                    return Err(QueryError::bad("derive.window is only for moving_average"));
                }
                _ => {}
            }
        }
        for f in &self.value_filters {
            if f.field.is_empty() {
                return Err(QueryError::bad("where: \"field\" must not be empty"));
            }
            if !f.value.is_finite() {
                return Err(QueryError::bad("where: \"value\" must be a finite number"));
            }
        }
        if let Some(fields) = &self.fields {
            if fields.is_empty() {
                return Err(QueryError::bad(
                    "fields must name at least one field (omit it for all fields)",
                ));
            }
            if fields.iter().any(String::is_empty) {
                return Err(QueryError::bad("fields must not contain an empty name"));
            }
        }
        if let Some(agg) = &self.aggregate {
            if let Some(every) = agg.every
                && every <= 0
            {
                return Err(QueryError::bad(format!(
                    "aggregate.every must be positive, got {every}"
                )));
            }
            match (agg.function, agg.q) {
                (AggFunction::Quantile, None) => {
                    return Err(QueryError::bad(
                        "aggregate quantile needs \"q\" between 0 and 1",
                    ));
                }
                (AggFunction::Quantile, Some(q)) if !(0.0..=1.0).contains(&q) => {
                    return Err(QueryError::bad(format!(
                        "aggregate.q must be between 0 and 1, got {q}"
                    )));
                }
                (f, Some(_)) if f != AggFunction::Quantile => {
                    return Err(QueryError::bad(format!(
                        "aggregate.q applies only to quantile, not to {}",
                        f.name()
                    )));
                }
                _ => {}
            }
        }
        if self.group_by.is_some() && self.aggregate.is_none() {
            return Err(QueryError::bad("group_by needs aggregate"));
        }
        if self.limit == Some(0) {
            return Err(QueryError::bad(
                "limit must be positive (omit it for no limit)",
            ));
        }
        for (key, filter) in &self.filters {
            if let Filter::Regex(pattern) = filter {
                compile_regex(key, pattern)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::request::{Aggregate, QueryRequest};

    use super::*;

    fn base() -> QueryRequest {
        QueryRequest::from_json(br#"{"measurement":"m","start":0,"end":10}"#).unwrap()
    }

    fn agg(function: AggFunction, every: Option<i64>, q: Option<f64>) -> Option<Aggregate> {
        Some(Aggregate { function, every, q })
    }

    #[test]
    fn accepts_valid_requests() {
        base().validate().unwrap();
        let mut r = base();
        r.aggregate = agg(AggFunction::Quantile, Some(5), Some(1.0));
        r.group_by = Some(vec![]);
        r.limit = Some(1);
        r.filters.insert("h".into(), Filter::Regex("^a.*$".into()));
        r.validate().unwrap();
    }

    #[test]
    fn rejects_each_rule() {
        type Mutation = Box<dyn Fn(&mut QueryRequest)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (Box::new(|r| r.measurement.clear()), "measurement"),
            (Box::new(|r| r.end = r.start), "start"),
            (Box::new(|r| r.fields = Some(vec![])), "fields"),
            (Box::new(|r| r.fields = Some(vec![String::new()])), "fields"),
            (
                Box::new(|r| r.aggregate = agg(AggFunction::Mean, Some(0), None)),
                "every",
            ),
            (
                Box::new(|r| r.aggregate = agg(AggFunction::Quantile, None, None)),
                "q",
            ),
            (
                Box::new(|r| r.aggregate = agg(AggFunction::Quantile, None, Some(1.5))),
                "q",
            ),
            (
                Box::new(|r| r.aggregate = agg(AggFunction::Quantile, None, Some(f64::NAN))),
                "q",
            ),
            (
                Box::new(|r| r.aggregate = agg(AggFunction::Sum, None, Some(0.5))),
                "quantile",
            ),
            (
                Box::new(|r| r.group_by = Some(vec!["h".into()])),
                "group_by",
            ),
            (Box::new(|r| r.limit = Some(0)), "limit"),
            (
                Box::new(|r| {
                    r.filters.insert("host".into(), Filter::Regex("(".into()));
                }),
                "host",
            ),
        ];
        for (mutate, needle) in cases {
            let mut r = base();
            mutate(&mut r);
            let e = r.validate().unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(
                e.to_string().contains(needle),
                "{e} should mention {needle}"
            );
        }
    }
}
