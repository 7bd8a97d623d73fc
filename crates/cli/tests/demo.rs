//! `liveledger demo` from a clean directory: it simulates, logs, analyses
//! and reports, finds what the simulator planted, and never replaces a
//! directory it did not make.

mod common;

use common::{bin, json, run};

#[test]
fn the_demo_finds_what_was_planted_and_leaves_a_verifiable_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = bin()
        .args(["--json", "demo", "--scale", "0.0002", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    let sessions = summary["sessions"].as_array().unwrap();
    let flags = |name: &str| -> Vec<String> {
        let s = sessions.iter().find(|s| s["session"] == name).unwrap();
        assert!(
            std::path::Path::new(s["report"].as_str().unwrap()).exists(),
            "HTML report written"
        );
        s["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    assert!(flags("evening-clean").is_empty());
    for f in ["VIEWER_INFLATION", "BOT_VIEWERS"] {
        assert!(flags("evening-hype").contains(&f.to_string()));
    }
    for f in ["ORDER_BRUSHING", "REFUND_SURGE"] {
        assert!(flags("evening-ring").contains(&f.to_string()));
    }
    for f in [
        "CLAIM_CONTRADICTED",
        "CLAIM_MEDICAL",
        "CLAIM_BANNED_TERM",
        "CLAIM_UNAPPROVED",
        "PRODUCT_UNQUALIFIED",
    ] {
        assert!(flags("evening-nest").contains(&f.to_string()), "{f}");
    }
    // The log it left verifies, and the commands it suggests work.
    let data = dir.join("data");
    assert!(run(&data, &["verify"]).status.success());
    assert_eq!(
        json(&run(&data, &["--json", "sessions"]))["sessions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // Its complaints are cases with a decision.
    let cases = json(&run(&data, &["--json", "cases"]));
    assert!(!cases["cases"].as_array().unwrap().is_empty());
    // The product it suggests looking at: an approved claim a failed
    // inspection contradicts.
    let p = json(&run(
        &data,
        &["--json", "report", "product", "evening-nest-p6"],
    ));
    assert_eq!(p["qualifications"]["qualified"], false);
    assert!(p["claims"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["approved"] == true && c["findings"][0]["code"] == "CLAIM_CONTRADICTED"));

    // A rerun replaces its own directory; the human output says what was found.
    let out = bin()
        .args(["demo", "--scale", "0.0002", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("no flags") && text.contains("ORDER_BRUSHING") && text.contains("See more"),
        "{text}"
    );

    // Someone else's directory is never replaced.
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("precious.txt"), "keep").unwrap();
    let out = bin().args(["demo", "--dir"]).arg(&mine).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not made by `liveledger demo`"));
    assert!(mine.join("precious.txt").exists());
}

/// `demo --live`: the evening played to a service, alerts shown while it
/// plays, then the usual summary over the same log.
#[test]
fn the_live_demo_shows_alerts_while_the_evening_plays() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = bin()
        .args(["demo", "--scale", "0.0002", "--live", "3000", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let playing = text
        .find("alerts as they are raised")
        .expect("the live part");
    let alert = text
        .find("evening-hype")
        .expect("an alert for the bought traffic");
    let summary = text.find("■ evening-hype").expect("the summary");
    assert!(playing < alert && alert < summary, "{text}");
    assert!(
        text[playing..summary].contains("VIEWER_INFLATION"),
        "{text}"
    );
}
