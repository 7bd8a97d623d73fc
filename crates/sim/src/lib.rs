//! A live-commerce simulator with known truth.
//!
//! One call to [`simulate`] writes one live session — registry facts, the
//! stream (joins, leaves, comments, likes, claims, reported metrics, orders)
//! and what follows it for weeks (payments, refunds, deliveries,
//! complaints) — as NDJSON of `shared/spec/events.md`, and returns the
//! [`Truth`]: which accounts are bots, which orders are brushing, the real
//! figures, which claims are false. Scenarios are modifiers of one honest
//! base stream and compose freely. See `docs/SIMULATION.md` for the model
//! and where each default comes from.
//!
//! Memory stays bounded by the stream's concurrency: viewers are generated
//! in arrival order and their events leave through a time-ordered heap as
//! soon as the clock passes them; only a compact record per order is kept
//! for the after-sales weeks.

pub mod rng;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use rng::Rng;
use serde_json::json;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};

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
const STREAM_SECS: i64 = 3 * 3600;
/// Minutes at which a giveaway brings a crowd in at once.
const SHARE_BURSTS: [i64; 2] = [45, 120];
const WATCH_SAMPLE: usize = 100_000;

#[derive(Clone, Debug)]
pub struct Config {
    pub scenarios: Vec<Scenario>,
    pub scale: f64,
    pub seed: u64,
    /// Session id; `s<seed>` by default. Every other id is prefixed with it.
    pub session: Option<String>,
}

impl Config {
    fn has(&self, s: Scenario) -> bool {
        self.scenarios.contains(&s)
    }
}

/// What really happened, for scoring analyses.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub session: String,
    pub scenarios: Vec<&'static str>,
    pub events: u64,
    pub human_accounts: u64,
    pub human_views: u64,
    pub human_peak_online: u64,
    pub bot_accounts: Vec<String>,
    pub brushing_accounts: Vec<String>,
    pub brushing_orders: Vec<String>,
    pub human_orders: u64,
    pub paid_gmv: i64,
    pub refunded_gmv: i64,
    pub brushing_gmv: i64,
    /// Human paid minus human refunds: the GMV an honest report would show.
    pub real_gmv: i64,
    pub reported_views: u64,
    pub reported_peak_online: u64,
    pub reported_orders: u64,
    pub reported_gmv: i64,
    /// Claim event id → what is wrong with it (empty list: lawful).
    pub claims: BTreeMap<String, Vec<&'static str>>,
    pub complaints: u64,
    /// Watch times (seconds) of up to 100,000 human visits, a uniform
    /// reservoir sample, for distribution checks.
    pub watch_secs_sample: Vec<f64>,
}

impl Truth {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "session": self.session,
            "scenarios": self.scenarios,
            "events": self.events,
            "real": {
                "unique_viewers": self.human_accounts,
                "views": self.human_views,
                "peak_online": self.human_peak_online,
                "orders": self.human_orders,
                "paid_gmv": self.paid_gmv,
                "refunded_gmv": self.refunded_gmv,
                "gmv": self.real_gmv,
            },
            "reported": {
                "views": self.reported_views,
                "peak_online": self.reported_peak_online,
                "orders": self.reported_orders,
                "gmv": self.reported_gmv,
            },
            "bots": self.bot_accounts,
            "brushing": { "accounts": self.brushing_accounts, "orders": self.brushing_orders, "gmv": self.brushing_gmv },
            "claims": self.claims,
            "complaints": self.complaints,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Join { human: bool },
    Leave { human: bool },
    Other,
}

/// An event waiting in the time-ordered heap.
type Pending = Reverse<(i64, u64, Kind, String)>;

struct Product {
    id: String,
    price: i64,
    drop_ms: i64,
    false_claim: Option<String>,
    claim_ids: Vec<String>,
}

