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
    /// The object store (backup destination or source) failed.
    #[error("{0}")]
    Store(#[from] strata_cold::ColdError),
    /// The engine refused a restored directory.
    #[error("{0}")]
    Engine(#[from] strata_engine::Error),
    /// A local file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// What was transferred is not what was announced.
    #[error("{0}")]
    Corrupt(String),
}

/// A progress bar over `total` bytes (drawn on a terminal's stderr only).
pub fn byte_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
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

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str) -> (String, ureq::http::request::Builder) {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        (url, req)
    }

    /// POSTs `body` to `path` (which may carry a query string).
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Answer, CliError> {
        let (url, req) = self.request("POST", path);
        let req = req.header("Content-Type", content_type);
        self.send(&url, req.body(body.to_vec()))
    }

    /// DELETEs `path`.
    pub fn delete(&self, path: &str) -> Result<Answer, CliError> {
        let (url, req) = self.request("DELETE", path);
        self.send(&url, req.body(Vec::new()))
    }

    /// GETs `path` and hands back the body as a reader (after checking for success).
    pub fn get_reader(&self, path: &str) -> Result<impl std::io::Read + use<>, CliError> {
        let (url, req) = self.request("GET", path);
        let http = |e: ureq::Error| CliError::Http {
            url: url.clone(),
            message: e.to_string(),
        };
        let req = req.body(()).map_err(|e| CliError::Usage(e.to_string()))?;
        let resp = self.agent.run(req).map_err(http)?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        if !(200..300).contains(&status) {
            let answer = Answer {
                status,
                body: body.read_to_string().unwrap_or_default(),
                retry_after: None,
            };
            return Err(CliError::Server {
                status,
                message: answer.message(),
            });
        }
        Ok(body.into_reader())
    }

    fn send(
        &self,
        url: &str,
        req: Result<ureq::http::Request<Vec<u8>>, ureq::http::Error>,
    ) -> Result<Answer, CliError> {
        let http = |e: ureq::Error| CliError::Http {
            url: url.to_string(),
            message: e.to_string(),
        };
        let req = req.map_err(|e| CliError::Usage(e.to_string()))?;
        let mut resp = self.agent.run(req).map_err(http)?;
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
