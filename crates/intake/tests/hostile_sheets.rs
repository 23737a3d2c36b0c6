//! Files built to exhaust the reader: a 1.6 KB workbook whose two cells span the whole sheet, a
//! shared formula with an enormous index, a CSV line of millions of columns. Each is refused or
//! read with a clear message, quickly, without allocating the sheet's rectangle (the security
//! review's findings 1 and 9; memory is measured by the CLI test
//! `hostile_uploads_stay_under_one_gigabyte`).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use rust_xlsxwriter::Workbook;
use tessera_dictionary::Dictionary;
use tessera_intake::{ImportOptions, IntakeError, Limits, validate_stream};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn dict() -> &'static Dictionary {
    static D: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
    D.get_or_init(|| Dictionary::base().unwrap())
}

/// Validates `bytes` as a victim file; returns the outcome and how long it took.
fn check(bytes: Vec<u8>) -> (Result<usize, IntakeError>, Duration) {
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[2; 32]).unwrap());
    let start = Instant::now();
    let r = validate_stream(
        dict(),
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(bytes)),
        "hostile",
        Limits::default(),
        "en",
        &ImportOptions::default(),
        &mut |_| true,
    )
    .map(|s| s.records);
    (r, start.elapsed())
}

const HEADER: &str =
    "provider_ref,identification_status,date_identified,sex,exploitation,age,citizenship";
const ROW: &str = "V-1,IDENTIFIED,2024-01-02,F,SEX,17,CF";

fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("victim").unwrap();
    for (r, c, v) in cells {
        ws.write_string(*r, *c, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn unreadable_message(r: Result<usize, IntakeError>) -> String {
    match r {
        Err(IntakeError::Unreadable { message, .. }) => message,
        other => panic!("expected a refused file, got {other:?}"),
    }
}

#[test]
fn two_cells_at_opposite_corners_are_refused_without_allocating_the_sheet() {
    let bytes = workbook(&[(0, 0, "provider_ref"), (1_048_575, 16_383, "x")]);
    assert!(bytes.len() < 10_000, "a small file: {} bytes", bytes.len());
    let (r, took) = check(bytes);
    let m = unreadable_message(r);
    assert!(m.contains("XFD1048576"), "names the cell: {m}");
    assert!(m.contains("columns"), "{m}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_tall_sparse_sheet_is_read_cell_by_cell() {
    // Legal width, last row of the sheet: read as two rows, not a million empty ones held at once.
    let mut cells: Vec<(u32, u16, &str)> = Vec::new();
    for (c, (h, v)) in HEADER.split(',').zip(ROW.split(',')).enumerate() {
        cells.push((0, c as u16, h));
        cells.push((1, c as u16, v));
    }
    cells.push((1_048_575, 3, "F"));
    let bytes = workbook(&cells);
    let (r, took) = check(bytes);
    match r {
        Err(IntakeError::Invalid(report)) => {
            assert!(
                report.errors.iter().any(|e| e.row == 1_048_576),
                "the far row is reported by its line: {report}"
            );
        }
        other => panic!("expected a cell report, got {other:?}"),
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// Rewrites one part of an XLSX archive.
fn rewrite_part(bytes: &[u8], part: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        if name == part {
            content = f(String::from_utf8(content).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_shared_formula_with_a_huge_index_is_a_formula_not_an_allocation() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("victim").unwrap();
    ws.write_string(0, 0, "provider_ref").unwrap();
    ws.write_formula(1, 0, "=1+1").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let hostile = rewrite_part(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        assert!(xml.contains("<f>"), "{xml}");
        xml.replace("<f>", "<f t=\"shared\" si=\"4000000000000\" ref=\"A2:A3\">")
    });
    let (r, took) = check(hostile);
    match r {
        Err(IntakeError::Invalid(report)) => {
            assert!(
                report.errors.iter().any(|e| e.rule == "formula"),
                "{report}"
            );
        }
        Err(IntakeError::Unreadable { message, .. }) => {
            assert!(!message.is_empty());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_line_of_millions_of_columns_is_one_clear_refusal() {
    let mut line = "x,".repeat(2_000_000);
    line.push('\n');
    let (r, took) = check(line.into_bytes());
    let m = unreadable_message(r);
    assert!(m.contains("2000001 columns"), "{m}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_data_row_of_millions_of_cells_is_one_row_error() {
    let mut file = format!("{HEADER}\n{ROW}\n");
    file.push_str(&"F,".repeat(1_000_000));
    file.push('\n');
    let (r, _) = check(file.into_bytes());
    match r {
        Err(IntakeError::Invalid(report)) => {
            assert_eq!(report.errors.len(), 1, "{report}");
            assert_eq!(report.errors[0].rule, "columns");
        }
        other => panic!("expected one row error, got {other:?}"),
    }
}
