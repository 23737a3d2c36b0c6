//! The annual report as DOCX over the stored demo: the package holds the WordprocessingML parts,
//! every part is well-formed XML (parsed with quick-xml), `word/document.xml` carries every
//! generated sentence as a paragraph and every published table as a Word table (header row,
//! numbers right-aligned, hidden cells `c`) with its protection note, hostile labels stay text,
//! and the victims and assistance figures equal counts made here from the demo's generated rows
//! (regenerated from the same seed, read as plain JSON — not through the analysis code). Then
//! LibreOffice converts the DOCX to PDF, and `pdftotext` finds the victims sentence in it.
//!
//! LibreOffice (`libreoffice-writer-nogui`) and poppler-utils are installed by `scripts/test`.
//! Without them the LibreOffice test fails; `TESSERA_SKIP_LIBREOFFICE=1` skips it, except when
//! `CI=1` or `TESSERA_REQUIRE_TOOLS=1`, where a missing tool always fails.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;
use tessera_dictionary::Dictionary;
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_report::{Cell, Config, Report};
use tessera_store::Store;

const SEED: u64 = 17;
const RECORDS: usize = 2000;
/// The last year every provider's submissions are approved.
const YEAR: i32 = 2024;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

fn enc() -> KeyedEncoder {
    KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap())
}

/// Approved records of `entity` whose `date_var` falls in `year` and that `keep` accepts, from
/// the generated rows themselves.
fn independent(entity: &str, date_var: &str, year: i32, keep: impl Fn(&Value) -> bool) -> f64 {
    let chunk = tessera_demo::generate_chunk(SEED, 0, RECORDS, &enc());
    let mut n = 0;
    for b in chunk.batches {
        if b.entity != entity || !tessera_demo::approved(b.provider, b.year) {
            continue;
        }
        for r in b.records {
            let data = Value::Object(r.data.clone());
            let date = data.get(date_var).and_then(Value::as_str);
            if date.is_some_and(|d| d.starts_with(&format!("{year}-"))) && keep(&data) {
                n += 1;
            }
        }
    }
    n as f64
}

fn independent_victims(year: i32) -> f64 {
    independent("victim", "date_identified", year, |d| {
        d.get("identification_status").and_then(Value::as_str) != Some("NOT_VICTIM")
    })
}

fn independent_assistance(year: i32) -> f64 {
    independent("assistance", "start_date", year, |_| true)
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

async fn demo_store(dir: &Path, d: &Dictionary) -> Store {
    let store = Store::open(dir.join("t.db").to_str().unwrap())
        .await
        .unwrap();
    tessera_demo::run(
        &store,
        d,
        Arc::new(enc()),
        RECORDS,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    store
}

/// The package's entries, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.insert(f.name().expect("a UTF-8 entry name").to_string(), b);
    }
    out
}

/// A block of the document body, in order.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    /// (style id, text)
    Para(String, String),
    /// Rows of (text, right-aligned) cells.
    Table(Vec<Vec<(String, bool)>>),
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .map(|a| a.expect("well-formed attribute"))
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.to_string())
}

