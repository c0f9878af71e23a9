//! [`Wal`]: the write-ahead log handle. Open (recovery), append with
//! leader/follower group commit, rotation, segment removal, close.
//!
//! Group commit: a writer frames its records (checksums are computed before
//! taking the lock), appends them to the shared pending buffer and waits. If
//! no leader is active, it becomes the leader: it takes the whole pending
//! buffer, releases the lock, writes it with one write call and (under
//! [`SyncPolicy::Always`]) one fsync, re-takes the lock, publishes the
//! outcome for every writer of that batch and wakes them. Writers that
//! arrived during that I/O form the next batch, so concurrent writers share
//! fsyncs. Rotation, the background sync and close take the same leader role
//! so the segment always has a single owner.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, MutexGuard};
use tracing::{debug, error, info, warn};

use super::active::{ActiveSegment, SegmentError};
use super::format::record_header;
use super::options::{SyncPolicy, WalOptions};
use super::recovery::{RecoveryReport, recover};
use super::segment::list_segments;
use super::state::{Batch, BatchFailure, State};
use super::stats::{Counters, WalStats};
use crate::error::{Error, Result};
use crate::io::FileSystem;

/// The write-ahead log. `Send + Sync`: share it with `Arc<Wal>`.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    background: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
pub(super) struct Shared {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    options: WalOptions,
    pub(super) state: Mutex<State>,
    /// Wakes writers waiting for their batch or for the leader role.
    pub(super) turn: Condvar,
    /// Wakes the background sync thread early (on close).
    pub(super) tick: Condvar,
    pub(super) counters: Counters,
}

impl Wal {
    /// Opens (creating if needed) the WAL in `dir`, replays every record in
    /// order through `replay(segment_seq, payload)`, then starts a new segment
    /// for new writes.
    ///
    /// A torn tail of the last segment is truncated with a warning. Corruption
    /// anywhere else fails with [`Error::Corrupt`] (naming the segment and the
    /// offset) unless [`WalOptions::salvage`] is set. An error returned by
    /// `replay` aborts the open and is returned as is. If open fails, records
    /// already replayed must be discarded by the caller.
    pub fn open<F>(
        fs: Arc<dyn FileSystem>,
        dir: impl Into<PathBuf>,
        options: WalOptions,
        mut replay: F,
    ) -> Result<(Wal, RecoveryReport)>
    where
        F: FnMut(u64, &[u8]) -> Result<()>,
    {
        options.validate()?;
        let dir = dir.into();
        let recovered = recover(&*fs, &dir, &options, &mut replay)?;
        let counters = Counters::default();
        let segment = ActiveSegment::pending(&dir, recovered.next_seq);
        info!(dir = %dir.display(), segment = segment.seq, sync = %options.sync, "WAL opened");
        let shared = Arc::new(Shared {
            fs,
            dir,
            options,
            state: Mutex::new(State::new(segment)),
            turn: Condvar::new(),
            tick: Condvar::new(),
            counters,
        });
        let background = match shared.options.sync {
            SyncPolicy::Interval(interval) => {
                let bg = Arc::clone(&shared);
                let handle = std::thread::Builder::new()
                    .name("strata-wal-sync".into())
                    .spawn(move || bg.background_sync(interval))
                    .map_err(|e| Error::io("spawn WAL sync thread for", &shared.dir, e))?;
                Some(handle)
            }
            SyncPolicy::Always | SyncPolicy::None => None,
        };
        let wal = Wal {
            shared,
            background: Mutex::new(background),
        };
        Ok((wal, recovered.report))
    }

    /// Appends one record. Returns once it is durable according to the sync
    /// policy ([`SyncPolicy::Always`]: fsynced). Empty payloads and payloads
    /// over [`WalOptions::max_record_size`] are rejected. After an fsync
    /// failure this returns [`Error::ReadOnly`], forever.
    pub fn append(&self, payload: &[u8]) -> Result<()> {
        self.append_batch(&[payload])
    }

