//! The product findings (report.md §2): qualifications judged on a day,
//! every claim made about the product with its findings, its sales per
//! currency and session, its complaints, and what a recall would cost.

use crate::authenticity::sales::Waterfall;
use crate::cases::case::{self, Exposure};
use crate::claims::finding::{self, ClaimFinding};
use crate::claims::qualify::Problem;
use crate::claims::qualify::QualificationCheck;
use crate::flag::{Evidence, Flag, FlagCode, Says, Severity};
use crate::format::plural;
use crate::rules::Rules;
use crate::state::registry::{ComplaintRec, ProductRec, Report};
use crate::state::{key, State};
use chrono::{DateTime, FixedOffset, NaiveDate};
use events::{Currency, Money};
use std::collections::BTreeMap;

type Time = DateTime<FixedOffset>;

/// The findings about one product (`report.md` §2), with its
/// qualifications judged on day `on`. `None` if the log never mentions it.
pub(crate) fn product_report(
    st: &State,
    rules: &Rules,
    id: &str,
    on: NaiveDate,
) -> Option<ProductReport> {
    let reg = &st.registry;
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
    let orders: Vec<u32> = (0..st.orders.len() as u32)
        .filter(|i| {
            let o = &st.orders[*i as usize];
            o.is_placed() && o.product == pk
        })
        .collect();
    if record.is_none() && listings.is_empty() && claim_ix.is_empty() && orders.is_empty() {
        return None;
    }
    let claims = finding::check_claims(st, rules, claim_ix);
    let mut sales: BTreeMap<Currency, Waterfall> = BTreeMap::new();
    let mut by_session: BTreeMap<String, Waterfall> = BTreeMap::new();
    for &oi in &orders {
        let o = &st.orders[oi as usize];
        if let Some(c) = o.currency {
            sales.entry(c).or_default().add(o);
        }
        let sid = st.sessions[o.session as usize].id.0.clone();
        by_session.entry(sid).or_default().add(o);
    }
    let complaints: Vec<ComplaintRec> = reg
        .complaints
        .iter()
        .filter(|c| {
            let o = &st.orders[c.order as usize];
            o.is_placed() && o.product == pk
        })
        .cloned()
        .collect();
    let listing_views: Vec<ListingView> = listings
        .iter()
        .map(|l| {
            let s = &st.sessions[l.session as usize];
            let check = record.as_ref().map(|p| {
                let (check, reports) =
                    finding::qualification(st, rules, p, l.at, l.at.date_naive());
                let problems = check.problems(
                    &p.qualifications,
                    &reports,
                    &rules.qualifications.inspection_basis,
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
        let (check, reports) = finding::qualification(st, rules, p, end_of(on), on);
        let problems = check.problems(
            &p.qualifications,
            &reports,
            &rules.qualifications.inspection_basis,
        );
        (check, problems)
    });
    let mut flags = finding::claim_flags(&claims);
    flags.extend(finding::listing_flags(
        st,
        rules,
        listings.iter().map(|l| (id, l.leaf, l.at)),
    ));
    if let (Some((check, problems)), Some(p)) = (&now, &record) {
        let listed_flag = flags.iter().any(|f| f.code == FlagCode::ProductUnqualified);
        if !check.qualified() && !listed_flag {
            flags.push(Flag::new(
                FlagCode::ProductUnqualified,
                Severity::High,
                Says::NotQualified {
                    product: id.to_string(),
                    category: p.category.to_string(),
                    on,
                    problems: problems.clone(),
                },
                Evidence::of(
                    [p.leaf].into_iter().chain(
                        check
                            .latest_inspection
                            .filter(|_| check.failed_inspection)
                            .and_then(|i| {
                                st.registry
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
        exposure: case::exposure(st, rules, id),
        flags,
    })
}

/// The last moment of a day, in UTC+8 (the contract's examples' zone).
fn end_of(on: NaiveDate) -> Time {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    on.and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(tz).single())
        .unwrap_or_else(|| DateTime::<FixedOffset>::MAX_UTC.with_timezone(&tz))
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
    pub problems: Vec<(Problem, String)>,
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
    pub now: Option<(QualificationCheck, Vec<(Problem, String)>)>,
    pub listings: Vec<ListingView>,
    pub claims: Vec<ClaimFinding>,
    pub sales: BTreeMap<Currency, Waterfall>,
    pub by_session: BTreeMap<String, Waterfall>,
    pub complaints: Vec<ComplaintRec>,
    /// What a full recall would cost, when a claim was false or unlawful.
    pub exposure: Option<Exposure>,
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
            *out.entry(c.category.as_str()).or_default() += 1;
        }
        out
    }
}
