//! The export end to end against a local-directory store: the files' rows equal the
//! engine's data (deduplicated, deletes applied, nulls where a row lacks a field), their
//! schema, declared sort order, statistics and metadata are as docs/format.md says, and the
//! manifest's generations follow late writes, supersede old files and delete them after the
//! grace period.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int64Type, TimestampNanosecondType};
use arrow_array::{Array, RecordBatch};
use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::file::metadata::PageIndexPolicy;
use strata_cold::{PlanOptions, Store, export_database, manifest};
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey, SyncPolicy};

const DAY: i64 = 86_400_000_000_000;
/// 2023-11-15T00:00:00Z, a partition start.
const T0: i64 = 1_700_006_400_000_000_000;

fn point(host: Option<&str>, ts: i64, fields: Vec<(&str, FieldValue)>) -> Point {
    let tags = host
        .map(|h| vec![("host".to_string(), h.to_string())])
        .unwrap_or_default();
    Point {
        series: SeriesKey::new("cpu", tags),
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        timestamp: ts,
    }
}

fn engine(dir: &std::path::Path) -> Arc<Engine> {
    Arc::new(
        Engine::open(EngineOptions {
            wal_sync: SyncPolicy::None,
            ..EngineOptions::manual(dir)
        })
        .unwrap(),
    )
}

fn opts() -> PlanOptions {
    PlanOptions {
        cold_after: Duration::from_secs(3600),
        grace: Duration::from_secs(60),
        retention: None,
        test_pause: None,
    }
}

async fn read_file(
    store: &Store,
    path: &str,
) -> (Vec<RecordBatch>, parquet::file::metadata::ParquetMetaData) {
    let bytes: Bytes = store
        .inner
        .get(&Path::from(path))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(bytes, options).unwrap();
    let meta = builder.metadata().as_ref().clone();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (batches, meta)
}

