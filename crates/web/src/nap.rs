//! The National Action Plan's page (`/nap`): every indicator by pillar with its baseline,
//! targets, direction and measure. The coordination body owns the plan: coordinators change an
//! indicator's baseline and targets — the stored plan rewritten by
//! [`tessera_analysis::nap::edit_targets`], the one format `tessera nap load` reads — and enter
//! the figures of indicators measured from activity records (`measure = "entered"`), as
//! `tessera nap value` does. Analysts and administrators read the page (the plan and those
//! figures are no case data); focal points, provider viewers and partners have no part in it.
//! Progress and status are on the dashboard's `nap` view, which reads the same setting and
//! figures. Every change is audited (`nap.edit_targets`, `nap.set_value`).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_analysis::nap::{
    self, Baseline, IndicatorDef, MeasureKind, NapPlan, PILLARS, parse_figure, parse_year,
};
use tessera_dictionary::Role;
use tessera_store::{NapEntry, StoreError, actions};

use crate::i18n::{Arg, number, tr};
use crate::{AppState, Viewer, WebError};

/// Who reads the page.
pub const NAP_READERS: &[Role] = &[Role::Coordinator, Role::Analyst, Role::Admin];
/// Who changes the plan and enters its figures: the coordination body.
pub const NAP_EDITORS: &[Role] = &[Role::Coordinator];

/// The setting that holds the plan's TOML (`tessera nap load`).
const PLAN: &str = "nap_plan";
/// Empty rows offered under an indicator's targets, for years to add.
const NEW_ROWS: usize = 2;
/// Longest note kept with a figure.
const NOTE_MAX: usize = 500;
/// Attempts at saving a change when another writer changed the plan in between.
const ATTEMPTS: usize = 3;

/// Notices after a change (`?done=`).
const DONE: &[&str] = &["targets", "unchanged", "figure", "cleared"];

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What the page says after a change, and the form a refusal sends back as typed.
#[derive(Default)]
struct Feedback {
    notice: Option<String>,
    error: Option<String>,
    status: Option<StatusCode>,
    /// The indicator whose form was refused, which form (`targets` or the year of a figure)
    /// and the values as sent.
    refused: Option<(String, Refused)>,
}

enum Refused {
    Targets(Vec<(String, String)>),
    Figure(i32, Vec<(String, String)>),
}

fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn fields<'a>(form: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// An indicator's id as one segment of a path or a fragment.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A figure as the page shows it: grouped digits, up to three decimals, the locale's comma.
fn shown(x: f64, lang: &str) -> String {
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        return number(x.round() as i64, lang);
    }
    let s = tessera_analysis::table::format_number(x);
    if lang == "fr" { s.replace('.', ",") } else { s }
}

/// A figure as a number input holds it: a dot, no grouping, every digit stored (the shortest
/// text that reads back as the same number), so saving a form unchanged changes nothing.
fn typed(x: f64) -> String {
    format!("{x}")
}

/// The stored plan, checked; `None` when none is loaded.
async fn stored(state: &AppState) -> Result<Option<(String, NapPlan)>, WebError> {
    let Some(text) = state.store.setting(PLAN).await? else {
        return Ok(None);
    };
    let plan = NapPlan::from_toml(&text, &state.dict)?;
    Ok(Some((text, plan)))
}

fn no_plan(lang: &str) -> WebError {
    WebError::BadRequest(tr(lang, "nap-none", &[]))
}

/// `GET /nap`.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    v.require(NAP_READERS)?;
    let notice = q
        .done
        .as_deref()
        .filter(|d| DONE.contains(d))
        .map(|d| tr(v.lang, &format!("done-nap-{d}"), &[]));
    render(
        &state,
        &v,
        Feedback {
            notice,
            ..Feedback::default()
        },
    )
    .await
}

