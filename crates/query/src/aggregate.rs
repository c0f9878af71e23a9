//! The aggregate functions as mergeable states: a [`State`] folds the points of one series in
//! one window, merges with the state of the same window of a later series (for `group_by`),
//! and finishes into one output value.
//!
//! Semantics:
//! - `count`: number of values, any type; an integer.
//! - `sum`: floats sum as `f64`. Integer (unsigned) fields sum exactly in 128 bits and return
//!   an integer (unsigned) when the total fits 64 bits, else the total as a float: never a
//!   wrapped value.
//! - `mean`: a float (integer sums are exact before the division). The mean of finite floats
//!   is finite even where their sum overflows `f64` (two values of `1.7e308`): once the
//!   running sum leaves the finite range, a copy scaled by 2^-64 (exact: a power of two)
//!   carries on and the mean is taken from it.
//! - `min`/`max`: keep the field's type. Float comparisons ignore NaN unless every value is NaN.
//! - `first`/`last`: the value with the smallest/largest timestamp, any type; on equal
//!   timestamps in a group, the series first/last in tag order wins.
//! - `stddev`: sample standard deviation (divides by n - 1), `null` below two values, as in
//!   InfluxDB; computed with Welford's update and Chan's merge.
//! - `quantile`: linear interpolation between closest ranks (R-7, NumPy's default, Prometheus'
//!   `quantile_over_time`): with the n values sorted, `h = q * (n - 1)`, the result is
//!   `x[floor h] + (h - floor h) * (x[ceil h] - x[floor h])`. A float. It keeps every value of
//!   the window (8 bytes each) until the window is finished.
//!
//! `sum`, `mean`, `min`, `max`, `stddev` and `quantile` need a numeric field (float, integer,
//! unsigned); [`State::new`] returns `None` for other types.

use strata_codec::ColumnRef;
use strata_engine::ValueType;

use crate::request::AggFunction;
use crate::result::FieldOut;

/// A numeric value keeping its type, for `min`/`max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    F(f64),
    I(i64),
    U(u64),
}

/// An exact-as-possible running sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Sum {
    F(f64),
    I(i128),
    U(u128),
}

impl Sum {
    fn zero(ty: ValueType) -> Option<Sum> {
        Some(match ty {
            ValueType::Float => Sum::F(0.0),
            ValueType::Integer => Sum::I(0),
            ValueType::Unsigned => Sum::U(0),
            ValueType::Boolean | ValueType::String => return None,
        })
    }

    fn add_slice(&mut self, values: ColumnRef<'_>) {
        match (self, values) {
            // Added one by one onto the running sum, so the result does not depend on how
            // the points were split into chunks (and equals a rollup's sequential sum).
            (Sum::F(s), ColumnRef::Float(v)) => *s = v.iter().fold(*s, |acc, &x| acc + x),
            (Sum::I(s), ColumnRef::Integer(v)) => {
                *s += v.iter().map(|&x| i128::from(x)).sum::<i128>()
            }
            (Sum::U(s), ColumnRef::Unsigned(v)) => {
                *s = s.saturating_add(v.iter().map(|&x| u128::from(x)).sum())
            }
            _ => {}
        }
    }

    /// A sum of the same kind as `like` holding `total` (a rollup's float sum): integral
    /// kinds take the float's integer value.
    pub(crate) fn like(like: Sum, total: f64) -> Sum {
        match like {
            Sum::F(_) => Sum::F(total),
            Sum::I(_) => Sum::I(total as i128),
            Sum::U(_) => Sum::U(total.max(0.0) as u128),
        }
    }

    pub(crate) fn add(&mut self, other: Sum) {
        match (self, other) {
            (Sum::F(a), Sum::F(b)) => *a += b,
            (Sum::I(a), Sum::I(b)) => *a = a.saturating_add(b),
            (Sum::U(a), Sum::U(b)) => *a = a.saturating_add(b),
            _ => {}
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Sum::F(v) => v,
            Sum::I(v) => v as f64,
            Sum::U(v) => v as f64,
        }
    }

