//! Tests of remote-write decoding and conversion, including every error class.

use super::*;
use crate::error::ProtocolError as E;

const LIMIT: usize = 1 << 20;

fn label(name: &str, value: &str) -> Label {
    Label {
        name: name.into(),
        value: value.into(),
    }
}

fn series(labels: &[(&str, &str)], samples: &[(f64, i64)]) -> TimeSeries {
    TimeSeries {
        labels: labels.iter().map(|&(n, v)| label(n, v)).collect(),
        samples: samples
            .iter()
            .map(|&(value, timestamp)| Sample { value, timestamp })
            .collect(),
    }
}

fn request(timeseries: Vec<TimeSeries>) -> WriteRequest {
    WriteRequest {
        timeseries,
        metadata: vec![],
    }
}

#[test]
fn decodes_and_converts() {
    let req = WriteRequest {
        timeseries: vec![
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("instance", "a:9090"),
                ],
                &[(1.0, 1_700_000_000_000), (2.5, 1_700_000_015_000)],
            ),
            series(&[("job", "db"), ("__name__", "up")], &[(f64::NAN, -1)]),
        ],
        metadata: vec![MetricMetadata {
            r#type: MetricType::Counter as i32,
            metric_family_name: "http_requests_total".into(),
            help: "Requests.".into(),
            unit: String::new(),
        }],
    };
    let body = encode(&req).unwrap();
    let decoded = decode(&body, LIMIT).unwrap();
    assert_eq!(decoded.timeseries.len(), 2);
    assert_eq!(decoded.metadata, req.metadata);
    let batch = to_points(&decoded).unwrap();
    assert_eq!(batch.len(), 3);

    let p = batch.get(0).unwrap();
    assert_eq!(p.measurement(), "http_requests_total");
    assert_eq!(p.tags().len(), 2);
    assert_eq!(p.tag("job"), Some("api"));
    assert_eq!(p.tag("instance"), Some("a:9090"));
    assert_eq!(p.tag(NAME_LABEL), None);
    assert_eq!(p.fields(), &[(VALUE_FIELD.into(), FieldValue::Float(1.0))]);
    assert_eq!(p.timestamp(), Some(1_700_000_000_000_000_000));
    assert_eq!(
        batch.get(1).unwrap().timestamp(),
        Some(1_700_000_015_000_000_000)
    );

    let p = batch.get(2).unwrap();
    assert_eq!(p.measurement(), "up");
    assert_eq!(p.tag("job"), Some("db"));
    assert_eq!(p.timestamp(), Some(-1_000_000));
    match p.field(VALUE_FIELD) {
        Some(FieldValue::Float(v)) => assert!(v.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn points_borrow_from_the_request() {
    let req = request(vec![series(&[("__name__", "m"), ("a", "b")], &[(1.0, 1)])]);
    let batch = to_points(&req).unwrap();
    let p = batch.get(0).unwrap();
    assert!(matches!(p.measurement_cow(), Cow::Borrowed(_)));
    assert!(matches!(p.tags()[0], (Cow::Borrowed(_), Cow::Borrowed(_))));
}

#[test]
fn empty_request_and_series_without_samples() {
    assert!(to_points(&request(vec![])).unwrap().is_empty());
    let no_samples = request(vec![series(&[("__name__", "m")], &[])]);
    assert!(to_points(&no_samples).unwrap().is_empty());
    // An empty body has no snappy length header.
    assert!(matches!(
        decode(&[], LIMIT),
        Err(E::RemoteWriteSnappy { .. })
    ));
    // A zero-length payload decodes to an empty request.
    let body = snap::raw::Encoder::new().compress_vec(&[]).unwrap();
    assert_eq!(decode(&body, LIMIT).unwrap(), request(vec![]));
}

#[test]
fn empty_label_values_are_dropped() {
    let req = request(vec![series(
        &[("__name__", "m"), ("a", ""), ("b", "x")],
        &[(1.0, 1)],
    )]);
    let batch = to_points(&req).unwrap();
    let p = batch.get(0).unwrap();
    assert_eq!(p.tags().len(), 1);
    assert_eq!(p.tag("b"), Some("x"));
}

#[test]
fn too_large_is_refused_before_allocating() {
    let req = request(vec![series(&[("__name__", "m")], &[(1.0, 1); 100])]);
    let body = encode(&req).unwrap();
    let size = req.encode_to_vec().len();
    assert!(decode(&body, size).is_ok());
    assert_eq!(
        decode(&body, size - 1).unwrap_err(),
        E::RemoteWriteTooLarge {
            length: size,
            limit: size - 1
        }
    );
    // A forged header announcing ~4 GiB with no data behind it.
    let forged = [0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(matches!(
        decode(&forged, LIMIT),
        Err(E::RemoteWriteTooLarge { limit: LIMIT, .. })
    ));
    let e = decode(&forged, LIMIT).unwrap_err();
    assert!(e.to_string().contains("over the 1048576-byte limit"), "{e}");
}

#[test]
fn invalid_snappy() {
    // Valid header (10 bytes), truncated data.
    let e = decode(&[10, 0x00], LIMIT).unwrap_err();
    assert!(matches!(e, E::RemoteWriteSnappy { .. }), "{e}");
    // Uncompressed protobuf sent without snappy.
    let raw = request(vec![series(&[("__name__", "m")], &[(1.0, 1)])]).encode_to_vec();
    assert!(decode(&raw, LIMIT).is_err());
}

#[test]
fn invalid_protobuf() {
    let garbage = [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01];
    let body = snap::raw::Encoder::new().compress_vec(&garbage).unwrap();
    let e = decode(&body, LIMIT).unwrap_err();
    assert!(matches!(e, E::RemoteWriteProtobuf { .. }), "{e}");
    assert!(
        e.to_string().contains("not a valid protobuf WriteRequest"),
        "{e}"
    );
}

#[test]
fn unknown_protobuf_fields_are_skipped() {
    // TimeSeries field 3 (exemplars) and 4 (histograms) from newer senders.
    let mut raw = request(vec![series(&[("__name__", "m")], &[(1.0, 1)])]).encode_to_vec();
    raw.extend_from_slice(&[0x12, 0x00]); // field 2 (reserved), empty bytes
    let body = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
    let req = decode(&body, LIMIT).unwrap();
    assert_eq!(to_points(&req).unwrap().len(), 1);
}

#[test]
fn missing_name() {
    for labels in [
        &[("job", "a")][..],
        &[("__name__", ""), ("job", "a")][..],
        &[][..],
    ] {
        let req = request(vec![
            series(&[("__name__", "ok")], &[(1.0, 1)]),
            series(labels, &[(1.0, 1)]),
        ]);
        assert_eq!(
            to_points(&req).unwrap_err(),
            E::RemoteWriteMissingName { series: 1 }
        );
    }
}

#[test]
fn empty_label_name() {
    let req = request(vec![series(&[("__name__", "m"), ("", "x")], &[(1.0, 1)])]);
    assert_eq!(
        to_points(&req).unwrap_err(),
        E::RemoteWriteEmptyLabelName { series: 0 }
    );
}

#[test]
fn duplicate_label() {
    let req = request(vec![series(
        &[("__name__", "m"), ("a", "1"), ("a", "2")],
        &[(1.0, 1)],
    )]);
    assert_eq!(
        to_points(&req).unwrap_err(),
        E::RemoteWriteDuplicateLabel {
            series: 0,
            label: "a".into()
        }
    );
    let req = request(vec![series(
        &[("__name__", "m"), ("__name__", "n")],
        &[(1.0, 1)],
    )]);
    assert!(matches!(
        to_points(&req).unwrap_err(),
        E::RemoteWriteDuplicateLabel { .. }
    ));
}

#[test]
fn timestamp_overflow() {
    let req = request(vec![series(
        &[("__name__", "m")],
        &[(1.0, 1), (2.0, i64::MAX / 1_000_000 + 1)],
    )]);
    assert_eq!(
        to_points(&req).unwrap_err(),
        E::RemoteWriteTimestampOverflow {
            series: 0,
            sample: 1,
            timestamp: i64::MAX / 1_000_000 + 1
        }
    );
}

#[test]
fn to_points_into_rolls_back() {
    let good = request(vec![series(&[("__name__", "m")], &[(1.0, 1)])]);
    let bad = request(vec![
        series(&[("__name__", "m")], &[(1.0, 1)]),
        series(&[("job", "x")], &[(1.0, 1)]),
    ]);
    let mut batch = PointBatch::new();
    to_points_into(&good, &mut batch).unwrap();
    let before = batch.clone();
    assert!(to_points_into(&bad, &mut batch).is_err());
    assert_eq!(batch, before);
}

#[test]
fn compress_is_the_inverse_of_decompress() {
    let raw = b"any bytes at all \x00\xff".repeat(50);
    let body = compress(&raw).unwrap();
    assert!(body.len() < raw.len());
    assert_eq!(decompress(&body, raw.len()).unwrap(), raw);
}

/// The borrowing parser gives the points prost's decoding does, for every request these
/// tests build, and the same errors for the bad ones.
#[test]
fn parse_into_agrees_with_the_prost_decoder() {
    let requests = vec![
        request(vec![
            series(
                &[("__name__", "up"), ("job", "api"), ("empty", "")],
                &[(1.0, 1000), (f64::NAN, 2000)],
            ),
            series(&[("__name__", "load"), ("host", "h\u{e9}")], &[(-2.5, -7)]),
            series(&[("__name__", "none")], &[]),
        ]),
        request(vec![series(&[("job", "x")], &[(1.0, 1)])]),
        request(vec![series(&[("__name__", "a"), ("", "v")], &[(1.0, 1)])]),
        request(vec![series(
            &[("__name__", "a"), ("k", "1"), ("k", "2")],
            &[(1.0, 1)],
        )]),
        request(vec![series(&[("__name__", "a")], &[(1.0, i64::MAX)])]),
        WriteRequest {
            timeseries: vec![series(&[("__name__", "m")], &[(3.0, 5)])],
            metadata: vec![MetricMetadata {
                r#type: MetricType::Gauge as i32,
                metric_family_name: "m".into(),
                help: "help".into(),
                unit: "".into(),
            }],
        },
    ];
    for req in requests {
        let raw = req.encode_to_vec();
        let by_prost = to_points(&req);
        let mut borrowed = PointBatch::new();
        let parsed = parse_into(&raw, &mut borrowed).map(|()| borrowed);
        match (by_prost, parsed) {
            // Compared as text: NaN samples are equal bit for bit, not by `==`.
            (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{req:?}"),
            (Err(a), Err(b)) => assert_eq!(a, b, "{req:?}"),
            (a, b) => panic!("{req:?}: prost {a:?}, parse_into {b:?}"),
        }
    }
    // Hand-built bytes prost never writes but accepts: a sample's timestamp before its
    // value, a sample without a timestamp, an unknown field in a sample, a label of over 127
    // bytes and labels interleaved with samples (both off the walker's fast paths).
    fn field(key: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![key];
        prost::encoding::encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }
    let label = |k: &str, v: &str| {
        field(
            0x0a,
            &[field(0x0a, k.as_bytes()), field(0x12, v.as_bytes())].concat(),
        )
    };
    let value = |v: f64| [&[0x09][..], &v.to_bits().to_le_bytes()].concat();
    let long = "x".repeat(200);
    let ts = [
        label("__name__", "m"),
        field(0x12, &[&[0x10, 0x05][..], &value(2.0)].concat()),
        label("long", &long),
        field(0x12, &value(3.0)),
        field(0x12, &[value(4.0), vec![0x10, 0x07, 0x18, 0x01]].concat()),
        label("z", "last"),
    ]
    .concat();
    let raw = field(0x0a, &ts);
    let decoded = WriteRequest::decode(raw.as_slice()).unwrap();
    let by_prost = to_points(&decoded).unwrap();
    let mut borrowed = PointBatch::new();
    parse_into(&raw, &mut borrowed).unwrap();
    assert_eq!(format!("{by_prost:?}"), format!("{borrowed:?}"));
    assert_eq!(borrowed.len(), 3);

    // Damaged bytes are errors (never panics), and leave the batch as it was.
    let raw = request(vec![series(&[("__name__", "up")], &[(1.0, 1)])]).encode_to_vec();
    for cut in 1..raw.len() {
        let mut b = PointBatch::new();
        if parse_into(&raw[..cut], &mut b).is_err() {
            assert!(b.is_empty());
        }
    }
    let mut b = PointBatch::new();
    assert!(parse_into(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], &mut b).is_err());
    assert!(parse_into(&[0x0b], &mut b).is_err(), "wire type 3 (groups)");
}
