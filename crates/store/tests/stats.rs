//! The analysis layer's reads: every record with its period and approval, under an access, and
//! the fingerprint that tells when the approved data changed. On both engines.

mod common;

use common::engines;
use serde_json::json;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::IntakeRecord;
use tessera_store::{Access, Period, Provider, SubmissionStatus};
use time::macros::date;

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

fn victim(r: &str, sex: &str) -> IntakeRecord {
    IntakeRecord {
        provider_ref: r.into(),
        data: json!({ "provider_ref": r, "sex": sex, "exploitation": ["SEX", "LAB"] })
            .as_object()
            .unwrap()
            .clone(),
        pseudonyms: None,
        source_row: 2,
    }
}

#[tokio::test]
async fn facts_carry_period_and_approval_and_honour_access_on_both_engines() {
    for e in engines().await {
        let s = &e.store;
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
        let fp0 = s.approved_fingerprint().await.unwrap();
        let police = s
            .create_submission(&pid("police-bangui"), "2024", "v", "t")
            .await
            .unwrap();
        let ngo = s
            .create_submission(&pid("ngo-espoir"), "2024", "v", "t")
            .await
            .unwrap();
        s.insert_records(
            &pid("police-bangui"),
            "victim",
            "v",
            Some(police.id),
            &[victim("P-1", "F"), victim("P-2", "M")],
        )
        .await
        .unwrap();
        s.insert_records(
            &pid("ngo-espoir"),
            "victim",
            "v",
            Some(ngo.id),
            &[victim("N-1", "F")],
        )
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
        let fp1 = s.approved_fingerprint().await.unwrap();
        assert_ne!(fp0, fp1, "{}: new records change the fingerprint", e.name);
        s.set_submission_status(police.id, SubmissionStatus::Submitted, "t", None)
            .await
            .unwrap();
        s.set_submission_status(police.id, SubmissionStatus::Approved, "t", None)
            .await
            .unwrap();
        let fp2 = s.approved_fingerprint().await.unwrap();
        assert_ne!(fp1, fp2, "{}: an approval changes the fingerprint", e.name);
        assert_eq!(fp2.approved_submissions, 1);
        assert_eq!(
            s.approved_fingerprint().await.unwrap(),
            fp2,
            "{}: stable",
            e.name
        );

        let mut all = Vec::new();
        let n = s
            .for_each_fact(&Access::National, Some("victim"), |r| all.push(r))
            .await
            .unwrap();
        assert_eq!(n, 4, "{}", e.name);
        let refs: Vec<(&str, Option<&str>, bool)> = all
            .iter()
            .map(|r| (r.provider_ref.as_str(), r.period_id.as_deref(), r.approved))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("P-1", Some("2024"), true),
                ("P-2", Some("2024"), true),
                ("N-1", Some("2024"), false),
                ("N-0", None, false),
            ],
            "{}",
            e.name
        );
        assert!(all.iter().all(|r| r.entity == "victim"));
        assert_eq!(
            s.for_each_fact(&Access::National, None, |_| {})
                .await
                .unwrap(),
            4,
            "{}: every entity in one pass",
            e.name
        );
        let data: serde_json::Value = serde_json::from_str(&all[0].data).unwrap();
        assert_eq!(data["exploitation"], json!(["SEX", "LAB"]), "{}", e.name);

        let mut own = Vec::new();
        s.for_each_fact(&Access::Provider(pid("ngo-espoir")), Some("victim"), |r| {
            own.push(r.provider_id)
        })
        .await
        .unwrap();
        assert_eq!(own, vec!["ngo-espoir", "ngo-espoir"], "{}", e.name);
        assert_eq!(
            s.for_each_fact(&Access::National, Some("suspect"), |_| {})
                .await
                .unwrap(),
            0
        );

        // A corrected record (history row) changes the fingerprint too.
        let again = s
            .create_submission(&pid("police-bangui"), "2024", "v", "t")
            .await
            .unwrap();
        s.insert_records(
            &pid("police-bangui"),
            "victim",
            "v",
            Some(again.id),
            &[victim("P-1", "M")],
        )
        .await
        .unwrap();
        assert_ne!(s.approved_fingerprint().await.unwrap(), fp2, "{}", e.name);
    }
}
