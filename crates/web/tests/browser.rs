//! End to end in real headless Chromium (Debian's chromium + chromedriver, installed by
//! `scripts/test`): a focal point signs in, uploads a template with errors, reads the report,
//! fixes the file, submits; the coordinator approves; a focal point of another provider cannot
//! see the record, even by guessing its URL. Then every page is screenshotted in English and
//! French. Without Chromium the test fails; `TESSERA_SKIP_BROWSER=1` skips it outside CI.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> Option<(Driver, Client)> {
    if std::env::var("TESSERA_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("TESSERA_SKIP_BROWSER=1: browser test skipped (never in CI)");
        return None;
    }
    let port = free_port();
    let child = Command::new("chromedriver")
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("chromedriver is needed for the browser tests ({e}); scripts/test installs Debian's chromium and chromium-driver")
        });
    let driver = Driver(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,1000", "--lang=en"],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    Some((driver, client))
}

async fn sign_in(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let who = c.wait().for_element(Locator::Id("who")).await.unwrap();
    assert_eq!(who.text().await.unwrap(), user);
}

/// Waits until the element `id` of the *new* page reads `expected` (a click that navigates can
/// return while the old page, with an element of the same id, is still shown).
async fn wait_text(c: &Client, id: &str, expected: &str) {
    let start = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Id(id)).await
            && let Ok(text) = e.text().await
            && text == expected
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "#{id} never read {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_out(c: &Client) {
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("sign-in")).await.unwrap();
}

