//! Is this product what was said? Checking one claim.
//!
//! A claim is checked three ways, each a pure function of the claim and
//! what is on record:
//! - its words, against the term lists of `rules/claims.json` (absolute
//!   terms, disease claims), with one Aho-Corasick automaton over the
//!   folded text ([`crate::claims::text`]);
//! - its asserts, against the product's attributes and inspection results,
//!   in comparable units ([`crate::claims::units`]);
//! - its text, against the selling points the merchant approved.

use crate::claims::text::{fold, squash, Normal};
use crate::claims::units::{convert, unit_of_attribute, Converted};
use crate::error::{strict, RulesError};
use crate::flag::FlagCode;
use crate::state::registry::Report;
use aho_corasick::{AhoCorasick, MatchKind};
use events::{Assert, AttrValue, Category, Op};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use super::said::{Compared, Family, Uncompared, Unsupported, Why};

/// The embedded default term lists.
pub const DEFAULT_CLAIM_RULES: &str = include_str!("../../rules/claims.json");

impl Family {
    pub fn code(self) -> FlagCode {
        match self {
            Family::Banned => FlagCode::ClaimBannedTerm,
            Family::Medical => FlagCode::ClaimMedical,
        }
    }
}

/// One forbidden term and the rule it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub family: Family,
    pub term: String,
    pub rule: String,
    pub note: String,
}

/// The compiled term lists.
#[derive(Clone, Debug)]
pub struct ClaimRules {
    pub terms: Vec<Term>,
    /// Per automaton pattern: the term it stands for, or `None` for an
    /// allowed phrase.
    patterns: Vec<Option<usize>>,
    automaton: AhoCorasick,
    /// (folded prefix, term): the prefix followed by a Han character is a
    /// hit of the term where no listed phrase already decided.
    superlatives: Vec<(String, usize)>,
    /// Relative slack before a measured value contradicts a claimed one.
    pub assert_tolerance: f64,
}

impl PartialEq for ClaimRules {
    fn eq(&self, other: &ClaimRules) -> bool {
        self.terms == other.terms
            && self.patterns == other.patterns
            && self.assert_tolerance == other.assert_tolerance
    }
}

impl Default for ClaimRules {
    fn default() -> ClaimRules {
        ClaimRules::from_value(&serde_json::from_str(DEFAULT_CLAIM_RULES).expect("embedded"))
            .expect("the embedded claim rules compile (tested)")
    }
}

/// `rules/claims.json` as written: every key known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsFile {
    #[serde(rename = "_about", default)]
    _about: Option<String>,
    assert_tolerance: Tolerance,
    banned: Vec<TermEntry>,
    medical: Vec<TermEntry>,
    allowed: Vec<TermEntry>,
    /// Prefixes that make any following Chinese word a banned term (最 +
    /// an adjective), unless a listed term (allowed or banned) covers it.
    #[serde(default)]
    superlatives: Vec<TermEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tolerance {
    value: f64,
    why: String,
}

/// A term of a list: banned and medical terms name their `rule`; an
/// allowed phrase needs none.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermEntry {
    term: String,
    rule: Option<String>,
    note: Option<String>,
}

/// A forbidden term found in a claim.
#[derive(Clone, Debug, PartialEq)]
pub struct TermHit {
    /// Index into [`ClaimRules::terms`].
    pub term: usize,
    /// The words as the claim wrote them (`最 佳`, `ＢＥＳＴ`).
    pub matched: String,
}

impl ClaimRules {
    pub(crate) fn from_value(v: &Value) -> Result<ClaimRules, RulesError> {
        let f: TermsFile = strict("claims", v)?;
        let assert_tolerance = f.assert_tolerance.value;
        if !(0.0..1.0).contains(&assert_tolerance) || f.assert_tolerance.why.trim().is_empty() {
            return Err(RulesError::field(
                "claims.assert_tolerance",
                "must be {\"value\": 0 ≤ x < 1, \"why\": ...}",
            ));
        }
        let mut terms = Vec::new();
        let mut folded: Vec<String> = Vec::new();
        let mut patterns = Vec::new();
        for (section, family, list) in [
            ("banned", Some(Family::Banned), f.banned),
            ("medical", Some(Family::Medical), f.medical),
            ("allowed", None, f.allowed),
        ] {
            for (i, e) in list.into_iter().enumerate() {
                let path = format!("claims.{section}[{i}]");
                let fo = fold(&e.term);
                if fo.is_empty() {
                    return Err(RulesError::field(
                        path,
                        "folds to nothing (only spaces or punctuation)",
                    ));
                }
                if folded.contains(&fo) {
                    return Err(RulesError::field(
                        path,
                        format!("`{}` is listed twice (after folding)", e.term),
                    ));
                }
                folded.push(fo);
                match family {
                    Some(family) => {
                        let rule = e.rule.unwrap_or_default();
                        if rule.is_empty() {
                            return Err(RulesError::field(path, "needs the `rule` it comes from"));
                        }
                        patterns.push(Some(terms.len()));
                        terms.push(Term {
                            family,
                            term: e.term,
                            rule,
                            note: e.note.unwrap_or_default(),
                        });
                    }
                    None => patterns.push(None),
                }
            }
        }
        let mut superlatives = Vec::new();
        for (i, e) in f.superlatives.into_iter().enumerate() {
            let path = format!("claims.superlatives[{i}]");
            let prefix = fold(&e.term);
            let rule = e.rule.unwrap_or_default();
            if prefix.is_empty() || rule.is_empty() {
                return Err(RulesError::field(
                    path,
                    "needs a `term` (the prefix) and its `rule`",
                ));
            }
            superlatives.push((prefix, terms.len()));
            terms.push(Term {
                family: Family::Banned,
                term: format!("{}…", e.term),
                rule,
                note: e.note.unwrap_or_default(),
            });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&folded)
            .map_err(|e| RulesError::field("claims", format!("term lists do not compile: {e}")))?;
        Ok(ClaimRules {
            terms,
            patterns,
            automaton,
            superlatives,
            assert_tolerance,
        })
    }

