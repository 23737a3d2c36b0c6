//! The reports page (`/reports`), end to end in process on both engines: an analyst edits a
//! sentence of the annual report, downloads it and finds the text — the same document the
//! command line writes; a coordinator downloads the GLOTIP return whose victims total is the
//! dashboard's; the other roles are refused every route of the page.

mod common;

use common::{USERS, apps};
use tessera_report::Config;

const YEAR: i32 = 2024;

/// How minijinja's auto-escaping writes text into HTML.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_edits_a_sentence_and_the_downloaded_report_prints_it() {
    for app in apps().await {
        let e = app.engine;
        let analyst = app.login("analyst").await;
        let csrf = app.csrf(&analyst).await;
        let page = app
            .get(&format!("/reports?year={YEAR}&language=en"), Some(&analyst))
            .await;
        assert_eq!(page.status, 200, "{e}: {}", page.body);
        assert!(
            page.body.contains("href=\"&#x2f;reports\""),
            "{e}: in the menu"
        );
        assert!(page.body.contains("id=\"s-victims_total\""));
        assert!(page.body.contains("id=\"text-victims_total\""));
        assert!(page.body.contains("id=\"download-html\""));
        assert!(page.body.contains("id=\"return-glotip-csv\""));
        assert!(page.body.contains("id=\"return-eurostat-dhis2\""));
        assert!(
            page.body
                .contains("<iframe src=\"&#x2f;reports&#x2f;preview?year=2024&amp;language=en\""),
            "{e}: the preview is framed"
        );
        // Nothing edited yet: no reset button.
        assert!(!page.body.contains("id=\"reset-victims_total\""));

        let text = "Edited by the analyst: <b>more</b> victims & fewer \"cases\".";
        let form = |csrf: &str, action: &str, text: &str| {
            vec![
                ("csrf".to_string(), csrf.to_string()),
                ("year".to_string(), YEAR.to_string()),
                ("language".to_string(), "en".to_string()),
                ("id".to_string(), "victims_total".to_string()),
                ("text".to_string(), text.to_string()),
                ("action".to_string(), action.to_string()),
            ]
        };
        let post = |f: Vec<(String, String)>| {
            let app = &app;
            let analyst = analyst.clone();
            async move {
                let pairs: Vec<(&str, &str)> =
                    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                app.post_form("/reports/sentences", Some(&analyst), &pairs)
                    .await
            }
        };
        // Without the session's form token, refused and nothing stored.
        let r = post(form(&"0".repeat(64), "save", text)).await;
        assert_eq!(r.status, 403, "{e}");
        assert!(
            tessera_report::edits::load(&app.store, YEAR, "en")
                .await
                .unwrap()
                .is_empty()
        );
        // A control character: refused in the page's language, the text sent back as typed.
        let r = post(form(&csrf, "save", "bad\u{7}text")).await;
        assert_eq!(r.status, 400, "{e}: {}", r.body);
        assert!(r.body.contains("id=\"error\""));
        assert!(
            r.body.contains("control character (character 4)"),
            "{}",
            r.body
        );
        assert!(r.body.contains("class=\"sentence refused\""));

        let r = post(form(&csrf, "save", text)).await;
        assert_eq!(r.status, 303, "{e}: {}", r.body);
        assert_eq!(
            r.headers["location"],
            format!(
                "/reports?year={YEAR}&language=en&done=saved&sentence=victims_total#s-victims_total"
            )
        );
        let page = app
            .get(
                &format!("/reports?year={YEAR}&language=en&done=saved&sentence=victims_total"),
                Some(&analyst),
            )
            .await;
        // The preview opens at the sentence's chapter.
        assert!(
            page.body.contains(
                "<iframe src=\"&#x2f;reports&#x2f;preview?year=2024&amp;language=en#victims\""
            ),
            "{e}"
        );
        assert!(page.body.contains("id=\"notice\">The sentence is saved"));
        assert!(
            page.body
                .contains("class=\"sentence edited\" id=\"s-victims_total\"")
        );
        assert!(page.body.contains("id=\"reset-victims_total\""));
        assert!(page.body.contains("Edited by analyst on "));
        assert!(page.body.contains(&escaped(text)));
        assert!(page.body.contains("One sentence edited by hand"));

        // The download prints it, escaped, and says a sentence was edited.
        let html = app
            .get(
                &format!("/reports/annual?year={YEAR}&language=en&format=html"),
                Some(&analyst),
            )
            .await;
        assert_eq!(html.status, 200, "{e}: {}", html.body);
        assert_eq!(
            html.headers["content-disposition"],
            format!("attachment; filename=\"annual-report-cf-{YEAR}-en.html\"")
        );
        assert!(
            html.body.contains(&format!("<p>{}</p>", escaped(text))),
            "{e}"
        );
        assert!(!html.body.contains("<b>more</b>"));
        assert!(
            html.body
                .contains("1 sentence was edited by hand before publication")
        );
        assert!(
            !html.body.contains("class=\"edited\""),
            "published, not marked"
        );
        // The very document `tessera report annual` writes from the same database.
        let (cli, applied) = tessera_report::from_store_published(
            &app.store,
            &common::dictionary(),
            YEAR,
            "en",
            &Config::default_layout(),
        )
        .await
        .unwrap();
        assert_eq!(applied.edited, ["victims_total"]);
        assert_eq!(
            html.body,
            tessera_report::html::render(&cli, &Config::default_layout()).unwrap(),
            "{e}: the web and the command line write the same report"
        );

        // The preview marks it, under its own policy: inline styles, framed by the site only.
        let preview = app
            .get(
                &format!("/reports/preview?year={YEAR}&language=en"),
                Some(&analyst),
            )
            .await;
        assert_eq!(preview.status, 200);
        assert!(preview.body.contains(&format!(
            "<p class=\"edited\">{} <span class=\"edited-mark\">edited</span></p>",
            escaped(text)
        )));
        let csp = preview.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("style-src 'unsafe-inline'") && csp.contains("frame-ancestors 'self'")
        );
        assert!(!csp.contains("script-src"), "no script: {csp}");
        assert_eq!(preview.headers["x-frame-options"], "SAMEORIGIN");
        // Other pages keep the site's policy.
        let other = app.get("/reports", Some(&analyst)).await;
        assert_eq!(other.headers["x-frame-options"], "DENY");

        // In French the report has its own sentences, unedited.
        let fr = app
            .get(
                &format!("/reports/annual?year={YEAR}&language=fr&format=html"),
                Some(&analyst),
            )
            .await;
        assert!(fr.body.contains("Le nombre de victimes identifiées"));
        assert!(!fr.body.contains("Edited by the analyst"));

        // Reset: the generated sentence is back in the download.
        let r = post(form(&csrf, "reset", "")).await;
        assert_eq!(r.status, 303);
        assert!(
            r.headers["location"]
                .to_str()
                .unwrap()
                .contains("done=reset")
        );
        let html = app
            .get(
                &format!("/reports/annual?year={YEAR}&language=en&format=html"),
                Some(&analyst),
            )
            .await;
        assert!(!html.body.contains("Edited by the analyst"));
        assert!(html.body.contains("The number of identified victims"));
        assert!(!html.body.contains("edited by hand before publication"));

        // Audited, by the analyst.
        for action in [
            tessera_store::actions::REPORT_EDIT_SENTENCE,
            tessera_store::actions::REPORT_RESET_SENTENCE,
        ] {
            let log = app
                .store
                .audit_entries(Some("analyst"), Some(action), 10)
                .await
                .unwrap();
            assert_eq!(log.len(), 1, "{e}: {action}");
            assert_eq!(log[0].object, format!("report/{YEAR}/en/victims_total"));
        }

        // Bad choices are refused in one sentence, never a server error.
        for (path, needle) in [
            ("/reports?year=nineteen", "is not a year"),
            (
                "/reports?year=2024&language=de",
                "is not a language of the report",
            ),
            (
                "/reports/annual?year=2024&format=odt",
                "is not a format offered here",
            ),
            (
                "/reports/returns?year=2024&kind=oecd&format=csv",
                "is not a return offered here",
            ),
        ] {
            let r = app.get(path, Some(&analyst)).await;
            assert_eq!(r.status, 400, "{e}: {path}");
            assert!(r.body.contains(needle), "{e}: {path}: {}", r.body);
        }
    }
}

