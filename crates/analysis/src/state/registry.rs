//! What is on record about parties and products: registrations, inspection
//! reports, agreements, listings, claims and complaints. Small next to the
//! audience (hundreds of products and claims against millions of viewers),
//! so kept whole, as the events gave it.

use chrono::{DateTime, FixedOffset, NaiveDate};
use events::{
    AgreementId, AnchorId, Assert, AttrValue, Body, CaseAction, Category, ComplaintCategory,
    ComplaintId, Conclusion, Event, EventId, InspectionResult, InterventionAction, License,
    MerchantId, Money, OrderId, ProductId, ReportId, Seller, SessionId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

type Time = DateTime<FixedOffset>;

/// An inspection report as the claim checks need it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: ReportId,
    pub leaf: u64,
    pub at: Time,
    pub lab: String,
    pub issued: NaiveDate,
    pub results: Vec<InspectionResult>,
    pub conclusion: Conclusion,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProductRec {
    pub id: ProductId,
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    pub merchant: MerchantId,
    pub name: String,
    pub category: Category,
    pub brand: Option<String>,
    pub attributes: BTreeMap<String, AttrValue>,
    pub qualifications: Vec<License>,
}

/// A registered merchant or anchor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartyRec {
    pub leaf: u64,
    pub at: Time,
    pub name: String,
    /// Anchors: real-name verified.
    pub verified: Option<bool>,
    pub licenses: Vec<License>,
    /// Anchors: the MCN agency that manages them.
    pub mcn: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgreementRec {
    pub id: AgreementId,
    pub leaf: u64,
    pub at: Time,
    pub anchor: AnchorId,
    pub merchant: MerchantId,
    pub seller: Seller,
    pub approved: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListingRec {
    pub session: u32,
    pub leaf: u64,
    pub at: Time,
    pub price: Money,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimRec {
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    pub session: u32,
    pub product: Option<ProductId>,
    pub text: String,
    pub speaker: Option<String>,
    pub asserts: Vec<Assert>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ComplaintRec {
    pub complaint: ComplaintId,
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    /// Index into the analyzer's orders.
    pub order: u32,
    pub order_id: OrderId,
    pub category: ComplaintCategory,
    pub text: String,
    pub claim_ref: Option<EventId>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Registry {
    pub products: BTreeMap<String, ProductRec>,
    pub merchants: BTreeMap<String, PartyRec>,
    pub anchors: BTreeMap<String, PartyRec>,
    /// Per product id.
    pub reports: BTreeMap<String, Vec<Report>>,
    pub agreements: BTreeMap<String, Vec<AgreementRec>>,
    pub listings: BTreeMap<String, Vec<ListingRec>>,
    pub claims: Vec<ClaimRec>,
    pub complaints: Vec<ComplaintRec>,
    /// Complaints filed again under an id already on record (the first
    /// filing, by time then leaf, stands as the case).
    pub refiled: Vec<ComplaintRec>,
    /// Complaint id → index into `complaints`.
    complaint_ix: BTreeMap<String, usize>,
    /// What people did to after-sales cases, as logged.
    pub case_updates: Vec<CaseUpdateRec>,
    /// Acts of a regulator or platform on live sessions.
    pub interventions: Vec<InterventionRec>,
    /// Alerts the service raised, in log order.
    pub alerts: Vec<AlertRec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InterventionRec {
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    pub session: SessionId,
    pub action: InterventionAction,
    pub product: Option<ProductId>,
    pub reason: String,
    pub alert: Option<String>,
    pub actor: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlertRec {
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    pub session: SessionId,
    pub alert: String,
    pub code: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    pub summary: String,
    pub evidence: Vec<String>,
    pub checkpoint: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseUpdateRec {
    pub case: String,
    pub event: EventId,
    pub leaf: u64,
    pub at: Time,
    pub action: CaseAction,
    pub actor: String,
    pub note: Option<String>,
}

/// Of two records of the same thing, the later one (by time, then leaf) stands.
fn later(old: Option<(Time, u64)>, new: (Time, u64)) -> bool {
    old.is_none_or(|o| new >= o)
}

impl Registry {
    /// Records a complaint; one filed again under the same id is kept
    /// aside, so one complaint makes one case whatever the arrival order.
    pub(crate) fn file_complaint(&mut self, c: ComplaintRec) {
        match self.complaint_ix.get(c.complaint.as_str()) {
            None => {
                self.complaint_ix
                    .insert(c.complaint.0.clone(), self.complaints.len());
                self.complaints.push(c);
            }
            Some(&i) if (c.at, c.leaf) < (self.complaints[i].at, self.complaints[i].leaf) => {
                let first = std::mem::replace(&mut self.complaints[i], c);
                self.refiled.push(first);
            }
            Some(_) => self.refiled.push(c),
        }
    }

    /// Takes a registry event (no session); ignores the others.
    pub(crate) fn observe(&mut self, leaf: u64, ev: &Event) {
        let at = ev.at;
        match &ev.body {
            Body::ProductRegistered {
                product,
                merchant,
                name,
                category,
                brand,
                attributes,
                qualifications,
            } => {
                let old = self.products.get(product.as_str()).map(|p| (p.at, p.leaf));
                if later(old, (at, leaf)) {
                    self.products.insert(
                        product.0.clone(),
                        ProductRec {
                            id: product.clone(),
                            event: ev.id.clone(),
                            leaf,
                            at,
                            merchant: merchant.clone(),
                            name: name.clone(),
                            category: *category,
                            brand: brand.clone(),
                            attributes: attributes.clone(),
                            qualifications: qualifications.clone(),
                        },
                    );
                }
            }
            Body::MerchantRegistered {
                merchant,
                name,
                licenses,
            } => Self::party(
                &mut self.merchants,
                merchant.as_str(),
                leaf,
                at,
                PartyRec {
                    leaf,
                    at,
                    name: name.clone(),
                    verified: None,
                    licenses: licenses.clone(),
                    mcn: None,
                },
            ),
            Body::AnchorRegistered {
                anchor,
                name,
                verified,
                mcn,
            } => Self::party(
                &mut self.anchors,
                anchor.as_str(),
                leaf,
                at,
                PartyRec {
                    leaf,
                    at,
                    name: name.clone(),
                    verified: *verified,
                    licenses: Vec::new(),
                    mcn: mcn.clone(),
                },
            ),
            Body::InspectionReport {
                report,
                product,
                lab,
                issued,
                results,
                conclusion,
            } => {
                let list = self.reports.entry(product.0.clone()).or_default();
                let pos = list.partition_point(|r| (r.at, r.leaf) <= (at, leaf));
                list.insert(
                    pos,
                    Report {
                        id: report.clone(),
                        leaf,
                        at,
                        lab: lab.clone(),
                        issued: *issued,
                        results: results.clone(),
                        conclusion: *conclusion,
                    },
                );
            }
            Body::Agreement {
                agreement,
                anchor,
                merchant,
                product,
                seller,
                approved_claims,
                ..
            } => self
                .agreements
                .entry(product.0.clone())
                .or_default()
                .push(AgreementRec {
                    id: agreement.clone(),
                    leaf,
                    at,
                    anchor: anchor.clone(),
                    merchant: merchant.clone(),
                    seller: *seller,
                    approved: approved_claims.clone(),
                }),
            Body::Intervention {
                session,
                action,
                product,
                reason,
                alert,
                actor,
            } => self.interventions.push(InterventionRec {
                event: ev.id.clone(),
                leaf,
                at,
                session: session.clone(),
                action: *action,
                product: product.clone(),
                reason: reason.clone(),
                alert: alert.clone(),
                actor: actor.clone(),
            }),
            Body::Alert {
                session,
                alert,
                code,
                severity,
                summary,
                evidence,
                checkpoint,
            } => self.alerts.push(AlertRec {
                event: ev.id.clone(),
                leaf,
                at,
                session: session.clone(),
                alert: alert.clone(),
                code: code.clone(),
                severity: severity.clone(),
                summary: summary.clone(),
                evidence: evidence.clone(),
                checkpoint: *checkpoint,
            }),
            Body::CaseUpdated {
                case,
                action,
                actor,
                note,
            } => self.case_updates.push(CaseUpdateRec {
                case: case.clone(),
                event: ev.id.clone(),
                leaf,
                at,
                action: *action,
                actor: actor.clone(),
                note: note.clone(),
            }),
            _ => {}
        }
    }

    fn party(map: &mut BTreeMap<String, PartyRec>, id: &str, leaf: u64, at: Time, rec: PartyRec) {
        if later(map.get(id).map(|p| (p.at, p.leaf)), (at, leaf)) {
            map.insert(id.to_string(), rec);
        }
    }

    /// The reports on record for a product, oldest first.
    pub fn reports_of(&self, product: &str) -> &[Report] {
        self.reports.get(product).map_or(&[], Vec::as_slice)
    }

    /// The agreements for (anchor, product) made by `at` (any anchor when
    /// the anchor is unknown).
    pub fn agreements_for<'a>(
        &'a self,
        anchor: Option<&'a AnchorId>,
        product: &str,
        at: Time,
    ) -> impl Iterator<Item = &'a AgreementRec> {
        self.agreements
            .get(product)
            .into_iter()
            .flatten()
            .filter(move |g| g.at <= at && anchor.is_none_or(|a| *a == g.anchor))
    }
}
