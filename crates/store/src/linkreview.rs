//! Clerical review of record linkage: a reviewer's verdicts on pairs of records, remembered so
//! that every later linkage run obeys them, and each one written to the audit log.

use time::OffsetDateTime;

use crate::{Access, BeginWrite, Store, StoreError, actions, on_pool};

/// A reviewer's verdict on two records (`record_a < record_b`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkDecision {
    pub record_a: i64,
    pub record_b: i64,
    /// `true`: one person; `false`: two different persons.
    pub same: bool,
    pub decided_by: String,
    /// Unix seconds.
    pub decided_at: i64,
}

impl Store {
    /// Records (or replaces) the verdict on two records of the same entity, and audits it. Both
    /// records must exist; a record cannot be paired with itself.
    pub async fn decide_link(
        &self,
        a: i64,
        b: i64,
        same: bool,
        actor: &str,
    ) -> Result<LinkDecision, StoreError> {
        if a == b {
            return Err(StoreError::Invalid(
                "a record cannot be reviewed against itself".into(),
            ));
        }
        let (a, b) = (a.min(b), a.max(b));
        let (ra, rb) = (
            self.record(&Access::National, a).await?,
            self.record(&Access::National, b).await?,
        );
        let (Some(ra), Some(rb)) = (ra, rb) else {
            return Err(StoreError::NotFound(format!("records {a} and {b}")));
        };
        if ra.entity != rb.entity {
            return Err(StoreError::Invalid(format!(
                "records {a} and {b} are of different kinds ({} and {})",
                ra.entity, rb.entity
            )));
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO link_decisions (record_a, record_b, same, decided_by, decided_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (record_a, record_b)
                 DO UPDATE SET same = excluded.same, decided_by = excluded.decided_by,
                               decided_at = excluded.decided_at",
            )
            .bind(a)
            .bind(b)
            .bind(i32::from(same))
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.audit(
            actor,
            if same {
                actions::LINK_MARK_SAME
            } else {
                actions::LINK_MARK_DIFFERENT
            },
            &format!("records {a} {b}"),
            &ra.entity,
        )
        .await?;
        Ok(LinkDecision {
            record_a: a,
            record_b: b,
            same,
            decided_by: actor.to_string(),
            decided_at: now,
        })
    }

    /// Every verdict, newest first.
    pub async fn link_decisions(&self) -> Result<Vec<LinkDecision>, StoreError> {
        let rows: Vec<(i64, i64, i32, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT record_a, record_b, same, decided_by, decided_at FROM link_decisions
                 ORDER BY decided_at DESC, record_a, record_b",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(record_a, record_b, same, decided_by, decided_at)| LinkDecision {
                    record_a,
                    record_b,
                    same: same != 0,
                    decided_by,
                    decided_at,
                },
            )
            .collect())
    }
}
