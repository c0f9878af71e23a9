//! The query driver: validates the request, converts its times to nanoseconds, matches the
//! series on the postings, plans fields and outputs, then builds the output series (raw
//! points: [`crate::raw`]; aggregates: [`crate::grouped`]) while the [`Budget`] enforces the
//! result cap. Many output series are built on several threads, each a consecutive share of
//! them, and come back in order; a query of a few big groups splits each group's members
//! across the threads instead.
//!
//! Memory: one output series (or group) per thread is in flight at a time. Raw queries hold
//! that series' columns; aggregate queries hold one series' columns at a time plus the
//! group's per-window states.

use std::collections::BTreeMap;
use std::ops::Range;

use strata_engine::Snapshot;

use crate::budget::Budget;
use crate::error::QueryError;
use crate::finish;
use crate::match_series::match_series;
use crate::options::QueryOptions;
use crate::plan::{FieldPlan, OutputPlan, plan_fields, plan_outputs};
use crate::request::{Order, QueryRequest};
use crate::result::{FieldOut, QueryResult, SeriesResult};
use crate::time::{check_precision, range_to_ns};
use crate::value_filter::ValueFilter;
use crate::window::Windowing;

/// Queries over more series than this read without filling the block cache.
const BULK_SERIES: u64 = 1000;

/// Output series are built on several threads once each thread gets this many.
const PARALLEL_OUTPUTS: usize = 16;

/// What every output series of one query shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    pub start_ns: i64,
    pub end_ns: i64,
    pub precision_ns: i64,
    pub limit: Option<usize>,
    pub order: Order,
    /// The request's value filters (`"where"`).
    pub value_filters: &'a [ValueFilter],
}

impl Ctx<'_> {
    /// The times of series `id` passing the value filters; `None` without filters.
    pub fn passing(&self, id: strata_engine::SeriesId) -> Result<Option<Vec<i64>>, QueryError> {
        if self.value_filters.is_empty() {
            return Ok(None);
        }
        crate::value_filter::passing_times(
            self.snapshot,
            id,
            self.value_filters,
            (self.start_ns, self.end_ns),
        )
        .map(Some)
    }
}

/// Runs `req` against `snapshot`. See API.md (`POST /query`) for the contract and the crate
/// documentation for the semantic choices.
pub fn execute(
    snapshot: &Snapshot,
    req: &QueryRequest,
    opts: &QueryOptions,
) -> Result<QueryResult, QueryError> {
    req.validate()?;
    check_precision(opts.precision_ns)?;
    let catalog = snapshot.catalog();
    let fields = plan_fields(catalog, req)?;
    if fields.is_empty() {
        return Ok(QueryResult::default());
    }
    let ids = match_series(catalog, &req.measurement, &req.filters)?;
    // A query over many series reads around the block cache: its blocks would only evict
    // the hot ones, and pay for evicting them (see `Snapshot::without_cache_fill`).
    let bulk;
    let snapshot = if ids.len() > BULK_SERIES {
        bulk = snapshot.clone().without_cache_fill();
        &bulk
    } else {
        snapshot
    };
    let ctx = Ctx {
        snapshot,
        start_ns: range_to_ns(req.start, opts.precision_ns),
        end_ns: range_to_ns(req.end, opts.precision_ns),
        precision_ns: opts.precision_ns,
        // A fill or a derived function needs each series whole and in time order: `limit`
        // and `order` are applied after them (in `finish`).
        limit: if finish::needed(req) { None } else { req.limit },
        order: if finish::needed(req) {
            Order::Asc
        } else {
            req.order
        },
        value_filters: &req.value_filters,
    };
    let windowing = match &req.aggregate {
        Some(agg) => Some(Windowing::new(agg.every, opts.precision_ns, req.start)?),
        None => None,
    };
    let outputs = plan_outputs(catalog, &ids, req.group_by.as_deref());
    let budget = Budget::new(opts.max_points);
    let build = Build {
        req,
        opts,
        ctx: &ctx,
        fields: &fields,
        windowing: windowing.as_ref(),
        budget: &budget,
        // Too few outputs to share out: each group's members are shared out instead.
        split_members: strata_engine::part_count(outputs.len(), PARALLEL_OUTPUTS) == 1,
    };
    let parts = strata_engine::in_parts(
        outputs.len(),
        PARALLEL_OUTPUTS,
        QueryError::thread_failed,
        |part: Range<usize>| {
            let mut series = Vec::new();
            for out in outputs.get(part).unwrap_or_default() {
                series.extend(build.output(out)?);
            }
            Ok(series)
        },
    )?;
    Ok(QueryResult {
        series: parts.into_iter().flatten().collect(),
    })
}

