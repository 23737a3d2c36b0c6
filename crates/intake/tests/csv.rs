use tessera_dictionary::Dictionary;
use tessera_intake::{IntakeError, neutralise_formula, read_csv};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn setup() -> (Dictionary, KeyedEncoder) {
    let d = Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap();
    (d, KeyedEncoder::new(&Secret::from_bytes(&[1; 32]).unwrap()))
}

#[test]
fn valid_file_with_labels_in_french_is_coded_and_names_are_dropped() {
    let (d, e) = setup();
    let csv = "\u{feff}Référence [provider_ref],identification_status,date_identified,sex,age,citizenship,exploitation,cross_border,country_of_origin,country_of_exploitation,given_name,family_name,birth_date,region_identified\n\
               V-1,Victime identifiée,05/03/2024,Féminin,16,Cameroun;CF,SEX|MIL_ARMED,oui,CM,CF,Aïssatou,Mahamat,2008-01-02,Bangui\n\
               V-2,PRESUMED,2024-03-06,M,,CF,LAB,non,CF,CF,,,,\n";
    let batch = read_csv(&d, "victim", &e, csv.as_bytes(), "t.csv").unwrap();
    assert_eq!(batch.records.len(), 2);
    let r = &batch.records[0];
    assert_eq!(r.provider_ref, "V-1");
    assert_eq!(r.data["identification_status"], "IDENTIFIED");
    assert_eq!(r.data["date_identified"], "2024-03-05");
    assert_eq!(r.data["sex"], "F");
    assert_eq!(r.data["citizenship"], serde_json::json!(["CM", "CF"]));
    assert_eq!(
        r.data["exploitation"],
        serde_json::json!(["SEX", "MIL_ARMED"])
    );
    assert_eq!(r.data["age_band"], "12-17");
    assert_eq!(r.data["birth_year"], 2008);
    assert_eq!(r.data["region_identified"], "CF-BGF");
    let json = serde_json::to_string(&r.data).unwrap();
    assert!(
        !json.to_lowercase().contains("mahamat") && !json.contains("2008-01-02"),
        "{json}"
    );
    assert!(r.pseudonyms.is_some());
    assert!(batch.records[1].pseudonyms.is_none());
    assert_eq!(batch.dictionary_version, "2026.1+cf");
}

#[test]
fn every_bad_cell_is_reported_with_row_column_and_suggestion() {
    let (d, e) = setup();
    let csv = "provider_ref,identification_status,date_identified,sex,age,birth_year,citizenship,exploitation,cross_border,country_of_origin,country_of_exploitation\n\
               V-1,IDENTIFIED,31/02/2024,F,16,2008,CM,SEX,,,\n\
               V-2,IDENTIFIED,2024-01-01,F,200,,Camerun,SEX,,,\n\
               V-3,IDENTIFIED,2024-01-01,F,30,1960,CF,SEX,,,\n\
               V-4,IDENTIFIED,2024-01-01,F,30,,CF,,yes,CF,CF\n\
               V-4,IDENTIFIED,2024-01-01,Q,30,,CF,SEX,,,\n";
    let IntakeError::Invalid(report) =
        read_csv(&d, "victim", &e, csv.as_bytes(), "t.csv").unwrap_err()
    else {
        panic!()
    };
    let find = |row: usize, rule: &str| {
        report
            .errors
            .iter()
            .find(|x| x.row == row && x.rule == rule)
            .unwrap_or_else(|| panic!("no {rule} on row {row}: {report}"))
    };
    assert_eq!(find(2, "date").column, "date_identified");
    assert_eq!(find(3, "range").value, "200");
    let code = find(3, "code");
    assert_eq!(code.column, "citizenship");
    assert!(
        code.suggestion.as_deref().unwrap().starts_with("CM"),
        "{code:?}"
    );
    assert!(find(4, "age_birth_year").message.contains("1960"));
    assert_eq!(find(5, "required").column, "exploitation");
    assert!(
        report
            .errors
            .iter()
            .any(|x| x.row == 6 && x.column == "sex")
    );
    assert!(report.to_string().contains("row 3, column citizenship"));
}

#[test]
fn cross_field_rules_and_cj_requirements_hold() {
    let (d, e) = setup();
    let csv = "provider_ref,offence,stage,investigation_date,prosecution_date,judgment_date,verdict,sentence_months\n\
               C-1,0204,JUDGMENT,2023-01-01,,2023-06-01,CONVICTED,24\n\
               C-2,0204,JUDGMENT,2023-05-01,2023-01-01,2023-06-01,ACQUITTED,\n\
               C-3,0204,JUDGMENT,2023-01-01,2023-02-01,2023-06-01,ACQUITTED,12\n\
               C-4,08051,JUDGMENT,2023-01-01,2023-02-01,2023-06-01,CONVICTED,12\n";
    let IntakeError::Invalid(report) =
        read_csv(&d, "cj_case", &e, csv.as_bytes(), "t.csv").unwrap_err()
    else {
        panic!()
    };
    assert!(
        report
            .errors
            .iter()
            .any(|x| x.row == 2 && x.rule == "requires" && x.message.contains("prosecution_date")),
        "{report}"
    );
    assert!(
        report
            .errors
            .iter()
            .any(|x| x.row == 3 && x.rule == "date_order"),
        "{report}"
    );
    assert!(
        report
            .errors
            .iter()
            .any(|x| x.row == 4 && x.rule == "requires" && x.message.contains("CONVICTED")),
        "{report}"
    );
    assert!(!report.errors.iter().any(|x| x.row == 5), "{report}");
}

#[test]
fn bad_files_are_refused_with_a_clear_reason() {
    let (d, e) = setup();
    // A UTF-8 file with one stray byte of another encoding: that row is refused, by number.
    let mixed = b"provider_ref,offence,stage,investigation_date\nC-1,Traite des personnes,INVESTIGATION,2024-01-01\nC-\xc3\xa9,0204,INVESTIGATION,2024-01-01\nC-3,0204,INVESTIGATION \xe0,2024-01-01\n";
    let err = read_csv(&d, "cj_case", &e, &mixed[..], "l.csv")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 4") && err.contains("not UTF-8 text") && !err.contains("row 3"),
        "{err}"
    );
    let err = read_csv(
        &d,
        "cj_case",
        &e,
        "provider_ref,colour\nC-1,red\n".as_bytes(),
        "x.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("refused"), "{err}");
    let IntakeError::Invalid(r) = read_csv(
        &d,
        "cj_case",
        &e,
        "provider_ref,colour\nC-1,red\n".as_bytes(),
        "x.csv",
    )
    .unwrap_err() else {
        panic!()
    };
    assert!(
        r.errors
            .iter()
            .any(|x| x.message.contains("unknown column"))
    );
    assert!(
        r.errors
            .iter()
            .any(|x| x.message.contains("required column “offence” is missing"))
    );
    assert!(matches!(
        read_csv(&d, "nope", &e, "a\n".as_bytes(), "x.csv"),
        Err(IntakeError::UnknownEntity(_))
    ));
}

#[test]
fn formulas_are_neutralised_for_export() {
    assert_eq!(
        neutralise_formula("=cmd|' /C calc'!A0"),
        "'=cmd|' /C calc'!A0"
    );
    assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(neutralise_formula("-12"), "-12");
    assert_eq!(neutralise_formula("Bangui"), "Bangui");
}
