//! The sequencer: appends entries, writes tiles and bundles, and publishes
//! signed checkpoints; and a reader for what a checkpoint covers.
//!
//! Durability protocol of [`Log::commit`] (one per batch):
//! 1. full tiles and bundles are written as they fill up during `append`,
//!    partial ones for the new size at commit — all at paths beyond the
//!    current checkpoint, which readers never look at;
//! 2. `syncfs` makes every one of them durable;
//! 3. the new checkpoint is written to a temporary file, fsynced and renamed
//!    over `checkpoint`, and the directory fsynced.
//!
//! A crash anywhere before 3 completes leaves the previous checkpoint and
//! every tile it needs untouched, so [`Log::open`] resumes from it; whatever
//! was written beyond it is overwritten by the next batch. Only entries
//! covered by a durable checkpoint are ever acknowledged.

use crate::checkpoint::Checkpoint;
use crate::error::{io_err, LogError};
use crate::hash::{leaf_hash, Hash};
use crate::note::{NoteSigner, NoteVerifier};
use crate::reader::{read_checkpoint, LogReader};
use crate::tile::{self, Level, TileId, WIDTH};
use crate::tree;
use crate::writer::Writer;
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Every checkpoint the log ever published, one JSON object per line:
/// `{"size": N, "note": "<signed note>"}`, appended right after the
/// checkpoint file is replaced. Kept so that anyone holding an old
/// checkpoint can be shown the log still extends it.
pub const HISTORY: &str = "checkpoint-history.ndjson";

/// An entry ready to append: its bytes and their RFC 6962 leaf hash (one
/// entry; a pipeline packs many in [`Entries`]).
#[derive(Clone, Debug)]
pub struct Entry {
    data: Vec<u8>,
    hash: Hash,
}

impl Entry {
    pub fn new(data: Vec<u8>) -> Result<Entry, LogError> {
        let hash = checked_leaf_hash(&data)?;
        Ok(Entry { data, hash })
    }
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    pub fn hash(&self) -> Hash {
        self.hash
    }
}

/// An entry to append, borrowed from an [`Entry`] or [`Entries`]: only
/// those make one, so its hash is always its data's leaf hash.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    data: &'a [u8],
    hash: Hash,
}

impl EntryRef<'_> {
    /// The entry's RFC 6962 leaf hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }
}

impl<'a> From<&'a Entry> for EntryRef<'a> {
    fn from(e: &'a Entry) -> Self {
        EntryRef {
            data: &e.data,
            hash: e.hash,
        }
    }
}

/// The leaf hash of an entry that fits a bundle.
fn checked_leaf_hash(data: &[u8]) -> Result<Hash, LogError> {
    if data.len() > tile::MAX_ENTRY_LEN {
        return Err(LogError::EntryTooLarge(data.len()));
    }
    Ok(leaf_hash(data))
}

/// Entries ready to append, packed in one buffer: a pipeline fills one per
/// chunk of input off the sequencer's thread and reuses it once appended,
/// so steady-state ingest allocates nothing per entry.
#[derive(Debug, Default)]
pub struct Entries {
    data: Vec<u8>,
    /// Where each entry ends in `data`.
    ends: Vec<usize>,
    hashes: Vec<Hash>,
}

impl Entries {
    /// Checks and hashes an entry and adds it; returns its index here.
    pub fn push(&mut self, data: &[u8]) -> Result<usize, LogError> {
        let hash = checked_leaf_hash(data)?;
        self.data.extend_from_slice(data);
        self.ends.push(self.data.len());
        self.hashes.push(hash);
        Ok(self.ends.len() - 1)
    }

    /// The entry at `i`, as pushed. Panics if out of range.
    pub fn get(&self, i: usize) -> EntryRef<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        EntryRef {
            data: &self.data[start..self.ends[i]],
            hash: self.hashes[i],
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Makes room for `entries` more entries of `bytes` in all, at once:
    /// growing by doublings touches twice the memory, all of it new. New
    /// room is in ordinary pages ([`crate::small_pages`]).
    pub fn reserve(&mut self, bytes: usize, entries: usize) {
        let capacity = |e: &Self| (e.data.capacity(), e.ends.capacity(), e.hashes.capacity());
        let before = capacity(self);
        self.data.reserve(bytes);
        self.ends.reserve(entries);
        self.hashes.reserve(entries);
        if capacity(self) != before {
            crate::mem::small_pages(&self.data);
            crate::mem::small_pages(&self.ends);
            crate::mem::small_pages(&self.hashes);
        }
    }

    /// Empties it, keeping the memory for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.hashes.clear();
    }
}

