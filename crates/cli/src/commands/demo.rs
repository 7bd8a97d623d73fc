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
pub fn command(dir: &Path, scale: f64, json_out: bool) -> Result<u8> {
    if !(scale > 0.0 && scale <= 1.0) {
        bail!("--scale must be above 0 and at most 1");
    }
    let summary = run(dir, scale, json_out, &mut std::io::stdout())?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(0)
}

/// Runs the demo in `dir`; writes the human summary to `out` (unless
/// `json`) and returns the machine summary.
pub fn run(dir: &Path, scale: f64, json_out: bool, out: &mut dyn Write) -> Result<Value> {
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
    let mut ledger = Ledger::open(&data, Some("liveledger.demo/evening"))?;
    let ingested = ingest(
        &mut ledger,
        inputs,
        &Options::default(),
        &mut Progress::none(),
    )?;
    drop(ledger);
    let a = Analysis::run(&data, Rules::default(), Part::Whole, &|_, _| {})?;
    let cp = a.checkpoint_json();

    if !json_out {
        writeln!(
            out,
            "Simulated an evening of live selling: {} events in {} sessions, logged and signed\n(log {}, tree size {}, root {}).\n",
            grouped(ingested.accepted),
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
        fs::write(&html, render::html::session(&r, &ids, &cp))?;
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
                    f.summary
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
        "events": ingested.accepted,
        "checkpoint": cp,
        "sessions": sessions,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}
