//! Retention rules per entity and deletion on a lawful request (issue 18): records past their
//! entity's period go with their history and the verdicts naming them, a dry run changes
//! nothing, the audit log says what went under which rule or request without keeping a value,
//! still verifies, and the dashboards' fingerprint moves. Both engines.

mod common;

use std::sync::Arc;

use common::{agree, engines};
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::{ImportOptions, Limits};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{
    Access, AuditKey, ImportRequest, ImportResult, ImportSource, Period, Provider, Store,
};
use time::macros::date;

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

async fn setup(s: &Store, d: &Dictionary) {
    s.register_provider(&Provider {
        id: pid("ngo-espoir"),
        name: "ONG Espoir".into(),
        provider_type: ProviderType::parse(d, "NGO").unwrap(),
        region: None,
        profile: Default::default(),
    })
    .await
    .unwrap();
    agree(s, "ngo-espoir", &["victim"]).await;
    for (id, start, end) in [
        ("2024", date!(2024 - 01 - 01), date!(2024 - 12 - 31)),
        ("2025", date!(2025 - 01 - 01), date!(2025 - 12 - 31)),
    ] {
        s.upsert_period(&Period {
            id: id.into(),
            starts_on: start,
            ends_on: end,
            due_on: end,
            provider_types: Vec::new(),
            closed_on: None,
        })
        .await
        .unwrap();
    }
}

async fn import(s: &Store, d: &Dictionary, period: Option<&str>, refs: &[&str], age: u32) {
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap()));
    let sub = match period {
        Some(p) => Some(
            s.open_submission(&pid("ngo-espoir"), p, &d.full_version(), "t")
                .await
                .unwrap()
                .id,
        ),
        None => None,
    };
    let mut csv = String::from(
        "provider_ref,identification_status,date_identified,sex,age,exploitation,given_name,family_name\n",
    );
    for r in refs {
        csv.push_str(&format!(
            "{r},IDENTIFIED,2024-03-02,F,{age},SEX,Clarisse,Zanga\n"
        ));
    }
    let r = s
        .import_file(
            Arc::new(d.clone()),
            enc,
            ImportRequest {
                provider: pid("ngo-espoir"),
                entity: "victim".into(),
                submission_id: sub,
                options: ImportOptions::default(),
                limits: Limits::default(),
                lang: "en".into(),
                name: "v.csv".into(),
            },
            ImportSource::Bytes(csv.into_bytes()),
        )
        .await
        .unwrap();
    assert!(matches!(r, ImportResult::Stored { .. }), "{r:?}");
}

