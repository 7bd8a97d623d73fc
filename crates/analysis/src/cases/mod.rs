//! Who answers for it, and what is owed? After-sales cases and liability.
//!
//! - [`liability`]: rule packs as data, and the engine that applies one to
//!   the facts of a case ([`liability::decide`]).
//! - [`case`]: every complaint opens a case; its facts are established
//!   from the state, its status from the `case_updated` events logged.

pub mod case;
pub mod liability;
