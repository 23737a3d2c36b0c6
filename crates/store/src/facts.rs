//! What the analysis layer's in-memory facts read: every record once, fast, and afterwards only
//! what changed.
//!
//! **Reading every record.** Through sqlx, SQLite hands over one row at a time from its worker
//! thread, and that hand-over, not SQLite, is most of the cost of a full read (about 2 µs a row,
//! even for a row of one integer). [`Store::for_each_fact_ref`] therefore asks SQLite for
//! [`CHUNK`] records per row — each record's fields length-prefixed and concatenated, so any
//! content reads back exactly — and parses the next chunk while SQLite builds the one after.
//! PostgreSQL streams rows without such a hand-over and is read row by row.
//!
//! **The change log** (`fact_changes`). Each transaction that writes records (an upload, a
//! single record, a correction, a new version) or moves a submission into or out of `approved`
//! adds one row naming the provider, the entity and the submission, just before it commits.
//! Rows are numbered in commit order: SQLite has one writer at a time, and PostgreSQL takes a
//! transaction-level advisory lock for the numbering, held to commit. So whoever reads the log
//! and sees row n has every row below n: reading only `seq > last` never misses a change,
//! whatever the number of writers and serving processes. Deletions (retention, lawful erasure)
//! are not logged: they move the erasure counter of [`ApprovedFingerprint`], and readers rebuild.

use futures_util::TryStreamExt;

use crate::records::Access;
use crate::stats::{ApprovedFingerprint, FactRow};
use crate::{Engine, Store, StoreError, on_pool};

/// Advisory lock (PostgreSQL) under which `fact_changes.seq` is assigned, held to commit.
pub(crate) const LOCK_SQL: &str = "SELECT pg_advisory_xact_lock(7263541, 3)";

/// The next row of the log (the lock, or SQLite's single writer, makes `MAX + 1` safe).
pub(crate) const INSERT_SQL: &str = "INSERT INTO fact_changes (seq, provider_id, entity, submission_id, at) \
     SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4 FROM fact_changes";

/// Logs a change inside the transaction `tx` that made it, just before its commit.
macro_rules! log_change {
    ($tx:expr, $postgres:expr, $provider:expr, $entity:expr, $submission:expr) => {{
        if $postgres {
            sqlx::query($crate::facts::LOCK_SQL)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query($crate::facts::INSERT_SQL)
            .bind($provider)
            .bind($entity)
            .bind($submission)
            .bind(time::OffsetDateTime::now_utc())
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use log_change;

/// Records per chunk of a full read on SQLite.
pub const CHUNK: i64 = 2048;

/// One record as [`FactRow`] has it, its text borrowed from the chunk it was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactRef<'a> {
    pub id: i64,
    pub provider_id: &'a str,
    pub entity: &'a str,
    pub provider_ref: &'a str,
    pub period_id: Option<&'a str>,
    pub approved: bool,
    pub data: &'a str,
}

impl FactRow {
    pub fn as_ref(&self) -> FactRef<'_> {
        FactRef {
            id: self.id,
            provider_id: &self.provider_id,
            entity: &self.entity,
            provider_ref: &self.provider_ref,
            period_id: self.period_id.as_deref(),
            approved: self.approved,
            data: &self.data,
        }
    }
}

impl FactRef<'_> {
    pub fn to_owned(&self) -> FactRow {
        FactRow {
            id: self.id,
            provider_id: self.provider_id.to_string(),
            entity: self.entity.to_string(),
            provider_ref: self.provider_ref.to_string(),
            period_id: self.period_id.map(str::to_string),
            approved: self.approved,
            data: self.data.to_string(),
        }
    }
}

/// A change logged: the records of `entity` (every entity with `None`) of `provider_id` in
/// `submission_id` (outside any submission with `None`) may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactChange {
    pub seq: i64,
    pub provider_id: String,
    pub entity: Option<String>,
    pub submission_id: Option<i64>,
}

/// Where the data stood, read in one statement: the last change logged and the fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactState {
    /// Highest `seq` of the change log (0 when empty).
    pub version: i64,
    pub fingerprint: ApprovedFingerprint,
}

type FactTuple = (i64, String, String, String, Option<String>, i32, String);

