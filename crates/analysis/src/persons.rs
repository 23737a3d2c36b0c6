//! Unique persons: the stored pseudonyms of every person entity linked by `tessera-linkage`
//! (deduplication across and within providers), giving the record → person map that turns
//! record counts into person counts and feeds the provider-overlap table. Reviewers' verdicts on
//! pairs (clerical review) are read from the store and obeyed by the clustering; the pairs the
//! engine is least sure of come back for review, with each field's evidence and never a name.

use std::collections::HashMap;

use tessera_linkage::{Config, DEFAULT_THRESHOLD, Decision, FIELDS, LinkInput, Mode, link};
use tessera_pseudonym::Pseudonyms;
use tessera_store::{Access, Store};

use crate::{AnalysisError, PersonMap};

/// Entities whose records are persons.
pub const PERSON_ENTITIES: &[&str] = &["victim", "suspect", "smuggled_migrant"];

/// Match probabilities between which a pair goes to clerical review: below the band a pair is
/// not linked, above it the link is taken as sure. The default link threshold lies inside.
pub const REVIEW_BAND: (f64, f64) = (0.02, 0.6);

/// At most this many pairs are kept for review per run (the most uncertain first).
pub const REVIEW_KEEP: usize = 5_000;

/// One field's evidence on a pair under review.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldEvidence {
    /// Field compared (`name`, `birth_date`, `id_number`, `phone`, `sex`, `citizenship`).
    pub field: &'static str,
    /// Comparison level (see `tessera_linkage::FIELDS`), -1 when a side has no value.
    pub level: i8,
    /// Weight of the evidence in bits: positive for a match, negative against.
    pub weight: f64,
}

/// A pair the engine is unsure of.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewPair {
    pub entity: &'static str,
    pub record_a: i64,
    pub record_b: i64,
    pub provider_a: String,
    pub provider_b: String,
    pub probability: f64,
    /// Whether the run put both records in one person.
    pub linked: bool,
    pub fields: Vec<FieldEvidence>,
}

/// Outcome of linking the stored records.
#[derive(Debug, Default)]
pub struct Linkage {
    pub persons: std::sync::Arc<PersonMap>,
    /// Undecided pairs in the review band, most uncertain first.
    pub review: Vec<ReviewPair>,
    /// Undecided pairs in the band in all (more than `review` holds when capped).
    pub review_total: usize,
    /// Reviewers' verdicts the run obeyed.
    pub decisions_applied: usize,
    /// Per person entity: records linked and the persons found among them.
    pub counts: Vec<(&'static str, usize, usize)>,
}

/// Links the person records of every provider and returns who is who. Person ids are distinct
/// across entities (a victim is never the same "person" as a suspect record here).
pub async fn link_persons(store: &Store) -> Result<PersonMap, AnalysisError> {
    let linkage = link_and_review(store).await?;
    Ok(std::sync::Arc::unwrap_or_clone(linkage.persons))
}

/// Distance of a probability from the link threshold, in log-odds: how unsure the engine is.
fn doubt(p: f64) -> f64 {
    let logit = |x: f64| (x / (1.0 - x)).ln();
    (logit(p.clamp(1e-9, 1.0 - 1e-9)) - logit(DEFAULT_THRESHOLD)).abs()
}

/// [`link_persons`], plus the pairs for clerical review.
pub async fn link_and_review(store: &Store) -> Result<Linkage, AnalysisError> {
    let verdicts = store.link_decisions().await?;
    let decided: HashMap<(i64, i64), bool> = verdicts
        .iter()
        .map(|d| ((d.record_a, d.record_b), d.same))
        .collect();
    let mut out = Linkage::default();
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
        let index: HashMap<i64, u32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i as u32))
            .collect();
        let decisions: Vec<Decision> = decided
            .iter()
            .filter_map(|(&(a, b), &same)| {
                Some(Decision {
                    a: *index.get(&a)?,
                    b: *index.get(&b)?,
                    same,
                })
            })
            .collect();
        out.decisions_applied += decisions.len();
        let result = tokio::task::spawn_blocking(move || {
            link(
                &inputs,
                &Config {
                    mode: Mode::Dedupe,
                    decisions,
                    ..Config::default()
                },
            )
        })
        .await
        .map_err(|err| AnalysisError::Unknown(format!("linkage stopped: {err}")))?;
        for p in result
            .pairs
            .iter()
            .filter(|p| (REVIEW_BAND.0..REVIEW_BAND.1).contains(&p.probability))
        {
            let (ra, rb) = (&rows[p.a as usize], &rows[p.b as usize]);
            let key = (ra.id.min(rb.id), ra.id.max(rb.id));
            if decided.contains_key(&key) {
                continue;
            }
            out.review_total += 1;
            let (ra, rb) = if ra.id < rb.id { (ra, rb) } else { (rb, ra) };
            out.review.push(ReviewPair {
                entity,
                record_a: ra.id,
                record_b: rb.id,
                provider_a: ra.provider_id.clone(),
                provider_b: rb.provider_id.clone(),
                probability: p.probability,
                linked: result.person[p.a as usize] == result.person[p.b as usize],
                fields: FIELDS
                    .iter()
                    .zip(p.levels)
                    .enumerate()
                    // Intake collects no residence: the field would only ever say "missing".
                    .filter(|(_, ((name, _), level))| *name != "address" || *level >= 0)
                    .map(|(f, ((name, _), level))| FieldEvidence {
                        field: name,
                        level,
                        weight: result.params.field_weight(f, level),
                    })
                    .collect(),
            });
        }
        out.counts.push((*entity, rows.len(), result.stats.persons));
        let base = (e as u64) << 32;
        pairs.extend(
            rows.iter()
                .zip(&result.person)
                .map(|(r, p)| (r.id, base | u64::from(*p))),
        );
    }
    out.review
        .sort_by(|x, y| doubt(x.probability).total_cmp(&doubt(y.probability)));
    out.review.truncate(REVIEW_KEEP);
    out.persons = std::sync::Arc::new(PersonMap::from_pairs(pairs));
    Ok(out)
}
