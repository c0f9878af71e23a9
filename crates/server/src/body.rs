//! Request bodies: reading under the size cap (a `Content-Length` over it is refused before
//! anything is read; a chunked body is cut off as soon as it passes it), `Content-Encoding:
//! gzip` decompression bounded by `max_decompressed_bytes`, and media-type parsing.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::config::Limits;
use crate::error::ServerError;

/// The 413 for a body over `max_body_bytes`.
pub fn body_too_large(limit: usize) -> ServerError {
    ServerError::TooLarge {
        code: "body_too_large",
        message: format!(
            "request body exceeds the limit of {limit} bytes (max_body_bytes): split the request"
        ),
    }
}

/// The declared `Content-Length`, if any and valid.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the whole body, refusing more than `limits.max_body_bytes` and taking longer than
/// `limits.body_timeout` (a 408; the connection is closed after it).
pub async fn read(body: Body, headers: &HeaderMap, limits: &Limits) -> Result<Bytes, ServerError> {
    let max = limits.max_body_bytes.as_usize();
    if content_length(headers).is_some_and(|n| n > max as u64) {
        return Err(body_too_large(max));
    }
    let timeout = limits.body_timeout.0;
    let Ok(collected) = tokio::time::timeout(timeout, Limited::new(body, max).collect()).await
    else {
        return Err(ServerError::RequestTimeout(format!(
            "the request body did not arrive within {} (body_timeout)",
            limits.body_timeout
        )));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(body_too_large(max)),
        Err(e) => Err(ServerError::bad(
            "invalid_body",
            format!("could not read the request body: {e}"),
        )),
    }
}

/// The `Content-Encoding` of a request, lower-cased; `None` for none or `identity`.
pub fn content_encoding(headers: &HeaderMap) -> Result<Option<String>, ServerError> {
    let Some(v) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| {
            ServerError::UnsupportedMediaType("unreadable Content-Encoding header".into())
        })?
        .trim()
        .to_ascii_lowercase();
    Ok(match v.as_str() {
        "" | "identity" => None,
        _ => Some(v),
    })
}

/// Undoes `encoding` (`gzip` / `x-gzip`, or none); any other encoding is a 415.
pub fn decode(bytes: Bytes, encoding: Option<&str>, limits: &Limits) -> Result<Bytes, ServerError> {
    match encoding {
        None => Ok(bytes),
        Some("gzip" | "x-gzip") => {
            gunzip(&bytes, limits.max_decompressed_bytes.as_usize()).map(Bytes::from)
        }
        Some(other) => Err(ServerError::UnsupportedMediaType(format!(
            "unsupported Content-Encoding {other:?}: send gzip or no encoding"
        ))),
    }
}

/// Decompresses a gzip body, refusing output over `max` bytes (413) and corrupt or truncated
/// input (400).
pub fn gunzip(bytes: &[u8], max: usize) -> Result<Vec<u8>, ServerError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(max));
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| ServerError::bad("invalid_gzip", format!("invalid gzip body: {e}")))?;
    if out.len() > max {
        return Err(ServerError::TooLarge {
            code: "body_too_large",
            message: format!(
                "gzip body decompresses to more than {max} bytes (max_decompressed_bytes): split the request"
            ),
        });
    }
    Ok(out)
}

/// The media type of `Content-Type` (parameters dropped, lower-cased); `None` if absent.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?;
    let v = String::from_utf8_lossy(v.as_bytes());
    let essence = v
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(essence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_bounds_and_errors() {
        let data = vec![b'x'; 10_000];
        let z = gz(&data);
        assert_eq!(gunzip(&z, 10_000).unwrap(), data);
        let e = gunzip(&z, 9_999).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        let e = gunzip(&z[..z.len() / 2], 10_000).unwrap_err();
        assert_eq!(e.code(), "invalid_gzip");
        let e = gunzip(b"not gzip at all", 10_000).unwrap_err();
        assert_eq!(e.code(), "invalid_gzip");
    }

    #[test]
    fn media_types_and_encodings() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), None);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Text/Plain; charset=utf-8"),
        );
        assert_eq!(media_type(&h).as_deref(), Some("text/plain"));
        assert_eq!(content_encoding(&h).unwrap(), None);
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("GZIP"));
        assert_eq!(content_encoding(&h).unwrap().as_deref(), Some("gzip"));
        let limits = Limits::default();
        let e = decode(Bytes::from_static(b"x"), Some("br"), &limits).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            decode(Bytes::from_static(b"x"), None, &limits).unwrap(),
            "x"
        );
    }
}
