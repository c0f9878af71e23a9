//! Query planning from the catalog: which fields to read (and their types), and which output
//! series to build from the matching series ids (one per series, or one per `group_by`
//! group), in tag order.
//!
//! Fields: the requested names that the measurement has (an unknown name is simply absent
//! from the result, as a field with no data would be), or every field of the measurement.
//! With a numeric-only aggregate (`sum`, `mean`, `min`, `max`, `stddev`, `quantile`), a
//! non-numeric field named in `fields` is a bad request naming it; with the default (all
//! fields) non-numeric fields are skipped.

use std::collections::{BTreeMap, BTreeSet};

use roaring::RoaringBitmap;
use strata_engine::{CanonicalTags, split_canonical};
use strata_engine::{Catalog, SeriesId, ValueType};

use crate::aggregate::supports;
use crate::error::QueryError;
use crate::request::QueryRequest;

/// A field to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPlan {
    pub name: String,
    pub ty: ValueType,
}

/// One output series: its tags and the stored series it is built from (in tag order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputPlan {
    pub tags: Vec<(String, String)>,
    pub series: Vec<SeriesId>,
}

/// The fields to read, sorted by name.
pub(crate) fn plan_fields(
    catalog: &Catalog,
    req: &QueryRequest,
) -> Result<Vec<FieldPlan>, QueryError> {
    let known: BTreeMap<String, ValueType> = catalog
        .with_measurement(&req.measurement, |m| m.fields().clone())
        .unwrap_or_default();
    let function = req.aggregate.as_ref().map(|a| a.function);
    let Some(names) = &req.fields else {
        return Ok(known
            .into_iter()
            .filter(|(_, ty)| function.is_none_or(|f| supports(f, *ty)))
            .map(|(name, ty)| FieldPlan { name, ty })
            .collect());
    };
    let mut out = Vec::new();
    for name in names.iter().collect::<BTreeSet<_>>() {
        let Some(&ty) = known.get(name) else { continue };
        if let Some(f) = function
            && !supports(f, ty)
        {
            return Err(QueryError::bad(format!(
                "aggregate {} needs a numeric field; field {name:?} is {}",
                f.name(),
                ty.name()
            )));
        }
        out.push(FieldPlan {
            name: name.clone(),
            ty,
        });
    }
    Ok(out)
}

