//! Several `serve` nodes on one PostgreSQL (and one NATS): the node that
//! holds the data directory's lock appends, a reading node answers from
//! the projections exactly what the appender answers, and when the
//! appender is killed a standby takes over from the durable log — nothing
//! acknowledged lost, nothing doubled, the log verified.
//!
//! Each test makes its own database (and stream) and drops it after.
//! Skips without PostgreSQL (or NATS) unless LIVELEDGER_REQUIRE_PG
//! (LIVELEDGER_REQUIRE_NATS) is set, as CI does.

mod common;
use common::{http, issue, json, run, serve, wait_until, Database};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn call(addr: &str, method: &str, path: &str, token: &str, body: &[u8]) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    let (status, _, bytes) = http(addr, method, path, &headers, body);
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

fn healthz(addr: &str) -> Value {
    let (_, _, body) = common::http_get(addr, "/healthz", &[]);
    serde_json::from_slice(&body).unwrap()
}

/// An answer without what differs by the moment it was given: the
/// checkpoint (a later one as access records are logged) and the time.
fn timeless(v: &Value) -> Value {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "checkpoint" && *k != "now")
            .map(|(k, v)| (k.clone(), timeless(v)))
            .collect(),
        Value::Array(a) => a.iter().map(timeless).collect(),
        v => v.clone(),
    }
}

