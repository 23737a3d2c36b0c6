//! Unique persons: the stored pseudonyms of every person entity linked by `tessera-linkage`
//! (deduplication across and within providers), giving the record → person map that turns
//! record counts into person counts and feeds the provider-overlap table. Reviewers' verdicts on
//! pairs (clerical review) are read from the store and obeyed by the clustering; the pairs the
//! engine is least sure of come back for review, with each field's evidence and never a name.
//!
//! One code path: [`link_entity`] reads an entity's pseudonyms and the reviewers' verdicts and
//! links them; [`link_and_review`] (dashboards, reports, review queue) and `tessera link --db`
//! both call it. Each run is kept with the map ([`LinkModel`]), so a new verdict re-clusters the
//! kept scores ([`apply_verdicts`]) instead of linking again, and a count of unique persons comes
//! with the range the model's probabilities give it ([`persons_range`]).

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tessera_linkage::{
    Config, DEFAULT_THRESHOLD, Decision, FIELDS, LinkInput, Linked, Mode, link_kept,
};
use tessera_pseudonym::Pseudonyms;
use tessera_store::{Access, LinkDecision, Store};

use crate::dashboard::{Filters, Scope};
use crate::{AnalysisError, Facts, PersonMap};

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
    pub persons: Arc<PersonMap>,
    /// Undecided pairs in the review band, most uncertain first.
    pub review: Vec<ReviewPair>,
    /// Undecided pairs in the band in all (more than `review` holds when capped).
    pub review_total: usize,
    /// Reviewers' verdicts the run obeyed.
    pub decisions_applied: usize,
    /// Per person entity: records linked and the persons found among them.
    pub counts: Vec<(&'static str, usize, usize)>,
}

/// A linked record, as the store names it (never an identifier).
#[derive(Debug, Clone)]
pub struct LinkedRecord {
    pub id: i64,
    pub provider_id: String,
    pub provider_ref: String,
}

/// One entity's stored records linked ([`link_entity`]): the records in the run's order, the
/// verdicts it obeyed, and the run itself, kept so that later verdicts only re-cluster it.
pub struct EntityLinkage {
    pub entity: String,
    pub records: Vec<LinkedRecord>,
    /// Providers the records come from.
    pub providers: usize,
    /// Reviewers' verdicts on pairs of these records, in the run's numbering.
    pub decisions: Vec<Decision>,
    pub linked: Linked,
    /// Record id → position in the run.
    index: FxHashMap<i64, u32>,
}

impl std::fmt::Debug for EntityLinkage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityLinkage")
            .field("entity", &self.entity)
            .field("records", &self.records.len())
            .field("decisions", &self.decisions.len())
            .field("persons", &self.linked.result.stats.persons)
            .finish()
    }
}

impl EntityLinkage {
    /// The verdicts of `verdicts` on two records of this run, in its numbering.
    fn decisions_from(&self, verdicts: &[LinkDecision]) -> Vec<Decision> {
        decisions_for(&self.index, verdicts)
    }
}

fn decisions_for(index: &FxHashMap<i64, u32>, verdicts: &[LinkDecision]) -> Vec<Decision> {
    // The latest verdict on a pair wins (the store lists the latest first and keeps one a pair).
    let mut seen: rustc_hash::FxHashSet<(i64, i64)> = Default::default();
    verdicts
        .iter()
        .filter(|d| seen.insert((d.record_a.min(d.record_b), d.record_a.max(d.record_b))))
        .filter_map(|d| {
            Some(Decision {
                a: *index.get(&d.record_a)?,
                b: *index.get(&d.record_b)?,
                same: d.same,
            })
        })
        .collect()
}

/// What the record → person map keeps of the linkage behind it: each entity's run with its
/// current persons, so a verdict re-clusters ([`apply_verdicts`]) and a count of persons gets
/// the model's range ([`persons_range`]).
#[derive(Default, Clone)]
pub struct LinkModel {
    entities: Arc<[EntityModel]>,
    /// Victims and smuggled migrants linked together, when asked for ([`PersonMap::with_across`]).
    across: Option<Arc<Across>>,
}

struct EntityModel {
    run: Arc<EntityLinkage>,
    /// Person of each record of the run (its numbering), under the verdicts applied.
    person: Vec<u32>,
}

impl std::fmt::Debug for LinkModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entities.iter().map(|e| &e.run))
            .finish()
    }
}

impl PersonMap {
    /// This map with the linkage model behind it.
    pub fn with_model(mut self, model: Arc<LinkModel>) -> PersonMap {
        self.model = Some(model);
        self
    }

    /// The linkage model behind this map, when it came from [`link_and_review`].
    pub fn model(&self) -> Option<&LinkModel> {
        self.model.as_deref()
    }

