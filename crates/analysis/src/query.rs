//! Group-by over the typed facts: row masks from [`Expr`], counts (of records or of unique
//! persons) or sums per combination of up to four dimensions, as a labelled [`Table`].

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use tessera_store::Access;

use crate::AnalysisError;
use crate::expr::{Expr, Lit};
use crate::facts::{CodeSet, ColumnData, EntityFacts, Facts, MISSING, not_recorded, parse_date};
use crate::table::{Key, Table, TableRow};

/// Record → person, from record linkage: the same person reported by several providers (or
/// twice by one) counts once when a dashboard is asked for [`Unit::Persons`].
#[derive(Debug, Default)]
pub struct PersonMap {
    map: FxHashMap<i64, u64>,
    /// Per entity (and number of rows): each row's person as a dense index, and how many
    /// persons there are — computed once, then every table counts with bit sets.
    dense: std::sync::Mutex<FxHashMap<(String, usize), DensePersons>>,
    /// The linkage runs behind the map (see [`crate::persons::LinkModel`]), when kept.
    pub(crate) model: Option<std::sync::Arc<crate::persons::LinkModel>>,
}

/// Each row's person as an index in `0..n`, and `n`.
type DensePersons = std::sync::Arc<(Vec<u32>, u32)>;

impl Clone for PersonMap {
    fn clone(&self) -> PersonMap {
        PersonMap {
            model: self.model.clone(),
            ..PersonMap::from_pairs(self.map.iter().map(|(&r, &p)| (r, p)))
        }
    }
}

impl PersonMap {
    /// From (record id, person id) pairs, as the linkage work produces them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i64, u64)>) -> PersonMap {
        PersonMap {
            map: pairs.into_iter().collect(),
            dense: Default::default(),
            model: None,
        }
    }

    /// Each row's person of `ent` as an index in `0..n`, with `n`.
    pub(crate) fn dense_for(&self, ent: &EntityFacts) -> DensePersons {
        let key = (ent.entity.clone(), ent.len());
        if let Ok(g) = self.dense.lock()
            && let Some(d) = g.get(&key)
        {
            return d.clone();
        }
        let mut ix: FxHashMap<u64, u32> = FxHashMap::default();
        let rows: Vec<u32> = ent
            .record_id
            .iter()
            .map(|&r| {
                let n = ix.len() as u32;
                *ix.entry(self.person(r)).or_insert(n)
            })
            .collect();
        let d = std::sync::Arc::new((rows, ix.len() as u32));
        if let Ok(mut g) = self.dense.lock() {
            g.insert(key, d.clone());
        }
        d
    }

    /// The person a record belongs to; a record linkage left alone is a person of its own.
    pub fn person(&self, record_id: i64) -> u64 {
        self.map
            .get(&record_id)
            .copied()
            .unwrap_or((1u64 << 63) | record_id as u64)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many of the linked records each person holds (a record linkage never saw is a
    /// person of its own, see [`PersonMap::person`]).
    pub fn cluster_sizes(&self) -> FxHashMap<u64, usize> {
        let mut sizes: FxHashMap<u64, usize> = FxHashMap::default();
        for p in self.map.values() {
            *sizes.entry(*p).or_default() += 1;
        }
        sizes
    }
}

/// What a table counts.
#[derive(Debug, Clone, Copy, Default)]
pub enum Unit<'a> {
    /// Records as providers sent them (a person reported by two providers counts twice).
    #[default]
    Records,
    /// Unique persons, through the record → person map of linkage.
    Persons(&'a PersonMap),
}

impl Unit<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Unit::Records => "records",
            Unit::Persons(_) => "persons",
        }
    }
}

/// What is added up in each cell.
#[derive(Debug, Clone, Copy)]
pub enum Measure<'a> {
    /// Records or persons (see [`Unit`]).
    Count,
    /// The sum of an integer variable (e.g. `migrants_count`, `deaths`); always over records.
    Sum(&'a str),
}

/// The keys a field takes on each record, and how to name them.
pub(crate) enum Keys<'a> {
    Single(Cow<'a, [u16]>),
    Multi {
        offsets: &'a [u32],
        values: &'a [u16],
    },
}

