//! Precision and recall of the authenticity analysis over many simulated
//! sessions; prints the tables of docs/ANALYSIS.md.
//!
//! cargo run --release -p analysis --example evaluate -- [SEEDS] [SCALE...]

#[path = "../tests/harness.rs"]
mod harness;

use harness::{flag_errors, run, run_with, Stealth};
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

/// Bot recall as the farm's tell-tale signals are taken away, one by one.
fn stealth(seeds: u64) {
    println!("| bots | bot recall | humans judged bots | BOT_VIEWERS raised |");
    println!("|---|---|---|---|");
    for (name, s) in [
        (
            "simulated farm (40 per device, 500 per network, fresh, waves)",
            Stealth::None,
        ),
        ("each bot on its own device", Stealth::OwnDevices),
        ("own device and own network", Stealth::OwnDevicesAndNetworks),
        (
            "own device and network, accounts a year old",
            Stealth::AgedAccounts,
        ),
    ] {
        let (mut found, mut total, mut humans, mut judged, mut flagged) = (0, 0, 0, 0, 0);
        for seed in 1..=seeds {
            let o = run_with(&[Scenario::BotFarm], 0.002, 2000 + seed, s);
            found += o.bots_found;
            total += o.bots_true;
            humans += o.humans;
            judged += o.humans_judged;
            flagged += o.flags.contains(&"BOT_VIEWERS") as u64;
        }
        println!(
            "| {name} | {} | {} | {flagged} of {seeds} |",
            pct(found, total),
            pct(judged, humans)
        );
    }
}
