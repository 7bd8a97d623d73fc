//! The observed audience, and which accounts behave as bots.
//!
//! Each account collects weighted evidence (see `rules/authenticity.json`):
//! a device or network shared by many accounts, an arrival inside a
//! synchronized wave, a freshly created account, no interaction at all, a
//! copied comment, a device whose accounts all watch for the same time, a
//! departure together with many others, and — from other rooms (see
//! `rooms`) — sitting in two rooms at once or moving with a group across
//! rooms. An account is judged a bot only when the weights add up to the
//! convict score; the weights are set so that no single signal gets there.

use crate::authenticity::rooms;
use crate::rules::BotRules;
use crate::state::{day_number, Account, Map, Session, State, Tally};

/// Why an account was judged a bot: one bit per signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals(u16);

impl Signals {
    pub const SHARED_DEVICE: Signals = Signals(1);
    pub const SHARED_NETWORK: Signals = Signals(2);
    pub const WAVE: Signals = Signals(4);
    pub const FRESH: Signals = Signals(8);
    pub const PASSIVE: Signals = Signals(16);
    pub const COPIED_COMMENT: Signals = Signals(32);
    pub const UNIFORM_DWELL: Signals = Signals(64);
    pub const SYNC_LEAVE: Signals = Signals(128);
    pub const CONCURRENT: Signals = Signals(256);
    pub const LOCKSTEP: Signals = Signals(512);
    pub const LOCKSTEP_REPEAT: Signals = Signals(1024);
    pub const ALL: [(Signals, &'static str); 11] = [
        (Signals::SHARED_DEVICE, "shared_device"),
        (Signals::SHARED_NETWORK, "shared_network"),
        (Signals::WAVE, "join_wave"),
        (Signals::FRESH, "fresh_account"),
        (Signals::PASSIVE, "no_interaction"),
        (Signals::COPIED_COMMENT, "copied_comment"),
        (Signals::UNIFORM_DWELL, "uniform_dwell"),
        (Signals::SYNC_LEAVE, "sync_leave"),
        (Signals::CONCURRENT, "concurrent_rooms"),
        (Signals::LOCKSTEP, "lockstep_rooms"),
        (Signals::LOCKSTEP_REPEAT, "lockstep_repeat"),
    ];
    pub fn has(self, s: Signals) -> bool {
        self.0 & s.0 != 0
    }
    fn add(&mut self, s: Signals) {
        self.0 |= s.0;
    }
}

/// One account judged a bot.
#[derive(Clone, Debug)]
pub struct Suspect {
    pub account: u32,
    pub score: f64,
    pub signals: Signals,
    pub first_join_leaf: u64,
}

/// What the events show of the audience.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    pub views: u64,
    pub unique: u64,
    pub peak_online: u64,
    /// Joins by accounts not judged bots.
    pub real_views: u64,
    pub bots: Vec<Suspect>,
    /// How many suspected bots carry each signal, in `Signals::ALL` order.
    pub signal_counts: [u64; 11],
    /// The join-wave threshold used (joins in the window).
    pub wave_threshold: u32,
}

