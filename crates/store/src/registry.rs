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
    pub profile: ProviderProfile,
}

/// What the registry keeps about a provider beyond who it is.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ProviderProfile {
    /// Its name in other interface languages (language → name); `name` is the default.
    pub names: BTreeMap<String, String>,
    /// A non-governmental organisation rather than a public institution.
    pub ngo: bool,
    /// How to reach its focal point.
    pub contact: Option<String>,
    /// Retired providers keep their records and history but send nothing new.
    pub retired_on: Option<Date>,
}

impl From<tessera_intake::ProviderEntry> for Provider {
    fn from(e: tessera_intake::ProviderEntry) -> Provider {
        Provider {
            id: e.id,
            name: e.name,
            provider_type: e.provider_type,
            region: e.region,
            profile: ProviderProfile {
                names: e.names,
                ngo: e.ngo,
                contact: e.contact,
                retired_on: None,
            },
        }
    }
}

impl Provider {
    /// Its name in `lang`, or the default name.
    pub fn name_in(&self, lang: &str) -> &str {
        self.profile
            .names
            .get(lang)
            .map_or(self.name.as_str(), String::as_str)
    }
}

/// Terms of a provider's data-sharing agreement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Agreement {
    /// Its number in the registry (0 before it is recorded).
    pub id: i64,
    pub provider_id: ProviderId,
    /// Entities the provider shares.
    pub entities: Vec<String>,
    /// `case` (record-level, pseudonymised) or `aggregate` (counts only).
    pub level: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub signed_on: Option<Date>,
    /// Who signed it, as written on the document.
    pub signatories: Option<String>,
    /// SHA-256 of the signed document kept with it, if one was attached.
    pub document_sha256: Option<String>,
    /// The day it was ended before its term, if it was.
    pub ended_on: Option<Date>,
}

impl Agreement {
    /// Whether it is in force on `day`.
    pub fn in_force(&self, day: Date) -> bool {
        self.valid_from <= day
            && self.valid_to.is_none_or(|to| day <= to)
            && self.ended_on.is_none_or(|end| day < end)
    }
}

/// A reporting period, e.g. `2024` or `2024-Q1`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Period {
    pub id: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub due_on: Date,
    /// Provider types that report in this period (all when empty).
    pub provider_types: Vec<String>,
    /// Closed periods take no new submissions.
    pub closed_on: Option<Date>,
}

impl Period {
    /// Whether the period expects data from `p`: of a type that reports in it (every type when
    /// the period names none), and not retired before it began.
    pub fn expects(&self, p: &Provider) -> bool {
        (self.provider_types.is_empty()
            || self
                .provider_types
                .iter()
                .any(|t| t == p.provider_type.as_str()))
            && p.profile.retired_on.is_none_or(|r| r > self.starts_on)
    }
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
    /// When the period's data was first submitted, whichever version it was: lateness is
    /// measured from here, so a correction sent later (a new version, or a returned version
    /// submitted again) does not make a provider that reported on time late.
    pub first_submitted_at: Option<OffsetDateTime>,
    /// Days after the due date the period was first submitted (negative: early); `None` if
    /// never submitted.
    pub days_late: Option<i64>,
    /// Days past the due date with nothing ever submitted (the reminder's figure); `None` when
    /// submitted once or not yet due.
    pub days_overdue: Option<i64>,
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

pub(crate) type EventRow = (
    Option<String>,
    String,
    String,
    Option<String>,
    OffsetDateTime,
);
type AgreementRow = (
    i64,
    String,
    String,
    Date,
    Option<Date>,
    Option<Date>,
    Option<String>,
    Option<String>,
    Option<Date>,
);
type ProviderRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    bool,
    Option<String>,
    Option<Date>,
);
/// A SELECT of every provider column, followed by `$tail`.
macro_rules! select_providers {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, provider_type, region, names, ngo, contact, retired_on FROM providers ",
            $tail
        )
    };
}

