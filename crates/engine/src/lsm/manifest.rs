//! The manifest: the set of live SSTables and the delete tombstones, kept as a log of
//! versioned edits. It reuses the WAL's segmented, checksummed, always-fsynced log: each
//! record is one atomic edit (a compaction adds its output and removes its inputs in one
//! record). When the log grows, it rotates and starts the new segment with a full snapshot,
//! then drops the old segments, so recovery replays a bounded log.
//!
//! Record layout (version 2): `version u8 = 2` | edit count varint | edits, each a tag byte:
//! `1` add file (id, level u8, partition, min_ts, max_ts, max_seq, size, points),
//! `2` remove file (id), `3` tombstone (series key, start, end, seq), `4` reset (a snapshot
//! follows: forget everything), `5` counters (next file id, last seq), `6` drop tombstone
//! (series key, start, end, seq: the tombstone no data needs any more). Integers are varints
//! (zigzag for signed). Version 1 records (no tag 6) and version 2 records (no level 3, cold
//! listings) are read as well; a build before version 3 refuses this build's manifests.
//!
//! Commit records: every edit record (and every snapshot) is followed by a separately fsynced
//! record with an empty edit list (`[3, 0]`). The log's recovery treats a damaged last record
//! of the last segment as a torn write and truncates it; for the manifest that record would
//! be an acknowledged edit (a flush deletes its WAL segments right after the edit adding its
//! SSTable is durable, and an SSTable the manifest does not list is deleted on open), so a
//! flipped bit would silently drop data. With the commit record after it, a damaged edit is
//! always followed by a valid record and is reported as corruption; only a damaged commit
//! record can be truncated, which loses nothing. Open appends a commit record when the log
//! does not end with one (a crash between an edit and its commit, or a log written before
//! commit records existed). Older builds read the commit record as an empty edit.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use strata_codec::varint::{Cursor, put_ivarint, put_uvarint};

use crate::error::{Error, Result};
use crate::io::FileSystem;
use crate::wal::{SyncPolicy, Wal, WalOptions};

const VERSION: u8 = 3;
/// The oldest record version this build reads.
const OLDEST_VERSION: u8 = 1;

/// The level of flushed MemTables.
pub const FLUSH_LEVEL: u8 = 0;
/// The level of compacted partitions (one file each once compacted).
pub const COMPACTED_LEVEL: u8 = 1;
/// The level of rollup tables (per-window summaries of a partition).
pub const ROLLUP_LEVEL: u8 = 2;
/// The level of cold listings: a partition whose raw data was exported to the object store
/// and dropped locally keeps one table that lists its series and fields (no blocks) and the
/// time range and sequence number of the data it stands for; reads of it go to the cold
/// tier. Written from manifest record version 3 on.
pub const COLD_LEVEL: u8 = 3;
/// Edits in the log, beyond those a snapshot of the state would hold, after which the log is
/// rewritten as a snapshot. (Counting from the snapshot's own size keeps a state of more
/// than this many files and tombstones from being rewritten on every edit.)
const SNAPSHOT_AFTER: usize = 512;

/// A live SSTable as the manifest records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    pub id: u64,
    /// [`FLUSH_LEVEL`], [`COMPACTED_LEVEL`], [`ROLLUP_LEVEL`] or [`COLD_LEVEL`].
    pub level: u8,
    /// Start of the time partition (ns).
    pub partition: i64,
    pub min_ts: i64,
    pub max_ts: i64,
    /// Highest write sequence number of any point in the file.
    pub max_seq: u64,
    pub size: u64,
    pub points: u64,
}

/// A range delete of one series (every field), hiding points written before `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub series: String,
    pub start: i64,
    pub end: i64,
    pub seq: u64,
}

impl Tombstone {
    /// True if the tombstone hides a point of this series at `ts` written at `point_seq`.
    pub fn covers(&self, ts: i64, point_seq: u64) -> bool {
        point_seq < self.seq && self.start <= ts && ts < self.end
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    AddFile(FileMeta),
    RemoveFile(u64),
    Tombstone(Tombstone),
    Reset,
    Counters {
        next_file_id: u64,
        last_seq: u64,
    },
    /// A tombstone every table and the WAL have outgrown (see `lsm::tombstones`).
    DropTombstone(Tombstone),
}

/// The state the edits build.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestState {
    pub files: BTreeMap<u64, FileMeta>,
    pub tombstones: Vec<Tombstone>,
    pub next_file_id: u64,
    pub last_seq: u64,
}

