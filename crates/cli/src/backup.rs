//! `strata backup --url http://SERVER --to URL`: an online, consistent backup. The server pins
//! one view of every database (`POST /api/v1/admin/backup`: MemTables flushed, the version's
//! SSTables kept until released); each SSTable the destination lacks is streamed from the
//! server into the store (multipart for large ones), its CRC-32C computed on the way; then
//! the snapshot document is written create-only, and the view released. Interrupted
//! anywhere, the destination's newest complete snapshot is the previous one, and the next
//! backup sends only what is still missing. `URL` is an object store URL (`s3://bucket/prefix`,
//! credentials from the AWS environment) or a local directory.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use clap::Args;
use object_store::buffered::BufWriter;
use serde_json::Value;
use strata_cold::Store;
use strata_cold::backup::{self, DatabaseBackup, Snapshot, TableEntry, TombstoneEntry};
use tokio::io::AsyncWriteExt;

use crate::client::{CliError, Client, byte_bar};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The server to back up.
    #[arg(long, env = "STRATA_URL", default_value = "http://127.0.0.1:8086")]
    pub url: String,
    /// Destination: `s3://bucket/prefix`, `file:///dir` or a directory path.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Bearer token, if the server requires one.
    #[arg(long, env = "STRATA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Test hook (crash tests): sleep this long after each table uploaded.
    #[arg(long, hide = true)]
    pub test_pause_after_table_ms: Option<u64>,
}

/// Bytes read from the server per upload call.
const CHUNK: usize = 8 << 20;

/// A destination given as a URL or a directory path, as an object store.
pub fn open_store(to: &str) -> Result<Store, CliError> {
    if to.contains("://") {
        return Ok(Store::open(to)?);
    }
    let dir = std::path::absolute(to).map_err(|e| CliError::Usage(format!("{to}: {e}")))?;
    Ok(Store::open(&format!("file://{}", dir.display()))?)
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))
}

fn field<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, CliError> {
    serde_json::from_value(v.clone())
        .map_err(|e| CliError::Corrupt(format!("the server's backup answer: {what}: {e}")))
}

