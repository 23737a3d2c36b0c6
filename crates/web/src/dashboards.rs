//! Dashboards: victims, flows, the criminal-justice funnel, smuggling of migrants, data quality
//! and the National Action Plan — charts drawn as SVG on the server (they print and need no
//! JavaScript), each with its table and a CSV download. Numbers come from the analysis crate
//! over approved data, for the user's scope: a provider's own records, every provider's for
//! national staff, suppressed national aggregates for partners.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tessera_analysis::{
    AnalysisError, Filters, NapPlan, Scope, Table, Unit, flows, funnel, nap_progress, quality,
    smuggling, svg, victims,
};
use tessera_dictionary::Role;
use tessera_store::Access;

use crate::i18n::{messages, number};
use crate::{AppState, Viewer, WebError};

/// The views, in menu order.
pub const VIEWS: &[&str] = &["victims", "flows", "funnel", "smuggling", "quality", "nap"];

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
}

fn panel(table: &Table, chart: Option<tessera_analysis::Chart>) -> Panel {
    Panel {
        id: table.id.clone(),
        title: table.title.clone(),
        svg: chart.map(|c| c.svg),
        table: table.clone(),
    }
}

fn scope_for(v: &Viewer) -> Result<Scope, WebError> {
    match Access::for_user(&v.user) {
        Ok(a) => Ok(Scope::Internal(a)),
        Err(_) => Ok(Scope::partner()),
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
) -> Result<(Vec<Panel>, Vec<(String, String)>), WebError> {
    let lang = v.lang;
    let t = messages(lang);
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let scope = scope_for(v)?;
    let staff_access = match &scope {
        Scope::Internal(a) => Some(a.clone()),
        Scope::Partner { .. } => None,
    };
    let headline = |key: &str, n: Option<f64>| {
        (
            t.get(key).cloned().unwrap_or_default(),
            n.map(|x| number(x.round() as i64, lang))
                .unwrap_or_else(|| "c".into()),
        )
    };
    Ok(match view {
        "victims" => {
            let d = victims(&facts, &scope, filters, Unit::Records, lang)?;
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
            (p, vec![headline("dash-total-victims", d.total)])
        }
        "flows" => {
            let d = flows(&facts, "victim", &scope, filters, Unit::Records, lang)?;
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
            let d = smuggling(&facts, &scope, filters, Unit::Records, lang)?;
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
                vec![
                    headline("dash-incidents", d.incidents),
                    headline("dash-migrants", d.migrants),
                    headline("dash-deaths", d.deaths),
                    headline("dash-injuries", d.injuries),
                ],
            )
        }
        "quality" => {
            let access = staff_access.ok_or(WebError::Forbidden)?;
            let timeliness = state.store.timeliness().await?;
            let q = quality(&facts, &access, &timeliness, None, lang)?;
            (
                vec![
                    panel(&q.trend, Some(svg::line(&q.trend, lang))),
                    panel(&q.variables, Some(svg::bar(&q.variables, lang))),
                ],
                vec![],
            )
        }
        "nap" => {
            let access = staff_access.ok_or(WebError::Forbidden)?;
            let Some(text) = state.store.setting("nap_plan").await? else {
                return Ok((vec![], vec![]));
            };
            let plan = NapPlan::from_toml(&text, &state.dict)?;
            let timeliness = state.store.timeliness().await?;
            let r = nap_progress(&facts, &plan, &access, &timeliness, lang)?;
            (vec![panel(&r.table, None)], vec![])
        }
        _ => return Err(WebError::NotFound),
    })
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
    let (panels, headlines) = panels(&state, &v, &view, &filters).await?;
    let keep = query_string(&q, &["lang"]);
    let panels: Vec<_> = panels
        .iter()
        .map(|p| {
            let headers: Vec<String> = p
                .table
                .key_headers
                .iter()
                .chain(&p.table.value_headers)
                .cloned()
                .collect();
            let rows: Vec<Vec<String>> = p
                .table
                .rows
                .iter()
                .map(|r| {
                    r.keys
                        .iter()
                        .map(|k| k.label.clone())
                        .chain(r.values.iter().map(|x| fmt(*x, lang)))
                        .collect()
                })
                .collect();
            minijinja::context! {
                id => &p.id, title => &p.title,
                svg => p.svg.clone().map(minijinja::Value::from_safe_string),
                headers, rows, suppressed => p.table.suppressed,
                csv => format!("/dashboard.csv?{}&table={}", keep, crate::auth::urlencode(&p.id)),
            }
        })
        .collect();
    let views: Vec<_> = VIEWS
        .iter()
        .filter(|w| v.role() != Role::Partner || !matches!(**w, "quality" | "nap"))
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
            view, views, panels, headlines => headlines.iter().map(|(k, n)| minijinja::context! { label => k, value => n }).collect::<Vec<_>>(),
            year_from => filters.year_from, year_to => filters.year_to, expr => filters.expr.clone().unwrap_or_default(),
            sexes, ptypes, partner => v.role() == Role::Partner,
        },
    )
}

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
    let (panels, _) = panels(&state, &v, &view, &filters_from(&q)).await?;
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
