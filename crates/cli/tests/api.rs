//! The `/v1` API of api.md through the real server: tokens, roles and
//! scopes (401 / 403 / 404), ingest over HTTP, cases and their actions,
//! complaints, proofs, and the `access` record of who looked at what.

mod common;
use common::{issue, json, run, serve};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One request: status and body (JSON when it parses, else a string).
fn call(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let (status, _, body) = common::http(addr, method, path, &headers, body);
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).to_string()));
    (status, v)
}

fn get(addr: &str, path: &str, token: &str) -> (u16, Value) {
    call(addr, "GET", path, Some(token), b"")
}

fn post(addr: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(addr, "POST", path, Some(token), body.to_string().as_bytes())
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson")
}

/// The evening of `examples/` (session s1 on douyin, anchor a1 of mcn-fn,
/// merchant m1) with one of m2's p2 sold in it too; and, on taobao, session
/// s2 of anchor a2 selling m2's p2.
fn second_platform() -> String {
    [
        r#"{"type":"merchant_registered","id":"x-m2","at":"2020-03-20T10:00:00+08:00","merchant":"m2","name":"Other Co."}"#,
        r#"{"type":"anchor_registered","id":"x-a2","at":"2020-03-20T10:00:00+08:00","anchor":"a2","name":"B","mcn":"mcn-other"}"#,
        r#"{"type":"product_registered","id":"x-p2","at":"2020-03-21T10:00:00+08:00","product":"p2","merchant":"m2","name":"Towel","category":"household"}"#,
        r#"{"type":"session_started","id":"x-s2","at":"2020-04-02T20:00:00+08:00","session":"s2","anchor":"a2","platform":"taobao"}"#,
        r#"{"type":"product_listed","id":"x-l2","at":"2020-04-02T20:01:00+08:00","session":"s2","product":"p2","price":1000,"currency":"CNY"}"#,
        r#"{"type":"order_placed","id":"x-o2","at":"2020-04-02T20:03:00+08:00","session":"s2","order":"t1","product":"p2","account":"u000","quantity":1,"amount":1000,"currency":"CNY"}"#,
        r#"{"type":"product_listed","id":"x-l3","at":"2020-04-01T20:05:00+08:00","session":"s1","product":"p2","price":500,"currency":"CNY"}"#,
        r#"{"type":"order_placed","id":"x-o3","at":"2020-04-01T20:06:00+08:00","session":"s1","order":"t2","product":"p2","account":"u001","quantity":1,"amount":500,"currency":"CNY"}"#,
        r#"{"type":"complaint","id":"x-k2","at":"2020-04-10T10:00:00+08:00","complaint":"k2","order":"t1","category":"quality","text":"frayed"}"#,
    ]
    .join("\n")
        + "\n"
}

