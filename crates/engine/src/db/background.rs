//! The background threads: the flusher turns frozen MemTables into L0 tables; the compactor
//! merges partitions, writes rollups and applies retention. Each run's outcome goes to the
//! [`Health`](super::health::Health) record (a failure stays there until that job next
//! succeeds); a run that panics is caught, recorded as that job's failure and counted, and
//! the thread carries on. A flush that fails is retried (its MemTable and WAL segments are
//! still there).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::health::BackgroundJob;
use super::maintenance::{apply_retention, apply_rollups, compact, flush_oldest};
use super::state::Shared;
use crate::error::Result;

/// Sleeps until woken or `timeout` passes.
fn wait(s: &Shared, timeout: Duration) {
    let (lock, cv) = &s.wake;
    let mut woken = lock.lock();
    if !*woken && !s.stopping() {
        cv.wait_for(&mut woken, timeout);
    }
    *woken = false;
}

/// Runs one job, recording its outcome; `None` if it failed or panicked.
fn run<T>(s: &Shared, job: BackgroundJob, f: impl FnOnce() -> Result<T>) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => {
            s.health.succeeded(job);
            Some(v)
        }
        Ok(Err(e)) => {
            s.health.failed(job, &e);
            None
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|m| m.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            s.health.panicked(job, message);
            None
        }
    }
}

/// True once no write has arrived for `limit`.
fn idle(s: &Shared, limit: Option<Duration>) -> bool {
    limit.is_some_and(|l| s.idle_for() >= l)
}

pub(super) fn flush_loop(s: &Shared) {
    while !s.stopping() {
        let flushed = run(s, BackgroundJob::Flush, || {
            if idle(s, s.opts.flush_idle) && !s.mem.read().active.is_empty() {
                s.rotate()?;
            }
            flush_oldest(s)
        });
        if flushed == Some(true) {
            s.wake();
            continue;
        }
        wait(s, Duration::from_secs(1));
    }
}

pub(super) fn compact_loop(s: &Shared) {
    while !s.stopping() {
        // A partition with enough L0 files compacts at once; when writes have stopped,
        // every partition compacts down to one file.
        run(s, BackgroundJob::Compaction, || {
            compact(s, idle(s, s.opts.compact_idle))
        });
        run(s, BackgroundJob::Rollup, || apply_rollups(s));
        run(s, BackgroundJob::Retention, || apply_retention(s));
        wait(s, Duration::from_secs(5));
    }
}
