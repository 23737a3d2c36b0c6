use std::io::Read;
use std::path::Path;

use tessera_dictionary::{Dictionary, Variable};
use tessera_pseudonym::Encoder;

use crate::Batch;
use crate::cell::Validator;
use crate::report::{CellError, IntakeError, Report};

/// Largest CSV accepted in one upload; bigger files are split by the provider.
pub const MAX_CSV_BYTES: u64 = 512 * 1024 * 1024;

/// The variable code a header cell names: the code itself, or a label followed by `[code]`.
fn header_code(cell: &str) -> &str {
    let c = cell.trim().trim_start_matches('\u{feff}');
    match (c.rfind('['), c.ends_with(']')) {
        (Some(i), true) => c[i + 1..c.len() - 1].trim(),
        _ => c,
    }
}

/// Reads and validates a CSV file of one entity. The header names variables by code (or
/// `Label [code]`); a UTF-8 BOM is accepted; the file must be UTF-8.
pub fn read_csv(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    mut input: impl Read,
    name: &str,
) -> Result<Batch, IntakeError> {
    let entity = dict
        .entity(entity_id)
        .ok_or_else(|| IntakeError::UnknownEntity(entity_id.to_string()))?;
    let mut bytes = Vec::new();
    input
        .by_ref()
        .take(MAX_CSV_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| IntakeError::Unreadable {
            file: name.into(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_CSV_BYTES {
        return Err(IntakeError::Unreadable {
            file: name.into(),
            message: format!(
                "the file is larger than {} MB; split it",
                MAX_CSV_BYTES / 1024 / 1024
            ),
        });
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err(IntakeError::Unreadable {
            file: name.into(),
            message: format!("line {line} is not UTF-8 text; save the file as \"CSV UTF-8\""),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| IntakeError::Unreadable {
            file: name.into(),
            message: e.to_string(),
        })?
        .clone();
    let mut report = Report::default();
    let mut columns: Vec<(String, Option<&Variable>)> = Vec::new();
    for h in headers.iter() {
        let code = header_code(h);
        let var = entity.variable(code);
        // Columns starting with `_` carry metadata (e.g. `_provider` in national exports) and are skipped.
        if var.is_none() && !code.starts_with('_') {
            report.errors.push(CellError {
                row: 1,
                column: h.to_string(),
                value: String::new(),
                rule: "column".into(),
                message: format!(
                    "unknown column: entity \"{entity_id}\" has no variable \"{code}\""
                ),
                suggestion: None,
            });
        }
        if columns.iter().any(|(c, _)| header_code(c) == code) {
            report.errors.push(CellError {
                row: 1,
                column: h.to_string(),
                value: String::new(),
                rule: "column".into(),
                message: "this column appears twice".into(),
                suggestion: None,
            });
        }
        columns.push((h.to_string(), var));
    }
    for var in entity.variables.iter().filter(|v| v.required) {
        if !columns
            .iter()
            .any(|(_, v)| v.is_some_and(|v| v.code == var.code))
        {
            report.errors.push(CellError {
                row: 1,
                column: var.code.clone(),
                value: String::new(),
                rule: "column".into(),
                message: format!("required column \"{}\" is missing", var.code),
                suggestion: None,
            });
        }
    }
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    let validator = Validator::new(dict, entity, encoder);
    let mut records = Vec::new();
    let mut refs = std::collections::HashMap::new();
    for (i, result) in rdr.records().enumerate() {
        let row = i + 2;
        report.rows_read += 1;
        let rec = match result {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(CellError {
                    row,
                    column: String::new(),
                    value: String::new(),
                    rule: "csv".into(),
                    message: format!("unreadable row: {e}"),
                    suggestion: None,
                });
                continue;
            }
        };
        if rec.len() != columns.len() {
            report.errors.push(CellError {
                row,
                column: String::new(),
                value: String::new(),
                rule: "columns".into(),
                message: format!(
                    "{} cells, but the header has {} columns",
                    rec.len(),
                    columns.len()
                ),
                suggestion: None,
            });
            continue;
        }
        let cells: Vec<(&str, &Variable, &str)> = columns
            .iter()
            .zip(rec.iter())
            .filter_map(|((c, v), raw)| v.map(|v| (c.as_str(), v, raw)))
            .collect();
        if let Some(r) = validator.record(row, &cells, &mut report.errors) {
            if let Some(first) = refs.insert(r.provider_ref.clone(), row) {
                report.errors.push(CellError {
                    row,
                    column: "provider_ref".into(),
                    value: r.provider_ref.clone(),
                    rule: "unique".into(),
                    message: format!("the same reference is already used on row {first}"),
                    suggestion: None,
                });
            }
            records.push(r);
        }
        if report.errors.len() >= 10_000 {
            break;
        }
    }
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    Ok(Batch {
        entity: entity_id.to_string(),
        dictionary_version: dict.full_version(),
        records,
    })
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
