//! The `bot-farm` scenario: bots, 60% as many as the real viewers, come
//! in waves every ten minutes — fresh accounts packed on a few devices and
//! networks, all joining within seconds and staying five minutes.

use crate::config::{Config, Plan, Scenario, STREAM_SECS};
use crate::stream::{q, Kind, Sim};
use chrono::Duration;

const BOT_SCRIPT: [&str; 3] = ["主播好棒!!!", "great product, buy now", "冲冲冲"];
/// Waves the bots are split into.
const WAVES: u64 = 18;

pub(crate) struct Farm {
    /// Bots over the whole stream; none without `bot-farm`.
    total: u64,
    made: u64,
    per_device: u64,
    per_network: u64,
    /// Account age: (least, most) days.
    age: (u64, u64),
    join_spread_ms: u64,
    leave_spread_ms: u64,
    interaction: f64,
}

impl Farm {
    pub fn new(cfg: &Config, plan: &Plan) -> Farm {
        let total = if cfg.has(Scenario::BotFarm) {
            (plan.humans as f64 * 0.6) as u64
        } else {
            0
        };
        let k = &cfg.knobs;
        let age = k
            .account_age_days
            .map_or((0, 2), |d| (u64::from(d), u64::from(d)));
        Farm {
            total,
            made: 0,
            per_device: u64::from(k.accounts_per_device.unwrap_or(40)),
            per_network: u64::from(k.accounts_per_network.unwrap_or(500)),
            age,
            join_spread_ms: u64::from(k.join_spread_secs.unwrap_or(3)) * 1000,
            leave_spread_ms: u64::from(k.leave_spread_secs.unwrap_or(10)) * 1000,
            interaction: k.interaction_rate.unwrap_or(0.1),
        }
    }

    /// The wave of `minute`, if it has one: thousands of fresh accounts on
    /// a few devices, within seconds.
    pub fn wave(&mut self, sim: &mut Sim, plan: &Plan, minute: i64) {
        if self.total == 0 || minute % 10 != 3 || self.made >= self.total {
            return;
        }
        let tag = &plan.tag;
        let m_ms = minute * 60_000;
        let size = (self.total / WAVES).max(1).min(self.total - self.made);
        let t0 = m_ms + sim.rng.range(0, 30_000) as i64;
        for _ in 0..size {
            let b = self.made;
            self.made += 1;
            let account = format!("{tag}-b{b}");
            sim.truth.bot_accounts.push(account.clone());
            let join = t0 + sim.rng.range(0, self.join_spread_ms.max(1)) as i64;
            let created =
                plan.day - Duration::days(sim.rng.range(self.age.0, self.age.1 + 1) as i64);
            let body = format!(
                r#""session":{},"account":{},"device":"{tag}-farm{}","ip":"{tag}-farmnet{}","account_created":"{}""#,
                q(tag),
                q(&account),
                b / self.per_device,
                b / self.per_network,
                created.format("%Y-%m-%d")
            );
            sim.push(join, Kind::Join { human: false }, "viewer_joined", body);
            if sim.rng.chance(self.interaction) {
                let text = BOT_SCRIPT[(b % 3) as usize];
                sim.comment(join + 10_000, &account, text);
            }
            let leave = join + 300_000 + sim.rng.range(0, self.leave_spread_ms.max(1)) as i64;
            sim.push(
                leave.min(STREAM_SECS * 1000),
                Kind::Leave { human: false },
                "viewer_left",
                format!(r#""session":{},"account":{}"#, q(tag), q(&account)),
            );
        }
    }
}
