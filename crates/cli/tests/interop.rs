//! Our checkpoints, tiles and proofs checked by an implementation we did not
//! write: Go's golang.org/x/mod/sumdb/{note,tlog} (tests/interop/check.go).
//! `.ci/run` installs Go and the library (Debian: golang-go,
//! golang-golang-x-mod-dev) and sets LIVELEDGER_REQUIRE_INTEROP=1, so in CI
//! this test cannot skip itself.

mod common;
use common::{events, run};
use std::fs;
use std::path::Path;
use std::process::Command;

const GOPATH: &str = "/usr/share/gocode";

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new(GOPATH)
            .join("src/golang.org/x/mod/sumdb/tlog")
            .exists()
}

fn go_check(log: &Path, vkey: &str, files: &[&Path], cache: &Path) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/check.go");
    Command::new("go")
        .arg("run")
        .arg(script)
        .arg(log)
        .arg(vkey)
        .args(files)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", cache)
        .env("GOFLAGS", "")
        .output()
        .expect("run go")
}

#[test]
fn go_sumdb_verifies_our_log_and_proofs() {
    if !go_available() {
        assert!(
            std::env::var_os("LIVELEDGER_REQUIRE_INTEROP").is_none(),
            "LIVELEDGER_REQUIRE_INTEROP is set but Go or golang.org/x/mod is missing"
        );
        eprintln!("skipped: needs `go` and {GOPATH}/src/golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    // 100,003 entries in uneven batches: partial tiles at every level, and
    // a history of checkpoints at awkward sizes.
    fs::write(&file, events("g", 100_003)).unwrap();
    let out = run(
        &data,
        &["ingest", "--batch", "33333", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0));
    let vkey = fs::read_to_string(data.join("keys/log.pub")).unwrap();

    let mut artifacts = Vec::new();
    for id in ["g0", "g255", "g256", "g65536", "g100002"] {
        let p = dir.path().join(format!("{id}.json"));
        assert_eq!(
            run(&data, &["prove", id, "-o", p.to_str().unwrap()])
                .status
                .code(),
            Some(0)
        );
        artifacts.push(p);
    }
    for old in ["33333", "66666", "99999"] {
        let p = dir.path().join(format!("consistency-{old}.json"));
        let out = run(&data, &["consistency", old, "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        fs::write(&p, &out.stdout).unwrap();
        artifacts.push(p);
    }
    let files: Vec<&Path> = artifacts.iter().map(|p| p.as_path()).collect();
    let cache = dir.path().join("gocache");
    let out = go_check(&data.join("log"), vkey.trim(), &files, &cache);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "Go disagrees with us: {text}");
    assert!(
        text.contains("size 100003, 100003 entries re-hashed"),
        "{text}"
    );
    assert!(text.contains("8 liveledger proofs checked"), "{text}");

    // The check can fail: one altered hash in a tile is caught by Go too.
    let tile = data.join("log/tile/0/000");
    let mut bytes = fs::read(&tile).unwrap();
    bytes[100] ^= 1;
    fs::write(&tile, bytes).unwrap();
    let out = go_check(&data.join("log"), vkey.trim(), &[], &cache);
    assert!(!out.status.success(), "Go accepted an altered tile");
}
