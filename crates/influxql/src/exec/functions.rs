//! InfluxQL's functions over values: aggregates and selectors of one bucket's points,
//! transformations of a sequence of points (derivative, difference, moving average,
//! cumulative sum, elapsed) and the math functions of one value, with InfluxDB 1.x's result
//! types (`count` an integer, `mean` a float, selectors keep the field's type).

use std::collections::HashMap;

use strata_query::derive::{DeriveFn, Num, derive};

use crate::error::{InfluxqlError, Result};
use crate::value::Value;

/// A point of one field: time and value.
pub type Pt = (i64, Value);

pub const AGGREGATES: &[&str] = &[
    "count", "distinct", "integral", "mean", "median", "mode", "spread", "stddev", "sum",
];
pub const SELECTORS: &[&str] = &["first", "last", "max", "min", "percentile", "top", "bottom"];
pub const TRANSFORMS: &[&str] = &[
    "derivative",
    "non_negative_derivative",
    "difference",
    "non_negative_difference",
    "moving_average",
    "cumulative_sum",
    "elapsed",
];
pub const MATH: &[&str] = &[
    "abs", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp", "ln", "log", "log2",
    "log10", "sqrt", "pow", "floor", "ceil", "round",
];

pub fn is_aggregate(name: &str) -> bool {
    AGGREGATES.contains(&name) || SELECTORS.contains(&name)
}

/// One aggregate or selector over the points of a bucket (in time order): the value and,
/// for a selector, the time of the point it picked. `arg` is the numeric argument of
/// `percentile` and `integral`'s unit.
pub fn aggregate(name: &str, pts: &[Pt], arg: Option<f64>) -> Result<(Value, Option<i64>)> {
    if pts.is_empty() {
        return Ok((
            if name == "count" {
                Value::Int(0)
            } else {
                Value::Null
            },
            None,
        ));
    }
    let numeric = || -> Result<Vec<f64>> {
        check_numeric(name, pts)?;
        Ok(pts.iter().filter_map(|(_, v)| v.as_f64()).collect())
    };
    let all_int = pts.iter().all(|(_, v)| matches!(v, Value::Int(_)));
    Ok(match name {
        "count" => (Value::Int(pts.len() as i64), None),
        "sum" => {
            if all_int {
                let s = pts.iter().fold(0i64, |a, (_, v)| match v {
                    Value::Int(n) => a.wrapping_add(*n),
                    _ => a,
                });
                (Value::Int(s), None)
            } else {
                (Value::Float(numeric()?.iter().sum()), None)
            }
        }
        "mean" => {
            let v = numeric()?;
            (Value::Float(v.iter().sum::<f64>() / v.len() as f64), None)
        }
        "median" => {
            let mut v = numeric()?;
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let m = if n % 2 == 1 {
                v[n / 2]
            } else {
                v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2.0
            };
            (Value::Float(m), None)
        }
        "spread" => {
            if all_int {
                let (lo, hi) = pts.iter().fold((i64::MAX, i64::MIN), |(lo, hi), (_, v)| {
                    let n = if let Value::Int(n) = v { *n } else { 0 };
                    (lo.min(n), hi.max(n))
                });
                (Value::Int(hi.wrapping_sub(lo)), None)
            } else {
                let v = numeric()?;
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (Value::Float(hi - lo), None)
            }
        }
        "stddev" => {
            let v = numeric()?;
            if v.len() < 2 {
                (Value::Null, None)
            } else {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                let var =
                    v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (v.len() - 1) as f64;
                (Value::Float(var.sqrt()), None)
            }
        }
        "mode" => {
            // The most frequent value; ties go to the smallest (InfluxDB sorts first).
            let mut sorted: Vec<&Value> = pts.iter().map(|(_, v)| v).collect();
            sorted.sort_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal));
            let mut best: Option<(&Value, usize)> = None;
            let mut i = 0;
            while i < sorted.len() {
                let mut j = i;
                while j < sorted.len() && sorted[j] == sorted[i] {
                    j += 1;
                }
                if best.is_none_or(|(_, n)| j - i > n) {
                    best = Some((sorted[i], j - i));
                }
                i = j;
            }
            (best.map_or(Value::Null, |(v, _)| v.clone()), None)
        }
        "integral" => {
            let unit = arg.unwrap_or(1e9);
            let v = numeric()?;
            let mut area = 0.0;
            for i in 1..pts.len() {
                let dt = (pts[i].0 - pts[i - 1].0) as f64;
                area += (v[i] + v[i - 1]) / 2.0 * dt / unit;
            }
            (Value::Float(area), None)
        }
        "first" => (pts[0].1.clone(), Some(pts[0].0)),
        "last" => {
            let p = &pts[pts.len() - 1];
            (p.1.clone(), Some(p.0))
        }
        "max" | "min" => {
            check_numeric(name, pts)?;
            let mut best = &pts[0];
            for p in &pts[1..] {
                let ord = p.1.compare(&best.1);
                let better = if name == "max" {
                    ord == Some(std::cmp::Ordering::Greater)
                } else {
                    ord == Some(std::cmp::Ordering::Less)
                };
                if better {
                    best = p;
                }
            }
            (best.1.clone(), Some(best.0))
        }
        "percentile" => {
            check_numeric(name, pts)?;
            let pct = arg.unwrap_or(50.0);
            let mut sorted: Vec<&Pt> = pts.iter().collect();
            sorted.sort_by(|a, b| a.1.compare(&b.1).unwrap_or(std::cmp::Ordering::Equal));
            // InfluxDB: the value at rank floor(n * p / 100 + 0.5) - 1.
            let n = sorted.len() as f64;
            let rank = (n * pct / 100.0 + 0.5).floor() as i64 - 1;
            if rank < 0 || rank >= sorted.len() as i64 {
                (Value::Null, None)
            } else {
                let p = sorted[rank as usize];
                (p.1.clone(), Some(p.0))
            }
        }
        other => {
            return Err(InfluxqlError::invalid(format!(
                "undefined function {other}()"
            )));
        }
    })
}

