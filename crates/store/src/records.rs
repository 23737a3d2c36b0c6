//! Records of every dictionary entity, stored under the provider's own reference, with history.
//! Every read goes through an [`Access`], which the queries themselves enforce.

use std::sync::Arc;

use rustc_hash::FxHashSet;
use serde_json::Value;
use sqlx::types::Json;
use tessera_dictionary::{ProviderId, Role};
use tessera_intake::{EncodedRecord, IntakeRecord};
use time::OffsetDateTime;

use crate::accounts::User;
use crate::registry::SubmissionStatus;
use crate::{BeginWrite, Store, StoreError, on_pool};

/// Copies the stored versions of the given references into `record_history` before they are
/// replaced. Returns how many rows were copied (the records about to be updated).
macro_rules! copy_history {
    ($tx:expr, $refs:expr, $provider:expr, $entity:expr, $now:expr) => {{
        let mut hist = sqlx::QueryBuilder::new(
            "INSERT INTO record_history (record_id, version, submission_id, data, replaced_at) SELECT id, version, submission_id, data, ",
        );
        hist.push_bind($now)
            .push(" FROM records WHERE provider_id = ")
            .push_bind($provider)
            .push(" AND entity = ")
            .push_bind($entity)
            .push(" AND provider_ref IN (");
        let mut sep = hist.separated(", ");
        for r in $refs {
            sep.push_bind(r.provider_ref.clone());
        }
        hist.push(")");
        hist.build().execute(&mut **$tx).await?.rows_affected()
    }};
}

/// Upserts records with one statement. The values shared by every row (provider, entity,
/// dictionary version, submission, time) are bound once; each row binds its own five, moved
/// rather than copied. On SQLite the rows' parameters are plain `?` and the shared ones are bound
/// after them (see [`upsert_sql`]); on PostgreSQL the shared ones are `$1`–`$5`.
macro_rules! upsert_rows {
    ($tx:expr, $sql:expr, $shared_first:expr, $rows:expr, $provider:expr, $entity:expr, $version:expr, $submission:expr, $now:expr) => {{
        let mut q = sqlx::query($sql);
        if $shared_first {
            q = q
                .bind($provider)
                .bind($entity)
                .bind($version)
                .bind($submission)
                .bind($now);
        }
        for r in $rows {
            q = q
                .bind(r.provider_ref)
                .bind(r.json)
                .bind(r.birth_year)
                .bind(r.clk)
                .bind(r.keys);
        }
        if !$shared_first {
            q = q
                .bind($provider)
                .bind($entity)
                .bind($version)
                .bind($submission)
                .bind($now);
        }
        q.execute(&mut **$tx).await?;
    }};
}

/// The upsert of `rows` records for [`upsert_rows!`]. PostgreSQL numbers every parameter, the
/// shared ones first. SQLite gets the rows' parameters as plain `?` and the shared ones named
/// after them (`$5n+1`…): SQLite looks a named parameter up in a list, so naming all 5,000 of
/// a statement made each bind a scan of that list.
fn upsert_sql(rows: usize, postgres: bool) -> String {
    let mut sql = String::with_capacity(400 + rows * 64);
    sql.push_str(
        "INSERT INTO records (provider_id, entity, provider_ref, submission_id, dictionary_version, version, data, birth_year, clk, pkeys, updated_at) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        let row = if postgres {
            let p = 6 + i * 5;
            format!(
                "($1, $2, ${p}, $4, $3, 1, CAST(${} AS JSONB), ${}, ${}, ${}, $5)",
                p + 1,
                p + 2,
                p + 3,
                p + 4
            )
        } else {
            let s = rows * 5;
            format!(
                "(${}, ${}, ?, ${}, ${}, 1, ?, ?, ?, ?, ${})",
                s + 1,
                s + 2,
                s + 4,
                s + 3,
                s + 5
            )
        };
        sql.push_str(&row);
    }
    sql.push_str(
        " ON CONFLICT (provider_id, entity, provider_ref) DO UPDATE SET version = records.version + 1, data = excluded.data,
          submission_id = excluded.submission_id, dictionary_version = excluded.dictionary_version, birth_year = excluded.birth_year,
          clk = excluded.clk, pkeys = excluded.pkeys, updated_at = excluded.updated_at",
    );
    sql
}

