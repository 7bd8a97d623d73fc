//! Ingest: NDJSON lines in, log entries out.
//!
//! A three-stage pipeline, so both cores stay busy:
//! 1. a reader splits the input into chunks of whole lines;
//! 2. workers (one per core) validate, pseudonymise and canonically encode
//!    each line, and hash it (leaf hash, id fingerprint) — all the per-event
//!    CPU work, in parallel;
//! 3. the sequencer (this thread) puts chunks back in input order, drops
//!    duplicates via the id index, appends to the log and commits a batch
//!    at a time.
//!
//! Nothing is reported accepted before the commit that made it durable.
//! A commit comes when a batch fills, at the end of input, and when the
//! oldest uncommitted event has waited [`Options::max_delay`] — so a live
//! stream on stdin is acknowledged as it goes, not per 100,000 events.
//! Any error stops every stage: no thread waits for one that has gone.

use crate::datadir::Ledger;
use crate::error::{Error, Result};
use events::{prepare_into, stored_head, Pseudonymiser};
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{Fingerprint, Fingerprinter};
use tlog::Entries;

/// An input: a named file or standard input.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// A rejected line, as the CLI contract reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub file: String,
    pub line: u64,
    pub id: Option<String>,
    pub field: Option<String>,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct IngestReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first [`MAX_KEPT_ERRORS`] rejections; `rejected` counts them all.
    pub errors: Vec<LineError>,
    /// Ids already logged, to be compared with what the log holds for them
    /// once it is committed ([`compare_resent`]).
    resent: Vec<Resent>,
    /// The counts per input, in input order (`accepted`: appended, which
    /// is committed once `ingest` has returned `Ok`).
    pub per_input: Vec<Counts>,
}

/// One input's share of an [`IngestReport`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

/// Re-sent lines held for comparison before [`compare_resent`] runs.
const RESENT_LIMIT: usize = 1 << 16;

/// A line whose id the log already holds at `leaf`: a duplicate if its
/// content (leaf `hash`) is the same, else a rejected line.
#[derive(Debug)]
struct Resent {
    leaf: u64,
    hash: tlog::Hash,
    file: usize,
    line: u64,
}

impl IngestReport {
    fn counts(&mut self, input: usize) -> &mut Counts {
        if self.per_input.len() <= input {
            self.per_input.resize(input + 1, Counts::default());
        }
        &mut self.per_input[input]
    }

    /// One report per input of `names` (each error goes to the input it
    /// names, renamed `as_name`): for a caller that ingested several
    /// requests' bodies in one commit.
    pub fn split(self, names: &[String], as_name: &str) -> Vec<IngestReport> {
        let mut out: Vec<IngestReport> = (0..names.len())
            .map(|i| {
                let c = self.per_input.get(i).copied().unwrap_or_default();
                IngestReport {
                    accepted: c.accepted,
                    duplicates: c.duplicates,
                    rejected: c.rejected,
                    per_input: vec![c],
                    ..IngestReport::default()
                }
            })
            .collect();
        for mut e in self.errors {
            if let Some(i) = names.iter().position(|n| *n == e.file) {
                e.file = as_name.to_string();
                out[i].errors.push(e);
            }
        }
        out
    }

    /// The `ingest --json` object of the contract (`file` on each error
    /// when `several` inputs were given).
    pub fn to_json(&self, several: bool) -> serde_json::Value {
        let errors: Vec<_> = self
            .errors
            .iter()
            .map(|e| {
                let mut o = serde_json::json!({ "line": e.line, "id": e.id, "field": e.field, "reason": e.reason });
                if several {
                    o["file"] = serde_json::json!(e.file);
                }
                o
            })
            .collect();
        serde_json::json!({
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": errors,
            "errors_omitted": self.rejected - self.errors.len() as u64,
        })
    }
}

/// Rejections kept for the report; the rest are counted only, so a file of
/// garbage cannot exhaust memory.
pub const MAX_KEPT_ERRORS: usize = 100_000;

