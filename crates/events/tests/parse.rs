use events::{parse_stored, prepare_into, Body, Prepared, Pseudonymiser, Rejection};

/// `prepare`, checked against `prepare_into` (ingest's path, which checks
/// without building the event): same verdict, bytes, id and rejection.
fn prepare(line: &[u8], p: Option<&Pseudonymiser>) -> Result<Prepared, Rejection> {
    let full = events::prepare(line, p);
    let mut buf = b"left over".to_vec();
    match (&full, prepare_into(line, p, &mut buf, str::to_owned)) {
        (Ok(f), Ok(id)) => {
            assert_eq!(f.event.id.0, id);
            assert_eq!(f.canonical, buf);
        }
        (Err(a), Err(b)) => assert_eq!(a, &b),
        (a, b) => panic!("prepare gave {a:?}, prepare_into {b:?}"),
    }
    full
}
use proptest::prelude::*;

/// One valid event of every type in the contract.
const VALID: &[&str] = &[
    r#"{"type":"merchant_registered","id":"m1e","at":"2020-04-01T10:00:00+08:00","merchant":"m1","name":"Acme Foods","licenses":[{"kind":"food_business","number":"JY1","expires":"2030-01-01"}]}"#,
    r#"{"type":"anchor_registered","id":"a1e","at":"2020-04-01T10:00:00+08:00","anchor":"a1","name":"Lao Luo","mcn":"mcn1","verified":true}"#,
    r#"{"type":"product_registered","id":"p1e","at":"2020-04-01T10:00:00+08:00","product":"p1","merchant":"m1","name":"Instant bird's nest","category":"food","brand":"B","attributes":{"bird_nest_g":2.5,"origin":"MY"},"qualifications":[{"kind":"SC","number":"SC123"}]}"#,
    r#"{"type":"inspection_report","id":"r1e","at":"2020-11-01T10:00:00+08:00","report":"r1","product":"p1","lab":"CTI","issued":"2020-10-30","results":[{"item":"bird_nest_g","value":0.1,"unit":"g"}],"conclusion":"fail"}"#,
    r#"{"type":"agreement","id":"g1e","at":"2020-04-01T10:00:00+08:00","agreement":"g1","anchor":"a1","merchant":"m1","product":"p1","seller":"merchant","commission_bp":2000,"slot_fee":6000000,"currency":"CNY","approved_claims":["Each bowl has over 2 g of bird's nest"]}"#,
    r#"{"type":"session_started","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s1","anchor":"a1","platform":"douyin","room":"r9","title":"Debut"}"#,
    r#"{"type":"session_ended","id":"e99","at":"2020-04-01T23:00:00+08:00","session":"s1"}"#,
    r#"{"type":"product_listed","id":"e2","at":"2020-04-01T20:01:00+08:00","session":"s1","product":"p1","price":12900,"currency":"CNY","list_price":19900}"#,
    r#"{"type":"claim","id":"e5","at":"2020-04-01T20:02:00+08:00","session":"s1","product":"p1","text":"每碗超过2克燕窝","speaker":"anchor","asserts":[{"attribute":"bird_nest_g","op":">=","value":2,"unit":"g"}]}"#,
    r#"{"type":"metrics_reported","id":"e6","at":"2020-04-01T20:05:00+08:00","session":"s1","online":52000,"views":3110000,"likes":10,"orders":5,"gmv":64500,"currency":"CNY"}"#,
    r#"{"type":"viewer_joined","id":"e3","at":"2020-04-01T20:01:02+08:00","session":"s1","account":"u1","device":"d1","ip":"203.0.113.0/24","account_created":"2019-01-01"}"#,
    r#"{"type":"viewer_left","id":"e7","at":"2020-04-01T20:31:02Z","session":"s1","account":"u1"}"#,
    r#"{"type":"comment","id":"e8","at":"2020-04-01T20:01:05+08:00","session":"s1","account":"u1","text":"666"}"#,
    r#"{"type":"like","id":"e9","at":"2020-04-01T20:01:06+08:00","session":"s1","account":"u1","count":3}"#,
    r#"{"type":"order_placed","id":"e4","at":"2020-04-01T20:03:10+08:00","session":"s1","order":"o1","product":"p1","account":"u1","quantity":1,"amount":12900,"currency":"CNY","device":"d1","ip":"ip1","address":"addr1","payment":"card1"}"#,
    r#"{"type":"order_paid","id":"e10","at":"2020-04-01T20:03:30+08:00","order":"o1","amount":12900}"#,
    r#"{"type":"order_cancelled","id":"e11","at":"2020-04-01T20:04:30+08:00","order":"o2"}"#,
    r#"{"type":"order_refunded","id":"e12","at":"2020-04-09T20:04:30+08:00","order":"o1","amount":12900,"reason":"sugar water"}"#,
    r#"{"type":"order_delivered","id":"e13","at":"2020-04-03T20:04:30+08:00","order":"o1"}"#,
    r#"{"type":"complaint","id":"e14","at":"2020-04-10T20:04:30+08:00","complaint":"k1","order":"o1","category":"false_advertising","text":"not bird's nest","claim_ref":"e5"}"#,
    r#"{"type":"case_updated","id":"e15","at":"2020-04-11T10:00:00+08:00","case":"c-k1","action":"decide","actor":"alice","note":"per the lab report","remedy":{"refund":12900}}"#,
    r#"{"type":"intervention","id":"e17","at":"2020-04-01T20:10:00+08:00","session":"s1","action":"take_off_sale","product":"p1","reason":"claim contradicts the lab report","actor":"douyin-ts"}"#,
    r#"{"type":"alert","id":"e18","at":"2020-04-01T20:10:01+08:00","session":"s1","alert":"al-1","code":"BOT_VIEWERS","severity":"high","summary":"bots","evidence":["e3"],"checkpoint":17}"#,
    r#"{"type":"access","id":"e16","at":"2020-04-11T10:00:01+08:00","actor":"samr","role":"regulator","resource":"/v1/cases/c-k1"}"#,
];

