//! Data quality per provider and period: completeness of every variable, validity under the
//! current dictionary, timeliness (due vs submitted), the share of records linked to another
//! provider's, and their trend — so the coordinator knows whom to train.
//!
//! Quality looks at everything providers sent (approved or not), since the point is to catch
//! problems before approval.

use rustc_hash::FxHashMap;
use tessera_store::{Access, Timeliness};

use crate::AnalysisError;
use crate::facts::Facts;
use crate::query::PersonMap;
use crate::table::{Key, Table, TableRow};

/// Entities whose records are persons (linkage applies to them).
pub const PERSON_ENTITIES: [&str; 3] = ["victim", "suspect", "smuggled_migrant"];

/// One provider in one period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderQuality {
    pub provider_id: String,
    pub provider_name: String,
    pub period: String,
    pub records: u64,
    /// Filled-in values over expected values, all variables of the entities sent (%).
    pub completeness: Option<f64>,
    /// Records whose every value is valid under the current dictionary (%).
    pub validity: Option<f64>,
    /// Status of the latest submission for the period.
    pub status: Option<String>,
    /// Days after the due date it was submitted (negative: early); `None` if not submitted.
    pub days_late: Option<i64>,
    /// Person records that linkage matched to another provider's (%); `None` without linkage.
    pub linked_share: Option<f64>,
}

/// The data-quality report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QualityReport {
    /// One entry per provider and period, by provider then period.
    pub providers: Vec<ProviderQuality>,
    /// Provider × variable (`entity.variable`) over all periods: completeness % and validity %.
    pub variables: Table,
    /// Period × provider: completeness %, validity %, days late, linked % (the trend).
    pub trend: Table,
}

#[derive(Default, Clone)]
struct Acc {
    records: u64,
    expected: u64,
    present: u64,
    valid_records: u64,
    person_records: u64,
    linked: u64,
}

