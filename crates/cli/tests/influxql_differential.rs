//! InfluxQL answers compared with the real InfluxDB 1.6.7 (Debian's `influxdb`, installed by
//! `dev/setup-test-clients.sh`): the same line protocol is written into two databases of
//! both, then every statement form runs on both and the answers are compared: per statement
//! the error or the series (name, tags, columns, rows; numbers within 1e-6; rows of equal
//! time compared as a set, since InfluxDB orders ties across series arbitrarily).
//! Database isolation, `epoch`, multi-statement requests, the Grafana data source's
//! requests and Telegraf's start-up are part of the list.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Reaper, Server, agent, free_port, skip, wait_for};
use serde_json::Value;

const T0: i64 = 1_700_000_000;

/// Line protocol for `db1` and `db2`.
fn dataset() -> (String, String) {
    let mut db1 = String::new();
    let hosts = [("a", "east"), ("b", "west"), ("c", "east")];
    for i in 0..360i64 {
        for (h, (host, region)) in hosts.iter().enumerate() {
            let h = h as i64;
            // Deterministic, varied values; each host a slightly different time so no two
            // series share a timestamp.
            let user = ((i * 37 + h * 11) % 1000) as f64 / 10.0;
            let system = ((i * 13 + h * 7) % 400) as f64 / 4.0;
            // 3 is the most frequent value (`mode` has no tie to break).
            let n = if i % 4 == 0 { 3 } else { (i + h) % 5 };
            let t = (T0 + i * 10) * 1_000_000_000 + h * 1_000_000;
            if host == &"c" && i % 7 == 3 {
                // Some rows lack a field.
                let _ = writeln!(
                    db1,
                    "cpu,host={host},region={region} usage_user={user},n={n}i {t}"
                );
            } else {
                let _ = writeln!(
                    db1,
                    "cpu,host={host},region={region} usage_user={user},usage_system={system},n={n}i {t}"
                );
            }
        }
        if i % 3 == 0 {
            let state = ["ok", "warn", "crit"][(i % 9 / 3) as usize];
            let t = (T0 + i * 10) * 1_000_000_000 + 500_000_000;
            let _ = writeln!(
                db1,
                "mem,host=a used={}.5,state=\"{state}\",ok={} {t}",
                i % 50,
                i % 2 == 0
            );
        }
    }
    let mut db2 = String::new();
    for i in 0..60i64 {
        for (h, host) in ["x", "y"].iter().enumerate() {
            let t = (T0 + i * 60) * 1_000_000_000 + h as i64;
            let _ = writeln!(db2, "cpu,host={host} usage_user={} {t}", 50 + i % 7);
        }
    }
    (db1, db2)
}

