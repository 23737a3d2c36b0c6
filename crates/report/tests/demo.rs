//! The annual report over a stored demo: its victims total equals the GLOTIP return's, the
//! dashboard's and a count made here from the demo's generated rows (regenerated from the same
//! seed, read as plain JSON — not through the analysis code); its HTML carries the generated
//! sentences with those numbers in English and French and no published cell under the threshold.
//! Runs on SQLite and PostgreSQL.

use std::sync::Arc;

use serde_json::Value;
use tessera_analysis::Facts;
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_dictionary::Dictionary;
use tessera_outputs::{Kind, Options};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_report::{Cell, Config, Report};
use tessera_store::{Access, Store};

const SEED: u64 = 17;
const RECORDS: usize = 2000;
/// The last year every provider's submissions are approved, and the one before.
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

fn enc() -> KeyedEncoder {
    KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap())
}

/// Approved victims identified in `year`, not assessed as "not a victim", from the generated
/// rows themselves.
fn independent_victims(year: i32) -> f64 {
    let chunk = tessera_demo::generate_chunk(SEED, 0, RECORDS, &enc());
    let mut n = 0;
    for b in chunk.batches {
        if b.entity != "victim" || !tessera_demo::approved(b.provider, b.year) {
            continue;
        }
        for r in b.records {
            let date = r.data.get("date_identified").and_then(Value::as_str);
            let status = r.data.get("identification_status").and_then(Value::as_str);
            if date.is_some_and(|d| d.starts_with(&year.to_string()))
                && status != Some("NOT_VICTIM")
            {
                n += 1;
            }
        }
    }
    n as f64
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

fn number(lang: &str, v: f64) -> String {
    let s = format!("{}", v as i64);
    let sep = if lang == "fr" { "\u{202f}" } else { "," };
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// Every number a published table shows is 0 or at least the threshold; hidden cells are `c`.
fn assert_protected(r: &Report, html: &str) {
    let t = r.meta.threshold;
    assert!(r.tables.len() >= 10, "{}", r.tables.len());
    for table in &r.tables {
        for row in &table.rows {
            for c in row {
                if let Cell::Num(Some(v)) = c {
                    assert!(*v == 0.0 || *v >= t, "{}: {v}", table.id);
                }
            }
        }
    }
    let mut cells = 0;
    for part in html.split("<td class=\"num\">").skip(1) {
        let text = &part[..part.find("</td>").unwrap()];
        cells += 1;
        if text == "c" {
            continue;
        }
        let v: f64 = text.parse().unwrap_or_else(|_| panic!("cell {text:?}"));
        assert!(v == 0.0 || v >= t, "HTML cell {v}");
    }
    assert!(cells > 50, "{cells} cells");
    for k in &r.key_figures {
        if let Some(v) = k.value {
            assert!(v == 0.0 || v >= t, "{}: {v}", k.id);
        }
    }
}

async fn check(store: Store, engine: &str) {
    let d = dict();
    tessera_demo::run(
        &store,
        &d,
        Arc::new(enc()),
        RECORDS,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    store
        .set_setting(
            "nap_plan",
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../config/nap/cf-demo.toml"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let config = Config::default_layout();

    // The same total four ways.
    let expected = independent_victims(YEAR);
    let previous = independent_victims(YEAR - 1);
    assert!(
        expected >= 20.0 && previous >= 20.0,
        "{expected} {previous}"
    );
    let facts = Facts::build(&store, &d).await.unwrap();
    let glotip = tessera_outputs::build(
        Kind::Glotip,
        &facts,
        &d,
        &Options::new(&d, YEAR, 1.0).unwrap(),
        None,
    )
    .unwrap();
    let glotip_total: f64 = glotip
        .table("victims_sex_age")
        .unwrap()
        .totals
        .iter()
        .map(|(_, v)| v.unwrap())
        .sum();
    // The victims dashboard as staff see it for the year (the demo has no NOT_VICTIM records,
    // which the report and GLOTIP leave out).
    let dashboard = tessera_analysis::victims(
        &facts,
        &Scope::Internal(Access::National),
        &Filters {
            year_from: Some(YEAR),
            year_to: Some(YEAR),
            ..Filters::default()
        },
        tessera_analysis::Unit::Records,
        "en",
    )
    .unwrap()
    .total
    .unwrap();
    let published = tessera_outputs::from_store(&store, &d, Kind::Glotip, YEAR, "en", false)
        .await
        .unwrap();

    for lang in ["en", "fr"] {
        let report = tessera_report::from_store(&store, &d, YEAR, lang, &config)
            .await
            .unwrap();
        let total = report.key_figure("victims").unwrap().value.unwrap();
        assert_eq!(total, expected, "{engine} {lang}: report vs generated rows");
        assert_eq!(total, glotip_total, "{engine}: report vs GLOTIP");
        assert_eq!(total, dashboard, "{engine}: report vs dashboard");
        if let Some(Some(p)) = published
            .table("victims_sex_age")
            .unwrap()
            .totals
            .first()
            .map(|t| t.1)
        {
            assert!(p <= total);
        }
        assert_eq!(
            report.key_figure("victims").unwrap().previous,
            Some(previous)
        );

        // The generated sentence, with the numbers worked out here.
        let pct = ((expected - previous) / previous * 100.0).round().abs() as i64;
        let sentence = &report.sentence("victims_total").unwrap().text;
        let (n, p) = (number(lang, expected), number(lang, previous));
        let want = match (lang, expected > previous) {
            ("fr", true) => format!(
                "Le nombre de victimes identifiées a augmenté de {pct}\u{a0}% pour atteindre {n} en {YEAR} ({p} en {})",
                YEAR - 1
            ),
            ("fr", false) => format!(
                "Le nombre de victimes identifiées a diminué de {pct}\u{a0}% pour s'établir à {n} en {YEAR} ({p} en {})",
                YEAR - 1
            ),
            (_, true) => format!(
                "The number of identified victims increased by {pct}% to reach {n} in {YEAR} ({p} in {})",
                YEAR - 1
            ),
            (_, false) => format!(
                "The number of identified victims decreased by {pct}% to {n} in {YEAR} ({p} in {})",
                YEAR - 1
            ),
        };
        assert!(sentence.starts_with(&want), "{sentence:?} vs {want:?}");

        let html = tessera_report::html::render(&report, &config).unwrap();
        assert!(
            html.contains(&escaped(sentence)),
            "{lang}: sentence in HTML"
        );
        assert!(html.contains(&escaped(&report.meta.title)));
        assert!(html.contains("<svg"), "charts inline");
        assert!(!html.contains("src=\"http"), "no external asset");
        assert!(html.contains(&escaped(&report.meta.protection)));
        assert!(html.contains(&escaped(&d.version)));
        assert_protected(&report, &html);
        // Every chapter of the layout, the plan's included.
        for s in [
            "summary",
            "victims",
            "justice",
            "smuggling",
            "assistance",
            "nap",
            "quality",
            "annex",
        ] {
            assert!(html.contains(&format!("<section id=\"{s}\">")), "{s}");
        }
        assert!(report.table("nap_progress").is_some(), "the loaded plan");
        assert!(report.table("glotip_victims_sex_age").is_some());
        assert!(report.tables.iter().all(|t| !t.id.contains("provider")));

        // Re-running gives the same document.
        let again = tessera_report::from_store(&store, &d, YEAR, lang, &config)
            .await
            .unwrap();
        assert_eq!(html, tessera_report::html::render(&again, &config).unwrap());
    }
}

#[tokio::test]
async fn annual_report_matches_glotip_dashboard_and_demo_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    check(store, "sqlite").await;
}

#[tokio::test]
async fn annual_report_matches_glotip_dashboard_and_demo_on_postgres() {
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "r_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let store = Store::open_pg_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required at {url}: {e}"));
    check(store, "postgres").await;
}

#[test]
fn a_layout_with_an_unknown_chapter_is_refused() {
    let e = Config::from_toml(
        "chapters = [\"victims\", \"weather\"]\n[title]\nen = \"T\"\n",
        std::path::Path::new("."),
    )
    .unwrap_err();
    assert!(e.to_string().contains("weather"), "{e}");
    let c = Config::from_toml(
        "chapters = [\"annex\", \"victims\"]\n[title]\nen = \"T\"\nfr = \"TF\"\n",
        std::path::Path::new("."),
    )
    .unwrap();
    assert_eq!(c.title.get("fr"), "TF");
    assert_eq!(c.chapters, ["annex", "victims"]);
}