pub(crate) enum Namer<'a> {
    Codes(&'a CodeSet),
    Bool,
    Year(u16),
    Providers(&'a Facts),
    Periods(&'a Facts),
}

/// A field resolved against an entity: its keys, their number, and their names.
pub(crate) struct KeyField<'a> {
    pub header: String,
    pub keys: Keys<'a>,
    pub card: usize,
    pub namer: Namer<'a>,
}

impl KeyField<'_> {
    pub fn describe(&self, k: u32, lang: &str) -> Key {
        let (code, label) = match (&self.namer, k) {
            (_, 0) => (String::new(), not_recorded(lang).to_string()),
            (Namer::Codes(c), k) => c.describe(k as u16, lang),
            (Namer::Bool, 1) => (
                "false".into(),
                if lang == "fr" { "Non" } else { "No" }.into(),
            ),
            (Namer::Bool, _) => (
                "true".into(),
                if lang == "fr" { "Oui" } else { "Yes" }.into(),
            ),
            (Namer::Year(y0), k) => {
                let y = (*y0 as u32 + k - 1).to_string();
                (y.clone(), y)
            }
            (Namer::Providers(f), k) => {
                let p = &f.providers[k as usize - 1];
                (p.id.clone(), p.name.clone())
            }
            (Namer::Periods(f), k) => {
                let p = f.periods[k as usize - 1].clone();
                (p.clone(), p)
            }
        };
        Key { code, label }
    }

    /// The key of a literal, if the field can take it.
    pub fn key_of(&self, lit: &Lit) -> Option<u32> {
        match (&self.namer, lit) {
            (Namer::Codes(c), Lit::Str(s)) => c.value(s).map(u32::from),
            (Namer::Bool, Lit::Bool(b)) => Some(1 + u32::from(*b)),
            (Namer::Bool, Lit::Str(s)) => match s.as_str() {
                "true" => Some(2),
                "false" => Some(1),
                _ => None,
            },
            (Namer::Year(y0), Lit::Num(n)) => {
                let k = *n as i64 - *y0 as i64 + 1;
                (k >= 1 && (k as usize) < self.card).then_some(k as u32)
            }
            (Namer::Year(_), Lit::Str(s)) => s
                .parse::<f64>()
                .ok()
                .and_then(|n| self.key_of(&Lit::Num(n))),
            (Namer::Providers(f), Lit::Str(s)) => f.provider_index(s).map(|i| i as u32 + 1),
            (Namer::Periods(f), Lit::Str(s)) => {
                f.periods.iter().position(|p| p == s).map(|i| i as u32 + 1)
            }
            _ => None,
        }
    }
}

/// Resolves a grouping or filtering field.
pub(crate) fn key_field<'a>(
    facts: &'a Facts,
    ent: &'a EntityFacts,
    name: &str,
    lang: &str,
) -> Result<KeyField<'a>, AnalysisError> {
    let fr = lang == "fr";
    let provider_map = |f: &dyn Fn(&crate::facts::ProviderInfo) -> u16| -> Vec<u16> {
        let per: Vec<u16> = facts.providers.iter().map(f).collect();
        ent.provider.iter().map(|&p| per[p as usize]).collect()
    };
    Ok(match name {
        "year" => {
            let (lo, hi) = ent
                .year
                .iter()
                .filter(|&&y| y > 0)
                .fold((u16::MAX, 0), |(lo, hi), &y| (lo.min(y), hi.max(y)));
            let y0 = if lo == u16::MAX { 2000 } else { lo };
            let card = if lo == u16::MAX {
                1
            } else {
                (hi - lo) as usize + 2
            };
            KeyField {
                header: if fr { "Année" } else { "Year" }.into(),
                keys: Keys::Single(Cow::Owned(
                    ent.year
                        .iter()
                        .map(|&y| if y == 0 { 0 } else { y - y0 + 1 })
                        .collect(),
                )),
                card,
                namer: Namer::Year(y0),
            }
        }
        "provider" => KeyField {
            header: if fr { "Fournisseur" } else { "Provider" }.into(),
            keys: Keys::Single(Cow::Owned(ent.provider.iter().map(|&p| p + 1).collect())),
            card: facts.providers.len() + 1,
            namer: Namer::Providers(facts),
        },
        "provider_type" => KeyField {
            header: if fr {
                "Type de fournisseur"
            } else {
                "Provider type"
            }
            .into(),
            keys: Keys::Single(Cow::Owned(provider_map(&|p| {
                facts.provider_types.value(&p.provider_type).unwrap_or(0)
            }))),
            card: facts.provider_types.len() + 1,
            namer: Namer::Codes(&facts.provider_types),
        },
        "provider_region" => KeyField {
            header: if fr {
                "Région du fournisseur"
            } else {
                "Provider's region"
            }
            .into(),
            keys: Keys::Single(Cow::Owned(provider_map(&|p| {
                p.region
                    .as_deref()
                    .and_then(|r| facts.regions.value(r))
                    .unwrap_or(0)
            }))),
            card: facts.regions.len() + 1,
            namer: Namer::Codes(&facts.regions),
        },
        "period" => KeyField {
            header: if fr { "Période" } else { "Period" }.into(),
            keys: Keys::Single(Cow::Borrowed(&ent.period)),
            card: facts.periods.len() + 1,
            namer: Namer::Periods(facts),
        },
        _ => {
            let col = ent.column(name).ok_or_else(|| {
                AnalysisError::Unknown(format!("variable \"{name}\" of {}", ent.entity))
            })?;
            let header = col.label.get(lang).to_string();
            match (&col.data, col.codes.as_deref()) {
                (ColumnData::Code(v), Some(codes)) => KeyField {
                    header,
                    keys: Keys::Single(Cow::Borrowed(v)),
                    card: codes.len() + 1,
                    namer: Namer::Codes(codes),
                },
                (ColumnData::Codes { offsets, values }, Some(codes)) => KeyField {
                    header,
                    keys: Keys::Multi { offsets, values },
                    card: codes.len() + 1,
                    namer: Namer::Codes(codes),
                },
                (ColumnData::Bool(v), _) => KeyField {
                    header,
                    keys: Keys::Single(Cow::Owned(v.iter().map(|&b| b as u16).collect())),
                    card: 3,
                    namer: Namer::Bool,
                },
                _ => {
                    return Err(AnalysisError::Unknown(format!(
                        "\"{name}\" cannot be grouped by (only codes, booleans, year, provider, provider_type, provider_region, period)"
                    )));
                }
            }
        }
    })
}