async fn render(state: &AppState, v: &Viewer, fb: Feedback) -> Result<Response, WebError> {
    v.require(NAP_READERS)?;
    let lang = v.lang;
    let can_edit = NAP_EDITORS.contains(&v.role());
    let plan = stored(state).await?.map(|(_, p)| p);
    let entries = state.store.nap_entries().await?;
    let pillars: Vec<minijinja::Value> = match &plan {
        None => Vec::new(),
        Some(plan) => PILLARS
            .iter()
            .filter_map(|(pillar, ..)| {
                let indicators: Vec<minijinja::Value> = plan
                    .indicators
                    .iter()
                    .filter(|(d, ..)| d.pillar == *pillar)
                    .map(|(d, _, _, targets)| indicator(lang, d, targets, &entries, &fb))
                    .collect();
                (!indicators.is_empty()).then(|| {
                    minijinja::context! {
                        id => pillar,
                        label => tr(lang, &format!("nap-pillar-{pillar}"), &[]),
                        indicators,
                    }
                })
            })
            .collect(),
    };
    let ctx = minijinja::context! {
        loaded => plan.is_some(),
        plan_id => plan.as_ref().map(|p| p.head.id.clone()),
        plan_title => plan.as_ref().map(|p| p.head.title.get(lang).to_string()),
        pillars,
        can_edit,
        // Administrators have no dashboards.
        dashboard => v.role() != Role::Admin,
        notice => fb.notice,
        error => fb.error,
    };
    let mut resp = state.render(lang, Some(v), "nap.html", ctx)?;
    if let Some(s) = fb.status {
        *resp.status_mut() = s;
    }
    Ok(resp)
}

