//! Range vectors: a range selector's or a subquery's samples, read as one window per step.
//! The window at step `t` is the closed `[r - range, r]` with `r = (@ or t) - offset`.

use promql_parser::parser::Expr;
use promql_parser::parser::value::ValueType;

use super::value::{RangeSeries, Steps, Value};
use super::{Evaluator, duration_ns, offset_ns};
use crate::error::{PromqlError, Result};
use crate::select::samples::{Sample, is_stale};

/// A range vector's series and how each step's window is cut from them.
pub struct RangeInput {
    pub series: Vec<RangeSeries>,
    pub range: i64,
    offset: i64,
    at: Option<i64>,
}

impl RangeInput {
    /// The end of the window at step time `t`.
    pub fn window_end(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }

    /// Whether the windows are the same at every step (`@`).
    pub fn has_at(&self) -> bool {
        self.at.is_some()
    }

    /// For each step, the index range of `samples` inside its window.
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
    pub fn at_single_step(self, steps: &Steps) -> Vec<RangeSeries> {
        let end = self.window_end(steps.start);
        let start = end.saturating_sub(self.range);
        self.series
            .into_iter()
            .filter_map(|mut s| {
                s.samples.retain(|x| x.t >= start && x.t <= end);
                (!s.samples.is_empty()).then_some(s)
            })
            .collect()
    }
}

impl Evaluator<'_> {
    /// The range vector `expr` (a range selector or a subquery, maybe in parentheses) for
    /// the windows of every step.
    pub(super) fn range_input(&self, expr: &Expr, steps: &Steps) -> Result<RangeInput> {
        match expr {
            Expr::Paren(p) => self.range_input(&p.expr, steps),
            Expr::MatrixSelector(ms) => {
                let at = self.at_time(ms.vs.at.as_ref());
                let offset = offset_ns(ms.vs.offset.as_ref());
                let range = duration_ns(ms.range);
                let first = self.reference(steps.start, at, offset);
                let last = self.reference(steps.end(), at, offset);
                let mut series = self.load(&ms.vs, first.saturating_sub(range), last)?;
                for s in &mut series {
                    s.samples.retain(|x| !is_stale(x.v));
                }
                series.retain(|s| !s.samples.is_empty());
                Ok(RangeInput {
                    series,
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
                    ((last - start) / step) as usize + 1
                };
                let inner = Steps { start, step, count };
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
                    series,
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
    use crate::model::labels::Labels;

    #[test]
    fn windows_are_closed_at_both_ends() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| Sample {
                t: i * 10,
                v: i as f64,
            })
            .collect();
        let input = RangeInput {
            series: vec![RangeSeries {
                labels: Labels::default(),
                samples: samples.clone(),
            }],
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
