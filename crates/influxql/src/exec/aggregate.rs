//! Aggregate selections: the buckets of `GROUP BY time` (or one bucket for the range), each
//! column computed per bucket over a group's rows (aggregates and selectors, the common
//! ones in one pass; math and arithmetic on their results; transformations, `top`/`bottom`
//! and `distinct` as rows at their own times), `fill` of the empty buckets, and the tags
//! named next to a selector.

use super::eval;
use super::functions::{self, Pt, is_aggregate};
use super::output::{Column, transform_args, union_rows};
use super::rows::{Group, RowSlice, points_of, view};
use super::select::Limits;
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{BinOp, Cast, Expr, Fill, Select};
use crate::plan::condition;
use crate::value::Value;

/// The buckets of the range: their start times.
pub(super) fn buckets(sel: &Select, min: i64, max: i64, limits: Limits) -> Result<Vec<i64>> {
    let Some((every, offset)) = sel.group_by.interval else {
        return Ok(vec![min]);
    };
    let start = bucket_of(min, every, offset);
    let end = bucket_of(max, every, offset);
    let n = ((end as i128 - start as i128) / every as i128 + 1) as u128;
    if n > limits.max_buckets as u128 {
        return Err(InfluxqlError::TooLarge(format!(
            "the query asks for {n} GROUP BY time buckets, over the limit of {}",
            limits.max_buckets
        )));
    }
    Ok((0..n as i64).map(|i| start + i * every).collect())
}

pub(super) fn bucket_of(t: i64, every: i64, offset: i64) -> i64 {
    let o = offset.rem_euclid(every);
    (t as i128 - o as i128).div_euclid(every as i128) as i64 * every + o
}

/// A column of an aggregate query.
pub(super) enum AggColumn {
    /// One value per bucket (and the time of the point a lone selector picked).
    Dense(Vec<(Value, Option<i64>)>),
    /// Rows at their own times (transformations, top/bottom, distinct).
    Sparse(Vec<Pt>),
}

pub(super) fn aggregate_rows(
    sel: &Select,
    cols: &[Column],
    fields: &[String],
    g: &Group,
    rows: RowSlice<'_>,
    range: condition::TimeRange,
    limits: Limits,
) -> Result<Vec<Vec<Value>>> {
    let interval = sel.group_by.interval;
    let starts = buckets(
        sel,
        if range.has_min || interval.is_some() {
            range.min
        } else {
            0
        },
        range.max,
        limits,
    )?;
    // Rows of each bucket.
    let mut bounds = Vec::with_capacity(starts.len());
    let mut i = 0;
    for (b, start) in starts.iter().enumerate() {
        let end = starts.get(b + 1).copied();
        while i < rows.len() && rows.time(i) < *start {
            i += 1;
        }
        let from = i;
        while i < rows.len() && end.is_none_or(|e| rows.time(i) < e) {
            i += 1;
        }
        bounds.push(from..i);
    }
    let empty: Vec<bool> = bounds.iter().map(|r| r.is_empty()).collect();
    let mut computed = Vec::with_capacity(cols.len());
    let mut tag_columns = Vec::new();
    for (ci, c) in cols.iter().enumerate() {
        if matches!(c.expr, Expr::Var { .. }) {
            tag_columns.push(ci);
            computed.push(AggColumn::Dense(Vec::new()));
            continue;
        }
        computed.push(agg_column(
            &c.expr, fields, g, rows, &bounds, &starts, interval,
        )?);
    }
    let lone_selector = interval.is_none() && cols.len() - tag_columns.len() == 1;
    let mut table: Vec<Vec<Value>> = if computed.iter().any(|c| matches!(c, AggColumn::Sparse(_))) {
        let sparse: Vec<Vec<Pt>> = computed
            .into_iter()
            .map(|c| match c {
                AggColumn::Sparse(p) => p,
                AggColumn::Dense(_) => Vec::new(),
            })
            .collect();
        union_rows(&sparse)
    } else {
        let mut dense: Vec<Vec<(Value, Option<i64>)>> = computed
            .into_iter()
            .map(|c| match c {
                AggColumn::Dense(v) => v,
                AggColumn::Sparse(_) => Vec::new(),
            })
            .collect();
        dense_table(
            sel,
            &mut dense,
            &empty,
            &starts,
            lone_selector,
            &tag_columns,
        )
    };
    // Tags next to a selector: the tag of the series of the point picked at that time.
    for ci in tag_columns {
        let Expr::Var { name, .. } = &cols[ci].expr else {
            continue;
        };
        for row in &mut table {
            let Value::Time(t) = row[0] else { continue };
            let picked = cols
                .iter()
                .enumerate()
                .find(|(i, _)| *i != ci && !matches!(cols[*i].expr, Expr::Var { .. }))
                .map(|(i, _)| row[i + 1].clone());
            let tag = rows
                .iter()
                .filter(|r| r.time == t)
                .find(|r| {
                    picked
                        .as_ref()
                        .is_none_or(|p| r.values.iter().any(|v| v == p))
                })
                .and_then(|r| {
                    g.series[r.series]
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| Value::Str(v.clone()))
                })
                .unwrap_or(Value::Null);
            row[ci + 1] = tag;
        }
    }
    Ok(table)
}

