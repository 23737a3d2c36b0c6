//! A small demo deployment behind the real router, on SQLite and on PostgreSQL (required: when it
//! cannot be reached the tests fail; TESSERA_SKIP_PG=1 runs SQLite alone outside CI).

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use tessera_dictionary::{Dictionary, ProviderId, Role};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::Store;
use tessera_web::{AppState, Config};
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough password";
pub const OWN: &str = "police-berberati";
pub const OTHER: &str = "border-beloko";

pub fn dictionary() -> Dictionary {
    let ext = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../dictionary/extensions/cf.toml"),
    )
    .unwrap();
    Dictionary::base()
        .unwrap()
        .with_extension_text("cf.toml", &ext)
        .unwrap()
}

pub struct App {
    pub engine: &'static str,
    pub store: Store,
    pub router: Router,
    pub state: AppState,
    _dir: Option<tempfile::TempDir>,
}

/// Users of the fixture: one per role, focal point and viewer of OWN, focal point of OTHER.
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("coord", Role::Coordinator, None),
    ("analyst", Role::Analyst, None),
    ("partner", Role::Partner, None),
    ("fp", Role::FocalPoint, Some(OWN)),
    ("viewer", Role::Viewer, Some(OWN)),
    ("fp-other", Role::FocalPoint, Some(OTHER)),
];

async fn fill(store: &Store) -> AppState {
    fill_with(store, 400).await
}

/// The demo fixture with `records` person records, on SQLite only: pages at a size where
/// charts meet long lists (the browser's screenshots of every dashboard).
pub async fn sqlite_demo(records: usize) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let state = fill_with(&store, records).await;
    App {
        engine: "sqlite",
        store,
        router: tessera_web::router(state.clone()),
        state,
        _dir: Some(dir),
    }
}

async fn fill_with(store: &Store, records: usize) -> AppState {
    let dict = dictionary();
    let encoder: Arc<dyn tessera_pseudonym::Encoder> =
        Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[7u8; 32]).unwrap()));
    let mut truth = Vec::new();
    tessera_demo::run(
        store,
        &dict,
        encoder.clone(),
        records,
        11,
        &mut truth,
        |_| {},
    )
    .await
    .unwrap();
    let nap = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/nap/cf-demo.toml"),
    )
    .unwrap();
    store.set_setting("nap_plan", &nap).await.unwrap();
    for (name, role, provider) in USERS {
        let p = provider.map(|p| ProviderId::parse(p).unwrap());
        store
            .create_user(name, name, PASSWORD, *role, p.as_ref(), "en")
            .await
            .unwrap();
    }
    AppState::new(
        store.clone(),
        dict,
        encoder,
        Config {
            secure_cookies: false,
            ..Config::default()
        },
    )
}

pub async fn apps() -> Vec<App> {
    engines(true).await
}

/// A database as `tessera init --extension cf.toml` leaves it: the country extension and one
/// administrator (`admin`), no provider, agreement, period or other account. On both engines.
pub async fn empty_apps() -> Vec<App> {
    engines(false).await
}

async fn init(store: &Store) -> AppState {
    let ext = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../dictionary/extensions/cf.toml"),
    )
    .unwrap();
    store
        .set_setting("dictionary_extension", &ext)
        .await
        .unwrap();
    store
        .create_user("admin", "Administrator", PASSWORD, Role::Admin, None, "en")
        .await
        .unwrap();
    let encoder: Arc<dyn tessera_pseudonym::Encoder> =
        Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[7u8; 32]).unwrap()));
    AppState::new(
        store.clone(),
        dictionary(),
        encoder,
        Config {
            secure_cookies: false,
            ..Config::default()
        },
    )
}

/// The demo fixture (`demo`) or a fresh `tessera init` database, on SQLite and PostgreSQL.
async fn engines(demo: bool) -> Vec<App> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let state = if demo {
        fill(&store).await
    } else {
        init(&store).await
    };
    let mut out = vec![App {
        engine: "sqlite",
        store,
        router: tessera_web::router(state.clone()),
        state,
        _dir: Some(dir),
    }];
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return out;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let schema = format!(
        "w_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let store = Store::open_pg_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required and unreachable at {url}: {e}"));
    let state = if demo {
        fill(&store).await
    } else {
        init(&store).await
    };
    out.push(App {
        engine: "postgres",
        store,
        router: tessera_web::router(state.clone()),
        state,
        _dir: None,
    });
    out
}

/// A multipart/form-data body: text fields, then files as (field, file name, bytes).
pub fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "tesseraBOUNDARY42";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl App {
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(path).header(header::HOST, "localhost");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> Reply {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn post_multipart(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let (ctype, body) = multipart_body(fields, files);
        let mut b = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, ctype);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A JSON POST, with a session cookie or `Bearer` token (`auth` is the header's value).
    pub async fn post_json(
        &self,
        path: &str,
        auth: (&str, &str),
        body: &serde_json::Value,
    ) -> Reply {
        let b = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .header(auth.0, auth.1);
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Signs in and returns the session cookie (`name=value`).
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .post_form(
                "/login",
                None,
                &[("username", user), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            r.status, 303,
            "{user} could not sign in on {}: {}",
            self.engine, r.body
        );
        cookie_of(&r).unwrap_or_else(|| panic!("no session cookie for {user}"))
    }

    /// The CSRF token of a signed-in session, read from a page's form.
    pub async fn csrf(&self, cookie: &str) -> String {
        let mut r = self.get("/account", Some(cookie)).await;
        if r.status == 303 {
            let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
            r = self.get(&to, Some(cookie)).await;
        }
        let page = r.body;
        let at = page
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        // The token as the page carries it (masked afresh on every page), up to its quote.
        let rest = &page[at + 19..];
        rest[..rest.find('"').expect("a closing quote")].to_string()
    }
}

pub fn cookie_of(r: &Reply) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("tessera="))
        .map(str::to_string)
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page with the values of its CSRF fields blanked: pages carry the session's token masked
/// afresh each time, so two renderings of the same page differ there only.
pub fn without_csrf(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}
