//! Aggregates straight from the decoded columns: when every column of a query is `count`,
//! `min` or `max` of a field, with `GROUP BY time(..)`, a lower time bound and no row
//! condition, each series' column is folded chunk by chunk (as the engine decodes it) into
//! per-bucket accumulators, without staging rows as values or merging the series in time
//! order. These aggregates do not depend on the order points arrive in, so the answers are
//! the row path's ([`super::aggregate`]), which handles everything else. Groups of four or
//! more series are folded on two threads, like the row path reads them.

use std::sync::atomic::AtomicUsize;

use strata_engine::{ColumnRef, Snapshot, ValueType, in_parts};

use super::aggregate::{buckets, dense_table};
use super::output::Column;
use super::rows::{Group, PARALLEL_PART, charge, read_failed};
use super::select::Limits;
use crate::error::Result;
use crate::parse::ast::{Cast, Expr, Select};
use crate::plan::condition::{Condition, MAX_TIME, TimeRange};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Count,
    Min,
    Max,
}

/// One output column: its aggregate and the index of its field in the fields read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    agg: Agg,
    field: usize,
}

/// The plan for `cols` when the fast path applies; `None` sends the query down the row path.
pub(super) fn plan(
    sel: &Select,
    cols: &[Column],
    fields: &[String],
    field_type: impl Fn(&str) -> Option<ValueType>,
    cond: &Condition,
) -> Option<Vec<Plan>> {
    if cond.rows.is_some() || sel.group_by.interval.is_none() || !cond.range.has_min {
        return None;
    }
    cols.iter()
        .map(|c| {
            let Expr::Call { name, args } = c.expr.unparen() else {
                return None;
            };
            let agg = match name.as_str() {
                "count" => Agg::Count,
                "min" => Agg::Min,
                "max" => Agg::Max,
                _ => return None,
            };
            let [arg] = args.as_slice() else {
                return None;
            };
            let Expr::Var { name: f, cast } = arg.unparen() else {
                return None;
            };
            if *cast == Some(Cast::Tag) {
                return None;
            }
            let numeric = matches!(
                field_type(f)?,
                ValueType::Float | ValueType::Integer | ValueType::Unsigned
            );
            // min/max of strings and booleans is an error the row path words.
            if agg != Agg::Count && !numeric {
                return None;
            }
            let field = fields.iter().position(|x| x == f)?;
            Some(Plan { agg, field })
        })
        .collect()
}

/// A bucket's best value so far (min/max): as compared, and in its own type.
type Best = Option<(f64, Value)>;

/// Per column, per bucket: the count and the best value so far (min/max).
struct Acc {
    count: Vec<Vec<u64>>,
    best: Vec<Vec<Best>>,
}

impl Acc {
    fn new(columns: usize, buckets: usize) -> Acc {
        Acc {
            count: vec![vec![0; buckets]; columns],
            best: vec![vec![None; buckets]; columns],
        }
    }

    /// Adds `later` (the folds of later series: on ties the earlier series' value stays).
    fn merge(&mut self, later: Acc, plans: &[Plan]) {
        for (c, p) in plans.iter().enumerate() {
            for (a, b) in self.count[c].iter_mut().zip(&later.count[c]) {
                *a += b;
            }
            for (a, b) in self.best[c].iter_mut().zip(later.best[c].iter().cloned()) {
                if let Some((x, v)) = b {
                    if better(p.agg, x, a.as_ref().map(|(y, _)| *y)) {
                        *a = Some((x, v));
                    }
                }
            }
        }
    }
}

fn better(agg: Agg, x: f64, best: Option<f64>) -> bool {
    match best {
        None => true,
        Some(b) if agg == Agg::Max => x > b,
        Some(b) => x < b,
    }
}

