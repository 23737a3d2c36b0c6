//! The typed, columnar form of the stored records that every aggregate runs on.
//!
//! Records are stored as JSON maps (variable code → value). Scanning and parsing a million of
//! them per request cannot answer in 100 ms, so [`Facts::build`] reads every entity once, turns
//! each variable into a column — dictionary codes become small integers (`u16`, 0 = not
//! recorded), dates become day numbers, booleans a byte — and keeps, per record, its provider,
//! period, approval flag, event year, and which variables were present or invalid (bit sets for
//! the data-quality report). A million victim records take about 60 MB. The web layer keeps one
//! `Facts` behind an `Arc` and rebuilds it when [`Facts::is_current`] says the approved data
//! changed (a submission approved, records added or corrected).

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tessera_dictionary::{AgeBand, CodeList, Dictionary, Entity, Labels, Rule, VarType};
use tessera_store::{Access, ApprovedFingerprint, FactRef, FactRow, FactState, Store};
use time::{Date, OffsetDateTime};

use crate::AnalysisError;

/// Missing value of integer and date columns.
pub const MISSING: i32 = i32::MIN;

/// A list of codes a column's small integers stand for (index `k - 1` for value `k`).
#[derive(Debug, Clone, Default)]
pub struct CodeSet {
    pub codes: Vec<String>,
    pub labels: Vec<Labels>,
    index: FxHashMap<String, u16>,
}

impl CodeSet {
    pub fn from_codelist(cl: &CodeList) -> CodeSet {
        let mut s = CodeSet::default();
        for c in &cl.codes {
            s.push(&c.code, c.label.clone());
        }
        s
    }

    /// A code list made here (derived columns), with English and French labels.
    pub fn inline(items: &[(&str, &str, &str)]) -> CodeSet {
        let mut s = CodeSet::default();
        for (code, en, fr) in items {
            let mut l = BTreeMap::new();
            l.insert("en".to_string(), en.to_string());
            l.insert("fr".to_string(), fr.to_string());
            s.push(code, Labels(l));
        }
        s
    }

    fn push(&mut self, code: &str, label: Labels) {
        if self.index.contains_key(code) {
            return;
        }
        self.codes.push(code.to_string());
        self.labels.push(label);
        self.index.insert(code.to_string(), self.codes.len() as u16);
    }

    /// The 1-based value of `code`.
    pub fn value(&self, code: &str) -> Option<u16> {
        self.index.get(code).copied()
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Code and label of a 1-based value (0: not recorded).
    pub fn describe(&self, value: u16, lang: &str) -> (String, String) {
        match value {
            0 => (String::new(), not_recorded(lang).to_string()),
            k => match self.codes.get(k as usize - 1) {
                Some(c) => (c.clone(), self.labels[k as usize - 1].get(lang).to_string()),
                None => (String::new(), not_recorded(lang).to_string()),
            },
        }
    }
}

pub(crate) fn not_recorded(lang: &str) -> &'static str {
    if lang == "fr" {
        "Non renseigné"
    } else {
        "Not recorded"
    }
}

/// The values of one variable over an entity's records.
#[derive(Debug, Clone)]
pub enum ColumnData {
    /// One code per record (0 = not recorded).
    Code(Vec<u16>),
    /// Several codes per record: record `i` holds `values[offsets[i]..offsets[i + 1]]`.
    Codes { offsets: Vec<u32>, values: Vec<u16> },
    /// 0 = not recorded, 1 = false, 2 = true.
    Bool(Vec<u8>),
    /// Integers and years ([`MISSING`] when not recorded).
    Int(Vec<i32>),
    /// Days since 1970-01-01 ([`MISSING`] when not recorded).
    Date(Vec<i32>),
    /// Free text: only whether it was filled in is kept (see [`EntityFacts::present`]).
    Text,
}

/// One variable of an entity as a column.
#[derive(Debug, Clone)]
pub struct Column {
    pub code: String,
    pub label: Labels,
    pub required: bool,
    /// Computed here rather than sent by providers (left out of completeness).
    pub derived: bool,
    pub codes: Option<Arc<CodeSet>>,
    pub data: ColumnData,
}

/// A data provider as the aggregates see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
    pub provider_type: String,
    pub region: Option<String>,
}

/// Every record of one entity, column by column.
#[derive(Debug, Clone, Default)]
pub struct EntityFacts {
    pub entity: String,
    pub record_id: Vec<i64>,
    /// Index into [`Facts::providers`].
    pub provider: Vec<u16>,
    /// 1-based index into [`Facts::periods`] (0: outside any submission).
    pub period: Vec<u16>,
    pub approved: Vec<bool>,
    /// Year of the record's event date (identification, incident, investigation…), else of its
    /// period; 0 when neither is known.
    pub year: Vec<u16>,
    /// Bit `i`: the `i`-th column (first 64) had a value as sent.
    pub present: Vec<u64>,
    /// Bit `i`: the `i`-th column's value is not valid under the current dictionary.
    pub invalid: Vec<u64>,
    /// For `cj_case` only (empty otherwise): per case, its suspect's row in the `suspect` entity
    /// at the same provider — by the case's `suspect_ref`, else by a `person_case_link` of role
    /// `SUSPECT` — or `None` when no suspect record is found. The suspect's sex, age and
    /// citizenship are those of the case's person.
    pub suspect_row: Vec<Option<u32>>,
    pub columns: Vec<Column>,
    col_index: FxHashMap<String, usize>,
}

