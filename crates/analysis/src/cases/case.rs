//! After-sales cases: every complaint opens one. The facts of
//! `liability.md` are established from the log here; the rule pack
//! ([`crate::cases::liability`]) turns them into who is liable and what is owed.
//!
//! A case's status comes from the `case_updated` events people log
//! (`decide`, `remedy`, `close`, `escalate`, `dispute`); its decision is
//! recomputed from the facts each time it is asked for, and each later
//! inspection report that changed it is listed in the history.

use crate::cases::liability::{decide, Decision, Facts, Pack, Parties, FACTS};
use crate::claims::check::{Outcome, Source};
use crate::claims::finding::{self, ClaimFinding};
use crate::flag::FlagCode;
use crate::format::money;
use crate::rules::Rules;
use crate::state::registry::Report;
use crate::state::registry::{CaseUpdateRec, ComplaintRec};
use crate::state::{key, Order, State};
use chrono::{DateTime, Duration, FixedOffset};
use events::{CaseAction, Category, ComplaintCategory, Currency, Money, Seller};
use serde::Serialize;
use std::collections::BTreeMap;

type Time = DateTime<FixedOffset>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Decided,
    Remedied,
    Closed,
    Escalated,
}

impl Status {
    pub const ALL: [(&'static str, Status); 5] = [
        ("open", Status::Open),
        ("decided", Status::Decided),
        ("remedied", Status::Remedied),
        ("closed", Status::Closed),
        ("escalated", Status::Escalated),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Decided => "decided",
            Status::Remedied => "remedied",
            Status::Closed => "closed",
            Status::Escalated => "escalated",
        }
    }

    /// The status after `action`, or why the action does not apply.
    pub fn after(self, action: CaseAction) -> Result<Status, String> {
        use CaseAction::*;
        match (self, action) {
            (Status::Closed, _) => Err("the case is closed".into()),
            (Status::Open | Status::Escalated | Status::Decided, Decide) => Ok(Status::Decided),
            (Status::Decided, Remedy) => Ok(Status::Remedied),
            (Status::Decided | Status::Remedied, Close) => Ok(Status::Closed),
            (_, Escalate | Dispute) => Ok(Status::Escalated),
            (s, a) => Err(format!(
                "a case that is {} cannot be {}",
                s.as_str(),
                past(a)
            )),
        }
    }
}

fn past(a: CaseAction) -> &'static str {
    match a {
        CaseAction::Decide => "decided",
        CaseAction::Remedy => "remedied",
        CaseAction::Close => "closed",
        CaseAction::Escalate => "escalated",
        CaseAction::Dispute => "disputed",
    }
}

/// One line of a case's history.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at: Time,
    pub what: String,
    pub actor: Option<String>,
    pub leaf: u64,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub complaint: ComplaintRec,
    pub session: Option<String>,
    pub product: Option<String>,
    pub parties: Parties,
    pub placed_leaf: Option<u64>,
    /// Claims about the product made in the session before the order, checked.
    pub claims: Vec<ClaimFinding>,
    pub facts: Facts,
    pub decision: Decision,
    pub status: Status,
    pub history: Vec<Entry>,
    pub due: Option<Time>,
    pub overdue: bool,
    /// The facts changed after the decision was recorded.
    pub needs_review: bool,
    pub notes: Vec<String>,
}

/// The case id of a complaint.
pub fn case_id(complaint: &str) -> String {
    format!("c-{complaint}")
}

/// What a full recall would cost: the remedy over every paid, unrefunded order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposure {
    pub orders: u64,
    /// Paid and not refunded.
    pub unrefunded: i64,
    pub refund: i64,
    pub compensation: i64,
    pub currency: Option<Currency>,
}

impl Exposure {
    pub fn total(&self) -> i64 {
        self.refund + self.compensation
    }
}

/// What one order's facts are built from.
struct OrderContext<'a> {
    order: &'a Order,
    product: Option<&'a str>,
    anchor: Option<String>,
}

/// The product id behind an order's product key.
fn product_of(st: &State, k: u64) -> Option<&str> {
    let reg = &st.registry;
    reg.products
        .keys()
        .chain(reg.listings.keys())
        .find(|p| key(p) == k)
        .map(String::as_str)
}

fn context(st: &State, oi: u32) -> Option<OrderContext<'_>> {
    let o = st.orders.get(oi as usize)?;
    if !o.is_placed() {
        return None;
    }
    Some(OrderContext {
        order: o,
        product: product_of(st, o.product),
        anchor: st.sessions[o.session as usize]
            .anchor
            .as_ref()
            .map(|a| a.0.clone()),
    })
}

