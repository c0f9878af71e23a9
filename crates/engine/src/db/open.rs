//! Opening the engine: lock the data directory, open the live tables (the manifest removes
//! orphans first), rebuild the catalog from their series tables, replay the WAL into a fresh
//! MemTable (skipping points a later delete removed), then hand the state to the engine.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Instant;

use parking_lot::{Condvar, Mutex, RwLock};

use super::health::Health;
use super::state::{MemState, Shared};
use super::write::insert_points;
use crate::error::{Error, Result};
use crate::index::Catalog;
use crate::io::FileSystem;
use crate::lsm::rollup::parse_column;
use crate::lsm::tables::Tables;
use crate::lsm::version::Version;
use crate::options::EngineOptions;
use crate::sst::BlockCache;
use crate::stats::Counters;
use crate::wal::{Wal, WalOptions, segment_file_name};
use crate::write::MemTable;
use crate::write::wal_record;
use crate::write::wal_slots::SlotDict;

/// Recovers the engine's state from `opts.data_dir`.
pub(super) fn open(opts: EngineOptions, fs: Arc<dyn FileSystem>) -> Result<Shared> {
    if opts.partition_width <= 0 {
        return Err(Error::Config("partition width must be positive".into()));
    }
    let root = opts.data_dir.clone();
    let sst_dir = super::backup::sst_dir(&root);
    fs.create_dir_all(&sst_dir)?;
    let lock = fs.lock_exclusive(&root.join("LOCK"))?;
    let cache = Arc::new(BlockCache::new(opts.block_cache_bytes));
    let (tables, state) = Tables::open(
        fs.clone(),
        &sst_dir,
        &root.join("manifest"),
        cache.clone(),
        (opts.block_points, opts.slow_background),
    )?;
    let version = tables.current();
    let catalog = Arc::new(Catalog::default());
    catalog_from_tables(&catalog, &version)?;

    let active = Arc::new(MemTable::default());
    let mut max_seq = state.last_seq;
    let mut replayed = 0u64;
    let wal_opts = WalOptions {
        sync: opts.wal_sync,
        salvage: opts.wal_salvage,
        ..WalOptions::default()
    };
    let wal_dir = root.join("wal");
    let mut slots = SlotDict::default();
    let (wal, report) = Wal::open(fs, wal_dir.clone(), wal_opts, |segment, payload| {
        let (seq, batch) = wal_record::decode(payload, &mut slots).map_err(|reason| {
            Error::corrupt(
                wal_dir.join(segment_file_name(segment)),
                0,
                format!("WAL record: {reason}"),
            )
        })?;
        max_seq = max_seq.max(seq);
        replayed += batch.len() as u64;
        // Each distinct field once per record, not once per point.
        let mut seen = HashSet::new();
        for p in batch.points() {
            let m = batch.measurement_of(p.series);
            for (name, value) in batch.fields_of(p) {
                if seen.insert((m, *name)) {
                    catalog.record_field(m, batch.name(*name), value.value_type());
                }
            }
        }
        let known = catalog.known(batch.series().iter().map(|s| &*s.handle));
        let _ids = insert_points(&catalog, &active, &batch, &known, seq, |canonical, ts| {
            version.hides(canonical, ts, seq)
        });
        Ok(())
    })?;
    tracing::info!(
        files = version.tables.len(),
        series = catalog.len(),
        replayed_points = replayed,
        report = ?report,
        "engine opened"
    );
    drop(version);
    Ok(Shared {
        catalog,
        cache,
        wal,
        tables,
        mem: RwLock::new(MemState {
            active,
            frozen: VecDeque::new(),
        }),
        seq: AtomicU64::new(max_seq),
        flush_lock: Mutex::new(()),
        compact_lock: Mutex::new(()),
        wake: (Mutex::new(false), Condvar::new()),
        shutdown: AtomicBool::new(false),
        counters: Counters::default(),
        health: Health::default(),
        opened: Instant::now(),
        last_write_ms: AtomicU64::new(0),
        cold: RwLock::new(None),
        _lock: lock,
        opts,
    })
}

/// Registers every series and field type the tables hold.
fn catalog_from_tables(catalog: &Catalog, version: &Version) -> Result<()> {
    for t in &version.tables {
        let reader = &t.reader;
        let mut keys = crate::sst::KeyCursor::default();
        for i in 0..reader.series_count() {
            let canonical = reader.series_key(i, &mut keys)?;
            let id = catalog.resolve_canonical(canonical).ok_or_else(|| {
                Error::corrupt(
                    reader.path(),
                    0,
                    format!("malformed series key {canonical:?}"),
                )
            })?;
            let key = catalog.key(id);
            for col in reader.columns_at(i) {
                let col = col?;
                // A rollup's `min` column has the field's own type.
                let field = match parse_column(col.field) {
                    Some((field, _, "min")) => field,
                    Some(_) => continue,
                    None => col.field,
                };
                if let Some(k) = &key {
                    catalog.record_field(k.measurement(), field, col.value_type);
                }
            }
        }
        reader.release_index_pages();
    }
    Ok(())
}
