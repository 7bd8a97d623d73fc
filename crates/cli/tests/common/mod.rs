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
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
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
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
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
