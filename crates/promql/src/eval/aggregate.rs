//! Aggregations over label groups, at every step: `sum avg count min max group stddev
//! stdvar` accumulate per group and step; `topk bottomk quantile count_values` collect each
//! step's values first. Grouping follows `by` (only the listed labels, the name included if
//! listed) or `without` (all but the listed labels and the name).

use promql_parser::parser::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_MAX, T_MIN, T_QUANTILE, T_STDDEV,
    T_STDVAR, T_SUM, T_TOPK,
};
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};

use super::Evaluator;
use super::functions::quantile;
use super::value::{Groups, Series, Steps, Value, by_step};
use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;
use crate::model::number::{cmp_nan_last, format_value};

/// A running aggregate of one group at one step.
#[derive(Debug, Clone, Copy)]
struct Acc {
    value: f64,
    mean: f64,
    count: f64,
}

impl Evaluator<'_> {
    pub(super) fn aggregate(&self, a: &AggregateExpr, steps: &Steps) -> Result<Value> {
        let op = a.op.id();
        let input = self.eval(&a.expr, steps)?.into_vector()?;
        let group_key = |l: &Labels| -> Labels {
            match &a.modifier {
                Some(LabelModifier::Include(by)) => l.keep(&by.labels),
                Some(LabelModifier::Exclude(without)) => l.drop_with_name(&without.labels),
                None => Labels::default(),
            }
        };
        let mut groups = Groups::default();
        let group_of: Vec<usize> = input
            .iter()
            .map(|s| groups.of(group_key(&s.labels)))
            .collect();
        let groups = groups.labels;
        match op {
            T_TOPK | T_BOTTOMK => {
                let k = self.scalar_param(a, steps)?;
                Ok(Value::Vector(top_bottom(
                    &input,
                    &group_of,
                    groups.len(),
                    &k,
                    op == T_TOPK,
                    steps,
                )?))
            }
            T_QUANTILE => {
                let q = self.scalar_param(a, steps)?;
                let mut values: Vec<Vec<Vec<f64>>> = self.dense(groups.len(), steps, Vec::new)?;
                for (s, &g) in input.iter().zip(&group_of) {
                    for &(k, v) in &s.points {
                        values[g][k as usize].push(v);
                    }
                }
                let out = groups
                    .into_iter()
                    .zip(values)
                    .map(|(labels, mut per_step)| Series {
                        labels,
                        points: per_step
                            .iter_mut()
                            .enumerate()
                            .filter(|(_, v)| !v.is_empty())
                            .map(|(k, v)| (k as u32, quantile(q[k], v)))
                            .collect(),
                    })
                    .collect();
                Ok(Value::Vector(out))
            }
            T_COUNT_VALUES => {
                let label = match a.param.as_deref() {
                    Some(Expr::StringLiteral(s)) => s.val.clone(),
                    _ => return Err(PromqlError::bad("count_values needs a string label name")),
                };
                let mut outputs = Groups::default();
                let mut out: Vec<Series> = Vec::new();
                for (k, at_step) in by_step(&input, steps.count).into_iter().enumerate() {
                    for (i, v) in at_step {
                        let mut labels = groups[group_of[i as usize]].clone();
                        labels.set(&label, &format_value(v));
                        let o = outputs.of(labels);
                        if o == out.len() {
                            out.push(Series {
                                labels: outputs.labels[o].clone(),
                                points: Vec::new(),
                            });
                        }
                        match out[o].points.last_mut() {
                            Some((last, c)) if *last == k as u32 => *c += 1.0,
                            _ => out[o].points.push((k as u32, 1.0)),
                        }
                    }
                }
                Ok(Value::Vector(out))
            }
            T_SUM | T_AVG | T_COUNT | T_MIN | T_MAX | T_GROUP | T_STDDEV | T_STDVAR => {
                let mut accs: Vec<Vec<Option<Acc>>> = self.dense(groups.len(), steps, || None)?;
                for (s, &g) in input.iter().zip(&group_of) {
                    let row = &mut accs[g];
                    for &(k, v) in &s.points {
                        let slot = &mut row[k as usize];
                        match slot {
                            None => {
                                *slot = Some(Acc {
                                    value: match op {
                                        T_STDDEV | T_STDVAR => 0.0,
                                        T_COUNT | T_GROUP => 1.0,
                                        _ => v,
                                    },
                                    mean: v,
                                    count: 1.0,
                                })
                            }
                            Some(acc) => accumulate(op, acc, v),
                        }
                    }
                }
                let out = groups
                    .into_iter()
                    .zip(accs)
                    .map(|(labels, row)| Series {
                        labels,
                        points: row
                            .into_iter()
                            .enumerate()
                            .filter_map(|(k, acc)| acc.map(|acc| (k as u32, finish(op, acc))))
                            .collect(),
                    })
                    .filter(|s| !s.points.is_empty())
                    .collect();
                Ok(Value::Vector(out))
            }
            _ => Err(PromqlError::bad(format!(
                "aggregation {} is not supported",
                a.op
            ))),
        }
    }

    fn scalar_param(&self, a: &AggregateExpr, steps: &Steps) -> Result<Vec<f64>> {
        match a.param.as_deref() {
            Some(p) => self.eval(p, steps)?.into_scalar(),
            None => Err(PromqlError::bad(format!("{} needs a parameter", a.op))),
        }
    }
}

