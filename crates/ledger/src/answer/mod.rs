//! The contract's answers (report.md) as typed, serialisable structs.
//!
//! The analysis answers with plain structs whose evidence is leaf indices;
//! an answer here is built from one of those and a way to name the event
//! at a leaf, and serialises to exactly the JSON of report.md (plus the
//! fields we add). Serialise through [`serde_json::to_value`]: objects
//! then print with their keys sorted, as every golden file expects.

pub mod case;
pub mod cite;
pub mod claim;
pub mod product;
pub mod session;
