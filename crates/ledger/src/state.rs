//! The analysis state, kept level with the log through snapshots.
//!
//! Answering a question means feeding every event to an analyzer; at tens
//! of millions of events that is a minute of parsing. The analyzer's
//! [`State`] does not depend on the rules it is judged by, so it can be
//! kept: a snapshot saves it together with the checkpoint it reflects (tree
//! size and root hash). Opening loads the snapshot and replays only the
//! log's tail past it.
//!
//! A snapshot is derived state and is never trusted silently. It is used
//! only when its header, format version and SHA-256 check out and its
//! (size, root) is a checkpoint this log signed (the current one, or one in
//! its checkpoint history); anything else — another log's snapshot, a log
//! rolled back, a torn or altered file, an older format — is set aside and
//! the state is rebuilt from the log. A snapshot is written to a temporary
//! file, fsynced and renamed, so a crash leaves the old one or the new one.
//!
//! The sessions' crowds (who watched: by far the largest part) are stored
//! after the rest, the core, so that an answer that needs no crowd —
//! cases, products, the listing gate — reads the core alone.
//!
//! File layout (`DATA/state/analysis.snap`), integers little-endian:
//! ```text
//! magic "LLSTATE\0" | format u32 | size u64 | root [32] | core length u64 | crowds length u64
//! | crowds sha256 [32] | sha256 of all before it and the core [32] | core | crowds
//! ```
//! Core and crowds are postcard.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use analysis::state::State;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tlog::{Hash, LogReader};

const MAGIC: &[u8; 8] = b"LLSTATE\0";
/// Bumped whenever [`State`]'s serialised layout changes (a test pins it).
pub const FORMAT: u32 = 6;
/// Magic, format, size, root, the two lengths, the crowds' SHA-256, then
/// the SHA-256 of all that and the core.
const HEADER: usize = 8 + 4 + 8 + 32 + 8 + 8 + 32 + 32;

/// How much of the state to read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Everything but the sessions' crowds: enough for cases, products and
    /// the listing gate, and a small fraction of the whole.
    Core,
    /// Everything: for session reports and for feeding more events.
    Whole,
}

/// Where a snapshot stands: the checkpoint it reflects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub size: u64,
    pub root: Hash,
}

/// Why a snapshot was not used (it is then rebuilt from the log).
#[derive(Debug, PartialEq, Eq)]
pub enum Unusable {
    Missing,
    /// Not a snapshot, a torn one, or one whose payload does not match its checksum.
    Damaged(String),
    /// Written by another version of liveledger.
    OtherFormat(u32),
    /// Its checkpoint is not one this log signed: another log's, or a log
    /// since rolled back or rewritten.
    Foreign {
        size: u64,
    },
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Missing => f.write_str("no snapshot"),
            Unusable::Damaged(why) => write!(f, "damaged snapshot: {why}"),
            Unusable::OtherFormat(v) => write!(f, "snapshot of format {v}, not {FORMAT}"),
            Unusable::Foreign { size } => write!(
                f,
                "snapshot at size {size} is not of a checkpoint this log signed"
            ),
        }
    }
}

pub fn path(dir: &DataDir) -> PathBuf {
    dir.root.join("state").join("analysis.snap")
}

