//! The authorisation matrix of api.md, cell by cell: every role (and no
//! token) × every endpoint × a resource in the token's scope and one
//! outside it, against the real server. A cell that answers other than the
//! table says fails the test, naming the cell.

mod common;
use common::{issue, run, serve, wait_until, Database};
use serde_json::Value;
use std::path::Path;

/// The example evening (s1 on douyin: anchor a1 of mcn-fn, merchant m1's
/// p1, case c-k1 on u000's order o0) and another platform's session that
/// no scoped token below reaches (s2 on taobao: anchor a2 of mcn-other,
/// m2's p3, case c-k2 on u009's order t1).
fn evening() -> String {
    let other = [
        r#"{"type":"merchant_registered","id":"z-m2","at":"2020-03-20T10:00:00+08:00","merchant":"m2","name":"Other Co."}"#,
        r#"{"type":"anchor_registered","id":"z-a2","at":"2020-03-20T10:00:00+08:00","anchor":"a2","name":"B","mcn":"mcn-other"}"#,
        r#"{"type":"product_registered","id":"z-p3","at":"2020-03-21T10:00:00+08:00","product":"p3","merchant":"m2","name":"Towel","category":"household"}"#,
        r#"{"type":"session_started","id":"z-s2","at":"2020-04-02T20:00:00+08:00","session":"s2","anchor":"a2","platform":"taobao"}"#,
        r#"{"type":"product_listed","id":"z-l3","at":"2020-04-02T20:01:00+08:00","session":"s2","product":"p3","price":1000,"currency":"CNY"}"#,
        r#"{"type":"order_placed","id":"z-o1","at":"2020-04-02T20:03:00+08:00","session":"s2","order":"t1","product":"p3","account":"u009","quantity":1,"amount":1000,"currency":"CNY"}"#,
        r#"{"type":"complaint","id":"z-k2","at":"2020-04-10T10:00:00+08:00","complaint":"k2","order":"t1","category":"quality","text":"frayed"}"#,
    ];
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson");
    std::fs::read_to_string(examples).unwrap() + &other.join("\n") + "\n"
}

/// The columns of the table.
const WHO: [&str; 8] = [
    "no token",
    "regulator",
    "platform",
    "mcn",
    "merchant",
    "anchor",
    "consumer",
    "producer",
];

/// What a role may do to a case it sees (escalate and dispute apply in
/// every state but closed), and what it may not.
fn case_actions(who: &str) -> (&'static str, &'static str) {
    match who {
        "regulator" | "platform" => ("escalate", "dispute"),
        "consumer" => ("escalate", "decide"),
        "mcn" | "anchor" => ("dispute", "escalate"),
        "merchant" => ("dispute", "decide"),
        _ => ("escalate", "decide"),
    }
}

struct Row {
    what: &'static str,
    method: &'static str,
    /// Path and body for a resource in scope, then for one outside it
    /// (`{action}`/`{forbidden}` are the column's case actions).
    inside: (&'static str, &'static str),
    outside: (&'static str, &'static str),
    expect_inside: [u16; 8],
    expect_outside: [u16; 8],
}

#[test]
fn the_authorisation_matrix_holds_cell_by_cell() {
    let (_dir, data, tokens) = evening_with_tokens();
    let (_server, addr) = serve(&data, &[]);
    matrix(&addr, &tokens);
}

/// The same matrix on a node that only reads, from PostgreSQL: reads
/// answered from the projections, writes forwarded to the appender.
#[test]
fn the_matrix_holds_on_a_reading_node_over_postgresql() {
    let Some(db) = Database::create("authz") else {
        return;
    };
    let (dir, data, tokens) = evening_with_tokens();
    let url = db.url();
    let (_appender, _) = serve(&data, &["--database", &url]);
    let elsewhere = dir.path().join("reader");
    let (_reader, addr) = serve(&elsewhere, &["--database", &url, "--reader"]);
    let regulator = tokens[1].as_deref();
    wait_until(20, "the first projection", || {
        let (status, v) = call(&addr, "GET", "/v1/sessions", regulator, b"");
        status == 200 && v.as_array().is_some_and(|a| a.len() == 2)
    });
    matrix(&addr, &tokens);
    assert!(!elsewhere.join("log").exists(), "a reader keeps no log");
}

