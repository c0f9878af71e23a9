//! Reads through a snapshot: streamed chunks come out disjoint and in time order both ways,
//! and limited reads agree with full reads cut to the limit, across every place a point can
//! be (L1, L0, frozen and active MemTables), overwrites, tombstones and partitions.

use strata_engine::{
    ColumnData, Engine, EngineOptions, FieldValue, Point, SeriesKey, SyncPolicy, Take,
};

/// Keeps the first `n` points of a sorted column, or the last `n` with `from_end`.
fn keep_end(data: &mut ColumnData, n: usize, from_end: bool) {
    let len = data.len();
    if len > n {
        let idx: Vec<usize> = if from_end {
            (len - n..len).collect()
        } else {
            (0..n).collect()
        };
        *data = data.gather(&idx);
    }
}

fn point(host: &str, ts: i64, fields: &[(&str, f64)]) -> Point {
    Point {
        series: SeriesKey::new("m", vec![("h".into(), host.into())]),
        fields: fields
            .iter()
            .map(|(f, v)| (f.to_string(), FieldValue::Float(*v)))
            .collect(),
        timestamp: ts,
    }
}

/// Limited reads agree with a full read cut to the limit, across L1, L0, frozen and
/// active MemTables, overwrites, tombstones and several partitions.
#[test]
fn limited_reads_match_full_reads() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(EngineOptions {
        wal_sync: SyncPolicy::None,
        block_points: 4,
        partition_width: 50,
        ..EngineOptions::manual(dir.path())
    })
    .unwrap();
    let write = |range: std::ops::Range<i64>, step: usize, base: f64| {
        let pts: Vec<Point> = range
            .step_by(step)
            .map(|t| point("a", t, &[("v", base + t as f64), ("w", t as f64)]))
            .collect();
        e.write(&pts).unwrap();
    };
    write(0..120, 1, 0.0);
    e.flush().unwrap();
    e.compact().unwrap();
    write(10..60, 3, 1000.0); // overwrites, L0
    e.flush().unwrap();
    let id = e.catalog().lookup("m,h=a").unwrap();
    e.delete(&[id], 40, 47).unwrap();
    write(100..140, 2, 2000.0);
    e.rotate().unwrap(); // frozen MemTable
    write(90..95, 1, 3000.0); // active MemTable
    e.write(&[point("a", 200, &[("w", 1.0)])]).unwrap();
    let snap = e.snapshot();
    for (start, end) in [
        (0, 300),
        (5, 118),
        (41, 46),
        (44, 60),
        (130, 135),
        (300, 400),
    ] {
        for f in ["v", "w", "zz"] {
            // Chunks come out disjoint and in order, both ways, and add up to the read.
            let want = snap.read(id, f, start, end).unwrap();
            for back in [false, true] {
                let mut scan = snap.scan(id, f, start, end).unwrap();
                let mut chunks = Vec::new();
                while let Some(c) = if back {
                    scan.next_chunk_back().unwrap()
                } else {
                    scan.next_chunk().unwrap()
                } {
                    assert!(!c.is_empty());
                    assert!(c.ts().windows(2).all(|w| w[0] < w[1]));
                    chunks.push(c);
                }
                if back {
                    chunks.reverse();
                }
                assert!(
                    chunks
                        .windows(2)
                        .all(|w| w[0].ts().last() < w[1].ts().first())
                );
                let mut got: Option<ColumnData> = None;
                for c in &chunks {
                    c.append_to(got.get_or_insert_with(|| ColumnData::new(c.value_type())));
                }
                assert_eq!(got, want, "{f} [{start}, {end}) back={back}");
            }
        }
        for n in [1, 2, 3, 5, 17, 1000] {
            for from_end in [false, true] {
                let got = snap
                    .read_columns(
                        id,
                        &["v", "w", "zz"],
                        start,
                        end,
                        Take::Limit { n, from_end },
                    )
                    .unwrap();
                for (i, f) in ["v", "w", "zz"].iter().enumerate() {
                    let mut want = snap.read(id, f, start, end).unwrap();
                    if let Some(w) = want.as_mut() {
                        keep_end(w, n, from_end);
                    }
                    let norm = |c: Option<ColumnData>| c.filter(|c| !c.is_empty());
                    assert_eq!(
                        norm(got[i].clone()),
                        norm(want),
                        "{f} [{start}, {end}) n={n} from_end={from_end}"
                    );
                }
            }
        }
    }
    let all = snap
        .read_columns(id, &["w", "v"], 0, 300, Take::All)
        .unwrap();
    assert_eq!(all[0], snap.read(id, "w", 0, 300).unwrap());
    assert_eq!(all[1], snap.read(id, "v", 0, 300).unwrap());
    assert_eq!(all[0].as_ref().unwrap().ts.last(), Some(&200));
    let none = snap
        .read_columns(
            id,
            &["v"],
            0,
            300,
            Take::Limit {
                n: 0,
                from_end: true,
            },
        )
        .unwrap();
    assert_eq!(none, vec![None]);
}
