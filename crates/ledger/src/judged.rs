//! Judged answers: every session's report, computed once per snapshot.
//!
//! A session report judges every account that watched (17.9M of them in a
//! 3-hour head-anchor stream), which needs the snapshot's crowds: seconds
//! to read and judge at that size. But a report changes only when the log
//! does, so when a snapshot is saved under the default rules, every
//! session's answer (contract JSON and terminal text) and the sessions
//! list are saved beside it, tied to the same checkpoint. `sessions` and
//! `report session` then read a few kilobytes instead of gigabytes.
//!
//! Like the snapshot, this file is derived and never trusted silently: it
//! is used only when its checkpoint is the log's current one (size and
//! root) and its SHA-256 checks out (the digest covers
//! [`analysis::JUDGEMENT`], so answers judged by an older build are
//! recomputed); otherwise the answer is computed from the state as before. Other rules (`--rules`) and HTML pages are always
//! computed.
//!
//! File layout (`DATA/state/answers.bin`), integers little-endian:
//! ```text
//! magic "LLANSWER" | format u32 | size u64 | root [32] | sha256 of all before it and the body [32] | body (JSON)
//! ```

use crate::analyze::Analysis;
use crate::answer::session::{SessionAnswer, SessionRow};
use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::state;
use render::words::Lang;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tlog::LogReader;

const MAGIC: &[u8; 8] = b"LLANSWER";
/// Bumped whenever the body's layout changes.
const FORMAT: u32 = 1;
const HEADER: usize = 8 + 4 + 8 + 32 + 32;

pub fn path(dir: &DataDir) -> PathBuf {
    dir.root.join("state").join("answers.bin")
}

/// One session's judged answer.
#[derive(Serialize, Deserialize)]
pub struct Judged {
    pub id: String,
    /// The contract JSON, without its `checkpoint` (added when read).
    pub json: Value,
    /// The terminal text.
    pub text: String,
    /// Its row of the sessions list.
    pub row: Value,
    /// Its HTML page in each of `Lang::ALL`: kept in memory by the
    /// service, not saved.
    #[serde(skip)]
    pub html: Option<Vec<String>>,
}

/// Every session's judged answer at one checkpoint.
#[derive(Serialize, Deserialize)]
pub struct Answers {
    /// In the analysis' session order.
    pub sessions: Vec<Judged>,
    /// The sessions list as terminal text.
    pub list_text: String,
    /// The checkpoint they were judged at (not stored: it is the log's).
    #[serde(skip)]
    pub checkpoint: Value,
}

impl Answers {
    /// Judges every session of `a` (whose state must hold the crowds).
    pub fn judge(a: &Analysis) -> Result<Answers> {
        let checkpoint = a.checkpoint_json();
        let ids = |leaf| a.event_id(leaf);
        let mut sessions = Vec::new();
        let mut reports = Vec::new();
        for id in a.analyzer.session_ids() {
            let r = a.session(&id.0)?;
            sessions.push(Judged {
                id: id.0.clone(),
                json: serde_json::to_value(SessionAnswer::new(&r, &ids))?,
                text: render::text::session(&r, &ids, &checkpoint),
                row: serde_json::to_value(SessionRow::new(&r))?,
                html: Some(
                    Lang::ALL
                        .iter()
                        .map(|l| render::html::session(&r, &ids, &checkpoint, *l))
                        .collect(),
                ),
            });
            reports.push(r);
        }
        Ok(Answers {
            sessions,
            list_text: render::text::sessions(&reports),
            checkpoint,
        })
    }

