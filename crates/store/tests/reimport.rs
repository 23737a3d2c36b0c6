//! Field teams re-export everything each month: re-importing records whose values did not change
//! leaves them as they were (same version, no history), and the import says how many were
//! unchanged. Exports carry each record's id, version and submission. Both engines.

mod common;

use std::sync::Arc;

use common::{agree, engines};
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::{ImportOptions, Limits};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{
    Access, EXPORT_COLUMNS, ExportOptions, ImportRequest, ImportResult, ImportSource,
    InsertOutcome, Period, Provider, Store, SubmissionStatus,
};
use time::macros::date;

fn dict() -> Dictionary {
    Dictionary::base().unwrap()
}

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
}

/// Imports `csv` for ngo-espoir, into its open submission for 2025 when `period` is set.
async fn import(s: &Store, d: &Dictionary, csv: &str, period: bool) -> (InsertOutcome, i64) {
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap()));
    let sub = if period {
        Some(
            s.open_submission(&pid("ngo-espoir"), "2025", &d.full_version(), "t")
                .await
                .unwrap()
                .id,
        )
    } else {
        None
    };
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
                name: "victims.csv".into(),
            },
            ImportSource::Bytes(csv.as_bytes().to_vec()),
        )
        .await
        .unwrap();
    match r {
        ImportResult::Stored { outcome, .. } => (outcome, sub.unwrap_or(0)),
        ImportResult::Refused(report) => panic!("{report}"),
    }
}

fn outcome(inserted: u64, updated: u64, unchanged: u64) -> InsertOutcome {
    InsertOutcome {
        inserted,
        updated,
        unchanged,
    }
}

const HEADER: &str = "provider_ref,identification_status,date_identified,sex,age,exploitation,given_name,family_name\n";

