//! A real country's registry without the demo, on both engines: providers registered one by one
//! and from a spreadsheet list (all or nothing), edited and retired; agreements enforced on every
//! import; periods closed. Each refusal is one plain sentence naming its cause.

mod common;

use std::sync::Arc;

use common::engines;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::{ImportOptions, IntakeError, Limits, read_provider_list};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{
    Agreement, ImportRequest, ImportResult, ImportSource, Period, Provider, Store, StoreError,
};
use time::macros::date;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

fn provider(d: &Dictionary, id: &str, ty: &str) -> Provider {
    Provider {
        id: pid(id),
        name: id.to_uppercase(),
        provider_type: ProviderType::parse(d, ty).unwrap(),
        region: None,
        profile: Default::default(),
    }
}

fn agreement(id: &str, entities: &[&str], level: &str) -> Agreement {
    Agreement {
        id: 0,
        provider_id: pid(id),
        entities: entities.iter().map(|e| e.to_string()).collect(),
        level: level.into(),
        valid_from: date!(2020 - 01 - 01),
        valid_to: None,
        signed_on: Some(date!(2019 - 12 - 15)),
        signatories: Some("Minister; Director".into()),
        document_sha256: None,
        ended_on: None,
    }
}

const VICTIMS: &str = "provider_ref,identification_status,date_identified,sex,exploitation\nV-1,IDENTIFIED,2025-01-02,F,SEX\n";
const SUSPECTS: &str = "provider_ref,date_recorded,offence,sex\nS-1,2025-02-03,02041,M\n";

async fn send(
    store: &Store,
    d: &Dictionary,
    provider: &str,
    entity: &str,
    csv: &str,
) -> Result<ImportResult, StoreError> {
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap()));
    let sub = store
        .open_submission(&pid(provider), "2025", &d.full_version(), "t")
        .await?;
    store
        .import_file(
            Arc::new(d.clone()),
            enc,
            ImportRequest {
                provider: pid(provider),
                entity: entity.into(),
                submission_id: Some(sub.id),
                options: ImportOptions::default(),
                limits: Limits::default(),
                lang: "en".into(),
                name: format!("{entity}.csv"),
            },
            ImportSource::Bytes(csv.as_bytes().to_vec()),
        )
        .await
}

