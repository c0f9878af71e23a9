//! A [`QuerySpec`] as Strata's `POST /query` JSON, and Strata's answer normalised.
//!
//! Folded hosts are `group_by: []`; per-host aggregates are `group_by: ["hostname"]`;
//! `lastpoint` is `limit: 1, order: desc` over the whole data range (every host is one
//! series). `high-cpu-1` filters on the server (`"where": [{"field": "usage_user", "op":
//! "gt", "value": 90}]`), like the peers.

use serde_json::{Value, json};

use super::QuerySpec;
use super::result::{QueryResult, ResultRow};
use crate::data::MEASUREMENT;
use crate::error::{BenchError, Result};

/// The request body (times in ms, the API's default precision).
pub fn request(q: &QuerySpec) -> Value {
    let mut body = json!({
        "measurement": MEASUREMENT,
        "start": q.start_ms,
        "end": q.end_ms,
        "fields": q.fields,
    });
    match q.hosts.as_slice() {
        [] => {}
        [one] => body["filters"] = json!({ "hostname": one }),
        many => body["filters"] = json!({ "hostname": { "in": many } }),
    }
    if let Some((agg, every)) = q.aggregate {
        body["aggregate"] = json!({ "function": agg.name(), "every": every });
        body["group_by"] = if q.per_host {
            json!(["hostname"])
        } else {
            json!([])
        };
    }
    if let Some(t) = q.usage_user_above {
        body["where"] = json!([{ "field": "usage_user", "op": "gt", "value": t }]);
    }
    if q.desc {
        body["order"] = json!("desc");
    }
    if let Some(limit) = q.limit {
        body["limit"] = json!(limit);
    }
    body
}

/// Normalises a `{"data_points": [...]}` answer.
pub fn parse(q: &QuerySpec, url: &str, body: &Value) -> Result<QueryResult> {
    let points = body
        .get("data_points")
        .and_then(Value::as_array)
        .ok_or_else(|| BenchError::Decode {
            url: url.to_string(),
            message: "no \"data_points\" array".into(),
        })?;
    let mut rows = Vec::new();
    for p in points {
        let ts = p
            .get("timestamp")
            .and_then(Value::as_i64)
            .ok_or_else(|| BenchError::Decode {
                url: url.to_string(),
                message: format!("point without an integer timestamp: {p}"),
            })?;
        let fields = p.get("fields").and_then(Value::as_object);
        let Some(fields) = fields else { continue };
        let group = if q.per_host {
            p.get("tags")
                .and_then(|t| t.get("hostname"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        } else {
            "*".to_string()
        };
        for (name, v) in fields {
            if let Some(v) = v.as_f64() {
                rows.push(ResultRow {
                    group: group.clone(),
                    field: name.clone(),
                    ts_ms: ts,
                    value: v,
                });
            }
        }
    }
    Ok(QueryResult::new(rows))
}

#[cfg(test)]
mod tests {
    use super::super::tests::data;
    use super::super::{Planner, QueryType};
    use super::*;
    use crate::data::FIELDS;
    use crate::timefmt::{HOUR_MS, MINUTE_MS};

    fn plan(kind: QueryType) -> QuerySpec {
        Planner::new(data(), 3).plan(kind)
    }

    #[test]
    fn single_groupby_1_1_1() {
        let q = plan(QueryType::SingleGroupby111);
        let r = request(&q);
        assert_eq!(
            r,
            json!({
                "measurement": "cpu", "start": q.start_ms, "end": q.start_ms + HOUR_MS,
                "fields": ["usage_user"], "filters": {"hostname": q.hosts[0]},
                "aggregate": {"function": "max", "every": MINUTE_MS}, "group_by": []
            })
        );
    }

    #[test]
    fn single_groupby_5_8_1() {
        let q = plan(QueryType::SingleGroupby581);
        let r = request(&q);
        assert_eq!(r["fields"], json!(FIELDS[..5]));
        assert_eq!(r["filters"]["hostname"]["in"].as_array().unwrap().len(), 8);
        assert_eq!(r["aggregate"], json!({"function": "max", "every": 60_000}));
        assert_eq!(r["group_by"], json!([]));
        assert_eq!(
            r["end"].as_i64().unwrap() - r["start"].as_i64().unwrap(),
            HOUR_MS
        );
    }

    #[test]
    fn double_groupby_1() {
        let r = request(&plan(QueryType::DoubleGroupby1));
        assert_eq!(
            r["aggregate"],
            json!({"function": "mean", "every": 3_600_000})
        );
        assert_eq!(r["group_by"], json!(["hostname"]));
        assert!(r.get("filters").is_none());
        assert_eq!(
            r["end"].as_i64().unwrap() - r["start"].as_i64().unwrap(),
            12 * HOUR_MS
        );
    }

    #[test]
    fn high_cpu_1_is_raw() {
        let q = plan(QueryType::HighCpu1);
        let r = request(&q);
        assert!(r.get("aggregate").is_none() && r.get("group_by").is_none());
        assert_eq!(r["fields"], json!(FIELDS));
        assert_eq!(r["filters"], json!({"hostname": q.hosts[0]}));
    }

    #[test]
    fn lastpoint() {
        let q = plan(QueryType::Lastpoint);
        let d = data();
        assert_eq!(
            request(&q),
            json!({"measurement": "cpu", "start": d.start_ms, "end": d.end_ms(),
                   "fields": FIELDS, "order": "desc", "limit": 1})
        );
    }

    #[test]
    fn cpu_max_all_8() {
        let r = request(&plan(QueryType::CpuMaxAll8));
        assert_eq!(r["fields"], json!(FIELDS));
        assert_eq!(r["filters"]["hostname"]["in"].as_array().unwrap().len(), 8);
        assert_eq!(
            r["aggregate"],
            json!({"function": "max", "every": 3_600_000})
        );
        assert_eq!(
            r["end"].as_i64().unwrap() - r["start"].as_i64().unwrap(),
            8 * HOUR_MS
        );
    }

    #[test]
    fn groupby_orderby_limit() {
        let r = request(&plan(QueryType::GroupbyOrderbyLimit));
        assert_eq!(r["aggregate"], json!({"function": "max", "every": 60_000}));
        assert_eq!(r["group_by"], json!([]));
        assert_eq!(
            (r["order"].as_str(), r["limit"].as_u64()),
            (Some("desc"), Some(5))
        );
        assert_eq!(
            r["end"].as_i64().unwrap() - r["start"].as_i64().unwrap(),
            5 * MINUTE_MS
        );
    }

    #[test]
    fn parses_points_and_filters_high_cpu_on_the_server() {
        let q = plan(QueryType::HighCpu1);
        assert_eq!(
            request(&q)["where"],
            json!([{"field": "usage_user", "op": "gt", "value": 90.0}])
        );
        let body = json!({"data_points": [
            {"timestamp": 1, "tags": {"hostname": "host_1", "region": "x"}, "fields": {"usage_user": 95.0, "usage_idle": 3.0}}
        ]});
        let r = parse(&q, "u", &body).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert!(r.rows.iter().all(|x| x.ts_ms == 1 && x.group == "host_1"));
        let q = plan(QueryType::SingleGroupby111);
        let body = json!({"data_points": [{"timestamp": 60000, "tags": {}, "fields": {"usage_user": 7.5}}]});
        let r = parse(&q, "u", &body).unwrap();
        assert_eq!(r.rows[0].group, "*");
        assert!(parse(&q, "u", &json!({"error": {}})).is_err());
    }
}
