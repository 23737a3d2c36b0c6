//! Provider-side pseudonymisation: the file that leaves the office holds no identifier, and
//! importing it gives exactly the records (and pseudonyms) the file in clear would have given.

use tessera_dictionary::Dictionary;
use tessera_intake::{IntakeError, Limits, PSEUDONYMS_COLUMN, pseudonymise};
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
    // No identifier, no token; other cells as written (a formula neutralised).
    assert!(rows[1].ends_with(','), "{}", rows[1]);
    assert!(rows[1].contains("04/05/2025"));
    assert!(rows[2].starts_with("'=SUM(A1),"), "{}", rows[2]);
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
