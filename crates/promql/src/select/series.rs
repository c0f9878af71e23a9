//! A selector's series: the metrics its `__name__` matchers name (see
//! [`crate::model::metric_name`]), narrowed by its other matchers on each measurement's
//! postings, each with its label set. Sorted by labels, as Prometheus' storage returns them.

use std::sync::Arc;

use promql_parser::label::{MatchOp, Matcher};
use strata_engine::{Catalog, SeriesId, split_canonical};

use crate::error::{PromqlError, Result};
use crate::model::labels::{Labels, METRIC_NAME};
use crate::model::metric_name::resolve;
use crate::select::matchers::match_postings;

/// One series of one metric.
#[derive(Debug, Clone)]
pub struct SelectedSeries {
    pub id: SeriesId,
    /// The field holding the metric's samples.
    pub field: Arc<str>,
    pub labels: Labels,
}

/// The matchers of a selector, the metric name (if written before the braces) as an
/// equality matcher among them. Rejects Prometheus 3's `or` inside braces.
pub fn selector_matchers(
    name: Option<&str>,
    matchers: &promql_parser::label::Matchers,
) -> Result<Vec<Matcher>> {
    if !matchers.or_matchers.is_empty() {
        return Err(PromqlError::bad(
            "'or' inside a selector's braces is not supported (Prometheus 2.x syntax)",
        ));
    }
    let mut all = Vec::with_capacity(matchers.matchers.len() + 1);
    if let Some(n) = name {
        all.push(Matcher::new(MatchOp::Equal, METRIC_NAME, n));
    }
    all.extend(matchers.matchers.iter().cloned());
    Ok(all)
}

/// Every series matching all `matchers`.
pub fn select_series(catalog: &Catalog, matchers: &[Matcher]) -> Vec<SelectedSeries> {
    let (name, labels): (Vec<&Matcher>, Vec<&Matcher>) =
        matchers.iter().partition(|m| m.name == METRIC_NAME);
    let mut out = Vec::new();
    for source in resolve(catalog, &name) {
        let Some(ids) =
            catalog.with_measurement(&source.measurement, |m| match_postings(m, &labels))
        else {
            continue;
        };
        let field: Arc<str> = source.field.as_str().into();
        for (id, canonical) in catalog.canonicals(ids) {
            let Some((_, tags)) = split_canonical(&canonical) else {
                continue;
            };
            let pairs = tags
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .chain(std::iter::once((
                    METRIC_NAME.to_string(),
                    source.name.clone(),
                )));
            out.push(SelectedSeries {
                id,
                field: field.clone(),
                labels: Labels::from_pairs(pairs),
            });
        }
    }
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    out
}
