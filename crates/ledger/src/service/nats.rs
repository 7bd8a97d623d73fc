//! NATS JetStream intake and alert fan-out (api.md, "NATS JetStream intake").
//!
//! - Producers publish NDJSON — one event, or a batch of lines — to
//!   `<prefix>.events.<platform>` on the stream (`LIVELEDGER`,
//!   `liveledger.events.>` by default), with a `Nats-Msg-Id`: the stream's
//!   duplicate window ([`DUPLICATE_WINDOW`]) drops a message sent twice,
//!   and event ids drop an event sent twice whatever the message.
//! - The service pulls through a durable consumer. Each fetch (up to
//!   [`FETCH`] messages) is ingested as one body per platform — one commit,
//!   not one per message — with that platform's producer scope (a line
//!   about another platform's session is rejected). Every message is
//!   acknowledged only after the commit that holds its events, so a crash
//!   anywhere means redelivery, and ids make redelivery a no-op. Each
//!   rejected line is published to `<prefix>.rejects.<platform>` with its
//!   message id and its line within the message.
//! - Alerts are published to `<prefix>.alerts.<session>` as they are raised.

use super::hub::Service;
use super::tokens::{Principal, Role};
use crate::error::{Error, Result};
use crate::ingest::Input;
use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, stream};
use futures_util::StreamExt;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How long the stream remembers message ids to drop a message sent twice.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Messages per fetch, at most.
const FETCH: usize = 1000;
/// Bytes per fetch, about: batch messages fill a fetch long before
/// [`FETCH`] of them (1,000 of 500 events would be 75 MB, seconds of work
/// here), and what is fetched must be committed and acknowledged well
/// within [`ACK_WAIT`]. Fetches ask for as many messages as the last ones'
/// size says fit, rather than setting the pull's own byte limit: with it,
/// one-event messages went at ~21,000/s instead of ~37,000/s in runs here
/// (runs that also had earlier benches' servers about: weak evidence).
const FETCH_BYTES: usize = 8 << 20;
/// Unacknowledged messages are delivered again after this.
pub const ACK_WAIT: Duration = Duration::from_secs(10);
/// The durable consumer's name.
const CONSUMER: &str = "liveledger-intake";

/// Where the service meets NATS.
#[derive(Clone, Debug)]
pub struct Nats {
    pub url: String,
    /// The stream's name (`LIVELEDGER`).
    pub stream: String,
    /// The subjects' first token (`liveledger`).
    pub prefix: String,
}

fn failed(what: &str) -> impl Fn(String) -> Error + '_ {
    move |e| Error::Invalid(format!("NATS: {what}: {e}"))
}

/// The stream, created or bound.
async fn bind(js: &jetstream::Context, n: &Nats) -> Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: n.stream.clone(),
        subjects: vec![format!("{}.events.>", n.prefix)],
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .map_err(|e| failed("creating or binding the stream")(e.to_string()))
}

