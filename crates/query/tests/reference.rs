//! Reference test of `execute`: random small data sets (a few series with two optional tags,
//! float, integer and string fields, timestamps out of order and duplicated, overwrites,
//! deletes) are written through a real engine with random flushes and compactions, and random
//! queries (every filter kind, field lists, every aggregate with random windows, group by,
//! limit, order, precision, result cap) must give what a naive implementation over a
//! `BTreeMap` model gives.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use regex::Regex;
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey, SyncPolicy};
use strata_query::{
    AggFunction, Aggregate, FieldOut, Filter, Format, Order, QueryError, QueryOptions,
    QueryRequest, SeriesResult, execute, match_series,
};

/// The series the test may write: (measurement, tags).
const UNIVERSE: &[(&str, &[(&str, &str)])] = &[
    ("m", &[("host", "a"), ("region", "x")]),
    ("m", &[("host", "b"), ("region", "x")]),
    ("m", &[("host", "a"), ("region", "y")]),
    ("m", &[("host", "c")]),
    ("m", &[("region", "y")]),
    ("o", &[("host", "a"), ("region", "x")]),
];

const TAG_KEYS: &[&str] = &["host", "region", "zone"];
const TAG_VALUES: &[&str] = &["a", "b", "c", "x", "y", "nope"];
const REGEXES: &[&str] = &[
    "^a$", "a|b", "^[ab]", "x", ".*", "^$", "c$", "[xy]", "^(a|y)$",
];
const FIELDS: &[&str] = &["f", "g", "i", "s", "zz"];

fn key(s: usize) -> SeriesKey {
    let (m, tags) = UNIVERSE[s];
    SeriesKey::new(
        m,
        tags.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn tag(s: usize, k: &str) -> Option<&'static str> {
    UNIVERSE[s]
        .1
        .iter()
        .find(|(tk, _)| *tk == k)
        .map(|(_, v)| *v)
}

// ---------------------------------------------------------------------------------------
// Data and operations

#[derive(Debug, Clone, PartialEq)]
enum Val {
    F(f64),
    I(i64),
    S(String),
}

impl Val {
    fn field_value(&self) -> FieldValue {
        match self {
            Val::F(v) => FieldValue::Float(*v),
            Val::I(v) => FieldValue::Integer(*v),
            Val::S(v) => FieldValue::String(v.clone()),
        }
    }

    fn out(&self) -> FieldOut {
        match self {
            Val::F(v) => FieldOut::Float(*v),
            Val::I(v) => FieldOut::Integer(*v),
            Val::S(v) => FieldOut::String(v.clone()),
        }
    }

    fn f64(&self) -> f64 {
        match self {
            Val::F(v) => *v,
            Val::I(v) => *v as f64,
            Val::S(_) => f64::NAN,
        }
    }

    fn numeric(&self) -> bool {
        !matches!(self, Val::S(_))
    }
}

#[derive(Debug, Clone)]
struct WritePoint {
    series: usize,
    ts: i64,
    fields: Vec<(&'static str, Val)>,
}

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<WritePoint>),
    Delete(BTreeMap<String, Filter>, i64, i64),
    Flush,
    Compact,
}

fn timestamp() -> impl Strategy<Value = i64> {
    // A coarse grid makes duplicates (overwrites) frequent.
    prop_oneof![
        -3000i64..3000,
        (-30i64..30).prop_map(|x| x * 100),
        (-3i64..3).prop_map(|x| x * 1000 + 7)
    ]
}

fn write_point() -> impl Strategy<Value = WritePoint> {
    (
        0..UNIVERSE.len(),
        timestamp(),
        prop::option::of(-400i32..400),
        prop::option::weighted(0.5, -400i32..400),
        prop::option::weighted(0.4, -1000i64..1000),
        prop::option::weighted(0.1, 0u8..3),
    )
        .prop_map(|(series, ts, f, g, i, s)| {
            // Quarter integers: sums are exact in any order.
            let mut fields = Vec::new();
            if let Some(f) = f {
                fields.push(("f", Val::F(f64::from(f) / 4.0)));
            }
            if let Some(g) = g {
                fields.push(("g", Val::F(f64::from(g) / 4.0)));
            }
            if let Some(i) = i {
                fields.push(("i", Val::I(i)));
            }
            if let Some(s) = s {
                fields.push(("s", Val::S(["p", "q", "r"][usize::from(s)].to_string())));
            }
            if fields.is_empty() {
                fields.push(("f", Val::F(0.5)));
            }
            WritePoint { series, ts, fields }
        })
}

