//! The report as PDF through embedded Typst (cargo feature `pdf`). The content goes to the
//! template (`templates/report.typ`, or the deployment's copy) as one JSON document in
//! `sys.inputs.report`; charts are the same SVG as the HTML's. Fonts: Typst's embedded set and
//! Noto Sans Bengali (regular and bold, `fonts/`, SIL Open Font License: `fonts/OFL.txt`), which
//! covers the one script of the dictionary's languages (en, fr, pt, bn, cs, pl, sk) that Typst's
//! own fonts lack; no system fonts, so the same input gives the same PDF on every machine. The
//! template lists Noto Sans Bengali after its text font, and Typst falls back to it glyph by glyph.

use typst::foundations::{Bytes, Dict, IntoValue};
use typst_as_lib::TypstEngine;
use typst_as_lib::typst_kit_options::TypstKitFontOptions;
use typst_layout::PagedDocument;

use crate::{Config, Report, ReportError};

/// Noto Sans Bengali, regular and bold (OFL 1.1, see `fonts/OFL.txt`).
pub const FONTS: [&[u8]; 2] = [
    include_bytes!("../fonts/NotoSansBengali-Regular.ttf"),
    include_bytes!("../fonts/NotoSansBengali-Bold.ttf"),
];

/// Renders `report` as PDF bytes.
pub fn render(report: &Report, config: &Config) -> Result<Vec<u8>, ReportError> {
    let template = config.typst_template()?;
    // The logo under a fixed name, whatever its path in the layout.
    let logo = config.logo()?.map(|(name, bytes)| {
        let ext = std::path::Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("png")
            .to_ascii_lowercase();
        (format!("logo.{ext}"), bytes)
    });
    let data = serde_json::json!({
        "meta": &report.meta,
        "key_figures": &report.key_figures,
        "sections": crate::html::views(report),
        "labels": crate::html::labels(&report.meta.lang),
        "logo": logo.as_ref().map(|(name, _)| name.clone()),
    });
    let files: Vec<(String, Vec<u8>)> = logo.into_iter().collect();
    let engine = TypstEngine::builder()
        .main_file(template)
        .fonts(FONTS)
        .search_fonts_with(
            TypstKitFontOptions::default()
                .include_system_fonts(false)
                .include_embedded_fonts(true),
        )
        .with_static_file_resolver(files.iter().map(|(n, b)| (n.as_str(), b.clone())))
        .build();
    let mut inputs = Dict::new();
    inputs.insert(
        "report".into(),
        Bytes::new(serde_json::to_vec(&data).unwrap_or_default()).into_value(),
    );
    let started = std::time::Instant::now();
    let doc: PagedDocument = engine
        .compile_with_input(inputs)
        .output
        .map_err(|e| ReportError::Template(format!("Typst: {e}")))?;
    let compiled = started.elapsed();
    let pdf = typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default());
    tracing::info!(
        target: "tessera_report::timing",
        compile_ms = compiled.as_millis() as u64,
        pdf_ms = (started.elapsed() - compiled).as_millis() as u64,
        "report PDF"
    );
    pdf.map_err(|errs| {
        ReportError::Template(format!(
            "PDF: {}",
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}
