//! What each role has to do, read from the store under the caller's [`Access`]:
//!
//! - a provider's periods and where each stands (due, days left or overdue, returned with the
//!   coordinator's comment), and the uploads it sent ([`Upload`], what the import stored or why it
//!   refused) — the focal point's home page;
//! - a submission's diff to its previous version ([`SubmissionDiff`]) and its data-quality flags
//!   against the provider's previous periods ([`QualityCheck`]) — the coordinator's review;
//! - submissions listed a page at a time;
//! - data-entry forms saved half-filled ([`EntryDraft`]), never with their identifying fields.
//!
//! The rules — which periods expect a provider, when a period counts as late, what is worth a
//! flag — are here, so the web pages, the API and the CLI cannot disagree.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::types::Json;
use tessera_dictionary::ProviderId;
use time::{Date, OffsetDateTime};

use crate::registry::{EventRow, SubmissionRow, submission_from_row};
use crate::{
    Access, Period, Store, StoreError, Submission, SubmissionEvent, SubmissionStatus, on_pool,
};

/// A file (or a form) a provider's user sent, and what became of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Upload {
    /// Its number (0 before it is recorded).
    pub id: i64,
    pub provider_id: String,
    /// The submission it went into (`None` when refused before a submission was chosen).
    pub submission_id: Option<i64>,
    pub entity: String,
    pub file_name: String,
    pub actor: String,
    pub at: OffsetDateTime,
    /// Data rows read from the file.
    pub rows: i64,
    /// Records stored for the first time.
    pub inserted: i64,
    /// Records stored before under the same reference, now replaced (previous version kept).
    pub updated: i64,
    /// Records sent again with the same values, left as they were.
    pub unchanged: i64,
    /// Problems found (the file was refused whole when there is any).
    pub errors: i64,
    /// What reading repaired (the import summary's notes), per interface language.
    pub notes: BTreeMap<String, String>,
}

impl Upload {
    /// Whether the file was stored (a file with one error is refused whole).
    pub fn stored(&self) -> bool {
        self.errors == 0
    }

    /// The notes in `lang`, or in English, or none.
    pub fn notes_in(&self, lang: &str) -> &str {
        self.notes
            .get(lang)
            .or_else(|| self.notes.get("en"))
            .map_or("", String::as_str)
    }
}

type UploadRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    OffsetDateTime,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
);

/// Where a provider stands in a reporting period that expects it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeriodWork {
    pub period: Period,
    /// The latest version of the provider's submission for the period, if one was started.
    pub latest: Option<Submission>,
    /// When the period's data was first submitted, by any version.
    pub first_submitted_at: Option<OffsetDateTime>,
    /// Days after the due date the period was first submitted (negative: early).
    pub days_late: Option<i64>,
    /// Days until the due date, while nothing was submitted and it is not past (0: due today).
    pub days_left: Option<i64>,
    /// Days past the due date with nothing ever submitted.
    pub days_overdue: Option<i64>,
    /// The coordinator's return, when the latest version was sent back: who, when and why.
    pub returned: Option<SubmissionEvent>,
    /// Records stored in the period's submissions.
    pub records: i64,
}

impl PeriodWork {
    /// Whether the provider has something to do for this period: send it, finish a draft or
    /// correct what was returned.
    pub fn to_do(&self) -> bool {
        match self.latest.as_ref().map(|s| s.status) {
            None => self.period.closed_on.is_none(),
            Some(SubmissionStatus::Draft | SubmissionStatus::Returned) => true,
            Some(SubmissionStatus::Submitted | SubmissionStatus::Approved) => false,
        }
    }
}

/// A record of a submission compared with the submission's previous version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DiffRecord {
    pub id: i64,
    pub entity: String,
    pub provider_ref: String,
    /// Variables whose value changed (added, removed or different), in code order; empty for
    /// an added record.
    pub fields: Vec<String>,
}

/// What a version of a submission changed compared with the version before it. The store never
/// deletes a record: a record of the previous version that this one did not send again (or sent
/// again unchanged) stays as it was, and is counted in `kept`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubmissionDiff {
    pub previous: Submission,
    /// Records this version sent for the first time in the period (at most [`DIFF_LISTED`]).
    pub added: Vec<DiffRecord>,
    pub added_total: usize,
    /// Records of an earlier version this one changed (at most [`DIFF_LISTED`]).
    pub changed: Vec<DiffRecord>,
    pub changed_total: usize,
    /// Records of earlier versions of the period this one left as they were.
    pub kept: i64,
}

