//! The pre-live gate: may this product be listed in this anchor's room
//! now? Blocking reasons (registration, qualifications, verification) and
//! warnings (no agreement, earlier false claims), each with its basis.

use crate::claims::finding;
use crate::format::plural;
use crate::rules::Rules;
use crate::state::registry::InterventionRec;
use crate::state::State;
use chrono::{DateTime, FixedOffset};
use events::{AnchorId, InterventionAction};
use serde::Serialize;

type Time = DateTime<FixedOffset>;

/// The pre-live gate: may `product` be listed in `anchor`'s live room at `at`?
pub(crate) fn listing_gate(
    st: &State,
    rules: &Rules,
    product: &str,
    anchor: &str,
    at: Time,
) -> Gate {
    let reg = &st.registry;
    let mut reasons = Vec::new();
    let mut add = |blocking: bool, code: GateCode, message: String, basis: &str| {
        reasons.push(GateReason {
            code,
            blocking,
            message,
            basis: basis.to_string(),
        })
    };
    match reg.products.get(product) {
        None => add(
            true,
            GateCode::ProductUnregistered,
            format!(
                "product {product} is not registered: its category and qualifications are unknown"
            ),
            "",
        ),
        Some(p) => {
            if !reg.merchants.contains_key(p.merchant.as_str()) {
                add(
                    true,
                    GateCode::MerchantUnregistered,
                    format!("merchant {} is not registered: the buyer could not be told who the seller is", p.merchant),
                    "CN-CPL-44",
                );
            }
            let (check, reports) = finding::qualification(st, rules, p, at, at.date_naive());
            // An unrecognised qualification warns: it may well be the one.
            let blocking = !check.only_unrecognised();
            for (text, basis) in check.problems(
                &p.qualifications,
                &reports,
                &rules.qualifications.inspection_basis,
            ) {
                add(blocking, GateCode::ProductUnqualified, text.en(), &basis);
            }
        }
    }
    match reg.anchors.get(anchor) {
        None => add(
            true,
            GateCode::AnchorUnregistered,
            format!("anchor {anchor} is not registered"),
            "Online Live-Streaming Marketing Measures (trial, 2021) art. 8",
        ),
        Some(a) if a.verified == Some(false) => add(
            true,
            GateCode::AnchorNotVerified,
            format!("anchor {anchor} has not passed real-name verification"),
            "Online Live-Streaming Marketing Measures (trial, 2021) art. 8",
        ),
        Some(_) => {}
    }
    if let Some(i) = standing_intervention(st, anchor, product, at) {
        let (code, what) = match i.action {
            InterventionAction::Suspend => (GateCode::RoomSuspended, "the room was suspended"),
            _ => (
                GateCode::TakenOffSale,
                "the product was taken off sale in this room",
            ),
        };
        add(
            true,
            code,
            format!(
                "{what} by {} at {} ({}; event {}), and not reinstated since",
                i.actor,
                i.at.to_rfc3339(),
                i.reason,
                i.event
            ),
            "Online Live-Streaming Marketing Measures (trial, 2021) art. 32",
        );
    }
    let anchor_id = AnchorId(anchor.to_string());
    if reg
        .agreements_for(Some(&anchor_id), product, at)
        .next()
        .is_none()
    {
        reasons.push(GateReason {
            code: GateCode::NoAgreement,
            blocking: false,
            message: format!("no agreement between anchor {anchor} and the merchant for {product}: the merchant is the seller of record and has approved no selling points, so every claim will be the anchor's own"),
            basis: String::new(),
        });
    }
    let false_before: Vec<String> = (0..reg.claims.len() as u32)
        .filter(|i| {
            let c = &reg.claims[*i as usize];
            c.at <= at && c.product.as_ref().is_some_and(|p| p.as_str() == product)
        })
        .map(|i| finding::check_claim(st, rules, i))
        .filter(|f| f.misrepresents())
        .map(|f| f.claim.event.0)
        .collect();
    if !false_before.is_empty() {
        reasons.push(GateReason {
            code: GateCode::PriorFalseClaims,
            blocking: false,
            message: format!(
                "{} about this product in earlier sessions were unlawful or false ({}): brief the anchor on the approved selling points",
                plural(false_before.len(), "claim", "claims"),
                false_before.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
            basis: String::new(),
        });
    }
    Gate {
        product: product.to_string(),
        anchor: anchor.to_string(),
        at,
        allowed: !reasons.iter().any(|r| r.blocking),
        reasons,
    }
}

/// The suspension of `anchor`'s room, or the taking off sale of `product`
/// in it, that stands at `at`: the latest such act by then, unless a
/// reinstatement came after it.
fn standing_intervention<'a>(
    st: &'a State,
    anchor: &str,
    product: &str,
    at: Time,
) -> Option<&'a InterventionRec> {
    let in_room = |i: &&InterventionRec| {
        i.at <= at
            && st
                .session_ix(i.session.as_str())
                .and_then(|ix| st.sessions[ix].anchor.as_ref())
                .is_some_and(|a| a.as_str() == anchor)
    };
    let about_product =
        |i: &&InterventionRec| i.product.as_ref().is_none_or(|p| p.as_str() == product);
    let latest = st
        .registry
        .interventions
        .iter()
        .filter(in_room)
        .filter(about_product)
        .filter(|i| i.action != InterventionAction::Warn)
        .max_by_key(|i| (i.at, i.leaf))?;
    (latest.action != InterventionAction::Reinstate).then_some(latest)
}

/// Why the gate says what it says (a closed list, printed in SCREAMING_SNAKE_CASE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GateCode {
    ProductUnregistered,
    MerchantUnregistered,
    ProductUnqualified,
    AnchorUnregistered,
    AnchorNotVerified,
    NoAgreement,
    PriorFalseClaims,
    TakenOffSale,
    RoomSuspended,
}

impl GateCode {
    pub fn as_str(self) -> &'static str {
        match self {
            GateCode::ProductUnregistered => "PRODUCT_UNREGISTERED",
            GateCode::MerchantUnregistered => "MERCHANT_UNREGISTERED",
            GateCode::ProductUnqualified => "PRODUCT_UNQUALIFIED",
            GateCode::AnchorUnregistered => "ANCHOR_UNREGISTERED",
            GateCode::AnchorNotVerified => "ANCHOR_NOT_VERIFIED",
            GateCode::NoAgreement => "NO_AGREEMENT",
            GateCode::PriorFalseClaims => "PRIOR_FALSE_CLAIMS",
            GateCode::TakenOffSale => "TAKEN_OFF_SALE",
            GateCode::RoomSuspended => "ROOM_SUSPENDED",
        }
    }
}

impl std::fmt::Display for GateCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One reason in the pre-live gate's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct GateReason {
    pub code: GateCode,
    /// Whether it bars the listing (otherwise a warning).
    pub blocking: bool,
    pub message: String,
    pub basis: String,
}

/// The pre-live gate's answer.
#[derive(Clone, Debug)]
pub struct Gate {
    pub product: String,
    pub anchor: String,
    pub at: Time,
    pub allowed: bool,
    pub reasons: Vec<GateReason>,
}
