//! Dashboards: victims, flows, the criminal-justice funnel, smuggling of migrants, data quality
//! and the National Action Plan — charts drawn as SVG on the server (they print and need no
//! JavaScript), each with its table and a CSV download. Numbers come from the analysis crate
//! over approved data, for the user's scope: a provider's own records, every provider's for
//! national staff, suppressed national aggregates for partners.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use tessera_analysis::{
    AnalysisError, Facts, Filters, Linkage, NapPlan, PersonMap, Scope, Table, Unit, flows, funnel,
    nap_progress, quality, smuggling, svg, victims,
};
use tessera_dictionary::Role;
use tessera_store::{Access, actions};

use crate::i18n::{Arg, messages, number, tr};
use crate::{AppState, Viewer, WebError};

/// The views, in menu order.
pub const VIEWS: &[&str] = &[
    "victims",
    "flows",
    "funnel",
    "smuggling",
    "quality",
    "nap",
    "estimate",
];

/// The record → person map of the facts it was linked for (kept with them, so a rebuild of the
/// facts after an approval triggers a new linkage run on the next request that counts persons).
#[derive(Clone, Default)]
pub struct PersonsCache(Arc<tokio::sync::Mutex<Option<Linked>>>);

/// Facts, the linkage run for them, and whether a reviewer's verdict came since.
type Linked = (Arc<Facts>, Arc<Linkage>, bool);

impl PersonsCache {
    /// After a reviewer's verdict: the next request that counts persons clusters the kept runs
    /// again under the verdicts (`tessera_analysis::apply_verdicts`), without linking again.
    pub async fn invalidate(&self) {
        if let Some(linked) = self.0.lock().await.as_mut() {
            linked.2 = true;
        }
    }
}

/// The linkage of the records behind `facts`: persons and the pairs left for clerical review.
pub async fn linkage(state: &AppState, facts: &Arc<Facts>) -> Result<Arc<Linkage>, WebError> {
    let mut guard = state.persons.0.lock().await;
    let linked = match guard.as_ref() {
        Some((f, l, false)) if Arc::ptr_eq(f, facts) => return Ok(l.clone()),
        Some((f, l, true)) if Arc::ptr_eq(f, facts) => {
            tessera_analysis::apply_verdicts(&state.store, l).await?
        }
        _ => tessera_analysis::link_and_review(&state.store).await?,
    };
    let linked = Arc::new(linked);
    *guard = Some((facts.clone(), linked.clone(), false));
    Ok(linked)
}

async fn person_map(state: &AppState, facts: &Arc<Facts>) -> Result<Arc<PersonMap>, WebError> {
    Ok(linkage(state, facts).await?.persons.clone())
}

