//! A group's rows: the series that share the `GROUP BY` tag values, read once per field,
//! each series' columns converted to values once and staged in one flat table (no
//! allocation per row), the series merged in time order (ties by series order) by a k-way
//! heap; groups of four or more series are read on two threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use strata_engine::{SeriesId, Snapshot, Take, in_parts};

use super::eval::{self, RowSource};
use super::functions::Pt;
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{Cast, Expr};
use crate::plan::condition::{Condition, MAX_TIME};
use crate::value::Value;

/// The merged rows of a group, in time order (ties by series order): times, the series of
/// each (index into the group), and the field values, `stride` per row in one flat vector
/// (no allocation per row).
pub(super) struct Rows {
    pub(super) time: Vec<i64>,
    pub(super) series: Vec<u32>,
    pub(super) values: Vec<Value>,
    pub(super) stride: usize,
}

/// A range of [`Rows`].
#[derive(Clone, Copy)]
pub(super) struct RowSlice<'a> {
    rows: &'a Rows,
    from: usize,
    to: usize,
}

/// One row.
#[derive(Clone, Copy)]
pub(super) struct RowRef<'a> {
    pub(super) time: i64,
    pub(super) series: usize,
    pub(super) values: &'a [Value],
}

impl Rows {
    pub(super) fn all(&self) -> RowSlice<'_> {
        RowSlice {
            rows: self,
            from: 0,
            to: self.time.len(),
        }
    }
}

impl<'a> RowSlice<'a> {
    pub(super) fn len(&self) -> usize {
        self.to - self.from
    }

    pub(super) fn is_empty(&self) -> bool {
        self.to == self.from
    }

    pub(super) fn time(&self, i: usize) -> i64 {
        self.rows.time[self.from + i]
    }

    pub(super) fn get(&self, i: usize) -> RowRef<'a> {
        let at = self.from + i;
        let s = self.rows.stride;
        RowRef {
            time: self.rows.time[at],
            series: self.rows.series[at] as usize,
            values: &self.rows.values[at * s..(at + 1) * s],
        }
    }

    pub(super) fn first(&self) -> Option<RowRef<'a>> {
        (!self.is_empty()).then(|| self.get(0))
    }

    pub(super) fn slice(&self, r: std::ops::Range<usize>) -> RowSlice<'a> {
        RowSlice {
            rows: self.rows,
            from: self.from + r.start,
            to: self.from + r.end,
        }
    }

    pub(super) fn iter(self) -> impl Iterator<Item = RowRef<'a>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// A group of series sharing the `GROUP BY` tag values.
pub(super) struct Group {
    pub(super) tags: Vec<(String, String)>,
    /// Each series' tags.
    pub(super) series: Vec<Vec<(String, String)>>,
    pub(super) ids: Vec<SeriesId>,
}

pub(super) struct RowView<'a> {
    pub(super) fields: &'a [String],
    pub(super) values: &'a [Value],
    pub(super) tags: &'a [(String, String)],
}

impl RowSource for RowView<'_> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .position(|f| f == name)
            .and_then(|i| self.values.get(i))
    }

    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The rows of a group's series in `[min, max]` passing the row conditions, merged in time
/// order (ties by series order).
pub(super) fn read_group(
    snapshot: &Snapshot,
    g: &Group,
    fields: &[String],
    cond: &Condition,
    (min, max): (i64, i64),
    take: Take,
    budget: &AtomicUsize,
) -> Result<Rows> {
    let end = if max >= MAX_TIME { i64::MAX } else { max + 1 };
    let stride = fields.len();
    let n = g.ids.len();
    let read = |series| stage(snapshot, g, series, fields, cond, (min, end), take, budget);
    let (mut staged, runs) = in_parts(n, PARALLEL_PART, read_failed, read)?
        .into_iter()
        .reduce(|(mut rows, mut runs), (more, more_runs)| {
            let offset = rows.time.len();
            rows.time.extend(more.time);
            rows.series.extend(more.series);
            rows.values.extend(more.values);
            runs.extend(more_runs.into_iter().map(|(a, b)| (a + offset, b + offset)));
            (rows, runs)
        })
        .ok_or_else(read_failed)?;
    if runs.iter().filter(|(a, b)| b > a).count() <= 1 {
        return Ok(staged);
    }
    // Merge the series' runs by (time, series); an entry carries its run's end.
    type Next = std::cmp::Reverse<(i64, u32, usize, usize)>;
    let mut heap: std::collections::BinaryHeap<Next> = runs
        .iter()
        .filter(|(a, b)| b > a)
        .map(|&(a, b)| std::cmp::Reverse((staged.time[a], staged.series[a], a, b)))
        .collect();
    let n = staged.time.len();
    let mut out = Rows {
        time: Vec::with_capacity(n),
        series: Vec::with_capacity(n),
        values: Vec::with_capacity(n * stride),
        stride,
    };
    while let Some(std::cmp::Reverse((t, si, at, end))) = heap.pop() {
        out.time.push(t);
        out.series.push(si);
        for v in &mut staged.values[at * stride..(at + 1) * stride] {
            out.values.push(std::mem::replace(v, Value::Null));
        }
        if at + 1 < end {
            heap.push(std::cmp::Reverse((
                staged.time[at + 1],
                staged.series[at + 1],
                at + 1,
                end,
            )));
        }
    }
    Ok(out)
}