/// Records listed per kind in a [`SubmissionDiff`] (all are counted).
pub const DIFF_LISTED: usize = 200;

/// A count flagged when it is more than this many times, or less than its inverse, the mean of
/// the provider's previous periods.
pub const COUNT_RATIO: f64 = 2.0;
/// A variable flagged when the share of records that have it fell by more than this (0.2: twenty
/// percentage points) from the provider's previous periods.
pub const COMPLETENESS_DROP: f64 = 0.2;
/// Fewer records than this, now or before, are too few to compare (shares of three records
/// jump by thirds).
pub const MIN_RECORDS: i64 = 5;
/// Previous periods compared with (the latest ones that have records).
pub const PERIODS_COMPARED: usize = 3;

/// What a flag is about.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QualityFlag {
    /// The period holds far more or far fewer records of `entity` than before.
    CountChange {
        entity: String,
        now: i64,
        /// Mean over the periods compared with.
        before: f64,
    },
    /// Far fewer records of `entity` have `variable` than before.
    CompletenessDrop {
        entity: String,
        variable: String,
        /// Share of records with a value, 0–1.
        now: f64,
        before: f64,
    },
}

/// A submission's period checked against the provider's previous periods.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QualityCheck {
    /// Periods compared with, oldest first (empty: nothing to compare with yet).
    pub compared_with: Vec<String>,
    /// Per entity: records in the period now, and the mean of the periods compared with.
    pub counts: Vec<(String, i64, f64)>,
    pub flags: Vec<QualityFlag>,
}

/// Counts per entity and, per entity and variable, records with a value.
#[derive(Default)]
struct Profile {
    records: BTreeMap<String, i64>,
    filled: BTreeMap<(String, String), i64>,
}

fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// The variables whose values differ between two versions of a record, in code order.
fn changed_fields(before: &Value, now: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (b, n) = (
        before.as_object().unwrap_or(&empty),
        now.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = b.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != n.get(*k))
        .cloned()
        .collect()
}