/// Called after each durable commit with (tree size, file, last line committed).
pub type CommitHook<'a> = Box<dyn FnMut(u64, &str, u64) + 'a>;

/// What the caller hears as ingest goes.
pub struct Progress<'a> {
    /// Called with (bytes read so far).
    pub on_bytes: Box<dyn FnMut(u64) + 'a>,
    pub on_commit: CommitHook<'a>,
}

impl Progress<'_> {
    /// No progress reporting.
    pub fn none() -> Self {
        Progress {
            on_bytes: Box::new(|_| {}),
            on_commit: Box::new(|_, _, _| {}),
        }
    }
}

pub struct Options {
    /// Entries per commit (one fsync and one signed checkpoint each).
    pub batch: u64,
    pub workers: usize,
    /// Total input size when known (0 if not): the id index is sized for
    /// it up front instead of doubling as it fills.
    pub input_bytes: u64,
    /// The longest an appended event waits for its commit. A live stream
    /// on stdin may take hours to fill a batch; its events are committed
    /// (and acknowledged) this soon after they arrive instead.
    pub max_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch: 100_000,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            input_bytes: 0,
            max_delay: Duration::from_secs(1),
        }
    }
}

const CHUNK_BYTES: usize = 1 << 20;
/// Prepared chunks that may wait for the sequencer: enough to keep the
/// workers busy through a commit's `syncfs` (~15 ms, about three chunks of
/// their work). More only lengthens the end of an import, when the
/// sequencer works through the queue alone.
const PREPARED_IN_FLIGHT: usize = 6;
/// How many lines ahead the sequencer prefetches id-index slots.
const PREFETCH: usize = 8;
/// Lines longer than this are rejected unread: no event can be this large.
const MAX_LINE: usize = 1 << 20;

struct Chunk {
    seq: u64,
    file: usize,
    first_line: u64,
    /// A recycled buffer; the chunk's lines are `data[lines]`.
    data: Vec<u8>,
    lines: Range<usize>,
    /// Instead of lines: one line too long to be an event, of this many
    /// bytes, skipped by the reader without holding it in memory.
    too_long: Option<u64>,
}

impl Chunk {
    /// Input bytes the chunk stands for, newlines included.
    fn bytes(&self) -> u64 {
        self.too_long.map_or(self.lines.len() as u64, |n| n + 1)
    }
}

enum Item {
    Event {
        line: u64,
        fp: Fingerprint,
        /// Its index in the chunk's [`Entries`].
        entry: usize,
    },
    /// Boxed: rare, and five times the size of an event's item.
    Rejected(Box<LineError>),
}

/// A chunk, prepared. Its buffers go back to the workers once sequenced.
#[derive(Default)]
struct Prepped {
    file: usize,
    items: Vec<Item>,
    entries: Entries,
    bytes: u64,
}

/// Buffers handed back for reuse, so that steady-state ingest allocates
/// nothing per chunk and keeps writing the same memory (first touches of
/// memory are costly, on a VM especially).
struct Pool<T>(Mutex<Vec<T>>);

impl<T: Default> Pool<T> {
    fn new() -> Self {
        Pool(Mutex::new(Vec::new()))
    }
    fn take(&self) -> T {
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }
    fn give(&self, t: T) {
        if let Ok(mut v) = self.0.lock() {
            v.push(t);
        }
    }
}

