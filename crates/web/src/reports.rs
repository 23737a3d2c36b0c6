//! The reports page (`/reports`): the annual country report and the international returns,
//! for the coordination body's coordinators and analysts (other roles have no part in it).
//!
//! - Choose the year and the report's language; the report is built from approved data by
//!   [`tessera_report::from_store`], exactly as `tessera report annual` builds it.
//! - Every generated sentence can be replaced by hand before publishing, or reset to the
//!   generated text ([`tessera_report::edits`]: kept in the store, audited as
//!   `report.edit_sentence` / `report.reset_sentence`); the preview marks the edited ones.
//! - Downloads: the annual report as HTML, DOCX, and PDF when this build has it — with the edits
//!   applied by [`tessera_report::from_store_published`], the function the command line calls —
//!   and the GLOTIP and Eurostat returns as CSV, XLSX, SDMX-CSV and DHIS2 JSON through the same
//!   `tessera_outputs` calls as `tessera report glotip|eurostat|sdmx|dhis2`.
//!
//! Building a report reads every record once and computes every table: it runs on the blocking
//! pool, never on the server's workers.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_dictionary::Role;
use tessera_outputs::{Kind, OutputError, dhis2, files, sdmx};
use tessera_report::edits::{self, Edits};
use tessera_report::{Report, ReportError};

use crate::i18n::{Arg, tr};
use crate::{AppState, Viewer, WebError};

/// Who opens the page, edits sentences and downloads: the coordination body's staff.
pub const REPORT_ROLES: &[Role] = &[Role::Coordinator, Role::Analyst];

/// Languages the report is written in.
const REPORT_LANGS: &[&str] = &["en", "fr"];

/// Notices after a change (`?done=`).
const DONE: &[&str] = &["saved", "reset", "unchanged"];

/// What a page or a download is asked for (`?year=&language=`; `lang` is the interface's).
#[derive(Deserialize, Default)]
pub struct Choice {
    year: Option<String>,
    language: Option<String>,
    done: Option<String>,
    /// The sentence just saved or reset: the preview opens at its chapter.
    sentence: Option<String>,
    format: Option<String>,
    kind: Option<String>,
}

/// A year as a form sends it: four digits, 1900 to 2100.
fn parse_year(lang: &str, s: &str) -> Result<i32, WebError> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
        .ok_or_else(|| {
            WebError::BadRequest(tr(
                lang,
                "report-bad-year",
                &[(
                    "value",
                    Arg::from(s.trim().chars().take(20).collect::<String>()),
                )],
            ))
        })
}

fn parse_lang(lang: &str, s: &str) -> Result<&'static str, WebError> {
    REPORT_LANGS
        .iter()
        .copied()
        .find(|l| *l == s.trim())
        .ok_or_else(|| {
            WebError::BadRequest(tr(
                lang,
                "report-bad-lang",
                &[(
                    "value",
                    Arg::from(s.trim().chars().take(20).collect::<String>()),
                )],
            ))
        })
}

/// Years with approved records, latest first.
async fn years(state: &AppState) -> Result<Vec<i32>, WebError> {
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let mut years = std::collections::BTreeSet::new();
    for ent in facts.entities.values() {
        for (y, ok) in ent.year.iter().zip(&ent.approved) {
            if *ok && (1900..=2100).contains(y) {
                years.insert(i32::from(*y));
            }
        }
    }
    Ok(years.into_iter().rev().collect())
}

/// The year and report language asked for, or the defaults: the latest year with approved
/// data and the interface's language.
async fn chosen(state: &AppState, v: &Viewer, q: &Choice) -> Result<(i32, &'static str), WebError> {
    let year = match q.year.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(y) => parse_year(v.lang, y)?,
        None => years(state)
            .await?
            .first()
            .copied()
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().year() - 1),
    };
    let lang = match q.language.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(l) => parse_lang(v.lang, l)?,
        None if REPORT_LANGS.contains(&v.lang) => v.lang,
        None => "en",
    };
    Ok((year, lang))
}

