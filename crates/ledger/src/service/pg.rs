//! The PostgreSQL read side (`serve --database postgres://…`, api.md).
//!
//! The appender projects what the service reads — every session's row and
//! report (and each merchant's view of it), product reports, cases, alerts,
//! tokens — into PostgreSQL, each projection in **one transaction** that
//! also moves the `liveledger_checkpoint` row to the signed checkpoint the
//! answers were computed at. A reader's query joins that row, so it sees
//! one whole projection or the one before, never half of one.
//!
//! Rows are written only when they changed (the appender keeps a hash of
//! each); answers are stored without their checkpoint, which a reader adds
//! from the row it read with them. Reading nodes cannot append, so the
//! `access` records of what they showed go through `liveledger_access`: a
//! reader inserts the event, the appender logs it (by its id, so a crash
//! between logging and marking only makes a duplicate that is dropped) and
//! marks it, and only then does the reader answer.

use super::feed::Raised;
use super::tokens::TokenRec;
use crate::error::{Error, Result};
use analysis::owners::{CaseOwners, ProductOwners, SessionOwners};
use serde_json::Value;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;
use std::time::Duration;

/// The tables; created if missing, under a lock so that nodes starting at
/// once do not race. `format` says which layout a database holds.
const SCHEMA: &str = "
SET LOCAL client_min_messages = warning;
CREATE TABLE IF NOT EXISTS liveledger_format (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    format integer NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_checkpoint (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    size bigint NOT NULL,
    checkpoint jsonb NOT NULL,
    pack text NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS liveledger_appender (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    url text NOT NULL,
    since timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS liveledger_sessions (
    id text PRIMARY KEY,
    platform text, anchor text, mcn text, merchants text[] NOT NULL,
    row jsonb NOT NULL,
    report jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_merchant_views (
    session text NOT NULL,
    merchant text NOT NULL,
    report jsonb NOT NULL,
    PRIMARY KEY (session, merchant));
CREATE TABLE IF NOT EXISTS liveledger_products (
    id text PRIMARY KEY,
    merchant text, platforms text[] NOT NULL,
    report jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_cases (
    id text PRIMARY KEY,
    position bigint NOT NULL,
    platform text, anchor text, mcn text, merchants text[],
    merchant text, buyer bigint,
    answer jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_alerts (
    position bigint PRIMARY KEY,
    platform text, anchor text, mcn text, merchants text[] NOT NULL,
    alert jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_tokens (
    name text PRIMARY KEY,
    token jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS liveledger_access (
    id bigserial PRIMARY KEY,
    event jsonb NOT NULL,
    logged boolean NOT NULL DEFAULT false);
INSERT INTO liveledger_format VALUES (true, 1) ON CONFLICT DO NOTHING;
";
const FORMAT: i32 = 1;
/// The channel on which a queued access record wakes the appender.
pub const ACCESS_CHANNEL: &str = "liveledger_access";
/// The advisory lock taken while the tables are created (any number; "ll").
const SCHEMA_LOCK: i64 = 0x6c6c;

/// What a failed database call was doing, and why it failed.
fn failed(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| Error::Invalid(format!("PostgreSQL: {what}: {e}"))
}

/// A connection pool to the read side.
#[derive(Clone)]
pub struct Pg {
    pool: PgPool,
}

/// The parties of a session as columns: platform, anchor, MCN, merchants.
type OwnerCols = (Option<String>, Option<String>, Option<String>, Vec<String>);

fn cols(o: &SessionOwners) -> OwnerCols {
    (
        o.platform.clone(),
        o.anchor.clone(),
        o.mcn.clone(),
        o.merchants.iter().cloned().collect(),
    )
}

fn owners((platform, anchor, mcn, merchants): OwnerCols) -> SessionOwners {
    SessionOwners {
        platform,
        anchor,
        mcn,
        merchants: merchants.into_iter().collect(),
    }
}

/// One projection: the rows that changed since the last one, and the
/// checkpoint every answer in it was computed at.
#[derive(Default)]
pub struct Projection {
    pub size: u64,
    pub checkpoint: Value,
    /// The liability pack the cases were decided under.
    pub pack: String,
    /// (id, parties, row, report without checkpoint)
    pub sessions: Vec<(String, SessionOwners, Value, Value)>,
    /// (session, merchant, that merchant's view of the report)
    pub views: Vec<(String, String, Value)>,
    pub products: Vec<(String, ProductOwners, Value)>,
    /// (id, position in the case list, parties, answer)
    pub cases: Vec<(String, i64, CaseOwners, Value)>,
    /// (position, 1-based as the SSE ids, alert)
    pub alerts: Vec<(i64, Raised)>,
    /// Every token, when the list changed.
    pub tokens: Option<Vec<TokenRec>>,
}

impl Projection {
    /// Whether it changes nothing but the checkpoint.
    pub fn only_checkpoint(&self) -> bool {
        self.sessions.is_empty()
            && self.views.is_empty()
            && self.products.is_empty()
            && self.cases.is_empty()
            && self.alerts.is_empty()
            && self.tokens.is_none()
    }
}

/// Cases as a reader gets them: each with its parties; the checkpoint; the pack.
pub type CasesRead = (Vec<(CaseOwners, Value)>, Value, String);

/// A session as a reader gets it: parties, report, checkpoint.
pub type SessionRead = (SessionOwners, Value, Value);

impl Pg {
    /// Connects and creates the tables if they are missing; refuses a
    /// database laid out by another format.
    pub async fn connect(url: &str) -> Result<Pg> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| Error::Invalid(format!("PostgreSQL: connecting to {url}: {e}")))?;
        let mut tx = pool.begin().await.map_err(failed("starting"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(failed("locking the schema"))?;
        sqlx::raw_sql(SCHEMA)
            .execute(&mut *tx)
            .await
            .map_err(failed("creating the tables"))?;
        let (format,): (i32,) = sqlx::query_as("SELECT format FROM liveledger_format")
            .fetch_one(&mut *tx)
            .await
            .map_err(failed("reading the format"))?;
        tx.commit().await.map_err(failed("creating the tables"))?;
        if format != FORMAT {
            return Err(Error::Invalid(format!(
                "PostgreSQL: {url} holds liveledger tables of format {format}; this build writes format {FORMAT} (use another database)"
            )));
        }
        Ok(Pg { pool })
    }

    /// Writes one projection in one transaction.
    pub async fn write(&self, p: &Projection) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(failed("starting"))?;
        let e = failed("writing the projection");
        for (id, o, row, report) in &p.sessions {
            let (platform, anchor, mcn, merchants) = cols(o);
            sqlx::query(
                "INSERT INTO liveledger_sessions VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET platform = $2, anchor = $3, mcn = $4,
                 merchants = $5, row = $6, report = $7",
            )
            .bind(id)
            .bind(platform)
            .bind(anchor)
            .bind(mcn)
            .bind(merchants)
            .bind(Json(row))
            .bind(Json(report))
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        }
        for (session, merchant, report) in &p.views {
            sqlx::query(
                "INSERT INTO liveledger_merchant_views VALUES ($1, $2, $3)
                 ON CONFLICT (session, merchant) DO UPDATE SET report = $3",
            )
            .bind(session)
            .bind(merchant)
            .bind(Json(report))
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        }
        for (id, o, report) in &p.products {
            let platforms: Vec<&String> = o.platforms.iter().collect();
            sqlx::query(
                "INSERT INTO liveledger_products VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET merchant = $2, platforms = $3, report = $4",
            )
            .bind(id)
            .bind(&o.merchant)
            .bind(platforms)
            .bind(Json(report))
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        }
        for (id, position, o, answer) in &p.cases {
            let (platform, anchor, mcn, merchants) = match &o.session {
                Some(s) => {
                    let (p, a, m, ms) = cols(s);
                    (p, a, m, Some(ms))
                }
                None => (None, None, None, None),
            };
            sqlx::query(
                "INSERT INTO liveledger_cases VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET position = $2, platform = $3, anchor = $4,
                 mcn = $5, merchants = $6, merchant = $7, buyer = $8, answer = $9",
            )
            .bind(id)
            .bind(position)
            .bind(platform)
            .bind(anchor)
            .bind(mcn)
            .bind(merchants)
            .bind(&o.merchant)
            // The key's bits as PostgreSQL's signed bigint.
            .bind(o.buyer.map(|b| b as i64))
            .bind(Json(answer))
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        }
        for (position, a) in &p.alerts {
            let (platform, anchor, mcn, merchants) = cols(&a.owners);
            sqlx::query(
                "INSERT INTO liveledger_alerts VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (position) DO NOTHING",
            )
            .bind(position)
            .bind(platform)
            .bind(anchor)
            .bind(mcn)
            .bind(merchants)
            .bind(Json(&a.json))
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        }
        if let Some(tokens) = &p.tokens {
            sqlx::query("DELETE FROM liveledger_tokens")
                .execute(&mut *tx)
                .await
                .map_err(&e)?;
            for t in tokens {
                sqlx::query("INSERT INTO liveledger_tokens VALUES ($1, $2)")
                    .bind(&t.name)
                    .bind(Json(t))
                    .execute(&mut *tx)
                    .await
                    .map_err(&e)?;
            }
        }
        sqlx::query(
            "INSERT INTO liveledger_checkpoint VALUES (true, $1, $2, $3, now())
             ON CONFLICT (one) DO UPDATE SET size = $1, checkpoint = $2, pack = $3, projected_at = now()",
        )
        .bind(p.size as i64)
        .bind(Json(&p.checkpoint))
        .bind(&p.pack)
        .execute(&mut *tx)
        .await
        .map_err(&e)?;
        tx.commit()
            .await
            .map_err(failed("committing the projection"))
    }

    /// Records that the node at `url` now appends (where writes go).
    pub async fn set_appender(&self, url: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO liveledger_appender VALUES (true, $1, now())
             ON CONFLICT (one) DO UPDATE SET url = $1, since = now()",
        )
        .bind(url)
        .execute(&self.pool)
        .await
        .map_err(failed("recording the appender"))?;
        Ok(())
    }

    /// Where the appender said it listens, if one ever did.
    pub async fn appender(&self) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT url FROM liveledger_appender")
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("reading the appender"))
    }

    /// Every token (hashes only, as the appender's list holds them).
    pub async fn tokens(&self) -> Result<Vec<TokenRec>> {
        let rows: Vec<(Json<TokenRec>,)> = sqlx::query_as("SELECT token FROM liveledger_tokens")
            .fetch_all(&self.pool)
            .await
            .map_err(failed("reading tokens"))?;
        Ok(rows.into_iter().map(|(t,)| t.0).collect())
    }

    /// The projected checkpoint, its size and liability pack.
    pub async fn checkpoint(&self) -> Result<Option<(u64, Value, String)>> {
        let row: Option<(i64, Json<Value>, String)> =
            sqlx::query_as("SELECT size, checkpoint, pack FROM liveledger_checkpoint")
                .fetch_optional(&self.pool)
                .await
                .map_err(failed("reading the checkpoint"))?;
        Ok(row.map(|(s, c, p)| (s as u64, c.0, p)))
    }

    /// Every session's parties and row.
    pub async fn sessions(&self) -> Result<Vec<(SessionOwners, Value)>> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Vec<String>,
            Json<Value>,
        );
        let rows: Vec<Row> =
            sqlx::query_as("SELECT platform, anchor, mcn, merchants, row FROM liveledger_sessions")
                .fetch_all(&self.pool)
                .await
                .map_err(failed("reading sessions"))?;
        Ok(rows
            .into_iter()
            .map(|(p, a, m, ms, row)| (owners((p, a, m, ms)), row.0))
            .collect())
    }

    /// A session's parties and report — `merchant`'s view of it if asked —
    /// with the checkpoint of the same projection.
    pub async fn session(&self, id: &str, merchant: Option<&str>) -> Result<Option<SessionRead>> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Vec<String>,
            Option<Json<Value>>,
            Json<Value>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT s.platform, s.anchor, s.mcn, s.merchants,
                    CASE WHEN $2::text IS NULL THEN s.report ELSE v.report END, c.checkpoint
             FROM liveledger_sessions s CROSS JOIN liveledger_checkpoint c
             LEFT JOIN liveledger_merchant_views v ON v.session = s.id AND v.merchant = $2
             WHERE s.id = $1",
        )
        .bind(id)
        .bind(merchant)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed("reading a session"))?;
        Ok(
            row.and_then(|(p, a, m, ms, report, cp)| {
                Some((owners((p, a, m, ms)), report?.0, cp.0))
            }),
        )
    }

    /// A product's parties and report, with the projection's checkpoint.
    pub async fn product(&self, id: &str) -> Result<Option<(ProductOwners, Value, Value)>> {
        type Row = (Option<String>, Vec<String>, Json<Value>, Json<Value>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT p.merchant, p.platforms, p.report, c.checkpoint
             FROM liveledger_products p CROSS JOIN liveledger_checkpoint c WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed("reading a product"))?;
        Ok(row.map(|(merchant, platforms, report, cp)| {
            let o = ProductOwners {
                merchant,
                platforms: platforms.into_iter().collect(),
            };
            (o, report.0, cp.0)
        }))
    }

    /// Cases (all, or the one `id`) in list order with their parties, and
    /// the checkpoint and pack of the same projection; `None` before the
    /// first projection.
    pub async fn cases(&self, id: Option<&str>) -> Result<Option<CasesRead>> {
        type Row = (
            Json<Value>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<Vec<String>>,
            Option<String>,
            Option<i64>,
            Option<Json<Value>>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.checkpoint, c.pack, k.platform, k.anchor, k.mcn, k.merchants, k.merchant,
                    k.buyer, k.answer
             FROM liveledger_checkpoint c
             LEFT JOIN liveledger_cases k ON $1::text IS NULL OR k.id = $1
             ORDER BY k.position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(failed("reading cases"))?;
        let Some((checkpoint, pack)) = rows.first().map(|r| (r.0 .0.clone(), r.1.clone())) else {
            return Ok(None);
        };
        let cases = rows
            .into_iter()
            .filter_map(|(_, _, p, a, m, ms, merchant, buyer, answer)| {
                let o = CaseOwners {
                    session: ms.map(|ms| owners((p, a, m, ms))),
                    merchant,
                    buyer: buyer.map(|b| b as u64),
                };
                Some((o, answer?.0))
            })
            .collect();
        Ok(Some((cases, checkpoint, pack)))
    }

    /// Alerts after position `from` (1-based positions, as the SSE ids).
    pub async fn alerts(&self, from: i64) -> Result<Vec<(i64, SessionOwners, Value)>> {
        type Row = (
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Vec<String>,
            Json<Value>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT position, platform, anchor, mcn, merchants, alert
             FROM liveledger_alerts WHERE position > $1 ORDER BY position",
        )
        .bind(from)
        .fetch_all(&self.pool)
        .await
        .map_err(failed("reading alerts"))?;
        Ok(rows
            .into_iter()
            .map(|(n, p, a, m, ms, alert)| (n, owners((p, a, m, ms)), alert.0))
            .collect())
    }

    /// Queues an `access` event for the appender to log, and wakes it; the
    /// record's queue number.
    pub async fn queue_access(&self, event: &Value) -> Result<i64> {
        let e = failed("queueing an access record");
        let id =
            sqlx::query_scalar("INSERT INTO liveledger_access (event) VALUES ($1) RETURNING id")
                .bind(Json(event))
                .fetch_one(&self.pool)
                .await
                .map_err(&e)?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(ACCESS_CHANNEL)
            .execute(&self.pool)
            .await
            .map_err(&e)?;
        Ok(id)
    }

    /// Whether the queued access record `id` is in the log.
    pub async fn access_logged(&self, id: i64) -> Result<bool> {
        sqlx::query_scalar("SELECT logged FROM liveledger_access WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(failed("reading an access record"))
    }

    /// Access records waiting to be logged, oldest first.
    pub async fn pending_access(&self) -> Result<Vec<(i64, Value)>> {
        let rows: Vec<(i64, Json<Value>)> = sqlx::query_as(
            "SELECT id, event FROM liveledger_access WHERE NOT logged ORDER BY id LIMIT 10000",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(failed("reading queued access records"))?;
        Ok(rows.into_iter().map(|(id, e)| (id, e.0)).collect())
    }

    /// Marks access records as logged.
    pub async fn mark_logged(&self, ids: &[i64]) -> Result<()> {
        sqlx::query("UPDATE liveledger_access SET logged = true WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(failed("marking access records"))?;
        Ok(())
    }
}