#[tokio::test]
async fn exported_files_hold_the_engine_data() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&dir.path().join("data"));
    let f = |x: f64| FieldValue::Float(x);
    e.write(&[
        point(
            Some("b"),
            T0 + 20,
            vec![("usage", f(2.0)), ("n", FieldValue::Integer(-7))],
        ),
        point(Some("a"), T0 + 10, vec![("usage", f(1.0))]),
        point(
            Some("a"),
            T0 + 30,
            vec![("usage", f(3.0)), ("big", FieldValue::Unsigned(u64::MAX))],
        ),
        point(
            None,
            T0 + 5,
            vec![
                ("ok", FieldValue::Boolean(true)),
                ("note", FieldValue::String("x".into())),
            ],
        ),
        // The next day: another partition.
        point(Some("a"), T0 + DAY + 1, vec![("usage", f(9.0))]),
    ])
    .unwrap();
    // An overwrite (dedup) and a delete.
    e.write(&[point(Some("a"), T0 + 10, vec![("usage", f(1.5))])])
        .unwrap();
    e.write(&[point(Some("c"), T0 + 40, vec![("usage", f(4.0))])])
        .unwrap();
    let c = e.catalog().lookup("cpu,host=c").unwrap();
    e.delete(&[c], T0, T0 + DAY).unwrap();
    e.flush().unwrap();
    e.compact().unwrap();

    let store = Store::open(&format!("file://{}", dir.path().join("cold").display())).unwrap();
    let now = T0 + 3 * DAY;
    let r = export_database(&store, "default", &e, &opts(), now)
        .await
        .unwrap();
    assert_eq!(r.generation, Some(1));
    assert_eq!(r.partitions, 2);
    assert_eq!(r.files.len(), 2, "{r:?}");
    let first = &r.files[0];
    assert_eq!(
        first.path,
        format!("default/cpu/date=2023-11-15/part-{T0}-1.parquet")
    );
    assert_eq!(first.rows, 4);
    assert_eq!((first.min_time_ns, first.max_time_ns), (T0 + 5, T0 + 30));
    assert_eq!(first.tags["host"].min, "a");
    assert_eq!(first.tags["host"].max, "b");

    let (batches, meta) = read_file(&store, &first.path).await;
    let b = arrow_select_concat(&batches);
    let schema = b.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["time", "host", "big", "n", "note", "ok", "usage"]);
    // Sorted by host (nulls first), then time.
    let time = b.column(0).as_primitive::<TimestampNanosecondType>();
    assert_eq!(time.values().to_vec(), [T0 + 5, T0 + 10, T0 + 30, T0 + 20]);
    let host = b.column(1).as_string::<i32>();
    assert!(host.is_null(0));
    assert_eq!(
        (host.value(1), host.value(2), host.value(3)),
        ("a", "a", "b")
    );
    let usage = b.column(6).as_primitive::<Float64Type>();
    assert!(usage.is_null(0));
    assert_eq!(
        (usage.value(1), usage.value(2), usage.value(3)),
        (1.5, 3.0, 2.0)
    );
    let big = b.column(2).as_primitive::<Decimal128Type>();
    assert_eq!(big.value(2), i128::from(u64::MAX));
    assert!(big.is_null(1));
    let n = b.column(3).as_primitive::<Int64Type>();
    assert_eq!(n.value(3), -7);
    assert_eq!(b.column(4).as_string::<i32>().value(0), "x");
    assert!(b.column(5).as_boolean().value(0));

    // The declared sort order, statistics, ZSTD and Strata's metadata.
    let rg = meta.row_group(0);
    let sorting = rg.sorting_columns().unwrap();
    assert_eq!(
        sorting
            .iter()
            .map(|s| (s.column_idx, s.nulls_first))
            .collect::<Vec<_>>(),
        [(1, true), (0, true)]
    );
    assert!(rg.column(0).statistics().is_some());
    assert!(format!("{:?}", rg.column(6).compression()).starts_with("ZSTD"));
    assert!(meta.column_index().is_some(), "no page index");
    let kv = meta.file_metadata().key_value_metadata().unwrap();
    let get = |k: &str| kv.iter().find(|x| x.key == k).and_then(|x| x.value.clone());
    assert_eq!(get("strata.format_version").as_deref(), Some("1"));
    assert_eq!(get("strata.measurement").as_deref(), Some("cpu"));
    assert!(get("strata.fields").unwrap().contains("\"unsigned\""));

    // Nothing changed: nothing to do.
    let again = export_database(&store, "default", &e, &opts(), now)
        .await
        .unwrap();
    assert_eq!(again.generation, None);

    // A late write to the first partition: exported again as generation 2; the old file is
    // superseded, and deleted once the grace period is over.
    e.write(&[point(Some("a"), T0 + 50, vec![("usage", f(5.0))])])
        .unwrap();
    e.flush().unwrap();
    e.compact().unwrap();
    let r2 = export_database(&store, "default", &e, &opts(), now + 1)
        .await
        .unwrap();
    assert_eq!(r2.generation, Some(2));
    assert_eq!(r2.files.len(), 1);
    assert_eq!(r2.files[0].rows, 5);
    let m = manifest::load_latest(&store, "default").await.unwrap();
    assert_eq!(m.generation, 2);
    assert_eq!(m.partitions.len(), 2);
    assert_eq!(m.superseded.len(), 1);
    assert_eq!(m.superseded[0].path, first.path);
    assert!(
        store
            .inner
            .head(&Path::from(first.path.as_str()))
            .await
            .is_ok()
    );
    let later = now + 120_000_000_000;
    let r3 = export_database(&store, "default", &e, &opts(), later)
        .await
        .unwrap();
    assert_eq!(r3.deleted, std::slice::from_ref(&first.path));
    assert!(
        store
            .inner
            .head(&Path::from(first.path.as_str()))
            .await
            .is_err()
    );
    let m = manifest::load_latest(&store, "default").await.unwrap();
    assert!(m.superseded.is_empty());
    assert_eq!(m.generation, 3);
}

fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "one batch expected in a small file");
    batches[0].clone()
}

