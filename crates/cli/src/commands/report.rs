//! `report session`, `report product`, `sessions` and `check listing`:
//! answers read from the analysis of the log at its signed checkpoint.

use crate::commands::common::{analyse, now, print_json, PROBLEM};
use anyhow::{Context, Result};
use ledger::answer::product::{GateAnswer, ProductAnswer};
use ledger::answer::session::SessionRow;
use ledger::judged::Answers;
use ledger::state::Part;
use ledger::DataDir;
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum Report {
    /// Is this live data real? Reported against observed viewers and sales, bots, brushing, flags.
    Session {
        id: String,
        /// Also write a self-contained HTML page with charts to FILE.
        #[arg(long)]
        html: Option<PathBuf>,
        /// The HTML page's language.
        #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
        lang: String,
        /// Thresholds and weights to lay over the defaults (JSON, see docs/ANALYSIS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Is this product what was said? Qualifications, every claim about it with findings, sales, complaints.
    Product {
        id: String,
        /// Also write a self-contained HTML page to FILE.
        #[arg(long)]
        html: Option<PathBuf>,
        /// The HTML page's language.
        #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
        lang: String,
        /// Rules to lay over the defaults (JSON; `claims` and `qualifications` sections, see docs/CLAIMS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The day to judge qualifications on (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
}

#[derive(clap::Subcommand)]
pub enum Check {
    /// The pre-live gate: may PRODUCT be listed in ANCHOR's live room? Exit 0 yes, 1 no, with reasons.
    Listing {
        #[arg(long)]
        product: String,
        #[arg(long)]
        anchor: String,
        /// When the listing would happen (RFC 3339; default now).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Rules to lay over the defaults (JSON, see docs/CLAIMS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

pub fn run(dir: &DataDir, json_out: bool, what: Report) -> Result<u8> {
    // A session's answer judged under the default rules is read, not
    // recomputed; an HTML page is drawn from the full report.
    if let Report::Session {
        id,
        html: None,
        rules: None,
        ..
    } = &what
    {
        if let Some(judged) = judged(dir)? {
            if json_out {
                print_json(&judged.session_json(id)?)?;
            } else {
                print!("{}", judged.session(id)?.text);
            }
            return Ok(0);
        }
    }
    match what {
        Report::Session {
            id,
            html,
            lang,
            rules,
        } => {
            let a = analyse(dir, Part::Whole, rules.as_deref(), None)?;
            let r = a.session(&id)?;
            let ids = |leaf| a.event_id(leaf);
            let cp = a.checkpoint_json();
            if let Some(path) = &html {
                std::fs::write(path, render::html::session(&r, &ids, &cp, html_lang(&lang)))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json_out {
                print_json(&a.session_json(&r)?)?;
            } else {
                print!("{}", render::text::session(&r, &ids, &cp));
                if let Some(path) = html {
                    println!("HTML report: {}", path.display());
                }
            }
        }
        Report::Product {
            id,
            html,
            lang,
            rules,
            on,
        } => {
            let a = analyse(dir, Part::Core, rules.as_deref(), None)?;
            let on = on.unwrap_or_else(|| now().date_naive());
            let r = a.product(&id, on)?;
            let ids = |leaf| a.event_id(leaf);
            let cp = a.checkpoint_json();
            if let Some(path) = &html {
                std::fs::write(path, render::html::product(&r, &ids, &cp, html_lang(&lang)))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json_out {
                print_json(&a.with_checkpoint(ProductAnswer::new(&r, &ids))?)?;
            } else {
                print!("{}", render::text::product(&r, &ids, &cp));
                if let Some(path) = html {
                    println!("HTML report: {}", path.display());
                }
            }
        }
    }
    Ok(0)
}

pub fn check(dir: &DataDir, json_out: bool, what: Check) -> Result<u8> {
    let Check::Listing {
        product,
        anchor,
        at,
        rules,
    } = what;
    let a = analyse(dir, Part::Core, rules.as_deref(), None)?;
    let gate = a
        .analyzer
        .listing_gate(&product, &anchor, at.unwrap_or_else(now));
    if json_out {
        print_json(&serde_json::to_value(GateAnswer::new(&gate))?)?;
    } else {
        print!("{}", render::text::gate(&gate));
    }
    Ok(if gate.allowed { 0 } else { PROBLEM })
}

/// `sessions`: every session's headline figures and flags.
pub fn sessions(dir: &DataDir, json_out: bool, rules: Option<PathBuf>) -> Result<u8> {
    if let Some(judged) = judged(dir)?.filter(|_| rules.is_none()) {
        if json_out {
            print_json(&judged.list_json())?;
        } else {
            print!("{}", judged.list_text);
        }
        return Ok(0);
    }
    let a = analyse(dir, Part::Whole, rules.as_deref(), None)?;
    let mut reports = Vec::new();
    for id in a.analyzer.session_ids() {
        reports.push(a.session(&id.0)?);
    }
    if json_out {
        let rows: Vec<_> = reports.iter().map(SessionRow::new).collect();
        print_json(&json!({ "checkpoint": a.checkpoint_json(), "sessions": rows }))?;
    } else {
        print!("{}", render::text::sessions(&reports));
    }
    Ok(0)
}

/// The sessions' answers judged at the log's checkpoint, if they are saved
/// and level with it (see [`ledger::judged`]).
fn judged(dir: &DataDir) -> Result<Option<Answers>> {
    Ok(Answers::load(dir, &dir.reader()?)?)
}

fn html_lang(name: &str) -> render::words::Lang {
    render::words::Lang::choose(Some(name), None)
}
