//! Sales as the events show them, and brushing rings.
//!
//! The waterfall: placed → paid → cancelled → refunded → verified, per
//! currency. Brushing: buyers are linked when their orders share a device,
//! a shipping address or a payment instrument (union-find); each linked
//! group is scored on what real buyers rarely do together — ordering
//! without watching, ordering again and again, in bursts, and refunding
//! en masse afterwards. Thousands of independent flash-sale buyers are not
//! linked, so they never form a group at all.

use crate::format::ratio;
use crate::rules::{BrushingRules, Rules};
use crate::state::{Map, Order, Session, State};
use events::{Category, Currency};
use std::collections::BTreeMap;

/// The waterfall in one currency (minor units).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waterfall {
    pub placed_orders: u64,
    pub placed_gmv: i64,
    pub paid_orders: u64,
    pub paid_gmv: i64,
    pub cancelled_orders: u64,
    pub cancelled_gmv: i64,
    pub refunded_orders: u64,
    pub refunded_gmv: i64,
    pub brushing_orders: u64,
    pub brushing_gmv: i64,
    /// Paid minus refunded of brushing orders: what brushing adds to paid GMV.
    pub brushing_net_gmv: i64,
}

impl Waterfall {
    /// Paid − refunded − brushing (what brushing still adds), never below 0.
    pub fn verified_gmv(&self) -> i64 {
        self.paid_gmv
            .saturating_sub(self.refunded_gmv)
            .saturating_sub(self.brushing_net_gmv)
            .max(0)
    }
    pub fn refund_rate(&self) -> f64 {
        ratio(self.refunded_gmv, self.paid_gmv)
    }

    /// Counts one placed order.
    pub(crate) fn add(&mut self, o: &Order) {
        self.placed_orders += 1;
        self.placed_gmv = self.placed_gmv.saturating_add(o.amount);
        if o.paid > 0 {
            self.paid_orders += 1;
            self.paid_gmv = self.paid_gmv.saturating_add(o.paid);
        }
        if o.cancelled {
            self.cancelled_orders += 1;
            self.cancelled_gmv = self.cancelled_gmv.saturating_add(o.amount);
        }
        if o.refunded > 0 {
            self.refunded_orders += 1;
            self.refunded_gmv = self.refunded_gmv.saturating_add(o.refunded);
        }
    }
}

/// A linked group of buyers judged to be brushing orders.
#[derive(Clone, Debug)]
pub struct Ring {
    pub score: f64,
    pub accounts: Vec<u32>,
    /// Indices into the analyzer's orders, in time order.
    pub(crate) orders: Vec<u32>,
    /// The leaves of the orders' `order_placed` events, in the same order.
    pub order_leaves: Vec<u64>,
    pub no_watch_share: f64,
    pub orders_per_account: f64,
    pub burst_share: f64,
    pub refund_share: f64,
    /// Share of orders whose buyer placed `concentration_orders` or more
    /// within `concentration_secs` (Shopee's order-brushing rule).
    pub concentrated_share: f64,
}

