//! The report as a Word document (DOCX: Office Open XML WordprocessingML), written here with no
//! document library — the parts are a few strings of XML in a zip (the `zip` crate the workspace
//! already uses): `[Content_Types].xml`, `_rels/.rels`, `docProps/core.xml`, `word/document.xml`,
//! `word/styles.xml` (Title, Subtitle, Heading1, Heading2, Caption, Note and the `ReportTable`
//! table style), `word/settings.xml`, `word/footer1.xml` and `word/_rels/document.xml.rels`.
//!
//! The document has the HTML and PDF editions' content: a cover (logo when PNG or JPEG, title,
//! country and year, preface, data cut-off, dictionary and software versions, protection
//! applied), every chapter's sentences as paragraphs, every table as a Word table with a
//! repeated header row, numbers right-aligned, hidden cells written `c` and the table's
//! protection note under it. Charts are SVG, which Word shows only beside a PNG copy that would
//! need a rasteriser: each chart is given as the published table it draws, and its caption says
//! so. Every text is XML-escaped, and characters XML cannot carry are dropped, so a provider's
//! or a label's text cannot break the document. The same report gives the same bytes (entries
//! in a fixed order, with the zip format's default date).

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::html::{labels, views};
use crate::sentences::Lang;
use crate::{Config, Report, ReportError, ReportTable};

/// The media type of a DOCX file.
pub const MIME: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const WP_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
const A_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PIC_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/picture";
const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// The width between the margins of an A4 page with 2 cm margins, in twentieths of a point.
const TEXT_WIDTH: u32 = 11906 - 2 * 1134;

/// Escapes text for XML content and attribute values, dropping the characters XML 1.0 cannot
/// hold (control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

/// One run of text with run properties `rpr` (already XML): line breaks become `<w:br/>`, tabs
/// `<w:tab/>`, carriage returns are dropped.
fn run(text: &str, rpr: &str) -> String {
    let mut out = format!("<w:r>{rpr}");
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            let part = part.replace('\r', "");
            if !part.is_empty() {
                out.push_str("<w:t xml:space=\"preserve\">");
                out.push_str(&esc(&part));
                out.push_str("</w:t>");
            }
        }
    }
    out.push_str("</w:r>");
    out
}

/// A paragraph of `style` (a style id, or none for Normal) holding `runs` (already XML).
fn para(style: Option<&str>, runs: &str) -> String {
    match style {
        Some(s) => format!("<w:p><w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>{runs}</w:p>"),
        None => format!("<w:p>{runs}</w:p>"),
    }
}

/// A paragraph of plain text in `style`.
fn text(style: Option<&str>, s: &str) -> String {
    para(style, &run(s, ""))
}

/// "Label: value" with the label in bold.
fn labelled(label: &str, value: &str) -> String {
    para(
        Some("Meta"),
        &format!(
            "{}{}",
            run(&format!("{label}: "), "<w:rPr><w:b/></w:rPr>"),
            run(value, "")
        ),
    )
}

