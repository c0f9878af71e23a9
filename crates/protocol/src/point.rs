//! The parsed point types shared by every wire format: [`FieldValue`], the
//! flat, reusable [`PointBatch`] container and its light [`PointRef`] view.
//!
//! Strings are `Cow<'a, str>` borrowed from the request body; they are owned
//! only when the token had escapes (or the format cannot borrow, e.g. JSON
//! strings with `\u` escapes). A batch keeps all tags and all fields of all
//! points in two flat vectors, so parsing a point allocates nothing once the
//! vectors have grown: reuse a batch with [`PointBatch::clear`] or, for a new
//! body, [`PointBatch::recycle`].

use std::borrow::Cow;
use std::fmt;

/// A tag: `(key, value)`.
pub type Tag<'a> = (Cow<'a, str>, Cow<'a, str>);

/// A field: `(key, value)`.
pub type Field<'a> = (Cow<'a, str>, FieldValue<'a>);

/// The value of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// 64-bit float (line protocol `1.5`, any JSON number, remote-write samples).
    Float(f64),
    /// Signed integer (line protocol `1i`).
    Integer(i64),
    /// Unsigned integer (line protocol `1u`).
    Unsigned(u64),
    /// Boolean (line protocol `t`, `false`, ...; JSON `true`/`false`).
    Boolean(bool),
    /// UTF-8 string.
    String(Cow<'a, str>),
}

impl FieldValue<'_> {
    /// The type's name as used in messages: `"float"`, `"integer"`,
    /// `"unsigned"`, `"boolean"` or `"string"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Float(_) => "float",
            Self::Integer(_) => "integer",
            Self::Unsigned(_) => "unsigned",
            Self::Boolean(_) => "boolean",
            Self::String(_) => "string",
        }
    }

    /// Detaches the value from the input buffer.
    pub fn into_owned(self) -> FieldValue<'static> {
        match self {
            Self::Float(v) => FieldValue::Float(v),
            Self::Integer(v) => FieldValue::Integer(v),
            Self::Unsigned(v) => FieldValue::Unsigned(v),
            Self::Boolean(v) => FieldValue::Boolean(v),
            Self::String(v) => FieldValue::String(Cow::Owned(v.into_owned())),
        }
    }
}

/// One point's header: its measurement, timestamp and where its tags and
/// fields live in the batch's flat vectors.
#[derive(Debug, Clone)]
struct PointEntry<'a> {
    measurement: Cow<'a, str>,
    tags_start: usize,
    tags_end: usize,
    fields_start: usize,
    fields_end: usize,
    timestamp: Option<i64>,
    /// The measurement and tags exactly as the input wrote them, where the format has such
    /// a span (line protocol): equal spans mean equal series.
    series_text: Option<&'a str>,
}

/// Points are equal by what they hold; how the input spelled the series is not part of it.
impl PartialEq for PointEntry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.measurement == other.measurement
            && self.tags_start == other.tags_start
            && self.tags_end == other.tags_end
            && self.fields_start == other.fields_start
            && self.fields_end == other.fields_end
            && self.timestamp == other.timestamp
    }
}

/// Where the point being built starts in the flat vectors; handed out by
/// [`PointBatch::begin`] to the parsers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PointStart {
    tags: usize,
    fields: usize,
}

/// Lengths of a batch at some moment, to undo a failed parse.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    points: usize,
    tags: usize,
    fields: usize,
}

/// A batch of parsed points, stored flat for allocation-free parsing.
///
/// Tags and fields keep the order they had in the input; call
/// [`sort_tags`](Self::sort_tags) for a canonical tag order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointBatch<'a> {
    points: Vec<PointEntry<'a>>,
    tags: Vec<Tag<'a>>,
    fields: Vec<Field<'a>>,
}

