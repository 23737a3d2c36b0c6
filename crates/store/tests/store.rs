mod common;

use common::engines;
use serde_json::json;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType, Role};
use tessera_intake::IntakeRecord;
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};
use tessera_store::{
    Access, Agreement, AuditVerdict, Period, Provider, Store, StoreError, SubmissionStatus,
};
use time::macros::date;

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

async fn seed_providers(store: &Store) {
    let d = Dictionary::base().unwrap();
    for (id, ty) in [("police-bangui", "POLICE"), ("ngo-espoir", "NGO")] {
        store
            .upsert_provider(&Provider {
                id: pid(id),
                name: id.to_uppercase(),
                provider_type: ProviderType::parse(&d, ty).unwrap(),
                region: Some("CF-BGF".into()),
                profile: Default::default(),
            })
            .await
            .unwrap();
    }
}

fn rec(r: &str, sex: &str, name: Option<&str>) -> IntakeRecord {
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap());
    let pseudonyms = name.map(|n| {
        enc.encode(&Identifiers {
            given_name: Some(n),
            family_name: Some("Zanga"),
            birth_date: Some("2001-02-03"),
            ..Default::default()
        })
    });
    let mut data = json!({ "provider_ref": r, "sex": sex, "exploitation": ["SEX"] })
        .as_object()
        .unwrap()
        .clone();
    if pseudonyms.is_some() {
        data.insert("birth_year".into(), json!(2001));
    }
    IntakeRecord {
        provider_ref: r.into(),
        data,
        pseudonyms,
        source_row: 2,
    }
}

