//! A system-neutral query result: `(group, field, window/point time, value)` rows, sorted,
//! and the comparison that catches a fast wrong answer.
//!
//! `group` is the hostname for per-host queries and `*` where the selected hosts are folded
//! together. Comparisons are of sets: order and limits were applied by each system, so a
//! wrong `desc`/`limit` shows up as different rows.

use std::fmt::Write as _;

/// One value of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub group: String,
    pub field: String,
    pub ts_ms: i64,
    pub value: f64,
}

/// A normalised result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Sorted by `(group, field, ts_ms)`.
    pub rows: Vec<ResultRow>,
}

impl QueryResult {
    /// A result of these rows (sorted here).
    pub fn new(mut rows: Vec<ResultRow>) -> QueryResult {
        rows.sort_by(|a, b| (&a.group, &a.field, a.ts_ms).cmp(&(&b.group, &b.field, b.ts_ms)));
        QueryResult { rows }
    }

    /// Keeps only the rows of `fields` (to compare with a system that answered fewer).
    pub fn restrict_fields(&self, fields: &[&str]) -> QueryResult {
        QueryResult {
            rows: self
                .rows
                .iter()
                .filter(|r| fields.contains(&r.field.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// The same rows with every timestamp set to 0 (for systems that cannot report the
    /// time of a point, as a PromQL instant query).
    pub fn without_timestamps(&self) -> QueryResult {
        QueryResult::new(
            self.rows
                .iter()
                .map(|r| ResultRow {
                    ts_ms: 0,
                    ..r.clone()
                })
                .collect(),
        )
    }
}

/// Whether two floats agree within a relative and an absolute tolerance of `tol`.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// `None` when `expected` and `actual` hold the same rows (values within `tol`), otherwise
/// a description of the first differences.
pub fn diff(expected: &QueryResult, actual: &QueryResult, tol: f64) -> Option<String> {
    let (mut i, mut j) = (0, 0);
    let (e, a) = (&expected.rows, &actual.rows);
    let mut out = String::new();
    let mut problems = 0;
    let mut note = |out: &mut String, line: String| {
        problems += 1;
        if problems <= 5 {
            let _ = writeln!(out, "    {line}");
        }
    };
    // Borrowed, so comparing two rows copies nothing.
    fn key(r: &ResultRow) -> (&str, &str, i64) {
        (&r.group, &r.field, r.ts_ms)
    }
    while i < e.len() || j < a.len() {
        match (e.get(i), a.get(j)) {
            (Some(x), Some(y)) if key(x) == key(y) => {
                if !close(x.value, y.value, tol) {
                    note(
                        &mut out,
                        format!(
                            "{} {} @{}: {} vs {}",
                            x.group, x.field, x.ts_ms, x.value, y.value
                        ),
                    );
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if key(x) < key(y) => {
                note(
                    &mut out,
                    format!(
                        "{} {} @{}: {} vs missing",
                        x.group, x.field, x.ts_ms, x.value
                    ),
                );
                i += 1;
            }
            (Some(x), None) => {
                note(
                    &mut out,
                    format!(
                        "{} {} @{}: {} vs missing",
                        x.group, x.field, x.ts_ms, x.value
                    ),
                );
                i += 1;
            }
            (_, Some(y)) => {
                note(
                    &mut out,
                    format!(
                        "{} {} @{}: missing vs {}",
                        y.group, y.field, y.ts_ms, y.value
                    ),
                );
                j += 1;
            }
            (None, None) => break,
        }
    }
    if problems == 0 {
        None
    } else {
        Some(format!(
            "{problems} differing rows ({} vs {} rows); first ones:\n{out}",
            e.len(),
            a.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(g: &str, f: &str, t: i64, v: f64) -> ResultRow {
        ResultRow {
            group: g.into(),
            field: f.into(),
            ts_ms: t,
            value: v,
        }
    }

    #[test]
    fn equal_within_tolerance_regardless_of_order() {
        let a = QueryResult::new(vec![row("*", "u", 2, 1.0), row("*", "u", 1, 2.0)]);
        let b = QueryResult::new(vec![row("*", "u", 1, 2.0 + 1e-12), row("*", "u", 2, 1.0)]);
        assert_eq!(diff(&a, &b, 1e-9), None);
    }

    #[test]
    fn reports_value_and_missing_rows() {
        let a = QueryResult::new(vec![row("*", "u", 1, 1.0), row("*", "u", 2, 2.0)]);
        let b = QueryResult::new(vec![row("*", "u", 1, 1.5), row("*", "u", 3, 3.0)]);
        let d = diff(&a, &b, 1e-9).unwrap();
        assert!(d.starts_with("3 differing rows"), "{d}");
        assert!(d.contains("1 vs 1.5") && d.contains("vs missing") && d.contains("missing vs 3"));
        assert!(diff(&a, &QueryResult::default(), 1e-9).is_some());
    }

    #[test]
    fn restrict_and_drop_timestamps() {
        let a = QueryResult::new(vec![row("h", "a", 5, 1.0), row("h", "b", 5, 2.0)]);
        assert_eq!(a.restrict_fields(&["b"]).rows, vec![row("h", "b", 5, 2.0)]);
        assert!(a.without_timestamps().rows.iter().all(|r| r.ts_ms == 0));
    }
}
