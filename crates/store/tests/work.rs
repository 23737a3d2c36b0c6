//! Each role's work as the store reads it, on both engines: lateness measured from the first
//! submission of a period, a provider's periods due and returned submissions, the uploads it
//! sent, a submission's diff to its previous version and its data-quality flags against the
//! provider's previous periods — each behind the caller's access.

mod common;

use common::engines;
use serde_json::{Value, json};
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::IntakeRecord;
use tessera_store::{
    Access, Period, Provider, QualityFlag, Store, StoreError, Submission, SubmissionStatus, Upload,
};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const POLICE: &str = "police-bangui";
const NGO: &str = "ngo-espoir";

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

fn own() -> Access {
    Access::Provider(pid(POLICE))
}

async fn setup(store: &Store, years: &[i32]) {
    let d = Dictionary::base().unwrap();
    for (id, ty) in [(POLICE, "POLICE"), (NGO, "NGO")] {
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
    for y in years {
        store
            .upsert_period(&Period {
                id: y.to_string(),
                starts_on: Date::from_calendar_date(*y, time::Month::January, 1).unwrap(),
                ends_on: Date::from_calendar_date(*y, time::Month::December, 31).unwrap(),
                due_on: Date::from_calendar_date(y + 1, time::Month::January, 31).unwrap(),
                provider_types: Vec::new(),
                closed_on: None,
            })
            .await
            .unwrap();
    }
}

fn victim(reference: &str, data: Value) -> IntakeRecord {
    IntakeRecord {
        provider_ref: reference.into(),
        data: data.as_object().unwrap().clone(),
        pseudonyms: None,
        source_row: 2,
    }
}

async fn put(store: &Store, sub: &Submission, records: &[IntakeRecord]) {
    store
        .insert_records(&pid(POLICE), "victim", "t", Some(sub.id), records)
        .await
        .unwrap();
}

async fn move_to(store: &Store, id: i64, to: SubmissionStatus, at: OffsetDateTime) {
    let comment = (to == SubmissionStatus::Returned).then_some("Ages missing: add them.");
    store
        .set_submission_status_at(id, to, "someone", comment, at)
        .await
        .unwrap();
}

#[tokio::test]
async fn lateness_counts_from_the_first_submission_of_a_period() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2024]).await;
        let v1 = s
            .create_submission(&pid(POLICE), "2024", "t", "awa")
            .await
            .unwrap();
        // Sent eleven days early, returned, sent again in November: the period was on time.
        move_to(
            s,
            v1.id,
            SubmissionStatus::Submitted,
            datetime!(2025-01-20 9:00 UTC),
        )
        .await;
        move_to(
            s,
            v1.id,
            SubmissionStatus::Returned,
            datetime!(2025-01-25 9:00 UTC),
        )
        .await;
        move_to(
            s,
            v1.id,
            SubmissionStatus::Submitted,
            datetime!(2025-11-10 9:00 UTC),
        )
        .await;
        let t = s.timeliness().await.unwrap();
        let row = t.iter().find(|t| t.provider_id == POLICE).unwrap();
        assert_eq!(
            row.days_late,
            Some(-11),
            "{}: from the first submission",
            e.name
        );
        assert_eq!(
            row.first_submitted_at,
            Some(datetime!(2025-01-20 9:00 UTC)),
            "{}",
            e.name
        );
        assert_eq!(
            row.submitted_at,
            Some(datetime!(2025-11-10 9:00 UTC)),
            "{}: the latest submission is still known",
            e.name
        );
        // Approved, then corrected in a new version still being prepared: neither late nor
        // overdue.
        move_to(
            s,
            v1.id,
            SubmissionStatus::Approved,
            datetime!(2025-11-12 9:00 UTC),
        )
        .await;
        let v2 = s
            .open_submission(&pid(POLICE), "2024", "t", "awa")
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let t = s.timeliness().await.unwrap();
        let row = t.iter().find(|t| t.provider_id == POLICE).unwrap();
        assert_eq!(row.status, Some(SubmissionStatus::Draft), "{}", e.name);
        assert_eq!(row.days_late, Some(-11), "{}", e.name);
        assert_eq!(
            row.days_overdue, None,
            "{}: a correction is not overdue",
            e.name
        );
        // The NGO never sent anything: overdue since the due date.
        let ngo = t.iter().find(|t| t.provider_id == NGO).unwrap();
        assert_eq!(ngo.days_late, None);
        assert_eq!(
            ngo.days_overdue,
            Some((OffsetDateTime::now_utc().date() - date!(2025 - 01 - 31)).whole_days())
        );
        // The focal point's own view of the period says the same.
        let work = s.provider_work(&own(), &pid(POLICE)).await.unwrap();
        assert_eq!(work.len(), 1, "{}", e.name);
        assert_eq!(work[0].days_late, Some(-11), "{}", e.name);
        assert_eq!(work[0].latest.as_ref().map(|s| s.version), Some(2));
    }
}

