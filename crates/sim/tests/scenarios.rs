//! The simulator's promises: deterministic per seed, valid under the input
//! contract, truth that agrees with the events, and each scenario with the
//! statistical shape it claims.

use serde_json::Value;
use sim::{simulate, Config, Scenario, Truth};
use std::collections::{HashMap, HashSet};

fn run(scenarios: &[Scenario], scale: f64, seed: u64) -> (Vec<Value>, Truth, Vec<u8>) {
    let mut out = Vec::new();
    let truth = simulate(
        &Config {
            scenarios: scenarios.to_vec(),
            scale,
            seed,
            session: None,
            knobs: Default::default(),
        },
        &mut out,
    )
    .unwrap();
    let events = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    (events, truth, out)
}

fn of_type<'a>(events: &'a [Value], ty: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == ty).collect()
}

#[test]
fn deterministic_per_seed_and_different_across_seeds() {
    let (_, _, a) = run(&[Scenario::BotFarm, Scenario::BrushingRing], 0.0002, 42);
    let (_, _, b) = run(&[Scenario::BotFarm, Scenario::BrushingRing], 0.0002, 42);
    let (_, _, c) = run(&[Scenario::BotFarm, Scenario::BrushingRing], 0.0002, 43);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_event_is_valid_under_the_contract_and_ids_are_unique() {
    let all = [
        Scenario::InflatedViews,
        Scenario::BotFarm,
        Scenario::BrushingRing,
        Scenario::RefundSurge,
        Scenario::FalseClaims,
        Scenario::AfterSales,
        Scenario::RentedAudience,
        Scenario::CarefulBrushing,
        Scenario::Confounders,
    ];
    let (_, truth, out) = run(&all, 0.0002, 7);
    let mut ids = HashSet::new();
    let mut n = 0;
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let p = events::prepare(line, None)
            .unwrap_or_else(|r| panic!("{r}: {}", String::from_utf8_lossy(line)));
        assert!(
            ids.insert(p.event.id.0.clone()),
            "duplicate id {}",
            p.event.id
        );
        n += 1;
    }
    assert_eq!(n, truth.events);
}

#[test]
fn truth_agrees_with_the_events() {
    let (events, truth, _) = run(
        &[
            Scenario::BotFarm,
            Scenario::BrushingRing,
            Scenario::FalseClaims,
        ],
        0.0003,
        11,
    );
    let joins = of_type(&events, "viewer_joined");
    let bots: HashSet<&str> = truth.bot_accounts.iter().map(String::as_str).collect();
    let ring: HashSet<&str> = truth.brushing_accounts.iter().map(String::as_str).collect();
    let human_joins = joins.iter().filter(|e| {
        let a = e["account"].as_str().unwrap();
        !bots.contains(a) && !ring.contains(a)
    });
    let human_accounts: HashSet<&str> = human_joins
        .clone()
        .map(|e| e["account"].as_str().unwrap())
        .collect();
    assert_eq!(human_joins.count() as u64, truth.human_views);
    assert_eq!(human_accounts.len() as u64, truth.human_accounts);
    let joined_bots: HashSet<&str> = joins
        .iter()
        .map(|e| e["account"].as_str().unwrap())
        .filter(|a| bots.contains(a))
        .collect();
    assert_eq!(joined_bots.len(), bots.len());
    // Brushing orders are exactly the ring's orders.
    let placed = of_type(&events, "order_placed");
    let ring_orders: HashSet<&str> = placed
        .iter()
        .filter(|e| ring.contains(e["account"].as_str().unwrap()))
        .map(|e| e["order"].as_str().unwrap())
        .collect();
    let truth_orders: HashSet<&str> = truth.brushing_orders.iter().map(String::as_str).collect();
    assert_eq!(ring_orders, truth_orders);
    assert_eq!(
        placed.len() as u64 - truth.brushing_orders.len() as u64,
        truth.human_orders
    );
    // Reported figures are the last metrics_reported.
    let last = of_type(&events, "metrics_reported").pop().unwrap().clone();
    assert_eq!(last["views"].as_u64().unwrap(), truth.reported_views);
    // Every claim in the truth is in the events, and vice versa.
    let claims: HashSet<&str> = of_type(&events, "claim")
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(claims, truth.claims.keys().map(String::as_str).collect());
    assert!(truth.claims.values().any(|k| k.contains(&"contradicted")));
}

