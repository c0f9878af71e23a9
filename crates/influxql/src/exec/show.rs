//! The metadata statements (`SHOW MEASUREMENTS`, `TAG KEYS`, `TAG VALUES`, `FIELD KEYS`,
//! `SERIES`) from the catalog, and the deleting ones (`DELETE`, `DROP SERIES`,
//! `DROP MEASUREMENT`) as engine tombstones, with InfluxDB 1.x's result shapes.

use roaring::RoaringBitmap;
use strata_engine::{Catalog, Engine, ValueType};

use super::select::{compile, measurements};
use super::tags::{compile_tag_expr, select};
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{Expr, KeyMatch, NameMatch, Source};
use crate::plan::condition::{self, MAX_TIME, MIN_TIME};
use crate::value::{SeriesOut, Value};

/// Every measurement when `from` is empty, else those it names.
fn sources(catalog: &Catalog, from: &[Source]) -> Result<Vec<String>> {
    if from.is_empty() {
        return Ok(catalog.measurements());
    }
    measurements(catalog, from)
}

/// The series of `m` a tags-only `WHERE` selects (every series without one).
fn series_where(
    catalog: &Catalog,
    m: &str,
    cond: Option<&Expr>,
    now: i64,
) -> Result<RoaringBitmap> {
    let tags: Vec<String> = catalog
        .with_measurement(m, |idx| idx.tag_keys().map(str::to_string).collect())
        .unwrap_or_default();
    let split = condition::split(cond, now, &|k| tags.iter().any(|t| t == k))?;
    if split.rows.is_some() {
        return Err(InfluxqlError::invalid(
            "fields not supported in WHERE clause during deletion",
        ));
    }
    let compiled: Vec<_> = split
        .tags
        .iter()
        .map(compile_tag_expr)
        .collect::<Result<_>>()?;
    Ok(catalog
        .with_measurement(m, |idx| {
            let mut ids = idx.series().clone();
            for c in &compiled {
                ids &= select(idx, c);
            }
            ids
        })
        .unwrap_or_default())
}

fn page<T>(v: Vec<T>, limit: usize, offset: usize) -> Vec<T> {
    let take = if limit == 0 { usize::MAX } else { limit };
    v.into_iter().skip(offset).take(take).collect()
}

fn one_column(name: &str, column: &str, values: Vec<String>) -> SeriesOut {
    let mut s = SeriesOut::new(name, vec![column.to_string()]);
    s.rows = values.into_iter().map(|v| vec![Value::Str(v)]).collect();
    s
}

/// A page of `values` as the one series of a statement's answer (none if the page is empty).
fn single_column(
    name: &str,
    column: &str,
    values: Vec<String>,
    (limit, offset): (usize, usize),
) -> Vec<SeriesOut> {
    let values = page(values, limit, offset);
    if values.is_empty() {
        return Vec::new();
    }
    vec![one_column(name, column, values)]
}

pub fn show_measurements(
    catalog: &Catalog,
    with: Option<&NameMatch>,
    cond: Option<&Expr>,
    (limit, offset): (usize, usize),
    now: i64,
) -> Result<Vec<SeriesOut>> {
    let re = match with {
        Some(NameMatch::Regex(r)) => Some(compile(r)?),
        _ => None,
    };
    let mut names = Vec::new();
    for m in catalog.measurements() {
        let keep = match with {
            Some(NameMatch::Name(n)) => &m == n,
            Some(NameMatch::Regex(_)) => re.as_ref().is_some_and(|r| r.is_match(&m)),
            None => true,
        };
        if keep && (cond.is_none() || !series_where(catalog, &m, cond, now)?.is_empty()) {
            names.push(m);
        }
    }
    Ok(single_column(
        "measurements",
        "name",
        names,
        (limit, offset),
    ))
}