impl From<AnalysisError> for WebError {
    fn from(e: AnalysisError) -> WebError {
        match e {
            AnalysisError::Store(s) => WebError::Store(s),
            AnalysisError::Expr(m) | AnalysisError::Unknown(m) => WebError::BadRequest(m),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

/// One chart (if any) with its table.
struct Panel {
    id: String,
    title: String,
    svg: Option<String>,
    table: Table,
    /// The table's rows as text when the view writes them itself (the NAP: a dash, not `c`,
    /// where there is no value); otherwise key labels and values written by `fmt`.
    cells: Option<Vec<Vec<String>>>,
    /// A record (or person) may count in several rows (a multi-valued variable).
    multi: bool,
}

fn panel(table: &Table, chart: Option<tessera_analysis::Chart>) -> Panel {
    Panel {
        id: table.id.clone(),
        title: table.title.clone(),
        svg: chart.map(|c| c.svg),
        table: table.clone(),
        cells: None,
        multi: false,
    }
}

/// A headline figure: what it counts, the figure (none for a caveat), and a line of detail.
struct Headline {
    label: String,
    value: Option<String>,
    detail: Option<String>,
}

/// The viewer's scope: staff through their access, partners under the deployment's disclosure
/// control (threshold and rounding settings).
pub(crate) async fn scope_for(state: &AppState, v: &Viewer) -> Result<Scope, WebError> {
    match Access::for_user(&v.user) {
        Ok(a) => Ok(Scope::Internal(a)),
        Err(_) => Ok(Scope::partner_with(
            tessera_analysis::deployment_disclosure(&state.store).await?,
        )),
    }
}

fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn filters_from(q: &[(String, String)]) -> Filters {
    let many = |key: &str| -> Vec<String> {
        q.iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    };
    Filters {
        year_from: get(q, "year_from").and_then(|v| v.parse().ok()),
        year_to: get(q, "year_to").and_then(|v| v.parse().ok()),
        provider_types: many("provider_type"),
        providers: many("provider"),
        regions: many("region"),
        sex: many("sex"),
        age_bands: many("age_band"),
        exploitation: many("exploitation"),
        expr: get(q, "expr").map(str::to_string),
    }
}

/// The panels of a view.
async fn panels(
    state: &AppState,
    v: &Viewer,
    view: &str,
    filters: &Filters,
    persons: bool,
) -> Result<(Vec<Panel>, Vec<Headline>), WebError> {
    let lang = v.lang;
    let t = messages(lang);
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let scope = scope_for(state, v).await?;
    // A provider's users count records only (see `Scope::check`).
    let counts_persons = !matches!(scope, Scope::Internal(Access::Provider(_)));
    let map = if counts_persons && (persons || matches!(view, "victims" | "smuggling" | "estimate"))
    {
        Some(person_map(state, &facts).await?)
    } else {
        None
    };
    let unit = match (&map, persons) {
        (Some(m), true) => Unit::Persons(m),
        _ => Unit::Records,
    };
    let staff_access = match &scope {
        Scope::Internal(a) => Some(a.clone()),
        Scope::Partner { .. } => None,
    };
    let headline = |key: &str, n: Option<f64>| Headline {
        label: t.get(key).cloned().unwrap_or_default(),
        value: Some(
            n.map(|x| number(x.round() as i64, lang))
                .unwrap_or_else(|| "c".into()),
        ),
        detail: None,
    };
    let detailed = |mut h: Headline, key: &str| {
        h.detail = t.get(key).cloned();
        h
    };
    // A count of unique persons with the range the linkage model gives it (analysis computes).
    let ranged = |mut h: Headline, entity: &str| -> Result<Headline, WebError> {
        if let Some(m) = &map
            && let Some(r) = tessera_analysis::persons_range(&facts, m, entity, &scope, filters)?
        {
            let n = |x: f64| Arg::Str(number(x.round() as i64, lang));
            h.detail = Some(tr(
                lang,
                "dash-persons-range",
                &[
                    ("expected", n(r.expected)),
                    ("low", n(r.low)),
                    ("high", n(r.high)),
                ],
            ));
        }
        Ok(h)
    };
    let (mut out, heads) = match view {
        "victims" => {
            let d = victims(&facts, &scope, filters, unit, lang)?;
            // Both counts, always: records received and the unique persons behind them.
            let (records, people) = match &map {
                Some(m) => (
                    victims(&facts, &scope, filters, Unit::Records, lang)?.total,
                    Some(victims(&facts, &scope, filters, Unit::Persons(m), lang)?.total),
                ),
                None => (d.total, None),
            };
            let mut p = vec![
                panel(&d.by_year, Some(svg::line(&d.by_year, lang))),
                panel(&d.by_year_sex, Some(svg::stacked_bar(&d.by_year_sex, lang))),
                panel(&d.by_sex, Some(svg::bar(&d.by_sex, lang))),
                panel(&d.by_age_band, Some(svg::bar(&d.by_age_band, lang))),
                panel(&d.children, Some(svg::bar(&d.children, lang))),
                panel(&d.by_exploitation, Some(svg::bar(&d.by_exploitation, lang))),
                panel(&d.by_citizenship, Some(svg::bar(&d.by_citizenship, lang))),
                panel(&d.by_region, Some(svg::bar(&d.by_region, lang))),
                panel(
                    &d.by_provider_type,
                    Some(svg::bar(&d.by_provider_type, lang)),
                ),
                panel(
                    &d.vulnerable_groups,
                    Some(svg::bar(&d.vulnerable_groups, lang)),
                ),
                panel(&d.cross_border, Some(svg::bar(&d.cross_border, lang))),
            ];
            p.push(panel(
                &d.by_identification_status,
                Some(svg::bar(&d.by_identification_status, lang)),
            ));
            // A table the partner's scope withholds (by provider type) is not shown empty.
            if matches!(scope, Scope::Partner { .. }) {
                p.retain(|panel| !panel.table.rows.is_empty());
            }
            (
                p,
                std::iter::once(headline("dash-victim-records", records))
                    .chain(
                        people
                            .map(|n| ranged(headline("dash-victim-persons", n), "victim"))
                            .transpose()?,
                    )
                    .collect(),
            )
        }
        "flows" => {
            let d = flows(&facts, "victim", &scope, filters, unit, lang)?;
            let chart = svg::flow(
                &d.origin_destination.title,
                &d.links,
                &d.origin_destination,
                10,
                lang,
            );
            (
                vec![
                    panel(&d.origin_destination, Some(chart)),
                    panel(&d.routes, Some(svg::bar(&d.routes, lang))),
                ],
                vec![],
            )
        }
        "funnel" => {
            let d = funnel(&facts, &scope, filters, lang)?;
            (
                vec![
                    panel(&d.stages, Some(svg::funnel(&d.stages, lang))),
                    panel(&d.by_year, Some(svg::stacked_bar(&d.by_year, lang))),
                    panel(&d.durations, None),
                    panel(&d.verdicts, Some(svg::bar(&d.verdicts, lang))),
                ],
                vec![],
            )
        }
        "smuggling" => {
            let d = smuggling(&facts, &scope, filters, unit, lang)?;
            // Smuggled migrants as records and, when linkage ran, as unique persons: the
            // figures the tables by sex and age add up to. The migrants incident records
            // report are another figure, named as such.
            let (records, people) = match &map {
                Some(m) => (
                    smuggling(&facts, &scope, filters, Unit::Records, lang)?.migrants,
                    Some(smuggling(&facts, &scope, filters, Unit::Persons(m), lang)?.migrants),
                ),
                None => (d.migrants, None),
            };
            (
                vec![
                    panel(&d.by_year, Some(svg::line(&d.by_year, lang))),
                    panel(&d.routes, Some(svg::bar(&d.routes, lang))),
                    panel(&d.by_transport, Some(svg::bar(&d.by_transport, lang))),
                    panel(&d.migrants_by_sex, Some(svg::bar(&d.migrants_by_sex, lang))),
                    panel(
                        &d.migrants_by_age_band,
                        Some(svg::bar(&d.migrants_by_age_band, lang)),
                    ),
                ],
                std::iter::once(detailed(
                    headline("dash-incidents", d.incidents),
                    "dash-incidents-detail",
                ))
                .chain([headline("dash-migrants", records)])
                .chain(
                    people
                        .map(|n| ranged(headline("dash-migrant-persons", n), "smuggled_migrant"))
                        .transpose()?,
                )
                .chain([
                    detailed(
                        headline("dash-migrants-reported", d.migrants_reported),
                        "dash-migrants-reported-detail",
                    ),
                    headline("dash-deaths", d.deaths),
                    headline("dash-injuries", d.injuries),
                ])
                .collect(),
            )
        }
        "quality" => {
            let access = staff_access.ok_or(WebError::Forbidden)?;
            let timeliness = state.store.timeliness().await?;
            let m = person_map(state, &facts).await?;
            let q = quality(&facts, &access, &timeliness, Some(&m), lang)?;
            (
                vec![
                    panel(&q.trend, Some(svg::line(&q.trend, lang))),
                    panel(
                        &q.variables,
                        Some(svg::heatmap(
                            &q.variables,
                            &entity_labels(state, lang),
                            lang,
                        )),
                    ),
                ],
                vec![],
            )
        }
        "nap" => {
            let access = staff_access.ok_or(WebError::Forbidden)?;
            let Some(text) = state.store.setting("nap_plan").await? else {
                return Ok((vec![], vec![]));
            };
            let plan = NapPlan::from_toml(&text, &state.dict)?
                .with_entered(state.store.nap_values().await?)?;
            let timeliness = state.store.timeliness().await?;
            let r = nap_progress(&facts, &plan, &access, &timeliness, lang)?;
            let cells = r.cells(|x| fmt(Some(x), lang));
            (
                vec![Panel {
                    cells: Some(cells),
                    ..panel(&r.table, None)
                }],
                vec![],
            )
        }
        "estimate" => {
            // National staff only: the estimate needs every provider's lists.
            if !matches!(v.role(), Role::Coordinator | Role::Analyst) {
                return Err(WebError::Forbidden);
            }
            let Some(m) = &map else {
                return Err(WebError::NotFound);
            };
            let mut panels = Vec::new();
            let mut lines = Vec::new();
            // The analysis crate folds the lists and chooses the models; this page shows them.
            let (facts, filters, m) = (facts.clone(), filters.clone(), m.clone());
            let hidden = tokio::task::spawn_blocking(move || {
                tessera_analysis::hidden_victims(&facts, "victim", &filters, &m, "provider_type")
            })
            .await
            .map_err(|e| WebError::BadRequest(e.to_string()))??;
            let n = |x: f64| number(x.round() as i64, lang);
            let msg = |k: &str| t.get(k).cloned().unwrap_or_default();
            let mut rows = Vec::new();
            for (method, result) in &hidden.estimates {
                let name = msg(&format!("mse-{}", method.name()));
                match result {
                    // The estimate and its interval are the figure; the model is a detail.
                    Ok(e) => {
                        lines.push(Headline {
                            label: name.clone(),
                            value: Some(n(e.estimate)),
                            detail: Some(format!(
                                "{}. {}",
                                crate::i18n::tr(
                                    lang,
                                    "mse-interval",
                                    &[("low", n(e.ci_low).into()), ("high", n(e.ci_high).into())],
                                ),
                                crate::i18n::tr(
                                    lang,
                                    "mse-detail",
                                    &[
                                        ("observed", n(e.observed).into()),
                                        ("model", e.model.clone().into()),
                                    ],
                                ),
                            )),
                        });
                        rows.push(tessera_analysis::TableRow {
                            keys: vec![tessera_analysis::Key::new(method.name(), &name)],
                            values: vec![
                                Some(e.observed),
                                Some(e.estimate.round()),
                                Some(e.ci_low.round()),
                                Some(e.ci_high.round()),
                            ],
                        });
                        for w in &e.warnings {
                            lines.push(Headline {
                                label: msg("mse-warning"),
                                value: None,
                                detail: Some(w.clone()),
                            });
                        }
                    }
                    Err(e) => lines.push(Headline {
                        label: name,
                        value: None,
                        detail: Some(e.to_string()),
                    }),
                }
            }
            if !rows.is_empty() {
                let estimates = Table {
                    id: "victim_hidden_estimates".into(),
                    title: msg("mse-chart-title"),
                    key_headers: vec![msg("mse-model")],
                    value_headers: vec![
                        msg("mse-chart-observed"),
                        msg("mse-chart-estimate"),
                        msg("mse-chart-low"),
                        msg("mse-chart-high"),
                    ],
                    rows,
                    unit: "persons".into(),
                    suppressed: false,
                    drill: None,
                };
                panels.push(panel(&estimates, Some(svg::interval(&estimates, lang))));
            }
            // Lists named as the dictionary names provider types; the pooled rest as such.
            let list_name = |code: &str| {
                if code == tessera_analysis::OTHER_LISTS {
                    msg("mse-other-lists")
                } else {
                    state.label("provider_type", code, lang)
                }
            };
            panels.push(panel(
                &overlap_as_table(&hidden.table, &list_name, lang),
                None,
            ));
            (panels, lines)
        }
        _ => return Err(WebError::NotFound),
    };
    for p in &mut out {
        p.multi = tessera_analysis::multi_valued(&facts, &p.table);
    }
    Ok((out, heads))
}

/// Each entity's label in `lang` (the dictionary's), for grouping variables by entity.
fn entity_labels(state: &AppState, lang: &str) -> Vec<(String, String)> {
    state
        .dict
        .entities
        .values()
        .map(|e| (e.id.clone(), e.label.get(lang).to_string()))
        .collect()
}

/// The overlap table as a dashboard table: one row per pattern of lists, with its count.
fn overlap_as_table(
    ov: &tessera_analysis::OverlapTable,
    name: &dyn Fn(&str) -> String,
    lang: &str,
) -> Table {
    let rows = ov
        .patterns()
        .into_iter()
        .map(|(pattern, n)| {
            let on: Vec<&String> = ov
                .lists
                .iter()
                .zip(&pattern)
                .filter(|(_, on)| **on)
                .map(|(l, _)| l)
                .collect();
            let code = on.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("+");
            let label = on.iter().map(|l| name(l)).collect::<Vec<_>>().join(" + ");
            tessera_analysis::TableRow {
                keys: vec![tessera_analysis::Key::new(&code, &label)],
                values: vec![Some(n)],
            }
        })
        .collect();
    Table {
        id: "victim_list_overlaps".into(),
        title: if lang == "fr" {
            "Personnes par combinaison de listes (types de fournisseurs)".into()
        } else {
            "Persons by combination of lists (provider types)".into()
        },
        key_headers: vec![if lang == "fr" { "Listes" } else { "Lists" }.into()],
        value_headers: vec![if lang == "fr" { "Personnes" } else { "Persons" }.into()],
        rows,
        unit: "persons".into(),
        suppressed: false,
        drill: None,
    }
}

fn fmt(v: Option<f64>, lang: &str) -> String {
    match v {
        None => "c".into(),
        Some(x) if (x - x.round()).abs() < 1e-9 => number(x.round() as i64, lang),
        Some(x) => {
            let s = format!("{x:.1}");
            if lang == "fr" { s.replace('.', ",") } else { s }
        }
    }
}

fn query_string(q: &[(String, String)], drop: &[&str]) -> String {
    q.iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::auth::urlencode(k),
                crate::auth::urlencode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn dashboard(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if v.role() == Role::Admin {
        return Err(WebError::Forbidden);
    }
    let lang = v.lang;
    let t = messages(lang);
    let view = get(&q, "view").unwrap_or("victims").to_string();
    let filters = filters_from(&q);
    let persons = get(&q, "unit") == Some("persons");
    let (panels, headlines) = panels(&state, &v, &view, &filters, persons).await?;
    let keep = query_string(&q, &["lang"]);
    // Drill-down: a row's keys become a filter, on this dashboard and (for staff who read
    // records) on the list of records behind the row.
    let base = query_string(&q, &["lang", "expr"]);
    let records_base = query_string(&q, &["lang", "expr", "view", "unit", "entity"]);
    let reads_records = crate::RECORD_READERS.contains(&v.role());
    // Partners read the published tables as they are: no row becomes a filter.
    let drills_rows = v.role() != Role::Partner;
    let drill_expr = |cond: &str| match &filters.expr {
        Some(old) if conjuncts(old).contains(&cond) => old.clone(),
        Some(old) => format!("({old}) and {cond}"),
        None => cond.to_string(),
    };
    let panels: Vec<_> = panels
        .iter()
        .map(|p| {
            let drills: Vec<minijinja::Value> = p
                .table
                .rows
                .iter()
                .map(|r| {
                    let Some(d) = p.table.drill.as_ref().filter(|_| drills_rows) else {
                        return minijinja::Value::from(());
                    };
                    let Some(cond) = d.condition(r) else {
                        return minijinja::Value::from(());
                    };
                    let e = crate::auth::urlencode(&drill_expr(&cond));
                    minijinja::context! {
                        view => format!("/dashboard?{base}&expr={e}"),
                        records => reads_records.then(|| format!(
                            "/dashboard/records?{records_base}&entity={}&expr={e}",
                            crate::auth::urlencode(&d.entity)
                        )),
                    }
                })
                .collect();
            let headers: Vec<String> = p
                .table
                .key_headers
                .iter()
                .chain(&p.table.value_headers)
                .cloned()
                .collect();
            let rows: Vec<Vec<String>> = p.cells.clone().unwrap_or_else(|| {
                p.table
                    .rows
                    .iter()
                    .map(|r| {
                        r.keys
                            .iter()
                            .map(|k| k.label.clone())
                            .chain(r.values.iter().map(|x| fmt(*x, lang)))
                            .collect()
                    })
                    .collect()
            });
            // What the table counts, said once under its title.
            let counts = match p.table.unit.as_str() {
                // Durations are medians over the cases, not counts.
                _ if p.id == "cj_durations" => t.get("dash-counts-medians"),
                "persons" => t.get("dash-counts-persons"),
                "records" => t.get("dash-counts-records"),
                _ => None,
            }
            .cloned()
            // Data quality reads every record sent, approved or not, as percentages.
            .filter(|_| p.cells.is_none() && view != "quality")
            .map(|c| match p.multi {
                true => format!(
                    "{c} {}",
                    t.get("dash-counts-multi").cloned().unwrap_or_default()
                ),
                false => c,
            });
            minijinja::context! {
                id => &p.id, title => &p.title, counts,
                // Key columns read left-aligned, figures right-aligned (the plan's rows, written
                // by the view, align its year and status with the figures).
                nkeys => if p.cells.is_some() { 1 } else { p.table.key_headers.len() },
                svg => p.svg.clone().map(minijinja::Value::from_safe_string),
                headers, rows, drills, suppressed => p.table.suppressed,
                csv => format!("/dashboard.csv?{}&table={}", keep, crate::auth::urlencode(&p.id)),
            }
        })
        .collect();
    let views: Vec<_> = VIEWS
        .iter()
        .filter(|w| v.role() != Role::Partner || !matches!(**w, "quality" | "nap" | "estimate"))
        .filter(|w| **w != "estimate" || matches!(v.role(), Role::Coordinator | Role::Analyst))
        .map(|w| minijinja::context! { id => w, label => t.get(&format!("dash-{w}")).cloned().unwrap_or_default(), current => **w == view })
        .collect();
    let sexes: Vec<_> = state
        .dict
        .codelist("sex")
        .map(|l| {
            l.codes
                .iter()
                .map(|c| minijinja::context! { code => &c.code, label => c.label.get(lang), selected => filters.sex.contains(&c.code) })
                .collect()
        })
        .unwrap_or_default();
    let ptypes: Vec<_> = state
        .dict
        .codelist("provider_type")
        .map(|l| {
            l.codes
                .iter()
                .map(|c| minijinja::context! { code => &c.code, label => c.label.get(lang), selected => filters.provider_types.contains(&c.code) })
                .collect()
        })
        .unwrap_or_default();
    state.render(
        lang,
        Some(&v),
        "dashboard.html",
        minijinja::context! {
            view, views, panels, headlines => headlines.iter().map(|h| minijinja::context! { label => &h.label, value => &h.value, detail => &h.detail }).collect::<Vec<_>>(),
            year_from => filters.year_from, year_to => filters.year_to, expr => filters.expr.clone().unwrap_or_default(),
            sexes, ptypes, partner => v.role() == Role::Partner, persons,
            counts_persons => !matches!(v.role(), Role::FocalPoint | Role::Viewer),
            nap_page => view == "nap" && crate::nap::NAP_READERS.contains(&v.role()),
        },
    )
}

/// The top-level `and` terms of a filter, each without one enclosing pair of parentheses: a
/// drill-down adds its condition only when it is not already one of them.
fn conjuncts(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'(' | b'[' if !quoted => depth += 1,
            b')' | b']' if !quoted => depth -= 1,
            b' ' if !quoted && depth == 0 && expr[i..].starts_with(" and ") => {
                out.push(&expr[start..i]);
                start = i + 5;
                i += 4;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&expr[start..]);
    out.into_iter()
        .map(|t| {
            let t = t.trim();
            match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
                Some(inner) if conjuncts_balanced(inner) => inner.trim(),
                _ => t,
            }
        })
        .collect()
}

/// Whether parentheses outside quotes balance without going negative.
fn conjuncts_balanced(s: &str) -> bool {
    let (mut depth, mut quoted) = (0i32, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Records behind a dashboard row (`GET /dashboard/records?entity=…&<filters>`): staff with
/// case-level access only, and a provider's users only ever get their own records. Audited.
pub async fn dashboard_records(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !crate::RECORD_READERS.contains(&v.role()) {
        return Err(WebError::Forbidden);
    }
    let access = v.access()?;
    let lang = v.lang;
    let entity = get(&q, "entity").unwrap_or("victim").to_string();
    let ent = state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    let filters = filters_from(&q);
    let facts = state.facts.get(&state.store, &state.dict).await?;
    // Every record behind the row, a page at a time (`?page=`).
    let ids = tessera_analysis::drill(&facts, &entity, &access, &filters, usize::MAX)?;
    let path = "/dashboard/records";
    let (offset, pager) = crate::paging::numbered(lang, path, &q, DRILL_PAGE, ids.len());
    let total = ids.len();
    // Read through the store with the same access: the facts are never the last word.
    let ids: Vec<i64> = ids.into_iter().skip(offset).take(DRILL_PAGE).collect();
    let rows = state.store.records_by_id(&access, &ids).await?;
    state
        .store
        .audit(
            &v.user.username,
            actions::RECORD_DRILL,
            &format!("records/{entity}"),
            &format!(
                "{{\"filter\":{},\"rows\":{}}}",
                serde_json::Value::from(filters.expr.clone().unwrap_or_default()),
                rows.len()
            ),
        )
        .await?;
    let (headers, items) = crate::pages::record_rows(&state, ent, &rows, lang);
    let back = format!(
        "/dashboard?{}",
        query_string(&q, &["lang", "entity", "page"])
    );
    state.render(
        lang,
        Some(&v),
        "drill.html",
        minijinja::context! {
            entity_label => ent.label.get(lang), headers, items, back, pager,
            filter => filters.expr.clone().unwrap_or_default(),
            shown => number(total as i64, lang),
        },
    )
}

/// Records listed on a page behind one dashboard row.
const DRILL_PAGE: usize = 100;

/// One table of a dashboard as CSV (suppressed cells written `c`; formulas neutralised).
pub async fn dashboard_csv(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if v.role() == Role::Admin {
        return Err(WebError::Forbidden);
    }
    let view = get(&q, "view").unwrap_or("victims").to_string();
    let id = get(&q, "table").ok_or(WebError::NotFound)?.to_string();
    let persons = get(&q, "unit") == Some("persons");
    let (panels, _) = panels(&state, &v, &view, &filters_from(&q), persons).await?;
    let p = panels
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(WebError::NotFound)?;
    let name: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tessera-{name}.csv\""),
            ),
        ],
        p.table.to_csv(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_drill_down_condition_is_added_once_and_only_at_the_top_level() {
        use super::conjuncts;
        assert_eq!(conjuncts(r#"sex = "F""#), [r#"sex = "F""#]);
        assert_eq!(
            conjuncts(r#"(sex = "F") and year = 2024"#),
            [r#"sex = "F""#, "year = 2024"]
        );
        // Inside a group or a negation it is not a top-level term.
        assert_eq!(
            conjuncts(r#"(a = "x" or b = "y" and sex = "F")"#),
            [r#"a = "x" or b = "y" and sex = "F""#]
        );
        assert_eq!(conjuncts(r#"not (sex = "F")"#), [r#"not (sex = "F")"#]);
        assert_eq!(
            conjuncts(r#"(a = "1") or (b = "2")"#),
            [r#"(a = "1") or (b = "2")"#]
        );
        // " and " inside a quoted value does not split.
        assert_eq!(conjuncts(r#"name = "a and b""#), [r#"name = "a and b""#]);
    }
}
