//! The analysis state's snapshot: used when it is this log's, set aside
//! and rebuilt when it is not, and never the cause of a different answer.

mod common;

use common::{json, run};
use std::fs;
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson")
}

fn snapshot(data: &Path) -> PathBuf {
    data.join("state").join("analysis.snap")
}

/// The session report computed from the state (rules given, even the
/// defaults, bypass the judged answers).
fn report(data: &Path) -> serde_json::Value {
    let rules = data.with_extension("default-rules.json");
    fs::write(&rules, "{}").unwrap();
    let rules = rules.to_str().unwrap();
    json(&run(
        data,
        &["--json", "report", "session", "s1", "--rules", rules],
    ))
}

/// The session report as a user asks for it: the judged answer if level.
fn judged(data: &Path) -> serde_json::Value {
    json(&run(data, &["--json", "report", "session", "s1"]))
}

fn answers(data: &Path) -> PathBuf {
    data.join("state").join("answers.bin")
}

/// Ingests `file`; the analysis is left behind the log with `--log-only`.
fn ingest_with(data: &Path, file: &Path, flags: &[&str]) {
    let mut args = vec!["ingest", file.to_str().unwrap()];
    args.extend_from_slice(flags);
    let out = run(data, &args);
    assert!(out.status.success(), "{out:?}");
}

fn ingest(data: &Path, file: &Path) {
    ingest_with(data, file, &[]);
}

/// `n` more events of session s1: other viewers, other orders.
fn more(dir: &Path, n: usize) -> PathBuf {
    let p = dir.join(format!("more-{n}.ndjson"));
    fs::write(&p, common::events("more-", n)).unwrap();
    p
}

#[test]
fn rebuild_writes_a_snapshot_that_answers_as_the_log_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ingest(&data, &examples());
    let before = report(&data);
    let out = run(&data, &["rebuild"]);
    assert!(out.status.success(), "{out:?}");
    assert!(snapshot(&data).exists());
    assert_eq!(report(&data), before);

    // More events after the snapshot: its tail is replayed.
    ingest_with(&data, &more(dir.path(), 300), &["--log-only"]);
    let with_tail = report(&data);
    fs::remove_file(snapshot(&data)).unwrap();
    assert_eq!(with_tail, report(&data), "snapshot + tail == the whole log");
}

#[test]
fn a_snapshot_that_is_not_this_logs_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (data, other) = (dir.path().join("data"), dir.path().join("other"));
    ingest(&data, &examples());
    // Smaller than this log, so only its root tells it apart.
    ingest(&other, &more(dir.path(), 30));
    assert!(run(&other, &["rebuild"]).status.success());
    let truth = report(&data);

    // Another log's snapshot, copied in: its state would answer otherwise.
    fs::create_dir_all(data.join("state")).unwrap();
    fs::copy(snapshot(&other), snapshot(&data)).unwrap();
    assert_eq!(report(&data), truth);

    // A damaged one: every answer comes from the log.
    assert!(run(&data, &["rebuild"]).status.success());
    let mut bytes = fs::read(snapshot(&data)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    fs::write(snapshot(&data), &bytes).unwrap();
    assert_eq!(report(&data), truth);
    // Torn (a crash while a copy was made), or cut short.
    fs::write(snapshot(&data), &bytes[..mid]).unwrap();
    assert_eq!(report(&data), truth);
    // A temporary file a crash left behind is not a snapshot.
    fs::write(snapshot(&data).with_extension("snap.tmp"), b"half").unwrap();
    assert_eq!(report(&data), truth);
}

#[test]
fn a_snapshot_ahead_of_a_rolled_back_log_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ingest(&data, &examples());
    let old_log = dir.path().join("old-log");
    copy_dir(&data.join("log"), &old_log);
    let truth = report(&data);
    ingest(&data, &more(dir.path(), 300));
    assert!(run(&data, &["rebuild"]).status.success());
    // The log restored from an older copy; the snapshot is newer than it.
    fs::remove_dir_all(data.join("log")).unwrap();
    copy_dir(&old_log, &data.join("log"));
    assert_eq!(report(&data), truth);
}