impl Store {
    /// Records an upload and what became of it; returns its number.
    pub async fn record_upload(&self, u: &Upload) -> Result<i64, StoreError> {
        let notes =
            serde_json::to_string(&u.notes).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let (id,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as(
                "INSERT INTO uploads (provider_id, submission_id, entity, file_name, actor, at, rows_read, inserted, updated, unchanged, errors, notes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(&u.provider_id)
            .bind(u.submission_id)
            .bind(&u.entity)
            .bind(&u.file_name)
            .bind(&u.actor)
            .bind(u.at)
            .bind(u.rows)
            .bind(u.inserted)
            .bind(u.updated)
            .bind(u.unchanged)
            .bind(u.errors)
            .bind(&notes)
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }

    /// A provider's latest uploads, newest first, if the caller may see them (another provider's
    /// are none).
    pub async fn uploads(
        &self,
        access: &Access,
        provider: &ProviderId,
        limit: i64,
    ) -> Result<Vec<Upload>, StoreError> {
        let rows: Vec<UploadRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, provider_id, submission_id, entity, file_name, actor, at, rows_read, inserted, updated, unchanged, errors, notes \
                 FROM uploads WHERE provider_id = $1 AND ($2 IS NULL OR provider_id = $2) ORDER BY id DESC LIMIT $3",
            )
            .bind(provider.as_str())
            .bind(access.provider_filter())
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    provider_id,
                    submission_id,
                    entity,
                    file_name,
                    actor,
                    at,
                    rows,
                    inserted,
                    updated,
                    unchanged,
                    errors,
                    notes,
                )| Upload {
                    id,
                    provider_id,
                    submission_id,
                    entity,
                    file_name,
                    actor,
                    at,
                    rows,
                    inserted,
                    updated,
                    unchanged,
                    errors,
                    notes: serde_json::from_str(&notes).unwrap_or_default(),
                },
            )
            .collect())
    }

    /// The periods that expect `provider` and are open, or hold a submission it still has to
    /// finish: due date first. Another provider's work does not exist for a provider-bound
    /// caller.
    pub async fn provider_work(
        &self,
        access: &Access,
        provider: &ProviderId,
    ) -> Result<Vec<PeriodWork>, StoreError> {
        self.provider_work_on(access, provider, OffsetDateTime::now_utc().date())
            .await
    }

    /// [`Store::provider_work`] as it stands on `today`.
    pub async fn provider_work_on(
        &self,
        access: &Access,
        provider: &ProviderId,
        today: Date,
    ) -> Result<Vec<PeriodWork>, StoreError> {
        if access
            .provider_filter()
            .is_some_and(|p| p != provider.as_str())
        {
            return Err(StoreError::NotFound(format!("provider \"{provider}\"")));
        }
        let Some(p) = self.provider(provider).await? else {
            return Err(StoreError::NotFound(format!("provider \"{provider}\"")));
        };
        let subs = self.submissions_for(access, None).await?;
        let subs: Vec<&Submission> = subs
            .iter()
            .filter(|s| s.provider_id == provider.as_str())
            .collect();
        let first = self.first_submissions().await?;
        let counts: Vec<(String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT s.period_id, COUNT(*) FROM records r JOIN submissions s ON s.id = r.submission_id \
                 WHERE r.provider_id = $1 AND ($2 IS NULL OR r.provider_id = $2) GROUP BY s.period_id",
            )
            .bind(provider.as_str())
            .bind(access.provider_filter())
            .fetch_all(pool)
            .await
        })?;
        let mut out = Vec::new();
        for period in self.periods().await? {
            if !period.expects(&p) {
                continue;
            }
            let latest = subs
                .iter()
                .filter(|s| s.period_id == period.id)
                .max_by_key(|s| s.version)
                .map(|s| (*s).clone());
            let first_submitted_at = first
                .get(&(provider.to_string(), period.id.clone()))
                .copied()
                .into_iter()
                .chain(
                    subs.iter()
                        .filter(|s| s.period_id == period.id)
                        .filter_map(|s| s.submitted_at),
                )
                .min();
            let returned = match &latest {
                Some(s) if s.status == SubmissionStatus::Returned => {
                    self.last_return(access, s.id).await?
                }
                _ => None,
            };
            let due = period.due_on;
            let work = PeriodWork {
                days_late: first_submitted_at.map(|at| (at.date() - due).whole_days()),
                days_left: (first_submitted_at.is_none() && today <= due)
                    .then(|| (due - today).whole_days()),
                days_overdue: (first_submitted_at.is_none() && today > due)
                    .then(|| (today - due).whole_days()),
                records: counts
                    .iter()
                    .find(|(id, _)| *id == period.id)
                    .map_or(0, |c| c.1),
                period,
                latest,
                first_submitted_at,
                returned,
            };
            // Closed periods stay only while something is left to finish in them.
            if work.period.closed_on.is_none()
                || work.latest.as_ref().is_some_and(|s| {
                    matches!(
                        s.status,
                        SubmissionStatus::Draft | SubmissionStatus::Returned
                    )
                })
            {
                out.push(work);
            }
        }
        out.sort_by(|a, b| {
            a.period
                .due_on
                .cmp(&b.period.due_on)
                .then_with(|| a.period.id.cmp(&b.period.id))
        });
        Ok(out)
    }

    /// Submissions the caller may see, newest period first, optionally only those in `status`:
    /// `limit` of them after the first `offset`, with how many there are in all.
    pub async fn submissions_page(
        &self,
        access: &Access,
        status: Option<SubmissionStatus>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Submission>, i64), StoreError> {
        let (rows, total): (Vec<SubmissionRow>, (i64,)) = on_pool!(self, |pool| {
            let rows = sqlx::query_as(
                "SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions \
                 WHERE ($1 IS NULL OR provider_id = $1) AND ($2 IS NULL OR status = $2) \
                 ORDER BY period_id DESC, provider_id, version DESC LIMIT $3 OFFSET $4",
            )
            .bind(access.provider_filter())
            .bind(status.map(SubmissionStatus::as_str))
            .bind(limit)
            .bind(offset.max(0))
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_as(
                "SELECT COUNT(*) FROM submissions WHERE ($1 IS NULL OR provider_id = $1) AND ($2 IS NULL OR status = $2)",
            )
            .bind(access.provider_filter())
            .bind(status.map(SubmissionStatus::as_str))
            .fetch_one(pool)
            .await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        let subs = rows
            .into_iter()
            .map(submission_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((subs, total.0))
    }

    /// The version before `id` of the same provider's submission for the same period, if the
    /// caller may see `id` and there is one.
    pub async fn previous_version(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<Submission>, StoreError> {
        let Some(sub) = self.submission_for(access, id).await? else {
            return Err(StoreError::NotFound(format!("submission {id}")));
        };
        let row: Option<SubmissionRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions \
                 WHERE provider_id = $1 AND period_id = $2 AND version < $3 ORDER BY version DESC LIMIT 1",
            )
            .bind(&sub.provider_id)
            .bind(&sub.period_id)
            .bind(sub.version)
            .fetch_optional(pool)
            .await
        })?;
        row.map(submission_from_row).transpose()
    }

    /// What submission `id` changed compared with its previous version (see [`SubmissionDiff`]);
    /// `None` for a first version.
    pub async fn submission_diff(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<SubmissionDiff>, StoreError> {
        let Some(previous) = self.previous_version(access, id).await? else {
            return Ok(None);
        };
        type Row = (
            i64,
            String,
            String,
            Json<Value>,
            Option<i64>,
            Option<Json<Value>>,
        );
        // Each record of this version with the version it replaced, if any.
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.entity, r.provider_ref, r.data, h.submission_id, h.data FROM records r \
                 LEFT JOIN record_history h ON h.record_id = r.id AND h.version = r.version - 1 \
                 WHERE r.submission_id = $1 AND ($2 IS NULL OR r.provider_id = $2) ORDER BY r.id",
            )
            .bind(id)
            .bind(access.provider_filter())
            .fetch_all(pool)
            .await
        })?;
        // The earlier versions of this period: a record replaced from one of them is changed,
        // any other is new to the period (even if another period had sent it before).
        let earlier: Vec<(i64,)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id FROM submissions WHERE provider_id = $1 AND period_id = $2 AND version <= $3",
            )
            .bind(&previous.provider_id)
            .bind(&previous.period_id)
            .bind(previous.version)
            .fetch_all(pool)
            .await
        })?;
        let earlier: Vec<i64> = earlier.into_iter().map(|e| e.0).collect();
        let (mut added, mut changed) = (Vec::new(), Vec::new());
        let (mut added_total, mut changed_total) = (0, 0);
        for (rid, entity, provider_ref, data, before_sub, before) in rows {
            match (before_sub, before) {
                (Some(s), Some(before)) if earlier.contains(&s) => {
                    changed_total += 1;
                    if changed.len() < DIFF_LISTED {
                        changed.push(DiffRecord {
                            id: rid,
                            entity,
                            provider_ref,
                            fields: changed_fields(&before.0, &data.0),
                        });
                    }
                }
                _ => {
                    added_total += 1;
                    if added.len() < DIFF_LISTED {
                        added.push(DiffRecord {
                            id: rid,
                            entity,
                            provider_ref,
                            fields: Vec::new(),
                        });
                    }
                }
            }
        }
        let mut kept = 0;
        for s in &earlier {
            let (n,): (i64,) = on_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT COUNT(*) FROM records WHERE submission_id = $1 AND ($2 IS NULL OR provider_id = $2)",
                )
                .bind(*s)
                .bind(access.provider_filter())
                .fetch_one(pool)
                .await
            })?;
            kept += n;
        }
        Ok(Some(SubmissionDiff {
            previous,
            added,
            added_total,
            changed,
            changed_total,
            kept,
        }))
    }

    /// Records per entity, and per entity and variable the records with a value, of a provider's
    /// period (every version of its submission, each record as it now is).
    async fn period_profile(
        &self,
        access: &Access,
        provider: &str,
        period: &str,
    ) -> Result<Profile, StoreError> {
        let rows: Vec<(String, Json<Value>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.entity, r.data FROM records r JOIN submissions s ON s.id = r.submission_id \
                 WHERE r.provider_id = $1 AND s.period_id = $2 AND ($3 IS NULL OR r.provider_id = $3)",
            )
            .bind(provider)
            .bind(period)
            .bind(access.provider_filter())
            .fetch_all(pool)
            .await
        })?;
        let mut profile = Profile::default();
        for (entity, data) in rows {
            if let Some(map) = data.0.as_object() {
                for (k, v) in map {
                    if has_value(v) {
                        *profile
                            .filled
                            .entry((entity.clone(), k.clone()))
                            .or_default() += 1;
                    }
                }
            }
            *profile.records.entry(entity).or_default() += 1;
        }
        Ok(profile)
    }

    /// Submission `id`'s period compared with the provider's previous periods (the latest
    /// [`PERIODS_COMPARED`] that hold records): a count per entity beyond [`COUNT_RATIO`] of
    /// their mean, and a variable whose completeness fell by more than [`COMPLETENESS_DROP`],
    /// each only over at least [`MIN_RECORDS`] records.
    pub async fn submission_quality(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<QualityCheck, StoreError> {
        let Some(sub) = self.submission_for(access, id).await? else {
            return Err(StoreError::NotFound(format!("submission {id}")));
        };
        let periods = self.periods().await?;
        let Some(this) = periods.iter().find(|p| p.id == sub.period_id) else {
            return Err(StoreError::NotFound(format!(
                "reporting period {}",
                sub.period_id
            )));
        };
        let now = self
            .period_profile(access, &sub.provider_id, &this.id)
            .await?;
        let mut earlier: Vec<&Period> = periods
            .iter()
            .filter(|p| p.starts_on < this.starts_on)
            .collect();
        earlier.sort_by_key(|p| std::cmp::Reverse(p.starts_on));
        let mut before: Vec<(String, Profile)> = Vec::new();
        for p in earlier {
            if before.len() == PERIODS_COMPARED {
                break;
            }
            let prof = self.period_profile(access, &sub.provider_id, &p.id).await?;
            if !prof.records.is_empty() {
                before.push((p.id.clone(), prof));
            }
        }
        before.reverse();
        let n = before.len() as f64;
        let mut entities: Vec<&String> = now
            .records
            .keys()
            .chain(before.iter().flat_map(|(_, p)| p.records.keys()))
            .collect();
        entities.sort();
        entities.dedup();
        let mut counts = Vec::new();
        let mut flags = Vec::new();
        for entity in entities {
            let count_now = now.records.get(entity).copied().unwrap_or(0);
            if before.is_empty() {
                counts.push((entity.clone(), count_now, 0.0));
                continue;
            }
            let mean = before
                .iter()
                .map(|(_, p)| p.records.get(entity).copied().unwrap_or(0) as f64)
                .sum::<f64>()
                / n;
            counts.push((entity.clone(), count_now, mean));
            let enough = mean >= MIN_RECORDS as f64 || count_now >= MIN_RECORDS;
            let c = count_now as f64;
            if enough && (c > mean * COUNT_RATIO || c < mean / COUNT_RATIO) {
                flags.push(QualityFlag::CountChange {
                    entity: entity.clone(),
                    now: count_now,
                    before: mean,
                });
            }
            // Completeness: over the records of the periods compared with, taken together.
            let total_before: i64 = before
                .iter()
                .map(|(_, p)| p.records.get(entity).copied().unwrap_or(0))
                .sum();
            if count_now < MIN_RECORDS || total_before < MIN_RECORDS {
                continue;
            }
            let mut variables: Vec<&String> = before
                .iter()
                .flat_map(|(_, p)| p.filled.keys())
                .filter(|(e, _)| e == entity)
                .map(|(_, v)| v)
                .collect();
            variables.sort();
            variables.dedup();
            for var in variables {
                let key = (entity.clone(), var.clone());
                let filled_before: i64 = before
                    .iter()
                    .map(|(_, p)| p.filled.get(&key).copied().unwrap_or(0))
                    .sum();
                let share_before = filled_before as f64 / total_before as f64;
                let share_now = now.filled.get(&key).copied().unwrap_or(0) as f64 / c;
                if share_before - share_now > COMPLETENESS_DROP {
                    flags.push(QualityFlag::CompletenessDrop {
                        entity: entity.clone(),
                        variable: var.clone(),
                        now: share_now,
                        before: share_before,
                    });
                }
            }
        }
        Ok(QualityCheck {
            compared_with: before.into_iter().map(|(id, _)| id).collect(),
            counts,
            flags,
        })
    }

    /// The latest return of a submission the caller may see: who sent it back, when, and why.
    pub async fn last_return(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<SubmissionEvent>, StoreError> {
        if self.submission_for(access, id).await?.is_none() {
            return Err(StoreError::NotFound(format!("submission {id}")));
        }
        let row: Option<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT from_status, to_status, actor, comment, at FROM submission_events \
                 WHERE submission_id = $1 AND to_status = 'returned' ORDER BY id DESC LIMIT 1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|(from, to, actor, comment, at)| SubmissionEvent {
            from,
            to,
            actor,
            comment,
            at,
        }))
    }
}

