//! Projections of the log: state derived from it, rebuildable from it.
//!
//! - [`ids`]: the id index that makes ingest idempotent — an on-disk hash
//!   table of event-id fingerprints, memory-mapped so its size is bounded by
//!   the page cache, not the heap.
//! - [`db`]: the relational projection (embedded SQLite by default) with its
//!   migrations, holding the event index (id → leaf, type, session, time)
//!   that reports and proofs query.
//!
//! Both record how much of the log they cover, so after a crash they are
//! brought up to date from the log instead of trusted blindly.

pub mod db;
pub mod ids;

pub use db::{Db, DbError, EventRow};
pub use ids::{Fingerprint, Fingerprinter, IdIndex, IdIndexError, Lookup};
