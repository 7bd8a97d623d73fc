//! The human audience: arrivals minute by minute along the stream's
//! curve, two share bursts, and each viewer's visits — join, chat, likes,
//! perhaps an order on the first visit, leave, and perhaps a return.

use crate::config::{Config, Plan, Scenario, STREAM_SECS};
use crate::orders::{Buyer, OrderBook};
use crate::registry::Product;
use crate::stream::{q, Kind, Sim};
use chrono::{Duration, NaiveDate};

/// Minutes at which a giveaway brings a crowd in at once.
const SHARE_BURSTS: [i64; 2] = [45, 120];
/// Watch times kept in the truth's reservoir sample.
const WATCH_SAMPLE: usize = 100_000;
const CROWD: [&str; 5] = ["666", "1", "666666", "2333", "11111"];
const CHAT: [&str; 12] = [
    "上链接!",
    "主播声音好好听",
    "真的有2克吗?",
    "已拍",
    "还有货吗",
    "发什么快递",
    "how much is shipping?",
    "买了三次了, 很好喝",
    "能便宜点吗",
    "支持老罗",
    "is this the 6-bowl box?",
    "孕妇可以吃吗",
];

/// Relative arrival intensity for each minute of the stream: a rise over
/// the first 20 minutes, a plateau with bumps at product drops, a decay
/// over the last 30 minutes.
fn arrival_weights(drops: &[i64]) -> Vec<f64> {
    let minutes = (STREAM_SECS / 60) as usize;
    let mut w: Vec<f64> = (0..minutes)
        .map(|m| {
            let m = m as f64;
            let rise = (m / 20.0).min(1.0);
            let decay = ((minutes as f64 - m) / 30.0).min(1.0);
            0.2 + rise * decay
        })
        .collect();
    for d in drops {
        let m = (*d / 60_000) as usize;
        for (k, bump) in [(0, 0.8), (1, 0.5), (2, 0.25)] {
            if let Some(x) = w.get_mut(m + k) {
                *x += bump;
            }
        }
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// The minute of the platform push (with `confounders`).
const PUSH_MINUTE: i64 = 60;

/// One human viewer, as their joins show them.
struct Viewer {
    number: u64,
    account: String,
    device: String,
    ip: String,
    /// The payment instrument their orders carry.
    card: String,
    created: NaiveDate,
    /// Watches an hour or more and never interacts.
    lurker: bool,
}

/// The honest look-alikes of fraud (`confounders`): how many and how often.
struct Confounders {
    /// Chance a viewer sits in the office behind one public address.
    office_p: f64,
    /// Viewers the platform's push brings in within seconds.
    push: u64,
    lurker_p: f64,
    family_p: f64,
}

pub(crate) struct Audience<'a> {
    plan: &'a Plan,
    products: &'a [Product],
    /// Each minute's share of the arrivals.
    weights: Vec<f64>,
    next_account: u64,
    confounders: Option<Confounders>,
}

impl<'a> Audience<'a> {
    pub fn new(cfg: &Config, plan: &'a Plan, products: &'a [Product]) -> Audience<'a> {
        let k = &cfg.knobs;
        let confounders = cfg.has(Scenario::Confounders).then(|| Confounders {
            office_p: f64::from(k.office_accounts.unwrap_or(300)) / plan.humans as f64,
            push: (plan.humans as f64 * k.push_share.unwrap_or(0.05)) as u64,
            lurker_p: k.lurker_share.unwrap_or(0.05),
            family_p: k.family_share.unwrap_or(0.04),
        });
        Audience {
            plan,
            products,
            weights: arrival_weights(&products.iter().map(|p| p.drop_ms).collect::<Vec<_>>()),
            next_account: 0,
            confounders,
        }
    }

    /// The humans arriving in `minute`, each with all their visits.
    pub fn arrive(&mut self, sim: &mut Sim, minute: i64, book: &mut OrderBook) {
        let humans = self.plan.humans;
        let m_ms = minute * 60_000;
        let n = sim
            .rng
            .poisson(humans as f64 * self.weights[minute as usize]);
        // Twice a stream a giveaway or a share brings 1% of the audience in
        // within three seconds: a real crowd that arrives like a bot wave.
        let burst = if SHARE_BURSTS.contains(&minute) {
            humans / 100
        } else {
            0
        };
        for i in 0..n + burst {
            let viewer = self.new_viewer(sim, false);
            let join = if i < n {
                m_ms + sim.rng.range(0, 60_000) as i64
            } else {
                m_ms + 20_000 + sim.rng.range(0, 3_000) as i64
            };
            self.visits(sim, &viewer, join, book);
        }
        // The platform pushes the room to thousands at once: they arrive
        // within seconds, some of them new to the app.
        if minute == PUSH_MINUTE {
            let push = self.confounders.as_ref().map_or(0, |c| c.push);
            for _ in 0..push {
                let viewer = self.new_viewer(sim, true);
                let join = m_ms + 30_000 + sim.rng.range(0, 4_000) as i64;
                self.visits(sim, &viewer, join, book);
            }
        }
    }

    /// The next account, with the device, network and age it shows;
    /// `pushed` if the platform's push brought it.
    fn new_viewer(&mut self, sim: &mut Sim, pushed: bool) -> Viewer {
        let (tag, day, humans) = (&self.plan.tag, self.plan.day, self.plan.humans);
        let a = self.next_account;
        self.next_account += 1;
        let account = format!("{tag}-u{a}");
        // 5% of viewers share a family device with the accounts next to them.
        let mut device = if sim.rng.chance(0.05) {
            format!("{tag}-fam{}", a / 3)
        } else {
            format!("{tag}-d{a}")
        };
        // 4% sit behind one of three carrier-grade NATs.
        let mut ip = if sim.rng.chance(0.04) {
            format!("{tag}-cgnat{}", sim.rng.range(0, 3))
        } else {
            format!("{tag}-net{}", sim.rng.range(0, 2_000 + humans / 20))
        };
        let mut created = if sim.rng.chance(0.03) {
            day - Duration::days(sim.rng.range(0, 7) as i64)
        } else {
            day - Duration::days(sim.rng.range(30, 2_000) as i64)
        };
        let mut card = format!("{tag}-pay{a}");
        let mut lurker = false;
        if let Some(c) = &self.confounders {
            if sim.rng.chance(c.office_p) {
                ip = format!("{tag}-office-nat");
            }
            // A family of three on one tablet, paying with one card.
            if sim.rng.chance(c.family_p) {
                device = format!("{tag}-tablet{}", a / 3);
                card = format!("{tag}-familycard{}", a / 3);
            }
            if pushed && sim.rng.chance(0.3) {
                created = day - Duration::days(sim.rng.range(0, 3) as i64);
            }
            lurker = sim.rng.chance(c.lurker_p);
        }
        sim.truth.human_accounts += 1;
        Viewer {
            number: a,
            account,
            device,
            ip,
            card,
            created,
            lurker,
        }
    }

    /// A viewer's visits from `join`: up to three, a quarter coming back
    /// later.
    fn visits(&self, sim: &mut Sim, v: &Viewer, mut join: i64, book: &mut OrderBook) {
        let mut visits = 0;
        loop {
            let leave = self.visit(sim, v, join, visits == 0, book);
            visits += 1;
            let back = leave + sim.rng.exp(600_000.0) as i64;
            if visits >= 3 || !sim.rng.chance(0.25) || back >= STREAM_SECS * 1000 - 1000 {
                break;
            }
            join = back;
        }
    }

    /// One visit from `join`; returns when it ends. Only a first visit
    /// may end in an order.
    fn visit(
        &self,
        sim: &mut Sim,
        v: &Viewer,
        join: i64,
        first: bool,
        book: &mut OrderBook,
    ) -> i64 {
        let tag = &self.plan.tag;
        let dwell = if v.lurker {
            sim.rng.range(3_600_000, 9_000_000) as i64
        } else {
            (sim.rng.lognormal(120.0, 1.3) * 1000.0) as i64
        };
        let leave = (join + dwell.max(1000)).min(STREAM_SECS * 1000);
        sample_watch_time(sim, (leave - join) as f64 / 1000.0);
        let body = format!(
            r#""session":{},"account":{},"device":{},"ip":{},"account_created":"{}""#,
            q(tag),
            q(&v.account),
            q(&v.device),
            q(&v.ip),
            v.created.format("%Y-%m-%d")
        );
        sim.push(join, Kind::Join { human: true }, "viewer_joined", body);
        if v.lurker {
            return self.leave(sim, v, leave);
        }
        chat_and_like(sim, tag, &v.account, join, leave);
        if first && sim.rng.chance(self.plan.buy_p) {
            let buyer = Buyer {
                number: v.number,
                account: &v.account,
                device: &v.device,
                ip: &v.ip,
                card: &v.card,
            };
            book.buy(sim, self.plan, self.products, &buyer, join, leave);
        }
        self.leave(sim, v, leave)
    }

    fn leave(&self, sim: &mut Sim, v: &Viewer, leave: i64) -> i64 {
        sim.push(
            leave,
            Kind::Leave { human: true },
            "viewer_left",
            format!(
                r#""session":{},"account":{}"#,
                q(&self.plan.tag),
                q(&v.account)
            ),
        );
        leave
    }
}

