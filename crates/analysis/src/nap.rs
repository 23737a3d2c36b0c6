//! National Action Plan monitoring: indicators under the 4 Ps (prevention, protection,
//! prosecution, partnership) defined in configuration — baseline, yearly targets and a formula
//! over the data — computed as progress against target, with a status per year and per
//! indicator: achieved, on track, off track (see [`assess`]).
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
//! measure = "share"                      # count | share | sum | median | on_time_share | providers_reporting | entered
//! where = "days_to_assistance <= 30"     # the filter language of `expr`
//! of = "provider_type in [\"NGO\", \"SOCIAL\", \"INTL\"]"   # denominator of a share
//! direction = "increase"
//! baseline = { year = 2021, value = 60.0 }
//! targets = { 2022 = 65.0, 2023 = 70.0 }
//! ```
//!
//! A formula is never code: a measure from a fixed list, and filters in the expression language
//! (comparisons, `in`, `is known`, `and`/`or`/`not`), checked against the dictionary at load.
//!
//! One format for every writer: `tessera nap load` stores the file's text, and a change made on
//! the web page ([`edit_targets`]) reads that text, changes one indicator's baseline and targets
//! and writes the whole plan back with `toml::to_string` — every field kept (comments are not),
//! and checked by [`NapPlan::from_toml`] before it is stored.

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

/// A plan file as written: what [`NapPlan::from_toml`] reads and [`edit_targets`] writes back.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
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
    /// A figure entered by hand from activity records (trainings held, awareness sessions, MoUs
    /// signed, budget spent): the prevention and partnership pillars rarely live in case data.
    Entered,
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
    /// When absent, the value the data gives for `year` (for `measure = "entered"`, the figure
    /// entered for that year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// One indicator as configured.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub id: String,
    pub pillar: String,
    pub title: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    pub measure: MeasureKind,
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Figures entered by hand, per indicator and year (for `measure = "entered"`).
    pub entered: BTreeMap<String, BTreeMap<i32, f64>>,
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
                MeasureKind::OnTimeShare | MeasureKind::ProvidersReporting | MeasureKind::Entered
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
            let targets = check_figures(&def).map_err(bad)?;
            indicators.push((def, filter, of, targets));
        }
        Ok(NapPlan {
            head: file.plan,
            indicators,
            entered: BTreeMap::new(),
        })
    }

    /// The plan with the figures entered by hand (indicator, year, value), as the store keeps
    /// them. A figure for an indicator the plan does not have, or whose values come from the
    /// data, is refused.
    pub fn with_entered(
        mut self,
        values: impl IntoIterator<Item = (String, i32, f64)>,
    ) -> Result<NapPlan, AnalysisError> {
        for (id, year, value) in values {
            self.check_entered(&id)?;
            self.entered.entry(id).or_default().insert(year, value);
        }
        Ok(self)
    }

    /// Refuses a hand-entered figure for an indicator that is not of `measure = "entered"`.
    pub fn check_entered(&self, id: &str) -> Result<(), AnalysisError> {
        match self.indicator(id)? {
            d if d.measure == MeasureKind::Entered => Ok(()),
            _ => Err(AnalysisError::Plan(format!(
                "indicator {id} is computed from the data; only indicators with measure = \"entered\" take figures by hand"
            ))),
        }
    }

    /// Refuses a hand-entered figure of `id` for `year` unless the indicator takes figures by
    /// hand ([`NapPlan::check_entered`]) and the year is one it is followed in: from its baseline
    /// year to [`LAST_YEAR`].
    pub fn check_figure(&self, id: &str, year: i32) -> Result<(), AnalysisError> {
        self.check_entered(id)?;
        let base = self.indicator(id)?.baseline.year;
        if year < base || year > LAST_YEAR {
            return Err(AnalysisError::Plan(format!(
                "indicator {id} is followed from its baseline year {base}: a figure for {year} has no place in the plan"
            )));
        }
        Ok(())
    }

    /// The indicator `id` as configured.
    pub fn indicator(&self, id: &str) -> Result<&IndicatorDef, AnalysisError> {
        self.indicators
            .iter()
            .map(|(d, ..)| d)
            .find(|d| d.id == id)
            .ok_or_else(|| no_indicator(id))
    }
}

fn no_indicator(id: &str) -> AnalysisError {
    AnalysisError::Plan(format!("the action plan has no indicator {id}"))
}

