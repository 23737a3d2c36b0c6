//! Property tests run in CI beside the cargo-fuzz targets (fuzz/): whatever bytes arrive, the
//! readers answer with records or a report, never a panic.

use proptest::prelude::*;
use tessera_dictionary::Dictionary;
use tessera_intake::template::xlsx_template;
use tessera_intake::{
    ImportOptions, IntakeError, Limits, validate_stream, validate_stream_encoded,
};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn run(d: &Dictionary, data: Vec<u8>, odk: bool) -> Result<usize, String> {
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[2; 32]).unwrap());
    let limits = Limits {
        max_bytes: 1 << 20,
        max_unzipped_bytes: 8 << 20,
        ..Limits::default()
    };
    let opts = ImportOptions {
        odk,
        ..ImportOptions::default()
    };
    // Both forms of the records agree: the stored JSON written from the cells is what serde_json
    // writes for the record's map.
    let mut records = Vec::new();
    let mut encoded = Vec::new();
    let encoded_result = validate_stream_encoded(
        d,
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(data.clone())),
        "p",
        limits,
        "en",
        &opts,
        &mut |chunk| {
            encoded.extend(chunk);
            true
        },
    );
    let result = validate_stream(
        d,
        "victim",
        &enc,
        Box::new(std::io::Cursor::new(data)),
        "p",
        limits,
        "en",
        &opts,
        &mut |chunk| {
            records.extend(chunk);
            true
        },
    );
    assert_eq!(
        format!("{encoded_result:?}"),
        format!("{result:?}"),
        "both forms give the same outcome"
    );
    assert_eq!(records.len(), encoded.len());
    for (r, e) in records.iter().zip(&encoded) {
        assert_eq!(serde_json::to_string(&r.data).unwrap(), e.json);
        assert_eq!(r.provider_ref, e.provider_ref);
        assert_eq!(r.pseudonyms, e.pseudonyms);
        assert_eq!(
            r.data.get("birth_year").and_then(serde_json::Value::as_i64),
            e.birth_year
        );
    }
    match result {
        Ok(s) => Ok(s.records),
        Err(IntakeError::Invalid(r)) => {
            // Every problem is located and explained.
            assert!(
                r.errors
                    .iter()
                    .all(|e| !e.message.is_empty() && !e.rule.is_empty())
            );
            Err(r.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

fn dict() -> &'static Dictionary {
    static D: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
    D.get_or_init(|| Dictionary::base().unwrap())
}

const GOOD: &str = "provider_ref,identification_status,date_identified,sex,exploitation,age,citizenship,given_name,birth_date\nV-1,IDENTIFIED,2024-01-02,F,SEX,17,CF,Awa,2007-01-01\nV-2,PRESUMED,03/04/2024,Masculin,LAB;DOM,30,Cameroun,Jean,1994\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..3000), odk in any::<bool>()) {
        let d = dict();
        let _ = run(d, data, odk);
    }

    #[test]
    fn mutated_csv(pos in proptest::collection::vec((0usize..400, any::<u8>()), 1..8)) {
        let d = dict();
        let mut bytes = GOOD.as_bytes().to_vec();
        for (p, b) in pos {
            let i = p % bytes.len();
            bytes[i] = b;
        }
        let _ = run(d, bytes, false);
    }

    #[test]
    fn mutated_xlsx(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
        let d = dict();
        let mut bytes = xlsx_template(d, "NGO", "en").unwrap();
        for (p, b) in flips {
            let i = p % bytes.len();
            bytes[i] ^= b;
        }
        if cut % 3 == 0 {
            bytes.truncate(cut % bytes.len().max(1));
        }
        let _ = run(d, bytes, false);
    }
}

#[test]
fn the_unmutated_inputs_are_accepted() {
    let d = dict();
    assert_eq!(run(d, GOOD.as_bytes().to_vec(), false), Ok(2));
    // An empty template is a valid file with no rows... except that its sheet has no data rows.
    let t = xlsx_template(d, "NGO", "en").unwrap();
    assert_eq!(run(d, t, false), Ok(0));
}

/// Found by `mutated_xlsx`: a cell reference with absurdly many column letters made the workbook
/// parser overflow and panic. It is a refused file now.
#[test]
fn a_corrupt_cell_reference_is_a_refused_file_not_a_panic() {
    use std::io::{Read, Write};
    let d = dict();
    let template = xlsx_template(d, "NGO", "en").unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(template)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut changed = 0;
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name.starts_with("xl/worksheets/sheet") {
            let text = String::from_utf8(data).unwrap();
            let bad = text.replace("r=\"A1\"", "r=\"ZZZZZZZZZZZZZZZZ1\"");
            changed += usize::from(bad != text);
            data = bad.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    assert!(changed > 0, "the template has cell references to corrupt");
    let bytes = out.finish().unwrap().into_inner();
    let got = run(d, bytes, false);
    assert!(got.is_err(), "{got:?}");
}