/// Counts a human view and keeps its watch time in the truth's uniform
/// reservoir sample.
fn sample_watch_time(sim: &mut Sim, watched: f64) {
    sim.truth.human_views += 1;
    if sim.truth.watch_secs_sample.len() < WATCH_SAMPLE {
        sim.truth.watch_secs_sample.push(watched);
    } else {
        let slot = sim.rng.range(0, sim.truth.human_views) as usize;
        if slot < WATCH_SAMPLE {
            sim.truth.watch_secs_sample[slot] = watched;
        }
    }
}

/// A tenth of visits post 1–3 comments, a quarter tap likes.
fn chat_and_like(sim: &mut Sim, tag: &str, account: &str, join: i64, leave: i64) {
    if sim.rng.chance(0.10) {
        for _ in 0..sim.rng.range(1, 4) {
            let t = sim.rng.range(join as u64, leave as u64 + 1) as i64;
            let text = if sim.rng.chance(0.4) {
                *sim.rng.pick(&CROWD)
            } else {
                *sim.rng.pick(&CHAT)
            };
            sim.comment(t, account, text);
        }
    }
    if sim.rng.chance(0.25) {
        let t = sim.rng.range(join as u64, leave as u64 + 1) as i64;
        let c = sim.rng.range(1, 30);
        sim.push(
            t,
            Kind::Other,
            "like",
            format!(
                r#""session":{},"account":{},"count":{c}"#,
                q(tag),
                q(account)
            ),
        );
    }
}
