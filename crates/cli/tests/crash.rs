//! Crash safety: `ingest` killed with SIGKILL at random moments during a
//! large import, then restarted. Every event it acknowledged (a commit line
//! on stderr) must be in the log exactly once, and `verify` must pass.

mod common;
use common::{bin, events, json, run};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};
use std::{fs, thread};

const EVENTS: usize = 120_000;

#[test]
fn killed_ingest_loses_nothing_acknowledged_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("big.ndjson");
    fs::write(&file, events("k", EVENTS)).unwrap();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    println!("seed {seed}");

    let mut acknowledged = 0u64;
    let mut kills = 0;
    for round in 0..6 {
        let mut child = bin()
            .args([
                "--data",
                data.to_str().unwrap(),
                "ingest",
                "--verbose",
                "--batch",
                "3000",
                file.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read acknowledgements as they come, on a thread, until the kill.
        let stderr = child.stderr.take().unwrap();
        let reader = thread::spawn(move || {
            let mut acked = 0u64;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("committed: tree size ") {
                    acked = rest.split(',').next().unwrap().parse().unwrap();
                }
            }
            acked
        });
        let delay = Duration::from_millis(next() % 1500);
        let started = Instant::now();
        while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
            thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        acknowledged = acknowledged.max(acked);

        // Everything acknowledged so far is in a valid, signed log.
        let v = json(&run(&data, &["verify", "--json"]));
        assert_eq!(v["ok"], true, "round {round}: {v}");
        assert!(
            v["size"].as_u64().unwrap() >= acknowledged,
            "round {round}: acked {acknowledged}, log {v}"
        );
    }
    assert!(
        kills > 0,
        "at least one run was killed mid-import (seed {seed})"
    );

    // A final uninterrupted run completes the import: every event exactly once.
    let out = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        v["checkpoint"]["size"].as_u64(),
        Some(EVENTS as u64),
        "seed {seed}: {v}"
    );
    assert_eq!(
        v["accepted"].as_u64().unwrap() + v["duplicates"].as_u64().unwrap(),
        EVENTS as u64
    );
    assert_eq!(json(&run(&data, &["verify", "--json"]))["ok"], true);

    // Exactly once: the projection (rebuilt from the log) has each id once.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut db = store::Db::open_sqlite(&data.join("projection.db"))
            .await
            .unwrap();
        assert_eq!(db.count().await.unwrap(), EVENTS as u64, "seed {seed}");
        for i in (0..EVENTS).step_by(7919) {
            assert!(
                db.event_by_id(&format!("k{i}")).await.unwrap().is_some(),
                "k{i} missing (seed {seed})"
            );
        }
    });
}