/// What building any output series of one query needs.
struct Build<'a> {
    req: &'a QueryRequest,
    opts: &'a QueryOptions,
    ctx: &'a Ctx<'a>,
    fields: &'a [FieldPlan],
    windowing: Option<&'a Windowing>,
    budget: &'a Budget,
    split_members: bool,
}

impl Build<'_> {
    /// The output series `out`; `None` when it has no rows.
    fn output(&self, out: &OutputPlan) -> Result<Option<SeriesResult>, QueryError> {
        let (req, opts) = (self.req, self.opts);
        let built = match (&req.aggregate, self.windowing) {
            (Some(agg), Some(w)) => crate::grouped::aggregate_group(
                self.ctx,
                &out.series,
                self.fields,
                agg,
                w,
                self.budget,
                self.split_members,
            )?,
            _ => match out.series.as_slice() {
                [id] => crate::raw::raw_series(self.ctx, *id, self.fields, self.budget)?,
                _ => None,
            },
        };
        let Some((timestamps, fields)) = built else {
            return Ok(None);
        };
        let (timestamps, fields) = if finish::needed(req) {
            finish::finish(req, opts.precision_ns, opts.max_points, timestamps, fields)?
        } else {
            (timestamps, fields)
        };
        Ok((!timestamps.is_empty()).then(|| output(req, out, timestamps, fields)))
    }
}

fn output(
    req: &QueryRequest,
    out: &OutputPlan,
    timestamps: Vec<i64>,
    fields: BTreeMap<String, Vec<Option<FieldOut>>>,
) -> SeriesResult {
    SeriesResult {
        measurement: req.measurement.clone(),
        tags: out.tags.iter().cloned().collect(),
        timestamps,
        fields,
    }
}

