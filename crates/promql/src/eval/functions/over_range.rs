//! Functions of a range vector, one window at a time: `rate`, `increase`, `delta` (with
//! Prometheus' extrapolation and counter resets), `irate`, `idelta`, `deriv`,
//! `predict_linear`, `changes`, `resets` and the `*_over_time` family.

use crate::eval::functions::quantile;
use crate::select::samples::Sample;

/// What a range function sees at one step.
pub struct Window<'a> {
    pub samples: &'a [Sample],
    /// The window's end (`t - offset`, or the `@` time) and length, in ns.
    pub end: i64,
    pub range: i64,
    /// The evaluation time, in ns (`predict_linear`'s intercept).
    pub eval_time: i64,
    /// The function's scalar argument at this step (`quantile_over_time`'s φ,
    /// `predict_linear`'s t, `holt_winters`' smoothing factor).
    pub param: f64,
    /// A second scalar argument (`holt_winters`' trend factor).
    pub param2: f64,
}

/// A range function.
pub type RangeFn = fn(&Window<'_>) -> Option<f64>;

/// The range function named `name`, if it is one.
pub fn lookup(name: &str) -> Option<RangeFn> {
    Some(match name {
        "rate" => |w| extrapolated(w, true, true),
        "increase" => |w| extrapolated(w, true, false),
        "delta" => |w| extrapolated(w, false, false),
        "irate" => |w| instant_change(w, true),
        "idelta" => |w| instant_change(w, false),
        "deriv" => deriv,
        "predict_linear" => predict_linear,
        "changes" => changes,
        "resets" => resets,
        "avg_over_time" => |w| nonempty(w).map(avg),
        "sum_over_time" => |w| nonempty(w).map(|s| s.iter().map(|x| x.v).sum()),
        "count_over_time" => |w| nonempty(w).map(|s| s.len() as f64),
        "min_over_time" => |w| nonempty(w).map(|s| fold_extreme(s, |a, b| b < a)),
        "max_over_time" => |w| nonempty(w).map(|s| fold_extreme(s, |a, b| b > a)),
        "last_over_time" => |w| w.samples.last().map(|s| s.v),
        "present_over_time" => |w| nonempty(w).map(|_| 1.0),
        "stddev_over_time" => |w| nonempty(w).map(|s| variance(s).sqrt()),
        "stdvar_over_time" => |w| nonempty(w).map(variance),
        "holt_winters" => holt_winters,
        "quantile_over_time" => |w| {
            nonempty(w).map(|s| {
                let mut values: Vec<f64> = s.iter().map(|x| x.v).collect();
                quantile(w.param, &mut values)
            })
        },
        _ => return None,
    })
}

fn nonempty<'a>(w: &Window<'a>) -> Option<&'a [Sample]> {
    (!w.samples.is_empty()).then_some(w.samples)
}

fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// Prometheus' `extrapolatedRate`: the change over the window, counter resets added back for
/// counters, extrapolated towards the window's edges when the samples come close to them.
fn extrapolated(w: &Window<'_>, is_counter: bool, is_rate: bool) -> Option<f64> {
    let s = w.samples;
    if s.len() < 2 {
        return None;
    }
    let (first, last) = (s[0], s[s.len() - 1]);
    let mut result = last.v - first.v;
    if is_counter {
        let mut prev = first.v;
        for x in &s[1..] {
            if x.v < prev {
                result += prev;
            }
            prev = x.v;
        }
    }
    let range_start = w.end.saturating_sub(w.range);
    let mut to_start = secs(first.t - range_start);
    let to_end = secs(w.end - last.t);
    let sampled = secs(last.t - first.t);
    let average = sampled / (s.len() - 1) as f64;
    if is_counter && result > 0.0 && first.v >= 0.0 {
        let to_zero = sampled * (first.v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    let mut factor = interval / sampled;
    if is_rate {
        factor /= secs(w.range);
    }
    Some(result * factor)
}

/// `irate` and `idelta`: from the last two samples.
fn instant_change(w: &Window<'_>, is_rate: bool) -> Option<f64> {
    let s = w.samples;
    if s.len() < 2 {
        return None;
    }
    let (prev, last) = (s[s.len() - 2], s[s.len() - 1]);
    let mut result = last.v - prev.v;
    if is_rate && last.v < prev.v {
        result = last.v;
    }
    let interval = last.t - prev.t;
    if interval == 0 {
        return None;
    }
    if is_rate {
        result /= secs(interval);
    }
    Some(result)
}

/// Least-squares slope and intercept of the samples, times in seconds from `intercept_time`.
fn linear_regression(s: &[Sample], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut sum_y, mut sum_xy, mut sum_x2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let first = s[0].v;
    let mut constant = true;
    for x in s {
        if x.v != first {
            constant = false;
        }
        let t = secs(x.t - intercept_time);
        n += 1.0;
        sum_y += x.v;
        sum_x += t;
        sum_xy += t * x.v;
        sum_x2 += t * t;
    }
    if constant && first.is_finite() {
        return (0.0, first);
    }
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    (slope, sum_y / n - slope * sum_x / n)
}

fn deriv(w: &Window<'_>) -> Option<f64> {
    (w.samples.len() >= 2).then(|| linear_regression(w.samples, w.samples[0].t).0)
}

fn predict_linear(w: &Window<'_>) -> Option<f64> {
    if w.samples.len() < 2 {
        return None;
    }
    let (slope, intercept) = linear_regression(w.samples, w.eval_time);
    Some(slope * w.param + intercept)
}

/// `holt_winters(v, sf, tf)`: double exponential smoothing (the factors are checked by the
/// caller).
fn holt_winters(w: &Window<'_>) -> Option<f64> {
    let s = w.samples;
    if s.len() < 2 {
        return None;
    }
    let (sf, tf) = (w.param, w.param2);
    let (mut s0, mut s1) = (0.0f64, s[0].v);
    let mut b = s[1].v - s[0].v;
    for (i, x) in s.iter().enumerate().skip(1) {
        let scaled = sf * x.v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, scaled + y);
    }
    Some(s1)
}

fn changes(w: &Window<'_>) -> Option<f64> {
    let s = nonempty(w)?;
    let n = s
        .windows(2)
        .filter(|p| p[0].v != p[1].v && !(p[0].v.is_nan() && p[1].v.is_nan()))
        .count();
    Some(n as f64)
}

fn resets(w: &Window<'_>) -> Option<f64> {
    let s = nonempty(w)?;
    Some(s.windows(2).filter(|p| p[1].v < p[0].v).count() as f64)
}

/// The running mean Prometheus 2.42 uses (no overflow to infinity on large values).
fn avg(s: &[Sample]) -> f64 {
    let (mut mean, mut count) = (0.0f64, 0.0f64);
    for x in s {
        count += 1.0;
        if mean.is_infinite() {
            if x.v.is_infinite() && (mean > 0.0) == (x.v > 0.0) {
                continue;
            }
            if !x.v.is_infinite() && !x.v.is_nan() {
                continue;
            }
        }
        mean += x.v / count - mean / count;
    }
    mean
}

/// `min_over_time` / `max_over_time`: NaN only when every value is NaN.
fn fold_extreme(s: &[Sample], better: fn(f64, f64) -> bool) -> f64 {
    let mut acc = s[0].v;
    for x in &s[1..] {
        if better(acc, x.v) || acc.is_nan() {
            acc = x.v;
        }
    }
    acc
}

/// Population variance by Welford's method.
fn variance(s: &[Sample]) -> f64 {
    let (mut count, mut mean, mut aux) = (0.0f64, 0.0f64, 0.0f64);
    for x in s {
        count += 1.0;
        let delta = x.v - mean;
        mean += delta / count;
        aux += delta * (x.v - mean);
    }
    aux / count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(samples: &[(i64, f64)], end: i64, range: i64) -> Vec<Sample> {
        let _ = (end, range);
        samples
            .iter()
            .map(|&(t, v)| Sample {
                t: t * 1_000_000_000,
                v,
            })
            .collect()
    }

    fn window<'a>(s: &'a [Sample], end: i64, range: i64) -> Window<'a> {
        Window {
            samples: s,
            end: end * 1_000_000_000,
            range: range * 1_000_000_000,
            eval_time: end * 1_000_000_000,
            param: 0.0,
            param2: 0.0,
        }
    }

    #[test]
    fn rate_extrapolates_like_prometheus() {
        // A counter 0, 10, 20, ... every 15 s; window (0, 60]: samples at 15..60.
        let s = w(&[(15, 10.0), (30, 20.0), (45, 30.0), (60, 40.0)], 60, 60);
        let win = window(&s, 60, 60);
        // Sampled 45 s, to start 15 s (< 1.1 * 15): interval 60 s but the zero point is
        // 15 s before the first sample: increase 30 * 60/45 = 40.
        assert!((extrapolated(&win, true, false).unwrap() - 40.0).abs() < 1e-9);
        assert!((extrapolated(&win, true, true).unwrap() - 40.0 / 60.0).abs() < 1e-12);
        // A reset adds the value before it back.
        let s = w(&[(15, 10.0), (30, 20.0), (45, 5.0), (60, 15.0)], 60, 60);
        let inc = extrapolated(&window(&s, 60, 60), true, false).unwrap();
        assert!((inc - 25.0 * 60.0 / 45.0).abs() < 1e-9, "{inc}");
        assert_eq!(extrapolated(&window(&s[..1], 60, 60), true, false), None);
    }

    #[test]
    fn instant_and_regression() {
        let s = w(&[(0, 1.0), (10, 5.0), (20, 2.0)], 20, 30);
        assert_eq!(instant_change(&window(&s, 20, 30), true), Some(0.2));
        assert_eq!(instant_change(&window(&s, 20, 30), false), Some(-3.0));
        let line = w(&[(0, 1.0), (10, 3.0), (20, 5.0)], 20, 30);
        assert!((deriv(&window(&line, 20, 30)).unwrap() - 0.2).abs() < 1e-12);
        let mut pw = window(&line, 20, 30);
        pw.param = 10.0;
        assert!((predict_linear(&pw).unwrap() - 7.0).abs() < 1e-9);
        assert_eq!(changes(&window(&s, 20, 30)), Some(2.0));
        assert_eq!(resets(&window(&s, 20, 30)), Some(1.0));
        assert!((variance(&line) - 8.0 / 3.0).abs() < 1e-12);
        assert_eq!(avg(&line), 3.0);
        let nan = w(&[(0, f64::NAN), (1, 2.0), (2, 1.0)], 2, 2);
        assert_eq!(fold_extreme(&nan, |a, b| b > a), 2.0);
    }
}
