//! The session flags of report.md, one function each. A function looks at
//! the report's figures (and, for evidence, the state) and returns its flag
//! only when its condition holds; thresholds come from `rules.flags`.

use crate::authenticity::report::SessionReport;
use crate::authenticity::sales::Ring;
use crate::authenticity::viewers::Signals;
use crate::flag::{Against, Contradiction, Evidence, Flag, FlagCode, Says, Severity};
use crate::format::ratio;
use crate::rules::{FlagRules, Rules};
use crate::state::{Metric, Session, State};

/// Every session flag that holds, in report order.
pub(crate) fn session_flags(
    st: &State,
    rules: &Rules,
    s: &Session,
    r: &SessionReport,
    metrics: &[&Metric],
) -> Vec<Flag> {
    let f = &rules.flags;
    [
        viewer_inflation(f, r, metrics),
        bot_viewers(f, r),
        order_brushing(st, f, r),
        refund_surge(st, f, s, r),
        gmv_inflation(f, r, metrics),
        metrics_inconsistent(metrics),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Reported views against views by accounts not judged bots; reported
/// peak against the observed peak.
fn viewer_inflation(f: &FlagRules, r: &SessionReport, metrics: &[&Metric]) -> Option<Flag> {
    let v = &r.viewers;
    let views_x = v
        .reported_views
        .map(|rv| ratio_or_inf(rv as f64, v.observed.real_views as f64));
    let peak_x = v
        .reported_peak_online
        .map(|rp| ratio_or_inf(rp as f64, v.observed.peak_online as f64));
    let worst = views_x.unwrap_or(0.0).max(peak_x.unwrap_or(0.0));
    let sev = Severity::of(worst, f.viewer_inflation_medium, f.viewer_inflation_high)?;
    let against = |x: Option<f64>, reported: Option<u64>, observed: u64| {
        Some(Against {
            reported: reported? as i64,
            x: x?,
            observed: observed as i64,
        })
    };
    let says = Says::ViewerInflation {
        views: against(views_x, v.reported_views, v.observed.real_views),
        peak: against(peak_x, v.reported_peak_online, v.observed.peak_online),
    };
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
    Some(Flag::new(FlagCode::ViewerInflation, sev, says, ev))
}

/// A material share of the observed viewers judged bots.
fn bot_viewers(f: &FlagRules, r: &SessionReport) -> Option<Flag> {
    let v = &r.viewers;
    let bots = v.suspected_bots();
    let share = ratio(bots as i64, v.observed.unique as i64);
    if bots < u64::from(f.bot_min_accounts) {
        return None;
    }
    let sev = Severity::of(share, f.bot_share_medium, f.bot_share_high)?;
    let mut counts: Vec<(u64, &'static str)> = Signals::ALL
        .iter()
        .zip(v.observed.signal_counts)
        .map(|((_, n), k)| (k, *n))
        .collect();
    counts.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mostly: Vec<&'static str> = counts
        .into_iter()
        .take(3)
        .filter(|(k, _)| *k > 0)
        .map(|(_, n)| n)
        .collect();
    Some(Flag::new(
        FlagCode::BotViewers,
        sev,
        Says::BotViewers {
            bots,
            viewers: v.observed.unique,
            share,
            mostly,
        },
        Evidence::of(v.observed.bots.iter().map(|b| b.first_join_leaf)),
    ))
}

/// Orders from linked groups of buyers that score as brushing rings.
fn order_brushing(st: &State, f: &FlagRules, r: &SessionReport) -> Option<Flag> {
    let rings = &r.sales.rings;
    let top: &Ring = rings.first()?;
    let w = r.waterfall();
    let brushed: usize = rings.iter().map(|g| g.orders.len()).sum();
    let accounts: usize = rings.iter().map(|g| g.accounts.len()).sum();
    let share = ratio(brushed as i64, w.placed_orders.max(1) as i64);
    let sev = if share >= f.brushing_share_high {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(Flag::new(
        FlagCode::OrderBrushing,
        sev,
        Says::OrderBrushing {
            orders: brushed as u64,
            share,
            groups: rings.len(),
            accounts: accounts as u64,
            no_watch: top.no_watch_share,
            refunded: top.refund_share,
        },
        Evidence::of(
            rings
                .iter()
                .flat_map(|g| g.orders.iter().map(|o| st.orders[*o as usize].placed_leaf)),
        ),
    ))
}

/// Organic refunds against what the product mix leads one to expect.
fn refund_surge(st: &State, f: &FlagRules, s: &Session, r: &SessionReport) -> Option<Flag> {
    // The session's refund rate, as report.md defines the flag: whatever
    // explains the refunds (brushing included), this is what buyers and
    // regulators saw; the summary says how much brushing explains.
    let w = r.waterfall();
    let (rate, exp) = (w.refund_rate(), r.sales.expected_refund_rate);
    if w.paid_orders < u64::from(f.refund_min_orders)
        || rate < (f.refund_surge_factor * exp).max(exp + f.refund_surge_margin)
    {
        return None;
    }
    let sev = if rate >= f.refund_surge_high {
        Severity::High
    } else {
        Severity::Medium
    };
    let brushing: std::collections::HashSet<u32> = r
        .sales
        .rings
        .iter()
        .flat_map(|ring| ring.orders.iter().copied())
        .collect();
    let mut refunds: Vec<(i64, u64)> = Vec::new();
    let mut by_brushing = 0i64;
    for &oi in &s.orders {
        let o = &st.orders[oi as usize];
        if o.refunded > 0 && o.currency == r.currency() {
            refunds.push((-o.refunded, o.refund_leaf));
            if brushing.contains(&oi) {
                by_brushing = by_brushing.saturating_add(o.refunded);
            }
        }
    }
    refunds.sort_unstable();
    Some(Flag::new(
        FlagCode::RefundSurge,
        sev,
        Says::RefundSurge {
            rate,
            expected: exp,
            brushing: (by_brushing > 0).then(|| {
                (
                    ratio(by_brushing, w.refunded_gmv),
                    r.sales.organic_refund_rate,
                )
            }),
        },
        Evidence::of(refunds.into_iter().map(|(_, l)| l)),
    ))
}

/// Reported or placed GMV against verified GMV.
fn gmv_inflation(f: &FlagRules, r: &SessionReport, metrics: &[&Metric]) -> Option<Flag> {
    let w = r.waterfall();
    let verified = w.verified_gmv();
    let same_currency = r.reported_currency.is_none() || r.reported_currency == r.currency();
    let reported_x = r
        .reported_gmv
        .filter(|g| *g > 0 && same_currency)
        .map(|g| ratio_or_inf(g as f64, verified as f64));
    let placed_x = (w.placed_gmv > 0).then(|| ratio_or_inf(w.placed_gmv as f64, verified as f64));
    let enough =
        w.paid_orders >= u64::from(f.refund_min_orders) || (verified == 0 && reported_x.is_some());
    if !enough {
        return None;
    }
    let sev = [
        reported_x.and_then(|x| Severity::of(x, f.gmv_reported_medium, f.gmv_high)),
        placed_x.and_then(|x| Severity::of(x, f.gmv_placed_medium, f.gmv_high)),
    ]
    .into_iter()
    .flatten()
    .max()?;
    let says = Says::GmvInflation {
        currency: r.currency().map(|c| c.to_string()).unwrap_or_default(),
        reported: reported_x.zip(r.reported_gmv).map(|(x, g)| Against {
            reported: g,
            x,
            observed: verified,
        }),
        placed: placed_x.map(|x| Against {
            reported: w.placed_gmv,
            x,
            observed: verified,
        }),
        verified,
        refunded: w.refunded_gmv,
        brushing: w.brushing_gmv,
    };
    let last_gmv = metrics
        .iter()
        .rev()
        .find(|m| m.gmv.is_some())
        .map(|m| m.leaf);
    Some(Flag::new(
        FlagCode::GmvInflation,
        sev,
        says,
        Evidence::of(last_gmv),
    ))
}

/// Reported figures that contradict themselves: cumulative figures going
/// down, online above views.
fn metrics_inconsistent(metrics: &[&Metric]) -> Option<Flag> {
    let mut bad: Vec<u64> = Vec::new();
    let mut what: Vec<Contradiction> = Vec::new();
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
                        if !what.contains(&Contradiction::WentDown(name)) {
                            what.push(Contradiction::WentDown(name));
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
                if !what.contains(&Contradiction::OnlineAboveViews) {
                    what.push(Contradiction::OnlineAboveViews);
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    bad.sort_unstable();
    bad.dedup();
    let sev = if bad.len() >= 5 {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(Flag::new(
        FlagCode::MetricsInconsistent,
        sev,
        Says::MetricsInconsistent {
            reports: bad.len(),
            what,
        },
        Evidence::of(bad),
    ))
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
