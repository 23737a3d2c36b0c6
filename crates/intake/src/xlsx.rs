//! XLSX workbooks: Tessera's own templates, providers' spreadsheets and ODK/Kobo exports. The archive
//! is inspected before it is opened so a zip bomb is refused without being inflated.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxError, XlsxFormulaMetadata};
use time::{Date, Duration};

use crate::IntakeError;
use crate::messages::msg;
use crate::report::CellError;
use crate::table::{Limits, Table, TableRow, TemplateMeta};

/// Name of the hidden sheet in which a template records what it is.
pub const META_SHEET: &str = "_meta";

fn excel_date(serial: f64) -> Option<Date> {
    // Excel's 1900 date system counts days from 1899-12-30 (for dates after February 1900).
    let base = Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    base.checked_add(Duration::days(serial.floor() as i64))
}

/// The text of a cell as a person would read it: integers without `.0`, dates as YYYY-MM-DD.
fn cell_text(d: &DataRef<'_>) -> Result<String, String> {
    Ok(match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => excel_date(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        DataRef::DateTime(dt) => dt.as_f64().to_string(),
        DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => return Err(format!("{e:?}")),
    })
}

fn column_name(n: u32) -> String {
    let mut n = n + 1;
    let mut s = String::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

/// Refuses archives whose inflated size is out of proportion: the zip-bomb guard.
fn check_archive(bytes: &[u8], limits: Limits) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a readable .xlsx workbook ({e})"))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| format!("the workbook archive is damaged ({e})"))?;
        total = total.saturating_add(f.size());
        let ratio = f.size() / f.compressed_size().max(1);
        if total > limits.max_unzipped_bytes || (f.size() > 50 * 1024 * 1024 && ratio > 100) {
            return Err(format!(
                "the workbook would inflate to more than {} MB (part \"{}\" is compressed {ratio}:1); it looks like a zip bomb and was not opened",
                limits.max_unzipped_bytes / 1024 / 1024,
                f.name().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

pub(crate) fn read_xlsx(
    bytes: Vec<u8>,
    name: &str,
    entity: &str,
    limits: Limits,
    lang: &str,
) -> Result<Table<'static>, IntakeError> {
    // The workbook parser is a dependency fed hostile bytes: a damaged file has made it panic
    // (an arithmetic overflow on a corrupt cell reference). A panic here is a refused file, never
    // a crashed import or server thread. The whole sheet is read inside, so nothing escapes.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx_unguarded(bytes, name, entity, limits, lang)
    }))
    .unwrap_or_else(|_| {
        Err(IntakeError::Unreadable {
            file: name.to_string(),
            message: "the workbook is damaged and cannot be read; open it in a spreadsheet program and save it again as .xlsx".into(),
        })
    })
}

