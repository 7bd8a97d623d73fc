//! Times `prepare` (validate + pseudonymise + canonical encoding) on one
//! core, and its parts: the flat scan, parsing alone, parsing + canonical
//! encoding, one pseudonym.
//! Usage: cargo run --release -p events --example prepare_speed -- FILE [LABEL]
use events::json::Json;
use std::time::Instant;

fn time(label: &str, lines: &[&[u8]], f: impl Fn(&[u8]) -> usize) {
    // An optional second argument runs only the timings it names (to profile one).
    if std::env::args()
        .nth(2)
        .is_some_and(|only| !label.contains(&only))
    {
        return;
    }
    let t = Instant::now();
    let n: usize = lines.iter().map(|l| f(l)).sum();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{label:<28} {:>6.0} ns/line ({:.0} lines/s; checksum {n})",
        s * 1e9 / lines.len() as f64,
        lines.len() as f64 / s
    );
}

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let data = std::fs::read(path).expect("read");
    let p = events::Pseudonymiser::new(&[7; 32]);
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    time("flat scan", &lines, |l| {
        let mut flat = events::json::Flat::default();
        match std::str::from_utf8(l) {
            Ok(text) if flat.scan(text) => flat.members().len(),
            _ => 0,
        }
    });
    time("parse (borrowed Json)", &lines, |l| {
        Json::parse(l).map_or(0, |j| j.is_null() as usize + 1)
    });
    time("parse + canonical", &lines, |l| {
        Json::parse(l).map_or(0, |j| events::canonical::to_bytes(&j).len())
    });
    // As ingest runs it: one canonical buffer reused for every line.
    let buf = std::cell::RefCell::new(Vec::new());
    time("prepare (all of it)", &lines, |l| {
        let mut b = buf.borrow_mut();
        events::prepare_into(l, Some(&p), &mut b, str::len).map_or(0, |n| b.len() + n)
    });
    time("prepare without pseudonyms", &lines, |l| {
        let mut b = buf.borrow_mut();
        events::prepare_into(l, None, &mut b, str::len).map_or(0, |n| b.len() + n)
    });
    // One pseudonym of an account-sized value per line (ingest makes ~1.6).
    time("a pseudonym", &lines, |l| {
        let mut out = [0; events::pseudonym::LEN];
        let value = std::str::from_utf8(&l[l.len().min(40)..l.len().min(49)]).unwrap_or("");
        p.pseudonym_into("account", value, &mut out).len()
    });
    time("serde_json::Value parse", &lines, |l| {
        serde_json::from_slice::<serde_json::Value>(l).map_or(0, |v| v.is_null() as usize + 1)
    });
}
