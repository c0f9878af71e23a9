//! The [`SyncPolicy::Interval`](super::SyncPolicy::Interval) thread: fsyncs
//! the active segment every interval if it has unsynced data, until close.
//!
//! It takes the leader role for the fsync (writers arriving meanwhile queue
//! up and go out as one batch afterwards). A failed fsync puts the WAL in the
//! failed state, exactly as a failed fsync in `append` does.

use std::time::{Duration, Instant};

use super::active::{ActiveSegment, SegmentError};
use super::writer::Shared;

impl Shared {
    /// Body of the [`SyncPolicy::Interval`] thread: fsync the active segment
    /// every `interval` if it has unsynced data, until close.
    pub(super) fn background_sync(&self, interval: Duration) {
        let mut st = self.state.lock();
        loop {
            let deadline = Instant::now().checked_add(interval);
            loop {
                if st.stop_background {
                    return;
                }
                match deadline {
                    Some(d) if Instant::now() >= d => break,
                    Some(d) => {
                        self.tick.wait_until(&mut st, d);
                    }
                    None => self.tick.wait(&mut st),
                }
            }
            while st.leader_active && !st.stop_background {
                self.turn.wait(&mut st);
            }
            if st.stop_background {
                return;
            }
            let dirty = st.segment.as_ref().is_some_and(ActiveSegment::is_dirty);
            if st.failed.is_some() || !dirty {
                continue;
            }
            let result = self.with_segment(&mut st, |seg| seg.sync(&self.counters));
            if let Some(Err(err)) = result {
                let reason = match err {
                    SegmentError::Fatal(reason) => reason,
                    SegmentError::Failed(e) => e.to_error().to_string(),
                };
                st.fail(reason);
            }
        }
    }
}
