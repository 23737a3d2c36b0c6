//! Providers, their data-sharing agreements, reporting periods and submissions.

use std::collections::BTreeMap;

use tessera_dictionary::{ProviderId, ProviderType};
use time::{Date, OffsetDateTime};

use crate::{Access, BeginWrite, Store, StoreError, on_pool};

/// A data provider (police unit, court, NGO, …).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provider {
    pub id: ProviderId,
    pub name: String,
    pub provider_type: ProviderType,
    pub region: Option<String>,
}

/// Terms of a provider's data-sharing agreement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Agreement {
    pub provider_id: ProviderId,
    /// Entities the provider shares.
    pub entities: Vec<String>,
    /// `case` (record-level, pseudonymised) or `aggregate` (counts only).
    pub level: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub signed_on: Option<Date>,
}

/// A reporting period, e.g. `2024` or `2024-Q1`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Period {
    pub id: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub due_on: Date,
}

/// Where a submission is in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Draft,
    Submitted,
    Approved,
    Returned,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "draft",
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::Approved => "approved",
            SubmissionStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Result<SubmissionStatus, StoreError> {
        Ok(match s {
            "draft" => SubmissionStatus::Draft,
            "submitted" => SubmissionStatus::Submitted,
            "approved" => SubmissionStatus::Approved,
            "returned" => SubmissionStatus::Returned,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown submission status \"{other}\""
                )));
            }
        })
    }

    /// The workflow: draft → submitted → approved | returned; returned → submitted.
    pub fn can_become(self, next: SubmissionStatus) -> bool {
        use SubmissionStatus::*;
        matches!(
            (self, next),
            (Draft, Submitted)
                | (Submitted, Approved)
                | (Submitted, Returned)
                | (Returned, Submitted)
        )
    }
}

/// A batch of records a provider sends for a period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub provider_id: String,
    pub period_id: String,
    pub version: i64,
    pub status: SubmissionStatus,
    pub dictionary_version: String,
    pub submitted_at: Option<OffsetDateTime>,
}

/// Whether a provider sent its data for a period on time: the data-quality dashboard's input.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timeliness {
    pub provider_id: String,
    pub period_id: String,
    pub due_on: Date,
    /// Status of the latest version; `None` when nothing was started.
    pub status: Option<SubmissionStatus>,
    /// When the latest version was (last) submitted.
    pub submitted_at: Option<OffsetDateTime>,
    /// Days after the due date it was submitted (negative: early); `None` if not submitted.
    pub days_late: Option<i64>,
}

/// What the public front page shows of a provider: who it is and how many records it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderSummary {
    pub provider: Provider,
    /// entity → number of records.
    pub records: BTreeMap<String, i64>,
    pub total: i64,
    pub submissions: i64,
}

type EventRow = (
    Option<String>,
    String,
    String,
    Option<String>,
    OffsetDateTime,
);
type AgreementRow = (String, String, Date, Option<Date>, Option<Date>);
type SubmissionRow = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<OffsetDateTime>,
);

fn provider_from_row(
    id: String,
    name: String,
    ptype: String,
    region: Option<String>,
) -> Result<Provider, StoreError> {
    // Rows were written through the domain types; a bad value means the database was edited by hand.
    let id = ProviderId::parse(&id).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let provider_type = ProviderType::from_stored(ptype);
    Ok(Provider {
        id,
        name,
        provider_type,
        region,
    })
}

impl Store {
    pub async fn upsert_provider(&self, p: &Provider) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO providers (id, name, provider_type, region, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider_type = excluded.provider_type, region = excluded.region"
        )
        .bind(p.id.as_str())
        .bind(&p.name)
        .bind(p.provider_type.as_str())
        .bind(&p.region)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn provider(&self, id: &ProviderId) -> Result<Option<Provider>, StoreError> {
        let row: Option<(String, String, String, Option<String>)> =
            on_pool!(self, |pool| sqlx::query_as(
                "SELECT id, name, provider_type, region FROM providers WHERE id = $1"
            )
            .bind(id.as_str())
            .fetch_optional(pool)
            .await)?;
        row.map(|(a, b, c, d)| provider_from_row(a, b, c, d))
            .transpose()
    }