impl EntityFacts {
    pub fn len(&self) -> usize {
        self.record_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record_id.is_empty()
    }

    pub fn column(&self, code: &str) -> Option<&Column> {
        self.col_index.get(code).map(|&i| &self.columns[i])
    }

    pub fn column_position(&self, code: &str) -> Option<usize> {
        self.col_index.get(code).copied()
    }
}

/// The event date that places a record of each entity in time.
pub fn event_date_variable(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "victim" => "date_identified",
        "suspect" | "smuggled_migrant" => "date_recorded",
        "smuggling_incident" => "incident_date",
        "cj_case" => "investigation_date",
        "assistance" => "start_date",
        _ => return None,
    })
}

/// All entities' records in typed columns, with the providers and periods they refer to.
#[derive(Debug, Clone)]
pub struct Facts {
    pub providers: Vec<ProviderInfo>,
    pub provider_types: Arc<CodeSet>,
    pub regions: Arc<CodeSet>,
    pub periods: Vec<String>,
    pub entities: BTreeMap<String, EntityFacts>,
    /// The store's fingerprint when the facts were read (`None` when built from rows in memory).
    pub fingerprint: Option<ApprovedFingerprint>,
    /// The last change of the store's change log these facts include (`None`: built in memory).
    pub version: Option<i64>,
    /// Labels of entities, for titles.
    pub entity_labels: BTreeMap<String, Labels>,
    /// What ties records of different entities together, kept so that an update can recompute
    /// the derived columns that depend on it.
    links: Arc<Links>,
    /// A digest of the dictionary the facts were built under (a new one means a rebuild).
    dictionary: u64,
}

/// References between records of different entities, by record id (not row, so that rows can
/// be inserted and replaced): a victim's assistance, a case's suspect.
#[derive(Debug, Clone, Default)]
struct Links {
    /// (provider, victim reference) → victim record id.
    victims: FxHashMap<(u16, String), i64>,
    /// Assistance record id → (provider, the victim's reference, start day), for assistance
    /// with a start date.
    assistance: FxHashMap<i64, (u16, String, i32)>,
    /// (provider, suspect reference) → suspect record id.
    suspects: FxHashMap<(u16, String), i64>,
    /// Case record id → (provider, the case's own reference, its `suspect_ref` if any).
    cases: FxHashMap<i64, (u16, String, Option<String>)>,
    /// Person–case link record id → (provider, case reference, person reference), for links
    /// of role SUSPECT; in id order, as the later link of a case wins.
    case_suspects: BTreeMap<i64, (u16, String, String)>,
}

impl Facts {
    /// Reads every record of every entity once (as the system, [`Access::National`]: access
    /// rules are applied by every query on the facts) and builds the columns.
    pub async fn build(store: &Store, dict: &Dictionary) -> Result<Facts, AnalysisError> {
        // Read first: records read afterwards include at least every change up to it.
        let state = store.fact_state().await?;
        let (providers, periods) = registry(store).await?;
        let started = std::time::Instant::now();
        let mut b = FactsBuilder::new(dict, providers, periods);
        let mut pushing = std::time::Duration::ZERO;
        // One pass over the records table for all entities.
        let rows = store
            .for_each_fact_ref(&Access::National, None, |row| {
                let t = std::time::Instant::now();
                b.push_ref(row);
                pushing += t.elapsed();
            })
            .await?;
        let read = started.elapsed();
        let mut facts = b.finish();
        facts.fingerprint = Some(state.fingerprint);
        facts.version = Some(state.version);
        tracing::info!(
            target: "tessera_analysis::timing",
            rows,
            read_ms = read.as_millis() as u64,
            push_ms = pushing.as_millis() as u64,
            finish_ms = (started.elapsed() - read).as_millis() as u64,
            "facts built"
        );
        Ok(facts)
    }

    /// Whether the store still holds the data these facts were built from (a cheap query).
    pub async fn is_current(&self, store: &Store) -> Result<bool, AnalysisError> {
        Ok(self.is_at(&store.fact_state().await?))
    }

    /// Whether these facts include every change up to `state` and nothing else happened.
    pub fn is_at(&self, state: &FactState) -> bool {
        self.version == Some(state.version) && self.fingerprint == Some(state.fingerprint)
    }

