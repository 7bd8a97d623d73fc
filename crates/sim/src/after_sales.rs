//! The weeks after the stream: every paid order is refunded or delivered,
//! and some draw a complaint (more with `refund-surge` and `after-sales`;
//! brushing orders are nearly all refunded). All are drawn first, then
//! written in time order.

use crate::config::{Config, Plan, Scenario};
use crate::orders::{Brushing, OrderBook, OrderRec};
use crate::registry::Product;
use crate::rng::Rng;
use crate::stream::{q, Sim};
use crate::truth::Truth;
use std::io;

const DAY_MS: i64 = 86_400_000;
const COMPLAINT_CATEGORIES: [&str; 5] = [
    "quality",
    "false_advertising",
    "counterfeit",
    "not_delivered",
    "other",
];

/// An event after the stream: time, draw number, type, body. Sorted as a
/// whole, so equal times keep a fixed order.
type Later = (i64, u64, &'static str, String);

/// Writes what follows every paid order in `book`, drawing from `rng`.
pub(crate) fn follow_up(
    sim: &mut Sim,
    rng: &mut Rng,
    cfg: &Config,
    plan: &Plan,
    products: &[Product],
    book: &OrderBook,
) -> io::Result<()> {
    let refund_p = if cfg.has(Scenario::RefundSurge) {
        0.45
    } else {
        0.06
    };
    let complaint_p = if cfg.has(Scenario::AfterSales) {
        0.08
    } else {
        0.01
    };
    let mut after: Vec<Later> = Vec::new();
    let mut k = 0u64;
    for o in book.recs.iter().filter(|o| o.paid) {
        let order_id = format!("{}-o{}", plan.tag, o.number);
        after.push(settle(&mut sim.truth, rng, o, refund_p, k, &order_id));
        k += 1;
        if o.brushing == Brushing::No && rng.chance(complaint_p) {
            after.push(complaint(cfg, plan, rng, o, products, k, &order_id));
            sim.truth.complaints += 1;
        }
    }
    after.sort();
    for (t, _, ty, body) in after {
        sim.write_now(t, ty, body)?;
    }
    Ok(())
}

/// A paid order is refunded (brushing ones 3–7 days later, nearly all) or
/// delivered.
fn settle(
    truth: &mut Truth,
    rng: &mut Rng,
    o: &OrderRec,
    refund_p: f64,
    k: u64,
    order_id: &str,
) -> Later {
    let refund = match o.brushing {
        Brushing::Ring => rng.chance(0.9),
        Brushing::Careful => rng.chance(0.3),
        Brushing::No => rng.chance(refund_p),
    };
    if refund {
        let t = o.at_ms
            + if o.brushing != Brushing::No {
                3 * DAY_MS + rng.range(0, 4 * DAY_MS as u64) as i64
            } else {
                DAY_MS + rng.range(0, 13 * DAY_MS as u64) as i64
            };
        if o.brushing == Brushing::No {
            truth.refunded_gmv += o.amount;
        }
        (
            t,
            k,
            "order_refunded",
            format!(
                r#""order":{},"amount":{},"reason":"return""#,
                q(order_id),
                o.amount
            ),
        )
    } else {
        let t = o.at_ms + 2 * DAY_MS + rng.range(0, 3 * DAY_MS as u64) as i64;
        (
            t,
            k,
            "order_delivered",
            format!(r#""order":{}"#, q(order_id)),
        )
    }
}

/// A complaint about a human order: with `after-sales` in every category,
/// a false-advertising one citing the product's latest claim.
fn complaint(
    cfg: &Config,
    plan: &Plan,
    rng: &mut Rng,
    o: &OrderRec,
    products: &[Product],
    k: u64,
    order_id: &str,
) -> Later {
    let cats = COMPLAINT_CATEGORIES;
    let cat = if cfg.has(Scenario::AfterSales) {
        cats[(k % 5) as usize]
    } else {
        cats[[0, 3, 4][(k % 3) as usize]]
    };
    let claim_ref = match (products[o.product as usize].claim_ids.last(), cat) {
        (Some(c), "false_advertising") => format!(r#","claim_ref":{}"#, q(c)),
        _ => String::new(),
    };
    let t = o.at_ms + 3 * DAY_MS + rng.range(0, 25 * DAY_MS as u64) as i64;
    (
        t,
        k,
        "complaint",
        format!(
            r#""complaint":"{}-k{k}","order":{},"category":"{cat}","text":"not as described"{claim_ref}"#,
            plan.tag,
            q(order_id)
        ),
    )
}
