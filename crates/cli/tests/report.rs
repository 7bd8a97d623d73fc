//! `report session` and `sessions` through the real binary, on simulated
//! sessions with known truth; the JSON and the terminal output are pinned
//! by golden files (regenerate with UPDATE_GOLDEN=1 after a deliberate change).

mod common;

use common::{golden, json, masked, run};
use serde_json::Value;

const FLAGGED: &str = "live-42";
const CLEAN: &str = "live-43";

/// Two simulated sessions, one with every authenticity problem, one clean, ingested.
fn ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (session, scenario, seed) in [
        (
            FLAGGED,
            "inflated-views,bot-farm,brushing-ring,refund-surge",
            "42",
        ),
        (CLEAN, "clean", "43"),
    ] {
        let file = dir.path().join(format!("{session}.ndjson"));
        let out = run(
            &data,
            &[
                "simulate",
                "--scenario",
                scenario,
                "--scale",
                "0.0001",
                "--seed",
                seed,
                "--session",
                session,
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(&data, &["ingest", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

#[test]
fn session_reports_match_their_golden_files_and_cite_the_log() {
    let dir = ledger();
    let data = dir.path().join("data");

    let out = run(&data, &["--json", "report", "session", FLAGGED]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report = json(&out);
    // The checkpoint is the log's latest signed one (its key differs per data dir).
    let cp = json(&run(&data, &["--json", "checkpoint"]));
    for k in ["origin", "size", "root", "checkpoint", "key"] {
        assert_eq!(report["checkpoint"][k], cp[k], "{k}");
    }
    report.as_object_mut().unwrap().remove("checkpoint");
    golden(
        "session-flagged.json",
        &(serde_json::to_string_pretty(&report).unwrap() + "\n"),
    );

    let codes: Vec<&str> = report["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for code in [
        "VIEWER_INFLATION",
        "BOT_VIEWERS",
        "ORDER_BRUSHING",
        "GMV_INFLATION",
        "REFUND_SURGE",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    // Every piece of evidence is a real log entry: prove it and compare.
    let first = &report["flags"][1]["evidence"][0];
    let out = run(&data, &["prove", first["event"].as_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(json(&out)["leaf_index"], first["leaf"]);

    let out = run(&data, &["report", "session", FLAGGED]);
    let text = String::from_utf8(out.stdout).unwrap();
    golden("session-flagged.txt", &masked(&text));
}

#[test]
fn a_clean_session_has_no_flags_and_sessions_lists_both() {
    let dir = ledger();
    let data = dir.path().join("data");
    let clean = json(&run(&data, &["--json", "report", "session", CLEAN]));
    assert_eq!(clean["flags"], Value::Array(vec![]), "{:#}", clean["flags"]);
    assert_eq!(clean["viewers"]["suspected_bots"], 0);
    let truth: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(format!("{CLEAN}.ndjson.truth.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        clean["viewers"]["observed_unique"],
        truth["real"]["unique_viewers"]
    );
    assert_eq!(clean["sales"]["verified_gmv"], truth["real"]["gmv"]);
    let text = String::from_utf8(run(&data, &["report", "session", CLEAN]).stdout).unwrap();
    assert!(text.contains("NO FLAGS"), "{text}");

    let list = json(&run(&data, &["--json", "sessions"]));
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let flagged = sessions.iter().find(|s| s["session"] == FLAGGED).unwrap();
    assert!(flagged["flags"].as_array().unwrap().len() >= 4);
    assert_eq!(
        flagged["flag_count"],
        flagged["flags"].as_array().unwrap().len()
    );
    assert!(sessions
        .iter()
        .any(|s| s["session"] == CLEAN && s["flags"] == Value::Array(vec![])));
    let table = String::from_utf8(run(&data, &["sessions"]).stdout).unwrap();
    assert!(
        table.contains(FLAGGED) && table.contains("BOT_VIEWERS(high)"),
        "{table}"
    );
}

#[test]
fn unknown_sessions_and_bad_rules_are_clear_errors() {
    let dir = ledger();
    let data = dir.path().join("data");
    let out = run(&data, &["report", "session", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no session \"nope\"") && err.contains(CLEAN),
        "{err}"
    );

    let rules = dir.path().join("rules.json");
    std::fs::write(&rules, r#"{"bot": {"convict_score": "high"}}"#).unwrap();
    let out = run(
        &data,
        &[
            "report",
            "session",
            CLEAN,
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bot.convict_score") && err.contains("rules.json"),
        "{err}"
    );

    // A stricter rule file changes the answer: every device-sharing viewer convicted.
    std::fs::write(&rules, r#"{"bot": {"convict_score": 0.1}}"#).unwrap();
    let strict = json(&run(
        &data,
        &[
            "--json",
            "report",
            "session",
            CLEAN,
            "--rules",
            rules.to_str().unwrap(),
        ],
    ));
    assert!(strict["viewers"]["suspected_bots"].as_u64().unwrap() > 0);
}

#[test]
fn a_misspelt_rule_key_is_refused_naming_the_key_and_the_file() {
    let dir = ledger();
    let data = dir.path().join("data");
    let rules = dir.path().join("misspelt-rules.json");
    for (text, key) in [
        (r#"{"bot": {"convict_scor": 0.9}}"#, "bot.convict_scor"),
        (r#"{"flagz": {}}"#, "flagz"),
        (
            r#"{"claims": {"banned": [{"term": "爆款", "rule": "P-1", "nte": "hot"}]}}"#,
            "nte",
        ),
    ] {
        std::fs::write(&rules, text).unwrap();
        let out = run(
            &data,
            &[
                "report",
                "session",
                CLEAN,
                "--rules",
                rules.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(key) && err.contains("misspelt-rules.json"),
            "{text}: {err}"
        );
    }
}

/// A rented audience, simulated with its other rooms and ingested through
/// the binary: the report names the cross-room signals; the rooms'
/// honest viewers and a bad knob are handled as they should be.
#[test]
fn a_rented_audience_is_found_across_rooms_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("rented.ndjson");
    let f = file.to_str().unwrap();
    let bad = run(
        &data,
        &[
            "simulate",
            "--scenario",
            "rented-audience",
            "--knob",
            "rental_rooms=many",
            "-o",
            f,
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("knob rental_rooms") && err.contains("whole number"),
        "{err}"
    );
    let args = [
        "simulate",
        "--scenario",
        "rented-audience",
        "--scale",
        "0.0002",
        "--seed",
        "9",
        "--session",
        "rent",
        "--knob",
        "rental_concurrent=false",
        "-o",
        f,
    ];
    assert!(run(&data, &args).status.success());
    assert!(run(&data, &["ingest", f]).status.success());
    let sessions = json(&run(&data, &["sessions", "--json"]));
    assert_eq!(
        sessions["sessions"].as_array().map(Vec::len),
        Some(4),
        "{sessions}"
    );
    let r = json(&run(&data, &["report", "session", "rent", "--json"]));
    let codes: Vec<&str> = r["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"BOT_VIEWERS"), "{codes:?}");
    let signals = &r["viewers"]["bot_signals"];
    assert!(signals["lockstep_rooms"].as_u64() > Some(1000), "{signals}");
    assert_eq!(signals["concurrent_rooms"].as_u64(), Some(0), "{signals}");
    // The other rooms are flagged for the rental they also hosted; their
    // own 1,846 viewers (a quarter of this session's) are not judged bots.
    let room = json(&run(&data, &["report", "session", "rent-room0", "--json"]));
    let v = &room["viewers"];
    let judged = v["suspected_bots"].as_u64().unwrap();
    assert!(
        judged > 1000 && judged + 1846 <= v["observed_unique"].as_u64().unwrap(),
        "{v}"
    );
}
