//! Retention and lawful deletion.
//!
//! *Retention*: a deployment setting (`retention`) says, per entity, how many years its records
//! are kept after the end of the reporting period they were sent for (records loaded outside any
//! submission: after their last update). [`Store::retention_plan`] lists what is past its time;
//! [`Store::apply_retention`] deletes it. *Lawful deletion*: [`Store::delete_records`] removes
//! given records (a person's, found by linkage in the CLI) on a request whose reference is kept.
//!
//! Both delete a record with every earlier version of it (`record_history`) and the reviewers'
//! verdicts that name it (`link_decisions`), in one transaction, and write one audit entry that
//! says how many records of which entities and providers went, under which rule or request —
//! never a value of the records. The audit log itself is append-only and keeps its entries (they
//! hold record ids and actions, no case data). Submissions, their events and upload reports stay:
//! they hold counts, not persons. Backups taken before keep the records until they expire
//! (docs/sop.*.md says how long backups are kept).

use std::collections::BTreeMap;

use time::Date;

use crate::{BeginWrite, Store, StoreError, actions, on_pool};

/// The deployment setting holding the rules (JSON).
const SETTING: &str = "retention";
/// A counter bumped by every deletion, part of the approved-data fingerprint (`stats.rs`), so
/// the dashboards' cached facts are rebuilt once records are gone.
pub(crate) const ERASURES: &str = "erasures";

/// The retention rules: entity → years kept after the end of the record's reporting period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetentionRules {
    pub years: BTreeMap<String, u32>,
}

/// What a retention rule finds past its time, or deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetentionItem {
    pub entity: String,
    pub years: u32,
    /// Records whose period ended before this day (or, outside any submission, last updated
    /// before it) are past their time.
    pub cutoff: Date,
    pub records: u64,
}

/// What a lawful deletion removed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deletion {
    pub records: u64,
    pub history: u64,
    pub link_decisions: u64,
    /// Records per (entity, provider).
    pub by: BTreeMap<String, u64>,
}

/// `today` minus `years` calendar years (29 February becomes the 28th).
fn years_before(today: Date, years: u32) -> Date {
    let y = today.year() - years as i32;
    Date::from_calendar_date(y, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(y, today.month(), today.day() - 1))
        .unwrap_or(Date::MIN)
}

/// Ids of `entity`'s records past `cutoff`.
const PAST: &str = "SELECT r.id FROM records r
     LEFT JOIN submissions s ON s.id = r.submission_id
     LEFT JOIN reporting_periods p ON p.id = s.period_id
     WHERE r.entity = $1
       AND ((p.ends_on IS NOT NULL AND p.ends_on < $2)
            OR (r.submission_id IS NULL AND r.updated_at < $3))
     ORDER BY r.id";

