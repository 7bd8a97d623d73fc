//! Thresholds, weights and lists, read from documented data files
//! embedded as the defaults: `rules/authenticity.json` (every number the
//! authenticity analysis uses, with the reason for its default),
//! `rules/claims.json` (forbidden terms) and `rules/qualifications.json`
//! (what each category must hold).

use crate::cases::liability::Pack;
use crate::claims::check::{ClaimRules, DEFAULT_CLAIM_RULES};
use crate::claims::qualify::{QualificationRules, DEFAULT_QUALIFICATION_RULES};
use crate::error::{strict, RulesError};
use events::Category;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// The embedded default rule file.
pub const DEFAULT_RULES: &str = include_str!("../../rules/authenticity.json");

/// How much evidence makes a bot, and what each signal weighs.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotRules {
    #[serde(deserialize_with = "num")]
    pub convict_score: f64,
    #[serde(deserialize_with = "count")]
    pub shared_device_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub shared_device_weight: f64,
    #[serde(deserialize_with = "count")]
    pub shared_network_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub shared_network_weight: f64,
    #[serde(deserialize_with = "count64")]
    pub wave_window_secs: i64,
    #[serde(deserialize_with = "count")]
    pub wave_min_joins: u32,
    #[serde(deserialize_with = "num")]
    pub wave_factor: f64,
    #[serde(deserialize_with = "num")]
    pub wave_weight: f64,
    #[serde(deserialize_with = "count64")]
    pub fresh_account_days: i64,
    #[serde(deserialize_with = "num")]
    pub fresh_account_weight: f64,
    #[serde(deserialize_with = "num")]
    pub passive_weight: f64,
    #[serde(deserialize_with = "count")]
    pub copied_comment_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub copied_comment_weight: f64,
    #[serde(deserialize_with = "count")]
    pub uniform_dwell_min_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub uniform_dwell_tolerance: f64,
    #[serde(deserialize_with = "num")]
    pub uniform_dwell_share: f64,
    #[serde(deserialize_with = "num")]
    pub uniform_dwell_weight: f64,
    #[serde(deserialize_with = "num")]
    pub sync_leave_weight: f64,
    #[serde(deserialize_with = "count64")]
    pub sync_leave_end_secs: i64,
    #[serde(deserialize_with = "count64")]
    pub cross_room_days: i64,
    #[serde(deserialize_with = "count64")]
    pub concurrent_secs: i64,
    #[serde(deserialize_with = "num")]
    pub concurrent_weight: f64,
    #[serde(deserialize_with = "count64")]
    pub lockstep_window_secs: i64,
    #[serde(deserialize_with = "count")]
    pub lockstep_min_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub lockstep_factor: f64,
    #[serde(deserialize_with = "num")]
    pub lockstep_weight: f64,
    #[serde(deserialize_with = "count")]
    pub lockstep_repeat_rooms: u32,
    #[serde(deserialize_with = "num")]
    pub lockstep_repeat_weight: f64,
}

/// When linked buyers are a brushing ring.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrushingRules {
    #[serde(deserialize_with = "count")]
    pub min_accounts: u32,
    #[serde(deserialize_with = "count")]
    pub min_orders: u32,
    #[serde(deserialize_with = "count64")]
    pub quick_order_secs: i64,
    #[serde(deserialize_with = "count64")]
    pub burst_secs: i64,
    #[serde(deserialize_with = "num")]
    pub weight_no_watch: f64,
    #[serde(deserialize_with = "num")]
    pub weight_repeat: f64,
    #[serde(deserialize_with = "num")]
    pub weight_burst: f64,
    #[serde(deserialize_with = "num")]
    pub weight_refund: f64,
    #[serde(deserialize_with = "count")]
    pub concentration_orders: u32,
    #[serde(deserialize_with = "count64")]
    pub concentration_secs: i64,
    #[serde(deserialize_with = "num")]
    pub weight_concentration: f64,
    #[serde(deserialize_with = "num")]
    pub suspect_score: f64,
}

/// The thresholds of the session flags.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRules {
    #[serde(deserialize_with = "num")]
    pub viewer_inflation_medium: f64,
    #[serde(deserialize_with = "num")]
    pub viewer_inflation_high: f64,
    #[serde(deserialize_with = "num")]
    pub bot_share_medium: f64,
    #[serde(deserialize_with = "num")]
    pub bot_share_high: f64,
    #[serde(deserialize_with = "count")]
    pub bot_min_accounts: u32,
    #[serde(deserialize_with = "num")]
    pub gmv_reported_medium: f64,
    #[serde(deserialize_with = "num")]
    pub gmv_placed_medium: f64,
    #[serde(deserialize_with = "num")]
    pub gmv_high: f64,
    #[serde(deserialize_with = "count")]
    pub refund_min_orders: u32,
    #[serde(deserialize_with = "num")]
    pub refund_surge_factor: f64,
    #[serde(deserialize_with = "num")]
    pub refund_surge_margin: f64,
    #[serde(deserialize_with = "num")]
    pub refund_surge_high: f64,
    #[serde(deserialize_with = "num")]
    pub brushing_share_high: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub bot: BotRules,
    pub brushing: BrushingRules,
    pub flags: FlagRules,
    /// Expected refund rate (share of paid GMV), by category.
    pub expected_refund_rate: Vec<(Category, f64)>,
    pub claims: ClaimRules,
    pub qualifications: QualificationRules,
    /// The liability rule pack (default: mainland China; `--pack FILE`).
    pub liability: Pack,
}