    /// Appends several records, contiguously and in order, acknowledged
    /// together. Not atomic across a crash: a prefix of them may survive
    /// (encode one write batch as one record when atomicity matters).
    pub fn append_batch(&self, payloads: &[&[u8]]) -> Result<()> {
        if payloads.is_empty() {
            return Ok(());
        }
        for payload in payloads {
            self.check_payload(payload)?;
        }
        let headers: Vec<_> = payloads.iter().map(|p| record_header(p)).collect();
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        st.check_writable()?;
        let batch = st.enqueue(payloads, &headers);
        loop {
            if let Some(outcome) = st.outcome(batch) {
                return outcome;
            }
            if st.leader_active {
                shared.turn.wait(&mut st);
            } else {
                shared.lead(&mut st);
            }
        }
    }

    /// Fsyncs and closes the current segment and starts a new one; returns
    /// the new segment's sequence number. Every record acknowledged before
    /// this call is in a segment below the returned number. The new segment's
    /// file is created by its first write, so rotating writes nothing on a full
    /// disk; a number handed out and never written to may be handed out again
    /// by the next open.
    pub fn rotate(&self) -> Result<u64> {
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        loop {
            st.check_writable()?;
            if !st.leader_active {
                break;
            }
            shared.turn.wait(&mut st);
        }
        let counters = &shared.counters;
        let result = shared
            .with_segment(&mut st, |seg| seg.rotate(&shared.dir, counters))
            .ok_or(Error::Closed("WAL"))?;
        match result {
            Ok(()) => Ok(st.current_seq),
            Err(SegmentError::Fatal(reason)) => {
                st.fail(reason.clone());
                Err(Error::ReadOnly { reason })
            }
            Err(failed) => Err(failed.into_error()),
        }
    }

    /// Deletes the segment files with a sequence number below `seq` (their
    /// records are durable elsewhere). `seq` may not exceed the current
    /// segment. Returns how many files were removed.
    pub fn remove_segments_before(&self, seq: u64) -> Result<usize> {
        let current = self.current_segment();
        if seq > current {
            return Err(Error::InvalidArgument(format!(
                "cannot remove WAL segments before {seq}: the current segment is {current}"
            )));
        }
        let fs = &*self.shared.fs;
        let dir = &self.shared.dir;
        let mut removed = 0;
        for (s, path) in list_segments(fs, dir)?.live {
            if s < seq {
                fs.remove_file(&path)?;
                removed += 1;
            }
        }
        if removed > 0 {
            fs.sync_dir(dir)?;
            debug!(dir = %dir.display(), before = seq, removed, "removed WAL segments");
        }
        Ok(removed)
    }

    /// Sequence number of the segment new records go to.
    pub fn current_segment(&self) -> u64 {
        self.shared.state.lock().current_seq
    }

    /// Counters since open.
    pub fn stats(&self) -> WalStats {
        self.shared.counters.snapshot()
    }

