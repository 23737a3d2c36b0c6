//! Setting a country up from the browser and the API: the provider registry (register, change,
//! retire, register a whole spreadsheet list), each provider's data-sharing agreements with their
//! signed documents, the reporting calendar, and the first-run steps an administrator sees on an
//! empty registry.
//!
//! Administrators and coordinators change the registry; analysts read it; provider users see
//! their own provider's page. Every change goes through the store methods `tessera provider`,
//! `agreement` and `period` call, values are checked by the same dictionary functions, and each
//! change is written to the audit log under the CLI's action names (`provider.register`,
//! `provider.edit`, `provider.retire`, `provider.import`, `agreement.add`, `agreement.end`,
//! `period.open`, `period.close`), so the two can never disagree.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_dictionary::{Dictionary, Lang, ProviderId, ProviderType, Role, TypeError};
use tessera_intake::{CellError, IntakeError, Limits, Report, read_provider_list, template};
use tessera_store::{Agreement, Period, Provider, ProviderProfile, StoreError, actions};
use time::Date;

use crate::i18n::{Arg, date, tr};
use crate::{AppState, UI_LANGUAGES, Viewer, WebError};

/// Roles that read the whole registry and the calendar.
pub const NATIONAL_ROLES: &[Role] = &[Role::Admin, Role::Coordinator, Role::Analyst];

/// Roles that change the registry, the agreements and the calendar.
pub const REGISTRARS: &[Role] = &[Role::Admin, Role::Coordinator];

/// Longest name or signatories line accepted, in characters.
const MAX_TEXT: usize = 200;
/// Longest contact accepted, in characters.
const MAX_CONTACT: usize = 500;
/// Longest period identifier accepted.
const MAX_PERIOD_ID: usize = 32;

/// The navigation of `pages::nav`, with the reporting calendar and the action plan after the
/// registry.
pub fn nav(v: &Viewer, t: &HashMap<String, String>) -> Vec<minijinja::Value> {
    let mut items = crate::pages::nav(v, t);
    if NATIONAL_ROLES.contains(&v.role()) {
        let at = items
            .iter()
            .position(|i| {
                i.get_attr("href")
                    .ok()
                    .and_then(|h| h.as_str().map(|s| s == "/providers"))
                    .unwrap_or(false)
            })
            .map_or(items.len(), |i| i + 1);
        items.insert(
            at,
            minijinja::context! { href => "/periods", label => t.get("nav-periods").cloned().unwrap_or_default() },
        );
        if crate::nap::NAP_READERS.contains(&v.role()) {
            items.insert(
                at + 1,
                minijinja::context! { href => "/nap", label => t.get("nav-nap").cloned().unwrap_or_default() },
            );
        }
        if crate::reports::REPORT_ROLES.contains(&v.role()) {
            let after_nap = at + 1 + usize::from(crate::nap::NAP_READERS.contains(&v.role()));
            items.insert(
                after_nap,
                minijinja::context! { href => "/reports", label => t.get("nav-reports").cloned().unwrap_or_default() },
            );
        }
    }
    items
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

fn bad(e: TypeError) -> WebError {
    WebError::BadRequest(e.to_string())
}

/// A refusal of what was sent: an unknown provider named in a form or a body is the sender's to
/// fix, so it comes back as 400 with the store's sentence rather than a bare 404.
fn sent(e: StoreError) -> WebError {
    match e {
        StoreError::NotFound(_) => WebError::BadRequest(e.to_string()),
        e => e.into(),
    }
}

/// Trimmed text, `None` when blank, refused when longer than `max` characters.
fn text(lang: &str, label: &str, s: Option<&str>, max: usize) -> Result<Option<String>, WebError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(WebError::BadRequest(tr(
            lang,
            "field-too-long",
            &[
                ("field", tr(lang, label, &[]).into()),
                ("max", (max as i64).into()),
            ],
        ))),
        other => Ok(other.map(str::to_string)),
    }
}

/// A day written YYYY-MM-DD (what a date input sends).
fn day(lang: &str, label: &str, s: &str) -> Result<Date, WebError> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        WebError::BadRequest(tr(
            lang,
            "bad-day",
            &[
                ("field", tr(lang, label, &[]).into()),
                (
                    "value",
                    s.trim().chars().take(40).collect::<String>().into(),
                ),
            ],
        ))
    })
}

fn optional_day(lang: &str, label: &str, s: Option<&str>) -> Result<Option<Date>, WebError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => day(lang, label, s).map(Some),
        None => Ok(None),
    }
}

/// The first value of a form field, or "".
fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of a repeated form field (checkboxes).
fn fields<'a>(form: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

async fn audit(
    state: &AppState,
    v: &Viewer,
    action: &str,
    object: &str,
    detail: serde_json::Value,
) -> Result<(), WebError> {
    state
        .store
        .audit(&v.user.username, action, object, &detail.to_string())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What is sent, checked as the CLI checks it
// ---------------------------------------------------------------------------------------------

/// A provider as a form or `POST /api/v1/providers` describes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// Its name in interface languages (language → name).
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    #[serde(alias = "type")]
    pub provider_type: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub ngo: bool,
    #[serde(default)]
    pub contact: Option<String>,
}

impl ProviderInput {
    fn from_form(form: &[(String, String)]) -> ProviderInput {
        ProviderInput {
            id: field(form, "id").to_string(),
            name: field(form, "name").to_string(),
            names: UI_LANGUAGES
                .iter()
                .filter_map(|l| {
                    let n = field(form, &format!("name_{l}")).trim();
                    (!n.is_empty()).then(|| (l.to_string(), n.to_string()))
                })
                .collect(),
            provider_type: field(form, "provider_type").to_string(),
            region: Some(field(form, "region").to_string()),
            ngo: matches!(field(form, "ngo"), "yes" | "on" | "true"),
            contact: Some(field(form, "contact").to_string()),
        }
    }

