//! XLSX workbooks: Tessera's own templates, providers' spreadsheets and ODK/Kobo exports. The archive
//! is inspected before it is opened so a zip bomb is refused without being inflated.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, XlsxError};
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
fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => excel_date(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("{e:?}")),
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
        .then(|| read_meta(&mut wb))
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
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| unreadable(format!("sheet \"{sheet}\" cannot be read ({e})")))?;
    let Some((r0, c0)) = range.start() else {
        return Err(unreadable(format!("sheet \"{sheet}\" is empty")));
    };
    let mut rows_iter = range.rows();
    let header_cells = rows_iter
        .next()
        .ok_or_else(|| unreadable(format!("sheet \"{sheet}\" is empty")))?;
    let header: Vec<String> = header_cells
        .iter()
        .map(|c| cell_text(c).unwrap_or_default())
        .collect();
    let col_label = |abs_col: u32| {
        let rel = abs_col.saturating_sub(c0) as usize;
        header
            .get(rel)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| column_name(abs_col))
    };
    let mut problems = Vec::new();
    if let Ok(formulas) = wb.worksheet_formula(&sheet)
        && let Some((fr, fc)) = formulas.start()
    {
        for (i, row) in formulas.rows().enumerate() {
            for (j, f) in row.iter().enumerate() {
                let abs_row = fr + i as u32;
                if !f.is_empty() && abs_row > r0 && problems.len() < 1000 {
                    problems.push(CellError::new(
                        abs_row as usize + 1,
                        col_label(fc + j as u32),
                        format!("={f}"),
                        "formula",
                        msg(lang, "cell-formula", &[]),
                    ));
                }
            }
        }
    }
    if let Ok(merged) = wb.merge_cells_by_sheet_name(&sheet) {
        for dim in merged {
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
    let lang = lang.to_string();
    let mut rows = Vec::with_capacity(range.height());
    for (i, row) in rows_iter.enumerate() {
        let line = (r0 + 1 + i as u32) as usize + 1;
        let mut cells = Vec::with_capacity(row.len());
        let mut bad = None;
        for (j, c) in row.iter().enumerate() {
            match cell_text(c) {
                Ok(t) => cells.push(t),
                Err(e) => {
                    bad = Some(CellError::new(
                        line,
                        col_label(c0 + j as u32),
                        e.clone(),
                        "cell",
                        msg(&lang, "cell-error", &[("value", &e)]),
                    ));
                    cells.push(String::new());
                }
            }
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push(match bad {
            Some(e) => TableRow::Bad(e),
            None => TableRow::Cells(line, csv::StringRecord::from(cells)),
        });
    }
    Ok(Table {
        name: name.to_string(),
        header,
        rows: Box::new(rows.into_iter()),
        problems,
        meta,
    })
}

fn read_meta(wb: &mut Xlsx<Cursor<Vec<u8>>>) -> Option<TemplateMeta> {
    let range = wb.worksheet_range(META_SHEET).ok()?;
    let mut meta = TemplateMeta::default();
    for row in range.rows() {
        let key = row
            .first()
            .and_then(|c| cell_text(c).ok())
            .unwrap_or_default();
        let value = row
            .get(1)
            .and_then(|c| cell_text(c).ok())
            .unwrap_or_default();
        match key.as_str() {
            "dictionary_version" => meta.dictionary_version = Some(value),
            "provider_type" => meta.provider_type = Some(value),
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
