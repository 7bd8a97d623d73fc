//! `liveledger`: the command line of `docs/spec/cli.md`, a thin face over
//! the `ledger` application crate. Each command lives in `commands/`.

mod commands;

use anyhow::Result;
use clap::{Parser, Subcommand};
use commands::{cases, evidence, ingest, report, service, simulate, watch};
use ledger::DataDir;
use std::path::PathBuf;
use std::process::ExitCode;

// `simulate`, `report` and the tree path of ingest allocate many small,
// short-lived values; mimalloc halves the time glibc malloc spends on them
// (docs/ARCHITECTURE.md, "Dependencies").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Simulate a mixed evening of live selling (an honest stream and three
    /// suspicious ones), log it, analyse it and print what was found.
    Demo {
        /// A fresh directory for the demo (replaced if an earlier demo made it).
        #[arg(long, default_value = "liveledger-demo")]
        dir: PathBuf,
        /// Size of each stream (1.0 = a 48-million-view stream).
        #[arg(long, default_value_t = 0.001)]
        scale: f64,
        /// Play the evening to a service, this many times faster than it
        /// happened (180: the 3 hours in a minute), showing alerts as they come.
        #[arg(long, value_name = "SPEED", num_args = 0..=1, default_missing_value = "180")]
        live: Option<f64>,
    },
    /// Append NDJSON events (FILE or - for stdin) to the log and update every view.
    Ingest(ingest::Args),
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
        /// Also require this witness's cosignature on the checkpoint (its
        /// vkey, or a file holding it); repeat for several.
        #[arg(long = "witness", value_name = "VKEY")]
        witnesses: Vec<String>,
    },
    /// Ask witnesses (C2SP tlog-witness) to cosign the current checkpoint now.
    Cosign {
        #[arg(long = "witness", value_name = "URL", required = true)]
        witnesses: Vec<String>,
    },
    /// Be a witness for other logs: create a key, serve tlog-witness.
    Witness {
        #[command(subcommand)]
        what: evidence::Witness,
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
        what: report::Report,
    },
    /// Every after-sales case (report.md §3): who is liable, what is owed, status and deadlines.
    Cases(cases::List),
    /// One case in full (facts, rules fired, history); or work it:
    /// `case ID decide|remedy|close|escalate|dispute --actor WHO [--note TEXT]`.
    Case(cases::One),
    /// Checks a platform makes before something happens: `check listing`.
    Check {
        #[command(subcommand)]
        what: report::Check,
    },
    /// List the sessions in the log with their headline figures and flags.
    Sessions {
        /// Thresholds and weights to lay over the defaults (JSON, see docs/ANALYSIS.md).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Rebuild the id index and the analysis state from the log.
    Rebuild,
    /// Write a simulated live session (NDJSON events) and its truth file.
    Simulate(simulate::Args),
    /// The supervision service: the /v1 API for every party (api.md), and
    /// the log over HTTP as C2SP tlog-tiles (/checkpoint, /tile/...).
    Serve(service::Serve),
    /// Issue or revoke the service's tokens (role and scope).
    Token {
        #[command(subcommand)]
        what: service::Token,
    },
    /// Act on a session as a regulator or platform: warn, take_off_sale, reinstate, suspend (logged).
    Intervene(service::Intervene),
    /// Publish NDJSON events to NATS JetStream (<prefix>.events.<platform>) for a service to take.
    Publish(service::Publish),
    /// A live terminal view of one session, from the data directory or a running service.
    Watch(watch::Args),
    /// Register, rotate, remove webhooks for alerts; list and replay dead letters.
    Webhook {
        #[command(subcommand)]
        what: service::Webhook,
    },
}

/// Bad usage or unreadable input (contract exit code 2).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    // Structured logs on stderr (warnings such as a derived file found
    // damaged and rebuilt; the service's events): LIVELEDGER_LOG=debug adds
    // every request.
    let level = std::env::var("LIVELEDGER_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The chain of causes, each said once: many library errors
            // already name their cause in their own message.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1).map(|c| c.to_string()) {
                if !msg.contains(&cause) {
                    msg = format!("{msg}: {cause}");
                }
            }
            eprintln!("error: {msg}");
            ExitCode::from(USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let dir = DataDir::new(&cli.data);
    let json = cli.json;
    match cli.command {
        Command::Demo { dir, scale, live } => commands::demo::command(&dir, scale, live, json),
        Command::Ingest(a) => ingest::run(&dir, json, a),
        Command::Rebuild => ingest::rebuild(&dir, json),
        Command::Checkpoint => evidence::checkpoint(&dir, json),
        Command::Verify {
            bundle,
            key,
            witnesses,
        } => evidence::verify(&dir, json, bundle, key, witnesses),
        Command::Cosign { witnesses } => evidence::cosign(&dir, json, witnesses),
        Command::Witness { what } => evidence::witness(json, what),
        Command::Prove { event_id, output } => evidence::prove(&dir, json, &event_id, output),
        Command::Export {
            session,
            order,
            product,
            output,
        } => evidence::export(&dir, json, (session, order, product), output),
        Command::Consistency { old_size, new_size } => {
            evidence::consistency(&dir, json, old_size, new_size)
        }
        Command::Serve(s) => service::serve(dir, s),
        Command::Token { what } => service::token(&dir, json, what),
        Command::Webhook { what } => service::webhook(&dir, json, what),
        Command::Watch(a) => watch::run(&dir, a),
        Command::Publish(p) => service::publish(json, p),
        Command::Intervene(i) => service::intervene(&dir, json, i),
        Command::Report { what } => report::run(&dir, json, what),
        Command::Check { what } => report::check(&dir, json, what),
        Command::Sessions { rules } => report::sessions(&dir, json, rules),
        Command::Cases(l) => cases::list(&dir, json, l),
        Command::Case(o) => cases::one(&dir, json, o),
        Command::Simulate(a) => simulate::run(json, a),
    }
}