/// The right edge of a tree: for each level, the hashes of its last,
/// not yet full tile. That is all the state needed to append and to compute
/// the root; full tiles are handed out once and forgotten.
#[derive(Default, Clone)]
pub(crate) struct Edge {
    pub(crate) size: u64,
    pub(crate) levels: Vec<Vec<Hash>>,
}

impl Edge {
    /// Adds a leaf hash; `on_full` sees every tile that becomes full.
    pub(crate) fn push<E>(
        &mut self,
        leaf: Hash,
        mut on_full: impl FnMut(TileId, &[Hash]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.size += 1;
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::with_capacity(WIDTH as usize));
            }
            let buf = &mut self.levels[level];
            buf.push(h);
            if buf.len() as u64 != WIDTH {
                return Ok(());
            }
            let index = (self.size >> (tile::HEIGHT * (level as u32 + 1))) - 1;
            on_full(
                TileId {
                    level: Level::Hashes(level as u8),
                    index,
                    width: WIDTH,
                },
                buf,
            )?;
            h = tree::root(buf);
            buf.clear();
            level += 1;
        }
    }

    /// The tree's root: the perfect subtrees of each level's partial tile,
    /// highest level (leftmost leaves) first, folded right to left.
    pub(crate) fn root(&self) -> Hash {
        let mut subtrees = Vec::new();
        for buf in self.levels.iter().rev() {
            tree::perfect_subtrees(buf, &mut subtrees);
        }
        tree::fold_subtrees(&subtrees)
    }

    /// The partial tiles at the right edge, with their hashes.
    pub(crate) fn partials(&self) -> impl Iterator<Item = (TileId, &[Hash])> {
        self.levels.iter().enumerate().filter_map(|(l, buf)| {
            tile::right_edge(l as u8, self.size).map(|t| (t, buf.as_slice()))
        })
    }
}

/// The single writer of a log directory.
pub struct Log {
    dir: PathBuf,
    signer: NoteSigner,
    checkpoint: Checkpoint,
    note: String,
    edge: Edge,
    /// Entries of the current, not yet full, bundle.
    bundle: Vec<u8>,
    bundle_len: u64,
    /// Full tiles written since the last commit: their page cache goes once
    /// the commit makes them durable.
    filled: Vec<TileId>,
    /// Creates the tile and bundle files, on a thread of its own.
    writer: Writer,
    /// Partial-tile directories (`<tile>.p`) this process has checked:
    /// cleared of widths beyond the checkpoint, for the tiles not yet full.
    partial_dirs: HashSet<PathBuf>,
}

impl Log {
    /// Opens the log in `dir`, creating an empty one (with a signed
    /// checkpoint of size 0) if there is none.
    pub fn open(dir: &Path, signer: NoteSigner) -> Result<Log, LogError> {
        fs::create_dir_all(dir.join("tile")).map_err(io_err(dir))?;
        let verifier = signer.verifier();
        let mut log = Log {
            dir: dir.to_path_buf(),
            signer,
            checkpoint: Checkpoint {
                origin: verifier.name().to_string(),
                size: 0,
                root: Hash::empty(),
                extensions: vec![],
            },
            note: String::new(),
            edge: Edge::default(),
            bundle: Vec::new(),
            bundle_len: 0,
            filled: Vec::new(),
            writer: Writer::start(dir)?,
            partial_dirs: HashSet::new(),
        };
        if !dir.join("checkpoint").exists() {
            log.publish()?;
            return Ok(log);
        }
        let (cp, note) = read_checkpoint(dir, &verifier)?;
        let reader = LogReader::at(dir, cp.clone(), note.clone());
        let mut level = 0u8;
        while cp
            .size
            .checked_shr(tile::HEIGHT * level as u32)
            .unwrap_or(0)
            > 0
        {
            let hashes = match tile::right_edge(level, cp.size) {
                Some(t) => reader.read_tile(t)?,
                None => Vec::new(),
            };
            log.edge.levels.push(hashes);
            level += 1;
        }
        log.edge.size = cp.size;
        if let Some(t) = tile::tile_in_tree(Level::Entries, cp.size / WIDTH, cp.size) {
            log.bundle = reader.read_file(t)?;
            log.bundle_len = t.width;
            tile::decode_bundle(&log.bundle, t.width)
                .map_err(|e| LogError::Corrupt(format!("{}: {e}", t.path())))?;
        }
        if log.edge.root() != cp.root {
            return Err(LogError::Corrupt(format!(
                "the tiles at the right edge of the log do not hash to the root of its checkpoint (size {}); run `verify`",
                cp.size
            )));
        }
        log.checkpoint = cp;
        log.note = note;
        log.repair_history()?;
        log.clear_crash_leftovers()?;
        Ok(log)
    }