/// A server fault met while building or rendering, logged; the user is told it was.
fn fault(message: String) -> WebError {
    WebError::Template(minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        message,
    ))
}

fn output_error(e: OutputError) -> WebError {
    match e {
        OutputError::Store(s) => WebError::Store(s),
        OutputError::Analysis(a) => a.into(),
        OutputError::Xlsx(m) => fault(format!("XLSX: {m}")),
        other => WebError::BadRequest(other.to_string()),
    }
}

/// A refusal in the interface's language; store faults and conflicts keep their status.
fn report_error(lang: &str, e: ReportError) -> WebError {
    match e {
        ReportError::Store(s) => WebError::Store(s),
        ReportError::Analysis(a) => a.into(),
        ReportError::Output(o) => output_error(o),
        ReportError::Edit(r) => {
            let args: Vec<(&str, Arg)> = match &r {
                edits::Refusal::TooLong { max, len } => vec![
                    ("max", Arg::from(*max as i64)),
                    ("len", Arg::from(*len as i64)),
                ],
                edits::Refusal::Control { at } => vec![("at", Arg::from(*at as i64))],
                edits::Refusal::UnknownSentence(id) => vec![("id", Arg::from(id.as_str()))],
                edits::Refusal::Empty => vec![],
            };
            WebError::BadRequest(tr(lang, &format!("report-edit-{}", r.code()), &args))
        }
        ReportError::Options(m) => WebError::BadRequest(m),
        // The layout or a template (HTML, Typst) failed: the deployment's to fix.
        other => fault(other.to_string()),
    }
}

/// Runs `work` (which reads the store and computes) on the blocking pool.
async fn blocking<T: Send + 'static>(
    lang: &'static str,
    work: impl Future<Output = Result<T, ReportError>> + Send + 'static,
) -> Result<T, WebError> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work))
        .await
        .map_err(|e| fault(format!("report build: {e}")))?
        .map_err(|e| report_error(lang, e))
}

/// The report as generated from the figures (no edit applied) and the saved edits.
async fn generated(
    state: &AppState,
    lang: &'static str,
    year: i32,
    report_lang: &'static str,
) -> Result<(Report, Edits), WebError> {
    let (store, dict) = (state.store.clone(), state.dict.clone());
    blocking(lang, async move {
        let config = tessera_report::Config::default_layout();
        let report = tessera_report::from_store(&store, &dict, year, report_lang, &config).await?;
        let edits = edits::load(&store, year, report_lang).await?;
        Ok((report, edits))
    })
    .await
}

/// The report as published: the edits applied, as `tessera report annual` writes it.
async fn published(
    state: &AppState,
    lang: &'static str,
    year: i32,
    report_lang: &'static str,
) -> Result<(Report, edits::Applied), WebError> {
    let (store, dict) = (state.store.clone(), state.dict.clone());
    blocking(lang, async move {
        let config = tessera_report::Config::default_layout();
        tessera_report::from_store_published(&store, &dict, year, report_lang, &config).await
    })
    .await
}

/// What the page says after a change, and the sentence a refusal sends back as typed.
#[derive(Default)]
struct Feedback {
    notice: Option<String>,
    error: Option<String>,
    status: Option<StatusCode>,
    refused: Option<(String, String)>,
    /// The sentence whose chapter the preview opens at.
    focus: Option<String>,
}

/// `GET /reports`.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Choice>,
) -> Result<Response, WebError> {
    v.require(REPORT_ROLES)?;
    let (year, report_lang) = chosen(&state, &v, &q).await?;
    let notice = q
        .done
        .as_deref()
        .filter(|d| DONE.contains(d))
        .map(|d| tr(v.lang, &format!("done-report-{d}"), &[]));
    render(
        &state,
        &v,
        year,
        report_lang,
        Feedback {
            notice,
            focus: q.sentence.clone(),
            ..Feedback::default()
        },
    )
    .await
}

