//! The metadata endpoints' answers: series matching selectors, label names and values, and
//! the cardinality report of `/api/v1/status/tsdb`. The series index is not bounded by time:
//! every series the catalog holds is considered (the API's `start`/`end` are accepted and not
//! used to narrow the answer).

use std::collections::BTreeSet;

use promql_parser::parser::Expr;
use strata_engine::Catalog;

use crate::error::{PromqlError, Result};
use crate::model::labels::{Labels, METRIC_NAME};
use crate::query::parse;
use crate::select::series::{SelectedSeries, select_series, selector_matchers};

/// The series of every selector in `matches` (union, deduplicated, sorted by labels). An
/// empty list selects every series.
pub fn series(catalog: &Catalog, matches: &[String]) -> Result<Vec<Labels>> {
    let mut out = BTreeSet::new();
    for s in selected(catalog, matches)? {
        out.insert(s.labels);
    }
    Ok(out.into_iter().collect())
}

fn selected(catalog: &Catalog, matches: &[String]) -> Result<Vec<SelectedSeries>> {
    if matches.is_empty() {
        // No matcher at all: every metric, every series.
        return Ok(select_series(catalog, &[]));
    }
    let mut out = Vec::new();
    for m in matches {
        let expr = parse(m)?;
        let Expr::VectorSelector(vs) = expr else {
            return Err(PromqlError::bad(format!(
                "invalid parameter \"match[]\": {m:?} is not a series selector"
            )));
        };
        let matchers = selector_matchers(vs.name.as_deref(), &vs.matchers)?;
        out.extend(select_series(catalog, &matchers));
    }
    Ok(out)
}

/// Label names of the matching series (all series without `matches`), sorted.
pub fn label_names(catalog: &Catalog, matches: &[String]) -> Result<Vec<String>> {
    let mut names = BTreeSet::new();
    for s in selected(catalog, matches)? {
        for (k, _) in s.labels.iter() {
            if !names.contains(k) {
                names.insert(k.to_string());
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// Values of label `name` over the matching series (all without `matches`), sorted.
pub fn label_values(catalog: &Catalog, name: &str, matches: &[String]) -> Result<Vec<String>> {
    let mut values = BTreeSet::new();
    for s in selected(catalog, matches)? {
        let v = s.labels.get(name);
        if !v.is_empty() && !values.contains(v) {
            values.insert(v.to_string());
        }
    }
    Ok(values.into_iter().collect())
}

/// The cardinality report: series count, and the top `limit` metric names, label names (by
/// series count... as Prometheus: by number of values and by memory are not kept) and label
/// pairs by series count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cardinality {
    pub num_series: usize,
    pub by_metric: Vec<(String, usize)>,
    pub by_label_pair: Vec<(String, usize)>,
    pub label_value_counts: Vec<(String, usize)>,
}

/// [`Cardinality`] of every series.
pub fn cardinality(catalog: &Catalog, limit: usize) -> Result<Cardinality> {
    let all = selected(catalog, &[])?;
    let mut metrics: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
    let mut pairs: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
    let mut values: hashbrown::HashMap<String, BTreeSet<String>> = hashbrown::HashMap::new();
    for s in &all {
        *metrics
            .entry(s.labels.get(METRIC_NAME).to_string())
            .or_default() += 1;
        for (k, v) in s.labels.iter() {
            *pairs.entry(format!("{k}={v}")).or_default() += 1;
            values
                .entry(k.to_string())
                .or_default()
                .insert(v.to_string());
        }
    }
    let top = |m: hashbrown::HashMap<String, usize>| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    };
    Ok(Cardinality {
        num_series: all.len(),
        by_metric: top(metrics),
        by_label_pair: top(pairs),
        label_value_counts: top(values.into_iter().map(|(k, v)| (k, v.len())).collect()),
    })
}
