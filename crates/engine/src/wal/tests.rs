//! Tests of the WAL as a whole: round trips, recovery of torn and corrupt
//! segments, salvage, group commit under concurrency, injected faults.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::format::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};
use super::segment::segment_path;
use super::*;
use crate::error::Error;
use crate::io::{FaultyFs, FileSystem, StdFs};

type Records = Vec<(u64, Vec<u8>)>;

fn std_fs() -> Arc<dyn FileSystem> {
    Arc::new(StdFs::new())
}

fn open_with(
    fs: Arc<dyn FileSystem>,
    dir: &Path,
    options: WalOptions,
) -> crate::Result<(Wal, Records, RecoveryReport)> {
    let mut records = Vec::new();
    let (wal, report) = Wal::open(fs, dir, options, |seq, payload| {
        records.push((seq, payload.to_vec()));
        Ok(())
    })?;
    Ok((wal, records, report))
}

fn open(dir: &Path) -> (Wal, Records, RecoveryReport) {
    open_with(std_fs(), dir, WalOptions::default()).unwrap()
}

fn payloads(records: &Records) -> Vec<Vec<u8>> {
    records.iter().map(|(_, p)| p.clone()).collect()
}

fn payload(i: usize) -> Vec<u8> {
    format!("record-{i}-{}", "x".repeat(i % 7)).into_bytes()
}

/// Writes `payloads` to a fresh WAL in `dir` (segment 1) and closes it.
/// Returns the byte offset where each record starts.
fn write_segment(dir: &Path, payloads: &[Vec<u8>]) -> Vec<usize> {
    let (wal, recovered, _) = open(dir);
    assert!(recovered.is_empty());
    let mut offsets = Vec::new();
    let mut at = SEGMENT_HEADER_LEN;
    for p in payloads {
        wal.append(p).unwrap();
        offsets.push(at);
        at += RECORD_HEADER_LEN + p.len();
    }
    wal.close().unwrap();
    offsets
}

fn live_segments(dir: &Path) -> Vec<u64> {
    let mut seqs: Vec<u64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".wal")?.parse().ok()
        })
        .collect();
    seqs.sort_unstable();
    seqs
}

fn corrupt_at(err: Error) -> (PathBuf, u64, String) {
    match err {
        Error::Corrupt {
            path,
            offset,
            reason,
        } => (path, offset, reason),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, recovered, report) = open(dir.path());
    assert!(recovered.is_empty());
    assert_eq!(report, RecoveryReport::default());
    assert_eq!(wal.current_segment(), 1);
    let expected: Vec<Vec<u8>> = (0..20).map(payload).collect();
    for p in &expected[..10] {
        wal.append(p).unwrap();
    }
    let rest: Vec<&[u8]> = expected[10..].iter().map(Vec::as_slice).collect();
    wal.append_batch(&rest).unwrap();
    let stats = wal.stats();
    assert_eq!(stats.records, 20);
    assert_eq!(stats.batches, 11);
    assert_eq!(stats.segments_created, 1);
    wal.close().unwrap();

    let (wal, recovered, report) = open(dir.path());
    assert_eq!(payloads(&recovered), expected);
    assert!(recovered.iter().all(|(seq, _)| *seq == 1));
    assert_eq!(report.records, 20);
    assert_eq!(report.segments, 1);
    assert!(report.torn_tail.is_none());
    assert_eq!(wal.current_segment(), 2, "new writes go to a new segment");
}

#[test]
fn reopen_after_clean_close_many_times() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for round in 0..5 {
        let (wal, recovered, _) = open(dir.path());
        assert_eq!(payloads(&recovered), expected, "round {round}");
        for i in 0..3 {
            let p = payload(round * 10 + i);
            wal.append(&p).unwrap();
            expected.push(p);
        }
        wal.close().unwrap();
        wal.close().unwrap(); // idempotent
    }
    assert_eq!(live_segments(dir.path()), vec![1, 2, 3, 4, 5]);
}