fn accumulate(op: u16, acc: &mut Acc, v: f64) {
    match op {
        T_SUM => acc.value += v,
        T_COUNT => acc.value += 1.0,
        T_GROUP => {}
        T_MAX => {
            if acc.value < v || acc.value.is_nan() {
                acc.value = v;
            }
        }
        T_MIN => {
            if acc.value > v || acc.value.is_nan() {
                acc.value = v;
            }
        }
        T_AVG => {
            acc.count += 1.0;
            if acc.mean.is_infinite() {
                if v.is_infinite() && (acc.mean > 0.0) == (v > 0.0) {
                    return;
                }
                if !v.is_infinite() && !v.is_nan() {
                    return;
                }
            }
            acc.mean += v / acc.count - acc.mean / acc.count;
        }
        _ => {
            // stddev, stdvar: Welford.
            acc.count += 1.0;
            let delta = v - acc.mean;
            acc.mean += delta / acc.count;
            acc.value += delta * (v - acc.mean);
        }
    }
}

fn finish(op: u16, acc: Acc) -> f64 {
    match op {
        T_COUNT => acc.value,
        T_GROUP => 1.0,
        T_AVG => acc.mean,
        T_STDVAR => acc.value / acc.count,
        T_STDDEV => (acc.value / acc.count).sqrt(),
        _ => acc.value,
    }
}

