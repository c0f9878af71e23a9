//! Backups in an object store (or a local directory): the destination's layout and its
//! snapshot documents. A backup destination holds
//!
//! ```text
//! <prefix>/<db>/sst/<table id, 16 digits>.sst       SSTables, immutable, shared by snapshots
//! <prefix>/snapshots/<created ns, 20 digits>.json    one per completed backup
//! ```
//!
//! A snapshot lists, per database, the tables of one pinned version (with their manifest
//! entries and CRC-32C), the tombstones and the manifest counters; it is written create-only
//! after every table it names is uploaded, so a backup interrupted anywhere leaves the
//! previous snapshot the newest complete one. Tables are named by id and never change, so a
//! later backup uploads only the tables the destination lacks (a present object of the same
//! size is kept). One destination serves one server.

use object_store::ObjectStoreExt;
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use strata_engine::{BackupContents, FileMeta, Tombstone};

use crate::error::{ColdError, Result};
use crate::layout::database_dir;
use crate::sealed_json::{self, Sealed};
use crate::store::Store;

pub const FORMAT: &str = "strata-backup";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: String,
    pub format_version: u32,
    /// When the backup was taken (ns since the epoch); also its id.
    pub created_ns: i64,
    /// The server it was taken from.
    pub source: String,
    pub databases: Vec<DatabaseBackup>,
    pub checksum: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseBackup {
    pub name: String,
    pub tables: Vec<TableEntry>,
    pub tombstones: Vec<TombstoneEntry>,
    pub next_file_id: u64,
    pub last_seq: u64,
}

/// A table's manifest entry and checksum. The server's answer to `POST
/// /api/v1/admin/backup` carries no checksum (it is computed while the table is copied), so
/// `crc32c` is left out while it is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableEntry {
    pub id: u64,
    pub level: u8,
    pub partition: i64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub max_seq: u64,
    pub size: u64,
    pub points: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub crc32c: u32,
}

fn is_zero(x: &u32) -> bool {
    *x == 0
}

/// The server's answer to `POST /api/v1/admin/backup`: a pinned view of every database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedView {
    pub backup: String,
    pub created_ns: i64,
    pub databases: Vec<DatabaseBackup>,
}

impl TableEntry {
    /// The manifest entry, checksum still unknown.
    pub fn of(t: &FileMeta) -> TableEntry {
        TableEntry {
            id: t.id,
            level: t.level,
            partition: t.partition,
            min_ts: t.min_ts,
            max_ts: t.max_ts,
            max_seq: t.max_seq,
            size: t.size,
            points: t.points,
            crc32c: 0,
        }
    }

    /// The engine's manifest entry.
    pub fn meta(&self) -> FileMeta {
        FileMeta {
            id: self.id,
            level: self.level,
            partition: self.partition,
            min_ts: self.min_ts,
            max_ts: self.max_ts,
            max_seq: self.max_seq,
            size: self.size,
            points: self.points,
        }
    }
}

impl DatabaseBackup {
    /// Database `name`'s pinned contents (table checksums still unknown).
    pub fn of(name: &str, c: &BackupContents) -> DatabaseBackup {
        DatabaseBackup {
            name: name.to_string(),
            tables: c.tables.iter().map(TableEntry::of).collect(),
            tombstones: c
                .tombstones
                .iter()
                .map(|t| TombstoneEntry {
                    series: t.series.clone(),
                    start: t.start,
                    end: t.end,
                    seq: t.seq,
                })
                .collect(),
            next_file_id: c.next_file_id,
            last_seq: c.last_seq,
        }
    }

