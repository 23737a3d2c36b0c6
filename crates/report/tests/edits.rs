//! Sentences edited by hand: applied by id, stale ones reported, markup of any kind printed as
//! text (HTML escaped; Typst given text, never code), kept in the store with who and when,
//! audited, and applied by `from_store_published` — on SQLite and PostgreSQL.

use tessera_dictionary::Dictionary;
use tessera_report::edits::{self, Edit, Edits, Refusal};
use tessera_report::{Config, Report, ReportError};
use tessera_store::{Store, actions};

const YEAR: i32 = 2024;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    (store, dir)
}

async fn engines() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let (s, dir) = sqlite().await;
    let mut out = vec![("sqlite", s, Some(dir))];
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return out;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "e_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let store = Store::open_pg_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required at {url}: {e}"));
    out.push(("postgres", store, None));
    out
}

async fn generated(store: &Store, lang: &str) -> Report {
    tessera_report::from_store(store, &dict(), YEAR, lang, &Config::default_layout())
        .await
        .unwrap()
}

fn edit(text: &str) -> Edit {
    Edit {
        text: text.into(),
        generated: String::new(),
        by: "analyst".into(),
        at: "2025-01-01T00:00:00Z".into(),
    }
}

/// How minijinja's auto-escaping writes text into HTML.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

#[tokio::test]
async fn edits_replace_sentences_by_id_and_stale_ones_are_reported() {
    let (store, _dir) = sqlite().await;
    let mut report = generated(&store, "en").await;
    let summary = report.sentence("summary_victims").unwrap().text.clone();
    let mut e = Edits::default();
    e.sentences.insert(
        "victims_total".into(),
        edit("Identified victims rose sharply, mostly in the south-west."),
    );
    // The layout no longer has this chapter, or the plan was unloaded since.
    e.sentences
        .insert("nap_status".into(), edit("All indicators on track."));
    e.sentences
        .insert("gone".into(), edit("A sentence of old."));
    // A stored text that is not plain text is not printed (the store was written around us).
    e.sentences
        .insert("quality_linkage".into(), edit("bad\u{1b}[31m text"));
    let applied = report.apply_edits(&e);
    assert_eq!(applied.edited, ["victims_total"]);
    let mut stale = applied.stale.clone();
    stale.sort();
    assert_eq!(stale, ["gone", "nap_status", "quality_linkage"]);
    let s = report.sentence("victims_total").unwrap();
    assert!(s.edited);
    assert_eq!(
        s.text,
        "Identified victims rose sharply, mostly in the south-west."
    );
    // The others keep their generated text.
    let other = report.sentence("summary_victims").unwrap();
    assert!(!other.edited);
    assert_eq!(other.text, summary);
    assert!(!report.sentence("quality_linkage").unwrap().edited);
    assert_eq!(
        report.meta.edits,
        "1 sentence was edited by hand before publication; every other sentence is generated from the figures."
    );

    let config = Config::default_layout();
    let html = tessera_report::html::render(&report, &config).unwrap();
    assert!(html.contains("<p>Identified victims rose sharply, mostly in the south-west.</p>"));
    assert!(
        html.contains(&escaped(&report.meta.edits)),
        "stated in the metadata"
    );
    assert!(
        !html.contains("class=\"edited\""),
        "the published report marks nothing"
    );
    let preview = tessera_report::html::render_preview(&report, &config).unwrap();
    assert!(preview.contains(
        "<p class=\"edited\">Identified victims rose sharply, mostly in the south-west. <span class=\"edited-mark\">edited</span></p>"
    ));
    assert_eq!(preview.matches("<p class=\"edited\">").count(), 1);

    // In French, the statement is French; with no edit, nothing is stated.
    let mut fr = generated(&store, "fr").await;
    let mut two = Edits::default();
    two.sentences.insert("victims_total".into(), edit("Un."));
    two.sentences
        .insert("summary_victims".into(), edit("Deux."));
    assert_eq!(fr.apply_edits(&two).edited.len(), 2);
    assert!(fr.meta.edits.starts_with("2 phrases ont été modifiées"));
    let mut none = generated(&store, "en").await;
    let applied = none.apply_edits(&Edits::default());
    assert!(applied.edited.is_empty() && applied.stale.is_empty());
    assert_eq!(none.meta.edits, "");
    let html = tessera_report::html::render(&none, &config).unwrap();
    assert!(!html.contains("Sentences edited by hand"));
}

