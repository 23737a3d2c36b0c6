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
use tessera_intake::{ImportOptions, IntakeError, Limits, Report, template};
use tessera_store::{ImportRequest, ImportResult, ImportSource, StoreError, Submission, actions};

use crate::i18n::{Arg, tr};
use crate::{AppState, Viewer, WebError};

/// What became of a file or a form.
pub enum Outcome {
    Stored {
        submission: Submission,
        inserted: u64,
        updated: u64,
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
        .import_file(
            state.dict.clone(),
            state.encoder.clone(),
            req,
            ImportSource::Bytes(bytes),
        )
        .await;
    let outcome = match result {
        Ok(ImportResult::Stored { outcome, .. }) => Outcome::Stored {
            submission: submission.clone(),
            inserted: outcome.inserted,
            updated: outcome.updated,
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
            inserted, updated, ..
        } => serde_json::json!({ "entity": entity, "inserted": inserted, "updated": updated }),
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
    Ok(outcome)
}

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

pub async fn upload_page(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    let ptype = provider_type_of(&state, &v).await?;
    let periods = state.store.periods().await?;
    state.render(
        v.lang,
        Some(&v),
        "upload.html",
        minijinja::context! {
            periods => periods_ctx(&periods, None),
            entities => entities_ctx(&state, &ptype, v.lang, None),
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
    let outcome = store_file(&state, &v, &entity, &period, &fname, bytes).await?;
    let periods = state.store.periods().await?;
    let result = match &outcome {
        Outcome::Stored {
            submission,
            inserted,
            updated,
        } => minijinja::context! {
            ok => true,
            submission => submission.id,
            message => tr(v.lang, "upload-stored", &[
                ("inserted", Arg::Num(*inserted as i64)),
                ("updated", Arg::Num(*updated as i64)),
                ("period", Arg::Str(period.clone())),
            ]),
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

#[derive(Deserialize)]
pub struct EntryQuery {
    entity: Option<String>,
}

/// The input of one variable in a data entry form.
fn field_ctx(
    state: &AppState,
    var: &tessera_dictionary::Variable,
    lang: &str,
    values: &[(String, String)],
    errors: &[&tessera_intake::CellError],
) -> minijinja::Value {
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
    let options: Vec<_> = var
        .var_type
        .codelist()
        .and_then(|l| state.dict.codelist(l))
        .map(|l| {
            l.codes
                .iter()
                .map(|c| minijinja::context! { code => &c.code, label => c.label.get(lang), checked => current.contains(&c.code.as_str()) })
                .collect()
        })
        .unwrap_or_default();
    let err: Vec<String> = errors
        .iter()
        .filter(|e| e.column == var.code || e.column.ends_with(&format!("[{}]", var.code)))
        .map(|e| e.message.clone())
        .collect();
    minijinja::context! {
        code => &var.code, label => var.label.get(lang), kind, min, max, options,
        required => var.required, identifying => var.identifying.is_some(),
        value => current.first().copied().unwrap_or(""),
        many => options.len() > 12,
        errors => err,
    }
}

async fn entry_render(
    state: &AppState,
    v: &Viewer,
    entity: &str,
    values: &[(String, String)],
    report: Option<&Report>,
    stored: Option<String>,
) -> Result<Response, WebError> {
    let ptype = provider_type_of(state, v).await?;
    let ent = state.dict.entity(entity).ok_or(WebError::NotFound)?;
    let errors: Vec<&tessera_intake::CellError> = report
        .map(|r| r.errors.iter().collect())
        .unwrap_or_default();
    let fields: Vec<_> = template::columns(ent)
        .into_iter()
        .map(|var| field_ctx(state, var, v.lang, values, &errors))
        .collect();
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
            entity, entity_label => ent.label.get(v.lang), fields, general, stored,
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
    entry_render(&state, &v, &entity, &[], None, None).await
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
    let csv_bytes = w
        .write_record(&header)
        .and_then(|_| w.write_record(&row))
        .map_err(|e| WebError::BadRequest(e.to_string()))
        .and_then(|_| {
            w.into_inner()
                .map_err(|e| WebError::BadRequest(e.to_string()))
        })?;
    match store_file(&state, &v, &entity, &period, "form", csv_bytes).await? {
        Outcome::Stored {
            submission,
            inserted,
            updated,
        } => {
            let msg = tr(
                v.lang,
                "entry-stored",
                &[
                    ("submission", Arg::Num(submission.id)),
                    ("inserted", Arg::Num(inserted as i64)),
                    ("updated", Arg::Num(updated as i64)),
                ],
            );
            // A fresh form for the next record, keeping the period.
            let keep = vec![("_period".to_string(), period)];
            entry_render(&state, &v, &entity, &keep, None, Some(msg)).await
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
