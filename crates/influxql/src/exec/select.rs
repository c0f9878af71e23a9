//! `SELECT` over one snapshot: per measurement of the sources, the series the tag conditions
//! select (on the postings), grouped by the `GROUP BY` tags; each group's points read once
//! per field and merged in time order; then raw rows, transformations of raw points, or
//! per-bucket aggregates with `fill`, and `ORDER BY`, `LIMIT`/`OFFSET`,
//! `SLIMIT`/`SOFFSET`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use regex::Regex;
use roaring::RoaringBitmap;
use strata_engine::{Catalog, SeriesId, Snapshot, Take, ValueType};

use super::eval::{self, RowSource};
use super::functions::{self, Pt, is_aggregate};
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{BinOp, Cast, Expr, Fill, NameMatch, Select, Source};
use crate::plan::condition::{self, Condition, MAX_TIME};
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

/// One output column: its expression and name.
struct Column {
    expr: Expr,
    name: String,
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

/// The merged rows of a group, in time order (ties by series order): times, the series of
/// each (index into the group), and the field values, `stride` per row in one flat vector
/// (no allocation per row).
struct Rows {
    time: Vec<i64>,
    series: Vec<u32>,
    values: Vec<Value>,
    stride: usize,
}

/// A range of [`Rows`].
#[derive(Clone, Copy)]
struct RowSlice<'a> {
    rows: &'a Rows,
    from: usize,
    to: usize,
}

/// One row.
#[derive(Clone, Copy)]
struct RowRef<'a> {
    time: i64,
    series: usize,
    values: &'a [Value],
}

impl Rows {
    fn all(&self) -> RowSlice<'_> {
        RowSlice {
            rows: self,
            from: 0,
            to: self.time.len(),
        }
    }
}

impl<'a> RowSlice<'a> {
    fn len(&self) -> usize {
        self.to - self.from
    }

    fn is_empty(&self) -> bool {
        self.to == self.from
    }

    fn time(&self, i: usize) -> i64 {
        self.rows.time[self.from + i]
    }

    fn get(&self, i: usize) -> RowRef<'a> {
        let at = self.from + i;
        let s = self.rows.stride;
        RowRef {
            time: self.rows.time[at],
            series: self.rows.series[at] as usize,
            values: &self.rows.values[at * s..(at + 1) * s],
        }
    }

    fn first(&self) -> Option<RowRef<'a>> {
        (!self.is_empty()).then(|| self.get(0))
    }

    fn slice(&self, r: std::ops::Range<usize>) -> RowSlice<'a> {
        RowSlice {
            rows: self.rows,
            from: self.from + r.start,
            to: self.from + r.end,
        }
    }

    fn iter(self) -> impl Iterator<Item = RowRef<'a>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// A group of series sharing the `GROUP BY` tag values.
struct Group {
    tags: Vec<(String, String)>,
    /// Each series' tags.
    series: Vec<Vec<(String, String)>>,
    ids: Vec<SeriesId>,
}

struct RowView<'a> {
    fields: &'a [String],
    values: &'a [Value],
    tags: &'a [(String, String)],
}

