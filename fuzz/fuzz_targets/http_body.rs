//! The service's JSON request bodies from anyone: parsed or refused with a
//! 400, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ledger::service::api::parse_bodies(data);
});
