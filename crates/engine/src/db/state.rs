//! The engine's shared state: what the API methods and the background threads both use, and
//! the small operations on it that both need (rotating the MemTable, waking the threads).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use super::health::Health;
use crate::error::Result;
use crate::index::Catalog;
use crate::io::FileLock;
use crate::lsm::tables::Tables;
use crate::options::EngineOptions;
use crate::read::ColdSource;
use crate::sst::BlockCache;
use crate::stats::Counters;
use crate::wal::Wal;
use crate::write::MemTable;

/// A frozen MemTable waiting for its flush, and the first WAL segment not holding its data.
#[derive(Debug)]
pub(crate) struct Frozen {
    pub table: Arc<MemTable>,
    pub wal_next_segment: u64,
}

/// The active MemTable and the frozen ones, oldest first.
#[derive(Debug)]
pub(crate) struct MemState {
    pub active: Arc<MemTable>,
    pub frozen: VecDeque<Frozen>,
}

impl MemState {
    /// A sequence number every WAL record still in the log is newer than (`u64::MAX` when
    /// no MemTable holds a record).
    pub fn logged_after(&self) -> u64 {
        self.all()
            .filter_map(|m| m.logged_after())
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Every MemTable, oldest first (the active one last).
    pub fn all(&self) -> impl Iterator<Item = &Arc<MemTable>> {
        self.frozen
            .iter()
            .map(|f| &f.table)
            .chain(std::iter::once(&self.active))
    }
}

/// State shared by the API and the background threads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub opts: EngineOptions,
    pub catalog: Arc<Catalog>,
    pub cache: Arc<BlockCache>,
    pub wal: Wal,
    pub tables: Tables,
    pub mem: RwLock<MemState>,
    pub seq: AtomicU64,
    /// Serialises flushes and deletes (a delete must not race a flush's copy of a MemTable).
    pub flush_lock: Mutex<()>,
    /// Serialises compactions, rollups and retention.
    pub compact_lock: Mutex<()>,
    pub wake: (Mutex<bool>, Condvar),
    pub shutdown: AtomicBool,
    pub counters: Counters,
    pub health: Health,
    /// When the engine opened, and milliseconds after that of the last write.
    pub opened: Instant,
    pub last_write_ms: AtomicU64,
    /// Where reads of cold listings go (installed by the server when a cold tier is set up).
    pub cold: RwLock<Option<Arc<dyn ColdSource>>>,
    pub _lock: FileLock,
}

impl Shared {
    /// How long no write has arrived.
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_write_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// Wakes the background threads.
    pub fn wake(&self) {
        let (lock, cv) = &self.wake;
        *lock.lock() = true;
        cv.notify_all();
    }

    pub fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Freezes the active MemTable (if it holds anything) and starts a new WAL segment; the
    /// caller wakes the flusher.
    pub fn rotate(&self) -> Result<()> {
        let mut mem = self.mem.write();
        if mem.active.is_empty() {
            return Ok(());
        }
        let next = self.wal.rotate()?;
        // Writes take their sequence number under the read lock this write lock excludes.
        let fresh = MemTable::after(self.seq.load(Ordering::SeqCst));
        let old = std::mem::replace(&mut mem.active, Arc::new(fresh));
        mem.frozen.push_back(Frozen {
            table: old,
            wal_next_segment: next,
        });
        Ok(())
    }

    /// Bytes the MemTables hold.
    pub fn memtable_bytes(&self) -> (usize, usize) {
        let mem = self.mem.read();
        (
            mem.active.bytes(),
            mem.frozen.iter().map(|f| f.table.bytes()).sum(),
        )
    }
}
