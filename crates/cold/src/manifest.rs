//! A database's manifest: which Parquet files hold which partitions, with each file's time
//! range, rows, size, checksum and per-tag bounds (what queries prune by), and the files a
//! later generation superseded (deleted after a grace period). Each generation is a new
//! object, written create-only (`manifest-<generation>.json`); the newest complete one is the
//! manifest, so switching is atomic: a reader sees the old generation or the new one, never a
//! mix. The JSON carries a CRC-32C of itself (computed with `checksum` set to 0), checked on
//! load with the format name and version.

use std::collections::BTreeMap;

use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::error::{ColdError, Result};
use crate::layout;
use crate::sealed_json::{self, Sealed};
use crate::store::Store;

/// The `format` every manifest names.
pub const FORMAT: &str = "strata-cold-manifest";
/// The manifest layout version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Generations kept in the store besides the current one (older ones are deleted once a
/// newer one is committed; nothing references them).
pub const KEEP_GENERATIONS: u64 = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub database: String,
    pub generation: u64,
    /// When this generation was committed (ns since the epoch).
    pub created_ns: i64,
    /// Exported partitions, by start.
    pub partitions: Vec<PartitionEntry>,
    /// Files no generation from this one on references, and since when.
    pub superseded: Vec<Superseded>,
    /// CRC-32C of this manifest's JSON with `checksum` 0.
    pub checksum: u32,
}

/// One exported partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionEntry {
    /// First timestamp of the partition (ns).
    pub start_ns: i64,
    /// Last timestamp of the partition (ns, inclusive).
    pub end_ns: i64,
    /// The local tables the export read: a partition whose tables changed since (a late
    /// write, a delete, a compaction) is exported again.
    pub source: Source,
    /// One file per measurement with data in the partition.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Ids of the SSTables, ascending.
    pub tables: Vec<u64>,
    /// The highest write sequence number in them.
    pub max_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The object's path in the store.
    pub path: String,
    pub measurement: String,
    pub rows: u64,
    pub bytes: u64,
    /// CRC-32C of the whole object.
    pub crc32c: u32,
    pub min_time_ns: i64,
    pub max_time_ns: i64,
    /// Tag key -> the smallest and largest value in the file.
    pub tags: BTreeMap<String, TagBounds>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBounds {
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Superseded {
    pub path: String,
    pub since_ns: i64,
}

impl Manifest {
    /// Generation 0: nothing exported yet (never written).
    pub fn empty(database: &str) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            database: database.into(),
            generation: 0,
            created_ns: 0,
            partitions: Vec::new(),
            superseded: Vec::new(),
            checksum: 0,
        }
    }

    /// The exported partition starting at `start`.
    pub fn partition(&self, start: i64) -> Option<&PartitionEntry> {
        self.partitions.iter().find(|p| p.start_ns == start)
    }

    /// The JSON, its checksum filled in.
    pub fn to_bytes(&self) -> Vec<u8> {
        sealed_json::seal(self)
    }

    /// Parses and checks a manifest read from `path`.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Manifest> {
        let bad = |reason: String| ColdError::BadManifest {
            path: path.to_string(),
            reason,
        };
        sealed_json::check_format(bytes, FORMAT, FORMAT_VERSION).map_err(bad)?;
        sealed_json::open(bytes).map_err(bad)
    }
}

impl Sealed for Manifest {
    fn checksum_mut(&mut self) -> &mut u32 {
        &mut self.checksum
    }
}

/// The generations of `database`'s manifests in the store, ascending.
pub async fn generations(store: &Store, database: &str) -> Result<Vec<u64>> {
    let dir = layout::manifest_dir(&store.prefix, database);
    let mut gens: Vec<u64> = store
        .list_paths(&dir)
        .await?
        .iter()
        .filter_map(layout::manifest_generation)
        .collect();
    gens.sort_unstable();
    Ok(gens)
}

