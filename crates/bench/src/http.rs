//! The HTTP client every runner uses: hyper 1 over tokio, HTTP/1.1 with keep-alive (a pool
//! of idle connections per host, one in use per concurrent request), `TCP_NODELAY`.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::{BenchError, Result};

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// `Ok(self)` for a 2xx status, otherwise a [`BenchError::Status`].
    pub fn ok(self, url: &str) -> Result<Response> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(BenchError::Status {
                url: url.to_string(),
                status: self.status,
                body: String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(500)
                    .collect(),
            })
        }
    }

    /// The body as JSON.
    pub fn json(&self, url: &str) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| BenchError::Decode {
            url: url.to_string(),
            message: format!(
                "invalid JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ),
        })
    }
}

/// A cloneable client (the pool is shared between clones).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    /// A client keeping up to `idle` idle connections per host; every request fails after
    /// `timeout`.
    pub fn new(idle: usize, timeout: Duration) -> HttpClient {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(idle.max(1))
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        HttpClient { client, timeout }
    }

    /// `POST url` with a body.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        content_encoding: Option<&str>,
        body: Bytes,
    ) -> Result<Response> {
        let mut req = Request::post(url).header(CONTENT_TYPE, content_type);
        if let Some(enc) = content_encoding {
            req = req.header(CONTENT_ENCODING, enc);
        }
        // Prometheus' receiver checks for this header.
        if content_encoding == Some("snappy") {
            req = req.header("X-Prometheus-Remote-Write-Version", "0.1.0");
        }
        let req = req.body(Full::new(body)).map_err(|e| http_err(url, e))?;
        self.send(url, req).await
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<Response> {
        let req = Request::get(url)
            .body(Full::new(Bytes::new()))
            .map_err(|e| http_err(url, e))?;
        self.send(url, req).await
    }

    async fn send(&self, url: &str, req: Request<Full<Bytes>>) -> Result<Response> {
        let fut = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| http_err(url, e))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| http_err(url, e))?
                .to_bytes();
            Ok(Response {
                status,
                retry_after,
                body,
            })
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(BenchError::Http {
                url: url.to_string(),
                message: format!("no answer within {:?}", self.timeout),
            }),
        }
    }
}

fn http_err(url: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Http {
        url: url.to_string(),
        message: e.to_string(),
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(url_encode("a b=c&'x'"), "a%20b%3Dc%26%27x%27");
        assert_eq!(url_encode("host_1|host-2.~"), "host_1%7Chost-2.~");
    }
}
