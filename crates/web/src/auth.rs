//! Who is asking: sessions (cookie) for people, bearer tokens for machines; signing in with
//! lockout and an optional second factor; protection against cross-site requests.
//!
//! Cross-site request forgery is stopped twice: every state-changing request from a browser must
//! come from our own origin (`Origin` / `Sec-Fetch-Site`, checked by [`same_origin_only`]), and
//! every form carries the session's synchroniser token, checked by [`Viewer::check_csrf`].
//! Bearer-token requests carry no ambient credential and need neither.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, extract::Query};
use serde::Deserialize;
use tessera_dictionary::Role;
use tessera_store::{Access, SecondFactor, SessionStage, SignIn, User, actions};

use crate::i18n::{self, Arg, tr};
use crate::{AppState, WebError, problem};

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    /// The session's synchroniser token (empty for API tokens).
    pub csrf: String,
    /// Authenticated by an API token rather than a session.
    pub api: bool,
    /// Interface language for this request.
    pub lang: &'static str,
}

impl Viewer {
    /// The case-level access the user's role grants, if any.
    pub fn access(&self) -> Result<Access, WebError> {
        Access::for_user(&self.user).map_err(WebError::from)
    }

    /// Refuses a form whose token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if self.api {
            return Ok(());
        }
        let a = self.csrf.as_bytes();
        let equal = |b: &[u8]| {
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        };
        // Pages carry the token masked afresh each time (`site::mask_csrf`); a client that
        // kept the token itself may send it as it is.
        let unmasked = crate::site::unmask_csrf(token);
        let same = equal(token.as_bytes()) || unmasked.as_deref().is_some_and(equal);
        if same && !a.is_empty() {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// The session cookie's name: the `__Host-` prefix (Secure, whole site, no domain) when served
/// over TLS.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "__Host-tessera"
    } else {
        "tessera"
    }
}

fn session_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        cookie_name(state),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

fn cookie_token<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn query_lang(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
}

/// Whether a request is for the JSON API: its refusals are problem documents, never a redirect
/// to the sign-in page.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The language an API request asked for: `?lang=`, else the supported `Accept-Language`
/// it prefers (highest quality first, in the order written among equals; `q=0` refuses one);
/// `None` when it asked for none.
pub fn api_lang(parts: &Parts) -> Option<&'static str> {
    query_lang(parts).and_then(i18n::supported).or_else(|| {
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())?;
        let mut offers: Vec<(f32, &'static str)> = accept
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let lang = i18n::supported(bits.next().unwrap_or("").trim())?;
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        offers.sort_by(|a, b| b.0.total_cmp(&a.0));
        offers.first().map(|(_, l)| *l)
    })
}

