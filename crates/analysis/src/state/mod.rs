//! What the analyzer keeps, and how each event updates it: the state every
//! question is answered from.
//!
//! Every update is order-independent (minimums, maximums, sums, counts), so
//! events may arrive late and out of order. Personal identifiers are kept
//! only as 64-bit hashes of their (already pseudonymised) values: with 10
//! million accounts the chance of any collision is about 3 in a million,
//! and a collision merges two accounts' counters, nothing worse.

pub mod registry;

use crate::flag::NO_LEAF;
use crate::state::registry::{ClaimRec, ComplaintRec, ListingRec, Registry};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use events::{AnchorId, Body, Category, Currency, Event, ProductId, SessionId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::BuildHasher;

pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A stable 64-bit key for an identifier (never 0, which means "none").
pub(crate) fn key(s: &str) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6c69_7665_6c65_6467)
        .hash_one(s)
        .max(1)
}

/// One reported-metrics event.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Metric {
    pub ms: i64,
    pub leaf: u64,
    pub online: Option<u64>,
    pub views: Option<u64>,
    pub likes: Option<u64>,
    pub orders: Option<u64>,
    pub gmv: Option<i64>,
    pub currency: Option<Currency>,
}

/// One account's behaviour in one session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Account {
    pub first_join_ms: i64,
    pub last_join_ms: i64,
    pub last_leave_ms: i64,
    pub first_join_leaf: u64,
    pub joins: u32,
    pub leaves: u32,
    /// Comments, likes and orders.
    pub interactions: u32,
    pub device: u64,
    pub network: u64,
    /// `account_created` as days from the common era; `i32::MIN` if unknown.
    pub created_day: i32,
    /// Key of the account's first comment text (0: none).
    pub first_text: u64,
}

impl Account {
    fn new() -> Account {
        Account {
            first_join_ms: i64::MAX,
            last_join_ms: i64::MIN,
            last_leave_ms: i64::MIN,
            first_join_leaf: NO_LEAF,
            joins: 0,
            leaves: 0,
            interactions: 0,
            device: 0,
            network: 0,
            created_day: i32::MIN,
            first_text: 0,
        }
    }

    /// Milliseconds the account had been watching at `ms`, if it was
    /// watching then (as far as the events seen so far tell).
    fn watching_for(&self, ms: i64) -> Option<i64> {
        if self.joins == 0 || self.last_join_ms > ms {
            return None;
        }
        let online = self.last_leave_ms < self.last_join_ms || self.last_leave_ms >= ms;
        online.then_some(ms - self.last_join_ms)
    }
}

/// Joins and leaves within one second.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub joins: u32,
    pub leaves: u32,
    /// Accounts whose first join fell in this second.
    pub new_accounts: u32,
}

/// A comment text: how many accounts posted it first, and whether it is a
/// crowd chant ("666", "1", "2333"), which real crowds type in unison.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Text {
    pub accounts: u32,
    pub chant: bool,
}

/// Everything kept about one session.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Session {
    pub id: SessionId,
    pub anchor: Option<AnchorId>,
    pub platform: Option<String>,
    pub started: Option<DateTime<FixedOffset>>,
    pub started_leaf: u64,
    pub ended: Option<DateTime<FixedOffset>>,
    pub ended_leaf: u64,
    /// Earliest and latest event time seen in the session.
    pub first_ms: i64,
    pub last_ms: i64,
    pub events: u64,
    /// Events about the session's orders that name no session (payments,
    /// refunds, complaints), since this state was made: with `events`,
    /// what tells a follower the session's answers may have moved.
    #[serde(skip)]
    pub(crate) order_events: u64,
    pub metrics: Vec<Metric>,
    /// Who watched: by far the largest part of the state, kept apart so
    /// answers that need none of it (cases, products) need not load it.
    #[serde(skip)]
    pub crowd: Crowd,
    pub comments: u64,
    pub likes: u64,
    /// Orders placed in the session (indices into `State::orders`).
    pub orders: Vec<u32>,
    /// Products listed: (product, leaf, time).
    pub listed: Vec<(ProductId, u64, DateTime<FixedOffset>)>,
    /// Claims made in the session (indices into the registry's claims).
    pub claims: Vec<u32>,
}

