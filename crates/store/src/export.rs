//! Records out to CSV, as analysts use them: each row carries the record's id and version and
//! its submission (id, period, status, day of approval) before the stored values, so that a
//! script can keep only approved data or follow a record from one export to the next.
//!
//! Two forms, because formula neutralisation cannot suit both readers. For programs (pandas,
//! R, Stata) the values are written exactly as stored. For a spreadsheet (`spreadsheet: true`,
//! `tessera export --bom`) the file starts with a UTF-8 byte-order mark, without which Excel
//! reads accents wrong, and a text cell that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return, and not a number) gets a leading `'`: the
//! stored value is the cell without that one `'`.

use std::io::Write;

use serde_json::Value;
use tessera_dictionary::Dictionary;
use tessera_intake::neutralise_formula;

use crate::{Access, ExportedRecord, Store, StoreError};

/// How records are written out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// For a spreadsheet rather than a program: a UTF-8 byte-order mark first, and formulas
    /// neutralised with a leading `'` (see the module's documentation).
    pub spreadsheet: bool,
}

/// The columns every export starts with, before the entity's stored variables. Their names
/// start with `_`, which imports skip: an exported file sent back imports as it was.
pub const EXPORT_COLUMNS: [&str; 7] = [
    "_record_id",
    "_version",
    "_provider",
    "_submission_id",
    "_period",
    "_status",
    "_approved_on",
];

/// Records read per query.
const PAGE: i64 = 5000;

/// A stored value as one CSV cell: text and codes as they are, several codes joined by `;`
/// (as imports read them), numbers and booleans as JSON writes them.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(";"),
        Some(v) => v.to_string(),
    }
}

/// One exported row: the leading columns, then the values of `columns`.
fn row(r: &ExportedRecord, columns: &[&str]) -> Vec<String> {
    let rec = &r.record;
    let mut out = Vec::with_capacity(EXPORT_COLUMNS.len() + columns.len());
    out.push(rec.id.to_string());
    out.push(rec.version.to_string());
    out.push(rec.provider_id.clone());
    out.push(rec.submission_id.map(|s| s.to_string()).unwrap_or_default());
    out.push(r.period_id.clone().unwrap_or_default());
    out.push(
        r.submission_status
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    );
    out.push(
        r.approved_at
            .map(|t| t.date().to_string())
            .unwrap_or_default(),
    );
    for c in columns {
        out.push(cell(rec.data.get(*c)));
    }
    out
}

impl Store {
    /// Writes the records of `entity` that `access` may see to `out` as CSV (see the module's
    /// documentation for the columns and the two forms), page by page; `progress` is told how
    /// many records each page held. Returns the number of records written. Identifiers are
    /// never stored, so never exported.
    pub async fn export_csv(
        &self,
        dict: &Dictionary,
        access: &Access,
        entity: &str,
        opts: ExportOptions,
        out: &mut (dyn Write + Send),
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<u64, StoreError> {
        let ent = dict
            .entity(entity)
            .ok_or_else(|| StoreError::NotFound(format!("entity \"{entity}\"")))?;
        let failed = |e: &dyn std::fmt::Display| StoreError::Write {
            what: "the export".into(),
            message: e.to_string(),
        };
        if opts.spreadsheet {
            out.write_all(b"\xEF\xBB\xBF").map_err(|e| failed(&e))?;
        }
        let columns: Vec<&str> = ent.stored_variables().map(|v| v.code.as_str()).collect();
        let mut w = csv::Writer::from_writer(out);
        let header: Vec<&str> = EXPORT_COLUMNS
            .iter()
            .copied()
            .chain(columns.iter().copied())
            .collect();
        w.write_record(&header).map_err(|e| failed(&e))?;
        let mut after = 0;
        let mut written = 0u64;
        loop {
            let page = self.records_for_export(access, entity, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.record.id;
            for r in &page {
                let cells = row(r, &columns);
                if opts.spreadsheet {
                    w.write_record(cells.iter().map(|c| neutralise_formula(c).into_owned()))
                } else {
                    w.write_record(&cells)
                }
                .map_err(|e| failed(&e))?;
            }
            written += page.len() as u64;
            progress(page.len());
        }
        w.flush().map_err(|e| failed(&e))?;
        Ok(written)
    }
}