/// The claims about `product` made in `session` before `before_ms`, with
/// the reports on record by `as_of`.
fn claims_before(
    st: &State,
    rules: &Rules,
    session: u32,
    product: &str,
    before_ms: i64,
    as_of: Option<Time>,
) -> Vec<ClaimFinding> {
    let s = &st.sessions[session as usize];
    let ix = s.claims.iter().copied().filter(|i| {
        let c = &st.registry.claims[*i as usize];
        c.product.as_ref().is_some_and(|p| p.as_str() == product)
            && c.at.timestamp_millis() <= before_ms
    });
    let mut out: Vec<ClaimFinding> = ix
        .map(|i| finding::check_claim_as_of(st, rules, i, as_of))
        .collect();
    out.sort_by_key(|f| (f.claim.at, f.claim.leaf));
    out
}

/// The facts of liability.md for one order, given the claims made before it.
fn facts(
    st: &State,
    pack: &Pack,
    cx: &OrderContext,
    claims: &[ClaimFinding],
    category: ComplaintCategory,
    as_of: Option<Time>,
) -> (Facts, Parties) {
    let reg = &st.registry;
    let o = cx.order;
    let rec = cx.product.and_then(|p| reg.products.get(p));
    let merchant = rec.map(|p| p.merchant.0.clone());
    let placed = claims_time(o);
    let seller = cx
        .product
        .and_then(|p| {
            reg.agreements.get(p)?.iter().rev().find(|g| {
                Some(&g.anchor.0) == cx.anchor.as_ref()
                    && Some(&g.merchant.0) == merchant.as_ref()
                    && g.at.timestamp_millis() <= placed
            })
        })
        .map_or(Seller::Merchant, |g| g.seller);
    let misrepresenting: Vec<&ClaimFinding> = claims.iter().filter(|c| c.misrepresents()).collect();
    let has = |code: FlagCode| claims.iter().any(|c| c.codes().contains(&code));
    let false_claim = has(FlagCode::ClaimContradicted);
    let unlawful_ad = has(FlagCode::ClaimBannedTerm) || has(FlagCode::ClaimMedical);
    let should_have_known = claims.iter().any(|c| {
        c.check.asserts.iter().any(|a| match &a.outcome {
            Outcome::Contradicted(ms) => ms.iter().any(|m| match m.source {
                Source::Report(i) => c.known_before_session(i),
                Source::Attribute => true,
            }),
            _ => false,
        })
    });
    let reports = cx.product.map_or(&[][..], |p| reg.reports_of(p));
    let on_record = |r: &&Report| as_of.is_none_or(|t| r.at <= t);
    let failed = reports
        .iter()
        .filter(on_record)
        .any(|r| r.conclusion == events::Conclusion::Fail);
    let failed_before_order = reports
        .iter()
        .filter(on_record)
        .any(|r| r.conclusion == events::Conclusion::Fail && r.at.timestamp_millis() <= placed);
    let category_of = rec.map(|p| p.category);
    let misrepresented = false_claim || unlawful_ad;
    let mut f = Facts::default();
    for (name, _) in FACTS {
        f.set(name, false);
    }
    f.set("false_claim", false_claim);
    f.set("unlawful_ad", unlawful_ad);
    f.set("misrepresented", misrepresented);
    f.set(
        "approved_false_claim",
        misrepresenting.iter().any(|c| c.check.approval.approved()),
    );
    f.set(
        "unapproved_false_claim",
        misrepresenting.iter().any(|c| !c.check.approval.approved()),
    );
    f.set("should_have_known", false_claim && should_have_known);
    f.set(
        "life_and_health",
        category_of.is_some_and(|c| pack.life_and_health.contains(&c)),
    );
    f.set(
        "unsafe_food",
        failed && matches!(category_of, Some(Category::Food | Category::HealthFood)),
    );
    f.set("failed_before_order", failed_before_order);
    f.set(
        "unknown_seller",
        merchant
            .as_ref()
            .is_none_or(|m| !reg.merchants.contains_key(m)),
    );
    f.set("merchant_is_seller", seller == Seller::Merchant);
    f.set("anchor_is_seller", seller == Seller::Anchor);
    f.set(
        "upheld",
        misrepresented
            || failed
            || matches!(
                category,
                ComplaintCategory::Quality
                    | ComplaintCategory::Counterfeit
                    | ComplaintCategory::NotDelivered
            ),
    );
    let merchant_party = format!("merchant:{}", merchant.as_deref().unwrap_or("unknown"));
    let anchor_party = format!("anchor:{}", cx.anchor.as_deref().unwrap_or("unknown"));
    let parties = Parties {
        seller: match seller {
            Seller::Merchant => merchant_party.clone(),
            Seller::Anchor => anchor_party.clone(),
        },
        merchant: merchant_party,
        anchor: anchor_party,
        platform: "platform".into(),
    };
    (f, parties)
}

