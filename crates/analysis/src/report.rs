//! The session report (`shared/spec/report.md` §1) and its flags.

use crate::products::ClaimFinding;
use crate::sales::{self, ratio, Ring, RingGraph, Sales, Waterfall};
use crate::state::{Analyzer, Metric, Session, NO_LEAF};
use crate::viewers::{self, Audience, Signals};
use chrono::{DateTime, FixedOffset};
use events::Currency;
use serde_json::{json, Value};

/// Evidence samples kept per flag (the strongest first); counts cover all.
const SAMPLE: usize = 10;
/// Minutes drawn in the timeline at most (a bad timestamp must not make it huge).
const MAX_MINUTES: i64 = 24 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// Log entries behind a finding: a sample of leaf indices and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    pub leaves: Vec<u64>,
    pub count: u64,
}

impl Evidence {
    pub(crate) fn of(leaves: impl IntoIterator<Item = u64>) -> Evidence {
        let mut all: Vec<u64> = leaves.into_iter().filter(|l| *l != NO_LEAF).collect();
        let count = all.len() as u64;
        all.truncate(SAMPLE);
        Evidence { leaves: all, count }
    }
}

#[derive(Clone, Debug)]
pub struct Flag {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: String,
    pub evidence: Evidence,
}

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
}

impl SessionReport {
    pub(crate) fn build(an: &Analyzer, ix: usize) -> SessionReport {
        let s = &an.sessions[ix];
        let mut metrics: Vec<&Metric> = s.metrics.iter().collect();
        metrics.sort_by_key(|m| (m.ms, m.leaf));
        let last = |f: fn(&Metric) -> Option<i64>| metrics.iter().rev().find_map(|m| f(m));
        let audience = viewers::audience(s, &an.rules.bot);
        let viewers = Viewers {
            reported_views: metrics.iter().rev().find_map(|m| m.views),
            reported_peak_online: metrics.iter().filter_map(|m| m.online).max(),
            observed: audience,
        };
        let sales = sales::sales(an, s);
        let mut r = SessionReport {
            session: s.id.0.clone(),
            anchor: s.anchor.as_ref().map(|a| a.0.clone()),
            platform: s.platform.clone(),
            started: s.started,
            ended: s.ended,
            events: s.events,
            reported_orders: last(|m| m.orders.map(|x| x as i64)).map(|x| x as u64),
            reported_gmv: last(|m| m.gmv),
            reported_currency: metrics
                .iter()
                .rev()
                .find(|m| m.gmv.is_some())
                .and_then(|m| m.currency),
            timeline: timeline(s, &viewers.observed, &metrics),
            ring_graph: sales
                .rings
                .first()
                .map(|ring| sales::ring_graph(an, ring, 40)),
            viewers,
            sales,
            flags: Vec::new(),
            claims: Vec::new(),
            notes: Vec::new(),
        };
        if s.started.is_none() {
            r.notes
                .push("no session_started event: anchor, platform and start are unknown".into());
        }
        let dangling = sales::dangling_orders(an);
        if dangling > 0 {
            r.notes.push(format!(
                "{dangling} order(s) in the log have payment, refund or cancellation events but were never placed (dangling references)"
            ));
        }
        r.flags = flags(an, s, &r, &metrics);
        r.claims = an.check_claims(s.claims.iter().copied());
        r.flags.extend(an.claim_flags(&r.claims));
        r.flags.extend(
            an.listing_flags(
                s.listed
                    .iter()
                    .map(|(p, leaf, at)| (p.as_str(), *leaf, *at)),
            ),
        );
        r
    }

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