    /// The provider it describes, every value checked: identifier, type and region as
    /// `tessera provider add` checks them (with the closest valid value), lengths bounded.
    fn check(&self, dict: &Dictionary, ui: &str) -> Result<Provider, WebError> {
        let id = ProviderId::parse(self.id.trim()).map_err(bad)?;
        let name = text(ui, "provider-name", Some(&self.name), MAX_TEXT)?
            .ok_or_else(|| WebError::BadRequest(tr(ui, "provider-name-required", &[])))?;
        let provider_type = ProviderType::parse(dict, &self.provider_type).map_err(bad)?;
        let region = match self
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => Some(dict.region_code(r).map_err(bad)?.to_string()),
            None => None,
        };
        let mut names = BTreeMap::new();
        for (lang, n) in &self.names {
            let lang = Lang::parse(dict, lang).map_err(bad)?;
            if let Some(n) = text(ui, "provider-name", Some(n), MAX_TEXT)? {
                names.insert(lang.as_str().to_string(), n);
            }
        }
        let contact = text(ui, "provider-contact", self.contact.as_deref(), MAX_CONTACT)?;
        Ok(Provider {
            id,
            name,
            provider_type,
            region,
            profile: ProviderProfile {
                names,
                ngo: self.ngo,
                contact,
                retired_on: None,
            },
        })
    }
}

fn case_level() -> String {
    "case".into()
}

/// An agreement as a form or `POST /api/v1/agreements` describes it (dates YYYY-MM-DD).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub provider: String,
    pub entities: Vec<String>,
    /// `case` or `aggregate`.
    #[serde(default = "case_level")]
    pub level: String,
    pub from: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub signed: Option<String>,
    #[serde(default)]
    pub signatories: Option<String>,
}

impl AgreementInput {
    fn check(&self, dict: &Dictionary, ui: &str) -> Result<Agreement, WebError> {
        let provider_id = ProviderId::parse(self.provider.trim()).map_err(bad)?;
        let mut entities: Vec<String> = Vec::new();
        for e in &self.entities {
            let e = dict.entity_id(e).map_err(bad)?.to_string();
            if !entities.contains(&e) {
                entities.push(e);
            }
        }
        if entities.is_empty() {
            return Err(WebError::BadRequest(tr(ui, "agreement-no-entity", &[])));
        }
        Ok(Agreement {
            id: 0,
            provider_id,
            entities,
            level: self.level.trim().to_string(),
            valid_from: day(ui, "valid-from", &self.from)?,
            valid_to: optional_day(ui, "valid-to", self.to.as_deref())?,
            signed_on: optional_day(ui, "signed-on", self.signed.as_deref())?,
            signatories: text(ui, "signatories", self.signatories.as_deref(), MAX_CONTACT)?,
            document_sha256: None,
            ended_on: None,
        })
    }
}

/// A reporting period as a form or `POST /api/v1/periods` describes it (dates YYYY-MM-DD).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    pub id: String,
    pub start: String,
    pub end: String,
    pub due: String,
    /// Provider types that report in it (all when empty).
    #[serde(default, alias = "types")]
    pub provider_types: Vec<String>,
}

impl PeriodInput {
    fn check(&self, dict: &Dictionary, ui: &str) -> Result<Period, WebError> {
        let id = self.id.trim();
        if id.is_empty() || id.chars().count() > MAX_PERIOD_ID || id.chars().any(char::is_control) {
            return Err(WebError::BadRequest(tr(
                ui,
                "period-id-invalid",
                &[("max", (MAX_PERIOD_ID as i64).into())],
            )));
        }
        let mut provider_types: Vec<String> = Vec::new();
        for t in &self.provider_types {
            let t = ProviderType::parse(dict, t)
                .map_err(bad)?
                .as_str()
                .to_string();
            if !provider_types.contains(&t) {
                provider_types.push(t);
            }
        }
        let p = Period {
            id: id.to_string(),
            starts_on: day(ui, "period-start", &self.start)?,
            ends_on: day(ui, "period-end", &self.end)?,
            due_on: day(ui, "period-due", &self.due)?,
            provider_types,
            closed_on: None,
        };
        // As `tessera period add`: submissions cannot be due before the period is over.
        if p.due_on < p.ends_on {
            return Err(WebError::BadRequest(tr(
                ui,
                "period-due-before-end",
                &[
                    ("due", p.due_on.to_string().into()),
                    ("end", p.ends_on.to_string().into()),
                ],
            )));
        }
        Ok(p)
    }
}

// ---------------------------------------------------------------------------------------------
// Changes: one function each, shared by the pages and the API
// ---------------------------------------------------------------------------------------------

/// Registers a provider (`tessera provider add`).
pub async fn register_provider(
    state: &AppState,
    v: &Viewer,
    input: &ProviderInput,
) -> Result<Provider, WebError> {
    v.require(REGISTRARS)?;
    let p = input.check(&state.dict, v.lang)?;
    state.store.register_provider(&p).await?;
    audit(
        state,
        v,
        actions::PROVIDER_REGISTER,
        p.id.as_str(),
        serde_json::json!({}),
    )
    .await?;
    Ok(p)
}

/// Changes a registered provider (`tessera provider edit`); its retirement is kept.
pub async fn edit_provider(
    state: &AppState,
    v: &Viewer,
    id: &ProviderId,
    input: &ProviderInput,
) -> Result<Provider, WebError> {
    v.require(REGISTRARS)?;
    let current = state.store.provider(id).await?.ok_or(WebError::NotFound)?;
    let mut p = input.check(&state.dict, v.lang)?;
    if p.id != *id {
        return Err(WebError::BadRequest(tr(v.lang, "provider-id-fixed", &[])));
    }
    p.profile.retired_on = current.profile.retired_on;
    state.store.edit_provider(&p).await?;
    audit(
        state,
        v,
        actions::PROVIDER_EDIT,
        id.as_str(),
        serde_json::json!({}),
    )
    .await?;
    Ok(p)
}

