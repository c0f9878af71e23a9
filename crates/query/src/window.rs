//! Time windows for `aggregate`: windows of `every` aligned to the epoch (floor division, so
//! also correct before 1970), or one window for the whole range, stamped with `start`. Turns a
//! series column into per-window [`State`]s, merges those of several series (group by), and
//! trims them to a `limit`.
//!
//! A window is keyed by its index (`ts.div_euclid(every)`), not its start in nanoseconds:
//! the first window of the `i64` range starts below `i64::MIN` nanoseconds, but its index,
//! and its start in request units (`index * every`), are representable, so points at both
//! ends of the range fall in their true windows.

use std::cmp::Ordering;

use strata_codec::ColumnRef;

use crate::aggregate::State;
use crate::error::QueryError;
use crate::request::Order;
use crate::time::to_ns;

/// States of one field, keyed by window index (see the module documentation), ascending.
pub(crate) type Windows = Vec<(i64, State)>;

/// How timestamps map to windows for one query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windowing {
    /// Window width in nanoseconds; `None` for one window over the whole range.
    every_ns: Option<i64>,
    /// Window width in request units.
    every: i64,
    /// The request's `start`, which stamps the single window.
    start: i64,
}

impl Windowing {
    /// `every` is in request units, `start` the request's start (which stamps the single
    /// window).
    pub(crate) fn new(
        every: Option<i64>,
        precision_ns: i64,
        start: i64,
    ) -> Result<Self, QueryError> {
        let every_ns = every
            .map(|e| to_ns(e, precision_ns, "aggregate.every"))
            .transpose()?;
        Ok(Windowing {
            every_ns,
            every: every.unwrap_or(0),
            start,
        })
    }

    /// The window width in nanoseconds (`None`: one window over the whole range).
    pub(crate) fn every_ns(&self) -> Option<i64> {
        self.every_ns
    }

    /// The key of the window holding `ts` (ns): its index, or 0 without `every`.
    pub(crate) fn key_of(&self, ts: i64) -> i64 {
        match self.every_ns {
            Some(e) => ts.div_euclid(e),
            None => 0,
        }
    }

    /// The last timestamp (ns, inclusive) of the window with key `key`.
    fn last_of(&self, key: i64) -> i64 {
        match self.every_ns {
            Some(e) => ((i128::from(key) + 1) * i128::from(e) - 1).min(i128::from(i64::MAX)) as i64,
            None => i64::MAX,
        }
    }

    /// A window's timestamp in request units: its start (exact: windows are whole units), or
    /// the request's `start` without `every`.
    pub(crate) fn stamp(&self, key: i64) -> i64 {
        match self.every_ns {
            Some(_) => key.saturating_mul(self.every),
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
            let last = self.last_of(window);
            let j = i + ts[i..].partition_point(|&x| x <= last).max(1);
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
        let w = Windowing::new(Some(10), 1, -25).unwrap();
        let ts = [-25, -21, -20, -1, 0, 9, 10, 35];
        let v = [0.0; 8];
        let got = counts(w.bucket(&ts, ColumnRef::Float(&v), &count()));
        let int = |n| Some(FieldOut::Integer(n));
        assert_eq!(
            got,
            vec![
                (-3, int(2)),
                (-2, int(1)),
                (-1, int(1)),
                (0, int(2)),
                (1, int(1)),
                (3, int(1))
            ]
        );
        assert_eq!(w.stamp(-3), -30);
        // Precision: windows of 2 units of 1000 ns, stamped in units.
        let w = Windowing::new(Some(2), 1000, -3).unwrap();
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
        let w = Windowing::new(None, 1000, 7).unwrap();
        let got = w.bucket(&[7000, 9000], ColumnRef::Float(&[1.0, 2.0]), &count());
        assert_eq!(got.len(), 1);
        assert_eq!(w.stamp(got[0].0), 7);
        assert!(w.bucket(&[], ColumnRef::Float(&[]), &count()).is_empty());
    }

    #[test]
    fn windows_at_the_ends_of_the_range_are_whole() {
        assert!(
            Windowing::new(Some(i64::MAX), 2, 0).is_err(),
            "every overflows"
        );
        let w = Windowing::new(Some(i64::MAX), 1, 0).unwrap();
        let got = w.bucket(
            &[0, i64::MAX - 1, i64::MAX],
            ColumnRef::Float(&[1.0; 3]),
            &count(),
        );
        assert_eq!(
            counts(got),
            vec![
                (0, Some(FieldOut::Integer(2))),
                (1, Some(FieldOut::Integer(1)))
            ]
        );
        assert_eq!(w.stamp(1), i64::MAX);
        // Day windows in ms at the bottom of the range: the first window starts below
        // i64::MIN ns, yet both points fall in it and it is stamped exactly.
        let day = 86_400_000;
        let w = Windowing::new(Some(day), 1_000_000, i64::MIN / 1_000_000).unwrap();
        let bottom = [i64::MIN + 2, i64::MIN + 5];
        let got = w.bucket(&bottom, ColumnRef::Float(&[1.0; 2]), &count());
        assert_eq!(got.len(), 1);
        let stamp = w.stamp(got[0].0);
        assert_eq!(stamp.rem_euclid(day), 0);
        assert!(
            stamp <= (i64::MIN + 2).div_euclid(1_000_000) && stamp > i64::MIN / 1_000_000 - day
        );
    }

    #[test]
    fn merge_and_keep() {
        let w = Windowing::new(Some(10), 1, 0).unwrap();
        let a = w.bucket(&[1, 21, 22], ColumnRef::Float(&[0.0; 3]), &count());
        let b = w.bucket(&[5, 11, 25, 45], ColumnRef::Float(&[0.0; 4]), &count());
        let mut m = merge_windows(a, b);
        let int = |n| Some(FieldOut::Integer(n));
        assert_eq!(
            counts(m.clone()),
            vec![(0, int(2)), (1, int(1)), (2, int(3)), (4, int(1))]
        );
        keep(&mut m, Some(2), Order::Desc);
        assert_eq!(counts(m.clone()), vec![(2, int(3)), (4, int(1))]);
        keep(&mut m, Some(1), Order::Asc);
        assert_eq!(counts(m), vec![(2, int(3))]);
        assert!(merge_windows(Vec::new(), Vec::new()).is_empty());
    }
}
