//! Function calls: range functions window by window ([`over_range`]), value-wise functions
//! ([`math`]), `histogram_quantile` ([`histogram`]) and the functions of labels, time and
//! types written here. Names follow Prometheus 2.42; functions only later versions have are
//! refused by name.

mod histogram;
mod math;
mod over_range;

use promql_parser::parser::{Call, Expr};
use regex::Regex;

use super::value::{Groups, Series, Steps, Value, by_step, duplicate_labelset, merge_same_labels};
use super::{Evaluator, offset_ns};
use crate::error::{PromqlError, Result};
use crate::model::labels::{Labels, METRIC_NAME};
use crate::model::number::cmp_nan_last;
use crate::select::samples::{is_stale, load_into};
use histogram::{Bucket, bucket_quantile};

/// The φ-quantile of `values` as Prometheus computes it (NaNs sort first).
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

fn seconds(ns: i64) -> f64 {
    ns as f64 / 1e9
}

impl Evaluator<'_> {
    pub(super) fn call(&self, c: &Call, steps: &Steps) -> Result<Value> {
        let name = c.func.name;
        let args: Vec<&Expr> = c.args.args.iter().map(|a| a.as_ref()).collect();
        let arg = |i: usize| {
            args.get(i)
                .copied()
                .ok_or_else(|| PromqlError::bad(format!("missing argument {} of {name}()", i + 1)))
        };
        if let Some(f) = over_range::lookup(name) {
            let (range_arg, param, param2) = match name {
                "quantile_over_time" => (arg(1)?, Some(arg(0)?), None),
                "predict_linear" => (arg(0)?, Some(arg(1)?), None),
                "holt_winters" => (arg(0)?, Some(arg(1)?), Some(arg(2)?)),
                _ => (arg(0)?, None, None),
            };
            return self.range_function(name, f, range_arg, (param, param2), steps);
        }
        if let Some(f) = math::lookup(name) {
            let input = match args.first() {
                Some(a) => self.eval(a, steps)?.into_vector()?,
                None if math::is_calendar(name) => time_vector(steps),
                None => return Err(PromqlError::bad(format!("missing argument of {name}()"))),
            };
            return map_values(input, f);
        }
        match name {
            "time" => Ok(Value::Scalar(
                (0..steps.count).map(|k| seconds(steps.at(k))).collect(),
            )),
            "pi" => Ok(Value::Scalar(vec![std::f64::consts::PI; steps.count])),
            "vector" => {
                let v = self.eval(arg(0)?, steps)?.into_scalar()?;
                Ok(Value::Vector(vec![Series {
                    labels: Labels::default(),
                    points: v
                        .into_iter()
                        .enumerate()
                        .map(|(k, v)| (k as u32, v))
                        .collect(),
                }]))
            }
            "scalar" => {
                let input = self.eval(arg(0)?, steps)?.into_vector()?;
                let mut out = vec![f64::NAN; steps.count];
                for (k, at_step) in by_step(&input, steps.count).into_iter().enumerate() {
                    if let [(_, v)] = at_step[..] {
                        out[k] = v;
                    }
                }
                Ok(Value::Scalar(out))
            }
            "timestamp" => self.timestamp(arg(0)?, steps),
            "absent" => {
                let input = self.eval(arg(0)?, steps)?.into_vector()?;
                let present = by_step(&input, steps.count);
                Ok(Value::Vector(absent(
                    arg(0)?,
                    present.iter().map(|v| !v.is_empty()),
                )))
            }
            "absent_over_time" => {
                let input = self.range_input(arg(0)?, steps)?;
                let mut present = vec![false; steps.count];
                input.for_each(self, |_, samples| {
                    for (k, w) in input.windows(samples, steps) {
                        present[k] |= !w.is_empty();
                    }
                    Ok(())
                })?;
                Ok(Value::Vector(absent(arg(0)?, present.into_iter())))
            }
            "sort" | "sort_desc" => {
                let mut input = self.eval(arg(0)?, steps)?.into_vector()?;
                // Only an instant query's order shows; NaN sorts last both ways.
                if steps.count == 1 {
                    let desc = name == "sort_desc";
                    let value = |s: &Series| s.points.first().map_or(f64::NAN, |p| p.1);
                    input.sort_by(|a, b| cmp_nan_last(value(a), value(b), desc));
                }
                Ok(Value::Vector(input))
            }
            "clamp" | "clamp_min" | "clamp_max" | "round" => self.clamp_round(name, &args, steps),
            "label_replace" => self.label_replace(&args, steps),
            "label_join" => self.label_join(&args, steps),
            "histogram_quantile" => self.histogram_quantile(arg(0)?, arg(1)?, steps),
            other => Err(PromqlError::bad(format!(
                "function {other:?} is not supported (Strata implements PromQL as of Prometheus 2.42)"
            ))),
        }
    }

    fn range_function(
        &self,
        name: &str,
        f: over_range::RangeFn,
        range_arg: &Expr,
        (param, param2): (Option<&Expr>, Option<&Expr>),
        steps: &Steps,
    ) -> Result<Value> {
        let scalar = |p: Option<&Expr>| match p {
            Some(p) => self.eval(p, steps)?.into_scalar(),
            None => Ok(vec![0.0; steps.count]),
        };
        let params = scalar(param)?;
        let params2 = scalar(param2)?;
        let input = self.range_input(range_arg, steps)?;
        let keep_name = name == "last_over_time";
        let out = input.map(self, |labels, samples| {
            let mut points = Vec::new();
            for (k, window) in input.windows(samples, steps) {
                if window.is_empty() {
                    continue;
                }
                let t = steps.at(k);
                if name == "holt_winters" {
                    check_holt_winters(params[k], params2[k])?;
                }
                let w = over_range::Window {
                    samples: window,
                    end: input.window_end(t),
                    range: input.range,
                    eval_time: if input.has_at() { self.query_start } else { t },
                    param: params[k],
                    param2: params2[k],
                };
                if let Some(v) = f(&w) {
                    points.push((k as u32, v));
                }
            }
            if points.is_empty() {
                return Ok(None);
            }
            self.hold(points.len())?;
            let labels = if keep_name {
                labels.clone()
            } else {
                labels.clone().without_name()
            };
            Ok(Some(Series { labels, points }))
        })?;
        // Each input series gives its own output series: equal labels are an error.
        let mut seen = hashbrown::HashSet::with_capacity(out.len());
        if out.iter().any(|s| !seen.insert(&s.labels)) {
            return Err(duplicate_labelset());
        }
        drop(seen);
        Ok(Value::Vector(out))
    }

    /// `timestamp(v)`: the sample's own time for a selector, else the evaluation time.
    fn timestamp(&self, arg: &Expr, steps: &Steps) -> Result<Value> {
        let mut inner = arg;
        while let Expr::Paren(p) = inner {
            inner = &p.expr;
        }
        let Expr::VectorSelector(vs) = inner else {
            let input = self.eval(arg, steps)?.into_vector()?;
            let out = input
                .into_iter()
                .map(|s| Series {
                    labels: s.labels.without_name(),
                    points: s
                        .points
                        .into_iter()
                        .map(|(k, _)| (k, seconds(steps.at(k as usize))))
                        .collect(),
                })
                .collect();
            return Ok(Value::Vector(merge_same_labels(out)?));
        };
        let at = self.at_time(vs.at.as_ref());
        let offset = offset_ns(vs.offset.as_ref());
        let lookback = super::duration_ns(self.options.lookback_delta);
        let first = self.reference(steps.start, at, offset);
        let last = self.reference(steps.end(), at, offset);
        let mut out = Vec::new();
        for s in self.select(vs)? {
            let mut samples = Vec::new();
            load_into(
                self.snapshot,
                s.id,
                &s.field,
                first.saturating_sub(lookback),
                last,
                &mut samples,
            )?;
            self.check_held(samples.len())?;
            let mut points = Vec::new();
            for k in 0..steps.count {
                let r = self.reference(steps.at(k), at, offset);
                let j = samples.partition_point(|x| x.t <= r);
                if j > 0 {
                    let x = samples[j - 1];
                    if x.t >= r.saturating_sub(lookback) && !is_stale(x.v) {
                        points.push((k as u32, seconds(x.t)));
                    }
                }
            }
            if !points.is_empty() {
                out.push(Series {
                    labels: s.labels.without_name(),
                    points,
                });
            }
        }
        Ok(Value::Vector(merge_same_labels(out)?))
    }

    fn clamp_round(&self, name: &str, args: &[&Expr], steps: &Steps) -> Result<Value> {
        let input = self.vector_arg(args, name, steps)?;
        let scalar = |i: usize, default: f64| -> Result<Vec<f64>> {
            match args.get(i) {
                Some(a) => self.eval(a, steps)?.into_scalar(),
                None => Ok(vec![default; steps.count]),
            }
        };
        let (a, b) = match name {
            "clamp" => (scalar(1, f64::NAN)?, scalar(2, f64::NAN)?),
            "round" => (scalar(1, 1.0)?, Vec::new()),
            _ => (scalar(1, f64::NAN)?, Vec::new()),
        };
        let out = input
            .into_iter()
            .map(|s| Series {
                labels: s.labels.without_name(),
                points: s
                    .points
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let x = a[k as usize];
                        let r = match name {
                            "clamp" => {
                                let max = b[k as usize];
                                if max < x {
                                    return None;
                                }
                                math::go_max(x, math::go_min(max, v))
                            }
                            "clamp_min" => math::go_max(x, v),
                            "clamp_max" => math::go_min(x, v),
                            _ => math::round(v, x),
                        };
                        Some((k, r))
                    })
                    .collect(),
            })
            .collect();
        Ok(Value::Vector(merge_same_labels(out)?))
    }

    /// The first argument, an instant vector.
    fn vector_arg(&self, args: &[&Expr], func: &str, steps: &Steps) -> Result<Vec<Series>> {
        let first = args
            .first()
            .copied()
            .ok_or_else(|| PromqlError::bad(format!("missing argument of {func}()")))?;
        self.eval(first, steps)?.into_vector()
    }

    fn string_arg(&self, args: &[&Expr], i: usize, func: &str) -> Result<String> {
        match args.get(i) {
            Some(Expr::StringLiteral(s)) => Ok(s.val.clone()),
            Some(Expr::Paren(p)) => self.string_arg(&[&p.expr], 0, func),
            _ => Err(PromqlError::bad(format!(
                "expected a string literal as argument {} of {func}()",
                i + 1
            ))),
        }
    }

    fn label_replace(&self, args: &[&Expr], steps: &Steps) -> Result<Value> {
        let input = self.vector_arg(args, "label_replace", steps)?;
        let dst = self.string_arg(args, 1, "label_replace")?;
        let replacement = self.string_arg(args, 2, "label_replace")?;
        let src = self.string_arg(args, 3, "label_replace")?;
        let pattern = self.string_arg(args, 4, "label_replace")?;
        let re = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            PromqlError::exec(format!(
                "invalid regular expression in label_replace(): {pattern}: {e}"
            ))
        })?;
        check_destination(&dst, "label_replace")?;
        let out = input
            .into_iter()
            .map(|mut s| {
                let value = s.labels.get(&src).to_string();
                if let Some(caps) = re.captures(&value) {
                    let mut res = String::new();
                    caps.expand(&replacement, &mut res);
                    s.labels.set(&dst, &res);
                }
                s
            })
            .collect();
        Ok(Value::Vector(merge_same_labels(out)?))
    }

    fn label_join(&self, args: &[&Expr], steps: &Steps) -> Result<Value> {
        let input = self.vector_arg(args, "label_join", steps)?;
        let dst = self.string_arg(args, 1, "label_join")?;
        let sep = self.string_arg(args, 2, "label_join")?;
        let srcs = (3..args.len())
            .map(|i| self.string_arg(args, i, "label_join"))
            .collect::<Result<Vec<_>>>()?;
        check_destination(&dst, "label_join")?;
        let out = input
            .into_iter()
            .map(|mut s| {
                let joined = srcs
                    .iter()
                    .map(|l| s.labels.get(l))
                    .collect::<Vec<_>>()
                    .join(&sep);
                s.labels.set(&dst, &joined);
                s
            })
            .collect();
        Ok(Value::Vector(merge_same_labels(out)?))
    }

    fn histogram_quantile(&self, q: &Expr, v: &Expr, steps: &Steps) -> Result<Value> {
        let q = self.eval(q, steps)?.into_scalar()?;
        let input = self.eval(v, steps)?.into_vector()?;
        // Group the bucket series by their labels without `le` and the name.
        let mut groups = Groups::default();
        let bucket_of: Vec<Option<(usize, f64)>> = input
            .iter()
            .map(|s| {
                let upper = parse_le(s.labels.get("le")).ok()?;
                Some((
                    groups.of(s.labels.drop_with_name(&["le".to_string()])),
                    upper,
                ))
            })
            .collect();
        let mut buckets: Vec<Vec<Vec<Bucket>>> = self.dense(groups.len(), steps, Vec::new)?;
        for (s, b) in input.iter().zip(&bucket_of) {
            let Some((g, upper)) = *b else { continue };
            for &(k, count) in &s.points {
                buckets[g][k as usize].push(Bucket { upper, count });
            }
        }
        let group_labels = groups.labels;
        let out = group_labels
            .into_iter()
            .zip(buckets)
            .map(|(labels, mut per_step)| Series {
                labels,
                points: per_step
                    .iter_mut()
                    .enumerate()
                    .filter(|(_, b)| !b.is_empty())
                    .map(|(k, b)| (k as u32, bucket_quantile(q[k], b)))
                    .collect(),
            })
            .collect();
        Ok(Value::Vector(merge_same_labels(out)?))
    }
}

