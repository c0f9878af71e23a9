//! Property tests: every codec is lossless on every input, the chosen scheme is never larger
//! than plain Gorilla, and decoders return errors (never panic) on arbitrary or damaged bytes.

use proptest::prelude::*;
use strata_codec::float::{FloatEncoder, FloatScheme};
use strata_codec::integer::IntScheme;
use strata_codec::timestamp::TimestampScheme;
use strata_codec::varint::Cursor;
use strata_codec::{
    BlockDecoder, Column, ColumnRef, decode_block, encode_block, float, integer, timestamp,
};

/// Any i64 sequence, plus realistic ones: regular intervals with jitter and gaps.
fn timestamps() -> impl Strategy<Value = Vec<i64>> {
    prop_oneof![
        prop::collection::vec(any::<i64>(), 0..300),
        (
            any::<i64>(),
            1i64..100_000_000_000,
            prop::collection::vec(-3i64..=3, 0..1500),
            0u32..10
        )
            .prop_map(|(start, step, jitter, scale)| {
                let unit = 10i64.pow(scale % 7);
                let mut t = start / 2;
                jitter
                    .into_iter()
                    .map(|j| {
                        t = t.wrapping_add(step).wrapping_add(j * unit);
                        t
                    })
                    .collect()
            }),
        prop::collection::vec(
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64), Just(-1i64)],
            0..50
        ),
    ]
}

/// Any f64 bit pattern, plus decimal-looking gauges, counters and constant runs.
fn floats() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..300),
        prop::collection::vec(
            prop_oneof![
                Just(f64::NAN),
                Just(-0.0),
                Just(0.0),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(f64::MIN_POSITIVE / 3.0),
                Just(f64::MAX),
                Just(f64::from_bits(0x7ff0_0000_0000_0001)),
            ],
            0..100
        ),
        (0u32..6, prop::collection::vec(-10_000i64..10_000, 0..1500)).prop_map(|(e, steps)| {
            let mut m = 0i64;
            let p = 10f64.powi(e as i32);
            steps
                .into_iter()
                .map(|s| {
                    m += s;
                    m as f64 / p
                })
                .collect()
        }),
        (
            any::<f64>(),
            0usize..1500,
            prop::collection::vec(any::<f64>(), 0..5)
        )
            .prop_map(|(v, n, rare)| {
                let mut out = vec![v; n];
                for (i, r) in rare.into_iter().enumerate() {
                    if !out.is_empty() {
                        let at = (i * 997) % out.len();
                        out[at] = r;
                    }
                }
                out
            }),
    ]
}

fn ints() -> impl Strategy<Value = Vec<i64>> {
    prop_oneof![
        prop::collection::vec(any::<i64>(), 0..300),
        (
            any::<i64>(),
            -1000i64..1000,
            prop::collection::vec(-5i64..5, 0..1500)
        )
            .prop_map(|(start, rate, noise)| {
                let mut v = start;
                noise
                    .into_iter()
                    .map(|n| {
                        v = v.wrapping_add(rate + n);
                        v
                    })
                    .collect()
            }),
    ]
}