/// Writing a provider: insert the columns, then what to do when the id exists.
macro_rules! insert_provider {
    ($tail:literal) => {
        concat!(
            "INSERT INTO providers (id, name, provider_type, region, names, ngo, contact, retired_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ",
            $tail
        )
    };
}
pub(crate) type SubmissionRow = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<OffsetDateTime>,
);

fn provider_from_row(row: ProviderRow) -> Result<Provider, StoreError> {
    let (id, name, ptype, region, names, ngo, contact, retired_on) = row;
    // Rows were written through the domain types; a bad value means the database was edited by hand.
    let id = ProviderId::parse(&id).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let provider_type = ProviderType::from_stored(ptype);
    Ok(Provider {
        id,
        name,
        provider_type,
        region,
        profile: ProviderProfile {
            names: serde_json::from_str(&names).unwrap_or_default(),
            ngo,
            contact,
            retired_on,
        },
    })
}

/// How a provider is written.
#[derive(Clone, Copy)]
enum Write {
    Upsert,
    Insert,
    Update,
}

fn already_registered(id: &ProviderId) -> StoreError {
    StoreError::Conflict(format!(
        "provider \"{id}\" is already registered; change it with tessera provider edit"
    ))
}

fn unknown_provider(id: &ProviderId) -> StoreError {
    StoreError::NotFound(format!("provider \"{id}\""))
}

impl Store {
    /// "no provider X" in words, with the registered identifier closest to it, if one is near.
    pub async fn unknown_provider_error(&self, id: &str) -> StoreError {
        let near = self.providers().await.ok().and_then(|all| {
            all.into_iter()
                .map(|p| (tessera_dictionary::levenshtein(id, p.id.as_str()), p.id))
                .filter(|(d, _)| *d <= 3.max(id.len() / 4))
                .min_by_key(|(d, _)| *d)
        });
        StoreError::NotFound(match near {
            Some((_, p)) => format!("provider \"{id}\" (did you mean {p}?)"),
            None => format!(
                "provider \"{id}\" (register it first: tessera provider add, or see tessera provider list)"
            ),
        })
    }
}

impl Store {
    /// Records a provider, or replaces what the registry holds about it (the demo's set-up).
    pub async fn upsert_provider(&self, p: &Provider) -> Result<(), StoreError> {
        self.write_provider(p, Write::Upsert).await
    }

    /// Registers a new provider; an identifier already in the registry is refused.
    pub async fn register_provider(&self, p: &Provider) -> Result<(), StoreError> {
        self.write_provider(p, Write::Insert).await
    }

    /// Changes what the registry holds about a registered provider.
    pub async fn edit_provider(&self, p: &Provider) -> Result<(), StoreError> {
        self.write_provider(p, Write::Update).await
    }

