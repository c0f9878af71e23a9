//! Reads one measurement's partition from a snapshot into Arrow record batches, in the
//! layout of [`crate::schema`]: one row per series and timestamp (the fields of a series at
//! one timestamp share a row; a field the row lacks is null), deduplicated and with deletes
//! applied (the snapshot's reads do both), sorted by the tag columns (nulls first) and then
//! by time. Batches hold at most [`BATCH_ROWS`] rows, so memory stays bounded by a batch
//! plus one series.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampNanosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use strata_engine::{Column, ColumnData, SeriesId, Snapshot, Take, ValueType};

use crate::error::{ColdError, Result};
use crate::schema::FileSchema;

/// Rows per record batch (and so the granularity of row groups' fill).
pub const BATCH_ROWS: usize = 65_536;

/// A measurement's partition as batches, with the bounds the manifest records.
#[derive(Debug)]
pub struct PartitionData {
    pub schema: FileSchema,
    pub batches: Vec<RecordBatch>,
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
    /// Tag key -> (smallest, largest) value present.
    pub tag_bounds: BTreeMap<String, (String, String)>,
}

/// The rows of `measurement` with `start <= time < end`; `None` when there are none.
pub fn read_partition(
    snapshot: &Snapshot,
    measurement: &str,
    start: i64,
    end: i64,
) -> Result<Option<PartitionData>> {
    let catalog = snapshot.catalog();
    let Some((ids, mut tag_keys, fields)) = catalog.with_measurement(measurement, |idx| {
        (
            idx.series().clone(),
            idx.tag_keys().map(str::to_string).collect::<Vec<_>>(),
            idx.fields()
                .iter()
                .map(|(k, t)| (k.clone(), *t))
                .collect::<Vec<_>>(),
        )
    }) else {
        return Ok(None);
    };
    tag_keys.sort();
    // Each series with its tag values in column order, sorted as the file declares.
    let mut series: Vec<(SeriesId, Vec<Option<String>>)> = ids
        .iter()
        .filter_map(|id| {
            let key = catalog.key(id)?;
            let values = tag_keys
                .iter()
                .map(|k| {
                    key.tags()
                        .iter()
                        .find(|(tk, _)| tk == k)
                        .map(|(_, v)| v.clone())
                })
                .collect();
            Some((id, values))
        })
        .collect();
    series.sort_by(|a, b| a.1.cmp(&b.1));

    let schema = FileSchema::new(measurement, &tag_keys, &fields);
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    let mut out = Builders::new(&schema);
    let mut data = PartitionData {
        schema: schema.clone(),
        batches: Vec::new(),
        rows: 0,
        min_time: i64::MAX,
        max_time: i64::MIN,
        tag_bounds: BTreeMap::new(),
    };
    let engine_error = |source| ColdError::Engine {
        measurement: measurement.to_string(),
        partition: start,
        source,
    };
    for (id, tags) in &series {
        let columns = snapshot
            .read_columns(*id, &names, start, end, Take::All)
            .map_err(engine_error)?;
        let times = union_of_times(&columns);
        if times.is_empty() {
            continue;
        }
        data.rows += times.len() as u64;
        data.min_time = data.min_time.min(times[0]);
        data.max_time = data.max_time.max(times[times.len() - 1]);
        for (key, value) in tag_keys.iter().zip(tags) {
            if let Some(v) = value {
                let b = data
                    .tag_bounds
                    .entry(key.clone())
                    .or_insert_with(|| (v.clone(), v.clone()));
                if *v < b.0 {
                    b.0 = v.clone();
                }
                if *v > b.1 {
                    b.1 = v.clone();
                }
            }
        }
        // A long series is cut into several batches.
        let mut from = 0;
        while from < times.len() {
            let to = times.len().min(from + BATCH_ROWS - out.rows);
            out.append(&times[from..to], tags, &columns);
            from = to;
            if out.rows >= BATCH_ROWS {
                data.batches.push(out.finish(&schema)?);
            }
        }
    }
    if out.rows > 0 {
        data.batches.push(out.finish(&schema)?);
    }
    Ok((data.rows > 0).then_some(data))
}

