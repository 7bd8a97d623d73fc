//! Writes the seed corpus of every fuzz target into `corpus/<target>/`:
//! valid inputs signed with the keys the targets trust, so the fuzzer
//! starts past the signature checks.
use std::fs;
use std::path::Path;
use tlog::witness::add_checkpoint_body;
use tlog::{Checkpoint, Hash, NoteSigner};

fn put(target: &str, name: &str, data: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), data).expect("corpus file");
}

fn main() {
    let events = include_str!("../../crates/cli/tests/fixtures/birds-nest.ndjson");
    for (i, line) in events.lines().enumerate() {
        put("event_line", &format!("line{i}"), line.as_bytes());
    }
    let log = NoteSigner::new("fuzz.example/log", [3; 32]).expect("name");
    let note = |size: u64| {
        let cp = Checkpoint {
            origin: "fuzz.example/log".into(),
            size,
            root: Hash([size as u8; 32]),
            extensions: vec![],
        };
        log.sign(&cp.to_text()).expect("sign")
    };
    put("signed_note", "checkpoint", note(5).as_bytes());
    put("signed_note", "vkey", log.verifier().to_vkey().as_bytes());
    put("signed_note", "skey", log.to_skey().as_bytes());
    put(
        "witness_request",
        "first",
        add_checkpoint_body(0, &[], &note(5)).as_bytes(),
    );
    let proof = [Hash([1; 32]), Hash([2; 32])];
    put(
        "witness_request",
        "grown",
        add_checkpoint_body(5, &proof, &note(9)).as_bytes(),
    );
    for (i, p) in [
        "tile/0/000",
        "tile/entries/x001/234.p/5",
        "tile/3/x123/x456/789",
        "tile/1/000.p/255",
    ]
    .iter()
    .enumerate()
    {
        put("tile_path", &format!("path{i}"), p.as_bytes());
    }
    for (name, body) in [
        (
            "intervention",
            r#"{"action":"warn","reason":"fake viewers","alert":"s1/BOT_VIEWERS/high"}"#,
        ),
        (
            "listing",
            r#"{"product":"p1","anchor":"a1","at":"2020-04-01T20:00:00+08:00"}"#,
        ),
        ("action", r#"{"action":"decide","note":"n"}"#),
        (
            "complaint",
            r#"{"order":"o1","category":"quality","text":"sugar water","claim_ref":"e5"}"#,
        ),
    ] {
        put("http_body", name, body.as_bytes());
    }
    put(
        "proof_bundle",
        "inclusion",
        include_bytes!("../seeds/inclusion.json"),
    );
    put(
        "proof_bundle",
        "evidence",
        include_bytes!("../seeds/evidence.json"),
    );
}
