//! `serve` and `token`: the supervision service and who may use it.

use crate::commands::common::{names, now};
use anyhow::{bail, Result};
use ledger::serve::EntryAccess;
use ledger::service::tokens::{self, Role};
use ledger::service::webhooks;
use ledger::DataDir;
use serde_json::json;

#[derive(clap::Args)]
pub struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Who may read entry bundles: public, or token (needs --token).
    #[arg(long, value_enum, default_value = "public")]
    entries: Entries,
    /// Bearer token for entry bundles when --entries token.
    #[arg(long, env = "LIVELEDGER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The largest request body accepted (bytes); larger ones get 413.
    #[arg(long, default_value_t = 64 << 20)]
    max_body: usize,
    /// First wait before a failed webhook delivery is retried (doubling, with jitter).
    #[arg(long, default_value_t = 500, value_name = "MS")]
    webhook_retry_ms: u64,
    /// Delivery attempts before an alert becomes a dead letter.
    #[arg(long, default_value_t = 10)]
    webhook_attempts: u32,
    /// Seconds a client has to send a request's headers.
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// PostgreSQL (postgres://…) for the projections: several nodes share
    /// it; the one holding the data directory's lock appends, the others
    /// answer reads from it and forward writes (docs/DEPLOYMENT.md).
    #[arg(long, env = "LIVELEDGER_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// With --database: only read, never take the log (a node without the
    /// data directory).
    #[arg(long, requires = "database")]
    reader: bool,
    /// With --database: the URL other nodes forward writes to while this
    /// node appends (default: http:// and the address it listens on).
    #[arg(long, requires = "database")]
    advertise: Option<String>,
    #[command(flatten)]
    nats: NatsArgs,
    /// A witness (C2SP tlog-witness, `http://` URL) to cosign each new
    /// checkpoint; repeat for several. Cosignatures go into the published
    /// checkpoint.
    #[arg(long = "witness", value_name = "URL")]
    witnesses: Vec<String>,
}

/// Where NATS is, for `serve --nats` and `publish`.
#[derive(clap::Args)]
pub struct NatsArgs {
    /// NATS JetStream: take events from it, publish alerts and rejections to it.
    #[arg(long)]
    nats: Option<String>,
    /// The JetStream stream.
    #[arg(long, default_value = "LIVELEDGER")]
    nats_stream: String,
    /// The subjects' first token: <PREFIX>.events.<platform>, .rejects.<platform>, .alerts.<session>.
    #[arg(long, default_value = "liveledger")]
    nats_prefix: String,
}

impl NatsArgs {
    fn get(self) -> Option<ledger::service::nats::Nats> {
        Some(ledger::service::nats::Nats {
            url: self.nats?,
            stream: self.nats_stream,
            prefix: self.nats_prefix,
        })
    }
}

#[derive(clap::Args)]
pub struct Publish {
    /// NDJSON files ('-' = stdin).
    #[arg(required = true)]
    files: Vec<String>,
    /// The platform the events are from (the subject's last token).
    #[arg(long)]
    platform: String,
    /// Lines per message.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    #[command(flatten)]
    nats: NatsArgs,
}