#[tokio::test]
async fn registry_round_trips_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        let ps = s.providers().await.unwrap();
        assert_eq!(ps.len(), 2, "{}", e.name);
        s.add_agreement(&Agreement {
            provider_id: pid("ngo-espoir"),
            entities: vec!["victim".into(), "assistance".into()],
            level: "case".into(),
            valid_from: date!(2023 - 01 - 01),
            valid_to: Some(date!(2026 - 12 - 31)),
            signed_on: None,
            id: 0,
            signatories: None,
            document_sha256: None,
            ended_on: None,
        })
        .await
        .unwrap();
        let ag = s.agreements(&pid("ngo-espoir")).await.unwrap();
        assert_eq!(ag[0].entities, vec!["victim", "assistance"], "{}", e.name);
        assert_eq!(ag[0].valid_to, Some(date!(2026 - 12 - 31)));
        assert!(
            s.add_agreement(&Agreement {
                level: "everything".into(),
                ..ag[0].clone()
            })
            .await
            .is_err()
        );
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
        assert!(
            s.upsert_period(&Period {
                id: "bad".into(),
                starts_on: date!(2024 - 12 - 31),
                ends_on: date!(2024 - 01 - 01),
                due_on: date!(2025 - 01 - 31),
                provider_types: Vec::new(),
                closed_on: None,
            })
            .await
            .is_err()
        );
        assert_eq!(
            s.periods().await.unwrap()[0].due_on,
            date!(2025 - 01 - 31),
            "{}",
            e.name
        );
        s.set_setting("extension", "cf").await.unwrap();
        s.set_setting("extension", "ne").await.unwrap();
        assert_eq!(s.setting("extension").await.unwrap().as_deref(), Some("ne"));
        // Compare and swap: replaced only while it still holds what was read.
        assert!(s.replace_setting("extension", "ne", "bd").await.unwrap());
        assert!(!s.replace_setting("extension", "ne", "cf").await.unwrap());
        assert!(!s.replace_setting("absent", "", "x").await.unwrap());
        assert_eq!(s.setting("extension").await.unwrap().as_deref(), Some("bd"));
        assert_eq!(s.setting("absent").await.unwrap(), None);
        // Figures of the action plan entered by hand, with their source and who entered them.
        s.set_nap_value("PREV-3", 2023, Some(120.0), Some("register"), "coord")
            .await
            .unwrap();
        s.set_nap_value("PREV-3", 2024, Some(1.0), None, "cli")
            .await
            .unwrap();
        s.set_nap_value("PREV-3", 2024, None, None, "cli")
            .await
            .unwrap();
        assert_eq!(
            s.nap_entries().await.unwrap(),
            [tessera_store::NapEntry {
                indicator: "PREV-3".into(),
                year: 2023,
                value: 120.0,
                note: Some("register".into()),
                entered_by: "coord".into(),
            }],
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn reuploading_a_reference_updates_with_history_and_never_duplicates() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        let p = pid("police-bangui");
        let out = s
            .insert_records(
                &p,
                "victim",
                "2026.1",
                None,
                &[rec("V-1", "F", Some("Awa")), rec("V-2", "M", None)],
            )
            .await
            .unwrap();
        assert_eq!((out.inserted, out.updated), (2, 0), "{}", e.name);
        let out = s
            .insert_records(
                &p,
                "victim",
                "2026.1",
                None,
                &[rec("V-1", "M", Some("Awa")), rec("V-3", "F", None)],
            )
            .await
            .unwrap();
        assert_eq!((out.inserted, out.updated), (1, 1), "{}", e.name);
        assert_eq!(
            s.count_records(&Access::National, Some("victim"))
                .await
                .unwrap(),
            3,
            "{}",
            e.name
        );
        let all = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        let v1 = all.iter().find(|r| r.provider_ref == "V-1").unwrap();
        assert_eq!(v1.version, 2);
        assert_eq!(v1.data["sex"], "M");
        let hist = s.record_history(&Access::National, v1.id).await.unwrap();
        assert_eq!(hist.len(), 1, "{}", e.name);
        assert_eq!(hist[0].0, 1);
        assert_eq!(hist[0].1["sex"], "F");
        // A fresh provider's batch that repeats a reference in a later statement still keeps history.
        let mut rep: Vec<_> = (0..500)
            .map(|i| rec(&format!("R-{i}"), "F", None))
            .collect();
        rep[450] = rec("R-10", "M", None);
        let out = s
            .insert_records(&pid("ngo-espoir"), "victim", "2026.1", None, &rep)
            .await
            .unwrap();
        assert_eq!((out.inserted, out.updated), (499, 1), "{}", e.name);
        let ngo = s
            .records(&Access::Provider(pid("ngo-espoir")), "victim", 0, 1000)
            .await
            .unwrap();
        let r10 = ngo.iter().find(|r| r.provider_ref == "R-10").unwrap();
        assert_eq!((r10.version, r10.data["sex"].as_str()), (2, Some("M")));
        assert_eq!(
            s.record_history(&Access::National, r10.id).await.unwrap()[0].1["sex"],
            "F"
        );
        // Large batches span several statements and stay whole.
        let many: Vec<_> = (0..1000)
            .map(|i| rec(&format!("B-{i}"), "F", Some("Nadia")))
            .collect();
        let out = s
            .insert_records(&p, "victim", "2026.1", None, &many)
            .await
            .unwrap();
        assert_eq!(out.inserted, 1000, "{}", e.name);
        assert_eq!(
            s.pseudonyms(&Access::National, "victim")
                .await
                .unwrap()
                .len(),
            1001,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn a_failing_batch_stores_nothing() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        // 900 records then a duplicate reference inside the same statement-chunk set: the
        // unknown provider makes the whole batch fail on the foreign key.
        let many: Vec<_> = (0..900)
            .map(|i| rec(&format!("B-{i}"), "F", None))
            .collect();
        let err = s
            .insert_records(&pid("no-such-provider"), "victim", "2026.1", None, &many)
            .await;
        assert!(err.is_err(), "{}", e.name);
        assert_eq!(
            s.count_records(&Access::National, None).await.unwrap(),
            0,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn a_provider_never_reads_another_providers_records() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        s.insert_records(
            &pid("police-bangui"),
            "victim",
            "2026.1",
            None,
            &[rec("P-1", "F", Some("Awa")), rec("P-2", "F", None)],
        )
        .await
        .unwrap();
        s.insert_records(
            &pid("ngo-espoir"),
            "victim",
            "2026.1",
            None,
            &[rec("N-1", "F", Some("Awa"))],
        )
        .await
        .unwrap();
        let police = Access::Provider(pid("police-bangui"));
        let ngo = Access::Provider(pid("ngo-espoir"));
        let mine = s.records(&police, "victim", 0, 100).await.unwrap();
        assert_eq!(mine.len(), 2, "{}", e.name);
        assert!(mine.iter().all(|r| r.provider_id == "police-bangui"));
        let theirs = s.records(&ngo, "victim", 0, 100).await.unwrap();
        assert_eq!(theirs.len(), 1);
        // Guessing ids: every police record is invisible to the NGO, and vice versa.
        for r in &mine {
            assert!(s.record(&ngo, r.id).await.unwrap().is_none(), "{}", e.name);
            assert!(matches!(
                s.record_history(&ngo, r.id).await,
                Err(StoreError::NotFound(_))
            ));
            assert!(s.record(&police, r.id).await.unwrap().is_some());
        }
        assert!(s.record(&police, theirs[0].id).await.unwrap().is_none());
        // A list of ids (the drill-down's) gives only what the caller may see, in the given order.
        let all: Vec<i64> = vec![mine[1].id, theirs[0].id, mine[0].id, 999_999];
        let got: Vec<i64> = s
            .records_by_id(&police, &all)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(got, vec![mine[1].id, mine[0].id], "{}", e.name);
        let got = s.records_by_id(&ngo, &all).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].provider_ref, "N-1");
        let national = s.records_by_id(&Access::National, &all).await.unwrap();
        assert_eq!(national.len(), 3, "{}", e.name);
        assert!(s.records_by_id(&police, &[]).await.unwrap().is_empty());
        assert_eq!(s.count_records(&ngo, None).await.unwrap(), 1);
        assert_eq!(s.pseudonyms(&ngo, "victim").await.unwrap().len(), 1);
        assert_eq!(s.count_records(&Access::National, None).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn roles_map_to_access_and_passwords_are_argon2id() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        let fp = s
            .create_user(
                "awa",
                "Awa Focal",
                "correct horse battery",
                Role::FocalPoint,
                Some(&pid("ngo-espoir")),
                "fr",
            )
            .await
            .unwrap();
        assert_eq!(
            Access::for_user(&fp).unwrap(),
            Access::Provider(pid("ngo-espoir"))
        );
        let analyst = s
            .create_user(
                "ana",
                "Analyst",
                "correct horse battery",
                Role::Analyst,
                None,
                "en",
            )
            .await
            .unwrap();
        assert_eq!(Access::for_user(&analyst).unwrap(), Access::National);
        let partner = s
            .create_user(
                "iom",
                "Partner",
                "correct horse battery",
                Role::Partner,
                None,
                "en",
            )
            .await
            .unwrap();
        assert!(matches!(
            Access::for_user(&partner),
            Err(StoreError::Forbidden(_))
        ));
        assert!(
            s.create_user(
                "x",
                "X",
                "correct horse battery",
                Role::FocalPoint,
                None,
                "en"
            )
            .await
            .is_err(),
            "{}",
            e.name
        );
        assert!(
            s.create_user("y", "Y", "short", Role::Analyst, None, "en")
                .await
                .is_err()
        );
        assert!(matches!(
            s.create_user(
                "awa",
                "Again",
                "correct horse battery",
                Role::Analyst,
                None,
                "en"
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.authenticate("awa", "correct horse battery")
                .await
                .unwrap()
                .is_some(),
            "{}",
            e.name
        );
        assert!(
            s.authenticate("awa", "wrong horse battery")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.authenticate("nobody", "correct horse battery")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(s.count_users().await.unwrap(), 3);
        let hash: Vec<(String,)> = match &e.raw {
            common::Raw::Sqlite(p) => sqlx::query_as("SELECT password_hash FROM users")
                .fetch_all(p)
                .await
                .unwrap(),
            common::Raw::Postgres(p) => sqlx::query_as("SELECT password_hash FROM users")
                .fetch_all(p)
                .await
                .unwrap(),
        };
        assert!(
            hash.iter().all(|h| h.0.starts_with("$argon2id$")),
            "{hash:?}"
        );
    }
}

#[tokio::test]
async fn submissions_follow_the_workflow() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
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
        let p = pid("police-bangui");
        let sub = s
            .create_submission(&p, "2024", "2026.1", "awa")
            .await
            .unwrap();
        assert_eq!(
            (sub.status, sub.version),
            (SubmissionStatus::Draft, 1),
            "{}",
            e.name
        );
        assert!(matches!(
            s.set_submission_status(sub.id, SubmissionStatus::Approved, "coord", None)
                .await,
            Err(StoreError::Conflict(_))
        ));
        s.set_submission_status(sub.id, SubmissionStatus::Submitted, "awa", None)
            .await
            .unwrap();
        s.set_submission_status(
            sub.id,
            SubmissionStatus::Returned,
            "coord",
            Some("ages missing"),
        )
        .await
        .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Submitted, "awa", None)
            .await
            .unwrap();
        s.set_submission_status(sub.id, SubmissionStatus::Approved, "coord", None)
            .await
            .unwrap();
        let done = s.submission(sub.id).await.unwrap().unwrap();
        assert_eq!(done.status, SubmissionStatus::Approved);
        assert!(done.submitted_at.is_some());
        assert!(
            s.set_submission_status(sub.id, SubmissionStatus::Submitted, "awa", None)
                .await
                .is_err()
        );
        // A correction after approval is a new version.
        assert_eq!(
            s.create_submission(&p, "2024", "2026.1", "awa")
                .await
                .unwrap()
                .version,
            2,
            "{}",
            e.name
        );
        let sums = s.provider_summaries().await.unwrap();
        assert_eq!(
            sums.iter()
                .find(|x| x.provider.id == p)
                .unwrap()
                .submissions,
            2
        );
    }
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_tampering_is_detected() {
    for e in engines().await {
        let s = &e.store;
        for i in 0..5 {
            s.audit("awa", "record.read", &format!("record/{i}"), "{}")
                .await
                .unwrap();
        }
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 5 },
            "{}",
            e.name
        );
        assert_eq!(
            s.audit_entries(Some("awa"), None, 3).await.unwrap().len(),
            3
        );
        assert!(
            e.raw
                .exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
                .await
                .is_err(),
            "{}: update allowed",
            e.name
        );
        assert!(
            e.raw
                .exec("DELETE FROM audit_log WHERE seq = 2")
                .await
                .is_err(),
            "{}: delete allowed",
            e.name
        );
        // An intruder who disables the guard and edits an entry is caught by the chain.
        match e.name {
            "sqlite" => e
                .raw
                .exec("DROP TRIGGER audit_log_no_update")
                .await
                .unwrap(),
            _ => e
                .raw
                .exec("DROP TRIGGER audit_log_no_change ON audit_log")
                .await
                .unwrap(),
        };
        e.raw
            .exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .await
            .unwrap();
        assert!(
            matches!(
                s.verify_audit().await.unwrap(),
                AuditVerdict::Broken { seq: 3, .. }
            ),
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn concurrent_audit_appends_keep_one_chain() {
    for e in engines().await {
        common::append_concurrently(&e.store, 8, 5).await;
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 40 },
            "{}",
            e.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn focal_points_opening_a_period_at_once_share_one_new_version() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
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
        let p = pid("police-bangui");
        let first = s
            .create_submission(&p, "2024", "2026.1", "a")
            .await
            .unwrap();
        for status in [SubmissionStatus::Submitted, SubmissionStatus::Approved] {
            s.set_submission_status(first.id, status, "c", None)
                .await
                .unwrap();
        }
        // The approved version is locked: sixteen uploads at once all land in one new version.
        let mut tasks = Vec::new();
        for i in 0..16 {
            let (s, p) = (s.clone(), p.clone());
            tasks.push(tokio::spawn(async move {
                s.open_submission(&p, "2024", "2026.1", &format!("fp{i}"))
                    .await
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let sub = t
                .await
                .unwrap()
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert_eq!(sub.version, 2, "{}", e.name);
            ids.insert(sub.id);
        }
        assert_eq!(ids.len(), 1, "{}: one new version, not several", e.name);
    }
}

#[tokio::test]
async fn link_decisions_are_remembered_replaced_and_audited() {
    for e in engines().await {
        let s = &e.store;
        seed_providers(s).await;
        s.insert_records(
            &pid("police-bangui"),
            "victim",
            "2026.1",
            None,
            &[rec("V-1", "F", Some("Awa")), rec("V-2", "F", Some("Awa"))],
        )
        .await
        .unwrap();
        s.insert_records(
            &pid("ngo-espoir"),
            "suspect",
            "2026.1",
            None,
            &[rec("S-1", "M", None)],
        )
        .await
        .unwrap();
        let victims = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        let suspects = s
            .records(&Access::National, "suspect", 0, 10)
            .await
            .unwrap();
        let (a, b, c) = (victims[0].id, victims[1].id, suspects[0].id);
        // Given in either order, stored smaller id first.
        let d = s.decide_link(b, a, false, "coordinator").await.unwrap();
        assert_eq!(
            (d.record_a, d.record_b, d.same),
            (a.min(b), a.max(b), false)
        );
        s.decide_link(a, b, true, "coordinator2").await.unwrap();
        let all = s.link_decisions().await.unwrap();
        assert_eq!(
            all.len(),
            1,
            "{}: a new verdict replaces the old one",
            e.name
        );
        assert!(all[0].same);
        assert_eq!(all[0].decided_by, "coordinator2");
        // Nonsense is refused and stores nothing.
        assert!(matches!(
            s.decide_link(a, a, true, "x").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.decide_link(a, c, true, "x").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.decide_link(a, 999_999, true, "x").await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(s.link_decisions().await.unwrap().len(), 1, "{}", e.name);
        // Both verdicts are in the audit log, and the chain holds.
        let audit = s.audit_entries(None, None, 50).await.unwrap();
        let actions: Vec<&str> = audit
            .iter()
            .filter(|x| x.action.starts_with("link."))
            .map(|x| x.action.as_str())
            .collect();
        assert_eq!(
            actions,
            [
                tessera_store::actions::LINK_MARK_SAME,
                tessera_store::actions::LINK_MARK_DIFFERENT
            ],
            "{}",
            e.name
        );
        assert!(matches!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact { .. }
        ));
    }
}
