//! A return as CSV (one tidy table: a row per figure, every line the same columns) or as an
//! XLSX workbook (a sheet describing the return, then one sheet per table).
//!
//! CSV columns: `kind` (`about`, `note`, `cell`, `total`), `table`, `title`, `year`,
//! `ref_area`, one column per [`Dimension`] (`_T` where the table does not break down by it),
//! `label`, `value`, `flag` (`c`: hidden by disclosure control, value left empty) and `note`.
//! The first rows (`about`) name the return, its source, unit, dictionary version and the
//! protection applied; `note` rows carry the footnotes, among them every national code that has
//! no mapping in the scheme.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::{Dimension, OutputError, Return};

/// A text cell a spreadsheet would not take for a formula.
fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn number(v: Option<f64>) -> String {
    v.map(tessera_analysis::table::format_number)
        .unwrap_or_default()
}

/// The header of [`csv`].
pub fn csv_header() -> Vec<String> {
    let mut h: Vec<String> = ["kind", "table", "title", "year", "ref_area"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(Dimension::ALL.iter().map(|d| d.id().to_ascii_lowercase()));
    h.extend(
        ["label", "value", "flag", "note"]
            .iter()
            .map(|s| s.to_string()),
    );
    h
}

/// The return as one CSV (RFC 4180, UTF-8, CRLF).
pub fn csv(ret: &Return) -> String {
    let blank_dims = || vec![String::new(); Dimension::ALL.len()];
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = w.write_record(csv_header());
    let mut push = |row: Vec<String>| {
        let _ = w.write_record(&row);
    };
    let mk = |kind: &str,
              table: &str,
              title: &str,
              dims: Vec<String>,
              label: &str,
              value: String,
              flag: &str,
              note: &str| {
        let mut row = vec![
            kind.to_string(),
            table.to_string(),
            defused(title),
            ret.year.to_string(),
            ret.ref_area.clone(),
        ];
        row.extend(dims);
        row.extend([defused(label), value, flag.to_string(), defused(note)]);
        row
    };
    for (name, value) in ret.metadata() {
        push(mk(
            "about",
            "",
            name,
            blank_dims(),
            "",
            String::new(),
            "",
            &value,
        ));
    }
    for n in &ret.notes {
        push(mk("note", "", "", blank_dims(), "", String::new(), "", n));
    }
    for t in &ret.tables {
        for o in t.observations() {
            push(mk(
                if o.total { "total" } else { "cell" },
                &t.id,
                &t.title,
                o.codes.clone(),
                &o.label,
                number(o.value),
                if o.value.is_none() { "c" } else { "" },
                o.note.as_deref().unwrap_or(""),
            ));
        }
        for n in &t.notes {
            push(mk(
                "note",
                &t.id,
                &t.title,
                blank_dims(),
                "",
                String::new(),
                "",
                n,
            ));
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn xerr(e: XlsxError) -> OutputError {
    OutputError::Xlsx(e.to_string())
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str) -> String {
    s.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The return as an XLSX workbook: an "About" sheet (metadata, protection, footnotes), then a
/// sheet per table with a code and a label column per dimension, the value (`c` when hidden),
/// the totals and the table's footnotes.
pub fn xlsx(ret: &Return) -> Result<Vec<u8>, OutputError> {
    let fr = ret.lang == "fr";
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color("#DCE6F1")
        .set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    {
        let ws = wb.add_worksheet();
        ws.set_name(if fr { "À propos" } else { "About" })
            .map_err(xerr)?;
        ws.set_column_width(0, 22).map_err(xerr)?;
        ws.set_column_width(1, 110).map_err(xerr)?;
        ws.write_string_with_format(0, 0, defused(&ret.title), &bold)
            .map_err(xerr)?;
        let mut row = 2u32;
        for (name, value) in ret.metadata() {
            ws.write_string_with_format(row, 0, name, &bold)
                .map_err(xerr)?;
            ws.write_string_with_format(row, 1, defused(&value), &wrap)
                .map_err(xerr)?;
            row += 1;
        }
        row += 1;
        for n in &ret.notes {
            ws.write_string_with_format(row, 0, "Note", &bold)
                .map_err(xerr)?;
            ws.write_string_with_format(row, 1, defused(n), &wrap)
                .map_err(xerr)?;
            row += 1;
        }
        row += 1;
        ws.write_string_with_format(row, 0, if fr { "Tableaux" } else { "Tables" }, &bold)
            .map_err(xerr)?;
        for t in &ret.tables {
            row += 1;
            ws.write_string(row, 0, sheet_name(&t.id)).map_err(xerr)?;
            ws.write_string(row, 1, defused(&t.title)).map_err(xerr)?;
        }
    }
    for t in &ret.tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.id)).map_err(xerr)?;
        ws.write_string_with_format(0, 0, defused(&t.title), &bold)
            .map_err(xerr)?;
        ws.write_string(
            1,
            0,
            format!(
                "{} {} — {} — {}",
                ret.ref_area,
                ret.year,
                t.table.value_headers.first().cloned().unwrap_or_default(),
                ret.protection.short()
            ),
        )
        .map_err(xerr)?;
        let mut col = 0u16;
        for h in &t.table.key_headers {
            ws.set_column_width(col, 14).map_err(xerr)?;
            ws.set_column_width(col + 1, 32).map_err(xerr)?;
            ws.write_string_with_format(3, col, format!("{h} (code)"), &head)
                .map_err(xerr)?;
            ws.write_string_with_format(3, col + 1, defused(h), &head)
                .map_err(xerr)?;
            col += 2;
        }
        let vcol = col;
        ws.write_string_with_format(
            3,
            vcol,
            t.table.value_headers.first().cloned().unwrap_or_default(),
            &head,
        )
        .map_err(xerr)?;
        let mut row = 4u32;
        for r in &t.table.rows {
            for (i, k) in r.keys.iter().enumerate() {
                ws.write_string(row, 2 * i as u16, defused(&k.code))
                    .map_err(xerr)?;
                ws.write_string(row, 2 * i as u16 + 1, defused(&k.label))
                    .map_err(xerr)?;
            }
            match r.values.first().copied().flatten() {
                Some(v) => ws.write_number(row, vcol, v).map_err(xerr)?,
                None => ws.write_string(row, vcol, "c").map_err(xerr)?,
            };
            row += 1;
        }
        for (k, v) in &t.totals {
            ws.write_string_with_format(row, 0, crate::TOTAL, &bold)
                .map_err(xerr)?;
            ws.write_string_with_format(row, 1, format!("{} — total", defused(&k.label)), &bold)
                .map_err(xerr)?;
            match v {
                Some(v) => ws.write_number_with_format(row, vcol, *v, &bold),
                None => ws.write_string_with_format(row, vcol, "c", &bold),
            }
            .map_err(xerr)?;
            row += 1;
        }
        row += 1;
        for n in t
            .notes
            .iter()
            .chain(std::iter::once(&ret.protection.statement(&ret.lang)))
        {
            ws.write_string(row, 0, defused(n)).map_err(xerr)?;
            row += 1;
        }
    }
    wb.save_to_buffer().map_err(xerr)
}
