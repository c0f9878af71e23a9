//! Fuzz target: the JSON point parser must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_protocol::{Precision, json};

fuzz_target!(|data: &[u8]| {
    for precision in [Precision::Milliseconds, Precision::Nanoseconds] {
        if let Ok(batch) = json::parse(data, precision) {
            for point in &batch {
                assert!(!point.measurement().is_empty());
                assert!(!point.fields().is_empty());
            }
        }
    }
});