    fn finish(self) -> FieldOut {
        match self {
            Sum::F(v) => FieldOut::Float(v),
            Sum::I(v) => i64::try_from(v).map_or(FieldOut::Float(v as f64), FieldOut::Integer),
            Sum::U(v) => u64::try_from(v).map_or(FieldOut::Float(v as f64), FieldOut::Unsigned),
        }
    }
}

/// 2^-64: the scale of a mean's overflow sum (a power of two, so scaling is exact but for
/// values so small they only matter when nothing overflowed). `n` values of at most
/// `f64::MAX` each, `n < 2^64`, sum to less than `f64::MAX` once scaled.
const MEAN_SCALE: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// The scaled sum of float values.
fn scaled_sum(values: ColumnRef<'_>) -> f64 {
    match values {
        ColumnRef::Float(v) => v.iter().fold(0.0, |acc, &x| acc + x * MEAN_SCALE),
        _ => 0.0,
    }
}

/// The running state of one aggregate over one window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum State {
    Count(u64),
    Sum(Sum),
    /// `scaled`: the float sum times [`MEAN_SCALE`], kept once `sum` stopped being finite.
    Mean {
        sum: Sum,
        n: u64,
        scaled: Option<f64>,
    },
    Min(Option<Num>),
    Max(Option<Num>),
    First(Option<(i64, FieldOut)>),
    Last(Option<(i64, FieldOut)>),
    Stddev {
        n: u64,
        mean: f64,
        m2: f64,
    },
    Quantile {
        q: f64,
        values: Vec<f64>,
    },
}

/// True when `function` can aggregate a field of type `ty`.
pub(crate) fn supports(function: AggFunction, ty: ValueType) -> bool {
    function.any_type()
        || matches!(
            ty,
            ValueType::Float | ValueType::Integer | ValueType::Unsigned
        )
}

impl State {
    /// An empty state; `None` when `function` does not apply to `ty` (see [`supports`]).
    /// `q` is used by quantile only.
    pub(crate) fn new(function: AggFunction, ty: ValueType, q: f64) -> Option<State> {
        if !supports(function, ty) {
            return None;
        }
        Some(match function {
            AggFunction::Count => State::Count(0),
            AggFunction::Sum => State::Sum(Sum::zero(ty)?),
            AggFunction::Mean => State::Mean {
                sum: Sum::zero(ty)?,
                n: 0,
                scaled: None,
            },
            AggFunction::Min => State::Min(None),
            AggFunction::Max => State::Max(None),
            AggFunction::First => State::First(None),
            AggFunction::Last => State::Last(None),
            AggFunction::Stddev => State::Stddev {
                n: 0,
                mean: 0.0,
                m2: 0.0,
            },
            AggFunction::Quantile => State::Quantile {
                q,
                values: Vec::new(),
            },
        })
    }

    /// Folds the points of one series in this window: `ts` sorted, `values` of the same
    /// length, of the type the state was made for (other types are ignored).
    pub(crate) fn fold(&mut self, ts: &[i64], values: ColumnRef<'_>) {
        if ts.is_empty() {
            return;
        }
        match self {
            State::Count(n) => *n += values.len() as u64,
            State::Sum(s) => s.add_slice(values),
            State::Mean { sum, n, scaled } => {
                let before = *sum;
                sum.add_slice(values);
                *n += values.len() as u64;
                if let (Sum::F(total), Sum::F(prev)) = (*sum, before)
                    && (scaled.is_some() || !total.is_finite())
                {
                    let base = scaled.unwrap_or(prev * MEAN_SCALE);
                    *scaled = Some(base + scaled_sum(values));
                }
            }
            State::Min(cur) => fold_extreme(cur, values, Extreme::Min),
            State::Max(cur) => fold_extreme(cur, values, Extreme::Max),
            State::First(cur) => {
                if cur.as_ref().is_none_or(|(t, _)| ts[0] < *t)
                    && let Some(v) = FieldOut::at(values, 0)
                {
                    *cur = Some((ts[0], v));
                }
            }
            State::Last(cur) => {
                let i = ts.len() - 1;
                if cur.as_ref().is_none_or(|(t, _)| ts[i] >= *t)
                    && let Some(v) = FieldOut::at(values, i)
                {
                    *cur = Some((ts[i], v));
                }
            }
            State::Stddev { n, mean, m2 } => for_each_f64(values, |x| {
                *n += 1;
                let d = x - *mean;
                *mean += d / *n as f64;
                *m2 += d * (x - *mean);
            }),
            State::Quantile { values: acc, .. } => {
                acc.reserve(values.len());
                for_each_f64(values, |x| acc.push(x));
            }
        }
    }