/// The numeric values of an integer, date or year field (`MISSING` when absent).
fn numeric_field<'a>(ent: &'a EntityFacts, name: &str) -> Option<(Cow<'a, [i32]>, bool)> {
    if name == "year" {
        return Some((
            Cow::Owned(
                ent.year
                    .iter()
                    .map(|&y| if y == 0 { MISSING } else { y as i32 })
                    .collect(),
            ),
            false,
        ));
    }
    match &ent.column(name)?.data {
        ColumnData::Int(v) => Some((Cow::Borrowed(v), false)),
        ColumnData::Date(v) => Some((Cow::Borrowed(v), true)),
        _ => None,
    }
}

/// Evaluates a filter into a row mask.
pub(crate) fn eval(facts: &Facts, ent: &EntityFacts, e: &Expr) -> Result<Vec<bool>, AnalysisError> {
    let n = ent.len();
    Ok(match e {
        Expr::True => vec![true; n],
        Expr::And(parts) => {
            let mut m = vec![true; n];
            for p in parts {
                let q = eval(facts, ent, p)?;
                m.iter_mut().zip(q).for_each(|(a, b)| *a &= b);
            }
            m
        }
        Expr::Or(parts) => {
            let mut m = vec![false; n];
            for p in parts {
                let q = eval(facts, ent, p)?;
                m.iter_mut().zip(q).for_each(|(a, b)| *a |= b);
            }
            m
        }
        Expr::Not(inner) => eval(facts, ent, inner)?.into_iter().map(|b| !b).collect(),
        Expr::In { field, values } => {
            if let Some((nums, is_date)) = numeric_field(ent, field)
                && field != "year"
            {
                let wanted: Vec<i32> = values
                    .iter()
                    .filter_map(|v| lit_number(v, is_date))
                    .map(|f| f as i32)
                    .collect();
                return Ok(nums.iter().map(|x| wanted.contains(x)).collect());
            }
            let kf = key_field(facts, ent, field, "en")?;
            let mut allowed = vec![false; kf.card];
            for v in values {
                match kf.key_of(v) {
                    Some(k) => allowed[k as usize] = true,
                    None if matches!(kf.namer, Namer::Codes(_) | Namer::Bool) => {
                        return Err(AnalysisError::Expr(format!(
                            "{field} cannot be {v:?}: not one of its codes"
                        )));
                    }
                    None => {}
                }
            }
            match &kf.keys {
                Keys::Single(k) => k.iter().map(|&k| allowed[k as usize]).collect(),
                Keys::Multi { offsets, values } => offsets
                    .windows(2)
                    .map(|w| {
                        values[w[0] as usize..w[1] as usize]
                            .iter()
                            .any(|&k| allowed[k as usize])
                    })
                    .collect(),
            }
        }
        Expr::Cmp { field, op, value } => {
            let (nums, is_date) = numeric_field(ent, field).ok_or_else(|| {
                AnalysisError::Expr(format!(
                    "{field} is not a number, year or date: use = or in"
                ))
            })?;
            let x = lit_number(value, is_date).ok_or_else(|| {
                AnalysisError::Expr(format!("{field} cannot be compared with {value:?}"))
            })?;
            nums.iter()
                .map(|&v| v != MISSING && op.holds(v as f64, x))
                .collect()
        }
        Expr::Known(field) => match field.as_str() {
            "year" => ent.year.iter().map(|&y| y > 0).collect(),
            "provider" | "provider_type" | "provider_region" => vec![true; n],
            "period" => ent.period.iter().map(|&p| p > 0).collect(),
            _ => {
                let pos = ent.column_position(field).ok_or_else(|| {
                    AnalysisError::Unknown(format!("variable \"{field}\" of {}", ent.entity))
                })?;
                match &ent.columns[pos].data {
                    ColumnData::Code(v) => v.iter().map(|&k| k != 0).collect(),
                    ColumnData::Codes { offsets, .. } => {
                        offsets.windows(2).map(|w| w[1] > w[0]).collect()
                    }
                    ColumnData::Bool(v) => v.iter().map(|&b| b != 0).collect(),
                    ColumnData::Int(v) | ColumnData::Date(v) => {
                        v.iter().map(|&x| x != MISSING).collect()
                    }
                    ColumnData::Text if pos < 64 => {
                        ent.present.iter().map(|p| p & (1 << pos) != 0).collect()
                    }
                    ColumnData::Text => vec![false; n],
                }
            }
        },
    })
}

