//! Precision and recall of the authenticity analysis over many simulated
//! sessions; prints the tables of docs/ANALYSIS.md.
//!
//! cargo run --release -p analysis --example evaluate -- [SEEDS] [SCALE...]

#[path = "../tests/harness.rs"]
mod harness;

use harness::{flag_errors, run, run_with};
use sim::Scenario;

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.2}% ({a}/{b})", 100.0 * a as f64 / b as f64)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = seeds_or(&args, 20);
    let scales: Vec<f64> = if args.len() > 1 {
        args[1..].iter().filter_map(|s| s.parse().ok()).collect()
    } else {
        vec![0.0002, 0.002]
    };
    let cases: Vec<(&str, Vec<Scenario>)> = vec![
        ("clean", vec![Scenario::Clean]),
        ("inflated-views", vec![Scenario::InflatedViews]),
        (
            "inflated-views + bot-farm",
            vec![Scenario::InflatedViews, Scenario::BotFarm],
        ),
        ("bot-farm", vec![Scenario::BotFarm]),
        ("brushing-ring", vec![Scenario::BrushingRing]),
        ("refund-surge", vec![Scenario::RefundSurge]),
        (
            "false-claims + after-sales",
            vec![Scenario::FalseClaims, Scenario::AfterSales],
        ),
        (
            "all at once",
            vec![
                Scenario::InflatedViews,
                Scenario::BotFarm,
                Scenario::BrushingRing,
                Scenario::RefundSurge,
            ],
        ),
    ];
    if args.first().map(String::as_str) == Some("stealth") {
        return stealth(seeds_or(&args, 5));
    }
    println!("| scale | scenario | sessions | missed flags | false alarms | bot recall | bot precision | humans judged bots | brushing recall | brushing precision | real orders judged brushing |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &scale in &scales {
        for (name, scenarios) in &cases {
            let mut t = [0u64; 10];
            let (mut missed, mut extra) = (Vec::new(), Vec::new());
            for seed in 1..=seeds {
                let o = run(scenarios, scale, 1000 + seed);
                let (m, e) = flag_errors(&o, scenarios);
                missed.extend(m.into_iter().map(|c| format!("{c} (seed {})", 1000 + seed)));
                extra.extend(e.into_iter().map(|c| format!("{c} (seed {})", 1000 + seed)));
                for (k, x) in [
                    o.bots_found,
                    o.bots_judged,
                    o.bots_true,
                    o.humans,
                    o.humans_judged,
                    o.brushing_found,
                    o.brushing_judged,
                    o.brushing_true,
                    o.real_orders,
                    o.real_orders_judged,
                ]
                .into_iter()
                .enumerate()
                {
                    t[k] += x;
                }
            }
            let list = |v: &Vec<String>| {
                if v.is_empty() {
                    "0".to_string()
                } else {
                    format!("{}: {}", v.len(), v.join(", "))
                }
            };
            println!(
                "| {scale} | {name} | {seeds} | {} | {} | {} | {} | {} | {} | {} | {} |",
                list(&missed),
                list(&extra),
                pct(t[0], t[2]),
                precision(t[0], t[1], t[2]),
                pct(t[4], t[3]),
                pct(t[5], t[7]),
                precision(t[5], t[6], t[7]),
                pct(t[9], t[8]),
            );
        }
    }
}

/// Precision, or how many were judged when there was nothing to find.
fn precision(found: u64, judged: u64, truth: u64) -> String {
    if truth == 0 {
        format!("– ({judged} judged)")
    } else {
        pct(found, judged)
    }
}

fn seeds_or(args: &[String], default: u64) -> u64 {
    args.iter().find_map(|s| s.parse().ok()).unwrap_or(default)
}

/// One point of the stealth grid: scenarios and knobs.
struct Point {
    name: &'static str,
    scenarios: Vec<Scenario>,
    knobs: &'static [&'static str],
}

