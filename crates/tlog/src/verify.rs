//! Full re-verification of a log directory, offline, with only the public key:
//! every entry re-hashed, every tile rebuilt and compared with the stored one,
//! the root compared with the signed checkpoint.

use crate::error::LogError;
use crate::hash::{leaf_hash, Hash};
use crate::log::{read_history, Edge, HISTORY};
use crate::note::NoteVerifier;
use crate::reader::read_checkpoint;
use crate::tile::{self, Level, TileId, WIDTH};
use std::fs;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Checkpoint(LogError),
    #[error("{path} is missing (needed for tree size {size})")]
    Missing { path: String, size: u64 },
    #[error("{path} is unreadable: {why}")]
    Unreadable { path: String, why: String },
    #[error("entry {index} in {bundle} was altered: it does not hash to hash {pos} of {tile}, and the entries no longer produce the signed root")]
    EntryAltered {
        index: u64,
        bundle: String,
        tile: String,
        pos: u64,
    },
    #[error("{path} was altered: its hash {pos} differs from the one rebuilt from the entries (which match the signed checkpoint)")]
    TileAltered { path: String, pos: u64 },
    #[error("the entries and tiles agree with each other but not with the signed checkpoint: root {found}, signed {signed}")]
    RootMismatch { found: Hash, signed: Hash },
    #[error("the log was rewritten behind a checkpoint it signed earlier ({HISTORY}): its first {size} entries hash to {found}, but that checkpoint signed {signed}")]
    Rewritten {
        size: u64,
        found: Hash,
        signed: Hash,
    },
    #[error("{HISTORY}: {0}")]
    History(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    pub size: u64,
    pub root: Hash,
    pub tiles: u64,
    /// Checkpoints in the history that the current log was shown to extend.
    pub history: u64,
}

/// The first place where a stored tile disagrees with the rebuilt one.
struct Mismatch {
    tile: TileId,
    pos: u64,
}

struct Checker<'a> {
    dir: &'a Path,
    size: u64,
    tiles: u64,
    first_mismatch: Option<Mismatch>,
    /// An older partial bundle that is not a prefix of the current one.
    older_bundle: Option<VerifyError>,
}

impl Checker<'_> {
    fn read(&self, t: TileId) -> Result<Vec<u8>, VerifyError> {
        fs::read(self.dir.join(t.path())).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VerifyError::Missing {
                path: t.path(),
                size: self.size,
            },
            _ => VerifyError::Unreadable {
                path: t.path(),
                why: e.to_string(),
            },
        })
    }

    /// Compares a stored tile with the rebuilt hashes (a prefix of them for
    /// narrower partial tiles) and remembers the first difference.
    fn compare(&mut self, t: TileId, rebuilt: &[Hash]) -> Result<(), VerifyError> {
        let stored = self.read(t)?;
        self.tiles += 1;
        let want = tile::encode_hashes(&rebuilt[..t.width as usize]);
        if stored != want && self.first_mismatch.is_none() {
            let pos = stored
                .chunks(32)
                .zip(want.chunks(32))
                .position(|(a, b)| a != b)
                .unwrap_or(stored.len().min(want.len()) / 32) as u64;
            self.first_mismatch = Some(Mismatch { tile: t, pos });
        }
        Ok(())
    }

    /// The narrower partial versions of a tile, kept for older checkpoints
    /// (each must be a prefix of the current one).
    fn older_partials(&self, t: TileId) -> Vec<TileId> {
        let Ok(rd) = fs::read_dir(self.dir.join(t.partial_dir())) else {
            return Vec::new();
        };
        let mut widths: Vec<u64> = rd
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        widths.sort_unstable();
        widths
            .into_iter()
            .filter(|&w| w > 0 && w < t.width)
            .map(|w| TileId { width: w, ..t })
            .collect()
    }

    /// An older partial bundle must be the first `width` entries of the current one.
    fn compare_bundle_prefix(
        &mut self,
        t: TileId,
        current: &[u8],
        ends: &[usize],
    ) -> Result<(), VerifyError> {
        let stored = self.read(t)?;
        self.tiles += 1;
        let want = &current[..ends[t.width as usize - 1]];
        if stored != want && self.older_bundle.is_none() {
            let why = match stored.iter().zip(want).position(|(a, b)| a != b) {
                Some(p) => format!(
                    "differs at byte {p} from the first {} entries of the current bundle",
                    t.width
                ),
                None => format!(
                    "is {} bytes, the first {} entries of the current bundle are {}",
                    stored.len(),
                    t.width,
                    want.len()
                ),
            };
            self.older_bundle = Some(VerifyError::Unreadable {
                path: t.path(),
                why,
            });
        }
        Ok(())
    }
}

