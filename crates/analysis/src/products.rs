//! Is this product what was said? Claim findings in context, listing
//! qualifications, the product findings of `shared/spec/report.md` §2, and
//! the pre-live listing gate.
//!
//! The checks themselves are in [`crate::claims`] and [`crate::qualify`];
//! this module gathers what they need from the record (which agreement
//! applies, which reports were on record when) and turns the results into
//! flags and JSON.

use crate::claims::{self, Approval, ClaimCheck, Outcome, Record, Report, Source};
use crate::qualify::{self, QualificationCheck};
use crate::registry::{ClaimRec, ComplaintRec, ProductRec};
use crate::report::{flag, round, Evidence, Flag, Severity};
use crate::sales::Waterfall;
use crate::state::{key, Analyzer};
use chrono::{DateTime, FixedOffset, NaiveDate};
use events::{AnchorId, Category, Currency, Money};
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Time = DateTime<FixedOffset>;

/// One claim, checked, with what is needed to explain the result.
#[derive(Clone, Debug)]
pub struct ClaimFinding {
    pub claim: ClaimRec,
    pub session: String,
    pub anchor: Option<String>,
    pub session_start: Option<Time>,
    pub category: Option<Category>,
    pub check: ClaimCheck,
    /// The reports `Source::Report` indices refer to.
    pub reports: Vec<Report>,
    /// The leaf of the product's registration (where its attributes come from).
    pub product_leaf: Option<u64>,
    /// Every finding in words, in flag order.
    pub findings: Vec<Detail>,
}

/// One finding about a claim, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    pub code: &'static str,
    pub detail: String,
    /// The rule it rests on (empty for a contractual finding).
    pub basis: String,
}

impl ClaimFinding {
    /// Whether the report was on record before the session began: the
    /// "should have known" of `liability.md`.
    pub fn known_before_session(&self, report: usize) -> bool {
        let at = self.reports[report].at;
        self.session_start.is_none_or(|s| at <= s)
    }

    fn product(&self) -> &str {
        self.claim
            .product
            .as_ref()
            .map_or("no product", |p| p.as_str())
    }

    /// Each finding behind `code`, in words, with its legal basis.
    fn details(&self, rules: &claims::ClaimRules, code: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for h in &self.check.terms {
            let t = &rules.terms[h.term];
            if t.family.code() == code {
                out.push((format!("'{}' ({})", h.matched, t.note), t.rule.clone()));
            }
        }
        for a in &self.check.asserts {
            match (&a.outcome, code) {
                (Outcome::Contradicted(ms), "CLAIM_CONTRADICTED") => {
                    for m in ms {
                        let unit = m.unit.as_deref().unwrap_or("");
                        let source = match m.source {
                            Source::Report(i) => {
                                let r = &self.reports[i];
                                let when = if self.known_before_session(i) {
                                    "on record before the session"
                                } else {
                                    "recorded after the session began"
                                };
                                format!(
                                    "inspection {} by {} (issued {}, {when}) measured {} {unit}",
                                    r.id, r.lab, r.issued, m.value
                                )
                            }
                            Source::Attribute => {
                                format!("the product's registered attribute is {} {unit}", m.value)
                            }
                        };
                        out.push((
                            format!("says {}; {}", a.claimed(), source.trim_end()),
                            "CN-AD-28".into(),
                        ));
                    }
                }
                (Outcome::Unsupported(why), "CLAIM_UNSUPPORTED") => {
                    out.push((format!("says {}; {why}", a.claimed()), "CN-AD-11".into()))
                }
                _ => {}
            }
        }
        if code == "CLAIM_UNAPPROVED" {
            let text = clip(&self.claim.text, 40);
            match self.check.approval {
                Approval::NotApproved(n) => out.push((
                    format!("'{text}' is not one of the merchant's approved selling points ({n} on record)"),
                    String::new(),
                )),
                Approval::NoAgreement => out.push((
                    format!(
                        "'{text}': no agreement on record between anchor {} and the merchant",
                        self.anchor.as_deref().unwrap_or("(unknown)")
                    ),
                    String::new(),
                )),
                _ => {}
            }
        }
        out
    }

