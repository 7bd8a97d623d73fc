//! add-checkpoint request bodies from anyone: a cosignature or a refusal,
//! never a panic; a refusal leaves the witness's state as it was.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use tlog::witness::{Cosigner, Witness};
use tlog::NoteSigner;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let log = NoteSigner::new("fuzz.example/log", [3; 32]).expect("a valid name");
    let w = Witness {
        cosigner: Cosigner::new("fuzz.example/w", [4; 32]).expect("a valid name"),
        logs: vec![log.verifier()],
    };
    let mut seen = BTreeMap::new();
    if w.add_checkpoint(&mut seen, body, 1).is_err() {
        assert!(seen.is_empty());
    }
});