    /// Merges the state of the same window of a series that sorts after this one's.
    pub(crate) fn merge(&mut self, later: State) {
        match (self, later) {
            (State::Count(a), State::Count(b)) => *a += b,
            (State::Sum(a), State::Sum(b)) => a.add(b),
            (
                State::Mean { sum, n, scaled },
                State::Mean {
                    sum: s2,
                    n: n2,
                    scaled: scaled2,
                },
            ) => {
                let (a, b) = (sum.as_f64(), s2.as_f64());
                sum.add(s2);
                *n += n2;
                if let Sum::F(total) = *sum
                    && (scaled.is_some() || scaled2.is_some() || !total.is_finite())
                {
                    let a = scaled.unwrap_or(a * MEAN_SCALE);
                    *scaled = Some(a + scaled2.unwrap_or(b * MEAN_SCALE));
                }
            }
            (State::Min(a), State::Min(Some(b))) => merge_extreme(a, b, Extreme::Min),
            (State::Max(a), State::Max(Some(b))) => merge_extreme(a, b, Extreme::Max),
            (State::First(a), State::First(Some(b)))
                if a.as_ref().is_none_or(|(t, _)| b.0 < *t) =>
            {
                *a = Some(b)
            }
            (State::Last(a), State::Last(Some(b))) if a.as_ref().is_none_or(|(t, _)| b.0 >= *t) => {
                *a = Some(b)
            }
            (
                State::Stddev { n, mean, m2 },
                State::Stddev {
                    n: nb,
                    mean: mb,
                    m2: m2b,
                },
            ) => {
                if nb == 0 {
                    return;
                }
                let total = *n + nb;
                let d = mb - *mean;
                *mean += d * nb as f64 / total as f64;
                *m2 += m2b + d * d * (*n as f64) * (nb as f64) / total as f64;
                *n = total;
            }
            (State::Quantile { values, .. }, State::Quantile { values: more, .. }) => {
                values.extend(more)
            }
            _ => {}
        }
    }

    /// The output value; `None` when there is none (stddev of fewer than two values).
    pub(crate) fn finish(self) -> Option<FieldOut> {
        match self {
            State::Count(n) => Some(FieldOut::Integer(i64::try_from(n).unwrap_or(i64::MAX))),
            State::Sum(s) => Some(s.finish()),
            State::Mean { n: 0, .. } => None,
            State::Mean { sum, n, scaled } => {
                let total = sum.as_f64();
                Some(FieldOut::Float(match scaled {
                    Some(s) if !total.is_finite() => s / n as f64 / MEAN_SCALE,
                    _ => total / n as f64,
                }))
            }
            State::Min(v) | State::Max(v) => v.map(|v| match v {
                Num::F(x) => FieldOut::Float(x),
                Num::I(x) => FieldOut::Integer(x),
                Num::U(x) => FieldOut::Unsigned(x),
            }),
            State::First(v) | State::Last(v) => v.map(|(_, v)| v),
            State::Stddev { n, m2, .. } if n >= 2 => {
                Some(FieldOut::Float((m2 / (n - 1) as f64).sqrt()))
            }
            State::Stddev { .. } => None,
            State::Quantile { q, mut values } => quantile(&mut values, q).map(FieldOut::Float),
        }
    }
}

fn for_each_f64(values: ColumnRef<'_>, mut f: impl FnMut(f64)) {
    match values {
        ColumnRef::Float(v) => v.iter().for_each(|&x| f(x)),
        ColumnRef::Integer(v) => v.iter().for_each(|&x| f(x as f64)),
        ColumnRef::Unsigned(v) => v.iter().for_each(|&x| f(x as f64)),
        ColumnRef::Boolean(_) | ColumnRef::String(_) => {}
    }
}

