//! Value filters (`"where"` of a query): conditions on field values, ANDed, that keep or drop
//! whole rows of a series: a row (one timestamp of one series) passes when every filter's
//! field has a value there that satisfies it; a row without the field fails, as in InfluxDB's
//! `WHERE usage_user > 90`. Raw queries return only passing rows; aggregates fold only them
//! (and are then computed from raw points, never from rollups, which cannot be filtered).

use serde::Deserialize;
use strata_codec::Column;
use strata_engine::{ColumnData, SeriesId, Snapshot, Take};

use crate::error::QueryError;

/// One condition: `field op value`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueFilter {
    pub field: String,
    pub op: CmpOp,
    pub value: f64,
}

/// Comparison operators (JSON: `gt ge lt le eq ne`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl CmpOp {
    /// Whether `x op v` holds (false for NaN, except `ne`).
    pub fn holds(self, x: f64, v: f64) -> bool {
        match self {
            CmpOp::Gt => x > v,
            CmpOp::Ge => x >= v,
            CmpOp::Lt => x < v,
            CmpOp::Le => x <= v,
            CmpOp::Eq => x == v,
            CmpOp::Ne => x != v,
        }
    }
}

/// The sorted times of series `id` in `[start, end)` where every filter holds; an error if
/// a filter's field is not numeric.
pub(crate) fn passing_times(
    snapshot: &Snapshot,
    id: SeriesId,
    filters: &[ValueFilter],
    (start, end): (i64, i64),
) -> Result<Vec<i64>, QueryError> {
    let names: Vec<&str> = filters.iter().map(|f| f.field.as_str()).collect();
    let cols = snapshot.read_columns(id, &names, start, end, Take::All)?;
    let mut passing: Option<Vec<i64>> = None;
    for (f, col) in filters.iter().zip(cols) {
        let Some(col) = col else {
            return Ok(Vec::new());
        };
        let times = times_where(&col, f)?;
        passing = Some(match passing {
            None => times,
            Some(p) => intersect(&p, &times),
        });
    }
    Ok(passing.unwrap_or_default())
}

fn times_where(col: &ColumnData, f: &ValueFilter) -> Result<Vec<i64>, QueryError> {
    let keep = |x: f64| f.op.holds(x, f.value);
    let ts = &col.ts;
    Ok(match &col.values {
        Column::Float(v) => ts
            .iter()
            .zip(v)
            .filter(|(_, x)| keep(**x))
            .map(|(t, _)| *t)
            .collect(),
        Column::Integer(v) => ts
            .iter()
            .zip(v)
            .filter(|(_, x)| keep(**x as f64))
            .map(|(t, _)| *t)
            .collect(),
        Column::Unsigned(v) => ts
            .iter()
            .zip(v)
            .filter(|(_, x)| keep(**x as f64))
            .map(|(t, _)| *t)
            .collect(),
        Column::Boolean(_) | Column::String(_) => {
            return Err(QueryError::bad(format!(
                "where: field {:?} is not numeric",
                f.field
            )));
        }
    })
}

fn intersect(a: &[i64], b: &[i64]) -> Vec<i64> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The points of `ts`/`values` whose time is in `passing` (both sorted).
pub(crate) fn retain(ts: &[i64], values: &Column, passing: &[i64]) -> ColumnData {
    let mut keep = Vec::with_capacity(ts.len().min(passing.len()));
    let mut j = 0;
    for (i, t) in ts.iter().enumerate() {
        while j < passing.len() && passing[j] < *t {
            j += 1;
        }
        if passing.get(j) == Some(t) {
            keep.push(i);
        }
    }
    let pick = |i: &usize| ts[*i];
    ColumnData {
        ts: keep.iter().map(pick).collect(),
        values: match values {
            Column::Float(v) => Column::Float(keep.iter().map(|&i| v[i]).collect()),
            Column::Integer(v) => Column::Integer(keep.iter().map(|&i| v[i]).collect()),
            Column::Unsigned(v) => Column::Unsigned(keep.iter().map(|&i| v[i]).collect()),
            Column::Boolean(v) => Column::Boolean(keep.iter().map(|&i| v[i]).collect()),
            Column::String(v) => Column::String(keep.iter().map(|&i| v[i].clone()).collect()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Db, fl, int};

    #[test]
    fn rows_pass_only_when_every_filter_holds() {
        let db = Db::new();
        for t in 0..10i64 {
            db.put(
                "cpu",
                "host=a",
                t,
                &[("u", fl(t as f64 * 10.0)), ("n", int(t))],
            );
        }
        db.put("cpu", "host=b", 5, &[("n", int(100))]);
        let q = |extra: &str| {
            db.query(
                &format!(r#"{{"measurement":"cpu","start":0,"end":100{extra}}}"#),
                1,
            )
            .unwrap()
        };
        // Raw: rows with u > 60 and n != 8 (host b has no u: none of its rows pass).
        let r =
            q(r#","where":[{"field":"u","op":"gt","value":60},{"field":"n","op":"ne","value":8}]"#);
        let times: Vec<i64> = r.series.iter().flat_map(|s| s.timestamps.clone()).collect();
        assert_eq!(times, vec![7, 9]);
        // With a limit, the newest passing rows.
        let r = q(r#","where":[{"field":"u","op":"lt","value":50}],"order":"desc","limit":2"#);
        assert_eq!(r.series[0].timestamps, vec![4, 3]);
        // Aggregates fold only passing rows.
        let r = q(
            r#","where":[{"field":"u","op":"ge","value":50}],"aggregate":{"function":"count"},"fields":["n"]"#,
        );
        assert_eq!(r.series.len(), 1);
        assert_eq!(
            r.series[0].fields["n"][0],
            Some(crate::FieldOut::Integer(5))
        );
        // A non-numeric field is refused.
        db.put(
            "cpu",
            "host=a",
            50,
            &[("s", strata_engine::FieldValue::String("x".into()))],
        );
        let e = db
            .query(r#"{"measurement":"cpu","start":0,"end":100,"where":[{"field":"s","op":"eq","value":1}]}"#, 1)
            .unwrap_err();
        assert!(e.to_string().contains("not numeric"), "{e}");
    }

    #[test]
    fn retain_and_intersect() {
        let col = Column::Float(vec![1.0, 95.0, 3.0, 99.0]);
        let out = retain(&[10, 20, 30, 40], &col, &[20, 40, 50]);
        assert_eq!(out.ts, vec![20, 40]);
        assert_eq!(out.values, Column::Float(vec![95.0, 99.0]));
        assert_eq!(intersect(&[1, 2, 5, 7], &[2, 3, 7]), vec![2, 7]);
        assert!(CmpOp::Ne.holds(f64::NAN, 1.0));
        assert!(!CmpOp::Gt.holds(f64::NAN, 1.0));
    }
}
