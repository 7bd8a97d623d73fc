//! Other anchors' rooms, and the accounts that cross between rooms.
//!
//! With `rented-audience`, a traffic seller rents "N viewers for 90
//! minutes" out of a pool of aged, ordinary-looking accounts — each on its
//! own phone and home network — into this session and into other anchors'
//! rooms, by default at the same time. The rented accounts arrive spread
//! over the rental's first minutes, never comment, like or buy, and leave
//! together when the block expires.
//!
//! With `confounders`, real fans of this anchor also watch other anchors
//! on the following days: rooms share honest viewers, at their own times.

use crate::config::{Config, Plan, Scenario, STREAM_SECS};
use crate::stream::{q, Kind, Sim};
use chrono::Duration;
use std::io;

const DAY_MS: i64 = 86_400_000;
/// The main session's rental starts this far into the stream.
const RENTAL_START_MS: i64 = 20 * 60_000;

/// The traffic seller's pool and the terms of its rentals.
struct Pool {
    tag: String,
    /// Accounts in the pool; each rental takes `rented` of them.
    size: u64,
    rented: u64,
    block_ms: i64,
    join_spread_ms: u64,
    leave_spread_ms: u64,
    age: (u64, u64),
    per_device: u64,
    per_network: u64,
    interaction: f64,
}

impl Pool {
    fn new(cfg: &Config, plan: &Plan) -> Pool {
        let k = &cfg.knobs;
        let rented = ((plan.humans as f64 * 0.3) as u64).max(60);
        Pool {
            tag: plan.tag.clone(),
            size: rented * 3 / 2,
            rented,
            block_ms: i64::from(k.rental_block_mins.unwrap_or(90)) * 60_000,
            join_spread_ms: u64::from(k.join_spread_secs.unwrap_or(600)) * 1000,
            leave_spread_ms: u64::from(k.leave_spread_secs.unwrap_or(60)) * 1000,
            age: k
                .account_age_days
                .map_or((365, 1095), |d| (u64::from(d), u64::from(d))),
            per_device: u64::from(k.accounts_per_device.unwrap_or(1)),
            per_network: u64::from(k.accounts_per_network.unwrap_or(1)),
            interaction: k.interaction_rate.unwrap_or(0.0),
        }
    }

