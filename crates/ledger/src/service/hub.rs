//! The service's state: the writer, the analysis following the log,
//! tokens and alerts, and what every face of it does through them.

use super::feed::Feed;
use super::metrics;
use super::tokens::{self, Principal, TokenRec};
use crate::analyze::Analysis;
use crate::datadir::{DataDir, Ledger};
use crate::error::{Error, Result};
use crate::ingest::{ingest, IngestReport, Input, LineError, Options, Progress};
use crate::judged::Answers;
use crate::record;
use crate::state::Part;
use analysis::Rules;
use render::words::Lang;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// The present moment.
pub fn now() -> Time {
    chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).fixed_offset()
}

/// The analysis, level with the log, and the session answers judged at its
/// latest revision (if any were asked for since it last changed).
pub struct Live {
    pub analysis: Analysis,
    judged: Option<Answers>,
    /// Bumped whenever events that may change an answer are fed: the
    /// service's own `access` records move the log, not the answers.
    revision: u64,
    judged_revision: u64,
}

impl Live {
    /// Every session's answer, judged on first use after a change.
    pub fn judged(&mut self) -> Result<&Answers> {
        if self.judged.is_none() || self.judged_revision != self.revision {
            self.judged = Some(Answers::judge(&self.analysis)?);
            self.judged_revision = self.revision;
        }
        Ok(self.judged.as_ref().expect("judged above"))
    }

    /// A session's HTML page (judging again if the answers were read from
    /// disk, which keeps no pages).
    pub fn session_html(&mut self, id: &str, lang: Lang) -> Result<String> {
        if self.judged()?.session(id)?.html.is_none() {
            self.judged = None;
        }
        let pages = self.judged()?.session(id)?.html.as_ref();
        Ok(pages
            .and_then(|p| p.get(lang.index()))
            .cloned()
            .unwrap_or_default())
    }

    /// Feeds what the log gained; `changes` when it may change answers.
    fn follow(&mut self, dir: &DataDir, changes: bool) -> Result<()> {
        self.analysis.follow(dir)?;
        self.revision += u64::from(changes);
        Ok(())
    }
}

pub struct Service {
    pub dir: DataDir,
    writer: Mutex<Ledger>,
    live: Mutex<Live>,
    /// The token list and the modification time it was read at: `token
    /// issue` and `revoke` take effect without a restart.
    tokens: Mutex<(Option<SystemTime>, Vec<TokenRec>)>,
    pub metrics: metrics::Metrics,
    /// The alerts raised so far (see [`alerts`]).
    pub alerts: Feed,
    /// Writes that may have moved an answer, so far: what live pages watch
    /// (read without the analysis' lock).
    changes: AtomicU64,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
}

fn poisoned<T>(_: T) -> Error {
    Error::Invalid("the service's state is unusable after an earlier failure; restart it".into())
}

impl Service {
    /// Opens the data directory for writing and brings the analysis level
    /// with the log (the snapshot and its tail).
    /// A new data directory gets a new, empty log.
    pub fn open(dir: &DataDir, max_body: usize) -> Result<Service> {
        let writer = Ledger::open(dir, None)?;
        let analysis = Analysis::run(dir, Rules::default(), Part::Whole, &|_, _| {})?;
        // Answers judged at this very checkpoint (by ingest) need no judging.
        let judged = Answers::load(dir, &analysis.reader)?;
        let alerts = Feed::default();
        alerts.sync(&analysis.analyzer);
        Ok(Service {
            dir: dir.clone(),
            writer: Mutex::new(writer),
            live: Mutex::new(Live {
                analysis,
                judged,
                revision: 0,
                judged_revision: 0,
            }),
            tokens: Mutex::new((None, Vec::new())),
            metrics: metrics::Metrics::default(),
            alerts,
            changes: AtomicU64::new(0),
            max_body,
        })
    }

