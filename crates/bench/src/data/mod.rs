//! The TSBS `cpu-only` data set: `--scale` hosts, one `cpu` row per host every 10 s from
//! `--start` for `--duration`, ten float fields per row, deterministic in `--seed`.
//!
//! Rows come time-major (every host at `t`, then every host at `t + 10s`), as TSBS writes
//! them and as Prometheus needs them (it refuses samples far behind its newest one). Each
//! host draws its tags and walks from its own random stream of the seed, so host `N`'s data
//! does not depend on `--scale`.

pub mod host;
pub mod walk;

pub use host::{HostTags, TAG_KEYS, hostname};

use crate::rng::Rng;
use walk::ClampedWalk;

/// The measurement name.
pub const MEASUREMENT: &str = "cpu";

/// Field names, in TSBS order.
pub const FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

/// Time between two rows of one host (TSBS's `--log-interval` default).
pub const INTERVAL_MS: i64 = 10_000;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSpec {
    /// Number of hosts.
    pub scale: u32,
    /// First timestamp, ms since the epoch.
    pub start_ms: i64,
    /// Length of the data set in ms: timestamps are `start <= t < start + duration`.
    pub duration_ms: i64,
    /// The seed.
    pub seed: u64,
    /// Truncate values to whole numbers, as TSBS does for `cpu`.
    pub integer_values: bool,
}

impl DataSpec {
    /// Rows per host: timestamps `start, start + 10s, ...` below `start + duration`.
    pub fn steps(&self) -> u64 {
        (self.duration_ms.max(0) as u64).div_ceil(INTERVAL_MS as u64)
    }

    /// Total rows (`scale * steps`).
    pub fn rows(&self) -> u64 {
        u64::from(self.scale) * self.steps()
    }

    /// Total field values (points in TSBS's and Strata's counting): `rows * 10`.
    pub fn values(&self) -> u64 {
        self.rows() * FIELDS.len() as u64
    }

    /// Exclusive end: one interval after the last timestamp.
    pub fn end_ms(&self) -> i64 {
        self.start_ms + self.steps() as i64 * INTERVAL_MS
    }

    /// Every host's tags (cheap: draws only the tags).
    pub fn host_tags(&self) -> Vec<HostTags> {
        (0..self.scale)
            .map(|id| HostTags::draw(id, &mut Rng::new(self.seed, u64::from(id))))
            .collect()
    }
}

/// One row: a host at a time, with its ten values in [`FIELDS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Host index (`host_N`).
    pub host: u32,
    /// Timestamp, ms since the epoch.
    pub ts_ms: i64,
    /// Field values.
    pub values: [f64; 10],
}

#[derive(Debug, Clone)]
struct HostState {
    rng: Rng,
    walks: [ClampedWalk; 10],
}

/// Produces the rows of a [`DataSpec`] in order, in chunks.
#[derive(Debug, Clone)]
pub struct Generator {
    spec: DataSpec,
    tags: Vec<HostTags>,
    hosts: Vec<HostState>,
    step: u64,
    next_host: u32,
}