/// A Word table: a header row repeated on every page, then `rows`; columns flagged in
/// `numeric` are right-aligned. The first `keys` columns get twice the width of the others.
fn table(headers: &[String], rows: &[Vec<String>], numeric: &[bool], keys: usize) -> String {
    let n = headers.len().max(rows.first().map_or(0, Vec::len)).max(1);
    let weight = |i: usize| if i < keys.max(1) { 2 } else { 1 };
    let total: u32 = (0..n).map(weight).sum();
    let widths: Vec<u32> = (0..n).map(|i| TEXT_WIDTH * weight(i) / total).collect();
    let mut x = String::from(
        "<w:tbl><w:tblPr><w:tblStyle w:val=\"ReportTable\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/>\
         <w:tblBorders>",
    );
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        x.push_str(&format!(
            "<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>"
        ));
    }
    x.push_str(
        "</w:tblBorders><w:tblLook w:val=\"0020\" w:firstRow=\"1\" w:lastRow=\"0\" \
         w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>",
    );
    for w in &widths {
        x.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    x.push_str("</w:tblGrid>");
    let cell = |x: &mut String, i: usize, s: &str, header: bool| {
        let right = numeric.get(i).copied().unwrap_or(false);
        x.push_str(&format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>{}</w:tcPr><w:p><w:pPr><w:pStyle w:val=\"TableText\"/>{}</w:pPr>{}</w:p></w:tc>",
            widths.get(i).copied().unwrap_or(0),
            if header {
                "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E6E6E6\"/>"
            } else {
                ""
            },
            if right { "<w:jc w:val=\"right\"/>" } else { "" },
            run(s, if header { "<w:rPr><w:b/></w:rPr>" } else { "" }),
        ));
    };
    x.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for i in 0..n {
        cell(&mut x, i, headers.get(i).map_or("", String::as_str), true);
    }
    x.push_str("</w:tr>");
    for r in rows {
        x.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for i in 0..n {
            cell(&mut x, i, r.get(i).map_or("", String::as_str), false);
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
    x
}

fn report_table(t: &ReportTable) -> String {
    table(&t.headers, &t.cells, &t.numeric, t.keys)
}

/// A logo Word can show: its kind (file extension) and size in pixels, read from the PNG or
/// JPEG header. Other formats (SVG) are left out of the DOCX.
fn image_size(bytes: &[u8]) -> Option<(&'static str, u32, u32)> {
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR" {
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        return (w > 0 && h > 0).then_some(("png", w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            // Start of frame (baseline, progressive…), not DHT, JPG or DAC.
            if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                let h = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let w = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                return (w > 0 && h > 0).then_some(("jpeg", w, h));
            }
            if len < 2 {
                return None;
            }
            i += 2 + len;
        }
    }
    None
}

