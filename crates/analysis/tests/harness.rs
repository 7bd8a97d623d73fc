//! Runs the analysis on simulated sessions and scores it against their
//! truth. Shared by the tests and by `examples/evaluate.rs`, which writes
//! the precision/recall tables of docs/ANALYSIS.md.

#![allow(dead_code)]

use analysis::{Analyzer, Rules, SessionReport};
use events::{Body, Event};
use sim::{Config, Knobs, Scenario, Truth};
use std::collections::HashSet;

pub struct Outcome {
    pub truth: Truth,
    pub report: SessionReport,
    pub flags: Vec<&'static str>,
    /// Bot accounts: judged bots that are bots, judged bots, true bots.
    pub bots_found: u64,
    pub bots_judged: u64,
    pub bots_true: u64,
    /// Real viewers (observed unique − true bots) and how many were judged bots.
    pub humans: u64,
    pub humans_judged: u64,
    /// Brushing orders: found, suspected, true; real orders and how many were suspected.
    pub brushing_found: u64,
    pub brushing_judged: u64,
    pub brushing_true: u64,
    pub real_orders: u64,
    pub real_orders_judged: u64,
    /// Claims whose findings differ from the truth: (claim, truth, found).
    pub claim_errors: Vec<(String, Vec<&'static str>, Vec<&'static str>)>,
}

/// The truth's name for what a claim flag finds.
pub fn claim_kind(code: &str) -> &'static str {
    match code {
        "CLAIM_BANNED_TERM" => "banned_term",
        "CLAIM_MEDICAL" => "medical",
        "CLAIM_CONTRADICTED" => "contradicted",
        "CLAIM_UNSUPPORTED" => "unsupported",
        "CLAIM_UNAPPROVED" => "unapproved",
        _ => "other",
    }
}

/// Simulates one session and analyses it, feeding events in log order.
pub fn run(scenarios: &[Scenario], scale: f64, seed: u64) -> Outcome {
    run_with(scenarios, scale, seed, &Knobs::default())
}

/// As [`run`], with the simulator's stealth and confounder knobs.
pub fn run_with(scenarios: &[Scenario], scale: f64, seed: u64, knobs: &Knobs) -> Outcome {
    let (truth, events) = simulate(scenarios, scale, seed, knobs);
    let mut an = Analyzer::new(Rules::default());
    for (i, e) in events.iter().enumerate() {
        an.observe(i as u64, e);
    }
    score(truth, &an, &events)
}

pub fn simulate(
    scenarios: &[Scenario],
    scale: f64,
    seed: u64,
    knobs: &Knobs,
) -> (Truth, Vec<Event>) {
    let mut buf = Vec::new();
    let cfg = Config {
        scenarios: scenarios.to_vec(),
        scale,
        seed,
        session: None,
        knobs: knobs.clone(),
    };
    let truth = sim::simulate(&cfg, &mut buf).expect("simulate");
    let events = buf
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            events::prepare(l, None)
                .expect("simulated events are valid")
                .event
        })
        .collect();
    (truth, events)
}

