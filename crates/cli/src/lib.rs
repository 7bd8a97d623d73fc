//! The liveledger application: a data directory (keys, log, indexes,
//! projection) and the operations on it that the CLI (and later the server)
//! expose. The crates below know nothing of each other; this one wires them:
//! `events` validates, `tlog` records, `store` projects, `analysis` judges.

pub mod analyze;
pub mod datadir;
pub mod demo;
pub mod evidence;
pub mod ingest;
pub mod render;
pub mod serve;

pub use datadir::{DataDir, Ledger};
pub use ingest::{ingest, IngestReport, Input, LineError};