/// Counts the audience of session `si` and judges every account.
pub(crate) fn audience(st: &State, si: usize, r: &BotRules) -> Audience {
    let s = &st.sessions[si];
    let mut out = Audience::default();
    let wave = WaveDetector::new(s, r);
    let departures = WaveDetector::departures(s, r);
    let rooms = rooms::cross_room(st, si, r);
    out.wave_threshold = wave.threshold;
    let uniform = uniform_dwell_devices(s, r);
    let cohorts = uniform_dwell_waves(s, r, &wave);
    let start_day = chrono::DateTime::from_timestamp_millis(s.start_ms())
        .map(|t| day_number(t.date_naive()))
        .unwrap_or(i32::MAX);
    for (ix, a) in s.crowd.accounts.iter().enumerate() {
        if a.joins == 0 {
            continue;
        }
        out.views += u64::from(a.joins);
        out.unique += 1;
        let mut score = 0.0;
        let mut sig = Signals::default();
        let mut add = |cond: bool, w: f64, s: Signals| {
            if cond {
                score += w;
                sig.add(s);
            }
        };
        let count = |m: &Map<u64, u32>, k: u64| {
            if k == 0 {
                0
            } else {
                m.get(&k).copied().unwrap_or(0)
            }
        };
        add(
            count(&s.crowd.devices, a.device) >= r.shared_device_accounts,
            r.shared_device_weight,
            Signals::SHARED_DEVICE,
        );
        add(
            count(&s.crowd.networks, a.network) >= r.shared_network_accounts,
            r.shared_network_weight,
            Signals::SHARED_NETWORK,
        );
        let in_wave = wave.in_wave(a.first_join_ms);
        add(in_wave, r.wave_weight, Signals::WAVE);
        add(
            a.created_day != i32::MIN
                && i64::from(start_day) - i64::from(a.created_day) <= r.fresh_account_days,
            r.fresh_account_weight,
            Signals::FRESH,
        );
        add(a.interactions == 0, r.passive_weight, Signals::PASSIVE);
        let copied = a.first_text != 0
            && s.crowd
                .texts
                .get(&a.first_text)
                .is_some_and(|t| !t.chant && t.accounts >= r.copied_comment_accounts);
        add(copied, r.copied_comment_weight, Signals::COPIED_COMMENT);
        // The account itself must have watched for the group's time: a
        // real viewer who arrived with a bot wave is not convicted by it.
        let dwell = single_visit_dwell(a);
        let near = |median: Option<&f64>| {
            median
                .zip(dwell)
                .is_some_and(|(m, d)| (d - m).abs() <= r.uniform_dwell_tolerance * m)
        };
        let same_dwell = (a.device != 0 && near(uniform.get(&a.device)))
            || near(cohorts.get(&cohort(a.first_join_ms, r)));
        add(same_dwell, r.uniform_dwell_weight, Signals::UNIFORM_DWELL);
        // A crowd that arrived together also thins out together: leaving
        // with many others is evidence only for an account that did not
        // arrive in a wave (one timer, not two signals).
        let left = a.leaves > 0 && a.last_leave_ms >= a.last_join_ms;
        add(
            left && !in_wave && departures.in_wave(a.last_leave_ms),
            r.sync_leave_weight,
            Signals::SYNC_LEAVE,
        );
        add(
            rooms.concurrent[ix],
            r.concurrent_weight,
            Signals::CONCURRENT,
        );
        let lockstep = u32::from(rooms.lockstep_rooms[ix]);
        add(lockstep > 0, r.lockstep_weight, Signals::LOCKSTEP);
        add(
            lockstep >= r.lockstep_repeat_rooms.max(1),
            r.lockstep_repeat_weight,
            Signals::LOCKSTEP_REPEAT,
        );
        if score >= r.convict_score {
            for (k, (s, _)) in Signals::ALL.iter().enumerate() {
                out.signal_counts[k] += sig.has(*s) as u64;
            }
            out.bots.push(Suspect {
                account: ix as u32,
                score,
                signals: sig,
                first_join_leaf: a.first_join_leaf,
            });
        } else {
            out.real_views += u64::from(a.joins);
        }
    }
    out.peak_online = peak_online(s);
    // Strongest evidence first.
    out.bots
        .sort_by(|a, b| b.score.total_cmp(&a.score).then(a.account.cmp(&b.account)));
    out
}

/// Peak concurrency: joins minus leaves over time, per second. A session's
/// end leaves everyone, so nothing after it counts.
fn peak_online(s: &Session) -> u64 {
    let end = s.ended.map(|t| t.timestamp_millis().div_euclid(1000));
    let mut secs: Vec<(i64, i64)> = s
        .crowd
        .seconds
        .iter()
        .filter(|(sec, _)| end.is_none_or(|e| **sec < e))
        .map(|(sec, t)| (*sec, i64::from(t.joins) - i64::from(t.leaves)))
        .collect();
    secs.sort_unstable();
    let (mut online, mut peak) = (0i64, 0i64);
    for (_, d) in secs {
        // Leaves of joins we never saw must not drive the count below zero.
        online = (online + d).max(0);
        peak = peak.max(online);
    }
    peak as u64
}

/// Arrival (or departure) waves: seconds whose surrounding window holds
/// many times the session's typical number of joins (or leaves).
pub(crate) struct WaveDetector<'a> {
    seconds: &'a Map<i64, Tally>,
    half: i64,
    pub threshold: u32,
    count: fn(&Tally) -> u32,
    /// Seconds from this one on are never in a wave.
    until: i64,
    /// The seconds in a wave, worked out once: judging asks per account.
    in_wave: Map<i64, ()>,
}

