//! Reading series columns for a query: one (series, field) column from the snapshot, clipped
//! to the range and checked against the field's catalog type, and sub-slicing of value
//! columns by index.

use std::ops::Range;

use strata_codec::ColumnRef;
use strata_engine::{ColumnData, SeriesId, Snapshot, ValueType};

use crate::error::QueryError;

/// The points of `field` of series `id` with `lo <= ts < hi`, sorted and deduplicated;
/// `None` if there are none. A column whose type differs from the catalog's `ty` (which
/// the engine's write validation rules out) is treated as absent rather than mixed in.
pub(crate) fn read_column(
    snapshot: &Snapshot,
    id: SeriesId,
    field: &str,
    ty: ValueType,
    lo: i64,
    hi: i64,
) -> Result<Option<ColumnData>, QueryError> {
    let Some(col) = snapshot.read(id, field, lo, hi)? else {
        return Ok(None);
    };
    if col.is_empty() || col.value_type() != ty {
        return Ok(None);
    }
    // The engine returns only points in range; clip anyway, it costs two binary searches.
    let r = col.range_indices(lo, hi);
    let col = if r.len() == col.len() {
        col
    } else {
        col.slice(lo, hi)
    };
    Ok((!col.is_empty()).then_some(col))
}

/// `values[r]` (empty if `r` is out of bounds).
pub(crate) fn sub(values: ColumnRef<'_>, r: Range<usize>) -> ColumnRef<'_> {
    match values {
        ColumnRef::Float(v) => ColumnRef::Float(v.get(r).unwrap_or_default()),
        ColumnRef::Integer(v) => ColumnRef::Integer(v.get(r).unwrap_or_default()),
        ColumnRef::Unsigned(v) => ColumnRef::Unsigned(v.get(r).unwrap_or_default()),
        ColumnRef::Boolean(v) => ColumnRef::Boolean(v.get(r).unwrap_or_default()),
        ColumnRef::String(v) => ColumnRef::String(v.get(r).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_slices() {
        let v = [1i64, 2, 3];
        assert!(matches!(
            sub(ColumnRef::Integer(&v), 1..3),
            ColumnRef::Integer([2, 3])
        ));
        assert!(sub(ColumnRef::Integer(&v), 2..9).is_empty());
    }
}