#[test]
fn clean_stream_has_the_shape_of_a_real_audience() {
    let (events, truth, _) = run(&[Scenario::Clean], 0.001, 3);
    assert!(truth.bot_accounts.is_empty() && truth.brushing_orders.is_empty());
    // Heavy-tailed watch times: median about two minutes, a long tail.
    let mut w = truth.watch_secs_sample.clone();
    w.sort_by(f64::total_cmp);
    let median = w[w.len() / 2];
    let p95 = w[w.len() * 95 / 100];
    assert!((90.0..160.0).contains(&median), "median watch {median}s");
    assert!(p95 > 5.0 * median, "tail: p95 {p95}s vs median {median}s");
    // Re-entries: about 1.3 joins per viewer.
    let ratio = truth.human_views as f64 / truth.human_accounts as f64;
    assert!((1.15..1.45).contains(&ratio), "joins per viewer {ratio}");
    // Refunds at a normal rate (4–8% of paid GMV).
    let rate = truth.refunded_gmv as f64 / truth.paid_gmv as f64;
    assert!((0.03..0.09).contains(&rate), "refund rate {rate}");
    // Honest metrics: reported views equal observed joins.
    assert_eq!(
        truth.reported_views,
        of_type(&events, "viewer_joined").len() as u64
    );
    // Orders cluster after product drops: most within 5 minutes of one.
    let drops: Vec<i64> = of_type(&events, "product_listed")
        .iter()
        .map(|e| ts(e))
        .collect();
    let orders = of_type(&events, "order_placed");
    let near = orders
        .iter()
        .filter(|o| drops.iter().any(|d| (0..300_000).contains(&(ts(o) - d))))
        .count();
    assert!(
        near as f64 > 0.6 * orders.len() as f64,
        "{near} of {} orders near a drop",
        orders.len()
    );
    // Confounders present: shared family devices, brand-new accounts, crowd chants.
    let mut per_device: HashMap<&str, HashSet<&str>> = HashMap::new();
    for j in of_type(&events, "viewer_joined") {
        per_device
            .entry(j["device"].as_str().unwrap())
            .or_default()
            .insert(j["account"].as_str().unwrap());
    }
    assert!(
        per_device.values().any(|a| a.len() >= 2),
        "families share devices"
    );
    assert!(
        per_device.values().all(|a| a.len() <= 3),
        "but no device farms"
    );
    assert!(
        of_type(&events, "comment")
            .iter()
            .filter(|c| c["text"] == "666")
            .count()
            > 10
    );
}