    /// Clears the partial tiles a crashed run left beyond the checkpoint:
    /// in the right-edge tile of each level, and in every tile past it that
    /// the crashed run reached. Left, they would pass for older partials of
    /// the tiles that new entries fill (and `verify` checks every kept
    /// partial as a prefix of its full tile). The log writer writes each
    /// level's tiles in order, so what a crash left ends at the first tile
    /// with neither a full nor a partial version: a few `stat`s when there
    /// was no crash, one per tile the crashed run wrote past the checkpoint
    /// when there was.
    fn clear_crash_leftovers(&mut self) -> Result<(), LogError> {
        let size = self.checkpoint.size;
        let levels = (0u8..)
            .take_while(|l| self.dir.join(format!("tile/{l}")).is_dir())
            .count() as u8;
        for level in std::iter::once(Level::Entries).chain((0..levels).map(Level::Hashes)) {
            let shift = match level {
                Level::Hashes(l) => tile::HEIGHT * u32::from(l),
                Level::Entries => 0,
            };
            let mut index = size.checked_shr(shift).unwrap_or(0) / WIDTH;
            loop {
                let t = TileId {
                    level,
                    index,
                    width: WIDTH,
                };
                let partials = self.dir.join(t.partial_dir()).is_dir();
                if partials {
                    self.check_partial_dir(t)?;
                } else if !self.dir.join(t.path()).exists() {
                    break;
                }
                index += 1;
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The latest durable checkpoint and its signed note.
    pub fn checkpoint(&self) -> (&Checkpoint, &str) {
        (&self.checkpoint, &self.note)
    }

    /// Entries appended, committed or not.
    pub fn len(&self) -> u64 {
        self.edge.size
    }

    pub fn is_empty(&self) -> bool {
        self.edge.size == 0
    }

    pub fn reader(&self) -> LogReader {
        LogReader::at(&self.dir, self.checkpoint.clone(), self.note.clone())
    }

    /// Sequences one entry and returns its index. It is durable, and may be
    /// acknowledged, only once a later [`Log::commit`] returns.
    pub fn append<'a>(&mut self, entry: impl Into<EntryRef<'a>>) -> Result<u64, LogError> {
        let entry = entry.into();
        let index = self.edge.size;
        tile::push_entry(&mut self.bundle, entry.data);
        self.bundle_len += 1;
        let (writer, filled) = (&mut self.writer, &mut self.filled);
        self.edge.push(entry.hash, |t, hashes| {
            let mut data = writer.buffer();
            tile::encode_hashes_into(hashes, &mut data);
            writer.write(t.path(), data)?;
            filled.push(t);
            Ok::<_, LogError>(())
        })?;
        if self.bundle_len == WIDTH {
            let t = TileId {
                level: Level::Entries,
                index: index / WIDTH,
                width: WIDTH,
            };
            let full = std::mem::replace(&mut self.bundle, self.writer.buffer());
            self.writer.write(t.path(), full)?;
            self.filled.push(t);
            self.bundle_len = 0;
        }
        Ok(index)
    }

    /// Makes everything appended so far durable and publishes a signed
    /// checkpoint for it. A no-op when nothing was appended.
    pub fn commit(&mut self) -> Result<&Checkpoint, LogError> {
        if self.edge.size == self.checkpoint.size {
            return Ok(&self.checkpoint);
        }
        let size = self.edge.size;
        if self.bundle_len > 0 {
            let t = TileId {
                level: Level::Entries,
                index: size / WIDTH,
                width: self.bundle_len,
            };
            self.check_partial_dir(t)?;
            self.writer.write(t.path(), self.bundle.clone())?;
        }
        // A partial tile the published checkpoint already has (an upper
        // level that did not grow) is never rewritten: a crash halfway
        // through rewriting it would destroy a file that checkpoint needs.
        // (The crash test found this at the first level-2 tile.)
        let published = self.checkpoint.size;
        let partials: Vec<(TileId, Vec<u8>)> = self
            .edge
            .partials()
            .filter(|(t, _)| tile::tile_in_tree(t.level, t.index, published) != Some(*t))
            .map(|(t, hashes)| (t, tile::encode_hashes(hashes)))
            .collect();
        for (t, data) in partials {
            self.check_partial_dir(t)?;
            self.writer.write(t.path(), data)?;
        }
        self.writer.flush()?;
        sync_filesystem(&self.dir)?;
        self.checkpoint = Checkpoint {
            origin: self.signer.name().to_string(),
            size,
            root: self.edge.root(),
            extensions: vec![],
        };
        self.publish()?;
        // The full tiles are now official. Their partial versions are kept,
        // though C2SP allows deleting them: they are few (a handful per
        // commit), still valid (prefixes of the full tile), and deleting
        // files costs more than their space. On ext4 without a journal, an
        // inode freed in the last five minutes is skipped, after a read of
        // its inode table block, every time a file is created near it;
        // deleting these made each later file creation rescan the holes
        // (measured: a third of a 1M-event import's CPU in that one run).
        for t in self.filled.drain(..) {
            self.writer.release(t.path())?;
            // Never written again: the tile is full.
            self.partial_dirs.remove(&self.dir.join(t.partial_dir()));
        }
        Ok(&self.checkpoint)
    }

    /// Readies the partial directory of `t` for its first write in this
    /// process: widths beyond the published checkpoint were written by a
    /// commit that a crash cut short, for entries that are being replaced;
    /// left, they would pass for older partials of the new ones.
    fn check_partial_dir(&mut self, t: TileId) -> Result<(), LogError> {
        let dir = self.dir.join(t.partial_dir());
        if self.partial_dirs.contains(&dir) {
            return Ok(());
        }
        let published =
            tile::tile_in_tree(t.level, t.index, self.checkpoint.size).map_or(0, |p| p.width);
        match fs::read_dir(&dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(LogError::Io {
                    path: dir,
                    source: e,
                })
            }
            Ok(rd) => {
                for e in rd {
                    let e = e.map_err(io_err(&dir))?;
                    let width = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok());
                    if width.is_some_and(|w| w > published) {
                        fs::remove_file(e.path()).map_err(io_err(&e.path()))?;
                    }
                }
            }
        }
        self.partial_dirs.insert(dir);
        Ok(())
    }

