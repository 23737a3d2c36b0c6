//! What the analysis layer's in-memory facts read: every record in chunks (read back exactly as
//! stored), the log of changes an incremental update follows (in commit order, even with many
//! writers), and the quasi-identifiers linkage reads beside the pseudonyms. On both engines.

mod common;

use common::{Raw, engines};
use serde_json::json;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::IntakeRecord;
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};
use tessera_store::{Access, FactChange, Period, Provider, Store, SubmissionStatus};
use time::macros::date;

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

fn victim(r: &str, sex: &str) -> IntakeRecord {
    IntakeRecord {
        provider_ref: r.into(),
        data: json!({ "provider_ref": r, "sex": sex, "exploitation": ["SEX", "LAB"], "note": "a:1-b" })
            .as_object()
            .unwrap()
            .clone(),
        pseudonyms: None,
        source_row: 2,
    }
}

async fn setup(s: &Store) {
    let d = Dictionary::base().unwrap();
    for (id, ty) in [("police-bangui", "POLICE"), ("ngo-espoir", "NGO")] {
        s.upsert_provider(&Provider {
            id: pid(id),
            name: id.into(),
            provider_type: ProviderType::parse(&d, ty).unwrap(),
            region: None,
            profile: Default::default(),
        })
        .await
        .unwrap();
    }
    s.upsert_period(&Period {
        id: "2024".into(),
        starts_on: date!(2024 - 01 - 01),
        ends_on: date!(2024 - 12 - 31),
        due_on: date!(2025 - 01 - 31),
        provider_types: Vec::new(),
        closed_on: None,
    })
    .await
    .unwrap();
}

/// Every record as the database holds it, read directly: (id, provider, entity, reference,
/// data as JSON).
async fn raw_records(raw: &Raw) -> Vec<(i64, String, String, String, serde_json::Value)> {
    let sql =
        "SELECT id, provider_id, entity, provider_ref, CAST(data AS TEXT) FROM records ORDER BY id";
    let rows: Vec<(i64, String, String, String, String)> = match raw {
        Raw::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Raw::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    rows.into_iter()
        .map(|(i, p, e, r, d)| (i, p, e, r, serde_json::from_str(&d).unwrap()))
        .collect()
}

#[tokio::test]
async fn every_record_reads_back_exactly_in_chunks_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
        setup(s).await;
        let sub = s
            .create_submission(&pid("police-bangui"), "2024", "v", "t")
            .await
            .unwrap();
        // More than two chunks, with references and values that look like the chunks' own
        // separators, and text outside ASCII.
        let many: Vec<IntakeRecord> = (0..5000)
            .map(|i| victim(&format!("P:{i}-{}", if i % 7 == 0 { "é" } else { "" }), "F"))
            .collect();
        s.insert_records(&pid("police-bangui"), "victim", "v", Some(sub.id), &many)
            .await
            .unwrap();
        s.insert_records(
            &pid("ngo-espoir"),
            "suspect",
            "v",
            None,
            &[victim("12:3", "M"), victim("-", "F")],
        )
        .await
        .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Submitted, "t", None)
            .await
            .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Approved, "t", None)
            .await
            .unwrap();
        let expected = raw_records(&e.raw).await;
        assert_eq!(expected.len(), 5002, "{}", e.name);
        let mut got = Vec::new();
        let n = s
            .for_each_fact_ref(&Access::National, None, |r| {
                got.push((
                    r.id,
                    r.provider_id.to_string(),
                    r.entity.to_string(),
                    r.provider_ref.to_string(),
                    serde_json::from_str::<serde_json::Value>(r.data).unwrap(),
                    r.period_id.map(str::to_string),
                    r.approved,
                ))
            })
            .await
            .unwrap();
        assert_eq!(n, 5002, "{}", e.name);
        let same: Vec<_> = got
            .iter()
            .map(|(i, p, en, r, d, _, _)| (*i, p.clone(), en.clone(), r.clone(), d.clone()))
            .collect();
        assert_eq!(
            same, expected,
            "{}: read back as stored, in id order",
            e.name
        );
        assert!(
            got.iter()
                .all(|g| (g.5.is_some(), g.6) == (g.2 == "victim", g.2 == "victim")),
            "{}: period and approval of each record's submission",
            e.name
        );
        // Filters by entity and by provider (the condition in the SQL).
        let mut suspects = Vec::new();
        s.for_each_fact_ref(&Access::National, Some("suspect"), |r| {
            suspects.push(r.provider_ref.to_string())
        })
        .await
        .unwrap();
        assert_eq!(suspects, vec!["12:3", "-"], "{}", e.name);
        let own = s
            .for_each_fact_ref(&Access::Provider(pid("ngo-espoir")), None, |r| {
                assert_eq!(r.provider_id, "ngo-espoir")
            })
            .await
            .unwrap();
        assert_eq!(own, 2, "{}", e.name);
    }
}

