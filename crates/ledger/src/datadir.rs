//! The data directory: everything liveledger keeps, in one place.
//!
//! ```text
//! <data>/
//!   keys/log.key        Ed25519 signing key of the log (C2SP skey, mode 0600)
//!   keys/log.pub        its public key (C2SP vkey): what verifiers need
//!   keys/pseudonym.key  HMAC key for personal identifiers (mode 0600)
//!   log/                the tlog-tiles log: checkpoint, tile/…
//!   index/ids.idx       id index (idempotency), rebuildable from the log
//!   state/analysis.snap the analysis state at a checkpoint (see `state`)
//!   state/answers.bin   every session's judged answer at it (see `judged`)
//!   lock                held by the one process that writes
//! ```

use crate::error::{Error, Result};
use events::{stored_head, Pseudonymiser};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use store::IdIndex;
use tlog::{Log, LogReader, NoteSigner, NoteVerifier};

#[derive(Clone, Debug)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    fn key_path(&self, name: &str) -> PathBuf {
        self.root.join("keys").join(name)
    }
    pub fn public_key_path(&self) -> PathBuf {
        self.key_path("log.pub")
    }
    pub fn id_index_path(&self) -> PathBuf {
        self.root.join("index").join("ids.idx")
    }

    /// Whether a log has been started here (its keys were made before it).
    fn has_log(&self) -> bool {
        self.log_dir().join("checkpoint").exists()
    }

    /// Fails with a helpful message when there is no log here yet.
    pub fn require_existing(&self) -> Result<()> {
        if !self.has_log() {
            return Err(Error::NoLog(self.root.clone()));
        }
        Ok(())
    }

    /// The log's public key, from the data directory.
    pub fn verifier(&self) -> Result<NoteVerifier> {
        let p = self.public_key_path();
        let text =
            fs::read_to_string(&p).map_err(Error::io("cannot read the log's public key", &p))?;
        Ok(NoteVerifier::from_vkey(&text)?)
    }

    pub fn reader(&self) -> Result<LogReader> {
        self.require_existing()?;
        Ok(LogReader::open(&self.log_dir(), &self.verifier()?)?)
    }

    /// The default origin (and key name): derived from the directory's name,
    /// as C2SP suggests a URL-like log name.
    fn default_origin(&self) -> String {
        let abs = fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let name: String = abs
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("log")
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == '+' {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        format!("liveledger.local/{name}")
    }

    /// Loads the signing key, creating it on first use.
    fn signer(&self, origin: Option<&str>) -> Result<NoteSigner> {
        let p = self.key_path("log.key");
        if p.exists() {
            let signer =
                NoteSigner::from_skey(&fs::read_to_string(&p).map_err(Error::io("reading", &p))?)?;
            if let Some(o) = origin.filter(|o| *o != signer.name()) {
                return Err(Error::Invalid(format!("this data directory's log is named {:?}, not {o:?}; the origin is fixed when the log is created", signer.name())));
            }
            return Ok(signer);
        }
        if self.has_log() {
            return Err(Error::Key(format!(
                "{} is missing, but the log it signed is here: a new key would be a new log \
                 identity that verifiers would have to be told to trust. Restore the key from a backup",
                p.display()
            )));
        }
        let origin = origin
            .map(str::to_string)
            .unwrap_or_else(|| self.default_origin());
        let signer = NoteSigner::new(&origin, random32()?)?;
        write_private(&p, signer.to_skey().as_bytes())?;
        let public = self.public_key_path();
        fs::write(&public, format!("{}\n", signer.verifier().to_vkey()))
            .map_err(Error::io("writing", &public))?;
        Ok(signer)
    }

    pub(crate) fn pseudonymiser(&self) -> Result<Pseudonymiser> {
        let p = self.key_path("pseudonym.key");
        if !p.exists() {
            if self.has_log() {
                return Err(Error::Key(format!(
                    "{} is missing, but the log holds identifiers pseudonymised with it: a new key \
                     would make every account, device and card a stranger to its past. Restore the \
                     key from a backup",
                    p.display()
                )));
            }
            let key = random32()?;
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            write_private(&p, hex.as_bytes())?;
        }
        let hex = fs::read_to_string(&p).map_err(Error::io("reading", &p))?;
        let hex = hex.trim();
        let mut key = [0u8; 32];
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(Error::Key(format!(
                "{}: expected 64 hex digits",
                p.display()
            )));
        }
        for (i, b) in key.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| Error::Key(format!("{}: not hex", p.display())))?;
        }
        Ok(Pseudonymiser::new(&key))
    }
}

pub(crate) fn random32() -> Result<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| Error::Key(format!("no randomness for a new key: {e}")))?;
    Ok(b)
}

/// Creates `dir` owner-only whatever the umask: the keys are the log's
/// identity.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io("creating", dir))
}

pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("creating", path))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(Error::io("writing", path))?;
    Ok(())
}

/// A data directory opened for writing: the single writer holds its lock,
/// and on open the id index is brought level with the log.
pub struct Ledger {
    pub dir: DataDir,
    pub log: Log,
    pub ids: IdIndex,
    pub pseudonymiser: Pseudonymiser,
    /// How long the id index may go unwritten ([`Ledger::defer_index`]).
    index_every: Duration,
    index_written: Instant,
    _lock: File,
}

