//! `cases` and `case`: the after-sales queue, one case in full, and the
//! actions people take on a case (logged as `case_updated` events).

use crate::commands::common::{analyse, names, now, print_json};
use analysis::cases::case::{Case, Status};
use anyhow::{bail, Result};
use events::CaseAction;
use ledger::answer::case::CaseAnswer;
use ledger::state::Part;
use ledger::{Analysis, DataDir, Ledger};
use serde_json::json;
use std::path::PathBuf;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(clap::Args)]
pub struct List {
    #[arg(long)]
    session: Option<String>,
    #[arg(long)]
    product: Option<String>,
    /// Only cases with this status.
    #[arg(long, value_parser = names(&Status::ALL))]
    status: Option<Status>,
    /// Only cases past their deadline.
    #[arg(long)]
    overdue: bool,
    /// The liability rule pack (JSON; default: mainland China, docs/LIABILITY.md).
    #[arg(long)]
    pack: Option<PathBuf>,
    /// Judge deadlines at this moment (RFC 3339; default now).
    #[arg(long)]
    now: Option<Time>,
}

#[derive(clap::Args)]
pub struct One {
    id: String,
    /// What to do to the case, recorded in the log.
    #[arg(value_parser = names(&CaseAction::ALL))]
    action: Option<CaseAction>,
    /// Who does it (required with an action).
    #[arg(long)]
    actor: Option<String>,
    #[arg(long)]
    note: Option<String>,
    #[arg(long)]
    pack: Option<PathBuf>,
    #[arg(long)]
    now: Option<Time>,
}

pub fn list(dir: &DataDir, json_out: bool, l: List) -> Result<u8> {
    let a = analyse(dir, Part::Core, None, l.pack.as_deref())?;
    let now = l.now.unwrap_or_else(now);
    let cases: Vec<Case> = a
        .analyzer
        .cases(now)
        .into_iter()
        .filter(|c| l.session.is_none() || c.session == l.session)
        .filter(|c| l.product.is_none() || c.product == l.product)
        .filter(|c| l.status.is_none_or(|s| c.status == s))
        .filter(|c| !l.overdue || c.overdue)
        .collect();
    let pack = &a.analyzer.rules().liability.name;
    if json_out {
        let ids = |leaf| a.event_id(leaf);
        let answers: Vec<CaseAnswer> = cases.iter().map(|c| CaseAnswer::new(c, &ids)).collect();
        print_json(&json!({
            "pack": pack,
            "now": now.to_rfc3339(),
            "cases": serde_json::to_value(answers)?,
            "checkpoint": a.checkpoint_json(),
        }))?;
    } else {
        print!("{}", render::text::cases(&cases, pack, now));
    }
    Ok(0)
}

/// The case `id`, or an error naming some that exist.
fn find(a: &Analysis, id: &str, at: Time) -> Result<Case> {
    if let Some(c) = a.analyzer.case(id, at) {
        return Ok(c);
    }
    let known: Vec<String> = a
        .analyzer
        .cases(at)
        .into_iter()
        .take(10)
        .map(|c| c.id)
        .collect();
    bail!(
        "no case {id:?} (cases: {})",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

pub fn one(dir: &DataDir, json_out: bool, o: One) -> Result<u8> {
    let pack = o.pack.as_deref();
    let a = analyse(dir, Part::Core, None, pack)?;
    let at = o.now.unwrap_or_else(now);
    let case = find(&a, &o.id, at)?;
    let Some(action) = o.action else {
        if json_out {
            print_json(&a.with_checkpoint(CaseAnswer::new(&case, &|l| a.event_id(l)))?)?;
        } else {
            print!("{}", render::text::case(&case, &|l| a.event_id(l)));
        }
        return Ok(0);
    };
    let Some(actor) = o.actor.filter(|s| !s.trim().is_empty()) else {
        bail!("say who does it: --actor NAME");
    };
    if let Err(why) = case.status.after(action) {
        bail!("cannot {action} case {}: {why}", o.id);
    }
    drop(a);
    log_action(dir, &case, action, &actor, o.note, at)?;
    // Judged again, under the same pack, with the action in the log.
    let a = analyse(dir, Part::Core, None, pack)?;
    let case = find(&a, &o.id, at)?;
    if json_out {
        print_json(&serde_json::to_value(CaseAnswer::new(&case, &|l| {
            a.event_id(l)
        }))?)?;
    } else {
        println!(
            "case {}: {action} by {actor}, logged; now {}",
            o.id,
            case.status.as_str()
        );
    }
    Ok(0)
}

/// Logs the `case_updated` event of an action.
fn log_action(
    dir: &DataDir,
    case: &Case,
    action: CaseAction,
    actor: &str,
    note: Option<String>,
    at: Time,
) -> Result<()> {
    let size = dir.reader()?.size();
    let id = format!("{}-{action}-{size}", case.id);
    let ev = ledger::record::case_updated(id, case, action, actor, note.as_deref(), at)?;
    ledger::record::append(&mut Ledger::open(dir, None)?, &[ev])?;
    Ok(())
}
