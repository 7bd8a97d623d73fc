//! Times RFC 6962 leaf and node hashing on one core, against `sha2`'s
//! `Digest` API: the hashes every appended entry costs.
//! Usage: cargo run --release -p tlog --example hash_speed
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Instant;

fn time(label: &str, n: usize, f: impl Fn(usize) -> u8) {
    let t = Instant::now();
    let sum = (0..n).fold(0u8, |s, i| s ^ f(i));
    let ns = t.elapsed().as_secs_f64() * 1e9 / n as f64;
    println!("{label:<36} {ns:>6.1} ns (checksum {sum})");
}

fn main() {
    const N: usize = 2_000_000;
    // Entries of the sizes ingest stores (canonical events with pseudonyms).
    let entries: Vec<Vec<u8>> = (0..1024)
        .map(|i| (0..150 + i % 80).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect();
    let hashes: Vec<tlog::Hash> = entries.iter().map(|e| tlog::leaf_hash(e)).collect();
    for _ in 0..3 {
        time("leaf_hash (150-229 bytes)", N, |i| {
            tlog::leaf_hash(black_box(&entries[i % 1024])).0[0]
        });
        time("  the same with sha2's Digest", N, |i| {
            Sha256::new()
                .chain_update([0])
                .chain_update(black_box(&entries[i % 1024]))
                .finalize()[0]
        });
        time("node_hash", N, |i| {
            tlog::node_hash(black_box(&hashes[i % 1024]), &hashes[(i + 1) % 1024]).0[0]
        });
        time("  the same with sha2's Digest", N, |i| {
            Sha256::new()
                .chain_update([1])
                .chain_update(black_box(hashes[i % 1024].0))
                .chain_update(hashes[(i + 1) % 1024].0)
                .finalize()[0]
        });
    }
}