fn evening(data: &Path) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson");
    let out = run(data, &["ingest", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_reading_node_answers_what_the_appender_answers() {
    let Some(db) = Database::create("nodes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    evening(&data);
    let who = [
        ("regulator", None),
        ("platform", Some("douyin")),
        ("mcn", Some("mcn-fn")),
        ("merchant", Some("m1")),
        ("anchor", Some("a1")),
        ("consumer", Some("u000")),
        ("platform", Some("taobao")),
    ];
    let tokens: Vec<String> = who
        .iter()
        .enumerate()
        .map(|(i, (role, scope))| issue(&data, role, *scope, &format!("n{i}-{role}")))
        .collect();
    let url = db.url();
    let (_appender, appender) = serve(&data, &["--database", &url]);
    let (_reader, reader) = serve(&dir.path().join("r"), &["--database", &url, "--reader"]);
    wait_until(20, "the first projection", || {
        let (status, v) = call(&reader, "GET", "/v1/sessions", &tokens[0], b"");
        status == 200 && v != Value::Array(vec![])
    });
    assert_eq!(healthz(&appender)["appends"], true);
    let h = healthz(&reader);
    assert_eq!(h["appends"], false);
    assert_eq!(h["appender"], format!("http://{appender}"));

    let paths = [
        "/v1/sessions",
        "/v1/sessions/s1/report",
        "/v1/products/p1/report",
        "/v1/cases",
        "/v1/cases?status=open&limit=1",
        "/v1/cases/c-k1",
        "/v1/alerts",
        "/v1/alerts?session=s1",
    ];
    let mut compared = 0;
    for (token, (role, scope)) in tokens.iter().zip(who) {
        for path in paths {
            let (s1, a) = call(&appender, "GET", path, token, b"");
            let (s2, r) = call(&reader, "GET", path, token, b"");
            let cell = format!("{role} {scope:?} GET {path}");
            assert_eq!(s1, s2, "{cell}: {a} vs {r}");
            assert_eq!(timeless(&a), timeless(&r), "{cell}");
            if s1 == 200 && a.get("checkpoint").is_some() {
                // The reader's checkpoint is one this log signed.
                let cr = &r["checkpoint"];
                assert_eq!(a["checkpoint"]["key"], cr["key"], "{cell}");
                let history = data.join("log/checkpoint-history.ndjson");
                let history = std::fs::read_to_string(history).unwrap();
                let note = Value::from(cr["checkpoint"].as_str().unwrap()).to_string();
                assert!(
                    history.contains(&note),
                    "{cell}: not a checkpoint of this log"
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, who.len() * paths.len());

    // The alert stream: the same alerts under the same ids on either node
    // (so a client may resume on the other), a later id resuming after it.
    let first = |addr: &str, last: &str| -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET /v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nLast-Event-ID: {last}\r\n\r\n", tokens[0]).unwrap();
        let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
        while !String::from_utf8_lossy(&got).contains("data:") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "the stream ended");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).to_string();
        let event = text.split("\r\n\r\n").nth(1).unwrap_or(&text);
        event
            .lines()
            .filter(|l| l.starts_with("id:") || l.starts_with("data:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (a, r) = (first(&appender, "0"), first(&reader, "0"));
    assert!(a.contains("id: 1") || a.contains("id:1"), "{a}");
    assert_eq!(a, r);
    assert_eq!(first(&appender, "1"), first(&reader, "1"));
    assert_ne!(first(&reader, "1"), r);

    // What a reader showed is on the record, logged by the appender.
    let logged: i64 = db
        .query("SELECT count(*) FROM liveledger_access WHERE logged")
        .parse()
        .unwrap();
    let waiting = db.query("SELECT count(*) FROM liveledger_access WHERE NOT logged");
    assert!(logged > 10, "{logged}");
    assert_eq!(waiting, "0");
    let out = run(&data, &["verify"]);
    assert!(out.status.success(), "{out:?}");

    // A write sent to the reader is forwarded and answered by the appender;
    // the reader then sees it.
    let line = r#"{"type":"session_started","id":"fw-1","at":"2020-04-05T20:00:00+08:00","session":"s9","anchor":"a1","platform":"douyin"}"#;
    let (status, v) = call(&reader, "POST", "/v1/events", &tokens[1], line.as_bytes());
    assert_eq!((status, &v["accepted"]), (200, &Value::from(1)), "{v}");
    wait_until(10, "the forwarded session on the reader", || {
        call(&reader, "GET", "/v1/sessions/s9/report", &tokens[1], b"").0 == 200
    });
    // Another platform's token still may not see it.
    assert_eq!(
        call(&reader, "GET", "/v1/sessions/s9/report", &tokens[6], b"").0,
        404
    );

    // A revoked token is refused by the reader within a second or two.
    let out = run(&data, &["token", "revoke", "n1-platform"]);
    assert!(out.status.success(), "{out:?}");
    wait_until(10, "the revocation on the reader", || {
        call(&reader, "GET", "/v1/sessions", &tokens[1], b"").0 == 401
    });
}

#[test]
fn the_appender_killed_a_standby_takes_over_and_nothing_acknowledged_is_lost() {
    if std::net::TcpStream::connect("127.0.0.1:4222").is_err() {
        assert!(
            std::env::var_os("LIVELEDGER_REQUIRE_NATS").is_none(),
            "no NATS at 127.0.0.1:4222"
        );
        eprintln!("skipping: no NATS server");
        return;
    }
    let Some(db) = Database::create("takeover") else {
        return;
    };
    let tag = format!("{}{}", std::process::id(), db.name.len());
    let (prefix, stream) = (format!("llnodes{tag}"), format!("LLNODES{tag}"));
    let _cleanup = Stream(stream.clone());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let platform = issue(&data, "platform", Some("douyin"), "douyin-ts");
    let url = db.url();
    let args = [
        "--database",
        &url,
        "--nats",
        "nats://127.0.0.1:4222",
        "--nats-stream",
        &stream,
        "--nats-prefix",
        &prefix,
    ];
    let (first, first_addr) = serve(&data, &args);
    let (_standby, standby) = serve(&data, &args);
    let (_reader, reader) = serve(&dir.path().join("r"), &["--database", &url, "--reader"]);
    assert_eq!(healthz(&first_addr)["appends"], true);
    assert_eq!(healthz(&standby)["appends"], false);

    // 30,000 events through NATS, and 20 bodies of 100 through the reader
    // (forwarded), each sent again until acknowledged.
    let many = dir.path().join("many.ndjson");
    std::fs::write(&many, common::events("k", 30_000)).unwrap();
    let out = run(
        &data,
        &[
            "--json",
            "publish",
            many.to_str().unwrap(),
            "--platform",
            "douyin",
            "--batch",
            "500",
            "--nats",
            "nats://127.0.0.1:4222",
            "--nats-stream",
            &stream,
            "--nats-prefix",
            &prefix,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(json(&out)["lines"], 30_000);
    let sender = {
        let (reader, token) = (reader.clone(), platform.clone());
        std::thread::spawn(move || {
            let body = common::events("h", 2_000);
            let lines: Vec<&str> = body.lines().collect();
            let mut refused = 0;
            for chunk in lines.chunks(100) {
                let text = chunk.join("\n");
                loop {
                    let (status, v) = call(&reader, "POST", "/v1/events", &token, text.as_bytes());
                    if status == 200 {
                        assert_eq!(v["rejected"], 0, "{v}");
                        break;
                    }
                    assert_eq!(status, 503, "{v}");
                    refused += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            refused
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    drop(first); // SIGKILL, mid-stream

    wait_until(30, "the standby to take over", || {
        healthz(&standby)["appends"] == true
    });
    let refused = sender.join().unwrap();
    eprintln!("bodies refused while no node held the log: {refused}");
    let h = healthz(&reader);
    assert_eq!(h["appender"], format!("http://{standby}"));

    // Every event once: 32,000 events besides alerts and access records.
    let regulator = issue(&data, "regulator", None, "samr-ts");
    let events_in_log = || -> u64 {
        let size = healthz(&standby)["size"].as_u64().unwrap();
        let (_, alerts) = call(&standby, "GET", "/v1/alerts", &regulator, b"");
        size - alerts.as_array().unwrap().len() as u64
    };
    wait_until(60, "all 32,000 events in the log", || {
        events_in_log() >= 32_000
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(events_in_log(), 32_000, "nothing doubled");
    let out = run(&data, &["verify"]);
    assert!(out.status.success(), "{out:?}");
}

struct Stream(String);
impl Drop for Stream {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect("127.0.0.1:4222") else {
            return;
        };
        let _ = write!(s, "CONNECT {{\"verbose\":false}}\r\nSUB _INBOX.del 1\r\nPUB $JS.API.STREAM.DELETE.{} _INBOX.del 0\r\n\r\nPING\r\n", self.0);
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
    }
}