    /// These facts brought up to date with the store: `None` when they are current; else the
    /// records the store's change log names since they were read, put in place of their rows
    /// ([`Facts::update`]), or — after a deletion, a change of dictionary, providers or periods,
    /// or more than [`MAX_CHANGES`] changes — everything read again ([`Facts::build`]).
    pub async fn refreshed(
        &self,
        store: &Store,
        dict: &Dictionary,
    ) -> Result<Option<Facts>, AnalysisError> {
        let state = store.fact_state().await?;
        if self.is_at(&state) {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        if let Some(f) = self.update(store, dict, state).await? {
            tracing::info!(
                target: "tessera_analysis::timing",
                from = self.version,
                to = f.version,
                ms = started.elapsed().as_millis() as u64,
                "facts updated"
            );
            return Ok(Some(f));
        }
        Ok(Some(Facts::build(store, dict).await?))
    }

    /// The changes logged after these facts' version up to `state`, applied: the records they
    /// name read again and merged into the columns (inserted in id order or put in place of
    /// their rows), then the columns joining entities recomputed. `None` when the facts must be
    /// built again instead (see [`Facts::refreshed`]).
    pub async fn update(
        &self,
        store: &Store,
        dict: &Dictionary,
        state: FactState,
    ) -> Result<Option<Facts>, AnalysisError> {
        let (Some(version), Some(fingerprint)) = (self.version, self.fingerprint) else {
            return Ok(None);
        };
        // Deletions are not in the log; a version going back is another database (a restore);
        // an unchanged version with a changed fingerprint is a write that logged nothing.
        if state.fingerprint.erasures != fingerprint.erasures
            || state.version <= version
            || state.version - version > MAX_CHANGES
            || self.dictionary != dictionary_digest(dict)
        {
            return Ok(None);
        }
        let (providers, periods) = registry(store).await?;
        let same_ids = providers.len() == self.providers.len()
            && providers
                .iter()
                .zip(&self.providers)
                .all(|(a, b)| a.id == b.id);
        if !same_ids || periods != self.periods {
            return Ok(None);
        }
        let changes = store.fact_changes(version, state.version).await?;
        let mut b = FactsBuilder::new(dict, providers, periods);
        store
            .for_each_changed_fact(&changes, |row| b.push_ref(row))
            .await?;
        let Some(mut f) = self.merged(b.finish_rows()) else {
            return Ok(None);
        };
        f.version = Some(state.version);
        f.fingerprint = Some(state.fingerprint);
        Ok(Some(f))
    }

    /// These facts with the rows of `new` (same dictionary, providers and periods) put in place
    /// of the rows of the same record id or inserted in id order, and the joins recomputed.
    /// `None` when the rows are not in id order or `new` met a provider the registry lacks.
    fn merged(&self, new: Facts) -> Option<Facts> {
        if new.providers.len() != self.providers.len() {
            return None;
        }
        let mut entities = BTreeMap::new();
        for (id, old) in &self.entities {
            let e = match new.entities.get(id) {
                Some(n) if !n.is_empty() => merge_entity(old, n)?,
                _ => old.clone(),
            };
            entities.insert(id.clone(), e);
        }
        let mut links = (*self.links).clone();
        links.absorb(&new);
        let mut f = Facts {
            providers: new.providers,
            provider_types: self.provider_types.clone(),
            regions: self.regions.clone(),
            periods: self.periods.clone(),
            entities,
            fingerprint: None,
            version: None,
            entity_labels: self.entity_labels.clone(),
            links: Arc::new(links),
            dictionary: self.dictionary,
        };
        f.relink();
        Some(f)
    }

    pub fn entity(&self, entity: &str) -> Result<&EntityFacts, AnalysisError> {
        self.entities
            .get(entity)
            .ok_or_else(|| AnalysisError::Unknown(format!("entity \"{entity}\"")))
    }

    pub fn provider_index(&self, id: &str) -> Option<u16> {
        self.providers
            .iter()
            .position(|p| p.id == id)
            .map(|i| i as u16)
    }

    /// Providers `access` may see case-level data of (`None`: all).
    pub(crate) fn access_provider(&self, access: &Access) -> Option<u16> {
        match access {
            Access::National => None,
            // An unknown provider sees nothing: index past the end matches no record.
            Access::Provider(p) => Some(self.provider_index(p.as_str()).unwrap_or(u16::MAX)),
        }
    }
}

/// More changes than this since the facts were read, and they are read again in full.
pub const MAX_CHANGES: i64 = 2_000;

/// The providers and reporting periods the facts refer to, as the store lists them.
async fn registry(store: &Store) -> Result<(Vec<ProviderInfo>, Vec<String>), AnalysisError> {
    let providers = store
        .providers()
        .await?
        .into_iter()
        .map(|p| ProviderInfo {
            id: p.id.to_string(),
            name: p.name,
            provider_type: p.provider_type.as_str().to_string(),
            region: p.region,
        })
        .collect();
    let periods = store.periods().await?.into_iter().map(|p| p.id).collect();
    Ok((providers, periods))
}

impl Links {
    /// Takes in the references of the rows of `new`, which replace those of the same records.
    fn absorb(&mut self, new: &Facts) {
        let ids = |entity: &str| {
            new.entities
                .get(entity)
                .map(|e| e.record_id.as_slice())
                .unwrap_or_default()
        };
        for id in ids("assistance") {
            self.assistance.remove(id);
        }
        for id in ids("cj_case") {
            self.cases.remove(id);
        }
        for id in ids("person_case_link") {
            self.case_suspects.remove(id);
        }
        let n = &new.links;
        self.victims
            .extend(n.victims.iter().map(|(k, v)| (k.clone(), *v)));
        self.suspects
            .extend(n.suspects.iter().map(|(k, v)| (k.clone(), *v)));
        self.assistance
            .extend(n.assistance.iter().map(|(k, v)| (*k, v.clone())));
        self.cases
            .extend(n.cases.iter().map(|(k, v)| (*k, v.clone())));
        self.case_suspects
            .extend(n.case_suspects.iter().map(|(k, v)| (*k, v.clone())));
    }
}

/// Where each row of a merged entity comes from: the old rows and the new ones, both in id
/// order, a new row replacing the old row of the same id (high bit set: a new row).
fn merge_plan(old: &[i64], new: &[i64]) -> Option<Vec<u32>> {
    const NEW: u32 = 1 << 31;
    let sorted = |ids: &[i64]| ids.windows(2).all(|w| w[0] < w[1]);
    if !sorted(old) || !sorted(new) || old.len() + new.len() >= NEW as usize {
        return None;
    }
    let mut plan = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a < b => {
                plan.push(i as u32);
                i += 1;
            }
            (Some(a), Some(b)) if a == b => {
                plan.push(NEW | j as u32);
                i += 1;
                j += 1;
            }
            (_, Some(_)) => {
                plan.push(NEW | j as u32);
                j += 1;
            }
            (Some(_), None) => {
                plan.push(i as u32);
                i += 1;
            }
            (None, None) => break,
        }
    }
    Some(plan)
}

