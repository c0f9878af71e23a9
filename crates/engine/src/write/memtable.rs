//! The MemTable: recent writes in memory, grouped per series and field, until a flush turns
//! them into an L0 SSTable. Columns are appended in arrival order and sorted (latest write
//! wins on equal timestamps) when read or flushed, so out-of-order writes cost nothing up front.
//!
//! Memory: a series' columns are one exact-size boxed slice, sorted by field name, and field
//! names are interned once per MemTable (`Arc<str>`), so a series with one field and a few
//! points costs about 200 bytes (slot by id, column slot, timestamp and value vectors), not a
//! `String` per field plus a vector with room for four columns. The byte count that triggers
//! a flush follows those allocations (slots, vector capacities, string bytes), not just the
//! points' size.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::RwLock;

use super::batch::{BatchPoint, WriteBatch};
use super::by_id::ById;
use super::wal_slots::SlotTable;
use crate::data::ColumnData;
use crate::data::FieldValue;
use crate::index::SeriesId;

/// Bytes a new series adds beyond its columns: its slot in the table by id (16 bytes), its
/// id in the list of ids written, and its share of partly used pages.
const SERIES_OVERHEAD: usize = 48;
/// Bytes a new column adds beyond its vectors: its slot in the series' boxed slice (field
/// name `Arc` and `ColumnData`, 72 bytes) and the slice's allocator header.
const COLUMN_OVERHEAD: usize = 88;

/// A series' columns: field name (interned) and points.
type SeriesColumns = Box<[(Arc<str>, ColumnData)]>;

#[derive(Debug, Default)]
struct Columns {
    by_series: ById<SeriesColumns>,
    /// Every field name of the table, shared by the series' columns.
    names: foldhash::HashSet<Arc<str>>,
}

impl Columns {
    fn get(&self, series: SeriesId) -> Option<&SeriesColumns> {
        self.by_series.get(series)
    }

    /// The table's one copy of field name `name`.
    fn intern(&mut self, name: &str) -> Arc<str> {
        match self.names.get(name) {
            Some(n) => n.clone(),
            None => {
                let n: Arc<str> = name.into();
                self.names.insert(n.clone());
                n
            }
        }
    }
}

/// Appends one value to the column `name` (interned) of a series' columns, adding the column
/// if new; returns the bytes the table grew by and whether the value was taken (a value of
/// another type than its column's is not; validation rules it out).
fn push_value(
    fields: &mut SeriesColumns,
    name: &Arc<str>,
    ts: i64,
    value: &FieldValue,
) -> (usize, bool) {
    let mut added = 0;
    let i = match fields.iter().position(|(f, _)| Arc::ptr_eq(f, name)) {
        Some(i) => i,
        None => {
            added += COLUMN_OVERHEAD;
            if fields.is_empty() {
                added += SERIES_OVERHEAD;
            }
            let at = fields
                .binary_search_by(|(f, _)| (**f).cmp(&**name))
                .unwrap_or_else(|at| at);
            // Grow by exactly one (most series never get another field), keeping the fields
            // sorted by name for lookups and flushes.
            let mut v = std::mem::take(fields).into_vec();
            v.reserve_exact(1);
            v.insert(at, (name.clone(), ColumnData::new(value.value_type())));
            *fields = v.into_boxed_slice();
            at
        }
    };
    let Some((_, col)) = fields.get_mut(i) else {
        return (added, false);
    };
    // What the vectors grew by (capacity doubling counted when it happens, so the estimate
    // follows the allocator rather than the point count).
    let before = col.heap_bytes();
    if !col.push(ts, value) {
        return (added, false);
    }
    added += col.heap_bytes() - before;
    if let FieldValue::String(s) = value {
        added += s.len() + 16;
    }
    (added, true)
}

/// One MemTable. Mutable while active, then frozen and flushed.
#[derive(Debug)]
pub struct MemTable {
    columns: RwLock<Columns>,
    bytes: AtomicUsize,
    points: AtomicUsize,
    max_seq: AtomicU64,
    /// Every point inserted has a higher write sequence number than this.
    after_seq: u64,
    /// A write batch (a WAL record) was inserted, even one whose points were all skipped.
    logged: std::sync::atomic::AtomicBool,
    /// The WAL series slots of this MemTable's generation.
    slots: SlotTable,
}

impl Default for MemTable {
    fn default() -> Self {
        MemTable::after(0)
    }
}

/// One value to insert: series, field, timestamp, value (tests insert rows one by one).
#[cfg(test)]
pub struct Insert<'a> {
    pub series: SeriesId,
    pub field: &'a str,
    pub ts: i64,
    pub value: &'a FieldValue,
}

impl MemTable {
    /// An empty MemTable whose points will all be newer than write `seq`.
    pub fn after(seq: u64) -> Self {
        MemTable {
            columns: RwLock::new(Columns::default()),
            bytes: AtomicUsize::new(0),
            points: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
            after_seq: seq,
            logged: std::sync::atomic::AtomicBool::new(false),
            slots: SlotTable::default(),
        }
    }

    /// The WAL generation of the records whose points go here (see [`super::wal_slots`]).
    pub fn generation(&self) -> u64 {
        self.after_seq
    }

    /// The WAL series slots of this generation.
    pub fn slots(&self) -> &SlotTable {
        &self.slots
    }

    /// `Some(seq)` if WAL records belong to this MemTable: every one is newer than `seq`.
    /// `None` if none does (nothing was ever inserted).
    pub fn logged_after(&self) -> Option<u64> {
        self.logged
            .load(Ordering::Relaxed)
            .then_some(self.after_seq)
    }

