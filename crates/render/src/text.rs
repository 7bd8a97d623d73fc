//! Terminal summaries: the session report, the product findings, the listing gate.

use crate::numbers::pct;
use analysis::cases::case::Case;
use analysis::claims::qualify::Status;
use analysis::format::{grouped, money};
use analysis::products::gate::Gate;
use analysis::products::report::ProductReport;
use analysis::{Flag, SessionReport};
use events::Conclusion;
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
    checkpoint_line(&mut o, checkpoint);
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
    flags(
        &mut o,
        &r.flags,
        ids,
        "NO FLAGS: the reported figures agree with what the events show, and every claim checks out.",
    );
    supervision(&mut o, r);
    for n in &r.notes {
        let _ = writeln!(o, "\nnote: {n}");
    }
    o.push_str(PROVE);
    o
}

/// The alerts raised on a session live and what was done about it.
fn supervision(o: &mut String, r: &SessionReport) {
    if !r.alerts.is_empty() {
        let _ = writeln!(o, "\nALERTS RAISED LIVE");
        for (a, waited) in &r.alerts {
            let answer = match waited {
                Some(d) => format!("answered after {} s", d.num_seconds()),
                None => "not answered".into(),
            };
            let _ = writeln!(
                o,
                "  {} {} {} ({answer}; event {})",
                a.at.to_rfc3339(),
                a.code,
                a.severity,
                a.event
            );
        }
    }
    if !r.interventions.is_empty() {
        let _ = writeln!(o, "\nINTERVENTIONS");
        for i in &r.interventions {
            let product = i
                .product
                .as_ref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {} {}{product} by {}: {} (event {})",
                i.at.to_rfc3339(),
                i.action,
                i.actor,
                i.reason,
                i.event
            );
        }
    }
}

const PROVE: &str = "\nCheck any evidence offline: liveledger prove EVENT_ID > bundle.json && liveledger verify bundle.json\n";

