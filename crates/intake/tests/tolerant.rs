//! Files that went through other tools come back: a CSV saved by French Excel (Windows-1252),
//! integers written `34.0` by pandas, ICCS codes whose leading zeros a spreadsheet dropped, line
//! ends of any convention. Every repair is listed in the report, never made silently; dates in
//! the future are refused.

use tessera_dictionary::Dictionary;
use tessera_intake::{
    ImportOptions, ImportSummary, IntakeError, IntakeRecord, Limits, Repair, RepairKind,
    TextEncoding, validate_stream,
};
use tessera_pseudonym::{KeyedEncoder, Secret};
use time::Date;
use time::macros::date;

fn base() -> Dictionary {
    Dictionary::base().unwrap()
}

fn run_as_of(
    d: &Dictionary,
    entity: &str,
    bytes: &[u8],
    as_of: Option<Date>,
    lang: &str,
) -> Result<(Vec<IntakeRecord>, ImportSummary), IntakeError> {
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap());
    let mut records = Vec::new();
    let opts = ImportOptions {
        as_of,
        ..ImportOptions::default()
    };
    let summary = validate_stream(
        d,
        entity,
        &enc,
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        "t.csv",
        Limits::default(),
        lang,
        &opts,
        &mut |chunk| {
            records.extend(chunk);
            true
        },
    )?;
    Ok((records, summary))
}

fn run(
    d: &Dictionary,
    entity: &str,
    bytes: &[u8],
) -> Result<(Vec<IntakeRecord>, ImportSummary), IntakeError> {
    run_as_of(d, entity, bytes, Some(date!(2026 - 06 - 30)), "en")
}

fn refused(r: Result<(Vec<IntakeRecord>, ImportSummary), IntakeError>) -> tessera_intake::Report {
    match r {
        Err(IntakeError::Invalid(report)) => report,
        Err(e) => panic!("refused as unreadable: {e}"),
        Ok((recs, _)) => panic!("accepted {} records", recs.len()),
    }
}

/// What French-language Excel writes for "CSV (séparateur: point-virgule)": Windows-1252, `;`
/// and CRLF.
fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

const FRENCH_EXCEL: &str = "Référence [provider_ref];identification_status;date_identified;sex;exploitation\r\n\
     V’1;Victime présumée;05/03/2024;Féminin;Exploitation sexuelle\r\n\
     V-2;Victime identifiée;06/03/2024;Masculin;Travail ou services forcés\r\n";

#[test]
fn a_windows_1252_file_from_french_excel_is_read_and_the_encoding_named() {
    let d = base();
    let (recs, summary) = run(&d, "victim", &windows_1252(FRENCH_EXCEL)).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].provider_ref, "V’1");
    assert_eq!(recs[0].data["identification_status"], "PRESUMED");
    assert_eq!(recs[0].data["sex"], "F");
    assert_eq!(recs[1].data["exploitation"], serde_json::json!(["LAB"]));
    // `’` is 0x92, a control character in Latin-1: the file can only be Windows-1252.
    assert_eq!(
        summary.encoding,
        Some(TextEncoding::Legacy {
            name: "windows-1252",
            latin1: false
        })
    );
    let en = summary.render("en");
    assert!(
        en.contains("not UTF-8 text: it was read as Windows-1252"),
        "{en}"
    );
    let fr = summary.render("fr");
    assert!(fr.contains("il a été lu comme Windows-1252"), "{fr}");
}