pub fn score(truth: Truth, an: &Analyzer, events: &[Event]) -> Outcome {
    let report = an.session_report(&truth.session).expect("session analysed");
    let true_bots: HashSet<&str> = truth.bot_accounts.iter().map(String::as_str).collect();
    let mut bots_found = 0;
    for b in &report.viewers.observed.bots {
        match &events[b.first_join_leaf as usize].body {
            Body::ViewerJoined { account, .. } => {
                bots_found += true_bots.contains(account.as_str()) as u64
            }
            other => panic!("bot evidence is not a join: {other:?}"),
        }
    }
    let true_brushing: HashSet<&str> = truth.brushing_orders.iter().map(String::as_str).collect();
    let mut brushing_found = 0;
    let mut brushing_judged = 0;
    for ring in &report.sales.rings {
        for leaf in &ring.order_leaves {
            brushing_judged += 1;
            match &events[*leaf as usize].body {
                Body::OrderPlaced { order, .. } => {
                    brushing_found += true_brushing.contains(order.as_str()) as u64
                }
                other => panic!("ring evidence is not an order: {other:?}"),
            }
        }
    }
    let mut claim_errors = Vec::new();
    for c in &report.claims {
        let mut found: Vec<&'static str> =
            c.codes().iter().map(|k| claim_kind(k.as_str())).collect();
        found.sort();
        let id = c.claim.event.as_str();
        let mut truth_kinds = truth
            .claims
            .get(id)
            .cloned()
            .unwrap_or_else(|| vec!["(not in truth)"]);
        truth_kinds.sort();
        if found != truth_kinds {
            claim_errors.push((id.to_string(), truth_kinds, found));
        }
    }
    let bots_judged = report.viewers.suspected_bots();
    let placed = report.waterfall().placed_orders;
    Outcome {
        flags: report.flags.iter().map(|f| f.code.as_str()).collect(),
        bots_found,
        bots_judged,
        bots_true: true_bots.len() as u64,
        humans: report.viewers.observed.unique - true_bots.len() as u64,
        humans_judged: bots_judged - bots_found,
        brushing_found,
        brushing_judged,
        brushing_true: true_brushing.len() as u64,
        real_orders: placed - true_brushing.len() as u64,
        real_orders_judged: brushing_judged - brushing_found,
        claim_errors,
        truth,
        report,
    }
}

/// The flags a scenario must raise, and those it may raise as a consequence
/// (bots honestly counted do inflate views; brushing and refunds inflate GMV).
pub fn expected(scenarios: &[Scenario]) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut must = Vec::new();
    let mut may = Vec::new();
    for s in scenarios {
        match s {
            Scenario::InflatedViews => must.extend(["VIEWER_INFLATION", "GMV_INFLATION"]),
            Scenario::BotFarm => {
                must.push("BOT_VIEWERS");
                may.push("VIEWER_INFLATION");
            }
            Scenario::BrushingRing => {
                must.push("ORDER_BRUSHING");
                // Rings refund their orders: the session's refund rate
                // (report.md's REFUND_SURGE) may rise with them.
                may.extend(["GMV_INFLATION", "REFUND_SURGE"]);
            }
            Scenario::RefundSurge => {
                must.push("REFUND_SURGE");
                may.push("GMV_INFLATION");
            }
            Scenario::RentedAudience => {
                must.push("BOT_VIEWERS");
                may.push("VIEWER_INFLATION");
            }
            Scenario::CarefulBrushing => {
                must.push("ORDER_BRUSHING");
                may.extend(["GMV_INFLATION", "REFUND_SURGE"]);
            }
            Scenario::Clean
            | Scenario::FalseClaims
            | Scenario::AfterSales
            | Scenario::Confounders => {}
        }
    }
    (must, may)
}

/// Flags missing and flags raised without cause.
pub fn flag_errors(o: &Outcome, scenarios: &[Scenario]) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut must, may) = expected(scenarios);
    // Claim flags follow from the claims the truth says are false; a
    // contradicted claim's failed inspection also unqualifies the product.
    let kinds: HashSet<&str> = o.truth.claims.values().flatten().copied().collect();
    for code in [
        "CLAIM_BANNED_TERM",
        "CLAIM_MEDICAL",
        "CLAIM_CONTRADICTED",
        "CLAIM_UNSUPPORTED",
        "CLAIM_UNAPPROVED",
    ] {
        if kinds.contains(claim_kind(code)) {
            must.push(code);
        }
    }
    if kinds.contains("contradicted") {
        must.push("PRODUCT_UNQUALIFIED");
    }
    let missing = must
        .iter()
        .filter(|c| !o.flags.contains(c))
        .copied()
        .collect();
    let extra = o
        .flags
        .iter()
        .filter(|c| !must.contains(c) && !may.contains(c))
        .copied()
        .collect();
    (missing, extra)
}
