//! A series column in memory: parallel vectors of timestamps and typed values (the codec's
//! [`Column`]), with the operations the MemTable, the read path and compaction share: push,
//! sort with latest-write-wins dedup, slicing by time, and merging sorted runs.

use strata_codec::{Column, ColumnRef};

use super::point::{FieldValue, ValueType};

/// Timestamps and values of one column, in the same order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnData {
    pub ts: Vec<i64>,
    pub values: Column,
}

impl ColumnData {
    pub fn new(value_type: ValueType) -> Self {
        ColumnData {
            ts: Vec::new(),
            values: Column::empty(value_type),
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn value_type(&self) -> ValueType {
        self.values.as_ref().value_type()
    }

    /// Heap bytes the two vectors hold (capacity, not length, plus an allocator header
    /// each); string values' own bytes are not included.
    pub fn heap_bytes(&self) -> usize {
        fn heap<T>(v: &Vec<T>) -> usize {
            match v.capacity() {
                0 => 0,
                cap => cap * std::mem::size_of::<T>() + 16,
            }
        }
        let values = match &self.values {
            Column::Float(v) => heap(v),
            Column::Integer(v) => heap(v),
            Column::Unsigned(v) => heap(v),
            Column::Boolean(v) => heap(v),
            Column::String(v) => heap(v),
        };
        heap(&self.ts) + values
    }

    /// Appends a point; `false` (and nothing appended) if the value has another type.
    pub fn push(&mut self, ts: i64, value: &FieldValue) -> bool {
        match (&mut self.values, value) {
            (Column::Float(v), FieldValue::Float(x)) => v.push(*x),
            (Column::Integer(v), FieldValue::Integer(x)) => v.push(*x),
            (Column::Unsigned(v), FieldValue::Unsigned(x)) => v.push(*x),
            (Column::Boolean(v), FieldValue::Boolean(x)) => v.push(*x),
            (Column::String(v), FieldValue::String(x)) => v.push(x.clone()),
            _ => return false,
        }
        self.ts.push(ts);
        true
    }

    /// The value at `i` as a [`FieldValue`].
    pub fn value(&self, i: usize) -> Option<FieldValue> {
        Some(match &self.values {
            Column::Float(v) => FieldValue::Float(*v.get(i)?),
            Column::Integer(v) => FieldValue::Integer(*v.get(i)?),
            Column::Unsigned(v) => FieldValue::Unsigned(*v.get(i)?),
            Column::Boolean(v) => FieldValue::Boolean(*v.get(i)?),
            Column::String(v) => FieldValue::String(v.get(i)?.clone()),
        })
    }

    /// True when timestamps are strictly increasing (sorted, no duplicates).
    pub fn is_strictly_sorted(&self) -> bool {
        self.ts.windows(2).all(|w| w[0] < w[1])
    }

    /// Sorts by time; of several points with one timestamp the one pushed last wins.
    pub fn sort_dedup(&mut self) {
        if self.is_strictly_sorted() {
            return;
        }
        // By time, then push order: what a stable sort by time gives, with each key beside
        // its index instead of behind it.
        let mut order: Vec<(i64, usize)> = self.ts.iter().copied().zip(0..).collect();
        order.sort_unstable();
        // Keep the last index of every run of equal timestamps.
        let keep: Vec<usize> = order
            .iter()
            .enumerate()
            .filter(|&(pos, &(t, _))| order.get(pos + 1).is_none_or(|&(next, _)| next != t))
            .map(|(_, &(_, i))| i)
            .collect();
        *self = self.gather(&keep);
    }

    /// A new column holding the points at `indices`, in that order.
    pub fn gather(&self, indices: &[usize]) -> ColumnData {
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().map(|&i| v[i].clone()).collect()
        }
        let values = match &self.values {
            Column::Float(v) => Column::Float(pick(v, indices)),
            Column::Integer(v) => Column::Integer(pick(v, indices)),
            Column::Unsigned(v) => Column::Unsigned(pick(v, indices)),
            Column::Boolean(v) => Column::Boolean(pick(v, indices)),
            Column::String(v) => Column::String(pick(v, indices)),
        };
        ColumnData {
            ts: pick(&self.ts, indices),
            values,
        }
    }

    /// Index range of the points with `start <= ts < end` (the column must be sorted).
    pub fn range_indices(&self, start: i64, end: i64) -> std::ops::Range<usize> {
        let lo = self.ts.partition_point(|&t| t < start);
        let hi = self.ts.partition_point(|&t| t < end);
        lo..hi.max(lo)
    }

    /// The points with `start <= ts < end` of a sorted column.
    pub fn slice(&self, start: i64, end: i64) -> ColumnData {
        let mut out = ColumnData::new(self.value_type());
        out.extend_from_range(self, self.range_indices(start, end));
        out
    }

    /// Drops the points for which `dead(ts)` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        let idx: Vec<usize> = (0..self.ts.len()).filter(|&i| keep(self.ts[i])).collect();
        if idx.len() != self.ts.len() {
            *self = self.gather(&idx);
        }
    }

    /// Appends `other` (same type, all later timestamps) to this column.
    pub fn append(&mut self, other: &ColumnData) {
        self.extend_from(&other.ts, other.values.as_ref());
    }