/// The cold reader gives back exactly what the snapshot read before the export, for every
/// type, with nulls and a series without tags; bytes damaged anywhere never decode as data.
#[tokio::test(flavor = "multi_thread")]
async fn the_cold_reader_reads_back_what_was_exported() {
    use strata_cold::read::cold_file::ColdFile;
    use strata_cold::{ColdCaches, ColdReader};
    use strata_engine::{ColdRead, ColdSource};

    let dir = tempfile::tempdir().unwrap();
    let e = engine(&dir.path().join("data"));
    let mut pts = Vec::new();
    for i in 0..3000i64 {
        let host = ["a", "b", "c"][(i % 3) as usize];
        let mut fields = vec![("usage", FieldValue::Float(i as f64 / 3.0))];
        if i % 4 != 0 {
            fields.push(("n", FieldValue::Integer(-i)));
            fields.push(("big", FieldValue::Unsigned(u64::MAX - i as u64)));
            fields.push(("ok", FieldValue::Boolean(i % 2 == 0)));
            fields.push(("note", FieldValue::String(format!("s{i}"))));
        }
        pts.push(point(Some(host), T0 + i * 1_000_000_000, fields));
    }
    pts.push(point(
        None,
        T0 + 7,
        vec![("usage", FieldValue::Float(0.25))],
    ));
    e.write(&pts).unwrap();
    e.flush().unwrap();
    e.compact().unwrap();
    let store = Store::open(&format!("file://{}", dir.path().join("cold").display())).unwrap();
    let r = export_database(&store, "default", &e, &opts(), T0 + 3 * DAY)
        .await
        .unwrap();
    let manifest = r.manifest.clone().unwrap();
    let caches = ColdCaches::new(&dir.path().join("cache"), 1 << 30).unwrap();
    let reader = ColdReader::new(store.clone(), "default", caches.clone(), None);
    reader.set_manifest(&manifest);
    let fields = ["big", "n", "note", "ok", "usage", "missing"];
    let snap = e.snapshot();
    for canonical in ["cpu,host=a", "cpu,host=b", "cpu,host=c", "cpu"] {
        let id = snap.catalog().lookup(canonical).unwrap();
        for (start, end) in [(T0, T0 + DAY), (T0 + 100_000_000_000, T0 + 200_000_000_001)] {
            let want = snap
                .read_columns(id, &fields, start, end, strata_engine::Take::All)
                .unwrap();
            let read = ColdRead {
                partition: T0,
                partition_last: T0 + DAY - 1,
                series: canonical,
                fields: &fields,
                start,
                end,
            };
            let got = tokio::task::block_in_place(|| reader.read(&read)).unwrap();
            assert_eq!(got, want, "{canonical} [{start}, {end})");
        }
    }
    // A series the file does not hold, and one the tag bounds rule out without a fetch.
    let none = |series: &str| {
        let read = ColdRead {
            partition: T0,
            partition_last: T0 + DAY - 1,
            series,
            fields: &["usage"],
            start: T0,
            end: T0 + DAY,
        };
        tokio::task::block_in_place(|| reader.read(&read)).unwrap()
    };
    assert_eq!(none("cpu,host=zz"), vec![None]);
    assert_eq!(none("mem,host=a"), vec![None]);
    assert_eq!(caches.stats().fetched, 1, "one file, fetched once");

    // Damage: truncations and flipped bytes either fail to open or decode, or (a flip the
    // format cannot see, in a value) give rows of the right shape; nothing panics.
    let path = &manifest.partitions[0].files[0].path;
    let bytes = store.get_bytes(&Path::from(path.as_str())).await.unwrap();
    let n = bytes.len();
    let mut refused = 0;
    for cut in (0..n).step_by(n / 97 + 1) {
        match ColdFile::open(path, bytes.slice(..cut)) {
            Ok(_) => panic!("a file cut to {cut} of {n} bytes opened"),
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 90);
    for at in (0..n).step_by(n / 211 + 1) {
        let mut damaged = bytes.to_vec();
        damaged[at] ^= 0x5a;
        if let Ok(f) = ColdFile::open(path, Bytes::from(damaged)) {
            for g in 0..4 {
                let _ = f.decode_group(g);
            }
        }
    }
}
