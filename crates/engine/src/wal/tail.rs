//! Torn tail or corruption? Classifies an invalid record found in the LAST
//! segment during recovery.
//!
//! A crash while a batch is being written leaves a torn tail: a partial
//! record, zero-filled pages, or (when the kernel wrote pages back out of
//! order) an unwritten hole followed by records that were never
//! acknowledged under [`super::SyncPolicy::Always`]. Bit rot, in contrast,
//! damages a record that is followed by intact records. The rules, in order:
//!
//! 1. everything from the record to the end of the file is zero: torn;
//! 2. fewer than 8 bytes remain: torn;
//! 3. otherwise (checksum mismatch, zero, oversized or past-the-end length) search for a
//!    valid record after it; none: torn; one found, with a zero-filled
//!    512-byte-aligned sector in between (an unwritten page): torn; one found
//!    without such a hole: corruption.
//!
//! The search is bounded ([`SCAN_BUDGET`] bytes checksummed); when the bound
//! is hit the verdict is corruption, so the operator decides (salvage).

use super::format::{Invalid, Parsed, RECORD_HEADER_LEN, parse_record, plausible_len};

/// Unit of a lost write: the smallest sector size.
pub const SECTOR: usize = 512;
/// Most payload bytes checksummed while searching for a valid record.
pub const SCAN_BUDGET: usize = 256 << 20;

/// How to treat an invalid record in the last segment.
#[derive(Debug, PartialEq, Eq)]
pub enum TailVerdict {
    /// A crash artifact: truncate the segment at the record.
    Torn(String),
    /// Real corruption: fail (or salvage).
    Corrupt(String),
}

/// Classifies the invalid record `invalid` found at `pos` in `data` (the whole
/// last segment).
pub fn classify(data: &[u8], pos: usize, invalid: &Invalid, max_record_size: u32) -> TailVerdict {
    let rest = data.get(pos..).unwrap_or_default();
    if rest.iter().all(|b| *b == 0) {
        return TailVerdict::Torn(format!("zero-filled tail of {} bytes", rest.len()));
    }
    // A length field that runs past the end of the file is what a crash while appending leaves,
    // but also what one flipped bit in a length field makes of any record: it is torn only if
    // no valid record follows (rule 3), or a flip in the first record of the segment would
    // truncate every acknowledged record after it.
    if matches!(invalid, Invalid::ShortHeader) {
        return TailVerdict::Torn(invalid.to_string());
    }
    match next_valid_record(data, pos, invalid, max_record_size) {
        Search::NotFound => TailVerdict::Torn(format!("{invalid}, and no valid record follows")),
        Search::Found(next) if has_zero_sector(data, pos, next) => TailVerdict::Torn(format!(
            "{invalid}; an unwritten (zero-filled) sector precedes the next valid record at offset {next}"
        )),
        Search::Found(next) => TailVerdict::Corrupt(format!(
            "{invalid}; a valid record follows at offset {next}"
        )),
        Search::GaveUp => TailVerdict::Corrupt(format!(
            "{invalid}; the rest of the file is too large to prove it is a torn tail"
        )),
    }
}

enum Search {
    Found(usize),
    NotFound,
    GaveUp,
}

fn next_valid_record(data: &[u8], pos: usize, invalid: &Invalid, max: u32) -> Search {
    // Payload bit rot keeps the framing: the next record is where the length
    // field says. Check there first, it is the common case and it is cheap.
    if let Invalid::Checksum { len, .. } = invalid {
        let next = pos
            .checked_add(RECORD_HEADER_LEN)
            .and_then(|p| p.checked_add(*len as usize));
        if let Some(next) = next {
            if matches!(parse_record(data, next, max), Parsed::Record { .. }) {
                return Search::Found(next);
            }
        }
    }
    let mut budget = SCAN_BUDGET;
    let mut at = pos.saturating_add(1);
    while at.saturating_add(RECORD_HEADER_LEN) < data.len() {
        if let Some(len) = plausible_len(data, at, max) {
            if len > budget {
                return Search::GaveUp;
            }
            budget -= len;
            if matches!(parse_record(data, at, max), Parsed::Record { .. }) {
                return Search::Found(at);
            }
        }
        at += 1;
    }
    Search::NotFound
}

