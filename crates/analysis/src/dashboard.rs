//! The dashboards' numbers: victims, flows, the criminal-justice funnel and smuggling of
//! migrants, each as typed, serialisable structs of [`Table`]s, under filters and for a
//! [`Scope`] (a provider's own data, national data, or partners' suppressed aggregates).

use tessera_store::Access;

use crate::AnalysisError;
use crate::disclosure::Disclosure;
use crate::expr::{Expr, Lit};
use crate::facts::{ColumnData, EntityFacts, Facts};
use crate::query::{
    Measure, Unit, aggregate_masked, base_mask, count_masked, drill_down, median_days,
};
use crate::table::{Key, Table, TableRow};

/// Who is looking, which decides the data and its detail.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Staff with case-level access: a provider's focal point sees its own records only,
    /// coordinators and analysts all providers'.
    Internal(Access),
    /// Partners: national aggregates only, through the deployment's disclosure control (cells
    /// under the threshold suppressed with their complements, then optional rounding; see
    /// [`crate::disclosure`]).
    Partner { disclosure: Disclosure },
}

impl Scope {
    /// Partners under the default disclosure control (threshold 5, no rounding).
    pub fn partner() -> Scope {
        Scope::partner_with(Disclosure::default())
    }

    /// Partners under a deployment's disclosure control ([`crate::deployment_disclosure`]).
    pub fn partner_with(disclosure: Disclosure) -> Scope {
        Scope::Partner { disclosure }
    }

    fn access(&self) -> Access {
        match self {
            Scope::Internal(a) => a.clone(),
            Scope::Partner { .. } => Access::National,
        }
    }

    /// A partner's table: small cells and their complements suppressed, and the rows left
    /// with no published value removed, so a hidden cell gives away neither its count nor the
    /// category it stands for.
    fn finish(&self, t: Table) -> Table {
        match self {
            Scope::Internal(_) => t,
            Scope::Partner { disclosure } => {
                let mut t = disclosure.table(&t);
                t.rows.retain(|r| r.values.iter().any(Option::is_some));
                t
            }
        }
    }

    /// Refuses the questions a scope may not ask. Partners read the published tables as they
    /// are: any filter would let them narrow or difference their way to one record. A provider's
    /// users count records, not persons: who is the same person is decided with every other
    /// provider's records, so a person count would move with records they may not see.
    pub fn check(&self, filters: &Filters, unit: Unit<'_>) -> Result<(), AnalysisError> {
        match self {
            Scope::Partner { .. } if !filters.is_empty() => Err(AnalysisError::NotAllowed(
                "partners see the published national tables; filters and conditions are for national staff".into(),
            )),
            Scope::Internal(Access::Provider(_)) if matches!(unit, Unit::Persons(_)) => {
                Err(AnalysisError::NotAllowed(
                    "unique persons are counted across every provider's records, so only national staff see them".into(),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Filters a dashboard page offers (empty lists: no restriction). They apply to every entity
/// that has the variable; `expr` takes the filter language for anything else.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub provider_types: Vec<String>,
    pub providers: Vec<String>,
    /// Region of the record: of identification for victims, of the case or incident otherwise.
    pub regions: Vec<String>,
    pub sex: Vec<String>,
    pub age_bands: Vec<String>,
    pub exploitation: Vec<String>,
    /// Further conditions in the filter language ([`Expr::parse`]).
    pub expr: Option<String>,
}

/// The variable holding the region of a record of each entity.
pub fn region_variable(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "victim" => "region_identified",
        "cj_case" | "smuggling_incident" | "suspect" => "region",
        _ => return None,
    })
}

impl Filters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.year_from.is_none()
            && self.year_to.is_none()
            && self.provider_types.is_empty()
            && self.providers.is_empty()
            && self.regions.is_empty()
            && self.sex.is_empty()
            && self.age_bands.is_empty()
            && self.exploitation.is_empty()
            && self.expr.as_deref().is_none_or(|s| s.trim().is_empty())
    }

    /// The filters as an expression over `entity` (variables it lacks are skipped).
    pub fn to_expr(&self, facts: &Facts, entity: &str) -> Result<Expr, AnalysisError> {
        let ent = facts.entity(entity)?;
        let has = |v: &str| ent.column(v).is_some();
        let mut e = Expr::True;
        if let Some(y) = self.year_from {
            e = e.and(Expr::Cmp {
                field: "year".into(),
                op: crate::expr::CmpOp::Ge,
                value: Lit::Num(y as f64),
            });
        }
        if let Some(y) = self.year_to {
            e = e.and(Expr::Cmp {
                field: "year".into(),
                op: crate::expr::CmpOp::Le,
                value: Lit::Num(y as f64),
            });
        }
        e = e.and(Expr::any_of("provider_type", &self.provider_types));
        e = e.and(Expr::any_of("provider", &self.providers));
        if let Some(r) = region_variable(entity) {
            e = e.and(Expr::any_of(r, &self.regions));
        }
        if has("sex") {
            e = e.and(Expr::any_of("sex", &self.sex));
        }
        if has("age_band") {
            e = e.and(Expr::any_of("age_band", &self.age_bands));
        }
        if has("exploitation") {
            e = e.and(Expr::any_of("exploitation", &self.exploitation));
        }
        if let Some(src) = self.expr.as_deref().filter(|s| !s.trim().is_empty()) {
            e = e.and(Expr::parse(src)?);
        }
        Ok(e)
    }

    /// These filters narrowed to one cell of a table (`dim` = `code`), for drill-down links.
    pub fn cell(&self, dim: &str, code: &str) -> Filters {
        let mut f = self.clone();
        let cond = if code.is_empty() {
            format!("not {dim} is known")
        } else {
            format!("{dim} = \"{}\"", code.replace('"', ""))
        };
        f.expr = Some(match f.expr.take().filter(|s| !s.trim().is_empty()) {
            Some(prev) => format!("({prev}) and {cond}"),
            None => cond,
        });
        f
    }
}

fn tr<'a>(lang: &str, en: &'a str, fr: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// Common arguments of one dashboard computation.
struct Ctx<'a> {
    facts: &'a Facts,
    ent: &'a EntityFacts,
    mask: Vec<bool>,
    scope: &'a Scope,
    unit: Unit<'a>,
    lang: &'a str,
}