#[tokio::test]
async fn a_providers_periods_say_what_is_due_and_why_a_submission_came_back() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2024, 2025]).await;
        let v = s
            .create_submission(&pid(POLICE), "2024", "t", "awa")
            .await
            .unwrap();
        put(s, &v, &[victim("V-1", json!({"sex": "F"}))]).await;
        move_to(
            s,
            v.id,
            SubmissionStatus::Submitted,
            datetime!(2025-01-30 9:00 UTC),
        )
        .await;
        move_to(
            s,
            v.id,
            SubmissionStatus::Returned,
            datetime!(2025-02-03 9:00 UTC),
        )
        .await;
        let today = date!(2026 - 01 - 21);
        let work = s
            .provider_work_on(&own(), &pid(POLICE), today)
            .await
            .unwrap();
        let ids: Vec<&str> = work.iter().map(|w| w.period.id.as_str()).collect();
        assert_eq!(ids, vec!["2024", "2025"], "{}: due date first", e.name);
        let returned = &work[0];
        assert!(returned.to_do());
        assert_eq!(returned.records, 1);
        assert_eq!(returned.days_late, Some(-1));
        let why = returned.returned.as_ref().expect("the return is known");
        assert_eq!(why.comment.as_deref(), Some("Ages missing: add them."));
        assert_eq!(why.actor, "someone");
        let due = &work[1];
        assert!(due.to_do() && due.latest.is_none());
        assert_eq!(due.days_left, Some(10), "{}", e.name);
        assert_eq!(due.days_overdue, None);
        let late = s
            .provider_work_on(&own(), &pid(POLICE), date!(2026 - 02 - 05))
            .await
            .unwrap();
        assert_eq!(late[1].days_overdue, Some(5), "{}", e.name);
        assert_eq!(late[1].days_left, None);
        // Another provider's periods do not exist for this provider's users.
        let other = Access::Provider(pid(NGO));
        assert!(matches!(
            s.provider_work(&other, &pid(POLICE)).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            s.provider_work(&Access::National, &pid(POLICE))
                .await
                .unwrap()
                .len(),
            2
        );
        // A closed period where everything was sent leaves the list; one with a returned
        // submission stays until it is done.
        for id in ["2024", "2025"] {
            s.close_period(id, date!(2026 - 03 - 01)).await.unwrap();
        }
        let work = s.provider_work(&own(), &pid(POLICE)).await.unwrap();
        let ids: Vec<&str> = work.iter().map(|w| w.period.id.as_str()).collect();
        assert_eq!(ids, vec!["2024"], "{}", e.name);
    }
}

#[tokio::test]
async fn uploads_are_kept_and_read_by_their_provider_only() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2025]).await;
        let sub = s
            .open_submission(&pid(POLICE), "2025", "t", "awa")
            .await
            .unwrap();
        let mut u = Upload {
            id: 0,
            provider_id: POLICE.into(),
            submission_id: Some(sub.id),
            entity: "victim".into(),
            file_name: "victims.csv".into(),
            actor: "awa".into(),
            at: datetime!(2026-01-10 10:00 UTC),
            rows: 12,
            inserted: 10,
            updated: 1,
            unchanged: 1,
            errors: 0,
            notes: [("en".to_string(), "Read as Windows-1252.".to_string())].into(),
        };
        s.record_upload(&u).await.unwrap();
        u.file_name = "victims-2.csv".into();
        u.errors = 3;
        (u.inserted, u.updated, u.unchanged) = (0, 0, 0);
        s.record_upload(&u).await.unwrap();
        let list = s.uploads(&own(), &pid(POLICE), 5).await.unwrap();
        assert_eq!(list.len(), 2, "{}", e.name);
        assert_eq!(list[0].file_name, "victims-2.csv", "newest first");
        assert!(!list[0].stored());
        assert!(list[1].stored());
        assert_eq!(
            (list[1].inserted, list[1].updated, list[1].unchanged),
            (10, 1, 1)
        );
        assert_eq!(list[1].notes_in("fr"), "Read as Windows-1252.");
        assert_eq!(list[1].at, datetime!(2026-01-10 10:00 UTC));
        let other = Access::Provider(pid(NGO));
        assert!(
            s.uploads(&other, &pid(POLICE), 5).await.unwrap().is_empty(),
            "{}: another provider's uploads are none",
            e.name
        );
    }
}

