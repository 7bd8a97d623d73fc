//! Proof bundles (inclusion and evidence packages) from anyone: verified
//! or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tlog::bundle::verify(data, None);
});