#[test]
fn every_type_is_accepted_and_round_trips() {
    let p = Pseudonymiser::new(&[9; 32]);
    let mut seen = std::collections::BTreeSet::new();
    for line in VALID {
        let prepared = prepare(line.as_bytes(), Some(&p)).unwrap_or_else(|r| panic!("{line}: {r}"));
        seen.insert(prepared.event.body.type_name());
        // What is stored parses back to the same event.
        assert_eq!(parse_stored(&prepared.canonical).unwrap(), prepared.event);
        let stored = String::from_utf8(prepared.canonical).unwrap();
        for raw in [
            "\"u1\"",
            "\"d1\"",
            "203.0.113.0",
            "addr1",
            "card1",
            "\"ip1\"",
        ] {
            assert!(
                !stored.contains(raw),
                "personal value {raw} stored raw: {stored}"
            );
        }
    }
    assert_eq!(seen.len(), events::TYPES.len());
}

#[test]
fn personal_fields_are_pseudonymised_consistently() {
    let p = Pseudonymiser::new(&[9; 32]);
    let a = prepare(VALID[10].as_bytes(), Some(&p)).unwrap();
    let b = prepare(VALID[14].as_bytes(), Some(&p)).unwrap();
    let (
        Body::ViewerJoined {
            account: a1,
            device: Some(d1),
            ..
        },
        Body::OrderPlaced {
            account: a2,
            device: Some(d2),
            ..
        },
    ) = (&a.event.body, &b.event.body)
    else {
        panic!("wrong types")
    };
    assert_eq!(a1, a2, "the same account links across events");
    assert_eq!(d1, d2);
    assert!(a1.0.starts_with("ps:"));
}

#[test]
fn empty_personal_identifiers_are_refused_even_when_pseudonymised() {
    let p = Pseudonymiser::new(&[9; 32]);
    for (line, field) in [
        (
            r#"{"type":"viewer_joined","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s","account":""}"#,
            "account",
        ),
        (
            r#"{"type":"viewer_joined","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u1","device":""}"#,
            "device",
        ),
        (
            r#"{"type":"viewer_joined","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u1","ip":""}"#,
            "ip",
        ),
        (
            r#"{"type":"order_placed","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":1,"amount":1,"currency":"CNY","address":""}"#,
            "address",
        ),
        (
            r#"{"type":"order_placed","id":"e1","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":1,"amount":1,"currency":"CNY","payment":""}"#,
            "payment",
        ),
    ] {
        // The tree path too: a space after a colon takes the line off the flat path.
        for line in [line.to_string(), line.replace("\"id\":", "\"id\": ")] {
            let r = prepare(line.as_bytes(), Some(&p)).expect_err(&line);
            assert_eq!(r.field.as_deref(), Some(field), "{line}");
            assert!(r.reason.contains("non-empty"), "{line}: {}", r.reason);
        }
    }
}