impl<'a> PointBatch<'a> {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `points` points, `tags` tags and
    /// `fields` fields in total.
    pub fn with_capacity(points: usize, tags: usize, fields: usize) -> Self {
        Self {
            points: Vec::with_capacity(points),
            tags: Vec::with_capacity(tags),
            fields: Vec::with_capacity(fields),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the batch holds no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Total number of tags over all points.
    pub fn tag_count(&self) -> usize {
        self.tags.len()
    }

    /// Total number of fields over all points.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// Removes all points, keeping the allocated capacity.
    pub fn clear(&mut self) {
        self.points.clear();
        self.tags.clear();
        self.fields.clear();
    }

    /// Empties the batch and rebinds it to another input lifetime, keeping
    /// its allocations, so one batch can serve request after request:
    /// `batch = batch.recycle();`.
    pub fn recycle<'b>(self) -> PointBatch<'b> {
        PointBatch {
            points: recycle_vec(self.points),
            tags: recycle_vec(self.tags),
            fields: recycle_vec(self.fields),
        }
    }

    /// The point at `index`.
    pub fn get(&self, index: usize) -> Option<PointRef<'_, 'a>> {
        self.points.get(index).map(|entry| self.view(entry))
    }

    /// Iterates over the points in input order.
    pub fn iter(&self) -> Points<'_, 'a> {
        Points {
            batch: self,
            inner: self.points.iter(),
        }
    }

    /// Appends a point verbatim: no validation, duplicates kept as given.
    /// The parsers validate; this is for tests, tools and other producers.
    pub fn push(
        &mut self,
        measurement: impl Into<Cow<'a, str>>,
        tags: impl IntoIterator<Item = Tag<'a>>,
        fields: impl IntoIterator<Item = Field<'a>>,
        timestamp: Option<i64>,
    ) {
        let start = self.begin();
        self.tags.extend(tags);
        self.fields.extend(fields);
        self.finish(start, measurement.into(), timestamp);
    }

    /// Sorts each point's tags by key (stable, byte order). The parsers
    /// leave tags in input order; storage wants a canonical series key.
    pub fn sort_tags(&mut self) {
        for entry in &self.points {
            if let Some(tags) = self.tags.get_mut(entry.tags_start..entry.tags_end) {
                tags.sort_by(|a, b| a.0.cmp(&b.0));
            }
        }
    }

    fn view<'s>(&'s self, entry: &'s PointEntry<'a>) -> PointRef<'s, 'a> {
        PointRef {
            entry,
            tags: self
                .tags
                .get(entry.tags_start..entry.tags_end)
                .unwrap_or_default(),
            fields: self
                .fields
                .get(entry.fields_start..entry.fields_end)
                .unwrap_or_default(),
        }
    }

    // ---- building, for the parsers -------------------------------------------

    /// Current lengths, to [`rollback`](Self::rollback) a failed parse.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            points: self.points.len(),
            tags: self.tags.len(),
            fields: self.fields.len(),
        }
    }

    /// Drops everything added since `mark`.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        self.points.truncate(mark.points);
        self.tags.truncate(mark.tags);
        self.fields.truncate(mark.fields);
    }

    /// Starts a new point: tags and fields pushed from now on belong to it
    /// until [`finish`](Self::finish).
    pub(crate) fn begin(&self) -> PointStart {
        PointStart {
            tags: self.tags.len(),
            fields: self.fields.len(),
        }
    }

    /// Whether the point being built already has tag `key`.
    pub(crate) fn has_tag(&self, start: PointStart, key: &str) -> bool {
        self.tags
            .get(start.tags..)
            .is_some_and(|tags| tags.iter().any(|(k, _)| k == key))
    }

    /// Adds a tag to the point being built.
    pub(crate) fn push_tag(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        self.tags.push((key, value));
    }

    /// Number of fields of the point being built.
    pub(crate) fn pending_fields(&self, start: PointStart) -> usize {
        self.fields.len().saturating_sub(start.fields)
    }

    /// Adds a field to the point being built, known not to repeat a key.
    pub(crate) fn push_field(&mut self, key: Cow<'a, str>, value: FieldValue<'a>) {
        self.fields.push((key, value));
    }

    /// Whether the point being built already has field `key`.
    pub(crate) fn has_field(&self, start: PointStart, key: &str) -> bool {
        self.fields
            .get(start.fields..)
            .is_some_and(|fields| fields.iter().any(|(k, _)| k == key))
    }

    /// Completes the point begun at `start`.
    pub(crate) fn finish(
        &mut self,
        start: PointStart,
        measurement: Cow<'a, str>,
        timestamp: Option<i64>,
    ) {
        self.finish_with_text(start, measurement, timestamp, None);
    }

    /// [`PointBatch::finish`] with the point's series as the input wrote it.
    pub(crate) fn finish_with_text(
        &mut self,
        start: PointStart,
        measurement: Cow<'a, str>,
        timestamp: Option<i64>,
        series_text: Option<&'a str>,
    ) {
        self.points.push(PointEntry {
            measurement,
            tags_start: start.tags,
            tags_end: self.tags.len(),
            fields_start: start.fields,
            fields_end: self.fields.len(),
            timestamp,
            series_text,
        });
    }
}