    /// The analysis, for reading.
    pub fn live(&self) -> Result<MutexGuard<'_, Live>> {
        self.live.lock().map_err(poisoned)
    }

    /// Who `token` stands for, if anyone.
    pub fn principal(&self, token: &str) -> Result<Option<Principal>> {
        let p = tokens::path(&self.dir);
        let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok();
        let mut cache = self.tokens.lock().map_err(poisoned)?;
        if cache.0 != modified || modified.is_none() {
            *cache = (modified, tokens::load(&self.dir)?);
        }
        Ok(tokens::authenticate(&cache.1, token, now()))
    }

    /// Appends events the service writes itself, commits them, and brings
    /// the analysis level.
    pub fn write(&self, events: &[Value]) -> Result<()> {
        let mut writer = self.writer.lock().map_err(poisoned)?;
        record::append(&mut writer, events)?;
        let changes = events.iter().any(|e| e["type"] != "access");
        self.followed(changes)
    }

    /// Brings the analysis level with what was just written.
    fn followed(&self, changes: bool) -> Result<()> {
        let mut live = self.live()?;
        live.follow(&self.dir, changes)?;
        self.alerts.sync(&live.analysis.analyzer);
        drop(live);
        self.changes
            .fetch_add(u64::from(changes), Ordering::Relaxed);
        Ok(())
    }

    /// Writes so far that may have moved an answer.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Records that `who` was shown `resource` (order- or account-level data).
    pub fn access(&self, who: &Principal, resource: &str) -> Result<()> {
        let ev = record::access(&who.name, who.role.as_str(), resource, now())?;
        self.write(&[ev])?;
        self.metrics.accessed();
        Ok(())
    }

    /// Ingests an NDJSON body sent by `who`: lines about another platform's
    /// sessions are rejected like any bad line, with the reason; the rest
    /// go through the ingest pipeline. Returns once the accepted lines are
    /// in a signed checkpoint.
    pub fn ingest_body(&self, who: &Principal, body: Vec<u8>) -> Result<IngestReport> {
        let mut writer = self.writer.lock().map_err(poisoned)?;
        let (body, refused) = {
            let live = self.live()?;
            screen(who, &live.analysis.analyzer, body)
        };
        let mut report = ingest(
            &mut writer,
            vec![Input {
                name: "body".into(),
                reader: Box::new(std::io::Cursor::new(body)),
            }],
            &Options::default(),
            &mut Progress::none(),
        )?;
        report.rejected += refused.len() as u64;
        report.errors.extend(refused);
        report.errors.sort_by_key(|e| e.line);
        self.metrics
            .ingested(report.accepted, report.duplicates, report.rejected);
        self.followed(report.accepted > 0)?;
        Ok(report)
    }

    /// Saves the analysis as a snapshot: on a clean shutdown.
    pub fn persist(&self) -> Result<()> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        crate::judged::persist(&self.live()?.analysis, &self.dir)
    }
}

/// Blanks the lines of `body` that `who` may not send (keeping the line
/// numbers of the rest) and says why each was refused. A session started in
/// the body itself counts as started on the platform it names.
fn screen(
    who: &Principal,
    an: &analysis::Analyzer,
    mut body: Vec<u8>,
) -> (Vec<u8>, Vec<LineError>) {
    let mut refused = Vec::new();
    if who.scope.is_none() {
        return (body, refused);
    }
    let mut started: HashMap<String, Value> = HashMap::new();
    let mut start = 0;
    let mut line_no = 0;
    while start < body.len() {
        line_no += 1;
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |i| start + i);
        if let Ok(v) = serde_json::from_slice::<Value>(&body[start..end]) {
            let session = v.get("session").and_then(Value::as_str).map(str::to_string);
            if v.get("type").and_then(Value::as_str) == Some("session_started") {
                if let Some(s) = &session {
                    started.insert(s.clone(), v.clone());
                }
            }
            // A session started earlier in this body is judged by that line.
            let why = match session.as_ref().and_then(|s| started.get(s)) {
                Some(first) if first != &v => who.refuses_line(an, first),
                _ => who.refuses_line(an, &v),
            };
            if let Some(reason) = why {
                refused.push(LineError {
                    file: "body".into(),
                    line: line_no,
                    id: v.get("id").and_then(Value::as_str).map(str::to_string),
                    field: Some("session".into()),
                    reason,
                });
                body[start..end].fill(b' ');
            }
        }
        start = end + 1;
    }
    (body, refused)
}