    /// This map with the persons found across victims and smuggled migrants ([`link_across`]),
    /// which [`tip_som_overlap`] counts.
    pub fn with_across(mut self, across: Across) -> PersonMap {
        let mut model = self.model.as_deref().cloned().unwrap_or_default();
        model.across = Some(Arc::new(across));
        self.model = Some(Arc::new(model));
        self
    }
}

/// Links the person records of every provider and returns who is who. Person ids are distinct
/// across entities (a victim is never the same "person" as a suspect record here).
pub async fn link_persons(store: &Store) -> Result<PersonMap, AnalysisError> {
    let linkage = link_and_review(store).await?;
    Ok(Arc::unwrap_or_clone(linkage.persons))
}

/// Distance of a probability from the link threshold, in log-odds: how unsure the engine is.
fn doubt(p: f64) -> f64 {
    let logit = |x: f64| (x / (1.0 - x)).ln();
    (logit(p.clamp(1e-9, 1.0 - 1e-9)) - logit(DEFAULT_THRESHOLD)).abs()
}

/// Links the stored records of `entity` (every provider's, national access) from their
/// pseudonyms, under the reviewers' verdicts: what `tessera link --db` writes and what
/// [`link_and_review`] counts. The verdicts are added to `cfg.decisions`; the run is kept, so
/// later verdicts only re-cluster it. An entity without records gives an empty run.
pub async fn link_entity(
    store: &Store,
    entity: &str,
    cfg: Config,
) -> Result<EntityLinkage, AnalysisError> {
    let verdicts = store.link_decisions().await?;
    link_entity_with(store, entity, cfg, &verdicts).await
}

async fn link_entity_with(
    store: &Store,
    entity: &str,
    mut cfg: Config,
    verdicts: &[LinkDecision],
) -> Result<EntityLinkage, AnalysisError> {
    let mut providers: Vec<String> = Vec::new();
    let mut inputs = Vec::new();
    let mut records = Vec::new();
    read_inputs(store, entity, &mut providers, &mut inputs, &mut records).await?;
    let index: FxHashMap<i64, u32> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as u32))
        .collect();
    let decisions = decisions_for(&index, verdicts);
    cfg.decisions.extend(decisions.iter().copied());
    let linked = tokio::task::spawn_blocking(move || link_kept(&inputs, &cfg))
        .await
        .map_err(|err| AnalysisError::Unknown(format!("linkage stopped: {err}")))?;
    Ok(EntityLinkage {
        entity: entity.to_string(),
        records,
        providers: providers.len(),
        decisions,
        linked,
        index,
    })
}

/// Appends the stored records of `entity` to `inputs` and `records`, each from the list
/// (`sources`: an entry per list) named by its provider and entity.
async fn read_inputs(
    store: &Store,
    entity: &str,
    sources: &mut Vec<String>,
    inputs: &mut Vec<LinkInput>,
    records: &mut Vec<LinkedRecord>,
) -> Result<(), AnalysisError> {
    let rows = store.pseudonyms(&Access::National, entity).await?;
    inputs.reserve(rows.len());
    records.reserve(rows.len());
    for r in rows {
        let list = format!("{entity}|{}", r.provider_id);
        let source = match sources.iter().position(|p| *p == list) {
            Some(i) => i,
            None => {
                sources.push(list);
                sources.len() - 1
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
            sex: r.sex,
            citizenship: r.citizenship,
        });
        records.push(LinkedRecord {
            id: r.id,
            provider_id: r.provider_id,
            provider_ref: r.provider_ref,
        });
    }
    Ok(())
}

/// [`link_persons`], plus the pairs for clerical review.
pub async fn link_and_review(store: &Store) -> Result<Linkage, AnalysisError> {
    let verdicts = store.link_decisions().await?;
    let mut runs = Vec::new();
    for entity in PERSON_ENTITIES {
        let cfg = Config {
            mode: Mode::Dedupe,
            ..Config::default()
        };
        let run = link_entity_with(store, entity, cfg, &verdicts).await?;
        if run.records.is_empty() {
            continue;
        }
        let person = run.linked.result.person.clone();
        runs.push(EntityModel {
            run: Arc::new(run),
            person,
        });
    }
    Ok(assemble(runs, &verdicts))
}

