//! Every length or count read from disk is bounded before anything is allocated from it: the
//! codec's column decoders (counts up to `MAX_BLOCK_POINTS`, string bytes up to
//! `MAX_RAW_BYTES`), the WAL record decoder, the SSTable meta decoder and the manifest and WAL
//! recovery (counts up to the size of the bytes that hold them). Each crafted input claims a
//! huge count in a few bytes; a per-thread counting allocator checks that the decoder fails
//! without allocating more than the bound. (The WAL framing's own length field has its test in
//! `wal::tests::oversized_length_field_is_corruption_not_an_allocation`.)
#![allow(clippy::disallowed_methods)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use strata_codec::varint::{Cursor, put_uvarint};
use strata_codec::{MAX_BLOCK_POINTS, integer, string};
use strata_engine::decoders;
use strata_engine::io::StdFs;
use strata_engine::{Engine, EngineOptions, Error};

struct Counting;

thread_local! {
    static TRACK: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note(alloc: usize, free: usize) {
    let _ = TRACK.try_with(|t| {
        if t.get() {
            let live = LIVE.get().saturating_sub(free) + alloc;
            LIVE.set(live);
            PEAK.set(PEAK.get().max(live));
        }
    });
}

// SAFETY: forwards to the system allocator; the bookkeeping touches only const-initialised
// thread-locals (no allocation, no re-entrance).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size(), 0);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size(), 0);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(0, layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size, layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result and the peak of bytes it held allocated (this thread).
fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.set(0);
    PEAK.set(0);
    TRACK.set(true);
    let out = f();
    TRACK.set(false);
    (out, PEAK.get())
}

fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_uvarint(&mut out, v);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

const HUGE: u64 = u64::MAX >> 1;
const SMALL: usize = 4 << 10;

#[test]
fn codec_counts_are_bounded_before_allocation() {
    let int_tag = integer::IntScheme::ALL[0].tag();
    // (what, bytes, decoder) -> the decoder must fail, allocating at most `bound`.
    type Decoder = fn(&[u8]) -> bool;
    let decoders: [(&str, u8, Decoder); 5] = [
        ("timestamp", 0x01, |b| {
            strata_codec::timestamp::decode(&mut Cursor::new(b), &mut Vec::new()).is_err()
        }),
        ("integer", int_tag, |b| {
            integer::decode(&mut Cursor::new(b), &mut Vec::new()).is_err()
        }),
        ("float (gorilla)", 0x01, |b| {
            strata_codec::float::decode(&mut Cursor::new(b), &mut Vec::new(), &mut Vec::new())
                .is_err()
        }),
        ("boolean", 0x01, |b| {
            strata_codec::boolean::decode(&mut Cursor::new(b), &mut Vec::new()).is_err()
        }),
        ("string (dictionary)", 0x01, |b| {
            string::decode(&mut Cursor::new(b), &mut Vec::new()).is_err()
        }),
    ];
    let max = MAX_BLOCK_POINTS as u64;
    for (what, tag, decode) in decoders {
        // The float's gorilla count follows its scheme tag; the others' counts follow theirs.
        for count in [HUGE, u64::MAX, max + 1] {
            let bytes = cat(&[&[tag], &varint(count), &[0u8; 16]]);
            let (failed, bytes_held) = peak(|| decode(&bytes));
            assert!(failed, "{what}: count {count} accepted");
            assert!(
                bytes_held <= SMALL,
                "{what}: count {count} refused only after allocating {bytes_held} bytes"
            );
        }
        // The largest legal count with no data behind it: at most one column's worth.
        let bytes = cat(&[&[tag], &varint(max), &[0u8; 16]]);
        let (failed, bytes_held) = peak(|| decode(&bytes));
        assert!(failed, "{what}: {max} values decoded from 16 bytes");
        assert!(
            bytes_held <= MAX_BLOCK_POINTS * 16 + SMALL,
            "{what}: {bytes_held} bytes allocated for a truncated column"
        );
    }
    // Whole blocks: the timestamp section's length is bounded by the block's.
    let block = cat(&[&[strata_codec::BLOCK_VERSION, 1], &varint(HUGE)]);
    let (result, bytes_held) = peak(|| strata_codec::decode_block(&block));
    assert!(result.is_err());
    assert!(bytes_held <= SMALL, "{bytes_held}");

    // LZ4 string columns: the inflated size is bounded by MAX_RAW_BYTES before the buffer
    // for it is allocated.
    let over = cat(&[
        &[0x02],
        &varint(1),
        &varint(string::MAX_RAW_BYTES as u64 + 1),
        &varint(1),
        &[0],
    ]);
    let (result, bytes_held) = peak(|| string::decode(&mut Cursor::new(&over), &mut Vec::new()));
    assert!(result.is_err());
    assert!(bytes_held <= SMALL, "{bytes_held}");
    let at_bound = cat(&[
        &[0x02],
        &varint(1),
        &varint(string::MAX_RAW_BYTES as u64),
        &varint(1),
        &[0],
    ]);
    let (result, bytes_held) =
        peak(|| string::decode(&mut Cursor::new(&at_bound), &mut Vec::new()));
    assert!(result.is_err());
    assert!(
        bytes_held <= string::MAX_RAW_BYTES + SMALL,
        "{bytes_held} bytes allocated for one LZ4 string block"
    );
    eprintln!(
        "an LZ4 string block of {} bytes announcing MAX_RAW_BYTES allocated {bytes_held} bytes",
        at_bound.len()
    );
}

