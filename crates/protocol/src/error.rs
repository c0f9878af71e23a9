//! The crate's single error type, [`ProtocolError`]. Every decoder reports bad
//! input through it, naming the position (line and column for line protocol,
//! point index for JSON, series and sample index for remote write), the
//! offending name and what is wrong with it.

use crate::precision::Precision;

/// Longest user-supplied token echoed back in an error message, in bytes.
const MAX_EXCERPT: usize = 64;

/// Everything that can be wrong with a write body.
///
/// Line and column numbers are 1-based; the column counts bytes from the
/// start of the line. Point, series and sample indices are 0-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    // ---- precision -------------------------------------------------------
    /// A precision string other than `ns`, `u`, `us`, `ms`, `s`.
    #[error("invalid precision {value:?}: expected one of \"ns\", \"u\", \"us\", \"ms\", \"s\"")]
    InvalidPrecision {
        /// The rejected string.
        value: String,
    },
    /// A timestamp whose conversion to nanoseconds overflows `i64`.
    #[error("timestamp {timestamp} (precision {precision}) overflows the i64 nanosecond range")]
    TimestampOverflow {
        /// The timestamp in its own precision.
        timestamp: i64,
        /// Its precision.
        precision: Precision,
    },

    // ---- line protocol ---------------------------------------------------
    /// The body is not valid UTF-8.
    #[error("line {line}, column {column}: invalid UTF-8")]
    LineInvalidUtf8 {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
    },
    /// A line starts with a separator instead of a measurement name.
    #[error("line {line}, column {column}: empty measurement name")]
    LineEmptyMeasurement {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
    },
    /// A line ends before its field set.
    #[error("line {line}, column {column}: missing field set (a point needs at least one field)")]
    LineMissingFields {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
    },
    /// `measurement,=value`.
    #[error("line {line}, column {column}: empty tag key")]
    LineEmptyTagKey {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
    },
    /// `measurement,tag field=1`: a tag key not followed by `=`.
    #[error("line {line}, column {column}: tag {tag:?} is missing \"=\" and a value")]
    LineTagMissingEquals {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The tag key.
        tag: String,
    },
    /// `measurement,tag= field=1`.
    #[error("line {line}, column {column}: empty value for tag {tag:?}")]
    LineEmptyTagValue {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The tag key.
        tag: String,
    },
    /// `measurement,tag=a=b field=1`: `=` in a tag value must be escaped.
    #[error("line {line}, column {column}: unescaped \"=\" in value of tag {tag:?}")]
    LineUnescapedEquals {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The tag key.
        tag: String,
    },
    /// The same tag key twice in one point.
    #[error("line {line}, column {column}: duplicate tag {tag:?}")]
    LineDuplicateTag {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The tag key.
        tag: String,
    },
    /// The same field key twice in one point (`m v=1,v="s"`).
    #[error("line {line}, column {column}: duplicate field {field:?}")]
    LineDuplicateField {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The field key.
        field: String,
    },
    /// `measurement =1` or `measurement a=1,,b=2`.
    #[error("line {line}, column {column}: empty field key")]
    LineEmptyFieldKey {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
    },
    /// `measurement usage`: a field key not followed by `=`.
    #[error("line {line}, column {column}: field {field:?} is missing \"=\" and a value")]
    LineFieldMissingEquals {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The field key.
        field: String,
    },
    /// `measurement usage=`.
    #[error("line {line}, column {column}: missing value for field {field:?}")]
    LineMissingFieldValue {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The field key.
        field: String,
    },
    /// A field value that is no float, integer, unsigned, boolean or string.
    #[error("line {line}, column {column}: invalid field value {value:?} for field {field:?}")]
    LineInvalidFieldValue {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The field key.
        field: String,
        /// The rejected value (shortened if long).
        value: String,
    },
    /// A well-formed number outside its type's range (`i64`, `u64`, finite `f64`).
    #[error(
        "line {line}, column {column}: {kind} value {value:?} for field {field:?} is out of range"
    )]
    LineFieldValueOutOfRange {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The field key.
        field: String,
        /// The rejected value (shortened if long).
        value: String,
        /// `"integer"`, `"unsigned"` or `"float"`.
        kind: &'static str,
    },
    /// A string field value without its closing `"`.
    #[error("line {line}, column {column}: unterminated string value for field {field:?}")]
    LineUnterminatedString {
        /// Line number (1-based) of the opening quote.
        line: usize,
        /// Byte column (1-based) of the opening quote.
        column: usize,
        /// The field key.
        field: String,
    },
    /// A timestamp that is not an optionally signed decimal integer.
    #[error("line {line}, column {column}: invalid timestamp {value:?}")]
    LineInvalidTimestamp {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The rejected token (shortened if long).
        value: String,
    },
    /// A timestamp outside `i64` in its precision or after scaling to nanoseconds.
    #[error(
        "line {line}, column {column}: timestamp {value} (precision {precision}) is outside the i64 nanosecond range"
    )]
    LineTimestampOutOfRange {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The timestamp token (shortened if long).
        value: String,
        /// The request precision.
        precision: Precision,
    },
    /// Anything else out of place, e.g. text after a closing quote or after the timestamp.
    #[error("line {line}, column {column}: unexpected {found:?}, expected {expected}")]
    LineUnexpectedCharacter {
        /// Line number (1-based).
        line: usize,
        /// Byte column (1-based).
        column: usize,
        /// The character found.
        found: char,
        /// What would have been valid there.
        expected: &'static str,
    },

    // ---- JSON --------------------------------------------------------------
    /// The body is not JSON, not a point object or array of point objects,
    /// or has trailing data.
    #[error("invalid JSON body: {message}")]
    JsonInvalidBody {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// A point that is malformed in a way not covered by a more specific
    /// variant (wrong JSON type for `measurement`, `tags`, `fields`, syntax
    /// error inside the point, ...).
    #[error("point {index}: {message}")]
    JsonInvalidPoint {
        /// Point index (0-based).
        index: usize,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A point object without `"measurement"`.
    #[error("point {index}: missing \"measurement\"")]
    JsonMissingMeasurement {
        /// Point index (0-based).
        index: usize,
    },
    /// `"measurement": ""`.
    #[error("point {index}: empty measurement name")]
    JsonEmptyMeasurement {
        /// Point index (0-based).
        index: usize,
    },
    /// A point without `"fields"` or with an empty fields object.
    #[error("point {index}: missing \"fields\" (a point needs at least one field)")]
    JsonMissingFields {
        /// Point index (0-based).
        index: usize,
    },
    /// A key other than `measurement`, `tags`, `fields`, `timestamp`.
    #[error(
        "point {index}: unknown key {key:?} (expected \"measurement\", \"tags\", \"fields\" or \"timestamp\")"
    )]
    JsonUnknownKey {
        /// Point index (0-based).
        index: usize,
        /// The unknown key (shortened if long).
        key: String,
    },
    /// One of the four point keys given twice.
    #[error("point {index}: duplicate key {key:?}")]
    JsonDuplicateKey {
        /// Point index (0-based).
        index: usize,
        /// The repeated key.
        key: &'static str,
    },
    /// `"tags": {"": "x"}`.
    #[error("point {index}: empty tag key")]
    JsonEmptyTagKey {
        /// Point index (0-based).
        index: usize,
    },
    /// `"tags": {"host": ""}`.
    #[error("point {index}: empty value for tag {tag:?}")]
    JsonEmptyTagValue {
        /// Point index (0-based).
        index: usize,
        /// The tag key.
        tag: String,
    },
    /// A tag value that is not a string.
    #[error("point {index}: tag {tag:?} must be a string, found {found}")]
    JsonInvalidTagValue {
        /// Point index (0-based).
        index: usize,
        /// The tag key.
        tag: String,
        /// JSON type found (`"number"`, `"null"`, ...).
        found: &'static str,
    },
    /// The same tag key twice in one point.
    #[error("point {index}: duplicate tag {tag:?}")]
    JsonDuplicateTag {
        /// Point index (0-based).
        index: usize,
        /// The tag key.
        tag: String,
    },
    /// The same field key twice in one point (`"fields": {"v": 1, "v": 2}`).
    #[error("point {index}: duplicate field {field:?}")]
    JsonDuplicateField {
        /// Point index (0-based).
        index: usize,
        /// The field key.
        field: String,
    },
    /// `"fields": {"": 1}`.
    #[error("point {index}: empty field key")]
    JsonEmptyFieldKey {
        /// Point index (0-based).
        index: usize,
    },
    /// A field value that is `null`, an object or an array.
    #[error("point {index}: field {field:?} must be a number, boolean or string, found {found}")]
    JsonInvalidFieldValue {
        /// Point index (0-based).
        index: usize,
        /// The field key.
        field: String,
        /// JSON type found (`"null"`, `"object"`, `"array"`).
        found: &'static str,
    },
    /// A timestamp that is not a JSON integer.
    #[error("point {index}: timestamp must be an integer, found {found}")]
    JsonInvalidTimestamp {
        /// Point index (0-based).
        index: usize,
        /// JSON type found (`"float"`, `"string"`, ...).
        found: &'static str,
    },
    /// A timestamp outside `i64` in its precision or after scaling to nanoseconds.
    #[error(
        "point {index}: timestamp {timestamp} (precision {precision}) is outside the i64 nanosecond range"
    )]
    JsonTimestampOutOfRange {
        /// Point index (0-based).
        index: usize,
        /// The timestamp as written.
        timestamp: String,
        /// The request precision.
        precision: Precision,
    },

    // ---- Prometheus remote write ----------------------------------------------
    /// The snappy header announces more decompressed bytes than allowed.
    #[error("remote write body decompresses to {length} bytes, over the {limit}-byte limit")]
    RemoteWriteTooLarge {
        /// Decompressed length announced by the snappy header.
        length: usize,
        /// The caller's limit.
        limit: usize,
    },
    /// The body is not snappy block-format data.
    #[error("remote write body is not valid snappy block data: {message}")]
    RemoteWriteSnappy {
        /// The snappy decoder's description.
        message: String,
    },
    /// The decompressed body is not a protobuf `WriteRequest`.
    #[error("remote write body is not a valid protobuf WriteRequest: {message}")]
    RemoteWriteProtobuf {
        /// The protobuf decoder's description.
        message: String,
    },
    /// A time series without a non-empty `__name__` label.
    #[error("time series {series}: missing or empty \"__name__\" label")]
    RemoteWriteMissingName {
        /// Series index (0-based).
        series: usize,
    },
    /// A label with an empty name.
    #[error("time series {series}: empty label name")]
    RemoteWriteEmptyLabelName {
        /// Series index (0-based).
        series: usize,
    },
    /// The same label name twice in one series.
    #[error("time series {series}: duplicate label {label:?}")]
    RemoteWriteDuplicateLabel {
        /// Series index (0-based).
        series: usize,
        /// The label name.
        label: String,
    },
    /// A sample timestamp (milliseconds) that overflows `i64` nanoseconds.
    #[error(
        "time series {series}, sample {sample}: timestamp {timestamp} ms overflows the i64 nanosecond range"
    )]
    RemoteWriteTimestampOverflow {
        /// Series index (0-based).
        series: usize,
        /// Sample index within the series (0-based).
        sample: usize,
        /// The timestamp in milliseconds.
        timestamp: i64,
    },
}

