use std::fmt;

/// One problem found in a dictionary file, located for the person who edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as its author knows it (e.g. `base/entities/victim.toml` or the extension's path).
    pub file: String,
    /// 1-based line, when the problem can be tied to one.
    pub line: Option<usize>,
    /// What the problem is about: `variable "sex" of entity "victim"`, `code "XX" of code list "country"`.
    pub item: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}: {}", self.file, line, self.item, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.item, self.message),
        }
    }
}

/// Why a dictionary or extension was refused.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error("cannot read dictionary file {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the dictionary was refused ({} problem{}):\n{}",
        .0.len(), if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl DictionaryError {
    /// The located problems, empty for I/O errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            DictionaryError::Invalid(p) => p,
            DictionaryError::Io { .. } => &[],
        }
    }
}
