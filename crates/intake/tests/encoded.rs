//! The stored form written straight from the cells (`validate_stream_encoded`, what imports use)
//! is byte for byte the JSON of the record map that `validate_stream` builds.

use tessera_dictionary::Dictionary;
use tessera_intake::{
    EncodedRecord, ImportOptions, IntakeRecord, Limits, validate_stream, validate_stream_encoded,
};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn both(csv: &str) -> (Vec<IntakeRecord>, Vec<EncodedRecord>) {
    let d = Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap();
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap());
    let opts = ImportOptions::default();
    let mut records = Vec::new();
    validate_stream(
        &d,
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
        "t.csv",
        Limits::default(),
        "fr",
        &opts,
        &mut |c| {
            records.extend(c);
            true
        },
    )
    .unwrap();
    let mut encoded = Vec::new();
    validate_stream_encoded(
        &d,
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
        "t.csv",
        Limits::default(),
        "fr",
        &opts,
        &mut |c| {
            encoded.extend(c);
            true
        },
    )
    .unwrap();
    (records, encoded)
}

#[test]
fn encoded_records_are_the_json_of_the_record_maps() {
    let csv = "provider_ref,identification_status,date_identified,region_identified,sex,age,age_band,birth_year,citizenship,country_of_origin,country_of_exploitation,cross_border,exploitation,vulnerabilities,referred_to_assistance,given_name,family_name,birth_date\n\
        B-1,Victime présumée,03/09/2023,Bangui,Féminin,15,,,CF,TD,CF,oui,MIL_ARMED,,1,Clarisse,Ndoba,2008-07-03\n\
        \"q\"\"uote\\back\",IDENTIFIED,2022-01-27,CF-BGF,F,11,,,SD;Cameroun,CM,CM,non,SEX|LAB,IDP;POVERTY;IDP,0,Aïcha,Yakité,2011\n\
        \"tab\there\nnewline é ✓ </x>\",PRESUMED,0001-01-01,,M,,,1990,CF,CF,CF,non,\"Exploitation sexuelle\",,,,,\n\
        B-4,PRESUMED,2024-02-29,,M,40,,,CF,CF,CF,0,LAB,,vrai,Jean,,1984-01\n\
        B-5,PRESUMED,9.3.2021,,M,,12-17,,,,,,LAB,,,,,\n";
    let (records, encoded) = both(csv);
    assert_eq!(records.len(), 5);
    assert_eq!(encoded.len(), 5);
    for (r, e) in records.iter().zip(&encoded) {
        assert_eq!(serde_json::to_string(&r.data).unwrap(), e.json);
        assert_eq!(r.provider_ref, e.provider_ref);
        assert_eq!(r.pseudonyms, e.pseudonyms);
        assert_eq!(r.source_row, e.source_row);
        assert_eq!(
            r.data.get("birth_year").and_then(serde_json::Value::as_i64),
            e.birth_year
        );
    }
    // The escapes and the derived values are really there.
    assert!(
        encoded[1]
            .json
            .contains(r#""provider_ref":"q\"uote\\back""#)
    );
    assert!(
        encoded[2]
            .json
            .contains(r#""provider_ref":"tab\there\nnewline é ✓ </x>""#)
    );
    assert!(
        encoded[2]
            .json
            .contains(r#""date_identified":"0001-01-01""#)
    );
    assert!(
        encoded[0]
            .json
            .contains(r#""age_band":"12-17","birth_year":2008"#)
    );
    assert!(encoded[1].json.contains(r#""citizenship":["SD","CM"]"#));
}
