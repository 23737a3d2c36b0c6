//! National Action Plan monitoring: indicators under the 4 Ps (prevention, protection,
//! prosecution, partnership) defined in configuration — baseline, yearly targets and a formula
//! over the data — computed as progress against target.
//!
//! ```toml
//! [plan]
//! id = "cf-pan-2022-2025"
//! title = { en = "National Action Plan against trafficking", fr = "Plan d'action national…" }
//!
//! [[indicator]]
//! id = "PROT-2"
//! pillar = "protection"
//! title = { en = "Victims assisted within 30 days", fr = "Victimes assistées sous 30 jours" }
//! entity = "victim"
//! measure = "share"                      # count | share | sum | median | on_time_share | providers_reporting
//! where = "days_to_assistance <= 30"     # the filter language of `expr`
//! of = "provider_type in [\"NGO\", \"SOCIAL\", \"INTL\"]"   # denominator of a share
//! direction = "increase"
//! baseline = { year = 2021, value = 60.0 }
//! targets = { 2022 = 65.0, 2023 = 70.0 }
//! ```
//!
//! A formula is never code: a measure from a fixed list, and filters in the expression language
//! (comparisons, `in`, `is known`, `and`/`or`/`not`), checked against the dictionary at load.

use std::collections::BTreeMap;

use tessera_dictionary::{Dictionary, Labels};
use tessera_store::{Access, SubmissionStatus, Timeliness};

use crate::AnalysisError;
use crate::expr::{CmpOp, Expr, Lit};
use crate::facts::{ColumnData, Facts, MISSING};
use crate::query::{base_mask, median};
use crate::table::{Key, Table, TableRow};

/// The four Ps.
pub const PILLARS: [(&str, &str, &str); 4] = [
    ("prevention", "Prevention", "Prévention"),
    ("protection", "Protection", "Protection"),
    ("prosecution", "Prosecution", "Poursuites"),
    ("partnership", "Partnership", "Partenariat"),
];

/// Fields every entity has besides its variables.
const PSEUDO_FIELDS: [&str; 5] = [
    "year",
    "provider",
    "provider_type",
    "provider_region",
    "period",
];
/// Columns the analysis layer derives (see `facts`).
const DERIVED_FIELDS: [&str; 3] = ["child", "offence_group", "days_to_assistance"];

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    plan: PlanHead,
    #[serde(default)]
    indicator: Vec<IndicatorDef>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanHead {
    pub id: String,
    pub title: Labels,
}

/// A measure an indicator can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Records matching `where`.
    Count,
    /// Records matching `where` among those matching `of`, in %.
    Share,
    /// Sum of `field` over records matching `where`.
    Sum,
    /// Median of `field` over records matching `where`.
    Median,
    /// Provider-periods of the year submitted by the due date, in % of those expected.
    OnTimeShare,
    /// Providers with an approved submission for the year.
    ProvidersReporting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Increase,
    Decrease,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub year: i32,
    /// When absent, the value the data gives for `year`.
    pub value: Option<f64>,
}

/// One indicator as configured.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub id: String,
    pub pillar: String,
    pub title: Labels,
    #[serde(default)]
    pub entity: Option<String>,
    pub measure: MeasureKind,
    #[serde(rename = "where", default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub unit: Option<String>,
    pub baseline: Baseline,
    #[serde(default)]
    pub targets: BTreeMap<String, f64>,
}

/// A plan: checked indicators with their parsed formulas.
#[derive(Debug, Clone)]
pub struct NapPlan {
    pub head: PlanHead,
    pub indicators: Vec<(IndicatorDef, Expr, Expr, BTreeMap<i32, f64>)>,
}

