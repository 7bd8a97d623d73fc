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
}

impl Scenario {
    pub const ALL: [(&'static str, Scenario); 7] = [
        ("clean", Scenario::Clean),
        ("inflated-views", Scenario::InflatedViews),
        ("bot-farm", Scenario::BotFarm),
        ("brushing-ring", Scenario::BrushingRing),
        ("refund-surge", Scenario::RefundSurge),
        ("false-claims", Scenario::FalseClaims),
        ("after-sales", Scenario::AfterSales),
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