/// Prepares every line of `chunk` into `out`; `scratch` holds one line's
/// canonical bytes on their way into `out.entries`.
fn prepare_chunk(
    chunk: &Chunk,
    name: &str,
    p: &Pseudonymiser,
    fingerprinter: Fingerprinter,
    out: &mut Prepped,
    scratch: &mut Vec<u8>,
) {
    // Sized up front for a full chunk, whatever this one holds (canonical
    // events with pseudonyms run longer than their lines; events are rarely
    // under 64 bytes). These buffers are recycled: sized per chunk, they
    // doubled whenever a chunk ran a little longer than the one before —
    // fresh memory, first touched (1M: 1.12 → 1.00 s).
    let len = chunk.lines.len().max(CHUNK_BYTES);
    out.entries.reserve(len + len / 2, len / 64);
    if out.items.capacity() < len / 64 {
        out.items.reserve(len / 64);
        tlog::small_pages(&out.items);
    }
    let out_items = &mut out.items;
    let too_long = |file: &str, line, bytes| {
        Item::Rejected(Box::new(LineError {
            file: file.to_string(),
            line,
            id: None,
            field: None,
            reason: format!("line is {bytes} bytes; an event can be at most 65535"),
        }))
    };
    if let Some(bytes) = chunk.too_long {
        out_items.push(too_long(name, chunk.first_line, bytes));
        return;
    }
    for (i, line) in lines(&chunk.data[chunk.lines.clone()]).enumerate() {
        let line_no = chunk.first_line + i as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reject = |id, field, reason| {
            Item::Rejected(Box::new(LineError {
                file: name.to_string(),
                line: line_no,
                id,
                field,
                reason,
            }))
        };
        if line.len() > MAX_LINE {
            out_items.push(too_long(name, line_no, line.len() as u64));
            continue;
        }
        let fingerprint = |id: &str| fingerprinter.of(id.as_bytes());
        out_items.push(match prepare_into(line, Some(p), scratch, fingerprint) {
            Err(r) => reject(r.id, r.field, r.reason),
            Ok(fp) => match out.entries.push(scratch) {
                // Not met in practice (`prepare` rejects what the log cannot
                // hold); the id is read back for the message.
                Err(e) => reject(stored_head(scratch).ok().map(|h| h.id), None, e.to_string()),
                Ok(entry) => Item::Event {
                    line: line_no,
                    fp,
                    entry,
                },
            },
        });
    }
}

/// The lines of `data`, as `split` on `\n` gives them (the last one may
/// be empty), found with SIMD: a byte-at-a-time split was 3% of ingest.
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', data)
        .chain(std::iter::once(data.len()))
        .map(move |end| {
            let line = &data[start..end];
            start = end + 1;
            line
        })
}

/// Reads every input into chunks of whole lines, numbered in order, in
/// buffers from `pool`.
///
/// Work stays linear and memory bounded whatever the input, however it is
/// cut into reads (a pipe may hand over a line a few bytes at a time):
/// - buffers keep their length when recycled, so each is zero-filled once
///   in its life, not before every read;
/// - an unended line stays where it is while more is read after it, and is
///   copied once, to the front of the next buffer, when a chunk is cut;
/// - a line longer than [`MAX_LINE`] is skipped as it is read and reported
///   by its length (a file without newlines is one such line).
fn read_chunks(
    inputs: Vec<Input>,
    tx: mpsc::SyncSender<Chunk>,
    pool: &Pool<Vec<u8>>,
) -> Result<()> {
    // Numbers each chunk in order; false once the sequencer stopped (an
    // error there).
    let mut seq = 0;
    let mut send = |mut chunk: Chunk| {
        (chunk.seq, seq) = (seq, seq + 1);
        tx.send(chunk).is_ok()
    };
    for (file, mut input) in inputs.into_iter().enumerate() {
        let mut line = 1u64;
        let mut buf = pool.take();
        // `buf[..end]` is the start of a line not yet ended (at most
        // MAX_LINE bytes)…
        let mut end = 0;
        // …or, if non-zero, the length so far of an over-long line being
        // skipped (and `end` is 0).
        let mut skipped = 0u64;
        loop {
            // One size while lines are short, so recycled buffers do not grow.
            let size = CHUNK_BYTES.max(end + CHUNK_BYTES / 2);
            grow(&mut buf, size);
            let n = input
                .reader
                .read(&mut buf[end..size])
                .map_err(Error::io("reading", Path::new(&input.name)))?;
            let (fresh, eof) = (end, n == 0);
            end += n;
            let mut from = 0;
            if skipped > 0 {
                let newline = memchr::memchr(b'\n', &buf[..end]);
                skipped += newline.unwrap_or(end) as u64;
                if newline.is_some() || eof {
                    let chunk = Chunk {
                        seq: 0,
                        file,
                        first_line: line,
                        data: Vec::new(),
                        lines: 0..0,
                        too_long: Some(skipped),
                    };
                    if !send(chunk) {
                        return Ok(());
                    }
                    (line, skipped) = (line + 1, 0);
                }
                from = newline.map_or(end, |p| p + 1);
            }
            // Only the fresh bytes can hold a newline: before them is an
            // unended line.
            let scan = fresh.max(from);
            let cut = if eof {
                end
            } else {
                memchr::memrchr(b'\n', &buf[scan..end]).map_or(from, |p| scan + p + 1)
            };
            if cut > from {
                let rest = end - cut;
                let mut next = pool.take();
                grow(&mut next, rest.max(CHUNK_BYTES));
                next[..rest].copy_from_slice(&buf[cut..end]);
                let lines = memchr::memchr_iter(b'\n', &buf[from..cut]).count() as u64;
                let chunk = Chunk {
                    seq: 0,
                    file,
                    first_line: line,
                    data: std::mem::replace(&mut buf, next),
                    lines: from..cut,
                    too_long: None,
                };
                if !send(chunk) {
                    return Ok(());
                }
                (line, end) = (line + lines, rest);
            } else if from > 0 {
                buf.copy_within(from..end, 0);
                end -= from;
            }
            if end > MAX_LINE {
                (skipped, end) = (end as u64, 0);
            }
            if eof {
                break;
            }
        }
        pool.give(buf);
    }
    Ok(())
}

