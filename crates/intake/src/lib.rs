//! Reading what providers send and checking every cell against the dictionary.
//!
//! The output is a [`Batch`] of [`IntakeRecord`]s holding only typed, coded values and the
//! pseudonyms of identifying fields — clear names never leave this crate — or a [`Report`] listing
//! every problem with its row, column, value, rule and a suggestion where one is obvious. A batch
//! with any error is refused whole: the caller stores all of it or none of it.

mod cell;
mod csv_reader;
mod report;

pub use cell::{Validator, parse_date};
pub use csv_reader::{read_csv, read_csv_path};
pub use report::{CellError, IntakeError, Report};

use serde_json::{Map, Value};
use tessera_pseudonym::Pseudonyms;

/// One validated record, ready to store: typed values keyed by variable code, and pseudonyms.
#[derive(Debug, Clone)]
pub struct IntakeRecord {
    pub provider_ref: String,
    /// Stored variables only (never identifying ones), as JSON: strings for text, codes and dates,
    /// numbers, booleans, arrays of codes.
    pub data: Map<String, Value>,
    /// Present for person entities when any identifying field was given.
    pub pseudonyms: Option<Pseudonyms>,
    /// 1-based line of the source row, for messages.
    pub source_row: usize,
}

/// A whole file of one entity, validated.
#[derive(Debug, Clone)]
pub struct Batch {
    pub entity: String,
    pub dictionary_version: String,
    pub records: Vec<IntakeRecord>,
}

/// Neutralises spreadsheet formula injection when a stored text goes out to CSV or XLSX:
/// a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`.
pub fn neutralise_formula(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if s.parse::<f64>().is_err() => {
            format!("'{s}").into()
        }
        _ => s.into(),
    }
}
