//! What the commands share: exit codes, the analysis with a progress bar,
//! the clock, and JSON output.

use anyhow::{Context, Result};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use indicatif::{ProgressBar, ProgressStyle};
use ledger::state::Part;
use ledger::{Analysis, DataDir};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Exit codes of the contract: 1 a problem was found (2, bad usage, is
/// what an `Err` from a command becomes).
pub const PROBLEM: u8 = 1;

/// A clap parser for a closed vocabulary, from the one list of its names.
pub fn names<T: Copy + Send + Sync + 'static>(
    all: &'static [(&'static str, T)],
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.iter().map(|(n, _)| *n)).map(move |s| {
        all.iter()
            .find(|(n, _)| *n == s)
            .map(|(_, v)| *v)
            .expect("clap accepted only listed names")
    })
}

/// The present moment (chrono's clock feature would add a time-zone database for this).
pub fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset()
}

/// A progress bar on a terminal's stderr, nothing elsewhere.
pub fn bar(template: &str) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    })
}

/// The analysis of the log (`part` of its state: see [`Part`]), with a
/// progress bar on a terminal while the log is replayed.
pub fn analyse(
    dir: &DataDir,
    part: Part,
    rules: Option<&Path>,
    pack: Option<&Path>,
) -> Result<Analysis> {
    let rules = ledger::analyze::rules(rules, pack)?;
    Ok(replaying(|progress| {
        Analysis::run(dir, rules, part, progress)
    })?)
}

/// Runs `f` with a progress bar for replaying the log, on a terminal.
pub fn replaying<T>(f: impl FnOnce(&dyn Fn(u64, u64)) -> T) -> T {
    let bar =
        bar("{spinner} analyse [{bar:40}] {human_pos}/{human_len} events {per_sec} eta {eta}");
    let out = f(&|done, total| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}

pub fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A bundle as JSON: to a file (saying so) or to stdout.
pub fn write_artifact(v: &Value, output: Option<PathBuf>, json_out: bool) -> Result<u8> {
    let text = serde_json::to_string_pretty(v)?;
    match output {
        Some(path) => {
            std::fs::write(&path, text + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
            if json_out {
                println!(
                    "{}",
                    json!({ "written": path, "tree_size": v["tree_size"] })
                );
            } else {
                println!(
                    "wrote {} (check it with `liveledger verify {}`)",
                    path.display(),
                    path.display()
                );
            }
        }
        None => println!("{text}"),
    }
    Ok(0)
}

/// Reports a failed check (exit 1).
pub fn failed(json_out: bool, e: &dyn std::fmt::Display) -> Result<u8> {
    if json_out {
        println!("{}", json!({ "ok": false, "error": e.to_string() }));
    } else {
        println!("FAILED: {e}");
    }
    Ok(PROBLEM)
}