/// The years a plan may name, as the dictionary's `Year` allows them.
pub const FIRST_YEAR: i32 = 1900;
/// See [`FIRST_YEAR`].
pub const LAST_YEAR: i32 = 2100;

/// The years and figures of an indicator: the baseline year and every target year within
/// [`FIRST_YEAR`]..=[`LAST_YEAR`], no target before the baseline year, every figure a finite
/// number. Returns the targets by year.
fn check_figures(def: &IndicatorDef) -> Result<BTreeMap<i32, f64>, String> {
    let base = def.baseline.year;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&base) {
        return Err(format!(
            "baseline year {base} is not between {FIRST_YEAR} and {LAST_YEAR}"
        ));
    }
    if def.baseline.value.is_some_and(|v| !v.is_finite()) {
        return Err("the baseline value is not a number".into());
    }
    let mut targets = BTreeMap::new();
    for (y, v) in &def.targets {
        let year: i32 = y
            .trim()
            .parse()
            .ok()
            .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
            .ok_or_else(|| format!("target year \"{y}\" is not a year"))?;
        if year < base {
            return Err(format!(
                "the target for {year} is before the baseline year {base}"
            ));
        }
        if !v.is_finite() {
            return Err(format!("the target for {year} is not a number"));
        }
        if targets.insert(year, *v).is_some() {
            return Err(format!("the target for {year} is given twice"));
        }
    }
    Ok(targets)
}

/// A year typed into a form or a command line.
pub fn parse_year(text: &str) -> Result<i32, AnalysisError> {
    let t = text.trim();
    t.parse()
        .ok()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
        .ok_or_else(|| {
            AnalysisError::Plan(if t.is_empty() {
                "a year is missing".to_string()
            } else {
                format!("\"{t}\" is not a year between {FIRST_YEAR} and {LAST_YEAR}")
            })
        })
}

/// A figure typed into a form or a command line (a baseline, a target, a value entered by
/// hand): `None` when blank; refused unless a finite number (`12`, `12.5`, `-3`).
pub fn parse_figure(text: &str) -> Result<Option<f64>, AnalysisError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        // "inf" and "NaN" parse as floats; they are no figure.
        Ok(v) if v.is_finite() && t.bytes().any(|b| b.is_ascii_digit()) => Ok(Some(v)),
        _ => Err(AnalysisError::Plan(format!("\"{t}\" is not a number"))),
    }
}

/// Targets as a form's rows give them, (year, value) as typed: a row with neither is skipped,
/// a row with a year and no value removes that year (it is not kept), a value without a year
/// is refused.
pub fn targets_from_rows<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(i32, f64)>, AnalysisError> {
    let mut out = Vec::new();
    for (year, value) in rows {
        let Some(v) = parse_figure(value)? else {
            // Blank value: the year is not kept (removed, or an unused row).
            if !year.trim().is_empty() {
                parse_year(year)?;
            }
            continue;
        };
        if year.trim().is_empty() {
            return Err(AnalysisError::Plan(format!(
                "the target {} has no year",
                value.trim()
            )));
        }
        out.push((parse_year(year)?, v));
    }
    Ok(out)
}