/// A WAL record payload: version 1, sequence number, then `rest`.
fn wal_payload(rest: &[u8]) -> Vec<u8> {
    cat(&[&[1], &7u64.to_le_bytes(), rest])
}

#[test]
fn wal_record_counts_are_bounded_before_allocation() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("series count", wal_payload(&varint(HUGE))),
        (
            "series key length",
            wal_payload(&cat(&[&varint(1), &varint(HUGE), b"cpu"])),
        ),
        (
            "point count",
            wal_payload(&cat(&[&varint(0), &varint(HUGE)])),
        ),
        (
            "field count",
            wal_payload(&cat(&[
                &varint(1),
                &varint(3),
                b"cpu",
                &varint(1),
                &varint(0),
                &varint(0),
                &varint(HUGE),
            ])),
        ),
    ];
    for (what, payload) in cases {
        let (result, bytes_held) = peak(|| decoders::wal_record(&payload));
        assert!(result.is_err(), "{what}: accepted");
        assert!(
            bytes_held <= SMALL,
            "{what}: refused only after allocating {bytes_held} bytes"
        );
    }
    // Counts up to the record's size are legal; what they allocate stays proportional to it.
    let len = 64 << 10;
    let mut payload = wal_payload(&cat(&[&varint(0), &varint(len as u64)]));
    payload.resize(len, 0);
    let (result, bytes_held) = peak(|| decoders::wal_record(&payload));
    assert!(result.is_err());
    assert!(
        bytes_held <= 128 * len,
        "{bytes_held} bytes allocated for a {len}-byte record"
    );
    eprintln!("a {len}-byte WAL record claiming {len} points allocated {bytes_held} bytes");
}

/// An SSTable with no blocks and the given meta section (checksums valid).
fn sst_file(meta: &[u8]) -> Vec<u8> {
    let mut f = b"STRATSST".to_vec();
    f.extend_from_slice(&1u16.to_le_bytes());
    let meta_offset = f.len() as u64;
    f.extend_from_slice(meta);
    let mut footer = Vec::new();
    footer.extend_from_slice(&meta_offset.to_le_bytes());
    footer.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    footer.extend_from_slice(&crc32c::crc32c(meta).to_le_bytes());
    footer.extend_from_slice(&0i64.to_le_bytes());
    footer.extend_from_slice(&0i64.to_le_bytes());
    footer.extend_from_slice(&0u64.to_le_bytes());
    footer.extend_from_slice(&1u16.to_le_bytes());
    let crc = crc32c::crc32c(&footer);
    footer.extend_from_slice(&crc.to_le_bytes());
    footer.extend_from_slice(b"STRATSST");
    assert_eq!(footer.len(), 58);
    f.extend_from_slice(&footer);
    f
}

