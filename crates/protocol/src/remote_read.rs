//! Prometheus remote read 1.0: a snappy block-compressed protobuf `ReadRequest` in, a
//! `ReadResponse` of raw samples out (the `SAMPLES` response type, which every Prometheus
//! server accepts; streamed chunks are not offered).
//!
//! ```text
//! message ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
//! message Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//!                        repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
//! message LabelMatcher { Type type = 1; string name = 2; string value = 3; }   // EQ NEQ RE NRE
//! message ReadResponse { repeated QueryResult results = 1; }
//! message QueryResult  { repeated TimeSeries timeseries = 1; }
//! ```

use prost::Message as _;

use crate::error::ProtocolError;
use crate::remote_write::{TimeSeries, compress, decompress};

/// `prometheus.ReadRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadRequest {
    /// The queries, answered in order.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Response types the client accepts (0 = SAMPLES, 1 = STREAMED_XOR_CHUNKS).
    #[prost(int32, repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// `prometheus.Query`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Query {
    /// First millisecond of the range (inclusive).
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// Last millisecond of the range (inclusive).
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Every matcher must hold.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
}

/// `prometheus.LabelMatcher`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelMatcher {
    /// A [`MatchType`] value.
    #[prost(enumeration = "MatchType", tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or (anchored) regular expression.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// `prometheus.LabelMatcher.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MatchType {
    /// `=`
    Eq = 0,
    /// `!=`
    Neq = 1,
    /// `=~`
    Re = 2,
    /// `!~`
    Nre = 3,
}

/// `prometheus.ReadResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadResponse {
    /// One result per query, in order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// `prometheus.QueryResult`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryResult {
    /// The matching series with their samples in the range.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// Decompresses and decodes a remote-read body.
pub fn decode(body: &[u8], max_decompressed: usize) -> Result<ReadRequest, ProtocolError> {
    let raw = decompress(body, max_decompressed)?;
    ReadRequest::decode(raw.as_slice()).map_err(|err| ProtocolError::RemoteWriteProtobuf {
        message: err.to_string(),
    })
}

/// Encodes a response (protobuf, then snappy block format).
pub fn encode_response(response: &ReadResponse) -> Result<Vec<u8>, ProtocolError> {
    compress(&response.encode_to_vec())
}

/// Encodes a request (for tests and clients).
pub fn encode_request(request: &ReadRequest) -> Result<Vec<u8>, ProtocolError> {
    compress(&request.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let req = ReadRequest {
            queries: vec![Query {
                start_timestamp_ms: 1,
                end_timestamp_ms: 2,
                matchers: vec![LabelMatcher {
                    r#type: MatchType::Re as i32,
                    name: "__name__".into(),
                    value: "up|x".into(),
                }],
            }],
            accepted_response_types: vec![0],
        };
        let body = encode_request(&req).unwrap();
        assert_eq!(decode(&body, 1 << 20).unwrap(), req);
        assert!(decode(b"\xff\xff\xff", 1 << 20).is_err());
        assert!(decode(&body, 3).is_err());
    }
}