#[test]
fn drop_without_close_keeps_records() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _) = open(dir.path());
    wal.append(b"kept").unwrap();
    drop(wal);
    let (_wal, recovered, _) = open(dir.path());
    assert_eq!(payloads(&recovered), vec![b"kept".to_vec()]);
}

#[test]
fn invalid_appends_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let options = WalOptions {
        max_record_size: 16,
        ..WalOptions::default()
    };
    let (wal, _, _) = open_with(std_fs(), dir.path(), options).unwrap();
    assert!(matches!(wal.append(b""), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        wal.append(&[1; 17]),
        Err(Error::TooLarge {
            size: 17,
            limit: 16,
            ..
        })
    ));
    assert!(matches!(
        wal.append_batch(&[b"ok", b""]),
        Err(Error::InvalidArgument(_))
    ));
    wal.append(&[1; 16]).unwrap();
    wal.append_batch(&[]).unwrap();
    assert_eq!(wal.stats().records, 1);
    wal.close().unwrap();
    assert!(matches!(wal.append(b"late"), Err(Error::Closed(_))));
    assert!(matches!(wal.rotate(), Err(Error::Closed(_))));
}

#[test]
fn torn_tail_at_every_byte_offset() {
    let src = tempfile::tempdir().unwrap();
    let expected: Vec<Vec<u8>> = (0..4).map(payload).chain([vec![0xab; 40]]).collect();
    let offsets = write_segment(src.path(), &expected);
    let full = std::fs::read(segment_path(src.path(), 1)).unwrap();
    let last_start = *offsets.last().unwrap();
    assert_eq!(full.len(), last_start + RECORD_HEADER_LEN + 40);

    for cut in 0..full.len() {
        let dir = tempfile::tempdir().unwrap();
        let seg = segment_path(dir.path(), 1);
        std::fs::write(&seg, &full[..cut]).unwrap();
        let (wal, recovered, report) = open_with(std_fs(), dir.path(), WalOptions::default())
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        if cut < SEGMENT_HEADER_LEN {
            // Torn header: the segment held nothing and is removed.
            assert!(recovered.is_empty());
            assert_eq!(report.removed_segments, vec![seg.clone()]);
            assert!(!seg.exists());
            assert_eq!(wal.current_segment(), 2);
            continue;
        }
        let complete = offsets
            .iter()
            .zip(&expected)
            .filter(|(off, p)| **off + RECORD_HEADER_LEN + p.len() <= cut)
            .count();
        assert_eq!(payloads(&recovered), expected[..complete], "cut at {cut}");
        let boundary = offsets
            .get(complete)
            .copied()
            .unwrap_or(full.len())
            .min(cut);
        if cut == boundary {
            assert!(report.torn_tail.is_none(), "cut at {cut}");
        } else {
            let torn = report.torn_tail.as_ref().unwrap();
            assert_eq!(torn.offset, boundary as u64, "cut at {cut}");
            assert_eq!(torn.path, seg);
        }
        assert_eq!(std::fs::metadata(&seg).unwrap().len(), boundary as u64);
        // New writes go to a new segment; the truncated one stays valid.
        wal.append(b"after").unwrap();
        wal.close().unwrap();
        let (_wal, again, report) = open(dir.path());
        let mut want = expected[..complete].to_vec();
        want.push(b"after".to_vec());
        assert_eq!(payloads(&again), want, "cut at {cut}");
        assert!(report.torn_tail.is_none());
    }
}

