//! Helpers shared by the integration tests: run the real binary.
#![allow(dead_code)]

use std::path::Path;
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