/// Which of the records about to be written are stored already with the same values and
/// pseudonyms (and in a submission, unless the import names none): those are left as they are.
/// The rows' four parameters come first, then provider, entity and submission; SQLite numbers
/// them by position (`?`), PostgreSQL by `$n`.
fn same_sql(rows: usize, postgres: bool) -> String {
    let mut sql = String::with_capacity(300 + rows * 48);
    sql.push_str("SELECT r.provider_ref FROM records r JOIN (VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        if postgres {
            let p = 1 + i * 4;
            sql.push_str(&format!(
                "(${p}, CAST(${} AS JSONB), ${}, ${})",
                p + 1,
                p + 2,
                p + 3
            ));
        } else {
            sql.push_str("(?, ?, ?, ?)");
        }
    }
    let shared = if postgres {
        let p = 1 + rows * 4;
        [
            format!("${p}"),
            format!("${}", p + 1),
            format!("${}", p + 2),
        ]
    } else {
        ["?".to_string(), "?".to_string(), "?".to_string()]
    };
    sql.push_str(&format!(
        ") AS v ON r.provider_ref = v.column1 WHERE r.provider_id = {} AND r.entity = {} \
         AND r.data = v.column2 AND r.clk IS NOT DISTINCT FROM v.column3 \
         AND r.pkeys IS NOT DISTINCT FROM v.column4 AND (r.submission_id IS NOT NULL OR {} IS NULL)",
        shared[0], shared[1], shared[2]
    ));
    sql
}

/// The references of `$rows` already stored unchanged (see [`same_sql`]).
macro_rules! same_refs {
    ($tx:expr, $sql:expr, $rows:expr, $provider:expr, $entity:expr, $submission:expr) => {{
        let mut q = sqlx::query_as::<_, (String,)>($sql);
        for r in $rows {
            q = q
                .bind(r.provider_ref.as_str())
                .bind(r.json.as_str())
                .bind(r.clk.as_deref())
                .bind(r.keys.as_deref());
        }
        q.bind($provider)
            .bind($entity)
            .bind($submission)
            .fetch_all(&mut **$tx)
            .await?
    }};
}

/// Rows per INSERT statement: 5 parameters each (+ 5 shared) stays well under SQLite's 32,766 and
/// PostgreSQL's 65,535 bind limits.
const ROWS_PER_STATEMENT: usize = 1000;

/// Whose case-level records a caller may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Only this provider's records (focal points and viewers).
    Provider(ProviderId),
    /// Every provider's pseudonymised records (coordinators, analysts, and the CLI run by the
    /// system operator on the server).
    National,
}

impl Access {
    /// The access a user's role grants. Admins and partners have no case-level access at all.
    pub fn for_user(user: &User) -> Result<Access, StoreError> {
        match (user.role, &user.provider_id) {
            (Role::FocalPoint | Role::Viewer, Some(p)) => Ok(Access::Provider(p.clone())),
            (Role::Coordinator | Role::Analyst, _) => Ok(Access::National),
            (role, _) => Err(StoreError::Forbidden(format!(
                "the {} role has no access to case-level records",
                role.as_str()
            ))),
        }
    }

    pub(crate) fn provider_filter(&self) -> Option<&str> {
        match self {
            Access::Provider(p) => Some(p.as_str()),
            Access::National => None,
        }
    }
}

/// A stored record (no identifying fields exist to return).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRecord {
    pub id: i64,
    pub provider_id: String,
    pub entity: String,
    pub provider_ref: String,
    pub version: i64,
    pub submission_id: Option<i64>,
    pub dictionary_version: String,
    pub data: Value,
}

