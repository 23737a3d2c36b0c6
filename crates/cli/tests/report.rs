//! `tessera report annual` end to end: a demo database, then the annual report as HTML in English
//! and French, as DOCX (its document read from the zip) and, when this binary has the `pdf`
//! feature (the default), as PDF checked as text
//! with `pdftotext` and as a page image with `pdftoppm` (poppler-utils, installed by
//! scripts/test).

use std::path::Path;
use std::process::{Command, Output};

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

fn annual(db: &str, lang: &str, format: &str, out: &Path) -> Output {
    tessera()
        .args([
            "report",
            "annual",
            "--db",
            db,
            "--year",
            "2024",
            "--lang",
            lang,
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap()
}

/// The victims key figure as the HTML cover's summary prints it.
fn key_victims(html: &str, label: &str) -> String {
    let end = html
        .find(&format!("</div><div>{label}</div>"))
        .unwrap_or_else(|| panic!("no key figure {label}"));
    let start = html[..end].rfind("<div class=\"n\">").unwrap() + "<div class=\"n\">".len();
    html[start..end].to_string()
}

#[test]
fn annual_report_as_html_docx_and_pdf_from_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    ok(tessera()
        .args([
            "demo",
            "--records",
            "300",
            "--db",
            db,
            "--truth",
            truth.to_str().unwrap(),
        ])
        .output()
        .unwrap());

    let en = dir.path().join("report.html");
    let out = ok(annual(db, "en", "html", &en));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Wrote the annual report for 2024"));
    let html = std::fs::read_to_string(&en).unwrap();
    assert!(html.contains("Annual country report on trafficking in persons"));
    assert!(html.contains("Central African Republic"));
    assert!(html.contains("The number of identified victims"));
    assert!(html.contains("<svg"));
    let victims = key_victims(&html, "Victims identified");

    let fr = dir.path().join("rapport.html");
    ok(annual(db, "fr", "html", &fr));
    let html_fr = std::fs::read_to_string(&fr).unwrap();
    assert!(html_fr.contains("Rapport national annuel"));
    assert!(html_fr.contains("Le nombre de victimes identifiées"));
    assert_eq!(key_victims(&html_fr, "Victimes identifiées"), victims);

    // DOCX, chosen by the file name's extension: a Word package whose document carries the
    // same key figure and the assistance chapter.
    let docx = dir.path().join("report.docx");
    let out = ok(tessera()
        .args([
            "report",
            "annual",
            "--db",
            db,
            "--year",
            "2024",
            "--out",
            docx.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&out.stderr).contains("as DOCX"));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let mut document = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/document.xml").unwrap(),
        &mut document,
    )
    .unwrap();
    assert!(document.contains("The number of identified victims"));
    assert!(document.contains("Assistance and referral"));
    assert!(
        document.contains(&format!(">{victims}<")),
        "the key figure {victims}"
    );

    if cfg!(feature = "pdf") {
        let pdf = dir.path().join("rapport.pdf");
        ok(annual(db, "fr", "pdf", &pdf));
        assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
        let text = ok(Command::new("pdftotext")
            .args([pdf.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test"));
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("Rapport national annuel"), "{text}");
        assert!(text.contains("Victimes identifiées"));
        assert!(
            text.contains(&victims),
            "the key figure {victims} in the PDF"
        );
        let png = dir.path().join("page");
        ok(Command::new("pdftoppm")
            .args([
                "-png",
                "-r",
                "40",
                "-f",
                "1",
                "-l",
                "2",
                pdf.to_str().unwrap(),
                png.to_str().unwrap(),
            ])
            .output()
            .unwrap());
        let pages: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("page"))
            .collect();
        assert_eq!(pages.len(), 2, "pages 1 and 2 rendered");
        for p in pages {
            let bytes = std::fs::read(p.path()).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"));
            assert!(bytes.len() > 2000, "a page with something on it");
        }
        if let Ok(keep) = std::env::var("TESSERA_KEEP_REPORT") {
            std::fs::copy(&pdf, keep).unwrap();
        }
    } else {
        let out = annual(db, "en", "pdf", &dir.path().join("x.pdf"));
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("without PDF"));
    }
}
