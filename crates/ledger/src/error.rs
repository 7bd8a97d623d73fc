//! What can go wrong in the application, as types a face can act on: the
//! CLI turns any of them into exit code 2 and a message; a server answers
//! `NotFound` with 404, `Invalid` with 400, `Busy` with 503.

use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read, written or created.
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The system would not start a thread.
    #[error("cannot start a thread")]
    Thread(#[source] std::io::Error),
    /// There is no log in the data directory yet.
    #[error("no liveledger log in {} (create one with `liveledger ingest --data {} FILE`)", .0.display(), .0.display())]
    NoLog(PathBuf),
    /// Another process holds the writer's lock.
    #[error("another liveledger process is writing to {}; wait for it to finish", .0.display())]
    Busy(PathBuf),
    /// What was asked for is not in the log (a session, product, case, event).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Invalid(String),
    /// A key file is damaged, or no randomness for a new one.
    #[error("{0}")]
    Key(String),
    /// A rule file or liability pack that cannot be used.
    #[error("in {}", path.display())]
    Rules {
        path: PathBuf,
        #[source]
        source: analysis::RulesError,
    },
    #[error(transparent)]
    Log(#[from] tlog::LogError),
    #[error(transparent)]
    Note(#[from] tlog::NoteError),
    #[error(transparent)]
    Proof(#[from] tlog::proof::ProofError),
    #[error(transparent)]
    Ids(#[from] store::IdIndexError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// A failed file operation on `path` (`action`: "reading", "creating"…).
    pub fn io<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> Error + 'a {
        move |source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
