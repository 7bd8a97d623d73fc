//! C2SP `signed-note` with Ed25519 signatures, and the `vkey`/`skey`
//! encodings of its keys (the formats of Go's `golang.org/x/mod/sumdb/note`).
//!
//! A note is UTF-8 text ending in a newline, then a blank line, then one line
//! per signature: `— <key name> <base64(key id || signature)>`. The key id is
//! the first 4 bytes of `SHA-256(name || "\n" || 0x01 || public key)`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in signed-note.
const ALG_ED25519: u8 = 0x01;
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("malformed key: {0}")]
    MalformedKey(String),
    #[error("invalid key name {0:?}: it must be non-empty, with no spaces and no '+'")]
    InvalidName(String),
    #[error("malformed note: {0}")]
    Malformed(String),
    #[error("the note has no signature by key {0}")]
    UnknownKey(String),
    #[error("the signature by key {0} does not verify: the note or signature was altered, or signed by another key")]
    BadSignature(String),
}

pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    key_id_of(ALG_ED25519, name, public)
}

/// `SHA-256(name || "\n" || alg || public key)[:4]`.
pub(crate) fn key_id_of(alg: u8, name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn hex4(id: [u8; 4]) -> String {
    format!("{:08x}", u32::from_be_bytes(id))
}

/// A note signing key: a name and an Ed25519 private key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

impl NoteSigner {
    pub fn new(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::InvalidName(name.to_string()));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`.
    pub fn to_skey(&self) -> String {
        encode_key(true, &self.name, self.id, ALG_ED25519, self.key.as_bytes())
    }

    pub fn from_skey(s: &str) -> Result<Self, NoteError> {
        let (name, seed) = decode_key(s, true, ALG_ED25519)?;
        NoteSigner::new(&name, seed)
    }

    /// Signs `text` (which must end in a newline) and returns the whole note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(raw)
        ))
    }
}

/// A key's text form: `<name>+<id>+<base64(alg || 32 bytes)>`, private
/// keys (the bytes a seed) prefixed `PRIVATE+KEY+` (Go's `note` formats).
pub(crate) fn encode_key(
    private: bool,
    name: &str,
    id: [u8; 4],
    alg: u8,
    key: &[u8; 32],
) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(key);
    let prefix = if private { "PRIVATE+KEY+" } else { "" };
    format!("{prefix}{name}+{}+{}", hex4(id), B64.encode(raw))
}

/// Parses [`encode_key`]'s form for signature type `alg`: the name and the
/// 32 key bytes, once the name is valid, the key a valid Ed25519 key and
/// its id the one the text claims.
pub(crate) fn decode_key(s: &str, private: bool, alg: u8) -> Result<(String, [u8; 32]), NoteError> {
    let what = if private { "private key" } else { "public key" };
    let bad = |why: &str| NoteError::MalformedKey(format!("{what}: {why}"));
    let s = s.trim();
    let s = match private {
        true => s
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?,
        false => s,
    };
    // The base64 key may itself contain '+', so split only twice.
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected name+id+key"));
    };
    if !valid_name(name) {
        return Err(NoteError::InvalidName(name.to_string()));
    }
    let raw = B64.decode(raw).map_err(|_| bad("key is not base64"))?;
    let key: [u8; 32] = match raw.split_first() {
        Some((&a, k)) if a == alg => k.try_into().map_err(|_| bad("wrong key length"))?,
        _ => return Err(bad(&format!("not an Ed25519 key of type {alg:#04x}"))),
    };
    let public = if private {
        SigningKey::from_bytes(&key).verifying_key().to_bytes()
    } else {
        VerifyingKey::from_bytes(&key).map_err(|_| bad("not a valid Ed25519 point"))?;
        key
    };
    if hex4(key_id_of(alg, name, &public)) != id {
        return Err(bad("key id does not match the key"));
    }
    Ok((name.to_string(), key))
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed(
            "text does not end with a newline".into(),
        ));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed(
            "text contains a control character".into(),
        ));
    }
    Ok(())
}

/// A note verification key: a name and an Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    id: [u8; 4],
}

impl NoteVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>+<id>+<base64(0x01 || public key)>`: the C2SP `vkey` form.
    pub fn to_vkey(&self) -> String {
        encode_key(false, &self.name, self.id, ALG_ED25519, self.key.as_bytes())
    }

    pub fn from_vkey(s: &str) -> Result<Self, NoteError> {
        let (name, public) = decode_key(s, false, ALG_ED25519)?;
        Ok(NoteVerifier {
            id: key_id(&name, &public),
            key: VerifyingKey::from_bytes(&public).expect("checked by decode_key"),
            name,
        })
    }

    /// Checks a signed note and returns its text. Signatures by other keys are
    /// ignored (a note may carry witnesses' cosignatures); one by this key
    /// must be present and valid.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, sigs) = split_note(note)?;
        let mut found = false;
        for (name, raw) in sigs {
            if name != self.name || raw[..4] != self.id {
                continue;
            }
            let sig = ed25519_dalek::Signature::from_slice(&raw[4..])
                .map_err(|_| NoteError::BadSignature(self.to_vkey()))?;
            self.key
                .verify_strict(text.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature(self.to_vkey()))?;
            found = true;
        }
        if found {
            Ok(text)
        } else {
            Err(NoteError::UnknownKey(self.to_vkey()))
        }
    }
}

