//! What a session is built from: the public knobs ([`Config`],
//! [`Scenario`]), the press figures scale 1 rests on, and the [`Plan`]
//! derived from them that every phase reads, fixed before the first event.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    Clean,
    InflatedViews,
    BotFarm,
    BrushingRing,
    RefundSurge,
    FalseClaims,
    AfterSales,
    RentedAudience,
    CarefulBrushing,
    Confounders,
}

impl Scenario {
    pub const ALL: [(&'static str, Scenario); 10] = [
        ("clean", Scenario::Clean),
        ("inflated-views", Scenario::InflatedViews),
        ("bot-farm", Scenario::BotFarm),
        ("brushing-ring", Scenario::BrushingRing),
        ("refund-surge", Scenario::RefundSurge),
        ("false-claims", Scenario::FalseClaims),
        ("after-sales", Scenario::AfterSales),
        ("rented-audience", Scenario::RentedAudience),
        ("careful-brushing", Scenario::CarefulBrushing),
        ("confounders", Scenario::Confounders),
    ];

    pub fn parse(s: &str) -> Option<Scenario> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, sc)| *sc)
    }

    pub fn name(&self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, sc)| sc == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

/// The public figures scale 1 is built on: the 2020 debut stream of a
/// celebrity anchor on Douyin — about 48 million views and 910 thousand
/// orders in three hours (docs/SIMULATION.md).
pub const DEBUT_VIEWS: f64 = 48_000_000.0;
pub const DEBUT_ORDERS: f64 = 910_000.0;
/// Mean joins per unique viewer (re-entries), so unique = views / 1.3.
pub const JOINS_PER_VIEWER: f64 = 1.3;
pub(crate) const STREAM_SECS: i64 = 3 * 3600;

#[derive(Clone, Debug)]
pub struct Config {
    pub scenarios: Vec<Scenario>,
    pub scale: f64,
    pub seed: u64,
    /// Session id; `s<seed>` by default. Every other id is prefixed with it.
    pub session: Option<String>,
    /// How careful the fraud is, and how large the honest look-alikes.
    pub knobs: Knobs,
}

/// Stealth knobs for the fake accounts (bot farm and rented audience) and
/// the brushing rings, and sizes of the honest confounders, so that an
/// evaluation can walk from blatant to careful (docs/SIMULATION.md).
/// `None` keeps the scenario's own default, given in brackets.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// Fake accounts' age in days at the session [farm 0–2, rental 365–1095].
    pub account_age_days: Option<u32>,
    /// Fake accounts per device [farm 40, rental 1: each its own].
    pub accounts_per_device: Option<u32>,
    /// Fake accounts per network [farm 500, rental 1: residential].
    pub accounts_per_network: Option<u32>,
    /// Seconds over which a wave or a rental arrives [farm 3, rental 600].
    pub join_spread_secs: Option<u32>,
    /// Seconds over which they leave when their time is up [farm 10, rental 60].
    pub leave_spread_secs: Option<u32>,
    /// Share of fake accounts that comment or like once [farm 0.1, rental 0].
    pub interaction_rate: Option<f64>,
    /// Minutes a rental lasts [90].
    pub rental_block_mins: Option<u32>,
    /// Other rooms the rented pool also sits in [3].
    pub rental_rooms: Option<u32>,
    /// Whether those rentals run at the same time as this one [true].
    pub rental_concurrent: Option<bool>,
    /// Accounts in a brushing ring [0.4% of viewers, 12–5,000].
    pub ring_size: Option<u32>,
    /// Orders per ring account [brushing-ring 1–3, careful-brushing 3–4].
    pub ring_orders: Option<u32>,
    /// Ring accounts per shared payment instrument [brushing-ring 8, careful 4].
    pub ring_per_payment: Option<u32>,
    /// Confounders: accounts behind one office address [300].
    pub office_accounts: Option<u32>,
    /// Confounders: share of the audience arriving in one platform push [0.05].
    pub push_share: Option<f64>,
    /// Confounders: share of viewers who lurk an hour or more in silence [0.05].
    pub lurker_share: Option<f64>,
    /// Confounders: share of viewers in families of three on one tablet and card [0.04].
    pub family_share: Option<f64>,
    /// Confounders: other anchors' rooms where this anchor's fans also watch [3].
    pub fan_rooms: Option<u32>,
}