/// Whether `data[from..to]` contains a whole, aligned, all-zero sector.
fn has_zero_sector(data: &[u8], from: usize, to: usize) -> bool {
    let mut start = from.div_ceil(SECTOR).saturating_mul(SECTOR);
    while let Some(end) = start.checked_add(SECTOR).filter(|end| *end <= to) {
        if data
            .get(start..end)
            .is_some_and(|s| s.iter().all(|b| *b == 0))
        {
            return true;
        }
        start = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::format::encode_record;

    const MAX: u32 = 1 << 20;

    fn records(payloads: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
        let mut buf = Vec::new();
        let mut starts = Vec::new();
        for p in payloads {
            starts.push(buf.len());
            encode_record(&mut buf, p);
        }
        (buf, starts)
    }

    fn invalid_at(data: &[u8], pos: usize) -> Invalid {
        match parse_record(data, pos, MAX) {
            Parsed::Invalid(i) => i,
            other => panic!("expected invalid record, got {other:?}"),
        }
    }

    fn verdict(data: &[u8], pos: usize) -> TailVerdict {
        classify(data, pos, &invalid_at(data, pos), MAX)
    }

    #[test]
    fn zero_filled_tail_is_torn() {
        let (mut buf, _) = records(&[b"a", b"b"]);
        let pos = buf.len();
        buf.extend_from_slice(&[0; 100]);
        assert!(matches!(verdict(&buf, pos), TailVerdict::Torn(r) if r.contains("zero")));
    }

    #[test]
    fn partial_header_and_length_past_eof_are_torn() {
        let (buf, starts) = records(&[b"first", b"second record"]);
        assert!(matches!(
            verdict(&buf[..starts[1] + 3], starts[1]),
            TailVerdict::Torn(_)
        ));
        assert!(matches!(
            verdict(&buf[..buf.len() - 1], starts[1]),
            TailVerdict::Torn(_)
        ));
    }

    #[test]
    fn checksum_mismatch_in_last_record_is_torn() {
        let (mut buf, starts) = records(&[b"first", b"second record"]);
        let last = buf.len() - 1;
        buf[last] ^= 1;
        assert!(matches!(verdict(&buf, starts[1]), TailVerdict::Torn(_)));
    }

    #[test]
    fn checksum_mismatch_followed_by_valid_record_is_corrupt() {
        let (mut buf, starts) = records(&[b"first", b"second", b"third"]);
        buf[starts[1] + 9] ^= 1;
        match verdict(&buf, starts[1]) {
            TailVerdict::Corrupt(r) => assert!(r.contains(&starts[2].to_string()), "{r}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrupted_length_followed_by_valid_record_is_corrupt() {
        let (mut buf, starts) = records(&[b"first", b"second", b"third"]);
        buf[starts[1] + 3] = 0x7f; // length now far above MAX
        assert!(matches!(verdict(&buf, starts[1]), TailVerdict::Corrupt(_)));
        buf[starts[1]..starts[1] + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(verdict(&buf, starts[1]), TailVerdict::Corrupt(_)));
    }

    #[test]
    fn hole_of_unwritten_sectors_before_valid_records_is_torn() {
        // A big record whose middle pages never reached the disk, followed by
        // records that did (out-of-order writeback of an unsynced batch).
        let big = vec![7u8; 3 * SECTOR];
        let (mut buf, starts) = records(&[b"first", &big, b"after the hole"]);
        let hole = (starts[1] + SECTOR).div_ceil(SECTOR) * SECTOR;
        buf[hole..hole + SECTOR].fill(0);
        assert!(
            matches!(verdict(&buf, starts[1]), TailVerdict::Torn(r) if r.contains("unwritten"))
        );
    }

    #[test]
    fn garbage_tail_without_valid_record_is_torn() {
        let (mut buf, _) = records(&[b"first"]);
        let pos = buf.len();
        let mut x: u32 = 12345;
        for _ in 0..4096 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            buf.push((x >> 16) as u8);
        }
        if let Parsed::Invalid(inv) = parse_record(&buf, pos, MAX) {
            assert!(matches!(
                classify(&buf, pos, &inv, MAX),
                TailVerdict::Torn(_)
            ));
        }
    }

    #[test]
    fn zero_sector_detection() {
        let mut data = vec![1u8; 4 * SECTOR];
        assert!(!has_zero_sector(&data, 0, data.len()));
        data[SECTOR + 10..2 * SECTOR + 10].fill(0); // zero run, not aligned
        assert!(!has_zero_sector(&data, 0, data.len()));
        data[2 * SECTOR..3 * SECTOR].fill(0);
        assert!(has_zero_sector(&data, 0, data.len()));
        assert!(!has_zero_sector(&data, 0, 3 * SECTOR - 1));
        assert!(!has_zero_sector(&data, 2 * SECTOR + 1, data.len()));
    }
}
