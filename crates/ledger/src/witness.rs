//! Witnesses, both sides of C2SP `tlog-witness`: asking witnesses to
//! cosign this log's checkpoint (`cosign`, `serve --witness`), and being a
//! witness for other logs (`witness serve`), its state kept in a file.
//!
//! The HTTP here is a plain HTTP/1.1 POST over std's `TcpStream`: both
//! callers are synchronous (a command, the service's cosigning thread),
//! and a witness request is one small body each way. So `http://` only; a
//! witness on the internet sits behind a TLS front (C2SP's https-bastion).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;
use tlog::witness::{add_checkpoint_body, Seen};
use tlog::{Hash, Log, TileHashes};

/// How long a witness may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A witness this log asks for cosignatures, and the size it last cosigned.
pub struct Witness {
    pub url: String,
    last: Option<u64>,
}

impl Witness {
    pub fn new(url: &str) -> Witness {
        Witness {
            url: url.trim_end_matches('/').to_string(),
            last: None,
        }
    }

    /// The `add-checkpoint` request for `log`'s checkpoint: its size and
    /// body (with a consistency proof from the size this witness last
    /// cosigned). Quick: run it under the writer's lock, post without it.
    pub fn request(&self, log: &Log, old: u64) -> Result<(u64, String)> {
        let (cp, note) = log.checkpoint();
        if old > cp.size {
            return Err(self.refused(format!(
                "it has cosigned this log at size {old}, beyond its checkpoint's {}: the log was rolled back",
                cp.size
            )));
        }
        let proof = if old == 0 || old == cp.size {
            Vec::new()
        } else {
            tlog::proof::consistency(&TileHashes::new(&log.reader()), old, cp.size)?
        };
        Ok((cp.size, add_checkpoint_body(old, &proof, note)))
    }

    /// Asks for a cosignature of the log's checkpoint and adds it to the
    /// checkpoint file. `with_log` lends the log (under the writer's lock)
    /// only to build the request and to add the cosignature, not for the
    /// round trip: a slow witness never holds up a commit.
    pub fn cosign<F>(&mut self, mut with_log: F) -> Result<u64>
    where
        F: FnMut(&mut dyn FnMut(&mut Log) -> Result<()>) -> Result<()>,
    {
        let mut old = self.last.unwrap_or(0);
        // At most twice: a witness that does not know our last size says
        // which it has (409), and the second request starts from there.
        for _ in 0..2 {
            let mut request = None;
            with_log(&mut |log| {
                request = Some(self.request(log, old)?);
                Ok(())
            })?;
            let (size, body) = request.expect("set by with_log");
            let (status, reply) = post(&format!("{}/add-checkpoint", self.url), &body)?;
            match status {
                200 => {
                    with_log(&mut |log| {
                        log.add_cosignatures(size, &reply)?;
                        Ok(())
                    })?;
                    self.last = Some(size);
                    return Ok(size);
                }
                409 => match reply.trim().parse::<u64>() {
                    Ok(seen) if seen != old => old = seen,
                    _ => break,
                },
                _ => return Err(self.refused(format!("{status} {}", reply.trim()))),
            }
        }
        Err(self.refused(format!(
            "it last cosigned size {old}, and this log's checkpoint does not extend that tree: the log was rolled back or forked"
        )))
    }

    fn refused(&self, why: String) -> Error {
        Error::Invalid(format!("witness {} refused to cosign: {why}", self.url))
    }
}

/// POSTs `body` to an `http://` URL; the status and the body of the reply.
pub fn post(url: &str, body: &str) -> Result<(u16, String)> {
    let bad = |why: String| Error::Invalid(format!("witness {url}: {why}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// URLs are supported".into()))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = host
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .next()
        .ok_or_else(|| bad("no address".into()))?;
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| bad(e.to_string()))?;
    s.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| s.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| bad(e.to_string()))?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    s.write_all(request.as_bytes())
        .map_err(|e| bad(e.to_string()))?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).map_err(|e| bad(e.to_string()))?;
    let reply = String::from_utf8(reply).map_err(|_| bad("a reply that is not UTF-8".into()))?;
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("a reply without headers".into()))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("a malformed status line {:?}", head.lines().next())))?;
    Ok((status, body.to_string()))
}

/// A witness's record of the logs it cosigned: `{origin: {size, root}}`
/// in a JSON file, replaced atomically before a cosignature is handed out.
pub fn load_seen(path: &Path) -> Result<BTreeMap<String, Seen>> {
    let text = match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        t => t.map_err(Error::io("reading", path))?,
    };
    let raw: BTreeMap<String, (u64, String)> = serde_json::from_str(&text)?;
    raw.into_iter()
        .map(|(origin, (size, root))| {
            let root = Hash::from_hex(&root).ok_or_else(|| {
                Error::Invalid(format!(
                    "{}: root of {origin:?} is not a hash",
                    path.display()
                ))
            })?;
            Ok((origin, Seen { size, root }))
        })
        .collect()
}

pub fn save_seen(path: &Path, seen: &BTreeMap<String, Seen>) -> Result<()> {
    let raw: BTreeMap<&String, (u64, String)> = seen
        .iter()
        .map(|(o, s)| (o, (s.size, s.root.to_hex())))
        .collect();
    crate::state::write_atomically(path, serde_json::to_string_pretty(&raw)?.as_bytes())
}

/// Creates a witness key named `name` at `path` (owner-only; never
/// overwritten) and returns it.
pub fn create_key(path: &Path, name: &str) -> Result<tlog::witness::Cosigner> {
    let key = tlog::witness::Cosigner::new(name, crate::datadir::random32()?)?;
    crate::datadir::write_private(path, format!("{}\n", key.to_skey()).as_bytes())?;
    Ok(key)
}

pub fn load_key(path: &Path) -> Result<tlog::witness::Cosigner> {
    let text = std::fs::read_to_string(path).map_err(Error::io("reading", path))?;
    Ok(tlog::witness::Cosigner::from_skey(&text)?)
}