/// The total of a table's `total` rows in a return's tidy CSV.
fn csv_total(csv: &str, table: &str) -> Option<f64> {
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (kind, id, value) = (col("kind"), col("table"), col("value"));
    let mut total = None;
    for row in rdr.records() {
        let row = row.unwrap();
        if &row[kind] == "total" && &row[id] == table {
            total = Some(total.unwrap_or(0.0) + row[value].parse::<f64>().ok()?);
        }
    }
    total
}

/// The sum of the last column of a dashboard CSV, header skipped.
fn last_column_total(csv: &str) -> f64 {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next())
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_downloads_returns_whose_victims_total_is_the_dashboards() {
    for app in apps().await {
        let e = app.engine;
        let coord = app.login("coord").await;
        let glotip = app
            .get(
                &format!("/reports/returns?year={YEAR}&language=en&kind=glotip&format=csv"),
                Some(&coord),
            )
            .await;
        assert_eq!(glotip.status, 200, "{e}: {}", glotip.body);
        assert_eq!(glotip.headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            glotip.headers["content-disposition"],
            format!("attachment; filename=\"glotip-cf-{YEAR}.csv\"")
        );
        let total = csv_total(&glotip.body, "victims_sex_age").expect("a published total");
        let dashboard = app
            .get(
                &format!(
                    "/dashboard.csv?view=victims&table=victims_by_sex&year_from={YEAR}&year_to={YEAR}"
                ),
                Some(&coord),
            )
            .await;
        assert_eq!(dashboard.status, 200);
        let shown = last_column_total(&dashboard.body);
        assert!(shown > 0.0, "{e}: {}", dashboard.body);
        assert_eq!(total, shown, "{e}: GLOTIP vs dashboard");
        // And the very file `tessera report glotip` writes.
        let cli = tessera_outputs::from_store(
            &app.store,
            &common::dictionary(),
            tessera_outputs::Kind::Glotip,
            YEAR,
            "en",
            false,
        )
        .await
        .unwrap();
        assert_eq!(glotip.body, tessera_outputs::files::csv(&cli), "{e}");
        // The report's key figure is the same number.
        let report = app
            .get(
                &format!("/reports/annual?year={YEAR}&language=en&format=html"),
                Some(&coord),
            )
            .await;
        let n = total as i64;
        let grouped = if n >= 1000 {
            format!("{},{:03}", n / 1000, n % 1000)
        } else {
            n.to_string()
        };
        assert!(
            report.body.contains(&format!(
                "<div class=\"n\">{grouped}</div><div>Victims identified</div>"
            )),
            "{e}: the report's key figure is {grouped}"
        );

        // Every other format of both returns.
        for (kind, format, mime, starts) in [
            (
                "glotip",
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "PK",
            ),
            ("eurostat", "csv", "text/csv; charset=utf-8", "kind,table,"),
            ("eurostat", "sdmx1", "text/csv; charset=utf-8", "DATAFLOW,"),
            ("glotip", "sdmx2", "text/csv; charset=utf-8", "STRUCTURE,"),
            ("glotip", "dhis2", "application/json", "{"),
        ] {
            let r = app
                .get(
                    &format!(
                        "/reports/returns?year={YEAR}&language=fr&kind={kind}&format={format}"
                    ),
                    Some(&coord),
                )
                .await;
            assert_eq!(r.status, 200, "{e}: {kind} {format}: {}", r.body);
            assert_eq!(r.headers["content-type"], mime, "{kind} {format}");
            assert!(
                r.body.starts_with(starts),
                "{e}: {kind} {format}: {}",
                &r.body[..r.body.len().min(80)]
            );
        }
        let dhis2 = app
            .get(
                &format!("/reports/returns?year={YEAR}&language=en&kind=glotip&format=dhis2"),
                Some(&coord),
            )
            .await;
        let doc: serde_json::Value = serde_json::from_str(&dhis2.body).unwrap();
        assert!(!doc["dataValues"].as_array().unwrap().is_empty(), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coordinators_and_analysts_reach_the_reports() {
    for app in apps().await {
        for (user, role, _) in USERS {
            let allowed = matches!(
                role,
                tessera_dictionary::Role::Coordinator | tessera_dictionary::Role::Analyst
            );
            let cookie = app.login(user).await;
            let csrf = app.csrf(&cookie).await;
            let home = app.get("/", Some(&cookie)).await;
            assert_eq!(
                home.body.contains("href=\"&#x2f;reports\""),
                allowed,
                "{}: {user}'s menu",
                app.engine
            );
            for path in [
                "/reports".to_string(),
                format!("/reports?year={YEAR}&language=fr"),
                format!("/reports/preview?year={YEAR}&language=en"),
                format!("/reports/annual?year={YEAR}&language=en&format=html"),
                format!("/reports/returns?year={YEAR}&language=en&kind=glotip&format=csv"),
            ] {
                let r = app.get(&path, Some(&cookie)).await;
                if allowed {
                    assert_eq!(r.status, 200, "{}: {user} {path}", app.engine);
                } else {
                    assert_eq!(r.status, 403, "{}: {user} {path}", app.engine);
                    assert!(!r.body.contains("Victims identified"));
                }
                // Anonymous: sent to sign in.
                assert_eq!(app.get(&path, None).await.status, 303);
            }
            let r = app
                .post_form(
                    "/reports/sentences",
                    Some(&cookie),
                    &[
                        ("csrf", &csrf),
                        ("year", "2024"),
                        ("language", "en"),
                        ("id", "victims_total"),
                        ("text", &format!("Written by {user}.")),
                        ("action", "save"),
                    ],
                )
                .await;
            if allowed {
                assert_eq!(r.status, 303, "{}: {user}", app.engine);
            } else {
                assert_eq!(r.status, 403, "{}: {user} could edit", app.engine);
            }
        }
        // Only the coordinator's and the analyst's edits were stored and audited.
        let saved = tessera_report::edits::load(&app.store, YEAR, "en")
            .await
            .unwrap();
        let by = &saved.get("victims_total").unwrap().by;
        assert!(by == "coord" || by == "analyst", "{by}");
        for entry in app
            .store
            .audit_entries(
                None,
                Some(tessera_store::actions::REPORT_EDIT_SENTENCE),
                100,
            )
            .await
            .unwrap()
        {
            assert!(["coord", "analyst"].contains(&entry.actor.as_str()));
        }
    }
}
