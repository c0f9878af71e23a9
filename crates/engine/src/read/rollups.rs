//! Reads a series field's rollups (L2 summaries, see [`crate::lsm::rollup`]) back: the six
//! statistic columns of one window width, merged across the L2 tables in range.

use std::sync::Arc;

use strata_codec::{BlockDecoder, Column};

use crate::data::ColumnData;
use crate::error::Result;
use crate::lsm::rollup::{STATS, column_name};
use crate::lsm::version::TableHandle;

/// One series field's rollup at one window width, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// Window starts (ns), ascending.
    pub ts: Vec<i64>,
    pub count: Vec<i64>,
    pub sum: Vec<f64>,
    /// `min`, `max`, `first`, `last`, each aligned with `ts`, in the field's type.
    pub min: ColumnData,
    pub max: ColumnData,
    pub first: ColumnData,
    pub last: ColumnData,
}

/// Reads the rollup of one series field at window `window` from the given L2 tables.
pub(crate) fn read_rollup(
    tables: &[Arc<TableHandle>],
    canonical: &str,
    field: &str,
    window: i64,
    start: i64,
    end: i64,
) -> Result<Option<Rollup>> {
    let mut dec = BlockDecoder::default();
    let mut cols: Vec<Option<ColumnData>> = vec![None; STATS.len()];
    for t in tables {
        let Some(series) = t.reader.find_series(canonical)? else {
            continue;
        };
        for (slot, stat) in cols.iter_mut().zip(STATS) {
            let Some(col) = t
                .reader
                .column_at(series, &column_name(field, window, stat))?
            else {
                continue;
            };
            let data = t.reader.read_column(&col, start, end, &mut dec)?;
            ColumnData::merge_into(slot, data);
        }
    }
    let mut it = cols.into_iter();
    let (
        Some(Some(count)),
        Some(Some(sum)),
        Some(Some(min)),
        Some(Some(max)),
        Some(Some(first)),
        Some(Some(last)),
    ) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    )
    else {
        return Ok(None);
    };
    let (Column::Integer(counts), Column::Float(sums)) = (&count.values, &sum.values) else {
        return Ok(None);
    };
    let n = count.len();
    if [sum.len(), min.len(), max.len(), first.len(), last.len()]
        .iter()
        .any(|&l| l != n)
    {
        return Ok(None);
    }
    Ok(Some(Rollup {
        ts: count.ts.clone(),
        count: counts.clone(),
        sum: sums.clone(),
        min,
        max,
        first,
        last,
    }))
}