/// The grid of docs/ANALYSIS.md: from blatant to careful fraud, and the
/// honest look-alikes. `tests/stealth.rs` asserts its named points.
fn grid() -> Vec<Point> {
    use Scenario::*;
    let p = |name, scenarios: &[Scenario], knobs| Point {
        name,
        scenarios: scenarios.to_vec(),
        knobs,
    };
    vec![
        p("farm: 40 per device, 500 per network, fresh, waves, 5-min timer", &[BotFarm], &[]),
        p("farm: own devices", &[BotFarm], &["accounts_per_device=1"]),
        p("farm: own devices and networks", &[BotFarm], &["accounts_per_device=1", "accounts_per_network=1"]),
        p("farm: … and a year old", &[BotFarm], &["accounts_per_device=1", "accounts_per_network=1", "account_age_days=365"]),
        p("farm: … arriving over 10 minutes", &[BotFarm], &["accounts_per_device=1", "accounts_per_network=1", "account_age_days=365", "join_spread_secs=600"]),
        p("farm: … leaving over 10 minutes", &[BotFarm], &["accounts_per_device=1", "accounts_per_network=1", "account_age_days=365", "join_spread_secs=600", "leave_spread_secs=600"]),
        p("rented: aged, own devices and networks, 3 rooms at once", &[RentedAudience], &[]),
        p("rented: 3 rooms on other days", &[RentedAudience], &["rental_concurrent=false"]),
        p("rented: 1 room on another day", &[RentedAudience], &["rental_concurrent=false", "rental_rooms=1"]),
        p("rented: 3 rooms at once, leaving over 20 minutes", &[RentedAudience], &["leave_spread_secs=1200"]),
        p("rented: 3 rooms on other days, leaving over 20 minutes", &[RentedAudience], &["rental_concurrent=false", "leave_spread_secs=1200"]),
        p("rented: 3 rooms at once, 30% like once", &[RentedAudience], &["interaction_rate=0.3"]),
        p("rented: no other room seen", &[RentedAudience], &["rental_rooms=0"]),
        p("ring: shared devices, addresses, cards; bursts; refunded", &[BrushingRing], &[]),
        p("careful ring: own devices and addresses, 4 per card, 3-4 orders an hour, watching, most delivered", &[CarefulBrushing], &[]),
        p("careful ring: 2 orders an hour", &[CarefulBrushing], &["ring_orders=2"]),
        p("careful ring: nothing shared", &[CarefulBrushing], &["ring_per_payment=1"]),
        p("honest: office NAT, family tablets and cards, push, lurkers, fans in other rooms", &[Confounders], &[]),
        p("honest: 2,000 in one office, a 20% push, 20% lurkers", &[Confounders], &["office_accounts=2000", "push_share=0.2", "lurker_share=0.2"]),
    ]
}

fn knobs(list: &[&str]) -> sim::Knobs {
    let mut k = sim::Knobs::default();
    for x in list {
        k.set(x).expect("grid knob");
    }
    k
}

/// Recall and precision over the stealth grid.
fn stealth(seeds: u64) {
    println!("| point | scenario | knobs | recall | precision | real ones judged fake | must-flag raised | false alarms |");
    println!("|---|---|---|---|---|---|---|---|");
    for pt in grid() {
        let k = knobs(pt.knobs);
        let (mut t, mut raised, mut extra) = ([0u64; 6], 0, Vec::new());
        let brushing = pt
            .scenarios
            .iter()
            .any(|s| matches!(s, Scenario::BrushingRing | Scenario::CarefulBrushing));
        for seed in 1..=seeds {
            let o = run_with(&pt.scenarios, 0.002, 2000 + seed, &k);
            let (missed, e) = flag_errors(&o, &pt.scenarios);
            raised += missed.is_empty() as u64;
            extra.extend(e.into_iter().map(|c| format!("{c} (seed {})", 2000 + seed)));
            let row = if brushing {
                [
                    o.brushing_found,
                    o.brushing_judged,
                    o.brushing_true,
                    o.real_orders,
                    o.real_orders_judged,
                    0,
                ]
            } else {
                [
                    o.bots_found,
                    o.bots_judged,
                    o.bots_true,
                    o.humans,
                    o.humans_judged,
                    0,
                ]
            };
            for (x, y) in t.iter_mut().zip(row) {
                *x += y;
            }
        }
        let names: Vec<&str> = pt.scenarios.iter().map(|s| s.name()).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {raised} of {seeds} | {} |",
            pt.name,
            names.join(", "),
            if pt.knobs.is_empty() {
                "–".to_string()
            } else {
                pt.knobs.join(" ")
            },
            pct(t[0], t[2]),
            precision(t[0], t[1], t[2]),
            pct(t[4], t[3]),
            if extra.is_empty() {
                "0".to_string()
            } else {
                extra.join(", ")
            },
        );
    }
}