/// A small picture of a ring for the report's graph: buyers and the
/// devices / addresses / payment instruments that link them.
#[derive(Clone, Debug, Default)]
pub struct RingGraph {
    /// (account, kind, key) edges; kind is "device", "address" or "payment".
    pub edges: Vec<(u32, &'static str, u64)>,
}

#[derive(Clone, Debug, Default)]
pub struct Sales {
    pub by_currency: BTreeMap<Currency, Waterfall>,
    pub rings: Vec<Ring>,
    /// Refund rate of paid orders not suspected of brushing, and what the
    /// session's product mix would lead one to expect.
    pub organic_paid_orders: u64,
    pub organic_refund_rate: f64,
    pub expected_refund_rate: f64,
}

pub(crate) fn sales(st: &State, rules: &Rules, s: &Session) -> Sales {
    sales_of(st, rules, s, |_| true)
}

/// [`sales`] counting only the orders `keep` keeps (one merchant's, say);
/// brushing groups are found among all the session's orders, then cut
/// down to the kept ones.
pub(crate) fn sales_of(
    st: &State,
    rules: &Rules,
    s: &Session,
    keep: impl Fn(&crate::state::Order) -> bool,
) -> Sales {
    let kept = |oi: &u32| keep(&st.orders[*oi as usize]);
    let mut rings = rings(st, s, &rules.brushing);
    for r in &mut rings {
        let (orders, leaves): (Vec<u32>, Vec<u64>) = r
            .orders
            .iter()
            .zip(&r.order_leaves)
            .filter(|(oi, _)| kept(oi))
            .map(|(oi, l)| (*oi, *l))
            .unzip();
        let mut accounts: Vec<u32> = orders
            .iter()
            .map(|oi| st.orders[*oi as usize].account)
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        (r.orders, r.order_leaves, r.accounts) = (orders, leaves, accounts);
    }
    rings.retain(|r| !r.orders.is_empty());
    let brushing: std::collections::HashSet<u32> = rings
        .iter()
        .flat_map(|r| r.orders.iter().copied())
        .collect();
    let mut out = Sales {
        rings,
        ..Sales::default()
    };
    let (mut organic_paid, mut organic_refunded, mut expected) = (0i64, 0i64, 0.0f64);
    for &oi in s.orders.iter().filter(|oi| kept(oi)) {
        let o = &st.orders[oi as usize];
        let Some(cur) = o.currency else { continue };
        let w = out.by_currency.entry(cur).or_default();
        w.add(o);
        if brushing.contains(&oi) {
            w.brushing_orders += 1;
            w.brushing_gmv = w.brushing_gmv.saturating_add(o.amount);
            w.brushing_net_gmv = w
                .brushing_net_gmv
                .saturating_add((o.paid - o.refunded).max(0));
        } else if o.paid > 0 {
            out.organic_paid_orders += 1;
            organic_paid = organic_paid.saturating_add(o.paid);
            organic_refunded = organic_refunded.saturating_add(o.refunded.min(o.paid));
            let cat = st
                .categories
                .get(&o.product)
                .copied()
                .unwrap_or(Category::Other);
            expected += o.paid as f64 * rules.expected_refund(cat);
        }
    }
    out.organic_refund_rate = ratio(organic_refunded, organic_paid);
    out.expected_refund_rate = if organic_paid > 0 {
        expected / organic_paid as f64
    } else {
        0.0
    };
    out
}

/// Orders paid, refunded or cancelled that were never placed (dangling).
pub(crate) fn dangling_orders(st: &State) -> u64 {
    st.orders.iter().filter(|o| !o.is_placed()).count() as u64
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let up = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = up; // path halving
            x = up;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b) as usize] = a.min(b);
        }
    }
}

/// Links buyers by shared order keys and keeps the groups that score as rings.
fn rings(st: &State, s: &Session, r: &BrushingRules) -> Vec<Ring> {
    let mut uf = UnionFind((0..s.crowd.accounts.len() as u32).collect());
    // Keys are salted by kind so a device and an address never collide.
    let mut first: Map<(u8, u64), u32> = Map::default();
    for &oi in &s.orders {
        let o = &st.orders[oi as usize];
        for (kind, k) in [(0u8, o.device), (1, o.address), (2, o.payment)] {
            if k != 0 {
                let owner = *first.entry((kind, k)).or_insert(o.account);
                uf.union(owner, o.account);
            }
        }
    }
    let mut groups: Map<u32, Vec<u32>> = Map::default();
    for &oi in &s.orders {
        let root = uf.find(st.orders[oi as usize].account);
        groups.entry(root).or_default().push(oi);
    }
    let mut rings: Vec<Ring> = groups
        .into_values()
        .filter_map(|mut orders| {
            orders.sort_by_key(|o| (st.orders[*o as usize].placed_ms, *o));
            let ring = score(st, orders, r);
            (ring.accounts.len() >= r.min_accounts as usize
                && ring.orders.len() >= r.min_orders as usize
                && ring.score >= r.suspect_score)
                .then_some(ring)
        })
        .collect();
    rings.sort_by(|a, b| {
        b.orders
            .len()
            .cmp(&a.orders.len())
            .then(b.score.total_cmp(&a.score))
    });
    rings
}