fn read_xlsx_unguarded(
    bytes: Vec<u8>,
    name: &str,
    entity: &str,
    limits: Limits,
    lang: &str,
) -> Result<Table<'static>, IntakeError> {
    let unreadable = |message: String| IntakeError::Unreadable {
        file: name.to_string(),
        message,
    };
    check_archive(&bytes, limits).map_err(unreadable)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        XlsxError::Password => unreadable(
            "the workbook is password-protected: remove the password and save it again".into(),
        ),
        other => unreadable(format!(
            "the file is not a readable .xlsx workbook ({other})"
        )),
    })?;
    let names = wb.sheet_names();
    let meta = names
        .iter()
        .any(|n| n == META_SHEET)
        .then(|| read_meta(&mut wb, limits))
        .flatten();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == entity)
        .or_else(|| {
            names.iter().find(|n| {
                !n.starts_with('_')
                    && !n.starts_with("example")
                    && !matches!(
                        n.to_lowercase().as_str(),
                        "instructions" | "mode d'emploi" | "survey" | "choices" | "settings"
                    )
            })
        })
        .cloned()
        .ok_or_else(|| unreadable("the workbook has no data sheet".into()))?;
    let sheet_data = read_sheet(&mut wb, &sheet, limits).map_err(unreadable)?;
    let SheetData {
        text,
        mut cells,
        formulas,
    } = sheet_data;
    // Cells usually arrive in row order, but the format does not promise it.
    cells.sort_unstable_by_key(|c| (c.row, c.col));
    let Some(first) = cells.first() else {
        return Err(unreadable(format!("sheet \"{sheet}\" is empty")));
    };
    let r0 = first.row;
    let c0 = cells.iter().map(|c| c.col).min().unwrap_or(0);
    let width = cells.iter().map(|c| c.col).max().unwrap_or(0) - c0 + 1;
    let header_end = cells.partition_point(|c| c.row == r0);
    let mut header = vec![String::new(); width as usize];
    for c in &cells[..header_end] {
        header[(c.col - c0) as usize] = c.text(&text).to_string();
    }
    let col_label = |abs_col: u32| {
        let rel = abs_col.saturating_sub(c0) as usize;
        header
            .get(rel)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| column_name(abs_col))
    };
    let mut problems = Vec::new();
    for (row, col, f) in formulas {
        if row > r0 {
            problems.push(CellError::new(
                row as usize + 1,
                col_label(col),
                format!("={f}"),
                "formula",
                msg(lang, "cell-formula", &[]),
            ));
        }
    }
    if let Ok(merged) = wb.merge_cells_by_sheet_name(&sheet) {
        for dim in merged.into_iter().take(MAX_SHEET_PROBLEMS) {
            let range_text = format!(
                "{}{}:{}{}",
                column_name(dim.start.1),
                dim.start.0 + 1,
                column_name(dim.end.1),
                dim.end.0 + 1
            );
            problems.push(CellError::new(
                dim.start.0 as usize + 1,
                col_label(dim.start.1),
                "",
                "merged",
                msg(lang, "cell-merged", &[("range", &range_text)]),
            ));
        }
    }
    // Rows are built one at a time as the import asks for them: however sparse the sheet, only
    // the non-empty cells are held, never its rectangle.
    let lang = lang.to_string();
    let labels: Vec<String> = (c0..c0 + width).map(&col_label).collect();
    let mut at = header_end;
    let rows = std::iter::from_fn(move || {
        while at < cells.len() {
            let row = cells[at].row;
            let end = at + cells[at..].partition_point(|c| c.row == row);
            let line = row as usize + 1;
            let mut record = csv::StringRecord::with_capacity(0, width as usize);
            let mut bad = None;
            let mut next_col = c0;
            let mut blank = true;
            for c in &cells[at..end] {
                while next_col < c.col {
                    record.push_field("");
                    next_col += 1;
                }
                let value = c.text(&text);
                if c.error {
                    bad.get_or_insert_with(|| {
                        CellError::new(
                            line,
                            labels[(c.col - c0) as usize].clone(),
                            value,
                            "cell",
                            msg(&lang, "cell-error", &[("value", value)]),
                        )
                    });
                    record.push_field("");
                } else {
                    blank &= value.trim().is_empty();
                    record.push_field(value);
                }
                next_col = c.col + 1;
            }
            while next_col < c0 + width {
                record.push_field("");
                next_col += 1;
            }
            at = end;
            if let Some(e) = bad {
                return Some(TableRow::Bad(e));
            }
            if !blank {
                return Some(TableRow::Cells(line, record));
            }
        }
        None
    });
    Ok(Table {
        name: name.to_string(),
        header,
        rows: Box::new(rows),
        problems,
        meta,
        encoding: None,
    })
}
/// Most problems listed from one sheet's formulas or merged cells.
const MAX_SHEET_PROBLEMS: usize = 1000;

/// One non-empty cell of a sheet; its text is a slice of the sheet's one text buffer.
struct SheetCell {
    row: u32,
    col: u32,
    start: u32,
    len: u32,
    error: bool,
}

impl SheetCell {
    fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start as usize..(self.start + self.len) as usize]
    }
}

/// The non-empty cells of a sheet and the first of its formulas.
struct SheetData {
    text: String,
    cells: Vec<SheetCell>,
    formulas: Vec<(u32, u32, String)>,
}

