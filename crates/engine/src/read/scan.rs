//! Streaming read of one series column: the blocks of every SSTable that admits the series
//! (time range, bloom filter, block min/max) and the MemTables' points in range become
//! *pieces*, ordered by time. Pieces whose time ranges overlap, directly or through another,
//! form a *cluster*; clusters come out one at a time, as [`Chunk`]s in time order (forward or
//! backward). A cluster of one piece, the usual case (an L1 block, then newer L0 blocks, then
//! the MemTable), is handed out as it sits in the block cache, without a copy; only
//! overlapping pieces (late or overwritten points) are merged, oldest source first, so the
//! newest write wins on equal timestamps. Tombstones newer than a table hide its points.
//!
//! Memory is one cluster: an aggregation over months of data holds a block at a time, and a
//! `limit` stops decoding once it has its points.

use std::ops::Range;
use std::sync::Arc;

use strata_codec::{BlockDecoder, ColumnRef};

use crate::data::{ColumnData, ValueType};
use crate::error::Result;
use crate::lsm::manifest::Tombstone;
use crate::lsm::version::{TableHandle, drop_deleted};
use crate::sst::{BlockCache, BlockMeta};

/// A run of consecutive points of a column, in time order, sorted and deduplicated.
#[derive(Debug, Clone)]
pub struct Chunk {
    data: Arc<ColumnData>,
    range: Range<usize>,
}

impl Chunk {
    fn empty() -> Chunk {
        Chunk::whole(ColumnData::new(ValueType::Float))
    }

    fn whole(data: ColumnData) -> Chunk {
        let range = 0..data.len();
        Chunk {
            data: Arc::new(data),
            range,
        }
    }

    pub fn ts(&self) -> &[i64] {
        self.data.ts.get(self.range.clone()).unwrap_or_default()
    }

    pub fn values(&self) -> ColumnRef<'_> {
        self.data.values.as_ref().slice(self.range.clone())
    }

    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    pub fn value_type(&self) -> ValueType {
        self.data.value_type()
    }

    /// Appends the chunk's points to `out` (later points than `out` holds; a chunk of
    /// another type, which write validation rules out, appends nothing).
    pub fn append_to(&self, out: &mut ColumnData) {
        out.extend_from_range(&self.data, self.range.clone());
    }
}

/// Where a piece's points come from.
#[derive(Debug)]
enum Source {
    /// A block of the table at `table` in [`ColumnScan::tables`].
    Block {
        table: usize,
        block: BlockMeta,
        value_type: ValueType,
    },
    /// A MemTable's or the cold tier's points in range (already copied out, deletes
    /// applied).
    Mem(ColumnData),
    /// A piece already handed out.
    Taken,
}

/// A block or MemTable run of the scanned column.
#[derive(Debug)]
pub(crate) struct Piece {
    min_ts: i64,
    max_ts: i64,
    /// Merge order: higher is newer (tables oldest first, then the MemTables).
    age: usize,
    /// First piece of its cluster (set once the pieces are sorted).
    starts_cluster: bool,
    source: Source,
}

impl Piece {
    /// Block `block` of the table at index `table` of the scan's tables.
    pub(crate) fn block(table: usize, value_type: ValueType, block: BlockMeta) -> Piece {
        Piece {
            min_ts: block.min_ts,
            max_ts: block.max_ts,
            age: table,
            starts_cluster: false,
            source: Source::Block {
                table,
                block,
                value_type,
            },
        }
    }
}

impl Piece {
    /// Points already read (a cold listing's, tombstones applied) standing at merge position
    /// `age`; `None` when there are none.
    pub(crate) fn loaded(age: usize, data: ColumnData) -> Option<Piece> {
        let (&min_ts, &max_ts) = (data.ts.first()?, data.ts.last()?);
        Some(Piece {
            min_ts,
            max_ts,
            age,
            starts_cluster: false,
            source: Source::Mem(data),
        })
    }
}

/// One table the scan reads, with the tombstones that hide some of its points.
#[derive(Debug)]
pub(crate) struct ScanTable<'s> {
    pub table: &'s TableHandle,
    pub tombstones: Vec<&'s Tombstone>,
}

/// The scan: pieces sorted by start time, cut into clusters; see the module documentation.
#[derive(Debug)]
pub struct ColumnScan<'s> {
    tables: Vec<ScanTable<'s>>,
    cache: &'s BlockCache,
    /// Whether blocks decoded here are added to the cache.
    fill_cache: bool,
    start: i64,
    end: i64,
    pieces: Vec<Piece>,
    /// The pieces not yet handed out: `pieces[front..back]`, whole clusters.
    front: usize,
    back: usize,
    dec: BlockDecoder,
}

impl<'s> ColumnScan<'s> {
    /// A scan of `[start, end)` over `pieces` (blocks of `tables`, see [`Piece::block`])
    /// and the MemTables' points `mems` (oldest first, all newer than every table).
    pub(crate) fn new(
        tables: Vec<ScanTable<'s>>,
        mut pieces: Vec<Piece>,
        mems: Vec<ColumnData>,
        (cache, fill_cache): (&'s BlockCache, bool),
        (start, end): (i64, i64),
    ) -> ColumnScan<'s> {
        let first_mem = tables.len();
        pieces.extend(
            mems.into_iter()
                .enumerate()
                .filter_map(|(i, data)| Piece::loaded(first_mem + i, data)),
        );
        pieces.sort_by_key(|p| (p.min_ts, p.age));
        // A piece starts a cluster when it begins after every earlier piece has ended.
        let mut reach: Option<i64> = None;
        for p in &mut pieces {
            p.starts_cluster = reach.is_none_or(|r| p.min_ts > r);
            reach = Some(reach.map_or(p.max_ts, |r| r.max(p.max_ts)));
        }
        let back = pieces.len();
        ColumnScan {
            tables,
            cache,
            fill_cache,
            start,
            end,
            pieces,
            front: 0,
            back,
            dec: BlockDecoder::default(),
        }
    }

