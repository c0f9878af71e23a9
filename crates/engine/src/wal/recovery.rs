//! Recovery at open: replays every segment in order through a callback, cuts
//! off a torn tail of the last segment, and in salvage mode sets damaged
//! segments aside. Returns a [`RecoveryReport`] and the next sequence number.
//!
//! Segments are read one at a time (whole file in memory), so memory is
//! bounded by the largest segment, not by the log.

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use super::format::{HeaderCheck, Parsed, SEGMENT_HEADER_LEN, check_segment_header, parse_record};
use super::options::WalOptions;
use super::segment::{aside_path, list_segments, move_aside};
use super::tail::{TailVerdict, classify};
use crate::error::{Error, Result};
use crate::io::{FileSystem, read_all};

/// What recovery found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments whose records were replayed (in whole or in part).
    pub segments: usize,
    /// Records passed to the replay callback.
    pub records: u64,
    /// Payload bytes passed to the replay callback.
    pub payload_bytes: u64,
    /// The torn tail cut off the last segment, if any.
    pub torn_tail: Option<TornTail>,
    /// Last segments removed because their header was never completely
    /// written (a crash while creating them); they held no record.
    pub removed_segments: Vec<PathBuf>,
    /// What salvage mode did, if it had to.
    pub salvage: Option<Salvage>,
}

/// A torn tail removed from the last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub path: PathBuf,
    /// The segment was truncated to this length.
    pub offset: u64,
    pub dropped_bytes: u64,
    pub reason: String,
}

/// What salvage mode did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvage {
    /// The segment where corruption was found.
    pub path: PathBuf,
    /// Where; replay kept everything before it.
    pub offset: u64,
    pub reason: String,
    /// Copies and renamed segments now named `*.corrupt*`.
    pub moved_aside: Vec<PathBuf>,
}

/// Result of [`recover`].
#[derive(Debug)]
pub(crate) struct Recovered {
    pub report: RecoveryReport,
    /// Sequence number for the new segment: above every segment-named file.
    pub next_seq: u64,
}

