//! The users' manual, the procedures and the agreement template (issue 18): every internal link,
//! anchor and image of `docs/` resolves, the English and French manuals have the same sections
//! (each page's Help link opens the same section in either language), and the app serves them
//! under `/help` in the user's language, the header's link opening the section of the page the
//! user was on, and the handbook with every code of every list.
//!
//! The screenshots are the browser tests' own (`crates/web/tests/browser.rs` writes every page
//! into `$CARGO_TARGET_TMPDIR/screenshots`). With TESSERA_DOCS_SCREENSHOTS=1, after the browser
//! tests, `docs_screenshots_come_from_the_browser_tests` copies those the manuals show into
//! `docs/img`, scaled to 960 pixels wide:
//!
//!     cargo nextest run -p tessera-web --test browser
//!     TESSERA_DOCS_SCREENSHOTS=1 cargo nextest run -p tessera-web --test manual

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// GitHub's anchor for a heading without an explicit one.
fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A document's anchors (explicit `{#id}` or GitHub's slug), links and images.
struct Parsed {
    anchors: BTreeSet<String>,
    /// Anchors in document order, explicit ones only.
    explicit: Vec<String>,
    links: Vec<String>,
    images: Vec<String>,
}

fn parse(text: &str) -> Parsed {
    let mut p = Parsed {
        anchors: BTreeSet::new(),
        explicit: Vec::new(),
        links: Vec::new(),
        images: Vec::new(),
    };
    let mut heading: Option<(Option<String>, String)> = None;
    for ev in Parser::new_ext(
        text,
        Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES,
    ) {
        match ev {
            Event::Start(Tag::Heading { id, .. }) => {
                heading = Some((id.map(|i| i.to_string()), String::new()))
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, s)) = heading.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((id, s)) = heading.take() {
                    match id {
                        Some(id) => {
                            assert!(p.anchors.insert(id.clone()), "anchor #{id} twice");
                            p.explicit.push(id);
                        }
                        None => {
                            p.anchors.insert(slug(&s));
                        }
                    }
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => p.links.push(dest_url.to_string()),
            Event::Start(Tag::Image { dest_url, .. }) => p.images.push(dest_url.to_string()),
            _ => {}
        }
    }
    p
}

/// Every Markdown file of `docs/`, parsed.
fn all_docs() -> BTreeMap<String, Parsed> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(docs()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            out.insert(name, parse(&std::fs::read_to_string(e.path()).unwrap()));
        }
    }
    out
}

/// Routes of the help a document may link to.
const HELP_ROUTES: &[&str] = &[
    "/help",
    "/help/handbook",
    "/help/sop",
    "/help/mou",
    "/help/security",
];

#[test]
fn every_link_anchor_and_image_of_the_manuals_resolves() {
    let all = all_docs();
    let dict = tessera_dictionary::Dictionary::base().unwrap();
    let handbook = parse(&tessera_dictionary::handbook::markdown(&dict, "en"));
    let mut wrong = Vec::new();
    for name in [
        "manual.en.md",
        "manual.fr.md",
        "sop.en.md",
        "sop.fr.md",
        "mou.en.md",
        "mou.fr.md",
    ] {
        let doc = all
            .get(name)
            .unwrap_or_else(|| panic!("docs/{name} is missing"));
        for link in &doc.links {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (target, anchor) = match link.split_once('#') {
                Some((t, a)) => (t, Some(a)),
                None => (link.as_str(), None),
            };
            let anchors = if target.is_empty() {
                Some(&doc.anchors)
            } else if let Some(route) = target.strip_prefix('/') {
                let route = format!("/{route}");
                if !HELP_ROUTES.contains(&route.as_str()) {
                    wrong.push(format!("{name}: {link}: no such help route"));
                }
                (route == "/help/handbook").then_some(&handbook.anchors)
            } else {
                match all.get(target) {
                    Some(d) => Some(&d.anchors),
                    None => {
                        wrong.push(format!("{name}: {link}: docs/{target} does not exist"));
                        None
                    }
                }
            };
            if let (Some(a), Some(anchors)) = (anchor, anchors)
                && !anchors.contains(a)
            {
                wrong.push(format!("{name}: {link}: no section #{a} there"));
            }
        }
        let lang = if name.contains(".fr.") { "fr" } else { "en" };
        for img in &doc.images {
            let path = docs().join(img);
            match std::fs::read(&path) {
                Ok(bytes) if bytes.starts_with(b"\x89PNG") => {
                    if bytes.len() > 250_000 {
                        wrong.push(format!(
                            "{name}: {img}: {} bytes, too large to commit",
                            bytes.len()
                        ));
                    }
                }
                _ => wrong.push(format!("{name}: {img} is not a PNG in docs/")),
            }
            if !img.ends_with(&format!("-{lang}.png")) {
                wrong.push(format!("{name}: {img} is not a screenshot in {lang}"));
            }
        }
    }
    // Both languages have the same sections, in the same order: a page's Help link opens the
    // same section whatever the language.
    for doc in ["manual", "sop", "mou"] {
        let (en, fr) = (&all[&format!("{doc}.en.md")], &all[&format!("{doc}.fr.md")]);
        if en.explicit != fr.explicit {
            wrong.push(format!(
                "{doc}: the English and French sections differ:\n  en {:?}\n  fr {:?}",
                en.explicit, fr.explicit
            ));
        }
    }
    // One part per role, and the tasks the issue names.
    for id in [
        "focal-point",
        "viewer",
        "coordinator",
        "analyst",
        "partner",
        "administrator",
        "send-data",
        "correct-returned",
        "decide-duplicates",
        "annual-report",
        "new-provider",
        "backup",
        "secret",
        "retention",
    ] {
        if !all["manual.en.md"].anchors.contains(id) {
            wrong.push(format!("the manual has no section #{id}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// Scales an RGBA or RGB screenshot to `width` pixels wide (area average), PNG again.
fn scaled(png_bytes: &[u8], width: u32) -> Vec<u8> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let nw = (width as usize).min(w);
    let nh = (h * nw).div_ceil(w);
    let mut out = vec![0u8; nw * nh * 3];
    for y in 0..nh {
        let (y0, y1) = (y * h / nh, ((y + 1) * h / nh).max(y * h / nh + 1).min(h));
        for x in 0..nw {
            let (x0, x1) = (x * w / nw, ((x + 1) * w / nw).max(x * w / nw + 1).min(w));
            let mut acc = [0u32; 3];
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            for sy in y0..y1 {
                for sx in x0..x1 {
                    let i = (sy * w + sx) * channels;
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a += u32::from(buf[i + c.min(channels - 1)]);
                    }
                }
            }
            let o = (y * nw + x) * 3;
            for (px, a) in out[o..o + 3].iter_mut().zip(acc) {
                *px = (a / n) as u8;
            }
        }
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, nw as u32, nh as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&out).unwrap();
    }
    bytes
}

#[test]
fn docs_screenshots_come_from_the_browser_tests() {
    if std::env::var_os("TESSERA_DOCS_SCREENSHOTS").is_none() {
        return;
    }
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let all = all_docs();
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for name in ["manual.en.md", "manual.fr.md"] {
        for img in &all[name].images {
            wanted.insert(img.as_str());
        }
    }
    std::fs::create_dir_all(docs().join("img")).unwrap();
    for img in wanted {
        let file = img.trim_start_matches("img/");
        let source = shots.join(file);
        let bytes = std::fs::read(&source).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run the browser tests first (cargo nextest run -p tessera-web --test browser)",
                source.display()
            )
        });
        let small = scaled(&bytes, 960);
        std::fs::write(docs().join("img").join(file), &small).unwrap();
        eprintln!("docs/img/{file}: {} bytes", small.len());
    }
}

