//! Property test: a generated `WriteRequest`, encoded with prost and snappy,
//! decodes and converts to the expected points.

use std::collections::BTreeMap;

use proptest::prelude::*;
use prost::Message as _;
use strata_protocol::FieldValue;
use strata_protocol::remote_write::{
    self, Label, NAME_LABEL, Sample, TimeSeries, VALUE_FIELD, WriteRequest,
};

fn series() -> impl Strategy<Value = TimeSeries> {
    let ms = i64::MIN / 1_000_000..=i64::MAX / 1_000_000;
    (
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        prop::collection::btree_map(
            "[a-zA-Z_][a-zA-Z0-9_]{0,8}".prop_filter("not __name__", |s| s != NAME_LABEL),
            any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
            0..5,
        ),
        // proto3 does not encode a default (0.0) double, so -0.0 comes back
        // as 0.0: generate +0.0 only. NaN and infinities stay.
        prop::collection::vec(
            (
                any::<f64>().prop_map(|v| if v == 0.0 { 0.0 } else { v }),
                ms,
            ),
            0..6,
        ),
    )
        .prop_map(
            |(name, labels, samples): (String, BTreeMap<String, String>, _)| {
                let mut all = vec![Label {
                    name: NAME_LABEL.into(),
                    value: name,
                }];
                all.extend(
                    labels
                        .into_iter()
                        .map(|(name, value)| Label { name, value }),
                );
                TimeSeries {
                    labels: all,
                    samples: samples
                        .into_iter()
                        .map(|(value, timestamp)| Sample { value, timestamp })
                        .collect(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_decode_convert(timeseries in prop::collection::vec(series(), 0..6)) {
        let request = WriteRequest { timeseries, metadata: vec![] };
        let body = remote_write::encode(&request).unwrap();
        let decoded = remote_write::decode(&body, request.encoded_len()).unwrap();
        // NaN != NaN, so compare the encodings.
        prop_assert_eq!(decoded.encode_to_vec(), request.encode_to_vec());

        let batch = remote_write::to_points(&decoded).unwrap();
        let mut points = batch.iter();
        for ts in &request.timeseries {
            for sample in &ts.samples {
                let p = points.next().unwrap();
                prop_assert_eq!(p.measurement(), ts.labels[0].value.as_str());
                let tags: Vec<(&str, &str)> =
                    p.tags().iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
                let want: Vec<(&str, &str)> = ts.labels[1..]
                    .iter()
                    .map(|l| (l.name.as_str(), l.value.as_str()))
                    .collect();
                prop_assert_eq!(tags, want);
                prop_assert_eq!(p.fields().len(), 1);
                prop_assert_eq!(p.fields()[0].0.as_ref(), VALUE_FIELD);
                match p.fields()[0].1 {
                    FieldValue::Float(v) => prop_assert_eq!(v.to_bits(), sample.value.to_bits()),
                    ref other => prop_assert!(false, "{other:?}"),
                }
                prop_assert_eq!(p.timestamp(), Some(sample.timestamp * 1_000_000));
            }
        }
        prop_assert!(points.next().is_none());
    }
}