    /// Appends the points of `other` at index range `r` (clamped; same type, all later
    /// timestamps).
    pub fn extend_from_range(&mut self, other: &ColumnData, r: std::ops::Range<usize>) {
        let end = r.end.min(other.len());
        let r = r.start.min(end)..end;
        self.extend_from(&other.ts[r.clone()], other.values.as_ref().slice(r));
    }

    /// Appends borrowed points (`ts` and `values` of equal length, same type, all later
    /// timestamps); values of another type append nothing.
    pub fn extend_from(&mut self, ts: &[i64], values: ColumnRef<'_>) {
        match (&mut self.values, values) {
            (Column::Float(a), ColumnRef::Float(b)) => a.extend_from_slice(b),
            (Column::Integer(a), ColumnRef::Integer(b)) => a.extend_from_slice(b),
            (Column::Unsigned(a), ColumnRef::Unsigned(b)) => a.extend_from_slice(b),
            (Column::Boolean(a), ColumnRef::Boolean(b)) => a.extend_from_slice(b),
            (Column::String(a), ColumnRef::String(b)) => a.extend_from_slice(b),
            _ => return,
        }
        self.ts.extend_from_slice(ts);
    }

    /// Folds `newer` into the run accumulated so far in `acc` (see [`ColumnData::merge`]):
    /// what every multi-source read does, oldest source first.
    pub fn merge_into(acc: &mut Option<ColumnData>, newer: ColumnData) {
        *acc = Some(match acc.take() {
            None => newer,
            Some(old) => ColumnData::merge(&old, &newer),
        });
    }

    /// Merges two sorted, deduplicated runs; on equal timestamps `newer` wins. If the types
    /// differ (which write validation prevents), `newer` is returned.
    pub fn merge(older: &ColumnData, newer: &ColumnData) -> ColumnData {
        if older.is_empty() || older.value_type() != newer.value_type() {
            return newer.clone();
        }
        if newer.is_empty() {
            return older.clone();
        }
        // Fast path: the runs do not overlap in time.
        if older.ts[older.len() - 1] < newer.ts[0] {
            let mut out = older.clone();
            out.append(newer);
            return out;
        }
        let picks = merge_picks(&older.ts, &newer.ts);
        fn pick<T: Clone>(a: &[T], b: &[T], picks: &[(bool, usize)]) -> Vec<T> {
            picks
                .iter()
                .map(|&(from_b, i)| if from_b { b[i].clone() } else { a[i].clone() })
                .collect()
        }
        let values = match (&older.values, &newer.values) {
            (Column::Float(a), Column::Float(b)) => Column::Float(pick(a, b, &picks)),
            (Column::Integer(a), Column::Integer(b)) => Column::Integer(pick(a, b, &picks)),
            (Column::Unsigned(a), Column::Unsigned(b)) => Column::Unsigned(pick(a, b, &picks)),
            (Column::Boolean(a), Column::Boolean(b)) => Column::Boolean(pick(a, b, &picks)),
            (Column::String(a), Column::String(b)) => Column::String(pick(a, b, &picks)),
            _ => return newer.clone(),
        };
        ColumnData {
            ts: pick(&older.ts, &newer.ts, &picks),
            values,
        }
    }
}

/// The merge order of two sorted, deduplicated timestamp runs: `(from_newer, index)` per
/// output point; on equal timestamps only the newer point is taken.
fn merge_picks(older: &[i64], newer: &[i64]) -> Vec<(bool, usize)> {
    let (mut i, mut j) = (0, 0);
    let mut picks = Vec::with_capacity(older.len() + newer.len());
    while i < older.len() && j < newer.len() {
        match older[i].cmp(&newer[j]) {
            std::cmp::Ordering::Less => {
                picks.push((false, i));
                i += 1;
            }
            std::cmp::Ordering::Equal => {
                picks.push((true, j));
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Greater => {
                picks.push((true, j));
                j += 1;
            }
        }
    }
    picks.extend((i..older.len()).map(|k| (false, k)));
    picks.extend((j..newer.len()).map(|k| (true, k)));
    picks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(points: &[(i64, f64)]) -> ColumnData {
        let mut c = ColumnData::new(ValueType::Float);
        for &(t, v) in points {
            assert!(c.push(t, &FieldValue::Float(v)));
        }
        c
    }

    #[test]
    fn sort_dedup_keeps_the_last_write() {
        let mut c = col(&[(3, 1.0), (1, 2.0), (3, 3.0), (2, 4.0), (1, 5.0)]);
        c.sort_dedup();
        assert_eq!(c, col(&[(1, 5.0), (2, 4.0), (3, 3.0)]));
    }

    #[test]
    fn merge_prefers_newer() {
        let old = col(&[(1, 1.0), (2, 2.0), (4, 4.0)]);
        let new = col(&[(2, 20.0), (3, 30.0), (5, 50.0)]);
        let m = ColumnData::merge(&old, &new);
        assert_eq!(
            m,
            col(&[(1, 1.0), (2, 20.0), (3, 30.0), (4, 4.0), (5, 50.0)])
        );
    }

    #[test]
    fn slicing_is_half_open() {
        let c = col(&[(1, 1.0), (2, 2.0), (3, 3.0)]);
        assert_eq!(c.slice(2, 3), col(&[(2, 2.0)]));
    }
}