/// `publish`: a producer's files into NATS JetStream, for a service to take.
pub fn publish(json_out: bool, p: Publish) -> Result<u8> {
    let Some(n) = p.nats.get() else {
        bail!("say where NATS is: --nats nats://HOST:4222");
    };
    let (inputs, _) = crate::commands::ingest::open_inputs(&p.files)?;
    let bar = crate::commands::common::bar("{spinner} publish {human_pos} lines {per_sec}");
    let (messages, lines) =
        ledger::service::nats::publish(&n, &p.platform, inputs, p.batch.max(1), &|done| {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json_out {
        println!("{}", json!({ "messages": messages, "lines": lines }));
    } else {
        println!(
            "published {lines} lines in {messages} messages to {}.events.{}",
            n.prefix, p.platform
        );
    }
    Ok(0)
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Entries {
    Public,
    Token,
}

#[derive(clap::Subcommand)]
pub enum Token {
    /// Issue a token; it is shown once and stored only as a hash.
    Issue {
        #[arg(long, value_parser = names(&Role::ALL))]
        role: Role,
        /// Platform name, agency, merchant, anchor or account id (not for a regulator).
        #[arg(long)]
        scope: Option<String>,
        /// The actor recorded on everything the token does (default: role-N).
        #[arg(long)]
        name: Option<String>,
        /// Lifetime, as 30d, 12h or 45m (default: until revoked).
        #[arg(long)]
        expires: Option<String>,
    },
    /// Revoke the token NAME.
    Revoke { name: String },
}

pub fn serve(dir: DataDir, s: Serve) -> Result<u8> {
    let access = match (s.entries, s.token) {
        (Entries::Token, Some(t)) if !t.is_empty() => EntryAccess::Token(t),
        (Entries::Token, _) => bail!("--entries token needs --token (or LIVELEDGER_TOKEN)"),
        (Entries::Public, _) => EntryAccess::Public,
    };
    let shown = dir.root.display().to_string();
    let retry = webhooks::Retry {
        first: std::time::Duration::from_millis(s.webhook_retry_ms),
        attempts: s.webhook_attempts.max(1),
    };
    let opts = ledger::serve::Options {
        listen: s.listen,
        entries: access,
        max_body: s.max_body,
        retry,
        header_timeout: std::time::Duration::from_secs_f64(s.header_timeout.max(0.1)),
        nats: s.nats.get(),
        witnesses: s.witnesses,
        database: s.database,
        reader: s.reader,
        advertise: s.advertise,
    };
    ledger::serve::serve(dir, opts, |addr| {
        use std::io::Write;
        println!("serving {shown} on http://{addr}");
        let _ = std::io::stdout().flush();
    })?;
    Ok(0)
}

#[derive(clap::Subcommand)]
pub enum Webhook {
    /// Register URL to receive the alerts ROLE/SCOPE may see; prints its secret once.
    Add {
        url: String,
        #[arg(long, value_parser = names(&Role::ALL))]
        role: Role,
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// Allow a loopback, private or link-local target.
        #[arg(long)]
        allow_private: bool,
    },
    /// A new secret for NAME; the old one keeps signing beside it until the next rotation.
    Rotate {
        name: String,
    },
    Remove {
        name: String,
    },
    List,
    /// The alerts NAME could not be given, with the last error.
    Dead {
        name: String,
    },
    /// Deliver NAME's dead letters again.
    Replay {
        name: String,
    },
}

pub fn webhook(dir: &DataDir, json_out: bool, w: Webhook) -> Result<u8> {
    let out = match w {
        Webhook::Add {
            url,
            role,
            scope,
            name,
            allow_private,
        } => {
            let h = webhooks::add(dir, &url, role, scope, name, allow_private)?;
            json!({ "name": h.name, "url": h.url, "role": role.as_str(), "scope": h.scope, "secret": h.secrets[0] })
        }
        Webhook::Rotate { name } => {
            json!({ "name": name, "secret": webhooks::rotate(dir, &name)? })
        }
        Webhook::Remove { name } => {
            webhooks::remove(dir, &name)?;
            json!({ "removed": name })
        }
        Webhook::List => {
            let hooks: Vec<_> = webhooks::load(dir)?
                .into_iter()
                .map(|h| json!({ "name": h.name, "url": h.url, "role": h.role.as_str(), "scope": h.scope, "dead": webhooks::dead(dir, &h.name).map(|d| d.len()).unwrap_or(0) }))
                .collect();
            json!(hooks)
        }
        Webhook::Dead { name } => json!(webhooks::dead(dir, &name)?),
        Webhook::Replay { name } => {
            json!({ "name": name, "replayed": webhooks::replay(dir, &name)? })
        }
    };
    if json_out {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(0)
}

#[derive(clap::Args)]
pub struct Intervene {
    session: String,
    #[arg(value_parser = names(&events::InterventionAction::ALL))]
    action: events::InterventionAction,
    #[arg(long)]
    reason: String,
    /// The product it is about (take_off_sale, reinstate).
    #[arg(long)]
    product: Option<String>,
    /// The alert it answers.
    #[arg(long)]
    alert: Option<String>,
    /// Who acts (recorded in the log).
    #[arg(long)]
    actor: String,
}

/// `intervene`: a regulator's or platform's act on a session, logged to the
/// data directory (a running service takes them at POST
/// /v1/sessions/{id}/interventions instead, with the role checked).
pub fn intervene(dir: &DataDir, json_out: bool, i: Intervene) -> Result<u8> {
    if i.actor.trim().is_empty() || i.reason.trim().is_empty() {
        bail!("say who acts and why: --actor NAME --reason TEXT");
    }
    let ev = ledger::record::intervention(
        &i.session,
        i.action.as_str(),
        i.product.as_deref(),
        &i.reason,
        i.alert.as_deref(),
        &i.actor,
        now(),
    )?;
    ledger::record::append(
        &mut ledger::Ledger::open(dir, None)?,
        std::slice::from_ref(&ev),
    )?;
    if json_out {
        println!("{ev}");
    } else {
        println!(
            "{} {} logged as {}",
            i.action.as_str(),
            i.session,
            ev["id"].as_str().unwrap_or("")
        );
    }
    Ok(0)
}

pub fn token(dir: &DataDir, json_out: bool, t: Token) -> Result<u8> {
    match t {
        Token::Issue {
            role,
            scope,
            name,
            expires,
        } => {
            let lifetime = expires.as_deref().map(tokens::parse_lifetime).transpose()?;
            let req = tokens::Request {
                role,
                scope: scope.clone(),
                name,
                lifetime,
            };
            let (token, rec) = tokens::issue(dir, req, now())?;
            if json_out {
                // The scope as given (a consumer's is stored pseudonymised).
                println!(
                    "{}",
                    json!({ "token": token, "role": role.as_str(), "scope": scope, "name": rec.name, "expires": rec.expires.map(|e| e.to_rfc3339()) })
                );
            } else {
                println!("{token}");
                eprintln!(
                    "issued {} token {:?}{}; it is shown only now",
                    role.as_str(),
                    rec.name,
                    rec.expires
                        .map(|e| format!(", expires {}", e.to_rfc3339()))
                        .unwrap_or_default()
                );
            }
        }
        Token::Revoke { name } => {
            tokens::revoke(dir, &name)?;
            if json_out {
                println!("{}", json!({ "revoked": name }));
            } else {
                println!("revoked {name}");
            }
        }
    }
    Ok(0)
}
