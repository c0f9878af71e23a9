//! Test harness: starts the real `strata` binary on a temporary data directory and a free
//! port, and speaks HTTP to it with ureq.

#![allow(dead_code)]

pub mod s3;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub fn strata_bin() -> &'static str {
    env!("CARGO_BIN_EXE_strata")
}

/// A running `strata serve`.
pub struct Server {
    pub child: Option<Child>,
    pub addr: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    pub args: Vec<String>,
    /// Keeps the temporary directory alive.
    _dir: Option<tempfile::TempDir>,
    agent: ureq::Agent,
    pub token: Option<String>,
    /// Environment variables the server is started with (on top of this process's).
    pub env: Vec<(String, String)>,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the API.md error shape and returns (code, message).
    pub fn error(&self, status: u16) -> (String, String) {
        assert_eq!(self.status, status, "body: {}", self.body);
        let v = self.json();
        let code = v["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error.code: {}", self.body));
        let msg = v["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error.message: {}", self.body));
        (code.to_string(), msg.to_string())
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Server {
    /// Starts a server on a fresh temporary directory with extra flags.
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut s = Server::start_on(&data, extra, dir.path());
        s._dir = Some(dir);
        s
    }

    /// Starts a server on a fresh temporary directory with extra flags and environment.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut s = Server::start_on_with_env(&data, extra, dir.path(), env);
        s._dir = Some(dir);
        s
    }

    /// Starts a server on `data_dir`; the log goes to `log_dir/strata-N.log`.
    pub fn start_on(data_dir: &Path, extra: &[&str], log_dir: &Path) -> Server {
        Server::start_on_with_env(data_dir, extra, log_dir, &[])
    }

    /// [`Server::start_on`] with extra environment variables.
    pub fn start_on_with_env(
        data_dir: &Path,
        extra: &[&str],
        log_dir: &Path,
        env: &[(&str, &str)],
    ) -> Server {
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--http-addr".into(),
            "127.0.0.1:0".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut n = 0;
        let log = loop {
            let p = log_dir.join(format!("strata-{n}.log"));
            if !p.exists() {
                break p;
            }
            n += 1;
        };
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (child, addr) = spawn_with_env(&args, &log, None, &env);
        let token = extra
            .iter()
            .position(|a| *a == "--auth-token")
            .map(|i| extra[i + 1].to_string());
        Server {
            child: Some(child),
            addr,
            data_dir: data_dir.to_path_buf(),
            log,
            args,
            _dir: None,
            agent: agent(),
            token,
            env,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a request; `headers` are added as given (plus the auth token, if any and not
    /// overridden).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let url = self.url(path);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        let has_auth = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
        if let (Some(t), false) = (&self.token, has_auth) {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let result = match body {
            Some(body) => self.agent.run(b.body(body.to_vec()).unwrap()),
            None => self.agent.run(b.body(()).unwrap()),
        };
        let mut resp = result
            .unwrap_or_else(|e| panic!("{method} {url}: {e}\nserver log:\n{}", self.log_text()));
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        // Binary answers (remote read) are kept as lossy text: tests compare text answers.
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            body,
            headers,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], None)
    }

    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Resp {
        self.request("POST", path, &[("Content-Type", content_type)], Some(body))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.post(path, "application/json", body.to_string().as_bytes())
    }

    /// Writes and asserts 204.
    pub fn write_ok(&self, path: &str, content_type: &str, body: &str) {
        let r = self.post(path, content_type, body.as_bytes());
        assert_eq!(r.status, 204, "write {path} failed: {}", r.body);
    }

    /// `POST /query` (ms), asserting 200; returns the answer.
    pub fn query(&self, body: Value) -> Value {
        let r = self.post_json("/query", &body);
        assert_eq!(r.status, 200, "query {body} failed: {}", r.body);
        r.json()
    }

    /// A JSON query of database `db`.
    pub fn query_in(&self, db: &str, body: Value) -> Value {
        let r = self.post_json(&format!("/query?db={db}"), &body);
        assert_eq!(r.status, 200, "query {body} in {db} failed: {}", r.body);
        r.json()
    }

    /// All points of `measurement` of database `db` over all time (ms timestamps).
    pub fn all_points_in(&self, db: &str, measurement: &str) -> Vec<Value> {
        let v = self.query_in(db, serde_json::json!({
            "measurement": measurement, "start": i64::MIN / 1_000_000, "end": i64::MAX / 1_000_000}));
        v["data_points"].as_array().cloned().unwrap_or_default()
    }

    /// All points of `measurement` over all time (ms timestamps).
    pub fn all_points(&self, measurement: &str) -> Vec<Value> {
        let v = self.query(serde_json::json!({
            "measurement": measurement, "start": i64::MIN / 1_000_000, "end": i64::MAX / 1_000_000}));
        v["data_points"].as_array().cloned().unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit (at most 30 s).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server running");
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "server did not exit within 30 s of SIGTERM\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same directory and flags (new port).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            let st = self.stop();
            assert!(st.success(), "exit status {st}\n{}", self.log_text());
        }
        let (child, addr) = spawn_with_env(&self.args, &self.log, None, &self.env);
        self.child = Some(child);
        self.addr = addr;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Spawns `strata ARGS`, appending stderr to `log`, and waits for `listening on ADDR`.
pub fn spawn(args: &[String], log: &Path, cwd: Option<&Path>) -> (Child, String) {
    spawn_with_env(args, log, cwd, &[])
}

/// [`spawn`] with extra environment variables.
pub fn spawn_with_env(
    args: &[String],
    log: &Path,
    cwd: Option<&Path>,
    env: &[(String, String)],
) -> (Child, String) {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut cmd = Command::new(strata_bin());
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .stdin(Stdio::null());
    cmd.env("RUST_LOG", "info");
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                    sent = true;
                }
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "server did not report its address; log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

/// Runs `strata ARGS` to completion: (success, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(strata_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `strata serve` with `flags` on a fresh data directory, expecting it to refuse to
/// start; returns its stderr.
pub fn serve_fails(flags: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let mut args = vec![
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--http-addr",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(flags);
    let (ok, _, err) = run_cli(&args);
    assert!(!ok, "strata serve {flags:?} started");
    err
}

/// Gzips `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Milliseconds since the epoch now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Labels and (value, ms timestamp) samples of one remote-write series.
pub type RwSeries<'a> = (&'a [(&'a str, &'a str)], &'a [(f64, i64)]);

pub fn remote_write_body(series: &[RwSeries<'_>]) -> Vec<u8> {
    use strata_protocol::remote_write::{Label, Sample, TimeSeries, WriteRequest, encode};
    let req = WriteRequest {
        timeseries: series
            .iter()
            .map(|(labels, samples)| TimeSeries {
                labels: labels
                    .iter()
                    .map(|(n, v)| Label {
                        name: n.to_string(),
                        value: v.to_string(),
                    })
                    .collect(),
                samples: samples
                    .iter()
                    .map(|&(value, timestamp)| Sample { value, timestamp })
                    .collect(),
            })
            .collect(),
        metadata: vec![],
    };
    encode(&req).unwrap()
}

/// A missing real client or peer: a loud SKIPPED line on a developer's machine, a failure
/// under CI (`CI` set), so CI never passes without running the test.
pub fn skip(what: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        panic!("{what} is not installed, and under CI every real-client test must run");
    }
    eprintln!("\n==================================================================");
    eprintln!("SKIPPED: {what} not installed");
    eprintln!("==================================================================\n");
}

/// Kills a child process (a peer server) when the test ends, however it ends.
pub struct Reaper(pub Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
