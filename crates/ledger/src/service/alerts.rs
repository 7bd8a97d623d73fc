//! Live alerts (api.md, "Alerts"): while sessions run, the service judges
//! again every session whose events moved and raises an alert when a flag
//! first appears on it or its severity rises — once per session, code and
//! severity. Alerts are events in the log (`alert`), so the moment one was
//! raised is provable, and after a restart the log says which were raised.
//!
//! The alerter is one thread: every [`TICK`] it compares each session's
//! change count (its events and those about its orders: a refund days
//! later counts) with the count it last judged, judges the ones that
//! moved, and writes the new alerts in one commit. A burst of events is
//! judged once per tick, not once per event. Judging holds the analysis
//! (ingest and reads wait), so a session is judged again only after
//! [`PACE`] times as long as its last judging took: a head anchor's
//! session, seconds to judge at tens of millions of events, takes at most
//! a quarter of the time from everything else.

use super::hub::{now, Service};
use crate::error::Result;
use crate::record;
use analysis::Severity;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often sessions are looked at.
pub const TICK: Duration = Duration::from_millis(250);

/// A session is judged again no sooner than this many times its last
/// judging took (and no sooner than the next tick).
const PACE: u32 = 3;

/// Event ids cited as an alert's evidence, at most.
const EVIDENCE: usize = 20;

fn severity(name: &str) -> Option<Severity> {
    [Severity::Low, Severity::Medium, Severity::High]
        .into_iter()
        .find(|s| s.as_str() == name)
}

/// The alerter: per session, the change count it last judged and when it
/// may judge it again.
#[derive(Default)]
pub struct Alerter {
    judged: HashMap<String, (u64, Instant)>,
}

impl Alerter {
    /// Judges the sessions that moved and writes their new alerts; returns
    /// how many were raised.
    pub fn tick(&mut self, svc: &Service) -> Result<usize> {
        svc.catch_up()?;
        let new = {
            let live = svc.live()?;
            let a = &live.analysis;
            let an = &a.analyzer;
            let at = Instant::now();
            let moved: Vec<(String, u64)> = an
                .session_changes()
                .filter(|(id, n)| {
                    self.judged
                        .get(*id)
                        .is_none_or(|(seen, next)| seen != n && *next <= at)
                })
                .map(|(id, n)| (id.to_string(), n))
                .collect();
            let mut new = Vec::new();
            for (id, n) in moved {
                let start = Instant::now();
                let report = an.session_report(&id);
                self.judged
                    .insert(id.clone(), (n, Instant::now() + start.elapsed() * PACE));
                let Some(r) = report else {
                    continue;
                };
                for f in &r.flags {
                    let raised = an
                        .alerts()
                        .iter()
                        .filter(|x| x.session.as_str() == id && x.code == f.code.as_str())
                        .filter_map(|x| severity(&x.severity))
                        .max();
                    if raised.is_some_and(|s| s >= f.severity) {
                        continue;
                    }
                    let alert = format!("{id}/{}/{}", f.code.as_str(), f.severity.as_str());
                    let evidence: Vec<String> = f
                        .evidence
                        .leaves
                        .iter()
                        .take(EVIDENCE)
                        .filter_map(|l| a.event_id(*l))
                        .collect();
                    new.push(json!({
                        "type": "alert",
                        "id": record::fresh_id("alert")?,
                        "at": now().to_rfc3339(),
                        "session": id,
                        "alert": alert,
                        "code": f.code.as_str(),
                        "severity": f.severity.as_str(),
                        "summary": render::words::summary(f, render::words::Lang::En),
                        "evidence": evidence,
                        "checkpoint": a.reader.size(),
                    }));
                }
            }
            new
        };
        if !new.is_empty() {
            svc.write(&new)?;
            for a in &new {
                tracing::info!(alert = %a["alert"], "alert raised");
            }
        }
        Ok(new.len())
    }
}
