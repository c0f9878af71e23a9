//! A label set: `(name, value)` pairs sorted by name, `__name__` among them, as Prometheus'
//! `labels.Labels`. Empty values are never stored (Prometheus treats an empty label as an
//! absent one).

use std::fmt;

/// The label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// A sorted set of labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// Labels from pairs in any order; empty values are dropped, a repeated name keeps its
    /// last value.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut v: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                std::mem::swap(&mut earlier.1, &mut later.1);
                true
            } else {
                false
            }
        });
        Labels(v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, `""` when absent (Prometheus' `Get`).
    pub fn get(&self, name: &str) -> &str {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            Ok(i) => &self.0[i].1,
            Err(_) => "",
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .is_ok()
    }

    /// Sets `name` to `value`; an empty value removes the label.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            Ok(i) if value.is_empty() => {
                self.0.remove(i);
            }
            Ok(i) => self.0[i].1 = value.to_string(),
            Err(_) if value.is_empty() => {}
            Err(i) => self.0.insert(i, (name.to_string(), value.to_string())),
        }
    }

    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            self.0.remove(i);
        }
    }

    /// These labels without the metric name.
    pub fn without_name(mut self) -> Self {
        self.remove(METRIC_NAME);
        self
    }

    /// Only the labels named in `names`.
    pub fn keep(&self, names: &[String]) -> Self {
        Labels(
            self.0
                .iter()
                .filter(|(k, _)| names.iter().any(|n| n == k))
                .cloned()
                .collect(),
        )
    }

    /// All labels but those named in `names` and the metric name.
    pub fn drop_with_name(&self, names: &[String]) -> Self {
        Labels(
            self.0
                .iter()
                .filter(|(k, _)| k != METRIC_NAME && !names.iter().any(|n| n == k))
                .cloned()
                .collect(),
        )
    }
}

impl fmt::Display for Labels {
    /// Prometheus' text form: `{a="1", b="2"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v:?}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn sorted_without_empty_values() {
        let x = l(&[("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
        assert_eq!(x.iter().collect::<Vec<_>>(), vec![("a", "3"), ("b", "2")]);
        assert_eq!(x.get("a"), "3");
        assert_eq!(x.get("c"), "");
        assert_eq!(x.to_string(), r#"{a="3", b="2"}"#);
    }

    #[test]
    fn edits() {
        let mut x = l(&[("__name__", "up"), ("job", "a")]);
        x.set("z", "1");
        x.set("job", "");
        assert_eq!(x, l(&[("__name__", "up"), ("z", "1")]));
        assert_eq!(x.clone().without_name(), l(&[("z", "1")]));
        assert_eq!(x.keep(&["z".into()]), l(&[("z", "1")]));
        assert_eq!(x.drop_with_name(&["z".into()]), l(&[]));
    }
}
