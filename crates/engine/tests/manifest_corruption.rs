//! Manifest corruption: a byte flipped anywhere in a manifest segment must either be harmless
//! (the engine opens and returns exactly the acknowledged data) or make the open fail with an
//! error naming the manifest file. It must never panic, never silently drop an acknowledged
//! edit and never return wrong data.
//!
//! Why this needs care: the manifest reuses the WAL's framing and its torn-tail rule, which
//! truncates a damaged LAST record of the last segment (a crash while appending leaves exactly
//! that). But the last manifest record is an acknowledged edit: a flush deletes its WAL
//! segments once the edit adding its SSTable is durable, and the SSTable is deleted on the next
//! open as an orphan if the manifest does not list it. The engine therefore follows every edit
//! with a "commit" record (an empty edit list), so a damaged edit always has a valid record
//! after it and is refused as corruption, while a damaged commit record is harmless to drop.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

const HOUR: i64 = 3_600_000_000_000;
const SERIES: i64 = 3;

type Model = BTreeMap<(i64, i64), i64>;

fn opts(dir: &Path) -> EngineOptions {
    EngineOptions {
        partition_width: HOUR,
        ..EngineOptions::manual(dir)
    }
}

fn key(s: i64) -> SeriesKey {
    SeriesKey::new("m", vec![("host".into(), format!("h{s}"))])
}

fn write(engine: &Engine, model: &mut Model, from: i64, n: i64) {
    let points: Vec<Point> = (from..from + n)
        .map(|i| {
            let (s, ts) = (i % SERIES, i * HOUR / 7);
            model.insert((s, ts), i * 3 + 1);
            Point {
                series: key(s),
                fields: vec![("v".into(), FieldValue::Integer(i * 3 + 1))],
                timestamp: ts,
            }
        })
        .collect();
    engine.write(&points).unwrap();
}

fn delete(engine: &Engine, model: &mut Model, s: i64, start: i64, end: i64) {
    let id = engine.catalog().lookup(&key(s).canonical()).unwrap();
    engine.delete(&[id], start, end).unwrap();
    model.retain(|&(ms, ts), _| !(ms == s && start <= ts && ts < end));
}

/// Everything the engine returns, as a model.
fn read_all(engine: &Engine) -> Result<Model, strata_engine::Error> {
    let snap = engine.snapshot();
    let mut out = Model::new();
    for s in 0..SERIES {
        let Some(id) = engine.catalog().lookup(&key(s).canonical()) else {
            continue;
        };
        let Some(col) = snap.read(id, "v", i64::MIN, i64::MAX)? else {
            continue;
        };
        for (i, &ts) in col.ts.iter().enumerate() {
            let Some(FieldValue::Integer(v)) = col.value(i) else {
                panic!("series {s} at {ts}: not an integer: {:?}", col.value(i));
            };
            out.insert((s, ts), v);
        }
    }
    Ok(out)
}

/// A scratch directory, on tmpfs when there is one: each case opens the engine (a dozen
/// fsyncs), and what is tested here is the decoding, not the disk.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn manifest_segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("manifest"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

