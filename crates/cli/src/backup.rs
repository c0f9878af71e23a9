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
use strata_cold::Store;
use strata_cold::backup::{self, DatabaseBackup, PinnedView, Snapshot, TableEntry};
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

pub fn run(args: &BackupArgs) -> Result<(), CliError> {
    let store = open_store(&args.to)?;
    let rt = runtime()?;
    let client = Client::new(&args.url, args.token.clone());
    let started = Instant::now();
    let view: PinnedView = serde_json::from_str(
        &client
            .post("/api/v1/admin/backup", "application/json", b"")?
            .success()?
            .body,
    )
    .map_err(|e| CliError::Corrupt(format!("the server's backup answer: {e}")))?;
    let (id, created_ns) = (view.backup.clone(), view.created_ns);
    let result = copy(&rt, &client, &store, view, args);
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

/// Uploads the tables of the pinned view the destination lacks; returns the view with every
/// table's checksum filled in, and what was sent and kept.
fn copy(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    store: &Store,
    mut view: PinnedView,
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
    // (database index, table index, checksum if the destination has it already)
    let mut plan = Vec::new();
    for (d, db) in view.databases.iter().enumerate() {
        for (i, entry) in db.tables.iter().enumerate() {
            let path = backup::table_path(store, &db.name, entry.id);
            let present = match known.get(&(db.name.clone(), entry.id)) {
                Some(k) if k.size == entry.size => rt
                    .block_on(backup::has_object(store, &path, entry.size))?
                    .then_some(k.crc32c),
                _ => None,
            };
            plan.push((d, i, present));
        }
    }
    let total: u64 = plan
        .iter()
        .filter(|p| p.2.is_none())
        .map(|&(d, i, _)| view.databases[d].tables[i].size)
        .sum();
    let bar = byte_bar(total);
    let (mut sent, mut kept, mut bytes) = (0, 0, 0);
    for (d, i, present) in plan {
        let name = view.databases[d].name.clone();
        let entry = &mut view.databases[d].tables[i];
        if let Some(crc) = present {
            entry.crc32c = crc;
            kept += 1;
            continue;
        }
        bar.set_message(format!("{name}: table {}", entry.id));
        let source = format!(
            "/api/v1/admin/backup/{}/{}/{}",
            view.backup,
            path_segment(&name),
            entry.id
        );
        let reader = client.get_reader(&source)?;
        let path = backup::table_path(store, &name, entry.id);
        let size = entry.size;
        rt.block_on(upload_table(
            store,
            &path,
            reader,
            size,
            &bar,
            &mut entry.crc32c,
        ))?;
        sent += 1;
        bytes += entry.size;
        if let Some(ms) = args.test_pause_after_table_ms {
            println!("uploaded table {} of {name}", entry.id);
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
    bar.finish_and_clear();
    Ok((view.databases, sent, kept, bytes))
}

/// Streams `reader` (a table of `size` bytes) into the object at `path` (multipart above
/// [`CHUNK`]), its CRC-32C into `crc`. A failed upload, or one of another size, is aborted.
async fn upload_table(
    store: &Store,
    path: &object_store::path::Path,
    mut reader: impl Read,
    size: u64,
    bar: &indicatif::ProgressBar,
    crc: &mut u32,
) -> Result<(), CliError> {
    let mut w = BufWriter::with_capacity(store.inner.clone(), path.clone(), CHUNK);
    let mut buf = vec![0u8; CHUNK];
    let mut n = 0u64;
    let result = async {
        loop {
            let got = reader
                .read(&mut buf)
                .map_err(|e| CliError::Corrupt(format!("reading {path} from the server: {e}")))?;
            if got == 0 {
                break;
            }
            *crc = crc32c::crc32c_append(*crc, &buf[..got]);
            n += got as u64;
            bar.inc(got as u64);
            w.write_all(&buf[..got])
                .await
                .map_err(|e| CliError::Corrupt(format!("uploading {path}: {e}")))?;
        }
        if n != size {
            return Err(CliError::Corrupt(format!(
                "{path}: the server sent {n} bytes, its manifest says {size}"
            )));
        }
        w.shutdown()
            .await
            .map_err(|e| CliError::Corrupt(format!("uploading {path}: {e}")))
    }
    .await;
    if result.is_err() {
        let _ = w.abort().await;
    }
    result
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