fn flags(o: &mut String, flags: &[Flag], ids: &dyn Fn(u64) -> Option<String>, none: &str) {
    if flags.is_empty() {
        let _ = writeln!(o, "\n{none}");
    } else {
        let _ = writeln!(o, "\nFLAGS ({})", flags.len());
        for f in flags {
            let _ = writeln!(
                o,
                "  {:<6} {:<20} {}",
                f.severity.as_str().to_uppercase(),
                f.code,
                crate::words::summary(f, crate::words::Lang::En)
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
}

fn checkpoint_line(o: &mut String, checkpoint: &serde_json::Value) {
    let _ = writeln!(
        o,
        "Computed at checkpoint {} size {}, root {}",
        checkpoint["origin"].as_str().unwrap_or("?"),
        checkpoint["size"],
        checkpoint["root"].as_str().unwrap_or("?")
    );
}

/// The product findings for a terminal.
pub fn product(
    r: &ProductReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
) -> String {
    let mut o = String::new();
    let p = r.record.as_ref();
    let _ = writeln!(
        o,
        "Product {} — {} ({}), merchant {}{}",
        r.product,
        p.map_or("never registered", |p| p.name.as_str()),
        p.map_or("category unknown", |p| p.category.as_str()),
        p.map_or("?", |p| p.merchant.as_str()),
        if r.merchant_registered == Some(false) {
            " (NOT REGISTERED)"
        } else {
            ""
        }
    );
    checkpoint_line(&mut o, checkpoint);
    let _ = writeln!(
        o,
        "\nQUALIFICATIONS on {}: {}",
        r.on,
        match r.qualified_now() {
            Some(true) => "qualified",
            Some(false) => "NOT QUALIFIED",
            None => "unknown (the product is not registered)",
        }
    );
    if let (Some((check, problems)), Some(p)) = (&r.now, p) {
        for req in &check.requirements {
            let held = match &req.status {
                Status::Held(i) => format!(
                    "held: {} {}",
                    p.qualifications[*i].kind, p.qualifications[*i].number
                ),
                Status::Waived(a) => format!("waived ({a})"),
                Status::Missing => "MISSING".into(),
                Status::Expired(i, d) => format!("EXPIRED {d} ({})", p.qualifications[*i].number),
                Status::BadNumber(i) => format!("MALFORMED NUMBER {}", p.qualifications[*i].number),
                Status::Unrecognised(i) => format!(
                    "NOT RECOGNISED {} {}",
                    p.qualifications[*i].kind, p.qualifications[*i].number
                ),
            };
            let _ = writeln!(
                o,
                "  {:<40} {held}  [{}]",
                req.requirement.requirement, req.requirement.basis
            );
        }
        if check.requirements.is_empty() {
            let _ = writeln!(o, "  nothing is required for this category");
        }
        for (t, b) in problems {
            let _ = writeln!(o, "  problem: {} [{b}]", t.en());
        }
    }
    if !r.reports.is_empty() {
        let _ = writeln!(o, "\nINSPECTIONS ({})", r.reports.len());
        for rep in &r.reports {
            let results: Vec<String> = rep
                .results
                .iter()
                .map(|x| format!("{} {} {}", x.item, x.value, x.unit))
                .collect();
            let _ = writeln!(
                o,
                "  {} {} issued {} {}: {}",
                rep.id,
                rep.lab,
                rep.issued,
                match rep.conclusion {
                    Conclusion::Pass => "pass",
                    Conclusion::Fail => "FAIL",
                },
                results.join(", ")
            );
        }
    }
    if !r.listings.is_empty() {
        let _ = writeln!(o, "\nLISTINGS ({})", r.listings.len());
        for l in &r.listings {
            let verdict = match l.qualified {
                Some(true) => "qualified".to_string(),
                Some(false) => format!(
                    "UNQUALIFIED: {}",
                    l.problems
                        .iter()
                        .map(|(t, _)| t.en())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None => "qualification unknown".into(),
            };
            let _ = writeln!(
                o,
                "  {} {} by {} at {}: {verdict}",
                l.at.format("%Y-%m-%d %H:%M"),
                l.session,
                l.anchor.as_deref().unwrap_or("?"),
                money(l.price.minor, l.price.currency.as_str()),
            );
        }
    }
    let flagged = r.claims.iter().filter(|c| !c.findings.is_empty()).count();
    let _ = writeln!(o, "\nCLAIMS ({}, {flagged} with findings)", r.claims.len());
    for c in &r.claims {
        let _ = writeln!(
            o,
            "  {} {} {:?} — {}",
            c.claim.at.format("%Y-%m-%d %H:%M:%S"),
            c.session,
            c.claim.text,
            c.check.approval.as_str()
        );
        for d in &c.findings {
            let basis = if d.basis.is_empty() {
                String::new()
            } else {
                format!(" [{}]", d.basis)
            };
            let _ = writeln!(o, "      {:<20} {}{basis}", d.code, d.said.en());
        }
    }
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let _ = writeln!(
        o,
        "\nSALES ({cur})        {:>10} {:>16} {:>16} {:>16}",
        "orders", "placed", "paid", "refunded"
    );
    for (s, w) in &r.by_session {
        let _ = writeln!(
            o,
            "  {s:<18} {:>10} {:>16} {:>16} {:>16}  refund rate {}",
            grouped(w.placed_orders),
            money(w.placed_gmv, ""),
            money(w.paid_gmv, ""),
            money(w.refunded_gmv, ""),
            pct(w.refund_rate())
        );
    }
    let _ = writeln!(o, "\nCOMPLAINTS  {}", r.complaint_summary());
    if let Some(e) = &r.exposure {
        let cur = e.currency.map(|c| c.to_string()).unwrap_or_default();
        let _ = writeln!(
            o,
            "\nEXPOSURE  a full recall would cost {} over {} paid, unrefunded orders: refund {} + compensation {} ({:.1}x the unrefunded sales)",
            money(e.total(), &cur),
            grouped(e.orders),
            money(e.refund, &cur),
            money(e.compensation, &cur),
            if e.unrefunded > 0 { e.total() as f64 / e.unrefunded as f64 } else { 0.0 }
        );
    }
    flags(
        &mut o,
        &r.flags,
        ids,
        "NO FLAGS: the product is qualified and every claim about it checks out.",
    );
    o.push_str(PROVE);
    o
}

/// The pre-live gate's answer for a terminal.
pub fn gate(g: &Gate) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: product {} in anchor {}'s live room at {}",
        if g.allowed { "ALLOWED" } else { "REFUSED" },
        g.product,
        g.anchor,
        g.at.to_rfc3339()
    );
    for r in &g.reasons {
        let basis = if r.basis.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.basis)
        };
        let _ = writeln!(
            o,
            "  {} {:<22} {}{basis}",
            if r.blocking { "BLOCK" } else { "warn " },
            r.code,
            r.message
        );
    }
    o
}

