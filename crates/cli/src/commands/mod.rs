//! One module per command group; each has its clap arguments and `run`.
//! What they share (progress bars, the clock, writing a bundle) is in
//! [`common`].

pub mod cases;
pub mod common;
pub mod demo;
pub mod evidence;
pub mod ingest;
pub mod report;
pub mod service;
pub mod simulate;
pub mod watch;
