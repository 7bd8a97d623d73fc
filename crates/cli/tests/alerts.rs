//! Live alerts through the real service: a bought-traffic session replayed
//! over HTTP raises VIEWER_INFLATION and BOT_VIEWERS before it ends, once
//! per session, code and severity; a clean session raises none; a stream
//! resumed with Last-Event-ID loses none; alerts are in the log.

mod common;
use common::{http, issue, run, serve};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
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

/// A webhook receiver: answers `fail_first` requests with 500 (all of them
/// while `down`), the rest with 200, and keeps what it was sent.
#[derive(Default)]
struct Receiver {
    fail_first: usize,
    down: bool,
    seen: usize,
    /// (headers, body) of each request answered 200.
    got: Vec<(std::collections::HashMap<String, String>, String)>,
}

fn receive(state: std::sync::Arc<std::sync::Mutex<Receiver>>) -> String {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut headers = std::collections::HashMap::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(": ") {
                    headers.insert(k.to_ascii_lowercase(), v.to_string());
                }
            }
            let n: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; n];
            reader.read_exact(&mut body).unwrap();
            let mut r = state.lock().unwrap();
            r.seen += 1;
            let fail = r.down || r.seen <= r.fail_first;
            if !fail {
                r.got.push((headers, String::from_utf8(body).unwrap()));
            }
            let status = if fail {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    addr
}

/// HMAC-SHA256 by an independent implementation (openssl).
fn openssl_hmac(secret: &str, message: &str) -> String {
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    out.trim().rsplit(' ').next().unwrap().to_string()
}

#[test]
fn webhooks_get_each_alert_once_signed_retried_and_dead_letters_replay() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bought = simulate(dir.path(), "inflated-views,bot-farm", "bt");
    let flaky = std::sync::Arc::new(std::sync::Mutex::new(Receiver {
        fail_first: 3,
        ..Receiver::default()
    }));
    let dead = std::sync::Arc::new(std::sync::Mutex::new(Receiver {
        down: true,
        ..Receiver::default()
    }));
    let (flaky_addr, dead_addr) = (receive(flaky.clone()), receive(dead.clone()));
    let add = |url: &str, extra: &[&str]| {
        let mut args = vec!["--json", "webhook", "add", url];
        args.extend_from_slice(extra);
        run(&data, &args)
    };
    // Private targets need saying so.
    assert_eq!(
        add(
            &format!("http://{flaky_addr}/hook"),
            &["--role", "regulator"]
        )
        .status
        .code(),
        Some(2)
    );
    let hook = add(
        &format!("http://{flaky_addr}/hook"),
        &["--role", "regulator", "--allow-private", "--name", "flaky"],
    );
    assert!(hook.status.success(), "{hook:?}");
    let secret = common::json(&hook)["secret"].as_str().unwrap().to_string();
    assert!(add(
        &format!("http://{dead_addr}/hook"),
        &["--role", "regulator", "--allow-private", "--name", "down"]
    )
    .status
    .success());
    let other = add(
        &format!("http://{flaky_addr}/other"),
        &[
            "--role",
            "merchant",
            "--scope",
            "m-none",
            "--allow-private",
            "--name",
            "other",
        ],
    );
    assert!(other.status.success());

    let (_server, addr) = serve(
        &data,
        &["--webhook-retry-ms", "20", "--webhook-attempts", "4"],
    );
    let regulator = issue(&data, "regulator", None, "samr");
    let feed = issue(&data, "producer", Some("douyin"), "feed");
    send(&addr, &feed, &bought);
    let auth = format!("Bearer {regulator}");
    let list = || -> Vec<Value> {
        serde_json::from_slice(
            &http(&addr, "GET", "/v1/alerts", &[("Authorization", &auth)], b"").2,
        )
        .unwrap()
    };
    // Every alert reaches the flaky receiver once, in order, signed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let alerts = loop {
        let alerts = list();
        if !alerts.is_empty() && flaky.lock().unwrap().got.len() >= alerts.len() {
            break alerts;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries: {} of {}",
            flaky.lock().unwrap().got.len(),
            alerts.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(500));
    let r = flaky.lock().unwrap();
    let ids: Vec<&str> = r
        .got
        .iter()
        .map(|(h, _)| h["liveledger-event-id"].as_str())
        .collect();
    let want: Vec<&str> = alerts
        .iter()
        .map(|a| a["event"].as_str().unwrap())
        .collect();
    assert_eq!(ids, want, "each alert once, in order");
    assert!(
        r.seen >= want.len() + 3,
        "the first three deliveries failed and were retried"
    );
    for (h, body) in &r.got {
        let sig = &h["liveledger-signature"];
        let t = sig.strip_prefix("t=").unwrap().split(',').next().unwrap();
        let v1 = sig.split(",v1=").nth(1).unwrap();
        assert_eq!(
            v1,
            openssl_hmac(&secret, &format!("{t}.{body}")),
            "signature of {body}"
        );
        let alert: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            alert["event"].as_str(),
            Some(h["liveledger-event-id"].as_str())
        );
    }
    drop(r);

    // The receiver that is down: every alert a dead letter, then replayed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let letters = loop {
        let out = run(&data, &["--json", "webhook", "dead", "down"]);
        let letters: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        if letters.len() >= want.len() {
            break letters;
        }
        assert!(Instant::now() < deadline, "dead letters: {}", letters.len());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        letters[0]["last_error"].as_str().unwrap().contains("500"),
        "{}",
        letters[0]
    );
    assert_eq!(
        dead.lock().unwrap().seen,
        want.len() * 4,
        "four attempts each"
    );
    dead.lock().unwrap().down = false;
    let replayed = common::json(&run(&data, &["--json", "webhook", "replay", "down"]));
    assert_eq!(replayed["replayed"], want.len());
    let deadline = Instant::now() + Duration::from_secs(10);
    while dead.lock().unwrap().got.len() < want.len() {
        assert!(Instant::now() < deadline, "replayed deliveries");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(run(&data, &["--json", "webhook", "dead", "down"])
        .stdout
        .starts_with(b"[]"));

    // The merchant's webhook (same receiver, other path) heard none of them.
    let r = flaky.lock().unwrap();
    assert_eq!(r.got.len(), want.len());
}

