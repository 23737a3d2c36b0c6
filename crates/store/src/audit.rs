//! The append-only, hash-chained audit log. Each entry's hash covers the previous entry's hash,
//! so changing or removing any entry breaks every hash after it; the database also refuses
//! UPDATE and DELETE on the table (triggers in the migrations).

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{BeginWrite, Store, StoreError, on_pool};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    Intact {
        entries: i64,
    },
    /// The first entry where the chain breaks, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

fn entry_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    object: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), at, actor, action, object, detail] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

type Row = (i64, String, String, String, String, String, String, String);

impl Store {
    /// Appends an entry. Concurrent writers cannot fork the chain: `seq` is the primary key, so
    /// the loser of a race retries on top of the winner.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<i64, StoreError> {
        let postgres = self.engine_name() == "postgres";
        for _ in 0..20 {
            let at = OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let res: Result<i64, sqlx::Error> = on_pool!(self, |pool| {
                async {
                    let mut tx = pool.begin_write().await?;
                    if postgres {
                        // One appender at a time, held to commit: without it concurrent writers
                        // under READ COMMITTED all read the same last entry and all but one fail.
                        sqlx::query("SELECT pg_advisory_xact_lock(7263541, 1)").execute(&mut *tx).await?;
                    }
                    let last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *tx).await?;
                    let (seq, prev) = last.map(|(s, h)| (s + 1, h)).unwrap_or((1, GENESIS.to_string()));
                    let hash = entry_hash(&prev, seq, &at, actor, action, object, detail);
                    sqlx::query("INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(seq).bind(&at).bind(actor).bind(action).bind(object).bind(detail).bind(&prev).bind(&hash)
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(seq)
                }
                .await
            });
            match res {
                Ok(seq) => return Ok(seq),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "the audit log is too busy; try again".into(),
        ))
    }

    /// Entries, newest first, optionally filtered by actor or action.
    pub async fn audit_entries(
        &self,
        actor: Option<&str>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT seq, at, actor, action, object, detail, prev_hash, hash FROM audit_log
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) ORDER BY seq DESC LIMIT $3")
            .bind(actor).bind(action).bind(limit).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, at, actor, action, object, detail, prev_hash, hash)| AuditEntry {
                    seq,
                    at,
                    actor,
                    action,
                    object,
                    detail,
                    prev_hash,
                    hash,
                },
            )
            .collect())
    }

    /// Recomputes the chain from the first entry and reports the first break.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT seq, at, actor, action, object, detail, prev_hash, hash FROM audit_log ORDER BY seq").fetch_all(pool).await
        })?;
        let mut prev = GENESIS.to_string();
        for (expected_seq, (seq, at, actor, action, object, detail, prev_hash, hash)) in
            (1..).zip(&rows)
        {
            if *seq != expected_seq {
                return Ok(AuditVerdict::Broken {
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} is missing (next is {seq})"),
                });
            }
            if *prev_hash != prev {
                return Ok(AuditVerdict::Broken {
                    seq: *seq,
                    reason: "it does not point to the entry before it".into(),
                });
            }
            if entry_hash(prev_hash, *seq, at, actor, action, object, detail) != *hash {
                return Ok(AuditVerdict::Broken {
                    seq: *seq,
                    reason: "its content was altered".into(),
                });
            }
            prev = hash.clone();
        }
        Ok(AuditVerdict::Intact {
            entries: rows.len() as i64,
        })
    }
}