/// The rows of per-bucket columns: `fill` applied, empty buckets dropped under
/// `fill(none)`, each row stamped with its bucket's start (or, for a lone selector, the time
/// of the point it picked).
pub(super) fn dense_table(
    sel: &Select,
    dense: &mut [Vec<(Value, Option<i64>)>],
    empty: &[bool],
    starts: &[i64],
    lone_selector: bool,
    tag_columns: &[usize],
) -> Vec<Vec<Value>> {
    fill(sel.fill, dense, empty, starts, tag_columns);
    let mut table = Vec::new();
    for (b, start) in starts.iter().enumerate() {
        if empty[b] && sel.fill == Fill::None {
            continue;
        }
        let mut time = *start;
        let mut row = vec![Value::Null];
        for col in dense.iter() {
            match col.get(b) {
                Some((v, t)) => {
                    if lone_selector {
                        if let Some(t) = t {
                            time = *t;
                        }
                    }
                    row.push(v.clone());
                }
                None => row.push(Value::Null),
            }
        }
        row[0] = Value::Time(time);
        table.push(row);
    }
    table
}

pub(super) fn agg_column(
    e: &Expr,
    fields: &[String],
    g: &Group,
    rows: RowSlice<'_>,
    bounds: &[std::ops::Range<usize>],
    starts: &[i64],
    interval: Option<(i64, i64)>,
) -> Result<AggColumn> {
    if let Expr::Call { name, args } = e.unparen() {
        let name = name.as_str();
        if functions::TRANSFORMS.contains(&name) {
            let inner = agg_column(&args[0], fields, g, rows, bounds, starts, interval)?;
            let pts: Vec<Pt> = match inner {
                AggColumn::Dense(v) => starts
                    .iter()
                    .zip(v)
                    .filter(|(_, (v, _))| !v.is_null())
                    .map(|(t, (v, _))| (*t, v))
                    .collect(),
                AggColumn::Sparse(p) => p,
            };
            let every = interval.map_or(1_000_000_000, |(e, _)| e);
            let (unit, n) = transform_args(name, args, every)?;
            return Ok(AggColumn::Sparse(functions::transform(
                name, &pts, unit, n,
            )?));
        }
        if matches!(name, "top" | "bottom") {
            return top_bottom_column(name == "top", args, fields, g, rows, bounds);
        }
        if name == "distinct" {
            let mut out = Vec::new();
            for (b, r) in bounds.iter().enumerate() {
                let pts = points_of(&args[0], fields, g, rows.slice(r.clone()));
                out.extend(
                    functions::distinct(&pts)
                        .into_iter()
                        .map(|v| (starts[b], v)),
                );
            }
            return Ok(AggColumn::Sparse(out));
        }
    }
    let mut out = Vec::with_capacity(bounds.len());
    for r in bounds {
        out.push(agg_value(e, fields, g, rows.slice(r.clone()))?);
    }
    Ok(AggColumn::Dense(out))
}

