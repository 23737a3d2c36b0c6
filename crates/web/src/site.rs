//! What every page shares beyond its own content:
//!
//! - the request's context (its address, the signed-in user once known, the language of an
//!   anonymous visitor), for the language switch and for error pages;
//! - the language kept for the session: `?lang=` (the EN/FR switch) sets a session cookie
//!   ([`i18n::LANG_COOKIE`]), and the switch links to the same page, tab and filters;
//! - localised error pages (400, 403, 404, 409, 500) with the user's menu and a way back, and
//!   the same "page not found" for an address no route knows;
//! - gzip on text responses (HTML, CSS, CSV, JSON, SVG, JavaScript) when the client takes it;
//! - the favicon.

use std::sync::{Arc, Mutex};

use axum::body::{Body, HttpBody};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{AppState, Viewer, WebError, i18n};

tokio::task_local! {
    static REQUEST: Arc<RequestInfo>;
}

/// What the pages of one request need to know about it.
struct RequestInfo {
    /// A GET (or HEAD): its address may be asked for again in another language.
    get: bool,
    path: String,
    query: Option<String>,
    /// The page the visitor came from, when it is one of ours (a way back from an error).
    back: Option<String>,
    /// The language of an anonymous visitor: `?lang=`, the session's, the browser's.
    anonymous_lang: &'static str,
    /// The signed-in user, once the request's extractor has found them.
    viewer: Mutex<Option<Viewer>>,
}

/// Remembers the request's user (called by the [`Viewer`] extractor), so that an error page
/// shows their menu and language.
pub fn note_viewer(v: &Viewer) {
    let _ = REQUEST.try_with(|r| {
        if let Ok(mut g) = r.viewer.lock() {
            *g = Some(v.clone());
        }
    });
}

/// The language switch's links: this page — its tab, filters and other parameters kept — in
/// each interface language, as `(language, address, current)`. Outside a request (tests
/// rendering a template), `?lang=`.
pub fn lang_links(current: &str) -> Vec<minijinja::Value> {
    let (path, query) = REQUEST
        .try_with(|r| (r.path.clone(), if r.get { r.query.clone() } else { None }))
        .unwrap_or_default();
    i18n::UI_LANGUAGES
        .iter()
        .map(|l| {
            let mut parts: Vec<&str> = query
                .as_deref()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
                .collect();
            let lang = format!("lang={l}");
            parts.push(&lang);
            minijinja::context! {
                id => l,
                href => format!("{path}?{}", parts.join("&")),
                current => *l == current,
            }
        })
        .collect()
}

/// Marks a response as an error that the [`context`] layer turns into a localised page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The refusal's own sentence, shown under the page's explanation (a bad request's reason).
    pub detail: Option<String>,
    /// The form expired or came from another site.
    pub csrf: bool,
}

fn query_lang(query: Option<&str>) -> Option<&'static str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(i18n::supported)
}

/// The path of a `Referer` of this site (same host), if any.
fn same_site_back(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = referer.split_once("://")?.1;
    let (h, path) = rest.split_at(rest.find('/')?);
    (h == host && path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

/// The layer around every route: keeps the request's context for the pages, renders error
/// responses as localised pages (the API keeps its problem documents), and keeps a language
/// chosen with `?lang=` in a session cookie.
pub async fn context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let chosen = query_lang(query.as_deref());
    let info = Arc::new(RequestInfo {
        get: matches!(
            *req.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        ),
        back: same_site_back(req.headers()),
        anonymous_lang: i18n::negotiate(chosen, req.headers()),
        path,
        query,
        viewer: Mutex::new(None),
    });
    let mut resp = REQUEST.scope(info.clone(), next.run(req)).await;
    let api = crate::auth::is_api(&info.path);
    if !api && let Some(err) = resp.extensions().get::<ErrorPage>().cloned() {
        resp = error_page(&state, &info, resp.status(), &err).unwrap_or(resp);
    }
    if let (Some(l), false) = (chosen, api) {
        let secure = if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}={l}; Path=/; HttpOnly; SameSite=Lax{secure}",
            i18n::LANG_COOKIE
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The localised page for an error status, in the user's language with their menu (or the
/// visitor's language and the sign-in link), a way back and home.
fn error_page(
    state: &AppState,
    info: &RequestInfo,
    status: StatusCode,
    err: &ErrorPage,
) -> Option<Response> {
    let viewer = info.viewer.lock().ok().and_then(|g| g.clone());
    let lang = viewer.as_ref().map_or(info.anonymous_lang, |v| v.lang);
    let t = i18n::messages(lang);
    let key = match status.as_u16() {
        400 | 413 | 422 => "error-400",
        401 | 403 => "error-403",
        404 | 405 => "error-404",
        409 => "error-409",
        _ => "error-500",
    };
    let msg = |k: String| t.get(&k).cloned().unwrap_or_default();
    let text = if err.csrf {
        msg("error-csrf".into())
    } else {
        msg(format!("{key}-text"))
    };
    let back = info
        .back
        .clone()
        .filter(|b| b.split('?').next() != Some(info.path.as_str()));
    let mut resp = state
        .render(
            lang,
            viewer.as_ref(),
            "error.html",
            minijinja::context! {
                id => key, status => status.as_u16(), heading => msg(format!("{key}-title")),
                text, detail => err.detail.clone(), back,
            },
        )
        .ok()?;
    *resp.status_mut() = status;
    Some(resp)
}

/// An address no route knows: the "page not found" page (a problem document under `/api/`),
/// with the user's menu when they are signed in.
pub async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let (mut parts, _) = req.into_parts();
    if crate::auth::is_api(&path) {
        // 401 without credentials, else a 404 problem document.
        return crate::api::not_found(&state, &mut parts).await;
    }
    // Signed in or not, the answer is the same page; signed in, it carries the user's menu.
    let _ = Viewer::from_request_parts(&mut parts, &state).await;
    WebError::NotFound.into_response()
}

/// The session's CSRF token as a page carries it: a fresh random pad, then the token XOR the
/// pad, in hex. Pages are gzipped; a secret that repeats byte for byte in every page, beside
/// text an attacker can make the page reflect, could be guessed from compressed sizes (BREACH).
/// Masked afresh each time, the token never repeats. [`unmask_csrf`] undoes it.
pub fn mask_csrf(token: &str) -> String {
    let mut pad = vec![0u8; token.len()];
    rand::Rng::fill(&mut rand::rng(), &mut pad[..]);
    let mut out = String::with_capacity(token.len() * 4);
    for b in pad.iter().chain(
        &pad.iter()
            .zip(token.as_bytes())
            .map(|(p, t)| p ^ t)
            .collect::<Vec<u8>>(),
    ) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The token a masked form carries ([`mask_csrf`]), if it is one.
pub fn unmask_csrf(masked: &str) -> Option<Vec<u8>> {
    if !masked.len().is_multiple_of(4) || masked.is_empty() {
        return None;
    }
    let bytes: Vec<u8> = (0..masked.len() / 2)
        .map(|i| u8::from_str_radix(masked.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let (pad, xored) = bytes.split_at(bytes.len() / 2);
    Some(pad.iter().zip(xored).map(|(p, x)| p ^ x).collect())
}

/// Largest body compressed: bigger ones are streamed (exports) or rare, and go as they are.
const MAX_GZIP: u64 = 32 * 1024 * 1024;

/// Whether the client takes gzip (`Accept-Encoding`, a quality of 0 refusing it).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut p = e.split(';').map(str::trim);
            let name = p.next().unwrap_or("");
            let refused = p.any(|q| {
                q.strip_prefix("q=")
                    .and_then(|x| x.parse::<f32>().ok())
                    .is_some_and(|x| x == 0.0)
            });
            (name == "gzip" || name == "*") && !refused
        })
}

fn compressible(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/")
                || ["json", "svg", "javascript", "xml"]
                    .iter()
                    .any(|k| ct.contains(k))
        })
}