impl Ctx<'_> {
    fn new<'a>(
        facts: &'a Facts,
        entity: &str,
        scope: &'a Scope,
        filters: &Filters,
        unit: Unit<'a>,
        lang: &'a str,
    ) -> Result<Ctx<'a>, AnalysisError> {
        scope.check(filters, unit)?;
        let ent = facts.entity(entity)?;
        let mask = base_mask(
            facts,
            ent,
            &scope.access(),
            &filters.to_expr(facts, entity)?,
        )?;
        Ok(Ctx {
            facts,
            ent,
            mask,
            scope,
            unit,
            lang,
        })
    }

    fn table(&self, id: &str, title: (&str, &str), dims: &[&str]) -> Result<Table, AnalysisError> {
        self.measured(id, title, dims, Measure::Count)
    }

    fn measured(
        &self,
        id: &str,
        (en, fr): (&str, &str),
        dims: &[&str],
        measure: Measure,
    ) -> Result<Table, AnalysisError> {
        let t = aggregate_masked(
            self.facts, self.ent, &self.mask, dims, measure, self.unit, self.lang,
        )?
        .with_title(id, tr(self.lang, en, fr));
        Ok(self.scope.finish(t))
    }

    fn total(&self) -> f64 {
        count_masked(self.ent, &self.mask, self.unit)
    }

    /// A two-way table and its two one-way margins (`dims[0]`, `dims[1]`), as published
    /// together: for partners the margins are protected with the table
    /// ([`Disclosure::table_with_margins`]), so that a hidden cell cannot be worked out from
    /// a margin published beside it. Margins that are not the sums of the table's cells (a
    /// person counted in two cells) are protected on their own.
    fn with_margins(
        &self,
        two: (&str, (&str, &str)),
        rows: (&str, (&str, &str)),
        cols: (&str, (&str, &str)),
        dims: [&str; 2],
    ) -> Result<(Table, Table, Table), AnalysisError> {
        let raw = |(id, (en, fr)): (&str, (&str, &str)), dims: &[&str]| {
            Ok::<_, AnalysisError>(
                aggregate_masked(
                    self.facts,
                    self.ent,
                    &self.mask,
                    dims,
                    Measure::Count,
                    self.unit,
                    self.lang,
                )?
                .with_title(id, tr(self.lang, en, fr)),
            )
        };
        let (t2, t_rows, t_cols) = (
            raw(two, &dims)?,
            raw(rows, &dims[..1])?,
            raw(cols, &dims[1..])?,
        );
        let Scope::Partner { disclosure } = self.scope else {
            return Ok((t2, t_rows, t_cols));
        };
        let sums = |key: usize| {
            let mut s: rustc_hash::FxHashMap<&str, f64> = Default::default();
            for r in &t2.rows {
                *s.entry(r.keys[key].code.as_str()).or_default() += r.values[0].unwrap_or(0.0);
            }
            s
        };
        let adds_up = |t: &Table, key: usize| {
            let s = sums(key);
            s.len() == t.rows.len()
                && t.rows
                    .iter()
                    .all(|r| s.get(r.keys[0].code.as_str()) == Some(&r.values[0].unwrap_or(0.0)))
        };
        if !adds_up(&t_rows, 0) || !adds_up(&t_cols, 1) {
            return Ok((
                self.scope.finish(t2),
                self.scope.finish(t_rows),
                self.scope.finish(t_cols),
            ));
        }
        let (mut published, margins) = disclosure.table_with_margins(&t2);
        let from_margins = |mut t: Table, from: &[(Key, Vec<Option<f64>>)]| {
            for r in &mut t.rows {
                r.values = from
                    .iter()
                    .find(|(k, _)| k.code == r.keys[0].code)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| vec![None; r.values.len()]);
            }
            t.suppressed = true;
            t.rows.retain(|r| r.values.iter().any(Option::is_some));
            t
        };
        published
            .rows
            .retain(|r| r.values.iter().any(Option::is_some));
        Ok((
            published,
            from_margins(t_rows, &margins.rows),
            from_margins(t_cols, &margins.columns),
        ))
    }
}