/// An error naming the first value a numeric function cannot take.
fn check_numeric(name: &str, pts: &[Pt]) -> Result<()> {
    match pts.iter().find(|(_, v)| v.as_f64().is_none()) {
        Some((_, v)) => Err(InfluxqlError::invalid(format!(
            "unsupported {name} iterator type: {}",
            iterator_type(v)
        ))),
        None => Ok(()),
    }
}

/// The Go iterator type InfluxDB names when a function gets values it cannot take.
fn iterator_type(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "*query.stringInterruptIterator",
        Value::Bool(_) => "*query.booleanInterruptIterator",
        _ => "*query.floatInterruptIterator",
    }
}

/// `distinct`: each distinct value once, in order of first appearance... sorted like
/// InfluxDB (by value).
pub fn distinct(pts: &[Pt]) -> Vec<Value> {
    let mut seen: HashMap<String, Value> = HashMap::new();
    for (_, v) in pts {
        seen.entry(v.key()).or_insert_with(|| v.clone());
    }
    let mut out: Vec<Value> = seen.into_values().collect();
    out.sort_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal));
    out
}

/// `top`/`bottom`: the `n` largest (smallest) points, at most one per distinct value of
/// `key` when given (the tag values of each point, `key(i)`), returned in time order.
pub fn top_bottom(
    top: bool,
    pts: &[Pt],
    n: usize,
    key: Option<&dyn Fn(usize) -> String>,
) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..pts.len()).collect();
    idx.sort_by(|&a, &b| {
        let ord = pts[a]
            .1
            .compare(&pts[b].1)
            .unwrap_or(std::cmp::Ordering::Equal);
        let ord = if top { ord.reverse() } else { ord };
        ord.then(pts[a].0.cmp(&pts[b].0))
    });
    let mut chosen = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for i in idx {
        if chosen.len() == n {
            break;
        }
        if let Some(k) = key {
            if !keys.insert(k(i)) {
                continue;
            }
        }
        chosen.push(i);
    }
    chosen.sort_by_key(|&i| (pts[i].0, i));
    chosen
}

