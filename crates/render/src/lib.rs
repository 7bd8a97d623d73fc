//! Human renderings of liveledger's answers: a terminal summary and a
//! self-contained HTML page with SVG charts (no scripts, no network).
//! The prose for people lives here, in English and Chinese from one
//! catalogue ([`words`]); the analysis returns plain structs.

pub mod html;
pub mod numbers;
pub mod text;
pub mod words;
