//! The appender's side of the PostgreSQL read side ([`super::pg`]): what
//! changed in the analysis is projected every [`TICK`], and `access`
//! records queued by reading nodes are logged as soon as they are queued.

use super::alerts::TICK;
use super::hub::{now, Service};
use super::pg::{Pg, Projection};
use super::tokens;
use crate::answer::case::CaseAnswer;
use crate::answer::product::ProductAnswer;
use crate::answer::session::SessionAnswer;
use crate::error::Result;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What was last projected: a hash per row, so that only rows that changed
/// are written again.
#[derive(Default)]
pub struct Projector {
    rows: HashMap<String, u64>,
    /// The service's change count, log size, alert count and token file
    /// time at the last projection (`None`: nothing projected yet).
    changes: Option<u64>,
    size: u64,
    alerts: usize,
    tokens: Option<SystemTime>,
}

impl Projector {
    /// Whether the row `key`, made of `parts`, differs from what was last
    /// projected (and remembers it as projected).
    fn changed(&mut self, key: String, parts: impl Hash) -> bool {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        parts.hash(&mut h);
        let d = h.finish();
        self.rows.insert(key, d) != Some(d)
    }

    /// What the read side lacks, if anything: every answer under one hold
    /// of the analysis, so all of it is at one checkpoint.
    pub fn collect(&mut self, svc: &Service) -> Result<Option<Projection>> {
        let path = tokens::path(&svc.dir);
        let tokens_at = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        svc.catch_up()?;
        let changes = svc.changes();
        let mut live = svc.live()?;
        let size = live.analysis.reader.size();
        let alerts = svc.alerts.len();
        let moved = self.changes != Some(changes);
        if !moved && size == self.size && alerts == self.alerts && tokens_at == self.tokens {
            return Ok(None);
        }
        let mut p = Projection {
            size,
            checkpoint: live.analysis.checkpoint_json(),
            pack: live.analysis.analyzer.rules().liability.name.clone(),
            ..Projection::default()
        };
        if moved {
            let judged: Vec<(String, Value, Value)> = live
                .judged()?
                .sessions
                .iter()
                .map(|j| (j.id.clone(), j.row.clone(), j.json.clone()))
                .collect();
            let a = &live.analysis;
            let ids = |leaf| a.event_id(leaf);
            for (id, row, report) in judged {
                let owners = a.analyzer.session_owners(&id).unwrap_or_default();
                let parts = (row.to_string(), report.to_string(), &owners);
                if !self.changed(format!("s/{id}"), parts) {
                    continue;
                }
                for m in &owners.merchants {
                    if let Some(r) = a.analyzer.session_report_for_merchant(&id, m) {
                        let view = serde_json::to_value(SessionAnswer::new(&r, &ids))?;
                        p.views.push((id.clone(), m.clone(), view));
                    }
                }
                p.sessions.push((id, owners, row, report));
            }
            let today = now().date_naive();
            for id in a.analyzer.product_ids() {
                let report =
                    serde_json::to_value(ProductAnswer::new(&a.product(id, today)?, &ids))?;
                let owners = a.analyzer.product_owners(id);
                if self.changed(format!("p/{id}"), (report.to_string(), &owners)) {
                    p.products.push((id.to_string(), owners, report));
                }
            }
            let (cases, a) = live.cases(now());
            let ids = |leaf| a.event_id(leaf);
            for (position, c) in cases.iter().enumerate() {
                let mut answer = serde_json::to_value(CaseAnswer::new(c, &ids))?;
                // Overdue moves with the clock: readers work it out from `due`.
                answer["overdue"] = Value::Bool(false);
                let owners = a.analyzer.case_owners(c);
                let parts = (answer.to_string(), &owners, position);
                if self.changed(format!("c/{}", c.id), parts) {
                    p.cases
                        .push((c.id.clone(), position as i64, owners, answer));
                }
            }
        }
        drop(live);
        p.alerts = svc
            .alerts
            .raised_from(self.alerts)
            .into_iter()
            .zip(self.alerts as i64 + 1..)
            .map(|(a, n)| (n, a))
            .collect();
        if tokens_at != self.tokens {
            p.tokens = Some(tokens::load(&svc.dir)?);
        }
        (self.changes, self.size, self.alerts, self.tokens) =
            (Some(changes), size, alerts, tokens_at);
        Ok(Some(p))
    }
}

/// Projects the analysis into PostgreSQL for as long as the process runs:
/// every [`TICK`], or after three times the last projection took, when
/// that is longer (judging a large session must not starve ingest).
pub async fn run(svc: Arc<Service>, pg: Pg) {
    let mut projector = Some(Projector::default());
    let mut pause = TICK;
    loop {
        tokio::time::sleep(pause).await;
        let start = Instant::now();
        let (svc2, mut p) = (svc.clone(), projector.take().unwrap_or_default());
        let joined = tokio::task::spawn_blocking(move || {
            let r = p.collect(&svc2);
            (p, r)
        })
        .await;
        let (mut p, collected) = match joined {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = %e, "projecting");
                continue;
            }
        };
        let written = match collected {
            Ok(Some(batch)) => pg.write(&batch).await.map(|()| Some(batch)),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match written {
            Ok(Some(batch)) if !batch.only_checkpoint() => tracing::debug!(
                size = batch.size,
                sessions = batch.sessions.len(),
                cases = batch.cases.len(),
                ms = start.elapsed().as_millis() as u64,
                "projected"
            ),
            Ok(_) => {}
            Err(e) => {
                // Whatever was not written is written again, all of it.
                tracing::error!(error = %e, "projecting into PostgreSQL");
                p = Projector::default();
            }
        }
        projector = Some(p);
        pause = TICK.max(start.elapsed() * 3).min(Duration::from_secs(5));
    }
}

/// Logs the `access` records reading nodes queue, as they are queued (a
/// NOTIFY wakes it; it also looks every second in case one was missed).
pub async fn log_access(svc: Arc<Service>, pg: Pg, url: String) {
    let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
        Ok(mut l) => match l.listen(super::pg::ACCESS_CHANNEL).await {
            Ok(()) => Some(l),
            Err(e) => {
                tracing::error!(error = %e, "listening for access records; polling instead");
                None
            }
        },
        Err(e) => {
            tracing::error!(error = %e, "listening for access records; polling instead");
            None
        }
    };
    loop {
        let wait = Duration::from_secs(1);
        match listener.as_mut() {
            Some(l) => {
                let _ = tokio::time::timeout(wait, l.recv()).await;
            }
            None => tokio::time::sleep(TICK).await,
        }
        if let Err(e) = log_queued(&svc, &pg).await {
            tracing::error!(error = %e, "logging queued access records");
            tokio::time::sleep(wait).await;
        }
    }
}

async fn log_queued(svc: &Arc<Service>, pg: &Pg) -> Result<()> {
    loop {
        let queued = pg.pending_access().await?;
        if queued.is_empty() {
            return Ok(());
        }
        let (ids, events): (Vec<i64>, Vec<Value>) = queued.into_iter().unzip();
        let s = svc.clone();
        tokio::task::spawn_blocking(move || s.log_queued_access(&events))
            .await
            .map_err(|e| crate::error::Error::Invalid(e.to_string()))??;
        pg.mark_logged(&ids).await?;
    }
}