/// A session's audience: per account, device, network, second and comment text.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Crowd {
    /// Each account's key, in the order of `accounts`: what a snapshot
    /// keeps instead of the index, which only feeding needs and which is
    /// rebuilt from these keys then (rebuilding a hash map of millions of
    /// accounts was a quarter of a session report's time).
    pub(crate) account_keys: Vec<u64>,
    #[serde(skip)]
    pub(crate) account_ix: Map<u64, u32>,
    pub(crate) accounts: Vec<Account>,
    /// Distinct accounts per device / network (by each account's first).
    pub(crate) devices: Map<u64, u32>,
    pub(crate) networks: Map<u64, u32>,
    /// Joins and leaves per second (Unix seconds).
    pub(crate) seconds: Map<i64, Tally>,
    pub(crate) texts: Map<u64, Text>,
}

impl Session {
    fn new(id: SessionId) -> Session {
        Session {
            id,
            anchor: None,
            platform: None,
            started: None,
            started_leaf: NO_LEAF,
            ended: None,
            ended_leaf: NO_LEAF,
            first_ms: i64::MAX,
            last_ms: i64::MIN,
            events: 0,
            order_events: 0,
            metrics: Vec::new(),
            crowd: Crowd::default(),
            comments: 0,
            likes: 0,
            orders: Vec::new(),
            listed: Vec::new(),
            claims: Vec::new(),
        }
    }

    fn account(&mut self, account: &str) -> (u32, &mut Account) {
        let k = key(account);
        let c = &mut self.crowd;
        if c.account_ix.len() != c.account_keys.len() {
            // Read back from a snapshot: the index comes back on first use.
            c.account_ix = c
                .account_keys
                .iter()
                .enumerate()
                .map(|(i, k)| (*k, i as u32))
                .collect();
        }
        let next = c.accounts.len() as u32;
        let ix = *c.account_ix.entry(k).or_insert(next);
        if ix == next {
            c.accounts.push(Account::new());
            c.account_keys.push(k);
        }
        (ix, &mut c.accounts[ix as usize])
    }

    /// The session's start: `session_started`, else its first event.
    pub fn start_ms(&self) -> i64 {
        self.started
            .map(|t| t.timestamp_millis())
            .unwrap_or(self.first_ms)
    }

    /// The end: `session_ended`, else its last event.
    pub fn end_ms(&self) -> i64 {
        self.ended
            .map(|t| t.timestamp_millis())
            .unwrap_or(self.last_ms)
    }
}

/// An order, wherever its events came from. Lifecycle events (paid,
/// refunded, ...) name only the order, and may arrive before it is placed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Order {
    pub session: u32,
    pub account: u32,
    pub product: u64,
    pub placed_ms: i64,
    pub placed_leaf: u64,
    pub amount: i64,
    pub currency: Option<Currency>,
    /// Milliseconds the buyer had been watching when ordering (None: not watching).
    pub watched_ms: Option<i64>,
    pub device: u64,
    pub address: u64,
    pub payment: u64,
    pub paid: i64,
    pub paid_leaf: u64,
    pub refunded: i64,
    pub refund_leaf: u64,
    pub cancelled: bool,
    pub cancel_leaf: u64,
}

impl Order {
    fn new() -> Order {
        Order {
            session: u32::MAX,
            account: 0,
            product: 0,
            placed_ms: 0,
            placed_leaf: NO_LEAF,
            amount: 0,
            currency: None,
            watched_ms: None,
            device: 0,
            address: 0,
            payment: 0,
            paid: 0,
            paid_leaf: NO_LEAF,
            refunded: 0,
            refund_leaf: NO_LEAF,
            cancelled: false,
            cancel_leaf: NO_LEAF,
        }
    }
    pub fn is_placed(&self) -> bool {
        self.placed_leaf != NO_LEAF
    }
}

