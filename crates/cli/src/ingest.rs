//! Ingest: NDJSON lines in, log entries out.
//!
//! A three-stage pipeline, so both cores stay busy:
//! 1. a reader splits the input into chunks of whole lines;
//! 2. workers (one per core) validate, pseudonymise and canonically encode
//!    each line, and hash it (leaf hash, id fingerprint) — all the per-event
//!    CPU work, in parallel;
//! 3. the sequencer (this thread) puts chunks back in input order, drops
//!    duplicates via the id index, appends to the log and commits a batch
//!    at a time; committed rows go to the projection on a thread of its own.
//!
//! Nothing is reported accepted before the commit that made it durable.

use crate::datadir::{row, Ledger};
use anyhow::{Context, Result};
use events::{prepare, Prepared, Pseudonymiser};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use store::{EventRow, Fingerprint};
use tlog::Entry;

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch: 100_000,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

const CHUNK_BYTES: usize = 1 << 20;
/// Lines longer than this are rejected unread: no event can be this large.
const MAX_LINE: usize = 1 << 20;

struct Chunk {
    seq: u64,
    file: usize,
    first_line: u64,
    data: Vec<u8>,
}

enum Item {
    Event {
        line: u64,
        fp: Fingerprint,
        entry: Entry,
        row: EventRow,
    },
    Rejected(LineError),
}

struct Prepped {
    file: usize,
    items: Vec<Item>,
    bytes: u64,
}

fn prepare_chunk(chunk: &Chunk, name: &str, p: &Pseudonymiser) -> Vec<Item> {
    let mut out = Vec::with_capacity(chunk.data.len() / 150 + 1);
    for (i, line) in chunk.data.split(|&b| b == b'\n').enumerate() {
        let line_no = chunk.first_line + i as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reject = |id, field, reason| {
            Item::Rejected(LineError {
                file: name.to_string(),
                line: line_no,
                id,
                field,
                reason,
            })
        };
        if line.len() > MAX_LINE {
            out.push(reject(
                None,
                None,
                format!(
                    "line is {} bytes; an event can be at most 65535",
                    line.len()
                ),
            ));
            continue;
        }
        out.push(match prepare(line, Some(p)) {
            Err(r) => reject(r.id, r.field, r.reason),
            Ok(Prepared { event, canonical }) => match Entry::new(canonical) {
                Err(e) => reject(Some(event.id.0), None, e.to_string()),
                Ok(entry) => {
                    let fp = Fingerprint::of(event.id.0.as_bytes());
                    Item::Event {
                        line: line_no,
                        fp,
                        entry,
                        row: row(0, &event),
                    }
                }
            },
        });
    }
    out
}

/// Reads every input into chunks of whole lines, numbered in order.
fn read_chunks(inputs: Vec<Input>, tx: mpsc::SyncSender<Chunk>) -> Result<()> {
    let mut seq = 0;
    for (file, mut input) in inputs.into_iter().enumerate() {
        let mut line = 1u64;
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let mut buf = std::mem::take(&mut carry);
            let start = buf.len();
            buf.resize(start + CHUNK_BYTES, 0);
            let n = input
                .reader
                .read(&mut buf[start..])
                .with_context(|| format!("reading {}", input.name))?;
            buf.truncate(start + n);
            let eof = n == 0;
            let cut = if eof {
                buf.len()
            } else {
                buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)
            };
            if cut == 0 && !eof {
                carry = buf; // a line longer than a chunk: keep reading
                continue;
            }
            carry = buf.split_off(cut);
            if !buf.is_empty() {
                let lines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
                let chunk = Chunk {
                    seq,
                    file,
                    first_line: line,
                    data: buf,
                };
                line += lines;
                seq += 1;
                if tx.send(chunk).is_err() {
                    return Ok(()); // the sequencer stopped (an error there)
                }
            }
            if eof {
                break;
            }
        }
    }
    Ok(())
}