/// A record ready to bind: its values already serialised. Preparing is the CPU-heavy part of a
/// write, so imports do it on another thread than the one that talks to the database.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    pub provider_ref: String,
    pub json: String,
    pub birth_year: Option<i64>,
    pub clk: Option<Vec<u8>>,
    pub keys: Option<Vec<u8>>,
}

impl PreparedRecord {
    pub fn new(r: &IntakeRecord) -> PreparedRecord {
        PreparedRecord {
            provider_ref: r.provider_ref.clone(),
            json: record_json(&r.data),
            birth_year: r.data.get("birth_year").and_then(Value::as_i64),
            clk: r.pseudonyms.as_ref().map(|p| p.clk_bytes()),
            keys: r.pseudonyms.as_ref().map(|p| p.keys_bytes()),
        }
    }

    /// A record that intake already wrote in its stored form (see
    /// [`tessera_intake::validate_stream_encoded`]); its texts are moved, not copied.
    pub fn from_encoded(r: EncodedRecord) -> PreparedRecord {
        PreparedRecord {
            clk: r.pseudonyms.as_ref().map(|p| p.clk_bytes()),
            keys: r.pseudonyms.as_ref().map(|p| p.keys_bytes()),
            provider_ref: r.provider_ref,
            json: r.json,
            birth_year: r.birth_year,
        }
    }
}

/// The stored JSON text of a record's values.
fn record_json(data: &serde_json::Map<String, Value>) -> String {
    let mut out = Vec::with_capacity(384);
    // A map of JSON values always serialises, and serde_json writes UTF-8.
    if serde_json::to_writer(&mut out, data).is_err() {
        return "{}".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".into())
}

/// What storing a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct InsertOutcome {
    pub inserted: u64,
    /// Records that already existed under the same provider reference: updated, old version kept in history.
    pub updated: u64,
    /// Records sent again with the same values and pseudonyms: left as they were (same version,
    /// submission and time), so a cumulative export re-sent every month adds no history.
    pub unchanged: u64,
}

/// A person record as linkage sees it: no name, only pseudonyms and quasi-identifiers.
#[derive(Debug, Clone)]
pub struct PseudonymRow {
    pub id: i64,
    pub provider_id: String,
    pub provider_ref: String,
    pub birth_year: Option<i64>,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
    pub clk: Vec<u8>,
    pub pkeys: Vec<u8>,
}

/// A query of whole records (the columns [`RecordRow`] reads) with the given condition.
macro_rules! record_select {
    ($condition:literal) => {
        concat!(
            "SELECT id, provider_id, entity, provider_ref, version, submission_id, dictionary_version, data FROM records ",
            $condition
        )
    };
}

type RecordRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    Json<Value>,
);

fn record_from_row(
    (id, provider_id, entity, provider_ref, version, submission_id, dictionary_version, data): RecordRow,
) -> StoredRecord {
    StoredRecord {
        id,
        provider_id,
        entity,
        provider_ref,
        version,
        submission_id,
        dictionary_version,
        data: data.0,
    }
}

/// A record as an analyst exports it: its values, version and submission, with the
/// submission's period and status and, when approved, the time of approval.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedRecord {
    pub record: StoredRecord,
    pub period_id: Option<String>,
    pub submission_status: Option<SubmissionStatus>,
    /// When the record's submission was approved (`None` unless it is approved).
    pub approved_at: Option<OffsetDateTime>,
}

type ExportRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    Json<Value>,
    Option<String>,
    Option<String>,
    Option<OffsetDateTime>,
);

