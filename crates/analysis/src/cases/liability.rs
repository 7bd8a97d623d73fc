//! Who answers for it, and what is owed: rule packs and the engine.
//!
//! A rule pack (`rules/liability-cn.json`, the default; `liability-eu.json`,
//! a second jurisdiction) is data: each rule names the facts that must hold
//! and what follows — a liable party with its role and legal basis, or a
//! refund or compensation. [`decide`] applies a pack to the facts of one
//! case and says which rules fired and, for the others, which fact did not
//! hold. Establishing the facts from the log is [`crate::cases::case`]'s job.

use crate::error::{strict, RulesError};
use events::{Category, Currency, Money};
use serde::Deserialize;

pub const DEFAULT_PACK: &str = include_str!("../../rules/liability-cn.json");
pub const EU_PACK: &str = include_str!("../../rules/liability-eu.json");

/// The facts a rule may test, and what each means (docs/LIABILITY.md).
pub const FACTS: [(&str, &str); 13] = [
    ("upheld", "the complaint is borne out: a false or unlawful claim, a failed inspection, or a quality, counterfeit or non-delivery complaint"),
    ("false_claim", "a claim about the product, made in the session before the order, has an assert contradicted by an inspection result or attribute"),
    ("unlawful_ad", "such a claim uses a banned absolute term or a medical claim"),
    ("misrepresented", "false_claim or unlawful_ad"),
    ("approved_false_claim", "a false or unlawful claim was among the merchant's approved selling points"),
    ("unapproved_false_claim", "a false or unlawful claim went beyond the approved selling points"),
    ("should_have_known", "an inspection contradicting the claim was on record before the session began"),
    ("life_and_health", "the product's category concerns life and health"),
    ("unsafe_food", "food or health food whose inspection on record concluded fail"),
    ("failed_before_order", "a failed inspection of the product was on record before the order was placed"),
    ("unknown_seller", "the merchant was never registered"),
    ("merchant_is_seller", "the merchant is the seller of record"),
    ("anchor_is_seller", "the anchor is the seller of record (the agreement says so)"),
];

const PARTIES: [&str; 4] = ["seller", "merchant", "anchor", "platform"];

