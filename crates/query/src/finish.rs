//! The last steps of an output series when the request asks for `fill` or `derive`: every
//! window of the range made a row and the empty ones filled ([`crate::fill`]), then each
//! field's values replaced by the derived function of them ([`crate::derive`]), then `order`
//! and `limit` (which the builders leave alone for such requests: a derivative or a fill
//! needs the series in time order and whole).

use std::collections::BTreeMap;

use crate::derive::{DeriveFn, Num, derive};
use crate::error::QueryError;
use crate::fill::{Fill, Fillable, fill};
use crate::request::{Order, QueryRequest};
use crate::result::FieldOut;

type Columns = BTreeMap<String, Vec<Option<FieldOut>>>;

impl Fillable for FieldOut {
    fn from_number(n: f64, like: Option<&Self>) -> Self {
        match like {
            Some(FieldOut::Integer(_)) if n.fract() == 0.0 && n.abs() < 9.0e18 => {
                FieldOut::Integer(n as i64)
            }
            _ => FieldOut::Float(n),
        }
    }

    fn lerp(a: &Self, b: &Self, f: f64) -> Option<Self> {
        match (a, b) {
            (FieldOut::Integer(x), FieldOut::Integer(y)) => {
                Some(FieldOut::Integer(*x + ((*y - *x) as f64 * f) as i64))
            }
            (a, b) => {
                let (x, y) = (number(a)?.as_f64(), number(b)?.as_f64());
                Some(FieldOut::Float(x + (y - x) * f))
            }
        }
    }
}

fn number(v: &FieldOut) -> Option<Num> {
    match v {
        FieldOut::Float(f) => Some(Num::Float(*f)),
        FieldOut::Integer(n) => Some(Num::Int(*n)),
        FieldOut::Unsigned(n) => Some(match i64::try_from(*n) {
            Ok(n) => Num::Int(n),
            Err(_) => Num::Float(*n as f64),
        }),
        FieldOut::Boolean(_) | FieldOut::String(_) => None,
    }
}

/// Whether `req` needs [`finish`] (and its series built whole, in time order).
pub(crate) fn needed(req: &QueryRequest) -> bool {
    req.derive.is_some() || req.fill.is_some_and(|f| f != Fill::None)
}

/// Applies `fill`, `derive`, `order` and `limit` to one built series (ascending rows).
/// `precision_ns` is the request precision; `max_rows` the result cap.
pub(crate) fn finish(
    req: &QueryRequest,
    precision_ns: i64,
    max_rows: usize,
    mut timestamps: Vec<i64>,
    mut fields: Columns,
) -> Result<(Vec<i64>, Columns), QueryError> {
    if let (Some(how), Some(every)) = (req.fill, req.aggregate.as_ref().and_then(|a| a.every)) {
        if how != Fill::None {
            (timestamps, fields) = fill_windows(how, req, every, max_rows, &timestamps, fields)?;
        }
    }
    if let Some(d) = &req.derive {
        let second = (1_000_000_000 / precision_ns.max(1)).max(1);
        let unit = d.unit.unwrap_or(match d.function {
            DeriveFn::Elapsed => 1,
            _ => second,
        });
        let window = d.window.unwrap_or(1);
        let mut derived: BTreeMap<String, Vec<(i64, Num)>> = BTreeMap::new();
        for (name, col) in &fields {
            let pts: Vec<(i64, Num)> = timestamps
                .iter()
                .zip(col)
                .filter_map(|(t, v)| Some((*t, number(v.as_ref()?)?)))
                .collect();
            let out = derive(d.function, &pts, unit, window);
            if !out.is_empty() {
                derived.insert(name.clone(), out);
            }
        }
        let times: std::collections::BTreeSet<i64> =
            derived.values().flatten().map(|(t, _)| *t).collect();
        timestamps = times.into_iter().collect();
        fields = derived
            .into_iter()
            .map(|(name, pts)| {
                let mut col = vec![None; timestamps.len()];
                let mut i = 0;
                for (t, v) in pts {
                    while timestamps[i] < t {
                        i += 1;
                    }
                    col[i] = Some(match v {
                        Num::Float(f) => FieldOut::Float(f),
                        Num::Int(n) => FieldOut::Integer(n),
                    });
                }
                (name, col)
            })
            .collect();
    }
    if req.order == Order::Desc {
        timestamps.reverse();
        for col in fields.values_mut() {
            col.reverse();
        }
    }
    if let Some(n) = req.limit {
        timestamps.truncate(n);
        for col in fields.values_mut() {
            col.truncate(n);
        }
    }
    fields.retain(|_, col| col.iter().any(Option::is_some));
    Ok((timestamps, fields))
}