/// A per-row vector following `plan`.
fn take<T: Copy>(plan: &[u32], old: &[T], new: &[T]) -> Vec<T> {
    plan.iter()
        .map(|&p| {
            if p & (1 << 31) != 0 {
                new[(p & !(1 << 31)) as usize]
            } else {
                old[p as usize]
            }
        })
        .collect()
}

/// `old` with the rows of `new` (same entity, same columns) merged in by record id.
fn merge_entity(old: &EntityFacts, new: &EntityFacts) -> Option<EntityFacts> {
    let plan = merge_plan(&old.record_id, &new.record_id)?;
    let mut columns = Vec::with_capacity(old.columns.len());
    for (c, oc) in old.columns.iter().enumerate() {
        let nc = new.columns.get(c).filter(|n| n.code == oc.code);
        let data = match (&oc.data, nc.map(|n| &n.data)) {
            (ColumnData::Code(a), Some(ColumnData::Code(b))) => ColumnData::Code(take(&plan, a, b)),
            (ColumnData::Bool(a), Some(ColumnData::Bool(b))) => ColumnData::Bool(take(&plan, a, b)),
            (ColumnData::Int(a), Some(ColumnData::Int(b))) => ColumnData::Int(take(&plan, a, b)),
            (ColumnData::Date(a), Some(ColumnData::Date(b))) => ColumnData::Date(take(&plan, a, b)),
            (ColumnData::Text, Some(ColumnData::Text)) => ColumnData::Text,
            (
                ColumnData::Codes { offsets, values },
                Some(ColumnData::Codes {
                    offsets: noff,
                    values: nval,
                }),
            ) => {
                let mut o = Vec::with_capacity(plan.len() + 1);
                let mut v = Vec::with_capacity(values.len() + nval.len());
                o.push(0u32);
                for &p in &plan {
                    let (off, val, r) = if p & (1 << 31) != 0 {
                        (noff, nval, (p & !(1 << 31)) as usize)
                    } else {
                        (offsets, values, p as usize)
                    };
                    v.extend_from_slice(&val[off[r] as usize..off[r + 1] as usize]);
                    o.push(v.len() as u32);
                }
                ColumnData::Codes {
                    offsets: o,
                    values: v,
                }
            }
            // A column joining entities (computed again by `relink`): a place for each row.
            (ColumnData::Int(a), None) => {
                ColumnData::Int(take(&plan, a, &vec![MISSING; new.len()]))
            }
            _ => return None,
        };
        columns.push(Column {
            data,
            ..Column {
                code: oc.code.clone(),
                label: oc.label.clone(),
                required: oc.required,
                derived: oc.derived,
                codes: oc.codes.clone(),
                data: ColumnData::Text,
            }
        });
    }
    Some(EntityFacts {
        entity: old.entity.clone(),
        record_id: take(&plan, &old.record_id, &new.record_id),
        provider: take(&plan, &old.provider, &new.provider),
        period: take(&plan, &old.period, &new.period),
        approved: take(&plan, &old.approved, &new.approved),
        year: take(&plan, &old.year, &new.year),
        present: take(&plan, &old.present, &new.present),
        invalid: take(&plan, &old.invalid, &new.invalid),
        suspect_row: Vec::new(),
        columns,
        col_index: old.col_index.clone(),
    })
}

/// Builds [`Facts`] from rows (the store's, or rows made in memory by tests and benchmarks).
pub struct FactsBuilder<'d> {
    dict: &'d Dictionary,
    providers: Vec<ProviderInfo>,
    provider_ix: FxHashMap<String, u16>,
    periods: Vec<String>,
    period_ix: FxHashMap<String, u16>,
    period_year: Vec<u16>,
    codesets: FxHashMap<String, Arc<CodeSet>>,
    /// Every entity of the dictionary: its columns so far, its definition, its event-date column.
    building: BTreeMap<String, (EntityFacts, &'d Entity, Option<usize>)>,
    today: i32,
    /// Assistance to victims and suspects of cases, resolved once every record is in.
    links: Links,
}

