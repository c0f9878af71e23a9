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
use std::time::{SystemTime, UNIX_EPOCH};

use strata_codec::{BlockDecoder, Column};

use crate::column::ColumnData;
use crate::column_walk::ColumnWalk;
use crate::db::{Shared, test_pause};
use crate::error::Result;
use crate::flush::TableOutput;
use crate::manifest::Edit;
use crate::partition::partition_end;
use crate::point::{FieldValue, ValueType};
use crate::version::{TableHandle, Version, oldest_first};

/// The level of rollup tables.
pub const ROLLUP_LEVEL: u8 = 2;

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
        let w = data.ts[i].saturating_sub(data.ts[i].rem_euclid(window));
        let end = match w.checked_add(window) {
            Some(next) => i + data.ts[i..].partition_point(|&t| t < next),
            None => data.len(),
        };
        let end = end.max(i + 1);
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

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Writes the L2 table of every partition old enough that has none yet. Returns how many.
pub(crate) fn apply_rollups(s: &Shared) -> Result<usize> {
    let Some(after) = s.opts.rollup_after else {
        return Ok(0);
    };
    if s.opts.rollup_windows.is_empty() {
        return Ok(0);
    }
    let _guard = s.compact_lock.lock();
    let cutoff = now_ns().saturating_sub(after.as_nanos().min(i64::MAX as u128) as i64);
    let version = s.version.read().clone();
    let mut partitions: BTreeMap<i64, (Vec<Arc<TableHandle>>, bool)> = BTreeMap::new();
    for t in &version.tables {
        let entry = partitions.entry(t.meta.partition).or_default();
        if t.meta.level == ROLLUP_LEVEL {
            entry.1 = true;
        } else {
            entry.0.push(t.clone());
        }
    }
    let mut made = 0;
    for (partition, (raw, has_rollup)) in partitions {
        if has_rollup || raw.is_empty() || partition_end(partition, s.opts.partition_width) > cutoff
        {
            continue;
        }
        test_pause(s);
        let max_seq = raw.iter().map(|t| t.meta.max_seq).max().unwrap_or(0);
        if let Some(t) = rollup_partition(s, &version, partition, raw, max_seq)? {
            s.manifest.apply(vec![Edit::AddFile(t.meta)])?;
            s.install(&[], Some(t));
            made += 1;
        }
    }
    if made > 0 {
        tracing::info!(partitions = made, "wrote rollups");
    }
    Ok(made)
}

/// Writes the L2 table of one partition from its raw tables, a column at a time.
fn rollup_partition(
    s: &Shared,
    version: &Version,
    partition: i64,
    mut raw: Vec<Arc<TableHandle>>,
    max_seq: u64,
) -> Result<Option<Arc<TableHandle>>> {
    oldest_first(&mut raw);
    let mut dec = BlockDecoder::default();
    let mut out = TableOutput::create(s, ROLLUP_LEVEL, partition)?;
    // One field's statistic columns, sorted by name before they go out (their names sort
    // between the field's own name and the next field's).
    let mut stats: BTreeMap<String, ColumnData> = BTreeMap::new();
    for col in ColumnWalk::new(&raw)? {
        let col = col?;
        let Some(data) = col.merge(version, &mut dec)? else {
            continue;
        };
        for &w in &s.opts.rollup_windows {
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
            out.writer().add_column(col.series, &name, &c)?;
        }
    }
    out.finish(max_seq)
}

/// Reads the rollup of one series field at window `window` from the given L2 tables.
pub(crate) fn read(
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