#[test]
fn a_latin1_file_is_named_so_and_a_late_accent_still_decides() {
    let d = base();
    // No byte in 0x80–0x9F: Latin-1 and Windows-1252 read the same text.
    let text = FRENCH_EXCEL.replace('’', "-");
    let (recs, summary) = run(&d, "victim", &windows_1252(&text)).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(
        summary.encoding.map(|e| e.label()).as_deref(),
        Some("Latin-1 (ISO-8859-1)")
    );
    // Thousands of plain ASCII rows (more than the 64 KB looked ahead) before the first accent.
    let mut text =
        String::from("provider_ref;identification_status;date_identified;sex;exploitation\n");
    for i in 0..4000 {
        text.push_str(&format!("A-{i};PRESUMED;2024-03-05;F;SEX\n"));
    }
    text.push_str("É-1;Victime présumée;2024-03-05;Féminin;SEX\n");
    let (recs, summary) = run(&d, "victim", &windows_1252(&text)).unwrap();
    assert_eq!(recs.len(), 4001);
    assert_eq!(recs[4000].provider_ref, "É-1");
    assert!(summary.encoding.is_some_and(|e| e.assumed()));
    // A UTF-8 byte-order mark declares the encoding: a stray byte is then a row refused, not a
    // reason to guess.
    let mut declared = b"\xEF\xBB\xBF".to_vec();
    declared.extend(windows_1252(
        &FRENCH_EXCEL.replace("Référence [provider_ref]", "provider_ref"),
    ));
    let report = refused(run(&d, "victim", &declared));
    let rows: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.rule.as_str()))
        .collect();
    assert_eq!(rows, [(2, "encoding"), (3, "encoding")], "{report}");
    // UTF-8 is read as it is, and nothing is reported.
    let (recs, summary) = run(&d, "victim", FRENCH_EXCEL.as_bytes()).unwrap();
    assert_eq!(recs[0].provider_ref, "V’1");
    assert_eq!(summary.encoding, Some(TextEncoding::Utf8));
    assert_eq!(summary.render("en"), "");
}

#[test]
fn whole_numbers_written_with_decimals_are_read_and_listed() {
    let d = base();
    let csv = "provider_ref,identification_status,date_identified,sex,exploitation,age,birth_year\n\
               V-1,IDENTIFIED,2024-03-05,F,SEX,34.0,1990.0\n\
               V-2,IDENTIFIED,2024-03-05,F,SEX,17,\n\
               V-3,IDENTIFIED,2024-03-05,F,SEX,\"40,00\",\n";
    let (recs, summary) = run(&d, "victim", csv.as_bytes()).unwrap();
    assert_eq!(recs[0].data["age"], 34);
    assert_eq!(recs[0].data["birth_year"], 1990);
    assert_eq!(recs[2].data["age"], 40);
    assert_eq!(
        summary.repairs,
        [
            Repair {
                row: 2,
                column: "age".into(),
                from: "34.0".into(),
                to: "34".into(),
                kind: RepairKind::WholeNumber
            },
            Repair {
                row: 2,
                column: "birth_year".into(),
                from: "1990.0".into(),
                to: "1990".into(),
                kind: RepairKind::WholeNumber
            },
            Repair {
                row: 4,
                column: "age".into(),
                from: "40,00".into(),
                to: "40".into(),
                kind: RepairKind::WholeNumber
            },
        ]
    );
    assert_eq!(summary.repairs_total, 3);
    let en = summary.render("en");
    assert!(
        en.contains("3 value(s) repaired")
            && en.contains("row 2, column age: “34.0” read as the whole number 34"),
        "{en}"
    );
    let fr = summary.render("fr");
    assert!(
        fr.contains("ligne 2, colonne age : « 34.0 » lu comme le nombre entier 34"),
        "{fr}"
    );
    // A decimal part that is not zero is still no whole number.
    let bad = "provider_ref,identification_status,date_identified,sex,exploitation,age\n\
               V-1,IDENTIFIED,2024-03-05,F,SEX,34.5\n";
    let report = refused(run(&d, "victim", bad.as_bytes()));
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.row == 2 && e.rule == "integer"),
        "{report}"
    );
}

