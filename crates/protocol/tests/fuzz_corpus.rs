//! The fuzz seed inputs in `fuzz/corpus/` stay valid: every seed parses.

use std::fs;
use std::path::{Path, PathBuf};

use strata_protocol::{Precision, json, line, remote_write};

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn line_protocol_seeds_parse() {
    for (path, bytes) in seeds("line_protocol") {
        let batch = line::parse(&bytes, Precision::Nanoseconds)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!batch.is_empty(), "{}", path.display());
    }
}

#[test]
fn json_seeds_parse() {
    for (path, bytes) in seeds("json_points") {
        let batch = json::parse(&bytes, Precision::Milliseconds)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!batch.is_empty(), "{}", path.display());
    }
}

#[test]
fn remote_write_seeds_parse() {
    for (path, bytes) in seeds("remote_write") {
        let request = remote_write::decode(&bytes, 1 << 20)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let batch =
            remote_write::to_points(&request).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!batch.is_empty(), "{}", path.display());
    }
}
