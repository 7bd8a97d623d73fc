//! A live-commerce simulator with known truth.
//!
//! One call to [`simulate`] writes one live session — registry facts, the
//! stream (joins, leaves, comments, likes, claims, reported metrics, orders)
//! and what follows it for weeks (payments, refunds, deliveries,
//! complaints) — as NDJSON of `docs/spec/events.md`, and returns the
//! [`Truth`]: which accounts are bots, which orders are brushing, the real
//! figures, which claims are false. Scenarios are modifiers of one honest
//! base stream and compose freely. See `docs/SIMULATION.md` for the model
//! and where each default comes from.
//!
//! Memory stays bounded by the stream's concurrency: viewers are generated
//! in arrival order and their events leave through a time-ordered heap as
//! soon as the clock passes them; only a compact record per order is kept
//! for the after-sales weeks.
//!
//! The phases, in the order they run, one module each: `registry` facts
//! before the stream, `claims` at each drop, then each minute on air the
//! human `audience` (whose purchases go to `orders`), a `bots` wave, a
//! `brushing` burst and the platform's `metrics`; then the weeks of
//! `after_sales`. `stream` orders and writes the events.

mod after_sales;
mod audience;
mod bots;
mod brushing;
mod claims;
mod config;
mod metrics;
mod orders;
mod registry;
pub mod rng;
mod rooms;
mod stream;
mod truth;

pub use config::{Config, Knobs, Scenario, DEBUT_ORDERS, DEBUT_VIEWS, JOINS_PER_VIEWER};
pub use truth::Truth;

use audience::Audience;
use config::{Plan, STREAM_SECS};
use metrics::Display;
use orders::OrderBook;
use registry::Product;
use rng::Rng;
use std::io::{self, Write};
use stream::{q, Sim};

/// Writes one simulated session to `out` and returns its truth.
pub fn simulate(cfg: &Config, out: &mut dyn Write) -> io::Result<Truth> {
    // The same seed must give the same bytes forever, so the draws are
    // taken in a fixed order: fork 1 for the stream, then the products'
    // prices from the root, then fork 2 for the weeks after.
    let mut rng = Rng::new(cfg.seed);
    let plan = Plan::new(cfg);
    let truth = Truth {
        session: plan.tag.clone(),
        scenarios: cfg.scenarios.iter().map(Scenario::name).collect(),
        ..Truth::default()
    };
    let mut sim = Sim::new(out, rng.fork(1), plan.tag.clone(), plan.start, truth);
    let mut products = registry::register(&mut sim, &mut rng, cfg, &plan)?;
    registry::start_session(&mut sim, cfg, &plan)?;
    claims::schedule_drops(&mut sim, &plan, &mut products);
    rooms::during(&mut sim, cfg, &plan)?;
    let book = on_air(&mut sim, cfg, &plan, &products)?;
    let fans = sim.truth.human_accounts;
    rooms::after(&mut sim, cfg, &plan, fans)?;
    after_sales::follow_up(&mut sim, &mut rng.fork(2), cfg, &plan, &products, &book)?;
    sim.flush(i64::MAX)?;
    sim.truth.real_gmv = sim.truth.paid_gmv - sim.truth.refunded_gmv;
    Ok(sim.truth)
}

/// The three hours on air, a minute at a time: the minute's arrivals, bot
/// wave and brushing burst are scheduled, everything due by its end is
/// written, and the platform reports its figures. Returns the orders.
fn on_air(sim: &mut Sim, cfg: &Config, plan: &Plan, products: &[Product]) -> io::Result<OrderBook> {
    let mut audience = Audience::new(cfg, plan, products);
    let mut farm = bots::Farm::new(cfg, plan);
    let display = Display::new(cfg);
    let mut book = OrderBook::default();
    for minute in 0..(STREAM_SECS / 60) {
        let m_ms = minute * 60_000;
        audience.arrive(sim, minute, &mut book);
        farm.wave(sim, plan, minute);
        brushing::burst(sim, cfg, plan, products, minute, &mut book);
        sim.flush(m_ms + 60_000)?;
        display.report(sim, plan, m_ms, &book)?;
    }
    sim.flush(i64::MAX)?;
    sim.write_now(
        STREAM_SECS * 1000,
        "session_ended",
        format!(r#""session":{}"#, q(&plan.tag)),
    )?;
    Ok(book)
}
