//! Analysis throughput and memory on one big NDJSON file (docs/PERFORMANCE.md).
//!
//! cargo run --release -p analysis --example bench -- FILE [SESSION]
//!
//! Lines are parsed on every core in chunks (parsing is ingest's job and is
//! timed apart); `observe` and the final report are timed on their own, and
//! peak memory is the process's high-water mark.

use analysis::{Analyzer, Rules};
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

const CHUNK: usize = 200_000;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("usage: bench FILE [SESSION]");
    let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(path).expect("open"));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut an = Analyzer::new(Rules::default());
    let (mut parse, mut observe) = (Duration::ZERO, Duration::ZERO);
    let start = Instant::now();
    let mut leaf = 0u64;
    loop {
        let mut lines = Vec::with_capacity(CHUNK);
        for _ in 0..CHUNK {
            let mut l = Vec::new();
            if input.read_until(b'\n', &mut l).expect("read") == 0 {
                break;
            }
            lines.push(l);
        }
        if lines.is_empty() {
            break;
        }
        let t = Instant::now();
        let per = lines.len().div_ceil(threads);
        let parsed: Vec<Vec<events::Event>> = std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|c| {
                    s.spawn(move || {
                        c.iter()
                            .map(|l| {
                                events::prepare(l.trim_ascii_end(), None)
                                    .expect("valid")
                                    .event
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("parser"))
                .collect()
        });
        parse += t.elapsed();
        let t = Instant::now();
        for e in parsed.iter().flatten() {
            an.observe(leaf, e);
            leaf += 1;
        }
        observe += t.elapsed();
    }
    let t = Instant::now();
    let sessions: Vec<String> = match args.get(1) {
        Some(s) => vec![s.clone()],
        None => an.session_ids().map(|s| s.0.clone()).collect(),
    };
    let mut viewers = 0;
    let mut flags = Vec::new();
    for s in &sessions {
        let r = an.session_report(s).expect("session");
        viewers += r.viewers.observed.unique;
        flags.extend(r.flags.iter().map(|f| f.code));
    }
    let report = t.elapsed();
    let total = start.elapsed();
    let rate = |d: Duration| leaf as f64 / d.as_secs_f64();
    println!(
        "{leaf} events, {viewers} distinct viewers, {} sessions; flags {flags:?}",
        sessions.len()
    );
    println!(
        "analysis (observe + report): {:.2} s = {:.0} events/s  [observe {:.2} s, report {:.2} s]",
        (observe + report).as_secs_f64(),
        rate(observe + report),
        observe.as_secs_f64(),
        report.as_secs_f64()
    );
    println!(
        "parsing ({threads} threads): {:.2} s = {:.0} events/s; wall total {:.2} s; peak RSS {} KB",
        parse.as_secs_f64(),
        rate(parse),
        total.as_secs_f64(),
        peak_rss_kb()
    );
}
