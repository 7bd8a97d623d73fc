//! The liveledger application: a data directory (keys, log, indexes,
//! projection) and every operation on it. The crates below know nothing of
//! each other; this one wires them: `events` validates, `tlog` records,
//! `store` projects, `analysis` judges. The CLI (and the server to come)
//! are thin faces over this crate; neither holds logic the other lacks.
//!
//! - [`datadir`]: where everything lives, the single writer ([`Ledger`]).
//! - [`ingest`]: NDJSON in, validated, pseudonymised, deduplicated, logged.
//! - [`analyze`]: the analysis of the log at a signed checkpoint ([`Analysis`]).
//! - [`answer`]: the contract's answers as typed, serialisable structs.
//! - [`state`]: the analysis state's snapshot, tied to a checkpoint.
//! - [`judged`]: every session's answer, judged once per snapshot.
//! - [`record`]: events liveledger writes itself (case actions, access).
//! - [`evidence`]: inclusion bundles, evidence packages, consistency proofs.
//! - [`service`]: the supervision service: tokens, roles and scopes, the `/v1` API.
//! - [`serve`]: the HTTP server: the service's API and the log as C2SP tlog-tiles.
//! - [`witness`]: cosignatures from witnesses, and being one (C2SP tlog-witness).
//! - [`error`]: what can go wrong, as types a face can act on.

pub mod analyze;
pub mod answer;
pub mod datadir;
pub mod error;
pub mod evidence;
pub mod ingest;
pub mod judged;
pub mod record;
pub mod serve;
pub mod service;
pub mod state;
pub mod witness;

pub use analyze::Analysis;
pub use datadir::{DataDir, Ledger};
pub use error::{Error, Result};
pub use ingest::{ingest, IngestReport, Input, LineError};
