//! The codec fuzz targets' seed corpora (`fuzz/corpus/codec_*`): valid encodings of typical
//! columns. This test checks every committed seed still decodes; with
//! `STRATA_WRITE_FUZZ_SEEDS=1` it (re)writes them first.

use std::path::PathBuf;

use strata_codec::varint::Cursor;
use strata_codec::{
    Column, boolean, decode_block, encode_block, float, integer, string, timestamp,
};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let ts: Vec<i64> = (0..300)
        .map(|i| 1_700_000_000_000_000_000 + i * 10_000_000_000 + (i % 3) * 1_000_000)
        .collect();
    let gauge: Vec<f64> = (0..300)
        .map(|i| 20.0 + ((i * 7) % 13) as f64 / 4.0)
        .collect();
    let noisy: Vec<f64> = (0..300).map(|i| (i as f64).sin()).collect();
    let counter: Vec<i64> = (0..300).map(|i| 1000 + i * 15 + i % 4).collect();
    let flags: Vec<bool> = (0..300).map(|i| i % 17 < 3).collect();
    let words: Vec<String> = (0..300)
        .map(|i| ["ok", "warn", "crit"][i % 3].to_string())
        .collect();
    let mut out = Vec::new();
    let mut put = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, name.to_string(), bytes))
    };
    let mut b = Vec::new();
    timestamp::encode(&ts, &mut b);
    put("codec_timestamp", "scrape_ms", b);
    let mut b = Vec::new();
    timestamp::encode_with(&ts, timestamp::TimestampScheme::Gorilla, true, &mut b);
    put("codec_timestamp", "gorilla", b);
    let mut enc = float::FloatEncoder::default();
    for (name, vals) in [("gauge", &gauge), ("noisy", &noisy)] {
        for scheme in float::FloatScheme::ALL {
            let mut b = Vec::new();
            if enc.encode_with(vals, scheme, &mut b).is_some() {
                put("codec_float", &format!("{name}_{}", scheme.name()), b);
            }
        }
    }
    let mut b = Vec::new();
    integer::encode(&counter, &mut b);
    put("codec_integer", "counter", b);
    let mut walk = vec![50i64];
    for i in 1..300i64 {
        let step = [0, 1, -1, 0, 2, 0, -1, 1, 0, -2, 0, 40][(i * 7 % 12) as usize];
        walk.push(walk[walk.len() - 1] + step);
    }
    let mut b = Vec::new();
    let scheme = integer::encode(&walk, &mut b);
    assert_eq!(scheme.name(), "int-delta-huffman");
    put("codec_integer", "walk_huffman", b);
    let mut b = Vec::new();
    boolean::encode(&flags, &mut b);
    put("codec_boolean", "flags", b);
    let mut b = Vec::new();
    string::encode(&words, &mut b);
    put("codec_string", "words", b);
    for (name, col) in [
        ("float", Column::Float(gauge.clone())),
        ("integer", Column::Integer(counter.clone())),
        ("boolean", Column::Boolean(flags.clone())),
        ("string", Column::String(words.clone())),
    ] {
        put(
            "codec_block",
            name,
            encode_block(&ts, col.as_ref()).unwrap(),
        );
    }
    out
}

#[test]
fn seeds_decode() {
    let write = std::env::var("STRATA_WRITE_FUZZ_SEEDS").is_ok();
    for (target, name, bytes) in seeds() {
        let path = corpus(target).join(&name);
        if write {
            std::fs::create_dir_all(corpus(target)).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "seed {} is missing ({e}); write it with STRATA_WRITE_FUZZ_SEEDS=1",
                path.display()
            )
        });
        // Every committed seed is what this build writes, so it decodes to the same bytes.
        assert_eq!(stored, bytes, "seed {} is stale", path.display());
        let ok = match target {
            "codec_timestamp" => {
                timestamp::decode(&mut Cursor::new(&stored), &mut Vec::new()).is_ok()
            }
            "codec_float" => {
                float::decode(&mut Cursor::new(&stored), &mut Vec::new(), &mut Vec::new()).is_ok()
            }
            "codec_integer" => integer::decode(&mut Cursor::new(&stored), &mut Vec::new()).is_ok(),
            "codec_boolean" => boolean::decode(&mut Cursor::new(&stored), &mut Vec::new()).is_ok(),
            "codec_string" => string::decode(&mut Cursor::new(&stored), &mut Vec::new()).is_ok(),
            _ => decode_block(&stored).is_ok(),
        };
        assert!(ok, "seed {} does not decode", path.display());
    }
}
