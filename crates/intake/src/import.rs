//! From a [`Table`] to validated records, streamed in chunks so a million-row file never sits in
//! memory. The caller writes each chunk inside one transaction and commits only if the returned
//! report is clean: a batch is stored whole or not at all.

use rustc_hash::FxHashMap;

use tessera_dictionary::Variable;

use crate::cell::{EncodedRecord, Validator};
use crate::repair::{MAX_REPAIRS, Repair, TextEncoding, render_notes};
use crate::report::{CellError, Report};
use crate::table::{Table, TableRow};
use crate::{IntakeError, IntakeRecord};

/// ODK and Kobo metadata columns, never data.
const ODK_META: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "instanceid",
    "instancename",
    "version",
    "key",
    "submissiondate",
    "submitterid",
    "submittername",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "reviewstate",
    "edits",
    "formversion",
    "uuid",
];

/// How a file is read.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file is an ODK Central or KoboToolbox export: group prefixes (`group/var`, `group-var`)
    /// are dropped, metadata columns ignored, `select_multiple` answers split on spaces, and the
    /// submission's UUID is the reference when the form has no `provider_ref`.
    pub odk: bool,
    /// Records per chunk handed to the sink.
    pub chunk: usize,
    /// The provider type of the uploader: a template made for another type is refused.
    pub provider_type: Option<String>,
    /// The day dates are checked against (dates after it are refused as in the future); the
    /// current day in UTC when `None`.
    pub as_of: Option<time::Date>,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            odk: false,
            chunk: 5000,
            provider_type: None,
            as_of: None,
        }
    }
}

/// What a clean import read, and what reading changed on the way (never silently: the report
/// lists it, see [`ImportSummary::render`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub records: usize,
    /// The encoding a text file was read in (`None` for a workbook).
    pub encoding: Option<TextEncoding>,
    /// Cells whose value was repaired, in file order (the first [`MAX_REPAIRS`]).
    pub repairs: Vec<Repair>,
    /// All repairs, listed or not.
    pub repairs_total: usize,
}

impl ImportSummary {
    /// The notes of the import in `lang`, one per line: the encoding assumed when the file was
    /// not UTF-8, then the repaired cells (row, column, value as written → value read). Empty
    /// when reading changed nothing.
    pub fn render(&self, lang: &str) -> String {
        render_notes(lang, self.encoding, &self.repairs, self.repairs_total)
    }
}

enum Column<'d> {
    Var(&'d Variable),
    /// The row's submission UUID (ODK), used as the reference when there is no `provider_ref`.
    Uuid,
    /// Identifiers already encoded by `tessera pseudonymise` (one token per row).
    Token,
    Skip,
}

/// The variable code a header cell names: the code, or a label followed by `[code]`.
pub(crate) fn header_code(cell: &str) -> &str {
    let c = cell.trim().trim_start_matches('\u{feff}');
    match (c.rfind('['), c.ends_with(']')) {
        (Some(i), true) => c[i + 1..c.len() - 1].trim(),
        _ => c,
    }
}

fn odk_name(cell: &str) -> String {
    cell.trim()
        .rsplit(['/', '-'])
        .next()
        .unwrap_or("")
        .to_string()
}

/// What [`import_table`] can hand on: a record as intake builds it, or its stored form.
pub(crate) trait Validated: Sized {
    fn validate(
        v: &Validator<'_>,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<Self>;
    fn provider_ref(&self) -> &str;
}

impl Validated for IntakeRecord {
    fn validate(
        v: &Validator<'_>,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<Self> {
        v.record_token(row, cells, token, errors, repairs)
    }

    fn provider_ref(&self) -> &str {
        &self.provider_ref
    }
}

impl Validated for EncodedRecord {
    fn validate(
        v: &Validator<'_>,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<Self> {
        v.encoded_record(row, cells, token, errors, repairs)
    }

