//! Values of InfluxQL results and rows, with InfluxDB's arithmetic and comparison rules, and
//! the results a statement answers ([`SeriesOut`], [`StatementResult`]).

use std::cmp::Ordering;

/// One cell of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Float(f64),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Str(String),
    /// A timestamp (ns), rendered per the `epoch` parameter.
    Time(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The number this is, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(f) => Some(f),
            Value::Int(n) => Some(n as f64),
            Value::Uint(n) => Some(n as f64),
            _ => None,
        }
    }

    /// The value at `i` of a column (`Null` past its end).
    pub fn at(col: &strata_engine::Column, i: usize) -> Value {
        use strata_engine::Column;
        let v = match col {
            Column::Float(v) => v.get(i).map(|x| Value::Float(*x)),
            Column::Integer(v) => v.get(i).map(|x| Value::Int(*x)),
            Column::Unsigned(v) => v.get(i).map(|x| Value::Uint(*x)),
            Column::Boolean(v) => v.get(i).map(|x| Value::Bool(*x)),
            Column::String(v) => v.get(i).map(|x| Value::Str(x.clone())),
        };
        v.unwrap_or(Value::Null)
    }

    /// Orders values of one type (numbers across their types); `None` for unlike types.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Uint(a), Value::Uint(b)) => Some(a.cmp(b)),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
            (a, b) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        }
    }

    /// A key for grouping equal values (`distinct`, `mode`).
    pub fn key(&self) -> String {
        match self {
            Value::Float(f) => format!("f{}", f.to_bits()),
            Value::Int(n) => format!("i{n}"),
            Value::Uint(n) => format!("u{n}"),
            Value::Bool(b) => format!("b{b}"),
            Value::Str(s) => format!("s{s}"),
            Value::Time(t) => format!("t{t}"),
            Value::Null => "n".into(),
        }
    }
}

impl strata_query::fill::Fillable for Value {
    fn from_number(n: f64, like: Option<&Self>) -> Self {
        match like {
            Some(Value::Int(_)) if n.fract() == 0.0 && n.abs() < 9.0e18 => Value::Int(n as i64),
            _ => Value::Float(n),
        }
    }

    fn lerp(a: &Self, b: &Self, f: f64) -> Option<Self> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Some(Value::Int(*x + ((*y - *x) as f64 * f) as i64)),
            (a, b) => {
                let (x, y) = (a.as_f64()?, b.as_f64()?);
                Some(Value::Float(x + (y - x) * f))
            }
        }
    }
}

/// One series of a statement's result.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesOut {
    pub name: String,
    /// Empty: no `tags` key in the answer.
    pub tags: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// `"partial": true` on a series cut by chunking (unused: chunks split whole series).
    pub partial: bool,
}

impl SeriesOut {
    pub fn new(name: impl Into<String>, columns: Vec<String>) -> Self {
        SeriesOut {
            name: name.into(),
            tags: Vec::new(),
            columns,
            rows: Vec::new(),
            partial: false,
        }
    }
}

/// A statement's answer: its series, or the error it failed with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementResult {
    pub statement_id: usize,
    pub series: Vec<SeriesOut>,
    pub error: Option<String>,
    /// The error is storage that cannot be reached now (the cold tier's object store): the
    /// server answers the request with a 503.
    pub unavailable: bool,
}