/// Parses a part as XML (failing on anything not well-formed) and, for `word/document.xml`,
/// returns the body's paragraphs and tables with their text as a reader sees it.
fn parse(xml: &str) -> Vec<Block> {
    let mut r = Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut blocks = Vec::new();
    let mut table: Option<Vec<Vec<(String, bool)>>> = None;
    // The paragraph being read: style, text, right-aligned.
    let mut para: Option<(String, String, bool)> = None;
    let mut in_t = false;
    let mut depth = 0i32;
    loop {
        let ev = r
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", r.buffer_position()));
        let (start, empty) = match &ev {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            for a in e.attributes() {
                a.expect("well-formed attribute");
            }
            if !empty {
                depth += 1;
            }
            match e.name().as_ref() {
                "w:tbl" => table = Some(Vec::new()),
                "w:tr" => table.as_mut().expect("a row in a table").push(Vec::new()),
                "w:tc" => table
                    .as_mut()
                    .and_then(|t| t.last_mut())
                    .expect("a cell in a row")
                    .push((String::new(), false)),
                "w:p" if !empty => para = Some((String::new(), String::new(), false)),
                "w:pStyle" => {
                    if let Some(p) = para.as_mut() {
                        p.0 = attr(&e, "w:val").unwrap_or_default();
                    }
                }
                "w:jc" => {
                    if let Some(p) = para.as_mut() {
                        p.2 = attr(&e, "w:val").as_deref() == Some("right");
                    }
                }
                "w:t" if !empty => in_t = true,
                "w:br" if attr(&e, "w:type").is_none() => {
                    if let Some(p) = para.as_mut() {
                        p.1.push('\n');
                    }
                }
                "w:tab" => {
                    if let Some(p) = para.as_mut() {
                        p.1.push('\t');
                    }
                }
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Text(t) if in_t => {
                if let Some(p) = para.as_mut() {
                    p.1.push_str(&t);
                }
            }
            Event::GeneralRef(g) if in_t => {
                let name = g.to_string();
                let c = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                if let Some(p) = para.as_mut() {
                    p.1.push_str(c);
                }
            }
            Event::End(e) => {
                depth -= 1;
                match e.name().as_ref() {
                    "w:t" => in_t = false,
                    "w:p" => {
                        let (style, text, right) = para.take().expect("an open paragraph");
                        match table.as_mut().and_then(|t| t.last_mut()?.last_mut()) {
                            Some(cell) => {
                                if !cell.0.is_empty() {
                                    cell.0.push('\n');
                                }
                                cell.0.push_str(&text);
                                cell.1 |= right;
                            }
                            None => blocks.push(Block::Para(style, text)),
                        }
                    }
                    "w:tbl" => blocks.push(Block::Table(table.take().expect("an open table"))),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    blocks
}

/// The Word table printing `t`: its header row, then its printed cells, numbers right-aligned.
fn expected_rows(t: &tessera_report::ReportTable) -> Vec<Vec<(String, bool)>> {
    let row = |cells: &[String]| -> Vec<(String, bool)> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), t.numeric.get(i).copied().unwrap_or(false)))
            .collect()
    };
    std::iter::once(row(&t.headers))
        .chain(t.cells.iter().map(|r| row(r)))
        .collect()
}

/// Checks the package and returns the document's blocks.
fn check_package(bytes: &[u8]) -> Vec<Block> {
    let parts = unzip(bytes);
    for name in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
    ] {
        assert!(parts.contains_key(name), "{name} in the package");
    }
    for (name, b) in &parts {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            parse(std::str::from_utf8(b).expect("UTF-8 XML"));
        }
    }
    let types = String::from_utf8(parts["[Content_Types].xml"].clone()).unwrap();
    assert!(types.contains("wordprocessingml.document.main+xml"));
    let styles = String::from_utf8(parts["word/styles.xml"].clone()).unwrap();
    for id in ["Title", "Heading1", "Heading2", "ReportTable"] {
        assert!(
            styles.contains(&format!("w:styleId=\"{id}\"")),
            "{id} style"
        );
    }
    parse(std::str::from_utf8(&parts["word/document.xml"]).unwrap())
}

