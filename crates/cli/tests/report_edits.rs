//! `tessera report annual` applies the sentences edited by hand on the web page (kept in the
//! store), says how many it applied and names those it could not; an edited sentence full of
//! HTML and Typst markup is printed as typed in the HTML and, with the `pdf` feature, in the PDF
//! (read back with `pdftotext`) — never run as code.

use std::process::{Command, Output};

use tessera_report::edits::{Edit, Edits, setting_key};

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Text and markup of HTML, of the template language and of Typst. No quotation marks or
/// apostrophes, which Typst would print as typographic ones.
const ATTACK: &str = "Edited: <i>x</i> {{ meta.title }} #panic(1) #set page(width: 1cm) *bold* _it_ $x^2$ [a](b) <lbl> @ref";

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_annual_report_applies_edits_and_prints_markup_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    ok(tessera()
        .args(["demo", "--records", "300", "--db", db, "--truth"])
        .arg(&truth)
        .output()
        .unwrap());
    // What the web page keeps: one edit of a sentence the report has, one of a sentence it
    // no longer has.
    let mut edits = Edits::default();
    for (id, text) in [
        ("victims_total", ATTACK),
        ("gone_chapter_sentence", "Old text."),
    ] {
        edits.sentences.insert(
            id.into(),
            Edit {
                text: text.into(),
                generated: String::new(),
                by: "analyst".into(),
                at: "2025-02-01T10:00:00Z".into(),
            },
        );
    }
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = tessera_store::Store::open(db).await.unwrap();
        store
            .set_setting(
                &setting_key(2024, "en"),
                &serde_json::to_string(&edits).unwrap(),
            )
            .await
            .unwrap();
    });
    let run = |format: &str, out: &std::path::Path| {
        ok(tessera()
            .args([
                "report", "annual", "--db", db, "--year", "2024", "--lang", "en", "--format",
                format, "--out",
            ])
            .arg(out)
            .output()
            .unwrap())
    };

    let html_path = dir.path().join("report.html");
    let out = run("html", &html_path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 edited sentence applied."), "{stderr}");
    assert!(
        stderr.contains("not applied") && stderr.contains("gone_chapter_sentence"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains(
            "Edited: &lt;i&gt;x&lt;&#x2f;i&gt; {{ meta.title }} #panic(1) #set page(width: 1cm) *bold* _it_ $x^2$ [a](b) &lt;lbl&gt; @ref"
        ),
        "the sentence, escaped"
    );
    assert!(!html.contains("<i>x</i>"));
    assert!(html.contains("1 sentence was edited by hand before publication"));
    // The French report has no edit.
    let fr = dir.path().join("rapport.html");
    let out = run_lang(db, "fr", &fr);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 edited sentences applied."));

    if cfg!(feature = "pdf") {
        let pdf = dir.path().join("report.pdf");
        run("pdf", &pdf);
        let text = ok(Command::new("pdftotext")
            .args([pdf.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test"));
        let text = one_line(&String::from_utf8_lossy(&text.stdout));
        // Every piece of markup printed as typed (Typst may break the line between words).
        for piece in [
            "Edited: <i>x</i>",
            "{{ meta.title }}",
            "#panic(1)",
            "#set page(width: 1cm)",
            "*bold*",
            "_it_",
            "$x^2$",
            "[a](b)",
            "<lbl>",
            "@ref",
        ] {
            assert!(text.contains(piece), "{piece:?} in the PDF: {text}");
        }
        assert!(
            text.contains("Sentences edited by hand"),
            "stated in the PDF"
        );
    }
}

fn run_lang(db: &str, lang: &str, out: &std::path::Path) -> Output {
    ok(tessera()
        .args([
            "report", "annual", "--db", db, "--year", "2024", "--lang", lang, "--format", "html",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap())
}
