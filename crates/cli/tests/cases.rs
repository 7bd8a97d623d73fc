//! Who answers for it, and what is owed: `cases`, `case`, product exposure,
//! through the real binary.

mod common;

use common::{json, run};
use serde_json::Value;
use std::path::Path;

const REGISTRY: &str = r#"{"type":"merchant_registered","id":"w-1","at":"2020-10-01T10:00:00+08:00","merchant":"m-yan","name":"Yan Food Co."}
{"type":"anchor_registered","id":"w-2","at":"2020-10-01T10:00:00+08:00","anchor":"a-xin","name":"Xin","verified":true}
{"type":"product_registered","id":"w-3","at":"2020-10-02T10:00:00+08:00","product":"p-nest","merchant":"m-yan","name":"Instant bird's nest","category":"food","attributes":{"bird_nest_g":2},"qualifications":[{"kind":"SC","number":"SC11744030600123"}]}
{"type":"product_registered","id":"w-4","at":"2020-10-02T10:00:00+08:00","product":"p-jug","merchant":"m-yan","name":"Kettle","category":"household","attributes":{"capacity_ml":500}}
{"type":"agreement","id":"w-5","at":"2020-10-05T10:00:00+08:00","agreement":"g1","anchor":"a-xin","merchant":"m-yan","product":"p-nest","seller":"merchant","approved_claims":["每碗燕窝含量足2克"]}
{"type":"agreement","id":"w-6","at":"2020-10-05T10:00:00+08:00","agreement":"g2","anchor":"a-xin","merchant":"m-yan","product":"p-jug","seller":"merchant","approved_claims":["Holds a full 500 ml"]}
{"type":"session_started","id":"w-10","at":"2020-11-01T20:00:00+08:00","session":"s1","anchor":"a-xin","platform":"kuaishou"}
{"type":"product_listed","id":"w-11","at":"2020-11-01T20:01:00+08:00","session":"s1","product":"p-nest","price":25900,"currency":"CNY"}
{"type":"claim","id":"w-12","at":"2020-11-01T20:02:00+08:00","session":"s1","product":"p-nest","text":"每碗燕窝含量足2克","speaker":"anchor","asserts":[{"attribute":"bird_nest_g","op":">=","value":2,"unit":"g"}]}
{"type":"product_listed","id":"w-13","at":"2020-11-01T20:30:00+08:00","session":"s1","product":"p-jug","price":8900,"currency":"CNY"}
{"type":"claim","id":"w-14","at":"2020-11-01T20:31:00+08:00","session":"s1","product":"p-jug","text":"Holds a full 500 ml!","speaker":"anchor","asserts":[{"attribute":"capacity_ml","op":">=","value":500,"unit":"ml"}]}
"#;

/// 20 bird's-nest orders of 1-3 bowls (4 refunded), one kettle order, the
/// session's end, and the complaints.
fn orders() -> String {
    let mut s = String::new();
    for i in 0..20 {
        let qty = 1 + i % 3;
        let amount = 25_900 * qty;
        s += &format!(
            r#"{{"type":"order_placed","id":"w-o{i}","at":"2020-11-01T20:05:{i:02}+08:00","session":"s1","order":"o{i}","product":"p-nest","account":"u{i}","quantity":{qty},"amount":{amount},"currency":"CNY"}}
{{"type":"order_paid","id":"w-p{i}","at":"2020-11-01T20:06:{i:02}+08:00","order":"o{i}","amount":{amount}}}
"#
        );
        if i % 5 == 4 {
            s += &format!(
                r#"{{"type":"order_refunded","id":"w-r{i}","at":"2020-11-05T10:00:00+08:00","order":"o{i}","amount":{amount}}}
"#
            );
        }
    }
    s += r#"{"type":"order_placed","id":"w-oj","at":"2020-11-01T20:32:00+08:00","session":"s1","order":"oj","product":"p-jug","account":"u99","quantity":1,"amount":8900,"currency":"CNY"}
{"type":"order_paid","id":"w-pj","at":"2020-11-01T20:33:00+08:00","order":"oj","amount":8900}
{"type":"session_ended","id":"w-20","at":"2020-11-01T21:00:00+08:00","session":"s1"}
{"type":"complaint","id":"w-k1","at":"2020-11-18T10:00:00+08:00","complaint":"k1","order":"o0","category":"false_advertising","text":"tastes like sugar water","claim_ref":"w-12"}
{"type":"complaint","id":"w-k2","at":"2020-11-03T10:00:00+08:00","complaint":"k2","order":"oj","category":"quality","text":"it leaks"}
"#;
    s
}