/// `holt_winters`' factors must lie strictly between 0 and 1 (Prometheus' messages).
fn check_holt_winters(sf: f64, tf: f64) -> Result<()> {
    if !(sf > 0.0 && sf < 1.0) {
        return Err(PromqlError::exec(format!(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
        )));
    }
    if !(tf > 0.0 && tf < 1.0) {
        return Err(PromqlError::exec(format!(
            "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
        )));
    }
    Ok(())
}

/// Go's `strconv.ParseFloat` for the bucket bounds Prometheus writes (`+Inf`, `0.5`, `1e3`).
fn parse_le(s: &str) -> std::result::Result<f64, ()> {
    s.trim_start_matches('+')
        .parse::<f64>()
        .or_else(|_| s.parse::<f64>())
        .map_err(|_| ())
}

/// A `label_*` destination must be a label name (Prometheus' message).
fn check_destination(dst: &str, func: &str) -> Result<()> {
    if is_label_name(dst) {
        return Ok(());
    }
    Err(PromqlError::exec(format!(
        "invalid destination label name in {func}(): {dst}"
    )))
}

/// Prometheus' label name rule `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `vector(time())`.
fn time_vector(steps: &Steps) -> Vec<Series> {
    vec![Series {
        labels: Labels::default(),
        points: (0..steps.count)
            .map(|k| (k as u32, seconds(steps.at(k))))
            .collect(),
    }]
}

