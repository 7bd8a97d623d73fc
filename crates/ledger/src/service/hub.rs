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
use analysis::cases::case::Case;
use analysis::Rules;
use events::json::{member, parse_line, Flat, Json, Parsed};
use render::words::Lang;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// How long the id index file may lag the log (see [`Ledger::defer_index`]).
pub const INDEX_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

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
    /// Every case at the revision it was computed at.
    cases: Option<(u64, Vec<Case>)>,
}

impl Live {
    /// Every case, computed once per revision (1,800 cases at 50M events
    /// take about a second); `overdue` as of `at`, the one part that moves
    /// with the clock. With the analysis they were computed from.
    pub fn cases(&mut self, at: Time) -> (&[Case], &Analysis) {
        if self.cases.as_ref().is_none_or(|(r, _)| *r != self.revision) {
            self.cases = Some((self.revision, self.analysis.analyzer.cases(at)));
        }
        let cases = &mut self.cases.get_or_insert_default().1;
        for c in cases.iter_mut() {
            c.overdue = c.due.is_some_and(|d| d < at);
        }
        (cases, &self.analysis)
    }

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
    /// Access records waiting for their commit (see [`Service::access`]).
    accesses: Mutex<Pending>,
    /// Ingest bodies waiting for their commit (see [`Service::ingest_body`]).
    bodies: Mutex<Bodies>,
    /// What was committed but not yet followed: [`LEVEL`], [`BEHIND`] or
    /// [`BEHIND_CHANGED`] (see [`Service::catch_up`]).
    behind: AtomicU8,
}

const LEVEL: u8 = 0;
const BEHIND: u8 = 1;
const BEHIND_CHANGED: u8 = 2;

/// Ingest bodies queued for a group commit, by ticket, and the outcome of
/// those another request committed (taken by their own request).
#[derive(Default)]
struct Bodies {
    waiting: Vec<(u64, Vec<u8>, Vec<LineError>)>,
    issued: u64,
    done: HashMap<u64, std::result::Result<IngestReport, String>>,
}

/// Access records queued for a group commit: the events, and the ticket
/// numbers handed out and committed so far.
#[derive(Default)]
struct Pending {
    events: Vec<Value>,
    issued: u64,
    committed: u64,
}

fn poisoned<T>(_: T) -> Error {
    Error::Invalid("the service's state is unusable after an earlier failure; restart it".into())
}

impl Service {
    /// Lends the log to `f` under the writer's lock (witnesses' cosignatures).
    pub fn with_log(&self, f: &mut dyn FnMut(&mut tlog::Log) -> Result<()>) -> Result<()> {
        f(&mut self.writer.lock().map_err(poisoned)?.log)
    }

