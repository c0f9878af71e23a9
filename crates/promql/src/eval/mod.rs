//! The evaluator: an expression over a query's steps, with Prometheus 2.42's semantics.
//!
//! - An instant selector at step `t` takes each series' latest sample in `[t - lookback, t]`
//!   (after `offset` and `@`), unless that sample is a staleness marker.
//! - A range selector's window at `t` is the closed `[t - range, t]`, staleness markers left
//!   out. Functions over range vectors read windows straight from the loaded samples.
//! - A subquery is evaluated once, at the step-aligned times `k * step` inside
//!   `[start - offset - range, end - offset]`, and read as a range vector.
//! - `@ start()` and `@ end()` are the query's start and end; a time after `@` fixes the
//!   selector's reference time for every step.
//!
//! Every selector's series are found on the postings (see [`crate::select`]); samples are
//! loaded once per series for all steps.

mod aggregate;
mod binary;
mod functions;
mod range;
pub mod value;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use promql_parser::parser::{AtModifier, Expr, Offset, VectorSelector};
use strata_engine::Snapshot;

use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;
use crate::options::PromqlOptions;
use crate::select::samples::{Sample, is_stale, load_into};
use crate::select::series::{select_series, selector_matchers};
use value::{Series, Steps, Value};

/// Selectors of more series than this read around the block cache.
const BULK_SERIES: usize = 1000;

/// Selectors are read and folded on several threads once each thread gets this many series.
const PARALLEL_PART: usize = 256;

