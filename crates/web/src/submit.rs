//! Sending data from the browser: the upload page (a filled template → validation report or
//! stored records in the period's open submission) and data entry forms generated from the
//! dictionary. Both go through the very same validation as the command-line import
//! (`Store::import_file` → `intake::validate_stream`): a form is one CSV row.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_dictionary::{ProviderId, Role, VarType};
use tessera_intake::{ImportOptions, ImportSummary, IntakeError, Limits, Report, template};
use tessera_store::{
    ImportRequest, ImportResult, ImportSource, StoreError, Submission, Upload, actions,
};

use crate::i18n::{Arg, tr};
use crate::{AppState, Viewer, WebError};

/// What became of a file or a form.
pub enum Outcome {
    Stored {
        submission: Submission,
        inserted: u64,
        updated: u64,
        /// Records sent again with the same values, left as they were.
        unchanged: u64,
        /// What reading did: encoding assumed, values repaired, field submissions left out.
        summary: ImportSummary,
    },
    /// Refused as a whole: cell-level problems, or a file-level one (unreadable, wrong template).
    Refused(Report),
}

fn own_provider(v: &Viewer) -> Result<ProviderId, WebError> {
    v.require(&[Role::FocalPoint])?;
    v.user.provider_id.clone().ok_or(WebError::Forbidden)
}