/// The evening ingested, and a token per column of the table.
fn evening_with_tokens() -> (tempfile::TempDir, std::path::PathBuf, Vec<Option<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("evening.ndjson");
    std::fs::write(&file, evening()).unwrap();
    let out = run(&data, &["ingest", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let scopes = [
        None,
        Some(("regulator", None)),
        Some(("platform", Some("douyin"))),
        Some(("mcn", Some("mcn-fn"))),
        Some(("merchant", Some("m1"))),
        Some(("anchor", Some("a1"))),
        Some(("consumer", Some("u000"))),
        Some(("producer", Some("douyin"))),
    ];
    let tokens: Vec<Option<String>> = scopes
        .iter()
        .map(|s| s.map(|(role, scope)| issue(&data, role, scope, &format!("m-{role}"))))
        .collect();
    (dir, data, tokens)
}

fn matrix(addr: &str, tokens: &[Option<String>]) {
    const ALL: [u16; 8] = [401, 200, 200, 200, 200, 200, 200, 200];
    const ONLY_REGULATOR: [u16; 8] = [401, 200, 404, 404, 404, 404, 404, 404];
    let rows = [
        Row {
            what: "list sessions",
            method: "GET",
            inside: ("/v1/sessions", ""),
            outside: ("/v1/sessions?flag=none", ""),
            expect_inside: ALL,
            expect_outside: ALL,
        },
        Row {
            what: "session report",
            method: "GET",
            inside: ("/v1/sessions/s1/report", ""),
            outside: ("/v1/sessions/s2/report", ""),
            expect_inside: [401, 200, 200, 200, 200, 200, 404, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "product report",
            method: "GET",
            inside: ("/v1/products/p1/report", ""),
            outside: ("/v1/products/p3/report", ""),
            // An MCN and an anchor see sessions and cases, not product reports.
            expect_inside: [401, 200, 200, 404, 200, 404, 404, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "listing check",
            method: "POST",
            inside: ("/v1/listing-checks", r#"{"product":"p1","anchor":"a1"}"#),
            outside: ("/v1/listing-checks", r#"{"product":"p3","anchor":"a2"}"#),
            expect_inside: [401, 200, 403, 200, 200, 200, 403, 403],
            expect_outside: [401, 200, 403, 404, 404, 404, 403, 403],
        },
        Row {
            what: "list cases",
            method: "GET",
            inside: ("/v1/cases", ""),
            outside: ("/v1/cases?session=s2", ""),
            expect_inside: ALL,
            expect_outside: ALL,
        },
        Row {
            what: "one case",
            method: "GET",
            inside: ("/v1/cases/c-k1", ""),
            outside: ("/v1/cases/c-k2", ""),
            expect_inside: [401, 200, 200, 200, 200, 200, 200, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "case action the role may take",
            method: "POST",
            inside: ("/v1/cases/c-k1/actions", r#"{"action":"{action}"}"#),
            outside: ("/v1/cases/c-k2/actions", r#"{"action":"{action}"}"#),
            expect_inside: [401, 200, 200, 200, 200, 200, 200, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "case action the role may not take",
            method: "POST",
            inside: ("/v1/cases/c-k1/actions", r#"{"action":"{forbidden}"}"#),
            outside: ("/v1/cases/c-k2/actions", r#"{"action":"{forbidden}"}"#),
            expect_inside: [401, 403, 403, 403, 403, 403, 403, 404],
            expect_outside: [401, 403, 404, 404, 404, 404, 404, 404],
        },
        Row {
            what: "complaint",
            method: "POST",
            inside: (
                "/v1/complaints",
                r#"{"order":"o0","category":"quality","text":"cracked"}"#,
            ),
            outside: (
                "/v1/complaints",
                r#"{"order":"t1","category":"quality","text":"not mine"}"#,
            ),
            expect_inside: [401, 403, 403, 403, 403, 403, 200, 403],
            expect_outside: [401, 403, 403, 403, 403, 403, 404, 403],
        },
        Row {
            what: "proof",
            method: "GET",
            inside: ("/v1/proofs/s1-o-0", ""),
            outside: ("/v1/proofs/z-o1", ""),
            expect_inside: [401, 200, 200, 200, 200, 200, 200, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "intervention",
            method: "POST",
            inside: (
                "/v1/sessions/s1/interventions",
                r#"{"action":"warn","reason":"matrix"}"#,
            ),
            outside: (
                "/v1/sessions/s2/interventions",
                r#"{"action":"warn","reason":"matrix"}"#,
            ),
            expect_inside: [401, 200, 200, 403, 403, 403, 404, 404],
            expect_outside: ONLY_REGULATOR,
        },
        Row {
            what: "alerts",
            method: "GET",
            inside: ("/v1/alerts", ""),
            outside: ("/v1/alerts?session=s2", ""),
            expect_inside: ALL,
            expect_outside: ALL,
        },
        Row {
            what: "events",
            method: "POST",
            inside: (
                "/v1/events",
                r#"{"type":"viewer_joined","id":"m-{who}-in","at":"2020-04-01T21:00:00+08:00","session":"s1","account":"m-{who}"}"#,
            ),
            // Another platform's session: a rejected line, not a refused request.
            outside: (
                "/v1/events",
                r#"{"type":"viewer_joined","id":"m-{who}-out","at":"2020-04-02T21:00:00+08:00","session":"s2","account":"m-{who}"}"#,
            ),
            expect_inside: [401, 403, 200, 403, 403, 403, 403, 200],
            expect_outside: [401, 403, 200, 403, 403, 403, 403, 200],
        },
    ];

    let mut wrong = Vec::new();
    let mut cells = 0;
    for row in &rows {
        for (side, (path, body), expect) in [
            ("in scope", row.inside, &row.expect_inside),
            ("out of scope", row.outside, &row.expect_outside),
        ] {
            for (col, who) in WHO.iter().enumerate() {
                let (action, forbidden) = case_actions(who);
                let body = body
                    .replace("{action}", action)
                    .replace("{forbidden}", forbidden)
                    .replace("{who}", who.split(' ').next().unwrap());
                let token = tokens[col].as_deref();
                let (status, v) = call(addr, row.method, path, token, body.as_bytes());
                cells += 1;
                if status != expect[col] {
                    wrong.push(format!(
                        "{} {side} ({} {path}) as {who}: {status}, api.md says {}: {:.200}",
                        row.what,
                        row.method,
                        expect[col],
                        v.to_string()
                    ));
                }
                // Inside a 200, scope still holds: another platform's line is rejected.
                if row.what == "events" && status == 200 {
                    let accepted = if side == "in scope" { 1 } else { 0 };
                    if v["accepted"] != accepted {
                        wrong.push(format!("events {side} as {who}: {v}"));
                    }
                }
                if status != 200 && status != 0 && v["error"]["code"].as_str().is_none() {
                    wrong.push(format!(
                        "{} {side} as {who}: not the error shape: {v}",
                        row.what
                    ));
                }
            }
        }
    }
    assert_eq!(cells, rows.len() * 2 * WHO.len());
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn call(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b.as_str()));
    }
    let (status, _, bytes) = common::http(addr, method, path, &headers, body);
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}