/// The statements compared, run with `db=db1` unless prefixed by `db2:`.
fn statements() -> Vec<String> {
    let r = format!(
        "time >= {}ms and time <= {}ms",
        T0 * 1000,
        (T0 + 3600) * 1000
    );
    let r10 = format!("time >= {}s AND time <= {}s", T0, T0 + 600);
    let mut v: Vec<String> = [
        "SHOW DATABASES",
        "SHOW MEASUREMENTS",
        "SHOW MEASUREMENTS LIMIT 1",
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/",
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)C/ LIMIT 100",
        "SHOW TAG KEYS",
        "SHOW TAG KEYS FROM cpu",
        "SHOW TAG KEYS FROM \"cpu\"",
        "SHOW TAG VALUES FROM cpu WITH KEY = host",
        "SHOW TAG VALUES FROM \"cpu\" WITH KEY = \"host\" WHERE \"region\" = 'east'",
        "SHOW TAG VALUES WITH KEY IN (host, region)",
        "SHOW TAG VALUES FROM cpu WITH KEY =~ /reg.*/ WHERE host = 'a'",
        "SHOW TAG VALUES FROM cpu WITH KEY != host",
        "SHOW FIELD KEYS",
        "SHOW FIELD KEYS FROM mem",
        "SHOW FIELD KEYS FROM \"cpu\"",
        "SHOW SERIES",
        "SHOW SERIES FROM cpu WHERE host = 'a'",
        "SHOW SERIES FROM cpu WHERE region = 'east' LIMIT 1 OFFSET 1",
        "SHOW RETENTION POLICIES",
        "SHOW RETENTION POLICIES ON db1",
        "SHOW MEASUREMENTS ON db2",
        "db2:SHOW TAG VALUES WITH KEY = host",
    ]
    .map(String::from)
    .to_vec();
    let selects = [
        format!("SELECT * FROM cpu WHERE time >= {T0}s AND time < {}s", T0 + 30),
        "SELECT usage_user AS u, usage_user * 2 + usage_system FROM cpu WHERE host = 'a' LIMIT 3".into(),
        "SELECT usage_user, n / 2, n % 3, n * 2 FROM cpu WHERE host = 'b' LIMIT 5 OFFSET 2".into(),
        format!("SELECT usage_user, usage_system FROM cpu WHERE host = 'c' AND {r} LIMIT 12"),
        "SELECT * FROM mem LIMIT 5".into(),
        "SELECT state, ok FROM mem WHERE state = 'warn' LIMIT 4".into(),
        "SELECT used FROM mem WHERE ok = true LIMIT 4".into(),
        "SELECT usage_user FROM cpu WHERE usage_user > 95 AND host = 'a'".into(),
        "SELECT usage_user FROM cpu WHERE usage_user > 95 OR usage_system < 1".into(),
        "SELECT usage_user, host FROM cpu WHERE host =~ /a|b/ AND (region = 'east' OR region = 'west') LIMIT 6".into(),
        "SELECT usage_user FROM cpu WHERE host != 'a' LIMIT 6".into(),
        "SELECT usage_user FROM cpu WHERE host !~ /a/ LIMIT 6".into(),
        "SELECT usage_user FROM cpu WHERE host = 'nope'".into(),
        "SELECT usage_user FROM cpu ORDER BY time DESC LIMIT 4".into(),
        "SELECT usage_user FROM cpu GROUP BY host LIMIT 2".into(),
        "SELECT usage_user FROM cpu GROUP BY * LIMIT 2 SLIMIT 2".into(),
        "SELECT usage_user FROM /c.*/ LIMIT 3".into(),
        "SELECT usage_user FROM \"db1\".\"autogen\".\"cpu\" LIMIT 3".into(),
        "SELECT usage_user FROM db1..cpu LIMIT 3".into(),
        "SELECT nothing FROM cpu".into(),
        "SELECT usage_user FROM nosuch".into(),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m) fill(null)"),
        format!("SELECT mean(\"usage_user\") FROM \"cpu\" WHERE {r} GROUP BY time(10s) fill(null)"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m) fill(none)"),
        format!("SELECT mean(usage_user) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(5m) fill(0)", T0 - 1200, T0 + 600),
        format!("SELECT mean(usage_user) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(5m) fill(-1)", T0 - 1200, T0 + 600),
        format!("SELECT mean(usage_user) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(5m) fill(previous)", T0 - 1200, T0 + 600),
        format!("SELECT mean(usage_user), count(usage_system) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(5m) fill(null)", T0 - 1200, T0 + 600),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} AND host = 'c' GROUP BY time(1m) fill(linear)"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m), host fill(null)"),
        format!("SELECT max(usage_user) FROM cpu WHERE {r} GROUP BY time(15m), *"),
        // count/min/max folded straight from the columns (every fill, offsets, DESC LIMIT).
        format!("SELECT min(n), max(n), count(usage_system), max(usage_user) FROM cpu WHERE {r} GROUP BY time(7m), host fill(none)"),
        format!("SELECT max(usage_user), count(usage_user) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(5m, 2m) fill(previous)", T0 - 1200, T0 + 600),
        format!("SELECT min(usage_system) FROM cpu WHERE time >= {}s AND time <= {}s AND host =~ /a|b/ GROUP BY time(5m) fill(0) ORDER BY time DESC LIMIT 3", T0 - 1200, T0 + 600),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m, 5m)"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m, -2m)"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m) ORDER BY time DESC LIMIT 2"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {r} GROUP BY time(10m), host SLIMIT 1 SOFFSET 1"),
        format!("SELECT mean(usage_user) FROM cpu WHERE time >= {}s AND time <= {}s GROUP BY time(10m)", T0 + 3000, T0 + 7200),
        "SELECT mean(usage_user) FROM cpu GROUP BY time(10m) fill(none)".into(),
        format!("SELECT count(usage_user), sum(n), min(usage_user), max(usage_user), first(usage_user), last(usage_user) FROM cpu WHERE {r}"),
        format!("SELECT spread(usage_user), stddev(usage_user), median(usage_user), mode(n), spread(n) FROM cpu WHERE {r}"),
        format!("SELECT percentile(usage_user, 90) FROM cpu WHERE {r}"),
        format!("SELECT percentile(usage_user, 90), mean(usage_user) FROM cpu WHERE {r}"),
        format!("SELECT max(usage_user) FROM cpu WHERE {r}"),
        format!("SELECT min(usage_user), host FROM cpu WHERE {r}"),
        format!("SELECT last(usage_user) FROM cpu WHERE {r} GROUP BY host"),
        format!("SELECT count(distinct(n)) FROM cpu WHERE {r}"),
        format!("SELECT distinct(n) FROM cpu WHERE {r}"),
        format!("SELECT count(*) FROM cpu WHERE {r}"),
        format!("SELECT sum(n) FROM cpu WHERE {r} GROUP BY time(20m), host"),
        format!("SELECT top(usage_user, 3) FROM cpu WHERE {r}"),
        format!("SELECT top(usage_user, host, 2) FROM cpu WHERE {r}"),
        format!("SELECT bottom(usage_user, 2) FROM cpu WHERE {r}"),
        format!("SELECT top(usage_user, 2) FROM cpu WHERE {r} GROUP BY time(30m)"),
        format!("SELECT derivative(mean(usage_user), 1m) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT non_negative_derivative(mean(usage_user), 1m) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT difference(max(usage_user)) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT non_negative_difference(sum(n)) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT moving_average(mean(usage_user), 3) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT cumulative_sum(sum(n)) FROM cpu WHERE {r10} GROUP BY time(1m)"),
        format!("SELECT derivative(usage_user, 1s) FROM cpu WHERE host = 'a' AND {r10}"),
        format!("SELECT difference(n), cumulative_sum(n) FROM cpu WHERE host = 'b' AND {r10}"),
        format!("SELECT elapsed(usage_user, 1s) FROM cpu WHERE host = 'a' AND {r10}"),
        format!("SELECT moving_average(usage_user, 3) FROM cpu WHERE host = 'a' AND {r10}"),
        format!("SELECT mean(usage_user) + mean(usage_system) FROM cpu WHERE {r} GROUP BY time(20m)"),
        format!("SELECT mean(usage_user) * 2 AS double FROM cpu WHERE {r} GROUP BY time(20m)"),
        format!("SELECT abs(usage_user), sqrt(usage_user), floor(usage_user), round(usage_user), ceil(usage_user) FROM cpu WHERE host = 'a' AND {r10} LIMIT 5"),
        format!("SELECT log2(usage_user + 1), log10(usage_user + 1), exp(n), pow(usage_user, 2), sin(usage_user) FROM cpu WHERE host = 'a' AND {r10} LIMIT 5"),
        format!("SELECT mean(used) FROM mem WHERE {r} GROUP BY time(30m)"),
        format!("SELECT count(state), last(state), first(ok) FROM mem WHERE {r}"),
        "SELECT mean(usage_user) FROM cpu WHERE time > now() - 1h GROUP BY time(10m)".into(),
        "db2:SELECT * FROM cpu LIMIT 3".into(),
        "db2:SELECT mean(usage_user) FROM cpu GROUP BY host".into(),
        // Errors.
        "SELECT mean(state) FROM mem".into(),
        "SELECT usage_user, mean(usage_user) FROM cpu".into(),
        "SELECT usage_user FROM cpu GROUP BY time(1m)".into(),
        "SELECT derivative(mean(usage_user)) FROM cpu".into(),
        "SELECT nosuchfunc(usage_user) FROM cpu".into(),
        "SELECT mean() FROM cpu".into(),
        "SELECT top(usage_user, 2), mean(usage_user) FROM cpu".into(),
        "SELECT usage_user FROM nosuchdb..cpu".into(),
    ];
    v.extend(selects);
    v
}