#[tokio::test]
async fn the_change_log_names_each_write_and_approval_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
        setup(s).await;
        let before = s.fact_state().await.unwrap();
        assert_eq!(before.version, 0, "{}", e.name);
        let sub = s
            .create_submission(&pid("police-bangui"), "2024", "v", "t")
            .await
            .unwrap();
        let recs = [victim("P-1", "F"), victim("P-2", "M")];
        s.insert_records(&pid("police-bangui"), "victim", "v", Some(sub.id), &recs)
            .await
            .unwrap();
        // The same records again change nothing, and log nothing.
        s.insert_records(&pid("police-bangui"), "victim", "v", Some(sub.id), &recs)
            .await
            .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Submitted, "t", None)
            .await
            .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Approved, "t", None)
            .await
            .unwrap();
        s.insert_records(
            &pid("ngo-espoir"),
            "victim",
            "v",
            None,
            &[victim("N-0", "F")],
        )
        .await
        .unwrap();
        let state = s.fact_state().await.unwrap();
        assert_eq!(state.version, 3, "{}", e.name);
        let changes = s.fact_changes(0, state.version).await.unwrap();
        let expect = |seq, provider: &str, entity: Option<&str>, submission| FactChange {
            seq,
            provider_id: provider.into(),
            entity: entity.map(str::to_string),
            submission_id: submission,
        };
        assert_eq!(
            changes,
            vec![
                expect(1, "police-bangui", Some("victim"), Some(sub.id)),
                expect(2, "police-bangui", None, Some(sub.id)),
                expect(3, "ngo-espoir", Some("victim"), None),
            ],
            "{}: the upload, the approval (not the submission), the loose record",
            e.name
        );
        assert_eq!(s.fact_changes(1, 2).await.unwrap().len(), 1);
        // What the changes name, as it now stands.
        let mut named = Vec::new();
        s.for_each_changed_fact(&changes[1..2], |r| {
            named.push((r.provider_ref.to_string(), r.approved))
        })
        .await
        .unwrap();
        assert_eq!(
            named,
            vec![("P-1".to_string(), true), ("P-2".to_string(), true)],
            "{}",
            e.name
        );
        let mut loose = Vec::new();
        s.for_each_changed_fact(&changes, |r| loose.push(r.provider_ref.to_string()))
            .await
            .unwrap();
        assert_eq!(loose, vec!["P-1", "P-2", "N-0"], "{}", e.name);
        assert_eq!(
            s.for_each_changed_fact(&[], |_| {}).await.unwrap(),
            0,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn many_writers_never_leave_a_reader_a_hole_in_the_log_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
        setup(s).await;
        let writers = 6;
        let each = 8;
        let mut tasks = Vec::new();
        for w in 0..writers {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..each {
                    let provider = if w % 2 == 0 {
                        "police-bangui"
                    } else {
                        "ngo-espoir"
                    };
                    s.insert_records(
                        &pid(provider),
                        "victim",
                        "v",
                        None,
                        &[victim(&format!("W{w}-{i}"), "F")],
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        // A reader polling meanwhile: whatever it sees is every change from 1 to the last, so
        // following `seq > last` can never skip one that commits later.
        let reader = {
            let s = s.clone();
            tokio::spawn(async move {
                let mut seen = 0;
                while seen < (writers * each) as i64 {
                    let state = s.fact_state().await.unwrap();
                    let changes = s.fact_changes(0, state.version).await.unwrap();
                    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
                    assert_eq!(seqs, (1..=state.version).collect::<Vec<_>>());
                    seen = state.version;
                }
            })
        };
        for t in tasks {
            t.await.unwrap();
        }
        reader.await.unwrap();
        let state = s.fact_state().await.unwrap();
        assert_eq!(state.version, (writers * each) as i64, "{}", e.name);
    }
}

#[tokio::test]
async fn linkage_reads_sex_and_first_citizenship_only_when_they_are_text_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
        setup(s).await;
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap());
        let person = |r: &str| IntakeRecord {
            provider_ref: r.into(),
            data: json!({ "provider_ref": r, "sex": "F", "citizenship": ["CF", "CM"] })
                .as_object()
                .unwrap()
                .clone(),
            pseudonyms: Some(enc.encode(&Identifiers {
                given_name: Some("Nadia"),
                family_name: Some("Zanga"),
                birth_date: Some("2001-02-03"),
                ..Default::default()
            })),
            source_row: 2,
        };
        s.insert_records(
            &pid("police-bangui"),
            "victim",
            "v",
            None,
            &[person("A"), person("B"), person("C")],
        )
        .await
        .unwrap();
        e.raw
            .exec(r#"UPDATE records SET data = '{"sex": 1, "citizenship": "CF"}' WHERE provider_ref = 'B'"#)
            .await
            .unwrap();
        e.raw
            .exec(r#"UPDATE records SET data = '{"citizenship": [7, "CF"]}' WHERE provider_ref = 'C'"#)
            .await
            .unwrap();
        let rows = s.pseudonyms(&Access::National, "victim").await.unwrap();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.provider_ref.as_str(),
                    r.sex.as_deref(),
                    r.citizenship.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", Some("F"), Some("CF")),
                ("B", None, None),
                ("C", None, None),
            ],
            "{}",
            e.name
        );
    }
}
