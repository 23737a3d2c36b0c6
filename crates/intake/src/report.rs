use std::fmt;

/// One problem in one cell (or one row, for cross-field rules; or the header, for columns).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CellError {
    /// 1-based line in the file (the header is line 1).
    pub row: usize,
    /// The column as written in the file, or the variable code.
    pub column: String,
    pub value: String,
    /// Short machine name of the rule broken: `required`, `code`, `date`, `range`, `date_order`, …
    pub rule: String,
    pub message: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.message
        )?;
        if !self.value.is_empty() {
            write!(
                f,
                " (value \"{}\")",
                self.value.chars().take(60).collect::<String>()
            )?;
        }
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean {s}?")?;
        }
        Ok(())
    }
}

/// The validation report of one file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub rows_read: usize,
    pub errors: Vec<CellError>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} row(s) read, {} problem(s):",
            self.rows_read,
            self.errors.len()
        )?;
        for e in self.errors.iter().take(200) {
            writeln!(f, "  {e}")?;
        }
        if self.errors.len() > 200 {
            writeln!(f, "  … and {} more", self.errors.len() - 200)?;
        }
        Ok(())
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
}