#[test]
fn every_party_sees_its_own_part_and_what_it_saw_is_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let more = dir.path().join("more.ndjson");
    std::fs::write(&more, second_platform()).unwrap();
    let out = run(
        &data,
        &[
            "ingest",
            examples().to_str().unwrap(),
            more.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");

    let regulator = issue(&data, "regulator", None, "samr");
    let douyin = issue(&data, "platform", Some("douyin"), "douyin-ts");
    let taobao = issue(&data, "platform", Some("taobao"), "taobao-ts");
    let mcn = issue(&data, "mcn", Some("mcn-fn"), "fn-agency");
    let m1 = issue(&data, "merchant", Some("m1"), "xinyan");
    let a2 = issue(&data, "anchor", Some("a2"), "anchor-b");
    let buyer = issue(&data, "consumer", Some("u000"), "buyer-0");
    let producer = issue(&data, "producer", Some("douyin"), "douyin-feed");
    // Scope rules are checked when issuing.
    assert_eq!(
        run(&data, &["token", "issue", "--role", "merchant"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(
            &data,
            &["token", "issue", "--role", "regulator", "--scope", "x"]
        )
        .status
        .code(),
        Some(2)
    );
    let (_server, addr) = serve(&data, &[]);
    let addr = addr.as_str();

    // No token, a bad one: 401, in the contract's error shape.
    let (status, v) = call(addr, "GET", "/v1/sessions", None, b"");
    assert_eq!(status, 401);
    assert_eq!(v["error"]["code"], "unauthorized");
    assert_eq!(get(addr, "/v1/sessions", "ll_nope").0, 401);

    // Sessions within scope.
    let sessions = |t: &str| -> Vec<String> {
        let (status, v) = get(addr, "/v1/sessions", t);
        assert_eq!(status, 200, "{v}");
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["session"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(sessions(&regulator), ["s2", "s1"], "newest first");
    assert_eq!(sessions(&douyin), ["s1"]);
    assert_eq!(sessions(&taobao), ["s2"]);
    assert_eq!(sessions(&mcn), ["s1"]);
    assert_eq!(sessions(&m1), ["s1"]);
    assert_eq!(sessions(&a2), ["s2"]);
    assert!(sessions(&buyer).is_empty() && sessions(&producer).is_empty());
    let (_, rows) = get(addr, "/v1/sessions", &regulator);
    let s1 = &rows[1];
    for key in [
        "anchor",
        "platform",
        "started",
        "ended",
        "verified_gmv",
        "estimated_real",
    ] {
        assert!(s1.get(key).is_some(), "{key} in {s1}");
    }
    assert!(s1["flags"].as_array().unwrap().iter().all(Value::is_string));

    // A session report: the same answer as the command line; out of scope is 404.
    let (status, report) = get(addr, "/v1/sessions/s1/report", &douyin);
    assert_eq!(status, 200, "{report}");
    let cli = json(&run(&data, &["--json", "report", "session", "s1"]));
    assert_eq!(report["sales"], cli["sales"]);
    assert_eq!(report["flags"], cli["flags"]);
    assert_eq!(get(addr, "/v1/sessions/s1/report", &taobao).0, 404);
    assert_eq!(get(addr, "/v1/sessions/nope/report", &regulator).0, 404);
    // A merchant sees its own sales only: s1 sold m1's p1 and one of m2's p2.
    let placed = |t: &str| {
        let (status, v) = get(addr, "/v1/sessions/s1/report", t);
        assert_eq!(status, 200, "{v}");
        v["sales"]["placed_gmv"].as_i64().unwrap()
    };
    let m2 = issue(&data, "merchant", Some("m2"), "other-co");
    let all = report["sales"]["placed_gmv"].as_i64().unwrap();
    assert_eq!(placed(&m2), 500);
    assert_eq!(placed(&m1), all - 500);

    // Products: the merchant's own, and those listed on a platform's sessions.
    assert_eq!(get(addr, "/v1/products/p1/report", &m1).0, 200);
    assert_eq!(get(addr, "/v1/products/p2/report", &m1).0, 404);
    assert_eq!(get(addr, "/v1/products/p2/report", &taobao).0, 200);
    assert_eq!(get(addr, "/v1/products/p1/report", &a2).0, 404);

    // Listing checks: for the anchor itself, the agency's anchors, the
    // merchant's products; a platform may not ask.
    let check = |t: &str, product: &str, anchor: &str| {
        post(
            addr,
            "/v1/listing-checks",
            t,
            json!({"product": product, "anchor": anchor}),
        )
        .0
    };
    assert_eq!(check(&a2, "p2", "a2"), 200);
    assert_eq!(check(&a2, "p1", "a1"), 404);
    assert_eq!(check(&mcn, "p1", "a1"), 200);
    assert_eq!(check(&m1, "p1", "a2"), 200);
    assert_eq!(check(&douyin, "p1", "a1"), 403);
    let (status, v) = post(
        addr,
        "/v1/listing-checks",
        &regulator,
        json!({"product": "p1"}),
    );
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("anchor"),
        "{v}"
    );

    // Cases: each party's own.
    let cases = |t: &str| -> Vec<String> {
        let (status, v) = get(addr, "/v1/cases", t);
        assert_eq!(status, 200, "{v}");
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["case"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(cases(&regulator), ["c-k1", "c-k2"]);
    assert_eq!(cases(&douyin), ["c-k1"]);
    assert_eq!(cases(&taobao), ["c-k2"]);
    assert_eq!(cases(&m1), ["c-k1"]);
    assert_eq!(cases(&buyer), ["c-k1", "c-k2"], "u000 bought o0 and t1");
    // A page of the queue: how many in all, then the ones asked for.
    let (_, page) = get(addr, "/v1/cases?limit=1&offset=1", &regulator);
    assert_eq!(page["total"], 2);
    assert_eq!(page["cases"].as_array().unwrap().len(), 1);
    assert_eq!(page["cases"][0]["case"], "c-k2");
    assert_eq!(get(addr, "/v1/cases/c-k2", &douyin).0, 404);
    assert_eq!(get(addr, "/v1/cases/c-k2", &taobao).0, 200);

    // Actions: the role decides (403), the status the order (409).
    let act = |t: &str, case: &str, action: &str| {
        post(
            addr,
            &format!("/v1/cases/{case}/actions"),
            t,
            json!({"action": action, "note": "checked"}),
        )
    };
    assert_eq!(act(&m1, "c-k1", "decide").0, 403);
    assert_eq!(act(&douyin, "c-k2", "decide").0, 404);
    assert_eq!(act(&douyin, "c-k1", "fly").0, 400);
    let (status, v) = act(&douyin, "c-k1", "decide");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "decided");
    let actor = v["history"].as_array().unwrap().last().unwrap()["actor"].clone();
    assert_eq!(actor, "douyin-ts", "the token's name is the actor");
    // The consumer may not remedy (403); the platform may not remedy a case
    // that is not decided (409): c-k2 is open.
    assert_eq!(act(&buyer, "c-k1", "remedy").0, 403);
    let (status, v) = act(&taobao, "c-k2", "remedy");
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "conflict");

    // Complaints: a consumer, on its own order only.
    let (status, v) = post(
        addr,
        "/v1/complaints",
        &buyer,
        json!({"order": "o5", "category": "quality"}),
    );
    assert_eq!(status, 404, "{v}");
    let (status, v) = post(
        addr,
        "/v1/complaints",
        &m1,
        json!({"order": "o0", "category": "quality"}),
    );
    assert_eq!(status, 403, "{v}");
    let (status, v) = post(
        addr,
        "/v1/complaints",
        &buyer,
        json!({"order": "o0", "category": "counterfeit", "text": "fake"}),
    );
    assert_eq!(status, 200, "{v}");
    let new_case = v["case"].as_str().unwrap().to_string();
    assert!(cases(&buyer).contains(&new_case) && cases(&douyin).contains(&new_case));
    let (status, _) = post(
        addr,
        "/v1/complaints",
        &buyer,
        json!({"order": "o0", "category": "bad"}),
    );
    assert_eq!(status, 400);

    // Ingest over HTTP: a producer sends its own platform's events; a line
    // about another platform's session is rejected with its line number.
    let body = [
        r#"{"type":"comment","id":"h1","at":"2020-04-01T20:30:00+08:00","session":"s1","account":"u9","text":"hi"}"#,
        r#"{"type":"comment","id":"h2","at":"2020-04-02T20:30:00+08:00","session":"s2","account":"u9","text":"hi"}"#,
        r#"not json"#,
    ]
    .join("\n");
    let (status, v) = call(addr, "POST", "/v1/events", Some(&producer), body.as_bytes());
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(v["errors"][0]["line"], 2);
    assert!(
        v["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("taobao"),
        "{v}"
    );
    assert_eq!(v["errors"][1]["line"], 3);
    assert_eq!(
        v["checkpoint"]["size"],
        json!(v["checkpoint"]["size"].as_u64().unwrap())
    );
    assert_eq!(call(addr, "POST", "/v1/events", Some(&m1), b"").0, 403);
    // The comment is in the answers at once.
    let (_, r) = get(addr, "/v1/sessions/s1/report", &regulator);
    assert_eq!(r["events"], report["events"].as_u64().unwrap() + 1);

    // Interventions: by the regulator or the session's platform, logged.
    let stop = json!({"action": "take_off_sale", "product": "p1", "reason": "sugar water"});
    let (status, v) = post(addr, "/v1/sessions/s1/interventions", &douyin, stop.clone());
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["type"].as_str(), v["actor"].as_str()),
        (Some("intervention"), Some("douyin-ts"))
    );
    assert_eq!(
        get(
            addr,
            &format!("/v1/proofs/{}", v["id"].as_str().unwrap()),
            &regulator
        )
        .0,
        200
    );
    assert_eq!(
        post(addr, "/v1/sessions/s1/interventions", &taobao, stop.clone()).0,
        404
    );
    assert_eq!(
        post(addr, "/v1/sessions/s1/interventions", &mcn, stop).0,
        403
    );
    let bad = json!({"action": "ban_forever", "reason": "x"});
    assert_eq!(
        post(addr, "/v1/sessions/s1/interventions", &regulator, bad).0,
        400
    );
    // Taken off sale in a1's room: the gate refuses p1 there until reinstated.
    let gate = |product: &str| {
        let (status, v) = post(
            addr,
            "/v1/listing-checks",
            &regulator,
            json!({"product": product, "anchor": "a1"}),
        );
        assert_eq!(status, 200, "{v}");
        let codes: Vec<String> = v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect();
        codes
    };
    assert!(gate("p1").contains(&"TAKEN_OFF_SALE".to_string()));
    assert!(
        !gate("p2").contains(&"TAKEN_OFF_SALE".to_string()),
        "another product stays on sale"
    );
    let back = json!({"action": "reinstate", "product": "p1", "reason": "relabelled"});
    assert_eq!(
        post(addr, "/v1/sessions/s1/interventions", &douyin, back).0,
        200
    );
    assert!(!gate("p1").contains(&"TAKEN_OFF_SALE".to_string()));
    let suspend = json!({"action": "suspend", "reason": "repeated false claims"});
    assert_eq!(
        post(addr, "/v1/sessions/s1/interventions", &regulator, suspend).0,
        200
    );
    assert!(gate("p2").contains(&"ROOM_SUSPENDED".to_string()));
    // The session report shows them, in order.
    let (_, r) = get(addr, "/v1/sessions/s1/report", &regulator);
    let acts: Vec<&str> = r["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(acts, ["take_off_sale", "reinstate", "suspend"]);

    // Proofs: of events in scope.
    assert_eq!(get(addr, "/v1/proofs/x-o2", &taobao).0, 200);
    assert_eq!(get(addr, "/v1/proofs/x-o2", &douyin).0, 404);
    assert_eq!(get(addr, "/v1/proofs/x-o2", &buyer).0, 200);
    assert_eq!(get(addr, "/v1/proofs/s1-o-5", &buyer).0, 404);
    let (status, bundle) = get(addr, "/v1/proofs/x-o2", &regulator);
    assert_eq!(status, 200);
    let p = dir.path().join("b.json");
    std::fs::write(&p, bundle.to_string()).unwrap();
    assert_eq!(
        run(Path::new("/nonexistent"), &["verify", p.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    // Unknown routes, health and metrics.
    assert_eq!(get(addr, "/v1/nothing", &regulator).0, 404);
    let (status, h) = call(addr, "GET", "/healthz", None, b"");
    assert_eq!((status, h["ok"].clone()), (200, json!(true)));
    let (status, m) = call(addr, "GET", "/metrics", None, b"");
    assert_eq!(status, 200);
    let m = m.as_str().unwrap().to_string();
    assert!(
        m.contains(r#"liveledger_http_requests_total{route="/v1/cases",status="200"}"#),
        "{m}"
    );
    assert!(m.contains("liveledger_http_request_duration_seconds_bucket"));
    assert!(m.contains("liveledger_events_accepted_total 1"));

    // Who looked at what is in the log.
    drop(_server);
    let accesses = access_events(&data);
    assert!(accesses
        .iter()
        .any(|a| a["actor"] == "douyin-ts" && a["resource"] == "/v1/sessions/s1/report"));
    assert!(accesses.iter().any(|a| a["actor"] == "buyer-0"
        && a["role"] == "consumer"
        && a["resource"] == "/v1/cases"));
    assert!(accesses
        .iter()
        .any(|a| a["actor"] == "samr" && a["resource"] == "/v1/proofs/x-o2"));
    // A refused request shows nothing, so records nothing.
    assert!(!accesses
        .iter()
        .any(|a| a["actor"] == "taobao-ts" && a["resource"] == "/v1/sessions/s1/report"));
}

/// The `access` events in the log.
fn access_events(data: &Path) -> Vec<Value> {
    let reader = tlog::LogReader::open(
        &data.join("log"),
        &tlog::NoteVerifier::from_vkey(
            &std::fs::read_to_string(data.join("keys/log.pub")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    reader
        .for_each_entry(0, reader.size(), |_, e| {
            let v: Value = serde_json::from_slice(e).unwrap();
            if v["type"] == "access" {
                out.push(v);
            }
            Ok(())
        })
        .unwrap();
    out
}

/// A data directory holding the example evening, and a producer token
/// for douyin ("feed").
fn evening_with_a_feed() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run(&data, &["ingest", examples().to_str().unwrap()])
        .status
        .success());
    let t = issue(&data, "producer", Some("douyin"), "feed");
    (dir, t)
}

#[test]
fn a_revoked_token_is_refused_at_once_and_bodies_have_a_limit() {
    let (dir, t) = evening_with_a_feed();
    let data = dir.path().join("data");
    let (_server, addr) = serve(&data, &["--max-body", "1000"]);
    let line = r#"{"type":"comment","id":"z1","at":"2020-04-01T20:30:00+08:00","session":"s1","account":"u9","text":"hi"}"#;
    assert_eq!(
        call(&addr, "POST", "/v1/events", Some(&t), line.as_bytes()).0,
        200
    );
    let big = format!("{line}\n").repeat(20);
    let (status, v) = call(&addr, "POST", "/v1/events", Some(&t), big.as_bytes());
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_large");
    assert!(run(&data, &["token", "revoke", "feed"]).status.success());
    assert_eq!(
        call(&addr, "POST", "/v1/events", Some(&t), line.as_bytes()).0,
        401
    );
    assert_eq!(
        run(&data, &["token", "revoke", "nobody"]).status.code(),
        Some(2)
    );
}

/// Bodies sent at once on several connections are committed together
/// (group commit), yet each request hears only about its own lines: its
/// counts, its bad line by its own line number, its repeat as a duplicate.
#[test]
fn bodies_sent_at_once_each_get_their_own_report() {
    let (dir, t) = evening_with_a_feed();
    let data = dir.path().join("data");
    let (_server, addr) = serve(&data, &[]);
    // Sender k's first body: 300 events, then a bad line (301), then its
    // first line again (302).
    let body = |k: usize| {
        let mut body = common::events(&format!("g{k}-"), 300);
        let first = body.lines().next().unwrap().to_string();
        body.push_str(&format!(
            "{{\"type\":\"comment\",\"id\":\"g{k}-bad\"}}\n{first}\n"
        ));
        body
    };
    let senders: Vec<_> = (0..8)
        .map(|k| {
            let (addr, t, first) = (addr.clone(), t.clone(), body(k));
            std::thread::spawn(move || {
                let mut reports = vec![call(
                    &addr,
                    "POST",
                    "/v1/events",
                    Some(&t),
                    first.as_bytes(),
                )];
                for round in 1..3 {
                    let b = common::events(&format!("g{k}-r{round}-"), 50);
                    reports.push(call(&addr, "POST", "/v1/events", Some(&t), b.as_bytes()));
                }
                reports
            })
        })
        .collect();
    let counts = |v: &Value| {
        (
            v["accepted"].as_u64(),
            v["duplicates"].as_u64(),
            v["rejected"].as_u64(),
        )
    };
    for (k, s) in senders.into_iter().enumerate() {
        let reports = s.join().unwrap();
        let (status, v) = &reports[0];
        assert_eq!(*status, 200, "{v}");
        assert_eq!(counts(v), (Some(300), Some(1), Some(1)), "sender {k}: {v}");
        let errors = v["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{v}");
        assert_eq!(errors[0]["line"], 301, "{v}");
        assert_eq!(errors[0]["id"], format!("g{k}-bad"), "{v}");
        for (status, v) in &reports[1..] {
            assert_eq!(
                (*status, counts(v)),
                (200, (Some(50), Some(0), Some(0))),
                "{v}"
            );
        }
    }
    // Each is in the log once: sent again, every line is a duplicate.
    for k in 0..8 {
        let (status, v) = call(&addr, "POST", "/v1/events", Some(&t), body(k).as_bytes());
        assert_eq!(
            (status, counts(&v)),
            (200, (Some(0), Some(301), Some(1))),
            "{v}"
        );
    }
    let out = run(&data, &["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `/openapi.json` is built with the router: every path of api.md that is
/// served is in it, and each documented request example is accepted by
/// its endpoint (a schema that drifted from the handler would be refused).
#[test]
fn the_openapi_document_matches_what_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run(&data, &["ingest", examples().to_str().unwrap()])
        .status
        .success());
    let regulator = issue(&data, "regulator", None, "samr");
    let buyer = issue(&data, "consumer", Some("u000"), "buyer");
    let feed = issue(&data, "producer", Some("douyin"), "feed");
    let (_server, addr) = serve(&data, &[]);
    let (status, doc) = call(&addr, "GET", "/openapi.json", None, b"");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in [
        ("post", "/v1/events"),
        ("get", "/v1/sessions"),
        ("get", "/v1/sessions/{id}/report"),
        ("get", "/v1/products/{id}/report"),
        ("post", "/v1/listing-checks"),
        ("get", "/v1/cases"),
        ("get", "/v1/cases/{id}"),
        ("post", "/v1/cases/{id}/actions"),
        ("post", "/v1/complaints"),
        ("get", "/v1/proofs/{event_id}"),
        ("post", "/v1/sessions/{id}/interventions"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
    }
    for (method, path, example) in ledger::service::api::routes().examples() {
        let concrete = path.replace("{id}", if path.contains("cases") { "c-k1" } else { "s1" });
        let (token, media) = match path {
            "/v1/complaints" => (&buyer, "application/json"),
            "/v1/events" => (&feed, "application/x-ndjson"),
            _ => (&regulator, "application/json"),
        };
        // NDJSON is documented as a string: sent as it is.
        let sent = example
            .as_str()
            .map_or_else(|| example.to_string(), str::to_string);
        let (status, v) = call(
            &addr,
            method.as_str(),
            &concrete,
            Some(token),
            sent.as_bytes(),
        );
        assert_eq!(status, 200, "{method} {concrete} {example}: {v}");
        if path == "/v1/events" {
            assert_eq!(v["accepted"], 1, "{v}");
        }
        let documented = &doc["paths"][path][method.as_str().to_ascii_lowercase()];
        assert_eq!(
            documented["requestBody"]["content"][media]["example"],
            example
        );
    }
}

/// `ingest --url`: a file sent to the service in batches, its rejections
/// named by their line in the file; `intervene` from the command line.
#[test]
fn a_file_goes_to_the_service_in_batches_and_the_command_line_intervenes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("e.ndjson");
    let mut lines: Vec<String> = common::events("u", 12_000)
        .lines()
        .map(str::to_string)
        .collect();
    lines[10_999] = "not json".into();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (server, addr) = serve(&data, &[]);
    let feed = issue(&data, "producer", Some("douyin"), "feed");
    let out = run(
        &data,
        &[
            "--json",
            "ingest",
            file.to_str().unwrap(),
            "--url",
            &format!("http://{addr}"),
            "--token",
            &feed,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(11_999), Some(1))
    );
    assert_eq!(
        v["errors"][0]["line"], 11_000,
        "the line in the file, across batches"
    );
    drop(server);

    assert!(run(&data, &["ingest", examples().to_str().unwrap()])
        .status
        .success());
    let gate = |data: &Path| {
        run(
            data,
            &[
                "--json",
                "check",
                "listing",
                "--product",
                "p1",
                "--anchor",
                "a1",
            ],
        )
    };
    assert!(!String::from_utf8_lossy(&gate(&data).stdout).contains("TAKEN_OFF_SALE"));
    let out = run(
        &data,
        &[
            "intervene",
            "s1",
            "take_off_sale",
            "--product",
            "p1",
            "--reason",
            "lab report",
            "--actor",
            "samr",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v = json(&gate(&data));
    assert_eq!(v["allowed"], false);
    assert!(v.to_string().contains("TAKEN_OFF_SALE"), "{v}");
    assert_eq!(
        run(
            &data,
            &["intervene", "s1", "ban", "--reason", "x", "--actor", "y"]
        )
        .status
        .code(),
        Some(2)
    );
}
