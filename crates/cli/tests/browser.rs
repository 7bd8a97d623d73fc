//! The HTML session report opened in a real browser (headless Chromium):
//! it renders, its four charts are there, nothing fails to load and no
//! console error is logged. The screenshot goes to
//! $LIVELEDGER_SCREENSHOT (docs/report-session.png was made this way).
//!
//! Skips when Chromium is not installed, unless LIVELEDGER_REQUIRE_BROWSER
//! is set (CI installs it and sets it, so there it cannot skip).

mod common;

use common::run;
use std::process::Command;

/// The browser to test with; `None` (the test skips) when there is none,
/// unless LIVELEDGER_REQUIRE_BROWSER is set (then it fails).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("LIVELEDGER_REQUIRE_BROWSER").is_none(),
            "LIVELEDGER_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!("skipping: no Chromium (apt-get install chromium)");
    }
    found
}

/// A page loaded without a console error or a failed load.
fn assert_clean(log: &str) {
    for bad in [
        "CONSOLE",
        "Uncaught",
        "Failed to load",
        "ERR_FILE_NOT_FOUND",
    ] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(bad)).collect();
        assert!(hits.is_empty(), "browser log has {bad}: {hits:?}");
    }
}

#[test]
fn the_html_report_renders_in_chromium_with_its_charts() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let events = dir.path().join("s.ndjson");
    let out = run(
        &data,
        &[
            "simulate",
            "--scenario",
            "inflated-views,bot-farm,brushing-ring",
            "--scale",
            "0.0002",
            "--seed",
            "9",
            "--session",
            "evening-9",
            "-o",
            events.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    assert!(run(&data, &["ingest", events.to_str().unwrap()])
        .status
        .success());
    let html = dir.path().join("report.html");
    let out = run(
        &data,
        &[
            "report",
            "session",
            "evening-9",
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let shot = std::env::var("LIVELEDGER_SCREENSHOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("report.png"));
    let url = format!("file://{}", html.display());
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let dom = Command::new(browser)
        .args(common)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    // The browser parsed the page: four charts (viewers, arrivals, waterfall, ring).
    assert_eq!(dom_text.matches("<svg").count(), 4, "{dom_text}");
    assert!(dom_text.contains("class=\"bot\""), "bot bars drawn");
    assert!(dom_text.contains("class=\"buyer\""), "ring drawn");
    assert!(dom_text.contains("VIEWER_INFLATION") && dom_text.contains("ORDER_BRUSHING"));
    assert_clean(&log);

    let out = Command::new(browser)
        .args(common)
        .arg("--window-size=1000,2800")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot"
    );
}

/// The dashboard in Chinese, opened in Chromium: the public log page served
/// live, and the sessions page as a signed-in regulator sees it (saved,
/// since a headless browser cannot be handed the sign-in cookie). Chinese
/// fonts must be installed for the glyphs to render (CI installs
/// fonts-noto-cjk); the screenshot goes to $LIVELEDGER_DASHBOARD_SCREENSHOT.
#[test]
fn the_dashboard_renders_in_chinese_in_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    if std::env::var_os("LIVELEDGER_REQUIRE_BROWSER").is_some() {
        let fonts = Command::new("fc-list")
            .arg(":lang=zh")
            .output()
            .expect("fc-list");
        assert!(
            !fonts.stdout.is_empty(),
            "no Chinese font installed (apt-get install fonts-noto-cjk)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let evening =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evening.ndjson");
    assert!(run(&data, &["ingest", evening.to_str().unwrap()])
        .status
        .success());
    let token = common::issue(&data, "regulator", None, "samr");
    let (_server, addr) = common::serve(&data, &[]);
    let common_args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
    ];

    let dom = Command::new(browser)
        .args(common_args)
        .arg("--dump-dom")
        .arg(format!("http://{addr}/log?lang=zh"))
        .output()
        .expect("run chromium");
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains("离线自行验证") && text.contains("lang=\"zh-CN\""),
        "{text}"
    );

    let cookie = format!("ll_token={token}; ll_lang=zh");
    let (status, _, body) = common::http_get(&addr, "/", &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    let saved = dir.path().join("sessions.html");
    std::fs::write(&saved, &body).unwrap();
    let url = format!("file://{}", saved.display());
    let dom = Command::new(browser)
        .args(common_args)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains("直播场次") && text.contains("/sessions/s1"),
        "{text}"
    );
    let log = String::from_utf8_lossy(&dom.stderr);
    assert_clean(&log);
    let shot = std::env::var("LIVELEDGER_DASHBOARD_SCREENSHOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("dashboard.png"));
    let out = Command::new(browser)
        .args(common_args)
        .arg("--window-size=1100,500")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(out.status.success());
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}
