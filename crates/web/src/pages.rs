//! Reading pages: home, provider registry, records, submissions and the review queue, the
//! timeliness board and the audit log. Case-level reads are written to the audit log.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_dictionary::{ProviderId, Role};
use tessera_store::{
    Access, Actor, StoreError, SubmissionAction, SubmissionStatus, actions, workflow,
};

use crate::i18n::{Arg, date, number, tr};
use crate::{AppState, RECORD_READERS, Viewer, WebError};

/// Entities shown as columns on the home page, in this order.
pub const ENTITY_COLUMNS: &[&str] = &[
    "victim",
    "suspect",
    "smuggled_migrant",
    "cj_case",
    "smuggling_incident",
    "assistance",
];

/// Roles that see every provider in the registry.
const NATIONAL_ROLES: &[Role] = &[Role::Admin, Role::Coordinator, Role::Analyst];

/// The navigation of a user's role: only what the role can open.
pub fn nav(v: &Viewer, t: &HashMap<String, String>) -> Vec<minijinja::Value> {
    let role = v.role();
    let mut items: Vec<(&str, &str)> = vec![("/", "nav-home")];
    if role != Role::Admin {
        items.push(("/dashboard", "nav-dashboard"));
    }
    if RECORD_READERS.contains(&role) {
        items.push(("/records", "nav-records"));
    }
    if role == Role::FocalPoint {
        items.push(("/upload", "nav-upload"));
    }
    if matches!(
        role,
        Role::FocalPoint | Role::Viewer | Role::Coordinator | Role::Admin | Role::Analyst
    ) {
        items.push(("/submissions", "nav-submissions"));
    }
    if role == Role::Coordinator {
        items.push(("/review", "nav-review"));
        items.push(("/linkage", "nav-linkage"));
    }
    if NATIONAL_ROLES.contains(&role) {
        items.push(("/timeliness", "nav-timeliness"));
        items.push(("/providers", "nav-providers"));
    }
    if role == Role::Admin {
        items.push(("/admin/users", "nav-users"));
        items.push(("/audit", "nav-audit"));
    }
    items.push(("/account", "nav-account"));
    items
        .into_iter()
        .map(|(href, key)| {
            minijinja::context! { href, label => t.get(key).cloned().unwrap_or_default() }
        })
        .collect()
}

fn provider_scope(v: &Viewer) -> Option<ProviderId> {
    match v.role() {
        Role::FocalPoint | Role::Viewer => v.user.provider_id.clone(),
        _ => None,
    }
}

/// Which submissions a role sees: its provider's, or all for national roles. Partners see none.
pub(crate) fn submission_access(v: &Viewer) -> Result<Access, WebError> {
    match v.role() {
        Role::FocalPoint | Role::Viewer | Role::Coordinator | Role::Analyst => v.access(),
        Role::Admin => Ok(Access::National),
        Role::Partner => Err(WebError::Forbidden),
    }
}

/// Home: record counts per provider — all providers for national roles, one's own provider for
/// focal points and viewers, totals only (small numbers hidden) for partners.
pub async fn home(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    // A provider's users see their work first: what is due, what came back, what to do.
    if matches!(v.role(), Role::FocalPoint | Role::Viewer) {
        return crate::work::provider_home(&state, &v).await;
    }
    let lang = v.lang;
    let t = crate::i18n::messages(lang);
    let own = provider_scope(&v);
    let summaries: Vec<_> = state
        .store
        .provider_summaries()
        .await?
        .into_iter()
        .filter(|s| own.as_ref().is_none_or(|p| *p == s.provider.id))
        .collect();
    let partner = v.role() == Role::Partner;
    // Approved records of the entities listed, as the dashboards count them: no draft, no
    // submission awaiting review, and none of the person–case links that join records.
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let approved: std::collections::HashMap<String, Vec<u64>> =
        tessera_analysis::records_by_provider(
            &facts,
            &tessera_store::Access::National,
            ENTITY_COLUMNS,
        )
        .into_iter()
        .collect();
    let mut totals = vec![0i64; ENTITY_COLUMNS.len()];
    let mut grand_total = 0i64;
    let providers: Vec<_> = summaries
        .iter()
        .map(|s| {
            let mut total = 0i64;
            let counts: Vec<String> = ENTITY_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    let n = approved
                        .get(s.provider.id.as_str())
                        .and_then(|c| c.get(i))
                        .map_or(0, |&n| n as i64);
                    totals[i] += n;
                    total += n;
                    number(n, lang)
                })
                .collect();
            grand_total += total;
            minijinja::context! {
                id => s.provider.id.as_str(),
                name => &s.provider.name,
                type_label => state.label("provider_type", s.provider.provider_type.as_str(), lang),
                region_label => s.provider.region.as_deref().map(|r| state.label("region", r, lang)).unwrap_or_default(),
                counts,
                total => number(total, lang),
                submissions => number(s.submissions, lang),
            }
        })
        .collect();
    let entities: Vec<_> = ENTITY_COLUMNS
        .iter()
        .map(|e| t.get(&format!("entity-{e}")).cloned().unwrap_or_default())
        .collect();
    // Partners get the approved national totals only, with counts under the disclosure
    // threshold hidden: the same figures as the API's statistics and the dashboards.
    let shown_totals: Vec<String> = if partner {
        let counts = tessera_analysis::record_counts(
            &facts,
            &crate::dashboards::scope_for(&state, &v).await?,
            ENTITY_COLUMNS,
            lang,
        )?;
        ENTITY_COLUMNS
            .iter()
            .map(|e| match counts.iter().find(|c| c.entity == *e) {
                Some(c) => c
                    .total
                    .map(|n| number(n as i64, lang))
                    .unwrap_or_else(|| "c".into()),
                None => number(0, lang),
            })
            .collect()
    } else {
        totals.iter().map(|n| number(*n, lang)).collect()
    };
    let intro = tr(
        lang,
        "providers-intro",
        &[("count", Arg::Num(summaries.len() as i64))],
    );
    state.render(
        lang,
        Some(&v),
        "home.html",
        minijinja::context! {
            providers => if partner { Vec::new() } else { providers },
            partner,
            entities,
            intro,
            totals => shown_totals,
            grand_total => number(grand_total, lang),
            total_submissions => number(summaries.iter().map(|s| s.submissions).sum(), lang),
        },
    )
}