/// Rows of one output series: timestamps (request units, in output order) and field columns.
pub(crate) type Built = Option<(Vec<i64>, BTreeMap<String, Vec<Option<FieldOut>>>)>;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::testutil::{Db, fl, int};
    use crate::{QueryOptions, QueryRequest, execute};

    fn series(db: &Db, query: &str, precision_ns: i64) -> Value {
        let r = db.query(query, precision_ns).unwrap();
        serde_json::from_str::<Value>(&r.to_series_json()).unwrap()["series"].clone()
    }

    fn cpu() -> Db {
        let db = Db::new();
        db.put(
            "cpu",
            "host=b,dc=x",
            1_000,
            &[("v", fl(1.0)), ("n", int(10))],
        );
        db.put("cpu", "host=b,dc=x", 2_500, &[("v", fl(2.0))]);
        db.put("cpu", "host=a", 1_500, &[("n", int(7))]);
        db.put("cpu", "host=a", -1_500, &[("v", fl(-1.0))]);
        db.put("mem", "host=a", 1_000, &[("v", fl(9.0))]);
        db
    }

    #[test]
    fn raw_points_are_aligned_and_in_tag_order() {
        let db = cpu();
        let got = series(&db, r#"{"measurement":"cpu","start":-2,"end":3}"#, 1_000);
        assert_eq!(
            got,
            // Tag lists compare as sorted (key, value) lists: [dc=x, host=b] < [host=a].
            json!([
                {"measurement": "cpu", "tags": {"dc": "x", "host": "b"}, "timestamps": [1, 2],
                 "fields": {"n": [10, null], "v": [1.0, 2.0]}},
                {"measurement": "cpu", "tags": {"host": "a"}, "timestamps": [-2, 1],
                 "fields": {"n": [null, 7], "v": [-1.0, null]}},
            ])
        );
        // End is exclusive, start inclusive (in ns here).
        let got = series(
            &db,
            r#"{"measurement":"cpu","start":1000,"end":2500,"fields":["v","zz"]}"#,
            1,
        );
        assert_eq!(
            got,
            json!([{"measurement": "cpu", "tags": {"dc": "x", "host": "b"}, "timestamps": [1000], "fields": {"v": [1.0]}}])
        );
        let points = db
            .query(
                r#"{"measurement":"cpu","start":1000,"end":1001,"filters":{"host":"b"}}"#,
                1,
            )
            .unwrap();
        let points: Value = serde_json::from_str(&points.to_points_json()).unwrap();
        assert_eq!(
            points,
            json!({"data_points": [{"timestamp": 1000, "tags": {"dc": "x", "host": "b"}, "fields": {"n": 10, "v": 1.0}}]})
        );
    }

    #[test]
    fn empty_results() {
        let db = cpu();
        for q in [
            r#"{"measurement":"disk","start":0,"end":9999}"#,
            r#"{"measurement":"cpu","start":0,"end":9999,"filters":{"host":"zz"}}"#,
            r#"{"measurement":"cpu","start":0,"end":9999,"fields":["zz"]}"#,
            r#"{"measurement":"cpu","start":5000,"end":9999}"#,
            r#"{"measurement":"cpu","start":5000,"end":9999,"aggregate":{"function":"count"},"group_by":[]}"#,
        ] {
            assert_eq!(db.query(q, 1).unwrap().series, vec![], "{q}");
        }
    }

    #[test]
    fn order_and_limit_with_data_in_memory_and_on_disk() {
        let db = Db::new();
        for t in 0..100 {
            db.put("m", "h=a", t * 10, &[("v", int(t))]);
            if t == 50 {
                db.engine.flush().unwrap();
            }
        }
        db.put("m", "h=b", -999_999, &[("v", int(-1))]);
        let q = |extra: &str| {
            series(
                &db,
                &format!(r#"{{"measurement":"m","start":-1000000,"end":1000000{extra}}}"#),
                1,
            )
        };
        let got = q(r#","order":"desc","limit":2"#);
        assert_eq!(got[0]["timestamps"], json!([990, 980]));
        assert_eq!(got[0]["fields"]["v"], json!([99, 98]));
        assert_eq!(got[1]["timestamps"], json!([-999999]));
        let got = q(r#","limit":3"#);
        assert_eq!(got[0]["timestamps"], json!([0, 10, 20]));
        let got = q(r#","order":"desc""#);
        assert_eq!(got[0]["timestamps"].as_array().unwrap().len(), 100);
        assert_eq!(got[0]["timestamps"][0], json!(990));
        let got = q(r#","order":"desc","limit":1,"aggregate":{"function":"max","every":100}"#);
        assert_eq!(
            (&got[0]["timestamps"], &got[0]["fields"]["v"]),
            (&json!([900]), &json!([99]))
        );
    }

    #[test]
    fn aggregates_windows_and_groups() {
        let db = Db::new();
        for (tags, base) in [("h=a,r=x", 0), ("h=b,r=x", 100), ("h=c", 1000)] {
            for t in [-5i64, 0, 4, 12] {
                db.put("m", tags, t, &[("v", fl((base + t) as f64))]);
            }
        }
        let got = series(
            &db,
            r#"{"measurement":"m","start":-10,"end":20,"aggregate":{"function":"sum","every":10},"filters":{"h":"a"}}"#,
            1,
        );
        assert_eq!(got[0]["timestamps"], json!([-10, 0, 10]));
        assert_eq!(got[0]["fields"]["v"], json!([-5.0, 4.0, 12.0]));
        let got = series(
            &db,
            r#"{"measurement":"m","start":-3,"end":20,"aggregate":{"function":"count"},"group_by":["r"]}"#,
            1,
        );
        assert_eq!(
            got,
            json!([
                {"measurement": "m", "tags": {}, "timestamps": [-3], "fields": {"v": [3]}},
                {"measurement": "m", "tags": {"r": "x"}, "timestamps": [-3], "fields": {"v": [6]}},
            ])
        );
        let got = series(
            &db,
            r#"{"measurement":"m","start":-10,"end":20,"aggregate":{"function":"max","every":10},"group_by":[],"order":"desc"}"#,
            1,
        );
        assert_eq!(got[0]["tags"], json!({}));
        assert_eq!(got[0]["timestamps"], json!([10, 0, -10]));
        assert_eq!(got[0]["fields"]["v"], json!([1012.0, 1004.0, 995.0]));
        let got = series(
            &db,
            r#"{"measurement":"m","start":-10,"end":20,"aggregate":{"function":"quantile","q":0.5},"group_by":["h"],"filters":{"h":{"in":["a","b"]}}}"#,
            1,
        );
        assert_eq!(got[0]["fields"]["v"], json!([2.0]));
        assert_eq!(got[1]["fields"]["v"], json!([102.0]));
    }

    #[test]
    fn cap_fails_the_query_instead_of_truncating() {
        let db = Db::new();
        let points: Vec<strata_engine::Point> = (0..3)
            .flat_map(|s| {
                (0..400).map(move |t| strata_engine::Point {
                    series: strata_engine::SeriesKey::new("m", vec![("h".into(), format!("h{s}"))]),
                    fields: vec![("v".into(), fl(t as f64))],
                    timestamp: t,
                })
            })
            .collect();
        db.engine.write(&points).unwrap();
        let e = db
            .query(r#"{"measurement":"m","start":0,"end":400}"#, 1)
            .unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "result_too_large"));
        assert!(e.to_string().contains("more than 1000 points"), "{e}");
        assert_eq!(
            db.query(r#"{"measurement":"m","start":0,"end":400,"limit":300}"#, 1)
                .unwrap()
                .point_count(),
            900
        );
        assert!(
            db.query(r#"{"measurement":"m","start":0,"end":400,"limit":400}"#, 1)
                .is_err()
        );
        let agg =
            r#"{"measurement":"m","start":0,"end":400,"aggregate":{"function":"mean","every":1}}"#;
        assert!(db.query(agg, 1).is_err());
        let agg = r#"{"measurement":"m","start":0,"end":400,"aggregate":{"function":"mean","every":1},"group_by":[]}"#;
        assert_eq!(db.query(agg, 1).unwrap().point_count(), 400);
        // Exactly at the cap is fine.
        let req = QueryRequest::from_json(br#"{"measurement":"m","start":0,"end":400}"#).unwrap();
        let opts = QueryOptions {
            precision_ns: 1,
            max_points: 1200,
        };
        assert_eq!(
            execute(&db.engine.snapshot(), &req, &opts)
                .unwrap()
                .point_count(),
            1200
        );
    }

    #[test]
    fn bad_requests() {
        let db = cpu();
        let cases = [
            (
                r#"{"measurement":"cpu","start":0,"end":10,"aggregate":{"function":"mean","every":9223372036854775807}}"#,
                1_000,
                "every",
            ),
            (r#"{"measurement":"cpu","start":5,"end":1}"#, 1, "start"),
            (
                r#"{"measurement":"cpu","start":0,"end":1,"aggregate":{"function":"sum"},"fields":["s"]}"#,
                1,
                "\"s\"",
            ),
            (r#"{"measurement":"cpu","start":0,"end":1}"#, 0, "precision"),
        ];
        db.put(
            "cpu",
            "host=a",
            0,
            &[("s", strata_engine::FieldValue::String("x".into()))],
        );
        for (q, p, needle) in cases {
            let e = db.query(q, p).unwrap_err();
            assert_eq!(e.status(), 400, "{q}");
            assert!(
                e.to_string().contains(needle),
                "{e} should mention {needle}"
            );
        }
        // A range past what nanoseconds can hold is a filter, clamped: it answers.
        for q in [
            r#"{"measurement":"cpu","start":0,"end":9223372036854775807}"#,
            r#"{"measurement":"cpu","start":-9007199254740992,"end":9007199254740992}"#,
            r#"{"measurement":"cpu","start":-9007199254740992,"end":9007199254740992,"aggregate":{"function":"count","every":86400000}}"#,
        ] {
            let got = series(&db, q, 1_000_000);
            assert!(got.as_array().is_some_and(|s| !s.is_empty()), "{q}: {got}");
        }
        // The default field list skips the string field for numeric aggregates.
        let got = series(
            &db,
            r#"{"measurement":"cpu","start":-9999,"end":9999,"aggregate":{"function":"sum"},"group_by":[]}"#,
            1,
        );
        assert_eq!(got[0]["fields"], json!({"n": [17], "v": [2.0]}));
        let got = series(
            &db,
            r#"{"measurement":"cpu","start":-9999,"end":9999,"aggregate":{"function":"last"},"group_by":[]}"#,
            1,
        );
        assert_eq!(got[0]["fields"], json!({"n": [7], "s": ["x"], "v": [2.0]}));
    }

    #[test]
    fn deleted_points_are_not_returned() {
        let db = cpu();
        db.engine.flush().unwrap();
        let req = QueryRequest::from_json(
            br#"{"measurement":"cpu","start":0,"end":2000,"filters":{"host":"b"}}"#,
        )
        .unwrap();
        let ids = crate::match_series(db.engine.catalog(), &req.measurement, &req.filters).unwrap();
        db.engine
            .delete(&ids.iter().collect::<Vec<_>>(), 0, 2000)
            .unwrap();
        let got = series(
            &db,
            r#"{"measurement":"cpu","start":-9999,"end":9999,"filters":{"host":"b"}}"#,
            1,
        );
        assert_eq!(got[0]["timestamps"], json!([2500]));
    }
}