/// Retires a provider from `on` (default today; `tessera provider retire`).
pub async fn retire_provider(
    state: &AppState,
    v: &Viewer,
    id: &ProviderId,
    on: Option<&str>,
) -> Result<Date, WebError> {
    v.require(REGISTRARS)?;
    if state.store.provider(id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let on = optional_day(v.lang, "retire-on", on)?.unwrap_or_else(today);
    state.store.retire_provider(id, on).await?;
    audit(
        state,
        v,
        actions::PROVIDER_RETIRE,
        id.as_str(),
        serde_json::json!({ "on": on.to_string() }),
    )
    .await?;
    Ok(on)
}

/// Reads a spreadsheet list of providers and registers them all, or none
/// (`tessera provider import`). A list with problems comes back as its report.
pub async fn import_providers(
    state: &AppState,
    v: &Viewer,
    name: &str,
    bytes: Vec<u8>,
) -> Result<Result<usize, Report>, WebError> {
    v.require(REGISTRARS)?;
    let dict = state.dict.clone();
    let limits = Limits {
        max_bytes: state.config.max_upload as u64,
        ..Limits::default()
    };
    let file = name.to_string();
    let read = tokio::task::spawn_blocking(move || {
        read_provider_list(&dict, Box::new(std::io::Cursor::new(bytes)), &file, limits)
    })
    .await
    .map_err(|_| WebError::BadRequest(tr(v.lang, "import-unreadable", &[])))?;
    let list = match read {
        Ok(list) => list,
        Err(IntakeError::Invalid(report)) => return Ok(Err(report)),
        Err(e) => {
            return Ok(Err(Report {
                rows_read: 0,
                errors: vec![CellError {
                    row: 0,
                    column: String::new(),
                    value: String::new(),
                    rule: "file".into(),
                    message: e.to_string(),
                    suggestion: None,
                }],
                lang: "en".into(),
            }));
        }
    };
    let providers: Vec<Provider> = list.into_iter().map(Provider::from).collect();
    state.store.register_providers(&providers).await?;
    audit(
        state,
        v,
        actions::PROVIDER_IMPORT,
        name,
        serde_json::json!({ "providers": providers.len() }),
    )
    .await?;
    Ok(Ok(providers.len()))
}

/// Records an agreement, with its signed PDF if given (`tessera agreement add`); its number.
pub async fn add_agreement(
    state: &AppState,
    v: &Viewer,
    input: &AgreementInput,
    document: Option<&[u8]>,
) -> Result<i64, WebError> {
    v.require(REGISTRARS)?;
    let a = input.check(&state.dict, v.lang)?;
    if document.is_some_and(|d| !d.starts_with(b"%PDF-")) {
        return Err(WebError::BadRequest(tr(v.lang, "agreement-not-pdf", &[])));
    }
    let n = state
        .store
        .add_agreement_with_document(&a, document)
        .await
        .map_err(sent)?;
    audit(
        state,
        v,
        actions::AGREEMENT_ADD,
        a.provider_id.as_str(),
        serde_json::json!({ "agreement": n }),
    )
    .await?;
    Ok(n)
}

/// Agreement `n` of provider `id`, or not found.
async fn agreement_of(state: &AppState, id: &ProviderId, n: i64) -> Result<Agreement, WebError> {
    state
        .store
        .agreements(id)
        .await?
        .into_iter()
        .find(|a| a.id == n)
        .ok_or(WebError::NotFound)
}

/// Ends agreement `n` of provider `id` on `on` (default today; `tessera agreement end`).
pub async fn end_agreement(
    state: &AppState,
    v: &Viewer,
    id: &ProviderId,
    n: i64,
    on: Option<&str>,
) -> Result<Date, WebError> {
    v.require(REGISTRARS)?;
    let a = agreement_of(state, id, n).await?;
    if let Some(ended) = a.ended_on {
        return Err(WebError::BadRequest(tr(
            v.lang,
            "agreement-already-ended",
            &[("date", date(&ended.to_string(), v.lang).into())],
        )));
    }
    let on = optional_day(v.lang, "end-on", on)?.unwrap_or_else(today);
    state.store.end_agreement(n, on).await?;
    audit(
        state,
        v,
        actions::AGREEMENT_END,
        &n.to_string(),
        serde_json::json!({ "provider": id.as_str(), "on": on.to_string() }),
    )
    .await?;
    Ok(on)
}

/// Opens (or changes) a reporting period (`tessera period add`).
pub async fn open_period(
    state: &AppState,
    v: &Viewer,
    input: &PeriodInput,
) -> Result<Period, WebError> {
    v.require(REGISTRARS)?;
    let p = input.check(&state.dict, v.lang)?;
    state.store.upsert_period(&p).await?;
    audit(state, v, actions::PERIOD_OPEN, &p.id, serde_json::json!({})).await?;
    Ok(p)
}

/// Closes a period from `on` (default today; `tessera period close`).
pub async fn close_period(
    state: &AppState,
    v: &Viewer,
    id: &str,
    on: Option<&str>,
) -> Result<Date, WebError> {
    v.require(REGISTRARS)?;
    let period = state
        .store
        .periods()
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(WebError::NotFound)?;
    if let Some(closed) = period.closed_on {
        return Err(WebError::BadRequest(tr(
            v.lang,
            "period-already-closed",
            &[("date", date(&closed.to_string(), v.lang).into())],
        )));
    }
    let on = optional_day(v.lang, "close-on", on)?.unwrap_or_else(today);
    state.store.close_period(id, on).await?;
    audit(state, v, actions::PERIOD_CLOSE, id, serde_json::json!({})).await?;
    Ok(on)
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// What a page says after an action: a notice, or a refusal with the form as it was sent.
#[derive(Default)]
struct Feedback {
    notice: Option<String>,
    error: Option<String>,
    report: Option<minijinja::Value>,
    /// Which form the values belong to (`add`, `edit`, `agreement`, `period`).
    section: &'static str,
    form: Vec<(String, String)>,
    status: Option<StatusCode>,
}

impl Feedback {
    /// The page's answer to a refused action: its sentence and status, with the form kept.
    /// Server faults, refusals of the role and unknown objects stay errors of their own.
    fn refused(
        e: WebError,
        section: &'static str,
        form: Vec<(String, String)>,
    ) -> Result<Feedback, WebError> {
        let status = e.status();
        if !matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
        ) {
            return Err(e);
        }
        Ok(Feedback {
            error: Some(e.public_message()),
            section,
            form: form.into_iter().filter(|(k, _)| k != "csrf").collect(),
            status: Some(status),
            ..Feedback::default()
        })
    }

    fn values(&self, section: &str) -> Option<BTreeMap<String, String>> {
        (self.section == section).then(|| {
            let mut m = BTreeMap::new();
            for (k, v) in &self.form {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
            m
        })
    }
}

/// Notices after a change (`?done=`): only these keys are shown.
const DONE: &[&str] = &[
    "provider-registered",
    "provider-changed",
    "provider-retired",
    "agreement-added",
    "agreement-ended",
    "period-opened",
    "period-closed",
];

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    /// The registry's page (`GET /providers?page=`).
    page: Option<usize>,
}

impl DoneQuery {
    fn feedback(&self, lang: &str) -> Feedback {
        Feedback {
            notice: self
                .done
                .as_deref()
                .filter(|d| DONE.contains(d))
                .map(|d| tr(lang, &format!("done-{d}"), &[])),
            ..Feedback::default()
        }
    }
}

fn with_status(mut resp: Response, status: Option<StatusCode>) -> Response {
    if let Some(s) = status {
        *resp.status_mut() = s;
    }
    resp
}

/// The options of a code list for a select, `selected` marked.
fn code_options(
    state: &AppState,
    list: &str,
    lang: &str,
    selected: &[&str],
) -> Vec<minijinja::Value> {
    let mut codes: Vec<(&str, &str)> = state
        .dict
        .codelist(list)
        .map(|l| {
            l.codes
                .iter()
                .map(|c| (c.code.as_str(), c.label.get(lang)))
                .collect()
        })
        .unwrap_or_default();
    // Long lists in the reader's alphabetical order (see `lists`).
    if codes.len() > crate::lists::LONG_LIST {
        crate::lists::sort_by_label(&mut codes, |c| c.1);
    }
    codes
        .into_iter()
        .map(|(code, label)| minijinja::context! { code, label, selected => selected.contains(&code) })
        .collect()
}

/// One name field per interface language.
fn name_fields(lang: &str, names: &BTreeMap<String, String>) -> Vec<minijinja::Value> {
    UI_LANGUAGES
        .iter()
        .map(|l| {
            minijinja::context! {
                lang => l,
                label => tr(lang, "provider-name-in", &[("language", tr(l, "language-name", &[]).into())]),
                value => names.get(*l).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

fn retired_label(p: &Provider, lang: &str) -> Option<String> {
    p.profile.retired_on.map(|d| {
        tr(
            lang,
            "provider-retired-on",
            &[("date", date(&d.to_string(), lang).into())],
        )
    })
}

/// The registry: every provider with its status; for administrators and coordinators, the forms
/// to register one and to register a whole list.
pub async fn providers(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let fb = q.feedback(v.lang);
    providers_page(&state, &v, fb, q.page.unwrap_or(1)).await
}

async fn providers_render(
    state: &AppState,
    v: &Viewer,
    fb: Feedback,
) -> Result<Response, WebError> {
    providers_page(state, v, fb, 1).await
}

async fn providers_page(
    state: &AppState,
    v: &Viewer,
    fb: Feedback,
    page: usize,
) -> Result<Response, WebError> {
    v.require(NATIONAL_ROLES)?;
    let lang = v.lang;
    let all = state.store.providers().await?;
    let params = vec![("page".to_string(), page.to_string())];
    let (offset, pager) = crate::paging::numbered(
        lang,
        "/providers",
        &params,
        crate::paging::PAGE_SIZE,
        all.len(),
    );
    let list: Vec<_> = all
        .into_iter()
        .skip(offset)
        .take(crate::paging::PAGE_SIZE)
        .map(|p| {
            minijinja::context! {
                id => p.id.as_str(),
                name => p.name_in(lang),
                type_label => state.label("provider_type", p.provider_type.as_str(), lang),
                region_label => p.region.as_deref().map(|r| state.label("region", r, lang)).unwrap_or_default(),
                ngo => p.profile.ngo,
                retired => retired_label(&p, lang),
            }
        })
        .collect();
    let values = fb.values("add").unwrap_or_default();
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let names: BTreeMap<String, String> = UI_LANGUAGES
        .iter()
        .map(|l| (l.to_string(), get(&format!("name_{l}"))))
        .collect();
    let ptype = get("provider_type");
    let region = get("region");
    let resp = state.render(
        lang,
        Some(v),
        "providers.html",
        minijinja::context! {
            providers => list, pager,
            can_edit => REGISTRARS.contains(&v.role()),
            types => code_options(state, "provider_type", lang, &[ptype.as_str()]),
            regions => code_options(state, "region", lang, &[region.as_str()]),
            form => minijinja::context! {
                id => get("id"), name => get("name"), contact => get("contact"),
                ngo => matches!(get("ngo").as_str(), "yes" | "on" | "true"),
                names => name_fields(lang, &names),
            },
            notice => fb.notice, error => fb.error, report => fb.report,
        },
    )?;
    Ok(with_status(resp, fb.status))
}

/// `POST /providers`: registers the provider of the form.
pub async fn add_provider(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(field(&form, "csrf"))?;
    match register_provider(&state, &v, &ProviderInput::from_form(&form)).await {
        Ok(p) => Ok(
            Redirect::to(&format!("/providers/{}?done=provider-registered", p.id)).into_response(),
        ),
        Err(e) => {
            let fb = Feedback::refused(e, "add", form)?;
            providers_render(&state, &v, fb).await
        }
    }
}

/// A multipart form's text fields and its file (name, bytes), if one was chosen.
type Parts = (Vec<(String, String)>, Option<(String, Vec<u8>)>);

async fn multipart_parts(mut form: Multipart, file_field: &str) -> Result<Parts, WebError> {
    let mut values = Vec::new();
    let mut file = None;
    while let Some(part) = form
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?
    {
        let name = part.name().unwrap_or("").to_string();
        if name == file_field {
            let fname = part.file_name().unwrap_or("upload").to_string();
            let bytes = part
                .bytes()
                .await
                .map_err(|e| WebError::BadRequest(e.body_text()))?;
            if !bytes.is_empty() {
                file = Some((fname, bytes.to_vec()));
            }
        } else {
            let text = part
                .text()
                .await
                .map_err(|e| WebError::BadRequest(e.body_text()))?;
            values.push((name, text));
        }
    }
    Ok((values, file))
}

/// `POST /providers/import`: a CSV or XLSX list, registered whole or refused with its report.
pub async fn import_list(
    State(state): State<AppState>,
    v: Viewer,
    form: Multipart,
) -> Result<Response, WebError> {
    // The role first: nobody else's file is read.
    v.require(REGISTRARS)?;
    let (values, file) = multipart_parts(form, "file").await?;
    v.check_csrf(field(&values, "csrf"))?;
    let Some((name, bytes)) = file else {
        return Err(WebError::BadRequest(tr(v.lang, "import-no-file", &[])));
    };
    let fb = match import_providers(&state, &v, &name, bytes).await {
        Ok(Ok(n)) => Feedback {
            notice: Some(tr(
                v.lang,
                "providers-imported",
                &[("count", (n as i64).into()), ("file", name.into())],
            )),
            ..Feedback::default()
        },
        Ok(Err(report)) => Feedback {
            error: Some(tr(
                v.lang,
                "providers-import-refused",
                &[
                    ("errors", (report.errors.len() as i64).into()),
                    ("file", name.into()),
                ],
            )),
            report: Some(crate::submit::report_ctx(&report)),
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            ..Feedback::default()
        },
        Err(e) => Feedback::refused(e, "import", Vec::new())?,
    };
    providers_render(&state, &v, fb).await
}

/// Who may open a provider's page: national roles, and the provider's own users.
fn may_see(v: &Viewer, id: &ProviderId) -> bool {
    NATIONAL_ROLES.contains(&v.role())
        || (v.role().is_provider_bound() && v.user.provider_id.as_ref() == Some(id))
}

fn provider_id(v: &Viewer, id: &str) -> Result<ProviderId, WebError> {
    let id = ProviderId::parse(id).map_err(|_| WebError::NotFound)?;
    if may_see(v, &id) {
        Ok(id)
    } else {
        Err(WebError::NotFound)
    }
}

/// A provider's page: who it is, its agreements (with their documents), its focal points and
/// submissions; for administrators and coordinators, the forms to change or retire it and to
/// record or end an agreement.
pub async fn provider(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let id = provider_id(&v, &id)?;
    let fb = q.feedback(v.lang);
    provider_render(&state, &v, &id, fb).await
}

fn agreement_status(a: &Agreement, day: Date, lang: &str) -> (&'static str, String) {
    let d = |x: Date| date(&x.to_string(), lang);
    if a.in_force(day) {
        ("in-force", tr(lang, "agreement-in-force", &[]))
    } else if let Some(end) = a.ended_on.filter(|e| *e <= day) {
        (
            "ended",
            tr(lang, "agreement-ended-on", &[("date", d(end).into())]),
        )
    } else if a.valid_from > day {
        (
            "future",
            tr(
                lang,
                "agreement-not-yet",
                &[("date", d(a.valid_from).into())],
            ),
        )
    } else {
        (
            "expired",
            tr(
                lang,
                "agreement-expired",
                &[("date", d(a.valid_to.unwrap_or(a.valid_from)).into())],
            ),
        )
    }
}

async fn provider_render(
    state: &AppState,
    v: &Viewer,
    id: &ProviderId,
    fb: Feedback,
) -> Result<Response, WebError> {
    let lang = v.lang;
    let t = crate::i18n::messages(lang);
    let p = state.store.provider(id).await?.ok_or(WebError::NotFound)?;
    let can_edit = REGISTRARS.contains(&v.role());
    let national = NATIONAL_ROLES.contains(&v.role());
    let now = today();
    let entity_label = |e: &str| {
        t.get(&format!("entity-{e}"))
            .cloned()
            .unwrap_or_else(|| e.to_string())
    };
    let agreements: Vec<_> = state
        .store
        .agreements(id)
        .await?
        .into_iter()
        .map(|a| {
            let (status, status_label) = agreement_status(&a, now, lang);
            minijinja::context! {
                n => a.id,
                entities => a.entities.iter().map(|e| entity_label(e)).collect::<Vec<_>>().join(", "),
                level => tr(lang, &format!("level-{}", a.level), &[]),
                valid_from => date(&a.valid_from.to_string(), lang),
                valid_to => a.valid_to.map(|d| date(&d.to_string(), lang)).unwrap_or_default(),
                signed_on => a.signed_on.map(|d| date(&d.to_string(), lang)).unwrap_or_default(),
                signatories => a.signatories.clone().unwrap_or_default(),
                status, status_label,
                sha256 => a.document_sha256.clone(),
                document => (national && a.document_sha256.is_some())
                    .then(|| format!("/providers/{id}/agreements/{}/document", a.id)),
                can_end => can_edit && a.ended_on.is_none(),
            }
        })
        .collect();
    // The agreement form: the entities of the provider type's templates, all ticked at first.
    let agreement_values = fb.values("agreement");
    let ticked: Vec<&str> = agreement_values
        .as_ref()
        .map(|_| fields(&fb.form, "entities"))
        .unwrap_or_default();
    let entity_options: Vec<_> = template::entities_for(&state.dict, p.provider_type.as_str())
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            minijinja::context! {
                id => &e.id, label => e.label.get(lang),
                checked => agreement_values.is_none() || ticked.contains(&e.id.as_str()),
            }
        })
        .collect();
    let av = agreement_values.unwrap_or_default();
    let aget = |k: &str| av.get(k).cloned().unwrap_or_default();
    let agreement_form = minijinja::context! {
        level => if av.is_empty() { "case".to_string() } else { aget("level") },
        from => aget("from"), to => aget("to"), signed => aget("signed"),
        signatories => aget("signatories"),
    };
    // The edit form: as sent when refused, else as registered.
    let edit = match fb.values("edit") {
        Some(m) => {
            let get = |k: &str| m.get(k).cloned().unwrap_or_default();
            let names: BTreeMap<String, String> = UI_LANGUAGES
                .iter()
                .map(|l| (l.to_string(), get(&format!("name_{l}"))))
                .collect();
            minijinja::context! {
                name => get("name"), contact => get("contact"),
                ngo => matches!(get("ngo").as_str(), "yes" | "on" | "true"),
                provider_type => get("provider_type"), region => get("region"),
                names => name_fields(lang, &names), open => true,
            }
        }
        None => minijinja::context! {
            name => &p.name, contact => p.profile.contact.clone().unwrap_or_default(),
            ngo => p.profile.ngo, provider_type => p.provider_type.as_str(),
            region => p.region.clone().unwrap_or_default(),
            names => name_fields(lang, &p.profile.names), open => false,
        },
    };
    let edit_type = edit
        .get_attr("provider_type")
        .ok()
        .map(|x| x.to_string())
        .unwrap_or_default();
    let edit_region = edit
        .get_attr("region")
        .ok()
        .map(|x| x.to_string())
        .unwrap_or_default();
    let names: Vec<_> = UI_LANGUAGES
        .iter()
        .filter_map(|l| {
            p.profile.names.get(*l).map(|n| {
                minijinja::context! { language => tr(l, "language-name", &[]), name => n }
            })
        })
        .collect();
    let focal: Vec<_> = state
        .store
        .users_of(id.as_str())
        .await?
        .into_iter()
        .map(|u| minijinja::context! { name => u.display_name, role => tr(lang, &format!("role-{}", u.role.as_str()), &[]) })
        .collect();
    let submissions: Vec<_> = state
        .store
        .submissions_for(&tessera_store::Access::Provider(id.clone()), None)
        .await?
        .into_iter()
        .map(|s| {
            minijinja::context! {
                id => s.id, provider => &s.provider_id, period => &s.period_id, version => s.version,
                status => s.status.as_str(),
                status_label => tr(lang, &format!("status-{}", s.status.as_str()), &[]),
                submitted => s.submitted_at.map(|d| date(&d.date().to_string(), lang)).unwrap_or_default(),
            }
        })
        .collect();
    let resp = state.render(
        lang,
        Some(v),
        "provider.html",
        minijinja::context! {
            name => p.name_in(lang),
            id => p.id.as_str(),
            type_label => state.label("provider_type", p.provider_type.as_str(), lang),
            region_label => p.region.as_deref().map(|r| state.label("region", r, lang)).unwrap_or_default(),
            ngo => p.profile.ngo,
            contact => p.profile.contact.clone().unwrap_or_default(),
            names,
            retired => retired_label(&p, lang),
            can_edit, today => now.to_string(),
            edit, types => code_options(state, "provider_type", lang, &[edit_type.as_str()]),
            regions => code_options(state, "region", lang, &[edit_region.as_str()]),
            agreements, entity_options, agreement_form,
            levels => ["case", "aggregate"].iter().map(|l| minijinja::context! { id => l, label => tr(lang, &format!("level-{l}"), &[]) }).collect::<Vec<_>>(),
            focal, submissions,
            notice => fb.notice, error => fb.error,
        },
    )?;
    Ok(with_status(resp, fb.status))
}

/// `POST /providers/{id}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(mut form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(field(&form, "csrf"))?;
    let pid = provider_id(&v, &id)?;
    form.retain(|(k, _)| k != "id");
    form.push(("id".into(), id.clone()));
    match edit_provider(&state, &v, &pid, &ProviderInput::from_form(&form)).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/providers/{pid}?done=provider-changed")).into_response())
        }
        Err(e) => {
            let fb = Feedback::refused(e, "edit", form)?;
            provider_render(&state, &v, &pid, fb).await
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    on: Option<String>,
    confirm: Option<String>,
}

impl ConfirmForm {
    /// Retiring and ending are confirmed with a tick: pages work without JavaScript.
    fn confirmed(&self, lang: &str) -> Result<(), WebError> {
        if self.confirm.as_deref() == Some("yes") {
            Ok(())
        } else {
            Err(WebError::BadRequest(tr(lang, "confirm-needed", &[])))
        }
    }
}

/// `POST /providers/{id}/retire` (confirmed).
pub async fn retire(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(&f.csrf)?;
    let pid = provider_id(&v, &id)?;
    let done = match f.confirmed(v.lang) {
        Ok(()) => retire_provider(&state, &v, &pid, f.on.as_deref()).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => {
            Ok(Redirect::to(&format!("/providers/{pid}?done=provider-retired")).into_response())
        }
        Err(e) => {
            let fb = Feedback::refused(e, "retire", Vec::new())?;
            provider_render(&state, &v, &pid, fb).await
        }
    }
}

/// `POST /providers/{id}/agreements` (multipart: the form and the signed PDF).
pub async fn agreement_add(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    let pid = provider_id(&v, &id)?;
    if state.store.provider(&pid).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let (values, document) = multipart_parts(form, "document").await?;
    v.check_csrf(field(&values, "csrf"))?;
    let input = AgreementInput {
        provider: pid.to_string(),
        entities: fields(&values, "entities")
            .into_iter()
            .map(str::to_string)
            .collect(),
        level: field(&values, "level").to_string(),
        from: field(&values, "from").to_string(),
        to: Some(field(&values, "to").to_string()),
        signed: Some(field(&values, "signed").to_string()),
        signatories: Some(field(&values, "signatories").to_string()),
    };
    let bytes = document.map(|(_, b)| b);
    match add_agreement(&state, &v, &input, bytes.as_deref()).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/providers/{pid}?done=agreement-added#agreements"))
                .into_response(),
        ),
        Err(e) => {
            let fb = Feedback::refused(e, "agreement", values)?;
            provider_render(&state, &v, &pid, fb).await
        }
    }
}