/// Everything kept from the events observed so far: per session, account
/// and order, and the registry. Fed one event at a time; judged elsewhere.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    pub(crate) sessions: Vec<Session>,
    session_ix: Map<String, u32>,
    pub(crate) orders: Vec<Order>,
    order_ix: Map<u64, u32>,
    /// Product key → category, from `product_registered`.
    pub(crate) categories: Map<u64, Category>,
    pub(crate) registry: Registry,
    pub(crate) events: u64,
    /// The sessions' crowds were not loaded (see [`State::set_crowds`]):
    /// true for a state read back without them, so it cannot be mistaken
    /// for a whole one.
    #[serde(skip, default = "core_only")]
    core_only: bool,
}

fn core_only() -> bool {
    true
}

impl State {
    /// Whether the sessions' crowds are here: what session reports need,
    /// and what feeding more events needs.
    pub fn has_crowds(&self) -> bool {
        !self.core_only
    }

    /// Every session's crowd, in session order (a snapshot stores them
    /// apart from the rest, which serialising a `State` leaves out).
    pub fn crowds(&self) -> Vec<&Crowd> {
        self.sessions.iter().map(|s| &s.crowd).collect()
    }

    /// Puts back the crowds [`State::crowds`] gave; `Err` with the count
    /// expected when there are not one per session.
    pub fn set_crowds(&mut self, crowds: Vec<Crowd>) -> Result<(), usize> {
        if crowds.len() != self.sessions.len() {
            return Err(self.sessions.len());
        }
        for (s, c) in self.sessions.iter_mut().zip(crowds) {
            s.crowd = c;
        }
        self.core_only = false;
        Ok(())
    }

    /// Events observed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The sessions seen so far (started, or referred to by an event).
    pub fn session_ids(&self) -> impl Iterator<Item = &SessionId> {
        self.sessions.iter().map(|s| &s.id)
    }

    /// The registered products, sorted.
    pub fn product_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.registry.products.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The index of an order, if any event named it.
    pub(crate) fn order_ix(&self, id: &str) -> Option<u32> {
        self.order_ix.get(&key(id)).copied()
    }

    /// The index of a session, if any event named it.
    pub(crate) fn session_ix(&self, id: &str) -> Option<usize> {
        self.session_ix.get(id).map(|ix| *ix as usize)
    }

    fn session(&mut self, id: &SessionId) -> usize {
        let next = self.sessions.len() as u32;
        let ix = *self.session_ix.entry(id.0.clone()).or_insert(next);
        if ix == next {
            self.sessions.push(Session::new(id.clone()));
        }
        ix as usize
    }

    fn order(&mut self, id: &str) -> (u32, &mut Order) {
        let next = self.orders.len() as u32;
        let ix = *self.order_ix.entry(key(id)).or_insert(next);
        if ix == next {
            self.orders.push(Order::new());
        }
        (ix, &mut self.orders[ix as usize])
    }

