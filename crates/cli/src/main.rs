//! `liveledger`: the command line of `shared/spec/cli.md`.

use anyhow::{Context, Result};

// `simulate`, `report` and the tree path of ingest allocate many small,
// short-lived values; mimalloc halves the time glibc malloc spends on them
// (docs/PERFORMANCE.md, docs/ARCHITECTURE.md "Dependencies").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use liveledger::analyze::{self, Analysis};
use liveledger::evidence::{self, Subject};
use liveledger::ingest::{Options, Progress};
use liveledger::render;
use liveledger::{ingest, DataDir, Input, Ledger};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "liveledger",
    version,
    about = "Keeps live-streaming commerce honest: a tamper-evident ledger of live-selling events."
)]
struct Cli {
    /// Data directory (the embedded store), created on first use.
    #[arg(
        long,
        global = true,
        env = "LIVELEDGER_DATA",
        default_value = "./liveledger-data"
    )]
    data: PathBuf,
    /// Machine output (JSON) on stdout, and nothing else on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a mixed evening of live selling (an honest stream and two
    /// suspicious ones), log it, analyse it and print what was found.
    Demo {
        /// A fresh directory for the demo (replaced if an earlier demo made it).
        #[arg(long, default_value = "liveledger-demo")]
        dir: PathBuf,
        /// Size of each stream (1.0 = a 48-million-view stream).
        #[arg(long, default_value_t = 0.001)]
        scale: f64,
    },
    /// Append NDJSON events (FILE or - for stdin) to the log and update every view.
    Ingest {
        #[arg(required = true)]
        files: Vec<String>,
        /// The log's origin (its name in checkpoints); only when the log is created.
        #[arg(long)]
        origin: Option<String>,
        /// Events per commit (each commit is fsynced and signed).
        #[arg(long, default_value_t = 100_000)]
        batch: u64,
        /// The longest, in milliseconds, an event waits for its commit when
        /// input is slow (a live stream on stdin).
        #[arg(long, default_value_t = 1000, value_name = "MS")]
        max_delay: u64,
        /// Print a line to stderr after every durable commit.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Print the latest signed checkpoint (C2SP tlog-checkpoint).
    Checkpoint,
    /// Re-hash the whole stored log and check it against the signed checkpoint
    /// (and every earlier one); or, given BUNDLE, check a bundle offline.
    Verify {
        /// A bundle written by `prove` or `export`, checked with only the key.
        bundle: Option<PathBuf>,
        /// Trust only this public key (a C2SP vkey, or a file holding one).
        #[arg(long)]
        key: Option<String>,
    },
    /// Write an offline-verifiable bundle for one event: the stored event,
    /// its leaf index, inclusion proof, the signed checkpoint and the public key.
    Prove {
        event_id: String,
        /// Write the bundle here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Produce and check an RFC 9162 consistency proof between two signed checkpoints.
    Consistency {
        old_size: u64,
        /// Defaults to the latest checkpoint.
        new_size: Option<u64>,
    },
    /// Write an evidence package: every event about a session, order or
    /// product, with one multi-leaf proof against one checkpoint.
    Export {
        #[arg(long, group = "subject")]
        session: Option<String>,
        #[arg(long, group = "subject")]
        order: Option<String>,
        #[arg(long, group = "subject")]
        product: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Reports computed from the log (report.md): `report session ID`, `report product ID`.
    Report {
        #[command(subcommand)]
        what: ReportWhat,
    },
    /// Every after-sales case (report.md §3): who is liable, what is owed, status and deadlines.
    Cases {
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        product: Option<String>,
        /// open, decided, remedied, closed or escalated.
        #[arg(long, value_parser = ["open", "decided", "remedied", "closed", "escalated"])]
        status: Option<String>,
        /// Only cases past their deadline.
        #[arg(long)]
        overdue: bool,
        /// The liability rule pack (JSON; default: mainland China, docs/LIABILITY.md).
        #[arg(long)]
        pack: Option<PathBuf>,
        /// Judge deadlines at this moment (RFC 3339; default now).
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// One case in full (facts, rules fired, history); or work it:
    /// `case ID decide|remedy|close|escalate|dispute --actor WHO [--note TEXT]`.
    Case {
        id: String,
        /// decide, remedy, close, escalate or dispute: recorded in the log.
        #[arg(value_parser = ["decide", "remedy", "close", "escalate", "dispute"])]
        action: Option<String>,
        /// Who does it (required with an action).
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        pack: Option<PathBuf>,
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Checks a platform makes before something happens: `check listing`.
    Check {
        #[command(subcommand)]
        what: CheckWhat,
    },
    /// List the sessions in the log with their headline figures and flags.
    Sessions {
        /// Thresholds and weights to lay over the defaults (JSON, see docs/ANALYSIS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Rebuild the id index and the projection from the log.
    Rebuild,
    /// Write a simulated live session (NDJSON events) and its truth file.
    Simulate {
        /// clean, inflated-views, bot-farm, brushing-ring, refund-surge,
        /// false-claims, after-sales; repeat or comma-separate to combine.
        #[arg(long, value_delimiter = ',', default_value = "clean")]
        scenario: Vec<String>,
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
    },
    /// Serve the log over HTTP as C2SP tlog-tiles (/checkpoint, /tile/...).
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Who may read entry bundles: public, or token (needs --token).
        #[arg(long, default_value = "public", value_parser = ["public", "token"])]
        entries: String,
        /// Bearer token for entry bundles when --entries token.
        #[arg(long, env = "LIVELEDGER_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

#[derive(Subcommand)]
enum ReportWhat {
    /// Is this live data real? Reported against observed viewers and sales, bots, brushing, flags.
    Session {
        id: String,
        /// Also write a self-contained HTML page with charts to FILE.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Thresholds and weights to lay over the defaults (JSON, see docs/ANALYSIS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Is this product what was said? Qualifications, every claim about it with findings, sales, complaints.
    Product {
        id: String,
        /// Also write a self-contained HTML page to FILE.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Rules to lay over the defaults (JSON; `claims` and `qualifications` sections, see docs/CLAIMS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The day to judge qualifications on (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum CheckWhat {
    /// The pre-live gate: may PRODUCT be listed in ANCHOR's live room? Exit 0 yes, 1 no, with reasons.
    Listing {
        #[arg(long)]
        product: String,
        #[arg(long)]
        anchor: String,
        /// When the listing would happen (RFC 3339; default now).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Rules to lay over the defaults (JSON, see docs/CLAIMS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

/// Exit codes of the contract.
const PROBLEM: u8 = 1;
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let dir = DataDir::new(&cli.data);
    match cli.command {
        Command::Ingest {
            files,
            origin,
            batch,
            max_delay,
            verbose,
        } => cmd_ingest(&dir, cli.json, files, origin, batch, max_delay, verbose),
        Command::Checkpoint => cmd_checkpoint(&dir, cli.json),
        Command::Demo { dir, scale } => {
            if !(scale > 0.0 && scale <= 1.0) {
                anyhow::bail!("--scale must be above 0 and at most 1");
            }
            let summary = liveledger::demo::run(&dir, scale, cli.json, &mut std::io::stdout())?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            }
            Ok(0)
        }
        Command::Report {
            what: ReportWhat::Session { id, html, rules },
        } => cmd_report_session(&dir, cli.json, &id, html, rules),
        Command::Report {
            what:
                ReportWhat::Product {
                    id,
                    html,
                    rules,
                    on,
                },
        } => cmd_report_product(&dir, cli.json, &id, html, rules, on),
        Command::Check {
            what:
                CheckWhat::Listing {
                    product,
                    anchor,
                    at,
                    rules,
                },
        } => {
            let a = analyse(&dir, rules)?;
            let at = at.unwrap_or_else(|| now().fixed_offset());
            let gate = a.analyzer.listing_gate(&product, &anchor, at);
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&gate.to_json())?);
            } else {
                print!("{}", render::text::gate(&gate));
            }
            Ok(if gate.allowed { 0 } else { PROBLEM })
        }
        Command::Sessions { rules } => cmd_sessions(&dir, cli.json, rules),
        Command::Cases {
            session,
            product,
            status,
            overdue,
            pack,
            now: at,
        } => {
            let a = analyse_with_pack(&dir, pack)?;
            let now = at.unwrap_or_else(|| now().fixed_offset());
            let cases: Vec<_> = a
                .analyzer
                .cases(&a.analyzer.rules().liability, now)
                .into_iter()
                .filter(|c| {
                    session
                        .as_ref()
                        .is_none_or(|s| c.session.as_ref() == Some(s))
                })
                .filter(|c| {
                    product
                        .as_ref()
                        .is_none_or(|p| c.product.as_ref() == Some(p))
                })
                .filter(|c| status.as_ref().is_none_or(|s| c.status.as_str() == s))
                .filter(|c| !overdue || c.overdue)
                .collect();
            let ids = |leaf| a.event_id(leaf);
            if cli.json {
                let v = json!({
                    "pack": a.analyzer.rules().liability.name,
                    "now": now.to_rfc3339(),
                    "cases": cases.iter().map(|c| c.to_json(&ids)).collect::<Vec<_>>(),
                    "checkpoint": a.checkpoint_json(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!(
                    "{}",
                    render::text::cases(&cases, &a.analyzer.rules().liability.name, now)
                );
            }
            Ok(0)
        }
        Command::Case {
            id,
            action,
            actor,
            note,
            pack,
            now: at,
        } => cmd_case(&dir, cli.json, &id, action, actor, note, pack, at),
        Command::Verify {
            bundle: Some(b),
            key,
        } => cmd_verify_bundle(cli.json, &b, key),
        Command::Verify { bundle: None, key } => cmd_verify(&dir, cli.json, key),
        Command::Prove { event_id, output } => {
            write_artifact(&evidence::prove(&dir, &event_id)?, output, cli.json)
        }
        Command::Export {
            session,
            order,
            product,
            output,
        } => {
            let subject = match (session, order, product) {
                (Some(s), _, _) => Subject::Session(s),
                (_, Some(o), _) => Subject::Order(o),
                (_, _, Some(p)) => Subject::Product(p),
                _ => anyhow::bail!("say what to export: --session ID, --order ID or --product ID"),
            };
            write_artifact(&evidence::export(&dir, &subject)?, output, cli.json)
        }
        Command::Consistency { old_size, new_size } => {
            let v = evidence::consistency(&dir, old_size, new_size)?;
            let ok = v["ok"] == true;
            if cli.json {
                println!("{v}");
            } else if ok {
                println!(
                    "OK: the checkpoint of size {} (root {}) is a prefix of the one of size {} (root {}); proof of {} hashes",
                    v["old_size"], v["old_root"].as_str().unwrap_or(""), v["new_size"], v["new_root"].as_str().unwrap_or(""),
                    v["proof"].as_array().map_or(0, Vec::len)
                );
            } else {
                println!("FAILED: {}", v["error"].as_str().unwrap_or("inconsistent"));
            }
            Ok(if ok { 0 } else { PROBLEM })
        }
        Command::Serve {
            listen,
            entries,
            token,
        } => {
            let access = match (entries.as_str(), token) {
                ("token", Some(t)) if !t.is_empty() => liveledger::serve::EntryAccess::Token(t),
                ("token", _) => {
                    anyhow::bail!("--entries token needs --token (or LIVELEDGER_TOKEN)")
                }
                _ => liveledger::serve::EntryAccess::Public,
            };
            liveledger::serve::serve(dir, &listen, access, |addr| {
                println!("serving {} on http://{addr}", cli.data.display());
                use std::io::Write;
                let _ = std::io::stdout().flush();
            })?;
            Ok(0)
        }
        Command::Simulate {
            scenario,
            scale,
            seed,
            session,
            output,
            truth,
        } => cmd_simulate(cli.json, &scenario, scale, seed, session, output, truth),
        Command::Rebuild => {
            let mut ledger = Ledger::open(&dir, None)?;
            let n = ledger.rebuild()?;
            if cli.json {
                println!("{}", json!({ "rebuilt": n }));
            } else {
                println!("rebuilt the id index and the projection from {n} log entries");
            }
            Ok(0)
        }
    }
}

fn open_inputs(files: &[String]) -> Result<(Vec<Input>, u64)> {
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
            total += file.metadata().map(|m| m.len()).unwrap_or(0);
            inputs.push(Input {
                name: f.clone(),
                reader: Box::new(file),
            });
        }
    }
    Ok((inputs, total))
}

fn cmd_ingest(
    dir: &DataDir,
    json_out: bool,
    files: Vec<String>,
    origin: Option<String>,
    batch: u64,
    max_delay_ms: u64,
    verbose: bool,
) -> Result<u8> {
    // Every input must be readable before anything is ingested (exit 2 otherwise).
    let (inputs, total) = open_inputs(&files)?;
    let mut ledger = Ledger::open(dir, origin.as_deref())?;
    let bar = (std::io::stderr().is_terminal() && total > 16 << 20).then(|| {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} ingest [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    });
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
        batch: batch.max(1),
        input_bytes: total,
        max_delay: std::time::Duration::from_millis(max_delay_ms),
        ..Options::default()
    };
    let report = ingest(&mut ledger, inputs, &opts, &mut progress)?;
    drop(progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (cp, _) = ledger.log.checkpoint();
    let several = files.len() > 1;
    if json_out {
        let errors: Vec<_> = report
            .errors
            .iter()
            .map(|e| {
                let mut o =
                    json!({ "line": e.line, "id": e.id, "field": e.field, "reason": e.reason });
                if several {
                    o["file"] = json!(e.file);
                }
                o
            })
            .collect();
        let out = json!({
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "errors": errors,
            "errors_omitted": report.rejected - report.errors.len() as u64,
            "checkpoint": { "origin": cp.origin, "size": cp.size, "root": cp.root.to_hex() },
        });
        println!("{out}");
    } else {
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
        println!("log         {} entries, root {}", cp.size, cp.root);
    }
    Ok(if report.rejected > 0 { PROBLEM } else { 0 })
}

/// Reads the whole log into the analysis, with a progress bar on a terminal.
fn analyse(dir: &DataDir, rules: Option<PathBuf>) -> Result<Analysis> {
    let rules = analyze::rules(rules.as_deref())?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} analyse [{bar:40}] {human_pos}/{human_len} events {per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    });
    let a = Analysis::run(dir, rules, &|done, total| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(a)
}

fn cmd_report_session(
    dir: &DataDir,
    json_out: bool,
    id: &str,
    html: Option<PathBuf>,
    rules: Option<PathBuf>,
) -> Result<u8> {
    let a = analyse(dir, rules)?;
    let r = a.session(id)?;
    let ids = |leaf| a.event_id(leaf);
    let cp = a.checkpoint_json();
    if let Some(path) = &html {
        std::fs::write(path, render::html::session(&r, &ids, &cp))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if json_out {
        println!("{}", serde_json::to_string_pretty(&a.session_json(&r))?);
    } else {
        print!("{}", render::text::session(&r, &ids, &cp));
        if let Some(path) = html {
            println!("HTML report: {}", path.display());
        }
    }
    Ok(0)
}

/// The analysis with a liability pack other than the default, if given.
fn analyse_with_pack(dir: &DataDir, pack: Option<PathBuf>) -> Result<Analysis> {
    let pack = pack
        .map(|p| -> Result<_> {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read rule pack {}", p.display()))?;
            analysis::liability::Pack::from_json(&text)
                .with_context(|| format!("in {}", p.display()))
        })
        .transpose()?;
    let mut a = analyse(dir, None)?;
    if let Some(p) = pack {
        a.analyzer.set_liability(p);
    }
    Ok(a)
}

#[allow(clippy::too_many_arguments)]
fn cmd_case(
    dir: &DataDir,
    json_out: bool,
    id: &str,
    action: Option<String>,
    actor: Option<String>,
    note: Option<String>,
    pack: Option<PathBuf>,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Result<u8> {
    let a = analyse_with_pack(dir, pack)?;
    let at = at.unwrap_or_else(|| now().fixed_offset());
    let find = |a: &Analysis| {
        a.analyzer
            .case(&a.analyzer.rules().liability, id, at)
            .ok_or_else(|| {
                let known: Vec<String> = a
                    .analyzer
                    .cases(&a.analyzer.rules().liability, at)
                    .into_iter()
                    .take(10)
                    .map(|c| c.id)
                    .collect();
                anyhow::anyhow!(
                    "no case {id:?} (cases: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )
            })
    };
    let case = find(&a)?;
    if let Some(action) = action {
        let act = events::CaseAction::ALL
            .iter()
            .find(|(n, _)| *n == action)
            .map(|(_, a)| *a)
            .expect("clap checked the action");
        let Some(actor) = actor.filter(|s| !s.trim().is_empty()) else {
            anyhow::bail!("say who does it: --actor NAME");
        };
        if let Err(why) = case.status.after(act) {
            anyhow::bail!("cannot {action} case {id}: {why}");
        }
        drop(a);
        let size = dir.reader()?.size();
        let mut ev = json!({
            "type": "case_updated",
            "id": format!("{id}-{action}-{size}"),
            "at": at.to_rfc3339(),
            "case": id,
            "action": action,
            "actor": actor,
        });
        if let Some(n) = note {
            ev["note"] = json!(n);
        }
        // The decision as computed when the person acted, kept in the log with it.
        if act == events::CaseAction::Decide {
            let c = case.to_json(&|_| None);
            ev["liable"] = c["liable"].clone();
            ev["remedy"] = c["remedy"].clone();
        }
        let mut ledger = Ledger::open(dir, None)?;
        let line = format!("{ev}\n");
        let report = ingest::ingest(
            &mut ledger,
            vec![Input {
                name: "case".into(),
                reader: Box::new(std::io::Cursor::new(line.into_bytes())),
            }],
            &Options::default(),
            &mut Progress::none(),
        )?;
        if report.accepted != 1 {
            anyhow::bail!("the case update was not logged: {:?}", report.errors);
        }
        drop(ledger);
        let a = analyse(dir, None)?;
        let case = find(&a)?;
        if json_out {
            println!(
                "{}",
                serde_json::to_string_pretty(&case.to_json(&|l| a.event_id(l)))?
            );
        } else {
            println!(
                "case {id}: {action} by {actor}, logged; now {}",
                case.status.as_str()
            );
        }
        return Ok(0);
    }
    if json_out {
        let mut v = case.to_json(&|l| a.event_id(l));
        v["checkpoint"] = a.checkpoint_json();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render::text::case(&case, &|l| a.event_id(l)));
    }
    Ok(0)
}

/// The present moment (chrono's clock feature would add a time-zone database for this).
fn now() -> chrono::DateTime<chrono::Utc> {
    std::time::SystemTime::now().into()
}

fn cmd_report_product(
    dir: &DataDir,
    json_out: bool,
    id: &str,
    html: Option<PathBuf>,
    rules: Option<PathBuf>,
    on: Option<chrono::NaiveDate>,
) -> Result<u8> {
    let a = analyse(dir, rules)?;
    let on = on.unwrap_or_else(|| now().date_naive());
    let r = a.product(id, on)?;
    let ids = |leaf| a.event_id(leaf);
    let cp = a.checkpoint_json();
    if let Some(path) = &html {
        std::fs::write(path, render::html::product(&r, &ids, &cp))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if json_out {
        let mut v = r.to_json(&ids);
        v["checkpoint"] = cp;
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render::text::product(&r, &ids, &cp));
        if let Some(path) = html {
            println!("HTML report: {}", path.display());
        }
    }
    Ok(0)
}

fn cmd_sessions(dir: &DataDir, json_out: bool, rules: Option<PathBuf>) -> Result<u8> {
    let a = analyse(dir, rules)?;
    let mut rows = Vec::new();
    for id in a.analyzer.session_ids() {
        let r = a.session(&id.0)?;
        let w = r.waterfall();
        let v = &r.viewers;
        rows.push(json!({
            "session": r.session,
            "anchor": r.anchor,
            "platform": r.platform,
            "started": r.started.map(|t| t.to_rfc3339()),
            "ended": r.ended.map(|t| t.to_rfc3339()),
            "reported_views": v.reported_views.unwrap_or(0),
            "observed_unique": v.observed.unique,
            "suspected_bots": v.suspected_bots(),
            "estimated_real": v.estimated_real(),
            "inflation_ratio": v.inflation_ratio().filter(|x| x.is_finite()),
            "currency": r.currency().map(|c| c.to_string()),
            "placed_orders": w.placed_orders,
            "verified_gmv": w.verified_gmv(),
            "flag_count": r.flags.len(),
            "flags": r.flags.iter().map(|f| json!({"code": f.code, "severity": f.severity.as_str()})).collect::<Vec<_>>(),
        }));
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "checkpoint": a.checkpoint_json(), "sessions": rows })
            )?
        );
        return Ok(0);
    }
    if rows.is_empty() {
        println!("no sessions in the log");
        return Ok(0);
    }
    println!(
        "{:<16} {:<14} {:<17} {:>12} {:>10} {:>9} {:>18}  flags",
        "session", "anchor", "started", "reported", "real", "bots", "verified GMV"
    );
    for r in &rows {
        let n = |k: &str| render::grouped(r[k].as_u64().unwrap_or(0));
        let flags: Vec<String> = r["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                format!(
                    "{}({})",
                    f["code"].as_str().unwrap_or(""),
                    f["severity"].as_str().unwrap_or("")
                )
            })
            .collect();
        println!(
            "{:<16} {:<14} {:<17} {:>12} {:>10} {:>9} {:>18}  {}",
            r["session"].as_str().unwrap_or(""),
            r["anchor"].as_str().unwrap_or("?"),
            r["started"]
                .as_str()
                .map(|s| s.get(..16).unwrap_or(s))
                .unwrap_or("?"),
            n("reported_views"),
            n("estimated_real"),
            n("suspected_bots"),
            analysis::report::money(
                r["verified_gmv"].as_i64().unwrap_or(0),
                r["currency"].as_str().unwrap_or("")
            ),
            if flags.is_empty() {
                "none".into()
            } else {
                flags.join(" ")
            }
        );
    }
    println!(
        "
Details: liveledger report session ID [--html FILE]"
    );
    Ok(0)
}

fn cmd_checkpoint(dir: &DataDir, json_out: bool) -> Result<u8> {
    let reader = dir.reader()?;
    let cp = reader.checkpoint();
    if json_out {
        let out = json!({
            "origin": cp.origin,
            "size": cp.size,
            "root": cp.root.to_hex(),
            "checkpoint": reader.note(),
            "key": dir.verifier()?.to_vkey(),
        });
        println!("{out}");
    } else {
        print!("{}", reader.note());
    }
    Ok(0)
}

/// A bundle as JSON: to a file (saying so) or to stdout.
fn write_artifact(v: &serde_json::Value, output: Option<PathBuf>, json_out: bool) -> Result<u8> {
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

/// A key given on the command line: a vkey, or a file holding one.
fn parse_key(k: &str) -> Result<tlog::NoteVerifier> {
    let text = if std::path::Path::new(k).exists() {
        std::fs::read_to_string(k)?
    } else {
        k.to_string()
    };
    Ok(tlog::NoteVerifier::from_vkey(&text)?)
}

fn cmd_verify_bundle(json_out: bool, path: &std::path::Path, key: Option<String>) -> Result<u8> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?;
    let pinned = key.as_deref().map(parse_key).transpose()?;
    match tlog::bundle::verify(&bytes, pinned.as_ref()) {
        Ok(v) => {
            if json_out {
                let out = json!({ "ok": true, "format": v.format, "origin": v.origin, "tree_size": v.tree_size,
                    "root": v.root.to_hex(), "entries": v.entries, "key": v.key });
                println!("{out}");
            } else {
                let plural = if v.entries == 1 {
                    "entry is"
                } else {
                    "entries are"
                };
                println!(
                    "OK: {} {plural} in {} at tree size {} (root {}), signed by {}",
                    v.entries, v.origin, v.tree_size, v.root, v.key
                );
            }
            Ok(0)
        }
        Err(e) => failed(json_out, &e),
    }
}

/// Reports a failed check (exit 1).
fn failed(json_out: bool, e: &dyn std::fmt::Display) -> Result<u8> {
    if json_out {
        println!("{}", json!({ "ok": false, "error": e.to_string() }));
    } else {
        println!("FAILED: {e}");
    }
    Ok(PROBLEM)
}

fn cmd_verify(dir: &DataDir, json_out: bool, key: Option<String>) -> Result<u8> {
    dir.require_existing()?;
    let verifier = match key {
        Some(k) => parse_key(&k)?,
        None => dir.verifier()?,
    };
    match tlog::verify_dir(&dir.log_dir(), &verifier) {
        Ok(s) => {
            if json_out {
                println!(
                    "{}",
                    json!({ "ok": true, "size": s.size, "root": s.root.to_hex(), "files_checked": s.tiles, "checkpoints_checked": s.history, "key": verifier.to_vkey() })
                );
            } else {
                println!(
                    "OK: {} entries and {} tile files re-hashed; root {} matches the checkpoint signed by {}; the log extends all {} checkpoints it signed before",
                    s.size, s.tiles, s.root, verifier.to_vkey(), s.history
                );
            }
            Ok(0)
        }
        Err(e) => failed(json_out, &e),
    }
}

fn cmd_simulate(
    json_out: bool,
    names: &[String],
    scale: f64,
    seed: u64,
    session: Option<String>,
    output: Option<PathBuf>,
    truth_path: Option<PathBuf>,
) -> Result<u8> {
    let mut scenarios = Vec::new();
    for n in names {
        let known: Vec<&str> = sim::Scenario::ALL.iter().map(|(n, _)| *n).collect();
        scenarios.push(sim::Scenario::parse(n.trim()).with_context(|| {
            format!(
                "unknown scenario {n:?}; expected one of {}",
                known.join(", ")
            )
        })?);
    }
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