/// Victims of trafficking: who, where, which exploitation, which vulnerabilities.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VictimDashboard {
    /// `records` or `persons`.
    pub unit: String,
    /// `None` for partners when the total is itself under the threshold.
    pub total: Option<f64>,
    pub by_year: Table,
    pub by_year_sex: Table,
    pub by_sex: Table,
    pub by_age_band: Table,
    /// Children and adults (age band), the first vulnerable group.
    pub children: Table,
    pub by_citizenship: Table,
    /// A victim with several forms counts in each.
    pub by_exploitation: Table,
    pub by_region: Table,
    pub by_provider_type: Table,
    /// Internally displaced, SOGIESC, ethnic minority… (a victim counts in each of hers).
    pub vulnerable_groups: Table,
    /// Domestic vs cross-border (origin ≠ country of exploitation).
    pub cross_border: Table,
    pub by_identification_status: Table,
}

/// Victims, under filters, for a scope.
pub fn victims(
    facts: &Facts,
    scope: &Scope,
    filters: &Filters,
    unit: Unit,
    lang: &str,
) -> Result<VictimDashboard, AnalysisError> {
    let c = Ctx::new(facts, "victim", scope, filters, unit, lang)?;
    let (by_year_sex, by_year, by_sex) = c.with_margins(
        (
            "victims_by_year_sex",
            ("Victims by year and sex", "Victimes par année et sexe"),
        ),
        ("victims_by_year", ("Victims by year", "Victimes par année")),
        ("victims_by_sex", ("Victims by sex", "Victimes par sexe")),
        ["year", "sex"],
    )?;
    Ok(VictimDashboard {
        unit: unit.name().into(),
        total: partner_total(scope, c.total()),
        by_year,
        by_year_sex,
        by_sex,
        by_age_band: c.table(
            "victims_by_age_band",
            ("Victims by age band", "Victimes par tranche d'âge"),
            &["age_band"],
        )?,
        children: c.table(
            "victims_children",
            ("Children and adults", "Enfants et adultes"),
            &["child"],
        )?,
        by_citizenship: c.table(
            "victims_by_citizenship",
            ("Victims by citizenship", "Victimes par nationalité"),
            &["citizenship"],
        )?,
        by_exploitation: c.table(
            "victims_by_exploitation",
            (
                "Victims by form of exploitation",
                "Victimes par forme d'exploitation",
            ),
            &["exploitation"],
        )?,
        by_region: c.table(
            "victims_by_region",
            (
                "Victims by region of identification",
                "Victimes par région d'identification",
            ),
            &["region_identified"],
        )?,
        by_provider_type: {
            let mut t = c.table(
                "victims_by_provider_type",
                (
                    "Victims by type of provider",
                    "Victimes par type de fournisseur",
                ),
                &["provider_type"],
            )?;
            // Several provider types have a single provider: for partners this table would
            // be one provider's figures, so it is published to national staff only.
            if matches!(scope, Scope::Partner { .. }) {
                t.rows.clear();
            }
            t
        },
        vulnerable_groups: c.table(
            "victims_vulnerable_groups",
            ("Vulnerable groups", "Groupes vulnérables"),
            &["vulnerabilities"],
        )?,
        cross_border: c.table(
            "victims_cross_border",
            (
                "Domestic and cross-border trafficking",
                "Traite interne et transfrontalière",
            ),
            &["cross_border"],
        )?,
        by_identification_status: c.table(
            "victims_by_status",
            (
                "Identified and presumed victims",
                "Victimes identifiées et présumées",
            ),
            &["identification_status"],
        )?,
    })
}