/// The data-quality report for the providers `access` may see.
pub fn quality(
    facts: &Facts,
    access: &Access,
    timeliness: &[Timeliness],
    persons: Option<&PersonMap>,
    lang: &str,
) -> Result<QualityReport, AnalysisError> {
    let only = facts.access_provider(access);
    // Whether a record was also reported by another provider is a fact about the other
    // providers' records: national staff see it, a provider's own users never do.
    let persons = persons.filter(|_| only.is_none());
    let np = facts.providers.len();
    let nper = facts.periods.len() + 1;
    let mut acc = vec![Acc::default(); np * nper];
    // (provider, entity, column) → (records, present, valid)
    let mut per_var: FxHashMap<(u16, String, String), (u64, u64, u64)> = FxHashMap::default();
    // person → providers that reported them (bit per provider; beyond 64 providers, a set).
    let mut person_providers: FxHashMap<u64, FxHashMap<u16, ()>> = FxHashMap::default();
    if let Some(map) = persons {
        for e in PERSON_ENTITIES {
            let Ok(ent) = facts.entity(e) else { continue };
            for (i, &p) in ent.provider.iter().enumerate() {
                person_providers
                    .entry(map.person(ent.record_id[i]))
                    .or_default()
                    .insert(p, ());
            }
        }
    }
    for (name, ent) in &facts.entities {
        // Variables a provider is expected to fill: all but the derived and the reference.
        let cols: Vec<usize> = ent
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| *i < 64 && !c.derived && c.code != "provider_ref")
            .map(|(i, _)| i)
            .collect();
        let mut var_counts: Vec<FxHashMap<u16, (u64, u64, u64)>> =
            vec![FxHashMap::default(); cols.len()];
        let is_person = PERSON_ENTITIES.contains(&name.as_str());
        for i in 0..ent.len() {
            let p = ent.provider[i];
            if only.is_some_and(|o| o != p) {
                continue;
            }
            let a = &mut acc[p as usize * nper + ent.period[i] as usize];
            a.records += 1;
            a.expected += cols.len() as u64;
            let (pres, inv) = (ent.present[i], ent.invalid[i]);
            for (j, &c) in cols.iter().enumerate() {
                let bit = 1u64 << c;
                let present = pres & bit != 0;
                a.present += present as u64;
                let e = var_counts[j].entry(p).or_default();
                e.0 += 1;
                e.1 += present as u64;
                e.2 += (inv & bit == 0) as u64;
            }
            a.valid_records += (inv == 0) as u64;
            if is_person && let Some(map) = persons {
                a.person_records += 1;
                if person_providers
                    .get(&map.person(ent.record_id[i]))
                    .is_some_and(|s| s.keys().any(|&q| q != p))
                {
                    a.linked += 1;
                }
            }
        }
        for (j, &c) in cols.iter().enumerate() {
            for (&p, &v) in &var_counts[j] {
                per_var.insert((p, name.clone(), ent.columns[c].code.clone()), v);
            }
        }
    }
    let pct = |a: u64, b: u64| (b > 0).then(|| ((1000.0 * a as f64 / b as f64).round()) / 10.0);
    let mut providers = Vec::new();
    let mut trend_rows = Vec::new();
    for (pi, prov) in facts.providers.iter().enumerate() {
        if only.is_some_and(|o| o as usize != pi) {
            continue;
        }
        for per in 0..nper {
            let a = &acc[pi * nper + per];
            let period = if per == 0 {
                String::new()
            } else {
                facts.periods[per - 1].clone()
            };
            let t = timeliness
                .iter()
                .find(|t| t.provider_id == prov.id && t.period_id == period);
            if a.records == 0 && t.is_none_or(|t| t.status.is_none()) {
                continue;
            }
            let q = ProviderQuality {
                provider_id: prov.id.clone(),
                provider_name: prov.name.clone(),
                period: period.clone(),
                records: a.records,
                completeness: pct(a.present, a.expected),
                validity: pct(a.valid_records, a.records),
                status: t.and_then(|t| t.status).map(|s| s.as_str().to_string()),
                days_late: t.and_then(|t| t.days_late),
                linked_share: persons.and_then(|_| pct(a.linked, a.person_records)),
            };
            trend_rows.push(TableRow {
                keys: vec![Key::new(&period, &period), Key::new(&prov.id, &prov.name)],
                values: vec![
                    q.completeness,
                    q.validity,
                    q.days_late.map(|d| d as f64),
                    q.linked_share,
                ],
            });
            providers.push(q);
        }
    }
    trend_rows.sort_by(|a, b| a.keys[0].code.cmp(&b.keys[0].code));
    if persons.is_none() {
        for r in &mut trend_rows {
            r.values.pop();
        }
    }
    let mut var_rows: Vec<TableRow> = per_var
        .into_iter()
        .map(|((p, entity, var), (n, present, valid))| {
            let prov = &facts.providers[p as usize];
            let label = facts
                .entities
                .get(&entity)
                .and_then(|e| e.column(&var))
                .map(|c| c.label.get(lang).to_string())
                .unwrap_or_else(|| var.clone());
            TableRow {
                keys: vec![
                    Key::new(&prov.id, &prov.name),
                    Key::new(&format!("{entity}.{var}"), &label),
                ],
                values: vec![pct(present, n), pct(valid, n)],
            }
        })
        .collect();
    var_rows.sort_by(|a, b| {
        (a.keys[0].label.as_str(), a.keys[1].code.as_str())
            .cmp(&(b.keys[0].label.as_str(), b.keys[1].code.as_str()))
    });
    let fr = lang == "fr";
    let t = |en: &str, f: &str| if fr { f.to_string() } else { en.to_string() };
    Ok(QualityReport {
        providers,
        variables: Table {
            id: "quality_variables".into(),
            title: t(
                "Completeness and validity by variable",
                "Complétude et validité par variable",
            ),
            key_headers: vec![t("Provider", "Fournisseur"), t("Variable", "Variable")],
            value_headers: vec![
                t("Completeness (%)", "Complétude (%)"),
                t("Validity (%)", "Validité (%)"),
            ],
            rows: var_rows,
            unit: "records".into(),
            suppressed: false,
            drill: None,
        },
        trend: Table {
            id: "quality_trend".into(),
            title: t("Data quality by period", "Qualité des données par période"),
            key_headers: vec![t("Period", "Période"), t("Provider", "Fournisseur")],
            value_headers: [
                t("Completeness (%)", "Complétude (%)"),
                t("Validity (%)", "Validité (%)"),
                t("Days late", "Jours de retard"),
            ]
            .into_iter()
            .chain(persons.map(|_| {
                t(
                    "Linked to another provider (%)",
                    "Reliés à un autre fournisseur (%)",
                )
            }))
            .collect(),
            rows: trend_rows,
            unit: "records".into(),
            suppressed: false,
            drill: None,
        },
    })
}
