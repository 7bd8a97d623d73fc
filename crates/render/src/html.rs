//! The session report as one self-contained HTML page: inline CSS and SVG
//! charts, no scripts and nothing fetched, so it opens offline and can be
//! archived with the evidence.

use crate::numbers::pct;
use analysis::authenticity::report::Minute;
use analysis::authenticity::sales::RingGraph;
use analysis::claims::finding::ClaimFinding;
use analysis::claims::qualify::Status;
use analysis::format::{grouped, money};
use analysis::products::report::ProductReport;
use analysis::{Flag, SessionReport};
use events::Conclusion;
use std::collections::BTreeMap;
use std::fmt::Write;

const W: f64 = 900.0;
const H: f64 = 240.0;
const PAD: f64 = 48.0;
const OBSERVED: &str = "#2563eb";
const REPORTED: &str = "#dc2626";
const BOT: &str = "#f97316";

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn session(
    r: &SessionReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
) -> String {
    let v = &r.viewers;
    let w = r.waterfall();
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let mut o = head(&format!("session {}", r.session));
    let _ = write!(
        o,
        r#"<h1>Session {id}</h1>
<p>Anchor <b>{anchor}</b> on <b>{platform}</b>, {when}. {events} events.</p>
"#,
        id = esc(&r.session),
        anchor = esc(r.anchor.as_deref().unwrap_or("unknown")),
        platform = esc(r.platform.as_deref().unwrap_or("unknown")),
        when = esc(&match (r.started, r.ended) {
            (Some(s), Some(e)) => format!("{} to {}", s.to_rfc3339(), e.to_rfc3339()),
            (Some(s), None) => format!("from {}", s.to_rfc3339()),
            _ => "start unknown".into(),
        }),
        events = grouped(r.events),
    );
    o.push_str(&checkpoint_line(checkpoint));
    flags(
        &mut o,
        &r.flags,
        ids,
        "No flags: the reported figures agree with what the events show, and every claim checks out.",
    );

    let opt = |x: Option<u64>| x.map(grouped).unwrap_or_else(|| "–".into());
    let _ = write!(
        o,
        r#"<h2>Viewers</h2>
<table><tr><th></th><th>reported</th><th>observed</th></tr>
<tr><td>views</td><td>{rv}</td><td>{ov}</td></tr>
<tr><td>peak online</td><td>{rp}</td><td>{op}</td></tr>
<tr><td>unique viewers</td><td></td><td>{u}</td></tr>
<tr><td>suspected bots</td><td></td><td>{b}</td></tr>
<tr><td>estimated real viewers</td><td></td><td>{real}</td></tr>
<tr><td>inflation ratio</td><td>{x}</td><td></td></tr></table>
"#,
        rv = opt(v.reported_views),
        ov = grouped(v.observed.views),
        rp = opt(v.reported_peak_online),
        op = grouped(v.observed.peak_online),
        u = grouped(v.observed.unique),
        b = grouped(v.suspected_bots()),
        real = grouped(v.estimated_real()),
        x = v
            .inflation_ratio()
            .map_or("–".into(), |x| format!("{x:.1}×")),
    );
    o.push_str(&viewers_chart(&r.timeline));
    o.push_str(&arrivals_chart(&r.timeline));

    let m = |x: i64| money(x, &cur);
    let _ = write!(
        o,
        r#"<h2>Sales ({cur})</h2>
<table><tr><th></th><th>orders</th><th>GMV</th></tr>
<tr><td>reported</td><td>{ro}</td><td>{rg}</td></tr>
<tr><td>placed</td><td>{po}</td><td>{pg}</td></tr>
<tr><td>paid</td><td>{pdo}</td><td>{pdg}</td></tr>
<tr><td>cancelled</td><td>{co}</td><td>{cg}</td></tr>
<tr><td>refunded</td><td>{fo}</td><td>{fg}</td></tr>
<tr><td>suspected brushing</td><td>{bo}</td><td>{bg}</td></tr>
<tr><td><b>verified</b></td><td></td><td><b>{vg}</b></td></tr></table>
<p>Refund rate {rr} (orders not suspected of brushing: {orr}; expected about {er} for these products).</p>
"#,
        cur = esc(&cur),
        ro = opt(r.reported_orders),
        rg = r.reported_gmv.map_or("–".into(), m),
        po = grouped(w.placed_orders),
        pg = m(w.placed_gmv),
        pdo = grouped(w.paid_orders),
        pdg = m(w.paid_gmv),
        co = grouped(w.cancelled_orders),
        cg = m(w.cancelled_gmv),
        fo = grouped(w.refunded_orders),
        fg = m(w.refunded_gmv),
        bo = grouped(w.brushing_orders),
        bg = m(w.brushing_gmv),
        vg = m(w.verified_gmv()),
        rr = pct(w.refund_rate()),
        orr = pct(r.sales.organic_refund_rate),
        er = pct(r.sales.expected_refund_rate),
    );
    o.push_str(&waterfall_chart(&[
        ("placed", w.placed_gmv, Bar::Full),
        ("cancelled", w.cancelled_gmv, Bar::Down),
        ("paid", w.paid_gmv, Bar::Full),
        ("refunded", w.refunded_gmv, Bar::Down),
        ("brushing", w.brushing_net_gmv, Bar::Down),
        ("verified", w.verified_gmv(), Bar::Full),
    ]));
    if let (Some(g), Some(ring)) = (&r.ring_graph, r.sales.rings.first()) {
        let _ = write!(
            o,
            "<h2>Largest brushing group</h2>\n<p>{} accounts, {} orders; {} placed without watching, {} refunded.</p>\n",
            ring.accounts.len(),
            ring.order_leaves.len(),
            pct(ring.no_watch_share),
            pct(ring.refund_share)
        );
        o.push_str(&ring_chart(g));
    }
    claims(&mut o, &r.claims, false);
    if !r.alerts.is_empty() || !r.interventions.is_empty() {
        o.push_str("<h2>Alerts and interventions</h2>\n<table class=\"list\">\n");
        let mut rows: Vec<(String, String)> = r
            .alerts
            .iter()
            .map(|(a, waited)| {
                let answer = waited.map_or("not answered".into(), |d| {
                    format!("answered after {} s", d.num_seconds())
                });
                (
                    a.at.to_rfc3339(),
                    format!(
                        "<td>alert</td><td>{} {}</td><td>{}</td>",
                        esc(&a.code),
                        esc(&a.severity),
                        esc(&answer)
                    ),
                )
            })
            .chain(r.interventions.iter().map(|i| {
                let product = i
                    .product
                    .as_ref()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default();
                (
                    i.at.to_rfc3339(),
                    format!(
                        "<td>{}</td><td>{}</td><td>{}: {}</td>",
                        esc(i.action.as_str()),
                        esc(product.trim()),
                        esc(&i.actor),
                        esc(&i.reason)
                    ),
                )
            }))
            .collect();
        rows.sort();
        for (at, cells) in rows {
            let _ = writeln!(o, "<tr><td>{}</td>{cells}</tr>", esc(&at));
        }
        o.push_str("</table>\n");
    }
    for n in &r.notes {
        let _ = writeln!(o, r#"<p class="muted">Note: {}</p>"#, esc(n));
    }
    o.push_str("</body></html>\n");
    o
}

/// The page's head and style.
fn head(title: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>liveledger — {title}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#111}}
h1{{font-size:22px;margin:0}} h2{{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}}
table{{border-collapse:collapse}} td,th{{padding:3px 12px 3px 0;text-align:right;vertical-align:top}} td:first-child,th:first-child{{text-align:left}}
table.list td,table.list th{{text-align:left}}
.flag{{border-left:4px solid #999;padding:4px 10px;margin:8px 0;background:#fafafa}}
.high{{border-color:#dc2626}} .medium{{border-color:#f97316}} .low{{border-color:#eab308}}
.ok{{border-left:4px solid #16a34a;padding:4px 10px;background:#f0fdf4}}
.bad{{color:#dc2626;font-weight:600}} .good{{color:#16a34a}}
code{{font-size:12px}} .muted{{color:#666;font-size:12px}} svg text{{font-size:11px}}
</style></head><body>
"#,
        title = esc(title)
    )
}

fn checkpoint_line(checkpoint: &serde_json::Value) -> String {
    format!(
        "<p class=\"muted\">Computed at the signed checkpoint <code>{origin}</code> size {size}, root <code>{root}</code>. Every piece of evidence below is a log entry: check it offline with <code>liveledger prove EVENT_ID</code>.</p>\n",
        origin = esc(checkpoint["origin"].as_str().unwrap_or("")),
        size = checkpoint["size"],
        root = esc(checkpoint["root"].as_str().unwrap_or("")),
    )
}

fn flags(o: &mut String, flags: &[Flag], ids: &dyn Fn(u64) -> Option<String>, none: &str) {
    o.push_str("<h2>Flags</h2>\n");
    if flags.is_empty() {
        let _ = writeln!(o, r#"<div class="ok">{}</div>"#, esc(none));
    }
    for f in flags {
        let ev: Vec<String> = f
            .evidence
            .leaves
            .iter()
            .map(|l| {
                format!(
                    "<code>{}</code> (leaf {l})",
                    esc(&ids(*l).unwrap_or_else(|| "?".into()))
                )
            })
            .collect();
        let _ = writeln!(
            o,
            r#"<div class="flag {sev}"><b>{code}</b> · {sev}<br>{summary}<br><span class="muted">evidence ({n} entries): {ev}</span></div>"#,
            sev = f.severity.as_str(),
            code = f.code,
            summary = esc(&f.summary),
            n = grouped(f.evidence.count),
            ev = ev.join(", ")
        );
    }
}

/// Every claim with its findings (`with_session`: a column for the session).
fn claims(o: &mut String, claims: &[ClaimFinding], with_session: bool) {
    if claims.is_empty() {
        return;
    }
    let flagged = claims.iter().filter(|c| !c.findings.is_empty()).count();
    let _ = writeln!(
        o,
        "<h2>Claims</h2>\n<p>{} claims, {flagged} with findings.</p>\n<table class=\"list claims\"><tr><th>time</th>{}<th>product</th><th>what was said</th><th>approved</th><th>findings</th></tr>",
        claims.len(),
        if with_session { "<th>session</th>" } else { "" }
    );
    for c in claims {
        let findings: Vec<String> = c
            .findings
            .iter()
            .map(|d| {
                let basis = if d.basis.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", esc(&d.basis))
                };
                format!(
                    "<span class=\"bad\">{}</span> {}{basis}",
                    d.code,
                    esc(&d.detail)
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "<tr><td>{time}</td>{session}<td>{product}</td><td>{text}<br><span class=\"muted\">{event}</span></td><td>{approval}</td><td>{findings}</td></tr>",
            time = c.claim.at.format("%m-%d %H:%M:%S"),
            session = if with_session { format!("<td>{}</td>", esc(&c.session)) } else { String::new() },
            product = esc(c.claim.product.as_ref().map_or("–", |p| p.as_str())),
            text = esc(&c.claim.text),
            event = esc(c.claim.event.as_str()),
            approval = esc(c.check.approval.as_str()),
            findings = if findings.is_empty() { "<span class=\"good\">none</span>".into() } else { findings.join("<br>") },
        );
    }
    o.push_str("</table>\n");
}

/// The product findings as a page.
pub fn product(
    r: &ProductReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
) -> String {
    let mut o = head(&format!("product {}", r.product));
    let p = r.record.as_ref();
    let _ = writeln!(
        o,
        "<h1>Product {id}</h1>\n<p>{name} · <b>{category}</b> · merchant <b>{merchant}</b>{unreg}{brand}</p>",
        id = esc(&r.product),
        name = esc(p.map_or("(never registered)", |p| p.name.as_str())),
        category = p.map_or("category unknown", |p| p.category.as_str()),
        merchant = esc(p.map_or("?", |p| p.merchant.as_str())),
        unreg = if r.merchant_registered == Some(false) { " <span class=\"bad\">(not registered)</span>" } else { "" },
        brand = p.and_then(|p| p.brand.as_ref()).map_or(String::new(), |b| format!(" · brand {}", esc(b))),
    );
    o.push_str(&checkpoint_line(checkpoint));
    flags(
        &mut o,
        &r.flags,
        ids,
        "No flags: the product is qualified and every claim about it checks out.",
    );

    let _ = writeln!(
        o,
        "<h2>Qualifications on {on}: {verdict}</h2>",
        on = r.on,
        verdict = match r.qualified_now() {
            Some(true) => "<span class=\"good\">qualified</span>",
            Some(false) => "<span class=\"bad\">not qualified</span>",
            None => "<span class=\"bad\">unknown (not registered)</span>",
        }
    );
    if let (Some((check, problems)), Some(p)) = (&r.now, p) {
        o.push_str(
            "<table class=\"list\"><tr><th>requirement</th><th>basis</th><th>held</th></tr>\n",
        );
        for req in &check.requirements {
            let held = match &req.status {
                Status::Held(i) => {
                    let q = &p.qualifications[*i];
                    format!(
                        "<span class=\"good\">{} {}</span>{}",
                        esc(&q.kind),
                        esc(&q.number),
                        q.expires
                            .map_or(String::new(), |d| format!(" (expires {d})"))
                    )
                }
                Status::Waived(a) => format!("waived by attribute {}", esc(a)),
                Status::Missing => "<span class=\"bad\">missing</span>".into(),
                Status::Expired(i, d) => format!(
                    "<span class=\"bad\">{} expired {d}</span>",
                    esc(&p.qualifications[*i].number)
                ),
                Status::BadNumber(i) => format!(
                    "<span class=\"bad\">{} malformed</span>",
                    esc(&p.qualifications[*i].number)
                ),
                Status::Unrecognised(i) => format!(
                    "{} {} not recognised",
                    esc(&p.qualifications[*i].kind),
                    esc(&p.qualifications[*i].number)
                ),
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{held}</td></tr>",
                esc(&req.requirement.requirement),
                esc(&req.requirement.basis)
            );
        }
        if check.requirements.is_empty() {
            o.push_str("<tr><td colspan=\"3\">nothing is required for this category</td></tr>\n");
        }
        o.push_str("</table>\n");
        for (t, b) in problems {
            let _ = writeln!(o, "<p class=\"bad\">{} [{}]</p>", esc(t), esc(b));
        }
    }
    if !r.reports.is_empty() {
        o.push_str("<h2>Inspections</h2>\n<table class=\"list\"><tr><th>report</th><th>lab</th><th>issued</th><th>conclusion</th><th>results</th></tr>\n");
        for rep in &r.reports {
            let results: Vec<String> = rep
                .results
                .iter()
                .map(|x| format!("{} {} {}", esc(&x.item), x.value, esc(&x.unit)))
                .collect();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(rep.id.as_str()),
                esc(&rep.lab),
                rep.issued,
                match rep.conclusion {
                    Conclusion::Pass => "<span class=\"good\">pass</span>",
                    Conclusion::Fail => "<span class=\"bad\">fail</span>",
                },
                results.join("<br>")
            );
        }
        o.push_str("</table>\n");
    }
    if !r.listings.is_empty() {
        o.push_str("<h2>Listings</h2>\n<table class=\"list\"><tr><th>session</th><th>anchor</th><th>listed</th><th>price</th><th>qualified then</th></tr>\n");
        for l in &r.listings {
            let verdict = match l.qualified {
                Some(true) => "<span class=\"good\">yes</span>".to_string(),
                Some(false) => format!(
                    "<span class=\"bad\">no</span>: {}",
                    esc(&l
                        .problems
                        .iter()
                        .map(|(t, _)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("; "))
                ),
                None => "unknown".into(),
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{verdict}</td></tr>",
                esc(&l.session),
                esc(l.anchor.as_deref().unwrap_or("?")),
                l.at.format("%Y-%m-%d %H:%M"),
                money(l.price.minor, l.price.currency.as_str()),
            );
        }
        o.push_str("</table>\n");
    }
    claims(&mut o, &r.claims, true);
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let _ = writeln!(o, "<h2>Sales ({})</h2>\n<table><tr><th>session</th><th>orders</th><th>placed</th><th>paid</th><th>refunded</th><th>refund rate</th></tr>", esc(&cur));
    for (s, w) in &r.by_session {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(s),
            grouped(w.placed_orders),
            money(w.placed_gmv, ""),
            money(w.paid_gmv, ""),
            money(w.refunded_gmv, ""),
            pct(w.refund_rate())
        );
    }
    o.push_str("</table>\n");
    if let Some(e) = &r.exposure {
        let cur = e.currency.map(|c| c.to_string()).unwrap_or_default();
        let _ = writeln!(
            o,
            "<h2>Exposure</h2>\n<p>A full recall would cost <b>{}</b> over {} paid, unrefunded orders: refund {} + compensation {} (docs/LIABILITY.md).</p>",
            money(e.total(), &cur),
            grouped(e.orders),
            money(e.refund, &cur),
            money(e.compensation, &cur)
        );
    }
    let _ = writeln!(
        o,
        "<h2>Complaints</h2>\n<p>{}</p>",
        esc(&r.complaint_summary())
    );
    o.push_str("</body></html>\n");
    o
}

fn svg_open(title: &str, h: f64) -> String {
    format!(
        r#"<figure><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {W} {h}" width="{W}" height="{h}"><title>{t}</title>"#,
        t = esc(title)
    )
}

fn axes(o: &mut String, minutes: usize, max: f64, label: &str) {
    let _ = write!(
        o,
        r##"<line x1="{PAD}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><line x1="{PAD}" y1="36" x2="{PAD}" y2="{b}" stroke="#999"/><text x="4" y="44">{max}</text><text x="{PAD}" y="{t}">minute 0</text><text x="{r2}" y="{t}">{minutes}</text><text x="{mid}" y="{t}">{label}</text>"##,
        b = H - 20.0,
        r = W - 10.0,
        r2 = W - 30.0,
        t = H - 5.0,
        mid = W / 2.0 - 60.0,
        max = grouped(max as u64),
    );
}

fn x_of(i: usize, n: usize) -> f64 {
    PAD + (W - PAD - 10.0) * i as f64 / n.max(1) as f64
}

fn y_of(v: f64, max: f64) -> f64 {
    (H - 20.0) - (H - 60.0) * v / max.max(1.0)
}

/// Reported against observed concurrent viewers, minute by minute.
fn viewers_chart(t: &[Minute]) -> String {
    let mut o = svg_open("Reported vs observed viewers online", H);
    let mut last = None;
    let reported: Vec<Option<u64>> = t
        .iter()
        .map(|m| {
            last = m.reported_online.or(last);
            last
        })
        .collect();
    let max = t
        .iter()
        .map(|m| m.online)
        .chain(reported.iter().flatten().copied())
        .max()
        .unwrap_or(1) as f64;
    axes(&mut o, t.len(), max, "viewers online, per minute");
    let line = |pts: Vec<(usize, u64)>, color: &str, dash: &str| -> String {
        let p: Vec<String> = pts
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(*i, t.len()), y_of(*v as f64, max)))
            .collect();
        format!(
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" {dash} points="{}"/>"#,
            p.join(" ")
        )
    };
    o.push_str(&line(
        t.iter().enumerate().map(|(i, m)| (i, m.online)).collect(),
        OBSERVED,
        "",
    ));
    o.push_str(&line(
        reported
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .collect(),
        REPORTED,
        r#"stroke-dasharray="6 3""#,
    ));
    let _ = write!(
        o,
        r#"<text x="{PAD}" y="16" fill="{OBSERVED}">— observed (joins − leaves)</text><text x="{a}" y="16" fill="{REPORTED}">- - reported online</text></svg><figcaption>Reported against observed viewers online.</figcaption></figure>"#,
        a = PAD + 220.0
    );
    o
}

/// New viewers per minute, with the share judged bots.
fn arrivals_chart(t: &[Minute]) -> String {
    let mut o = svg_open("New viewers per minute, suspected bots highlighted", H);
    let max = t.iter().map(|m| m.new_accounts).max().unwrap_or(1) as f64;
    axes(&mut o, t.len(), max, "new viewers per minute");
    let bw = ((W - PAD - 10.0) / t.len().max(1) as f64 - 0.5).max(0.5);
    for (i, m) in t.iter().enumerate() {
        let x = x_of(i, t.len());
        let human = m.new_accounts.saturating_sub(m.new_bots) as f64;
        let (yh, yb) = (y_of(human, max), y_of(m.new_accounts as f64, max));
        let _ = write!(
            o,
            r#"<rect x="{x:.1}" y="{yh:.1}" width="{bw:.1}" height="{:.1}" fill="{OBSERVED}"/>"#,
            (H - 20.0) - yh
        );
        if m.new_bots > 0 {
            let _ = write!(
                o,
                r#"<rect class="bot" x="{x:.1}" y="{yb:.1}" width="{bw:.1}" height="{:.1}" fill="{BOT}"/>"#,
                yh - yb
            );
        }
    }
    let _ = write!(
        o,
        r#"<text x="{PAD}" y="16" fill="{OBSERVED}">■ viewers</text><text x="{a}" y="16" fill="{BOT}">■ suspected bots</text></svg><figcaption>Arrivals per minute; bot waves stand out as orange spikes.</figcaption></figure>"#,
        a = PAD + 120.0
    );
    o
}

#[derive(Clone, Copy, PartialEq)]
enum Bar {
    Full,
    Down,
}

/// Placed → verified GMV as a waterfall.
fn waterfall_chart(steps: &[(&str, i64, Bar)]) -> String {
    let mut o = svg_open("Sales waterfall from placed to verified GMV", H);
    let max = steps.iter().map(|s| s.1).max().unwrap_or(1).max(1) as f64;
    let bw = (W - PAD - 10.0) / steps.len() as f64;
    let mut level = 0i64;
    for (i, (label, v, kind)) in steps.iter().enumerate() {
        let (top, bottom, color) = match kind {
            Bar::Full => {
                level = *v;
                (*v, 0, OBSERVED)
            }
            Bar::Down => {
                let t = level;
                level -= v;
                (t, level.max(0), REPORTED)
            }
        };
        let x = PAD + bw * i as f64 + 8.0;
        let (yt, yb) = (y_of(top as f64, max), y_of(bottom as f64, max));
        let _ = write!(
            o,
            r#"<rect x="{x:.1}" y="{yt:.1}" width="{:.1}" height="{:.1}" fill="{color}"/><text x="{x:.1}" y="{:.1}">{label}</text><text x="{x:.1}" y="{:.1}">{}</text>"#,
            bw - 16.0,
            (yb - yt).max(0.5),
            H - 5.0,
            (yt - 4.0).max(10.0),
            money(*v, "")
        );
    }
    o.push_str("</svg><figcaption>GMV from placed to verified: cancellations, refunds and suspected brushing taken away.</figcaption></figure>");
    o
}

/// The largest brushing group: buyers on the outer circle, the devices,
/// addresses and payment instruments they share inside.
fn ring_chart(g: &RingGraph) -> String {
    let size = 420.0;
    let mut o = format!(
        r#"<figure><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="brushing group" viewBox="0 0 {size} {size}" width="{size}" height="{size}"><title>Largest brushing group</title>"#
    );
    let mut accounts: Vec<u32> = g.edges.iter().map(|e| e.0).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut keys: BTreeMap<(&str, u64), usize> = BTreeMap::new();
    for e in &g.edges {
        let n = keys.len();
        keys.entry((e.1, e.2)).or_insert(n);
    }
    let c = size / 2.0;
    let at = |i: usize, n: usize, r: f64| {
        let a = std::f64::consts::TAU * i as f64 / n.max(1) as f64;
        (c + r * a.cos(), c + r * a.sin())
    };
    let color = |k: &str| match k {
        "device" => "#7c3aed",
        "address" => "#059669",
        _ => "#d97706",
    };
    for (acct, kind, key) in &g.edges {
        let i = accounts.binary_search(acct).unwrap_or(0);
        let (x1, y1) = at(i, accounts.len(), 180.0);
        let (x2, y2) = at(keys[&(*kind, *key)], keys.len(), 90.0);
        let _ = write!(
            o,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-opacity="0.5"/>"#,
            color(kind)
        );
    }
    for i in 0..accounts.len() {
        let (x, y) = at(i, accounts.len(), 180.0);
        let _ = write!(
            o,
            r#"<circle class="buyer" cx="{x:.1}" cy="{y:.1}" r="6" fill="{OBSERVED}"/>"#
        );
    }
    for ((kind, _), i) in &keys {
        let (x, y) = at(*i, keys.len(), 90.0);
        let _ = write!(
            o,
            r#"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="{}"/>"#,
            x - 4.0,
            y - 4.0,
            color(kind)
        );
    }
    o.push_str(r##"<text x="8" y="16" fill="#2563eb">● buyer</text><text x="8" y="32" fill="#7c3aed">■ device</text><text x="8" y="48" fill="#059669">■ address</text><text x="8" y="64" fill="#d97706">■ payment</text></svg><figcaption>Buyers linked by what they share.</figcaption></figure>"##);
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
