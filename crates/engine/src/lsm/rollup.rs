//! Rollups (level 2): once a partition is older than `rollup_after`, its raw data is
//! summarised per epoch-aligned window (by default 1 min and 1 h) into `count`, `sum`, `min`,
//! `max`, `first` and `last` per numeric series field, written as one L2 SSTable of the
//! partition. Raw retention drops the partition's L0/L1 files but not its L2 file, which
//! `rollup_retention` governs, so history stays queryable at window resolution.
//!
//! In the L2 table each statistic is a column named `{field}\0{window_ns}\0{stat}`; the
//! timestamps are window starts; `count` is an integer column, `sum` a float column, and
//! `min`/`max`/`first`/`last` keep the field's type. The query layer answers an aggregate
//! from rollups where the raw data is gone and its window is a multiple of a rollup window.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_codec::BlockDecoder;

use super::column_walk::ColumnWalk;
use super::manifest::ROLLUP_LEVEL;
use super::partition::{partition_last, partition_of};
use super::retention::cutoff;
use super::tables::{Change, Tables};
use super::version::{TableHandle, Version};
use crate::data::{ColumnData, FieldValue, ValueType};
use crate::error::Result;
use crate::options::EngineOptions;

/// The statistics kept per window, in column order.
pub const STATS: [&str; 6] = ["count", "sum", "min", "max", "first", "last"];

/// The L2 column name of one statistic.
pub fn column_name(field: &str, window: i64, stat: &str) -> String {
    format!("{field}\0{window}\0{stat}")
}

/// Splits an L2 column name into (field, window, stat).
pub fn parse_column(name: &str) -> Option<(&str, i64, &str)> {
    let mut parts = name.split('\0');
    let (field, window, stat) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?);
    parts.next().is_none().then_some((field, window, stat))
}

fn as_f64(v: &FieldValue) -> Option<f64> {
    match v {
        FieldValue::Float(x) => Some(*x),
        FieldValue::Integer(x) => Some(*x as f64),
        FieldValue::Unsigned(x) => Some(*x as f64),
        _ => None,
    }
}

/// Greater-than for min/max in the field's type (floats: NaN never wins).
fn greater(a: &FieldValue, b: &FieldValue) -> bool {
    match (a, b) {
        (FieldValue::Float(x), FieldValue::Float(y)) => x > y || (y.is_nan() && !x.is_nan()),
        (FieldValue::Integer(x), FieldValue::Integer(y)) => x > y,
        (FieldValue::Unsigned(x), FieldValue::Unsigned(y)) => x > y,
        _ => false,
    }
}

/// Summarises one sorted numeric column per window; `None` for non-numeric columns.
pub fn summarise(data: &ColumnData, window: i64) -> Option<[ColumnData; 6]> {
    let ty = data.value_type();
    if !matches!(
        ty,
        ValueType::Float | ValueType::Integer | ValueType::Unsigned
    ) || window <= 0
    {
        return None;
    }
    let mut out = [
        ColumnData::new(ValueType::Integer),
        ColumnData::new(ValueType::Float),
        ColumnData::new(ty),
        ColumnData::new(ty),
        ColumnData::new(ty),
        ColumnData::new(ty),
    ];
    let mut i = 0;
    while i < data.len() {
        // Windows align to the epoch like partitions, whole at both ends of the i64 range.
        let w = partition_of(data.ts[i], window);
        let last = partition_last(w, window);
        let end = i + data.ts[i..].partition_point(|&t| t <= last).max(1);
        let (mut sum, mut min, mut max) = (0.0, None::<FieldValue>, None::<FieldValue>);
        for k in i..end {
            let Some(v) = data.value(k) else { continue };
            sum += as_f64(&v).unwrap_or(0.0);
            if min.as_ref().is_none_or(|m| greater(m, &v)) {
                min = Some(v.clone());
            }
            if max.as_ref().is_none_or(|m| greater(&v, m)) {
                max = Some(v);
            }
        }
        let (Some(first), Some(last), Some(min), Some(max)) =
            (data.value(i), data.value(end - 1), min, max)
        else {
            i = end;
            continue;
        };
        out[0].push(w, &FieldValue::Integer((end - i) as i64));
        out[1].push(w, &FieldValue::Float(sum));
        out[2].push(w, &min);
        out[3].push(w, &max);
        out[4].push(w, &first);
        out[5].push(w, &last);
        i = end;
    }
    Some(out)
}

