//! The annual country report: its content built from **approved** data for one year
//! ([`build`], [`from_store`]) as a [`Report`] — sections, key figures, generated sentences in the
//! report's language, tables and charts — kept apart from its rendering: self-contained HTML
//! ([`html`], charts as inline SVG from [`tessera_analysis::svg`]), a Word document written here
//! ([`docx`]: WordprocessingML in a zip, each chart given as the table it draws) and, with the
//! cargo feature `pdf`, PDF through embedded Typst ([`pdf`], with Noto Sans Bengali embedded
//! beside Typst's fonts so every script the dictionary lists renders).
//!
//! Every table and chart passes the analysis crate's disclosure control as published to partners
//! ([`tessera_analysis::suppress`] at the deployment's `disclosure_threshold`, rows with no
//! published value dropped, no breakdown by provider), and the report states it. The layout is
//! adapted without code through a TOML file ([`Config`], `config/report/default.toml`) naming the
//! logo, title, chapter order, preface and, optionally, edited copies of the templates.
//!
//! An analyst may replace a generated sentence with their own text before publishing: the edits
//! are kept in the store ([`edits`]) and [`from_store_published`] applies them, so the command
//! line and the web page write the same report.
//!
//! It sits above `outputs` and `analysis` (the annex carries the GLOTIP tables) and below the CLI.

pub mod content;
pub mod docx;
pub mod edits;
pub mod html;
#[cfg(feature = "pdf")]
pub mod pdf;
mod sentences;

use std::path::{Path, PathBuf};

pub use content::{
    Cell, Figure, KeyFigure, Meta, Report, ReportTable, Section, Sentence, build, from_store,
};

/// Errors of the report layer.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Analysis(#[from] tessera_analysis::AnalysisError),
    #[error(transparent)]
    Output(#[from] tessera_outputs::OutputError),
    #[error(transparent)]
    Store(#[from] tessera_store::StoreError),
    /// The layout file or a template it names cannot be read or is not valid.
    #[error("report layout: {0}")]
    Config(String),
    /// A template failed to render (HTML or Typst), with the engine's message.
    #[error("report template: {0}")]
    Template(String),
    #[error("{0}")]
    Options(String),
    /// The DOCX package could not be written (the zip writer's message).
    #[error("DOCX: {0}")]
    Docx(String),
    /// A sentence edited by hand that cannot be kept ([`edits::clean`]).
    #[error("{}", .0.message("en"))]
    Edit(edits::Refusal),
}

/// The built-in layout (`config/report/default.toml`).
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/report/default.toml");

/// Chapters a layout may name, in their default order.
pub const CHAPTERS: [&str; 8] = [
    "summary",
    "victims",
    "justice",
    "smuggling",
    "assistance",
    "nap",
    "quality",
    "annex",
];

/// Text in each of the report's languages.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct Texts {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub fr: String,
}

impl Texts {
    pub fn get(&self, lang: &str) -> &str {
        if lang == "fr" && !self.fr.is_empty() {
            &self.fr
        } else {
            &self.en
        }
    }
}

/// A deployment's layout: what it changes without code.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub logo: String,
    pub chapters: Vec<String>,
    #[serde(default)]
    pub html_template: String,
    #[serde(default)]
    pub typst_template: String,
    pub title: Texts,
    #[serde(default)]
    pub preface: Texts,
    /// The folder relative paths are read from (the file's own folder).
    #[serde(skip)]
    pub base: PathBuf,
}

impl Config {
    /// The built-in layout.
    pub fn default_layout() -> Config {
        Config::from_toml(DEFAULT_CONFIG, Path::new(".")).expect("the built-in layout is valid")
    }

    pub fn from_toml(text: &str, base: &Path) -> Result<Config, ReportError> {
        let mut c: Config = toml::from_str(text).map_err(|e| ReportError::Config(e.to_string()))?;
        for ch in &c.chapters {
            if !CHAPTERS.contains(&ch.as_str()) {
                return Err(ReportError::Config(format!(
                    "unknown chapter \"{ch}\"; the chapters are {}",
                    CHAPTERS.join(", ")
                )));
            }
        }
        c.base = base.to_path_buf();
        Ok(c)
    }

    /// Reads a layout file; relative paths in it are taken from its folder.
    pub fn from_file(path: &Path) -> Result<Config, ReportError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ReportError::Config(format!("cannot read {}: {e}", path.display())))?;
        Config::from_toml(&text, path.parent().unwrap_or(Path::new(".")))
            .map_err(|e| ReportError::Config(format!("{}: {e}", path.display())))
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, ReportError> {
        let p = self.base.join(rel);
        std::fs::read(&p)
            .map_err(|e| ReportError::Config(format!("cannot read {}: {e}", p.display())))
    }

    /// The HTML template's text: the deployment's copy or the built-in one.
    pub fn html_template(&self) -> Result<String, ReportError> {
        if self.html_template.is_empty() {
            Ok(html::TEMPLATE.to_string())
        } else {
            String::from_utf8(self.read(&self.html_template)?)
                .map_err(|_| ReportError::Config("the HTML template is not UTF-8".into()))
        }
    }

    /// The Typst template's text: the deployment's copy or the built-in one.
    pub fn typst_template(&self) -> Result<String, ReportError> {
        if self.typst_template.is_empty() {
            Ok(include_str!("../templates/report.typ").to_string())
        } else {
            String::from_utf8(self.read(&self.typst_template)?)
                .map_err(|_| ReportError::Config("the Typst template is not UTF-8".into()))
        }
    }

    /// The logo's file name and bytes, if the layout names one.
    pub fn logo(&self) -> Result<Option<(String, Vec<u8>)>, ReportError> {
        if self.logo.is_empty() {
            return Ok(None);
        }
        Ok(Some((self.logo.clone(), self.read(&self.logo)?)))
    }
}

/// Whether this build can write PDF (the cargo feature `pdf`).
pub const PDF_AVAILABLE: bool = cfg!(feature = "pdf");

/// The report as PDF when this build has the feature `pdf` ([`PDF_AVAILABLE`]), for callers that
/// cannot name the `pdf` module (the web server, built with or without it).
pub fn render_pdf(report: &Report, config: &Config) -> Result<Vec<u8>, ReportError> {
    #[cfg(feature = "pdf")]
    {
        pdf::render(report, config)
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = (report, config);
        Err(ReportError::Options(
            "this build has no PDF (cargo feature pdf); write HTML".into(),
        ))
    }
}

/// The report as it is published: built from the store ([`from_store`]) with the sentences
/// edited by hand for its year and language applied ([`edits`]). The command line and the web
/// both write this one. Returns which edits were applied and which were not.
pub async fn from_store_published(
    store: &tessera_store::Store,
    dict: &tessera_dictionary::Dictionary,
    year: i32,
    lang: &str,
    config: &Config,
) -> Result<(Report, edits::Applied), ReportError> {
    let mut report = from_store(store, dict, year, lang, config).await?;
    let saved = edits::load(store, year, lang).await?;
    let applied = report.apply_edits(&saved);
    Ok((report, applied))
}
