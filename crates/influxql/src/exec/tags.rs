//! Tag conditions on the postings: `tag = 'v'`, `!=`, `=~ /re/`, `!~`, joined by `AND`/`OR`,
//! as set algebra on a measurement's roaring bitmaps, never a scan of series keys. As in
//! InfluxDB a series without the tag has it as `""`: `host != 'a'` and `host !~ /a/` match
//! it, `host = ''` matches it.

use regex::Regex;
use roaring::RoaringBitmap;
use strata_engine::MeasurementIndex;

use super::select::compile;
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::{BinOp, Expr};

/// A tag condition, regexes compiled.
pub enum TagExpr {
    And(Box<TagExpr>, Box<TagExpr>),
    Or(Box<TagExpr>, Box<TagExpr>),
    Eq(String, String),
    Ne(String, String),
    Match(String, Regex),
    NotMatch(String, Regex),
}

/// Compiles a condition [`crate::plan::condition::split`] classed as tags only.
pub fn compile_tag_expr(e: &Expr) -> Result<TagExpr> {
    match e.unparen() {
        Expr::Binary { op, lhs, rhs } if matches!(op, BinOp::And | BinOp::Or) => {
            let (l, r) = (compile_tag_expr(lhs)?, compile_tag_expr(rhs)?);
            Ok(if *op == BinOp::And {
                TagExpr::And(Box::new(l), Box::new(r))
            } else {
                TagExpr::Or(Box::new(l), Box::new(r))
            })
        }
        Expr::Binary { op, lhs, rhs } => {
            let (key, lit) = match (lhs.unparen(), rhs.unparen()) {
                (Expr::Var { name, .. }, lit) | (lit, Expr::Var { name, .. }) => {
                    (name.clone(), lit)
                }
                _ => return Err(InfluxqlError::invalid("invalid tag condition")),
            };
            Ok(match (op, lit) {
                (BinOp::Eq, Expr::Str(v)) => TagExpr::Eq(key, v.clone()),
                (BinOp::Ne, Expr::Str(v)) => TagExpr::Ne(key, v.clone()),
                (BinOp::Match | BinOp::Eq, Expr::Regex(re)) => TagExpr::Match(key, compile(re)?),
                (BinOp::NotMatch | BinOp::Ne, Expr::Regex(re)) => {
                    TagExpr::NotMatch(key, compile(re)?)
                }
                _ => return Err(InfluxqlError::invalid("invalid tag condition")),
            })
        }
        _ => Err(InfluxqlError::invalid("invalid tag condition")),
    }
}

/// The series of `idx` satisfying `e`.
pub fn select(idx: &MeasurementIndex, e: &TagExpr) -> RoaringBitmap {
    let all = idx.series();
    let with_value = |key: &str, v: &str| -> RoaringBitmap {
        if v.is_empty() {
            // `= ''`: the series without the tag.
            let mut has = RoaringBitmap::new();
            for (_, b) in idx.tag_values(key) {
                has |= b;
            }
            return all - &has;
        }
        idx.postings(key, v).cloned().unwrap_or_default()
    };
    let matching = |key: &str, re: &Regex| -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        let mut has = RoaringBitmap::new();
        for (v, b) in idx.tag_values(key) {
            has |= b;
            if re.is_match(v) {
                out |= b;
            }
        }
        if re.is_match("") {
            out |= all - &has;
        }
        out
    };
    match e {
        TagExpr::And(a, b) => select(idx, a) & select(idx, b),
        TagExpr::Or(a, b) => select(idx, a) | select(idx, b),
        TagExpr::Eq(k, v) => with_value(k, v),
        TagExpr::Ne(k, v) => all - &with_value(k, v),
        TagExpr::Match(k, re) => matching(k, re),
        TagExpr::NotMatch(k, re) => all - &matching(k, re),
    }
}