/// A signature line: the key's name, and key id || signature.
pub(crate) type SignatureLine<'a> = (&'a str, Vec<u8>);

/// A note's text and its signatures.
pub(crate) fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    check_text(text)?;
    if !sigs.ends_with('\n') || sigs.len() < 2 {
        return Err(NoteError::Malformed(
            "signature block is empty or does not end with a newline".into(),
        ));
    }
    let mut out = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            NoteError::Malformed(format!(
                "signature line {line:?} does not start with an em dash"
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            NoteError::Malformed(format!("signature line {line:?} has no signature"))
        })?;
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::Malformed(format!("signature of {name} is not base64")))?;
        if raw.len() < 5 {
            return Err(NoteError::Malformed(format!(
                "signature of {name} is too short"
            )));
        }
        out.push((name, raw));
    }
    Ok((text, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::new("example.com/log", [7u8; 32]).unwrap()
    }

    #[test]
    fn sign_and_open() {
        let s = signer();
        let note = s.sign("hello\nworld\n").unwrap();
        assert!(note.starts_with("hello\nworld\n\n\u{2014} example.com/log "));
        assert_eq!(s.verifier().open(&note).unwrap(), "hello\nworld\n");
    }

    #[test]
    fn keys_round_trip() {
        let s = signer();
        let s2 = NoteSigner::from_skey(&s.to_skey()).unwrap();
        assert_eq!(s2.verifier(), s.verifier());
        let v = NoteVerifier::from_vkey(&s.verifier().to_vkey()).unwrap();
        assert_eq!(v, s.verifier());
        assert!(NoteVerifier::from_vkey("a+00000000+AQ==").is_err());
        let vk = s.verifier().to_vkey();
        let (name, rest) = vk.split_once('+').unwrap();
        let wrong_id = format!("{name}+00000000+{}", &rest[9..]);
        assert!(NoteVerifier::from_vkey(&wrong_id).is_err());
        assert!(NoteSigner::new("bad name", [0; 32]).is_err());
        assert!(NoteSigner::new("bad+name", [0; 32]).is_err());
    }

    /// The example key of the Go `golang.org/x/mod/sumdb/note` documentation:
    /// the vkey must parse and match its stated key id, which pins our key-id
    /// derivation to the reference implementation.
    #[test]
    fn go_reference_vkey() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let v = NoteVerifier::from_vkey(vkey).unwrap();
        assert_eq!(v.to_vkey(), vkey);
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let s = NoteSigner::from_skey(skey).unwrap();
        assert_eq!(s.verifier(), v);
        // The signed example note from the same documentation.
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert!(v.open(note).is_ok());
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        assert_eq!(
            s.sign(text).unwrap(),
            note,
            "Ed25519 is deterministic: same bytes as Go"
        );
    }

    #[test]
    fn rejects_wrong_key_and_altered_body() {
        let s = signer();
        let note = s.sign("size\n42\n").unwrap();
        let other = NoteSigner::new("example.com/log", [8u8; 32]).unwrap();
        assert!(matches!(
            other.verifier().open(&note),
            Err(NoteError::UnknownKey(_))
        ));
        let altered = note.replace("42", "43");
        assert!(matches!(
            s.verifier().open(&altered),
            Err(NoteError::BadSignature(_))
        ));
        assert!(s.verifier().open("no signatures\n").is_err());
        assert!(s.sign("no newline").is_err());
        assert!(s.sign("tab\there\n").is_err());
    }
}
