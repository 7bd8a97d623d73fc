//! The session report (report.md §1): observed against reported viewers
//! and sales, the minute-by-minute timeline, and every flag. Built by
//! [`crate::authenticity::session`].

use crate::authenticity::sales::{RingGraph, Sales, Waterfall};
use crate::authenticity::viewers::Audience;
use crate::claims::finding::ClaimFinding;
use crate::flag::Flag;
use crate::state::registry::{AlertRec, InterventionRec};
use chrono::{DateTime, FixedOffset};
use events::Currency;

/// Observed and reported audience.
#[derive(Clone, Debug, Default)]
pub struct Viewers {
    pub reported_views: Option<u64>,
    pub reported_peak_online: Option<u64>,
    pub observed: Audience,
}

impl Viewers {
    pub fn suspected_bots(&self) -> u64 {
        self.observed.bots.len() as u64
    }
    pub fn estimated_real(&self) -> u64 {
        self.observed.unique - self.suspected_bots()
    }
    /// reported views / estimated real viewers (None without a reported figure).
    pub fn inflation_ratio(&self) -> Option<f64> {
        let v = self.reported_views?;
        let real = self.estimated_real();
        Some(if real > 0 {
            v as f64 / real as f64
        } else {
            f64::INFINITY
        })
    }
}

/// One minute of the stream, for the charts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Minute {
    pub minute: i64,
    pub joins: u64,
    pub new_accounts: u64,
    pub new_bots: u64,
    pub online: u64,
    pub reported_online: Option<u64>,
    pub reported_views: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct SessionReport {
    pub session: String,
    pub anchor: Option<String>,
    pub platform: Option<String>,
    pub started: Option<DateTime<FixedOffset>>,
    pub ended: Option<DateTime<FixedOffset>>,
    pub events: u64,
    pub viewers: Viewers,
    pub reported_orders: Option<u64>,
    pub reported_gmv: Option<i64>,
    pub reported_currency: Option<Currency>,
    pub sales: Sales,
    pub flags: Vec<Flag>,
    pub timeline: Vec<Minute>,
    pub ring_graph: Option<RingGraph>,
    /// Every claim made in the session, checked.
    pub claims: Vec<ClaimFinding>,
    /// Things the analysis could not take at face value (dangling references, ...).
    pub notes: Vec<String>,
    /// What a regulator or platform did to the session, in log order.
    pub interventions: Vec<InterventionRec>,
    /// The alerts raised on it, each with how long it waited for an
    /// intervention that answers it (None: not answered).
    pub alerts: Vec<(AlertRec, Option<chrono::TimeDelta>)>,
}

impl SessionReport {
    /// The currency of most placed GMV (or of the reported GMV).
    pub fn currency(&self) -> Option<Currency> {
        self.sales
            .by_currency
            .iter()
            .max_by_key(|(_, w)| w.placed_gmv)
            .map(|(c, _)| *c)
            .or(self.reported_currency)
    }

    pub fn waterfall(&self) -> Waterfall {
        self.currency()
            .and_then(|c| self.sales.by_currency.get(&c).cloned())
            .unwrap_or_default()
    }
}