/// Connects, binds the stream and the consumer, and runs intake and alert
/// publishing until the process ends. Returns once connected (errors in
/// connecting are the caller's); the work goes on in spawned tasks.
pub async fn start(svc: Arc<Service>, n: Nats) -> Result<()> {
    let client = async_nats::connect(&n.url)
        .await
        .map_err(|e| failed(&format!("connecting to {}", n.url))(e.to_string()))?;
    let js = jetstream::new(client.clone());
    let stream = bind(&js, &n).await?;
    let consumer = stream
        .get_or_create_consumer(
            CONSUMER,
            pull::Config {
                durable_name: Some(CONSUMER.into()),
                ack_policy: AckPolicy::Explicit,
                // What a crashed service held is delivered again this soon
                // (a redelivery while a slow commit runs only costs work:
                // event ids make it a no-op).
                ack_wait: ACK_WAIT,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| failed("creating the consumer")(e.to_string()))?;
    tokio::spawn(intake(
        svc.clone(),
        consumer,
        client.clone(),
        n.prefix.clone(),
    ));
    tokio::spawn(alerts(svc, client, n.prefix));
    Ok(())
}

/// Messages fetched but not yet ingested, at most (in fetches).
const AHEAD: usize = 2;
/// Fetches ingested at once: while one is followed by the analysis, the
/// next is committed (their bodies share commits when they meet).
const TAKERS: usize = 2;

/// Pulls, ingests and acknowledges, for ever: a fetcher keeps up to
/// [`AHEAD`] fetches waiting while [`TAKERS`] ingest, so the consumer is
/// never idle while a commit runs.
async fn intake(
    svc: Arc<Service>,
    consumer: jetstream::consumer::PullConsumer,
    client: async_nats::Client,
    prefix: String,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<jetstream::Message>>(AHEAD);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    for _ in 0..TAKERS {
        let (svc, client, prefix, rx) = (svc.clone(), client.clone(), prefix.clone(), rx.clone());
        tokio::spawn(async move {
            loop {
                let Some(messages) = rx.lock().await.recv().await else {
                    return;
                };
                if let Err(e) = take(&svc, &client, &prefix, messages).await {
                    // Not acknowledged: redelivered after the ack wait.
                    tracing::warn!(error = %e, "NATS intake: batch not logged; JetStream redelivers it");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
    let mut fetch = FETCH;
    loop {
        let batch = consumer
            .batch()
            .max_messages(fetch)
            .expires(Duration::from_millis(200))
            .messages()
            .await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "NATS intake: fetch failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut messages = Vec::new();
        while let Some(m) = batch.next().await {
            match m {
                Ok(m) => messages.push(m),
                Err(e) => tracing::warn!(error = %e, "NATS intake: a message could not be read"),
            }
        }
        let bytes: usize = messages.iter().map(|m| m.payload.len()).sum();
        if let Some(per) = bytes.checked_div(messages.len()) {
            fetch = (FETCH_BYTES / per.max(1)).clamp(1, FETCH);
        }
        if !messages.is_empty() && tx.send(messages).await.is_err() {
            return;
        }
    }
}

/// One message's place in a platform's body.
struct Part {
    message: jetstream::Message,
    first_line: u64,
    lines: u64,
}

/// Ingests a fetch: one body (one commit) per platform; rejections
/// published with their message and line; then every message acknowledged.
async fn take(
    svc: &Arc<Service>,
    client: &async_nats::Client,
    prefix: &str,
    messages: Vec<jetstream::Message>,
) -> Result<()> {
    let events = format!("{prefix}.events.");
    let mut bodies: BTreeMap<String, (Vec<u8>, Vec<Part>)> = BTreeMap::new();
    for m in messages {
        let platform = m.subject.strip_prefix(&events).unwrap_or("").to_string();
        let (body, parts) = bodies.entry(platform).or_default();
        let first_line = parts.last().map_or(1, |p: &Part| p.first_line + p.lines);
        let payload: &[u8] = &m.payload;
        let lines = memchr::memchr_iter(b'\n', payload).count() as u64
            + u64::from(!payload.is_empty() && !payload.ends_with(b"\n"));
        body.extend_from_slice(payload);
        if !payload.ends_with(b"\n") {
            body.push(b'\n');
        }
        parts.push(Part {
            message: m,
            first_line,
            lines: lines.max(1),
        });
    }
    for (platform, (body, parts)) in bodies {
        let who = Principal {
            name: format!("nats:{platform}"),
            role: Role::Producer,
            scope: Some(platform.clone()),
        };
        let rejected = if platform.is_empty() || platform.contains('.') {
            // Not `<prefix>.events.<platform>`: nothing to scope it by.
            vec![(
                0,
                json!({"reason": format!("publish to {events}<platform>")}),
            )]
        } else {
            let s = svc.clone();
            let report = tokio::task::spawn_blocking(move || s.ingest_body(&who, body, false))
                .await
                .map_err(|e| Error::Invalid(format!("NATS intake: {e}")))??;
            report
                .errors
                .iter()
                .map(|e| {
                    (
                        e.line,
                        json!({"id": e.id, "field": e.field, "reason": e.reason}),
                    )
                })
                .collect()
        };
        let subject = format!("{prefix}.rejects.{platform}");
        for (line, mut why) in rejected {
            let part = parts
                .iter()
                .find(|p| line >= p.first_line && line < p.first_line + p.lines);
            if let Some(p) = part {
                why["line"] = json!(line - p.first_line + 1);
                why["message"] = json!(msg_id(&p.message));
            }
            let _ = client
                .publish(subject.clone(), why.to_string().into())
                .await;
        }
        for p in parts {
            p.message
                .ack()
                .await
                .map_err(|e| failed("acknowledging")(e.to_string()))?;
        }
    }
    Ok(())
}

fn msg_id(m: &jetstream::Message) -> Option<String> {
    m.headers
        .as_ref()
        .and_then(|h| h.get("Nats-Msg-Id"))
        .map(|v| v.to_string())
}

/// Publishes each alert, as it is raised, to `<prefix>.alerts.<session>`.
async fn alerts(svc: Arc<Service>, client: async_nats::Client, prefix: String) {
    let all = Principal {
        name: "nats".into(),
        role: Role::Regulator,
        scope: None,
    };
    // Those raised before this start were published by an earlier run (or
    // are in the log): only new ones. (A producer sees no alert: this only
    // reads how many there are.)
    let none = Principal {
        role: Role::Producer,
        ..all.clone()
    };
    let (_, mut at) = svc.alerts.since(0, &none);
    loop {
        let (new, end) = svc.alerts.since(at, &all);
        for (_, a) in new {
            let session = a["session"]
                .as_str()
                .unwrap_or("")
                .replace(['.', ' ', '*', '>'], "_");
            let _ = client
                .publish(format!("{prefix}.alerts.{session}"), a.to_string().into())
                .await;
        }
        at = end;
        tokio::time::sleep(super::alerts::TICK).await;
    }
}

/// `publish`: every input's lines to `<prefix>.events.<platform>`, `batch`
/// lines per message, each message's id the SHA-256 of its bytes (sent
/// again, it is dropped by the stream). Waits for the stream's ack of each.
/// Returns (messages, lines).
pub fn publish(
    n: &Nats,
    platform: &str,
    inputs: Vec<Input>,
    batch: usize,
    progress: &dyn Fn(u64),
) -> Result<(u64, u64)> {
    use std::io::BufRead;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("no runtime: {e}")))?;
    rt.block_on(async {
        let client = async_nats::connect(&n.url)
            .await
            .map_err(|e| failed(&format!("connecting to {}", n.url))(e.to_string()))?;
        let js = jetstream::new(client);
        bind(&js, n).await?;
        let subject = format!("{}.events.{platform}", n.prefix);
        let (mut messages, mut lines) = (0u64, 0u64);
        for input in inputs {
            let name = input.name.clone();
            let mut reader = std::io::BufReader::new(input.reader);
            loop {
                let mut body = Vec::new();
                let mut n_lines = 0;
                while n_lines < batch {
                    let before = body.len();
                    let read = reader
                        .read_until(b'\n', &mut body)
                        .map_err(Error::io("reading", std::path::Path::new(&name)))?;
                    if read == 0 {
                        break;
                    }
                    if body[before..].iter().any(|b| !b.is_ascii_whitespace()) {
                        n_lines += 1;
                    }
                }
                if n_lines == 0 {
                    break;
                }
                let id = crate::record::hex(&<sha2::Sha256 as sha2::Digest>::digest(&body));
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", id.as_str());
                js.publish_with_headers(subject.clone(), headers, body.into())
                    .await
                    .map_err(|e| failed("publishing")(e.to_string()))?
                    .await
                    .map_err(|e| failed("the stream's acknowledgement")(e.to_string()))?;
                messages += 1;
                lines += n_lines as u64;
                progress(lines);
            }
        }
        Ok((messages, lines))
    })
}
