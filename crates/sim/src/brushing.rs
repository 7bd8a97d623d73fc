//! The `brushing-ring` scenario: a ring of accounts sharing devices,
//! addresses and payment instruments buys one product in a tight burst
//! every 25 minutes, mostly without watching, and pays at once.

use crate::config::Plan;
use crate::orders::{OrderBook, OrderRec};
use crate::registry::Product;
use crate::stream::{q, Kind, Sim};

/// The ring's burst, in the minutes that have one.
pub(crate) fn burst(
    sim: &mut Sim,
    plan: &Plan,
    products: &[Product],
    minute: i64,
    book: &mut OrderBook,
) {
    if minute % 25 != 12 {
        return;
    }
    let tag = &plan.tag;
    let m_ms = minute * 60_000;
    let ring = ((plan.humans as f64 * 0.004) as u64).clamp(12, 5_000);
    let p = &products[(minute as usize / 25) % products.len()];
    let t0 = m_ms + 5_000 + sim.rng.range(0, 25_000) as i64;
    for r in 0..ring {
        let account = format!("{tag}-ring{r}");
        if sim.truth.brushing_accounts.len() < ring as usize {
            sim.truth.brushing_accounts.push(account.clone());
        }
        for _ in 0..sim.rng.range(1, 4) {
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
            let order = book.next_order(plan);
            let amount = p.price;
            sim.push(
                t,
                Kind::Other,
                "order_placed",
                format!(
                    r#""session":{},"order":{},"product":{},"account":{},"quantity":1,"amount":{amount},"currency":"CNY","device":"{tag}-rdev{}","address":"{tag}-raddr{}","payment":"{tag}-rpay{}""#,
                    q(tag), q(&order), q(&p.id), q(&account), r / 10, r / 15, r / 8
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
                brushing: true,
                product: 0,
            });
        }
    }
}