    /// Inserts the points of a validated batch written with sequence number `seq`: those
    /// of series `ids[p.series]` (skipping `None`) that `keep` accepts. Field names are
    /// interned once per batch, so a point's columns are found by comparing pointers.
    pub fn insert_batch(
        &self,
        batch: &WriteBatch,
        ids: &[Option<SeriesId>],
        keep: impl Fn(&BatchPoint) -> bool,
        seq: u64,
    ) {
        let mut guard = self.columns.write();
        let cols = &mut *guard;
        let names: Vec<Arc<str>> = batch.names().iter().map(|n| cols.intern(n)).collect();
        let (mut added, mut points) = (0, 0);
        for p in batch.points() {
            let Some(&Some(id)) = ids.get(p.series as usize) else {
                continue;
            };
            if !keep(p) {
                continue;
            }
            let fields = cols.by_series.entry(id, |f| f.is_empty());
            for (n, value) in batch.fields_of(p) {
                let Some(name) = names.get(*n as usize) else {
                    continue;
                };
                let (grew, pushed) = push_value(fields, name, p.timestamp, value);
                added += grew;
                points += usize::from(pushed);
            }
        }
        drop(guard);
        self.inserted(added, points, seq);
    }

    /// Inserts rows of a validated batch written with sequence number `seq`.
    #[cfg(test)]
    pub fn insert<'a>(&self, rows: impl IntoIterator<Item = Insert<'a>>, seq: u64) {
        let (mut added, mut points) = (0, 0);
        let mut guard = self.columns.write();
        let cols = &mut *guard;
        for row in rows {
            let name = cols.intern(row.field);
            let fields = cols.by_series.entry(row.series, |f| f.is_empty());
            let (grew, pushed) = push_value(fields, &name, row.ts, row.value);
            added += grew;
            points += usize::from(pushed);
        }
        drop(guard);
        self.inserted(added, points, seq);
    }

    fn inserted(&self, added: usize, points: usize, seq: u64) {
        self.logged.store(true, Ordering::Relaxed);
        self.bytes.fetch_add(added, Ordering::Relaxed);
        self.points.fetch_add(points, Ordering::Relaxed);
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
    }

    /// Approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn points(&self) -> usize {
        self.points.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.points() == 0
    }

    /// The highest write sequence number inserted.
    pub fn max_seq(&self) -> u64 {
        self.max_seq.load(Ordering::Relaxed)
    }

    /// Sorted, deduplicated points of one column with `start <= ts < end`.
    pub fn read(&self, series: SeriesId, field: &str, start: i64, end: i64) -> Option<ColumnData> {
        let cols = self.columns.read();
        let fields = cols.get(series)?;
        let (_, col) = fields.get(fields.binary_search_by(|(f, _)| (**f).cmp(field)).ok()?)?;
        if col.is_strictly_sorted() {
            return Some(col.slice(start, end));
        }
        // Out-of-order data: sort only the points in range (equal timestamps keep order).
        let idx: Vec<usize> = (0..col.len())
            .filter(|&i| (start..end).contains(&col.ts[i]))
            .collect();
        let mut part = col.gather(&idx);
        part.sort_dedup();
        Some(part)
    }

    /// Removes the points of `series` (every field) with `start <= ts < end`.
    pub fn delete(&self, series: SeriesId, start: i64, end: i64) {
        if let Some(fields) = self.columns.write().by_series.get_mut(series) {
            for (_, col) in fields.iter_mut() {
                col.retain(|t| !(start..end).contains(&t));
            }
        }
    }

    /// True if `series` has a point here (deleted points gone).
    pub fn has_points(&self, series: SeriesId) -> bool {
        self.columns
            .read()
            .get(series)
            .is_some_and(|fields| fields.iter().any(|(_, col)| !col.is_empty()))
    }

    /// The series with data in this MemTable, in no particular order.
    pub fn series_ids(&self) -> Vec<SeriesId> {
        self.columns.read().by_series.ids().to_vec()
    }

    /// Calls `f` with each column of `series` in field-name order (the order they are kept
    /// in), sorted and deduplicated
    /// (borrowed as is when already in order, the common case; empty columns skipped). For a
    /// flush, which streams a frozen MemTable into SSTables without copying it.
    pub fn visit_series<E>(
        &self,
        series: SeriesId,
        mut f: impl FnMut(&str, &ColumnData) -> Result<(), E>,
    ) -> Result<(), E> {
        let cols = self.columns.read();
        let Some(fields) = cols.get(series) else {
            return Ok(());
        };
        for (name, col) in fields.iter() {
            if col.is_strictly_sorted() {
                if !col.is_empty() {
                    f(name, col)?;
                }
            } else {
                let mut sorted = col.clone();
                sorted.sort_dedup();
                f(name, &sorted)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_and_overwrite() {
        let m = MemTable::default();
        let v = |x: f64| FieldValue::Float(x);
        let (a, b, c) = (v(1.0), v(2.0), v(3.0));
        m.insert(
            [
                Insert {
                    series: 1,
                    field: "f",
                    ts: 20,
                    value: &a,
                },
                Insert {
                    series: 1,
                    field: "f",
                    ts: 10,
                    value: &b,
                },
                Insert {
                    series: 1,
                    field: "f",
                    ts: 20,
                    value: &c,
                },
            ],
            7,
        );
        let col = m.read(1, "f", 0, 100).unwrap();
        assert_eq!(col.ts, vec![10, 20]);
        assert_eq!(col.value(1), Some(v(3.0)));
        assert_eq!(m.max_seq(), 7);
        m.delete(1, 15, 25);
        assert_eq!(m.read(1, "f", 0, 100).unwrap().ts, vec![10]);
    }
}