    /// Takes one event, logged at `leaf`.
    ///
    /// # Panics
    /// On a state without its crowds: it would keep half of the event.
    pub fn observe(&mut self, leaf: u64, ev: &Event) {
        assert!(!self.core_only, "events fed to a state without its crowds");
        self.events += 1;
        let ms = ev.at.timestamp_millis();
        match &ev.body {
            Body::ProductRegistered {
                product, category, ..
            } => {
                self.categories.insert(key(product.as_str()), *category);
            }
            Body::OrderPaid { order, amount } => {
                let (_, o) = self.order(order.as_str());
                o.paid = o.paid.saturating_add(*amount);
                o.paid_leaf = leaf;
            }
            Body::OrderRefunded { order, amount, .. } => {
                let (_, o) = self.order(order.as_str());
                o.refunded = o.refunded.saturating_add(*amount);
                o.refund_leaf = leaf;
            }
            Body::OrderCancelled { order } => {
                let (_, o) = self.order(order.as_str());
                o.cancelled = true;
                o.cancel_leaf = leaf;
            }
            Body::Complaint {
                complaint,
                order,
                category,
                text,
                claim_ref,
            } => {
                let (oi, _) = self.order(order.as_str());
                self.registry.file_complaint(ComplaintRec {
                    complaint: complaint.clone(),
                    event: ev.id.clone(),
                    leaf,
                    at: ev.at,
                    order: oi,
                    order_id: order.clone(),
                    category: *category,
                    text: text.clone(),
                    claim_ref: claim_ref.clone(),
                });
            }
            _ => {}
        }
        self.registry.observe(leaf, ev);
        if ev.body.session().is_none() {
            let placed_in = ev
                .body
                .order()
                .and_then(|o| self.order_ix(o.as_str()))
                .map(|oi| self.orders[oi as usize].session as usize);
            if let Some(s) = placed_in.and_then(|si| self.sessions.get_mut(si)) {
                s.order_events += 1;
            }
            return;
        }
        // Supervision acts are about a session, not part of it: they leave
        // its counts and time span alone.
        if matches!(ev.body, Body::Intervention { .. } | Body::Alert { .. }) {
            return;
        }
        let Some(sid) = ev.body.session() else {
            return;
        };
        let si = self.session(sid);
        let s = &mut self.sessions[si];
        s.events += 1;
        s.first_ms = s.first_ms.min(ms);
        s.last_ms = s.last_ms.max(ms);
        match &ev.body {
            Body::SessionStarted {
                anchor, platform, ..
            } => {
                s.anchor = Some(anchor.clone());
                s.platform = Some(platform.clone());
                s.started = Some(ev.at);
                s.started_leaf = leaf;
            }
            Body::SessionEnded { .. } => {
                s.ended = Some(ev.at);
                s.ended_leaf = leaf;
            }
            Body::ProductListed { product, price, .. } => {
                s.listed.push((product.clone(), leaf, ev.at));
                self.registry
                    .listings
                    .entry(product.0.clone())
                    .or_default()
                    .push(ListingRec {
                        session: si as u32,
                        leaf,
                        at: ev.at,
                        price: *price,
                    });
            }
            Body::Claim {
                product,
                text,
                speaker,
                asserts,
                ..
            } => {
                s.claims.push(self.registry.claims.len() as u32);
                self.registry.claims.push(ClaimRec {
                    event: ev.id.clone(),
                    leaf,
                    at: ev.at,
                    session: si as u32,
                    product: product.clone(),
                    text: text.clone(),
                    speaker: speaker.clone(),
                    asserts: asserts.clone(),
                });
            }
            Body::MetricsReported {
                online,
                views,
                likes,
                orders,
                gmv,
                currency,
                ..
            } => s.metrics.push(Metric {
                ms,
                leaf,
                online: *online,
                views: *views,
                likes: *likes,
                orders: *orders,
                gmv: *gmv,
                currency: *currency,
            }),
            Body::ViewerJoined {
                account,
                device,
                ip,
                account_created,
                ..
            } => {
                let sec = ms.div_euclid(1000);
                let device = device.as_ref().map_or(0, |d| key(d.as_str()));
                let network = ip.as_ref().map_or(0, |d| key(d.as_str()));
                let (_, a) = s.account(account.as_str());
                let first = a.joins == 0;
                a.joins += 1;
                if ms < a.first_join_ms {
                    a.first_join_ms = ms;
                    a.first_join_leaf = leaf;
                }
                a.last_join_ms = a.last_join_ms.max(ms);
                if let Some(d) = account_created {
                    a.created_day = day_number(*d);
                }
                let new_device = a.device == 0 && device != 0;
                let new_network = a.network == 0 && network != 0;
                if new_device {
                    a.device = device;
                }
                if new_network {
                    a.network = network;
                }
                if new_device {
                    *s.crowd.devices.entry(device).or_default() += 1;
                }
                if new_network {
                    *s.crowd.networks.entry(network).or_default() += 1;
                }
                let t = s.crowd.seconds.entry(sec).or_default();
                t.joins += 1;
                // An out-of-order earlier join moves the account's arrival;
                // the per-second arrival count keeps the first one seen, a
                // bounded error only for the arrival chart.
                t.new_accounts += first as u32;
            }
            Body::ViewerLeft { account, .. } => {
                let (_, a) = s.account(account.as_str());
                a.leaves += 1;
                a.last_leave_ms = a.last_leave_ms.max(ms);
                s.crowd
                    .seconds
                    .entry(ms.div_euclid(1000))
                    .or_default()
                    .leaves += 1;
            }
            Body::Comment { account, text, .. } => {
                s.comments += 1;
                let tk = key(text);
                let (_, a) = s.account(account.as_str());
                a.interactions += 1;
                if a.first_text == 0 {
                    a.first_text = tk;
                    let t = s.crowd.texts.entry(tk).or_insert_with(|| Text {
                        accounts: 0,
                        chant: is_chant(text),
                    });
                    t.accounts += 1;
                }
            }
            Body::Like { account, count, .. } => {
                s.likes += count;
                s.account(account.as_str()).1.interactions += 1;
            }
            Body::OrderPlaced {
                order,
                product,
                account,
                amount,
                device,
                address,
                payment,
                ..
            } => {
                let (ai, a) = s.account(account.as_str());
                a.interactions += 1;
                let watched_ms = a.watching_for(ms);
                let opt =
                    |r: &Option<events::PersonalRef>| r.as_ref().map_or(0, |v| key(v.as_str()));
                let (device, address, payment) = (opt(device), opt(address), opt(payment));
                let product = key(product.as_str());
                let (oi, o) = self.order(order.as_str());
                if o.is_placed() {
                    return; // the same order placed twice under two event ids: first wins
                }
                o.session = si as u32;
                o.account = ai;
                o.product = product;
                o.placed_ms = ms;
                o.placed_leaf = leaf;
                o.amount = amount.minor;
                o.currency = Some(amount.currency);
                o.watched_ms = watched_ms;
                o.device = device;
                o.address = address;
                o.payment = payment;
                self.sessions[si].orders.push(oi);
            }
            _ => {}
        }
    }
}