/// Stores a file for the viewer's provider in the open submission of `period`: all or nothing.
pub async fn store_file(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    period: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<Outcome, WebError> {
    Ok(store_upload(state, v, entity, period, name, bytes).await?.0)
}

/// [`store_file`], with the upload's report as the store keeps it (records new, updated and
/// unchanged; what reading repaired).
pub async fn store_upload(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    period: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(Outcome, Upload), WebError> {
    store_source(state, v, entity, period, name, ImportSource::Bytes(bytes)).await
}

/// [`store_upload`] for records from any source: a file's bytes, or the rows of a JSON request
/// (the API), numbered as their records are.
pub async fn store_source(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    period: &str,
    name: &str,
    source: ImportSource,
) -> Result<(Outcome, Upload), WebError> {
    let provider = own_provider(v)?;
    if state.dict.entity(entity).is_none() {
        return Err(WebError::BadRequest(format!("unknown entity \"{entity}\"")));
    }
    let prov = state
        .store
        .provider(&provider)
        .await?
        .ok_or(WebError::NotFound)?;
    let submission = state
        .store
        .open_submission(
            &provider,
            period,
            &state.dict.full_version(),
            &v.user.username,
        )
        .await?;
    let req = ImportRequest {
        provider: provider.clone(),
        entity: entity.to_string(),
        submission_id: Some(submission.id),
        options: ImportOptions {
            provider_type: Some(prov.provider_type.as_str().to_string()),
            ..ImportOptions::default()
        },
        limits: Limits {
            max_bytes: state.config.max_upload as u64,
            ..Limits::default()
        },
        lang: v.lang.to_string(),
        name: name.to_string(),
    };
    let result = state
        .store
        .import_file(state.dict.clone(), state.encoder.clone(), req, source)
        .await;
    // What the focal point's home page reports as the last upload: the counts, and what
    // reading repaired in every interface language.
    let mut upload = Upload {
        id: 0,
        provider_id: provider.to_string(),
        submission_id: Some(submission.id),
        entity: entity.to_string(),
        file_name: name.chars().take(200).collect(),
        actor: v.user.username.clone(),
        at: time::OffsetDateTime::now_utc(),
        rows: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        errors: 0,
        notes: Default::default(),
    };
    match &result {
        Ok(ImportResult::Stored {
            rows,
            outcome,
            summary,
        }) => {
            upload.rows = *rows as i64;
            upload.inserted = outcome.inserted as i64;
            upload.updated = outcome.updated as i64;
            upload.unchanged = outcome.unchanged as i64;
            upload.notes = crate::UI_LANGUAGES
                .iter()
                .map(|l| (l.to_string(), summary.render(l)))
                .filter(|(_, n)| !n.is_empty())
                .collect();
        }
        Ok(ImportResult::Refused(report))
        | Err(StoreError::Intake(IntakeError::Invalid(report))) => {
            upload.rows = report.rows_read as i64;
            upload.errors = report.errors.len().max(1) as i64;
        }
        Err(StoreError::Intake(e)) => {
            upload.errors = 1;
            upload.notes = [(v.lang.to_string(), e.to_string())].into();
        }
        Err(_) => {}
    }
    if !matches!(&result, Err(e) if !matches!(e, StoreError::Intake(_))) {
        state.store.record_upload(&upload).await?;
    }
    let outcome = match result {
        Ok(ImportResult::Stored {
            outcome, summary, ..
        }) => Outcome::Stored {
            submission: submission.clone(),
            inserted: outcome.inserted,
            updated: outcome.updated,
            unchanged: outcome.unchanged,
            summary,
        },
        Ok(ImportResult::Refused(report)) => Outcome::Refused(report),
        Err(StoreError::Intake(IntakeError::Invalid(report))) => Outcome::Refused(report),
        Err(StoreError::Intake(e)) => Outcome::Refused(Report {
            rows_read: 0,
            errors: vec![tessera_intake::CellError {
                row: 0,
                column: String::new(),
                value: String::new(),
                rule: "file".into(),
                message: e.to_string(),
                suggestion: None,
            }],
            lang: v.lang.to_string(),
        }),
        Err(e) => return Err(e.into()),
    };
    let detail = match &outcome {
        Outcome::Stored {
            inserted,
            updated,
            unchanged,
            summary,
            ..
        } => serde_json::json!({
            "entity": entity,
            "inserted": inserted,
            "updated": updated,
            "unchanged": unchanged,
            "encoding": summary.encoding.filter(|e| e.assumed()).map(|e| e.label()),
            "repaired": summary.repairs_total,
            "repairs": summary.repairs.iter().take(AUDITED_REPAIRS).collect::<Vec<_>>(),
            "skipped": summary.skipped_total,
            "skipped_rows": summary.skipped.iter().take(AUDITED_REPAIRS).collect::<Vec<_>>(),
        }),
        Outcome::Refused(r) => {
            serde_json::json!({ "entity": entity, "refused": true, "errors": r.errors.len() })
        }
    };
    state
        .store
        .audit(
            &v.user.username,
            actions::SUBMISSION_UPLOAD,
            &format!("submission/{}", submission.id),
            &detail.to_string(),
        )
        .await?;
    Ok((outcome, upload))
}

/// Repairs and left-out submissions listed one by one in an upload's audit entry (all are
/// counted).
const AUDITED_REPAIRS: usize = 50;

fn periods_ctx(periods: &[tessera_store::Period], chosen: Option<&str>) -> Vec<minijinja::Value> {
    let default = chosen
        .map(str::to_string)
        .or_else(|| periods.iter().map(|p| p.id.clone()).max());
    periods
        .iter()
        .rev()
        .map(|p| minijinja::context! { id => &p.id, selected => Some(&p.id) == default.as_ref() })
        .collect()
}

/// Entities the viewer's provider type sends, per the dictionary's template table.
fn entities_ctx(
    state: &AppState,
    provider_type: &str,
    lang: &str,
    chosen: Option<&str>,
) -> Vec<minijinja::Value> {
    template::entities_for(&state.dict, provider_type)
        .unwrap_or_default()
        .into_iter()
        .map(|e| minijinja::context! { id => &e.id, label => e.label.get(lang), selected => Some(e.id.as_str()) == chosen })
        .collect()
}

pub(crate) fn report_ctx(report: &Report) -> minijinja::Value {
    let errors: Vec<_> = report
        .errors
        .iter()
        .take(500)
        .map(|e| {
            minijinja::context! {
                row => e.row, column => &e.column, value => &e.value, rule => &e.rule,
                message => &e.message, suggestion => &e.suggestion,
            }
        })
        .collect();
    minijinja::context! { errors, total => report.errors.len(), rows => report.rows_read }
}

async fn provider_type_of(state: &AppState, v: &Viewer) -> Result<String, WebError> {
    let p = own_provider(v)?;
    Ok(state
        .store
        .provider(&p)
        .await?
        .ok_or(WebError::NotFound)?
        .provider_type
        .as_str()
        .to_string())
}

#[derive(Deserialize)]
pub struct UploadQuery {
    period: Option<String>,
    entity: Option<String>,
}

/// The upload form; `?period=` and `?entity=` choose what the home page's call to action
/// pointed at.
pub async fn upload_page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<UploadQuery>,
) -> Result<Response, WebError> {
    let ptype = provider_type_of(&state, &v).await?;
    let periods = state.store.periods().await?;
    let period = q
        .period
        .as_deref()
        .filter(|p| periods.iter().any(|x| x.id == *p));
    state.render(
        v.lang,
        Some(&v),
        "upload.html",
        minijinja::context! {
            periods => periods_ctx(&periods, period),
            entities => entities_ctx(&state, &ptype, v.lang, q.entity.as_deref()),
            encoding => encoding_ctx(&state, &ptype),
            fingerprint => tessera_pseudonym::fingerprint(),
            result => None::<String>,
        },
    )
}

/// What the browser needs to pseudonymise a file before upload, when the deployment allows it:
/// for each entity the provider sends, its identifying columns (code → kind of identifier).
fn encoding_ctx(state: &AppState, provider_type: &str) -> Option<String> {
    state.config.browser_secret.as_ref()?;
    let map: serde_json::Map<String, serde_json::Value> =
        template::entities_for(&state.dict, provider_type)
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let cols: serde_json::Map<String, serde_json::Value> = e
                    .variables
                    .iter()
                    .filter_map(|v| {
                        Some((v.code.clone(), serde_json::to_value(v.identifying?).ok()?))
                    })
                    .collect();
                (e.id.clone(), serde_json::Value::Object(cols))
            })
            .collect();
    Some(serde_json::Value::Object(map).to_string())
}