    /// Why the WAL stopped accepting writes, if it did.
    pub fn failure(&self) -> Option<String> {
        self.shared.state.lock().failed.clone()
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options the WAL was opened with.
    pub fn options(&self) -> &WalOptions {
        &self.shared.options
    }

    /// Stops the background sync thread, finishes appends in flight, fsyncs
    /// the current segment and closes it. Later appends fail with
    /// [`Error::Closed`]. Idempotent. Returns [`Error::ReadOnly`] if the WAL
    /// had failed (nothing is synced then) or the final fsync fails.
    pub fn close(&self) -> Result<()> {
        let shared = &*self.shared;
        {
            let mut st = shared.state.lock();
            st.closed = true;
            st.stop_background = true;
        }
        shared.tick.notify_all();
        shared.turn.notify_all();
        if let Some(handle) = self.background.lock().take() {
            if handle.join().is_err() {
                error!("WAL background sync thread panicked");
            }
        }
        let mut st = shared.state.lock();
        // Writers that got in before `closed` was set are still owed an answer.
        loop {
            if st.leader_active {
                shared.turn.wait(&mut st);
            } else if st.has_pending() {
                shared.lead(&mut st);
            } else {
                break;
            }
        }
        if st.segment.is_none() {
            return Ok(());
        }
        if let Some(reason) = st.failed.clone() {
            st.segment = None;
            return Err(Error::ReadOnly { reason });
        }
        let counters = &shared.counters;
        let result = shared.with_segment(&mut st, |seg| seg.sync(counters));
        st.segment = None;
        match result {
            Some(Err(SegmentError::Fatal(reason))) => {
                st.fail(reason.clone());
                Err(Error::ReadOnly { reason })
            }
            Some(Err(failed)) => Err(failed.into_error()),
            Some(Ok(())) | None => {
                debug!(dir = %shared.dir.display(), "WAL closed");
                Ok(())
            }
        }
    }

    fn check_payload(&self, payload: &[u8]) -> Result<()> {
        if payload.is_empty() {
            return Err(Error::InvalidArgument(
                "WAL records must not be empty".into(),
            ));
        }
        let limit = self.shared.options.max_record_size;
        if payload.len() as u64 > u64::from(limit) {
            return Err(Error::TooLarge {
                what: "WAL record",
                size: payload.len() as u64,
                limit: u64::from(limit),
            });
        }
        Ok(())
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        if let Err(err) = self.close() {
            warn!(error = %err, "closing the WAL on drop failed");
        }
    }
}

impl Shared {
    /// Runs `op` on the active segment as leader, with the lock released.
    /// The caller checked `!leader_active`. `None` if the WAL is closed.
    pub(super) fn with_segment<R>(
        &self,
        st: &mut MutexGuard<'_, State>,
        op: impl FnOnce(&mut ActiveSegment) -> R,
    ) -> Option<R> {
        let mut seg = st.segment.take()?;
        st.leader_active = true;
        let (result, seg) = MutexGuard::unlocked(st, move || {
            let result = op(&mut seg);
            (result, seg)
        });
        st.current_seq = seg.seq;
        st.segment = Some(seg);
        st.leader_active = false;
        self.turn.notify_all();
        Some(result)
    }

    /// Leads one group commit: takes the open batch, writes it, publishes
    /// the outcome. The caller checked `!leader_active`.
    fn lead(&self, st: &mut MutexGuard<'_, State>) {
        let batch = st.take_batch();
        let result = match st.failed.clone() {
            Some(reason) => Err(BatchFailure::ReadOnly(reason)),
            None => match self.with_segment(st, |seg| self.write_batch(seg, &batch)) {
                None => Err(BatchFailure::Closed),
                Some(Ok(None)) => Ok(()),
                Some(Ok(Some(reason))) => {
                    // The batch is durable per the policy; the rotation after
                    // it failed to fsync, so nothing more is accepted.
                    st.fail(reason);
                    Ok(())
                }
                Some(Err(err)) => {
                    if let SegmentError::Fatal(reason) = &err {
                        st.fail(reason.clone());
                    }
                    Err(BatchFailure::from(err))
                }
            },
        };
        st.finish_batch(batch, result);
        self.turn.notify_all();
    }

    /// Writes one batch (and fsyncs it under [`SyncPolicy::Always`]), then
    /// rotates if the segment is full. `Ok(Some(reason))`: the batch made it,
    /// but the rotation's fsync failed and the WAL must fail.
    fn write_batch(
        &self,
        seg: &mut ActiveSegment,
        batch: &Batch,
    ) -> Result<Option<String>, SegmentError> {
        seg.write(&*self.fs, &batch.buf, &self.counters)?;
        if self.options.sync == SyncPolicy::Always {
            seg.sync(&self.counters)?;
        }
        self.counters.batch(batch.records);
        if seg.len() >= self.options.segment_size {
            match seg.rotate(&self.dir, &self.counters) {
                Ok(()) => {}
                Err(SegmentError::Fatal(reason)) => return Ok(Some(reason)),
                Err(SegmentError::Failed(e)) => warn!(
                    error = %e.to_error(),
                    "automatic WAL segment rotation failed; retrying after the next write"
                ),
            }
        }
        Ok(None)
    }
}
