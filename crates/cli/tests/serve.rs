//! `serve`: a client that fetches only the tlog-tiles HTTP endpoints
//! reconstructs the log and the root of the latest signed checkpoint.

mod common;
use common::{events, http_get, run, serve};
use std::{fs, thread};
use tlog::tile::{self, Level, TileId};
use tlog::{leaf_hash, Checkpoint, Hash, NoteVerifier};

#[test]
fn a_mirror_rebuilds_the_log_from_http_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    // 70,000 events in batches: full and partial tiles at levels 0–2.
    fs::write(&file, events("m", 70_000)).unwrap();
    run(
        &data,
        &["ingest", "--batch", "30000", file.to_str().unwrap()],
    );
    let vkey = fs::read_to_string(data.join("keys/log.pub")).unwrap();
    let (_server, addr) = serve(&data, &["--entries", "token", "--token", "s3cret"]);
    let auth = [("Authorization", "Bearer s3cret")];

    // The client trusts only the public key.
    let (status, headers, body) = http_get(&addr, "/checkpoint", &[]);
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    let verifier = NoteVerifier::from_vkey(&vkey).unwrap();
    let note = String::from_utf8(body).unwrap();
    let cp = Checkpoint::parse(verifier.open(&note).unwrap()).unwrap();
    assert_eq!(cp.size, 70_000);

    // Entry bundles need the token; tiles do not. The scheme's case does
    // not matter; the token's does.
    assert_eq!(http_get(&addr, "/tile/entries/000", &[]).0, 401);
    let lower = [("Authorization", "bearer s3cret")];
    assert_eq!(http_get(&addr, "/tile/entries/000", &lower).0, 200);
    let wrong = [("Authorization", "Bearer S3cret")];
    assert_eq!(http_get(&addr, "/tile/entries/000", &wrong).0, 401);
    let mut leaves: Vec<Hash> = Vec::new();
    for b in 0..cp.size.div_ceil(256) {
        let t = tile::tile_in_tree(Level::Entries, b, cp.size).unwrap();
        let (status, headers, body) = http_get(&addr, &format!("/{}", t.path()), &auth);
        assert_eq!(status, 200, "{}", t.path());
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert!(headers["cache-control"].contains("immutable"));
        for e in tile::decode_bundle(&body, t.width).unwrap() {
            leaves.push(leaf_hash(e));
        }
    }
    // The entries alone give the signed root.
    assert_eq!(tlog::tree::root(&leaves), cp.root);
    // And the hash tiles agree with them.
    for i in 0..cp.size.div_ceil(256) {
        let t = tile::tile_in_tree(Level::Hashes(0), i, cp.size).unwrap();
        let (status, _, body) = http_get(&addr, &format!("/{}", t.path()), &[]);
        assert_eq!(status, 200);
        let start = (i * 256) as usize;
        assert_eq!(
            tile::decode_hashes(&body, t.width).unwrap(),
            leaves[start..start + t.width as usize].to_vec()
        );
    }
    let top = tile::right_edge(2, cp.size).unwrap();
    assert_eq!(http_get(&addr, &format!("/{}", top.path()), &[]).0, 200);

    // Nothing beyond the checkpoint, nothing that is not a tile path.
    let beyond = TileId {
        level: Level::Hashes(0),
        index: 273,
        width: 256,
    };
    assert_eq!(http_get(&addr, &format!("/{}", beyond.path()), &[]).0, 404);
    assert_eq!(http_get(&addr, "/tile/0/x000/001", &[]).0, 404);
    assert_eq!(http_get(&addr, "/tile/../keys/log.key", &[]).0, 404);
    thread::sleep(std::time::Duration::from_millis(10));
}

/// A client that never finishes its headers is dropped after the header
/// timeout; running out of file handles (`ulimit -n 64`, 100 idle
/// connections) slows the server down but does not end it.
#[test]
fn slow_clients_are_dropped_and_running_out_of_handles_is_survived() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("h", 10)).unwrap();
    assert!(run(&data, &["ingest", file.to_str().unwrap()])
        .status
        .success());
    let bin = env!("CARGO_BIN_EXE_liveledger");
    let script = format!(
        "ulimit -n 64 && exec {bin} --data {} serve --listen 127.0.0.1:0 --header-timeout 1",
        data.display()
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _server = common::Server(child);
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();

    // Half a request, then silence: closed after about a second.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "held for {:?}",
        start.elapsed()
    );

    // More idle connections than the process has handles.
    let idle: Vec<_> = (0..100)
        .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
        .collect();
    thread::sleep(Duration::from_millis(300));
    drop(idle);
    // Once the idle ones are gone (closed, or timed out), it answers again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, body) = http_get(&addr, "/healthz", &[]);
        if status == 200 {
            assert!(String::from_utf8_lossy(&body).contains("\"ok\":true"));
            break;
        }
        assert!(Instant::now() < deadline, "the server did not recover");
        thread::sleep(Duration::from_millis(200));
    }
}
