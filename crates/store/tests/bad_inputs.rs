//! The bad-input corpus: every file gets a message naming the problem, and the database is left
//! exactly as it was — byte for byte for SQLite, row for row for PostgreSQL.

mod common;

use std::io::Write;
use std::sync::Arc;

use common::{Raw, engines};
use rust_xlsxwriter::Workbook;
use sha2::{Digest, Sha256};
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::{ImportOptions, Limits, META_SHEET};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{ImportRequest, ImportResult, ImportSource, Provider, Store, StoreError};

const HEADER: &str =
    "provider_ref,identification_status,date_identified,sex,age,exploitation,citizenship";

fn dict() -> Arc<Dictionary> {
    Arc::new(
        Dictionary::base()
            .unwrap()
            .with_extension(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../dictionary/extensions/cf.toml"),
            )
            .unwrap(),
    )
}

fn xlsx(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut wb = Workbook::new();
    build(&mut wb);
    wb.save_to_buffer().unwrap()
}

fn victim_sheet(wb: &mut Workbook, rows: &[&[&str]]) {
    let ws = wb.add_worksheet();
    ws.set_name("victim").unwrap();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(1 + r as u32, c as u16, *v).unwrap();
        }
    }
}

fn meta(wb: &mut Workbook, version: &str, ptype: &str) {
    let ws = wb.add_worksheet();
    ws.set_name(META_SHEET).unwrap();
    for (r, (k, v)) in [
        ("dictionary_version", version),
        ("provider_type", ptype),
        ("entities", "victim"),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r as u32, 0, *k).unwrap();
        ws.write_string(r as u32, 1, *v).unwrap();
    }
}

fn zip_bomb() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("[Content_Types].xml", opts).unwrap();
    z.write_all(b"<Types/>").unwrap();
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// (name, bytes, a phrase the message must contain)
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good = "V-1,IDENTIFIED,2024-01-02,F,17,SEX,CF";
    let ok_row: &[&str] = &["V-1", "IDENTIFIED", "2024-01-02", "F", "17", "SEX", "CF"];
    let many_rows: String = (0..12_000)
        .map(|i| format!("M-{i},IDENTIFIED,2024-01-02,F,17,SEX,CF\n"))
        .collect();
    let mut v = vec![
        ("empty.csv", Vec::new(), "empty"),
        ("garbage.bin", (0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(), ""),
        ("latin1.csv", [format!("{HEADER}\nV-1,IDENTIFIED,2024-01-02,F,17,SEX,C").into_bytes(), vec![0xF4], b"te\n".to_vec()].concat(), "“Côte” is not a code"),
        ("missing-column.csv", "provider_ref,identification_status,date_identified,sex\nV-1,IDENTIFIED,2024-01-02,F\n".into(), "exploitation"),
        ("extra-column.csv", format!("{HEADER},favourite_colour\n{good},blue\n").into(), "favourite_colour"),
        ("wrong-code.csv", format!("{HEADER}\nV-1,IDENTIFIED,2024-01-02,F,17,SEX,Camerun\nV-2,IDENTIFIED,2024-01-02,Q,17,SEX,CF\n").into(), "did you mean CM"),
        ("bad-date.csv", format!("{HEADER}\nV-1,IDENTIFIED,31/02/2024,F,17,SEX,CF\n").into(), "date"),
        ("too-many-cells.csv", format!("{HEADER}\n{good},x,y\n").into(), "cells"),
        ("unbalanced-quote.csv", format!("{HEADER}\nV-1,\"IDENTIFIED,2024-01-02,F,17,SEX,CF\n").into(), ""),
        ("duplicate-ref.csv", format!("{HEADER}\n{good}\n{good}\n").into(), "already used"),
        ("nul-and-control.csv", format!("{HEADER}\nV-\u{0}1,IDENTIFIED,2024-01-02,F,17,SEX,CF\n").into(), "control"),
        ("huge-cell.csv", format!("{HEADER}\n{},IDENTIFIED,2024-01-02,F,17,SEX,CF\n", "R".repeat(100_000)).into(), "64"),
        ("late-error.csv", format!("{HEADER}\n{many_rows}Z-1,IDENTIFIED,2024-01-02,F,999,SEX,CF\n").into(), "999"),
        ("corrupt.xlsx", xlsx(|wb| victim_sheet(wb, &[ok_row]))[..900].to_vec(), "readable .xlsx"),
        ("encrypted.xlsx", [&[0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..], &[0u8; 600][..]].concat(), "password"),
        ("zip-bomb.xlsx", zip_bomb(), "zip bomb"),
        (
            "formula.xlsx",
            xlsx(|wb| {
                victim_sheet(wb, &[ok_row]);
                let ws = wb.worksheet_from_name("victim").unwrap();
                ws.write_formula(1, 4, "=10+7").unwrap();
            }),
            "formula",
        ),
        (
            "merged.xlsx",
            xlsx(|wb| {
                victim_sheet(wb, &[ok_row, &["V-2", "IDENTIFIED", "2024-01-02", "F", "17", "SEX", "CF"]]);
                let ws = wb.worksheet_from_name("victim").unwrap();
                ws.merge_range(1, 3, 2, 3, "F", &rust_xlsxwriter::Format::new()).unwrap();
            }),
            "merged",
        ),
        (
            "other-provider-type.xlsx",
            xlsx(|wb| {
                victim_sheet(wb, &[ok_row]);
                meta(wb, "2026.1+cf", "COURT");
            }),
            "COURT",
        ),
        (
            "old-dictionary.xlsx",
            xlsx(|wb| {
                victim_sheet(wb, &[ok_row]);
                meta(wb, "2025.2+cf", "POLICE");
            }),
            "2025.2",
        ),
    ];
    // UTF-16 without a BOM cannot be told from binary: it must be refused, not guessed.
    let utf16: Vec<u8> = format!("{HEADER}\n{good}\n")
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    v.push(("utf16-no-bom.csv", utf16, ""));
    v
}