#[test]
fn codes_whose_leading_zeros_were_dropped_are_restored_when_only_one_fits() {
    let d = base();
    let csv = "provider_ref,offence,stage,investigation_date\n\
               C-1,204,INVESTIGATION,2024-01-01\n\
               C-2,2041,INVESTIGATION,2024-01-01\n\
               C-3,204.0,INVESTIGATION,2024-01-01\n\
               C-4,0204,INVESTIGATION,2024-01-01\n";
    let (recs, summary) = run(&d, "cj_case", csv.as_bytes()).unwrap();
    let offences: Vec<&str> = recs
        .iter()
        .map(|r| r.data["offence"].as_str().unwrap())
        .collect();
    assert_eq!(offences, ["0204", "02041", "0204", "0204"]);
    let listed: Vec<(usize, &str, &str, RepairKind)> = summary
        .repairs
        .iter()
        .map(|r| (r.row, r.from.as_str(), r.to.as_str(), r.kind))
        .collect();
    assert_eq!(
        listed,
        [
            (2, "204", "0204", RepairKind::LeadingZeros),
            (3, "2041", "02041", RepairKind::LeadingZeros),
            (4, "204.0", "0204", RepairKind::LeadingZeros),
        ]
    );
    assert!(
        summary.render("en").contains(
            "row 2, column offence: “204” read as the code 0204 (leading zeros restored)"
        )
    );
    // A deployment whose list also has 00204: `204` could be either, so it is refused with
    // both as suggestions.
    let dir = tempfile::tempdir().unwrap();
    let ext = dir.path().join("xx.toml");
    std::fs::write(
        &ext,
        "[extension]\nid = \"xx\"\ncountry = \"CF\"\nextends = \"tessera\"\nbase_version = \"2026.1\"\n\
         label = { en = \"Test\", fr = \"Test\" }\n\n[[code]]\ncodelist = \"offence\"\ncode = \"00204\"\n\
         label = { en = \"Trafficking (national)\", fr = \"Traite (nationale)\" }\nmap = { iccs = \"0204\", protocol = \"TIP\" }\n",
    )
    .unwrap();
    let d = base().with_extension(&ext).unwrap();
    let report = refused(run(&d, "cj_case", csv.as_bytes()));
    let e = report
        .errors
        .iter()
        .find(|e| e.row == 2)
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!((e.column.as_str(), e.rule.as_str()), ("offence", "code"));
    assert!(e.message.contains("could be several codes"), "{e}");
    let suggestion = e.suggestion.as_deref().unwrap();
    assert!(
        suggestion.contains("0204 (Trafficking in persons)") && suggestion.contains("00204 ("),
        "{suggestion}"
    );
    // 2041 still has one match, and is not reported.
    assert!(!report.errors.iter().any(|e| e.row == 3), "{report}");
}

/// A file with a multi-line cell, a blank line and a quote inside an unquoted cell, problems on
/// spreadsheet rows 3, 5 and 8, written with line ends `eol` (also inside the quoted cells).
fn rows_file(eol: &str) -> String {
    [
        "provider_ref,identification_status,date_identified,sex,exploitation,given_name",
        &format!("V-1,IDENTIFIED,2024-01-02,F,SEX,\"Awa{eol}Marie\""),
        "V-2,IDENTIFIED,2024-01-02,Q,SEX,Jean",
        "",
        "V-3,IDENTIFIED,2024-13-02,F,SEX,x",
        &format!(
            "V-4,IDENTIFIED,2024-01-02,F,SEX,\"a \"\"quoted\"\"{eol}name{eol}on three lines\""
        ),
        "V-5,IDENTIFIED,2024-01-02,F,SEX,ab\"c",
        "V-6,IDENTIFIED,2024-01-02,F,SEXX,",
    ]
    .join(eol)
}

fn problem_rows(report: &tessera_intake::Report) -> Vec<(usize, String)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone()))
        .collect()
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them_whatever_the_line_ends() {
    let d = base();
    let expected = [
        (3, "sex".to_string()),
        (5, "date_identified".to_string()),
        (8, "exploitation".to_string()),
    ];
    for eol in ["\n", "\r\n", "\r"] {
        for trailing in [false, true] {
            let mut text = rows_file(eol);
            if trailing {
                text.push_str(eol);
            }
            let report = refused(run(&d, "victim", text.as_bytes()));
            assert_eq!(
                problem_rows(&report),
                expected,
                "{eol:?} {trailing}: {report}"
            );
            assert_eq!(report.rows_read, 6, "{eol:?}");
            // The same file from Windows-1252 Excel, with a `;`.
            let legacy = windows_1252(&text.replace(',', ";").replace("Awa", "Aïssatou"));
            let report = refused(run(&d, "victim", &legacy));
            assert_eq!(problem_rows(&report), expected, "{eol:?} 1252: {report}");
        }
    }
    // Every row right: the records keep their rows (messages about later rules use them).
    let good = "provider_ref,identification_status,date_identified,sex,exploitation\r\n\
                V-1,IDENTIFIED,2024-01-02,F,SEX\r\n\r\nV-2,IDENTIFIED,2024-01-02,F,SEX";
    let (recs, _) = run(&d, "victim", good.as_bytes()).unwrap();
    let rows: Vec<usize> = recs.iter().map(|r| r.source_row).collect();
    assert_eq!(rows, [2, 4]);
}