fn filter() -> impl Strategy<Value = Filter> {
    let value = || prop::sample::select(TAG_VALUES).prop_map(str::to_string);
    prop_oneof![
        value().prop_map(Filter::Eq),
        value().prop_map(Filter::Ne),
        prop::collection::vec(value(), 0..3).prop_map(Filter::In),
        prop::sample::select(REGEXES).prop_map(|r| Filter::Regex(r.to_string())),
        any::<bool>().prop_map(Filter::Exists),
    ]
}

fn filters() -> impl Strategy<Value = BTreeMap<String, Filter>> {
    prop::collection::btree_map(
        prop::sample::select(TAG_KEYS).prop_map(str::to_string),
        filter(),
        0..3,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => prop::collection::vec(write_point(), 1..25).prop_map(Op::Write),
        1 => (filters(), -3000i64..3000, 1i64..2000).prop_map(|(f, s, len)| Op::Delete(f, s, s + len)),
        2 => Just(Op::Flush),
        1 => Just(Op::Compact),
    ]
}

// ---------------------------------------------------------------------------------------
// Queries

#[derive(Debug, Clone)]
struct Query {
    req: QueryRequest,
    precision_ns: i64,
    cap: Cap,
}

/// The result cap, chosen relative to the reference result's size `n` so that the edges
/// (exactly at the cap, one over) are hit often.
#[derive(Debug, Clone, Copy)]
enum Cap {
    Large,
    Exact,
    OneUnder,
    Fixed(usize),
}

impl Cap {
    fn max_points(self, n: usize) -> usize {
        match self {
            Cap::Large => 1_000_000,
            Cap::Exact => n,
            Cap::OneUnder => n.saturating_sub(1),
            Cap::Fixed(m) => m,
        }
    }
}

fn function() -> impl Strategy<Value = AggFunction> {
    prop::sample::select(vec![
        AggFunction::Count,
        AggFunction::Sum,
        AggFunction::Mean,
        AggFunction::Min,
        AggFunction::Max,
        AggFunction::First,
        AggFunction::Last,
        AggFunction::Stddev,
        AggFunction::Quantile,
    ])
}

fn query() -> impl Strategy<Value = Query> {
    let fields = prop::option::of(prop::collection::btree_set(
        prop::sample::select(FIELDS),
        1..3,
    ));
    let aggregate = prop::option::weighted(
        0.6,
        (
            function(),
            prop::option::of(1i64..1500),
            prop::sample::select(vec![0.0, 0.25, 0.5, 0.9, 1.0]),
        ),
    );
    let group_by = prop::option::of(prop::collection::btree_set(
        prop::sample::select(TAG_KEYS),
        0..3,
    ));
    (
        (prop::sample::select(vec!["m", "m", "m", "o", "none"]), prop::sample::select(vec![1i64, 10, 1000])),
        (-3500i64..3500, 1i64..7000),
        filters(),
        fields,
        aggregate,
        group_by,
        prop::option::weighted(0.3, 1usize..6),
        any::<bool>(),
        prop_oneof![5 => Just(Cap::Large), 1 => Just(Cap::Exact), 1 => Just(Cap::OneUnder), 1 => (0usize..40).prop_map(Cap::Fixed)],
    )
        .prop_map(|((measurement, p), (start_ns, len_ns), filters, fields, aggregate, group_by, limit, desc, cap)| {
            let start = start_ns.div_euclid(p);
            let end = start + (len_ns / p).max(1);
            let aggregate = aggregate.map(|(function, every_ns, q)| Aggregate {
                function,
                every: every_ns.map(|e| (e / p).max(1)),
                q: (function == AggFunction::Quantile).then_some(q),
            });
            let group_by = if aggregate.is_some() {
                group_by.map(|g| g.into_iter().map(str::to_string).collect())
            } else {
                None
            };
            Query {
                req: QueryRequest {
                    measurement: measurement.to_string(),
                    start,
                    end,
                    filters,
                    fields: fields.map(|f| f.into_iter().map(str::to_string).collect()),
                    value_filters: Vec::new(),
                    fill: None,
                    derive: None,
                    aggregate,
                    group_by,
                    limit,
                    order: if desc { Order::Desc } else { Order::Asc },
                    format: Format::Points,
                },
                precision_ns: p,
                cap,
            }
        })
}

