//! Unique persons: the stored pseudonyms of every person entity linked by `tessera-linkage`
//! (deduplication across and within providers), giving the record → person map that turns
//! record counts into person counts and feeds the provider-overlap table.

use tessera_linkage::{Config, LinkInput, Mode, link};
use tessera_pseudonym::Pseudonyms;
use tessera_store::{Access, Store};

use crate::{AnalysisError, PersonMap};

/// Entities whose records are persons.
pub const PERSON_ENTITIES: &[&str] = &["victim", "suspect", "smuggled_migrant"];

/// Links the person records of every provider and returns who is who. Person ids are distinct
/// across entities (a victim is never the same "person" as a suspect record here).
pub async fn link_persons(store: &Store) -> Result<PersonMap, AnalysisError> {
    let mut pairs: Vec<(i64, u64)> = Vec::new();
    for (e, entity) in PERSON_ENTITIES.iter().enumerate() {
        let rows = store.pseudonyms(&Access::National, entity).await?;
        if rows.is_empty() {
            continue;
        }
        let mut providers: Vec<String> = Vec::new();
        let mut inputs = Vec::with_capacity(rows.len());
        for r in &rows {
            let source = match providers.iter().position(|p| *p == r.provider_id) {
                Some(i) => i,
                None => {
                    providers.push(r.provider_id.clone());
                    providers.len() - 1
                }
            };
            let keys = Pseudonyms::keys_from_bytes(&r.pkeys)
                .map_err(|err| AnalysisError::Unknown(format!("stored pseudonyms: {err}")))?;
            inputs.push(LinkInput {
                source: source.min(u16::MAX as usize) as u16,
                pseudonyms: Pseudonyms {
                    clk: Pseudonyms::clk_from_bytes(&r.clk),
                    keys,
                    birth_year: r.birth_year.map(|y| y as i32),
                },
                sex: r.sex.clone(),
                citizenship: r.citizenship.clone(),
            });
        }
        let result = tokio::task::spawn_blocking(move || {
            link(
                &inputs,
                &Config {
                    mode: Mode::Dedupe,
                    ..Config::default()
                },
            )
        })
        .await
        .map_err(|err| AnalysisError::Unknown(format!("linkage stopped: {err}")))?;
        let base = (e as u64) << 32;
        pairs.extend(
            rows.iter()
                .zip(&result.person)
                .map(|(r, p)| (r.id, base | u64::from(*p))),
        );
    }
    Ok(PersonMap::from_pairs(pairs))
}