/// The linkage `previous` under the reviewers' verdicts as they now stand, without linking again:
/// each kept run is clustered again from its scored pairs ([`Linked::recluster`]). Without a
/// kept run (a map built otherwise), everything is linked again.
pub async fn apply_verdicts(store: &Store, previous: &Linkage) -> Result<Linkage, AnalysisError> {
    let Some(model) = previous.persons.model() else {
        return link_and_review(store).await;
    };
    let verdicts = store.link_decisions().await?;
    let runs: Vec<Arc<EntityLinkage>> = model.entities.iter().map(|e| e.run.clone()).collect();
    let verdicts_for_runs = verdicts.clone();
    let clustered = tokio::task::spawn_blocking(move || {
        runs.into_iter()
            .map(|run| {
                let decisions = run.decisions_from(&verdicts_for_runs);
                let person = run.linked.recluster(&decisions).person;
                EntityModel { run, person }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|err| AnalysisError::Unknown(format!("clustering stopped: {err}")))?;
    Ok(assemble(clustered, &verdicts))
}

/// The record → person map, the review queue and the counts of the runs `entities` (each with
/// its persons under `verdicts`).
fn assemble(entities: Vec<EntityModel>, verdicts: &[LinkDecision]) -> Linkage {
    let decided: HashMap<(i64, i64), bool> = verdicts
        .iter()
        .map(|d| {
            (
                (d.record_a.min(d.record_b), d.record_a.max(d.record_b)),
                d.same,
            )
        })
        .collect();
    let mut out = Linkage::default();
    let mut pairs: Vec<(i64, u64)> = Vec::new();
    for em in &entities {
        let (run, person) = (&em.run, &em.person);
        let Some(e) = PERSON_ENTITIES.iter().position(|x| *x == run.entity) else {
            continue;
        };
        let entity = PERSON_ENTITIES[e];
        let result = &run.linked.result;
        out.decisions_applied += run.decisions_from(verdicts).len();
        let rows = &run.records;
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
                linked: person[p.a as usize] == person[p.b as usize],
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
        let mut roots = person.clone();
        roots.sort_unstable();
        roots.dedup();
        out.counts.push((entity, rows.len(), roots.len()));
        let base = (e as u64) << 32;
        pairs.extend(
            rows.iter()
                .zip(person)
                .map(|(r, p)| (r.id, base | u64::from(*p))),
        );
    }
    out.review
        .sort_by(|x, y| doubt(x.probability).total_cmp(&doubt(y.probability)));
    out.review.truncate(REVIEW_KEEP);
    let model = Arc::new(LinkModel {
        entities: entities.into(),
        across: None,
    });
    out.persons = Arc::new(PersonMap::from_pairs(pairs).with_model(model));
    out
}

/// A count of unique persons as the linkage model sees it: the persons it expects among the
/// records counted, from its own match probabilities rather than from the links it took, and a
/// 95% range ([`tessera_linkage::expected_persons`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PersonsRange {
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

/// The model's range for the unique persons of `entity` a dashboard counts under `filters` for
/// `scope` (approved records the scope sees): `None` when `map` has no linkage model behind it,
/// when the scope counts records (a provider's own), or, for partners, when a bound would not
/// be published (every figure passes the partner's disclosure control). A record the run never
/// saw (stored after it) counts as a person for sure.
pub fn persons_range(
    facts: &Facts,
    map: &PersonMap,
    entity: &str,
    scope: &Scope,
    filters: &Filters,
) -> Result<Option<PersonsRange>, AnalysisError> {
    let access = match scope {
        Scope::Internal(Access::Provider(_)) => return Ok(None),
        Scope::Internal(a) => a.clone(),
        Scope::Partner { .. } => Access::National,
    };
    let Some(em) = map
        .model()
        .and_then(|m| m.entities.iter().find(|e| e.run.entity == entity))
    else {
        return Ok(None);
    };
    let ent = facts.entity(entity)?;
    let mask = crate::query::base_mask(facts, ent, &access, &filters.to_expr(facts, entity)?)?;
    let mut counted = vec![false; em.run.records.len()];
    let mut unseen = 0.0;
    for (row, ok) in mask.iter().enumerate() {
        if !ok {
            continue;
        }
        match em.run.index.get(&ent.record_id[row]) {
            Some(&i) => counted[i as usize] = true,
            None => unseen += 1.0,
        }
    }
    let pairs = em
        .run
        .linked
        .result
        .pairs
        .iter()
        .map(|p| (p.a, p.b, p.probability));
    let (expected, (low, high)) =
        tessera_linkage::expected_persons(pairs, &em.person, Some(&counted));
    let range = PersonsRange {
        expected: expected + unseen,
        low: (low + unseen).max(0.0),
        high: high + unseen,
    };
    Ok(match scope {
        Scope::Partner { disclosure } => {
            match (
                disclosure.count(range.expected),
                disclosure.count(range.low),
                disclosure.count(range.high),
            ) {
                (Some(expected), Some(low), Some(high)) => Some(PersonsRange {
                    expected,
                    low,
                    high,
                }),
                _ => None,
            }
        }
        Scope::Internal(_) => Some(range),
    })
}

/// The entities linked together to find the persons recorded both ways: a smuggled migrant who
/// is also reported as a victim of trafficking is the same person.
pub const ACROSS_ENTITIES: [&str; 2] = ["victim", "smuggled_migrant"];

/// Victims and smuggled migrants linked together ([`link_across`]): the person of each record
/// across the two entities.
#[derive(Debug, Clone, Default)]
pub struct Across {
    person: FxHashMap<i64, u32>,
    /// Records linked, and the persons found among them.
    pub records: usize,
    pub persons: usize,
}

impl Across {
    /// The person, across victims and smuggled migrants, of a record linkage saw.
    pub fn person(&self, record_id: i64) -> Option<u32> {
        self.person.get(&record_id).copied()
    }
}

/// Links the stored victims and smuggled migrants together, from the same pseudonym fields
/// (every provider's, both entities: each provider's list of each entity is a list of its own),
/// under the reviewers' verdicts (given within an entity, they apply here too). The persons of
/// each entity stay those of [`link_and_review`]; this run only says which of them are one
/// person across the two.
pub async fn link_across(store: &Store) -> Result<Across, AnalysisError> {
    let verdicts = store.link_decisions().await?;
    let mut sources: Vec<String> = Vec::new();
    let mut inputs = Vec::new();
    let mut records = Vec::new();
    for entity in ACROSS_ENTITIES {
        read_inputs(store, entity, &mut sources, &mut inputs, &mut records).await?;
    }
    let index: FxHashMap<i64, u32> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as u32))
        .collect();
    let cfg = Config {
        mode: Mode::Dedupe,
        decisions: decisions_for(&index, &verdicts),
        ..Config::default()
    };
    let result = tokio::task::spawn_blocking(move || tessera_linkage::link(&inputs, &cfg))
        .await
        .map_err(|err| AnalysisError::Unknown(format!("linkage stopped: {err}")))?;
    Ok(Across {
        records: records.len(),
        persons: result.stats.persons,
        person: records
            .iter()
            .zip(&result.person)
            .map(|(r, p)| (r.id, *p))
            .collect(),
    })
}

/// Smuggled migrants of one year as persons, and how many of them were also recorded as victims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TipSomYear {
    pub year: i32,
    /// Unique persons among the year's approved smuggled-migrant records.
    pub migrants: usize,
    /// Those of them also recorded as victims (an approved victim record `victims` selects, of
    /// any year) by any of their smuggled-migrant records.
    pub also_victims: usize,
}

