//! A claim checked in its context — which inspection reports were on
//! record when, which agreement applied — with each finding in words, and
//! the claim and listing flags (report.md §1 and §2) built from findings.

use crate::claims::check::{self, Approval, ClaimCheck, ClaimRules, Outcome, Record, Source};
use crate::claims::qualify::{self, QualificationCheck};
pub use crate::claims::said::{By, Said};
use crate::flag::{Evidence, Flag, FlagCode, Says, Severity};
use crate::format::clip;
use crate::rules::Rules;
use crate::state::registry::{ClaimRec, ProductRec, Report};
use crate::state::State;
use chrono::{DateTime, FixedOffset, NaiveDate};
use events::Category;
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

/// One finding about a claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    pub code: FlagCode,
    pub said: Said,
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

    pub fn product(&self) -> &str {
        self.claim
            .product
            .as_ref()
            .map_or("no product", |p| p.as_str())
    }

    /// Each finding behind `code`, with its legal basis.
    fn details(&self, rules: &ClaimRules, code: FlagCode) -> Vec<(Said, String)> {
        let mut out = Vec::new();
        for h in &self.check.terms {
            let t = &rules.terms[h.term];
            if t.family.code() == code {
                let said = Said::Term {
                    matched: h.matched.clone(),
                    note: t.note.clone(),
                    family: t.family,
                };
                out.push((said, t.rule.clone()));
            }
        }
        for a in &self.check.asserts {
            match (&a.outcome, code) {
                (Outcome::Contradicted(ms), FlagCode::ClaimContradicted) => {
                    for m in ms {
                        let unit = m.unit.clone().unwrap_or_default();
                        let by = match m.source {
                            Source::Report(i) => {
                                let r = &self.reports[i];
                                By::Report {
                                    id: r.id.to_string(),
                                    lab: r.lab.clone(),
                                    issued: r.issued,
                                    before_session: self.known_before_session(i),
                                    value: m.value,
                                    unit,
                                }
                            }
                            Source::Attribute => By::Attribute {
                                value: m.value,
                                unit,
                            },
                        };
                        let claimed = a.claimed();
                        out.push((Said::Contradicted { claimed, by }, "CN-AD-28".into()));
                    }
                }
                (Outcome::Unsupported(why), FlagCode::ClaimUnsupported) => {
                    let claimed = a.claimed();
                    let why = why.clone();
                    out.push((Said::Unsupported { claimed, why }, "CN-AD-11".into()))
                }
                _ => {}
            }
        }
        if code == FlagCode::ClaimUnapproved {
            let text = clip(&self.claim.text, 40);
            match self.check.approval {
                Approval::NotApproved(on_record) => {
                    out.push((Said::NotApproved { text, on_record }, String::new()))
                }
                Approval::NoAgreement => {
                    let anchor = self.anchor.clone();
                    out.push((Said::NoAgreement { text, anchor }, String::new()))
                }
                _ => {}
            }
        }
        out
    }

    /// The reports (and registration) behind a contradiction.
    pub fn report_leaves(&self) -> impl Iterator<Item = u64> + '_ {
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
    pub fn codes(&self) -> Vec<FlagCode> {
        let mut codes: Vec<FlagCode> = self.findings.iter().map(|d| d.code).collect();
        codes.dedup();
        codes
    }

    /// Whether the claim misrepresents the product (false, or unlawful to say).
    pub fn misrepresents(&self) -> bool {
        self.codes().iter().any(|c| c.misrepresents())
    }
}

/// Checks the claim at `ix` of the registry against what is on record.
pub(crate) fn check_claim(st: &State, rules: &Rules, ix: u32) -> ClaimFinding {
    check_claim_as_of(st, rules, ix, None)
}

/// The same, with only the reports on record by `as_of` (all if `None`).
pub(crate) fn check_claim_as_of(
    st: &State,
    rules: &Rules,
    ix: u32,
    as_of: Option<Time>,
) -> ClaimFinding {
    let reg = &st.registry;
    let c = &reg.claims[ix as usize];
    let s = &st.sessions[c.session as usize];
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
        check: check::check(&rules.claims, &c.text, &c.asserts, &record),
        reports: reports.to_vec(),
        product_leaf: product.map(|p| p.leaf),
        findings: Vec::new(),
    };
    let codes = f.check.codes(&rules.claims);
    f.findings = FlagCode::CLAIMS
        .iter()
        .filter(|code| codes.contains(code))
        .flat_map(|code| {
            f.details(&rules.claims, *code)
                .into_iter()
                .map(|(said, basis)| Detail {
                    code: *code,
                    said,
                    basis,
                })
        })
        .collect();
    f
}