impl NapPlan {
    /// Reads and checks a plan: pillars, entities, fields and formulas against the dictionary.
    /// Every refusal names the indicator.
    pub fn from_toml(text: &str, dict: &Dictionary) -> Result<NapPlan, AnalysisError> {
        let file: PlanFile =
            toml::from_str(text).map_err(|e| AnalysisError::Config(e.to_string()))?;
        let mut indicators = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for def in file.indicator {
            let bad = |m: String| AnalysisError::Config(format!("indicator {}: {m}", def.id));
            if !seen.insert(def.id.clone()) {
                return Err(bad("defined twice".into()));
            }
            if !PILLARS.iter().any(|p| p.0 == def.pillar) {
                return Err(bad(format!(
                    "pillar \"{}\" is not one of prevention, protection, prosecution, partnership",
                    def.pillar
                )));
            }
            let parse = |src: &Option<String>| -> Result<Expr, AnalysisError> {
                match src.as_deref() {
                    None => Ok(Expr::True),
                    Some(s) => Expr::parse(s).map_err(|e| bad(e.to_string())),
                }
            };
            let (filter, of) = (parse(&def.filter)?, parse(&def.of)?);
            let needs_entity = !matches!(
                def.measure,
                MeasureKind::OnTimeShare | MeasureKind::ProvidersReporting
            );
            if needs_entity {
                let entity = def
                    .entity
                    .as_deref()
                    .ok_or_else(|| bad("needs an entity".into()))?;
                let ent = dict
                    .entity(entity)
                    .ok_or_else(|| bad(format!("unknown entity \"{entity}\"")))?;
                let known = |f: &str| {
                    PSEUDO_FIELDS.contains(&f)
                        || DERIVED_FIELDS.contains(&f)
                        || ent.stored_variables().any(|v| v.code == f)
                };
                for f in fields(&filter).into_iter().chain(fields(&of)) {
                    if !known(&f) {
                        return Err(bad(format!("{entity} has no field \"{f}\"")));
                    }
                }
                if matches!(def.measure, MeasureKind::Sum | MeasureKind::Median) {
                    let f = def
                        .field
                        .as_deref()
                        .ok_or_else(|| bad("a sum or median needs a field".into()))?;
                    if !known(f) {
                        return Err(bad(format!("{entity} has no field \"{f}\"")));
                    }
                }
            }
            let mut targets = BTreeMap::new();
            for (y, v) in &def.targets {
                let year: i32 = y
                    .parse()
                    .map_err(|_| bad(format!("target year \"{y}\" is not a year")))?;
                targets.insert(year, *v);
            }
            indicators.push((def, filter, of, targets));
        }
        Ok(NapPlan {
            head: file.plan,
            indicators,
        })
    }
}

fn fields(e: &Expr) -> Vec<String> {
    match e {
        Expr::True => Vec::new(),
        Expr::And(v) | Expr::Or(v) => v.iter().flat_map(fields).collect(),
        Expr::Not(x) => fields(x),
        Expr::In { field, .. } | Expr::Cmp { field, .. } | Expr::Known(field) => {
            vec![field.clone()]
        }
    }
}

