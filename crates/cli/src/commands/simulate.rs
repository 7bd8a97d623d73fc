//! `simulate`: a live session with known truth, as NDJSON events.

use crate::commands::common::names;
use anyhow::{Context, Result};
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// clean, inflated-views, bot-farm, brushing-ring, refund-surge,
    /// false-claims, after-sales; repeat or comma-separate to combine.
    #[arg(long, value_delimiter = ',', default_value = "clean", value_parser = names(&sim::Scenario::ALL))]
    scenario: Vec<sim::Scenario>,
    /// 1.0 = the 2020 debut stream (~48M views, ~910k orders in 3 hours).
    #[arg(long, default_value_t = 0.001)]
    scale: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Session id (default s<seed>).
    #[arg(long)]
    session: Option<String>,
    /// Stealth and confounder knobs, NAME=VALUE, repeatable (docs/SIMULATION.md):
    /// account_age_days, accounts_per_device, accounts_per_network,
    /// join_spread_secs, leave_spread_secs, interaction_rate,
    /// rental_block_mins, rental_rooms, rental_concurrent, ring_size,
    /// ring_orders, ring_per_payment, office_accounts, push_share, lurker_share,
    /// family_share, fan_rooms.
    #[arg(long = "knob", value_name = "NAME=VALUE")]
    knobs: Vec<String>,
    /// Events file (default: stdout).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Truth file (default: OUTPUT.truth.json when --output is given).
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Write each event when its time comes (from the first event's), so a
    /// live evening can be replayed: `simulate --realtime | ingest -`.
    #[arg(long)]
    realtime: bool,
    /// With --realtime: this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// With --realtime: a quiet spell longer than this (seconds of event
    /// time) is skipped, so registrations days before and after-sales days
    /// after a session do not keep a replay waiting.
    #[arg(long, default_value_t = 60.0)]
    max_gap: f64,
}

/// A writer that lets each line through when its `at` comes: the event
/// time since the first line's, without quiet spells over `max_gap`,
/// divided by `speed`. Lines are written (and flushed) one at a time.
struct Paced<W: std::io::Write> {
    out: W,
    line: Vec<u8>,
    speed: f64,
    max_gap: f64,
    started: std::time::Instant,
    /// (event time of the last line, seconds of replay it was due at).
    last: Option<(chrono::DateTime<chrono::FixedOffset>, f64)>,
}

impl<W: std::io::Write> Paced<W> {
    fn emit(&mut self) -> std::io::Result<()> {
        let at = serde_json::from_slice::<serde_json::Value>(&self.line)
            .ok()
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v["at"].as_str()?).ok());
        if let Some(at) = at {
            let due = match self.last {
                None => 0.0,
                Some((prev, due)) => {
                    let gap = (at - prev).as_seconds_f64().max(0.0);
                    due + if gap > self.max_gap {
                        0.0
                    } else {
                        gap / self.speed
                    }
                }
            };
            self.last = Some((at, due));
            let wait = due - self.started.elapsed().as_secs_f64();
            if wait > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(wait));
            }
        }
        self.out.write_all(&self.line)?;
        self.out.flush()?;
        self.line.clear();
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for Paced<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for chunk in buf.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.out.flush()
    }
}

pub fn run(json_out: bool, a: Args) -> Result<u8> {
    let Args {
        scenario: scenarios,
        scale,
        seed,
        session,
        knobs: knob_args,
        output,
        truth: truth_path,
        realtime,
        speed,
        max_gap,
    } = a;
    if realtime && !(speed > 0.0 && max_gap >= 0.0) {
        anyhow::bail!("--speed must be above 0 and --max-gap at least 0");
    }
    if !(scale > 0.0 && scale <= 10.0) {
        anyhow::bail!("--scale must be above 0 and at most 10 (1.0 = a 48-million-view stream)");
    }
    let mut knobs = sim::Knobs::default();
    for k in &knob_args {
        knobs.set(k).map_err(anyhow::Error::msg)?;
    }
    let config = sim::Config {
        scenarios,
        scale,
        seed,
        session,
        knobs,
    };
    let sink: Box<dyn std::io::Write> = match &output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let sink: Box<dyn std::io::Write> = if realtime {
        Box::new(Paced {
            out: sink,
            line: Vec::new(),
            speed,
            max_gap,
            started: std::time::Instant::now(),
            last: None,
        })
    } else {
        sink
    };
    // Paced lines must not wait in a buffer.
    let mut w = std::io::BufWriter::with_capacity(if realtime { 0 } else { 1 << 20 }, sink);
    let truth = sim::simulate(&config, &mut w)?;
    std::io::Write::flush(&mut w)?;
    let truth_path = truth_path.or_else(|| {
        output
            .as_ref()
            .map(|o| PathBuf::from(format!("{}.truth.json", o.display())))
    });
    if let Some(p) = &truth_path {
        std::fs::write(p, serde_json::to_string_pretty(&truth.to_json())? + "\n")
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if output.is_some() {
        if json_out {
            println!(
                "{}",
                json!({ "events": truth.events, "session": truth.session, "truth": truth_path })
            );
        } else {
            println!(
                "wrote {} events of session {} (truth: {})",
                truth.events,
                truth.session,
                truth_path
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        }
    }
    Ok(0)
}