/// The 401 problem of an API request without valid credentials, in the language it asked for.
pub fn unauthorised(lang: &str, key: &str) -> Response {
    let mut resp = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorised",
        &tr(lang, key, &[]),
    );
    if let Ok(v) = "Bearer realm=\"tessera\"".parse() {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    if let Ok(v) = lang.parse() {
        resp.headers_mut().insert(header::CONTENT_LANGUAGE, v);
    }
    resp
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts.uri.path().to_string();
        // Inside the API's router (`/api/v1`) the URI has lost its prefix: the router marks
        // its requests.
        let is_api = is_api(&path) || parts.extensions.get::<crate::api::ApiRequest>().is_some();
        // A page follows `?lang=`, then the user's own choice; an API request also follows its
        // `Accept-Language` before the user's choice.
        let lang_override = if is_api {
            api_lang(parts)
        } else {
            // The language kept for the session (the EN/FR switch) comes before the user's.
            query_lang(parts)
                .and_then(i18n::supported)
                .or_else(|| i18n::cookie_lang(&parts.headers))
        };
        let anonymous_lang = lang_override.unwrap_or("en");
        if let Some(token) = bearer(&parts.headers) {
            return match state.store.api_token_user(token).await {
                Ok(Some(user)) => Ok(Viewer {
                    lang: lang_override
                        .or_else(|| i18n::supported(&user.locale))
                        .unwrap_or("en"),
                    user,
                    csrf: String::new(),
                    api: true,
                }),
                Ok(None) => Err(unauthorised(anonymous_lang, "api-token-refused")),
                Err(e) if is_api => Err(crate::api::ApiError::from(e).into_response()),
                Err(e) => Err(WebError::from(e).into_response()),
            };
        }
        if is_api && parts.headers.contains_key(header::AUTHORIZATION) {
            // Basic, a token without "Bearer ", …: not a credential this API takes.
            return Err(unauthorised(anonymous_lang, "api-token-refused"));
        }
        let session = match cookie_token(&parts.headers, cookie_name(state)) {
            Some(t) => state
                .store
                .session(t)
                .await
                .map_err(|e| WebError::from(e).into_response())?,
            None => None,
        };
        match session {
            Some(s) if s.stage == SessionStage::Full => {
                if s.user.must_change_password && path != "/account/password" && path != "/logout" {
                    if is_api {
                        let lang = lang_override
                            .or_else(|| i18n::supported(&s.user.locale))
                            .unwrap_or("en");
                        return Err(problem(
                            StatusCode::FORBIDDEN,
                            "password-change",
                            &tr(lang, "api-password-change", &[]),
                        ));
                    }
                    return Err(Redirect::to("/account/password").into_response());
                }
                let viewer = Viewer {
                    lang: lang_override
                        .or_else(|| i18n::supported(&s.user.locale))
                        .unwrap_or("en"),
                    user: s.user,
                    csrf: s.csrf,
                    api: false,
                };
                // Known to the rest of the request: an error page shows this user's menu.
                crate::site::note_viewer(&viewer);
                Ok(viewer)
            }
            _ if is_api => Err(unauthorised(anonymous_lang, "api-unauthorised")),
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", urlencode(next))).into_response())
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site relative paths are followed after signing in (no open redirect): a single
/// leading `/`, no backslash (browsers read it as `/`) and no control character (browsers drop
/// tabs and newlines, so `/\t/evil.example` would become `//evil.example`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Longest username kept from a sign-in form.
const MAX_USERNAME_CHARS: usize = 128;

/// The address a request came from ("local" when the server was not told, as in tests):
/// sign-in back-off is counted per address.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string()),
        ))
    }
}

/// Refuses state-changing browser requests that come from another site.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && bearer(req.headers()).is_none() {
        let h = req.headers();
        let cross_site = h
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site" || v == "same-site");
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_mismatch = match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
            (Some("null"), _) => true,
            (Some(origin), Some(host)) => {
                origin.split_once("://").map(|(_, rest)| rest) != Some(host)
            }
            _ => false,
        };
        if cross_site || origin_mismatch {
            if is_api(req.uri().path()) {
                return crate::api::ApiError::from(WebError::Csrf).into_response();
            }
            return WebError::Csrf.into_response();
        }
    }
    next.run(req).await
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = i18n::negotiate(q.lang.as_deref(), &headers);
    state.render(
        lang,
        None,
        "login.html",
        minijinja::context! { next => safe_next(q.next.as_deref()), error => None::<String> },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    lang: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = i18n::negotiate(f.lang.as_deref(), &headers);
    // What is typed as a username goes into the back-off table and the audit log: no more
    // than a username's length of it.
    let username: String = f.username.trim().chars().take(MAX_USERNAME_CHARS).collect();
    let username = username.as_str();
    let outcome = state.store.sign_in(username, &f.password, &addr).await?;
    let next = safe_next(f.next.as_deref());
    let error = match outcome {
        SignIn::Accepted(user) => {
            let stage = if user.totp_enabled {
                SessionStage::SecondFactor
            } else {
                SessionStage::Full
            };
            let token = state.store.create_session(user.id, stage).await?;
            state
                .store
                .audit(
                    &user.username,
                    actions::SESSION_SIGN_IN,
                    &user.username,
                    "{}",
                )
                .await?;
            let to = if user.totp_enabled {
                format!("/login/code?next={}", urlencode(&next))
            } else {
                next
            };
            return Ok((
                [(
                    header::SET_COOKIE,
                    session_cookie(&state, &token, tessera_store::ABSOLUTE_SECONDS),
                )],
                Redirect::to(&to),
            )
                .into_response());
        }
        SignIn::Rejected => {
            state
                .store
                .audit(username, actions::SESSION_SIGN_IN_FAILED, username, "{}")
                .await?;
            tr(lang, "login-failed", &[])
        }
        // Not audited: a flood of attempts past the allowance costs neither Argon2 work nor a
        // write each; the failures that led to it were recorded.
        SignIn::Throttled { wait_seconds } => tr(
            lang,
            "login-throttled",
            &[("seconds", Arg::Num(wait_seconds))],
        ),
    };
    let mut resp = state.render(
        lang,
        None,
        "login.html",
        minijinja::context! { next, error, username },
    )?;
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(resp)
}

