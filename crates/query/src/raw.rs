//! Raw (non-aggregated) output of one series: reads its field columns, aligns them on the
//! union of their timestamps, and applies `order` and `limit`.
//!
//! With `limit`, the read probes windows growing from the end (`desc`) or the start (`asc`)
//! of the range (1/64 of it, then x4 each time) and stops as soon as one holds `limit`
//! rows: a `limit: 1, order: desc` query (the last point) over a long range decodes only the
//! newest data. Outside those probes no value beyond the limit is converted for output.

use strata_engine::{ColumnData, SeriesId};

use crate::align::{align, select, union};
use crate::budget::Budget;
use crate::columns::read_column;
use crate::error::QueryError;
use crate::execute::{Built, Ctx};
use crate::plan::FieldPlan;
use crate::request::Order;
use crate::result::FieldOut;
use crate::time::from_ns;

/// Builds the raw rows of series `id`; `None` if it has no point in range.
pub(crate) fn raw_series(
    ctx: &Ctx<'_>,
    id: SeriesId,
    fields: &[FieldPlan],
    budget: &mut Budget,
) -> Result<Built, QueryError> {
    let cols = match ctx.limit {
        Some(limit) => read_probing(ctx, id, fields, limit)?,
        None => read_range(ctx, id, fields, ctx.start_ns, ctx.end_ns, Some(budget))?,
    };
    let lists: Vec<&[i64]> = cols.iter().map(|(_, c)| c.ts.as_slice()).collect();
    let all = union(&lists);
    let rows = &all[select(all.len(), ctx.limit, ctx.order)];
    if rows.is_empty() {
        return Ok(None);
    }
    budget.take(rows.len())?;
    let desc = ctx.order == Order::Desc;
    let mut timestamps: Vec<i64> = rows.iter().map(|&t| from_ns(t, ctx.precision_ns)).collect();
    if desc {
        timestamps.reverse();
    }
    let mut out = std::collections::BTreeMap::new();
    for (field, col) in &cols {
        let values = col.values.as_ref();
        let (mut column, any) = align(rows, &col.ts, |i| FieldOut::at(values, i));
        if any {
            if desc {
                column.reverse();
            }
            out.insert(field.name.clone(), column);
        }
    }
    Ok(Some((timestamps, out)))
}

type Columns<'f> = Vec<(&'f FieldPlan, ColumnData)>;

/// Every field column of `id` with points in `[lo, hi)`. With a budget (no limit), a column
/// longer than what is left of it fails the query before the other fields are read.
fn read_range<'f>(
    ctx: &Ctx<'_>,
    id: SeriesId,
    fields: &'f [FieldPlan],
    lo: i64,
    hi: i64,
    budget: Option<&Budget>,
) -> Result<Columns<'f>, QueryError> {
    let mut cols = Vec::with_capacity(fields.len());
    for f in fields {
        if let Some(col) = read_column(ctx.snapshot, id, &f.name, f.ty, lo, hi)? {
            if let Some(b) = budget {
                b.check(col.len())?;
            }
            cols.push((f, col));
        }
    }
    Ok(cols)
}

/// Reads growing windows at the `order` end of the range until one holds `limit` rows or the
/// whole range is read. The first (last) `limit` rows of the range are then all inside it.
fn read_probing<'f>(
    ctx: &Ctx<'_>,
    id: SeriesId,
    fields: &'f [FieldPlan],
    limit: usize,
) -> Result<Columns<'f>, QueryError> {
    let (start, end) = (i128::from(ctx.start_ns), i128::from(ctx.end_ns));
    let span = end - start;
    let mut width = (span / 64).max(1);
    loop {
        let (lo, hi) = match ctx.order {
            Order::Desc => ((end - width).max(start), end),
            Order::Asc => (start, (start + width).min(end)),
        };
        let whole = lo == start && hi == end;
        let (lo, hi) = (clamp(lo, ctx.start_ns), clamp(hi, ctx.end_ns));
        let cols = read_range(ctx, id, fields, lo, hi, None)?;
        if whole || rows_at_least(&cols, limit) {
            return Ok(cols);
        }
        width = width.saturating_mul(4);
    }
}

/// `v` as i64 (it always fits: it lies between the range's bounds).
fn clamp(v: i128, fallback: i64) -> i64 {
    i64::try_from(v).unwrap_or(fallback)
}

/// True if the union of the columns' timestamps has at least `n` entries.
fn rows_at_least(cols: &Columns<'_>, n: usize) -> bool {
    if cols.iter().any(|(_, c)| c.len() >= n) {
        return true;
    }
    let lists: Vec<&[i64]> = cols.iter().map(|(_, c)| c.ts.as_slice()).collect();
    union(&lists).len() >= n
}
