//! Filter matching: which series of a measurement satisfy a request's `filters`, computed as
//! set algebra on the catalog's postings (tag key -> tag value -> roaring bitmap of series),
//! never by scanning series keys.
//!
//! Per tag key:
//! - `"v"` (Eq): the series having `key=v`.
//! - `{"ne": "v"}`: every series of the measurement except those with `key=v`; a series
//!   without the tag matches (as in InfluxDB, where a missing tag equals `""`).
//! - `{"in": [..]}`: the union of the values' series; an empty list matches nothing.
//! - `{"regex": ".."}`: the union over the key's distinct values that match. The pattern is
//!   the `regex` crate's syntax and is *unanchored*, as that crate's `is_match` is (and as
//!   InfluxDB's `=~` is): `web` matches `web-1` and `old-web`; write `^web$` for an exact
//!   match. A series without the tag never matches a regex (even `^$` or `.*`): use
//!   `{"exists": false}` for that.
//! - `{"exists": true}`: the series having the key with any value; `false`: all others.
//!
//! All entries are ANDed. An unknown measurement matches nothing (not an error).

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use roaring::{MultiOps, RoaringBitmap};
use strata_engine::{Catalog, MeasurementIndex};

use crate::error::QueryError;
use crate::request::Filter;

/// Compiled-size cap of a filter regex, so one request cannot build a huge automaton.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The ids of the series of `measurement` matching every filter.
pub fn match_series(
    catalog: &Catalog,
    measurement: &str,
    filters: &BTreeMap<String, Filter>,
) -> Result<RoaringBitmap, QueryError> {
    // Compile outside the catalog's read lock.
    let mut compiled = Vec::with_capacity(filters.len());
    for (key, filter) in filters {
        let regex = match filter {
            Filter::Regex(pattern) => Some(compile_regex(key, pattern)?),
            _ => None,
        };
        compiled.push((key.as_str(), filter, regex));
    }
    let matched = catalog.with_measurement(measurement, |m| {
        let mut result = m.series().clone();
        for (key, filter, regex) in &compiled {
            if result.is_empty() {
                break;
            }
            apply(m, &mut result, key, filter, regex.as_ref());
        }
        result
    });
    Ok(matched.unwrap_or_default())
}

/// Narrows `result` to the series satisfying one filter.
fn apply(
    m: &MeasurementIndex,
    result: &mut RoaringBitmap,
    key: &str,
    filter: &Filter,
    regex: Option<&Regex>,
) {
    let posting = |v: &str| m.postings(key, v);
    match filter {
        Filter::Eq(v) => match posting(v) {
            Some(b) => *result &= b,
            None => result.clear(),
        },
        Filter::Ne(v) => {
            if let Some(b) = posting(v) {
                *result -= b;
            }
        }
        // Unions go through `MultiOps`, which merges all the bitmaps in one pass: folding
        // them in one by one with `|=` re-merges the growing result every time, quadratic
        // when a regex matches many values of a key unique per series (host names).
        Filter::In(list) => {
            *result &= list.iter().filter_map(|v| posting(v)).union();
        }
        Filter::Regex(_) => {
            let union = match regex {
                Some(re) => m
                    .tag_values(key)
                    .filter(|(v, _)| re.is_match(v))
                    .map(|(_, b)| b)
                    .union(),
                None => RoaringBitmap::new(),
            };
            *result &= union;
        }
        Filter::Exists(want) => {
            let with_key = m.tag_values(key).map(|(_, b)| b).union();
            if *want {
                *result &= with_key;
            } else {
                *result -= with_key;
            }
        }
    }
}

