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

/// True once no write has arrived for `limit`.
fn idle(s: &Shared, limit: Option<Duration>) -> bool {
    limit.is_some_and(|l| crate::db::idle_for(s) >= l)
}

fn clear(s: &Shared, what: &str) {
    let mut e = s.background_error.lock();
    if e.as_deref().is_some_and(|m| m.starts_with(what)) {
        *e = None;
    }
}

pub(crate) fn flush_loop(s: &Shared) {
    while !s.shutdown.load(Ordering::SeqCst) {
        if idle(s, s.opts.flush_idle) && !s.mem.read().active.is_empty() {
            if let Err(e) = crate::db::rotate(s) {
                record(s, "flush", &e);
            }
        }
        match crate::flush::flush_oldest(s) {
            Ok(true) => {
                clear(s, "flush");
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
        // A partition with enough L0 files compacts at once; when writes have stopped,
        // every partition compacts down to one file.
        match crate::compaction::compact_all(s, idle(s, s.opts.compact_idle)) {
            Ok(()) => clear(s, "compaction"),
            Err(e) => record(s, "compaction", &e),
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
