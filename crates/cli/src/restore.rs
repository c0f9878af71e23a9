//! `strata restore --from URL --data-dir DIR [--snapshot ID]`: rebuilds a data directory from
//! a backup snapshot (the newest by default). Every table is downloaded to a temporary file,
//! its size and CRC-32C checked against the snapshot, synced and renamed into place; then
//! each database's manifest is written from the snapshot, so the directory opens with
//! exactly the snapshot's data. `DIR` must not hold a Strata data directory already.

use std::io::Write;
use std::path::Path;

use clap::Args;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use strata_cold::backup;
use strata_engine::{restore_manifest, sst_dir, sst_path};
use strata_server::databases::database_dir;

use crate::backup::{open_store, runtime};
use crate::client::{CliError, byte_bar};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup: `s3://bucket/prefix`, `file:///dir` or a directory path.
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The data directory to create (must not hold data already).
    #[arg(long, value_name = "DIR")]
    pub data_dir: std::path::PathBuf,
    /// The snapshot to restore (its creation time in ns, as `strata backup` prints it);
    /// default the newest.
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<i64>,
}

pub fn run(args: &RestoreArgs) -> Result<(), CliError> {
    let store = open_store(&args.from)?;
    let rt = runtime()?;
    let snap = rt.block_on(backup::load(&store, args.snapshot))?;
    let root = &args.data_dir;
    for dir in [root.join("manifest"), root.join("wal"), root.join("sst")] {
        if dir.exists() {
            return Err(CliError::Usage(format!(
                "{} exists: restore into a new directory",
                dir.display()
            )));
        }
    }
    let total: u64 = snap
        .databases
        .iter()
        .flat_map(|d| &d.tables)
        .map(|t| t.size)
        .sum();
    let bar = byte_bar(total);
    for db in &snap.databases {
        let dir = database_dir(root, &db.name);
        let sst = sst_dir(&dir);
        std::fs::create_dir_all(&sst).map_err(|e| write_err(&sst, e))?;
        for t in &db.tables {
            bar.set_message(format!("{}: table {}", db.name, t.id));
            let target = sst_path(&dir, t.id);
            let tmp = target.with_extension("sst.restoring");
            let src = backup::table_path(&store, &db.name, t.id);
            let (n, crc) = rt.block_on(async {
                let mut file = std::fs::File::create(&tmp).map_err(|e| write_err(&tmp, e))?;
                let mut stream = store
                    .inner
                    .get(&src)
                    .await
                    .map_err(|e| CliError::Store(store.error("get", &src, e)))?
                    .into_stream();
                let (mut n, mut crc) = (0u64, 0u32);
                while let Some(chunk) = stream
                    .try_next()
                    .await
                    .map_err(|e| CliError::Store(store.error("get", &src, e)))?
                {
                    crc = crc32c::crc32c_append(crc, &chunk);
                    n += chunk.len() as u64;
                    bar.inc(chunk.len() as u64);
                    file.write_all(&chunk).map_err(|e| write_err(&tmp, e))?;
                }
                file.sync_all().map_err(|e| write_err(&tmp, e))?;
                Ok::<_, CliError>((n, crc))
            })?;
            if n != t.size || crc != t.crc32c {
                let _ = std::fs::remove_file(&tmp);
                return Err(CliError::Corrupt(format!(
                    "{src}: {n} bytes with CRC-32C {crc:08x}, the snapshot says {} bytes, {:08x}: the backup is damaged",
                    t.size, t.crc32c
                )));
            }
            std::fs::rename(&tmp, &target).map_err(|e| write_err(&target, e))?;
        }
        restore_manifest(&dir, &db.contents())?;
    }
    bar.finish_and_clear();
    println!(
        "restored backup {} ({} databases, {} tables, {total} bytes) from {} into {}",
        snap.created_ns,
        snap.databases.len(),
        snap.databases.iter().map(|d| d.tables.len()).sum::<usize>(),
        store.url,
        root.display()
    );
    Ok(())
}

fn write_err(path: &Path, source: std::io::Error) -> CliError {
    CliError::Write {
        path: path.display().to_string(),
        source,
    }
}
