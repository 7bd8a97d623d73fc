//! Reading a log: its signed checkpoint, the entries and tiles it covers,
//! each entry checked against the checkpoint's root as it is read.
//!
//! How entries are checked, without rehashing the whole tree per read
//! (`TreeCheck`):
//! - At the start, the tree's root is recomputed from the tiles at the
//!   log's right edge (`TileHashes::mth(0, size)`). Every tile that
//!   computation reads is a partial tile used whole, so those are now
//!   *trusted*.
//! - A full bundle's 256 leaf hashes give its subtree's root, which must
//!   equal its entry in the level-1 tile above; that tile, unless trusted,
//!   is checked the same way against the level above it, and so on until
//!   a trusted tile. A tile checked once is trusted for the rest of the read.
//! - The last, partial bundle is compared leaf by leaf with the right
//!   edge's level-0 tile, which the root check has already trusted.
//!
//! The cost is the leaf hashes plus about one node hash per entry (the
//! bundle's subtree), and one read of each level-1 and higher tile.

use crate::checkpoint::Checkpoint;
use crate::error::{io_err, LogError};
use crate::hash::{leaf_hash, Hash};
use crate::note::NoteVerifier;
use crate::proof::Subtrees;
use crate::tile::{self, Level, TileId, WIDTH};
use crate::tree;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Reads and checks the signed checkpoint of a log directory.
pub fn read_checkpoint(
    dir: &Path,
    verifier: &NoteVerifier,
) -> Result<(Checkpoint, String), LogError> {
    let path = dir.join("checkpoint");
    let note = fs::read_to_string(&path).map_err(io_err(&path))?;
    let text = verifier.open(&note).map_err(|source| LogError::Note {
        path: path.clone(),
        source,
    })?;
    let cp = Checkpoint::parse(text)
        .map_err(|e| LogError::Corrupt(format!("{}: {e}", path.display())))?;
    if cp.origin != verifier.name() {
        return Err(LogError::Corrupt(format!(
            "{}: origin {:?} is not the key's name {:?}",
            path.display(),
            cp.origin,
            verifier.name()
        )));
    }
    Ok((cp, note))
}

/// Read access to the part of a log that a checkpoint covers.
#[derive(Clone)]
pub struct LogReader {
    dir: PathBuf,
    checkpoint: Checkpoint,
    note: String,
}

impl LogReader {
    pub(crate) fn at(dir: &Path, checkpoint: Checkpoint, note: String) -> LogReader {
        LogReader {
            dir: dir.to_path_buf(),
            checkpoint,
            note,
        }
    }

