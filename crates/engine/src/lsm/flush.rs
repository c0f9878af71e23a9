//! Flush: a frozen MemTable becomes one L0 SSTable per time partition it touches. Its columns
//! stream straight from the MemTable into the tables in (series key, field) order, each cut at
//! partition boundaries, so a flush copies no points (only out-of-order columns are sorted
//! into a copy). The caller commits the tables before it drops the MemTable and its WAL
//! segments, so a crash at any point loses nothing acknowledged; on failure every started
//! file is removed (see [`super::table_output`]).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;

use super::manifest::FLUSH_LEVEL;
use super::partition::{partition_last, partition_of};
use super::table_output::TableOutput;
use super::tables::Tables;
use super::version::TableHandle;
use crate::data::ColumnData;
use crate::error::Result;
use crate::index::{Catalog, SeriesId};
use crate::write::MemTable;

/// What a flush wrote.
#[derive(Debug, Default)]
pub struct Flushed {
    /// The L0 tables, not yet committed.
    pub tables: Vec<Arc<TableHandle>>,
    /// Canonical keys of the MemTable's series that had no point left (every one deleted):
    /// candidates for the catalog to forget.
    pub emptied: Vec<String>,
}

/// Writes `table` as L0 tables of partitions `width` wide.
pub fn write_memtable(
    tables: &Tables,
    catalog: &Catalog,
    table: &MemTable,
    width: i64,
) -> Result<Flushed> {
    let mut keys: Vec<(Arc<str>, SeriesId)> = table
        .series_ids()
        .into_iter()
        .filter_map(|sid| Some((catalog.canonical(sid)?, sid)))
        .collect();
    keys.sort_unstable();
    let mut outputs: BTreeMap<i64, TableOutput> = BTreeMap::new();
    let mut write = |key: &str, field: &str, col: &ColumnData| -> Result<()> {
        let mut start = 0;
        while start < col.len() {
            let p = partition_of(col.ts[start], width);
            let last = partition_last(p, width);
            // At least the point that named the partition, so the loop always advances.
            let end = start + col.ts[start..].partition_point(|&t| t <= last).max(1);
            let out = match outputs.entry(p) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(tables.create_output(FLUSH_LEVEL, p)?),
            };
            out.writer().add_slices(
                key,
                field,
                &col.ts[start..end],
                col.values.as_ref().slice(start..end),
            )?;
            start = end;
        }
        Ok(())
    };
    let mut emptied = Vec::new();
    for (key, sid) in &keys {
        let mut any = false;
        table.visit_series(*sid, |field, col| {
            any = true;
            write(key, field, col)
        })?;
        if !any {
            emptied.push(key.to_string());
        }
    }
    let mut added = Vec::with_capacity(outputs.len());
    for out in outputs.into_values() {
        added.extend(out.finish(table.max_seq())?);
    }
    Ok(Flushed {
        tables: added,
        emptied,
    })
}
