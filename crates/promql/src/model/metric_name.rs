//! Metric names. A measurement's numeric field is one metric: the field `value` (what remote
//! write stores) is the metric `<measurement>`, any other field `f` is `<measurement>_<f>`
//! (VictoriaMetrics' convention for line protocol). String fields are not metrics. Booleans
//! read as 0 and 1.
//!
//! Two sources can produce one name (measurement `a` field `b_c` and measurement `a_b` field
//! `c` are both `a_b_c`); both are selected, as two series sets.

use promql_parser::label::{MatchOp, Matcher};
use strata_engine::{Catalog, ValueType};

/// The field whose metric is the bare measurement name.
pub const VALUE_FIELD: &str = "value";

/// A numeric field of a measurement, with its metric name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricSource {
    pub name: String,
    pub measurement: String,
    pub field: String,
}

/// The metric name of `field` of `measurement`.
pub fn metric_name(measurement: &str, field: &str) -> String {
    if field == VALUE_FIELD {
        measurement.to_string()
    } else {
        format!("{measurement}_{field}")
    }
}

fn is_numeric(t: ValueType) -> bool {
    !matches!(t, ValueType::String)
}

/// Every metric whose name satisfies all `matchers` (matchers on `__name__`), sorted by
/// name. An equality matcher is resolved by splitting the name at each `_`, without listing
/// the catalog; otherwise every measurement's fields are named and matched.
pub fn resolve(catalog: &Catalog, matchers: &[&Matcher]) -> Vec<MetricSource> {
    let all = |s: &str| matchers.iter().all(|m| m.is_match(s));
    let mut out = Vec::new();
    if let Some(eq) = matchers.iter().find(|m| matches!(m.op, MatchOp::Equal)) {
        let name = eq.value.as_str();
        if !all(name) {
            return out;
        }
        let mut push = |measurement: &str, field: &str| {
            if catalog
                .field_type(measurement, field)
                .is_some_and(is_numeric)
            {
                out.push(MetricSource {
                    name: name.to_string(),
                    measurement: measurement.to_string(),
                    field: field.to_string(),
                });
            }
        };
        push(name, VALUE_FIELD);
        for (i, _) in name.match_indices('_') {
            let field = &name[i + 1..];
            if !field.is_empty() && field != VALUE_FIELD {
                push(&name[..i], field);
            }
        }
    } else {
        for measurement in catalog.measurements() {
            let fields: Vec<(String, ValueType)> = catalog
                .with_measurement(&measurement, |m| {
                    m.fields().iter().map(|(f, t)| (f.clone(), *t)).collect()
                })
                .unwrap_or_default();
            for (field, t) in fields {
                let name = metric_name(&measurement, &field);
                if is_numeric(t) && all(&name) {
                    out.push(MetricSource {
                        name,
                        measurement: measurement.clone(),
                        field,
                    });
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

    #[test]
    fn names_and_resolution() {
        assert_eq!(metric_name("up", "value"), "up");
        assert_eq!(metric_name("cpu", "usage_user"), "cpu_usage_user");
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
        let p = |m: &str, f: &str, v: FieldValue| Point {
            series: SeriesKey::new(m, vec![("host".into(), "a".into())]),
            fields: vec![(f.into(), v)],
            timestamp: 1,
        };
        engine
            .write(&[
                p("up", "value", FieldValue::Float(1.0)),
                p("cpu", "usage_user", FieldValue::Float(1.0)),
                p("cpu_usage", "user", FieldValue::Integer(1)),
                p("cpu", "note", FieldValue::String("x".into())),
            ])
            .unwrap();
        let cat = engine.catalog();
        let eq = Matcher::new(MatchOp::Equal, "__name__", "cpu_usage_user");
        let got: Vec<_> = resolve(cat, &[&eq])
            .into_iter()
            .map(|s| s.measurement)
            .collect();
        assert_eq!(got, vec!["cpu", "cpu_usage"]);
        let up = Matcher::new(MatchOp::Equal, "__name__", "up");
        assert_eq!(resolve(cat, &[&up]).len(), 1);
        let note = Matcher::new(MatchOp::Equal, "__name__", "cpu_note");
        assert!(resolve(cat, &[&note]).is_empty());
        let re = Matcher::new(
            MatchOp::Re(regex::Regex::new("^(?:cpu.*)$").unwrap()),
            "__name__",
            "cpu.*",
        );
        let names: Vec<_> = resolve(cat, &[&re]).into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["cpu_usage_user", "cpu_usage_user"]);
    }
}
