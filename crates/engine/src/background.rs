//! The background threads: the flusher turns frozen MemTables into L0 tables; the compactor
//! merges partitions and applies retention. Errors are logged and kept for `/ready`; a flush
//! that fails is retried (its MemTable and WAL segments are still there).

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::db::Shared;

fn wait(s: &Shared, timeout: Duration) {
    let (lock, cv) = &s.wake;
    let mut woken = lock.lock();
    if !*woken && !s.shutdown.load(Ordering::SeqCst) {
        cv.wait_for(&mut woken, timeout);
    }
    *woken = false;
}

fn record(s: &Shared, what: &str, e: &crate::Error) {
    tracing::error!(error = %e, "{what} failed");
    *s.background_error.lock() = Some(format!("{what} failed: {e}"));
}

pub(crate) fn flush_loop(s: &Shared) {
    while !s.shutdown.load(Ordering::SeqCst) {
        match crate::flush::flush_oldest(s) {
            Ok(true) => {
                crate::db::wake(s);
                continue;
            }
            Ok(false) => {}
            Err(e) => record(s, "flush", &e),
        }
        wait(s, Duration::from_secs(1));
    }
}

pub(crate) fn compact_loop(s: &Shared) {
    while !s.shutdown.load(Ordering::SeqCst) {
        if let Err(e) = crate::compaction::compact_all(s, false) {
            record(s, "compaction", &e);
        }
        if let Err(e) = crate::rollup::apply_rollups(s) {
            record(s, "rollup", &e);
        }
        if let Err(e) = crate::compaction::apply_retention(s) {
            record(s, "retention", &e);
        }
        wait(s, Duration::from_secs(5));
    }
}
