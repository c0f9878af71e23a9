//! A write batch from points to MemTable rows: validation of the whole batch before anything
//! is stored, and the insert that resolves each distinct series once per batch.

use crate::data::{Point, ValueType};
use crate::error::{Error, Result};
use crate::index::{Catalog, NewField, SeriesId};
use crate::write::wal_record::BatchSeries;
use crate::write::{Insert, MemTable};

/// The timestamps a point may have (ns), InfluxDB's range: the two lowest and the highest
/// `i64` are left out, so a read's exclusive end can always lie past the last point.
pub const MIN_TIMESTAMP: i64 = i64::MIN + 2;
pub const MAX_TIMESTAMP: i64 = i64::MAX - 1;

/// Checks a batch before anything is written: every point has a measurement, a field and a
/// timestamp in range, and no field conflicts with its measurement's type (recorded, or
/// earlier in the batch). Returns the field types the catalog does not know yet, to record
/// once the batch is stored.
pub(super) fn validate(catalog: &Catalog, points: &[Point]) -> Result<Vec<NewField>> {
    for (i, p) in points.iter().enumerate() {
        if p.series.measurement().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "point {i}: empty measurement"
            )));
        }
        if p.fields.is_empty() {
            return Err(Error::InvalidArgument(format!("point {i}: no fields")));
        }
        if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&p.timestamp) {
            return Err(Error::InvalidArgument(format!(
                "point {i}: timestamp {} ns is outside the supported range [{MIN_TIMESTAMP}, {MAX_TIMESTAMP}]",
                p.timestamp
            )));
        }
    }
    let fields = points.iter().flat_map(|p| {
        let m = p.series.measurement();
        p.fields
            .iter()
            .map(move |(name, value)| (m, name.as_str(), value.value_type()))
    });
    catalog.check_fields(fields).map_err(|c| Error::FieldType {
        measurement: c.measurement,
        field: c.field,
        existing: c.existing.name(),
        written: c.written.name(),
    })
}

/// Records the field types a stored batch introduced.
pub(super) fn record_fields(catalog: &Catalog, fields: &[(String, String, ValueType)]) {
    for (m, f, ty) in fields {
        catalog.record_field(m, f, *ty);
    }
}

/// Resolves the batch's series and inserts its points into `table`, skipping those `hidden`
/// says a later delete removed (WAL replay: `hidden(canonical, ts)`).
pub(super) fn insert_points(
    catalog: &Catalog,
    table: &MemTable,
    points: &[Point],
    series: &BatchSeries,
    seq: u64,
    hidden: impl Fn(&str, i64) -> bool,
) {
    let ids: Vec<SeriesId> = series
        .canonical
        .iter()
        .zip(&series.first_point)
        .map(|(c, &p)| catalog.resolve_known(&points[p].series, c))
        .collect();
    let rows = points
        .iter()
        .zip(&series.of_point)
        .filter(|&(p, &s)| !hidden(&series.canonical[s], p.timestamp))
        .flat_map(|(p, &s)| {
            let id = ids[s];
            p.fields.iter().map(move |(name, value)| Insert {
                series: id,
                field: name,
                ts: p.timestamp,
                value,
            })
        });
    table.insert(rows, seq);
}
