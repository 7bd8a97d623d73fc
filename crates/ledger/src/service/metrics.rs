//! Prometheus metrics: requests by route and status, request latency
//! histograms by route, ingest counters and the log's size, written in the
//! text exposition format. A handful of series, so a mutex-guarded map is
//! enough; no metrics crate needed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Latency>,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    access_events: u64,
}

#[derive(Default)]
pub struct Metrics(Mutex<Inner>);

impl Metrics {
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let Ok(mut m) = self.0.lock() else { return };
        *m.requests.entry((route.to_string(), status)).or_default() += 1;
        let l = m.latency.entry(route.to_string()).or_default();
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                l.buckets[i] += 1;
            }
        }
        l.count += 1;
        l.sum += secs;
    }

    pub fn ingested(&self, accepted: u64, duplicates: u64, rejected: u64) {
        if let Ok(mut m) = self.0.lock() {
            m.accepted += accepted;
            m.duplicates += duplicates;
            m.rejected += rejected;
        }
    }

    pub fn accessed(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.access_events += 1;
        }
    }

    /// The exposition text, with the log's current size.
    pub fn render(&self, log_size: u64) -> String {
        let Ok(m) = self.0.lock() else {
            return String::new();
        };
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP liveledger_http_requests_total HTTP requests by route and status.\n# TYPE liveledger_http_requests_total counter");
        for ((route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "liveledger_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP liveledger_http_request_duration_seconds Request latency by route.\n# TYPE liveledger_http_request_duration_seconds histogram");
        for (route, l) in &m.latency {
            for (bound, n) in BUCKETS.iter().zip(l.buckets) {
                let _ = writeln!(out, "liveledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "liveledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", l.count);
            let _ = writeln!(
                out,
                "liveledger_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                l.sum
            );
            let _ = writeln!(
                out,
                "liveledger_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                l.count
            );
        }
        for (name, help, v) in [
            (
                "liveledger_events_accepted_total",
                "Events accepted into the log.",
                m.accepted,
            ),
            (
                "liveledger_events_duplicate_total",
                "Events already in the log.",
                m.duplicates,
            ),
            (
                "liveledger_events_rejected_total",
                "Lines rejected, with a reason.",
                m.rejected,
            ),
            (
                "liveledger_access_events_total",
                "Access events written.",
                m.access_events,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        let _ = writeln!(out, "# HELP liveledger_log_size Entries in the log at its latest checkpoint.\n# TYPE liveledger_log_size gauge\nliveledger_log_size {log_size}");
        out
    }
}
