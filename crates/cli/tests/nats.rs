//! NATS JetStream intake against the real NATS server (127.0.0.1:4222):
//! published events reach the log once, whatever the batching and however
//! often they are sent; a bad line and a line about another platform's
//! session are rejected to `<prefix>.rejects.<platform>` with the message
//! and line; alerts are published; a service killed mid-intake loses
//! nothing acknowledged and doubles nothing when it comes back.
//!
//! Each run uses its own stream and subjects and deletes the stream after.
//! Skips when no NATS server answers, unless LIVELEDGER_REQUIRE_NATS is set
//! (CI sets it).

mod common;
use common::{http_get, issue, json, run, serve};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const NATS: &str = "127.0.0.1:4222";

/// A bare NATS-protocol subscriber (not our client: an independent check).
fn subscribe(subject: &str) -> mpsc::Receiver<(String, Value)> {
    let mut s = TcpStream::connect(NATS).unwrap();
    write!(
        s,
        "CONNECT {{\"verbose\":false}}\r\nSUB {subject} 1\r\nPING\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line.starts_with("PING") {
                let _ = s.write_all(b"PONG\r\n");
            }
            let Some(rest) = line.strip_prefix("MSG ") else {
                continue;
            };
            let parts: Vec<&str> = rest.split_whitespace().collect();
            let size: usize = parts.last().unwrap().parse().unwrap();
            let mut payload = vec![0; size + 2];
            r.read_exact(&mut payload).unwrap();
            let v = serde_json::from_slice(&payload[..size]).unwrap_or(Value::Null);
            if tx.send((parts[0].to_string(), v)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Deletes a JetStream stream through its API subject.
fn delete_stream(name: &str) {
    let Ok(mut s) = TcpStream::connect(NATS) else {
        return;
    };
    let _ = write!(s, "CONNECT {{\"verbose\":false}}\r\nSUB _INBOX.del 1\r\nPUB $JS.API.STREAM.DELETE.{name} _INBOX.del 0\r\n\r\nPING\r\n");
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 512];
    let _ = s.read(&mut buf);
}

struct Stream(String);
impl Drop for Stream {
    fn drop(&mut self) {
        delete_stream(&self.0);
    }
}

fn size(addr: &str) -> u64 {
    let (_, _, body) = http_get(addr, "/healthz", &[]);
    serde_json::from_slice::<Value>(&body).unwrap()["size"]
        .as_u64()
        .unwrap()
}

#[test]
fn events_from_nats_reach_the_log_once_and_rejections_and_alerts_go_back() {
    if TcpStream::connect(NATS).is_err() {
        assert!(
            std::env::var_os("LIVELEDGER_REQUIRE_NATS").is_none(),
            "no NATS at {NATS}"
        );
        eprintln!("skipping: no NATS server at {NATS}");
        return;
    }
    let tag = format!(
        "{}{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos() % 1000
    );
    let (prefix, stream) = (format!("lltest{tag}"), format!("LLTEST{tag}"));
    let _cleanup = Stream(stream.clone());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats = [
        "--nats",
        "nats://127.0.0.1:4222",
        "--nats-stream",
        &stream,
        "--nats-prefix",
        &prefix,
    ];
    let rejects = subscribe(&format!("{prefix}.rejects.>"));
    let alerts = subscribe(&format!("{prefix}.alerts.>"));

    let evening =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson");
    let mut text = std::fs::read_to_string(&evening).unwrap();
    let good = text.lines().count() as u64;
    text.push_str(r#"{"type":"session_started","id":"tb-1","at":"2020-04-01T20:00:00+08:00","session":"tb1","anchor":"a9","platform":"taobao"}"#);
    text.push_str("\nnot json\n");
    let file = dir.path().join("in.ndjson");
    std::fs::write(&file, &text).unwrap();
    let publish = |batch: &str, file: &std::path::Path| {
        let mut args = vec![
            "--json",
            "publish",
            file.to_str().unwrap(),
            "--platform",
            "douyin",
            "--batch",
            batch,
        ];
        args.extend_from_slice(&nats);
        let out = run(&data, &args);
        assert!(out.status.success(), "{out:?}");
        json(&out)
    };

    let mut args = nats.to_vec();
    args.extend(["--header-timeout", "5"]);
    let (server, addr) = serve(&data, &args);
    let v = publish("10", &file);
    assert_eq!(v["lines"], good + 2);
    let wait_for = |n: u64, addr: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while size(addr) < n {
            assert!(Instant::now() < deadline, "log at {} of {n}", size(addr));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for(good, &addr);

    // Two rejections, each with its message and its line in it.
    let mut got: Vec<Value> = (0..2)
        .map(|_| rejects.recv_timeout(Duration::from_secs(10)).unwrap().1)
        .collect();
    got.sort_by_key(|r| r["line"].as_u64());
    let lines_in_last = (good + 2) % 10; // the last message holds the two bad lines
    assert_eq!(got[0]["line"], lines_in_last - 1, "{got:?}");
    assert!(
        got[0]["reason"].as_str().unwrap().contains("taobao"),
        "{got:?}"
    );
    assert_eq!(got[1]["line"], lines_in_last);
    assert!(got[1]["message"].as_str().is_some_and(|m| m.len() == 64));

    // An alert for s1 on its subject.
    let (subject, alert) = alerts.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(subject, format!("{prefix}.alerts.s1"));
    assert_eq!(alert["session"], "s1");

    // Sent again, batched otherwise: nothing doubles.
    let regulator = issue(&data, "regulator", None, "samr");
    let count_alerts = |addr: &str| -> u64 {
        let auth = format!("Bearer {regulator}");
        let (_, _, body) = http_get(addr, "/v1/alerts", &[("Authorization", &auth)]);
        serde_json::from_slice::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len() as u64
    };
    publish("7", &file);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(size(&addr), good + count_alerts(&addr));

    // Killed mid-intake: restarted, the log holds every event exactly once.
    let many = dir.path().join("many.ndjson");
    std::fs::write(&many, common::events("n", 30_000)).unwrap();
    publish("500", &many);
    std::thread::sleep(Duration::from_millis(150));
    drop(server); // SIGKILL
    let (_server, addr) = serve(&data, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while size(&addr) - count_alerts(&addr) < good + 30_000 {
        assert!(Instant::now() < deadline, "log at {}", size(&addr));
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        size(&addr) - count_alerts(&addr),
        good + 30_000,
        "nothing doubled"
    );
    let v = json(&run(&data, &["--json", "verify"]));
    assert_eq!(v["ok"], true);
}
