//! Aggregated output of one output series (a series, or a `group_by` group): for each field,
//! every member series' column is streamed in turn (a chunk of decoded points at a time),
//! bucketed into per-window states and merged into the group's windows, so only one block
//! of points and the windows are held at a time. The rows are the windows
//! where any field has data; `order` and `limit` apply to them (trimming per column early).

use strata_engine::SeriesId;

use crate::aggregate::State;
use crate::align::lay_out;
use crate::budget::Budget;
use crate::error::QueryError;
use crate::execute::{Built, Ctx};
use crate::plan::FieldPlan;
use crate::request::Aggregate;
use crate::result::FieldOut;
use crate::rollups::rollup_windows;
use crate::window::{Windowing, Windows, keep, merge_windows};

type FieldWindows<'f> = (&'f str, Vec<i64>, Vec<Option<FieldOut>>);

/// Builds the aggregated rows of the series `members` (in tag order); `None` if none of them
/// has a point in range.
pub(crate) fn aggregate_group(
    ctx: &Ctx<'_>,
    members: &[SeriesId],
    fields: &[FieldPlan],
    agg: &Aggregate,
    windowing: &Windowing,
    budget: &mut Budget,
) -> Result<Built, QueryError> {
    // (field, window starts, finished values)
    let mut per_field: Vec<FieldWindows<'_>> = Vec::with_capacity(fields.len());
    // With value filters: each member's passing times, found once for every field.
    let passing: Vec<Option<Vec<i64>>> = members
        .iter()
        .map(|&id| ctx.passing(id))
        .collect::<Result<_, _>>()?;
    for f in fields {
        let Some(empty) = State::new(agg.function, f.ty, agg.q.unwrap_or(0.5)) else {
            continue;
        };
        let mut acc: Windows = Vec::new();
        for (&id, passing) in members.iter().zip(&passing) {
            // The raw points stream in a chunk at a time, straight into the windows.
            let mut windows: Windows = Vec::new();
            let mut scan = ctx.snapshot.scan(id, &f.name, ctx.start_ns, ctx.end_ns)?;
            while let Some(chunk) = scan.next_chunk()? {
                if chunk.value_type() != f.ty {
                    continue;
                }
                match passing {
                    None => windowing.bucket_into(&mut windows, chunk.ts(), chunk.values(), &empty),
                    Some(p) => {
                        let mut owned = strata_engine::ColumnData::new(f.ty);
                        chunk.append_to(&mut owned);
                        let kept = crate::value_filter::retain(&owned.ts, &owned.values, p);
                        windowing.bucket_into(&mut windows, &kept.ts, kept.values.as_ref(), &empty);
                    }
                }
            }
            // Rollups hold no row values to filter on: filtered aggregates read raw points.
            let rolled = if passing.is_some() {
                Vec::new()
            } else {
                rollup_windows(ctx, id, &f.name, agg.function, windowing, &empty)?
            };
            if windows.is_empty() && rolled.is_empty() {
                continue;
            }
            windows = merge_windows(windows, rolled);
            keep(&mut windows, ctx.limit, ctx.order);
            acc = merge_windows(acc, windows);
            keep(&mut acc, ctx.limit, ctx.order);
            // Every window of one field is a row of the result (limit is applied already).
            budget.check(acc.len())?;
        }
        if !acc.is_empty() {
            let (starts, values) = acc.into_iter().map(|(w, s)| (w, s.finish())).unzip();
            per_field.push((&f.name, starts, values));
        }
    }
    let mut values: Vec<Vec<Option<FieldOut>>> = per_field
        .iter_mut()
        .map(|(_, _, v)| std::mem::take(v))
        .collect();
    let names: Vec<&str> = per_field.iter().map(|(name, _, _)| *name).collect();
    let keys: Vec<&[i64]> = per_field.iter().map(|(_, w, _)| w.as_slice()).collect();
    lay_out(
        &names,
        &keys,
        (ctx.limit, ctx.order),
        budget,
        |w| windowing.stamp(w),
        |f, i| values.get_mut(f)?.get_mut(i)?.take(),
    )
}
