//! `prove`, `export`, `consistency` and `verify BUNDLE` through the real binary.

mod common;
use common::{events, json, run};
use proptest::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// A log of 1,000 events in three commits, built once.
fn fixture() -> &'static (tempfile::TempDir, PathBuf) {
    static F: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let file = dir.path().join("e.ndjson");
        fs::write(&file, events("v", 1000)).unwrap();
        run(&data, &["ingest", "--batch", "400", file.to_str().unwrap()]);
        (dir, data)
    })
}

fn verify_bundle(v: &Value, extra: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b.json");
    fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    let mut args = vec!["verify", p.to_str().unwrap()];
    args.extend_from_slice(extra);
    // Offline: no data directory at all.
    let out = run(Path::new("/nonexistent-liveledger-data"), &args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

fn prove(id: &str) -> Value {
    let out = run(&fixture().1, &["prove", id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[test]
fn inclusion_bundles_verify_offline_and_changes_fail() {
    let b = prove("v517");
    assert_eq!(b["leaf_index"], 517);
    assert_eq!(b["event"]["id"], "v517");
    assert_eq!(verify_bundle(&b, &[]).0, Some(0));

    // Pinning the right key passes; another key fails.
    let key = b["key"].as_str().unwrap().to_string();
    assert_eq!(verify_bundle(&b, &["--key", &key]).0, Some(0));
    let other = tlog::NoteSigner::new("liveledger.local/data", [5; 32])
        .unwrap()
        .verifier()
        .to_vkey();
    let (code, text) = verify_bundle(&b, &["--key", &other]);
    assert_eq!(code, Some(1));
    assert!(text.contains("not the pinned key"), "{text}");

    // Any change to the event, proof, checkpoint or signature fails.
    let mut e = b.clone();
    e["event"]["text"] = "777".into();
    assert!(verify_bundle(&e, &[]).1.contains("readable event differs"));
    let mut e = b.clone();
    e["entry"] = base64_flip(b["entry"].as_str().unwrap(), 40);
    assert_eq!(verify_bundle(&e, &[]).0, Some(1));
    let mut e = b.clone();
    e["leaf_index"] = 518.into();
    assert_eq!(verify_bundle(&e, &[]).0, Some(1));
    let mut e = b.clone();
    e["checkpoint"] = b["checkpoint"]
        .as_str()
        .unwrap()
        .replacen("\n1000\n", "\n1001\n", 1)
        .into();
    assert!(verify_bundle(&e, &[]).1.contains("checkpoint"));
}

/// Flips one bit of base64-encoded bytes, keeping it valid base64.
fn base64_flip(b64: &str, bit: usize) -> Value {
    use base64::Engine;
    let e = base64::engine::general_purpose::STANDARD;
    let mut raw = e.decode(b64).unwrap();
    let n = raw.len();
    raw[bit / 8 % n] ^= 1 << (bit % 8);
    e.encode(raw).into()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    /// A single flipped bit in any proof hash or in the signature is rejected.
    #[test]
    fn any_flipped_bit_in_proof_or_signature_fails(pick in any::<prop::sample::Index>(), bit in 0usize..512, in_sig in any::<bool>()) {
        let b = prove("v300");
        let mut e = b.clone();
        if in_sig {
            let note = b["checkpoint"].as_str().unwrap();
            let (body, sig_line) = note.rsplit_once("\u{2014} ").unwrap();
            let (name, sig) = sig_line.trim_end().split_once(' ').unwrap();
            let flipped = base64_flip(sig, 32 + bit % 512);
            e["checkpoint"] = format!("{body}\u{2014} {name} {}\n", flipped.as_str().unwrap()).into();
        } else {
            let proof = b["inclusion_proof"].as_array().unwrap();
            let k = pick.index(proof.len());
            e["inclusion_proof"][k] = base64_flip(proof[k].as_str().unwrap(), bit % 256);
        }
        prop_assert_eq!(verify_bundle(&e, &[]).0, Some(1));
    }
}

#[test]
fn evidence_packages_cover_a_session_and_an_order() {
    let data = &fixture().1;
    let out = run(data, &["export", "--session", "s1"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["entries"].as_array().unwrap().len(), 1000);
    assert_eq!(verify_bundle(&v, &[]).0, Some(0));
    let v = json(&run(data, &["export", "--order", "o2"]));
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"]["order"], "o2");
    assert_eq!(verify_bundle(&v, &[]).0, Some(0));
    // Dropping an entry from the package breaks its proof.
    let mut cut = json(&run(data, &["export", "--product", "p1"]));
    cut["entries"].as_array_mut().unwrap().remove(3);
    assert_eq!(verify_bundle(&cut, &[]).0, Some(1));
    assert_eq!(
        run(data, &["export", "--order", "nope"]).status.code(),
        Some(2)
    );
}

/// An export holds exactly the events about its subject: those of the
/// input whose field names it, however the ids are written.
#[test]
fn exports_hold_exactly_the_events_about_their_subject() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("sim.ndjson");
    let out = run(
        &data,
        &[
            "simulate",
            "--scale",
            "0.0003",
            "--seed",
            "9",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    // An order id that canonical JSON escapes, and one that is a prefix of
    // others ("o1" of "o10"…), both need the exact match.
    let mut text = fs::read_to_string(&file).unwrap();
    text.push_str(concat!(
        r#"{"type":"order_placed","id":"q1","at":"2020-04-01T20:00:02+08:00","session":"s1","order":"o\"1","product":"p1","account":"u1","quantity":1,"amount":100,"currency":"CNY"}"#,
        "\n",
        r#"{"type":"order_paid","id":"q2","at":"2020-04-01T20:00:03+08:00","order":"o\"1","amount":100,"currency":"CNY"}"#,
        "\n"
    ));
    fs::write(&file, &text).unwrap();
    assert!(
        run(&data, &["ingest", file.to_str().unwrap()])
            .status
            .code()
            == Some(0)
    );
    let input: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let about = |key: &str, id: &str| -> Vec<String> {
        let mut ids: Vec<String> = input
            .iter()
            .filter(|e| e[key] == id)
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let orders: Vec<&str> = input
        .iter()
        .filter_map(|e| e["order"].as_str())
        .take(3)
        .collect();
    let products: Vec<&str> = input
        .iter()
        .filter_map(|e| e["product"].as_str())
        .take(2)
        .collect();
    let session = input.iter().find_map(|e| e["session"].as_str()).unwrap();
    let mut subjects = vec![("session", session), ("order", "o\"1")];
    subjects.extend(orders.iter().map(|o| ("order", *o)));
    subjects.extend(products.iter().map(|p| ("product", *p)));
    for (key, id) in subjects {
        let v = json(&run(&data, &["export", &format!("--{key}"), id]));
        let mut got: Vec<String> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"]["id"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let want = about(key, id);
        assert!(!want.is_empty());
        assert_eq!(got, want, "{key} {id}");
    }
}

#[test]
fn consistency_between_signed_checkpoints() {
    let data = &fixture().1;
    let v = json(&run(data, &["consistency", "400", "--json"]));
    assert_eq!(v["ok"], true);
    assert_eq!(v["new_size"], 1000);
    let v = json(&run(data, &["consistency", "400", "800", "--json"]));
    assert_eq!(v["ok"], true);
    let out = run(data, &["consistency", "401"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never signed a checkpoint of size 401"));
    let v = json(&run(data, &["verify", "--json"]));
    assert_eq!(v["checkpoints_checked"], 4, "sizes 0, 400, 800, 1000");
}

#[test]
fn prove_needs_no_sound_id_index() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("in.ndjson");
    fs::write(&file, common::events("p", 2000)).unwrap();
    assert!(run(&data, &["ingest", file.to_str().unwrap()])
        .status
        .success());
    let want = json(&run(&data, &["--json", "prove", "p1234"]));
    // The id index gone, or damaged: the log is scanned instead.
    let ids = data.join("index").join("ids.idx");
    let good = fs::read(&ids).unwrap();
    fs::remove_file(&ids).unwrap();
    assert_eq!(json(&run(&data, &["--json", "prove", "p1234"])), want);
    let mut bad = good.clone();
    bad[3] ^= 0xff;
    fs::write(&ids, &bad).unwrap();
    assert_eq!(json(&run(&data, &["--json", "prove", "p1234"])), want);
    // Every slot pointing at the wrong leaf: the entry there is checked.
    let mut wrong = good.clone();
    for slot in wrong[64..].chunks_mut(16) {
        if slot[10..].iter().any(|b| *b != 0) {
            slot[10] = slot[10].wrapping_add(1);
        }
    }
    fs::write(&ids, &wrong).unwrap();
    assert_eq!(json(&run(&data, &["--json", "prove", "p1234"])), want);
    fs::write(&ids, &good).unwrap();
    let out = run(&data, &["prove", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no event with id \"nope\""));
}
