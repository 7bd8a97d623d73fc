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
}

impl Farm {
    pub fn new(cfg: &Config, plan: &Plan) -> Farm {
        let total = if cfg.has(Scenario::BotFarm) {
            (plan.humans as f64 * 0.6) as u64
        } else {
            0
        };
        Farm { total, made: 0 }
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
            let join = t0 + sim.rng.range(0, 3_000) as i64;
            let created = plan.day - Duration::days(sim.rng.range(0, 3) as i64);
            let body = format!(
                r#""session":{},"account":{},"device":"{tag}-farm{}","ip":"{tag}-farmnet{}","account_created":"{}""#,
                q(tag),
                q(&account),
                b / 40,
                b / 500,
                created.format("%Y-%m-%d")
            );
            sim.push(join, Kind::Join { human: false }, "viewer_joined", body);
            if sim.rng.chance(0.1) {
                let text = BOT_SCRIPT[(b % 3) as usize];
                sim.comment(join + 10_000, &account, text);
            }
            let leave = join + 300_000 + sim.rng.range(0, 10_000) as i64;
            sim.push(
                leave.min(STREAM_SECS * 1000),
                Kind::Leave { human: false },
                "viewer_left",
                format!(r#""session":{},"account":{}"#, q(tag), q(&account)),
            );
        }
    }
}
