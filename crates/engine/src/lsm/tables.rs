//! The live SSTables: the manifest that records them, the current [`Version`] readers take,
//! and the directory the files live in. Every job that changes the set (flush, compaction,
//! rollups, retention, deletes) ends in one [`Tables::commit`]: a durable manifest edit,
//! then one swap of the version, so a reader sees all of a change or none of it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use super::manifest::{Edit, Manifest, ManifestState, Tombstone};
use super::table_output::TableOutput;
use super::version::{TableHandle, Version};
use crate::error::Result;
use crate::io::FileSystem;
use crate::sst::BlockCache;

/// A change to the live set.
#[derive(Debug, Default)]
pub struct Change {
    pub added: Vec<Arc<TableHandle>>,
    pub removed: Vec<Arc<TableHandle>>,
    /// The highest write sequence number the change makes durable (a flush's MemTable).
    pub last_seq: Option<u64>,
}

/// The live tables.
#[derive(Debug)]
pub struct Tables {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    manifest: Manifest,
    version: RwLock<Arc<Version>>,
    cache: Arc<BlockCache>,
    block_points: usize,
    pause: Option<Duration>,
}

impl Tables {
    /// Opens the manifest in `manifest_dir`, removes from `dir` every table file it does not
    /// list (left by a crash between writing a file and recording it, or by a failed job),
    /// and opens the listed tables. Returns the manifest's state too (sequence numbers).
    pub fn open(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        manifest_dir: &Path,
        cache: Arc<BlockCache>,
        (block_points, pause): (usize, Option<Duration>),
    ) -> Result<(Tables, ManifestState)> {
        // Temporary files first: always garbage, and on a full disk removing them may be
        // what lets the manifest open (which writes).
        remove_unlisted(&*fs, dir, |name| name.ends_with(".tmp"))?;
        let manifest = Manifest::open(fs.clone(), manifest_dir)?;
        let state = manifest.state();
        remove_unlisted(&*fs, dir, |name| {
            name.strip_suffix(".sst").is_some_and(|id| {
                id.parse::<u64>()
                    .map_or(true, |id| !state.files.contains_key(&id))
            })
        })?;
        let mut tables = Vec::with_capacity(state.files.len());
        for meta in state.files.values() {
            tables.push(Arc::new(TableHandle::open(fs.clone(), dir, *meta)?));
        }
        let version = Version::new(tables, state.tombstones.clone());
        let tables = Tables {
            fs,
            dir: dir.to_path_buf(),
            manifest,
            version: RwLock::new(Arc::new(version)),
            cache,
            block_points,
            pause,
        };
        Ok((tables, state))
    }

    /// The current version.
    pub fn current(&self) -> Arc<Version> {
        self.version.read().clone()
    }

    /// The manifest's counters: (next file id, last write sequence number).
    pub fn counters(&self) -> (u64, u64) {
        let s = self.manifest.state();
        (s.next_file_id, s.last_seq)
    }

    /// Starts a new table of `level` in `partition`.
    pub fn create_output(&self, level: u8, partition: i64) -> Result<TableOutput> {
        let id = self.manifest.next_file_id();
        TableOutput::create(
            self.fs.clone(),
            &self.dir,
            id,
            (level, partition),
            self.block_points,
        )
    }

    /// Records `change` in the manifest (one atomic edit), then installs it: one swap under
    /// the version lock, so readers see both halves or neither. Removed files are deleted
    /// once no snapshot uses them; their cached blocks are dropped now.
    pub fn commit(&self, change: Change) -> Result<()> {
        let mut edits: Vec<Edit> = change.added.iter().map(|t| Edit::AddFile(t.meta)).collect();
        edits.extend(change.removed.iter().map(|t| Edit::RemoveFile(t.meta.id)));
        if let Some(last_seq) = change.last_seq {
            edits.push(Edit::Counters {
                next_file_id: 0,
                last_seq,
            });
        }
        if edits.is_empty() {
            return Ok(());
        }
        self.manifest.apply(edits)?;
        let mut v = self.version.write();
        let mut tables: Vec<_> = v
            .tables
            .iter()
            .filter(|t| !change.removed.iter().any(|r| r.meta.id == t.meta.id))
            .cloned()
            .collect();
        tables.extend(change.added);
        *v = Arc::new(Version::new(tables, v.tombstones.clone()));
        drop(v);
        for r in &change.removed {
            r.mark_obsolete();
            self.cache.evict_table(r.meta.id);
        }
        Ok(())
    }

    /// Records range deletes durably and installs a version that applies them.
    pub fn add_tombstones(&self, tombstones: Vec<Tombstone>) -> Result<()> {
        self.edit_tombstones(tombstones.into_iter().map(Edit::Tombstone).collect())
    }

    /// Drops tombstones no data needs any more (see `lsm::tombstones`).
    pub fn drop_tombstones(&self, outlived: Vec<Tombstone>) -> Result<()> {
        self.edit_tombstones(outlived.into_iter().map(Edit::DropTombstone).collect())
    }

    /// Records tombstone edits durably and installs a version with the resulting set.
    fn edit_tombstones(&self, edits: Vec<Edit>) -> Result<()> {
        if edits.is_empty() {
            return Ok(());
        }
        let state = self.manifest.apply(edits)?;
        let mut v = self.version.write();
        *v = Arc::new(Version::new(v.tables.clone(), state.tombstones));
        Ok(())
    }

    /// The test hook: sleeps inside every job, so crash tests can kill the process while one
    /// runs.
    pub fn pause(&self) {
        if let Some(d) = self.pause {
            std::thread::sleep(d.min(Duration::from_secs(60)));
        }
    }

    pub fn close(&self) -> Result<()> {
        self.manifest.close()
    }
}

/// Removes the files of `dir` that `unlisted` picks, with a warning each.
fn remove_unlisted(fs: &dyn FileSystem, dir: &Path, unlisted: impl Fn(&str) -> bool) -> Result<()> {
    let mut removed = false;
    for name in fs.list_dir(dir)? {
        if unlisted(&name) {
            tracing::warn!(file = %name, "removing a table file the manifest does not list (left by a crash or a failed job)");
            fs.remove_file(&dir.join(&name))?;
            removed = true;
        }
    }
    if removed {
        fs.sync_dir(dir)?;
    }
    Ok(())
}