    fn provider_ref(&self) -> &str {
        &self.provider_ref
    }
}

/// Validates every row of `table`, handing clean records to `sink` in chunks until the first
/// problem; after that it keeps reading only to report every problem. `sink` returns `false` to stop.
pub fn import_table(
    v: &Validator<'_>,
    table: Table<'_>,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<IntakeRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    import_rows(v, table, opts, sink)
}

/// [`import_table`] handing on records in their stored form ([`EncodedRecord`]).
pub fn import_table_encoded(
    v: &Validator<'_>,
    table: Table<'_>,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<EncodedRecord>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    import_rows(v, table, opts, sink)
}

pub(crate) fn import_rows<R: Validated>(
    v: &Validator<'_>,
    table: Table<'_>,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<R>) -> bool,
) -> Result<ImportSummary, IntakeError> {
    let entity = v.entity();
    let mut report = Report {
        lang: v.lang().to_string(),
        ..Report::default()
    };
    if let Some(meta) = &table.meta {
        check_meta(v, meta, opts, &table.name)?;
    }
    report.errors.extend(table.problems.iter().cloned());
    // Map the header.
    let mut columns: Vec<(String, Column)> = Vec::new();
    for h in &table.header {
        let code = if opts.odk {
            odk_name(h)
        } else {
            header_code(h).to_string()
        };
        let col = match entity.variable(&code) {
            Some(var) => {
                if columns
                    .iter()
                    .any(|(_, c)| matches!(c, Column::Var(x) if x.code == var.code))
                {
                    report.errors.push(CellError::new(
                        1,
                        h.as_str(),
                        "",
                        "column",
                        v.m("col-twice", &[]),
                    ));
                }
                Column::Var(var)
            }
            None if opts.odk && matches!(code.as_str(), "_uuid" | "instanceID" | "KEY") => {
                Column::Uuid
            }
            None if code == crate::PSEUDONYMS_COLUMN => Column::Token,
            None if code.starts_with('_') || code.is_empty() && h.trim().is_empty() => Column::Skip,
            None if opts.odk && ODK_META.contains(&code.to_lowercase().as_str()) => Column::Skip,
            None => {
                report.errors.push(CellError::new(
                    1,
                    h.as_str(),
                    "",
                    "column",
                    v.m("col-unknown", &[("entity", &entity.id), ("code", &code)]),
                ));
                Column::Skip
            }
        };
        columns.push((h.clone(), col));
    }
    let has = |code: &str| {
        columns
            .iter()
            .any(|(_, c)| matches!(c, Column::Var(x) if x.code == code))
    };
    let uuid_as_ref =
        opts.odk && !has("provider_ref") && columns.iter().any(|(_, c)| matches!(c, Column::Uuid));
    let provider_ref_var = entity.variable("provider_ref");
    for var in entity.variables.iter().filter(|x| x.required) {
        let covered = has(&var.code) || (uuid_as_ref && var.code == "provider_ref");
        if !covered {
            report.errors.push(CellError::new(
                1,
                var.code.as_str(),
                "",
                "column",
                v.m("col-missing", &[("code", &var.code)]),
            ));
        }
    }
    if !report.errors.is_empty() && report.errors.iter().any(|e| e.rule == "column") {
        return Err(IntakeError::Invalid(report));
    }

    let mut refs: FxHashMap<String, usize> = FxHashMap::default();
    let mut chunk: Vec<R> = Vec::with_capacity(opts.chunk);
    let mut sending = report.errors.is_empty();
    let mut summary = ImportSummary::default();
    let mut repairs: Vec<Repair> = Vec::new();
    for row in table.rows {
        let (line, cells) = match row {
            TableRow::Cells(line, cells) => (line, cells),
            TableRow::Bad(e) => {
                report.rows_read += 1;
                report.errors.push(e);
                sending = false;
                if report.errors.len() >= Report::MAX_ERRORS
                    || report.errors.last().is_some_and(|e| e.rule == "csv")
                {
                    break;
                }
                continue;
            }
        };
        report.rows_read += 1;
        if cells.len() != columns.len() && !(cells.len() < columns.len() && opts.odk) {
            report.errors.push(CellError::new(
                line,
                "",
                "",
                "columns",
                v.m(
                    "row-cells",
                    &[
                        ("cells", &cells.len().to_string()),
                        ("columns", &columns.len().to_string()),
                    ],
                ),
            ));
            sending = false;
            continue;
        }
        let mut triples: Vec<(&str, &Variable, &str)> = Vec::with_capacity(cells.len());
        let mut token = None;
        for ((name, col), raw) in columns.iter().zip(cells.iter()) {
            match col {
                Column::Token => token = Some(raw),
                Column::Var(var) => triples.push((name.as_str(), var, raw)),
                Column::Uuid if uuid_as_ref => {
                    if let Some(var) = provider_ref_var {
                        triples.push((name.as_str(), var, raw.trim_start_matches("uuid:")));
                    }
                }
                _ => {}
            }
        }
        let before = report.errors.len();
        repairs.clear();
        if let Some(rec) = R::validate(v, line, &triples, token, &mut report.errors, &mut repairs) {
            if let Some(first) = refs.insert(rec.provider_ref().to_string(), line) {
                report.errors.push(CellError::new(
                    line,
                    "provider_ref",
                    rec.provider_ref(),
                    "unique",
                    v.m("row-duplicate-ref", &[("first", &first.to_string())]),
                ));
            } else if sending {
                chunk.push(rec);
                summary.records += 1;
                if chunk.len() >= opts.chunk && !sink(std::mem::take(&mut chunk)) {
                    sending = false;
                }
            }
        }
        if report.errors.len() > before {
            sending = false;
            chunk.clear();
        } else {
            summary.repairs_total += repairs.len();
            let room = MAX_REPAIRS.saturating_sub(summary.repairs.len());
            summary.repairs.extend(repairs.drain(..).take(room));
        }
        if report.errors.len() >= Report::MAX_ERRORS {
            break;
        }
    }
    summary.rows = report.rows_read;
    summary.encoding = table.encoding.as_ref().map(|p| p.get());
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    if !chunk.is_empty() {
        sink(chunk);
    }
    Ok(summary)
}

fn check_meta(
    v: &Validator<'_>,
    meta: &crate::table::TemplateMeta,
    opts: &ImportOptions,
    file: &str,
) -> Result<(), IntakeError> {
    let dict = v.dictionary();
    let refuse = |message: String| {
        Err(IntakeError::Unreadable {
            file: file.to_string(),
            message,
        })
    };
    if let Some(version) = &meta.dictionary_version
        && *version != dict.full_version()
    {
        return refuse(format!(
            "this template was made for data dictionary {version}, but the system now uses {}; download the current template and copy the rows into it",
            dict.full_version()
        ));
    }
    if let (Some(made_for), Some(uploader)) = (&meta.provider_type, &opts.provider_type)
        && made_for != uploader
    {
        return refuse(format!(
            "this template is for providers of type {made_for}, not {uploader}; download your own template"
        ));
    }
    if !meta.entities.is_empty() && !meta.entities.iter().any(|e| *e == v.entity().id) {
        return refuse(format!(
            "this template holds {}, not {}",
            meta.entities.join(", "),
            v.entity().id
        ));
    }
    Ok(())
}