fn check_report(report: &Report, blocks: &[Block], lang: &str) {
    let paras: Vec<(&str, &str)> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Para(s, t) => Some((s.as_str(), t.as_str())),
            Block::Table(_) => None,
        })
        .collect();
    let tables: Vec<&Vec<Vec<(String, bool)>>> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Para(..) => None,
        })
        .collect();
    // Cover and chapters.
    assert!(paras.contains(&("Title", report.meta.title.as_str())));
    for s in &report.sections {
        assert!(
            paras.contains(&("Heading1", s.title.as_str())),
            "{lang}: chapter {}",
            s.id
        );
    }
    // Every sentence, as a paragraph of its own, in the report's order.
    let body: Vec<&str> = paras
        .iter()
        .filter(|(s, _)| s.is_empty())
        .map(|(_, t)| *t)
        .collect();
    let mut at = 0;
    for s in &report.sections {
        for id in &s.sentences {
            let text = &report.sentence(id).unwrap().text;
            let found = body[at..]
                .iter()
                .position(|p| p == text)
                .unwrap_or_else(|| panic!("{lang}: sentence {id} {text:?} in order"));
            at += found + 1;
        }
    }
    // Every published table and every chart's table, cell by cell, in order.
    let mut expected: Vec<&tessera_report::ReportTable> = Vec::new();
    for s in &report.sections {
        for id in &s.figures {
            let f = &report.figures.iter().find(|f| &f.id == id).unwrap().data;
            match s.tables.iter().find(|t| **t == f.id) {
                // A chart of one of the chapter's tables is given once, as that table.
                Some(t) => assert_eq!(report.table(t).unwrap().cells, f.cells),
                None => expected.push(f),
            }
        }
        for id in &s.tables {
            expected.push(report.table(id).unwrap());
        }
    }
    let captions = paras.iter().filter(|(s, _)| *s == "Caption").count();
    assert_eq!(captions, report.figures.len(), "one caption per chart");
    let mut at = 0;
    let mut numbers = 0;
    for t in &expected {
        let want = expected_rows(t);
        let found = tables[at..]
            .iter()
            .position(|x| **x == want)
            .unwrap_or_else(|| panic!("{lang}: table {} as a Word table", t.id));
        at += found + 1;
        numbers += t
            .rows
            .iter()
            .flatten()
            .filter(|c| matches!(c, Cell::Num(_)))
            .count();
    }
    assert!(numbers > 100, "{numbers} numbers in tables");
    // Each table's protection note under it.
    let notes = paras
        .iter()
        .filter(|(s, t)| *s == "Note" && *t == report.tables[0].note)
        .count();
    assert!(notes >= expected.len(), "{notes} notes");
    // Hidden cells written as the HTML writes them.
    let hidden = report
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flatten())
        .filter(|c| **c == Cell::Num(None))
        .count();
    let c_cells = tables
        .iter()
        .flat_map(|t| t.iter().skip(1).flatten())
        .filter(|(t, right)| t == "c" && *right)
        .count();
    assert!(c_cells >= hidden, "{c_cells} c cells for {hidden} hidden");
    let all_text: String = paras.iter().map(|(_, t)| format!("{t}\n")).collect();
    assert!(all_text.contains(&report.meta.protection));
    assert!(all_text.contains(&report.meta.dictionary_version));
    assert!(all_text.contains(&report.meta.data_cutoff));
    assert!(all_text.contains(&report.meta.software_version));
}

#[tokio::test]
async fn docx_from_the_demo_holds_every_sentence_and_table() {
    let d = dict();
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), &d).await;
    let config = Config::default_layout();
    let (victims, previous) = (independent_victims(YEAR), independent_victims(YEAR - 1));
    let assisted = independent_assistance(YEAR);
    assert!(victims >= 20.0 && assisted >= 20.0, "{victims} {assisted}");

    for lang in ["en", "fr"] {
        let report = tessera_report::from_store(&store, &d, YEAR, lang, &config)
            .await
            .unwrap();
        let bytes = tessera_report::docx::render(&report, &config).unwrap();
        let blocks = check_package(&bytes);
        check_report(&report, &blocks, lang);

        // The figures, against the generated rows.
        assert_eq!(report.key_figure("victims").unwrap().value, Some(victims));
        assert_eq!(report.key_figure("assisted").unwrap().value, Some(assisted));
        let sentence = &report.sentence("victims_total").unwrap().text;
        assert!(
            sentence.contains(&number(lang, victims)) && sentence.contains(&number(lang, previous)),
            "{sentence}"
        );
        assert!(
            report
                .sentence("assistance_total")
                .unwrap()
                .text
                .contains(&number(lang, assisted))
        );
        // The new chapter and the TIP–SOM part are in the document.
        let assistance = report
            .sections
            .iter()
            .find(|s| s.id == "assistance")
            .unwrap();
        assert!(!assistance.figures.is_empty() && assistance.tables.len() >= 3);
        for id in ["tip_som_cases", "tip_som_origins", "tip_som_linkage"] {
            assert!(report.sentence(id).is_some(), "{id}");
        }

        // The same report gives the same bytes.
        assert_eq!(
            bytes,
            tessera_report::docx::render(&report, &config).unwrap()
        );

        // Hostile labels stay text.
        let mut hostile = report.clone();
        let evil = "</w:t></w:r><w:r><w:t>&amp; \"x\" 'y' <b>\u{1}\u{b}\u{FFFE}";
        hostile.meta.title = format!("{evil} title");
        hostile.tables[0].cells[0][0] = format!("{evil} cell");
        hostile.tables[0].headers[0] = format!("{evil}\nheader");
        let first = hostile.tables[0].id.clone();
        hostile.sentences[0].text = format!("{evil} sentence\twith a tab");
        let blocks = check_package(&tessera_report::docx::render(&hostile, &config).unwrap());
        let clean = "</w:t></w:r><w:r><w:t>&amp; \"x\" 'y' <b>";
        assert!(blocks.contains(&Block::Para("Title".into(), format!("{clean} title"))));
        assert!(blocks.contains(&Block::Para(
            String::new(),
            format!("{clean} sentence\twith a tab")
        )));
        let t = hostile.table(&first).unwrap();
        let mut want = expected_rows(t);
        want[0][0].0 = format!("{clean}\nheader");
        want[1][0].0 = format!("{clean} cell");
        assert!(blocks.contains(&Block::Table(want)), "hostile table");
    }
}

