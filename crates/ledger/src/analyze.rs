//! Runs the analysis over the log: the state of the snapshot (see
//! [`crate::state`]), and every entry past it up to the signed checkpoint,
//! parsed on all cores and fed in log order to one [`analysis::Analyzer`].
//! A report computed here names the checkpoint it was computed at, and
//! every piece of evidence names its leaf and event id.

use crate::answer::session::SessionAnswer;
use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::state::{self, Part};
use analysis::cases::liability::Pack;
use analysis::products::report::ProductReport;
use analysis::state::State;
use analysis::{Analyzer, Rules, SessionReport};
use events::{parse_stored, stored_head, Event};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::mpsc;
use tlog::LogReader;

/// Entries parsed per unit of work (16 entry bundles).
const CHUNK: u64 = 16 * 256;

/// The analysis of a whole log, at one checkpoint.
pub struct Analysis {
    pub analyzer: Analyzer,
    pub reader: LogReader,
    public_key: String,
    bundles: RefCell<HashMap<u64, Vec<Vec<u8>>>>,
}

/// The rules: the embedded defaults, with a file's entries laid over them
/// (`rules`), judging cases by the liability pack in `pack` if given.
pub fn rules(rules: Option<&Path>, pack: Option<&Path>) -> Result<Rules> {
    let in_file = |p: &Path| {
        let path = p.to_path_buf();
        move |source| Error::Rules { path, source }
    };
    let mut out = match rules {
        None => Rules::default(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(Error::io("cannot read rules file", p))?;
            Rules::with_overrides(&text).map_err(in_file(p))?
        }
    };
    if let Some(p) = pack {
        let text = std::fs::read_to_string(p).map_err(Error::io("cannot read rule pack", p))?;
        out.liability = Pack::from_json(&text).map_err(in_file(p))?;
    }
    Ok(out)
}

/// A tail at least this long is worth saving a new snapshot for; a
/// shorter one is replayed in well under a second.
const SAVE_AFTER: u64 = 1 << 16;

impl Analysis {
    /// The analysis of the log in `dir` at its signed checkpoint: the
    /// state of the snapshot, if it is usable, with the log's tail past it
    /// replayed; otherwise every entry. With [`Part::Core`] a snapshot level
    /// with the log is read without the sessions' crowds (enough for cases,
    /// products and the listing gate; not for session reports). A long
    /// tail is saved as a new snapshot for the next answer.
    pub fn run(
        dir: &DataDir,
        rules: Rules,
        part: Part,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Analysis> {
        let reader = dir.reader()?;
        let (analyzer, replayed) = caught_up(dir, &reader, rules, part, progress)?;
        let a = Analysis {
            analyzer,
            public_key: dir.verifier()?.to_vkey(),
            reader,
            bundles: RefCell::default(),
        };
        if replayed >= SAVE_AFTER {
            // The snapshot only saves time: a reader that may not write
            // (a read-only data directory) still answers, replaying again.
            let _ = a.save(dir);
        }
        Ok(a)
    }

    /// The whole analysis (crowds included) under the default rules, level
    /// with the log; and how many entries were replayed to get there.
    pub(crate) fn whole(dir: &DataDir, progress: &dyn Fn(u64, u64)) -> Result<(Analysis, u64)> {
        let reader = dir.reader()?;
        let (analyzer, replayed) =
            caught_up(dir, &reader, Rules::default(), Part::Whole, progress)?;
        let a = Analysis {
            analyzer,
            public_key: dir.verifier()?.to_vkey(),
            reader,
            bundles: RefCell::default(),
        };
        Ok((a, replayed))
    }

    /// Saves the state as a snapshot at the analysis' checkpoint.
    pub fn save(&self, dir: &DataDir) -> Result<()> {
        let cp = self.reader.checkpoint();
        let at = state::At {
            size: cp.size,
            root: cp.root,
        };
        state::save(dir, self.analyzer.state(), at)
    }

    /// Follows the log: feeds the entries committed since this analysis'
    /// checkpoint and moves it to the log's latest. Returns how many.
    pub fn follow(&mut self, dir: &DataDir) -> Result<u64> {
        let reader = dir.reader()?;
        let from = self.reader.size();
        if reader.size() > from {
            feed(&mut self.analyzer, &reader, from, &|_, _| {})?;
        }
        // A partial bundle read before may have grown.
        self.bundles.borrow_mut().clear();
        self.reader = reader;
        Ok(self.reader.size() - from)
    }

    /// The id of the event at `leaf` (read from its entry bundle, cached).
    pub fn event_id(&self, leaf: u64) -> Option<String> {
        let mut cache = self.bundles.borrow_mut();
        let b = leaf / 256;
        let bundle = match cache.entry(b) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(self.reader.read_bundle(b).ok()?)
            }
        };
        let entry = bundle.get((leaf % 256) as usize)?;
        stored_head(entry).ok().map(|h| h.id)
    }

    /// The signed checkpoint the analysis covers.
    pub fn checkpoint_json(&self) -> Value {
        checkpoint_json(&self.reader, &self.public_key)
    }

    pub fn session(&self, id: &str) -> Result<SessionReport> {
        self.analyzer.session_report(id).ok_or_else(|| {
            let known: Vec<&str> = self
                .analyzer
                .session_ids()
                .take(10)
                .map(|s| &*s.0)
                .collect();
            no_session(id, self.reader.size(), &known)
        })
    }

    pub fn product(&self, id: &str, on: chrono::NaiveDate) -> Result<ProductReport> {
        self.analyzer.product_report(id, on).ok_or_else(|| {
            let known = self.analyzer.product_ids();
            Error::NotFound(format!(
                "no product {id:?} in the log at size {} (products: {})",
                self.reader.size(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.into_iter().take(10).collect::<Vec<_>>().join(", ")
                }
            ))
        })
    }

    /// An answer as JSON (keys sorted), with the checkpoint it was computed at.
    pub fn with_checkpoint(&self, answer: impl serde::Serialize) -> Result<Value> {
        let mut v = serde_json::to_value(answer)?;
        v["checkpoint"] = self.checkpoint_json();
        Ok(v)
    }

    /// The contract JSON of a session report, with its checkpoint.
    pub fn session_json(&self, r: &SessionReport) -> Result<Value> {
        self.with_checkpoint(SessionAnswer::new(r, &|leaf| self.event_id(leaf)))
    }
}

