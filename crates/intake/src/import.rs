//! From a [`Table`] to validated records, streamed in chunks so a million-row file never sits in
//! memory. The caller writes each chunk inside one transaction and commits only if the returned
//! report is clean: a batch is stored whole or not at all.

use rustc_hash::FxHashMap;

use tessera_dictionary::Variable;

use crate::cell::{EncodedRecord, Validator};
use crate::field::{self, FieldServer, Headers, Named, Skipped};
use crate::messages::msg;
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
    "rootuuid",
    "deprecatedid",
];

/// How a file is read.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file is an ODK Central or KoboToolbox export: group prefixes (`group/var`, `group-var`)
    /// are dropped, metadata columns ignored, `select_multiple` answers split on spaces, review
    /// states honoured (see `field.rs`), and the submission's UUID is the reference when the form
    /// has no `provider_ref`. A file whose header has the servers' own columns (`_uuid`,
    /// `SubmissionDate`, `ReviewState`, …) is read so even when this is `false`.
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
    /// Field submissions left out because the field server's review rejected them or put them
    /// on hold (the first [`MAX_REPAIRS`]), in file order.
    pub skipped: Vec<Skipped>,
    /// All submissions left out, listed or not.
    pub skipped_total: usize,
}

impl ImportSummary {
    /// The notes of the import in `lang`, one per line: the encoding assumed when the file was
    /// not UTF-8, then the repaired cells (row, column, value as written → value read). Empty
    /// when reading changed nothing.
    pub fn render(&self, lang: &str) -> String {
        let mut out = render_notes(lang, self.encoding, &self.repairs, self.repairs_total);
        if self.skipped_total > 0 {
            out.push_str(&msg(
                lang,
                "skipped-summary",
                &[("count", &self.skipped_total.to_string())],
            ));
            out.push('\n');
            for s in self.skipped.iter().take(SHOWN_SKIPPED) {
                let key = match s.server {
                    FieldServer::OdkCentral => "skipped-central",
                    FieldServer::Kobo => "skipped-kobo",
                };
                let what = msg(lang, key, &[("state", &s.state)]);
                out.push_str("  ");
                out.push_str(&msg(
                    lang,
                    "report-line",
                    &[
                        ("row", &s.row.to_string()),
                        ("column", s.column()),
                        ("message", &what),
                    ],
                ));
                out.push('\n');
            }
            let shown = self.skipped.len().min(SHOWN_SKIPPED);
            if self.skipped_total > shown {
                out.push_str("  ");
                out.push_str(&msg(
                    lang,
                    "report-more",
                    &[("more", &(self.skipped_total - shown).to_string())],
                ));
                out.push('\n');
            }
        }
        out
    }
}

/// Submissions left out listed in a rendered summary.
const SHOWN_SKIPPED: usize = 200;

impl Skipped {
    /// The review column the state was read from.
    pub fn column(&self) -> &'static str {
        match self.server {
            FieldServer::OdkCentral => "ReviewState",
            FieldServer::Kobo => "_validation_status",
        }
    }
}