fn decision_as_of(
    st: &State,
    rules: &Rules,
    pack: &Pack,
    c: &ComplaintRec,
    as_of: Option<Time>,
) -> Option<(Facts, Parties, Vec<ClaimFinding>, Decision)> {
    let cx = context(st, c.order)?;
    let o = cx.order;
    let mut claims = match cx.product {
        Some(p) => claims_before(st, rules, o.session, p, claims_time(o), as_of),
        None => Vec::new(),
    };
    // The claim the buyer complained about, wherever it was made.
    if let Some(r) = &c.claim_ref {
        if !claims.iter().any(|f| f.claim.event == *r) {
            if let Some(ix) = st.registry.claims.iter().position(|k| k.event == *r) {
                let f = finding::check_claim_as_of(st, rules, ix as u32, as_of);
                if f.claim.product.as_ref().map(|p| p.as_str()) == cx.product
                    && f.claim.at.timestamp_millis() <= claims_time(o)
                {
                    claims.push(f);
                }
            }
        }
    }
    let (facts, parties) = facts(st, pack, &cx, &claims, c.category, as_of);
    let paid = Money {
        minor: o.paid,
        currency: o.currency.unwrap_or(pack.currency),
    };
    let decision = decide(pack, &facts, &parties, paid, o.refunded);
    Some((facts, parties, claims, decision))
}

/// Every case, as of `now`.
pub(crate) fn cases(st: &State, rules: &Rules, now: Time) -> Vec<Case> {
    st.registry
        .complaints
        .iter()
        .map(|c| case_of(st, rules, c, now))
        .collect()
}

/// One case by its id (`c-<complaint>`).
pub(crate) fn case(st: &State, rules: &Rules, id: &str, now: Time) -> Option<Case> {
    st.registry
        .complaints
        .iter()
        .find(|c| case_id(c.complaint.as_str()) == id)
        .map(|c| case_of(st, rules, c, now))
}

fn case_of(st: &State, rules: &Rules, c: &ComplaintRec, now: Time) -> Case {
    let pack = &rules.liability;
    let id = case_id(c.complaint.as_str());
    let cx = context(st, c.order);
    let mut notes = Vec::new();
    let (facts, parties, claims, decision) = decision_as_of(st, rules, pack, c, None)
        .unwrap_or_else(|| {
            notes.push(format!(
                "order {} was never placed (a dangling reference): no facts to decide on",
                c.order_id
            ));
            let parties = Parties {
                seller: "unknown".into(),
                merchant: "unknown".into(),
                anchor: "unknown".into(),
                platform: "platform".into(),
            };
            let paid = Money {
                minor: 0,
                currency: pack.currency,
            };
            let facts = Facts::default();
            let d = decide(pack, &facts, &parties, paid, 0);
            (facts, parties, Vec::new(), d)
        });
    for again in st
        .registry
        .refiled
        .iter()
        .filter(|k| k.complaint == c.complaint)
    {
        notes.push(format!(
            "complaint {} was filed again in event {} (leaf {}); the first filing stands",
            c.complaint, again.event, again.leaf
        ));
    }
    let mut history = vec![Entry {
        at: c.at,
        what: format!("opened: {} complaint \"{}\"", c.category, c.text),
        actor: None,
        leaf: c.leaf,
    }];
    // Later inspection reports that changed the decision.
    let product = cx.as_ref().and_then(|x| x.product);
    let mut last = decision_as_of(st, rules, pack, c, Some(c.at)).map(|d| d.3);
    for r in product
        .map_or(&[][..], |p| st.registry.reports_of(p))
        .iter()
        .filter(|r| r.at > c.at)
    {
        let Some((_, _, _, d)) = decision_as_of(st, rules, pack, c, Some(r.at)) else {
            break;
        };
        if last.as_ref().is_some_and(|l| differs(l, &d)) {
            history.push(Entry {
                at: r.at,
                what: format!(
                    "recomputed after inspection {} ({}): {} (was {})",
                    r.id,
                    r.conclusion,
                    summary(&d),
                    last.as_ref().map(summary).unwrap_or_default()
                ),
                actor: None,
                leaf: r.leaf,
            });
        }
        last = Some(d);
    }
    let mut updates: Vec<&CaseUpdateRec> = st
        .registry
        .case_updates
        .iter()
        .filter(|u| u.case == id)
        .collect();
    updates.sort_by_key(|u| (u.at, u.leaf));
    let mut status = Status::Open;
    let mut since = c.at;
    let mut decided_at: Option<Time> = None;
    for u in updates {
        let what = match status.after(u.action) {
            Ok(next) => {
                status = next;
                since = u.at;
                if u.action == CaseAction::Decide {
                    decided_at = Some(u.at);
                }
                past(u.action).to_string()
            }
            Err(why) => format!("{} ignored: {why}", u.action.as_str()),
        };
        let what = match &u.note {
            Some(n) => format!("{what}: {n}"),
            None => what,
        };
        history.push(Entry {
            at: u.at,
            what,
            actor: Some(u.actor.clone()),
            leaf: u.leaf,
        });
    }
    history.sort_by_key(|e| (e.at, e.leaf));
    let due = match status {
        Status::Open => Some(since + Duration::hours(pack.decide_hours)),
        Status::Decided => Some(since + Duration::days(pack.remedy_days)),
        _ => None,
    };
    let needs_review = decided_at.is_some_and(|d| {
        history
            .iter()
            .any(|e| e.at > d && e.what.starts_with("recomputed"))
    }) && matches!(status, Status::Decided | Status::Remedied);
    Case {
        id,
        complaint: c.clone(),
        session: cx
            .as_ref()
            .map(|x| st.sessions[x.order.session as usize].id.0.clone()),
        product: product.map(str::to_string),
        parties,
        placed_leaf: cx.as_ref().map(|x| x.order.placed_leaf),
        claims,
        facts,
        decision,
        status,
        history,
        overdue: due.is_some_and(|d| d < now),
        due,
        needs_review,
        notes,
    }
}