impl RowSource for RowView<'_> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .position(|f| f == name)
            .and_then(|i| self.values.get(i))
    }

    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
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
    for g in groups {
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
        let mut s = SeriesOut::new(m, Vec::new());
        s.columns.push("time".into());
        s.columns.extend(cols.iter().map(|c| c.name.clone()));
        if !sel.group_by.tags.is_empty()
            || sel.group_by.all_tags
            || !sel.group_by.tag_regexes.is_empty()
        {
            s.tags = g.tags.clone();
        }
        let mut table = match kind {
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
        if sel.order_desc {
            table.reverse();
        }
        let skip = sel.offset;
        let take = if sel.limit == 0 {
            usize::MAX
        } else {
            sel.limit
        };
        s.rows = table.into_iter().skip(skip).take(take).collect();
        if !s.rows.is_empty() {
            out.push(s);
        }
    }
    Ok(out)
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

/// The rows of a group's series in `[min, max]` passing the row conditions, merged in time
/// order (ties by series order).
fn read_group(
    snapshot: &Snapshot,
    g: &Group,
    fields: &[String],
    cond: &Condition,
    (min, max): (i64, i64),
    take: Take,
    budget: &AtomicUsize,
) -> Result<Rows> {
    let end = if max >= MAX_TIME { i64::MAX } else { max + 1 };
    let stride = fields.len();
    let n = g.ids.len();
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let (mut staged, runs) = if n >= PARALLEL_SERIES && threads > 1 {
        // The second half on its own thread, the first here.
        let half = n / 2;
        let (first, second) = std::thread::scope(|sc| {
            let other =
                sc.spawn(|| stage(snapshot, g, half..n, fields, cond, (min, end), take, budget));
            let mine = stage(snapshot, g, 0..half, fields, cond, (min, end), take, budget);
            let theirs = other
                .join()
                .unwrap_or_else(|_| Err(InfluxqlError::invalid("a read thread failed")));
            (mine, theirs)
        });
        let (mut rows, mut runs) = first?;
        let (more, more_runs) = second?;
        let offset = rows.time.len();
        rows.time.extend(more.time);
        rows.series.extend(more.series);
        rows.values.extend(more.values);
        runs.extend(more_runs.into_iter().map(|(a, b)| (a + offset, b + offset)));
        (rows, runs)
    } else {
        stage(snapshot, g, 0..n, fields, cond, (min, end), take, budget)?
    };
    if runs.iter().filter(|(a, b)| b > a).count() <= 1 {
        return Ok(staged);
    }
    // Merge the series' runs by (time, series); an entry carries its run's end.
    type Next = std::cmp::Reverse<(i64, u32, usize, usize)>;
    let mut heap: std::collections::BinaryHeap<Next> = runs
        .iter()
        .filter(|(a, b)| b > a)
        .map(|&(a, b)| std::cmp::Reverse((staged.time[a], staged.series[a], a, b)))
        .collect();
    let n = staged.time.len();
    let mut out = Rows {
        time: Vec::with_capacity(n),
        series: Vec::with_capacity(n),
        values: Vec::with_capacity(n * stride),
        stride,
    };
    while let Some(std::cmp::Reverse((t, si, at, end))) = heap.pop() {
        out.time.push(t);
        out.series.push(si);
        for v in &mut staged.values[at * stride..(at + 1) * stride] {
            out.values.push(std::mem::replace(v, Value::Null));
        }
        if at + 1 < end {
            heap.push(std::cmp::Reverse((
                staged.time[at + 1],
                staged.series[at + 1],
                at + 1,
                end,
            )));
        }
    }
    Ok(out)
}

/// Groups of at least this many series are read on two threads.
const PARALLEL_SERIES: usize = 4;

/// Reads and stages the series `series` of `g`: their rows one series after the other, each
/// in time order, and each series' run of rows.
#[allow(clippy::too_many_arguments)]
fn stage(
    snapshot: &Snapshot,
    g: &Group,
    series: std::ops::Range<usize>,
    fields: &[String],
    cond: &Condition,
    (min, end): (i64, i64),
    take: Take,
    budget: &AtomicUsize,
) -> Result<(Rows, Vec<(usize, usize)>)> {
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let stride = fields.len();
    // Each series' rows, in time order, one after the other.
    let mut staged = Rows {
        time: Vec::new(),
        series: Vec::new(),
        values: Vec::new(),
        stride,
    };
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(g.ids.len());
    for si in series {
        let id = &g.ids[si];
        let cols = snapshot.read_columns(*id, &names, min, end, take)?;
        let present: Vec<&strata_engine::ColumnData> = cols.iter().flatten().collect();
        let times: Vec<i64> = match present.as_slice() {
            [] => Vec::new(),
            [one] => one.ts.clone(),
            // Fields written together share their times (the usual case).
            [first, rest @ ..] if rest.iter().all(|c| c.ts == first.ts) => first.ts.clone(),
            many => {
                let mut t: Vec<i64> = many.iter().flat_map(|c| c.ts.iter().copied()).collect();
                t.sort_unstable();
                t.dedup();
                t
            }
        };
        let n = times.len();
        if budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(n))
            .is_err()
        {
            return Err(InfluxqlError::TooLarge(
                "the query reads more than the limit of points: narrow the time range or the series"
                    .into(),
            ));
        }
        let start = staged.time.len();
        // Each column's values converted once (moved, not cloned), then taken row by row.
        let mut cols: Vec<Option<(Vec<i64>, Vec<Value>)>> = cols
            .into_iter()
            .map(|c| c.map(|c| (c.ts, Value::column(c.values))))
            .collect();
        let mut cursor = vec![0usize; cols.len()];
        for t in times {
            let at = staged.values.len();
            for (c, i) in cols.iter_mut().zip(cursor.iter_mut()) {
                staged.values.push(match c {
                    Some((ts, vals)) if ts.get(*i) == Some(&t) => {
                        *i += 1;
                        std::mem::replace(&mut vals[*i - 1], Value::Null)
                    }
                    _ => Value::Null,
                });
            }
            if let Some(test) = &cond.rows {
                let view = RowView {
                    fields,
                    values: &staged.values[at..],
                    tags: &g.series[si],
                };
                if !eval::test(test, &view) {
                    staged.values.truncate(at);
                    continue;
                }
            }
            staged.time.push(t);
            staged.series.push(si as u32);
        }
        runs.push((start, staged.time.len()));
    }
    Ok((staged, runs))
}

fn view<'a>(fields: &'a [String], g: &'a Group, r: &RowRef<'a>) -> RowView<'a> {
    RowView {
        fields,
        values: r.values,
        tags: &g.series[r.series],
    }
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