impl<'d> FactsBuilder<'d> {
    pub fn new(
        dict: &'d Dictionary,
        providers: Vec<ProviderInfo>,
        periods: Vec<String>,
    ) -> FactsBuilder<'d> {
        let provider_ix = providers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i as u16))
            .collect();
        let period_ix = periods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u16 + 1))
            .collect();
        let period_year = periods
            .iter()
            .map(|p| p.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0))
            .collect();
        let codesets = dict
            .codelists
            .iter()
            .map(|(id, cl)| (id.clone(), Arc::new(CodeSet::from_codelist(cl))))
            .collect();
        let building = dict
            .entities
            .iter()
            .map(|(id, def)| {
                let (e, event_col) = empty_entity(&codesets, id, def);
                (id.clone(), (e, def, event_col))
            })
            .collect();
        FactsBuilder {
            dict,
            providers,
            provider_ix,
            periods,
            period_ix,
            period_year,
            codesets,
            building,
            today: day_number(OffsetDateTime::now_utc().date()),
            links: Links::default(),
        }
    }

    /// Adds one stored record (of any entity, in any order; unknown entities are skipped).
    pub fn push(&mut self, row: &FactRow) {
        self.push_ref(row.as_ref());
    }

    /// [`FactsBuilder::push`] of a record whose text is borrowed (as the store reads them).
    pub fn push_ref(&mut self, row: FactRef<'_>) {
        let Some((e, def, event_col)) = self.building.get_mut(row.entity) else {
            return;
        };
        let (def, event_col) = (*def, *event_col);
        // Values by column, parsed straight from the JSON text (strings borrowed, no map built).
        let mut vals: Vec<Val> = Vec::new();
        vals.resize_with(e.columns.len(), || Val::Null);
        if let Ok(Row(pairs)) = serde_json::from_str::<Row>(row.data) {
            for (k, v) in pairs {
                if let Some(&c) = e.col_index.get(k.as_ref()) {
                    vals[c] = v;
                }
            }
        }
        let provider = match self.provider_ix.get(row.provider_id) {
            Some(&p) => p,
            None => {
                self.providers.push(ProviderInfo {
                    id: row.provider_id.to_string(),
                    name: row.provider_id.to_string(),
                    provider_type: String::new(),
                    region: None,
                });
                let p = (self.providers.len() - 1) as u16;
                self.provider_ix.insert(row.provider_id.to_string(), p);
                p
            }
        };
        let period = row
            .period_id
            .and_then(|p| self.period_ix.get(p).copied())
            .unwrap_or(0);
        e.record_id.push(row.id);
        e.provider.push(provider);
        e.period.push(period);
        e.approved.push(row.approved);
        let (mut present, mut invalid) = (0u64, 0u64);
        for (i, (col, var)) in e.columns.iter_mut().zip(def.stored_variables()).enumerate() {
            let v = Some(&vals[i]).filter(|v| !matches!(v, Val::Null));
            let bit = if i < 64 { 1u64 << i } else { 0 };
            if v.is_some() {
                present |= bit;
            }
            let ok = match (&mut col.data, v) {
                (ColumnData::Code(vals), v) => {
                    let (k, ok) = match v {
                        None => (0, true),
                        Some(Val::Str(s)) => match col.codes.as_ref().and_then(|c| c.value(s)) {
                            Some(k) => (k, true),
                            None => (0, false),
                        },
                        Some(_) => (0, false),
                    };
                    vals.push(k);
                    ok
                }
                (ColumnData::Codes { offsets, values }, v) => {
                    let mut ok = true;
                    match v {
                        None => {}
                        Some(Val::Arr(items)) => {
                            for it in items {
                                match col.codes.as_ref().and_then(|c| c.value(it)) {
                                    Some(k)
                                        if !values[*offsets.last().unwrap_or(&0) as usize..]
                                            .contains(&k) =>
                                    {
                                        values.push(k)
                                    }
                                    Some(_) => {}
                                    None => ok = false,
                                }
                            }
                        }
                        Some(_) => ok = false,
                    }
                    offsets.push(values.len() as u32);
                    ok
                }
                (ColumnData::Bool(vals), v) => {
                    let (b, ok) = match v {
                        None => (0, true),
                        Some(Val::Bool(b)) => (1 + u8::from(*b), true),
                        Some(_) => (0, false),
                    };
                    vals.push(b);
                    ok
                }
                (ColumnData::Int(vals), v) => {
                    let (x, ok) = match v {
                        None => (MISSING, true),
                        Some(Val::Num(f)) if in_range(&var.var_type, *f) => {
                            (f.round() as i32, true)
                        }
                        Some(_) => (MISSING, false),
                    };
                    vals.push(x);
                    ok
                }
                (ColumnData::Date(vals), v) => {
                    let (d, ok) = match v {
                        None => (MISSING, true),
                        Some(Val::Str(s)) => match parse_date(s) {
                            Some(d) if d <= self.today && d >= -25_567 => (d, true),
                            _ => (MISSING, false),
                        },
                        Some(_) => (MISSING, false),
                    };
                    vals.push(d);
                    ok
                }
                (ColumnData::Text, _) => true,
            };
            if !ok {
                invalid |= bit;
            }
        }
        // The dictionary's cross-field rules: a broken rule makes its variables invalid.
        for rule in &def.rules {
            if !rule_holds(e, rule) {
                for v in rule.variables() {
                    if let Some(&pos) = e.col_index.get(v)
                        && pos < 64
                    {
                        invalid |= 1 << pos;
                    }
                }
            }
        }
        e.present.push(present);
        e.invalid.push(invalid);
        let year = event_col
            .and_then(|c| match &e.columns[c].data {
                ColumnData::Date(d) => d.last().copied().filter(|&d| d != MISSING),
                _ => None,
            })
            .map(|d| year_of(d) as u16)
            .or_else(|| (period > 0).then(|| self.period_year[period as usize - 1]))
            .unwrap_or(0);
        e.year.push(year);
        // References to other entities' records, resolved once every record is in (`finish`).
        if e.entity == "assistance"
            && let (Some(pc), Some(sc)) =
                (e.col_index.get("person_ref"), e.col_index.get("start_date"))
            && let (Val::Str(person), ColumnData::Date(starts)) = (&vals[*pc], &e.columns[*sc].data)
            && let Some(&start) = starts.last().filter(|&&d| d != MISSING)
        {
            self.links
                .assistance
                .insert(row.id, (provider, person.to_string(), start));
        }
        let text = |var: &str| match e.col_index.get(var).map(|&c| &vals[c]) {
            Some(Val::Str(s)) if !s.is_empty() => Some(s.to_string()),
            _ => None,
        };
        match e.entity.as_str() {
            "victim" => {
                self.links
                    .victims
                    .insert((provider, row.provider_ref.to_string()), row.id);
            }
            "suspect" => {
                self.links
                    .suspects
                    .insert((provider, row.provider_ref.to_string()), row.id);
            }
            "cj_case" => {
                self.links.cases.insert(
                    row.id,
                    (provider, row.provider_ref.to_string(), text("suspect_ref")),
                );
            }
            "person_case_link" if text("role").as_deref() == Some("SUSPECT") => {
                if let (Some(case), Some(person)) = (text("case_ref"), text("person_ref")) {
                    self.links
                        .case_suspects
                        .insert(row.id, (provider, case, person));
                }
            }
            _ => {}
        }
    }

    pub fn finish(self) -> Facts {
        let mut facts = self.finish_rows();
        facts.relink();
        facts
    }

    /// The facts of the rows pushed, without the columns that join entities ([`Facts::relink`]).
    fn finish_rows(mut self) -> Facts {
        let entities: BTreeMap<String, EntityFacts> = std::mem::take(&mut self.building)
            .into_iter()
            .map(|(id, (mut e, _, _))| {
                add_derived(&mut e);
                (id, e)
            })
            .collect();
        let mut entity_labels = BTreeMap::new();
        for (id, e) in &self.dict.entities {
            entity_labels.insert(id.clone(), e.label.clone());
        }
        let provider_types = self
            .codesets
            .get("provider_type")
            .cloned()
            .unwrap_or_default();
        let regions = self.codesets.get("region").cloned().unwrap_or_default();
        Facts {
            providers: self.providers,
            provider_types,
            regions,
            periods: self.periods,
            entities,
            fingerprint: None,
            version: None,
            entity_labels,
            links: Arc::new(self.links),
            dictionary: dictionary_digest(self.dict),
        }
    }
}