/// How the replay of one segment ended.
enum SegmentEnd {
    Clean,
    /// Last segment with an incomplete header: holds nothing.
    TornHeader(&'static str),
    TornTail {
        offset: usize,
        reason: String,
    },
    Corrupt {
        offset: usize,
        reason: String,
    },
}

/// Replays the WAL in `dir` (created if missing). See the module docs.
pub(crate) fn recover<F>(
    fs: &dyn FileSystem,
    dir: &Path,
    options: &WalOptions,
    replay: &mut F,
) -> Result<Recovered>
where
    F: FnMut(u64, &[u8]) -> Result<()>,
{
    fs.create_dir_all(dir)?;
    let listing = list_segments(fs, dir)?;
    let mut report = RecoveryReport::default();
    let mut last_kept: Option<&Path> = None;
    for (i, (seq, path)) in listing.live.iter().enumerate() {
        let is_last = i + 1 == listing.live.len();
        let data = read_all(fs, path)?;
        let end = replay_segment(&data, *seq, path, is_last, options, replay, &mut report)?;
        match end {
            SegmentEnd::Clean => {
                report.segments += 1;
                last_kept = Some(path);
            }
            SegmentEnd::TornHeader(reason) => {
                warn!(path = %path.display(), reason, "removing WAL segment with a torn header (crash while creating it)");
                fs.remove_file(path)?;
                fs.sync_dir(dir)?;
                report.removed_segments.push(path.clone());
            }
            SegmentEnd::TornTail { offset, reason } => {
                let dropped = data.len().saturating_sub(offset) as u64;
                warn!(
                    path = %path.display(), offset, dropped_bytes = dropped, %reason,
                    "truncating torn tail of the last WAL segment"
                );
                fs.truncate(path, offset as u64)?;
                report.segments += 1;
                report.torn_tail = Some(TornTail {
                    path: path.clone(),
                    offset: offset as u64,
                    dropped_bytes: dropped,
                    reason,
                });
                last_kept = Some(path);
            }
            SegmentEnd::Corrupt { offset, reason } => {
                if !options.salvage {
                    return Err(Error::corrupt(path, offset as u64, reason));
                }
                let later = listing.live.get(i + 1..).unwrap_or_default();
                let salvage = salvage(fs, dir, path, &data, offset, reason, later)?;
                if offset > 0 {
                    report.segments += 1;
                    last_kept = Some(path);
                }
                report.salvage = Some(salvage);
                break;
            }
        }
    }
    // Make the kept tail durable before anything is written after it: it may
    // still be only in the page cache of a process that crashed.
    if let Some(path) = last_kept {
        fs.open_append(path)?.sync_data()?;
    }
    let next_seq = match listing.max_seq {
        None => 1,
        Some(max) => max
            .checked_add(1)
            .ok_or_else(|| Error::corrupt(dir, 0, "WAL segment sequence numbers exhausted"))?,
    };
    info!(
        dir = %dir.display(), segments = report.segments, records = report.records,
        next_segment = next_seq, "WAL recovered"
    );
    Ok(Recovered { report, next_seq })
}

fn replay_segment<F>(
    data: &[u8],
    seq: u64,
    path: &Path,
    is_last: bool,
    options: &WalOptions,
    replay: &mut F,
    report: &mut RecoveryReport,
) -> Result<SegmentEnd>
where
    F: FnMut(u64, &[u8]) -> Result<()>,
{
    match check_segment_header(data, seq) {
        HeaderCheck::Ok => {}
        HeaderCheck::Torn(reason) if is_last => return Ok(SegmentEnd::TornHeader(reason)),
        HeaderCheck::Torn(reason) => {
            return Ok(SegmentEnd::Corrupt {
                offset: 0,
                reason: reason.to_string(),
            });
        }
        HeaderCheck::Corrupt(reason) => return Ok(SegmentEnd::Corrupt { offset: 0, reason }),
        HeaderCheck::Unsupported(found) => {
            return Err(Error::UnsupportedVersion {
                path: path.to_path_buf(),
                found,
                supported: super::format::FORMAT_VERSION,
            });
        }
    }
    let max = options.max_record_size;
    let mut pos = SEGMENT_HEADER_LEN;
    loop {
        match parse_record(data, pos, max) {
            Parsed::End => return Ok(SegmentEnd::Clean),
            Parsed::Record { payload, next } => {
                replay(seq, payload)?;
                report.records += 1;
                report.payload_bytes += payload.len() as u64;
                pos = next;
            }
            Parsed::Invalid(invalid) if is_last => {
                return Ok(match classify(data, pos, &invalid, max) {
                    TailVerdict::Torn(reason) => SegmentEnd::TornTail {
                        offset: pos,
                        reason,
                    },
                    TailVerdict::Corrupt(reason) => SegmentEnd::Corrupt {
                        offset: pos,
                        reason,
                    },
                });
            }
            Parsed::Invalid(invalid) => {
                return Ok(SegmentEnd::Corrupt {
                    offset: pos,
                    reason: invalid.to_string(),
                });
            }
        }
    }
}

/// Keeps `path` up to `offset` and moves the rest aside: later segments are
/// renamed first (so a crash half-way never replays records after a gap),
/// then the damaged segment is copied aside and truncated (or, when its
/// header is bad, renamed aside whole).
fn salvage(
    fs: &dyn FileSystem,
    dir: &Path,
    path: &Path,
    data: &[u8],
    offset: usize,
    reason: String,
    later: &[(u64, PathBuf)],
) -> Result<Salvage> {
    let mut moved_aside = Vec::new();
    for (_, later_path) in later.iter().rev() {
        moved_aside.push(move_aside(fs, later_path)?);
    }
    fs.sync_dir(dir)?;
    if offset == 0 {
        moved_aside.push(move_aside(fs, path)?);
    } else {
        let copy = aside_path(fs, path)?;
        let mut file = fs.create(&copy)?;
        file.write_all(data)?;
        file.sync_data()?;
        drop(file);
        fs.truncate(path, offset as u64)?;
        moved_aside.push(copy);
    }
    fs.sync_dir(dir)?;
    moved_aside.reverse();
    warn!(
        path = %path.display(), offset, %reason, moved_aside = ?moved_aside,
        "WAL salvage: kept the records before the corruption, moved the rest aside"
    );
    Ok(Salvage {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason,
        moved_aside,
    })
}
