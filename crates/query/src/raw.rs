//! Raw (non-aggregated) output of one series: reads its field columns, aligns them on the
//! union of their timestamps, and applies `order` and `limit`.
//!
//! Every field of the series is read in one [`Snapshot::read_columns`] call (the series' key
//! and index entries are looked up once per source, and fields the series lacks cost a scan
//! of its few index entries). With `limit`, each field is read limited to its `limit`
//! points nearest the `order` end: the first (last) `limit` rows of the union of the fields'
//! timestamps are all among them, and the engine decodes blocks from that end only, so a
//! `limit: 1, order: desc` query (the last point) decodes one block per source whatever
//! the range. No value beyond the limit is converted for output.
//!
//! [`Snapshot::read_columns`]: strata_engine::Snapshot::read_columns

use strata_engine::Take;
use strata_engine::{ColumnData, SeriesId};

use crate::align::lay_out;
use crate::budget::Budget;
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
    budget: &Budget,
) -> Result<Built, QueryError> {
    let passing = ctx.passing(id)?;
    let take = match ctx.limit {
        // With value filters the last `limit` rows passing may lie anywhere.
        Some(_) if passing.is_some() => Take::All,
        Some(n) => Take::Limit {
            n,
            from_end: ctx.order == Order::Desc,
        },
        None => Take::All,
    };
    let mut cols = read_fields(
        ctx,
        id,
        fields,
        take,
        (ctx.limit.is_none() && passing.is_none()).then_some(budget),
    )?;
    if let Some(p) = &passing {
        for (_, c) in &mut cols {
            *c = crate::value_filter::retain(&c.ts, &c.values, p);
        }
        cols.retain(|(_, c)| !c.is_empty());
    }
    let names: Vec<&str> = cols.iter().map(|(f, _)| f.name.as_str()).collect();
    let keys: Vec<&[i64]> = cols.iter().map(|(_, c)| c.ts.as_slice()).collect();
    lay_out(
        &names,
        &keys,
        (ctx.limit, ctx.order),
        budget,
        |t| from_ns(t, ctx.precision_ns),
        |f, i| {
            cols.get(f)
                .and_then(|(_, c)| FieldOut::at(c.values.as_ref(), i))
        },
    )
}

type Columns<'f> = Vec<(&'f FieldPlan, ColumnData)>;

/// The field columns of `id` in the query's range (per `take`), skipping empty ones and any
/// whose type differs from the catalog's (which write validation rules out). With a budget
/// (no limit), a column longer than what is left of it fails the query.
fn read_fields<'f>(
    ctx: &Ctx<'_>,
    id: SeriesId,
    fields: &'f [FieldPlan],
    take: Take,
    budget: Option<&Budget>,
) -> Result<Columns<'f>, QueryError> {
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let read = ctx
        .snapshot
        .read_columns(id, &names, ctx.start_ns, ctx.end_ns, take)?;
    let mut cols = Vec::with_capacity(fields.len());
    for (f, col) in fields.iter().zip(read) {
        let Some(col) = col.filter(|c| !c.is_empty() && c.value_type() == f.ty) else {
            continue;
        };
        if let Some(b) = budget {
            b.check(col.len())?;
        }
        cols.push((f, col));
    }
    Ok(cols)
}
