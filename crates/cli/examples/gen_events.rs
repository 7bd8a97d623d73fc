//! Writes N synthetic live-commerce events (about 150 bytes each) as NDJSON
//! to stdout: the input of the ingest benchmark (`scripts/bench-ingest.sh`).
//! Not the simulator: no realism, just the contract's shapes at volume.
//!
//! Usage: cargo run --release --example gen_events -- N [SEED]

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = move || {
        // xorshift64*: deterministic and dependency-free.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    writeln!(
        out,
        r#"{{"type":"session_started","id":"b{seed}-0","at":"2020-04-01T20:00:00+08:00","session":"s{seed}","anchor":"a1","platform":"douyin"}}"#
    )?;
    for i in 1..n {
        let (sec, user) = (i * 10_800 / n, rnd() % 5_000_000);
        let at = format!(
            "2020-04-01T{:02}:{:02}:{:02}+08:00",
            20 + sec / 3600,
            sec / 60 % 60,
            sec % 60
        );
        match rnd() % 10 {
            0..=5 => writeln!(
                out,
                r#"{{"type":"viewer_joined","id":"b{seed}-{i}","at":"{at}","session":"s{seed}","account":"u{user}","device":"d{}"}}"#,
                user / 2
            )?,
            6 => writeln!(
                out,
                r#"{{"type":"comment","id":"b{seed}-{i}","at":"{at}","session":"s{seed}","account":"u{user}","text":"666"}}"#
            )?,
            7 | 8 => writeln!(
                out,
                r#"{{"type":"like","id":"b{seed}-{i}","at":"{at}","session":"s{seed}","account":"u{user}","count":{}}}"#,
                1 + rnd() % 5
            )?,
            _ => writeln!(
                out,
                r#"{{"type":"order_placed","id":"b{seed}-{i}","at":"{at}","session":"s{seed}","order":"o{seed}-{i}","product":"p{}","account":"u{user}","quantity":1,"amount":12900,"currency":"CNY"}}"#,
                rnd() % 40
            )?,
        }
    }
    out.flush()
}
