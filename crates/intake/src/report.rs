use std::fmt;

use crate::messages::msg;

/// One problem in one cell (or one row, for cross-field rules; or the header, for columns).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CellError {
    /// 1-based row as a spreadsheet shows it (the header is row 1; a blank line counts, a cell
    /// written on several lines does not).
    pub row: usize,
    /// The column as written in the file, or the variable code.
    pub column: String,
    pub value: String,
    /// Short machine name of the rule broken: `required`, `code`, `date`, `range`, `date_order`, …
    pub rule: String,
    /// The message, already in the language the validation ran in.
    pub message: String,
    pub suggestion: Option<String>,
}

impl CellError {
    pub fn new(
        row: usize,
        column: impl Into<String>,
        value: impl Into<String>,
        rule: &str,
        message: String,
    ) -> CellError {
        CellError {
            row,
            column: column.into(),
            value: value.into(),
            rule: rule.to_string(),
            message,
            suggestion: None,
        }
    }

    /// The error as one line of a report in `lang`.
    pub fn render(&self, lang: &str) -> String {
        let mut out = msg(
            lang,
            "report-line",
            &[
                ("row", &self.row.to_string()),
                ("column", &self.column),
                ("message", &self.message),
            ],
        );
        if !self.value.is_empty() {
            let v: String = self.value.chars().take(60).collect();
            out.push(' ');
            out.push_str(&msg(lang, "report-value", &[("value", &v)]));
        }
        if let Some(s) = &self.suggestion {
            out.push_str("; ");
            out.push_str(&msg(lang, "report-suggestion", &[("suggestion", s)]));
        }
        out
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("en"))
    }
}

/// The validation report of one file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub rows_read: usize,
    pub errors: Vec<CellError>,
    /// Language the messages are written in.
    pub lang: String,
}

impl Report {
    /// Most problems kept in one report; past that the file is clearly not what was expected.
    pub const MAX_ERRORS: usize = 10_000;

    pub fn render(&self, lang: &str) -> String {
        let mut out = msg(
            lang,
            "report-summary",
            &[
                ("rows", &self.rows_read.to_string()),
                ("problems", &self.errors.len().to_string()),
            ],
        );
        out.push('\n');
        for e in self.errors.iter().take(200) {
            out.push_str("  ");
            out.push_str(&e.render(lang));
            out.push('\n');
        }
        if self.errors.len() > 200 {
            out.push_str("  ");
            out.push_str(&msg(
                lang,
                "report-more",
                &[("more", &(self.errors.len() - 200).to_string())],
            ));
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = if self.lang.is_empty() {
            "en"
        } else {
            self.lang.as_str()
        };
        f.write_str(&self.render(lang))
    }
}

/// Why a file could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("there is no entity \"{0}\" in the dictionary")]
    UnknownEntity(String),
    #[error("cannot read {file}: {message}")]
    Unreadable { file: String, message: String },
    #[error("the file was refused: {0}")]
    Invalid(Report),
    #[error("cannot write the template: {0}")]
    Template(String),
}
