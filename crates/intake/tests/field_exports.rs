//! KoboToolbox and ODK Central exports import as they come, in the servers' default settings:
//! labels (in any language of the dictionary) or names as headers, group paths in front of them,
//! `select_multiple` answers as one column, as one 0/1 column per choice, or both; submissions
//! the server's review rejected are left out and listed. The files under `tests/data/field/`
//! are written by hand after the servers' documented export formats (Kobo: `;`-separated,
//! quoted, metadata `_id`, `_uuid`, `_submission_time`, `_validation_status`, …; Central:
//! `SubmissionDate` first, groups joined with `-`, `KEY`, `SubmitterID`, …, `ReviewState`).

use tessera_dictionary::Dictionary;
use tessera_intake::{
    FieldServer, ImportOptions, ImportSummary, IntakeError, IntakeRecord, Limits, validate_stream,
};
use tessera_pseudonym::{KeyedEncoder, Secret};
use time::macros::date;

fn base() -> Dictionary {
    Dictionary::base().unwrap()
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/field/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Reads `bytes` as the upload and the API do: no `--odk`, the export recognised by its header.
fn read(
    d: &Dictionary,
    bytes: &[u8],
    name: &str,
    odk: bool,
) -> Result<(Vec<IntakeRecord>, ImportSummary), IntakeError> {
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap());
    let mut records = Vec::new();
    let opts = ImportOptions {
        odk,
        as_of: Some(date!(2026 - 06 - 30)),
        ..ImportOptions::default()
    };
    let summary = validate_stream(
        d,
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        name,
        Limits::default(),
        "en",
        &opts,
        &mut |chunk| {
            records.extend(chunk);
            true
        },
    )?;
    Ok((records, summary))
}

fn accepted(
    r: Result<(Vec<IntakeRecord>, ImportSummary), IntakeError>,
) -> (Vec<IntakeRecord>, ImportSummary) {
    match r {
        Ok(x) => x,
        Err(IntakeError::Invalid(report)) => panic!("refused:\n{report}"),
        Err(e) => panic!("unreadable: {e}"),
    }
}

fn by_ref<'a>(recs: &'a [IntakeRecord], r: &str) -> &'a IntakeRecord {
    recs.iter()
        .find(|x| x.provider_ref == r)
        .unwrap_or_else(|| panic!("no record {r}"))
}

fn codes(rec: &IntakeRecord, var: &str) -> Vec<String> {
    rec.data[var]
        .as_array()
        .unwrap_or_else(|| panic!("{var} is not a list: {:?}", rec.data))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_kobo_export_with_labels_as_headers_and_both_kinds_of_choice_columns_imports() {
    let d = base();
    let bytes = data("kobo-labels-default.csv");
    // The same with and without --odk: the export is known by its columns.
    for odk in [false, true] {
        let (recs, summary) = accepted(read(&d, &bytes, "kobo.csv", odk));
        assert_eq!(recs.len(), 2, "two rows are not approved");
        let awa = by_ref(&recs, "odk-5f0c2d1e-8a3b-4c61-9d0e-1b2a3c4d5e6f");
        assert_eq!(awa.data["identification_status"], "IDENTIFIED");
        assert_eq!(awa.data["sex"], "F");
        assert_eq!(awa.data["age"], 17);
        assert_eq!(awa.data["cross_border"], true);
        // "Sexual exploitation Forced labour or services": labels joined by spaces.
        assert_eq!(codes(awa, "exploitation"), ["SEX", "LAB"]);
        assert!(awa.pseudonyms.is_some(), "names and birth date are encoded");
        assert!(!awa.data.contains_key("given_name"));
        let second = by_ref(&recs, "odk-6a1d3e2f-9b4c-4d72-8e1f-2c3b4d5e6f70");
        assert_eq!(codes(second, "exploitation"), ["DOM"]);
        assert_eq!(second.data["cross_border"], false);
        // Not approved and on hold: left out, listed with their row and state. The rejected
        // row (row 4) holds no date or sex and is not reported as a problem.
        assert_eq!(summary.skipped_total, 2);
        let left: Vec<(usize, &str, FieldServer)> = summary
            .skipped
            .iter()
            .map(|s| (s.row, s.state.as_str(), s.server))
            .collect();
        assert_eq!(
            left,
            [
                (4, "Not Approved", FieldServer::Kobo),
                (5, "On Hold", FieldServer::Kobo)
            ]
        );
        let notes = summary.render("en");
        assert!(
            notes.contains("2 field submission(s) not imported")
                && notes.contains("row 4, column _validation_status")
                && notes.contains("“Not Approved” in KoboToolbox"),
            "{notes}"
        );
        let fr = summary.render("fr");
        assert!(fr.contains("non importée"), "{fr}");
        assert_eq!(summary.records, 2);
        assert_eq!(summary.rows, 4);
    }
}

#[test]
fn a_kobo_export_with_french_labels_reads_like_the_english_one() {
    let d = base();
    let text = "\"start\";\"end\";\"provider_ref\";\"Statut d'identification\";\"Date d'identification\";\"Sexe\";\"Formes d'exploitation\";\"Formes d'exploitation/Exploitation sexuelle\";\"Formes d'exploitation/Travail ou services forcés\";\"Traite transfrontalière\";\"_id\";\"_uuid\";\"_submission_time\";\"_validation_status\";\"_index\"\r\n\
        \"2025-03-14T09:12:03.120+01:00\";\"2025-03-14T09:20:44.502+01:00\";\"odk-1\";\"Victime identifiée\";\"2025-03-14\";\"Féminin\";\"Exploitation sexuelle Travail ou services forcés\";\"1\";\"1\";\"Oui\";\"1\";\"u-1\";\"2025-03-14T08:21:10\";\"\";\"1\"\r\n";
    let (recs, summary) = accepted(read(&d, text.as_bytes(), "kobo-fr.csv", false));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].data["identification_status"], "IDENTIFIED");
    assert_eq!(recs[0].data["sex"], "F");
    assert_eq!(recs[0].data["cross_border"], true);
    assert_eq!(codes(&recs[0], "exploitation"), ["SEX", "LAB"]);
    assert_eq!(summary.skipped_total, 0);
}

