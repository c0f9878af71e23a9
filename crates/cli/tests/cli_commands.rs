//! Restarts and the operator commands against the real `strata` binary: data kept across a
//! SIGTERM restart, a flush followed by `inspect --verify` (and its failure naming a corrupt
//! file), `import` and `query`, `serve --help` documenting every option, and configuration
//! precedence (file < env < flag) with the default data directory.

mod common;

use std::time::Duration;

use common::{Server, wait_for};
use serde_json::{Value, json};

#[test]
fn flushes_to_sstables_and_inspect() {
    let mut s = Server::start(&["--memtable-bytes", "16KiB", "--memtable-hard-cap", "64MiB"]);
    for batch in 0..10 {
        let lines: String = (0..500)
            .map(|i| {
                format!(
                    "f,host=h{} value={} {}\n",
                    i % 5,
                    i,
                    (batch * 500 + i) as i64 * 1_000_000_000
                )
            })
            .collect();
        s.write_ok("/write", "text/plain", &lines);
    }
    let flushed = wait_for(Duration::from_secs(30), || {
        let m = s.get("/metrics").body;
        let line = m
            .lines()
            .find(|l| l.starts_with("strata_flushes_total "))?
            .to_string();
        (line != "strata_flushes_total 0").then_some(())
    });
    assert!(flushed.is_some(), "no flush happened");
    assert_eq!(s.all_points("f").len(), 5000);
    let st = s.stop();
    assert!(st.success());

    let dir = s.data_dir.to_str().unwrap().to_string();
    let (ok, out, err) = common::run_cli(&["inspect", "--data-dir", &dir, "--verify"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("partition 1970-01-01T00:00:00Z"), "{out}");
    assert!(out.contains("B/point"), "{out}");
    assert!(out.contains("total:"), "{out}");
    assert!(out.contains("verify: OK"), "{out}");

    // Corrupt one byte inside the first SSTable's data blocks: --verify names the file.
    let mut ssts: Vec<_> = std::fs::read_dir(s.data_dir.join("sst"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .collect();
    ssts.sort();
    let victim = &ssts[0];
    let mut bytes = std::fs::read(victim).unwrap();
    bytes[20] ^= 0xff;
    std::fs::write(victim, &bytes).unwrap();
    let (ok, out, err) = common::run_cli(&["inspect", "--data-dir", &dir, "--verify"]);
    assert!(!ok, "corruption not detected:\n{out}\n{err}");
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(
        out.contains(name) || err.contains(name),
        "file not named:\n{out}\n{err}"
    );
}

#[test]
fn import_and_query_commands() {
    let s = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("points.csv");
    let mut text = String::from("series,timestamp,value\n");
    for i in 0..12_000 {
        text.push_str(&format!(
            "{{__name__=\"temp\", room=\"r{}\"}},{},{}\n",
            i % 3,
            1_000 * i,
            i as f64 / 2.0
        ));
    }
    text.push_str("{__name__=\"temp\", room=\"r0\"},99999999,NaN\n");
    std::fs::write(&csv, text).unwrap();
    let url = s.url("");
    let (ok, out, err) = common::run_cli(&["import", csv.to_str().unwrap(), "--url", &url]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("imported 12000 points") && out.contains("points/s"),
        "{out}"
    );
    assert!(err.contains("skipped 1 rows"), "{err}");

    let lp = dir.path().join("points.lp");
    std::fs::write(
        &lp,
        "# comment\nhum,room=r1 value=40 1000000000\n\nhum,room=r2 value=41 2000000000\n",
    )
    .unwrap();
    let (ok, out, err) = common::run_cli(&["import", lp.to_str().unwrap(), "--url", &url]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("imported 2 points"), "{out}");

    let (ok, out, err) = common::run_cli(&[
        "query", "--url", &url, "-m", "temp", "--filter", "room=r1", "--start", "0", "--end",
        "10000",
    ]);
    assert!(ok, "{out}\n{err}");
    assert_eq!(
        out,
        "timestamp  room  value\n1000       r1    0.5\n4000       r1    2.0\n7000       r1    3.5\n(3 points)\n"
    );
    let (ok, out, _) = common::run_cli(&[
        "query",
        "--url",
        &url,
        "-m",
        "temp",
        "--aggregate",
        "count",
        "--group-all",
        "--json",
    ]);
    assert!(ok);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["data_points"][0]["fields"]["value"], json!(12_000));
    let (ok, out, _) = common::run_cli(&[
        "query",
        "--url",
        &url,
        "-m",
        "hum",
        "--precision",
        "s",
        "--desc",
        "--limit",
        "1",
    ]);
    assert!(ok);
    assert!(out.contains("2          r2    41"), "{out}");
    let (ok, _, err) = common::run_cli(&["query", "--url", &url, "-m", "hum", "--filter", "bad"]);
    assert!(!ok && err.contains("KEY=VALUE"), "{err}");
    let (ok, _, err) =
        common::run_cli(&["query", "--url", &url, "-m", "hum", "--aggregate", "median"]);
    assert!(!ok && err.contains("400"), "{err}");
}

#[test]
fn serve_help_documents_every_option() {
    let (ok, out, _) = common::run_cli(&["serve", "--help"]);
    assert!(ok);
    for opt in [
        "--config",
        "--data-dir",
        "--http-addr",
        "--wal-sync",
        "--memtable-bytes",
        "--memtable-hard-cap",
        "--partition",
        "--block-points",
        "--l0-compaction-trigger",
        "--retention",
        "--auth-token",
        "--auth-token-file",
        "--allow-nan",
        "--shutdown-timeout",
        "--max-body-bytes",
        "--max-decompressed-bytes",
        "--max-points-per-request",
        "--max-tags-per-point",
        "--max-key-len",
        "--max-value-len",
        "--max-series-per-measurement",
        "--max-query-points",
        "STRATA_DATA_DIR",
        "STRATA_MAX_BODY_BYTES",
        "STRATA_AUTH_TOKEN",
    ] {
        assert!(out.contains(opt), "serve --help lacks {opt}:\n{out}");
    }
}

#[test]
fn config_file_env_and_default_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("strata.toml");
    std::fs::write(
        &cfg,
        "http_addr = \"127.0.0.1:0\"\n[limits]\nmax_body_bytes = \"1KiB\"\nmax_key_len = 10\n",
    )
    .unwrap();
    // No --data-dir: ./strata-data in the working directory. The environment overrides the
    // file (max_key_len 10 -> 20) and is itself overridden by a flag (body limit).
    let log = dir.path().join("log");
    let mut cmd_args: Vec<String> =
        vec!["serve".into(), "--config".into(), cfg.display().to_string()];
    cmd_args.extend(["--max-body-bytes".to_string(), "2KiB".to_string()]);
    // SAFETY: this test process sets the variable only for the child through a wrapper env.
    let (mut child, addr) = {
        let prev = std::env::var_os("STRATA_MAX_KEY_LEN");
        assert!(
            prev.is_none(),
            "test environment already sets STRATA_MAX_KEY_LEN"
        );
        spawn_with_env(&cmd_args, &log, dir.path(), &[("STRATA_MAX_KEY_LEN", "20")])
    };
    let agent = common::agent();
    let post = |body: String| {
        let mut r = agent
            .post(format!("http://{addr}/write"))
            .header("Content-Type", "text/plain")
            .send(body.as_bytes())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(
        post("fifteen_chars_m value=1 1".into()).0,
        204,
        "env max_key_len 20 beats the file's 10"
    );
    assert_eq!(post("twenty_five_characters_mm value=1 1".into()).0, 400);
    assert_eq!(
        post(format!("m value=1 1\n{}", "#".repeat(1500))).0,
        204,
        "flag 2KiB beats the file's 1KiB"
    );
    assert_eq!(post(format!("m value=1 1\n{}", "#".repeat(2100))).0, 413);
    assert!(
        dir.path().join("strata-data").join("wal").is_dir(),
        "default data dir not created"
    );
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert!(child.wait().unwrap().success());
}

fn spawn_with_env(
    args: &[String],
    log: &std::path::Path,
    cwd: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut cmd = std::process::Command::new(common::strata_bin());
    cmd.args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(log_file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

#[test]
fn restart_keeps_data() {
    let mut s = Server::start(&[]);
    s.write_ok(
        "/write",
        "text/plain",
        "r,host=a value=1 1000000000\nr,host=a value=2 2000000000\n",
    );
    s.write_ok(
        "/write",
        "application/json",
        r#"{"measurement":"r","tags":{"host":"b"},"fields":{"s":"x"},"timestamp":3000}"#,
    );
    let before = s.all_points("r");
    assert_eq!(before.len(), 3);
    s.restart();
    assert!(
        s.log_text().contains("SIGTERM received"),
        "{}",
        s.log_text()
    );
    assert_eq!(s.all_points("r"), before);
    // Field types survive the restart too.
    let (code, _) = s
        .post("/write", "text/plain", b"r,host=a value=\"str\" 4000000000")
        .error(400);
    assert_eq!(code, "field_type_conflict");
    s.write_ok("/write", "text/plain", "r,host=a value=4 4000000000");
    s.restart();
    assert_eq!(s.all_points("r").len(), 4);
}