impl Ledger {
    pub fn open(dir: &DataDir, origin: Option<&str>) -> Result<Ledger> {
        fs::create_dir_all(&dir.root).map_err(Error::io("creating data directory", &dir.root))?;
        let lock_path = dir.root.join("lock");
        let lock = File::create(&lock_path).map_err(Error::io("creating", &lock_path))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| Error::Busy(dir.root.clone()))?;
        let signer = dir.signer(origin)?;
        let pseudonymiser = dir.pseudonymiser()?;
        let log = Log::open(&dir.log_dir(), signer)?;
        let ids = IdIndex::open(&dir.id_index_path())?;
        if let Some(why) = ids.replaced() {
            tracing::warn!("{why}");
        }
        let mut ledger = Ledger {
            dir: dir.clone(),
            log,
            ids,
            pseudonymiser,
            index_every: Duration::ZERO,
            index_written: Instant::now(),
            _lock: lock,
        };
        ledger.catch_up()?;
        Ok(ledger)
    }

    /// Brings the id index level with the log, after a crash or when it was
    /// deleted. Cheap when it already is.
    fn catch_up(&mut self) -> Result<()> {
        let reader = self.log.reader();
        let size = reader.size();
        if !self.ids.is_clean() || self.ids.covered() > size {
            self.ids.recover(size)?;
        }
        let from = self.ids.covered();
        if from < size {
            self.ids.begin()?;
            self.ids.reserve(size - from)?; // one resize, not one per doubling
            let ids = &mut self.ids;
            let fingerprinter = ids.fingerprinter();
            reader.for_each_entry(from, size, |leaf, e| {
                let head = stored_head(e)
                    .map_err(|r| tlog::LogError::Corrupt(format!("entry {leaf}: {r}")))?;
                ids.insert(fingerprinter.of(head.id.as_bytes()), leaf)
                    .map_err(|err| tlog::LogError::Corrupt(err.to_string()))?;
                Ok(())
            })?;
        }
        self.ids.sync(size, true)?;
        Ok(())
    }

    /// Lets the id index go unwritten for up to `every` between ingests.
    ///
    /// By default every ingest writes the index back, as a command that
    /// exits next must. A service ingesting small bodies all evening would
    /// then write most of the table per body (inserts land on random
    /// pages: 10,000 ids dirtied 40 MB): it writes back on this schedule
    /// instead. Nothing is lost meanwhile — the table in memory is whole,
    /// and after a crash the index is caught up from the log, the same as
    /// after a crash during one long ingest.
    pub fn defer_index(&mut self, every: Duration) {
        self.index_every = every;
    }

    /// Whether the ingest about to run should write the id index back.
    pub(crate) fn index_due(&self) -> bool {
        self.index_written.elapsed() >= self.index_every
    }

    pub(crate) fn index_written_back(&mut self) {
        self.index_written = Instant::now();
    }

    /// Writes the id index back now (on a clean shutdown).
    pub fn sync_index(&mut self) -> Result<()> {
        self.ids.sync(self.log.len(), true)?;
        self.index_written_back();
        Ok(())
    }

    /// Drops the id index and rebuilds it from the log.
    pub fn rebuild(&mut self) -> Result<u64> {
        // The SQLite event table of earlier versions is no longer kept:
        // exports scan the log, proofs use the id index.
        let old = self.dir.root.join("projection.db");
        for ext in ["db", "db-wal", "db-shm"] {
            let _ = fs::remove_file(old.with_extension(ext));
        }
        let p = self.dir.id_index_path();
        fs::remove_file(&p).map_err(Error::io("removing", &p))?;
        self.ids = IdIndex::open(&p)?;
        self.catch_up()?;
        Ok(self.log.checkpoint().0.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ingest, Input, Options, Progress};

    fn lines(from: u64, to: u64) -> Input {
        let text: String = (from..to)
            .map(|i| {
                format!(
                    r#"{{"type":"viewer_joined","id":"v{i}","at":"2020-04-01T20:00:00+08:00","session":"s","account":"u{i}"}}"#
                ) + "\n"
            })
            .collect();
        Input {
            name: "lines".into(),
            reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        }
    }

    fn feed(ledger: &mut Ledger, from: u64, to: u64) -> crate::ingest::IngestReport {
        ingest(
            ledger,
            vec![lines(from, to)],
            &Options::default(),
            &mut Progress::none(),
        )
        .expect("ingest")
    }

    /// A service lets its id index file lag the log; a crash then (the
    /// ledger dropped without a write-back) must cost neither an event nor
    /// a duplicate: the next open catches the index up from the log.
    #[test]
    fn a_crash_while_the_index_lags_loses_and_doubles_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = DataDir::new(tmp.path());
        let mut ledger = Ledger::open(&dir, None).expect("open");
        ledger.defer_index(Duration::from_secs(3600));
        assert_eq!(feed(&mut ledger, 0, 500).accepted, 500); // written back: due at once
        assert_eq!(feed(&mut ledger, 500, 1000).accepted, 500); // not written back
        assert_eq!(feed(&mut ledger, 900, 1100).duplicates, 100); // the memory knows
        let on_disk = store::IdIndex::lookup(&dir.id_index_path(), b"v700")
            .expect("lookup")
            .expect("an index");
        assert!(!on_disk.clean && on_disk.leaf.is_none(), "the file lags");
        drop(ledger); // no sync_index: as if killed

        let mut ledger = Ledger::open(&dir, None).expect("reopen");
        let again = feed(&mut ledger, 0, 1200);
        assert_eq!((again.accepted, again.duplicates), (100, 1100));
        assert_eq!(ledger.log.len(), 1200);
        // And the file, once written back, answers for every id.
        ledger.sync_index().expect("write back");
        let found = store::IdIndex::lookup(&dir.id_index_path(), b"v1050")
            .expect("lookup")
            .expect("an index");
        assert_eq!(found.leaf, Some(1050));
        assert!(found.clean);
    }
}