/// Which end `min`/`max` keep.
#[derive(Debug, Clone, Copy)]
enum Extreme {
    Min,
    Max,
}

impl Extreme {
    /// `x` should replace `cur`. A NaN never wins a comparison, so a NaN `cur` is replaced by
    /// the first number: NaN is kept only when every value is NaN.
    fn wins<T: PartialOrd>(self, x: T, cur: T) -> bool {
        let cur_is_nan = cur.partial_cmp(&cur).is_none();
        let x_is_nan = x.partial_cmp(&x).is_none();
        let better = match self {
            Extreme::Min => x < cur,
            Extreme::Max => x > cur,
        };
        better || (cur_is_nan && !x_is_nan)
    }
}

fn fold_extreme(cur: &mut Option<Num>, values: ColumnRef<'_>, e: Extreme) {
    fn pick<T: Copy + PartialOrd>(v: &[T], e: Extreme) -> Option<T> {
        let mut it = v.iter().copied();
        let first = it.next()?;
        Some(it.fold(first, |best, x| if e.wins(x, best) { x } else { best }))
    }
    let found = match values {
        ColumnRef::Float(v) => pick(v, e).map(Num::F),
        ColumnRef::Integer(v) => pick(v, e).map(Num::I),
        ColumnRef::Unsigned(v) => pick(v, e).map(Num::U),
        ColumnRef::Boolean(_) | ColumnRef::String(_) => None,
    };
    if let Some(found) = found {
        merge_extreme(cur, found, e);
    }
}

fn merge_extreme(cur: &mut Option<Num>, other: Num, e: Extreme) {
    let replace = match (*cur, other) {
        (None, _) => true,
        (Some(Num::F(c)), Num::F(o)) => e.wins(o, c),
        (Some(Num::I(c)), Num::I(o)) => e.wins(o, c),
        (Some(Num::U(c)), Num::U(o)) => e.wins(o, c),
        _ => false,
    };
    if replace {
        *cur = Some(other);
    }
}