/// How an indicator stands in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target is met.
    Achieved,
    /// At least three quarters of the way from baseline to target.
    OnTrack,
    OffTrack,
    NoTarget,
    NoData,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct YearValue {
    pub year: i32,
    pub value: Option<f64>,
    pub target: Option<f64>,
    /// (value − baseline) / (target − baseline), in %.
    pub progress: Option<f64>,
    pub status: Status,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IndicatorResult {
    pub id: String,
    pub pillar: String,
    pub title: String,
    pub unit: String,
    pub direction: Direction,
    pub baseline_year: i32,
    pub baseline: Option<f64>,
    pub years: Vec<YearValue>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PillarResult {
    pub pillar: String,
    pub label: String,
    pub indicators: Vec<IndicatorResult>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NapReport {
    pub plan_id: String,
    pub title: String,
    pub pillars: Vec<PillarResult>,
    /// Indicator × year: value, target, progress %.
    pub table: Table,
}

/// Every indicator of `plan` for every year from its baseline to its last target.
pub fn nap_progress(
    facts: &Facts,
    plan: &NapPlan,
    access: &Access,
    timeliness: &[Timeliness],
    lang: &str,
) -> Result<NapReport, AnalysisError> {
    let mut pillars: Vec<PillarResult> = PILLARS
        .iter()
        .map(|(id, en, fr)| PillarResult {
            pillar: id.to_string(),
            label: if lang == "fr" { fr } else { en }.to_string(),
            indicators: Vec::new(),
        })
        .collect();
    let mut rows = Vec::new();
    for (def, filter, of, targets) in &plan.indicators {
        let last = targets.keys().last().copied().unwrap_or(def.baseline.year);
        let value_in = |year: i32| -> Result<Option<f64>, AnalysisError> {
            indicator_value(facts, def, filter, of, access, timeliness, year)
                .map_err(|e| AnalysisError::Config(format!("indicator {}: {e}", def.id)))
        };
        let baseline = match def.baseline.value {
            Some(v) => Some(v),
            None => value_in(def.baseline.year)?,
        };
        let mut years = Vec::new();
        for year in def.baseline.year..=last.max(def.baseline.year) {
            let value = value_in(year)?;
            let target = targets.get(&year).copied();
            let progress = match (value, target, baseline) {
                (Some(v), Some(t), Some(b)) if t != b => Some(round1(100.0 * (v - b) / (t - b))),
                _ => None,
            };
            let met = |v: f64, t: f64| match def.direction {
                Direction::Increase => v >= t,
                Direction::Decrease => v <= t,
            };
            let status = match (value, target) {
                (None, _) => Status::NoData,
                (Some(_), None) => Status::NoTarget,
                (Some(v), Some(t)) if met(v, t) => Status::Achieved,
                _ if progress.is_some_and(|p| p >= 75.0) => Status::OnTrack,
                _ => Status::OffTrack,
            };
            let title = def.title.get(lang).to_string();
            rows.push(TableRow {
                keys: vec![
                    Key::new(&def.id, &title),
                    Key::new(&year.to_string(), &year.to_string()),
                ],
                values: vec![value.map(round1), target, progress],
            });
            years.push(YearValue {
                year,
                value: value.map(round1),
                target,
                progress,
                status,
            });
        }
        let result = IndicatorResult {
            id: def.id.clone(),
            pillar: def.pillar.clone(),
            title: def.title.get(lang).to_string(),
            unit: def.unit.clone().unwrap_or_else(|| match def.measure {
                MeasureKind::Share | MeasureKind::OnTimeShare => "%".into(),
                MeasureKind::Median => if lang == "fr" { "jours" } else { "days" }.into(),
                _ => String::new(),
            }),
            direction: def.direction,
            baseline_year: def.baseline.year,
            baseline: baseline.map(round1),
            years,
        };
        if let Some(p) = pillars.iter_mut().find(|p| p.pillar == def.pillar) {
            p.indicators.push(result);
        }
    }
    let fr = lang == "fr";
    let t = |en: &str, f: &str| if fr { f.to_string() } else { en.to_string() };
    Ok(NapReport {
        plan_id: plan.head.id.clone(),
        title: plan.head.title.get(lang).to_string(),
        pillars,
        table: Table {
            id: "nap_progress".into(),
            title: plan.head.title.get(lang).to_string(),
            key_headers: vec![t("Indicator", "Indicateur"), t("Year", "Année")],
            value_headers: vec![
                t("Value", "Valeur"),
                t("Target", "Cible"),
                t("Progress to target (%)", "Progression vers la cible (%)"),
            ],
            rows,
            unit: "records".into(),
            suppressed: false,
            drill: None,
        },
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The value of one indicator in one year.
pub fn indicator_value(
    facts: &Facts,
    def: &IndicatorDef,
    filter: &Expr,
    of: &Expr,
    access: &Access,
    timeliness: &[Timeliness],
    year: i32,
) -> Result<Option<f64>, AnalysisError> {
    let y = year.to_string();
    match def.measure {
        MeasureKind::OnTimeShare => {
            let rows: Vec<&Timeliness> = timeliness.iter().filter(|t| t.period_id == y).collect();
            let on_time = rows
                .iter()
                .filter(|t| t.days_late.is_some_and(|d| d <= 0))
                .count();
            return Ok((!rows.is_empty()).then(|| 100.0 * on_time as f64 / rows.len() as f64));
        }
        MeasureKind::ProvidersReporting => {
            let rows: Vec<&Timeliness> = timeliness.iter().filter(|t| t.period_id == y).collect();
            let n = rows
                .iter()
                .filter(|t| t.status == Some(SubmissionStatus::Approved))
                .count();
            return Ok((!rows.is_empty()).then_some(n as f64));
        }
        _ => {}
    }
    let entity = def.entity.as_deref().unwrap_or("victim");
    let ent = facts.entity(entity)?;
    let in_year = Expr::Cmp {
        field: "year".into(),
        op: CmpOp::Eq,
        value: Lit::Num(year as f64),
    };
    let num = base_mask(facts, ent, access, &in_year.clone().and(filter.clone()))?;
    Ok(match def.measure {
        MeasureKind::Count => {
            let n = num.iter().filter(|m| **m).count();
            (n > 0).then_some(n as f64)
        }
        MeasureKind::Share => {
            let den = base_mask(facts, ent, access, &in_year.and(of.clone()))?;
            let d = den.iter().filter(|m| **m).count();
            let n = num.iter().zip(&den).filter(|(a, b)| **a && **b).count();
            (d > 0).then(|| 100.0 * n as f64 / d as f64)
        }
        MeasureKind::Sum | MeasureKind::Median => {
            let field = def.field.as_deref().unwrap_or_default();
            let vals: Vec<i32> = match ent.column(field).map(|c| &c.data) {
                Some(ColumnData::Int(v)) => v
                    .iter()
                    .zip(&num)
                    .filter(|(x, m)| **m && **x != MISSING)
                    .map(|(x, _)| *x)
                    .collect(),
                _ => {
                    return Err(AnalysisError::Unknown(format!(
                        "integer variable \"{field}\" of {entity}"
                    )));
                }
            };
            if vals.is_empty() {
                None
            } else if def.measure == MeasureKind::Sum {
                Some(vals.iter().map(|&v| v as f64).sum())
            } else {
                median(&mut vals.clone())
            }
        }
        MeasureKind::OnTimeShare | MeasureKind::ProvidersReporting => None,
    })
}
