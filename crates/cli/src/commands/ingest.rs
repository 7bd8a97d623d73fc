//! `ingest` and `rebuild`: events into the log, derived state from it.

use crate::commands::common::{bar, replaying, PROBLEM};
use anyhow::{Context, Result};
use ledger::ingest::{Options, Progress};
use ledger::{ingest, DataDir, IngestReport, Input, Ledger};
use serde_json::json;
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    #[arg(required = true)]
    files: Vec<String>,
    /// The log's origin (its name in checkpoints); only when the log is created.
    #[arg(long)]
    origin: Option<String>,
    /// Events per commit (each commit is fsynced and signed); with --url,
    /// lines per request.
    #[arg(long, default_value_t = 100_000)]
    batch: u64,
    /// The longest, in milliseconds, an event waits for its commit when
    /// input is slow (a live stream on stdin).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    max_delay: u64,
    /// Print a line to stderr after every durable commit.
    #[arg(long, short)]
    verbose: bool,
    /// Leave the analysis state to the first answer instead of bringing it
    /// level with the log (and judging every session) before returning.
    #[arg(long)]
    log_only: bool,
    /// Send the events to a running service (POST /v1/events) instead of
    /// the data directory: a batch at most every --max-delay ms.
    #[arg(long)]
    url: Option<String>,
    /// The producer or platform token (with --url).
    #[arg(long, env = "LIVELEDGER_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub fn open_inputs(files: &[String]) -> Result<(Vec<Input>, u64)> {
    let mut inputs = Vec::new();
    let mut total = 0;
    for f in files {
        if f == "-" {
            inputs.push(Input {
                name: "-".into(),
                reader: Box::new(std::io::stdin()),
            });
        } else {
            let file = std::fs::File::open(f).with_context(|| format!("cannot read input {f}"))?;
            let meta = file
                .metadata()
                .with_context(|| format!("cannot read input {f}"))?;
            // A directory opens, then fails at the first read — after the
            // inputs before it were ingested. Refuse it before anything is.
            if meta.is_dir() {
                anyhow::bail!("cannot read input {f}: it is a directory");
            }
            total += meta.len();
            inputs.push(Input {
                name: f.clone(),
                reader: Box::new(file),
            });
        }
    }
    Ok((inputs, total))
}