/// `POST /providers/{id}/agreements/{n}/end` (confirmed).
pub async fn agreement_end(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, n)): Path<(String, i64)>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(&f.csrf)?;
    let pid = provider_id(&v, &id)?;
    let done = match f.confirmed(v.lang) {
        Ok(()) => end_agreement(&state, &v, &pid, n, f.on.as_deref()).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(
            Redirect::to(&format!("/providers/{pid}?done=agreement-ended#agreements"))
                .into_response(),
        ),
        Err(e) => {
            let fb = Feedback::refused(e, "end", Vec::new())?;
            provider_render(&state, &v, &pid, fb).await
        }
    }
}

/// `GET /providers/{id}/agreements/{n}/document`: the signed PDF, for national roles.
pub async fn agreement_document(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, n)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    v.require(NATIONAL_ROLES)?;
    let pid = provider_id(&v, &id)?;
    agreement_of(&state, &pid, n).await?;
    let bytes = state
        .store
        .agreement_document(n)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"agreement-{n}-{pid}.pdf\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The reporting calendar: every period with its status; for administrators and coordinators,
/// the form to open one and a button to close each.
pub async fn periods(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let fb = q.feedback(v.lang);
    periods_render(&state, &v, fb).await
}

async fn periods_render(state: &AppState, v: &Viewer, fb: Feedback) -> Result<Response, WebError> {
    v.require(NATIONAL_ROLES)?;
    let lang = v.lang;
    let now = today();
    let list: Vec<_> = state
        .store
        .periods()
        .await?
        .into_iter()
        .rev()
        .map(|p| {
            let (status, status_label) = match p.closed_on {
                Some(d) => ("closed", tr(lang, "period-closed-on", &[("date", date(&d.to_string(), lang).into())])),
                None if now > p.due_on => ("overdue", tr(lang, "period-open-past-due", &[])),
                None => ("open", tr(lang, "period-open", &[])),
            };
            minijinja::context! {
                id => &p.id,
                start => date(&p.starts_on.to_string(), lang),
                end => date(&p.ends_on.to_string(), lang),
                due => date(&p.due_on.to_string(), lang),
                types => if p.provider_types.is_empty() {
                    tr(lang, "period-all-types", &[])
                } else {
                    p.provider_types.iter().map(|t| state.label("provider_type", t, lang)).collect::<Vec<_>>().join(", ")
                },
                status, status_label,
                can_close => p.closed_on.is_none(),
                close_href => format!("/periods/{}/close", crate::auth::urlencode(&p.id)),
            }
        })
        .collect();
    let values = fb.values("period").unwrap_or_default();
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let ticked = fields(&fb.form, "types");
    let year = now.year();
    let resp = state.render(
        lang,
        Some(v),
        "periods.html",
        minijinja::context! {
            periods => list,
            can_edit => REGISTRARS.contains(&v.role()),
            types => code_options(state, "provider_type", lang, &ticked),
            form => minijinja::context! { id => get("id"), start => get("start"), end => get("end"), due => get("due") },
            example => format!("{year}"),
            notice => fb.notice, error => fb.error,
        },
    )?;
    Ok(with_status(resp, fb.status))
}

