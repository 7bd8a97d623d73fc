//! Times `prepare` (validate + pseudonymise + canonical encoding) on one core.
//! Usage: cargo run --release -p events --example prepare_speed -- FILE
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let data = std::fs::read(path).expect("read");
    let p = events::Pseudonymiser::new(&[7; 32]);
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let t = Instant::now();
    let mut bytes = 0;
    for l in &lines {
        bytes += events::prepare(l, Some(&p))
            .map(|x| x.canonical.len())
            .unwrap_or(0);
    }
    let s = t.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut n = 0usize;
    for l in &lines {
        n += serde_json::from_slice::<serde_json::Value>(l)
            .map(|v| v.as_object().map_or(0, |o| o.len()))
            .unwrap_or(0);
    }
    let s2 = t2.elapsed().as_secs_f64();
    println!("prepare: {} lines in {s:.2}s = {:.0}/s ({bytes} canonical bytes); Value parse alone {s2:.2}s ({n})", lines.len(), lines.len() as f64 / s);
}
