//! `ingest`, `checkpoint`, `verify` and `rebuild`, driven through the real binary.

mod common;
use common::{bin, events, json, run};
use proptest::prelude::*;
use std::fs;
use std::io::Write;
use std::process::Stdio;

const MIXED: &str = r#"{"type":"session_started","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s1","anchor":"a1","platform":"douyin"}
{"type":"product_listed","id":"e2","at":"2020-04-01T20:01:00+08:00","session":"s1","product":"p1","price":12900,"currency":"CNY"}
this is not json

{"type":"viewer_joined","id":"e3","at":"2020-04-01T20:01:02+08:00","session":"s1","account":"u1","device":"d1","ip":"203.0.113.0/24"}
{"type":"order_placed","id":"e4","at":"2020-04-01T20:03:10+08:00","session":"s1","order":"o1","product":"p1","account":"u1","quantity":0,"amount":12900,"currency":"CNY"}
{"type":"teleport","id":"e5","at":"2020-04-01T20:03:10+08:00"}
{"type":"order_paid","id":"e6","at":"2020-04-01T20:03:30+08:00","order":"o1","amount":"12900"}
{"type":"order_paid","id":"e7","at":"2020-04-01 20:03:30","order":"o1","amount":12900}
{"type":"order_placed","id":"e8","at":"2020-04-01T20:03:10+08:00","session":"s1","order":"o1","product":"p1","account":"u1","quantity":1,"amount":12900,"currency":"CNY","channel":"live"}
{"type":"session_started","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s1","anchor":"a1","platform":"douyin"}
"#;

#[test]
fn mixed_file_gives_exact_rejections_and_keeps_the_good_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("mixed.ndjson");
    fs::write(&file, MIXED).unwrap();
    let out = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "some lines were rejected");
    let v = json(&out);
    assert_eq!(
        (
            v["accepted"].as_u64(),
            v["duplicates"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(4), Some(1), Some(5))
    );
    let errors: Vec<(u64, Option<&str>, Option<&str>)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["id"].as_str(),
                e["field"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, None, None),
            (6, Some("e4"), Some("quantity")),
            (7, Some("e5"), Some("type")),
            (8, Some("e6"), Some("amount")),
            (9, Some("e7"), Some("at")),
        ]
    );
    for e in v["errors"].as_array().unwrap() {
        assert!(!e["reason"].as_str().unwrap().is_empty());
        assert!(e.get("file").is_none(), "one file: no file field");
    }
    assert_eq!(v["checkpoint"]["size"], 4);

    // The human form says the same.
    let human = run(&data, &["ingest", file.to_str().unwrap()]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("line 6 (id \"e4\"): field \"quantity\": expected a positive integer"),
        "{text}"
    );
}

#[test]
fn same_file_twice_is_all_duplicates_and_leaves_the_checkpoint_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("x", 1000)).unwrap();
    let first = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(json(&first)["accepted"], 1000);
    let cp1 = fs::read(data.join("log/checkpoint")).unwrap();
    let second = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(0));
    let v = json(&second);
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(1000))
    );
    assert_eq!(
        fs::read(data.join("log/checkpoint")).unwrap(),
        cp1,
        "checkpoint unchanged, byte for byte"
    );

    // Duplicates within one input, and across files in one run, count too.
    let dup = dir.path().join("dup.ndjson");
    fs::write(&dup, format!("{}{}", events("y", 10), events("y", 10))).unwrap();
    let v = json(&run(
        &data,
        &[
            "ingest",
            "--json",
            dup.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(10), Some(1010))
    );
}

