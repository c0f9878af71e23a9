//! Binary operators: arithmetic, comparisons (filtering, or 0/1 with `bool`), set operators,
//! between scalars, between a vector and a scalar, and between vectors matched on their
//! labels (`on`, `ignoring`, `group_left`, `group_right`), step by step with Prometheus'
//! rules and error messages.

use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB,
};
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::Evaluator;
use super::value::{Series, Steps, Value, by_step, merge_same_labels};
use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;

type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// `lhs op rhs` for two numbers: the value, and for comparisons whether it holds.
fn apply(op: u16, l: f64, r: f64) -> (f64, bool) {
    match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_POW => (l.powf(r), true),
        T_MOD => (l % r, true),
        T_ATAN2 => (l.atan2(r), true),
        T_EQLC => (l, l == r),
        T_NEQ => (l, l != r),
        T_GTR => (l, l > r),
        T_LSS => (l, l < r),
        T_GTE => (l, l >= r),
        T_LTE => (l, l <= r),
        _ => (f64::NAN, false),
    }
}

fn is_comparison(op: u16) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

/// Prometheus 2.42 drops the name for these operators only (not `atan2`).
fn drops_name(op: u16) -> bool {
    matches!(op, T_ADD | T_SUB | T_MUL | T_DIV | T_POW | T_MOD)
}

/// How two vectors' series are matched.
struct Matching {
    card: VectorMatchCardinality,
    on: bool,
    labels: Vec<String>,
    include: Vec<String>,
}

impl Matching {
    fn of(modifier: Option<&BinModifier>) -> Self {
        let card = modifier.map_or(VectorMatchCardinality::OneToOne, |m| m.card.clone());
        let (on, labels) = match modifier.and_then(|m| m.matching.as_ref()) {
            Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
            Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
            None => (false, Vec::new()),
        };
        let include = card.labels().map(|l| l.labels.clone()).unwrap_or_default();
        Matching {
            card,
            on,
            labels,
            include,
        }
    }

    fn signature(&self, l: &Labels) -> Labels {
        if self.on {
            l.keep(&self.labels)
        } else {
            l.drop_with_name(&self.labels)
        }
    }
}

impl Evaluator<'_> {
    pub(super) fn binary(&self, b: &BinaryExpr, steps: &Steps) -> Result<Value> {
        let op = b.op.id();
        let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        if let Some(m) = &b.modifier {
            if m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some() {
                return Err(PromqlError::bad(
                    "fill modifiers are not supported (Prometheus 2.x syntax)",
                ));
            }
        }
        let lhs = self.eval(&b.lhs, steps)?;
        let rhs = self.eval(&b.rhs, steps)?;
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => Ok(Value::Scalar(
                l.iter()
                    .zip(&r)
                    .map(|(&l, &r)| {
                        let (v, keep) = apply(op, l, r);
                        if is_comparison(op) {
                            f64::from(u8::from(keep))
                        } else {
                            v
                        }
                    })
                    .collect(),
            )),
            (Value::Vector(v), Value::Scalar(s)) => vector_scalar(op, v, &s, false, return_bool),
            (Value::Scalar(s), Value::Vector(v)) => vector_scalar(op, v, &s, true, return_bool),
            (Value::Vector(l), Value::Vector(r)) => {
                let matching = Matching::of(b.modifier.as_ref());
                let out = match op {
                    T_LAND | T_LOR | T_LUNLESS => set_operation(op, l, r, &matching, steps)?,
                    _ => vector_vector(op, l, r, &matching, return_bool, steps)?,
                };
                Ok(Value::Vector(out))
            }
            (l, r) => Err(PromqlError::exec(format!(
                "binary operator {} is not defined between {} and {}",
                b.op,
                l.type_name(),
                r.type_name()
            ))),
        }
    }
}