#[tokio::test]
async fn the_app_serves_the_manual_in_the_users_language_and_opens_it_at_the_pages_section() {
    for app in common::empty_apps().await {
        let en = app.get("/help", None).await;
        assert_eq!(en.status, 200, "{}", app.engine);
        assert!(
            en.body.contains("id=\"send-data\"")
                && en.body.contains("Send the quarterly police data"),
            "{}",
            app.engine
        );
        assert!(en.body.contains("src=\"/help/img/review-en.png\""));
        let fr = app.get("/help?lang=fr", None).await;
        assert!(
            fr.body.contains("Envoyer les données trimestrielles")
                && fr.body.contains("id=\"send-data\"")
        );
        assert!(fr.body.contains("src=\"/help/img/review-fr.png\""));
        // Signed in, the manual follows the user's language.
        let cookie = app.login("admin").await;
        let page = app.get("/", Some(&cookie)).await;
        assert!(
            page.body.contains("href=\"/help/here\""),
            "the header links to the help"
        );
        // The header's link opens the section of the page the user came from.
        for (from, section) in [
            ("/periods", "periods"),
            ("/providers", "new-provider"),
            ("/admin/users", "accounts"),
            ("/", "administrator"),
        ] {
            let r = app
                .send(
                    axum::http::Request::get("/help/here")
                        .header("host", "localhost")
                        .header("cookie", &cookie)
                        .header("referer", format!("http://localhost{from}"))
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, 303, "{from}");
            assert_eq!(
                r.headers.get("location").and_then(|l| l.to_str().ok()),
                Some(format!("/help#{section}").as_str()),
                "{from}"
            );
        }
        let img = app.get("/help/img/review-en.png", None).await;
        assert_eq!(img.status, 200);
        assert_eq!(img.headers.get("content-type").unwrap(), "image/png");
        assert_eq!(app.get("/help/img/nothing.png", None).await.status, 404);
        for doc in [
            "/help/sop",
            "/help/mou",
            "/help/security",
            "/help/sop?lang=fr",
        ] {
            assert_eq!(app.get(doc, None).await.status, 200, "{doc}");
        }
        // The handbook, from this deployment's dictionary (its national extension included).
        let hb = app.get("/help/handbook?lang=fr", None).await;
        assert_eq!(hb.status, 200);
        assert!(hb.body.contains("Recueil des définitions harmonisées"));
        for list in app.state.dict.codelists.values() {
            assert!(
                hb.body.contains(&format!("id=\"list-{}\"", list.id)),
                "{}",
                list.id
            );
            for code in &list.codes {
                assert!(
                    hb.body.contains(&format!("<code>{}</code>", code.code)),
                    "{} {}",
                    list.id,
                    code.code
                );
            }
        }
    }
}