    /// Opens the data directory for writing and brings the analysis level
    /// with the log (the snapshot and its tail).
    /// A new data directory gets a new, empty log.
    pub fn open(dir: &DataDir, max_body: usize) -> Result<Service> {
        let mut writer = Ledger::open(dir, None)?;
        writer.defer_index(INDEX_EVERY);
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
                cases: None,
            }),
            tokens: Mutex::new((None, Vec::new())),
            metrics: metrics::Metrics::default(),
            alerts,
            changes: AtomicU64::new(0),
            max_body,
            accesses: Mutex::default(),
            bodies: Mutex::default(),
            behind: AtomicU8::new(LEVEL),
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
        drop(writer);
        let changes = events.iter().any(|e| e["type"] != "access");
        self.followed(changes)
    }

    /// Logs `access` records other nodes queued (see [`super::pg`]): one
    /// already in the log under its id is not logged again.
    pub fn log_queued_access(&self, events: &[Value]) -> Result<()> {
        let mut writer = self.writer.lock().map_err(poisoned)?;
        record::append_once(&mut writer, events)?;
        drop(writer);
        for _ in events {
            self.metrics.accessed();
        }
        self.followed(false)
    }

    /// Brings the analysis level with what was just written (outside the
    /// writer's lock, so the next commit need not wait for it).
    fn followed(&self, changes: bool) -> Result<()> {
        let mut live = self.live()?;
        live.follow(&self.dir, changes)?;
        self.alerts.sync(&live.analysis.analyzer);
        drop(live);
        self.changes
            .fetch_add(u64::from(changes), Ordering::Relaxed);
        Ok(())
    }

    /// Follows what was committed without being followed (bodies ingested
    /// with `follow: false`): the alerter and the projector call it every
    /// tick.
    pub fn catch_up(&self) -> Result<()> {
        match self.behind.swap(LEVEL, Ordering::AcqRel) {
            LEVEL => Ok(()),
            b => self.followed(b == BEHIND_CHANGED),
        }
    }

    /// After a commit: follows it now, or leaves it to [`Service::catch_up`].
    fn after_commit(&self, changes: bool, follow: bool) -> Result<()> {
        if follow {
            return self.followed(changes);
        }
        let b = if changes { BEHIND_CHANGED } else { BEHIND };
        self.behind.fetch_max(b, Ordering::AcqRel);
        Ok(())
    }

    /// Writes so far that may have moved an answer.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Records that `who` was shown `resource` (order- or account-level
    /// data); returns once the record is committed.
    ///
    /// Group commit: the record joins a queue; whoever next holds the
    /// writer commits everything queued by then in one batch (one fsync),
    /// and a caller whose record went out in another's batch just returns.
    /// Two hundred readers at once cost a few commits, not two hundred.
    pub fn access(&self, who: &Principal, resource: &str) -> Result<()> {
        let ev = record::access(&who.name, who.role.as_str(), resource, now())?;
        let ticket = {
            let mut q = self.accesses.lock().map_err(poisoned)?;
            q.events.push(ev);
            q.issued += 1;
            q.issued
        };
        let mut writer = self.writer.lock().map_err(poisoned)?;
        let (batch, last) = {
            let mut q = self.accesses.lock().map_err(poisoned)?;
            if q.committed >= ticket {
                return Ok(());
            }
            (std::mem::take(&mut q.events), q.issued)
        };
        if let Err(e) = record::append(&mut writer, &batch) {
            // Back in the queue, ahead of later ones: the next caller
            // tries again, and this one reports the failure.
            let mut q = self.accesses.lock().map_err(poisoned)?;
            let later = std::mem::replace(&mut q.events, batch);
            q.events.extend(later);
            return Err(e);
        }
        self.accesses.lock().map_err(poisoned)?.committed = last;
        drop(writer);
        for _ in &batch {
            self.metrics.accessed();
        }
        self.followed(false)
    }

    /// Ingests an NDJSON body sent by `who`: lines about another platform's
    /// sessions are rejected like any bad line, with the reason; the rest
    /// go through the ingest pipeline. Returns once the accepted lines are
    /// in a signed checkpoint.
    ///
    /// Group commit, as for access records: bodies sent while another is
    /// being committed wait in a queue, and whoever next holds the writer
    /// ingests all of them as the inputs of one ingest (one commit, one
    /// fsync), then hands each request its own report. A producer that
    /// sends on several connections is not held to one commit per batch.
    ///
    /// With `follow`, the analysis has followed the commit on return (what
    /// the sender reads next reflects it); without (NATS intake, whose
    /// acknowledgement needs only the commit), the alerter's next tick
    /// follows it.
    pub fn ingest_body(
        &self,
        who: &Principal,
        body: Vec<u8>,
        follow: bool,
    ) -> Result<IngestReport> {
        let (body, refused) = screen(
            who,
            |sessions| {
                let live = self.live()?;
                let an = &live.analysis.analyzer;
                Ok(sessions
                    .iter()
                    .map(|s| an.session_owners(s).and_then(|o| o.platform))
                    .collect())
            },
            body,
        )?;
        let ticket = {
            let mut q = self.bodies.lock().map_err(poisoned)?;
            q.issued += 1;
            let t = q.issued;
            q.waiting.push((t, body, refused));
            t
        };
        let mut writer = self.writer.lock().map_err(poisoned)?;
        let (group, done) = {
            let mut q = self.bodies.lock().map_err(poisoned)?;
            let done = q.done.remove(&ticket);
            let group = match done {
                None => std::mem::take(&mut q.waiting),
                Some(_) => Vec::new(),
            };
            (group, done)
        };
        if let Some(done) = done {
            // Another request committed this body: its report, once the
            // analysis has followed it (what this client reads next).
            drop(writer);
            let report = done.map_err(|why| Error::Io {
                action: "committing the batch this request was in, in",
                path: self.dir.root.clone(),
                source: std::io::Error::other(why),
            })?;
            self.after_commit(report.accepted > 0, follow)?;
            return Ok(report);
        }
        let tickets: Vec<u64> = group.iter().map(|(t, _, _)| *t).collect();
        let names: Vec<String> = tickets.iter().map(u64::to_string).collect();
        let (inputs, refusals): (Vec<Input>, Vec<Vec<LineError>>) = group
            .into_iter()
            .map(|(t, body, refused)| {
                let input = Input {
                    name: t.to_string(),
                    reader: Box::new(std::io::Cursor::new(body)),
                };
                (input, refused)
            })
            .unzip();
        let result = ingest(
            &mut writer,
            inputs,
            &Options::default(),
            &mut Progress::none(),
        );
        let mut reports = match result {
            Ok(r) => r.split(&names, "body"),
            Err(e) => {
                // Every request of the group hears why.
                let why = e.to_string();
                let mut q = self.bodies.lock().map_err(poisoned)?;
                for t in tickets.into_iter().filter(|t| *t != ticket) {
                    q.done.insert(t, Err(why.clone()));
                }
                return Err(e);
            }
        };
        for (r, refused) in reports.iter_mut().zip(refusals) {
            r.rejected += refused.len() as u64;
            r.errors.extend(refused);
            r.errors.sort_by_key(|e| e.line);
            self.metrics.ingested(r.accepted, r.duplicates, r.rejected);
        }
        let accepted = reports.iter().any(|r| r.accepted > 0);
        let mut mine = None;
        {
            let mut q = self.bodies.lock().map_err(poisoned)?;
            for (t, r) in tickets.into_iter().zip(reports) {
                if t == ticket {
                    mine = Some(r);
                } else {
                    q.done.insert(t, Ok(r));
                }
            }
        }
        // The next group is ingested while this one is followed.
        drop(writer);
        self.after_commit(accepted, follow)?;
        mine.ok_or_else(|| Error::Invalid("this request's body was not in its batch".into()))
    }

    /// Saves the analysis as a snapshot and writes the id index back: on a
    /// clean shutdown.
    pub fn persist(&self) -> Result<()> {
        let mut writer = self.writer.lock().map_err(poisoned)?;
        writer.sync_index()?;
        crate::judged::persist(&self.live()?.analysis, &self.dir)
    }

    /// The inclusion bundle of an event, and the event. The id index file
    /// lags by up to [`INDEX_EVERY`]: what it cannot find, the index in
    /// memory is asked (under the writer's lock, so only then).
    pub fn prove(&self, event_id: &str) -> Result<(Value, events::Event)> {
        let hint = || {
            let writer = self.writer.lock().ok()?;
            let fp = writer.ids.fingerprinter().of(event_id.as_bytes());
            writer.ids.get(&fp)
        };
        crate::evidence::prove_event(&self.dir, event_id, &hint)
    }
}