/// Whether `name` is an executable on PATH.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            let f = d.join(name);
            f.is_file()
                && std::fs::metadata(&f).is_ok_and(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.permissions().mode() & 0o111 != 0
                })
        })
    })
}

/// Whether the tools are there; fails when one is missing unless skipping was asked for (and
/// never skips under `CI=1` or `TESSERA_REQUIRE_TOOLS=1`).
fn tools(names: &[&str]) -> bool {
    let missing: Vec<&str> = names.iter().copied().filter(|n| !on_path(n)).collect();
    if missing.is_empty() {
        return true;
    }
    let set = |v: &str| std::env::var(v).as_deref() == Ok("1");
    let required = set("CI") || set("TESSERA_REQUIRE_TOOLS");
    if required || !set("TESSERA_SKIP_LIBREOFFICE") {
        panic!(
            "{} not installed: scripts/test installs libreoffice-writer-nogui and poppler-utils (TESSERA_SKIP_LIBREOFFICE=1 skips this test outside CI)",
            missing.join(", ")
        );
    }
    eprintln!("skipped: {} not installed", missing.join(", "));
    false
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn docx_converts_to_pdf_in_libreoffice() {
    if !tools(&["libreoffice", "pdftotext"]) {
        return;
    }
    let d = dict();
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), &d).await;
    let config = Config::default_layout();
    let victims = independent_victims(YEAR);
    for lang in ["en", "fr"] {
        let report = tessera_report::from_store(&store, &d, YEAR, lang, &config)
            .await
            .unwrap();
        assert_eq!(report.key_figure("victims").unwrap().value, Some(victims));
        let docx = dir.path().join(format!("report-{lang}.docx"));
        std::fs::write(
            &docx,
            tessera_report::docx::render(&report, &config).unwrap(),
        )
        .unwrap();
        let out = dir.path().join(format!("pdf-{lang}"));
        // A profile of its own, so parallel runs do not share LibreOffice's lock.
        let profile = format!("file://{}", dir.path().join(format!("lo-{lang}")).display());
        let run = Command::new("libreoffice")
            .arg(format!("-env:UserInstallation={profile}"))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(&out)
            .arg(&docx)
            .output()
            .expect("libreoffice runs");
        let pdf = out.join(format!("report-{lang}.pdf"));
        assert!(
            run.status.success() && pdf.is_file(),
            "LibreOffice: {}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let text = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&pdf)
            .arg("-")
            .output()
            .expect("pdftotext runs");
        assert!(text.status.success());
        let text = words(&String::from_utf8_lossy(&text.stdout));
        let sentence = words(&report.sentence("victims_total").unwrap().text);
        assert!(
            text.contains(&sentence),
            "{lang}: {sentence:?} in the PDF's text"
        );
        assert!(text.contains(&words(&number(lang, victims))));
        let assistance = &report
            .sections
            .iter()
            .find(|s| s.id == "assistance")
            .unwrap()
            .title;
        assert!(text.contains(assistance.as_str()), "{lang}: {assistance}");
        // To look at them: TESSERA_KEEP_DOCX=DIR keeps the DOCX and LibreOffice's PDF.
        if let Ok(keep) = std::env::var("TESSERA_KEEP_DOCX") {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(&docx, Path::new(&keep).join(format!("report-{lang}.docx"))).unwrap();
            std::fs::copy(&pdf, Path::new(&keep).join(format!("report-{lang}.pdf"))).unwrap();
        }
    }
}
