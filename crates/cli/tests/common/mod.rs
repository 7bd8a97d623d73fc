//! Helpers shared by the integration tests: run the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_liveledger"));
    c.env_remove("LIVELEDGER_DATA");
    c
}

pub fn run(data: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run liveledger")
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `n` distinct valid events (a session's viewers, comments and orders).
pub fn events(prefix: &str, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let line = match i % 3 {
            0 => format!(
                r#"{{"type":"viewer_joined","id":"{prefix}{i}","at":"2020-04-01T20:00:00+08:00","session":"s1","account":"u{i}","device":"d{}"}}"#,
                i / 4
            ),
            1 => format!(
                r#"{{"type":"comment","id":"{prefix}{i}","at":"2020-04-01T20:00:01+08:00","session":"s1","account":"u{i}","text":"666"}}"#
            ),
            _ => format!(
                r#"{{"type":"order_placed","id":"{prefix}{i}","at":"2020-04-01T20:00:02+08:00","session":"s1","order":"o{i}","product":"p1","account":"u{i}","quantity":1,"amount":12900,"currency":"CNY"}}"#
            ),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// A minimal HTTP/1.1 GET (the mirror must not need our code): status,
/// lower-cased headers, body.
pub fn http_get(
    addr: &str,
    path: &str,
    extra: &[(&str, &str)],
) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
    http(addr, "GET", path, extra, b"")
}

/// One HTTP/1.1 request on its own connection: status, lower-cased
/// headers, body (de-chunked).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t == "chunked")
    {
        body = unchunk(&body);
    }
    (status, headers, body)
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

/// A `liveledger serve` process, killed when dropped.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` on a free port; its address.
pub fn serve(data: &Path, args: &[&str]) -> (Server, String) {
    let mut child = bin();
    child
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(args);
    listening(child)
}

/// Starts a server command that prints `… http://ADDR` first; it and ADDR.
pub fn listening(mut command: Command) -> (Server, String) {
    use std::io::BufRead;
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    (Server(child), addr)
}

/// Issues a token (`role`, `scope`, `name`); the token.
pub fn issue(data: &Path, role: &str, scope: Option<&str>, name: &str) -> String {
    let mut args = vec!["--json", "token", "issue", "--role", role, "--name", name];
    if let Some(s) = scope {
        args.extend(["--scope", s]);
    }
    let out = run(data, &args);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["role"], role);
    v["token"].as_str().unwrap().to_string()
}

/// Compares `actual` with the golden file `tests/golden/NAME`
/// (UPDATE_GOLDEN=1 rewrites it, after a deliberate change).
pub fn golden(name: &str, actual: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// A terminal report with its checkpoint line masked (the signing key,
/// and so the checkpoint, differs per data directory).
pub fn masked(text: &str) -> String {
    let mut out: String = text
        .lines()
        .map(|l| {
            if l.starts_with("Computed at checkpoint") {
                "Computed at checkpoint <masked>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// A PostgreSQL database of its own for one test (created with `psql` on
/// the machine's server, dropped when done); `None` when no server answers,
/// unless LIVELEDGER_REQUIRE_PG is set (CI sets it).
pub struct Database {
    pub name: String,
}

const PG: &str = "postgres://postgres@127.0.0.1:5432";

fn psql(db: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([
            &format!("{PG}/{db}"),
            "-qAt",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Database {
    pub fn create(tag: &str) -> Option<Database> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("lltest_{tag}_{}_{nanos}", std::process::id());
        if !psql("test", &format!("CREATE DATABASE {name}")) {
            assert!(
                std::env::var_os("LIVELEDGER_REQUIRE_PG").is_none(),
                "no PostgreSQL at {PG} (psql could not create a database)"
            );
            eprintln!("skipping: no PostgreSQL at {PG}");
            return None;
        }
        Some(Database { name })
    }

    pub fn url(&self) -> String {
        format!("{PG}/{}", self.name)
    }

    /// One value of a query's first row.
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([&self.url(), "-qAt", "-c", sql])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        psql(
            "test",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Polls `f` every 100 ms until it holds; panics with `what` after `secs`.
pub fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {secs} s for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