#[test]
fn ingest_leaves_every_session_judged_and_a_stale_or_damaged_answer_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ingest(&data, &examples());
    assert!(snapshot(&data).exists() && answers(&data).exists());
    assert_eq!(judged(&data), report(&data));
    let text = |args: &[&str]| run(&data, args).stdout;
    let rules = data.with_extension("default-rules.json");
    let rules = rules.to_str().unwrap();
    for args in [
        &["report", "session", "s1"][..],
        &["sessions"],
        &["--json", "sessions"],
    ] {
        let computed: Vec<&str> = args.iter().copied().chain(["--rules", rules]).collect();
        assert_eq!(text(args), text(&computed), "{args:?}");
    }
    let before = judged(&data);

    // The log moved on without the analysis: the saved answers are stale.
    ingest_with(&data, &more(dir.path(), 300), &["--log-only"]);
    let after = report(&data);
    assert_ne!(after, before);
    assert_eq!(judged(&data), after);

    // Level again, then damaged: one digit changed, the checksum fails.
    assert!(run(&data, &["rebuild"]).status.success());
    let mut bytes = fs::read(answers(&data)).unwrap();
    let mid = bytes.len() / 2;
    let at = mid + bytes[mid..].iter().position(u8::is_ascii_digit).unwrap();
    bytes[at] = if bytes[at] == b'9' {
        b'1'
    } else {
        bytes[at] + 1
    };
    fs::write(answers(&data), &bytes).unwrap();
    assert_eq!(judged(&data), after);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// SIGKILL while the analysis is brought level and saved (replaying,
/// writing the snapshot, writing the judged answers): the next answer is
/// still the log's.
#[test]
fn a_kill_while_the_state_is_saved_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("sim.ndjson");
    let sim = [
        "simulate",
        "--scale",
        "0.001",
        "--seed",
        "4",
        "-o",
        file.to_str().unwrap(),
    ];
    assert!(run(&data, &sim).status.success());
    ingest_with(&data, &file, &["--log-only"]);
    let sessions = json(&run(
        &data,
        &["--json", "sessions", "--rules", &default_rules(&data)],
    ));
    let truth = |data: &Path| -> Vec<serde_json::Value> {
        let rules = default_rules(data);
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let id = s["session"].as_str().unwrap();
                json(&run(
                    data,
                    &["--json", "report", "session", id, "--rules", &rules],
                ))
            })
            .collect()
    };
    let want = truth(&data);
    let answered = |data: &Path| -> Vec<serde_json::Value> {
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                json(&run(
                    data,
                    &[
                        "--json",
                        "report",
                        "session",
                        s["session"].as_str().unwrap(),
                    ],
                ))
            })
            .collect()
    };
    // How long bringing the state level takes, uninterrupted.
    let level = || {
        common::bin()
            .args(["--data", data.to_str().unwrap(), "ingest", "/dev/null"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // From nothing, as each round below (answering above saved a snapshot).
    fs::remove_dir_all(data.join("state")).unwrap();
    let started = std::time::Instant::now();
    assert!(level().wait().unwrap().success());
    let took = started.elapsed();
    assert_eq!(answered(&data), want);

    let mut rng = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {rng}, level takes {took:?}");
    let mut killed = 0;
    for round in 0..6 {
        fs::remove_dir_all(data.join("state")).unwrap();
        let mut child = level();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Anywhere in the run, more often late (where the files are written).
        let frac = 0.3 + (rng % 1000) as f64 / 1000.0 * 0.8;
        std::thread::sleep(took.mul_f64(frac));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        assert_eq!(answered(&data), want, "round {round} (seed {rng})");
    }
    println!("{killed} of 6 runs killed");
}

fn default_rules(data: &Path) -> String {
    let rules = data.with_extension("default-rules.json");
    fs::write(&rules, "{}").unwrap();
    rules.to_str().unwrap().to_string()
}