/// The approved records of one entity, as a scope may see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordCount {
    pub entity: String,
    /// `None` for partners when the total is under the threshold.
    pub total: Option<f64>,
    /// By provider type, for national staff only: several types have a single provider, so
    /// for partners this would be one provider's figures.
    pub by_provider_type: Option<Table>,
}

/// Approved records of each of `entities` present in the facts: what the API's statistics and
/// a partner's home page publish, so they agree with the dashboards (which count approved data
/// too) and never move with a draft.
pub fn record_counts(
    facts: &Facts,
    scope: &Scope,
    entities: &[&str],
    lang: &str,
) -> Result<Vec<RecordCount>, AnalysisError> {
    let mut out = Vec::new();
    for &entity in entities {
        if facts.entity(entity).is_err() {
            continue;
        }
        let c = Ctx::new(
            facts,
            entity,
            scope,
            &Filters::default(),
            Unit::Records,
            lang,
        )?;
        let by_provider_type = match scope {
            Scope::Partner { .. } => None,
            Scope::Internal(_) => Some(c.table(
                "records_by_provider_type",
                ("Records by provider type", "Fiches par type de fournisseur"),
                &["provider_type"],
            )?),
        };
        out.push(RecordCount {
            entity: entity.to_string(),
            total: partner_total(scope, c.total()),
            by_provider_type,
        });
    }
    Ok(out)
}

fn partner_total(scope: &Scope, total: f64) -> Option<f64> {
    match scope {
        Scope::Partner { disclosure } => disclosure.count(total),
        Scope::Internal(_) => Some(total),
    }
}

/// One band of a flow diagram.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowLink {
    /// 0: origin → transit, 1: transit → destination.
    pub stage: u8,
    pub from: Key,
    pub to: Key,
    pub value: f64,
}

/// Flows origin → transit → destination.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowDashboard {
    /// Origin × destination.
    pub origin_destination: Table,
    /// Origin × transit × destination (a route with several transit countries counts in each).
    pub routes: Table,
    /// The bands of the flow diagram (from `routes`; "Direct" when no transit was recorded).
    pub links: Vec<FlowLink>,
}

/// Flows of victims (origin → transit → country of exploitation), or of smuggled migrants by
/// incident (`entity = "smuggling_incident"`, weighted by the number of migrants).
pub fn flows(
    facts: &Facts,
    entity: &str,
    scope: &Scope,
    filters: &Filters,
    unit: Unit,
    lang: &str,
) -> Result<FlowDashboard, AnalysisError> {
    let c = Ctx::new(facts, entity, scope, filters, unit, lang)?;
    let (dest, measure) = match entity {
        "smuggling_incident" => ("destination_country", Measure::Sum("migrants_count")),
        "smuggled_migrant" => ("destination_country", Measure::Count),
        _ => ("country_of_exploitation", Measure::Count),
    };
    let has_transit = c.ent.column("transit_countries").is_some();
    let origin_destination = c.measured(
        &format!("{entity}_origin_destination"),
        ("Origin and destination", "Origine et destination"),
        &["country_of_origin", dest],
        measure,
    )?;
    let routes = if has_transit {
        c.measured(
            &format!("{entity}_routes"),
            (
                "Routes: origin, transit, destination",
                "Itinéraires : origine, transit, destination",
            ),
            &["country_of_origin", "transit_countries", dest],
            measure,
        )?
    } else {
        origin_destination.clone()
    };
    let mut links: Vec<FlowLink> = Vec::new();
    let direct = Key::new("", tr(lang, "Direct", "Direct"));
    let mut add = |stage: u8, from: &Key, to: &Key, v: f64| match links
        .iter_mut()
        .find(|l| l.stage == stage && l.from == *from && l.to == *to)
    {
        Some(l) => l.value += v,
        None => links.push(FlowLink {
            stage,
            from: from.clone(),
            to: to.clone(),
            value: v,
        }),
    };
    for r in &routes.rows {
        let Some(v) = r.values[0] else { continue };
        let (o, t, d) = if r.keys.len() == 3 {
            let t = if r.keys[1].code.is_empty() {
                &direct
            } else {
                &r.keys[1]
            };
            (&r.keys[0], t, &r.keys[2])
        } else {
            (&r.keys[0], &direct, &r.keys[1])
        };
        add(0, o, t, v);
        add(1, t, d, v);
    }
    links.sort_by(|a, b| b.value.total_cmp(&a.value));
    Ok(FlowDashboard {
        origin_destination,
        routes,
        links,
    })
}