/// Compiles a filter pattern; an invalid or oversized pattern is a bad request naming the key.
pub(crate) fn compile_regex(key: &str, pattern: &str) -> Result<Regex, QueryError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| QueryError::bad(format!("filter on {key:?}: invalid regex {pattern:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

    use super::*;

    /// Series: 0 = host a / region x, 1 = host b / region x, 2 = host c (no region),
    /// 3 = region y (no host), 4 = other measurement host a.
    fn engine(dir: &std::path::Path) -> (Engine, Vec<u32>) {
        let engine = Engine::open(EngineOptions::manual(dir)).unwrap();
        let keys = [
            ("cpu", vec![("host", "a"), ("region", "x")]),
            ("cpu", vec![("host", "b"), ("region", "x")]),
            ("cpu", vec![("host", "c")]),
            ("cpu", vec![("region", "y")]),
            ("mem", vec![("host", "a")]),
        ];
        let points: Vec<Point> = keys
            .iter()
            .map(|(m, tags)| Point {
                series: SeriesKey::new(
                    *m,
                    tags.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                fields: vec![("v".into(), FieldValue::Float(1.0))],
                timestamp: 1,
            })
            .collect();
        engine.write(&points).unwrap();
        let ids = points
            .iter()
            .map(|p| engine.catalog().lookup(&p.series.canonical()).unwrap())
            .collect();
        (engine, ids)
    }

    fn run(engine: &Engine, ids: &[u32], filters: &[(&str, Filter)]) -> Vec<usize> {
        let filters: BTreeMap<String, Filter> = filters
            .iter()
            .map(|(k, f)| (k.to_string(), f.clone()))
            .collect();
        let got = match_series(engine.catalog(), "cpu", &filters).unwrap();
        ids.iter()
            .enumerate()
            .filter(|(_, id)| got.contains(**id))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn each_operator() {
        let dir = tempfile::tempdir().unwrap();
        let (e, ids) = engine(dir.path());
        let s = |v: &str| v.to_string();
        assert_eq!(run(&e, &ids, &[]), vec![0, 1, 2, 3]);
        assert_eq!(run(&e, &ids, &[("host", Filter::Eq(s("a")))]), vec![0]);
        assert_eq!(
            run(&e, &ids, &[("host", Filter::Eq(s("zz")))]),
            Vec::<usize>::new()
        );
        assert_eq!(
            run(&e, &ids, &[("nokey", Filter::Eq(s("a")))]),
            Vec::<usize>::new()
        );
        assert_eq!(
            run(&e, &ids, &[("host", Filter::Ne(s("a")))]),
            vec![1, 2, 3]
        );
        assert_eq!(
            run(&e, &ids, &[("nokey", Filter::Ne(s("a")))]),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            run(
                &e,
                &ids,
                &[("host", Filter::In(vec![s("a"), s("c"), s("q")]))]
            ),
            vec![0, 2]
        );
        assert_eq!(
            run(&e, &ids, &[("host", Filter::In(vec![]))]),
            Vec::<usize>::new()
        );
        assert_eq!(
            run(&e, &ids, &[("host", Filter::Regex(s("[ab]")))]),
            vec![0, 1]
        );
        assert_eq!(
            run(&e, &ids, &[("host", Filter::Regex(s(".*")))]),
            vec![0, 1, 2]
        );
        assert_eq!(
            run(&e, &ids, &[("host", Filter::Regex(s("^$")))]),
            Vec::<usize>::new()
        );
        assert_eq!(
            run(&e, &ids, &[("region", Filter::Exists(true))]),
            vec![0, 1, 3]
        );
        assert_eq!(run(&e, &ids, &[("region", Filter::Exists(false))]), vec![2]);
        assert_eq!(
            run(&e, &ids, &[("nokey", Filter::Exists(false))]),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            run(&e, &ids, &[("nokey", Filter::Exists(true))]),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn filters_are_anded_and_scoped_to_the_measurement() {
        let dir = tempfile::tempdir().unwrap();
        let (e, ids) = engine(dir.path());
        let s = |v: &str| v.to_string();
        assert_eq!(
            run(
                &e,
                &ids,
                &[
                    ("host", Filter::Ne(s("b"))),
                    ("region", Filter::Exists(true))
                ]
            ),
            vec![0, 3]
        );
        assert_eq!(
            run(
                &e,
                &ids,
                &[("host", Filter::Eq(s("a"))), ("region", Filter::Eq(s("y")))]
            ),
            Vec::<usize>::new()
        );
        let none = match_series(e.catalog(), "disk", &BTreeMap::new()).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn regex_is_unanchored_and_bad_patterns_fail() {
        let dir = tempfile::tempdir().unwrap();
        let (e, ids) = engine(dir.path());
        assert_eq!(
            run(&e, &ids, &[("region", Filter::Regex("x|y".into()))]),
            vec![0, 1, 3]
        );
        assert_eq!(
            run(&e, &ids, &[("region", Filter::Regex("^x$".into()))]),
            vec![0, 1]
        );
        let filters = BTreeMap::from([("host".to_string(), Filter::Regex("a(".into()))]);
        let err = match_series(e.catalog(), "cpu", &filters).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("\"host\""), "{err}");
    }
}