#[tokio::test]
async fn submissions_come_a_page_at_a_time_within_the_callers_access() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2021, 2022, 2023, 2024, 2025]).await;
        for y in 2021..=2025 {
            for p in [POLICE, NGO] {
                s.create_submission(&pid(p), &y.to_string(), "t", "x")
                    .await
                    .unwrap();
            }
        }
        let (page, total) = s
            .submissions_page(&Access::National, None, 0, 4)
            .await
            .unwrap();
        assert_eq!((page.len(), total), (4, 10), "{}", e.name);
        let (last, _) = s
            .submissions_page(&Access::National, None, 8, 4)
            .await
            .unwrap();
        assert_eq!(last.len(), 2);
        assert_eq!(last[1].period_id, "2021", "newest period first");
        let (mine, total) = s.submissions_page(&own(), None, 0, 50).await.unwrap();
        assert_eq!(total, 5, "{}", e.name);
        assert!(mine.iter().all(|s| s.provider_id == POLICE));
        let (drafts, total) = s
            .submissions_page(&own(), Some(SubmissionStatus::Submitted), 0, 50)
            .await
            .unwrap();
        assert!(drafts.is_empty() && total == 0);
    }
}

#[tokio::test]
async fn a_new_version_shows_what_it_added_and_changed() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2024]).await;
        let v1 = s
            .open_submission(&pid(POLICE), "2024", "t", "awa")
            .await
            .unwrap();
        put(
            s,
            &v1,
            &[
                victim("V-1", json!({"sex": "F", "age": 17})),
                victim("V-2", json!({"sex": "M", "age": 30})),
                victim("V-3", json!({"sex": "F"})),
            ],
        )
        .await;
        assert!(
            s.submission_diff(&own(), v1.id).await.unwrap().is_none(),
            "a first version has nothing to compare with"
        );
        move_to(
            s,
            v1.id,
            SubmissionStatus::Submitted,
            datetime!(2025-01-20 9:00 UTC),
        )
        .await;
        move_to(
            s,
            v1.id,
            SubmissionStatus::Approved,
            datetime!(2025-01-25 9:00 UTC),
        )
        .await;
        // The correction: V-2's age fixed, V-3 sent again as it was, V-4 new.
        let v2 = s
            .open_submission(&pid(POLICE), "2024", "t", "awa")
            .await
            .unwrap();
        put(
            s,
            &v2,
            &[
                victim("V-2", json!({"sex": "M", "age": 31, "region": "CF-BGF"})),
                victim("V-3", json!({"sex": "F"})),
                victim("V-4", json!({"sex": "F", "age": 12})),
            ],
        )
        .await;
        let diff = s.submission_diff(&own(), v2.id).await.unwrap().unwrap();
        assert_eq!(diff.previous.id, v1.id, "{}", e.name);
        let refs = |l: &[tessera_store::DiffRecord]| {
            l.iter().map(|r| r.provider_ref.clone()).collect::<Vec<_>>()
        };
        assert_eq!(refs(&diff.added), vec!["V-4"], "{}", e.name);
        assert_eq!(refs(&diff.changed), vec!["V-2"], "{}", e.name);
        assert_eq!(diff.changed[0].fields, vec!["age", "region"]);
        assert_eq!((diff.added_total, diff.changed_total), (1, 1));
        assert_eq!(
            diff.kept, 2,
            "{}: V-1 and V-3 stay as version 1 sent them",
            e.name
        );
        let other = Access::Provider(pid(NGO));
        assert!(matches!(
            s.submission_diff(&other, v2.id).await,
            Err(StoreError::NotFound(_))
        ));
        // The records of the new version, paged.
        let first = s
            .submission_records(&own(), v2.id, "victim", 0, 1)
            .await
            .unwrap();
        let next = s
            .submission_records(&own(), v2.id, "victim", first[0].id, 10)
            .await
            .unwrap();
        assert_eq!(first.len() + next.len(), 2, "{}", e.name);
        assert!(
            s.submission_records(&other, v2.id, "victim", 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn quality_flags_compare_a_period_with_the_providers_previous_ones() {
    for e in engines().await {
        let s = &e.store;
        setup(s, &[2021, 2022, 2023, 2024, 2025]).await;
        // Ten victims a year with sex and age (2021, older than the three periods compared,
        // without age).
        for y in 2021..=2024 {
            let sub = s
                .open_submission(&pid(POLICE), &y.to_string(), "t", "awa")
                .await
                .unwrap();
            let data = if y == 2021 {
                json!({"sex": "F"})
            } else {
                json!({"sex": "F", "age": 20})
            };
            let recs: Vec<IntakeRecord> = (0..10)
                .map(|i| victim(&format!("{y}-{i}"), data.clone()))
                .collect();
            put(s, &sub, &recs).await;
        }
        // 2025: thirty victims, sex on only six of them, age on all.
        let sub = s
            .open_submission(&pid(POLICE), "2025", "t", "awa")
            .await
            .unwrap();
        let recs: Vec<IntakeRecord> = (0..30)
            .map(|i| {
                if i < 6 {
                    victim(&format!("2025-{i}"), json!({"sex": "M", "age": 20}))
                } else {
                    victim(&format!("2025-{i}"), json!({"sex": "", "age": 20}))
                }
            })
            .collect();
        put(s, &sub, &recs).await;
        let q = s.submission_quality(&own(), sub.id).await.unwrap();
        assert_eq!(q.compared_with, vec!["2022", "2023", "2024"], "{}", e.name);
        assert_eq!(q.counts, vec![("victim".to_string(), 30, 10.0)]);
        assert_eq!(q.flags.len(), 2, "{}: {:?}", e.name, q.flags);
        assert!(q.flags.contains(&QualityFlag::CountChange {
            entity: "victim".into(),
            now: 30,
            before: 10.0
        }));
        assert!(q.flags.contains(&QualityFlag::CompletenessDrop {
            entity: "victim".into(),
            variable: "sex".into(),
            now: 0.2,
            before: 1.0
        }));
        // A period like the ones before it raises nothing; the first has nothing to compare.
        let q = s.submission_quality(&own(), sub.id - 1).await.unwrap();
        assert!(q.flags.is_empty(), "{}: {:?}", e.name, q.flags);
        let first = s.submissions(Some(&pid(POLICE))).await.unwrap();
        let first = first.iter().find(|s| s.period_id == "2021").unwrap();
        let q = s.submission_quality(&own(), first.id).await.unwrap();
        assert!(q.compared_with.is_empty() && q.flags.is_empty());
        let other = Access::Provider(pid(NGO));
        assert!(matches!(
            s.submission_quality(&other, sub.id).await,
            Err(StoreError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn an_entry_draft_is_kept_per_user_and_entity_without_identifiers() {
    let d = Dictionary::base().unwrap();
    for e in engines().await {
        let s = &e.store;
        let form: Vec<(String, String)> = [
            ("_period", "2025"),
            ("provider_ref", "V-9"),
            ("sex", "F"),
            ("citizenship", "CM"),
            ("citizenship", "TD"),
            ("given_name", "Awa"),
            ("family_name", "Ndiaye"),
            ("csrf", "0123"),
            ("age", "  "),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let dropped = s
            .save_entry_draft(&d, "awa", "victim", &form)
            .await
            .unwrap();
        assert_eq!(dropped, 2, "{}: the names are left out", e.name);
        let draft = s.entry_draft("awa", "victim").await.unwrap().unwrap();
        let kept: Vec<(&str, &str)> = draft
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![
                ("_period", "2025"),
                ("provider_ref", "V-9"),
                ("sex", "F"),
                ("citizenship", "CM"),
                ("citizenship", "TD"),
            ],
            "{}: no identifier, no token, no empty field",
            e.name
        );
        assert!(s.entry_draft("other", "victim").await.unwrap().is_none());
        assert!(s.entry_draft("awa", "suspect").await.unwrap().is_none());
        // Saving again replaces; storing the record forgets it.
        s.save_entry_draft(&d, "awa", "victim", &form[..2])
            .await
            .unwrap();
        let draft = s.entry_draft("awa", "victim").await.unwrap().unwrap();
        assert_eq!(draft.values.len(), 2);
        s.delete_entry_draft("awa", "victim").await.unwrap();
        assert!(s.entry_draft("awa", "victim").await.unwrap().is_none());
        assert!(matches!(
            s.save_entry_draft(&d, "awa", "no_such_entity", &form).await,
            Err(StoreError::NotFound(_))
        ));
    }
}
