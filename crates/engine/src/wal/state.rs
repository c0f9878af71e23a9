//! The group-commit bookkeeping shared by all writers (guarded by the WAL's
//! mutex): the pending buffer, batch numbering, who is leader, per-batch
//! failures, and the failed/closed flags.
//!
//! Batches are numbered. Writers append their framed records to the *open*
//! batch (`pending`) and remember its number. A leader takes the open batch
//! (the next one opens), writes it, and marks it completed; batches complete
//! in order because there is only one leader at a time. A writer is done when
//! `completed >= its batch`; a failed batch leaves an entry in `failures`
//! that every writer of that batch reads once.

use std::collections::HashMap;
use std::mem;

use super::active::{ActiveSegment, SegmentError, StoredError};
use super::format::RECORD_HEADER_LEN;
use crate::error::{Error, Result};

/// A spare buffer larger than this is freed instead of reused.
const MAX_SPARE_CAPACITY: usize = 4 << 20;

/// Why a batch failed, kept for every writer of the batch.
#[derive(Debug, Clone)]
pub(crate) enum BatchFailure {
    ReadOnly(String),
    Io(StoredError),
    Closed,
}

impl BatchFailure {
    fn to_error(&self) -> Error {
        match self {
            BatchFailure::ReadOnly(reason) => Error::ReadOnly {
                reason: reason.clone(),
            },
            BatchFailure::Io(stored) => stored.to_error(),
            BatchFailure::Closed => Error::Closed("WAL"),
        }
    }
}

impl From<SegmentError> for BatchFailure {
    fn from(e: SegmentError) -> Self {
        match e {
            SegmentError::Fatal(reason) => BatchFailure::ReadOnly(reason),
            SegmentError::Failed(stored) => BatchFailure::Io(stored),
        }
    }
}

/// A batch taken by a leader.
#[derive(Debug)]
pub(crate) struct Batch {
    id: u64,
    writers: usize,
    pub records: u64,
    pub buf: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct State {
    /// The active segment; `None` while a leader holds it, and after close.
    pub segment: Option<ActiveSegment>,
    /// Sequence number of the active segment (valid while it is held).
    pub current_seq: u64,
    /// A leader (writer, rotation, background sync, close) owns the segment.
    pub leader_active: bool,
    /// Set once an fsync failed: every later write is refused.
    pub failed: Option<String>,
    /// `close` was called: new appends are refused.
    pub closed: bool,
    /// Tells the background sync thread to exit.
    pub stop_background: bool,
    pending: Vec<u8>,
    pending_records: u64,
    open_writers: usize,
    spare: Vec<u8>,
    open_batch: u64,
    completed: u64,
    failures: HashMap<u64, (BatchFailure, usize)>,
}

impl State {
    pub fn new(segment: ActiveSegment) -> Self {
        State {
            current_seq: segment.seq,
            segment: Some(segment),
            leader_active: false,
            failed: None,
            closed: false,
            stop_background: false,
            pending: Vec::new(),
            pending_records: 0,
            open_writers: 0,
            spare: Vec::new(),
            open_batch: 1,
            completed: 0,
            failures: HashMap::new(),
        }
    }

    /// Refuses new writes after a failure or close.
    pub fn check_writable(&self) -> Result<()> {
        if let Some(reason) = &self.failed {
            return Err(Error::ReadOnly {
                reason: reason.clone(),
            });
        }
        if self.closed {
            return Err(Error::Closed("WAL"));
        }
        Ok(())
    }

    /// Enters the failed state (the first reason wins).
    pub fn fail(&mut self, reason: String) {
        if self.failed.is_none() {
            tracing::error!(%reason, "WAL entered the failed state");
            self.failed = Some(reason);
        }
    }

    /// Adds framed records to the open batch; returns the batch number.
    pub fn enqueue(&mut self, payloads: &[&[u8]], headers: &[[u8; RECORD_HEADER_LEN]]) -> u64 {
        for (payload, header) in payloads.iter().zip(headers) {
            self.pending.extend_from_slice(header);
            self.pending.extend_from_slice(payload);
        }
        self.pending_records += payloads.len() as u64;
        self.open_writers += 1;
        self.open_batch
    }

    /// Whether a writer is waiting in the open batch.
    pub fn has_pending(&self) -> bool {
        self.open_writers > 0
    }

    /// Takes the open batch for writing; the next batch opens.
    pub fn take_batch(&mut self) -> Batch {
        let id = self.open_batch;
        self.open_batch += 1;
        let buf = mem::replace(&mut self.pending, mem::take(&mut self.spare));
        Batch {
            id,
            writers: mem::take(&mut self.open_writers),
            records: mem::take(&mut self.pending_records),
            buf,
        }
    }

    /// Records the outcome of a taken batch.
    pub fn finish_batch(&mut self, batch: Batch, result: Result<(), BatchFailure>) {
        if let Err(failure) = result {
            if batch.writers > 0 {
                self.failures.insert(batch.id, (failure, batch.writers));
            }
        }
        self.completed = batch.id;
        let mut buf = batch.buf;
        buf.clear();
        if buf.capacity() <= MAX_SPARE_CAPACITY && buf.capacity() > self.spare.capacity() {
            self.spare = buf;
        }
    }

    /// The outcome for a writer of batch `id`, or `None` if it is not done.
    /// Each writer must call this until it returns `Some`, exactly once after.
    pub fn outcome(&mut self, id: u64) -> Option<Result<()>> {
        if self.completed < id {
            return None;
        }
        let Some((failure, remaining)) = self.failures.get_mut(&id) else {
            return Some(Ok(()));
        };
        let err = failure.to_error();
        *remaining = remaining.saturating_sub(1);
        if *remaining == 0 {
            self.failures.remove(&id);
        }
        Some(Err(err))
    }
}
