//! Row-level evaluation: an expression over one row's field values and its series' tags
//! (raw selections, `WHERE` tests on fields), with InfluxDB's arithmetic (integer `+ - * %`
//! stay integers, `/` is a float division, a division by zero is 0) and comparisons.

use regex::Regex;

use super::functions;
use crate::parse::ast::{BinOp, Cast, Expr};
use crate::value::Value;

/// What a row offers: fields by name (`Some(Null)` for a field of the measurement without
/// a value in this row, `None` for a name that is no field), tags by key.
pub trait RowSource {
    fn field(&self, name: &str) -> Option<&Value>;
    fn tag(&self, key: &str) -> Option<&str>;
}

/// The value of `e` for one row (`Null` where a name has no value).
pub fn eval<R: RowSource + ?Sized>(e: &Expr, row: &R) -> Value {
    match e {
        Expr::Paren(inner) => eval(inner, row),
        Expr::Var { name, cast } => {
            if *cast != Some(Cast::Tag) {
                if let Some(v) = row.field(name) {
                    return v.clone();
                }
            }
            if *cast != Some(Cast::Field) {
                if let Some(t) = row.tag(name) {
                    return Value::Str(t.to_string());
                }
            }
            Value::Null
        }
        Expr::Int(n) => Value::Int(*n),
        Expr::Float(f) => Value::Float(*f),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Duration(d) => Value::Int(*d),
        Expr::Regex(_) | Expr::Wildcard(_) => Value::Null,
        Expr::Call { name, args } => {
            let vals: Vec<Value> = args.iter().map(|a| eval(a, row)).collect();
            functions::math(name, &vals).unwrap_or(Value::Null)
        }
        Expr::Binary { op, lhs, rhs } => match op {
            BinOp::And | BinOp::Or => Value::Bool(test(e, row)),
            op if op.is_comparison() => Value::Bool(test(e, row)),
            op => arith(*op, &eval(lhs, row), &eval(rhs, row)),
        },
    }
}

/// InfluxDB's arithmetic on two values.
pub fn arith(op: BinOp, l: &Value, r: &Value) -> Value {
    match (l, r) {
        (Value::Int(a), Value::Int(b)) => {
            let (a, b) = (*a, *b);
            match op {
                BinOp::Add => Value::Int(a.wrapping_add(b)),
                BinOp::Sub => Value::Int(a.wrapping_sub(b)),
                BinOp::Mul => Value::Int(a.wrapping_mul(b)),
                BinOp::Div => Value::Float(if b == 0 { 0.0 } else { a as f64 / b as f64 }),
                BinOp::Mod => Value::Int(if b == 0 { 0 } else { a.wrapping_rem(b) }),
                BinOp::BitAnd => Value::Int(a & b),
                BinOp::BitOr => Value::Int(a | b),
                BinOp::BitXor => Value::Int(a ^ b),
                _ => Value::Null,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            BinOp::BitAnd => Value::Bool(a & b),
            BinOp::BitOr => Value::Bool(a | b),
            BinOp::BitXor => Value::Bool(a ^ b),
            _ => Value::Null,
        },
        (a, b) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return Value::Null;
            };
            Value::Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => {
                    if b == 0.0 {
                        0.0
                    } else {
                        a / b
                    }
                }
                BinOp::Mod => {
                    if b == 0.0 {
                        0.0
                    } else {
                        a % b
                    }
                }
                _ => return Value::Null,
            })
        }
    }
}

/// Whether a condition holds for one row. A comparison with a missing value is false; a
/// missing tag compares as the empty string (as in InfluxDB).
pub fn test<R: RowSource + ?Sized>(e: &Expr, row: &R) -> bool {
    match e {
        Expr::Paren(inner) => test(inner, row),
        Expr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => test(lhs, row) && test(rhs, row),
        Expr::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
        } => test(lhs, row) || test(rhs, row),
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            let side = |e: &Expr| -> Value {
                match e.unparen() {
                    // A missing tag is "".
                    Expr::Var { name, cast } => match eval(e, row) {
                        Value::Null if *cast != Some(Cast::Field) && row.field(name).is_none() => {
                            Value::Str(String::new())
                        }
                        v => v,
                    },
                    _ => eval(e, row),
                }
            };
            if let (Expr::Regex(re), other) | (other, Expr::Regex(re)) =
                (lhs.unparen(), rhs.unparen())
            {
                let Ok(re) = Regex::new(re) else { return false };
                let Value::Str(s) = side(other) else {
                    return false;
                };
                let m = re.is_match(&s);
                return match op {
                    BinOp::Match | BinOp::Eq => m,
                    BinOp::NotMatch | BinOp::Ne => !m,
                    _ => false,
                };
            }
            let (l, r) = (side(lhs), side(rhs));
            if l.is_null() || r.is_null() {
                return false;
            }
            let Some(ord) = l.compare(&r) else {
                return false;
            };
            match op {
                BinOp::Eq => ord.is_eq(),
                BinOp::Ne => ord.is_ne(),
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                BinOp::Ge => ord.is_ge(),
                _ => false,
            }
        }
        Expr::Bool(b) => *b,
        e => matches!(eval(e, row), Value::Bool(true)),
    }
}

/// The field names `e` reads (variables not cast to a tag).
pub fn vars(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Var { name, cast } if *cast != Some(Cast::Tag) && !out.contains(name) => {
            out.push(name.clone());
        }
        Expr::Call { args, .. } => args.iter().for_each(|a| vars(a, out)),
        Expr::Binary { lhs, rhs, .. } => {
            vars(lhs, out);
            vars(rhs, out);
        }
        Expr::Paren(inner) => vars(inner, out),
        _ => {}
    }
}