    /// The contract JSON. `event_id` turns a leaf index into its event id.
    pub fn to_json(&self, event_id: &dyn Fn(u64) -> Option<String>) -> Value {
        let v = &self.viewers;
        let w = self.waterfall();
        let evidence = |e: &Evidence| -> Value {
            e.leaves
                .iter()
                .map(|l| json!({"event": event_id(*l), "leaf": l}))
                .collect()
        };
        let finite = |x: f64| {
            if x.is_finite() {
                json!(round(x))
            } else {
                Value::Null
            }
        };
        json!({
            "session": self.session,
            "anchor": self.anchor,
            "platform": self.platform,
            "started": self.started.map(|t| t.to_rfc3339()),
            "ended": self.ended.map(|t| t.to_rfc3339()),
            "events": self.events,
            "viewers": {
                "reported_views": v.reported_views.unwrap_or(0),
                "reported_peak_online": v.reported_peak_online.unwrap_or(0),
                "observed_views": v.observed.views,
                "observed_unique": v.observed.unique,
                "observed_peak_online": v.observed.peak_online,
                "suspected_bots": v.suspected_bots(),
                "estimated_real": v.estimated_real(),
                "inflation_ratio": v.inflation_ratio().map_or(Value::Null, finite),
                "real_views": v.observed.real_views,
                "bot_signals": Signals::ALL.iter().zip(v.observed.signal_counts)
                    .map(|((_, name), n)| (name.to_string(), json!(n)))
                    .collect::<serde_json::Map<_, _>>(),
                "wave_threshold": v.observed.wave_threshold,
            },
            "sales": {
                "currency": self.currency().map(|c| c.to_string()),
                "reported_orders": self.reported_orders.unwrap_or(0),
                "reported_gmv": self.reported_gmv.unwrap_or(0),
                "placed_orders": w.placed_orders,
                "placed_gmv": w.placed_gmv,
                "paid_orders": w.paid_orders,
                "paid_gmv": w.paid_gmv,
                "cancelled_orders": w.cancelled_orders,
                "cancelled_gmv": w.cancelled_gmv,
                "refunded_orders": w.refunded_orders,
                "refunded_gmv": w.refunded_gmv,
                "suspected_brushing_orders": w.brushing_orders,
                "suspected_brushing_gmv": w.brushing_gmv,
                "verified_gmv": w.verified_gmv(),
                "refund_rate": round(w.refund_rate()),
                "organic_refund_rate": round(self.sales.organic_refund_rate),
                "expected_refund_rate": round(self.sales.expected_refund_rate),
                "by_currency": self.sales.by_currency.iter().map(|(c, w)| json!({
                    "currency": c.to_string(),
                    "placed_orders": w.placed_orders, "placed_gmv": w.placed_gmv,
                    "paid_gmv": w.paid_gmv, "cancelled_gmv": w.cancelled_gmv,
                    "refunded_gmv": w.refunded_gmv, "suspected_brushing_gmv": w.brushing_gmv,
                    "verified_gmv": w.verified_gmv(), "refund_rate": round(w.refund_rate()),
                })).collect::<Vec<_>>(),
                "brushing_groups": self.sales.rings.iter().map(|g| json!({
                    "accounts": g.accounts.len(),
                    "orders": g.orders.len(),
                    "score": round(g.score),
                    "no_watch_share": round(g.no_watch_share),
                    "orders_per_account": round(g.orders_per_account),
                    "burst_share": round(g.burst_share),
                    "refund_share": round(g.refund_share),
                })).collect::<Vec<_>>(),
            },
            "flags": self.flags.iter().map(|f| json!({
                "code": f.code,
                "severity": f.severity.as_str(),
                "summary": f.summary,
                "evidence": evidence(&f.evidence),
                "evidence_count": f.evidence.count,
            })).collect::<Vec<_>>(),
            "claims": self.claims.iter().map(|c| c.to_json(event_id)).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }
}

/// Ratios to 4 decimals: stable golden files, no false precision.
pub(crate) fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn timeline(s: &Session, a: &Audience, metrics: &[&Metric]) -> Vec<Minute> {
    let start = s.start_ms();
    if start == i64::MAX {
        return Vec::new();
    }
    let minutes = ((s.end_ms() - start).div_euclid(60_000) + 1).clamp(1, MAX_MINUTES);
    let mut out: Vec<Minute> = (0..minutes)
        .map(|minute| Minute {
            minute,
            ..Minute::default()
        })
        .collect();
    let slot = |ms: i64| -> Option<usize> {
        let m = (ms - start).div_euclid(60_000);
        (0..minutes).contains(&m).then_some(m as usize)
    };
    let mut deltas = vec![0i64; minutes as usize];
    for (sec, t) in &s.seconds {
        if let Some(m) = slot(sec * 1000) {
            out[m].joins += u64::from(t.joins);
            out[m].new_accounts += u64::from(t.new_accounts);
            deltas[m] += i64::from(t.joins) - i64::from(t.leaves);
        }
    }
    for b in &a.bots {
        if let Some(m) = slot(s.accounts[b.account as usize].first_join_ms) {
            out[m].new_bots += 1;
        }
    }
    let mut online = 0i64;
    for (m, d) in out.iter_mut().zip(deltas) {
        online = (online + d).max(0);
        m.online = online as u64;
    }
    for mt in metrics {
        if let Some(m) = slot(mt.ms) {
            out[m].reported_online = mt.online.or(out[m].reported_online);
            out[m].reported_views = mt.views.or(out[m].reported_views);
        }
    }
    out
}

pub(crate) fn flag(
    code: &'static str,
    severity: Severity,
    summary: String,
    evidence: Evidence,
) -> Flag {
    Flag {
        code,
        severity,
        summary,
        evidence,
    }
}

fn flags(an: &Analyzer, s: &Session, r: &SessionReport, metrics: &[&Metric]) -> Vec<Flag> {
    let f = &an.rules.flags;
    let mut out = Vec::new();
    let v = &r.viewers;
    let level = |x: f64, medium: f64, high: f64| {
        if x >= high {
            Some(Severity::High)
        } else if x >= medium {
            Some(Severity::Medium)
        } else {
            None
        }
    };

    // VIEWER_INFLATION: reported views against views by accounts not judged
    // bots; reported peak against the observed peak.
    let views_x = v
        .reported_views
        .map(|rv| ratio_or_inf(rv as f64, v.observed.real_views as f64));
    let peak_x = v
        .reported_peak_online
        .map(|rp| ratio_or_inf(rp as f64, v.observed.peak_online as f64));
    let worst = views_x.unwrap_or(0.0).max(peak_x.unwrap_or(0.0));
    if let Some(sev) = level(worst, f.viewer_inflation_medium, f.viewer_inflation_high) {
        let mut parts = Vec::new();
        if let (Some(x), Some(rv)) = (views_x, v.reported_views) {
            parts.push(format!(
                "reported views ({}) are {} the {} views by real viewers",
                grouped(rv),
                times(x),
                grouped(v.observed.real_views)
            ));
        }
        if let (Some(x), Some(rp)) = (peak_x, v.reported_peak_online) {
            parts.push(format!(
                "reported peak online ({}) is {} the observed peak of {}",
                grouped(rp),
                times(x),
                grouped(v.observed.peak_online)
            ));
        }
        let leaves = [
            metrics
                .iter()
                .filter(|m| m.views.is_some())
                .max_by_key(|m| m.views)
                .map(|m| m.leaf),
            metrics
                .iter()
                .filter(|m| m.online.is_some())
                .max_by_key(|m| m.online)
                .map(|m| m.leaf),
        ];
        let mut ev = Evidence::of(leaves.into_iter().flatten());
        ev.leaves.dedup();
        ev.count = ev.leaves.len() as u64;
        out.push(flag("VIEWER_INFLATION", sev, parts.join("; "), ev));
    }

    // BOT_VIEWERS
    let bots = v.suspected_bots();
    let share = ratio(bots as i64, v.observed.unique as i64);
    if bots >= u64::from(f.bot_min_accounts) {
        if let Some(sev) = level(share, f.bot_share_medium, f.bot_share_high) {
            let top: Vec<&str> = {
                let mut c: Vec<(u64, &str)> = Signals::ALL
                    .iter()
                    .zip(v.observed.signal_counts)
                    .map(|((_, n), k)| (k, *n))
                    .collect();
                c.sort_by_key(|b| std::cmp::Reverse(b.0));
                c.into_iter()
                    .take(3)
                    .filter(|(k, _)| *k > 0)
                    .map(|(_, n)| n)
                    .collect()
            };
            out.push(flag(
                "BOT_VIEWERS",
                sev,
                format!(
                    "{} of {} viewers ({:.0}%) behave as bots (mostly: {})",
                    grouped(bots),
                    grouped(v.observed.unique),
                    share * 100.0,
                    top.join(", ").replace('_', " ")
                ),
                Evidence::of(v.observed.bots.iter().map(|b| b.first_join_leaf)),
            ));
        }
    }

    // ORDER_BRUSHING
    let w = r.waterfall();
    if !r.sales.rings.is_empty() {
        let brushed: usize = r.sales.rings.iter().map(|g| g.orders.len()).sum();
        let accounts: usize = r.sales.rings.iter().map(|g| g.accounts.len()).sum();
        let share = ratio(brushed as i64, w.placed_orders.max(1) as i64);
        let sev = if share >= f.brushing_share_high {
            Severity::High
        } else {
            Severity::Medium
        };
        let top: &Ring = &r.sales.rings[0];
        out.push(flag(
            "ORDER_BRUSHING",
            sev,
            format!(
                "{} orders ({:.0}% of placed) from {} linked group(s) of {} accounts sharing devices, addresses or payments; the largest ordered {:.0}% without watching and refunded {:.0}%",
                grouped(brushed as u64),
                share * 100.0,
                r.sales.rings.len(),
                grouped(accounts as u64),
                top.no_watch_share * 100.0,
                top.refund_share * 100.0
            ),
            Evidence::of(
                r.sales
                    .rings
                    .iter()
                    .flat_map(|g| g.orders.iter().map(|o| an.orders[*o as usize].placed_leaf)),
            ),
        ));
    }

    // REFUND_SURGE: organic refunds against what the product mix leads one to expect.
    let (rate, exp) = (r.sales.organic_refund_rate, r.sales.expected_refund_rate);
    if r.sales.organic_paid_orders >= u64::from(f.refund_min_orders)
        && rate >= (f.refund_surge_factor * exp).max(exp + f.refund_surge_margin)
    {
        let sev = if rate >= f.refund_surge_high {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut refunds: Vec<(i64, u64)> = s
            .orders
            .iter()
            .map(|o| &an.orders[*o as usize])
            .filter(|o| o.refunded > 0)
            .map(|o| (-o.refunded, o.refund_leaf))
            .collect();
        refunds.sort_unstable();
        out.push(flag(
            "REFUND_SURGE",
            sev,
            format!(
                "{:.0}% of paid GMV was refunded after the session, against about {:.0}% expected for these products",
                rate * 100.0,
                exp * 100.0
            ),
            Evidence::of(refunds.into_iter().map(|(_, l)| l)),
        ));
    }

    // GMV_INFLATION: reported or placed GMV against verified GMV.
    let verified = w.verified_gmv();
    let same_currency = r.reported_currency.is_none() || r.reported_currency == r.currency();
    let reported_x = r
        .reported_gmv
        .filter(|g| *g > 0 && same_currency)
        .map(|g| ratio_or_inf(g as f64, verified as f64));
    let placed_x = (w.placed_gmv > 0).then(|| ratio_or_inf(w.placed_gmv as f64, verified as f64));
    let enough =
        w.paid_orders >= u64::from(f.refund_min_orders) || (verified == 0 && reported_x.is_some());
    let sev = [
        reported_x.and_then(|x| level(x, f.gmv_reported_medium, f.gmv_high)),
        placed_x.and_then(|x| level(x, f.gmv_placed_medium, f.gmv_high)),
    ]
    .into_iter()
    .flatten()
    .max();
    if let (true, Some(sev)) = (enough, sev) {
        let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
        let mut parts = Vec::new();
        if let (Some(x), Some(g)) = (reported_x, r.reported_gmv) {
            parts.push(format!("reported GMV {} is {}", money(g, &cur), times(x)));
        }
        if let Some(x) = placed_x {
            parts.push(format!(
                "placed GMV {} is {}",
                money(w.placed_gmv, &cur),
                times(x)
            ));
        }
        let summary = format!(
            "{} the verified {} (refunded {}, brushing {})",
            parts.join(", "),
            money(verified, &cur),
            money(w.refunded_gmv, &cur),
            money(w.brushing_gmv, &cur)
        );
        let last_gmv = metrics
            .iter()
            .rev()
            .find(|m| m.gmv.is_some())
            .map(|m| m.leaf);
        out.push(flag("GMV_INFLATION", sev, summary, Evidence::of(last_gmv)));
    }

    // METRICS_INCONSISTENT: cumulative figures going down, online above views.
    let mut bad: Vec<u64> = Vec::new();
    let mut what: Vec<&str> = Vec::new();
    type Field = (&'static str, fn(&Metric) -> Option<i64>);
    let fields: [Field; 4] = [
        ("views", |m| m.views.map(|x| x as i64)),
        ("likes", |m| m.likes.map(|x| x as i64)),
        ("orders", |m| m.orders.map(|x| x as i64)),
        ("gmv", |m| m.gmv),
    ];
    for (name, get) in fields {
        let mut prev: Option<(i64, u64)> = None;
        for m in metrics {
            if let Some(x) = get(m) {
                if let Some((p, pl)) = prev {
                    if x < p {
                        bad.extend([pl, m.leaf]);
                        if !what.contains(&name) {
                            what.push(name);
                        }
                    }
                }
                prev = Some((x, m.leaf));
            }
        }
    }
    for m in metrics {
        if let (Some(on), Some(vw)) = (m.online, m.views) {
            if on > vw {
                bad.push(m.leaf);
                if !what.contains(&"online above views") {
                    what.push("online above views");
                }
            }
        }
    }
    if !bad.is_empty() {
        bad.sort_unstable();
        bad.dedup();
        let sev = if bad.len() >= 5 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(flag(
            "METRICS_INCONSISTENT",
            sev,
            format!(
                "reported figures contradict themselves in {} report(s): {}",
                bad.len(),
                what.iter()
                    .map(|w| if w.contains(' ') {
                        w.to_string()
                    } else {
                        format!("cumulative {w} went down")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Evidence::of(bad),
        ));
    }
    out
}

fn ratio_or_inf(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else if a > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}

fn times(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}x")
    } else {
        "infinitely above".into()
    }
}

/// 1234567 → "1,234,567".
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Minor units as a decimal amount ("12,345.67 CNY").
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", grouped(m / 100), m % 100)
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_minor_units() {
        assert_eq!(money(123_456_789, "CNY"), "1,234,567.89 CNY");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(money(100, ""), "1.00");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234), "1,234");
    }
}
