//! Load on NATS JetStream intake (issue 22), as `scripts/bench-nats.sh`
//! runs it. Events are ~150-byte `viewer_joined` lines.
//!
//! ```text
//! nats_load jetstream URL EVENTS BATCH
//!     JetStream alone: a producer publishes asynchronously to a stream of
//!     its own while a pull consumer fetches and acknowledges.
//! nats_load service URL STREAM PREFIX EVENTS BATCH [RATE]
//!     Into a running `serve --nats`: published to PREFIX.events.douyin
//!     (at most RATE events/s if given); a message counts as done when the
//!     service's durable consumer has acknowledged it (its ack floor), which
//!     it does only once the events are in a signed checkpoint.
//! nats_load read ADDR PATH TOKEN SECONDS
//!     GETs PATH over one keep-alive connection for SECONDS: latency.
//! nats_load drop URL PREFIX
//!     Deletes every stream whose name starts with PREFIX (a run's own).
//! ```
//! Each prints one line: events/s (or requests), p50 and p99 in ms.

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, stream};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn line(run: u32, i: u64) -> String {
    format!(
        r#"{{"type":"viewer_joined","id":"nl-{run}-{i}","at":"2020-04-01T20:00:00+08:00","session":"nats-load","account":"u{}","device":"d{}"}}"#,
        i % 100_000,
        i % 100_000
    )
}

/// One message: `batch` lines from event `first`.
fn message(run: u32, first: u64, batch: u64, events: u64) -> Vec<u8> {
    let mut body = String::new();
    for i in first..(first + batch).min(events) {
        body.push_str(&line(run, i));
        body.push('\n');
    }
    body.into_bytes()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, events: u64, took: Duration, mut latencies: Vec<f64>) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "{what}: {events} events in {:.2} s = {:.0} events/s; publish to ack p50 {:.0} ms, p99 {:.0} ms",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
}

