//! The relational projection of the log, through sqlx.
//!
//! Migrations are plain SQL files compiled into the binary and applied by
//! sqlx's migrator (what `sqlx::migrate!` builds, without its proc-macro
//! crate): in order, each in its own transaction, recorded with its
//! checksum in `_sqlx_migrations`, so an edited released migration or a
//! database newer than this program is refused. The projection's `log_size` is updated in the same
//! transaction as the rows it covers, so the two never disagree: after a
//! crash the projection resumes exactly where it stopped.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection, Executor, Row, SqlStr, SqliteConnection};
use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

/// (version, description, SQL), in order. Never edit a released migration: add one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "events", include_str!("../migrations/0001_events.sql")),
    (
        2,
        "order product",
        include_str!("../migrations/0002_order_product.sql"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database schema: {0} (upgrade liveledger, or `rebuild` the projection)")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// One row of the event index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub leaf: u64,
    pub id: String,
    /// The event's `type` (borrowed when the row is made at ingest).
    pub kind: Cow<'static, str>,
    pub session: Option<String>,
    pub at: String,
    /// The order and the product the event is about, if any.
    pub order: Option<String>,
    pub product: Option<String>,
}

pub struct Db {
    conn: SqliteConnection,
}

/// Rows per INSERT statement: 7 parameters each, under SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: usize = 500;

impl Db {
    /// Opens (creating if needed) the embedded SQLite database and migrates it.
    pub async fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across process crashes; the log, not
            // this projection, is the record, and it is rebuilt from the log.
            .synchronous(SqliteSynchronous::Normal);
        let conn = SqliteConnection::connect_with(&opts).await?;
        let mut db = Db { conn };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&mut self) -> Result<(), DbError> {
        // A projection from before the sqlx migrator kept its versions in
        // `schema_migrations`; it is derived state, so it starts over and
        // catches up from the log.
        let legacy: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_optional(&mut self.conn)
        .await?;
        if legacy.is_some() {
            self.conn
                .execute("DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS projection_state; DROP TABLE schema_migrations;")
                .await?;
        }
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    SqlStr::from_static(sql),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The log size the projection covers.
    pub async fn log_size(&mut self) -> Result<u64, DbError> {
        let v: i64 = sqlx::query("SELECT value FROM projection_state WHERE name = 'log_size'")
            .fetch_one(&mut self.conn)
            .await?
            .get(0);
        Ok(v as u64)
    }

    /// Adds rows for leaves `[from, new_size)` and advances `log_size`,
    /// atomically. Rows must be exactly those leaves, in order.
    ///
    /// Returns `false`, writing nothing, when the projection no longer
    /// stands at `from`: another process caught it up first. The check and
    /// the writes share one write transaction (`BEGIN IMMEDIATE`), so two
    /// processes catching up at once never interleave.
    pub async fn apply(
        &mut self,
        from: u64,
        rows: &[EventRow],
        new_size: u64,
    ) -> Result<bool, DbError> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let at: i64 = sqlx::query("SELECT value FROM projection_state WHERE name = 'log_size'")
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        if at as u64 != from {
            return Ok(false);
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::with_capacity(40 + chunk.len() * 16);
            sql.push_str(
                "INSERT INTO events (leaf, id, type, session, at, order_id, product) VALUES ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 {
                    "(?,?,?,?,?,?,?)"
                } else {
                    ",(?,?,?,?,?,?,?)"
                });
            }
            // Only placeholders are interpolated; every value is bound.
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.leaf as i64)
                    .bind(r.id.as_str())
                    .bind(r.kind.as_ref())
                    .bind(r.session.as_deref())
                    .bind(r.at.as_str())
                    .bind(r.order.as_deref())
                    .bind(r.product.as_deref());
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE projection_state SET value = ? WHERE name = 'log_size'")
            .bind(new_size as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Empties the projection, for a rebuild from the log.
    pub async fn reset(&mut self) -> Result<(), DbError> {
        let mut tx = self.conn.begin().await?;
        tx.execute("DELETE FROM events").await?;
        tx.execute("UPDATE projection_state SET value = 0 WHERE name = 'log_size'")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn event_by_id(&mut self, id: &str) -> Result<Option<EventRow>, DbError> {
        let row = sqlx::query(
            "SELECT leaf, id, type, session, at, order_id, product FROM events WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut self.conn)
        .await?;
        Ok(row.map(|r| to_row(&r)))
    }

    pub async fn events_of_session(&mut self, session: &str) -> Result<Vec<EventRow>, DbError> {
        let rows = sqlx::query(
            "SELECT leaf, id, type, session, at, order_id, product FROM events WHERE session = ? ORDER BY leaf",
        )
        .bind(session)
        .fetch_all(&mut self.conn)
        .await?;
        Ok(rows.iter().map(to_row).collect())
    }

    /// Leaves of the events about an order, in log order.
    pub async fn leaves_of_order(&mut self, order: &str) -> Result<Vec<u64>, DbError> {
        self.leaves(
            "SELECT leaf FROM events WHERE order_id = ? ORDER BY leaf",
            order,
        )
        .await
    }

    /// Leaves of the events about a product, in log order.
    pub async fn leaves_of_product(&mut self, product: &str) -> Result<Vec<u64>, DbError> {
        self.leaves(
            "SELECT leaf FROM events WHERE product = ? ORDER BY leaf",
            product,
        )
        .await
    }

    async fn leaves(&mut self, sql: &'static str, value: &str) -> Result<Vec<u64>, DbError> {
        let rows = sqlx::query(sql)
            .bind(value)
            .fetch_all(&mut self.conn)
            .await?;
        Ok(rows.iter().map(|r| r.get::<i64, _>(0) as u64).collect())
    }

    pub async fn count(&mut self) -> Result<u64, DbError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(&mut self.conn)
            .await?
            .get(0);
        Ok(n as u64)
    }
}

fn to_row(r: &sqlx::sqlite::SqliteRow) -> EventRow {
    EventRow {
        leaf: r.get::<i64, _>(0) as u64,
        id: r.get(1),
        kind: Cow::Owned(r.get(2)),
        session: r.get(3),
        at: r.get(4),
        order: r.get(5),
        product: r.get(6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(leaf: u64, session: Option<&str>) -> EventRow {
        EventRow {
            leaf,
            id: format!("e{leaf}"),
            kind: "comment".into(),
            session: session.map(str::to_string),
            at: "2020-04-01T20:00:00+08:00".into(),
            order: Some(format!("o{}", leaf % 10)),
            product: None,
        }
    }

    #[test]
    fn migrates_applies_and_queries() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.db");
            let mut db = Db::open_sqlite(&path).await.unwrap();
            assert_eq!(db.log_size().await.unwrap(), 0);
            let rows: Vec<EventRow> = (0..1200)
                .map(|i| row(i, (i % 2 == 0).then_some("s1")))
                .collect();
            assert!(db.apply(0, &rows, 1200).await.unwrap());
            // A second catch-up from the old cursor is refused, not doubled.
            assert!(!db.apply(0, &rows, 1200).await.unwrap());
            drop(db);
            // Reopening does not re-run migrations and keeps the cursor.
            let mut db = Db::open_sqlite(&path).await.unwrap();
            assert_eq!(db.log_size().await.unwrap(), 1200);
            let e7 = db.event_by_id("e7").await.unwrap().unwrap();
            assert_eq!(
                (e7.leaf, e7.kind.as_ref(), e7.session),
                (7, "comment", None)
            );
            assert_eq!(db.events_of_session("s1").await.unwrap().len(), 600);
            assert_eq!(db.leaves_of_order("o3").await.unwrap().len(), 120);
            // A duplicate leaf or id fails the whole batch and moves nothing.
            assert!(db
                .apply(1200, &[row(1200, None), row(5, None)], 1202)
                .await
                .is_err());
            assert_eq!(db.log_size().await.unwrap(), 1200);
            assert_eq!(db.count().await.unwrap(), 1200);
            db.reset().await.unwrap();
            assert_eq!(
                (db.count().await.unwrap(), db.log_size().await.unwrap()),
                (0, 0)
            );
        });
    }

    #[test]
    fn an_older_projection_starts_over_and_a_newer_one_is_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.db");
            let mut db = Db::open_sqlite(&path).await.unwrap();
            assert!(db.apply(0, &[row(0, None)], 1).await.unwrap());
            // As the hand-written runner of earlier releases left it.
            db.conn
                .execute("DROP TABLE _sqlx_migrations; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (2, 'then');")
                .await
                .unwrap();
            drop(db);
            let mut db = Db::open_sqlite(&path).await.unwrap();
            assert_eq!((db.count().await.unwrap(), db.log_size().await.unwrap()), (0, 0));
            // A schema from a later release is not touched.
            db.conn
                .execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', TRUE, X'00', 0)")
                .await
                .unwrap();
            drop(db);
            let e = Db::open_sqlite(&path).await.err().expect("refused");
            assert!(e.to_string().contains("99"), "{e}");
        });
    }
}
