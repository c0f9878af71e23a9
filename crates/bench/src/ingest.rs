//! The ingest runner: `workers` concurrent keep-alive connections send pre-generated
//! batches in data order (each worker takes the next unsent batch), retrying on `429`/`503`
//! backpressure after `Retry-After`. Reports rows/s and field values/s (a "point" in
//! Strata's and TSBS's counting is one field value), request latency percentiles, and the
//! server's memory when its pid is known.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::batches::Batches;
use crate::error::{BenchError, Result};
use crate::http::HttpClient;
use crate::procmem::{self, ProcMem};
use crate::progress;
use crate::stats::{self, Summary};

/// How to send.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Full write URL, path and query string included.
    pub url: String,
    /// Concurrent connections.
    pub workers: usize,
    /// The server's pid, for `/proc/PID/status`.
    pub server_pid: Option<u32>,
    /// Retries of one batch on backpressure before giving up.
    pub max_retries: u32,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub rows: u64,
    pub values: u64,
    pub bytes: u64,
    pub requests: u64,
    pub retries: u64,
    pub elapsed: Duration,
    pub latency: Summary,
    /// Server memory at the end of the run, and the largest `VmRSS` sampled during it.
    pub server_mem_end: Option<ProcMem>,
    pub server_rss_max_sampled: Option<u64>,
}

impl IngestReport {
    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Field values ("points") per second.
    pub fn values_per_sec(&self) -> f64 {
        self.values as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A human summary, several lines.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "sent {} rows = {} field values ({}) in {} requests over {:.2} s\n\
             throughput: {} field values/s (points/s)  =  {} rows/s  =  {}/s of body\n\
             request latency: {}\n",
            self.rows,
            self.values,
            stats::fmt_bytes(self.bytes),
            self.requests,
            self.elapsed.as_secs_f64(),
            stats::fmt_count(self.values_per_sec()),
            stats::fmt_count(self.rows_per_sec()),
            stats::fmt_bytes((self.bytes as f64 / self.elapsed.as_secs_f64().max(1e-9)) as u64),
            self.latency.line(),
        );
        if self.retries > 0 {
            s.push_str(&format!("backpressure retries: {}\n", self.retries));
        }
        if let Some(m) = self.server_mem_end {
            s.push_str(&format!(
                "server memory: VmRSS {} at the end, {} max sampled, VmHWM (peak) {}\n",
                stats::fmt_bytes(m.rss),
                stats::fmt_bytes(self.server_rss_max_sampled.unwrap_or(m.rss)),
                stats::fmt_bytes(m.hwm)
            ));
        }
        s
    }
}

/// Sends every batch to `opts.url`; fails on the first batch the server refuses for any
/// reason other than backpressure.
pub fn run(rt: &Runtime, opts: &IngestOptions, data: Arc<Batches>) -> Result<IngestReport> {
    rt.block_on(run_async(opts, data))
}

async fn run_async(opts: &IngestOptions, data: Arc<Batches>) -> Result<IngestReport> {
    if opts.workers == 0 {
        return Err(BenchError::Usage("--workers must be > 0".into()));
    }
    let client = HttpClient::new(opts.workers, Duration::from_secs(300));
    let next = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let bar = progress::bar(opts.progress, data.values, "ingest (field values)");
    let format = data.format;

    // Memory sampler.
    let sampler = opts.server_pid.map(|pid| {
        let done = done.clone();
        tokio::spawn(async move {
            let mut max = 0;
            while !done.load(Ordering::Relaxed) {
                if let Some(m) = procmem::read(pid) {
                    max = max.max(m.rss);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            max
        })
    });

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(opts.workers);
    for _ in 0..opts.workers {
        let (client, next, retries, data, bar) = (
            client.clone(),
            next.clone(),
            retries.clone(),
            data.clone(),
            bar.clone(),
        );
        let url = opts.url.clone();
        let max_retries = opts.max_retries;
        tasks.push(tokio::spawn(async move {
            let w = Worker {
                client,
                url,
                format,
                max_retries,
                next: next.clone(),
                retries,
                data,
                bar,
            };
            let result = w.run().await;
            if result.is_err() {
                // Stop the other workers: no batch after this one is taken.
                next.store(usize::MAX / 2, Ordering::Relaxed);
            }
            result
        }));
    }
    let mut latencies = Vec::with_capacity(data.batches.len());
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(l)) => latencies.extend(l),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(BenchError::Usage(format!("worker failed: {e}")));
            }
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    bar.finish_and_clear();
    let server_rss_max_sampled = match sampler {
        Some(s) => s.await.ok(),
        None => None,
    };
    if let Some(e) = first_error {
        return Err(e);
    }
    let server_mem_end = opts.server_pid.and_then(procmem::read);
    let server_rss_max_sampled =
        server_rss_max_sampled.map(|m| m.max(server_mem_end.map_or(0, |e| e.rss)));
    Ok(IngestReport {
        rows: data.rows,
        values: data.values,
        bytes: data.bytes,
        requests: latencies.len() as u64,
        retries: retries.load(Ordering::Relaxed),
        elapsed,
        latency: Summary::of(&latencies),
        server_mem_end,
        server_rss_max_sampled,
    })
}