async fn snapshot(e: &common::Engine, db: Option<&std::path::Path>) -> String {
    match (&e.raw, db) {
        (Raw::Sqlite(_), Some(path)) => {
            let mut h = Sha256::new();
            for suffix in ["", "-wal"] {
                let p = format!("{}{suffix}", path.display());
                if let Ok(bytes) = std::fs::read(&p) {
                    h.update(&bytes);
                }
            }
            format!("{:x}", h.finalize())
        }
        (Raw::Postgres(pool), _) => {
            let mut out = String::new();
            for t in [
                "records",
                "record_history",
                "submissions",
                "submission_events",
                "audit_log",
                "providers",
            ] {
                let q = format!(
                    "SELECT COUNT(*)::bigint, COALESCE(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {t} t"
                );
                let (n, h): (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(q))
                    .fetch_one(pool)
                    .await
                    .unwrap();
                out.push_str(&format!("{t}:{n}:{h};"));
            }
            out
        }
        _ => unreachable!(),
    }
}

async fn import(
    store: &Store,
    d: &Arc<Dictionary>,
    enc: &Arc<dyn Encoder>,
    name: &str,
    source: ImportSource,
) -> Result<ImportResult, StoreError> {
    let req = ImportRequest {
        provider: ProviderId::parse("police-bangui").unwrap(),
        entity: "victim".into(),
        submission_id: None,
        options: ImportOptions {
            provider_type: Some("POLICE".into()),
            ..ImportOptions::default()
        },
        limits: Limits::default(),
        lang: "en".into(),
        name: name.into(),
    };
    store.import_file(d.clone(), enc.clone(), req, source).await
}

#[tokio::test]
async fn every_bad_file_is_refused_with_a_reason_and_changes_nothing() {
    let d = dict();
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[9; 32]).unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("200mb.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    for e in engines().await {
        let s = &e.store;
        s.upsert_provider(&Provider {
            id: ProviderId::parse("police-bangui").unwrap(),
            name: "Police".into(),
            provider_type: ProviderType::parse(&d, "POLICE").unwrap(),
            region: None,
            profile: Default::default(),
        })
        .await
        .unwrap();
        common::agree(s, "police-bangui", &["victim", "suspect"]).await;
        // Some data already there, which a bad file must not touch.
        let good = format!(
            "{HEADER}\nV-1,IDENTIFIED,2024-01-02,F,17,SEX,CF\nM-5,PRESUMED,2024-02-02,M,30,LAB,TD\n"
        );
        assert!(matches!(
            import(
                s,
                &d,
                &enc,
                "good.csv",
                ImportSource::Bytes(good.into_bytes())
            )
            .await
            .unwrap(),
            ImportResult::Stored { .. }
        ));
        let db_path = match &e.raw {
            Raw::Sqlite(_) => Some(e.sqlite_path().unwrap()),
            _ => None,
        };
        let before = snapshot(&e, db_path.as_deref()).await;
        let mut sources: Vec<(String, ImportSource, &str)> = corpus()
            .into_iter()
            .map(|(n, b, m)| (n.to_string(), ImportSource::Bytes(b), m))
            .collect();
        sources.push((
            "200mb.csv".into(),
            ImportSource::Path(big.clone()),
            "200 MB",
        ));
        for (name, source, phrase) in sources {
            let message = match import(s, &d, &enc, &name, source).await {
                Ok(ImportResult::Stored { .. }) => panic!("{}: {name} was accepted", e.name),
                Ok(ImportResult::Refused(report)) => {
                    assert!(!report.errors.is_empty());
                    assert!(
                        report
                            .errors
                            .iter()
                            .all(|x| !x.message.is_empty() && x.row >= 1),
                        "{name}: {report}"
                    );
                    report.to_string()
                }
                Err(StoreError::Intake(err)) => err.to_string(),
                Err(other) => panic!("{}: {name}: unexpected {other}", e.name),
            };
            assert!(
                message.contains(phrase),
                "{}: {name}: \"{phrase}\" not in: {message}",
                e.name
            );
            assert!(message.len() < 20_000, "{name}: report too long");
        }
        assert_eq!(
            snapshot(&e, db_path.as_deref()).await,
            before,
            "{}: the database changed",
            e.name
        );
    }
}

