//! The series key and its canonical text form, the series' identity on disk (SSTable series
//! tables, WAL records, tombstones): `measurement,k1=v1,k2=v2` with tags sorted by key and
//! line-protocol escaping. Building it ([`SeriesKey::canonical`]), splitting it back
//! ([`split_canonical`], borrowing where nothing is escaped) and ordering two keys by their
//! tag lists without parsing ([`cmp_canonical_tags`]) live here, together, so the three can
//! never disagree.

use std::borrow::Cow;
use std::cmp::Ordering;

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
        canonical_into(
            &mut s,
            &self.measurement,
            self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        s
    }

    /// Parses [`SeriesKey::canonical`] text back; `None` if it is malformed.
    pub fn parse_canonical(text: &str) -> Option<SeriesKey> {
        let (measurement, tags) = split_canonical(text)?;
        let tags = tags
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Some(SeriesKey::new(measurement.into_owned(), tags))
    }
}

/// Appends the canonical key of `measurement` and `tags` (sorted by key, unique keys) to
/// `out`: the one implementation of the canonical form, for keys built from a [`SeriesKey`]
/// and straight from a parsed request alike.
pub fn canonical_into<'t>(
    out: &mut String,
    measurement: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
) {
    escape_into(out, measurement, false);
    for (k, v) in tags {
        out.push(',');
        escape_into(out, k, true);
        out.push('=');
        escape_into(out, v, true);
    }
}

/// Appends `s` with a backslash before `,`, space, `\` (and `=` in tag keys and values).
fn escape_into(out: &mut String, s: &str, in_tag: bool) {
    let special = |b: u8| b == b',' || b == b' ' || b == b'\\' || (in_tag && b == b'=');
    // The common case: nothing to escape, one copy.
    if !s.bytes().any(special) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c.is_ascii() && special(c as u8) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Tags split out of a canonical key: `(key, value)` pairs borrowing from it.
pub type CanonicalTags<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Splits a canonical series key (see [`SeriesKey::canonical`]) into its measurement and
/// tags, unescaped, borrowing from `canonical` where nothing was escaped. `None` if it is
/// malformed (a tag without exactly one unescaped `=`). Agrees with
/// [`SeriesKey::parse_canonical`] without building a key.
pub fn split_canonical(canonical: &str) -> Option<(Cow<'_, str>, CanonicalTags<'_>)> {
    let bytes = canonical.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut eq, mut eqs, mut escaped, mut i) = (0, 0, 0, false, 0);
    let mut measurement = None;
    while i <= bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => {
                escaped = true;
                // A trailing backslash ends the text (the unescaping drops it).
                i = (i + 2).min(bytes.len());
                continue;
            }
            Some(b'=') if measurement.is_some() => {
                eq = i;
                eqs += 1;
            }
            Some(b',') | None => {
                let end = i.min(bytes.len());
                match measurement {
                    None => measurement = Some(unescape(&canonical[start..end], escaped)),
                    Some(_) => {
                        if eqs != 1 {
                            return None;
                        }
                        parts.push((
                            unescape(&canonical[start..eq], escaped),
                            unescape(&canonical[eq + 1..end], escaped),
                        ));
                    }
                }
                (start, eqs, escaped) = (i + 1, 0, false);
            }
            _ => {}
        }
        i += 1;
    }
    Some((measurement?, parts))
}

/// `s` without its escaping backslashes (borrowed when it has none).
fn unescape(s: &str, escaped: bool) -> Cow<'_, str> {
    if !escaped || !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Orders two canonical series keys of one measurement as their tag lists compare (sorted
/// `(key, value)` pairs, lexicographically), without parsing or allocating: the order query
/// results use. Escapes are decoded on the fly and an unescaped separator sorts before any
/// character, so a key or value that is a prefix of another sorts first, as strings do.
pub fn cmp_canonical_tags(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (Units::new(a), Units::new(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match p.cmp(&q) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// The decoded units of a canonical key: `Some(None)` for a separator (end of the
/// measurement, of a tag key or of a tag value), `Some(Some(byte))` for a text byte.
struct Units<'a> {
    bytes: &'a [u8],
    i: usize,
    /// 0: measurement (only `,` separates), 1: tag key (`=` ends it), 2: tag value (`,`).
    part: u8,
}

impl<'a> Units<'a> {
    fn new(s: &'a str) -> Self {
        Units {
            bytes: s.as_bytes(),
            i: 0,
            part: 0,
        }
    }

    fn next(&mut self) -> Option<Option<u8>> {
        let &c = self.bytes.get(self.i)?;
        self.i += 1;
        match c {
            b'\\' => match self.bytes.get(self.i) {
                Some(&n) => {
                    self.i += 1;
                    Some(Some(n))
                }
                // A trailing backslash is dropped, as the parser does.
                None => None,
            },
            b',' if self.part != 1 => {
                self.part = 1;
                Some(None)
            }
            b'=' if self.part == 1 => {
                self.part = 2;
                Some(None)
            }
            _ => Some(Some(c)),
        }
    }
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

    fn tricky_keys() -> Vec<SeriesKey> {
        let t = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        vec![
            SeriesKey::new("m", vec![]),
            SeriesKey::new("m", t(&[("a", "x")])),
            SeriesKey::new("m", t(&[("a", "x"), ("b", "1")])),
            SeriesKey::new("m", t(&[("a", "x!")])),
            SeriesKey::new("m", t(&[("a", "x-y")])),
            SeriesKey::new("m", t(&[("a", "x,b")])),
            SeriesKey::new("m", t(&[("a", "x=b")])),
            SeriesKey::new("m", t(&[("a", "x b\\")])),
            SeriesKey::new("m", t(&[("a", "")])),
            SeriesKey::new("m", t(&[("a b", "x")])),
            SeriesKey::new("m", t(&[("a,", "x")])),
            SeriesKey::new("m", t(&[("a=", "x")])),
            SeriesKey::new("m", t(&[("a!", "x")])),
            SeriesKey::new("m", t(&[("b", "")])),
            SeriesKey::new("m", t(&[("a", "\u{e9}t\u{e9}"), ("z", "q")])),
            SeriesKey::new("m", t(&[("a", "x"), ("b", "0"), ("c", "")])),
        ]
    }

    #[test]
    fn split_canonical_agrees_with_the_parser() {
        for key in tricky_keys()
            .into_iter()
            .chain([SeriesKey::new("m=x,y z\\", vec![("k".into(), "v".into())])])
        {
            let text = key.canonical();
            let (m, tags) = split_canonical(&text).unwrap();
            let parsed = SeriesKey::parse_canonical(&text).unwrap();
            assert_eq!(m, parsed.measurement(), "{text}");
            let tags: Vec<(String, String)> = tags
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(tags, parsed.tags(), "{text}");
        }
        for bad in ["m,a", "m,a=b=c", "m,a=b,c"] {
            assert_eq!(split_canonical(bad), None, "{bad}");
            assert_eq!(SeriesKey::parse_canonical(bad), None, "{bad}");
        }
    }

    #[test]
    fn canonical_order_is_the_tag_list_order() {
        let keys = tricky_keys();
        for a in &keys {
            for b in &keys {
                assert_eq!(
                    cmp_canonical_tags(&a.canonical(), &b.canonical()),
                    a.tags().cmp(b.tags()),
                    "{} vs {}",
                    a.canonical(),
                    b.canonical()
                );
            }
        }
    }
}