/// The plan `text` with indicator `indicator`'s baseline and targets replaced, as TOML to store
/// in place of `text`: the whole plan is read, the one indicator changed, and the plan written
/// back with every other field and indicator as it was (comments are not kept), then read again
/// by [`NapPlan::from_toml`] so nothing unreadable is returned.
///
/// Refused in one sentence naming the indicator: an indicator the plan does not have, a year
/// outside 1900–2100, a target before the baseline year, a year given twice, a figure that is
/// not a finite number.
pub fn edit_targets(
    text: &str,
    dict: &Dictionary,
    indicator: &str,
    baseline: Baseline,
    targets: &[(i32, f64)],
) -> Result<String, AnalysisError> {
    // The stored plan must itself be valid: a change never hides an older fault.
    NapPlan::from_toml(text, dict)?;
    let mut file: PlanFile =
        toml::from_str(text).map_err(|e| AnalysisError::Config(e.to_string()))?;
    let def = file
        .indicator
        .iter_mut()
        .find(|d| d.id == indicator)
        .ok_or_else(|| no_indicator(indicator))?;
    let mut map = BTreeMap::new();
    for (year, value) in targets {
        if map.insert(year.to_string(), *value).is_some() {
            return Err(AnalysisError::Plan(format!(
                "indicator {indicator}: the target for {year} is given twice"
            )));
        }
    }
    def.baseline = baseline;
    def.targets = map;
    check_figures(def).map_err(|m| AnalysisError::Plan(format!("indicator {indicator}: {m}")))?;
    let out = toml::to_string(&file).map_err(|e| AnalysisError::Config(e.to_string()))?;
    NapPlan::from_toml(&out, dict)?;
    Ok(out)
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

/// How an indicator stands in a year (see [`assess`] for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target is met in the direction of improvement.
    Achieved,
    /// Not met yet, but moving the right way at least at the pace the target needs: the share
    /// of the way covered since the baseline is at least the share of the time elapsed.
    OnTrack,
    /// Moving the wrong way, or too slowly; or a target whose year has come is missed.
    OffTrack,
    /// No target this year nor a later one to head for (the baseline year, a plan without
    /// targets).
    NoTarget,
    /// No value for the year.
    NoData,
}

impl Status {
    /// The stable code (`achieved`, `on_track`…), as serialised and written in the CSV.
    pub fn code(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::OffTrack => "off_track",
            Status::NoTarget => "no_target",
            Status::NoData => "no_data",
        }
    }

    pub fn label(self, lang: &str) -> &'static str {
        let fr = lang == "fr";
        match self {
            Status::Achieved if fr => "Atteint",
            Status::Achieved => "Achieved",
            Status::OnTrack if fr => "En bonne voie",
            Status::OnTrack => "On track",
            Status::OffTrack if fr => "Hors trajectoire",
            Status::OffTrack => "Off track",
            Status::NoTarget if fr => "Pas de cible",
            Status::NoTarget => "No target",
            Status::NoData if fr => "Pas de données",
            Status::NoData => "No data",
        }
    }
}

/// How a cell without a value is shown (no target that year, no data, no baseline): a dash.
/// Never `c`, which marks a small count suppressed by disclosure control.
pub const NO_VALUE: &str = "—";

/// Figures are compared as shown (rounded to 0.1), so this only absorbs floating-point noise.
const EPS: f64 = 1e-9;

