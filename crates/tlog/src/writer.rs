//! The log's file writer: a thread that creates the tile and bundle files
//! the sequencer hands it. Creating files is most of what appending costs
//! (about 8,000 per million entries, ~20 µs of kernel time each on ext4),
//! so it runs beside the sequencer instead of inside it.
//! [`Writer::flush`] waits until every file handed over so far is written —
//! not yet durable: the log's `syncfs` does that — and reports the first
//! error, so nothing is acknowledged past a failed write.

use crate::error::LogError;
use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Jobs handed over per message. One message per file woke the writer
/// thread for each file — or, when the queue was full, the sequencer for
/// each free slot: ~12,000 context switches per million entries, each a
/// cross-CPU wakeup, which on a VM is an interrupt through the host.
const BATCH: usize = 16;
/// Messages that may wait for the writer.
const QUEUE: usize = 4;
/// Files that may be on their way to disk (bundles are ~48 KB each).
const IN_FLIGHT: usize = (QUEUE + 1) * BATCH;

enum Job {
    /// Write `data` to `rel` under the log directory, replacing any file.
    Write {
        rel: String,
        data: Vec<u8>,
    },
    /// Drop the page cache of a durable file (see [`release_cache`]).
    Release(String),
    Flush(SyncSender<Result<(), LogError>>),
}

/// Written buffers, handed back for the next files: every file's buffer
/// would otherwise be freed on this thread after being allocated on the
/// sequencer's, and the allocator returns such memory to the system, whose
/// next first touch costs a page fault (dearly on a VM).
type Spare = Arc<Mutex<Vec<Vec<u8>>>>;

pub(crate) struct Writer {
    dir: PathBuf,
    spare: Spare,
    tx: Option<SyncSender<Vec<Job>>>,
    thread: Option<JoinHandle<()>>,
    /// Jobs not yet handed over: sent [`BATCH`] at a time, and at a flush.
    pending: Vec<Job>,
}

impl Writer {
    pub(crate) fn start(dir: &Path) -> Result<Writer, LogError> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let root = dir.to_path_buf();
        let spare = Spare::default();
        let back = spare.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || run(&root, rx, &back))
            .map_err(|source| LogError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(Writer {
            dir: dir.to_path_buf(),
            spare,
            tx: Some(tx),
            thread: Some(thread),
            pending: Vec::with_capacity(BATCH),
        })
    }

    fn send(&mut self, job: Job) -> Result<(), LogError> {
        self.pending.push(job);
        if self.pending.len() < BATCH {
            return Ok(());
        }
        self.send_pending()
    }

    fn send_pending(&mut self) -> Result<(), LogError> {
        let jobs = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(jobs).ok())
            .ok_or_else(|| self.stopped())
    }

    fn stopped(&self) -> LogError {
        LogError::Io {
            path: self.dir.clone(),
            source: io::Error::other("the log's writer thread stopped"),
        }
    }

    /// An empty buffer for the next file, recycled when one is spare; a
    /// new one has room for a typical entry bundle, in ordinary pages
    /// ([`crate::mem::small_pages`]).
    pub(crate) fn buffer(&self) -> Vec<u8> {
        self.spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_else(|| {
                let buf = Vec::with_capacity(64 << 10);
                crate::mem::small_pages(&buf);
                buf
            })
    }

    pub(crate) fn write(&mut self, rel: String, data: Vec<u8>) -> Result<(), LogError> {
        self.send(Job::Write { rel, data })
    }

    pub(crate) fn release(&mut self, rel: String) -> Result<(), LogError> {
        self.send(Job::Release(rel))
    }

    /// Waits for every write handed over so far; the first error since the
    /// last flush, if any.
    pub(crate) fn flush(&mut self) -> Result<(), LogError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.pending.push(Job::Flush(tx));
        self.send_pending()?;
        rx.recv().map_err(|_| self.stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.send_pending();
        }
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(dir: &Path, rx: Receiver<Vec<Job>>, spare: &Spare) {
    // Directories already created: a tile directory holds up to 1000
    // files, so this saves a `stat` for nearly every file written.
    let mut made_dirs = HashSet::new();
    let mut failed = None;
    for job in rx.into_iter().flatten() {
        match job {
            Job::Write { rel, mut data } if failed.is_none() => {
                failed = write_file(dir, &mut made_dirs, &rel, &data).err();
                if let Ok(mut s) = spare.lock() {
                    // As many as can be in flight; the rest are freed.
                    if s.len() < IN_FLIGHT {
                        data.clear();
                        s.push(data);
                    }
                }
            }
            Job::Write { .. } => {} // already failed: the flush reports it
            Job::Release(rel) => release_cache(&dir.join(rel)),
            Job::Flush(reply) => {
                let _ = reply.send(failed.take().map_or(Ok(()), Err));
            }
        }
    }
}

fn write_file(
    dir: &Path,
    made_dirs: &mut HashSet<PathBuf>,
    rel: &str,
    data: &[u8],
) -> Result<(), LogError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent().filter(|p| !made_dirs.contains(*p)) {
        fs::create_dir_all(parent).map_err(|source| LogError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        // The log never removes a directory, partial-tile ones included.
        made_dirs.insert(parent.to_path_buf());
    }
    fs::write(&path, data).map_err(|source| LogError::Io { path, source })
}

/// Hands the page cache of a durable file back to the kernel. Bundles and
/// tiles are all a log writes and are rarely read again soon; dropped at each
/// commit, their pages are reused by the next batch's writes instead of the
/// page cache growing into memory not used before, which on a VM whose
/// host backs guest memory lazily costs a fault per page on the host
/// (measured here: writing 2 GB into fresh page cache took 5 s, into
/// recycled pages 0.4 s). Only advice: a failure changes nothing.
fn release_cache(path: &Path) {
    if let Ok(f) = File::open(path) {
        let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed);
    }
}
