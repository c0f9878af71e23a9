//! `SELECT` over one snapshot: per measurement of the sources, the series the tag conditions
//! select (on the postings), grouped by the `GROUP BY` tags; each group's points read once
//! per field and merged in time order; then raw rows, transformations of raw points, or
//! per-bucket aggregates with `fill`, and `ORDER BY`, `LIMIT`/`OFFSET`,
//! `SLIMIT`/`SOFFSET`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicUsize;

use regex::Regex;
use roaring::RoaringBitmap;
use strata_engine::{Catalog, SeriesId, Snapshot, Take, ValueType};

use super::aggregate::aggregate_rows;
use super::column_aggregate;
use super::eval;
use super::functions::{self, Pt, is_aggregate};
use super::output::{Column, transform_args, union_rows};
use super::rows::{Group, RowSlice, points_of, read_group, view};
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{Cast, Expr, NameMatch, Select, Source};
use crate::plan::condition::{self, Condition};
use crate::value::{SeriesOut, Value};

/// Limits of one statement.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most points read.
    pub max_points: usize,
    /// Most `GROUP BY time` buckets.
    pub max_buckets: usize,
}

/// The measurements `sources` name that exist, sorted.
pub fn measurements(catalog: &Catalog, sources: &[Source]) -> Result<Vec<String>> {
    let all = catalog.measurements();
    let mut out = BTreeSet::new();
    for s in sources {
        match &s.name {
            NameMatch::Name(n) => {
                if all.iter().any(|m| m == n) {
                    out.insert(n.clone());
                }
            }
            NameMatch::Regex(re) => {
                let re = compile(re)?;
                out.extend(all.iter().filter(|m| re.is_match(m)).cloned());
            }
        }
    }
    Ok(out.into_iter().collect())
}

pub fn compile(re: &str) -> Result<Regex> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| InfluxqlError::invalid(format!("invalid regex /{re}/: {e}")))
}

/// A measurement's tag keys and field types.
struct Schema {
    tags: BTreeSet<String>,
    fields: BTreeMap<String, ValueType>,
}

/// Runs `sel` over every measurement it names.
pub fn run(snapshot: &Snapshot, sel: &Select, now: i64, limits: Limits) -> Result<Vec<SeriesOut>> {
    check_tz(sel)?;
    let catalog = snapshot.catalog();
    let mut out = Vec::new();
    for m in measurements(catalog, &sel.sources)? {
        let Some(schema) = catalog.with_measurement(&m, |idx| Schema {
            tags: idx.tag_keys().map(str::to_string).collect(),
            fields: idx.fields().clone(),
        }) else {
            continue;
        };
        out.extend(run_measurement(snapshot, sel, &m, &schema, now, limits)?);
    }
    let skip = sel.soffset;
    let take = if sel.slimit == 0 {
        usize::MAX
    } else {
        sel.slimit
    };
    Ok(out.into_iter().skip(skip).take(take).collect())
}

fn check_tz(sel: &Select) -> Result<()> {
    match sel.tz.as_deref() {
        None | Some("UTC") | Some("Etc/UTC") => Ok(()),
        Some(tz) => Err(InfluxqlError::invalid(format!(
            "time zone {tz:?} is not supported by Strata: only UTC"
        ))),
    }
}

/// What kind of selection a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Raw,
    /// Transformations of raw points (`derivative(x)` without aggregates).
    RawTransform,
    Aggregate,
}

fn contains_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args } => is_aggregate(name) || args.iter().any(contains_aggregate),
        Expr::Binary { lhs, rhs, .. } => contains_aggregate(lhs) || contains_aggregate(rhs),
        Expr::Paren(inner) => contains_aggregate(inner),
        _ => false,
    }
}

fn is_transform(e: &Expr) -> bool {
    matches!(e.unparen(), Expr::Call { name, .. } if functions::TRANSFORMS.contains(&name.as_str()))
}

/// Whether `e` reads a field or tag outside any aggregate call.
fn bare_var(e: &Expr) -> bool {
    match e {
        Expr::Var { .. } | Expr::Wildcard(_) => true,
        Expr::Call { name, args } => {
            !is_aggregate(name)
                && !functions::TRANSFORMS.contains(&name.as_str())
                && args.iter().any(bare_var)
        }
        Expr::Binary { lhs, rhs, .. } => bare_var(lhs) || bare_var(rhs),
        Expr::Paren(inner) => bare_var(inner),
        _ => false,
    }
}