/// Lengthens a chunk buffer to at least `len` bytes, new room in ordinary
/// pages ([`tlog::small_pages`]).
fn grow(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.reserve_exact(len - buf.len());
        tlog::small_pages(buf);
        buf.resize(len, 0);
    }
}

/// Ingests every input into the ledger.
pub fn ingest(
    ledger: &mut Ledger,
    inputs: Vec<Input>,
    opts: &Options,
    progress: &mut Progress,
) -> Result<IngestReport> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let mut report = IngestReport {
        per_input: vec![Counts::default(); names.len()],
        ..IngestReport::default()
    };
    let pseudonymiser = ledger.pseudonymiser.clone();
    ledger.ids.begin()?;
    // Events are rarely under 128 bytes; over-reserving costs only disk.
    ledger.ids.reserve(opts.input_bytes / 128)?;
    let fingerprinter = ledger.ids.fingerprinter();

    let write_index = ledger.index_due();
    let chunk_pool: Pool<Vec<u8>> = Pool::new();
    let prepped_pool: Pool<Prepped> = Pool::new();
    std::thread::scope(|s| -> Result<()> {
        let (chunk_tx, chunk_rx) = mpsc::sync_channel::<Chunk>(opts.workers * 2);
        let (prep_tx, prep_rx) = mpsc::sync_channel::<(u64, Prepped)>(PREPARED_IN_FLIGHT);
        // Named threads, so profiles and debuggers tell the stages apart.
        let (chunks, prepped) = (&chunk_pool, &prepped_pool);
        let reader = std::thread::Builder::new()
            .name("ingest-read".into())
            .spawn_scoped(s, move || read_chunks(inputs, chunk_tx, chunks))
            .map_err(Error::Thread)?;
        let chunk_rx = Arc::new(Mutex::new(chunk_rx));
        for _ in 0..opts.workers.max(1) {
            let (rx, tx, names, p) = (
                chunk_rx.clone(),
                prep_tx.clone(),
                &names,
                pseudonymiser.clone(),
            );
            let work = move || {
                let mut scratch = Vec::new();
                loop {
                    let next = rx.lock().map(|r| r.recv());
                    let Ok(Ok(chunk)) = next else { break };
                    let mut out = prepped.take();
                    out.file = chunk.file;
                    out.bytes = chunk.bytes();
                    let name = &names[chunk.file];
                    prepare_chunk(&chunk, name, &p, fingerprinter, &mut out, &mut scratch);
                    // A too-long line's chunk has no buffer to give back.
                    if chunk.data.capacity() > 0 {
                        chunks.give(chunk.data);
                    }
                    if tx.send((chunk.seq, out)).is_err() {
                        break;
                    }
                }
            };
            std::thread::Builder::new()
                .name("ingest-prepare".into())
                .spawn_scoped(s, work)
                .map_err(Error::Thread)?;
        }
        // Only the workers hold the ends they use: when the sequencer stops
        // (a full disk, say), the workers' sends fail, they exit, and then so
        // does the reader's send, instead of waiting for a receiver here.
        drop((prep_tx, chunk_rx));

        let result = sequence(
            &mut ledger.log,
            &mut ledger.ids,
            prep_rx,
            opts,
            &names,
            &mut report,
            progress,
            &prepped_pool,
        );
        let read = reader.join().expect("reader thread");
        let (mut in_batch, last) = result?;
        // The last commit and the id index's write-back both mostly wait for
        // the disk, so they run side by side. The index may be ahead of the
        // log: if the commit fails, the next open drops its slots past the
        // durable log (`IdIndex::recover`).
        let (log, ids) = (&mut ledger.log, &mut ledger.ids);
        let size = log.len();
        let index = s.spawn(move || match write_index {
            true => ids.sync(size, true),
            false => Ok(()),
        });
        let committed = commit(log, &mut in_batch, last, &names, &mut report, progress);
        index.join().expect("id index write-back")?;
        committed?;
        compare_resent(log, &names, &mut report)?;
        // A read error ends the input; what came before it is committed.
        read
    })?;
    if write_index {
        ledger.index_written_back();
    }
    Ok(report)
}

