//! Model-based property test of the WAL: random sequences of appends, batch
//! appends, rotations, segment removals and reopens, checked against a `Vec`
//! of the records that must be replayed (and the segments they may be in).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use strata_engine::io::{FileSystem, StdFs};
use strata_engine::wal::{SyncPolicy, Wal, WalOptions};

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u8>),
    AppendBatch(Vec<Vec<u8>>),
    Rotate,
    /// Remove the segments before the most recent `rotate` result.
    RemoveBeforeLastRotation,
    Reopen,
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..300)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => payload().prop_map(Op::Append),
        2 => prop::collection::vec(payload(), 1..5).prop_map(Op::AppendBatch),
        2 => Just(Op::Rotate),
        1 => Just(Op::RemoveBeforeLastRotation),
        2 => Just(Op::Reopen),
    ]
}

fn policy() -> impl Strategy<Value = SyncPolicy> {
    prop_oneof![
        Just(SyncPolicy::Always),
        Just(SyncPolicy::None),
        Just(SyncPolicy::Interval(Duration::from_millis(3))),
    ]
}

/// A record the WAL must replay, and the segments it can be in:
/// `min_seg <= seg < max_seg` (`max_seg` is known once a rotation or a
/// reopen closed the segment it went to).
#[derive(Debug)]
struct Expected {
    payload: Vec<u8>,
    min_seg: u64,
    max_seg: Option<u64>,
}

struct Harness {
    fs: Arc<dyn FileSystem>,
    options: WalOptions,
    wal: Option<Wal>,
    model: Vec<Expected>,
    last_rotation: Option<u64>,
}

impl Harness {
    fn open(&mut self, dir: &Path) -> Result<(), TestCaseError> {
        let mut replayed = Vec::new();
        let (wal, report) = Wal::open(
            Arc::clone(&self.fs),
            dir,
            self.options.clone(),
            |seq, payload| {
                replayed.push((seq, payload.to_vec()));
                Ok(())
            },
        )
        .map_err(|e| TestCaseError::fail(format!("open: {e}")))?;
        prop_assert!(report.torn_tail.is_none(), "{report:?}");
        prop_assert_eq!(replayed.len(), self.model.len());
        let mut prev_seg = 0;
        for ((seg, payload), want) in replayed.iter().zip(&self.model) {
            prop_assert_eq!(payload, &want.payload);
            prop_assert!(*seg >= want.min_seg, "seg {} < min {}", seg, want.min_seg);
            if let Some(max) = want.max_seg {
                prop_assert!(*seg < max, "seg {} >= max {}", seg, max);
            }
            prop_assert!(*seg >= prev_seg);
            prev_seg = *seg;
        }
        // Records of earlier runs are all below the new segment.
        let current = wal.current_segment();
        for r in &mut self.model {
            r.max_seg.get_or_insert(current);
        }
        self.wal = Some(wal);
        Ok(())
    }

    fn wal(&self) -> &Wal {
        self.wal.as_ref().expect("open")
    }

    fn append(&mut self, payloads: &[Vec<u8>]) {
        let min_seg = self.wal().current_segment();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        self.wal().append_batch(&refs).expect("append");
        for p in payloads {
            self.model.push(Expected {
                payload: p.clone(),
                min_seg,
                max_seg: None,
            });
        }
    }

    fn apply(&mut self, dir: &Path, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Append(p) => self.append(&[p]),
            Op::AppendBatch(ps) => self.append(&ps),
            Op::Rotate => {
                let before = self.wal().current_segment();
                let seq = self.wal().rotate().expect("rotate");
                prop_assert_eq!(seq, before + 1);
                for r in &mut self.model {
                    r.max_seg.get_or_insert(seq);
                }
                self.last_rotation = Some(seq);
            }
            Op::RemoveBeforeLastRotation => {
                if let Some(seq) = self.last_rotation {
                    self.wal().remove_segments_before(seq).expect("remove");
                    self.model.retain(|r| r.max_seg.is_none_or(|max| max > seq));
                }
            }
            Op::Reopen => {
                let wal = self.wal.take().expect("open");
                wal.close().expect("close");
                drop(wal);
                // A rotation's number means something to the WAL that returned it only:
                // segments are created by their first write, so one never written is
                // never on disk, and the next run may hand its number out again.
                self.last_rotation = None;
                self.open(dir)?;
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn wal_matches_model(
        ops in prop::collection::vec(op(), 1..40),
        sync in policy(),
        segment_size in 64u64..4096,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut h = Harness {
            fs: Arc::new(StdFs::new()),
            options: WalOptions { sync, segment_size, ..WalOptions::default() },
            wal: None,
            model: Vec::new(),
            last_rotation: None,
        };
        h.open(dir.path())?;
        for op in ops {
            h.apply(dir.path(), op)?;
        }
        h.apply(dir.path(), Op::Reopen)?;
    }
}
