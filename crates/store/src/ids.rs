//! The id index: which event ids the log already holds, and at which leaf.
//!
//! An open-addressing hash table (linear probing) in a memory-mapped file.
//! Each 16-byte slot holds an 80-bit fingerprint of the id and the leaf
//! index + 1 in 48 bits (0 = empty). 80 bits make an accidental collision
//! among even 10^9 ids a one-in-a-million-billion event, so equal
//! fingerprints are taken as equal ids.
//!
//! The fingerprint is SipHash-2-4 (128-bit output, truncated) keyed with a
//! random key kept in the table's header. Keyed, because an unkeyed
//! 80-bit fingerprint could be attacked: 2^40 hashes find two ids that
//! collide, and the second event would be dropped as a duplicate. SipHash,
//! because it is a PRF built for short inputs and costs a fraction of the
//! SHA-256 it replaced (which was ~3% of ingest's CPU). The key lives and
//! dies with the table: a rebuilt index draws a new one. Tables of the
//! first format (`LLIDX001`, unkeyed SHA-256) are replaced by an empty
//! table on open, which the caller fills by replaying the log.
//!
//! Memory and I/O: when the table fits [`MAX_PRIVATE`] and is about to be
//! written all over (a new or resized table, or [`IdIndex::reserve`] for at
//! least an insert per page), it is held whole in anonymous memory, in huge
//! pages where the system gives them ([`IdIndex::load`] says why). Otherwise
//! the file is mapped *privately*: lookups read the page cache, which the
//! kernel can evict and reload, and inserts land in private copies of the
//! pages they touch. Either way the index writes modified pages back to the
//! file itself: at [`IdIndex::sync`], and whenever the inserts since the
//! last write-back reach [`WRITE_BACK_PER_PAGE`] per page of the table (and
//! at least [`WRITE_BACK_MIN`]). Random inserts touch a page each, so
//! writing back after every log commit (what a shared mapping amounts to:
//! the log's `syncfs` flushes it too) moved a page per id — at 10M ids that
//! was most of ingest's time. Waiting for 64 inserts per page bounds the
//! write amplification instead (64 bytes of table written per id), and a
//! crash costs at most that many log entries replayed (16M up to a
//! 47M-id table, ~12 s; then 64 per page). In the mapped mode, private
//! copies stay (so a page is copied once, not at every write-back) until
//! they pass [`MAX_PRIVATE`]; then a write-back also drops them. So the
//! process holds at most `MAX_PRIVATE` of the table, however many ids there
//! are (the table itself is 23–46 bytes of disk per id at load ≤ 0.7: 50M
//! ids, ~1–2 GiB).
//!
//! Damage: the table is derived state and is never trusted unchecked. The
//! header carries its own checksum, and every 4 KiB block of slots an
//! XXH3 checksum, kept after the slots. A write-back makes the new
//! checksums durable before the blocks they describe, as the pair (the
//! block's durable checksum, its new one), so a crash mid-write leaves each
//! block matching one of its pair. Opening checks every block (and that
//! the header's count is the slots' count): a table that fails is replaced
//! by an empty one, which the caller fills from the log
//! ([`IdIndex::replaced`] says why). A flipped byte could otherwise hide an
//! id, and the log would take its event a second time.
//!
//! Crash safety: the header records `covered` — the log size through which
//! the table was complete when last flushed — and a `clean` flag cleared
//! while writes are in flight. A table that was not closed cleanly may hold
//! slots for entries that never became durable (leaf ≥ log size) and may miss
//! ones written after `covered`; [`IdIndex::recover`] drops the former and
//! the caller replays the log from `covered` to restore the latter.

use memmap2::{MmapMut, MmapOptions, UncheckedAdvice};
use siphasher::sip128::{Hasher128, SipHasher24};
use std::fs::{self, File, OpenOptions};
use std::hash::Hasher;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"LLIDX003";
/// Earlier formats (unkeyed fingerprints; no checksums): replaced on open.
const OLD_MAGICS: [&[u8; 8]; 2] = [b"LLIDX001", b"LLIDX002"];
/// Magic, capacity, count, covered (8 bytes each), clean flag, at
/// [`KEY_AT`] the fingerprint key, at [`HEADER_SUM_AT`] the XXH3 of all
/// before it.
const HEADER: usize = 64;
const KEY_AT: usize = 40;
const HEADER_SUM_AT: usize = 56;
/// Slots are checksummed in blocks of this many bytes of the file (the
/// first block starts after the header); each block has two checksums.
const BLOCK: usize = 4096;
const PAIR: usize = 16;
const SLOT: usize = 16;
const FP_LEN: usize = 10;
const MIN_CAPACITY: u64 = 1 << 16;
/// Inserts per page of the table between write-backs (see the module comment).
pub const WRITE_BACK_PER_PAGE: u64 = 64;
/// Inserts between write-backs at the least. Each write-back rewrites the
/// whole table (random inserts dirty every page) and waits for it to reach
/// the disk, stalling the sequencer (0.6 s for 256 MiB here); a crash costs
/// replaying at most this many entries (about 0.7 µs each).
pub const WRITE_BACK_MIN: u64 = 1 << 24;
/// The most of the table held as private copies (see the module comment).
pub const MAX_PRIVATE: usize = 1 << 30;
/// Leaf indices are stored in 48 bits.
pub const MAX_LEAF: u64 = (1 << 48) - 2;

