//! The JSON API (`/api/v1`): providers, agreements, reporting periods, submissions, records and
//! statistics, for other systems and for scripts. Authentication by API token (`Authorization: Bearer tsr_…`) or session;
//! the same roles and the same store-enforced access as the pages. Errors are RFC 9457 problem
//! documents. The OpenAPI document is `openapi.json`, kept beside this file and served as is.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_dictionary::Role;

use crate::pages::submission_access;
use crate::registry;
use crate::submit::{Outcome, store_file};
use crate::{AppState, Viewer, WebError, problem, problem_with};

/// Most records accepted in one JSON request.
const MAX_JSON_RECORDS: usize = 10_000;

/// An API error: a [`WebError`] rendered as problem+json.
pub struct ApiError(WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "API request failed");
        }
        let kind = match status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::CONFLICT => "conflict",
            StatusCode::BAD_REQUEST => "bad-request",
            _ => "server-error",
        };
        problem(status, kind, &self.0.public_message())
    }
}

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/providers", get(providers).post(post_provider))
        .route("/agreements", post(post_agreement))
        .route("/periods", post(post_period))
        .route("/submissions", get(submissions))
        .route("/submissions/{id}", get(submission))
        .route("/submissions/{id}/{action}", post(submission_action))
        .route("/records", get(records).post(post_records))
        .route("/records/{id}", get(record))
        .route("/statistics", get(statistics))
        .fallback(|| async {
            problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "There is no such API route.",
            )
        })
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

async fn providers(State(state): State<AppState>, v: Viewer) -> ApiResult {
    let all = state.store.providers().await?;
    let list: Vec<Value> = all
        .into_iter()
        .filter(|p| match v.role() {
            Role::FocalPoint | Role::Viewer => v.user.provider_id.as_ref() == Some(&p.id),
            _ => true,
        })
        .map(|p| {
            json!({
                "id": p.id.as_str(),
                "name": p.name,
                "provider_type": p.provider_type.as_str(),
                "region": p.region,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

/// A JSON body as `T`, or 400 naming what is wrong with it.
fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("the body is not the expected JSON: {e}")))
}

fn provider_json(p: &tessera_store::Provider) -> Value {
    json!({
        "id": p.id.as_str(),
        "name": p.name,
        "names": p.profile.names,
        "provider_type": p.provider_type.as_str(),
        "region": p.region,
        "ngo": p.profile.ngo,
        "contact": p.profile.contact,
        "retired_on": p.profile.retired_on.map(|d| d.to_string()),
    })
}

/// Registers a provider (administrators and coordinators), as `tessera provider add`.
async fn post_provider(State(state): State<AppState>, v: Viewer, body: Bytes) -> ApiResult {
    v.require(registry::REGISTRARS)?;
    let input: registry::ProviderInput = json_body(&body)?;
    let p = registry::register_provider(&state, &v, &input).await?;
    Ok((StatusCode::CREATED, Json(provider_json(&p))).into_response())
}

/// Records a provider's data-sharing agreement (administrators and coordinators), as
/// `tessera agreement add`; the signed document is attached on the provider's page or by the CLI.
async fn post_agreement(State(state): State<AppState>, v: Viewer, body: Bytes) -> ApiResult {
    v.require(registry::REGISTRARS)?;
    let input: registry::AgreementInput = json_body(&body)?;
    let n = registry::add_agreement(&state, &v, &input, None).await?;
    let pid = tessera_dictionary::ProviderId::parse(input.provider.trim())
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let a = state
        .store
        .agreements(&pid)
        .await?
        .into_iter()
        .find(|a| a.id == n)
        .ok_or(WebError::NotFound)?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": a.id,
            "provider_id": a.provider_id.as_str(),
            "entities": a.entities,
            "level": a.level,
            "valid_from": a.valid_from.to_string(),
            "valid_to": a.valid_to.map(|d| d.to_string()),
            "signed_on": a.signed_on.map(|d| d.to_string()),
            "signatories": a.signatories,
            "document_sha256": a.document_sha256,
            "in_force": a.in_force(today),
        })),
    )
        .into_response())
}