/// A data-entry form saved half-filled by its user, to finish later.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EntryDraft {
    pub entity: String,
    /// The form's fields as sent (name, value), identifying fields left out.
    pub values: Vec<(String, String)>,
    pub saved_at: OffsetDateTime,
}

/// Longest draft kept, in bytes of its fields' values: a form, not a file.
pub const DRAFT_MAX_BYTES: usize = 64 * 1024;

impl Store {
    /// Keeps `username`'s half-filled form for `entity`, replacing the previous one. Only the
    /// entity's non-identifying variables (and fields of the form itself, named with a leading
    /// `_`, such as the period) are kept: a name or a birth date never reaches the database in
    /// clear. Returns how many fields were left out as identifying.
    pub async fn save_entry_draft(
        &self,
        dict: &tessera_dictionary::Dictionary,
        username: &str,
        entity: &str,
        values: &[(String, String)],
    ) -> Result<usize, StoreError> {
        let ent = dict
            .entity(entity)
            .ok_or_else(|| StoreError::NotFound(format!("entity \"{entity}\"")))?;
        let mut kept: Vec<(&str, &str)> = Vec::new();
        let mut dropped = 0;
        for (k, v) in values {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match ent.variable(k) {
                Some(var) if var.identifying.is_some() => dropped += 1,
                Some(_) => kept.push((k, v)),
                None if k.starts_with('_') && k.len() <= 32 => kept.push((k, v)),
                None => {}
            }
        }
        let size: usize = kept.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > DRAFT_MAX_BYTES {
            return Err(StoreError::Invalid(format!(
                "a draft holds at most {} KB; this one has {} KB",
                DRAFT_MAX_BYTES / 1024,
                size.div_ceil(1024)
            )));
        }
        let form = serde_json::to_string(&kept).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = OffsetDateTime::now_utc();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO entry_drafts (username, entity, form, saved_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (username, entity) DO UPDATE SET form = excluded.form, saved_at = excluded.saved_at",
            )
            .bind(username)
            .bind(entity)
            .bind(&form)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(dropped)
    }