fn file(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

async fn versions(s: &Store) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = s
        .records(&Access::National, "victim", 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.provider_ref, r.version))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn reimporting_unchanged_records_keeps_their_version_and_counts_them() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        setup(s, &d).await;
        let first = file(&[
            "V-1,IDENTIFIED,2025-01-02,F,19,SEX,Clarisse,Zanga",
            "V-2,PRESUMED,2025-01-03,M,,LAB,,",
            "V-3,IDENTIFIED,2025-01-04,F,30,SEX;DOM,Awa,",
        ]);
        assert_eq!(
            import(s, &d, &first, true).await.0,
            outcome(3, 0, 0),
            "{}",
            e.name
        );
        // The same cumulative file three more times: nothing changes, nothing is versioned.
        for _ in 0..3 {
            assert_eq!(
                import(s, &d, &first, true).await.0,
                outcome(0, 0, 3),
                "{}",
                e.name
            );
        }
        assert_eq!(
            versions(s).await,
            [("V-1".into(), 1), ("V-2".into(), 1), ("V-3".into(), 1)],
            "{}",
            e.name
        );
        let v1 = s.records(&Access::National, "victim", 0, 10).await.unwrap()[0].clone();
        assert!(
            s.record_history(&Access::National, v1.id)
                .await
                .unwrap()
                .is_empty()
        );
        // One value changed, one identifier changed (same values, other pseudonyms), one new
        // record: only those are written.
        let next = file(&[
            "V-1,IDENTIFIED,2025-01-02,F,20,SEX,Clarisse,Zanga",
            "V-2,PRESUMED,2025-01-03,M,,LAB,Jean,",
            "V-3,IDENTIFIED,2025-01-04,F,30,SEX;DOM,Awa,",
            "V-4,PRESUMED,2025-02-01,F,,SEX,,",
        ]);
        assert_eq!(
            import(s, &d, &next, true).await.0,
            outcome(1, 2, 1),
            "{}",
            e.name
        );
        assert_eq!(
            versions(s).await,
            [
                ("V-1".into(), 2),
                ("V-2".into(), 2),
                ("V-3".into(), 1),
                ("V-4".into(), 1)
            ],
            "{}",
            e.name
        );
        let hist = s.record_history(&Access::National, v1.id).await.unwrap();
        assert_eq!(hist.len(), 1, "{}", e.name);
        assert_eq!(hist[0].1["age"], 19);
        assert_eq!(
            import(s, &d, &next, true).await.0,
            outcome(0, 0, 4),
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn a_record_without_submission_joins_one_and_large_files_stay_unchanged() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        setup(s, &d).await;
        // Imported outside any submission (the CLI without --period), then sent for a period:
        // the records move into the submission, though their values are the same.
        let one = file(&["V-1,IDENTIFIED,2025-01-02,F,19,SEX,Clarisse,Zanga"]);
        assert_eq!(
            import(s, &d, &one, false).await.0,
            outcome(1, 0, 0),
            "{}",
            e.name
        );
        assert_eq!(
            import(s, &d, &one, false).await.0,
            outcome(0, 0, 1),
            "{}",
            e.name
        );
        let (out, sub) = import(s, &d, &one, true).await;
        assert_eq!(out, outcome(0, 1, 0), "{}", e.name);
        let rec = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        assert_eq!(rec[0].submission_id, Some(sub), "{}", e.name);
        // Once in a submission, re-sending it without one changes nothing.
        assert_eq!(
            import(s, &d, &one, false).await.0,
            outcome(0, 0, 1),
            "{}",
            e.name
        );
        // More records than one statement holds, some changed.
        let rows: Vec<String> = (0..2500)
            .map(|i| format!("B-{i},PRESUMED,2025-03-01,F,{},SEX,,", 20 + i % 50))
            .collect();
        let big = file(&rows.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            import(s, &d, &big, true).await.0,
            outcome(2500, 0, 0),
            "{}",
            e.name
        );
        assert_eq!(
            import(s, &d, &big, true).await.0,
            outcome(0, 0, 2500),
            "{}",
            e.name
        );
        let changed: Vec<String> = (0..2500)
            .map(|i| {
                let age = if i % 1000 == 7 { 99 } else { 20 + i % 50 };
                format!("B-{i},PRESUMED,2025-03-01,F,{age},SEX,,")
            })
            .collect();
        let big = file(&changed.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            import(s, &d, &big, true).await.0,
            outcome(0, 3, 2497),
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn exports_carry_record_id_version_and_submission_status() {
    let d = dict();
    for e in engines().await {
        let s = &e.store;
        setup(s, &d).await;
        let csv = file(&[
            "=1+2,IDENTIFIED,2025-01-02,F,19,SEX;LAB,Clarisse,Zanga",
            "V-2,PRESUMED,2025-01-03,M,,LAB,,",
        ]);
        let (_, sub) = import(s, &d, &csv, true).await;
        s.set_submission_status(sub, SubmissionStatus::Submitted, "fp", None)
            .await
            .unwrap();
        s.set_submission_status(sub, SubmissionStatus::Approved, "coord", None)
            .await
            .unwrap();
        let dict = &d;
        let export = |spreadsheet: bool| async move {
            let mut out: Vec<u8> = Vec::new();
            let n = s
                .export_csv(
                    dict,
                    &Access::Provider(pid("ngo-espoir")),
                    "victim",
                    ExportOptions { spreadsheet },
                    &mut out,
                    &mut |_| {},
                )
                .await
                .unwrap();
            (n, out)
        };
        let (n, plain) = export(false).await;
        assert_eq!(n, 2, "{}", e.name);
        let text = String::from_utf8(plain).unwrap();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(&header[..7], EXPORT_COLUMNS, "{}", e.name);
        assert_eq!(header[7], "provider_ref");
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let recs = s.records(&Access::National, "victim", 0, 10).await.unwrap();
        for (row, rec) in rows.iter().zip(&recs) {
            assert_eq!(row[col("_record_id")], rec.id.to_string());
            assert_eq!(&row[col("_version")], "1");
            assert_eq!(&row[col("_provider")], "ngo-espoir");
            assert_eq!(row[col("_submission_id")], sub.to_string());
            assert_eq!(&row[col("_period")], "2025");
            assert_eq!(&row[col("_status")], "approved", "{}", e.name);
            assert_eq!(row[col("_approved_on")], today, "{}", e.name);
        }
        // For programs the value is the stored one, formula-looking or not.
        assert_eq!(&rows[0][col("provider_ref")], "=1+2");
        assert_eq!(&rows[0][col("exploitation")], "SEX;LAB");
        assert!(!text.starts_with('\u{feff}') && !text.contains("Clarisse"));
        // For a spreadsheet: a byte-order mark, and the formula made inert with one `'`.
        let (_, sheet) = export(true).await;
        assert!(sheet.starts_with(b"\xEF\xBB\xBF"), "{}", e.name);
        let sheet = String::from_utf8(sheet[3..].to_vec()).unwrap();
        let row: csv::StringRecord = csv::Reader::from_reader(sheet.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(&row[col("provider_ref")], "'=1+2", "{}", e.name);
        assert_eq!(&row[col("exploitation")], "SEX;LAB");
    }
}