/// The columns of `sel` for `schema`: wildcards expanded (`*`: tags and fields by name;
/// `f(*)`: one column per field), names made unique (`mean`, `mean_1`).
fn columns(sel: &Select, schema: &Schema) -> Vec<Column> {
    let mut cols = Vec::new();
    for f in &sel.fields {
        match &f.expr {
            Expr::Wildcard(cast) => {
                let mut names: Vec<(String, Option<Cast>)> = Vec::new();
                if *cast != Some(Cast::Field) {
                    names.extend(schema.tags.iter().map(|t| (t.clone(), Some(Cast::Tag))));
                }
                if *cast != Some(Cast::Tag) {
                    names.extend(schema.fields.keys().map(|f| (f.clone(), Some(Cast::Field))));
                }
                names.sort_by(|a, b| a.0.cmp(&b.0));
                for (n, cast) in names {
                    cols.push(Column {
                        expr: Expr::Var {
                            name: n.clone(),
                            cast,
                        },
                        name: n,
                    });
                }
            }
            Expr::Call { name, args } if matches!(args.first(), Some(Expr::Wildcard(_))) => {
                for field in schema.fields.keys() {
                    let mut a = args.clone();
                    a[0] = Expr::Var {
                        name: field.clone(),
                        cast: Some(Cast::Field),
                    };
                    cols.push(Column {
                        expr: Expr::Call {
                            name: name.clone(),
                            args: a,
                        },
                        name: format!("{name}_{field}"),
                    });
                }
            }
            e => {
                cols.push(Column {
                    expr: e.clone(),
                    name: f.alias.clone().unwrap_or_else(|| e.column_name()),
                });
                // `top(x, tag, n)`: the tags named are columns of their own.
                if let Expr::Call { name, args } = e.unparen() {
                    if matches!(name.as_str(), "top" | "bottom") && args.len() > 2 {
                        for a in &args[1..args.len() - 1] {
                            if let Expr::Var { name, .. } = a.unparen() {
                                cols.push(Column {
                                    expr: Expr::Var {
                                        name: name.clone(),
                                        cast: Some(Cast::Tag),
                                    },
                                    name: name.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    let mut seen: BTreeSet<String> = BTreeSet::from(["time".to_string()]);
    for c in &mut cols {
        if !seen.insert(c.name.clone()) {
            let mut i = 1;
            while seen.contains(&format!("{}_{i}", c.name)) {
                i += 1;
            }
            c.name = format!("{}_{i}", c.name);
            seen.insert(c.name.clone());
        }
    }
    cols
}

fn validate(sel: &Select, cols: &[Column]) -> Result<Kind> {
    let aggregates = cols.iter().any(|c| contains_aggregate(&c.expr));
    let transforms = cols.iter().any(|c| is_transform(&c.expr));
    for c in cols {
        if let Expr::Call { name, args } = c.expr.unparen() {
            let known = is_aggregate(name)
                || functions::TRANSFORMS.contains(&name.as_str())
                || functions::MATH.contains(&name.as_str());
            if !known {
                return Err(InfluxqlError::invalid(format!(
                    "undefined function {name}()"
                )));
            }
            if args.is_empty() {
                return Err(InfluxqlError::invalid(format!(
                    "invalid number of arguments for {name}, expected 1, got 0"
                )));
            }
            if functions::TRANSFORMS.contains(&name.as_str()) {
                let inner_agg = contains_aggregate(&args[0]);
                if inner_agg && sel.group_by.interval.is_none() {
                    return Err(InfluxqlError::invalid(format!(
                        "{name} aggregate requires a GROUP BY interval"
                    )));
                }
                if !inner_agg && sel.group_by.interval.is_some() {
                    return Err(InfluxqlError::invalid(format!(
                        "aggregate function required inside the call to {name}"
                    )));
                }
            }
            if matches!(name.as_str(), "top" | "bottom") && cols.len() > 1 {
                let others_ok = cols
                    .iter()
                    .all(|o| std::ptr::eq(o, c) || matches!(o.expr, Expr::Var { .. }));
                if !others_ok {
                    return Err(InfluxqlError::invalid(format!(
                        "selector function {name}() cannot be combined with other functions"
                    )));
                }
            }
            if name == "distinct" && cols.len() > 1 {
                return Err(InfluxqlError::invalid(
                    "aggregate function distinct() cannot be combined with other functions or fields",
                ));
            }
        }
    }
    if aggregates {
        let single_selector = cols.iter().filter(|c| contains_aggregate(&c.expr)).count() == 1
            && cols.iter().any(|c| {
                matches!(c.expr.unparen(), Expr::Call { name, .. } if functions::SELECTORS.contains(&name.as_str()))
            });
        for c in cols {
            let tag_next_to_selector = single_selector && matches!(c.expr, Expr::Var { .. });
            if bare_var(&c.expr) && !tag_next_to_selector {
                return Err(InfluxqlError::invalid(
                    "mixing aggregate and non-aggregate queries is not supported",
                ));
            }
        }
        return Ok(Kind::Aggregate);
    }
    if sel.group_by.interval.is_some() {
        return Err(InfluxqlError::invalid(
            "GROUP BY requires at least one aggregate function",
        ));
    }
    if transforms {
        if cols.iter().any(|c| !is_transform(&c.expr)) {
            return Err(InfluxqlError::invalid(
                "mixing aggregate and non-aggregate queries is not supported",
            ));
        }
        return Ok(Kind::RawTransform);
    }
    Ok(Kind::Raw)
}

fn run_measurement(
    snapshot: &Snapshot,
    sel: &Select,
    m: &str,
    schema: &Schema,
    now: i64,
    limits: Limits,
) -> Result<Vec<SeriesOut>> {
    let cols = columns(sel, schema);
    let kind = validate(sel, &cols)?;
    let is_tag = |k: &str| schema.tags.contains(k);
    let cond = condition::split(sel.condition.as_ref(), now, &is_tag)?;
    let mut range = cond.range;
    if kind == Kind::Aggregate && sel.group_by.interval.is_some() && !range.has_max {
        range.max = now;
    }
    if range.is_empty() {
        return Ok(Vec::new());
    }
    // The fields read: those the columns and the row conditions name.
    let mut names = Vec::new();
    for c in &cols {
        eval::vars(&c.expr, &mut names);
    }
    if let Some(r) = &cond.rows {
        eval::vars(r, &mut names);
    }
    let fields: Vec<String> = names
        .into_iter()
        .filter(|n| schema.fields.contains_key(n))
        .collect();
    if fields.is_empty() {
        return Ok(Vec::new());
    }
    let groups = group_series(snapshot.catalog(), m, sel, schema, &cond)?;
    // A raw selection of plain fields with a LIMIT and no row test needs only each series'
    // first (last, for DESC) OFFSET + LIMIT points: the engine reads them from that end.
    let plain = cols.iter().all(|c| matches!(c.expr, Expr::Var { .. }));
    let take = if kind == Kind::Raw && plain && cond.rows.is_none() && sel.limit > 0 {
        Take::Limit {
            n: sel.limit.saturating_add(sel.offset),
            from_end: sel.order_desc,
        }
    } else {
        Take::All
    };
    let mut out = Vec::new();
    let budget = AtomicUsize::new(limits.max_points);
    let from_columns = match kind {
        Kind::Aggregate => column_aggregate::plan(
            sel,
            &cols,
            &fields,
            |f| schema.fields.get(f).copied(),
            &cond,
        ),
        _ => None,
    };
    for g in groups {
        let mut s = SeriesOut::new(m, Vec::new());
        s.columns.push("time".into());
        s.columns.extend(cols.iter().map(|c| c.name.clone()));
        if !sel.group_by.tags.is_empty()
            || sel.group_by.all_tags
            || !sel.group_by.tag_regexes.is_empty()
        {
            s.tags = g.tags.clone();
        }
        if let Some(plans) = &from_columns {
            let table = column_aggregate::aggregate_group(
                snapshot,
                sel,
                plans,
                &fields,
                &g,
                range,
                (limits, &budget),
            )?;
            if let Some(table) = table {
                push_rows(sel, s, table, &mut out);
            }
            continue;
        }
        let rows = read_group(
            snapshot,
            &g,
            &fields,
            &cond,
            (range.min, range.max),
            take,
            &budget,
        )?;
        if rows.time.is_empty() {
            continue;
        }
        let table = match kind {
            Kind::Raw => raw_rows(&cols, &fields, &g, rows.all()),
            Kind::RawTransform => {
                let sparse: Result<Vec<Vec<Pt>>> = cols
                    .iter()
                    .map(|c| raw_transform(&c.expr, &fields, &g, rows.all()))
                    .collect();
                union_rows(&sparse?)
            }
            Kind::Aggregate => {
                let mut r = range;
                if !r.has_min {
                    if let Some(first) = rows.all().first() {
                        if sel.group_by.interval.is_some() {
                            r.min = first.time;
                        }
                    }
                }
                aggregate_rows(sel, &cols, &fields, &g, rows.all(), r, limits)?
            }
        };
        push_rows(sel, s, table, &mut out);
    }
    Ok(out)
}

/// `table` in the statement's order, `OFFSET` and `LIMIT` applied, as series `s` of `out`
/// (unless no row is left).
fn push_rows(sel: &Select, mut s: SeriesOut, mut table: Vec<Vec<Value>>, out: &mut Vec<SeriesOut>) {
    if sel.order_desc {
        table.reverse();
    }
    let take = if sel.limit == 0 {
        usize::MAX
    } else {
        sel.limit
    };
    s.rows = table.into_iter().skip(sel.offset).take(take).collect();
    if !s.rows.is_empty() {
        out.push(s);
    }
}

/// The series of `m` the tag conditions select, grouped by the `GROUP BY` tags, groups
/// sorted by their tag values.
fn group_series(
    catalog: &Catalog,
    m: &str,
    sel: &Select,
    schema: &Schema,
    cond: &Condition,
) -> Result<Vec<Group>> {
    let mut keys: Vec<String> = if sel.group_by.all_tags {
        schema.tags.iter().cloned().collect()
    } else {
        sel.group_by
            .tags
            .iter()
            .filter(|t| *t != "time")
            .cloned()
            .collect()
    };
    for re in &sel.group_by.tag_regexes {
        let re = compile(re)?;
        keys.extend(schema.tags.iter().filter(|t| re.is_match(t)).cloned());
    }
    keys.sort();
    keys.dedup();
    let mut compiled = Vec::new();
    for c in &cond.tags {
        compiled.push(super::tags::compile_tag_expr(c)?);
    }
    let ids = catalog
        .with_measurement(m, |idx| {
            let mut ids: RoaringBitmap = idx.series().clone();
            for c in &compiled {
                ids &= super::tags::select(idx, c);
            }
            ids
        })
        .unwrap_or_default();
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    let mut keyed: Vec<(Vec<(String, String)>, SeriesId)> = ids
        .iter()
        .filter_map(|id| catalog.key(id).map(|k| (k.tags().to_vec(), id)))
        .collect();
    keyed.sort();
    for (tags, id) in keyed {
        let values: Vec<String> = keys
            .iter()
            .map(|k| {
                tags.iter()
                    .find(|(t, _)| t == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect();
        let g = groups.entry(values.clone()).or_insert_with(|| Group {
            tags: keys.iter().cloned().zip(values).collect(),
            series: Vec::new(),
            ids: Vec::new(),
        });
        g.series.push(tags);
        g.ids.push(id);
    }
    Ok(groups.into_values().collect())
}

/// Raw rows: each column evaluated per row; a row none of whose field columns has a value
/// is left out.
fn raw_rows(cols: &[Column], fields: &[String], g: &Group, rows: RowSlice<'_>) -> Vec<Vec<Value>> {
    let reads_field: Vec<bool> = cols
        .iter()
        .map(|c| {
            let mut v = Vec::new();
            eval::vars(&c.expr, &mut v);
            v.iter().any(|n| fields.contains(n))
                && !matches!(
                    c.expr,
                    Expr::Var {
                        cast: Some(Cast::Tag),
                        ..
                    }
                )
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let v = view(fields, g, &r);
        let values: Vec<Value> = cols.iter().map(|c| eval::eval(&c.expr, &v)).collect();
        if !values
            .iter()
            .zip(&reads_field)
            .any(|(x, f)| *f && !x.is_null())
        {
            continue;
        }
        let mut row = vec![Value::Time(r.time)];
        row.extend(values);
        out.push(row);
    }
    out
}

fn raw_transform(e: &Expr, fields: &[String], g: &Group, rows: RowSlice<'_>) -> Result<Vec<Pt>> {
    let Expr::Call { name, args } = e.unparen() else {
        return Ok(Vec::new());
    };
    let pts = points_of(&args[0], fields, g, rows);
    let (unit, n) = transform_args(name, args, 1_000_000_000)?;
    functions::transform(name, &pts, unit, n)
}
