//! The event stream: events are scheduled into a time-ordered heap and
//! written as NDJSON once the clock passes them, so memory follows the
//! stream's concurrency rather than its length. Joins and leaves are
//! counted as they are written, for the figures an honest platform shows.

use crate::rng::Rng;
use crate::truth::Truth;
use chrono::{DateTime, Duration, FixedOffset};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Join { human: bool },
    Leave { human: bool },
    Other,
}

/// An event waiting in the time-ordered heap.
type Pending = Reverse<(i64, u64, Kind, String)>;

pub(crate) struct Sim<'w> {
    out: &'w mut dyn Write,
    /// The draws of the live stream, in the order events are made.
    pub rng: Rng,
    tag: String,
    start: DateTime<FixedOffset>,
    heap: BinaryHeap<Pending>,
    seq: u64,
    pub truth: Truth,
    // Observed counters as events leave the heap, for honest metrics.
    pub joins: u64,
    pub online_all: i64,
    online_humans: i64,
    peak_all: i64,
}

impl<'w> Sim<'w> {
    pub fn new(
        out: &'w mut dyn Write,
        rng: Rng,
        tag: String,
        start: DateTime<FixedOffset>,
        truth: Truth,
    ) -> Sim<'w> {
        Sim {
            out,
            rng,
            tag,
            start,
            heap: BinaryHeap::new(),
            seq: 0,
            truth,
            joins: 0,
            online_all: 0,
            online_humans: 0,
            peak_all: 0,
        }
    }

    fn ts(&self, ms: i64) -> String {
        (self.start + Duration::milliseconds(ms)).to_rfc3339()
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("{}-e{}", self.tag, self.seq)
    }

    /// Schedules an event; `fields` is the JSON body after the common fields.
    pub fn push(&mut self, ms: i64, kind: Kind, ty: &str, fields: String) -> String {
        let id = self.next_id();
        let line = format!(
            r#"{{"type":"{ty}","id":"{id}","at":"{}",{fields}}}"#,
            self.ts(ms)
        );
        self.heap.push(Reverse((ms, self.seq, kind, line)));
        id
    }

    /// Writes every scheduled event before `until_ms`, in time order.
    pub fn flush(&mut self, until_ms: i64) -> io::Result<()> {
        while let Some(Reverse((ms, _, _, _))) = self.heap.peek() {
            if *ms >= until_ms {
                break;
            }
            let Reverse((_, _, kind, line)) = self.heap.pop().expect("peeked");
            match kind {
                Kind::Join { human } => {
                    self.joins += 1;
                    self.online_all += 1;
                    self.online_humans += human as i64;
                    self.peak_all = self.peak_all.max(self.online_all);
                    self.truth.human_peak_online =
                        self.truth.human_peak_online.max(self.online_humans as u64);
                }
                Kind::Leave { human } => {
                    self.online_all -= 1;
                    self.online_humans -= human as i64;
                }
                Kind::Other => {}
            }
            self.out.write_all(line.as_bytes())?;
            self.out.write_all(b"\n")?;
            self.truth.events += 1;
        }
        Ok(())
    }

    pub fn comment(&mut self, ms: i64, account: &str, text: &str) {
        let body = format!(
            r#""session":{},"account":{},"text":{}"#,
            q(&self.tag),
            q(account),
            q(text)
        );
        self.push(ms, Kind::Other, "comment", body);
    }

    /// Schedules an event and writes everything up to it at once.
    pub fn write_now(&mut self, ms: i64, ty: &str, fields: String) -> io::Result<String> {
        let id = self.push(ms, Kind::Other, ty, fields);
        self.flush(ms + 1)?;
        Ok(id)
    }
}

/// `s` as a JSON string literal.
pub(crate) fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}