/// The logo as an inline picture 3 cm high.
fn logo_xml(w: u32, h: u32) -> String {
    let cy: u64 = 1_080_000;
    let cx = cy * u64::from(w) / u64::from(h).max(1);
    let cx = cx.min(u64::from(TEXT_WIDTH) * 635);
    format!(
        "<w:p><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
         <wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"1\" name=\"Logo\"/>\
         <a:graphic xmlns:a=\"{A_NS}\"><a:graphicData uri=\"{PIC_NS}\">\
         <pic:pic xmlns:pic=\"{PIC_NS}\"><pic:nvPicPr><pic:cNvPr id=\"1\" name=\"Logo\"/><pic:cNvPicPr/></pic:nvPicPr>\
         <pic:blipFill><a:blip r:embed=\"rIdLogo\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
         <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
         <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>\
         </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
}

/// `word/document.xml`.
fn document(report: &Report, logo: Option<(u32, u32)>) -> String {
    let m = &report.meta;
    let lb = labels(&m.lang);
    let label = |k: &str| lb.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let l = Lang::of(&m.lang);
    let mut b = String::new();

    // Cover.
    if let Some((w, h)) = logo {
        b.push_str(&logo_xml(w, h));
    }
    b.push_str(&text(Some("Title"), &m.title));
    b.push_str(&text(
        Some("Subtitle"),
        &format!("{} — {}", m.country_name, m.year),
    ));
    if !m.preface.is_empty() {
        b.push_str(&text(None, &m.preface));
    }
    b.push_str(&labelled(&label("cutoff"), &m.data_cutoff));
    b.push_str(&labelled(&label("dictionary"), &m.dictionary_version));
    b.push_str(&labelled(&label("software"), &m.software_version));
    b.push_str(&labelled(&label("protection"), &m.protection));
    b.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");

    // Chapters.
    for s in views(report) {
        b.push_str(&text(Some("Heading1"), s.title));
        if s.id == "summary" && !report.key_figures.is_empty() {
            b.push_str(&text(Some("Heading2"), &label("key_figures")));
            let headers = vec![
                l.tr("Figure", "Chiffre").to_string(),
                m.year.to_string(),
                (m.year - 1).to_string(),
            ];
            let rows: Vec<Vec<String>> = report
                .key_figures
                .iter()
                .map(|k| {
                    vec![
                        k.label.clone(),
                        k.text.clone(),
                        k.previous.map_or_else(|| "c".into(), |v| l.number(v)),
                    ]
                })
                .collect();
            b.push_str(&table(&headers, &rows, &[false, true, true], 1));
            b.push_str(&text(Some("Note"), &report.meta.protection));
        }
        for p in &s.sentences {
            b.push_str(&text(None, p));
        }
        // A chart drawn from one of the chapter's tables is that table here, captioned once.
        let charted = |id: &str| s.figures.iter().any(|f| f.data.id == id);
        let caption = l.tr(
            "Chart shown as the table it draws: the HTML and PDF editions draw it as an SVG chart, which this document does not carry.",
            "Graphique présenté sous la forme du tableau qu'il représente : les éditions HTML et PDF le dessinent en SVG, format que ce document ne contient pas.",
        );
        for f in &s.figures {
            if s.tables.iter().any(|t| t.id == f.data.id) {
                continue;
            }
            b.push_str(&text(Some("Heading2"), &f.title));
            b.push_str(&text(Some("Caption"), caption));
            b.push_str(&report_table(&f.data));
            b.push_str(&text(Some("Note"), &f.data.note));
        }
        for t in &s.tables {
            b.push_str(&text(Some("Heading2"), &t.title));
            if charted(&t.id) {
                b.push_str(&text(Some("Caption"), caption));
            }
            b.push_str(&report_table(t));
            b.push_str(&text(Some("Note"), &t.note));
        }
    }

    // About this report.
    b.push_str(&text(Some("Heading1"), &label("about")));
    b.push_str(&labelled(
        &label("country"),
        &format!("{} ({})", m.country_name, m.country),
    ));
    b.push_str(&labelled(&label("year"), &m.year.to_string()));
    b.push_str(&labelled(&label("cutoff"), &m.data_cutoff));
    b.push_str(&labelled(&label("dictionary"), &m.dictionary_version));
    b.push_str(&labelled(&label("software"), &m.software_version));
    b.push_str(&labelled(&label("linkage"), &m.linkage));
    b.push_str(&labelled(&label("protection"), &m.protection));
    if !m.edits.is_empty() {
        b.push_str(&labelled(&label("edits"), &m.edits));
    }
    b.push_str(&text(Some("Note"), &label("hidden")));

    format!(
        "{XML_DECL}<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\" xmlns:wp=\"{WP_NS}\"><w:body>{b}\
         <w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>\
         <w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
         <w:pgMar w:top=\"1247\" w:right=\"1134\" w:bottom=\"1247\" w:left=\"1134\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/>\
         <w:titlePg/></w:sectPr></w:body></w:document>"
    )
}

/// `word/footer1.xml`: country and year, then the page number (not on the cover).
fn footer(report: &Report) -> String {
    let m = &report.meta;
    format!(
        "{XML_DECL}<w:ftr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/></w:pPr>\
         {}<w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>\
         <w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>\
         <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t></w:r>\
         <w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:ftr>",
        run(&format!("{} — {}", m.country_name, m.year), "")
    )
}

/// `word/styles.xml`: the paragraph styles the document uses and the table style.
fn styles(lang: &str) -> String {
    let lang = esc(lang);
    let para = |id: &str, name: &str, ppr: &str, rpr: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
             <w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
             <w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
        )
    };
    let mut s = format!(
        "{XML_DECL}<w:styles xmlns:w=\"{W_NS}\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:eastAsia=\"Calibri\" w:cs=\"Calibri\"/>\
         <w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/><w:lang w:val=\"{lang}\" w:eastAsia=\"{lang}\" w:bidi=\"{lang}\"/>\
         </w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"120\" w:line=\"264\" w:lineRule=\"auto\"/>\
         </w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
    );
    s.push_str(&para(
        "Title",
        "Title",
        "<w:spacing w:before=\"2400\" w:after=\"240\"/>",
        "<w:b/><w:bCs/><w:color w:val=\"1A1A1A\"/><w:sz w:val=\"48\"/><w:szCs w:val=\"48\"/>",
    ));
    s.push_str(&para(
        "Subtitle",
        "Subtitle",
        "<w:spacing w:after=\"1200\"/>",
        "<w:color w:val=\"0072B2\"/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/>",
    ));
    s.push_str(&para(
        "Heading1",
        "heading 1",
        "<w:keepNext/><w:keepLines/><w:spacing w:before=\"480\" w:after=\"160\"/><w:outlineLvl w:val=\"0\"/>",
        "<w:b/><w:bCs/><w:color w:val=\"0072B2\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>",
    ));
    s.push_str(&para(
        "Heading2",
        "heading 2",
        "<w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"80\"/><w:outlineLvl w:val=\"1\"/>",
        "<w:b/><w:bCs/><w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/>",
    ));
    s.push_str(&para(
        "Caption",
        "caption",
        "<w:keepNext/><w:spacing w:after=\"80\"/>",
        "<w:i/><w:iCs/><w:color w:val=\"444444\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>",
    ));
    s.push_str(&para(
        "Note",
        "Table Note",
        "<w:spacing w:before=\"40\" w:after=\"200\"/>",
        "<w:color w:val=\"555555\"/><w:sz w:val=\"16\"/><w:szCs w:val=\"16\"/>",
    ));
    s.push_str(&para(
        "Meta",
        "Report Metadata",
        "<w:spacing w:after=\"60\"/>",
        "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>",
    ));
    s.push_str(&para(
        "TableText",
        "Table Text",
        "<w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/>",
        "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>",
    ));
    s.push_str(&para(
        "Footer",
        "footer",
        &format!("<w:tabs><w:tab w:val=\"right\" w:pos=\"{TEXT_WIDTH}\"/></w:tabs><w:spacing w:after=\"0\"/>"),
        "<w:color w:val=\"808080\"/><w:sz w:val=\"16\"/><w:szCs w:val=\"16\"/>",
    ));
    s.push_str(
        "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>\
         <w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/>\
         <w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>\
         <w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         <w:style w:type=\"table\" w:styleId=\"ReportTable\"><w:name w:val=\"Report Table\"/>\
         <w:basedOn w:val=\"TableNormal\"/><w:qFormat/>\
         <w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr>\
         <w:rPr><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr>\
         <w:tblPr><w:tblBorders>\
         <w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         <w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         <w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         <w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         <w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         <w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"BBBBBB\"/>\
         </w:tblBorders><w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr>\
         <w:tblStylePr w:type=\"firstRow\"><w:rPr><w:b/><w:bCs/></w:rPr>\
         <w:tcPr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E6E6E6\"/></w:tcPr></w:tblStylePr></w:style>\
         </w:styles>",
    );
    s
}