/// Commits the log: the `in_batch` events appended since the last commit
/// are then acknowledged. `last` is the (file, line) of the last line
/// sequenced.
///
/// Commits run on the sequencer's thread. Handing `syncfs` to a thread of
/// its own so appends go on meanwhile was measured slower on this ext4 (new
/// writes contend with the writeback), so the sequencer waits for it.
fn commit(
    log: &mut tlog::Log,
    in_batch: &mut u64,
    last: (usize, u64),
    names: &[String],
    report: &mut IngestReport,
    progress: &mut Progress,
) -> Result<()> {
    if *in_batch == 0 {
        return Ok(()); // nothing new to make durable or acknowledge
    }
    let size = log.commit()?.size;
    report.accepted += std::mem::take(in_batch);
    (progress.on_commit)(size, &names[last.0], last.1);
    compare_resent(log, names, report)
}

/// Compares re-sent lines whose ids the committed log holds with what it
/// holds (the level-0 tile's leaf hash): the same content is a duplicate;
/// other content under a logged id is a rejected line, for an event is
/// logged once and never changed. The rest wait for a later commit.
fn compare_resent(log: &tlog::Log, names: &[String], report: &mut IngestReport) -> Result<()> {
    use tlog::tile::{self, Level};
    let reader = log.reader();
    let size = reader.size();
    let mut tiles: std::collections::HashMap<u64, Vec<tlog::Hash>> = Default::default();
    let mut waiting = Vec::new();
    for r in std::mem::take(&mut report.resent) {
        if r.leaf >= size {
            waiting.push(r);
            continue;
        }
        let b = r.leaf / tile::WIDTH;
        let hashes = match tiles.entry(b) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let t =
                    tile::tile_in_tree(Level::Hashes(0), b, size).expect("a leaf below the size");
                e.insert(reader.read_tile(t)?)
            }
        };
        if hashes.get((r.leaf % tile::WIDTH) as usize) == Some(&r.hash) {
            continue;
        }
        report.duplicates -= 1;
        report.rejected += 1;
        let c = report.counts(r.file);
        c.duplicates = c.duplicates.saturating_sub(1);
        c.rejected += 1;
        if report.errors.len() < MAX_KEPT_ERRORS {
            let stored = reader.read_bundle(b)?;
            let id = stored
                .get((r.leaf % tile::WIDTH) as usize)
                .and_then(|e| stored_head(e).ok())
                .map(|h| h.id);
            report.errors.push(LineError {
                file: names[r.file].clone(),
                line: r.line,
                reason: format!(
                    "id {} is already logged (leaf {}) with other content: an event is logged once and never changed, so this line was not logged",
                    id.as_deref().unwrap_or("?"),
                    r.leaf
                ),
                id,
                field: Some("id".into()),
            });
        }
    }
    report.resent = waiting;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn sequence(
    log: &mut tlog::Log,
    ids: &mut store::IdIndex,
    prep_rx: mpsc::Receiver<(u64, Prepped)>,
    opts: &Options,
    names: &[String],
    report: &mut IngestReport,
    progress: &mut Progress,
    pool: &Pool<Prepped>,
) -> Result<(u64, (usize, u64))> {
    let mut pending: BTreeMap<u64, Prepped> = BTreeMap::new();
    let mut next = 0u64;
    let mut in_batch = 0u64;
    let mut bytes = 0u64;
    let mut last = (0usize, 0u64); // (file, line) of the last line sequenced
    let mut deadline: Option<Instant> = None; // for the oldest uncommitted event
    let mut resent_limit = RESENT_LIMIT;
    loop {
        let received = match deadline {
            None => prep_rx.recv().ok(),
            Some(d) => match prep_rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(r) => Some(r),
                Err(RecvTimeoutError::Disconnected) => None,
                Err(RecvTimeoutError::Timeout) => {
                    // Input has gone quiet (a live stream between bursts).
                    commit(log, &mut in_batch, last, names, report, progress)?;
                    deadline = None;
                    continue;
                }
            },
        };
        let Some((seq, prepped)) = received else {
            break;
        };
        pending.insert(seq, prepped);
        while let Some(mut p) = pending.remove(&next) {
            next += 1;
            bytes += p.bytes;
            (progress.on_bytes)(bytes);
            for (i, item) in p.items.iter().enumerate() {
                // Start loading the id-index slot of an event a few lines
                // ahead: its cache miss then overlaps this line's work.
                if let Some(Item::Event { fp, .. }) = p.items.get(i + PREFETCH) {
                    ids.prefetch(fp);
                }
                match item {
                    Item::Rejected(e) => {
                        report.rejected += 1;
                        report.counts(p.file).rejected += 1;
                        last = (p.file, e.line);
                        if report.errors.len() < MAX_KEPT_ERRORS {
                            report.errors.push(LineError::clone(e));
                        }
                    }
                    Item::Event { line, fp, entry } => {
                        last = (p.file, *line);
                        let leaf = log.len();
                        if let Some(existing) = ids.insert(*fp, leaf)? {
                            report.duplicates += 1;
                            report.counts(p.file).duplicates += 1;
                            report.resent.push(Resent {
                                leaf: existing,
                                hash: p.entries.get(*entry).hash(),
                                file: p.file,
                                line: *line,
                            });
                            // Bounded memory; those waiting for the next
                            // commit are compared then (twice as many first,
                            // so a batch of repeats is not rescanned per line).
                            if report.resent.len() >= resent_limit {
                                compare_resent(log, names, report)?;
                                resent_limit = (2 * report.resent.len()).max(RESENT_LIMIT);
                            }
                            continue;
                        }
                        log.append(p.entries.get(*entry))?;
                        in_batch += 1;
                        report.counts(p.file).accepted += 1;
                        if in_batch == 1 {
                            deadline = Some(Instant::now() + opts.max_delay);
                        }
                        if in_batch == opts.batch {
                            commit(log, &mut in_batch, last, names, report, progress)?;
                            deadline = None;
                        }
                    }
                }
            }
            p.items.clear();
            p.entries.clear();
            pool.give(p);
        }
        // Input that trickles in never goes quiet for long: the deadline
        // is checked after every chunk too.
        if deadline.is_some_and(|d| Instant::now() >= d) {
            commit(log, &mut in_batch, last, names, report, progress)?;
            deadline = None;
        }
    }
    Ok((in_batch, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out its data in pieces of the given sizes, as a
    /// pipe does.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        reads: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let size = self.sizes[self.reads % self.sizes.len()];
            self.reads += 1;
            let n = size.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// What the workers see of a line: its bytes, or only its length when
    /// it is too long to be an event (both are rejected the same way).
    #[derive(Debug, PartialEq)]
    enum Seen {
        Line(Vec<u8>),
        TooLong(u64),
    }

    fn seen(line: &[u8]) -> Seen {
        if line.len() > MAX_LINE {
            Seen::TooLong(line.len() as u64)
        } else {
            Seen::Line(line.to_vec())
        }
    }

    /// Runs the reader over `data` and lists the non-empty lines the
    /// workers would get, by line number; buffers are recycled as ingest
    /// recycles them, stale bytes and all.
    fn read_all(data: Vec<u8>, sizes: Vec<usize>) -> Vec<(u64, Seen)> {
        let pool = Pool::new();
        let (tx, rx) = mpsc::sync_channel(2);
        let input = Input {
            name: "t".into(),
            reader: Box::new(Pieces {
                data,
                at: 0,
                sizes,
                reads: 0,
            }),
        };
        std::thread::scope(|s| {
            let pool = &pool;
            s.spawn(move || read_chunks(vec![input], tx, pool).unwrap());
            let mut out = Vec::new();
            for (want_seq, chunk) in (0..).zip(rx) {
                assert_eq!(chunk.seq, want_seq);
                match chunk.too_long {
                    Some(n) => out.push((chunk.first_line, Seen::TooLong(n))),
                    None => {
                        let text = &chunk.data[chunk.lines.clone()];
                        for (i, line) in lines(text).enumerate() {
                            if !line.is_empty() {
                                out.push((chunk.first_line + i as u64, seen(line)));
                            }
                        }
                    }
                }
                pool.give(chunk.data);
            }
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Every line arrives once, whole, in order and correctly numbered,
        /// however the input is cut into reads; over-long lines (up to
        /// 2.5 chunks, some a byte either side of the limit) only by length.
        #[test]
        fn the_reader_gives_every_line_once_whatever_the_reads(
            lens in prop::collection::vec(
                prop_oneof![
                    8 => 0usize..300,
                    1 => (MAX_LINE - 2)..(MAX_LINE + 3),
                    1 => (MAX_LINE / 2)..(MAX_LINE * 5 / 2),
                ],
                0..24,
            ),
            final_newline in any::<bool>(),
            sizes in prop::collection::vec(prop_oneof![1usize..64, 1usize..(3 * CHUNK_BYTES)], 1..8),
        ) {
            let mut data = Vec::new();
            let mut want = Vec::new();
            for (i, &len) in lens.iter().enumerate() {
                // Distinct contents, so a line out of place or stale bytes
                // from a recycled buffer show.
                let line: Vec<u8> = (0..len).map(|j| b'a' + ((i * 7 + j) % 26) as u8).collect();
                if len > 0 {
                    want.push((i as u64 + 1, seen(&line)));
                }
                data.extend_from_slice(&line);
                if i + 1 < lens.len() || final_newline {
                    data.push(b'\n');
                }
            }
            prop_assert_eq!(read_all(data, sizes), want);
        }
    }

    #[test]
    fn lines_split_like_split() {
        for data in [&b""[..], b"a", b"a\n", b"\n\n", b"ab\ncd\n\nef", b"\nx"] {
            let want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            assert_eq!(lines(data).collect::<Vec<_>>(), want, "{data:?}");
        }
    }
}