async fn upload(c: &Client, base: &str, path: &std::path::Path) -> String {
    c.goto(&format!("{base}/upload")).await.unwrap();
    c.find(Locator::Css("#entity option[value='victim']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#period option[value='2025']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    c.find(Locator::Id("upload"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("upload-result"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focal_point_uploads_fixes_submits_and_coordinator_approves() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let header = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name";
    let bad = dir.path().join("victims.csv");
    std::fs::write(
        &bad,
        format!("{header}\nBRW-1,IDENTIFIED,2025-02-01,F,Tchad,SEX,Zara,Oumarou\nBRW-2,IDENTIFIED,2025-02-30,M,CF,LAB,Paul,Ngaba\n"),
    )
    .unwrap();
    let good = dir.path().join("victims-fixed.csv");
    std::fs::write(
        &good,
        format!("{header}\nBRW-1,IDENTIFIED,2025-02-01,F,Tchad,SEX,Zara,Oumarou\nBRW-2,IDENTIFIED,2025-02-28,M,CF,LAB,Paul,Ngaba\n"),
    )
    .unwrap();

    // The focal point uploads a file with an impossible date and reads the report.
    sign_in(&c, &base, "fp").await;
    let result = upload(&c, &base, &bad).await;
    assert!(result.contains("nothing was stored"), "{result}");
    let report = c
        .find(Locator::Id("report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("date_identified") && report.contains("2025-02-30"),
        "{report}"
    );
    // Fixes it, uploads again, opens the submission and submits it.
    let result = upload(&c, &base, &good).await;
    assert!(result.contains("2 new"), "{result}");
    c.find(Locator::Id("to-submission"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "status", "Submitted").await;
    let submission_url = c.current_url().await.unwrap().to_string();
    c.goto(&format!("{base}/records?entity=victim"))
        .await
        .unwrap();
    let record_url = {
        let own = tessera_store::Access::Provider(
            tessera_dictionary::ProviderId::parse(common::OWN).unwrap(),
        );
        let recs = app.store.records(&own, "victim", 0, 100_000).await.unwrap();
        let r = recs
            .iter()
            .find(|r| r.provider_ref == "BRW-1")
            .expect("BRW-1 stored");
        format!("{base}/records/{}", r.id)
    };
    c.goto(&record_url).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(
        page.contains("BRW-1") && !page.contains("Oumarou"),
        "the record shows no name"
    );
    sign_out(&c).await;

    // The coordinator finds it in the review queue and approves it.
    sign_in(&c, &base, "coord").await;
    c.goto(&format!("{base}/review")).await.unwrap();
    let path = submission_url.trim_start_matches(&base);
    c.find(Locator::Css(&format!("a[href='{path}']")))
        .await
        .expect("the submission waits in the review queue")
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "status", "Approved").await;
    sign_out(&c).await;

    // A focal point of another provider cannot see the record or the submission, by URL either.
    sign_in(&c, &base, "fp-other").await;
    for url in [&record_url, &submission_url] {
        c.goto(url).await.unwrap();
        let page = c.source().await.unwrap();
        assert!(
            page.contains("Not Found") && !page.contains("BRW-1"),
            "{url}: {page}"
        );
    }
    c.goto(&format!("{base}/records?entity=victim"))
        .await
        .unwrap();
    assert!(!c.source().await.unwrap().contains("BRW-1"));
    sign_out(&c).await;

    // Every page renders in English and in French; a screenshot of each is kept for review.
    sign_in(&c, &base, "coord").await;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (path, name) in [
        ("/", "home"),
        ("/records", "records"),
        ("/submissions", "submissions"),
        ("/review", "review"),
        ("/linkage", "linkage"),
        ("/timeliness", "timeliness"),
        ("/providers", "providers"),
        ("/account", "account"),
        ("/dashboard?view=victims", "dashboard-victims"),
        ("/dashboard?view=flows", "dashboard-flows"),
        ("/dashboard?view=funnel", "dashboard-funnel"),
        ("/dashboard?view=smuggling", "dashboard-smuggling"),
        ("/dashboard?view=quality", "dashboard-quality"),
        ("/dashboard?view=nap", "dashboard-nap"),
        ("/dashboard?view=estimate", "dashboard-estimate"),
    ] {
        let mut headings = Vec::new();
        for lang in ["en", "fr"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            c.goto(&format!("{base}{path}{sep}lang={lang}"))
                .await
                .unwrap();
            let html_lang = c
                .find(Locator::Css("html"))
                .await
                .unwrap()
                .attr("lang")
                .await
                .unwrap();
            assert_eq!(html_lang.as_deref(), Some(lang));
            headings.push(
                c.find(Locator::Css("h1"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
            let png = c.screenshot().await.unwrap();
            assert!(
                png.starts_with(b"\x89PNG") && png.len() > 5_000,
                "{path} {lang}: a real screenshot"
            );
            std::fs::write(shots.join(format!("{name}-{lang}.png")), png).unwrap();
        }
        assert_ne!(headings[0], headings[1], "{path} is translated");
        if path.starts_with("/dashboard") {
            // Charts are drawn by the server as SVG, with their table beside them.
            let svgs = c.find_all(Locator::Css("section.panel svg")).await.unwrap();
            let tables = c
                .find_all(Locator::Css("section.panel table"))
                .await
                .unwrap();
            assert!(!tables.is_empty(), "{path} shows its tables");
            assert!(
                !svgs.is_empty() || path.ends_with("nap") || path.ends_with("estimate"),
                "{path} shows charts"
            );
        }
    }
    // Drill-down: from a row of a dashboard table to the dashboard filtered on it, and to the
    // records behind it.
    c.goto(&format!("{base}/dashboard?view=victims&lang=en"))
        .await
        .unwrap();
    // The table sits under its chart, folded: open it as a reader would.
    let open_table = |c: fantoccini::Client| async move {
        c.find(Locator::Css("#victims_by_sex summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    open_table(c.clone()).await;
    let link = c
        .find(Locator::Css("#victims_by_sex tbody tr td a"))
        .await
        .unwrap();
    let row_label = link.text().await.unwrap();
    link.click().await.unwrap();
    let filtered = c.current_url().await.unwrap();
    assert!(
        filtered.as_str().contains("expr=sex"),
        "the dashboard is filtered on the row: {filtered}"
    );
    let rows = c
        .find_all(Locator::Css("#victims_by_sex tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the {row_label} row is left");
    open_table(c.clone()).await;
    c.find(Locator::Css("#victims_by_sex a.drill"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let listed = c
        .find_all(Locator::Css("table#drill tbody tr"))
        .await
        .unwrap();
    assert!(!listed.is_empty(), "the records behind the row are listed");
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots.join("drill-en.png"), png).unwrap();
    c.close().await.unwrap();
}