/// A transformation of a sequence of points in time order ([`strata_query::derive`], the
/// JSON query's too); `unit` in nanoseconds (derivative's unit, elapsed's unit) and `n`
/// (moving_average's window).
pub fn transform(name: &str, pts: &[Pt], unit: i64, n: usize) -> Result<Vec<Pt>> {
    let Some(f) = DeriveFn::parse(name) else {
        return Err(InfluxqlError::invalid(format!(
            "undefined function {name}()"
        )));
    };
    check_numeric(name, pts)?;
    let nums: Vec<(i64, Num)> = pts
        .iter()
        .filter_map(|(t, v)| {
            Some((
                *t,
                match v {
                    Value::Int(n) => Num::Int(*n),
                    v => Num::Float(v.as_f64()?),
                },
            ))
        })
        .collect();
    Ok(derive(f, &nums, unit, n)
        .into_iter()
        .map(|(t, v)| {
            (
                t,
                match v {
                    Num::Int(n) => Value::Int(n),
                    Num::Float(f) => Value::Float(f),
                },
            )
        })
        .collect())
}

/// A math function of its argument values.
pub fn math(name: &str, args: &[Value]) -> Result<Value> {
    let x = match args.first() {
        Some(Value::Null) | None => return Ok(Value::Null),
        Some(v) => v,
    };
    let Some(f) = x.as_f64() else {
        return Ok(Value::Null);
    };
    let second = || args.get(1).and_then(Value::as_f64);
    let r = match name {
        "abs" => {
            if let Value::Int(n) = x {
                return Ok(Value::Int(n.wrapping_abs()));
            }
            f.abs()
        }
        "floor" | "ceil" | "round" => {
            if let Value::Int(n) = x {
                return Ok(Value::Int(*n));
            }
            match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                _ => f.round(),
            }
        }
        "sin" => f.sin(),
        "cos" => f.cos(),
        "tan" => f.tan(),
        "asin" => f.asin(),
        "acos" => f.acos(),
        "atan" => f.atan(),
        "atan2" => match second() {
            Some(y) => f.atan2(y),
            None => return Ok(Value::Null),
        },
        "exp" => f.exp(),
        "ln" => f.ln(),
        "log" => match second() {
            Some(b) => f.ln() / b.ln(),
            None => return Ok(Value::Null),
        },
        "log2" => f.log2(),
        "log10" => f.log10(),
        "sqrt" => f.sqrt(),
        "pow" => match second() {
            Some(y) => f.powf(y),
            None => return Ok(Value::Null),
        },
        other => {
            return Err(InfluxqlError::invalid(format!(
                "undefined function {other}()"
            )));
        }
    };
    Ok(if r.is_nan() {
        Value::Null
    } else {
        Value::Float(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[f64]) -> Vec<Pt> {
        v.iter()
            .enumerate()
            .map(|(i, x)| (i as i64 * 10, Value::Float(*x)))
            .collect()
    }

    #[test]
    fn aggregates_and_selectors() {
        let p = pts(&[3.0, 1.0, 2.0, 5.0]);
        assert_eq!(aggregate("mean", &p, None).unwrap().0, Value::Float(2.75));
        assert_eq!(aggregate("median", &p, None).unwrap().0, Value::Float(2.5));
        assert_eq!(
            aggregate("max", &p, None).unwrap(),
            (Value::Float(5.0), Some(30))
        );
        assert_eq!(aggregate("count", &[], None).unwrap().0, Value::Int(0));
        assert_eq!(
            aggregate("percentile", &p, Some(50.0)).unwrap().0,
            Value::Float(2.0)
        );
        assert!(aggregate("mean", &[(0, Value::Str("x".into()))], None).is_err());
        assert_eq!(top_bottom(true, &p, 2, None), vec![0, 3]);
    }

    #[test]
    fn transforms() {
        let p = pts(&[1.0, 3.0, 2.0]);
        let d = transform("derivative", &p, 10, 0).unwrap();
        assert_eq!(d, vec![(10, Value::Float(2.0)), (20, Value::Float(-1.0))]);
        let d = transform("non_negative_difference", &p, 1, 0).unwrap();
        assert_eq!(d, vec![(10, Value::Float(2.0))]);
        let m = transform("moving_average", &p, 1, 2).unwrap();
        assert_eq!(m, vec![(10, Value::Float(2.0)), (20, Value::Float(2.5))]);
        assert_eq!(math("sqrt", &[Value::Float(-1.0)]).unwrap(), Value::Null);
    }
}
