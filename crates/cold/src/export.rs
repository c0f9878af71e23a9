//! The export executor: carries out [`crate::plan`] for one database. For each partition to
//! export it reads a snapshot (the tables the plan saw), writes one Parquet file per
//! measurement with data there, uploads them (multipart above [`UPLOAD_PART_BYTES`]), and
//! only then commits the next manifest generation, create-only. Local data is never touched:
//! until a manifest that covers a partition is durable in the store the local copy is the
//! only one, and a crash or a store failure anywhere before the commit leaves the old
//! manifest current and the export to be redone (its uploads are simply overwritten).
//! Superseded files whose grace period is over are deleted, then dropped from the manifest.

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use serde::Serialize;
use strata_engine::{Engine, Snapshot};
use tokio::io::AsyncWriteExt;

use crate::columns::read_partition;
use crate::error::{ColdError, Result};
use crate::manifest::{self, FileEntry, Manifest, PartitionEntry, Superseded, TagBounds};
use crate::plan::{PartitionJob, PlanOptions, plan};
use crate::store::Store;
use crate::{layout, parquet_file};

/// Files larger than this are uploaded in parts.
pub const UPLOAD_PART_BYTES: usize = 16 * 1024 * 1024;

/// What one database's export did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    pub database: String,
    /// The manifest generation committed (`None`: nothing to do, nothing committed).
    pub generation: Option<u64>,
    /// Partitions exported (again).
    pub partitions: usize,
    /// Files written.
    pub files: Vec<FileEntry>,
    /// Partitions dropped from the cold tier by retention.
    pub expired: usize,
    /// Superseded files deleted.
    pub deleted: Vec<String>,
    /// Partitions whose local copy was then dropped (`--local-retention`; the server fills
    /// this in).
    pub offloaded: usize,
    /// The manifest current after the run (committed by it, or the one it found).
    #[serde(skip)]
    pub manifest: Option<Manifest>,
}

/// Exports what the plan for `database` asks, at time `now` (ns).
pub async fn export_database(
    store: &Store,
    database: &str,
    engine: &Arc<Engine>,
    opts: &PlanOptions,
    now: i64,
) -> Result<ExportReport> {
    let current = manifest::load_latest(store, database).await?;
    let snapshot = engine.snapshot();
    let todo = plan(
        &snapshot.table_metas(),
        &current,
        now,
        snapshot.partition_width(),
        opts,
    );
    let mut report = ExportReport {
        database: database.to_string(),
        ..Default::default()
    };
    if todo.is_empty() {
        report.manifest = Some(current);
        return Ok(report);
    }
    let generation = current.generation + 1;
    let mut next = current.clone();
    next.generation = generation;
    next.created_ns = now;

    let mut replaced: Vec<PartitionEntry> = Vec::new();
    for job in &todo.export {
        let files =
            export_partition(store, database, &snapshot, job, generation, opts.test_pause).await?;
        report.files.extend(files.iter().cloned());
        let entry = PartitionEntry {
            start_ns: job.start,
            end_ns: job.end,
            source: job.source.clone(),
            files,
        };
        match next.partitions.iter_mut().find(|p| p.start_ns == job.start) {
            Some(old) => replaced.push(std::mem::replace(old, entry)),
            None => next.partitions.push(entry),
        }
    }
    report.partitions = todo.export.len();
    next.partitions.retain(|p| {
        let expired = todo.expire.contains(&p.start_ns);
        if expired {
            replaced.push(p.clone());
        }
        !expired
    });
    report.expired = todo.expire.len();
    next.partitions.sort_by_key(|p| p.start_ns);

    // Grace over: delete, then forget.
    for path in &todo.delete {
        let p = Path::from(path.as_str());
        match store.inner.delete(&p).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(store.error("delete", &p, e)),
        }
    }
    next.superseded.retain(|s| !todo.delete.contains(&s.path));
    report.deleted = todo.delete.clone();
    next.superseded
        .extend(replaced.iter().flat_map(|p| &p.files).map(|f| Superseded {
            path: f.path.clone(),
            since_ns: now,
        }));

    manifest::commit(store, &next).await?;
    manifest::delete_old(store, database, generation).await?;
    report.generation = Some(generation);
    report.manifest = Some(next);
    tracing::info!(
        database,
        generation,
        partitions = report.partitions,
        files = report.files.len(),
        deleted = report.deleted.len(),
        "exported to the cold tier"
    );
    Ok(report)
}

/// Writes and uploads the files of one partition.
async fn export_partition(
    store: &Store,
    database: &str,
    snapshot: &Snapshot,
    job: &PartitionJob,
    generation: u64,
    pause: Option<std::time::Duration>,
) -> Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    for measurement in snapshot.catalog().measurements() {
        let path = layout::data_path(&store.prefix, database, &measurement, job.start, generation);
        let encoded = {
            let (snapshot, m, path) = (snapshot.clone(), measurement.clone(), path.to_string());
            let (start, end) = (job.start, job.end);
            tokio::task::spawn_blocking(move || {
                encode_measurement(&snapshot, &m, start, end, &path)
            })
            .await
            .map_err(|e| ColdError::Task(e.to_string()))??
        };
        let Some((mut entry, bytes)) = encoded else {
            continue;
        };
        upload(store, &path, bytes).await?;
        entry.path = path.to_string();
        out.push(entry);
        if let Some(d) = pause {
            tokio::time::sleep(d).await;
        }
    }
    Ok(out)
}

/// The file entry (path to be filled in) and bytes of one measurement's partition, if it has
/// rows there.
fn encode_measurement(
    snapshot: &Snapshot,
    measurement: &str,
    start: i64,
    end: i64,
    path: &str,
) -> Result<Option<(FileEntry, Bytes)>> {
    let Some(data) = read_partition(snapshot, measurement, start, end.saturating_add(1))? else {
        return Ok(None);
    };
    let bytes = parquet_file::encode(&data, (start, end), path)?;
    let entry = FileEntry {
        path: String::new(),
        measurement: measurement.to_string(),
        rows: data.rows,
        bytes: bytes.len() as u64,
        crc32c: crc32c::crc32c(&bytes),
        min_time_ns: data.min_time,
        max_time_ns: data.max_time,
        tags: data
            .tag_bounds
            .into_iter()
            .map(|(k, (min, max))| (k, TagBounds { min, max }))
            .collect(),
    };
    Ok(Some((entry, bytes)))
}

/// Uploads `bytes` to `path`: one request when small, a multipart upload otherwise (both
/// with object_store's retries).
async fn upload(store: &Store, path: &Path, bytes: Bytes) -> Result<()> {
    let mut w = BufWriter::with_capacity(store.inner.clone(), path.clone(), UPLOAD_PART_BYTES);
    let result = async {
        w.put(bytes).await?;
        w.shutdown()
            .await
            .map_err(|e| object_store::Error::Generic {
                store: "upload",
                source: Box::new(e),
            })
    }
    .await;
    if let Err(e) = result {
        let _ = w.abort().await;
        return Err(store.error("put", path, e));
    }
    Ok(())
}