#[tokio::test]
async fn utf16_and_semicolon_files_from_excel_are_accepted_and_hostile_text_is_kept_inert() {
    let d = dict();
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[9; 32]).unwrap()));
    for e in engines().await {
        let s = &e.store;
        s.upsert_provider(&Provider {
            id: ProviderId::parse("police-bangui").unwrap(),
            name: "Police".into(),
            provider_type: ProviderType::parse(&d, "POLICE").unwrap(),
            region: None,
            profile: Default::default(),
        })
        .await
        .unwrap();
        common::agree(s, "police-bangui", &["victim", "suspect"]).await;
        // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
        let text = format!(
            "{}\nU-1\tIDENTIFIED\t02/01/2024\tFéminin\t17\tExploitation sexuelle\tCameroun\n",
            HEADER.replace(',', "\t")
        );
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let r = import(s, &d, &enc, "unicode.txt", ImportSource::Bytes(utf16))
            .await
            .unwrap();
        assert!(
            matches!(r, ImportResult::Stored { .. }),
            "{}: {r:?}",
            e.name
        );
        let hostile = "=cmd|' /C calc'!A0";
        let csv = format!(
            "provider_ref;identification_status;date_identified;sex;exploitation\n\"{}\";IDENTIFIED;2024-01-02;F;SEX\n",
            hostile.replace('"', "\"\"")
        );
        let r = import(
            s,
            &d,
            &enc,
            "hostile.csv",
            ImportSource::Bytes(csv.into_bytes()),
        )
        .await
        .unwrap();
        assert!(
            matches!(r, ImportResult::Stored { .. }),
            "{}: {r:?}",
            e.name
        );
        let recs = s
            .records(&tessera_store::Access::National, "victim", 0, 10)
            .await
            .unwrap();
        let stored = recs
            .iter()
            .find(|r| r.provider_ref == hostile)
            .expect("hostile reference stored as text");
        assert_eq!(
            tessera_intake::neutralise_formula(&stored.provider_ref),
            format!("'{hostile}")
        );
        assert_eq!(
            recs.iter().find(|r| r.provider_ref == "U-1").unwrap().data["citizenship"],
            serde_json::json!(["CM"])
        );
    }
}

/// The PostgreSQL side of "no clear identifier is stored": a dump of the schema holds none.
#[tokio::test]
async fn a_postgres_dump_holds_no_clear_identifier() {
    let d = dict();
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[9; 32]).unwrap()));
    for e in engines().await {
        let s = &e.store;
        s.upsert_provider(&Provider {
            id: ProviderId::parse("police-bangui").unwrap(),
            name: "Police".into(),
            provider_type: ProviderType::parse(&d, "POLICE").unwrap(),
            region: None,
            profile: Default::default(),
        })
        .await
        .unwrap();
        common::agree(s, "police-bangui", &["victim", "suspect"]).await;
        let csv = "provider_ref,identification_status,date_identified,sex,exploitation,given_name,family_name,birth_date,id_number,phone\nZ-1,IDENTIFIED,2025-01-02,F,SEX,Zéphyrine,Kpangbalanga,2003-07-19,CF77665544,+236 72 99 88 77\n";
        assert!(matches!(
            import(
                s,
                &d,
                &enc,
                "ids.csv",
                ImportSource::Bytes(csv.as_bytes().to_vec())
            )
            .await
            .unwrap(),
            ImportResult::Stored { .. }
        ));
        let Raw::Postgres(pool) = &e.raw else {
            continue;
        };
        let (schema,): (String,) = sqlx::query_as("SELECT current_schema()")
            .fetch_one(pool)
            .await
            .unwrap();
        let url =
            std::env::var("TESSERA_PG_URL").unwrap_or_else(|_| common::DEFAULT_PG.to_string());
        let out = std::process::Command::new("pg_dump")
            .args(["--dbname", &url, "--schema", &schema, "--data-only"])
            .output()
            .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dump = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(dump.contains("z-1"), "the dump holds the record");
        for needle in [
            "zéphyrine",
            "zephyrine",
            "kpangbalanga",
            "2003-07-19",
            "cf77665544",
            "72998877",
        ] {
            assert!(
                !dump.contains(needle),
                "\"{needle}\" found in the PostgreSQL dump"
            );
        }
    }
}