/// Every window of `[start, end)` as a row, the empty ones filled.
fn fill_windows(
    how: Fill,
    req: &QueryRequest,
    every: i64,
    max_rows: usize,
    timestamps: &[i64],
    fields: Columns,
) -> Result<(Vec<i64>, Columns), QueryError> {
    let first = req.start.div_euclid(every);
    let last = (req.end - 1).div_euclid(every);
    let count = (i128::from(last) - i128::from(first) + 1) as u128;
    if count > max_rows as u128 {
        return Err(QueryError::TooLarge(format!(
            "fill asks for {count} windows, over the limit of {max_rows} rows (max_query_points): use a larger \"every\" or a shorter range"
        )));
    }
    let starts: Vec<i64> = (first..=last).map(|k| k.saturating_mul(every)).collect();
    let mut at = vec![None; starts.len()];
    for (row, t) in timestamps.iter().enumerate() {
        if let Ok(i) = starts.binary_search(t) {
            at[i] = Some(row);
        }
    }
    let empty: Vec<bool> = at.iter().map(Option::is_none).collect();
    let fields = fields
        .into_iter()
        .map(|(name, col)| {
            let mut cells: Vec<Option<FieldOut>> = at
                .iter()
                .map(|r| r.and_then(|r| col.get(r).cloned().flatten()))
                .collect();
            fill(how, &starts, &mut cells, &empty);
            (name, cells)
        })
        .collect();
    Ok((starts, fields))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::testutil::{Db, fl};

    fn run(db: &Db, extra: &str) -> Value {
        let r = db
            .query(
                &format!(r#"{{"measurement":"m","start":0,"end":60,"format":"series"{extra}}}"#),
                1_000_000_000,
            )
            .unwrap();
        serde_json::from_str::<Value>(&r.to_series_json()).unwrap()["series"].clone()
    }

    #[test]
    fn fill_then_derive_then_limit() {
        let db = Db::new();
        // Seconds 0, 10 and 40 of a minute.
        for (t, v) in [(0, 1.0), (10, 3.0), (40, 9.0)] {
            db.put("m", "h=a", t * 1_000_000_000, &[("v", fl(v))]);
        }
        let agg = r#","aggregate":{"function":"max","every":10}"#;
        let s = run(&db, &format!("{agg},\"fill\":\"linear\""));
        assert_eq!(s[0]["timestamps"], json!([0, 10, 20, 30, 40, 50]));
        assert_eq!(s[0]["fields"]["v"], json!([1.0, 3.0, 5.0, 7.0, 9.0, null]));
        let s = run(&db, &format!("{agg},\"fill\":0"));
        assert_eq!(s[0]["fields"]["v"], json!([1.0, 3.0, 0.0, 0.0, 9.0, 0.0]));
        let s = run(
            &db,
            &format!("{agg},\"fill\":\"previous\",\"derive\":{{\"function\":\"difference\"}}"),
        );
        assert_eq!(s[0]["timestamps"], json!([10, 20, 30, 40, 50]));
        assert_eq!(s[0]["fields"]["v"], json!([2.0, 0.0, 0.0, 6.0, 0.0]));
        // Per second, newest first, two rows.
        let s = run(
            &db,
            r#","derive":{"function":"derivative"},"order":"desc","limit":2"#,
        );
        assert_eq!(s[0]["timestamps"], json!([40, 10]));
        assert_eq!(s[0]["fields"]["v"], json!([0.2, 0.2]));
        let s = run(&db, r#","derive":{"function":"moving_average","window":2}"#);
        assert_eq!(s[0]["fields"]["v"], json!([2.0, 6.0]));
        assert!(
            db.query(
                r#"{"measurement":"m","start":0,"end":60,"fill":"null"}"#,
                1_000_000_000
            )
            .is_err()
        );
    }
}