/// The criminal-justice funnel.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FunnelDashboard {
    /// Offence group (TIP, SOM…) × stage (investigated, prosecuted, judged, convicted); values:
    /// cases, share of the investigated (%), attrition from the previous stage (%).
    pub stages: Table,
    /// Offence group × interval; value: median days (investigation → prosecution → judgment).
    pub durations: Table,
    /// Offence group × verdict.
    pub verdicts: Table,
    /// Year of investigation × offence group.
    pub by_year: Table,
}

/// Stages of the funnel, each a filter on criminal-justice cases.
pub const FUNNEL_STAGES: [(&str, &str, &str, &str); 4] = [
    ("INVESTIGATED", "Investigated", "Enquêtes", "true"),
    (
        "PROSECUTED",
        "Prosecuted",
        "Poursuivis",
        "prosecution_date is known or stage in [\"PROSECUTION\", \"JUDGMENT\", \"APPEAL\"]",
    ),
    (
        "JUDGED",
        "Judged (first instance)",
        "Jugés (première instance)",
        "judgment_date is known or verdict is known",
    ),
    (
        "CONVICTED",
        "Convicted",
        "Condamnés",
        "verdict = \"CONVICTED\"",
    ),
];

/// The criminal-justice funnel by offence (TIP/SOM), with attrition and median durations.
pub fn funnel(
    facts: &Facts,
    scope: &Scope,
    filters: &Filters,
    lang: &str,
) -> Result<FunnelDashboard, AnalysisError> {
    let c = Ctx::new(facts, "cj_case", scope, filters, Unit::Records, lang)?;
    let groups = c
        .ent
        .column("offence_group")
        .and_then(|col| match (&col.data, col.codes.as_deref()) {
            (ColumnData::Code(v), Some(codes)) => Some((v, codes)),
            _ => None,
        })
        .ok_or_else(|| AnalysisError::Unknown("offence of cj_case".into()))?;
    let mut stage_rows = Vec::new();
    let mut duration_rows = Vec::new();
    let stage_masks: Vec<Vec<bool>> = FUNNEL_STAGES
        .iter()
        .map(|s| crate::query::eval(facts, c.ent, &Expr::parse(s.3)?))
        .collect::<Result<_, _>>()?;
    // All offences, each group, then cases whose offence is not recorded (a row of its own,
    // so the groups' investigated cases add up to all).
    let selectors = std::iter::once(None)
        .chain((1..=groups.1.len() as u16).map(Some))
        .chain(std::iter::once(Some(0)));
    for g in selectors {
        let (code, label) = match g {
            None => (
                "ALL".to_string(),
                tr(lang, "All offences", "Toutes infractions").to_string(),
            ),
            Some(g) => groups.1.describe(g, lang),
        };
        let in_group: Vec<bool> = c
            .mask
            .iter()
            .zip(groups.0)
            .map(|(m, &k)| *m && g.is_none_or(|g| k == g))
            .collect();
        let mut first = 0.0;
        let mut prev = 0.0;
        let mut any = false;
        for (s, sm) in FUNNEL_STAGES.iter().zip(&stage_masks) {
            let n = in_group.iter().zip(sm).filter(|(a, b)| **a && **b).count() as f64;
            if s.0 == "INVESTIGATED" {
                first = n;
                prev = n;
                any = n > 0.0;
            }
            if !any {
                break;
            }
            stage_rows.push(TableRow {
                keys: vec![Key::new(&code, &label), Key::new(s.0, tr(lang, s.1, s.2))],
                values: vec![
                    Some(n),
                    (first > 0.0).then(|| round1(100.0 * n / first)),
                    (prev > 0.0).then(|| round1(100.0 * (prev - n) / prev)),
                ],
            });
            prev = n;
        }
        if !any {
            continue;
        }
        for (a, b, en, fr) in [
            (
                "investigation_date",
                "prosecution_date",
                "Investigation → prosecution",
                "Enquête → poursuites",
            ),
            (
                "prosecution_date",
                "judgment_date",
                "Prosecution → judgment",
                "Poursuites → jugement",
            ),
            (
                "investigation_date",
                "judgment_date",
                "Investigation → judgment",
                "Enquête → jugement",
            ),
        ] {
            duration_rows.push(TableRow {
                keys: vec![
                    Key::new(&code, &label),
                    Key::new(&format!("{a}:{b}"), tr(lang, en, fr)),
                ],
                values: vec![c.scope.median(median_days(c.ent, &in_group, a, b))],
            });
        }
    }
    let unit = "records".to_string();
    let stages = Table {
        id: "cj_funnel".into(),
        title: tr(
            lang,
            "Criminal-justice funnel",
            "Entonnoir de la chaîne pénale",
        )
        .into(),
        key_headers: vec![
            tr(lang, "Offence", "Infraction").into(),
            tr(lang, "Stage", "Étape").into(),
        ],
        value_headers: vec![
            tr(lang, "Cases", "Affaires").into(),
            tr(lang, "% of investigated", "% des enquêtes").into(),
            tr(
                lang,
                "Attrition from previous stage (%)",
                "Déperdition depuis l'étape précédente (%)",
            )
            .into(),
        ],
        rows: stage_rows,
        unit: unit.clone(),
        suppressed: false,
        drill: None,
    };
    let durations = Table {
        id: "cj_durations".into(),
        title: tr(lang, "Median durations (days)", "Durées médianes (jours)").into(),
        key_headers: vec![
            tr(lang, "Offence", "Infraction").into(),
            tr(lang, "Interval", "Intervalle").into(),
        ],
        value_headers: vec![tr(lang, "Median days", "Jours (médiane)").into()],
        rows: duration_rows,
        unit,
        suppressed: false,
        drill: None,
    };
    Ok(FunnelDashboard {
        stages: c.scope.finish_funnel(stages),
        durations: c.scope.finish_durations(durations),
        verdicts: c.table(
            "cj_verdicts",
            ("Verdicts by offence", "Décisions par infraction"),
            &["offence_group", "verdict"],
        )?,
        by_year: c.table(
            "cj_by_year",
            (
                "Cases by year of investigation",
                "Affaires par année d'enquête",
            ),
            &["year", "offence_group"],
        )?,
    })
}