/// Copies `token` for an error message, shortened to at most [`MAX_EXCERPT`]
/// bytes (on a character boundary) with `...` appended when cut.
pub(crate) fn excerpt(token: &str) -> String {
    if token.len() <= MAX_EXCERPT {
        return token.to_owned();
    }
    let mut end = MAX_EXCERPT;
    while !token.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = token.get(..end).unwrap_or_default().to_owned();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_keeps_short_tokens() {
        assert_eq!(excerpt("abc"), "abc");
        let exact = "x".repeat(MAX_EXCERPT);
        assert_eq!(excerpt(&exact), exact);
    }

    #[test]
    fn excerpt_cuts_long_tokens_on_char_boundary() {
        let long = "é".repeat(100); // 2 bytes per char
        let cut = excerpt(&long);
        assert!(cut.ends_with("..."));
        assert!(cut.len() <= MAX_EXCERPT + 3);
        assert!(cut.trim_end_matches("...").chars().all(|c| c == 'é'));
    }

    #[test]
    fn messages_name_position_and_culprit() {
        let err = ProtocolError::LineInvalidFieldValue {
            line: 3,
            column: 17,
            field: "usage".into(),
            value: "abc".into(),
        };
        assert_eq!(
            err.to_string(),
            "line 3, column 17: invalid field value \"abc\" for field \"usage\""
        );
        let err = ProtocolError::JsonInvalidFieldValue {
            index: 3,
            field: "value".into(),
            found: "null",
        };
        assert_eq!(
            err.to_string(),
            "point 3: field \"value\" must be a number, boolean or string, found null"
        );
    }
}
