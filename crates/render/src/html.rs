//! The session report as one self-contained HTML page: inline CSS and SVG
//! charts, no scripts and nothing fetched, so it opens offline and can be
//! archived with the evidence.

use crate::numbers::pct;
use crate::words::{self, Lang, Msg};
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

/// A session report as a page, in `lang`.
pub fn session(
    r: &SessionReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
    lang: Lang,
) -> String {
    let t = |m: Msg| m.text(lang);
    let v = &r.viewers;
    let w = r.waterfall();
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let title = Msg::ReportSession.fill(lang, &[&r.session]);
    let mut o = head(&title, lang);
    let unknown = t(Msg::Unknown);
    let when = match (r.started, r.ended) {
        (Some(s), Some(e)) => Msg::FromTo.fill(lang, &[&s.to_rfc3339(), &e.to_rfc3339()]),
        (Some(s), None) => Msg::FromOnly.fill(lang, &[&s.to_rfc3339()]),
        _ => t(Msg::StartUnknown).into(),
    };
    let _ = writeln!(
        o,
        "<h1>{}</h1>\n<p>{}</p>",
        esc(&title),
        Msg::AnchorOn.fill(
            lang,
            &[
                &esc(r.anchor.as_deref().unwrap_or(unknown)),
                &esc(r.platform.as_deref().unwrap_or(unknown)),
                &esc(&when),
                &grouped(r.events),
            ]
        )
    );
    o.push_str(&checkpoint_line(checkpoint, lang));
    flags(&mut o, &r.flags, ids, t(Msg::NoSessionFlags), lang);

    let opt = |x: Option<u64>| x.map(grouped).unwrap_or_else(|| "–".into());
    let _ = write!(
        o,
        r#"<h2>{viewers}</h2>
<table><tr><th></th><th>{reported}</th><th>{observed}</th></tr>
<tr><td>{views}</td><td>{rv}</td><td>{ov}</td></tr>
<tr><td>{peak}</td><td>{rp}</td><td>{op}</td></tr>
<tr><td>{unique}</td><td></td><td>{u}</td></tr>
<tr><td>{bots}</td><td></td><td>{b}</td></tr>
<tr><td>{estimated}</td><td></td><td>{real}</td></tr>
<tr><td>{inflation}</td><td>{x}</td><td></td></tr></table>
"#,
        viewers = t(Msg::Viewers),
        reported = t(Msg::ReportedCol),
        observed = t(Msg::ObservedCol),
        views = t(Msg::ViewsRow),
        peak = t(Msg::PeakOnline),
        unique = t(Msg::UniqueViewers),
        bots = t(Msg::SuspectedBots),
        estimated = t(Msg::EstimatedRealRow),
        inflation = t(Msg::InflationRatio),
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
    o.push_str(&viewers_chart(&r.timeline, lang));
    o.push_str(&arrivals_chart(&r.timeline, lang));

    let m = |x: i64| money(x, &cur);
    let _ = write!(
        o,
        r#"<h2>{sales}</h2>
<table><tr><th></th><th>{orders}</th><th>{gmv}</th></tr>
<tr><td>{reported}</td><td>{ro}</td><td>{rg}</td></tr>
<tr><td>{placed}</td><td>{po}</td><td>{pg}</td></tr>
<tr><td>{paid}</td><td>{pdo}</td><td>{pdg}</td></tr>
<tr><td>{cancelled}</td><td>{co}</td><td>{cg}</td></tr>
<tr><td>{refunded}</td><td>{fo}</td><td>{fg}</td></tr>
<tr><td>{brushing}</td><td>{bo}</td><td>{bg}</td></tr>
<tr><td><b>{verified}</b></td><td></td><td><b>{vg}</b></td></tr></table>
<p>{rates}</p>
"#,
        sales = Msg::SalesIn.fill(lang, &[&esc(&cur)]),
        orders = t(Msg::OrdersCol),
        gmv = t(Msg::GmvCol),
        reported = t(Msg::ReportedCol),
        placed = t(Msg::Placed),
        paid = t(Msg::Paid),
        cancelled = t(Msg::Cancelled),
        refunded = t(Msg::Refunded),
        brushing = t(Msg::SuspectedBrushing),
        verified = t(Msg::VerifiedRow),
        rates = Msg::RefundRates.fill(
            lang,
            &[
                &pct(w.refund_rate()),
                &pct(r.sales.organic_refund_rate),
                &pct(r.sales.expected_refund_rate)
            ]
        ),
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
    );
    o.push_str(&waterfall_chart(
        &[
            (t(Msg::Placed), w.placed_gmv, Bar::Full),
            (t(Msg::Cancelled), w.cancelled_gmv, Bar::Down),
            (t(Msg::Paid), w.paid_gmv, Bar::Full),
            (t(Msg::Refunded), w.refunded_gmv, Bar::Down),
            (t(Msg::Brushing), w.brushing_net_gmv, Bar::Down),
            (t(Msg::VerifiedRow), w.verified_gmv(), Bar::Full),
        ],
        lang,
    ));
    if let (Some(g), Some(ring)) = (&r.ring_graph, r.sales.rings.first()) {
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<p>{}</p>",
            t(Msg::LargestRing),
            Msg::RingLine.fill(
                lang,
                &[
                    &ring.accounts.len().to_string(),
                    &ring.order_leaves.len().to_string(),
                    &pct(ring.no_watch_share),
                    &pct(ring.refund_share)
                ]
            )
        );
        o.push_str(&ring_chart(g, lang));
    }
    claims(&mut o, &r.claims, false, lang);
    if !r.alerts.is_empty() || !r.interventions.is_empty() {
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<table class=\"list\">",
            t(Msg::AlertsAndInterventions)
        );
        let mut rows: Vec<(String, String)> = r
            .alerts
            .iter()
            .map(|(a, waited)| {
                let answer = waited.map_or(t(Msg::NotAnswered).into(), |d| {
                    Msg::AnsweredAfter.fill(lang, &[&d.num_seconds().to_string()])
                });
                (
                    a.at.to_rfc3339(),
                    format!(
                        "<td>{}</td><td>{} {}</td><td>{}</td>",
                        t(Msg::AlertRow),
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
                        esc(words::word(i.action.as_str(), lang)),
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
        let _ = writeln!(
            o,
            r#"<p class="muted">{}</p>"#,
            Msg::NoteLine.fill(lang, &[&esc(n)])
        );
    }
    o.push_str("</body></html>\n");
    o
}

/// The page's head and style.
fn head(title: &str, lang: Lang) -> String {
    format!(
        r#"<!doctype html>
<html lang="{code}"><head><meta charset="utf-8">
<title>liveledger — {title}</title>
<style>
body{{font:14px/1.45 system-ui,"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:960px;color:#111}}
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
        title = esc(title),
        code = lang.code(),
    )
}

fn checkpoint_line(checkpoint: &serde_json::Value, lang: Lang) -> String {
    format!(
        "<p class=\"muted\">{}</p>\n",
        Msg::ComputedAt.fill(
            lang,
            &[
                &esc(checkpoint["origin"].as_str().unwrap_or("")),
                &checkpoint["size"].to_string(),
                &esc(checkpoint["root"].as_str().unwrap_or("")),
            ]
        )
    )
}

fn flags(
    o: &mut String,
    flags: &[Flag],
    ids: &dyn Fn(u64) -> Option<String>,
    none: &str,
    lang: Lang,
) {
    let _ = writeln!(o, "<h2>{}</h2>", Msg::Flags.text(lang));
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
                    "<code>{}</code> {}",
                    esc(&ids(*l).unwrap_or_else(|| "?".into())),
                    Msg::LeafOf.fill(lang, &[&l.to_string()])
                )
            })
            .collect();
        let _ = writeln!(
            o,
            r#"<div class="flag {sev}"><b>{code}</b> · {headline} · {sev}<br>{summary}<br><span class="muted">{evidence}</span></div>"#,
            sev = f.severity.as_str(),
            code = f.code,
            headline = esc(words::flag(f.code, lang)),
            summary = esc(&words::summary(f, lang)),
            evidence =
                Msg::EvidenceEntries.fill(lang, &[&grouped(f.evidence.count), &ev.join(", ")]),
        );
    }
}

/// Every claim with its findings (`with_session`: a column for the session).
fn claims(o: &mut String, claims: &[ClaimFinding], with_session: bool, lang: Lang) {
    if claims.is_empty() {
        return;
    }
    let t = |m: Msg| m.text(lang);
    let flagged = claims.iter().filter(|c| !c.findings.is_empty()).count();
    let _ = writeln!(
        o,
        "<h2>{}</h2>\n<p>{}</p>\n<table class=\"list claims\"><tr><th>{}</th>{}<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(Msg::Claims),
        Msg::ClaimsCount.fill(lang, &[&claims.len().to_string(), &flagged.to_string()]),
        t(Msg::TimeCol),
        if with_session { format!("<th>{}</th>", t(Msg::SessionCol)) } else { String::new() },
        t(Msg::ProductCol),
        t(Msg::WhatWasSaid),
        t(Msg::ApprovedCol),
        t(Msg::FindingsCol),
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
                    esc(&words::said(&d.said, lang))
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
            findings = if findings.is_empty() { format!("<span class=\"good\">{}</span>", t(Msg::NoneFound)) } else { findings.join("<br>") },
        );
    }
    o.push_str("</table>\n");
}

