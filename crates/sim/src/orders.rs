//! Orders placed during the stream: the [`OrderBook`] keeps the running
//! counts the platform reports and a compact [`OrderRec`] per order for
//! the weeks after; a human viewer's purchase is placed and paid (or
//! cancelled) here.

use crate::config::Plan;
use crate::registry::Product;
use crate::stream::{q, Kind, Sim};

/// A compact record of an order, for the weeks after the stream (24 bytes:
/// a 48-million-view stream keeps ~1M of them, ~25 MB).
pub(crate) struct OrderRec {
    pub number: u32,
    pub paid: bool,
    pub brushing: Brushing,
    /// The product whose latest claim a complaint may cite.
    pub product: u16,
    pub at_ms: i64,
    pub amount: i64,
}

/// Whose order it is: a real buyer's or a brushing ring's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Brushing {
    No,
    /// `brushing-ring`: nearly all refunded days later.
    Ring,
    /// `careful-brushing`: most "delivered" (empty parcels), some refunded.
    Careful,
}

/// Every order so far, human and brushing.
#[derive(Default)]
pub(crate) struct OrderBook {
    pub recs: Vec<OrderRec>,
    /// Orders placed, paid or not.
    pub placed: u64,
    /// GMV paid, brushing included: what the platform sees.
    pub paid_gmv: i64,
}

/// Who buys: a human viewer's identity, as their order carries it.
pub(crate) struct Buyer<'a> {
    /// The account's number: its address and payment are its own.
    pub number: u64,
    pub account: &'a str,
    pub device: &'a str,
    pub ip: &'a str,
    pub card: &'a str,
}

impl OrderBook {
    /// The id the next order gets.
    pub fn next_order(&self, plan: &Plan) -> String {
        format!("{}-o{}", plan.tag, self.recs.len())
    }

    /// `buyer`, watching from `join` to `leave`, buys a product dropped
    /// while watching, or the one on air; and pays or cancels.
    pub fn buy(
        &mut self,
        sim: &mut Sim,
        plan: &Plan,
        products: &[Product],
        buyer: &Buyer,
        join: i64,
        leave: i64,
    ) {
        let tag = &plan.tag;
        let on_air = products
            .iter()
            .rev()
            .find(|p| p.drop_ms <= leave)
            .unwrap_or(&products[0]);
        let p = products
            .iter()
            .find(|p| p.drop_ms >= join && p.drop_ms <= leave)
            .unwrap_or(on_air);
        let t = (join.max(p.drop_ms) + sim.rng.exp(30_000.0) as i64)
            .min(leave.max(join.max(p.drop_ms)));
        let qty = if sim.rng.chance(0.9) {
            1
        } else {
            sim.rng.range(2, 4) as i64
        };
        let amount = p.price * qty;
        let order = self.next_order(plan);
        let a = buyer.number;
        // 3% ship to one of four offices or campus parcel rooms.
        let address = if sim.rng.chance(0.03) {
            format!("{tag}-office{}", sim.rng.range(0, 4))
        } else {
            format!("{tag}-addr{a}")
        };
        sim.push(
            t,
            Kind::Other,
            "order_placed",
            format!(
                r#""session":{},"order":{},"product":{},"account":{},"quantity":{qty},"amount":{amount},"currency":"CNY","device":{},"ip":{},"address":{},"payment":{}"#,
                q(tag), q(&order), q(&p.id), q(buyer.account), q(buyer.device), q(buyer.ip), q(&address), q(buyer.card)
            ),
        );
        let paid = sim.rng.chance(0.93);
        let later = t + sim.rng.exp(if paid { 60_000.0 } else { 300_000.0 }) as i64;
        if paid {
            sim.push(
                later,
                Kind::Other,
                "order_paid",
                format!(r#""order":{},"amount":{amount}"#, q(&order)),
            );
            sim.truth.paid_gmv += amount;
            self.paid_gmv += amount;
        } else {
            sim.push(
                later,
                Kind::Other,
                "order_cancelled",
                format!(r#""order":{}"#, q(&order)),
            );
        }
        sim.truth.human_orders += 1;
        self.placed += 1;
        let product = products.iter().position(|x| x.id == p.id).unwrap_or(0) as u16;
        self.recs.push(OrderRec {
            number: self.recs.len() as u32,
            at_ms: t,
            amount,
            paid,
            brushing: Brushing::No,
            product,
        });
    }
}