#[derive(Debug, thiserror::Error)]
pub enum IdIndexError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0}: not an id index (bad header); delete it and it will be rebuilt from the log")]
    BadHeader(PathBuf),
    #[error("{path}: {what}")]
    Damaged { path: PathBuf, what: String },
    #[error("leaf index {0} exceeds the id index's 48-bit limit")]
    LeafTooLarge(u64),
    #[error("a table of {0} slots is beyond what the id index holds (2^40)")]
    TooLarge(u64),
    #[error("no randomness for a new id-index key: {0}")]
    NoRandomness(String),
}

/// An 80-bit fingerprint of an event id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; FP_LEN]);

/// Computes fingerprints with one table's key ([`IdIndex::fingerprinter`]):
/// cheap to copy into every worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprinter {
    key: [u8; 16],
}

impl Fingerprinter {
    pub fn new(key: [u8; 16]) -> Fingerprinter {
        Fingerprinter { key }
    }

    pub fn of(&self, id: &[u8]) -> Fingerprint {
        let mut h = SipHasher24::new_with_key(&self.key);
        h.write(id);
        let mut fp = [0u8; FP_LEN];
        fp.copy_from_slice(&h.finish128().as_bytes()[..FP_LEN]);
        Fingerprint(fp)
    }
}

impl Fingerprint {
    fn bucket(&self, mask: u64) -> u64 {
        u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes")) & mask
    }
}

pub struct IdIndex {
    path: PathBuf,
    file: File,
    /// A private mapping of `file`: writes stay in this process until
    /// [`IdIndex::write_back`] puts them in the file.
    map: MmapMut,
    capacity: u64,
    count: u64,
    /// The system's page size: the unit of write-back.
    page: usize,
    /// One bit per page of `map` modified since the last write-back.
    dirty: Vec<u64>,
    dirty_pages: usize,
    /// One bit per page held as a private copy (modified since the copies
    /// were last dropped).
    private: Vec<u64>,
    private_pages: usize,
    /// [`MAX_PRIVATE`] and [`WRITE_BACK_MIN`], lowered by tests.
    max_private: usize,
    write_back_min: u64,
    /// `map` is anonymous memory holding the whole table, not a mapping of
    /// the file (see [`IdIndex::load`]); nothing is ever dropped from it.
    in_memory: bool,
    /// `file` opened for direct I/O, for writing back an in-memory table:
    /// `None` until first needed, `Some(None)` where the file system
    /// refuses it.
    direct: Option<Option<File>>,
    /// Inserts since the last write-back.
    pending: u64,
    /// The checksum of each block as it is in the file.
    sums: Vec<u64>,
    /// Why the table found on open was replaced by an empty one.
    replaced: Option<String>,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> IdIndexError + '_ {
    move |source| IdIndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the id index says of one id, read without opening it for writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The leaf the table maps the id to, if any.
    pub leaf: Option<u64>,
    /// The log size through which the table was complete at its last flush.
    pub covered: u64,
    /// No write was in flight when the header was read: ids below `covered`
    /// that the table lacks are not in the log.
    pub clean: bool,
}

impl IdIndex {
    /// Looks `id` up in the table at `path` by reads alone, beside a
    /// writer: no lock, no mapping, nothing written. `Ok(None)` when there
    /// is no table. What it says may be stale (or the file damaged), so a
    /// caller checks the entry at the leaf it names and scans the log past
    /// `covered` (and all of it when the table was not `clean`).
    pub fn lookup(path: &Path, id: &[u8]) -> Result<Option<Lookup>, IdIndexError> {
        let file = match File::open(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            f => f.map_err(io_err(path))?,
        };
        let len = file.metadata().map_err(io_err(path))?.len();
        let mut head = [0u8; HEADER];
        file.read_exact_at(&mut head, 0).map_err(io_err(path))?;
        let capacity = word(&head, 8);
        if &head[..8] != MAGIC || file_len(capacity) != Some(len) {
            return Err(IdIndexError::BadHeader(path.to_path_buf()));
        }
        if header_sum(&head) != word(&head, HEADER_SUM_AT) {
            return Err(damaged(
                path,
                "its header does not match its checksum".into(),
            ));
        }
        let (covered, clean) = (word(&head, 24), head[32] == 1);
        let fp = Fingerprinter::new(head[KEY_AT..KEY_AT + 16].try_into().expect("16")).of(id);
        let mask = capacity - 1;
        let mut i = fp.bucket(mask);
        let (mut block, mut block_no) = (Vec::new(), usize::MAX);
        // At most one pass: a damaged table may have no empty slot.
        for _ in 0..capacity {
            let at = HEADER + i as usize * SLOT;
            if at / BLOCK != block_no {
                block_no = at / BLOCK;
                read_block(&file, path, capacity, block_no, &mut block)?;
            }
            let from = at - block_range(block_no, slots_end(capacity)).start;
            let slot = &block[from..from + SLOT];
            match Self::slot_leaf(slot) {
                Some(leaf) if slot[..FP_LEN] == fp.0 => {
                    return Ok(Some(Lookup {
                        leaf: Some(leaf),
                        covered,
                        clean,
                    }))
                }
                Some(_) => i = (i + 1) & mask,
                None => break,
            }
        }
        Ok(Some(Lookup {
            leaf: None,
            covered,
            clean,
        }))
    }