/// What recalling `product` would cost under `pack`: the remedy of a
/// false-advertising complaint on every paid, unrefunded order — `None`
/// when no claim about the product was false or unlawful.
pub(crate) fn exposure(st: &State, rules: &Rules, product: &str) -> Option<Exposure> {
    let pack = &rules.liability;
    let pk = key(product);
    // Claims checked once per session, then cut per order by time.
    let mut by_session: BTreeMap<u32, Vec<ClaimFinding>> = BTreeMap::new();
    for (i, c) in st.registry.claims.iter().enumerate() {
        if c.product.as_ref().is_some_and(|p| p.as_str() == product) {
            by_session
                .entry(c.session)
                .or_default()
                .push(finding::check_claim(st, rules, i as u32));
        }
    }
    if !by_session.values().flatten().any(|f| f.misrepresents()) {
        return None;
    }
    let mut e = Exposure::default();
    for o in &st.orders {
        if !o.is_placed() || o.product != pk || o.paid - o.refunded <= 0 {
            continue;
        }
        // The product is known: no need to look it up per order.
        let cx = OrderContext {
            order: o,
            product: Some(product),
            anchor: st.sessions[o.session as usize]
                .anchor
                .as_ref()
                .map(|a| a.0.clone()),
        };
        let claims: Vec<ClaimFinding> = by_session
            .get(&o.session)
            .map(|v| {
                v.iter()
                    .filter(|f| f.claim.at.timestamp_millis() <= claims_time(o))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (facts, parties) = facts(
            st,
            pack,
            &cx,
            &claims,
            ComplaintCategory::FalseAdvertising,
            None,
        );
        if !facts.get("misrepresented") {
            continue;
        }
        let paid = Money {
            minor: o.paid,
            currency: o.currency.unwrap_or(pack.currency),
        };
        let d = decide(pack, &facts, &parties, paid, o.refunded);
        e.orders += 1;
        e.unrefunded = e.unrefunded.saturating_add(o.paid - o.refunded);
        e.refund = e.refund.saturating_add(d.remedy.refund);
        e.compensation = e.compensation.saturating_add(d.remedy.compensation);
        e.currency.get_or_insert(paid.currency);
    }
    Some(e)
}

/// The moment an order was placed, in ms (claims up to it count).
fn claims_time(o: &Order) -> i64 {
    o.placed_ms
}

fn differs(a: &Decision, b: &Decision) -> bool {
    a.remedy.refund != b.remedy.refund
        || a.remedy.compensation != b.remedy.compensation
        || a.liable.len() != b.liable.len()
        || a.liable
            .iter()
            .zip(&b.liable)
            .any(|(x, y)| x.party != y.party || x.role != y.role)
}

/// "refund 259.00 + compensation 777.00 CNY; liable: merchant:m1 (seller), anchor:a1 (endorser)"
pub fn summary(d: &Decision) -> String {
    let parties: Vec<String> = d
        .liable
        .iter()
        .map(|l| format!("{} ({})", l.party, l.role))
        .collect();
    format!(
        "refund {} + compensation {}; liable: {}",
        money(d.remedy.refund, d.remedy.currency.as_str()),
        money(d.remedy.compensation, d.remedy.currency.as_str()),
        if parties.is_empty() {
            "nobody yet".to_string()
        } else {
            parties.join(", ")
        }
    )
}