/// One indicator as the page shows it.
fn indicator(
    lang: &str,
    d: &IndicatorDef,
    targets: &std::collections::BTreeMap<i32, f64>,
    entries: &[NapEntry],
    fb: &Feedback,
) -> minijinja::Value {
    let entered = d.measure == MeasureKind::Entered;
    let refused = fb
        .refused
        .as_ref()
        .filter(|(id, _)| *id == d.id)
        .map(|r| &r.1);
    let measure = serde_json::to_value(d.measure)
        .ok()
        .and_then(|m| m.as_str().map(str::to_string))
        .unwrap_or_default();
    let direction = match d.direction {
        nap::Direction::Increase => "increase",
        nap::Direction::Decrease => "decrease",
    };
    let baseline = match d.baseline.value {
        Some(x) => shown(x, lang),
        None if entered => tr(lang, "nap-baseline-from-figure", &[]),
        None => tr(lang, "nap-baseline-from-data", &[]),
    };
    // The targets' form: as stored, or as sent when it was refused.
    let (base_year, base_value, rows) = match refused {
        Some(Refused::Targets(form)) => {
            let years = fields(form, "target_year");
            let values = fields(form, "target_value");
            let rows: Vec<(String, String)> = (0..years.len().max(values.len()))
                .map(|i| {
                    (
                        years.get(i).copied().unwrap_or("").to_string(),
                        values.get(i).copied().unwrap_or("").to_string(),
                    )
                })
                .collect();
            (
                field(form, "baseline_year").to_string(),
                field(form, "baseline_value").to_string(),
                rows,
            )
        }
        _ => {
            let mut rows: Vec<(String, String)> = targets
                .iter()
                .map(|(y, v)| (y.to_string(), typed(*v)))
                .collect();
            rows.extend((0..NEW_ROWS).map(|_| (String::new(), String::new())));
            (
                d.baseline.year.to_string(),
                d.baseline.value.map(typed).unwrap_or_default(),
                rows,
            )
        }
    };
    let rows: Vec<minijinja::Value> = rows
        .into_iter()
        .enumerate()
        .map(|(n, (year, value))| minijinja::context! { n, year, value })
        .collect();
    // Figures entered by hand: every year from the baseline to the last target, and any other
    // year a figure was entered for.
    let figures: Vec<minijinja::Value> = if entered {
        let mine: Vec<&NapEntry> = entries.iter().filter(|e| e.indicator == d.id).collect();
        let last = targets
            .keys()
            .last()
            .copied()
            .unwrap_or(d.baseline.year)
            .max(d.baseline.year);
        let mut years: Vec<i32> = (d.baseline.year..=last).collect();
        years.extend(mine.iter().map(|e| e.year));
        years.sort_unstable();
        years.dedup();
        years
            .into_iter()
            .map(|year| {
                let e = mine.iter().find(|e| e.year == year);
                let (value, note) = match refused {
                    Some(Refused::Figure(y, form)) if *y == year => (
                        field(form, "value").to_string(),
                        field(form, "note").to_string(),
                    ),
                    _ => (
                        e.map(|e| typed(e.value)).unwrap_or_default(),
                        e.and_then(|e| e.note.clone()).unwrap_or_default(),
                    ),
                };
                minijinja::context! {
                    year,
                    target => targets.get(&year).map(|t| shown(*t, lang)),
                    shown => e.map(|e| shown(e.value, lang)),
                    value, note,
                    by => e.map(|e| e.entered_by.clone()),
                    has => e.is_some(),
                    label => tr(lang, "nap-figure-for", &[("year", Arg::from(year.to_string()))]),
                    note_label => tr(lang, "nap-note-for", &[("year", Arg::from(year.to_string()))]),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    minijinja::context! {
        id => &d.id,
        href => segment(&d.id),
        title => d.title.get(lang),
        measure => tr(lang, &format!("nap-measure-{measure}"), &[]),
        direction => tr(lang, &format!("nap-direction-{direction}"), &[]),
        unit => d.unit.clone().unwrap_or_else(|| match d.measure {
            MeasureKind::Share | MeasureKind::OnTimeShare => "%".into(),
            _ => String::new(),
        }),
        entity => d.entity.clone(),
        filter => d.filter.clone(),
        of => d.of.clone(),
        field => d.field.clone(),
        baseline_year => d.baseline.year,
        baseline => tr(lang, "nap-baseline-in", &[("year", Arg::from(d.baseline.year.to_string())), ("value", Arg::from(baseline))]),
        targets => targets.iter().map(|(y, t)| minijinja::context! { year => y, value => shown(*t, lang) }).collect::<Vec<_>>(),
        entered,
        figures,
        form => minijinja::context! { baseline_year => base_year, baseline_value => base_value, rows },
        open => matches!(refused, Some(Refused::Targets(_))),
    }
}

/// The answer to a refused change: the page with the sentence, the form as sent, and the
/// refusal's status. Server faults and refusals of the role stay errors of their own.
async fn refused(
    state: &AppState,
    v: &Viewer,
    e: WebError,
    id: &str,
    what: Refused,
) -> Result<Response, WebError> {
    let status = e.status();
    if !matches!(status, StatusCode::BAD_REQUEST | StatusCode::CONFLICT) {
        return Err(e);
    }
    let strip = |f: Vec<(String, String)>| -> Vec<(String, String)> {
        f.into_iter().filter(|(k, _)| k != "csrf").collect()
    };
    let what = match what {
        Refused::Targets(f) => Refused::Targets(strip(f)),
        Refused::Figure(y, f) => Refused::Figure(y, strip(f)),
    };
    render(
        state,
        v,
        Feedback {
            error: Some(e.public_message()),
            status: Some(status),
            refused: Some((id.to_string(), what)),
            ..Feedback::default()
        },
    )
    .await
}

/// `POST /nap/{id}/targets`: an indicator's baseline (year, value) and targets (year → value).
pub async fn save_targets(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(NAP_EDITORS)?;
    v.check_csrf(field(&form, "csrf"))?;
    match edit_targets(&state, &v, &id, &form).await {
        Ok(changed) => Ok(Redirect::to(&format!(
            "/nap?done={}#{}",
            if changed { "targets" } else { "unchanged" },
            segment(&id)
        ))
        .into_response()),
        Err(e) => refused(&state, &v, e, &id, Refused::Targets(form)).await,
    }
}

/// Changes one indicator's baseline and targets; `false` when they were already so.
async fn edit_targets(
    state: &AppState,
    v: &Viewer,
    id: &str,
    form: &[(String, String)],
) -> Result<bool, WebError> {
    let baseline = Baseline {
        year: parse_year(field(form, "baseline_year"))?,
        value: parse_figure(field(form, "baseline_value"))?,
    };
    let years = fields(form, "target_year");
    let values = fields(form, "target_value");
    let rows = (0..years.len().max(values.len())).map(|i| {
        (
            years.get(i).copied().unwrap_or(""),
            values.get(i).copied().unwrap_or(""),
        )
    });
    let targets = nap::targets_from_rows(rows)?;
    // Read, change, write only if nobody wrote in between (then again on what they wrote), so
    // a change to another indicator made at the same moment is never lost.
    for _ in 0..ATTEMPTS {
        let (text, plan) = stored(state).await?.ok_or_else(|| no_plan(v.lang))?;
        let before = plan.indicator(id)?.clone();
        let new = nap::edit_targets(&text, &state.dict, id, baseline.clone(), &targets)?;
        let after = NapPlan::from_toml(&new, &state.dict)?
            .indicator(id)?
            .clone();
        let json =
            |d: &IndicatorDef| serde_json::json!({ "baseline": d.baseline, "targets": d.targets });
        if json(&before) == json(&after) {
            return Ok(false);
        }
        if state.store.replace_setting(PLAN, &text, &new).await? {
            let detail = serde_json::json!({ "before": json(&before), "after": json(&after) });
            state
                .store
                .audit(
                    &v.user.username,
                    actions::NAP_EDIT_TARGETS,
                    id,
                    &detail.to_string(),
                )
                .await?;
            return Ok(true);
        }
    }
    Err(StoreError::Conflict(tr(v.lang, "nap-conflict", &[])).into())
}

/// `POST /nap/{id}/figures`: the figure of an indicator measured from activity records for one
/// year, with its source; `clear=yes` removes it.
pub async fn save_figure(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(NAP_EDITORS)?;
    v.check_csrf(field(&form, "csrf"))?;
    let (year, result) = match parse_year(field(&form, "year")) {
        Ok(year) => (year, set_figure(&state, &v, &id, year, &form).await),
        Err(e) => (0, Err(e.into())),
    };
    match result {
        Ok(cleared) => Ok(Redirect::to(&format!(
            "/nap?done={}#{}",
            if cleared { "cleared" } else { "figure" },
            segment(&id)
        ))
        .into_response()),
        Err(e) => refused(&state, &v, e, &id, Refused::Figure(year, form)).await,
    }
}

/// Enters or removes one figure; `true` when removed.
async fn set_figure(
    state: &AppState,
    v: &Viewer,
    id: &str,
    year: i32,
    form: &[(String, String)],
) -> Result<bool, WebError> {
    let clear = field(form, "clear") == "yes";
    let (_, plan) = stored(state).await?.ok_or_else(|| no_plan(v.lang))?;
    // A figure is entered only for a year the indicator is followed in; one left outside them
    // (its baseline moved since) can still be removed.
    if clear {
        plan.check_entered(id)?;
    } else {
        plan.check_figure(id, year)?;
    }
    let value = if clear {
        None
    } else {
        Some(
            parse_figure(field(form, "value"))?
                .ok_or_else(|| WebError::BadRequest(tr(v.lang, "nap-value-missing", &[])))?,
        )
    };
    let note = field(form, "note").trim();
    if note.chars().count() > NOTE_MAX {
        return Err(WebError::BadRequest(tr(
            v.lang,
            "field-too-long",
            &[
                ("field", tr(v.lang, "nap-note", &[]).into()),
                ("max", (NOTE_MAX as i64).into()),
            ],
        )));
    }
    let note = (!note.is_empty()).then_some(note);
    state
        .store
        .set_nap_value(id, year, value, note, &v.user.username)
        .await?;
    let detail = serde_json::json!({ "year": year, "value": value, "note": note });
    state
        .store
        .audit(
            &v.user.username,
            actions::NAP_SET_VALUE,
            id,
            &detail.to_string(),
        )
        .await?;
    Ok(clear)
}