    /// Signs the current checkpoint and atomically replaces the checkpoint file.
    fn publish(&mut self) -> Result<(), LogError> {
        let path = self.dir.join("checkpoint");
        let note = self
            .signer
            .sign(&self.checkpoint.to_text())
            .map_err(|source| LogError::Note { path, source })?;
        self.write_checkpoint(note)
    }

    /// Replaces the checkpoint file with `note`, durably, then records it
    /// in the history. Recorded only once published: a crash before that
    /// leaves the checkpoint out of the history, and `open` adds it back.
    fn write_checkpoint(&mut self, note: String) -> Result<(), LogError> {
        let path = self.dir.join("checkpoint");
        let tmp = self.dir.join("checkpoint.tmp");
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(note.as_bytes()).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))?;
        append_history(&self.dir, self.checkpoint.size, &note)?;
        self.note = note;
        Ok(())
    }

    /// Adds signature lines (witnesses' cosignatures, from
    /// [`crate::witness`]) to the published checkpoint, if it is still the
    /// one of `size`; returns whether it was. The checkpoint file then
    /// carries them, as C2SP logs publish cosigned checkpoints.
    pub fn add_cosignatures(&mut self, size: u64, lines: &str) -> Result<bool, LogError> {
        if size != self.checkpoint.size {
            return Ok(false);
        }
        let note = format!("{}{lines}", self.note);
        let path = self.dir.join("checkpoint");
        self.signer
            .verifier()
            .open(&note)
            .map_err(|source| LogError::Note { path, source })?;
        self.write_checkpoint(note)?;
        Ok(true)
    }

    /// Adds the current checkpoint to the history if a crash kept it out.
    fn repair_history(&self) -> Result<(), LogError> {
        let history = read_history(&self.dir, &self.signer.verifier())?;
        if history.last().map(|(_, n)| n.as_str()) != Some(self.note.as_str()) {
            append_history(&self.dir, self.checkpoint.size, &self.note)?;
        }
        Ok(())
    }
}

