//! `/help`: the users' manual, the handbook of harmonised definitions, the standard operating
//! procedures, the data-sharing agreement template and the security notes, in the interface
//! language, with every page's header linking to its section (`/help/here`).
//!
//! The documents are the Markdown files of `docs/`, embedded at build time, so the help a server
//! shows is the one of its own build; the handbook is generated from the deployment's
//! dictionary on each request. Markdown is rendered by pulldown-cmark; headings carry explicit
//! anchors (`{#send-data}`), the same in every language, so a page links to its section whatever
//! the user's language. Links between documents and to screenshots are rewritten to their
//! routes here.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use tessera_dictionary::Role;

use crate::{AppState, Viewer, WebError, i18n};

/// A document of `docs/` in each language it exists in (the first is the fallback).
struct Doc {
    name: &'static str,
    texts: &'static [(&'static str, &'static str)],
}

const DOCS: &[Doc] = &[
    Doc {
        name: "manual",
        texts: &[
            ("en", include_str!("../../../docs/manual.en.md")),
            ("fr", include_str!("../../../docs/manual.fr.md")),
        ],
    },
    Doc {
        name: "sop",
        texts: &[
            ("en", include_str!("../../../docs/sop.en.md")),
            ("fr", include_str!("../../../docs/sop.fr.md")),
        ],
    },
    Doc {
        name: "mou",
        texts: &[
            ("en", include_str!("../../../docs/mou.en.md")),
            ("fr", include_str!("../../../docs/mou.fr.md")),
        ],
    },
    Doc {
        name: "security",
        texts: &[
            ("en", include_str!("../../../docs/security.md")),
            ("fr", include_str!("../../../docs/security.fr.md")),
        ],
    },
];

/// The screenshots the manuals show (`docs/img`), written by the browser tests.
static IMAGES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../docs/img");

/// The help routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/help", get(manual))
        .route("/help/here", get(here))
        .route("/help/help.css", get(css))
        .route("/help/img/{name}", get(image))
        .route("/help/handbook", get(handbook))
        .route("/help/{doc}", get(document))
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The language of the request: the signed-in user's, else `?lang=`, the session's, the browser's.
fn language(viewer: &Option<Viewer>, q: &LangQuery, headers: &HeaderMap) -> &'static str {
    match (q.lang.as_deref().and_then(i18n::supported), viewer) {
        (Some(l), _) => l,
        (None, Some(v)) => v.lang,
        (None, None) => i18n::negotiate(None, headers),
    }
}

/// A relative link of a document, as the route that serves its target.
fn rewrite(dest: &str, lang: &str) -> String {
    if dest.starts_with('#')
        || dest.starts_with('/')
        || dest.contains("://")
        || dest.starts_with("mailto:")
    {
        return dest.to_string();
    }
    if let Some(img) = dest.strip_prefix("img/") {
        return format!("/help/img/{img}");
    }
    let (file, frag) = match dest.split_once('#') {
        Some((f, a)) => (f, format!("#{a}")),
        None => (dest, String::new()),
    };
    let Some(stem) = file.strip_suffix(".md") else {
        return dest.to_string();
    };
    // `manual.fr.md` → the manual in French; `sop.en.md` → the SOP in the reader's language.
    let (name, doc_lang) = match stem.rsplit_once('.') {
        Some((n, l)) if i18n::supported(l).is_some() => (n, l),
        _ => (stem, lang),
    };
    let path = if name == "manual" {
        "/help".to_string()
    } else {
        format!("/help/{name}")
    };
    if name == "manual" && doc_lang != lang {
        format!("{path}?lang={doc_lang}{frag}")
    } else {
        format!("{path}{frag}")
    }
}

/// A heading of the table of contents.
#[derive(serde::Serialize)]
struct Heading {
    level: u8,
    id: String,
    title: String,
}

/// Markdown into HTML, links rewritten, with the table of contents (levels 2 and 3).
fn render(md: &str, lang: &str) -> (String, String, Vec<Heading>) {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut toc = Vec::new();
    let mut title = String::new();
    let mut current: Option<(u8, String, String)> = None;
    let events: Vec<Event> = Parser::new_ext(md, opts)
        .map(|ev| match ev {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::from(rewrite(&dest_url, lang)),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: CowStr::from(rewrite(&dest_url, lang)),
                title,
                id,
            }),
            other => other,
        })
        .inspect(|ev| match ev {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let n = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                current = Some((n, id.as_deref().unwrap_or("").to_string(), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, text)) = current.as_mut() {
                    text.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, id, text)) = current.take() {
                    if level == 1 && title.is_empty() {
                        title = text.trim().to_string();
                    } else if (2..=3).contains(&level) && !id.is_empty() {
                        toc.push(Heading {
                            level,
                            id,
                            title: text.trim().to_string(),
                        });
                    }
                }
            }
            _ => {}
        })
        .collect();
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (title, html, toc)
}

/// The text of a document in `lang` (or its first language).
fn text_of(name: &str, lang: &str) -> Option<&'static str> {
    let doc = DOCS.iter().find(|d| d.name == name)?;
    doc.texts
        .iter()
        .find(|(l, _)| *l == lang)
        .or_else(|| doc.texts.first())
        .map(|(_, t)| *t)
}

