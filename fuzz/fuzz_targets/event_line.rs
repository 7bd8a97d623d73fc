//! An input line: validated, pseudonymised and encoded, or refused; never
//! a panic. What is accepted is stored as canonical bytes that parse back
//! and encode to themselves (the log's bytes are stable).
#![no_main]
use events::{parse_stored, prepare, Pseudonymiser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let p = Pseudonymiser::new(&[7; 32]);
    let Ok(prepared) = prepare(line, Some(&p)) else {
        return;
    };
    parse_stored(&prepared.canonical).expect("stored bytes parse");
    // Canonical bytes are a fixed point (pseudonyms are not re-keyed: no pseudonymiser).
    let again = prepare(&prepared.canonical, None).expect("canonical bytes are a valid line");
    assert_eq!(again.canonical, prepared.canonical);
});