async fn refs(s: &Store) -> Vec<String> {
    let mut v: Vec<String> = s
        .records(&Access::National, "victim", 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.provider_ref)
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn retention_deletes_what_is_past_its_period_only_when_applied_and_audits_it() {
    let d = Dictionary::base().unwrap();
    for mut e in engines().await {
        let dir = tempfile::tempdir().unwrap();
        e.store.set_audit_key(AuditKey::derive(&[3; 32]));
        e.store.set_audit_checkpoint(dir.path().join("head"));
        let s = &e.store;
        setup(s, &d).await;
        import(s, &d, Some("2024"), &["OLD-1", "OLD-2"], 19).await;
        // A second version of OLD-1: its history goes too.
        import(s, &d, Some("2024"), &["OLD-1"], 20).await;
        import(s, &d, Some("2025"), &["NEW-1"], 19).await;
        import(s, &d, None, &["LOOSE-1"], 19).await;
        let all = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        let id = |r: &str| all.iter().find(|x| x.provider_ref == r).unwrap().id;
        s.decide_link(id("OLD-2"), id("NEW-1"), false, "coord")
            .await
            .unwrap();

        // No rule: nothing is past its time.
        assert!(
            s.retention_plan(date!(2040 - 01 - 01))
                .await
                .unwrap()
                .is_empty()
        );
        s.set_retention("victim", Some(1), "admin").await.unwrap();
        assert!(s.set_retention("victim", Some(0), "admin").await.is_err());
        let rules = s.retention_rules().await.unwrap();
        assert_eq!(rules.years.get("victim"), Some(&1));

        // On 2026-06-30 with one year: periods that ended before 2025-06-30 are past — 2024's.
        let today = date!(2026 - 06 - 30);
        let plan = s.retention_plan(today).await.unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].cutoff, date!(2025 - 06 - 30));
        assert_eq!(plan[0].records, 2, "{}", e.name);
        // The plan is a dry run.
        assert_eq!(refs(s).await, ["LOOSE-1", "NEW-1", "OLD-1", "OLD-2"]);

        let fp = s.approved_fingerprint().await.unwrap();
        let done = s.apply_retention(today, "admin").await.unwrap();
        assert_eq!(done[0].records, 2, "{}", e.name);
        assert_eq!(refs(s).await, ["LOOSE-1", "NEW-1"], "{}", e.name);
        assert!(s.link_decisions().await.unwrap().is_empty(), "{}", e.name);
        assert_ne!(s.approved_fingerprint().await.unwrap(), fp, "{}", e.name);
        let entry = &s
            .audit_entries(None, Some("retention.apply"), 1)
            .await
            .unwrap()[0];
        let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(detail["records"], 2);
        assert_eq!(detail["cutoff"], "2025-06-30");
        assert!(detail["history"].as_u64().unwrap() >= 1, "{detail}");
        assert!(!entry.detail.contains("OLD-"), "{}", entry.detail);
        // Applying again finds nothing more, and the log verifies.
        assert_eq!(
            s.apply_retention(today, "admin").await.unwrap()[0].records,
            0
        );
        assert!(s.verify_audit().await.unwrap().is_intact(), "{}", e.name);
        // A rule removed keeps everything from then on.
        s.set_retention("victim", None, "admin").await.unwrap();
        assert!(
            s.retention_plan(date!(2099 - 01 - 01))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_lawful_deletion_removes_the_records_and_their_history_and_keeps_only_its_trace() {
    let d = Dictionary::base().unwrap();
    for mut e in engines().await {
        let dir = tempfile::tempdir().unwrap();
        e.store.set_audit_key(AuditKey::derive(&[3; 32]));
        e.store.set_audit_checkpoint(dir.path().join("head"));
        let s = &e.store;
        setup(s, &d).await;
        import(s, &d, Some("2025"), &["A", "B", "C"], 19).await;
        import(s, &d, Some("2025"), &["A"], 21).await;
        let all = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        let id = |r: &str| all.iter().find(|x| x.provider_ref == r).unwrap().id;
        s.decide_link(id("A"), id("B"), true, "coord")
            .await
            .unwrap();
        s.decide_link(id("B"), id("C"), false, "coord")
            .await
            .unwrap();

        assert!(s.delete_records(&[id("A")], "admin", " ").await.is_err());
        let gone = s
            .delete_records(&[id("A"), id("B")], "admin", "DPA-2026-0042")
            .await
            .unwrap();
        assert_eq!(gone.records, 2, "{}", e.name);
        assert_eq!(gone.link_decisions, 2, "{}", e.name);
        assert_eq!(gone.by.get("victim/ngo-espoir"), Some(&2));
        assert_eq!(refs(s).await, ["C"], "{}", e.name);
        assert!(
            s.record(&Access::National, id("A"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.record_history(&Access::National, id("A")).await.is_err());
        let entry = &s
            .audit_entries(None, Some("person.delete"), 1)
            .await
            .unwrap()[0];
        assert_eq!(entry.object, "DPA-2026-0042");
        // The trace names the records and the request, never what they held.
        for value in ["Clarisse", "Zanga", "IDENTIFIED", "2024-03-02", "SEX"] {
            assert!(!entry.detail.contains(value), "{}", entry.detail);
        }
        assert!(s.verify_audit().await.unwrap().is_intact(), "{}", e.name);
    }
}
