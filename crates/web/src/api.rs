//! The JSON API (`/api/v1`): providers, agreements, reporting periods, submissions, records,
//! statistics and the data dictionary, for other systems and for scripts. Authentication by API
//! token (`Authorization: Bearer tsr_…`) or session; the same roles and the same store-enforced
//! access as the pages. Every refusal is an RFC 9457 problem document — a request without valid
//! credentials gets 401 on every `/api/` path, never the sign-in page — with its message in the
//! language of `?lang=` or `Accept-Language`. The OpenAPI document is `openapi.json`, kept beside
//! this file, completed with the dictionary's schemas by `apidoc.rs`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_dictionary::Role;
use tessera_intake::{CellError, Table};
use tessera_store::ImportSource;

use crate::i18n::tr;
use crate::pages::submission_access;
use crate::registry;
use crate::submit::{Outcome, store_source};
use crate::{AppState, Viewer, WebError, problem, problem_with};

/// Most records accepted in one JSON request.
pub const MAX_JSON_RECORDS: usize = 10_000;

/// The XLSX content type.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
        .route("/dictionary", get(dictionary))
        .route("/providers", get(providers).post(post_provider))
        .route("/agreements", post(post_agreement))
        .route("/periods", post(post_period))
        .route("/submissions", get(submissions))
        .route("/submissions/{id}", get(submission))
        .route("/submissions/{id}/{action}", post(submission_action))
        .route("/records", get(records).post(post_records))
        .route("/records/{id}", get(record))
        .route("/statistics", get(statistics))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::map_response(as_problem))
        .layer(axum::middleware::map_request(mark))
}

/// Marks a request as the API's (the nested router sees its URI without `/api/v1`), so that
/// its refusals are problem documents.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest;

async fn mark(mut req: axum::extract::Request) -> axum::extract::Request {
    req.extensions_mut().insert(ApiRequest);
    req
}

/// Any path under `/api/v1` that is no route: 401 without credentials (nothing about the API
/// is told to a stranger), else 404.
async fn no_route(v: Result<Viewer, Response>) -> Response {
    match v {
        Err(refused) => refused,
        Ok(v) => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            &tr(v.lang, "api-no-route", &[]),
        ),
    }
}

/// [`no_route`] for a path under `/api/` outside `/api/v1` (the site's fallback hands it here).
pub async fn not_found(state: &AppState, parts: &mut axum::http::request::Parts) -> Response {
    use axum::extract::FromRequestParts;
    no_route(Viewer::from_request_parts(parts, state).await).await
}

/// A route asked with a method it does not take: 401 without credentials, else 405.
async fn wrong_method(v: Result<Viewer, Response>) -> Response {
    match v {
        Err(refused) => refused,
        Ok(v) => problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            &tr(v.lang, "api-method", &[]),
        ),
    }
}

/// Every refusal of the API is a problem document, also those made before a handler runs (a
/// path or query value that does not parse, a body over the limit): their text becomes the
/// detail.
async fn as_problem(resp: Response) -> Response {
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let body = axum::body::to_bytes(resp.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let detail = if text.trim().is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        text.trim().to_string()
    };
    let kind = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::UNAUTHORIZED => "unauthorised",
        s if s.is_server_error() => "server-error",
        _ => "bad-request",
    };
    problem(status, kind, &detail)
}

async fn openapi(State(state): State<AppState>) -> Response {
    Json(crate::apidoc::openapi(&state.dict)).into_response()
}

/// The data dictionary with the JSON Schema of each entity's records.
async fn dictionary(State(state): State<AppState>, _v: Viewer) -> ApiResult {
    Ok(Json(crate::apidoc::dictionary(&state.dict)).into_response())
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
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    if after < 0 || !(1..=1000).contains(&limit) {
        return Err(WebError::BadRequest(
            "after is a record id (0 or more) and limit between 1 and 1000".into(),
        )
        .into());
    }
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
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// The records of a JSON request as a table: a column per variable of the entity (and the
/// pseudonyms token), a row per record numbered from 1 as the records are; a key that is no
/// variable is a problem of its record, reported with the cells' own.
fn records_table(
    entity: &tessera_dictionary::Entity,
    records: &[serde_json::Map<String, Value>],
    lang: &str,
) -> Table<'static> {
    let token = tessera_intake::PSEUDONYMS_COLUMN;
    let mut header: Vec<String> = entity.variables.iter().map(|v| v.code.clone()).collect();
    if records.iter().any(|r| r.contains_key(token)) {
        header.push(token.to_string());
    }
    let mut problems = Vec::new();
    let rows = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            for key in r.keys().filter(|k| !header.contains(k)) {
                let mut e = CellError::new(
                    i + 1,
                    key.as_str(),
                    "",
                    "column",
                    tessera_intake::msg(
                        lang,
                        "col-unknown",
                        &[("entity", &entity.id), ("code", key)],
                    ),
                );
                e.suggestion = closest_variable(entity, key);
                problems.push(e);
            }
            header
                .iter()
                .map(|h| r.get(h).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    Table::from_rows("request body", header, rows, problems)
}

/// The variable a mistyped key most likely meant.
fn closest_variable(entity: &tessera_dictionary::Entity, key: &str) -> Option<String> {
    let key = key.to_lowercase();
    entity
        .variables
        .iter()
        .map(|v| (tessera_dictionary::levenshtein(&key, &v.code), &v.code))
        .filter(|(d, _)| *d <= 2.max(key.len() / 4))
        .min()
        .map(|(_, code)| code.clone())
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
    let mime = ctype.split(';').next().unwrap_or("").trim();
    let (entity, period, source) = if mime == "application/json" || mime.ends_with("+json") {
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
        let table = records_table(ent, &b.records, v.lang);
        (b.entity, b.period, ImportSource::Table(table))
    } else if matches!(
        mime,
        "" | "text/csv" | "text/plain" | "application/csv" | "application/octet-stream" | XLSX
    ) {
        let (Some(entity), Some(period)) = (q.entity, q.period) else {
            return Err(WebError::BadRequest(
                "send JSON, or a template file with ?entity=…&period=…".into(),
            )
            .into());
        };
        (entity, period, ImportSource::Bytes(body.to_vec()))
    } else {
        return Ok(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            &format!("records are sent as application/json, text/csv or {XLSX}, not {mime}"),
        ));
    };
    let lang = v.lang;
    let (outcome, _) = store_source(&state, &v, &entity, &period, "request body", source).await?;
    let mut resp = match outcome {
        Outcome::Stored {
            submission,
            inserted,
            updated,
            unchanged,
            summary,
        } => (
            StatusCode::CREATED,
            Json(json!({
                "submission": submission_json(&submission),
                "inserted": inserted,
                "updated": updated,
                "unchanged": unchanged,
                "summary": summary,
            })),
        )
            .into_response(),
        Outcome::Refused(mut report) => {
            report.errors.sort_by_key(|e| e.row);
            problem_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                &tr(
                    lang,
                    "api-refused",
                    &[
                        ("problems", (report.errors.len() as i64).into()),
                        ("rows", (report.rows_read as i64).into()),
                    ],
                ),
                json!(report.errors),
            )
        }
    };
    if let Ok(l) = lang.parse() {
        resp.headers_mut().insert(header::CONTENT_LANGUAGE, l);
    }
    Ok(resp)
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
        assert_eq!(cell(&json!(["CM", "TD"])), "CM;TD");
        assert_eq!(cell(&json!(true)), "yes");
        assert_eq!(cell(&json!(12)), "12");
        assert_eq!(cell(&Value::Null), "");
    }
}
