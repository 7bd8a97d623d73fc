//! Is this live data real? The session report of report.md §1.
//!
//! - [`viewers`]: the observed audience and the per-account bot judgement.
//! - [`rooms`]: what other rooms say of the audience (rented audiences).
//! - [`sales`]: the sales waterfall and brushing rings (union-find).
//! - [`flags`]: one function per session flag, from the figures.
//! - [`report`]: the session report: its figures, timeline and flags.
//! - [`session`]: builds it from the state.

pub mod flags;
pub mod report;
pub(crate) mod rooms;
pub mod sales;
pub mod session;
pub mod viewers;