/// Opens (or changes) a reporting period (administrators and coordinators), as
/// `tessera period add`.
async fn post_period(State(state): State<AppState>, v: Viewer, body: Bytes) -> ApiResult {
    v.require(registry::REGISTRARS)?;
    let input: registry::PeriodInput = json_body(&body)?;
    let p = registry::open_period(&state, &v, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": p.id,
            "start": p.starts_on.to_string(),
            "end": p.ends_on.to_string(),
            "due": p.due_on.to_string(),
            "provider_types": p.provider_types,
            "closed_on": p.closed_on.map(|d| d.to_string()),
        })),
    )
        .into_response())
}

fn submission_json(s: &tessera_store::Submission) -> Value {
    json!({
        "id": s.id,
        "provider_id": s.provider_id,
        "period_id": s.period_id,
        "version": s.version,
        "status": s.status.as_str(),
        "dictionary_version": s.dictionary_version,
        "submitted_at": s.submitted_at.map(|t| t.unix_timestamp()),
    })
}

async fn submissions(State(state): State<AppState>, v: Viewer) -> ApiResult {
    let access = submission_access(&v)?;
    let subs = state.store.submissions_for(&access, None).await?;
    Ok(Json(subs.iter().map(submission_json).collect::<Vec<_>>()).into_response())
}

