//! A log entry as answers cite it: the event id and its leaf index.

use serde::Serialize;

/// Names the event at a leaf (read from the log); `None` if unreadable.
pub type EventIds<'a> = &'a dyn Fn(u64) -> Option<String>;

#[derive(Serialize)]
pub struct Cite {
    pub event: Option<String>,
    pub leaf: u64,
}

impl Cite {
    pub fn new(ids: EventIds, leaf: u64) -> Cite {
        Cite {
            event: ids(leaf),
            leaf,
        }
    }

    pub fn all(ids: EventIds, leaves: &[u64]) -> Vec<Cite> {
        leaves.iter().map(|l| Cite::new(ids, *l)).collect()
    }
}

/// A rule's basis as a list: empty when the finding rests on none.
pub fn basis(b: &str) -> Vec<String> {
    if b.is_empty() {
        Vec::new()
    } else {
        vec![b.to_string()]
    }
}
