//! The output columns of a `SELECT` and their assembly: a column's expression and name,
//! rows merged from sparse columns by time, and the arguments of the transformations.

use super::functions::Pt;
use crate::error::{InfluxqlError, Result};
use crate::parse::ast::Expr;
use crate::value::Value;

/// One output column: its expression and name.
pub(super) struct Column {
    pub(super) expr: Expr,
    pub(super) name: String,
}

/// A duration argument in nanoseconds, or `default`.
pub(super) fn duration_arg(args: &[Expr], i: usize, default: i64) -> Result<i64> {
    match args.get(i).map(Expr::unparen) {
        None => Ok(default),
        Some(Expr::Duration(d)) if *d > 0 => Ok(*d),
        Some(_) => Err(InfluxqlError::invalid("second argument must be a duration")),
    }
}

pub(super) fn transform_args(name: &str, args: &[Expr], default_unit: i64) -> Result<(i64, usize)> {
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

/// Rows from sparse columns (each in time order), merged by time: at a time where a column
/// has several points (`distinct`, `top`), as many rows as the most of them; nulls where a
/// column has fewer.
pub(super) fn union_rows(cols: &[Vec<Pt>]) -> Vec<Vec<Value>> {
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
