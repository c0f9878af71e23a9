//! A write batch from request to MemTable rows: validation of the whole batch before anything
//! is stored, and the insert that resolves each distinct series once per batch.

use crate::data::ValueType;
use crate::error::{Error, Result};
use crate::index::{Catalog, NewField, SeriesId};
use crate::write::{MemTable, WriteBatch};

/// The timestamps a point may have (ns), InfluxDB's range: the two lowest and the highest
/// `i64` are left out, so a read's exclusive end can always lie past the last point.
pub const MIN_TIMESTAMP: i64 = i64::MIN + 2;
pub const MAX_TIMESTAMP: i64 = i64::MAX - 1;

/// Checks a batch before anything is written: every point has a measurement, a field and a
/// timestamp in range, and no field conflicts with its measurement's type (recorded, or
/// earlier in the batch). Returns the field types the catalog does not know yet, to record
/// once the batch is stored.
pub(super) fn validate(catalog: &Catalog, batch: &WriteBatch) -> Result<Vec<NewField>> {
    // One type per (measurement, field name) of the batch, by index: no string hashing per
    // field value.
    let mut types: foldhash::HashMap<(u32, u32), ValueType> = foldhash::HashMap::default();
    for (i, p) in batch.points().iter().enumerate() {
        let measurement = batch
            .series()
            .get(p.series as usize)
            .map(|s| s.measurement)
            .ok_or_else(|| Error::InvalidArgument(format!("point {i}: no such series")))?;
        if batch.measurement_of(p.series).is_empty() {
            return Err(Error::InvalidArgument(format!(
                "point {i}: empty measurement"
            )));
        }
        let fields = batch.fields_of(p);
        if fields.is_empty() {
            return Err(Error::InvalidArgument(format!("point {i}: no fields")));
        }
        if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&p.timestamp) {
            return Err(Error::InvalidArgument(format!(
                "point {i}: timestamp {} ns is outside the supported range [{MIN_TIMESTAMP}, {MAX_TIMESTAMP}]",
                p.timestamp
            )));
        }
        for (name, value) in fields {
            let ty = value.value_type();
            let known = *types.entry((measurement, *name)).or_insert(ty);
            if known != ty {
                return Err(Error::FieldType {
                    measurement: batch.measurement_of(p.series).to_string(),
                    field: batch.name(*name).to_string(),
                    existing: known.name(),
                    written: ty.name(),
                });
            }
        }
    }
    let measurements = batch.measurements();
    let distinct = types.iter().map(|(&(m, n), &ty)| {
        let m = measurements.get(m as usize).map_or("", String::as_str);
        (m, batch.name(n), ty)
    });
    catalog
        .check_fields(distinct)
        .map_err(|c| Error::FieldType {
            measurement: c.measurement,
            field: c.field,
            existing: c.existing.name(),
            written: c.written.name(),
        })
}

/// Records the field types a stored batch introduced.
pub(super) fn record_fields(catalog: &Catalog, fields: &[NewField]) {
    for (m, f, ty) in fields {
        catalog.record_field(m, f, *ty);
    }
}

/// The ids of the batch's series the catalog knows (`None` for new ones), looked up under
/// one lock; with a `limit`, refuses a batch that would give a measurement more series.
pub(super) fn known_series(
    catalog: &Catalog,
    batch: &WriteBatch,
    limit: Option<usize>,
) -> Result<Vec<Option<SeriesId>>> {
    let ids = catalog.known(batch.series().iter().map(|s| &*s.handle));
    if let Some(limit) = limit {
        // New series per measurement index.
        let mut added: foldhash::HashMap<u32, usize> = Default::default();
        for (s, id) in batch.series().iter().zip(&ids) {
            if id.is_none() {
                *added.entry(s.measurement).or_default() += 1;
            }
        }
        for (m, added) in added {
            let measurement = batch
                .measurements()
                .get(m as usize)
                .map_or("", String::as_str);
            let existing = catalog.series_count(measurement);
            if existing + added > limit {
                let point = batch
                    .points()
                    .iter()
                    .position(|p| {
                        let s = p.series as usize;
                        batch.series().get(s).is_some_and(|s| s.measurement == m)
                            && ids.get(s).is_some_and(Option::is_none)
                    })
                    .unwrap_or(0);
                return Err(Error::SeriesLimit {
                    measurement: measurement.to_string(),
                    existing,
                    added,
                    limit,
                    point,
                });
            }
        }
    }
    Ok(ids)
}

/// Inserts the batch's points into `table`, resolving each series once (`known` from
/// [`known_series`], looked up under the same MemTable lock; the new ones are registered
/// here), skipping the points `hidden` says a later delete removed (WAL replay:
/// `hidden(canonical, ts)`). Returns every series' id.
pub(super) fn insert_points(
    catalog: &Catalog,
    table: &MemTable,
    batch: &WriteBatch,
    known: &[Option<SeriesId>],
    seq: u64,
    hidden: impl Fn(&str, i64) -> bool,
) -> Vec<Option<SeriesId>> {
    let ids: Vec<Option<SeriesId>> = batch
        .series()
        .iter()
        .zip(known)
        .map(|(s, id)| id.or_else(|| catalog.resolve_handle(&s.handle)))
        .collect();
    table.insert_batch(
        batch,
        &ids,
        |p| {
            batch
                .series()
                .get(p.series as usize)
                .is_some_and(|s| !hidden(s.canonical(), p.timestamp))
        },
        seq,
    );
    ids
}
