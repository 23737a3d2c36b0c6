use std::collections::{HashMap, HashSet};

use tessera_dictionary::Dictionary;
use tessera_intake::{ImportOptions, read_file};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

fn enc() -> KeyedEncoder {
    KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap())
}

#[test]
fn every_generated_record_passes_the_dictionary() {
    let d = dict();
    let e = enc();
    let chunk = tessera_demo::generate_chunk(7, 0, 3000, &e);
    assert_eq!(chunk.person_records, 3000);
    let mut checked = 0;
    for b in &chunk.batches {
        let entity = d.entity(b.entity).unwrap();
        let cols: Vec<&str> = entity.stored_variables().map(|v| v.code.as_str()).collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&cols).unwrap();
        for r in &b.records {
            let row: Vec<String> = cols
                .iter()
                .map(|c| match r.data.get(*c) {
                    None => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                        .join(";"),
                    Some(v) => v.to_string(),
                })
                .collect();
            w.write_record(&row).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        // The demo's last years run on past today (judgments and suspects recorded up to two
        // years after the last year of data), which imports refuse as dates in the future:
        // the records are checked as of the day the demo's story ends.
        let opts = ImportOptions {
            as_of: Some(time::macros::date!(2027 - 12 - 31)),
            ..ImportOptions::default()
        };
        let batch = read_file(&d, b.entity, &e, bytes.as_slice(), "demo.csv", &opts, "en")
            .unwrap_or_else(|err| panic!("{} {}: {err}", b.provider, b.entity));
        // What the validator makes of the record is what the generator wrote.
        for (orig, back) in b.records.iter().zip(&batch.records) {
            assert_eq!(orig.data, back.data, "{} {}", b.provider, b.entity);
        }
        checked += batch.records.len();
    }
    assert_eq!(checked, chunk.person_records + chunk.other_records);
}

#[test]
fn same_seed_same_data_and_persons_recur_across_providers() {
    let e = enc();
    let a = tessera_demo::generate_chunk(42, 3, 2000, &e);
    let b = tessera_demo::generate_chunk(42, 3, 2000, &e);
    let refs = |c: &tessera_demo::Chunk| {
        c.truth
            .iter()
            .map(|t| (t.provider_ref.clone(), t.person_id))
            .collect::<Vec<_>>()
    };
    assert_eq!(refs(&a), refs(&b));
    let other = tessera_demo::generate_chunk(43, 3, 2000, &e);
    assert_ne!(refs(&a), refs(&other));
    // Several providers report the same person, and realistic shares of persons do.
    let mut providers_of: HashMap<u64, HashSet<&str>> = HashMap::new();
    for t in &a.truth {
        providers_of
            .entry(t.person_id)
            .or_default()
            .insert(t.provider);
    }
    let multi =
        providers_of.values().filter(|p| p.len() > 1).count() as f64 / providers_of.len() as f64;
    assert!(
        (0.2..0.6).contains(&multi),
        "share of persons on several lists: {multi}"
    );
    assert_eq!(a.persons, providers_of.len());
    let entities: HashSet<&str> = a.batches.iter().map(|b| b.entity).collect();
    for e in [
        "victim",
        "suspect",
        "smuggled_migrant",
        "cj_case",
        "smuggling_incident",
        "assistance",
        "person_case_link",
    ] {
        assert!(entities.contains(e), "{e} missing");
    }
}

#[test]
fn the_same_person_gets_different_spellings_but_close_encodings() {
    let e = enc();
    let c = tessera_demo::generate_chunk(9, 0, 4000, &e);
    let mut by_person: HashMap<u64, Vec<&tessera_pseudonym::Pseudonyms>> = HashMap::new();
    let recs: HashMap<&str, &tessera_intake::IntakeRecord> = c
        .batches
        .iter()
        .flat_map(|b| b.records.iter())
        .map(|r| (r.provider_ref.as_str(), r))
        .collect();
    for t in &c.truth {
        if let Some(p) = recs
            .get(t.provider_ref.as_str())
            .and_then(|r| r.pseudonyms.as_ref())
        {
            by_person.entry(t.person_id).or_default().push(p);
        }
    }
    let pairs: Vec<(f64, bool)> = by_person
        .values()
        .filter(|v| v.len() > 1)
        .map(|v| {
            (
                v[0].dice(v[1]),
                v[0].key(tessera_pseudonym::KeyKind::FullName)
                    == v[1].key(tessera_pseudonym::KeyKind::FullName),
            )
        })
        .collect();
    let exact = pairs.iter().filter(|p| p.1).count() as f64 / pairs.len() as f64;
    let mean_dice = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.len() as f64;
    assert!(exact < 0.9, "variations are too rare: {exact}");
    assert!(
        mean_dice > 0.75,
        "same-person names drift too far: {mean_dice}"
    );
}

/// The clear copy written for benchmarks (`tessera demo --clear-out`) is exactly what each
/// person record was encoded from: encoding it again gives the stored pseudonyms.
#[test]
fn the_clear_copy_is_what_each_record_was_encoded_from() {
    use tessera_pseudonym::{Encoder, Identifiers};
    let e = enc();
    let chunk = tessera_demo::generate_chunk(3, 0, 2000, &e);
    let stored: HashMap<&str, &tessera_intake::IntakeRecord> = chunk
        .batches
        .iter()
        .flat_map(|b| b.records.iter())
        .map(|r| (r.provider_ref.as_str(), r))
        .collect();
    assert_eq!(chunk.truth.len(), chunk.person_records);
    for t in &chunk.truth {
        let c = t
            .clear
            .as_ref()
            .expect("every person record has its clear copy");
        let again = e.encode(&Identifiers {
            given_name: Some(&c.given),
            family_name: Some(&c.family),
            birth_date: c.birth.as_deref(),
            id_number: c.id_number.as_deref(),
            phone: c.phone.as_deref(),
            ..Default::default()
        });
        let rec = stored[t.provider_ref.as_str()];
        assert_eq!(rec.pseudonyms.as_ref(), Some(&again), "{}", t.provider_ref);
        assert_eq!(
            c.sex.as_deref(),
            rec.data.get("sex").and_then(|v| v.as_str()),
            "{}",
            t.provider_ref
        );
    }
}