    /// The judged answers in `dir` if they are level with `reader`'s
    /// checkpoint and intact; `None` otherwise (compute them instead).
    pub fn load(dir: &DataDir, reader: &LogReader) -> Result<Option<Answers>> {
        let bytes = match std::fs::read(path(dir)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading", &path(dir))(e)),
        };
        let cp = reader.checkpoint();
        let level = bytes.len() >= HEADER
            && &bytes[..8] == MAGIC
            && bytes[8..12] == FORMAT.to_le_bytes()
            && bytes[12..20] == cp.size.to_le_bytes()
            && bytes[20..52] == cp.root.0
            && bytes[52..HEADER] == digest(&bytes[..52], &bytes[HEADER..]);
        if !level {
            return Ok(None);
        }
        let Ok(mut answers) = serde_json::from_slice::<Answers>(&bytes[HEADER..]) else {
            return Ok(None);
        };
        answers.checkpoint = crate::analyze::checkpoint_json(reader, &dir.verifier()?.to_vkey());
        Ok(Some(answers))
    }

    /// Saves the answers, tied to `reader`'s checkpoint.
    pub fn save(&self, dir: &DataDir, reader: &LogReader) -> Result<()> {
        let cp = reader.checkpoint();
        let body = serde_json::to_vec(self)?;
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&cp.size.to_le_bytes());
        out.extend_from_slice(&cp.root.0);
        let d = digest(&out, &body);
        out.extend_from_slice(&d);
        out.extend_from_slice(&body);
        state::write_atomically(&path(dir), &out)
    }

    /// One session's answer, or the error `report session` gives for an
    /// unknown id.
    pub fn session(&self, id: &str) -> Result<&Judged> {
        self.sessions.iter().find(|j| j.id == id).ok_or_else(|| {
            let known: Vec<&str> = self.sessions.iter().take(10).map(|j| &*j.id).collect();
            crate::analyze::no_session(id, self.size(), &known)
        })
    }

    /// A session's contract JSON, with its checkpoint.
    pub fn session_json(&self, id: &str) -> Result<Value> {
        let mut v = self.session(id)?.json.clone();
        v["checkpoint"] = self.checkpoint.clone();
        Ok(v)
    }

    /// The `sessions --json` answer.
    pub fn list_json(&self) -> Value {
        let rows: Vec<&Value> = self.sessions.iter().map(|j| &j.row).collect();
        serde_json::json!({ "checkpoint": self.checkpoint, "sessions": rows })
    }

    fn size(&self) -> u64 {
        self.checkpoint["size"].as_u64().unwrap_or(0)
    }
}

fn digest(head: &[u8], body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(head);
    h.update(analysis::JUDGEMENT.to_le_bytes());
    h.update(body);
    h.finalize().into()
}

/// Removes the judged answers (for `rebuild`).
pub fn remove(dir: &DataDir) -> Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("removing", &path(dir))(e))
        }
        _ => Ok(()),
    }
}

/// Brings the analysis level with the log: replays the tail, if any, saves
/// the snapshot and judges every session. Returns the entries replayed.
pub fn level(dir: &DataDir, progress: &dyn Fn(u64, u64)) -> Result<u64> {
    let reader = dir.reader()?;
    // Level already? The core's header and the answers say so cheaply;
    // the whole state (gigabytes at scale) is read only to feed a tail.
    let level = matches!(state::load(dir, &reader, state::Part::Core)?, Ok((_, size)) if size == reader.size());
    if level && Answers::load(dir, &reader)?.is_some() {
        return Ok(0);
    }
    let (a, replayed) = Analysis::whole(dir, progress)?;
    if replayed > 0 {
        a.save(dir)?;
    }
    Answers::judge(&a)?.save(dir, &a.reader)?;
    Ok(replayed)
}

/// Saves `a` as a snapshot and, under the default rules, every session's
/// judged answer beside it: what a service does on a clean shutdown.
pub fn persist(a: &Analysis, dir: &DataDir) -> Result<()> {
    a.save(dir)?;
    if a.analyzer.state().has_crowds() && *a.analyzer.rules() == analysis::Rules::default() {
        Answers::judge(a)?.save(dir, &a.reader)?;
    }
    Ok(())
}

/// Rebuilds the snapshot and the judged answers from the whole log;
/// returns the entries fed.
pub fn rebuild(dir: &DataDir) -> Result<u64> {
    state::remove(dir)?;
    remove(dir)?;
    level(dir, &|_, _| {})?;
    Ok(dir.reader()?.size())
}
