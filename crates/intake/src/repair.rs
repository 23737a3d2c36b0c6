//! What reading changed on the way in, so that it is never done silently: the text encoding a
//! file was assumed to be in, and each cell whose value was repaired (a whole number written
//! `34.0`, a code whose leading zeros a spreadsheet dropped). The import report lists them.

use std::sync::{Arc, Mutex};

use crate::messages::msg;

/// The text encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "encoding", rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark (or plain ASCII).
    Utf8,
    /// UTF-16 with a byte-order mark (Excel's "Unicode text").
    Utf16,
    /// Not UTF-8: decoded with the legacy encoding a detector chose, by its WHATWG name
    /// (`windows-1252`, `windows-1250`, …). `latin1` is set for a `windows-1252` file that has
    /// none of the bytes 0x80–0x9F, where ISO-8859-1 (Latin-1) reads the same text.
    Legacy { name: &'static str, latin1: bool },
}

impl TextEncoding {
    /// The encoding's name as the report shows it.
    pub fn label(&self) -> String {
        match self {
            TextEncoding::Utf8 => "UTF-8".into(),
            TextEncoding::Utf16 => "UTF-16".into(),
            TextEncoding::Legacy { latin1: true, .. } => "Latin-1 (ISO-8859-1)".into(),
            TextEncoding::Legacy { name, .. } if name.eq_ignore_ascii_case("windows-1252") => {
                "Windows-1252".into()
            }
            TextEncoding::Legacy { name, .. } => (*name).to_string(),
        }
    }

    /// Whether the encoding was assumed rather than declared or checked (the report says so).
    pub fn assumed(&self) -> bool {
        matches!(self, TextEncoding::Legacy { .. })
    }
}

/// Where the CSV reader records the encoding it settled on: the choice is made while reading
/// (at the first byte that is not ASCII), after the [`crate::Table`] was handed out.
#[derive(Debug, Clone, Default)]
pub struct EncodingProbe(Arc<Mutex<Option<TextEncoding>>>);

impl EncodingProbe {
    /// The encoding chosen so far: UTF-8 when nothing but ASCII (or valid UTF-8) was read.
    pub fn get(&self) -> TextEncoding {
        self.0
            .lock()
            .ok()
            .and_then(|g| *g)
            .unwrap_or(TextEncoding::Utf8)
    }

    pub(crate) fn set(&self, e: TextEncoding) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(e);
        }
    }

    /// A `windows-1252` file turned out to hold a byte that Latin-1 reads as a control character.
    pub(crate) fn not_latin1(&self) {
        if let Ok(mut g) = self.0.lock()
            && let Some(TextEncoding::Legacy { latin1, .. }) = g.as_mut()
        {
            *latin1 = false;
        }
    }
}

/// What kind of repair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// A whole number written with a zero decimal part (`34.0`, as pandas writes integers).
    WholeNumber,
    /// A code whose leading zeros were dropped (`204` for ICCS `0204`), matching exactly one code.
    LeadingZeros,
}

/// One cell whose value was repaired on reading: the report lists it, with the value as written
/// and the value stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repair {
    /// 1-based row, as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column as written in the file.
    pub column: String,
    /// The value as written.
    pub from: String,
    /// The value read.
    pub to: String,
    pub kind: RepairKind,
}

impl Repair {
    /// The repair as one line of a report in `lang`.
    pub fn render(&self, lang: &str) -> String {
        let key = match self.kind {
            RepairKind::WholeNumber => "repair-whole-number",
            RepairKind::LeadingZeros => "repair-leading-zeros",
        };
        let what = msg(lang, key, &[("from", &self.from), ("to", &self.to)]);
        msg(
            lang,
            "report-line",
            &[
                ("row", &self.row.to_string()),
                ("column", &self.column),
                ("message", &what),
            ],
        )
    }
}

/// The notes of a clean import: the encoding assumed (when the file was not UTF-8) and the
/// repairs, one line each, in `lang`. Empty when reading changed nothing.
pub(crate) fn render_notes(
    lang: &str,
    encoding: Option<TextEncoding>,
    repairs: &[Repair],
    repairs_total: usize,
) -> String {
    let mut out = String::new();
    if let Some(e) = encoding.filter(TextEncoding::assumed) {
        out.push_str(&msg(lang, "note-encoding", &[("encoding", &e.label())]));
        out.push('\n');
    }
    if repairs_total > 0 {
        out.push_str(&msg(
            lang,
            "repairs-summary",
            &[("count", &repairs_total.to_string())],
        ));
        out.push('\n');
        for r in repairs.iter().take(SHOWN) {
            out.push_str("  ");
            out.push_str(&r.render(lang));
            out.push('\n');
        }
        let shown = repairs.len().min(SHOWN);
        if repairs_total > shown {
            out.push_str("  ");
            out.push_str(&msg(
                lang,
                "report-more",
                &[("more", &(repairs_total - shown).to_string())],
            ));
            out.push('\n');
        }
    }
    out
}

/// Repairs listed in a rendered report; all of them (up to [`MAX_REPAIRS`]) are in the summary.
const SHOWN: usize = 200;

/// Most repairs kept one by one in a summary; past that they are only counted.
pub const MAX_REPAIRS: usize = 10_000;