impl ManifestState {
    fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::AddFile(f) => {
                self.next_file_id = self.next_file_id.max(f.id + 1);
                self.last_seq = self.last_seq.max(f.max_seq);
                self.files.insert(f.id, *f);
            }
            Edit::RemoveFile(id) => {
                self.files.remove(id);
            }
            Edit::Tombstone(t) => {
                self.last_seq = self.last_seq.max(t.seq);
                self.tombstones.push(t.clone());
            }
            Edit::DropTombstone(t) => self.tombstones.retain(|x| x != t),
            Edit::Reset => *self = ManifestState::default(),
            Edit::Counters {
                next_file_id,
                last_seq,
            } => {
                self.next_file_id = self.next_file_id.max(*next_file_id);
                self.last_seq = self.last_seq.max(*last_seq);
            }
        }
    }

    pub(crate) fn snapshot_edits(&self) -> Vec<Edit> {
        let mut edits = vec![Edit::Reset];
        edits.extend(self.files.values().map(|f| Edit::AddFile(*f)));
        edits.extend(self.tombstones.iter().cloned().map(Edit::Tombstone));
        edits.push(Edit::Counters {
            next_file_id: self.next_file_id,
            last_seq: self.last_seq,
        });
        edits
    }
}

fn encode(edits: &[Edit]) -> Vec<u8> {
    let mut out = vec![VERSION];
    put_uvarint(&mut out, edits.len() as u64);
    for e in edits {
        match e {
            Edit::AddFile(f) => {
                out.push(1);
                put_uvarint(&mut out, f.id);
                out.push(f.level);
                put_ivarint(&mut out, f.partition);
                put_ivarint(&mut out, f.min_ts);
                put_ivarint(&mut out, f.max_ts);
                put_uvarint(&mut out, f.max_seq);
                put_uvarint(&mut out, f.size);
                put_uvarint(&mut out, f.points);
            }
            Edit::RemoveFile(id) => {
                out.push(2);
                put_uvarint(&mut out, *id);
            }
            Edit::Tombstone(t) => {
                out.push(3);
                put_tombstone(&mut out, t);
            }
            Edit::DropTombstone(t) => {
                out.push(6);
                put_tombstone(&mut out, t);
            }
            Edit::Reset => out.push(4),
            Edit::Counters {
                next_file_id,
                last_seq,
            } => {
                out.push(5);
                put_uvarint(&mut out, *next_file_id);
                put_uvarint(&mut out, *last_seq);
            }
        }
    }
    out
}

fn put_tombstone(out: &mut Vec<u8>, t: &Tombstone) {
    put_uvarint(out, t.series.len() as u64);
    out.extend_from_slice(t.series.as_bytes());
    put_ivarint(out, t.start);
    put_ivarint(out, t.end);
    put_uvarint(out, t.seq);
}

fn get_tombstone(cur: &mut Cursor<'_>, limit: usize) -> std::result::Result<Tombstone, String> {
    let e = |err: strata_codec::CodecError| err.to_string();
    let len = cur.count("series length", limit).map_err(e)?;
    let raw = cur.bytes(len, "series").map_err(e)?;
    let series = String::from_utf8(raw.to_vec()).map_err(|err| err.to_string())?;
    Ok(Tombstone {
        series,
        start: cur.ivarint("start").map_err(e)?,
        end: cur.ivarint("end").map_err(e)?,
        seq: cur.uvarint("seq").map_err(e)?,
    })
}

pub(crate) fn decode(bytes: &[u8]) -> std::result::Result<Vec<Edit>, String> {
    let e = |err: strata_codec::CodecError| err.to_string();
    let mut cur = Cursor::new(bytes);
    let version = cur.u8("manifest record version").map_err(e)?;
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(format!("unknown manifest record version {version}"));
    }
    let n = cur.count("edit count", bytes.len()).map_err(e)?;
    let mut edits = Vec::with_capacity(n.min(crate::limits::PREALLOC_LIMIT));
    for _ in 0..n {
        let edit = match cur.u8("edit tag").map_err(e)? {
            1 => Edit::AddFile(FileMeta {
                id: cur.uvarint("file id").map_err(e)?,
                level: cur.u8("level").map_err(e)?,
                partition: cur.ivarint("partition").map_err(e)?,
                min_ts: cur.ivarint("min ts").map_err(e)?,
                max_ts: cur.ivarint("max ts").map_err(e)?,
                max_seq: cur.uvarint("max seq").map_err(e)?,
                size: cur.uvarint("size").map_err(e)?,
                points: cur.uvarint("points").map_err(e)?,
            }),
            2 => Edit::RemoveFile(cur.uvarint("file id").map_err(e)?),
            3 => Edit::Tombstone(get_tombstone(&mut cur, bytes.len())?),
            6 if version >= 2 => Edit::DropTombstone(get_tombstone(&mut cur, bytes.len())?),
            4 => Edit::Reset,
            5 => Edit::Counters {
                next_file_id: cur.uvarint("next file id").map_err(e)?,
                last_seq: cur.uvarint("last seq").map_err(e)?,
            },
            tag => return Err(format!("unknown manifest edit tag {tag}")),
        };
        edits.push(edit);
    }
    cur.finish("manifest record").map_err(e)?;
    Ok(edits)
}

/// The durable manifest.
#[derive(Debug)]
pub struct Manifest {
    log: Wal,
    state: Mutex<(ManifestState, usize)>,
}