    /// Opens a log directory read-only at its latest checkpoint.
    pub fn open(dir: &Path, verifier: &NoteVerifier) -> Result<LogReader, LogError> {
        let (checkpoint, note) = read_checkpoint(dir, verifier)?;
        Ok(LogReader {
            dir: dir.to_path_buf(),
            checkpoint,
            note,
        })
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    pub fn note(&self) -> &str {
        &self.note
    }

    pub fn size(&self) -> u64 {
        self.checkpoint.size
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn read_file(&self, t: TileId) -> Result<Vec<u8>, LogError> {
        let path = self.dir.join(t.path());
        fs::read(&path).map_err(io_err(&path))
    }

    /// A hash tile as the checkpoint's tree has it.
    pub fn read_tile(&self, t: TileId) -> Result<Vec<Hash>, LogError> {
        let data = self.read_file(t)?;
        tile::decode_hashes(&data, t.width)
            .map_err(|e| LogError::Corrupt(format!("{}: {e}", t.path())))
    }

    /// The entries of bundle `index` within the checkpoint's tree, checked
    /// against its root (the module comment).
    pub fn read_bundle(&self, index: u64) -> Result<Vec<Vec<u8>>, LogError> {
        let mut out = Vec::new();
        self.for_each_bundle(&[index], |_, entries| {
            out = entries.iter().map(|e| e.to_vec()).collect();
        })?;
        Ok(out)
    }

    /// Calls `f(index, entries)` for each bundle of `indices` within the
    /// checkpoint's tree, checked as one read (a check's set-up reads the
    /// tiles at the right edge: once, not per bundle).
    pub fn for_each_bundle(
        &self,
        indices: &[u64],
        mut f: impl FnMut(u64, &[&[u8]]),
    ) -> Result<(), LogError> {
        let mut check = TreeCheck::new(self)?;
        for &index in indices {
            let Some(t) = tile::tile_in_tree(Level::Entries, index, self.size()) else {
                continue;
            };
            let data = self.read_file(t)?;
            let entries = tile::decode_bundle(&data, t.width)
                .map_err(|e| LogError::Corrupt(format!("{}: {e}", t.path())))?;
            check.bundle(index, &entries)?;
            f(index, &entries);
        }
        Ok(())
    }

    /// Calls `f(index, entry)` for every entry in `start..end` (clamped to
    /// the checkpoint), each checked against its root (the module comment).
    pub fn for_each_entry(
        &self,
        start: u64,
        end: u64,
        f: impl FnMut(u64, &[u8]) -> Result<(), LogError>,
    ) -> Result<(), LogError> {
        self.for_each_entry_in(start, end, |_| true, f)
    }

    /// [`Self::for_each_entry`] over only the entry bundles whose raw
    /// bytes `keep` accepts: a scan for rare entries skips the others
    /// without handing them out. Skipped bundles are checked too, so that
    /// an entry removed from one is noticed, not silently missed.
    pub fn for_each_entry_in(
        &self,
        start: u64,
        end: u64,
        keep: impl Fn(&[u8]) -> bool,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), LogError>,
    ) -> Result<(), LogError> {
        let end = end.min(self.size());
        let mut check = TreeCheck::new(self)?;
        let mut b = start / WIDTH;
        while b * WIDTH < end {
            let t =
                tile::tile_in_tree(Level::Entries, b, self.size()).expect("bundle below the size");
            let data = self.read_file(t)?;
            let entries = tile::decode_bundle(&data, t.width)
                .map_err(|e| LogError::Corrupt(format!("{}: {e}", t.path())))?;
            check.bundle(b, &entries)?;
            if keep(&data) {
                for (i, e) in entries.into_iter().enumerate() {
                    let index = b * WIDTH + i as u64;
                    if index >= start && index < end {
                        f(index, e)?;
                    }
                }
            }
            b += 1;
        }
        Ok(())
    }
}

/// Tiles read so far, by (level, index).
type TileCache = std::collections::HashMap<(u8, u64), std::rc::Rc<Vec<Hash>>>;

/// Subtree hashes straight from the tiles, for proofs at the reader's
/// checkpoint. Tiles read are cached, so a batch of proofs reads each once.
pub struct TileHashes<'a> {
    reader: &'a LogReader,
    cache: std::cell::RefCell<TileCache>,
}

impl<'a> TileHashes<'a> {
    pub fn new(reader: &'a LogReader) -> Self {
        TileHashes {
            reader,
            cache: Default::default(),
        }
    }

    /// The keys of the tiles read so far.
    pub(crate) fn cached(&self) -> std::collections::HashSet<(u8, u64)> {
        self.cache.borrow().keys().copied().collect()
    }

    pub(crate) fn tile(&self, level: u8, index: u64) -> Result<std::rc::Rc<Vec<Hash>>, LogError> {
        if let Some(t) = self.cache.borrow().get(&(level, index)) {
            return Ok(t.clone());
        }
        let id = tile::tile_in_tree(Level::Hashes(level), index, self.reader.size())
            .ok_or_else(|| LogError::Corrupt(format!("tile {level}/{index} is beyond the tree")))?;
        let hashes = std::rc::Rc::new(self.reader.read_tile(id)?);
        self.cache
            .borrow_mut()
            .insert((level, index), hashes.clone());
        Ok(hashes)
    }

