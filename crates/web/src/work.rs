//! Each role's work in front of it:
//!
//! - the home page of a provider's users (`GET /` for focal points and viewers): the periods
//!   due for the provider with their deadline and days left or overdue, the submissions the
//!   coordinator returned with the comment saying what to fix, the last uploads' reports (new,
//!   updated, unchanged records; what reading repaired), and one call to action;
//! - a submission's page (`GET /submissions/{id}`), the coordinator's review: its records a page
//!   at a time, data-quality flags against the provider's previous periods, the diff to the
//!   previous version, and approve or return through a confirmation step
//!   (`POST /submissions/{id}/confirm`, then `POST /submissions/{id}/approve|return`).
//!
//! Every figure and rule comes from the store (`provider_work`, `uploads`,
//! `submission_quality`, `submission_diff`, `workflow::check_decision`); this module only lays
//! them out.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tessera_dictionary::Role;
use tessera_store::{
    Access, Actor, PeriodWork, QualityFlag, StoreError, Submission, SubmissionAction,
    SubmissionStatus, Upload, actions, workflow,
};

use crate::i18n::{Arg, date, number, tr};
use crate::pages::submission_access;
use crate::{AppState, RECORD_READERS, Viewer, WebError};

/// Uploads reported on the home page.
const UPLOADS_SHOWN: i64 = 3;
/// Records of a submission listed per page.
const RECORDS_PAGE: i64 = 50;

fn day(at: time::OffsetDateTime, lang: &str) -> String {
    date(&at.date().to_string(), lang)
}

/// A mean with one decimal, written as the language writes it (2.5 / 2,5).
fn decimal(x: f64, lang: &str) -> String {
    let s = format!("{x:.1}");
    if lang == "fr" { s.replace('.', ",") } else { s }
}

fn status_label(lang: &str, s: SubmissionStatus) -> String {
    tr(lang, &format!("status-{}", s.as_str()), &[])
}

fn entity_label(state: &AppState, entity: &str, lang: &str) -> String {
    state
        .dict
        .entity(entity)
        .map(|e| e.label.get(lang).to_string())
        .unwrap_or_else(|| entity.to_string())
}

