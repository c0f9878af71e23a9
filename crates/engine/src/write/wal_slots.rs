//! WAL series slots: a WAL record names a series by a small slot number once its key is in
//! the log, so a steady stream of writes to the same series does not write every key again
//! in every record (a remote-write request of 2,000 series was about 150 bytes of keys per
//! sample).
//!
//! Slots belong to a *generation*: the records that go into one MemTable (between two
//! rotations), numbered by the MemTable. A record defines the slots of the series it is the
//! first to carry (slot and key) and refers to the others by slot. A writer refers to a slot
//! only once the record defining it has been appended (the WAL's append returned), so in the
//! log every reference comes after a definition of its slot, whatever order concurrent
//! writers' records land in; a slot whose definition is not yet confirmed is simply defined
//! again (same slot, same key). All records of a generation precede the next generation's
//! (a rotation waits for the writers in flight), so replay keeps one generation's slots at a
//! time ([`SlotDict`]).

use std::sync::Arc;

use parking_lot::Mutex;

use crate::index::SeriesId;

/// How a record names one of its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub slot: u32,
    /// The key goes in the record (a definition), or only the slot (a reference).
    pub define: bool,
}

#[derive(Debug, Default)]
struct Slots {
    next: u32,
    /// A series' slot, and whether a record defining it is in the log.
    by_id: foldhash::HashMap<SeriesId, (u32, bool)>,
}

/// One generation's slots (kept by its MemTable).
#[derive(Debug, Default)]
pub struct SlotTable {
    inner: Mutex<Slots>,
}

impl SlotTable {
    /// How a record carries each series of a batch, by the ids the catalog already has
    /// (`None`: a new series, always defined).
    pub fn assign(&self, known: &[Option<SeriesId>]) -> Vec<Slot> {
        let mut s = self.inner.lock();
        known
            .iter()
            .map(|id| {
                let existing = id.and_then(|id| s.by_id.get(&id).copied());
                match existing {
                    Some((slot, true)) => Slot {
                        slot,
                        define: false,
                    },
                    Some((slot, false)) => Slot { slot, define: true },
                    None => {
                        let slot = s.next;
                        s.next += 1;
                        if let Some(id) = id {
                            s.by_id.insert(*id, (slot, false));
                        }
                        Slot { slot, define: true }
                    }
                }
            })
            .collect()
    }

    /// Records that the slots a durable record defined are in the log (`ids`: the batch's
    /// series ids, resolved, aligned with `slots`).
    pub fn confirm(&self, ids: &[Option<SeriesId>], slots: &[Slot]) {
        let mut s = self.inner.lock();
        for (id, slot) in ids.iter().zip(slots) {
            if let (Some(id), true) = (id, slot.define) {
                s.by_id.insert(*id, (slot.slot, true));
            }
        }
    }
}

/// The slots of the generation being replayed.
#[derive(Debug, Default)]
pub struct SlotDict {
    generation: u64,
    keys: foldhash::HashMap<u32, Arc<str>>,
}

impl SlotDict {
    /// Switches to `generation` (forgetting the previous one's slots if it differs).
    pub fn enter(&mut self, generation: u64) {
        if generation != self.generation {
            self.generation = generation;
            self.keys.clear();
        }
    }

    pub fn define(&mut self, slot: u32, key: Arc<str>) {
        self.keys.insert(slot, key);
    }

    pub fn get(&self, slot: u32) -> Option<&Arc<str>> {
        self.keys.get(&slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_referred_to_only_once_its_definition_is_confirmed() {
        let t = SlotTable::default();
        let first = t.assign(&[Some(7), None]);
        assert_eq!(
            first,
            vec![
                Slot {
                    slot: 0,
                    define: true
                },
                Slot {
                    slot: 1,
                    define: true
                }
            ]
        );
        // A concurrent writer before the confirmation defines 7 again, with the same slot.
        assert_eq!(
            t.assign(&[Some(7)]),
            vec![Slot {
                slot: 0,
                define: true
            }]
        );
        t.confirm(&[Some(7), Some(9)], &first);
        assert_eq!(
            t.assign(&[Some(9), Some(7), Some(3)]),
            vec![
                Slot {
                    slot: 1,
                    define: false
                },
                Slot {
                    slot: 0,
                    define: false
                },
                Slot {
                    slot: 2,
                    define: true
                }
            ]
        );
        let mut d = SlotDict::default();
        d.enter(5);
        d.define(0, "a".into());
        assert_eq!(d.get(0).map(|k| &**k), Some("a"));
        d.enter(5);
        assert!(d.get(0).is_some(), "same generation");
        d.enter(6);
        assert!(d.get(0).is_none(), "a new generation starts empty");
    }
}