fn download(href: String, label: String, id: String) -> minijinja::Value {
    minijinja::context! { href, label, id }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    year: i32,
    report_lang: &'static str,
    fb: Feedback,
) -> Result<Response, WebError> {
    let lang = v.lang;
    let (report, saved) = generated(state, lang, year, report_lang).await?;
    let mut years = years(state).await?;
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let q = format!("year={year}&language={report_lang}");
    let sections: Vec<minijinja::Value> = report
        .sections
        .iter()
        .map(|sec| {
            let sentences: Vec<minijinja::Value> = sec
                .sentences
                .iter()
                .filter_map(|id| report.sentence(id))
                .enumerate()
                .map(|(i, s)| {
                    let edit = saved.get(&s.id);
                    let refused = fb.refused.as_ref().filter(|(id, _)| *id == s.id);
                    let text = match (refused, edit) {
                        (Some((_, typed)), _) => typed.clone(),
                        (None, Some(e)) => e.text.clone(),
                        (None, None) => s.text.clone(),
                    };
                    minijinja::context! {
                        id => &s.id,
                        label => tr(lang, "report-sentence-label", &[
                            ("n", Arg::from(i as i64 + 1)),
                        ]),
                        // Tall enough to show the whole sentence.
                        rows => (text.chars().count() / 64 + 1).clamp(2, 12),
                        text,
                        generated => &s.text,
                        edited => edit.is_some(),
                        edited_by => edit.map(|e| tr(lang, "reports-edited-by", &[
                            ("by", Arg::from(e.by.as_str())),
                            ("at", Arg::from(e.at.replace('T', " ").replace('Z', " UTC"))),
                        ])),
                        // The figures changed since the edit: the generated sentence is not the
                        // one the analyst replaced.
                        outdated => edit.is_some_and(|e| e.generated != s.text),
                        refused => refused.is_some(),
                    }
                })
                .collect();
            minijinja::context! { id => &sec.id, title => &sec.title, sentences }
        })
        .collect();
    let stale: Vec<minijinja::Value> = saved
        .sentences
        .iter()
        .filter(|(id, _)| report.sentence(id).is_none())
        .map(|(id, e)| minijinja::context! { id, text => &e.text, by => &e.by })
        .collect();
    let mut annual = vec![download(
        format!("/reports/annual?{q}&format=html"),
        tr(lang, "report-download-html", &[]),
        "download-html".into(),
    )];
    if tessera_report::PDF_AVAILABLE {
        annual.push(download(
            format!("/reports/annual?{q}&format=pdf"),
            tr(lang, "report-download-pdf", &[]),
            "download-pdf".into(),
        ));
    }
    annual.push(download(
        format!("/reports/annual?{q}&format=docx"),
        tr(lang, "report-download-docx", &[]),
        "download-docx".into(),
    ));
    let returns: Vec<minijinja::Value> = [Kind::Glotip, Kind::Eurostat]
        .into_iter()
        .map(|kind| {
            let k = kind.id();
            let links: Vec<minijinja::Value> = RETURN_FORMATS
                .iter()
                .map(|(f, key)| {
                    download(
                        format!("/reports/returns?{q}&kind={k}&format={f}"),
                        tr(lang, key, &[]),
                        format!("return-{k}-{f}"),
                    )
                })
                .collect();
            minijinja::context! { id => k, label => tr(lang, &format!("report-return-{k}"), &[]), links }
        })
        .collect();
    let ctx = minijinja::context! {
        year,
        report_lang,
        years,
        report_langs => REPORT_LANGS.iter().map(|l| minijinja::context! {
            code => l, label => tr(lang, &format!("report-lang-{l}"), &[]),
        }).collect::<Vec<_>>(),
        title => &report.meta.title,
        country => &report.meta.country_name,
        cutoff => &report.meta.data_cutoff,
        protection => &report.meta.protection,
        edited_note => tr(lang, "reports-edited-count", &[
            ("n", Arg::from((saved.len() - stale.len()) as i64)),
        ]),
        sections,
        stale,
        annual,
        returns,
        preview => format!("/reports/preview?{q}"),
        // The preview opens at the chapter of the sentence just changed or refused.
        preview_at => fb
            .focus
            .as_deref()
            .or(fb.refused.as_ref().map(|(id, _)| id.as_str()))
            .and_then(|id| report.sentence(id))
            .map(|s| format!("#{}", fragment(&s.section)))
            .unwrap_or_default(),
        max => edits::MAX_CHARS,
        notice => fb.notice,
        error => fb.error,
    };
    let mut resp = state.render(lang, Some(v), "reports.html", ctx)?;
    if let Some(s) = fb.status {
        *resp.status_mut() = s;
    }
    Ok(resp)
}