#[test]
fn a_kobo_export_with_group_names_and_separate_choice_columns_only_imports() {
    let d = base();
    let (recs, summary) = accepted(read(
        &d,
        &data("kobo-xml-groups-separate.csv"),
        "kobo-xml.csv",
        false,
    ));
    assert_eq!(recs.len(), 2);
    let first = by_ref(&recs, "odk-91a0b1c2-d3e4-4f50-8617-28394a5b6c7d");
    assert_eq!(first.data["sex"], "F");
    assert_eq!(first.data["age"], 15);
    assert_eq!(codes(first, "exploitation"), ["SEX", "BEG"]);
    let third = by_ref(&recs, "odk-b3c2d4e5-f6a7-4b82-8c39-4d5e6f7a8b9c");
    assert_eq!(codes(third, "exploitation"), ["LAB", "DOM"]);
    assert_eq!(summary.skipped_total, 1);
    assert_eq!(summary.skipped[0].row, 3);
    assert_eq!(summary.skipped[0].state, "validation_status_not_approved");
}

#[test]
fn a_choice_column_holding_something_else_than_0_or_1_is_reported_on_its_row() {
    let d = base();
    let text = String::from_utf8(data("kobo-xml-groups-separate.csv"))
        .unwrap()
        .replacen(";\"1\";\"0\";\"0\";\"1\";", ";\"1\";\"x\";\"0\";\"1\";", 1);
    match read(&d, text.as_bytes(), "kobo-xml.csv", false) {
        Err(IntakeError::Invalid(report)) => {
            assert_eq!(report.errors.len(), 1, "{report}");
            let e = &report.errors[0];
            assert_eq!(
                (e.row, e.column.as_str(), e.rule.as_str()),
                (2, "group_exploitation/exploitation/LAB", "choice")
            );
        }
        other => panic!("accepted: {:?}", other.map(|(r, _)| r.len())),
    }
}

#[test]
fn an_odk_central_export_leaves_out_rejected_submissions_and_counts_them() {
    let d = base();
    let bytes = data("central-review-states.csv");
    for odk in [false, true] {
        let (recs, summary) = accepted(read(&d, &bytes, "central.csv", odk));
        // Row 4 is rejected (and full of errors, which do not matter), row 5 has issues.
        let refs: Vec<&str> = recs.iter().map(|r| r.provider_ref.as_str()).collect();
        assert_eq!(
            refs,
            [
                "odk-0d1e2f30-4152-4637-8849-5a6b7c8d9e0f",
                "odk-1e2f3041-5263-4748-9950-6b7c8d9e0f1a",
                "odk-41526374-8596-4a7b-8c83-9e0f1a2b3c4d"
            ]
        );
        assert_eq!(codes(&recs[0], "exploitation"), ["SEX", "LAB"]);
        assert_eq!(recs[0].data["cross_border"], true);
        assert_eq!(recs[0].data["age"], 19);
        let left: Vec<(usize, &str)> = summary
            .skipped
            .iter()
            .map(|s| (s.row, s.state.as_str()))
            .collect();
        assert_eq!(left, [(4, "rejected"), (5, "hasIssues")]);
        assert!(
            summary
                .render("en")
                .contains("review state “rejected” in ODK Central"),
            "{}",
            summary.render("en")
        );
    }
}

