//! One store interface, two engines: SQLite (the embedded default, one file in WAL mode) and
//! PostgreSQL (production, chosen by a `postgres://` URL).
//!
//! [`Store`] is the interface. Each method's body is written once and compiled for both engines
//! by the `on_pool!` macro, so the two cannot drift apart; the SQL is the portable subset both
//! understand (`$n` parameters, `RETURNING`, `ON CONFLICT`). Where the dialects differ (column
//! types, triggers) the difference lives in the two migration folders.
//!
//! Provider isolation is enforced here, in the queries: every read of case-level data takes an
//! [`Access`], and a provider-bound access adds `provider_id = $n` to the query itself.

mod accounts;
mod audit;
mod backup;
mod error;
mod export;
mod facts;
mod import;
pub mod keyfile;
mod linkreview;
mod migrate;
mod records;
mod registry;
mod retention;
mod sessions;
mod stats;
pub mod throttle;
pub mod totp;
mod work;
pub mod workflow;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use accounts::{User, hash_password, verify_password};
pub use audit::{AuditEntry, AuditKey, AuditVerdict, actions};
pub use backup::{
    AuditManifest, BackupOptions, BackupSummary, Manifest, RestoreSummary, SecretManifest,
    TableManifest, VerifiedBackup, secret_fingerprint, verify_backup,
};
pub use error::StoreError;
pub use export::{EXPORT_COLUMNS, ExportOptions};
pub use facts::{FactChange, FactRef, FactState};
pub use import::{ImportRequest, ImportResult, ImportSource};
pub use linkreview::LinkDecision;
pub use records::{
    Access, ExportedRecord, InsertOutcome, PreparedRecord, PseudonymRow, RecordWriter, StoredRecord,
};
pub use registry::{
    Agreement, Period, Provider, ProviderProfile, ProviderSummary, Submission, SubmissionEvent,
    SubmissionStatus, Timeliness,
};
pub use retention::{Deletion, RetentionItem, RetentionRules};
pub use sessions::{
    ABSOLUTE_SECONDS, IDLE_SECONDS, SecondFactor, Session, SessionStage, SignIn, new_token,
};
pub use stats::{ApprovedFingerprint, FactRow};
pub use work::{
    COMPLETENESS_DROP, COUNT_RATIO, DIFF_LISTED, DRAFT_MAX_BYTES, DiffRecord, EntryDraft,
    MIN_RECORDS, PERIODS_COMPARED, PeriodWork, QualityCheck, QualityFlag, SubmissionDiff, Upload,
};
pub use workflow::{Actor, SubmissionAction};

/// The engine behind a [`Store`].
#[derive(Clone)]
pub(crate) enum Engine {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one body against whichever pool the store has; the body is type-checked for both.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.engine {
            $crate::Engine::Sqlite($pool) => $body,
            $crate::Engine::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The Tessera store.
#[derive(Clone)]
pub struct Store {
    pub(crate) engine: Engine,
    /// Failed sign-ins and second-factor codes, for back-off (see [`throttle`]).
    pub(crate) guard: std::sync::Arc<throttle::Throttle>,
    /// The audit key and checkpoint file (`audit.rs`): given by whoever holds the deployment
    /// secret, never read from the database.
    pub(crate) audit: audit::AuditSigning,
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `location`: a `postgres://` or
    /// `postgresql://` URL, or an SQLite file path (optionally written `sqlite://path`).
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(location).map_err(|e| StoreError::Connect {
                location: redact(location),
                message: e.to_string(),
            })?;
            Store::open_pg(opts, location).await
        } else {
            let path = location.strip_prefix("sqlite://").unwrap_or(location);
            Store::open_sqlite(path).await
        }
    }