fn append_history(dir: &Path, size: u64, note: &str) -> Result<(), LogError> {
    let path = dir.join(HISTORY);
    let line = format!("{}\n", serde_json::json!({ "size": size, "note": note }));
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_err(&path))?;
    f.write_all(line.as_bytes()).map_err(io_err(&path))?;
    f.sync_data().map_err(io_err(&path))
}

/// Reads and checks every checkpoint in the history, oldest first.
pub fn read_history(
    dir: &Path,
    verifier: &NoteVerifier,
) -> Result<Vec<(Checkpoint, String)>, LogError> {
    let path = dir.join(HISTORY);
    let text = match fs::read_to_string(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_err(&path))?,
    };
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad =
            |why: String| LogError::Corrupt(format!("{} line {}: {why}", path.display(), i + 1));
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let note = v["note"].as_str().ok_or_else(|| bad("no note".into()))?;
        let body = verifier.open(note).map_err(|e| bad(e.to_string()))?;
        let cp = Checkpoint::parse(body).map_err(bad)?;
        if Some(cp.size) != v["size"].as_u64() {
            return Err(bad(format!(
                "size field {} differs from the signed size {}",
                v["size"], cp.size
            )));
        }
        out.push((cp, note.to_string()));
    }
    Ok(out)
}