#[test]
fn unknown_fields_are_kept_in_the_stored_event() {
    let line = r#"{"type":"session_ended","id":"x","at":"2020-04-01T23:00:00+08:00","session":"s1","vendor_note":{"b":1,"a":[true]}}"#;
    let p = prepare(line.as_bytes(), None).unwrap();
    assert_eq!(
        String::from_utf8(p.canonical).unwrap(),
        r#"{"at":"2020-04-01T23:00:00+08:00","id":"x","session":"s1","type":"session_ended","vendor_note":{"a":[true],"b":1}}"#
    );
}

#[test]
fn personal_data_is_pseudonymised_at_any_depth_and_refused_where_unnamed() {
    let p = Pseudonymiser::new(&[9; 32]);
    let pseudonym = p.pseudonym("account", "u1");
    let phone = p.pseudonym("phone", "13812345678");
    let nested = r#"{"type":"session_ended","id":"x","at":"2020-04-01T23:00:00+08:00","session":"s1","buyer":{"account":"u1","phone":"13812345678","tags":[{"email":"a@b.cn"}]},"phone":"13812345678"}"#;
    // Flat and tree lines alike (a space takes a line off the flat path).
    for line in [nested.to_string(), nested.replace("\"id\":", "\"id\": ")] {
        let out = String::from_utf8(prepare(line.as_bytes(), Some(&p)).unwrap().canonical).unwrap();
        assert!(
            out.contains(&format!(r#""account":"{pseudonym}""#)),
            "{out}"
        );
        assert!(out.contains(&format!(r#""phone":"{phone}""#)), "{out}");
        assert!(
            !out.contains("13812345678") && !out.contains("a@b.cn"),
            "{out}"
        );
    }
    let flat_phone = r#"{"type":"session_ended","id":"x","at":"2020-04-01T23:00:00+08:00","session":"s1","phone":"13812345678"}"#;
    let out =
        String::from_utf8(prepare(flat_phone.as_bytes(), Some(&p)).unwrap().canonical).unwrap();
    assert!(out.contains(&phone), "{out}");
    // Unnamed personal data in fields outside the contract: refused.
    for (extra, field, what) in [
        (r#""contact":"138 1234 5678""#, "contact", "a mobile number"),
        (r#""contact":13812345678"#, "contact", "a mobile number"),
        (
            r#""contact":{"to":"li.lei@example.com"}"#,
            "contact.to",
            "an e-mail address",
        ),
        (
            r#""who":["x",{"no":"11010519491231002X"}]"#,
            "who[1].no",
            "an ID-card number",
        ),
    ] {
        let line = format!(
            r#"{{"type":"session_ended","id":"x","at":"2020-04-01T23:00:00+08:00","session":"s1",{extra}}}"#
        );
        for p in [None, Some(&p)] {
            let r = prepare(line.as_bytes(), p).expect_err(&line);
            assert_eq!(r.field.as_deref(), Some(field), "{line}");
            assert!(
                r.reason.contains(what) && r.reason.contains("pseudonymised"),
                "{}",
                r.reason
            );
            assert_eq!(r.id.as_deref(), Some("x"));
        }
    }
    // Text the contract defines is the analysis' to read: kept.
    let comment = r#"{"type":"comment","id":"c","at":"2020-04-01T20:01:05+08:00","session":"s1","account":"u1","text":"加我 13812345678"}"#;
    assert!(prepare(comment.as_bytes(), Some(&p)).is_ok());
}

fn reject(line: &str) -> Rejection {
    match prepare(line.as_bytes(), None) {
        Ok(p) => panic!("accepted {line}: {:?}", p.event),
        Err(r) => r,
    }
}

#[test]
fn rejections_name_the_field_and_the_expectation() {
    // (line, id, field, words the reason must contain)
    let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        ("{not json", None, None, "not valid JSON"),
        ("[1,2]", None, None, "JSON object"),
        (
            r#"{"type":"teleport","id":"x1","at":"2020-04-01T20:00:00+08:00"}"#,
            Some("x1"),
            Some("type"),
            "unknown event type",
        ),
        (
            r#"{"id":"x2","at":"2020-04-01T20:00:00+08:00"}"#,
            Some("x2"),
            Some("type"),
            "missing",
        ),
        (
            r#"{"type":"session_ended","at":"2020-04-01T20:00:00+08:00","session":"s"}"#,
            None,
            Some("id"),
            "missing",
        ),
        (
            r#"{"type":"session_ended","id":"","at":"2020-04-01T20:00:00+08:00","session":"s"}"#,
            Some(""),
            Some("id"),
            "non-empty",
        ),
        (
            r#"{"type":"session_ended","id":7,"at":"2020-04-01T20:00:00+08:00","session":"s"}"#,
            None,
            Some("id"),
            "found a number",
        ),
        (
            r#"{"type":"session_ended","id":"x3","at":"2020-04-01 20:00:00","session":"s"}"#,
            Some("x3"),
            Some("at"),
            "RFC 3339",
        ),
        (
            r#"{"type":"session_ended","id":"x4","at":"2020-04-01T20:00:00","session":"s"}"#,
            Some("x4"),
            Some("at"),
            "offset",
        ),
        (
            r#"{"type":"session_ended","id":"x5","at":"2020-04-01T20:00:00+08:00"}"#,
            Some("x5"),
            Some("session"),
            "missing",
        ),
        (
            r#"{"type":"order_placed","id":"x6","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":0,"amount":1,"currency":"CNY"}"#,
            Some("x6"),
            Some("quantity"),
            "positive",
        ),
        (
            r#"{"type":"order_placed","id":"x7","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":-2,"amount":1,"currency":"CNY"}"#,
            Some("x7"),
            Some("quantity"),
            "positive",
        ),
        (
            r#"{"type":"order_placed","id":"x8","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":1,"amount":12.5,"currency":"CNY"}"#,
            Some("x8"),
            Some("amount"),
            "integer",
        ),
        (
            r#"{"type":"order_placed","id":"x9","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":1,"amount":1,"currency":"yuan"}"#,
            Some("x9"),
            Some("currency"),
            "ISO 4217",
        ),
        (
            r#"{"type":"order_placed","id":"x10","at":"2020-04-01T20:00:00+08:00","session":"s","order":"o","product":"p","account":"u","quantity":"1","amount":1,"currency":"CNY"}"#,
            Some("x10"),
            Some("quantity"),
            "found a string",
        ),
        (
            r#"{"type":"product_registered","id":"x11","at":"2020-04-01T20:00:00+08:00","product":"p","merchant":"m","name":"n","category":"toys"}"#,
            Some("x11"),
            Some("category"),
            "expected one of food",
        ),
        (
            r#"{"type":"inspection_report","id":"x12","at":"2020-04-01T20:00:00+08:00","report":"r","product":"p","lab":"l","issued":"2020-13-01","results":[],"conclusion":"pass"}"#,
            Some("x12"),
            Some("issued"),
            "YYYY-MM-DD",
        ),
        (
            r#"{"type":"inspection_report","id":"x13","at":"2020-04-01T20:00:00+08:00","report":"r","product":"p","lab":"l","issued":"2020-12-01","results":[{"item":"a","value":"high","unit":"g"}],"conclusion":"pass"}"#,
            Some("x13"),
            Some("results[0].value"),
            "number",
        ),
        (
            r#"{"type":"inspection_report","id":"x14","at":"2020-04-01T20:00:00+08:00","report":"r","product":"p","lab":"l","issued":"2020-12-01","conclusion":"pass"}"#,
            Some("x14"),
            Some("results"),
            "missing",
        ),
        (
            r#"{"type":"inspection_report","id":"x15","at":"2020-04-01T20:00:00+08:00","report":"r","product":"p","lab":"l","issued":"2020-12-01","results":[],"conclusion":"ok"}"#,
            Some("x15"),
            Some("conclusion"),
            "pass, fail",
        ),
        (
            r#"{"type":"claim","id":"x16","at":"2020-04-01T20:00:00+08:00","session":"s","text":"t","asserts":[{"attribute":"a","op":"~","value":1}]}"#,
            Some("x16"),
            Some("asserts[0].op"),
            ">=",
        ),
        (
            r#"{"type":"agreement","id":"x17","at":"2020-04-01T20:00:00+08:00","agreement":"g","anchor":"a","merchant":"m","product":"p","seller":"mcn"}"#,
            Some("x17"),
            Some("seller"),
            "merchant, anchor",
        ),
        (
            r#"{"type":"agreement","id":"x18","at":"2020-04-01T20:00:00+08:00","agreement":"g","anchor":"a","merchant":"m","product":"p","seller":"anchor","approved_claims":["ok",3]}"#,
            Some("x18"),
            Some("approved_claims[1]"),
            "string",
        ),
        (
            r#"{"type":"merchant_registered","id":"x19","at":"2020-04-01T20:00:00+08:00","merchant":"m","name":"n","licenses":[{"kind":"k"}]}"#,
            Some("x19"),
            Some("licenses[0].number"),
            "missing",
        ),
        (
            r#"{"type":"product_registered","id":"x20","at":"2020-04-01T20:00:00+08:00","product":"p","merchant":"m","name":"n","category":"food","attributes":{"w":[1]}}"#,
            Some("x20"),
            Some("attributes.w"),
            "number or a string",
        ),
        (
            r#"{"type":"complaint","id":"x21","at":"2020-04-01T20:00:00+08:00","complaint":"k","order":"o","category":"rude","text":"t"}"#,
            Some("x21"),
            Some("category"),
            "quality",
        ),
        (
            r#"{"type":"like","id":"x22","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u","count":0}"#,
            Some("x22"),
            Some("count"),
            "positive",
        ),
        (
            r#"{"type":"anchor_registered","id":"x23","at":"2020-04-01T20:00:00+08:00","anchor":"a","name":"n","verified":"yes"}"#,
            Some("x23"),
            Some("verified"),
            "true or false",
        ),
        (
            r#"{"type":"metrics_reported","id":"x24","at":"2020-04-01T20:00:00+08:00","session":"s","views":-1}"#,
            Some("x24"),
            Some("views"),
            "non-negative",
        ),
    ];
    for (line, id, field, words) in cases {
        let r = reject(line);
        assert_eq!(r.id.as_deref(), *id, "{line}");
        assert_eq!(r.field.as_deref(), *field, "{line}: {r}");
        assert!(
            r.reason.contains(words),
            "{line}: reason {:?} lacks {words:?}",
            r.reason
        );
    }
    let long_id = "x".repeat(129);
    let r = reject(&format!(
        r#"{{"type":"session_ended","id":"{long_id}","at":"2020-04-01T20:00:00+08:00","session":"s"}}"#
    ));
    assert_eq!(r.field.as_deref(), Some("id"));
    let big = "y".repeat(70_000);
    let r = reject(&format!(
        r#"{{"type":"comment","id":"big","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u","text":"{big}"}}"#
    ));
    assert_eq!((r.id.as_deref(), r.field.as_deref()), (Some("big"), None));
    assert!(r.reason.contains("65535"));
}

#[test]
fn explicit_null_is_absent() {
    let ok = r#"{"type":"session_started","id":"n1","at":"2020-04-01T20:00:00+08:00","session":"s","anchor":"a","platform":"p","room":null}"#;
    assert!(prepare(ok.as_bytes(), None).is_ok());
    let bad = r#"{"type":"session_started","id":"n2","at":"2020-04-01T20:00:00+08:00","session":null,"anchor":"a","platform":"p"}"#;
    assert_eq!(reject(bad).field.as_deref(), Some("session"));
}

proptest! {
    /// Arbitrary bytes never panic the parser: they are accepted or rejected.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = prepare(&bytes, None);
    }

    /// Valid lines with any field dropped or replaced by a wrong-typed value
    /// are rejected naming that field (or accepted when it was optional), never panic.
    #[test]
    fn mutated_valid_lines(i in 0usize..20, pick in any::<prop::sample::Index>(), replacement in prop_oneof![Just(serde_json::json!(null)), Just(serde_json::json!(-1)), Just(serde_json::json!("")), Just(serde_json::json!([])), Just(serde_json::json!({"a":1}))]) {
        let mut v: serde_json::Value = serde_json::from_str(VALID[i]).unwrap();
        let obj = v.as_object_mut().unwrap();
        let keys: Vec<String> = obj.keys().cloned().collect();
        let key = keys[pick.index(keys.len())].clone();
        obj.insert(key.clone(), replacement);
        let line = serde_json::to_vec(&v).unwrap();
        if let Err(r) = prepare(&line, None) {
            prop_assert!(r.field.as_deref().is_some_and(|f| f.starts_with(key.as_str())), "{} → {:?}", key, r);
        }
    }

    /// Any string content survives canonical encoding exactly.
    #[test]
    fn text_round_trips(text in "\\PC{1,40}") {
        let line = serde_json::json!({"type":"comment","id":"c","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u","text":text}).to_string();
        let p = prepare(line.as_bytes(), None).unwrap();
        let Body::Comment { text: back, .. } = parse_stored(&p.canonical).unwrap().body else { unreachable!() };
        prop_assert_eq!(back, text);
    }
}
