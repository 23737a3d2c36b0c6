//! Reading what providers send and checking every cell against the dictionary.
//!
//! Files — CSV in any common delimiter and encoding, XLSX, ODK/Kobo exports — are read as a
//! [`Table`], then [`import_table`] validates every cell and every cross-field rule, streaming clean
//! records in chunks. What reading repaired (a legacy encoding, `34.0`, a code missing its
//! leading zeros) is listed in the [`ImportSummary`], never done silently. The records hold only typed, coded values and the pseudonyms of identifying
//! fields — clear names never leave this crate. Any problem yields a [`Report`] (row, column,
//! value, rule, message in the user's language, suggestion) and the caller stores nothing.
//!
//! [`template`] generates what providers fill in: XLSX and CSV templates per provider type and
//! an XLSForm for ODK Collect / KoboToolbox.

mod cell;
mod field;
mod import;
mod messages;
mod providers;
mod pseudonymise;
mod repair;
mod report;
mod table;
pub mod template;
mod xlsx;

pub use cell::{EncodedRecord, Validator, parse_date};
pub use field::{FieldServer, Skipped};
pub use import::{ImportOptions, ImportSummary, import_table, import_table_encoded};
pub use messages::{MESSAGE_LANGUAGES, msg};
pub use providers::{ProviderEntry, read_provider_list};
pub use pseudonymise::{PSEUDONYMS_COLUMN, PseudonymiseSummary, pseudonymise};
pub use repair::{EncodingProbe, MAX_REPAIRS, Repair, RepairKind, TextEncoding};
pub use report::{CellError, IntakeError, Report};
pub use table::{FileKind, Limits, Table, TableRow, TemplateMeta, open_table, sniff};
pub use xlsx::META_SHEET;

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};
use tessera_dictionary::Dictionary;
use tessera_pseudonym::{Encoder, Pseudonyms};

/// One validated record, ready to store: typed values keyed by variable code, and pseudonyms.
#[derive(Debug, Clone)]
pub struct IntakeRecord {
    pub provider_ref: String,
    /// Stored variables only (never identifying ones), as JSON: strings for text, codes and dates,
    /// numbers, booleans, arrays of codes.
    pub data: Map<String, Value>,
    /// Present for person entities when any identifying field was given.
    pub pseudonyms: Option<Pseudonyms>,
    /// 1-based row of the source, as a spreadsheet shows it, for messages.
    pub source_row: usize,
}

/// A whole file of one entity, validated and held in memory (for small files and tests; large
/// imports stream through [`import_table`]).
#[derive(Debug, Clone)]
pub struct Batch {
    pub entity: String,
    pub dictionary_version: String,
    pub records: Vec<IntakeRecord>,
}

/// Reads and validates a whole file (CSV or XLSX) of one entity into memory.
pub fn read_file(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: impl Read + Send,
    name: &str,
    opts: &ImportOptions,
    lang: &str,
) -> Result<Batch, IntakeError> {
    let mut records = Vec::new();
    validate_stream(
        dict,
        entity_id,
        encoder,
        Box::new(input),
        name,
        Limits::default(),
        lang,
        opts,
        &mut |chunk| {
            records.extend(chunk);
            true
        },
    )?;
    Ok(Batch {
        entity: entity_id.to_string(),
        dictionary_version: dict.full_version(),
        records,
    })
}

/// Reads any supported file of one entity and validates it, handing clean records to `sink` in
/// chunks (see [`import_table`]): the one path every caller — import, check, tests, fuzzing — takes.
#[allow(clippy::too_many_arguments)]
pub fn validate_stream(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: Box<dyn Read + Send + '_>,
    name: &str,
    limits: Limits,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<IntakeRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    stream(
        dict, entity_id, encoder, input, name, limits, lang, opts, sink,
    )
}

/// [`validate_stream`] handing on records in their stored form ([`EncodedRecord`]): what the
/// store writes, without building each record's map of values.
#[allow(clippy::too_many_arguments)]
pub fn validate_stream_encoded(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: Box<dyn Read + Send + '_>,
    name: &str,
    limits: Limits,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<EncodedRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    stream(
        dict, entity_id, encoder, input, name, limits, lang, opts, sink,
    )
}

/// Open, set up the validator and import, for either form of record.
#[allow(clippy::too_many_arguments)]
fn stream<R: import::Validated>(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: Box<dyn Read + Send + '_>,
    name: &str,
    limits: Limits,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<R>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    if dict.entity(entity_id).is_none() {
        return Err(IntakeError::UnknownEntity(entity_id.to_string()));
    }
    let table = open_table(input, name, entity_id, limits, lang)?;
    table_stream(dict, entity_id, encoder, table, lang, opts, sink)
}

/// Validates a [`Table`] built by the caller (rows of JSON records from the API, say), handing
/// on records in their stored form as [`validate_stream_encoded`] does for a file.
pub fn validate_table_encoded(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    table: Table<'_>,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<EncodedRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    table_stream(dict, entity_id, encoder, table, lang, opts, sink)
}

/// [`validate_table_encoded`] handing on records as intake builds them.
pub fn validate_table(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    table: Table<'_>,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<IntakeRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    table_stream(dict, entity_id, encoder, table, lang, opts, sink)
}

fn table_stream<R: import::Validated>(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    table: Table<'_>,
    lang: &str,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<R>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    let entity = dict
        .entity(entity_id)
        .ok_or_else(|| IntakeError::UnknownEntity(entity_id.to_string()))?;
    // ODK and Kobo write a select_multiple answer as its choices separated by spaces.
    let field = opts.odk || field::looks_like_export(&table.header);
    let mut v = Validator::new(dict, entity, encoder)
        .with_lang(lang)
        .space_separated(field);
    if let Some(day) = opts.as_of {
        v = v.as_of(day);
    }
    import::import_rows(&v, table, opts, sink)
}

/// [`read_file`] for a CSV or XLSX given as bytes, with English messages.
pub fn read_csv(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: impl Read + Send,
    name: &str,
) -> Result<Batch, IntakeError> {
    read_file(
        dict,
        entity_id,
        encoder,
        input,
        name,
        &ImportOptions::default(),
        "en",
    )
}

/// [`read_csv`] on a file path.
pub fn read_csv_path(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    path: &Path,
) -> Result<Batch, IntakeError> {
    let file = std::fs::File::open(path).map_err(|e| IntakeError::Unreadable {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    read_csv(dict, entity_id, encoder, file, &path.display().to_string())
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
