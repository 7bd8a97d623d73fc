//! Proof benchmark on an existing data directory (`scripts/bench-proofs.sh`):
//! inclusion proofs produced per second (as `prove` makes them, from tiles on
//! disk, each with a cold tile cache) and bundles verified per second.
//!
//! Usage: cargo run --release --example bench_proofs -- DATA [N]

use std::time::Instant;
use tlog::bundle::{self, BundleEntry};
use tlog::{proof, LogReader, NoteVerifier, TileHashes};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let data = std::path::PathBuf::from(args.get(1).expect("DATA"));
    let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let verifier = NoteVerifier::from_vkey(&std::fs::read_to_string(data.join("keys/log.pub"))?)?;
    let reader = LogReader::open(&data.join("log"), &verifier)?;
    let size = reader.size();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut leaves = Vec::new();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        leaves.push(x % size);
    }
    let t = Instant::now();
    let mut bundles = Vec::with_capacity(n as usize);
    for &leaf in &leaves {
        let entries = reader.read_bundle(leaf / 256)?;
        let entry = BundleEntry {
            leaf,
            data: entries[(leaf % 256) as usize].clone(),
        };
        let p = proof::inclusion(&TileHashes::new(&reader), leaf, size)?;
        bundles.push(serde_json::to_vec(&bundle::inclusion_bundle(
            &entry,
            &p,
            reader.checkpoint(),
            reader.note(),
            &verifier,
        ))?);
    }
    let prove_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for b in &bundles {
        bundle::verify(b, Some(&verifier))?;
    }
    let verify_s = t.elapsed().as_secs_f64();
    println!("log size {size}: {n} inclusion bundles in {prove_s:.2}s = {:.0}/s; verified in {verify_s:.2}s = {:.0}/s", n as f64 / prove_s, n as f64 / verify_s);
    Ok(())
}