fn lit_number(l: &Lit, is_date: bool) -> Option<f64> {
    match l {
        Lit::Num(n) => Some(*n),
        Lit::Str(s) if is_date => parse_date(s).map(f64::from),
        Lit::Str(s) => s.parse().ok(),
        Lit::Bool(_) => None,
    }
}

/// The rows an aggregate may use: approved, visible under `access`, and matching `filter`.
pub(crate) fn base_mask(
    facts: &Facts,
    ent: &EntityFacts,
    access: &Access,
    filter: &Expr,
) -> Result<Vec<bool>, AnalysisError> {
    let mut m = eval(facts, ent, filter)?;
    let only = facts.access_provider(access);
    for (i, ok) in m.iter_mut().enumerate() {
        *ok = *ok && ent.approved[i] && only.is_none_or(|p| ent.provider[i] == p);
    }
    Ok(m)
}

/// One aggregate: `measure` of the approved records of `entity` visible under `access` and
/// matching `filter`, per combination of `dims` (variables, or `year`, `provider`,
/// `provider_type`, `provider_region`, `period`). A multi-valued variable puts a record in each
/// of its codes' cells (so cells add up to more than the total). Counted as unique persons,
/// each person takes one value per dimension by the rule of [`person_keys`], so the cells of
/// single-valued dimensions add up to the total. Labels are in `lang`.
#[allow(clippy::too_many_arguments)]
pub fn aggregate(
    facts: &Facts,
    entity: &str,
    access: &Access,
    filter: &Expr,
    dims: &[&str],
    measure: Measure,
    unit: Unit,
    lang: &str,
) -> Result<Table, AnalysisError> {
    let ent = facts.entity(entity)?;
    let mask = base_mask(facts, ent, access, filter)?;
    aggregate_masked(facts, ent, &mask, dims, measure, unit, lang)
}