impl Facts {
    /// The columns that join entities, from [`Links`]: each victim's days from identification
    /// to the start of assistance at the same provider (the earliest assistance when there are
    /// several: the NAP's "assisted within 30 days"), and each criminal-justice case's suspect
    /// (by its suspect reference, else by a person–case link).
    fn relink(&mut self) {
        let links = self.links.clone();
        if let Some(v) = self.entities.get_mut("victim") {
            let rows = RowOf::new(&v.record_id);
            let mut days = vec![MISSING; v.len()];
            let identified = match v.column("date_identified").map(|c| &c.data) {
                Some(ColumnData::Date(d)) => d.as_slice(),
                _ => &[],
            };
            let mut key = (0u16, String::new());
            for (provider, person, start) in links.assistance.values() {
                key.0 = *provider;
                key.1.clear();
                key.1.push_str(person);
                let Some(row) = links.victims.get(&key).and_then(|&id| rows.get(id)) else {
                    continue;
                };
                let id = identified.get(row).copied().unwrap_or(MISSING);
                if id != MISSING {
                    let d = (start - id).max(0);
                    let slot = &mut days[row];
                    if *slot == MISSING || d < *slot {
                        *slot = d;
                    }
                }
            }
            match v.column_position("days_to_assistance") {
                Some(c) => v.columns[c].data = ColumnData::Int(days),
                None => push_derived(
                    v,
                    "days_to_assistance",
                    (
                        "Days from identification to assistance",
                        "Jours entre identification et assistance",
                    ),
                    None,
                    ColumnData::Int(days),
                ),
            }
        }
        let suspects = self
            .entities
            .get("suspect")
            .map(|s| s.record_id.clone())
            .unwrap_or_default();
        if let Some(c) = self.entities.get_mut("cj_case") {
            let suspect_rows = RowOf::new(&suspects);
            let case_rows = RowOf::new(&c.record_id);
            let mut case_suspects: FxHashMap<(u16, &str), &str> = FxHashMap::default();
            for (provider, case, person) in links.case_suspects.values() {
                case_suspects.insert((*provider, case), person);
            }
            let mut rows = vec![None; c.len()];
            let mut key = (0u16, String::new());
            for (&id, (provider, case_ref, suspect_ref)) in &links.cases {
                let Some(row) = case_rows.get(id) else {
                    continue;
                };
                let person = suspect_ref
                    .as_deref()
                    .or_else(|| case_suspects.get(&(*provider, case_ref.as_str())).copied());
                rows[row] = person.and_then(|p| {
                    key.0 = *provider;
                    key.1.clear();
                    key.1.push_str(p);
                    links
                        .suspects
                        .get(&key)
                        .and_then(|&s| suspect_rows.get(s))
                        .map(|r| r as u32)
                });
            }
            c.suspect_row = rows;
        }
    }
}

/// Row of a record id: by binary search when ids are in order (facts read from a store), else
/// through a map (facts built from rows in memory).
enum RowOf<'a> {
    Sorted(&'a [i64]),
    Map(FxHashMap<i64, usize>),
}