impl Store {
    /// [`Store::records`] with each record's submission: period, status and approval time, in
    /// id order after `after_id` (keyset paging). The same access rule applies.
    pub async fn records_for_export(
        &self,
        access: &Access,
        entity: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportedRecord>, StoreError> {
        let rows: Vec<ExportRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.provider_id, r.entity, r.provider_ref, r.version, r.submission_id, r.dictionary_version, r.data, \
                        s.period_id, s.status, s.decided_at \
                 FROM records r LEFT JOIN submissions s ON s.id = r.submission_id \
                 WHERE r.entity = $1 AND r.id > $2 AND ($3 IS NULL OR r.provider_id = $3) ORDER BY r.id LIMIT $4",
            )
            .bind(entity)
            .bind(after_id)
            .bind(access.provider_filter())
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(
                |(
                    id,
                    provider_id,
                    entity,
                    provider_ref,
                    version,
                    submission_id,
                    dv,
                    data,
                    period_id,
                    status,
                    decided_at,
                )| {
                    let submission_status =
                        status.as_deref().map(SubmissionStatus::parse).transpose()?;
                    let approved_at = decided_at
                        .filter(|_| submission_status == Some(SubmissionStatus::Approved));
                    Ok(ExportedRecord {
                        record: record_from_row((
                            id,
                            provider_id,
                            entity,
                            provider_ref,
                            version,
                            submission_id,
                            dv,
                            data,
                        )),
                        period_id,
                        submission_status,
                        approved_at,
                    })
                },
            )
            .collect()
    }

    /// Stores a validated batch for one provider and entity, all or nothing. A record whose
    /// provider reference is already stored is updated (version + 1) and its previous version
    /// kept in `record_history`: re-uploading never creates a duplicate. A record sent again
    /// with the same values and pseudonyms is left as it is (counted as unchanged), unless it
    /// belongs to no submission and this batch goes into one.
    pub async fn insert_records(
        &self,
        provider: &ProviderId,
        entity: &str,
        dictionary_version: &str,
        submission_id: Option<i64>,
        records: &[IntakeRecord],
    ) -> Result<InsertOutcome, StoreError> {
        let mut w = self
            .record_writer(provider, entity, dictionary_version, submission_id)
            .await?;
        w.write(records).await?;
        w.commit().await
    }

