//! The product findings (report.md §2) and the listing gate's answer.

use crate::answer::case::ExposureAnswer;
use crate::answer::cite::{basis, Cite, EventIds};
use crate::answer::claim::ClaimAnswer;
use crate::answer::session::FlagAnswer;
use analysis::authenticity::sales::Waterfall;
use analysis::format::round;
use analysis::products::gate::{Gate, GateCode};
use analysis::products::report::ProductReport;
use events::{AttrValue, Category, ComplaintCategory, Conclusion};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct ProductAnswer {
    pub product: String,
    pub registered: bool,
    pub name: Option<String>,
    pub category: Option<Category>,
    pub brand: Option<String>,
    pub merchant: Option<String>,
    pub merchant_registered: Option<bool>,
    pub registration: Option<Cite>,
    pub attributes: Option<BTreeMap<String, Value>>,
    pub qualifications: QualificationsAnswer,
    pub inspections: Vec<InspectionAnswer>,
    pub listings: Vec<ListingAnswer>,
    pub claims: Vec<ClaimAnswer>,
    pub sales: ProductSales,
    pub complaints: ComplaintsAnswer,
    pub exposure: Option<ExposureAnswer>,
    pub flags: Vec<FlagAnswer>,
}

#[derive(Serialize)]
pub struct QualificationsAnswer {
    pub on: String,
    pub qualified: Option<bool>,
    pub held: Option<Vec<HeldAnswer>>,
    pub required: Option<Vec<RequiredAnswer>>,
    pub problems: Vec<Problem>,
}

#[derive(Serialize)]
pub struct HeldAnswer {
    pub kind: String,
    pub number: String,
    pub expires: Option<String>,
}

