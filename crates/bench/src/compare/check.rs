//! Every peer's answers against Strata's (and InfluxDB's against Prometheus'): equal within
//! a tolerance, restricted to what PromQL returns; each difference printed loudly.

use std::collections::BTreeMap;

use super::{CompareOptions, System, SystemRun};
use crate::query::result::diff;
use crate::query::{QuerySpec, QueryType, promql};
use crate::timefmt::format_rfc3339;

/// Agreement of one peer with Strata on one query type.
#[derive(Debug, Clone, Default)]
pub struct Check {
    pub equal: usize,
    pub total: usize,
    pub empty: usize,
}

/// Compares `peer`'s answers with `base`'s (Strata's, or InfluxDB's for the peer-to-peer
/// sanity check); prints each mismatch loudly.
pub(super) fn check(
    opts: &CompareOptions,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    base: &SystemRun,
    peer: &SystemRun,
) -> BTreeMap<QueryType, Check> {
    let mut out = BTreeMap::new();
    for (kind, specs) in plans {
        let (Some(s), Some(p)) = (base.queries.get(kind), peer.queries.get(kind)) else {
            continue;
        };
        let mut c = Check::default();
        for (i, spec) in specs.iter().enumerate() {
            let (Some(sr), Some(pr)) = (s.results.get(i), p.results.get(i)) else {
                continue;
            };
            let dialect = match peer.system {
                System::Victoriametrics => Some(promql::Dialect::MetricsQl),
                System::Prometheus => Some(promql::Dialect::Prometheus),
                _ => None,
            };
            let expected = if let Some(dialect) = dialect {
                let pq = promql::query(spec, dialect);
                let e = sr.restrict_fields(&pq.fields);
                if pq.timestamps {
                    e
                } else {
                    e.without_timestamps()
                }
            } else {
                sr.clone()
            };
            c.total += 1;
            if expected.rows.is_empty() && pr.rows.is_empty() {
                c.empty += 1;
            }
            match diff(&expected, pr, opts.tolerance) {
                None => c.equal += 1,
                Some(d) => {
                    println!(
                        "\n!!!!!!!! RESULT MISMATCH: {} vs {} on {} query #{i} ({} hosts {:?}, {} .. {}):\n  {}",
                        base.system.name(),
                        peer.system.name(),
                        kind.name(),
                        spec.hosts.len(),
                        spec.hosts.iter().take(3).collect::<Vec<_>>(),
                        format_rfc3339(spec.start_ms),
                        format_rfc3339(spec.end_ms),
                        d.trim_end()
                    );
                }
            }
        }
        out.insert(*kind, c);
    }
    out
}
