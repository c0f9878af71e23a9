//! Range vectors: a range selector's or a subquery's samples, read as one window per step.
//! The window at step `t` is the closed `[r - range, r]` with `r = (@ or t) - offset`.
//!
//! A range selector's series are read one at a time ([`RangeInput::for_each`]): a function
//! over `rate(x[5m])` of ten thousand series holds one series' samples at once, not all.

use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Expr, VectorSelector};

use super::value::{RangeSeries, Series, Steps, Value};
use super::{Evaluator, duration_ns, offset_ns};
use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;
use crate::select::samples::{Sample, is_stale};

/// Where a range vector's samples come from.
enum Source<'e> {
    /// Read from storage in `[mint, maxt]`, staleness markers left out.
    Selector {
        vs: &'e VectorSelector,
        mint: i64,
        maxt: i64,
    },
    /// A subquery's evaluated series.
    Evaluated(Vec<RangeSeries>),
}

/// A range vector and how each step's window is cut from it.
pub struct RangeInput<'e> {
    source: Source<'e>,
    pub range: i64,
    offset: i64,
    at: Option<i64>,
}

impl RangeInput<'_> {
    /// The end of the window at step time `t`.
    pub fn window_end(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }

    /// Whether the windows are the same at every step (`@`).
    pub fn has_at(&self) -> bool {
        self.at.is_some()
    }

    /// Calls `f` with each series' labels and samples, one series at a time.
    pub fn for_each(
        &self,
        ev: &Evaluator<'_>,
        mut f: impl FnMut(&Labels, &[Sample]) -> Result<()>,
    ) -> Result<()> {
        match &self.source {
            Source::Selector { vs, mint, maxt } => {
                let mut kept: Vec<Sample> = Vec::new();
                ev.for_each_series(vs, *mint, *maxt, |labels, samples| {
                    kept.clear();
                    kept.extend(samples.iter().filter(|x| !is_stale(x.v)));
                    if kept.is_empty() {
                        return Ok(());
                    }
                    f(labels, &kept)
                })
            }
            Source::Evaluated(series) => {
                for s in series {
                    ev.check_deadline()?;
                    f(&s.labels, &s.samples)?;
                }
                Ok(())
            }
        }
    }

    /// `f` over each series (in parallel for large selections, see
    /// [`Evaluator::map_series`]), the results in the series' order.
    pub fn map(
        &self,
        ev: &Evaluator<'_>,
        f: impl Fn(&Labels, &[Sample]) -> Result<Option<Series>> + Sync,
    ) -> Result<Vec<Series>> {
        match &self.source {
            Source::Selector { vs, mint, maxt } => {
                ev.map_series(vs, *mint, *maxt, |labels, samples| {
                    if !samples.iter().any(|x| is_stale(x.v)) {
                        return f(labels, samples);
                    }
                    let kept: Vec<Sample> =
                        samples.iter().copied().filter(|x| !is_stale(x.v)).collect();
                    if kept.is_empty() {
                        Ok(None)
                    } else {
                        f(labels, &kept)
                    }
                })
            }
            Source::Evaluated(series) => {
                let mut out = Vec::new();
                for s in series {
                    ev.check_deadline()?;
                    if let Some(r) = f(&s.labels, &s.samples)? {
                        out.push(r);
                    }
                }
                Ok(out)
            }
        }
    }

    /// For each step, the samples inside its window.
    pub fn windows<'s>(
        &'s self,
        samples: &'s [Sample],
        steps: &'s Steps,
    ) -> impl Iterator<Item = (usize, &'s [Sample])> + 's {
        let (mut lo, mut hi) = (0usize, 0usize);
        (0..steps.count).map(move |k| {
            let end = self.window_end(steps.at(k));
            let start = end.saturating_sub(self.range);
            if self.at.is_some() || k == 0 {
                lo = samples.partition_point(|s| s.t < start);
                hi = samples.partition_point(|s| s.t <= end);
            } else {
                while lo < samples.len() && samples[lo].t < start {
                    lo += 1;
                }
                hi = hi.max(lo);
                while hi < samples.len() && samples[hi].t <= end {
                    hi += 1;
                }
            }
            (k, &samples[lo..hi])
        })
    }

    /// The range vector itself at the one step of an instant query.
    pub fn at_single_step(&self, ev: &Evaluator<'_>, steps: &Steps) -> Result<Vec<RangeSeries>> {
        let end = self.window_end(steps.start);
        let start = end.saturating_sub(self.range);
        let mut out = Vec::new();
        self.for_each(ev, |labels, samples| {
            let inside: Vec<Sample> = samples
                .iter()
                .copied()
                .filter(|x| x.t >= start && x.t <= end)
                .collect();
            if !inside.is_empty() {
                ev.hold(inside.len())?;
                out.push(RangeSeries {
                    labels: labels.clone(),
                    samples: inside,
                });
            }
            Ok(())
        })?;
        Ok(out)
    }
}

