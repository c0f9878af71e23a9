//! The `/write` JSON body: one point object or an array of them.
//!
//! ```json
//! {"measurement": "cpu_usage", "tags": {"host": "server01"},
//!  "fields": {"value": 75.5, "up": true, "note": "x"}, "timestamp": 1696789234567}
//! ```
//!
//! - `measurement`: required non-empty string;
//! - `tags`: optional (absent or `null`) object of non-empty string values;
//!   a repeated tag key is an error;
//! - `fields`: required object with at least one entry. Any JSON number is a
//!   [`FieldValue::Float`] (integer literals too, so values beyond 2^53 lose
//!   precision); `true`/`false` are booleans; strings are strings; `null`,
//!   objects and arrays are errors. A repeated field key: last value wins, as
//!   in line protocol;
//! - `timestamp`: optional (absent or `null`) JSON integer in the request
//!   precision, converted to nanoseconds with an overflow check;
//! - any other key is an error (it is most likely a typo such as `"field"`).
//!
//! Points are deserialized with serde straight into the [`PointBatch`]: no
//! `serde_json::Value`, and strings are borrowed from the body unless they
//! contain JSON escapes. Errors name the 0-based point index.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{ProtocolError, excerpt};
use crate::point::{FieldValue, PointBatch, PointStart};
use crate::precision::Precision;

/// Parses a JSON body into a new batch; timestamps are in `precision`
/// (the API default is milliseconds) and come out in nanoseconds.
///
/// All or nothing: the first bad point returns its error.
pub fn parse(body: &[u8], precision: Precision) -> Result<PointBatch<'_>, ProtocolError> {
    let mut batch = PointBatch::new();
    parse_into(body, precision, &mut batch)?;
    Ok(batch)
}

/// Parses a JSON body, appending its points to `batch`.
///
/// All or nothing: on error, `batch` is left as it was before the call.
pub fn parse_into<'a>(
    body: &'a [u8],
    precision: Precision,
    batch: &mut PointBatch<'a>,
) -> Result<(), ProtocolError> {
    let mark = batch.mark();
    let mut state = State::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    let result = BodySeed {
        batch: &mut *batch,
        state: &mut state,
        precision,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|err| {
        batch.rollback(mark);
        state.into_error(err)
    })
}

/// Side channel from the visitors to [`parse_into`]: serde errors are
/// strings, so the structured error and the current point index travel here.
#[derive(Default)]
struct State {
    /// The structured error behind a failed deserialization, if ours.
    error: Option<ProtocolError>,
    /// Index of the point being read, while inside one.
    index: Option<usize>,
}

impl State {
    /// Records `error` and returns a serde error to unwind with.
    fn fail<E: de::Error>(&mut self, error: ProtocolError) -> E {
        let err = E::custom(&error);
        self.error = Some(error);
        err
    }

    fn into_error(self, err: serde_json::Error) -> ProtocolError {
        match (self.error, self.index) {
            (Some(error), _) => error,
            (None, Some(index)) => ProtocolError::JsonInvalidPoint {
                index,
                message: err.to_string(),
            },
            (None, None) => ProtocolError::JsonInvalidBody {
                message: err.to_string(),
            },
        }
    }
}

// ---- body: one object or an array of objects -----------------------------

struct BodySeed<'s, 'a> {
    batch: &'s mut PointBatch<'a>,
    state: &'s mut State,
    precision: Precision,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a point object or an array of point objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.state.index = Some(0);
        PointVisitor {
            batch: self.batch,
            state: self.state,
            precision: self.precision,
            index: 0,
        }
        .visit_map(map)?;
        self.state.index = None;
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.state.index = Some(index);
            let seed = PointSeed(PointVisitor {
                batch: &mut *self.batch,
                state: &mut *self.state,
                precision: self.precision,
                index,
            });
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            index += 1;
        }
        self.state.index = None;
        Ok(())
    }
}

// ---- one point -------------------------------------------------------------

struct PointSeed<'s, 'a>(PointVisitor<'s, 'a>);