/// One query's evaluation state.
pub struct Evaluator<'a> {
    snapshot: &'a Snapshot,
    /// The same snapshot, reading without filling the block cache: for selectors of more
    /// than [`BULK_SERIES`] series, whose blocks would only evict the hot ones.
    bulk: Snapshot,
    options: &'a PromqlOptions,
    /// The query's own start and end (what `@ start()` and `@ end()` mean), in ns.
    query_start: i64,
    query_end: i64,
    deadline: Instant,
    /// Samples loaded so far, against [`PromqlOptions::max_samples`].
    samples: AtomicUsize,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        snapshot: &'a Snapshot,
        options: &'a PromqlOptions,
        query: Steps,
        deadline: Instant,
    ) -> Self {
        Evaluator {
            snapshot,
            bulk: snapshot.clone().without_cache_fill(),
            options,
            query_start: query.start,
            query_end: query.end(),
            deadline,
            samples: AtomicUsize::new(0),
        }
    }

    /// `expr` at every step of `steps`.
    pub fn eval(&self, expr: &Expr, steps: &Steps) -> Result<Value> {
        self.check_deadline()?;
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(vec![n.val; steps.count])),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, steps),
            Expr::Unary(u) => match self.eval(&u.expr, steps)? {
                Value::Scalar(v) => Ok(Value::Scalar(v.into_iter().map(|x| -x).collect())),
                Value::Vector(series) => {
                    let negated = series
                        .into_iter()
                        .map(|s| Series {
                            labels: s.labels.without_name(),
                            points: s.points.into_iter().map(|(k, v)| (k, -v)).collect(),
                        })
                        .collect();
                    Ok(Value::Vector(value::merge_same_labels(negated)?))
                }
                other => Err(PromqlError::exec(format!(
                    "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                    other.type_name()
                ))),
            },
            Expr::VectorSelector(vs) => Ok(Value::Vector(self.vector_selector(vs, steps)?)),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => {
                let input = self.range_input(expr, steps)?;
                Ok(Value::Matrix(input.at_single_step(self, steps)?))
            }
            Expr::Aggregate(a) => self.aggregate(a, steps),
            Expr::Binary(b) => self.binary(b, steps),
            Expr::Call(c) => self.call(c, steps),
            Expr::Extension(_) => Err(PromqlError::bad("extension expressions are not supported")),
        }
    }

    fn check_deadline(&self) -> Result<()> {
        if Instant::now() > self.deadline {
            return Err(PromqlError::Timeout(
                "query timed out in expression evaluation".into(),
            ));
        }
        Ok(())
    }

    /// Counts `n` more samples kept (results), failing past the limit as Prometheus does.
    fn hold(&self, n: usize) -> Result<()> {
        self.samples.fetch_add(n, Ordering::Relaxed);
        self.check_held(0)
    }

    /// Fails if the samples kept plus `loading` more (one series' range, about to be
    /// released) pass the limit.
    fn check_held(&self, loading: usize) -> Result<()> {
        if self.samples.load(Ordering::Relaxed).saturating_add(loading) > self.options.max_samples {
            return Err(PromqlError::exec(
                "query processing would load too many samples into memory in query execution",
            ));
        }
        Ok(())
    }

    /// One value per group and step, made by `init`, counted against the sample limit (a
    /// `sum by (host)` over many hosts and steps holds that many partial results).
    fn dense<T: Clone>(
        &self,
        groups: usize,
        steps: &Steps,
        init: impl Fn() -> T,
    ) -> Result<Vec<Vec<T>>> {
        self.check_held(groups.saturating_mul(steps.count))?;
        Ok(vec![vec![init(); steps.count]; groups])
    }

    /// The reference time of step `t` for a selector with this `@` and offset (ns).
    fn reference(&self, t: i64, at: Option<i64>, offset: i64) -> i64 {
        at.unwrap_or(t).saturating_sub(offset)
    }

    /// The fixed time an `@` modifier names, in ns.
    fn at_time(&self, at: Option<&AtModifier>) -> Option<i64> {
        match at? {
            AtModifier::Start => Some(self.query_start),
            AtModifier::End => Some(self.query_end),
            AtModifier::At(t) => Some(system_time_ns(*t)),
        }
    }

    /// The selector's series, within the series limit.
    fn select(&self, vs: &VectorSelector) -> Result<Vec<crate::select::series::SelectedSeries>> {
        let matchers = selector_matchers(vs.name.as_deref(), &vs.matchers)?;
        let selected = select_series(self.snapshot.catalog(), &matchers);
        if selected.len() > self.options.max_series {
            return Err(PromqlError::exec(format!(
                "the selector {} matches {} series, over the limit of {} (query_max_series)",
                Expr::VectorSelector(vs.clone()),
                selected.len(),
                self.options.max_series
            )));
        }
        Ok(selected)
    }

    /// The snapshot to read `n` selected series from: large selections read around the
    /// block cache.
    fn snapshot_for(&self, n: usize) -> &Snapshot {
        if n > BULK_SERIES {
            &self.bulk
        } else {
            self.snapshot
        }
    }

    /// Reads `part` one series at a time (one reused sample buffer, so memory holds one
    /// series' range at most) and calls `f` with each series' labels and samples in
    /// `[mint, maxt]`; series without samples there are skipped.
    fn read_series(
        &self,
        snapshot: &Snapshot,
        part: &[crate::select::series::SelectedSeries],
        (mint, maxt): (i64, i64),
        mut f: impl FnMut(&Labels, &[Sample]) -> Result<()>,
    ) -> Result<()> {
        let mut samples = Vec::new();
        for s in part {
            self.check_deadline()?;
            samples.clear();
            load_into(snapshot, s.id, &s.field, mint, maxt, &mut samples)?;
            self.check_held(samples.len())?;
            if !samples.is_empty() {
                f(&s.labels, &samples)?;
            }
        }
        Ok(())
    }

    /// Calls `f` with each selected series' labels and samples in `[mint, maxt]`, in order,
    /// on this thread.
    fn for_each_series(
        &self,
        vs: &VectorSelector,
        mint: i64,
        maxt: i64,
        f: impl FnMut(&Labels, &[Sample]) -> Result<()>,
    ) -> Result<()> {
        let selected = self.select(vs)?;
        self.read_series(
            self.snapshot_for(selected.len()),
            &selected,
            (mint, maxt),
            f,
        )
    }

    /// `f` over each selected series' labels and samples in `[mint, maxt]`, the results in
    /// the series' order. Large selections are split across the machine's cores, each thread
    /// reading its share with its own buffer.
    fn map_series(
        &self,
        vs: &VectorSelector,
        mint: i64,
        maxt: i64,
        f: impl Fn(&Labels, &[Sample]) -> Result<Option<Series>> + Sync,
    ) -> Result<Vec<Series>> {
        let selected = self.select(vs)?;
        let snapshot = self.snapshot_for(selected.len());
        let run = |part: &[crate::select::series::SelectedSeries]| -> Result<Vec<Series>> {
            let mut out = Vec::new();
            self.read_series(snapshot, part, (mint, maxt), |labels, samples| {
                out.extend(f(labels, samples)?);
                Ok(())
            })?;
            Ok(out)
        };
        let parts = strata_engine::in_parts(
            selected.len(),
            PARALLEL_PART,
            || PromqlError::exec("an evaluation thread failed"),
            |r| run(selected.get(r).unwrap_or_default()),
        )?;
        Ok(parts.into_iter().flatten().collect())
    }

    fn vector_selector(&self, vs: &VectorSelector, steps: &Steps) -> Result<Vec<Series>> {
        let at = self.at_time(vs.at.as_ref());
        let offset = offset_ns(vs.offset.as_ref());
        let lookback = duration_ns(self.options.lookback_delta);
        let first = self.reference(steps.start, at, offset);
        let last = self.reference(steps.end(), at, offset);
        self.map_series(
            vs,
            first.saturating_sub(lookback),
            last,
            |labels, samples| {
                let points =
                    instant_points(samples, steps, |t| self.reference(t, at, offset), lookback);
                if points.is_empty() {
                    return Ok(None);
                }
                self.hold(points.len())?;
                Ok(Some(Series {
                    labels: labels.clone(),
                    points,
                }))
            },
        )
    }
}