impl<'a> WaveDetector<'a> {
    pub fn new(s: &'a Session, r: &BotRules) -> WaveDetector<'a> {
        Self::with(s, r, |t| t.joins, i64::MAX)
    }

    /// Departure waves, except in the session's last minutes (everyone
    /// leaves when a stream ends).
    pub fn departures(s: &'a Session, r: &BotRules) -> WaveDetector<'a> {
        let until = match s.ended {
            Some(t) => t.timestamp().saturating_sub(r.sync_leave_end_secs),
            None => i64::MAX,
        };
        Self::with(s, r, |t| t.leaves, until)
    }

    fn with(
        s: &'a Session,
        r: &BotRules,
        count: fn(&Tally) -> u32,
        until: i64,
    ) -> WaveDetector<'a> {
        let half = (r.wave_window_secs / 2).max(0);
        let mut d = WaveDetector {
            seconds: &s.crowd.seconds,
            half,
            threshold: r.wave_min_joins,
            count,
            until,
            in_wave: Map::default(),
        };
        let busy_secs: Vec<i64> = s
            .crowd
            .seconds
            .iter()
            .filter(|(sec, t)| count(t) > 0 && **sec < until)
            .map(|(s, _)| *s)
            .collect();
        let (Some(first), Some(last)) = (busy_secs.iter().min(), busy_secs.iter().max()) else {
            return d;
        };
        // The median window over the whole span, counting empty seconds as
        // zero without materialising them (a bad timestamp may stretch the span).
        let span = (last - first + 1) as usize;
        let mut windows: Vec<u32> = busy_secs.iter().map(|s| d.window(*s)).collect();
        windows.sort_unstable();
        let zeros = span.saturating_sub(windows.len());
        let mid = span / 2;
        let median = if mid < zeros {
            0
        } else {
            windows.get(mid - zeros).copied().unwrap_or(0)
        };
        d.threshold = r
            .wave_min_joins
            .max((r.wave_factor * f64::from(median)).ceil() as u32);
        // Only seconds near a busy one can hold a wave.
        let mut seen: Map<i64, ()> = Map::default();
        for s in &busy_secs {
            for t in s - d.half..=s + d.half {
                if seen.insert(t, ()).is_none() && d.window(t) >= d.threshold {
                    d.in_wave.insert(t, ());
                }
            }
        }
        d
    }

    fn window(&self, sec: i64) -> u32 {
        (sec - self.half..=sec + self.half)
            .map(|s| self.seconds.get(&s).map_or(0, self.count))
            .sum()
    }

    pub fn in_wave(&self, ms: i64) -> bool {
        let sec = ms.div_euclid(1000);
        ms != i64::MAX
            && sec < self.until
            && (self.threshold == 0 || self.in_wave.contains_key(&sec))
    }
}

/// The arrival cohort of a join: its wave window.
fn cohort(ms: i64, r: &BotRules) -> u64 {
    ms.div_euclid(1000 * r.wave_window_secs.max(1)) as u64
}

/// Devices whose single-visit accounts all watched for about the same time.
fn uniform_dwell_devices(s: &Session, r: &BotRules) -> Map<u64, f64> {
    uniform_dwell(s, r, |a| {
        let shared = a.device != 0
            && s.crowd.devices.get(&a.device).copied().unwrap_or(0) >= r.uniform_dwell_min_accounts;
        shared.then_some(a.device)
    })
}

/// Arrival waves whose accounts all left after the same time: a script's
/// timer. A real crowd arriving together leaves at heavy-tailed times.
fn uniform_dwell_waves(s: &Session, r: &BotRules, wave: &WaveDetector) -> Map<u64, f64> {
    uniform_dwell(s, r, |a| {
        wave.in_wave(a.first_join_ms)
            .then(|| cohort(a.first_join_ms, r))
    })
}

/// Watch time in seconds of an account that came once and left.
fn single_visit_dwell(a: &Account) -> Option<f64> {
    (a.joins == 1 && a.leaves > 0 && a.last_leave_ms >= a.first_join_ms)
        .then(|| (a.last_leave_ms - a.first_join_ms) as f64 / 1000.0)
}

/// Groups (by `group_of`) in which most single-visit accounts watched for
/// the same time (within a tolerance of the group's median), with that
/// median. Robust to the few real viewers who happen to share a wave.
fn uniform_dwell(
    s: &Session,
    r: &BotRules,
    group_of: impl Fn(&Account) -> Option<u64>,
) -> Map<u64, f64> {
    let mut dwells: Map<u64, Vec<f32>> = Map::default();
    for a in &s.crowd.accounts {
        let (Some(d), Some(g)) = (single_visit_dwell(a), group_of(a)) else {
            continue;
        };
        dwells.entry(g).or_default().push(d as f32);
    }
    dwells
        .into_iter()
        .filter_map(|(g, mut d)| {
            if d.len() < r.uniform_dwell_min_accounts as usize {
                return None;
            }
            d.sort_unstable_by(f32::total_cmp);
            let median = f64::from(d[d.len() / 2]);
            let near = d
                .iter()
                .filter(|x| (f64::from(**x) - median).abs() <= r.uniform_dwell_tolerance * median)
                .count();
            let share = near as f64 / d.len() as f64;
            (share >= r.uniform_dwell_share).then_some((g, median))
        })
        .collect()
}