/// The sorted, distinct timestamps of a series' fields.
fn union_of_times(columns: &[Option<ColumnData>]) -> Vec<i64> {
    let present: Vec<&ColumnData> = columns.iter().flatten().collect();
    match present.as_slice() {
        [] => Vec::new(),
        [only] => only.ts.clone(),
        many => {
            let mut all: Vec<i64> = many.iter().flat_map(|c| c.ts.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

/// One builder per column.
struct Builders {
    time: TimestampNanosecondBuilder,
    tags: Vec<StringBuilder>,
    fields: Vec<FieldBuilder>,
    rows: usize,
}

enum FieldBuilder {
    Float(Float64Builder),
    Integer(Int64Builder),
    Unsigned(Decimal128Builder),
    Boolean(BooleanBuilder),
    String(StringBuilder),
}

impl FieldBuilder {
    fn new(t: ValueType) -> Self {
        match t {
            ValueType::Float => FieldBuilder::Float(Float64Builder::new()),
            ValueType::Integer => FieldBuilder::Integer(Int64Builder::new()),
            ValueType::Unsigned => FieldBuilder::Unsigned(
                Decimal128Builder::new()
                    .with_precision_and_scale(20, 0)
                    .unwrap_or_default(),
            ),
            ValueType::Boolean => FieldBuilder::Boolean(BooleanBuilder::new()),
            ValueType::String => FieldBuilder::String(StringBuilder::new()),
        }
    }

    /// Appends the value at `i` of `col` (or a null when `i` is `None` or the column's type
    /// is not this builder's, which the catalog's one-type-per-field rule excludes).
    fn append(&mut self, col: Option<&Column>, i: Option<usize>) {
        match (self, col, i) {
            (FieldBuilder::Float(b), Some(Column::Float(v)), Some(i)) => {
                b.append_option(v.get(i).copied())
            }
            (FieldBuilder::Integer(b), Some(Column::Integer(v)), Some(i)) => {
                b.append_option(v.get(i).copied())
            }
            (FieldBuilder::Unsigned(b), Some(Column::Unsigned(v)), Some(i)) => {
                b.append_option(v.get(i).map(|&x| i128::from(x)))
            }
            (FieldBuilder::Boolean(b), Some(Column::Boolean(v)), Some(i)) => {
                b.append_option(v.get(i).copied())
            }
            (FieldBuilder::String(b), Some(Column::String(v)), Some(i)) => {
                b.append_option(v.get(i))
            }
            (FieldBuilder::Float(b), ..) => b.append_null(),
            (FieldBuilder::Integer(b), ..) => b.append_null(),
            (FieldBuilder::Unsigned(b), ..) => b.append_null(),
            (FieldBuilder::Boolean(b), ..) => b.append_null(),
            (FieldBuilder::String(b), ..) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            FieldBuilder::Float(b) => Arc::new(b.finish()),
            FieldBuilder::Integer(b) => Arc::new(b.finish()),
            FieldBuilder::Unsigned(b) => Arc::new(b.finish()),
            FieldBuilder::Boolean(b) => Arc::new(b.finish()),
            FieldBuilder::String(b) => Arc::new(b.finish()),
        }
    }
}

impl Builders {
    fn new(schema: &FileSchema) -> Self {
        Builders {
            time: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            tags: schema.tags.iter().map(|_| StringBuilder::new()).collect(),
            fields: schema
                .fields
                .iter()
                .map(|f| FieldBuilder::new(f.field_type.unwrap_or(ValueType::Float)))
                .collect(),
            rows: 0,
        }
    }

    /// Appends the rows at `times` (a run of one series' sorted timestamps).
    fn append(&mut self, times: &[i64], tags: &[Option<String>], columns: &[Option<ColumnData>]) {
        for (b, v) in self.tags.iter_mut().zip(tags) {
            for _ in times {
                b.append_option(v.as_deref());
            }
        }
        for (b, col) in self.fields.iter_mut().zip(columns) {
            let Some(col) = col else {
                for _ in times {
                    b.append(None, None);
                }
                continue;
            };
            // Both are sorted: walk the column from the first time of this run.
            let mut j = col.ts.partition_point(|&t| t < times[0]);
            for &t in times {
                let hit = (col.ts.get(j) == Some(&t)).then_some(j);
                if hit.is_some() {
                    j += 1;
                }
                b.append(Some(&col.values), hit);
            }
        }
        self.time.append_slice(times);
        self.rows += times.len();
    }

    fn finish(&mut self, schema: &FileSchema) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.time.finish())];
        arrays.extend(
            self.tags
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.extend(self.fields.iter_mut().map(FieldBuilder::finish));
        self.rows = 0;
        RecordBatch::try_new(schema.arrow.clone(), arrays).map_err(|source| ColdError::Arrow {
            path: schema.measurement.clone(),
            source,
        })
    }
}