/// `POST /periods`: opens (or changes) the period of the form.
pub async fn add_period(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(field(&form, "csrf"))?;
    let input = PeriodInput {
        id: field(&form, "id").to_string(),
        start: field(&form, "start").to_string(),
        end: field(&form, "end").to_string(),
        due: field(&form, "due").to_string(),
        provider_types: fields(&form, "types")
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    match open_period(&state, &v, &input).await {
        Ok(_) => Ok(Redirect::to("/periods?done=period-opened").into_response()),
        Err(e) => {
            let fb = Feedback::refused(e, "period", form)?;
            periods_render(&state, &v, fb).await
        }
    }
}

/// `POST /periods/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    v.check_csrf(&f.csrf)?;
    match close_period(&state, &v, &id, f.on.as_deref()).await {
        Ok(_) => Ok(Redirect::to("/periods?done=period-closed").into_response()),
        Err(e) => {
            let fb = Feedback::refused(e, "close", Vec::new())?;
            periods_render(&state, &v, fb).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// First run
// ---------------------------------------------------------------------------------------------

/// How far the national set-up has gone.
struct Setup {
    /// Providers not retired.
    active: Vec<Provider>,
    /// Active providers without an agreement in force today.
    without_agreement: Vec<Provider>,
    /// Active providers without a focal-point account.
    without_focal_point: Vec<Provider>,
    open_periods: Vec<String>,
    focal_points: usize,
}

impl Setup {
    async fn read(state: &AppState) -> Result<Setup, WebError> {
        let now = today();
        let active: Vec<Provider> = state
            .store
            .providers()
            .await?
            .into_iter()
            .filter(|p| p.profile.retired_on.is_none_or(|d| d > now))
            .collect();
        let mut without_agreement = Vec::new();
        for p in &active {
            let agreements = state.store.agreements(&p.id).await?;
            if !agreements.iter().any(|a| a.in_force(now)) {
                without_agreement.push(p.clone());
            }
        }
        let focal: Vec<_> = state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role == Role::FocalPoint && !u.disabled)
            .collect();
        let without_focal_point = active
            .iter()
            .filter(|p| !focal.iter().any(|u| u.provider_id.as_ref() == Some(&p.id)))
            .cloned()
            .collect();
        let open_periods = state
            .store
            .periods()
            .await?
            .into_iter()
            .filter(|p| p.closed_on.is_none())
            .map(|p| p.id)
            .collect();
        Ok(Setup {
            without_agreement,
            without_focal_point,
            open_periods,
            focal_points: focal.len(),
            active,
        })
    }

    /// Enough to receive a first submission: a provider with an agreement in force, an open
    /// period and a focal point. Until then the home page is the list of steps.
    fn started(&self) -> bool {
        self.active.len() > self.without_agreement.len()
            && !self.open_periods.is_empty()
            && self.focal_points > 0
    }
}

/// Home: the set-up steps for administrators and coordinators while the deployment cannot yet
/// receive a submission (an empty registry, say); otherwise the usual home page.
pub async fn home(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    if REGISTRARS.contains(&v.role()) && !can_receive(&state).await? {
        let setup = Setup::read(&state).await?;
        return setup_render(&state, &v, setup).await;
    }
    crate::pages::home(State(state), v).await
}

/// [`Setup::started`] without reading every provider's agreements: the home page asks at each
/// visit, and a running deployment answers at its first provider.
async fn can_receive(state: &AppState) -> Result<bool, WebError> {
    if !state
        .store
        .periods()
        .await?
        .iter()
        .any(|p| p.closed_on.is_none())
    {
        return Ok(false);
    }
    let users = state.store.users().await?;
    if !users
        .iter()
        .any(|u| u.role == Role::FocalPoint && !u.disabled)
    {
        return Ok(false);
    }
    let now = today();
    for p in state.store.providers().await? {
        if p.profile.retired_on.is_none_or(|d| d > now)
            && state
                .store
                .agreements(&p.id)
                .await?
                .iter()
                .any(|a| a.in_force(now))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `GET /setup`: the set-up steps, at any time.
pub async fn setup(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    v.require(REGISTRARS)?;
    let setup = Setup::read(&state).await?;
    setup_render(&state, &v, setup).await
}

async fn setup_render(state: &AppState, v: &Viewer, s: Setup) -> Result<Response, WebError> {
    let lang = v.lang;
    let missing = |list: &[Provider]| -> Vec<minijinja::Value> {
        list.iter()
            .take(20)
            .map(|p| minijinja::context! { id => p.id.as_str(), name => p.name_in(lang) })
            .collect()
    };
    let n = |x: usize| Arg::Num(x as i64);
    let year = today().year();
    let extension = match &state.dict.extension {
        Some(ext) => tr(
            lang,
            "setup-extension-loaded",
            &[
                ("name", ext.label.get(lang).to_string().into()),
                ("id", ext.id.clone().into()),
                ("country", ext.country.clone().into()),
            ],
        ),
        None => tr(lang, "setup-extension-none", &[]),
    };
    let admin = v.role() == Role::Admin;
    let steps = vec![
        minijinja::context! {
            id => "extension", title => tr(lang, "setup-extension", &[]),
            done => state.dict.extension.is_some(), detail => extension,
            note => tr(lang, "setup-extension-note", &[]),
            commands => vec!["tessera init --db tessera.db --extension country.toml".to_string()],
        },
        minijinja::context! {
            id => "providers", title => tr(lang, "setup-providers", &[]),
            done => !s.active.is_empty(),
            detail => tr(lang, "setup-providers-status", &[("count", n(s.active.len()))]),
            href => "/providers", link => tr(lang, "setup-providers-link", &[]),
            commands => vec![
                "tessera provider add --id police-capital --name \"Police, capital\" --type POLICE --region …".to_string(),
                "tessera provider import providers.csv".to_string(),
            ],
        },
        minijinja::context! {
            id => "agreements", title => tr(lang, "setup-agreements", &[]),
            done => !s.active.is_empty() && s.without_agreement.is_empty(),
            detail => if s.active.is_empty() {
                tr(lang, "setup-after-providers", &[])
            } else {
                tr(lang, "setup-agreements-status", &[
                    ("with", n(s.active.len() - s.without_agreement.len())),
                    ("count", n(s.active.len())),
                ])
            },
            missing => missing(&s.without_agreement),
            href => s.without_agreement.first().map(|p| format!("/providers/{}#new-agreement", p.id)).unwrap_or_else(|| "/providers".into()),
            link => tr(lang, "setup-agreements-link", &[]),
            commands => vec!["tessera agreement add --provider police-capital --entities victim,suspect --level case --from 2025-01-01 --document mou.pdf".to_string()],
        },
        minijinja::context! {
            id => "periods", title => tr(lang, "setup-periods", &[]),
            done => !s.open_periods.is_empty(),
            detail => if s.open_periods.is_empty() {
                tr(lang, "setup-periods-none", &[])
            } else {
                tr(lang, "setup-periods-status", &[("count", n(s.open_periods.len())), ("ids", s.open_periods.join(", ").into())])
            },
            href => "/periods", link => tr(lang, "setup-periods-link", &[]),
            commands => vec![format!("tessera period add --id {year} --start {year}-01-01 --end {year}-12-31 --due {}-01-31", year + 1)],
        },
        minijinja::context! {
            id => "focal-points", title => tr(lang, "setup-focal-points", &[]),
            done => !s.active.is_empty() && s.without_focal_point.is_empty(),
            detail => if s.active.is_empty() {
                tr(lang, "setup-after-providers", &[])
            } else {
                tr(lang, "setup-focal-points-status", &[
                    ("with", n(s.active.len() - s.without_focal_point.len())),
                    ("count", n(s.active.len())),
                ])
            },
            missing => missing(&s.without_focal_point),
            href => if admin { Some("/admin/users") } else { None },
            link => tr(lang, "setup-focal-points-link", &[]),
            note => if admin { None } else { Some(tr(lang, "setup-focal-points-admin", &[])) },
            commands => vec!["TESSERA_PASSWORD=… tessera user add --username fp-police-capital --name \"…\" --role focal_point --provider police-capital".to_string()],
        },
    ];
    let done = steps
        .iter()
        .filter(|s| s.get_attr("done").is_ok_and(|d| d.is_true()))
        .count();
    state.render(
        lang,
        Some(v),
        "setup.html",
        minijinja::context! {
            steps,
            progress => tr(lang, "setup-progress", &[("done", n(done)), ("count", n(5))]),
            started => s.started(),
        },
    )
}