#[test]
fn dates_in_the_future_are_refused_with_a_clear_message() {
    let d = base();
    let today = date!(2026 - 06 - 30);
    let csv = "provider_ref,identification_status,date_identified,sex,exploitation,birth_date,birth_year\n\
               V-1,IDENTIFIED,2026-07-01,F,SEX,,\n\
               V-2,IDENTIFIED,2026-07-02,F,SEX,,\n\
               V-3,IDENTIFIED,2026-06-01,F,SEX,2026-08-01,\n\
               V-4,IDENTIFIED,2026-06-01,F,SEX,2027,\n\
               V-5,IDENTIFIED,2026-06-01,F,SEX,2026-07,\n\
               V-6,IDENTIFIED,2026-06-01,F,SEX,,2027\n";
    let report = refused(run_as_of(&d, "victim", csv.as_bytes(), Some(today), "en"));
    let future: Vec<(usize, &str)> = report
        .errors
        .iter()
        .filter(|e| e.rule == "future")
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    // Tomorrow (UTC) is already today east of Greenwich, so 1 July passes; a birth month is
    // compared as a month.
    assert_eq!(
        future,
        [
            (3, "date_identified"),
            (4, "birth_date"),
            (5, "birth_date"),
            (7, "birth_year")
        ],
        "{report}"
    );
    assert_eq!(report.errors.len(), 4, "{report}");
    let e = &report.errors[0];
    assert_eq!(e.value, "2026-07-02");
    assert!(
        e.message
            .contains("2026-07-02 is in the future (today is 2026-06-30)"),
        "{e}"
    );
    // The birth date is identifying: the report names the cell, never the value.
    assert!(report.errors[1].value.is_empty());
    assert!(!report.to_string().contains("2026-08-01"));
    let fr = refused(run_as_of(&d, "victim", csv.as_bytes(), Some(today), "fr"));
    assert!(
        fr.errors[0]
            .message
            .contains("2026-07-02 est dans le futur (nous sommes le 2026-06-30)"),
        "{fr}"
    );
    assert!(
        fr.errors[1]
            .message
            .contains("date de naissance est dans le futur")
    );
    // Criminal-justice dates too, and against the real clock when no day is given.
    let later = time::OffsetDateTime::now_utc().date() + time::Duration::days(400);
    let cj = format!(
        "provider_ref,offence,stage,investigation_date,prosecution_date,judgment_date,verdict\n\
         C-1,0204,JUDGMENT,2024-01-01,2024-02-01,{later},ACQUITTED\n"
    );
    let report = refused(run_as_of(&d, "cj_case", cj.as_bytes(), None, "en"));
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.row == 2 && e.column == "judgment_date" && e.rule == "future"),
        "{report}"
    );
}