/// Flushes every file written so far: one `syncfs` instead of an fsync per
/// tile (a batch writes hundreds of them).
fn sync_filesystem(dir: &Path) -> Result<(), LogError> {
    let d = File::open(dir).map_err(io_err(dir))?;
    rustix::fs::syncfs(&d).map_err(|e| LogError::Io {
        path: dir.to_path_buf(),
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree;

    fn signer() -> NoteSigner {
        NoteSigner::new("test.example/log", [1; 32]).unwrap()
    }

    fn entry(i: u64) -> Entry {
        Entry::new(format!("entry {i}").into_bytes()).unwrap()
    }

    #[test]
    fn published_partial_tiles_are_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        for i in 0..65_537 {
            log.append(&entry(i)).unwrap();
        }
        log.commit().unwrap();
        // The level-2 tile keeps width 1 until 131,072 entries; a rewrite
        // at the next commit could be torn by a crash. Mark it to see.
        let p = dir.path().join("tile/2/000.p/1");
        let published = fs::read(&p).unwrap();
        fs::write(&p, b"marker").unwrap();
        log.append(&entry(65_537)).unwrap();
        log.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"marker", "rewritten");
        fs::write(&p, published).unwrap();
        crate::verify::verify_dir(dir.path(), &signer().verifier()).unwrap();
    }

    #[test]
    fn appends_commit_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut all = Vec::new();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        assert_eq!(log.checkpoint().0.root, Hash::empty());
        // Batches of awkward sizes so partial tiles come and go at every level.
        for batch in [1u64, 255, 1, 300, 65_536 - 557, 1000] {
            for _ in 0..batch {
                let e = entry(all.len() as u64);
                all.push(e.hash());
                log.append(&e).unwrap();
            }
            let cp = log.commit().unwrap().clone();
            assert_eq!(cp.size, all.len() as u64);
            assert_eq!(cp.root, tree::root(&all));
            // Reopening resumes from the right edge on disk.
            drop(log);
            log = Log::open(dir.path(), signer()).unwrap();
            assert_eq!(log.checkpoint().0, &cp);
        }
        let reader = log.reader();
        let mut n = 0;
        reader
            .for_each_entry(250, 70_000, |i, e| {
                assert_eq!(e, format!("entry {i}").as_bytes());
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, all.len() as u64 - 250);
        // Full tiles are there; their partials stay, prefixes of them.
        let full = fs::read(dir.path().join("tile/0/000")).unwrap();
        let partials = fs::read_dir(dir.path().join("tile/0/000.p")).unwrap();
        let mut n = 0;
        for p in partials {
            let partial = fs::read(p.unwrap().path()).unwrap();
            assert_eq!(&full[..partial.len()], &partial[..]);
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn proofs_from_tiles_match_proofs_from_memory() {
        use crate::proof::{consistency, inclusion, multi};
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        let mut all = Vec::new();
        for batch in [70_000u64, 1234] {
            for _ in 0..batch {
                let e = entry(all.len() as u64);
                all.push(e.hash());
                log.append(&e).unwrap();
            }
            log.commit().unwrap();
        }
        let reader = log.reader();
        let tiles = crate::TileHashes::new(&reader);
        let n = all.len() as u64;
        for i in [0, 1, 255, 256, 65_535, 65_536, 70_000, n - 1] {
            assert_eq!(
                inclusion(&tiles, i, n).unwrap(),
                inclusion(all.as_slice(), i, n).unwrap(),
                "leaf {i}"
            );
        }
        for old in [1, 256, 257, 65_536, 70_000, n] {
            assert_eq!(
                consistency(&tiles, old, n).unwrap(),
                consistency(all.as_slice(), old, n).unwrap(),
                "old {old}"
            );
        }
        let picks = [3, 300, 65_600, n - 1];
        assert_eq!(
            multi(&tiles, &picks, n).unwrap(),
            multi(all.as_slice(), &picks, n).unwrap()
        );
        let history = read_history(dir.path(), &signer().verifier()).unwrap();
        let sizes: Vec<u64> = history.iter().map(|(c, _)| c.size).collect();
        assert_eq!(sizes, vec![0, 70_000, n]);
    }

    #[test]
    fn a_checkpoint_missing_from_the_history_is_added_back_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        log.append(&entry(0)).unwrap();
        log.commit().unwrap();
        drop(log);
        // As if the process died after publishing, before recording.
        let hist = dir.path().join(HISTORY);
        let text = fs::read_to_string(&hist).unwrap();
        let kept: Vec<&str> = text.lines().take(1).collect();
        fs::write(&hist, format!("{}\n", kept.join("\n"))).unwrap();
        Log::open(dir.path(), signer()).unwrap();
        let sizes: Vec<u64> = read_history(dir.path(), &signer().verifier())
            .unwrap()
            .iter()
            .map(|(c, _)| c.size)
            .collect();
        assert_eq!(sizes, vec![0, 1]);
    }

    #[test]
    fn uncommitted_entries_vanish_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        for i in 0..10 {
            log.append(&entry(i)).unwrap();
        }
        let cp = log.commit().unwrap().clone();
        for i in 10..600 {
            log.append(&entry(i)).unwrap();
        }
        drop(log); // a crash before commit
        let mut log = Log::open(dir.path(), signer()).unwrap();
        assert_eq!(log.checkpoint().0, &cp);
        assert_eq!(log.append(&entry(10)).unwrap(), 10);
    }

    /// A log of 10 committed entries holding `files` as a crash would leave
    /// them: written by a run that logged different entries up to
    /// `crashed_at` and committed, but never published. They are made in a
    /// twin log that did publish, and copied over.
    fn crash_leftovers(crashed_at: u64, files: &[&str]) -> tempfile::TempDir {
        let (dir, twin) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut log = Log::open(dir.path(), signer()).unwrap();
        let mut other = Log::open(twin.path(), signer()).unwrap();
        for i in 0..10 {
            log.append(&entry(i)).unwrap();
            other.append(&entry(i)).unwrap();
        }
        log.commit().unwrap();
        for i in 10..crashed_at {
            other.append(&entry(i + 1_000_000)).unwrap();
        }
        other.commit().unwrap();
        for p in files {
            let to = dir.path().join(p);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(twin.path().join(p), to).unwrap();
        }
        dir
    }

    #[test]
    fn partial_tiles_left_beyond_the_checkpoint_by_a_crash_are_cleared() {
        let dir = crash_leftovers(200, &["tile/0/000.p/200", "tile/entries/000.p/200"]);
        // Different entries now take those places, and a commit lands past
        // the stale width: older partials must still be prefixes.
        let mut log = Log::open(dir.path(), signer()).unwrap();
        for i in 10..220 {
            log.append(&entry(i)).unwrap();
        }
        log.commit().unwrap();
        crate::verify::verify_dir(dir.path(), &signer().verifier()).unwrap();
        assert!(!dir.path().join("tile/0/000.p/200").exists());
        // Once the tile fills, the partials kept are prefixes of it.
        drop(log);
        let mut log = Log::open(dir.path(), signer()).unwrap();
        for i in 220..300 {
            log.append(&entry(i)).unwrap();
        }
        log.commit().unwrap();
        let full = fs::read(dir.path().join("tile/0/000")).unwrap();
        for w in ["10", "220"] {
            let partial = fs::read(dir.path().join("tile/0/000.p").join(w)).unwrap();
            assert_eq!(&full[..partial.len()], &partial[..], "width {w}");
        }
        crate::verify::verify_dir(dir.path(), &signer().verifier()).unwrap();
    }

    #[test]
    fn partial_tiles_a_crash_left_past_the_right_edge_are_cleared() {
        // The crashed run got past the checkpoint's right-edge tiles and
        // committed (but did not publish) in tiles that the next run fills
        // without a commit landing in them: the next run never writes to
        // those partial directories, so only `open` can clear them.
        let leftovers = ["tile/0/002.p/88", "tile/entries/002.p/88", "tile/1/000.p/2"];
        let stale_full = ["tile/0/001", "tile/entries/001"];
        let dir = crash_leftovers(600, &[&leftovers[..], &stale_full].concat());
        // A crash between creating a file and writing it leaves it empty.
        fs::write(dir.path().join("tile/0/002.p/30"), b"").unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        for p in leftovers {
            assert!(!dir.path().join(p).exists(), "{p} left");
        }
        assert!(!dir.path().join("tile/0/002.p/30").exists());
        for i in 10..800 {
            log.append(&entry(i)).unwrap();
        }
        log.commit().unwrap();
        crate::verify::verify_dir(dir.path(), &signer().verifier()).unwrap();
    }

    #[test]
    fn a_failed_file_write_fails_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        log.append(&entry(0)).unwrap();
        let cp = log.commit().unwrap().clone();
        // The full bundle's path is taken by a directory: the writer thread
        // fails, and the commit must say so and publish nothing.
        fs::create_dir_all(dir.path().join("tile/entries/000")).unwrap();
        for i in 1..300 {
            log.append(&entry(i)).unwrap();
        }
        let err = log.commit().unwrap_err().to_string();
        assert!(err.contains("tile/entries/000"), "{err}");
        drop(log);
        let log = Log::open(dir.path(), signer()).unwrap();
        assert_eq!(log.checkpoint().0, &cp);
    }

    #[test]
    fn refuses_another_key() {
        let dir = tempfile::tempdir().unwrap();
        Log::open(dir.path(), signer()).unwrap();
        let other = NoteSigner::new("test.example/log", [2; 32]).unwrap();
        assert!(Log::open(dir.path(), other).is_err());
    }

    #[test]
    fn packed_entries_append_like_single_ones() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (mut one, mut packed) = (
            Log::open(a.path(), signer()).unwrap(),
            Log::open(b.path(), signer()).unwrap(),
        );
        let mut entries = Entries::default();
        for round in 0..3u64 {
            entries.clear();
            for i in 0..300 {
                let e = entry(round * 1000 + i);
                one.append(&e).unwrap();
                assert_eq!(entries.push(e.data()).unwrap(), i as usize);
            }
            assert_eq!(entries.len(), 300);
            for i in 0..entries.len() {
                assert_eq!(entries.get(i).hash, leaf_hash(entries.get(i).data));
                packed.append(entries.get(i)).unwrap();
            }
        }
        assert_eq!(one.commit().unwrap().root, packed.commit().unwrap().root);
        assert!(matches!(
            entries.push(&vec![0; 65_536]),
            Err(LogError::EntryTooLarge(65_536))
        ));
        assert_eq!(entries.len(), 300, "a rejected entry is not added");
    }

    #[test]
    fn rejects_oversized_entries() {
        assert!(Entry::new(vec![0; 65_535]).is_ok());
        assert!(matches!(
            Entry::new(vec![0; 65_536]),
            Err(LogError::EntryTooLarge(65_536))
        ));
    }
}
