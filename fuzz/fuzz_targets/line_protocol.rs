//! Fuzz target: the line-protocol parser must never panic, and whatever it
//! accepts must survive `write_batch` -> `parse` unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_protocol::{FieldValue, Precision, line};

fuzz_target!(|data: &[u8]| {
    for precision in [Precision::Nanoseconds, Precision::Seconds] {
        let _ = line::parse(data, precision);
    }
    let Ok(batch) = line::parse(data, Precision::Nanoseconds) else {
        return;
    };
    let mut text = String::new();
    line::write_batch(&batch, &mut text);
    let reparsed = line::parse(text.as_bytes(), Precision::Nanoseconds)
        .unwrap_or_else(|e| panic!("written output does not parse: {e}\n{text:?}"));
    // Floats compare by bits so that -0.0 and 0.0 are told apart.
    let same = batch.len() == reparsed.len()
        && batch.iter().zip(&reparsed).all(|(a, b)| {
            a.measurement() == b.measurement()
                && a.tags() == b.tags()
                && a.timestamp() == b.timestamp()
                && a.fields().len() == b.fields().len()
                && a.fields().iter().zip(b.fields()).all(|((ka, va), (kb, vb))| {
                    ka == kb
                        && match (va, vb) {
                            (FieldValue::Float(x), FieldValue::Float(y)) => x.to_bits() == y.to_bits(),
                            _ => va == vb,
                        }
                })
        });
    assert!(same, "round trip changed the points\n{text:?}");
});
