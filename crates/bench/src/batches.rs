//! Pre-generation: the whole data set encoded into request bodies in memory before any
//! timing starts, so the ingest runner only sends bytes. Rows are generated on one thread
//! (the walks are sequential) and encoded on every core.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::data::{DataSpec, Generator, Row};
use crate::encode::{Encoder, Format};
use crate::error::{BenchError, Result};
use crate::progress;

/// One request body.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The encoded body.
    pub body: Bytes,
    /// Rows in it (each has 10 field values).
    pub rows: u32,
}

/// A data set ready to send.
#[derive(Debug, Clone)]
pub struct Batches {
    /// Format of the bodies.
    pub format: Format,
    /// The bodies, in data order.
    pub batches: Vec<Batch>,
    /// Total rows.
    pub rows: u64,
    /// Total field values (`rows * 10`).
    pub values: u64,
    /// Total body bytes.
    pub bytes: u64,
    /// Time generation and encoding took.
    pub elapsed: Duration,
}

impl Batches {
    /// Field values generated and encoded per second: the generator-only rate.
    pub fn values_per_sec(&self) -> f64 {
        self.values as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Rough encoded size of one row, for the memory guard.
pub fn bytes_per_row(format: Format) -> u64 {
    match format {
        Format::Lp => 490,
        Format::Json => 600,
        Format::RemoteWrite => 130,
    }
}

/// Generates and encodes `spec` as `format` bodies of `batch_rows` rows each. Refuses when
/// the estimate exceeds `max_memory` bytes.
pub fn pregenerate(
    spec: DataSpec,
    format: Format,
    batch_rows: usize,
    max_memory: u64,
    show_progress: bool,
) -> Result<Batches> {
    if batch_rows == 0 {
        return Err(BenchError::Usage("--batch must be > 0".into()));
    }
    let estimate = spec.rows() * bytes_per_row(format);
    if estimate > max_memory {
        return Err(BenchError::Usage(format!(
            "the data set ({} rows of {}) would take about {} in memory, over --max-memory {}: \
             use a shorter --duration or raise --max-memory",
            spec.rows(),
            format.name(),
            crate::stats::fmt_bytes(estimate),
            crate::stats::fmt_bytes(max_memory)
        )));
    }
    let started = Instant::now();
    let bar = progress::bar(
        show_progress,
        spec.rows(),
        &format!("generating {}", format.name()),
    );
    let mut generator = Generator::new(spec);
    let encoder = Encoder::new(format, generator.tags());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Encode in rounds of a few batches per thread.
    let round_rows = batch_rows * threads * 4;
    let mut rows: Vec<Row> = Vec::with_capacity(round_rows);
    let mut batches = Vec::with_capacity(spec.rows().div_ceil(batch_rows as u64) as usize);
    loop {
        rows.clear();
        if generator.fill(round_rows, &mut rows) == 0 {
            break;
        }
        let chunks: Vec<&[Row]> = rows.chunks(batch_rows).collect();
        let per_thread = chunks.len().div_ceil(threads);
        let encoded: Vec<Result<Vec<Batch>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .chunks(per_thread.max(1))
                .map(|group| {
                    let encoder = &encoder;
                    scope.spawn(move || {
                        group
                            .iter()
                            .map(|c| {
                                Ok(Batch {
                                    body: Bytes::from(encoder.encode(c)?),
                                    rows: c.len() as u32,
                                })
                            })
                            .collect::<Result<Vec<Batch>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(BenchError::Usage("encoder thread panicked".into()))
                    })
                })
                .collect()
        });
        for group in encoded {
            batches.extend(group?);
        }
        bar.inc(rows.len() as u64);
    }
    bar.finish_and_clear();
    let rows_total: u64 = batches.iter().map(|b| u64::from(b.rows)).sum();
    let bytes = batches.iter().map(|b| b.body.len() as u64).sum();
    Ok(Batches {
        format,
        batches,
        rows: rows_total,
        values: rows_total * crate::data::FIELDS.len() as u64,
        bytes,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> DataSpec {
        DataSpec {
            scale: 10,
            start_ms: 1_451_606_400_000,
            duration_ms: 600_000,
            seed,
            integer_values: false,
        }
    }

    fn concat(b: &Batches) -> Vec<u8> {
        b.batches
            .iter()
            .flat_map(|b| b.body.iter().copied())
            .collect()
    }

    #[test]
    fn batches_cover_every_row_in_order() {
        let b = pregenerate(spec(1), Format::Lp, 7, u64::MAX, false).unwrap();
        assert_eq!(b.rows, 600);
        assert_eq!(b.values, 6000);
        assert_eq!(b.batches.len(), 600usize.div_ceil(7));
        assert!(b.batches[..b.batches.len() - 1].iter().all(|x| x.rows == 7));
        let (tags, rows) = Generator::all_rows(spec(1));
        let mut whole = Vec::new();
        crate::encode::lp::LpEncoder::new(&tags).encode(&rows, &mut whole);
        assert_eq!(concat(&b), whole, "batching only splits the stream");
    }

    #[test]
    fn deterministic_in_the_seed() {
        for format in [Format::Lp, Format::Json, Format::RemoteWrite] {
            let a = pregenerate(spec(5), format, 100, u64::MAX, false).unwrap();
            let b = pregenerate(spec(5), format, 100, u64::MAX, false).unwrap();
            let c = pregenerate(spec(6), format, 100, u64::MAX, false).unwrap();
            assert_eq!(concat(&a), concat(&b), "{format:?}: same seed, same bytes");
            assert_ne!(
                concat(&a),
                concat(&c),
                "{format:?}: another seed, other bytes"
            );
        }
    }

    #[test]
    fn memory_guard() {
        assert!(matches!(
            pregenerate(spec(1), Format::Lp, 10, 1000, false),
            Err(BenchError::Usage(_))
        ));
    }
}