/// The output series, ordered by their tags (the sorted (key, value) lists compared
/// lexicographically). Without `group_by` each series is its own output; with it, series
/// sharing the values of the listed keys form one output whose tags are those keys (a series
/// without a key groups under the key's absence; `[]` makes a single group).
///
/// The series' canonical keys are fetched under one catalog lock and split into tags that
/// borrow from them (no string is copied until the output tags are built).
pub(crate) fn plan_outputs(
    catalog: &Catalog,
    ids: &RoaringBitmap,
    group_by: Option<&[String]>,
) -> Vec<OutputPlan> {
    let canonicals = catalog.canonicals(ids.iter());
    let mut keyed: Vec<(Tags<'_>, SeriesId)> = canonicals
        .iter()
        .filter_map(|(id, canonical)| Some((sorted_tags(canonical)?, *id)))
        .collect();
    keyed.sort_unstable();
    let Some(keys) = group_by else {
        return keyed
            .into_iter()
            .map(|(tags, id)| OutputPlan {
                tags: owned(tags),
                series: vec![id],
            })
            .collect();
    };
    let keys: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    let mut groups: BTreeMap<Tags<'_>, Vec<SeriesId>> = BTreeMap::new();
    for (tags, id) in keyed {
        // Series tags are sorted by key, so the group's tags are too.
        let group: Tags<'_> = tags
            .into_iter()
            .filter(|(k, _)| keys.contains(k.as_ref()))
            .collect();
        groups.entry(group).or_default().push(id);
    }
    groups
        .into_iter()
        .map(|(tags, series)| OutputPlan {
            tags: owned(tags),
            series,
        })
        .collect()
}

/// Tags borrowed from a canonical key (owned only where the key has escapes).
type Tags<'a> = CanonicalTags<'a>;

/// The tags of a canonical key, sorted by key (as keys the engine writes already are).
fn sorted_tags(canonical: &str) -> Option<Tags<'_>> {
    let (_, mut tags) = split_canonical(canonical)?;
    if !tags.is_sorted_by(|a, b| a.0 <= b.0) {
        tags.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Some(tags)
}

fn owned(tags: Tags<'_>) -> Vec<(String, String)> {
    tags.into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

    use super::*;
    use crate::request::{AggFunction, Aggregate};

    fn engine(dir: &std::path::Path) -> Engine {
        let engine = Engine::open(EngineOptions::manual(dir)).unwrap();
        let point = |tags: &[(&str, &str)], fields: Vec<(&str, FieldValue)>| Point {
            series: SeriesKey::new(
                "m",
                tags.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            timestamp: 0,
        };
        engine
            .write(&[
                point(
                    &[("h", "b"), ("r", "x")],
                    vec![("v", FieldValue::Float(1.0))],
                ),
                point(
                    &[("h", "a"), ("r", "y")],
                    vec![("s", FieldValue::String("t".into()))],
                ),
                point(
                    &[("h", "a"), ("r", "x")],
                    vec![("i", FieldValue::Integer(1))],
                ),
                point(&[("r", "x")], vec![("v", FieldValue::Float(1.0))]),
            ])
            .unwrap();
        engine
    }

    fn req(fields: Option<&[&str]>, function: Option<AggFunction>) -> QueryRequest {
        let mut r = QueryRequest::from_json(br#"{"measurement":"m","start":0,"end":1}"#).unwrap();
        r.fields = fields.map(|f| f.iter().map(|s| s.to_string()).collect());
        r.aggregate = function.map(|function| Aggregate {
            function,
            every: None,
            q: None,
        });
        r
    }

    fn names(p: Vec<FieldPlan>) -> Vec<String> {
        p.into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn fields() {
        let dir = tempfile::tempdir().unwrap();
        let c = engine(dir.path());
        let c = c.catalog();
        assert_eq!(
            names(plan_fields(c, &req(None, None)).unwrap()),
            ["i", "s", "v"]
        );
        assert_eq!(
            names(plan_fields(c, &req(None, Some(AggFunction::Mean))).unwrap()),
            ["i", "v"]
        );
        assert_eq!(
            names(plan_fields(c, &req(None, Some(AggFunction::Last))).unwrap()),
            ["i", "s", "v"]
        );
        assert_eq!(
            names(plan_fields(c, &req(Some(&["v", "zz", "v"]), None)).unwrap()),
            ["v"]
        );
        let e = plan_fields(c, &req(Some(&["s"]), Some(AggFunction::Sum))).unwrap_err();
        assert!(e.to_string().contains("\"s\" is string"), "{e}");
        let mut other = req(None, None);
        other.measurement = "nope".into();
        assert!(plan_fields(c, &other).unwrap().is_empty());
    }

    #[test]
    fn outputs_in_tag_order_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let c = e.catalog();
        let ids = crate::match_series(c, "m", &Default::default()).unwrap();
        let tags = |o: &[OutputPlan]| -> Vec<String> {
            o.iter()
                .map(|p| {
                    p.tags
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect()
        };
        let all = plan_outputs(c, &ids, None);
        assert_eq!(tags(&all), ["h=a,r=x", "h=a,r=y", "h=b,r=x", "r=x"]);
        let by_h = plan_outputs(c, &ids, Some(&["h".to_string()]));
        assert_eq!(tags(&by_h), ["", "h=a", "h=b"]);
        assert_eq!(by_h[1].series, vec![all[0].series[0], all[1].series[0]]);
        let one = plan_outputs(c, &ids, Some(&[]));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].series.len(), 4);
        assert_eq!(
            tags(&plan_outputs(
                c,
                &ids,
                Some(&["r".to_string(), "zz".to_string()])
            )),
            ["r=x", "r=y"]
        );
    }
}
