//! After-sales cases: every complaint opens one. The facts of
//! `liability.md` are established from the log here; the rule pack
//! ([`crate::liability`]) turns them into who is liable and what is owed.
//!
//! A case's status comes from the `case_updated` events people log
//! (`decide`, `remedy`, `close`, `escalate`, `dispute`); its decision is
//! recomputed from the facts each time it is asked for, and each later
//! inspection report that changed it is listed in the history.

use crate::liability::{decide, Decision, Facts, Pack, Parties, FACTS};
use crate::products::ClaimFinding;
use crate::registry::{CaseUpdateRec, ComplaintRec};
use crate::state::{key, Analyzer, Order};
use chrono::{DateTime, Duration, FixedOffset};
use events::{CaseAction, Category, ComplaintCategory, Currency, Money, Seller};
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Time = DateTime<FixedOffset>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Decided,
    Remedied,
    Closed,
    Escalated,
}

impl Status {
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
    pub fn to_json(&self) -> Value {
        json!({
            "orders": self.orders,
            "unrefunded_sales": self.unrefunded,
            "refund": self.refund,
            "compensation": self.compensation,
            "total": self.total(),
            "currency": self.currency.map(|c| c.to_string()),
            "multiple_of_sales": if self.unrefunded > 0 {
                Some(crate::report::round(self.total() as f64 / self.unrefunded as f64))
            } else {
                None
            },
        })
    }
}

/// What one order's facts are built from.
struct OrderContext<'a> {
    order: &'a Order,
    product: Option<&'a str>,
    anchor: Option<String>,
}

impl Analyzer {
    /// The product id behind an order's product key.
    fn product_of(&self, k: u64) -> Option<&str> {
        let reg = &self.registry;
        reg.products
            .keys()
            .chain(reg.listings.keys())
            .find(|p| key(p) == k)
            .map(String::as_str)
    }