/// A bought-traffic evening replayed in real time (`simulate --realtime`,
/// 2,000 times faster) and fed to the service as a producer would, a batch
/// every 200 ms: its alerts come before the session ends; `watch` shows
/// them from the service.
#[test]
fn a_realtime_replay_raises_alerts_before_the_session_ends() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, addr) = serve(&data, &[]);
    let regulator = issue(&data, "regulator", None, "samr");
    let feed = issue(&data, "producer", Some("douyin"), "feed");
    let mut replay = common::bin()
        .args([
            "simulate",
            "--scenario",
            "inflated-views,bot-farm",
            "--scale",
            "0.0003",
            "--seed",
            "5",
            "--session",
            "rt",
            "--realtime",
            "--speed",
            "2000",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(replay.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    let auth = format!("Bearer {regulator}");
    let alerts = || -> Vec<Value> {
        serde_json::from_slice(
            &http(
                &addr,
                "GET",
                "/v1/alerts?session=rt",
                &[("Authorization", &auth)],
                b"",
            )
            .2,
        )
        .unwrap()
    };
    let started = Instant::now();
    let mut before_end = Vec::new();
    'replay: loop {
        std::thread::sleep(Duration::from_millis(200));
        let mut batch: Vec<String> = Vec::new();
        let mut ended = false;
        loop {
            match rx.try_recv() {
                Ok(l) => {
                    if l.contains("\"session_ended\"") {
                        ended = true;
                        before_end = alerts();
                    }
                    batch.push(l);
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    send(&addr, &feed, &batch);
                    break 'replay;
                }
            }
            if ended {
                break;
            }
        }
        send(&addr, &feed, &batch);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "replay too slow"
        );
    }
    replay.wait().unwrap();
    let codes: Vec<&str> = before_end
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"VIEWER_INFLATION") && codes.contains(&"BOT_VIEWERS"),
        "before the end: {codes:?}"
    );

    let out = run(
        &data,
        &[
            "watch",
            "rt",
            "--once",
            "--url",
            &format!("http://{addr}"),
            "--token",
            &regulator,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let view = String::from_utf8(out.stdout).unwrap();
    assert!(
        view.contains("session rt") && view.contains("BOT_VIEWERS") && view.contains("alert "),
        "{view}"
    );
    // From the data directory alone, the same flags.
    let out = run(&data, &["watch", "rt", "--once"]);
    let local = String::from_utf8(out.stdout).unwrap();
    assert!(local.contains("FLAG high    BOT_VIEWERS"), "{local}");
}

/// A certificate authority and a leaf for 127.0.0.1 it signed, made with
/// the openssl command: (CA, leaf, leaf key) paths.
fn pki(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let p = |f: &str| dir.join(format!("{name}-{f}"));
    let ext = p("ext");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let openssl = |args: &[&str], files: &[(&str, &Path)]| {
        let mut cmd = std::process::Command::new("openssl");
        cmd.args(args);
        for (flag, file) in files {
            cmd.arg(flag).arg(file);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let (ca, ca_key) = (p("ca.pem"), p("ca.key"));
    let (cert, cert_key, request) = (p("cert.pem"), p("key.pem"), p("req.pem"));
    openssl(
        &[
            &[
                "req",
                "-x509",
                "-days",
                "2",
                "-subj",
                "/CN=liveledger test CA",
            ][..],
            &key,
        ]
        .concat(),
        &[("-keyout", &ca_key), ("-out", &ca)],
    );
    openssl(
        &[&["req", "-subj", "/CN=127.0.0.1"][..], &key].concat(),
        &[("-keyout", &cert_key), ("-out", &request)],
    );
    openssl(
        &["x509", "-req", "-days", "2", "-CAcreateserial"],
        &[
            ("-in", &request),
            ("-CA", &ca),
            ("-CAkey", &ca_key),
            ("-extfile", &ext),
            ("-out", &cert),
        ],
    );
    (ca, cert, cert_key)
}

/// An HTTPS receiver (Python's ssl module) that answers 200 and prints
/// each POST as a JSON line; its port and what it got so far.
fn https_receiver(
    cert: &Path,
    key: &Path,
) -> (
    std::process::Child,
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
) {
    let script = r#"
import http.server, json, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        print(json.dumps({"host": self.headers["Host"], "path": self.path,
            "id": self.headers["Liveledger-Event-Id"],
            "sig": self.headers["Liveledger-Signature"], "body": body}), flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, cert.to_str().unwrap(), key.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for line in out.lines() {
            let Ok(line) = line else { return };
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(&line).unwrap());
        }
    });
    (child, port, got)
}

/// `https://` receivers: one whose certificate chains to a CA the service
/// trusts (`SSL_CERT_FILE`) gets every alert, signed; one whose CA it does
/// not know gets none, and its dead letters say why.
#[test]
fn webhooks_over_tls_reach_trusted_receivers_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bought = simulate(dir.path(), "inflated-views,bot-farm", "bt");
    let (ca, cert, key) = pki(dir.path(), "trusted");
    let (_, other_cert, other_key) = pki(dir.path(), "stranger");
    let (mut good, good_port, got) = https_receiver(&cert, &key);
    let (mut bad, bad_port, bad_got) = https_receiver(&other_cert, &other_key);
    let add = |url: String, name: &str| {
        let out = run(
            &data,
            &[
                "--json",
                "webhook",
                "add",
                &url,
                "--role",
                "regulator",
                "--allow-private",
                "--name",
                name,
            ],
        );
        assert!(out.status.success(), "{out:?}");
        common::json(&out)["secret"].as_str().unwrap().to_string()
    };
    let secret = add(format!("https://127.0.0.1:{good_port}/hook"), "tls");
    add(format!("https://127.0.0.1:{bad_port}/hook"), "stranger");

    let mut cmd = common::bin();
    cmd.env("SSL_CERT_FILE", &ca).args([
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--webhook-retry-ms",
        "20",
        "--webhook-attempts",
        "2",
    ]);
    let (_server, addr) = common::listening(cmd);
    let feed = issue(&data, "producer", Some("douyin"), "feed");
    send(&addr, &feed, &bought);
    let regulator = format!("Bearer {}", issue(&data, "regulator", None, "samr"));
    let alerts = |_: ()| -> Vec<Value> {
        serde_json::from_slice(
            &http(
                &addr,
                "GET",
                "/v1/alerts",
                &[("Authorization", &regulator)],
                b"",
            )
            .2,
        )
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let want = loop {
        let want = alerts(());
        let letters = run(&data, &["--json", "webhook", "dead", "stranger"]);
        let letters: Vec<Value> = serde_json::from_slice(&letters.stdout).unwrap();
        if !want.is_empty()
            && got.lock().unwrap().len() >= want.len()
            && letters.len() >= want.len()
        {
            assert!(
                letters[0]["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("certificate"),
                "{}",
                letters[0]
            );
            break want;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries {:?}, dead {}",
            got.lock().unwrap().len(),
            letters.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let got = got.lock().unwrap();
    let ids: Vec<&str> = got.iter().map(|g| g["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = want.iter().map(|a| a["event"].as_str().unwrap()).collect();
    assert_eq!(ids, expected, "each alert once, in order");
    for g in got.iter() {
        assert_eq!(g["host"], format!("127.0.0.1:{good_port}"));
        assert_eq!(g["path"], "/hook");
        let sig = g["sig"].as_str().unwrap();
        let t = sig.strip_prefix("t=").unwrap().split(',').next().unwrap();
        let body = g["body"].as_str().unwrap();
        assert_eq!(
            sig.split(",v1=").nth(1).unwrap(),
            openssl_hmac(&secret, &format!("{t}.{body}"))
        );
    }
    assert!(
        bad_got.lock().unwrap().is_empty(),
        "no POST completed to an untrusted receiver"
    );
    let _ = (good.kill(), bad.kill());
}