    /// Opens (or creates, empty and clean at size 0) the index at `path`.
    pub fn open(path: &Path) -> Result<IdIndex, IdIndexError> {
        Self::open_with(path, MAX_PRIVATE)
    }

    fn open_with(path: &Path, max_private: usize) -> Result<IdIndex, IdIndexError> {
        let _ = fs::remove_file(tmp_path(path)); // an interrupted resize
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Self::create_empty(path, max_private)
            }
            f => f.map_err(io_err(path))?,
        };
        let map = map_private(&file, path)?;
        let capacity = map.get(..HEADER).map_or(0, |h| word(h, 8));
        let checked = if map.len() >= 8 && OLD_MAGICS.iter().any(|m| map[..8] == m[..]) {
            Err("it is of an earlier format".to_string())
        } else if map.len() < HEADER
            || &map[..8] != MAGIC
            || file_len(capacity) != Some(map.len() as u64)
        {
            Err("its header is not an id index's".to_string())
        } else {
            check(&map, capacity)
        };
        match checked {
            Ok(sums) => {
                let count = word(&map, 16);
                let mut idx = IdIndex::new(path, file, map, capacity, count);
                (idx.max_private, idx.sums) = (max_private, sums);
                Ok(idx)
            }
            Err(why) => {
                drop((map, file));
                let mut idx = Self::create_empty(path, max_private)?;
                idx.replaced = Some(format!(
                    "{}: {why}; replaced by an empty index, filled again from the log",
                    path.display()
                ));
                Ok(idx)
            }
        }
    }

    /// Why the table found on open was not used (damaged, or of an earlier
    /// format) and an empty one took its place; `None` when it was used.
    pub fn replaced(&self) -> Option<&str> {
        self.replaced.as_deref()
    }

    fn new(path: &Path, file: File, map: MmapMut, capacity: u64, count: u64) -> IdIndex {
        let page = rustix::param::page_size();
        let pages = map.len().div_ceil(page);
        IdIndex {
            path: path.to_path_buf(),
            file,
            map,
            capacity,
            count,
            page,
            dirty: vec![0; pages.div_ceil(64)],
            dirty_pages: 0,
            private: vec![0; pages.div_ceil(64)],
            private_pages: 0,
            max_private: MAX_PRIVATE,
            write_back_min: WRITE_BACK_MIN,
            in_memory: false,
            direct: None,
            pending: 0,
            sums: Vec::new(),
            replaced: None,
        }
    }

    /// A new, empty, clean table with a new key, durable at `path`.
    fn create_empty(path: &Path, max_private: usize) -> Result<IdIndex, IdIndexError> {
        let mut key = [0u8; 16];
        getrandom::fill(&mut key).map_err(|e| IdIndexError::NoRandomness(e.to_string()))?;
        let mut idx = Self::create(path, MIN_CAPACITY, max_private, Fingerprinter::new(key))?;
        idx.set_header(0, true);
        idx.write_back()?;
        Ok(idx)
    }

    /// A new, empty table: in memory when it fits `max_private` (nothing to
    /// read: it is all zeros), else a private mapping of the new file.
    fn create(
        path: &Path,
        capacity: u64,
        max_private: usize,
        fingerprinter: Fingerprinter,
    ) -> Result<IdIndex, IdIndexError> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600) // the key is in the header
            .open(path)
            .map_err(io_err(path))?;
        let len = file_len(capacity).ok_or(IdIndexError::TooLarge(capacity))? as usize;
        file.set_len(len as u64).map_err(io_err(path))?;
        // The blocks are claimed now: a full disk is an error here, not a
        // SIGBUS later when a write to the mapping finds no block (tmpfs).
        match rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, len as u64) {
            Ok(()) | Err(rustix::io::Errno::OPNOTSUPP) => {}
            Err(e) => return Err(io_err(path)(e.into())),
        }
        let in_memory = len <= max_private;
        let map = if in_memory {
            anonymous(len, path)?
        } else {
            map_private(&file, path)?
        };
        let mut idx = IdIndex::new(path, file, map, capacity, 0);
        (idx.max_private, idx.in_memory) = (max_private, in_memory);
        idx.map[..8].copy_from_slice(MAGIC);
        idx.map[8..16].copy_from_slice(&capacity.to_le_bytes());
        idx.map[KEY_AT..KEY_AT + 16].copy_from_slice(&fingerprinter.key);
        idx.touch(0);
        // Every block is zeros: its checksum, twice.
        let end = slots_end(capacity);
        let zeros = [0u8; BLOCK];
        for k in 0..blocks(capacity) {
            let sum = block_sum(&zeros[..block_range(k, end).len()]);
            idx.set_pair(k, sum, sum);
            idx.sums.push(sum);
        }
        Ok(idx)
    }

    /// Notes that the page holding byte `at` was modified.
    fn touch(&mut self, at: usize) {
        let page = at / self.page;
        let (word, bit) = (page / 64, 1u64 << (page % 64));
        if self.dirty[word] & bit == 0 {
            self.dirty[word] |= bit;
            self.dirty_pages += 1;
            if !self.in_memory && self.private[word] & bit == 0 {
                self.private[word] |= bit;
                self.private_pages += 1;
            }
        }
    }

    /// Writes every modified page to the file and makes it durable; drops
    /// the private copies (the mapping reads the file's pages again) once
    /// they pass [`MAX_PRIVATE`]. The changed blocks' checksums go first
    /// (see the module comment).
    fn write_back(&mut self) -> Result<(), IdIndexError> {
        if self.dirty_pages == 0 {
            return Ok(());
        }
        let end = slots_end(self.capacity);
        let pages = self.map.len().div_ceil(self.page);
        let mut changed = Vec::new();
        let mut last = None;
        for page in (0..end.div_ceil(self.page)).filter(|&p| self.is_dirty(p)) {
            let (from, to) = (page * self.page, ((page + 1) * self.page).min(end));
            for k in from / BLOCK..=(to - 1) / BLOCK {
                if last == Some(k) {
                    continue; // pages smaller than a block
                }
                last = Some(k);
                let sum = block_sum(&self.map[block_range(k, end)]);
                if sum != self.sums[k] {
                    changed.push((k, sum));
                }
            }
        }
        if !changed.is_empty() {
            for &(k, sum) in &changed {
                self.set_pair(k, self.sums[k], sum);
            }
            self.write_dirty(end / self.page, pages)?;
            self.file.sync_data().map_err(io_err(&self.path))?;
        }
        let drop_copies = !self.in_memory && self.private_pages * self.page > self.max_private;
        self.write_dirty(0, pages)?;
        if drop_copies {
            // SAFETY: every private copy now matches the file (the dirty ones
            // were just written), so the mapping reads back exactly what it
            // held; no reference into the mapping outlives this `&mut self`.
            unsafe { self.map.unchecked_advise(UncheckedAdvice::DontNeed) }
                .map_err(io_err(&self.path))?;
            self.private.fill(0);
            self.private_pages = 0;
        }
        self.file.sync_data().map_err(io_err(&self.path))?;
        for (k, sum) in changed {
            self.sums[k] = sum;
        }
        self.pending = 0;
        Ok(())
    }

    fn is_dirty(&self, page: usize) -> bool {
        self.dirty[page / 64] & (1 << (page % 64)) != 0
    }

    /// Writes the modified pages among `pages` (not yet durable) and marks
    /// them clean.
    fn write_dirty(&mut self, first: usize, pages: usize) -> Result<(), IdIndexError> {
        let mut page = first;
        while page < pages {
            if !self.is_dirty(page) {
                page += 1;
                continue;
            }
            let start = page;
            while page < pages && self.is_dirty(page) {
                self.dirty[page / 64] &= !(1 << (page % 64));
                self.dirty_pages -= 1;
                page += 1;
            }
            let (from, to) = (start * self.page, (page * self.page).min(self.map.len()));
            self.write_pages(from, to)?;
        }
        Ok(())
    }

    /// Records block `k`'s checksum pair.
    fn set_pair(&mut self, k: usize, durable: u64, new: u64) {
        let at = slots_end(self.capacity) + k * PAIR;
        self.map[at..at + 8].copy_from_slice(&durable.to_le_bytes());
        self.map[at + 8..at + PAIR].copy_from_slice(&new.to_le_bytes());
        self.touch(at);
    }

    /// Writes `map[from..to]` to the file at `from` (a page boundary).
    ///
    /// An in-memory table goes by direct I/O where the file system allows
    /// it: through the page cache, every page written needs a fresh page of
    /// cache and a copy. Measured on this VM, a 256 MiB table (10M ids) took
    /// 0.74 s buffered against 0.24 s direct, at the very end of an import,
    /// when little else runs. The unaligned tail (the table is a 64-byte
    /// header plus slots) goes through the cache.
    fn write_pages(&mut self, mut from: usize, to: usize) -> Result<(), IdIndexError> {
        let aligned = from + (to - from) / self.page * self.page;
        if self.in_memory && aligned > from {
            self.open_direct();
            if let Some(Some(direct)) = &self.direct {
                match direct.write_all_at(&self.map[from..aligned], from as u64) {
                    Ok(()) => from = aligned,
                    // Alignment rules differ between file systems: a
                    // refusal sends this and later writes through the cache.
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => self.direct = Some(None),
                    Err(e) => return Err(io_err(&self.path)(e)),
                }
            }
        }
        if from == to {
            return Ok(());
        }
        self.file
            .write_all_at(&self.map[from..to], from as u64)
            .map_err(io_err(&self.path))
    }

    fn open_direct(&mut self) {
        if self.direct.is_none() {
            use std::os::unix::fs::OpenOptionsExt;
            let flags = rustix::fs::OFlags::DIRECT.bits() as i32;
            let file = OpenOptions::new()
                .write(true)
                .custom_flags(flags)
                .open(&self.path);
            self.direct = Some(file.ok());
        }
    }

    /// Fingerprints for this table (its key).
    pub fn fingerprinter(&self) -> Fingerprinter {
        Fingerprinter::new(self.map[KEY_AT..KEY_AT + 16].try_into().expect("16"))
    }

    /// The log size through which the table was complete at its last flush.
    pub fn covered(&self) -> u64 {
        u64::from_le_bytes(self.map[24..32].try_into().expect("8"))
    }

    /// Whether the table was flushed and closed after its last write.
    pub fn is_clean(&self) -> bool {
        self.map[32] == 1
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn set_header(&mut self, covered: u64, clean: bool) {
        self.map[16..24].copy_from_slice(&self.count.to_le_bytes());
        self.map[24..32].copy_from_slice(&covered.to_le_bytes());
        self.map[32] = clean as u8;
        let sum = header_sum(&self.map[..HEADER]);
        self.map[HEADER_SUM_AT..HEADER].copy_from_slice(&sum.to_le_bytes());
        self.touch(0);
    }

    fn slot(&self, i: u64) -> &[u8] {
        let at = HEADER + i as usize * SLOT;
        &self.map[at..at + SLOT]
    }

    fn slot_leaf(slot: &[u8]) -> Option<u64> {
        let mut b = [0u8; 8];
        b[..6].copy_from_slice(&slot[FP_LEN..]);
        match u64::from_le_bytes(b) {
            0 => None,
            n => Some(n - 1),
        }
    }

    /// The slot holding `fp`, or the empty slot where it would go.
    fn probe(&self, fp: &Fingerprint) -> (u64, Option<u64>) {
        let mask = self.capacity - 1;
        let mut i = fp.bucket(mask);
        loop {
            let s = self.slot(i);
            match Self::slot_leaf(s) {
                None => return (i, None),
                Some(leaf) if s[..FP_LEN] == fp.0 => return (i, Some(leaf)),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The leaf of the event with this id fingerprint, if indexed.
    pub fn get(&self, fp: &Fingerprint) -> Option<u64> {
        self.probe(fp).1
    }

    /// Marks the table dirty: writes are about to happen.
    pub fn begin(&mut self) -> Result<(), IdIndexError> {
        if self.is_clean() {
            let covered = self.covered();
            self.set_header(covered, false);
            self.write_back()?;
        }
        Ok(())
    }

    /// Grows the table now, if needed, so that `additional` more ids fit
    /// without a resize: one rewrite up front (cheap while the table is
    /// small) instead of one at every doubling during a large import.
    pub fn reserve(&mut self, additional: u64) -> Result<(), IdIndexError> {
        let want = (self.count + additional).saturating_mul(10) / 7 + 1;
        if want > self.capacity {
            self.resize(want.next_power_of_two(), u64::MAX)?;
        }
        if additional >= (self.map.len() / self.page) as u64 {
            // About one insert per page or more: most pages will be written.
            self.load()?;
        }
        Ok(())
    }

    /// Moves the whole table into anonymous memory, when it fits the
    /// private budget. Inserts land on random pages: in a private mapping
    /// of the file, each page's first write costs a read fault and a
    /// copy-on-write fault (whose TLB flush interrupts the other core), and
    /// every insert risks a TLB miss, which in a VM walks two sets of page
    /// tables. Anonymous memory takes huge pages (a 256 MiB table then
    /// needs 128 TLB entries, not 65,536): measured, most of the
    /// sequencer's time at 10M ids went to the slot loads.
    fn load(&mut self) -> Result<(), IdIndexError> {
        if self.in_memory || self.map.len() > self.max_private {
            return Ok(());
        }
        let mut mem = anonymous(self.map.len(), &self.path)?;
        mem.copy_from_slice(&self.map);
        self.map = mem;
        self.in_memory = true;
        self.private.fill(0);
        self.private_pages = 0;
        Ok(())
    }

    /// Hints the CPU to load `fp`'s slot: the sequencer calls this a few ids
    /// ahead, so the cache miss of a random slot overlaps other work.
    pub fn prefetch(&self, fp: &Fingerprint) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let at = HEADER + fp.bucket(self.capacity - 1) as usize * SLOT;
            // SAFETY: a prefetch is only a hint (it cannot fault or change
            // memory), the address lies inside the mapping, and SSE is part
            // of the x86_64 baseline.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.map[at..].as_ptr().cast()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    /// Records `fp` at `leaf` unless present; returns the existing leaf if it was.
    ///
    /// Leaves must come in log order, each once, starting at
    /// [`IdIndex::covered`]: a write-back then records that every leaf up to
    /// the current one is in the table.
    pub fn insert(&mut self, fp: Fingerprint, leaf: u64) -> Result<Option<u64>, IdIndexError> {
        if leaf > MAX_LEAF {
            return Err(IdIndexError::LeafTooLarge(leaf));
        }
        let (i, existing) = self.probe(&fp);
        if existing.is_some() {
            return Ok(existing);
        }
        self.write_slot(i, &fp, leaf);
        self.count += 1;
        self.pending += 1;
        if self.count * 10 > self.capacity * 7 {
            self.resize(self.capacity * 2, u64::MAX)?;
        } else if self.pending
            >= (self.dirty.len() as u64 * 64 * WRITE_BACK_PER_PAGE).max(self.write_back_min)
        {
            // Every leaf up to this one is in the table. If the log turns out
            // shorter after a crash, `recover` drops what lies beyond it.
            self.sync(leaf + 1, false)?;
        }
        Ok(None)
    }

    fn write_slot(&mut self, i: u64, fp: &Fingerprint, leaf: u64) {
        let at = HEADER + i as usize * SLOT;
        let s = &mut self.map[at..at + SLOT];
        s[..FP_LEN].copy_from_slice(&fp.0);
        s[FP_LEN..].copy_from_slice(&(leaf + 1).to_le_bytes()[..6]);
        self.touch(at);
    }

    /// Rewrites the table at `capacity`, keeping only slots with leaf < `keep_below`.
    fn resize(&mut self, capacity: u64, keep_below: u64) -> Result<(), IdIndexError> {
        let tmp = tmp_path(&self.path);
        let mut next = Self::create(&tmp, capacity, self.max_private, self.fingerprinter())?;
        next.write_back_min = self.write_back_min;
        for i in 0..self.capacity {
            let s = self.slot(i);
            if let Some(leaf) = Self::slot_leaf(s).filter(|&l| l < keep_below) {
                let fp = Fingerprint(s[..FP_LEN].try_into().expect("fp"));
                let (j, _) = next.probe(&fp);
                next.write_slot(j, &fp, leaf);
                next.count += 1;
            }
        }
        let covered = self.covered().min(keep_below);
        next.set_header(covered, false);
        // Durable before it replaces the old table: entries below `covered`
        // are never replayed, so they must not be lost.
        next.write_back()?;
        fs::rename(&tmp, &self.path).map_err(io_err(&self.path))?;
        next.path = self.path.clone();
        next.replaced = self.replaced.take();
        *self = next;
        Ok(())
    }

    /// After an unclean shutdown: drops every slot for leaves at or beyond
    /// `log_size` (entries that never became durable). The caller then
    /// replays the log from [`IdIndex::covered`].
    pub fn recover(&mut self, log_size: u64) -> Result<(), IdIndexError> {
        let capacity = self.capacity;
        self.resize(capacity, log_size)
    }

    /// Flushes the table and records that it covers the log through `log_size`.
    /// The slots are made durable before the header that counts on them.
    pub fn sync(&mut self, log_size: u64, clean: bool) -> Result<(), IdIndexError> {
        // Slots first, under the old header; the new header only once they
        // are durable.
        self.write_back()?;
        self.set_header(log_size, clean);
        self.write_back()
    }
}

fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Where the slots end and the checksum pairs begin.
fn slots_end(capacity: u64) -> usize {
    HEADER + capacity as usize * SLOT
}

fn blocks(capacity: u64) -> usize {
    slots_end(capacity).div_ceil(BLOCK)
}

/// The file's length for `capacity` slots; `None` for no valid capacity.
fn file_len(capacity: u64) -> Option<u64> {
    if !capacity.is_power_of_two() || capacity > 1 << 40 {
        return None;
    }
    Some((slots_end(capacity) + blocks(capacity) * PAIR) as u64)
}

/// The bytes of block `k` (slots only: the first block starts after the header).
fn block_range(k: usize, slots_end: usize) -> std::ops::Range<usize> {
    (k * BLOCK).max(HEADER)..((k + 1) * BLOCK).min(slots_end)
}

fn block_sum(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

fn header_sum(head: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&head[..HEADER_SUM_AT])
}

/// Whether `sum` is one of the pair of checksums at `pair`.
fn in_pair(sum: u64, pair: &[u8]) -> bool {
    sum == word(pair, 0) || sum == word(pair, 8)
}

fn damaged(path: &Path, what: String) -> IdIndexError {
    IdIndexError::Damaged {
        path: path.to_path_buf(),
        what,
    }
}

/// Checks a whole table (header, every block, the count when it was closed
/// cleanly); returns the blocks' checksums, or what is wrong.
fn check(map: &[u8], capacity: u64) -> Result<Vec<u64>, String> {
    if header_sum(map) != word(map, HEADER_SUM_AT) {
        return Err("its header does not match its checksum".into());
    }
    let end = slots_end(capacity);
    let mut sums = Vec::with_capacity(blocks(capacity));
    let mut occupied = 0u64;
    for k in 0..blocks(capacity) {
        let range = block_range(k, end);
        let block = &map[range.clone()];
        let sum = block_sum(block);
        if !in_pair(sum, &map[end + k * PAIR..end + (k + 1) * PAIR]) {
            return Err(format!(
                "block {k} of its slots (bytes {}..{}) does not match its checksum",
                range.start, range.end
            ));
        }
        sums.push(sum);
        occupied += block
            .chunks_exact(SLOT)
            .filter(|s| s[FP_LEN..] != [0; SLOT - FP_LEN])
            .count() as u64;
    }
    // After a crash, slots may be ahead of the header's count (`recover`
    // recounts); a clean table's count is its slots'.
    let count = word(map, 16);
    if map[32] == 1 && occupied != count {
        return Err(format!(
            "its header counts {count} ids but its slots hold {occupied}"
        ));
    }
    Ok(sums)
}

/// Reads block `k` of the table in `file` into `buf`, checked.
fn read_block(
    file: &File,
    path: &Path,
    capacity: u64,
    k: usize,
    buf: &mut Vec<u8>,
) -> Result<(), IdIndexError> {
    let end = slots_end(capacity);
    let range = block_range(k, end);
    buf.resize(range.len(), 0);
    file.read_exact_at(buf, range.start as u64)
        .map_err(io_err(path))?;
    let mut pair = [0u8; PAIR];
    file.read_exact_at(&mut pair, (end + k * PAIR) as u64)
        .map_err(io_err(path))?;
    if !in_pair(block_sum(buf), &pair) {
        return Err(damaged(
            path,
            format!("block {k} of its slots does not match its checksum"),
        ));
    }
    Ok(())
}

/// Anonymous memory for a whole table, in huge pages if the system has them.
fn anonymous(len: usize, path: &Path) -> Result<MmapMut, IdIndexError> {
    let map = MmapMut::map_anon(len).map_err(io_err(path))?;
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage); // only advice
    Ok(map)
}

/// Maps `file` privately (copy-on-write): see the module comment.
fn map_private(file: &File, path: &Path) -> Result<MmapMut, IdIndexError> {
    // SAFETY: the file is private to this data directory and only this
    // process (the single writer, under the data directory lock) changes it,
    // through `write_back`, which rewrites pages with what the map holds.
    unsafe { MmapOptions::new().map_copy(file) }.map_err(io_err(path))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".resize");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Any key does for the table's own tests: it stores what it is given.
    fn fp_of(id: &[u8]) -> Fingerprint {
        Fingerprinter::new([9; 16]).of(id)
    }

    #[test]
    fn inserts_finds_grows_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut idx = IdIndex::open(&path).unwrap();
        assert!(idx.is_clean());
        idx.begin().unwrap();
        assert!(!idx.is_clean());
        let n = 200_000u64; // forces two resizes past the minimum capacity
        for i in 0..n {
            assert_eq!(
                idx.insert(fp_of(format!("id{i}").as_bytes()), i).unwrap(),
                None
            );
        }
        assert_eq!(idx.insert(fp_of(b"id7"), 999).unwrap(), Some(7));
        // Reserving keeps every id and leaves room without further growth.
        idx.reserve(1_000_000).unwrap();
        let capacity = idx.capacity;
        assert!(capacity * 7 >= (n + 1_000_000) * 10);
        assert!(
            idx.in_memory,
            "a table that many inserts will write is held in memory"
        );
        for i in n..n + 1000 {
            let fp = fp_of(format!("id{i}").as_bytes());
            assert_eq!(idx.insert(fp, i).unwrap(), None);
        }
        idx.prefetch(&fp_of(b"id7"));
        assert_eq!(idx.get(&fp_of(b"id7")), Some(7));
        idx.sync(n + 1000, true).unwrap();
        drop(idx);
        let idx = IdIndex::open(&path).unwrap();
        assert!(idx.is_clean());
        assert_eq!(idx.covered(), n + 1000);
        assert_eq!(idx.len(), n + 1000);
        for i in (0..n + 1000).step_by(997) {
            assert_eq!(idx.get(&fp_of(format!("id{i}").as_bytes())), Some(i));
        }
        assert_eq!(idx.get(&fp_of(b"nope")), None);
    }

    #[test]
    fn written_back_and_dropped_copies_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        // Every write-back drops the private copies.
        let mut idx = IdIndex::open_with(&path, 0).unwrap();
        assert!(!idx.in_memory);
        idx.begin().unwrap();
        let fp = |i: u64| fp_of(&i.to_le_bytes());
        for i in 0..50_000u64 {
            assert_eq!(idx.insert(fp(i), i).unwrap(), None);
            if i % 7_000 == 0 {
                idx.sync(i + 1, false).unwrap();
                assert_eq!((idx.private_pages, idx.dirty_pages), (0, 0));
                assert_eq!(idx.get(&fp(i)), Some(i), "read back after the drop");
            }
        }
        idx.sync(50_000, true).unwrap();
        drop(idx);
        let idx = IdIndex::open(&path).unwrap();
        assert_eq!(
            (idx.covered(), idx.len(), idx.is_clean()),
            (50_000, 50_000, true)
        );
        assert!((0..50_000).step_by(13).all(|i| idx.get(&fp(i)) == Some(i)));
    }

    #[test]
    fn inserts_write_themselves_back_and_survive_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut idx = IdIndex::open(&path).unwrap();
        idx.begin().unwrap();
        const MIN: u64 = 1 << 16;
        idx.write_back_min = MIN;
        idx.reserve(MIN).unwrap(); // small enough: the minimum applies
        let fp = |i: u64| fp_of(&i.to_le_bytes());
        for i in 0..MIN + 10 {
            idx.insert(fp(i), i).unwrap();
        }
        drop(idx); // a crash: no sync after the last inserts
        let mut idx = IdIndex::open(&path).unwrap();
        assert!(!idx.is_clean());
        assert_eq!(idx.covered(), MIN, "written back at the threshold");
        idx.recover(MIN + 10).unwrap();
        assert!((0..MIN).step_by(997).all(|i| idx.get(&fp(i)) == Some(i)));
        assert_eq!(idx.get(&fp(MIN + 5)), None, "lost, to be replayed");
    }

    #[test]
    fn the_key_is_drawn_once_kept_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut idx = IdIndex::open(&path).unwrap();
        let key = idx.fingerprinter();
        let other = IdIndex::open(&dir.path().join("other.idx")).unwrap();
        assert_ne!(key, other.fingerprinter(), "each table draws its own key");
        assert_ne!(key.of(b"e1"), other.fingerprinter().of(b"e1"));
        assert_eq!(key.of(b"e1"), key.of(b"e1"));
        idx.begin().unwrap();
        idx.reserve(1 << 20).unwrap(); // a resize: a new file, same key
        idx.insert(key.of(b"e1"), 0).unwrap();
        idx.sync(1, true).unwrap();
        drop(idx);
        let idx = IdIndex::open(&path).unwrap();
        assert_eq!(idx.fingerprinter(), key);
        assert_eq!(idx.get(&key.of(b"e1")), Some(0));
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the key must not be readable by others"
        );
    }

    #[test]
    fn a_table_of_the_first_format_is_replaced_by_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut old = vec![0u8; HEADER + MIN_CAPACITY as usize * SLOT];
        old[..8].copy_from_slice(OLD_MAGICS[0]);
        old[8..16].copy_from_slice(&MIN_CAPACITY.to_le_bytes());
        old[16..24].copy_from_slice(&5u64.to_le_bytes());
        old[24..32].copy_from_slice(&5u64.to_le_bytes());
        old[32] = 1;
        fs::write(&path, &old).unwrap();
        let idx = IdIndex::open(&path).unwrap();
        // Empty and clean at 0: the caller replays the whole log into it.
        assert_eq!((idx.len(), idx.covered(), idx.is_clean()), (0, 0, true));
        assert!(idx.replaced().unwrap().contains("earlier format"));
        assert_eq!(&fs::read(&path).unwrap()[..8], MAGIC);
    }

    /// A clean table of 3,000 ids at leaves 0..3000, built once.
    fn saved() -> &'static (tempfile::TempDir, Vec<u8>) {
        static T: std::sync::OnceLock<(tempfile::TempDir, Vec<u8>)> = std::sync::OnceLock::new();
        T.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ids.idx");
            let mut idx = IdIndex::open(&path).unwrap();
            idx.begin().unwrap();
            for i in 0..3000u64 {
                idx.insert(fp_of(&i.to_le_bytes()), i).unwrap();
            }
            idx.sync(3000, true).unwrap();
            drop(idx);
            let bytes = fs::read(&path).unwrap();
            (dir, bytes)
        })
    }

    #[test]
    fn a_damaged_table_is_replaced_and_lookups_refuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut bytes = saved().1.clone();
        // A byte in the block where a lookup of "x" starts.
        let key = bytes[KEY_AT..KEY_AT + 16].try_into().unwrap();
        let capacity = word(&bytes, 8);
        let at = HEADER + Fingerprinter::new(key).of(b"x").bucket(capacity - 1) as usize * SLOT;
        bytes[at] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let err = IdIndex::lookup(&path, b"x").unwrap_err().to_string();
        let block = format!("block {} of its slots", at / BLOCK);
        assert!(err.contains(&format!("{block} does not match")), "{err}");
        let idx = IdIndex::open(&path).unwrap();
        assert!(
            idx.replaced().unwrap().contains(&block),
            "{:?}",
            idx.replaced()
        );
        assert_eq!(
            (idx.len(), idx.covered()),
            (0, 0),
            "to be filled from the log"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        /// Whatever byte changes, the table opened either is replaced or
        /// answers exactly as before (a changed checksum of a pair's other
        /// half changes nothing).
        #[test]
        fn a_changed_byte_never_changes_an_answer(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ids.idx");
            let mut bytes = saved().1.clone();
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
            fs::write(&path, &bytes).unwrap();
            let idx = IdIndex::open(&path).unwrap();
            if idx.replaced().is_none() {
                prop_assert_eq!((idx.len(), idx.covered(), idx.is_clean()), (3000, 3000, true));
                for leaf in 0..3000u64 {
                    prop_assert_eq!(idx.get(&fp_of(&leaf.to_le_bytes())), Some(leaf));
                }
            }
        }
    }

    #[test]
    fn recovery_drops_slots_beyond_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.idx");
        let mut idx = IdIndex::open(&path).unwrap();
        idx.begin().unwrap();
        for i in 0..100u64 {
            idx.insert(fp_of(&i.to_le_bytes()), i).unwrap();
        }
        idx.sync(50, false).unwrap();
        drop(idx); // crashed: only 60 entries became durable in the log
        let mut idx = IdIndex::open(&path).unwrap();
        assert!(!idx.is_clean());
        idx.recover(60).unwrap();
        assert_eq!(idx.covered(), 50);
        assert_eq!(idx.len(), 60);
        assert_eq!(idx.get(&fp_of(&59u64.to_le_bytes())), Some(59));
        assert_eq!(idx.get(&fp_of(&60u64.to_le_bytes())), None);
    }

    proptest! {
        /// The table behaves like a map from fingerprint to first leaf.
        #[test]
        fn behaves_like_a_map(keys in proptest::collection::vec(0u32..5000, 1..3000)) {
            let dir = tempfile::tempdir().unwrap();
            let mut idx = IdIndex::open(&dir.path().join("i")).unwrap();
            let mut model: HashMap<u32, u64> = HashMap::new();
            for (leaf, k) in keys.iter().enumerate() {
                let got = idx.insert(fp_of(&k.to_le_bytes()), leaf as u64).unwrap();
                prop_assert_eq!(got, model.get(k).copied());
                model.entry(*k).or_insert(leaf as u64);
            }
            prop_assert_eq!(idx.len(), model.len() as u64);
            for (k, leaf) in &model {
                prop_assert_eq!(idx.get(&fp_of(&k.to_le_bytes())), Some(*leaf));
            }
        }
    }
}
