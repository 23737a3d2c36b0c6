//! Issue 19 through the router, on SQLite and PostgreSQL: the home page and the dashboards
//! count the same approved records; every dashboard panel says what it counts; error pages are
//! localised pages with the user's menu and a way back (an unknown address included); the
//! language chosen with `?lang=` stays for the session and the switch keeps the page and its
//! filters; text responses are gzipped for clients that take it; the favicon is served.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

/// The figure under the headline `label` of a dashboard page, as a number.
fn headline(page: &str, label: &str) -> Option<i64> {
    let at = page.find(&format!("<dt>{label}</dt>"))?;
    let rest = &page[at..];
    let start = rest.find("<dd class=\"figure\">")? + "<dd class=\"figure\">".len();
    let end = rest[start..].find("</dd>")?;
    rest[start..start + end]
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// The cells of the `tfoot` row of the home page's table (the totals), as numbers.
fn footer_numbers(page: &str) -> Vec<i64> {
    let Some(at) = page.find("<tfoot>") else {
        return Vec::new();
    };
    let foot = &page[at..page[at..].find("</tfoot>").map_or(page.len(), |e| at + e)];
    foot.split("<td class=\"num\">")
        .skip(1)
        .filter_map(|c| {
            c.split('<')
                .next()?
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .collect()
}

/// An HTML page's text with the escapes of its attribute values undone.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// Sums the last column of a dashboard table's CSV.
fn csv_total(csv: &str) -> f64 {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.trim().parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn the_home_page_counts_what_the_dashboards_count() {
    for app in common::apps().await {
        let e = app.engine;
        let coord = app.login("coord").await;
        let home = app.get("/", Some(&coord)).await;
        assert_eq!(home.status, 200, "{e}");
        assert!(
            home.body.contains("id=\"approved-note\""),
            "{e}: says what it counts"
        );
        // Columns: victims, suspects, migrants, cases, incidents, assistance, then the total
        // of the row and the submissions. The total is the sum of the columns shown: the
        // person–case links that join records behind the scenes are not in it.
        let foot = footer_numbers(&home.body);
        assert_eq!(foot.len(), 8, "{e}: {foot:?}");
        assert_eq!(foot[..6].iter().sum::<i64>(), foot[6], "{e}: {foot:?}");
        let dash = app.get("/dashboard?view=victims", Some(&coord)).await;
        let victims = headline(&dash.body, "Victim records").expect("victims headline");
        assert_eq!(
            foot[0], victims,
            "{e}: home and dashboard count approved victims"
        );
        // The dashboard's breakdown by year adds up to its headline.
        let csv = app
            .get(
                "/dashboard.csv?view=victims&table=victims_by_year",
                Some(&coord),
            )
            .await;
        assert_eq!(csv_total(&csv.body), victims as f64, "{e}");
        // Unique persons: by year and by year × sex agree, year by year.
        let by_year = app
            .get(
                "/dashboard.csv?view=victims&unit=persons&table=victims_by_year",
                Some(&coord),
            )
            .await
            .body;
        let by_year_sex = app
            .get(
                "/dashboard.csv?view=victims&unit=persons&table=victims_by_year_sex",
                Some(&coord),
            )
            .await
            .body;
        for line in by_year.lines().skip(1) {
            let year = line.split(',').next().unwrap();
            let n: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
            let sum: f64 = by_year_sex
                .lines()
                .skip(1)
                .filter(|l| l.split(',').next() == Some(year))
                .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
                .sum();
            assert_eq!(n, sum, "{e}: persons in {year}");
        }
        // Smuggling: the migrants' headline is what the table by sex adds up to, and the
        // migrants reported in incident records are a figure of their own.
        let sm = app.get("/dashboard?view=smuggling", Some(&coord)).await;
        let migrants = headline(&sm.body, "Smuggled-migrant records").expect("migrants");
        let by_sex = app
            .get(
                "/dashboard.csv?view=smuggling&table=migrants_by_sex",
                Some(&coord),
            )
            .await;
        assert_eq!(csv_total(&by_sex.body), migrants as f64, "{e}");
        assert!(headline(&sm.body, "Migrants reported in incident records").is_some());
        // Every panel says what it counts.
        for view in ["victims", "flows", "funnel", "smuggling"] {
            let page = app
                .get(&format!("/dashboard?view={view}"), Some(&coord))
                .await
                .body;
            let panels = page.matches("<section class=\"panel\"").count();
            let notes = page.matches("<p class=\"note counts\">").count();
            assert!(panels > 0, "{e} {view}");
            assert_eq!(panels, notes, "{e} {view}: each panel states its unit");
        }
        let persons = app
            .get("/dashboard?view=victims&unit=persons", Some(&coord))
            .await;
        assert!(persons.body.contains("Counts unique persons"), "{e}");
        let victims_page = dash.body;
        assert!(
            victims_page.contains("counts in several rows"),
            "{e}: a multi-valued breakdown says so"
        );
    }
}

#[tokio::test]
async fn error_pages_are_localised_pages_with_a_way_back() {
    for app in common::apps().await {
        let e = app.engine;
        // An unknown address, signed in: the page, with the user's menu.
        let coord = app.login("coord").await;
        let r = app.get("/no/such/page", Some(&coord)).await;
        assert_eq!(r.status, 404, "{e}");
        assert!(r.body.contains("id=\"error-404\""), "{e}: {}", r.body);
        assert!(r.body.contains("Page not found"));
        assert!(r.body.contains("class=\"menu\""), "{e}: the menu to go on");
        assert!(r.body.contains("id=\"error-home\""));
        // In French, for a French session.
        let r = app.get("/no/such/page?lang=fr", Some(&coord)).await;
        assert!(r.body.contains("Page introuvable"), "{e}");
        assert!(r.body.contains("<html lang=\"fr\">"));
        // Anonymous: the same page with a way to sign in, in the browser's language.
        let r = app
            .send(
                Request::get("/nothing-here")
                    .header(header::HOST, "localhost")
                    .header(header::ACCEPT_LANGUAGE, "fr-CF,fr;q=0.9")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("Page introuvable") && r.body.contains("id=\"error-sign-in\""));
        // 403: a page of another role, with the way back to where the user came from.
        let partner = app.login("partner").await;
        let r = app
            .send(
                Request::get("/records")
                    .header(header::HOST, "localhost")
                    .header(header::COOKIE, &partner)
                    .header(header::REFERER, "http://localhost/dashboard?view=victims")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 403, "{e}");
        assert!(r.body.contains("id=\"error-403\""), "{e}: {}", r.body);
        assert!(unescape(&r.body).contains("href=\"/dashboard?view=victims\" id=\"error-back\""));
        // 400: the reason stays, under the localised explanation.
        let r = app
            .get("/dashboard?view=victims&expr=sex%20%3D%3D", Some(&coord))
            .await;
        assert_eq!(r.status, 400, "{e}");
        assert!(r.body.contains("id=\"error-400\"") && r.body.contains("id=\"error-detail\""));
        // The API keeps its problem documents.
        let r = app.get("/api/v1/no-such-thing", Some(&coord)).await;
        assert_eq!(r.status, 404);
        assert!(!r.body.contains("<html"), "{e}: {}", r.body);
    }
}

#[tokio::test]
async fn the_language_stays_for_the_session_and_the_switch_keeps_the_page() {
    let app = common::apps().await.remove(0);
    let coord = app.login("coord").await;
    let r = app
        .get(
            "/dashboard?view=smuggling&year_from=2022&lang=fr",
            Some(&coord),
        )
        .await;
    assert!(r.body.contains("<html lang=\"fr\">"));
    let set = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tessera-lang="))
        .expect("the language is kept in a cookie")
        .to_string();
    assert!(set.starts_with("tessera-lang=fr;") && set.contains("HttpOnly"));
    assert!(!set.contains("Max-Age"), "for the session only: {set}");
    // The switch to English keeps the view and its filters.
    assert!(
        unescape(&r.body).contains("href=\"/dashboard?view=smuggling&year_from=2022&lang=en\""),
        "{}",
        r.body
    );
    // The next pages, without `?lang=`, stay in French.
    let both = format!("{coord}; tessera-lang=fr");
    let r = app.get("/dashboard?view=funnel", Some(&both)).await;
    assert!(r.body.contains("<html lang=\"fr\">"));
    let r = app.get("/login", Some("tessera-lang=fr")).await;
    assert!(r.body.contains("<html lang=\"fr\">"), "signed out too");
    // The user's own language otherwise.
    let r = app.get("/dashboard?view=funnel", Some(&coord)).await;
    assert!(r.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn text_is_gzipped_and_the_favicon_is_served() {
    let app = common::apps().await.remove(0);
    let coord = app.login("coord").await;
    let get = |path: &str, gzip: bool| {
        let mut b = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, &coord);
        if gzip {
            b = b.header(header::ACCEPT_ENCODING, "gzip, deflate, br");
        }
        app.router.clone().oneshot(b.body(Body::empty()).unwrap())
    };
    for path in [
        "/dashboard?view=quality",
        "/assets/tessera.css",
        "/dashboard.csv?view=victims&table=victims_by_region",
        "/dashboard.csv?view=quality&table=quality_variables",
    ] {
        let plain = get(path, false).await.unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let plain = axum::body::to_bytes(plain.into_body(), 1 << 26)
            .await
            .unwrap();
        let packed = get(path, true).await.unwrap();
        if plain.len() < 512 {
            // Too small to gain anything: sent as it is.
            assert!(packed.headers().get(header::CONTENT_ENCODING).is_none());
            continue;
        }
        assert_eq!(packed.headers()[header::CONTENT_ENCODING], "gzip", "{path}");
        assert!(
            packed.headers()[header::VARY]
                .to_str()
                .unwrap()
                .contains("accept-encoding")
        );
        let packed = axum::body::to_bytes(packed.into_body(), 1 << 26)
            .await
            .unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        // The same page (but for the CSRF token, masked afresh on every page).
        assert_eq!(
            common::without_csrf(&String::from_utf8_lossy(&unpacked)),
            common::without_csrf(&String::from_utf8_lossy(&plain)),
            "{path}"
        );
        if plain.len() > 2000 {
            assert!(
                packed.len() * 3 < plain.len(),
                "{path}: {} of {}",
                packed.len(),
                plain.len()
            );
        }
    }
    let icon = app.get("/assets/favicon.svg", None).await;
    assert_eq!(icon.status, 200);
    assert_eq!(icon.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(icon.body.starts_with("<svg"));
    let home = app.get("/", Some(&coord)).await;
    assert!(
        home.body
            .contains("rel=\"icon\" href=\"/assets/favicon.svg\"")
    );
    // Pages carry the CSRF token masked afresh (so gzip cannot reveal it from sizes).
    let again = app.get("/", Some(&coord)).await;
    let token = |p: &str| {
        let at = p.find("name=\"csrf\" value=\"").unwrap() + 19;
        p[at..at + p[at..].find('"').unwrap()].to_string()
    };
    assert_ne!(token(&home.body), token(&again.body), "masked afresh");
    // Any page's form goes through.
    let r = app
        .post_form(
            "/account/language",
            Some(&coord),
            &[("csrf", &token(&home.body)), ("locale", "en")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}