// ---------------------------------------------------------------------------------------
// The model and the naive reference

#[derive(Debug, Default)]
struct Model {
    /// (series, field) -> ts -> value.
    points: BTreeMap<(usize, &'static str), BTreeMap<i64, Val>>,
    /// measurement -> field -> is numeric (every field ever written, like the catalog).
    fields: BTreeMap<&'static str, BTreeMap<&'static str, bool>>,
}

impl Model {
    fn write(&mut self, batch: &[WritePoint]) {
        for p in batch {
            for (name, v) in &p.fields {
                self.points
                    .entry((p.series, name))
                    .or_default()
                    .insert(p.ts, v.clone());
                self.fields
                    .entry(UNIVERSE[p.series].0)
                    .or_default()
                    .insert(name, v.numeric());
            }
        }
    }

    fn delete(&mut self, series: &BTreeSet<usize>, start: i64, end: i64) {
        for ((s, _), col) in self.points.iter_mut() {
            if series.contains(s) {
                col.retain(|t, _| !(start..end).contains(t));
            }
        }
    }
}

fn filter_matches(s: usize, filters: &BTreeMap<String, Filter>) -> bool {
    filters.iter().all(|(k, f)| {
        let t = tag(s, k);
        match f {
            Filter::Eq(v) => t == Some(v.as_str()),
            Filter::Ne(v) => t != Some(v.as_str()),
            Filter::In(list) => t.is_some_and(|t| list.iter().any(|v| v == t)),
            Filter::Regex(r) => t.is_some_and(|t| Regex::new(r).unwrap().is_match(t)),
            Filter::Exists(want) => t.is_some() == *want,
        }
    })
}

fn matching(measurement: &str, filters: &BTreeMap<String, Filter>) -> Vec<usize> {
    (0..UNIVERSE.len())
        .filter(|&s| UNIVERSE[s].0 == measurement && filter_matches(s, filters))
        .collect()
}

#[derive(Debug)]
enum Expected {
    Ok(Vec<SeriesResult>),
    BadRequest,
    TooLarge,
}

impl Expected {
    /// Applies a result cap of `max` points.
    fn capped(self, max: usize) -> Expected {
        match self {
            Expected::Ok(s) if s.iter().map(|s| s.timestamps.len()).sum::<usize>() > max => {
                Expected::TooLarge
            }
            other => other,
        }
    }