#[derive(Deserialize)]
pub struct RecordsQuery {
    entity: Option<String>,
    after: Option<i64>,
}

const PAGE: i64 = 50;

/// Records of one entity, 50 at a time; only those the user's access allows.
pub async fn records(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<RecordsQuery>,
) -> Result<Response, WebError> {
    let access = v.access()?;
    let lang = v.lang;
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    let ent = state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    let after = q.after.unwrap_or(0).max(0);
    let rows = state.store.records(&access, &entity, after, PAGE).await?;
    let total = state.store.count_records(&access, Some(&entity)).await?;
    state
        .store
        .audit(
            &v.user.username,
            actions::RECORD_LIST,
            &format!("records/{entity}"),
            &format!("{{\"after\":{after},\"rows\":{}}}", rows.len()),
        )
        .await?;
    let next = if rows.len() as i64 == PAGE {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let (headers, items) = record_rows(&state, ent, &rows, lang);
    let params: Vec<(String, String)> = [("entity".to_string(), entity.clone())]
        .into_iter()
        .chain(q.after.map(|a| ("after".to_string(), a.to_string())))
        .collect();
    let pager = crate::paging::keyset(
        lang,
        "/records",
        &params,
        "after",
        next,
        rows.len(),
        Some(total as usize),
    );
    let entities: Vec<_> = state
        .dict
        .entities
        .values()
        .map(|e| minijinja::context! { id => &e.id, label => e.label.get(lang), current => e.id == entity })
        .collect();
    state.render(
        lang,
        Some(&v),
        "records.html",
        minijinja::context! {
            entity, entity_label => ent.label.get(lang), entities,
            headers, items, next, total => number(total, lang), pager,
            can_enter => v.role() == Role::FocalPoint,
        },
    )
}

/// A list of records as a table: a few telling columns of the entity, by declaration order, never
/// an identifying field. Returns the column headers and one row per record.
pub fn record_rows(
    state: &AppState,
    ent: &tessera_dictionary::Entity,
    rows: &[tessera_store::StoredRecord],
    lang: &str,
) -> (Vec<String>, Vec<minijinja::Value>) {
    let columns: Vec<_> = ent
        .stored_variables()
        .filter(|var| var.code != "provider_ref")
        .take(6)
        .collect();
    let items = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = columns
                .iter()
                .map(|var| display_value(state, var, r.data.get(&var.code), lang))
                .collect();
            minijinja::context! { id => r.id, provider => &r.provider_id, reference => &r.provider_ref, cells }
        })
        .collect();
    (
        columns
            .iter()
            .map(|c| c.label.get(lang).to_string())
            .collect(),
        items,
    )
}