/// The columns of a record as the analysis layer reads it, from `records r` joined to its
/// submission `s`.
const COLUMNS: &str = "r.id, r.provider_id, r.entity, r.provider_ref, s.period_id,
     CASE WHEN s.status = 'approved' THEN 1 ELSE 0 END, CAST(r.data AS TEXT)";

/// Up to `$4` records after id `$1` (of entity `$2`, provider `$3` when given) as one text:
/// per record `id:approved:` then provider, entity, reference, period (`-` when none) and data,
/// each as its length in bytes, `:`, and its bytes.
const CHUNK_SQL: &str = "SELECT MAX(id), COUNT(*), group_concat(
       id || ':' || ok || ':' ||
       length(CAST(provider_id AS BLOB)) || ':' || provider_id ||
       length(CAST(entity AS BLOB)) || ':' || entity ||
       length(CAST(provider_ref AS BLOB)) || ':' || provider_ref ||
       COALESCE(length(CAST(period_id AS BLOB)) || ':' || period_id, '-') ||
       length(CAST(data AS BLOB)) || ':' || data, '')
     FROM (SELECT r.id, r.provider_id, r.entity, r.provider_ref, s.period_id,
                  CASE WHEN s.status = 'approved' THEN 1 ELSE 0 END AS ok, r.data
           FROM records r LEFT JOIN submissions s ON s.id = r.submission_id
           WHERE r.id > $1 AND ($2 IS NULL OR r.entity = $2) AND ($3 IS NULL OR r.provider_id = $3)
           ORDER BY r.id LIMIT $4)";

/// What the chunk reader hands over: a chunk (its text and record count), the end, or a
/// failure (the caller goes on row by row).
enum Chunk {
    Text(String, i64),
    End,
    Failed,
}

