//! `strata backup` and `strata restore` against the real server: an online backup of every
//! database to a directory and to a real S3 server (s3s-fs), incremental (tables already
//! there are not sent again), restored into a data directory that opens with exactly the
//! snapshot's data (deletes included); an older snapshot restores the older state; a damaged
//! backup is reported, never restored; a backup killed with SIGKILL mid-upload leaves the
//! previous snapshot the newest, and the next backup completes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::s3::{BUCKET, S3};
use common::{Server, run_cli, strata_bin};
use serde_json::{Value, json};

/// 2024-03-01T00:00:00Z (ns).
const DAY0: i64 = 1_709_251_200_000_000_000;
const DAY: i64 = 86_400_000_000_000;

fn lines(measurement: &str, day: i64, n: i64) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{measurement},host=h{} v={},n={}i {}\n",
                i % 3,
                i as f64 / 8.0,
                i,
                DAY0 + day * DAY + i * 1_000_000_000
            )
        })
        .collect()
}

/// Every point of `measurement` in database `db`, over all time.
fn points(s: &Server, db: &str, measurement: &str) -> Vec<Value> {
    let r = s.post_json(
        &format!("/query?db={}&precision=ns", db.replace(' ', "%20")),
        &json!({"measurement": measurement, "start": 0, "end": DAY0 + 30 * DAY}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data_points"].as_array().unwrap().clone()
}

fn state(s: &Server) -> Vec<Vec<Value>> {
    vec![
        points(s, "default", "cpu"),
        points(s, "default", "mem"),
        points(s, "tele metry", "disk"),
    ]
}

/// The default database's measurements.
fn default_state(s: &Server) -> Vec<Vec<Value>> {
    vec![points(s, "default", "cpu"), points(s, "default", "mem")]
}

fn backup(url: &str, to: &str, env: &[(String, String)]) -> String {
    let out = Command::new(strata_bin())
        .args(["backup", "--url", url, "--to", to])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "backup failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn restore(
    from: &str,
    dir: &std::path::Path,
    snapshot: Option<&str>,
    env: &[(String, String)],
) -> (bool, String) {
    let mut cmd = Command::new(strata_bin());
    cmd.args([
        "restore",
        "--from",
        from,
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    if let Some(id) = snapshot {
        cmd.args(["--snapshot", id]);
    }
    let out = cmd.envs(env.iter().map(|(k, v)| (k, v))).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The snapshot id `strata backup` printed.
fn snapshot_id(out: &str) -> String {
    out.split_whitespace().nth(1).unwrap().to_string()
}

/// Fills `s` (two databases, a delete, data compacted and not), backs it up twice to `to`
/// with a change between, and restores both snapshots, checking each against the state it
/// was taken at.
fn round_trip(to: &str, env: &[(String, String)]) {
    let s = Server::start(&[]);
    s.write_ok("/write", "text/plain", &lines("cpu", 0, 500));
    s.write_ok("/write", "text/plain", &lines("cpu", 1, 300));
    s.write_ok(
        "/write?db=tele%20metry",
        "text/plain",
        &lines("disk", 0, 50),
    );
    let r = s.post_json(
        "/api/v1/delete?precision=ns",
        &json!({"measurement": "cpu", "filters": {"host": "h1"}, "start": DAY0, "end": DAY0 + 100_000_000_000i64}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    // Some data only in the MemTable: the backup flushes it.
    s.write_ok("/write", "text/plain", &lines("mem", 2, 40));
    let first_state = state(&s);
    let first = backup(&s.url(""), to, env);
    assert!(first.contains("0 already there"), "{first}");

    // A new day (new tables) while the old ones stay: the second backup sends only those.
    s.write_ok("/write", "text/plain", &lines("cpu", 5, 100));
    let second_state = state(&s);
    assert_ne!(first_state, second_state);
    let second = backup(&s.url(""), to, env);
    assert!(
        !second.contains(" 0 already there"),
        "nothing reused: {second}"
    );

    let dir = tempfile::tempdir().unwrap();
    for (snapshot, want) in [
        (None, &second_state),
        (Some(snapshot_id(&first)), &first_state),
    ] {
        let data = dir.path().join(snapshot.clone().unwrap_or("newest".into()));
        let (ok, out) = restore(to, &data, snapshot.as_deref(), env);
        assert!(ok, "restore failed: {out}");
        let r = Server::start_on(&data, &[], dir.path());
        assert_eq!(&state(&r), want, "restored {snapshot:?}");
        // Restored directories take writes as usual.
        r.write_ok(
            "/write",
            "text/plain",
            "cpu,host=new v=1 1709251200000000000",
        );
    }
    // Not into a data directory that exists.
    let (ok, out) = restore(to, &dir.path().join("newest"), None, env);
    assert!(!ok && out.contains("restore into a new directory"), "{out}");
}

#[test]
fn backup_and_restore_through_a_directory() {
    let dest = tempfile::tempdir().unwrap();
    let to = dest.path().join("backups");
    round_trip(to.to_str().unwrap(), &[]);

    // A damaged table is reported, not restored.
    let sst = walk(&to)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "sst"))
        .unwrap();
    let mut bytes = std::fs::read(&sst).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&sst, bytes).unwrap();
    let target = dest.path().join("damaged");
    let (ok, out) = restore(to.to_str().unwrap(), &target, None, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("the backup is damaged"), "{out}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn backup_and_restore_through_a_real_s3_server() {
    let dir = tempfile::tempdir().unwrap();
    let Some(s3) = S3::start_or_skip(&dir.path().join("s3")) else {
        return;
    };
    round_trip(&format!("s3://{BUCKET}/backups"), &s3.env());
    assert!(
        dir.path()
            .join("s3")
            .join(BUCKET)
            .join("backups/snapshots")
            .is_dir()
    );
}

#[test]
fn a_backup_killed_mid_upload_leaves_the_previous_snapshot() {
    let s = Server::start(&[]);
    for day in 0..4 {
        s.write_ok("/write", "text/plain", &lines("cpu", day, 200));
    }
    let dest = tempfile::tempdir().unwrap();
    let to = dest.path().join("b");
    let to = to.to_str().unwrap();
    s.write_ok("/write", "text/plain", &lines("mem", 0, 10));
    let first = backup(&s.url(""), to, &[]);
    let before = default_state(&s);
    // New tables in every partition, then a backup that pauses after each upload: kill it
    // after the first.
    for day in 0..4 {
        s.write_ok("/write", "text/plain", &lines("cpu", day + 10, 20));
    }
    let mut child = Command::new(strata_bin())
        .args(["backup", "--url", &s.url(""), "--to", to])
        .args(["--test-pause-after-table-ms", "5000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("uploaded table"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    // The newest complete snapshot is still the first.
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = restore(to, &dir.path().join("r1"), None, &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("restored backup {}", snapshot_id(&first))),
        "{out}"
    );
    let r = Server::start_on(&dir.path().join("r1"), &[], dir.path());
    assert_eq!(default_state(&r), before);
    drop(r);
    // The next backup completes, and restores the current state.
    backup(&s.url(""), to, &[]);
    let (ok, out) = restore(to, &dir.path().join("r2"), None, &[]);
    assert!(ok, "{out}");
    let r = Server::start_on(&dir.path().join("r2"), &[], dir.path());
    assert_eq!(default_state(&r), default_state(&s));
    // A backup of a server that is not there fails clearly.
    let (ok, _, err) = run_cli(&["backup", "--url", "http://127.0.0.1:9", "--to", to]);
    assert!(
        !ok && err.contains("request to http://127.0.0.1:9"),
        "{err}"
    );
}