fn forbidden(r: Result<ImportResult, StoreError>) -> String {
    match r {
        Err(StoreError::Forbidden(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn providers_are_registered_edited_and_retired_keeping_their_records() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        let mut p = provider(&d, "ngo-espoir", "NGO");
        p.profile.ngo = true;
        p.profile.names.insert("fr".into(), "ONG Espoir".into());
        s.register_provider(&p).await.unwrap();
        let again = s.register_provider(&p).await.unwrap_err().to_string();
        assert!(again.contains("already registered"), "{}: {again}", e.name);
        p.profile.contact = Some("+236 70 00 00 00".into());
        s.edit_provider(&p).await.unwrap();
        let back = s.provider(&pid("ngo-espoir")).await.unwrap().unwrap();
        assert_eq!(back.profile, p.profile, "{}", e.name);
        assert_eq!(back.name_in("fr"), "ONG Espoir");
        assert_eq!(back.name_in("en"), "NGO-ESPOIR");
        assert!(matches!(
            s.edit_provider(&provider(&d, "nobody-here", "NGO")).await,
            Err(StoreError::NotFound(_))
        ));
        // Sending works under an agreement, and stops once the provider is retired; the
        // records stay.
        s.upsert_period(&Period {
            id: "2025".into(),
            starts_on: date!(2025 - 01 - 01),
            ends_on: date!(2025 - 12 - 31),
            due_on: date!(2026 - 01 - 31),
            provider_types: Vec::new(),
            closed_on: None,
        })
        .await
        .unwrap();
        s.add_agreement(&agreement("ngo-espoir", &["victim", "assistance"], "case"))
            .await
            .unwrap();
        assert!(matches!(
            send(s, &d, "ngo-espoir", "victim", VICTIMS).await,
            Ok(ImportResult::Stored { .. })
        ));
        s.retire_provider(&pid("ngo-espoir"), date!(2025 - 06 - 30))
            .await
            .unwrap();
        let m = forbidden(send(s, &d, "ngo-espoir", "victim", VICTIMS).await);
        assert!(m.contains("retired on 2025-06-30"), "{}: {m}", e.name);
        let own = tessera_store::Access::Provider(pid("ngo-espoir"));
        assert_eq!(s.count_records(&own, Some("victim")).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn agreements_decide_what_a_provider_may_send() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        for (id, ty) in [
            ("ngo-espoir", "NGO"),
            ("police-bangui", "POLICE"),
            ("minusca-ddh", "MINUSCA"),
            ("police-bimbo", "POLICE"),
        ] {
            s.register_provider(&provider(&d, id, ty)).await.unwrap();
        }
        s.upsert_period(&Period {
            id: "2025".into(),
            starts_on: date!(2025 - 01 - 01),
            ends_on: date!(2025 - 12 - 31),
            due_on: date!(2026 - 01 - 31),
            provider_types: Vec::new(),
            closed_on: None,
        })
        .await
        .unwrap();
        // No agreement at all.
        let m = forbidden(send(s, &d, "police-bangui", "victim", VICTIMS).await);
        assert!(m.contains("no data-sharing agreement"), "{}: {m}", e.name);
        // An NGO whose agreement covers victims and assistance cannot send suspects, even
        // though... its type's templates do not hold them either: the template refusal names
        // the templates, the agreement one the agreement.
        let n = s
            .add_agreement(&agreement("ngo-espoir", &["victim", "assistance"], "case"))
            .await
            .unwrap();
        assert!(matches!(
            send(s, &d, "ngo-espoir", "victim", VICTIMS).await,
            Ok(ImportResult::Stored { .. })
        ));
        let m = forbidden(send(s, &d, "ngo-espoir", "suspect", SUSPECTS).await);
        assert!(
            m.contains("templates hold victim, assistance"),
            "{}: {m}",
            e.name
        );
        // A police agreement covering victims only: suspects refused, naming the agreement.
        s.add_agreement(&agreement("police-bangui", &["victim"], "case"))
            .await
            .unwrap();
        let m = forbidden(send(s, &d, "police-bangui", "suspect", SUSPECTS).await);
        assert!(
            m.contains("agreement") && m.contains("does not cover suspect"),
            "{}: {m}",
            e.name
        );
        // Aggregates only: no case records.
        s.add_agreement(&agreement("minusca-ddh", &["victim"], "aggregate"))
            .await
            .unwrap();
        let m = forbidden(send(s, &d, "minusca-ddh", "victim", VICTIMS).await);
        assert!(m.contains("aggregates only"), "{}: {m}", e.name);
        // Expired, and not yet valid.
        s.add_agreement(&Agreement {
            valid_to: Some(date!(2021 - 12 - 31)),
            ..agreement("police-bimbo", &["victim", "suspect"], "case")
        })
        .await
        .unwrap();
        let m = forbidden(send(s, &d, "police-bimbo", "victim", VICTIMS).await);
        assert!(m.contains("ended on 2021-12-31"), "{}: {m}", e.name);
        s.add_agreement(&Agreement {
            valid_from: date!(2099 - 01 - 01),
            ..agreement("police-bimbo", &["victim", "suspect"], "case")
        })
        .await
        .unwrap();
        let m = forbidden(send(s, &d, "police-bimbo", "victim", VICTIMS).await);
        assert!(
            m.contains("not in force before 2099-01-01"),
            "{}: {m}",
            e.name
        );
        // Ending an agreement stops what it covered.
        s.end_agreement(n, date!(2025 - 01 - 01)).await.unwrap();
        let m = forbidden(send(s, &d, "ngo-espoir", "victim", VICTIMS).await);
        assert!(m.contains("ended on 2025-01-01"), "{}: {m}", e.name);
        // The signed document is kept with its SHA-256.
        let id = s
            .add_agreement_with_document(
                &agreement("police-bangui", &["victim", "suspect"], "case"),
                Some(b"%PDF-1.4 signed"),
            )
            .await
            .unwrap();
        let list = s.agreements(&pid("police-bangui")).await.unwrap();
        let a = list.iter().find(|a| a.id == id).unwrap();
        assert_eq!(
            a.document_sha256.as_deref(),
            Some("8ed74dd5bdcfb6b5db56a79b93609e87b93bc8234fb6037e7ff070922fd5104b")
        );
        assert_eq!(
            s.agreement_document(id).await.unwrap().as_deref(),
            Some(&b"%PDF-1.4 signed"[..])
        );
        assert!(matches!(
            send(s, &d, "police-bangui", "suspect", SUSPECTS).await,
            Ok(ImportResult::Stored { .. })
        ));
        // Agreements of unknown providers are refused in words.
        let m = s
            .add_agreement(&agreement("nobody-here", &["victim"], "case"))
            .await
            .unwrap_err()
            .to_string();
        assert!(m.contains("nobody-here"), "{m}");
    }
}

#[tokio::test]
async fn a_closed_period_takes_no_new_submission() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        s.register_provider(&provider(&d, "police-bangui", "POLICE"))
            .await
            .unwrap();
        s.upsert_period(&Period {
            id: "2024".into(),
            starts_on: date!(2024 - 01 - 01),
            ends_on: date!(2024 - 12 - 31),
            due_on: date!(2025 - 01 - 31),
            provider_types: vec!["POLICE".into()],
            closed_on: None,
        })
        .await
        .unwrap();
        s.close_period("2024", date!(2025 - 03 - 01)).await.unwrap();
        let p = &s.periods().await.unwrap()[0];
        assert_eq!(p.provider_types, vec!["POLICE"]);
        assert_eq!(p.closed_on, Some(date!(2025 - 03 - 01)));
        let m = s
            .open_submission(&pid("police-bangui"), "2024", &d.full_version(), "t")
            .await
            .unwrap_err()
            .to_string();
        assert!(m.contains("closed on 2025-03-01"), "{}: {m}", e.name);
    }
}

#[tokio::test]
async fn a_provider_list_is_registered_whole_or_not_at_all() {
    let d = dict();
    let good = "id,name,name_fr,type,region,ngo,contact\npolice-bangui,Bangui Police,Police de Bangui,POLICE,CF-BGF,no,+236 1\nngo-espoir,Espoir,Espoir,NGO,,yes,\n";
    let list = read_provider_list(
        &d,
        Box::new(std::io::Cursor::new(good.as_bytes().to_vec())),
        "providers.csv",
        Limits::default(),
    )
    .unwrap();
    // Cell by cell: a mistyped type and region get the closest valid value, a repeated id its
    // first line.
    let bad = "id,name,type,region\npolice-bangui,Police,POLCE,CF-BGF\nngo-espoir,Espoir,NGO,Bangi\nngo-espoir,Again,NGO,\nBad Id,X,NGO,\n";
    let report = match read_provider_list(
        &d,
        Box::new(std::io::Cursor::new(bad.as_bytes().to_vec())),
        "bad.csv",
        Limits::default(),
    ) {
        Err(IntakeError::Invalid(r)) => r,
        other => panic!("{other:?}"),
    };
    let at = |row: usize, col: &str| {
        report
            .errors
            .iter()
            .find(|e| e.row == row && e.column == col)
            .unwrap_or_else(|| panic!("no error at {row}/{col}: {report}"))
    };
    assert_eq!(at(2, "type").suggestion.as_deref(), Some("POLICE"));
    assert!(at(2, "type").message.contains("did you mean POLICE"));
    assert_eq!(at(3, "region").suggestion.as_deref(), Some("CF-BGF"));
    assert!(at(4, "id").message.contains("line 3"));
    assert!(
        at(5, "id")
            .message
            .contains("not a valid provider identifier")
    );
    for e in engines().await {
        let s = &e.store;
        let providers: Vec<Provider> = list.iter().cloned().map(Provider::from).collect();
        s.register_providers(&providers).await.unwrap();
        let all = s.providers().await.unwrap();
        assert_eq!(all.len(), 2, "{}", e.name);
        let police = s.provider(&pid("police-bangui")).await.unwrap().unwrap();
        assert_eq!(police.name_in("fr"), "Police de Bangui");
        assert_eq!(police.region.as_deref(), Some("CF-BGF"));
        assert!(
            s.provider(&pid("ngo-espoir"))
                .await
                .unwrap()
                .unwrap()
                .profile
                .ngo
        );
        // A second list repeating one id registers none of its providers.
        let mut second = vec![provider(&d, "gendarmerie-bambari", "GENDARMERIE")];
        second.push(provider(&d, "ngo-espoir", "NGO"));
        let m = s.register_providers(&second).await.unwrap_err().to_string();
        assert!(
            m.contains("ngo-espoir") && m.contains("already registered"),
            "{m}"
        );
        assert!(
            s.provider(&pid("gendarmerie-bambari"))
                .await
                .unwrap()
                .is_none(),
            "{}: nothing of the refused list stays",
            e.name
        );
    }
}

#[tokio::test]
async fn timeliness_counts_only_the_providers_a_period_expects_and_how_overdue_they_are() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        for (id, ty) in [
            ("police-bangui", "POLICE"),
            ("ngo-espoir", "NGO"),
            ("police-old", "POLICE"),
        ] {
            s.register_provider(&provider(&d, id, ty)).await.unwrap();
        }
        s.retire_provider(&pid("police-old"), date!(2023 - 06 - 30))
            .await
            .unwrap();
        s.upsert_period(&Period {
            id: "2024-Q1".into(),
            starts_on: date!(2024 - 01 - 01),
            ends_on: date!(2024 - 03 - 31),
            due_on: date!(2024 - 04 - 30),
            provider_types: vec!["POLICE".into()],
            closed_on: None,
        })
        .await
        .unwrap();
        let t = s.timeliness().await.unwrap();
        let ids: Vec<&str> = t.iter().map(|t| t.provider_id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["police-bangui"],
            "{}: only active police units report",
            e.name
        );
        let expected =
            (time::OffsetDateTime::now_utc().date() - date!(2024 - 04 - 30)).whole_days();
        assert_eq!(t[0].days_overdue, Some(expected), "{}", e.name);
        assert_eq!(t[0].days_late, None);
    }
}
