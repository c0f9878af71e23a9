//! The health of the background jobs: each job's last failure, kept until that job next
//! succeeds, failure and panic counts for `/metrics`, and a log line per failure. Whether
//! writes are refused is not here: only a failed WAL refuses them ([`crate::Engine::read_only_reason`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// A background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackgroundJob {
    Flush,
    Compaction,
    Rollup,
    Retention,
}

impl BackgroundJob {
    pub const ALL: [BackgroundJob; 4] = [
        BackgroundJob::Flush,
        BackgroundJob::Compaction,
        BackgroundJob::Rollup,
        BackgroundJob::Retention,
    ];

    /// The job's name in logs, `/ready` and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            BackgroundJob::Flush => "flush",
            BackgroundJob::Compaction => "compaction",
            BackgroundJob::Rollup => "rollup",
            BackgroundJob::Retention => "retention",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A job whose last run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub job: BackgroundJob,
    /// The last error (or panic message).
    pub error: String,
    /// Runs that failed in a row.
    pub consecutive: u64,
}

/// Counts of one job since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub failures: u64,
    pub panics: u64,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Health {
    failing: Mutex<BTreeMap<BackgroundJob, JobFailure>>,
    failures: [AtomicU64; 4],
    panics: [AtomicU64; 4],
}

impl Health {
    /// Records a failed run of `job`.
    pub fn failed(&self, job: BackgroundJob, error: &crate::Error) {
        tracing::error!(job = job.name(), error = %error, "background {} failed", job.name());
        self.failures[job.index()].fetch_add(1, Ordering::Relaxed);
        self.record(job, error.to_string());
    }

    /// Records a panic in `job` (a bug: the job's thread carries on with the next run).
    pub fn panicked(&self, job: BackgroundJob, message: String) {
        tracing::error!(job = job.name(), panic = %message, "background {} panicked", job.name());
        self.panics[job.index()].fetch_add(1, Ordering::Relaxed);
        self.record(job, format!("panicked: {message}"));
    }

    fn record(&self, job: BackgroundJob, error: String) {
        let mut failing = self.failing.lock();
        let consecutive = failing.get(&job).map_or(0, |f| f.consecutive) + 1;
        failing.insert(
            job,
            JobFailure {
                job,
                error,
                consecutive,
            },
        );
    }

    /// Clears `job`'s failure after a successful run.
    pub fn succeeded(&self, job: BackgroundJob) {
        let mut failing = self.failing.lock();
        if failing.remove(&job).is_some() {
            tracing::info!(job = job.name(), "background {} recovered", job.name());
        }
    }

    /// The jobs whose last run failed.
    pub fn failing(&self) -> Vec<JobFailure> {
        self.failing.lock().values().cloned().collect()
    }

    pub fn counts(&self, job: BackgroundJob) -> JobCounts {
        JobCounts {
            failures: self.failures[job.index()].load(Ordering::Relaxed),
            panics: self.panics[job.index()].load(Ordering::Relaxed),
        }
    }

    /// Panics recorded so far, of every job.
    pub fn panics(&self) -> u64 {
        self.panics.iter().map(|p| p.load(Ordering::Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_lasts_until_that_job_succeeds() {
        let h = Health::default();
        h.failed(BackgroundJob::Rollup, &crate::Error::Config("x".into()));
        h.failed(BackgroundJob::Rollup, &crate::Error::Config("y".into()));
        h.panicked(BackgroundJob::Flush, "boom".into());
        let failing = h.failing();
        assert_eq!(failing.len(), 2);
        assert_eq!(failing[0].job, BackgroundJob::Flush);
        assert_eq!(failing[1].consecutive, 2);
        assert!(failing[1].error.contains('y'));
        h.succeeded(BackgroundJob::Compaction);
        assert_eq!(h.failing().len(), 2, "another job's success clears nothing");
        h.succeeded(BackgroundJob::Rollup);
        assert_eq!(h.failing().len(), 1);
        assert_eq!(
            h.counts(BackgroundJob::Rollup),
            JobCounts {
                failures: 2,
                panics: 0
            }
        );
        assert_eq!(h.panics(), 1);
    }
}