pub fn run(args: &BackupArgs) -> Result<(), CliError> {
    let store = open_store(&args.to)?;
    let rt = runtime()?;
    let client = Client::new(&args.url, args.token.clone());
    let started = Instant::now();
    let answer: Value = serde_json::from_str(
        &client
            .post("/api/v1/admin/backup", "application/json", b"")?
            .success()?
            .body,
    )
    .map_err(|e| CliError::Corrupt(format!("the server's backup answer: {e}")))?;
    let id: String = field(&answer["backup"], "backup")?;
    let created_ns: i64 = field(&answer["created_ns"], "created_ns")?;
    let result = copy(&rt, &client, &store, &answer, &id, args);
    // Release the view whatever happened (it expires on its own otherwise).
    let _ = client.delete(&format!("/api/v1/admin/backup/{id}"));
    let (databases, sent, kept, bytes) = result?;
    let snap = Snapshot::new(created_ns, client.base(), databases);
    rt.block_on(backup::commit(&store, &snap))?;
    println!(
        "backup {created_ns} of {} to {}: {sent} tables sent ({bytes} bytes), {kept} already there, in {:.1} s",
        client.base(),
        store.url,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

type Copied = (Vec<DatabaseBackup>, usize, usize, u64);

/// Uploads the tables of the pinned view the destination lacks.
fn copy(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    store: &Store,
    answer: &Value,
    id: &str,
    args: &BackupArgs,
) -> Result<Copied, CliError> {
    // Checksums of the tables the newest snapshot already holds.
    let known: HashMap<(String, u64), TableEntry> = match rt.block_on(backup::load(store, None)) {
        Ok(s) => s
            .databases
            .into_iter()
            .flat_map(|d| {
                d.tables
                    .into_iter()
                    .map(move |t| ((d.name.clone(), t.id), t))
            })
            .collect(),
        Err(_) => HashMap::new(),
    };
    let dbs: Vec<Value> = field(&answer["databases"], "databases")?;
    // (database, table, already there)
    let mut plan = Vec::new();
    for db in &dbs {
        let name: String = field(&db["name"], "name")?;
        let tables: Vec<Value> = field(&db["tables"], "tables")?;
        for t in &tables {
            let entry = TableEntry {
                id: field(&t["id"], "id")?,
                level: field(&t["level"], "level")?,
                partition: field(&t["partition"], "partition")?,
                min_ts: field(&t["min_ts"], "min_ts")?,
                max_ts: field(&t["max_ts"], "max_ts")?,
                max_seq: field(&t["max_seq"], "max_seq")?,
                size: field(&t["size"], "size")?,
                points: field(&t["points"], "points")?,
                crc32c: 0,
            };
            let path = backup::table_path(store, &name, entry.id);
            let present = match known.get(&(name.clone(), entry.id)) {
                Some(k) if k.size == entry.size => {
                    rt.block_on(backup::has_object(store, &path, entry.size))?
                }
                _ => false,
            };
            plan.push((name.clone(), entry, present));
        }
    }
    let total: u64 = plan.iter().filter(|p| !p.2).map(|p| p.1.size).sum();
    let bar = byte_bar(total);
    let (mut sent, mut kept, mut bytes) = (0, 0, 0);
    let mut out: Vec<DatabaseBackup> = Vec::new();
    for db in &dbs {
        let name: String = field(&db["name"], "name")?;
        let tombstones: Vec<TombstoneEntry> = field(&db["tombstones"], "tombstones")?;
        out.push(DatabaseBackup {
            tables: Vec::new(),
            tombstones,
            next_file_id: field(&db["next_file_id"], "next_file_id")?,
            last_seq: field(&db["last_seq"], "last_seq")?,
            name,
        });
    }
    for (name, mut entry, present) in plan {
        if present {
            entry.crc32c = known[&(name.clone(), entry.id)].crc32c;
            kept += 1;
        } else {
            bar.set_message(format!("{name}: table {}", entry.id));
            let url_db = path_segment(&name);
            let mut reader =
                client.get_reader(&format!("/api/v1/admin/backup/{id}/{url_db}/{}", entry.id))?;
            let path = backup::table_path(store, &name, entry.id);
            entry.crc32c = rt.block_on(async {
                let mut w = BufWriter::with_capacity(store.inner.clone(), path.clone(), CHUNK);
                let mut crc = 0u32;
                let mut n = 0u64;
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let got = reader.read(&mut buf).map_err(|e| CliError::Http {
                        url: client.base().to_string(),
                        message: format!("reading table {}: {e}", entry.id),
                    })?;
                    if got == 0 {
                        break;
                    }
                    crc = crc32c::crc32c_append(crc, &buf[..got]);
                    n += got as u64;
                    bar.inc(got as u64);
                    if let Err(e) = w.write_all(&buf[..got]).await {
                        let _ = w.abort().await;
                        return Err(CliError::Corrupt(format!("uploading {path}: {e}")));
                    }
                }
                if n != entry.size {
                    let _ = w.abort().await;
                    return Err(CliError::Corrupt(format!(
                        "table {} of {name}: the server sent {n} bytes, its manifest says {}",
                        entry.id, entry.size
                    )));
                }
                w.shutdown()
                    .await
                    .map_err(|e| CliError::Corrupt(format!("uploading {path}: {e}")))?;
                Ok(crc)
            })?;
            sent += 1;
            bytes += entry.size;
            if let Some(ms) = args.test_pause_after_table_ms {
                println!("uploaded table {} of {name}", entry.id);
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        if let Some(d) = out.iter_mut().find(|d| d.name == name) {
            d.tables.push(entry);
        }
    }
    bar.finish_and_clear();
    Ok((out, sent, kept, bytes))
}

/// `name` as one URL path segment.
fn path_segment(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