fn page(
    state: &AppState,
    lang: &str,
    viewer: Option<&Viewer>,
    md: &str,
    current: &str,
) -> Result<Response, WebError> {
    let (title, body, toc) = render(md, lang);
    state.render(
        lang,
        viewer,
        "help.html",
        minijinja::context! { title, body, toc, current },
    )
}

/// `/help`: the users' manual.
pub async fn manual(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = viewer.ok();
    let lang = language(&viewer, &q, &headers);
    let md = text_of("manual", lang).ok_or(WebError::NotFound)?;
    page(&state, lang, viewer.as_ref(), md, "manual")
}

/// `/help/{doc}`: the procedures, the agreement template, the security notes.
pub async fn document(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Path(doc): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = viewer.ok();
    let lang = language(&viewer, &q, &headers);
    let md = text_of(&doc, lang).ok_or(WebError::NotFound)?;
    page(&state, lang, viewer.as_ref(), md, &doc)
}

/// `/help/handbook`: the handbook of harmonised definitions, generated from this deployment's
/// dictionary (its national extension included).
pub async fn handbook(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = viewer.ok();
    let lang = language(&viewer, &q, &headers);
    let md = tessera_dictionary::handbook::markdown(&state.dict, lang);
    page(&state, lang, viewer.as_ref(), &md, "handbook")
}

/// The manual's section about the page at `path`, for a user of `role`.
pub fn section_for(path: &str, role: Option<Role>) -> &'static str {
    let first = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    match first {
        "upload" => "send-data",
        "records" if path.starts_with("/records/new") => "send-data",
        "records" => match role {
            Some(Role::Viewer) => "viewer-read",
            Some(Role::FocalPoint) => "send-data",
            _ => "dashboards",
        },
        "submissions" => match role {
            Some(Role::FocalPoint) => "correct-returned",
            Some(Role::Viewer) => "viewer-read",
            _ => "review-submission",
        },
        "review" => "review-submission",
        "timeliness" => "timeliness",
        "linkage" => "decide-duplicates",
        "dashboard" | "dashboard.csv" => match role {
            Some(Role::Partner) => "partner-figures",
            _ => "dashboards",
        },
        "reports" => "annual-report",
        "nap" => "nap",
        "providers" | "setup" => "new-provider",
        "periods" => "periods",
        "admin" => "accounts",
        "audit" => "audit",
        "account" | "login" => "start",
        "templates" => "templates",
        _ => match role {
            Some(Role::FocalPoint) => "focal-point",
            Some(Role::Viewer) => "viewer",
            Some(Role::Coordinator) => "coordinator",
            Some(Role::Analyst) => "analyst",
            Some(Role::Partner) => "partner",
            Some(Role::Admin) => "administrator",
            None => "start",
        },
    }
}

/// `/help/here`: the header's Help link. The page the user came from (its `Referer`, sent for
/// links within the site) decides the section the manual opens at.
pub async fn here(viewer: Result<Viewer, Response>, headers: HeaderMap) -> Response {
    let role = viewer.ok().map(|v| v.role());
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let from = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest.split_at(i)))
        .filter(|(h, _)| Some(*h) == host)
        .map(|(_, p)| p.to_string());
    let section = match from.as_deref() {
        Some(p) if !p.starts_with("/help") => section_for(p, role),
        _ => section_for("/", role),
    };
    Redirect::to(&format!("/help#{section}")).into_response()
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../templates/help.css"),
    )
}

async fn image(Path(name): Path<String>) -> Response {
    match IMAGES.get_file(&name) {
        Some(f) if name.ends_with(".png") && !name.contains('/') => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            f.contents(),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_between_documents_become_routes() {
        assert_eq!(
            rewrite("img/review-en.png", "en"),
            "/help/img/review-en.png"
        );
        assert_eq!(rewrite("manual.fr.md", "en"), "/help?lang=fr");
        assert_eq!(rewrite("manual.fr.md#backup", "fr"), "/help#backup");
        assert_eq!(rewrite("sop.en.md#retention", "fr"), "/help/sop#retention");
        assert_eq!(rewrite("security.md", "en"), "/help/security");
        assert_eq!(rewrite("#send-data", "en"), "#send-data");
        assert_eq!(rewrite("/help/handbook", "en"), "/help/handbook");
    }

    #[test]
    fn every_page_opens_the_manual_at_a_section_that_exists() {
        for (name, lang) in [("manual", "en"), ("manual", "fr")] {
            let md = text_of(name, lang).unwrap();
            let (_, html, _) = render(md, lang);
            for path in [
                "/",
                "/upload",
                "/records",
                "/records/new",
                "/submissions",
                "/submissions/3",
                "/review",
                "/timeliness",
                "/linkage",
                "/dashboard?view=victims",
                "/reports",
                "/nap",
                "/providers",
                "/providers/police-bangui",
                "/periods",
                "/admin/users",
                "/audit",
                "/account",
                "/login",
                "/setup",
                "/templates/victim",
            ] {
                for role in [
                    None,
                    Some(Role::Admin),
                    Some(Role::Coordinator),
                    Some(Role::Analyst),
                    Some(Role::FocalPoint),
                    Some(Role::Viewer),
                    Some(Role::Partner),
                ] {
                    let id = section_for(path, role);
                    assert!(
                        html.contains(&format!("id=\"{id}\"")),
                        "{lang}: {path} {role:?} → #{id} is not a section of the manual"
                    );
                }
            }
        }
    }
}