pub(crate) fn day_number(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

/// A crowd chant: only digits, or one character repeated ("666", "1", "2333").
fn is_chant(text: &str) -> bool {
    let t = text.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    t.chars().all(|c| c.is_ascii_digit()) || t.chars().all(|c| c == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chants_are_digits_or_one_repeated_character() {
        for t in ["666", "1", "2333", "11111", "哈哈哈哈", " 888 "] {
            assert!(is_chant(t), "{t}");
        }
        for t in ["上链接!", "主播好棒!!!", "great product, buy now", "66a"] {
            assert!(!is_chant(t), "{t}");
        }
    }

    /// A refund days after a session (an event that names only its order)
    /// moves the session's change count: a follower judges it again.
    #[test]
    fn an_order_event_moves_its_session() {
        let ev = |line: &str| events::prepare(line.as_bytes(), None).unwrap().event;
        let mut st = State::default();
        st.observe(0, &ev(r#"{"type":"order_placed","id":"e1","at":"2020-04-01T20:03:10+08:00","session":"s1","order":"o1","product":"p1","account":"u1","quantity":1,"amount":100,"currency":"CNY"}"#));
        let changes = |st: &State| st.sessions[0].events + st.sessions[0].order_events;
        let before = changes(&st);
        st.observe(1, &ev(r#"{"type":"order_refunded","id":"e2","at":"2020-04-09T20:04:30+08:00","order":"o1","amount":100}"#));
        assert_eq!(changes(&st), before + 1);
        // An order never placed belongs to no session yet.
        st.observe(2, &ev(r#"{"type":"order_paid","id":"e3","at":"2020-04-09T20:04:30+08:00","order":"o9","amount":100}"#));
        assert_eq!(changes(&st), before + 1);
    }

    #[test]
    fn keys_are_stable_and_never_zero() {
        assert_eq!(key("u1"), key("u1"));
        assert_ne!(key("u1"), key("u2"));
        assert_ne!(key(""), 0);
    }
}
