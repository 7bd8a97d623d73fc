//! Is this product what was said? Claims and qualifications.
//!
//! - [`check`]: one claim's words, asserts and approval, checked against
//!   what is on record (pure; term lists compiled once).
//! - [`qualify`]: what a product's category requires it to hold, on a day.
//! - [`finding`]: a claim checked in its context (which reports were on
//!   record, which agreement applied), and the claim and listing flags.
//! - [`said`]: what a claim finding says, as data (said in words by `render`).
//! - [`text`], [`units`]: folding Chinese and English text; comparable units.

pub mod check;
pub mod finding;
pub mod qualify;
pub mod said;
pub mod text;
pub mod units;