#[test]
fn sstable_meta_counts_are_bounded_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // A well-formed empty meta opens: the crafted files below differ only where named.
    let empty = cat(&[&varint(0), &varint(0), &[1], &varint(0)]);
    let path = dir.path().join("1.sst");
    std::fs::write(&path, sst_file(&empty)).unwrap();
    decoders::sst_file(&StdFs, &path).expect("a crafted empty SSTable opens");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("series count", varint(HUGE)),
        ("series key length", cat(&[&varint(1), &varint(HUGE)])),
        ("column count", cat(&[&varint(0), &varint(HUGE)])),
        (
            "field name length",
            cat(&[
                &varint(1),
                &varint(1),
                b"s",
                &varint(1),
                &varint(0),
                &varint(HUGE),
            ]),
        ),
        (
            "block count",
            cat(&[
                &varint(1),
                &varint(1),
                b"s",
                &varint(1),
                &varint(0),
                &varint(1),
                b"v",
                &[1],
                &varint(HUGE),
            ]),
        ),
        (
            "bloom bytes",
            cat(&[&varint(0), &varint(0), &[1], &varint(HUGE)]),
        ),
        (
            "bloom bytes within the bound but past the end",
            cat(&[&varint(0), &varint(0), &[1], &varint(1 << 29)]),
        ),
    ];
    for (i, (what, meta)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("{}.sst", i + 2));
        std::fs::write(&path, sst_file(&meta)).unwrap();
        let (result, bytes_held) = peak(|| decoders::sst_file(&StdFs, &path));
        match result {
            Err(e) => assert!(
                e.to_string().contains(&format!("{}.sst", i + 2)),
                "{what}: the error does not name the file: {e}"
            ),
            Ok(_) => panic!("{what}: a crafted SSTable opened"),
        }
        assert!(
            bytes_held <= SMALL,
            "{what}: refused only after allocating {bytes_held} bytes"
        );
    }
}

/// A log segment (WAL or manifest framing) numbered `seq` holding `payloads`.
fn segment(seq: u64, payloads: &[&[u8]]) -> Vec<u8> {
    let mut f = b"STRWAL".to_vec();
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&seq.to_le_bytes());
    let crc = crc32c::crc32c(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    for p in payloads {
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&crc32c::crc32c(p).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

fn open_fails_naming(dir: &Path, file: &Path) {
    let opts = EngineOptions::manual(dir);
    match Engine::open(opts) {
        Err(Error::Corrupt { path, .. }) => assert_eq!(path, file),
        Err(e) => panic!("unexpected error for {}: {e}", file.display()),
        Ok(_) => panic!("{} with a huge count opened", file.display()),
    }
}

#[test]
fn recovery_refuses_checksummed_records_with_huge_counts() {
    // A record with a valid checksum but a count no record can hold: corruption naming the
    // file, not an allocation.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest");
    std::fs::create_dir_all(&manifest).unwrap();
    let seg = manifest.join(format!("{:020}.wal", 1));
    let bad_edit = cat(&[&[1], &varint(HUGE)]);
    std::fs::write(&seg, segment(1, &[&bad_edit, &[1, 0]])).unwrap();
    open_fails_naming(dir.path(), &seg);

    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    std::fs::create_dir_all(&wal).unwrap();
    let seg = wal.join(format!("{:020}.wal", 1));
    let bad_batch = wal_payload(&varint(HUGE));
    let good_batch = wal_payload(&cat(&[&varint(0), &varint(0)]));
    std::fs::write(&seg, segment(1, &[&bad_batch, &good_batch])).unwrap();
    open_fails_naming(dir.path(), &seg);
}
