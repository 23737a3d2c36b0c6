//! Temporary probe (to be removed): how fast can the records be read from SQLite through sqlx.
use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Instant;

type T = (i64, String, String, String, Option<String>, i32, String);
const SQL: &str = "SELECT r.id, r.provider_id, r.entity, r.provider_ref, s.period_id,
    CASE WHEN s.status = 'approved' THEN 1 ELSE 0 END, CAST(r.data AS TEXT)
    FROM records r LEFT JOIN submissions s ON s.id = r.submission_id
    WHERE r.id > $1 AND r.id <= $2 ORDER BY r.id";

const BATCH: &str = "SELECT MAX(id), group_concat(
   id || ':' || ok || ':' ||
   length(CAST(provider_id AS BLOB)) || ':' || provider_id ||
   length(CAST(entity AS BLOB)) || ':' || entity ||
   length(CAST(provider_ref AS BLOB)) || ':' || provider_ref ||
   COALESCE(length(CAST(period_id AS BLOB)) || ':' || period_id, '-') ||
   length(CAST(data AS BLOB)) || ':' || data, '')
   FROM (SELECT r.id, r.provider_id, r.entity, r.provider_ref, s.period_id,
    CASE WHEN s.status = 'approved' THEN 1 ELSE 0 END AS ok, r.data
    FROM records r LEFT JOIN submissions s ON s.id = r.submission_id
    WHERE r.id > $1 ORDER BY r.id LIMIT 4096)";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = std::env::args().nth(1).unwrap();
    {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{db}"))?
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        let t = Instant::now();
        let mut last = 0i64;
        let mut n = 0usize;
        let mut chunks = 0;
        loop {
            let (max, text): (Option<i64>, Option<String>) =
                sqlx::query_as(BATCH).bind(last).fetch_one(&pool).await?;
            let Some(max) = max else { break };
            last = max;
            n += text.map(|t| t.len()).unwrap_or(0);
            chunks += 1;
        }
        eprintln!(
            "batched: {:.2} s ({n} bytes, {chunks} chunks)",
            t.elapsed().as_secs_f64()
        );
    }
    for buf in [50usize, 1024] {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{db}"))?
            .row_buffer_size(buf)
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        let (max,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM records")
            .fetch_one(&pool)
            .await?;
        let t = Instant::now();
        let mut n = 0usize;
        let mut rows = sqlx::query_as::<_, T>(SQL)
            .bind(0i64)
            .bind(max)
            .fetch(&pool);
        while let Some(r) = rows.try_next().await? {
            n += r.6.len();
        }
        drop(rows);
        eprintln!(
            "buf {buf}: one stream {:.2} s ({n} bytes)",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let parts = 4i64;
        let step = max / parts + 1;
        let mut tasks = Vec::new();
        for p in 0..parts {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = 0usize;
                let mut rows = sqlx::query_as::<_, T>(SQL)
                    .bind(p * step)
                    .bind((p + 1) * step)
                    .fetch(&pool);
                while let Some(r) = rows.try_next().await.unwrap() {
                    n += r.6.len();
                }
                n
            }));
        }
        let mut n = 0;
        for t in tasks {
            n += t.await?;
        }
        eprintln!(
            "buf {buf}: {parts} streams {:.2} s ({n} bytes)",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let mut n = 0usize;
        let mut rows =
            sqlx::query_as::<_, (i64,)>("SELECT id FROM records ORDER BY id").fetch(&pool);
        while let Some(r) = rows.try_next().await? {
            n += r.0 as usize & 1;
        }
        drop(rows);
        eprintln!(
            "buf {buf}: ids only {:.2} s ({n})",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let (c,): (i64,) = sqlx::query_as("SELECT SUM(length(data)) FROM records")
            .fetch_one(&pool)
            .await?;
        eprintln!(
            "sqlite alone: sum(length(data)) {:.2} s ({c})",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
