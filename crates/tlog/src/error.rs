//! [`LogError`], the error of the log's sequencer, reader and file writer.
//! In a module of its own so that the writer can report it without
//! importing the sequencer that drives it.

use crate::note::NoteError;
use crate::proof::ProofError;
use crate::tile;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("checkpoint {path}: {source}")]
    Note { path: PathBuf, source: NoteError },
    #[error("{0}")]
    Corrupt(String),
    #[error("entry of {0} bytes is larger than the {max} bytes a tlog-tiles entry can hold", max = tile::MAX_ENTRY_LEN)]
    EntryTooLarge(usize),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}