impl Store {
    /// Calls `f` for every record of `entity` (of every entity with `None`) that `access` may
    /// see, in id order, with its submission's period and whether that submission is approved
    /// (see [`Store::for_each_fact`]), the text borrowed: the analysis layer's full read.
    pub async fn for_each_fact_ref(
        &self,
        access: &Access,
        entity: Option<&str>,
        mut f: impl FnMut(FactRef<'_>) + Send,
    ) -> Result<u64, StoreError> {
        let provider = access.provider_filter().map(str::to_string);
        let entity = entity.map(str::to_string);
        let pool = match &self.engine {
            Engine::Sqlite(pool) => pool.clone(),
            Engine::Postgres(_) => {
                return self
                    .stream_facts(0, entity.as_deref(), provider.as_deref(), &mut f)
                    .await;
            }
        };
        // SQLite builds the next chunk (on its worker thread) while this one is parsed.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(2);
        let (e, p) = (entity.clone(), provider.clone());
        let reader = tokio::spawn(async move {
            let mut last = 0i64;
            loop {
                let res = sqlx::query_as::<_, (Option<i64>, i64, Option<String>)>(CHUNK_SQL)
                    .bind(last)
                    .bind(e.as_deref())
                    .bind(p.as_deref())
                    .bind(CHUNK)
                    .fetch_one(&pool)
                    .await;
                let msg = match res {
                    Ok((Some(max), n, Some(text))) => {
                        last = max;
                        Chunk::Text(text, n)
                    }
                    Ok(_) => Chunk::End,
                    Err(_) => Chunk::Failed,
                };
                let stop = !matches!(msg, Chunk::Text(..));
                if tx.send(msg).await.is_err() || stop {
                    return;
                }
            }
        });
        let mut n = 0u64;
        let mut last = 0i64;
        let mut done = false;
        while let Some(msg) = rx.recv().await {
            match msg {
                Chunk::Text(text, count) => {
                    let mut rows = Vec::with_capacity(count.max(0) as usize);
                    parse_chunk(&text, &mut rows)?;
                    if rows.len() as i64 != count {
                        return Err(StoreError::Invalid(format!(
                            "a chunk of {count} records read back as {}",
                            rows.len()
                        )));
                    }
                    // group_concat keeps the subquery's order in practice; make sure.
                    if !rows.windows(2).all(|w| w[0].id < w[1].id) {
                        rows.sort_unstable_by_key(|r| r.id);
                    }
                    for r in rows {
                        last = r.id;
                        n += 1;
                        f(r);
                    }
                }
                Chunk::End => {
                    done = true;
                    break;
                }
                Chunk::Failed => break,
            }
        }
        drop(rx);
        let _ = reader.await;
        if !done {
            // A chunk too large for one SQLite value, or the reader gone: the rest row by row.
            n += self
                .stream_facts(last, entity.as_deref(), provider.as_deref(), &mut f)
                .await?;
        }
        Ok(n)
    }

    /// The records after id `after`, one row at a time.
    async fn stream_facts(
        &self,
        after: i64,
        entity: Option<&str>,
        provider: Option<&str>,
        f: &mut (impl FnMut(FactRef<'_>) + Send),
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}
             FROM records r LEFT JOIN submissions s ON s.id = r.submission_id
             WHERE r.id > $1 AND ($2 IS NULL OR r.entity = $2) AND ($3 IS NULL OR r.provider_id = $3)
             ORDER BY r.id"
        );
        let mut n = 0u64;
        on_pool!(self, |pool| {
            let mut rows = sqlx::query_as::<_, FactTuple>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(after)
                .bind(entity)
                .bind(provider)
                .fetch(pool);
            while let Some(row) = rows.try_next().await? {
                n += 1;
                f(tuple_ref(&row));
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// The last change logged and the approved-data fingerprint, read together (one statement,
    /// so one snapshot): facts holding every change up to `version`, read when the fingerprint
    /// was this, are current.
    pub async fn fact_state(&self) -> Result<FactState, StoreError> {
        type Row = (i64, i64, i64, i64, i64);
        let (version, approved_submissions, max_record_id, max_history_id, erasures): Row = on_pool!(
            self,
            |pool| {
                sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM fact_changes),
                        (SELECT COUNT(*) FROM submissions WHERE status = 'approved'),
                        (SELECT COALESCE(MAX(id), 0) FROM records),
                        (SELECT COALESCE(MAX(id), 0) FROM record_history),
                        (SELECT COALESCE(MAX(CAST(value AS BIGINT)), 0) FROM settings WHERE key = $1)"
            )
            .bind(crate::retention::ERASURES)
            .fetch_one(pool)
            .await
            }
        )?;
        Ok(FactState {
            version,
            fingerprint: ApprovedFingerprint {
                approved_submissions,
                max_record_id,
                max_history_id,
                erasures,
            },
        })
    }

    /// The changes logged after `after` up to `upto` (both change numbers), oldest first.
    pub async fn fact_changes(&self, after: i64, upto: i64) -> Result<Vec<FactChange>, StoreError> {
        let rows: Vec<(i64, String, Option<String>, Option<i64>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT seq, provider_id, entity, submission_id FROM fact_changes \
                 WHERE seq > $1 AND seq <= $2 ORDER BY seq",
            )
            .bind(after)
            .bind(upto)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(seq, provider_id, entity, submission_id)| FactChange {
                seq,
                provider_id,
                entity,
                submission_id,
            })
            .collect())
    }

    /// Calls `f`, in id order, for every record `changes` name as it now stands (as
    /// [`Store::for_each_fact_ref`] gives them, national access): the records of each
    /// submission named, and for a change outside any submission the provider's records of that
    /// entity outside any submission. A record named twice is given once.
    pub async fn for_each_changed_fact(
        &self,
        changes: &[FactChange],
        mut f: impl FnMut(FactRef<'_>) + Send,
    ) -> Result<u64, StoreError> {
        let mut submissions: Vec<i64> = changes.iter().filter_map(|c| c.submission_id).collect();
        submissions.sort_unstable();
        submissions.dedup();
        let mut loose: Vec<(&str, Option<&str>)> = changes
            .iter()
            .filter(|c| c.submission_id.is_none())
            .map(|c| (c.provider_id.as_str(), c.entity.as_deref()))
            .collect();
        loose.sort_unstable();
        loose.dedup();
        if submissions.is_empty() && loose.is_empty() {
            return Ok(0);
        }
        // Only numbered placeholders are formatted into the text; every value is bound.
        let mut n = 0usize;
        let mut conditions = Vec::new();
        if !submissions.is_empty() {
            let list: Vec<String> = (0..submissions.len())
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            conditions.push(format!("r.submission_id IN ({})", list.join(", ")));
        }
        for (_, entity) in &loose {
            n += 1;
            let provider = n;
            let entity = match entity {
                Some(_) => {
                    n += 1;
                    format!(" AND r.entity = ${n}")
                }
                None => String::new(),
            };
            conditions.push(format!(
                "(r.submission_id IS NULL AND r.provider_id = ${provider}{entity})"
            ));
        }
        let sql = format!(
            "SELECT {COLUMNS}
             FROM records r LEFT JOIN submissions s ON s.id = r.submission_id
             WHERE {} ORDER BY r.id",
            conditions.join(" OR ")
        );
        let mut count = 0u64;
        on_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, FactTuple>(sqlx::AssertSqlSafe(sql.as_str()));
            for s in &submissions {
                q = q.bind(*s);
            }
            for (provider, entity) in &loose {
                q = q.bind(*provider);
                if let Some(e) = entity {
                    q = q.bind(*e);
                }
            }
            let mut rows = q.fetch(pool);
            while let Some(row) = rows.try_next().await? {
                count += 1;
                f(tuple_ref(&row));
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(count)
    }
}

fn tuple_ref(row: &FactTuple) -> FactRef<'_> {
    let (id, provider_id, entity, provider_ref, period_id, approved, data) = row;
    FactRef {
        id: *id,
        provider_id,
        entity,
        provider_ref,
        period_id: period_id.as_deref(),
        approved: *approved == 1,
        data,
    }
}

/// The records of one chunk of [`CHUNK_SQL`], appended to `out`.
fn parse_chunk<'a>(text: &'a str, out: &mut Vec<FactRef<'a>>) -> Result<(), StoreError> {
    let bad = || StoreError::Invalid("a chunk of records does not read back".into());
    let mut rest = text;
    // The number before the next `:`.
    fn number(s: &mut &str) -> Option<i64> {
        let end = s.find(':')?;
        let n = s[..end].parse().ok()?;
        *s = &s[end + 1..];
        Some(n)
    }
    // A length-prefixed field.
    fn field<'a>(s: &mut &'a str) -> Option<&'a str> {
        let len = usize::try_from(number(s)?).ok()?;
        let value = s.get(..len)?;
        *s = &s[len..];
        Some(value)
    }
    while !rest.is_empty() {
        let id = number(&mut rest).ok_or_else(bad)?;
        let approved = number(&mut rest).ok_or_else(bad)? == 1;
        let provider_id = field(&mut rest).ok_or_else(bad)?;
        let entity = field(&mut rest).ok_or_else(bad)?;
        let provider_ref = field(&mut rest).ok_or_else(bad)?;
        let period_id = match rest.strip_prefix('-') {
            Some(r) => {
                rest = r;
                None
            }
            None => Some(field(&mut rest).ok_or_else(bad)?),
        };
        let data = field(&mut rest).ok_or_else(bad)?;
        out.push(FactRef {
            id,
            provider_id,
            entity,
            provider_ref,
            period_id,
            approved,
            data,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_read_back_whatever_the_text_holds() {
        let text = "7:1:3:abc6:victim5:R:1:x7:2024-Q112:{\"a\":\"1:2-\"}\
                    9:0:1:p4:case0:-2:{}";
        let mut rows = Vec::new();
        parse_chunk(text, &mut rows).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, 7);
        assert!(rows[0].approved);
        assert_eq!(rows[0].provider_id, "abc");
        assert_eq!(rows[0].entity, "victim");
        assert_eq!(rows[0].provider_ref, "R:1:x");
        assert_eq!(rows[0].period_id, Some("2024-Q1"));
        assert_eq!(rows[0].data, "{\"a\":\"1:2-\"}");
        assert_eq!(rows[1].id, 9);
        assert!(!rows[1].approved);
        assert_eq!(rows[1].provider_ref, "");
        assert_eq!(rows[1].period_id, None);
        assert_eq!(rows[1].data, "{}");
        // Lengths are bytes, so text outside ASCII reads back whole; a cut chunk is refused.
        let mut rows = Vec::new();
        parse_chunk("1:1:2:é6:victim2:ñ-2:{}", &mut rows).unwrap();
        assert_eq!((rows[0].provider_id, rows[0].provider_ref), ("é", "ñ"));
        assert!(parse_chunk("1:1:5:ab", &mut Vec::new()).is_err());
        assert!(parse_chunk("1:1:2:é6:victim1:ñ-2:{}", &mut Vec::new()).is_err());
    }
}