/// The newest manifest of `database`, or generation 0 when there is none.
pub async fn load_latest(store: &Store, database: &str) -> Result<Manifest> {
    let Some(&generation) = generations(store, database).await?.last() else {
        return Ok(Manifest::empty(database));
    };
    let path = layout::manifest_path(&store.prefix, database, generation);
    let bytes = store.get_bytes(&path).await?;
    let m = Manifest::from_bytes(&bytes, path.as_ref())?;
    if m.generation != generation || m.database != database {
        return Err(ColdError::BadManifest {
            path: path.to_string(),
            reason: format!(
                "holds generation {} of database {:?}",
                m.generation, m.database
            ),
        });
    }
    Ok(m)
}

/// Writes `m` as its generation, create-only: an existing object of that generation is a
/// [`ColdError::ManifestConflict`], never overwritten.
pub async fn commit(store: &Store, m: &Manifest) -> Result<()> {
    let path = layout::manifest_path(&store.prefix, &m.database, m.generation);
    match store.put_new(&path, m.to_bytes()).await {
        Ok(()) => Ok(()),
        Err(object_store::Error::AlreadyExists { .. }) => Err(ColdError::ManifestConflict {
            store: store.url.clone(),
            database: m.database.clone(),
            generation: m.generation,
        }),
        Err(e) => Err(store.error("put", &path, e)),
    }
}

/// Deletes the manifests older than the [`KEEP_GENERATIONS`] before `current`.
pub async fn delete_old(store: &Store, database: &str, current: u64) -> Result<()> {
    for g in generations(store, database).await? {
        if g + KEEP_GENERATIONS < current {
            let path = layout::manifest_path(&store.prefix, database, g);
            match store.inner.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store.error("delete", &path, e)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut m = Manifest::empty("db");
        m.generation = 2;
        m.partitions.push(PartitionEntry {
            start_ns: 0,
            end_ns: 9,
            source: Source {
                tables: vec![4, 7],
                max_seq: 11,
            },
            files: vec![FileEntry {
                path: "db/cpu/date=1970-01-01/part-0-2.parquet".into(),
                measurement: "cpu".into(),
                rows: 3,
                bytes: 900,
                crc32c: 1,
                min_time_ns: 1,
                max_time_ns: 8,
                tags: BTreeMap::from([(
                    "host".into(),
                    TagBounds {
                        min: "a".into(),
                        max: "b".into(),
                    },
                )]),
            }],
        });
        m
    }

    #[test]
    fn round_trips_and_detects_corruption() {
        let m = sample();
        let bytes = m.to_bytes();
        let back = Manifest::from_bytes(&bytes, "p").unwrap();
        assert_eq!(back.partitions, m.partitions);
        assert_ne!(back.checksum, 0);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let flipped = text.replace("\"rows\": 3", "\"rows\": 4");
        assert!(matches!(
            Manifest::from_bytes(flipped.as_bytes(), "p"),
            Err(ColdError::BadManifest { .. })
        ));
        let newer = text.replace("\"format_version\": 1", "\"format_version\": 9");
        let e = Manifest::from_bytes(newer.as_bytes(), "p").unwrap_err();
        assert!(e.to_string().contains("format version 9"), "{e}");
        assert!(Manifest::from_bytes(&bytes[..bytes.len() / 2], "p").is_err());
    }

    #[tokio::test]
    async fn commit_is_create_only_and_the_newest_generation_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("file://{}", dir.path().display())).unwrap();
        assert_eq!(load_latest(&store, "db").await.unwrap().generation, 0);
        let mut m = sample();
        m.generation = 1;
        commit(&store, &m).await.unwrap();
        assert!(matches!(
            commit(&store, &m).await,
            Err(ColdError::ManifestConflict { .. })
        ));
        for g in 2..=8 {
            m.generation = g;
            commit(&store, &m).await.unwrap();
        }
        assert_eq!(load_latest(&store, "db").await.unwrap().generation, 8);
        delete_old(&store, "db", 8).await.unwrap();
        assert_eq!(generations(&store, "db").await.unwrap(), [4, 5, 6, 7, 8]);
        assert_eq!(load_latest(&store, "other").await.unwrap().generation, 0);
    }
}