/// The signed checkpoint `reader` reads, as answers cite it.
pub fn checkpoint_json(reader: &LogReader, public_key: &str) -> Value {
    let cp = reader.checkpoint();
    json!({
        "origin": cp.origin,
        "size": cp.size,
        "root": cp.root.to_hex(),
        "checkpoint": reader.note(),
        "key": public_key,
    })
}

/// The error for an unknown session id, naming (up to ten of) the known ones.
pub fn no_session(id: &str, size: u64, known: &[&str]) -> Error {
    Error::NotFound(format!(
        "no session {id:?} in the log at size {size} (sessions: {})",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    ))
}

/// An analyzer level with `reader`'s checkpoint: the snapshot's state and
/// the tail past it; and how many entries were replayed.
fn caught_up(
    dir: &DataDir,
    reader: &LogReader,
    rules: Rules,
    part: Part,
    progress: &dyn Fn(u64, u64),
) -> Result<(Analyzer, u64)> {
    let state = resume(dir, reader, part)?;
    let from = state.events();
    let mut analyzer = Analyzer::with_state(state, rules);
    if from < reader.size() {
        feed(&mut analyzer, reader, from, progress)?;
    }
    Ok((analyzer, reader.size() - from))
}

/// The state to resume from: the snapshot's (`part` of it when it is
/// level with the log, the whole of it when a tail must be fed), or a
/// fresh one when there is no usable snapshot. It has been fed as many
/// entries as its `events()` says.
fn resume(dir: &DataDir, reader: &LogReader, part: Part) -> Result<State> {
    if let Ok((state, size)) = state::load(dir, reader, part)? {
        if size == reader.size() || state.has_crowds() {
            return Ok(state);
        }
        if let Ok((state, _)) = state::load(dir, reader, Part::Whole)? {
            return Ok(state);
        }
    }
    Ok(State::default())
}

/// Parses the entries from `from` up to the checkpoint on every core and
/// feeds them to the analyzer in log order.
fn feed(
    an: &mut Analyzer,
    reader: &LogReader,
    from: u64,
    progress: &dyn Fn(u64, u64),
) -> Result<()> {
    let size = reader.size();
    let chunks = (size - from).div_ceil(CHUNK);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8) as u64;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<(u64, Result<Vec<(u64, Event)>>)>(2 * workers as usize);
        for w in 0..workers {
            let tx = tx.clone();
            scope.spawn(move || {
                let mut c = w;
                while c < chunks {
                    let start = from + c * CHUNK;
                    let parsed = parse_chunk(reader, start, (start + CHUNK).min(size));
                    let failed = parsed.is_err();
                    if tx.send((c, parsed)).is_err() || failed {
                        return;
                    }
                    c += workers;
                }
            });
        }
        drop(tx);
        // Chunks arrive out of order; feed them in order (the analysis does
        // not need it, but order-time facts are most precise that way).
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        for (c, parsed) in rx {
            pending.insert(c, parsed);
            while let Some(parsed) = pending.remove(&next) {
                for (leaf, ev) in parsed? {
                    an.observe(leaf, &ev);
                }
                next += 1;
                progress((from + next * CHUNK).min(size), size);
            }
        }
        Ok(())
    })
}

fn parse_chunk(reader: &LogReader, start: u64, end: u64) -> Result<Vec<(u64, Event)>> {
    let mut out = Vec::with_capacity((end - start) as usize);
    let mut bad = None;
    reader.for_each_entry(start, end, |leaf, bytes| {
        match parse_stored(bytes) {
            Ok(ev) => out.push((leaf, ev)),
            Err(e) if bad.is_none() => bad = Some((leaf, e.reason)),
            Err(_) => {}
        }
        Ok(())
    })?;
    match bad {
        // Entries were validated before they were logged; one that no longer
        // parses means the log was written by something else.
        Some((leaf, reason)) => Err(tlog::LogError::Corrupt(format!(
            "log entry {leaf} is not a valid event: {reason}"
        ))
        .into()),
        None => Ok(out),
    }
}