pub fn show_tag_keys(
    catalog: &Catalog,
    from: &[Source],
    cond: Option<&Expr>,
    (limit, offset): (usize, usize),
    now: i64,
) -> Result<Vec<SeriesOut>> {
    let mut out = Vec::new();
    for m in sources(catalog, from)? {
        let keys: Vec<String> = if cond.is_some() {
            let ids = series_where(catalog, &m, cond, now)?;
            let mut keys: Vec<String> = ids
                .iter()
                .filter_map(|id| catalog.key(id))
                .flat_map(|k| k.tags().iter().map(|(t, _)| t.clone()).collect::<Vec<_>>())
                .collect();
            keys.sort();
            keys.dedup();
            keys
        } else {
            catalog
                .with_measurement(&m, |idx| idx.tag_keys().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let keys = page(keys, limit, offset);
        if !keys.is_empty() {
            out.push(one_column(&m, "tagKey", keys));
        }
    }
    Ok(out)
}

pub fn show_tag_values(
    catalog: &Catalog,
    from: &[Source],
    key: &KeyMatch,
    cond: Option<&Expr>,
    (limit, offset): (usize, usize),
    now: i64,
) -> Result<Vec<SeriesOut>> {
    let re = match key {
        KeyMatch::Regex(r) | KeyMatch::NotRegex(r) => Some(compile(r)?),
        _ => None,
    };
    let wanted = |k: &str| match key {
        KeyMatch::Eq(n) => k == n,
        KeyMatch::NotEq(n) => k != n,
        KeyMatch::In(ns) => ns.iter().any(|n| n == k),
        KeyMatch::Regex(_) => re.as_ref().is_some_and(|r| r.is_match(k)),
        KeyMatch::NotRegex(_) => !re.as_ref().is_some_and(|r| r.is_match(k)),
    };
    let mut out = Vec::new();
    for m in sources(catalog, from)? {
        let ids = series_where(catalog, &m, cond, now)?;
        let pairs: Vec<(String, String)> = catalog
            .with_measurement(&m, |idx| {
                let mut pairs = Vec::new();
                for k in idx.tag_keys().filter(|k| wanted(k)) {
                    for (v, b) in idx.tag_values(k) {
                        if !b.is_disjoint(&ids) {
                            pairs.push((k.to_string(), v.to_string()));
                        }
                    }
                }
                pairs
            })
            .unwrap_or_default();
        let pairs = page(pairs, limit, offset);
        if pairs.is_empty() {
            continue;
        }
        let mut s = SeriesOut::new(&m, vec!["key".into(), "value".into()]);
        s.rows = pairs
            .into_iter()
            .map(|(k, v)| vec![Value::Str(k), Value::Str(v)])
            .collect();
        out.push(s);
    }
    Ok(out)
}

pub fn show_field_keys(
    catalog: &Catalog,
    from: &[Source],
    (limit, offset): (usize, usize),
) -> Result<Vec<SeriesOut>> {
    let mut out = Vec::new();
    for m in sources(catalog, from)? {
        let fields: Vec<(String, ValueType)> = catalog
            .with_measurement(&m, |idx| {
                idx.fields().iter().map(|(k, t)| (k.clone(), *t)).collect()
            })
            .unwrap_or_default();
        let fields = page(fields, limit, offset);
        if fields.is_empty() {
            continue;
        }
        let mut s = SeriesOut::new(&m, vec!["fieldKey".into(), "fieldType".into()]);
        s.rows = fields
            .into_iter()
            .map(|(k, t)| vec![Value::Str(k), Value::Str(t.name().into())])
            .collect();
        out.push(s);
    }
    Ok(out)
}

pub fn show_series(
    catalog: &Catalog,
    from: &[Source],
    cond: Option<&Expr>,
    (limit, offset): (usize, usize),
    now: i64,
) -> Result<Vec<SeriesOut>> {
    let mut keys = Vec::new();
    for m in sources(catalog, from)? {
        let ids = series_where(catalog, &m, cond, now)?;
        let mut ks: Vec<String> = ids
            .iter()
            .filter_map(|id| catalog.canonical(id).map(|c| c.to_string()))
            .collect();
        ks.sort();
        keys.extend(ks);
    }
    Ok(single_column("", "key", keys, (limit, offset)))
}

/// `DELETE` / `DROP SERIES` / `DROP MEASUREMENT`: tombstones over the matching series
/// (every time for `DROP`; `DELETE`'s `WHERE time` range otherwise).
pub fn delete(
    engine: &Engine,
    from: &[Source],
    cond: Option<&Expr>,
    drop_series: bool,
    now: i64,
) -> Result<()> {
    let catalog = engine.catalog();
    let range = condition::split(cond, now, &|_| true)?.range;
    if drop_series && (range.has_min || range.has_max) {
        return Err(InfluxqlError::invalid(
            "DROP SERIES doesn't support time in WHERE clause",
        ));
    }
    let start = if range.has_min { range.min } else { MIN_TIME };
    let end = if range.has_max && range.max < MAX_TIME {
        range.max + 1
    } else {
        i64::MAX
    };
    let mut deleted = false;
    for m in sources(catalog, from)? {
        let ids: Vec<u32> = series_where(catalog, &m, cond, now)?.iter().collect();
        if !ids.is_empty() {
            engine.delete(&ids, start.max(strata_engine::MIN_TIMESTAMP), end)?;
            deleted = true;
        }
    }
    if drop_series && deleted {
        // Dropped series leave the index (SHOW SERIES, tag values) at once, as in InfluxDB:
        // compaction applies the tombstones and forgets series without points. The cost is
        // a rewrite of the partitions holding them.
        engine.flush()?;
        engine.compact()?;
    }
    Ok(())
}