/// An edited sentence is text in every output: markup of HTML, of the template language and of
/// Typst is printed as typed, never interpreted.
#[tokio::test]
async fn an_edited_sentence_cannot_inject_markup_or_code() {
    let (store, _dir) = sqlite().await;
    let mut report = generated(&store, "en").await;
    let attack = "</p><script>alert(1)</script><img src=x onerror=alert(2)> {{ meta.title }} {% if true %}x{% endif %} #set page(width: 1cm) #panic(\"no\") *bold* _it_ $x^2$ [link](http://x) <label> @ref \\ `raw`";
    let text = edits::clean(attack).unwrap();
    assert_eq!(text, attack, "kept as typed");
    let mut e = Edits::default();
    e.sentences.insert("victims_total".into(), edit(attack));
    report.apply_edits(&e);
    let config = Config::default_layout();
    for html in [
        tessera_report::html::render(&report, &config).unwrap(),
        tessera_report::html::render_preview(&report, &config).unwrap(),
    ] {
        assert!(html.contains(&escaped(attack)), "escaped as a whole");
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("</p><script>"));
        // The template language's syntax in data is not evaluated.
        assert!(html.contains("{{ meta.title }}"));
    }
    // Typst: the content reaches the template as one JSON string (sys.inputs), and the template
    // sets sentences as values — `par(p)` of a string is text — and never evaluates a string.
    let typ = include_str!("../templates/report.typ");
    assert!(
        !typ.contains("eval("),
        "the template evaluates no string as Typst code"
    );
    assert!(typ.contains("json(sys.inputs.report)"));
    assert!(typ.contains("#for p in s.sentences [#par(p)]"));
    // With the feature `pdf`: the document compiles (an evaluated `#panic` would stop it).
    #[cfg(feature = "pdf")]
    {
        let pdf = tessera_report::render_pdf(&report, &config).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_kept_with_who_and_when_audited_and_published_on_both_engines() {
    for (engine, store, _dir) in engines().await {
        let report = generated(&store, "en").await;
        let victims = report.sentence("victims_total").unwrap().text.clone();

        // Refused: an unknown sentence, an empty or over-long text, a control character; nothing
        // is stored.
        for (id, text, want) in [
            ("weather", "Sunny.", "unknown"),
            ("victims_total", "  \n ", "empty"),
            (
                "victims_total",
                &"x".repeat(edits::MAX_CHARS + 1),
                "too-long",
            ),
            ("victims_total", "a\u{7}b", "control"),
        ] {
            match edits::save(&store, &report, id, text, "analyst").await {
                Err(ReportError::Edit(r)) => assert_eq!(r.code(), want, "{engine}"),
                other => panic!("{engine}: {id} {want}: {other:?}"),
            }
        }
        assert_eq!(
            edits::save(&store, &report, "weather", "x", "a")
                .await
                .err()
                .map(|e| e.to_string()),
            Some(Refusal::UnknownSentence("weather".into()).message("en"))
        );
        assert!(edits::load(&store, YEAR, "en").await.unwrap().is_empty());

        // Saved with who, when and the generated text it replaced; line breaks become spaces.
        assert!(
            edits::save(
                &store,
                &report,
                "victims_total",
                "More victims were identified,\r\nmostly women.",
                "analyst"
            )
            .await
            .unwrap()
        );
        let saved = edits::load(&store, YEAR, "en").await.unwrap();
        let e = saved.get("victims_total").unwrap();
        assert_eq!(e.text, "More victims were identified, mostly women.");
        assert_eq!(e.generated, victims);
        assert_eq!(e.by, "analyst");
        assert!(e.at.starts_with("20") && e.at.ends_with('Z'), "{}", e.at);
        let stored = store
            .setting(&edits::setting_key(YEAR, "en"))
            .await
            .unwrap()
            .unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&stored).is_ok());
        // The same text again changes nothing and is not audited twice.
        assert!(
            !edits::save(
                &store,
                &report,
                "victims_total",
                "More victims were identified, mostly women.",
                "coord"
            )
            .await
            .unwrap()
        );
        // Another language's report has its own edits.
        assert!(edits::load(&store, YEAR, "fr").await.unwrap().is_empty());
        assert!(
            edits::load(&store, YEAR - 1, "en")
                .await
                .unwrap()
                .is_empty()
        );

        // Two analysts saving two sentences at the same moment both keep theirs.
        let (a, b) = tokio::join!(
            edits::save(&store, &report, "summary_victims", "First.", "analyst"),
            edits::save(&store, &report, "summary_suspects", "Second.", "coord"),
        );
        assert!(a.unwrap() && b.unwrap(), "{engine}");
        assert_eq!(edits::load(&store, YEAR, "en").await.unwrap().len(), 3);

        // Published: the CLI's and the web's report, the edits applied.
        let config = Config::default_layout();
        let (published, applied) =
            tessera_report::from_store_published(&store, &dict(), YEAR, "en", &config)
                .await
                .unwrap();
        assert_eq!(
            applied.edited,
            ["summary_victims", "summary_suspects", "victims_total"]
        );
        assert!(applied.stale.is_empty());
        assert_eq!(
            published.sentence("victims_total").unwrap().text,
            "More victims were identified, mostly women."
        );
        assert!(published.meta.edits.starts_with("3 sentences were edited"));
        let html = tessera_report::html::render(&published, &config).unwrap();
        assert!(html.contains("<p>More victims were identified, mostly women.</p>"));
        let (fr, applied) =
            tessera_report::from_store_published(&store, &dict(), YEAR, "fr", &config)
                .await
                .unwrap();
        assert!(applied.edited.is_empty());
        assert_eq!(fr.meta.edits, "");

        // Saving the generated text gives the sentence back; so does a reset.
        assert!(
            edits::save(
                &store,
                &report,
                "summary_victims",
                &report.sentence("summary_victims").unwrap().text,
                "analyst"
            )
            .await
            .unwrap()
        );
        assert!(
            edits::reset(&store, YEAR, "en", "summary_suspects", "coord")
                .await
                .unwrap()
        );
        assert!(
            !edits::reset(&store, YEAR, "en", "summary_suspects", "coord")
                .await
                .unwrap()
        );
        // A stale edit (its sentence gone from the report) can be removed too.
        let key = edits::setting_key(YEAR, "en");
        let mut left = edits::load(&store, YEAR, "en").await.unwrap();
        left.sentences.insert("gone".into(), edit("Old."));
        store
            .set_setting(&key, &serde_json::to_string(&left).unwrap())
            .await
            .unwrap();
        let (_, applied) =
            tessera_report::from_store_published(&store, &dict(), YEAR, "en", &config)
                .await
                .unwrap();
        assert_eq!(applied.edited, ["victims_total"]);
        assert_eq!(applied.stale, ["gone"]);
        assert!(
            edits::reset(&store, YEAR, "en", "gone", "analyst")
                .await
                .unwrap()
        );
        assert_eq!(
            edits::load(&store, YEAR, "en")
                .await
                .unwrap()
                .sentences
                .keys()
                .collect::<Vec<_>>(),
            ["victims_total"]
        );

        // Every change is in the audit log: who, which sentence, before and after.
        let edited = store
            .audit_entries(None, Some(actions::REPORT_EDIT_SENTENCE), 100)
            .await
            .unwrap();
        assert_eq!(edited.len(), 3, "{engine}: {edited:?}");
        let first = edited
            .iter()
            .find(|e| e.object == format!("report/{YEAR}/en/victims_total"))
            .unwrap();
        assert_eq!(first.actor, "analyst");
        let detail: serde_json::Value = serde_json::from_str(&first.detail).unwrap();
        assert_eq!(detail["before"], victims.as_str());
        assert_eq!(
            detail["after"],
            "More victims were identified, mostly women."
        );
        let reset = store
            .audit_entries(None, Some(actions::REPORT_RESET_SENTENCE), 100)
            .await
            .unwrap();
        let mut objects: Vec<(String, String)> = reset
            .iter()
            .map(|e| (e.actor.clone(), e.object.clone()))
            .collect();
        objects.sort();
        assert_eq!(
            objects,
            [
                ("analyst".to_string(), format!("report/{YEAR}/en/gone")),
                (
                    "analyst".to_string(),
                    format!("report/{YEAR}/en/summary_victims")
                ),
                (
                    "coord".to_string(),
                    format!("report/{YEAR}/en/summary_suspects")
                ),
            ]
        );
    }
}
