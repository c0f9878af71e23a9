//! Answering aggregates from rollups (the engine's L2 summaries) where the raw data is gone.
//!
//! For the time ranges whose raw partitions retention dropped ([`Snapshot::rollup_only_ranges`]),
//! an aggregate is answered from the per-window `count`, `sum`, `min`, `max`, `first`, `last`
//! when it can be answered exactly: the function is one of those (or `mean`), the query's
//! `every` is a multiple of a rollup window (the largest such window is used; without `every`
//! any window does), and only rollup windows lying wholly inside `[start, end)` count (a
//! window cut by the range edge cannot be split). `stddev` and `quantile` cannot be rebuilt
//! from these statistics, so they have no data in those ranges. `first`/`last` order by window
//! start, so within one rollup window of a `group_by` the series' tag order breaks ties.
//! Integer sums come back through the rollup's float sum (exact up to 2^53).

use strata_engine::SeriesId;

use crate::aggregate::{State, Sum};
use crate::error::QueryError;
use crate::execute::Ctx;
use crate::request::AggFunction;
use crate::window::{Windowing, Windows};

/// The rollup window width to use for windows of `every_ns` (ns), if any.
fn pick_window(available: &[i64], every_ns: Option<i64>) -> Option<i64> {
    available
        .iter()
        .copied()
        .filter(|&w| w > 0 && every_ns.is_none_or(|e| e % w == 0))
        .max()
}

fn answerable(function: AggFunction) -> bool {
    matches!(
        function,
        AggFunction::Count
            | AggFunction::Sum
            | AggFunction::Mean
            | AggFunction::Min
            | AggFunction::Max
            | AggFunction::First
            | AggFunction::Last
    )
}

/// Per-window states of one series field built from rollups, for the parts of
/// `[start_ns, end_ns)` whose raw data is gone; empty when rollups cannot answer.
pub(crate) fn rollup_windows(
    ctx: &Ctx<'_>,
    id: SeriesId,
    field: &str,
    function: AggFunction,
    windowing: &Windowing,
    empty: &State,
) -> Result<Windows, QueryError> {
    let (snapshot, start_ns, end_ns) = (ctx.snapshot, ctx.start_ns, ctx.end_ns);
    let ranges = snapshot.rollup_only_ranges();
    if ranges.is_empty() || !answerable(function) {
        return Ok(Vec::new());
    }
    let Some(w) = pick_window(snapshot.rollup_windows(), windowing.every_ns()) else {
        return Ok(Vec::new());
    };
    let mut out: Windows = Vec::new();
    for (lo, hi) in ranges {
        let (lo, hi) = (lo.max(start_ns), hi.min(end_ns));
        if lo >= hi {
            continue;
        }
        let Some(r) = snapshot.read_rollup(id, field, w, lo, hi)? else {
            continue;
        };
        for i in 0..r.ts.len() {
            let t = r.ts[i];
            if t < lo || t.checked_add(w).is_none_or(|e| e > hi) {
                continue;
            }
            let mut state = empty.clone();
            let count = u64::try_from(r.count[i]).unwrap_or(0);
            match &mut state {
                State::Count(n) => *n += count,
                State::Sum(s) => s.add(Sum::like(*s, r.sum[i])),
                State::Mean { sum, n, .. } => {
                    sum.add(Sum::like(*sum, r.sum[i]));
                    *n += count;
                }
                State::Min(_) => state.fold(&[t], r.min.values.as_ref().slice(i..i + 1)),
                State::Max(_) => state.fold(&[t], r.max.values.as_ref().slice(i..i + 1)),
                State::First(_) => state.fold(&[t], r.first.values.as_ref().slice(i..i + 1)),
                State::Last(_) => state.fold(&[t], r.last.values.as_ref().slice(i..i + 1)),
                State::Stddev { .. } | State::Quantile { .. } => continue,
            }
            let key = windowing.key_of(t);
            match out.last_mut() {
                Some((k, s)) if *k == key => s.merge(state),
                _ => out.push((key, state)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_largest_dividing_window() {
        let w = [60, 3600];
        assert_eq!(pick_window(&w, Some(7200)), Some(3600));
        assert_eq!(pick_window(&w, Some(120)), Some(60));
        assert_eq!(pick_window(&w, Some(90)), None);
        assert_eq!(pick_window(&w, None), Some(3600));
    }
}
