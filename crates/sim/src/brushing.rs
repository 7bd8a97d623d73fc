//! Brushing rings. `brushing-ring`: accounts sharing devices, addresses
//! and payment instruments buy one product in a tight burst every 25
//! minutes, mostly without watching, pay at once and are refunded days
//! later. `careful-brushing`: each account on its own phone and address,
//! watching before it buys, but a handful share one payment instrument,
//! and each places several orders of one product within an hour (the
//! concentration Shopee's rule looks for); most parcels are "delivered"
//! empty, some refunded days later.

use crate::config::{Config, Plan, Scenario};
use crate::orders::{Brushing, OrderBook, OrderRec};
use crate::registry::Product;
use crate::stream::{q, Kind, Sim};

/// The rings' orders due in `minute`, if any.
pub(crate) fn burst(
    sim: &mut Sim,
    cfg: &Config,
    plan: &Plan,
    products: &[Product],
    minute: i64,
    book: &mut OrderBook,
) {
    let k = &cfg.knobs;
    let size = k.ring_size.map_or_else(
        || ((plan.humans as f64 * 0.004) as u64).clamp(12, 5_000),
        u64::from,
    );
    let ring = |per_payment: u32| Ring {
        size,
        orders: k.ring_orders,
        per_payment: u64::from(k.ring_per_payment.unwrap_or(per_payment)),
    };
    if cfg.has(Scenario::BrushingRing) && minute % 25 == 12 {
        blatant(sim, plan, products, minute, book, &ring(8));
    }
    if cfg.has(Scenario::CarefulBrushing) && minute % 60 == 30 {
        careful(sim, plan, products, minute, book, &ring(4));
    }
}

/// A ring's size and habits (knobs, or the scenario's defaults).
struct Ring {
    size: u64,
    /// Orders per account and burst; `None`: the scenario's own range.
    orders: Option<u32>,
    per_payment: u64,
}

fn blatant(
    sim: &mut Sim,
    plan: &Plan,
    products: &[Product],
    minute: i64,
    book: &mut OrderBook,
    ring: &Ring,
) {
    let tag = &plan.tag;
    let m_ms = minute * 60_000;
    let p = &products[(minute as usize / 25) % products.len()];
    let t0 = m_ms + 5_000 + sim.rng.range(0, 25_000) as i64;
    for r in 0..ring.size {
        let account = format!("{tag}-ring{r}");
        if sim.truth.brushing_accounts.len() < ring.size as usize {
            sim.truth.brushing_accounts.push(account.clone());
        }
        let n = ring.orders.map_or_else(|| sim.rng.range(1, 4), u64::from);
        for _ in 0..n {
            let t = t0 + sim.rng.range(0, 20_000) as i64;
            if sim.rng.chance(0.3) {
                // Some show up in the stream, just long enough to buy.
                let body = format!(
                    r#""session":{},"account":{},"device":"{tag}-rdev{}""#,
                    q(tag),
                    q(&account),
                    r / 10
                );
                sim.push(
                    t - 3_000,
                    Kind::Join { human: false },
                    "viewer_joined",
                    body,
                );
                sim.push(
                    t + 2_000,
                    Kind::Leave { human: false },
                    "viewer_left",
                    format!(r#""session":{},"account":{}"#, q(tag), q(&account)),
                );
            }
            let keys = format!(
                r#""device":"{tag}-rdev{}","address":"{tag}-raddr{}","payment":"{tag}-rpay{}""#,
                r / 10,
                r / 15,
                r / ring.per_payment
            );
            place(sim, plan, book, p, &account, t, &keys, Brushing::Ring);
        }
    }
}

fn careful(
    sim: &mut Sim,
    plan: &Plan,
    products: &[Product],
    minute: i64,
    book: &mut OrderBook,
    ring: &Ring,
) {
    let tag = &plan.tag;
    let m_ms = minute * 60_000;
    let p = &products[(minute as usize / 60 * 7) % products.len()];
    for r in 0..ring.size {
        let account = format!("{tag}-cring{r}");
        if sim.truth.brushing_accounts.len() < ring.size as usize {
            sim.truth.brushing_accounts.push(account.clone());
        }
        let n = ring.orders.map_or_else(|| sim.rng.range(3, 5), u64::from);
        // Orders spread over the hour, one after another.
        let mut times: Vec<i64> = (0..n)
            .map(|_| m_ms + sim.rng.range(0, 50 * 60_000) as i64)
            .collect();
        times.sort_unstable();
        let (first, last) = (times[0], times[times.len() - 1]);
        // Watching like a real buyer: minutes before the first order, and
        // through the last.
        let join = first - sim.rng.range(120_000, 600_000) as i64;
        sim.push(
            join,
            Kind::Join { human: false },
            "viewer_joined",
            format!(
                r#""session":{},"account":{},"device":"{tag}-cdev{r}","ip":"{tag}-cnet{r}""#,
                q(tag),
                q(&account)
            ),
        );
        let leave = last + sim.rng.range(60_000, 300_000) as i64;
        sim.push(
            leave,
            Kind::Leave { human: false },
            "viewer_left",
            format!(r#""session":{},"account":{}"#, q(tag), q(&account)),
        );
        let keys = format!(
            r#""device":"{tag}-cdev{r}","address":"{tag}-caddr{r}","payment":"{tag}-cpay{}""#,
            r / ring.per_payment
        );
        for t in times {
            place(sim, plan, book, p, &account, t, &keys, Brushing::Careful);
        }
    }
}

/// One ring order of `p`, paid at once.
#[allow(clippy::too_many_arguments)]
fn place(
    sim: &mut Sim,
    plan: &Plan,
    book: &mut OrderBook,
    p: &Product,
    account: &str,
    t: i64,
    keys: &str,
    kind: Brushing,
) {
    let tag = &plan.tag;
    let order = book.next_order(plan);
    let amount = p.price;
    sim.push(
        t,
        Kind::Other,
        "order_placed",
        format!(
            r#""session":{},"order":{},"product":{},"account":{},"quantity":1,"amount":{amount},"currency":"CNY",{keys}"#,
            q(tag),
            q(&order),
            q(&p.id),
            q(account)
        ),
    );
    sim.push(
        t + 5_000,
        Kind::Other,
        "order_paid",
        format!(r#""order":{},"amount":{amount}"#, q(&order)),
    );
    sim.truth.brushing_orders.push(order);
    sim.truth.brushing_gmv += amount;
    book.placed += 1;
    book.paid_gmv += amount;
    book.recs.push(OrderRec {
        number: book.recs.len() as u32,
        at_ms: t,
        amount,
        paid: true,
        brushing: kind,
        product: 0,
    });
}