#[test]
fn zero_filled_and_garbage_tails_are_truncated() {
    let src = tempfile::tempdir().unwrap();
    let expected: Vec<Vec<u8>> = (0..3).map(payload).collect();
    write_segment(src.path(), &expected);
    let full = std::fs::read(segment_path(src.path(), 1)).unwrap();

    for tail in [
        vec![0u8; 4096],
        vec![0xff; 3],
        b"\x05\x00\x00\x00garbage!".to_vec(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = full.clone();
        bytes.extend_from_slice(&tail);
        std::fs::write(segment_path(dir.path(), 1), &bytes).unwrap();
        let (_wal, recovered, report) = open(dir.path());
        assert_eq!(payloads(&recovered), expected);
        assert_eq!(report.torn_tail.unwrap().offset, full.len() as u64);
    }
}

#[test]
fn flipped_byte_in_middle_record_is_corrupt() {
    let src = tempfile::tempdir().unwrap();
    let expected: Vec<Vec<u8>> = (0..5).map(payload).collect();
    let offsets = write_segment(src.path(), &expected);
    let full = std::fs::read(segment_path(src.path(), 1)).unwrap();

    // Payload byte, checksum byte, and length byte of record 2.
    for delta in [RECORD_HEADER_LEN + 3, 5, 0] {
        let dir = tempfile::tempdir().unwrap();
        let seg = segment_path(dir.path(), 1);
        let mut bytes = full.clone();
        bytes[offsets[2] + delta] ^= 0x10;
        std::fs::write(&seg, &bytes).unwrap();
        let err = open_with(std_fs(), dir.path(), WalOptions::default()).unwrap_err();
        let msg = err.to_string();
        let (path, offset, _) = corrupt_at(err);
        assert_eq!(path, seg);
        assert_eq!(offset, offsets[2] as u64, "delta {delta}");
        assert!(msg.contains("00000000000000000001.wal"), "{msg}");
        assert!(msg.contains(&format!("offset {}", offsets[2])), "{msg}");
        assert_eq!(bytes, std::fs::read(&seg).unwrap(), "nothing was modified");
    }
}

#[test]
fn any_damage_in_a_non_last_segment_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _) = open(dir.path());
    wal.append(b"one").unwrap();
    wal.append(b"two").unwrap();
    assert_eq!(wal.rotate().unwrap(), 2);
    wal.append(b"three").unwrap();
    wal.close().unwrap();
    // Damage the LAST record of segment 1: not a tail, since segment 2 follows.
    let seg1 = segment_path(dir.path(), 1);
    let mut bytes = std::fs::read(&seg1).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&seg1, &bytes).unwrap();
    let err = open_with(std_fs(), dir.path(), WalOptions::default()).unwrap_err();
    let (path, offset, _) = corrupt_at(err);
    assert_eq!(path, seg1);
    assert_eq!(offset, (SEGMENT_HEADER_LEN + RECORD_HEADER_LEN + 3) as u64);
    // A truncated non-last segment is corrupt too.
    std::fs::write(&seg1, &bytes[..bytes.len() - 2]).unwrap();
    assert!(matches!(
        open_with(std_fs(), dir.path(), WalOptions::default()),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn salvage_keeps_the_prefix_and_moves_the_rest_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _) = open(dir.path());
    let mut offsets = Vec::new();
    let mut at = SEGMENT_HEADER_LEN;
    for i in 0..5 {
        let p = payload(i);
        wal.append(&p).unwrap();
        offsets.push(at);
        at += RECORD_HEADER_LEN + p.len();
    }
    wal.rotate().unwrap();
    wal.append(b"in segment 2").unwrap();
    wal.close().unwrap();
    let seg1 = segment_path(dir.path(), 1);
    let seg2 = segment_path(dir.path(), 2);
    let original = std::fs::read(&seg1).unwrap();
    let mut bytes = original.clone();
    bytes[offsets[2] + RECORD_HEADER_LEN] ^= 0xff;
    std::fs::write(&seg1, &bytes).unwrap();

    let salvage = WalOptions {
        salvage: true,
        ..WalOptions::default()
    };
    let (wal, recovered, report) = open_with(std_fs(), dir.path(), salvage).unwrap();
    assert_eq!(payloads(&recovered), vec![payload(0), payload(1)]);
    let s = report.salvage.unwrap();
    assert_eq!(
        (s.path.clone(), s.offset),
        (seg1.clone(), offsets[2] as u64)
    );
    assert_eq!(std::fs::metadata(&seg1).unwrap().len(), offsets[2] as u64);
    assert!(!seg2.exists());
    let seg1_aside = PathBuf::from(format!("{}.corrupt", seg1.display()));
    let seg2_aside = PathBuf::from(format!("{}.corrupt", seg2.display()));
    assert_eq!(s.moved_aside, vec![seg1_aside.clone(), seg2_aside.clone()]);
    assert_eq!(
        std::fs::read(&seg1_aside).unwrap(),
        bytes,
        "damaged copy kept"
    );
    assert!(seg2_aside.exists());
    // The new segment is above every segment-named file, including the ones
    // moved aside: sequence numbers are never reused.
    assert_eq!(wal.current_segment(), 3);
    wal.append(b"after salvage").unwrap();
    wal.close().unwrap();

    let (_wal, recovered, report) = open(dir.path());
    assert_eq!(
        payloads(&recovered),
        vec![payload(0), payload(1), b"after salvage".to_vec()]
    );
    assert!(report.salvage.is_none());
}

