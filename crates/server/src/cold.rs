//! The cold tier in the server: the configured object store, the background exporter (every
//! `cold_check_interval`, each database in turn, one export at a time; after a failure it
//! retries with exponential backoff, from 2 s up to the interval) and the state `/api/v1/status`
//! reports. `POST /api/v1/admin/export` runs the same export at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use strata_cold::{ExportReport, PlanOptions, Store, export_database};

use crate::config::ServerConfig;
use crate::databases::Databases;
use crate::error::ServerError;

/// See the module documentation.
#[derive(Debug)]
pub struct ColdTier {
    store: Store,
    opts: PlanOptions,
    interval: Duration,
    /// Held while an export runs.
    running: tokio::sync::Mutex<()>,
    status: Mutex<ColdStatus>,
}

/// What the exporter has done since the server started.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ColdStatus {
    pub store: String,
    /// Export runs that committed or had nothing to do.
    pub exports: u64,
    pub failures: u64,
    /// Failed runs since the last success (the backoff grows with it).
    pub consecutive_failures: u64,
    pub last_success_ns: Option<i64>,
    pub last_error: Option<String>,
    /// Database -> the manifest generation last committed by this server.
    pub generations: BTreeMap<String, u64>,
}

impl ColdTier {
    /// The cold tier `config` asks for, or `None` without `object_store`.
    pub fn open(config: &ServerConfig) -> Result<Option<Arc<ColdTier>>, ServerError> {
        let Some(url) = &config.object_store else {
            return Ok(None);
        };
        let store = Store::open(url).map_err(|e| ServerError::Config(e.to_string()))?;
        tracing::info!(store = %url, cold_after = %config.cold_after, "cold tier enabled");
        Ok(Some(Arc::new(ColdTier {
            status: Mutex::new(ColdStatus {
                store: url.clone(),
                ..Default::default()
            }),
            store,
            opts: PlanOptions {
                cold_after: config.cold_after.0,
                grace: config.cold_grace.0,
                retention: config.retention.map(|r| r.0),
                test_pause: config.test_slow_export,
            },
            interval: config.cold_check_interval.0,
            running: tokio::sync::Mutex::new(()),
        })))
    }

    /// Exports every eligible partition of every database now; stops at the first failure
    /// (what was committed before it stays committed).
    pub async fn export_all(
        &self,
        databases: &Databases,
    ) -> Result<Vec<ExportReport>, ServerError> {
        let _one = self.running.lock().await;
        let mut reports = Vec::new();
        for db in databases.all() {
            let now = strata_engine::now_ns();
            match export_database(&self.store, db.name(), db.engine(), &self.opts, now).await {
                Ok(r) => {
                    if let Some(g) = r.generation {
                        self.status.lock().generations.insert(r.database.clone(), g);
                    }
                    reports.push(r);
                }
                Err(e) => {
                    let mut s = self.status.lock();
                    s.failures += 1;
                    s.consecutive_failures += 1;
                    s.last_error = Some(e.to_string());
                    return Err(e.into());
                }
            }
        }
        let mut s = self.status.lock();
        s.exports += 1;
        s.consecutive_failures = 0;
        s.last_success_ns = Some(strata_engine::now_ns());
        s.last_error = None;
        Ok(reports)
    }

    pub fn status(&self) -> ColdStatus {
        self.status.lock().clone()
    }

    /// How long the loop waits before its next run.
    fn next_wait(&self) -> Duration {
        match self.status.lock().consecutive_failures {
            0 => self.interval,
            n => Duration::from_secs(1u64 << n.min(16)).min(self.interval),
        }
    }

    /// Runs the exporter until `stop` turns true.
    pub fn spawn(
        self: Arc<Self>,
        databases: Arc<Databases>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(self.next_wait()) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                if let Err(e) = self.export_all(&databases).await {
                    tracing::warn!(error = %e, retry_in = ?self.next_wait(), "cold export failed");
                }
            }
        });
    }
}