    /// What the engine restores.
    pub fn contents(&self) -> BackupContents {
        BackupContents {
            tables: self.tables.iter().map(TableEntry::meta).collect(),
            tombstones: self
                .tombstones
                .iter()
                .map(|t| Tombstone {
                    series: t.series.clone(),
                    start: t.start,
                    end: t.end,
                    seq: t.seq,
                })
                .collect(),
            next_file_id: self.next_file_id,
            last_seq: self.last_seq,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TombstoneEntry {
    pub series: String,
    pub start: i64,
    pub end: i64,
    pub seq: u64,
}

impl Sealed for Snapshot {
    fn checksum_mut(&mut self) -> &mut u32 {
        &mut self.checksum
    }
}

impl Snapshot {
    pub fn new(created_ns: i64, source: &str, databases: Vec<DatabaseBackup>) -> Snapshot {
        Snapshot {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            created_ns,
            source: source.into(),
            databases,
            checksum: 0,
        }
    }
}

/// Where table `id` of `database` goes.
pub fn table_path(store: &Store, database: &str, id: u64) -> Path {
    database_dir(&store.prefix, database)
        .join("sst")
        .join(format!("{id:016}.sst"))
}

fn snapshots_dir(store: &Store) -> Path {
    store.prefix.clone().join("snapshots")
}

fn snapshot_path(store: &Store, created_ns: i64) -> Path {
    snapshots_dir(store).join(format!("{created_ns:020}.json"))
}

/// Whether `path` holds an object of `size` bytes already.
pub async fn has_object(store: &Store, path: &Path, size: u64) -> Result<bool> {
    match store.inner.head(path).await {
        Ok(meta) => Ok(meta.size == size),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(store.error("head", path, e)),
    }
}

/// Writes `snap`, create-only.
pub async fn commit(store: &Store, snap: &Snapshot) -> Result<()> {
    let path = snapshot_path(store, snap.created_ns);
    store
        .put_new(&path, sealed_json::seal(snap))
        .await
        .map_err(|e| store.error("put", &path, e))
}

/// The ids (creation times) of the completed snapshots, ascending.
pub async fn list(store: &Store) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = store
        .list_paths(&snapshots_dir(store))
        .await?
        .iter()
        .filter_map(|p| p.filename()?.strip_suffix(".json")?.parse().ok())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Snapshot `id`, or the newest one.
pub async fn load(store: &Store, id: Option<i64>) -> Result<Snapshot> {
    let id = match id {
        Some(id) => id,
        None => *list(store)
            .await?
            .last()
            .ok_or_else(|| ColdError::BadManifest {
                path: snapshots_dir(store).to_string(),
                reason: format!("no backup snapshot in {}", store.url),
            })?,
    };
    let path = snapshot_path(store, id);
    let bytes = store.get_bytes(&path).await?;
    let bad = |reason: String| ColdError::BadManifest {
        path: path.to_string(),
        reason,
    };
    sealed_json::check_format(&bytes, FORMAT, FORMAT_VERSION).map_err(bad)?;
    sealed_json::open(&bytes).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn snapshots_round_trip_and_the_newest_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("file://{}", dir.path().display())).unwrap();
        assert!(load(&store, None).await.is_err());
        let db = DatabaseBackup {
            name: "default".into(),
            tables: vec![],
            tombstones: vec![TombstoneEntry {
                series: "cpu,host=a".into(),
                start: 0,
                end: 9,
                seq: 3,
            }],
            next_file_id: 4,
            last_seq: 10,
        };
        for t in [5, 7, 6] {
            commit(&store, &Snapshot::new(t, "http://x", vec![db.clone()]))
                .await
                .unwrap();
        }
        assert!(
            commit(&store, &Snapshot::new(5, "http://x", vec![]))
                .await
                .is_err()
        );
        assert_eq!(list(&store).await.unwrap(), [5, 6, 7]);
        let s = load(&store, None).await.unwrap();
        assert_eq!((s.created_ns, &s.databases[0]), (7, &db));
        assert_eq!(load(&store, Some(5)).await.unwrap().created_ns, 5);
        assert_eq!(
            table_path(&store, "my db", 12).as_ref(),
            "my db/sst/0000000000000012.sst"
        );
    }
}
