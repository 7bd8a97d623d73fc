//! `watch SESSION`: a live terminal view of one session — reported against
//! observed viewers, bots, orders and verified GMV, flags as they appear —
//! redrawn as answers move. From a running service (`--url`, with a token)
//! or from a data directory (the judged answers when level with the log,
//! else the analysis of snapshot and tail).

use crate::commands::common::analyse;
use anyhow::Result;
use ledger::judged::Answers;
use ledger::state::Part;
use ledger::DataDir;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    session: String,
    /// A running service (http://host:port) instead of the data directory.
    #[arg(long)]
    url: Option<String>,
    /// The service token (with --url).
    #[arg(long, env = "LIVELEDGER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Seconds between looks.
    #[arg(long, default_value_t = 1.0)]
    every: f64,
    /// Print the view once and exit.
    #[arg(long)]
    once: bool,
}

pub fn run(dir: &DataDir, a: Args) -> Result<u8> {
    let terminal = std::io::stdout().is_terminal();
    let mut last = String::new();
    loop {
        let (report, alerts) = look(dir, &a)?;
        let view = render(&report, &alerts);
        // On a terminal, redraw in place; elsewhere, one view per change.
        if view != last {
            let mut out = std::io::stdout().lock();
            if terminal {
                write!(out, "\x1b[2J\x1b[H")?;
            }
            writeln!(out, "{view}")?;
            out.flush()?;
            last = view;
        }
        if a.once {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_secs_f64(a.every.max(0.1)));
    }
}

/// The session report's JSON, and the alerts raised on it (service only).
fn look(dir: &DataDir, a: &Args) -> Result<(Value, Vec<Value>)> {
    let id = &a.session;
    if let Some(url) = &a.url {
        let url = url.trim_end_matches('/');
        let token = a.token.as_deref();
        let report =
            ledger::service::client::get_json(&format!("{url}/v1/sessions/{id}/report"), token)?;
        let alerts =
            ledger::service::client::get_json(&format!("{url}/v1/alerts?session={id}"), token)?;
        return Ok((report, alerts.as_array().cloned().unwrap_or_default()));
    }
    if let Some(judged) = Answers::load(dir, &dir.reader()?)? {
        return Ok((judged.session_json(id)?, Vec::new()));
    }
    let an = analyse(dir, Part::Whole, None, None)?;
    let r = an.session(id)?;
    Ok((an.session_json(&r)?, Vec::new()))
}

fn num(v: &Value) -> String {
    v.as_u64().map_or("—".into(), analysis::format::grouped)
}

/// The view: a few lines, widest first.
fn render(r: &Value, alerts: &[Value]) -> String {
    let v = &r["viewers"];
    let s = &r["sales"];
    let cur = s["currency"].as_str().unwrap_or("");
    let money = |x: &Value| {
        x.as_i64().map_or("—".into(), |m| {
            format!("{}.{:02} {cur}", m / 100, (m % 100).abs())
        })
    };
    let state = if r["ended"].is_null() {
        "LIVE"
    } else {
        "ended"
    };
    let mut o = format!(
        "session {}  anchor {}  platform {}  [{state}]  log size {}\n",
        r["session"].as_str().unwrap_or(""),
        r["anchor"].as_str().unwrap_or("?"),
        r["platform"].as_str().unwrap_or("?"),
        r["checkpoint"]["size"],
    );
    o += &format!(
        "viewers   reported {:>12}   observed unique {:>10}   bots {:>10}   estimated real {:>10}\n",
        num(&v["reported_views"]),
        num(&v["observed_unique"]),
        num(&v["suspected_bots"]),
        num(&v["estimated_real"]),
    );
    o += &format!(
        "orders    reported {:>12}   placed {:>19}   paid GMV {:>16}   verified GMV {}\n",
        num(&s["reported_orders"]),
        num(&s["placed_orders"]),
        money(&s["paid_gmv"]),
        money(&s["verified_gmv"]),
    );
    let flags = r["flags"].as_array().cloned().unwrap_or_default();
    if flags.is_empty() {
        o += "flags     none\n";
    }
    for f in flags {
        o += &format!(
            "FLAG {:<7} {:<20} {}\n",
            f["severity"].as_str().unwrap_or(""),
            f["code"].as_str().unwrap_or(""),
            f["summary"].as_str().unwrap_or("")
        );
    }
    for a in alerts {
        o += &format!(
            "alert {}  {} {}\n",
            a["raised_at"].as_str().unwrap_or(""),
            a["code"].as_str().unwrap_or(""),
            a["severity"].as_str().unwrap_or("")
        );
    }
    o
}
