//! Builds the session report from the state: the audience and its bots,
//! the sales and their rings, the timeline, then every flag.

use crate::authenticity::flags;
use crate::authenticity::report::{Minute, SessionReport, Viewers};
use crate::authenticity::sales;
use crate::authenticity::viewers::{self, Audience};
use crate::claims::finding;
use crate::rules::Rules;
use crate::state::{Metric, Session, State};

/// Minutes drawn in the timeline at most (a bad timestamp must not make it huge).
const MAX_MINUTES: i64 = 24 * 60;

/// The report of the session at `ix`, as of the events observed so far.
pub(crate) fn session_report(st: &State, rules: &Rules, ix: usize) -> SessionReport {
    let s = &st.sessions[ix];
    let mut metrics: Vec<&Metric> = s.metrics.iter().collect();
    metrics.sort_by_key(|m| (m.ms, m.leaf));
    let last = |f: fn(&Metric) -> Option<i64>| metrics.iter().rev().find_map(|m| f(m));
    let audience = viewers::audience(st, ix, &rules.bot);
    let viewers = Viewers {
        reported_views: metrics.iter().rev().find_map(|m| m.views),
        reported_peak_online: metrics.iter().filter_map(|m| m.online).max(),
        observed: audience,
    };
    let sales = sales::sales(st, rules, s);
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
            .map(|ring| sales::ring_graph(st, ring, 40)),
        viewers,
        sales,
        flags: Vec::new(),
        claims: Vec::new(),
        notes: Vec::new(),
        interventions: st
            .registry
            .interventions
            .iter()
            .filter(|i| i.session == s.id)
            .cloned()
            .collect(),
        alerts: Vec::new(),
    };
    // Each alert with how long it waited for an intervention answering it.
    r.alerts = st
        .registry
        .alerts
        .iter()
        .filter(|a| a.session == s.id)
        .map(|a| {
            let answer = r
                .interventions
                .iter()
                .filter(|i| {
                    i.alert
                        .as_deref()
                        .is_some_and(|x| x == a.alert || x == a.event.as_str())
                        && i.at >= a.at
                })
                .map(|i| i.at - a.at)
                .min();
            (a.clone(), answer)
        })
        .collect();
    if s.started.is_none() {
        r.notes
            .push("no session_started event: anchor, platform and start are unknown".into());
    }
    let dangling = sales::dangling_orders(st);
    if dangling > 0 {
        r.notes.push(format!(
            "{dangling} order(s) in the log have payment, refund or cancellation events but were never placed (dangling references)"
        ));
    }
    r.flags = flags::session_flags(st, rules, s, &r, &metrics);
    r.claims = finding::check_claims(st, rules, s.claims.iter().copied());
    r.flags.extend(finding::claim_flags(&r.claims));
    r.flags.extend(finding::listing_flags(
        st,
        rules,
        s.listed
            .iter()
            .map(|(p, leaf, at)| (p.as_str(), *leaf, *at)),
    ));
    r
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
    for (sec, t) in &s.crowd.seconds {
        if let Some(m) = slot(sec * 1000) {
            out[m].joins += u64::from(t.joins);
            out[m].new_accounts += u64::from(t.new_accounts);
            deltas[m] += i64::from(t.joins) - i64::from(t.leaves);
        }
    }
    for b in &a.bots {
        if let Some(m) = slot(s.crowd.accounts[b.account as usize].first_join_ms) {
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
