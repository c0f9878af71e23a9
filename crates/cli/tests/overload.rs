//! Overload, end to end: writers push far more than the engine can flush (a tiny MemTable and
//! hard cap, and every flush slowed by the hidden test hook) into the real `strata serve`.
//! The server must refuse the excess with `503`/`429` and `Retry-After` rather than buffer
//! it (its resident memory stays bounded), keep answering `/health` and `/query` within a
//! second, and accept writes again once the flushes have caught up, with every acknowledged
//! point readable.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use serde_json::json;

const WRITERS: u64 = 4;
const POINTS_PER_REQUEST: u64 = 500;
const OVERLOAD: Duration = Duration::from_secs(6);
/// Resident memory may grow by at most this much under overload.
const RSS_GROWTH_MAX_MIB: u64 = 64;
/// The writers offer at least this much (several times the memory bound).
const OFFERED_AT_LEAST: u64 = (4 * RSS_GROWTH_MAX_MIB) << 20;

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn body(writer: u64, request: u64) -> String {
    (0..POINTS_PER_REQUEST)
        .map(|i| {
            let ts = (request * POINTS_PER_REQUEST + i) * 1_000;
            format!("ovl,w=w{writer},s=s{} v={}.5 {ts}\n", i % 8, ts % 997)
        })
        .collect()
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    refused: AtomicU64,
    bytes_offered: AtomicU64,
}

#[test]
fn overload_is_refused_with_retry_after_and_memory_stays_bounded() {
    let s = Server::start(&[
        "--memtable-bytes",
        "64KiB",
        "--memtable-hard-cap",
        "256KiB",
        "--test-slow-background-ms",
        "300",
    ]);
    let pid = s.child.as_ref().unwrap().id();
    assert_eq!(s.get("/health").status, 200);
    let baseline_kib = vm_rss_kib(pid);
    assert!(baseline_kib > 0, "cannot read VmRSS of the server");

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let url = s.url("/write?precision=ms");
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (stop, counts, url) = (stop.clone(), counts.clone(), url.clone());
            std::thread::spawn(move || {
                let agent = common::agent();
                let mut acked = Vec::new();
                let mut request = 0;
                while !stop.load(Ordering::SeqCst) {
                    let body = body(w, request);
                    counts
                        .bytes_offered
                        .fetch_add(body.len() as u64, Ordering::Relaxed);
                    let mut r = agent
                        .post(&url)
                        .header("Content-Type", "text/plain")
                        .send(body.as_bytes())
                        .unwrap();
                    let status = r.status().as_u16();
                    let retry = r
                        .headers()
                        .get("retry-after")
                        .map(|v| v.to_str().unwrap().to_string());
                    let text = r.body_mut().read_to_string().unwrap();
                    match status {
                        204 => {
                            counts.ok.fetch_add(1, Ordering::Relaxed);
                            acked.push(request);
                        }
                        503 | 429 => {
                            assert!(text.contains("backpressure"), "{status}: {text}");
                            let secs: u64 = retry
                                .as_deref()
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or_else(|| panic!("{status} without Retry-After: {text}"));
                            assert!((1..=60).contains(&secs), "Retry-After: {secs}");
                            counts.refused.fetch_add(1, Ordering::Relaxed);
                            // A real client would wait `secs`; this one keeps pushing.
                        }
                        _ => panic!("unexpected answer {status}: {text}"),
                    }
                    request += 1;
                }
                acked
            })
        })
        .collect();

    // Meanwhile: memory and responsiveness.
    let started = Instant::now();
    let mut max_rss_kib = baseline_kib;
    let mut slowest_health = Duration::ZERO;
    let mut slowest_query = Duration::ZERO;
    let mut probes = 0;
    // At least OVERLOAD, and until the writers offered several times the memory bound (a slow
    // machine needs longer), at most a minute.
    while started.elapsed() < OVERLOAD
        || (counts.bytes_offered.load(Ordering::Relaxed) < OFFERED_AT_LEAST
            && started.elapsed() < Duration::from_secs(60))
    {
        max_rss_kib = max_rss_kib.max(vm_rss_kib(pid));
        let t = Instant::now();
        let r = s.get("/health");
        slowest_health = slowest_health.max(t.elapsed());
        assert_eq!(r.status, 200, "{}", r.body);
        let t = Instant::now();
        let r = s.post_json(
            "/query",
            &json!({"measurement": "ovl", "start": 0, "end": 1_000_000,
                    "filters": {"w": "w0", "s": "s1"}}),
        );
        slowest_query = slowest_query.max(t.elapsed());
        assert_eq!(r.status, 200, "{}", r.body);
        probes += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::SeqCst);
    let acked: Vec<Vec<u64>> = writers.into_iter().map(|h| h.join().unwrap()).collect();
    max_rss_kib = max_rss_kib.max(vm_rss_kib(pid));

    let ok = counts.ok.load(Ordering::Relaxed);
    let refused = counts.refused.load(Ordering::Relaxed);
    let offered_mib = counts.bytes_offered.load(Ordering::Relaxed) >> 20;
    let growth_mib = max_rss_kib.saturating_sub(baseline_kib) >> 10;
    eprintln!(
        "overload: {ok} writes accepted, {refused} refused with Retry-After, {offered_mib} MiB \
         offered; RSS {} -> max {} MiB; slowest /health {slowest_health:?}, slowest /query \
         {slowest_query:?} over {probes} probes",
        baseline_kib >> 10,
        max_rss_kib >> 10
    );
    assert!(refused > 0, "no backpressure: {ok} writes all accepted");
    assert!(ok > 0, "nothing accepted at all");
    assert!(
        slowest_health < Duration::from_secs(1),
        "/health took {slowest_health:?}"
    );
    assert!(
        slowest_query < Duration::from_secs(1),
        "/query took {slowest_query:?}"
    );
    // What was offered would not fit; what is held stays near the configured caps (256 KiB
    // of MemTables, bodies in flight, allocator slack, the block cache of the probes).
    assert!(
        offered_mib >= OFFERED_AT_LEAST >> 20,
        "the writers offered only {offered_mib} MiB in a minute: not an overload"
    );
    assert!(
        growth_mib < RSS_GROWTH_MAX_MIB,
        "resident memory grew by {growth_mib} MiB under overload"
    );

    // Catching up: writes are accepted again within a few seconds.
    let caught_up = common::wait_for(Duration::from_secs(20), || {
        let r = s.post(
            "/write?precision=ms",
            "text/plain",
            b"ovl,w=after,s=s0 v=1 1000\n",
        );
        (r.status == 204).then_some(())
    });
    assert!(
        caught_up.is_some(),
        "writes still refused after the overload"
    );

    // Every acknowledged point is there.
    for (w, requests) in acked.iter().enumerate() {
        let v = s.query(
            json!({"measurement": "ovl", "start": 0, "end": i64::MAX / 1_000_000,
                               "filters": {"w": format!("w{w}")}, "format": "series"}),
        );
        let have: usize = v["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["timestamps"].as_array().unwrap().len())
            .sum();
        assert_eq!(
            have,
            requests.len() * POINTS_PER_REQUEST as usize,
            "writer {w}: {} requests acknowledged, {have} points stored",
            requests.len()
        );
    }
}
