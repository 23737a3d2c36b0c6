//! The web application: server-rendered HTML in English and French (Project Fluent), every asset
//! embedded in the binary, no CDN. Handlers read through the store's interface only; nothing here
//! decides who may see what — the store's queries do.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use minijinja::Environment;
use tessera_dictionary::Dictionary;
use tessera_store::{Store, StoreError};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// Languages the interface is translated into; adding one is a folder under `locales/`.
pub const UI_LANGUAGES: &[&str] = &["en", "fr"];

/// Entities shown as columns on the home page, in this order.
const ENTITY_COLUMNS: &[&str] = &[
    "victim",
    "suspect",
    "smuggled_migrant",
    "cj_case",
    "smuggling_incident",
    "assistance",
];

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    dict: Arc<Dictionary>,
    templates: Arc<Environment<'static>>,
}

impl AppState {
    pub fn new(store: Store, dict: Dictionary) -> AppState {
        let mut env = Environment::new();
        // Templates are compiled into the binary; a failure here is a build defect caught by the tests.
        for (name, src) in [
            ("base.html", include_str!("../templates/base.html")),
            ("home.html", include_str!("../templates/home.html")),
        ] {
            if let Err(e) = env.add_template(name, src) {
                panic!("template {name} is invalid: {e}");
            }
        }
        AppState {
            store,
            dict: Arc::new(dict),
            templates: Arc::new(env),
        }
    }
}

/// Errors a handler can meet, mapped to a status and a plain message (details go to the log).
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("page rendering failed: {0}")]
    Template(#[from] minijinja::Error),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not complete this request. The error has been logged.",
        )
            .into_response()
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/providers", get(api_providers))
        .route("/assets/tessera.css", get(css))
        .with_state(state)
}

/// Serves until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// The language of a request: `?lang=` if supported, else the first supported `Accept-Language`.
fn language(query: &HashMap<String, String>, headers: &HeaderMap) -> &'static str {
    if let Some(l) = query
        .get("lang")
        .and_then(|l| UI_LANGUAGES.iter().find(|x| **x == l.as_str()))
    {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let tag = part.split(';').next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        if let Some(l) = UI_LANGUAGES.iter().find(|x| **x == primary) {
            return l;
        }
    }
    "en"
}

/// Every message of the interface in `lang`.
pub fn messages(lang: &str) -> HashMap<String, String> {
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let keys = include_str!("../locales/en/main.ftl")
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, _)| k.trim().to_string());
    keys.map(|k| {
        let v = LOCALES.lookup(&id, &k);
        (k, v)
    })
    .collect()
}

fn number(n: i64, lang: &str) -> String {
    let digits = n.abs().to_string();
    let sep = if lang == "fr" { '\u{202f}' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

async fn home(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = language(&query, &headers);
    let t = messages(lang);
    let summaries = state.store.provider_summaries().await?;
    let label = |list: &str, code: &str| {
        state
            .dict
            .codelist(list)
            .and_then(|l| l.get(code))
            .map(|c| c.label.get(lang).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let mut totals = vec![0i64; ENTITY_COLUMNS.len()];
    let providers: Vec<_> = summaries
        .iter()
        .map(|s| {
            let counts: Vec<String> = ENTITY_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let n = s.records.get(*e).copied().unwrap_or(0);
                    totals[i] += n;
                    number(n, lang)
                })
                .collect();
            minijinja::context! {
                id => s.provider.id.as_str(),
                name => &s.provider.name,
                type_label => label("provider_type", s.provider.provider_type.as_str()),
                region_label => s.provider.region.as_deref().map(|r| label("region", r)).unwrap_or_default(),
                counts => counts,
                total => number(s.total, lang),
                submissions => number(s.submissions, lang),
            }
        })
        .collect();
    let entities: Vec<_> = ENTITY_COLUMNS.iter().map(|e| minijinja::context! { label => t.get(&format!("entity-{e}")).cloned().unwrap_or_default() }).collect();
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut args = HashMap::new();
    args.insert(
        std::borrow::Cow::Borrowed("count"),
        fluent_templates::fluent_bundle::FluentValue::from(summaries.len()),
    );
    let intro = LOCALES
        .lookup_with_args(&id, "providers-intro", &args)
        .replace(['\u{2068}', '\u{2069}'], "");
    let mut vargs = HashMap::new();
    vargs.insert(
        std::borrow::Cow::Borrowed("version"),
        fluent_templates::fluent_bundle::FluentValue::from(state.dict.full_version()),
    );
    let version = LOCALES
        .lookup_with_args(&id, "dictionary-version", &vargs)
        .replace(['\u{2068}', '\u{2069}'], "");
    let html = state
        .templates
        .get_template("home.html")?
        .render(minijinja::context! {
            lang, t, languages => UI_LANGUAGES, providers, entities, intro, version,
            totals => totals.iter().map(|n| number(*n, lang)).collect::<Vec<_>>(),
            grand_total => number(summaries.iter().map(|s| s.total).sum(), lang),
            total_submissions => number(summaries.iter().map(|s| s.submissions).sum(), lang),
        })?;
    Ok(([(header::CONTENT_LANGUAGE, lang)], Html(html)).into_response())
}

async fn api_providers(State(state): State<AppState>) -> Result<Response, WebError> {
    Ok(Json(state.store.provider_summaries().await?).into_response())
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../templates/tessera.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language() {
        let en = messages("en");
        for lang in UI_LANGUAGES {
            let ftl = std::fs::read_to_string(format!(
                "{}/locales/{lang}/main.ftl",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            for key in en.keys() {
                assert!(
                    ftl.lines().any(|l| l.starts_with(&format!("{key} ="))),
                    "{lang} lacks {key}"
                );
            }
        }
        assert_ne!(messages("fr")["providers-heading"], en["providers-heading"]);
    }

    #[test]
    fn numbers_are_grouped_per_locale() {
        assert_eq!(number(1234567, "en"), "1,234,567");
        assert_eq!(number(1234567, "fr"), "1\u{202f}234\u{202f}567");
        assert_eq!(number(-12, "en"), "-12");
    }

    #[test]
    fn language_comes_from_query_then_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "fr-CF,fr;q=0.9,en;q=0.5".parse().unwrap(),
        );
        assert_eq!(language(&HashMap::new(), &h), "fr");
        let q: HashMap<String, String> = [("lang".to_string(), "en".to_string())].into();
        assert_eq!(language(&q, &h), "en");
        let q: HashMap<String, String> = [("lang".to_string(), "xx".to_string())].into();
        assert_eq!(language(&q, &HeaderMap::new()), "en");
    }
}