/// `topk` / `bottomk`: per group and step the `k` largest (smallest) values; the chosen
/// series keep their labels. Chosen as Prometheus 2.42 chooses, through the same binary heap
/// (Go's `container/heap`) fed in the same order and changed the same way (a value that
/// beats the root pops the root and is pushed), so that ties fall the same way.
fn top_bottom(
    input: &[Series],
    group_of: &[usize],
    group_count: usize,
    k: &[f64],
    top: bool,
    steps: &Steps,
) -> Result<Vec<Series>> {
    let mut out: Vec<Series> = input
        .iter()
        .map(|s| Series {
            labels: s.labels.clone(),
            points: Vec::new(),
        })
        .collect();
    let mut heaps: Vec<Vec<(u32, f64)>> = vec![Vec::new(); group_count];
    for (step, at_step) in by_step(input, steps.count).into_iter().enumerate() {
        let kf = k[step];
        if kf.is_nan() || kf.abs() >= 9.2e18 {
            return Err(PromqlError::exec(format!(
                "Scalar value {kf} overflows int64"
            )));
        }
        let want = kf as i64;
        if want < 1 {
            continue;
        }
        for h in heaps.iter_mut() {
            h.clear();
        }
        for (i, v) in at_step {
            let heap = &mut heaps[group_of[i as usize]];
            let full = heap.len() as i64 >= want;
            if full {
                let Some(&(_, min)) = heap.first() else {
                    continue;
                };
                let beaten = if top { min < v } else { min > v };
                // Prometheus 2.42 replaces a NaN minimum by anything, NaN included.
                if !(beaten || min.is_nan()) {
                    continue;
                }
                if want == 1 {
                    heap[0] = (i, v);
                    continue;
                }
                // Go's `heap.Pop`: the root swapped to the end, sifted down, removed.
                let last = heap.len() - 1;
                heap.swap(0, last);
                heap_down(&mut heap[..last], top);
                heap.truncate(last);
            }
            // Go's `heap.Push`.
            heap.push((i, v));
            let last = heap.len() - 1;
            heap_up(heap, last, top);
        }
        for heap in &heaps {
            for &(i, v) in heap {
                out[i as usize].points.push((step as u32, v));
            }
        }
    }
    if steps.count == 1 {
        // An instant answer lists each group's choice best first (NaN last), groups in
        // order of appearance, as Prometheus sorts its heaps.
        let mut order: Vec<(usize, u32, f64)> = heaps
            .iter()
            .enumerate()
            .flat_map(|(g, h)| h.iter().map(move |&(i, v)| (g, i, v)))
            .collect();
        let first_seen: Vec<usize> = {
            let mut first = vec![usize::MAX; group_count];
            for (i, &g) in group_of.iter().enumerate() {
                first[g] = first[g].min(i);
            }
            first
        };
        order.sort_by(|a, b| {
            first_seen[a.0]
                .cmp(&first_seen[b.0])
                .then_with(|| cmp_nan_last(a.2, b.2, top))
        });
        let mut taken: Vec<Option<Series>> = out.into_iter().map(Some).collect();
        return Ok(order
            .iter()
            .filter_map(|&(_, i, _)| taken[i as usize].take())
            .collect());
    }
    out.retain(|s| !s.points.is_empty());
    Ok(out)
}

/// Prometheus' heap order: NaN first, then ascending (`topk`) or descending (`bottomk`).
fn heap_less(a: f64, b: f64, top: bool) -> bool {
    if a.is_nan() {
        return true;
    }
    if top { a < b } else { a > b }
}

/// Go's `heap.Push` after the append: sift element `j` up.
fn heap_up(h: &mut [(u32, f64)], mut j: usize, top: bool) {
    while j > 0 {
        let i = (j - 1) / 2;
        if !heap_less(h[j].1, h[i].1, top) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

/// Go's `down(h, 0, len(h))`: sift the root down.
fn heap_down(h: &mut [(u32, f64)], top: bool) {
    let n = h.len();
    let mut i = 0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        let j2 = j1 + 1;
        if j2 < n && heap_less(h[j2].1, h[j1].1, top) {
            j = j2;
        }
        if !heap_less(h[j].1, h[i].1, top) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Series {
                labels: Labels::from_pairs([("i".to_string(), i.to_string())]),
                points: vec![(0, v)],
            })
            .collect()
    }

    fn chosen(values: &[f64], k: f64, top: bool) -> Vec<String> {
        let input = series(values);
        let steps = Steps {
            start: 0,
            step: 1,
            count: 2,
        };
        let out =
            top_bottom(&input, &vec![0; input.len()], 1, &[k, k], top, &steps).unwrap_or_default();
        let mut names: Vec<String> = out.iter().map(|s| s.labels.get("i").to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn ties_fall_as_prometheus_2_42_lets_them_pop_and_push() {
        // Values 1, 2, 2, 3 in series order, k = 2: the second 2 pops the 1 and is pushed
        // below series 1, which stays the root; the 3 then pops series 1, so Prometheus
        // 2.42 answers series 2 and 3. Replacing the root in place and sifting it
        // down, as later Prometheus versions do, would answer 1 and 3.
        assert_eq!(chosen(&[1.0, 2.0, 2.0, 3.0], 2.0, true), ["2", "3"]);
        assert_eq!(chosen(&[3.0, 2.0, 2.0, 1.0], 2.0, false), ["2", "3"]);
        assert_eq!(chosen(&[1.0, 2.0, 2.0, 3.0], 1.0, true), ["3"]);
    }
}
