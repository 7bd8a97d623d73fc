//! Thresholds, weights and lists, read from documented data files
//! embedded as the defaults: `rules/authenticity.json` (every number the
//! authenticity analysis uses, with the reason for its default),
//! `rules/claims.json` (forbidden terms) and `rules/qualifications.json`
//! (what each category must hold).

use crate::cases::liability::Pack;
use crate::claims::check::{ClaimRules, DEFAULT_CLAIM_RULES};
use crate::claims::qualify::{QualificationRules, DEFAULT_QUALIFICATION_RULES};
use crate::error::RulesError;
use events::Category;
use serde_json::Value;

/// The embedded default rule file.
pub const DEFAULT_RULES: &str = include_str!("../../rules/authenticity.json");

#[derive(Clone, Debug, PartialEq)]
pub struct BotRules {
    pub convict_score: f64,
    pub shared_device_accounts: u32,
    pub shared_device_weight: f64,
    pub shared_network_accounts: u32,
    pub shared_network_weight: f64,
    pub wave_window_secs: i64,
    pub wave_min_joins: u32,
    pub wave_factor: f64,
    pub wave_weight: f64,
    pub fresh_account_days: i64,
    pub fresh_account_weight: f64,
    pub passive_weight: f64,
    pub copied_comment_accounts: u32,
    pub copied_comment_weight: f64,
    pub uniform_dwell_min_accounts: u32,
    pub uniform_dwell_tolerance: f64,
    pub uniform_dwell_share: f64,
    pub uniform_dwell_weight: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrushingRules {
    pub min_accounts: u32,
    pub min_orders: u32,
    pub quick_order_secs: i64,
    pub burst_secs: i64,
    pub weight_no_watch: f64,
    pub weight_repeat: f64,
    pub weight_burst: f64,
    pub weight_refund: f64,
    pub suspect_score: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlagRules {
    pub viewer_inflation_medium: f64,
    pub viewer_inflation_high: f64,
    pub bot_share_medium: f64,
    pub bot_share_high: f64,
    pub bot_min_accounts: u32,
    pub gmv_reported_medium: f64,
    pub gmv_placed_medium: f64,
    pub gmv_high: f64,
    pub refund_min_orders: u32,
    pub refund_surge_factor: f64,
    pub refund_surge_margin: f64,
    pub refund_surge_high: f64,
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
    /// replaces the default list).
    pub fn with_overrides(text: &str) -> Result<Rules, RulesError> {
        let mut over: Value = serde_json::from_str(text)?;
        let mut base: Value = serde_json::from_str(DEFAULT_RULES)?;
        for (key, default) in [
            ("claims", DEFAULT_CLAIM_RULES),
            ("qualifications", DEFAULT_QUALIFICATION_RULES),
        ] {
            let mut section: Value = serde_json::from_str(default)?;
            if let Some(o) = over.as_object_mut().and_then(|o| o.remove(key)) {
                merge(&mut section, o);
            }
            base[key] = section;
        }
        merge(&mut base, over);
        Rules::from_value(&base)
    }

    fn from_value(v: &Value) -> Result<Rules, RulesError> {
        let r = Reader(v);
        let claims = match v.get("claims") {
            Some(c) => ClaimRules::from_value(c)?,
            None => ClaimRules::default(),
        };
        let qualifications = match v.get("qualifications") {
            Some(q) => QualificationRules::from_value(q)?,
            None => QualificationRules::default(),
        };
        Ok(Rules {
            bot: BotRules {
                convict_score: r.num("bot.convict_score")?,
                shared_device_accounts: r.count("bot.shared_device_accounts")?,
                shared_device_weight: r.num("bot.shared_device_weight")?,
                shared_network_accounts: r.count("bot.shared_network_accounts")?,
                shared_network_weight: r.num("bot.shared_network_weight")?,
                wave_window_secs: r.count("bot.wave_window_secs")?.into(),
                wave_min_joins: r.count("bot.wave_min_joins")?,
                wave_factor: r.num("bot.wave_factor")?,
                wave_weight: r.num("bot.wave_weight")?,
                fresh_account_days: r.count("bot.fresh_account_days")?.into(),
                fresh_account_weight: r.num("bot.fresh_account_weight")?,
                passive_weight: r.num("bot.passive_weight")?,
                copied_comment_accounts: r.count("bot.copied_comment_accounts")?,
                copied_comment_weight: r.num("bot.copied_comment_weight")?,
                uniform_dwell_min_accounts: r.count("bot.uniform_dwell_min_accounts")?,
                uniform_dwell_tolerance: r.num("bot.uniform_dwell_tolerance")?,
                uniform_dwell_share: r.num("bot.uniform_dwell_share")?,
                uniform_dwell_weight: r.num("bot.uniform_dwell_weight")?,
            },
            brushing: BrushingRules {
                min_accounts: r.count("brushing.min_accounts")?,
                min_orders: r.count("brushing.min_orders")?,
                quick_order_secs: r.count("brushing.quick_order_secs")?.into(),
                burst_secs: r.count("brushing.burst_secs")?.into(),
                weight_no_watch: r.num("brushing.weight_no_watch")?,
                weight_repeat: r.num("brushing.weight_repeat")?,
                weight_burst: r.num("brushing.weight_burst")?,
                weight_refund: r.num("brushing.weight_refund")?,
                suspect_score: r.num("brushing.suspect_score")?,
            },
            flags: FlagRules {
                viewer_inflation_medium: r.num("flags.viewer_inflation_medium")?,
                viewer_inflation_high: r.num("flags.viewer_inflation_high")?,
                bot_share_medium: r.num("flags.bot_share_medium")?,
                bot_share_high: r.num("flags.bot_share_high")?,
                bot_min_accounts: r.count("flags.bot_min_accounts")?,
                gmv_reported_medium: r.num("flags.gmv_reported_medium")?,
                gmv_placed_medium: r.num("flags.gmv_placed_medium")?,
                gmv_high: r.num("flags.gmv_high")?,
                refund_min_orders: r.count("flags.refund_min_orders")?,
                refund_surge_factor: r.num("flags.refund_surge_factor")?,
                refund_surge_margin: r.num("flags.refund_surge_margin")?,
                refund_surge_high: r.num("flags.refund_surge_high")?,
                brushing_share_high: r.num("flags.brushing_share_high")?,
            },
            expected_refund_rate: Category::ALL
                .iter()
                .map(|(name, c)| Ok((*c, r.plain(&format!("expected_refund_rate.{name}"))?)))
                .collect::<Result<_, RulesError>>()?,
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

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    // An entry `{value, why}` may be overridden by a bare number.
                    Some(slot @ Value::Object(_)) if v.is_number() => {
                        slot["value"] = v;
                    }
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

struct Reader<'a>(&'a Value);

impl Reader<'_> {
    fn at(&self, path: &str) -> Result<&Value, RulesError> {
        path.split('.')
            .try_fold(self.0, |v, k| v.get(k))
            .ok_or_else(|| RulesError::Field {
                path: path.into(),
                problem: "is missing".into(),
            })
    }

    fn bad(path: &str, expected: &str) -> RulesError {
        RulesError::Field {
            path: path.into(),
            problem: format!("must be {expected}"),
        }
    }

    /// A plain non-negative number.
    fn plain(&self, path: &str) -> Result<f64, RulesError> {
        self.at(path)?
            .as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| Self::bad(path, "a non-negative number"))
    }

    /// The `value` of a `{value, why}` entry.
    fn num(&self, path: &str) -> Result<f64, RulesError> {
        self.plain(&format!("{path}.value"))
            .map_err(|_| Self::bad(path, "{\"value\": non-negative number, \"why\": ...}"))
    }

    fn count(&self, path: &str) -> Result<u32, RulesError> {
        let x = self.num(path)?;
        if x.fract() != 0.0 || x > u32::MAX as f64 {
            return Err(Self::bad(path, "a whole number"));
        }
        Ok(x as u32)
    }
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
        ] {
            assert!(w < b.convict_score);
        }
        // The worst ordinary human: fresh, silent, arrived during a wave.
        assert!(b.wave_weight + b.fresh_account_weight + b.passive_weight < b.convict_score);
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
            r#"{"claims": {"assert_tolerance": 0.1, "banned": [{"term": "爆款", "rule": "PLATFORM-1"}]},
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
}