/// Takes `n` points read from the statement's budget; an error once it is spent.
pub(super) fn charge(budget: &AtomicUsize, n: usize) -> Result<()> {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(n))
        .map(|_| ())
        .map_err(|_| {
            InfluxqlError::TooLarge(
                "the query reads more than the limit of points: narrow the time range or the series"
                    .into(),
            )
        })
}

/// A group's series are read on several threads once each thread gets this many.
pub(super) const PARALLEL_PART: usize = 2;

/// The error of a read thread that panicked.
pub(super) fn read_failed() -> InfluxqlError {
    InfluxqlError::invalid("a read thread failed")
}

/// Reads and stages the series `series` of `g`: their rows one series after the other, each
/// in time order, and each series' run of rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn stage(
    snapshot: &Snapshot,
    g: &Group,
    series: std::ops::Range<usize>,
    fields: &[String],
    cond: &Condition,
    (min, end): (i64, i64),
    take: Take,
    budget: &AtomicUsize,
) -> Result<(Rows, Vec<(usize, usize)>)> {
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let stride = fields.len();
    // Each series' rows, in time order, one after the other.
    let mut staged = Rows {
        time: Vec::new(),
        series: Vec::new(),
        values: Vec::new(),
        stride,
    };
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(g.ids.len());
    for si in series {
        let id = &g.ids[si];
        let cols = snapshot.read_columns(*id, &names, min, end, take)?;
        let present: Vec<&strata_engine::ColumnData> = cols.iter().flatten().collect();
        let times: Vec<i64> = match present.as_slice() {
            [] => Vec::new(),
            [one] => one.ts.clone(),
            // Fields written together share their times (the usual case).
            [first, rest @ ..] if rest.iter().all(|c| c.ts == first.ts) => first.ts.clone(),
            many => {
                let mut t: Vec<i64> = many.iter().flat_map(|c| c.ts.iter().copied()).collect();
                t.sort_unstable();
                t.dedup();
                t
            }
        };
        charge(budget, times.len())?;
        let start = staged.time.len();
        // Values are made row by row from the decoded columns, not by converting whole
        // columns first: a row the condition drops costs a few values on the stack.
        let mut cursor = vec![0usize; cols.len()];
        for t in times {
            let at = staged.values.len();
            for (c, i) in cols.iter().zip(cursor.iter_mut()) {
                staged.values.push(match c {
                    Some(col) if col.ts.get(*i) == Some(&t) => {
                        *i += 1;
                        Value::at(&col.values, *i - 1)
                    }
                    _ => Value::Null,
                });
            }
            if let Some(test) = &cond.rows {
                let view = RowView {
                    fields,
                    values: &staged.values[at..],
                    tags: &g.series[si],
                };
                if !eval::test(test, &view) {
                    staged.values.truncate(at);
                    continue;
                }
            }
            staged.time.push(t);
            staged.series.push(si as u32);
        }
        runs.push((start, staged.time.len()));
    }
    Ok((staged, runs))
}

pub(super) fn view<'a>(fields: &'a [String], g: &'a Group, r: &RowRef<'a>) -> RowView<'a> {
    RowView {
        fields,
        values: r.values,
        tags: &g.series[r.series],
    }
}

/// The non-null values of `e` over the group's rows, in time order.
pub(super) fn points_of(e: &Expr, fields: &[String], g: &Group, rows: RowSlice<'_>) -> Vec<Pt> {
    // A field by itself (the common case): its column, without evaluating an expression.
    if let Expr::Var { name, cast } = e.unparen() {
        if *cast != Some(Cast::Tag) {
            if let Some(i) = fields.iter().position(|f| f == name) {
                return rows
                    .iter()
                    .filter(|r| !r.values[i].is_null())
                    .map(|r| (r.time, r.values[i].clone()))
                    .collect();
            }
        }
    }
    rows.iter()
        .filter_map(|r| {
            let v = eval::eval(e, &view(fields, g, &r));
            (!v.is_null()).then_some((r.time, v))
        })
        .collect()
}
