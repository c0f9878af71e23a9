//! One opened cold file: its Parquet footer, which column is which (from the key-value
//! metadata the exporter wrote, so nothing is guessed), and an index of the rows of each
//! series (the file is sorted by series, then time, so a series is one run of rows), built
//! once from the tag columns when the file is opened. A read decodes only the row groups
//! whose rows hold the series and whose `time` statistics overlap the range, and only the
//! `time` and field columns of those.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampNanosecondType,
};
use arrow_array::{Array, ArrayAccessor, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::statistics::Statistics;
use serde::Deserialize;
use strata_engine::{Column, ColumnData, SeriesKey, ValueType};

use crate::error::{ColdError, Result};
use crate::schema::{self, FORMAT_VERSION, TIME};

/// A field column of the file.
#[derive(Debug, Clone)]
pub struct FieldColumn {
    /// Index among the file's top-level columns.
    index: usize,
    pub name: String,
    pub value_type: ValueType,
}

/// See the module documentation.
#[derive(Debug)]
pub struct ColdFile {
    path: String,
    bytes: Bytes,
    meta: ArrowReaderMetadata,
    time_index: usize,
    fields: Vec<FieldColumn>,
    /// Canonical series key -> its rows.
    series: HashMap<Box<str>, Range<u64>>,
    /// First row of each row group, and one past the last row.
    group_rows: Vec<u64>,
    /// Heap bytes of the index and footer (what keeping the file open costs).
    pub memory: u64,
}

/// One decoded row group: times and field columns (aligned with [`ColdFile::fields`]).
#[derive(Debug)]
pub struct DecodedGroup {
    first_row: u64,
    ts: Vec<i64>,
    fields: Vec<ArrayRef>,
    pub memory: u64,
}

#[derive(Deserialize)]
struct TagSpec {
    column: String,
    name: String,
}

#[derive(Deserialize)]
struct FieldSpec {
    column: String,
    name: String,
    #[serde(rename = "type")]
    value_type: String,
}

impl ColdFile {
    /// Opens the file at object path `path` from its bytes (already checked against the
    /// manifest's size and CRC-32C).
    pub fn open(path: &str, bytes: Bytes) -> Result<ColdFile> {
        let corrupt = |reason: String| ColdError::Corrupt {
            path: path.to_string(),
            reason,
        };
        let read_err = |source| ColdError::Read {
            path: path.to_string(),
            source,
        };
        let meta =
            ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).map_err(read_err)?;
        let kv: HashMap<&str, &str> = meta
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .map(|kvs| {
                kvs.iter()
                    .filter_map(|kv| Some((kv.key.as_str(), kv.value.as_deref()?)))
                    .collect()
            })
            .unwrap_or_default();
        let get = |key: &str| {
            kv.get(key)
                .copied()
                .ok_or_else(|| corrupt(format!("no {key} in the key-value metadata")))
        };
        let version = get("strata.format_version")?;
        if version != FORMAT_VERSION.to_string() {
            return Err(corrupt(format!(
                "file format version {version}; this build reads {FORMAT_VERSION}"
            )));
        }
        let measurement = get("strata.measurement")?.to_string();
        let tags: Vec<TagSpec> = serde_json::from_str(get("strata.tags")?)
            .map_err(|e| corrupt(format!("strata.tags: {e}")))?;
        let field_specs: Vec<FieldSpec> = serde_json::from_str(get("strata.fields")?)
            .map_err(|e| corrupt(format!("strata.fields: {e}")))?;
        // Tag columns read as dictionaries: the series index compares keys, not strings.
        let tag_columns: Vec<&str> = tags.iter().map(|t| t.column.as_str()).collect();
        let hinted: Vec<Field> = meta
            .schema()
            .fields()
            .iter()
            .map(|f| {
                if tag_columns.contains(&f.name().as_str()) && f.data_type() == &DataType::Utf8 {
                    Field::new(
                        f.name(),
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                        f.is_nullable(),
                    )
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        let meta = ArrowReaderMetadata::try_new(
            meta.metadata().clone(),
            ArrowReaderOptions::new().with_schema(Arc::new(Schema::new(hinted))),
        )
        .map_err(read_err)?;
        let arrow = meta.schema().clone();
        let index_of = |column: &str| {
            arrow
                .index_of(column)
                .map_err(|_| corrupt(format!("no column {column:?}")))
        };
        let time_index = index_of(TIME)?;
        let mut fields = Vec::with_capacity(field_specs.len());
        for f in field_specs {
            let value_type = value_type_named(&f.value_type).ok_or_else(|| {
                corrupt(format!("field {:?} has type {:?}", f.name, f.value_type))
            })?;
            let index = index_of(&f.column)?;
            if arrow.field(index).data_type() != &schema::arrow_type(value_type) {
                return Err(corrupt(format!(
                    "column {:?} is {}, not a {} field",
                    f.column,
                    arrow.field(index).data_type(),
                    value_type.name()
                )));
            }
            fields.push(FieldColumn {
                index,
                name: f.name,
                value_type,
            });
        }
        let mut group_rows = vec![0u64];
        for rg in meta.metadata().row_groups() {
            let last = group_rows.last().copied().unwrap_or(0);
            group_rows.push(last + u64::try_from(rg.num_rows()).unwrap_or(0));
        }
        let tag_indices = tags
            .iter()
            .map(|t| index_of(&t.column))
            .collect::<Result<Vec<_>>>()?;
        let mut file = ColdFile {
            path: path.to_string(),
            bytes,
            meta,
            time_index,
            fields,
            series: HashMap::new(),
            group_rows,
            memory: 0,
        };
        let tag_names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        file.series = file.index_series(&measurement, &tag_names, &tag_indices)?;
        file.memory = file.meta.metadata().memory_size() as u64
            + file.series.keys().map(|k| k.len() as u64 + 64).sum::<u64>();
        Ok(file)
    }

    /// The rows of each series, from the tag columns.
    fn index_series(
        &self,
        measurement: &str,
        tag_names: &[&str],
        tag_indices: &[usize],
    ) -> Result<HashMap<Box<str>, Range<u64>>> {
        let mut out: HashMap<Box<str>, Range<u64>> = HashMap::new();
        let mut row = 0u64;
        let mut run: Option<(Vec<Option<String>>, u64)> = None;
        let mut finish = |tags: Vec<Option<String>>, rows: Range<u64>| -> Result<()> {
            let pairs = tag_names
                .iter()
                .zip(tags)
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .collect();
            let key = SeriesKey::new(measurement, pairs).canonical();
            if out.insert(key.clone().into_boxed_str(), rows).is_some() {
                return Err(self.corrupt(format!(
                    "the rows of series {key:?} are not contiguous: the file is not sorted by series"
                )));
            }
            Ok(())
        };
        for batch in self.batches(None, tag_indices.to_vec(), 65_536)? {
            let dicts: Vec<_> = (0..batch.num_columns())
                .map(|c| {
                    batch
                        .column(c)
                        .as_dictionary_opt::<Int32Type>()
                        .ok_or_else(|| self.corrupt("a tag column is not a string column".into()))
                })
                .collect::<Result<_>>()?;
            let columns: Vec<_> = dicts
                .iter()
                .map(|d| {
                    d.downcast_dict::<StringArray>()
                        .ok_or_else(|| self.corrupt("a tag column is not a string column".into()))
                })
                .collect::<Result<_>>()?;
            let value = |c: usize, i: usize| -> Option<&str> {
                let col = columns.get(c)?;
                (!col.is_null(i)).then(|| col.value(i))
            };
            for i in 0..batch.num_rows() {
                // Equal keys within a batch are equal values; unequal keys are compared as
                // strings (a dictionary need not be minimal).
                let same = i > 0
                    && run.is_some()
                    && dicts.iter().enumerate().all(|(c, d)| {
                        let k = d.keys();
                        (k.is_valid(i) == k.is_valid(i - 1)
                            && (!k.is_valid(i) || k.value(i) == k.value(i - 1)))
                            || value(c, i) == value(c, i - 1)
                    });
                if !same {
                    let tags: Vec<Option<String>> = (0..columns.len())
                        .map(|c| value(c, i).map(str::to_string))
                        .collect();
                    // Across batches (row 0 of each), compare with the run's values.
                    if i == 0 && run.as_ref().is_some_and(|(t, _)| *t == tags) {
                        row += 1;
                        continue;
                    }
                    if let Some((prev, first)) = run.replace((tags, row)) {
                        finish(prev, first..row)?;
                    }
                }
                row += 1;
            }
        }
        if let Some((prev, first)) = run {
            finish(prev, first..row)?;
        }
        Ok(out)
    }

    fn corrupt(&self, reason: String) -> ColdError {
        ColdError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    /// The batches of `columns` (top-level indices) of `groups` (all when `None`).
    fn batches(
        &self,
        groups: Option<Vec<usize>>,
        columns: Vec<usize>,
        batch_rows: usize,
    ) -> Result<Vec<RecordBatch>> {
        let read_err = |source| ColdError::Read {
            path: self.path.clone(),
            source,
        };
        let mask =
            ProjectionMask::roots(self.meta.metadata().file_metadata().schema_descr(), columns);
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.bytes.clone(),
            self.meta.clone(),
        )
        .with_projection(mask)
        .with_batch_size(batch_rows.max(1));
        if let Some(g) = groups {
            builder = builder.with_row_groups(g);
        }
        let reader = builder.build().map_err(read_err)?;
        reader
            .map(|b| {
                b.map_err(|e| ColdError::Read {
                    path: self.path.clone(),
                    source: e.into(),
                })
            })
            .collect()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn fields(&self) -> &[FieldColumn] {
        &self.fields
    }

    /// The rows of series `canonical`, if the file has it.
    pub fn rows_of(&self, canonical: &str) -> Option<Range<u64>> {
        self.series.get(canonical).cloned()
    }

    /// The row groups holding some of `rows` whose `time` statistics overlap
    /// `[start, end)` (a group without statistics is read).
    pub fn groups_for(&self, rows: &Range<u64>, start: i64, end: i64) -> Vec<usize> {
        let groups = self.meta.metadata().row_groups();
        (0..groups.len())
            .filter(|&g| {
                let (Some(&first), Some(&next)) =
                    (self.group_rows.get(g), self.group_rows.get(g + 1))
                else {
                    return false;
                };
                if first >= rows.end || next <= rows.start {
                    return false;
                }
                match groups
                    .get(g)
                    .and_then(|rg| rg.column(self.time_index).statistics())
                {
                    Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                        (Some(&min), Some(&max)) => max >= start && min < end,
                        _ => true,
                    },
                    _ => true,
                }
            })
            .collect()
    }

    /// Decodes row group `g`'s times and field columns.
    pub fn decode_group(&self, g: usize) -> Result<DecodedGroup> {
        if g >= self.meta.metadata().num_row_groups() {
            return Err(self.corrupt(format!("no row group {g}")));
        }
        let first_row = self.group_rows.get(g).copied().unwrap_or(0);
        let rows = self
            .group_rows
            .get(g + 1)
            .map_or(0, |next| next.saturating_sub(first_row)) as usize;
        let mut columns = vec![self.time_index];
        columns.extend(self.fields.iter().map(|f| f.index));
        let batches = self.batches(Some(vec![g]), columns, rows)?;
        let batch = match batches.as_slice() {
            [one] => one.clone(),
            [] => return Err(self.corrupt(format!("row group {g} has no rows"))),
            many => arrow_select_concat(&self.path, many)?,
        };
        if batch.num_rows() != rows {
            return Err(self.corrupt(format!(
                "row group {g} decoded to {} rows, its metadata says {rows}",
                batch.num_rows()
            )));
        }
        // The projection keeps the file's column order: time first iff it comes first.
        let schema = batch.schema();
        let column = |index: usize| -> Result<ArrayRef> {
            let name = self.meta.schema().field(index).name();
            schema
                .index_of(name)
                .map(|i| batch.column(i).clone())
                .map_err(|_| self.corrupt(format!("column {name:?} missing from row group {g}")))
        };
        let time = column(self.time_index)?;
        let ts: Vec<i64> = time
            .as_primitive_opt::<TimestampNanosecondType>()
            .ok_or_else(|| self.corrupt("the time column is not a nanosecond timestamp".into()))?
            .values()
            .to_vec();
        let fields = self
            .fields
            .iter()
            .map(|f| column(f.index))
            .collect::<Result<Vec<_>>>()?;
        let memory = (ts.len() * 8) as u64
            + fields
                .iter()
                .map(|a| a.get_array_memory_size() as u64)
                .sum::<u64>();
        Ok(DecodedGroup {
            first_row,
            ts,
            fields,
            memory,
        })
    }
}

/// Batches of one row group as one (the reader was asked for one batch per group, so this
/// is rare).
fn arrow_select_concat(path: &str, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let Some(first) = batches.first() else {
        return Err(ColdError::Corrupt {
            path: path.to_string(),
            reason: "no batches".into(),
        });
    };
    arrow_select::concat::concat_batches(&first.schema(), batches).map_err(|source| {
        ColdError::Arrow {
            path: path.to_string(),
            source,
        }
    })
}

impl DecodedGroup {
    /// Appends field `field`'s points of `rows` with `start <= ts < end` to `out` (nulls,
    /// rows a series lacks the field at, are skipped). `out` has the field's type.
    pub fn append(
        &self,
        field: usize,
        rows: &Range<u64>,
        (start, end): (i64, i64),
        out: &mut ColumnData,
        path: &str,
    ) -> Result<()> {
        let Some(array) = self.fields.get(field) else {
            return Ok(());
        };
        let n = self.ts.len() as u64;
        let from = rows.start.saturating_sub(self.first_row).min(n) as usize;
        let to = rows.end.saturating_sub(self.first_row).min(n) as usize;
        let ts = self.ts.get(from..to).unwrap_or_default();
        let lo = from + ts.partition_point(|&t| t < start);
        let hi = from + ts.partition_point(|&t| t < end);
        let wrong = || ColdError::Corrupt {
            path: path.to_string(),
            reason: format!("column {field} does not have the field's type"),
        };
        let rows = lo..hi;
        let ts = &mut out.ts;
        match &mut out.values {
            Column::Float(v) => {
                let a = array.as_primitive_opt::<Float64Type>().ok_or_else(wrong)?;
                extend_valid(array, &self.ts, rows, ts, v, |i| Ok(a.value(i)))
            }
            Column::Integer(v) => {
                let a = array.as_primitive_opt::<Int64Type>().ok_or_else(wrong)?;
                extend_valid(array, &self.ts, rows, ts, v, |i| Ok(a.value(i)))
            }
            Column::Unsigned(v) => {
                let a = array
                    .as_primitive_opt::<Decimal128Type>()
                    .ok_or_else(wrong)?;
                extend_valid(array, &self.ts, rows, ts, v, |i| {
                    u64::try_from(a.value(i)).map_err(|_| ColdError::Corrupt {
                        path: path.to_string(),
                        reason: format!("unsigned value {} out of range", a.value(i)),
                    })
                })
            }
            Column::Boolean(v) => {
                let a = array.as_boolean_opt().ok_or_else(wrong)?;
                extend_valid(array, &self.ts, rows, ts, v, |i| Ok(a.value(i)))
            }
            Column::String(v) => {
                let a = array.as_string_opt::<i32>().ok_or_else(wrong)?;
                extend_valid(array, &self.ts, rows, ts, v, |i| Ok(a.value(i).to_string()))
            }
        }
    }
}

/// Appends the time and value of each row of `rows` where `array` is not null.
fn extend_valid<T>(
    array: &dyn Array,
    times: &[i64],
    rows: Range<usize>,
    ts: &mut Vec<i64>,
    values: &mut Vec<T>,
    value: impl Fn(usize) -> Result<T>,
) -> Result<()> {
    for i in rows.filter(|&i| !array.is_null(i)) {
        let (Some(&t), v) = (times.get(i), value(i)?) else {
            continue;
        };
        ts.push(t);
        values.push(v);
    }
    Ok(())
}

/// The field type a file's metadata names.
fn value_type_named(name: &str) -> Option<ValueType> {
    [
        ValueType::Float,
        ValueType::Integer,
        ValueType::Unsigned,
        ValueType::Boolean,
        ValueType::String,
    ]
    .into_iter()
    .find(|t| t.name() == name)
}
