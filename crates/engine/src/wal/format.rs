//! The WAL's on-disk byte layout: segment header and record framing.
//!
//! ```text
//! segment header (20 bytes)
//!   0..6    magic   b"STRWAL"
//!   6..8    version u16 LE (= 1)
//!   8..16   seq     u64 LE (must match the file name)
//!   16..20  crc32c  u32 LE of bytes 0..16
//! record (8 + len bytes), repeated
//!   0..4    len     u32 LE, 1 ..= max_record_size
//!   4..8    crc32c  u32 LE of the payload
//!   8..     payload
//! ```
//!
//! Pure functions over byte slices, no I/O. Parsing never indexes out of
//! bounds and never allocates from a length read off disk.

use std::fmt;

/// First six bytes of every segment.
pub const MAGIC: &[u8; 6] = b"STRWAL";
/// Segment format version written by this build.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 20;
/// Size of a record's framing (length + checksum).
pub const RECORD_HEADER_LEN: usize = 8;

/// Encodes the header of segment `seq`.
pub fn encode_segment_header(seq: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[0..6].copy_from_slice(MAGIC);
    h[6..8].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[8..16].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32c::crc32c(&h[0..16]);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Outcome of checking a segment header.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderCheck {
    Ok,
    /// Looks like a segment whose creation was interrupted (too short, or
    /// zero-filled): holds no record.
    Torn(&'static str),
    /// Not a valid header.
    Corrupt(String),
    /// Valid magic, but a version this build does not read.
    Unsupported(u16),
}

/// Checks the header at the start of `data` (a whole segment file) against
/// the sequence number taken from the file name.
pub fn check_segment_header(data: &[u8], expected_seq: u64) -> HeaderCheck {
    let Some(h) = data.get(..SEGMENT_HEADER_LEN) else {
        return HeaderCheck::Torn("file is shorter than the segment header");
    };
    if h.iter().all(|b| *b == 0) {
        return HeaderCheck::Torn("segment header is zero-filled");
    }
    if h.get(0..6) != Some(MAGIC.as_slice()) {
        return HeaderCheck::Corrupt(format!(
            "bad segment magic {:?}, expected {:?}",
            String::from_utf8_lossy(h.get(0..6).unwrap_or_default()),
            String::from_utf8_lossy(MAGIC)
        ));
    }
    // The version is checked before the checksum: a future version may lay
    // out (and checksum) the rest of the header differently.
    let version = read_u16(h, 6).unwrap_or_default();
    if version != FORMAT_VERSION {
        return HeaderCheck::Unsupported(version);
    }
    let stored = read_u32(h, 16).unwrap_or_default();
    let computed = crc32c::crc32c(h.get(0..16).unwrap_or_default());
    if stored != computed {
        return HeaderCheck::Corrupt(format!(
            "segment header checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        ));
    }
    let seq = read_u64(h, 8).unwrap_or_default();
    if seq != expected_seq {
        return HeaderCheck::Corrupt(format!(
            "segment header says sequence {seq} but the file name says {expected_seq}"
        ));
    }
    HeaderCheck::Ok
}

/// The 8-byte framing of `payload`. The caller has checked that the payload
/// is non-empty and fits in `u32`.
pub fn record_header(payload: &[u8]) -> [u8; RECORD_HEADER_LEN] {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[0..4].copy_from_slice(&len.to_le_bytes());
    h[4..8].copy_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    h
}

/// Appends one framed record to `out`.
#[cfg(test)]
pub fn encode_record(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&record_header(payload));
    out.extend_from_slice(payload);
}

/// Why the bytes at some offset are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Fewer than 8 bytes remain.
    ShortHeader,
    /// Length field is 0 (never written: empty payloads are rejected).
    ZeroLength,
    /// Length field exceeds `max_record_size`.
    TooLarge(u32),
    /// The record would end past the end of the file.
    PastEof(u32),
    /// Payload checksum mismatch.
    Checksum {
        len: u32,
        stored: u32,
        computed: u32,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::ShortHeader => f.write_str("incomplete record header"),
            Invalid::ZeroLength => f.write_str("record length is zero"),
            Invalid::TooLarge(len) => {
                write!(f, "record length {len} exceeds the maximum record size")
            }
            Invalid::PastEof(len) => {
                write!(f, "record length {len} runs past the end of the file")
            }
            Invalid::Checksum {
                len,
                stored,
                computed,
            } => write!(
                f,
                "checksum mismatch in {len}-byte record (stored {stored:#010x}, computed {computed:#010x})"
            ),
        }
    }
}

/// Result of parsing the bytes at one offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A valid record; the next one starts at `next`.
    Record {
        payload: &'a [u8],
        next: usize,
    },
    /// `pos` is exactly the end of the data.
    End,
    Invalid(Invalid),
}

/// Parses the record starting at `pos` in `data`.
pub fn parse_record(data: &[u8], pos: usize, max_record_size: u32) -> Parsed<'_> {
    let rest = data.get(pos..).unwrap_or_default();
    if rest.is_empty() {
        return Parsed::End;
    }
    let (Some(len), Some(stored)) = (read_u32(rest, 0), read_u32(rest, 4)) else {
        return Parsed::Invalid(Invalid::ShortHeader);
    };
    if len == 0 {
        return Parsed::Invalid(Invalid::ZeroLength);
    }
    if len > max_record_size {
        return Parsed::Invalid(Invalid::TooLarge(len));
    }
    let end = RECORD_HEADER_LEN.checked_add(len as usize);
    let Some(payload) = end.and_then(|end| rest.get(RECORD_HEADER_LEN..end)) else {
        return Parsed::Invalid(Invalid::PastEof(len));
    };
    let computed = crc32c::crc32c(payload);
    if computed != stored {
        return Parsed::Invalid(Invalid::Checksum {
            len,
            stored,
            computed,
        });
    }
    Parsed::Record {
        payload,
        next: pos + RECORD_HEADER_LEN + payload.len(),
    }
}

