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
    /// Events file (default: stdout).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Truth file (default: OUTPUT.truth.json when --output is given).
    #[arg(long)]
    truth: Option<PathBuf>,
}

pub fn run(json_out: bool, a: Args) -> Result<u8> {
    let Args {
        scenario: scenarios,
        scale,
        seed,
        session,
        output,
        truth: truth_path,
    } = a;
    if !(scale > 0.0 && scale <= 10.0) {
        anyhow::bail!("--scale must be above 0 and at most 10 (1.0 = a 48-million-view stream)");
    }
    let config = sim::Config {
        scenarios,
        scale,
        seed,
        session,
    };
    let sink: Box<dyn std::io::Write> = match &output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, sink);
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