    /// Opens one transaction into which a large file can be streamed chunk by chunk and then
    /// committed, or rolled back if validation found a problem late in the file. When a
    /// submission is given it must be open (draft or returned): an approved submission is locked.
    pub async fn record_writer(
        &self,
        provider: &ProviderId,
        entity: &str,
        dictionary_version: &str,
        submission_id: Option<i64>,
    ) -> Result<RecordWriter, StoreError> {
        if let Some(id) = submission_id {
            let sub = self
                .submission(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))?;
            if sub.provider_id != provider.as_str() {
                return Err(StoreError::Forbidden(format!(
                    "submission {id} belongs to another provider"
                )));
            }
            if !matches!(
                sub.status,
                SubmissionStatus::Draft | SubmissionStatus::Returned
            ) {
                return Err(StoreError::Conflict(format!(
                    "submission {id} is {}: it is locked; corrections go into a new version",
                    sub.status.as_str()
                )));
            }
        }
        let mut tx = match &self.engine {
            crate::Engine::Sqlite(pool) => Tx::Sqlite(pool.begin_write().await?),
            crate::Engine::Postgres(pool) => Tx::Postgres(pool.begin_write().await?),
        };
        // When the provider has no record of this entity yet, nothing can be replaced: the history
        // copy is skipped (a reference repeated inside the batch switches it back on).
        let sql = "SELECT COUNT(*) FROM (SELECT 1 FROM records WHERE provider_id = $1 AND entity = $2 LIMIT 1) x";
        let (existing,): (i64,) = match &mut tx {
            Tx::Sqlite(t) => {
                sqlx::query_as(sql)
                    .bind(provider.as_str())
                    .bind(entity)
                    .fetch_one(&mut **t)
                    .await?
            }
            Tx::Postgres(t) => {
                sqlx::query_as(sql)
                    .bind(provider.as_str())
                    .bind(entity)
                    .fetch_one(&mut **t)
                    .await?
            }
        };
        Ok(RecordWriter {
            tx,
            provider: provider.clone(),
            entity: entity.to_string(),
            dictionary_version: dictionary_version.to_string(),
            submission_id,
            now: OffsetDateTime::now_utc(),
            outcome: InsertOutcome::default(),
            fresh: (existing == 0).then(FxHashSet::default),
            unique_refs: false,
            full_sql: None,
            full_same_sql: None,
        })
    }

    /// Records of an entity the caller may see, in id order after `after_id` (keyset paging).
    pub async fn records(
        &self,
        access: &Access,
        entity: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let rows: Vec<RecordRow> = on_pool!(self, |pool| {
            sqlx::query_as(record_select!(
                "WHERE entity = $1 AND id > $2 AND ($3 IS NULL OR provider_id = $3) ORDER BY id LIMIT $4"
            ))
            .bind(entity).bind(after_id).bind(access.provider_filter()).bind(limit).fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(record_from_row).collect())
    }

    /// Records of an entity whose current version came in submission `submission`, in id order
    /// after `after_id` (keyset paging), if the caller may see them: the records a coordinator
    /// reviews before deciding.
    pub async fn submission_records(
        &self,
        access: &Access,
        submission: i64,
        entity: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let rows: Vec<RecordRow> = on_pool!(self, |pool| {
            sqlx::query_as(record_select!(
                "WHERE submission_id = $1 AND entity = $2 AND id > $3 AND ($4 IS NULL OR provider_id = $4) ORDER BY id LIMIT $5"
            ))
            .bind(submission)
            .bind(entity)
            .bind(after_id)
            .bind(access.provider_filter())
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(record_from_row).collect())
    }

    /// One record by id, if the caller may see it. Another provider's record is reported as
    /// absent, so its existence does not leak.
    pub async fn record(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let row: Option<RecordRow> = on_pool!(self, |pool| {
            sqlx::query_as(record_select!(
                "WHERE id = $1 AND ($2 IS NULL OR provider_id = $2)"
            ))
            .bind(id)
            .bind(access.provider_filter())
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(record_from_row))
    }

    /// The records with these ids that the caller may see, in the order of `ids` (ids of records
    /// the caller may not see, or that do not exist, are left out). One query per 500 ids.
    pub async fn records_by_id(
        &self,
        access: &Access,
        ids: &[i64],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut found: std::collections::HashMap<i64, StoredRecord> =
            std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                record_select!("WHERE ($1 IS NULL OR provider_id = $1) AND id IN ({})"),
                list.join(", ")
            );
            let rows: Vec<RecordRow> = on_pool!(self, |pool| {
                // Only numbered placeholders are formatted in; every value is bound.
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(access.provider_filter());
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await
            })?;
            found.extend(rows.into_iter().map(|r| {
                let rec = record_from_row(r);
                (rec.id, rec)
            }));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Earlier versions of a record the caller may see, oldest first.
    pub async fn record_history(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Vec<(i64, Value)>, StoreError> {
        if self.record(access, id).await?.is_none() {
            return Err(StoreError::NotFound(format!("record {id}")));
        }
        let rows: Vec<(i64, Json<Value>)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT version, data FROM record_history WHERE record_id = $1 ORDER BY version"
        )
        .bind(id)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(v, d)| (v, d.0)).collect())
    }

    /// Number of records of an entity (all entities with `None`) the caller may see.
    pub async fn count_records(
        &self,
        access: &Access,
        entity: Option<&str>,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM records WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR provider_id = $2)")
            .bind(entity).bind(access.provider_filter()).fetch_one(pool).await
        })?;
        Ok(n)
    }

    /// The stored pseudonyms of person records the caller may see, with the quasi-identifiers
    /// linkage compares (sex, first citizenship): the input of record linkage.
    pub async fn pseudonyms(
        &self,
        access: &Access,
        entity: &str,
    ) -> Result<Vec<PseudonymRow>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            Option<i64>,
            Vec<u8>,
            Vec<u8>,
            Option<String>,
            Option<String>,
        );
        // Sex and first citizenship taken out of the JSON by the database (each only when it
        // is a string), so the rest of the record is never sent: the one dialect difference.
        let quasi = if self.engine_name() == "postgres" {
            "CASE WHEN jsonb_typeof(data -> 'sex') = 'string' THEN data ->> 'sex' END, \
             CASE WHEN jsonb_typeof(data -> 'citizenship') = 'array' \
             AND jsonb_typeof(data -> 'citizenship' -> 0) = 'string' THEN data -> 'citizenship' ->> 0 END"
        } else {
            "CASE WHEN json_type(data, '$.sex') = 'text' THEN json_extract(data, '$.sex') END, \
             CASE WHEN json_type(data, '$.citizenship[0]') = 'text' THEN json_extract(data, '$.citizenship[0]') END"
        };
        let sql = format!(
            "SELECT id, provider_id, provider_ref, birth_year, clk, pkeys, {quasi} FROM records \
             WHERE entity = $1 AND clk IS NOT NULL AND pkeys IS NOT NULL AND ($2 IS NULL OR provider_id = $2) ORDER BY id"
        );
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(entity)
                .bind(access.provider_filter())
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, provider_id, provider_ref, birth_year, clk, pkeys, sex, citizenship)| {
                    PseudonymRow {
                        id,
                        provider_id,
                        provider_ref,
                        birth_year,
                        sex,
                        citizenship,
                        clk,
                        pkeys,
                    }
                },
            )
            .collect())
    }
}

enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A write transaction for one provider's records of one entity. Dropping it without
/// [`RecordWriter::commit`] rolls everything back.
pub struct RecordWriter {
    tx: Tx,
    provider: ProviderId,
    entity: String,
    dictionary_version: String,
    submission_id: Option<i64>,
    now: OffsetDateTime,
    outcome: InsertOutcome,
    /// References written so far while the provider had none of this entity before.
    fresh: Option<FxHashSet<String>>,
    unique_refs: bool,
    /// The text of a full statement ([`ROWS_PER_STATEMENT`] rows), built on first use.
    full_sql: Option<Arc<str>>,
    /// The same for the query of unchanged records ([`same_sql`]).
    full_same_sql: Option<Arc<str>>,
}

impl RecordWriter {
    /// Writes records (in statements of a few hundred rows); nothing is visible before commit.
    pub async fn write(&mut self, records: &[IntakeRecord]) -> Result<(), StoreError> {
        let prepared: Vec<PreparedRecord> = records.iter().map(PreparedRecord::new).collect();
        self.write_prepared(prepared).await
    }

    /// The caller guarantees no reference repeats across what it writes (intake refuses such
    /// files), so no bookkeeping is needed to keep history right.
    pub fn assume_unique_refs(&mut self) {
        self.unique_refs = true;
    }

