//! Is this live data real? Pure, incremental analysis of live-commerce events.
//!
//! An [`Analyzer`] is fed events one at a time, in any order, each with its
//! leaf index in the log ([`Analyzer::observe`]); it can be asked for a
//! session's report at any moment ([`Analyzer::session_report`]). Nothing
//! here does I/O: the caller reads the log, and turns the leaf indices in
//! the evidence into event ids.
//!
//! What is kept per event is small and fixed-size (hashed keys, counters,
//! first/last times), so memory grows with distinct viewers and orders,
//! not with events: about 100 bytes per viewer. Judgements (which accounts
//! are bots, which groups brush orders) are made when a report is asked
//! for, from those aggregates, so a late event — a refund days after the
//! stream — simply changes the next answer.
//!
//! - [`state`]: what is kept per session, account and order, and how each
//!   event updates it.
//! - [`viewers`]: observed audience and the per-account bot judgement.
//! - [`sales`]: the sales waterfall and brushing rings (union-find).
//! - [`report`]: the session report of `shared/spec/report.md` §1 and its flags.
//! - [`rules`]: every threshold and weight, from a documented data file.

pub mod cases;
pub mod claims;
pub mod liability;
pub mod products;
pub mod qualify;
pub mod registry;
pub mod report;
pub mod rules;
pub mod sales;
pub mod state;
pub mod text;
pub mod units;
pub mod viewers;

pub use report::{Evidence, Flag, SessionReport, Severity};
pub use rules::{Rules, RulesError};
pub use state::Analyzer;