/// One sender: takes the next unsent batch until none is left.
struct Worker {
    client: HttpClient,
    url: String,
    format: crate::encode::Format,
    max_retries: u32,
    next: Arc<AtomicUsize>,
    retries: Arc<AtomicU64>,
    data: Arc<Batches>,
    bar: indicatif::ProgressBar,
}

impl Worker {
    /// Sends batches; returns the latency of each successful request, in ms.
    async fn run(&self) -> Result<Vec<f64>> {
        let mut latencies = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(batch) = self.data.batches.get(i) else {
                return Ok(latencies);
            };
            let mut attempt = 0;
            loop {
                let t0 = Instant::now();
                let resp = self
                    .client
                    .post(
                        &self.url,
                        self.format.content_type(),
                        self.format.content_encoding(),
                        batch.body.clone(),
                    )
                    .await?;
                let took = t0.elapsed();
                let backpressure = resp.status == 429 || resp.status == 503;
                if backpressure && attempt < self.max_retries {
                    attempt += 1;
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = resp
                        .retry_after
                        .map_or(Duration::from_millis(100), Duration::from_secs);
                    tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
                    continue;
                }
                resp.ok(&self.url).map_err(|e| match e {
                    BenchError::Status { url, status, body } => BenchError::Status {
                        url: format!("{url} (batch {i})"),
                        status,
                        body,
                    },
                    other => other,
                })?;
                latencies.push(stats::ms(took));
                break;
            }
            self.bar
                .inc(u64::from(batch.rows) * crate::data::FIELDS.len() as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;

    use super::*;
    use crate::batches::pregenerate;
    use crate::data::DataSpec;
    use crate::encode::Format;

    /// A server answering each request with `answer(request number)` as the status.
    fn server(rt: &Runtime, answer: fn(u32) -> u16) -> (String, Arc<AtomicU32>) {
        let count = Arc::new(AtomicU32::new(0));
        let seen = count.clone();
        let addr = rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                            let seen = seen.clone();
                            async move {
                                let _ = req.into_body().collect().await;
                                let n = seen.fetch_add(1, Ordering::SeqCst);
                                // A slow server, like a real one: the other workers must see
                                // a refusal before they could have sent everything.
                                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
                                let mut r = Response::new(Full::new(Bytes::from_static(b"{}")));
                                *r.status_mut() = hyper::StatusCode::from_u16(answer(n)).unwrap();
                                r.headers_mut().insert("retry-after", "0".parse().unwrap());
                                Ok::<_, hyper::Error>(r)
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(s), svc)
                            .await;
                    });
                }
            });
            addr
        });
        (format!("http://{addr}/write"), count)
    }

    fn data() -> Arc<Batches> {
        let spec = DataSpec {
            scale: 10,
            start_ms: 0,
            duration_ms: 600_000,
            seed: 1,
            integer_values: false,
        };
        Arc::new(pregenerate(spec, Format::Lp, 50, u64::MAX, false).unwrap())
    }

    fn opts(url: String) -> IngestOptions {
        IngestOptions {
            url,
            workers: 3,
            server_pid: Some(std::process::id()),
            max_retries: 5,
            progress: false,
        }
    }

    #[test]
    fn sends_every_batch_and_retries_backpressure() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (url, count) = server(&rt, |n| if n % 4 == 0 { 503 } else { 204 });
        let data = data();
        let r = run(&rt, &opts(url), data.clone()).unwrap();
        assert_eq!(r.requests, 12, "600 rows in batches of 50");
        assert_eq!((r.rows, r.values), (600, 6000));
        assert!(r.retries >= 3, "every 4th answer was a 503: {}", r.retries);
        assert_eq!(
            u64::from(count.load(Ordering::SeqCst)),
            r.requests + r.retries
        );
        assert_eq!(r.latency.count, 12);
        assert!(r.server_mem_end.is_some_and(|m| m.rss > 0));
    }

    #[test]
    fn stops_on_a_refused_batch() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (url, count) = server(&rt, |n| if n == 2 { 400 } else { 204 });
        let err = run(&rt, &opts(url), data()).unwrap_err();
        assert!(
            matches!(err, BenchError::Status { status: 400, .. }),
            "{err}"
        );
        assert!(
            count.load(Ordering::SeqCst) < 12,
            "the other workers stop taking batches"
        );
    }
}