impl Evaluator<'_> {
    /// The range vector `expr` (a range selector or a subquery, maybe in parentheses) for
    /// the windows of every step.
    pub(super) fn range_input<'e>(&self, expr: &'e Expr, steps: &Steps) -> Result<RangeInput<'e>> {
        match expr {
            Expr::Paren(p) => self.range_input(&p.expr, steps),
            Expr::MatrixSelector(ms) => {
                let at = self.at_time(ms.vs.at.as_ref());
                let offset = offset_ns(ms.vs.offset.as_ref());
                let range = duration_ns(ms.range);
                let mint = self
                    .reference(steps.start, at, offset)
                    .saturating_sub(range);
                let maxt = self.reference(steps.end(), at, offset);
                Ok(RangeInput {
                    source: Source::Selector {
                        vs: &ms.vs,
                        mint,
                        maxt,
                    },
                    range,
                    offset,
                    at,
                })
            }
            Expr::Subquery(sq) => {
                if sq.expr.value_type() != ValueType::Vector {
                    return Err(PromqlError::bad(format!(
                        "subquery is only allowed on instant vector, got {} instead",
                        sq.expr.value_type()
                    )));
                }
                let at = self.at_time(sq.at.as_ref());
                let offset = offset_ns(sq.offset.as_ref());
                let range = duration_ns(sq.range);
                let step =
                    duration_ns(sq.step.unwrap_or(self.options.default_subquery_step)).max(1);
                let first = self
                    .reference(steps.start, at, offset)
                    .saturating_sub(range);
                let last = self.reference(steps.end(), at, offset);
                // The first multiple of `step` at or after `first`.
                let start = first.div_euclid(step).saturating_mul(step);
                let start = if start < first {
                    start.saturating_add(step)
                } else {
                    start
                };
                let count = if last < start {
                    0
                } else {
                    (i128::from(last) - i128::from(start)) / i128::from(step) + 1
                };
                if count > i128::from(crate::options::MAX_POINTS_PER_SERIES) * 100 {
                    return Err(PromqlError::exec(format!(
                        "subquery would evaluate at {count} steps: use a larger subquery step"
                    )));
                }
                let inner = Steps {
                    start,
                    step,
                    count: count as usize,
                };
                let series = match self.eval(&sq.expr, &inner)? {
                    Value::Vector(v) => v,
                    other => {
                        return Err(PromqlError::exec(format!(
                            "subquery is only allowed on instant vector, got {}",
                            other.type_name()
                        )));
                    }
                };
                let series = series
                    .into_iter()
                    .map(|s| RangeSeries {
                        labels: s.labels,
                        samples: s
                            .points
                            .iter()
                            .map(|&(k, v)| Sample {
                                t: inner.at(k as usize),
                                v,
                            })
                            .collect(),
                    })
                    .collect();
                Ok(RangeInput {
                    source: Source::Evaluated(series),
                    range,
                    offset,
                    at,
                })
            }
            other => Err(PromqlError::exec(format!(
                "expected range vector, got {}",
                other.value_type()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_closed_at_both_ends() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| Sample {
                t: i * 10,
                v: i as f64,
            })
            .collect();
        let input = RangeInput {
            source: Source::Evaluated(Vec::new()),
            range: 20,
            offset: 0,
            at: None,
        };
        let steps = Steps {
            start: 0,
            step: 30,
            count: 4,
        };
        let got: Vec<Vec<i64>> = input
            .windows(&samples, &steps)
            .map(|(_, w)| w.iter().map(|s| s.t).collect())
            .collect();
        assert_eq!(
            got,
            vec![
                vec![0],
                vec![10, 20, 30],
                vec![40, 50, 60],
                vec![70, 80, 90]
            ]
        );
    }
}