    fn context(&self, oi: u32) -> Option<OrderContext<'_>> {
        let o = self.orders.get(oi as usize)?;
        if !o.is_placed() {
            return None;
        }
        Some(OrderContext {
            order: o,
            product: self.product_of(o.product),
            anchor: self.sessions[o.session as usize]
                .anchor
                .as_ref()
                .map(|a| a.0.clone()),
        })
    }

    /// The claims about `product` made in `session` before `before_ms`, with
    /// the reports on record by `as_of`.
    fn claims_before(
        &self,
        session: u32,
        product: &str,
        before_ms: i64,
        as_of: Option<Time>,
    ) -> Vec<ClaimFinding> {
        let s = &self.sessions[session as usize];
        let ix = s.claims.iter().copied().filter(|i| {
            let c = &self.registry.claims[*i as usize];
            c.product.as_ref().is_some_and(|p| p.as_str() == product)
                && c.at.timestamp_millis() <= before_ms
        });
        let mut out: Vec<ClaimFinding> = ix.map(|i| self.check_claim_as_of(i, as_of)).collect();
        out.sort_by_key(|f| (f.claim.at, f.claim.leaf));
        out
    }

    /// The facts of liability.md for one order, given the claims made before it.
    fn facts(
        &self,
        pack: &Pack,
        cx: &OrderContext,
        claims: &[ClaimFinding],
        category: ComplaintCategory,
        as_of: Option<Time>,
    ) -> (Facts, Parties) {
        let reg = &self.registry;
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
        let misrepresenting: Vec<&ClaimFinding> = claims
            .iter()
            .filter(|c| {
                c.codes().iter().any(|k| {
                    matches!(
                        *k,
                        "CLAIM_CONTRADICTED" | "CLAIM_BANNED_TERM" | "CLAIM_MEDICAL"
                    )
                })
            })
            .collect();
        let has = |code: &str| claims.iter().any(|c| c.codes().contains(&code));
        let false_claim = has("CLAIM_CONTRADICTED");
        let unlawful_ad = has("CLAIM_BANNED_TERM") || has("CLAIM_MEDICAL");
        let should_have_known = claims.iter().any(|c| {
            c.check.asserts.iter().any(|a| match &a.outcome {
                crate::claims::Outcome::Contradicted(ms) => ms.iter().any(|m| match m.source {
                    crate::claims::Source::Report(i) => c.known_before_session(i),
                    crate::claims::Source::Attribute => true,
                }),
                _ => false,
            })
        });
        let reports = cx.product.map_or(&[][..], |p| reg.reports_of(p));
        let on_record = |r: &&crate::claims::Report| as_of.is_none_or(|t| r.at <= t);
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
        &self,
        pack: &Pack,
        c: &ComplaintRec,
        as_of: Option<Time>,
    ) -> Option<(Facts, Parties, Vec<ClaimFinding>, Decision)> {
        let cx = self.context(c.order)?;
        let o = cx.order;
        let mut claims = match cx.product {
            Some(p) => self.claims_before(o.session, p, claims_time(o), as_of),
            None => Vec::new(),
        };
        // The claim the buyer complained about, wherever it was made.
        if let Some(r) = &c.claim_ref {
            if !claims.iter().any(|f| f.claim.event == *r) {
                if let Some(ix) = self.registry.claims.iter().position(|k| k.event == *r) {
                    let f = self.check_claim_as_of(ix as u32, as_of);
                    if f.claim.product.as_ref().map(|p| p.as_str()) == cx.product
                        && f.claim.at.timestamp_millis() <= claims_time(o)
                    {
                        claims.push(f);
                    }
                }
            }
        }
        let (facts, parties) = self.facts(pack, &cx, &claims, c.category, as_of);
        let paid = Money {
            minor: o.paid,
            currency: o.currency.unwrap_or(pack.currency),
        };
        let decision = decide(pack, &facts, &parties, paid, o.refunded);
        Some((facts, parties, claims, decision))
    }

    /// Every case, as of `now`.
    pub fn cases(&self, pack: &Pack, now: Time) -> Vec<Case> {
        self.registry
            .complaints
            .iter()
            .map(|c| self.case_of(pack, c, now))
            .collect()
    }

    /// One case by its id (`c-<complaint>`).
    pub fn case(&self, pack: &Pack, id: &str, now: Time) -> Option<Case> {
        self.registry
            .complaints
            .iter()
            .find(|c| case_id(c.complaint.as_str()) == id)
            .map(|c| self.case_of(pack, c, now))
    }

    fn case_of(&self, pack: &Pack, c: &ComplaintRec, now: Time) -> Case {
        let id = case_id(c.complaint.as_str());
        let cx = self.context(c.order);
        let mut notes = Vec::new();
        let (facts, parties, claims, decision) =
            self.decision_as_of(pack, c, None).unwrap_or_else(|| {
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
        let mut history = vec![Entry {
            at: c.at,
            what: format!(
                "opened: {} complaint \"{}\"",
                category_name(c.category),
                c.text
            ),
            actor: None,
            leaf: c.leaf,
        }];
        // Later inspection reports that changed the decision.
        let product = cx.as_ref().and_then(|x| x.product);
        let mut last = self.decision_as_of(pack, c, Some(c.at)).map(|d| d.3);
        for r in product
            .map_or(&[][..], |p| self.registry.reports_of(p))
            .iter()
            .filter(|r| r.at > c.at)
        {
            let Some((_, _, _, d)) = self.decision_as_of(pack, c, Some(r.at)) else {
                break;
            };
            if last.as_ref().is_some_and(|l| differs(l, &d)) {
                history.push(Entry {
                    at: r.at,
                    what: format!(
                        "recomputed after inspection {} ({}): {} (was {})",
                        r.id,
                        conclusion(r.conclusion),
                        summary(&d),
                        last.as_ref().map(summary).unwrap_or_default()
                    ),
                    actor: None,
                    leaf: r.leaf,
                });
            }
            last = Some(d);
        }
        let mut updates: Vec<&CaseUpdateRec> = self
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
                .map(|x| self.sessions[x.order.session as usize].id.0.clone()),
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
    pub fn exposure(&self, pack: &Pack, product: &str) -> Option<Exposure> {
        let pk = key(product);
        // Claims checked once per session, then cut per order by time.
        let mut by_session: BTreeMap<u32, Vec<ClaimFinding>> = BTreeMap::new();
        for (i, c) in self.registry.claims.iter().enumerate() {
            if c.product.as_ref().is_some_and(|p| p.as_str() == product) {
                by_session
                    .entry(c.session)
                    .or_default()
                    .push(self.check_claim(i as u32));
            }
        }
        let misrepresents = |f: &ClaimFinding| {
            f.codes().iter().any(|k| {
                matches!(
                    *k,
                    "CLAIM_CONTRADICTED" | "CLAIM_BANNED_TERM" | "CLAIM_MEDICAL"
                )
            })
        };
        if !by_session.values().flatten().any(misrepresents) {
            return None;
        }
        let mut e = Exposure::default();
        for o in &self.orders {
            if !o.is_placed() || o.product != pk || o.paid - o.refunded <= 0 {
                continue;
            }
            // The product is known: no need to look it up per order.
            let cx = OrderContext {
                order: o,
                product: Some(product),
                anchor: self.sessions[o.session as usize]
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
            let (facts, parties) = self.facts(
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
            e.unrefunded += o.paid - o.refunded;
            e.refund += d.remedy.refund;
            e.compensation += d.remedy.compensation;
            e.currency.get_or_insert(paid.currency);
        }
        Some(e)
    }
}

/// The moment an order was placed, in ms (claims up to it count).
fn claims_time(o: &Order) -> i64 {
    o.placed_ms
}

fn conclusion(c: events::Conclusion) -> &'static str {
    match c {
        events::Conclusion::Pass => "pass",
        events::Conclusion::Fail => "fail",
    }
}

pub fn category_name(c: ComplaintCategory) -> &'static str {
    match c {
        ComplaintCategory::Quality => "quality",
        ComplaintCategory::FalseAdvertising => "false_advertising",
        ComplaintCategory::Counterfeit => "counterfeit",
        ComplaintCategory::NotDelivered => "not_delivered",
        ComplaintCategory::Other => "other",
    }
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
        crate::report::money(d.remedy.refund, d.remedy.currency.as_str()),
        crate::report::money(d.remedy.compensation, d.remedy.currency.as_str()),
        if parties.is_empty() {
            "nobody yet".to_string()
        } else {
            parties.join(", ")
        }
    )
}

impl Case {
    /// The contract JSON (report.md §3) and more.
    pub fn to_json(&self, event_id: &dyn Fn(u64) -> Option<String>) -> Value {
        let leaf = |l: u64| json!({"event": event_id(l), "leaf": l});
        let d = &self.decision;
        let mut evidence = vec![self.complaint.leaf];
        evidence.extend(self.placed_leaf);
        for c in self.claims.iter().filter(|c| !c.findings.is_empty()) {
            evidence.push(c.claim.leaf);
            for a in &c.check.asserts {
                if let crate::claims::Outcome::Contradicted(ms) = &a.outcome {
                    for m in ms {
                        if let crate::claims::Source::Report(i) = m.source {
                            evidence.push(c.reports[i].leaf);
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
        json!({
            "case": self.id,
            "complaint": self.complaint.complaint.as_str(),
            "order": self.complaint.order_id.as_str(),
            "session": self.session,
            "product": self.product,
            "category": category_name(self.complaint.category),
            "status": self.status.as_str(),
            "opened": self.complaint.at.to_rfc3339(),
            "due": self.due.map(|t| t.to_rfc3339()),
            "overdue": self.overdue,
            "needs_review": self.needs_review,
            "liable": d.liable.iter().map(|l| {
                let mut v = json!({"party": l.party, "role": l.role, "basis": l.basis, "reason": l.reason});
                if let Some(s) = l.share { v["share"] = json!(s); }
                if l.joint { v["joint"] = json!(true); }
                v
            }).collect::<Vec<_>>(),
            "remedy": {
                "refund": d.remedy.refund,
                "compensation": d.remedy.compensation,
                "currency": d.remedy.currency.to_string(),
                "basis": d.remedy.basis,
                "notes": d.remedy.notes,
            },
            "facts": self.facts.0.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "rules": d.rules.iter().map(|r| json!({"rule": r.rule, "fired": r.fired, "why": r.why})).collect::<Vec<_>>(),
            "claims": self.claims.iter().map(|c| c.to_json(event_id)).collect::<Vec<_>>(),
            "history": self.history.iter().map(|e| json!({
                "at": e.at.to_rfc3339(), "what": e.what, "actor": e.actor,
                "event": event_id(e.leaf), "leaf": e.leaf,
            })).collect::<Vec<_>>(),
            "evidence": evidence.into_iter().map(leaf).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }
}
