//! Time windows for `aggregate`: windows of `every` aligned to the epoch (floor division, so
//! also correct before 1970), or one window for the whole range, stamped with `start`. Turns a
//! series column into per-window [`State`]s, merges those of several series (group by), and
//! trims them to a `limit`.

use std::cmp::Ordering;

use strata_codec::ColumnRef;

use crate::aggregate::State;
use crate::error::QueryError;
use crate::request::Order;
use crate::time::{from_ns, to_ns};

/// States of one field, keyed by window start (nanoseconds), in ascending order.
pub(crate) type Windows = Vec<(i64, State)>;

/// How timestamps map to windows for one query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windowing {
    /// Window width in nanoseconds; `None` for one window over the whole range.
    every_ns: Option<i64>,
    start_ns: i64,
    /// The request's `start`, which stamps the single window.
    start: i64,
    precision_ns: i64,
}

impl Windowing {
    /// `every` is in request units; `start_ns` the query's start in nanoseconds.
    pub(crate) fn new(
        every: Option<i64>,
        precision_ns: i64,
        start: i64,
        start_ns: i64,
    ) -> Result<Self, QueryError> {
        let every_ns = every
            .map(|e| to_ns(e, precision_ns, "aggregate.every"))
            .transpose()?;
        if let Some(e) = every_ns {
            // Every point is >= start_ns, so its window start is >= this one: if this one is
            // representable, all are.
            if start_ns.checked_sub(start_ns.rem_euclid(e)).is_none() {
                return Err(QueryError::bad(format!(
                    "start ({start}) is too close to the smallest representable time to align windows of {}",
                    every.unwrap_or_default()
                )));
            }
        }
        Ok(Windowing {
            every_ns,
            start_ns,
            start,
            precision_ns,
        })
    }

    /// The window width in nanoseconds (`None`: one window over the whole range).
    pub(crate) fn every_ns(&self) -> Option<i64> {
        self.every_ns
    }

    /// The key of the window holding `ts`: its start, or the range start without `every`.
    pub(crate) fn key_of(&self, ts: i64) -> i64 {
        match self.every_ns {
            Some(e) => self.window_of(ts, e),
            None => self.start_ns,
        }
    }

    /// The window holding `ts` (nanoseconds).
    fn window_of(&self, ts: i64, every: i64) -> i64 {
        ts.saturating_sub(ts.rem_euclid(every))
    }

    /// A window's timestamp in request units: its start (exact: windows are whole units), or
    /// the request's `start` without `every`.
    pub(crate) fn stamp(&self, window: i64) -> i64 {
        match self.every_ns {
            Some(_) => from_ns(window, self.precision_ns),
            None => self.start,
        }
    }

    /// Folds one series column (sorted `ts`, `values` aligned) into a fresh state per window
    /// with data, cloned from `empty`.
    #[cfg(test)]
    pub(crate) fn bucket(&self, ts: &[i64], values: ColumnRef<'_>, empty: &State) -> Windows {
        let mut out = Vec::new();
        self.bucket_into(&mut out, ts, values, empty);
        out
    }

    /// Folds the next chunk of one series column (sorted `ts`, later than every point
    /// folded into `out` so far; `values` aligned) into `out`: into its last window if the
    /// chunk starts there, else into fresh states cloned from `empty`, one per window.
    pub(crate) fn bucket_into(
        &self,
        out: &mut Windows,
        ts: &[i64],
        values: ColumnRef<'_>,
        empty: &State,
    ) {
        let mut i = 0;
        while let Some(&t) = ts.get(i) {
            let window = self.key_of(t);
            let len = match self.every_ns.and_then(|e| window.checked_add(e)) {
                Some(next) => ts[i..].partition_point(|&x| x < next),
                None => ts.len() - i,
            };
            let j = i + len.max(1);
            let (ts, values) = (&ts[i..j], values.slice(i..j));
            match out.last_mut() {
                Some((w, state)) if *w == window => state.fold(ts, values),
                _ => {
                    let mut state = empty.clone();
                    state.fold(ts, values);
                    out.push((window, state));
                }
            }
            i = j;
        }
    }
}

/// Merges the windows of a later series (in tag order) into `acc`.
pub(crate) fn merge_windows(acc: Windows, later: Windows) -> Windows {
    if acc.is_empty() {
        return later;
    }
    if later.is_empty() {
        return acc;
    }
    let mut out = Vec::with_capacity(acc.len().max(later.len()));
    let (mut a, mut b) = (acc.into_iter(), later.into_iter());
    let (mut x, mut y) = (a.next(), b.next());
    loop {
        match (x.take(), y.take()) {
            (Some(p), Some(q)) => match p.0.cmp(&q.0) {
                Ordering::Less => {
                    out.push(p);
                    x = a.next();
                    y = Some(q);
                }
                Ordering::Greater => {
                    out.push(q);
                    y = b.next();
                    x = Some(p);
                }
                Ordering::Equal => {
                    let (w, mut state) = p;
                    state.merge(q.1);
                    out.push((w, state));
                    x = a.next();
                    y = b.next();
                }
            },
            (Some(p), None) => {
                out.push(p);
                out.extend(a);
                break;
            }
            (None, Some(q)) => {
                out.push(q);
                out.extend(b);
                break;
            }
            (None, None) => break,
        }
    }
    out
}

