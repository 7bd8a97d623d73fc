//! A tamper-evident, append-only log of opaque byte entries.
//!
//! This crate knows nothing of live commerce. It implements:
//! - the RFC 6962 / RFC 9162 Merkle tree hashing ([`hash`], [`tree`]);
//! - the C2SP `tlog-tiles` layout on disk ([`tile`]): hash tiles of height 8,
//!   partial tiles, entry bundles at their standard paths;
//! - C2SP `tlog-checkpoint` ([`checkpoint`]) signed as a C2SP `signed-note`
//!   with Ed25519 ([`note`]);
//! - a single-writer sequencer with batched, fsynced commits ([`Log`]) and a
//!   full offline re-verification of a log directory ([`verify`]);
//! - C2SP `tlog-cosignature` and the checks of a `tlog-witness` ([`witness`]).
//!
//! On-disk layout of a log directory (servable as is by a static web server):
//! ```text
//! checkpoint                 the latest signed checkpoint (replaced atomically)
//! tile/<L>/<N>[.p/<W>]       hash tiles
//! tile/entries/<N>[.p/<W>]   entry bundles (big-endian u16 length + bytes, repeated)
//! ```

pub mod bundle;
pub mod checkpoint;
pub mod error;
pub mod hash;
pub mod log;
mod mem;
pub mod note;
pub mod proof;
pub mod reader;
pub mod tile;
pub mod tree;
pub mod verify;
pub mod witness;
mod writer;

pub use checkpoint::Checkpoint;
pub use error::LogError;
pub use hash::{leaf_hash, node_hash, sha256_from, Hash, SHA256_IV};
pub use log::{read_history, Entries, Entry, EntryRef, Log};
pub use mem::small_pages;
pub use note::{NoteError, NoteSigner, NoteVerifier};
pub use reader::{LogReader, TileHashes};
pub use verify::{verify_dir, VerifyError, VerifySummary};