/// Cheap pre-check used when scanning for a record start: the length field
/// at `pos` is plausible and the record fits in `data`. Returns the length.
pub fn plausible_len(data: &[u8], pos: usize, max_record_size: u32) -> Option<usize> {
    let len = read_u32(data, pos)?;
    if len == 0 || len > max_record_size {
        return None;
    }
    let len = len as usize;
    let end = pos.checked_add(RECORD_HEADER_LEN)?.checked_add(len)?;
    (end <= data.len()).then_some(len)
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    let b = data.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        // CRC-32C check value: pins the checksum algorithm.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        let h = encode_segment_header(0x0102_0304_0506_0708);
        assert_eq!(&h[0..6], b"STRWAL");
        assert_eq!(&h[6..8], &[1, 0]);
        assert_eq!(&h[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&h[16..20], &crc32c::crc32c(&h[0..16]).to_le_bytes());
        let mut rec = Vec::new();
        encode_record(&mut rec, b"123456789");
        assert_eq!(
            rec,
            [&[9, 0, 0, 0, 0x83, 0x92, 0x06, 0xE3][..], b"123456789"].concat()
        );
    }

    #[test]
    fn header_round_trip() {
        let h = encode_segment_header(42);
        assert_eq!(&h[0..6], b"STRWAL");
        assert_eq!(check_segment_header(&h, 42), HeaderCheck::Ok);
        let mut with_records = h.to_vec();
        with_records.extend_from_slice(b"more");
        assert_eq!(check_segment_header(&with_records, 42), HeaderCheck::Ok);
    }

    #[test]
    fn header_errors() {
        let good = encode_segment_header(7);
        assert!(matches!(
            check_segment_header(&good[..19], 7),
            HeaderCheck::Torn(_)
        ));
        assert!(matches!(check_segment_header(&[], 7), HeaderCheck::Torn(_)));
        assert!(matches!(
            check_segment_header(&[0; 64], 7),
            HeaderCheck::Torn(_)
        ));

        let mut bad_magic = good;
        bad_magic[0] = b'X';
        match check_segment_header(&bad_magic, 7) {
            HeaderCheck::Corrupt(r) => assert!(r.contains("magic"), "{r}"),
            other => panic!("{other:?}"),
        }

        let mut v2 = good;
        v2[6..8].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(check_segment_header(&v2, 7), HeaderCheck::Unsupported(2));

        let mut bad_crc = good;
        bad_crc[10] ^= 1;
        match check_segment_header(&bad_crc, 7) {
            HeaderCheck::Corrupt(r) => assert!(r.contains("checksum"), "{r}"),
            other => panic!("{other:?}"),
        }

        match check_segment_header(&good, 8) {
            HeaderCheck::Corrupt(r) => assert!(r.contains("file name"), "{r}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn record_round_trip() {
        let mut buf = Vec::new();
        encode_record(&mut buf, b"hello");
        encode_record(&mut buf, b"w");
        assert_eq!(buf.len(), 8 + 5 + 8 + 1);
        let Parsed::Record { payload, next } = parse_record(&buf, 0, 100) else {
            panic!()
        };
        assert_eq!((payload, next), (&b"hello"[..], 13));
        let Parsed::Record { payload, next } = parse_record(&buf, next, 100) else {
            panic!()
        };
        assert_eq!((payload, next), (&b"w"[..], buf.len()));
        assert_eq!(parse_record(&buf, next, 100), Parsed::End);
        assert_eq!(parse_record(&buf, next + 5, 100), Parsed::End);
    }

    #[test]
    fn record_invalid_cases() {
        let mut buf = Vec::new();
        encode_record(&mut buf, b"hello");
        assert_eq!(
            parse_record(&buf[..7], 0, 100),
            Parsed::Invalid(Invalid::ShortHeader)
        );
        assert_eq!(
            parse_record(&buf[..12], 0, 100),
            Parsed::Invalid(Invalid::PastEof(5))
        );
        assert_eq!(
            parse_record(&buf, 0, 4),
            Parsed::Invalid(Invalid::TooLarge(5))
        );
        assert_eq!(
            parse_record(&[0u8; 16], 0, 100),
            Parsed::Invalid(Invalid::ZeroLength)
        );
        let mut flipped = buf.clone();
        flipped[10] ^= 0x40;
        assert!(matches!(
            parse_record(&flipped, 0, 100),
            Parsed::Invalid(Invalid::Checksum { len: 5, .. })
        ));
        // A huge length is rejected by the bound, not allocated.
        let huge = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        assert_eq!(
            parse_record(&huge, 0, u32::MAX),
            Parsed::Invalid(Invalid::PastEof(u32::MAX))
        );
    }

    #[test]
    fn plausible_len_checks_bounds() {
        let mut buf = Vec::new();
        encode_record(&mut buf, b"abc");
        assert_eq!(plausible_len(&buf, 0, 10), Some(3));
        assert_eq!(plausible_len(&buf, 0, 2), None);
        assert_eq!(plausible_len(&buf[..10], 0, 10), None);
        assert_eq!(plausible_len(&buf, 9, 10), None);
        assert_eq!(plausible_len(&[0; 8], 0, 10), None);
    }
}