/// Encodes `state` as it stands at `at`.
pub fn encode(state: &State, at: At) -> Result<Vec<u8>> {
    let failed =
        |e: postcard::Error| Error::Invalid(format!("cannot encode the analysis state: {e}"));
    let core = postcard::to_stdvec(state).map_err(failed)?;
    let crowds = postcard::to_stdvec(&state.crowds()).map_err(failed)?;
    let mut out = Vec::with_capacity(HEADER + core.len() + crowds.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&at.size.to_le_bytes());
    out.extend_from_slice(&at.root.0);
    out.extend_from_slice(&(core.len() as u64).to_le_bytes());
    out.extend_from_slice(&(crowds.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&crowds));
    let digest = sha256(&[&out, &core]);
    out.extend_from_slice(&digest);
    out.extend_from_slice(&core);
    out.extend_from_slice(&crowds);
    Ok(out)
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A snapshot's header, checked for what it can say by itself.
struct Header {
    at: At,
    core_len: usize,
    crowds_len: usize,
}

fn header(bytes: &[u8]) -> Result<Header, Unusable> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(Unusable::Damaged("no snapshot header".into()));
    }
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("in the header"));
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("in the header"));
    if format != FORMAT {
        return Err(Unusable::OtherFormat(format));
    }
    let len = |i: usize| {
        usize::try_from(u64_at(i)).map_err(|_| Unusable::Damaged("impossible length".into()))
    };
    Ok(Header {
        at: At {
            size: u64_at(12),
            root: Hash(bytes[20..52].try_into().expect("in the header")),
        },
        core_len: len(52)?,
        crowds_len: len(60)?,
    })
}

/// Decodes a snapshot — the core, and the crowds too for [`Part::Whole`] —
/// checking its header and checksums (not yet whether its checkpoint
/// belongs to a log: see [`load`]). `bytes` may end after the core when
/// only the core is wanted.
pub fn decode(bytes: &[u8], part: Part) -> Result<(State, At), Unusable> {
    let damaged = |why: String| Unusable::Damaged(why);
    let h = header(bytes)?;
    let core_end = HEADER
        .checked_add(h.core_len)
        .ok_or_else(|| damaged("impossible length".into()))?;
    let core = bytes
        .get(HEADER..core_end)
        .ok_or_else(|| damaged(format!("cut short before {core_end} bytes")))?;
    if sha256(&[&bytes[..HEADER - 32], core])[..] != bytes[HEADER - 32..HEADER] {
        return Err(damaged("it does not match its SHA-256".into()));
    }
    let mut state: State = postcard::from_bytes(core)
        .map_err(|e| damaged(format!("its core does not decode: {e}")))?;
    if state.events() != h.at.size {
        return Err(damaged(format!(
            "it holds {} events, its header says {}",
            state.events(),
            h.at.size
        )));
    }
    if part == Part::Whole {
        let crowds = &bytes[core_end..];
        if crowds.len() != h.crowds_len || Sha256::digest(crowds)[..] != bytes[68..100] {
            return Err(damaged("its crowds do not match their SHA-256".into()));
        }
        let crowds = postcard::from_bytes(crowds)
            .map_err(|e| damaged(format!("its crowds do not decode: {e}")))?;
        state
            .set_crowds(crowds)
            .map_err(|n| damaged(format!("its crowds are not one for each of {n} sessions")))?;
    }
    Ok((state, h.at))
}

/// The snapshot in `dir`, if it is usable for the log `reader` reads:
/// the state (`part` of it) and the log size it covers; otherwise why not.
pub fn load(
    dir: &DataDir,
    reader: &LogReader,
    part: Part,
) -> Result<std::result::Result<(State, u64), Unusable>> {
    let p = path(dir);
    let bytes = match read(&p, part) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Err(Unusable::Missing)),
        Err(e) => return Err(Error::io("reading", &p)(e)),
    };
    let (state, at) = match decode(&bytes, part) {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    if !signed(dir, reader, at)? {
        return Ok(Err(Unusable::Foreign { size: at.size }));
    }
    Ok(Ok((state, at.size)))
}

/// The snapshot's bytes: all of them, or the header and the core only.
fn read(p: &Path, part: Part) -> std::io::Result<Vec<u8>> {
    if part == Part::Whole {
        return fs::read(p);
    }
    let mut f = File::open(p)?;
    let mut bytes = vec![0u8; HEADER];
    let n = f.read(&mut bytes)?;
    bytes.truncate(n);
    // A damaged header is reported by `decode`; read no further.
    if let Ok(h) = header(&bytes) {
        if n == HEADER {
            let mut core = Vec::new();
            f.take(h.core_len as u64).read_to_end(&mut core)?;
            bytes.extend_from_slice(&core);
        }
    }
    Ok(bytes)
}