#[test]
fn a_resent_id_with_other_content_is_refused_not_counted_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("first.ndjson");
    fs::write(&first, events("r", 600)).unwrap();
    assert!(run(&data, &["ingest", first.to_str().unwrap()])
        .status
        .success());
    // r0 again, same content in another key order (a duplicate); r1 and
    // r599 (in the last, partial bundle) with changed content (refused).
    let again = dir.path().join("again.ndjson");
    let lines = events("r", 600);
    let lines: Vec<&str> = lines.lines().collect();
    let reordered = {
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        let mut pairs: Vec<_> = v.as_object().unwrap().iter().collect();
        pairs.reverse();
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
        format!("{{{}}}", body.join(","))
    };
    let text = format!(
        "{reordered}\n{}\n{}\n",
        lines[1].replace("666", "777"),
        lines[599].replace("12900", "12901")
    );
    fs::write(&again, text).unwrap();
    let out = run(&data, &["ingest", "--json", again.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "a problem was found");
    let v = json(&out);
    assert_eq!(
        (
            v["accepted"].as_u64(),
            v["duplicates"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(0), Some(1), Some(2)),
        "{v}"
    );
    let errors = v["errors"].as_array().unwrap();
    let mut lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    lines.sort();
    assert_eq!(lines, [2, 3]);
    for e in errors {
        assert_eq!(e["field"], "id");
        assert!(
            e["reason"].as_str().unwrap().contains("already logged"),
            "{e}"
        );
    }
    assert_eq!(json(&run(&data, &["checkpoint", "--json"]))["size"], 600);
}

#[test]
fn stdin_several_files_and_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = dir.path().join("a.ndjson");
    fs::write(&a, "{\"broken\n").unwrap();
    let mut child = bin()
        .args([
            "--data",
            data.to_str().unwrap(),
            "ingest",
            "--json",
            "-",
            a.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(events("s", 5).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json(&out);
    assert_eq!(v["accepted"], 5);
    assert_eq!(
        v["errors"][0]["file"],
        a.to_str().unwrap(),
        "several inputs: errors name the file"
    );
    assert_eq!(v["errors"][0]["line"], 1);

    // An unreadable input is bad usage (exit 2), and nothing is ingested.
    let out = run(
        &data,
        &["ingest", a.to_str().unwrap(), "/no/such/file.ndjson"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.ndjson"));
    assert_eq!(json(&run(&data, &["checkpoint", "--json"]))["size"], 5);
    // A directory is no input either, and refused before anything else is read.
    let fresh = dir.path().join("fresh.ndjson");
    fs::write(&fresh, events("fresh", 3)).unwrap();
    let out = run(
        &data,
        &[
            "ingest",
            fresh.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
    assert_eq!(json(&run(&data, &["checkpoint", "--json"]))["size"], 5);
}

/// A line far longer than any event (here 3 MB, as from a file that is not
/// NDJSON) is rejected by its length, and the lines around it are kept.
#[test]
fn an_over_long_line_is_rejected_and_its_neighbours_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("long.ndjson");
    let good: Vec<String> = events("n", 2).lines().map(String::from).collect();
    let text = format!("{}\n{}\n{}\n", good[0], "x".repeat(3_000_000), good[1]);
    fs::write(&file, text).unwrap();
    let out = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(
        v["errors"][0]["reason"],
        "line is 3000000 bytes; an event can be at most 65535"
    );
}

/// A live stream on stdin: events that trickle in far below the batch size
/// are committed, signed and acknowledged within `--max-delay`, while the
/// stream is still open, and a burst is committed as one.
#[test]
fn a_slow_live_stream_is_acknowledged_as_it_goes() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = bin()
        .args(["--data", data.to_str().unwrap()])
        .args(["ingest", "--verbose", "--json", "--max-delay", "200", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (tx, acks) = std::sync::mpsc::channel::<String>();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let lines: Vec<String> = events("live", 5).lines().map(String::from).collect();
    let mut send = |from: usize, to: usize| {
        for l in &lines[from..to] {
            writeln!(stdin, "{l}").unwrap();
        }
        stdin.flush().unwrap();
    };
    let ack = |want: &str| {
        // Generous: a loaded CI machine may be slow to start the process.
        let line = acks
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no acknowledgement ({e}); wanted {want:?}"));
        assert_eq!(line, want);
    };

    let started = Instant::now();
    send(0, 2);
    ack("committed: tree size 2, through -:2");
    // Signed and readable by anyone while the stream is still open.
    let cp = json(&run(&data, &["checkpoint", "--json"]));
    assert_eq!(cp["size"], 2, "{cp}");
    send(2, 3);
    ack("committed: tree size 3, through -:3");
    send(3, 5);
    ack("committed: tree size 5, through -:5");
    assert!(
        started.elapsed() < Duration::from_secs(180),
        "acknowledged, but slowly"
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(
        (v["accepted"].as_u64(), v["checkpoint"]["size"].as_u64()),
        (Some(5), Some(5))
    );
    assert!(
        acks.try_recv().is_err(),
        "nothing left to commit at the end"
    );
}

#[test]
fn checkpoint_is_a_signed_note_and_losing_the_id_index_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("c", 700)).unwrap();
    run(
        &data,
        &[
            "ingest",
            "--origin",
            "example.org/live",
            file.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8(run(&data, &["checkpoint"]).stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "example.org/live");
    assert_eq!(lines[1], "700");
    assert!(lines[4].starts_with("\u{2014} example.org/live "));
    let v = json(&run(&data, &["checkpoint", "--json"]));
    assert_eq!(v["size"], 700);
    assert_eq!(v["root"].as_str().unwrap().len(), 64);
    // The origin is fixed at creation.
    assert_eq!(
        run(
            &data,
            &["ingest", "--origin", "other", file.to_str().unwrap()]
        )
        .status
        .code(),
        Some(2)
    );

    // The id index is derived: losing it loses nothing.
    let v = json(&run(&data, &["export", "--session", "s1", "--json"]));
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(700));
    fs::remove_file(data.join("index/ids.idx")).unwrap();
    let v = json(&run(&data, &["ingest", "--json", file.to_str().unwrap()]));
    assert_eq!(
        v["duplicates"], 700,
        "id index rebuilt from the log on open"
    );
    let v = json(&run(&data, &["rebuild", "--json"]));
    assert_eq!(v["rebuilt"], 700);
    let v = json(&run(&data, &["export", "--session", "s1", "--json"]));
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(700));
}

/// A log of 700 events and its data directory, for the damage cases.
fn seven_hundred() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("c", 700)).unwrap();
    assert!(run(&data, &["ingest", file.to_str().unwrap()])
        .status
        .success());
    (dir, data, file)
}

#[test]
fn a_damaged_id_index_is_rebuilt_from_the_log_never_trusted() {
    let (_dir, data, file) = seven_hundred();
    let idx = data.join("index/ids.idx");
    let pristine = fs::read(&idx).unwrap();
    // A byte of the key, of the header's counts, of the slots; both of a
    // block's checksums (one alone may be the checksum it had before).
    let capacity = u64::from_le_bytes(pristine[8..16].try_into().unwrap()) as usize;
    let sums = 64 + 16 * capacity;
    for at in [
        vec![45],
        vec![17],
        vec![64 + 16 * 9],
        vec![sums + 3, sums + 11],
    ] {
        let mut bytes = pristine.clone();
        for &i in &at {
            bytes[i] ^= 0x20;
        }
        fs::write(&idx, &bytes).unwrap();
        let out = run(&data, &["ingest", "--json", file.to_str().unwrap()]);
        let v = json(&out);
        assert_eq!(
            (v["accepted"].as_u64(), v["duplicates"].as_u64()),
            (Some(0), Some(700)),
            "bytes {at:?}: nothing may be appended twice"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("replaced by an empty index"),
            "bytes {at:?}: {err}"
        );
        fs::write(&idx, &pristine).unwrap();
    }
    assert_eq!(json(&run(&data, &["checkpoint", "--json"]))["size"], 700);
    assert!(run(&data, &["verify"]).status.success());
    assert!(run(&data, &["prove", "c2"]).status.success());
}

#[test]
fn an_altered_entry_is_never_read_as_an_answer() {
    let (_dir, data, _file) = seven_hundred();
    // One order's amount changed in its entry bundle (the first, full one).
    let bundle = data.join("log/tile/entries/000");
    let mut bytes = fs::read(&bundle).unwrap();
    let at = bytes.windows(5).position(|w| w == b"12900").unwrap();
    bytes[at] = b'9';
    fs::write(&bundle, &bytes).unwrap();
    let named = |out: &std::process::Output| {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "must fail: {err}");
        assert!(err.contains("tile/entries/000: entry "), "{err}");
        assert!(err.contains("does not hash to its leaf"), "{err}");
    };
    assert!(!run(&data, &["verify"]).status.success());
    named(&run(&data, &["rebuild"]));
    named(&run(&data, &["export", "--session", "s1"]));
    named(&run(&data, &["prove", "c2"]));
    // Without the derived state, a report must read the log: it refuses.
    fs::remove_dir_all(data.join("state")).unwrap();
    named(&run(&data, &["report", "session", "s1"]));
    named(&run(&data, &["sessions"]));
}

#[test]
fn verify_needs_a_log_and_the_right_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(run(&data, &["verify"]).status.code(), Some(2), "no log yet");
    let file = dir.path().join("e.ndjson");
    fs::write(&file, events("k", 10)).unwrap();
    run(&data, &["ingest", file.to_str().unwrap()]);
    let pubkey = fs::read_to_string(data.join("keys/log.pub")).unwrap();
    let out = run(&data, &["verify", "--json", "--key", pubkey.trim()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["ok"], true);
    // Another log's key (same name) does not verify this log.
    let other = dir.path().join("other");
    run(
        &other,
        &[
            "ingest",
            "--origin",
            "liveledger.local/data",
            file.to_str().unwrap(),
        ],
    );
    let other_key = fs::read_to_string(other.join("keys/log.pub")).unwrap();
    let out = run(&data, &["verify", "--key", other_key.trim()]);
    assert_eq!(out.status.code(), Some(1));
}

/// One log shared by the tamper cases (built once; each case works on a copy).
fn template() -> &'static (tempfile::TempDir, Vec<String>) {
    static T: std::sync::OnceLock<(tempfile::TempDir, Vec<String>)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let file = dir.path().join("e.ndjson");
        // Three batches: full and partial tiles and bundles, and a level-1 tile.
        fs::write(&file, events("t", 600)).unwrap();
        run(&data, &["ingest", "--batch", "250", file.to_str().unwrap()]);
        let mut files = Vec::new();
        walk(&data.join("log/tile"), &data.join("log"), &mut files);
        files.sort();
        (dir, files)
    })
}