fn score(st: &State, orders: Vec<u32>, r: &BrushingRules) -> Ring {
    let os: Vec<&Order> = orders.iter().map(|i| &st.orders[*i as usize]).collect();
    let mut accounts: Vec<u32> = os.iter().map(|o| o.account).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let n = os.len().max(1) as f64;
    let no_watch = os
        .iter()
        .filter(|o| o.watched_ms.is_none_or(|w| w < r.quick_order_secs * 1000))
        .count() as f64
        / n;
    let per_account = os.len() as f64 / accounts.len().max(1) as f64;
    // An order is in a burst when another account of the group ordered
    // within `burst_secs` of it (orders are in time order).
    let window = r.burst_secs * 1000;
    let in_burst = (0..os.len())
        .filter(|&i| {
            let near = |j: usize| {
                os[j].account != os[i].account
                    && (os[j].placed_ms - os[i].placed_ms).abs() <= window
            };
            (i + 1..os.len())
                .take_while(|&j| os[j].placed_ms - os[i].placed_ms <= window)
                .any(near)
                || (0..i)
                    .rev()
                    .take_while(|&j| os[i].placed_ms - os[j].placed_ms <= window)
                    .any(near)
        })
        .count() as f64
        / n;
    let paid = os.iter().filter(|o| o.paid > 0).count();
    let refunded = os.iter().filter(|o| o.paid > 0 && o.refunded > 0).count();
    let refund_share = if paid > 0 {
        refunded as f64 / paid as f64
    } else {
        0.0
    };
    let concentrated = concentrated(&os, r) as f64 / n;
    let score = r.weight_no_watch * no_watch
        + r.weight_repeat * (per_account / 3.0).min(1.0)
        + r.weight_burst * in_burst
        + r.weight_refund * refund_share
        + r.weight_concentration * concentrated;
    Ring {
        score,
        accounts,
        order_leaves: os.iter().map(|o| o.placed_leaf).collect(),
        orders,
        no_watch_share: no_watch,
        orders_per_account: per_account,
        burst_share: in_burst,
        refund_share,
        concentrated_share: concentrated,
    }
}

/// Orders (of `os`, in time order) whose buyer placed at least
/// `concentration_orders` orders within `concentration_secs` of each other.
fn concentrated(os: &[&Order], r: &BrushingRules) -> usize {
    let need = r.concentration_orders.max(1) as usize;
    let mut by_buyer: Map<u32, Vec<i64>> = Map::default();
    for o in os {
        by_buyer.entry(o.account).or_default().push(o.placed_ms);
    }
    let span = r.concentration_secs * 1000;
    by_buyer
        .values()
        .map(|times| {
            // Times are sorted; mark every order inside a full window.
            let mut marked = vec![false; times.len()];
            for i in 0..times.len().saturating_sub(need - 1) {
                if times[i + need - 1] - times[i] <= span {
                    marked[i..i + need].iter_mut().for_each(|m| *m = true);
                }
            }
            marked.iter().filter(|m| **m).count()
        })
        .sum()
}

/// The links of a ring, for drawing it (at most `max_accounts` buyers).
pub fn ring_graph(st: &State, ring: &Ring, max_accounts: usize) -> RingGraph {
    let keep: Vec<u32> = ring.accounts.iter().take(max_accounts).copied().collect();
    let mut edges: Vec<(u32, &'static str, u64)> = Vec::new();
    for &oi in &ring.orders {
        let o = &st.orders[oi as usize];
        if !keep.contains(&o.account) {
            continue;
        }
        for (kind, k) in [
            ("device", o.device),
            ("address", o.address),
            ("payment", o.payment),
        ] {
            if k != 0 {
                edges.push((o.account, kind, k));
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    RingGraph { edges }
}
