//! Webhooks: alerts POSTed to registered receivers (api.md, "Alerts").
//!
//! - Registered from the command line (`liveledger webhook add URL --role …
//!   --scope …`), kept in `DATA/keys/webhooks.json` (owner-only) with their
//!   secrets; a webhook hears only the alerts its role and scope may see.
//! - Each POST carries `Liveledger-Event-Id` (the alert's event id: a
//!   receiver deduplicates by it) and `Liveledger-Signature: t=<unix>,
//!   v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — one `v1` per secret, two
//!   while a secret is being rotated.
//! - One delivery task per webhook walks the alert feed in order from a
//!   cursor saved after each alert is settled (`DATA/state/webhooks/NAME.cursor`),
//!   so a restart resumes where it stopped. A failure is retried with
//!   exponential backoff and jitter; after the last attempt the alert is a
//!   dead letter (`NAME.dead.ndjson`, with the last error), listable and
//!   replayable (`liveledger webhook dead|replay`). Ingest never waits on a
//!   receiver.
//! - Targets on loopback, private or link-local addresses are refused
//!   unless the webhook was added with `--allow-private`; checked when
//!   added and again at each delivery (a name may resolve elsewhere later),
//!   and the POST goes to the address that was checked.
//! - `https://` receivers are verified against the system's trust store
//!   (`/etc/ssl/certs`; `SSL_CERT_FILE` names another bundle).

use super::hub::Service;
use super::tokens::{Principal, Role};
use crate::datadir::{private_dir, DataDir};
use crate::error::{Error, Result};
use crate::record::hex;
use crate::state::write_atomically;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Webhook {
    pub name: String,
    pub url: String,
    pub role: Role,
    pub scope: Option<String>,
    /// The current secret first; during a rotation, the previous one after it.
    pub secrets: Vec<String>,
    #[serde(default)]
    pub allow_private: bool,
}

impl Webhook {
    fn principal(&self) -> Principal {
        Principal {
            name: self.name.clone(),
            role: self.role,
            scope: self.scope.clone(),
        }
    }
}

/// How deliveries are retried.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// The first wait; each next one doubles (with jitter), up to a minute.
    pub first: Duration,
    /// Attempts before an alert becomes a dead letter.
    pub attempts: u32,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            first: Duration::from_millis(500),
            attempts: 10,
        }
    }
}

pub fn path(dir: &DataDir) -> PathBuf {
    dir.root.join("keys").join("webhooks.json")
}

fn state_dir(dir: &DataDir) -> PathBuf {
    dir.root.join("state").join("webhooks")
}

fn cursor_path(dir: &DataDir, name: &str) -> PathBuf {
    state_dir(dir).join(format!("{name}.cursor"))
}

fn dead_path(dir: &DataDir, name: &str) -> PathBuf {
    state_dir(dir).join(format!("{name}.dead.ndjson"))
}

fn replay_path(dir: &DataDir, name: &str) -> PathBuf {
    state_dir(dir).join(format!("{name}.replay.ndjson"))
}

pub fn load(dir: &DataDir) -> Result<Vec<Webhook>> {
    let p = path(dir);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| Error::Invalid(format!("{}: not a webhook list: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("reading", &p)(e)),
    }
}

fn store(dir: &DataDir, hooks: &[Webhook]) -> Result<()> {
    let p = path(dir);
    private_dir(p.parent().expect("keys/"))?;
    write_atomically(&p, &serde_json::to_vec_pretty(hooks)?)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
        .map_err(Error::io("restricting", &p))
}

fn secret() -> Result<String> {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).map_err(|e| Error::Key(format!("no randomness for a secret: {e}")))?;
    Ok(format!("whsec_{}", hex(&b)))
}

/// The address a webhook URL points at, checked against the private
/// ranges unless they are allowed.
fn target(url: &str, allow_private: bool) -> Result<(axum::http::Uri, SocketAddr)> {
    let uri: axum::http::Uri = url
        .parse()
        .map_err(|e| Error::Invalid(format!("webhook URL {url:?}: {e}")))?;
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        Some("https") => 443,
        _ => {
            return Err(Error::Invalid(format!(
                "webhook URL {url:?}: expected http:// or https://"
            )))
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| Error::Invalid(format!("webhook URL {url:?} has no host")))?;
    let port = uri.port_u16().unwrap_or(default_port);
    let addr = (host.trim_matches(|c| c == '[' || c == ']'), port)
        .to_socket_addrs()
        .map_err(|e| Error::Invalid(format!("webhook host {host:?} does not resolve: {e}")))?
        .next()
        .ok_or_else(|| Error::Invalid(format!("webhook host {host:?} has no address")))?;
    if !allow_private && private(addr.ip()) {
        return Err(Error::Invalid(format!(
            "webhook URL {url:?} resolves to {}, a loopback, private or link-local address: refused (add it with --allow-private if it is meant)",
            addr.ip()
        )));
    }
    Ok((uri, addr))
}

fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| private(IpAddr::V4(v4)))
        }
    }
}

