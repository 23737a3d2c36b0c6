//! The web application: server-rendered HTML in English and French (Project Fluent), every asset
//! embedded in the binary, no CDN, readable without JavaScript; and a JSON API with its OpenAPI
//! document. Handlers read and write through the store's interface only: which provider's records
//! a user may touch is decided by the store's queries (`Access`), not by what a page shows.
//!
//! - `auth` — sessions, API tokens, sign-in with lockout and second factor, CSRF.
//! - `pages` — records, submissions, review queue, timeliness, audit, home.
//! - `registry` — providers (register, change, retire, a whole list), agreements and their
//!   documents, the reporting calendar, the first-run steps.
//! - `submit` — upload with the validation report, data entry forms from the dictionary.
//! - `admin` — users, password resets, API tokens; the user's own account page.
//! - `nap` — the National Action Plan's page: baselines, targets, figures entered by hand.
//! - `reports` — the annual report (sentences edited by hand, preview, HTML/PDF) and the
//!   international returns, for coordinators and analysts.
//! - `api` — `/api/v1`, problem+json errors, `/api/v1/openapi.json`.
//! - `metrics` — `/metrics` (Prometheus): the audit log's head, for administrators.

pub mod admin;
pub mod api;
pub mod apidoc;
pub mod auth;
pub mod dashboards;
pub mod help;
pub mod i18n;
pub mod linkreview;
pub mod lists;
pub mod metrics;
pub mod nap;
pub mod pages;
pub mod paging;
pub mod registry;
pub mod reports;
pub mod site;
pub mod submit;
pub mod work;
pub use tessera_store::totp;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minijinja::Environment;
use tessera_dictionary::{Dictionary, Role};
use tessera_pseudonym::Encoder;
use tessera_store::{Store, StoreError};

pub use auth::Viewer;
pub use i18n::UI_LANGUAGES;