/// Verifies the log in `dir` against `verifier`'s key.
pub fn verify_dir(dir: &Path, verifier: &NoteVerifier) -> Result<VerifySummary, VerifyError> {
    let (cp, _) = read_checkpoint(dir, verifier).map_err(VerifyError::Checkpoint)?;
    // Every checkpoint ever signed must be a prefix of the current tree.
    let history = read_history(dir, verifier).map_err(|e| VerifyError::History(e.to_string()))?;
    if let Some((c, _)) = history.iter().find(|(c, _)| c.size > cp.size) {
        return Err(VerifyError::History(format!(
            "holds a checkpoint of size {} beyond the current size {}: the log was truncated",
            c.size, cp.size
        )));
    }
    let mut olds: Vec<(u64, Hash)> = history.iter().map(|(c, _)| (c.size, c.root)).collect();
    olds.sort_by_key(|o| o.0);
    let mut olds = olds.into_iter().peekable();
    let mut shown = 0u64;
    // Reported only if no altered entry or tile explains it better.
    let mut rewritten = None;
    let mut check_olds = |edge: &Edge| {
        while let Some(&(size, signed)) = olds.peek().filter(|o| o.0 == edge.size) {
            let found = edge.root();
            if found != signed && rewritten.is_none() {
                rewritten = Some(VerifyError::Rewritten {
                    size,
                    found,
                    signed,
                });
            }
            shown += 1;
            olds.next();
        }
    };
    let mut checker = Checker {
        dir,
        size: cp.size,
        tiles: 0,
        first_mismatch: None,
        older_bundle: None,
    };
    let mut edge = Edge::default();
    check_olds(&edge);
    let bundles = cp.size.div_ceil(WIDTH);
    for b in 0..bundles {
        let t = tile::tile_in_tree(Level::Entries, b, cp.size).expect("bundle within size");
        let data = checker.read(t)?;
        checker.tiles += 1;
        let entries =
            tile::decode_bundle(&data, t.width).map_err(|why| VerifyError::Unreadable {
                path: t.path(),
                why,
            })?;
        let mut ends = Vec::with_capacity(entries.len());
        for e in entries {
            ends.push(e.as_ptr() as usize - data.as_ptr() as usize + e.len());
            edge.push(leaf_hash(e), |full, hashes| {
                checker.compare(full, hashes)?;
                // Partials kept from before the tile filled.
                for older in checker.older_partials(full) {
                    checker.compare(older, hashes)?;
                }
                Ok(())
            })?;
            check_olds(&edge);
        }
        for older in checker.older_partials(t) {
            checker.compare_bundle_prefix(older, &data, &ends)?;
        }
    }
    let partials: Vec<(TileId, Vec<Hash>)> =
        edge.partials().map(|(t, h)| (t, h.to_vec())).collect();
    for (t, hashes) in &partials {
        checker.compare(*t, hashes)?;
        for older in checker.older_partials(*t) {
            checker.compare(older, hashes)?;
        }
    }
    let root = edge.root();
    match checker.first_mismatch {
        None if root == cp.root => match rewritten.or(checker.older_bundle) {
            Some(e) => Err(e),
            None => Ok(VerifySummary {
                size: cp.size,
                root,
                tiles: checker.tiles,
                history: shown,
            }),
        },
        None => Err(VerifyError::RootMismatch {
            found: root,
            signed: cp.root,
        }),
        Some(m) if root == cp.root => Err(VerifyError::TileAltered {
            path: m.tile.path(),
            pos: m.pos,
        }),
        Some(m) => {
            if m.tile.level == Level::Hashes(0) {
                let index = m.tile.index * WIDTH + m.pos;
                let bundle = tile::tile_in_tree(Level::Entries, m.tile.index, cp.size)
                    .expect("bundle of a level-0 tile");
                Err(VerifyError::EntryAltered {
                    index,
                    bundle: bundle.path(),
                    tile: m.tile.path(),
                    pos: m.pos,
                })
            } else {
                Err(VerifyError::TileAltered {
                    path: m.tile.path(),
                    pos: m.pos,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Entry, Log};
    use crate::note::NoteSigner;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn signer() -> NoteSigner {
        NoteSigner::new("test.example/log", [3; 32]).unwrap()
    }

    /// A log of 66,000 entries in uneven batches: full and partial tiles at
    /// levels 0–2, full and partial bundles, and older partials kept for
    /// older checkpoints.
    fn build() -> (tempfile::TempDir, Vec<String>) {
        static TEMPLATE: std::sync::OnceLock<(tempfile::TempDir, Vec<String>)> =
            std::sync::OnceLock::new();
        let (template, files) = TEMPLATE.get_or_init(build_template);
        let dir = tempfile::tempdir().unwrap();
        for f in ["checkpoint", HISTORY] {
            fs::copy(template.path().join(f), dir.path().join(f)).unwrap();
        }
        for f in files {
            let to = dir.path().join(f);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(template.path().join(f), to).unwrap();
        }
        (dir, files.clone())
    }

    fn build_template() -> (tempfile::TempDir, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), signer()).unwrap();
        let mut n = 0u64;
        for batch in [100u64, 200, 65_536, 150, 14] {
            for _ in 0..batch {
                log.append(&Entry::new(format!("{{\"n\":{n}}}").into_bytes()).unwrap())
                    .unwrap();
                n += 1;
            }
            log.commit().unwrap();
        }
        let mut files = Vec::new();
        collect(dir.path(), &dir.path().join("tile"), &mut files);
        files.sort();
        (dir, files)
    }

    fn collect(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(d).unwrap() {
            let p: PathBuf = e.unwrap().path();
            if p.is_dir() {
                collect(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_str().unwrap().to_string());
            }
        }
    }

    #[test]
    fn untouched_log_verifies() {
        let (dir, files) = build();
        let s = verify_dir(dir.path(), &signer().verifier()).unwrap();
        assert_eq!(s.size, 66_000);
        assert!(
            files.iter().any(|f| f.contains(".p/")),
            "older partials exist: {files:?}"
        );
        assert_eq!(
            s.tiles as usize,
            files.len(),
            "every stored file was checked"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn any_changed_byte_is_caught_and_located(file_pick in any::<prop::sample::Index>(), pos_pick in any::<prop::sample::Index>(), xor in 1u8..=255) {
            let (dir, files) = build();
            let rel = &files[file_pick.index(files.len())];
            let path = dir.path().join(rel);
            let mut data = fs::read(&path).unwrap();
            let pos = pos_pick.index(data.len());
            data[pos] ^= xor;
            fs::write(&path, &data).unwrap();
            let err = verify_dir(dir.path(), &signer().verifier()).unwrap_err().to_string();
            prop_assert!(err.contains(rel.as_str()), "changing byte {} of {} gave: {}", pos, rel, err);
        }
    }

    #[test]
    fn a_log_rewritten_behind_an_old_checkpoint_is_caught() {
        // Rewrite history: a fresh log with different early entries, signed
        // by the same key, keeps the old history file.
        let (dir, _) = build();
        let history = fs::read(dir.path().join(HISTORY)).unwrap();
        let other = tempfile::tempdir().unwrap();
        let mut log = Log::open(other.path(), signer()).unwrap();
        for n in 0..66_000u64 {
            let data = if n == 150 {
                b"forged".to_vec()
            } else {
                format!("{{\"n\":{n}}}").into_bytes()
            };
            log.append(&Entry::new(data).unwrap()).unwrap();
        }
        log.commit().unwrap();
        fs::write(other.path().join(HISTORY), history).unwrap();
        let err = verify_dir(other.path(), &signer().verifier()).unwrap_err();
        assert!(
            matches!(err, VerifyError::Rewritten { size: 300, .. }),
            "{err}"
        );
        assert!(
            verify_dir(dir.path(), &signer().verifier())
                .unwrap()
                .history
                >= 5
        );
    }

    #[test]
    fn a_changed_checkpoint_is_caught() {
        let (dir, _) = build();
        let p = dir.path().join("checkpoint");
        let s = fs::read_to_string(&p).unwrap().replace("66000", "66001");
        fs::write(&p, s).unwrap();
        let err = verify_dir(dir.path(), &signer().verifier())
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not verify"), "{err}");
    }
}
