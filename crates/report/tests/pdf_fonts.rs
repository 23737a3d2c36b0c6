//! The PDF renders every script the dictionary lists: a report (over an empty database) whose
//! country name is the dictionary's Bengali label for Bangladesh goes through the built-in Typst
//! template, `pdffonts` lists the
//! embedded Noto Sans Bengali and `pdftotext` gives the Bengali text back. Needs the cargo
//! feature `pdf` (`cargo test -p tessera-report --features pdf`) and poppler-utils, which
//! `scripts/test` installs; a missing tool fails the test.
#![cfg(feature = "pdf")]

use std::path::Path;
use std::process::Command;

use tessera_analysis::{Disclosure, Facts};
use tessera_dictionary::Dictionary;
use tessera_report::Config;
use tessera_store::Store;

fn run(tool: &str, args: &[&str], file: &Path, after: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .args(after)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by scripts/test): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn is_bengali(c: char) -> bool {
    ('\u{0980}'..='\u{09FF}').contains(&c)
}

#[tokio::test]
async fn bengali_labels_render_with_the_embedded_noto_font() {
    let dict = Dictionary::base()
        .unwrap()
        .with_extension(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap();
    assert!(
        dict.languages.iter().any(|l| l == "bn"),
        "the dictionary lists Bengali"
    );
    // The dictionary's own Bengali label for Bangladesh.
    let label = dict
        .codelists
        .get("country")
        .and_then(|cl| cl.get("BD"))
        .map(|c| c.label.get("bn").to_string())
        .expect("Bangladesh in the country list");
    assert!(label.chars().any(is_bengali), "{label:?} is Bengali");

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let facts = Facts::build(&store, &dict).await.unwrap();
    let config = Config::default_layout();
    let mut report = tessera_report::build(
        &facts,
        &dict,
        2025,
        "en",
        Disclosure::default(),
        None,
        None,
        &config,
    )
    .unwrap();
    report.meta.country_name = label.clone();
    let pdf = tessera_report::pdf::render(&report, &config).unwrap();
    let file = dir.path().join("bn.pdf");
    std::fs::write(&file, &pdf).unwrap();

    let fonts = run("pdffonts", &[], &file, &[]);
    assert!(
        fonts.lines().any(|l| l.contains("NotoSansBengali")),
        "Noto Sans Bengali embedded:\n{fonts}"
    );
    let text = run("pdftotext", &["-enc", "UTF-8"], &file, &["-"]);
    assert!(
        text.contains(&label),
        "{label:?} in the PDF's text:\n{text}"
    );
}