fn vector_scalar(
    op: u16,
    input: Vec<Series>,
    s: &[f64],
    swap: bool,
    return_bool: bool,
) -> Result<Value> {
    let drop = drops_name(op) || return_bool;
    let out = input
        .into_iter()
        .map(|series| Series {
            labels: if drop {
                series.labels.without_name()
            } else {
                series.labels
            },
            points: series
                .points
                .into_iter()
                .filter_map(|(k, v)| {
                    let (l, r) = if swap {
                        (s[k as usize], v)
                    } else {
                        (v, s[k as usize])
                    };
                    let (mut value, mut keep) = apply(op, l, r);
                    if is_comparison(op) && swap {
                        value = r;
                    }
                    if return_bool {
                        value = f64::from(u8::from(keep));
                        keep = true;
                    }
                    keep.then_some((k, value))
                })
                .collect(),
        })
        .collect();
    Ok(Value::Vector(merge_same_labels(out)?))
}

/// `and`, `or`, `unless`, step by step on the series' signatures.
fn set_operation(
    op: u16,
    lhs: Vec<Series>,
    rhs: Vec<Series>,
    m: &Matching,
    steps: &Steps,
) -> Result<Vec<Series>> {
    let sig_l: Vec<Labels> = lhs.iter().map(|s| m.signature(&s.labels)).collect();
    let sig_r: Vec<Labels> = rhs.iter().map(|s| m.signature(&s.labels)).collect();
    let at_l = by_step(&lhs, steps.count);
    let at_r = by_step(&rhs, steps.count);
    let mut out_l: Vec<Vec<(u32, f64)>> = vec![Vec::new(); lhs.len()];
    let mut out_r: Vec<Vec<(u32, f64)>> = vec![Vec::new(); rhs.len()];
    let mut sigs: hashbrown::HashSet<&Labels> = hashbrown::HashSet::new();
    for k in 0..steps.count {
        let (l, r) = (&at_l[k], &at_r[k]);
        sigs.clear();
        match op {
            T_LAND => {
                sigs.extend(r.iter().map(|&(i, _)| &sig_r[i as usize]));
                for &(i, v) in l {
                    if sigs.contains(&sig_l[i as usize]) {
                        out_l[i as usize].push((k as u32, v));
                    }
                }
            }
            T_LUNLESS => {
                sigs.extend(r.iter().map(|&(i, _)| &sig_r[i as usize]));
                for &(i, v) in l {
                    if !sigs.contains(&sig_l[i as usize]) {
                        out_l[i as usize].push((k as u32, v));
                    }
                }
            }
            _ => {
                for &(i, v) in l {
                    sigs.insert(&sig_l[i as usize]);
                    out_l[i as usize].push((k as u32, v));
                }
                for &(i, v) in r {
                    if !sigs.contains(&sig_r[i as usize]) {
                        out_r[i as usize].push((k as u32, v));
                    }
                }
            }
        }
    }
    let out: Vec<Series> = lhs
        .into_iter()
        .zip(out_l)
        .chain(rhs.into_iter().zip(out_r))
        .filter(|(_, p)| !p.is_empty())
        .map(|(s, points)| Series {
            labels: s.labels,
            points,
        })
        .collect();
    // `or` may give one label set from both sides at different steps (never at one step:
    // a right series whose labels equal a left one's has its signature too).
    merge_same_labels(out)
}

