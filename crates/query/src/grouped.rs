//! Aggregated output of one output series (a series, or a `group_by` group): each member
//! series is looked up once for all the fields, then every field's column is streamed in
//! turn (a chunk of decoded points at a time), bucketed into per-window states and merged
//! into the group's windows, so only one block of points and the windows are held at a time.
//! A group of many members is folded on several threads, each over a consecutive share of
//! the members, and the shares' windows are merged in member order. The rows are the windows
//! where any field has data; `order` and `limit` apply to them (trimming per column early).

use std::ops::Range;

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

/// A group's members are folded on several threads once each thread gets this many.
const PARALLEL_PART: usize = 64;

type FieldWindows<'f> = (&'f str, Vec<i64>, Vec<Option<FieldOut>>);

/// What the members of one group are folded with: the fields the aggregate applies to (with
/// their empty states) and the request.
struct Fold<'a> {
    ctx: &'a Ctx<'a>,
    fields: Vec<(&'a FieldPlan, State)>,
    names: Vec<&'a str>,
    agg: &'a Aggregate,
    windowing: &'a Windowing,
    budget: &'a Budget,
}

/// Builds the aggregated rows of the series `members` (in tag order); `None` if none of them
/// has a point in range. `split`: the members may be folded on several threads.
pub(crate) fn aggregate_group(
    ctx: &Ctx<'_>,
    members: &[SeriesId],
    fields: &[FieldPlan],
    agg: &Aggregate,
    windowing: &Windowing,
    budget: &Budget,
    split: bool,
) -> Result<Built, QueryError> {
    let fields: Vec<(&FieldPlan, State)> = fields
        .iter()
        .filter_map(|f| Some((f, State::new(agg.function, f.ty, agg.q.unwrap_or(0.5))?)))
        .collect();
    let fold = Fold {
        ctx,
        names: fields.iter().map(|(f, _)| f.name.as_str()).collect(),
        fields,
        agg,
        windowing,
        budget,
    };
    let run = |part: Range<usize>| fold.members(members.get(part).unwrap_or_default());
    let accs = if split {
        strata_engine::in_parts(members.len(), PARALLEL_PART, QueryError::thread_failed, run)?
            .into_iter()
            .reduce(|accs, later| {
                accs.into_iter()
                    .zip(later)
                    .map(|(acc, later)| fold.merge(acc, later))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        run(0..members.len())?
    };
    // (field, window starts, finished values)
    let mut per_field: Vec<FieldWindows<'_>> = Vec::with_capacity(accs.len());
    for ((f, _), acc) in fold.fields.iter().zip(accs) {
        // Every window of one field is a row of the result (limit is applied already).
        budget.check(acc.len())?;
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

impl Fold<'_> {
    /// `later`'s windows merged into `acc`'s, trimmed to the request's limit.
    fn merge(&self, acc: Windows, later: Windows) -> Windows {
        let mut merged = merge_windows(acc, later);
        keep(&mut merged, self.ctx.limit, self.ctx.order);
        merged
    }

    /// The windows of each field (aligned with `self.fields`) over `members`, in order.
    fn members(&self, members: &[SeriesId]) -> Result<Vec<Windows>, QueryError> {
        let ctx = self.ctx;
        let mut accs: Vec<Windows> = self.fields.iter().map(|_| Vec::new()).collect();
        for &id in members {
            // With value filters: the member's passing times, found once for every field.
            let passing = ctx.passing(id)?;
            let scans = ctx
                .snapshot
                .scan_fields(id, &self.names, ctx.start_ns, ctx.end_ns)?;
            for (((f, empty), mut scan), acc) in self.fields.iter().zip(scans).zip(&mut accs) {
                // The raw points stream in a chunk at a time, straight into the windows.
                let mut windows: Windows = Vec::new();
                while let Some(chunk) = scan.next_chunk()? {
                    if chunk.value_type() != f.ty {
                        continue;
                    }
                    match &passing {
                        None => self.windowing.bucket_into(
                            &mut windows,
                            chunk.ts(),
                            chunk.values(),
                            empty,
                        ),
                        Some(p) => {
                            let mut owned = strata_engine::ColumnData::new(f.ty);
                            chunk.append_to(&mut owned);
                            let kept = crate::value_filter::retain(&owned.ts, &owned.values, p);
                            self.windowing.bucket_into(
                                &mut windows,
                                &kept.ts,
                                kept.values.as_ref(),
                                empty,
                            );
                        }
                    }
                }
                // Rollups hold no row values to filter on: filtered aggregates read raw points.
                let rolled = if passing.is_some() {
                    Vec::new()
                } else {
                    rollup_windows(ctx, id, &f.name, self.agg.function, self.windowing, empty)?
                };
                if windows.is_empty() && rolled.is_empty() {
                    continue;
                }
                let windows = self.merge(windows, rolled);
                *acc = self.merge(std::mem::take(acc), windows);
                self.budget.check(acc.len())?;
            }
        }
        Ok(accs)
    }
}