#[test]
fn salvage_of_a_bad_header_moves_the_whole_segment_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _) = open(dir.path());
    wal.append(b"a").unwrap();
    wal.rotate().unwrap();
    wal.append(b"b").unwrap();
    wal.rotate().unwrap();
    wal.append(b"c").unwrap();
    wal.close().unwrap();
    let seg2 = segment_path(dir.path(), 2);
    let mut bytes = std::fs::read(&seg2).unwrap();
    bytes[0] = b'X';
    std::fs::write(&seg2, &bytes).unwrap();
    let salvage = WalOptions {
        salvage: true,
        ..WalOptions::default()
    };
    let (_wal, recovered, report) = open_with(std_fs(), dir.path(), salvage).unwrap();
    assert_eq!(payloads(&recovered), vec![b"a".to_vec()]);
    assert_eq!(report.salvage.unwrap().offset, 0);
    // Segment 2 was moved aside; the new segment 4 exists from its first write on.
    assert_eq!(live_segments(dir.path()), vec![1]);
}

#[test]
fn bad_headers_are_clear_errors_naming_the_file() {
    let src = tempfile::tempdir().unwrap();
    write_segment(src.path(), &[b"x".to_vec()]);
    let good = std::fs::read(segment_path(src.path(), 1)).unwrap();

    let cases: [(usize, u8, &str); 3] = [(0, b'Z', "magic"), (12, 0x01, "checksum"), (7, 0x01, "")];
    for (at, value, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        let seg = segment_path(dir.path(), 1);
        let mut bytes = good.clone();
        bytes[at] = value;
        std::fs::write(&seg, &bytes).unwrap();
        let err = open_with(std_fs(), dir.path(), WalOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("00000000000000000001.wal"), "{msg}");
        match err {
            Error::Corrupt { path, offset, .. } => {
                assert_eq!((path, offset), (seg, 0));
                assert!(msg.contains(needle), "{msg}");
            }
            Error::UnsupportedVersion { path, found, .. } => {
                assert_eq!(at, 7, "{msg}");
                assert_eq!(path, seg);
                assert_eq!(found, 0x0101);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    // A header whose sequence number does not match the file name.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(segment_path(dir.path(), 9), &good).unwrap();
    let (_, _, reason) =
        corrupt_at(open_with(std_fs(), dir.path(), WalOptions::default()).unwrap_err());
    assert!(reason.contains("file name"), "{reason}");
}

#[test]
fn torn_header_of_the_last_segment_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), &[b"a".to_vec()]);
    let seg2 = segment_path(dir.path(), 2);
    std::fs::write(&seg2, b"STRWA").unwrap();
    let (wal, recovered, report) = open(dir.path());
    assert_eq!(payloads(&recovered), vec![b"a".to_vec()]);
    assert_eq!(report.removed_segments, vec![seg2.clone()]);
    assert!(!seg2.exists());
    assert_eq!(wal.current_segment(), 3, "sequence numbers are not reused");
}