/// How many smuggled-migrant persons are also victims, by the year of their migrant records
/// (national, approved records): a migrant person (of `persons`) counts as a victim when one of
/// their migrant records is, across the two entities ([`PersonMap::with_across`]), the same
/// person as an approved victim record that `victims` selects. `None` when the map was not
/// linked across the entities.
pub fn tip_som_overlap(
    facts: &Facts,
    persons: &PersonMap,
    victims: &Filters,
) -> Result<Option<Vec<TipSomYear>>, AnalysisError> {
    let Some(across) = persons.model().and_then(|m| m.across.as_deref()) else {
        return Ok(None);
    };
    let (Ok(v), Ok(m)) = (facts.entity("victim"), facts.entity("smuggled_migrant")) else {
        return Ok(Some(Vec::new()));
    };
    let mask = crate::query::base_mask(
        facts,
        v,
        &Access::National,
        &victims.to_expr(facts, "victim")?,
    )?;
    let victim_persons: rustc_hash::FxHashSet<u32> = mask
        .iter()
        .enumerate()
        .filter(|(_, ok)| **ok)
        .filter_map(|(i, _)| across.person.get(&v.record_id[i]).copied())
        .collect();
    // Migrant persons, and whether any of their approved records is a victim's person.
    let mut is_victim: FxHashMap<u64, bool> = FxHashMap::default();
    let mut by_year: std::collections::BTreeMap<i32, rustc_hash::FxHashSet<u64>> =
        Default::default();
    for i in 0..m.len() {
        if !m.approved[i] {
            continue;
        }
        let id = m.record_id[i];
        let p = persons.person(id);
        let victim = across
            .person
            .get(&id)
            .is_some_and(|x| victim_persons.contains(x));
        *is_victim.entry(p).or_default() |= victim;
        by_year.entry(i32::from(m.year[i])).or_default().insert(p);
    }
    Ok(Some(
        by_year
            .into_iter()
            .map(|(year, people)| TipSomYear {
                year,
                migrants: people.len(),
                also_victims: people.iter().filter(|p| is_victim[*p]).count(),
            })
            .collect(),
    ))
}
