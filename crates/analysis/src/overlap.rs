//! The provider-overlap table that multiple systems estimation (`tessera-estimate`) reads: for
//! every combination of lists (providers, or provider types), how many persons appear on exactly
//! those lists. Persons come from linkage's record → person map. The table is the estimate
//! crate's own [`OverlapTable`] (one type, no text in between), and [`hidden_victims`] hands it
//! over: the largest lists kept, the model chosen two ways.

use rustc_hash::FxHashMap;

use crate::AnalysisError;
use crate::dashboard::Filters;
use crate::facts::Facts;
use crate::query::{PersonMap, base_mask, key_field};
use tessera_estimate::{HiddenPopulation, MAX_ESTIMATED_LISTS, MAX_HELD, OverlapTable};
use tessera_store::Access;

/// Persons of `entity` by the lists they appear on; `by` is `provider` or `provider_type`
/// (at most [`MAX_HELD`] lists with records). Needs national scope: estimation is a national
/// figure.
pub fn overlap_table(
    facts: &Facts,
    entity: &str,
    filters: &Filters,
    persons: &PersonMap,
    by: &str,
) -> Result<OverlapTable, AnalysisError> {
    if !matches!(by, "provider" | "provider_type") {
        return Err(AnalysisError::Unknown(format!("list kind \"{by}\"")));
    }
    let ent = facts.entity(entity)?;
    let mask = base_mask(
        facts,
        ent,
        &Access::National,
        &filters.to_expr(facts, entity)?,
    )?;
    let field = key_field(facts, ent, by, "en")?;
    let crate::query::Keys::Single(keys) = &field.keys else {
        return Err(AnalysisError::Unknown(format!("list kind \"{by}\"")));
    };
    // Lists that have at least one record, in key order.
    let mut used = vec![false; field.card];
    for (m, &k) in mask.iter().zip(keys.iter()) {
        if *m {
            used[k as usize] = true;
        }
    }
    let list_keys: Vec<usize> = (1..field.card).filter(|&k| used[k]).collect();
    if list_keys.len() > MAX_HELD {
        return Err(AnalysisError::Unknown(format!(
            "{} lists: estimation takes at most {MAX_HELD}",
            list_keys.len()
        )));
    }
    let column: FxHashMap<usize, usize> =
        list_keys.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let mut pattern: FxHashMap<u64, u16> = FxHashMap::default();
    for (i, m) in mask.iter().enumerate() {
        if let (true, Some(&c)) = (*m, column.get(&(keys[i] as usize))) {
            *pattern.entry(persons.person(ent.record_id[i])).or_default() |= 1 << c;
        }
    }
    let mut counts = vec![0.0; 1 << list_keys.len()];
    for p in pattern.into_values() {
        counts[p as usize] += 1.0;
    }
    let lists = list_keys
        .iter()
        .map(|&k| field.describe(k as u32, "en").code)
        .collect();
    Ok(OverlapTable::counted(lists, counts)?)
}

/// The multiple systems estimate of hidden `entity` persons (victims) under `filters`, from the
/// overlap of the lists `by` (`provider` or `provider_type`): the table of [`overlap_table`],
/// folded to its [`MAX_ESTIMATED_LISTS`] largest lists, estimated by the stepwise procedure and
/// by minimum BIC with 95% intervals ([`tessera_estimate::hidden_population`]). Model search is
/// CPU work: a server runs it off its request threads.
pub fn hidden_victims(
    facts: &Facts,
    entity: &str,
    filters: &Filters,
    persons: &PersonMap,
    by: &str,
) -> Result<HiddenPopulation, AnalysisError> {
    let table = overlap_table(facts, entity, filters, persons, by)?;
    Ok(tessera_estimate::hidden_population(
        &table,
        MAX_ESTIMATED_LISTS,
        0.95,
    )?)
}
