//! Signed notes and checkpoints from anyone: an answer or an error, and a
//! note that opens is one the key signed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tlog::{Checkpoint, NoteSigner};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signer = NoteSigner::new("fuzz.example/log", [3; 32]).expect("a valid name");
    let verifier = signer.verifier();
    if let Ok(body) = verifier.open(text) {
        // Only our signature opens it (Ed25519 signs deterministically: the
        // line is the one we would write).
        let ours = signer.sign(body).expect("opened text is signable");
        assert!(text.contains(ours[body.len() + 1..].trim_end()));
    }
    if let Ok(cp) = Checkpoint::parse(text) {
        assert_eq!(Checkpoint::parse(&cp.to_text()).expect("round trip"), cp);
    }
    let _ = tlog::NoteVerifier::from_vkey(text);
    let _ = NoteSigner::from_skey(text);
    let _ = tlog::witness::CosignVerifier::from_vkey(text);
});