/// Linear-interpolation quantile of `values` (reordered in place); `None` if empty.
pub(crate) fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let (_, &mut x_lo, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = h - lo as f64;
    if frac == 0.0 || rest.is_empty() {
        return Some(x_lo);
    }
    let x_hi = rest.iter().copied().min_by(f64::total_cmp).unwrap_or(x_lo);
    Some(x_lo + frac * (x_hi - x_lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Folds `chunks` (each one series' points in one window, in series order) and finishes.
    fn run(
        function: AggFunction,
        ty: ValueType,
        q: f64,
        chunks: &[(&[i64], ColumnRef<'_>)],
    ) -> Option<FieldOut> {
        let mut acc: Option<State> = None;
        for (ts, values) in chunks {
            let mut s = State::new(function, ty, q).unwrap();
            s.fold(ts, *values);
            match &mut acc {
                None => acc = Some(s),
                Some(a) => a.merge(s),
            }
        }
        acc.and_then(State::finish)
    }

    fn f(function: AggFunction, values: &[f64]) -> Option<FieldOut> {
        let ts: Vec<i64> = (0..values.len() as i64).collect();
        run(
            function,
            ValueType::Float,
            0.5,
            &[(&ts, ColumnRef::Float(values))],
        )
    }

    fn float(x: Option<FieldOut>) -> f64 {
        match x {
            Some(FieldOut::Float(v)) => v,
            other => panic!("not a float: {other:?}"),
        }
    }

    #[test]
    fn float_functions() {
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(f(AggFunction::Count, &v), Some(FieldOut::Integer(8)));
        assert_eq!(f(AggFunction::Sum, &v), Some(FieldOut::Float(40.0)));
        assert_eq!(f(AggFunction::Mean, &v), Some(FieldOut::Float(5.0)));
        assert_eq!(f(AggFunction::Min, &v), Some(FieldOut::Float(2.0)));
        assert_eq!(f(AggFunction::Max, &v), Some(FieldOut::Float(9.0)));
        assert_eq!(f(AggFunction::First, &v), Some(FieldOut::Float(2.0)));
        assert_eq!(f(AggFunction::Last, &v), Some(FieldOut::Float(9.0)));
        // Sample stddev: sum of squared deviations 32, n - 1 = 7.
        assert!((float(f(AggFunction::Stddev, &v)) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(f(AggFunction::Stddev, &[3.0]), None);
        assert_eq!(f(AggFunction::Quantile, &v), Some(FieldOut::Float(4.5)));
    }

    /// The mean of finite values is finite where their sum overflows, folded in one chunk,
    /// chunk by chunk, or merged across series; infinite or NaN inputs still give theirs.
    #[test]
    fn mean_of_huge_values_is_finite() {
        let big = [1.7e308, 1.7e308, 1.5e308];
        let want = (1.7e308 / 3.0) * 2.0 + 1.5e308 / 3.0;
        let close = |x: f64| x.is_finite() && ((x - want) / want).abs() < 1e-12;
        assert!(close(float(f(AggFunction::Mean, &big))));
        let new = || State::new(AggFunction::Mean, ValueType::Float, 0.0).unwrap();
        let mut chunked = new();
        for (i, x) in big.iter().enumerate() {
            chunked.fold(&[i as i64], ColumnRef::Float(std::slice::from_ref(x)));
        }
        assert!(close(float(chunked.finish())));
        let (mut a, mut b) = (new(), new());
        a.fold(&[0, 1], ColumnRef::Float(&big[..2]));
        b.fold(&[2], ColumnRef::Float(&big[2..]));
        a.merge(b);
        assert!(close(float(a.finish())));
        let (mut c, mut d) = (new(), new());
        c.fold(&[0], ColumnRef::Float(&big[..1]));
        d.fold(&[1, 2], ColumnRef::Float(&big[1..]));
        c.merge(d);
        assert!(
            close(float(c.finish())),
            "the overflow happens in the merge"
        );
        assert_eq!(
            float(f(AggFunction::Mean, &[1.0e308, f64::INFINITY])),
            f64::INFINITY
        );
        assert!(float(f(AggFunction::Mean, &[1.7e308, f64::NAN])).is_nan());
        assert_eq!(
            f(AggFunction::Sum, &big),
            Some(FieldOut::Float(f64::INFINITY))
        );
    }

    #[test]
    fn quantile_interpolates() {
        let mut v = vec![10.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&mut v, 0.0), Some(1.0));
        assert_eq!(quantile(&mut v, 1.0), Some(10.0));
        // h = 0.5 * 3 = 1.5 -> 2 + 0.5 * (3 - 2)
        assert_eq!(quantile(&mut v, 0.5), Some(2.5));
        // h = 0.9 * 3 = 2.7 -> 3 + 0.7 * 7
        assert!((quantile(&mut v, 0.9).unwrap() - 7.9).abs() < 1e-12);
        assert_eq!(quantile(&mut [5.0], 0.3), Some(5.0));
        assert_eq!(quantile(&mut [], 0.3), None);
    }

    #[test]
    fn merging_series_matches_one_pass() {
        let a = [1.0, 8.0, -3.5];
        let b = [2.25, 100.0];
        let all = [1.0, 8.0, -3.5, 2.25, 100.0];
        for function in [
            AggFunction::Sum,
            AggFunction::Mean,
            AggFunction::Stddev,
            AggFunction::Quantile,
        ] {
            let merged = run(
                function,
                ValueType::Float,
                0.3,
                &[
                    (&[0, 1, 2], ColumnRef::Float(&a)),
                    (&[0, 1], ColumnRef::Float(&b)),
                ],
            );
            let one = run(
                function,
                ValueType::Float,
                0.3,
                &[(&[0, 1, 2, 3, 4], ColumnRef::Float(&all))],
            );
            assert!((float(merged) - float(one)).abs() < 1e-9, "{function:?}");
        }
    }

    #[test]
    fn first_last_across_series_by_time_then_series_order() {
        let a = ColumnRef::Integer(&[1, 2]);
        let b = ColumnRef::Integer(&[10, 20]);
        let chunks = [(&[5i64, 9][..], a), (&[3i64, 9][..], b)];
        assert_eq!(
            run(AggFunction::First, ValueType::Integer, 0.0, &chunks),
            Some(FieldOut::Integer(10))
        );
        // Equal last timestamps: the later series wins.
        assert_eq!(
            run(AggFunction::Last, ValueType::Integer, 0.0, &chunks),
            Some(FieldOut::Integer(20))
        );
        let s = vec!["x".to_string(), "y".to_string()];
        assert_eq!(
            run(
                AggFunction::Last,
                ValueType::String,
                0.0,
                &[(&[1, 2], ColumnRef::String(&s))]
            ),
            Some(FieldOut::String("y".into()))
        );
        assert_eq!(
            run(
                AggFunction::Count,
                ValueType::Boolean,
                0.0,
                &[(&[1, 2], ColumnRef::Boolean(&[true, false]))]
            ),
            Some(FieldOut::Integer(2))
        );
    }

    #[test]
    fn integer_types_are_kept_and_sums_never_wrap() {
        let i = |v: &'static [i64]| (&[0i64, 1][..v.len()], ColumnRef::Integer(v));
        assert_eq!(
            run(AggFunction::Sum, ValueType::Integer, 0.0, &[i(&[5, -7])]),
            Some(FieldOut::Integer(-2))
        );
        assert_eq!(
            run(
                AggFunction::Min,
                ValueType::Integer,
                0.0,
                &[i(&[5, -7]), i(&[-9])]
            ),
            Some(FieldOut::Integer(-9))
        );
        assert_eq!(
            run(
                AggFunction::Max,
                ValueType::Integer,
                0.0,
                &[i(&[5, -7]), i(&[-9])]
            ),
            Some(FieldOut::Integer(5))
        );
        assert_eq!(
            run(AggFunction::Mean, ValueType::Integer, 0.0, &[i(&[5, -7])]),
            Some(FieldOut::Float(-1.0))
        );
        let big = run(
            AggFunction::Sum,
            ValueType::Integer,
            0.0,
            &[i(&[i64::MAX, 1])],
        );
        assert_eq!(big, Some(FieldOut::Float(i64::MAX as f64 + 1.0)));
        // An intermediate overflow that comes back into range stays exact.
        let back = run(
            AggFunction::Sum,
            ValueType::Integer,
            0.0,
            &[i(&[i64::MAX, 1]), i(&[-2])],
        );
        assert_eq!(back, Some(FieldOut::Integer(i64::MAX - 1)));
        let u = |v: &'static [u64]| (&[0i64, 1][..v.len()], ColumnRef::Unsigned(v));
        assert_eq!(
            run(AggFunction::Sum, ValueType::Unsigned, 0.0, &[u(&[1, 2])]),
            Some(FieldOut::Unsigned(3))
        );
        assert_eq!(
            run(
                AggFunction::Sum,
                ValueType::Unsigned,
                0.0,
                &[u(&[u64::MAX, 1])]
            ),
            Some(FieldOut::Float(u64::MAX as f64 + 1.0))
        );
        assert_eq!(
            run(
                AggFunction::Max,
                ValueType::Unsigned,
                0.0,
                &[u(&[u64::MAX, 1])]
            ),
            Some(FieldOut::Unsigned(u64::MAX))
        );
    }

    #[test]
    fn nan_handling_in_min_max() {
        assert_eq!(
            f(AggFunction::Min, &[f64::NAN, 3.0, 1.0]),
            Some(FieldOut::Float(1.0))
        );
        assert_eq!(
            f(AggFunction::Max, &[3.0, f64::NAN, 1.0]),
            Some(FieldOut::Float(3.0))
        );
        assert!(float(f(AggFunction::Max, &[f64::NAN])).is_nan());
    }

    #[test]
    fn non_numeric_types_are_refused_where_needed() {
        for function in [
            AggFunction::Sum,
            AggFunction::Mean,
            AggFunction::Min,
            AggFunction::Max,
            AggFunction::Stddev,
            AggFunction::Quantile,
        ] {
            assert!(State::new(function, ValueType::String, 0.5).is_none());
            assert!(State::new(function, ValueType::Boolean, 0.5).is_none());
            assert!(State::new(function, ValueType::Unsigned, 0.5).is_some());
        }
        for function in [AggFunction::Count, AggFunction::First, AggFunction::Last] {
            assert!(State::new(function, ValueType::String, 0.5).is_some());
        }
    }
}