impl Scope {
    /// A median over `n` cases, published to partners only when `n` reaches the threshold: the
    /// median of one case is that case's own value.
    fn median(&self, (median, n): (Option<f64>, usize)) -> Option<f64> {
        match self {
            Scope::Partner { disclosure } if (n as f64) < disclosure.threshold => None,
            _ => median,
        }
    }

    /// Medians are not additive: each hidden one stays hidden on its own ([`Scope::median`]);
    /// rows with nothing published are removed, as in every partner table.
    fn finish_durations(&self, mut t: Table) -> Table {
        if matches!(self, Scope::Partner { .. }) {
            t.rows.retain(|r| r.values.iter().any(Option::is_some));
            t.suppressed = true;
        }
        t
    }

    /// Funnel counts are nested, not additive: only small cells are hidden (with their shares).
    /// With rounding, counts are rounded and the shares worked out again from the rounded
    /// counts, so that no share gives an exact count back.
    fn finish_funnel(&self, mut t: Table) -> Table {
        if let Scope::Partner { disclosure } = self {
            let (mut group, mut first, mut prev) = (String::new(), None, None);
            for r in &mut t.rows {
                let n = r.values[0].and_then(|v| disclosure.count(v));
                if n.is_none() {
                    r.values.iter_mut().for_each(|v| *v = None);
                }
                if disclosure.rounding >= 2 {
                    if r.keys[0].code != group {
                        group = r.keys[0].code.clone();
                        (first, prev) = (n, n);
                    }
                    let share = |base: Option<f64>, x: Option<f64>| match (base, x) {
                        (Some(b), Some(x)) if b > 0.0 => Some(round1(100.0 * x / b)),
                        _ => None,
                    };
                    let attrition = prev.zip(n).map(|(p, n)| p - n);
                    r.values = vec![n, share(first, n), share(prev, attrition)];
                    prev = n;
                }
            }
            t.suppressed = true;
        }
        t
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Smuggling of migrants, kept apart from trafficking.
///
/// Two figures of migrants exist and are never mixed: `migrants` counts smuggled-migrant
/// records (or the unique persons behind them) — the population `migrants_by_sex` and
/// `migrants_by_age_band` break down, so they add up to it; `migrants_reported` adds up the
/// number of migrants each incident record gives (`migrants_count`), as do the migrants
/// columns of `by_year` and `routes`. A migrant recorded by two providers is one incident's
/// migrant but two records.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmugglingDashboard {
    /// Approved incident records.
    pub incidents: Option<f64>,
    /// Approved smuggled-migrant records, or unique persons when counted so.
    pub migrants: Option<f64>,
    /// `records` or `persons`: what `migrants` and the tables by sex and age count.
    pub migrants_unit: String,
    /// The sum of the number of migrants given in each approved incident record.
    pub migrants_reported: Option<f64>,
    pub deaths: Option<f64>,
    pub injuries: Option<f64>,
    /// Year × [incidents, migrants, deaths, injuries].
    pub by_year: Table,
    /// Origin × destination × [incidents, migrants].
    pub routes: Table,
    pub by_transport: Table,
    /// Smuggled-migrant records by sex and by age band.
    pub migrants_by_sex: Table,
    pub migrants_by_age_band: Table,
}

/// Smuggling of migrants: incidents, migrants, routes, deaths and injuries where recorded.
pub fn smuggling(
    facts: &Facts,
    scope: &Scope,
    filters: &Filters,
    unit: Unit,
    lang: &str,
) -> Result<SmugglingDashboard, AnalysisError> {
    let c = Ctx::new(
        facts,
        "smuggling_incident",
        scope,
        filters,
        Unit::Records,
        lang,
    )?;
    let sum = |var: &str| -> Result<f64, AnalysisError> {
        Ok(aggregate_masked(
            facts,
            c.ent,
            &c.mask,
            &[],
            Measure::Sum(var),
            Unit::Records,
            lang,
        )?
        .total())
    };
    let incidents = c.total();
    let (migrants, deaths, injuries) = (sum("migrants_count")?, sum("deaths")?, sum("injuries")?);
    let raw = |dims: &[&str], m: Measure| {
        aggregate_masked(facts, c.ent, &c.mask, dims, m, Unit::Records, lang)
    };
    let by_year = merge_values(
        vec![
            raw(&["year"], Measure::Count)?,
            raw(&["year"], Measure::Sum("migrants_count"))?,
            raw(&["year"], Measure::Sum("deaths"))?,
            raw(&["year"], Measure::Sum("injuries"))?,
        ],
        vec![
            tr(lang, "Incidents", "Incidents").into(),
            tr(lang, MIGRANTS_REPORTED.0, MIGRANTS_REPORTED.1).into(),
            tr(lang, "Deaths", "Décès").into(),
            tr(lang, "Injuries", "Blessés").into(),
        ],
    )
    .with_title(
        "smuggling_by_year",
        tr(
            lang,
            "Smuggling incidents by year",
            "Incidents de trafic illicite par année",
        ),
    );
    let routes = merge_values(
        vec![
            raw(
                &["country_of_origin", "destination_country"],
                Measure::Count,
            )?,
            raw(
                &["country_of_origin", "destination_country"],
                Measure::Sum("migrants_count"),
            )?,
        ],
        vec![
            tr(lang, "Incidents", "Incidents").into(),
            tr(lang, MIGRANTS_REPORTED.0, MIGRANTS_REPORTED.1).into(),
        ],
    )
    .with_title(
        "smuggling_routes",
        tr(lang, "Smuggling routes", "Itinéraires du trafic illicite"),
    );
    let m = Ctx::new(facts, "smuggled_migrant", scope, filters, unit, lang)?;
    Ok(SmugglingDashboard {
        incidents: partner_total(scope, incidents),
        migrants: partner_total(scope, m.total()),
        migrants_unit: unit.name().into(),
        migrants_reported: partner_total(scope, migrants),
        deaths: partner_total(scope, deaths),
        injuries: partner_total(scope, injuries),
        by_year: scope.finish(by_year),
        routes: scope.finish(routes),
        by_transport: c.table(
            "smuggling_by_transport",
            (
                "Incidents by means of transport",
                "Incidents par moyen de transport",
            ),
            &["transport_mode"],
        )?,
        migrants_by_sex: m.table(
            "migrants_by_sex",
            (
                "Smuggled migrants by sex",
                "Migrants objets de trafic par sexe",
            ),
            &["sex"],
        )?,
        migrants_by_age_band: m.table(
            "migrants_by_age_band",
            (
                "Smuggled migrants by age band",
                "Migrants objets de trafic par tranche d'âge",
            ),
            &["age_band"],
        )?,
    })
}

/// The header of the migrants reported by incident records (the sum of `migrants_count`).
const MIGRANTS_REPORTED: (&str, &str) = (
    "Migrants reported in incident records",
    "Migrants déclarés dans les incidents",
);

/// Whether a row of `t` may count one record (or person) in several rows: a key column is a
/// multi-valued variable (forms of exploitation, citizenships, transit countries…), so the
/// rows add up to more than the total.
pub fn multi_valued(facts: &Facts, t: &Table) -> bool {
    let Some(d) = &t.drill else { return false };
    let Ok(ent) = facts.entity(&d.entity) else {
        return false;
    };
    d.dims.iter().any(|dim| {
        ent.column(dim)
            .is_some_and(|c| matches!(c.data, ColumnData::Codes { .. }))
    })
}

/// Approved records of `entities` per provider visible under `access`: per provider (id, in
/// the facts' order), one count per entity. What a home page lists, so that its totals are
/// the dashboards' (approved data only, never a draft, and only the entities named — not the
/// person–case links that join records behind the scenes).
pub fn records_by_provider(
    facts: &Facts,
    access: &Access,
    entities: &[&str],
) -> Vec<(String, Vec<u64>)> {
    let only = facts.access_provider(access);
    let mut out: Vec<(String, Vec<u64>)> = facts
        .providers
        .iter()
        .map(|p| (p.id.clone(), vec![0; entities.len()]))
        .collect();
    for (j, e) in entities.iter().enumerate() {
        let Ok(ent) = facts.entity(e) else { continue };
        for (i, &p) in ent.provider.iter().enumerate() {
            if ent.approved[i] && only.is_none_or(|o| o == p) {
                out[p as usize].1[j] += 1;
            }
        }
    }
    out.into_iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o as usize == *i))
        .map(|(_, row)| row)
        .collect()
}