/// The authenticity rule file as written: every key known, none missing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "_about", default)]
    _about: Option<String>,
    bot: BotRules,
    brushing: BrushingRules,
    flags: FlagRules,
    expected_refund_rate: BTreeMap<String, Value>,
    /// Sections laid over the claim and qualification lists (overrides only).
    claims: Option<Value>,
    qualifications: Option<Value>,
}

/// An entry `{"value": x, "why": "..."}`: every number says why it is what it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    value: f64,
    why: String,
}

fn entry<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let e = Entry::deserialize(d)?;
    if e.why.trim().is_empty() {
        return Err(D::Error::custom("needs a `why`"));
    }
    if !(e.value.is_finite() && e.value >= 0.0) {
        return Err(D::Error::custom("must be a non-negative number"));
    }
    Ok(e.value)
}

fn num<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    entry(d)
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let x = entry(d)?;
    if x.fract() != 0.0 || x > f64::from(u32::MAX) {
        return Err(D::Error::custom("must be a whole number"));
    }
    Ok(x as u32)
}

fn count64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    count(d).map(i64::from)
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::from_json(DEFAULT_RULES).expect("the embedded rules parse (tested)")
    }
}

impl Rules {
    /// Reads a complete authenticity rule file (claim and qualification
    /// lists: the defaults).
    pub fn from_json(text: &str) -> Result<Rules, RulesError> {
        Rules::from_value(&serde_json::from_str(text)?)
    }

    /// The defaults with the entries of `text` laid over them: an override
    /// file may give only what it changes. Its `claims` and
    /// `qualifications` sections apply to those files (a list given there
    /// replaces the default list). A key the defaults do not have is an
    /// error, not a silent addition.
    pub fn with_overrides(text: &str) -> Result<Rules, RulesError> {
        let mut over: Value = serde_json::from_str(text)?;
        let mut base: Value = serde_json::from_str(DEFAULT_RULES)?;
        for (key, default) in [
            ("claims", DEFAULT_CLAIM_RULES),
            ("qualifications", DEFAULT_QUALIFICATION_RULES),
        ] {
            let mut section: Value = serde_json::from_str(default)?;
            if let Some(o) = over.as_object_mut().and_then(|o| o.remove(key)) {
                merge(&mut section, o, key)?;
            }
            base[key] = section;
        }
        merge(&mut base, over, "")?;
        Rules::from_value(&base)
    }

    fn from_value(v: &Value) -> Result<Rules, RulesError> {
        let f: File = strict("", v)?;
        let claims = match &f.claims {
            Some(c) => ClaimRules::from_value(c)?,
            None => ClaimRules::default(),
        };
        let qualifications = match &f.qualifications {
            Some(q) => QualificationRules::from_value(q)?,
            None => QualificationRules::default(),
        };
        Ok(Rules {
            expected_refund_rate: refund_rates(&f.expected_refund_rate)?,
            bot: f.bot,
            brushing: f.brushing,
            flags: f.flags,
            claims,
            qualifications,
            liability: Pack::default(),
        })
    }

    pub fn expected_refund(&self, c: Category) -> f64 {
        self.expected_refund_rate
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(0.1, |(_, r)| *r)
    }
}

/// `expected_refund_rate`: a plain rate for every category, and a `_why`.
fn refund_rates(m: &BTreeMap<String, Value>) -> Result<Vec<(Category, f64)>, RulesError> {
    if let Some(k) = m
        .keys()
        .find(|k| *k != "_why" && !Category::ALL.iter().any(|(n, _)| n == k))
    {
        return Err(RulesError::field(
            format!("expected_refund_rate.{k}"),
            "is not a category",
        ));
    }
    Category::ALL
        .iter()
        .map(|(name, c)| {
            let path = format!("expected_refund_rate.{name}");
            let x = m
                .get(*name)
                .ok_or_else(|| RulesError::field(&path, "is missing"))?
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| RulesError::field(&path, "must be a non-negative number"))?;
            Ok((*c, x))
        })
        .collect()
}