    /// Every forbidden term in `text`. Overlaps resolve to the longest
    /// match from the leftmost start, so an allowed phrase (第一次)
    /// shadows the term inside it (第一).
    pub fn scan(&self, text: &str) -> Vec<TermHit> {
        let n = Normal::new(text);
        let mut decided = Vec::new();
        let mut hits: Vec<TermHit> = self
            .automaton
            .find_iter(&n.text)
            .filter_map(|m| {
                decided.push(m.start()..m.end());
                let term = self.patterns[m.pattern().as_usize()]?;
                n.bounded(m.start(), m.end()).then(|| TermHit {
                    term,
                    matched: n.original(m.start(), m.end()).to_string(),
                })
            })
            .collect();
        // 最 + a Chinese word, where no listed phrase (最近, 最佳…) decided.
        for (prefix, term) in &self.superlatives {
            for (at, _) in n.text.match_indices(prefix.as_str()) {
                let after = at + prefix.len();
                let Some(c) = n.text[after..].chars().next().filter(|c| is_han(*c)) else {
                    continue;
                };
                let end = after + c.len_utf8();
                if decided.iter().any(|d| d.start < end && at < d.end) {
                    continue;
                }
                hits.push(TermHit {
                    term: *term,
                    matched: n.original(at, end).to_string(),
                });
            }
        }
        hits
    }
}

/// A CJK ideograph (the unified block and extension A).
fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// What a claim is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub category: Option<Category>,
    pub attributes: Option<&'a BTreeMap<String, AttrValue>>,
    pub reports: &'a [Report],
    /// The approved selling points; `None` when no agreement is on record.
    pub approved: Option<&'a [String]>,
    /// Whether the claim names a product at all.
    pub has_product: bool,
}

/// Where a measured value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Index into [`Record::reports`], and the result's item.
    Report(usize),
    Attribute,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub source: Source,
    pub value: f64,
    pub unit: Option<String>,
    /// The measured value in the assert's unit (as compared).
    pub compared: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every comparable value on record agrees.
    Holds(Vec<Measured>),
    /// At least one value on record contradicts the claim (those listed).
    Contradicted(Vec<Measured>),
    /// Nothing on record to compare with, and why.
    Unsupported(Unsupported),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssertCheck {
    pub assert: Assert,
    pub outcome: Outcome,
}

impl AssertCheck {
    /// "key_ingredient_g ≥ 2 g"
    pub fn claimed(&self) -> String {
        describe(&self.assert)
    }
}

pub fn describe(a: &Assert) -> String {
    let op = match a.op {
        Op::Ge => "≥",
        Op::Le => "≤",
        Op::Eq => "=",
        Op::Gt => ">",
        Op::Lt => "<",
    };
    match &a.unit {
        Some(u) => format!("{} {op} {} {u}", a.attribute, a.value),
        None => format!("{} {op} {}", a.attribute, a.value),
    }
}

/// Whether the claim's text is among the merchant's approved selling points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Equal after folding (spaces, punctuation, width, case).
    Exact,
    /// Equal once repeated words are dropped ("very very good").
    Tolerant,
    /// Not among the agreement's approved points (how many there are).
    NotApproved(usize),
    /// No agreement is on record for this anchor and product.
    NoAgreement,
    /// The claim names no product: nothing to approve it against.
    NoProduct,
}

impl Approval {
    pub fn approved(self) -> bool {
        matches!(self, Approval::Exact | Approval::Tolerant)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Exact => "approved",
            Approval::Tolerant => "approved (repeated words ignored)",
            Approval::NotApproved(_) => "not approved",
            Approval::NoAgreement => "no agreement",
            Approval::NoProduct => "no product",
        }
    }
}

/// Everything found about one claim.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimCheck {
    pub terms: Vec<TermHit>,
    pub asserts: Vec<AssertCheck>,
    pub approval: Approval,
}

