//! Row alignment: the rows of an output series are the union of its fields' timestamps (or
//! windows); each field becomes a column of optional values over those rows. Also picks the
//! rows that `limit` and `order` keep.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::budget::Budget;
use crate::error::QueryError;
use crate::execute::Built;
use crate::request::Order;
use crate::result::FieldOut;

/// Lays out one output series from its fields: `keys[f]` are the sorted timestamps (or
/// window starts) field `f` (named `names[f]`) has values at, `value(f, i)` its value at
/// `keys[f][i]`. The rows are the union of the keys, cut to `limit` in `order`, charged to
/// `budget`, stamped by `stamp` and listed newest first for a descending order; fields with
/// no row left are dropped. `None` if no row remains.
pub(crate) fn lay_out(
    names: &[&str],
    keys: &[&[i64]],
    (limit, order): (Option<usize>, Order),
    budget: &Budget,
    stamp: impl Fn(i64) -> i64,
    mut value: impl FnMut(usize, usize) -> Option<FieldOut>,
) -> Result<Built, QueryError> {
    let all = union(keys);
    let rows = &all[select(all.len(), limit, order)];
    if rows.is_empty() {
        return Ok(None);
    }
    budget.take(rows.len())?;
    let desc = order == Order::Desc;
    let mut timestamps: Vec<i64> = rows.iter().map(|&k| stamp(k)).collect();
    if desc {
        timestamps.reverse();
    }
    let mut out = BTreeMap::new();
    for (f, (name, ts)) in names.iter().zip(keys).enumerate() {
        let (mut column, any) = align(rows, ts, |i| value(f, i));
        if any {
            if desc {
                column.reverse();
            }
            out.insert(name.to_string(), column);
        }
    }
    Ok(Some((timestamps, out)))
}

/// Sorted union of sorted, deduplicated lists.
pub(crate) fn union(lists: &[&[i64]]) -> Vec<i64> {
    match lists {
        [] => Vec::new(),
        [first, rest @ ..] if rest.iter().all(|l| l == first) => first.to_vec(),
        _ => {
            let mut all: Vec<i64> =
                Vec::with_capacity(lists.iter().map(|l| l.len()).max().unwrap_or(0));
            for l in lists {
                all.extend_from_slice(l);
            }
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

/// The index range of `len` sorted rows that `limit` keeps: the first rows ascending, the
/// last ones descending.
pub(crate) fn select(len: usize, limit: Option<usize>, order: Order) -> Range<usize> {
    let n = limit.map_or(len, |l| l.min(len));
    match order {
        Order::Asc => 0..n,
        Order::Desc => len - n..len,
    }
}

/// One field's column over `rows` (sorted): `value(i)` for the row equal to `ts[i]`, `None`
/// for rows the field has no entry at. `ts` is sorted and every entry within `rows`' span is
/// one of `rows`. Also says whether any row had an entry.
pub(crate) fn align(
    rows: &[i64],
    ts: &[i64],
    mut value: impl FnMut(usize) -> Option<FieldOut>,
) -> (Vec<Option<FieldOut>>, bool) {
    let mut out = Vec::with_capacity(rows.len());
    let mut j = rows
        .first()
        .map_or(0, |&first| ts.partition_point(|&t| t < first));
    let mut any = false;
    for &row in rows {
        if ts.get(j) == Some(&row) {
            out.push(value(j));
            any = true;
            j += 1;
        } else {
            out.push(None);
        }
    }
    (out, any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_lists() {
        assert_eq!(union(&[]), Vec::<i64>::new());
        assert_eq!(union(&[&[1, 2], &[1, 2]]), vec![1, 2]);
        assert_eq!(union(&[&[1, 5], &[2, 5, 7], &[]]), vec![1, 2, 5, 7]);
    }

    #[test]
    fn selection() {
        assert_eq!(select(5, None, Order::Desc), 0..5);
        assert_eq!(select(5, Some(2), Order::Asc), 0..2);
        assert_eq!(select(5, Some(2), Order::Desc), 3..5);
        assert_eq!(select(1, Some(2), Order::Desc), 0..1);
        assert_eq!(select(0, Some(2), Order::Desc), 0..0);
    }

    #[test]
    fn alignment() {
        let ts = [1, 3, 4, 9];
        let (col, any) = align(&[3, 4, 5], &ts, |i| Some(FieldOut::Integer(ts[i])));
        assert!(any);
        assert_eq!(
            col,
            vec![Some(FieldOut::Integer(3)), Some(FieldOut::Integer(4)), None]
        );
        let (col, any) = align(&[5, 6], &ts, |_| None);
        assert_eq!((col, any), (vec![None, None], false));
        assert_eq!(align(&[], &ts, |_| None), (vec![], false));
    }
}