/// Keeps the first `limit` items (ascending order) or the last `limit` (descending) of a
/// sorted list. The first `limit` rows of a union of sorted lists are always among the first
/// `limit` of each list, so trimming every input early loses nothing.
pub(crate) fn keep<T>(items: &mut Vec<T>, limit: Option<usize>, order: Order) {
    let Some(limit) = limit else { return };
    if items.len() <= limit {
        return;
    }
    match order {
        Order::Asc => items.truncate(limit),
        Order::Desc => {
            items.drain(..items.len() - limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use strata_engine::ValueType;

    use super::*;
    use crate::request::AggFunction;
    use crate::result::FieldOut;

    fn count() -> State {
        State::new(AggFunction::Count, ValueType::Float, 0.0).unwrap()
    }

    fn counts(w: Windows) -> Vec<(i64, Option<FieldOut>)> {
        w.into_iter().map(|(t, s)| (t, s.finish())).collect()
    }

    #[test]
    fn windows_align_to_the_epoch_and_floor_negatives() {
        let w = Windowing::new(Some(10), 1, -25, -25).unwrap();
        let ts = [-25, -21, -20, -1, 0, 9, 10, 35];
        let v = [0.0; 8];
        let got = counts(w.bucket(&ts, ColumnRef::Float(&v), &count()));
        let int = |n| Some(FieldOut::Integer(n));
        assert_eq!(
            got,
            vec![
                (-30, int(2)),
                (-20, int(1)),
                (-10, int(1)),
                (0, int(2)),
                (10, int(1)),
                (30, int(1))
            ]
        );
        assert_eq!(w.stamp(-30), -30);
        // Precision: windows of 2 units of 1000 ns, stamped in units.
        let w = Windowing::new(Some(2), 1000, -3, -3000).unwrap();
        let got = counts(w.bucket(
            &[-2500, -1999, 1999, 2000],
            ColumnRef::Float(&v[..4]),
            &count(),
        ));
        assert_eq!(
            got.iter().map(|(t, _)| w.stamp(*t)).collect::<Vec<_>>(),
            vec![-4, -2, 0, 2]
        );
    }

    #[test]
    fn single_window_is_stamped_with_start() {
        let w = Windowing::new(None, 1000, 7, 7000).unwrap();
        let got = w.bucket(&[7000, 9000], ColumnRef::Float(&[1.0, 2.0]), &count());
        assert_eq!(got.len(), 1);
        assert_eq!(w.stamp(got[0].0), 7);
        assert!(w.bucket(&[], ColumnRef::Float(&[]), &count()).is_empty());
    }

    #[test]
    fn extreme_ranges_do_not_overflow() {
        assert!(Windowing::new(Some(10), 1, i64::MIN, i64::MIN).is_err());
        assert!(Windowing::new(Some(i64::MAX), 2, 0, 0).is_err());
        let w = Windowing::new(Some(i64::MAX), 1, 0, 0).unwrap();
        let got = w.bucket(
            &[0, i64::MAX - 1, i64::MAX],
            ColumnRef::Float(&[1.0; 3]),
            &count(),
        );
        assert_eq!(
            counts(got),
            vec![
                (0, Some(FieldOut::Integer(2))),
                (i64::MAX, Some(FieldOut::Integer(1)))
            ]
        );
    }

    #[test]
    fn merge_and_keep() {
        let w = Windowing::new(Some(10), 1, 0, 0).unwrap();
        let a = w.bucket(&[1, 21, 22], ColumnRef::Float(&[0.0; 3]), &count());
        let b = w.bucket(&[5, 11, 25, 45], ColumnRef::Float(&[0.0; 4]), &count());
        let mut m = merge_windows(a, b);
        let int = |n| Some(FieldOut::Integer(n));
        assert_eq!(
            counts(m.clone()),
            vec![(0, int(2)), (10, int(1)), (20, int(3)), (40, int(1))]
        );
        keep(&mut m, Some(2), Order::Desc);
        assert_eq!(counts(m.clone()), vec![(20, int(3)), (40, int(1))]);
        keep(&mut m, Some(1), Order::Asc);
        assert_eq!(counts(m), vec![(20, int(3))]);
        assert!(merge_windows(Vec::new(), Vec::new()).is_empty());
    }
}