impl ClaimCheck {
    /// The flag codes this claim raises, each once.
    pub fn codes(&self, rules: &ClaimRules) -> Vec<FlagCode> {
        let mut out = Vec::new();
        for h in &self.terms {
            out.push(rules.terms[h.term].family.code());
        }
        for a in &self.asserts {
            out.push(match a.outcome {
                Outcome::Holds(_) => continue,
                Outcome::Contradicted(_) => FlagCode::ClaimContradicted,
                Outcome::Unsupported(_) => FlagCode::ClaimUnsupported,
            });
        }
        if matches!(
            self.approval,
            Approval::NotApproved(_) | Approval::NoAgreement
        ) {
            out.push(FlagCode::ClaimUnapproved);
        }
        let mut seen = Vec::new();
        out.retain(|c| {
            let new = !seen.contains(c);
            seen.push(*c);
            new
        });
        out
    }

    pub fn is_clean(&self, rules: &ClaimRules) -> bool {
        self.codes(rules).is_empty()
    }
}

/// Checks one claim against what is on record.
pub fn check(rules: &ClaimRules, text: &str, asserts: &[Assert], record: &Record) -> ClaimCheck {
    // Drugs and medical devices may make medical claims (under their own
    // advertising approval, outside this check).
    let medical_ok = matches!(
        record.category,
        Some(Category::Drug | Category::MedicalDevice)
    );
    let terms = rules
        .scan(text)
        .into_iter()
        .filter(|h| !(medical_ok && rules.terms[h.term].family == Family::Medical))
        .collect();
    let asserts = asserts
        .iter()
        .map(|a| AssertCheck {
            assert: a.clone(),
            outcome: if record.has_product {
                check_assert(a, record, rules.assert_tolerance)
            } else {
                Outcome::Unsupported(Unsupported::NoProduct)
            },
        })
        .collect();
    let approval = match (record.has_product, record.approved) {
        (false, _) => Approval::NoProduct,
        (true, None) => Approval::NoAgreement,
        (true, Some(list)) => approval(text, list),
    };
    ClaimCheck {
        terms,
        asserts,
        approval,
    }
}

fn approval(text: &str, approved: &[String]) -> Approval {
    let n = Normal::new(text);
    if approved.iter().any(|a| fold(a) == n.text) {
        return Approval::Exact;
    }
    let said = squash(&n.tokens());
    if approved
        .iter()
        .any(|a| squash(&Normal::new(a).tokens()) == said)
    {
        return Approval::Tolerant;
    }
    Approval::NotApproved(approved.len())
}

fn check_assert(a: &Assert, record: &Record, tolerance: f64) -> Outcome {
    let mut holds = Vec::new();
    let mut contradicted = Vec::new();
    let mut problems = Vec::new();
    let mut text_attribute = None;
    let mut compare = |source: Source, value: f64, unit: Option<&str>, what: Compared| {
        let compared = match convert(value, unit, a.unit.as_deref()) {
            Converted::Value(v) | Converted::Unitless(v) => v,
            Converted::Unknown(u) => {
                let why = Why::UnknownUnit(u.to_string());
                problems.push(Uncompared { what, why });
                return;
            }
            Converted::Incompatible(f, t) => {
                let why = Why::Incompatible(f.to_string(), t.to_string());
                problems.push(Uncompared { what, why });
                return;
            }
        };
        let m = Measured {
            source,
            value,
            unit: unit.map(str::to_string),
            compared,
        };
        if contradicts(a.op, a.value, compared, tolerance) {
            contradicted.push(m);
        } else {
            holds.push(m);
        }
    };
    if let Some(attrs) = record.attributes {
        let found = attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&a.attribute));
        match found {
            Some((k, AttrValue::Number(x))) => compare(
                Source::Attribute,
                *x,
                unit_of_attribute(k),
                Compared::Attribute(k.to_string()),
            ),
            Some((k, AttrValue::Text(t))) => {
                text_attribute = Some(Uncompared {
                    what: Compared::Attribute(k.to_string()),
                    why: Why::Text(t.to_string()),
                })
            }
            None => {}
        }
    }
    for (ri, r) in record.reports.iter().enumerate() {
        for res in r
            .results
            .iter()
            .filter(|res| res.item.eq_ignore_ascii_case(&a.attribute))
        {
            compare(
                Source::Report(ri),
                res.value,
                Some(&res.unit),
                Compared::Report(r.id.to_string()),
            );
        }
    }
    problems.extend(text_attribute);
    if !contradicted.is_empty() {
        Outcome::Contradicted(contradicted)
    } else if !holds.is_empty() {
        Outcome::Holds(holds)
    } else if problems.is_empty() {
        Outcome::Unsupported(Unsupported::NothingOnRecord {
            attribute: a.attribute.clone(),
        })
    } else {
        Outcome::Unsupported(Unsupported::Uncompared(problems))
    }
}

/// Whether `measured` contradicts `claimed` under `op`, allowing a relative
/// slack for measurement uncertainty.
fn contradicts(op: Op, claimed: f64, measured: f64, tolerance: f64) -> bool {
    let slack = claimed.abs() * tolerance;
    match op {
        Op::Ge => measured < claimed - slack,
        Op::Gt => measured <= claimed - slack,
        Op::Le => measured > claimed + slack,
        Op::Lt => measured >= claimed + slack,
        Op::Eq => (measured - claimed).abs() > slack,
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