#[test]
fn oversized_length_field_is_corruption_not_an_allocation() {
    let src = tempfile::tempdir().unwrap();
    let expected: Vec<Vec<u8>> = (0..3).map(payload).collect();
    let offsets = write_segment(src.path(), &expected);
    let full = std::fs::read(segment_path(src.path(), 1)).unwrap();

    for (len, max) in [(u32::MAX, DEFAULT_MAX_RECORD_SIZE), (1025, 1024)] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = full.clone();
        bytes[offsets[1]..offsets[1] + 4].copy_from_slice(&len.to_le_bytes());
        std::fs::write(segment_path(dir.path(), 1), &bytes).unwrap();
        let options = WalOptions {
            max_record_size: max,
            ..WalOptions::default()
        };
        let err = open_with(std_fs(), dir.path(), options).unwrap_err();
        let (_, offset, reason) = corrupt_at(err);
        assert_eq!(offset, offsets[1] as u64);
        assert!(reason.contains("exceeds"), "{reason}");
    }
}

#[test]
fn replay_error_aborts_open() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), &[b"a".to_vec(), b"b".to_vec()]);
    let mut seen = 0;
    let err = Wal::open(std_fs(), dir.path(), WalOptions::default(), |_, _| {
        seen += 1;
        Err(Error::InvalidArgument("engine refused".into()))
    })
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
    assert_eq!(seen, 1);
}

#[test]
fn rotate_and_remove_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _) = open(dir.path());
    wal.append(b"a").unwrap();
    assert_eq!(wal.rotate().unwrap(), 2);
    wal.append(b"b").unwrap();
    assert_eq!(wal.rotate().unwrap(), 3);
    assert_eq!(wal.current_segment(), 3);
    wal.close().unwrap();

    let (wal, recovered, _) = open(dir.path());
    assert_eq!(
        recovered,
        vec![(1, b"a".to_vec()), (2, b"b".to_vec())],
        "records carry their segment"
    );
    // Segment 3 got no write, so it was never created: opening and rotating write
    // nothing (a full disk does not keep the WAL from opening).
    assert_eq!(live_segments(dir.path()), vec![1, 2]);
    assert_eq!(wal.current_segment(), 3);
    assert!(matches!(
        wal.remove_segments_before(4),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(wal.remove_segments_before(3).unwrap(), 2);
    assert_eq!(wal.remove_segments_before(3).unwrap(), 0);
    assert!(live_segments(dir.path()).is_empty());
    wal.append(b"c").unwrap();
    assert_eq!(live_segments(dir.path()), vec![3]);
    wal.close().unwrap();
    let (_wal, recovered, _) = open(dir.path());
    assert_eq!(recovered, vec![(3, b"c".to_vec())]);
}

#[test]
fn segments_rotate_automatically_at_segment_size() {
    let dir = tempfile::tempdir().unwrap();
    let options = WalOptions {
        segment_size: 200,
        ..WalOptions::default()
    };
    let (wal, _, _) = open_with(std_fs(), dir.path(), options.clone()).unwrap();
    let expected: Vec<Vec<u8>> = (0..20).map(|i| vec![i as u8 + 1; 50]).collect();
    for p in &expected {
        wal.append(p).unwrap();
    }
    assert!(wal.current_segment() >= 6, "{}", wal.current_segment());
    wal.close().unwrap();
    let (_wal, recovered, _) = open_with(std_fs(), dir.path(), options).unwrap();
    assert_eq!(payloads(&recovered), expected);
    let seqs: Vec<u64> = recovered.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]));
    for seq in live_segments(dir.path()) {
        let len = std::fs::metadata(segment_path(dir.path(), seq))
            .unwrap()
            .len();
        assert!(len < 200 + 58, "segment {seq} is {len} bytes");
    }
}

