//! Evidence anyone can check offline: inclusion bundles for one event,
//! evidence packages for a session, order or product, and consistency
//! proofs between signed checkpoints.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tlog::bundle::{self, BundleEntry};
use tlog::proof;
use tlog::{LogReader, TileHashes};

/// Reads the entries at `leaves` (sorted), one bundle file per 256 leaves.
fn read_entries(reader: &LogReader, leaves: &[u64]) -> Result<Vec<BundleEntry>> {
    let mut bundles: Vec<u64> = leaves.iter().map(|l| l / 256).collect();
    bundles.dedup();
    let mut out = Vec::with_capacity(leaves.len());
    let mut wanted = leaves.iter().peekable();
    reader.for_each_bundle(&bundles, |b, entries| {
        while let Some(&&l) = wanted.peek().filter(|&&&l| l / 256 == b) {
            if let Some(data) = entries.get((l % 256) as usize) {
                out.push(BundleEntry {
                    leaf: l,
                    data: data.to_vec(),
                });
            }
            wanted.next();
        }
    })?;
    if out.len() < leaves.len() {
        let missing = leaves.iter().find(|l| !out.iter().any(|e| e.leaf == **l));
        let l = missing.copied().unwrap_or_default();
        return Err(Error::NotFound(format!("leaf {l} is beyond the log")));
    }
    Ok(out)
}

/// The leaf of the event `id` within the signed checkpoint. The id index
/// says where to look, the entry there must carry the id, and what the
/// index cannot vouch for (past what it covers, or all of the log when it
/// was mid-write or is unreadable) is scanned.
///
/// `hint` asks a writer's index in memory (a service writes its index file
/// back only now and then) when the file cannot vouch: its answer is
/// checked the same way.
fn find(
    dir: &DataDir,
    reader: &LogReader,
    id: &str,
    hint: &dyn Fn() -> Option<u64>,
) -> Result<Option<u64>> {
    let size = reader.size();
    let is_it = |leaf: u64| -> Result<bool> {
        let entry = read_entries(reader, &[leaf])?;
        Ok(entry
            .first()
            .and_then(|e| events::stored_head(&e.data).ok())
            .is_some_and(|h| h.id == id))
    };
    let scan_from = match store::IdIndex::lookup(&dir.id_index_path(), id.as_bytes()) {
        Ok(Some(l)) => {
            if let Some(leaf) = l.leaf.filter(|&leaf| leaf < size) {
                if is_it(leaf)? {
                    return Ok(Some(leaf));
                }
            }
            if l.clean && l.leaf.is_none() {
                l.covered.min(size)
            } else {
                0
            }
        }
        Ok(None) | Err(_) => 0,
    };
    if let Some(leaf) = hint().filter(|&leaf| leaf < size) {
        if is_it(leaf)? {
            return Ok(Some(leaf));
        }
    }
    let mut found = None;
    reader.for_each_entry(scan_from, size, |leaf, bytes| {
        if found.is_none() && events::stored_head(bytes).is_ok_and(|h| h.id == id) {
            found = Some(leaf);
        }
        Ok(())
    })?;
    Ok(found)
}

/// `prove EVENT_ID`: the inclusion bundle of one event.
pub fn prove(dir: &DataDir, event_id: &str) -> Result<Value> {
    Ok(prove_event(dir, event_id, &|| None)?.0)
}

/// The inclusion bundle of one event, and the event (to decide who may
/// see it); `hint` as for [`find`].
pub fn prove_event(
    dir: &DataDir,
    event_id: &str,
    hint: &dyn Fn() -> Option<u64>,
) -> Result<(Value, events::Event)> {
    let reader = dir.reader()?;
    let leaf = find(dir, &reader, event_id, hint)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no event with id {event_id:?} in the log at size {}",
            reader.size()
        ))
    })?;
    let entry = read_entries(&reader, &[leaf])?.remove(0);
    let event = events::parse_stored(&entry.data).map_err(|r| {
        tlog::LogError::Corrupt(format!(
            "log entry {leaf} is not a valid event: {}",
            r.reason
        ))
    })?;
    let proof = proof::inclusion(&TileHashes::new(&reader), leaf, reader.size())?;
    let bundle = bundle::inclusion_bundle(
        &entry,
        &proof,
        reader.checkpoint(),
        reader.note(),
        &dir.verifier()?,
    );
    Ok((bundle, event))
}

/// What an evidence package is about.
pub enum Subject {
    Session(String),
    Order(String),
    Product(String),
}