#[derive(Serialize)]
pub struct RequiredAnswer {
    pub requirement: String,
    pub kinds: Vec<String>,
    pub basis: String,
    /// held, waived, missing, expired or bad_number.
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct Problem {
    pub problem: String,
    pub basis: String,
}

#[derive(Serialize)]
pub struct InspectionAnswer {
    pub report: String,
    pub lab: String,
    pub issued: String,
    pub conclusion: Conclusion,
    pub results: Vec<Value>,
    pub event: Option<String>,
    pub leaf: u64,
}

#[derive(Serialize)]
pub struct ListingAnswer {
    pub session: String,
    pub anchor: Option<String>,
    pub at: String,
    pub price: i64,
    pub currency: String,
    pub qualified: Option<bool>,
    pub problems: Vec<Problem>,
    pub event: Option<String>,
    pub leaf: u64,
}

/// A sales waterfall, tagged with the currency or session it covers.
#[derive(Serialize)]
pub struct WaterfallAnswer {
    pub placed_orders: u64,
    pub placed_gmv: i64,
    pub paid_orders: u64,
    pub paid_gmv: i64,
    pub cancelled_orders: u64,
    pub cancelled_gmv: i64,
    pub refunded_orders: u64,
    pub refunded_gmv: i64,
    pub refund_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// The main currency's waterfall, then every currency's and session's.
#[derive(Serialize)]
pub struct ProductSales {
    #[serde(flatten)]
    pub main: WaterfallAnswer,
    /// The currency of most placed GMV (`null` without sales).
    pub currency: Option<String>,
    pub by_currency: Vec<WaterfallAnswer>,
    pub by_session: Vec<WaterfallAnswer>,
}

#[derive(Serialize)]
pub struct ComplaintsAnswer {
    pub count: usize,
    pub by_category: BTreeMap<&'static str, u64>,
    pub items: Vec<ComplaintAnswer>,
}

#[derive(Serialize)]
pub struct ComplaintAnswer {
    pub complaint: String,
    pub category: ComplaintCategory,
    pub at: String,
    pub text: String,
    pub claim_ref: Option<String>,
    pub event: String,
    pub leaf: u64,
}

impl WaterfallAnswer {
    fn new(w: &Waterfall) -> WaterfallAnswer {
        WaterfallAnswer {
            placed_orders: w.placed_orders,
            placed_gmv: w.placed_gmv,
            paid_orders: w.paid_orders,
            paid_gmv: w.paid_gmv,
            cancelled_orders: w.cancelled_orders,
            cancelled_gmv: w.cancelled_gmv,
            refunded_orders: w.refunded_orders,
            refunded_gmv: w.refunded_gmv,
            refund_rate: round(w.refund_rate()),
            currency: None,
            session: None,
        }
    }
}

fn problems(p: &[(analysis::claims::qualify::Problem, String)]) -> Vec<Problem> {
    p.iter()
        .map(|(t, b)| Problem {
            problem: t.en(),
            basis: b.clone(),
        })
        .collect()
}

impl ProductAnswer {
    pub fn new(r: &ProductReport, ids: EventIds) -> ProductAnswer {
        let p = r.record.as_ref();
        let main = r
            .currency()
            .and_then(|c| r.sales.get(&c))
            .cloned()
            .unwrap_or_default();
        let sales = ProductSales {
            main: WaterfallAnswer::new(&main),
            currency: r.currency().map(|c| c.to_string()),
            by_currency: r
                .sales
                .iter()
                .map(|(c, w)| WaterfallAnswer {
                    currency: Some(c.to_string()),
                    ..WaterfallAnswer::new(w)
                })
                .collect(),
            by_session: r
                .by_session
                .iter()
                .map(|(s, w)| WaterfallAnswer {
                    session: Some(s.clone()),
                    ..WaterfallAnswer::new(w)
                })
                .collect(),
        };
        ProductAnswer {
            product: r.product.clone(),
            registered: p.is_some(),
            name: p.map(|p| p.name.clone()),
            category: p.map(|p| p.category),
            brand: p.and_then(|p| p.brand.clone()),
            merchant: p.map(|p| p.merchant.0.clone()),
            merchant_registered: r.merchant_registered,
            registration: p.map(|p| Cite::new(ids, p.leaf)),
            attributes: p.map(|p| {
                p.attributes
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            AttrValue::Number(x) => json!(x),
                            AttrValue::Text(t) => json!(t),
                        };
                        (k.clone(), v)
                    })
                    .collect()
            }),
            qualifications: QualificationsAnswer {
                on: r.on.to_string(),
                qualified: r.qualified_now(),
                held: p.map(|p| {
                    p.qualifications
                        .iter()
                        .map(|q| HeldAnswer {
                            kind: q.kind.clone(),
                            number: q.number.clone(),
                            expires: q.expires.map(|d| d.to_string()),
                        })
                        .collect()
                }),
                required: r.now.as_ref().map(|(c, _)| {
                    c.requirements
                        .iter()
                        .map(|q| RequiredAnswer {
                            requirement: q.requirement.requirement.clone(),
                            kinds: q.requirement.kinds.clone(),
                            basis: q.requirement.basis.clone(),
                            status: q.status.as_str(),
                        })
                        .collect()
                }),
                problems: r.now.as_ref().map(|(_, p)| problems(p)).unwrap_or_default(),
            },
            inspections: r
                .reports
                .iter()
                .map(|x| InspectionAnswer {
                    report: x.id.0.clone(),
                    lab: x.lab.clone(),
                    issued: x.issued.to_string(),
                    conclusion: x.conclusion,
                    results: x
                        .results
                        .iter()
                        .map(|x| json!({"item": x.item, "value": x.value, "unit": x.unit}))
                        .collect(),
                    event: ids(x.leaf),
                    leaf: x.leaf,
                })
                .collect(),
            listings: r
                .listings
                .iter()
                .map(|l| ListingAnswer {
                    session: l.session.clone(),
                    anchor: l.anchor.clone(),
                    at: l.at.to_rfc3339(),
                    price: l.price.minor,
                    currency: l.price.currency.to_string(),
                    qualified: l.qualified,
                    problems: problems(&l.problems),
                    event: ids(l.leaf),
                    leaf: l.leaf,
                })
                .collect(),
            claims: r.claims.iter().map(|c| ClaimAnswer::new(c, ids)).collect(),
            sales,
            complaints: ComplaintsAnswer {
                count: r.complaints.len(),
                by_category: r.complaint_counts(),
                items: r
                    .complaints
                    .iter()
                    .map(|c| ComplaintAnswer {
                        complaint: c.complaint.0.clone(),
                        category: c.category,
                        at: c.at.to_rfc3339(),
                        text: c.text.clone(),
                        claim_ref: c.claim_ref.as_ref().map(|e| e.0.clone()),
                        event: c.event.0.clone(),
                        leaf: c.leaf,
                    })
                    .collect(),
            },
            exposure: r.exposure.as_ref().map(ExposureAnswer::new),
            flags: r.flags.iter().map(|f| FlagAnswer::new(f, ids)).collect(),
        }
    }
}

/// The pre-live gate's answer.
#[derive(Serialize)]
pub struct GateAnswer {
    pub product: String,
    pub anchor: String,
    pub at: String,
    pub allowed: bool,
    pub reasons: Vec<GateReasonAnswer>,
}

#[derive(Serialize)]
pub struct GateReasonAnswer {
    pub code: GateCode,
    pub blocking: bool,
    pub message: String,
    pub basis: Vec<String>,
}

impl GateAnswer {
    pub fn new(g: &Gate) -> GateAnswer {
        GateAnswer {
            product: g.product.clone(),
            anchor: g.anchor.clone(),
            at: g.at.to_rfc3339(),
            allowed: g.allowed,
            reasons: g
                .reasons
                .iter()
                .map(|r| GateReasonAnswer {
                    code: r.code,
                    blocking: r.blocking,
                    message: r.message.clone(),
                    basis: basis(&r.basis),
                })
                .collect(),
        }
    }
}
