//! Counting-allocator check of the hot path: once a batch has grown, parsing
//! line protocol (and JSON) allocates nothing per point unless a token has
//! escapes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use strata_protocol::{PointBatch, Precision, json, line};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn cpu_lines(n: usize, escaped: bool) -> String {
    let mut body = String::new();
    for i in 0..n {
        let host = if escaped { "host\\ 0" } else { "host_0" };
        body.push_str(&format!(
            "cpu,hostname={host},region=eu-west-1,rack={} usage_user={}.5,usage_system=2i,ok=t,note=\"x\" {}\n",
            i % 100,
            i,
            1_451_606_400_000_000_000_i64 + i as i64
        ));
    }
    body
}

#[test]
fn line_protocol_parse_allocates_nothing_per_point() {
    let body = cpu_lines(1000, false);
    let mut batch = PointBatch::new();
    line::parse_into(body.as_bytes(), Precision::Nanoseconds, &mut batch).unwrap();
    batch.clear();
    let n = allocations_during(|| {
        line::parse_into(body.as_bytes(), Precision::Nanoseconds, &mut batch).unwrap();
    });
    assert_eq!(batch.len(), 1000);
    assert_eq!(n, 0, "allocations while parsing into a grown batch");
}

#[test]
fn escaped_tokens_allocate() {
    let body = cpu_lines(10, true);
    let mut batch = PointBatch::new();
    line::parse_into(body.as_bytes(), Precision::Nanoseconds, &mut batch).unwrap();
    batch.clear();
    let n = allocations_during(|| {
        line::parse_into(body.as_bytes(), Precision::Nanoseconds, &mut batch).unwrap();
    });
    assert_eq!(n, 10, "one allocation per escaped tag value");
}

#[test]
fn json_parse_allocates_nothing_per_point() {
    let mut body = String::from("[");
    for i in 0..1000 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"measurement": "cpu", "tags": {{"host": "h{}", "dc": "eu"}}, "fields": {{"value": {}.5, "up": true, "note": "x"}}, "timestamp": {}}}"#,
            i % 10,
            i,
            1_696_789_234_567_i64 + i
        ));
    }
    body.push(']');
    let mut batch = PointBatch::new();
    json::parse_into(body.as_bytes(), Precision::Milliseconds, &mut batch).unwrap();
    batch.clear();
    let n = allocations_during(|| {
        json::parse_into(body.as_bytes(), Precision::Milliseconds, &mut batch).unwrap();
    });
    assert_eq!(batch.len(), 1000);
    assert_eq!(n, 0, "allocations while parsing JSON into a grown batch");
}
