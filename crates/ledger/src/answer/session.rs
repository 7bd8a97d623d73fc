//! The session report, report.md §1.

use crate::answer::cite::{Cite, EventIds};
use crate::answer::claim::ClaimAnswer;
use analysis::authenticity::sales::Waterfall;
use analysis::authenticity::viewers::Signals;
use analysis::format::round;
use analysis::{Flag, FlagCode, SessionReport, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct SessionAnswer {
    pub session: String,
    pub anchor: Option<String>,
    pub platform: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub events: u64,
    pub viewers: ViewersAnswer,
    pub sales: SalesAnswer,
    pub flags: Vec<FlagAnswer>,
    pub claims: Vec<ClaimAnswer>,
    pub notes: Vec<String>,
    /// What a regulator or platform did to the session (when anything).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interventions: Vec<InterventionAnswer>,
    /// The alerts raised on it live (when any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertAnswer>,
}

#[derive(Serialize)]
pub struct InterventionAnswer {
    pub at: String,
    pub action: String,
    pub product: Option<String>,
    pub reason: String,
    pub alert: Option<String>,
    pub actor: String,
    pub event: String,
}

#[derive(Serialize)]
pub struct AlertAnswer {
    pub alert: String,
    pub code: String,
    pub severity: String,
    pub raised_at: String,
    pub event: String,
    /// Seconds until an intervention answered it; None if none has.
    pub answered_after_s: Option<i64>,
}

#[derive(Serialize)]
pub struct ViewersAnswer {
    pub reported_views: u64,
    pub reported_peak_online: u64,
    pub observed_views: u64,
    pub observed_unique: u64,
    pub observed_peak_online: u64,
    pub suspected_bots: u64,
    pub estimated_real: u64,
    /// `None` without a reported figure, or with no real viewer at all.
    pub inflation_ratio: Option<f64>,
    pub real_views: u64,
    pub bot_signals: BTreeMap<&'static str, u64>,
    pub wave_threshold: u32,
}

#[derive(Serialize)]
pub struct SalesAnswer {
    pub currency: Option<String>,
    pub reported_orders: u64,
    pub reported_gmv: i64,
    pub placed_orders: u64,
    pub placed_gmv: i64,
    pub paid_orders: u64,
    pub paid_gmv: i64,
    pub cancelled_orders: u64,
    pub cancelled_gmv: i64,
    pub refunded_orders: u64,
    pub refunded_gmv: i64,
    pub suspected_brushing_orders: u64,
    pub suspected_brushing_gmv: i64,
    pub verified_gmv: i64,
    pub refund_rate: f64,
    pub organic_refund_rate: f64,
    pub expected_refund_rate: f64,
    pub by_currency: Vec<CurrencySales>,
    pub brushing_groups: Vec<BrushingGroup>,
}

#[derive(Serialize)]
pub struct CurrencySales {
    pub currency: String,
    pub placed_orders: u64,
    pub placed_gmv: i64,
    pub paid_gmv: i64,
    pub cancelled_gmv: i64,
    pub refunded_gmv: i64,
    pub suspected_brushing_gmv: i64,
    pub verified_gmv: i64,
    pub refund_rate: f64,
}

#[derive(Serialize)]
pub struct BrushingGroup {
    pub accounts: usize,
    pub orders: usize,
    pub score: f64,
    pub no_watch_share: f64,
    pub orders_per_account: f64,
    pub burst_share: f64,
    pub refund_share: f64,
    /// Share of orders by buyers with 3+ orders within an hour (Shopee's rule).
    pub concentrated_share: f64,
}

/// A flag of report.md, its evidence named.
#[derive(Serialize)]
pub struct FlagAnswer {
    pub code: FlagCode,
    pub severity: Severity,
    pub summary: String,
    pub evidence: Vec<Cite>,
    pub evidence_count: u64,
}

impl FlagAnswer {
    pub fn new(f: &Flag, ids: EventIds) -> FlagAnswer {
        FlagAnswer {
            code: f.code,
            severity: f.severity,
            summary: render::words::summary(f, render::words::Lang::En),
            evidence: Cite::all(ids, &f.evidence.leaves),
            evidence_count: f.evidence.count,
        }
    }
}

impl SessionAnswer {
    pub fn new(r: &SessionReport, ids: EventIds) -> SessionAnswer {
        let v = &r.viewers;
        let w = r.waterfall();
        SessionAnswer {
            session: r.session.clone(),
            anchor: r.anchor.clone(),
            platform: r.platform.clone(),
            started: r.started.map(|t| t.to_rfc3339()),
            ended: r.ended.map(|t| t.to_rfc3339()),
            events: r.events,
            viewers: ViewersAnswer {
                reported_views: v.reported_views.unwrap_or(0),
                reported_peak_online: v.reported_peak_online.unwrap_or(0),
                observed_views: v.observed.views,
                observed_unique: v.observed.unique,
                observed_peak_online: v.observed.peak_online,
                suspected_bots: v.suspected_bots(),
                estimated_real: v.estimated_real(),
                inflation_ratio: v.inflation_ratio().filter(|x| x.is_finite()).map(round),
                real_views: v.observed.real_views,
                bot_signals: Signals::ALL
                    .iter()
                    .zip(v.observed.signal_counts)
                    .map(|((_, name), n)| (*name, n))
                    .collect(),
                wave_threshold: v.observed.wave_threshold,
            },
            sales: SalesAnswer {
                currency: r.currency().map(|c| c.to_string()),
                reported_orders: r.reported_orders.unwrap_or(0),
                reported_gmv: r.reported_gmv.unwrap_or(0),
                placed_orders: w.placed_orders,
                placed_gmv: w.placed_gmv,
                paid_orders: w.paid_orders,
                paid_gmv: w.paid_gmv,
                cancelled_orders: w.cancelled_orders,
                cancelled_gmv: w.cancelled_gmv,
                refunded_orders: w.refunded_orders,
                refunded_gmv: w.refunded_gmv,
                suspected_brushing_orders: w.brushing_orders,
                suspected_brushing_gmv: w.brushing_gmv,
                verified_gmv: w.verified_gmv(),
                refund_rate: round(w.refund_rate()),
                organic_refund_rate: round(r.sales.organic_refund_rate),
                expected_refund_rate: round(r.sales.expected_refund_rate),
                by_currency: r
                    .sales
                    .by_currency
                    .iter()
                    .map(|(c, w)| CurrencySales::new(c.to_string(), w))
                    .collect(),
                brushing_groups: r
                    .sales
                    .rings
                    .iter()
                    .map(|g| BrushingGroup {
                        accounts: g.accounts.len(),
                        orders: g.order_leaves.len(),
                        score: round(g.score),
                        no_watch_share: round(g.no_watch_share),
                        orders_per_account: round(g.orders_per_account),
                        burst_share: round(g.burst_share),
                        refund_share: round(g.refund_share),
                        concentrated_share: round(g.concentrated_share),
                    })
                    .collect(),
            },
            flags: r.flags.iter().map(|f| FlagAnswer::new(f, ids)).collect(),
            claims: r.claims.iter().map(|c| ClaimAnswer::new(c, ids)).collect(),
            notes: r.notes.clone(),
            interventions: r
                .interventions
                .iter()
                .map(|i| InterventionAnswer {
                    at: i.at.to_rfc3339(),
                    action: i.action.as_str().to_string(),
                    product: i.product.as_ref().map(|p| p.0.clone()),
                    reason: i.reason.clone(),
                    alert: i.alert.clone(),
                    actor: i.actor.clone(),
                    event: i.event.0.clone(),
                })
                .collect(),
            alerts: r
                .alerts
                .iter()
                .map(|(a, waited)| AlertAnswer {
                    alert: a.alert.clone(),
                    code: a.code.clone(),
                    severity: a.severity.clone(),
                    raised_at: a.at.to_rfc3339(),
                    event: a.event.0.clone(),
                    answered_after_s: waited.map(|d| d.num_seconds()),
                })
                .collect(),
        }
    }
}

impl CurrencySales {
    fn new(currency: String, w: &Waterfall) -> CurrencySales {
        CurrencySales {
            currency,
            placed_orders: w.placed_orders,
            placed_gmv: w.placed_gmv,
            paid_gmv: w.paid_gmv,
            cancelled_gmv: w.cancelled_gmv,
            refunded_gmv: w.refunded_gmv,
            suspected_brushing_gmv: w.brushing_gmv,
            verified_gmv: w.verified_gmv(),
            refund_rate: round(w.refund_rate()),
        }
    }
}

/// A session's headline figures and flags: one row of `sessions`.
#[derive(Serialize)]
pub struct SessionRow {
    pub session: String,
    pub anchor: Option<String>,
    pub platform: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub reported_views: u64,
    pub observed_unique: u64,
    pub suspected_bots: u64,
    pub estimated_real: u64,
    pub inflation_ratio: Option<f64>,
    pub currency: Option<String>,
    pub placed_orders: u64,
    pub verified_gmv: i64,
    pub flag_count: usize,
    pub flags: Vec<FlagBrief>,
}

#[derive(Serialize)]
pub struct FlagBrief {
    pub code: FlagCode,
    pub severity: Severity,
}

impl SessionRow {
    pub fn new(r: &SessionReport) -> SessionRow {
        let w = r.waterfall();
        let v = &r.viewers;
        SessionRow {
            session: r.session.clone(),
            anchor: r.anchor.clone(),
            platform: r.platform.clone(),
            started: r.started.map(|t| t.to_rfc3339()),
            ended: r.ended.map(|t| t.to_rfc3339()),
            reported_views: v.reported_views.unwrap_or(0),
            observed_unique: v.observed.unique,
            suspected_bots: v.suspected_bots(),
            estimated_real: v.estimated_real(),
            inflation_ratio: v.inflation_ratio().filter(|x| x.is_finite()),
            currency: r.currency().map(|c| c.to_string()),
            placed_orders: w.placed_orders,
            verified_gmv: w.verified_gmv(),
            flag_count: r.flags.len(),
            flags: r
                .flags
                .iter()
                .map(|f| FlagBrief {
                    code: f.code,
                    severity: f.severity,
                })
                .collect(),
        }
    }
}