    /// Opens a PostgreSQL store inside `schema` (created if missing): one database can then hold
    /// a fresh store per test, or a training sandbox beside production.
    pub async fn open_pg_schema(url: &str, schema: &str) -> Result<Store, StoreError> {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || schema.is_empty()
        {
            return Err(StoreError::Invalid(format!(
                "\"{schema}\" is not a valid schema name"
            )));
        }
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Connect {
            location: redact(url),
            message: e.to_string(),
        })?;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts.clone())
            .await
            .map_err(|e| StoreError::Connect {
                location: redact(url),
                message: e.to_string(),
            })?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        Store::open_pg(opts.options([("search_path", schema)]), url).await
    }

    async fn open_pg(opts: PgConnectOptions, location: &str) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Connect {
                location: redact(location),
                message: e.to_string(),
            })?;
        let store = Store {
            engine: Engine::Postgres(pool),
            guard: Default::default(),
            audit: audit::AuditSigning::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn open_sqlite(path: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            // Statement journals (every multi-row write keeps one while the statement runs) stay
            // in memory instead of a temporary file: a 1,000-row upsert journals ~160 KB.
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Connect {
                location: path.to_string(),
                message: e.to_string(),
            })?;
        let store = Store {
            engine: Engine::Sqlite(pool),
            guard: Default::default(),
            audit: audit::AuditSigning::beside(path),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// A deployment setting (e.g. which dictionary extension the data was collected under).
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|r| r.0))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(key).bind(value).execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Creates a setting only if there is none under `key` yet: `false` when one exists (another
    /// writer was first), which is then left as it is. With [`Store::replace_setting`], a
    /// read–change–write that may find the setting absent never loses another writer's change.
    pub async fn insert_setting(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Replaces a setting only if it still holds `expected` (compare and swap): `false` when
    /// another writer changed it since it was read, so a read–change–write never loses the
    /// other writer's change.
    pub async fn replace_setting(
        &self,
        key: &str,
        expected: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3")
                .bind(value)
                .bind(key)
                .bind(expected)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records (or, with `None`, removes) a National Action Plan figure entered by hand.
    pub async fn set_nap_value(
        &self,
        indicator: &str,
        year: i32,
        value: Option<f64>,
        note: Option<&str>,
        entered_by: &str,
    ) -> Result<(), StoreError> {
        if value.is_some_and(|v| !v.is_finite()) {
            return Err(StoreError::Invalid(format!(
                "the figure for {indicator} in {year} is not a number"
            )));
        }
        on_pool!(self, |pool| {
            match value {
            Some(v) => sqlx::query(
                "INSERT INTO nap_values (indicator, year, value, note, entered_by) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (indicator, year) DO UPDATE SET value = excluded.value, note = excluded.note, entered_by = excluded.entered_by"
            )
            .bind(indicator)
            .bind(year)
            .bind(v)
            .bind(note)
            .bind(entered_by)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
            None => sqlx::query("DELETE FROM nap_values WHERE indicator = $1 AND year = $2")
                .bind(indicator)
                .bind(year)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
        })?;
        Ok(())
    }

    /// Every figure entered by hand with where it came from and who entered it, by indicator
    /// and year.
    pub async fn nap_entries(&self) -> Result<Vec<NapEntry>, StoreError> {
        let rows: Vec<(String, i32, f64, Option<String>, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT indicator, year, value, note, entered_by FROM nap_values ORDER BY indicator, year",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(indicator, year, value, note, entered_by)| NapEntry {
                indicator,
                year,
                value,
                note,
                entered_by,
            })
            .collect())
    }

    /// Every figure entered by hand: (indicator, year, value).
    pub async fn nap_values(&self) -> Result<Vec<(String, i32, f64)>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as(
            "SELECT indicator, year, value FROM nap_values ORDER BY indicator, year"
        )
        .fetch_all(pool)
        .await)?)
    }
}

/// A National Action Plan figure entered by hand (`Store::set_nap_value`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NapEntry {
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    /// Where the figure comes from (a report, a register).
    pub note: Option<String>,
    pub entered_by: String,
}

/// A connection URL without its password, for messages and logs.
fn redact(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &location[s + 3..at];
            match creds.find(':') {
                Some(c) => format!(
                    "{}{}:***{}",
                    &location[..s + 3],
                    &creds[..c],
                    &location[at..]
                ),
                None => location.to_string(),
            }
        }
        _ => location.to_string(),
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads then writes fails with
/// SQLITE_BUSY_SNAPSHOT when another writer committed in between, and no timeout can save it.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("tessera.db"), "tessera.db");
    }
}