fn walk(d: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
    for e in fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, root, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().to_str().unwrap().to_string());
        }
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            fs::copy(&p, &t).unwrap();
        }
    }
}

#[test]
fn untouched_log_verifies() {
    let (dir, files) = template();
    assert!(
        files.iter().any(|f| f.starts_with("tile/entries/"))
            && files.iter().any(|f| f.starts_with("tile/1/"))
    );
    let out = run(&dir.path().join("data"), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Any single changed byte of any bundle or tile fails `verify`, which names the file.
    #[test]
    fn any_changed_byte_fails_verify_naming_the_file(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let (template_dir, files) = template();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        copy_dir(&template_dir.path().join("data"), &data);
        let rel = &files[pick.index(files.len())];
        let path = data.join("log").join(rel);
        let mut bytes = fs::read(&path).unwrap();
        let pos = at.index(bytes.len());
        bytes[pos] ^= xor;
        fs::write(&path, &bytes).unwrap();
        let out = run(&data, &["verify"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        prop_assert_eq!(out.status.code(), Some(1), "{}", text);
        prop_assert!(text.contains(rel.as_str()), "changed byte {} of {}: {}", pos, rel, text);
    }
}

#[test]
fn amounts_beyond_any_real_sale_are_refused_and_sums_never_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("money.ndjson");
    let max = i64::MAX;
    let mut lines = vec![
        r#"{"type":"session_started","id":"m0","at":"2020-04-01T20:00:00+08:00","session":"s1","anchor":"a1","platform":"p"}"#.to_string(),
    ];
    for i in 1..=2 {
        lines.push(format!(r#"{{"type":"order_placed","id":"m{i}","at":"2020-04-01T20:00:0{i}+08:00","session":"s1","order":"o{i}","product":"p1","account":"u{i}","quantity":1,"amount":{max},"currency":"CNY"}}"#));
    }
    // The largest amount accepted, paid 10,000 times on one order.
    let big = events::MAX_MINOR;
    lines.push(format!(r#"{{"type":"order_placed","id":"m3","at":"2020-04-01T20:00:03+08:00","session":"s1","order":"o3","product":"p1","account":"u3","quantity":1,"amount":{big},"currency":"CNY"}}"#));
    for i in 0..10_000 {
        lines.push(format!(r#"{{"type":"order_paid","id":"pay{i}","at":"2020-04-01T20:01:00+08:00","order":"o3","amount":{big}}}"#));
    }
    fs::write(&file, lines.join("\n") + "\n").unwrap();
    let v = json(&run(&data, &["--json", "ingest", file.to_str().unwrap()]));
    assert_eq!(v["rejected"], 2, "{v}");
    for e in v["errors"].as_array().unwrap() {
        assert_eq!(e["field"], "amount");
        assert!(
            e["reason"].as_str().unwrap().contains("at most 10^15"),
            "{e}"
        );
    }
    let r = json(&run(&data, &["--json", "report", "session", "s1"]));
    assert_eq!(r["sales"]["placed_gmv"], big);
    let paid = r["sales"]["paid_gmv"].as_i64().unwrap();
    assert_eq!(
        paid,
        i64::MAX,
        "a sum too large to hold stops at the largest, never wraps"
    );
    assert!(r["sales"]["verified_gmv"].as_i64().unwrap() >= 0);
}

#[test]
fn lost_keys_are_not_silently_replaced_and_keys_stay_private_under_any_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("in.ndjson");
    fs::write(&file, events("k", 30)).unwrap();
    // The first ingest, under umask 000, makes the keys owner-only.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 000; exec {} --data {} ingest {}",
            env!("CARGO_BIN_EXE_liveledger"),
            data.display(),
            file.display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mode = |p: &str| fs::metadata(data.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("keys"), 0o700);
    assert_eq!(mode("keys/log.key"), 0o600);
    assert_eq!(mode("keys/pseudonym.key"), 0o600);

    let more = dir.path().join("more.ndjson");
    fs::write(&more, events("m", 30)).unwrap();
    let public = fs::read_to_string(data.join("keys/log.pub")).unwrap();
    for key in ["pseudonym.key", "log.key"] {
        let path = data.join("keys").join(key);
        let saved = fs::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let out = run(&data, &["ingest", more.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key) && err.contains("missing"), "{err}");
        assert!(!path.exists(), "no new {key} was made");
        assert_eq!(json(&run(&data, &["checkpoint", "--json"]))["size"], 30);
        fs::write(&path, saved).unwrap();
    }
    assert_eq!(
        fs::read_to_string(data.join("keys/log.pub")).unwrap(),
        public
    );
    assert!(run(&data, &["ingest", more.to_str().unwrap()])
        .status
        .success());
}
