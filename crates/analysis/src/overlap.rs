//! The provider-overlap table that multiple systems estimation (`tessera-estimate`) reads: for
//! every combination of lists (providers, or provider types), how many persons appear on exactly
//! those lists. Persons come from linkage's record → person map.

use rustc_hash::FxHashMap;

use crate::AnalysisError;
use crate::dashboard::Filters;
use crate::facts::Facts;
use crate::query::{PersonMap, base_mask, key_field};
use tessera_store::Access;

/// One column per list, one row per observed capture pattern.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverlapTable {
    /// List names (provider ids or provider type codes).
    pub lists: Vec<String>,
    /// (on which lists, number of persons); patterns never observed are left out.
    pub rows: Vec<(Vec<bool>, u64)>,
}

impl OverlapTable {
    /// The shared format of `tessera estimate mse --table`: one 0/1 column per list, then `count`.
    pub fn to_csv(&self) -> String {
        let mut out = self.lists.join(",");
        out.push_str(",count\n");
        for (pattern, n) in &self.rows {
            for b in pattern {
                out.push_str(if *b { "1," } else { "0," });
            }
            out.push_str(&format!("{n}\n"));
        }
        out
    }
}

/// Persons of `entity` by the lists they appear on; `by` is `provider` or `provider_type`
/// (at most 16 lists with records). Needs national scope: estimation is a national figure.
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
    if list_keys.len() > 16 {
        return Err(AnalysisError::Unknown(format!(
            "{} lists: estimation takes at most 16",
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
    let mut counts: FxHashMap<u16, u64> = FxHashMap::default();
    for p in pattern.into_values() {
        *counts.entry(p).or_default() += 1;
    }
    let mut rows: Vec<(Vec<bool>, u64)> = counts
        .into_iter()
        .map(|(p, n)| ((0..list_keys.len()).map(|c| p & (1 << c) != 0).collect(), n))
        .collect();
    rows.sort();
    Ok(OverlapTable {
        lists: list_keys
            .iter()
            .map(|&k| field.describe(k as u32, "en").code)
            .collect(),
        rows,
    })
}
