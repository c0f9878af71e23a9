//! The TSBS `devops` query types, planned once as a system-neutral [`QuerySpec`] (random
//! hosts and windows from a seed, inside the data's time range) and then expressed for each
//! system: Strata's `/query` JSON ([`strata`]), InfluxQL ([`influxql`]) and PromQL
//! ([`promql`]). Results are normalised to [`result::QueryResult`] so that systems can be
//! checked against each other.
//!
//! Windows are aligned to their aggregation interval (a minute or an hour), counted from the
//! data's start, so every system buckets the same points. Random choices follow TSBS:
//! a window of the type's length placed uniformly inside the data, hosts drawn without
//! replacement.

pub mod influxql;
pub mod promql;
pub mod result;
pub mod strata;

use crate::data::{DataSpec, FIELDS, hostname};
use crate::rng::Rng;
use crate::timefmt::{HOUR_MS, MINUTE_MS};

/// A TSBS query type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum QueryType {
    /// Max of 1 field, 1 random host, a random hour, per minute.
    #[value(name = "single-groupby-1-1-1")]
    SingleGroupby111,
    /// Max of 5 fields, 8 random hosts (together), a random hour, per minute.
    #[value(name = "single-groupby-5-8-1")]
    SingleGroupby581,
    /// Mean of 1 field per host per hour, all hosts, a random 12 hours.
    #[value(name = "double-groupby-1")]
    DoubleGroupby1,
    /// Rows of 1 random host with usage_user > 90 in a random 12 hours.
    #[value(name = "high-cpu-1")]
    HighCpu1,
    /// The last row of every host.
    #[value(name = "lastpoint")]
    Lastpoint,
    /// Max of all 10 fields per hour, 8 random hosts (together), a random 8 hours.
    #[value(name = "cpu-max-all-8")]
    CpuMaxAll8,
    /// Max of usage_user per minute over all hosts, the last 5 minutes before a random end,
    /// newest first, 5 windows.
    #[value(name = "groupby-orderby-limit")]
    GroupbyOrderbyLimit,
}

impl QueryType {
    /// Every type, in TSBS's usual order.
    pub const ALL: [QueryType; 7] = [
        QueryType::SingleGroupby111,
        QueryType::SingleGroupby581,
        QueryType::DoubleGroupby1,
        QueryType::HighCpu1,
        QueryType::Lastpoint,
        QueryType::CpuMaxAll8,
        QueryType::GroupbyOrderbyLimit,
    ];

    /// The TSBS name.
    pub fn name(self) -> &'static str {
        match self {
            QueryType::SingleGroupby111 => "single-groupby-1-1-1",
            QueryType::SingleGroupby581 => "single-groupby-5-8-1",
            QueryType::DoubleGroupby1 => "double-groupby-1",
            QueryType::HighCpu1 => "high-cpu-1",
            QueryType::Lastpoint => "lastpoint",
            QueryType::CpuMaxAll8 => "cpu-max-all-8",
            QueryType::GroupbyOrderbyLimit => "groupby-orderby-limit",
        }
    }
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Max,
    Mean,
}

impl Agg {
    /// The name in Strata's API and in InfluxQL.
    pub fn name(self) -> &'static str {
        match self {
            Agg::Max => "max",
            Agg::Mean => "mean",
        }
    }
}

/// One query, independent of the system that runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    pub kind: QueryType,
    /// Fields asked for.
    pub fields: Vec<&'static str>,
    /// Hosts to restrict to; empty means every host.
    pub hosts: Vec<String>,
    /// `start <= t < end`, ms.
    pub start_ms: i64,
    pub end_ms: i64,
    /// Windowed aggregate: function and window width in ms.
    pub aggregate: Option<(Agg, i64)>,
    /// Results per host (else the selected hosts are folded together).
    pub per_host: bool,
    /// Newest first.
    pub desc: bool,
    /// Points per series/group.
    pub limit: Option<u32>,
    /// Keep only rows whose `usage_user` exceeds this (TSBS high-cpu).
    pub usage_user_above: Option<f64>,
}

/// Plans queries from a seed over a data set's time range and hosts.
#[derive(Debug, Clone)]
pub struct Planner {
    data: DataSpec,
    rng: Rng,
}

impl Planner {
    /// A planner for data `data`, random choices from `seed`.
    pub fn new(data: DataSpec, seed: u64) -> Planner {
        Planner {
            data,
            rng: Rng::new(seed, 0x0051_5545_5259),
        }
    }

    /// `n` distinct random hosts (all hosts if the data has fewer).
    fn hosts(&mut self, n: usize) -> Vec<String> {
        let scale = self.data.scale as usize;
        let mut ids: Vec<u32> = (0..self.data.scale).collect();
        let n = n.min(scale);
        for i in 0..n {
            let j = i + self.rng.below((scale - i) as u64) as usize;
            ids.swap(i, j);
        }
        ids[..n].iter().map(|&id| hostname(id)).collect()
    }

    /// A random window of `len` ms inside the data, starting on a multiple of `align` after
    /// the data's start (the whole range when the data is shorter).
    fn window(&mut self, len: i64, align: i64) -> (i64, i64) {
        let (start, end) = (self.data.start_ms, self.data.end_ms());
        if end - start <= len {
            return (start, end);
        }
        let slots = (end - start - len) / align + 1;
        let s = start + self.rng.below(slots as u64) as i64 * align;
        (s, s + len)
    }