/// LibreOffice, when installed, saves a workbook with a multi-line cell as CSV; the rows of that
/// file, with its line ends as LibreOffice wrote them and turned into CRLF and CR, are the rows
/// of the workbook. Skipped without LibreOffice unless TESSERA_REQUIRE_TOOLS or CI is set.
#[test]
fn a_csv_saved_by_libreoffice_keeps_its_row_numbers() {
    let installed = std::process::Command::new("libreoffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        let required =
            std::env::var_os("TESSERA_REQUIRE_TOOLS").is_some() || std::env::var_os("CI").is_some();
        assert!(
            !required,
            "LibreOffice is required here (TESSERA_REQUIRE_TOOLS or CI is set)"
        );
        eprintln!("LibreOffice is not installed: test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [[&str; 6]; 6] = [
        [
            "provider_ref",
            "identification_status",
            "date_identified",
            "sex",
            "exploitation",
            "given_name",
        ],
        ["V-1", "IDENTIFIED", "2024-01-02", "F", "SEX", "Awa\nMarie"],
        ["V-2", "IDENTIFIED", "2024-01-02", "Q", "SEX", "Jean"],
        [
            "V-3",
            "IDENTIFIED",
            "2024-01-02",
            "F",
            "SEX",
            "Line one\nline two\nline three",
        ],
        ["V-4", "IDENTIFIED", "2024-13-02", "F", "SEX", "Aïssatou"],
        ["V-5", "IDENTIFIED", "2024-01-02", "F", "SEXX", "x"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let xlsx = dir.path().join("victims.xlsx");
    wb.save(&xlsx).unwrap();
    let profile = format!(
        "-env:UserInstallation=file://{}/lo-profile",
        dir.path().display()
    );
    let out = std::process::Command::new("libreoffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&xlsx)
        .output()
        .unwrap();
    let Ok(csv) = std::fs::read(dir.path().join("victims.csv")) else {
        // LibreOffice without Calc (e.g. only libreoffice-writer) opens no workbook.
        let required =
            std::env::var_os("TESSERA_REQUIRE_TOOLS").is_some() || std::env::var_os("CI").is_some();
        assert!(
            !required,
            "LibreOffice wrote no CSV (is libreoffice-calc installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("LibreOffice cannot convert workbooks here (no Calc): test skipped");
        return;
    };
    // LibreOffice's default CSV filter need not write UTF-8 (7.4 writes ISO-8859-1): the reader
    // names the encoding it assumed, and the rows stay right.
    assert!(csv.windows(11).any(|w| w == b"\"Awa\nMarie\""), "{csv:?}");
    let d = base();
    let corrected = replace(
        &replace(&replace(&csv, b",Q,", b",F,"), b"2024-13-02", b"2024-12-02"),
        b"SEXX",
        b"SEX",
    );
    let (recs, summary) = run(&d, "victim", &corrected).unwrap();
    assert_eq!(recs.len(), 5);
    let utf8 = std::str::from_utf8(&csv).is_ok();
    assert_eq!(
        summary.encoding.is_some_and(|e| e.assumed()),
        !utf8,
        "{:?}",
        summary.encoding
    );
    let lf = replace(&csv, b"\r\n", b"\n");
    for (name, file) in [
        ("as saved", csv.clone()),
        ("CRLF", replace(&lf, b"\n", b"\r\n")),
        ("CR", replace(&lf, b"\n", b"\r")),
    ] {
        let report = refused(run(&d, "victim", &file));
        assert_eq!(
            problem_rows(&report),
            [
                (3, "sex".to_string()),
                (5, "date_identified".to_string()),
                (6, "exploitation".to_string())
            ],
            "{name}: {report}"
        );
    }
}

/// `haystack` with every `from` replaced by `to`.
fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// A CSV cell as a spreadsheet writes it: quoted when it holds a delimiter, a quote or a line end.
fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Whatever the line ends, blank lines, quotes and line breaks inside cells, each record
    /// comes back whole on the row a spreadsheet shows it on, in UTF-8 and in Windows-1252.
    #[test]
    fn every_record_keeps_its_cells_and_its_spreadsheet_row(
        records in proptest::collection::vec(
            (proptest::collection::vec("[aé\",\n\r ;x]{0,5}", 3), proptest::bool::ANY),
            1..30,
        ),
        eol in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
        trailing in proptest::bool::ANY,
        legacy in proptest::bool::ANY,
    ) {
        let mut text = format!("a,b,c{eol}");
        let mut expected = Vec::new();
        let mut row = 1;
        for (i, (cells, blank_before)) in records.iter().enumerate() {
            if *blank_before {
                text.push_str(eol);
                row += 1;
            }
            row += 1;
            expected.push((row, cells.clone()));
            text.push_str(&cells.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(","));
            if trailing || i + 1 < records.len() {
                text.push_str(eol);
            }
        }
        let bytes = if legacy { windows_1252(&text) } else { text.into_bytes() };
        let table = tessera_intake::open_table(
            Box::new(std::io::Cursor::new(bytes)),
            "p.csv",
            "victim",
            Limits::default(),
            "en",
        )
        .unwrap();
        let mut got = Vec::new();
        for r in table.rows {
            match r {
                tessera_intake::TableRow::Cells(row, cells) => {
                    got.push((row, cells.iter().map(str::to_string).collect::<Vec<_>>()));
                }
                tessera_intake::TableRow::Bad(e) => panic!("{e}"),
            }
        }
        let rows: Vec<usize> = got.iter().map(|(r, _)| *r).collect();
        let want: Vec<usize> = expected.iter().map(|(r, _)| *r).collect();
        proptest::prop_assert_eq!(rows, want);
        if !legacy {
            // A legacy file's accents depend on the encoding guessed from a few bytes.
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