/// Lab results that arrive weeks later: the nest is sugar water (safe, so
/// `pass`, but with a fraction of the bird's nest), the kettle holds 350 ml.
const LAB: &str = r#"{"type":"inspection_report","id":"w-30","at":"2020-11-15T10:00:00+08:00","report":"r-nest","product":"p-nest","lab":"Fujian Inspection Institute","issued":"2020-11-14","results":[{"item":"bird_nest_g","value":0.05,"unit":"g"}],"conclusion":"pass"}
{"type":"inspection_report","id":"w-31","at":"2020-11-20T10:00:00+08:00","report":"r-jug","product":"p-jug","lab":"Ningbo Inspection Institute","issued":"2020-11-19","results":[{"item":"capacity_ml","value":350,"unit":"ml"}],"conclusion":"pass"}
"#;

fn ingest(data: &Path, name: &str, text: &str) {
    let file = data.parent().unwrap().join(name);
    std::fs::write(&file, text).unwrap();
    let out = run(data, &["ingest", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ledger(with_lab: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ingest(
        &data,
        "registry.ndjson",
        &(REGISTRY.to_string() + &orders()),
    );
    if with_lab {
        ingest(&data, "lab.ndjson", LAB);
    }
    dir
}

fn case(data: &Path, id: &str) -> Value {
    let out = run(
        data,
        &["--json", "case", id, "--now", "2020-11-18T12:00:00+08:00"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[test]
fn the_worked_example_exposure_is_four_times_the_unrefunded_sales() {
    let dir = ledger(true);
    let data = dir.path().join("data");
    let p = json(&run(
        &data,
        &[
            "--json",
            "report",
            "product",
            "p-nest",
            "--on",
            "2020-12-01",
        ],
    ));
    let e = &p["exposure"];
    // 16 paid, unrefunded orders; each owed its price back plus 3 × it
    // (every price is above the 500-yuan floor's 166.67 yuan).
    assert_eq!(e["orders"], 16);
    let unrefunded = e["unrefunded_sales"].as_i64().unwrap();
    let expected: i64 = (0..20)
        .filter(|i| i % 5 != 4)
        .map(|i| 25_900 * (1 + i % 3))
        .sum();
    assert_eq!(unrefunded, expected);
    assert_eq!(e["total"].as_i64().unwrap(), 4 * unrefunded, "{e:#}");
    assert_eq!(e["multiple_of_sales"], 4.0);

    // The complaint's case: the seller (merchant) liable, the anchor
    // jointly as endorser of food, refund + 3 × the price.
    let c = case(&data, "c-k1");
    let liable: Vec<(&str, &str, bool)> = c["liable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["party"].as_str().unwrap(),
                l["role"].as_str().unwrap(),
                l["joint"] == true,
            )
        })
        .collect();
    assert_eq!(
        liable,
        [
            ("merchant:m-yan", "seller", false),
            ("anchor:a-xin", "endorser", true)
        ]
    );
    assert_eq!(c["liable"][0]["share"], 1.0);
    assert_eq!(c["liable"][0]["basis"], serde_json::json!(["CN-CPL-55"]));
    assert_eq!(c["remedy"]["refund"], 25_900);
    assert_eq!(c["remedy"]["compensation"], 77_700);
    assert_eq!(c["remedy"]["currency"], "CNY");
    assert_eq!(c["facts"]["approved_false_claim"], true);
    assert_eq!(c["facts"]["unsafe_food"], false);
    // Rules that did not fire say why.
    let knew = c["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "CN-R3-endorser-knew")
        .unwrap();
    assert_eq!(knew["why"], "not fired: life_and_health holds");
    // Evidence: the complaint, the order, the claim, the lab report.
    let ev: Vec<&str> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(ev, ["w-k1", "w-o0", "w-12", "w-30"]);
}

#[test]
fn a_late_report_turns_a_refund_only_case_into_refund_plus_compensation() {
    let dir = ledger(false);
    let data = dir.path().join("data");
    let before = case(&data, "c-k2");
    assert_eq!(before["remedy"]["refund"], 8_900);
    assert_eq!(before["remedy"]["compensation"], 0);
    assert_eq!(before["remedy"]["basis"], serde_json::json!(["CN-CPL-24"]));
    assert_eq!(
        before["liable"][0]["basis"],
        serde_json::json!(["CN-CPL-24"])
    );

    ingest(&data, "lab.ndjson", LAB);
    let after = case(&data, "c-k2");
    // 3 × 89 yuan is below the floor: 500 yuan.
    assert_eq!(after["remedy"]["compensation"], 50_000);
    assert_eq!(
        after["remedy"]["basis"],
        serde_json::json!(["CN-CPL-24", "CN-CPL-55"])
    );
    let history: Vec<&str> = after["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["what"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(
        history[1].starts_with("recomputed after inspection r-jug (pass)"),
        "{history:?}"
    );
    assert!(
        history[1].contains("was refund 89.00 CNY + compensation 0.00 CNY"),
        "{history:?}"
    );
    assert_eq!(after["history"][1]["event"], "w-31");
}

#[test]
fn people_work_the_queue_and_every_step_is_logged() {
    let dir = ledger(true);
    let data = dir.path().join("data");
    let at = "2020-11-18T12:00:00+08:00";
    // Open, due 48 hours after the complaint.
    let list = json(&run(&data, &["--json", "cases", "--now", at]));
    assert_eq!(list["cases"].as_array().unwrap().len(), 2);
    assert_eq!(list["pack"], "Mainland China");
    let k1 = list["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "c-k1")
        .unwrap();
    assert_eq!(
        (k1["status"].as_str(), k1["due"].as_str()),
        (Some("open"), Some("2020-11-20T10:00:00+08:00"))
    );
    // k2 (opened 2020-11-03) is overdue by the 18th.
    let overdue = json(&run(&data, &["--json", "cases", "--overdue", "--now", at]));
    let ids: Vec<&str> = overdue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c-k2"]);
    let only = json(&run(
        &data,
        &["--json", "cases", "--product", "p-jug", "--now", at],
    ));
    assert_eq!(only["cases"].as_array().unwrap().len(), 1);

    let size = |d: &Path| {
        json(&run(d, &["--json", "checkpoint"]))["size"]
            .as_u64()
            .unwrap()
    };
    let before = size(&data);
    for (action, actor) in [("decide", "alice"), ("remedy", "bob"), ("close", "bob")] {
        let out = run(
            &data,
            &[
                "case",
                "c-k1",
                action,
                "--actor",
                actor,
                "--note",
                "per the lab report",
            ],
        );
        assert!(
            out.status.success(),
            "{action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(size(&data), before + 3);
    let c = case(&data, "c-k1");
    assert_eq!(c["status"], "closed");
    assert_eq!(c["due"], Value::Null);
    let history: Vec<(String, Value)> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["what"].as_str().unwrap().to_string(), h["actor"].clone()))
        .collect();
    assert_eq!(
        history[0].0,
        "opened: false_advertising complaint \"tastes like sugar water\""
    );
    assert_eq!(
        history[1],
        (
            "decided: per the lab report".to_string(),
            Value::from("alice")
        )
    );
    assert_eq!(
        history[3],
        ("closed: per the lab report".to_string(), Value::from("bob"))
    );
    // A transition is an event like any other: provable, and verify passes.
    let decided = c["history"][1]["event"].as_str().unwrap().to_string();
    assert!(run(&data, &["prove", &decided]).status.success());
    assert!(run(&data, &["verify"]).status.success());
    // The decision was logged with the decide step.
    let export = json(&run(&data, &["--json", "prove", &decided]));
    assert!(export.to_string().contains("CN-CPL-55"), "{export}");

    // Invalid steps are refused before anything is logged.
    let out = run(&data, &["case", "c-k1", "remedy", "--actor", "eve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the case is closed"));
    let out = run(&data, &["case", "c-k2", "remedy", "--actor", "eve"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a case that is open cannot be remedied"));
    let out = run(&data, &["case", "c-k2", "decide"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--actor"));
    assert_eq!(size(&data), before + 3);
    // A disputed case goes to the regulator.
    assert!(run(&data, &["case", "c-k2", "dispute", "--actor", "m-yan"])
        .status
        .success());
    assert_eq!(case(&data, "c-k2")["status"], "escalated");
    let text =
        String::from_utf8(run(&data, &["cases", "--status", "escalated", "--now", at]).stdout)
            .unwrap();
    assert!(text.contains("c-k2") && !text.contains("c-k1"), "{text}");
}

#[test]
fn jurisdictions_are_data() {
    let dir = ledger(true);
    let data = dir.path().join("data");
    let eu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/rules/liability-eu.json");
    let c = json(&run(
        &data,
        &["--json", "case", "c-k1", "--pack", eu.to_str().unwrap()],
    ));
    assert_eq!(c["remedy"]["compensation"], 0);
    assert_eq!(c["remedy"]["basis"], serde_json::json!(["EU-SGD-13"]));
    assert_eq!(c["liable"].as_array().unwrap().len(), 1);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"name":"x","currency":"CNY","life_and_health":[],"deadlines":{"decide_hours":1,"remedy_days":1},"liable":[{"id":"r","when":["lied"],"party":"seller","role":"seller","basis":[],"reason":"r"}],"remedies":[]}"#).unwrap();
    let out = run(&data, &["cases", "--pack", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fact `lied`"));
}

#[test]
fn a_case_action_under_another_pack_answers_under_that_pack() {
    let dir = ledger(true);
    let data = dir.path().join("data");
    let eu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/rules/liability-eu.json");
    let c = json(&run(
        &data,
        &[
            "--json",
            "case",
            "c-k1",
            "decide",
            "--actor",
            "alice",
            "--pack",
            eu.to_str().unwrap(),
        ],
    ));
    assert_eq!(c["status"], "decided");
    // Judged under the EU pack, as asked, not the default Chinese one.
    assert_eq!(c["remedy"]["compensation"], 0);
    assert_eq!(c["remedy"]["basis"], serde_json::json!(["EU-SGD-13"]));
    // And the decision logged with the step is the EU pack's too.
    let decided = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["what"].as_str().unwrap().starts_with("decided"))
        .unwrap()["event"]
        .as_str()
        .unwrap()
        .to_string();
    let bundle = json(&run(&data, &["--json", "prove", &decided]));
    let logged = bundle.to_string();
    assert!(
        logged.contains("EU-SGD-13") && !logged.contains("CN-CPL-55"),
        "{bundle}"
    );
}

#[test]
fn a_misspelt_key_in_a_rule_pack_is_refused_naming_it_and_the_file() {
    let dir = ledger(false);
    let data = dir.path().join("data");
    let eu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/rules/liability-eu.json");
    let text = std::fs::read_to_string(eu)
        .unwrap()
        .replace("\"remedy_days\"", "\"remedy_dayz\"");
    let bad = dir.path().join("misspelt-pack.json");
    std::fs::write(&bad, text).unwrap();
    let out = run(&data, &["cases", "--pack", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("remedy_dayz") && err.contains("misspelt-pack.json"),
        "{err}"
    );
}

#[test]
fn a_complaint_filed_twice_is_one_case() {
    let dir = ledger(false);
    let data = dir.path().join("data");
    let before = json(&run(&data, &["--json", "cases"]))["cases"]
        .as_array()
        .unwrap()
        .len();
    ingest(
        &data,
        "again.ndjson",
        r#"{"type":"complaint","id":"w-k1-again","at":"2020-11-19T10:00:00+08:00","complaint":"k1","order":"o0","category":"quality","text":"again"}
"#,
    );
    let cases = json(&run(&data, &["--json", "cases"]));
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), before);
    let k1: Vec<&Value> = cases.iter().filter(|c| c["case"] == "c-k1").collect();
    assert_eq!(k1.len(), 1);
    // The first filing stands, and the second is on the record of the case.
    assert_eq!(k1[0]["category"], "false_advertising");
    assert!(
        k1[0]["notes"].to_string().contains("w-k1-again"),
        "{}",
        k1[0]
    );
}