/// Publishes every message, 1,000 acknowledgements outstanding at most
/// (more would fill the client's channel of replies and stall it);
/// `sent` hears each message's stream sequence and the moment it was sent.
async fn publish_all(
    js: &jetstream::Context,
    subject: &str,
    run: u32,
    events: u64,
    batch: u64,
    rate: Option<f64>,
    sent: Arc<Mutex<HashMap<u64, Instant>>>,
) -> Result<Instant, Error> {
    let start = Instant::now();
    let mut pending = futures_util::stream::FuturesUnordered::new();
    for (m, first) in (0..events).step_by(batch as usize).enumerate() {
        if let Some(r) = rate {
            let due = start + Duration::from_secs_f64(first as f64 / r);
            tokio::time::sleep_until(due.into()).await;
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{run}-{m}").as_str());
        let at = Instant::now();
        let ack = js
            .publish_with_headers(
                subject.to_string(),
                headers,
                message(run, first, batch, events).into(),
            )
            .await?;
        pending.push(async move { (ack.await, at) });
        while pending.len() >= 1_000 {
            record(pending.next().await, &sent)?;
        }
    }
    while let Some(x) = pending.next().await {
        record(Some(x), &sent)?;
    }
    Ok(start)
}

type Acked = Option<(
    Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
    Instant,
)>;

fn record(x: Acked, sent: &Mutex<HashMap<u64, Instant>>) -> Result<(), Error> {
    if let Some((ack, at)) = x {
        let seq = ack?.sequence;
        sent.lock().map_err(|_| "poisoned")?.insert(seq, at);
    }
    Ok(())
}

/// Milliseconds from each message's publishing to its being done.
fn latencies(
    sent: &Mutex<HashMap<u64, Instant>>,
    done: &Mutex<HashMap<u64, Instant>>,
) -> Result<Vec<f64>, Error> {
    let (sent, done) = (
        sent.lock().map_err(|_| "poisoned")?,
        done.lock().map_err(|_| "poisoned")?,
    );
    Ok(sent
        .iter()
        .filter_map(|(seq, at)| Some(done.get(seq)?.duration_since(*at).as_secs_f64() * 1e3))
        .collect())
}

async fn jetstream_alone(url: &str, events: u64, batch: u64) -> Result<(), Error> {
    let run = std::process::id();
    let js = jetstream::new(async_nats::connect(url).await?);
    let name = format!("LLLOAD{run}");
    let subject = format!("llload{run}.x");
    let s = js
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            ..Default::default()
        })
        .await?;
    let consumer = s
        .get_or_create_consumer(
            "load",
            pull::Config {
                durable_name: Some("load".into()),
                ack_policy: AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await?;
    let messages = events.div_ceil(batch);
    let acked: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let taker = {
        let acked = acked.clone();
        tokio::spawn(async move {
            let mut stream = consumer.messages().await?;
            let mut n = 0;
            while n < messages {
                let Some(m) = stream.next().await else { break };
                let m = m?;
                let seq = m.info()?.stream_sequence;
                m.ack().await?;
                acked
                    .lock()
                    .map_err(|_| "poisoned")?
                    .insert(seq, Instant::now());
                n += 1;
            }
            Ok::<_, Error>(Instant::now())
        })
    };
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let start = publish_all(&js, &subject, run, events, batch, None, sent.clone()).await?;
    let end = taker.await??;
    let lat = latencies(&sent, &acked)?;
    report(
        &format!("jetstream alone, {batch} per message"),
        events,
        end - start,
        lat,
    );
    js.delete_stream(&name).await?;
    Ok(())
}

async fn service(
    url: &str,
    stream_name: &str,
    prefix: &str,
    events: u64,
    batch: u64,
    rate: Option<f64>,
) -> Result<(), Error> {
    let run = std::process::id();
    let js = jetstream::new(async_nats::connect(url).await?);
    let s = js.get_stream(stream_name).await?;
    let mut consumer: jetstream::consumer::PullConsumer =
        s.get_consumer("liveledger-intake").await?;
    let messages = events.div_ceil(batch);
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let publisher = {
        let (js, sent, subject) = (js.clone(), sent.clone(), format!("{prefix}.events.douyin"));
        tokio::spawn(
            async move { publish_all(&js, &subject, run, events, batch, rate, sent).await },
        )
    };
    // The ack floor, polled: every message at or below it is in the log.
    let floor0 = consumer.info().await?.ack_floor.stream_sequence;
    let mut done: HashMap<u64, Instant> = HashMap::new();
    let last = floor0 + messages;
    loop {
        let floor = consumer.info().await?.ack_floor.stream_sequence;
        let now = Instant::now();
        for seq in (floor0 + 1)..=floor.min(last) {
            done.entry(seq).or_insert(now);
        }
        if floor >= last {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = publisher.await??;
    let end = done.values().max().copied().unwrap_or(start);
    let lat = latencies(&sent, &Mutex::new(done))?;
    let paced = rate.map_or(String::new(), |r| format!(", offered {r:.0}/s"));
    report(
        &format!("service, {batch} per message{paced}"),
        events,
        end - start,
        lat,
    );
    Ok(())
}

async fn read(addr: &str, path: &str, token: &str, seconds: f64) -> Result<(), Error> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await?);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    let (mut lat, start) = (Vec::new(), Instant::now());
    while start.elapsed().as_secs_f64() < seconds {
        let t = Instant::now();
        conn.get_mut().write_all(request.as_bytes()).await?;
        let (mut status, mut length, mut header) = (String::new(), 0usize, String::new());
        conn.read_line(&mut status).await?;
        loop {
            header.clear();
            conn.read_line(&mut header).await?;
            if header.trim().is_empty() {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).await?;
        if !status.contains(" 200 ") {
            return Err(format!("{path}: {status}").into());
        }
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "read {path}: {} requests in {seconds:.0} s; p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    Ok(())
}

async fn drop_streams(url: &str, prefix: &str) -> Result<(), Error> {
    if prefix.is_empty() {
        return Err("drop: a stream name prefix is needed".into());
    }
    let js = jetstream::new(async_nats::connect(url).await?);
    let mut names = js.stream_names();
    let mut doomed = Vec::new();
    while let Some(name) = names.next().await {
        let name = name?;
        if name.starts_with(prefix) {
            doomed.push(name);
        }
    }
    for name in doomed {
        js.delete_stream(&name).await?;
    }
    Ok(())
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let n = |i: usize| -> Result<u64, Error> { Ok(a(i).parse()?) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match a(0) {
            "jetstream" => jetstream_alone(a(1), n(2)?, n(3)?).await,
            "service" => {
                let rate = args.get(6).map(|r| r.parse()).transpose()?;
                service(a(1), a(2), a(3), n(4)?, n(5)?, rate).await
            }
            "read" => read(a(1), a(2), a(3), a(4).parse()?).await,
            "drop" => drop_streams(a(1), a(2)).await,
            _ => Err("usage: see the top of examples/nats_load.rs".into()),
        }
    })
}