impl<'a> RowOf<'a> {
    fn new(ids: &'a [i64]) -> RowOf<'a> {
        if ids.windows(2).all(|w| w[0] < w[1]) {
            RowOf::Sorted(ids)
        } else {
            RowOf::Map(ids.iter().enumerate().map(|(i, &id)| (id, i)).collect())
        }
    }

    fn get(&self, id: i64) -> Option<usize> {
        match self {
            RowOf::Sorted(ids) => ids.binary_search(&id).ok(),
            RowOf::Map(m) => m.get(&id).copied(),
        }
    }
}

/// A digest of everything in the dictionary (its serialised form): facts built under another
/// dictionary are rebuilt rather than updated.
fn dictionary_digest(dict: &Dictionary) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    serde_json::to_string(dict).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// The codes of the last row in a code or codes column.
fn last_codes<'e>(e: &'e EntityFacts, var: &str) -> Vec<&'e str> {
    let Some(col) = e.column(var) else {
        return Vec::new();
    };
    let name = |k: u16| {
        col.codes
            .as_ref()
            .and_then(|c| c.codes.get(k as usize - 1))
            .map(String::as_str)
    };
    match &col.data {
        ColumnData::Code(v) => v
            .last()
            .filter(|&&k| k > 0)
            .and_then(|&k| name(k))
            .into_iter()
            .collect(),
        ColumnData::Codes { offsets, values } => {
            let n = offsets.len();
            if n < 2 {
                return Vec::new();
            }
            values[offsets[n - 2] as usize..offsets[n - 1] as usize]
                .iter()
                .filter_map(|&k| name(k))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The last row's value of an integer, year or date column.
fn last_number(e: &EntityFacts, var: &str) -> Option<i32> {
    match &e.column(var)?.data {
        ColumnData::Int(v) | ColumnData::Date(v) => v.last().copied().filter(|&x| x != MISSING),
        _ => None,
    }
}

/// Whether the last row was given a value for `var`.
fn last_present(e: &EntityFacts, var: &str) -> bool {
    let Some(pos) = e.column_position(var) else {
        return false;
    };
    match &e.columns[pos].data {
        ColumnData::Text => false,
        ColumnData::Code(v) => v.last().is_some_and(|&k| k > 0),
        ColumnData::Codes { offsets, .. } => {
            offsets.len() >= 2 && offsets[offsets.len() - 1] > offsets[offsets.len() - 2]
        }
        ColumnData::Bool(v) => v.last().is_some_and(|&b| b > 0),
        ColumnData::Int(v) | ColumnData::Date(v) => v.last().is_some_and(|&x| x != MISSING),
    }
}

/// A cross-field rule of the dictionary on the last row pushed (true when it cannot be checked).
fn rule_holds(e: &EntityFacts, rule: &Rule) -> bool {
    match rule {
        Rule::DateOrder { earlier, later } => {
            match (last_number(e, earlier), last_number(e, later)) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            }
        }
        Rule::CrossBorder { flag, from, to } => {
            let flag = match e.column(flag).map(|c| &c.data) {
                Some(ColumnData::Bool(v)) => v.last().copied().unwrap_or(0),
                _ => 0,
            };
            match (flag, last_codes(e, from).first(), last_codes(e, to).first()) {
                (1 | 2, Some(a), Some(b)) => (flag == 2) == (a != b),
                _ => true,
            }
        }
        Rule::Requires {
            when,
            if_in,
            then,
            then_in,
        } => {
            let applies = last_present(e, when)
                && (if_in.is_empty()
                    || last_codes(e, when)
                        .iter()
                        .any(|c| if_in.iter().any(|x| x == c)));
            !applies
                || (last_present(e, then)
                    && (then_in.is_empty()
                        || last_codes(e, then)
                            .iter()
                            .any(|c| then_in.iter().any(|x| x == c))))
        }
        Rule::AgeBirthYear {
            age,
            birth_year,
            at,
        } => {
            match (
                last_number(e, age),
                last_number(e, birth_year),
                last_number(e, at),
            ) {
                (Some(a), Some(by), Some(d)) => (year_of(d) - by - a).abs() <= 1,
                _ => true,
            }
        }
    }
}

/// One JSON value of a record, strings borrowed from the text when they have no escapes.
enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Cow<'a, str>>),
    /// Anything else (objects, arrays of non-strings): present but not of any column's type.
    Other,
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val<'de>, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_none<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Val<'de>, E> {
        Ok(Val::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Val<'de>, E> {
        Ok(Val::Num(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Val<'de>, E> {
        Ok(Val::Num(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Val<'de>, E> {
        Ok(Val::Num(n))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut items = Vec::new();
        let mut other = false;
        while let Some(v) = seq.next_element::<Val<'de>>()? {
            match v {
                Val::Str(s) => items.push(s),
                _ => other = true,
            }
        }
        Ok(if other { Val::Other } else { Val::Arr(items) })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Val::Other)
    }
}

/// A record's JSON object as (key, value) pairs.
struct Row<'a>(Vec<(Cow<'a, str>, Val<'a>)>);

impl<'de> Deserialize<'de> for Row<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row<'de>, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
                let mut pairs = Vec::with_capacity(24);
                while let Some(k) = map.next_key::<Val<'de>>()? {
                    let v = map.next_value::<Val<'de>>()?;
                    if let Val::Str(k) = k {
                        pairs.push((k, v));
                    }
                }
                Ok(Row(pairs))
            }
        }
        d.deserialize_map(RowVisitor)
    }
}