impl Generator {
    /// A generator positioned at the first row.
    pub fn new(spec: DataSpec) -> Generator {
        let mut tags = Vec::with_capacity(spec.scale as usize);
        let mut hosts = Vec::with_capacity(spec.scale as usize);
        for id in 0..spec.scale {
            let mut rng = Rng::new(spec.seed, u64::from(id));
            tags.push(HostTags::draw(id, &mut rng));
            let walks = std::array::from_fn(|_| ClampedWalk::start(&mut rng));
            hosts.push(HostState { rng, walks });
        }
        Generator {
            spec,
            tags,
            hosts,
            step: 0,
            next_host: 0,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &DataSpec {
        &self.spec
    }

    /// Every host's tags, indexed by [`Row::host`].
    pub fn tags(&self) -> &[HostTags] {
        &self.tags
    }

    /// Appends up to `max` next rows to `out`; returns how many (0 at the end).
    pub fn fill(&mut self, max: usize, out: &mut Vec<Row>) -> usize {
        let steps = self.spec.steps();
        let mut n = 0;
        while n < max && self.step < steps && self.spec.scale > 0 {
            let id = self.next_host;
            let state = &mut self.hosts[id as usize];
            let mut values = [0.0; 10];
            for (v, w) in values.iter_mut().zip(state.walks.iter_mut()) {
                let x = w.value();
                *v = if self.spec.integer_values {
                    x.trunc()
                } else {
                    x
                };
                w.advance(&mut state.rng);
            }
            out.push(Row {
                host: id,
                ts_ms: self.spec.start_ms + self.step as i64 * INTERVAL_MS,
                values,
            });
            n += 1;
            self.next_host += 1;
            if self.next_host == self.spec.scale {
                self.next_host = 0;
                self.step += 1;
            }
        }
        n
    }

    /// Every row at once (for tests and small sets).
    pub fn all_rows(spec: DataSpec) -> (Vec<HostTags>, Vec<Row>) {
        let mut g = Generator::new(spec);
        let mut rows = Vec::with_capacity(spec.rows() as usize);
        while g.fill(usize::MAX, &mut rows) > 0 {}
        (g.tags, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::{HOUR_MS, MINUTE_MS};

    fn spec(scale: u32, duration_ms: i64, seed: u64) -> DataSpec {
        DataSpec {
            scale,
            start_ms: 1_451_606_400_000,
            duration_ms,
            seed,
            integer_values: false,
        }
    }

    #[test]
    fn count_interval_and_order() {
        let s = spec(7, HOUR_MS, 1);
        assert_eq!(s.steps(), 360);
        assert_eq!(s.rows(), 7 * 360);
        assert_eq!(s.values(), 7 * 360 * 10);
        let (tags, rows) = Generator::all_rows(s);
        assert_eq!(tags.len(), 7);
        assert_eq!(rows.len() as u64, s.rows());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.host as usize, i % 7, "time-major order");
            assert_eq!(r.ts_ms, s.start_ms + (i / 7) as i64 * INTERVAL_MS);
            assert!(r.values.iter().all(|v| (0.0..=100.0).contains(v)));
        }
        assert_eq!(rows.last().unwrap().ts_ms + INTERVAL_MS, s.end_ms());
    }

    #[test]
    fn partial_interval_rounds_up() {
        assert_eq!(spec(1, 25_000, 1).steps(), 3);
        assert_eq!(spec(1, 30_000, 1).steps(), 3);
        assert_eq!(spec(1, 0, 1).steps(), 0);
        assert!(Generator::all_rows(spec(1, 0, 1)).1.is_empty());
    }

    #[test]
    fn chunking_does_not_change_rows() {
        let s = spec(5, 10 * MINUTE_MS, 9);
        let (_, all) = Generator::all_rows(s);
        let mut g = Generator::new(s);
        let mut chunked = Vec::new();
        while g.fill(13, &mut chunked) > 0 {}
        assert_eq!(all, chunked);
    }

    #[test]
    fn host_data_does_not_depend_on_scale() {
        let (t3, r3) = Generator::all_rows(spec(3, 5 * MINUTE_MS, 4));
        let (t9, r9) = Generator::all_rows(spec(9, 5 * MINUTE_MS, 4));
        assert_eq!(t3[..], t9[..3]);
        let h2_small: Vec<_> = r3.iter().filter(|r| r.host == 2).collect();
        let h2_big: Vec<_> = r9.iter().filter(|r| r.host == 2).collect();
        assert_eq!(h2_small, h2_big);
    }

    #[test]
    fn integer_values_truncate() {
        let mut s = spec(2, MINUTE_MS, 5);
        s.integer_values = true;
        let (_, rows) = Generator::all_rows(s);
        assert!(rows.iter().flat_map(|r| r.values).all(|v| v.fract() == 0.0));
    }
}