#[derive(Deserialize)]
pub struct KeyForm {
    csrf: String,
}

/// The deployment secret, for the upload page's in-browser pseudonymisation: focal points only,
/// only when the deployment allows it, never cached, and every issue written to the audit log.
pub async fn encoding_key(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<KeyForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&form.csrf)?;
    let provider = own_provider(&v)?;
    let Some(secret) = state.config.browser_secret.as_ref() else {
        return Err(WebError::NotFound);
    };
    state
        .store
        .audit(
            &v.user.username,
            actions::PSEUDONYM_ISSUE_KEY,
            provider.as_str(),
            "{\"purpose\":\"browser pseudonymisation\"}",
        )
        .await?;
    let body = serde_json::json!({ "secret": secret.to_hex().as_str() }).to_string();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Receives a filled template and shows either what was stored or, cell by cell, what to fix.
pub async fn upload(
    State(state): State<AppState>,
    v: Viewer,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let ptype = provider_type_of(&state, &v).await?;
    let (mut csrf, mut entity, mut period, mut file) = (None, None, None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("upload").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| WebError::BadRequest(e.body_text()))?;
                file = Some((fname, bytes.to_vec()));
            }
            "csrf" | "entity" | "period" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| WebError::BadRequest(e.body_text()))?;
                match name.as_str() {
                    "csrf" => csrf = Some(text),
                    "entity" => entity = Some(text),
                    _ => period = Some(text),
                }
            }
            _ => {}
        }
    }
    v.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let (Some(entity), Some(period)) = (entity, period) else {
        return Err(WebError::BadRequest(tr(v.lang, "upload-incomplete", &[])));
    };
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(WebError::BadRequest(tr(v.lang, "upload-incomplete", &[])));
    };
    let (outcome, report) = store_upload(&state, &v, &entity, &period, &fname, bytes).await?;
    let periods = state.store.periods().await?;
    let result = match &outcome {
        Outcome::Stored {
            submission,
            inserted,
            updated,
            ..
        } => minijinja::context! {
            ok => true,
            submission => submission.id,
            message => tr(v.lang, "upload-stored", &[
                ("inserted", Arg::Num(*inserted as i64)),
                ("updated", Arg::Num(*updated as i64)),
                ("period", Arg::Str(period.clone())),
            ]),
            unchanged => (report.unchanged > 0).then(|| tr(v.lang, "upload-unchanged", &[("unchanged", Arg::Num(report.unchanged))])),
            notes => report.notes_in(v.lang),
        },
        Outcome::Refused(report) => minijinja::context! {
            ok => false,
            file => &fname,
            message => tr(v.lang, "upload-refused", &[("errors", Arg::Num(report.errors.len() as i64))]),
            report => report_ctx(report),
        },
    };
    let mut resp = state.render(
        v.lang,
        Some(&v),
        "upload.html",
        minijinja::context! {
            periods => periods_ctx(&periods, Some(&period)),
            entities => entities_ctx(&state, &ptype, v.lang, Some(&entity)),
            encoding => encoding_ctx(&state, &ptype),
            fingerprint => tessera_pseudonym::fingerprint(),
            result,
        },
    )?;
    if matches!(outcome, Outcome::Refused(_)) {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// What a saved form tells: the counts, and what reading repaired.
struct Stored {
    message: String,
    notes: String,
}

#[derive(Deserialize)]
pub struct EntryQuery {
    entity: Option<String>,
}

/// When a variable becomes required under the entity's rules (`requires`: given `if`, holding
/// one of `if_in` when listed, `then` must be given): the controlling variable and its codes.
/// The form marks the field required as soon as the condition holds (`assets/work.js`); the
/// import checks the same rule when the form is saved.
fn required_when<'d>(ent: &'d tessera_dictionary::Entity, code: &str) -> Option<(&'d str, String)> {
    ent.rules.iter().find_map(|r| match r {
        tessera_dictionary::Rule::Requires {
            when, if_in, then, ..
        } if then == code => Some((when.as_str(), if_in.join(" "))),
        _ => None,
    })
}