impl Subject {
    /// The key and id as they appear in a stored (canonical) event.
    fn needle(&self) -> Vec<u8> {
        let (key, id) = match self {
            Subject::Session(id) => ("session", id),
            Subject::Order(id) => ("order", id),
            Subject::Product(id) => ("product", id),
        };
        let mut out = format!("\"{key}\":").into_bytes();
        events::canonical::write_str(id, &mut out);
        out
    }

    /// Whether `event` is about this subject.
    fn covers(&self, event: &events::Event) -> bool {
        let b = &event.body;
        match self {
            Subject::Session(id) => b.session().is_some_and(|s| s.0 == *id),
            Subject::Order(id) => b.order().is_some_and(|o| o.0 == *id),
            Subject::Product(id) => b.product().is_some_and(|p| p.0 == *id),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Subject::Session(s) => json!({ "session": s }),
            Subject::Order(o) => json!({ "order": o }),
            Subject::Product(p) => json!({ "product": p }),
        }
    }
}

/// `export --session|--order|--product ID`: every event about it, with one
/// multi-leaf proof against the latest checkpoint.
///
/// The events are found by scanning the log: an entry bundle that does not
/// hold the subject's key and id, as canonical JSON writes them, is passed
/// over undecoded (a byte search); the events of the others are parsed and
/// kept if they are about the subject. No derived index can then leave an
/// event out.
pub fn export(dir: &DataDir, subject: &Subject) -> Result<Value> {
    let reader = dir.reader()?;
    let needle = subject.needle();
    let finder = memchr::memmem::Finder::new(&needle);
    let mut entries = Vec::new();
    reader.for_each_entry_in(
        0,
        reader.size(),
        |bundle| finder.find(bundle).is_some(),
        |leaf, data| {
            if finder.find(data).is_none() {
                return Ok(());
            }
            let event = events::parse_stored(data).map_err(|r| {
                tlog::LogError::Corrupt(format!(
                    "log entry {leaf} is not a valid event: {}",
                    r.reason
                ))
            })?;
            if subject.covers(&event) {
                entries.push(BundleEntry {
                    leaf,
                    data: data.to_vec(),
                });
            }
            Ok(())
        },
    )?;
    let subject_json = subject.to_json();
    if entries.is_empty() {
        return Err(Error::NotFound(format!(
            "no events about {subject_json} in the log"
        )));
    }
    let leaves: Vec<u64> = entries.iter().map(|e| e.leaf).collect();
    let proof = proof::multi(&TileHashes::new(&reader), &leaves, reader.size())?;
    Ok(bundle::evidence_bundle(
        subject_json,
        &entries,
        &proof,
        reader.checkpoint(),
        reader.note(),
        &dir.verifier()?,
    ))
}

/// `consistency OLD [NEW]`: an RFC 9162 consistency proof between two
/// checkpoints the log signed, checked against their signed roots.
pub fn consistency(dir: &DataDir, old: u64, new: Option<u64>) -> Result<Value> {
    let reader = dir.reader()?;
    let verifier = dir.verifier()?;
    let history = tlog::read_history(&dir.log_dir(), &verifier)?;
    let new = new.unwrap_or(reader.size());
    let find = |size: u64| {
        history
            .iter()
            .rev()
            .find(|(c, _)| c.size == size)
            .cloned()
            .ok_or_else(|| {
                let sizes: Vec<String> = history.iter().map(|(c, _)| c.size.to_string()).collect();
                Error::NotFound(format!(
                    "the log never signed a checkpoint of size {size}; signed sizes: {}",
                    sizes.join(", ")
                ))
            })
    };
    let (old_cp, old_note) = find(old)?;
    let (new_cp, new_note) = find(new)?;
    if new > reader.size() {
        return Err(Error::Invalid(format!(
            "size {new} is beyond the current log ({})",
            reader.size()
        )));
    }
    // Proofs for any size up to the current one come from the current tiles.
    let proof = proof::consistency(&TileHashes::new(&reader), old, new)?;
    let ok = proof::verify_consistency(old, new, &old_cp.root, &new_cp.root, &proof);
    Ok(json!({
        "old_size": old,
        "new_size": new,
        "old_root": old_cp.root.to_hex(),
        "new_root": new_cp.root.to_hex(),
        "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        "old_checkpoint": old_note,
        "new_checkpoint": new_note,
        "ok": ok.is_ok(),
        "error": ok.err().map(|e| e.to_string()),
    }))
}
