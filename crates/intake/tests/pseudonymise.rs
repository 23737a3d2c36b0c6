//! Provider-side pseudonymisation: the file that leaves the office holds no identifier, and
//! importing it gives exactly the records (and pseudonyms) the file in clear would have given.

use tessera_dictionary::Dictionary;
use tessera_intake::{IntakeError, Limits, PSEUDONYMS_COLUMN, pseudonymise, read_csv};
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Pseudonyms, Secret};

fn setup() -> (Dictionary, KeyedEncoder) {
    let d = Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap();
    (d, KeyedEncoder::new(&Secret::from_bytes(&[4; 32]).unwrap()))
}

const CLEAR: &str = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name,birth_date,id_number\n\
P-1,IDENTIFIED,2025-03-04,F,Cameroun,SEX,Aïssatou,Mahamat,2008-01-02,CF-889911\n\
P-2,PRESUMED,04/05/2025,M,CF,LAB,,,,\n\
=SUM(A1),IDENTIFIED,2025-06-07,F,CF,SEX,Odette,Zanga,1990,\n";

fn run(d: &Dictionary, e: &KeyedEncoder, csv: &str) -> Result<(String, usize), IntakeError> {
    let mut out = Vec::new();
    let s = pseudonymise(
        d,
        "victim",
        e,
        Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
        "clear.csv",
        Limits::default(),
        "en",
        &mut out,
    )?;
    Ok((String::from_utf8(out).unwrap(), s.encoded))
}

#[test]
fn the_file_that_leaves_the_office_holds_no_identifier() {
    let (d, e) = setup();
    let (out, encoded) = run(&d, &e, CLEAR).unwrap();
    assert_eq!(encoded, 2);
    for clear in [
        "Aïssatou",
        "Mahamat",
        "Odette",
        "Zanga",
        "2008-01-02",
        "CF-889911",
        "889911",
    ] {
        assert!(!out.contains(clear), "{clear} left the office: {out}");
    }
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,{PSEUDONYMS_COLUMN}"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3);
    // The token is the encoder's own output for those identifiers.
    let token = rows[0].rsplit(',').next().unwrap();
    let expected = e.encode(&Identifiers {
        given_name: Some("Aïssatou"),
        family_name: Some("Mahamat"),
        birth_date: Some("2008-01-02"),
        id_number: Some("CF-889911"),
        ..Default::default()
    });
    assert_eq!(Pseudonyms::from_token(token).unwrap(), expected);
    // No identifier, no token; other cells exactly as written.
    assert!(rows[1].ends_with(','), "{}", rows[1]);
    assert!(rows[1].contains("04/05/2025"));
    assert!(rows[2].starts_with("=SUM(A1),"), "{}", rows[2]);
    // And another secret gives other tokens: the file is useless without the deployment's.
    let other = KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap());
    let (out2, _) = run(&d, &other, CLEAR).unwrap();
    assert_ne!(out, out2);
}

#[test]
fn a_bad_birth_date_is_reported_by_row_and_column_without_repeating_it() {
    let (d, e) = setup();
    let bad = CLEAR.replace("2008-01-02", "xx/yy/zzzz");
    match run(&d, &e, &bad) {
        Err(IntakeError::Invalid(report)) => {
            let err = &report.errors[0];
            assert_eq!((err.row, err.column.as_str()), (2, "birth_date"));
            assert!(!report.render("en").contains("xx/yy/zzzz"));
        }
        other => panic!("accepted: {other:?}"),
    }
    // A file pseudonymised twice is refused rather than doubled.
    let (once, _) = run(&d, &e, CLEAR).unwrap();
    assert!(matches!(run(&d, &e, &once), Err(IntakeError::Invalid(_))));
}

#[test]
fn importing_the_pseudonymised_file_gives_the_records_of_the_clear_one() {
    let (d, e) = setup();
    let (out, _) = run(&d, &e, CLEAR).unwrap();
    let clear = read_csv(&d, "victim", &e, CLEAR.as_bytes(), "clear.csv").unwrap();
    let encoded = read_csv(&d, "victim", &e, out.as_bytes(), "encoded.csv").unwrap();
    assert_eq!(clear.records.len(), encoded.records.len());
    for (a, b) in clear.records.iter().zip(&encoded.records) {
        assert_eq!(a.provider_ref, b.provider_ref);
        assert_eq!(a.data, b.data, "row {}", a.source_row);
        assert_eq!(a.pseudonyms, b.pseudonyms, "row {}", a.source_row);
    }
    assert!(encoded.records[0].pseudonyms.is_some());
    assert_eq!(encoded.records[0].data["birth_year"], 2008);
    // A damaged token, or a token beside names in clear, is refused by row and column.
    let damaged = out.replacen("tsp1.", "tsp1.@", 1);
    match read_csv(&d, "victim", &e, damaged.as_bytes(), "x.csv") {
        Err(IntakeError::Invalid(r)) => {
            assert_eq!(
                (r.errors[0].row, r.errors[0].column.as_str()),
                (2, PSEUDONYMS_COLUMN)
            );
        }
        other => panic!("accepted: {other:?}"),
    }
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines[0] = format!("{},given_name", lines[0]);
    for l in &mut lines[1..] {
        l.push_str(",Awa");
    }
    let both = lines.join("\n");
    match read_csv(&d, "victim", &e, both.as_bytes(), "x.csv") {
        Err(IntakeError::Invalid(r)) => {
            assert!(
                r.errors
                    .iter()
                    .any(|x| x.rule == "pseudonyms" && x.row == 2)
            );
        }
        other => panic!("accepted: {other:?}"),
    }
}