impl Knobs {
    /// Sets one knob from `name=value` text (the CLI's `--knob`).
    pub fn set(&mut self, text: &str) -> Result<(), String> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| format!("knob {text:?}: expected NAME=VALUE"))?;
        let bad = |what: &str| format!("knob {name}: {value:?} is not {what}");
        let count = || value.parse::<u32>().map_err(|_| bad("a whole number"));
        let share = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| bad("a share from 0 to 1"))
        };
        match name {
            "account_age_days" => self.account_age_days = Some(count()?),
            "accounts_per_device" => self.accounts_per_device = Some(count()?.max(1)),
            "accounts_per_network" => self.accounts_per_network = Some(count()?.max(1)),
            "join_spread_secs" => self.join_spread_secs = Some(count()?),
            "leave_spread_secs" => self.leave_spread_secs = Some(count()?),
            "interaction_rate" => self.interaction_rate = Some(share()?),
            "rental_block_mins" => self.rental_block_mins = Some(count()?.clamp(1, 180)),
            "rental_rooms" => self.rental_rooms = Some(count()?.min(20)),
            "rental_concurrent" => {
                self.rental_concurrent = Some(value.parse().map_err(|_| bad("true or false"))?)
            }
            "ring_size" => self.ring_size = Some(count()?.clamp(3, 100_000)),
            "ring_orders" => self.ring_orders = Some(count()?.clamp(1, 50)),
            "ring_per_payment" => self.ring_per_payment = Some(count()?.max(1)),
            "office_accounts" => self.office_accounts = Some(count()?),
            "push_share" => self.push_share = Some(share()?),
            "lurker_share" => self.lurker_share = Some(share()?),
            "family_share" => self.family_share = Some(share()?),
            "fan_rooms" => self.fan_rooms = Some(count()?.min(20)),
            _ => {
                return Err(format!(
                    "unknown knob {name:?}; known: {}",
                    Self::NAMES.join(", ")
                ))
            }
        }
        Ok(())
    }

    pub const NAMES: [&'static str; 17] = [
        "account_age_days",
        "accounts_per_device",
        "accounts_per_network",
        "join_spread_secs",
        "leave_spread_secs",
        "interaction_rate",
        "rental_block_mins",
        "rental_rooms",
        "rental_concurrent",
        "ring_size",
        "ring_orders",
        "ring_per_payment",
        "office_accounts",
        "push_share",
        "lurker_share",
        "family_share",
        "fan_rooms",
    ];
}

impl Config {
    pub(crate) fn has(&self, s: Scenario) -> bool {
        self.scenarios.contains(&s)
    }
}

/// The session's fixed figures, derived from the [`Config`] without a
/// random draw.
pub(crate) struct Plan {
    /// The session id, prefix of every other id.
    pub tag: String,
    /// The day of the stream, a different one per seed.
    pub day: NaiveDate,
    /// 20:00 that day, UTC+8: when the stream starts.
    pub start: DateTime<FixedOffset>,
    /// Unique human viewers.
    pub humans: u64,
    /// The chance a human orders on their first visit, so that orders
    /// come to the debut's count at any scale.
    pub buy_p: f64,
}

impl Plan {
    pub fn new(cfg: &Config) -> Plan {
        let tag = cfg
            .session
            .clone()
            .unwrap_or_else(|| format!("s{}", cfg.seed));
        let day = NaiveDate::from_ymd_opt(2020, 4, 1).expect("date")
            + Duration::days((cfg.seed % 365) as i64);
        let offset = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let start = offset
            .from_local_datetime(&day.and_hms_opt(20, 0, 0).expect("time"))
            .single()
            .expect("fixed offset");
        let s = cfg.scale.max(1e-7);
        let humans = ((DEBUT_VIEWS / JOINS_PER_VIEWER) * s).round().max(40.0) as u64;
        let buy_p = (DEBUT_ORDERS * s / humans as f64).min(0.5);
        Plan {
            tag,
            day,
            start,
            humans,
            buy_p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Knobs;

    /// Every name the error message lists is a knob `set` takes, and a
    /// value of the wrong kind is refused with the knob's name.
    #[test]
    fn every_listed_knob_can_be_set() {
        let mut k = Knobs::default();
        for name in Knobs::NAMES {
            let value = if name == "rental_concurrent" {
                "false"
            } else {
                "1"
            };
            k.set(&format!("{name}={value}")).unwrap();
        }
        assert_eq!(k.rental_concurrent, Some(false));
        assert_eq!(k.fan_rooms, Some(1));
        let e = k.set("ring_size=lots").unwrap_err();
        assert!(e.contains("ring_size") && e.contains("whole number"), "{e}");
        let e = k.set("stealth=1").unwrap_err();
        assert!(
            e.contains("unknown knob") && e.contains("lurker_share"),
            "{e}"
        );
        assert!(k.set("no_equals_sign").is_err());
    }
}
