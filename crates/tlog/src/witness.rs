//! Witnessing: C2SP `tlog-cosignature` (v1, Ed25519) and the checks of a
//! C2SP `tlog-witness` `add-checkpoint` request.
//!
//! A log's own signature says only that the log signed a tree; nothing
//! stops its operator from later signing a shorter tree (a rollback) or a
//! different one (a fork) and showing each reader whichever suits. A
//! witness keeps, per log, the last checkpoint it cosigned, and cosigns a
//! new one only with a consistency proof from that one: a reader who
//! requires the witness's cosignature sees one history or none.
//!
//! A cosignature is a note signature line, `— <name> base64(key id ||
//! timestamp || signature)`, with the key id over algorithm byte 0x04 and
//! the signature over `cosignature/v1\ntime <t>\n` followed by the note's
//! text. The witness's state is a map from origin to (size, root): the
//! caller stores it, and must store it before handing out the cosignature
//! and serialize requests (the spec's race between two requests).

use crate::checkpoint::Checkpoint;
use crate::hash::Hash;
use crate::note::{
    decode_key, encode_key, key_id_of, split_note, valid_name, NoteError, NoteVerifier, SIG_PREFIX,
};
use crate::proof::verify_consistency;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::collections::BTreeMap;

/// The signature type byte of an Ed25519 cosignature/v1 key.
const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The most consistency proof lines a request may carry.
const MAX_PROOF_LINES: usize = 63;

/// A witness's signing key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

/// A witness's public key, to check its cosignatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignVerifier {
    name: String,
    key: VerifyingKey,
    id: [u8; 4],
}