    /// Writes prepared records (see [`PreparedRecord`]); they are moved into the statements'
    /// parameters rather than copied.
    pub async fn write_prepared(&mut self, records: Vec<PreparedRecord>) -> Result<(), StoreError> {
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<PreparedRecord> = records.by_ref().take(ROWS_PER_STATEMENT).collect();
            // A reference repeated inside one statement would be upserted twice at once, which
            // the databases refuse or do without history: such a chunk goes one row at a time.
            let mut in_chunk = FxHashSet::default();
            let repeats = !self.unique_refs
                && !chunk
                    .iter()
                    .all(|r| in_chunk.insert(r.provider_ref.as_str()));
            drop(in_chunk);
            if !self.unique_refs
                && let Some(seen) = self.fresh.as_mut()
                && (repeats || !chunk.iter().all(|r| seen.insert(r.provider_ref.clone())))
            {
                self.fresh = None;
            }
            if repeats {
                for r in chunk {
                    self.write_statement(vec![r]).await?;
                }
            } else {
                self.write_statement(chunk).await?;
            }
        }
        Ok(())
    }

    /// The references among `rows` stored already with the same values (see [`same_sql`]).
    async fn unchanged(
        &mut self,
        rows: &[PreparedRecord],
    ) -> Result<FxHashSet<String>, StoreError> {
        let postgres = matches!(self.tx, Tx::Postgres(_));
        let sql: Arc<str> = if rows.len() == ROWS_PER_STATEMENT {
            self.full_same_sql
                .get_or_insert_with(|| same_sql(rows.len(), postgres).into())
                .clone()
        } else {
            same_sql(rows.len(), postgres).into()
        };
        let sql = sqlx::AssertSqlSafe(sql);
        let (provider, entity, submission) = (
            self.provider.as_str(),
            self.entity.as_str(),
            self.submission_id,
        );
        let same: Vec<(String,)> = match &mut self.tx {
            Tx::Sqlite(tx) => same_refs!(tx, sql, rows, provider, entity, submission),
            Tx::Postgres(tx) => same_refs!(tx, sql, rows, provider, entity, submission),
        };
        Ok(same.into_iter().map(|(r,)| r).collect())
    }

    /// One upsert statement (after the history copy when records may be replaced). Records that
    /// may exist already are first compared with what is stored: the unchanged ones are left out.
    async fn write_statement(&mut self, rows: Vec<PreparedRecord>) -> Result<(), StoreError> {
        let history = self.fresh.is_none();
        let rows = if history {
            let same = self.unchanged(&rows).await?;
            if same.is_empty() {
                rows
            } else {
                self.outcome.unchanged += same.len() as u64;
                rows.into_iter()
                    .filter(|r| !same.contains(&r.provider_ref))
                    .collect()
            }
        } else {
            rows
        };
        if rows.is_empty() {
            return Ok(());
        }
        let n = rows.len();
        let postgres = matches!(self.tx, Tx::Postgres(_));
        // Full statements all have the same text: it is built once, and the database keeps it
        // prepared.
        let sql: Arc<str> = if n == ROWS_PER_STATEMENT {
            self.full_sql
                .get_or_insert_with(|| upsert_sql(n, postgres).into())
                .clone()
        } else {
            upsert_sql(n, postgres).into()
        };
        let sql = sqlx::AssertSqlSafe(sql);
        let (provider, entity, version, submission, now) = (
            self.provider.as_str(),
            self.entity.as_str(),
            self.dictionary_version.as_str(),
            self.submission_id,
            self.now,
        );
        let updated = match &mut self.tx {
            Tx::Sqlite(tx) => {
                let updated = if history {
                    copy_history!(tx, &rows, provider, entity, now)
                } else {
                    0
                };
                upsert_rows!(
                    tx, sql, false, rows, provider, entity, version, submission, now
                );
                updated
            }
            Tx::Postgres(tx) => {
                let updated = if history {
                    copy_history!(tx, &rows, provider, entity, now)
                } else {
                    0
                };
                upsert_rows!(
                    tx, sql, true, rows, provider, entity, version, submission, now
                );
                updated
            }
        };
        self.outcome.updated += updated;
        self.outcome.inserted += n as u64 - updated;
        Ok(())
    }

    /// What has been written so far.
    pub fn outcome(&self) -> InsertOutcome {
        self.outcome
    }

    /// Commits, logging the change for the analysis layer's incremental facts (when anything
    /// was written) in the same transaction.
    pub async fn commit(self) -> Result<InsertOutcome, StoreError> {
        let wrote = self.outcome.inserted + self.outcome.updated > 0;
        let (provider, entity, submission) = (
            self.provider.as_str(),
            Some(self.entity.as_str()),
            self.submission_id,
        );
        match self.tx {
            Tx::Sqlite(mut tx) => {
                if wrote {
                    crate::facts::log_change!(tx, false, provider, entity, submission);
                }
                tx.commit().await?
            }
            Tx::Postgres(mut tx) => {
                if wrote {
                    crate::facts::log_change!(tx, true, provider, entity, submission);
                }
                tx.commit().await?
            }
        }
        Ok(self.outcome)
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}
