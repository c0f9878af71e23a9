//! WAL configuration: [`WalOptions`] and the [`SyncPolicy`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

use super::format::SEGMENT_HEADER_LEN;

/// Default for [`WalOptions::segment_size`]: 64 MiB.
pub const DEFAULT_SEGMENT_SIZE: u64 = 64 << 20;
/// Default for [`WalOptions::max_record_size`]: 64 MiB.
pub const DEFAULT_MAX_RECORD_SIZE: u32 = 64 << 20;

/// When appended records are made durable. See the module documentation of
/// [`crate::wal`] for what each policy can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// `append` returns only after the record was fsynced (group commit
    /// shares one fsync between concurrent writers). Loses nothing that was
    /// acknowledged.
    #[default]
    Always,
    /// `append` returns after write(2); a background thread fsyncs every
    /// interval. A process crash loses nothing acknowledged; a power loss or
    /// OS crash loses up to one interval of acknowledged records.
    Interval(Duration),
    /// Never fsync except when a segment is rotated and on close. A process
    /// crash loses nothing acknowledged; an OS crash or power loss loses
    /// whatever the page cache had not written back.
    None,
}

impl FromStr for SyncPolicy {
    type Err = Error;

    /// Parses `always`, `none` or `interval=<milliseconds>` (milliseconds > 0).
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        match s {
            "always" => return Ok(SyncPolicy::Always),
            "none" => return Ok(SyncPolicy::None),
            _ => {}
        }
        let bad = || {
            Error::Config(format!(
                "invalid WAL sync policy {s:?}: expected \"always\", \"none\" or \"interval=<ms>\" with ms > 0"
            ))
        };
        let ms = s.strip_prefix("interval=").ok_or_else(bad)?;
        let ms: u64 = ms.trim().parse().map_err(|_| bad())?;
        if ms == 0 {
            return Err(bad());
        }
        Ok(SyncPolicy::Interval(Duration::from_millis(ms)))
    }
}

impl fmt::Display for SyncPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncPolicy::Always => f.write_str("always"),
            SyncPolicy::Interval(d) => write!(f, "interval={}", d.as_millis()),
            SyncPolicy::None => f.write_str("none"),
        }
    }
}

/// Options of [`crate::wal::Wal::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// Durability of `append`. Default [`SyncPolicy::Always`].
    pub sync: SyncPolicy,
    /// A segment is rotated once its size reaches this many bytes (checked
    /// after each group-commit write, so a segment can exceed it by one
    /// batch). Default 64 MiB.
    pub segment_size: u64,
    /// Largest accepted payload. `append` rejects larger payloads; on replay a
    /// length field above it is treated as corruption (it is never used to
    /// size an allocation). Default 64 MiB.
    pub max_record_size: u32,
    /// Salvage mode (like Prometheus' WAL repair). When a corrupt record is
    /// found where it cannot be a torn tail, instead of failing with
    /// [`Error::Corrupt`]: keep every record before it, copy the damaged
    /// segment to `<name>.corrupt` and truncate it at the corruption, rename
    /// every later segment to `<name>.corrupt`, log a warning and go on.
    /// Records at and after the corruption are lost to replay (but kept
    /// aside on disk for inspection). Default `false`.
    pub salvage: bool,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            sync: SyncPolicy::Always,
            segment_size: DEFAULT_SEGMENT_SIZE,
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            salvage: false,
        }
    }
}

impl WalOptions {
    /// Checks that the options are usable.
    pub fn validate(&self) -> Result<()> {
        if self.segment_size <= SEGMENT_HEADER_LEN as u64 {
            return Err(Error::Config(format!(
                "WAL segment_size must be larger than the {SEGMENT_HEADER_LEN}-byte segment header, got {}",
                self.segment_size
            )));
        }
        if self.max_record_size == 0 {
            return Err(Error::Config("WAL max_record_size must be > 0".into()));
        }
        if matches!(self.sync, SyncPolicy::Interval(d) if d.is_zero()) {
            return Err(Error::Config("WAL sync interval must be > 0".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_sync_policy() {
        assert_eq!("always".parse::<SyncPolicy>().unwrap(), SyncPolicy::Always);
        assert_eq!(" none ".parse::<SyncPolicy>().unwrap(), SyncPolicy::None);
        assert_eq!(
            "interval=250".parse::<SyncPolicy>().unwrap(),
            SyncPolicy::Interval(Duration::from_millis(250))
        );
        for bad in [
            "",
            "Always",
            "interval",
            "interval=",
            "interval=0",
            "interval=-5",
            "fsync",
        ] {
            let err = bad.parse::<SyncPolicy>().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{bad}: {err:?}");
        }
    }

    #[test]
    fn sync_policy_display_round_trips() {
        for p in [
            SyncPolicy::Always,
            SyncPolicy::None,
            SyncPolicy::Interval(Duration::from_millis(1000)),
        ] {
            assert_eq!(p.to_string().parse::<SyncPolicy>().unwrap(), p);
        }
    }

    #[test]
    fn validate_options() {
        WalOptions::default().validate().unwrap();
        let small = WalOptions {
            segment_size: SEGMENT_HEADER_LEN as u64,
            ..WalOptions::default()
        };
        assert!(small.validate().is_err());
        let zero = WalOptions {
            max_record_size: 0,
            ..WalOptions::default()
        };
        assert!(zero.validate().is_err());
        let interval = WalOptions {
            sync: SyncPolicy::Interval(Duration::ZERO),
            ..WalOptions::default()
        };
        assert!(interval.validate().is_err());
    }
}
