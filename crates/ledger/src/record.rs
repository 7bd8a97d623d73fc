//! Events liveledger itself writes to the log: what people did to cases
//! and sessions, and who was shown what (`access`).
//! Each goes through ingest like any producer's event, so it is validated,
//! deduplicated and committed the same way.

use crate::answer::case::CaseAnswer;
use crate::datadir::Ledger;
use crate::error::{Error, Result};
use crate::ingest::{ingest, Input, Options, Progress};
use analysis::cases::case::Case;
use events::CaseAction;
use serde_json::{json, Value};

type Time = chrono::DateTime<chrono::FixedOffset>;

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh event id: `prefix-` and 16 random hex digits.
pub fn fresh_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| Error::Key(format!("no randomness for an id: {e}")))?;
    Ok(format!("{prefix}-{}", hex(&b)))
}

/// The `case_updated` event of an action; a decision carries the liability
/// and remedy as computed when the person acted.
pub fn case_updated(
    id: String,
    case: &Case,
    action: CaseAction,
    actor: &str,
    note: Option<&str>,
    at: Time,
) -> Result<Value> {
    let mut ev = json!({
        "type": "case_updated",
        "id": id,
        "at": at.to_rfc3339(),
        "case": case.id,
        "action": action,
        "actor": actor,
    });
    if let Some(n) = note {
        ev["note"] = json!(n);
    }
    if action == CaseAction::Decide {
        let c = serde_json::to_value(CaseAnswer::new(case, &|_| None))?;
        ev["liable"] = c["liable"].clone();
        ev["remedy"] = c["remedy"].clone();
    }
    Ok(ev)
}

/// The `intervention` event: `actor` acts on `session`.
pub fn intervention(
    session: &str,
    action: &str,
    product: Option<&str>,
    reason: &str,
    alert: Option<&str>,
    actor: &str,
    at: Time,
) -> Result<Value> {
    let mut ev = json!({
        "type": "intervention",
        "id": fresh_id("intervention")?,
        "at": at.to_rfc3339(),
        "session": session,
        "action": action,
        "reason": reason,
        "actor": actor,
    });
    for (k, v) in [("product", product), ("alert", alert)] {
        if let Some(v) = v {
            ev[k] = json!(v);
        }
    }
    Ok(ev)
}

/// The `access` event: `actor`, in `role`, was shown `resource`.
pub fn access(actor: &str, role: &str, resource: &str, at: Time) -> Result<Value> {
    Ok(json!({
        "type": "access",
        "id": fresh_id("access")?,
        "at": at.to_rfc3339(),
        "actor": actor,
        "role": role,
        "resource": resource,
    }))
}

/// Appends `events` and commits them; every one must be accepted.
pub fn append(ledger: &mut Ledger, events: &[Value]) -> Result<()> {
    append_with(ledger, events, false)
}

/// Appends `events` and commits them; each must be accepted or already in
/// the log (records written again after a crash, under their own ids).
pub fn append_once(ledger: &mut Ledger, events: &[Value]) -> Result<()> {
    append_with(ledger, events, true)
}

fn append_with(ledger: &mut Ledger, events: &[Value], duplicates: bool) -> Result<()> {
    let mut text = String::new();
    for e in events {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    let report = ingest(
        ledger,
        vec![Input {
            name: "liveledger".into(),
            reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        }],
        &Options::default(),
        &mut Progress::none(),
    )?;
    let logged = report.accepted + if duplicates { report.duplicates } else { 0 };
    if logged != events.len() as u64 {
        let why: Vec<String> = report
            .errors
            .iter()
            .map(|e| match &e.field {
                Some(f) => format!("`{f}` {}", e.reason),
                None => e.reason.clone(),
            })
            .collect();
        return Err(Error::Invalid(format!(
            "{} of {} events were not logged: {}",
            events.len() as u64 - logged,
            events.len(),
            why.join("; ")
        )));
    }
    Ok(())
}
