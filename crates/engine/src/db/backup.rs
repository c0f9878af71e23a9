//! Online backups of one engine, and the restore side. [`Engine::backup_view`] flushes the
//! MemTables (so every write acknowledged before the backup began is in an SSTable; the WAL
//! then holds nothing the view needs) and pins the current version: its tables stay on disk,
//! whatever compaction does meanwhile, until the view is dropped. The view lists those
//! tables (immutable files named by id, so an incremental backup sends only the ones the
//! destination lacks), the tombstones and the manifest counters. [`restore_manifest`]
//! writes the manifest of a data directory whose `sst/` holds a view's tables: the engine
//! then opens with exactly the backed-up data (and an empty WAL).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Engine;
use crate::error::{Error, Result};
use crate::io::{FileSystem, StdFs};
use crate::lsm::manifest::{FileMeta, Manifest, ManifestState, Tombstone};
use crate::lsm::version::{Version, table_path};
use crate::sst::SstReader;

/// What a backup copies: the tables and tombstones of one version, and the counters a
/// restored engine continues from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupContents {
    pub tables: Vec<FileMeta>,
    pub tombstones: Vec<Tombstone>,
    pub next_file_id: u64,
    pub last_seq: u64,
}

/// A pinned version (see the module documentation).
#[derive(Debug)]
pub struct BackupView {
    _version: Arc<Version>,
    sst_dir: PathBuf,
    pub contents: BackupContents,
}

impl BackupView {
    /// The file of table `id`, if the view holds it.
    pub fn table_path(&self, id: u64) -> Option<PathBuf> {
        self.contents
            .tables
            .iter()
            .any(|t| t.id == id)
            .then(|| table_path(&self.sst_dir, id))
    }
}

impl Engine {
    /// Flushes, then pins the current version for a backup.
    pub fn backup_view(&self) -> Result<BackupView> {
        self.flush()?;
        let s = &self.shared;
        let version = s.tables.current();
        let (next_file_id, last_seq) = s.tables.counters();
        let contents = BackupContents {
            tables: version.tables.iter().map(|t| t.meta).collect(),
            tombstones: version.tombstones.clone(),
            next_file_id,
            last_seq,
        };
        Ok(BackupView {
            _version: version,
            sst_dir: sst_dir(&s.opts.data_dir),
            contents,
        })
    }
}

/// The SSTable directory of the data directory `root`.
pub fn sst_dir(root: &Path) -> PathBuf {
    root.join("sst")
}

/// The file table `id` lives in under `root`.
pub fn sst_path(root: &Path, id: u64) -> PathBuf {
    table_path(&sst_dir(root), id)
}

/// Writes the manifest of `root` from `contents`, after checking that every table is in
/// `root/sst/` with its recorded size and opens (header, footer and index checksums). The
/// directory must not hold a manifest already.
pub fn restore_manifest(root: &Path, contents: &BackupContents) -> Result<()> {
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let manifest_dir = root.join("manifest");
    let has_manifest = fs.exists(&manifest_dir)? && !fs.list_dir(&manifest_dir)?.is_empty();
    if has_manifest {
        return Err(Error::InvalidArgument(format!(
            "{} already holds a manifest: restore into an empty directory",
            manifest_dir.display()
        )));
    }
    for t in &contents.tables {
        let path = sst_path(root, t.id);
        let len = fs.file_len(&path)?;
        if len != t.size {
            return Err(Error::Corrupt {
                path,
                offset: len,
                reason: format!("{len} bytes, the backup recorded {}", t.size),
            });
        }
        SstReader::open(&*fs, &path)?;
    }
    let state = ManifestState {
        files: contents.tables.iter().map(|t| (t.id, *t)).collect(),
        tombstones: contents.tombstones.clone(),
        next_file_id: contents.next_file_id,
        last_seq: contents.last_seq,
    };
    let manifest = Manifest::open(fs, &manifest_dir)?;
    manifest.apply(state.snapshot_edits())?;
    manifest.close()
}