/// What [`screen`] reads of a line (borrowed unless escaped).
#[derive(Default)]
struct Head<'a> {
    kind: Option<Cow<'a, str>>,
    session: Option<Cow<'a, str>>,
    platform: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
}

impl<'a> Head<'a> {
    /// The fields scope needs, read with the ingest pipeline's parser (a
    /// flat line without allocating); `None` for a line that does not
    /// parse, left to the pipeline, which names what is wrong with it.
    fn read(line: &'a [u8]) -> Option<Head<'a>> {
        let mut flat = Flat::default();
        let tree;
        let members = match parse_line(line, &mut flat).ok()? {
            Parsed::Flat => flat.members(),
            Parsed::Tree(Json::Object(o)) => {
                tree = o;
                tree.members()
            }
            Parsed::Tree(_) => return Some(Head::default()),
        };
        let text = |key| match member(members, key) {
            Some(Json::String(s)) => Some(s.clone()),
            _ => None,
        };
        Some(Head {
            kind: text("type"),
            session: text("session"),
            platform: text("platform"),
            id: text("id"),
        })
    }
}

/// Blanks the lines of `body` that `who` may not send (keeping the line
/// numbers of the rest) and says why each was refused; `platforms` gives
/// the logged sessions' platforms. A session started in the body itself
/// counts as started on the platform it names.
fn screen(
    who: &Principal,
    platforms: impl FnOnce(&[&str]) -> Result<Vec<Option<String>>>,
    mut body: Vec<u8>,
) -> Result<(Vec<u8>, Vec<LineError>)> {
    let mut refused = Vec::new();
    if who.scope.is_none() {
        return Ok((body, refused));
    }
    // What each line says, read without the analysis: it is locked only
    // to look up the sessions named, all at once (judging holds it).
    let mut heads = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |i| start + i);
        heads.push((start..end, Head::read(&body[start..end])));
        start = end + 1;
    }
    let mut named: Vec<&str> = heads
        .iter()
        .filter_map(|(_, h)| h.as_ref()?.session.as_deref())
        .collect();
    named.sort_unstable();
    named.dedup();
    let logged: HashMap<&str, Option<String>> =
        named.iter().copied().zip(platforms(&named)?).collect();
    // The platform of each session started earlier in this body: its
    // later lines are judged by that start, not by the log.
    let mut started: HashMap<&str, Option<&str>> = HashMap::new();
    let mut blank = Vec::new();
    for (i, (range, head)) in heads.iter().enumerate() {
        let Some(head) = head else { continue };
        let session = head.session.as_deref();
        if let (Some("session_started"), Some(s)) = (head.kind.as_deref(), session) {
            started.insert(s, head.platform.as_deref());
        }
        let theirs = match session {
            Some(s) => match started.get(s) {
                Some(p) => *p,
                None => logged.get(s).and_then(|p| p.as_deref()),
            },
            None => None,
        };
        if let Some(reason) = who.refuses_platform(theirs) {
            refused.push(LineError {
                file: "body".into(),
                line: i as u64 + 1,
                id: head.id.as_deref().map(str::to_string),
                field: Some("session".into()),
                reason,
            });
            blank.push(range.clone());
        }
    }
    drop(heads);
    for r in blank {
        body[r].fill(b' ');
    }
    Ok((body, refused))
}
