//! Issue 15, item 7: victims linked with smuggled migrants. The demo's victims and smuggled
//! migrants are different people (its ground truth gives them different persons), so what
//! `tip_som_overlap` finds there is the linker's error: a couple of namesakes (Hawa and Haoua
//! Moussa, both born in 1998). Then a migrant-reporting provider also records, as smuggled
//! migrants, twelve persons the demo reports as victims — written as another register writes them
//! (name order swapped, in capitals, every third without a birth date): the overlap of their
//! year must grow by exactly twelve, and no other year move.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};
use tessera_analysis::dashboard::Filters;
use tessera_analysis::{Facts, link_across, link_persons, tip_som_overlap};
use tessera_dictionary::{Dictionary, ProviderId};
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};
use tessera_store::{Access, Store, SubmissionStatus};

const SEED: u64 = 17;
const RECORDS: usize = 2000;
const SHARED: usize = 12;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggled_migrants_also_reported_as_victims_are_found_by_year() {
    let d = dict();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap());
    tessera_demo::run(
        &store,
        &d,
        Arc::new(enc.clone()),
        RECORDS,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    // The generated rows again, with their clear identifiers (invented people).
    let chunk = tessera_demo::generate_chunk(SEED, 0, RECORDS, &enc);
    let truth: HashMap<(&str, &str), &tessera_demo::TruthRow> = chunk
        .truth
        .iter()
        .map(|t| ((t.provider, t.provider_ref.as_str()), t))
        .collect();
    // The demo's own victims and migrants never share a person.
    let persons_of = |entity: &str| -> HashSet<u64> {
        chunk
            .truth
            .iter()
            .filter(|t| t.entity == entity)
            .map(|t| t.person_id)
            .collect()
    };
    assert!(
        persons_of("victim")
            .intersection(&persons_of("smuggled_migrant"))
            .next()
            .is_none()
    );
    // Approved victims (not assessed as "not a victim") of distinct persons, with a birth date
    // and both names.
    let mut chosen = Vec::new();
    let mut seen = HashSet::new();
    for b in &chunk.batches {
        if b.entity != "victim" || !tessera_demo::approved(b.provider, b.year) {
            continue;
        }
        for r in &b.records {
            let t = truth[&(b.provider, r.provider_ref.as_str())];
            let status = r.data.get("identification_status").and_then(Value::as_str);
            let Some(clear) = &t.clear else { continue };
            if status == Some("NOT_VICTIM")
                || clear.birth.is_none()
                || clear.given.is_empty()
                || clear.family.is_empty()
                || !seen.insert(t.person_id)
            {
                continue;
            }
            chosen.push((r, clear.clone()));
        }
    }
    assert!(chosen.len() >= SHARED);
    chosen.truncate(SHARED);
    let victims = || Filters {
        expr: Some("not (identification_status = \"NOT_VICTIM\")".into()),
        ..Filters::default()
    };
    // Who the demo's migrants are taken for, before anything is added: the linker's errors.
    let overlap = |store: Store| async move {
        let facts = Facts::build(&store, &dict()).await.unwrap();
        let persons = link_persons(&store).await.unwrap();
        // Without the link across the entities, nothing is said.
        assert!(
            tip_som_overlap(&facts, &persons, &victims())
                .unwrap()
                .is_none()
        );
        let across = link_across(&store).await.unwrap();
        assert!(across.persons < across.records);
        let persons = persons.with_across(across);
        let years = tip_som_overlap(&facts, &persons, &victims())
            .unwrap()
            .expect("linked across");
        (facts, persons, years)
    };
    let (_, _, baseline) = overlap(store.clone()).await;
    let errors: usize = baseline.iter().map(|o| o.also_victims).sum();
    let migrants: usize = baseline.iter().map(|o| o.migrants).sum();
    assert!(
        errors * 50 <= migrants,
        "{errors} of {migrants} migrants taken for victims: {baseline:?}"
    );

    // An approved smuggled-migrant record to take the provider and year from.
    let (template_batch, template) = chunk
        .batches
        .iter()
        .filter(|b| b.entity == "smuggled_migrant" && tessera_demo::approved(b.provider, b.year))
        .find_map(|b| b.records.first().map(|r| (b, r)))
        .expect("an approved migrant record");
    let (provider, year) = (template_batch.provider, template_batch.year);
    // The approved submission is locked: the records come in a new version, approved too.
    let pid = ProviderId::parse(provider).unwrap();
    let submission = store
        .create_submission(&pid, &year.to_string(), &d.full_version(), "test")
        .await
        .unwrap()
        .id;
    let records: Vec<_> = chosen
        .iter()
        .enumerate()
        .map(|(i, (victim, clear))| {
            let mut r = template.clone();
            r.provider_ref = format!("TIP-SOM-{i}");
            r.data.insert("provider_ref".into(), json!(r.provider_ref));
            for key in ["sex", "citizenship", "birth_year", "age", "age_band"] {
                match victim.data.get(key) {
                    Some(v) => r.data.insert(key.into(), v.clone()),
                    None => r.data.remove(key),
                };
            }
            // Another register's way of writing the same person: family name first, in capitals;
            // every third without the birth date.
            let (given, family) = (clear.family.to_uppercase(), clear.given.to_uppercase());
            r.pseudonyms = Some(enc.encode(&Identifiers {
                given_name: Some(&given),
                family_name: Some(&family),
                birth_date: clear.birth.as_deref().filter(|_| i % 3 != 2),
                ..Default::default()
            }));
            r
        })
        .collect();
    store
        .insert_records(
            &pid,
            "smuggled_migrant",
            &d.full_version(),
            Some(submission),
            &records,
        )
        .await
        .unwrap();
    for status in [SubmissionStatus::Submitted, SubmissionStatus::Approved] {
        store
            .set_submission_status(submission, status, "test", None)
            .await
            .unwrap();
    }

    // The twelve are found in their year, and nothing else moves.
    let (facts, persons, after) = overlap(store.clone()).await;
    for o in &after {
        let before = baseline
            .iter()
            .find(|b| b.year == o.year)
            .map_or(0, |b| b.also_victims);
        let added = if o.year == year { SHARED } else { 0 };
        assert_eq!(o.also_victims, before + added, "{}: {after:?}", o.year);
    }
    // The migrants counted are the year's smuggled-migrant persons, as the dashboards count them.
    let of_year = after.iter().find(|o| o.year == year).unwrap();
    let f = Filters {
        year_from: Some(year),
        year_to: Some(year),
        ..Filters::default()
    };
    let migrants = tessera_analysis::smuggling(
        &facts,
        &tessera_analysis::Scope::Internal(Access::National),
        &f,
        tessera_analysis::Unit::Persons(&persons),
        "en",
    )
    .unwrap()
    .migrants
    .unwrap();
    assert_eq!(of_year.migrants as f64, migrants);
}