/// Checks claims, in the order they were made.
pub(crate) fn check_claims(
    st: &State,
    rules: &Rules,
    ix: impl IntoIterator<Item = u32>,
) -> Vec<ClaimFinding> {
    let mut out: Vec<ClaimFinding> = ix.into_iter().map(|i| check_claim(st, rules, i)).collect();
    out.sort_by_key(|f| (f.claim.at, f.claim.leaf));
    out
}

/// The product's qualifications on day `on`, with the reports on record by `by`.
pub(crate) fn qualification(
    st: &State,
    rules: &Rules,
    p: &ProductRec,
    by: Time,
    on: NaiveDate,
) -> (QualificationCheck, Vec<Report>) {
    let reports: Vec<Report> = st
        .registry
        .reports_of(p.id.as_str())
        .iter()
        .filter(|r| r.at <= by)
        .cloned()
        .collect();
    let check = qualify::check(
        &rules.qualifications,
        p.category,
        &p.qualifications,
        &p.attributes,
        &reports,
        on,
    );
    (check, reports)
}

/// Claim flags over a set of checked claims: one flag per code and product.
pub(crate) fn claim_flags(findings: &[ClaimFinding]) -> Vec<Flag> {
    let mut out = Vec::new();
    for code in FlagCode::CLAIMS {
        let mut by_product: BTreeMap<&str, Vec<&ClaimFinding>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.codes().contains(&code)) {
            by_product.entry(f.product()).or_default().push(f);
        }
        for (product, fs) in by_product {
            let mut details: Vec<(Said, String)> = Vec::new();
            for f in &fs {
                for d in f.findings.iter().filter(|d| d.code == code) {
                    let d = (d.said.clone(), d.basis.clone());
                    if !details.contains(&d) {
                        details.push(d);
                    }
                }
            }
            let more = details.len().saturating_sub(3);
            details.truncate(3);
            let says = Says::Claims {
                code,
                claims: fs.len(),
                product: product.to_string(),
                details,
                more,
            };
            // The claims, and for a contradiction the reports behind it.
            let mut leaves: Vec<u64> = Vec::new();
            for f in &fs {
                let reports = (code == FlagCode::ClaimContradicted).then(|| f.report_leaves());
                for l in std::iter::once(f.claim.leaf).chain(reports.into_iter().flatten()) {
                    if !leaves.contains(&l) {
                        leaves.push(l);
                    }
                }
            }
            out.push(Flag::new(
                code,
                code.claim_severity(),
                says,
                Evidence::of(leaves),
            ));
        }
    }
    out
}

/// `PRODUCT_UNQUALIFIED` flags for listings (product, leaf, time), one per product.
pub(crate) fn listing_flags<'a>(
    st: &State,
    rules: &Rules,
    listings: impl IntoIterator<Item = (&'a str, u64, Time)>,
) -> Vec<Flag> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (pid, leaf, at) in listings {
        if seen.contains(&pid) {
            continue;
        }
        let Some(p) = st.registry.products.get(pid) else {
            seen.push(pid);
            out.push(Flag::new(
                FlagCode::ProductUnqualified,
                Severity::Medium,
                Says::Unregistered {
                    product: pid.to_string(),
                },
                Evidence::of([leaf]),
            ));
            continue;
        };
        let (check, reports) = qualification(st, rules, p, at, at.date_naive());
        if check.qualified() {
            continue;
        }
        seen.push(pid);
        let problems = check.problems(
            &p.qualifications,
            &reports,
            &rules.qualifications.inspection_basis,
        );
        let failed = check
            .latest_inspection
            .filter(|_| check.failed_inspection)
            .map(|i| reports[i].leaf);
        // A qualification we could not recognise is worth a look, not
        // proof that one is missing.
        let severity = if check.only_unrecognised() {
            Severity::Low
        } else {
            Severity::High
        };
        out.push(Flag::new(
            FlagCode::ProductUnqualified,
            severity,
            Says::Unqualified {
                product: pid.to_string(),
                category: p.category.to_string(),
                listed: at,
                problems,
            },
            Evidence::of([leaf, p.leaf].into_iter().chain(failed)),
        ));
    }
    out
}
