//! `liveledger demo`: a mixed evening of live selling, simulated, logged,
//! analysed and reported, in one command and well under a minute.

use analysis::format::{grouped, money};
use analysis::Rules;
use anyhow::{bail, Context, Result};
use ledger::ingest::{ingest, Input, Options, Progress};
use ledger::state::Part;
use ledger::{Analysis, DataDir, Ledger};
use serde_json::{json, Value};
use sim::Scenario;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Marks a directory as made by `demo`, so a rerun may replace it.
const MARKER: &str = ".liveledger-demo";

/// The evening: one honest stream and three suspicious ones.
const EVENING: [(&str, &str, &[Scenario], u64); 4] = [
    ("evening-clean", "an honest stream", &[Scenario::Clean], 101),
    (
        "evening-hype",
        "bought traffic and padded figures",
        &[Scenario::InflatedViews, Scenario::BotFarm],
        102,
    ),
    (
        "evening-ring",
        "a brushing ring, then a wave of refunds",
        &[Scenario::BrushingRing, Scenario::RefundSurge],
        103,
    ),
    (
        "evening-nest",
        "claims the products do not live up to, and the complaints after",
        &[Scenario::FalseClaims, Scenario::AfterSales],
        104,
    ),
];

/// Flags shown per session in the summary (the report has them all).
const SHOWN: usize = 5;

/// A product of `evening-nest` whose approved selling point a failed
/// inspection contradicts (the simulator's sixth product).
const NEST_PRODUCT: &str = "evening-nest-p6";

/// Replaces `dir` with a fresh demo directory (only if it is empty or an
/// earlier demo's: never someone's data).
fn fresh(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            bail!(
                "{} exists and was not made by `liveledger demo`; choose another with --dir",
                dir.display()
            );
        }
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir.join("events"))?;
    fs::create_dir_all(dir.join("reports"))?;
    fs::write(
        dir.join(MARKER),
        "made by liveledger demo; safe to delete\n",
    )?;
    Ok(())
}

/// `liveledger demo`: runs the demo, prints its summary (JSON with `--json`).
/// With `live` (a speed), the evening is played to a running service first,
/// its alerts shown as they are raised.
pub fn command(dir: &Path, scale: f64, live: Option<f64>, json_out: bool) -> Result<u8> {
    if !(scale > 0.0 && scale <= 1.0) {
        bail!("--scale must be above 0 and at most 1");
    }
    if live.is_some_and(|s| s <= 0.0) {
        bail!("--live takes a speed above 0 (180: the 3-hour evening in a minute)");
    }
    let summary = run(dir, scale, live, json_out, &mut std::io::stdout())?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(0)
}