impl Cosigner {
    pub fn new(name: &str, seed: [u8; 32]) -> Result<Cosigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::InvalidName(name.to_string()));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id_of(ALG_COSIGNATURE_V1, name, key.verifying_key().as_bytes());
        Ok(Cosigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    pub fn verifier(&self) -> CosignVerifier {
        CosignVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// `PRIVATE+KEY+<name>+<id>+<base64(0x04 || seed)>`.
    pub fn to_skey(&self) -> String {
        encode_key(
            true,
            &self.name,
            self.id,
            ALG_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    pub fn from_skey(s: &str) -> Result<Cosigner, NoteError> {
        let (name, seed) = decode_key(s, true, ALG_COSIGNATURE_V1)?;
        Cosigner::new(&name, seed)
    }

    /// The cosignature line (ending in a newline) over a note's `text`.
    pub fn cosign(&self, text: &str, time: u64) -> String {
        let sig = self.key.sign(&signed_message(text, time));
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&time.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }
}

fn signed_message(text: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

impl CosignVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>+<id>+<base64(0x04 || public key)>`.
    pub fn to_vkey(&self) -> String {
        encode_key(
            false,
            &self.name,
            self.id,
            ALG_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    pub fn from_vkey(s: &str) -> Result<CosignVerifier, NoteError> {
        let (name, public) = decode_key(s, false, ALG_COSIGNATURE_V1)?;
        Ok(CosignVerifier {
            id: key_id_of(ALG_COSIGNATURE_V1, &name, &public),
            key: VerifyingKey::from_bytes(&public).expect("checked by decode_key"),
            name,
        })
    }

    /// Checks that `note` carries this witness's cosignature and returns
    /// the time it was made (seconds since the epoch).
    pub fn check(&self, note: &str) -> Result<u64, NoteError> {
        let (text, sigs) = split_note(note)?;
        let mut time = None;
        for (name, raw) in sigs {
            if name != self.name || raw[..4] != self.id {
                continue;
            }
            let bad = || NoteError::BadSignature(self.to_vkey());
            let t = u64::from_be_bytes(raw.get(4..12).ok_or_else(bad)?.try_into().expect("8"));
            let sig = ed25519_dalek::Signature::from_slice(&raw[12..]).map_err(|_| bad())?;
            self.key
                .verify_strict(&signed_message(text, t), &sig)
                .map_err(|_| bad())?;
            time = time.max(Some(t));
        }
        time.ok_or_else(|| NoteError::UnknownKey(self.to_vkey()))
    }
}

/// What a witness last cosigned of one log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub size: u64,
    pub root: Hash,
}

/// Why a witness refused a request, with the HTTP status tlog-witness gives it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("unknown log {0:?}")]
    UnknownLog(String),
    #[error("the checkpoint's signature does not verify with the log's key: {0}")]
    BadSignature(NoteError),
    /// The old size is not the size last cosigned, or the same size has
    /// another root (a fork). The body says the size last cosigned.
    #[error("{why}; the witness last cosigned size {seen}")]
    Conflict { seen: u64, why: String },
    #[error(
        "the consistency proof from size {old} does not verify: the log was rewritten (a fork)"
    )]
    BadProof { old: u64 },
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::UnknownLog(_) => 404,
            Refusal::BadSignature(_) => 403,
            Refusal::Conflict { .. } => 409,
            Refusal::BadProof { .. } => 422,
        }
    }
}

/// A witness: its key and the logs it follows.
pub struct Witness {
    pub cosigner: Cosigner,
    pub logs: Vec<NoteVerifier>,
}

impl Witness {
    /// Handles an `add-checkpoint` request body against `seen` (updated
    /// on success) and returns the cosignature line.
    pub fn add_checkpoint(
        &self,
        seen: &mut BTreeMap<String, Seen>,
        body: &str,
        now: u64,
    ) -> Result<String, Refusal> {
        let bad = |why: &str| Refusal::BadRequest(why.to_string());
        let (head, note) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("the first line must be `old <size>`"))?;
        let proof = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|b| Hash::from_slice(&b))
                    .ok_or_else(|| bad("a consistency proof line is not a base64 hash"))
            })
            .collect::<Result<Vec<Hash>, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let origin = note.split('\n').next().unwrap_or_default();
        let log = self
            .logs
            .iter()
            .find(|v| v.name() == origin)
            .ok_or_else(|| Refusal::UnknownLog(origin.to_string()))?;
        let text = log.open(note).map_err(Refusal::BadSignature)?;
        let cp = Checkpoint::parse(text).map_err(|e| bad(&e))?;
        if old > cp.size {
            return Err(bad("the old size is larger than the checkpoint's"));
        }
        let last = seen.get(origin).copied();
        let last_size = last.map_or(0, |s| s.size);
        if old != last_size {
            let why = if cp.size < last_size {
                format!(
                    "the checkpoint's size {} is smaller than one already cosigned: a rollback",
                    cp.size
                )
            } else {
                format!("old size {old} is not the size last cosigned")
            };
            return Err(Refusal::Conflict {
                seen: last_size,
                why,
            });
        }
        match last {
            Some(s) if s.size == cp.size && s.root != cp.root => {
                return Err(Refusal::Conflict {
                    seen: s.size,
                    why: format!("another root at size {}: a fork", cp.size),
                })
            }
            Some(s) => verify_consistency(s.size, cp.size, &s.root, &cp.root, &proof)
                .map_err(|_| Refusal::BadProof { old })?,
            None if !proof.is_empty() => return Err(bad("a proof from size 0 must be empty")),
            None => {}
        }
        seen.insert(
            origin.to_string(),
            Seen {
                size: cp.size,
                root: cp.root,
            },
        );
        Ok(self.cosigner.cosign(text, now))
    }
}

/// The `add-checkpoint` request body: old size, proof lines, blank line, note.
pub fn add_checkpoint_body(old: u64, proof: &[Hash], note: &str) -> String {
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&B64.encode(h.0));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::NoteSigner;
    use crate::proof::consistency;

    fn log() -> NoteSigner {
        NoteSigner::new("example.com/log", [3; 32]).unwrap()
    }

    fn witness() -> Witness {
        Witness {
            cosigner: Cosigner::new("example.com/witness", [4; 32]).unwrap(),
            logs: vec![log().verifier()],
        }
    }

    /// The leaves of a log and its signed checkpoint at `n`.
    fn at(leaves: &[Hash], n: usize) -> String {
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: n as u64,
            root: crate::tree::root(&leaves[..n]),
            extensions: vec![],
        };
        log().sign(&cp.to_text()).unwrap()
    }

    fn leaves(tag: u8, n: usize) -> Vec<Hash> {
        (0..n).map(|i| crate::leaf_hash(&[tag, i as u8])).collect()
    }

    #[test]
    fn keys_round_trip_and_cosignatures_verify() {
        let w = witness();
        let c = Cosigner::from_skey(&w.cosigner.to_skey()).unwrap();
        let v = CosignVerifier::from_vkey(&c.verifier().to_vkey()).unwrap();
        assert_eq!(v, w.cosigner.verifier());
        let note = at(&leaves(0, 5), 5);
        let text = log().verifier().open(&note).unwrap().to_string();
        let cosigned = format!("{note}{}", c.cosign(&text, 1_700_000_000));
        assert_eq!(v.check(&cosigned).unwrap(), 1_700_000_000);
        assert_eq!(
            log().verifier().open(&cosigned).unwrap(),
            text,
            "the log's signature still opens"
        );
        assert!(matches!(v.check(&note), Err(NoteError::UnknownKey(_))));
        let other = cosigned.replacen("\n5\n", "\n6\n", 1);
        assert!(v.check(&other).is_err(), "a cosignature covers the text");
        // A note signer's key is not a cosigner's.
        assert!(CosignVerifier::from_vkey(&log().verifier().to_vkey()).is_err());
    }

    #[test]
    fn grows_are_cosigned_rollbacks_and_forks_refused() {
        let w = witness();
        let mut seen = BTreeMap::new();
        let all = leaves(0, 40);
        let add = |seen: &mut BTreeMap<String, Seen>, old: usize, proof: &[Hash], n: usize| {
            w.add_checkpoint(
                seen,
                &add_checkpoint_body(old as u64, proof, &at(&all, n)),
                7,
            )
        };
        assert!(add(&mut seen, 0, &[], 10).is_ok());
        let p = consistency(all.as_slice(), 10, 30).unwrap();
        let line = add(&mut seen, 10, &p, 30).unwrap();
        assert!(line.starts_with("\u{2014} example.com/witness "));
        assert_eq!(seen["example.com/log"].size, 30);
        // The same checkpoint again is fine; a rollback is not.
        assert!(add(&mut seen, 30, &[], 30).is_ok());
        let r = add(&mut seen, 30, &[], 20).unwrap_err();
        assert_eq!(r.status(), 400, "{r}");
        let r = add(&mut seen, 0, &[], 20).unwrap_err();
        assert_eq!(r.status(), 409);
        assert!(r.to_string().contains("rollback"), "{r}");
        // A fork: same size, other root; or a grown tree that rewrote the past.
        let fork: Vec<Hash> = leaves(1, 40);
        let body = add_checkpoint_body(30, &[], &at(&fork, 30));
        let r = w.add_checkpoint(&mut seen, &body, 7).unwrap_err();
        assert_eq!(r.status(), 409);
        assert!(r.to_string().contains("fork"), "{r}");
        let p = consistency(fork.as_slice(), 30, 40).unwrap();
        let body = add_checkpoint_body(30, &p, &at(&fork, 40));
        assert_eq!(
            w.add_checkpoint(&mut seen, &body, 7).unwrap_err().status(),
            422
        );
        assert_eq!(
            seen["example.com/log"].size, 30,
            "a refusal changes nothing"
        );
        // Unknown logs and bad signatures.
        let stranger = NoteSigner::new("example.com/other", [5; 32]).unwrap();
        let note = stranger
            .sign("example.com/other\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
            .unwrap();
        let r = w
            .add_checkpoint(&mut seen, &add_checkpoint_body(0, &[], &note), 7)
            .unwrap_err();
        assert_eq!(r.status(), 404);
        let forged = NoteSigner::new("example.com/log", [6; 32]).unwrap();
        let note = forged
            .sign(log().verifier().open(&at(&all, 40)).unwrap())
            .unwrap();
        let r = w
            .add_checkpoint(&mut seen, &add_checkpoint_body(30, &[], &note), 7)
            .unwrap_err();
        assert_eq!(r.status(), 403);
    }
}