/// Arithmetic and comparisons between two vectors.
fn vector_vector(
    op: u16,
    lhs: Vec<Series>,
    rhs: Vec<Series>,
    m: &Matching,
    return_bool: bool,
    steps: &Steps,
) -> Result<Vec<Series>> {
    let one_to_many = matches!(m.card, VectorMatchCardinality::OneToMany(_));
    if matches!(m.card, VectorMatchCardinality::ManyToMany) {
        return Err(PromqlError::exec(
            "many-to-many matching is only allowed for set operators",
        ));
    }
    // The "many" side is `left` below; with group_right the sides swap.
    let (left, right) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    let sig_l: Vec<Labels> = left.iter().map(|s| m.signature(&s.labels)).collect();
    let sig_r: Vec<Labels> = right.iter().map(|s| m.signature(&s.labels)).collect();
    let at_l = by_step(&left, steps.count);
    let at_r = by_step(&right, steps.count);
    let mut results: Map<(u32, u32), Labels> = Map::default();
    let mut out_index: Map<Labels, usize> = Map::default();
    let mut out: Vec<Series> = Vec::new();
    let mut right_sigs: Map<&Labels, (u32, f64)> = Map::default();
    let mut matched: Map<&Labels, Vec<Labels>> = Map::default();
    for k in 0..steps.count {
        right_sigs.clear();
        matched.clear();
        for &(i, v) in &at_r[k] {
            let sig = &sig_r[i as usize];
            if let Some(&(j, _)) = right_sigs.get(sig) {
                let side = if one_to_many { "left" } else { "right" };
                let shown = if m.on {
                    right[i as usize].labels.keep(&m.labels)
                } else {
                    right[i as usize].labels.drop_with_name(&m.labels)
                };
                return Err(PromqlError::exec(format!(
                    "found duplicate series for the match group {shown} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                    right[i as usize].labels, right[j as usize].labels
                )));
            }
            right_sigs.insert(sig, (i, v));
        }
        for &(i, lv) in &at_l[k] {
            let sig = &sig_l[i as usize];
            let Some(&(j, rv)) = right_sigs.get(sig) else {
                continue;
            };
            let (vl, vr) = if one_to_many { (rv, lv) } else { (lv, rv) };
            let (mut value, keep) = apply(op, vl, vr);
            if return_bool {
                value = f64::from(u8::from(keep));
            } else if !keep {
                continue;
            }
            let labels = results
                .entry((i, j))
                .or_insert_with(|| {
                    let mut l =
                        result_labels(&left[i as usize].labels, &right[j as usize].labels, op, m);
                    if return_bool {
                        l = l.without_name();
                    }
                    l
                })
                .clone();
            let seen = matched.entry(sig).or_default();
            if matches!(m.card, VectorMatchCardinality::OneToOne) {
                if !seen.is_empty() {
                    return Err(PromqlError::exec(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                    ));
                }
            } else if seen.contains(&labels) {
                return Err(PromqlError::exec(
                    "multiple matches for matching labels in grouping",
                ));
            }
            seen.push(labels.clone());
            let o = match out_index.get(&labels) {
                Some(&o) => o,
                None => {
                    out_index.insert(labels.clone(), out.len());
                    out.push(Series {
                        labels,
                        points: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            if out[o]
                .points
                .last()
                .is_some_and(|&(last, _)| last == k as u32)
            {
                return Err(super::value::duplicate_labelset());
            }
            out[o].points.push((k as u32, value));
        }
    }
    Ok(out)
}

/// Prometheus' `resultMetric`: the many side's labels, the name dropped for arithmetic,
/// narrowed to the matching labels for one-to-one, with `group_x` labels from the one side.
fn result_labels(many: &Labels, one: &Labels, op: u16, m: &Matching) -> Labels {
    let mut l = many.clone();
    if drops_name(op) {
        l = l.without_name();
    }
    if matches!(m.card, VectorMatchCardinality::OneToOne) {
        l = if m.on {
            l.keep(&m.labels)
        } else {
            Labels::from_pairs(
                l.iter()
                    .filter(|(k, _)| !m.labels.iter().any(|n| n == k))
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            )
        };
    }
    for name in &m.include {
        let v = one.get(name);
        l.set(name, v);
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elementwise() {
        assert_eq!(apply(T_ADD, 1.0, 2.0), (3.0, true));
        assert_eq!(apply(T_GTR, 1.0, 2.0), (1.0, false));
        assert_eq!(apply(T_MOD, -7.0, 3.0).0, -1.0);
        assert!(drops_name(T_SUB) && !drops_name(T_ATAN2) && !drops_name(T_EQLC));
    }
}