/// The value of an aggregate expression over one bucket's rows.
pub(super) fn agg_value(
    e: &Expr,
    fields: &[String],
    g: &Group,
    rows: RowSlice<'_>,
) -> Result<(Value, Option<i64>)> {
    match e {
        Expr::Paren(inner) => agg_value(inner, fields, g, rows),
        Expr::Call { name, args } if is_aggregate(name) => {
            // count(distinct(x))
            if let Some(Expr::Call {
                name: inner,
                args: iargs,
            }) = args.first().map(Expr::unparen)
            {
                if inner == "distinct" && name == "count" {
                    let pts = points_of(&iargs[0], fields, g, rows);
                    return Ok((Value::Int(functions::distinct(&pts).len() as i64), None));
                }
            }
            if let Some(v) = streamed(name, args, fields, rows)? {
                return Ok(v);
            }
            let pts = points_of(&args[0], fields, g, rows);
            let arg = match (name.as_str(), args.get(1).map(Expr::unparen)) {
                ("percentile", Some(Expr::Int(n))) => Some(*n as f64),
                ("percentile", Some(Expr::Float(f))) => Some(*f),
                ("percentile", _) => {
                    return Err(InfluxqlError::invalid(
                        "expected float argument in percentile()",
                    ));
                }
                ("integral", Some(Expr::Duration(d))) => Some(*d as f64),
                _ => None,
            };
            functions::aggregate(name, &pts, arg)
        }
        Expr::Call { name, args } => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(agg_value(a, fields, g, rows)?.0);
            }
            Ok((functions::math(name, &vals)?, None))
        }
        Expr::Binary { op, lhs, rhs } => {
            let l = agg_value(lhs, fields, g, rows)?.0;
            let r = agg_value(rhs, fields, g, rows)?.0;
            if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) {
                return Ok((Value::Null, None));
            }
            Ok((eval::arith(*op, &l, &r), None))
        }
        Expr::Int(n) => Ok((Value::Int(*n), None)),
        Expr::Float(f) => Ok((Value::Float(*f), None)),
        _ => Ok((Value::Null, None)),
    }
}

/// The common aggregates of a field by itself (`count sum mean min max first last`),
/// computed in one pass over the bucket's rows without collecting its points; `None` for
/// anything else (then [`functions::aggregate`] does it). Same results, same errors.
pub(super) fn streamed(
    name: &str,
    args: &[Expr],
    fields: &[String],
    rows: RowSlice<'_>,
) -> Result<Option<(Value, Option<i64>)>> {
    if args.len() != 1 {
        return Ok(None);
    }
    let Expr::Var { name: field, cast } = args[0].unparen() else {
        return Ok(None);
    };
    if *cast == Some(Cast::Tag)
        || !matches!(
            name,
            "count" | "sum" | "mean" | "min" | "max" | "first" | "last"
        )
    {
        return Ok(None);
    }
    let Some(i) = fields.iter().position(|f| f == field) else {
        return Ok(None);
    };
    let mut n = 0usize;
    let mut fsum = 0.0f64;
    let mut isum = 0i64;
    let mut all_int = true;
    // (value as f64, row) of the best point for min/max; first/last rows.
    let mut best: Option<(f64, usize)> = None;
    let mut first: Option<usize> = None;
    let mut last: Option<usize> = None;
    for r in 0..rows.len() {
        let row = rows.get(r);
        let v = &row.values[i];
        if v.is_null() {
            continue;
        }
        n += 1;
        first.get_or_insert(r);
        last = Some(r);
        if matches!(name, "count" | "first" | "last") {
            continue;
        }
        let Some(x) = v.as_f64() else {
            return Err(InfluxqlError::invalid(format!(
                "unsupported {name} iterator type: {}",
                match v {
                    Value::Str(_) => "*query.stringInterruptIterator",
                    Value::Bool(_) => "*query.booleanInterruptIterator",
                    _ => "*query.floatInterruptIterator",
                }
            )));
        };
        match v {
            Value::Int(k) => isum = isum.wrapping_add(*k),
            _ => all_int = false,
        }
        fsum += x;
        let better = match best {
            None => true,
            Some((b, _)) if name == "max" => x > b,
            Some((b, _)) => x < b,
        };
        if better {
            best = Some((x, r));
        }
    }
    let at = |r: usize| {
        let row = rows.get(r);
        (row.values[i].clone(), Some(row.time))
    };
    Ok(Some(match name {
        "count" => (Value::Int(n as i64), None),
        _ if n == 0 => (Value::Null, None),
        "sum" if all_int => (Value::Int(isum), None),
        "sum" => (Value::Float(fsum), None),
        "mean" => (Value::Float(fsum / n as f64), None),
        "first" => first.map_or((Value::Null, None), at),
        "last" => last.map_or((Value::Null, None), at),
        _ => best.map_or((Value::Null, None), |(_, r)| at(r)),
    }))
}