/// Ingests every input into the ledger.
pub fn ingest(
    ledger: &mut Ledger,
    inputs: Vec<Input>,
    opts: &Options,
    progress: &mut Progress,
) -> Result<IngestReport> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let mut report = IngestReport::default();
    let pseudonymiser = ledger.pseudonymiser.clone();
    ledger.ids.begin()?;

    std::thread::scope(|s| -> Result<()> {
        let (chunk_tx, chunk_rx) = mpsc::sync_channel::<Chunk>(opts.workers * 2);
        let (prep_tx, prep_rx) = mpsc::sync_channel::<(u64, Prepped)>(opts.workers * 2);
        let reader = s.spawn(move || read_chunks(inputs, chunk_tx));
        let chunk_rx = Arc::new(Mutex::new(chunk_rx));
        for _ in 0..opts.workers.max(1) {
            let (rx, tx, names, p) = (
                chunk_rx.clone(),
                prep_tx.clone(),
                &names,
                pseudonymiser.clone(),
            );
            s.spawn(move || loop {
                let next = rx.lock().map(|r| r.recv());
                let Ok(Ok(chunk)) = next else { break };
                let items = prepare_chunk(&chunk, &names[chunk.file], &p);
                let prepped = Prepped {
                    file: chunk.file,
                    items,
                    bytes: chunk.data.len() as u64,
                };
                if tx.send((chunk.seq, prepped)).is_err() {
                    break;
                }
            });
        }
        drop(prep_tx);

        // The projection runs beside the sequencer, one committed batch at a time.
        let (proj_tx, proj_rx) = mpsc::sync_channel::<(Vec<EventRow>, u64)>(2);
        let db = &mut ledger.db;
        let rt = &ledger.rt;
        let projector = s.spawn(move || -> Result<()> {
            for (rows, size) in proj_rx {
                rt.block_on(db.apply(&rows, size))?;
            }
            Ok(())
        });

        let result = sequence(
            &mut ledger.log,
            &mut ledger.ids,
            prep_rx,
            proj_tx,
            opts,
            &names,
            &mut report,
            progress,
        );
        let projected = projector.join().expect("projector thread");
        let read = reader.join().expect("reader thread");
        result?;
        read?;
        projected.context(
            "updating the projection (the log is intact; it will catch up on the next run)",
        )
    })?;
    ledger.ids.sync(ledger.log.checkpoint().0.size, true)?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn sequence(
    log: &mut tlog::Log,
    ids: &mut store::IdIndex,
    prep_rx: mpsc::Receiver<(u64, Prepped)>,
    proj_tx: mpsc::SyncSender<(Vec<EventRow>, u64)>,
    opts: &Options,
    names: &[String],
    report: &mut IngestReport,
    progress: &mut Progress,
) -> Result<()> {
    let mut pending: BTreeMap<u64, Prepped> = BTreeMap::new();
    let mut next = 0u64;
    let mut rows: Vec<EventRow> = Vec::new();
    let mut in_batch = 0u64;
    let mut bytes = 0u64;
    let mut last = (0usize, 0u64); // (file, line) of the last line sequenced
    let mut commits = 0u64;
    let mut commit = |log: &mut tlog::Log,
                      ids: &mut store::IdIndex,
                      rows: &mut Vec<EventRow>,
                      last: (usize, u64),
                      report: &mut IngestReport|
     -> Result<()> {
        let size = log.commit()?.size;
        commits += 1;
        if commits.is_multiple_of(16) {
            // Bounds what a power loss makes us replay into the id index.
            ids.sync(size, false)?;
        }
        report.accepted += rows.len() as u64;
        (progress.on_commit)(size, &names[last.0], last.1);
        if !rows.is_empty() {
            // A closed channel means the projector failed; its error is reported on join.
            let _ = proj_tx.send((std::mem::take(rows), size));
        }
        Ok(())
    };
    for (seq, prepped) in prep_rx {
        pending.insert(seq, prepped);
        while let Some(p) = pending.remove(&next) {
            next += 1;
            bytes += p.bytes;
            (progress.on_bytes)(bytes);
            for item in p.items {
                match item {
                    Item::Rejected(e) => {
                        report.rejected += 1;
                        last = (p.file, e.line);
                        if report.errors.len() < MAX_KEPT_ERRORS {
                            report.errors.push(e);
                        }
                    }
                    Item::Event {
                        line,
                        fp,
                        entry,
                        mut row,
                    } => {
                        last = (p.file, line);
                        let leaf = log.len();
                        if ids.insert(fp, leaf)?.is_some() {
                            report.duplicates += 1;
                            continue;
                        }
                        log.append(&entry)?;
                        row.leaf = leaf;
                        rows.push(row);
                        in_batch += 1;
                        if in_batch == opts.batch {
                            commit(log, ids, &mut rows, last, report)?;
                            in_batch = 0;
                        }
                    }
                }
            }
        }
    }
    commit(log, ids, &mut rows, last, report)
}
