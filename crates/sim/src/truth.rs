//! The [`Truth`] of a session: what really happened behind its events —
//! which accounts are bots, which orders are brushing, the real figures
//! beside the reported ones, which claims are false — for scoring analyses.

use serde_json::json;
use std::collections::BTreeMap;

/// What really happened, for scoring analyses.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub session: String,
    pub scenarios: Vec<&'static str>,
    pub events: u64,
    pub human_accounts: u64,
    pub human_views: u64,
    pub human_peak_online: u64,
    pub bot_accounts: Vec<String>,
    pub brushing_accounts: Vec<String>,
    pub brushing_orders: Vec<String>,
    pub human_orders: u64,
    pub paid_gmv: i64,
    pub refunded_gmv: i64,
    pub brushing_gmv: i64,
    /// Human paid minus human refunds: the GMV an honest report would show.
    pub real_gmv: i64,
    pub reported_views: u64,
    pub reported_peak_online: u64,
    pub reported_orders: u64,
    pub reported_gmv: i64,
    /// Claim event id → what is wrong with it (empty list: lawful).
    pub claims: BTreeMap<String, Vec<&'static str>>,
    pub complaints: u64,
    /// Watch times (seconds) of up to 100,000 human visits, a uniform
    /// reservoir sample, for distribution checks.
    pub watch_secs_sample: Vec<f64>,
}

impl Truth {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "session": self.session,
            "scenarios": self.scenarios,
            "events": self.events,
            "real": {
                "unique_viewers": self.human_accounts,
                "views": self.human_views,
                "peak_online": self.human_peak_online,
                "orders": self.human_orders,
                "paid_gmv": self.paid_gmv,
                "refunded_gmv": self.refunded_gmv,
                "gmv": self.real_gmv,
            },
            "reported": {
                "views": self.reported_views,
                "peak_online": self.reported_peak_online,
                "orders": self.reported_orders,
                "gmv": self.reported_gmv,
            },
            "bots": self.bot_accounts,
            "brushing": { "accounts": self.brushing_accounts, "orders": self.brushing_orders, "gmv": self.brushing_gmv },
            "claims": self.claims,
            "complaints": self.complaints,
        })
    }
}
