//! Every store test runs on both engines. PostgreSQL is required: when it cannot be reached the
//! test fails (set TESSERA_SKIP_PG=1 to run SQLite alone on a machine without it, never in CI).

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use tessera_store::Store;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// Runs SQL behind the store's back, as an intruder with database access would.
    pub async fn exec(&self, sql: &'static str) -> Result<u64, sqlx::Error> {
        match self {
            Raw::Sqlite(p) => sqlx::raw_sql(sql)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Raw::Postgres(p) => sqlx::raw_sql(sql)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    /// The same with SQL built at run time, e.g. hashes an intruder recomputed.
    pub async fn exec_string(&self, sql: String) -> Result<u64, sqlx::Error> {
        match self {
            Raw::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Raw::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
    }
}

pub struct Engine {
    pub name: &'static str,
    pub store: Store,
    pub raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    /// The SQLite file, for tests that compare it byte for byte.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("t.db"))
    }
}

pub async fn engines() -> Vec<Engine> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let raw = Raw::Sqlite(
        sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    );
    let mut out = vec![Engine {
        name: "sqlite",
        store,
        raw,
        _dir: Some(dir),
    }];
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return out;
    }
    let url = std::env::var("TESSERA_PG_URL").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let schema = format!("t_{}_{}", std::process::id(), rand_suffix());
    let store = Store::open_pg_schema(&url, &schema).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the store tests and is unreachable at {url}: {e}\n(start it with scripts/test, or set TESSERA_SKIP_PG=1 outside CI)")
    });
    let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let raw = Raw::Postgres(
        sqlx::PgPool::connect_with(opts.options([("search_path", schema.as_str())]))
            .await
            .unwrap(),
    );
    out.push(Engine {
        name: "postgres",
        store,
        raw,
        _dir: None,
    });
    out
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!("{:x}{}", t & 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// `writers` tasks appending `each` audit entries at the same time.
pub async fn append_concurrently(store: &Store, writers: usize, each: usize) {
    let mut tasks = Vec::new();
    for i in 0..writers {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..each {
                s.audit("t", "x", &format!("{i}/{j}"), "").await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// A data-sharing agreement in force since 2020 covering `entities` at case level: the set-up
/// without which a provider may send nothing.
pub async fn agree(store: &Store, provider: &str, entities: &[&str]) {
    store
        .add_agreement(&tessera_store::Agreement {
            id: 0,
            provider_id: tessera_dictionary::ProviderId::parse(provider).unwrap(),
            entities: entities.iter().map(|e| e.to_string()).collect(),
            level: "case".into(),
            valid_from: time::macros::date!(2020 - 01 - 01),
            valid_to: None,
            signed_on: None,
            signatories: None,
            document_sha256: None,
            ended_on: None,
        })
        .await
        .unwrap();
}