/// Tables with the same key columns side by side: one value column each.
pub fn merge_values(tables: Vec<Table>, headers: Vec<String>) -> Table {
    let n = tables.len();
    let mut rows: Vec<TableRow> = Vec::new();
    for (j, t) in tables.iter().enumerate() {
        for r in &t.rows {
            let v = r.values.first().copied().flatten();
            match rows.iter_mut().find(|x| x.keys == r.keys) {
                Some(x) => x.values[j] = v,
                None => {
                    let mut values = vec![Some(0.0); n];
                    values[j] = v;
                    rows.push(TableRow {
                        keys: r.keys.clone(),
                        values,
                    });
                }
            }
        }
    }
    let first = tables.into_iter().next();
    Table {
        id: String::new(),
        title: String::new(),
        key_headers: first
            .as_ref()
            .map(|t| t.key_headers.clone())
            .unwrap_or_default(),
        value_headers: headers,
        rows,
        unit: first.map(|t| t.unit).unwrap_or_default(),
        suppressed: false,
        drill: None,
    }
}

/// Record ids behind a dashboard cell for staff with case-level access (partners have none).
pub fn drill(
    facts: &Facts,
    entity: &str,
    access: &Access,
    filters: &Filters,
    limit: usize,
) -> Result<Vec<i64>, AnalysisError> {
    drill_down(
        facts,
        entity,
        access,
        &filters.to_expr(facts, entity)?,
        limit,
    )
}
