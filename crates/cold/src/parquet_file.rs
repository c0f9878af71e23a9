//! Encodes a partition's batches as one Parquet file: ZSTD, dictionary-encoded tag columns
//! with bloom filters, floats byte-stream-split and integers delta-coded, page-level statistics and column indexes (so readers prune row groups
//! and pages by time and tag), row groups of [`ROW_GROUP_ROWS`] rows, the sort order declared
//! (tag columns then time, ascending, nulls first) and the key-value metadata of
//! [`crate::schema::FileSchema::metadata`].

use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::columns::PartitionData;
use crate::error::{ColdError, Result};
use strata_engine::ValueType;

use crate::schema::TIME;

/// Rows per row group: small enough that a time or tag predicate skips most of a day's
/// file, large enough that each column chunk compresses well.
pub const ROW_GROUP_ROWS: usize = 131_072;

/// The file's bytes; `path` only names it in errors.
pub fn encode(data: &PartitionData, partition: (i64, i64), path: &str) -> Result<Bytes> {
    let err = |source| ColdError::Parquet {
        path: path.to_string(),
        source,
    };
    let schema = &data.schema;
    let tag_count = schema.tags.len();
    // Tags in column order, then time: the order the rows are in.
    let mut sorting: Vec<SortingColumn> = (0..tag_count)
        .map(|i| SortingColumn {
            column_idx: (i + 1) as i32,
            descending: false,
            nulls_first: true,
        })
        .collect();
    sorting.push(SortingColumn {
        column_idx: 0,
        descending: false,
        nulls_first: true,
    });
    let metadata = schema
        .metadata(partition.0, partition.1)
        .into_iter()
        .map(|(k, v)| KeyValue::new(k, v))
        .collect();
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(err)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_row_count_limit(16_384)
        .set_sorting_columns(Some(sorting))
        .set_key_value_metadata(Some(metadata))
        .set_created_by(format!("strata {}", env!("CARGO_PKG_VERSION")))
        .set_column_dictionary_enabled(ColumnPath::from(TIME), false)
        .set_column_encoding(ColumnPath::from(TIME), Encoding::DELTA_BINARY_PACKED);
    // Floats split by byte before ZSTD (sign/exponent bytes compress, mantissas do not mix
    // in); integers delta-coded. Dictionaries only where values repeat: tags and strings.
    for f in &schema.fields {
        let col = ColumnPath::from(f.column.as_str());
        let encoding = match f.field_type {
            Some(ValueType::Float) => Some(Encoding::BYTE_STREAM_SPLIT),
            Some(ValueType::Integer) => Some(Encoding::DELTA_BINARY_PACKED),
            _ => None,
        };
        if let Some(e) = encoding {
            props = props
                .set_column_dictionary_enabled(col.clone(), false)
                .set_column_encoding(col, e);
        }
    }
    for t in &schema.tags {
        let col = ColumnPath::from(t.column.as_str());
        props = props
            .set_column_dictionary_enabled(col.clone(), true)
            .set_column_bloom_filter_enabled(col, true);
    }
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut out, schema.arrow.clone(), Some(props.build())).map_err(err)?;
    for b in &data.batches {
        writer.write(b).map_err(err)?;
    }
    writer.close().map_err(err)?;
    Ok(Bytes::from(out))
}