impl<'de> DeserializeSeed<'de> for PointSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self.0)
    }
}

struct PointVisitor<'s, 'a> {
    batch: &'s mut PointBatch<'a>,
    state: &'s mut State,
    precision: Precision,
    index: usize,
}

/// The keys of a point object.
#[derive(Clone, Copy)]
enum Key {
    Measurement,
    Tags,
    Fields,
    Timestamp,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Measurement => "measurement",
            Key::Tags => "tags",
            Key::Fields => "fields",
            Key::Timestamp => "timestamp",
        }
    }

    /// The key's bit in a set of seen keys.
    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A point key as read: known, or the (shortened) unknown name.
struct ParsedKey(Result<Key, String>);

impl<'de> de::Deserialize<'de> for ParsedKey {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ParsedKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a point key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParsedKey, E> {
                Ok(ParsedKey(match v {
                    "measurement" => Ok(Key::Measurement),
                    "tags" => Ok(Key::Tags),
                    "fields" => Ok(Key::Fields),
                    "timestamp" => Ok(Key::Timestamp),
                    other => Err(excerpt(other)),
                }))
            }
        }
        de.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for PointVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a point object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let index = self.index;
        let start = self.batch.begin();
        let mut measurement: Option<Cow<'de, str>> = None;
        let mut timestamp: Option<i64> = None;
        let mut seen = 0u8;
        while let Some(ParsedKey(key)) = map.next_key()? {
            let key = match key {
                Ok(key) => key,
                Err(key) => {
                    return Err(self
                        .state
                        .fail(ProtocolError::JsonUnknownKey { index, key }));
                }
            };
            if seen & key.bit() != 0 {
                let key = key.name();
                return Err(self
                    .state
                    .fail(ProtocolError::JsonDuplicateKey { index, key }));
            }
            seen |= key.bit();
            match key {
                Key::Measurement => {
                    measurement = Some(map.next_value_seed(MeasurementSeed)?);
                }
                Key::Tags => map.next_value_seed(TagsSeed {
                    batch: &mut *self.batch,
                    state: &mut *self.state,
                    start,
                    index,
                })?,
                Key::Fields => map.next_value_seed(FieldsSeed {
                    batch: &mut *self.batch,
                    state: &mut *self.state,
                    start,
                    index,
                })?,
                Key::Timestamp => {
                    timestamp = map.next_value_seed(TimestampSeed {
                        state: &mut *self.state,
                        precision: self.precision,
                        index,
                    })?;
                }
            }
        }
        let Some(measurement) = measurement else {
            return Err(self
                .state
                .fail(ProtocolError::JsonMissingMeasurement { index }));
        };
        if measurement.is_empty() {
            return Err(self
                .state
                .fail(ProtocolError::JsonEmptyMeasurement { index }));
        }
        if self.batch.pending_fields(start) == 0 {
            return Err(self.state.fail(ProtocolError::JsonMissingFields { index }));
        }
        self.batch.finish(start, measurement, timestamp);
        Ok(())
    }
}

// ---- measurement -----------------------------------------------------------

/// A string borrowed from the body when it has no escapes.
struct CowStrVisitor(&'static str);

impl<'de> Visitor<'de> for CowStrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct MeasurementSeed;

impl<'de> DeserializeSeed<'de> for MeasurementSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(CowStrVisitor("the measurement name as a string"))
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(CowStrVisitor("a string key"))
    }
}

// ---- tag and field values ----------------------------------------------------

/// Any JSON value, reduced to what tags and fields need.
enum AnyValue<'de> {
    Str(Cow<'de, str>),
    Number(f64),
    Bool(bool),
    /// `null`, an object or an array, by JSON type name.
    Other(&'static str),
}

impl AnyValue<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            AnyValue::Str(_) => "string",
            AnyValue::Number(_) => "number",
            AnyValue::Bool(_) => "boolean",
            AnyValue::Other(name) => name,
        }
    }
}

struct AnyValueSeed;

impl<'de> DeserializeSeed<'de> for AnyValueSeed {
    type Value = AnyValue<'de>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(AnyValueVisitor)
    }
}