    /// The hash of the perfect subtree of height `h` starting at leaf `start`.
    fn perfect(&self, start: u64, h: u32) -> Result<Hash, LogError> {
        let level = h / tile::HEIGHT;
        let unit = start >> (tile::HEIGHT * level);
        let count = 1usize << (h % tile::HEIGHT);
        let tile = self.tile(level as u8, unit / WIDTH)?;
        let offset = (unit % WIDTH) as usize;
        let hashes = tile.get(offset..offset + count).ok_or_else(|| {
            LogError::Corrupt(format!(
                "tile at level {level} is too short for leaf {start}"
            ))
        })?;
        Ok(tree::root(hashes))
    }
}

impl crate::proof::Subtrees for TileHashes<'_> {
    type Error = LogError;
    fn mth(&self, start: u64, end: u64) -> Result<Hash, LogError> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self.perfect(start, n.trailing_zeros());
        }
        let k = tree::split(n);
        Ok(crate::hash::node_hash(
            &self.mth(start, start + k)?,
            &self.mth(start + k, end)?,
        ))
    }
}

/// Checks bundles of one reader's checkpoint (see the module comment).
struct TreeCheck<'a> {
    reader: &'a LogReader,
    hashes: TileHashes<'a>,
    /// Hash tiles, as (level, index), known to lead to the root.
    trusted: HashSet<(u8, u64)>,
}