/// An entity with no records yet: one empty column per stored variable.
fn empty_entity(
    codesets: &FxHashMap<String, Arc<CodeSet>>,
    entity: &str,
    def: &Entity,
) -> (EntityFacts, Option<usize>) {
    let mut e = EntityFacts {
        entity: entity.to_string(),
        ..Default::default()
    };
    for v in def.stored_variables() {
        let codes = v.var_type.codelist().and_then(|c| codesets.get(c).cloned());
        let data = match &v.var_type {
            VarType::Code { .. } => ColumnData::Code(Vec::new()),
            VarType::Codes { .. } => ColumnData::Codes {
                offsets: vec![0],
                values: Vec::new(),
            },
            VarType::Boolean => ColumnData::Bool(Vec::new()),
            VarType::Integer { .. } | VarType::Year { .. } | VarType::Decimal { .. } => {
                ColumnData::Int(Vec::new())
            }
            VarType::Date => ColumnData::Date(Vec::new()),
            VarType::Text { .. } => ColumnData::Text,
        };
        e.col_index.insert(v.code.clone(), e.columns.len());
        e.columns.push(Column {
            code: v.code.clone(),
            label: v.label.clone(),
            required: v.required,
            derived: false,
            codes,
            data,
        });
    }
    let event_col = event_date_variable(entity).and_then(|v| e.col_index.get(v).copied());
    (e, event_col)
}

fn labels(en: &str, fr: &str) -> Labels {
    let mut l = BTreeMap::new();
    l.insert("en".to_string(), en.to_string());
    l.insert("fr".to_string(), fr.to_string());
    Labels(l)
}

fn push_derived(
    e: &mut EntityFacts,
    code: &str,
    (en, fr): (&str, &str),
    codes: Option<Arc<CodeSet>>,
    data: ColumnData,
) {
    e.col_index.insert(code.to_string(), e.columns.len());
    e.columns.push(Column {
        code: code.to_string(),
        label: labels(en, fr),
        required: false,
        derived: true,
        codes,
        data,
    });
}

/// Columns computed from the stored ones: the age band from the exact age when only the age was
/// sent, child/adult, and the offence group (TIP/SOM) of criminal-justice cases.
fn add_derived(e: &mut EntityFacts) {
    if let (Some(ab), Some(age)) = (e.column_position("age_band"), e.column("age")) {
        let ages = match &age.data {
            ColumnData::Int(a) => a.clone(),
            _ => Vec::new(),
        };
        let codes = e.columns[ab].codes.clone();
        if let (ColumnData::Code(bands), Some(codes)) = (&mut e.columns[ab].data, codes.as_ref()) {
            for (b, &a) in bands.iter_mut().zip(&ages) {
                if *b == 0
                    && a != MISSING
                    && let Ok(band) = AgeBand::from_age(a as i64)
                {
                    *b = codes.value(band.code()).unwrap_or(0);
                }
            }
        }
        let child_codes = Arc::new(CodeSet::inline(&[
            ("CHILD", "Children (under 18)", "Enfants (moins de 18 ans)"),
            ("ADULT", "Adults", "Adultes"),
        ]));
        let child: Vec<u16> = match (&e.columns[ab].data, codes.as_ref()) {
            (ColumnData::Code(bands), Some(codes)) => {
                let map: Vec<u16> = std::iter::once(0)
                    .chain(codes.codes.iter().map(|c| {
                        match AgeBand::parse(c).ok().and_then(AgeBand::is_child) {
                            Some(true) => 1,
                            Some(false) => 2,
                            None => 0,
                        }
                    }))
                    .collect();
                bands.iter().map(|&b| map[b as usize]).collect()
            }
            _ => vec![0; e.len()],
        };
        push_derived(
            e,
            "child",
            ("Child or adult", "Enfant ou adulte"),
            Some(child_codes),
            ColumnData::Code(child),
        );
    }
    if e.entity == "cj_case"
        && let Some(off) = e.column("offence")
        && let (ColumnData::Code(vals), Some(codes)) = (&off.data, off.codes.as_ref())
    {
        let groups = Arc::new(CodeSet::inline(&[
            ("TIP", "Trafficking in persons", "Traite des personnes"),
            (
                "SOM",
                "Smuggling of migrants",
                "Trafic illicite de migrants",
            ),
            ("OTHER", "Related offences", "Infractions connexes"),
        ]));
        let map: Vec<u16> = std::iter::once(0)
            .chain(codes.codes.iter().map(|c| offence_group(c)))
            .collect();
        let data = vals.iter().map(|&v| map[v as usize]).collect();
        push_derived(
            e,
            "offence_group",
            ("Offence", "Infraction"),
            Some(groups),
            ColumnData::Code(data),
        );
    }
}

/// ICCS 0204x is trafficking in persons, 08051 smuggling of migrants.
pub fn offence_group(iccs: &str) -> u16 {
    if iccs.starts_with("0204") {
        1
    } else if iccs.starts_with("08051") {
        2
    } else {
        3
    }
}

fn in_range(t: &VarType, f: f64) -> bool {
    match t {
        VarType::Integer { min, max } | VarType::Year { min, max } => {
            f >= *min as f64 && f <= *max as f64
        }
        VarType::Decimal { min, max } => f >= *min && f <= *max,
        _ => true,
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..10].parse().ok()?;
    let date = Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    Some(day_number(date))
}

pub fn day_number(d: Date) -> i32 {
    d.to_julian_day() - 2_440_588
}

pub fn year_of(day: i32) -> i32 {
    Date::from_julian_day(day + 2_440_588)
        .map(|d| d.year())
        .unwrap_or(0)
}
