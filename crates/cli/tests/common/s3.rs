//! A real S3 server for tests: `s3s-fs` (crates.io, installed by dev/setup-test-clients.sh)
//! on a free loopback port, serving a directory (each folder a bucket).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{Reaper, free_port, wait_for};

pub const AK: &str = "strata-test-key";
pub const SK: &str = "strata-test-secret";
pub const BUCKET: &str = "strata-bucket";

/// The s3s-fs binary, where cargo installs it.
pub fn s3s_fs() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let p = home.join("bin/s3s-fs");
    p.exists().then_some(p)
}

/// A running s3s-fs serving `root` (each folder a bucket).
pub struct S3 {
    bin: PathBuf,
    pub root: PathBuf,
    pub port: u16,
    child: Option<Reaper>,
}

impl S3 {
    /// A server on `root` if s3s-fs is installed; otherwise a loud SKIPPED line and `None`.
    pub fn start_or_skip(root: &Path) -> Option<S3> {
        let Some(bin) = s3s_fs() else {
            super::skip(
                "s3s-fs (cargo install s3s-fs --version 0.14.1 --features binary --locked)",
            );
            return None;
        };
        Some(S3::start(bin, root))
    }

    pub fn start(bin: PathBuf, root: &Path) -> S3 {
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let mut s = S3 {
            bin,
            root: root.to_path_buf(),
            port: free_port(),
            child: None,
        };
        s.restart();
        s
    }

    pub fn restart(&mut self) {
        let child: Child = Command::new(&self.bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", AK, "--secret-key", SK])
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(Reaper(child));
        let port = self.port;
        wait_for(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .expect("s3s-fs did not start listening");
    }

    pub fn stop(&mut self) {
        self.child = None;
        let port = self.port;
        wait_for(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port))
                .is_err()
                .then_some(())
        })
        .expect("s3s-fs did not stop");
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// [`S3::env`] as the `(&str, &str)` pairs the server harness takes.
    pub fn env_pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
        env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// The `AWS_*` environment that points a client at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), AK.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SK.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            (
                "AWS_ENDPOINT_URL".into(),
                format!("http://{}", self.endpoint()),
            ),
            ("AWS_ALLOW_HTTP".into(), "true".into()),
        ]
    }
}