/// The input of one variable in a data entry form.
fn field_ctx(
    state: &AppState,
    ent: &tessera_dictionary::Entity,
    var: &tessera_dictionary::Variable,
    lang: &str,
    values: &[(String, String)],
    errors: &[&tessera_intake::CellError],
) -> minijinja::Value {
    let when = required_when(ent, &var.code);
    let current: Vec<&str> = values
        .iter()
        .filter(|(k, _)| *k == var.code)
        .map(|(_, v)| v.as_str())
        .collect();
    let (kind, min, max) = match &var.var_type {
        VarType::Text { .. } => ("text", None, None),
        VarType::Integer { min, max } | VarType::Year { min, max } => {
            ("number", Some(*min as f64), Some(*max as f64))
        }
        VarType::Decimal { min, max } => ("number", Some(*min), Some(*max)),
        VarType::Boolean => ("boolean", None, None),
        VarType::Date => ("date", None, None),
        VarType::Code { .. } => ("select", None, None),
        VarType::Codes { .. } => ("checkboxes", None, None),
    };
    // Long lists (countries) in the reader's alphabetical order, with a filter box; short ones
    // in the dictionary's order.
    let mut codes: Vec<(&str, &str)> = var
        .var_type
        .codelist()
        .and_then(|l| state.dict.codelist(l))
        .map(|l| {
            l.codes
                .iter()
                .map(|c| (c.code.as_str(), c.label.get(lang)))
                .collect()
        })
        .unwrap_or_default();
    if codes.len() > crate::lists::LONG_LIST {
        crate::lists::sort_by_label(&mut codes, |c| c.1);
    }
    let options: Vec<_> = codes
        .iter()
        .map(|(code, label)| minijinja::context! { code, label, checked => current.contains(code) })
        .collect();
    let err: Vec<String> = errors
        .iter()
        .filter(|e| e.column == var.code || e.column.ends_with(&format!("[{}]", var.code)))
        .map(|e| e.message.clone())
        .collect();
    minijinja::context! {
        code => &var.code, label => var.label.get(lang), kind, min, max, options,
        required => var.required, identifying => var.identifying.is_some(),
        value => current.first().copied().unwrap_or(""),
        many => options.len() > crate::lists::LONG_LIST,
        errors => err,
        requires_if => when.as_ref().map(|w| w.0),
        requires_in => when.map(|w| w.1),
    }
}

