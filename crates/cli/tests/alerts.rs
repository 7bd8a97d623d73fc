//! Live alerts through the real service: a bought-traffic session replayed
//! over HTTP raises VIEWER_INFLATION and BOT_VIEWERS before it ends, once
//! per session, code and severity; a clean session raises none; a stream
//! resumed with Last-Event-ID loses none; alerts are in the log.

mod common;
use common::{http, issue, run, serve};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// An `/v1/alerts/stream` connection.
struct Stream {
    reader: BufReader<TcpStream>,
}

impl Stream {
    fn open(addr: &str, token: &str, last: Option<usize>) -> Stream {
        let mut s = TcpStream::connect(addr).unwrap();
        let resume = last
            .map(|n| format!("Last-Event-ID: {n}\r\n"))
            .unwrap_or_default();
        write!(s, "GET /v1/alerts/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n{resume}\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Stream {
            reader: BufReader::new(s),
        }
    }

    /// The alerts that arrive within `wait`, as (id, alert).
    fn read(&mut self, wait: Duration) -> Vec<(usize, Value)> {
        let end = Instant::now() + wait;
        let (mut out, mut id) = (Vec::new(), 0);
        let mut line = String::new();
        while Instant::now() < end {
            line.clear();
            if self.reader.read_line(&mut line).is_err() {
                continue; // a read timeout: keep waiting
            }
            let l = line.trim_end();
            if let Some(v) = l.strip_prefix("id: ").or_else(|| l.split("id: ").nth(1)) {
                id = v.trim().parse().unwrap_or(id);
            }
            if let Some(data) = l.find("data: ").map(|i| &l[i + 6..]) {
                out.push((id, serde_json::from_str(data).unwrap()));
            }
        }
        out
    }
}

fn simulate(dir: &Path, scenario: &str, session: &str) -> Vec<String> {
    let file = dir.join(format!("{session}.ndjson"));
    let out = run(
        dir,
        &[
            "simulate",
            "--scenario",
            scenario,
            "--scale",
            "0.0003",
            "--seed",
            "5",
            "--session",
            session,
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn send(addr: &str, token: &str, lines: &[String]) {
    let auth = format!("Bearer {token}");
    for part in lines.chunks(10_000) {
        let body = part.join("\n");
        let (status, _, body) = http(
            addr,
            "POST",
            "/v1/events",
            &[("Authorization", &auth)],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn bought_traffic_raises_alerts_while_the_session_runs_and_a_clean_one_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bought = simulate(dir.path(), "inflated-views,bot-farm", "bt");
    let clean = simulate(dir.path(), "clean", "cl");
    let (_server, addr) = serve(&data, &[]);
    let addr = addr.as_str();
    let regulator = issue(&data, "regulator", None, "samr");
    let other = issue(&data, "platform", Some("taobao"), "taobao-ts");
    let feed = issue(&data, "producer", Some("douyin"), "douyin-feed");
    let mut stream = Stream::open(addr, &regulator, None);

    // Everything up to the session's end, at once.
    let end = |lines: &[String]| {
        lines
            .iter()
            .position(|l| l.contains("\"session_ended\""))
            .unwrap()
    };
    let (bt_end, cl_end) = (end(&bought), end(&clean));
    send(addr, &feed, &clean[..cl_end]);
    send(addr, &feed, &bought[..bt_end]);
    let mut seen = stream.read(Duration::from_secs(5));
    let codes = |seen: &[(usize, Value)]| -> Vec<(String, String)> {
        seen.iter()
            .map(|(_, a)| {
                (
                    a["session"].as_str().unwrap().into(),
                    a["code"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let raised = codes(&seen);
    assert!(
        raised.contains(&("bt".into(), "VIEWER_INFLATION".into())),
        "{raised:?}"
    );
    assert!(
        raised.contains(&("bt".into(), "BOT_VIEWERS".into())),
        "{raised:?}"
    );
    assert!(
        !raised.iter().any(|(s, _)| s == "cl"),
        "the clean session raised {raised:?}"
    );
    for (_, a) in &seen {
        for key in [
            "alert",
            "severity",
            "summary",
            "raised_at",
            "evidence",
            "checkpoint",
        ] {
            assert!(!a[key].is_null(), "{key} in {a}");
        }
    }

    // The rest of the evening: nothing raised twice at the same severity.
    send(addr, &feed, &clean[cl_end..]);
    send(addr, &feed, &bought[bt_end..]);
    seen.extend(stream.read(Duration::from_secs(2)));
    let mut keys: Vec<String> = seen
        .iter()
        .map(|(_, a)| a["alert"].as_str().unwrap().to_string())
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "an alert raised twice: {seen:?}");

    // A stream resumed after the first alert gets exactly the rest.
    let first = seen[0].0;
    let rest = Stream::open(addr, &regulator, Some(first)).read(Duration::from_secs(1));
    assert_eq!(
        rest.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        seen[1..].iter().map(|(i, _)| *i).collect::<Vec<_>>()
    );

    // The list, in scope; each alert is an event in the log, provable.
    let auth = format!("Bearer {regulator}");
    let (status, _, body) = http(
        addr,
        "GET",
        "/v1/alerts?session=bt",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200);
    let list: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        list.len(),
        seen.iter().filter(|(_, a)| a["session"] == "bt").count()
    );
    let event = list[0]["event"].as_str().unwrap();
    let (status, _, _) = http(
        addr,
        "GET",
        &format!("/v1/proofs/{event}"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200);
    let other_auth = format!("Bearer {other}");
    let (_, _, body) = http(
        addr,
        "GET",
        "/v1/alerts",
        &[("Authorization", &other_auth)],
        b"",
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        Value::Array(vec![]),
        "out of scope"
    );
}