/// Where `value` in `year` stands against `target`, set for `target_year`, starting from
/// `baseline` (its year and value, when known). Returns the progress in % and the status.
///
/// With s = +1 for an `increase` indicator and −1 for a `decrease` one, the gap to cover is
/// s·(target − baseline) and the way covered s·(value − baseline):
/// - the target is met when s·(value − target) ≥ 0: status [`Status::Achieved`], progress 100
///   (capped: how far past the target the value is shows in the value and target columns);
/// - otherwise, when the gap is positive, progress = 100 × covered / gap, negative when the
///   value moved the wrong way and bounded below at −100 (a value further from the target
///   than the baseline was by more than the whole gap, which a small gap makes a wild figure);
/// - when the gap is zero or negative (the baseline already met the target) the ratio means
///   nothing; its limit is taken: 100 while the value still meets the target (achieved), −100
///   once it no longer does (off track);
/// - a missed target is [`Status::OnTrack`] when the value moved the right way and the share
///   of the way covered is at least the share of the time elapsed, (year − baseline year) /
///   (target year − baseline year), so a target due this year is achieved or off track; with
///   no years to compare (the target set for the baseline year), moving the right way is
///   enough; anything else is [`Status::OffTrack`];
/// - without a baseline there is no progress: achieved or off track.
pub fn assess(
    direction: Direction,
    baseline: Option<(i32, f64)>,
    year: i32,
    value: f64,
    target_year: i32,
    target: f64,
) -> (Option<f64>, Status) {
    let s = match direction {
        Direction::Increase => 1.0,
        Direction::Decrease => -1.0,
    };
    let met = s * (value - target) >= -EPS;
    let Some((base_year, base)) = baseline else {
        let status = if met {
            Status::Achieved
        } else {
            Status::OffTrack
        };
        return (None, status);
    };
    if met {
        return (Some(100.0), Status::Achieved);
    }
    let gap = s * (target - base);
    if gap <= EPS {
        return (Some(-100.0), Status::OffTrack);
    }
    let covered = s * (value - base);
    // Below 100: the target is not met.
    let progress = (100.0 * covered / gap).max(-100.0);
    let on_pace = if target_year > base_year {
        let elapsed = f64::from(year - base_year) / f64::from(target_year - base_year);
        progress >= 100.0 * elapsed - EPS
    } else {
        true
    };
    let status = if covered > EPS && on_pace {
        Status::OnTrack
    } else {
        Status::OffTrack
    };
    (Some(round1(progress)), status)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct YearValue {
    pub year: i32,
    pub value: Option<f64>,
    /// The target set for this year.
    pub target: Option<f64>,
    /// Share of the way from the baseline to this year's target, in %, within [−100, 100]
    /// (see [`assess`]); `None` without a target this year, a value or a baseline.
    pub progress: Option<f64>,
    /// Against this year's target or, in a year without one, against the next target.
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
    /// The status of the latest year with a value ([`Status::NoData`] when there is none).
    pub status: Status,
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
    /// Indicator × year × status: value, target, progress %. An empty cell has no value (no
    /// target that year, no data); nothing here is suppressed.
    pub table: Table,
}

impl NapReport {
    /// The progress table as the dashboard shows it, one line of text per row of `table`: the
    /// labels of its keys, then its values written by `number`, and [`NO_VALUE`] (a dash) for
    /// a cell without a value.
    pub fn cells(&self, number: impl Fn(f64) -> String) -> Vec<Vec<String>> {
        self.table
            .rows
            .iter()
            .map(|r| {
                r.keys
                    .iter()
                    .map(|k| k.label.clone())
                    .chain(
                        r.values
                            .iter()
                            .map(|v| v.map_or_else(|| NO_VALUE.to_string(), &number)),
                    )
                    .collect()
            })
            .collect()
    }
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
            if def.measure == MeasureKind::Entered {
                return Ok(plan
                    .entered
                    .get(&def.id)
                    .and_then(|m| m.get(&year))
                    .copied());
            }
            indicator_value(facts, def, filter, of, access, timeliness, year)
                .map_err(|e| AnalysisError::Config(format!("indicator {}: {e}", def.id)))
        };
        let baseline = match def.baseline.value {
            Some(v) => Some(v),
            None => value_in(def.baseline.year)?,
        };
        // Compared as shown: the value and the baseline rounded to 0.1.
        let baseline = baseline.map(round1);
        let mut years = Vec::new();
        for year in def.baseline.year..=last.max(def.baseline.year) {
            let value = value_in(year)?.map(round1);
            let target = targets.get(&year).copied();
            // In a year without a target, the value heads for the next one.
            let reference = match target {
                Some(t) => Some((year, t)),
                None => targets
                    .range(year + 1..)
                    .next()
                    .map(|(y, t)| (*y, *t))
                    .filter(|_| year > def.baseline.year),
            };
            let (progress, status) = match (value, reference) {
                (None, _) => (None, Status::NoData),
                (Some(_), None) => (None, Status::NoTarget),
                (Some(v), Some((target_year, t))) => assess(
                    def.direction,
                    baseline.map(|b| (def.baseline.year, b)),
                    year,
                    v,
                    target_year,
                    t,
                ),
            };
            // The progress column is towards this year's target: none in a year without one.
            let progress = progress.filter(|_| target.is_some());
            let title = def.title.get(lang).to_string();
            rows.push(TableRow {
                keys: vec![
                    Key::new(&def.id, &title),
                    Key::new(&year.to_string(), &year.to_string()),
                    Key::new(status.code(), status.label(lang)),
                ],
                values: vec![value, target, progress],
            });
            years.push(YearValue {
                year,
                value,
                target,
                progress,
                status,
            });
        }
        let status = years
            .iter()
            .rev()
            .find(|y| y.value.is_some())
            .map_or(Status::NoData, |y| y.status);
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
            baseline,
            status,
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
            key_headers: vec![
                t("Indicator", "Indicateur"),
                t("Year", "Année"),
                t("Status", "Statut"),
            ],
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
        // Entered by hand: the plan holds them (`NapPlan::with_entered`), not the data.
        MeasureKind::Entered => return Ok(None),
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
        MeasureKind::OnTimeShare | MeasureKind::ProvidersReporting | MeasureKind::Entered => None,
    })
}