#[test]
fn concurrent_appends_share_fsyncs() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    fs.set_sync_delay(Duration::from_millis(1));
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), WalOptions::default()).unwrap();
    let wal = Arc::new(wal);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    wal.append(format!("{t}:{i}").as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = wal.stats();
    let total = (THREADS * PER_THREAD) as u64;
    eprintln!("group commit: {stats:?}");
    assert_eq!(stats.records, total);
    assert!(
        stats.fsyncs < stats.records,
        "group commit should share fsyncs: {stats:?}"
    );
    assert!(stats.batches < total, "{stats:?}");
    assert_eq!(fs.stats().syncs, stats.fsyncs);
    wal.close().unwrap();

    let (_wal, recovered, _) = open(dir.path());
    assert_eq!(recovered.len(), THREADS * PER_THREAD);
    let mut next = [0usize; THREADS];
    for (_, p) in &recovered {
        let s = std::str::from_utf8(p).unwrap();
        let (t, i) = s.split_once(':').unwrap();
        let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[t], "thread {t} out of order");
        next[t] += 1;
    }
    assert_eq!(next, [PER_THREAD; THREADS]);
}

#[test]
fn fsync_failure_makes_the_wal_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), WalOptions::default()).unwrap();
    wal.append(b"a").unwrap();
    wal.append(b"b").unwrap();
    assert!(wal.failure().is_none());

    fs.eio_on_next_syncs(1);
    let err = wal.append(b"c").unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err:?}");
    let reason = wal.failure().expect("failed state");
    assert!(reason.contains("fsync"), "{reason}");
    // No retry: even though the disk "recovered", the WAL stays read-only.
    let syncs = fs.stats().syncs;
    assert!(matches!(wal.append(b"d"), Err(Error::ReadOnly { .. })));
    assert!(matches!(
        wal.append_batch(&[b"e"]),
        Err(Error::ReadOnly { .. })
    ));
    assert!(matches!(wal.rotate(), Err(Error::ReadOnly { .. })));
    assert!(matches!(wal.close(), Err(Error::ReadOnly { .. })));
    assert_eq!(fs.stats().syncs, syncs, "nothing fsynced after the failure");
    drop(wal);

    let (_wal, recovered, _) = open(dir.path());
    let got = payloads(&recovered);
    assert_eq!(
        got[..2],
        [b"a".to_vec(), b"b".to_vec()],
        "acknowledged records kept"
    );
    assert!(got.len() == 2 || got[2] == b"c", "{got:?}");
    assert!(got.len() <= 3);
}

#[test]
fn failed_rollback_makes_the_wal_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), WalOptions::default()).unwrap();
    wal.append(b"a").unwrap();
    fs.short_write_next(4);
    fs.eio_on_next_truncates(1);
    let err = wal.append(b"torn").unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err:?}");
    assert!(wal.failure().unwrap().contains("rolling it back"));
    assert!(matches!(wal.append(b"b"), Err(Error::ReadOnly { .. })));
    drop(wal);
    // The partial record is left at the tail of the last segment: torn.
    let (_wal, recovered, report) = open(dir.path());
    assert_eq!(payloads(&recovered), vec![b"a".to_vec()]);
    assert!(report.torn_tail.is_some());
}

#[test]
fn concurrent_writers_all_see_the_fsync_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    fs.set_sync_delay(Duration::from_millis(1));
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), WalOptions::default()).unwrap();
    let wal = Arc::new(wal);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0.. {
                    let p = format!("{t}:{i}").into_bytes();
                    match wal.append(&p) {
                        Ok(()) => acked.push(p),
                        Err(Error::ReadOnly { .. }) => return acked,
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
                unreachable!()
            })
        })
        .collect();
    while wal.stats().records < 100 {
        std::thread::sleep(Duration::from_millis(1));
    }
    fs.eio_on_next_syncs(1);
    let acked: Vec<Vec<u8>> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(wal.failure().is_some());
    drop(wal);
    let (_wal, recovered, _) = open(dir.path());
    let recovered = payloads(&recovered);
    for p in &acked {
        assert!(recovered.contains(p), "acknowledged record lost");
    }
}