pub(crate) fn aggregate_masked(
    facts: &Facts,
    ent: &EntityFacts,
    mask: &[bool],
    dims: &[&str],
    measure: Measure,
    unit: Unit,
    lang: &str,
) -> Result<Table, AnalysisError> {
    if dims.len() > 4 {
        return Err(AnalysisError::Unknown("more than four dimensions".into()));
    }
    let space_ok =
        |fields: &[KeyField]| fields.iter().map(|f| f.card as u128).product::<u128>() < 1 << 31;
    let fields: Vec<KeyField> = dims
        .iter()
        .map(|d| key_field(facts, ent, d, lang))
        .collect::<Result<_, _>>()?;
    let weights: Option<Cow<[i32]>> = match measure {
        Measure::Count => None,
        Measure::Sum(var) => Some(
            numeric_field(ent, var)
                .map(|(v, _)| v)
                .ok_or_else(|| AnalysisError::Unknown(format!("integer variable \"{var}\"")))?,
        ),
    };
    if !space_ok(&fields) {
        return Err(AnalysisError::Unknown(
            "a table of more than 2^31 cells".into(),
        ));
    }
    let cards: Vec<u64> = fields.iter().map(|f| f.card as u64).collect();
    let space: u64 = cards.iter().product();
    let persons = match (unit, measure) {
        (Unit::Persons(map), Measure::Count) => Some(map),
        _ => None,
    };
    let mut dense: Vec<f64> = if space <= 1 << 22 {
        vec![0.0; space as usize]
    } else {
        Vec::new()
    };
    let mut sparse: FxHashMap<u64, f64> = FxHashMap::default();
    let singles: Vec<(&[u16], u64)> = fields
        .iter()
        .zip(&cards)
        .filter_map(|(f, &c)| match &f.keys {
            Keys::Single(k) => Some((k.as_ref(), c)),
            Keys::Multi { .. } => None,
        })
        .collect();
    let all_single = singles.len() == fields.len();
    let one_multi = match fields.as_slice() {
        [f] => match &f.keys {
            Keys::Multi { offsets, values } => Some((*offsets, *values)),
            Keys::Single(_) => None,
        },
        _ => None,
    };
    if let Some(map) = persons {
        // Unique persons: each person takes one value per dimension (see [`person_keys`]),
        // so a person counts in exactly one cell of a table of single-valued dimensions and
        // the cells add up to the total.
        for keys in person_keys(ent, mask, &fields, map) {
            let mut buf: Vec<u64> = vec![0];
            for ((k, c), f) in keys.iter().zip(&cards).zip(&fields) {
                match (k, &f.keys) {
                    (PersonKey::One(v), _) => buf.iter_mut().for_each(|b| *b = *b * c + *v as u64),
                    (PersonKey::Many(vals), _) => {
                        let mut next = Vec::with_capacity(buf.len() * vals.len().max(1));
                        for &b in &buf {
                            if vals.is_empty() {
                                next.push(b * c);
                            }
                            for &v in vals {
                                next.push(b * c + v as u64);
                            }
                        }
                        buf = next;
                    }
                }
            }
            for key in buf {
                if dense.is_empty() {
                    *sparse.entry(key).or_default() += 1.0;
                } else {
                    dense[key as usize] += 1.0;
                }
            }
        }
    } else if let (Some((offsets, values)), None, false) = (one_multi, &weights, dense.is_empty()) {
        // One multi-valued variable: each code of a record counts once, none → not recorded.
        for (i, m) in mask.iter().enumerate() {
            if *m {
                let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
                if a == b {
                    dense[0] += 1.0;
                }
                for &v in &values[a..b] {
                    dense[v as usize] += 1.0;
                }
            }
        }
    } else if all_single && weights.is_none() && !dense.is_empty() {
        // The common case: counts over single-valued keys, straight into a dense array.
        match singles.as_slice() {
            [] => dense[0] = mask.iter().filter(|m| **m).count() as f64,
            [(k, _)] => {
                for (m, &k) in mask.iter().zip(k.iter()) {
                    if *m {
                        dense[k as usize] += 1.0;
                    }
                }
            }
            _ => {
                for (i, m) in mask.iter().enumerate() {
                    if *m {
                        let mut key = 0u64;
                        for (k, c) in &singles {
                            key = key * c + k[i] as u64;
                        }
                        dense[key as usize] += 1.0;
                    }
                }
            }
        }
    } else {
        let mut buf: Vec<u64> = Vec::with_capacity(16);
        let mut next: Vec<u64> = Vec::with_capacity(16);
        for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
            let w = match &weights {
                None => 1.0,
                Some(v) if v[i] == MISSING => continue,
                Some(v) => v[i] as f64,
            };
            buf.clear();
            buf.push(0);
            for (f, c) in fields.iter().zip(&cards) {
                match &f.keys {
                    Keys::Single(k) => buf.iter_mut().for_each(|b| *b = *b * c + k[i] as u64),
                    Keys::Multi { offsets, values } => {
                        let vals = &values[offsets[i] as usize..offsets[i + 1] as usize];
                        next.clear();
                        for &b in &buf {
                            if vals.is_empty() {
                                next.push(b * c);
                            }
                            for &v in vals {
                                next.push(b * c + v as u64);
                            }
                        }
                        std::mem::swap(&mut buf, &mut next);
                    }
                }
            }
            if !dense.is_empty() {
                for &key in &buf {
                    dense[key as usize] += w;
                }
            } else {
                for &key in &buf {
                    *sparse.entry(key).or_default() += w;
                }
            }
        }
    }
    let mut cells: Vec<(u64, f64)> = if dense.is_empty() {
        sparse.into_iter().collect()
    } else {
        dense
            .into_iter()
            .enumerate()
            .filter(|(_, v)| *v != 0.0)
            .map(|(k, v)| (k as u64, v))
            .collect()
    };
    // Codes in code-list order, "not recorded" last.
    let split = |mut key: u64| -> Vec<u32> {
        let mut parts = vec![0u32; cards.len()];
        for (j, c) in cards.iter().enumerate().rev() {
            parts[j] = (key % c) as u32;
            key /= c;
        }
        parts
    };
    cells.sort_by_key(|(k, _)| {
        split(*k)
            .into_iter()
            .map(|p| if p == 0 { u32::MAX } else { p })
            .collect::<Vec<_>>()
    });
    let rows = cells
        .into_iter()
        .map(|(k, v)| TableRow {
            keys: split(k)
                .into_iter()
                .zip(&fields)
                .map(|(p, f)| f.describe(p, lang))
                .collect(),
            values: vec![Some(v)],
        })
        .collect();
    let value_header = match measure {
        Measure::Count => unit_label(unit, lang).to_string(),
        Measure::Sum(var) => ent
            .column(var)
            .map(|c| c.label.get(lang).to_string())
            .unwrap_or_else(|| var.to_string()),
    };
    Ok(Table {
        id: format!("{}_by_{}", ent.entity, dims.join("_")),
        title: String::new(),
        key_headers: fields.iter().map(|f| f.header.clone()).collect(),
        value_headers: vec![value_header],
        rows,
        unit: unit.name().to_string(),
        suppressed: false,
        drill: Some(crate::Drill {
            entity: ent.entity.clone(),
            dims: dims.iter().map(|d| d.to_string()).collect(),
        }),
    })
}

