//! Faults of the machine: a disk that fills up.
//!
//! The full disk is a small tmpfs mounted by the test, so it needs root
//! (CI runs as root). Elsewhere the test says why it skipped, or fails when
//! `LIVELEDGER_REQUIRE_MOUNT` is set.

mod common;
use common::{bin, events, json, run};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok && std::env::var_os("LIVELEDGER_REQUIRE_MOUNT").is_some() {
            panic!("could not mount a tmpfs at {} (needs root)", dir.display());
        }
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Runs `liveledger --data DATA ingest FILE` and waits at most a minute:
/// a hang is a failure, not a stuck test.
fn ingest(data: &Path, file: &Path) -> (Option<i32>, String) {
    let mut child = bin()
        .arg("--data")
        .arg(data)
        .args(["ingest", "--json"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ingest onto a full disk hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_full_disk_stops_ingest_with_an_error_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let Some(_mount) = Mount::tmpfs(&disk, "8m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let data = disk.join("data");
    // Room for the id index, not for the ~10 MiB of log: the disk fills
    // in the middle of the stream.
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("f", 60_000)).unwrap();
    for attempt in 0..3 {
        let (code, err) = ingest(&data, &file);
        // An error exit with the reason, never a signal or success.
        assert_eq!(code, Some(2), "attempt {attempt}: {err}");
        assert!(
            err.contains("No space left on device"),
            "attempt {attempt}: {err}"
        );
    }
    // Whatever was committed is whole and verifies; nothing is doubled.
    let size = json(&run(&data, &["checkpoint", "--json"]))["size"]
        .as_u64()
        .unwrap();
    let v = run(&data, &["verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    // Once there is room again, the rest goes in, each event once.
    let copy = dir.path().join("roomy");
    Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&copy)
        .status()
        .unwrap();
    let v = json(&run(&copy, &["ingest", "--json", file.to_str().unwrap()]));
    assert_eq!(v["duplicates"].as_u64(), Some(size));
    assert_eq!(v["accepted"].as_u64(), Some(60_000 - size));
    assert_eq!(json(&run(&copy, &["checkpoint", "--json"]))["size"], 60_000);
}