/// The product findings as a page.
/// A product report as a page, in `lang`.
pub fn product(
    r: &ProductReport,
    ids: &dyn Fn(u64) -> Option<String>,
    checkpoint: &serde_json::Value,
    lang: Lang,
) -> String {
    let t = |m: Msg| m.text(lang);
    let title = Msg::ReportProduct.fill(lang, &[&r.product]);
    let mut o = head(&title, lang);
    let p = r.record.as_ref();
    let _ = writeln!(
        o,
        "<h1>{title}</h1>\n<p>{name} · <b>{category}</b>{merchant}{unreg}{brand}</p>",
        title = esc(&title),
        name = esc(p.map_or(t(Msg::NeverRegistered), |p| p.name.as_str())),
        category = p.map_or(t(Msg::CategoryUnknown), |p| p.category.as_str()),
        merchant = Msg::MerchantIs.fill(lang, &[&esc(p.map_or("?", |p| p.merchant.as_str()))]),
        unreg = if r.merchant_registered == Some(false) {
            format!(" <span class=\"bad\">{}</span>", t(Msg::NotRegistered))
        } else {
            String::new()
        },
        brand = p
            .and_then(|p| p.brand.as_ref())
            .map_or(String::new(), |b| Msg::BrandIs.fill(lang, &[&esc(b)])),
    );
    o.push_str(&checkpoint_line(checkpoint, lang));
    flags(&mut o, &r.flags, ids, t(Msg::NoProductFlags), lang);

    let verdict = match r.qualified_now() {
        Some(true) => format!("<span class=\"good\">{}</span>", t(Msg::Qualified)),
        Some(false) => format!("<span class=\"bad\">{}</span>", t(Msg::NotQualified)),
        None => format!(
            "<span class=\"bad\">{}</span>",
            t(Msg::UnknownNotRegistered)
        ),
    };
    let _ = writeln!(
        o,
        "<h2>{}</h2>",
        Msg::QualificationsOn.fill(lang, &[&r.on.to_string(), &verdict])
    );
    if let (Some((check, problems)), Some(p)) = (&r.now, p) {
        let _ = writeln!(
            o,
            "<table class=\"list\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Msg::RequirementCol),
            t(Msg::BasisCol),
            t(Msg::HeldCol)
        );
        for req in &check.requirements {
            let held = match &req.status {
                Status::Held(i) => {
                    let q = &p.qualifications[*i];
                    format!(
                        "<span class=\"good\">{} {}</span>{}",
                        esc(&q.kind),
                        esc(&q.number),
                        q.expires.map_or(String::new(), |d| Msg::ExpiresOn
                            .fill(lang, &[&d.to_string()]))
                    )
                }
                Status::Waived(a) => Msg::WaivedBy.fill(lang, &[&esc(a)]),
                Status::Missing => format!("<span class=\"bad\">{}</span>", t(Msg::Missing)),
                Status::Expired(i, d) => format!(
                    "<span class=\"bad\">{}</span>",
                    Msg::ExpiredOn
                        .fill(lang, &[&esc(&p.qualifications[*i].number), &d.to_string()])
                ),
                Status::BadNumber(i) => format!(
                    "<span class=\"bad\">{}</span>",
                    Msg::Malformed.fill(lang, &[&esc(&p.qualifications[*i].number)])
                ),
                Status::Unrecognised(i) => Msg::NotRecognised.fill(
                    lang,
                    &[
                        &esc(&p.qualifications[*i].kind),
                        &esc(&p.qualifications[*i].number),
                    ],
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
            let _ = writeln!(
                o,
                "<tr><td colspan=\"3\">{}</td></tr>",
                t(Msg::NothingRequired)
            );
        }
        o.push_str("</table>\n");
        for (t, b) in problems {
            let said = words::problem(t, lang);
            let _ = writeln!(o, "<p class=\"bad\">{} [{}]</p>", esc(&said), esc(b));
        }
    }
    if !r.reports.is_empty() {
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<table class=\"list\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Msg::Inspections),
            t(Msg::ReportCol),
            t(Msg::LabCol),
            t(Msg::IssuedCol),
            t(Msg::ConclusionCol),
            t(Msg::ResultsCol)
        );
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
                    Conclusion::Pass => format!("<span class=\"good\">{}</span>", t(Msg::Pass)),
                    Conclusion::Fail => format!("<span class=\"bad\">{}</span>", t(Msg::Fail)),
                },
                results.join("<br>")
            );
        }
        o.push_str("</table>\n");
    }
    if !r.listings.is_empty() {
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<table class=\"list\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Msg::Listings),
            t(Msg::SessionCol),
            t(Msg::AnchorCol),
            t(Msg::ListedCol),
            t(Msg::PriceCol),
            t(Msg::QualifiedThen)
        );
        for l in &r.listings {
            let verdict = match l.qualified {
                Some(true) => format!("<span class=\"good\">{}</span>", t(Msg::Yes)),
                Some(false) => format!(
                    "<span class=\"bad\">{}</span>: {}",
                    t(Msg::No),
                    esc(&l
                        .problems
                        .iter()
                        .map(|(t, _)| words::problem(t, lang))
                        .collect::<Vec<_>>()
                        .join(if lang == Lang::Zh { "；" } else { "; " }))
                ),
                None => t(Msg::Unknown).into(),
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
    claims(&mut o, &r.claims, true, lang);
    let cur = r.currency().map(|c| c.to_string()).unwrap_or_default();
    let _ = writeln!(
        o,
        "<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        Msg::SalesIn.fill(lang, &[&esc(&cur)]),
        t(Msg::SessionCol),
        t(Msg::OrdersCol),
        t(Msg::Placed),
        t(Msg::Paid),
        t(Msg::Refunded),
        t(Msg::RefundRateCol)
    );
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
            "<h2>{}</h2>\n<p>{}</p>",
            t(Msg::Exposure),
            Msg::ExposureLine.fill(
                lang,
                &[
                    &money(e.total(), &cur),
                    &grouped(e.orders),
                    &money(e.refund, &cur),
                    &money(e.compensation, &cur)
                ]
            )
        );
    }
    let _ = writeln!(
        o,
        "<h2>{}</h2>\n<p>{}</p>",
        t(Msg::Complaints),
        esc(&crate::words::complaints(r, lang))
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

fn axes(o: &mut String, minutes: usize, max: f64, label: &str, lang: Lang) {
    let _ = write!(
        o,
        r##"<line x1="{PAD}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><line x1="{PAD}" y1="36" x2="{PAD}" y2="{b}" stroke="#999"/><text x="4" y="44">{max}</text><text x="{PAD}" y="{t}">{zero}</text><text x="{r2}" y="{t}">{minutes}</text><text x="{mid}" y="{t}">{label}</text>"##,
        zero = Msg::MinuteZero.text(lang),
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
fn viewers_chart(t: &[Minute], lang: Lang) -> String {
    let mut o = svg_open(Msg::ChartViewers.text(lang), H);
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
    axes(&mut o, t.len(), max, Msg::AxisViewers.text(lang), lang);
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
        r#"<text x="{PAD}" y="16" fill="{OBSERVED}">{observed}</text><text x="{a}" y="16" fill="{REPORTED}">{reported}</text></svg><figcaption>{caption}</figcaption></figure>"#,
        a = PAD + 220.0,
        observed = Msg::LegendObserved.text(lang),
        reported = Msg::LegendReported.text(lang),
        caption = Msg::CaptionViewers.text(lang),
    );
    o
}

/// New viewers per minute, with the share judged bots.
fn arrivals_chart(t: &[Minute], lang: Lang) -> String {
    let mut o = svg_open(Msg::ChartArrivals.text(lang), H);
    let max = t.iter().map(|m| m.new_accounts).max().unwrap_or(1) as f64;
    axes(&mut o, t.len(), max, Msg::AxisArrivals.text(lang), lang);
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
        r#"<text x="{PAD}" y="16" fill="{OBSERVED}">{viewers}</text><text x="{a}" y="16" fill="{BOT}">{bots}</text></svg><figcaption>{caption}</figcaption></figure>"#,
        viewers = Msg::LegendViewers.text(lang),
        bots = Msg::LegendBots.text(lang),
        caption = Msg::CaptionArrivals.text(lang),
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
fn waterfall_chart(steps: &[(&str, i64, Bar)], lang: Lang) -> String {
    let mut o = svg_open(Msg::ChartWaterfall.text(lang), H);
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
    let _ = write!(
        o,
        "</svg><figcaption>{}</figcaption></figure>",
        Msg::CaptionWaterfall.text(lang)
    );
    o
}

/// The largest brushing group: buyers on the outer circle, the devices,
/// addresses and payment instruments they share inside.
fn ring_chart(g: &RingGraph, lang: Lang) -> String {
    let size = 420.0;
    let mut o = format!(
        r#"<figure><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="brushing group" viewBox="0 0 {size} {size}" width="{size}" height="{size}"><title>{title}</title>"#,
        title = Msg::LargestRing.text(lang)
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
    let _ = write!(
        o,
        r##"<text x="8" y="16" fill="#2563eb">{}</text><text x="8" y="32" fill="#7c3aed">{}</text><text x="8" y="48" fill="#059669">{}</text><text x="8" y="64" fill="#d97706">{}</text></svg><figcaption>{}</figcaption></figure>"##,
        Msg::LegendBuyer.text(lang),
        Msg::LegendDevice.text(lang),
        Msg::LegendAddress.text(lang),
        Msg::LegendPayment.text(lang),
        Msg::CaptionRing.text(lang)
    );
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
