//! The HTTP client side of `strata import` and `strata query` (blocking, plain HTTP), and the
//! error type of the client subcommands.

use std::time::Duration;

/// Why a client subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad flags or flag values.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A line of the input file is malformed.
    #[error("{path}:{line}: {reason}")]
    Input {
        path: String,
        line: usize,
        reason: String,
    },
    /// The request could not be sent or its answer read.
    #[error("request to {url} failed: {message}")]
    Http { url: String, message: String },
    /// The server refused the request.
    #[error("server answered {status}: {message}")]
    Server { status: u16, message: String },
}

/// A server's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// `Retry-After` in seconds, if sent.
    pub retry_after: Option<u64>,
}

impl Answer {
    /// The `error.message` of a JSON error body, or the raw body.
    pub fn message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.body.trim().to_string())
    }

    /// `Ok(self)` for a 2xx answer, the server's error otherwise.
    pub fn success(self) -> Result<Answer, CliError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(CliError::Server {
                status: self.status,
                message: self.message(),
            })
        }
    }
}

/// A connection to one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Client {
            agent,
            base: base.trim_end_matches('/').to_string(),
            token,
        }
    }

    /// POSTs `body` to `path` (which may carry a query string).
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Answer, CliError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.post(&url).header("Content-Type", content_type);
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let http = |e: ureq::Error| CliError::Http {
            url: url.clone(),
            message: e.to_string(),
        };
        let mut resp = req.send(body).map_err(http)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = resp
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .map_err(http)?;
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }
}
