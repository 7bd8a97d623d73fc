//! Offline-verifiable bundles: entries, a proof, the signed checkpoint and
//! the log's public key, in one JSON document that needs nothing else.
//!
//! - inclusion bundle (`prove`): one entry and its RFC 9162 inclusion proof;
//! - evidence bundle (`export`): many entries and one multi-leaf proof
//!   ([`crate::proof::multi`]) against one checkpoint.
//!
//! Hashes and entry bytes are base64 (as in checkpoints). Entries that are
//! JSON are also shown readable under `event`; verification checks that the
//! readable form says the same as the signed bytes.

use crate::checkpoint::Checkpoint;
use crate::hash::{leaf_hash, Hash};
use crate::note::NoteVerifier;
use crate::proof;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

pub const INCLUSION_FORMAT: &str = "liveledger/inclusion-bundle/v1";
pub const EVIDENCE_FORMAT: &str = "liveledger/evidence-bundle/v1";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a bundle: {0}")]
    Malformed(String),
    #[error("the bundle's key {bundle} is not the pinned key {pinned}")]
    KeyMismatch { bundle: String, pinned: String },
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("entry at leaf {leaf}: the readable event differs from the signed entry bytes")]
    ReadableMismatch { leaf: u64 },
    #[error("proof: {0}")]
    Proof(#[from] proof::ProofError),
}

/// One entry of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleEntry {
    pub leaf: u64,
    pub data: Vec<u8>,
}

fn entry_json(e: &BundleEntry) -> Value {
    let mut o = json!({ "leaf_index": e.leaf, "entry": B64.encode(&e.data) });
    if let Ok(v) = serde_json::from_slice::<Value>(&e.data) {
        o["event"] = v;
    }
    o
}

fn hashes_json(h: &[Hash]) -> Value {
    Value::Array(h.iter().map(|h| Value::String(B64.encode(h.0))).collect())
}

/// An inclusion bundle for one entry.
pub fn inclusion_bundle(
    entry: &BundleEntry,
    proof: &[Hash],
    checkpoint: &Checkpoint,
    note: &str,
    key: &NoteVerifier,
) -> Value {
    let mut b = entry_json(entry);
    b["format"] = json!(INCLUSION_FORMAT);
    b["tree_size"] = json!(checkpoint.size);
    b["inclusion_proof"] = hashes_json(proof);
    b["checkpoint"] = json!(note);
    b["key"] = json!(key.to_vkey());
    b
}

/// An evidence bundle: `entries` sorted by leaf, one multi-leaf proof.
pub fn evidence_bundle(
    subject: Value,
    entries: &[BundleEntry],
    proof: &[Hash],
    checkpoint: &Checkpoint,
    note: &str,
    key: &NoteVerifier,
) -> Value {
    json!({
        "format": EVIDENCE_FORMAT,
        "subject": subject,
        "tree_size": checkpoint.size,
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "multi_proof": hashes_json(proof),
        "checkpoint": note,
        "key": key.to_vkey(),
    })
}

/// What a verified bundle showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub format: &'static str,
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash,
    pub entries: u64,
    pub key: String,
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, BundleError> {
    v.get(name)
        .ok_or_else(|| BundleError::Malformed(format!("no `{name}` field")))
}

fn u64_field(v: &Value, name: &str) -> Result<u64, BundleError> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| BundleError::Malformed(format!("`{name}` is not a non-negative integer")))
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, BundleError> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| BundleError::Malformed(format!("`{name}` is not a string")))
}

fn hashes(v: &Value, name: &str) -> Result<Vec<Hash>, BundleError> {
    let arr = field(v, name)?
        .as_array()
        .ok_or_else(|| BundleError::Malformed(format!("`{name}` is not an array")))?;
    arr.iter()
        .enumerate()
        .map(|(i, h)| {
            h.as_str()
                .and_then(|s| B64.decode(s).ok())
                .and_then(|b| Hash::from_slice(&b))
                .ok_or_else(|| {
                    BundleError::Malformed(format!("`{name}[{i}]` is not a base64 SHA-256 hash"))
                })
        })
        .collect()
}

fn read_entry(v: &Value) -> Result<BundleEntry, BundleError> {
    let leaf = u64_field(v, "leaf_index")?;
    let data = B64
        .decode(str_field(v, "entry")?)
        .map_err(|_| BundleError::Malformed(format!("entry at leaf {leaf} is not base64")))?;
    if let Some(readable) = v.get("event") {
        if serde_json::from_slice::<Value>(&data).ok().as_ref() != Some(readable) {
            return Err(BundleError::ReadableMismatch { leaf });
        }
    }
    Ok(BundleEntry { leaf, data })
}

/// Verifies a bundle with only what it carries — or, with `pinned`, only
/// if it was signed by that key.
pub fn verify(bundle: &[u8], pinned: Option<&NoteVerifier>) -> Result<Verified, BundleError> {
    let v: Value = serde_json::from_slice(bundle)
        .map_err(|e| BundleError::Malformed(format!("not JSON: {e}")))?;
    let format = match str_field(&v, "format")? {
        INCLUSION_FORMAT => INCLUSION_FORMAT,
        EVIDENCE_FORMAT => EVIDENCE_FORMAT,
        other => return Err(BundleError::Malformed(format!("unknown format {other:?}"))),
    };
    let bundle_key = NoteVerifier::from_vkey(str_field(&v, "key")?)
        .map_err(|e| BundleError::Malformed(format!("key: {e}")))?;
    let key = match pinned {
        Some(p) if *p != bundle_key => {
            return Err(BundleError::KeyMismatch {
                bundle: bundle_key.to_vkey(),
                pinned: p.to_vkey(),
            })
        }
        Some(p) => p.clone(),
        None => bundle_key,
    };
    let text = key
        .open(str_field(&v, "checkpoint")?)
        .map_err(|e| BundleError::Checkpoint(e.to_string()))?;
    let cp = Checkpoint::parse(text).map_err(BundleError::Checkpoint)?;
    if cp.origin != key.name() {
        return Err(BundleError::Checkpoint(format!(
            "origin {:?} is not the key's name {:?}",
            cp.origin,
            key.name()
        )));
    }
    let size = u64_field(&v, "tree_size")?;
    if size != cp.size {
        return Err(BundleError::Malformed(format!(
            "tree_size {size} is not the checkpoint's size {}",
            cp.size
        )));
    }
    let entries = if format == INCLUSION_FORMAT {
        let e = read_entry(&v)?;
        proof::verify_inclusion(
            &leaf_hash(&e.data),
            e.leaf,
            cp.size,
            &hashes(&v, "inclusion_proof")?,
            &cp.root,
        )?;
        1
    } else {
        let list = field(&v, "entries")?
            .as_array()
            .ok_or_else(|| BundleError::Malformed("`entries` is not an array".into()))?;
        let entries: Vec<BundleEntry> = list.iter().map(read_entry).collect::<Result<_, _>>()?;
        let leaves: Vec<(u64, Hash)> = entries
            .iter()
            .map(|e| (e.leaf, leaf_hash(&e.data)))
            .collect();
        proof::verify_multi(&leaves, cp.size, &hashes(&v, "multi_proof")?, &cp.root)?;
        entries.len() as u64
    };
    Ok(Verified {
        format,
        origin: cp.origin,
        tree_size: cp.size,
        root: cp.root,
        entries,
        key: key.to_vkey(),
    })
}