/// Registers a webhook; returns it (its secret is shown only now).
pub fn add(
    dir: &DataDir,
    url: &str,
    role: Role,
    scope: Option<String>,
    name: Option<String>,
    allow_private: bool,
) -> Result<Webhook> {
    target(url, allow_private)?;
    if role == Role::Producer {
        return Err(Error::Invalid("a producer sees no alerts".into()));
    }
    if (role == Role::Regulator) != scope.is_none() {
        return Err(Error::Invalid(
            "a regulator webhook has no --scope; every other role needs one".into(),
        ));
    }
    let mut hooks = load(dir)?;
    let name = name.unwrap_or_else(|| format!("webhook-{}", hooks.len() + 1));
    if hooks.iter().any(|h| h.name == name) {
        return Err(Error::Invalid(format!(
            "a webhook named {name:?} exists already"
        )));
    }
    let hook = Webhook {
        name,
        url: url.to_string(),
        role,
        scope,
        secrets: vec![secret()?],
        allow_private,
    };
    hooks.push(hook.clone());
    store(dir, &hooks)?;
    Ok(hook)
}

/// Gives `name` a new secret, keeping the previous one signing beside it
/// until the next rotation; returns the new one.
pub fn rotate(dir: &DataDir, name: &str) -> Result<String> {
    let mut hooks = load(dir)?;
    let h = find(&mut hooks, name)?;
    let new = secret()?;
    h.secrets = vec![new.clone(), h.secrets[0].clone()];
    store(dir, &hooks)?;
    Ok(new)
}

pub fn remove(dir: &DataDir, name: &str) -> Result<()> {
    let mut hooks = load(dir)?;
    find(&mut hooks, name)?;
    hooks.retain(|h| h.name != name);
    store(dir, &hooks)
}

fn find<'a>(hooks: &'a mut [Webhook], name: &str) -> Result<&'a mut Webhook> {
    hooks
        .iter_mut()
        .find(|h| h.name == name)
        .ok_or_else(|| Error::NotFound(format!("no webhook named {name:?}")))
}

/// The dead letters of `name`.
pub fn dead(dir: &DataDir, name: &str) -> Result<Vec<Value>> {
    read_lines(&dead_path(dir, name))
}

/// Queues `name`'s dead letters for delivery again; returns how many.
pub fn replay(dir: &DataDir, name: &str) -> Result<usize> {
    find(&mut load(dir)?, name)?;
    let (dead, queue) = (dead_path(dir, name), replay_path(dir, name));
    let mut letters = read_lines(&queue)?;
    let n = read_lines(&dead)?.len();
    letters.extend(read_lines(&dead)?);
    write_lines(&queue, &letters)?;
    // Queued first, then cleared: a crash between leaves a duplicate, never a loss.
    write_lines(&dead, &[])?;
    Ok(n)
}

fn read_lines(p: &std::path::Path) -> Result<Vec<Value>> {
    match std::fs::read_to_string(p) {
        Ok(t) => Ok(t
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("reading", p)(e)),
    }
}

fn write_lines(p: &std::path::Path, lines: &[Value]) -> Result<()> {
    let mut text = String::new();
    for l in lines {
        text.push_str(&l.to_string());
        text.push('\n');
    }
    write_atomically(p, text.as_bytes())
}

/// `t=<unix>,v1=<hex>[,v1=<hex>]` for `body` sent at `t`.
pub fn signature(secrets: &[String], t: i64, body: &[u8]) -> String {
    let mut out = format!("t={t}");
    for s in secrets {
        let mut mac = HmacSha256::new_from_slice(s.as_bytes()).expect("HMAC takes any key");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        out.push_str(&format!(",v1={}", hex(&mac.finalize().into_bytes())));
    }
    out
}