    /// `username`'s saved form for `entity`, if any.
    pub async fn entry_draft(
        &self,
        username: &str,
        entity: &str,
    ) -> Result<Option<EntryDraft>, StoreError> {
        let row: Option<(String, OffsetDateTime)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT form, saved_at FROM entry_drafts WHERE username = $1 AND entity = $2",
            )
            .bind(username)
            .bind(entity)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|(form, saved_at)| EntryDraft {
            entity: entity.to_string(),
            values: serde_json::from_str(&form).unwrap_or_default(),
            saved_at,
        }))
    }

    /// Forgets `username`'s saved form for `entity` (once the record is stored).
    pub async fn delete_entry_draft(&self, username: &str, entity: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM entry_drafts WHERE username = $1 AND entity = $2")
                .bind(username)
                .bind(entity)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_name_added_removed_and_different_values() {
        let before = serde_json::json!({"sex": "F", "age": 17, "region": "CF-BGF"});
        let now = serde_json::json!({"sex": "F", "age": 18, "exploitation": ["SEX"]});
        assert_eq!(
            changed_fields(&before, &now),
            vec!["age", "exploitation", "region"]
        );
        assert!(changed_fields(&now, &now).is_empty());
    }

    #[test]
    fn empty_values_do_not_count_as_filled() {
        assert!(!has_value(&Value::Null));
        assert!(!has_value(&serde_json::json!("  ")));
        assert!(!has_value(&serde_json::json!([])));
        assert!(has_value(&serde_json::json!(0)));
        assert!(has_value(&serde_json::json!(false)));
    }
}