/// Streams a sheet's cells, holding only the non-empty ones, and refuses a sheet whose declared
/// or actual extent, cell count or text passes the limits before it can take the memory. A
/// sheet's rectangle is never allocated: two cells at A1 and XFD1048576 are two cells.
fn read_sheet(
    wb: &mut Xlsx<Cursor<Vec<u8>>>,
    sheet: &str,
    limits: Limits,
) -> Result<SheetData, String> {
    let mut reader = wb
        .worksheet_cells_reader(sheet)
        .map_err(|e| format!("sheet \"{sheet}\" cannot be read ({e})"))?;
    let too_wide = |col: u32, row: u32| {
        format!(
            "sheet \"{sheet}\" has a cell at {}{}, beyond column {}: a data sheet has at most {} columns; delete the columns to the right of the data and save again",
            column_name(col),
            row + 1,
            column_name(limits.max_columns - 1),
            limits.max_columns
        )
    };
    let declared = reader.dimensions();
    if declared.end.1 >= limits.max_columns {
        return Err(too_wide(declared.end.1, declared.end.0));
    }
    let mut data = SheetData {
        text: String::new(),
        cells: Vec::new(),
        formulas: Vec::new(),
    };
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|e| format!("sheet \"{sheet}\" cannot be read ({e})"))?
    {
        let (row, col) = cell.pos;
        if col >= limits.max_columns {
            return Err(too_wide(col, row));
        }
        if let Some(f) = cell.formula
            && data.formulas.len() < MAX_SHEET_PROBLEMS
        {
            let text = match f {
                XlsxFormulaMetadata::Normal { formula }
                | XlsxFormulaMetadata::Shared { formula, .. } => formula,
                _ => String::new(),
            };
            data.formulas.push((row, col, text));
        }
        let (value, error) = match cell_text(&cell.value) {
            Ok(t) => (t, false),
            Err(e) => (e, true),
        };
        if value.is_empty() && !error {
            continue;
        }
        if data.cells.len() >= limits.max_cells {
            return Err(format!(
                "sheet \"{sheet}\" has more than {} filled cells; split the data into several files, or send it as CSV",
                limits.max_cells
            ));
        }
        if (data.text.len() + value.len()) as u64 > limits.max_unzipped_bytes {
            return Err(format!(
                "the text of sheet \"{sheet}\" is larger than {} MB; split the data into several files",
                limits.max_unzipped_bytes / 1024 / 1024
            ));
        }
        data.cells.push(SheetCell {
            row,
            col,
            start: data.text.len() as u32,
            len: value.len() as u32,
            error,
        });
        data.text.push_str(&value);
    }
    Ok(data)
}

fn read_meta(wb: &mut Xlsx<Cursor<Vec<u8>>>, limits: Limits) -> Option<TemplateMeta> {
    let sheet = read_sheet(wb, META_SHEET, limits).ok()?;
    let mut meta = TemplateMeta::default();
    let cell = |row: u32, col: u32| {
        sheet
            .cells
            .iter()
            .find(|c| c.row == row && c.col == col && !c.error)
            .map(|c| c.text(&sheet.text))
            .unwrap_or_default()
    };
    let mut rows: Vec<u32> = sheet.cells.iter().map(|c| c.row).collect();
    rows.dedup();
    for row in rows.into_iter().take(100) {
        let value = cell(row, 1);
        match cell(row, 0) {
            "dictionary_version" => meta.dictionary_version = Some(value.to_string()),
            "provider_type" => meta.provider_type = Some(value.to_string()),
            "entities" => {
                meta.entities = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            _ => {}
        }
    }
    Some(meta)
}

#[cfg(test)]
mod tests {
    #[test]
    fn excel_serials_and_column_names() {
        assert_eq!(
            super::excel_date(45_292.0).unwrap().to_string(),
            "2024-01-01"
        );
        assert_eq!(super::excel_date(-3.0), None);
        assert_eq!(super::column_name(0), "A");
        assert_eq!(super::column_name(27), "AB");
    }
}