/// Runs the deliveries: one task per registered webhook, started as
/// webhooks are added (the list is read again every second).
pub async fn run(svc: Arc<Service>, retry: Retry) {
    let mut running = std::collections::HashSet::new();
    loop {
        for hook in load(&svc.dir).unwrap_or_default() {
            if running.insert(hook.name.clone()) {
                tokio::spawn(deliver_all(svc.clone(), hook.name, retry));
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Delivers every alert webhook `name` may see, in order, while it is
/// registered (its secrets and URL read again each round: a rotation
/// takes effect at once).
async fn deliver_all(svc: Arc<Service>, name: String, retry: Retry) {
    let cursor = cursor_path(&svc.dir, &name);
    let mut at: usize = std::fs::read_to_string(&cursor)
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    loop {
        let Some(hook) = load(&svc.dir)
            .unwrap_or_default()
            .into_iter()
            .find(|h| h.name == name)
        else {
            return; // removed
        };
        // Replayed dead letters first.
        let queue = replay_path(&svc.dir, &name);
        let letters = read_lines(&queue).unwrap_or_default();
        if !letters.is_empty() {
            let _ = std::fs::remove_file(&queue);
            for letter in letters {
                settle(&svc, &hook, &letter["alert"], retry).await;
            }
        }
        let (alerts, end) = svc.alerts.since(at, &hook.principal());
        for (_, alert) in &alerts {
            settle(&svc, &hook, alert, retry).await;
        }
        if end != at {
            at = end;
            if let Some(p) = cursor.parent() {
                let _ = std::fs::create_dir_all(p);
            }
            let _ = write_atomically(&cursor, at.to_string().as_bytes());
        }
        tokio::time::sleep(super::alerts::TICK).await;
    }
}

/// Delivers one alert, retrying; a dead letter if every attempt fails.
async fn settle(svc: &Service, hook: &Webhook, alert: &Value, retry: Retry) {
    let mut wait = retry.first;
    let mut last = String::new();
    for attempt in 1..=retry.attempts {
        match post(hook, alert).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(webhook = %hook.name, attempt, error = %e, "delivery failed");
                last = e;
            }
        }
        if attempt < retry.attempts {
            // Jitter: up to a quarter more, so receivers are not hit in step.
            let jitter = wait.mul_f64(f64::from(rand_u8()) / 1024.0);
            tokio::time::sleep(wait + jitter).await;
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    }
    tracing::error!(webhook = %hook.name, alert = %alert["alert"], "dead letter after every attempt failed");
    let letter = json!({
        "alert": alert,
        "attempts": retry.attempts,
        "last_error": last,
        "dead_at": super::hub::now().to_rfc3339(),
    });
    let p = dead_path(&svc.dir, &hook.name);
    let mut letters = read_lines(&p).unwrap_or_default();
    letters.push(letter);
    if let Err(e) = write_lines(&p, &letters) {
        tracing::error!(webhook = %hook.name, error = %e, "cannot keep a dead letter");
    }
}

fn rand_u8() -> u8 {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    b[0]
}

/// One POST of `alert` to `hook`; Ok on a 2xx.
async fn post(hook: &Webhook, alert: &Value) -> std::result::Result<(), String> {
    use http_body_util::Full;
    let (uri, addr) = target(&hook.url, hook.allow_private).map_err(|e| e.to_string())?;
    let body = alert.to_string().into_bytes();
    let t = super::hub::now().timestamp();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let req = axum::http::Request::post(path)
        .header("host", uri.authority().map_or("", |a| a.as_str()))
        .header("content-type", "application/json")
        .header("liveledger-event-id", alert["event"].as_str().unwrap_or(""))
        .header("liveledger-signature", signature(&hook.secrets, t, &body))
        .body(Full::new(axum::body::Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_secs(10), send(&uri, addr, req)).await {
        Err(_) => Err("no answer within 10 s".into()),
        Ok(Err(e)) => Err(e),
        Ok(Ok(s)) if s.is_success() => Ok(()),
        Ok(Ok(s)) => Err(format!("HTTP {s}")),
    }
}

type Request = axum::http::Request<http_body_util::Full<axum::body::Bytes>>;

/// Sends `req` to `addr` (the address `target` checked, not a second
/// lookup), over TLS for `https://`; the response's status.
async fn send(
    uri: &axum::http::Uri,
    addr: SocketAddr,
    req: Request,
) -> std::result::Result<axum::http::StatusCode, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return exchange(tcp, req).await;
    }
    let host = uri.host().unwrap_or("").trim_matches(['[', ']']);
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a TLS server name: {e}"))?;
    let tls = tls()?
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))?;
    exchange(tls, req).await
}

async fn exchange<S>(io: S, req: Request) -> std::result::Result<axum::http::StatusCode, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| e.to_string())?;
    // The connection is driven beside the request; it ends with it.
    tokio::spawn(conn);
    let r = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok(r.status())
}

/// The TLS client: the system's trust store, read once.
fn tls() -> std::result::Result<tokio_rustls::TlsConnector, String> {
    use tokio_rustls::rustls;
    static TLS: std::sync::OnceLock<std::result::Result<tokio_rustls::TlsConnector, String>> =
        std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(format!(
                "no trusted certificate authority found (SSL_CERT_FILE or the system's store): {:?}",
                found.errors
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9/x",
            "http://10.1.2.3/",
            "http://[::1]:80/",
            "http://169.254.169.254/latest",
        ] {
            assert!(target(url, false).is_err(), "{url}");
        }
        assert!(target("http://127.0.0.1:9/x", true).is_ok());
        assert!(
            target("ftp://example.com/", true).is_err(),
            "http and https only"
        );
        assert!(target("not a url", true).is_err());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body_per_secret() {
        // From an independent implementation:
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_k
        assert_eq!(
            signature(&["whsec_k".into()], 1_700_000_000, b"{}"),
            "t=1700000000,v1=8b20524faff2b12e1089e404a8cf60fbe577e5320e899ebff7329ebbcb9ada22"
        );
        let two = signature(&["a".into(), "b".into()], 1, b"x");
        assert_eq!(two.matches("v1=").count(), 2);
        let mut mac = HmacSha256::new_from_slice(b"a").unwrap();
        mac.update(b"1.x");
        assert!(two.contains(&hex(&mac.finalize().into_bytes())));
    }
}
