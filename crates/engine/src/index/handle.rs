//! [`SeriesHandle`]: a series as a write names it, with what every write would otherwise
//! recompute done once: its canonical key, its measurement, the key's hash, and the catalog
//! id it resolved to last. A client that sends the same series again (a remote-write sender,
//! through the server's cache of label sets) then costs neither hashing nor looking up its
//! key. The remembered id is checked against the catalog's epoch, which forgetting any series
//! advances, so a stale id is never used.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::postings::SeriesId;

/// The hash of a canonical key, the same in every map of this process (seeded once, at
/// random, so keys cannot be chosen to collide).
pub fn key_hash(canonical: &str) -> u64 {
    static STATE: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    STATE
        .get_or_init(foldhash::fast::RandomState::default)
        .hash_one(canonical)
}

/// Nothing remembered.
const UNRESOLVED: u64 = u64::MAX;

/// See the module documentation.
#[derive(Debug)]
pub struct SeriesHandle {
    canonical: Arc<str>,
    measurement: Box<str>,
    hash: u64,
    /// `epoch << 32 | id` of the last resolution, or [`UNRESOLVED`].
    resolved: AtomicU64,
}

impl SeriesHandle {
    /// The handle of the series with canonical key `canonical` of `measurement`.
    pub fn new(canonical: Arc<str>, measurement: &str) -> SeriesHandle {
        SeriesHandle {
            hash: key_hash(&canonical),
            canonical,
            measurement: measurement.into(),
            resolved: AtomicU64::new(UNRESOLVED),
        }
    }

    pub fn canonical(&self) -> &Arc<str> {
        &self.canonical
    }

    pub fn measurement(&self) -> &str {
        &self.measurement
    }

    /// [`key_hash`] of the key.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The id remembered under catalog epoch `epoch`, if any.
    pub(crate) fn id(&self, epoch: u32) -> Option<SeriesId> {
        let r = self.resolved.load(Ordering::Relaxed);
        (r != UNRESOLVED && (r >> 32) as u32 == epoch).then_some(r as u32)
    }

    /// Remembers that the series resolved to `id` under catalog epoch `epoch`.
    pub(crate) fn remember(&self, id: SeriesId, epoch: u32) {
        self.resolved
            .store((u64::from(epoch) << 32) | u64::from(id), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_id_holds_for_its_epoch_only() {
        let h = SeriesHandle::new("cpu,host=a".into(), "cpu");
        assert_eq!(h.hash(), key_hash("cpu,host=a"));
        assert_eq!(h.id(0), None);
        h.remember(7, 3);
        assert_eq!(h.id(3), Some(7));
        assert_eq!(h.id(4), None, "a series was forgotten since");
    }
}