impl Store {
    /// The retention rules in force (none: every record is kept).
    pub async fn retention_rules(&self) -> Result<RetentionRules, StoreError> {
        match self.setting(SETTING).await? {
            None => Ok(RetentionRules::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Invalid(format!("the stored retention rules are damaged: {e}"))
            }),
        }
    }

    /// Sets (or, with `None`, removes) an entity's retention period, audited with the rules
    /// before and after. The caller checks the entity against the dictionary.
    pub async fn set_retention(
        &self,
        entity: &str,
        years: Option<u32>,
        actor: &str,
    ) -> Result<RetentionRules, StoreError> {
        if years.is_some_and(|y| !(1..=100).contains(&y)) {
            return Err(StoreError::Invalid(
                "a retention period is between 1 and 100 years".into(),
            ));
        }
        let before = self.retention_rules().await?;
        let mut after = before.clone();
        match years {
            Some(y) => after.years.insert(entity.to_string(), y),
            None => after.years.remove(entity),
        };
        let text = serde_json::to_string(&after).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.set_setting(SETTING, &text).await?;
        let detail = serde_json::json!({ "before": before.years, "after": after.years });
        self.audit(actor, actions::RETENTION_SET, entity, &detail.to_string())
            .await?;
        Ok(after)
    }

    async fn past_retention(&self, entity: &str, cutoff: Date) -> Result<Vec<i64>, StoreError> {
        let at = cutoff.midnight().assume_utc();
        let rows: Vec<(i64,)> = on_pool!(self, |pool| {
            sqlx::query_as(PAST)
                .bind(entity)
                .bind(cutoff)
                .bind(at)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// What the rules would delete on `today`: per entity with a rule, its cut-off day and the
    /// number of records past it. Changes nothing.
    pub async fn retention_plan(&self, today: Date) -> Result<Vec<RetentionItem>, StoreError> {
        let rules = self.retention_rules().await?;
        let mut out = Vec::new();
        for (entity, &years) in &rules.years {
            let cutoff = years_before(today, years);
            let ids = self.past_retention(entity, cutoff).await?;
            out.push(RetentionItem {
                entity: entity.clone(),
                years,
                cutoff,
                records: ids.len() as u64,
            });
        }
        Ok(out)
    }

    /// Deletes every record past its entity's retention period on `today`, with its history
    /// and the verdicts naming it, and audits each entity's deletion (rule, cut-off, count).
    pub async fn apply_retention(
        &self,
        today: Date,
        actor: &str,
    ) -> Result<Vec<RetentionItem>, StoreError> {
        let rules = self.retention_rules().await?;
        let mut out = Vec::new();
        for (entity, &years) in &rules.years {
            let cutoff = years_before(today, years);
            let ids = self.past_retention(entity, cutoff).await?;
            let gone = self.erase(&ids).await?;
            if gone.records > 0 {
                let detail = serde_json::json!({
                    "years": years,
                    "cutoff": cutoff.to_string(),
                    "records": gone.records,
                    "history": gone.history,
                    "link_decisions": gone.link_decisions,
                    "by": gone.by,
                });
                self.audit(actor, actions::RETENTION_APPLY, entity, &detail.to_string())
                    .await?;
            }
            out.push(RetentionItem {
                entity: entity.clone(),
                years,
                cutoff,
                records: gone.records,
            });
        }
        Ok(out)
    }

    /// Deletes the records `ids` (a person's, on a lawful request whose reference is
    /// `reference`), with their history and the verdicts naming them, and audits the deletion:
    /// the reference, the record ids and how many per entity and provider — none of their values.
    pub async fn delete_records(
        &self,
        ids: &[i64],
        actor: &str,
        reference: &str,
    ) -> Result<Deletion, StoreError> {
        if reference.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a deletion names the request it answers (its reference)".into(),
            ));
        }
        if ids.is_empty() {
            return Err(StoreError::Invalid("no record to delete".into()));
        }
        let gone = self.erase(ids).await?;
        if gone.records < ids.len() as u64 {
            tracing::warn!(
                asked = ids.len(),
                deleted = gone.records,
                "some records to delete were already gone"
            );
        }
        let detail = serde_json::json!({
            "reference": reference,
            "records": ids,
            "deleted": gone.records,
            "history": gone.history,
            "link_decisions": gone.link_decisions,
            "by": gone.by,
        });
        self.audit(
            actor,
            actions::PERSON_DELETE,
            reference,
            &detail.to_string(),
        )
        .await?;
        Ok(gone)
    }

    /// Deletes records with their history and verdicts, in one transaction.
    async fn erase(&self, ids: &[i64]) -> Result<Deletion, StoreError> {
        let mut gone = Deletion {
            records: 0,
            history: 0,
            link_decisions: 0,
            by: BTreeMap::new(),
        };
        if ids.is_empty() {
            return Ok(gone);
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in ids.chunks(500) {
                let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let list = list.join(", ");
                let by_sql = format!(
                    "SELECT entity, provider_id, COUNT(*) FROM records WHERE id IN ({list}) GROUP BY entity, provider_id"
                );
                let mut q = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(by_sql));
                for id in chunk {
                    q = q.bind(*id);
                }
                for (entity, provider, n) in q.fetch_all(&mut *tx).await? {
                    *gone.by.entry(format!("{entity}/{provider}")).or_default() += n as u64;
                }
                // Only numbered placeholders are formatted in; every id is bound.
                for (sql, counter) in [
                    (
                        format!(
                            "DELETE FROM link_decisions WHERE record_a IN ({list}) OR record_b IN ({list})"
                        ),
                        &mut gone.link_decisions,
                    ),
                    (
                        format!("DELETE FROM record_history WHERE record_id IN ({list})"),
                        &mut gone.history,
                    ),
                    (
                        format!("DELETE FROM records WHERE id IN ({list})"),
                        &mut gone.records,
                    ),
                ] {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    *counter += q.execute(&mut *tx).await?.rows_affected();
                }
            }
            let before: Option<(String,)> =
                sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                    .bind(ERASURES)
                    .fetch_optional(&mut *tx)
                    .await?;
            let next = before.and_then(|b| b.0.parse::<i64>().ok()).unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(ERASURES)
            .bind(next.to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    #[test]
    fn cutoffs_are_calendar_years_back() {
        assert_eq!(
            super::years_before(date!(2026 - 06 - 30), 10),
            date!(2016 - 06 - 30)
        );
        assert_eq!(
            super::years_before(date!(2028 - 02 - 29), 1),
            date!(2027 - 02 - 28)
        );
    }
}