    /// Rents `rented` pool accounts into `session` from `start` (ms from
    /// the main stream's start) until the block or the room ends.
    fn rent(
        &self,
        sim: &mut Sim,
        plan: &Plan,
        session: &str,
        start: i64,
        room_end: i64,
        main: bool,
    ) {
        let first = sim.rng.range(0, self.size);
        for j in 0..self.rented {
            let i = (first + j) % self.size;
            let account = format!("{}-pool{i}", self.tag);
            // The pool's accounts are the same people in every room: their
            // device, network and age follow from their number.
            let age = self.age.0 + mix(i) % (self.age.1 - self.age.0 + 1);
            let created = plan.day - Duration::days(age as i64);
            let join = start + sim.rng.range(0, self.join_spread_ms.max(1)) as i64;
            let leave =
                (start + self.block_ms + sim.rng.range(0, self.leave_spread_ms.max(1)) as i64)
                    .max(join + 60_000)
                    .min(room_end);
            let kind = |human| if main { human } else { Kind::Other };
            sim.push(
                join,
                kind(Kind::Join { human: false }),
                "viewer_joined",
                format!(
                    r#""session":{},"account":{},"device":"{}-pdev{}","ip":"{}-pnet{}","account_created":"{}""#,
                    q(session),
                    q(&account),
                    self.tag,
                    i / self.per_device,
                    self.tag,
                    i / self.per_network,
                    created.format("%Y-%m-%d")
                ),
            );
            if sim.rng.chance(self.interaction) {
                let t = join + sim.rng.range(0, (leave - join).max(1) as u64) as i64;
                sim.push(
                    t,
                    Kind::Other,
                    "like",
                    format!(
                        r#""session":{},"account":{},"count":1"#,
                        q(session),
                        q(&account)
                    ),
                );
            }
            sim.push(
                leave,
                kind(Kind::Leave { human: false }),
                "viewer_left",
                format!(r#""session":{},"account":{}"#, q(session), q(&account)),
            );
            if main {
                sim.truth.bot_accounts.push(account);
            }
        }
    }
}

/// A fixed scramble of a pool number, for its traits.
fn mix(i: u64) -> u64 {
    let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// The rooms running during the stream (rented-audience with concurrent
/// rentals): scheduled before the stream so they interleave with it.
pub(crate) fn during(sim: &mut Sim, cfg: &Config, plan: &Plan) -> io::Result<()> {
    if !cfg.has(Scenario::RentedAudience) {
        return Ok(());
    }
    let pool = Pool::new(cfg, plan);
    pool.rent(
        sim,
        plan,
        &plan.tag,
        RENTAL_START_MS,
        STREAM_SECS * 1000,
        true,
    );
    if cfg.knobs.rental_concurrent.unwrap_or(true) {
        rented_rooms(sim, cfg, plan, &pool)?;
    }
    Ok(())
}

/// The rooms on the days after the stream: rentals that did not run at
/// the same time, and the rooms where this anchor's fans also watch.
pub(crate) fn after(sim: &mut Sim, cfg: &Config, plan: &Plan, fans: u64) -> io::Result<()> {
    if cfg.has(Scenario::RentedAudience) && !cfg.knobs.rental_concurrent.unwrap_or(true) {
        rented_rooms(sim, cfg, plan, &Pool::new(cfg, plan))?;
    }
    if cfg.has(Scenario::Confounders) && fans > 0 {
        for k in 0..u64::from(cfg.knobs.fan_rooms.unwrap_or(3)) {
            // 30% of each room's audience are this anchor's viewers.
            let n = (plan.humans / 4).max(40) * 3 / 10;
            let fans: Vec<u64> = (0..n).map(|_| sim.rng.range(0, fans)).collect();
            let start = (k as i64 + 1) * DAY_MS + 3_600_000;
            room(
                sim,
                plan,
                &format!("{}-fanroom{k}", plan.tag),
                start,
                None,
                &fans,
            )?;
        }
    }
    Ok(())
}

/// The other anchors' rooms the pool is also rented into: at the same
/// time as this session (another evening started up to half an hour
/// earlier, rented within ten minutes of this one's rental), or on the
/// following days.
fn rented_rooms(sim: &mut Sim, cfg: &Config, plan: &Plan, pool: &Pool) -> io::Result<()> {
    let concurrent = cfg.knobs.rental_concurrent.unwrap_or(true);
    for k in 0..cfg.knobs.rental_rooms.unwrap_or(3) {
        let (start, rental) = if concurrent {
            let start = -(sim.rng.range(0, 30 * 60_000) as i64);
            (
                start,
                RENTAL_START_MS + sim.rng.range(0, 20 * 60_000) as i64 - 10 * 60_000,
            )
        } else {
            let start = (i64::from(k) + 1) * DAY_MS;
            (
                start,
                start + RENTAL_START_MS + sim.rng.range(0, 60 * 60_000) as i64,
            )
        };
        let session = format!("{}-room{k}", plan.tag);
        room(sim, plan, &session, start, Some((pool, rental)), &[])?;
    }
    Ok(())
}

/// Another anchor's three-hour room from `start` (ms from the main
/// stream's start): its own honest audience, this anchor's `fans` among
/// them, and a rental if there is one.
fn room(
    sim: &mut Sim,
    plan: &Plan,
    session: &str,
    start: i64,
    rental: Option<(&Pool, i64)>,
    fans: &[u64],
) -> io::Result<()> {
    let end = start + STREAM_SECS * 1000;
    let anchor = format!("{session}-anchor");
    sim.push(
        start - 7 * DAY_MS,
        Kind::Other,
        "anchor_registered",
        format!(
            r#""anchor":{},"name":"Anchor {session}","verified":true"#,
            q(&anchor)
        ),
    );
    sim.push(
        start,
        Kind::Other,
        "session_started",
        format!(
            r#""session":{},"anchor":{},"platform":"douyin","title":"Evening sale""#,
            q(session),
            q(&anchor)
        ),
    );
    let own = (plan.humans / 4).max(40);
    for v in 0..own {
        let account = format!("{session}-u{v}");
        let device = format!("{session}-d{v}");
        honest_visit(sim, session, &account, &device, start, end);
    }
    for n in fans {
        let account = format!("{}-u{n}", plan.tag);
        let device = format!("{}-d{n}", plan.tag);
        honest_visit(sim, session, &account, &device, start, end);
    }
    if let Some((pool, at)) = rental {
        pool.rent(sim, plan, session, at, end, false);
    }
    sim.push(
        end,
        Kind::Other,
        "session_ended",
        format!(r#""session":{}"#, q(session)),
    );
    Ok(())
}

/// One honest visit to a room: any time during it, a heavy-tailed stay,
/// sometimes a comment or a like.
fn honest_visit(sim: &mut Sim, session: &str, account: &str, device: &str, start: i64, end: i64) {
    let join = start + sim.rng.range(0, (end - start - 60_000) as u64) as i64;
    let leave = (join + (sim.rng.lognormal(120.0, 1.3) * 1000.0) as i64).clamp(join + 1000, end);
    let net = sim.rng.range(0, 1_000_000);
    sim.push(
        join,
        Kind::Other,
        "viewer_joined",
        format!(
            r#""session":{},"account":{},"device":{},"ip":"net{net}""#,
            q(session),
            q(account),
            q(device)
        ),
    );
    for (p, ty, what) in [
        (0.1, "comment", r#""text":"主播好""#),
        (0.25, "like", r#""count":3"#),
    ] {
        if sim.rng.chance(p) {
            let t = join + sim.rng.range(0, (leave - join) as u64) as i64;
            let body = format!(
                r#""session":{},"account":{},{what}"#,
                q(session),
                q(account)
            );
            sim.push(t, Kind::Other, ty, body);
        }
    }
    sim.push(
        leave,
        Kind::Other,
        "viewer_left",
        format!(r#""session":{},"account":{}"#, q(session), q(account)),
    );
}