    /// The reports (and registration) behind a contradiction.
    fn report_leaves(&self) -> impl Iterator<Item = u64> + '_ {
        self.check
            .asserts
            .iter()
            .flat_map(move |a| match &a.outcome {
                Outcome::Contradicted(ms) => ms
                    .iter()
                    .filter_map(|m| match m.source {
                        Source::Report(i) => Some(self.reports[i].leaf),
                        Source::Attribute => self.product_leaf,
                    })
                    .collect(),
                _ => Vec::new(),
            })
    }

    /// The flag codes this claim raises.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = self.findings.iter().map(|d| d.code).collect();
        codes.dedup();
        codes
    }

    pub fn to_json(&self, event_id: &dyn Fn(u64) -> Option<String>) -> Value {
        let c = &self.claim;
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|d| {
                json!({"code": d.code, "severity": severity(d.code).as_str(), "detail": d.detail,
                       "basis": if d.basis.is_empty() { vec![] } else { vec![d.basis.clone()] }})
            })
            .collect();
        json!({
            "event": c.event.as_str(),
            "leaf": c.leaf,
            "at": c.at.to_rfc3339(),
            "session": self.session,
            "anchor": self.anchor,
            "product": c.product.as_ref().map(|p| p.as_str()),
            "speaker": c.speaker,
            "text": c.text,
            "approval": self.check.approval.as_str(),
            "approved": self.check.approval.approved(),
            "asserts": self.check.asserts.iter().map(|a| {
                let (outcome, measured) = match &a.outcome {
                    Outcome::Holds(ms) => ("holds", ms.as_slice()),
                    Outcome::Contradicted(ms) => ("contradicted", ms.as_slice()),
                    Outcome::Unsupported(_) => ("unsupported", &[][..]),
                };
                json!({
                    "claimed": a.claimed(),
                    "outcome": outcome,
                    "reason": match &a.outcome { Outcome::Unsupported(w) => Some(w), _ => None },
                    "measured": measured.iter().map(|m| {
                        let (source, leaf) = match m.source {
                            Source::Report(i) => (format!("report:{}", self.reports[i].id), self.reports[i].leaf),
                            Source::Attribute => ("attribute".to_string(), self.product_leaf.unwrap_or(c.leaf)),
                        };
                        json!({"source": source, "value": m.value, "unit": m.unit,
                               "compared": round(m.compared), "event": event_id(leaf), "leaf": leaf})
                    }).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
            "findings": findings,
        })
    }
}

/// The severity of each product flag.
pub fn severity(code: &str) -> Severity {
    match code {
        "CLAIM_MEDICAL" | "CLAIM_CONTRADICTED" | "PRODUCT_UNQUALIFIED" => Severity::High,
        "CLAIM_BANNED_TERM" | "CLAIM_UNSUPPORTED" => Severity::Medium,
        _ => Severity::Low,
    }
}

/// What the claims of a flag do, for one claim or several.
fn headline(code: &str, one: bool) -> &'static str {
    match (code, one) {
        ("CLAIM_BANNED_TERM", true) => "uses terms advertising law forbids",
        ("CLAIM_BANNED_TERM", false) => "use terms advertising law forbids",
        ("CLAIM_MEDICAL", true) => {
            "claims to prevent or treat disease, for a product that is not a drug or medical device"
        }
        ("CLAIM_MEDICAL", false) => {
            "claim to prevent or treat disease, for a product that is not a drug or medical device"
        }
        ("CLAIM_CONTRADICTED", true) => "contradicts what is on record",
        ("CLAIM_CONTRADICTED", false) => "contradict what is on record",
        ("CLAIM_UNSUPPORTED", true) => "asserts what nothing on record supports",
        ("CLAIM_UNSUPPORTED", false) => "assert what nothing on record supports",
        (_, true) => "goes beyond the merchant's approved selling points",
        (_, false) => "go beyond the merchant's approved selling points",
    }
}

/// The claim codes, in the order flags are listed.
const CLAIM_CODES: [&str; 5] = [
    "CLAIM_CONTRADICTED",
    "CLAIM_MEDICAL",
    "CLAIM_BANNED_TERM",
    "CLAIM_UNSUPPORTED",
    "CLAIM_UNAPPROVED",
];

fn clip(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        s.chars().take(chars).chain(['…']).collect()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Analyzer {
    /// Checks the claim at `ix` of the registry against what is on record.
    pub(crate) fn check_claim(&self, ix: u32) -> ClaimFinding {
        self.check_claim_as_of(ix, None)
    }

    /// The same, with only the reports on record by `as_of` (all if `None`).
    pub(crate) fn check_claim_as_of(&self, ix: u32, as_of: Option<Time>) -> ClaimFinding {
        let reg = &self.registry;
        let c = &reg.claims[ix as usize];
        let s = &self.sessions[c.session as usize];
        let pid = c.product.as_ref().map(|p| p.as_str());
        let product = pid.and_then(|p| reg.products.get(p));
        let all = pid.map_or(&[][..], |p| reg.reports_of(p));
        // Reports are kept oldest first.
        let reports = &all[..all.partition_point(|r| as_of.is_none_or(|t| r.at <= t))];
        let agreements: Vec<_> = pid
            .map(|p| reg.agreements_for(s.anchor.as_ref(), p, c.at).collect())
            .unwrap_or_default();
        let approved: Vec<String> = agreements
            .iter()
            .flat_map(|g| g.approved.iter().cloned())
            .collect();
        let record = Record {
            category: product.map(|p| p.category),
            attributes: product.map(|p| &p.attributes),
            reports,
            approved: (!agreements.is_empty()).then_some(approved.as_slice()),
            has_product: pid.is_some(),
        };
        let mut f = ClaimFinding {
            claim: c.clone(),
            session: s.id.0.clone(),
            anchor: s.anchor.as_ref().map(|a| a.0.clone()),
            session_start: s.started,
            category: record.category,
            check: claims::check(&self.rules.claims, &c.text, &c.asserts, &record),
            reports: reports.to_vec(),
            product_leaf: product.map(|p| p.leaf),
            findings: Vec::new(),
        };
        let codes = f.check.codes(&self.rules.claims);
        f.findings = CLAIM_CODES
            .iter()
            .filter(|code| codes.contains(code))
            .flat_map(|code| {
                f.details(&self.rules.claims, code)
                    .into_iter()
                    .map(|(detail, basis)| Detail {
                        code,
                        detail,
                        basis,
                    })
            })
            .collect();
        f
    }

    /// Checks claims, in the order they were made.
    pub(crate) fn check_claims(&self, ix: impl IntoIterator<Item = u32>) -> Vec<ClaimFinding> {
        let mut out: Vec<ClaimFinding> = ix.into_iter().map(|i| self.check_claim(i)).collect();
        out.sort_by_key(|f| (f.claim.at, f.claim.leaf));
        out
    }

    /// The product's qualifications on day `on`, with the reports on record by `by`.
    fn qualification(
        &self,
        p: &ProductRec,
        by: Time,
        on: NaiveDate,
    ) -> (QualificationCheck, Vec<Report>) {
        let reports: Vec<Report> = self
            .registry
            .reports_of(p.id.as_str())
            .iter()
            .filter(|r| r.at <= by)
            .cloned()
            .collect();
        let check = qualify::check(
            &self.rules.qualifications,
            p.category,
            &p.qualifications,
            &p.attributes,
            &reports,
            on,
        );
        (check, reports)
    }

    /// Claim flags over a set of checked claims: one flag per code and product.
    pub(crate) fn claim_flags(&self, findings: &[ClaimFinding]) -> Vec<Flag> {
        let mut out = Vec::new();
        for code in CLAIM_CODES {
            let mut by_product: BTreeMap<&str, Vec<&ClaimFinding>> = BTreeMap::new();
            for f in findings.iter().filter(|f| f.codes().contains(&code)) {
                by_product.entry(f.product()).or_default().push(f);
            }
            for (product, fs) in by_product {
                let mut details: Vec<String> = Vec::new();
                for f in &fs {
                    for d in f.findings.iter().filter(|d| d.code == code) {
                        let d = if d.basis.is_empty() {
                            d.detail.clone()
                        } else {
                            format!("{} [{}]", d.detail, d.basis)
                        };
                        if !details.contains(&d) {
                            details.push(d);
                        }
                    }
                }
                let more = details.len().saturating_sub(3);
                details.truncate(3);
                let mut summary = format!(
                    "{} about {product} {}: {}",
                    plural(fs.len(), "claim", "claims"),
                    headline(code, fs.len() == 1),
                    details.join("; ")
                );
                if more > 0 {
                    summary.push_str(&format!(" (and {more} more)"));
                }
                // The claims, and for a contradiction the reports behind it.
                let mut leaves: Vec<u64> = Vec::new();
                for f in &fs {
                    let reports = (code == "CLAIM_CONTRADICTED").then(|| f.report_leaves());
                    for l in std::iter::once(f.claim.leaf).chain(reports.into_iter().flatten()) {
                        if !leaves.contains(&l) {
                            leaves.push(l);
                        }
                    }
                }
                out.push(flag(code, severity(code), summary, Evidence::of(leaves)));
            }
        }
        out
    }

    /// `PRODUCT_UNQUALIFIED` flags for listings (product, leaf, time), one per product.
    pub(crate) fn listing_flags<'a>(
        &self,
        listings: impl IntoIterator<Item = (&'a str, u64, Time)>,
    ) -> Vec<Flag> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for (pid, leaf, at) in listings {
            if seen.contains(&pid) {
                continue;
            }
            let Some(p) = self.registry.products.get(pid) else {
                seen.push(pid);
                out.push(flag(
                    "PRODUCT_UNQUALIFIED",
                    Severity::Medium,
                    format!("{pid} was listed but never registered: its category and qualifications are unknown"),
                    Evidence::of([leaf]),
                ));
                continue;
            };
            let (check, reports) = self.qualification(p, at, at.date_naive());
            if check.qualified() {
                continue;
            }
            seen.push(pid);
            let problems: Vec<String> = check
                .problems(
                    &p.qualifications,
                    &reports,
                    &self.rules.qualifications.inspection_basis,
                )
                .into_iter()
                .map(|(t, b)| format!("{t} [{b}]"))
                .collect();
            let failed = check
                .latest_inspection
                .filter(|_| check.failed_inspection)
                .map(|i| reports[i].leaf);
            out.push(flag(
                "PRODUCT_UNQUALIFIED",
                Severity::High,
                format!(
                    "{pid} ({}) was listed at {} without what its category requires: {}",
                    category_name(p.category),
                    at.format("%Y-%m-%d %H:%M"),
                    problems.join("; ")
                ),
                Evidence::of([leaf, p.leaf].into_iter().chain(failed)),
            ));
        }
        out
    }

    /// The findings about one product (`report.md` §2), with its
    /// qualifications judged on day `on`. `None` if the log never mentions it.
    pub fn product_report(&self, id: &str, on: NaiveDate) -> Option<ProductReport> {
        let reg = &self.registry;
        let record = reg.products.get(id).cloned();
        let listings = reg.listings.get(id).cloned().unwrap_or_default();
        let claim_ix: Vec<u32> = (0..reg.claims.len() as u32)
            .filter(|i| {
                reg.claims[*i as usize]
                    .product
                    .as_ref()
                    .is_some_and(|p| p.as_str() == id)
            })
            .collect();
        let pk = key(id);
        let orders: Vec<u32> = (0..self.orders.len() as u32)
            .filter(|i| {
                let o = &self.orders[*i as usize];
                o.is_placed() && o.product == pk
            })
            .collect();
        if record.is_none() && listings.is_empty() && claim_ix.is_empty() && orders.is_empty() {
            return None;
        }
        let claims = self.check_claims(claim_ix);
        let mut sales: BTreeMap<Currency, Waterfall> = BTreeMap::new();
        let mut by_session: BTreeMap<String, Waterfall> = BTreeMap::new();
        for &oi in &orders {
            let o = &self.orders[oi as usize];
            if let Some(c) = o.currency {
                sales.entry(c).or_default().add(o);
            }
            let sid = self.sessions[o.session as usize].id.0.clone();
            by_session.entry(sid).or_default().add(o);
        }
        let complaints: Vec<ComplaintRec> = reg
            .complaints
            .iter()
            .filter(|c| {
                let o = &self.orders[c.order as usize];
                o.is_placed() && o.product == pk
            })
            .cloned()
            .collect();
        let listing_views: Vec<ListingView> = listings
            .iter()
            .map(|l| {
                let s = &self.sessions[l.session as usize];
                let check = record.as_ref().map(|p| {
                    let (check, reports) = self.qualification(p, l.at, l.at.date_naive());
                    let problems = check.problems(
                        &p.qualifications,
                        &reports,
                        &self.rules.qualifications.inspection_basis,
                    );
                    (check.qualified(), problems)
                });
                ListingView {
                    session: s.id.0.clone(),
                    anchor: s.anchor.as_ref().map(|a| a.0.clone()),
                    leaf: l.leaf,
                    at: l.at,
                    price: l.price,
                    qualified: check.as_ref().map(|c| c.0),
                    problems: check.map(|c| c.1).unwrap_or_default(),
                }
            })
            .collect();
        let now = record.as_ref().map(|p| {
            let (check, reports) = self.qualification(p, end_of(on), on);
            let problems = check.problems(
                &p.qualifications,
                &reports,
                &self.rules.qualifications.inspection_basis,
            );
            (check, problems)
        });
        let mut flags = self.claim_flags(&claims);
        flags.extend(self.listing_flags(listings.iter().map(|l| (id, l.leaf, l.at))));
        if let (Some((check, problems)), Some(p)) = (&now, &record) {
            let listed_flag = flags.iter().any(|f| f.code == "PRODUCT_UNQUALIFIED");
            if !check.qualified() && !listed_flag {
                let problems: Vec<String> =
                    problems.iter().map(|(t, b)| format!("{t} [{b}]")).collect();
                flags.push(flag(
                    "PRODUCT_UNQUALIFIED",
                    Severity::High,
                    format!(
                        "{id} ({}) is not qualified as of {on}: {}",
                        category_name(p.category),
                        problems.join("; ")
                    ),
                    Evidence::of(
                        [p.leaf].into_iter().chain(
                            check
                                .latest_inspection
                                .filter(|_| check.failed_inspection)
                                .and_then(|i| {
                                    self.registry
                                        .reports_of(id)
                                        .iter()
                                        .filter(|r| r.at <= end_of(on))
                                        .nth(i)
                                })
                                .map(|r| r.leaf),
                        ),
                    ),
                ));
            }
        }
        let merchant_registered = record
            .as_ref()
            .map(|p| reg.merchants.contains_key(p.merchant.as_str()));
        Some(ProductReport {
            product: id.to_string(),
            record,
            merchant_registered,
            reports: reg.reports_of(id).to_vec(),
            on,
            now,
            listings: listing_views,
            claims,
            sales,
            by_session,
            complaints,
            exposure: self.exposure(&self.rules.liability, id),
            flags,
        })
    }

    /// The pre-live gate: may `product` be listed in `anchor`'s live room at `at`?
    pub fn listing_gate(&self, product: &str, anchor: &str, at: Time) -> Gate {
        let reg = &self.registry;
        let mut reasons = Vec::new();
        let mut block = |code: &'static str, message: String, basis: &str| {
            reasons.push(GateReason {
                code,
                blocking: true,
                message,
                basis: basis.to_string(),
            })
        };
        match reg.products.get(product) {
            None => block("PRODUCT_UNREGISTERED", format!("product {product} is not registered: its category and qualifications are unknown"), ""),
            Some(p) => {
                if !reg.merchants.contains_key(p.merchant.as_str()) {
                    block(
                        "MERCHANT_UNREGISTERED",
                        format!("merchant {} is not registered: the buyer could not be told who the seller is", p.merchant),
                        "CN-CPL-44",
                    );
                }
                let (check, reports) = self.qualification(p, at, at.date_naive());
                for (text, basis) in check.problems(&p.qualifications, &reports, &self.rules.qualifications.inspection_basis) {
                    block("PRODUCT_UNQUALIFIED", text, &basis);
                }
            }
        }
        match reg.anchors.get(anchor) {
            None => block(
                "ANCHOR_UNREGISTERED",
                format!("anchor {anchor} is not registered"),
                "Online Live-Streaming Marketing Measures (trial, 2021) art. 8",
            ),
            Some(a) if a.verified == Some(false) => block(
                "ANCHOR_NOT_VERIFIED",
                format!("anchor {anchor} has not passed real-name verification"),
                "Online Live-Streaming Marketing Measures (trial, 2021) art. 8",
            ),
            Some(_) => {}
        }
        let anchor_id = AnchorId(anchor.to_string());
        if reg
            .agreements_for(Some(&anchor_id), product, at)
            .next()
            .is_none()
        {
            reasons.push(GateReason {
                code: "NO_AGREEMENT",
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
            .map(|i| self.check_claim(i))
            .filter(|f| {
                f.codes().iter().any(|c| {
                    matches!(
                        *c,
                        "CLAIM_CONTRADICTED" | "CLAIM_MEDICAL" | "CLAIM_BANNED_TERM"
                    )
                })
            })
            .map(|f| f.claim.event.0)
            .collect();
        if !false_before.is_empty() {
            reasons.push(GateReason {
                code: "PRIOR_FALSE_CLAIMS",
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
}

/// The last moment of a day, in UTC+8 (the contract's examples' zone).
fn end_of(on: NaiveDate) -> Time {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    on.and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(tz).single())
        .unwrap_or_else(|| DateTime::<FixedOffset>::MAX_UTC.with_timezone(&tz))
}

pub fn category_name(c: Category) -> &'static str {
    Category::ALL
        .iter()
        .find(|(_, k)| *k == c)
        .map_or("other", |(n, _)| n)
}

#[derive(Clone, Debug)]
pub struct ListingView {
    pub session: String,
    pub anchor: Option<String>,
    pub leaf: u64,
    pub at: Time,
    pub price: Money,
    /// `None` when the product is not registered.
    pub qualified: Option<bool>,
    pub problems: Vec<(String, String)>,
}

/// The product findings.
#[derive(Clone, Debug)]
pub struct ProductReport {
    pub product: String,
    pub record: Option<ProductRec>,
    pub merchant_registered: Option<bool>,
    pub reports: Vec<Report>,
    /// The day "now" is judged on, and the qualifications then.
    pub on: NaiveDate,
    pub now: Option<(QualificationCheck, Vec<(String, String)>)>,
    pub listings: Vec<ListingView>,
    pub claims: Vec<ClaimFinding>,
    pub sales: BTreeMap<Currency, Waterfall>,
    pub by_session: BTreeMap<String, Waterfall>,
    pub complaints: Vec<ComplaintRec>,
    /// What a full recall would cost, when a claim was false or unlawful.
    pub exposure: Option<crate::cases::Exposure>,
    pub flags: Vec<Flag>,
}

impl ProductReport {
    pub fn qualified_now(&self) -> Option<bool> {
        self.now.as_ref().map(|(c, _)| c.qualified())
    }

    /// The currency of most placed GMV.
    pub fn currency(&self) -> Option<Currency> {
        self.sales
            .iter()
            .max_by_key(|(_, w)| w.placed_gmv)
            .map(|(c, _)| *c)
    }

    /// "3 complaints: false_advertising 2, quality 1"
    pub fn complaint_summary(&self) -> String {
        let counts: Vec<String> = self
            .complaint_counts()
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let n = self.complaints.len();
        let mut out = plural(n, "complaint", "complaints");
        if !counts.is_empty() {
            out.push_str(&format!(": {}", counts.join(", ")));
        }
        out
    }

    pub fn complaint_counts(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for c in &self.complaints {
            *out.entry(crate::cases::category_name(c.category))
                .or_default() += 1;
        }
        out
    }

    pub fn to_json(&self, event_id: &dyn Fn(u64) -> Option<String>) -> Value {
        let leaf = |l: u64| json!({"event": event_id(l), "leaf": l});
        let problems = |p: &[(String, String)]| -> Vec<Value> {
            p.iter()
                .map(|(t, b)| json!({"problem": t, "basis": b}))
                .collect()
        };
        let waterfall = |w: &Waterfall| {
            json!({
                "placed_orders": w.placed_orders, "placed_gmv": w.placed_gmv,
                "paid_orders": w.paid_orders, "paid_gmv": w.paid_gmv,
                "cancelled_orders": w.cancelled_orders, "cancelled_gmv": w.cancelled_gmv,
                "refunded_orders": w.refunded_orders, "refunded_gmv": w.refunded_gmv,
                "refund_rate": round(w.refund_rate()),
            })
        };
        let main = self
            .currency()
            .and_then(|c| self.sales.get(&c))
            .cloned()
            .unwrap_or_default();
        let mut sales = waterfall(&main);
        sales["currency"] = json!(self.currency().map(|c| c.to_string()));
        sales["by_currency"] = self
            .sales
            .iter()
            .map(|(c, w)| {
                let mut v = waterfall(w);
                v["currency"] = json!(c.to_string());
                v
            })
            .collect();
        sales["by_session"] = self
            .by_session
            .iter()
            .map(|(s, w)| {
                let mut v = waterfall(w);
                v["session"] = json!(s);
                v
            })
            .collect();
        let p = self.record.as_ref();
        json!({
            "product": self.product,
            "registered": p.is_some(),
            "name": p.map(|p| &p.name),
            "category": p.map(|p| category_name(p.category)),
            "brand": p.and_then(|p| p.brand.as_ref()),
            "merchant": p.map(|p| p.merchant.as_str()),
            "merchant_registered": self.merchant_registered,
            "registration": p.map(|p| leaf(p.leaf)),
            "attributes": p.map(|p| p.attributes.iter().map(|(k, v)| (k.clone(), match v {
                events::AttrValue::Number(x) => json!(x),
                events::AttrValue::Text(t) => json!(t),
            })).collect::<serde_json::Map<_, _>>()),
            "qualifications": {
                "on": self.on.to_string(),
                "qualified": self.qualified_now(),
                "held": p.map(|p| p.qualifications.iter().map(|q| json!({
                    "kind": q.kind, "number": q.number, "expires": q.expires.map(|d| d.to_string()),
                })).collect::<Vec<_>>()),
                "required": self.now.as_ref().map(|(c, _)| c.requirements.iter().map(|r| json!({
                    "requirement": r.requirement.requirement,
                    "kinds": r.requirement.kinds,
                    "basis": r.requirement.basis,
                    "status": match &r.status {
                        qualify::Status::Held(_) => "held",
                        qualify::Status::Waived(_) => "waived",
                        qualify::Status::Missing => "missing",
                        qualify::Status::Expired(..) => "expired",
                        qualify::Status::BadNumber(_) => "bad_number",
                    },
                })).collect::<Vec<_>>()),
                "problems": self.now.as_ref().map(|(_, p)| problems(p)).unwrap_or_default(),
            },
            "inspections": self.reports.iter().map(|r| json!({
                "report": r.id.as_str(), "lab": r.lab, "issued": r.issued.to_string(),
                "conclusion": match r.conclusion { events::Conclusion::Pass => "pass", events::Conclusion::Fail => "fail" },
                "results": r.results.iter().map(|x| json!({"item": x.item, "value": x.value, "unit": x.unit})).collect::<Vec<_>>(),
                "event": event_id(r.leaf), "leaf": r.leaf,
            })).collect::<Vec<_>>(),
            "listings": self.listings.iter().map(|l| json!({
                "session": l.session, "anchor": l.anchor, "at": l.at.to_rfc3339(),
                "price": l.price.minor, "currency": l.price.currency.to_string(),
                "qualified": l.qualified, "problems": problems(&l.problems),
                "event": event_id(l.leaf), "leaf": l.leaf,
            })).collect::<Vec<_>>(),
            "claims": self.claims.iter().map(|c| c.to_json(event_id)).collect::<Vec<_>>(),
            "sales": sales,
            "complaints": {
                "count": self.complaints.len(),
                "by_category": self.complaint_counts(),
                "items": self.complaints.iter().map(|c| json!({
                    "complaint": c.complaint.as_str(), "category": crate::cases::category_name(c.category),
                    "at": c.at.to_rfc3339(), "text": c.text,
                    "claim_ref": c.claim_ref.as_ref().map(|e| e.as_str()),
                    "event": c.event.as_str(), "leaf": c.leaf,
                })).collect::<Vec<_>>(),
            },
            "exposure": self.exposure.as_ref().map(|e| e.to_json()),
            "flags": self.flags.iter().map(|f| json!({
                "code": f.code,
                "severity": f.severity.as_str(),
                "summary": f.summary,
                "evidence": f.evidence.leaves.iter().map(|l| leaf(*l)).collect::<Vec<_>>(),
                "evidence_count": f.evidence.count,
            })).collect::<Vec<_>>(),
        })
    }
}

/// One reason in the pre-live gate's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct GateReason {
    pub code: &'static str,
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

impl Gate {
    pub fn to_json(&self) -> Value {
        json!({
            "product": self.product,
            "anchor": self.anchor,
            "at": self.at.to_rfc3339(),
            "allowed": self.allowed,
            "reasons": self.reasons.iter().map(|r| json!({
                "code": r.code, "blocking": r.blocking, "message": r.message,
                "basis": if r.basis.is_empty() { vec![] } else { vec![r.basis.clone()] },
            })).collect::<Vec<_>>(),
        })
    }
}
