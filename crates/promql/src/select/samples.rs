//! A series field's samples as PromQL sees them: nanosecond times and `f64` values, integers
//! and booleans converted, NaN bits kept exactly (the staleness marker is one NaN pattern).

use strata_engine::{ColumnRef, SeriesId, Snapshot};

use crate::error::Result;

/// Prometheus' staleness marker: the NaN with these bits.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is the staleness marker.
pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Nanoseconds since the epoch.
    pub t: i64,
    pub v: f64,
}

/// The samples of `field` of `series` with `mint <= t <= maxt`, in time order, appended to
/// `out`. String fields give nothing.
pub fn load_into(
    snapshot: &Snapshot,
    series: SeriesId,
    field: &str,
    mint: i64,
    maxt: i64,
    out: &mut Vec<Sample>,
) -> Result<()> {
    if maxt < mint {
        return Ok(());
    }
    let mut scan = snapshot.scan(series, field, mint, maxt.saturating_add(1))?;
    // `[mint, maxt + 1)` misses a sample at `i64::MAX`; no real sample is there.
    while let Some(chunk) = scan.next_chunk()? {
        let ts = chunk.ts();
        match chunk.values() {
            ColumnRef::Float(v) => out.extend(ts.iter().zip(v).map(|(&t, &v)| Sample { t, v })),
            ColumnRef::Integer(v) => {
                out.extend(ts.iter().zip(v).map(|(&t, &v)| Sample { t, v: v as f64 }))
            }
            ColumnRef::Unsigned(v) => {
                out.extend(ts.iter().zip(v).map(|(&t, &v)| Sample { t, v: v as f64 }))
            }
            ColumnRef::Boolean(v) => out.extend(ts.iter().zip(v).map(|(&t, &v)| Sample {
                t,
                v: f64::from(u8::from(v)),
            })),
            ColumnRef::String(_) => {}
        }
    }
    Ok(())
}