/// A condition: a fact, or its negation.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub fact: &'static str,
    pub holds: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiableRule {
    pub id: String,
    pub when: Vec<Cond>,
    /// What follows; its `party` is one of seller, merchant, anchor, platform.
    pub then: Liable,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RemedyRule {
    pub id: String,
    pub when: Vec<Cond>,
    pub refund: bool,
    /// (multiple of the price paid, minimum in the pack's currency's minor units)
    pub compensation: Option<(f64, i64)>,
    pub basis: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pack {
    pub name: String,
    pub currency: Currency,
    pub life_and_health: Vec<Category>,
    pub decide_hours: i64,
    pub remedy_days: i64,
    pub liable: Vec<LiableRule>,
    pub remedies: Vec<RemedyRule>,
}

impl Default for Pack {
    fn default() -> Pack {
        Pack::from_json(DEFAULT_PACK).expect("the default pack parses (tested)")
    }
}

/// A rule pack as written: every key known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(rename = "_about", default)]
    _about: Option<String>,
    name: String,
    currency: String,
    life_and_health: Vec<String>,
    deadlines: Deadlines,
    liable: Vec<LiableFile>,
    remedies: Vec<RemedyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deadlines {
    decide_hours: i64,
    remedy_days: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiableFile {
    id: String,
    when: Vec<String>,
    party: String,
    role: String,
    share: Option<f64>,
    #[serde(default)]
    joint: bool,
    basis: Vec<String>,
    reason: String,
    /// The reason in Chinese (the dashboard's and HTML reports' other language).
    #[serde(default)]
    reason_zh: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemedyFile {
    id: String,
    when: Vec<String>,
    #[serde(default)]
    refund: bool,
    compensation: Option<Compensation>,
    basis: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Compensation {
    multiple: f64,
    minimum: i64,
}

fn conditions(when: &[String], path: &str) -> Result<Vec<Cond>, RulesError> {
    when.iter()
        .map(|c| {
            let (holds, name) = match c.strip_prefix('!') {
                Some(n) => (false, n),
                None => (true, c.as_str()),
            };
            let fact = FACTS
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(f, _)| *f)
                .ok_or_else(|| {
                    let known: Vec<&str> = FACTS.iter().map(|(f, _)| *f).collect();
                    RulesError::field(
                        path,
                        format!(
                            "names an unknown fact `{name}` (known: {})",
                            known.join(", ")
                        ),
                    )
                })?;
            Ok(Cond { fact, holds })
        })
        .collect()
}

impl Pack {
    pub fn from_json(text: &str) -> Result<Pack, RulesError> {
        let f: PackFile = strict("pack", &serde_json::from_str(text)?)?;
        let currency = Currency::parse(&f.currency)
            .ok_or_else(|| RulesError::field("pack.currency", "must be an ISO 4217 code"))?;
        let life_and_health = f
            .life_and_health
            .iter()
            .map(|c| {
                Category::ALL
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, k)| *k)
                    .ok_or_else(|| {
                        RulesError::field("pack.life_and_health", format!("unknown category `{c}`"))
                    })
            })
            .collect::<Result<_, _>>()?;
        for (k, x) in [
            ("decide_hours", f.deadlines.decide_hours),
            ("remedy_days", f.deadlines.remedy_days),
        ] {
            if x <= 0 {
                return Err(RulesError::field(
                    format!("pack.deadlines.{k}"),
                    "must be a positive whole number",
                ));
            }
        }
        let mut liable = Vec::new();
        for (i, r) in f.liable.into_iter().enumerate() {
            let path = format!("pack.liable[{i}]");
            if !PARTIES.contains(&r.party.as_str()) {
                return Err(RulesError::field(
                    format!("{path}.party"),
                    format!("must be one of {}", PARTIES.join(", ")),
                ));
            }
            liable.push(LiableRule {
                id: r.id,
                when: conditions(&r.when, &format!("{path}.when"))?,
                then: Liable {
                    party: r.party,
                    role: r.role,
                    share: r.share,
                    joint: r.joint,
                    basis: r.basis,
                    reason: r.reason,
                    reason_zh: r.reason_zh,
                },
            });
        }
        let mut remedies = Vec::new();
        for (i, r) in f.remedies.into_iter().enumerate() {
            let path = format!("pack.remedies[{i}]");
            if let Some(c) = &r.compensation {
                if !(c.multiple.is_finite() && c.multiple >= 0.0) {
                    return Err(RulesError::field(
                        format!("{path}.compensation.multiple"),
                        "must be a non-negative number",
                    ));
                }
                if c.minimum < 0 {
                    return Err(RulesError::field(
                        format!("{path}.compensation.minimum"),
                        "must be minor units (a whole number ≥ 0)",
                    ));
                }
            }
            remedies.push(RemedyRule {
                id: r.id,
                when: conditions(&r.when, &format!("{path}.when"))?,
                refund: r.refund,
                compensation: r.compensation.map(|c| (c.multiple, c.minimum)),
                basis: r.basis,
                reason: r.reason,
            });
        }
        Ok(Pack {
            name: f.name,
            currency,
            life_and_health,
            decide_hours: f.deadlines.decide_hours,
            remedy_days: f.deadlines.remedy_days,
            liable,
            remedies,
        })
    }
}

/// The facts of one case: each fact of [`FACTS`], true or false.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts(pub Vec<(&'static str, bool)>);

impl Facts {
    pub fn get(&self, fact: &str) -> bool {
        self.0.iter().any(|(f, v)| *f == fact && *v)
    }
    pub fn set(&mut self, fact: &'static str, value: bool) {
        match self.0.iter_mut().find(|(f, _)| *f == fact) {
            Some(slot) => slot.1 = value,
            None => self.0.push((fact, value)),
        }
    }
}

/// Who the parties are: ids as `merchant:m1`, `anchor:a1`, `platform`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parties {
    pub seller: String,
    pub merchant: String,
    pub anchor: String,
    pub platform: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Liable {
    pub party: String,
    pub role: String,
    pub share: Option<f64>,
    pub joint: bool,
    pub basis: Vec<String>,
    pub reason: String,
    /// The rule pack's Chinese for `reason`, when it gives one.
    pub reason_zh: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Remedy {
    pub refund: i64,
    pub compensation: i64,
    pub currency: Currency,
    pub basis: Vec<String>,
    /// Anything the amounts could not take into account.
    pub notes: Vec<String>,
}

/// Whether a rule fired, and if not the first condition that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    pub rule: String,
    pub fired: bool,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub liable: Vec<Liable>,
    pub remedy: Remedy,
    pub rules: Vec<Fired>,
}

fn test(when: &[Cond], facts: &Facts) -> Result<String, String> {
    for c in when {
        if facts.get(c.fact) != c.holds {
            return Err(if c.holds {
                format!("not fired: {} does not hold", c.fact)
            } else {
                format!("not fired: {} holds", c.fact)
            });
        }
    }
    let met: Vec<String> = when
        .iter()
        .map(|c| {
            if c.holds {
                c.fact.to_string()
            } else {
                format!("not {}", c.fact)
            }
        })
        .collect();
    Ok(format!("fired: {}", met.join(", ")))
}

/// Applies `pack` to one order's facts. `paid` is what the buyer paid,
/// `refunded` what was already refunded.
pub fn decide(
    pack: &Pack,
    facts: &Facts,
    parties: &Parties,
    paid: Money,
    refunded: i64,
) -> Decision {
    let mut rules = Vec::new();
    // Records whether a rule fired, and why (not).
    let mut fires = |id: &str, when: &[Cond]| {
        let outcome = test(when, facts);
        let fired = outcome.is_ok();
        rules.push(Fired {
            rule: id.to_string(),
            fired,
            why: outcome.unwrap_or_else(|e| e),
        });
        fired
    };
    let mut liable: Vec<Liable> = Vec::new();
    for r in &pack.liable {
        if !fires(&r.id, &r.when) {
            continue;
        }
        let party = match r.then.party.as_str() {
            "seller" => &parties.seller,
            "merchant" => &parties.merchant,
            "anchor" => &parties.anchor,
            _ => &parties.platform,
        };
        // One party in one role once, with every basis that put it there.
        match liable
            .iter_mut()
            .find(|l| l.party == *party && l.role == r.then.role)
        {
            Some(l) => {
                for b in &r.then.basis {
                    if !l.basis.contains(b) {
                        l.basis.push(b.clone());
                    }
                }
            }
            None => liable.push(Liable {
                party: party.clone(),
                ..r.then.clone()
            }),
        }
    }
    let mut remedy = Remedy {
        refund: 0,
        compensation: 0,
        currency: paid.currency,
        basis: Vec::new(),
        notes: Vec::new(),
    };
    let mut best: Option<(i64, &RemedyRule)> = None;
    for r in &pack.remedies {
        if !fires(&r.id, &r.when) {
            continue;
        }
        if r.refund {
            remedy.refund = (paid.minor - refunded).max(0);
            remedy.basis.extend(r.basis.iter().cloned());
        }
        if let Some((multiple, minimum)) = r.compensation {
            if paid.minor <= 0 {
                remedy
                    .notes
                    .push(format!("{}: nothing was paid, so no compensation", r.id));
                continue;
            }
            let mut amount = (paid.minor as f64 * multiple).round() as i64;
            if paid.currency == pack.currency {
                amount = amount.max(minimum);
            } else if minimum > 0 {
                remedy.notes.push(format!(
                    "{}: the minimum is set in {}, the order was paid in {}; not applied",
                    r.id, pack.currency, paid.currency
                ));
            }
            if best.is_none_or(|(b, _)| amount > b) {
                best = Some((amount, r));
            }
        }
    }
    if let Some((amount, r)) = best {
        remedy.compensation = amount;
        for b in &r.basis {
            if !remedy.basis.contains(b) {
                remedy.basis.push(b.clone());
            }
        }
    }
    Decision {
        liable,
        remedy,
        rules,
    }
}

#[cfg(test)]
#[path = "liability_tests.rs"]
mod tests;