/// Formats of the returns, with their label's key.
const RETURN_FORMATS: &[(&str, &str)] = &[
    ("csv", "report-format-csv"),
    ("xlsx", "report-format-xlsx"),
    ("sdmx1", "report-format-sdmx1"),
    ("sdmx2", "report-format-sdmx2"),
    ("dhis2", "report-format-dhis2"),
];

/// The form of one sentence.
#[derive(Deserialize)]
pub struct SentenceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    text: String,
    /// `save` or `reset`.
    #[serde(default)]
    action: String,
}

/// A sentence id as one fragment of a link.
fn fragment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

/// `POST /reports/sentences`: saves a sentence's text, or (`action=reset`) gives the generated
/// sentence back.
pub async fn sentence(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<SentenceForm>,
) -> Result<Response, WebError> {
    v.require(REPORT_ROLES)?;
    v.check_csrf(&form.csrf)?;
    let year = parse_year(v.lang, &form.year)?;
    let report_lang = parse_lang(v.lang, &form.language)?;
    let id = form.id.trim().to_string();
    let by = v.user.username.clone();
    let result = if form.action == "reset" {
        let store = state.store.clone();
        let (id, by) = (id.clone(), by.clone());
        blocking(v.lang, async move {
            edits::reset(&store, year, report_lang, &id, &by).await
        })
        .await
        .map(|changed| if changed { "reset" } else { "unchanged" })
    } else {
        match generated(&state, v.lang, year, report_lang).await {
            Ok((report, _)) => {
                let store = state.store.clone();
                let (id, by, text) = (id.clone(), by.clone(), form.text.clone());
                blocking(v.lang, async move {
                    edits::save(&store, &report, &id, &text, &by).await
                })
                .await
                .map(|changed| if changed { "saved" } else { "unchanged" })
            }
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!(
            "/reports?year={year}&language={report_lang}&done={done}&sentence={f}#s-{f}",
            f = fragment(&id)
        ))
        .into_response()),
        Err(e) if matches!(e.status(), StatusCode::BAD_REQUEST | StatusCode::CONFLICT) => {
            render(
                &state,
                &v,
                year,
                report_lang,
                Feedback {
                    error: Some(e.public_message()),
                    status: Some(e.status()),
                    refused: Some((id, form.text)),
                    ..Feedback::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// A file to download, never cached.
fn attachment(mime: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The deployment's country code for file names (letters only).
fn country(state: &AppState) -> String {
    state
        .dict
        .extension
        .as_ref()
        .map(|e| e.country.to_ascii_lowercase())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect()
}

/// `GET /reports/preview`: the report's HTML with the edits applied and marked, shown in the
/// page's frame. The document's own styles are inline and it runs no script, so it is served
/// under a policy of its own: inline styles and data images only, framed by this site only.
pub async fn preview(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Choice>,
) -> Result<Response, WebError> {
    v.require(REPORT_ROLES)?;
    let (year, report_lang) = chosen(&state, &v, &q).await?;
    let (report, _) = published(&state, v.lang, year, report_lang).await?;
    let config = tessera_report::Config::default_layout();
    let html = tessera_report::html::render_preview(&report, &config)
        .map_err(|e| report_error(v.lang, e))?;
    let mut resp = ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
        ),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(resp)
}

/// `GET /reports/annual?year=&language=&format=html|pdf|docx`: the annual report as published.
pub async fn annual(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Choice>,
) -> Result<Response, WebError> {
    v.require(REPORT_ROLES)?;
    let (year, report_lang) = chosen(&state, &v, &q).await?;
    let format = q.format.as_deref().unwrap_or("html");
    if !matches!(format, "html" | "pdf" | "docx")
        || (format == "pdf" && !tessera_report::PDF_AVAILABLE)
    {
        return Err(WebError::BadRequest(tr(
            v.lang,
            "report-bad-format",
            &[(
                "value",
                Arg::from(format.chars().take(20).collect::<String>()),
            )],
        )));
    }
    let (store, dict) = (state.store.clone(), state.dict.clone());
    let what = format.to_string();
    let bytes = blocking(v.lang, async move {
        let config = tessera_report::Config::default_layout();
        let (report, _) =
            tessera_report::from_store_published(&store, &dict, year, report_lang, &config).await?;
        match what.as_str() {
            "pdf" => tessera_report::render_pdf(&report, &config),
            "docx" => tessera_report::docx::render(&report, &config),
            _ => Ok(tessera_report::html::render(&report, &config)?.into_bytes()),
        }
    })
    .await?;
    let name = format!(
        "annual-report-{}-{year}-{report_lang}.{format}",
        country(&state)
    );
    let mime = match format {
        "pdf" => "application/pdf",
        "docx" => tessera_report::docx::MIME,
        _ => "text/html; charset=utf-8",
    };
    Ok(attachment(mime, &name, bytes))
}

/// `GET /reports/returns?year=&language=&kind=glotip|eurostat&format=csv|xlsx|sdmx1|sdmx2|dhis2`:
/// an international return, as `tessera report glotip|eurostat|sdmx|dhis2` writes it (records
/// counted; DHIS2 with the default ids made from the codes).
pub async fn returns(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Choice>,
) -> Result<Response, WebError> {
    v.require(REPORT_ROLES)?;
    let (year, report_lang) = chosen(&state, &v, &q).await?;
    let bad = |key: &str, value: &str| {
        WebError::BadRequest(tr(
            v.lang,
            key,
            &[(
                "value",
                Arg::from(value.chars().take(20).collect::<String>()),
            )],
        ))
    };
    let kind_text = q.kind.as_deref().unwrap_or("");
    let kind = Kind::parse(kind_text).ok_or_else(|| bad("report-bad-kind", kind_text))?;
    let format = q.format.clone().unwrap_or_default();
    let (ext, mime) = match format.as_str() {
        "csv" | "sdmx1" | "sdmx2" => ("csv", "text/csv; charset=utf-8"),
        "xlsx" => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "dhis2" => ("json", "application/json"),
        other => return Err(bad("report-bad-format", other)),
    };
    let (store, dict) = (state.store.clone(), state.dict.clone());
    let f = format.clone();
    let bytes = blocking(v.lang, async move {
        let ret =
            tessera_outputs::from_store(&store, &dict, kind, year, report_lang, false).await?;
        let bytes = match f.as_str() {
            "csv" => files::csv(&ret).into_bytes(),
            "xlsx" => files::xlsx(&ret)?,
            "sdmx1" => sdmx::csv(&ret, sdmx::Version::V1).into_bytes(),
            "sdmx2" => sdmx::csv(&ret, sdmx::Version::V2).into_bytes(),
            _ => {
                let export = dhis2::data_value_set(&ret, &dhis2::Mapping::default_for(&ret))?;
                serde_json::to_vec_pretty(&export.json)
                    .map_err(|e| ReportError::Options(format!("DHIS2: {e}")))?
            }
        };
        Ok(bytes)
    })
    .await?;
    let suffix = match format.as_str() {
        "sdmx1" => "-sdmx-1.0",
        "sdmx2" => "-sdmx-2.0",
        "dhis2" => "-dhis2",
        _ => "",
    };
    let name = format!("{}-{}-{year}{suffix}.{ext}", kind.id(), country(&state));
    Ok(attachment(mime, &name, bytes))
}
