//! Database servers the tool starts itself (Strata, InfluxDB, Prometheus, VictoriaMetrics):
//! spawn with the
//! output in a log file, wait until ready, stop with SIGTERM (SIGKILL after a timeout), and
//! never leave one running (`Drop` kills).

pub mod influx;
pub mod prometheus;
pub mod strata;
pub mod victoria;

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::error::{BenchError, Result};
use crate::http::HttpClient;

/// A free loopback TCP port (bound, then released for the server to take).
pub fn free_port() -> Result<u16> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| BenchError::io("finding a free port", e))?;
    let port = l
        .local_addr()
        .map_err(|e| BenchError::io("finding a free port", e))?
        .port();
    Ok(port)
}

/// A running server process.
#[derive(Debug)]
pub struct ServerProcess {
    /// Display name.
    pub name: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    child: Option<Child>,
    pid: u32,
}

impl ServerProcess {
    /// Spawns `cmd` with stdin closed and output appended to `log`.
    pub fn spawn(
        name: &str,
        mut cmd: Command,
        base: String,
        data_dir: PathBuf,
        log: &Path,
    ) -> Result<ServerProcess> {
        let out = File::create(log)
            .map_err(|e| BenchError::io(format!("creating {}", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| BenchError::io(format!("opening {}", log.display()), e))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                BenchError::server(name, format!("cannot start {:?}: {e}", cmd.get_program()))
            })?;
        Ok(ServerProcess {
            name: name.to_string(),
            base,
            data_dir,
            log: log.to_path_buf(),
            pid: child.id(),
            child: Some(child),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Polls `GET base + path` until it answers 2xx; fails if the process exits or
    /// `timeout` passes.
    pub fn wait_ready(&mut self, rt: &Runtime, path: &str, timeout: Duration) -> Result<Duration> {
        let client = HttpClient::new(1, Duration::from_secs(5));
        let url = format!("{}{path}", self.base);
        let started = Instant::now();
        loop {
            let exited = match self.child.as_mut() {
                Some(child) => child.try_wait().ok().flatten(),
                None => None,
            };
            if let Some(status) = exited {
                self.child = None;
                return Err(BenchError::server(
                    &self.name,
                    format!(
                        "exited with {status} before it was ready; log tail:\n{}",
                        self.log_tail(20)
                    ),
                ));
            }
            let ready = rt
                .block_on(client.get(&url))
                .is_ok_and(|r| (200..300).contains(&r.status));
            if ready {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                return Err(BenchError::server(
                    &self.name,
                    format!(
                        "not ready after {timeout:?} ({url}); log tail:\n{}",
                        self.log_tail(20)
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit, then SIGKILLs. Returns the
    /// exit status and how long the shutdown took.
    pub fn stop(&mut self, timeout: Duration) -> Result<(ExitStatus, Duration)> {
        let Some(mut child) = self.child.take() else {
            return Err(BenchError::server(&self.name, "not running"));
        };
        let started = Instant::now();
        // SAFETY: kill(2) on the pid of a child we have not yet reaped.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok((status, started.elapsed())),
                Ok(None) if started.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let status = child
                        .wait()
                        .map_err(|e| BenchError::io(format!("waiting for {}", self.name), e))?;
                    return Err(BenchError::server(
                        &self.name,
                        format!("did not stop within {timeout:?} of SIGTERM; killed ({status})"),
                    ));
                }
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a command to completion and returns its stdout (stderr appended on failure).
pub fn run_capture(mut cmd: Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BenchError::io(format!("running {:?}", cmd.get_program()), e))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(BenchError::server(
            &format!("{:?}", cmd.get_program()),
            format!("exited with {}: {}", out.status, text.trim()),
        ));
    }
    Ok(text)
}

/// First line of `PROGRAM ARGS` output, or `unknown`.
pub fn version_of(program: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args);
    match cmd.stdin(Stdio::null()).output() {
        Ok(o) => {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("unknown")
                .trim()
                .to_string()
        }
        Err(_) => "unknown".into(),
    }
}
