//! A release from the store, end to end: check the request and the budget, read approved
//! records and link them into persons, draw the noise, spend the budget, write the audit entry.
//! The caller writes the file only after this returns: nothing leaves without its cost counted.

use tessera_analysis::{Facts, deployment_threshold, link_persons};
use tessera_dictionary::Dictionary;
use tessera_store::{Store, actions};

use crate::budget::{Budget, budget, spend};
use crate::dp::{DEFAULT_TABLE, Release, release};
use crate::microdata::{PersonTable, Selection, releasable, victim_persons};
use crate::noise::Epsilon;
use crate::synthetic::{QUASI_IDENTIFIERS, Synthetic, Utility, synthesise, utility};
use crate::{ReleaseError, generator};

/// What is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub epsilon: Epsilon,
    /// Reproduce a release: the same seed, data and request give the same file.
    pub seed: Option<u64>,
    /// First and last year of identification; default: the years the reporting calendar covers.
    pub years: Option<(i32, i32)>,
    /// Who releases (the audit log's actor).
    pub actor: String,
    /// Where the release goes (the audit log's object: a file name).
    pub object: String,
}

/// The years the reporting periods cover: a domain fixed by the calendar, not by the data.
async fn years(store: &Store, asked: Option<(i32, i32)>) -> Result<(i32, i32), ReleaseError> {
    if let Some(y) = asked {
        return Ok(y);
    }
    let periods = store.periods().await?;
    let first = periods.iter().map(|p| p.starts_on.year()).min();
    let last = periods.iter().map(|p| p.ends_on.year()).max();
    match (first, last) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(ReleaseError::Spec(
            "the deployment has no reporting periods to take the years from: give them (--years 2021-2025)".into(),
        )),
    }
}

/// Refuses early, before reading anything, a release the budget cannot pay for.
async fn affordable(store: &Store, epsilon: Epsilon) -> Result<Budget, ReleaseError> {
    let b = budget(store).await?.ok_or(ReleaseError::NoBudget)?;
    if epsilon > b.left() {
        return Err(ReleaseError::OverBudget {
            asked: epsilon,
            left: b.left(),
            total: b.total,
        });
    }
    Ok(b)
}

async fn persons(
    store: &Store,
    dict: &Dictionary,
    sel: &Selection,
) -> Result<PersonTable, ReleaseError> {
    let facts = Facts::build(store, dict).await?;
    let map = link_persons(store).await?;
    victim_persons(&facts, &map, dict, sel)
}

/// Differentially private tables of victims over `variables` (default [`DEFAULT_TABLE`]).
pub async fn release_tables(
    store: &Store,
    dict: &Dictionary,
    variables: Option<Vec<String>>,
    req: &Request,
) -> Result<(Release, Budget), ReleaseError> {
    let variables =
        variables.unwrap_or_else(|| DEFAULT_TABLE.iter().map(|s| s.to_string()).collect());
    affordable(store, req.epsilon).await?;
    let sel = Selection {
        variables: variables.clone(),
        years: years(store, req.years).await?,
        victims_only: true,
    };
    let table = persons(store, dict, &sel).await?;
    let mut rng = generator(req.seed);
    let out = release(&table, req.epsilon, &mut rng)?;
    let after = spend(store, req.epsilon).await?;
    let detail = serde_json::json!({
        "epsilon": req.epsilon.to_string(),
        "spent": after.spent.to_string(),
        "budget": after.total.to_string(),
        "mechanism": "discrete Laplace",
        "table": variables.join("+"),
        "years": format!("{}-{}", sel.years.0, sel.years.1),
        "seeded": req.seed.is_some(),
    });
    store
        .audit(
            &req.actor,
            actions::RELEASE_DP,
            &req.object,
            &detail.to_string(),
        )
        .await?;
    Ok((out, after))
}

/// Synthetic microdata over every releasable variable, with its utility against the real data
/// (for the one who releases, not for publication).
pub async fn release_synthetic(
    store: &Store,
    dict: &Dictionary,
    req: &Request,
) -> Result<(Synthetic, Utility, Budget), ReleaseError> {
    affordable(store, req.epsilon).await?;
    let sel = Selection {
        variables: releasable(dict),
        years: years(store, req.years).await?,
        victims_only: false,
    };
    let threshold = deployment_threshold(store).await?.round().max(2.0) as u32;
    let real = persons(store, dict, &sel).await?;
    let mut rng = generator(req.seed);
    let synth = synthesise(&real, req.epsilon, threshold, QUASI_IDENTIFIERS, &mut rng)?;
    let util = utility(&real, &synth);
    let after = spend(store, req.epsilon).await?;
    let detail = serde_json::json!({
        "epsilon": req.epsilon.to_string(),
        "spent": after.spent.to_string(),
        "budget": after.total.to_string(),
        "mechanism": "discrete Laplace on every two-way marginal, iterative proportional fitting",
        "variables": sel.variables.join("+"),
        "years": format!("{}-{}", sel.years.0, sel.years.1),
        "disclosure_threshold": threshold,
        "seeded": req.seed.is_some(),
    });
    store
        .audit(
            &req.actor,
            actions::RELEASE_SYNTHETIC,
            &req.object,
            &detail.to_string(),
        )
        .await?;
    Ok((synth, util, after))
}

/// Sets the budget and writes it to the audit log, before and after.
pub async fn set_budget_audited(
    store: &Store,
    total: Epsilon,
    actor: &str,
) -> Result<Budget, ReleaseError> {
    let before = budget(store).await?;
    let after = crate::budget::set_budget(store, total).await?;
    let detail = serde_json::json!({
        "before": before.map(|b| b.total.to_string()),
        "after": after.total.to_string(),
        "spent": after.spent.to_string(),
    });
    store
        .audit(
            actor,
            actions::RELEASE_SET_BUDGET,
            "privacy_budget",
            &detail.to_string(),
        )
        .await?;
    Ok(after)
}