/// One partition to summarise.
#[derive(Debug, Clone)]
pub struct RollupTask {
    pub partition: i64,
    /// The partition's raw files, oldest data first.
    pub raw: Vec<Arc<TableHandle>>,
}

/// The partitions old enough at `now` (ns) for rollups (`rollup_after`) that have raw data
/// and no L2 file yet.
pub fn plan(version: &Version, opts: &EngineOptions, now: i64) -> Vec<RollupTask> {
    let Some(after) = opts.rollup_after else {
        return Vec::new();
    };
    if opts.rollup_windows.is_empty() {
        return Vec::new();
    }
    let limit = cutoff(now, after);
    version
        .by_partition()
        .into_iter()
        .filter(|(start, p)| {
            p.rollups.is_empty()
                && !p.raw.is_empty()
                // The raw tables of a partition in the cold tier are only its late writes.
                && p.cold.is_empty()
                && partition_last(*start, opts.partition_width) < limit
        })
        .map(|(partition, p)| RollupTask {
            partition,
            raw: p.raw,
        })
        .collect()
}

/// Writes and commits the L2 table of one partition from its raw tables, a column at a
/// time, at every window of `windows` (ns). Returns false if it held no numeric column.
pub fn run(tables: &Tables, version: &Version, task: &RollupTask, windows: &[i64]) -> Result<bool> {
    tables.pause();
    let max_seq = task.raw.iter().map(|t| t.meta.max_seq).max().unwrap_or(0);
    let mut dec = BlockDecoder::default();
    let mut out = tables.create_output(ROLLUP_LEVEL, task.partition)?;
    // One field's statistic columns, sorted by name before they go out (their names sort
    // between the field's own name and the next field's).
    let mut stats: BTreeMap<String, ColumnData> = BTreeMap::new();
    for col in ColumnWalk::new(&task.raw)? {
        let col = col?;
        let Some(data) = col.merge(version, &mut dec)? else {
            continue;
        };
        for &w in windows {
            let Some(summary) = summarise(&data, w) else {
                break;
            };
            for (stat, c) in STATS.iter().zip(summary) {
                if !c.is_empty() {
                    stats.insert(column_name(col.field, w, stat), c);
                }
            }
        }
        for (name, c) in std::mem::take(&mut stats) {
            out.writer().add_column(&col.series, &name, &c)?;
        }
    }
    let Some(table) = out.finish(max_seq)? else {
        return Ok(false);
    };
    tables.commit(Change {
        added: vec![table],
        ..Change::default()
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_codec::Column;

    #[test]
    fn summarises_per_window() {
        let mut c = ColumnData::new(ValueType::Integer);
        for (t, v) in [(0, 5), (10, 1), (59, 9), (60, 4), (125, 7)] {
            c.push(t, &FieldValue::Integer(v));
        }
        let [count, sum, min, max, first, last] = summarise(&c, 60).unwrap();
        assert_eq!(count.ts, vec![0, 60, 120]);
        assert_eq!(count.values, Column::Integer(vec![3, 1, 1]));
        assert_eq!(sum.values, Column::Float(vec![15.0, 4.0, 7.0]));
        assert_eq!(min.values, Column::Integer(vec![1, 4, 7]));
        assert_eq!(max.values, Column::Integer(vec![9, 4, 7]));
        assert_eq!(first.values, Column::Integer(vec![5, 4, 7]));
        assert_eq!(last.values, Column::Integer(vec![9, 4, 7]));
        let mut s = ColumnData::new(ValueType::String);
        s.push(0, &FieldValue::String("x".into()));
        assert!(summarise(&s, 60).is_none());
        // The last window of the i64 range ends the column.
        let mut edge = ColumnData::new(ValueType::Integer);
        for t in [i64::MAX - 70, i64::MAX - 1, i64::MAX] {
            edge.push(t, &FieldValue::Integer(1));
        }
        let [count, ..] = summarise(&edge, 60).unwrap();
        assert_eq!(count.values, Column::Integer(vec![1, 2]));
    }
}
