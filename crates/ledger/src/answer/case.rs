//! An after-sales case (report.md §3): who is liable and why, what is
//! owed, the facts and every rule that fired or did not, its history.

use crate::answer::cite::{Cite, EventIds};
use crate::answer::claim::ClaimAnswer;
use analysis::cases::case::{Case, Exposure, Status};
use analysis::cases::liability::Liable;
use analysis::claims::check::{Outcome, Source};
use analysis::format::round;
use events::{ComplaintCategory, Currency};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct CaseAnswer {
    pub case: String,
    pub complaint: String,
    pub order: String,
    pub session: Option<String>,
    pub product: Option<String>,
    pub category: ComplaintCategory,
    pub status: Status,
    pub opened: String,
    pub due: Option<String>,
    pub overdue: bool,
    pub needs_review: bool,
    pub liable: Vec<LiableAnswer>,
    pub remedy: RemedyAnswer,
    pub facts: BTreeMap<&'static str, bool>,
    pub rules: Vec<RuleAnswer>,
    pub claims: Vec<ClaimAnswer>,
    pub history: Vec<HistoryAnswer>,
    pub evidence: Vec<Cite>,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct LiableAnswer {
    pub party: String,
    pub role: String,
    pub basis: Vec<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Present (and true) only for joint liability.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub joint: bool,
}

#[derive(Serialize)]
pub struct RemedyAnswer {
    pub refund: i64,
    pub compensation: i64,
    pub currency: Currency,
    pub basis: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct RuleAnswer {
    pub rule: String,
    pub fired: bool,
    pub why: String,
}

#[derive(Serialize)]
pub struct HistoryAnswer {
    pub at: String,
    pub what: String,
    pub actor: Option<String>,
    pub event: Option<String>,
    pub leaf: u64,
}

impl LiableAnswer {
    fn new(l: &Liable) -> LiableAnswer {
        LiableAnswer {
            party: l.party.clone(),
            role: l.role.clone(),
            basis: l.basis.clone(),
            reason: l.reason.clone(),
            share: l.share,
            joint: l.joint,
        }
    }
}

/// The entries a case rests on: the complaint, the order, each claim with
/// a finding and the inspection reports that contradicted it — each once.
fn evidence(c: &Case) -> Vec<u64> {
    let mut evidence = vec![c.complaint.leaf];
    evidence.extend(c.placed_leaf);
    for f in c.claims.iter().filter(|f| !f.findings.is_empty()) {
        evidence.push(f.claim.leaf);
        for a in &f.check.asserts {
            if let Outcome::Contradicted(ms) = &a.outcome {
                for m in ms {
                    if let Source::Report(i) = m.source {
                        evidence.push(f.reports[i].leaf);
                    }
                }
            }
        }
    }
    let mut seen = Vec::new();
    evidence.retain(|l| {
        let new = !seen.contains(l);
        seen.push(*l);
        new
    });
    evidence
}

impl CaseAnswer {
    pub fn new(c: &Case, ids: EventIds) -> CaseAnswer {
        let d = &c.decision;
        CaseAnswer {
            case: c.id.clone(),
            complaint: c.complaint.complaint.0.clone(),
            order: c.complaint.order_id.0.clone(),
            session: c.session.clone(),
            product: c.product.clone(),
            category: c.complaint.category,
            status: c.status,
            opened: c.complaint.at.to_rfc3339(),
            due: c.due.map(|t| t.to_rfc3339()),
            overdue: c.overdue,
            needs_review: c.needs_review,
            liable: d.liable.iter().map(LiableAnswer::new).collect(),
            remedy: RemedyAnswer {
                refund: d.remedy.refund,
                compensation: d.remedy.compensation,
                currency: d.remedy.currency,
                basis: d.remedy.basis.clone(),
                notes: d.remedy.notes.clone(),
            },
            facts: c.facts.0.iter().copied().collect(),
            rules: d
                .rules
                .iter()
                .map(|r| RuleAnswer {
                    rule: r.rule.clone(),
                    fired: r.fired,
                    why: r.why.clone(),
                })
                .collect(),
            claims: c.claims.iter().map(|f| ClaimAnswer::new(f, ids)).collect(),
            history: c
                .history
                .iter()
                .map(|e| HistoryAnswer {
                    at: e.at.to_rfc3339(),
                    what: e.what.clone(),
                    actor: e.actor.clone(),
                    event: ids(e.leaf),
                    leaf: e.leaf,
                })
                .collect(),
            evidence: Cite::all(ids, &evidence(c)),
            notes: c.notes.clone(),
        }
    }
}

/// What a full recall of a product would cost (report.md §3, `exposure`).
#[derive(Serialize)]
pub struct ExposureAnswer {
    pub orders: u64,
    pub unrefunded_sales: i64,
    pub refund: i64,
    pub compensation: i64,
    pub total: i64,
    pub currency: Option<Currency>,
    pub multiple_of_sales: Option<f64>,
}

impl ExposureAnswer {
    pub fn new(e: &Exposure) -> ExposureAnswer {
        ExposureAnswer {
            orders: e.orders,
            unrefunded_sales: e.unrefunded,
            refund: e.refund,
            compensation: e.compensation,
            total: e.total(),
            currency: e.currency,
            multiple_of_sales: (e.unrefunded > 0)
                .then(|| round(e.total() as f64 / e.unrefunded as f64)),
        }
    }
}