#[test]
fn enospc_on_write_acknowledges_nothing_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), WalOptions::default()).unwrap();
    wal.append(b"a").unwrap();

    fs.enospc_after_writes(0);
    let err = wal.append(b"lost").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err:?}");
    assert!(wal.failure().is_none(), "a rolled-back write is not fatal");
    assert_eq!(wal.stats().records, 1);

    // Disk full part-way through a write: the partial record is rolled back.
    fs.disarm();
    fs.enospc_after_bytes(5);
    let err = wal.append_batch(&[b"also lost", b"and this"]).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));

    // A short write followed by EIO.
    fs.disarm();
    fs.short_write_next(3);
    let err = wal.append(b"short").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EIO));

    fs.disarm();
    wal.append(b"b").unwrap();
    wal.close().unwrap();
    let (_wal, recovered, report) = open(dir.path());
    assert_eq!(payloads(&recovered), vec![b"a".to_vec(), b"b".to_vec()]);
    assert!(report.torn_tail.is_none(), "rollback left no garbage");
}

#[test]
fn sync_policy_none_fsyncs_only_on_rotation_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let options = WalOptions {
        sync: SyncPolicy::None,
        ..WalOptions::default()
    };
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), options.clone()).unwrap();
    assert_eq!(fs.stats().syncs, 0, "opening writes nothing");
    for i in 0..10 {
        wal.append(&payload(i)).unwrap();
    }
    assert_eq!(
        fs.stats().syncs,
        1,
        "the header, at the segment's first write"
    );
    wal.rotate().unwrap();
    assert_eq!(
        fs.stats().syncs,
        2,
        "the old segment; the new one is created by its first write"
    );
    wal.append(b"x").unwrap();
    wal.close().unwrap();
    assert_eq!(fs.stats().syncs, 4, "the new header, then close");
    let (_wal, recovered, _) = open_with(std_fs(), dir.path(), options).unwrap();
    assert_eq!(recovered.len(), 11);
}

#[test]
fn sync_policy_interval_fsyncs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let options = WalOptions {
        sync: SyncPolicy::Interval(Duration::from_millis(10)),
        ..WalOptions::default()
    };
    let (wal, _, _) = open_with(Arc::new(fs.clone()), dir.path(), options).unwrap();
    wal.append(b"a").unwrap();
    // The first write created the segment (its header is fsynced); the record is not.
    let header_syncs = fs.stats().syncs;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fs.stats().syncs == header_syncs {
        assert!(std::time::Instant::now() < deadline, "no background fsync");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Idle: nothing dirty, no more fsyncs.
    let synced = fs.stats().syncs;
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(fs.stats().syncs, synced);

    // A failed background fsync makes the WAL read-only too.
    fs.eio_on_next_syncs(1);
    wal.append(b"b").unwrap();
    while wal.failure().is_none() {
        assert!(std::time::Instant::now() < deadline, "no failure seen");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(matches!(wal.append(b"c"), Err(Error::ReadOnly { .. })));
    drop(wal);
    let (_wal, recovered, _) = open(dir.path());
    assert_eq!(recovered[0].1, b"a");
}

#[test]
fn interval_wal_closes_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let options = WalOptions {
        sync: SyncPolicy::Interval(Duration::from_secs(3600)),
        ..WalOptions::default()
    };
    let (wal, _, _) = open_with(std_fs(), dir.path(), options).unwrap();
    wal.append(b"a").unwrap();
    let t = std::time::Instant::now();
    wal.close().unwrap();
    assert!(t.elapsed() < Duration::from_secs(5));
    let (_wal, recovered, _) = open(dir.path());
    assert_eq!(recovered.len(), 1);
}