/// One person's value of one dimension of a table.
enum PersonKey {
    One(u32),
    /// The codes of a multi-valued variable over the person's records (none: not recorded).
    Many(Vec<u16>),
}

/// The rank of a record when a person's values are chosen: earlier event year first (records
/// without one last), then the lower record id.
fn person_rank(ent: &EntityFacts, i: usize) -> u64 {
    let y = match ent.year[i] {
        0 => u16::MAX,
        y => y,
    };
    ((y as u64) << 47) | (ent.record_id[i].max(0) as u64 & ((1 << 47) - 1))
}

/// The values each person counted under `mask` takes on `fields`, one entry per person.
///
/// **The rule**: a person counts once, with, for each single-valued dimension, the value of
/// their earliest record (by event year, then record id) among those counted that records
/// one — "not recorded" only when none does; the year is therefore the year of the person's
/// first record. A multi-valued variable (forms of exploitation, citizenships, vulnerabilities)
/// takes every code any of those records gives. So a table of single-valued dimensions puts
/// each person in exactly one cell: its cells add up to the persons' total, and a two-way
/// table's margins are its one-way tables (year × sex against year and sex).
fn person_keys(
    ent: &EntityFacts,
    mask: &[bool],
    fields: &[KeyField],
    map: &PersonMap,
) -> Vec<Vec<PersonKey>> {
    let people = map.dense_for(ent);
    let (ix, n) = (&people.0, people.1 as usize);
    let mut slot = vec![u32::MAX; n];
    let mut order: Vec<u32> = Vec::new();
    // Per counted person and single-valued dimension: (rank, value) of the chosen record.
    let mut single: Vec<Vec<(u64, u32)>> = vec![Vec::new(); fields.len()];
    let mut multi: Vec<Vec<Vec<u16>>> = vec![Vec::new(); fields.len()];
    for (i, m) in mask.iter().enumerate() {
        if !*m {
            continue;
        }
        let p = ix[i] as usize;
        if slot[p] == u32::MAX {
            slot[p] = order.len() as u32;
            order.push(p as u32);
            for (j, f) in fields.iter().enumerate() {
                match f.keys {
                    Keys::Single(_) => single[j].push((u64::MAX, 0)),
                    Keys::Multi { .. } => multi[j].push(Vec::new()),
                }
            }
        }
        let s = slot[p] as usize;
        let rank = person_rank(ent, i);
        for (j, f) in fields.iter().enumerate() {
            match &f.keys {
                Keys::Single(k) => {
                    let v = k[i] as u32;
                    let cur = &mut single[j][s];
                    // A recorded value beats "not recorded"; between two, the earlier record.
                    let better = match (v != 0, cur.1 != 0) {
                        (true, false) => true,
                        (false, true) => false,
                        _ => rank < cur.0,
                    };
                    if better {
                        *cur = (rank, v);
                    }
                }
                Keys::Multi { offsets, values } => {
                    let set = &mut multi[j][s];
                    for &v in &values[offsets[i] as usize..offsets[i + 1] as usize] {
                        if !set.contains(&v) {
                            set.push(v);
                        }
                    }
                }
            }
        }
    }
    (0..order.len())
        .map(|s| {
            fields
                .iter()
                .enumerate()
                .map(|(j, f)| match f.keys {
                    Keys::Single(_) => PersonKey::One(single[j][s].1),
                    Keys::Multi { .. } => PersonKey::Many(std::mem::take(&mut multi[j][s])),
                })
                .collect()
        })
        .collect()
}