/// A value-wise function; the metric name is dropped.
fn map_values(input: Vec<Series>, f: math::ValueFn) -> Result<Value> {
    let out = input
        .into_iter()
        .map(|s| Series {
            labels: s.labels.without_name(),
            points: s.points.into_iter().map(|(k, v)| (k, f(v))).collect(),
        })
        .collect();
    Ok(Value::Vector(merge_same_labels(out)?))
}

/// `absent`'s 1 at the steps where the argument had nothing, labelled by the argument's
/// equality matchers (a label matched twice is left out, as in Prometheus).
fn absent(arg: &Expr, present: impl Iterator<Item = bool>) -> Vec<Series> {
    let mut inner = arg;
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    let vs = match inner {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(ms) => Some(&ms.vs),
        _ => None,
    };
    let mut labels = Labels::default();
    if let Some(vs) = vs {
        let mut seen = hashbrown::HashSet::new();
        for m in &vs.matchers.matchers {
            if m.name == METRIC_NAME {
                continue;
            }
            if matches!(m.op, promql_parser::label::MatchOp::Equal) && seen.insert(m.name.clone()) {
                labels.set(&m.name, &m.value);
            } else {
                labels.remove(&m.name);
            }
        }
    }
    let points: Vec<(u32, f64)> = present
        .enumerate()
        .filter(|(_, p)| !p)
        .map(|(k, _)| (k as u32, 1.0))
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    vec![Series { labels, points }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        assert_eq!(quantile(0.5, &mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(quantile(0.25, &mut [1.0, 2.0, 3.0, 4.0, 5.0]), 2.0);
        assert_eq!(quantile(0.9, &mut [1.0, 2.0]), 1.9);
        assert!(quantile(0.5, &mut []).is_nan());
        assert_eq!(quantile(2.0, &mut [1.0]), f64::INFINITY);
        assert!(is_label_name("a_1") && !is_label_name("1a") && !is_label_name("a-b"));
        assert_eq!(parse_le("+Inf"), Ok(f64::INFINITY));
    }
}