/// Empties `v` and reuses its allocation for an element type that differs
/// only in lifetime (std collects `vec::IntoIter` adapters in place when the
/// layouts match; if it ever did not, this would still be correct, merely
/// reallocating later).
fn recycle_vec<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl<'s, 'a> IntoIterator for &'s PointBatch<'a> {
    type Item = PointRef<'s, 'a>;
    type IntoIter = Points<'s, 'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the points of a [`PointBatch`].
#[derive(Debug, Clone)]
pub struct Points<'s, 'a> {
    batch: &'s PointBatch<'a>,
    inner: std::slice::Iter<'s, PointEntry<'a>>,
}

impl<'s, 'a> Iterator for Points<'s, 'a> {
    type Item = PointRef<'s, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.inner.next()?;
        Some(self.batch.view(entry))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Points<'_, '_> {}

/// A borrowed view of one point of a [`PointBatch`].
#[derive(Clone, Copy)]
pub struct PointRef<'s, 'a> {
    entry: &'s PointEntry<'a>,
    tags: &'s [Tag<'a>],
    fields: &'s [Field<'a>],
}

impl<'s, 'a> PointRef<'s, 'a> {
    /// The measurement name.
    pub fn measurement(&self) -> &'s str {
        &self.entry.measurement
    }

    /// The measurement name as stored (borrowed from the input unless it had
    /// escapes).
    pub fn measurement_cow(&self) -> &'s Cow<'a, str> {
        &self.entry.measurement
    }

    /// The tags, in input order unless [`PointBatch::sort_tags`] was called.
    pub fn tags(&self) -> &'s [Tag<'a>] {
        self.tags
    }

    /// The fields, in input order (a repeated key keeps its first position).
    pub fn fields(&self) -> &'s [Field<'a>] {
        self.fields
    }

    /// The measurement and tags exactly as the input wrote them (line protocol: the line up
    /// to the space before the fields), when the format has such a span. Two points with
    /// equal texts have equal series.
    pub fn series_text(&self) -> Option<&'a str> {
        self.entry.series_text
    }

    /// The timestamp in nanoseconds, or `None` if the input had none (the
    /// caller fills in the server clock).
    pub fn timestamp(&self) -> Option<i64> {
        self.entry.timestamp
    }

    /// The value of tag `key`.
    pub fn tag(&self, key: &str) -> Option<&'s str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// The value of field `key`.
    pub fn field(&self, key: &str) -> Option<&'s FieldValue<'a>> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl PartialEq for PointRef<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.measurement() == other.measurement()
            && self.tags == other.tags
            && self.fields == other.fields
            && self.timestamp() == other.timestamp()
    }
}