/// The non-null values of `e` over the group's rows, in time order.
fn points_of(e: &Expr, fields: &[String], g: &Group, rows: RowSlice<'_>) -> Vec<Pt> {
    // A field by itself (the common case): its column, without evaluating an expression.
    if let Expr::Var { name, cast } = e.unparen() {
        if *cast != Some(Cast::Tag) {
            if let Some(i) = fields.iter().position(|f| f == name) {
                return rows
                    .iter()
                    .filter(|r| !r.values[i].is_null())
                    .map(|r| (r.time, r.values[i].clone()))
                    .collect();
            }
        }
    }
    rows.iter()
        .filter_map(|r| {
            let v = eval::eval(e, &view(fields, g, &r));
            (!v.is_null()).then_some((r.time, v))
        })
        .collect()
}

/// A duration argument in nanoseconds, or `default`.
fn duration_arg(args: &[Expr], i: usize, default: i64) -> Result<i64> {
    match args.get(i).map(Expr::unparen) {
        None => Ok(default),
        Some(Expr::Duration(d)) if *d > 0 => Ok(*d),
        Some(_) => Err(InfluxqlError::invalid("second argument must be a duration")),
    }
}

fn transform_args(name: &str, args: &[Expr], default_unit: i64) -> Result<(i64, usize)> {
    if name == "moving_average" {
        let n = match args.get(1).map(Expr::unparen) {
            Some(Expr::Int(n)) if *n > 1 => *n as usize,
            _ => {
                return Err(InfluxqlError::invalid(
                    "moving_average window must be greater than 1",
                ));
            }
        };
        return Ok((1, n));
    }
    let default = if name == "elapsed" { 1 } else { default_unit };
    Ok((duration_arg(args, 1, default)?, 0))
}

fn raw_transform(e: &Expr, fields: &[String], g: &Group, rows: RowSlice<'_>) -> Result<Vec<Pt>> {
    let Expr::Call { name, args } = e.unparen() else {
        return Ok(Vec::new());
    };
    let pts = points_of(&args[0], fields, g, rows);
    let (unit, n) = transform_args(name, args, 1_000_000_000)?;
    functions::transform(name, &pts, unit, n)
}

/// Rows from sparse columns (each in time order), merged by time: at a time where a column
/// has several points (`distinct`, `top`), as many rows as the most of them; nulls where a
/// column has fewer.
fn union_rows(cols: &[Vec<Pt>]) -> Vec<Vec<Value>> {
    let mut at = vec![0usize; cols.len()];
    let mut out = Vec::new();
    loop {
        let next = cols
            .iter()
            .zip(&at)
            .filter_map(|(c, i)| c.get(*i).map(|(t, _)| *t))
            .min();
        let Some(t) = next else { break };
        let mut row = vec![Value::Time(t)];
        for (c, i) in cols.iter().zip(at.iter_mut()) {
            if c.get(*i).is_some_and(|(ct, _)| *ct == t) {
                row.push(c[*i].1.clone());
                *i += 1;
            } else {
                row.push(Value::Null);
            }
        }
        out.push(row);
    }
    out
}

/// The buckets of the range: their start times.
fn buckets(sel: &Select, min: i64, max: i64, limits: Limits) -> Result<Vec<i64>> {
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

fn bucket_of(t: i64, every: i64, offset: i64) -> i64 {
    let o = offset.rem_euclid(every);
    (t as i128 - o as i128).div_euclid(every as i128) as i64 * every + o
}

/// A column of an aggregate query.
enum AggColumn {
    /// One value per bucket (and the time of the point a lone selector picked).
    Dense(Vec<(Value, Option<i64>)>),
    /// Rows at their own times (transformations, top/bottom, distinct).
    Sparse(Vec<Pt>),
}

fn aggregate_rows(
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
    let mut table: Vec<Vec<Value>> = Vec::new();
    if computed.iter().any(|c| matches!(c, AggColumn::Sparse(_))) {
        let sparse: Vec<Vec<Pt>> = computed
            .into_iter()
            .map(|c| match c {
                AggColumn::Sparse(p) => p,
                AggColumn::Dense(_) => Vec::new(),
            })
            .collect();
        table = union_rows(&sparse);
    } else {
        let mut dense: Vec<Vec<(Value, Option<i64>)>> = computed
            .into_iter()
            .map(|c| match c {
                AggColumn::Dense(v) => v,
                AggColumn::Sparse(_) => Vec::new(),
            })
            .collect();
        fill(sel.fill, &mut dense, &empty, &starts, &tag_columns);
        for (b, start) in starts.iter().enumerate() {
            if empty[b] && sel.fill == Fill::None {
                continue;
            }
            let mut time = *start;
            let mut row = vec![Value::Null];
            for col in &dense {
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
    }
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

fn agg_column(
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
fn agg_value(
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
fn streamed(
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

fn top_bottom_column(
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
fn fill(
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