/// A data directory whose manifest holds flushes, a compaction and a tombstone, and whose
/// last operation is a flush (so its WAL segments are gone: the manifest alone knows the
/// newest SSTable). With `extra_deletes`, that many more tombstones, then flush and
/// compaction rounds until the manifest rotates: its last segment then starts with a
/// snapshot record holding every file and tombstone. Returns the acknowledged data.
fn build(dir: &Path, extra_deletes: usize) -> Model {
    let mut model = Model::new();
    let engine = Engine::open(opts(dir)).unwrap();
    write(&engine, &mut model, 0, 40);
    engine.flush().unwrap();
    write(&engine, &mut model, 20, 40);
    engine.flush().unwrap();
    engine.compact().unwrap();
    delete(&engine, &mut model, 1, 0, 5 * HOUR);
    for i in 0..extra_deletes {
        // Tombstones over an empty time range far in the future: a large state.
        let start = 1_000_000 * HOUR + i as i64;
        delete(&engine, &mut model, 0, start, start + 1);
    }
    if extra_deletes > 0 {
        // The log rotates once it holds 512 edits more than a snapshot would: each round
        // adds a file and removes two (five edits, state one file smaller).
        // A rotation starts a new segment and removes the old ones.
        let newest = manifest_segments(dir).pop();
        let mut rounds = 0;
        while manifest_segments(dir).pop() == newest {
            write(&engine, &mut model, 200 + rounds, 1);
            engine.flush().unwrap();
            engine.compact().unwrap();
            rounds += 1;
            assert!(rounds < 1000, "the manifest never rotated");
        }
    }
    write(&engine, &mut model, 100, 30);
    engine.flush().unwrap();
    assert_eq!(read_all(&engine).unwrap(), model);
    engine.close().unwrap();
    model
}

/// Opens a copy of `pristine` with byte `at` of `segment` (relative to the data dir) xored
/// with `mask`; the outcome as a message, `Ok` if harmless.
fn flip_and_open(
    pristine: &Path,
    segment: &Path,
    at: usize,
    mask: u8,
    model: &Model,
) -> Result<(), String> {
    let work = scratch();
    let data = work.path().join("data");
    copy_dir(pristine, &data);
    let seg = data.join(segment);
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[at] ^= mask;
    std::fs::write(&seg, &bytes).unwrap();
    let name = segment.file_name().unwrap().to_string_lossy().to_string();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Engine::open(opts(&data)).and_then(|e| {
            let read = read_all(&e);
            e.close()?;
            read
        })
    }));
    match outcome {
        Err(_) => panic!("{name} byte {at} ^ {mask:#04x}: the engine panicked"),
        Ok(Err(e)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("manifest") && msg.contains(&name),
                "{name} byte {at} ^ {mask:#04x}: the error does not name the manifest file: {msg}"
            );
            Err(msg)
        }
        Ok(Ok(read)) => {
            if &read != model {
                let lost = model.keys().filter(|k| !read.contains_key(k)).count();
                let wrong = read.iter().filter(|(k, v)| model.get(k) != Some(v)).count();
                panic!(
                    "{name} byte {at} ^ {mask:#04x}: opened with wrong data: {lost} acknowledged \
                     points lost, {wrong} points wrong or never written"
                );
            }
            // Reopening again (after the open may have truncated a torn tail) must agree.
            let again = Engine::open(opts(&data)).and_then(|e| {
                let read = read_all(&e);
                e.close()?;
                read
            });
            assert_eq!(
                again.as_ref().ok(),
                Some(model),
                "{name} byte {at} ^ {mask:#04x}: second open differs: {again:?}"
            );
            Ok(())
        }
    }
}

fn flip_every_byte(extra_deletes: usize) -> (usize, usize) {
    let pristine = scratch();
    let model = build(pristine.path(), extra_deletes);
    let (mut harmless, mut refused) = (0, 0);
    for seg in manifest_segments(pristine.path()) {
        let rel = seg.strip_prefix(pristine.path()).unwrap().to_path_buf();
        let len = std::fs::metadata(&seg).unwrap().len() as usize;
        for at in 0..len {
            for mask in [1 << (at % 8), 0x5a] {
                match flip_and_open(pristine.path(), &rel, at, mask, &model) {
                    Ok(()) => harmless += 1,
                    Err(_) => refused += 1,
                }
            }
        }
    }
    (harmless, refused)
}

#[test]
fn every_flipped_manifest_byte_is_refused_or_harmless() {
    let (harmless, refused) = flip_every_byte(0);
    assert!(refused > 0, "no flip was refused ({harmless} harmless)");
}