fn bits_of(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn timestamps_round_trip_in_every_scheme(ts in timestamps()) {
        let mut chosen = Vec::new();
        timestamp::encode(&ts, &mut chosen);
        for (scheme, plain) in [(TimestampScheme::Gorilla, true), (TimestampScheme::Gorilla, false), (TimestampScheme::GorillaFine, false), (TimestampScheme::ScaledInt, false)] {
            let mut buf = Vec::new();
            timestamp::encode_with(&ts, scheme, plain, &mut buf);
            let mut out = Vec::new();
            let mut cur = Cursor::new(&buf);
            prop_assert_eq!(timestamp::decode(&mut cur, &mut out).unwrap(), scheme);
            prop_assert!(cur.finish("t").is_ok());
            prop_assert_eq!(&out, &ts);
            prop_assert!(chosen.len() <= buf.len(), "chosen {} > {:?} {}", chosen.len(), scheme, buf.len());
        }
    }

    #[test]
    fn floats_round_trip_in_every_scheme(values in floats()) {
        let mut enc = FloatEncoder::default();
        let mut ints = Vec::new();
        let mut chosen = Vec::new();
        enc.encode(&values, &mut chosen);
        for scheme in FloatScheme::ALL {
            let mut buf = Vec::new();
            if enc.encode_with(&values, scheme, &mut buf).is_none() {
                prop_assert!(scheme == FloatScheme::Decimal);
                continue;
            }
            let mut out = Vec::new();
            let mut cur = Cursor::new(&buf);
            prop_assert_eq!(float::decode(&mut cur, &mut out, &mut ints).unwrap(), scheme);
            prop_assert!(cur.finish("f").is_ok());
            prop_assert_eq!(bits_of(&out), bits_of(&values));
            if scheme == FloatScheme::Gorilla {
                prop_assert!(chosen.len() <= buf.len());
            }
        }
        let mut out = Vec::new();
        float::decode(&mut Cursor::new(&chosen), &mut out, &mut ints).unwrap();
        prop_assert_eq!(bits_of(&out), bits_of(&values));
    }

    #[test]
    fn integers_round_trip_in_every_scheme(values in ints()) {
        let mut scratch = Vec::new();
        let (_, best) = integer::choose(&values);
        for scheme in IntScheme::ALL {
            let mut buf = Vec::new();
            integer::encode_with(&values, scheme, &mut scratch, &mut buf);
            // Huffman is sized for one transform only (the one nearest zero); every other
            // pair exactly.
            prop_assert!(best <= buf.len() || scheme.packing == integer::Packing::Huffman);
            let mut out = Vec::new();
            let mut cur = Cursor::new(&buf);
            prop_assert_eq!(integer::decode(&mut cur, &mut out).unwrap(), scheme);
            prop_assert!(cur.finish("i").is_ok());
            prop_assert_eq!(&out, &values);
        }
    }

    #[test]
    fn blocks_of_every_type_round_trip(
        ts in prop::collection::vec(any::<i64>(), 0..200),
        seed in any::<u64>(),
        kind in 0u8..5,
    ) {
        let n = ts.len();
        let mix = |i: usize| (seed ^ (i as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let col = match kind {
            0 => Column::Float((0..n).map(|i| f64::from_bits(mix(i))).collect()),
            1 => Column::Integer((0..n).map(|i| mix(i) as i64).collect()),
            2 => Column::Unsigned((0..n).map(mix).collect()),
            3 => Column::Boolean((0..n).map(|i| mix(i) >> 63 == 1).collect()),
            _ => Column::String((0..n).map(|i| format!("v{}", mix(i) % 7)).collect()),
        };
        let block = encode_block(&ts, col.as_ref()).unwrap();
        let (got_ts, got) = decode_block(&block).unwrap();
        prop_assert_eq!(got_ts, ts);
        match (&got, &col) {
            (Column::Float(a), Column::Float(b)) => prop_assert_eq!(bits_of(a), bits_of(b)),
            _ => prop_assert_eq!(&got, &col),
        }
    }

    #[test]
    fn a_block_decoded_before_an_end_is_its_points_before_that_end(
        mut ts in timestamps(),
        floats in floats(),
        ints in ints(),
        kind in 0u8..4,
        cut in any::<prop::sample::Index>(),
        nudge in -1i64..=1,
    ) {
        ts.sort_unstable();
        ts.dedup();
        let col = match kind {
            0 => Column::Float(floats.iter().copied().cycle().take(ts.len()).collect()),
            1 => Column::Integer(ints.iter().copied().cycle().take(ts.len()).collect()),
            2 => Column::Unsigned(ints.iter().map(|&i| i as u64).cycle().take(ts.len()).collect()),
            _ => Column::String(ints.iter().map(|i| format!("s{}", i % 5)).cycle().take(ts.len()).collect()),
        };
        let ts = ts[..col.len()].to_vec();
        let block = encode_block(&ts, col.as_ref()).unwrap();
        let end = if ts.is_empty() { 0 } else { ts[cut.index(ts.len())].saturating_add(nudge) };
        // `i64::MAX` means the whole block (a point may sit at `i64::MAX`).
        let keep = if end == i64::MAX { ts.len() } else { ts.partition_point(|&t| t < end) };
        let (mut got_ts, mut got) = (Vec::new(), Column::Float(Vec::new()));
        BlockDecoder::default().decode_before(&block, end, &mut got_ts, &mut got).unwrap();
        prop_assert_eq!(&got_ts[..], &ts[..keep]);
        let want = col.as_ref().slice(0..keep);
        match (got.as_ref(), want) {
            (ColumnRef::Float(a), ColumnRef::Float(b)) => prop_assert_eq!(bits_of(a), bits_of(b)),
            (a, b) => prop_assert_eq!(format!("{a:?}"), format!("{b:?}")),
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_block(&bytes);
        let mut with_header = vec![1u8, bytes.first().copied().unwrap_or(1) % 6];
        with_header.extend_from_slice(&bytes);
        let _ = decode_block(&with_header);
    }

    #[test]
    fn damaged_blocks_are_errors_or_decode_without_panic(
        values in floats(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let ts: Vec<i64> = (0..values.len() as i64).map(|i| i * 10_000).collect();
        let mut block = encode_block(&ts, ColumnRef::Float(&values)).unwrap();
        for (at, x) in flips {
            let i = at.index(block.len());
            block[i] ^= x | 1;
        }
        let _ = decode_block(&block);
        let _ = decode_block(&block[..block.len() / 2]);
    }
}