/// A compact record of an order, for the weeks after the stream (24 bytes:
/// a 48-million-view stream keeps ~1M of them, ~25 MB).
struct OrderRec {
    number: u32,
    paid: bool,
    brushing: bool,
    /// The product whose latest claim a complaint may cite.
    product: u16,
    at_ms: i64,
    amount: i64,
}

struct Sim<'w> {
    out: &'w mut dyn Write,
    rng: Rng,
    tag: String,
    start: DateTime<FixedOffset>,
    heap: BinaryHeap<Pending>,
    seq: u64,
    truth: Truth,
    // Observed counters as events leave the heap, for honest metrics.
    joins: u64,
    online_all: i64,
    online_humans: i64,
    peak_all: i64,
}

impl Sim<'_> {
    fn ts(&self, ms: i64) -> String {
        (self.start + Duration::milliseconds(ms)).to_rfc3339()
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("{}-e{}", self.tag, self.seq)
    }

    /// Schedules an event; `fields` is the JSON body after the common fields.
    fn push(&mut self, ms: i64, kind: Kind, ty: &str, fields: String) -> String {
        let id = self.next_id();
        let line = format!(
            r#"{{"type":"{ty}","id":"{id}","at":"{}",{fields}}}"#,
            self.ts(ms)
        );
        self.heap.push(Reverse((ms, self.seq, kind, line)));
        id
    }

    /// Writes every scheduled event before `until_ms`, in time order.
    fn flush(&mut self, until_ms: i64) -> io::Result<()> {
        while let Some(Reverse((ms, _, _, _))) = self.heap.peek() {
            if *ms >= until_ms {
                break;
            }
            let Reverse((_, _, kind, line)) = self.heap.pop().expect("peeked");
            match kind {
                Kind::Join { human } => {
                    self.joins += 1;
                    self.online_all += 1;
                    self.online_humans += human as i64;
                    self.peak_all = self.peak_all.max(self.online_all);
                    self.truth.human_peak_online =
                        self.truth.human_peak_online.max(self.online_humans as u64);
                }
                Kind::Leave { human } => {
                    self.online_all -= 1;
                    self.online_humans -= human as i64;
                }
                Kind::Other => {}
            }
            self.out.write_all(line.as_bytes())?;
            self.out.write_all(b"\n")?;
            self.truth.events += 1;
        }
        Ok(())
    }

    fn comment(&mut self, ms: i64, account: &str, text: &str) {
        let body = format!(
            r#""session":{},"account":{},"text":{}"#,
            q(&self.tag),
            q(account),
            q(text)
        );
        self.push(ms, Kind::Other, "comment", body);
    }

    fn write_now(&mut self, ms: i64, ty: &str, fields: String) -> io::Result<String> {
        let id = self.push(ms, Kind::Other, ty, fields);
        self.flush(ms + 1)?;
        Ok(id)
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

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
const BOT_SCRIPT: [&str; 3] = ["主播好棒!!!", "great product, buy now", "冲冲冲"];

/// Writes one simulated session to `out` and returns its truth.
pub fn simulate(cfg: &Config, out: &mut dyn Write) -> io::Result<Truth> {
    let mut rng = Rng::new(cfg.seed);
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
    let mut sim = Sim {
        out,
        rng: rng.fork(1),
        tag: tag.clone(),
        start,
        heap: BinaryHeap::new(),
        seq: 0,
        truth: Truth {
            session: tag.clone(),
            scenarios: cfg.scenarios.iter().map(Scenario::name).collect(),
            ..Truth::default()
        },
        joins: 0,
        online_all: 0,
        online_humans: 0,
        peak_all: 0,
    };
    let s = cfg.scale.max(1e-7);
    let humans = ((DEBUT_VIEWS / JOINS_PER_VIEWER) * s).round().max(40.0) as u64;
    let buy_p = (DEBUT_ORDERS * s / humans as f64).min(0.5);
    let n_products = 20;
    let anchor = format!("{tag}-anchor");
    let merchant = format!("{tag}-merchant");

    // Registry, a week before the stream.
    let reg = -7 * 86_400_000;
    sim.write_now(
        reg,
        "anchor_registered",
        format!(
            r#""anchor":{},"name":"Anchor {tag}","mcn":"mcn-1","verified":true"#,
            q(&anchor)
        ),
    )?;
    sim.write_now(
        reg,
        "merchant_registered",
        format!(r#""merchant":{},"name":"Merchant {tag}","licenses":[{{"kind":"business","number":"91110000{}","expires":"2030-12-31"}}]"#, q(&merchant), cfg.seed % 100_000),
    )?;
    let categories = [
        "food",
        "health_food",
        "cosmetics",
        "apparel",
        "electronics",
        "household",
    ];
    let mut products = Vec::new();
    for k in 0..n_products {
        let id = format!("{tag}-p{k}");
        let category = categories[k % categories.len()];
        let price = (rng.lognormal(9_900.0, 0.7).round() as i64).clamp(990, 99_900);
        let grams = 2 + k as i64 % 5;
        let quals = match category {
            "food" => {
                format!(r#"[{{"kind":"SC","number":"SC1174403060{k:04}","expires":"2030-01-01"}}]"#)
            }
            "health_food" => format!(
                r#"[{{"kind":"SC","number":"SC1174403060{k:04}","expires":"2030-01-01"}},{{"kind":"health_food_filing","number":"食健备G2019440{k:05}"}}]"#
            ),
            "cosmetics" => format!(r#"[{{"kind":"cosmetics_filing","number":"G-2019-{k:05}"}}]"#),
            "electronics" => format!(r#"[{{"kind":"CCC","number":"2019010{k:07}"}}]"#),
            _ => "[]".into(),
        };
        sim.write_now(
            reg + 1000,
            "product_registered",
            format!(
                r#""product":{},"merchant":{},"name":"Product {k}","category":"{category}","attributes":{{"net_weight_g":{},"key_ingredient_g":{grams}}},"qualifications":{quals}"#,
                q(&id),
                q(&merchant),
                100 * (1 + k % 5)
            ),
        )?;
        let approved = [
            format!("每份含{grams}克核心成分"),
            format!("Each pack has {grams} g of the key ingredient"),
        ];
        sim.write_now(
            reg + 2000,
            "agreement",
            format!(
                r#""agreement":"{tag}-g{k}","anchor":{},"merchant":{},"product":{},"seller":"merchant","commission_bp":2000,"slot_fee":6000000,"currency":"CNY","approved_claims":[{},{}]"#,
                q(&anchor),
                q(&merchant),
                q(&id),
                q(&approved[0]),
                q(&approved[1])
            ),
        )?;
        let drop_ms = (5 * 60 + k as i64 * (170 * 60 / n_products as i64)) * 1000;
        products.push(Product {
            id,
            price,
            drop_ms,
            false_claim: None,
            claim_ids: Vec::new(),
        });
    }
    // False claims: a third of the products get one kind each.
    let false_kinds = ["banned_term", "medical", "contradicted", "unapproved"];
    if cfg.has(Scenario::FalseClaims) {
        for (k, p) in products.iter_mut().enumerate().filter(|(k, _)| k % 3 == 0) {
            let kind = false_kinds[(k / 3) % false_kinds.len()];
            if kind == "contradicted" {
                // The lab found a fraction of what is claimed, before the stream.
                sim.write_now(
                    -3 * 86_400_000,
                    "inspection_report",
                    format!(
                        r#""report":"{tag}-r{k}","product":{},"lab":"Guangzhou Inspection Institute","issued":"{}","results":[{{"item":"key_ingredient_g","value":0.05,"unit":"g"}}],"conclusion":"fail""#,
                        q(&p.id),
                        (day - Duration::days(4)).format("%Y-%m-%d")
                    ),
                )?;
            }
            p.false_claim = Some(kind.to_string());
        }
    }
    sim.write_now(
        0,
        "session_started",
        format!(
            r#""session":{},"anchor":{},"platform":"douyin","room":"r-{}","title":"Live {tag}""#,
            q(&tag),
            q(&anchor),
            cfg.seed
        ),
    )?;

    // Claims at each drop.
    for (k, p) in products.iter_mut().enumerate() {
        let grams = 2 + k as i64 % 5;
        let lawful = sim.push(
            p.drop_ms + 5_000,
            Kind::Other,
            "claim",
            format!(
                r#""session":{},"product":{},"text":{},"speaker":"anchor","asserts":[{{"attribute":"key_ingredient_g","op":">=","value":{grams},"unit":"g"}}]"#,
                q(&tag),
                q(&p.id),
                q(&format!("每份含{grams}克核心成分"))
            ),
        );
        // The merchant's own selling point; false when the lab says so
        // (the approved-but-false claim of liability.md's worked example).
        let lawful_kinds = match p.false_claim.as_deref() {
            Some("contradicted") => vec!["contradicted"],
            _ => Vec::new(),
        };
        sim.truth.claims.insert(lawful.clone(), lawful_kinds);
        p.claim_ids.push(lawful.clone());
        if let Some(kind) = p.false_claim.clone() {
            let (text, asserts) = match kind.as_str() {
                "banned_term" => (
                    "全网最低价, 最好的, the best deal ever".to_string(),
                    String::new(),
                ),
                "medical" => (
                    "每天一杯能预防癌症, cures diabetes".to_string(),
                    String::new(),
                ),
                "contradicted" => (
                    format!("每碗燕窝含量足{grams}克"),
                    format!(
                        r#","asserts":[{{"attribute":"key_ingredient_g","op":">=","value":{grams},"unit":"g"}}]"#
                    ),
                ),
                _ => (
                    "我们家自己也天天吃, 比专柜的还好".to_string(),
                    String::new(),
                ),
            };
            let id = sim.push(
                p.drop_ms + 20_000,
                Kind::Other,
                "claim",
                format!(
                    r#""session":{},"product":{},"text":{},"speaker":"anchor"{asserts}"#,
                    q(&tag),
                    q(&p.id),
                    q(&text)
                ),
            );
            // The anchor's own words: never among the approved points.
            sim.truth.claims.insert(
                id.clone(),
                match kind.as_str() {
                    "banned_term" => vec!["banned_term", "unapproved"],
                    "medical" => vec!["medical", "unapproved"],
                    "contradicted" => vec!["contradicted", "unapproved"],
                    _ => vec!["unapproved"],
                },
            );
            p.claim_ids.push(id);
        }
        let listed = format!(
            r#""session":{},"product":{},"price":{},"currency":"CNY","list_price":{}"#,
            q(&tag),
            q(&p.id),
            p.price,
            p.price * 3 / 2
        );
        sim.push(p.drop_ms, Kind::Other, "product_listed", listed);
    }

    let weights = arrival_weights(&products.iter().map(|p| p.drop_ms).collect::<Vec<_>>());
    let mut orders: Vec<OrderRec> = Vec::new();
    let mut next_account = 0u64;
    let inflate = if cfg.has(Scenario::InflatedViews) {
        20.0
    } else {
        1.0
    };
    let bots_total = if cfg.has(Scenario::BotFarm) {
        (humans as f64 * 0.6) as u64
    } else {
        0
    };
    let waves = 18u64;
    let mut bots_made = 0u64;
    let mut placed_orders = 0u64;
    let mut paid_gmv_all = 0i64;

    for minute in 0..(STREAM_SECS / 60) {
        let m_ms = minute * 60_000;
        // Humans arriving this minute.
        let n = sim.rng.poisson(humans as f64 * weights[minute as usize]);
        // Twice a stream a giveaway or a share brings 1% of the audience in
        // within three seconds: a real crowd that arrives like a bot wave.
        let burst = if SHARE_BURSTS.contains(&minute) {
            humans / 100
        } else {
            0
        };
        for i in 0..n + burst {
            let a = next_account;
            next_account += 1;
            let account = format!("{tag}-u{a}");
            // 5% of viewers share a family device with the accounts next to them.
            let device = if sim.rng.chance(0.05) {
                format!("{tag}-fam{}", a / 3)
            } else {
                format!("{tag}-d{a}")
            };
            // 4% sit behind one of three carrier-grade NATs.
            let ip = if sim.rng.chance(0.04) {
                format!("{tag}-cgnat{}", sim.rng.range(0, 3))
            } else {
                format!("{tag}-net{}", sim.rng.range(0, 2_000 + humans / 20))
            };
            let created = if sim.rng.chance(0.03) {
                day - Duration::days(sim.rng.range(0, 7) as i64)
            } else {
                day - Duration::days(sim.rng.range(30, 2_000) as i64)
            };
            sim.truth.human_accounts += 1;
            let mut join = if i < n {
                m_ms + sim.rng.range(0, 60_000) as i64
            } else {
                m_ms + 20_000 + sim.rng.range(0, 3_000) as i64
            };
            let mut visits = 0;
            loop {
                let dwell = (sim.rng.lognormal(120.0, 1.3) * 1000.0) as i64;
                let leave = (join + dwell.max(1000)).min(STREAM_SECS * 1000);
                sim.truth.human_views += 1;
                let watched = (leave - join) as f64 / 1000.0;
                if sim.truth.watch_secs_sample.len() < WATCH_SAMPLE {
                    sim.truth.watch_secs_sample.push(watched);
                } else {
                    let slot = sim.rng.range(0, sim.truth.human_views) as usize;
                    if slot < WATCH_SAMPLE {
                        sim.truth.watch_secs_sample[slot] = watched;
                    }
                }
                let body = format!(
                    r#""session":{},"account":{},"device":{},"ip":{},"account_created":"{}""#,
                    q(&tag),
                    q(&account),
                    q(&device),
                    q(&ip),
                    created.format("%Y-%m-%d")
                );
                sim.push(join, Kind::Join { human: true }, "viewer_joined", body);
                if sim.rng.chance(0.10) {
                    for _ in 0..sim.rng.range(1, 4) {
                        let t = sim.rng.range(join as u64, leave as u64 + 1) as i64;
                        let text = if sim.rng.chance(0.4) {
                            *sim.rng.pick(&CROWD)
                        } else {
                            *sim.rng.pick(&CHAT)
                        };
                        sim.comment(t, &account, text);
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
                            q(&tag),
                            q(&account)
                        ),
                    );
                }
                if visits == 0 && sim.rng.chance(buy_p) {
                    // Buy a product dropped while watching, or the one on air.
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
                    let order = format!("{tag}-o{}", orders.len());
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
                            r#""session":{},"order":{},"product":{},"account":{},"quantity":{qty},"amount":{amount},"currency":"CNY","device":{},"ip":{},"address":{},"payment":"{tag}-pay{a}""#,
                            q(&tag), q(&order), q(&p.id), q(&account), q(&device), q(&ip), q(&address)
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
                        paid_gmv_all += amount;
                    } else {
                        sim.push(
                            later,
                            Kind::Other,
                            "order_cancelled",
                            format!(r#""order":{}"#, q(&order)),
                        );
                    }
                    sim.truth.human_orders += 1;
                    placed_orders += 1;
                    let product = products.iter().position(|x| x.id == p.id).unwrap_or(0) as u16;
                    orders.push(OrderRec {
                        number: orders.len() as u32,
                        at_ms: t,
                        amount,
                        paid,
                        brushing: false,
                        product,
                    });
                }
                sim.push(
                    leave,
                    Kind::Leave { human: true },
                    "viewer_left",
                    format!(r#""session":{},"account":{}"#, q(&tag), q(&account)),
                );
                visits += 1;
                // A quarter come back later.
                let back = leave + sim.rng.exp(600_000.0) as i64;
                if visits >= 3 || !sim.rng.chance(0.25) || back >= STREAM_SECS * 1000 - 1000 {
                    break;
                }
                join = back;
            }
        }
        // A bot wave: thousands of fresh accounts on a few devices, within seconds.
        if bots_total > 0 && minute % 10 == 3 && bots_made < bots_total {
            let size = (bots_total / waves).max(1).min(bots_total - bots_made);
            let t0 = m_ms + sim.rng.range(0, 30_000) as i64;
            for _ in 0..size {
                let b = bots_made;
                bots_made += 1;
                let account = format!("{tag}-b{b}");
                sim.truth.bot_accounts.push(account.clone());
                let join = t0 + sim.rng.range(0, 3_000) as i64;
                let created = day - Duration::days(sim.rng.range(0, 3) as i64);
                let body = format!(
                    r#""session":{},"account":{},"device":"{tag}-farm{}","ip":"{tag}-farmnet{}","account_created":"{}""#,
                    q(&tag),
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
                    format!(r#""session":{},"account":{}"#, q(&tag), q(&account)),
                );
            }
        }
        // A brushing ring buys in tight bursts, mostly without watching.
        if cfg.has(Scenario::BrushingRing) && minute % 25 == 12 {
            let ring = ((humans as f64 * 0.004) as u64).clamp(12, 5_000);
            let p = &products[(minute as usize / 25) % products.len()];
            let t0 = m_ms + 5_000 + sim.rng.range(0, 25_000) as i64;
            for r in 0..ring {
                let account = format!("{tag}-ring{r}");
                if sim.truth.brushing_accounts.len() < ring as usize {
                    sim.truth.brushing_accounts.push(account.clone());
                }
                for _ in 0..sim.rng.range(1, 4) {
                    let t = t0 + sim.rng.range(0, 20_000) as i64;
                    if sim.rng.chance(0.3) {
                        let body = format!(
                            r#""session":{},"account":{},"device":"{tag}-rdev{}""#,
                            q(&tag),
                            q(&account),
                            r / 10
                        );
                        sim.push(
                            t - 3_000,
                            Kind::Join { human: false },
                            "viewer_joined",
                            body,
                        );
                        sim.push(
                            t + 2_000,
                            Kind::Leave { human: false },
                            "viewer_left",
                            format!(r#""session":{},"account":{}"#, q(&tag), q(&account)),
                        );
                    }
                    let order = format!("{tag}-o{}", orders.len());
                    let amount = p.price;
                    sim.push(
                        t,
                        Kind::Other,
                        "order_placed",
                        format!(
                            r#""session":{},"order":{},"product":{},"account":{},"quantity":1,"amount":{amount},"currency":"CNY","device":"{tag}-rdev{}","address":"{tag}-raddr{}","payment":"{tag}-rpay{}""#,
                            q(&tag), q(&order), q(&p.id), q(&account), r / 10, r / 15, r / 8
                        ),
                    );
                    sim.push(
                        t + 5_000,
                        Kind::Other,
                        "order_paid",
                        format!(r#""order":{},"amount":{amount}"#, q(&order)),
                    );
                    sim.truth.brushing_orders.push(order.clone());
                    sim.truth.brushing_gmv += amount;
                    placed_orders += 1;
                    paid_gmv_all += amount;
                    orders.push(OrderRec {
                        number: orders.len() as u32,
                        at_ms: t,
                        amount,
                        paid: true,
                        brushing: true,
                        product: 0,
                    });
                }
            }
        }
        sim.flush(m_ms + 60_000)?;
        // What the platform displays, once a minute: honest unless inflated.
        let boost = if cfg.has(Scenario::InflatedViews) {
            3.0
        } else {
            1.0
        };
        let reported_orders = (placed_orders as f64 * boost) as u64;
        let gmv = (paid_gmv_all as f64 * boost) as i64;
        let views = (sim.joins as f64 * inflate) as u64;
        let online = (sim.online_all.max(0) as f64 * if inflate > 1.0 { 12.0 } else { 1.0 }) as u64;
        sim.truth.reported_views = views;
        sim.truth.reported_peak_online = sim.truth.reported_peak_online.max(online);
        sim.truth.reported_orders = reported_orders;
        sim.truth.reported_gmv = gmv;
        let body = format!(
            r#""session":{},"online":{online},"views":{views},"orders":{reported_orders},"gmv":{gmv},"currency":"CNY""#,
            q(&tag)
        );
        sim.write_now(m_ms + 59_999, "metrics_reported", body)?;
    }
    sim.flush(i64::MAX)?;
    sim.write_now(
        STREAM_SECS * 1000,
        "session_ended",
        format!(r#""session":{}"#, q(&tag)),
    )?;

    // The weeks after: refunds, deliveries, complaints (time-ordered).
    let refund_p = if cfg.has(Scenario::RefundSurge) {
        0.45
    } else {
        0.06
    };
    let complaint_p = if cfg.has(Scenario::AfterSales) {
        0.08
    } else {
        0.01
    };
    let mut after: Vec<(i64, u64, String, String)> = Vec::new();
    let mut k = 0u64;
    let mut rng2 = rng.fork(2);
    for o in orders.iter().filter(|o| o.paid) {
        let day_ms = 86_400_000i64;
        let order_id = format!("{tag}-o{}", o.number);
        let refund = if o.brushing {
            rng2.chance(0.9)
        } else {
            rng2.chance(refund_p)
        };
        if refund {
            let t = o.at_ms
                + if o.brushing {
                    3 * day_ms + rng2.range(0, 4 * day_ms as u64) as i64
                } else {
                    day_ms + rng2.range(0, 13 * day_ms as u64) as i64
                };
            after.push((
                t,
                k,
                "order_refunded".into(),
                format!(
                    r#""order":{},"amount":{},"reason":"return""#,
                    q(&order_id),
                    o.amount
                ),
            ));
            if !o.brushing {
                sim.truth.refunded_gmv += o.amount;
            }
        } else {
            let t = o.at_ms + 2 * day_ms + rng2.range(0, 3 * day_ms as u64) as i64;
            after.push((
                t,
                k,
                "order_delivered".into(),
                format!(r#""order":{}"#, q(&order_id)),
            ));
        }
        k += 1;
        if !o.brushing && rng2.chance(complaint_p) {
            let cats = [
                "quality",
                "false_advertising",
                "counterfeit",
                "not_delivered",
                "other",
            ];
            let cat = if cfg.has(Scenario::AfterSales) {
                cats[(k % 5) as usize]
            } else {
                cats[[0, 3, 4][(k % 3) as usize]]
            };
            let claim_ref = match (products[o.product as usize].claim_ids.last(), cat) {
                (Some(c), "false_advertising") => format!(r#","claim_ref":{}"#, q(c)),
                _ => String::new(),
            };
            let t = o.at_ms + 3 * day_ms + rng2.range(0, 25 * day_ms as u64) as i64;
            after.push((t, k, "complaint".into(), format!(r#""complaint":"{tag}-k{k}","order":{},"category":"{cat}","text":"not as described"{claim_ref}"#, q(&order_id))));
            sim.truth.complaints += 1;
        }
    }
    after.sort();
    for (t, _, ty, body) in after {
        sim.write_now(t, &ty, body)?;
    }
    sim.truth.real_gmv = sim.truth.paid_gmv - sim.truth.refunded_gmv;
    Ok(sim.truth)
}
