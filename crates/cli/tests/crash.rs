//! Crash safety: `ingest` killed with SIGKILL at random moments during a
//! large import, then restarted. Every event it acknowledged (a commit line
//! on stderr) must be in the log exactly once, and `verify` must pass.

mod common;
use common::{bin, events, json, run};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, SystemTime};
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
    for round in 0..8 {
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
        // Read acknowledgements as they come, on a thread; kill a random
        // few milliseconds after a random number of further commits, so the
        // kill lands mid-import (writing tiles, syncing, or signing).
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let reader = thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // A complete line only: the kill may cut the last one short.
                let size = line
                    .strip_prefix("committed: tree size ")
                    .filter(|_| line.contains(", through "))
                    .and_then(|rest| rest.split(',').next()?.parse().ok());
                if let Some(size) = size {
                    let _ = tx.send(size);
                }
            }
        });
        let commits_before_kill = 1 + next() % 6;
        let mut seen = 0;
        let mut acked_now = 0;
        while seen < commits_before_kill {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(size) => {
                    acked_now = size;
                    seen += 1;
                }
                Err(_) => break, // the run finished (or stalled: the checks below say)
            }
        }
        thread::sleep(Duration::from_micros(next() % 30_000));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        reader.join().unwrap();
        acked_now = rx.try_iter().fold(acked_now, u64::max);
        acknowledged = acknowledged.max(acked_now);

        // Everything acknowledged so far is in a valid, signed log.
        let v = json(&run(&data, &["verify", "--json"]));
        assert_eq!(v["ok"], true, "round {round}: {v}");
        assert!(
            v["size"].as_u64().unwrap() >= acknowledged,
            "round {round}: acked {acknowledged}, log {v}"
        );
        println!(
            "round {round}: kills so far {kills}, acknowledged {acknowledged}, log size {}",
            v["size"]
        );
    }
    assert!(
        kills >= 4,
        "most runs were killed mid-import (seed {seed}, {kills} kills)"
    );
    assert!(
        acknowledged > 0,
        "commits were acknowledged before the kills"
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
    let v = json(&run(&data, &["verify", "--json"]));
    assert_eq!(v["ok"], true, "seed {seed}: {v}");

    // Exactly once: the log holds as many entries as there are ids, and
    // each sampled id is proved from it; an export finds its order's events.
    for i in (0..EVENTS).step_by(7919) {
        let proved = run(&data, &["prove", &format!("k{i}")]);
        assert_eq!(proved.status.code(), Some(0), "k{i} (seed {seed})");
    }
    let exported = run(&data, &["export", "--order", "o2", "-o", "/dev/null"]);
    assert_eq!(exported.status.code(), Some(0), "seed {seed}");
}