/// Lays `over` onto `base`. Objects merge key by key; a key `base` lacks is
/// refused (a misspelling would otherwise be ignored), except in the
/// sections whose lists an override replaces.
fn merge(base: &mut Value, over: Value, path: &str) -> Result<(), RulesError> {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get_mut(&k) {
                    // An entry `{value, why}` may be overridden by a bare number.
                    Some(slot @ Value::Object(_))
                        if v.is_number() && slot.get("value").is_some() =>
                    {
                        slot["value"] = v;
                    }
                    Some(slot) => merge(slot, v, &here)?,
                    None => {
                        return Err(RulesError::field(
                            here,
                            "is not a rule this file can set (misspelt?)",
                        ))
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_every_entry_says_why() {
        let r = Rules::default();
        assert!(r.bot.shared_device_weight < r.bot.convict_score);
        let v: Value = serde_json::from_str(DEFAULT_RULES).unwrap();
        for section in ["bot", "brushing", "flags"] {
            for (k, e) in v[section].as_object().unwrap() {
                let why = e["why"].as_str().unwrap_or_default();
                assert!(why.len() > 20, "{section}.{k} needs a reason");
            }
        }
    }

    #[test]
    fn no_single_bot_signal_convicts() {
        let b = Rules::default().bot;
        for w in [
            b.shared_device_weight,
            b.shared_network_weight,
            b.wave_weight,
            b.fresh_account_weight,
            b.passive_weight,
            b.copied_comment_weight,
            b.uniform_dwell_weight,
            b.sync_leave_weight,
            b.concurrent_weight,
            b.lockstep_weight + b.lockstep_repeat_weight,
        ] {
            assert!(w < b.convict_score);
        }
        // The worst ordinary human: fresh, silent, arrived during a wave.
        assert!(b.wave_weight + b.fresh_account_weight + b.passive_weight < b.convict_score);
        // A silent viewer who also watched other rooms' lockstep crowd by
        // chance, and left when many others did, is still not convicted.
        assert!(b.lockstep_weight + b.passive_weight + b.fresh_account_weight < b.convict_score);
        // Two rooms at once plus moving with a group across rooms is.
        assert!(b.concurrent_weight + b.lockstep_weight >= b.convict_score);
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let r = Rules::with_overrides(r#"{"bot":{"wave_factor":4}}"#).unwrap();
        assert_eq!(r.bot.wave_factor, 4.0);
        assert_eq!(r.bot.wave_weight, Rules::default().bot.wave_weight);
        let e = Rules::with_overrides(r#"{"flags":{"gmv_high":"lots"}}"#).unwrap_err();
        assert!(e.to_string().contains("flags.gmv_high"), "{e}");
        let e = Rules::with_overrides(r#"{"bot":{"wave_min_joins":2.5}}"#).unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
    }

    #[test]
    fn overrides_reach_the_claim_and_qualification_lists() {
        let r = Rules::with_overrides(
            r#"{"claims": {"assert_tolerance": 0.1, "banned": [{"term": "爆款", "rule": "PLATFORM-1"}], "superlatives": []},
                "qualifications": {"categories": {"apparel": [{"requirement": "brand authorisation", "kinds": ["brand_auth"], "basis": "platform rule"}]}}}"#,
        )
        .unwrap();
        assert_eq!(r.claims.assert_tolerance, 0.1);
        assert_eq!(
            r.claims
                .terms
                .iter()
                .filter(|t| t.rule == "PLATFORM-1")
                .count(),
            1
        );
        assert_eq!(r.claims.scan("今日爆款").len(), 1);
        assert_eq!(
            r.claims.scan("最佳").len(),
            0,
            "a given list replaces the default"
        );
        assert_eq!(r.qualifications.requirements(Category::Apparel).len(), 1);
        assert_eq!(r.qualifications.requirements(Category::Food).len(), 1);
        let e = Rules::with_overrides(r#"{"claims": {"medical": "none"}}"#).unwrap_err();
        assert!(e.to_string().contains("claims.medical"), "{e}");
    }

    #[test]
    fn a_misspelt_key_is_refused_wherever_it_is() {
        // In an override file: a key the defaults do not have.
        let e = Rules::with_overrides(r#"{"bot":{"wave_factr":4}}"#).unwrap_err();
        assert!(e.to_string().contains("bot.wave_factr"), "{e}");
        // In a complete file.
        let e = Rules::from_json(&DEFAULT_RULES.replace("\"passive_weight\"", "\"pasive_weight\""))
            .unwrap_err();
        assert!(e.to_string().contains("pasive_weight"), "{e}");
        // Inside an entry.
        let e = Rules::with_overrides(r#"{"flags":{"gmv_high":{"value":3,"why":"x","whyy":"y"}}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("whyy"), "{e}");
        // In the claim and qualification lists, and in a category name.
        let e = Rules::with_overrides(
            r#"{"claims":{"medical":[{"term":"治愈","rule":"R","not":"x"}]}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not"), "{e}");
        let e = Rules::with_overrides(
            r#"{"qualifications":{"categories":{"food":[{"requirement":"r","kinds":["SC"],"basis":"b","prefx":"SC"}]}}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("prefx"), "{e}");
        let e = Rules::with_overrides(r#"{"expected_refund_rate":{"fud":0.1}}"#).unwrap_err();
        assert!(e.to_string().contains("expected_refund_rate.fud"), "{e}");
    }
}