#[test]
fn an_odk_central_export_with_split_choices_and_no_reference_column_uses_the_instance_id() {
    let d = base();
    let text = "SubmissionDate,victim-identification_status,victim-date_identified,victim-sex,victim-exploitation/SEX,victim-exploitation/LAB,meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n\
        2025-04-02T09:14:55.123Z,IDENTIFIED,2025-04-01,F,1,0,uuid:0d1e2f30,uuid:0d1e2f30,12,Collecte,0,0,,approved,collect:Xy,0,1\n";
    let (recs, _) = accepted(read(&d, text.as_bytes(), "central.csv", false));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].provider_ref, "0d1e2f30");
    assert_eq!(codes(&recs[0], "exploitation"), ["SEX"]);
}

#[test]
fn a_kobo_xlsx_export_imports_like_its_csv() {
    let d = base();
    // Kobo's XLSX export in default settings: one sheet named after the form, labels as
    // headers, dates as dates and numbers as numbers.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Tessera — Victim of trafficking").unwrap();
    let header = [
        "start",
        "end",
        "provider_ref",
        "Identification status",
        "Date of identification",
        "Sex",
        "Age at identification",
        "Forms of exploitation",
        "Forms of exploitation/Sexual exploitation",
        "Forms of exploitation/Forced labour or services",
        "Given name(s)",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_index",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 14).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, (reference, status)) in [("odk-x1", ""), ("odk-x2", "Not Approved")]
        .iter()
        .enumerate()
    {
        let r = 1 + r as u32;
        ws.write_string(r, 0, "2025-03-14T09:12:03.120+01:00")
            .unwrap();
        ws.write_string(r, 1, "2025-03-14T09:20:44.502+01:00")
            .unwrap();
        ws.write_string(r, 2, *reference).unwrap();
        ws.write_string(r, 3, "Identified victim").unwrap();
        ws.write_datetime_with_format(r, 4, &day, &fmt).unwrap();
        ws.write_string(r, 5, "Female").unwrap();
        ws.write_number(r, 6, 17.0).unwrap();
        ws.write_string(r, 7, "Sexual exploitation").unwrap();
        ws.write_number(r, 8, 1.0).unwrap();
        ws.write_number(r, 9, 0.0).unwrap();
        ws.write_string(r, 10, "Awa").unwrap();
        ws.write_number(r, 11, 312045.0 + f64::from(r)).unwrap();
        ws.write_string(r, 12, "5f0c2d1e").unwrap();
        ws.write_string(r, 13, "2025-03-14T08:21:10").unwrap();
        ws.write_string(r, 14, *status).unwrap();
        ws.write_number(r, 15, f64::from(r)).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let (recs, summary) = accepted(read(&d, &bytes, "kobo.xlsx", false));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].data["date_identified"], "2025-03-14");
    assert_eq!(recs[0].data["age"], 17);
    assert_eq!(codes(&recs[0], "exploitation"), ["SEX"]);
    assert_eq!(summary.skipped_total, 1);
    assert_eq!(summary.skipped[0].row, 3);
}

#[test]
fn an_unknown_label_is_named_and_a_plain_file_keeps_its_strict_header() {
    let d = base();
    let text = "\"provider_ref\";\"Identification status\";\"Date of identification\";\"Sex\";\"Forms of exploitation\";\"Favourite colour\";\"_uuid\"\r\n\
        \"r1\";\"Identified victim\";\"2025-03-14\";\"Female\";\"Sexual exploitation\";\"blue\";\"u1\"\r\n";
    match read(&d, text.as_bytes(), "kobo.csv", false) {
        Err(IntakeError::Invalid(report)) => {
            assert!(
                report.errors.iter().any(|e| e.column == "Favourite colour"
                    && e.message.contains("no variable “Favourite colour”")),
                "{report}"
            );
        }
        other => panic!("accepted: {:?}", other.map(|(r, _)| r.len())),
    }
    // Outside field exports, group paths are not dropped: `group/sex` is no column.
    let plain = "provider_ref,identification_status,date_identified,group/sex,exploitation\nr1,IDENTIFIED,2025-03-14,F,SEX\n";
    match read(&d, plain.as_bytes(), "plain.csv", false) {
        Err(IntakeError::Invalid(report)) => {
            assert!(
                report.errors.iter().any(|e| e.column == "group/sex"),
                "{report}"
            );
        }
        other => panic!("accepted: {:?}", other.map(|(r, _)| r.len())),
    }
    // A plain file may use labels as headers too.
    let labels = "Provider's own reference,Identification status,Date of identification,Sex,Forms of exploitation\nr1,IDENTIFIED,2025-03-14,F,SEX;LAB\n";
    let (recs, _) = accepted(read(&d, labels.as_bytes(), "labels.csv", false));
    assert_eq!(codes(&recs[0], "exploitation"), ["SEX", "LAB"]);
}
