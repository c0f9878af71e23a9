//! The line-protocol grammar: turns a body into points, all or nothing.

use std::borrow::Cow;

use super::cursor::{Cursor, KEY_STOP, MEASUREMENT_STOP, TIMESTAMP_STOP, VALUE_STOP};
use super::value::{self, ValueError};
use crate::error::{ProtocolError, excerpt};
use crate::point::{FieldValue, PointBatch, PointStart};
use crate::precision::Precision;

/// Parses a whole line-protocol body into a new batch. Timestamps are in
/// `precision` and come out in nanoseconds.
///
/// All or nothing: the first bad line returns its error.
pub fn parse(body: &[u8], precision: Precision) -> Result<PointBatch<'_>, ProtocolError> {
    let mut batch = PointBatch::new();
    parse_into(body, precision, &mut batch)?;
    Ok(batch)
}

/// Parses a whole line-protocol body, appending its points to `batch`.
///
/// All or nothing: on error, `batch` is left as it was before the call.
/// Once `batch` has grown, no heap allocation happens per point except for
/// tokens that contain escapes.
pub fn parse_into<'a>(
    body: &'a [u8],
    precision: Precision,
    batch: &mut PointBatch<'a>,
) -> Result<(), ProtocolError> {
    let text = std::str::from_utf8(body).map_err(|err| utf8_error(body, err.valid_up_to()))?;
    let mark = batch.mark();
    let mut parser = Parser {
        cur: Cursor::new(text),
        precision,
    };
    let result = parser.parse_body(batch);
    if result.is_err() {
        batch.rollback(mark);
    }
    result
}

/// Line and column of the first invalid UTF-8 byte at `offset`.
fn utf8_error(body: &[u8], offset: usize) -> ProtocolError {
    let before = body.get(..offset).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    ProtocolError::LineInvalidUtf8 {
        line,
        column: offset - line_start + 1,
    }
}

fn measurement_escapable(b: u8) -> bool {
    matches!(b, b',' | b' ' | b'\\')
}

fn key_escapable(b: u8) -> bool {
    matches!(b, b',' | b'=' | b' ' | b'\\')
}

/// A 128-bit Bloom-style filter over the keys of the point being parsed: the
/// linear duplicate-key scan runs only for a key that may have been seen.
#[derive(Default)]
struct KeyFilter(u128);

impl KeyFilter {
    /// Records `key`; returns whether it may have been recorded before.
    fn insert(&mut self, key: &str) -> bool {
        let bytes = key.as_bytes();
        let first = u64::from(bytes.first().copied().unwrap_or(0));
        let last = u64::from(bytes.last().copied().unwrap_or(0));
        let mix = (bytes.len() as u64) ^ (first << 16) ^ (last << 8);
        let bit = 1u128 << (mix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57);
        let seen = self.0 & bit != 0;
        self.0 |= bit;
        seen
    }
}

struct Parser<'a> {
    cur: Cursor<'a>,
    precision: Precision,
}

impl<'a> Parser<'a> {
    fn parse_body(&mut self, batch: &mut PointBatch<'a>) -> Result<(), ProtocolError> {
        loop {
            self.cur.skip_blanks();
            match self.cur.peek() {
                None => return Ok(()),
                Some(b'#') => self.cur.skip_to_eol(),
                _ if self.cur.at_eol() => {}
                _ => {
                    self.parse_point(batch)?;
                    if !self.cur.at_eol() {
                        return Err(self.unexpected("end of line"));
                    }
                }
            }
            self.cur.consume_eol();
        }
    }

    fn parse_point(&mut self, batch: &mut PointBatch<'a>) -> Result<(), ProtocolError> {
        let start = batch.begin();

        let measurement_pos = self.cur.pos();
        let measurement = self
            .cur
            .scan_token(MEASUREMENT_STOP, measurement_escapable)?;
        if measurement.is_empty() {
            return Err(ProtocolError::LineEmptyMeasurement {
                line: self.cur.line(),
                column: self.cur.column(measurement_pos),
            });
        }

        let mut tag_keys = KeyFilter::default();
        while self.cur.peek() == Some(b',') {
            self.cur.bump();
            self.parse_tag(batch, start, &mut tag_keys)?;
        }

        if self.cur.at_eol() {
            return Err(self.missing_fields());
        }
        if self.cur.peek() != Some(b' ') {
            return Err(self.unexpected("\" \" before the field set"));
        }
        let series_text = self.cur.text(measurement_pos, self.cur.pos());
        self.cur.skip_spaces();
        if self.cur.at_eol() {
            return Err(self.missing_fields());
        }

        let mut field_keys = KeyFilter::default();
        loop {
            self.parse_field(batch, start, &mut field_keys)?;
            if self.cur.at_eol() {
                break;
            }
            match self.cur.peek() {
                Some(b',') => self.cur.bump(),
                Some(b' ') => break,
                _ => return Err(self.unexpected("\",\", \" \" or end of line after a field value")),
            }
        }

        self.cur.skip_spaces();
        let timestamp = if self.cur.at_eol() {
            None
        } else {
            Some(self.parse_timestamp()?)
        };
        self.cur.skip_spaces();

        batch.finish_with_text(start, measurement, timestamp, series_text);
        Ok(())
    }

