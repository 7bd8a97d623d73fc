//! The dashboard through the real server: sign-in, each page within the
//! token's scope, case actions from forms, English and Chinese, escaping,
//! and a live session's page told (server-sent events) when answers move.

mod common;
use common::{http, issue, run, serve};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::Duration;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson")
}

fn page(addr: &str, path: &str, cookie: &str, lang: &str) -> (u16, String) {
    let (status, _, body) = http(
        addr,
        "GET",
        path,
        &[("Cookie", cookie), ("Accept-Language", lang)],
        b"",
    );
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn each_party_works_its_part_from_the_browser_in_english_or_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let extra = dir.path().join("x.ndjson");
    // A live session on another platform, with a name that needs escaping.
    std::fs::write(
        &extra,
        r#"{"type":"session_started","id":"x1","at":"2020-04-02T20:00:00+08:00","session":"live<b>1</b>","anchor":"a2","platform":"taobao"}
"#,
    )
    .unwrap();
    let out = run(
        &data,
        &[
            "ingest",
            examples().to_str().unwrap(),
            extra.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let regulator = issue(&data, "regulator", None, "samr");
    let douyin = issue(&data, "platform", Some("douyin"), "douyin-ts");
    let taobao = issue(&data, "platform", Some("taobao"), "taobao-ts");
    let producer = issue(&data, "producer", Some("taobao"), "feed");
    let (_server, addr) = serve(&data, &[]);
    let addr = addr.as_str();

    // Signed out: the sign-in form; a bad token is refused.
    let (status, html) = page(addr, "/", "", "en");
    assert_eq!(status, 200);
    assert!(html.contains(r#"name="token""#), "{html}");
    let (status, _, body) = http(
        addr,
        "POST",
        "/signin",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"token=ll_nope",
    );
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&body).contains("revoked or expired"));
    let form = format!("token={regulator}");
    let (status, headers, _) = http(
        addr,
        "POST",
        "/signin",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(status, 303);
    let set = &headers["set-cookie"];
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let as_douyin = format!("ll_token={douyin}");
    let as_taobao = format!("ll_token={taobao}");

    // Sessions, newest first; names escaped; filtered by flag.
    let (_, html) = page(addr, "/", &cookie, "en");
    let (s1, live) = (
        html.find(r#"href="/sessions/s1""#).unwrap(),
        html.find("live&lt;b&gt;1&lt;/b&gt;").unwrap(),
    );
    assert!(live < s1, "newest first");
    assert!(!html.contains("<b>1</b>"), "escaped by the template");
    let flagged = html.matches("class=\"badge ").count();
    assert!(flagged > 0, "s1's flags shown");
    assert!(
        html.contains(r#"title="VIEWER_INFLATION""#),
        "s1's flags, by headline"
    );
    let (_, filtered) = page(addr, "/?flag=VIEWER_INFLATION", &cookie, "en");
    assert!(filtered.contains(r#"href="/sessions/s1""#) && !filtered.contains("live&lt;b"));
    let (_, filtered) = page(addr, "/?flag=ORDER_BRUSHING", &cookie, "en");
    assert!(!filtered.contains(r#"href="/sessions/s1""#));
    let (_, only_douyin) = page(addr, "/", &as_douyin, "en");
    assert!(only_douyin.contains("/sessions/s1") && !only_douyin.contains("live&lt;b"));

    // Chinese, by the browser's language or the switch (remembered).
    let (_, zh) = page(addr, "/", &cookie, "zh-CN,zh;q=0.9");
    assert!(
        zh.contains(r#"<html lang="zh-CN">"#) && zh.contains("直播场次"),
        "{zh}"
    );
    let (_, headers, _) = http(addr, "GET", "/cases?lang=zh", &[("Cookie", &cookie)], b"");
    assert!(headers["set-cookie"].starts_with("ll_lang=zh"));
    let (_, zh_cases) = page(addr, "/cases", &format!("{cookie}; ll_lang=zh"), "en");
    assert!(
        zh_cases.contains("售后案件") && zh_cases.contains("虚假宣传"),
        "{zh_cases}"
    );
    // Who answers and why, from the rule pack's Chinese (CN-R1-fraud).
    assert!(
        zh_cases.contains("销售者") && zh_cases.contains("以虚假或违法宣传售出商品"),
        "{zh_cases}"
    );
    let (_, en_cases) = page(addr, "/cases", &cookie, "en");
    assert!(en_cases.contains("false or unlawful claim"), "{en_cases}");
    // The report inside the session page speaks Chinese too: labels, flag
    // headlines and summaries from the one catalogue.
    let (_, zh_session) = page(addr, "/sessions/s1", &format!("{cookie}; ll_lang=zh"), "en");
    for words in [
        "观众",
        "报告观看量远超真实观众",
        "为真实观众观看量",
        "证据（",
    ] {
        assert!(zh_session.contains(words), "{words} in {zh_session}");
    }
    assert!(
        !zh_session.contains("views by real viewers"),
        "{zh_session}"
    );
    let (_, zh_product) = page(addr, "/products/p1?lang=zh", &cookie, "en");
    assert!(
        zh_product.contains("商品 p1") && zh_product.contains("与记录在案的信息相矛盾"),
        "{zh_product}"
    );

    // The session page: the report's charts inside the frame; out of scope, 404.
    let (status, html) = page(addr, "/sessions/s1", &as_douyin, "en");
    assert_eq!(status, 200);
    assert!(html.contains("<svg") && html.contains("<nav>"));
    assert!(
        !html.contains("EventSource"),
        "s1 has ended: no live updates"
    );
    assert_eq!(page(addr, "/sessions/s1", &as_taobao, "en").0, 404);
    assert_eq!(page(addr, "/sessions/s1", "", "en").0, 401);
    assert_eq!(page(addr, "/products/p1", &cookie, "en").0, 200);
    assert_eq!(page(addr, "/products/p1", &as_taobao, "en").0, 404);

    // The case queue: the platform's actions as a form; posting it acts.
    let (_, cases) = page(addr, "/cases", &as_douyin, "en");
    assert!(
        cases.contains(r#"action="/cases/c-k1/act""#) && cases.contains(r#"value="decide""#),
        "{cases}"
    );
    let (_, regulator_cases) = page(addr, "/cases", &cookie, "en");
    assert!(
        !regulator_cases.contains(r#"value="decide""#),
        "a regulator does not decide"
    );
    let form = [
        ("Cookie", as_douyin.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let (status, headers, _) = http(
        addr,
        "POST",
        "/cases/c-k1/act",
        &form,
        b"action=decide&note=lab+report",
    );
    assert_eq!((status, headers["location"].as_str()), (303, "/cases"));
    let (_, cases) = page(addr, "/cases", &as_douyin, "en");
    assert!(cases.contains(">decided<"), "{cases}");
    let (status, _, _) = http(addr, "POST", "/cases/c-k1/act", &form, b"action=close");
    assert_eq!(status, 303);
    let (status, _, body) = http(addr, "POST", "/cases/c-k1/act", &form, b"action=decide");
    assert_eq!(status, 409, "closed: {}", String::from_utf8_lossy(&body));
    let as_regulator = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    assert_eq!(
        http(
            addr,
            "POST",
            "/cases/c-k1/act",
            &as_regulator,
            b"action=decide"
        )
        .0,
        403
    );
    let (status, _, _) = http(
        addr,
        "POST",
        "/cases/c-k1/act",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"action=close",
    );
    assert_eq!(status, 401);

    // A platform acts on its session from the page; the report shows it.
    let (_, html) = page(addr, "/sessions/s1", &as_douyin, "en");
    assert!(html.contains(r#"action="/sessions/s1/intervene""#));
    let (status, _, _) = http(
        addr,
        "POST",
        "/sessions/s1/intervene",
        &form,
        b"action=take_off_sale&product=p1&reason=sugar+water&alert=",
    );
    assert_eq!(status, 303);
    let (_, html) = page(addr, "/sessions/s1", &as_douyin, "en");
    assert!(
        html.contains("<td>take_off_sale</td><td>p1</td><td>douyin-ts: sugar water</td>"),
        "{html}"
    );
    let (_, regulator_page) = page(addr, "/sessions/s1", &cookie, "en");
    assert!(
        regulator_page.contains("/intervene\""),
        "the regulator may act too"
    );

    // The log page is public.
    let (status, html) = page(addr, "/log", "", "zh-CN");
    assert_eq!(status, 200);
    assert!(html.contains("离线自行验证") && html.contains("liveledger verify --key"));

    // A live session's page listens; an event on it is announced.
    let live_path = "/sessions/live%3Cb%3E1%3C%2Fb%3E";
    let (status, html) = page(addr, live_path, &as_taobao, "en");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("new EventSource('/live')"));
    // The service raises s1's alerts on its own once it has judged it
    // (writes that move answers, announced): let that settle first.
    let bearer = format!("Bearer {regulator}");
    let alerts = || {
        http(
            addr,
            "GET",
            "/v1/alerts",
            &[("Authorization", &bearer)],
            b"",
        )
        .2
    };
    let mut last = alerts();
    loop {
        std::thread::sleep(Duration::from_millis(700));
        let now = alerts();
        if now == last && now.len() > 2 {
            break;
        }
        last = now;
    }
    let mut sse = std::net::TcpStream::connect(addr).unwrap();
    write!(sse, "GET /live HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut reader = BufReader::new(sse.try_clone().unwrap());
    let mut next_line = |timeout: u64| -> Option<String> {
        sse.set_read_timeout(Some(Duration::from_millis(timeout)))
            .unwrap();
        let mut l = String::new();
        reader
            .read_line(&mut l)
            .ok()
            .map(|_| l.trim_end().to_string())
    };
    let mut head = Vec::new();
    while let Some(l) = next_line(5000).filter(|l| !l.is_empty()) {
        head.push(l.to_ascii_lowercase());
    }
    assert!(
        head.iter().any(|h| h == "content-type: text/event-stream"),
        "{head:?}"
    );
    // Reading pages writes access records only: nothing is announced.
    assert_eq!(page(addr, "/cases", &as_douyin, "en").0, 200);
    assert_eq!(next_line(1500), None, "no event for a page view");
    let line = r#"{"type":"viewer_joined","id":"x2","at":"2020-04-02T20:01:00+08:00","session":"live<b>1</b>","account":"u1"}"#;
    let auth = format!("Bearer {producer}");
    let (status, _, _) = http(
        addr,
        "POST",
        "/v1/events",
        &[("Authorization", &auth)],
        line.as_bytes(),
    );
    assert_eq!(status, 200);
    let data = std::iter::from_fn(|| next_line(10_000))
        .find(|l| l.contains("data:"))
        .expect("an event after the ingest");
    assert!(data.contains("data: "), "{data}");
}
