//! Segment files in the WAL directory: naming, listing, moving aside.
//!
//! A live segment is named `{seq:020}.wal` (so names sort like numbers).
//! Salvage moves damaged segments aside as `{seq:020}.wal.corrupt` (or
//! `.corrupt.N` when that name is taken); those are never replayed, but their
//! sequence numbers still count when choosing the next one, so a sequence
//! number is never reused.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::FileSystem;

const DIGITS: usize = 20;
const SUFFIX: &str = ".wal";
const ASIDE_SUFFIX: &str = ".corrupt";

/// File name of segment `seq`.
pub fn segment_file_name(seq: u64) -> String {
    format!("{seq:020}{SUFFIX}")
}

/// Path of segment `seq` in `dir`.
pub fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(segment_file_name(seq))
}

/// The sequence number of a file whose name starts with a segment name
/// (`{seq:020}.wal`, `{seq:020}.wal.corrupt`, ...), and whether it is a live
/// segment (nothing after `.wal`).
fn parse_name(name: &str) -> Option<(u64, bool)> {
    let digits = name.get(..DIGITS)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = name.get(DIGITS..)?.strip_prefix(SUFFIX)?;
    let seq = digits.parse().ok()?;
    Some((seq, rest.is_empty()))
}

/// Segments found in a WAL directory.
#[derive(Debug, Default)]
pub struct Listing {
    /// Live segments, sorted by sequence number.
    pub live: Vec<(u64, PathBuf)>,
    /// Highest sequence number of any segment-named file, live or aside.
    pub max_seq: Option<u64>,
}

/// Lists the segments of `dir`. Other files are ignored.
pub fn list_segments(fs: &dyn FileSystem, dir: &Path) -> Result<Listing> {
    let mut listing = Listing::default();
    for name in fs.list_dir(dir)? {
        let Some((seq, live)) = parse_name(&name) else {
            continue;
        };
        listing.max_seq = listing.max_seq.max(Some(seq));
        if live {
            listing.live.push((seq, dir.join(&name)));
        }
    }
    listing.live.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(listing)
}

/// A free path to move `path` aside to: `<path>.corrupt`, else
/// `<path>.corrupt.1`, `.2`, ...
pub fn aside_path(fs: &dyn FileSystem, path: &Path) -> Result<PathBuf> {
    let mut base = path.as_os_str().to_owned();
    base.push(ASIDE_SUFFIX);
    for n in 0..1000u32 {
        let mut candidate = base.clone();
        if n > 0 {
            candidate.push(format!(".{n}"));
        }
        let candidate = PathBuf::from(candidate);
        if !fs.exists(&candidate)? {
            return Ok(candidate);
        }
    }
    Err(Error::InvalidArgument(format!(
        "no free name to move {} aside (1000 copies exist already)",
        path.display()
    )))
}

/// Renames `path` to a free `.corrupt` name; returns the new path.
pub fn move_aside(fs: &dyn FileSystem, path: &Path) -> Result<PathBuf> {
    let to = aside_path(fs, path)?;
    fs.rename(path, &to)?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::StdFs;

    #[test]
    fn names_sort_numerically_and_parse_back() {
        assert_eq!(segment_file_name(7), "00000000000000000007.wal");
        assert_eq!(
            parse_name(&segment_file_name(u64::MAX)),
            Some((u64::MAX, true))
        );
        assert_eq!(
            parse_name("00000000000000000007.wal.corrupt"),
            Some((7, false))
        );
        assert_eq!(
            parse_name("00000000000000000007.wal.corrupt.2"),
            Some((7, false))
        );
        assert_eq!(parse_name("0000000000000000007.wal"), None);
        assert_eq!(
            parse_name("99999999999999999999.wal"),
            None,
            "overflows u64"
        );
        assert_eq!(parse_name("0000000000000000000a.wal"), None);
        assert_eq!(parse_name("00000000000000000007.log"), None);
        assert_eq!(parse_name("é"), None);
    }

    #[test]
    fn list_ignores_other_files_and_counts_aside_seqs() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        for name in [
            segment_file_name(3),
            segment_file_name(1),
            format!("{}.corrupt", segment_file_name(9)),
            "LOCK".to_string(),
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let l = list_segments(&fs, dir.path()).unwrap();
        let seqs: Vec<u64> = l.live.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![1, 3]);
        assert_eq!(l.max_seq, Some(9));
    }

    #[test]
    fn move_aside_picks_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        let p = segment_path(dir.path(), 5);
        std::fs::write(&p, b"one").unwrap();
        let a = move_aside(&fs, &p).unwrap();
        assert!(a.to_string_lossy().ends_with(".wal.corrupt"));
        std::fs::write(&p, b"two").unwrap();
        let b = move_aside(&fs, &p).unwrap();
        assert!(b.to_string_lossy().ends_with(".wal.corrupt.1"));
        assert_eq!(std::fs::read(a).unwrap(), b"one");
        assert_eq!(std::fs::read(b).unwrap(), b"two");
    }
}