    fn points(&self) -> usize {
        match self {
            Expected::Ok(s) => s.iter().map(|s| s.timestamps.len()).sum(),
            _ => 0,
        }
    }
}

type Tags = Vec<(String, String)>;

fn tags_of(s: usize) -> Tags {
    key(s).tags().to_vec()
}

fn rows_selected<T: Clone>(rows: &[T], limit: Option<usize>, order: Order) -> Vec<T> {
    let mut rows = rows.to_vec();
    if order == Order::Desc {
        rows.reverse();
    }
    rows.truncate(limit.unwrap_or(usize::MAX));
    rows
}

fn aggregate_values(
    function: AggFunction,
    q: f64,
    points: &[(i64, usize, Val)],
) -> Option<FieldOut> {
    let n = points.len();
    let nums: Vec<f64> = points.iter().map(|(_, _, v)| v.f64()).collect();
    let ints = matches!(points.first(), Some((_, _, Val::I(_))));
    Some(match function {
        AggFunction::Count => FieldOut::Integer(n as i64),
        AggFunction::Sum if ints => {
            let s: i128 = points
                .iter()
                .map(|(_, _, v)| if let Val::I(x) = v { i128::from(*x) } else { 0 })
                .sum();
            FieldOut::Integer(i64::try_from(s).unwrap())
        }
        AggFunction::Sum => FieldOut::Float(nums.iter().sum()),
        AggFunction::Mean => FieldOut::Float(nums.iter().sum::<f64>() / n as f64),
        AggFunction::Min | AggFunction::Max => {
            let pick = points.iter().map(|(_, _, v)| v.clone()).reduce(|a, b| {
                let b_wins = if function == AggFunction::Min {
                    b.f64() < a.f64()
                } else {
                    b.f64() > a.f64()
                };
                if b_wins { b } else { a }
            })?;
            pick.out()
        }
        AggFunction::First => points.first()?.2.out(),
        AggFunction::Last => points.last()?.2.out(),
        AggFunction::Stddev => {
            if n < 2 {
                return None;
            }
            let mean = nums.iter().sum::<f64>() / n as f64;
            let ss: f64 = nums.iter().map(|x| (x - mean) * (x - mean)).sum();
            FieldOut::Float((ss / (n - 1) as f64).sqrt())
        }
        AggFunction::Quantile => {
            let mut sorted = nums.clone();
            sorted.sort_by(f64::total_cmp);
            let h = q * (n - 1) as f64;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            FieldOut::Float(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
        }
    })
}

fn reference(model: &Model, q: &Query) -> Expected {
    let req = &q.req;
    let p = q.precision_ns;
    let (start_ns, end_ns) = (req.start * p, req.end * p);
    let function = req.aggregate.as_ref().map(|a| a.function);
    let numeric_only = function.is_some_and(|f| {
        !matches!(
            f,
            AggFunction::Count | AggFunction::First | AggFunction::Last
        )
    });
    let empty = BTreeMap::new();
    let known = model.fields.get(req.measurement.as_str()).unwrap_or(&empty);
    let fields: Vec<&'static str> = match &req.fields {
        Some(names) => {
            let mut out = Vec::new();
            for (name, &numeric) in known {
                if names.iter().any(|n| n == name) {
                    if numeric_only && !numeric {
                        return Expected::BadRequest;
                    }
                    out.push(*name);
                }
            }
            out
        }
        None => known
            .iter()
            .filter(|(_, numeric)| !numeric_only || **numeric)
            .map(|(n, _)| *n)
            .collect(),
    };
    let mut series = matching(&req.measurement, &req.filters);
    series.sort_by_key(|&s| tags_of(s));
    // Output groups: (tags, members in tag order).
    let groups: Vec<(Tags, Vec<usize>)> = match &req.group_by {
        None => series.iter().map(|&s| (tags_of(s), vec![s])).collect(),
        Some(keys) => {
            let mut g: BTreeMap<Tags, Vec<usize>> = BTreeMap::new();
            for &s in &series {
                let gt = tags_of(s)
                    .into_iter()
                    .filter(|(k, _)| keys.contains(k))
                    .collect();
                g.entry(gt).or_default().push(s);
            }
            g.into_iter().collect()
        }
    };
    let in_range = |t: &i64| (start_ns..end_ns).contains(t);
    let mut out = Vec::new();
    for (tags, members) in groups {
        // field -> row key -> value (None: data but no value, e.g. stddev of one point)
        let mut columns: BTreeMap<&str, BTreeMap<i64, Option<FieldOut>>> = BTreeMap::new();
        match &req.aggregate {
            None => {
                let s = members[0];
                for &f in &fields {
                    if let Some(col) = model.points.get(&(s, f)) {
                        for (t, v) in col.iter().filter(|(t, _)| in_range(t)) {
                            columns.entry(f).or_default().insert(*t, Some(v.out()));
                        }
                    }
                }
            }
            Some(agg) => {
                for &f in &fields {
                    let mut pts: Vec<(i64, usize, Val)> = Vec::new();
                    for (rank, &s) in members.iter().enumerate() {
                        if let Some(col) = model.points.get(&(s, f)) {
                            pts.extend(
                                col.iter()
                                    .filter(|(t, _)| in_range(t))
                                    .map(|(t, v)| (*t, rank, v.clone())),
                            );
                        }
                    }
                    pts.sort_by_key(|(t, rank, _)| (*t, *rank));
                    let mut windows: BTreeMap<i64, Vec<(i64, usize, Val)>> = BTreeMap::new();
                    for pt in pts {
                        let w = match agg.every {
                            Some(e) => pt.0.div_euclid(e * p) * e * p,
                            None => start_ns,
                        };
                        windows.entry(w).or_default().push(pt);
                    }
                    for (w, pts) in windows {
                        let v = aggregate_values(agg.function, agg.q.unwrap_or(0.5), &pts);
                        columns.entry(f).or_default().insert(w, v);
                    }
                }
            }
        }
        let all_rows: BTreeSet<i64> = columns.values().flat_map(|c| c.keys().copied()).collect();
        let rows = rows_selected(
            &all_rows.into_iter().collect::<Vec<_>>(),
            req.limit,
            req.order,
        );
        if rows.is_empty() {
            continue;
        }
        let stamp = |t: i64| match &req.aggregate {
            Some(Aggregate { every: None, .. }) => req.start,
            _ => t.div_euclid(p),
        };
        let mut fields_out = BTreeMap::new();
        for (f, col) in columns {
            if rows.iter().any(|r| col.contains_key(r)) {
                fields_out.insert(
                    f.to_string(),
                    rows.iter().map(|r| col.get(r).cloned().flatten()).collect(),
                );
            }
        }
        out.push(SeriesResult {
            measurement: req.measurement.clone(),
            tags: tags.into_iter().collect(),
            timestamps: rows.iter().map(|&t| stamp(t)).collect(),
            fields: fields_out,
        });
    }
    Expected::Ok(out)
}

fn same_value(a: &Option<FieldOut>, b: &Option<FieldOut>) -> bool {
    match (a, b) {
        (Some(FieldOut::Float(x)), Some(FieldOut::Float(y))) => {
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

fn check(
    got: Result<Vec<SeriesResult>, QueryError>,
    want: Expected,
    q: &Query,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (Err(QueryError::BadRequest(_)), Expected::BadRequest)
        | (Err(QueryError::TooLarge(_)), Expected::TooLarge) => Ok(()),
        (Ok(got), Expected::Ok(want)) => {
            prop_assert_eq!(
                got.len(),
                want.len(),
                "series count for {:?}\ngot {:#?}\nwant {:#?}",
                q,
                got,
                want
            );
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(&g.measurement, &w.measurement);
                prop_assert_eq!(&g.tags, &w.tags, "{:?}", q);
                prop_assert_eq!(&g.timestamps, &w.timestamps, "tags {:?} of {:?}", w.tags, q);
                prop_assert_eq!(
                    g.fields.keys().collect::<Vec<_>>(),
                    w.fields.keys().collect::<Vec<_>>(),
                    "{:?}",
                    q
                );
                for (name, gv) in &g.fields {
                    let wv = &w.fields[name];
                    prop_assert!(
                        gv.len() == wv.len() && gv.iter().zip(wv).all(|(a, b)| same_value(a, b)),
                        "field {} of {:?}: got {:?} want {:?} for {:?}",
                        name,
                        w.tags,
                        gv,
                        wv,
                        q
                    );
                }
            }
            Ok(())
        }
        (got, want) => Err(TestCaseError::fail(format!(
            "got {got:?}, want {want:?} for {q:?}"
        ))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn execute_matches_the_reference(
        ops in prop::collection::vec(op(), 1..14),
        queries in prop::collection::vec(query(), 1..16),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions {
            wal_sync: SyncPolicy::None,
            // Tiny partitions and blocks: flushes span several partitions (some before 1970)
            // and blocks.
            partition_width: 1_000,
            block_points: 5,
            ..EngineOptions::manual(dir.path())
        })
        .unwrap();
        let mut model = Model::default();
        for op in &ops {
            match op {
                Op::Write(batch) => {
                    let points: Vec<Point> = batch
                        .iter()
                        .map(|p| Point {
                            series: key(p.series),
                            fields: p.fields.iter().map(|(n, v)| (n.to_string(), v.field_value())).collect(),
                            timestamp: p.ts,
                        })
                        .collect();
                    engine.write(&points).unwrap();
                    model.write(batch);
                }
                Op::Delete(filters, start, end) => {
                    let ids = match_series(engine.catalog(), "m", filters).unwrap();
                    engine.delete(&ids.iter().collect::<Vec<_>>(), *start, *end).unwrap();
                    model.delete(&matching("m", filters).into_iter().collect(), *start, *end);
                }
                Op::Flush => engine.flush().unwrap(),
                Op::Compact => engine.compact().unwrap(),
            }
        }
        let snapshot = engine.snapshot();
        for q in &queries {
            let want = reference(&model, q);
            let max_points = q.cap.max_points(want.points());
            let opts = QueryOptions { precision_ns: q.precision_ns, max_points };
            let got = execute(&snapshot, &q.req, &opts).map(|r| r.series);
            check(got, want.capped(max_points), q)?;
        }
    }
}