    /// The next chunk in ascending time order; `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        self.advance(false)
    }

    /// The next chunk in descending time order (a chunk's points stay ascending).
    pub fn next_chunk_back(&mut self) -> Result<Option<Chunk>> {
        self.advance(true)
    }

    fn advance(&mut self, back: bool) -> Result<Option<Chunk>> {
        while self.front < self.back {
            let cluster = if back {
                let mut i = self.back - 1;
                while i > self.front && !self.pieces.get(i).is_some_and(|p| p.starts_cluster) {
                    i -= 1;
                }
                let c = i..self.back;
                self.back = i;
                c
            } else {
                let mut k = self.front + 1;
                while k < self.back && !self.pieces.get(k).is_some_and(|p| p.starts_cluster) {
                    k += 1;
                }
                let c = self.front..k;
                self.front = k;
                c
            };
            let chunk = self.load_cluster(cluster)?;
            if !chunk.is_empty() {
                return Ok(Some(chunk));
            }
        }
        Ok(None)
    }

    /// All remaining points in one column (ascending); `None` if there are none.
    pub fn collect(mut self) -> Result<Option<ColumnData>> {
        let mut out: Option<ColumnData> = None;
        while let Some(chunk) = self.next_chunk()? {
            chunk.append_to(out.get_or_insert_with(|| ColumnData::new(chunk.value_type())));
        }
        Ok(out)
    }

    /// At most `n` points nearest the start (or, `from_end`, the end) of the range, decoding
    /// only as many clusters as that takes.
    pub fn take(mut self, n: usize, from_end: bool) -> Result<Option<ColumnData>> {
        let mut chunks: Vec<Chunk> = Vec::new();
        let mut have = 0;
        while have < n {
            let Some(chunk) = self.advance(from_end)? else {
                break;
            };
            have += chunk.len();
            chunks.push(chunk);
        }
        if from_end {
            chunks.reverse();
        }
        let Some(first) = chunks.first() else {
            return Ok(None);
        };
        let mut out = ColumnData::new(first.value_type());
        // Cut the outermost chunk so exactly `n` points remain.
        let extra = have.saturating_sub(n);
        let last = chunks.len() - 1;
        for (i, mut chunk) in chunks.into_iter().enumerate() {
            if from_end && i == 0 {
                chunk.range.start += extra.min(chunk.len());
            } else if !from_end && i == last {
                chunk.range.end -= extra.min(chunk.len());
            }
            chunk.append_to(&mut out);
        }
        Ok(Some(out))
    }

    fn load_cluster(&mut self, cluster: Range<usize>) -> Result<Chunk> {
        if cluster.len() == 1 {
            return self.load_piece(cluster.start);
        }
        let mut parts: Vec<(usize, Chunk)> = Vec::with_capacity(cluster.len());
        for i in cluster {
            let age = self.pieces.get(i).map_or(0, |p| p.age);
            parts.push((age, self.load_piece(i)?));
        }
        // Oldest first, as compaction merges the same pieces.
        parts.sort_by_key(|(age, _)| *age);
        let mut merged: Option<ColumnData> = None;
        for (_, chunk) in parts.into_iter().filter(|(_, c)| !c.is_empty()) {
            let mut data = ColumnData::new(chunk.value_type());
            chunk.append_to(&mut data);
            ColumnData::merge_into(&mut merged, data);
        }
        Ok(merged.map_or_else(Chunk::empty, Chunk::whole))
    }

    /// One piece's points in range, tombstones applied.
    fn load_piece(&mut self, i: usize) -> Result<Chunk> {
        let Some(piece) = self.pieces.get_mut(i) else {
            return Ok(Chunk::empty());
        };
        let (table, block, value_type) = match std::mem::replace(&mut piece.source, Source::Taken) {
            Source::Mem(data) => return Ok(Chunk::whole(data)),
            Source::Taken => return Ok(Chunk::empty()),
            Source::Block {
                table,
                block,
                value_type,
            } => (table, block, value_type),
        };
        let Some(st) = self.tables.get(table) else {
            return Ok(Chunk::empty());
        };
        let dec = &mut self.dec;
        // A block that is not kept in the cache is decoded only up to the scan's end.
        let before = if self.fill_cache { i64::MAX } else { self.end };
        let data =
            self.cache
                .block_or_load((st.table.meta.id, block.offset), self.fill_cache, || {
                    let mut data = ColumnData::new(value_type);
                    st.table
                        .reader
                        .read_block_before(&block, before, dec, &mut data)?;
                    Ok(data)
                })?;
        let range = data.range_indices(self.start, self.end);
        let chunk = Chunk { data, range };
        if st.tombstones.is_empty() {
            return Ok(chunk);
        }
        let mut own = ColumnData::new(value_type);
        chunk.append_to(&mut own);
        drop_deleted(&st.tombstones, &mut own);
        Ok(Chunk::whole(own))
    }
}
