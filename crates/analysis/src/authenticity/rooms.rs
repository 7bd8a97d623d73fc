//! What other rooms say about this one's audience: rented audiences.
//!
//! A traffic seller rents the same pool of accounts into many anchors'
//! rooms. Each account alone looks ordinary (aged, its own phone, a home
//! network); what gives the pool away is that its accounts move together:
//!
//! - **lockstep**: a group of accounts arrives in the same few minutes in
//!   this room and in the same few minutes in another anchor's room, far
//!   more of them than the two rooms' arrival patterns make likely (the
//!   co-occurrence test of CopyCatch, Beutel et al., WWW 2013, applied to
//!   room arrivals);
//! - **concurrent presence**: an account sits in two rooms at once for
//!   minutes, which one person on one phone cannot do.
//!
//! Only other anchors' rooms started within `cross_room_days` are
//! compared: a fan returning to the same anchor's next stream is normal.

use crate::rules::BotRules;
use crate::state::{Account, Map, Session, State};

/// Per account of the judged session (crowd order): the cross-room evidence.
#[derive(Default)]
pub(crate) struct CrossRoom {
    pub concurrent: Vec<bool>,
    /// Other rooms this account moved into in lockstep with a group.
    pub lockstep_rooms: Vec<u8>,
}

/// An account's presence as (arrival, departure) in ms; one still in the
/// room is there until the session's end.
fn presence(a: &Account, s: &Session) -> (i64, i64) {
    let end = if a.leaves > 0 && a.last_leave_ms >= a.last_join_ms {
        a.last_leave_ms
    } else {
        s.end_ms()
    };
    (a.first_join_ms, end.max(a.first_join_ms))
}

/// The cross-room evidence about the audience of session `si`.
pub(crate) fn cross_room(st: &State, si: usize, r: &BotRules) -> CrossRoom {
    let s = &st.sessions[si];
    let n = s.crowd.accounts.len();
    let mut out = CrossRoom {
        concurrent: vec![false; n],
        lockstep_rooms: vec![0; n],
    };
    let horizon = r.cross_room_days.saturating_mul(86_400_000);
    let others: Vec<&Session> = st
        .sessions
        .iter()
        .enumerate()
        .filter(|(ti, t)| {
            *ti != si
                && !(t.anchor.is_some() && t.anchor == s.anchor)
                && (t.start_ms().saturating_sub(s.start_ms())).abs() <= horizon
        })
        .map(|(_, t)| t)
        .collect();
    if others.is_empty() || n == 0 {
        return out;
    }
    // Index of this room's accounts (the feeding index when it is built).
    let built;
    let ix: &Map<u64, u32> = if s.crowd.account_ix.len() == n {
        &s.crowd.account_ix
    } else {
        built = s
            .crowd
            .account_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect::<Map<u64, u32>>();
        &built
    };
    let w = r.lockstep_window_secs.max(1) * 1000;
    let mut arrivals: Option<Arrivals> = None;
    for t in others {
        // Accounts of this room also in room t: (index here, arrival here, arrival there).
        let mut shared: Vec<(u32, i64, i64)> = Vec::new();
        for (k, b) in t.crowd.account_keys.iter().zip(&t.crowd.accounts) {
            let Some(&i) = ix.get(k) else { continue };
            let a = &s.crowd.accounts[i as usize];
            if a.joins == 0 || b.joins == 0 {
                continue;
            }
            let (a0, a1) = presence(a, s);
            let (b0, b1) = presence(b, t);
            if a1.min(b1) - a0.max(b0) >= r.concurrent_secs * 1000 {
                out.concurrent[i as usize] = true;
            }
            shared.push((i, a0, b0));
        }
        if shared.len() < r.lockstep_min_accounts as usize {
            continue;
        }
        let here = arrivals.get_or_insert_with(|| Arrivals::of(s, w));
        let there = Arrivals::of(t, w);
        for i in lockstep(&shared, here, &there, w, r) {
            let c = &mut out.lockstep_rooms[i as usize];
            *c = c.saturating_add(1);
        }
    }
    out
}