    /// The next query of `kind`.
    pub fn plan(&mut self, kind: QueryType) -> QuerySpec {
        let mut q = QuerySpec {
            kind,
            fields: vec![FIELDS[0]],
            hosts: Vec::new(),
            start_ms: self.data.start_ms,
            end_ms: self.data.end_ms(),
            aggregate: None,
            per_host: false,
            desc: false,
            limit: None,
            usage_user_above: None,
        };
        match kind {
            QueryType::SingleGroupby111 | QueryType::SingleGroupby581 => {
                let (nf, nh) = if kind == QueryType::SingleGroupby111 {
                    (1, 1)
                } else {
                    (5, 8)
                };
                q.fields = FIELDS[..nf].to_vec();
                q.hosts = self.hosts(nh);
                (q.start_ms, q.end_ms) = self.window(HOUR_MS, MINUTE_MS);
                q.aggregate = Some((Agg::Max, MINUTE_MS));
            }
            QueryType::DoubleGroupby1 => {
                (q.start_ms, q.end_ms) = self.window(12 * HOUR_MS, HOUR_MS);
                q.aggregate = Some((Agg::Mean, HOUR_MS));
                q.per_host = true;
            }
            QueryType::HighCpu1 => {
                q.fields = FIELDS.to_vec();
                q.hosts = self.hosts(1);
                (q.start_ms, q.end_ms) = self.window(12 * HOUR_MS, MINUTE_MS);
                q.per_host = true;
                q.usage_user_above = Some(90.0);
            }
            QueryType::Lastpoint => {
                q.fields = FIELDS.to_vec();
                q.per_host = true;
                q.desc = true;
                q.limit = Some(1);
            }
            QueryType::CpuMaxAll8 => {
                q.fields = FIELDS.to_vec();
                q.hosts = self.hosts(8);
                (q.start_ms, q.end_ms) = self.window(8 * HOUR_MS, HOUR_MS);
                q.aggregate = Some((Agg::Max, HOUR_MS));
            }
            QueryType::GroupbyOrderbyLimit => {
                (q.start_ms, q.end_ms) = self.window(5 * MINUTE_MS, MINUTE_MS);
                q.aggregate = Some((Agg::Max, MINUTE_MS));
                q.desc = true;
                q.limit = Some(5);
            }
        }
        q
    }

    /// `runs` queries of `kind`.
    pub fn plan_many(&mut self, kind: QueryType, runs: usize) -> Vec<QuerySpec> {
        (0..runs).map(|_| self.plan(kind)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::DAY_MS;

    pub(crate) fn data() -> DataSpec {
        DataSpec {
            scale: 100,
            start_ms: 1_451_606_400_000,
            duration_ms: DAY_MS,
            seed: 1,
            integer_values: false,
        }
    }

    #[test]
    fn windows_and_hosts_are_inside_the_data() {
        let d = data();
        let mut p = Planner::new(d, 42);
        for kind in QueryType::ALL {
            for _ in 0..50 {
                let q = p.plan(kind);
                assert!(
                    q.start_ms >= d.start_ms && q.end_ms <= d.end_ms(),
                    "{kind:?}"
                );
                assert!(q.start_ms < q.end_ms);
                if let Some((_, every)) = q.aggregate {
                    assert_eq!((q.start_ms - d.start_ms) % every, 0, "{kind:?} aligned");
                    assert_eq!((q.end_ms - q.start_ms) % every, 0);
                }
                let mut hosts = q.hosts.clone();
                hosts.sort();
                hosts.dedup();
                assert_eq!(hosts.len(), q.hosts.len(), "distinct hosts");
                assert!(q.hosts.iter().all(|h| h[5..].parse::<u32>().unwrap() < 100));
            }
        }
        let q = p.plan(QueryType::SingleGroupby581);
        assert_eq!(
            (q.fields.len(), q.hosts.len(), q.end_ms - q.start_ms),
            (5, 8, HOUR_MS)
        );
        let q = p.plan(QueryType::CpuMaxAll8);
        assert_eq!(
            (q.fields.len(), q.hosts.len(), q.end_ms - q.start_ms),
            (10, 8, 8 * HOUR_MS)
        );
        let q = p.plan(QueryType::DoubleGroupby1);
        assert_eq!(
            (q.hosts.len(), q.end_ms - q.start_ms, q.per_host),
            (0, 12 * HOUR_MS, true)
        );
    }

    #[test]
    fn same_seed_same_plan() {
        let a = Planner::new(data(), 7).plan_many(QueryType::SingleGroupby581, 20);
        let b = Planner::new(data(), 7).plan_many(QueryType::SingleGroupby581, 20);
        let c = Planner::new(data(), 8).plan_many(QueryType::SingleGroupby581, 20);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn short_data_clips_windows() {
        let mut d = data();
        d.duration_ms = 30 * MINUTE_MS;
        d.scale = 3;
        let q = Planner::new(d, 1).plan(QueryType::SingleGroupby581);
        assert_eq!((q.start_ms, q.end_ms), (d.start_ms, d.end_ms()));
        assert_eq!(q.hosts.len(), 3);
    }
}