    pub async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        let rows: Vec<(String, String, String, Option<String>)> =
            on_pool!(self, |pool| sqlx::query_as(
                "SELECT id, name, provider_type, region FROM providers ORDER BY name"
            )
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|(a, b, c, d)| provider_from_row(a, b, c, d))
            .collect()
    }

    pub async fn add_agreement(&self, a: &Agreement) -> Result<(), StoreError> {
        if !matches!(a.level.as_str(), "case" | "aggregate") {
            return Err(StoreError::Invalid(format!(
                "agreement level must be case or aggregate, not \"{}\"",
                a.level
            )));
        }
        let entities = a.entities.join(",");
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO agreements (provider_id, entities, level, valid_from, valid_to, signed_on) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(a.provider_id.as_str())
            .bind(&entities)
            .bind(&a.level)
            .bind(a.valid_from)
            .bind(a.valid_to)
            .bind(a.signed_on)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn agreements(&self, provider: &ProviderId) -> Result<Vec<Agreement>, StoreError> {
        let rows: Vec<AgreementRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT entities, level, valid_from, valid_to, signed_on FROM agreements WHERE provider_id = $1 ORDER BY valid_from").bind(provider.as_str()).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(e, level, valid_from, valid_to, signed_on)| Agreement {
                provider_id: provider.clone(),
                entities: e
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                level,
                valid_from,
                valid_to,
                signed_on,
            })
            .collect())
    }

    pub async fn upsert_period(&self, p: &Period) -> Result<(), StoreError> {
        if p.starts_on > p.ends_on {
            return Err(StoreError::Invalid(format!(
                "period {} starts after it ends",
                p.id
            )));
        }
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO reporting_periods (id, starts_on, ends_on, due_on) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET starts_on = excluded.starts_on, ends_on = excluded.ends_on, due_on = excluded.due_on")
            .bind(&p.id).bind(p.starts_on).bind(p.ends_on).bind(p.due_on).execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn periods(&self) -> Result<Vec<Period>, StoreError> {
        let rows: Vec<(String, Date, Date, Date)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, starts_on, ends_on, due_on FROM reporting_periods ORDER BY starts_on"
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, starts_on, ends_on, due_on)| Period {
                id,
                starts_on,
                ends_on,
                due_on,
            })
            .collect())
    }

    /// Opens a new draft submission (the next version for this provider and period).
    pub async fn create_submission(
        &self,
        provider: &ProviderId,
        period: &str,
        dictionary_version: &str,
        actor: &str,
    ) -> Result<Submission, StoreError> {
        let now = OffsetDateTime::now_utc();
        let id: i64 = on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (next,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM submissions WHERE provider_id = $1 AND period_id = $2").bind(provider.as_str()).bind(period).fetch_one(&mut *tx).await?;
            let (id,): (i64,) = sqlx::query_as("INSERT INTO submissions (provider_id, period_id, version, status, dictionary_version, created_at) VALUES ($1, $2, $3, 'draft', $4, $5) RETURNING id")
                .bind(provider.as_str()).bind(period).bind(next).bind(dictionary_version).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO submission_events (submission_id, from_status, to_status, actor, comment, at) VALUES ($1, NULL, 'draft', $2, NULL, $3)").bind(id).bind(actor).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<i64, StoreError>(id)
        })?;
        self.submission(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))
    }

    pub async fn submission(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        let row: Option<SubmissionRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions WHERE id = $1").bind(id).fetch_optional(pool).await
        })?;
        row.map(
            |(id, provider_id, period_id, version, status, dictionary_version, submitted_at)| {
                Ok(Submission {
                    id,
                    provider_id,
                    period_id,
                    version,
                    status: SubmissionStatus::parse(&status)?,
                    dictionary_version,
                    submitted_at,
                })
            },
        )
        .transpose()
    }

    /// Moves a submission along the workflow, recording who did it and why.
    pub async fn set_submission_status(
        &self,
        id: i64,
        next: SubmissionStatus,
        actor: &str,
        comment: Option<&str>,
    ) -> Result<(), StoreError> {
        self.set_submission_status_at(id, next, actor, comment, OffsetDateTime::now_utc())
            .await
    }

    /// As [`Store::set_submission_status`], at a given time: for loading a history (the demo,
    /// a migration from an earlier system), never for live decisions.
    pub async fn set_submission_status_at(
        &self,
        id: i64,
        next: SubmissionStatus,
        actor: &str,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let current = self
            .submission(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))?;
        if !current.status.can_become(next) {
            return Err(StoreError::Conflict(format!(
                "a {} submission cannot become {}",
                current.status.as_str(),
                next.as_str()
            )));
        }

        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let sql = match next {
                SubmissionStatus::Submitted => {
                    "UPDATE submissions SET status = $1, submitted_at = $2 WHERE id = $3 AND status = $4"
                }
                _ => {
                    "UPDATE submissions SET status = $1, decided_at = $2 WHERE id = $3 AND status = $4"
                }
            };
            let done = sqlx::query(sql)
                .bind(next.as_str())
                .bind(now)
                .bind(id)
                .bind(current.status.as_str())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!(
                    "submission {id} changed meanwhile"
                )));
            }
            sqlx::query("INSERT INTO submission_events (submission_id, from_status, to_status, actor, comment, at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(current.status.as_str()).bind(next.as_str()).bind(actor).bind(comment).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// The submission a provider is working on for a period: its open (draft or returned) latest
    /// version, or a new draft version when there is none or the latest was submitted or approved.
    pub async fn open_submission(
        &self,
        provider: &ProviderId,
        period: &str,
        dictionary_version: &str,
        actor: &str,
    ) -> Result<Submission, StoreError> {
        // Check and create in one write transaction: two focal points of a provider uploading at
        // once must land in the same new version, not open one each. SQLite's BEGIN IMMEDIATE
        // serialises writers; PostgreSQL needs a lock on the (provider, period) pair.
        let postgres = self.engine_name() == "postgres";
        let now = OffsetDateTime::now_utc();
        let id: i64 = on_pool!(self, |pool| {
            async {
            let mut tx = pool.begin_write().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(7263542, hashtext($1))")
                    .bind(format!("{}/{period}", provider.as_str()))
                    .execute(&mut *tx)
                    .await?;
            }
            let latest: Option<(i64, i64, String)> = sqlx::query_as("SELECT id, version, status FROM submissions WHERE provider_id = $1 AND period_id = $2 ORDER BY version DESC LIMIT 1")
                .bind(provider.as_str()).bind(period).fetch_optional(&mut *tx).await?;
            if let Some((id, _, status)) = &latest
                && (status == "draft" || status == "returned")
            {
                tx.commit().await?;
                return Ok::<i64, StoreError>(*id);
            }
            let known: Option<(String,)> =
                sqlx::query_as("SELECT id FROM reporting_periods WHERE id = $1")
                    .bind(period)
                    .fetch_optional(&mut *tx)
                    .await?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!("reporting period {period}")));
            }
            let next = latest.map_or(1, |(_, v, _)| v + 1);
            let (id,): (i64,) = sqlx::query_as("INSERT INTO submissions (provider_id, period_id, version, status, dictionary_version, created_at) VALUES ($1, $2, $3, 'draft', $4, $5) RETURNING id")
                .bind(provider.as_str()).bind(period).bind(next).bind(dictionary_version).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO submission_events (submission_id, from_status, to_status, actor, comment, at) VALUES ($1, NULL, 'draft', $2, NULL, $3)")
                .bind(id).bind(actor).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(id)
        }
        .await
        })?;
        self.submission(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))
    }

    /// Submissions of a provider (all providers with `None`), newest first.
    pub async fn submissions(
        &self,
        provider: Option<&ProviderId>,
    ) -> Result<Vec<Submission>, StoreError> {
        let rows: Vec<SubmissionRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions WHERE ($1 IS NULL OR provider_id = $1) ORDER BY period_id DESC, provider_id, version DESC")
            .bind(provider.map(ProviderId::as_str)).fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(
                |(
                    id,
                    provider_id,
                    period_id,
                    version,
                    status,
                    dictionary_version,
                    submitted_at,
                )| {
                    Ok(Submission {
                        id,
                        provider_id,
                        period_id,
                        version,
                        status: SubmissionStatus::parse(&status)?,
                        dictionary_version,
                        submitted_at,
                    })
                },
            )
            .collect()
    }

    /// For every provider and period: the latest submission's status and how late it came.
    pub async fn timeliness(&self) -> Result<Vec<Timeliness>, StoreError> {
        let providers = self.providers().await?;
        let periods = self.periods().await?;
        let subs = self.submissions(None).await?;
        let mut out = Vec::new();
        for period in &periods {
            for p in &providers {
                let latest = subs
                    .iter()
                    .filter(|s| s.provider_id == p.id.as_str() && s.period_id == period.id)
                    .max_by_key(|s| s.version);
                let submitted_at = latest.and_then(|s| s.submitted_at);
                let days_late = submitted_at.map(|at| (at.date() - period.due_on).whole_days());
                out.push(Timeliness {
                    provider_id: p.id.to_string(),
                    period_id: period.id.clone(),
                    due_on: period.due_on,
                    status: latest.map(|s| s.status),
                    submitted_at,
                    days_late,
                });
            }
        }
        Ok(out)
    }

    /// Every provider with its record counts per entity: aggregates only, no case data.
    pub async fn provider_summaries(&self) -> Result<Vec<ProviderSummary>, StoreError> {
        let providers = self.providers().await?;
        let counts: Vec<(String, String, i64)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT provider_id, entity, COUNT(*) FROM records GROUP BY provider_id, entity"
        )
        .fetch_all(pool)
        .await)?;
        let subs: Vec<(String, i64)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT provider_id, COUNT(*) FROM submissions GROUP BY provider_id"
        )
        .fetch_all(pool)
        .await)?;
        Ok(providers
            .into_iter()
            .map(|provider| {
                let records: BTreeMap<String, i64> = counts
                    .iter()
                    .filter(|(p, _, _)| p == provider.id.as_str())
                    .map(|(_, e, n)| (e.clone(), *n))
                    .collect();
                let total = records.values().sum();
                let submissions = subs
                    .iter()
                    .find(|(p, _)| p == provider.id.as_str())
                    .map(|s| s.1)
                    .unwrap_or(0);
                ProviderSummary {
                    provider,
                    records,
                    total,
                    submissions,
                }
            })
            .collect())
    }

    /// A submission, if the caller may see it (its own provider's, or any with national access).
    /// Another provider's submission is reported as absent.
    pub async fn submission_for(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<Submission>, StoreError> {
        let row: Option<SubmissionRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions WHERE id = $1 AND ($2 IS NULL OR provider_id = $2)").bind(id).bind(access.provider_filter()).fetch_optional(pool).await
        })?;
        row.map(submission_from_row).transpose()
    }

    /// Submissions the caller may see, newest period first, optionally only those in `status`.
    pub async fn submissions_for(
        &self,
        access: &Access,
        status: Option<SubmissionStatus>,
    ) -> Result<Vec<Submission>, StoreError> {
        let rows: Vec<SubmissionRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, provider_id, period_id, version, status, dictionary_version, submitted_at FROM submissions WHERE ($1 IS NULL OR provider_id = $1) AND ($2 IS NULL OR status = $2) ORDER BY period_id DESC, provider_id, version DESC")
            .bind(access.provider_filter()).bind(status.map(SubmissionStatus::as_str)).fetch_all(pool).await
        })?;
        rows.into_iter().map(submission_from_row).collect()
    }

    /// The workflow history of a submission the caller may see, oldest first.
    pub async fn submission_events(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Vec<SubmissionEvent>, StoreError> {
        if self.submission_for(access, id).await?.is_none() {
            return Err(StoreError::NotFound(format!("submission {id}")));
        }
        let rows: Vec<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT from_status, to_status, actor, comment, at FROM submission_events WHERE submission_id = $1 ORDER BY id").bind(id).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(from, to, actor, comment, at)| SubmissionEvent {
                from,
                to,
                actor,
                comment,
                at,
            })
            .collect())
    }

    /// Number of records stored under a submission the caller may see, per entity.
    pub async fn submission_counts(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT entity, COUNT(*) FROM records WHERE submission_id = $1 AND ($2 IS NULL OR provider_id = $2) GROUP BY entity").bind(id).bind(access.provider_filter()).fetch_all(pool).await
        })?;
        Ok(rows.into_iter().collect())
    }
}

/// One step of a submission's workflow.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubmissionEvent {
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub comment: Option<String>,
    pub at: OffsetDateTime,
}

fn submission_from_row(
    (id, provider_id, period_id, version, status, dictionary_version, submitted_at): SubmissionRow,
) -> Result<Submission, StoreError> {
    Ok(Submission {
        id,
        provider_id,
        period_id,
        version,
        status: SubmissionStatus::parse(&status)?,
        dictionary_version,
        submitted_at,
    })
}