/// Gzips text responses of a known size for clients that accept it.
pub async fn gzip(req: Request, next: Next) -> Response {
    let accepts = accepts_gzip(req.headers());
    let resp = next.run(req).await;
    if !compressible(resp.headers()) || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let mut resp = resp;
    resp.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let size = resp.body().size_hint().exact();
    if !accepts || size.is_none_or(|n| !(512..=MAX_GZIP).contains(&n)) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_GZIP as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let packed = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(bytes.len() / 4),
            flate2::Compression::default(),
        );
        // Writing to memory cannot fail.
        let _ = enc.write_all(&bytes);
        enc.finish().unwrap_or_default()
    };
    if packed.is_empty() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::from(packed))
}

/// The favicon: a small mosaic (tesserae) in the site's colours.
pub const FAVICON: &str = include_str!("../assets/favicon.svg");

pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_masked_afresh_and_unmasked() {
        let token = "3f".repeat(32);
        let (a, b) = (mask_csrf(&token), mask_csrf(&token));
        assert_ne!(a, b, "a fresh pad each time");
        assert!(!a.contains(&token));
        assert_eq!(a.len(), 4 * token.len());
        assert_eq!(unmask_csrf(&a).as_deref(), Some(token.as_bytes()));
        assert_eq!(unmask_csrf(&b).as_deref(), Some(token.as_bytes()));
        assert_eq!(unmask_csrf("zz"), None);
        assert_eq!(unmask_csrf(""), None);
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, v.parse().unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn only_our_own_pages_are_a_way_back() {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, "tessera.example".parse().unwrap());
        m.insert(
            header::REFERER,
            "https://tessera.example/dashboard?view=flows"
                .parse()
                .unwrap(),
        );
        assert_eq!(same_site_back(&m).as_deref(), Some("/dashboard?view=flows"));
        m.insert(
            header::REFERER,
            "https://evil.example/dashboard".parse().unwrap(),
        );
        assert_eq!(same_site_back(&m), None);
    }

    #[tokio::test]
    async fn the_language_switch_keeps_the_page_and_its_filters() {
        let info = Arc::new(RequestInfo {
            get: true,
            path: "/dashboard".into(),
            query: Some("view=smuggling&year_from=2022&lang=en&sex=F".into()),
            back: None,
            anonymous_lang: "en",
            viewer: Mutex::new(None),
        });
        let links = REQUEST.scope(info, async { lang_links("en") }).await;
        let fr = links
            .iter()
            .find(|l| l.get_attr("id").is_ok_and(|v| v.as_str() == Some("fr")))
            .unwrap();
        assert_eq!(
            fr.get_attr("href").unwrap().as_str(),
            Some("/dashboard?view=smuggling&year_from=2022&sex=F&lang=fr")
        );
        // Outside a request: the language alone.
        assert_eq!(
            lang_links("fr")[0].get_attr("href").unwrap().as_str(),
            Some("?lang=en")
        );
    }
}
