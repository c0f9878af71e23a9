//! The one summary table: each metric for Strata and each peer, with the ratio Strata/peer.

use std::collections::BTreeMap;

use super::check::Check;
use super::{CompareOptions, System, SystemRun};
use crate::query::QueryType;
use crate::report::{markdown_table, ratio};
use crate::stats::{fmt_bytes, fmt_count, fmt_ms};

pub(super) fn mem_cell(r: &SystemRun, peak: bool) -> Option<u64> {
    let m = r.ingest.as_ref()?.server_mem_end?;
    Some(if peak { m.hwm } else { m.rss })
}

/// The main table: Strata (line protocol) against every queried peer.
pub(super) fn table(
    opts: &CompareOptions,
    runs: &[SystemRun],
    checks: &BTreeMap<System, BTreeMap<QueryType, Check>>,
) -> String {
    let strata = runs.iter().find(|r| r.system == System::Strata);
    let peers: Vec<&SystemRun> = runs
        .iter()
        .filter(|r| r.system != System::Strata && !r.system.remote_write_run())
        .collect();
    table_of(opts, System::Strata, strata, &peers, Some(checks))
}

/// The remote-write table: Strata against VictoriaMetrics, both loaded Prometheus-style
/// (ingest, size and memory; no queries). `None` without both runs.
pub(super) fn remote_write_table(opts: &CompareOptions, runs: &[SystemRun]) -> Option<String> {
    let strata = runs.iter().find(|r| r.system == System::StrataRw)?;
    let peers: Vec<&SystemRun> = runs
        .iter()
        .filter(|r| r.system == System::VictoriametricsRw)
        .collect();
    Some(table_of(opts, System::StrataRw, Some(strata), &peers, None))
}

/// Each metric for `base` and each peer, with the ratio base/peer; query rows when `checks`
/// are given.
fn table_of(
    opts: &CompareOptions,
    base_system: System,
    strata: Option<&SystemRun>,
    peers: &[&SystemRun],
    checks: Option<&BTreeMap<System, BTreeMap<QueryType, Check>>>,
) -> String {
    let base = base_system.name();
    let mut header = vec!["metric".to_string(), base.to_string()];
    for p in peers {
        header.push(format!("{} {}", p.system.name(), short_version(&p.version)));
        header.push(format!("{base}/{}", p.system.name()));
    }
    let mut rows = Vec::new();
    type Metric<'a> = (
        &'a str,
        Box<dyn Fn(&SystemRun) -> Option<f64> + 'a>,
        Box<dyn Fn(f64) -> String + 'a>,
    );
    let values = opts.data.values() as f64;
    let metrics: Vec<Metric> = vec![
        (
            "ingest, field values/s (points/s)",
            Box::new(|r: &SystemRun| r.ingest.as_ref().map(|i| i.values_per_sec())),
            Box::new(fmt_count),
        ),
        (
            "ingest, rows/s",
            Box::new(|r: &SystemRun| r.ingest.as_ref().map(|i| i.rows_per_sec())),
            Box::new(fmt_count),
        ),
        (
            "ingest request p99",
            Box::new(|r: &SystemRun| r.ingest.as_ref().map(|i| i.latency.p99)),
            Box::new(fmt_ms),
        ),
        (
            "disk bytes/value, settled (server up)",
            Box::new(move |r: &SystemRun| {
                r.settled
                    .as_ref()
                    .map(|s| s.total.allocated as f64 / values)
            }),
            Box::new(|v| format!("{v:.3}")),
        ),
        (
            "disk bytes/value, after stop",
            Box::new(move |r: &SystemRun| {
                r.stopped
                    .as_ref()
                    .map(|s| s.total.allocated as f64 / values)
            }),
            Box::new(|v| format!("{v:.3}")),
        ),
        (
            "server RSS after ingest",
            Box::new(|r: &SystemRun| mem_cell(r, false).map(|b| b as f64)),
            Box::new(|v| fmt_bytes(v as u64)),
        ),
        (
            "server peak RSS (VmHWM)",
            Box::new(|r: &SystemRun| mem_cell(r, true).map(|b| b as f64)),
            Box::new(|v| fmt_bytes(v as u64)),
        ),
    ];
    for (name, get, fmt) in &metrics {
        let s = strata.and_then(get);
        let mut row = vec![name.to_string(), s.map_or("n/a".into(), fmt)];
        for p in peers {
            let v = get(p);
            row.push(v.map_or("n/a".into(), fmt));
            row.push(ratio(s, v));
        }
        rows.push(row);
    }
    let Some(checks) = checks else {
        return markdown_table(&header, &rows);
    };
    for kind in &opts.types {
        let s = strata
            .and_then(|r| r.queries.get(kind))
            .map(|o| o.latency.p50);
        let mut row = vec![
            format!("query p50 {}", kind.name()),
            s.map_or("n/a".into(), fmt_ms),
        ];
        for p in peers {
            let v = p.queries.get(kind).map(|o| o.latency.p50);
            let check = checks.get(&p.system).and_then(|c| c.get(kind));
            let tag = match check {
                Some(c) if c.equal == c.total && c.empty == c.total => " (all empty!)".to_string(),
                Some(c) if c.equal == c.total => format!(" (={}/{})", c.equal, c.total),
                Some(c) => format!(" (MISMATCH {}/{})", c.total - c.equal, c.total),
                None => String::new(),
            };
            row.push(v.map_or("n/a".into(), |v| format!("{}{tag}", fmt_ms(v))));
            row.push(ratio(s, v));
        }
        rows.push(row);
    }
    markdown_table(&header, &rows)
}

pub(super) fn short_version(v: &str) -> String {
    v.split_whitespace()
        .find(|w| {
            w.trim_start_matches('v')
                .starts_with(|c: char| c.is_ascii_digit())
        })
        .unwrap_or(v)
        .trim_start_matches('v')
        .trim_end_matches(',')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            short_version("InfluxDB v1.6.7~rc0 (git: unknown unknown)"),
            "1.6.7~rc0"
        );
        assert_eq!(
            short_version("prometheus, version 2.42.0+ds (branch: x)"),
            "2.42.0+ds"
        );
        assert_eq!(short_version("strata 0.1.0"), "0.1.0");
    }
}