#[cfg(test)]
mod tests {
    use super::{
        Baseline, Direction, NapPlan, Status, assess, edit_targets, parse_figure, parse_year,
        targets_from_rows,
    };
    use tessera_dictionary::Dictionary;

    const DEMO: &str = include_str!("../../../config/nap/cf-demo.toml");

    fn json<T: serde::Serialize>(x: &T) -> serde_json::Value {
        serde_json::to_value(x).unwrap()
    }

    #[test]
    fn edit_targets_changes_one_indicator_and_keeps_every_other_field() {
        let dict = Dictionary::base().unwrap();
        let before = NapPlan::from_toml(DEMO, &dict).unwrap();
        let baseline = Baseline {
            year: 2022,
            value: Some(55.5),
        };
        let out = edit_targets(
            DEMO,
            &dict,
            "PREV-3",
            baseline.clone(),
            &[(2024, 200.0), (2023, 120.0)],
        )
        .unwrap();
        let after = NapPlan::from_toml(&out, &dict).unwrap();
        assert_eq!(json(&before.head), json(&after.head));
        assert_eq!(before.indicators.len(), after.indicators.len());
        for ((a, ..), (b, _, _, targets)) in before.indicators.iter().zip(&after.indicators) {
            assert_eq!(a.id, b.id, "the order of the indicators is kept");
            if a.id != "PREV-3" {
                assert_eq!(json(a), json(b), "{} is unchanged", a.id);
                continue;
            }
            assert_eq!(json(&b.baseline), json(&baseline));
            assert_eq!(
                targets.iter().map(|(y, v)| (*y, *v)).collect::<Vec<_>>(),
                [(2023, 120.0), (2024, 200.0)]
            );
            // Everything else of the edited indicator is as it was.
            let (mut a, mut b) = (json(a), json(b));
            for x in [&mut a, &mut b] {
                x["baseline"] = serde_json::Value::Null;
                x["targets"] = serde_json::Value::Null;
            }
            assert_eq!(a, b);
        }
        // Written again unchanged, the text is the same: one format, a fixed point.
        let again = edit_targets(
            &out,
            &dict,
            "PREV-3",
            baseline,
            &[(2023, 120.0), (2024, 200.0)],
        )
        .unwrap();
        assert_eq!(again, out);
        // A baseline taken from the data (no value) and no target at all are written too.
        let out = edit_targets(
            DEMO,
            &dict,
            "PROT-1",
            Baseline {
                year: 2021,
                value: None,
            },
            &[],
        )
        .unwrap();
        let plan = NapPlan::from_toml(&out, &dict).unwrap();
        let (d, _, _, targets) = &plan.indicators[2];
        assert_eq!(d.id, "PROT-1");
        assert!(d.baseline.value.is_none() && targets.is_empty());
        assert_eq!(d.filter.as_deref(), Some("referred_to_assistance = true"));
    }