impl fmt::Debug for PointRef<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PointRef")
            .field("measurement", &self.measurement())
            .field("tags", &self.tags)
            .field("fields", &self.fields)
            .field("timestamp", &self.timestamp())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_batch() -> PointBatch<'static> {
        let mut batch = PointBatch::new();
        batch.push(
            "cpu",
            [("host".into(), "a".into()), ("dc".into(), "x".into())],
            [("usage".into(), FieldValue::Float(1.5))],
            Some(10),
        );
        batch.push(
            "mem",
            [],
            [
                ("free".into(), FieldValue::Unsigned(3)),
                ("ok".into(), FieldValue::Boolean(true)),
            ],
            None,
        );
        batch
    }

    #[test]
    fn push_and_iterate() {
        let batch = sample_batch();
        assert_eq!(batch.len(), 2);
        assert!(!batch.is_empty());
        assert_eq!(batch.tag_count(), 2);
        assert_eq!(batch.field_count(), 3);
        let points: Vec<_> = batch.iter().collect();
        assert_eq!(points[0].measurement(), "cpu");
        assert_eq!(points[0].tags().len(), 2);
        assert_eq!(points[0].tag("dc"), Some("x"));
        assert_eq!(points[0].field("usage"), Some(&FieldValue::Float(1.5)));
        assert_eq!(points[0].timestamp(), Some(10));
        assert_eq!(points[1].measurement(), "mem");
        assert!(points[1].tags().is_empty());
        assert_eq!(points[1].fields().len(), 2);
        assert_eq!(points[1].timestamp(), None);
        assert_eq!(points[1].tag("host"), None);
        assert_eq!(batch.iter().len(), 2);
        assert_eq!((&batch).into_iter().count(), 2);
        assert!(batch.get(2).is_none());
        assert_eq!(batch.get(1).unwrap(), points[1]);
        assert_ne!(points[0], points[1]);
    }

    #[test]
    fn sort_tags_sorts_within_each_point() {
        let mut batch = sample_batch();
        batch.sort_tags();
        let p = batch.get(0).unwrap();
        let keys: Vec<&str> = p.tags().iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["dc", "host"]);
        assert_eq!(p.tag("host"), Some("a"));
    }

    #[test]
    fn clear_keeps_capacity() {
        let mut batch = sample_batch();
        let cap = batch.fields.capacity();
        batch.clear();
        assert!(batch.is_empty());
        assert_eq!(batch.field_count(), 0);
        assert_eq!(batch.fields.capacity(), cap);
    }

    #[test]
    fn recycle_keeps_allocations() {
        let batch = sample_batch();
        let caps = (
            batch.points.capacity(),
            batch.tags.capacity(),
            batch.fields.capacity(),
        );
        let text = String::from("disk");
        let mut recycled: PointBatch<'_> = batch.recycle();
        assert!(recycled.is_empty());
        assert_eq!(
            (
                recycled.points.capacity(),
                recycled.tags.capacity(),
                recycled.fields.capacity()
            ),
            caps
        );
        recycled.push(
            text.as_str(),
            [],
            [("v".into(), FieldValue::Integer(1))],
            None,
        );
        assert_eq!(recycled.get(0).unwrap().measurement(), "disk");
    }

    #[test]
    fn has_field_sees_only_the_point_being_built() {
        let mut batch = sample_batch();
        let start = batch.begin();
        batch.push_field("a".into(), FieldValue::Integer(1));
        assert!(batch.has_field(start, "a"));
        assert!(!batch.has_field(start, "b"));
        assert_eq!(batch.pending_fields(start), 1);
    }

    #[test]
    fn rollback_undoes_partial_points() {
        let mut batch = sample_batch();
        let mark = batch.mark();
        let start = batch.begin();
        batch.push_tag("k".into(), "v".into());
        assert!(batch.has_tag(start, "k"));
        assert!(!batch.has_tag(start, "host"));
        batch.push_field("f".into(), FieldValue::Boolean(false));
        batch.finish(start, "x".into(), None);
        batch.rollback(mark);
        assert_eq!(batch, sample_batch());
    }

    #[test]
    fn field_value_helpers() {
        let s = String::from("text");
        let v = FieldValue::String(Cow::Borrowed(&s));
        assert_eq!(v.type_name(), "string");
        let owned: FieldValue<'static> = v.clone().into_owned();
        drop(s);
        assert_eq!(owned, FieldValue::String("text".into()));
        assert_eq!(FieldValue::Float(0.0).type_name(), "float");
        assert_eq!(FieldValue::Integer(0).type_name(), "integer");
        assert_eq!(FieldValue::Unsigned(0).type_name(), "unsigned");
        assert_eq!(FieldValue::Boolean(true).type_name(), "boolean");
    }
}