/// A value as a person reads it: code labels in the user's language, yes/no, dates.
pub fn display_value(
    state: &AppState,
    var: &tessera_dictionary::Variable,
    value: Option<&serde_json::Value>,
    lang: &str,
) -> String {
    use serde_json::Value;
    let Some(value) = value else {
        return String::new();
    };
    let list = var.var_type.codelist();
    match (value, list) {
        (Value::String(s), Some(l)) => state.label(l, s, lang),
        (Value::Array(a), Some(l)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(|s| state.label(l, s, lang))
            .collect::<Vec<_>>()
            .join(", "),
        (Value::Bool(b), _) => tr(lang, if *b { "yes" } else { "no" }, &[]),
        (Value::String(s), None) if var.var_type.name() == "date" => date(s, lang),
        (Value::String(s), None) => s.clone(),
        (Value::Null, _) => String::new(),
        (other, _) => other.to_string(),
    }
}

/// A record the viewer may see, with the read written to the audit log (`detail` says from where).
pub(crate) async fn read_record(
    state: &AppState,
    v: &Viewer,
    id: i64,
    detail: &str,
) -> Result<tessera_store::StoredRecord, WebError> {
    let r = state
        .store
        .record(&v.access()?, id)
        .await?
        .ok_or(WebError::NotFound)?;
    state
        .store
        .audit(
            &v.user.username,
            actions::RECORD_READ,
            &format!("record/{id}"),
            detail,
        )
        .await?;
    Ok(r)
}

/// One record with its history. The read is audited.
pub async fn record(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let access = v.access()?;
    let lang = v.lang;
    let r = read_record(&state, &v, id, "{}").await?;
    let ent = state.dict.entity(&r.entity).ok_or(WebError::NotFound)?;
    let fields: Vec<_> = ent
        .stored_variables()
        .map(|var| {
            minijinja::context! {
                label => var.label.get(lang),
                code => &var.code,
                value => display_value(&state, var, r.data.get(&var.code), lang),
            }
        })
        .collect();
    let history = state.store.record_history(&access, id).await?;
    state.render(
        lang,
        Some(&v),
        "record.html",
        minijinja::context! {
            id => r.id, reference => &r.provider_ref, provider => &r.provider_id,
            // Not `version`: the footer names the dictionary's version under that key.
            entity_label => ent.label.get(lang), record_version => r.version,
            submission => r.submission_id, fields,
            history => history.iter().map(|(ver, _)| *ver).collect::<Vec<_>>(),
        },
    )
}

fn status_label(lang: &str, s: SubmissionStatus) -> String {
    tr(lang, &format!("status-{}", s.as_str()), &[])
}

fn submission_rows(lang: &str, subs: Vec<tessera_store::Submission>) -> Vec<minijinja::Value> {
    subs.into_iter()
        .map(|s| {
            minijinja::context! {
                id => s.id, provider => &s.provider_id, period => &s.period_id, version => s.version,
                status => s.status.as_str(), status_label => status_label(lang, s.status),
                submitted => s.submitted_at.map(|d| date(&d.date().to_string(), lang)).unwrap_or_default(),
            }
        })
        .collect()
}

/// Submissions the viewer may see, a page at a time, optionally of one status (`?status=`).
pub async fn submissions(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let access = submission_access(&v)?;
    let status = q
        .iter()
        .find(|(k, _)| k == "status")
        .and_then(|(_, s)| SubmissionStatus::parse(s).ok());
    submission_list(&state, &v, &access, status, &q, "/submissions", false).await
}

/// The coordinator's queue: submissions waiting for a decision, a page at a time.
pub async fn review(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(&[Role::Coordinator])?;
    let status = Some(SubmissionStatus::Submitted);
    submission_list(&state, &v, &Access::National, status, &q, "/review", true).await
}

async fn submission_list(
    state: &AppState,
    v: &Viewer,
    access: &Access,
    status: Option<SubmissionStatus>,
    q: &[(String, String)],
    path: &str,
    review: bool,
) -> Result<Response, WebError> {
    let size = crate::paging::PAGE_SIZE;
    // The page number is clamped to the last page once the total is known.
    let wanted = crate::paging::page_number(q);
    let (mut subs, total) = state
        .store
        .submissions_page(access, status, ((wanted - 1) * size) as i64, size as i64)
        .await?;
    let (offset, pager) = crate::paging::numbered(v.lang, path, q, size, total as usize);
    if offset != (wanted - 1) * size {
        subs = state
            .store
            .submissions_page(access, status, offset as i64, size as i64)
            .await?
            .0;
    }
    let rows = submission_rows(v.lang, subs);
    let statuses: Vec<_> = [
        SubmissionStatus::Draft,
        SubmissionStatus::Submitted,
        SubmissionStatus::Returned,
        SubmissionStatus::Approved,
    ]
    .into_iter()
    .map(|s| minijinja::context! { id => s.as_str(), label => status_label(v.lang, s), current => Some(s) == status })
    .collect();
    state.render(
        v.lang,
        Some(v),
        "submissions.html",
        minijinja::context! { submissions => rows, review, pager, statuses, all_current => status.is_none() },
    )
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    comment: Option<String>,
}

/// Submit (focal point of the provider), approve or return (coordinator).
pub async fn submission_action(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    let comment = f
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    workflow(&state, &v, id, &action, comment).await?;
    let done = match action.as_str() {
        "approve" | "return" | "submit" => action.as_str(),
        _ => "",
    };
    Ok(Redirect::to(&format!("/submissions/{id}?done={done}")).into_response())
}

/// Submit, approve or return, for the pages and the API: the rule and the audit entry are the
/// store's ([`tessera_store::workflow`]); here only the action's name in the URL and the language
/// of the one refusal a user meets in normal use, a return without a comment.
pub async fn workflow(
    state: &AppState,
    v: &Viewer,
    id: i64,
    action: &str,
    comment: Option<&str>,
) -> Result<(), WebError> {
    let action = SubmissionAction::parse(action, comment).ok_or(WebError::NotFound)?;
    match state
        .store
        .decide_submission(&Actor::User(&v.user), id, &action)
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Invalid(m)) if m == workflow::RETURN_NEEDS_COMMENT => Err(
            WebError::BadRequest(tr(v.lang, "return-needs-comment", &[])),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Who has not submitted for which period, and who was late.
pub async fn timeliness(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    v.require(NATIONAL_ROLES)?;
    let lang = v.lang;
    let rows = state.store.timeliness().await?;
    let mut periods: Vec<String> = rows.iter().map(|r| r.period_id.clone()).collect();
    periods.sort();
    periods.dedup();
    let providers = state.store.providers().await?;
    let board: Vec<_> = providers
        .iter()
        .map(|p| {
            let cells: Vec<_> = periods
                .iter()
                .map(|per| {
                    let r = rows
                        .iter()
                        .find(|r| r.provider_id == p.id.as_str() && &r.period_id == per);
                    // Lateness counts from the period's first submission; a later correction
                    // (returned, or a new version being prepared) is said beside it.
                    let (class, text) = match r {
                        Some(r) => match (r.status, r.days_late) {
                            (None, _) => ("missing", tr(lang, "timeliness-missing", &[])),
                            (Some(s), None) => ("open", status_label(lang, s)),
                            (Some(s), Some(d)) => {
                                let (class, text) = if d > 0 {
                                    (
                                        "late",
                                        tr(lang, "timeliness-late", &[("days", Arg::Num(d))]),
                                    )
                                } else {
                                    ("ontime", tr(lang, "timeliness-ontime", &[]))
                                };
                                match s {
                                    SubmissionStatus::Returned | SubmissionStatus::Draft => {
                                        (class, format!("{text} · {}", status_label(lang, s)))
                                    }
                                    _ => (class, text),
                                }
                            }
                        },
                        None => ("missing", tr(lang, "timeliness-missing", &[])),
                    };
                    minijinja::context! { class, text }
                })
                .collect();
            minijinja::context! { name => &p.name, id => p.id.as_str(), cells }
        })
        .collect();
    state.render(
        lang,
        Some(&v),
        "timeliness.html",
        minijinja::context! { periods, board },
    )
}

#[derive(Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    /// Entries older than this one (keyset paging).
    before: Option<i64>,
}

/// Audit entries on a page.
const AUDIT_PAGE: i64 = 100;

/// The audit log, newest first, filtered by actor or action; with the chain's verdict.
pub async fn audit(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    v.require(&[Role::Admin])?;
    let actor = q.actor.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let action = q.action.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let entries = state
        .store
        .audit_entries_before(actor, action, q.before, AUDIT_PAGE)
        .await?;
    let params: Vec<(String, String)> = [("actor", actor), ("action", action)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
        .chain(q.before.map(|b| ("before".to_string(), b.to_string())))
        .collect();
    let next = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let pager = crate::paging::keyset(
        v.lang,
        "/audit",
        &params,
        "before",
        next,
        entries.len(),
        None,
    );
    let verdict = match state.store.verify_audit().await? {
        tessera_store::AuditVerdict::Intact { entries } => {
            tr(v.lang, "audit-intact", &[("count", Arg::Num(entries))])
        }
        tessera_store::AuditVerdict::Broken { seq, reason } => tr(
            v.lang,
            "audit-broken",
            &[("seq", Arg::Num(seq)), ("reason", Arg::Str(reason))],
        ),
        // Truncated, rewritten, or a checkpoint that cannot be trusted: the CLI's sentence.
        other => tr(
            v.lang,
            "audit-tampered",
            &[("reason", Arg::Str(other.to_string()))],
        ),
    };
    state.render(
        v.lang,
        Some(&v),
        "audit.html",
        minijinja::context! {
            entries, verdict, actor => actor.unwrap_or(""), action => action.unwrap_or(""),
            pager,
        },
    )
}
