//! The series index: what a series is ([`series_key`]: the key and its canonical text form),
//! the catalog of series ids, and each measurement's postings and field types.

mod catalog;
mod handle;
mod postings;
mod series_key;

pub use catalog::{Catalog, FieldTypeConflict, NewField};
pub use handle::{SeriesHandle, key_hash};
pub use postings::{MeasurementIndex, SeriesId};
pub use series_key::{
    CanonicalTags, SeriesKey, canonical_into, cmp_canonical_tags, split_canonical,
};