impl<'a> TreeCheck<'a> {
    /// Checks the right edge of the tree against the checkpoint's root.
    fn new(reader: &'a LogReader) -> Result<TreeCheck<'a>, LogError> {
        let hashes = TileHashes::new(reader);
        let size = reader.size();
        if size > 0 && hashes.mth(0, size)? != reader.checkpoint().root {
            return Err(LogError::Corrupt(format!(
                "{}: the hash tiles at the log's right edge do not lead to the root of its signed checkpoint (size {size}); the log was altered or damaged, run `verify`",
                reader.dir().display()
            )));
        }
        let trusted = hashes.cached();
        Ok(TreeCheck {
            reader,
            hashes,
            trusted,
        })
    }

    /// Checks the entries of bundle `b` (`entries` as decoded from it).
    fn bundle(&mut self, b: u64, entries: &[&[u8]]) -> Result<(), LogError> {
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let sound = if leaves.len() as u64 == WIDTH {
            self.leads_to_root(0, b, tree::root(&leaves))?
        } else {
            self.trusted.contains(&(0, b)) && *self.hashes.tile(0, b)? == leaves
        };
        if sound {
            Ok(())
        } else {
            Err(self.name_the_damage(b, &leaves))
        }
    }

    /// Whether `root`, the root of full tile (`level`, `index`), is what the
    /// tree above it holds.
    fn leads_to_root(&mut self, level: u8, index: u64, root: Hash) -> Result<bool, LogError> {
        let up = (level + 1, index / WIDTH);
        let parent = self.hashes.tile(up.0, up.1)?;
        if parent.get((index % WIDTH) as usize) != Some(&root) {
            return Ok(false);
        }
        if self.trusted.contains(&up) {
            return Ok(true);
        }
        // Not at the right edge, so a full tile: checked against its parent.
        let sound =
            parent.len() as u64 == WIDTH && self.leads_to_root(up.0, up.1, tree::root(&parent))?;
        if sound {
            self.trusted.insert(up);
        }
        Ok(sound)
    }

    /// The error for bundle `b`: the first entry that differs from the
    /// level-0 tile, or else the tiles (which then agree with the altered
    /// entries) as not leading to the root.
    fn name_the_damage(&self, b: u64, leaves: &[Hash]) -> LogError {
        let size = self.reader.size();
        let bundle = tile::tile_in_tree(Level::Entries, b, size).map(|t| t.path());
        let bundle = bundle.unwrap_or_default();
        let tile0 = tile::tile_in_tree(Level::Hashes(0), b, size)
            .and_then(|t| self.reader.read_tile(t).ok());
        let first_differing = tile0.and_then(|t| leaves.iter().zip(&t).position(|(a, b)| a != b));
        let what = match first_differing {
            Some(i) => format!("entry {} does not hash to its leaf", b * WIDTH + i as u64),
            None => format!(
                "entries {}..{} and their hash tiles do not lead to the root",
                b * WIDTH,
                b * WIDTH + leaves.len() as u64
            ),
        };
        LogError::Corrupt(format!(
            "{}/{bundle}: {what} of the signed checkpoint (size {size}); the log was altered or damaged, run `verify`",
            self.reader.dir().display(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Entry, Log};
    use crate::note::NoteSigner;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn signer() -> NoteSigner {
        NoteSigner::new("test.example/log", [1; 32]).unwrap()
    }

    /// A log of 66,000 entries in two commits (full and partial tiles at
    /// levels 0–2, stale partials beside them), built once; cases copy it.
    fn template() -> &'static (tempfile::TempDir, Vec<Vec<u8>>, Vec<String>) {
        static T: OnceLock<(tempfile::TempDir, Vec<Vec<u8>>, Vec<String>)> = OnceLock::new();
        T.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::open(dir.path(), signer()).unwrap();
            let mut all = Vec::new();
            for batch in [65_700u64, 300] {
                for _ in 0..batch {
                    let data = format!("entry {}", all.len()).into_bytes();
                    log.append(&Entry::new(data.clone()).unwrap()).unwrap();
                    all.push(data);
                }
                log.commit().unwrap();
            }
            let mut files = Vec::new();
            walk(&dir.path().join("tile"), dir.path(), &mut files);
            (dir, all, files)
        })
    }

    fn walk(d: &Path, root: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into());
            }
        }
        out.sort();
    }

    fn copy() -> tempfile::TempDir {
        let (src, _, files) = template();
        let dir = tempfile::tempdir().unwrap();
        for f in files.iter().map(String::as_str).chain(["checkpoint"]) {
            let to = dir.path().join(f);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(src.path().join(f), to).unwrap();
        }
        dir
    }

    fn read_all(dir: &Path) -> Result<Vec<Vec<u8>>, LogError> {
        let reader = LogReader::open(dir, &signer().verifier())?;
        let mut out = Vec::new();
        reader.for_each_entry(0, reader.size(), |_, e| {
            out.push(e.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn an_untouched_log_reads_back_whole() {
        let dir = copy();
        assert_eq!(&read_all(dir.path()).unwrap(), &template().1);
        let reader = LogReader::open(dir.path(), &signer().verifier()).unwrap();
        assert_eq!(reader.read_bundle(3).unwrap()[5], b"entry 773");
        assert_eq!(reader.read_bundle(257).unwrap()[0], b"entry 65792");
    }

    #[test]
    fn an_altered_entry_is_named_even_with_its_leaf_rehashed() {
        let dir = copy();
        let bundle = dir.path().join("tile/entries/003");
        let mut data = fs::read(&bundle).unwrap();
        let at = data.windows(9).position(|w| w == b"entry 773").unwrap();
        data[at + 8] = b'4';
        fs::write(&bundle, &data).unwrap();
        let err = read_all(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("tile/entries/003: entry 773 does not hash"),
            "{err}"
        );
        let reader = LogReader::open(dir.path(), &signer().verifier()).unwrap();
        assert!(reader.read_bundle(3).is_err());
        assert!(reader.read_bundle(2).is_ok(), "other bundles still read");

        // The level-0 tile rewritten to agree: the tree above still holds.
        let tile = dir.path().join("tile/0/003");
        let mut hashes = fs::read(&tile).unwrap();
        hashes[5 * 32..6 * 32].copy_from_slice(&leaf_hash(b"entry 774").0);
        fs::write(&tile, hashes).unwrap();
        let err = read_all(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("entries 768..1024 and their hash tiles"),
            "{err}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Whatever byte of whatever tile or bundle changes, a full read
        /// either fails or hands out exactly the entries that were logged
        /// (a stale partial tile the checkpoint no longer uses may change).
        #[test]
        fn a_changed_byte_is_never_handed_out(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), xor in 1u8..=255) {
            let dir = copy();
            let files = &template().2;
            let path = dir.path().join(&files[pick.index(files.len())]);
            let mut data = fs::read(&path).unwrap();
            let i = at.index(data.len());
            data[i] ^= xor;
            fs::write(&path, data).unwrap();
            if let Ok(entries) = read_all(dir.path()) {
                prop_assert_eq!(&entries, &template().1);
            }
        }
    }
}