fn variable_label(state: &AppState, entity: &str, code: &str, lang: &str) -> String {
    state
        .dict
        .entity(entity)
        .and_then(|e| e.variable(code))
        .map(|v| v.label.get(lang).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// Where a period stands, in one short sentence.
fn period_state(w: &PeriodWork, lang: &str) -> (&'static str, String) {
    let status = w.latest.as_ref().map(|s| s.status);
    if status == Some(SubmissionStatus::Returned) {
        return ("returned", tr(lang, "work-state-returned", &[]));
    }
    if let Some(d) = w.days_overdue {
        return (
            "overdue",
            tr(lang, "work-state-overdue", &[("days", Arg::Num(d))]),
        );
    }
    if let Some(d) = w.days_left {
        return ("due", tr(lang, "work-state-left", &[("days", Arg::Num(d))]));
    }
    match w.days_late {
        Some(d) if d > 0 => (
            "late",
            tr(lang, "work-state-sent-late", &[("days", Arg::Num(d))]),
        ),
        Some(_) => ("ontime", tr(lang, "work-state-sent-ontime", &[])),
        None => ("due", String::new()),
    }
}

fn upload_ctx(state: &AppState, u: &Upload, lang: &str) -> minijinja::Value {
    let result = if u.stored() {
        tr(
            lang,
            "work-upload-stored",
            &[
                ("rows", Arg::Num(u.rows)),
                ("inserted", Arg::Num(u.inserted)),
                ("updated", Arg::Num(u.updated)),
                ("unchanged", Arg::Num(u.unchanged)),
            ],
        )
    } else {
        tr(
            lang,
            "work-upload-refused",
            &[("errors", Arg::Num(u.errors))],
        )
    };
    minijinja::context! {
        file => &u.file_name,
        entity => entity_label(state, &u.entity, lang),
        at => day(u.at, lang),
        actor => &u.actor,
        stored => u.stored(),
        result,
        notes => u.notes_in(lang),
        submission => u.submission_id,
    }
}

/// `GET /` for a provider's focal points and viewers: what is due, what came back and why,
/// what the last uploads did, and what to do next.
pub async fn provider_home(state: &AppState, v: &Viewer) -> Result<Response, WebError> {
    let lang = v.lang;
    let access = v.access()?;
    let pid = v.user.provider_id.clone().ok_or(WebError::Forbidden)?;
    let provider = state
        .store
        .provider(&pid)
        .await?
        .ok_or(WebError::NotFound)?;
    let work = state.store.provider_work(&access, &pid).await?;
    let uploads = state.store.uploads(&access, &pid, UPLOADS_SHOWN).await?;
    let focal = v.role() == Role::FocalPoint;
    // What is left to do first, most urgent first; then what was sent, newest first.
    let mut listed: Vec<&PeriodWork> = work.iter().filter(|w| w.to_do()).collect();
    listed.extend(work.iter().rev().filter(|w| !w.to_do()));
    let periods: Vec<minijinja::Value> = listed
        .into_iter()
        .map(|w| {
            let (class, state_text) = period_state(w, lang);
            minijinja::context! {
                id => &w.period.id,
                due => date(&w.period.due_on.to_string(), lang),
                status => w.latest.as_ref().map(|s| s.status.as_str()).unwrap_or("none"),
                status_label => w.latest.as_ref().map(|s| status_label(lang, s.status)).unwrap_or_else(|| tr(lang, "work-not-started", &[])),
                class, state => state_text,
                records => number(w.records, lang),
                submission => w.latest.as_ref().map(|s| s.id),
                version => w.latest.as_ref().map(|s| s.version),
                todo => w.to_do(),
                upload => format!("/upload?period={}", crate::auth::urlencode(&w.period.id)),
            }
        })
        .collect();
    let returned: Vec<minijinja::Value> = work
        .iter()
        .filter_map(|w| {
            let s = w.latest.as_ref()?;
            let r = w.returned.as_ref()?;
            Some(minijinja::context! {
                submission => s.id, period => &w.period.id, sub_version => s.version,
                comment => r.comment.as_deref().unwrap_or(""),
                by => tr(lang, "work-returned-by", &[("by", Arg::Str(r.actor.clone())), ("at", Arg::Str(day(r.at, lang)))]),
                due => date(&w.period.due_on.to_string(), lang),
            })
        })
        .collect();
    let action = next_action(&work, lang, focal);
    state.render(
        lang,
        Some(v),
        "home_provider.html",
        minijinja::context! {
            provider => provider.name_in(lang),
            focal,
            periods,
            returned,
            action,
            uploads => uploads.iter().map(|u| upload_ctx(state, u, lang)).collect::<Vec<_>>(),
        },
    )
}

/// The one thing to do next: correct a returned submission, submit a draft, send a period's
/// data — the most urgent first (the store lists periods by due date).
fn next_action(work: &[PeriodWork], lang: &str, focal: bool) -> minijinja::Value {
    let returned = work
        .iter()
        .find(|w| w.latest.as_ref().map(|s| s.status) == Some(SubmissionStatus::Returned));
    if let Some(w) = returned
        && let Some(s) = &w.latest
    {
        return minijinja::context! {
            kind => "returned",
            title => tr(lang, "work-cta-returned", &[("period", Arg::Str(w.period.id.clone()))]),
            text => tr(lang, "work-cta-returned-text", &[]),
            primary => focal.then(|| minijinja::context! { href => format!("/upload?period={}", crate::auth::urlencode(&w.period.id)), label => tr(lang, "work-upload-corrected", &[]) }),
            secondary => minijinja::context! { href => format!("/submissions/{}", s.id), label => tr(lang, "work-open-submission", &[]) },
        };
    }
    let draft = work.iter().find(|w| {
        w.latest.as_ref().map(|s| s.status) == Some(SubmissionStatus::Draft) && w.records > 0
    });
    if let Some(w) = draft
        && let Some(s) = &w.latest
    {
        return minijinja::context! {
            kind => "draft",
            title => tr(lang, "work-cta-draft", &[("period", Arg::Str(w.period.id.clone())), ("records", Arg::Num(w.records))]),
            text => tr(lang, "work-cta-draft-text", &[]),
            primary => focal.then(|| minijinja::context! { href => format!("/submissions/{}", s.id), label => tr(lang, "work-review-submit", &[]) }),
        };
    }
    let due = work.iter().find(|w| w.to_do());
    if let Some(w) = due {
        let when = match (w.days_left, w.days_overdue) {
            (Some(d), _) => tr(lang, "work-state-left", &[("days", Arg::Num(d))]),
            (_, Some(d)) => tr(lang, "work-state-overdue", &[("days", Arg::Num(d))]),
            _ => String::new(),
        };
        return minijinja::context! {
            kind => if w.days_overdue.is_some() { "overdue" } else { "due" },
            title => tr(lang, "work-cta-due", &[
                ("period", Arg::Str(w.period.id.clone())),
                ("due", Arg::Str(date(&w.period.due_on.to_string(), lang))),
            ]),
            text => when,
            primary => focal.then(|| minijinja::context! { href => format!("/upload?period={}", crate::auth::urlencode(&w.period.id)), label => tr(lang, "work-upload", &[]) }),
            secondary => focal.then(|| minijinja::context! { href => "/records/new", label => tr(lang, "work-enter", &[]) }),
        };
    }
    minijinja::context! {
        kind => "done",
        title => tr(lang, "work-cta-done", &[]),
        text => tr(lang, "work-cta-done-text", &[]),
    }
}

#[derive(Deserialize)]
pub struct SubmissionQuery {
    entity: Option<String>,
    after: Option<i64>,
    done: Option<String>,
}

fn flag_ctx(state: &AppState, f: &QualityFlag, lang: &str) -> minijinja::Value {
    let pct = |x: f64| Arg::Num((x * 100.0).round() as i64);
    match f {
        QualityFlag::CountChange {
            entity,
            now,
            before,
        } => minijinja::context! {
            kind => "count",
            text => tr(lang, "review-flag-count", &[
                ("entity", Arg::Str(entity_label(state, entity, lang))),
                ("now", Arg::Num(*now)),
                ("before", Arg::Str(decimal(*before, lang))),
            ]),
        },
        QualityFlag::CompletenessDrop {
            entity,
            variable,
            now,
            before,
        } => minijinja::context! {
            kind => "completeness",
            text => tr(lang, "review-flag-completeness", &[
                ("entity", Arg::Str(entity_label(state, entity, lang))),
                ("variable", Arg::Str(variable_label(state, entity, variable, lang))),
                ("now", pct(*now)),
                ("before", pct(*before)),
            ]),
        },
    }
}

/// What the review page shows of a submission: everything but the forms.
struct Review {
    sub: Submission,
    ctx: minijinja::Value,
}

async fn review(
    state: &AppState,
    v: &Viewer,
    id: i64,
    q: &SubmissionQuery,
) -> Result<Review, WebError> {
    let access = submission_access(v)?;
    let lang = v.lang;
    let s = state
        .store
        .submission_for(&access, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let provider_name = match tessera_dictionary::ProviderId::parse(&s.provider_id) {
        Ok(p) => state
            .store
            .provider(&p)
            .await?
            .map(|p| p.name_in(lang).to_string()),
        Err(_) => None,
    }
    .unwrap_or_else(|| s.provider_id.clone());
    let events: Vec<_> = state
        .store
        .submission_events(&access, id)
        .await?
        .into_iter()
        .map(|e| {
            minijinja::context! {
                to => tr(lang, &format!("status-{}", e.to), &[]),
                status => e.to, actor => e.actor, comment => e.comment,
                at => day(e.at, lang),
            }
        })
        .collect();
    let returned = if s.status == SubmissionStatus::Returned {
        state.store.last_return(&access, id).await?.map(|r| {
            minijinja::context! {
                comment => r.comment.unwrap_or_default(),
                by => tr(lang, "work-returned-by", &[("by", Arg::Str(r.actor)), ("at", Arg::Str(day(r.at, lang)))]),
            }
        })
    } else {
        None
    };
    let counts = state.store.submission_counts(&access, id).await?;
    let total: i64 = counts.values().sum();
    let quality = state.store.submission_quality(&access, id).await?;
    let flags: Vec<_> = quality
        .flags
        .iter()
        .map(|f| flag_ctx(state, f, lang))
        .collect();
    let compared = if quality.compared_with.is_empty() {
        tr(lang, "review-quality-first", &[])
    } else {
        tr(
            lang,
            "review-quality-compared",
            &[("periods", Arg::Str(quality.compared_with.join(", ")))],
        )
    };
    let quality_rows: Vec<_> = quality
        .counts
        .iter()
        .map(|(e, now, before)| {
            minijinja::context! {
                entity => entity_label(state, e, lang),
                now => number(*now, lang),
                before => (!quality.compared_with.is_empty()).then(|| decimal(*before, lang)),
                flagged => quality.flags.iter().any(|f| matches!(f, QualityFlag::CountChange { entity, .. } if entity == e)),
            }
        })
        .collect();
    // Case-level lists (the records, the references in the diff) for the roles that read
    // records; the counts for everyone who sees the submission.
    let reader = RECORD_READERS.contains(&v.role());
    let diff = state.store.submission_diff(&access, id).await?.map(|d| {
        let list = |l: &[tessera_store::DiffRecord]| -> Vec<minijinja::Value> {
            if !reader {
                return Vec::new();
            }
            l.iter()
                .map(|r| {
                    minijinja::context! {
                        id => r.id, reference => &r.provider_ref,
                        entity => entity_label(state, &r.entity, lang),
                        fields => r.fields.iter().map(|f| variable_label(state, &r.entity, f, lang)).collect::<Vec<_>>().join(", "),
                    }
                })
                .collect()
        };
        minijinja::context! {
            previous => d.previous.id, previous_version => d.previous.version,
            summary => tr(lang, "review-diff-summary", &[
                ("version", Arg::Num(d.previous.version)),
                ("added", Arg::Num(d.added_total as i64)),
                ("changed", Arg::Num(d.changed_total as i64)),
                ("kept", Arg::Num(d.kept)),
            ]),
            added => list(&d.added), changed => list(&d.changed),
            more_added => d.added_total > d.added.len() && reader,
            more_changed => d.changed_total > d.changed.len() && reader,
        }
    });
    let mut records = None;
    if reader && total > 0 {
        let rec_access: Access = v.access()?;
        let mut entities: Vec<&String> = counts.keys().collect();
        entities.sort_by_key(|e| {
            crate::pages::ENTITY_COLUMNS
                .iter()
                .position(|c| c == e)
                .unwrap_or(usize::MAX)
        });
        let current = q
            .entity
            .as_deref()
            .filter(|e| counts.contains_key(*e))
            .or(entities.first().map(|e| e.as_str()))
            .unwrap_or("victim")
            .to_string();
        let after = q.after.unwrap_or(0).max(0);
        let rows = state
            .store
            .submission_records(&rec_access, id, &current, after, RECORDS_PAGE)
            .await?;
        state
            .store
            .audit(
                &v.user.username,
                actions::RECORD_LIST,
                &format!("submission/{id}/{current}"),
                &format!("{{\"after\":{after},\"rows\":{}}}", rows.len()),
            )
            .await?;
        let next = (rows.len() as i64 == RECORDS_PAGE)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        let (headers, items) = match state.dict.entity(&current) {
            Some(ent) => crate::pages::record_rows(state, ent, &rows, lang),
            None => (Vec::new(), Vec::new()),
        };
        let params: Vec<(String, String)> = [("entity".to_string(), current.clone())]
            .into_iter()
            .chain(q.after.map(|a| ("after".to_string(), a.to_string())))
            .collect();
        let pager = crate::paging::keyset(
            lang,
            &format!("/submissions/{id}"),
            &params,
            "after",
            next,
            rows.len(),
            counts.get(&current).map(|n| *n as usize),
        );
        records = Some(minijinja::context! {
            tabs => entities.iter().map(|e| minijinja::context! {
                id => e, label => entity_label(state, e, lang),
                n => number(counts.get(*e).copied().unwrap_or(0), lang),
                current => **e == current,
            }).collect::<Vec<_>>(),
            headers, items, pager,
        });
    }
    let timeliness = state
        .store
        .timeliness()
        .await?
        .into_iter()
        .find(|t| t.provider_id == s.provider_id && t.period_id == s.period_id);
    let lateness = timeliness.and_then(|t| {
        let first = t.first_submitted_at?;
        let late = t.days_late.unwrap_or(0);
        Some(if late > 0 {
            tr(
                lang,
                "review-first-late",
                &[
                    ("date", Arg::Str(day(first, lang))),
                    ("days", Arg::Num(late)),
                ],
            )
        } else {
            tr(
                lang,
                "review-first-ontime",
                &[("date", Arg::Str(day(first, lang)))],
            )
        })
    });
    let done = match q.done.as_deref() {
        Some("approve") => Some(tr(lang, "review-done-approve", &[])),
        Some("return") => Some(tr(lang, "review-done-return", &[])),
        Some("submit") => Some(tr(lang, "review-done-submit", &[])),
        _ => None,
    };
    let ctx = minijinja::context! {
        id => s.id, provider => &s.provider_id, provider_name, period => &s.period_id,
        // Not `version`: the page's footer names the dictionary's version under that key.
        sub_version => s.version,
        status => s.status.as_str(), status_label => status_label(lang, s.status),
        submitted => s.submitted_at.map(|d| day(d, lang)),
        lateness, returned, events,
        counts => counts.iter().map(|(e, n)| tr(lang, "review-entity-count", &[("entity", Arg::Str(entity_label(state, e, lang))), ("n", Arg::Str(number(*n, lang)))])).collect::<Vec<_>>().join(", "),
        total => number(total, lang),
        flags, compared, quality_rows, diff, records, done,
    };
    Ok(Review { sub: s, ctx })
}

/// `GET /submissions/{id}`: the submission with everything needed to decide on it.
pub async fn submission(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<SubmissionQuery>,
) -> Result<Response, WebError> {
    let r = review(&state, &v, id, &q).await?;
    render_review(&state, &v, r, None, "").await
}

async fn render_review(
    state: &AppState,
    v: &Viewer,
    r: Review,
    error: Option<String>,
    comment: &str,
) -> Result<Response, WebError> {
    // The buttons shown are the moves the store's rule would allow.
    let actor = Actor::User(&v.user);
    let allowed = |a: SubmissionAction| workflow::check_decision(&actor, &r.sub, &a).is_ok();
    let can_submit = allowed(SubmissionAction::Submit);
    let can_decide = allowed(SubmissionAction::Approve);
    let lang = v.lang;
    state.render(
        lang,
        Some(v),
        "submission.html",
        minijinja::context! {
            can_submit, can_decide, error, comment,
            comment_max => workflow::COMMENT_MAX,
            ..r.ctx
        },
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    /// `approve` or `return`.
    decision: String,
    comment: Option<String>,
}

/// `POST /submissions/{id}/confirm`: what approving or returning would do, and the button that
/// does it. Nothing changes here; a refusal (a return without a comment) is shown on the review
/// page with the comment kept.
pub async fn confirm(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    let lang = v.lang;
    let comment = f.comment.as_deref().unwrap_or("").trim().to_string();
    let action = match f.decision.as_str() {
        "approve" | "return" => SubmissionAction::parse(&f.decision, Some(&comment)),
        _ => None,
    }
    .ok_or_else(|| WebError::BadRequest(tr(lang, "review-bad-decision", &[])))?;
    let access = submission_access(&v)?;
    let s = state
        .store
        .submission_for(&access, id)
        .await?
        .ok_or(WebError::NotFound)?;
    match workflow::check_decision(&Actor::User(&v.user), &s, &action) {
        Ok(_) => {}
        Err(StoreError::Invalid(m)) => {
            // Back to the review page, the comment kept and the refusal beside it.
            let msg = if m == workflow::RETURN_NEEDS_COMMENT {
                tr(lang, "return-needs-comment", &[])
            } else {
                m
            };
            let q = SubmissionQuery {
                entity: None,
                after: None,
                done: None,
            };
            let r = review(&state, &v, id, &q).await?;
            let mut resp = render_review(&state, &v, r, Some(msg), &comment).await?;
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(resp);
        }
        Err(e) => return Err(e.into()),
    }
    let records: i64 = state
        .store
        .submission_counts(&access, id)
        .await?
        .values()
        .sum();
    let flags = state
        .store
        .submission_quality(&access, id)
        .await?
        .flags
        .len();
    let verb = action.verb();
    let provider = match tessera_dictionary::ProviderId::parse(&s.provider_id) {
        Ok(p) => state
            .store
            .provider(&p)
            .await?
            .map(|p| p.name_in(lang).to_string()),
        Err(_) => None,
    }
    .unwrap_or_else(|| s.provider_id.clone());
    let question = tr(
        lang,
        &format!("confirm-{verb}-question"),
        &[
            ("id", Arg::Num(s.id)),
            ("provider", Arg::Str(provider)),
            ("period", Arg::Str(s.period_id.clone())),
            ("version", Arg::Num(s.version)),
        ],
    );
    state.render(
        lang,
        Some(&v),
        "confirm.html",
        minijinja::context! {
            id => s.id, verb, question,
            facts => tr(lang, "confirm-facts", &[("records", Arg::Num(records)), ("flags", Arg::Num(flags as i64))]),
            consequence => tr(lang, &format!("confirm-{verb}-consequence"), &[]),
            comment => action.comment(),
            button => tr(lang, &format!("confirm-{verb}-button"), &[]),
        },
    )
}
