//! Provider-side pseudonymisation: a filled template becomes a file holding no name, birth date,
//! identity or phone number — only their keyed encodings, in one `pseudonyms` column — so an
//! office can send its records without identifiers leaving it. Every other column is copied as
//! it was written — even a cell that looks like a formula, which was already in the office's own
//! file: changing it would change the record — and the import later validates it exactly as if
//! the file had been sent in clear.

use std::io::{Read, Write};

use tessera_dictionary::{Dictionary, IdentifierKind};
use tessera_pseudonym::{BirthDate, Encoder, Identifiers};

use crate::import::header_code;
use crate::report::{CellError, IntakeError, Report};
use crate::table::{Limits, TableRow, open_table};

/// The column holding the encodings (see [`tessera_pseudonym::Pseudonyms::to_token`]).
pub const PSEUDONYMS_COLUMN: &str = "pseudonyms";

/// What a pseudonymisation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PseudonymiseSummary {
    pub rows: usize,
    /// Rows that had identifying values (the others get an empty `pseudonyms` cell).
    pub encoded: usize,
    /// Identifying columns removed, as written in the header.
    pub removed: Vec<String>,
}

/// Reads a CSV or XLSX of `entity_id` and writes it to `out` as CSV with the identifying columns
/// replaced by their encodings. Any problem (unreadable file, an identifying column twice, a
/// birth date that is not one, a short row) is returned as a report and `out` must then be
/// discarded: the caller writes to a temporary file and keeps it only on success.
#[allow(clippy::too_many_arguments)]
pub fn pseudonymise(
    dict: &Dictionary,
    entity_id: &str,
    encoder: &dyn Encoder,
    input: Box<dyn Read + Send + '_>,
    name: &str,
    limits: Limits,
    lang: &str,
    out: &mut dyn Write,
) -> Result<PseudonymiseSummary, IntakeError> {
    let entity = dict
        .entity(entity_id)
        .ok_or_else(|| IntakeError::UnknownEntity(entity_id.to_string()))?;
    let table = open_table(input, name, entity_id, limits, lang)?;
    let mut report = Report {
        lang: lang.to_string(),
        ..Report::default()
    };
    report.errors.extend(table.problems.iter().cloned());
    let m = |key: &str, args: &[(&str, &str)]| crate::msg(lang, key, args);
    // Which columns are identifying, and of what kind.
    let mut kinds: Vec<Option<IdentifierKind>> = Vec::with_capacity(table.header.len());
    let mut summary = PseudonymiseSummary::default();
    let today = crate::cell::utc_today();
    for h in &table.header {
        let code = header_code(h);
        if code == PSEUDONYMS_COLUMN {
            report.errors.push(CellError::new(
                1,
                h.as_str(),
                "",
                "column",
                m("pseudo-already", &[]),
            ));
        }
        let kind = entity.variable(code).and_then(|v| v.identifying);
        if let Some(k) = kind {
            if kinds.contains(&Some(k)) {
                report.errors.push(CellError::new(
                    1,
                    h.as_str(),
                    "",
                    "column",
                    m("col-twice", &[]),
                ));
            }
            summary.removed.push(h.clone());
        }
        kinds.push(kind);
    }
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let io = |e: csv::Error| IntakeError::Unreadable {
        file: name.to_string(),
        message: e.to_string(),
    };
    let header: Vec<&str> = table
        .header
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| k.is_none())
        .map(|(h, _)| h.as_str())
        .chain([PSEUDONYMS_COLUMN])
        .collect();
    w.write_record(&header).map_err(io)?;
    for row in table.rows {
        let (line, cells) = match row {
            TableRow::Cells(line, cells) => (line, cells),
            TableRow::Bad(e) => {
                report.rows_read += 1;
                report.errors.push(e);
                if report.errors.len() >= Report::MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        report.rows_read += 1;
        summary.rows += 1;
        if cells.len() != kinds.len() {
            report.errors.push(CellError::new(
                line,
                "",
                "",
                "columns",
                m(
                    "row-cells",
                    &[
                        ("cells", &cells.len().to_string()),
                        ("columns", &kinds.len().to_string()),
                    ],
                ),
            ));
            continue;
        }
        let mut ids = Identifiers::default();
        let mut kept: Vec<&str> = Vec::with_capacity(header.len());
        for ((cell, kind), h) in cells.iter().zip(&kinds).zip(&table.header) {
            let Some(kind) = kind else {
                kept.push(cell);
                continue;
            };
            let v = cell.trim();
            if v.is_empty() {
                continue;
            }
            if *kind == IdentifierKind::BirthDate && BirthDate::parse(v).is_none() {
                // Named, never repeated: the value is identifying.
                report.errors.push(CellError::new(
                    line,
                    h.as_str(),
                    "",
                    "birth_date",
                    m("cell-birth-date", &[]),
                ));
            } else if *kind == IdentifierKind::BirthDate
                && crate::cell::birth_date_in_future(v, today)
            {
                report.errors.push(CellError::new(
                    line,
                    h.as_str(),
                    "",
                    "future",
                    m("cell-birth-future", &[]),
                ));
            }
            *crate::cell::identifier_slot(&mut ids, *kind) = Some(v);
        }
        let token = if ids.is_empty() {
            String::new()
        } else {
            summary.encoded += 1;
            encoder.encode(&ids).to_token()
        };
        if report.errors.is_empty() {
            kept.push(&token);
            w.write_record(&kept).map_err(io)?;
        }
        if report.errors.len() >= Report::MAX_ERRORS {
            break;
        }
    }
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    w.flush().map_err(|e| IntakeError::Unreadable {
        file: name.to_string(),
        message: e.to_string(),
    })?;
    Ok(summary)
}