struct AnyValueVisitor;

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = AnyValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(AnyValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(AnyValue::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(AnyValue::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(AnyValue::Number(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(AnyValue::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(AnyValue::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(AnyValue::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AnyValue::Other("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AnyValue::Other("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyValue::Other("object"))
    }
}

// ---- tags ------------------------------------------------------------------

struct TagsSeed<'s, 'a> {
    batch: &'s mut PointBatch<'a>,
    state: &'s mut State,
    start: PointStart,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for TagsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TagsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"tags\" as an object of string values")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let index = self.index;
        while let Some(tag) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(AnyValueSeed)?;
            if tag.is_empty() {
                return Err(self.state.fail(ProtocolError::JsonEmptyTagKey { index }));
            }
            let value = match value {
                AnyValue::Str(value) => value,
                other => {
                    return Err(self.state.fail(ProtocolError::JsonInvalidTagValue {
                        index,
                        tag: excerpt(&tag),
                        found: other.type_name(),
                    }));
                }
            };
            if value.is_empty() {
                let tag = excerpt(&tag);
                return Err(self
                    .state
                    .fail(ProtocolError::JsonEmptyTagValue { index, tag }));
            }
            if self.batch.has_tag(self.start, &tag) {
                let tag = excerpt(&tag);
                return Err(self
                    .state
                    .fail(ProtocolError::JsonDuplicateTag { index, tag }));
            }
            self.batch.push_tag(tag, value);
        }
        Ok(())
    }
}

// ---- fields ----------------------------------------------------------------

struct FieldsSeed<'s, 'a> {
    batch: &'s mut PointBatch<'a>,
    state: &'s mut State,
    start: PointStart,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"fields\" as an object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(()) // reported as missing fields by the point
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let index = self.index;
        while let Some(field) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(AnyValueSeed)?;
            if field.is_empty() {
                return Err(self.state.fail(ProtocolError::JsonEmptyFieldKey { index }));
            }
            let value = match value {
                AnyValue::Number(v) => FieldValue::Float(v),
                AnyValue::Bool(v) => FieldValue::Boolean(v),
                AnyValue::Str(v) => FieldValue::String(v),
                AnyValue::Other(found) => {
                    return Err(self.state.fail(ProtocolError::JsonInvalidFieldValue {
                        index,
                        field: excerpt(&field),
                        found,
                    }));
                }
            };
            if self.batch.has_field(self.start, &field) {
                let field = excerpt(&field);
                return Err(self
                    .state
                    .fail(ProtocolError::JsonDuplicateField { index, field }));
            }
            self.batch.push_field(field, value);
        }
        Ok(())
    }
}

// ---- timestamp -------------------------------------------------------------

struct TimestampSeed<'s> {
    state: &'s mut State,
    precision: Precision,
    index: usize,
}

impl TimestampSeed<'_> {
    fn convert<E: de::Error>(
        self,
        timestamp: Option<i64>,
        text: &dyn fmt::Display,
    ) -> Result<Option<i64>, E> {
        match timestamp.and_then(|ts| self.precision.checked_to_nanos(ts)) {
            Some(ns) => Ok(Some(ns)),
            None => Err(self.state.fail(ProtocolError::JsonTimestampOutOfRange {
                index: self.index,
                timestamp: text.to_string(),
                precision: self.precision,
            })),
        }
    }

    fn invalid<E: de::Error>(self, found: &'static str) -> Result<Option<i64>, E> {
        let index = self.index;
        Err(self
            .state
            .fail(ProtocolError::JsonInvalidTimestamp { index, found }))
    }
}

impl<'de> DeserializeSeed<'de> for TimestampSeed<'_> {
    type Value = Option<i64>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TimestampSeed<'_> {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer timestamp")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.convert(Some(v), &v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.convert(i64::try_from(v).ok(), &v)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.invalid("float")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.invalid("boolean")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.invalid("string")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.invalid("array")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.invalid("object")
    }
}

#[cfg(test)]
mod tests;