    /// Scans a tag or field key and the `=` after it, returning the key and where it
    /// starts; `empty` and `no_equals` build the error for a missing key or `=` from the
    /// line and column (and the key).
    fn key_and_equals(
        &mut self,
        empty: impl FnOnce(usize, usize) -> ProtocolError,
        no_equals: impl FnOnce(usize, usize, String) -> ProtocolError,
    ) -> Result<(Cow<'a, str>, usize), ProtocolError> {
        let key_pos = self.cur.pos();
        let key = self.cur.scan_token(KEY_STOP, key_escapable)?;
        if key.is_empty() {
            return Err(empty(self.cur.line(), self.cur.column(key_pos)));
        }
        if self.cur.peek() != Some(b'=') {
            let column = self.cur.column(self.cur.pos());
            return Err(no_equals(self.cur.line(), column, excerpt(&key)));
        }
        self.cur.bump();
        Ok((key, key_pos))
    }

    fn parse_tag(
        &mut self,
        batch: &mut PointBatch<'a>,
        start: PointStart,
        seen: &mut KeyFilter,
    ) -> Result<(), ProtocolError> {
        let (key, key_pos) = self.key_and_equals(
            |line, column| ProtocolError::LineEmptyTagKey { line, column },
            |line, column, tag| ProtocolError::LineTagMissingEquals { line, column, tag },
        )?;
        let value_pos = self.cur.pos();
        let value = self.cur.scan_token(KEY_STOP, key_escapable)?;
        if self.cur.peek() == Some(b'=') {
            return Err(ProtocolError::LineUnescapedEquals {
                line: self.cur.line(),
                column: self.cur.column(self.cur.pos()),
                tag: excerpt(&key),
            });
        }
        if value.is_empty() {
            return Err(ProtocolError::LineEmptyTagValue {
                line: self.cur.line(),
                column: self.cur.column(value_pos),
                tag: excerpt(&key),
            });
        }
        if seen.insert(&key) && batch.has_tag(start, &key) {
            return Err(ProtocolError::LineDuplicateTag {
                line: self.cur.line(),
                column: self.cur.column(key_pos),
                tag: excerpt(&key),
            });
        }
        batch.push_tag(key, value);
        Ok(())
    }

    fn parse_field(
        &mut self,
        batch: &mut PointBatch<'a>,
        start: PointStart,
        seen: &mut KeyFilter,
    ) -> Result<(), ProtocolError> {
        let (key, key_pos) = self.key_and_equals(
            |line, column| ProtocolError::LineEmptyFieldKey { line, column },
            |line, column, field| ProtocolError::LineFieldMissingEquals {
                line,
                column,
                field,
            },
        )?;

        let value = if self.cur.peek() == Some(b'"') {
            self.parse_string_value(&key)?
        } else {
            self.parse_plain_value(&key)?
        };
        // A repeated key is an error, as a repeated tag is: which value wins (and which
        // type the field gets) would otherwise depend on the order in the line.
        if seen.insert(&key) && batch.has_field(start, &key) {
            return Err(ProtocolError::LineDuplicateField {
                line: self.cur.line(),
                column: self.cur.column(key_pos),
                field: excerpt(&key),
            });
        }
        batch.push_field(key, value);
        Ok(())
    }

    fn parse_string_value(&mut self, key: &str) -> Result<FieldValue<'a>, ProtocolError> {
        let (line, column) = (self.cur.line(), self.cur.column(self.cur.pos()));
        match self.cur.scan_string()? {
            Some(text) => Ok(FieldValue::String(text)),
            None => Err(ProtocolError::LineUnterminatedString {
                line,
                column,
                field: excerpt(key),
            }),
        }
    }

    fn parse_plain_value(&mut self, key: &str) -> Result<FieldValue<'a>, ProtocolError> {
        let value_pos = self.cur.pos();
        let raw = self.cur.scan_plain(VALUE_STOP)?;
        let (line, column) = (self.cur.line(), self.cur.column(value_pos));
        if raw.is_empty() {
            return Err(ProtocolError::LineMissingFieldValue {
                line,
                column,
                field: excerpt(key),
            });
        }
        value::parse_field_value(raw).map_err(|err| match err {
            ValueError::Invalid => ProtocolError::LineInvalidFieldValue {
                line,
                column,
                field: excerpt(key),
                value: excerpt(raw),
            },
            ValueError::OutOfRange(kind) => ProtocolError::LineFieldValueOutOfRange {
                line,
                column,
                field: excerpt(key),
                value: excerpt(raw),
                kind,
            },
        })
    }

    fn parse_timestamp(&mut self) -> Result<i64, ProtocolError> {
        let pos = self.cur.pos();
        let raw = self.cur.scan_plain(TIMESTAMP_STOP)?;
        let (line, column) = (self.cur.line(), self.cur.column(pos));
        let out_of_range = || ProtocolError::LineTimestampOutOfRange {
            line,
            column,
            value: excerpt(raw),
            precision: self.precision,
        };
        match value::parse_integer(raw) {
            Ok(ts) => self.precision.checked_to_nanos(ts).ok_or_else(out_of_range),
            Err(ValueError::OutOfRange(_)) => Err(out_of_range()),
            Err(ValueError::Invalid) => Err(ProtocolError::LineInvalidTimestamp {
                line,
                column,
                value: excerpt(raw),
            }),
        }
    }

    fn missing_fields(&self) -> ProtocolError {
        ProtocolError::LineMissingFields {
            line: self.cur.line(),
            column: self.cur.column(self.cur.pos()),
        }
    }

    fn unexpected(&self, expected: &'static str) -> ProtocolError {
        ProtocolError::LineUnexpectedCharacter {
            line: self.cur.line(),
            column: self.cur.column(self.cur.pos()),
            found: self.cur.peek_char(),
            expected,
        }
    }
}

#[cfg(test)]
mod tests;