enum Column<'d> {
    Var(&'d Variable),
    /// One choice of a multi-valued variable as a 0/1 column: its group (see `choice_groups`)
    /// and its code.
    Choice(usize, &'d str),
    /// The field server's review state of the submission.
    Review(FieldServer),
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
    // Problems of the header stop here; those found while reading (a key of a JSON record that
    // is no variable, a formula cell) are reported with the rows' own.
    let read_problems = report.errors.len();
    // Map the header.
    let field = opts.odk || field::looks_like_export(&table.header);
    let names = Headers::new(v.dictionary(), entity, field);
    let mut columns: Vec<(String, Column)> = Vec::new();
    // Multi-valued variables sent as one 0/1 column per choice: (variable, its first column).
    let mut choice_groups: Vec<(&Variable, String)> = Vec::new();
    for h in &table.header {
        let named = names.name(h);
        let base = if field {
            field::last_segment(h)
        } else {
            header_code(h)
        };
        let col = match named {
            Named::Variable(var) => {
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
            Named::Choice(var, code) => {
                let group = match choice_groups.iter().position(|(x, _)| x.code == var.code) {
                    Some(g) => g,
                    None => {
                        let question = h.rsplit_once('/').map_or(h.as_str(), |(q, _)| q);
                        choice_groups.push((var, question.to_string()));
                        choice_groups.len() - 1
                    }
                };
                Column::Choice(group, code)
            }
            Named::Nothing if field && field::review_column(h).is_some() => {
                field::review_column(h).map_or(Column::Skip, Column::Review)
            }
            Named::Nothing if field && matches!(base, "_uuid" | "instanceID" | "KEY") => {
                Column::Uuid
            }
            Named::Nothing if base == crate::PSEUDONYMS_COLUMN => Column::Token,
            Named::Nothing if base.starts_with('_') || base.is_empty() && h.trim().is_empty() => {
                Column::Skip
            }
            Named::Nothing if field && ODK_META.contains(&base.to_lowercase().as_str()) => {
                Column::Skip
            }
            Named::Nothing => {
                report.errors.push(CellError::new(
                    1,
                    h.as_str(),
                    "",
                    "column",
                    v.m(
                        "col-unknown",
                        &[("entity", &entity.id), ("code", header_code(h))],
                    ),
                ));
                Column::Skip
            }
        };
        columns.push((h.clone(), col));
    }
    // A multi-valued variable with its own column (Kobo's "single and separate columns"): the
    // single column is read, the 0/1 columns are not.
    let single: Vec<bool> = choice_groups
        .iter()
        .map(|(var, _)| {
            columns
                .iter()
                .any(|(_, c)| matches!(c, Column::Var(x) if x.code == var.code))
        })
        .collect();
    for (_, c) in columns.iter_mut() {
        if let Column::Choice(g, _) = c
            && single[*g]
        {
            *c = Column::Skip;
        }
    }
    let has = |code: &str| {
        columns.iter().any(|(_, c)| match c {
            Column::Var(x) => x.code == code,
            Column::Choice(g, _) => choice_groups[*g].0.code == code,
            _ => false,
        })
    };
    let uuid_as_ref =
        field && !has("provider_ref") && columns.iter().any(|(_, c)| matches!(c, Column::Uuid));
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
    if report.errors[read_problems..]
        .iter()
        .any(|e| e.rule == "column")
    {
        return Err(IntakeError::Invalid(report));
    }

    // Columns only field exports have: rows are scanned for them only when there are some.
    let reviewed = columns.iter().any(|(_, c)| matches!(c, Column::Review(_)));
    let by_choice = columns.iter().any(|(_, c)| matches!(c, Column::Choice(..)));
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
        if cells.len() != columns.len() && !(cells.len() < columns.len() && field) {
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
        // A submission the field server's review left out is neither checked nor stored: it is
        // counted and listed.
        let review = reviewed
            .then(|| {
                columns
                    .iter()
                    .zip(cells.iter())
                    .find_map(|((_, c), raw)| match c {
                        Column::Review(server) if field::left_out(*server, raw) => {
                            Some((*server, raw))
                        }
                        _ => None,
                    })
            })
            .flatten();
        if let Some((server, state)) = review {
            summary.skipped_total += 1;
            if summary.skipped.len() < MAX_REPAIRS {
                summary.skipped.push(Skipped {
                    row: line,
                    state: state.trim().to_string(),
                    server,
                });
            }
            continue;
        }
        let before = report.errors.len();
        // The choices of each 0/1 column group, as one cell of codes.
        let mut chosen: Vec<String> = vec![String::new(); choice_groups.len()];
        for ((name, col), raw) in columns.iter().zip(cells.iter()).filter(|_| by_choice) {
            if let Column::Choice(g, code) = col {
                match field::chosen(raw) {
                    Some(true) => {
                        if !chosen[*g].is_empty() {
                            chosen[*g].push(';');
                        }
                        chosen[*g].push_str(code);
                    }
                    Some(false) => {}
                    None => report.errors.push(CellError::new(
                        line,
                        name.as_str(),
                        raw,
                        "choice",
                        v.m("cell-choice-flag", &[]),
                    )),
                }
            }
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
        for (((var, question), codes), single) in choice_groups.iter().zip(&chosen).zip(&single) {
            if !single {
                triples.push((question.as_str(), var, codes.as_str()));
            }
        }
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