pub(super) fn top_bottom_column(
    top: bool,
    args: &[Expr],
    fields: &[String],
    g: &Group,
    rows: RowSlice<'_>,
    bounds: &[std::ops::Range<usize>],
) -> Result<AggColumn> {
    let name = if top { "top" } else { "bottom" };
    let n = match args.last().map(Expr::unparen) {
        Some(Expr::Int(n)) if *n > 0 && args.len() >= 2 => *n as usize,
        _ => {
            return Err(InfluxqlError::invalid(format!(
                "{name}() requires 2 or more arguments, the last an integer"
            )));
        }
    };
    let tag_keys: Vec<&str> = args[1..args.len() - 1]
        .iter()
        .filter_map(|a| match a.unparen() {
            Expr::Var { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for r in bounds {
        let bucket = rows.slice(r.clone());
        let mut pts = Vec::new();
        let mut owners = Vec::new();
        for row in bucket.iter() {
            let v = eval::eval(&args[0], &view(fields, g, &row));
            if !v.is_null() {
                pts.push((row.time, v));
                owners.push(row.series);
            }
        }
        let key_of = |i: usize| -> String {
            tag_keys
                .iter()
                .map(|k| {
                    g.series[owners[i]]
                        .iter()
                        .find(|(t, _)| t == k)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                })
                .collect::<Vec<_>>()
                .join("\u{0}")
        };
        let key: Option<&dyn Fn(usize) -> String> = if tag_keys.is_empty() {
            None
        } else {
            Some(&key_of)
        };
        for i in functions::top_bottom(top, &pts, n, key) {
            out.push(pts[i].clone());
        }
    }
    Ok(AggColumn::Sparse(out))
}

/// Applies `fill` ([`strata_query::fill`]) to the empty buckets of dense columns (tag
/// columns skipped).
pub(super) fn fill(
    how: Fill,
    cols: &mut [Vec<(Value, Option<i64>)>],
    empty: &[bool],
    starts: &[i64],
    skip: &[usize],
) {
    for (ci, col) in cols.iter_mut().enumerate() {
        if skip.contains(&ci) || col.is_empty() {
            continue;
        }
        let mut cells: Vec<Option<Value>> = col
            .iter()
            .map(|(v, _)| (!v.is_null()).then(|| v.clone()))
            .collect();
        strata_query::fill::fill(how, starts, &mut cells, empty);
        for ((v, _), cell) in col.iter_mut().zip(cells) {
            *v = cell.unwrap_or(Value::Null);
        }
    }
}
