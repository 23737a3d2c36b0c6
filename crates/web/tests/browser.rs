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

/// Waits until the element `id` contains `needle`, and returns its text.
async fn wait_containing(c: &Client, id: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Id(id)).await
            && let Ok(text) = e.text().await
        {
            if text.contains(needle) {
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "#{id} never contained {needle:?}: {text:?}"
            );
        }
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

/// Opens the upload page and fills the form (victims, 2025, the file) without sending it.
async fn choose_file(c: &Client, base: &str, path: &std::path::Path) {
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
}

async fn upload(c: &Client, base: &str, path: &std::path::Path) -> String {
    choose_file(c, base, path).await;
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
    // The page after a decision says what was done (`?done=`); the queue links the page itself.
    let path = submission_url
        .trim_start_matches(&base)
        .split('?')
        .next()
        .unwrap_or_default();
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
    // A decision is confirmed on its own page.
    c.wait()
        .for_element(Locator::Id("confirm"))
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
            page.contains("id=\"error-404\"") && !page.contains("BRW-1"),
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
        for lang in ["fr", "en"] {
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

    // The action plan's page: a figure entered and a target changed through its forms (the
    // figure's inputs sit in table cells, tied to their row's form by `form=`), and the NAP
    // dashboard following; then the whole page kept for review.
    c.goto(&format!("{base}/nap?lang=en")).await.unwrap();
    for (input, text) in [("value", "120"), ("note", "Training register")] {
        c.find(Locator::Css(&format!(
            "#fig-PREV-3-2023 input[name={input}]"
        )))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
    }
    choose(&c, "#fig-PREV-3-2023-save").await;
    wait_text(&c, "notice", "The figure is saved.").await;
    choose(&c, "#edit-PREV-3 summary").await;
    let first = c
        .find(Locator::Css(
            "#targets-form-PREV-3 input[name=target_value]",
        ))
        .await
        .unwrap();
    first.clear().await.unwrap();
    first.send_keys("100").await.unwrap();
    c.find(Locator::Id("edit-PREV-3"))
        .await
        .unwrap()
        .screenshot()
        .await
        .map(|png| std::fs::write(shots.join("nap-edit-en.png"), png).unwrap())
        .unwrap();
    choose(&c, "#save-targets-PREV-3").await;
    wait_text(&c, "notice", "The baseline and targets are saved.").await;
    c.goto(&format!("{base}/dashboard?view=nap&lang=en"))
        .await
        .unwrap();
    let page = c.source().await.unwrap();
    assert!(
        page.contains(
            "<td>Front-line officers trained to identify victims</td><td class=\"num\">2023</td><td class=\"num\">Achieved</td><td class=\"num\">120</td><td class=\"num\">100</td>"
        ),
        "the NAP dashboard shows the figure against the new target"
    );
    screenshots(&c, &format!("{base}/nap"), "nap").await;
    c.close().await.unwrap();
}

/// In-browser pseudonymisation (`serve --browser-pseudonymisation`): the focal point ticks the
/// option, the page encodes the CSV with the encoder compiled to WebAssembly, and the server
/// receives no name, birth date or ID number — only a `pseudonyms` column, whose values are
/// exactly what the server's own encoder gives for the same row (a stale `pseudonym.wasm` fails
/// here). A birth date that is not one is named by row and column, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_pseudonymises_a_file_before_it_leaves() {
    use std::sync::{Arc, Mutex};
    use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Pseudonyms, Secret};

    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let secret = Secret::from_bytes(&[7u8; 32]).unwrap();
    let mut state = app.state.clone();
    state.config = Arc::new(tessera_web::Config {
        secure_cookies: false,
        browser_secret: Some(secret.clone()),
        ..tessera_web::Config::default()
    });
    // Every upload body the server receives, to check what left the browser.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let spy = seen.clone();
    let router = tessera_web::router(state).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let spy = spy.clone();
            async move {
                if req.uri().path() != "/upload" || req.method() != axum::http::Method::POST {
                    return next.run(req).await;
                }
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 24).await.unwrap();
                spy.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&bytes).into_owned());
                next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                    .await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let header = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,Given name [given_name],family_name,birth_date,id_number";
    let bad = dir.path().join("names.csv");
    std::fs::write(
        &bad,
        format!("{header}\nWB-1,IDENTIFIED,2025-02-01,F,TD,SEX,Zaïnaba,Oumarou,1999-12-31,TD-4471\n\n\"WB-2\",IDENTIFIED,2025-02-03,M,CF,LAB,\"Paul\nPolo\",Ngaba,1999-31-12,\n"),
    )
    .unwrap();
    let good = dir.path().join("names-fixed.csv");
    std::fs::write(
        &good,
        format!("{header}\r\nWB-1,IDENTIFIED,2025-02-01,F,TD,SEX,Zaïnaba,Oumarou,1999-12-31,TD-4471\r\nWB-2,IDENTIFIED,2025-02-03,M,CF,LAB,\"Paul, dit \"\"Polo\"\"\",Ngaba,2001,\r\n"),
    )
    .unwrap();

    sign_in(&c, &base, "fp").await;
    // Fills the form, runs `script` on the page if any, ticks the option (offered by the script,
    // so visible only when it runs) and sends.
    let choose = |path: std::path::PathBuf, script: Option<&'static str>| {
        let c = c.clone();
        let base = base.clone();
        async move {
            choose_file(&c, &base, &path).await;
            if let Some(js) = script {
                c.execute(js, vec![]).await.unwrap();
            }
            let option = c
                .wait()
                .for_element(Locator::Id("encode-here"))
                .await
                .unwrap();
            assert!(option.is_displayed().await.unwrap(), "the option is shown");
            option.click().await.unwrap();
            c.find(Locator::Id("upload"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };

    // A birth date that is not one: named by row and column, and nothing is sent.
    choose(bad, None).await;
    let status = wait_containing(&c, "encode-status", "Nothing was sent").await;
    assert!(
        // Line 4: the blank line 3 counts, as in the server's report.
        status.contains("Row 4,") && status.contains("birth_date"),
        "{status}"
    );
    assert!(!status.contains("1999-31-12"), "the value is not repeated");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the server"
    );

    // An encoder that is not the server's (a page left open across an update) refuses to work.
    choose(
        good.clone(),
        Some("document.getElementById('upload-form').dataset.fingerprint = 'an older encoder';"),
    )
    .await;
    wait_containing(&c, "encode-status", "reload the page").await;
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the server"
    );

    // The fixed file goes through, without a single identifier.
    choose(good, None).await;
    let result = c
        .wait()
        .for_element(Locator::Id("upload-result"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(result.contains("2 new"), "{result}");
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    for clear in [
        "Zaïnaba",
        "Oumarou",
        "Polo",
        "Ngaba",
        "1999-12-31",
        "TD-4471",
    ] {
        assert!(!bodies[0].contains(clear), "{clear} left the browser");
    }
    assert!(bodies[0].contains("pseudonyms") && bodies[0].contains("tsp1."));
    // What was stored is what the server's encoder gives for the same rows.
    let server = KeyedEncoder::new(&secret);
    let own = tessera_store::Access::Provider(
        tessera_dictionary::ProviderId::parse(common::OWN).unwrap(),
    );
    let stored = app.store.pseudonyms(&own, "victim").await.unwrap();
    for (reference, ids) in [
        (
            "WB-1",
            Identifiers {
                given_name: Some("Zaïnaba"),
                family_name: Some("Oumarou"),
                birth_date: Some("1999-12-31"),
                id_number: Some("TD-4471"),
                ..Default::default()
            },
        ),
        (
            "WB-2",
            Identifiers {
                given_name: Some("Paul, dit \"Polo\""),
                family_name: Some("Ngaba"),
                birth_date: Some("2001"),
                ..Default::default()
            },
        ),
    ] {
        let row = stored
            .iter()
            .find(|r| r.provider_ref == reference)
            .unwrap_or_else(|| panic!("{reference} stored"));
        let expected: Pseudonyms = server.encode(&ids);
        assert_eq!(row.clk, expected.clk_bytes(), "{reference}: name encoding");
        assert_eq!(
            Pseudonyms::keys_from_bytes(&row.pkeys).unwrap(),
            expected.keys,
            "{reference}: exact keys"
        );
        assert_eq!(row.birth_year, expected.birth_year.map(i64::from));
    }
    // Handing out the secret is audited.
    let log = app
        .store
        .audit_entries(
            Some("fp"),
            Some(tessera_store::actions::PSEUDONYM_ISSUE_KEY),
            10,
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 3, "each issue of the key is audited");
    assert_eq!(log[0].object, common::OWN);
}

/// Signs in a user whose display name is not their username, and waits for the next page.
async fn sign_in_named(c: &Client, base: &str, user: &str, name: &str) {
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
    wait_text(c, "who", name).await;
}

async fn fill(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn choose(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// A date input's value, set as the browser would after a pick (typing into one depends on the
/// browser's locale).
async fn set_date(c: &Client, id: &str, iso: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![id.into(), iso.into()],
    )
    .await
    .unwrap();
}

/// The page in English and in French, screenshotted for review as `<name>-<lang>.png`.
async fn screenshots(c: &Client, url: &str, name: &str) {
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut headings = Vec::new();
    for lang in ["fr", "en"] {
        let sep = if url.contains('?') { '&' } else { '?' };
        c.goto(&format!("{url}{sep}lang={lang}")).await.unwrap();
        headings.push(
            c.find(Locator::Css("h1"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        let png = c.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000);
        std::fs::write(shots.join(format!("{name}-{lang}.png")), png).unwrap();
        // And the whole page, for reading what is below the fold.
        let height = c
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(1000)
            .clamp(1000, 6000);
        c.set_window_size(1280, height as u32 + 150).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(shots.join(format!("{name}-{lang}-full.png")), png).unwrap();
        c.set_window_size(1280, 1000).await.unwrap();
    }
    if name != "provider" {
        assert_ne!(headings[0], headings[1], "{name} is translated");
    }
}

/// Issue 13's second "done when": from a database as `tessera init` leaves it (the country
/// extension and one administrator), through the web pages only, in Chromium — the
/// administrator is met by the set-up steps, registers a provider, records its agreement with
/// the signed PDF, opens a period and creates a focal point and a coordinator; the focal point
/// uploads a file of victims and submits it; the coordinator approves it, and the dashboard's
/// figure equals the rows uploaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_country_is_set_up_from_an_empty_database_through_the_web_pages() {
    use sha2::Digest;
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::empty_apps().await.remove(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let pdf: &[u8] = b"%PDF-1.4\n% Memorandum of understanding, Bangui police\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let mou = dir.path().join("mou.pdf");
    std::fs::write(&mou, pdf).unwrap();
    let victims = dir.path().join("victims.csv");
    std::fs::write(
        &victims,
        "provider_ref,identification_status,date_identified,sex,exploitation\nV-1,IDENTIFIED,2025-01-02,F,SEX\nV-2,PRESUMED,2025-02-03,M,LAB\nV-3,IDENTIFIED,2025-03-04,F,DOM\n",
    )
    .unwrap();
    let rows = 3;

    // The administrator signs in to an empty registry: the set-up steps, the extension loaded.
    sign_in_named(&c, &base, "admin", "Administrator").await;
    c.wait()
        .for_element(Locator::Id("setup-steps"))
        .await
        .expect("the first-run steps on the home page");
    let steps = c
        .find(Locator::Id("setup-steps"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        steps.contains("Central African Republic") && steps.contains("tessera provider add"),
        "{steps}"
    );
    for (step, class) in [
        ("extension", "step done"),
        ("providers", "step todo"),
        ("agreements", "step todo"),
        ("periods", "step todo"),
        ("focal-points", "step todo"),
    ] {
        let got = c
            .find(Locator::Id(&format!("step-{step}")))
            .await
            .unwrap()
            .attr("class")
            .await
            .unwrap();
        assert_eq!(got.as_deref(), Some(class), "{step}");
    }
    screenshots(&c, &format!("{base}/"), "first-run").await;

    // Providers: from the step's link. A list with a mistyped type is refused cell by cell,
    // and nothing is registered.
    c.goto(&format!("{base}/?lang=en")).await.unwrap();
    choose(&c, "#step-providers a.step-link").await;
    c.wait()
        .for_element(Locator::Id("add-provider"))
        .await
        .unwrap();
    let list = dir.path().join("providers.csv");
    std::fs::write(
        &list,
        "id,name,name_fr,type,region,ngo\nngo-espoir,Espoir,Espoir,NGO,CF-BGF,yes\ncourt-bangui,Court of Bangui,Tribunal de Bangui,Cour,Bangui,no\n",
    )
    .unwrap();
    c.find(Locator::Id("list"))
        .await
        .unwrap()
        .send_keys(list.to_str().unwrap())
        .await
        .unwrap();
    choose(&c, "#import").await;
    let report = c
        .wait()
        .for_element(Locator::Id("report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("Cour") && report.contains("COURT"),
        "{report}"
    );
    assert!(app.store.providers().await.unwrap().is_empty());
    let png = c.screenshot().await.unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::write(shots.join("providers-list-refused-en.png"), png).unwrap();
    // One provider through the form.
    fill(&c, "p-id", "police-bangui").await;
    fill(&c, "p-name", "Bangui police").await;
    fill(&c, "p-name-fr", "Police de Bangui").await;
    choose(&c, "#p-type option[value='POLICE']").await;
    choose(&c, "#p-region option[value='CF-BGF']").await;
    fill(&c, "p-contact", "focal.point@police.example").await;
    choose(&c, "#register").await;
    wait_containing(&c, "notice", "The provider is registered").await;
    let provider_page = c.current_url().await.unwrap().to_string();
    screenshots(&c, &format!("{base}/providers"), "providers-registry").await;
    c.goto(&provider_page).await.unwrap();

    // Its agreement, on its page: victims and suspects, case level, the signed PDF.
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/providers/police-bangui")
    );
    for e in ["victim", "suspect"] {
        let tick = c.find(Locator::Id(&format!("ent-{e}"))).await.unwrap();
        assert!(tick.is_selected().await.unwrap(), "{e} is offered ticked");
    }
    set_date(&c, "a-from", "2024-01-01").await;
    set_date(&c, "a-signed", "2023-12-15").await;
    fill(
        &c,
        "a-signatories",
        "Director-General of Police; National Coordinator",
    )
    .await;
    c.find(Locator::Id("a-document"))
        .await
        .unwrap()
        .send_keys(mou.to_str().unwrap())
        .await
        .unwrap();
    choose(&c, "#record-agreement").await;
    wait_containing(&c, "notice", "The agreement is recorded").await;
    let sha: String = sha2::Sha256::digest(pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shown = c
        .find(Locator::Css("#agreement-list code.sha"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(shown, sha, "the document's SHA-256 is shown");
    let status = c
        .find(Locator::Css("#agreement-list .status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "In force");
    screenshots(&c, &format!("{base}/providers/police-bangui"), "provider").await;

    // A reporting period.
    c.goto(&format!("{base}/periods?lang=en")).await.unwrap();
    fill(&c, "pe-id", "2025").await;
    set_date(&c, "pe-start", "2025-01-01").await;
    set_date(&c, "pe-end", "2025-12-31").await;
    set_date(&c, "pe-due", "2026-01-31").await;
    choose(&c, "#open-period").await;
    wait_containing(&c, "notice", "The period is open").await;
    c.find(Locator::Id("period-2025")).await.unwrap();
    screenshots(&c, &format!("{base}/periods"), "periods").await;

    // Accounts: the police's focal point and a national coordinator.
    for (username, name, role, provider) in [
        (
            "fp-bangui",
            "Focal point Bangui",
            "focal_point",
            Some("police-bangui"),
        ),
        ("coordinator", "National coordinator", "coordinator", None),
    ] {
        c.goto(&format!("{base}/admin/users?lang=en"))
            .await
            .unwrap();
        fill(&c, "nu-username", username).await;
        fill(&c, "nu-name", name).await;
        fill(&c, "nu-password", common::PASSWORD).await;
        choose(&c, &format!("#nu-role option[value='{role}']")).await;
        if let Some(p) = provider {
            choose(&c, &format!("#nu-provider option[value='{p}']")).await;
        }
        choose(&c, "form[action='/admin/users'] button[type='submit']").await;
        wait_containing(&c, "notice", username).await;
    }
    // The deployment can now receive a submission: home is home again, the steps all done.
    c.goto(&format!("{base}/?lang=en")).await.unwrap();
    c.wait().for_element(Locator::Id("who")).await.unwrap();
    assert!(c.find(Locator::Id("setup-steps")).await.is_err());
    c.goto(&format!("{base}/setup?lang=en")).await.unwrap();
    wait_containing(&c, "setup-progress", "5 of 5 steps done").await;
    sign_out(&c).await;

    // The focal point uploads the file of victims for 2025 and submits it.
    sign_in_named(&c, &base, "fp-bangui", "Focal point Bangui").await;
    let result = upload(&c, &base, &victims).await;
    assert!(result.contains(&format!("{rows} new")), "{result}");
    choose(&c, "#to-submission").await;
    c.wait()
        .for_element(Locator::Id("submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "status", "Submitted").await;
    let submission = c.current_url().await.unwrap().path().to_string();
    sign_out(&c).await;

    // The coordinator approves it from the review queue.
    sign_in_named(&c, &base, "coordinator", "National coordinator").await;
    c.goto(&format!("{base}/review?lang=en")).await.unwrap();
    choose(&c, &format!("a[href='{submission}']")).await;
    c.wait()
        .for_element(Locator::Id("approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A decision is confirmed on its own page.
    c.wait()
        .for_element(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "status", "Approved").await;

    // The coordinator's dashboard counts the rows uploaded.
    c.goto(&format!("{base}/dashboard?view=victims&lang=en"))
        .await
        .unwrap();
    let mut figure = None;
    for h in c.find_all(Locator::Css("dl.headlines div")).await.unwrap() {
        let label = h
            .find(Locator::Css("dt"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if label == "Victim records" {
            figure = Some(
                h.find(Locator::Css("dd"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
    }
    assert_eq!(
        figure.as_deref(),
        Some(rows.to_string().as_str()),
        "the dashboard's victims figure"
    );
    let png = c.screenshot().await.unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::write(shots.join("first-dashboard-en.png"), png).unwrap();
    sign_out(&c).await;

    // Every step was audited under the CLI's names.
    for action in [
        tessera_store::actions::PROVIDER_REGISTER,
        tessera_store::actions::AGREEMENT_ADD,
        tessera_store::actions::PERIOD_OPEN,
        tessera_store::actions::USER_CREATE,
        tessera_store::actions::SUBMISSION_APPROVE,
    ] {
        assert!(
            !app.store
                .audit_entries(None, Some(action), 10)
                .await
                .unwrap()
                .is_empty(),
            "{action} is in the audit log"
        );
    }
    c.close().await.unwrap();
}

/// The reports page in Chromium: an analyst opens it from the menu, edits a sentence of the
/// annual report and saves it; the form marks it edited (with a reset button) and the framed
/// preview prints the new text, marked. The page is screenshotted for review
/// (`reports-edit-en.png`, then `reports-<lang>[-full].png`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_edits_a_sentence_of_the_annual_report() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    sign_in(&c, &base, "analyst").await;
    choose(&c, "nav.menu a[href='/reports']").await;
    c.wait()
        .for_element(Locator::Id("sentences"))
        .await
        .unwrap();
    // The year and the report's language are chosen in the form.
    choose(&c, "#year option[value='2024']").await;
    choose(&c, "#language option[value='en']").await;
    choose(&c, "#choose-report").await;
    let start = Instant::now();
    while !c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("year=2024")
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the year is chosen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = "Victims identified rose again in 2024, above all in the south-west.";
    fill(&c, "text-victims_total", text).await;
    choose(&c, "#save-victims_total").await;
    wait_text(
        &c,
        "notice",
        "The sentence is saved; the report now prints it.",
    )
    .await;
    c.find(Locator::Id("reset-victims_total")).await.unwrap();
    let form = c
        .find(Locator::Id("s-victims_total"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap();
    assert_eq!(form.as_deref(), Some("sentence edited"));
    // The preview, in its frame, prints the edited sentence, marked.
    c.find(Locator::Id("preview"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    let marked = c
        .wait()
        .for_element(Locator::Css("#victims p.edited"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The mark is styled in capitals.
    assert_eq!(marked, format!("{text} EDITED"));
    c.enter_parent_frame().await.unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // The sentence's form in view, beside the preview.
    c.execute(
        "document.getElementById('s-victims_total').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    // The preview opened at the edited sentence's chapter.
    c.find(Locator::Id("preview"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    let top = c
        .execute(
            "return document.getElementById('victims').getBoundingClientRect().top;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        top.abs() < 2.0,
        "the preview shows the chapter at its top: {top}"
    );
    c.enter_parent_frame().await.unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000);
    std::fs::write(shots.join("reports-edit-en.png"), png).unwrap();
    screenshots(&c, &format!("{base}/reports?year=2024"), "reports").await;
    c.close().await.unwrap();
}

/// Issue 19, "each role's work first", as the focal point meets it: the home page leads with the
/// submission the coordinator returned and the comment saying why, lists the periods with their
/// deadline, and reports the last upload; the entry form's country list filters as one types.
/// Screenshots of the home page (English, French, full length) and of the filtered list are kept
/// for review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_focal_points_home_leads_with_the_returned_submission_and_its_comment() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let own = tessera_store::Access::Provider(
        tessera_dictionary::ProviderId::parse(common::OWN).unwrap(),
    );
    let returned = app
        .store
        .submissions_for(&own, Some(tessera_store::SubmissionStatus::Returned))
        .await
        .unwrap()[0]
        .id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("victims.csv");
    std::fs::write(
        &file,
        "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name\nHOME-1,IDENTIFIED,2025-02-01,F,Tchad,SEX,Zara,Oumarou\n",
    )
    .unwrap();

    sign_in(&c, &base, "fp").await;
    c.goto(&format!("{base}/?lang=en")).await.unwrap();
    let action = wait_containing(&c, "next-action", "was returned").await;
    assert!(
        action.contains("Your 2025 submission was returned"),
        "{action}"
    );
    let comment = c
        .find(Locator::Id(&format!("return-comment-{returned}")))
        .await
        .expect("the returned submission is on the home page")
        .text()
        .await
        .unwrap();
    assert_eq!(
        comment,
        "Dates d'identification manquantes pour plusieurs fiches."
    );
    // The call to action opens the upload form on the returned period.
    choose(&c, "#cta-primary").await;
    c.wait()
        .for_element(Locator::Id("upload-form"))
        .await
        .unwrap();
    let period = c
        .find(Locator::Id("period"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(period.as_deref(), Some("2025"));
    upload(&c, &base, &file).await;
    c.goto(&format!("{base}/?lang=en")).await.unwrap();
    let report = wait_containing(&c, "last-upload", "victims.csv").await;
    assert!(report.contains("1 new, 0 updated, 0 unchanged"), "{report}");
    screenshots(&c, &format!("{base}/"), "home-focal-point").await;

    // The entry form's country list: sorted by name, filtered as one types.
    c.goto(&format!("{base}/records/new?entity=victim&lang=fr"))
        .await
        .unwrap();
    let filter = c
        .wait()
        .for_element(Locator::Id("f-citizenship-filter"))
        .await
        .expect("the script adds a filter box over the country list");
    filter.send_keys("cote").await.unwrap();
    let visible: Vec<String> = c
        .execute(
            "return Array.from(document.querySelectorAll('#f-citizenship option')).filter(o => !o.hidden).map(o => o.textContent);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(
        !visible.is_empty() && visible.len() < 5,
        "only the matching countries stay: {visible:?}"
    );
    assert!(
        visible.iter().any(|v| v.starts_with("Côte")),
        "accents do not matter: {visible:?}"
    );
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    c.execute(
        "document.getElementById('f-citizenship-filter').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        shots.join("entry-country-filter-fr.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.close().await.unwrap();
}

/// Issue 19 as the coordinator meets it: the review page of a submitted submission (its records,
/// quality flags against the provider's previous periods), a return with a comment through the
/// confirmation page, the status and the comment then on the submission; and the linkage review
/// driven by the keyboard (j to the next pair, n for "different persons"), which comes back at
/// the following pair. Screenshots of the review, the confirmation and the linkage queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_reviews_returns_with_a_comment_and_confirms() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let submitted = app
        .store
        .submissions_for(
            &tessera_store::Access::National,
            Some(tessera_store::SubmissionStatus::Submitted),
        )
        .await
        .unwrap();
    let sub = submitted
        .first()
        .expect("the demo leaves submissions to review")
        .id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    sign_in(&c, &base, "coord").await;
    c.goto(&format!("{base}/review?lang=en")).await.unwrap();
    choose(&c, &format!("a[href='/submissions/{sub}']")).await;
    c.wait().for_element(Locator::Id("quality")).await.unwrap();
    let records = c
        .find_all(Locator::Css("#submission-records tbody tr"))
        .await
        .unwrap();
    assert!(!records.is_empty(), "the submission's records are listed");
    screenshots(
        &c,
        &format!("{base}/submissions/{sub}"),
        "submission-review",
    )
    .await;

    // Return with a comment: the confirmation shows it, then the submission is returned.
    c.goto(&format!("{base}/submissions/{sub}?lang=en"))
        .await
        .unwrap();
    let why = "Twelve victims have no date of identification: add it and send again.";
    c.find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys(why)
        .await
        .unwrap();
    choose(&c, "#return").await;
    let shown = wait_containing(&c, "confirm-comment", "Twelve").await;
    assert_eq!(shown, why);
    std::fs::write(
        shots.join("submission-confirm-return-en.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    choose(&c, "#confirm").await;
    wait_text(&c, "status", "Returned").await;
    let notice = c
        .find(Locator::Id("notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("returned"), "{notice}");
    let comment = c
        .find(Locator::Id("return-comment"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(comment, why);
    let s = app
        .store
        .submission_for(&tessera_store::Access::National, sub)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.status, tessera_store::SubmissionStatus::Returned);

    // The linkage review by keyboard: the legend shows, j focuses the first pair, j the
    // second, n says "different persons" for it; the page comes back at the pair after it.
    c.goto(&format!("{base}/linkage?lang=en")).await.unwrap();
    let keys = c.find(Locator::Id("keys")).await.unwrap();
    assert!(
        keys.is_displayed().await.unwrap(),
        "the legend of the keys shows"
    );
    let ids: Vec<String> = c
        .execute(
            "return Array.from(document.querySelectorAll('section.pair')).map(s => s.id);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(ids.len() >= 3, "{ids:?}");
    std::fs::write(
        shots.join("linkage-queue-en.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    body.send_keys("j").await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.fragment(),
        Some(ids[1].as_str()),
        "j moves to the next pair"
    );
    body.send_keys("n").await.unwrap();
    let start = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if url.fragment() == Some(ids[2].as_str())
            && !c
                .source()
                .await
                .unwrap()
                .contains(&format!("id=\"{}\"", ids[1]))
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the verdict came back at the next pair: {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let parts: Vec<i64> = ids[1]
        .trim_start_matches("pair-")
        .split('-')
        .map(|n| n.parse().unwrap())
        .collect();
    let decisions = app.store.link_decisions().await.unwrap();
    assert!(
        decisions
            .iter()
            .any(|d| d.record_a == parts[0] && d.record_b == parts[1] && !d.same),
        "the verdict is recorded"
    );
    // The pair after it is where the reader's eye is.
    let top = c
        .execute(
            "return document.getElementById(arguments[0]).getBoundingClientRect().top;",
            vec![ids[2].clone().into()],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(top.abs() < 40.0, "scrolled to the next pair: {top}");
    std::fs::write(
        shots.join("linkage-after-verdict-en.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.close().await.unwrap();
}

/// Issue 19: every dashboard, with a demo large enough for long lists (5,000 person records),
/// at a desktop width (1366 px) and a phone's (360 px). On each page: no chart writes two of
/// its labels alike or cuts one short ("…"), and nothing overflows the page sideways (tables
/// scroll in their own containers). Full-page screenshots are kept for review as
/// `dashboard-<view>-<desktop|phone>.png`, and each page's compressed weight is written to
/// `page-weights.txt` beside them (and must stay under 150 KB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_reads_at_desktop_and_phone_widths() {
    use tower::ServiceExt;
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::sqlite_demo(5000).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let views = [
        ("victims", "/dashboard?view=victims"),
        ("victims-persons", "/dashboard?view=victims&unit=persons"),
        ("flows", "/dashboard?view=flows"),
        ("funnel", "/dashboard?view=funnel"),
        ("smuggling", "/dashboard?view=smuggling"),
        ("quality", "/dashboard?view=quality"),
        ("nap", "/dashboard?view=nap"),
        ("estimate", "/dashboard?view=estimate"),
    ];
    let partner_views = [
        ("partner-victims", "/dashboard?view=victims"),
        ("partner-flows", "/dashboard?view=flows"),
        ("partner-funnel", "/dashboard?view=funnel"),
        ("partner-smuggling", "/dashboard?view=smuggling"),
    ];
    let mut weights = String::from("page\traw bytes\tgzip bytes\n");
    for (user, list) in [("analyst", &views[..]), ("partner", &partner_views[..])] {
        sign_in(&c, &base, user).await;
        let cookie = app.login(user).await;
        for (name, path) in list {
            // The page's weight as a browser receives it (gzip), and uncompressed.
            let get = |gzip: bool| {
                let mut b = axum::http::Request::get(format!("{path}&lang=en"))
                    .header(axum::http::header::HOST, "localhost")
                    .header(axum::http::header::COOKIE, &cookie);
                if gzip {
                    b = b.header(axum::http::header::ACCEPT_ENCODING, "gzip, br");
                }
                app.router
                    .clone()
                    .oneshot(b.body(axum::body::Body::empty()).unwrap())
            };
            let size = |r: axum::http::Response<axum::body::Body>| async move {
                assert_eq!(r.status(), 200, "{name}");
                axum::body::to_bytes(r.into_body(), 1 << 26)
                    .await
                    .unwrap()
                    .len()
            };
            let raw = size(get(false).await.unwrap()).await;
            let packed = size(get(true).await.unwrap()).await;
            weights.push_str(&format!("{name}\t{raw}\t{packed}\n"));
            assert!(packed < 150_000, "{name}: {packed} bytes compressed");
            for (width, tag) in [(1366u32, "desktop"), (360, "phone")] {
                c.set_window_size(width, 900).await.unwrap();
                c.goto(&format!("{base}{path}&lang=en")).await.unwrap();
                c.wait().for_element(Locator::Css("h1")).await.unwrap();
                // Labels (category names, class `lbl`): none cut short ("…"), none outside its
                // chart, and no two alike on one axis (same group and x: a bar chart's rows, a
                // column of a flow diagram, an entity's variables in the heat map).
                let charts = c
                    .execute(
                        "return [...document.querySelectorAll('figure svg')].map(s => {
                           const vb = s.viewBox.baseVal, parents = [];
                           return {
                             id: s.getAttribute('aria-labelledby') || '',
                             labels: [...s.querySelectorAll('text.lbl')].map(t => {
                               if (!parents.includes(t.parentNode)) parents.push(t.parentNode);
                               const b = t.getBBox();
                               const inside = t.closest('g[transform]') ||
                                 (b.x >= vb.x - 1 && b.x + b.width <= vb.x + vb.width + 1);
                               return {axis: parents.indexOf(t.parentNode) + '@' + t.getAttribute('x'),
                                       text: t.textContent, inside: !!inside};
                             })
                           };
                         });",
                        vec![],
                    )
                    .await
                    .unwrap();
                for chart in charts.as_array().unwrap() {
                    let id = chart["id"].as_str().unwrap_or("");
                    let mut seen = std::collections::HashSet::new();
                    for l in chart["labels"].as_array().unwrap() {
                        let text = l["text"].as_str().unwrap_or("");
                        assert!(
                            !text.contains('…'),
                            "{name} {id}: a label cut short: {text}"
                        );
                        assert!(
                            l["inside"].as_bool() == Some(true),
                            "{name} {id}: {text:?} runs out of its chart"
                        );
                        let axis = l["axis"].as_str().unwrap_or("");
                        assert!(
                            seen.insert((axis.to_string(), text.to_string())),
                            "{name} {id}: {text:?} twice on one axis"
                        );
                    }
                }
                // Nothing wider than the page, tables scrolling in their own containers.
                let fit = c
                    .execute(
                        "const w = document.documentElement.clientWidth;
                         const bad = [];
                         for (const e of document.querySelectorAll('body *')) {
                           const p = e.parentElement;
                           if (p && p.closest('.scroll, figure')) continue;
                           const r = e.getBoundingClientRect();
                           if (r.width > 0 && r.right > w + 1) {
                             bad.push(e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(r.right));
                           }
                         }
                         return {scroll: document.documentElement.scrollWidth,
                                 inner: window.innerWidth, bad: bad.slice(0, 8)};",
                        vec![],
                    )
                    .await
                    .unwrap();
                let (scroll, inner) = (
                    fit["scroll"].as_u64().unwrap(),
                    fit["inner"].as_u64().unwrap(),
                );
                if tag == "phone" {
                    assert!(inner <= 400, "{name}: a phone's width, not {inner}");
                }
                assert!(
                    scroll <= inner && fit["bad"].as_array().unwrap().is_empty(),
                    "{name} at {width} px: {fit}"
                );
                let height = c
                    .execute("return document.documentElement.scrollHeight;", vec![])
                    .await
                    .unwrap()
                    .as_u64()
                    .unwrap_or(900)
                    .clamp(900, 12_000);
                c.set_window_size(width, height as u32 + 100).await.unwrap();
                let png = c.screenshot().await.unwrap();
                assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000);
                std::fs::write(shots.join(format!("dashboard-{name}-{tag}.png")), png).unwrap();
            }
        }
        c.set_window_size(1366, 900).await.unwrap();
        sign_out(&c).await;
    }
    std::fs::write(shots.join("page-weights.txt"), &weights).unwrap();
    eprintln!("{weights}");

    // The language switch keeps the view and its filters, and the language stays after it.
    sign_in(&c, &base, "analyst").await;
    c.goto(&format!("{base}/dashboard?view=smuggling&year_from=2023"))
        .await
        .unwrap();
    choose(&c, "#lang-fr").await;
    let start = Instant::now();
    loop {
        let url = c.current_url().await.unwrap().to_string();
        if url.contains("lang=fr") {
            assert!(
                url.contains("view=smuggling") && url.contains("year_from=2023"),
                "{url}"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.goto(&format!("{base}/dashboard?view=funnel"))
        .await
        .unwrap();
    let lang = c
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("fr"), "kept for the session");
    // An unknown address: the page, in French, with the menu, at a phone's width.
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&format!("{base}/tableau-inconnu")).await.unwrap();
    let h1 = c.find(Locator::Id("error-404")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Page introuvable");
    c.find(Locator::Css("nav.menu a[href='/dashboard']"))
        .await
        .unwrap();
    std::fs::write(
        shots.join("error-404-phone-fr.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.close().await.unwrap();
}

/// Issue 19, item 5, in Chromium: the entry form in sections checks each field as it changes
/// with the import's own message, marks a field required once the dictionary's rule makes it so
/// (a judgment date after a verdict), and keeps a draft on the server without the names.
/// Screenshots of the form with a message and of the conditional field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_form_checks_as_one_types_and_keeps_a_draft() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = common::apps().await.remove(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    sign_in(&c, &base, "fp").await;
    c.goto(&format!("{base}/records/new?entity=victim&lang=en"))
        .await
        .unwrap();
    fill(&c, "f-provider_ref", "LIVE-7").await;
    fill(&c, "f-age", "300").await;
    // Leaving the field sends the change.
    c.find(Locator::Id("f-given_name"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    let message = loop {
        if let Ok(e) = c
            .find(Locator::Css("[data-errors-for='age'] .field-error"))
            .await
            && let Ok(text) = e.text().await
            && !text.is_empty()
        {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no message under the age"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(message.contains("300"), "{message}");
    // Fields not touched yet say nothing.
    let others = c
        .find_all(Locator::Css("[data-errors-for='sex'] .field-error"))
        .await
        .unwrap();
    assert!(others.is_empty(), "the sex was not filled in yet");
    c.execute(
        "document.getElementById('field-age').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        shots.join("entry-live-check-en.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // A draft: the page comes back with the notice, the names are not kept.
    fill(&c, "f-given_name", "Zara").await;
    choose(&c, "#save-draft").await;
    wait_containing(&c, "entry-draft", "Draft saved").await;
    let draft = app
        .store
        .entry_draft("fp", "victim")
        .await
        .unwrap()
        .unwrap();
    assert!(
        draft
            .values
            .iter()
            .any(|(k, v)| k == "provider_ref" && v == "LIVE-7")
    );
    assert!(draft.values.iter().all(|(_, v)| v != "Zara"));

    // A verdict makes the judgment date required.
    c.goto(&format!("{base}/records/new?entity=cj_case&lang=en"))
        .await
        .unwrap();
    let field = c.find(Locator::Id("field-judgment_date")).await.unwrap();
    assert!(
        !field
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("required-now")
    );
    choose(&c, "#f-verdict option:nth-child(2)").await;
    let start = Instant::now();
    loop {
        let class = c
            .find(Locator::Id("field-judgment_date"))
            .await
            .unwrap()
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default();
        if class.contains("required-now") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{class}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let required = c
        .find(Locator::Id("f-judgment_date"))
        .await
        .unwrap()
        .prop("required")
        .await
        .unwrap();
    assert_eq!(required.as_deref(), Some("true"));
    c.execute(
        "document.getElementById('field-verdict').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        shots.join("entry-conditional-en.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.close().await.unwrap();
}
