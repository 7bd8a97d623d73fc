//! The supervision service behind `liveledger serve` (api.md): one process
//! that holds the log, keeps the analysis level with it in memory, and
//! answers every party within its token's role and scope.
//!
//! - The service is the single writer: it holds the data directory's lock
//!   (a `Ledger`) for its whole life, and every write — events over HTTP,
//!   case actions, complaints, `access` records — goes through it.
//! - The analysis follows the log: after each write the new entries are
//!   fed to the in-memory analyzer, so every read answers at the latest
//!   checkpoint without replaying anything. Session answers, which judge
//!   every viewer, are judged once per change and cached (the service's
//!   own `access` records are not a change).
//! - Work that blocks (the log's fsyncs, judging) runs on tokio's blocking
//!   pool, never on the threads that serve connections.
//!
//! Locks are taken writer first, then the analysis, never the other way,
//! so a write and a read cannot deadlock.

pub mod alerts;
pub mod api;
pub mod client;
pub mod dashboard;
pub mod feed;
pub mod hub;
pub mod metrics;
pub mod nats;
pub mod node;
pub mod openapi;
pub mod pg;
pub mod project;
pub mod scope;
pub mod tokens;
pub mod webhooks;
