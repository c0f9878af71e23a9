//! The engine's data model: a point is a series (measurement + sorted tags), a timestamp in
//! nanoseconds, and one or more typed fields. Each field of a series is its own column.

use std::fmt::Write as _;

pub use strata_codec::ValueType;

/// One field value. A field keeps one type per measurement.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(String),
}

impl FieldValue {
    pub fn value_type(&self) -> ValueType {
        match self {
            FieldValue::Float(_) => ValueType::Float,
            FieldValue::Integer(_) => ValueType::Integer,
            FieldValue::Unsigned(_) => ValueType::Unsigned,
            FieldValue::Boolean(_) => ValueType::Boolean,
            FieldValue::String(_) => ValueType::String,
        }
    }

    /// Bit-exact equality (NaN equals NaN with the same payload), as storage sees values.
    pub fn same_as(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Float(a), FieldValue::Float(b)) => a.to_bits() == b.to_bits(),
            _ => self == other,
        }
    }
}

/// A series: a measurement and its tags, sorted by key with unique keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    measurement: String,
    tags: Vec<(String, String)>,
}

impl SeriesKey {
    /// Builds a key, sorting the tags by key; for a repeated tag key the last value wins.
    pub fn new(measurement: impl Into<String>, mut tags: Vec<(String, String)>) -> Self {
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        // Keep the last of equal keys: reverse, dedup keeps the first, reverse back.
        tags.reverse();
        tags.dedup_by(|a, b| a.0 == b.0);
        tags.reverse();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        SeriesKey {
            measurement: measurement.into(),
            tags,
        }
    }

    pub fn measurement(&self) -> &str {
        &self.measurement
    }

    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.tags[i].1.as_str())
    }

    /// The canonical text form, `measurement,k1=v1,k2=v2` with line-protocol escaping, used as
    /// the series' identity on disk (SSTable series tables) and in the WAL.
    pub fn canonical(&self) -> String {
        let mut s = String::with_capacity(
            self.measurement.len()
                + self
                    .tags
                    .iter()
                    .map(|(k, v)| k.len() + v.len() + 2)
                    .sum::<usize>(),
        );
        escape_into(&mut s, &self.measurement, &[',', ' ', '\\']);
        for (k, v) in &self.tags {
            s.push(',');
            escape_into(&mut s, k, &[',', '=', ' ', '\\']);
            s.push('=');
            escape_into(&mut s, v, &[',', '=', ' ', '\\']);
        }
        s
    }

    /// Parses [`SeriesKey::canonical`] text back; `None` if it is malformed.
    pub fn parse_canonical(text: &str) -> Option<SeriesKey> {
        let (measurement, tags) = crate::catalog::split_canonical(text)?;
        let tags = tags
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Some(SeriesKey::new(measurement.into_owned(), tags))
    }
}

fn escape_into(out: &mut String, s: &str, special: &[char]) {
    for c in s.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        let _ = out.write_char(c);
    }
}

/// One point to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub series: SeriesKey,
    /// Field name and value; at least one.
    pub fields: Vec<(String, FieldValue)>,
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_round_trips_with_escapes() {
        let key = SeriesKey::new(
            "cpu load,x",
            vec![
                ("z".into(), "1".into()),
                ("a=b".into(), "c,d e\\".into()),
                ("z".into(), "2".into()),
            ],
        );
        assert_eq!(key.tags().len(), 2);
        assert_eq!(key.tag("z"), Some("2"));
        let text = key.canonical();
        let back = SeriesKey::parse_canonical(&text).unwrap();
        assert_eq!(back, key);
    }
}