async fn submission(State(state): State<AppState>, v: Viewer, Path(id): Path<i64>) -> ApiResult {
    let access = submission_access(&v)?;
    let s = state
        .store
        .submission_for(&access, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut body = submission_json(&s);
    body["records"] = json!(state.store.submission_counts(&access, id).await?);
    Ok(Json(body).into_response())
}

#[derive(Deserialize, Default)]
struct Decision {
    comment: Option<String>,
}

async fn submission_action(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> ApiResult {
    let d: Decision = if body.is_empty() {
        Decision::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| WebError::BadRequest(format!("the body is not the expected JSON: {e}")))?
    };
    let comment = d
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    crate::pages::workflow(&state, &v, id, &action, comment).await?;
    let s = state
        .store
        .submission_for(&submission_access(&v)?, id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(submission_json(&s)).into_response())
}

#[derive(Deserialize)]
struct RecordsQuery {
    entity: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
    period: Option<String>,
}

async fn records(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<RecordsQuery>,
) -> ApiResult {
    let access = v.access()?;
    let entity = q.entity.unwrap_or_else(|| "victim".into());
    if state.dict.entity(&entity).is_none() {
        return Err(WebError::BadRequest(format!("unknown entity \"{entity}\"")).into());
    }
    let after = q.after.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state.store.records(&access, &entity, after, limit).await?;
    state
        .store
        .audit(
            &v.user.username,
            tessera_store::actions::RECORD_LIST,
            &format!("records/{entity}"),
            &format!("{{\"after\":{after},\"rows\":{},\"api\":true}}", rows.len()),
        )
        .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(Json(json!({ "records": rows, "next_after": next })).into_response())
}

async fn record(State(state): State<AppState>, v: Viewer, Path(id): Path<i64>) -> ApiResult {
    let r = crate::pages::read_record(&state, &v, id, "{\"api\":true}").await?;
    Ok(Json(r).into_response())
}

#[derive(Deserialize)]
struct RecordsBody {
    entity: String,
    period: String,
    records: Vec<serde_json::Map<String, Value>>,
}

/// A JSON value as a template cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Sends records for the caller's provider into the open submission of a period — as JSON
/// (`{"entity", "period", "records": [{variable: value}]}`) or as a template file (CSV or XLSX
/// body, with `?entity=&period=`). All or nothing, validated exactly as an upload.
async fn post_records(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<RecordsQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (entity, period, bytes, name) = if ctype.starts_with("application/json") {
        let b: RecordsBody = serde_json::from_slice(&body)
            .map_err(|e| WebError::BadRequest(format!("the body is not the expected JSON: {e}")))?;
        if b.records.is_empty() || b.records.len() > MAX_JSON_RECORDS {
            return Err(WebError::BadRequest(format!(
                "send between 1 and {MAX_JSON_RECORDS} records per request"
            ))
            .into());
        }
        let ent = state
            .dict
            .entity(&b.entity)
            .ok_or_else(|| WebError::BadRequest(format!("unknown entity \"{}\"", b.entity)))?;
        // Columns: the entity's variables that appear in any record, in dictionary order; a key
        // that is no variable is refused by validation as an unknown column.
        let mut header: Vec<String> = ent
            .variables
            .iter()
            .filter(|var| b.records.iter().any(|r| r.contains_key(&var.code)))
            .map(|var| var.code.clone())
            .collect();
        for r in &b.records {
            for k in r.keys() {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header)
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        for r in &b.records {
            let row: Vec<String> = header
                .iter()
                .map(|h| r.get(h).map(cell).unwrap_or_default())
                .collect();
            w.write_record(&row)
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        (b.entity, b.period, bytes, "request body".to_string())
    } else {
        let (Some(entity), Some(period)) = (q.entity, q.period) else {
            return Err(WebError::BadRequest(
                "send JSON, or a template file with ?entity=…&period=…".into(),
            )
            .into());
        };
        (entity, period, body.to_vec(), "request body".to_string())
    };
    match store_file(&state, &v, &entity, &period, &name, bytes).await? {
        Outcome::Stored {
            submission,
            inserted,
            updated,
        } => Ok((
            StatusCode::CREATED,
            Json(json!({
                "submission": submission_json(&submission),
                "inserted": inserted,
                "updated": updated,
            })),
        )
            .into_response()),
        Outcome::Refused(report) => Ok(problem_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            &format!(
                "Nothing was stored: {} problem(s) in {} row(s) read.",
                report.errors.len(),
                report.rows_read
            ),
            json!(report.errors),
        )),
    }
}

/// Approved record counts per entity: with the count by provider type for national staff,
/// totals only for partners, through the deployment's disclosure control (small ones hidden,
/// rounded when the deployment rounds; `min_cell` and `rounding` say which). Providers' own users have their records and
/// submissions; a national figure is not theirs to read.
async fn statistics(State(state): State<AppState>, v: Viewer) -> ApiResult {
    v.require(&[Role::Coordinator, Role::Analyst, Role::Partner])?;
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let scope = crate::dashboards::scope_for(&state, &v).await?;
    let disclosure = tessera_analysis::deployment_disclosure(&state.store).await?;
    let counts =
        tessera_analysis::record_counts(&facts, &scope, crate::pages::ENTITY_COLUMNS, v.lang)?;
    let mut out = serde_json::Map::new();
    for c in counts {
        let mut entry = serde_json::Map::new();
        entry.insert("total".into(), json!(c.total.map(|n| n as i64)));
        if let Some(t) = c.by_provider_type {
            let cells: serde_json::Map<String, Value> = t
                .rows
                .iter()
                .filter_map(|r| {
                    let k = r.keys.first()?;
                    Some((
                        k.code.clone(),
                        json!(r.values.first().copied().flatten().map(|n| n as i64)),
                    ))
                })
                .collect();
            entry.insert("by_provider_type".into(), Value::Object(cells));
        }
        out.insert(c.entity, Value::Object(entry));
    }
    Ok(Json(json!({
        "unit": "records",
        "approved_only": true,
        "min_cell": disclosure.threshold as i64,
        "rounding": disclosure.rounding,
        "counts": out,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_template_cells() {
        assert_eq!(cell(&json!(["CM", "TD"])), "CM,TD");
        assert_eq!(cell(&json!(true)), "yes");
        assert_eq!(cell(&json!(12)), "12");
        assert_eq!(cell(&Value::Null), "");
    }
}