/// Runs the demo in `dir`; writes the human summary to `out` (unless
/// `json`) and returns the machine summary.
pub fn run(
    dir: &Path,
    scale: f64,
    live: Option<f64>,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Value> {
    let started = std::time::Instant::now();
    fresh(dir)?;
    let data = DataDir::new(dir.join("data"));
    let mut inputs = Vec::new();
    let mut truths = Vec::new();
    for (session, _, scenarios, seed) in EVENING {
        let path = dir.join("events").join(format!("{session}.ndjson"));
        let mut w = BufWriter::new(fs::File::create(&path)?);
        let cfg = sim::Config {
            scenarios: scenarios.to_vec(),
            scale,
            seed,
            session: Some(session.into()),
            knobs: Default::default(),
        };
        let truth = sim::simulate(&cfg, &mut w)?;
        w.flush()?;
        fs::write(
            dir.join("events").join(format!("{session}.truth.json")),
            serde_json::to_string_pretty(&truth.to_json())?,
        )?;
        truths.push(truth);
        inputs.push(Input {
            name: path.display().to_string(),
            reader: Box::new(fs::File::open(&path)?),
        });
    }
    let accepted = match live {
        Some(speed) => {
            drop(inputs);
            let paths: Vec<PathBuf> = EVENING
                .iter()
                .map(|(s, ..)| dir.join("events").join(format!("{s}.ndjson")))
                .collect();
            play(&data, &paths, speed, json_out, out)?
        }
        None => {
            let mut ledger = Ledger::open(&data, Some("liveledger.demo/evening"))?;
            let ingested = ingest(
                &mut ledger,
                inputs,
                &Options::default(),
                &mut Progress::none(),
            )?;
            ingested.accepted
        }
    };
    let a = Analysis::run(&data, Rules::default(), Part::Whole, &|_, _| {})?;
    let cp = a.checkpoint_json();

    if !json_out {
        writeln!(
            out,
            "Simulated an evening of live selling: {} events in {} sessions, logged and signed\n(log {}, tree size {}, root {}).\n",
            grouped(accepted),
            EVENING.len(),
            data.log_dir().display(),
            grouped(cp["size"].as_u64().unwrap_or(0)),
            cp["root"].as_str().unwrap_or("").get(..16).unwrap_or("")
        )?;
    }
    let mut sessions = Vec::new();
    for ((session, what, _, _), truth) in EVENING.iter().zip(&truths) {
        let r = a.session(session)?;
        let html: PathBuf = dir.join("reports").join(format!("{session}.html"));
        let ids = |leaf| a.event_id(leaf);
        fs::write(
            &html,
            render::html::session(&r, &ids, &cp, render::words::Lang::En),
        )?;
        let v = &r.viewers;
        let w = r.waterfall();
        let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
        if !json_out {
            writeln!(out, "■ {session} — {what}")?;
            writeln!(
                out,
                "  reported {} views; observed {} viewers, {} judged bots (the simulator made {}); verified GMV {}",
                v.reported_views.map(grouped).unwrap_or_else(|| "no".into()),
                grouped(v.observed.unique),
                grouped(v.suspected_bots()),
                grouped(truth.bot_accounts.len() as u64),
                money(w.verified_gmv(), &cur),
            )?;
            if r.flags.is_empty() {
                writeln!(out, "  no flags: the figures agree with the events")?;
            }
            let mut shown: Vec<_> = r.flags.iter().collect();
            shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
            for f in shown.iter().take(SHOWN) {
                writeln!(
                    out,
                    "  {:<6} {:<17} {}",
                    f.severity.as_str().to_uppercase(),
                    f.code,
                    render::words::summary(f, render::words::Lang::En)
                )?;
            }
            if r.flags.len() > SHOWN {
                writeln!(
                    out,
                    "  … and {} more flags in the report",
                    r.flags.len() - SHOWN
                )?;
            }
            writeln!(out)?;
        }
        sessions.push(json!({
            "session": session,
            "story": what,
            "report": html,
            "flags": r.flags.iter().map(|f| f.code).collect::<Vec<_>>(),
            "suspected_bots": v.suspected_bots(),
            "true_bots": truth.bot_accounts.len(),
            "verified_gmv": w.verified_gmv(),
            "true_gmv": truth.real_gmv,
        }));
    }
    if !json_out {
        let d = data.root.display();
        let html = dir.join("reports").join("evening-hype.html");
        writeln!(out, "See more:")?;
        for (cmd, what) in [
            (
                format!("liveledger --data {d} sessions"),
                "every session, its headline figures and flags",
            ),
            (
                format!("liveledger --data {d} report session evening-hype"),
                "one session in full (--json: the contract JSON)",
            ),
            (
                format!("liveledger --data {d} report product {NEST_PRODUCT}"),
                "is this product what was said? every claim about it, checked",
            ),
            (
                format!("liveledger --data {d} cases"),
                "after-sales cases: who is liable and what is owed, with the rules behind it",
            ),
            (
                format!("{}", html.display()),
                "the same with charts: open it in a browser, no network needed",
            ),
            (
                format!("liveledger --data {d} verify"),
                "re-check every log entry against the signed checkpoint",
            ),
            (
                format!("liveledger --data {d} prove EVENT_ID"),
                "an offline proof of any piece of evidence above",
            ),
        ] {
            writeln!(out, "  {cmd}\n      {what}")?;
        }
        writeln!(out, "\nDone in {:.1} s.", started.elapsed().as_secs_f64())?;
    }
    Ok(json!({
        "data": data.root,
        "events": accepted,
        "checkpoint": cp,
        "sessions": sessions,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// Plays the evening to a service started for it, `speed` times faster
/// than it happened (events posted as their time comes, a batch every
/// 200 ms), printing each alert as the service raises it. Returns the
/// events accepted.
fn play(
    data: &DataDir,
    paths: &[PathBuf],
    speed: f64,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<u64> {
    use ledger::service::client;
    use ledger::service::tokens::{self, Request, Role};
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let issue = |role, scope: Option<&str>, name: &str| {
        let req = Request {
            role,
            scope: scope.map(str::to_string),
            name: Some(name.into()),
            lifetime: None,
        };
        tokens::issue(data, req, crate::commands::common::now()).map(|(t, _)| t)
    };
    let (watch, feed) = (
        issue(Role::Regulator, None, "demo")?,
        issue(Role::Producer, Some("douyin"), "demo-feed")?,
    );
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("--data")
        .arg(&data.root)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the service")?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("service output")?).read_line(&mut line)?;
    let url = format!(
        "http://{}",
        line.trim().rsplit("http://").next().unwrap_or("")
    );
    // The evening in time order, each event with its moment in the replay.
    let mut events: Vec<(chrono::DateTime<chrono::FixedOffset>, String)> = Vec::new();
    for p in paths {
        for l in std::io::BufReader::new(fs::File::open(p)?).lines() {
            let l = l?;
            let at = serde_json::from_str::<Value>(&l)
                .ok()
                .and_then(|v| chrono::DateTime::parse_from_rfc3339(v["at"].as_str()?).ok());
            if let Some(at) = at {
                events.push((at, l));
            }
        }
    }
    events.sort_by_key(|(at, _)| *at);
    if !json_out {
        writeln!(out, "Playing the evening to a service at {url}, {speed}× real time; alerts as they are raised:\n")?;
    }
    // Each event's moment in the replay; quiet spells over a minute
    // (registrations days before, after-sales days after) are skipped.
    let mut due = Vec::with_capacity(events.len());
    let (mut clock, mut prev): (f64, Option<chrono::DateTime<chrono::FixedOffset>>) = (0.0, None);
    for (at, _) in &events {
        if let Some(p) = prev {
            let gap = (*at - p).as_seconds_f64().max(0.0);
            if gap <= 60.0 {
                clock += gap / speed;
            }
        }
        due.push(clock);
        prev = Some(*at);
    }
    let start = Instant::now();
    let (mut accepted, mut seen, mut i) = (0u64, 0usize, 0usize);
    let result = (|| -> Result<()> {
        while i < events.len() {
            std::thread::sleep(Duration::from_millis(200));
            let now = start.elapsed().as_secs_f64();
            let mut batch = Vec::new();
            while i < events.len() && due[i] <= now && batch.len() < 20_000 {
                batch.push(events[i].1.as_str());
                i += 1;
            }
            if batch.is_empty() {
                continue;
            }
            let v = client::post(
                &format!("{url}/v1/events"),
                Some(&feed),
                batch.join("\n").into_bytes(),
            )?;
            accepted += v["accepted"].as_u64().unwrap_or(0);
            let alerts = client::get_json(&format!("{url}/v1/alerts"), Some(&watch))?;
            for a in alerts.as_array().into_iter().flatten().skip(seen) {
                seen += 1;
                if !json_out {
                    writeln!(
                        out,
                        "  {:>5.1} s  {:<13} {:<6} {:<17} {}",
                        start.elapsed().as_secs_f64(),
                        a["session"].as_str().unwrap_or(""),
                        a["severity"].as_str().unwrap_or("").to_uppercase(),
                        a["code"].as_str().unwrap_or(""),
                        a["summary"].as_str().unwrap_or("")
                    )?;
                }
            }
        }
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result?;
    if !json_out {
        writeln!(out)?;
    }
    Ok(accepted)
}