/// Starts InfluxDB 1.6.7 on free ports with its files under `dir`.
fn start_influxdb(bin: &Path, dir: &Path) -> (String, Reaper) {
    let http = free_port();
    let rpc = free_port();
    let d = dir.display();
    let config = dir.join("influxd.conf");
    std::fs::write(
        &config,
        format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n[meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n[data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  index-version = \"inmem\"\n  query-log-enabled = false\n[monitor]\n  store-enabled = false\n[http]\n  bind-address = \"127.0.0.1:{http}\"\n  log-enabled = false\n[logging]\n  suppress-logo = true\n"
        ),
    )
    .unwrap();
    let log_path = dir.join("influxd.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(bin)
        .arg("-config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let reaper = Reaper(child);
    let url = format!("http://127.0.0.1:{http}");
    let up = wait_for(Duration::from_secs(60), || {
        agent()
            .get(&format!("{url}/ping"))
            .call()
            .ok()
            .filter(|r| r.status() == 204)
            .map(|_| ())
    });
    assert!(
        up.is_some(),
        "InfluxDB did not start: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    (url, reaper)
}

fn post(url: &str, body: &str) -> (u16, String) {
    let mut r = agent()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap();
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query(base: &str, db: &str, q: &str, extra: &str) -> (u16, Value) {
    let mut r = agent()
        .get(&format!("{base}/query?db={db}&q={}{extra}", enc(q)))
        .call()
        .unwrap();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{q}: not JSON ({e}): {body}"));
    (status, v)
}

fn write(base: &str, db: &str, lp: &str) {
    let mut r = agent()
        .post(&format!("{base}/write?db={db}"))
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(lp.as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        status,
        204,
        "{}",
        r.body_mut().read_to_string().unwrap_or_default()
    );
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

/// The rows of a series, rows of equal time sorted by their text.
fn rows(s: &Value) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = s["values"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    rows.sort_by(|a, b| {
        let t = |r: &Vec<Value>| r.first().map(|x| x.to_string()).unwrap_or_default();
        t(a).cmp(&t(b))
            .then_with(|| format!("{a:?}").cmp(&format!("{b:?}")))
    });
    rows
}

fn compare(q: &str, theirs: &Value, ours: &Value) -> Option<String> {
    let (tr, or) = (&theirs["results"], &ours["results"]);
    let (Some(tr), Some(or)) = (tr.as_array(), or.as_array()) else {
        return (theirs != ours).then(|| format!("{q}:\n  InfluxDB {theirs}\n  Strata   {ours}"));
    };
    if tr.len() != or.len() {
        return Some(format!("{q}: {} vs {} results", tr.len(), or.len()));
    }
    for (t, o) in tr.iter().zip(or) {
        let (te, oe) = (t.get("error"), o.get("error"));
        if te.is_some() != oe.is_some() {
            return Some(format!("{q}:\n  InfluxDB {t}\n  Strata   {o}"));
        }
        let empty = Vec::new();
        let ts = t["series"].as_array().unwrap_or(&empty);
        let os = o["series"].as_array().unwrap_or(&empty);
        if ts.len() != os.len() {
            return Some(format!(
                "{q}: {} vs {} series\n  InfluxDB {t}\n  Strata   {o}",
                ts.len(),
                os.len()
            ));
        }
        for (a, b) in ts.iter().zip(os) {
            if a["name"] != b["name"] || a["tags"] != b["tags"] || a["columns"] != b["columns"] {
                return Some(format!(
                    "{q}: series differ\n  InfluxDB {a}\n  Strata   {b}"
                ));
            }
            let (ra, rb) = (rows(a), rows(b));
            if ra.len() != rb.len() {
                return Some(format!(
                    "{q}: {} vs {} rows\n  InfluxDB {a}\n  Strata   {b}",
                    ra.len(),
                    rb.len()
                ));
            }
            for (x, y) in ra.iter().zip(&rb) {
                if x.len() != y.len() || !x.iter().zip(y).all(|(p, q)| close(p, q)) {
                    return Some(format!("{q}: row {x:?} vs {y:?}"));
                }
            }
        }
    }
    None
}

#[test]
fn influxql_answers_match_influxdb() {
    let bin = Path::new("/usr/bin/influxd");
    if !bin.exists() {
        skip("InfluxDB 1.6.7 (/usr/bin/influxd; apt-get install influxdb)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (influx, _reaper) = start_influxdb(bin, dir.path());
    let strata = Server::start(&[]);
    let ours = strata.url("");
    let (db1, db2) = dataset();
    for base in [influx.as_str(), ours.as_str()] {
        // Telegraf's start-up: a form POST with no URL parameters.
        let (status, body) = post(&format!("{base}/query"), "q=CREATE+DATABASE+%22db1%22");
        assert_eq!(status, 200, "{base}: {body}");
        let (status, _) = post(
            &format!("{base}/query"),
            &format!("q={}", enc("CREATE DATABASE db2")),
        );
        assert_eq!(status, 200);
        write(base, "db1", &db1);
        write(base, "db2", &db2);
    }
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut with_series = 0;
    for s in statements() {
        let (db, q) = s
            .strip_prefix("db2:")
            .map_or(("db1", s.as_str()), |q| ("db2", q));
        for extra in ["", "&epoch=ms"] {
            let (ts, theirs) = query(&influx, db, q, extra);
            let (os, mine) = query(&ours, db, q, extra);
            compared += 1;
            if theirs["results"][0]["series"].is_array() {
                with_series += 1;
            }
            let mine = if q == "SHOW DATABASES" {
                without_default(mine)
            } else {
                mine
            };
            if ts != os {
                diffs.push(format!("{q}: status {ts} vs {os}: {theirs} / {mine}"));
            } else if let Some(d) = compare(q, &theirs, &mine) {
                diffs.push(d);
            }
        }
    }
    // Several statements in one request (Grafana's several targets of a panel).
    let multi = format!(
        "SELECT mean(usage_user) FROM cpu WHERE time >= {T0}s AND time <= {}s GROUP BY time(1m); SELECT max(n) FROM cpu",
        T0 + 300
    );
    let (_, theirs) = query(&influx, "db1", &multi, "&epoch=ms");
    let (_, mine) = query(&ours, "db1", &multi, "&epoch=ms");
    if let Some(d) = compare(&multi, &theirs, &mine) {
        diffs.push(d);
    }
    // Parse errors: 400 with InfluxDB's text.
    for bad in [
        "SELEC * FROM cpu",
        "SELECT FROM cpu",
        "SELECT mean(x) FROM cpu GROUP BY time(10m",
    ] {
        let (ts, theirs) = query(&influx, "db1", bad, "");
        let (os, mine) = query(&ours, "db1", bad, "");
        if ts != os || theirs != mine {
            diffs.push(format!("{bad}: {ts} {theirs} vs {os} {mine}"));
        }
    }
    // Deletes, then the same reads.
    for base in [influx.as_str(), ours.as_str()] {
        let del = format!("q={}", enc("DROP SERIES FROM cpu WHERE host = 'c'"));
        assert_eq!(post(&format!("{base}/query?db=db1"), &del).0, 200);
        let del = format!(
            "q={}",
            enc(&format!("DELETE FROM cpu WHERE time < {}s", T0 + 100))
        );
        assert_eq!(post(&format!("{base}/query?db=db1"), &del).0, 200);
        let drop = format!("q={}", enc("DROP DATABASE db2"));
        assert_eq!(post(&format!("{base}/query"), &drop).0, 200);
    }
    for q in [
        "SHOW SERIES",
        "SELECT count(usage_user) FROM cpu",
        "SHOW DATABASES",
        "SELECT first(usage_user) FROM cpu GROUP BY host",
    ] {
        let (_, theirs) = query(&influx, "db1", q, "");
        let (_, mine) = query(&ours, "db1", q, "");
        let mine = if q == "SHOW DATABASES" {
            without_default(mine)
        } else {
            mine
        };
        compared += 1;
        if let Some(d) = compare(q, &theirs, &mine) {
            diffs.push(d);
        }
    }
    // The comparison must be about data: most statements answer series.
    assert!(with_series > 150, "only {with_series} answers hold series");
    assert!(
        diffs.is_empty(),
        "{} of {compared} answers differ from InfluxDB 1.6.7:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Strata's `SHOW DATABASES` without its always-present default database.
fn without_default(mut v: Value) -> Value {
    if let Some(vals) = v["results"][0]["series"][0]["values"].as_array_mut() {
        vals.retain(|r| r[0] != "default");
    }
    v
}
