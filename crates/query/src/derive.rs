//! Derived functions of a sequence of values in time order, shared by the JSON query
//! (`"derive"`) and InfluxQL (`derivative(...)` and the others): `derivative` and
//! `non_negative_derivative` (change per `unit` of time), `difference` and
//! `non_negative_difference`, `moving_average` over `window` values, `cumulative_sum`,
//! `elapsed` (time between values in `unit`s). As in InfluxDB: the first value has no
//! derivative, difference or elapsed time (so it yields nothing), a moving average starts at
//! the `window`-th value, values at a repeated time are skipped by derivatives and
//! differences, negative results of the non-negative forms are dropped, and integers stay
//! integers through `difference`, `cumulative_sum` and `elapsed`.

use serde::Deserialize;

/// A number as the derived functions see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Float(f64),
    Int(i64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Float(f) => f,
            Num::Int(n) => n as f64,
        }
    }
}

/// The functions (JSON names in snake case, as InfluxQL's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeriveFn {
    Derivative,
    NonNegativeDerivative,
    Difference,
    NonNegativeDifference,
    MovingAverage,
    CumulativeSum,
    Elapsed,
}

impl DeriveFn {
    /// InfluxQL's name of the function.
    pub fn parse(name: &str) -> Option<DeriveFn> {
        Some(match name {
            "derivative" => DeriveFn::Derivative,
            "non_negative_derivative" => DeriveFn::NonNegativeDerivative,
            "difference" => DeriveFn::Difference,
            "non_negative_difference" => DeriveFn::NonNegativeDifference,
            "moving_average" => DeriveFn::MovingAverage,
            "cumulative_sum" => DeriveFn::CumulativeSum,
            "elapsed" => DeriveFn::Elapsed,
            _ => return None,
        })
    }
}

/// Applies `f` to `pts` (time order). `unit` is the time unit of derivatives and `elapsed`
/// (in the points' time unit, positive); `window` the moving average's width (> 0).
pub fn derive(f: DeriveFn, pts: &[(i64, Num)], unit: i64, window: usize) -> Vec<(i64, Num)> {
    let mut out = Vec::with_capacity(pts.len());
    match f {
        DeriveFn::Derivative
        | DeriveFn::NonNegativeDerivative
        | DeriveFn::Difference
        | DeriveFn::NonNegativeDifference => {
            let rate = matches!(f, DeriveFn::Derivative | DeriveFn::NonNegativeDerivative);
            let non_negative = matches!(
                f,
                DeriveFn::NonNegativeDerivative | DeriveFn::NonNegativeDifference
            );
            let mut prev: Option<(i64, Num)> = None;
            for &(t, v) in pts {
                if let Some((pt, pv)) = prev {
                    if t == pt {
                        continue;
                    }
                    let d = match (rate, pv, v) {
                        (false, Num::Int(a), Num::Int(b)) => Num::Int(b.wrapping_sub(a)),
                        (false, a, b) => Num::Float(b.as_f64() - a.as_f64()),
                        (true, a, b) => Num::Float(
                            (b.as_f64() - a.as_f64()) / ((t - pt) as f64 / unit.max(1) as f64),
                        ),
                    };
                    if !(non_negative && d.as_f64() < 0.0) {
                        out.push((t, d));
                    }
                }
                prev = Some((t, v));
            }
        }
        DeriveFn::MovingAverage => {
            let n = window.max(1);
            let mut sum = 0.0;
            for (i, &(t, v)) in pts.iter().enumerate() {
                sum += v.as_f64();
                if i >= n {
                    sum -= pts[i - n].1.as_f64();
                }
                if i + 1 >= n {
                    out.push((t, Num::Float(sum / n as f64)));
                }
            }
        }
        DeriveFn::CumulativeSum => {
            let mut acc: Option<Num> = None;
            for &(t, v) in pts {
                let next = match (acc, v) {
                    (None, v) => v,
                    (Some(Num::Int(a)), Num::Int(b)) => Num::Int(a.wrapping_add(b)),
                    (Some(a), b) => Num::Float(a.as_f64() + b.as_f64()),
                };
                acc = Some(next);
                out.push((t, next));
            }
        }
        DeriveFn::Elapsed => {
            for w in pts.windows(2) {
                out.push((w[1].0, Num::Int((w[1].0 - w[0].0) / unit.max(1))));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: &[f64]) -> Vec<(i64, Num)> {
        v.iter()
            .enumerate()
            .map(|(i, x)| (i as i64 * 10, Num::Float(*x)))
            .collect()
    }

    #[test]
    fn like_influxdb() {
        let p = f(&[1.0, 3.0, 2.0]);
        assert_eq!(
            derive(DeriveFn::Derivative, &p, 10, 0),
            vec![(10, Num::Float(2.0)), (20, Num::Float(-1.0))]
        );
        assert_eq!(
            derive(DeriveFn::NonNegativeDifference, &p, 1, 0),
            vec![(10, Num::Float(2.0))]
        );
        assert_eq!(
            derive(DeriveFn::MovingAverage, &p, 1, 2),
            vec![(10, Num::Float(2.0)), (20, Num::Float(2.5))]
        );
        let ints = [(0, Num::Int(2)), (5, Num::Int(3))];
        assert_eq!(
            derive(DeriveFn::CumulativeSum, &ints, 1, 0),
            vec![(0, Num::Int(2)), (5, Num::Int(5))]
        );
        assert_eq!(
            derive(DeriveFn::Difference, &ints, 1, 0),
            vec![(5, Num::Int(1))]
        );
        assert_eq!(
            derive(DeriveFn::Elapsed, &ints, 5, 0),
            vec![(5, Num::Int(1))]
        );
        assert_eq!(
            DeriveFn::parse("cumulative_sum"),
            Some(DeriveFn::CumulativeSum)
        );
    }
}
