//! The cold tier in the server: the configured object store, the background exporter (every
//! `cold_check_interval`, each database in turn, one export at a time; after a failure it
//! retries with exponential backoff, from 2 s up to the interval), the offloading of exported
//! partitions past `local_retention` that follows each export, the readers every database's
//! engine reads its exported partitions through (one cache for all), and the state
//! `/api/v1/status` reports. `POST /api/v1/admin/export` runs the same export at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use strata_cold::{
    CacheStats, ColdCaches, ColdReader, ExportReport, PlanOptions, Store, export_database, plan,
};

use crate::config::ServerConfig;
use crate::databases::{Database, Databases};
use crate::error::ServerError;

/// See the module documentation.
#[derive(Debug)]
pub struct ColdTier {
    store: Store,
    /// The same store, with the short retries queries want.
    query_store: Store,
    caches: Arc<ColdCaches>,
    readers: Mutex<HashMap<String, Arc<ColdReader>>>,
    opts: PlanOptions,
    local_retention: Option<Duration>,
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
    /// Partitions whose local copy was dropped since the server started.
    pub offloaded: u64,
    /// The read caches.
    pub cache: CacheStats,
}

impl ColdTier {
    /// The cold tier `config` asks for, or `None` without `object_store`.
    pub fn open(config: &ServerConfig) -> Result<Option<Arc<ColdTier>>, ServerError> {
        let Some(url) = &config.object_store else {
            return Ok(None);
        };
        let config_error = |e: strata_cold::ColdError| ServerError::Config(e.to_string());
        let store = Store::open(url).map_err(config_error)?;
        let query_store = Store::open_for_queries(url).map_err(config_error)?;
        let caches = ColdCaches::new(
            &config.data_dir.join("cold-cache"),
            config.cold_cache_bytes.0,
        )
        .map_err(config_error)?;
        tracing::info!(store = %url, cold_after = %config.cold_after, local_retention = ?config.local_retention.map(|d| d.0), "cold tier enabled");
        Ok(Some(Arc::new(ColdTier {
            query_store,
            caches,
            readers: Mutex::new(HashMap::new()),
            local_retention: config.local_retention.map(|d| d.0),
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

    /// The reader of `database`'s exported partitions.
    fn reader(&self, database: &str) -> Arc<ColdReader> {
        self.readers
            .lock()
            .entry(database.to_string())
            .or_insert_with(|| {
                Arc::new(ColdReader::new(
                    self.query_store.clone(),
                    database,
                    self.caches.clone(),
                    self.opts.retention,
                ))
            })
            .clone()
    }

    /// Makes `db`'s engine read its exported partitions through this tier.
    pub fn attach(&self, db: &Database) {
        db.engine().set_cold_source(self.reader(db.name()));
    }

    /// Drops the local copies `report.manifest` covers and `local_retention` lets go.
    async fn offload(&self, db: &Database, report: &mut ExportReport) -> Result<(), ServerError> {
        let (Some(keep), Some(manifest)) = (self.local_retention, &report.manifest) else {
            return Ok(());
        };
        let engine = db.engine().clone();
        let todo = plan::offload(
            &engine.snapshot().table_metas(),
            manifest,
            strata_engine::now_ns(),
            keep,
        );
        if todo.is_empty() {
            return Ok(());
        }
        let done = tokio::task::spawn_blocking(move || -> Result<usize, ServerError> {
            let mut n = 0;
            for (partition, tables) in todo {
                if engine.offload_partition(partition, &tables)? {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| ServerError::Internal(format!("offload task failed: {e}")))??;
        report.offloaded = done;
        self.status.lock().offloaded += done as u64;
        Ok(())
    }

    /// Exports every eligible partition of every database now, then drops the local copies
    /// past `local_retention`; stops at the first failure (what was committed before it
    /// stays committed).
    pub async fn export_all(
        &self,
        databases: &Databases,
    ) -> Result<Vec<ExportReport>, ServerError> {
        let _one = self.running.lock().await;
        let mut reports = Vec::new();
        for db in databases.all() {
            let now = strata_engine::now_ns();
            let exported =
                export_database(&self.store, db.name(), db.engine(), &self.opts, now).await;
            // The reader learns the new generation before any local copy it covers goes.
            let result = match exported {
                Ok(mut r) => {
                    if let Some(m) = &r.manifest {
                        self.reader(db.name()).set_manifest(m);
                    }
                    self.offload(&db, &mut r).await.map(|()| r)
                }
                Err(e) => Err(e.into()),
            };
            match result {
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
                    return Err(e);
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
        let mut s = self.status.lock().clone();
        s.cache = self.caches.stats();
        s
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
