//! The terminal summary of a session report.

use super::pct;
use analysis::report::{grouped, money};
use analysis::SessionReport;
use std::fmt::Write;

/// Renders `r`; `ids` turns evidence leaves into event ids, `checkpoint`
/// is the signed checkpoint's JSON (origin, size, root).
pub fn session(
    r: &SessionReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
) -> String {
    let mut o = String::new();
    let v = &r.viewers;
    let w = r.waterfall();
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let when = match (r.started, r.ended) {
        (Some(s), Some(e)) => format!("{} → {}", s.format("%Y-%m-%d %H:%M %:z"), e.format("%H:%M")),
        (Some(s), None) => format!("{} → (no end yet)", s.format("%Y-%m-%d %H:%M %:z")),
        _ => "(start unknown)".into(),
    };
    let _ = writeln!(
        o,
        "Session {} — anchor {} on {}, {when}",
        r.session,
        r.anchor.as_deref().unwrap_or("?"),
        r.platform.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        o,
        "Computed at checkpoint {} size {}, root {}",
        checkpoint["origin"].as_str().unwrap_or("?"),
        checkpoint["size"],
        checkpoint["root"].as_str().unwrap_or("?")
    );
    let opt = |x: Option<u64>| x.map(grouped).unwrap_or_else(|| "–".into());
    let _ = writeln!(
        o,
        "\nVIEWERS              {:>14} {:>14}",
        "reported", "observed"
    );
    let _ = writeln!(
        o,
        "  views              {:>14} {:>14}",
        opt(v.reported_views),
        grouped(v.observed.views)
    );
    let _ = writeln!(
        o,
        "  peak online        {:>14} {:>14}",
        opt(v.reported_peak_online),
        grouped(v.observed.peak_online)
    );
    let _ = writeln!(
        o,
        "  unique viewers     {:>14} {:>14}",
        "",
        grouped(v.observed.unique)
    );
    let bot_share = if v.observed.unique > 0 {
        format!(
            " ({})",
            pct(v.suspected_bots() as f64 / v.observed.unique as f64)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "  suspected bots     {:>14} {:>14}{bot_share}",
        "",
        grouped(v.suspected_bots())
    );
    let _ = writeln!(
        o,
        "  estimated real     {:>14} {:>14}",
        "",
        grouped(v.estimated_real())
    );
    if let Some(x) = v.inflation_ratio() {
        let _ = writeln!(
            o,
            "  inflation ratio    {:>14}",
            if x.is_finite() {
                format!("{x:.1}x")
            } else {
                "∞".into()
            }
        );
    }
    let m = |x: i64| money(x, "");
    let _ = writeln!(o, "\nSALES ({cur})          {:>10} {:>20}", "orders", "GMV");
    if r.reported_orders.is_some() || r.reported_gmv.is_some() {
        let _ = writeln!(
            o,
            "  reported           {:>10} {:>20}",
            opt(r.reported_orders),
            r.reported_gmv.map(m).unwrap_or_else(|| "–".into())
        );
    }
    for (label, n, g) in [
        ("placed", w.placed_orders, w.placed_gmv),
        ("paid", w.paid_orders, w.paid_gmv),
        ("cancelled", w.cancelled_orders, w.cancelled_gmv),
        ("refunded", w.refunded_orders, w.refunded_gmv),
        ("suspected brushing", w.brushing_orders, w.brushing_gmv),
    ] {
        let _ = writeln!(o, "  {label:<18} {:>10} {:>20}", grouped(n), m(g));
    }
    let _ = writeln!(
        o,
        "  {:<18} {:>10} {:>20}",
        "verified",
        "",
        m(w.verified_gmv())
    );
    let _ = writeln!(
        o,
        "  refund rate {} (organic {}, expected about {} for these products)",
        pct(w.refund_rate()),
        pct(r.sales.organic_refund_rate),
        pct(r.sales.expected_refund_rate)
    );
    if r.sales.by_currency.len() > 1 {
        let others: Vec<String> = r
            .sales
            .by_currency
            .iter()
            .filter(|(c, _)| Some(**c) != r.currency())
            .map(|(c, w)| {
                format!(
                    "{} placed in {} orders",
                    money(w.placed_gmv, c.as_str()),
                    w.placed_orders
                )
            })
            .collect();
        let _ = writeln!(o, "  other currencies: {} (see --json)", others.join("; "));
    }
    if r.flags.is_empty() {
        let _ = writeln!(
            o,
            "\nNO FLAGS: the reported figures agree with what the events show."
        );
    } else {
        let _ = writeln!(o, "\nFLAGS ({})", r.flags.len());
        for f in &r.flags {
            let _ = writeln!(
                o,
                "  {:<6} {:<20} {}",
                f.severity.as_str().to_uppercase(),
                f.code,
                f.summary
            );
            let sample: Vec<String> = f
                .evidence
                .leaves
                .iter()
                .take(3)
                .map(|l| format!("{} (leaf {l})", ids(*l).unwrap_or_else(|| "?".into())))
                .collect();
            let more = f.evidence.count.saturating_sub(sample.len() as u64);
            let _ = writeln!(
                o,
                "         evidence: {}{}",
                sample.join(", "),
                if more > 0 {
                    format!(" and {} more", grouped(more))
                } else {
                    String::new()
                }
            );
        }
    }
    for n in &r.notes {
        let _ = writeln!(o, "\nnote: {n}");
    }
    let _ = writeln!(
        o,
        "\nCheck any evidence offline: liveledger prove EVENT_ID > bundle.json && liveledger verify bundle.json"
    );
    o
}
