//! One claim, checked: what was said, each assert against what is on
//! record, and every finding with its basis.

use crate::answer::cite::{basis, EventIds};
use analysis::claims::check::{Outcome, Source};
use analysis::claims::finding::ClaimFinding;
use analysis::format::round;
use analysis::{FlagCode, Severity};
use serde::Serialize;

#[derive(Serialize)]
pub struct ClaimAnswer {
    pub event: String,
    pub leaf: u64,
    pub at: String,
    pub session: String,
    pub anchor: Option<String>,
    pub product: Option<String>,
    pub speaker: Option<String>,
    pub text: String,
    pub approval: &'static str,
    pub approved: bool,
    pub asserts: Vec<AssertAnswer>,
    pub findings: Vec<FindingAnswer>,
}

#[derive(Serialize)]
pub struct AssertAnswer {
    pub claimed: String,
    /// holds, contradicted or unsupported.
    pub outcome: &'static str,
    /// Why nothing on record could be compared (unsupported only).
    pub reason: Option<String>,
    pub measured: Vec<MeasuredAnswer>,
}

#[derive(Serialize)]
pub struct MeasuredAnswer {
    /// `report:<id>` or `attribute`.
    pub source: String,
    pub value: f64,
    pub unit: Option<String>,
    /// The value in the assert's unit, as compared.
    pub compared: f64,
    pub event: Option<String>,
    pub leaf: u64,
}

#[derive(Serialize)]
pub struct FindingAnswer {
    pub code: FlagCode,
    pub severity: Severity,
    pub detail: String,
    pub basis: Vec<String>,
}

impl ClaimAnswer {
    pub fn new(f: &ClaimFinding, ids: EventIds) -> ClaimAnswer {
        let c = &f.claim;
        let asserts = f
            .check
            .asserts
            .iter()
            .map(|a| {
                let (outcome, measured, reason) = match &a.outcome {
                    Outcome::Holds(ms) => ("holds", ms.as_slice(), None),
                    Outcome::Contradicted(ms) => ("contradicted", ms.as_slice(), None),
                    Outcome::Unsupported(w) => ("unsupported", &[][..], Some(w.en())),
                };
                AssertAnswer {
                    claimed: a.claimed(),
                    outcome,
                    reason,
                    measured: measured
                        .iter()
                        .map(|m| {
                            let (source, leaf) = match m.source {
                                Source::Report(i) => {
                                    (format!("report:{}", f.reports[i].id), f.reports[i].leaf)
                                }
                                Source::Attribute => {
                                    ("attribute".to_string(), f.product_leaf.unwrap_or(c.leaf))
                                }
                            };
                            MeasuredAnswer {
                                source,
                                value: m.value,
                                unit: m.unit.clone(),
                                compared: round(m.compared),
                                event: ids(leaf),
                                leaf,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        ClaimAnswer {
            event: c.event.0.clone(),
            leaf: c.leaf,
            at: c.at.to_rfc3339(),
            session: f.session.clone(),
            anchor: f.anchor.clone(),
            product: c.product.as_ref().map(|p| p.0.clone()),
            speaker: c.speaker.clone(),
            text: c.text.clone(),
            approval: f.check.approval.as_str(),
            approved: f.check.approval.approved(),
            asserts,
            findings: f
                .findings
                .iter()
                .map(|d| FindingAnswer {
                    code: d.code,
                    severity: d.code.claim_severity(),
                    detail: d.said.en(),
                    basis: basis(&d.basis),
                })
                .collect(),
        }
    }
}