    /// Registers every provider of a list in one transaction: all or none.
    pub async fn register_providers(&self, list: &[Provider]) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        on_pool!(self, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                for p in list {
                    let names = serde_json::to_string(&p.profile.names)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    let done = sqlx::query(insert_provider!("ON CONFLICT (id) DO NOTHING"))
                        .bind(p.id.as_str())
                        .bind(&p.name)
                        .bind(p.provider_type.as_str())
                        .bind(&p.region)
                        .bind(&names)
                        .bind(p.profile.ngo)
                        .bind(&p.profile.contact)
                        .bind(p.profile.retired_on)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(already_registered(&p.id));
                    }
                }
                tx.commit().await?;
                Ok::<(), StoreError>(())
            }
            .await
        })
    }

    async fn write_provider(&self, p: &Provider, how: Write) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let names = serde_json::to_string(&p.profile.names)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let sql = match how {
            Write::Upsert => insert_provider!(
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider_type = excluded.provider_type, region = excluded.region, names = excluded.names, ngo = excluded.ngo, contact = excluded.contact, retired_on = excluded.retired_on"
            ),
            Write::Insert => insert_provider!("ON CONFLICT (id) DO NOTHING"),
            Write::Update => {
                "UPDATE providers SET name = $2, provider_type = $3, region = $4, names = $5, ngo = $6, contact = $7, retired_on = $8 WHERE id = $1"
            }
        };
        let n = on_pool!(self, |pool| {
            let q = sqlx::query(sql)
                .bind(p.id.as_str())
                .bind(&p.name)
                .bind(p.provider_type.as_str())
                .bind(&p.region)
                .bind(&names)
                .bind(p.profile.ngo)
                .bind(&p.profile.contact)
                .bind(p.profile.retired_on);
            match how {
                Write::Update => q,
                _ => q.bind(now),
            }
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        match (how, n) {
            (Write::Insert, 0) => Err(already_registered(&p.id)),
            (Write::Update, 0) => Err(unknown_provider(&p.id)),
            _ => Ok(()),
        }
    }

    /// Retires a provider from `on`: its records and history stay, it sends nothing new.
    pub async fn retire_provider(&self, id: &ProviderId, on: Date) -> Result<(), StoreError> {
        let mut p = self
            .provider(id)
            .await?
            .ok_or_else(|| unknown_provider(id))?;
        p.profile.retired_on = Some(on);
        self.edit_provider(&p).await
    }

    pub async fn provider(&self, id: &ProviderId) -> Result<Option<Provider>, StoreError> {
        let row: Option<ProviderRow> = on_pool!(self, |pool| sqlx::query_as(select_providers!(
            "WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await)?;
        row.map(provider_from_row).transpose()
    }

    pub async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        let rows: Vec<ProviderRow> = on_pool!(self, |pool| sqlx::query_as(select_providers!(
            "ORDER BY name"
        ))
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(provider_from_row).collect()
    }

    /// Records an agreement (and the signed document, kept with its SHA-256); returns its number.
    pub async fn add_agreement(&self, a: &Agreement) -> Result<i64, StoreError> {
        self.add_agreement_with_document(a, None).await
    }

    /// [`Store::add_agreement`] with the signed document's bytes.
    pub async fn add_agreement_with_document(
        &self,
        a: &Agreement,
        document: Option<&[u8]>,
    ) -> Result<i64, StoreError> {
        if !matches!(a.level.as_str(), "case" | "aggregate") {
            return Err(StoreError::Invalid(format!(
                "agreement level must be case or aggregate, not \"{}\"",
                a.level
            )));
        }
        if let Some(to) = a.valid_to
            && to < a.valid_from
        {
            return Err(StoreError::Invalid(format!(
                "the agreement would end ({to}) before it starts ({})",
                a.valid_from
            )));
        }
        if self.provider(&a.provider_id).await?.is_none() {
            return Err(self.unknown_provider_error(a.provider_id.as_str()).await);
        }
        let entities = a.entities.join(",");
        let sha = document.map(|d| {
            use sha2::Digest;
            sha2::Sha256::digest(d)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        let (id,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("INSERT INTO agreements (provider_id, entities, level, valid_from, valid_to, signed_on, signatories, document_sha256, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(a.provider_id.as_str())
            .bind(&entities)
            .bind(&a.level)
            .bind(a.valid_from)
            .bind(a.valid_to)
            .bind(a.signed_on)
            .bind(&a.signatories)
            .bind(&sha)
            .bind(document)
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }

    /// Ends an agreement on `on`: from that day the provider sends nothing it covered.
    pub async fn end_agreement(&self, id: i64, on: Date) -> Result<(), StoreError> {
        let n = on_pool!(self, |pool| sqlx::query(
            "UPDATE agreements SET ended_on = $1 WHERE id = $2"
        )
        .bind(on)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("agreement {id}")));
        }
        Ok(())
    }

    /// The signed document of an agreement, if one was attached.
    pub async fn agreement_document(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Option<Vec<u8>>,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT document FROM agreements WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(|r| r.0))
    }

    pub async fn agreements(&self, provider: &ProviderId) -> Result<Vec<Agreement>, StoreError> {
        let rows: Vec<AgreementRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, entities, level, valid_from, valid_to, signed_on, signatories, document_sha256, ended_on FROM agreements WHERE provider_id = $1 ORDER BY valid_from, id").bind(provider.as_str()).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    e,
                    level,
                    valid_from,
                    valid_to,
                    signed_on,
                    signatories,
                    document_sha256,
                    ended_on,
                )| Agreement {
                    id,
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
                    signatories,
                    document_sha256,
                    ended_on,
                },
            )
            .collect())
    }

    /// Refuses what a provider may not send on `day` under its data-sharing agreements: nothing
    /// without an agreement in force, no entity the agreement does not cover, no case records
    /// from a provider that shares aggregates only. Each refusal names the agreement.
    pub async fn check_agreement(
        &self,
        provider: &ProviderId,
        entity: &str,
        day: Date,
    ) -> Result<(), StoreError> {
        let all = self.agreements(provider).await?;
        let describe = |a: &Agreement| {
            format!(
                "agreement {} of {provider} (from {}{}, covering {})",
                a.id,
                a.valid_from,
                a.valid_to.map(|t| format!(" to {t}")).unwrap_or_default(),
                a.entities.join(", ")
            )
        };
        let covering: Vec<&Agreement> = all
            .iter()
            .filter(|a| a.entities.iter().any(|e| e == entity))
            .collect();
        if let Some(a) = covering.iter().find(|a| a.in_force(day)) {
            return if a.level == "aggregate" {
                Err(StoreError::Forbidden(format!(
                    "{} shares aggregates only: case records cannot be sent",
                    describe(a)
                )))
            } else {
                Ok(())
            };
        }
        Err(StoreError::Forbidden(match (covering.last(), all.last()) {
            (Some(a), _) if a.valid_from > day => {
                format!("{} is not in force before {}", describe(a), a.valid_from)
            }
            (Some(a), _) => format!(
                "{} ended on {}; record a new agreement before sending {entity}",
                describe(a),
                a.ended_on.or(a.valid_to).unwrap_or(a.valid_from)
            ),
            (None, Some(a)) => format!("{} does not cover {entity}", describe(a)),
            (None, None) => format!(
                "{provider} has no data-sharing agreement; record one (tessera agreement add) before it sends data"
            ),
        }))
    }

    pub async fn upsert_period(&self, p: &Period) -> Result<(), StoreError> {
        if p.starts_on > p.ends_on {
            return Err(StoreError::Invalid(format!(
                "period {} starts after it ends",
                p.id
            )));
        }
        if p.due_on < p.ends_on {
            return Err(StoreError::Invalid(format!(
                "period {}: submissions cannot be due ({}) before it ends ({})",
                p.id, p.due_on, p.ends_on
            )));
        }
        let types = p.provider_types.join(",");
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO reporting_periods (id, starts_on, ends_on, due_on, provider_types, closed_on) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET starts_on = excluded.starts_on, ends_on = excluded.ends_on, due_on = excluded.due_on, provider_types = excluded.provider_types, closed_on = excluded.closed_on")
            .bind(&p.id).bind(p.starts_on).bind(p.ends_on).bind(p.due_on).bind(&types).bind(p.closed_on).execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Closes a period on `on`: it takes no new submissions.
    pub async fn close_period(&self, id: &str, on: Date) -> Result<(), StoreError> {
        let n = on_pool!(self, |pool| sqlx::query(
            "UPDATE reporting_periods SET closed_on = $1 WHERE id = $2"
        )
        .bind(on)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("reporting period {id}")));
        }
        Ok(())
    }

    pub async fn periods(&self) -> Result<Vec<Period>, StoreError> {
        let rows: Vec<(String, Date, Date, Date, String, Option<Date>)> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, starts_on, ends_on, due_on, provider_types, closed_on FROM reporting_periods ORDER BY starts_on, id"
        )
        .fetch_all(pool)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, starts_on, ends_on, due_on, types, closed_on)| Period {
                    id,
                    starts_on,
                    ends_on,
                    due_on,
                    provider_types: types
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                    closed_on,
                },
            )
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

    /// Moves a submission along the workflow, recording who did it and why. Checks the status
    /// change only, and writes no audit entry: live decisions go through
    /// [`Store::decide_submission`], which applies the whole rule (`workflow.rs`).
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
        let postgres = self.engine_name() == "postgres";
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
            // Dashboards count approved records: their in-memory facts follow this.
            if (current.status == SubmissionStatus::Approved)
                != (next == SubmissionStatus::Approved)
            {
                crate::facts::log_change!(
                    tx,
                    postgres,
                    current.provider_id.as_str(),
                    None::<&str>,
                    Some(id)
                );
            }
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
            let known: Option<(String, Option<Date>)> =
                sqlx::query_as("SELECT id, closed_on FROM reporting_periods WHERE id = $1")
                    .bind(period)
                    .fetch_optional(&mut *tx)
                    .await?;
            match known {
                None => return Err(StoreError::NotFound(format!("reporting period {period}"))),
                Some((_, Some(closed))) => {
                    return Err(StoreError::Forbidden(format!(
                        "reporting period {period} was closed on {closed}: it takes no new submissions"
                    )));
                }
                Some(_) => {}
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
    /// For each period, each provider it expects: the status of its latest submission, and
    /// how late it was sent or how long it has been overdue.
    pub async fn timeliness(&self) -> Result<Vec<Timeliness>, StoreError> {
        let providers = self.providers().await?;
        let periods = self.periods().await?;
        let subs = self.submissions(None).await?;
        let first = self.first_submissions().await?;
        let today = OffsetDateTime::now_utc().date();
        let mut out = Vec::new();
        for period in &periods {
            for p in providers.iter().filter(|p| period.expects(p)) {
                let latest = subs
                    .iter()
                    .filter(|s| s.provider_id == p.id.as_str() && s.period_id == period.id)
                    .max_by_key(|s| s.version);
                let submitted_at = latest.and_then(|s| s.submitted_at);
                // The first submission of the period, by any version; a version whose history
                // was not recorded (loaded from elsewhere) counts from its own submission time.
                let first_submitted_at = first
                    .get(&(p.id.to_string(), period.id.clone()))
                    .copied()
                    .into_iter()
                    .chain(
                        subs.iter()
                            .filter(|s| s.provider_id == p.id.as_str() && s.period_id == period.id)
                            .filter_map(|s| s.submitted_at),
                    )
                    .min();
                let days_late =
                    first_submitted_at.map(|at| (at.date() - period.due_on).whole_days());
                let days_overdue = (first_submitted_at.is_none() && today > period.due_on)
                    .then(|| (today - period.due_on).whole_days());
                out.push(Timeliness {
                    provider_id: p.id.to_string(),
                    period_id: period.id.clone(),
                    due_on: period.due_on,
                    status: latest.map(|s| s.status),
                    submitted_at,
                    first_submitted_at,
                    days_late,
                    days_overdue,
                });
            }
        }
        Ok(out)
    }

    /// For every (provider, period): when any version of its submission was first submitted,
    /// from the submissions' histories.
    pub(crate) async fn first_submissions(
        &self,
    ) -> Result<BTreeMap<(String, String), OffsetDateTime>, StoreError> {
        let rows: Vec<(String, String, OffsetDateTime)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT s.provider_id, s.period_id, e.at FROM submission_events e \
                 JOIN submissions s ON s.id = e.submission_id WHERE e.to_status = 'submitted'",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut first: BTreeMap<(String, String), OffsetDateTime> = BTreeMap::new();
        for (provider, period, at) in rows {
            first
                .entry((provider, period))
                .and_modify(|t| *t = (*t).min(at))
                .or_insert(at);
        }
        Ok(first)
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

pub(crate) fn submission_from_row(
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
