//! Indexes derived from the log, rebuildable from it.
//!
//! - [`ids`]: the id index that makes ingest idempotent and finds an
//!   event's leaf — an on-disk hash table of event-id fingerprints,
//!   memory-mapped so its size is bounded by the page cache, not the heap.
//!   It records how much of the log it covers, so after a crash it is
//!   brought up to date from the log instead of trusted blindly.

pub mod ids;

pub use ids::{Fingerprint, Fingerprinter, IdIndex, IdIndexError, Lookup};