impl Manifest {
    /// Opens (or creates) the manifest in `dir`, replaying its edits.
    pub fn open(fs: Arc<dyn FileSystem>, dir: &Path) -> Result<Manifest> {
        fs.create_dir_all(dir)?;
        let mut state = ManifestState::default();
        let mut edits = 0usize;
        let options = WalOptions {
            sync: SyncPolicy::Always,
            segment_size: 1 << 30,
            ..WalOptions::default()
        };
        // Whether the last record replayed is an edit without its commit record.
        let mut uncommitted = false;
        let (log, _report) = Wal::open(fs, dir, options, |segment, payload| {
            let batch = decode(payload).map_err(|reason| Error::Corrupt {
                path: dir.join(crate::wal::segment_file_name(segment)),
                offset: 0,
                reason: format!("manifest record: {reason}"),
            })?;
            uncommitted = !batch.is_empty();
            edits += batch.len();
            for edit in &batch {
                state.apply(edit);
            }
            Ok(())
        })?;
        if uncommitted {
            // The state now relies on that edit (open removes the SSTables it dropped):
            // protect it from the torn-tail rule before anything else happens.
            log.append(&encode(&[]))?;
        }
        Ok(Manifest {
            log,
            state: Mutex::new((state, edits)),
        })
    }

    /// A copy of the current state.
    pub fn state(&self) -> ManifestState {
        self.state.lock().0.clone()
    }

    /// Allocates a file id (made durable by the edit that adds the file).
    pub fn next_file_id(&self) -> u64 {
        let mut s = self.state.lock();
        let id = s.0.next_file_id.max(1);
        s.0.next_file_id = id + 1;
        id
    }

    /// Durably applies `edits` as one atomic record, then updates the state.
    pub fn apply(&self, edits: Vec<Edit>) -> Result<ManifestState> {
        let mut s = self.state.lock();
        // Two appends, two fsyncs: the commit record reaches the disk only after the edit.
        self.log.append(&encode(&edits))?;
        if let Err(e) = self.log.append(&encode(&[])) {
            // The edit is durable; the next record (or the next open) follows it with a
            // valid record, which is all the commit record is for. Failing here would leave
            // an edit on disk that this process never applied.
            tracing::warn!(error = %e, "could not write the manifest commit record; the edit stands");
        }
        for e in &edits {
            s.0.apply(e);
        }
        s.1 += edits.len();
        // A snapshot holds a reset, every file, every tombstone and the counters.
        let snapshot_len = s.0.files.len() + s.0.tombstones.len() + 2;
        if s.1 > SNAPSHOT_AFTER + snapshot_len {
            let new_segment = self.log.rotate()?;
            let snap = s.0.snapshot_edits();
            self.log.append(&encode(&snap))?;
            self.log.append(&encode(&[]))?;
            self.log.remove_segments_before(new_segment)?;
            s.1 = snap.len();
        }
        Ok(s.0.clone())
    }

    pub fn close(&self) -> Result<()> {
        self.log.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::StdFs;

    fn file(id: u64) -> FileMeta {
        FileMeta {
            id,
            level: 0,
            partition: 0,
            min_ts: 1,
            max_ts: 2,
            max_seq: id * 10,
            size: 100,
            points: 5,
        }
    }

    #[test]
    fn tombstones_drop_and_version_1_records_still_read() {
        let t = Tombstone {
            series: "cpu,host=a".into(),
            start: -5,
            end: 9,
            seq: 42,
        };
        let edits = vec![Edit::Tombstone(t.clone()), Edit::DropTombstone(t.clone())];
        let bytes = encode(&edits);
        assert_eq!(decode(&bytes).unwrap(), edits);
        let mut state = ManifestState::default();
        for e in &edits {
            state.apply(e);
        }
        assert!(state.tombstones.is_empty());
        let mut v1 = encode(&[Edit::Tombstone(t.clone())]);
        v1[0] = 1;
        assert_eq!(decode(&v1).unwrap(), vec![Edit::Tombstone(t.clone())]);
        let mut v1_drop = encode(&[Edit::DropTombstone(t)]);
        v1_drop[0] = 1;
        assert!(decode(&v1_drop).is_err(), "tag 6 is not a version 1 edit");
    }

    #[test]
    fn edits_survive_reopen_and_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
        {
            let m = Manifest::open(fs.clone(), dir.path()).unwrap();
            for i in 1..=600 {
                m.apply(vec![Edit::AddFile(file(i))]).unwrap();
                if i % 2 == 0 {
                    m.apply(vec![Edit::RemoveFile(i - 1)]).unwrap();
                }
            }
            m.apply(vec![Edit::Tombstone(Tombstone {
                series: "cpu".into(),
                start: 0,
                end: 9,
                seq: 7000,
            })])
            .unwrap();
            m.close().unwrap();
        }
        let m = Manifest::open(fs, dir.path()).unwrap();
        let s = m.state();
        assert_eq!(s.files.len(), 300);
        assert_eq!(s.tombstones.len(), 1);
        assert_eq!(s.last_seq, 7000);
        assert!(m.next_file_id() > 600);
    }
}