/// The rows of one group, as the row path would give them; `None` when the group has no
/// point in the range.
pub(super) fn aggregate_group(
    snapshot: &Snapshot,
    sel: &Select,
    plans: &[Plan],
    fields: &[String],
    g: &Group,
    range: TimeRange,
    (limits, budget): (Limits, &AtomicUsize),
) -> Result<Option<Vec<Vec<Value>>>> {
    let starts = buckets(sel, range.min, range.max, limits)?;
    let end = if range.max >= MAX_TIME {
        i64::MAX
    } else {
        range.max + 1
    };
    let every = sel.group_by.interval.map_or(1, |(e, _)| e.max(1));
    let base = starts.first().copied().unwrap_or(range.min);
    let geometry = Geometry {
        base,
        every,
        buckets: starts.len(),
        min: range.min,
        end,
    };
    let acc = in_parts(g.ids.len(), PARALLEL_PART, read_failed, |series| {
        fold(snapshot, g, series, plans, fields, &geometry, budget)
    })?
    .into_iter()
    .reduce(|mut acc, later| {
        acc.merge(later, plans);
        acc
    })
    .ok_or_else(read_failed)?;
    let empty: Vec<bool> = (0..starts.len())
        .map(|b| acc.count.iter().all(|c| c.get(b).is_none_or(|n| *n == 0)))
        .collect();
    if empty.iter().all(|e| *e) {
        return Ok(None);
    }
    let mut dense: Vec<Vec<(Value, Option<i64>)>> = plans
        .iter()
        .enumerate()
        .map(|(c, p)| match p.agg {
            Agg::Count => acc.count[c]
                .iter()
                .map(|n| (Value::Int(*n as i64), None))
                .collect(),
            Agg::Min | Agg::Max => acc.best[c]
                .iter()
                .map(|b| (b.as_ref().map_or(Value::Null, |(_, v)| v.clone()), None))
                .collect(),
        })
        .collect();
    Ok(Some(dense_table(
        sel,
        &mut dense,
        &empty,
        &starts,
        false,
        &[],
    )))
}

/// Where points fall: bucket `(t - base) / every` of `buckets`, for `min <= t < end`.
struct Geometry {
    base: i64,
    every: i64,
    buckets: usize,
    min: i64,
    end: i64,
}

impl Geometry {
    fn bucket(&self, t: i64) -> Option<usize> {
        let b = (i128::from(t) - i128::from(self.base)).div_euclid(i128::from(self.every));
        usize::try_from(b).ok().filter(|b| *b < self.buckets)
    }
}

/// Folds the columns of `g`'s series `series` into accumulators.
fn fold(
    snapshot: &Snapshot,
    g: &Group,
    series: std::ops::Range<usize>,
    plans: &[Plan],
    fields: &[String],
    geo: &Geometry,
    budget: &AtomicUsize,
) -> Result<Acc> {
    let mut acc = Acc::new(plans.len(), geo.buckets);
    for si in series {
        let Some(id) = g.ids.get(si) else { continue };
        // Points read per field of this series (the budget counts a series' rows).
        let mut read = vec![0usize; fields.len()];
        for (c, p) in plans.iter().enumerate() {
            let Some(name) = fields.get(p.field) else {
                continue;
            };
            let mut scan = snapshot.scan(*id, name, geo.min, geo.end)?;
            let (count, best) = (&mut acc.count[c], &mut acc.best[c]);
            let mut points = 0;
            while let Some(chunk) = scan.next_chunk()? {
                points += chunk.len();
                let ts = chunk.ts();
                match (p.agg, chunk.values()) {
                    (Agg::Count, _) => {
                        for &t in ts {
                            if let Some(b) = geo.bucket(t) {
                                count[b] += 1;
                            }
                        }
                    }
                    (agg, ColumnRef::Float(v)) => {
                        fold_best(agg, geo, (ts, v), (count, best), |x| x, Value::Float)
                    }
                    (agg, ColumnRef::Integer(v)) => {
                        fold_best(agg, geo, (ts, v), (count, best), |x| x as f64, Value::Int)
                    }
                    (agg, ColumnRef::Unsigned(v)) => {
                        fold_best(agg, geo, (ts, v), (count, best), |x| x as f64, Value::Uint)
                    }
                    // Ruled out by the plan (numeric fields only).
                    (_, ColumnRef::Boolean(_) | ColumnRef::String(_)) => {}
                }
            }
            if let Some(r) = read.get_mut(p.field) {
                *r = (*r).max(points);
            }
        }
        charge(budget, read.into_iter().max().unwrap_or(0))?;
    }
    Ok(acc)
}

/// Folds one chunk of a numeric column into the min/max accumulators (the value compared
/// as `f64`, as the row path does, and kept in its own type).
fn fold_best<T: Copy>(
    agg: Agg,
    geo: &Geometry,
    (ts, values): (&[i64], &[T]),
    (count, best): (&mut [u64], &mut [Best]),
    as_f64: impl Fn(T) -> f64,
    as_value: impl Fn(T) -> Value,
) {
    for (&t, &v) in ts.iter().zip(values) {
        let Some(b) = geo.bucket(t) else { continue };
        let (Some(n), Some(slot)) = (count.get_mut(b), best.get_mut(b)) else {
            continue;
        };
        *n += 1;
        let x = as_f64(v);
        if better(agg, x, slot.as_ref().map(|(y, _)| *y)) {
            *slot = Some((x, as_value(v)));
        }
    }
}