/// Arrivals of a room's accounts per window of `w` ms.
struct Arrivals {
    per_window: Map<i64, u32>,
    accounts: u32,
    /// Windows the room's arrivals span (at least 1).
    span: i64,
}

impl Arrivals {
    fn of(s: &Session, w: i64) -> Arrivals {
        let mut per_window: Map<i64, u32> = Map::default();
        let (mut lo, mut hi, mut accounts) = (i64::MAX, i64::MIN, 0u32);
        for a in s.crowd.accounts.iter().filter(|a| a.joins > 0) {
            let b = a.first_join_ms.div_euclid(w);
            *per_window.entry(b).or_default() += 1;
            (lo, hi, accounts) = (lo.min(b), hi.max(b), accounts + 1);
        }
        Arrivals {
            per_window,
            accounts,
            span: (hi.saturating_sub(lo) + 1).max(1),
        }
    }

    fn get(&self, b: i64) -> u32 {
        self.per_window.get(&b).copied().unwrap_or(0)
    }

    /// The chance that one of the room's other accounts (those not in
    /// `shared`, which counts the shared ones per window) arrived in
    /// windows `b` and `b + 1`; a uniform guess when too few are left.
    fn share(&self, b: i64, shared: &Map<i64, u32>, min: u32) -> f64 {
        let mine = |x: i64| shared.get(&x).copied().unwrap_or(0);
        let rest = self.accounts.saturating_sub(shared.values().sum());
        if rest < min {
            return (2.0 / self.span as f64).min(1.0);
        }
        let here = (self.get(b) + self.get(b + 1)).saturating_sub(mine(b) + mine(b + 1));
        f64::from(here) / f64::from(rest)
    }
}

/// The accounts (indices here) of `shared` that arrived in lockstep: in a
/// pair of windows here and a pair of windows there holding at least
/// `lockstep_min_accounts` of them and `lockstep_factor` times what the
/// two rooms' own arrival patterns give by chance.
fn lockstep(
    shared: &[(u32, i64, i64)],
    here: &Arrivals,
    there: &Arrivals,
    w: i64,
    r: &BotRules,
) -> Vec<u32> {
    let mut cells: Map<(i64, i64), u32> = Map::default();
    let (mut here_shared, mut there_shared): (Map<i64, u32>, Map<i64, u32>) = Default::default();
    for &(_, a, b) in shared {
        let (x, y) = (a.div_euclid(w), b.div_euclid(w));
        *cells.entry((x, y)).or_default() += 1;
        *here_shared.entry(x).or_default() += 1;
        *there_shared.entry(y).or_default() += 1;
    }
    let count = |x: i64, y: i64| -> u32 {
        [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
            .iter()
            .map(|c| cells.get(c).copied().unwrap_or(0))
            .sum()
    };
    let total = shared.len() as f64;
    let mut passing: Vec<(i64, i64)> = Vec::new();
    let mut seen: Map<(i64, i64), ()> = Map::default();
    for &(x0, y0) in cells.keys() {
        for (x, y) in [(x0 - 1, y0 - 1), (x0 - 1, y0), (x0, y0 - 1), (x0, y0)] {
            if seen.insert((x, y), ()).is_some() {
                continue;
            }
            let c = count(x, y);
            if c < r.lockstep_min_accounts {
                continue;
            }
            let chance = total
                * here.share(x, &here_shared, r.lockstep_min_accounts)
                * there.share(y, &there_shared, r.lockstep_min_accounts);
            if f64::from(c) >= r.lockstep_factor * chance.max(1.0) {
                passing.push((x, y));
            }
        }
    }
    if passing.is_empty() {
        return Vec::new();
    }
    shared
        .iter()
        .filter(|(_, a, b)| {
            let (x, y) = (a.div_euclid(w), b.div_euclid(w));
            passing
                .iter()
                .any(|(px, py)| (x == *px || x == px + 1) && (y == *py || y == py + 1))
        })
        .map(|(i, _, _)| *i)
        .collect()
}