/// `docProps/core.xml`: title, language and creator (no dates, so the bytes do not change).
fn core(report: &Report) -> String {
    let m = &report.meta;
    format!(
        "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:language>{}</dc:language>\
         <dc:creator>{}</dc:creator><dc:subject>{}</dc:subject></cp:coreProperties>",
        esc(&format!("{} — {} {}", m.title, m.country_name, m.year)),
        esc(&m.lang),
        esc(&m.software_version),
        esc(&m.data_cutoff),
    )
}

/// Renders `report` as DOCX bytes.
pub fn render(report: &Report, config: &Config) -> Result<Vec<u8>, ReportError> {
    let logo = config
        .logo()?
        .and_then(|(_, bytes)| image_size(&bytes).map(|(ext, w, h)| (ext, w, h, bytes)));
    let image_default = match &logo {
        Some((ext, ..)) => format!("<Default Extension=\"{ext}\" ContentType=\"image/{ext}\"/>"),
        None => String::new(),
    };
    let content_types = format!(
        "{XML_DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>{image_default}\
         <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
         <Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
         <Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
         <Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
         <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         </Types>"
    );
    let rels = format!(
        "{XML_DECL}<Relationships xmlns=\"{REL_NS}\">\
         <Relationship Id=\"rId1\" Type=\"{DOC_REL}/officeDocument\" Target=\"word/document.xml\"/>\
         <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
         </Relationships>"
    );
    let logo_rel = match &logo {
        Some((ext, ..)) => format!(
            "<Relationship Id=\"rIdLogo\" Type=\"{DOC_REL}/image\" Target=\"media/logo.{ext}\"/>"
        ),
        None => String::new(),
    };
    let doc_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"{REL_NS}\">\
         <Relationship Id=\"rIdStyles\" Type=\"{DOC_REL}/styles\" Target=\"styles.xml\"/>\
         <Relationship Id=\"rIdSettings\" Type=\"{DOC_REL}/settings\" Target=\"settings.xml\"/>\
         <Relationship Id=\"rIdFooter\" Type=\"{DOC_REL}/footer\" Target=\"footer1.xml\"/>{logo_rel}\
         </Relationships>"
    );
    let settings = format!(
        "{XML_DECL}<w:settings xmlns:w=\"{W_NS}\"><w:defaultTabStop w:val=\"709\"/>\
         <w:characterSpacingControl w:val=\"doNotCompress\"/><w:compat>\
         <w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/>\
         </w:compat></w:settings>"
    );
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), content_types.into_bytes()),
        ("_rels/.rels".into(), rels.into_bytes()),
        ("docProps/core.xml".into(), core(report).into_bytes()),
        (
            "word/document.xml".into(),
            document(report, logo.as_ref().map(|(_, w, h, _)| (*w, *h))).into_bytes(),
        ),
        (
            "word/styles.xml".into(),
            styles(&report.meta.lang).into_bytes(),
        ),
        ("word/settings.xml".into(), settings.into_bytes()),
        ("word/footer1.xml".into(), footer(report).into_bytes()),
        ("word/_rels/document.xml.rels".into(), doc_rels.into_bytes()),
    ];
    if let Some((ext, _, _, bytes)) = logo {
        parts.push((format!("word/media/logo.{ext}"), bytes));
    }
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let fail = |e: &dyn std::fmt::Display| ReportError::Docx(e.to_string());
    for (name, bytes) in &parts {
        zip.start_file(name.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            esc("<w:t>&\"'</w:t>"),
            "&lt;w:t&gt;&amp;&quot;&apos;&lt;/w:t&gt;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c\u{FFFE}d\te"), "abcd\te");
        let r = run("one\ntwo\tthree\r", "");
        assert_eq!(
            r,
            "<w:r><w:t xml:space=\"preserve\">one</w:t><w:br/><w:t xml:space=\"preserve\">two</w:t><w:tab/><w:t xml:space=\"preserve\">three</w:t></w:r>"
        );
    }

    #[test]
    fn logo_sizes_are_read_from_png_and_jpeg_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(300u32.to_be_bytes());
        png.extend(100u32.to_be_bytes());
        assert_eq!(image_size(&png), Some(("png", 300, 100)));
        // SOI, an APP0 segment of 4 bytes, then SOF0 with height 50 and width 80.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 50,
            0x00, 80, 0x03,
        ];
        assert_eq!(image_size(&jpeg), Some(("jpeg", 80, 50)));
        assert_eq!(
            image_size(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            None
        );
        assert_eq!(image_size(&[0xFF, 0xD8, 0xFF]), None);
    }
}