/// The value of an instant selector over `samples` at each step: the latest sample at or
/// before the reference time, no older than `lookback`, not a staleness marker.
fn instant_points(
    samples: &[Sample],
    steps: &Steps,
    reference: impl Fn(i64) -> i64,
    lookback: i64,
) -> Vec<(u32, f64)> {
    let mut points = Vec::new();
    let mut j = 0;
    for k in 0..steps.count {
        let r = reference(steps.at(k));
        if j > 0 && samples[j - 1].t > r {
            // Reference times only go back with a fixed `@`, which is the same every step.
            j = samples.partition_point(|s| s.t <= r);
        }
        while j < samples.len() && samples[j].t <= r {
            j += 1;
        }
        if j == 0 {
            continue;
        }
        let s = samples[j - 1];
        if s.t >= r.saturating_sub(lookback) && !is_stale(s.v) {
            points.push((k as u32, s.v));
        }
    }
    points
}

/// A duration in ns, saturating.
pub(crate) fn duration_ns(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// An offset in ns (negative for `offset -5m`).
pub(crate) fn offset_ns(o: Option<&Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ns(*d),
        Some(Offset::Neg(d)) => duration_ns(*d).saturating_neg(),
    }
}

/// A `SystemTime` in ns since the epoch (negative before it), saturating.
pub(crate) fn system_time_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => duration_ns(d),
        Err(e) => duration_ns(e.duration()).saturating_neg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_is_closed_and_stale_markers_end_a_series() {
        let stale = f64::from_bits(crate::select::samples::STALE_NAN_BITS);
        let samples = [
            Sample { t: 10, v: 1.0 },
            Sample { t: 20, v: 2.0 },
            Sample { t: 30, v: stale },
        ];
        let steps = Steps {
            start: 0,
            step: 5,
            count: 10,
        };
        let got = instant_points(&samples, &steps, |t| t, 10);
        // t=10,15,20 -> 1,1,2; 25 -> 2; 30, 35, 40: the stale marker; 45: nothing in [35, 45].
        assert_eq!(got, vec![(2, 1.0), (3, 1.0), (4, 2.0), (5, 2.0)]);
        let fixed = instant_points(&samples, &steps, |_| 20, 10);
        assert_eq!(fixed.len(), 10);
    }
}
