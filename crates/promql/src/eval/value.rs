//! What an expression evaluates to over a query's steps. A range query is evaluated once for
//! all its steps, not step by step: a vector is a list of series, each with the steps at which
//! it has a value; a scalar has one value per step.

use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;
use crate::select::samples::Sample;

/// The evaluation times: `start + k * step` for `k < count`, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    pub start: i64,
    pub step: i64,
    pub count: usize,
}

impl Steps {
    /// One evaluation at `t`.
    pub fn instant(t: i64) -> Self {
        Steps {
            start: t,
            step: 1,
            count: 1,
        }
    }

    /// The time of step `k`.
    pub fn at(&self, k: usize) -> i64 {
        self.start
            .saturating_add(self.step.saturating_mul(k as i64))
    }

    /// The last step's time.
    pub fn end(&self) -> i64 {
        self.at(self.count.saturating_sub(1))
    }
}

/// One series of an instant vector over the steps: `(step index, value)`, by step.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub points: Vec<(u32, f64)>,
}

/// One series of a range vector: its samples in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub samples: Vec<Sample>,
}

/// A value of each PromQL type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// One value per step.
    Scalar(Vec<f64>),
    Vector(Vec<Series>),
    /// Only at the top of an instant query (`x[5m]`); functions read range vectors directly.
    Matrix(Vec<RangeSeries>),
    String(String),
}

impl Value {
    /// The type's name in Prometheus' messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
            Value::String(_) => "string",
        }
    }

    pub(crate) fn into_vector(self) -> Result<Vec<Series>> {
        match self {
            Value::Vector(v) => Ok(v),
            other => Err(PromqlError::exec(format!(
                "expected instant vector, got {}",
                other.type_name()
            ))),
        }
    }

    pub(crate) fn into_scalar(self) -> Result<Vec<f64>> {
        match self {
            Value::Scalar(v) => Ok(v),
            other => Err(PromqlError::exec(format!(
                "expected scalar, got {}",
                other.type_name()
            ))),
        }
    }
}

/// Merges series with equal labels whose steps do not overlap (a step's two values for one
/// label set is Prometheus' "vector cannot contain metrics with the same labelset").
pub fn merge_same_labels(series: Vec<Series>) -> Result<Vec<Series>> {
    let mut index: hashbrown::HashMap<Labels, usize, foldhash::fast::RandomState> =
        hashbrown::HashMap::with_capacity_and_hasher(series.len(), Default::default());
    let mut out: Vec<Series> = Vec::with_capacity(series.len());
    for s in series {
        if s.points.is_empty() {
            continue;
        }
        match index.get(&s.labels) {
            None => {
                index.insert(s.labels.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                let merged = merge_points(&out[i].points, &s.points)?;
                out[i].points = merged;
            }
        }
    }
    Ok(out)
}

fn merge_points(a: &[(u32, f64)], b: &[(u32, f64)]) -> Result<Vec<(u32, f64)>> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => return Err(duplicate_labelset()),
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push(*x);
                i += 1;
            }
            (Some(_), Some(y)) | (None, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (None, None) => break,
        }
    }
    Ok(out)
}

pub(crate) fn duplicate_labelset() -> PromqlError {
    PromqlError::exec("vector cannot contain metrics with the same labelset")
}

/// Label sets numbered in order of first appearance (aggregation groups, output series).
#[derive(Debug, Default)]
pub struct Groups {
    pub labels: Vec<Labels>,
    index: hashbrown::HashMap<Labels, usize, foldhash::fast::RandomState>,
}

impl Groups {
    /// The number of `key`, numbering it if it is new.
    pub fn of(&mut self, key: Labels) -> usize {
        if let Some(&g) = self.index.get(&key) {
            return g;
        }
        self.labels.push(key.clone());
        self.index.insert(key, self.labels.len() - 1);
        self.labels.len() - 1
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The series' values laid out by step: for each step, `(series index, value)`.
pub fn by_step(series: &[Series], steps: usize) -> Vec<Vec<(u32, f64)>> {
    let mut out: Vec<Vec<(u32, f64)>> = vec![Vec::new(); steps];
    for (i, s) in series.iter().enumerate() {
        for &(k, v) in &s.points {
            if let Some(slot) = out.get_mut(k as usize) {
                slot.push((i as u32, v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(l: &str, points: &[(u32, f64)]) -> Series {
        Series {
            labels: Labels::from_pairs([("a".to_string(), l.to_string())]),
            points: points.to_vec(),
        }
    }

    #[test]
    fn merging() {
        let got = merge_same_labels(vec![
            s("x", &[(0, 1.0)]),
            s("y", &[(1, 2.0)]),
            s("x", &[(2, 3.0)]),
        ])
        .unwrap();
        assert_eq!(
            got,
            vec![s("x", &[(0, 1.0), (2, 3.0)]), s("y", &[(1, 2.0)])]
        );
        let err = merge_same_labels(vec![s("x", &[(0, 1.0)]), s("x", &[(0, 3.0)])]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vector cannot contain metrics with the same labelset"
        );
        assert_eq!(
            Steps {
                start: 10,
                step: 5,
                count: 3
            }
            .end(),
            20
        );
    }
}