/// Deployment settings of the web server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (and use the `__Host-` prefix): on whenever the site is served over
    /// TLS, which production always is.
    pub secure_cookies: bool,
    /// Largest upload accepted, in bytes.
    pub max_upload: usize,
    /// The deployment secret, when focal points may pseudonymise files in their browser before
    /// uploading them (`tessera serve --browser-pseudonymisation`). Whoever holds the secret can
    /// test guessed names against pseudonyms, so this hands it to every focal point who asks (each
    /// time audited): the same trust as giving their office the key file for
    /// `tessera pseudonymise`. Off unless the operator turns it on.
    pub browser_secret: Option<tessera_pseudonym::Secret>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            secure_cookies: true,
            max_upload: 50 * 1024 * 1024,
            browser_secret: None,
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub dict: Arc<Dictionary>,
    pub encoder: Arc<dyn Encoder>,
    pub config: Arc<Config>,
    /// Typed facts for the dashboards, rebuilt when approved data changes.
    pub facts: Arc<tessera_analysis::FactsCache>,
    /// Who is who (linkage over the stored pseudonyms), for the facts it was computed with.
    pub persons: dashboards::PersonsCache,
    templates: Arc<Environment<'static>>,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("code.html", include_str!("../templates/code.html")),
    (
        "providers.html",
        include_str!("../templates/providers.html"),
    ),
    ("provider.html", include_str!("../templates/provider.html")),
    ("periods.html", include_str!("../templates/periods.html")),
    ("setup.html", include_str!("../templates/setup.html")),
    ("report.html", include_str!("../templates/report.html")),
    ("records.html", include_str!("../templates/records.html")),
    ("record.html", include_str!("../templates/record.html")),
    ("entry.html", include_str!("../templates/entry.html")),
    ("upload.html", include_str!("../templates/upload.html")),
    (
        "submissions.html",
        include_str!("../templates/submissions.html"),
    ),
    (
        "submission.html",
        include_str!("../templates/submission.html"),
    ),
    (
        "timeliness.html",
        include_str!("../templates/timeliness.html"),
    ),
    ("audit.html", include_str!("../templates/audit.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("drill.html", include_str!("../templates/drill.html")),
    ("linkage.html", include_str!("../templates/linkage.html")),
    ("nap.html", include_str!("../templates/nap.html")),
    ("reports.html", include_str!("../templates/reports.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    (
        "submission_table.html",
        include_str!("../templates/submission_table.html"),
    ),
    ("pager.html", include_str!("../templates/pager.html")),
    (
        "home_provider.html",
        include_str!("../templates/home_provider.html"),
    ),
    ("confirm.html", include_str!("../templates/confirm.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("help.html", include_str!("../templates/help.html")),
];

impl AppState {
    pub fn new(
        store: Store,
        dict: Dictionary,
        encoder: Arc<dyn Encoder>,
        config: Config,
    ) -> AppState {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        // Templates are compiled into the binary; a failure here is a build defect caught by the tests.
        for (name, src) in TEMPLATES {
            if let Err(e) = env.add_template(name, src) {
                panic!("template {name} is invalid: {e}");
            }
        }
        AppState {
            store,
            dict: Arc::new(dict),
            encoder,
            config: Arc::new(config),
            facts: Arc::new(tessera_analysis::FactsCache::new()),
            persons: dashboards::PersonsCache::default(),
            templates: Arc::new(env),
        }
    }

    /// Renders a page with the common context (language, messages, navigation, CSRF token).
    pub fn render(
        &self,
        lang: &str,
        viewer: Option<&Viewer>,
        template: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, WebError> {
        let t = i18n::messages(lang);
        let nav = viewer.map(|v| registry::nav(v, &t)).unwrap_or_default();
        let version = i18n::tr(
            lang,
            "dictionary-version",
            &[("version", self.dict.full_version().into())],
        );
        let html = self.templates.get_template(template)?.render(minijinja::context! {
            lang,
            t => &*t,
            languages => UI_LANGUAGES,
            lang_links => site::lang_links(lang),
            nav,
            user => viewer.map(|v| minijinja::context! {
                name => &v.user.display_name,
                username => &v.user.username,
                role => t.get(&format!("role-{}", v.user.role.as_str())).cloned().unwrap_or_default(),
                provider => v.user.provider_id.as_ref().map(|p| p.as_str().to_string()),
            }),
            csrf => viewer.map(|v| site::mask_csrf(&v.csrf)).unwrap_or_default(),
            version,
            ..ctx
        })?;
        Ok((
            [
                (header::CONTENT_LANGUAGE, lang.to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            Html(html),
        )
            .into_response())
    }

    /// A label of a code in `lang`, or the code itself.
    pub fn label(&self, list: &str, code: &str, lang: &str) -> String {
        self.dict
            .codelist(list)
            .and_then(|l| l.get(code))
            .map(|c| c.label.get(lang).to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

/// Errors a handler can meet, each mapped to a status and a message the user can act on; details
/// of server faults go to the log only.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("page rendering failed: {0}")]
    Template(#[from] minijinja::Error),
    #[error("this page is not part of your role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("the form expired or came from another site; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Store(StoreError::NotFound(_)) | WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Store(StoreError::Forbidden(_)) | WebError::Forbidden | WebError::Csrf => {
                StatusCode::FORBIDDEN
            }
            WebError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            WebError::Store(StoreError::Invalid(_) | StoreError::Intake(_))
            | WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Store(_) | WebError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told.
    pub fn public_message(&self) -> String {
        match self.status() {
            StatusCode::INTERNAL_SERVER_ERROR => {
                "The server could not complete this request. The error has been logged.".into()
            }
            StatusCode::NOT_FOUND => "There is nothing here, or it is not yours to see.".into(),
            _ => self.to_string(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        // The page explains the status in the user's language; a refusal with a reason of its
        // own (a bad request, a store's refusal naming the agreement…) keeps that reason.
        let generic = matches!(
            self,
            WebError::Forbidden | WebError::NotFound | WebError::Csrf
        ) || status.is_server_error()
            || status == StatusCode::NOT_FOUND;
        let page = site::ErrorPage {
            detail: (!generic).then(|| self.public_message()),
            csrf: matches!(self, WebError::Csrf),
        };
        let msg = escape_html(&self.public_message());
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><link rel=\"stylesheet\" href=\"/assets/tessera.css\"></head><body><main><h1>{}</h1><p>{msg}</p><p><a href=\"/\">Tessera</a></p></main></body></html>",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
        );
        // The page as a last resort: the site's layer renders it in the user's language with
        // their menu (`site::context`).
        let mut resp = (status, Html(body)).into_response();
        resp.extensions_mut().insert(page);
        resp
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An RFC 9457 problem document.
pub fn problem(status: StatusCode, kind: &str, detail: &str) -> Response {
    problem_with(status, kind, detail, serde_json::Value::Null)
}

pub fn problem_with(
    status: StatusCode,
    kind: &str,
    detail: &str,
    errors: serde_json::Value,
) -> Response {
    let mut body = serde_json::json!({
        "type": format!("https://tessera.invalid/problems/{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if !errors.is_null() {
        body["errors"] = errors;
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(body),
    )
        .into_response()
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let max = state.config.max_upload;
    Router::new()
        .route("/", get(registry::home))
        .route("/setup", get(registry::setup))
        .route("/healthz", get(|| async { "ok" }))
        .merge(help::routes())
        .route("/metrics", get(metrics::metrics))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/code", get(auth::code_page).post(auth::code))
        .route("/logout", post(auth::logout))
        .route(
            "/providers",
            get(registry::providers).post(registry::add_provider),
        )
        .route("/providers/import", post(registry::import_list))
        .route("/providers/{id}", get(registry::provider))
        .route("/providers/{id}/edit", post(registry::edit))
        .route("/providers/{id}/retire", post(registry::retire))
        .route("/providers/{id}/agreements", post(registry::agreement_add))
        .route(
            "/providers/{id}/agreements/{n}/end",
            post(registry::agreement_end),
        )
        .route(
            "/providers/{id}/agreements/{n}/document",
            get(registry::agreement_document),
        )
        .route(
            "/periods",
            get(registry::periods).post(registry::add_period),
        )
        .route("/periods/{id}/close", post(registry::close))
        .route("/records", get(pages::records))
        .route("/records/new", get(submit::entry_page).post(submit::entry))
        .route("/records/new/check", post(submit::entry_check))
        .route("/records/new/draft", post(submit::entry_draft))
        .route("/records/{id}", get(pages::record))
        .route("/upload", get(submit::upload_page).post(submit::upload))
        .route("/upload/key", post(submit::encoding_key))
        .route("/submissions", get(pages::submissions))
        .route("/submissions/{id}", get(work::submission))
        .route("/submissions/{id}/confirm", post(work::confirm))
        .route("/submissions/{id}/{action}", post(pages::submission_action))
        .route("/review", get(pages::review))
        .route("/linkage", get(linkreview::page))
        .route("/linkage/decide", post(linkreview::decide))
        .route("/timeliness", get(pages::timeliness))
        .route("/audit", get(pages::audit))
        .route("/dashboard", get(dashboards::dashboard))
        .route("/dashboard.csv", get(dashboards::dashboard_csv))
        .route("/nap", get(nap::page))
        .route("/nap/{id}/targets", post(nap::save_targets))
        .route("/nap/{id}/figures", post(nap::save_figure))
        .route("/reports", get(reports::page))
        .route("/reports/sentences", post(reports::sentence))
        .route("/reports/preview", get(reports::preview))
        .route("/reports/annual", get(reports::annual))
        .route("/reports/returns", get(reports::returns))
        .route("/dashboard/records", get(dashboards::dashboard_records))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/{action}", post(admin::user_action))
        .route("/account", get(admin::account))
        .route(
            "/account/password",
            get(admin::password_page).post(admin::change_password),
        )
        .route("/account/language", post(admin::set_language))
        .route("/account/totp", post(admin::totp))
        .route("/templates/{entity}", get(submit::template_download))
        .nest("/api/v1", api::routes())
        .route("/assets/tessera.css", get(css))
        .route("/assets/favicon.svg", get(site::favicon))
        .route("/favicon.ico", get(site::favicon))
        .route("/assets/pseudonymise.js", get(pseudonymise_js))
        .route("/assets/pseudonym.wasm", get(pseudonym_wasm))
        .route("/assets/work.js", get(work_js))
        .fallback(site::not_found)
        .layer(DefaultBodyLimit::max(max))
        .layer(axum::middleware::from_fn(auth::same_origin_only))
        .layer(axum::middleware::from_fn(time_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            site::context,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(site::gzip))
        .with_state(state)
}

/// Longest a request may take, upload included: past it the client gets a 503 and the
/// handler's future is dropped, so no request holds a worker indefinitely. Work already handed
/// to the blocking pool (a file being validated) finishes on its own and its result is dropped.
pub const REQUEST_SECONDS: u64 = 300;

async fn time_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(
        std::time::Duration::from_secs(REQUEST_SECONDS),
        next.run(req),
    )
    .await
    {
        Ok(resp) => resp,
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request took too long and was stopped; try again, or with a smaller file.",
        ),
    }
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    for (k, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        // A handler may set a policy of its own (the report's preview: its inline styles, framed
        // by this site only).
        if h.contains_key(k) {
            continue;
        }
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    }
    resp
}

/// Serves until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    // The peer address reaches the handlers, for sign-in back-off per address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
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

/// The script that pseudonymises a CSV in the browser before upload (see `upload.html`).
async fn pseudonymise_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../assets/pseudonymise.js"),
    )
}

/// Keyboard shortcuts of the linkage review and the filter over long code lists (progressive
/// enhancement: every page works without it).
async fn work_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../assets/work.js"),
    )
}

/// The keyed encoder compiled to WebAssembly (`crates/pseudonym-wasm`, built by
/// `scripts/build-wasm`).
pub const PSEUDONYM_WASM: &[u8] = include_bytes!("../assets/pseudonym.wasm");

/// The WebAssembly encoder, gzipped when the browser accepts it (less than half the bytes on a
/// weak link), compressed once on first use.
async fn pseudonym_wasm(headers: axum::http::HeaderMap) -> Response {
    static GZIPPED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let common = [
        (header::CONTENT_TYPE, "application/wasm"),
        (header::CACHE_CONTROL, "public, max-age=86400"),
        (header::VARY, "accept-encoding"),
    ];
    if gzip {
        let body = GZIPPED.get_or_init(|| {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            // Writing to memory cannot fail.
            let _ = enc.write_all(PSEUDONYM_WASM);
            enc.finish().unwrap_or_default()
        });
        if !body.is_empty() {
            return (
                common,
                [(header::CONTENT_ENCODING, "gzip")],
                body.as_slice(),
            )
                .into_response();
        }
    }
    (common, PSEUDONYM_WASM).into_response()
}

/// Roles that read case-level records (pseudonymised): everyone but admins and partners.
pub const RECORD_READERS: &[Role] = &[
    Role::FocalPoint,
    Role::Viewer,
    Role::Coordinator,
    Role::Analyst,
];