/// The form's sections, from the dictionary: what every record needs, then the other facts,
/// then the identifiers (pseudonymised on saving) — each field in the dictionary's order.
fn sections(
    state: &AppState,
    ent: &tessera_dictionary::Entity,
    lang: &str,
    values: &[(String, String)],
    errors: &[&tessera_intake::CellError],
) -> Vec<minijinja::Value> {
    let columns = template::columns(ent);
    let part = |key: &str, id: &str, keep: &dyn Fn(&tessera_dictionary::Variable) -> bool| {
        let fields: Vec<_> = columns
            .iter()
            .filter(|v| keep(v))
            .map(|var| field_ctx(state, ent, var, lang, values, errors))
            .collect();
        (!fields.is_empty())
            .then(|| minijinja::context! { id, title => tr(lang, key, &[]), fields })
    };
    [
        part("entry-section-required", "required", &|v| {
            v.required && v.identifying.is_none()
        }),
        part("entry-section-details", "details", &|v| {
            !v.required && v.identifying.is_none()
        }),
        part("entry-section-identifiers", "identifiers", &|v| {
            v.identifying.is_some()
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

async fn entry_render(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    values: &[(String, String)],
    report: Option<&Report>,
    stored: Option<Stored>,
) -> Result<Response, WebError> {
    entry_render_with(state, v, entity, values, report, stored, None).await
}

async fn entry_render_with(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    values: &[(String, String)],
    report: Option<&Report>,
    stored: Option<Stored>,
    draft: Option<String>,
) -> Result<Response, WebError> {
    let ptype = provider_type_of(state, v).await?;
    let ent = state.dict.entity(entity).ok_or(WebError::NotFound)?;
    let errors: Vec<&tessera_intake::CellError> = report
        .map(|r| r.errors.iter().collect())
        .unwrap_or_default();
    let sections = sections(state, ent, v.lang, values, &errors);
    // Problems no field shows (cross-field rules) are listed above the form.
    let general: Vec<String> = errors
        .iter()
        .filter(|e| !ent.variables.iter().any(|var| e.column == var.code))
        .map(|e| e.message.clone())
        .collect();
    let periods = state.store.periods().await?;
    let chosen = values
        .iter()
        .find(|(k, _)| k == "_period")
        .map(|(_, v)| v.as_str());
    state.render(
        v.lang,
        Some(v),
        "entry.html",
        minijinja::context! {
            entity, entity_label => ent.label.get(v.lang), sections, general, draft,
            stored => stored.as_ref().map(|s| &s.message),
            notes => stored.as_ref().map(|s| &s.notes).filter(|n| !n.is_empty()),
            entities => entities_ctx(state, &ptype, v.lang, Some(entity)),
            periods => periods_ctx(&periods, chosen),
        },
    )
}

pub async fn entry_page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EntryQuery>,
) -> Result<Response, WebError> {
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    own_provider(&v)?;
    match state.store.entry_draft(&v.user.username, &entity).await? {
        Some(d) => {
            let note = tr(
                v.lang,
                "entry-draft-restored",
                &[(
                    "at",
                    Arg::Str(crate::i18n::date(&d.saved_at.date().to_string(), v.lang)),
                )],
            );
            entry_render_with(&state, &v, &entity, &d.values, None, None, Some(note)).await
        }
        None => entry_render(&state, &v, &entity, &[], None, None).await,
    }
}

/// A form as a one-row CSV under the variable codes: what the import reads.
fn form_csv(
    ent: &tessera_dictionary::Entity,
    values: &[(String, String)],
) -> Result<Vec<u8>, WebError> {
    let columns = template::columns(ent);
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = columns.iter().map(|c| c.code.as_str()).collect();
    let row: Vec<String> = columns
        .iter()
        .map(|c| {
            values
                .iter()
                .filter(|(k, _)| *k == c.code)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    w.write_record(&header)
        .and_then(|_| w.write_record(&row))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    w.into_inner()
        .map_err(|e| WebError::BadRequest(e.to_string()))
}

fn form_token(values: &[(String, String)]) -> &str {
    values
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// `POST /records/new/check?entity=`: the form checked as the import would check it, nothing
/// stored — each problem with the import's own message, per field (`fields`) or for the record
/// (`general`, the cross-field rules). The entry form calls it as fields change.
pub async fn entry_check(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EntryQuery>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.check_csrf(form_token(&values))?;
    let ptype = provider_type_of(&state, &v).await?;
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    let ent = state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    let bytes = form_csv(ent, &values)?;
    let opts = ImportOptions {
        provider_type: Some(ptype),
        ..ImportOptions::default()
    };
    let (dict, encoder, lang) = (
        state.dict.clone(),
        state.encoder.clone(),
        v.lang.to_string(),
    );
    let entity_id = entity.clone();
    let result = tokio::task::spawn_blocking(move || {
        tessera_intake::validate_stream(
            &dict,
            &entity_id,
            encoder.as_ref(),
            Box::new(std::io::Cursor::new(bytes)),
            "form",
            Limits::default(),
            &lang,
            &opts,
            &mut |_| true,
        )
    })
    .await
    .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let mut fields = serde_json::Map::new();
    let mut general = Vec::new();
    let errors = match result {
        Ok(_) => Vec::new(),
        Err(IntakeError::Invalid(report)) => report.errors,
        Err(e) => vec![tessera_intake::CellError {
            row: 0,
            column: String::new(),
            value: String::new(),
            rule: "file".into(),
            message: e.to_string(),
            suggestion: None,
        }],
    };
    for e in errors {
        let code = ent
            .variables
            .iter()
            .find(|var| e.column == var.code || e.column.ends_with(&format!("[{}]", var.code)))
            .map(|var| var.code.clone());
        match code {
            Some(c) => {
                if let Some(list) = fields
                    .entry(c)
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()))
                    .as_array_mut()
                {
                    list.push(e.message.into());
                }
            }
            None => general.push(e.message),
        }
    }
    let body = serde_json::json!({ "fields": fields, "general": general }).to_string();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// `POST /records/new/draft?entity=`: keeps the half-filled form on the server (the store
/// leaves the identifying fields out), or with `_discard` forgets it.
pub async fn entry_draft(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EntryQuery>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.check_csrf(form_token(&values))?;
    own_provider(&v)?;
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    if values.iter().any(|(k, _)| k == "_discard") {
        state
            .store
            .delete_entry_draft(&v.user.username, &entity)
            .await?;
        let note = tr(v.lang, "entry-draft-discarded", &[]);
        return entry_render_with(&state, &v, &entity, &[], None, None, Some(note)).await;
    }
    let dropped = state
        .store
        .save_entry_draft(&state.dict, &v.user.username, &entity, &values)
        .await?;
    let note = tr(
        v.lang,
        "entry-draft-saved",
        &[("dropped", Arg::Num(dropped as i64))],
    );
    // The form comes back as it was sent, identifiers included: they were never stored.
    entry_render_with(&state, &v, &entity, &values, None, None, Some(note)).await
}

/// A form is turned into a one-row CSV under the variable codes and imported like any file.
pub async fn entry(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EntryQuery>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = values
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    v.check_csrf(csrf)?;
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    let ent = state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    let period = values
        .iter()
        .find(|(k, _)| k == "_period")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| WebError::BadRequest(tr(v.lang, "upload-incomplete", &[])))?;
    let csv_bytes = form_csv(ent, &values)?;
    match store_file(&state, &v, &entity, &period, "form", csv_bytes).await? {
        Outcome::Stored {
            submission,
            inserted,
            updated,
            unchanged,
            summary,
        } => {
            let msg = tr(
                v.lang,
                "entry-stored",
                &[
                    ("submission", Arg::Num(submission.id)),
                    ("inserted", Arg::Num(inserted as i64)),
                    ("updated", Arg::Num(updated as i64)),
                    ("unchanged", Arg::Num(unchanged as i64)),
                ],
            );
            // What reading repaired (`34.0`, a code's leading zeros), said beside the message.
            let stored = Stored {
                message: msg,
                notes: summary.render(v.lang),
            };
            // The record is in: its draft is done with. A fresh form for the next record,
            // keeping the period.
            state
                .store
                .delete_entry_draft(&v.user.username, &entity)
                .await?;
            let keep = vec![("_period".to_string(), period)];
            entry_render(&state, &v, &entity, &keep, None, Some(stored)).await
        }
        Outcome::Refused(report) => {
            let mut resp = entry_render(&state, &v, &entity, &values, Some(&report), None).await?;
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    format: Option<String>,
}

/// The provider type's XLSX template, or one entity's CSV template, in the user's language.
pub async fn template_download(
    State(state): State<AppState>,
    v: Viewer,
    Path(entity): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, WebError> {
    let ptype = provider_type_of(&state, &v).await?;
    let ent = state.dict.entity(&entity).ok_or(WebError::NotFound)?;
    let (bytes, mime, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "csv" => (
            template::csv_template(ent, v.lang).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        ),
        _ => (
            template::xlsx_template(&state.dict, &ptype, v.lang)
                .map_err(|e| WebError::BadRequest(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let name = if ext == "csv" {
        format!("tessera-{entity}.csv")
    } else {
        format!("tessera-{ptype}.xlsx")
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
