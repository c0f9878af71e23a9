//! Where things live in the store, under the configured prefix:
//!
//! ```text
//! <prefix>/<db>/<measurement>/date=YYYY-MM-DD/part-<partition start ns>-<generation>.parquet
//! <prefix>/<db>/_strata/manifest-<generation, 20 digits>.json
//! ```
//!
//! Data files are hive-style (`date=` of the partition's start, UTC), so outside engines
//! prune by date. Names are object_store path segments (percent-encoded where S3 advises);
//! a name starting with `_` or `.` has that character percent-encoded too, so no database or
//! measurement can be taken for the `_strata` folder, or be skipped as hidden by Spark.

use chrono::DateTime;
use object_store::path::{Path, PathPart};

/// The folder of a database's manifests.
const MANIFEST_DIR: &str = "_strata";

/// A database or measurement name as one path segment (already encoded).
pub fn segment(name: &str) -> String {
    let encoded = PathPart::from(name).as_ref().to_string();
    match encoded.as_bytes().first() {
        Some(&b) if b == b'_' || b == b'.' => format!("%{b:02X}{}", &encoded[1..]),
        _ => encoded,
    }
}

/// `dir` with the segment of `name` added.
fn child(dir: &Path, name: &str) -> Path {
    let seg = segment(name);
    match PathPart::parse(&seg) {
        Ok(part) => dir.clone().join(part),
        // Unreachable: an encoded segment has no control character, no `/` and is never
        // `.` or `..`; fall back to object_store's own encoding all the same.
        Err(_) => dir.clone().join(name),
    }
}

/// `<prefix>/<db>`.
pub fn database_dir(prefix: &Path, database: &str) -> Path {
    child(prefix, database)
}

/// The folder of a database's manifests.
pub fn manifest_dir(prefix: &Path, database: &str) -> Path {
    database_dir(prefix, database).join(MANIFEST_DIR)
}

/// The manifest of `generation`.
pub fn manifest_path(prefix: &Path, database: &str, generation: u64) -> Path {
    manifest_dir(prefix, database).join(format!("manifest-{generation:020}.json"))
}

/// The generation a manifest object's file name gives, if it is one.
pub fn manifest_generation(path: &Path) -> Option<u64> {
    let name = path.filename()?;
    let digits = name.strip_prefix("manifest-")?.strip_suffix(".json")?;
    (digits.len() == 20).then(|| digits.parse().ok()).flatten()
}

/// The data file of one measurement's partition, written by manifest `generation`.
pub fn data_path(
    prefix: &Path,
    database: &str,
    measurement: &str,
    partition: i64,
    generation: u64,
) -> Path {
    child(&database_dir(prefix, database), measurement)
        .join(format!("date={}", date_of(partition)))
        .join(format!("part-{partition}-{generation}.parquet"))
}

/// The UTC date (YYYY-MM-DD) holding `ns`.
fn date_of(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = Path::from("strata");
        assert_eq!(
            data_path(&p, "default", "cpu", 1_700_006_400_000_000_000, 3).as_ref(),
            "strata/default/cpu/date=2023-11-15/part-1700006400000000000-3.parquet"
        );
        assert_eq!(
            manifest_path(&p, "my db", 12).as_ref(),
            "strata/my db/_strata/manifest-00000000000000000012.json"
        );
        assert_eq!(manifest_generation(&manifest_path(&p, "x", 12)), Some(12));
        assert_eq!(manifest_generation(&Path::from("a/manifest-1.json")), None);
        assert_eq!(date_of(-1), "1969-12-31");
    }

    #[test]
    fn no_name_takes_the_manifest_folder_or_hides() {
        assert_eq!(segment("_strata"), "%5Fstrata");
        assert_eq!(segment(".hidden"), "%2Ehidden");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(segment("cpu"), "cpu");
        assert_eq!(segment("50%"), "50%25");
        assert_eq!(
            manifest_dir(&Path::default(), "_strata").as_ref(),
            "%5Fstrata/_strata"
        );
    }
}