pub fn run(dir: &DataDir, json_out: bool, a: Args) -> Result<u8> {
    // Every input must be readable before anything is ingested (exit 2 otherwise).
    let (inputs, total) = open_inputs(&a.files)?;
    if let Some(url) = &a.url {
        let report = remote(url, a.token.as_deref(), inputs, &a)?;
        if json_out {
            println!("{}", report.to_json(a.files.len() > 1));
        } else {
            print_report(&report, a.files.len() > 1);
        }
        return Ok(if report.rejected > 0 { PROBLEM } else { 0 });
    }
    let mut ledger = Ledger::open(dir, a.origin.as_deref())?;
    let bar = bar("{spinner} ingest [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
        .filter(|_| total > 16 << 20);
    if let Some(b) = &bar {
        b.set_length(total);
    }
    let verbose = a.verbose;
    let mut progress = Progress {
        on_bytes: Box::new(|n| {
            if let Some(b) = &bar {
                b.set_position(n)
            }
        }),
        on_commit: Box::new(|size, file, line| {
            if verbose {
                // One write, so a process killed mid-line never leaves a
                // torn acknowledgement (unbuffered `eprintln!` writes each
                // piece separately).
                let msg = format!("committed: tree size {size}, through {file}:{line}\n");
                let _ = std::io::stderr().write_all(msg.as_bytes());
            }
        }),
    };
    let opts = Options {
        batch: a.batch.max(1),
        input_bytes: total,
        max_delay: std::time::Duration::from_millis(a.max_delay),
        ..Options::default()
    };
    let before = ledger.log.len();
    let report = ingest(&mut ledger, inputs, &opts, &mut progress).map_err(|e| {
        // What was committed stays: say how much, and that a retry is safe.
        let size = ledger.log.checkpoint().0.size;
        anyhow::anyhow!(
            "{e}\n{} events were committed before this error (the log now holds {size}); \
             ingesting the same input again adds the rest, each event once",
            size.saturating_sub(before)
        )
    })?;
    drop(progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let cp = ledger.log.checkpoint().0.clone();
    drop(ledger);
    if !a.log_only {
        // The answers that follow then read the state instead of replaying.
        replaying(|progress| ledger::judged::level(dir, progress))?;
    }
    let several = a.files.len() > 1;
    if json_out {
        let mut out = report.to_json(several);
        out["checkpoint"] =
            json!({ "origin": cp.origin, "size": cp.size, "root": cp.root.to_hex() });
        println!("{out}");
    } else {
        print_report(&report, several);
        println!("log         {} entries, root {}", cp.size, cp.root);
    }
    Ok(if report.rejected > 0 { PROBLEM } else { 0 })
}

/// Sends every input's lines to the service at `url`, in batches of at
/// most --batch lines or --max-delay; the service's answers added up, its
/// line numbers made the file's.
fn remote(url: &str, token: Option<&str>, inputs: Vec<Input>, a: &Args) -> Result<IngestReport> {
    use std::io::BufRead;
    use std::sync::mpsc::{sync_channel, RecvTimeoutError};
    let endpoint = format!("{}/v1/events", url.trim_end_matches('/'));
    let delay = std::time::Duration::from_millis(a.max_delay.max(1));
    let mut report = IngestReport::default();
    for input in inputs {
        let name = input.name.clone();
        let (tx, rx) = sync_channel::<std::io::Result<String>>(20_000);
        let reader = std::io::BufReader::new(input.reader);
        std::thread::spawn(move || {
            for line in reader.lines() {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (mut batch, mut first, mut next) = (Vec::<String>::new(), 1u64, 1u64);
        let mut send = |batch: &mut Vec<String>, first: u64| -> Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let body = batch.join("\n").into_bytes();
            let v = ledger::service::client::post(&endpoint, token, body)?;
            let n = |k: &str| v[k].as_u64().unwrap_or(0);
            report.accepted += n("accepted");
            report.duplicates += n("duplicates");
            report.rejected += n("rejected");
            for e in v["errors"].as_array().into_iter().flatten() {
                let s = |k: &str| e[k].as_str().map(str::to_string);
                report.errors.push(ledger::LineError {
                    file: name.clone(),
                    line: first + e["line"].as_u64().unwrap_or(1) - 1,
                    id: s("id"),
                    field: s("field"),
                    reason: s("reason").unwrap_or_default(),
                });
            }
            batch.clear();
            Ok(())
        };
        let mut deadline = None;
        loop {
            let wait = deadline.map_or(delay, |d: std::time::Instant| {
                d.saturating_duration_since(std::time::Instant::now())
            });
            match rx.recv_timeout(wait) {
                Ok(line) => {
                    let line = line.with_context(|| format!("reading {name}"))?;
                    if batch.is_empty() {
                        (first, deadline) = (next, Some(std::time::Instant::now() + delay));
                    }
                    batch.push(line);
                    next += 1;
                    if batch.len() as u64 >= a.batch.max(1) {
                        send(&mut batch, first)?;
                        deadline = None;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    send(&mut batch, first)?;
                    deadline = None;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    send(&mut batch, first)?;
                    break;
                }
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                send(&mut batch, first)?;
                deadline = None;
            }
        }
    }
    Ok(report)
}

fn print_report(report: &IngestReport, several: bool) {
    println!("accepted    {}", report.accepted);
    println!("duplicates  {}", report.duplicates);
    println!("rejected    {}", report.rejected);
    for e in &report.errors {
        let place = if several {
            format!("{}:{}", e.file, e.line)
        } else {
            format!("line {}", e.line)
        };
        let id =
            e.id.as_ref()
                .map(|i| format!(" (id {i:?})"))
                .unwrap_or_default();
        let field = e
            .field
            .as_ref()
            .map(|f| format!(" field {f:?}:"))
            .unwrap_or_default();
        println!("  {place}{id}:{field} {}", e.reason);
    }
    let omitted = report.rejected - report.errors.len() as u64;
    if omitted > 0 {
        println!("  … and {omitted} more rejected lines");
    }
}

pub fn rebuild(dir: &DataDir, json_out: bool) -> Result<u8> {
    let mut ledger = Ledger::open(dir, None)?;
    let n = ledger.rebuild()?;
    drop(ledger);
    ledger::judged::rebuild(dir)?;
    if json_out {
        println!("{}", json!({ "rebuilt": n }));
    } else {
        println!(
            "rebuilt the id index, the projection and the analysis state from {n} log entries"
        );
    }
    Ok(0)
}