pub async fn code_page(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = i18n::negotiate(q.lang.as_deref(), &headers);
    state.render(
        lang,
        None,
        "code.html",
        minijinja::context! { next => safe_next(q.next.as_deref()), error => None::<String> },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

/// Second step of signing in: the TOTP code turns the half-open session into a full one, under a
/// new token (the old one is ended, so a token seen before the second factor opens nothing).
pub async fn code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let lang = i18n::negotiate(None, &headers);
    let Some(token) = cookie_token(&headers, cookie_name(&state)) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(session) = state.store.session(token).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let next = safe_next(f.next.as_deref());
    if session.stage != SessionStage::SecondFactor {
        return Ok(Redirect::to(&next).into_response());
    }
    let outcome = state.store.second_factor(session.user.id, &f.code).await?;
    if outcome == SecondFactor::Accepted {
        state.store.end_session(token).await?;
        let full = state
            .store
            .create_session(session.user.id, SessionStage::Full)
            .await?;
        state
            .store
            .audit(
                &session.user.username,
                actions::SESSION_VERIFY_CODE,
                &session.user.username,
                "{}",
            )
            .await?;
        return Ok((
            [(
                header::SET_COOKIE,
                session_cookie(&state, &full, tessera_store::ABSOLUTE_SECONDS),
            )],
            Redirect::to(&next),
        )
            .into_response());
    }
    if outcome == SecondFactor::Rejected {
        state
            .store
            .audit(
                &session.user.username,
                actions::SESSION_VERIFY_CODE_FAILED,
                &session.user.username,
                "{}",
            )
            .await?;
    }
    let error = match outcome {
        SecondFactor::Throttled { wait_seconds } => tr(
            lang,
            "login-throttled",
            &[("seconds", Arg::Num(wait_seconds))],
        ),
        _ => tr(lang, "code-failed", &[]),
    };
    let mut resp = state.render(lang, None, "code.html", minijinja::context! { next, error })?;
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&f.csrf)?;
    if let Some(token) = cookie_token(&headers, cookie_name(&state)) {
        state.store.end_session(token).await?;
    }
    state
        .store
        .audit(
            &viewer.user.username,
            actions::SESSION_SIGN_OUT,
            &viewer.user.username,
            "{}",
        )
        .await?;
    Ok((
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/records?entity=victim")),
            "/records?entity=victim"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example/")), "/");
        assert_eq!(safe_next(Some("/a\nb")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn an_api_request_gets_the_language_it_prefers() {
        let lang = |accept: &str, uri: &str| {
            let (parts, _) = axum::http::Request::builder()
                .uri(uri)
                .header(header::ACCEPT_LANGUAGE, accept)
                .body(())
                .unwrap()
                .into_parts();
            api_lang(&parts)
        };
        assert_eq!(
            lang("de-DE, fr-CF;q=0.9, en;q=0.5", "/api/v1/records"),
            Some("fr")
        );
        assert_eq!(lang("fr;q=0.4, en;q=0.8", "/api/v1/records"), Some("en"));
        assert_eq!(lang("fr;q=0, de", "/api/v1/records"), None);
        assert_eq!(lang("fr", "/api/v1/records?lang=en"), Some("en"));
        assert_eq!(lang("", "/api/v1/records"), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; tessera=abc; b=2".parse().unwrap());
        assert_eq!(cookie_token(&h, "tessera"), Some("abc"));
        assert_eq!(cookie_token(&h, "__Host-tessera"), None);
    }
}
