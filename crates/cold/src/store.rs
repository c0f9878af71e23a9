//! The object store named by `--object-store`: `s3://bucket[/prefix]` (credentials, region and
//! endpoint from the standard `AWS_*` environment only: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP=true` for a
//! plain-HTTP server) or `file:///dir` (a local directory, created if missing). Retries with
//! backoff and multipart uploads are `object_store`'s.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};

use crate::error::{ColdError, Result};

/// An open store and the prefix everything of Strata's lives under.
#[derive(Debug, Clone)]
pub struct Store {
    pub inner: Arc<dyn ObjectStore>,
    pub prefix: Path,
    /// The URL as configured (without credentials: it never holds any), for messages.
    pub url: String,
}

impl Store {
    /// Opens the store `url` names, with object_store's default retries (minutes of them:
    /// right for background exports).
    pub fn open(url: &str) -> Result<Store> {
        Self::open_with(url, false)
    }

    /// Opens the store for queries: a few quick retries and short timeouts, so a query
    /// touching an unreachable store answers 503 in seconds instead of hanging.
    pub fn open_for_queries(url: &str) -> Result<Store> {
        Self::open_with(url, true)
    }

    fn open_with(url: &str, for_queries: bool) -> Result<Store> {
        let bad = |reason: String| ColdError::Config {
            url: url.to_string(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        match parsed.scheme() {
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| bad("no bucket: use s3://bucket/prefix".into()))?;
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if for_queries {
                    builder = builder
                        .with_retry(RetryConfig {
                            backoff: BackoffConfig {
                                init_backoff: Duration::from_millis(100),
                                max_backoff: Duration::from_secs(1),
                                base: 2.0,
                            },
                            max_retries: 2,
                            retry_timeout: Duration::from_secs(10),
                        })
                        .with_config(
                            AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                            "3s",
                        )
                        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "30s");
                }
                let s3 = builder.build().map_err(|e| bad(e.to_string()))?;
                Ok(Store {
                    inner: Arc::new(s3),
                    prefix: prefix_of(parsed.path()).map_err(bad)?,
                    url: url.to_string(),
                })
            }
            "file" => {
                if parsed.host_str().is_some_and(|h| !h.is_empty()) {
                    return Err(bad(
                        "a file URL has no host: use file:///absolute/dir".into()
                    ));
                }
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| bad("not an absolute directory".into()))?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| bad(format!("cannot create {}: {e}", dir.display())))?;
                let fs = LocalFileSystem::new_with_prefix(&dir).map_err(|e| bad(e.to_string()))?;
                Ok(Store {
                    inner: Arc::new(fs),
                    prefix: Path::default(),
                    url: url.to_string(),
                })
            }
            other => Err(bad(format!(
                "unsupported scheme {other:?}: use s3://bucket/prefix or file:///dir"
            ))),
        }
    }

    /// The objects under `dir`.
    pub async fn list_paths(&self, dir: &Path) -> Result<Vec<Path>> {
        let metas: Vec<_> = self
            .inner
            .list(Some(dir))
            .try_collect()
            .await
            .map_err(|e| self.error("list", dir, e))?;
        Ok(metas.into_iter().map(|m| m.location).collect())
    }

    /// The whole object at `path`.
    pub async fn get_bytes(&self, path: &Path) -> Result<Bytes> {
        self.inner
            .get(path)
            .await
            .map_err(|e| self.error("get", path, e))?
            .bytes()
            .await
            .map_err(|e| self.error("get", path, e))
    }

    /// Writes `bytes` at `path` unless an object is there already (then
    /// `Err(object_store::Error::AlreadyExists)`, for the caller to name).
    pub async fn put_new(&self, path: &Path, bytes: Vec<u8>) -> Result<(), object_store::Error> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        self.inner
            .put_opts(path, PutPayload::from(bytes), opts)
            .await
            .map(|_| ())
    }

    /// A store error on `path` during `op`.
    pub fn error(&self, op: &'static str, path: &Path, source: object_store::Error) -> ColdError {
        ColdError::Store {
            store: self.url.clone(),
            op,
            path: path.to_string(),
            source: Box::new(source),
        }
    }
}

/// The object-path prefix of an `s3://bucket/<prefix>` URL's path.
fn prefix_of(path: &str) -> Result<Path, String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(Path::default());
    }
    Path::parse(trimmed).map_err(|e| format!("invalid prefix {trimmed:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/cold", dir.path().display());
        let s = Store::open(&url).unwrap();
        assert!(dir.path().join("cold").is_dir());
        assert_eq!(s.prefix, Path::default());
        for bad in [
            "ftp://x/y",
            "s3:///nobucket",
            "not a url",
            "file://host/dir",
        ] {
            assert!(
                matches!(Store::open(bad), Err(ColdError::Config { .. })),
                "{bad}"
            );
        }
        assert_eq!(prefix_of("/a/b/").unwrap(), Path::from("a/b"));
        assert_eq!(prefix_of("/").unwrap(), Path::default());
    }
}