/// Whether `at` is a checkpoint of the log `reader` reads: the current
/// one, or one in its (verified) checkpoint history.
fn signed(dir: &DataDir, reader: &LogReader, at: At) -> Result<bool> {
    let cp = reader.checkpoint();
    if at.size == cp.size {
        return Ok(at.root == cp.root);
    }
    if at.size > cp.size {
        return Ok(false);
    }
    let history = tlog::read_history(&dir.log_dir(), &dir.verifier()?)?;
    Ok(history
        .iter()
        .any(|(c, _)| c.size == at.size && c.root == at.root))
}

/// Saves `state` as it stands at `at`.
pub fn save(dir: &DataDir, state: &State, at: At) -> Result<()> {
    write_atomically(&path(dir), &encode(state, at)?)
}

/// Writes `bytes` to `final_path` so that a crash leaves the old file or
/// the new one: a temporary file, fsynced, renamed over it, the directory
/// fsynced.
pub(crate) fn write_atomically(final_path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = final_path
        .parent()
        .expect("derived state is in a directory");
    fs::create_dir_all(parent).map_err(Error::io("creating", parent))?;
    let mut tmp = final_path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(Error::io("creating", &tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(Error::io("writing", &tmp))?;
    fs::rename(&tmp, final_path).map_err(Error::io("renaming", &tmp))?;
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("syncing", parent))?;
    Ok(())
}

/// Removes the snapshot (for `rebuild`).
pub fn remove(dir: &DataDir) -> Result<()> {
    match fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("removing", &path(dir))(e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::case::CaseAnswer;
    use crate::answer::product::ProductAnswer;
    use crate::answer::session::SessionAnswer;
    use analysis::{Analyzer, Rules};
    use events::Event;
    use proptest::prelude::*;
    use sim::Scenario;

    fn simulated(scenarios: &[Scenario], seed: u64) -> Vec<Event> {
        let mut buf = Vec::new();
        let cfg = sim::Config {
            scenarios: scenarios.to_vec(),
            scale: 0.0002,
            seed,
            session: None,
            knobs: Default::default(),
        };
        sim::simulate(&cfg, &mut buf).expect("simulate");
        buf.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| events::prepare(l, None).expect("valid").event)
            .collect()
    }

    /// Every answer the analyzer gives, as JSON (leaves stand for event ids).
    fn answers_of(an: &Analyzer, sessions: bool) -> serde_json::Value {
        let ids = |l: u64| Some(l.to_string());
        let now = chrono::DateTime::parse_from_rfc3339("2021-01-01T00:00:00+08:00").unwrap();
        let day = now.date_naive();
        let sessions: Vec<_> = an
            .session_ids()
            .filter(|_| sessions)
            .map(|s| SessionAnswer::new(&an.session_report(&s.0).unwrap(), &ids))
            .collect();
        let products: Vec<_> = an
            .product_ids()
            .into_iter()
            .map(|p| ProductAnswer::new(&an.product_report(p, day).unwrap(), &ids))
            .collect();
        let cases: Vec<_> = an
            .cases(now)
            .iter()
            .map(|c| CaseAnswer::new(c, &ids))
            .collect();
        serde_json::json!({"sessions": sessions, "products": products, "cases": cases})
    }

    fn at(size: u64) -> At {
        At {
            size,
            root: Hash([7; 32]),
        }
    }

    /// What needs no crowd: cases and products.
    fn core_answers(an: &Analyzer) -> serde_json::Value {
        let mut v = answers_of(an, false);
        v["sessions"] = serde_json::Value::Null;
        v
    }

    fn answers(an: &Analyzer) -> serde_json::Value {
        answers_of(an, true)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Snapshot at any point, decode, feed the rest: the same answers
        /// as feeding everything, in any order of arrival.
        #[test]
        fn snapshot_and_tail_answer_as_a_full_replay(
            seed in 1u64..1000,
            cut in 0.0f64..=1.0,
            shuffle in any::<u64>(),
        ) {
            let events = simulated(
                &[Scenario::BotFarm, Scenario::BrushingRing, Scenario::FalseClaims, Scenario::AfterSales],
                seed,
            );
            // Events may arrive in any order; leaves follow arrival.
            let mut order: Vec<usize> = (0..events.len()).collect();
            let mut rng = shuffle;
            for i in (1..order.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                order.swap(i, (rng >> 33) as usize % (i + 1));
            }
            let k = (cut * order.len() as f64) as usize;
            let mut full = Analyzer::new(Rules::default());
            let mut first = Analyzer::new(Rules::default());
            for (leaf, &i) in order.iter().enumerate() {
                full.observe(leaf as u64, &events[i]);
                if leaf < k {
                    first.observe(leaf as u64, &events[i]);
                }
            }
            let bytes = encode(first.state(), at(k as u64)).unwrap();
            let (state, a) = decode(&bytes, Part::Whole).unwrap();
            prop_assert_eq!(a, at(k as u64));
            let mut resumed = Analyzer::with_state(state, Rules::default());
            for (leaf, &i) in order.iter().enumerate().skip(k) {
                resumed.observe(leaf as u64, &events[i]);
            }
            prop_assert_eq!(answers(&full), answers(&resumed));
            // The core alone, read back from a snapshot of everything,
            // answers what needs no crowd as the whole does.
            let all = encode(full.state(), at(order.len() as u64)).unwrap();
            let (core, _) = decode(&all, Part::Core).unwrap();
            prop_assert!(!core.has_crowds());
            let core = Analyzer::with_state(core, Rules::default());
            prop_assert_eq!(core_answers(&full), core_answers(&core));
        }
    }

    #[test]
    fn a_damaged_or_foreign_format_snapshot_is_never_decoded() {
        let mut an = Analyzer::new(Rules::default());
        for (leaf, e) in simulated(&[Scenario::Clean], 3).iter().enumerate() {
            an.observe(leaf as u64, e);
        }
        let n = an.events();
        let good = encode(an.state(), at(n)).unwrap();
        assert!(decode(&good, Part::Whole).is_ok());
        // Any byte flipped, anywhere: header, checksum or payload.
        for i in [
            0,
            9,
            13,
            30,
            55,
            70,
            HEADER + 1,
            good.len() / 2,
            good.len() - 1,
        ] {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            assert!(
                decode(&bad, Part::Whole).is_err(),
                "byte {i} flipped was not noticed"
            );
        }
        // Torn by a crash mid-write (no rename, but a copy, say).
        for len in [0, 5, HEADER, good.len() - 1] {
            assert!(matches!(
                decode(&good[..len], Part::Whole),
                Err(Unusable::Damaged(_))
            ));
        }
        // A header that says another size than the state holds.
        let wrong = encode(an.state(), at(n + 1)).unwrap();
        assert!(matches!(
            decode(&wrong, Part::Core),
            Err(Unusable::Damaged(_))
        ));
        let mut other = good.clone();
        other[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        assert_eq!(
            decode(&other, Part::Whole).err(),
            Some(Unusable::OtherFormat(FORMAT + 1))
        );
    }

    /// The state's encoding, pinned: if this fails, the state's layout or
    /// what it keeps changed, and old snapshots must not be read as new
    /// ones. Bump [`FORMAT`] and update the pin.
    #[test]
    fn the_state_format_is_pinned() {
        let mut an = Analyzer::new(Rules::default());
        // The scenarios there were when the pin was taken (the input must
        // not move the pin; new scenarios are covered by other tests).
        for (leaf, e) in simulated(&Scenario::ALL.map(|(_, s)| s)[..7], 9)
            .iter()
            .enumerate()
        {
            an.observe(leaf as u64, e);
        }
        let payload = encode(an.state(), at(an.events())).unwrap();
        let payload = &payload[HEADER..];
        let digest: String = Sha256::digest(payload)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            (FORMAT, digest.as_str()),
            (
                6,
                "eafc0241e9d1bd728c07ff3db8aaec3ad130a0954dedf970f5e632dff6318b05"
            ),
            "the analysis state's encoding changed: bump state::FORMAT"
        );
    }
}