fn ts(e: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

#[test]
fn scenarios_have_their_signatures() {
    let (events, truth, _) = run(&[Scenario::InflatedViews, Scenario::BotFarm], 0.0005, 5);
    let joins = of_type(&events, "viewer_joined").len() as u64;
    assert!(
        truth.reported_views >= 15 * joins,
        "inflated: {} vs {joins}",
        truth.reported_views
    );
    assert!(truth.bot_accounts.len() as f64 > 0.4 * truth.human_accounts as f64);
    let bots: HashSet<&str> = truth.bot_accounts.iter().map(String::as_str).collect();
    let mut per_device: HashMap<&str, usize> = HashMap::new();
    for j in of_type(&events, "viewer_joined")
        .iter()
        .filter(|j| bots.contains(j["account"].as_str().unwrap()))
    {
        *per_device.entry(j["device"].as_str().unwrap()).or_default() += 1;
    }
    assert!(
        per_device
            .values()
            .all(|&n| n >= 20 || n == truth.bot_accounts.len() % 40),
        "device farms"
    );

    let (events, truth, _) = run(&[Scenario::BrushingRing], 0.0005, 6);
    let ring_orders: HashSet<&str> = truth.brushing_orders.iter().map(String::as_str).collect();
    let addrs: HashSet<&str> = of_type(&events, "order_placed")
        .iter()
        .filter(|o| ring_orders.contains(o["order"].as_str().unwrap()))
        .map(|o| o["address"].as_str().unwrap())
        .collect();
    assert!(
        addrs.len() * 5 < ring_orders.len(),
        "ring orders share addresses"
    );

    let (_, surge, _) = run(&[Scenario::RefundSurge], 0.0005, 8);
    assert!(surge.refunded_gmv as f64 > 0.3 * surge.paid_gmv as f64);

    let (events, _, _) = run(&[Scenario::AfterSales], 0.0005, 9);
    let cats: HashSet<&str> = of_type(&events, "complaint")
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(cats.len(), 5, "every complaint category: {cats:?}");
}

/// The careful fraud and the honest look-alikes have the shape they claim.
#[test]
fn careful_fraud_and_confounders_have_their_signatures() {
    // A rental: the truth's rented accounts sit in this session and in
    // three other anchors' rooms, at the same time, in silence.
    let (ev, truth, _) = run(&[Scenario::RentedAudience], 0.0002, 3);
    let rented: HashSet<&str> = truth.bot_accounts.iter().map(String::as_str).collect();
    assert!(rented.len() >= 60);
    let rooms: HashSet<&str> = of_type(&ev, "session_started")
        .iter()
        .filter_map(|e| e["session"].as_str())
        .collect();
    assert_eq!(rooms.len(), 4, "{rooms:?}");
    let mut seen_in: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in of_type(&ev, "viewer_joined") {
        if let Some(a) = e["account"].as_str().filter(|a| rented.contains(a)) {
            seen_in
                .entry(a)
                .or_default()
                .insert(e["session"].as_str().unwrap());
        }
    }
    let elsewhere = seen_in.values().filter(|s| s.len() >= 2).count();
    assert!(
        elsewhere * 10 >= rented.len() * 8,
        "{elsewhere} of {}",
        rented.len()
    );
    for ty in ["comment", "like", "order_placed"] {
        assert!(of_type(&ev, ty)
            .iter()
            .all(|e| !rented.contains(e["account"].as_str().unwrap_or(""))));
    }
    // A careful ring: each buyer several orders within an hour, on its own
    // device and address, a card shared by four.
    let (ev, truth, _) = run(&[Scenario::CarefulBrushing], 0.0002, 3);
    let ring: HashSet<&str> = truth.brushing_orders.iter().map(String::as_str).collect();
    let orders: Vec<&Value> = of_type(&ev, "order_placed")
        .into_iter()
        .filter(|e| ring.contains(e["order"].as_str().unwrap()))
        .collect();
    let mut per_buyer: HashMap<&str, u32> = HashMap::new();
    let (mut devices, mut cards) = (HashSet::new(), HashSet::new());
    for o in &orders {
        *per_buyer.entry(o["account"].as_str().unwrap()).or_default() += 1;
        devices.insert(o["device"].as_str().unwrap());
        cards.insert(o["payment"].as_str().unwrap());
    }
    assert!(per_buyer.values().all(|n| *n >= 3));
    assert_eq!(devices.len(), per_buyer.len());
    assert_eq!(cards.len(), per_buyer.len().div_ceil(4));
    // Confounders: one office address holds hundreds; a push brings 5% of
    // the audience within seconds.
    let (ev, truth, _) = run(&[Scenario::Confounders], 0.0002, 3);
    let joins = of_type(&ev, "viewer_joined");
    let office = joins
        .iter()
        .filter(|e| {
            e["ip"]
                .as_str()
                .is_some_and(|ip| ip.ends_with("-office-nat"))
        })
        .count();
    assert!(office >= 200, "{office}");
    let start = ts(of_type(&ev, "session_started")[0]);
    let pushed = joins
        .iter()
        .filter(|e| (3_630_000..3_634_000).contains(&(ts(e) - start)))
        .count() as u64;
    assert!(pushed * 20 >= truth.human_accounts * 9 / 10, "{pushed}");
}
