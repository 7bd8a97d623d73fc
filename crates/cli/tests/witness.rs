//! Witnessing (C2SP tlog-witness and tlog-cosignature): a witness cosigns
//! a log that grows, refuses one rolled back or forked, and `verify
//! --witness` tells a cosigned checkpoint from one without.

mod common;
use common::{bin, events, http_get, listening, run, serve, Server};
use std::fs;
use std::path::Path;
use std::process::Output;

/// `witness serve` for the log in `data`; its URL.
fn witness(dir: &Path, data: &Path) -> (Server, String) {
    let mut command = bin();
    command
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--key"])
        .arg(dir.join("w.key"))
        .arg("--state")
        .arg(dir.join("w.state"))
        .arg("--log")
        .arg(data.join("keys/log.pub"));
    let (server, addr) = listening(command);
    (server, format!("http://{addr}"))
}

/// `witness init NAME` with its key in `dir`; the witness's public key.
fn init(dir: &Path, name: &str) -> String {
    let out = bin()
        .args(["witness", "init", "--name", name, "--key"])
        .arg(dir.join("w.key"))
        .output()
        .unwrap();
    assert!(ok(&out), "{}", says(&out));
    let vkey = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(vkey.starts_with(&format!("{name}+")), "{vkey}");
    vkey
}

fn ingest(data: &Path, dir: &Path, prefix: &str, n: usize) {
    let file = dir.join(format!("{prefix}.ndjson"));
    fs::write(&file, events(prefix, n)).unwrap();
    assert!(run(data, &["ingest", file.to_str().unwrap()])
        .status
        .success());
}

fn ok(out: &Output) -> bool {
    out.status.success()
}

fn says(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    assert!(std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success());
}

#[test]
fn a_witness_cosigns_growth_and_refuses_rollbacks_and_forks() {
    let dir = tempfile::tempdir().unwrap();
    let (d, data) = (dir.path(), dir.path().join("data"));
    ingest(&data, d, "a", 700);
    let vkey = init(d, "regulator.example/w1");
    let (_w, url) = witness(d, &data);

    // Not cosigned yet: verify --witness fails; cosigned, it passes.
    let verify = |data: &Path| run(data, &["verify", "--witness", &vkey]);
    let out = verify(&data);
    assert!(
        !ok(&out) && says(&out).contains("not cosigned by witness regulator.example/w1"),
        "{}",
        says(&out)
    );
    let out = run(&data, &["cosign", "--witness", &url]);
    assert!(ok(&out), "{}", says(&out));
    let out = verify(&data);
    assert!(
        ok(&out) && says(&out).contains("cosigned by witness regulator.example/w1"),
        "{}",
        says(&out)
    );
    // A proof bundle carries the cosigned checkpoint.
    let bundle = d.join("a2.json");
    assert!(ok(&run(
        &data,
        &["prove", "a2", "-o", bundle.to_str().unwrap()]
    )));
    let out = run(
        &data,
        &["verify", bundle.to_str().unwrap(), "--witness", &vkey],
    );
    assert!(ok(&out), "{}", says(&out));
    let at_700 = d.join("at700");
    copy_dir(&data, &at_700);

    // The log grows: the witness checks the consistency proof and cosigns.
    ingest(&data, d, "b", 1000);
    assert!(
        !ok(&verify(&data)),
        "the new checkpoint is not cosigned yet"
    );
    let out = run(&data, &["cosign", "--witness", &url]);
    assert!(ok(&out), "{}", says(&out));
    assert!(ok(&verify(&data)));

    // Rolled back to 700 and grown otherwise (a fork of the history the
    // witness saw): refused, so the forked checkpoint has no cosignature.
    ingest(&at_700, d, "c", 500);
    let out = run(&at_700, &["cosign", "--witness", &url]);
    assert!(
        !ok(&out) && says(&out).contains("rolled back"),
        "{}",
        says(&out)
    );
    assert!(!ok(&verify(&at_700)));
    // Forked at the same size as the cosigned tree: refused as well.
    ingest(&at_700, d, "e", 500);
    let out = run(&at_700, &["cosign", "--witness", &url]);
    assert!(
        !ok(&out) && says(&out).contains("refused"),
        "{}",
        says(&out)
    );
    assert!(!ok(&verify(&at_700)));
    // The honest log still is cosigned, and the log's own verify passes.
    assert!(ok(&verify(&data)));
    assert!(ok(&run(&data, &["verify"])));
}

#[test]
fn serve_has_each_new_checkpoint_cosigned() {
    let dir = tempfile::tempdir().unwrap();
    let (d, data) = (dir.path(), dir.path().join("data"));
    ingest(&data, d, "s", 300);
    let vkey = init(d, "w.example/2");
    let (_w, url) = witness(d, &data);
    let (_s, addr) = serve(&data, &["--witness", &url]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, _, body) = http_get(&addr, "/checkpoint", &[]);
        let note = String::from_utf8(body).unwrap();
        let w = tlog::witness::CosignVerifier::from_vkey(&vkey).unwrap();
        if w.check(&note).is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never cosigned: {note}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok(&run(&data, &["verify", "--witness", &vkey])));
}
