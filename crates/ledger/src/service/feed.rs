//! The alerts raised so far, in log order, as api.md shapes them, with
//! each one's session parties (for scope): what the streams, webhooks and
//! NATS read, without the analysis' lock.

use super::tokens::Principal;
use analysis::owners::SessionOwners;
use analysis::state::registry::AlertRec;
use analysis::Analyzer;
use serde_json::{json, Value};
use std::sync::Mutex;

/// An alert as api.md shapes it, with the parties of its session (for scope).
#[derive(Clone, Debug)]
pub struct Raised {
    pub json: Value,
    pub owners: SessionOwners,
}

/// The alerts raised so far, in log order, readable without the analysis'
/// lock (streams poll it).
#[derive(Default)]
pub struct Feed(Mutex<Vec<Raised>>);

impl Feed {
    /// The alerts from position `from` on that `who` may see, with their
    /// positions (1-based: an SSE id); and the position after the last
    /// alert looked at.
    pub fn since(&self, from: usize, who: &Principal) -> (Vec<(usize, Value)>, usize) {
        let Ok(all) = self.0.lock() else {
            return (Vec::new(), from);
        };
        let seen = all
            .iter()
            .enumerate()
            .skip(from)
            .filter(|(_, r)| who.sees_session(&r.owners))
            .map(|(i, r)| (i + 1, r.json.clone()))
            .collect();
        (seen, all.len().max(from))
    }

    /// How many alerts were raised so far.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |all| all.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The alerts from position `from` on, whoever may see them.
    pub fn raised_from(&self, from: usize) -> Vec<Raised> {
        self.0
            .lock()
            .map(|all| all.iter().skip(from).cloned().collect())
            .unwrap_or_default()
    }

    /// Brings the feed level with the alerts the analysis has seen.
    pub fn sync(&self, an: &Analyzer) {
        let Ok(mut feed) = self.0.lock() else { return };
        for a in &an.alerts()[feed.len()..] {
            feed.push(Raised {
                json: view(a),
                owners: an.session_owners(a.session.as_str()).unwrap_or_default(),
            });
        }
    }
}

/// api.md's alert object.
pub fn view(a: &AlertRec) -> Value {
    json!({
        "alert": a.alert,
        "session": a.session.as_str(),
        "code": a.code,
        "severity": a.severity,
        "summary": a.summary,
        "raised_at": a.at.to_rfc3339(),
        "evidence": a.evidence,
        "checkpoint": a.checkpoint,
        "event": a.event.0,
    })
}
