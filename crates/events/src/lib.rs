//! The input contract (`docs/spec/events.md`) as Rust types.
//!
//! - [`model`]: every event type and field, with types that make wrong
//!   states unrepresentable (ids as newtypes, money in minor units with a
//!   currency, timestamps as real time types).
//! - [`parse`]: validation of one NDJSON line into an [`Event`], with errors
//!   that name the field and what was expected.
//! - [`json`]: a JSON value borrowing from its line, what ingest parses into.
//! - [`canonical`]: the exact bytes stored in (and hashed into) the log.
//! - [`pseudonym`]: keyed hashing of personal identifiers before storage.
//! - [`prepare`]: all of the above for one input line, as ingest needs it.

pub mod canonical;
pub mod json;
pub mod model;
pub mod parse;
pub mod personal;
pub mod pseudonym;

pub use model::*;
pub use parse::{
    parse_stored, prepare, prepare_into, stored_head, Prepared, Rejection, StoredHead, MAX_MINOR,
};
pub use pseudonym::Pseudonymiser;