/// The case queue as a table.
pub fn cases(cases: &[Case], pack: &str, now: chrono::DateTime<chrono::FixedOffset>) -> String {
    let mut o = String::new();
    let overdue = cases.iter().filter(|c| c.overdue).count();
    let _ = writeln!(
        o,
        "{} cases under the {pack} rule pack, {overdue} overdue as of {}",
        cases.len(),
        now.format("%Y-%m-%d %H:%M %:z")
    );
    if cases.is_empty() {
        return o;
    }
    let _ = writeln!(
        o,
        "\n{:<14} {:<10} {:<18} {:<12} {:>12} {:>14}  {:<17} liable",
        "case", "status", "category", "product", "refund", "compensation", "due"
    );
    for c in cases {
        let d = &c.decision;
        let due = c.due.map_or("–".to_string(), |t| {
            format!(
                "{}{}",
                t.format("%Y-%m-%d %H:%M"),
                if c.overdue { " !" } else { "" }
            )
        });
        let liable: Vec<String> = d
            .liable
            .iter()
            .map(|l| {
                format!(
                    "{} ({}{})",
                    l.party,
                    l.role,
                    if l.joint { ", joint" } else { "" }
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "{:<14} {:<10} {:<18} {:<12} {:>12} {:>14}  {:<17} {}{}",
            c.id,
            c.status.as_str(),
            c.complaint.category.as_str(),
            c.product.as_deref().unwrap_or("?"),
            money(d.remedy.refund, ""),
            money(d.remedy.compensation, ""),
            due,
            if liable.is_empty() {
                "nobody yet (needs a person)".to_string()
            } else {
                liable.join(", ")
            },
            if c.needs_review {
                "  [facts changed after the decision]"
            } else {
                ""
            }
        );
    }
    o
}

/// One case in full.
pub fn case(c: &Case, ids: &dyn Fn(u64) -> Option<String>) -> String {
    let mut o = String::new();
    let d = &c.decision;
    let _ = writeln!(
        o,
        "Case {} — {} complaint {} on order {} ({} in session {})",
        c.id,
        c.complaint.category.as_str(),
        c.complaint.complaint,
        c.complaint.order_id,
        c.product.as_deref().unwrap_or("unknown product"),
        c.session.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        o,
        "status {}{}{}",
        c.status.as_str(),
        c.due
            .map_or(String::new(), |t| format!(", due {}", t.to_rfc3339())),
        if c.overdue { " (OVERDUE)" } else { "" }
    );
    if c.needs_review {
        let _ = writeln!(
            o,
            "NEEDS REVIEW: the facts changed after the decision was recorded"
        );
    }
    let _ = writeln!(o, "\nLIABLE");
    if d.liable.is_empty() {
        let _ = writeln!(o, "  nobody on the facts so far: a person must decide");
    }
    for l in &d.liable {
        let _ = writeln!(
            o,
            "  {:<20} {:<11} {}{} [{}]\n      {}",
            l.party,
            l.role,
            l.share.map_or(String::new(), |s| format!("share {s} ")),
            if l.joint { "jointly" } else { "" },
            l.basis.join(", "),
            l.reason
        );
    }
    let cur = d.remedy.currency.to_string();
    let _ = writeln!(
        o,
        "\nREMEDY  refund {} + compensation {} = {}  [{}]",
        money(d.remedy.refund, &cur),
        money(d.remedy.compensation, &cur),
        money(d.remedy.refund + d.remedy.compensation, &cur),
        d.remedy.basis.join(", ")
    );
    for n in &d.remedy.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    let facts: Vec<&str> = c
        .facts
        .0
        .iter()
        .filter(|(_, v)| *v)
        .map(|(k, _)| *k)
        .collect();
    let _ = writeln!(
        o,
        "\nFACTS  {}",
        if facts.is_empty() {
            "none".into()
        } else {
            facts.join(", ")
        }
    );
    let _ = writeln!(o, "\nRULES");
    for r in &d.rules {
        let _ = writeln!(
            o,
            "  {} {:<30} {}",
            if r.fired { "✓" } else { "·" },
            r.rule,
            r.why
        );
    }
    if !c.claims.is_empty() {
        let _ = writeln!(o, "\nCLAIMS BEFORE THE ORDER");
        for cl in &c.claims {
            let _ = writeln!(
                o,
                "  {} {:?} — {}",
                cl.claim.event,
                cl.claim.text,
                cl.check.approval.as_str()
            );
            for f in &cl.findings {
                let _ = writeln!(o, "      {:<20} {}", f.code, f.said.en());
            }
        }
    }
    let _ = writeln!(o, "\nHISTORY");
    for e in &c.history {
        let _ = writeln!(
            o,
            "  {} {}{} ({})",
            e.at.format("%Y-%m-%d %H:%M"),
            e.what,
            e.actor
                .as_ref()
                .map_or(String::new(), |a| format!(" — by {a}")),
            ids(e.leaf).unwrap_or_else(|| format!("leaf {}", e.leaf))
        );
    }
    for n in &c.notes {
        let _ = writeln!(o, "\nnote: {n}");
    }
    o.push_str(PROVE);
    o
}

/// The `sessions` table: headline figures and flags, one line a session.
pub fn sessions(reports: &[SessionReport]) -> String {
    let mut o = String::new();
    if reports.is_empty() {
        o.push_str("no sessions in the log\n");
        return o;
    }
    let _ = writeln!(
        o,
        "{:<16} {:<14} {:<17} {:>12} {:>10} {:>9} {:>18}  flags",
        "session", "anchor", "started", "reported", "real", "bots", "verified GMV"
    );
    for r in reports {
        let v = &r.viewers;
        let flags: Vec<String> = r
            .flags
            .iter()
            .map(|f| format!("{}({})", f.code, f.severity.as_str()))
            .collect();
        let started = r.started.map(|t| t.to_rfc3339());
        let _ = writeln!(
            o,
            "{:<16} {:<14} {:<17} {:>12} {:>10} {:>9} {:>18}  {}",
            r.session,
            r.anchor.as_deref().unwrap_or("?"),
            started
                .as_deref()
                .map(|s| s.get(..16).unwrap_or(s))
                .unwrap_or("?"),
            grouped(v.reported_views.unwrap_or(0)),
            grouped(v.estimated_real()),
            grouped(v.suspected_bots()),
            money(
                r.waterfall().verified_gmv(),
                &r.currency().map(|c| c.to_string()).unwrap_or_default()
            ),
            if flags.is_empty() {
                "none".into()
            } else {
                flags.join(" ")
            }
        );
    }
    o.push_str("\nDetails: liveledger report session ID [--html FILE]\n");
    o
}