#[test]
fn every_flipped_byte_of_a_manifest_snapshot_is_refused_or_harmless() {
    // 600 tombstones, then rounds of flushes and compactions until the manifest rotated: its
    // last segment starts with one snapshot record holding every file and tombstone.
    let pristine = scratch();
    let model = build(pristine.path(), 600);
    let segments = manifest_segments(pristine.path());
    let last = segments.last().unwrap();
    let rel = last.strip_prefix(pristine.path()).unwrap().to_path_buf();
    let len = std::fs::metadata(last).unwrap().len() as usize;
    // The snapshot record is the first one of its segment (several KiB: 600 tombstones): flip
    // every byte of the segment header, of the record's framing and of the records after
    // the snapshot, and a sample of the snapshot's payload.
    let mut refused = 0;
    for at in (0..len).filter(|&at| at < 64 || at % 61 == 0 || at + 160 >= len) {
        for mask in [1 << (at % 8), 0x5a] {
            if flip_and_open(pristine.path(), &rel, at, mask, &model).is_err() {
                refused += 1;
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn damaged_last_edit_of_the_manifest_is_not_truncated_away() {
    // The specific case: a flipped payload byte in the very last edit (the one adding the
    // newest SSTable, whose WAL segments are already deleted).
    let pristine = scratch();
    let model = build(pristine.path(), 0);
    let seg = manifest_segments(pristine.path()).pop().unwrap();
    let rel = seg.strip_prefix(pristine.path()).unwrap().to_path_buf();
    let bytes = std::fs::read(&seg).unwrap();
    // The last record that is not a commit record ([3, 0]: version 3, no edit).
    let (pos, len) = records(&bytes)
        .into_iter()
        .rfind(|&(pos, len)| bytes[pos + 8..pos + 8 + len] != [3, 0])
        .expect("an edit record");
    for at in [
        pos,
        pos + 2,
        pos + 5,
        pos + 8,
        pos + 8 + len / 2,
        pos + 7 + len,
    ] {
        for mask in [0x01, 0x10, 0x80] {
            assert!(
                flip_and_open(pristine.path(), &rel, at, mask, &model).is_err(),
                "byte {at} ^ {mask:#04x} of the last edit went unnoticed"
            );
        }
    }
}

/// Offsets and lengths of the records of a manifest segment.
fn records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 20;
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        out.push((pos, len));
        pos += 8 + len;
    }
    out
}

#[test]
fn a_manifest_ending_without_a_commit_record_gets_one_on_open() {
    // A crash between an edit and its commit record, or a manifest written before commit
    // records existed: the log ends with an edit. Open must append a commit record, so that
    // later damage to that edit is refused rather than truncated away.
    let pristine = scratch();
    let model = build(pristine.path(), 0);
    let seg = manifest_segments(pristine.path()).pop().unwrap();
    let bytes = std::fs::read(&seg).unwrap();
    let recs = records(&bytes);
    let &(commit_pos, commit_len) = recs.last().unwrap();
    assert_eq!(
        &bytes[commit_pos + 8..],
        &[3, 0],
        "the log ends with a commit record"
    );
    assert_eq!(commit_len, 2);
    std::fs::write(&seg, &bytes[..commit_pos]).unwrap();

    let engine = Engine::open(opts(pristine.path())).unwrap();
    assert_eq!(read_all(&engine).unwrap(), model);
    engine.close().unwrap();
    // The commit record went into a new segment, after the edit's.
    let segments = manifest_segments(pristine.path());
    let newest = std::fs::read(segments.last().unwrap()).unwrap();
    assert_eq!(&newest[newest.len() - 2..], &[3, 0]);
    assert_ne!(segments.last().unwrap(), &seg);

    // Now the edit is protected: damage to it is refused.
    let (pos, len) = *records(&std::fs::read(&seg).unwrap()).last().unwrap();
    let rel = seg.strip_prefix(pristine.path()).unwrap().to_path_buf();
    for at in [pos + 1, pos + 2, pos + 6, pos + 8 + len / 2] {
        assert!(
            flip_and_open(pristine.path(), &rel, at, 0x04, &model).is_err(),
            "byte {at} of the formerly last edit went unnoticed"
        );
    }
}
