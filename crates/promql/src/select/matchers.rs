//! Label matchers as set algebra on one measurement's postings, never a scan of series keys.
//!
//! A matcher `M` that does not match the empty string selects the union of the postings of
//! the tag values it matches (a series without the tag has the value `""` and fails). One
//! that matches `""` selects every series except the union of the values it rejects (series
//! without the tag pass). `=` and `!=` go straight to one posting list.

use promql_parser::label::{MatchOp, Matcher};
use roaring::{MultiOps, RoaringBitmap};
use strata_engine::MeasurementIndex;

/// The series of the measurement satisfying every matcher (none on `__name__`).
pub fn match_postings(index: &MeasurementIndex, matchers: &[&Matcher]) -> RoaringBitmap {
    let mut result = index.series().clone();
    for m in matchers {
        if result.is_empty() {
            break;
        }
        apply(index, &mut result, m);
    }
    result
}

fn apply(index: &MeasurementIndex, result: &mut RoaringBitmap, m: &Matcher) {
    let key = m.name.as_str();
    match &m.op {
        MatchOp::Equal if !m.value.is_empty() => match index.postings(key, &m.value) {
            Some(b) => *result &= b,
            None => result.clear(),
        },
        MatchOp::NotEqual if !m.value.is_empty() => {
            if let Some(b) = index.postings(key, &m.value) {
                *result -= b;
            }
        }
        _ if m.is_match("") => {
            let rejected = index
                .tag_values(key)
                .filter(|(v, _)| !m.is_match(v))
                .map(|(_, b)| b)
                .union();
            *result -= rejected;
        }
        _ => {
            let accepted = index
                .tag_values(key)
                .filter(|(v, _)| m.is_match(v))
                .map(|(_, b)| b)
                .union();
            *result &= accepted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;
    use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

    fn re(p: &str) -> Regex {
        Regex::new(&format!("^(?:{p})$")).unwrap()
    }

    #[test]
    fn every_operator_with_and_without_the_tag() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
        // 0: job=a, 1: job=b, 2: no job.
        let tags = [vec![("job", "a")], vec![("job", "b")], vec![("x", "1")]];
        let points: Vec<Point> = tags
            .iter()
            .map(|t| Point {
                series: SeriesKey::new(
                    "m",
                    t.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                fields: vec![("value".into(), FieldValue::Float(1.0))],
                timestamp: 1,
            })
            .collect();
        engine.write(&points).unwrap();
        let cat = engine.catalog();
        let ids: Vec<u32> = points
            .iter()
            .map(|p| cat.lookup(&p.series.canonical()).unwrap())
            .collect();
        let run = |m: Matcher| -> Vec<usize> {
            let got = cat
                .with_measurement("m", |i| match_postings(i, &[&m]))
                .unwrap();
            (0..3).filter(|i| got.contains(ids[*i])).collect()
        };
        assert_eq!(run(Matcher::new(MatchOp::Equal, "job", "a")), vec![0]);
        assert_eq!(run(Matcher::new(MatchOp::Equal, "job", "")), vec![2]);
        assert_eq!(run(Matcher::new(MatchOp::NotEqual, "job", "a")), vec![1, 2]);
        assert_eq!(run(Matcher::new(MatchOp::NotEqual, "job", "")), vec![0, 1]);
        assert_eq!(
            run(Matcher::new(MatchOp::Re(re("a|b")), "job", "a|b")),
            vec![0, 1]
        );
        assert_eq!(
            run(Matcher::new(MatchOp::Re(re("a|")), "job", "a|")),
            vec![0, 2]
        );
        assert_eq!(
            run(Matcher::new(MatchOp::Re(re(".*")), "job", ".*")),
            vec![0, 1, 2]
        );
        assert_eq!(
            run(Matcher::new(MatchOp::Re(re(".+")), "job", ".+")),
            vec![0, 1]
        );
        assert_eq!(
            run(Matcher::new(MatchOp::NotRe(re("a")), "job", "a")),
            vec![1, 2]
        );
        assert_eq!(
            run(Matcher::new(MatchOp::NotRe(re(".*")), "job", ".*")),
            Vec::<usize>::new()
        );
        assert_eq!(
            run(Matcher::new(MatchOp::Equal, "nokey", "a")),
            Vec::<usize>::new()
        );
    }
}