    #[test]
    fn edits_and_figures_are_refused_in_one_sentence_naming_the_indicator() {
        let dict = Dictionary::base().unwrap();
        let b = |year, value| Baseline { year, value };
        let refused = |id: &str, base: Baseline, targets: &[(i32, f64)]| {
            edit_targets(DEMO, &dict, id, base, targets)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("PREV-9", b(2021, None), &[]),
            "the action plan has no indicator PREV-9"
        );
        assert_eq!(
            refused("PREV-3", b(2021, Some(40.0)), &[(2020, 10.0)]),
            "indicator PREV-3: the target for 2020 is before the baseline year 2021"
        );
        assert_eq!(
            refused("PREV-3", b(2021, None), &[(2023, 1.0), (2023, 2.0)]),
            "indicator PREV-3: the target for 2023 is given twice"
        );
        assert!(refused("PREV-3", b(2021, Some(f64::NAN)), &[]).contains("not a number"));
        assert!(refused("PREV-3", b(1800, None), &[]).contains("baseline year 1800"));
        // What a person types.
        assert_eq!(parse_figure(" 12.5 ").unwrap(), Some(12.5));
        assert_eq!(parse_figure("").unwrap(), None);
        for bad in ["12,5", "abc", "inf", "NaN", "1e999"] {
            assert!(
                parse_figure(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("is not a number"),
                "{bad}"
            );
        }
        assert_eq!(parse_year("2024").unwrap(), 2024);
        assert!(parse_year("20x4").is_err() && parse_year("1800").is_err());
        assert_eq!(
            targets_from_rows([("2023", "150"), ("2025", ""), ("", "")]).unwrap(),
            [(2023, 150.0)]
        );
        assert_eq!(
            targets_from_rows([("", "150")]).unwrap_err().to_string(),
            "the target 150 has no year"
        );
        // A figure entered by hand: only for an indicator measured from activity records, from
        // its baseline year.
        let plan = NapPlan::from_toml(DEMO, &dict).unwrap();
        plan.check_figure("PREV-3", 2023).unwrap();
        assert_eq!(
            plan.check_figure("PROT-1", 2023).unwrap_err().to_string(),
            "indicator PROT-1 is computed from the data; only indicators with measure = \"entered\" take figures by hand"
        );
        assert!(
            plan.check_figure("PREV-3", 2019)
                .unwrap_err()
                .to_string()
                .contains("baseline year 2021")
        );
        // A plan file whose target comes before its baseline is refused at load too.
        let early = DEMO.replace(
            "targets = { 2023 = 150.0, 2025 = 300.0 }",
            "targets = { 2019 = 150.0, 2025 = 300.0 }",
        );
        assert!(
            NapPlan::from_toml(&early, &dict)
                .unwrap_err()
                .to_string()
                .contains("PREV-3: the target for 2019 is before the baseline year 2021")
        );
    }

    #[test]
    fn a_value_exactly_on_target_is_achieved_in_both_directions() {
        let b = Some((2021, 40.0));
        assert_eq!(
            assess(Direction::Increase, b, 2022, 50.0, 2022, 50.0),
            (Some(100.0), Status::Achieved)
        );
        assert_eq!(
            assess(
                Direction::Decrease,
                Some((2021, 40.0)),
                2022,
                32.0,
                2022,
                32.0
            ),
            (Some(100.0), Status::Achieved)
        );
    }

    #[test]
    fn on_track_needs_the_way_covered_to_keep_up_with_the_time_elapsed() {
        // Baseline 2020, target 2024: in 2022 half the time has passed.
        let b = Some((2020, 0.0));
        let at = |v| assess(Direction::Increase, b, 2022, v, 2024, 100.0).1;
        assert_eq!(at(50.0), Status::OnTrack, "exactly on pace");
        assert_eq!(at(49.9), Status::OffTrack, "a little slow");
        assert_eq!(at(0.0), Status::OffTrack, "not moving");
        // A target due this year leaves no time: met or missed.
        assert_eq!(
            assess(Direction::Increase, b, 2024, 99.9, 2024, 100.0),
            (Some(99.9), Status::OffTrack)
        );
    }

    #[test]
    fn without_years_to_compare_moving_the_right_way_is_on_track() {
        // A target set for the baseline year itself.
        let b = Some((2021, 40.0));
        assert_eq!(
            assess(Direction::Decrease, b, 2021, 38.0, 2021, 30.0),
            (Some(20.0), Status::OnTrack)
        );
        assert_eq!(
            assess(Direction::Decrease, b, 2021, 41.0, 2021, 30.0),
            (Some(-10.0), Status::OffTrack)
        );
    }

    #[test]
    fn without_a_baseline_there_is_no_progress_only_met_or_missed() {
        assert_eq!(
            assess(Direction::Increase, None, 2022, 61.0, 2022, 60.0),
            (None, Status::Achieved)
        );
        assert_eq!(
            assess(Direction::Decrease, None, 2022, 61.0, 2023, 60.0),
            (None, Status::OffTrack)
        );
    }

    #[test]
    fn progress_stays_within_minus_100_and_100() {
        for (dir, base, value, target) in [
            (Direction::Increase, 40.0, 10.0, 41.0),
            (Direction::Increase, 40.0, 90.0, 41.0),
            (Direction::Decrease, 31.8, 34.1, 31.7),
            (Direction::Decrease, 31.8, 2.0, 31.7),
            (Direction::Decrease, 31.8, 34.1, 32.0),
            (Direction::Increase, 70.0, 60.0, 65.0),
        ] {
            let (p, _) = assess(dir, Some((2021, base)), 2022, value, 2022, target);
            let p = p.unwrap();
            assert!(
                (-100.0..=100.0).contains(&p),
                "{base} → {value} for {target}: {p}"
            );
        }
    }
}
