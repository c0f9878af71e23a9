//! Walks the column indexes of several SSTables at once in (series key, field) order, as
//! compaction and rollups need: each column comes out once, with the index entries of every
//! table holding it, read from the mapped indexes as the walk goes. Nothing proportional to
//! the number of series is held in memory, so merging a partition of a million series costs
//! one column at a time. The tables' pages are released from the resident set every
//! [`RELEASE_EVERY`] columns, so the mapped bytes already read do not count as the
//! process's memory either.

use std::sync::Arc;

use strata_codec::BlockDecoder;

use super::version::{TableHandle, Version, drop_deleted};
use crate::data::ColumnData;
use crate::error::Result;
use crate::sst::{ColumnEntry, Columns, KeyCursor};

/// Columns walked between two releases of the tables' pages.
const RELEASE_EVERY: usize = 2048;

/// One column of the walk.
#[derive(Debug)]
pub(crate) struct WalkedColumn<'a> {
    /// The series key, rebuilt once per series and table (keys are front-coded on disk).
    pub series: Arc<str>,
    pub field: &'a str,
    /// The tables holding the column and their entries, in the order the tables were given.
    pub sources: Vec<(&'a TableHandle, ColumnEntry<'a>)>,
}

impl WalkedColumn<'_> {
    /// The column merged across its sources (given oldest data first), tombstones applied;
    /// `None` if no point remains.
    pub fn merge(&self, version: &Version, dec: &mut BlockDecoder) -> Result<Option<ColumnData>> {
        let mut acc: Option<ColumnData> = None;
        for (t, col) in &self.sources {
            let mut data = t.reader.read_column(col, i64::MIN, i64::MAX, dec)?;
            drop_deleted(
                &version.tombstones_for(&self.series, t.meta.max_seq),
                &mut data,
            );
            ColumnData::merge_into(&mut acc, data);
        }
        Ok(acc.filter(|c| !c.is_empty()))
    }
}

/// The next column of one table, with its series key.
struct Head<'a> {
    table: &'a TableHandle,
    columns: Columns<'a>,
    keys: KeyCursor,
    current: Option<(Arc<str>, ColumnEntry<'a>)>,
}

impl Head<'_> {
    fn advance(&mut self) -> Result<()> {
        let prev = self.current.take().map(|(key, col)| (col.series, key));
        self.current = match self.columns.next() {
            None => None,
            Some(col) => {
                let col = col?;
                let key = match prev {
                    Some((series, key)) if series == col.series => key,
                    _ => Arc::from(
                        self.table
                            .reader
                            .series_key(col.series as usize, &mut self.keys)?,
                    ),
                };
                Some((key, col))
            }
        };
        Ok(())
    }
}

/// The walk; yields each (series, field) of the given tables once, in ascending order.
pub(crate) struct ColumnWalk<'a> {
    heads: Vec<Head<'a>>,
    /// Columns yielded so far.
    walked: usize,
}

impl<'a> ColumnWalk<'a> {
    pub fn new(tables: &'a [Arc<TableHandle>]) -> Result<Self> {
        let mut heads = Vec::with_capacity(tables.len());
        for t in tables {
            let mut head = Head {
                table: t,
                columns: t.reader.columns(),
                keys: KeyCursor::default(),
                current: None,
            };
            head.advance()?;
            heads.push(head);
        }
        Ok(ColumnWalk { heads, walked: 0 })
    }

    fn release(&self) {
        for h in &self.heads {
            h.table.reader.release_pages();
        }
    }

    fn step(&mut self) -> Result<Option<WalkedColumn<'a>>> {
        let Some((series, field)) = self
            .heads
            .iter()
            .filter_map(|h| h.current.as_ref().map(|(key, col)| (key, col.field)))
            .min_by(|a, b| (a.0.as_ref(), a.1).cmp(&(b.0.as_ref(), b.1)))
            .map(|(key, field)| (Arc::clone(key), field))
        else {
            self.release();
            return Ok(None);
        };
        self.walked += 1;
        if self.walked % RELEASE_EVERY == 0 {
            self.release();
        }
        let mut sources = Vec::new();
        for h in &mut self.heads {
            let hit = h
                .current
                .as_ref()
                .filter(|(key, col)| *key == series && col.field == field)
                .map(|(_, col)| *col);
            if let Some(col) = hit {
                sources.push((h.table, col));
                h.advance()?;
            }
        }
        Ok(Some(WalkedColumn {
            series,
            field,
            sources,
        }))
    }
}

impl<'a> Iterator for ColumnWalk<'a> {
    type Item = Result<WalkedColumn<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.step().transpose();
        if matches!(r, Some(Err(_))) {
            self.heads.clear();
        }
        r
    }
}
