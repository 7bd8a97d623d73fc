//! The product findings of report.md §2 and the pre-live listing gate:
//! claims, qualifications, sales and cases of one product, together.
//!
//! - [`report`]: the product findings ([`report::ProductReport`]).
//! - [`gate`]: may this product be listed in this anchor's room now?

pub mod gate;
pub mod report;