pub(crate) fn unit_label(unit: Unit, lang: &str) -> &'static str {
    match (unit, lang == "fr") {
        (Unit::Records, false) => "Records",
        (Unit::Records, true) => "Enregistrements",
        (Unit::Persons(_), false) => "Persons",
        (Unit::Persons(_), true) => "Personnes",
    }
}

/// Count of the masked rows (records or persons).
pub(crate) fn count_masked(ent: &EntityFacts, mask: &[bool], unit: Unit) -> f64 {
    match unit {
        Unit::Records => mask.iter().filter(|m| **m).count() as f64,
        Unit::Persons(map) => {
            let people = map.dense_for(ent);
            let mut seen = vec![false; people.1 as usize];
            let mut n = 0usize;
            for (m, &p) in mask.iter().zip(&people.0) {
                if *m && !seen[p as usize] {
                    seen[p as usize] = true;
                    n += 1;
                }
            }
            n as f64
        }
    }
}

/// Median of the differences `later - earlier` in days over the masked rows with both dates, and
/// how many rows it was taken over.
pub(crate) fn median_days(
    ent: &EntityFacts,
    mask: &[bool],
    earlier: &str,
    later: &str,
) -> (Option<f64>, usize) {
    let (a, b) = match (
        ent.column(earlier).map(|c| &c.data),
        ent.column(later).map(|c| &c.data),
    ) {
        (Some(ColumnData::Date(a)), Some(ColumnData::Date(b))) => (a, b),
        _ => return (None, 0),
    };
    let mut d: Vec<i32> = mask
        .iter()
        .enumerate()
        .filter(|(i, m)| **m && a[*i] != MISSING && b[*i] != MISSING)
        .map(|(i, _)| b[i] - a[i])
        .collect();
    (median(&mut d), d.len())
}

pub(crate) fn median(d: &mut [i32]) -> Option<f64> {
    if d.is_empty() {
        return None;
    }
    let mid = d.len() / 2;
    let (_, m, _) = d.select_nth_unstable(mid);
    let m = *m as f64;
    if d.len() % 2 == 1 {
        Some(m)
    } else {
        let lower = *d[..mid].iter().max().unwrap_or(&0) as f64;
        Some((lower + m) / 2.0)
    }
}

/// Record ids behind a cell (drill-down), for a caller with case-level access: a provider-bound
/// access only ever gets its own records. At most `limit` ids, in id order.
pub fn drill_down(
    facts: &Facts,
    entity: &str,
    access: &Access,
    filter: &Expr,
    limit: usize,
) -> Result<Vec<i64>, AnalysisError> {
    let ent = facts.entity(entity)?;
    let mask = base_mask(facts, ent, access, filter)?;
    Ok(mask
        .iter()
        .enumerate()
        .filter(|(_, m)| **m)
        .map(|(i, _)| ent.record_id[i])
        .take(limit)
        .collect())
}
