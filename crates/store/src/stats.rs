//! Reads for the analysis layer: the approved records of an entity, streamed row by row so a
//! million records never sit in memory as JSON, and a cheap fingerprint telling whether anything
//! the dashboards show may have changed.

use crate::records::Access;
use crate::{Store, StoreError, on_pool};

/// One approved record as the analysis layer reads it: no pseudonyms, only the values.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub id: i64,
    pub provider_id: String,
    pub entity: String,
    pub provider_ref: String,
    /// The reporting period of the submission the record came in (`None`: loaded outside any
    /// submission, e.g. by the operator's CLI).
    pub period_id: Option<String>,
    /// Whether that submission is approved: dashboards count only approved records, data
    /// quality looks at everything providers sent.
    pub approved: bool,
    /// The record's values as JSON text (variable code → value).
    pub data: String,
}

/// What changes whenever the approved data may have changed (see [`Store::approved_fingerprint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ApprovedFingerprint {
    /// Approved submissions: approval is final, so this only grows.
    pub approved_submissions: i64,
    /// Highest record id: grows with every new record.
    pub max_record_id: i64,
    /// Records stored in any version (history rows): grows with every update of a record.
    pub max_history_id: i64,
    /// Deletions so far (retention, lawful requests): grows with each, as the maxima above may
    /// not change when records go.
    pub erasures: i64,
}

impl Store {
    /// Calls `f` for every record of `entity` (of every entity with `None`) that `access` may
    /// see, in id order, with its
    /// submission's period and whether that submission is approved. Aggregates are built from
    /// these; a provider-bound access only ever receives its own records (the condition is in
    /// the SQL).
    pub async fn for_each_fact(
        &self,
        access: &Access,
        entity: Option<&str>,
        mut f: impl FnMut(FactRow) + Send,
    ) -> Result<u64, StoreError> {
        self.for_each_fact_ref(access, entity, |r| f(r.to_owned()))
            .await
    }

    /// A fingerprint of the approved data, read from three indexed maxima and one small table:
    /// when it is unchanged the analysis layer's in-memory facts are still current.
    pub async fn approved_fingerprint(&self) -> Result<ApprovedFingerprint, StoreError> {
        let (approved_submissions, max_record_id, max_history_id, erasures): (i64, i64, i64, i64) =
            on_pool!(self, |pool| {
                sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM submissions WHERE status = 'approved'),
                        (SELECT COALESCE(MAX(id), 0) FROM records),
                        (SELECT COALESCE(MAX(id), 0) FROM record_history),
                        (SELECT COALESCE(MAX(CAST(value AS BIGINT)), 0) FROM settings WHERE key = $1)"
            )
            .bind(crate::retention::ERASURES)
            .fetch_one(pool)
            .await
            })?;
        Ok(ApprovedFingerprint {
            approved_submissions,
            max_record_id,
            max_history_id,
            erasures,
        })
    }
}
