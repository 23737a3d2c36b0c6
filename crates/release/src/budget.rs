//! The deployment's privacy budget: the total ε its releases may spend, and what they have
//! spent, as two deployment settings (`privacy_budget_epsilon`, `privacy_spent_epsilon`, decimal
//! text). Spending is a compare-and-swap on the stored figure, so two releases at once never
//! both spend the last of it; a release that would go past the budget is refused before any
//! noise is drawn.

use tessera_store::Store;

use crate::ReleaseError;
use crate::noise::Epsilon;

/// The setting holding the total budget.
pub const BUDGET_SETTING: &str = "privacy_budget_epsilon";
/// The setting holding what releases have spent.
pub const SPENT_SETTING: &str = "privacy_spent_epsilon";

/// The budget and what is spent of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Budget {
    pub total: Epsilon,
    pub spent: Epsilon,
}

impl Budget {
    pub fn left(&self) -> Epsilon {
        self.total.saturating_sub(self.spent)
    }
}

fn stored(setting: &str, text: &str) -> Result<Epsilon, ReleaseError> {
    Epsilon::parse(text, true).map_err(|_| {
        ReleaseError::Budget(format!(
            "the setting {setting} holds \"{text}\", which is not an ε; set the budget again"
        ))
    })
}

/// The deployment's budget, or `None` when none was set.
pub async fn budget(store: &Store) -> Result<Option<Budget>, ReleaseError> {
    let Some(total) = store.setting(BUDGET_SETTING).await? else {
        return Ok(None);
    };
    let total = stored(BUDGET_SETTING, &total)?;
    let spent = match store.setting(SPENT_SETTING).await? {
        Some(t) => stored(SPENT_SETTING, &t)?,
        None => Epsilon::from_micros(0),
    };
    Ok(Some(Budget { total, spent }))
}

/// Sets the deployment's total budget. It may not be set below what is already spent.
pub async fn set_budget(store: &Store, total: Epsilon) -> Result<Budget, ReleaseError> {
    let spent = budget(store)
        .await?
        .map(|b| b.spent)
        .unwrap_or(Epsilon::from_micros(0));
    if total < spent {
        return Err(ReleaseError::Budget(format!(
            "releases have already spent ε = {spent}; the budget cannot be set to {total}, below that"
        )));
    }
    store
        .set_setting(BUDGET_SETTING, &total.to_string())
        .await?;
    Ok(Budget { total, spent })
}

/// Spends `epsilon` of the budget, or refuses when there is no budget or not enough of it left.
/// Returns the budget after spending.
pub async fn spend(store: &Store, epsilon: Epsilon) -> Result<Budget, ReleaseError> {
    for _ in 0..20 {
        let Some(b) = budget(store).await? else {
            return Err(ReleaseError::NoBudget);
        };
        // What is spent, read again as the text the swap compares against.
        let old = store.setting(SPENT_SETTING).await?;
        let spent = match &old {
            Some(t) => stored(SPENT_SETTING, t)?,
            None => Epsilon::from_micros(0),
        };
        let after = spent.checked_add(epsilon).filter(|a| *a <= b.total).ok_or(
            ReleaseError::OverBudget {
                asked: epsilon,
                left: b.total.saturating_sub(spent),
                total: b.total,
            },
        )?;
        let written = match &old {
            None => {
                store
                    .insert_setting(SPENT_SETTING, &after.to_string())
                    .await?
            }
            Some(old) => {
                store
                    .replace_setting(SPENT_SETTING, old, &after.to_string())
                    .await?
            }
        };
        if written {
            return Ok(Budget {
                total: b.total,
                spent: after,
            });
        }
    }
    Err(ReleaseError::Budget(
        "the budget kept changing while this release tried to spend from it; try again".into(),
    ))
}
